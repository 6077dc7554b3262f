//! Decoding this backend's rows into model types (mounted once per backend).

use super::Db;
use crate::store::values::*;
use app::engagement::MonthCounts;
use app::model::api_key::Scope;
use app::model::contact::{Activity, ConsentEvidence, Newsletter, NewsletterChannel, Subscription};
use app::model::engagement::{Pool, StatusBounds};
use app::model::{Channel, Contact, ContactFields, ContactRow, Email, Role, SubscriptionState};
use app::partners::{ApiKeyRecord, AuditEntry, Partner, UsageDay};
use app::platform::jobs::Job;
use app::store::{StoreError, UserRecord};

type DbRow = <Db as sqlx::Database>::Row;

pub fn user(row: &DbRow) -> Result<UserRecord, StoreError> {
    Ok(UserRecord {
        id: get(row, "id")?,
        email: get(row, "email")?,
        role: Role::parse(&get::<_, String>(row, "role")?).ok_or_else(|| bad("users.role"))?,
        password_hash: get(row, "password_hash")?,
        active: get(row, "active")?,
        created_at: get(row, "created_at")?,
        last_login_at: get(row, "last_login_at")?,
        password_changed_at: get(row, "password_changed_at")?,
        must_change_password: get(row, "must_change_password")?,
        session_epoch: get(row, "session_epoch")?,
        totp_secret: get(row, "totp_secret")?,
        totp_pending: get(row, "totp_pending")?,
        totp_last_step: get(row, "totp_last_step")?,
    })
}

pub fn contact(row: &DbRow) -> Result<Contact, StoreError> {
    let interests: String = get(row, "interests")?;
    let custom: String = get(row, "custom")?;
    let fields = ContactFields {
        email: Email::parse(&get::<_, String>(row, "email")?).map_err(|_| bad("contacts.email"))?,
        first_name: get(row, "first_name")?,
        last_name: get(row, "last_name")?,
        phone: get(row, "phone")?,
        birth_date: date(get(row, "birth_date")?),
        job_title: get(row, "job_title")?,
        company: get(row, "company")?,
        address_line1: get(row, "address_line1")?,
        address_line2: get(row, "address_line2")?,
        postal_code: get(row, "postal_code")?,
        city: get(row, "city")?,
        country: get(row, "country")?,
        interests: interests.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect(),
        last_purchase_on: date(get(row, "last_purchase_on")?),
        total_spent_cents: get(row, "total_spent_cents")?,
        custom: serde_json::from_str(&custom).map_err(|_| bad("contacts.custom"))?,
        channel: Channel::parse(&get::<_, String>(row, "channel")?).ok_or_else(|| bad("contacts.channel"))?,
        source_detail: get(row, "source_detail")?,
    };
    Ok(Contact {
        id: get(row, "id")?,
        fields,
        email_md5: get(row, "email_md5")?,
        email_sha256: get(row, "email_sha256")?,
        purchase_count: get(row, "purchase_count")?,
        last_interaction_at: get(row, "last_interaction_at")?,
        last_signal_at: get(row, "last_signal_at")?,
        last_open_at: get(row, "last_open_at")?,
        last_click_at: get(row, "last_click_at")?,
        suppressed_at: get(row, "suppressed_at")?,
        suppression_reason: get(row, "suppression_reason")?,
        pool: pool(row)?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

fn pool(row: &DbRow) -> Result<Pool, StoreError> {
    Pool::parse(&get::<_, String>(row, "pool")?).ok_or_else(|| bad("contacts.pool"))
}

/// A list row; `activity_at` is the settings' activity column, selected under that name.
pub fn contact_row(row: &DbRow, bounds: &StatusBounds) -> Result<ContactRow, StoreError> {
    let created_at = get(row, "created_at")?;
    Ok(ContactRow {
        status: bounds.status(get(row, "activity_at")?, created_at),
        suppressed: get::<_, Option<i64>>(row, "suppressed_at")?.is_some(),
        pool: pool(row)?,
        id: get(row, "id")?,
        email: get(row, "email")?,
        first_name: get(row, "first_name")?,
        last_name: get(row, "last_name")?,
        company: get(row, "company")?,
        channel: Channel::parse(&get::<_, String>(row, "channel")?).ok_or_else(|| bad("contacts.channel"))?,
        created_at,
        updated_at: get(row, "updated_at")?,
    })
}

pub fn activity(row: &DbRow) -> Result<Activity, StoreError> {
    Ok(Activity {
        id: get(row, "id")?,
        kind: get(row, "kind")?,
        interaction: get(row, "interaction")?,
        occurred_at: get(row, "occurred_at")?,
        detail: get(row, "detail")?,
        actor: get(row, "actor")?,
        campaign: get(row, "campaign")?,
    })
}

pub fn job(row: &DbRow) -> Result<Job, StoreError> {
    Ok(Job {
        id: get(row, "id")?,
        kind: get(row, "kind")?,
        state: get(row, "state")?,
        params: get(row, "params")?,
        total: get(row, "total")?,
        done: get(row, "done")?,
        next_id: get(row, "next_id")?,
        message: get(row, "message")?,
        created_by: get(row, "created_by")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
        title: String::new(),
        next: Vec::new(),
        lease: String::new(),
    })
}

pub fn month(row: &DbRow) -> Result<MonthCounts, StoreError> {
    Ok(MonthCounts {
        month: get(row, "month")?,
        counts: [
            get(row, "recent")?,
            get(row, "engaged")?,
            get(row, "disengaged")?,
            get(row, "inactive")?,
            get(row, "new")?,
        ],
    })
}

pub fn partner(row: &DbRow) -> Result<Partner, StoreError> {
    Ok(Partner {
        id: get(row, "id")?,
        name: get(row, "name")?,
        contact_email: get(row, "contact_email")?,
        price_cents: get(row, "price_cents")?,
        daily_quota: get(row, "daily_quota")?,
        own: get(row, "own")?,
        created_at: get(row, "created_at")?,
    })
}

pub fn api_key(row: &DbRow) -> Result<ApiKeyRecord, StoreError> {
    let scopes: String = get(row, "scopes")?;
    Ok(ApiKeyRecord {
        id: get(row, "id")?,
        partner_id: get(row, "partner_id")?,
        prefix: get(row, "prefix")?,
        scopes: scopes.split(',').filter_map(Scope::parse).collect(),
        event_kinds: get::<_, String>(row, "event_kinds")?
            .split(',')
            .filter_map(app::model::events::EventKind::parse)
            .collect(),
        created_at: get(row, "created_at")?,
        expires_at: get(row, "expires_at")?,
        revoked_at: get(row, "revoked_at")?,
        last_used_at: get(row, "last_used_at")?,
        requests_today: get(row, "requests_today")?,
    })
}

pub fn audit_entry(row: &DbRow) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        at: get(row, "at")?,
        actor: get(row, "actor")?,
        action: get(row, "action")?,
        partner_id: get(row, "partner_id")?,
        detail: get(row, "detail")?,
    })
}

