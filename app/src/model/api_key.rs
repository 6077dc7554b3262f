//! Partner API keys: `carnet_` + 32 base62 characters (190 random bits) + a 6-character
//! base62 CRC-32 of them. The checksum lets Carnet refuse a mistyped or truncated key
//! before any database lookup; only the key's SHA-256 is ever stored.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const KEY_PREFIX: &str = "carnet_";
const BODY_LEN: usize = 32;
const CHECK_LEN: usize = 6;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// What a key may be used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Check,
    Submit,
    Export,
    Events,
    /// Record that an incentive code was used (a shop's checkout).
    Redeem,
    /// A customer's personal link and profile completion (the brand's own systems only).
    Profile,
    /// Upsert contacts from the shop (the brand's own systems only).
    Contacts,
}

impl Scope {
    pub const ALL: [Scope; 7] =
        [Scope::Check, Scope::Submit, Scope::Export, Scope::Events, Scope::Redeem, Scope::Profile, Scope::Contacts];
    /// What only the brand's own integrations may hold: they reach one named person's
    /// profile and write contacts, which no lead seller may.
    pub const OWN_ONLY: [Scope; 2] = [Scope::Profile, Scope::Contacts];
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Check => "check",
            Scope::Submit => "submit",
            Scope::Export => "export",
            Scope::Events => "events",
            Scope::Redeem => "redeem",
            Scope::Profile => "profile",
            Scope::Contacts => "contacts",
        }
    }
    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }
    /// "check,submit" → [Check, Submit]; an unknown name is an error naming it.
    pub fn parse_list(s: &str) -> Result<Vec<Scope>, String> {
        let mut scopes = Vec::new();
        for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let scope = Scope::parse(name).ok_or_else(|| {
                format!("unknown scope {name:?} (use check, submit, export, events, redeem, profile, contacts)")
            })?;
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        if scopes.is_empty() {
            return Err("give at least one scope".into());
        }
        Ok(scopes)
    }
    pub fn join(scopes: &[Scope]) -> String {
        scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
    }
}

/// CRC-32 (IEEE), bitwise: keys are short and checked once per request.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in data {
        crc ^= byte as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn base62_fixed(mut n: u64, len: usize) -> String {
    let mut out = vec![b'0'; len];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out).expect("base62 is ascii")
}

/// A well-formed key (checksum verified). It may still be unknown, revoked or expired.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKey({}…)", self.display_prefix())
    }
}

impl ApiKey {
    /// Builds a key from 32 base62 characters of randomness (the caller draws them).
    pub fn from_random_body(body: &str) -> ApiKey {
        debug_assert_eq!(body.len(), BODY_LEN);
        ApiKey(format!("{KEY_PREFIX}{body}{}", base62_fixed(crc32(body.as_bytes()) as u64, CHECK_LEN)))
    }

    pub fn parse(raw: &str) -> Option<ApiKey> {
        let rest = raw.trim().strip_prefix(KEY_PREFIX)?;
        if rest.len() != BODY_LEN + CHECK_LEN || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        let (body, check) = rest.split_at(BODY_LEN);
        (base62_fixed(crc32(body.as_bytes()) as u64, CHECK_LEN) == check).then(|| ApiKey(raw.trim().to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What is stored: the lowercase hex SHA-256 of the whole key.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }

    /// The first characters, safe to show and log ("carnet_Ab3x").
    pub fn display_prefix(&self) -> String {
        self.0.chars().take(KEY_PREFIX.len() + 4).collect()
    }

    pub fn random_body_alphabet() -> &'static [u8; 62] {
        BASE62
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn a_generated_key_parses_and_a_mistyped_one_does_not() {
        let key = ApiKey::from_random_body("abcdefghijklmnopqrstuvwxyzABCDEF");
        assert_eq!(key.as_str().len(), KEY_PREFIX.len() + 38);
        assert_eq!(ApiKey::parse(key.as_str()), Some(key.clone()));
        let mut typo = key.as_str().to_string();
        typo.replace_range(10..11, if &typo[10..11] == "x" { "y" } else { "x" });
        assert_eq!(ApiKey::parse(&typo), None, "one changed character fails the checksum");
        assert_eq!(ApiKey::parse(&key.as_str()[..40]), None, "truncated");
        assert_eq!(ApiKey::parse("ghp_abcdefghijklmnopqrstuvwxyzABCDEF000000"), None, "wrong prefix");
        assert_eq!(key.hash().len(), 64);
        assert_eq!(format!("{key:?}"), "ApiKey(carnet_abcd…)", "keys never print whole");
    }

    #[test]
    fn scopes_parse_from_a_list() {
        assert_eq!(Scope::parse_list("check, submit,check"), Ok(vec![Scope::Check, Scope::Submit]));
        assert!(Scope::parse_list("check,delete").unwrap_err().contains("delete"));
        assert!(Scope::parse_list("").is_err());
        assert_eq!(Scope::join(&[Scope::Export, Scope::Events]), "export,events");
    }
}
