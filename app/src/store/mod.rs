//! The storage interface the services call. One trait, two implementations (SQLite and
//! PostgreSQL, in the server crate), chosen once at start-up from `DATABASE_URL`, and
//! one conformance suite that runs every method against both.

use crate::model::contact::{Activity, ConsentEvidence, Newsletter, Subscription};
use crate::model::{
    Contact, ContactFields, ContactId, ContactPage, ContactQuery, Email, NewsletterId, PartnerId, Role,
    SubscriptionState, UserId,
};
use async_trait::async_trait;

mod engagement;
pub mod imports;
mod incentives;
mod mail;
mod partners;
mod self_service;
mod signups;
mod users;
pub use crate::platform::jobs::{JobStore, NewJob};
pub use crate::platform::settings::SettingsStore;
pub use engagement::{EngagementStore, NewEvent, Snapshot};
pub use incentives::{IncentiveStore, ProgrammeCounts};
pub use mail::{MailCounts, MailStore};
pub use partners::{KeyClaim, NewApiKey, PartnerStore, StoredAnswer};
pub use self_service::{LinkRecord, PausedSubscription, SelfServiceStore};
pub use signups::{NewSignup, SignupOutcome, SignupState, SignupStore, Subscribed};
pub use users::{LoginFailures, UserStore};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write; `constraint` names it (e.g. `contacts_email_key`).
    #[error("unique constraint {constraint} violated")]
    Conflict { constraint: String },
    #[error("not found")]
    NotFound,
    /// The contact's data was erased at their request: it is never written again.
    #[error("the contact was erased")]
    Erased,
    /// Another run took this work over (its lease had run out): this one stops.
    #[error("another run holds this work's lease")]
    LeaseLost,
    #[error("database error: {0}")]
    Database(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug, PartialEq)]
pub struct UserRecord {
    pub id: UserId,
    pub email: String,
    pub role: Role,
    pub password_hash: String,
    pub active: bool,
    pub created_at: crate::model::Timestamp,
    pub last_login_at: Option<crate::model::Timestamp>,
    /// When the password was last set: sessions begun before it are over.
    pub password_changed_at: crate::model::Timestamp,
    /// Set by an admin (a new account, a reset): changed at the next sign-in.
    pub must_change_password: bool,
    /// How many times the password was set: sessions begun under another count are over.
    pub session_epoch: i64,
    /// The two-factor secret (base32), once confirmed: sign-in then asks for a code.
    pub totp_secret: Option<String>,
    /// A secret being set up, not yet confirmed by a code.
    pub totp_pending: Option<String>,
    /// The last time step whose code was accepted.
    pub totp_last_step: i64,
}

/// A contact to insert in bulk (seeding, imports): fields plus the instants to record.
#[derive(Clone, Debug)]
pub struct BulkContact {
    pub fields: ContactFields,
    pub created_at: crate::model::Timestamp,
    pub purchase_count: i64,
    pub subscriptions: Vec<BulkSubscription>,
    /// Its timeline. The contact's last interaction, signal, open and click, and its
    /// suppression by a hard bounce or complaint, are derived from these by the rules
    /// of `EventKind`.
    pub activities: Vec<BulkActivity>,
}

/// A bulk-loaded contact's subscription, in the state it had, with its evidence.
#[derive(Clone, Debug)]
pub struct BulkSubscription {
    pub newsletter_id: NewsletterId,
    pub state: SubscriptionState,
    pub consent: ConsentEvidence,
}

/// A newsletter the person subscribes to now, with the evidence of their consent.
#[derive(Clone, Debug)]
pub struct Consented {
    pub newsletter_id: NewsletterId,
    pub consent: ConsentEvidence,
}

/// One entry of a bulk-loaded contact's timeline.
#[derive(Clone, Debug)]
pub struct BulkActivity {
    pub kind: crate::model::events::EventKind,
    pub at: crate::model::Timestamp,
    pub detail: String,
}

