//! The REST API (`/api/v1`, `Authorization: Bearer <key>`), for partners and the
//! brand's own shop and site: the suppression list, leads, events and redemptions, the
//! shop's personal links, profile completion and contacts, and the OpenAPI document. Handlers translate HTTP to the services and their refusals to
//! RFC 9457 problem documents; the rules live in the services. No cookie and no session
//! here: keys are the only authority, so there is nothing for CSRF to forge.

mod docs;
mod events;
mod leads;
mod redemptions;
mod shop;
mod suppression;

pub use docs::openapi;

use app::model::api_key::Scope;
use app::partners::service::{self, ApiError};
use app::state::AppState;
use app::store::KeyClaim;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

/// A JSON request body, read whole: sent as `application/json` (or with no content
/// type). Handlers take `Result<AppJson<T>, BodyProblem>` so that they authenticate
/// first (no key: 401 before any word about the body) and then answer the problem as
/// it is, or count it first.
/// The second field is the SHA-256 of the body's bytes: a retry sends the same bytes,
/// so a key reused for another body is told apart (`body_fingerprint`).
pub(super) struct AppJson<T>(pub T, pub [u8; 32]);

/// What a request's body was, for its `Idempotency-Key`: a digest of its bytes, or one
/// mark for every body that could not be read as this endpoint's JSON.
pub(super) fn body_fingerprint<T>(body: &Result<AppJson<T>, BodyProblem>) -> String {
    match body {
        Ok(AppJson(_, digest)) => hex::encode(&digest[..16]),
        Err(_) => "unusable".into(),
    }
}

/// Why a body is not one: another content type (415), not JSON for this endpoint (422),
/// larger than the endpoint takes (413), or not readable at all (400); each a problem
/// document.
pub(super) enum BodyProblem {
    WrongType,
    Invalid(String),
    TooLarge,
    Unreadable,
}

impl IntoResponse for BodyProblem {
    fn into_response(self) -> Response {
        match self {
            BodyProblem::WrongType => problem(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Unsupported content type",
                "Send the body as JSON, with `Content-Type: application/json`.",
            ),
            BodyProblem::Invalid(detail) => refusal(ApiError::Invalid(detail)),
            BodyProblem::TooLarge => {
                problem(StatusCode::PAYLOAD_TOO_LARGE, "Body too large", "The body is larger than this endpoint takes.")
            }
            BodyProblem::Unreadable => {
                problem(StatusCode::BAD_REQUEST, "Unreadable body", "The body could not be read whole.")
            }
        }
    }
}

/// Whether the request's content type is one of `accepted` (or absent), parameters
/// such as `charset` aside.
pub(super) fn content_type_is(headers: &HeaderMap, accepted: &[&str]) -> bool {
    match headers.get(header::CONTENT_TYPE) {
        None => true,
        Some(value) => {
            let essence = value.to_str().unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            accepted.contains(&essence.as_str())
        }
    }
}

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for AppJson<T> {
    type Rejection = BodyProblem;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, BodyProblem> {
        if !content_type_is(req.headers(), &["application/json"]) {
            return Err(BodyProblem::WrongType);
        }
        let bytes =
            axum::body::Bytes::from_request(req, state).await.map_err(|rejection| match rejection.status() {
                StatusCode::PAYLOAD_TOO_LARGE => BodyProblem::TooLarge,
                _ => BodyProblem::Unreadable,
            })?;
        let digest: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(&bytes).into();
        serde_json::from_slice(&bytes)
            .map(|value| AppJson(value, digest))
            .map_err(|e| BodyProblem::Invalid(format!("The body is not valid JSON for this endpoint: {e}.")))
    }
}

/// Bodies above this are refused before parsing (10,000 SHA-256 values fit in ~700 KB).
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/suppression/check", post(suppression::check))
        .route("/api/v1/suppression/check/stream", post(suppression::check_stream))
        .route("/api/v1/leads", post(leads::submit_lead))
        .route("/api/v1/openapi.json", get(docs::openapi_json))
        .route("/api/v1/docs", get(docs::docs_page))
        .route(
            "/api/v1/suppression/export",
            get(suppression::export).layer(tower_http::compression::CompressionLayer::new().gzip(true)),
        )
        .route("/api/v1/redemptions", post(redemptions::redeem))
        .route("/api/v1/profile-links", post(shop::profile_link))
        .route("/api/v1/contacts/completion", get(shop::completion))
        .route("/api/v1/contacts", axum::routing::put(shop::upsert_contacts))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .route(
            "/api/v1/events",
            post(events::events).layer(axum::extract::DefaultBodyLimit::max(events::MAX_EVENTS_BODY)),
        )
        .layer(crate::http::middleware::no_store())
        .with_state(state)
}

/// An RFC 9457 problem document.
pub(crate) fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    let body =
        serde_json::json!({ "type": "about:blank", "title": title, "status": status.as_u16(), "detail": detail });
    (status, [(header::CONTENT_TYPE, "application/problem+json")], body.to_string()).into_response()
}

