//! The few plain pages served outside Leptos to people with no account (sign-up,
//! unsubscribe, personal links): small, never cached, and their URLs (which carry
//! tokens) never sent to other sites as a referrer. (`same-origin` rather than
//! `no-referrer`, under which browsers post these pages' own forms with `Origin: null`,
//! which the CSRF check rightly refuses.)

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

pub fn page(status: StatusCode, title: &str, body: &str) -> Response {
    PublicPage::new("en", title, body).render(status)
}

/// A public page with its options.
pub struct PublicPage<'a> {
    lang: &'a str,
    title: &'a str,
    /// HTML, already escaped.
    body: &'a str,
    /// A same-origin script to load (deferred).
    script: Option<&'a str>,
    /// Shown inside another site's page (the embeddable sign-up form): no heading
    /// margins, and other sites may frame it.
    embedded: bool,
}

impl<'a> PublicPage<'a> {
    /// A page in `lang`, framed by nobody, with no script.
    pub fn new(lang: &'a str, title: &'a str, body: &'a str) -> Self {
        PublicPage { lang, title, body, script: None, embedded: false }
    }

    pub fn embedded(self, embedded: bool) -> Self {
        PublicPage { embedded, ..self }
    }

    pub fn script(self, src: &'a str) -> Self {
        PublicPage { script: Some(src), ..self }
    }

    pub fn render(&self, status: StatusCode) -> Response {
        let (title, body, lang) = (self.title, self.body, self.lang);
        let script = self.script.map(|s| format!("<script src=\"{s}\" defer></script>")).unwrap_or_default();
        let class = if self.embedded { "public-page embedded" } else { "public-page" };
        let html = format!(
            "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <meta name=\"robots\" content=\"noindex\"><title>{title}</title>\
             <link rel=\"stylesheet\" href=\"/pkg/carnet.css\">{script}</head>\
             <body><main class=\"{class}\"><h1>{title}</h1>{body}</main></body></html>"
        );
        let mut response =
            (status, [(header::CACHE_CONTROL, "no-store"), (header::REFERRER_POLICY, "same-origin")], Html(html))
                .into_response();
        if self.embedded {
            // The one page other sites may frame; every other response refuses it
            // (see `middleware::frame_guard`).
            response
                .headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("frame-ancestors *"));
        }
        response
    }
}

pub use app::mail::service::escape_html as html_escape;
