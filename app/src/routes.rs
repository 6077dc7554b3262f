use crate::auth::LoginPage;
use crate::contacts::{ContactPage, ContactsPage, EditContactPage, NewContactPage};
use crate::engagement::{BulkPage, EngagementPage, EngagementSettingsPage, ImportPage, JobPage};
use crate::partners::{PartnersPage, StatementPage};
use crate::ui::StaffShell;
use crate::users::UsersPage;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// The HTML document around the app (server only).
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    use leptos_meta::MetaTags;
    // Leptos puts a fresh nonce on the inline script that starts hydration; the policy
    // of this response allows that script and no other inline one.
    if let (Some(nonce), Some(response)) = (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>()) {
        let policy = crate::ui::content_security_policy(Some(&nonce), crate::ui::Framing::Nobody);
        if let Ok(value) = axum::http::HeaderValue::from_str(&policy) {
            response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The pages below that are for people without a staff account (every other page is in
/// the staff shell, behind the server's staff gate).
pub const PAGES_WITHOUT_STAFF_ACCOUNT: [&str; 3] = ["/login", "/login/two-factor", "/me"];

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Every page renders completely on the server before it is sent (`Async`), so it
    // reads and works with JavaScript off; with it on, the page hydrates.
    view! {
        <Stylesheet id="carnet" href="/pkg/carnet.css"/>
        <Title text="Carnet"/>
        <a class="skip-link" href="#main">"Skip to content"</a>
        <Router>
            <Routes fallback=|| view! { <main class="content"><h1>"Page not found"</h1><p><a href="/contacts">"Go to contacts"</a></p></main> }>
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                <Route path=path!("/login/two-factor") view=crate::auth::TwoFactorPage ssr=SsrMode::Async/>
                <Route path=path!("/me") view=crate::self_service::MePage ssr=SsrMode::Async/>
                <ParentRoute path=path!("") view=StaffShell ssr=SsrMode::Async>
                    <Route path=path!("/") view=|| view! { <Redirect path="/contacts"/> } ssr=SsrMode::Async/>
                    <Route path=path!("/contacts") view=ContactsPage ssr=SsrMode::Async/>
                    <Route path=path!("/contacts/new") view=NewContactPage ssr=SsrMode::Async/>
                    <Route path=path!("/quick-entry") view=crate::signup::QuickEntryPage ssr=SsrMode::Async/>
                    <Route path=path!("/contacts/bulk") view=BulkPage ssr=SsrMode::Async/>
                    <Route path=path!("/contacts/import") view=crate::imports::ImportsPage ssr=SsrMode::Async/>
                    <Route path=path!("/contacts/import/:id") view=crate::imports::ImportDetailPage ssr=SsrMode::Async/>
                    <Route path=path!("/contacts/:id") view=ContactPage ssr=SsrMode::Async/>
                    <Route path=path!("/contacts/:id/edit") view=EditContactPage ssr=SsrMode::Async/>
                    <Route path=path!("/engagement") view=EngagementPage ssr=SsrMode::Async/>
                    <Route path=path!("/engagement/settings") view=EngagementSettingsPage ssr=SsrMode::Async/>
                    <Route path=path!("/engagement/import") view=ImportPage ssr=SsrMode::Async/>
                    <Route path=path!("/jobs/:id") view=JobPage ssr=SsrMode::Async/>
                    <Route path=path!("/users") view=UsersPage ssr=SsrMode::Async/>
                    <Route path=path!("/account") view=crate::auth::AccountPage ssr=SsrMode::Async/>
                    <Route path=path!("/mail") view=crate::mail::MailPage ssr=SsrMode::Async/>
                    <Route path=path!("/newsletters") view=crate::newsletters::NewslettersPage ssr=SsrMode::Async/>
                    <Route path=path!("/newsletters/:id") view=crate::newsletters::NewsletterPage ssr=SsrMode::Async/>
                    <Route path=path!("/incentives") view=crate::incentives::IncentivesPage ssr=SsrMode::Async/>
                    <Route path=path!("/incentives/:id") view=crate::incentives::ProgrammePage ssr=SsrMode::Async/>
                    <Route path=path!("/settings/self-service") view=crate::self_service::SelfServiceSettingsPage ssr=SsrMode::Async/>
                    <Route path=path!("/partners") view=PartnersPage ssr=SsrMode::Async/>
                    <Route path=path!("/partners/:id/statement") view=StatementPage ssr=SsrMode::Async/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
