//! The partner REST API (`/api/v1`, `Authorization: Bearer <key>`). Handlers translate
//! HTTP to the partner service and its refusals to RFC 9457 problem JSON; the rules live
//! in `app::partners::service`.

use app::model::api_key::Scope;
use app::partners::service::{self, ApiError};
use app::partners::{CheckRequest, LeadRequest};
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
        .route("/api/v1/suppression/check/stream", post(check_stream))
        .route("/api/v1/leads", post(submit_lead))
        .route("/api/v1/openapi.json", axum::routing::get(crate::api_docs::openapi_json))
        .route("/api/v1/docs", axum::routing::get(crate::api_docs::docs_page))
        .route(
            "/api/v1/suppression/export",
            axum::routing::get(export).layer(tower_http::compression::CompressionLayer::new().gzip(true)),
        )
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
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

/// `POST /api/v1/leads`. With an `Idempotency-Key`, the first answer is stored and a
/// retry with the same key gets it again, so a lead is never billed twice.
async fn submit_lead(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let now = now();
    let (caller, key) = match idempotent_caller(&state, &headers, Scope::Submit, now).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let outcome = match serde_json::from_slice::<LeadRequest>(&body) {
        Ok(request) => service::submit_lead(&state, &caller, request, now).await,
        Err(e) => {
            let _ = state.store.count_lead_refusal(caller.partner.id, &service::day_of(now), false).await;
            Err(ApiError::Invalid(format!("The body is not valid JSON for this endpoint: {e}.")))
        }
    };
    let response = match outcome {
        Ok(accepted) => (StatusCode::CREATED, axum::Json(accepted)).into_response(),
        Err(e) => refusal(e),
    };
    remember_if_keyed(&state, caller.partner.id, key, response, now).await
}

/// Authenticates a request that may carry an `Idempotency-Key`. `Err` is the answer to
/// send at once: a refusal, or the stored answer to an earlier request with this key.
pub(crate) async fn idempotent_caller(
    state: &AppState,
    headers: &HeaderMap,
    scope: Scope,
    now: i64,
) -> Result<(service::PartnerKey, Option<String>), Response> {
    let caller = service::authenticate(state, authorization(headers), scope, now).await.map_err(refusal)?;
    let key =
        service::idempotency_key(headers.get("idempotency-key").and_then(|v| v.to_str().ok())).map_err(refusal)?;
    if let Some(key) = &key {
        match state.store.idempotent_response(caller.partner.id, key).await {
            Ok(Some((status, body))) => return Err(replay(status, body)),
            Ok(None) => {}
            Err(e) => return Err(refusal(e.into())),
        }
    }
    Ok((caller, key))
}

/// Stores the answer under its `Idempotency-Key`, if the request had one, unless it is
/// a 500 (a retry may succeed).
pub(crate) async fn remember_if_keyed(
    state: &AppState,
    partner_id: i64,
    key: Option<String>,
    response: Response,
    now: i64,
) -> Response {
    match key {
        Some(key) if response.status() != StatusCode::INTERNAL_SERVER_ERROR => {
            remember(state, partner_id, &key, response, now).await
        }
        _ => response,
    }
}

async fn remember(state: &AppState, partner_id: i64, key: &str, response: Response, now: i64) -> Response {
    let status = response.status();
    let content_type = response.headers().get(header::CONTENT_TYPE).cloned();
    let Ok(bytes) = axum::body::to_bytes(response.into_body(), MAX_BODY_BYTES).await else {
        return refusal(ApiError::Internal);
    };
    let body = String::from_utf8_lossy(&bytes).to_string();
    if let Err(e) = state.store.save_idempotent_response(partner_id, key, status.as_u16() as i64, &body, now).await {
        tracing::error!(error = %e, "could not store an idempotent response");
    }
    let mut res = (status, body).into_response();
    if let Some(ct) = content_type {
        res.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    res
}

fn replay(status: i64, body: String) -> Response {
    let status = StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK);
    let content_type = if status.is_success() { "application/json" } else { "application/problem+json" };
    let mut res = (status, body).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    res
}

#[derive(serde::Deserialize)]
struct ExportQuery {
    format: Option<String>,
    since: Option<String>,
}

