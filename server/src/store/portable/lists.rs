//! Writes over a list of contacts (bulk actions and the fold's consequences): ending
//! their subscriptions, a timeline line each, and the bound `IN (…)` list.
//!
//! Portable SQL: mounted once per backend with the rest of this folder.

use super::*;
use app::model::contact::ConsentEvidence;
use app::model::ContactId;
use app::store::StoreResult;
use sqlx::QueryBuilder;

/// Ends every subscription of these contacts still open, with this evidence.
pub(super) async fn end_subscriptions<'c>(
    tx: &mut sqlx::Transaction<'c, Db>,
    ids: &[ContactId],
    consent: &ConsentEvidence,
) -> StoreResult<()> {
    for chunk in ids.chunks(900) {
        let mut b: QueryBuilder<Db> =
            QueryBuilder::new("UPDATE subscriptions SET state = 'unsubscribed', consent_at = ");
        b.push_bind(consent.at)
            .push(", consent_channel = ")
            .push_bind(consent.channel.clone())
            .push(", consent_form = ")
            .push_bind(consent.form.clone())
            .push(", consent_text = ")
            .push_bind(consent.text.clone())
            .push(" WHERE state <> 'unsubscribed' AND contact_id IN ");
        id_list(&mut b, chunk);
        b.build().execute(&mut **tx).await.map_err(map_err)?;
    }
    Ok(())
}

/// One timeline line for each of these contacts: one statement over the ids bound as a
/// JSON array (not six binds a row, each copied by the driver).
pub(super) async fn timeline_rows<'c>(
    tx: &mut sqlx::Transaction<'c, Db>,
    ids: &[ContactId],
    kind: &str,
    at: app::model::Timestamp,
    detail: &str,
    actor: &str,
) -> StoreResult<()> {
    for chunk in ids.chunks(100_000) {
        let list = serde_json::to_string(chunk).map_err(|e| StoreError::Database(e.to_string()))?;
        sqlx::query(&format!(
            "INSERT INTO activities (contact_id, kind, interaction, occurred_at, detail, actor) \
             SELECT id, $2, $3, $4, $5, $6 FROM ({}) AS ids",
            DbStore::IDS_OF_JSON
        ))
        .bind(list)
        .bind(kind)
        .bind(false)
        .bind(at)
        .bind(detail)
        .bind(actor)
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
    }
    Ok(())
}

/// `(id, id, …)` for an `IN`, bound.
pub(super) fn id_list<'a>(b: &mut QueryBuilder<'a, Db>, ids: &'a [ContactId]) {
    b.push("(");
    let mut list = b.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    b.push(")");
}
