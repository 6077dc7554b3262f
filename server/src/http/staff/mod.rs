//! The staff app: the Leptos pages and the server functions they call (`/api/{fn}`),
//! and staff files outside Leptos (downloads, uploads). The staff gate sends anonymous
//! visitors of a staff page to the sign-in page; server functions and files check the
//! session and role themselves and answer with errors.

mod files;
mod imports;

use crate::AppConfig;
use app::auth::session_store::DbSessionStore;
use app::state::AppState;
use app::{shell, App};
use axum::extract::Request;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::net::SocketAddr;
use tower_sessions::{Session, SessionManagerLayer};

pub fn router(
    state: AppState,
    config: &AppConfig,
    addr: SocketAddr,
    sessions: SessionManagerLayer<DbSessionStore>,
) -> Router {
    let options = LeptosOptions::builder()
        .output_name("carnet")
        .site_root(config.site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build();
    // The Leptos pages for people without a staff account (sign-in, one's own profile)
    // are the only ones outside the gate. Their registration also registers every
    // server function (Leptos does that once per router); the staff pages are rendered
    // by the same handler Leptos uses for `SsrMode::Async`, which every page is.
    let (open_pages, staff_pages): (Vec<_>, Vec<_>) = generate_route_list(App)
        .into_iter()
        .partition(|route| app::PAGES_WITHOUT_STAFF_ACCOUNT.contains(&route.path()));
    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    let staff_page = {
        let (context, options, page_options) = (context.clone(), options.clone(), options.clone());
        leptos_axum::render_app_async_with_context(
            move || {
                provide_context(options.clone());
                context();
            },
            move || shell(page_options.clone()),
        )
    };
    let server_fns = {
        let context = context.clone();
        move |req: axum::extract::Request| {
            let context = context.clone();
            async move { leptos_axum::handle_server_fns_with_context(context, req).await }
        }
    };
    let page_shell = {
        let options = options.clone();
        move || shell(options.clone())
    };
    let gated = Router::new()
        .route("/partners/{id}/statement.csv", get(files::statement_csv))
        .route("/contacts/export", get(files::contacts_export))
        .route("/contacts/export.csv", get(files::contacts_export))
        .route(
            "/incentives/redemptions",
            post(files::redemptions_csv)
                .layer(axum::extract::DefaultBodyLimit::max(files::MAX_REDEMPTIONS_BYTES + 64 * 1024)),
        )
        .route(
            "/contacts/import",
            post(imports::upload)
                .layer(axum::extract::DefaultBodyLimit::max(imports::MAX_UPLOAD_BYTES as usize + 1024 * 1024)),
        )
        .route("/contacts/import/{id}/refused.csv", get(imports::refused_csv))
        .route(
            "/engagement/import",
            post(files::import_events).layer(axum::extract::DefaultBodyLimit::max(files::MAX_IMPORT_BYTES + 64 * 1024)),
        )
        .with_state(state.clone())
        .leptos_routes_with_handler(staff_pages, staff_page)
        .route_layer(axum::middleware::from_fn(staff_gate));
    Router::new()
        .route("/api/{*fn_name}", get(server_fns.clone()).post(server_fns))
        .leptos_routes_with_context(&options, open_pages, context, page_shell)
        .merge(gated)
        // Pages, server-function answers and files: never stored. The fallback below
        // serves the site's assets (wasm, script, stylesheet), which may be.
        .layer(crate::http::middleware::no_store())
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(options)
        .layer(sessions)
}

/// Sends an anonymous visitor of a staff page to the sign-in page, remembering where
/// they were going. Only reading requests are sent on: the others (form posts, uploads)
/// are checked by their handlers, which answer with errors.
async fn staff_gate(session: Session, req: Request, next: Next) -> Response {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return next.run(req).await;
    }
    if app::auth::service::has_staff_session(&session).await {
        return next.run(req).await;
    }
    let target = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let next_param = app::model::listing::url_encode(target);
    Redirect::to(&format!("/login?next={next_param}")).into_response()
}
