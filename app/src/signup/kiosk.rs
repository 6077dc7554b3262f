//! Kiosk links: a sign-up form's address for a tablet at an event or in a shop, where
//! everyone shares one network address. Staff make each link on purpose (with a label
//! and an end), see them listed, and revoke one at once; the link's token is shown once
//! and only its SHA-256 is kept. Stored as one shared setting, changed by
//! compare-and-set, so several instances agree.

use crate::platform::settings::{self, json_decode, json_encode, Setting};
use crate::state::AppState;
use crate::store::StoreError;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The longest a kiosk link may work.
pub const MAX_KIOSK_DAYS: i64 = 90;
/// Links working at once (an event's tablets, a few shops).
pub const MAX_LIVE_LINKS: usize = 50;
/// Ended links stay listed this long, then are forgotten.
const FORGET_AFTER_SECS: i64 = 30 * 86_400;

/// One kiosk link, as listed (never its token).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KioskLink {
    pub id: u64,
    pub label: String,
    pub token_sha256: String,
    pub created_by: crate::model::UserId,
    pub created_at: crate::model::Timestamp,
    pub expires_at: crate::model::Timestamp,
    pub revoked_at: Option<crate::model::Timestamp>,
}

impl KioskLink {
    pub fn works(&self, now: crate::model::Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

struct KioskLinks;

impl Setting for KioskLinks {
    const NAME: &'static str = "kiosk_links";
    type Value = Vec<KioskLink>;
    fn decode(stored: Option<&str>) -> Vec<KioskLink> {
        json_decode(Self::NAME, stored)
    }
    fn encode(value: &Vec<KioskLink>) -> String {
        json_encode(value)
    }
}

/// Why a link cannot be made.
#[derive(Debug, PartialEq, Eq)]
pub enum KioskRefusal {
    Label,
    Days,
    TooMany,
}

/// Makes a link working `days` days; returns it and its token (shown once).
pub async fn create(
    state: &AppState,
    label: &str,
    days: i64,
    by: crate::model::UserId,
    now: crate::model::Timestamp,
) -> Result<Result<(KioskLink, String), KioskRefusal>, StoreError> {
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 100 {
        return Ok(Err(KioskRefusal::Label));
    }
    if !(1..=MAX_KIOSK_DAYS).contains(&days) {
        return Ok(Err(KioskRefusal::Days));
    }
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let id = rand::random::<u64>() >> 12;
    let link = KioskLink {
        id,
        label: label.to_string(),
        token_sha256: hash(&token),
        created_by: by,
        created_at: now,
        expires_at: now + days * 86_400,
        revoked_at: None,
    };
    let made = settings::update::<KioskLinks, _>(state.store.as_ref(), now, |links| {
        links.retain(|l| l.works(now) || now - l.revoked_at.unwrap_or(l.expires_at) < FORGET_AFTER_SECS);
        if links.iter().filter(|l| l.works(now)).count() >= MAX_LIVE_LINKS {
            return false;
        }
        links.insert(0, link.clone());
        true
    })
    .await?;
    Ok(if made { Ok((link, token)) } else { Err(KioskRefusal::TooMany) })
}

/// The links, newest first.
pub async fn list(state: &AppState) -> Result<Vec<KioskLink>, StoreError> {
    settings::get::<KioskLinks>(state.store.as_ref()).await
}

/// Ends a link now; whether it was there and working.
pub async fn revoke(state: &AppState, id: u64, now: crate::model::Timestamp) -> Result<bool, StoreError> {
    settings::update::<KioskLinks, _>(state.store.as_ref(), now, |links| {
        match links.iter_mut().find(|l| l.id == id && l.works(now)) {
            Some(link) => {
                link.revoked_at = Some(now);
                true
            }
            None => false,
        }
    })
    .await
}

/// The working link a form's `&kiosk=` names, if any.
pub async fn working(
    state: &AppState,
    token: &str,
    now: crate::model::Timestamp,
) -> Result<Option<KioskLink>, StoreError> {
    if token.is_empty() {
        return Ok(None);
    }
    let wanted = hash(token);
    Ok(list(state).await?.into_iter().find(|l| l.token_sha256 == wanted && l.works(now)))
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
