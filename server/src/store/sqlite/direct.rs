//! Bulk writes through SQLite's own prepared statements, on the connection (and inside
//! the transaction) sqlx holds: one statement prepared once and stepped for each row.
//!
//! Through sqlx, a row of a multi-row `INSERT` costs 26 bound values each copied into
//! the driver's argument list, sent to its worker thread and copied again into SQLite:
//! 15 µs a contact measured in an import's batch, where SQLite's own work is about 5.
//! Here each value goes from the row straight to SQLite (which copies it once), on the
//! calling thread. This relies on sqlx and rusqlite sharing one libsqlite3-sys: an
//! upgrade that parts them fails to build rather than mixing two SQLite libraries.

use super::map_err;
use crate::store::values::{custom_json, interests_text, iso_date};
use app::model::{ContactFields, ContactId, Timestamp};
use app::store::{Consented, StoreError, StoreResult};
use std::collections::HashMap;

type Tx = sqlx::Transaction<'static, sqlx::Sqlite>;

fn failed(e: rusqlite::Error) -> StoreError {
    StoreError::Database(format!("sqlite: {e}"))
}

/// Runs `work` on the transaction's connection, with sqlx's worker held off it. The
/// work blocks for as long as the statements take (tens of milliseconds a batch): on a
/// multi-threaded runtime it tells the runtime so, and other tasks move to its other
/// threads meanwhile.
async fn with_connection<T>(
    tx: &mut Tx,
    work: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
) -> StoreResult<T> {
    let mut handle = tx.lock_handle().await.map_err(map_err)?;
    let raw = handle.as_raw_handle();
    let run = || {
        // SAFETY: the handle is sqlx's open connection, locked for us until `handle` is
        // dropped (after this closure returns): no other code uses it meanwhile. The
        // rusqlite connection borrows it without owning it (`from_handle` never closes
        // it) and finalizes the statements it prepared when dropped, here.
        let connection = unsafe { rusqlite::Connection::from_handle(raw.as_ptr()) }?;
        work(&connection)
    };
    // (Never called inside a `LocalSet`, where `block_in_place` is not allowed.)
    let flavor = tokio::runtime::Handle::try_current().map(|runtime| runtime.runtime_flavor());
    let outcome = match flavor {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(run),
        _ => run(),
    };
    drop(handle);
    outcome.map_err(failed)
}

/// Closes a connection that comes back to the pool inside a transaction (SQLite rolls
/// it back as it closes): a task cancelled while its `BEGIN IMMEDIATE` was under way (a
/// job's run aborted) leaves the statement executed with no transaction object to end
/// it, and the pooled connection would otherwise keep the database's write lock until
/// it happened to be used again, and then fail (sqlx counts it as mid-transaction).
/// Returns whether the connection may be used again.
pub(crate) async fn end_abandoned_transaction(conn: &mut sqlx::SqliteConnection) -> Result<bool, sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    // SAFETY: the handle is the open connection, locked for us while `handle` lives;
    // `sqlite3_get_autocommit` only reads its state.
    let in_transaction = unsafe { rusqlite::ffi::sqlite3_get_autocommit(handle.as_raw_handle().as_ptr()) == 0 };
    if in_transaction {
        tracing::warn!("a connection came back to the pool inside a transaction: closed, its transaction rolled back");
    }
    Ok(!in_transaction)
}

/// Contacts one statement inserts: a statement's own cost (its journal, the cursors
/// its trigger opens) is shared by its rows, and 40 rows of 24 values stay well under
/// SQLite's limit on bound values.
const CONTACTS_A_STATEMENT: usize = 40;

/// `INSERT INTO contacts … VALUES (…), (…) …` for `rows` rows, returning each new
/// contact's id and address.
fn insert_contacts_sql(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|r| {
            let params: Vec<String> = (1..=24).map(|i| format!("?{}", r * 24 + i)).collect();
            // The row's instant twice: created and updated.
            format!("({}, ?{})", params.join(", "), r * 24 + 24)
        })
        .collect();
    format!(
        "INSERT INTO contacts (email, email_md5, email_sha256, first_name, last_name, phone, birth_date, \
           job_title, company, address_line1, address_line2, postal_code, city, country, interests, \
           last_purchase_on, total_spent_cents, purchase_count, custom, channel, source_detail, sort_name, \
           search, created_at, updated_at) VALUES {} \
         ON CONFLICT (email) DO NOTHING RETURNING id, email",
        values.join(", ")
    )
}

