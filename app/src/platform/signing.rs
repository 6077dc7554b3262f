//! Signed tokens: a value carried in a URL or a form (a tracking link, an unsubscribe
//! link, a sign-up form's ticket) that no one can forge or alter. The signature is
//! HMAC-SHA-256 under the keys of the token's `Purpose` (each purpose has its own, and
//! its label is signed too, so a token signed for one purpose never passes for another).
//! The keys are shared by every instance through the settings table, and rotate: a new
//! key signs from then on while the older ones still verify, until they are retired.

use crate::platform::settings::{self, Setting};
use crate::state::AppState;
use crate::store::StoreError;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use hmac::{Hmac, Mac};
use serde::{de::DeserializeOwned, Serialize};
use sha2::Sha256;

/// Bytes of the HMAC kept in a token (128 bits: unguessable, and links stay short).
const MAC_BYTES: usize = 16;
/// How long an instance uses the keys it read before reading them again, so that a
/// rotation (`carnet secrets rotate`) reaches every instance within a minute.
const KEYS_FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(60);

/// What a token is for. Each purpose has keys of its own, and its label is part of what
/// is signed: never change one, or every token of that purpose already handed out stops
/// working.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// The open pixel and click redirects in mail (`/t/o/…`, `/t/c/…`).
    Tracking,
    /// The one-click unsubscribe link (`/u/…`).
    Unsubscribe,
    /// The sign-up form's ticket: when it was shown, its proof-of-work puzzle.
    SignupTicket,
}

impl Purpose {
    pub const ALL: [Purpose; 3] = [Purpose::Tracking, Purpose::Unsubscribe, Purpose::SignupTicket];

    fn label(self) -> &'static str {
        match self {
            Purpose::Tracking => "carnet-track-v1.",
            Purpose::Unsubscribe => "carnet-unsubscribe-v1.",
            Purpose::SignupTicket => "signup-ticket",
        }
    }

    /// Its name on the command line and in the stored keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Tracking => "tracking",
            Purpose::Unsubscribe => "unsubscribe",
            Purpose::SignupTicket => "signup_ticket",
        }
    }

    pub fn parse(s: &str) -> Option<Purpose> {
        Self::ALL.into_iter().find(|p| p.as_str() == s.trim())
    }
}

/// The secret of the single key every purpose shared before keys were per purpose.
struct LegacySecret;

impl Setting for LegacySecret {
    const NAME: &'static str = "tracking_secret";
    type Value = String;
    fn decode(stored: Option<&str>) -> String {
        stored.unwrap_or_default().trim().to_string()
    }
    fn encode(value: &String) -> String {
        value.clone()
    }
}

/// Each purpose's keys (hex secrets), newest first: tokens are signed with the newest
/// and verified with any, so a rotation breaks no link already handed out; retiring
/// drops the older ones (after a leak).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SigningKeys(pub std::collections::BTreeMap<String, Vec<String>>);

impl Setting for SigningKeys {
    const NAME: &'static str = "signing_keys";
    type Value = SigningKeys;
    fn decode(stored: Option<&str>) -> SigningKeys {
        crate::platform::settings::json_decode(Self::NAME, stored)
    }
    fn encode(value: &SigningKeys) -> String {
        crate::platform::settings::json_encode(value)
    }
}

fn fresh_secret() -> String {
    use rand::RngCore;
    let mut fresh = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut fresh);
    hex::encode(fresh)
}

/// The keys as stored, made the first time they are needed: a fresh key per purpose,
/// after the shared key of earlier versions when there is one (so that the links it
/// signed keep working until it is retired). The first instance to store them wins.
async fn stored_keys(state: &AppState) -> Result<SigningKeys, StoreError> {
    let now = crate::platform::clock::now();
    let read = settings::read::<SigningKeys>(state.store.as_ref()).await?;
    if read.is_stored() && read.value.0.is_empty() {
        // Never replaced by fresh keys: every link already sent would stop working.
        return Err(StoreError::Database("the stored signing keys are unreadable".into()));
    }
    if Purpose::ALL.iter().all(|p| read.value.0.get(p.as_str()).is_some_and(|k| !k.is_empty())) {
        return Ok(read.value);
    }
    // An install from before per-purpose keys goes on signing with its shared key (so
    // that instances not yet upgraded verify what upgraded ones sign) until an operator
    // rotates; a new install starts with a fresh key per purpose.
    let legacy = settings::get::<LegacySecret>(state.store.as_ref()).await?;
    settings::update::<SigningKeys, _>(state.store.as_ref(), now, |keys| {
        for purpose in Purpose::ALL {
            let list = keys.0.entry(purpose.as_str().to_string()).or_default();
            if list.is_empty() {
                list.push(if legacy.is_empty() { fresh_secret() } else { legacy.clone() });
            }
        }
        keys.clone()
    })
    .await
}

