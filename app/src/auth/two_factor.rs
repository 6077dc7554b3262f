//! Two-factor sign-in for staff: a time-based code (TOTP, RFC 6238: six digits every
//! 30 seconds, HMAC-SHA-1, which every authenticator app reads) or one of ten one-time
//! recovery codes, asked after the password. Optional for each member; an admin can
//! require it of every admin (`TwoFactorPolicy`).

use super::Enrolment;
use crate::error::AppError;
use crate::platform::settings::{json_decode, json_encode, Setting};
use base64::Engine;
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, TOTP};

/// The name authenticator apps show beside the account.
pub const ISSUER: &str = "Carnet";
/// 160 bits, as RFC 4226 recommends.
const SECRET_BYTES: usize = 20;
const STEP_SECS: u64 = 30;
pub const RECOVERY_CODE_COUNT: usize = 10;
/// Recovery codes are written in this alphabet (no 0/O, 1/I/L to misread): 10
/// characters of almost 5 bits each (about 49 bits a code).
const RECOVERY_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const RECOVERY_LEN: usize = 10;
/// Wrong codes for one account in the sign-in window after which codes are refused
/// until it ends: whoever types them already has the password.
pub const CODE_ATTEMPTS: i64 = 10;

/// Whether admins must sign in with a second factor (an admin sets it on the users page).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub required_for_admins: bool,
}

pub struct TwoFactorPolicy;

impl Setting for TwoFactorPolicy {
    const NAME: &'static str = "two_factor_policy";
    type Value = Policy;
    fn decode(stored: Option<&str>) -> Policy {
        json_decode(Self::NAME, stored)
    }
    fn encode(value: &Policy) -> String {
        json_encode(value)
    }
}

fn totp(secret: &str, account: &str) -> Result<TOTP, AppError> {
    let bytes = totp_rs::Secret::Encoded(secret.to_string()).to_bytes().map_err(|_| {
        tracing::error!("a stored two-factor secret is not base32");
        AppError::Internal
    })?;
    // Emails hold no ':' (the one character a label may not).
    TOTP::new(Algorithm::SHA1, 6, 1, STEP_SECS, bytes, Some(ISSUER.into()), account.replace(':', "")).map_err(|e| {
        tracing::error!(error = %e, "a two-factor secret was refused");
        AppError::Internal
    })
}

/// A new secret, base32 (what the app is given).
pub fn new_secret() -> String {
    let bytes: [u8; SECRET_BYTES] = rand::thread_rng().gen();
    totp_rs::Secret::Raw(bytes.to_vec()).to_encoded().to_string()
}

/// The code an app holding `secret` shows at `unix_secs`.
pub fn code_at(secret: &str, unix_secs: i64) -> Result<String, AppError> {
    Ok(totp(secret, "")?.generate(unix_secs.max(0) as u64))
}

/// The time step whose code `code` is, of the previous, current and next ones (a
/// phone's clock a little off still signs in); `None` for any other code.
pub fn matching_step(secret: &str, code: &str, now: i64) -> Result<Option<i64>, AppError> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let totp = totp(secret, "")?;
    let current = now.max(0) / STEP_SECS as i64;
    Ok((current - 1..=current + 1).find(|step| {
        let expected = totp.generate((*step * STEP_SECS as i64) as u64);
        constant_time_eq(expected.as_bytes(), code.as_bytes())
    }))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn enrolment(secret: &str, account: &str) -> Result<Enrolment, AppError> {
    let url = totp(secret, account)?.get_url();
    let svg = qrcode::QrCode::new(url.as_bytes())
        .map_err(|_| AppError::Internal)?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    let qr = format!("data:image/svg+xml;base64,{}", base64::engine::general_purpose::STANDARD.encode(svg));
    let grouped =
        secret.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ");
    Ok(Enrolment { secret: grouped, url, qr })
}

