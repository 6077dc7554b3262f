//! Contacts, newsletters and subscriptions, and bulk loads: the core of `Store`.
//!
//! Portable SQL: this file is mounted once per backend (`sqlite/mod.rs`,
//! `postgres/mod.rs`), where `Db` and `DbStore` name that backend's database and store.

use super::*;
use crate::store::values::{changed_fields, custom_json, interests_text, iso_date};
use app::model::contact::{Activity, ConsentEvidence, Newsletter, Subscription};
use app::model::engagement::StatusBounds;
use app::model::{Contact, ContactFields, ContactPage, ContactQuery, ContactSort, Cursor, Email, SubscriptionState};
use app::store::{BulkContact, Store, StoreResult};
use sqlx::{QueryBuilder, Row};

type Query<'q> = sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments<'q>>;

/// Binds a contact's 22 stored fields, in the order of `$1`…`$22` in both the
/// INSERT and the UPDATE.
pub(super) fn bind_contact<'q>(query: Query<'q>, fields: &'q ContactFields) -> Query<'q> {
    query
        .bind(fields.email.as_str())
        .bind(fields.email.md5_hex())
        .bind(fields.email.sha256_hex())
        .bind(&fields.first_name)
        .bind(&fields.last_name)
        .bind(&fields.phone)
        .bind(iso_date(fields.birth_date))
        .bind(&fields.job_title)
        .bind(&fields.company)
        .bind(&fields.address_line1)
        .bind(&fields.address_line2)
        .bind(&fields.postal_code)
        .bind(&fields.city)
        .bind(&fields.country)
        .bind(interests_text(fields))
        .bind(iso_date(fields.last_purchase_on))
        .bind(fields.total_spent_cents)
        .bind(custom_json(fields))
        .bind(fields.channel.as_str())
        .bind(&fields.source_detail)
        .bind(fields.sort_name())
        .bind(fields.search_text())
}

/// Inserts one contact: `bind_contact` fills $1…$22, then $23 is the instant;
/// `on_conflict` is an optional `ON CONFLICT …` clause.
pub(super) fn insert_contact_sql(on_conflict: &str) -> String {
    format!(
        "INSERT INTO contacts (email, email_md5, email_sha256, first_name, last_name, phone, birth_date, \
           job_title, company, address_line1, address_line2, postal_code, city, country, interests, \
           last_purchase_on, total_spent_cents, custom, channel, source_detail, sort_name, search, \
           created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $23) \
         {on_conflict} RETURNING id"
    )
}

/// A whole contact: its row and its engagement row (`… WHERE c.id = …`).
pub(super) const SELECT_CONTACT: &str =
    "SELECT c.id, c.email, c.email_md5, c.email_sha256, c.first_name, c.last_name, \
     c.phone, c.birth_date, c.job_title, c.company, c.address_line1, c.address_line2, c.postal_code, c.city, \
     c.country, c.interests, c.last_purchase_on, c.total_spent_cents, c.purchase_count, c.custom, c.channel, \
     c.source_detail, e.last_interaction_at, e.last_signal_at, e.last_open_at, e.last_click_at, e.suppressed_at, \
     e.suppression_reason, e.pool, c.created_at, c.updated_at \
     FROM contacts c JOIN engagement e ON e.contact_id = c.id";

pub(super) type Conn = <Db as sqlx::Database>::Connection;

/// Whether an address is on the imported suppression list (by either of its hashes):
/// such a person is never created again, whichever door they come through.
pub(super) async fn on_suppression_list(conn: &mut Conn, email: &app::model::Email) -> StoreResult<bool> {
    let hit = sqlx::query("SELECT 1 FROM suppression_hashes WHERE hash IN ($1, $2) LIMIT 1")
        .bind(email.sha256_hex())
        .bind(email.md5_hex())
        .fetch_optional(&mut *conn)
        .await
        .map_err(map_err)?;
    Ok(hit.is_some())
}