/// `GET /api/v1/suppression/export?format=md5|sha256[&since=RFC3339]`: the hashed list,
/// one lowercase hex value per line, streamed (gzip when the client accepts it).
async fn export(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<axum::extract::Query<ExportQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let now = now();
    if let Err(e) = service::authenticate(&state, authorization(&headers), Scope::Export, now).await {
        return refusal(e);
    }
    let Ok(axum::extract::Query(query)) = query else {
        return refusal(ApiError::Invalid(
            "Use ?format=md5 or ?format=sha256, and optionally &since=<RFC 3339>.".into(),
        ));
    };
    let sha256 = match query.format.as_deref() {
        Some("md5") => false,
        Some("sha256") => true,
        _ => return refusal(ApiError::Invalid("`format` must be md5 or sha256.".into())),
    };
    let since = match query.since.as_deref().map(chrono::DateTime::parse_from_rfc3339) {
        None => None,
        Some(Ok(t)) => Some(t.timestamp()),
        Some(Err(_)) => {
            return refusal(ApiError::Invalid(
                "`since` must be an RFC 3339 date and time, like 2026-11-01T00:00:00Z.".into(),
            ))
        }
    };
    // A producer task reads batches by id range; the response streams them as they come,
    // with at most a few batches in memory.
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<String>>(4);
    let store = state.store.clone();
    tokio::spawn(async move {
        if let Err(e) = store.export_hashes(sha256, since, &tx).await {
            tracing::error!(error = %e, "suppression export failed midway");
            // The store never sends an empty batch: one here means "failed", and the
            // response is aborted so the partner sees an error, not a short list.
            let _ = tx.send(Vec::new()).await;
        }
    });
    let body = futures::stream::unfold(rx, |mut rx| async move {
        let batch = rx.recv().await?;
        if batch.is_empty() {
            return Some((Err(std::io::Error::other("export failed")), rx));
        }
        let mut text = String::with_capacity(batch.len() * 65);
        for hash in batch {
            text.push_str(&hash);
            text.push('\n');
        }
        Some((Ok(Bytes::from(text)), rx))
    });
    let mut res = axum::body::Body::from_stream(body).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    res
}

/// Lines looked up per store round trip in the streaming check.
const STREAM_BATCH: usize = 5_000;

/// `POST /api/v1/suppression/check/stream`: a text body of one value per line (emails,
/// MD5s or SHA-256s, mixed), answered with the known ones, one per line, as they are
/// found. Input and output both stream: memory holds a batch or two, whatever the size.
/// Lines that are neither an address nor a hash cannot be known and are skipped.
async fn check_stream(State(state): State<AppState>, headers: HeaderMap, body: axum::body::Body) -> Response {
    use futures::StreamExt;
    let now = now();
    let caller = match service::authenticate(&state, authorization(&headers), Scope::Check, now).await {
        Ok(c) => c,
        Err(e) => return refusal(e),
    };
    if let Err(e) = service::quota_left(&state, &caller, now).await {
        return refusal(e);
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        let mut input = body.into_data_stream();
        let mut pending = Vec::<u8>::new();
        let mut lines: Vec<String> = Vec::with_capacity(STREAM_BATCH);
        let mut finished = false;
        while !finished {
            match input.next().await {
                Some(Ok(chunk)) => pending.extend_from_slice(&chunk),
                Some(Err(_)) => return,
                None => finished = true,
            }
            // Take every complete line (and, at the end, the last one without a newline).
            let cut =
                if finished { pending.len() } else { pending.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1) };
            for line in pending.drain(..cut).collect::<Vec<u8>>().split(|b| *b == b'\n') {
                let line = String::from_utf8_lossy(line).trim().to_string();
                if !line.is_empty() {
                    lines.push(line);
                }
            }
            if lines.len() >= STREAM_BATCH || (finished && !lines.is_empty()) {
                let batch = std::mem::take(&mut lines);
                match service::check_lines(&state, &caller, &batch, now).await {
                    Ok(known) if known.is_empty() => {}
                    Ok(known) => {
                        let mut text = known.join("\n");
                        text.push('\n');
                        if tx.send(Ok(Bytes::from(text))).await.is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(?e, "streaming check stopped");
                        let _ = tx.send(Err(std::io::Error::other("check stopped"))).await;
                        return;
                    }
                }
            }
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    let mut res = axum::body::Body::from_stream(stream).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    res
}
