//! Events in: checked one by one, resolved to contacts in bulk, accepted in one
//! transaction (and applied by the folder, see `writer.rs`). Shared by the events API,
//! staff, CSV imports and tracking links.

use crate::model::events::{parse_event, EventKind, EventTarget, ValidEvent};
use crate::state::AppState;
use crate::store::{NewEvent, StoreError};
use serde::Serialize;
use std::collections::HashMap;

/// Events per API request.
pub const MAX_EVENTS: usize = 10_000;

/// What happened to one event of a batch.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ItemResult {
    pub index: usize,
    /// "recorded", "error" or, when the batch was refused as a whole, "not_recorded".
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<crate::model::ContactId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IngestReport {
    pub recorded: usize,
    pub failed: usize,
    pub results: Vec<ItemResult>,
}

/// Checks every event and finds its contact. Returns, per input, the event ready to
/// record or why it cannot be.
pub async fn resolve(
    state: &AppState,
    items: &[serde_json::Value],
    actor: &str,
    now: crate::model::Timestamp,
) -> Result<Vec<Result<NewEvent, String>>, StoreError> {
    let parsed: Vec<Result<ValidEvent, String>> = items.iter().map(|v| parse_event(v, now)).collect();
    resolve_valid(state, parsed, actor).await
}

/// Finds the contacts of already checked events (emails and ids, looked up in bulk).
pub async fn resolve_valid(
    state: &AppState,
    parsed: Vec<Result<ValidEvent, String>>,
    actor: &str,
) -> Result<Vec<Result<NewEvent, String>>, StoreError> {
    let mut emails: Vec<String> = Vec::new();
    let mut ids: Vec<crate::model::ContactId> = Vec::new();
    for e in parsed.iter().flatten() {
        match &e.target {
            EventTarget::Email(email) => emails.push(email.as_str().to_string()),
            EventTarget::ContactId(id) => ids.push(*id),
        }
    }
    emails.sort_unstable();
    emails.dedup();
    ids.sort_unstable();
    ids.dedup();
    let by_email: HashMap<String, crate::model::ContactId> = state.store.contact_ids_by_email(&emails).await?;
    let known_ids: std::collections::HashSet<crate::model::ContactId> =
        state.store.existing_contact_ids(&ids).await?.into_iter().collect();
    Ok(parsed
        .into_iter()
        .map(|p| {
            let e = p?;
            let contact_id = match &e.target {
                EventTarget::Email(email) => {
                    *by_email.get(email.as_str()).ok_or("unknown contact: no contact has this email")?
                }
                EventTarget::ContactId(id) => {
                    if known_ids.contains(id) {
                        *id
                    } else {
                        return Err(format!("unknown contact: no contact has id {id}"));
                    }
                }
            };
            Ok(NewEvent {
                contact_id,
                kind: e.kind,
                occurred_at: e.occurred_at,
                campaign: e.campaign,
                meta: e.meta,
                detail: String::new(),
                actor: actor.to_string(),
            })
        })
        .collect())
}

/// How the refusal of an event kind begins (the API answers it with 403).
pub const KIND_REFUSED: &str = "this key may not send";

/// Why an event of a kind its key was not made for is refused.
pub fn kind_refused(kind: EventKind, allowed: &[EventKind]) -> String {
    format!(
        "{KIND_REFUSED} `{}` events (it may send: {})",
        kind.as_str(),
        allowed.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
    )
}

/// Records what can be recorded. With `atomic`, one bad event refuses the whole batch
/// and nothing is recorded; otherwise good events are recorded and bad ones reported.
/// Either way each event is recorded whole or not at all, in one transaction.
pub async fn ingest(
    state: &AppState,
    items: &[serde_json::Value],
    actor: &str,
    allowed: &[EventKind],
    atomic: bool,
    now: crate::model::Timestamp,
) -> Result<IngestReport, StoreError> {
    let parsed = items
        .iter()
        .map(|v| {
            let event = parse_event(v, now)?;
            match allowed.contains(&event.kind) {
                true => Ok(event),
                false => Err(kind_refused(event.kind, allowed)),
            }
        })
        .collect();
    let resolved = resolve_valid(state, parsed, actor).await?;
    let failed = resolved.iter().filter(|r| r.is_err()).count();
    let refuse_all = atomic && failed > 0;
    let mut good = Vec::with_capacity(resolved.len() - failed);
    let mut results = Vec::with_capacity(resolved.len());
    for (index, r) in resolved.into_iter().enumerate() {
        match r {
            Ok(event) => {
                results.push(ItemResult {
                    index,
                    status: if refuse_all { "not_recorded" } else { "recorded" },
                    contact_id: Some(event.contact_id),
                    error: None,
                });
                good.push(event);
            }
            Err(error) => results.push(ItemResult { index, status: "error", contact_id: None, error: Some(error) }),
        }
    }
    let recorded = if refuse_all { 0 } else { good.len() };
    if !refuse_all {
        state.event_writer.record(&state.store, good).await?;
    }
    Ok(IngestReport { recorded, failed, results })
}
