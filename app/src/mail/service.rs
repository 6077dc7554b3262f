//! Queuing, sending and retrying mail, and the one-click unsubscribe (RFC 8058).

use super::{NewMail, OutboxMail, SendError};
use crate::model::events::EventKind;
use crate::platform::signing::{Purpose, Signer};
use crate::state::AppState;
use crate::store::{NewEvent, StoreError, StoreResult};
use serde::{Deserialize, Serialize};

/// Sends one message (SMTP in the server crate; tests plug in their own).
#[async_trait::async_trait]
pub trait MailTransport: Send + Sync {
    async fn send(&self, mail: &OutboxMail) -> Result<(), SendError>;
}

/// How long an instance holds the messages it is sending.
const LEASE_SECS: i64 = 120;
/// Messages per delivery round.
const BATCH: i64 = 20;
/// The wait before each retry: a minute, then longer, up to a day; after the last one
/// (about three days in all) the message is given up and shown as failed to staff, who
/// can send it again.
const RETRY_AFTER: [i64; 9] = [60, 300, 900, 3_600, 3 * 3_600, 6 * 3_600, 12 * 3_600, 24 * 3_600, 24 * 3_600];

/// A URL made safe to put back into an attribute of a mail's HTML (the tracking
/// rewrite below; the mails themselves are Leptos views, escaped by the framework).
fn escape_attribute(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// When to try again after `attempts` failed attempts; `None` to give up.
pub fn retry_delay(attempts: i64) -> Option<i64> {
    RETRY_AFTER.get(usize::try_from(attempts).ok()?.checked_sub(1)?).copied()
}

/// A mail to a contact as Carnet sends them all: every link to Carnet's own pages in
/// both parts goes through a signed click redirect (never other URLs: a contact's data
/// quoted in a mail, say a "first name" that is a URL, must not become a redirect
/// signed by the brand's domain) (a click is an engagement signal; the campaign is
/// the mail's kind), the HTML part carries the open pixel, and the message has its
/// one-click unsubscribe URL.
pub async fn to_contact(
    state: &AppState,
    contact_id: crate::model::ContactId,
    kind: &str,
    to: &str,
    subject: &str,
    text: &str,
    html: &str,
) -> Result<NewMail, StoreError> {
    use crate::engagement::service::{click_url, open_pixel_url};
    let own = format!("{}/", state.settings.public_url.trim_end_matches('/'));
    let own = own.as_str();
    let track = |url: String| async move {
        match url.starts_with(own) {
            true => click_url(state, contact_id, kind, &url).await,
            false => Ok(None),
        }
    };
    let mut tracked_text = String::with_capacity(text.len() * 2);
    for piece in text.split_inclusive(char::is_whitespace) {
        let word = piece.trim_end();
        match track(word.to_string()).await? {
            Some(tracked) => {
                tracked_text.push_str(&tracked);
                tracked_text.push_str(&piece[word.len()..]);
            }
            None => tracked_text.push_str(piece),
        }
    }
    let mut tracked_html = String::with_capacity(html.len() * 2);
    let mut rest = html;
    while let Some(at) = rest.find("href=\"") {
        let (before, after) = rest.split_at(at + "href=\"".len());
        tracked_html.push_str(before);
        let end = after.find('"').unwrap_or(after.len());
        let url = &after[..end];
        // Our HTML escapes `&` in URLs; the redirect must get the URL itself.
        match track(url.replace("&amp;", "&")).await? {
            Some(tracked) => tracked_html.push_str(&escape_attribute(&tracked)),
            None => tracked_html.push_str(url),
        }
        rest = &after[end..];
    }
    tracked_html.push_str(rest);
    let pixel = open_pixel_url(state, contact_id, kind).await?;
    tracked_html.push_str(&{
        use leptos::prelude::*;
        view! { <img src=pixel width="1" height="1" alt=""/> }.to_html()
    });
    Ok(NewMail {
        contact_id: Some(contact_id),
        kind: kind.into(),
        to: to.into(),
        subject: subject.into(),
        text: tracked_text,
        html: tracked_html,
        unsubscribe_url: Some(unsubscribe_url(state, contact_id).await?),
    })
}

pub async fn queue(state: &AppState, mail: &NewMail) -> StoreResult<crate::model::MailId> {
    state.store.queue_mail(mail, crate::platform::clock::now()).await
}

/// Sends what is due; returns how many were sent. Without an SMTP server configured,
/// messages wait in the outbox (staff see them there).
pub async fn deliver_due(state: &AppState, now: crate::model::Timestamp) -> StoreResult<usize> {
    let Some(transport) = state.mailer.clone() else {
        return Ok(0);
    };
    let mut sent = 0;
    loop {
        let batch = state.store.claim_mails(now, now + LEASE_SECS, BATCH).await?;
        if batch.is_empty() {
            return Ok(sent);
        }
        for mail in &batch {
            match transport.send(mail).await {
                Ok(()) => {
                    state.store.mail_sent(mail.id, crate::platform::clock::now()).await?;
                    sent += 1;
                }
                Err(e) => {
                    let retry_at = match &e {
                        SendError::Temporary(_) => {
                            retry_delay(mail.attempts + 1).map(|d| crate::platform::clock::now() + d)
                        }
                        SendError::Permanent(_) => None,
                    };
                    // The error names the server's answer, never the address.
                    tracing::warn!(mail = %mail.id, kind = %mail.kind, error = %e, retry = retry_at.is_some(), "mail not sent");
                    state.store.mail_failed(mail.id, &e.to_string(), retry_at).await?;
                    if matches!(e, SendError::Temporary(_)) {
                        // The server is likely down: leave the rest for the next round.
                        return Ok(sent);
                    }
                }
            }
        }
    }
}

/// What an unsubscribe token names.
#[derive(Debug, Serialize, Deserialize)]
struct Unsubscribe {
    c: crate::model::ContactId,
}

/// The one-click unsubscribe URL for a contact (the `List-Unsubscribe` header's).
pub async fn unsubscribe_url(state: &AppState, contact_id: crate::model::ContactId) -> Result<String, StoreError> {
    let token = Signer::of(state).await?.sign(Purpose::Unsubscribe, &Unsubscribe { c: contact_id });
    Ok(format!("{}/u/{token}", state.settings.public_url.trim_end_matches('/')))
}

/// Whether the token is genuine and its contact still exists.
pub async fn unsubscribe_contact(state: &AppState, token: &str) -> Result<Option<crate::model::ContactId>, StoreError> {
    let Some(u) = Signer::of(state).await?.verify::<Unsubscribe>(Purpose::Unsubscribe, token) else {
        return Ok(None);
    };
    Ok(state.store.existing_contact_ids(&[u.c]).await?.first().copied())
}

/// Ends every subscription of the token's contact, with the consent evidence, and puts
/// it on the timeline. `None` for a forged or damaged token: nothing changes.
pub async fn unsubscribe(
    state: &AppState,
    token: &str,
    how: &str,
) -> Result<Option<crate::model::ContactId>, StoreError> {
    let Some(contact_id) = unsubscribe_contact(state, token).await? else {
        return Ok(None);
    };
    let event = NewEvent {
        contact_id,
        kind: EventKind::Unsubscribe,
        occurred_at: crate::platform::clock::now(),
        campaign: String::new(),
        meta: String::new(),
        detail: how.to_string(),
        actor: how.to_string(),
    };
    state.event_writer.record_applied(&state.store, vec![event]).await?;
    Ok(Some(contact_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_grow_and_end() {
        assert_eq!(retry_delay(1), Some(60));
        assert!(retry_delay(2) > retry_delay(1));
        let total: i64 = (1..=9).map(|n| retry_delay(n).unwrap()).sum();
        assert!(total > 2 * 86_400 && total < 4 * 86_400, "about three days of retries: {total}");
        assert_eq!(retry_delay(10), None, "then given up");
        assert_eq!(retry_delay(0), None);
    }
}
