//! HTTP, grouped by audience: the staff app (`staff`: Leptos pages, server functions,
//! staff files, behind the staff gate), public pages (`public`: sign-up, personal links,
//! unsubscribe, tracking) and the REST API (`rest`: bearer keys, problem documents).
//! Around all three: client address → CSRF → security headers → logs without tokens.

pub mod middleware;
mod public;
pub mod rest;
mod staff;

use crate::AppConfig;
use app::auth::session_store::DbSessionStore;
use app::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use std::net::SocketAddr;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// Staff sessions end after this much inactivity (OWASP: 15–30 minutes).
pub const IDLE_TIMEOUT_MINUTES: i64 = 30;

pub fn router(state: AppState, config: &AppConfig, addr: SocketAddr) -> Router {
    let secure = state.settings.public_url.starts_with("https://");
    let sessions = SessionManagerLayer::new(DbSessionStore::new(state.store.clone()))
        .with_name("carnet_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure)
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(IDLE_TIMEOUT_MINUTES)));
    Router::new()
        .merge(staff::router(state.clone(), config, addr, sessions.clone()))
        .merge(public::router(state.clone(), sessions))
        .merge(rest::router(state.clone()))
        .route("/healthz", get(healthz).with_state(state.clone()))
        .layer(axum::middleware::from_fn_with_state(state.settings.public_url.clone(), middleware::csrf))
        .layer(axum::middleware::from_fn_with_state(config.trust_proxy, middleware::client_ip))
        .layer(axum::middleware::from_fn_with_state(secure, middleware::security_headers))
        .layer(TraceLayer::new_for_http().make_span_with(middleware::span_without_query))
}

/// 200 when the database answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
