//! PostgreSQL's COPY for the big writes of an import or a seeding: the rows stream in
//! COPY's text format into a temporary table of the transaction, then one
//! `INSERT … SELECT` moves them (COPY itself has neither `ON CONFLICT` nor `RETURNING`).
//! A multi-row `INSERT` of 2,000 rows binds 50,000 parameters that PostgreSQL parses,
//! plans and converts one by one; COPY reads plain lines.

use super::{map_err, PgStore};
use crate::store::values::{custom_json, interests_text, iso_date};
use crate::store::Dialect;
use app::model::{ContactFields, ContactId, Timestamp};
use app::store::StoreResult;
use sqlx::{QueryBuilder, Row};
use std::collections::HashMap;

/// The contact columns an import or a seeding writes, in COPY's order.
const CONTACT_COLUMNS: &str = "email, email_md5, email_sha256, first_name, last_name, phone, birth_date, job_title, \
     company, address_line1, address_line2, postal_code, city, country, interests, last_purchase_on, \
     total_spent_cents, purchase_count, custom, channel, source_detail, sort_name, search, created_at, updated_at";

/// The subscription columns an import writes.
const SUBSCRIPTION_COLUMNS: &str =
    "contact_id, newsletter_id, state, consent_at, consent_channel, consent_form, consent_text";

/// Below this many rows, a multi-row INSERT.
const COPY_FROM_ROWS: usize = 64;

type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

/// Streams `lines` into the temporary table `table` (`name (columns)`, made at first
/// use, emptied at commit), runs `then` (an `INSERT … SELECT` from it, given its
/// parameters by `bind`) and empties it for the next batch of the transaction; returns
/// what `then` returns.
async fn copy_through<'q>(
    tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    table: &str,
    lines: CopyText,
    then: &'q str,
    bind: impl FnOnce(PgQuery<'q>) -> PgQuery<'q>,
) -> StoreResult<Vec<sqlx::postgres::PgRow>> {
    let name = table.split_whitespace().next().unwrap_or(table);
    sqlx::query(&format!("CREATE TEMPORARY TABLE IF NOT EXISTS {table} ON COMMIT DELETE ROWS"))
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
    let mut copy = tx.copy_in_raw(&format!("COPY {name} FROM STDIN")).await.map_err(map_err)?;
    if let Err(e) = copy.send(lines.into_bytes()).await {
        copy.abort(e.to_string()).await.map_err(map_err)?;
        return Err(map_err(e));
    }
    copy.finish().await.map_err(map_err)?;
    let rows = bind(sqlx::query(then)).fetch_all(&mut **tx).await.map_err(map_err)?;
    sqlx::query(&format!("TRUNCATE {name}")).execute(&mut **tx).await.map_err(map_err)?;
    Ok(rows)
}

/// Lines of COPY's text format: tab-separated, `\N` for NULL, backslash escapes.
#[derive(Default)]
pub(crate) struct CopyText {
    buf: Vec<u8>,
    in_row: bool,
}

impl CopyText {
    fn cell(&mut self) -> &mut Vec<u8> {
        if std::mem::replace(&mut self.in_row, true) {
            self.buf.push(b'\t');
        }
        &mut self.buf
    }

    pub(crate) fn text(&mut self, value: &str) -> &mut Self {
        let buf = self.cell();
        if !value.bytes().any(|b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r')) {
            buf.extend_from_slice(value.as_bytes());
            return self;
        }
        for b in value.bytes() {
            match b {
                b'\\' => buf.extend_from_slice(b"\\\\"),
                b'\t' => buf.extend_from_slice(b"\\t"),
                b'\n' => buf.extend_from_slice(b"\\n"),
                b'\r' => buf.extend_from_slice(b"\\r"),
                _ => buf.push(b),
            }
        }
        self
    }

    pub(crate) fn maybe(&mut self, value: Option<&str>) -> &mut Self {
        match value {
            Some(value) => self.text(value),
            None => {
                self.cell().extend_from_slice(b"\\N");
                self
            }
        }
    }

    pub(crate) fn int(&mut self, value: i64) -> &mut Self {
        use std::io::Write;
        write!(self.cell(), "{value}").expect("writing to a Vec cannot fail");
        self
    }

