//! Mail Carnet sends itself: written to an outbox first, sent over SMTP by whichever
//! instance leases it, retried while the server is down, visible to staff. Every mail
//! to a contact carries a one-click unsubscribe link (RFC 8058).

use serde::{Deserialize, Serialize};

mod page;
#[cfg(feature = "ssr")]
pub mod service;

pub use page::{get_outbox, retry_mail, MailPage, Outbox, RetryMail};

/// A message to queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewMail {
    pub contact_id: Option<crate::model::ContactId>,
    /// What it is, for staff: "profile_link", "confirmation", "incentive", "test".
    pub kind: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The one-click unsubscribe URL, for mail to a contact.
    pub unsubscribe_url: Option<String>,
}

/// A queued or sent message, as the outbox holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutboxMail {
    pub id: crate::model::MailId,
    pub contact_id: Option<crate::model::ContactId>,
    pub kind: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub unsubscribe_url: Option<String>,
    /// "queued", "sent" or "failed" (given up).
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: crate::model::Timestamp,
    pub last_error: String,
    pub created_at: crate::model::Timestamp,
    pub sent_at: Option<crate::model::Timestamp>,
}

/// Why a message could not be sent.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SendError {
    /// Worth retrying: the server is unreachable or answered 4xx.
    #[error("temporary: {0}")]
    Temporary(String),
    /// Not worth retrying: the server refused the message or the address (5xx).
    #[error("refused: {0}")]
    Permanent(String),
}
