//! Interactions in over HTTP: `POST /api/v1/events` (API key with the `events` scope:
//! where an email service's webhooks point). The rules are in `app::engagement::service`.

use super::{body_fingerprint, idempotent_caller, problem, refusal, remember_if_keyed, AppJson, BodyProblem};
use app::engagement::service::{self as engagement, MAX_EVENTS};
use app::model::api_key::Scope;
use app::partners::service::{self, ApiError, PartnerKey};
use app::platform::clock::now;
use app::state::AppState;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

/// 10,000 events with some metadata each.
pub(super) const MAX_EVENTS_BODY: usize = 16 * 1024 * 1024;

/// `POST /api/v1/events`: one event, or an array of up to 10,000. A single event is
/// 201 or 422. A batch is 200 when every event was recorded, 207 when some were
/// (the others are reported per item), 422 when none was; with `?atomic=true`, any
/// bad event makes it 422 and nothing is recorded.
pub(super) async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Result<AppJson<serde_json::Value>, BodyProblem>,
) -> Response {
    let now = now();
    let (caller, key) = match idempotent_caller(
        &state,
        &headers,
        Scope::Events,
        "POST /api/v1/events",
        &format!("{}?{}", body_fingerprint(&body), query.as_deref().unwrap_or("")),
        now,
    )
    .await
    {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let response = match (atomic(query.as_deref()), body.map(|AppJson(value, _)| value)) {
        (Err(detail), _) => refusal(ApiError::Invalid(detail)),
        (Ok(atomic), body) => answer(&state, &caller, body, atomic, now).await,
    };
    remember_if_keyed(&state, caller.partner.id, key, response, now).await
}

/// `?atomic=true` (one bad event refuses the whole batch) or `false`, the default;
/// anything else is refused rather than read as `false`.
fn atomic(query: Option<&str>) -> Result<bool, String> {
    let mut atomic = false;
    for pair in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=').unwrap_or((pair, "")) {
            ("atomic", "true") => atomic = true,
            ("atomic", "false") => atomic = false,
            ("atomic", _) => return Err("`atomic` is `true` or `false`.".into()),
            _ => {}
        }
    }
    Ok(atomic)
}

async fn answer(
    state: &AppState,
    caller: &PartnerKey,
    body: Result<serde_json::Value, BodyProblem>,
    atomic: bool,
    now: app::model::Timestamp,
) -> Response {
    match body {
        Err(problem) => problem.into_response(),
        Ok(serde_json::Value::Array(items)) if items.is_empty() => {
            refusal(ApiError::Invalid("Send at least one event.".into()))
        }
        Ok(serde_json::Value::Array(items)) if items.len() > MAX_EVENTS => {
            refusal(ApiError::TooManyValues { limit: MAX_EVENTS })
        }
        Ok(serde_json::Value::Array(items)) => match ingest(state, caller, &items, atomic, now).await {
            Err(e) => refusal(e),
            Ok(report) => {
                let status = if report.failed == 0 {
                    StatusCode::OK
                } else if report.recorded > 0 {
                    StatusCode::MULTI_STATUS
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                };
                (status, axum::Json(report)).into_response()
            }
        },
        Ok(single) => {
            let items = [single];
            match ingest(state, caller, &items, true, now).await {
                Err(e) => refusal(e),
                Ok(report) => match report.results.into_iter().next() {
                    Some(engagement::ItemResult { error: Some(error), .. })
                        if error.starts_with(engagement::KIND_REFUSED) =>
                    {
                        problem(StatusCode::FORBIDDEN, "Event kind not allowed", &error)
                    }
                    Some(engagement::ItemResult { error: Some(error), .. }) => {
                        problem(StatusCode::UNPROCESSABLE_ENTITY, "Invalid event", &error)
                    }
                    Some(r) => (
                        StatusCode::CREATED,
                        axum::Json(serde_json::json!({ "status": "recorded", "contact_id": r.contact_id })),
                    )
                        .into_response(),
                    None => refusal(ApiError::Internal),
                },
            }
        }
    }
}

/// Events tell which addresses are contacts, as checks do: each counts toward the
/// partner's daily quota and usage (refused whole when the quota cannot take them all),
/// and the key sends only the kinds it was made for.
async fn ingest(
    state: &AppState,
    caller: &PartnerKey,
    items: &[serde_json::Value],
    atomic: bool,
    now: app::model::Timestamp,
) -> Result<engagement::IngestReport, ApiError> {
    service::quota_allows(state, caller, items.len(), now).await?;
    let actor = format!("api:{}", caller.partner.name);
    let report = engagement::ingest(state, items, &actor, &caller.key.event_kinds, atomic, now).await?;
    let known = report.results.iter().filter(|r| r.contact_id.is_some()).count();
    state.partner_usage.add(caller.partner.id, &service::day_of(now), items.len() as i64, known as i64);
    Ok(report)
}
