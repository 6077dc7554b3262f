//! The partner REST API (`/api/v1`, `Authorization: Bearer <key>`). Handlers translate
//! HTTP to the partner service and its refusals to RFC 9457 problem JSON; the rules live
//! in `app::partners::service`.

use app::model::api_key::Scope;
use app::partners::service::{self, ApiError};
use app::partners::CheckRequest;
use app::state::{now, AppState};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;

/// Bodies above this are refused before parsing (10,000 SHA-256 values fit in ~700 KB).
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/suppression/check", post(check))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// An RFC 9457 problem document.
pub fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    let body = serde_json::json!({ "type": "about:blank", "title": title, "status": status.as_u16(), "detail": detail });
    (status, [(header::CONTENT_TYPE, "application/problem+json")], body.to_string()).into_response()
}

fn refusal(error: ApiError) -> Response {
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
        ApiError::TooManyValues { limit } => {
            problem(StatusCode::PAYLOAD_TOO_LARGE, "Too many values", &format!("Send at most {limit} values per request."))
        }
        ApiError::Invalid(detail) => problem(StatusCode::UNPROCESSABLE_ENTITY, "Invalid request", &detail),
        ApiError::QuotaExceeded { retry_after_secs } => {
            let mut res = problem(StatusCode::TOO_MANY_REQUESTS, "Daily quota exceeded", "The daily quota of checks is used up.");
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            res
        }
        ApiError::Internal => problem(StatusCode::INTERNAL_SERVER_ERROR, "Internal error", "Something went wrong on our side."),
    }
}

fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())
}

async fn check(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let now = now();
    let caller = match service::authenticate(&state, authorization(&headers), Scope::Check, now).await {
        Ok(c) => c,
        Err(e) => return refusal(e),
    };
    let request: CheckRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return refusal(ApiError::Invalid(format!("The body is not valid JSON for this endpoint: {e}."))),
    };
    match service::check(&state, &caller, request, now).await {
        Ok(answer) => axum::Json(answer).into_response(),
        Err(e) => refusal(e),
    }
}
