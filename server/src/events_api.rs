//! Interactions in over HTTP: `POST /api/v1/events` (API key with the `events` scope:
//! where an email service's webhooks point) and the tracking links of the mail Carnet
//! sends (`/t/o/…` open pixel, `/t/c/…` click redirect). The rules are in
//! `app::engagement::service`.

use crate::api::{idempotent_caller, problem, refusal, remember_if_keyed};
use app::engagement::service::{self as engagement, MAX_EVENTS};
use app::model::api_key::Scope;
use app::model::events::EventKind;
use app::partners::service::ApiError;
use app::state::{now, AppState};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

/// 10,000 events with some metadata each.
const MAX_EVENTS_BODY: usize = 16 * 1024 * 1024;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/events", post(events).layer(axum::extract::DefaultBodyLimit::max(MAX_EVENTS_BODY)))
        .route("/t/o/{token}", get(open_pixel))
        .route("/t/c/{token}", get(click))
        .with_state(state)
}

/// `POST /api/v1/events`: one event, or an array of up to 10,000. A single event is
/// 201 or 422. A batch is 200 when every event was recorded, 207 when some were
/// (the others are reported per item), 422 when none was; with `?atomic=true`, any
/// bad event makes it 422 and nothing is recorded.
async fn events(State(state): State<AppState>, headers: HeaderMap, RawQuery(query): RawQuery, body: Bytes) -> Response {
    let now = now();
    let (caller, key) = match idempotent_caller(&state, &headers, Scope::Events, now).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    // `?atomic=true`: one bad event refuses the whole batch.
    let atomic = query.unwrap_or_default().split('&').any(|kv| kv == "atomic=true" || kv == "atomic=1");
    let response = match serde_json::from_slice::<serde_json::Value>(&body) {
        Err(e) => refusal(ApiError::Invalid(format!("The body is not valid JSON: {e}."))),
        Ok(serde_json::Value::Array(items)) if items.is_empty() => {
            refusal(ApiError::Invalid("Send at least one event.".into()))
        }
        Ok(serde_json::Value::Array(items)) if items.len() > MAX_EVENTS => {
            refusal(ApiError::TooManyValues { limit: MAX_EVENTS })
        }
        Ok(serde_json::Value::Array(items)) => {
            match engagement::ingest(&state, &items, &format!("api:{}", caller.partner.name), atomic, now).await {
                Err(e) => return refusal(e.into()),
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
            }
        }
        Ok(single) => {
            let items = [single];
            match engagement::ingest(&state, &items, &format!("api:{}", caller.partner.name), true, now).await {
                Err(e) => return refusal(e.into()),
                Ok(report) => match report.results.into_iter().next() {
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
    };
    remember_if_keyed(&state, caller.partner.id, key, response, now).await
}

/// A transparent 1×1 GIF.
const PIXEL: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
    0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
    0x02, 0x44, 0x01, 0x00, 0x3b,
];

/// The open pixel: records an open for a genuine token and always answers the image
/// (a mail client shows nothing either way), never cached.
async fn open_pixel(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let token = token.strip_suffix(".gif").unwrap_or(&token);
    if let Err(e) = engagement::track(&state, token, EventKind::Open, now()).await {
        tracing::error!(error = %e, "could not record an open");
    }
    ([(header::CONTENT_TYPE, "image/gif"), (header::CACHE_CONTROL, "no-store, max-age=0")], PIXEL).into_response()
}

/// A click: records it and redirects to the URL signed into the token, and only there.
async fn click(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match engagement::track(&state, &token, EventKind::Click, now()).await {
        Ok(Some(link)) => match link.u {
            Some(url) => Redirect::to(&url).into_response(),
            None => not_a_link(),
        },
        Ok(None) => not_a_link(),
        Err(e) => {
            tracing::error!(error = %e, "could not record a click");
            (StatusCode::SERVICE_UNAVAILABLE, Html("<h1>Please try again in a moment.</h1>")).into_response()
        }
    }
}

fn not_a_link() -> Response {
    (
        StatusCode::NOT_FOUND,
        Html(
            "<!doctype html><meta charset=utf-8><title>Link not valid</title>\
             <h1>This link is not valid</h1><p>It may have been copied incompletely. \
             Open it again from the original message.</p>",
        ),
    )
        .into_response()
}
