//! One-click unsubscribe (RFC 8058): the URL in every mail's `List-Unsubscribe` header.
//! A POST (what mail providers send, with no cookie) unsubscribes and records it; a GET
//! (a person following the link, or a scanner) only shows a page with a button.

use super::page::{page, para};
use app::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use leptos::prelude::*;

/// How the evidence names this way of unsubscribing.
pub const HOW: &str = "one-click unsubscribe link (RFC 8058)";

fn not_valid() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "This link is not valid",
        para(
            "The unsubscribe link is incomplete or damaged. Use the link of a more recent mail, \
             or reply to it and ask to be unsubscribed.",
        ),
    )
}

fn failed(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "unsubscribe failed");
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Please try again",
        para("Something went wrong on our side. Nothing was changed."),
    )
}

pub async fn show(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match app::mail::service::unsubscribe_contact(&state, &token).await {
        Ok(Some(_)) => page(
            StatusCode::OK,
            "Unsubscribe",
            view! {
                <p>"Stop receiving our newsletters at this address?"</p>
                <form method="post" action=format!("/u/{token}")>
                    <input type="hidden" name="List-Unsubscribe" value="One-Click"/>
                    <button type="submit">"Unsubscribe"</button>
                </form>
            },
        ),
        Ok(None) => not_valid(),
        Err(e) => failed(e),
    }
}

pub async fn unsubscribe(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match app::mail::service::unsubscribe(&state, &token, HOW).await {
        Ok(Some(_)) => page(
            StatusCode::OK,
            "You are unsubscribed",
            para("You will not receive our newsletters at this address any more."),
        ),
        Ok(None) => not_valid(),
        Err(e) => failed(e),
    }
}