pub(crate) fn refusal(error: ApiError) -> Response {
    match error {
        ApiError::Unauthorized(detail) => {
            let mut res = problem(StatusCode::UNAUTHORIZED, "Unauthorized", detail);
            res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            res
        }
        ApiError::MissingScope(scope) => problem(
            StatusCode::FORBIDDEN,
            "Forbidden",
            &format!("This API key does not have the `{}` scope.", scope.as_str()),
        ),
        ApiError::TooManyValues { limit } => problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Too many values",
            &format!("Send at most {limit} values per request."),
        ),
        ApiError::Invalid(detail) => problem(StatusCode::UNPROCESSABLE_ENTITY, "Invalid request", &detail),
        ApiError::Known => problem(
            StatusCode::CONFLICT,
            "Already known",
            "This address is already known to the brand: the lead is not recorded and not billed.",
        ),
        ApiError::NotFound(detail) => problem(StatusCode::NOT_FOUND, "Not found", detail),
        ApiError::QuotaExceeded { retry_after_secs } => {
            let mut res =
                problem(StatusCode::TOO_MANY_REQUESTS, "Daily quota exceeded", "The daily quota of checks is used up.");
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            res
        }
        ApiError::RateLimited { retry_after_secs } => {
            let mut res = problem(
                StatusCode::TOO_MANY_REQUESTS,
                "Rate limit exceeded",
                "This API key sends requests too fast; slow down.",
            );
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            res
        }
        ApiError::Internal => {
            problem(StatusCode::INTERNAL_SERVER_ERROR, "Internal error", "Something went wrong on our side.")
        }
    }
}

pub(crate) fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())
}

/// Authenticates a request to `request` (e.g. "POST /api/v1/leads") that may carry an
/// `Idempotency-Key`, and claims the key. `Err` is the answer to send at once: a
/// refusal; the stored answer to the earlier request with this key; 409 while that
/// request is still running (a concurrent retry never runs it twice); 422 when the key
/// was first used for another endpoint or another body (`fingerprint`): its answer is
/// not this request's.
pub(crate) async fn idempotent_caller(
    state: &AppState,
    headers: &HeaderMap,
    scope: Scope,
    request: &str,
    fingerprint: &str,
    now: app::model::Timestamp,
) -> Result<(service::PartnerKey, Option<String>), Response> {
    let caller = service::authenticate(state, authorization(headers), scope, now).await.map_err(refusal)?;
    let key =
        // A key that is not visible ASCII is refused, never taken for no key at all.
        service::idempotency_key(headers.get("idempotency-key").map(|v| v.to_str().unwrap_or("\u{0}")))
            .map_err(refusal)?;
    if let Some(key) = &key {
        let claimed_as = format!("{request} {BODY_MARK}{fingerprint}");
        match service::claim_key(state, caller.partner.id, key, &claimed_as, now).await {
            Ok(KeyClaim::Claimed) => {}
            Ok(KeyClaim::Taken { request: first, answer }) => {
                // Keys claimed before bodies were told apart hold the endpoint alone.
                let (endpoint, body) = match first.split_once(BODY_MARK) {
                    Some((endpoint, body)) => (endpoint.trim_end(), Some(body)),
                    None => (first.as_str(), None),
                };
                if endpoint != request {
                    return Err(problem(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "Idempotency-Key already used",
                        &format!("This Idempotency-Key was used for {endpoint}: use a new key for each request."),
                    ));
                }
                if body.is_some_and(|body| body != fingerprint) {
                    return Err(problem(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "Idempotency-Key already used",
                        "This Idempotency-Key was used for a request with another body: a retry sends the same \
                         body, and another request takes a new key.",
                    ));
                }
                return Err(match answer {
                    Some(answer) => replay(answer),
                    None => {
                        let mut res = problem(
                            StatusCode::CONFLICT,
                            "Request in progress",
                            "A request with this Idempotency-Key is still being processed; retry in a moment.",
                        );
                        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(1));
                        res
                    }
                });
            }
            Err(e) => return Err(refusal(e.into())),
        }
    }
    Ok((caller, key))
}

/// Separates the endpoint from the body's fingerprint in a claimed key's request.
const BODY_MARK: &str = "body:";

/// Stores the answer under its `Idempotency-Key`, if the request had one, unless it is
/// a 500 (a retry may succeed).
pub(crate) async fn remember_if_keyed(
    state: &AppState,
    partner_id: app::model::PartnerId,
    key: Option<String>,
    response: Response,
    now: app::model::Timestamp,
) -> Response {
    match key {
        Some(key) if response.status() != StatusCode::INTERNAL_SERVER_ERROR => {
            remember(state, partner_id, &key, response, now).await
        }
        Some(key) => {
            if let Err(e) = service::release_key(state, partner_id, &key).await {
                tracing::error!(error = %e, "could not release an Idempotency-Key");
            }
            response
        }
        None => response,
    }
}

async fn remember(
    state: &AppState,
    partner_id: app::model::PartnerId,
    key: &str,
    response: Response,
    now: app::model::Timestamp,
) -> Response {
    let status = response.status();
    let content_type = response.headers().get(header::CONTENT_TYPE).cloned();
    let Ok(bytes) = axum::body::to_bytes(response.into_body(), MAX_BODY_BYTES).await else {
        return refusal(ApiError::Internal);
    };
    let answer = app::store::StoredAnswer {
        status: i64::from(status.as_u16()),
        content_type: content_type.as_ref().and_then(|v| v.to_str().ok()).unwrap_or_default().to_string(),
        body: String::from_utf8_lossy(&bytes).to_string(),
    };
    if let Err(e) = service::keep_answer(state, partner_id, key, &answer, now).await {
        tracing::error!(error = %e, "could not store an idempotent response");
    }
    let mut res = (status, answer.body).into_response();
    if let Some(ct) = content_type {
        res.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    res
}

fn replay(answer: app::store::StoredAnswer) -> Response {
    let status = StatusCode::from_u16(answer.status as u16).unwrap_or(StatusCode::OK);
    // Answers stored before their type was kept: JSON when they succeeded.
    let guessed = if status.is_success() { "application/json" } else { "application/problem+json" };
    let content_type = HeaderValue::from_str(&answer.content_type)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or(HeaderValue::from_static(guessed));
    let mut res = (status, answer.body).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, content_type);
    res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    res
}
