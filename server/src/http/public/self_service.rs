//! Personal links, `/p/<token>`. A GET (the person, or a mail scanner fetching links)
//! only shows a "Continue" button and uses nothing; the POST uses the link once, opens
//! a short session for that contact alone and lands on `/me`, a URL without the token.
//! An expired or used link says so and offers to mail a new one to the address on file.

use super::page::{button_form, page, para};
use app::self_service::service::{self as links, LinkProblem};
use app::state::AppState;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use leptos::prelude::*;
use tower_sessions::Session;

pub async fn show(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match links::check_link(&state, &token, app::platform::clock::now()).await {
        Ok(Ok(_)) => page(
            StatusCode::OK,
            "Your profile",
            view! {
                <p>"Continue to see and update what we know about you, and choose what we send you."</p>
                {button_form(format!("/p/{token}"), "Continue")}
            },
        ),
        Ok(Err(problem)) => problem_page(&token, problem),
        Err(e) => failed(e),
    }
}

pub async fn open(State(state): State<AppState>, session: Session, Path(token): Path<String>) -> Response {
    let now = app::platform::clock::now();
    match links::use_link(&state, &token, now).await {
        Ok(Ok(contact)) => match links::open_session(&session, contact, now).await {
            Ok(()) => (StatusCode::SEE_OTHER, [(header::LOCATION, "/me")]).into_response(),
            Err(e) => failed(e),
        },
        Ok(Err(problem)) => problem_page(&token, problem),
        Err(e) => failed(e),
    }
}

pub async fn resend(
    State(state): State<AppState>,
    axum::Extension(ip): axum::Extension<app::auth::service::ClientIp>,
    Path(token): Path<String>,
) -> Response {
    let now = app::platform::clock::now();
    // A door that sends mail: throttled per network address like the sign-up form.
    let sent = match app::signup::service::public_door_allowed(&state, "resend", &ip.0, now).await {
        Ok(true) => links::resend(&state, &token, now).await,
        Ok(false) => Ok(false),
        Err(e) => Err(e.into()),
    };
    match sent {
        // The same answer whether or not a mail went out: the page reveals nothing.
        Ok(_) => page(
            StatusCode::OK,
            "Check your mail",
            para("If this link was ours, a new one is on its way to the address we have for you."),
        ),
        Err(e) => failed(e),
    }
}

fn problem_page(token: &str, problem: LinkProblem) -> Response {
    let (status, title, why) = match problem {
        LinkProblem::Unknown => (StatusCode::NOT_FOUND, "This link is not valid", "It is incomplete or damaged."),
        LinkProblem::Expired => (StatusCode::GONE, "This link has expired", "Personal links work for a limited time."),
        LinkProblem::Used => (StatusCode::GONE, "This link was already used", "Personal links work once."),
    };
    let offer = if problem == LinkProblem::Unknown {
        para("Open the link from our most recent mail.").into_any()
    } else {
        button_form(format!("/p/{token}/resend"), "Mail me a new link").into_any()
    };
    page(status, title, view! { {para(why)} {offer} })
}

fn failed(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "personal link failed");
    page(StatusCode::SERVICE_UNAVAILABLE, "Please try again", para("Something went wrong on our side."))
}

/// "Download my data": the contact's own data as a JSON file (their session only).
pub async fn my_data(State(state): State<AppState>, session: Session) -> Response {
    let now = app::platform::clock::now();
    let id = match links::session_contact(&state, &session, now).await {
        Ok(Some(id)) => id,
        Ok(None) => return (StatusCode::UNAUTHORIZED, "Open the personal link from our mail first.").into_response(),
        Err(e) => return failed(e),
    };
    match links::my_data(&state, id).await {
        Ok(data) => (
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"my-data.json\""),
                (header::CACHE_CONTROL, "no-store"),
            ],
            serde_json::to_string_pretty(&data).unwrap_or_default(),
        )
            .into_response(),
        Err(e) => failed(e),
    }
}
