//! Pages for people without a staff account, outside the staff app: the sign-up form
//! and its confirmation links, personal links to one's own profile, one-click
//! unsubscribe, and the tracking links of mail. Each answers anyone; their tokens are
//! their only authority.

mod page;
mod self_service;
mod signup;
mod tracking;
mod unsubscribe;

use app::auth::session_store::DbSessionStore;
use app::state::AppState;
use axum::routing::{get, post};
use axum::Router;
use tower_sessions::SessionManagerLayer;

/// The public routes. `sessions` is the staff app's session layer: a confirmed sign-up
/// and a used personal link open a short session for that person alone (on `/me`).
pub fn router(state: AppState, sessions: SessionManagerLayer<DbSessionStore>) -> Router {
    let with_session = Router::new()
        .route("/p/{token}", get(self_service::show).post(self_service::open))
        .route("/p/{token}/resend", post(self_service::resend))
        .route("/subscribe", get(signup::show).post(signup::submit))
        .route("/s/{token}", get(signup::confirm_page).post(signup::confirm))
        .route("/me/data.json", get(self_service::my_data))
        .layer(sessions);
    // No cookie is read or set below: mail providers post the unsubscribe URL from
    // anywhere (RFC 8058), and tracking answers every mail client alike.
    Router::new()
        .merge(with_session)
        .route("/subscribe/pow.js", get(signup::pow_script))
        .route("/u/{token}", get(unsubscribe::show).post(unsubscribe::unsubscribe))
        .route("/t/o/{token}", get(tracking::open_pixel))
        .route("/t/c/{token}", get(tracking::click))
        .layer(crate::http::middleware::no_store())
        .with_state(state)
}