/// Binds a contact's 24 values from `?first` on.
fn bind_contact(
    statement: &mut rusqlite::Statement<'_>,
    first: usize,
    (f, at, purchases): &(&ContactFields, Timestamp, i64),
) -> rusqlite::Result<()> {
    let texts = [f.email.as_str(), &f.email.md5_hex(), &f.email.sha256_hex(), &f.first_name, &f.last_name, &f.phone];
    for (i, text) in texts.iter().enumerate() {
        statement.raw_bind_parameter(first + i, text)?;
    }
    statement.raw_bind_parameter(first + 6, iso_date(f.birth_date))?;
    let texts = [&f.job_title, &f.company, &f.address_line1, &f.address_line2, &f.postal_code, &f.city, &f.country];
    for (i, text) in texts.iter().enumerate() {
        statement.raw_bind_parameter(first + 7 + i, text.as_str())?;
    }
    statement.raw_bind_parameter(first + 14, interests_text(f))?;
    statement.raw_bind_parameter(first + 15, iso_date(f.last_purchase_on))?;
    statement.raw_bind_parameter(first + 16, f.total_spent_cents)?;
    statement.raw_bind_parameter(first + 17, purchases)?;
    statement.raw_bind_parameter(first + 18, custom_json(f))?;
    statement.raw_bind_parameter(first + 19, f.channel.as_str())?;
    statement.raw_bind_parameter(first + 20, f.source_detail.as_str())?;
    statement.raw_bind_parameter(first + 21, f.sort_name())?;
    statement.raw_bind_parameter(first + 22, f.search_text())?;
    statement.raw_bind_parameter(first + 23, at.0)
}

/// Inserts contacts, each created at its instant with its purchase count; an address
/// already there is skipped. Returns the new ids by address.
pub(crate) async fn insert_contacts(
    tx: &mut Tx,
    rows: &[(&ContactFields, Timestamp, i64)],
) -> StoreResult<HashMap<String, ContactId>> {
    with_connection(tx, |db| {
        let mut ids = HashMap::with_capacity(rows.len());
        let full = insert_contacts_sql(CONTACTS_A_STATEMENT);
        for chunk in rows.chunks(CONTACTS_A_STATEMENT) {
            let mut insert = match chunk.len() {
                CONTACTS_A_STATEMENT => db.prepare_cached(&full)?,
                n => db.prepare_cached(&insert_contacts_sql(n))?,
            };
            for (r, row) in chunk.iter().enumerate() {
                bind_contact(&mut insert, r * 24 + 1, row)?;
            }
            let mut inserted = insert.raw_query();
            while let Some(row) = inserted.next()? {
                ids.insert(row.get::<_, String>(1)?, ContactId(row.get(0)?));
            }
        }
        Ok(ids)
    })
    .await
}

/// Adds hashes to the suppression list (a batch of a list is hundreds of thousands of
/// them); returns, for each, whether it was added (false: it was there already, and is
/// left as it was).
pub(crate) async fn add_suppression_hashes(
    tx: &mut Tx,
    hashes: &[&str],
    reason: &str,
    import_id: i64,
    now: Timestamp,
) -> StoreResult<Vec<bool>> {
    if hashes.is_empty() {
        return Ok(Vec::new());
    }
    with_connection(tx, |db| {
        let mut insert = db.prepare(
            "INSERT INTO suppression_hashes (hash, reason, import_id, created_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (hash) DO NOTHING",
        )?;
        hashes.iter().map(|hash| Ok(insert.execute(rusqlite::params![hash, reason, import_id, now.0])? == 1)).collect()
    })
    .await
}

/// Subscribes contacts with their evidence; a subscription already there (in any
/// state: an unsubscription is never undone by a file) is left as it is.
pub(crate) async fn add_subscriptions(tx: &mut Tx, subs: &[(ContactId, &Consented)]) -> StoreResult<()> {
    if subs.is_empty() {
        return Ok(());
    }
    with_connection(tx, |db| {
        let mut insert = db.prepare(
            "INSERT INTO subscriptions (contact_id, newsletter_id, state, consent_at, consent_channel, \
               consent_form, consent_text) VALUES (?1, ?2, 'subscribed', ?3, ?4, ?5, ?6) \
             ON CONFLICT (contact_id, newsletter_id) DO NOTHING",
        )?;
        for (id, s) in subs {
            insert.execute(rusqlite::params![
                id.0,
                s.newsletter_id.0,
                s.consent.at.0,
                s.consent.channel,
                s.consent.form,
                s.consent.text,
            ])?;
        }
        Ok(())
    })
    .await
}
