//! Sign-ups waiting for their confirmation.
//!
//! Portable SQL: this file is mounted once per backend (`sqlite/mod.rs`,
//! `postgres/mod.rs`), where `Db` and `DbStore` name that backend's database and store.

use super::*;
use app::model::contact::ConsentEvidence;
use app::model::{Channel, ContactFields, ContactForm, SubscriptionState};
use app::store::{NewSignup, SignupOutcome, SignupStore, StoreError, StoreResult};
use sqlx::Row;

/// How long an expired or confirmed sign-up's token hash is remembered
/// (without any personal data), so its link says what became of it.
const SIGNUP_MEMORY_SECS: i64 = 30 * 86_400;

/// The contact with this address: its id, and whether it is suppressed.
async fn find(conn: &mut Conn, fields: &ContactFields) -> StoreResult<Option<(app::model::ContactId, bool)>> {
    let row = sqlx::query(
        "SELECT c.id, e.suppressed_at FROM contacts c JOIN engagement e ON e.contact_id = c.id WHERE c.email = $1",
    )
    .bind(fields.email.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(map_err)?;
    Ok(row.map(|r| (r.get::<app::model::ContactId, _>(0), r.get::<Option<i64>, _>(1).is_some())))
}

/// A contact signed up: its id, whether it was created, and the names of the
/// newsletters subscribed.
type Joined = (app::model::ContactId, bool, Vec<String>);

/// The contact with this address (created from `fields` if new; an existing
/// contact's data is left as it is), subscribed to each newsletter with its
/// evidence. `None` when the address is suppressed: nothing is written.
async fn subscribe_in(
    conn: &mut Conn,
    fields: &ContactFields,
    subscriptions: &[app::store::Consented],
    now: app::model::Timestamp,
    actor: &str,
) -> StoreResult<Option<Joined>> {
    let found = match find(&mut *conn, fields).await? {
        Some(found) => Some(found),
        // On the imported suppression list: as good as suppressed, never created.
        None if on_suppression_list(&mut *conn, &fields.email).await? => return Ok(None),
        None => {
            // Two confirmations of one address racing: the second finds the
            // first's row instead of failing on the unique address.
            let sql = insert_contact_sql("ON CONFLICT (email) DO NOTHING");
            let inserted =
                bind_contact(sqlx::query(&sql), fields).bind(now).fetch_optional(&mut *conn).await.map_err(map_err)?;
            match inserted {
                Some(row) => {
                    let id: app::model::ContactId = row.get(0);
                    let detail = match fields.source_detail.as_str() {
                        "" => format!("Created ({})", fields.channel.label()),
                        source => format!("Created ({}: {source})", fields.channel.label()),
                    };
                    add_activity(&mut *conn, id, "created", now, &detail, actor).await?;
                    return subscribe(conn, id, true, subscriptions).await.map(Some);
                }
                None => find(&mut *conn, fields).await?,
            }
        }
    };
    match found {
        Some((_, true)) => Ok(None),
        Some((id, false)) => subscribe(conn, id, false, subscriptions).await.map(Some),
        None => Err(StoreError::Database("a contact vanished while being signed up".into())),
    }
}

async fn subscribe(
    conn: &mut Conn,
    contact_id: app::model::ContactId,
    created: bool,
    subscriptions: &[app::store::Consented],
) -> StoreResult<Joined> {
    let mut names = Vec::new();
    for s in subscriptions {
        let state = SubscriptionState::Subscribed;
        names.push(write_subscription(&mut *conn, contact_id, s.newsletter_id, state, &s.consent).await?);
    }
    names.sort();
    Ok((contact_id, created, names))
}

#[async_trait::async_trait]
impl SignupStore for DbStore {
    #[tracing::instrument(skip_all)]
    async fn create_signup(&self, s: &NewSignup) -> StoreResult<i64> {
        let offers = serde_json::to_string(&s.offers).unwrap_or_else(|_| "[]".into());
        let row = sqlx::query(
            "INSERT INTO signups (token_hash, email, first_name, channel, source_detail, lang, offers, form, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(&s.token_hash)
        .bind(s.email.as_str())
        .bind(&s.first_name)
        .bind(s.channel.as_str())
        .bind(&s.source_detail)
        .bind(&s.lang)
        .bind(offers)
        .bind(&s.form)
        .bind(s.created_at)
        .bind(s.expires_at)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(row.get(0))
    }

    async fn signup_state(&self, token_hash: &str) -> StoreResult<Option<app::store::SignupState>> {
        let row = sqlx::query("SELECT expires_at, confirmed_at FROM signups WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(row.map(|r| app::store::SignupState { expires_at: r.get(0), confirmed_at: r.get(1) }))
    }

    #[tracing::instrument(skip_all)]
    async fn confirm_signup(&self, token_hash: &str, now: app::model::Timestamp) -> StoreResult<SignupOutcome> {
        let mut tx = self.begin_write().await?;
        // The claim first: a second confirmation of the same link waits for
        // this one and then finds it used.
        let claimed = sqlx::query(
            "UPDATE signups SET confirmed_at = $1 WHERE token_hash = $2 AND confirmed_at IS NULL AND expires_at > $1 \
             RETURNING email, first_name, channel, source_detail, offers, form, created_at",
        )
        .bind(now)
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err)?;
        let Some(row) = claimed else {
            let state = sqlx::query("SELECT confirmed_at FROM signups WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(&mut *tx)
                .await
                .map_err(map_err)?;
            return Ok(match state.map(|r| r.get::<Option<i64>, _>(0)) {
                None => SignupOutcome::Unknown,
                Some(Some(_)) => SignupOutcome::Used,
                Some(None) => SignupOutcome::Expired,
            });
        };
        let channel = Channel::parse(&row.get::<String, _>("channel")).unwrap_or_default();
        let form = ContactForm {
            email: row.get("email"),
            first_name: row.get("first_name"),
            channel: channel.as_str().into(),
            source_detail: row.get("source_detail"),
            ..Default::default()
        };
        let today = now.date();
        let fields =
            form.validate(today).map_err(|_| StoreError::Database("a stored sign-up no longer validates".into()))?;
        let offers: Vec<(app::model::NewsletterId, String)> =
            serde_json::from_str(&row.get::<String, _>("offers")).unwrap_or_default();
        let form_name: String = row.get("form");
        let signed_up_at: app::model::Timestamp = row.get("created_at");
        let signed_up = signed_up_at.datetime();
        let subscriptions: Vec<app::store::Consented> = offers
            .into_iter()
            .map(|(newsletter_id, words)| {
                let consent = ConsentEvidence {
                    at: now,
                    channel: channel.as_str().into(),
                    form: form_name.clone(),
                    text: format!(
                        "{words} (ticked on {}, confirmed by the link mailed to this address)",
                        signed_up.format("%Y-%m-%d %H:%M UTC")
                    ),
                };
                app::store::Consented { newsletter_id, consent }
            })
            .collect();
        let Some((contact_id, _, newsletters)) =
            subscribe_in(&mut tx, &fields, &subscriptions, now, "sign-up form").await?
        else {
            // Suppressed: nothing is written (the claim rolls back with the rest).
            return Ok(SignupOutcome::Unknown);
        };
        // The contact holds it all now: the sign-up keeps no personal data.
        sqlx::query(
            "UPDATE signups SET contact_id = $1, email = '', first_name = '', offers = '[]' WHERE token_hash = $2",
        )
        .bind(contact_id)
        .bind(token_hash)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(SignupOutcome::Confirmed { contact_id, newsletters })
    }

    #[tracing::instrument(skip_all)]
    async fn subscribe_contact(
        &self,
        fields: &ContactFields,
        subscriptions: &[app::store::Consented],
        now: app::model::Timestamp,
        actor: &str,
    ) -> StoreResult<Option<app::store::Subscribed>> {
        let mut tx = self.begin_write().await?;
        let done = subscribe_in(&mut tx, fields, subscriptions, now, actor).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(done.map(|(contact_id, created, _)| app::store::Subscribed { contact_id, created }))
    }

    async fn purge_signups(&self, now: app::model::Timestamp) -> StoreResult<u64> {
        // Expired: the personal data goes now; the token's hash stays a while so
        // an old link still says "expired, sign up again".
        sqlx::query(
            "UPDATE signups SET email = '', first_name = '', offers = '[]' WHERE expires_at <= $1 AND email <> ''",
        )
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        let done = sqlx::query("DELETE FROM signups WHERE expires_at <= $1")
            .bind(now - SIGNUP_MEMORY_SECS)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        // Their confirmation mails (with the address and the link) once the
        // links they carry can no longer work.
        sqlx::query(
            "DELETE FROM outbox WHERE kind = 'signup_confirmation' AND contact_id IS NULL AND created_at <= $1",
        )
        .bind(now - app::signup::service::CONFIRM_DAYS * 86_400)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        sqlx::query("DELETE FROM login_failures WHERE window_started < $1")
            .bind(now - 2 * 86_400)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected())
    }
}