/// An accepted partner lead: the contact, its subscriptions, and what it is billed.
#[derive(Clone, Debug)]
pub struct PartnerLead {
    pub partner_id: PartnerId,
    pub price_cents: i64,
    pub fields: ContactFields,
    /// Each newsletter the person subscribed to.
    pub subscriptions: Vec<Consented>,
    /// UTC day, `YYYY-MM-DD`, for the counters.
    pub day: String,
    pub now: crate::model::Timestamp,
    /// Who to show on the timeline, e.g. "partner:LeadCo".
    pub actor: String,
}

#[async_trait]
pub trait Store:
    UserStore
    + PartnerStore
    + EngagementStore
    + MailStore
    + SelfServiceStore
    + IncentiveStore
    + SignupStore
    + SettingsStore
    + JobStore
    + imports::ImportStore
    + Send
    + Sync
    + 'static
{
    fn backend(&self) -> Backend;
    /// Answers when the database answers (health checks).
    async fn ping(&self) -> StoreResult<()>;

    // Contacts.
    /// Inserts a contact and its "created" timeline entry. Conflict on `contacts_email_key`.
    async fn insert_contact(
        &self,
        fields: &ContactFields,
        now: crate::model::Timestamp,
        actor: &str,
    ) -> StoreResult<ContactId>;
    /// Replaces a contact's fields and records what changed on its timeline.
    async fn update_contact(
        &self,
        id: ContactId,
        fields: &ContactFields,
        now: crate::model::Timestamp,
        actor: &str,
    ) -> StoreResult<()>;
    async fn contact(&self, id: ContactId) -> StoreResult<Option<Contact>>;
    async fn contact_id_by_email(&self, email: &Email) -> StoreResult<Option<ContactId>>;
    /// A page of the list; `bounds` decides the statuses (shown and filtered).
    async fn list_contacts(
        &self,
        query: &ContactQuery,
        bounds: &crate::model::engagement::StatusBounds,
        limit: usize,
    ) -> StoreResult<ContactPage>;
    async fn timeline(&self, contact_id: ContactId, limit: i64) -> StoreResult<Vec<Activity>>;

    // Newsletters and subscriptions.
    async fn ensure_newsletter(&self, name: &str, description: &str) -> StoreResult<NewsletterId>;
    /// Every newsletter, archived ones too (history), by position then name.
    async fn newsletters(&self) -> StoreResult<Vec<Newsletter>>;
    /// The newsletters that take subscriptions (not archived), by position then name.
    async fn open_newsletters(&self) -> StoreResult<Vec<Newsletter>>;
    /// A new newsletter; `Conflict { newsletters_name_key }` when the name is taken.
    async fn create_newsletter(&self, fields: &crate::model::contact::NewsletterFields) -> StoreResult<NewsletterId>;
    /// Renames, describes, moves a newsletter (its channel stays: subscribers agreed
    /// to that one); `NotFound`, or `Conflict` on the name.
    async fn update_newsletter(
        &self,
        id: NewsletterId,
        fields: &crate::model::contact::NewsletterFields,
    ) -> StoreResult<()>;
    /// Archives a newsletter at `at`, or brings it back (`None`).
    async fn set_newsletter_archived(&self, id: NewsletterId, at: Option<crate::model::Timestamp>) -> StoreResult<()>;
    async fn subscriptions(&self, contact_id: ContactId) -> StoreResult<Vec<Subscription>>;
    async fn set_subscription(
        &self,
        contact_id: ContactId,
        newsletter_id: NewsletterId,
        state: SubscriptionState,
        consent: &ConsentEvidence,
    ) -> StoreResult<()>;

    // Bulk.
    /// Inserts many contacts at once (seeding, imports); addresses already present are
    /// skipped. Returns how many were inserted.
    async fn insert_contacts_bulk(&self, batch: &[BulkContact]) -> StoreResult<u64>;
    async fn count_contacts(&self) -> StoreResult<i64>;
    /// Big loads (seeding, large imports) are several times faster when secondary indexes
    /// are built once at the end instead of maintained row by row: this drops them
    /// (`live`: all but the address hashes' two, which partners' checks need while it
    /// runs)…
    async fn begin_bulk_load(&self, live: bool) -> StoreResult<()>;
    /// … and this (re)creates any that are missing. Also run at start-up, so an
    /// interrupted load never leaves a database without its indexes.
    async fn ensure_indexes(&self) -> StoreResult<()>;
}
