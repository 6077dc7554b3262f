//! Wasm-safe types and pure rules, shared by the server and the browser and tested
//! without a database.

pub mod api_key;
pub mod contact;
pub mod contact_form;
pub mod email;
pub mod engagement;
pub mod events;
pub mod ids;
pub mod listing;
pub mod profile;
pub mod role;
pub mod time;

pub use contact::{Channel, Contact, ContactFields, ContactForm, ContactRow, SubscriptionState};
pub use email::Email;
pub use ids::{ApiKeyId, ContactId, ImportId, IncentiveId, JobId, MailId, NewsletterId, PartnerId, UserId};
pub use listing::{ContactPage, ContactQuery, ContactSort, Cursor};
pub use role::{Permission, Role};
pub use time::Timestamp;

use serde::{Deserialize, Serialize};

/// One message about one form field, for the person who filled it in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Every problem found in a form at once, so a person fixes them in one go.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError { field: field.to_string(), message: message.into() });
    }
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::default();
        errors.add(field, message);
        errors
    }
}
