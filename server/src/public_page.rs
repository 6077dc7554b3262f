//! The few plain pages served outside Leptos to people with no account (unsubscribe,
//! personal links): small, no JavaScript, never cached, and their URLs (which carry
//! tokens) never sent to other sites as a referrer. (`same-origin` rather than
//! `no-referrer`, under which browsers post these pages' own forms with `Origin: null`,
//! which the CSRF check rightly refuses.)

use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

pub fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{title}</title>\
         <link rel=\"stylesheet\" href=\"/pkg/carnet.css\"></head>\
         <body><main class=\"public-page\"><h1>{title}</h1>{body}</main></body></html>"
    );
    (status, [(header::CACHE_CONTROL, "no-store"), (header::REFERRER_POLICY, "same-origin")], Html(html))
        .into_response()
}

pub use app::mail::service::escape_html as html_escape;