/// One line on a contact's timeline (not an interaction).
pub(super) async fn add_activity(
    conn: &mut Conn,
    contact_id: app::model::ContactId,
    kind: &str,
    at: app::model::Timestamp,
    detail: &str,
    actor: &str,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO activities (contact_id, kind, interaction, occurred_at, detail, actor) VALUES ($1, $2, FALSE, $3, $4, $5)")
        .bind(contact_id)
        .bind(kind)
        .bind(at)
        .bind(detail)
        .bind(actor)
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    Ok(())
}

/// Sets one subscription with its consent evidence, puts it on the timeline and
/// marks the contact updated (inside the caller's transaction); returns the
/// newsletter's name.
pub(super) async fn write_subscription(
    conn: &mut Conn,
    contact_id: app::model::ContactId,
    newsletter_id: app::model::NewsletterId,
    state: SubscriptionState,
    consent: &ConsentEvidence,
) -> StoreResult<String> {
    sqlx::query(
        "INSERT INTO subscriptions (contact_id, newsletter_id, state, consent_at, consent_channel, consent_form, consent_text) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (contact_id, newsletter_id) DO UPDATE SET state = excluded.state, consent_at = excluded.consent_at, \
           consent_channel = excluded.consent_channel, consent_form = excluded.consent_form, consent_text = excluded.consent_text",
    )
    .bind(contact_id)
    .bind(newsletter_id)
    .bind(state.as_str())
    .bind(consent.at)
    .bind(&consent.channel)
    .bind(&consent.form)
    .bind(&consent.text)
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    let name: Option<String> = sqlx::query("SELECT name FROM newsletters WHERE id = $1")
        .bind(newsletter_id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(map_err)?
        .map(|r| r.get(0));
    let name = name.unwrap_or_default();
    let detail = format!("{name} – {} ({}, {})", state.label(), consent.channel, consent.form);
    add_activity(&mut *conn, contact_id, "subscription", consent.at, &detail, &consent.channel).await?;
    sqlx::query("UPDATE contacts SET updated_at = $1 WHERE id = $2")
        .bind(consent.at)
        .bind(contact_id)
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    Ok(name)
}

#[async_trait::async_trait]
impl Store for DbStore {
    fn backend(&self) -> app::store::Backend {
        Self::BACKEND
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(map_err)?;
        Ok(())
    }

    #[tracing::instrument(skip(self, fields, actor))]
    async fn insert_contact(
        &self,
        fields: &ContactFields,
        now: app::model::Timestamp,
        actor: &str,
    ) -> StoreResult<app::model::ContactId> {
        let mut tx = self.begin_write().await?;
        if on_suppression_list(&mut tx, &fields.email).await? {
            return Err(StoreError::Conflict { constraint: "suppression_list".into() });
        }
        let sql = insert_contact_sql("");
        let query = sqlx::query(&sql);
        let row = bind_contact(query, fields).bind(now).fetch_one(&mut *tx).await.map_err(map_err)?;
        let id: app::model::ContactId = row.get(0);
        add_activity(&mut tx, id, "created", now, &format!("Created ({})", fields.channel.label()), actor).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(id)
    }

    #[tracing::instrument(skip(self, fields, actor))]
    async fn update_contact(
        &self,
        id: app::model::ContactId,
        fields: &ContactFields,
        now: app::model::Timestamp,
        actor: &str,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let old = sqlx::query(&format!("{SELECT_CONTACT} WHERE c.id = $1"))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?
            .ok_or(StoreError::NotFound)?;
        let old = rows::contact(&old)?;
        if old.is_erased() {
            // Its kept hashes would be recomputed from the placeholder address, and the
            // person would stop being known to partners.
            return Err(StoreError::Erased);
        }
        let changed = changed_fields(&old.fields, fields);
        if changed.is_empty() {
            return Ok(());
        }
        if old.fields.email != fields.email && on_suppression_list(&mut tx, &fields.email).await? {
            return Err(StoreError::Conflict { constraint: "suppression_list".into() });
        }
        let query = sqlx::query(
            "UPDATE contacts SET email = $1, email_md5 = $2, email_sha256 = $3, first_name = $4, last_name = $5, \
               phone = $6, birth_date = $7, job_title = $8, company = $9, address_line1 = $10, address_line2 = $11, \
               postal_code = $12, city = $13, country = $14, interests = $15, last_purchase_on = $16, \
               total_spent_cents = $17, custom = $18, channel = $19, source_detail = $20, sort_name = $21, \
               search = $22, updated_at = $23 WHERE id = $24",
        );
        bind_contact(query, fields).bind(now).bind(id).execute(&mut *tx).await.map_err(map_err)?;
        let detail = format!("Changed: {}", changed.join(", ").replace('_', " "));
        add_activity(&mut tx, id, "edited", now, &detail, actor).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(())
    }

    async fn contact(&self, id: app::model::ContactId) -> StoreResult<Option<Contact>> {
        let row = sqlx::query(&format!("{SELECT_CONTACT} WHERE c.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.as_ref().map(rows::contact).transpose()
    }

    async fn contact_id_by_email(&self, email: &Email) -> StoreResult<Option<app::model::ContactId>> {
        let row = sqlx::query("SELECT id FROM contacts WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(row.map(|r| r.get(0)))
    }

    #[tracing::instrument(skip_all)]
    async fn list_contacts(
        &self,
        query: &ContactQuery,
        bounds: &StatusBounds,
        limit: usize,
    ) -> StoreResult<ContactPage> {
        let (key_column, descending) = match query.sort {
            ContactSort::Newest => ("created_at", true),
            ContactSort::Oldest => ("created_at", false),
            ContactSort::Name => ("sort_name", false),
            ContactSort::RecentlyUpdated => ("updated_at", true),
        };
        let after = query.after.as_deref().and_then(Cursor::decode);
        let before = if after.is_none() { query.before.as_deref().and_then(Cursor::decode) } else { None };
        // Going backwards reverses the order, then the page is flipped back.
        let backwards = before.is_some();
        let desc = descending != backwards;

        let substring_search = !query.q.is_empty() && Email::parse(&query.q).is_err();
        let mut b: QueryBuilder<Db> = QueryBuilder::new(format!(
            "SELECT c.id, c.email, c.first_name, c.last_name, c.company, c.channel, c.created_at, c.updated_at, \
                 e.{} AS activity_at, e.suppressed_at, e.pool FROM ",
            bounds.column
        ));
        b.push(if substring_search { Self::SEARCH_SOURCE } else { "contacts c" });
        b.push(" JOIN engagement e ON e.contact_id = c.id");
        contact_filters(&mut b, query, bounds);
        if let Some(cursor) = after.as_ref().or(before.as_ref()) {
            b.push(format!(" AND (c.{key_column}, c.id) {} (", if desc { "<" } else { ">" }));
            if key_column == "sort_name" {
                b.push_bind(cursor.key.clone());
            } else {
                b.push_bind(cursor.key.parse::<i64>().unwrap_or(0));
            }
            b.push(", ").push_bind(cursor.id).push(")");
        }
        let dir = if desc { "DESC" } else { "ASC" };
        b.push(format!(" ORDER BY c.{key_column} {dir}, c.id {dir} LIMIT "));
        b.push_bind((limit + 1) as i64);
        let fetched = b.build().fetch_all(&self.pool).await.map_err(map_err)?;
        let mut list = fetched.iter().map(|r| rows::contact_row(r, bounds)).collect::<StoreResult<Vec<_>>>()?;
        let more = list.len() > limit;
        list.truncate(limit);
        if backwards {
            list.reverse();
        }
        let cursor_of = |row: &app::model::ContactRow| Cursor { key: query.sort.key_of(row), id: row.id }.encode();
        let (next, prev) = match (list.first(), list.last()) {
            (Some(first), Some(last)) if backwards => (Some(cursor_of(last)), more.then(|| cursor_of(first))),
            (Some(first), Some(last)) => (more.then(|| cursor_of(last)), after.is_some().then(|| cursor_of(first))),
            _ => (None, None),
        };
        // Counting a free-text search means scanning every row: only count when cheap.
        let total = if query.q.is_empty() {
            let mut count: QueryBuilder<Db> =
                QueryBuilder::new("SELECT COUNT(*) FROM contacts c JOIN engagement e ON e.contact_id = c.id");
            contact_filters(&mut count, query, bounds);
            let row = count.build().fetch_one(&self.pool).await.map_err(map_err)?;
            Some(row.get::<i64, _>(0))
        } else {
            None
        };
        Ok(ContactPage { rows: list, next, prev, total })
    }

    async fn timeline(&self, contact_id: app::model::ContactId, limit: i64) -> StoreResult<Vec<Activity>> {
        let list =
            sqlx::query("SELECT * FROM activities WHERE contact_id = $1 ORDER BY occurred_at DESC, id DESC LIMIT $2")
                .bind(contact_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
        list.iter().map(rows::activity).collect()
    }

    async fn ensure_newsletter(&self, name: &str, description: &str) -> StoreResult<app::model::NewsletterId> {
        sqlx::query("INSERT INTO newsletters (name, description) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(description)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        let row = sqlx::query("SELECT id FROM newsletters WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(row.get(0))
    }

    async fn newsletters(&self) -> StoreResult<Vec<Newsletter>> {
        let list = sqlx::query("SELECT * FROM newsletters ORDER BY position, name, id")
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        list.iter().map(rows::newsletter).collect()
    }

    async fn open_newsletters(&self) -> StoreResult<Vec<Newsletter>> {
        let list = sqlx::query("SELECT * FROM newsletters WHERE archived_at IS NULL ORDER BY position, name, id")
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        list.iter().map(rows::newsletter).collect()
    }

    #[tracing::instrument(skip(self))]
    async fn create_newsletter(
        &self,
        fields: &app::model::contact::NewsletterFields,
    ) -> StoreResult<app::model::NewsletterId> {
        let row = sqlx::query(
            "INSERT INTO newsletters (name, description, channel, position) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(&fields.name)
        .bind(&fields.description)
        .bind(fields.channel.as_str())
        .bind(fields.position)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(row.get(0))
    }

    #[tracing::instrument(skip(self))]
    async fn update_newsletter(
        &self,
        id: app::model::NewsletterId,
        fields: &app::model::contact::NewsletterFields,
    ) -> StoreResult<()> {
        let done = sqlx::query("UPDATE newsletters SET name = $2, description = $3, position = $4 WHERE id = $1")
            .bind(id)
            .bind(&fields.name)
            .bind(&fields.description)
            .bind(fields.position)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        found(done.rows_affected())
    }

    #[tracing::instrument(skip(self))]
    async fn set_newsletter_archived(
        &self,
        id: app::model::NewsletterId,
        at: Option<app::model::Timestamp>,
    ) -> StoreResult<()> {
        let done = sqlx::query("UPDATE newsletters SET archived_at = $2 WHERE id = $1")
            .bind(id)
            .bind(at)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        found(done.rows_affected())
    }

    async fn subscriptions(&self, contact_id: app::model::ContactId) -> StoreResult<Vec<Subscription>> {
        let list = sqlx::query(
            "SELECT s.*, n.name, n.description, n.channel AS newsletter_channel, n.position, n.archived_at \
             FROM subscriptions s JOIN newsletters n ON n.id = s.newsletter_id \
             WHERE s.contact_id = $1 ORDER BY n.position, n.name",
        )
        .bind(contact_id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        list.iter().map(rows::subscription).collect()
    }

    #[tracing::instrument(skip(self, consent))]
    async fn set_subscription(
        &self,
        contact_id: app::model::ContactId,
        newsletter_id: app::model::NewsletterId,
        state: SubscriptionState,
        consent: &ConsentEvidence,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        write_subscription(&mut tx, contact_id, newsletter_id, state, consent).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(rows = batch.len()))]
    async fn insert_contacts_bulk(&self, batch: &[BulkContact]) -> StoreResult<u64> {
        self.insert_bulk(batch).await
    }

    async fn begin_bulk_load(&self, live: bool) -> StoreResult<()> {
        self.drop_bulk_indexes(live).await
    }

    async fn ensure_indexes(&self) -> StoreResult<()> {
        self.create_missing_indexes().await
    }

    async fn count_contacts(&self) -> StoreResult<i64> {
        let row = sqlx::query("SELECT COUNT(*) FROM contacts").fetch_one(&self.pool).await.map_err(map_err)?;
        Ok(row.get(0))
    }
}