    pub(crate) fn end_row(&mut self) {
        self.buf.push(b'\n');
        self.in_row = false;
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

impl PgStore {
    /// Inserts contacts in multi-row statements, each created at its instant with its
    /// purchase count; an address already there is skipped. Returns the new ids by address.
    /// (`insert_contacts` for a few rows, where COPY's round trips would cost more.)
    pub(crate) async fn insert_contact_rows(
        tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
        rows: &[(&app::model::ContactFields, app::model::Timestamp, i64)],
    ) -> StoreResult<HashMap<String, app::model::ContactId>> {
        let mut ids = HashMap::with_capacity(rows.len());
        for chunk in rows.chunks(Self::BULK_ROWS) {
            let mut b: QueryBuilder<sqlx::Postgres> = QueryBuilder::new(
                "INSERT INTO contacts (email, email_md5, email_sha256, first_name, last_name, phone, birth_date, \
                   job_title, company, address_line1, address_line2, postal_code, city, country, interests, \
                   last_purchase_on, total_spent_cents, purchase_count, custom, channel, source_detail, sort_name, \
                   search, created_at, updated_at) ",
            );
            b.push_values(chunk, |mut v, (f, at, purchases)| {
                v.push_bind(f.email.as_str())
                    .push_bind(f.email.md5_hex())
                    .push_bind(f.email.sha256_hex())
                    .push_bind(&f.first_name)
                    .push_bind(&f.last_name)
                    .push_bind(&f.phone)
                    .push_bind(iso_date(f.birth_date))
                    .push_bind(&f.job_title)
                    .push_bind(&f.company)
                    .push_bind(&f.address_line1)
                    .push_bind(&f.address_line2)
                    .push_bind(&f.postal_code)
                    .push_bind(&f.city)
                    .push_bind(&f.country)
                    .push_bind(interests_text(f))
                    .push_bind(iso_date(f.last_purchase_on))
                    .push_bind(f.total_spent_cents)
                    .push_bind(*purchases)
                    .push_bind(custom_json(f))
                    .push_bind(f.channel.as_str())
                    .push_bind(&f.source_detail)
                    .push_bind(f.sort_name())
                    .push_bind(f.search_text())
                    .push_bind(*at)
                    .push_bind(*at);
            });
            b.push(" ON CONFLICT (email) DO NOTHING RETURNING id, email");
            for row in b.build().fetch_all(&mut **tx).await.map_err(map_err)? {
                ids.insert(row.get(1), row.get(0));
            }
        }
        Ok(ids)
    }

    /// Subscribes contacts with their evidence; a subscription already there (in any
    /// state) is kept. A few in one multi-row statement, more through COPY.
    pub(crate) async fn add_subscriptions(
        tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
        subs: &[(app::model::ContactId, &app::store::Consented)],
    ) -> StoreResult<()> {
        if subs.is_empty() {
            return Ok(());
        }
        if subs.len() >= COPY_FROM_ROWS {
            let mut lines = CopyText::default();
            for (id, s) in subs {
                lines
                    .int(id.0)
                    .int(s.newsletter_id.0)
                    .text("subscribed")
                    .int(s.consent.at.0)
                    .text(&s.consent.channel)
                    .text(&s.consent.form)
                    .text(&s.consent.text)
                    .end_row();
            }
            copy_through(
                tx,
                "subscriptions_in (contact_id BIGINT, newsletter_id BIGINT, state TEXT, consent_at BIGINT, \
                 consent_channel TEXT, consent_form TEXT, consent_text TEXT)",
                lines,
                &format!(
                    "INSERT INTO subscriptions ({SUBSCRIPTION_COLUMNS}) SELECT {SUBSCRIPTION_COLUMNS} \
                     FROM subscriptions_in ON CONFLICT (contact_id, newsletter_id) DO NOTHING"
                ),
                |q| q,
            )
            .await?;
            return Ok(());
        }
        let mut b: QueryBuilder<sqlx::Postgres> =
            QueryBuilder::new(format!("INSERT INTO subscriptions ({SUBSCRIPTION_COLUMNS}) "));
        b.push_values(subs, |mut v, (id, s)| {
            v.push_bind(*id)
                .push_bind(s.newsletter_id)
                .push_bind("subscribed")
                .push_bind(s.consent.at)
                .push_bind(&s.consent.channel)
                .push_bind(&s.consent.form)
                .push_bind(&s.consent.text);
        });
        // An unsubscription (or any state) already there is never undone by a file.
        b.push(" ON CONFLICT (contact_id, newsletter_id) DO NOTHING");
        b.build().execute(&mut **tx).await.map_err(map_err)?;
        Ok(())
    }

    /// Adds hashes to the suppression list; returns, for each, whether it was added
    /// (false: it was there already, and is left as it was).
    pub(crate) async fn add_suppression_hashes(
        tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
        hashes: &[&str],
        reason: &str,
        import_id: app::model::ImportId,
        now: Timestamp,
    ) -> StoreResult<Vec<bool>> {
        if hashes.is_empty() {
            return Ok(Vec::new());
        }
        let mut lines = CopyText::default();
        for hash in hashes {
            lines.text(hash).end_row();
        }
        let then = "INSERT INTO suppression_hashes (hash, reason, import_id, created_at) \
                    SELECT hash, $1, $2, $3 FROM suppression_hashes_in ON CONFLICT (hash) DO NOTHING RETURNING hash";
        let added: std::collections::HashSet<String> =
            copy_through(tx, "suppression_hashes_in (hash TEXT)", lines, then, |q| {
                q.bind(reason).bind(import_id).bind(now)
            })
            .await?
            .iter()
            .map(|row| row.get(0))
            .collect();
        Ok(hashes.iter().map(|h| added.contains(*h)).collect())
    }

    /// Inserts contacts, each created at its instant with its purchase count; an address
    /// already there is skipped. Returns the new ids by address.
    pub(crate) async fn insert_contacts(
        tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
        rows: &[(&ContactFields, Timestamp, i64)],
    ) -> StoreResult<HashMap<String, ContactId>> {
        // A few rows go in one statement; COPY's four round trips pay from a few dozen.
        if rows.len() < COPY_FROM_ROWS {
            return Self::insert_contact_rows(tx, rows).await;
        }
        let mut lines = CopyText::default();
        for (f, at, purchases) in rows {
            lines
                .text(f.email.as_str())
                .text(&f.email.md5_hex())
                .text(&f.email.sha256_hex())
                .text(&f.first_name)
                .text(&f.last_name)
                .text(&f.phone)
                .maybe(iso_date(f.birth_date).as_deref())
                .text(&f.job_title)
                .text(&f.company)
                .text(&f.address_line1)
                .text(&f.address_line2)
                .text(&f.postal_code)
                .text(&f.city)
                .text(&f.country)
                .text(&interests_text(f))
                .maybe(iso_date(f.last_purchase_on).as_deref())
                .int(f.total_spent_cents)
                .int(*purchases)
                .text(&custom_json(f))
                .text(f.channel.as_str())
                .text(&f.source_detail)
                .text(&f.sort_name())
                .text(&f.search_text())
                .int(at.0)
                .int(at.0)
                .end_row();
        }
        let moved = copy_through(
            tx,
            "contacts_in (email TEXT, email_md5 TEXT, email_sha256 TEXT, first_name TEXT, last_name TEXT, \
             phone TEXT, birth_date TEXT, job_title TEXT, company TEXT, address_line1 TEXT, address_line2 TEXT, \
             postal_code TEXT, city TEXT, country TEXT, interests TEXT, last_purchase_on TEXT, \
             total_spent_cents BIGINT, purchase_count BIGINT, custom TEXT, channel TEXT, source_detail TEXT, \
             sort_name TEXT, search TEXT, created_at BIGINT, updated_at BIGINT)",
            lines,
            &format!(
                "INSERT INTO contacts ({CONTACT_COLUMNS}) SELECT {CONTACT_COLUMNS} FROM contacts_in \
                 ON CONFLICT (email) DO NOTHING RETURNING id, email"
            ),
            |q| q,
        )
        .await?;
        Ok(moved.into_iter().map(|row| (row.get(1), row.get(0))).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::CopyText;

    #[test]
    fn copy_text_escapes_what_would_end_a_cell_or_a_line() {
        let mut lines = CopyText::default();
        lines.text("a\tb").maybe(None).text("c\\d\ne\rf").int(-42).end_row();
        lines.text("plain").end_row();
        assert_eq!(lines.into_bytes(), b"a\\tb\t\\N\tc\\\\d\\ne\\rf\t-42\nplain\n".to_vec());
    }
}