/// Adds a new newest key for each of `purposes`: what is signed from now on (within a
/// minute on every instance) uses it; what was signed before still verifies.
pub async fn rotate(state: &AppState, purposes: &[Purpose]) -> Result<SigningKeys, StoreError> {
    stored_keys(state).await?;
    settings::update::<SigningKeys, _>(state.store.as_ref(), crate::platform::clock::now(), |keys| {
        for purpose in purposes {
            keys.0.entry(purpose.as_str().to_string()).or_default().insert(0, fresh_secret());
        }
        keys.clone()
    })
    .await
}

/// Keeps only the newest key of each of `purposes`: tokens signed with the older ones
/// stop working (within a minute on every instance).
pub async fn retire(state: &AppState, purposes: &[Purpose]) -> Result<SigningKeys, StoreError> {
    stored_keys(state).await?;
    settings::update::<SigningKeys, _>(state.store.as_ref(), crate::platform::clock::now(), |keys| {
        for purpose in purposes {
            keys.0.entry(purpose.as_str().to_string()).or_default().truncate(1);
        }
        keys.clone()
    })
    .await
}

/// The keys an instance holds in memory, with when it read them.
#[derive(Default)]
pub struct KeyCache(tokio::sync::RwLock<Option<(std::time::Instant, Signer)>>);

/// Signs and verifies tokens, each purpose with its own keys.
#[derive(Clone, Debug)]
pub struct Signer {
    /// Per purpose, its secrets, newest first.
    keys: std::collections::HashMap<&'static str, Vec<Vec<u8>>>,
}

impl Signer {
    /// A signer with one secret for every purpose (tests).
    pub fn new(secret: Vec<u8>) -> Signer {
        Signer { keys: Purpose::ALL.iter().map(|p| (p.as_str(), vec![secret.clone()])).collect() }
    }

    fn from_stored(stored: &SigningKeys) -> Result<Signer, StoreError> {
        let mut keys = std::collections::HashMap::new();
        for purpose in Purpose::ALL {
            let secrets = stored
                .0
                .get(purpose.as_str())
                .into_iter()
                .flatten()
                .map(|hex_secret| hex::decode(hex_secret.trim()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| StoreError::Database("a signing key is not hex".into()))?;
            if secrets.is_empty() {
                return Err(StoreError::Database(format!("no signing key for {}", purpose.as_str())));
            }
            keys.insert(purpose.as_str(), secrets);
        }
        Ok(Signer { keys })
    }

    /// The instance's signer, from the shared keys (read again after a minute).
    pub async fn of(state: &AppState) -> Result<Signer, StoreError> {
        if let Some((read_at, signer)) = state.signing_keys.0.read().await.as_ref() {
            if read_at.elapsed() < KEYS_FRESH_FOR {
                return Ok(signer.clone());
            }
        }
        let signer = Signer::from_stored(&stored_keys(state).await?)?;
        *state.signing_keys.0.write().await = Some((std::time::Instant::now(), signer.clone()));
        Ok(signer)
    }

    fn mac(secret: &[u8], purpose: Purpose, body: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
        mac.update(purpose.label().as_bytes());
        mac.update(body.as_bytes());
        mac
    }

    fn secrets(&self, purpose: Purpose) -> &[Vec<u8>] {
        self.keys.get(purpose.as_str()).map(Vec::as_slice).unwrap_or_default()
    }

    /// `value` as a URL-safe token signed for `purpose` with its newest key.
    pub fn sign<T: Serialize>(&self, purpose: Purpose, value: &T) -> String {
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap_or_default());
        let newest = self.secrets(purpose).first().map(Vec::as_slice).unwrap_or_default();
        let tag = Self::mac(newest, purpose, &body).finalize().into_bytes();
        format!("{body}.{}", URL_SAFE_NO_PAD.encode(&tag[..MAC_BYTES]))
    }

