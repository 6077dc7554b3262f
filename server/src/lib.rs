//! The `carnet` binary's library: configuration, the HTTP application (`http`, by
//! audience), storage backends (`store`), background chores and generators. `main.rs` only parses the command line and calls in here,
//! and tests build the same application on port 0.

// The portable storage modules are mounted once per backend on purpose (see `store`).
#![allow(clippy::duplicate_mod)]

pub mod commands;
pub mod config;
mod demo;
pub mod export_commands;
mod housekeeping;
pub mod http;
pub mod import_commands;
pub mod operations;
pub mod seed;
pub mod smtp;
pub mod store;

use app::state::{AppState, Settings};
use app::store::Store;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;

/// What `Application::build` needs; tests fill it in directly.
#[derive(Clone)]
pub struct AppConfig {
    pub settings: Settings,
    pub site_root: PathBuf,
    pub trust_proxy: bool,
    /// Sends mail; `None` keeps it in the outbox.
    pub mailer: Option<Arc<dyn app::mail::service::MailTransport>>,
}

/// A bound, ready-to-serve Carnet.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    state: AppState,
}

impl Application {
    pub async fn build(config: AppConfig, store: Arc<dyn Store>, listen: &str) -> std::io::Result<Application> {
        let listener = TcpListener::bind(listen).await?;
        let mut state = AppState::new(store, config.settings.clone());
        if let Some(mailer) = &config.mailer {
            state = state.with_mailer(mailer.clone());
        }
        let router = http::router(state.clone(), &config, listener.local_addr()?);
        Ok(Application { listener, router, state })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until the process is stopped (Ctrl-C or SIGTERM finishes in-flight requests).
    pub async fn run(self) -> std::io::Result<()> {
        housekeeping::spawn(self.state.clone());
        // Partners scrub lists against an in-memory set of known hashes: load it now, in
        // the background, when there are partners, so the first scrub need not wait.
        let warm = self.state.clone();
        tokio::spawn(async move {
            if warm.store.partners().await.is_ok_and(|p| !p.is_empty()) {
                if let Err(e) = warm.known_hashes.known(warm.store.as_ref(), &[], app::platform::clock::now()).await {
                    tracing::warn!(error = %e, "could not load the known hashes");
                }
            }
        });
        let state = self.state.clone();
        // One address per page: `/contacts/` is `/contacts` before routing, so a trailing
        // slash never reaches a page around the staff gate (Leptos matches both).
        let app =
            tower::Layer::layer(&tower_http::normalize_path::NormalizePathLayer::trim_trailing_slash(), self.router);
        let served = axum::serve(
            self.listener,
            axum::ServiceExt::<axum::extract::Request>::into_make_service_with_connect_info::<SocketAddr>(app),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await;
        // What the last second gathered is written before the process ends.
        if let Err(e) = state.partner_usage.flush(state.store.as_ref()).await {
            tracing::error!(error = %e, "could not write the last partner usage");
        }
        served
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}

/// `site` beside the directory holding the binary: target/release/carnet → target/site.
pub fn default_site_root() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().and_then(|dir| dir.parent()).map(|p| p.join("site")))
        .unwrap_or_else(|| PathBuf::from("site"))
}
