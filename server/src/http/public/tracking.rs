//! The tracking links of the mail Carnet sends: `/t/o/…` (the open pixel) and `/t/c/…`
//! (the click redirect). The rules are in `app::engagement::service::tracking`.

use super::page::{page, para};
use app::engagement::service as engagement;
use app::model::events::EventKind;
use app::platform::clock::now;
use app::state::AppState;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

/// A transparent 1×1 GIF.
const PIXEL: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
    0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
    0x02, 0x44, 0x01, 0x00, 0x3b,
];

/// The open pixel: records an open for a genuine token and always answers the image
/// (a mail client shows nothing either way), never cached.
pub async fn open_pixel(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let token = token.strip_suffix(".gif").unwrap_or(&token);
    if let Err(e) = engagement::track(&state, token, EventKind::Open, now()).await {
        tracing::error!(error = %e, "could not record an open");
    }
    ([(header::CONTENT_TYPE, "image/gif"), (header::CACHE_CONTROL, "no-store, max-age=0")], PIXEL).into_response()
}

/// A click: records it and redirects to the URL signed into the token, and only there.
pub async fn click(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match engagement::track(&state, &token, EventKind::Click, now()).await {
        Ok(Some(link)) => match link.u {
            Some(url) => Redirect::to(&url).into_response(),
            None => not_a_link(),
        },
        Ok(None) => not_a_link(),
        Err(e) => {
            tracing::error!(error = %e, "could not record a click");
            page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Please try again in a moment",
                para("Carnet could not record this click."),
            )
        }
    }
}

fn not_a_link() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "This link is not valid",
        para("It may have been copied incompletely. Open it again from the original message."),
    )
}