    /// The value a token signed for `purpose` stands for, if it is genuine under one of
    /// the purpose's keys (each checked in constant time).
    pub fn verify<T: DeserializeOwned>(&self, purpose: Purpose, token: &str) -> Option<T> {
        let (body, tag) = token.split_once('.')?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        if tag.len() != MAC_BYTES {
            return None;
        }
        self.secrets(purpose)
            .iter()
            .find(|secret| Self::mac(secret, purpose, body).verify_truncated_left(&tag).is_ok())?;
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).ok()?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
    struct Link {
        c: i64,
        u: String,
    }

    #[test]
    fn tokens_verify_and_any_change_breaks_them() {
        let signer = Signer::new(vec![7u8; 32]);
        let link = Link { c: 42, u: "https://shop.example/a?b=c".into() };
        let token = signer.sign(Purpose::Tracking, &link);
        assert_eq!(signer.verify(Purpose::Tracking, &token), Some(Link { c: 42, u: link.u.clone() }));
        assert_eq!(Signer::new(vec![8u8; 32]).verify::<Link>(Purpose::Tracking, &token), None, "another secret");
        // Point the click somewhere else, keeping the tag: refused.
        let forged_body =
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&Link { c: 42, u: "https://evil.example".into() }).unwrap());
        let tag = token.split_once('.').unwrap().1;
        assert_eq!(signer.verify::<Link>(Purpose::Tracking, &format!("{forged_body}.{tag}")), None);
        assert_eq!(signer.verify::<Link>(Purpose::Tracking, "garbage"), None);
        assert_eq!(signer.verify::<Link>(Purpose::Tracking, &token[..token.len() - 2]), None);
    }

    #[test]
    fn a_token_signed_for_one_purpose_never_passes_for_another() {
        let signer = Signer::new(vec![7u8; 32]);
        let token = signer.sign(Purpose::SignupTicket, &Link { c: 1, u: String::new() });
        assert!(signer.verify::<Link>(Purpose::SignupTicket, &token).is_some());
        for other in [Purpose::Tracking, Purpose::Unsubscribe] {
            assert_eq!(signer.verify::<Link>(other, &token), None, "{other:?}");
        }
    }

    #[test]
    fn after_a_rotation_old_tokens_verify_until_retired() {
        let key = |n: u8| hex::encode([n; 32]);
        let stored = |lists: &[&[u8]]| {
            SigningKeys(
                Purpose::ALL
                    .iter()
                    .zip(lists)
                    .map(|(p, keys)| (p.as_str().to_string(), keys.iter().map(|n| key(*n)).collect()))
                    .collect(),
            )
        };
        let before = Signer::from_stored(&stored(&[&[1], &[2], &[3]])).unwrap();
        let old = before.sign(Purpose::Tracking, &Link { c: 9, u: String::new() });
        let rotated = Signer::from_stored(&stored(&[&[4, 1], &[2], &[3]])).unwrap();
        let new = rotated.sign(Purpose::Tracking, &Link { c: 9, u: String::new() });
        assert_ne!(old, new, "the newest key signs");
        assert!(rotated.verify::<Link>(Purpose::Tracking, &old).is_some(), "an old link still works");
        assert!(before.verify::<Link>(Purpose::Tracking, &new).is_none());
        let retired = Signer::from_stored(&stored(&[&[4], &[2], &[3]])).unwrap();
        assert!(retired.verify::<Link>(Purpose::Tracking, &old).is_none(), "retired: the old link is refused");
        assert!(retired.verify::<Link>(Purpose::Tracking, &new).is_some());
        let token = before.sign(Purpose::Unsubscribe, &Link { c: 9, u: String::new() });
        assert!(before.verify::<Link>(Purpose::Tracking, &token).is_none(), "keys of their own per purpose");
    }
}
