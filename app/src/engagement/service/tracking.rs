//! Tracking for the mail Carnet sends: an open pixel and click redirects whose tokens
//! are signed (`platform::signing`, for `Purpose::Tracking`). A token names its contact,
//! campaign and, for clicks, the one URL it may redirect to, so it cannot be forged,
//! altered, or turned into an open redirect.

use crate::model::events::EventKind;
use crate::platform::signing::{Purpose, Signer};
use crate::state::AppState;
use crate::store::{NewEvent, StoreError};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrackedLink {
    /// The contact.
    pub c: crate::model::ContactId,
    /// The campaign.
    pub m: String,
    /// Where a click goes; absent for the open pixel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub u: Option<String>,
}

/// Only absolute http(s) URLs can be tracked.
pub fn trackable_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && url.len() <= 2000
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The open pixel's URL for a contact and campaign.
pub async fn open_pixel_url(
    state: &AppState,
    contact_id: crate::model::ContactId,
    campaign: &str,
) -> Result<String, StoreError> {
    let token =
        Signer::of(state).await?.sign(Purpose::Tracking, &TrackedLink { c: contact_id, m: campaign.into(), u: None });
    Ok(format!("{}/t/o/{token}.gif", state.settings.public_url.trim_end_matches('/')))
}

/// A tracked version of `url`; `None` when the URL is not an absolute http(s) URL.
pub async fn click_url(
    state: &AppState,
    contact_id: crate::model::ContactId,
    campaign: &str,
    url: &str,
) -> Result<Option<String>, StoreError> {
    if !trackable_url(url) {
        return Ok(None);
    }
    let token = Signer::of(state)
        .await?
        .sign(Purpose::Tracking, &TrackedLink { c: contact_id, m: campaign.into(), u: Some(url.into()) });
    Ok(Some(format!("{}/t/c/{token}", state.settings.public_url.trim_end_matches('/'))))
}

/// Records an open or a click for a genuine token and returns its link; `None` for a
/// forged or damaged token (nothing is recorded), or a contact since deleted.
pub async fn track(
    state: &AppState,
    token: &str,
    kind: EventKind,
    now: crate::model::Timestamp,
) -> Result<Option<TrackedLink>, StoreError> {
    let Some(link) = Signer::of(state).await?.verify::<TrackedLink>(Purpose::Tracking, token) else {
        return Ok(None);
    };
    if kind == EventKind::Click && !link.u.as_deref().is_some_and(trackable_url) {
        return Ok(None);
    }
    if state.store.existing_contact_ids(&[link.c]).await?.is_empty() {
        return Ok(None);
    }
    let event = NewEvent {
        contact_id: link.c,
        kind,
        occurred_at: now,
        campaign: link.m.clone(),
        meta: String::new(),
        detail: String::new(),
        actor: "tracking".into(),
    };
    state.event_writer.record(&state.store, vec![event]).await?;
    Ok(Some(link))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_click_token_cannot_be_pointed_elsewhere() {
        let signer = Signer::new(vec![7u8; 32]);
        let link = TrackedLink {
            c: crate::model::ContactId(42),
            m: "nov".into(),
            u: Some("https://shop.example/a?b=c".into()),
        };
        let token = signer.sign(Purpose::Tracking, &link);
        assert_eq!(signer.verify(Purpose::Tracking, &token), Some(link.clone()));
        let other = TrackedLink { u: Some("https://evil.example".into()), ..link };
        let forged = signer.sign(Purpose::Tracking, &other);
        let (body, _) = forged.split_once('.').unwrap();
        let (_, tag) = token.split_once('.').unwrap();
        assert_eq!(signer.verify::<TrackedLink>(Purpose::Tracking, &format!("{body}.{tag}")), None);
    }

    #[test]
    fn only_absolute_web_urls_are_tracked() {
        assert!(trackable_url("https://shop.example/x"));
        assert!(!trackable_url("javascript:alert(1)"));
        assert!(!trackable_url("//evil.example"));
        assert!(!trackable_url("/relative"));
        assert!(!trackable_url("https://a.example/\nx"));
    }
}
