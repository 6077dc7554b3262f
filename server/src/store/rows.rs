//! Decoding rows into model types, shared by both backends.

use app::engagement::{Job, MonthCounts};
use app::model::api_key::Scope;
use app::model::contact::{Activity, ConsentEvidence, Newsletter, Subscription};
use app::model::engagement::{Pool, StatusBounds};
use app::model::{Channel, Contact, ContactFields, ContactRow, Email, Role, SubscriptionState};
use app::partners::{ApiKeyRecord, AuditEntry, Partner, UsageDay};
use app::store::{StoreError, UserRecord};
use chrono::NaiveDate;
use sqlx::{ColumnIndex, Decode, Row, Type};

fn bad(what: &str) -> StoreError {
    StoreError::Database(format!("unexpected stored value in {what}"))
}

/// Reads one column, as any backend's row.
pub fn get<'r, R, T>(row: &'r R, column: &'r str) -> Result<T, StoreError>
where
    R: Row,
    &'r str: ColumnIndex<R>,
    T: Decode<'r, R::Database> + Type<R::Database>,
{
    row.try_get(column).map_err(|e| StoreError::Database(e.to_string()))
}

fn date(value: Option<String>) -> Option<NaiveDate> {
    value.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
}

pub fn iso_date(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

pub fn interests_text(fields: &ContactFields) -> String {
    fields.interests.join(",")
}

pub fn custom_json(fields: &ContactFields) -> String {
    serde_json::to_string(&fields.custom).unwrap_or_else(|_| "{}".into())
}

/// What a bulk-loaded contact's timeline says about its engagement: the instants
/// stored on the contact row, derived from its activities (kind, interaction, at).
#[derive(Default)]
pub struct BulkEngagement {
    pub last_interaction_at: Option<i64>,
    pub last_signal_at: Option<i64>,
    pub last_open_at: Option<i64>,
    pub last_click_at: Option<i64>,
    pub suppressed: Option<(i64, &'static str)>,
}

impl BulkEngagement {
    pub fn of(activities: &[(String, bool, i64, String)]) -> BulkEngagement {
        let mut e = BulkEngagement::default();
        for (kind, interaction, at, _) in activities {
            let at = Some(*at);
            if *interaction {
                e.last_interaction_at = e.last_interaction_at.max(at);
                if kind != "open" {
                    e.last_signal_at = e.last_signal_at.max(at);
                }
            }
            match kind.as_str() {
                "open" => e.last_open_at = e.last_open_at.max(at),
                "click" => e.last_click_at = e.last_click_at.max(at),
                "hard_bounce" if e.suppressed.is_none() => e.suppressed = at.map(|a| (a, "hard_bounce")),
                "complaint" if e.suppressed.is_none() => e.suppressed = at.map(|a| (a, "complaint")),
                _ => {}
            }
        }
        e
    }
}

/// Names of the fields that differ, for the timeline ("Changed: email, phone").
pub fn changed_fields(old: &ContactFields, new: &ContactFields) -> Vec<&'static str> {
    let checks = [
        ("email", old.email != new.email),
        ("first_name", old.first_name != new.first_name),
        ("last_name", old.last_name != new.last_name),
        ("phone", old.phone != new.phone),
        ("birth_date", old.birth_date != new.birth_date),
        ("job_title", old.job_title != new.job_title),
        ("company", old.company != new.company),
        ("address_line1", old.address_line1 != new.address_line1),
        ("address_line2", old.address_line2 != new.address_line2),
        ("postal_code", old.postal_code != new.postal_code),
        ("city", old.city != new.city),
        ("country", old.country != new.country),
        ("interests", old.interests != new.interests),
        ("last_purchase_on", old.last_purchase_on != new.last_purchase_on),
        ("total_spent", old.total_spent_cents != new.total_spent_cents),
        ("custom", old.custom != new.custom),
        ("channel", old.channel != new.channel),
        ("source_detail", old.source_detail != new.source_detail),
    ];
    checks.into_iter().filter(|(_, changed)| *changed).map(|(name, _)| name).collect()
}

macro_rules! row_fns {
    ($row:ty) => {
        pub fn user(row: &$row) -> Result<UserRecord, StoreError> {
            Ok(UserRecord {
                id: get(row, "id")?,
                email: get(row, "email")?,
                role: Role::parse(&get::<_, String>(row, "role")?).ok_or_else(|| bad("users.role"))?,
                password_hash: get(row, "password_hash")?,
                active: get(row, "active")?,
                created_at: get(row, "created_at")?,
                last_login_at: get(row, "last_login_at")?,
            })
        }

        pub fn contact(row: &$row) -> Result<Contact, StoreError> {
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

        fn pool(row: &$row) -> Result<Pool, StoreError> {
            Pool::parse(&get::<_, String>(row, "pool")?).ok_or_else(|| bad("contacts.pool"))
        }

        /// A list row; `activity_at` is the settings' activity column, selected under that name.
        pub fn contact_row(row: &$row, bounds: &StatusBounds) -> Result<ContactRow, StoreError> {
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

        pub fn activity(row: &$row) -> Result<Activity, StoreError> {
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

        pub fn job(row: &$row) -> Result<Job, StoreError> {
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
            })
        }

        pub fn month(row: &$row) -> Result<MonthCounts, StoreError> {
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

        pub fn partner(row: &$row) -> Result<Partner, StoreError> {
            Ok(Partner {
                id: get(row, "id")?,
                name: get(row, "name")?,
                contact_email: get(row, "contact_email")?,
                price_cents: get(row, "price_cents")?,
                daily_quota: get(row, "daily_quota")?,
                created_at: get(row, "created_at")?,
            })
        }

        pub fn api_key(row: &$row) -> Result<ApiKeyRecord, StoreError> {
            let scopes: String = get(row, "scopes")?;
            Ok(ApiKeyRecord {
                id: get(row, "id")?,
                partner_id: get(row, "partner_id")?,
                prefix: get(row, "prefix")?,
                scopes: scopes.split(',').filter_map(Scope::parse).collect(),
                created_at: get(row, "created_at")?,
                expires_at: get(row, "expires_at")?,
                revoked_at: get(row, "revoked_at")?,
                last_used_at: get(row, "last_used_at")?,
                requests_today: get(row, "requests_today")?,
            })
        }

        pub fn audit_entry(row: &$row) -> Result<AuditEntry, StoreError> {
            Ok(AuditEntry {
                at: get(row, "at")?,
                actor: get(row, "actor")?,
                action: get(row, "action")?,
                partner_id: get(row, "partner_id")?,
                detail: get(row, "detail")?,
            })
        }

        pub fn usage_day(row: &$row) -> Result<UsageDay, StoreError> {
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

        pub fn newsletter(row: &$row) -> Result<Newsletter, StoreError> {
            Ok(Newsletter { id: get(row, "id")?, name: get(row, "name")?, description: get(row, "description")? })
        }

        pub fn subscription(row: &$row) -> Result<Subscription, StoreError> {
            Ok(Subscription {
                newsletter: Newsletter {
                    id: get(row, "newsletter_id")?,
                    name: get(row, "name")?,
                    description: get(row, "description")?,
                },
                state: SubscriptionState::parse(&get::<_, String>(row, "state")?)
                    .ok_or_else(|| bad("subscriptions.state"))?,
                consent: ConsentEvidence {
                    at: get(row, "consent_at")?,
                    channel: get(row, "consent_channel")?,
                    form: get(row, "consent_form")?,
                    text: get(row, "consent_text")?,
                },
            })
        }
    };
}

pub mod sqlite {
    use super::*;
    row_fns!(sqlx::sqlite::SqliteRow);
}

pub mod postgres {
    use super::*;
    row_fns!(sqlx::postgres::PgRow);
}