pub fn usage_day(row: &DbRow) -> Result<UsageDay, StoreError> {
    Ok(UsageDay {
        day: get(row, "day")?,
        checks: get(row, "checks")?,
        hits: get(row, "hits")?,
        accepted: get(row, "accepted")?,
        duplicates: get(row, "duplicates")?,
        invalid: get(row, "invalid")?,
        billed_cents: get(row, "billed_cents")?,
    })
}

pub fn newsletter(row: &DbRow) -> Result<Newsletter, StoreError> {
    Ok(Newsletter {
        id: get(row, "id")?,
        name: get(row, "name")?,
        description: get(row, "description")?,
        channel: NewsletterChannel::parse(&get::<_, String>(row, "channel")?)
            .ok_or_else(|| bad("newsletters.channel"))?,
        position: get(row, "position")?,
        archived: get::<_, Option<app::model::Timestamp>>(row, "archived_at")?.is_some(),
    })
}

pub fn subscription(row: &DbRow) -> Result<Subscription, StoreError> {
    Ok(Subscription {
        newsletter: Newsletter {
            id: get(row, "newsletter_id")?,
            name: get(row, "name")?,
            description: get(row, "description")?,
            channel: NewsletterChannel::parse(&get::<_, String>(row, "newsletter_channel")?)
                .ok_or_else(|| bad("newsletters.channel"))?,
            position: get(row, "position")?,
            archived: get::<_, Option<app::model::Timestamp>>(row, "archived_at")?.is_some(),
        },
        state: SubscriptionState::parse(&get::<_, String>(row, "state")?).ok_or_else(|| bad("subscriptions.state"))?,
        consent: ConsentEvidence {
            at: get(row, "consent_at")?,
            channel: get(row, "consent_channel")?,
            form: get(row, "consent_form")?,
            text: get(row, "consent_text")?,
        },
    })
}
