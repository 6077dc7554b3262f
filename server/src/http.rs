//! The router: Leptos pages and server functions, health, static files, and the
//! middleware stack (client address → CSRF → sessions → staff gate).

use crate::middleware;
use crate::AppConfig;
use app::auth::session_store::DbSessionStore;
use app::state::AppState;
use app::{shell, App};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::net::SocketAddr;
use std::time::Duration;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// Staff sessions end after this much inactivity (OWASP: 15–30 minutes).
pub const IDLE_TIMEOUT_MINUTES: i64 = 30;

pub fn router(state: AppState, config: &AppConfig, addr: SocketAddr) -> Router {
    let options = LeptosOptions::builder()
        .output_name("carnet")
        .site_root(config.site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build();
    let routes = generate_route_list(App);
    let secure = state.settings.public_url.starts_with("https://");
    let sessions = SessionManagerLayer::new(DbSessionStore::new(state.store.clone()))
        .with_name("carnet_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure)
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(IDLE_TIMEOUT_MINUTES)));

    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    let server_fns = {
        let context = context.clone();
        move |req: axum::extract::Request| {
            let context = context.clone();
            async move { leptos_axum::handle_server_fns_with_context(context, req).await }
        }
    };

    Router::new()
        .route("/api/{*fn_name}", get(server_fns.clone()).post(server_fns))
        .route("/partners/{id}/statement.csv", get(crate::downloads::statement_csv).with_state(state.clone()))
        .route("/contacts/export.csv", get(crate::downloads::contacts_csv).with_state(state.clone()))
        .route("/p/{token}", get(crate::links::show).post(crate::links::open).with_state(state.clone()))
        .route("/p/{token}/resend", axum::routing::post(crate::links::resend).with_state(state.clone()))
        .route("/subscribe", get(crate::signup::show).post(crate::signup::submit).with_state(state.clone()))
        .route("/subscribe/pow.js", get(crate::signup::pow_script))
        .route("/s/{token}", get(crate::signup::confirm_page).post(crate::signup::confirm).with_state(state.clone()))
        .route("/me/data.json", get(crate::links::my_data).with_state(state.clone()))
        .route(
            "/incentives/redemptions",
            axum::routing::post(crate::downloads::redemptions_csv)
                .layer(axum::extract::DefaultBodyLimit::max(crate::downloads::MAX_REDEMPTIONS_BYTES + 64 * 1024))
                .with_state(state.clone()),
        )
        .route(
            "/engagement/import",
            axum::routing::post(crate::downloads::import_events)
                .layer(axum::extract::DefaultBodyLimit::max(crate::downloads::MAX_IMPORT_BYTES + 64 * 1024))
                .with_state(state.clone()),
        )
        .leptos_routes_with_context(&options, routes, context, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(options)
        .layer(axum::middleware::from_fn(middleware::staff_gate))
        .layer(sessions)
        .route("/healthz", get(healthz).with_state(state.clone()))
        .merge(crate::api::router(state.clone()))
        .merge(crate::events_api::router(state.clone()))
        .merge(crate::unsubscribe::router(state.clone()))
        .merge(crate::redemptions::router(state.clone()))
        .layer(axum::middleware::from_fn_with_state(state.settings.public_url.clone(), middleware::csrf))
        .layer(axum::middleware::from_fn_with_state(config.trust_proxy, middleware::client_ip))
        .layer(axum::middleware::from_fn(middleware::frame_guard))
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

/// Periodic chores: fold accepted events every second, send mail every 5 seconds, write partner usage every second, run background jobs, refresh
/// the engagement dashboard when stale, purge expired sessions and sign-ups.
pub fn spawn_housekeeping(state: AppState) {
    // The event intake and the folder of its inbox.
    let events = state.clone();
    tokio::spawn(async move { events.event_writer.start(&events.store).await });
    let usage = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            if let Err(e) = usage.partner_usage.flush(usage.store.as_ref()).await {
                tracing::warn!(error = %e, "could not write partner usage (kept for the next try)");
            }
        }
    });
    let jobs = state.clone();
    tokio::spawn(async move {
        // Background jobs (bulk actions, imports), and the dashboard kept fresh.
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        let mut last_refresh_check = 0;
        loop {
            tick.tick().await;
            loop {
                match app::engagement::service::run_next_job(&jobs).await {
                    Ok(true) => continue,
                    Ok(false) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not run background jobs");
                        break;
                    }
                }
            }
            let now = app::state::now();
            if now - last_refresh_check >= 60 {
                last_refresh_check = now;
                if let Err(e) = app::engagement::service::refresh_if_stale(&jobs, now).await {
                    tracing::warn!(error = %e, "could not refresh the engagement dashboard");
                }
            }
        }
    });
    let mail = state.clone();
    tokio::spawn(async move {
        // Mail waiting in the outbox (new, or due for another try), and once a minute
        // the yearly refresh (which sends its hourly share when the hour has come).
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        let mut last_refresh_check = 0;
        loop {
            tick.tick().await;
            let now = app::state::now();
            if now - last_refresh_check >= 60 {
                last_refresh_check = now;
                if let Err(e) = app::profile::service::yearly_refresh_tick(&mail, now).await {
                    tracing::warn!(error = %e, "could not run the yearly refresh");
                }
            }
            if let Err(e) = app::mail::service::deliver_due(&mail, now).await {
                tracing::warn!(error = %e, "could not send mail from the outbox");
            }
        }
    });
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            let now = app::state::now();
            if let Err(e) = state.store.sessions_delete_expired(now).await {
                tracing::warn!(error = %e, "could not purge expired sessions");
            }
            // Sign-ups never confirmed leave nothing behind once their link has expired.
            if let Err(e) = state.store.purge_signups(now).await {
                tracing::warn!(error = %e, "could not purge expired sign-ups");
            }
        }
    });
}