/// New recovery codes: what the member writes down (`ABCDE-FGHJK`), and what is kept
/// (their digests).
pub fn new_recovery_codes() -> (Vec<String>, Vec<String>) {
    let mut rng = rand::thread_rng();
    let codes: Vec<String> = (0..RECOVERY_CODE_COUNT)
        .map(|_| {
            let raw: String = (0..RECOVERY_LEN)
                .map(|_| RECOVERY_ALPHABET[rng.gen_range(0..RECOVERY_ALPHABET.len())] as char)
                .collect();
            format!("{}-{}", &raw[..RECOVERY_LEN / 2], &raw[RECOVERY_LEN / 2..])
        })
        .collect();
    let hashes = codes.iter().filter_map(|c| recovery_digest(c)).collect();
    (codes, hashes)
}

/// The digest a recovery code is kept as, if `typed` has a recovery code's shape
/// (case, spaces and dashes do not matter).
pub fn recovery_digest(typed: &str) -> Option<String> {
    let normal: String =
        typed.chars().filter(|c| !c.is_whitespace() && *c != '-').flat_map(char::to_uppercase).collect();
    (normal.len() == RECOVERY_LEN && normal.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)))
        .then(|| hex::encode(Sha256::digest(normal.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 secret "12345678901234567890", 8 digits there;
    /// the last 6 of each are what a 6-digit app shows.
    #[test]
    fn codes_are_those_of_rfc_6238() {
        let secret = totp_rs::Secret::Raw(b"12345678901234567890".to_vec()).to_encoded().to_string();
        for (time, eight) in [(59, "94287082"), (1_111_111_109, "07081804"), (1_234_567_890, "89005924")] {
            assert_eq!(code_at(&secret, time).unwrap(), &eight[2..], "at {time}");
        }
    }

    #[test]
    fn a_code_matches_its_step_and_the_neighbours_only() {
        let secret = new_secret();
        let now = 1_800_000_015;
        let code = code_at(&secret, now).unwrap();
        assert_eq!(matching_step(&secret, &code, now).unwrap(), Some(now / 30));
        assert_eq!(matching_step(&secret, &format!("{} {}", &code[..3], &code[3..]), now).unwrap(), Some(now / 30));
        assert_eq!(matching_step(&secret, &code, now + 30).unwrap(), Some(now / 30), "a code just past still works");
        assert_eq!(matching_step(&secret, &code, now + 95).unwrap(), None, "three steps later it does not");
        for junk in ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦"] {
            assert_eq!(matching_step(&secret, junk, now).unwrap(), None, "{junk:?}");
        }
    }

    #[test]
    fn recovery_codes_are_random_and_read_loosely() {
        let (codes, hashes) = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODE_COUNT);
        assert_eq!(hashes.len(), RECOVERY_CODE_COUNT);
        let unique: std::collections::HashSet<_> = hashes.iter().collect();
        assert_eq!(unique.len(), RECOVERY_CODE_COUNT);
        let typed = codes[0].to_lowercase().replace('-', " ");
        assert_eq!(recovery_digest(&typed).as_deref(), Some(hashes[0].as_str()));
        assert_eq!(recovery_digest("123456"), None, "a TOTP code is not a recovery code");
        assert_eq!(recovery_digest("ABCDE-FGHJ0"), None, "0 is not in the alphabet");
        assert_eq!(recovery_digest("ABCDE-FGHJI"), None, "nor I");
    }

    #[test]
    fn the_enrolment_names_carnet_and_the_account() {
        let secret = new_secret();
        assert_eq!(secret.len(), 32, "160 bits in base32");
        let e = enrolment(&secret, "ann@brand.example").unwrap();
        assert!(e.url.starts_with("otpauth://totp/Carnet:ann%40brand.example?secret="), "{}", e.url);
        assert!(e.url.contains("issuer=Carnet"), "{}", e.url);
        assert_eq!(e.secret.replace(' ', ""), secret);
        assert!(e.qr.starts_with("data:image/svg+xml;base64,"));
    }
}
