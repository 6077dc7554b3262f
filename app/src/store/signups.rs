//! The sign-up part of the store: public sign-ups waiting for their double opt-in. A
//! supertrait of `Store`, implemented once in `server/src/store/portable/`.

use super::StoreResult;
use crate::model::{Channel, ContactId, Email, NewsletterId};
use async_trait::async_trait;

/// A sign-up the person has yet to confirm from their mail.
#[derive(Clone, Debug)]
pub struct NewSignup {
    /// SHA-256 of the token mailed to the person.
    pub token_hash: String,
    pub email: Email,
    pub first_name: String,
    pub channel: Channel,
    pub source_detail: String,
    pub lang: String,
    /// (newsletter id, the words the person ticked) for each newsletter chosen.
    pub offers: Vec<(NewsletterId, String)>,
    /// Which form: e.g. "sign-up page /subscribe (embedded)".
    pub form: String,
    pub created_at: crate::model::Timestamp,
    pub expires_at: crate::model::Timestamp,
}

/// What confirming a sign-up did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignupOutcome {
    /// Subscribed (a new contact, or one already known): the contact and the names of
    /// the newsletters confirmed.
    Confirmed {
        contact_id: ContactId,
        newsletters: Vec<String>,
    },
    Unknown,
    Expired,
    /// Confirmed before (the link works once).
    Used,
}

/// Where a sign-up stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignupState {
    pub expires_at: crate::model::Timestamp,
    pub confirmed_at: Option<crate::model::Timestamp>,
}

/// What staff's quick entry did: the contact subscribed, and whether it is new.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subscribed {
    pub contact_id: ContactId,
    pub created: bool,
}

#[async_trait]
pub trait SignupStore: Send + Sync {
    async fn create_signup(&self, signup: &NewSignup) -> StoreResult<i64>;
    /// Where a sign-up stands, by its token's hash.
    async fn signup_state(&self, token_hash: &str) -> StoreResult<Option<SignupState>>;
    /// Confirms a sign-up in one transaction: the contact (created with the sign-up's
    /// channel and source if the address is new; an existing contact's data is left as
    /// it is), each newsletter subscribed with the consent evidence (the words ticked,
    /// the form, the channel, the instant of confirmation), and the sign-up marked used.
    /// A suppressed contact is not subscribed (`Unknown`).
    async fn confirm_signup(&self, token_hash: &str, now: crate::model::Timestamp) -> StoreResult<SignupOutcome>;
    /// Staff's quick entry: the contact with this address (created from `fields` if new;
    /// an existing contact's data is left as it is) subscribed to each newsletter with
    /// its evidence, in one transaction. Returns the contact and whether it was created;
    /// `None` when the address is suppressed (nothing is written).
    async fn subscribe_contact(
        &self,
        fields: &crate::model::ContactFields,
        subscriptions: &[super::Consented],
        now: crate::model::Timestamp,
        actor: &str,
    ) -> StoreResult<Option<Subscribed>>;
    /// Forgets expired sign-ups' personal data at once and the sign-ups themselves 30
    /// days later, deletes confirmation mails whose links have expired, and throttle
    /// counters older than two days; returns how many sign-ups went.
    async fn purge_signups(&self, now: crate::model::Timestamp) -> StoreResult<u64>;
}
