//! The few plain pages served outside the hydrated app to people with no account
//! (sign-up, unsubscribe, personal links), rendered by Leptos on the server so that
//! everything they show is escaped by the framework. Small, never cached, and their URLs
//! (which carry tokens) never sent to other sites as a referrer. (`same-origin` rather
//! than `no-referrer`, under which browsers post these pages' own forms with
//! `Origin: null`, which the CSRF check rightly refuses.)

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use leptos::prelude::*;

/// An English page: a title and its body.
pub fn page(status: StatusCode, title: &str, body: impl IntoView + 'static) -> Response {
    PublicPage::new("en", title).render(status, body)
}

/// A public page with its options.
pub struct PublicPage<'a> {
    lang: &'a str,
    title: &'a str,
    /// A same-origin script to load (deferred).
    script: Option<&'static str>,
    /// Shown inside another site's page (the embeddable sign-up form): no heading
    /// margins, and other sites may frame it.
    embedded: bool,
}

impl<'a> PublicPage<'a> {
    /// A page in `lang`, framed by nobody, with no script.
    pub fn new(lang: &'a str, title: &'a str) -> Self {
        PublicPage { lang, title, script: None, embedded: false }
    }

    pub fn embedded(self, embedded: bool) -> Self {
        PublicPage { embedded, ..self }
    }

    pub fn script(self, src: &'static str) -> Self {
        PublicPage { script: Some(src), ..self }
    }

    pub fn render(&self, status: StatusCode, body: impl IntoView + 'static) -> Response {
        let (lang, title) = (self.lang.to_string(), self.title.to_string());
        let class = if self.embedded { "public-page embedded" } else { "public-page" };
        let script = self.script.map(|src| view! { <script src=src defer=true></script> });
        let html = view! {
            <!DOCTYPE html>
            <html lang=lang>
                <head>
                    <meta charset="utf-8"/>
                    <meta name="viewport" content="width=device-width, initial-scale=1"/>
                    <meta name="robots" content="noindex"/>
                    <title>{title.clone()}</title>
                    <link rel="stylesheet" href="/pkg/carnet.css"/>
                    {script}
                </head>
                <body>
                    <main class=class>
                        <h1>{title}</h1>
                        {body}
                    </main>
                </body>
            </html>
        }
        .to_html();
        let mut response =
            (status, [(header::CACHE_CONTROL, "no-store"), (header::REFERRER_POLICY, "same-origin")], Html(html))
                .into_response();
        if self.embedded {
            // The one page other sites may frame; every other response refuses it
            // (see `middleware::security_headers`).
            response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, embedded_policy());
        }
        response
    }
}

/// One line of text.
pub fn para(text: impl Into<String>) -> impl IntoView {
    let text: String = text.into();
    view! { <p>{text}</p> }
}

/// A form of one button posting to `action` (scanners' GETs use nothing; people click).
pub fn button_form(action: String, label: &'static str) -> impl IntoView {
    view! {
        <form method="post" action=action>
            <button type="submit">{label}</button>
        </form>
    }
}

/// The embeddable form's policy: Carnet's own scripts only, framed by any site.
fn embedded_policy() -> HeaderValue {
    let policy = app::ui::content_security_policy(None, app::ui::Framing::AnySite);
    HeaderValue::from_str(&policy).expect("the policy is ASCII")
}
