//! The public sign-up form, `/subscribe` (and `/subscribe?embed=1` for other sites'
//! pages, in an iframe), and its confirmation links, `/s/<token>`. Plain HTML that works
//! without JavaScript; with it, a small script answers the proof of work. See
//! `app::signup` for the defences.
//!
//! Query parameters of the form: `source` (web, point_of_sale, call_centre, order_form,
//! event), `detail` (which shop, campaign or show), `newsletters` (ids on offer, comma-
//! separated; all by default), `lang` (en, fr; else the browser's), `embed=1`, `kiosk`
//! (a signed token staff put in the link of a tablet handed to people).

use super::page::{button_form, para, PublicPage};
use app::auth::service::ClientIp;
use app::model::contact::Newsletter;
use app::model::profile::Lang;
use app::signup::service::{self as signups, Verdict};
use app::signup::{consent_words, public_channel, Submission};
use app::state::AppState;
use app::store::SignupOutcome;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use leptos::prelude::*;
use std::collections::HashMap;
use tower_sessions::Session;

pub const POW_SCRIPT: &str = include_str!("signup_pow.js");

pub async fn pow_script() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript"), (header::CACHE_CONTROL, "public, max-age=3600")], POW_SCRIPT)
        .into_response()
}

fn lang_of(query: Option<&str>, headers: &HeaderMap) -> Lang {
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
    Lang::pick(query, accept)
}

/// The form as shown: where it comes from and what it offers.
struct FormSpec {
    submission: Submission,
    offered: Option<Vec<app::model::NewsletterId>>,
}

impl FormSpec {
    fn from_pairs(pairs: &[(String, String)], headers: &HeaderMap) -> FormSpec {
        let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        let offered = get("newsletters")
            .filter(|v| !v.trim().is_empty())
            .map(|v| v.split(',').filter_map(|id| id.trim().parse().ok()).collect());
        let submission = Submission {
            email: get("email").unwrap_or_default().into(),
            first_name: get("first_name").unwrap_or_default().into(),
            newsletters: pairs.iter().filter(|(k, _)| k == "nl").filter_map(|(_, v)| v.parse().ok()).collect(),
            offered: offered.clone(),
            channel: public_channel(get("source").unwrap_or_default()),
            detail: get("detail").unwrap_or_default().chars().take(100).collect(),
            lang: lang_of(get("lang"), headers),
            embedded: get("embed") == Some("1"),
            ticket: get("ticket").unwrap_or_default().into(),
            honeypot: get("website").unwrap_or_default().into(),
            pow: get("pow").unwrap_or_default().into(),
            kiosk: get("kiosk").unwrap_or_default().chars().take(200).collect(),
        };
        FormSpec { submission, offered }
    }
}

pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let spec = FormSpec::from_pairs(&query, &headers);
    form_page(&state, &spec, None, app::platform::clock::now(), StatusCode::OK).await
}

async fn form_page(
    state: &AppState,
    spec: &FormSpec,
    errors: Option<&app::model::FieldErrors>,
    shown_at: app::model::Timestamp,
    status: StatusCode,
) -> Response {
    let s = &spec.submission;
    let lang = s.lang;
    let (ticket, newsletters) = match (signups::new_ticket(state, shown_at).await, signups::newsletters(state).await) {
        (Ok(t), Ok(n)) => (t, n),
        (Err(e), _) | (_, Err(e)) => return failed(e, s.embedded),
    };
    let offered: Vec<_> =
        newsletters.into_iter().filter(|n| spec.offered.as_ref().is_none_or(|ids| ids.contains(&n.id))).collect();
    let title = lang.t("Subscribe", "Inscription");
    let page = PublicPage::new(lang.code(), title).embedded(s.embedded);
    if offered.is_empty() {
        let nothing = lang.t("There is nothing to subscribe to yet.", "Il n'y a encore rien à quoi s'inscrire.");
        return page.render(StatusCode::OK, para(nothing));
    }
    let body = SignupForm {
        s,
        lang,
        errors,
        offered,
        offered_ids: spec.offered.as_ref().map(|ids| ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")),
        ticket,
        bits: state.settings.signup.pow_bits,
    }
    .view();
    page.script("/subscribe/pow.js").render(status, body)
}

/// The form itself, filled with what the person sent when it comes back to them.
struct SignupForm<'a> {
    s: &'a Submission,
    lang: Lang,
    errors: Option<&'a app::model::FieldErrors>,
    offered: Vec<Newsletter>,
    offered_ids: Option<String>,
    ticket: String,
    bits: u32,
}

impl SignupForm<'_> {
    fn error(&self, field: &str) -> Option<String> {
        self.errors.and_then(|e| e.get(field)).map(str::to_string)
    }

    /// The message under a field, tied to it for screen readers.
    fn message(&self, field: &'static str) -> impl IntoView + use<> {
        self.error(field).map(|m| view! { <p class="field-error" id=format!("{field}-message")>{m}</p> })
    }

    fn invalid(&self, field: &'static str) -> (Option<&'static str>, Option<String>) {
        match self.error(field) {
            Some(_) => (Some("true"), Some(format!("{field}-message"))),
            None => (None, None),
        }
    }

    fn view(self) -> impl IntoView + use<> {
        let (s, lang) = (self.s, self.lang);
        let summary = self.errors.map(|_| {
            let text = lang.t("Please correct the fields marked below.", "Corrigez les champs signalés ci-dessous.");
            view! { <p class="alert alert-error" role="alert">{text}</p> }
        });
        let choices = self
            .offered
            .iter()
            .map(|n| {
                let about = (!n.description.is_empty())
                    .then(|| view! { <span class="field-hint">{n.description.clone()}</span> });
                view! {
                    <label class="choice">
                        <input type="checkbox" name="nl" value=n.id.to_string() checked=s.newsletters.contains(&n.id)/>
                        {format!(" {}", consent_words(lang, &n.name))}
                    </label>
                    {about}
                }
            })
            .collect_view();
        let (email_invalid, email_described) = self.invalid("email");
        let (first_invalid, first_described) = self.invalid("first_name");
        let (nl_invalid, nl_described) = self.invalid("newsletters");
        view! {
            {summary}
            <p>
                {lang.t(
                    "Get our news by email. We will send you a link to confirm.",
                    "Recevez nos nouvelles par email. Nous vous enverrons un lien pour confirmer.",
                )}
            </p>
            <form method="post" action="/subscribe" class="signup-form" data-pow-bits=self.bits.to_string() novalidate=true>
                <input type="hidden" name="ticket" value=self.ticket.clone()/>
                <input type="hidden" name="pow" value=""/>
                <input type="hidden" name="source" value=s.channel.as_str()/>
                <input type="hidden" name="detail" value=s.detail.clone()/>
                <input type="hidden" name="newsletters" value=self.offered_ids.clone().unwrap_or_default()/>
                <input type="hidden" name="lang" value=lang.code()/>
                <input type="hidden" name="kiosk" value=s.kiosk.clone()/>
                {s.embedded.then(|| view! { <input type="hidden" name="embed" value="1"/> })}
                <div class="field">
                    <label for="email">{lang.t("Email", "Email")}</label>
                    <input
                        id="email"
                        name="email"
                        type="text"
                        inputmode="email"
                        autocomplete="email"
                        required=true
                        value=s.email.clone()
                        aria-invalid=email_invalid
                        aria-describedby=email_described
                    />
                    {self.message("email")}
                </div>
                <div class="field">
                    <label for="first_name">{lang.t("First name (optional)", "Prénom (facultatif)")}</label>
                    <input
                        id="first_name"
                        name="first_name"
                        autocomplete="given-name"
                        value=s.first_name.clone()
                        aria-invalid=first_invalid
                        aria-describedby=first_described
                    />
                    {self.message("first_name")}
                </div>
                <div class="hp" aria-hidden="true">
                    <label for="website">{lang.t("Leave this empty", "Laissez ce champ vide")}</label>
                    <input id="website" name="website" tabindex="-1" autocomplete="off"/>
                </div>
                <fieldset aria-invalid=nl_invalid aria-describedby=nl_described>
                    <legend>{lang.t("What would you like to receive?", "Que souhaitez-vous recevoir ?")}</legend>
                    {choices}
                    {self.message("newsletters")}
                </fieldset>
                <button type="submit" data-working=lang.t("One moment…", "Un instant…")>
                    {lang.t("Subscribe", "M'inscrire")}
                </button>
                <p class="field-hint">
                    {lang.t(
                        "Your address is used only to send you what you choose. Every mail has a link to unsubscribe.",
                        "Votre adresse sert uniquement à vous envoyer ce que vous choisissez. Chaque envoi contient un lien de désabonnement.",
                    )}
                </p>
            </form>
        }
    }
}

pub async fn submit(
    State(state): State<AppState>,
    Extension(ip): Extension<ClientIp>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let spec = FormSpec::from_pairs(&pairs, &headers);
    let s = &spec.submission;
    let now = app::platform::clock::now();
    let verdict = match signups::submit(&state, s, &ip.0, now).await {
        Ok(verdict) => verdict,
        Err(e) => return failed(e, s.embedded),
    };
    match verdict {
        Verdict::CheckMail { .. } => check_mail(s.lang, s.embedded),
        Verdict::Again { errors, shown_at } => {
            form_page(&state, &spec, Some(&errors), shown_at, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// What people and bots alike are told after sending the form.
fn check_mail(lang: Lang, embedded: bool) -> Response {
    let body = lang.t(
        "If the address is right, a link to confirm your subscription is on its way. \
         Open it within 7 days; until then you will receive nothing.",
        "Si l'adresse est exacte, un lien pour confirmer votre inscription est en route. \
         Ouvrez-le dans les 7 jours ; d'ici là, vous ne recevrez rien.",
    );
    let title = lang.t("Check your mail", "Consultez vos emails");
    PublicPage::new(lang.code(), title).embedded(embedded).render(StatusCode::OK, para(body))
}

/// The confirmation link: a GET (the person, or a mail scanner) only shows the button.
pub async fn confirm_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let lang = lang_of(query.get("lang").map(String::as_str), &headers);
    match signups::check_confirmation(&state, &token, app::platform::clock::now()).await {
        Ok(Ok(())) => {
            let body = view! {
                {para(lang.t("One click to confirm your subscription.", "Un clic pour confirmer votre inscription."))}
                {button_form(
                    format!("/s/{token}?lang={}", lang.code()),
                    lang.t("Confirm my subscription", "Confirmer mon inscription"),
                )}
            };
            PublicPage::new(lang.code(), lang.t("Confirm", "Confirmation")).render(StatusCode::OK, body)
        }
        Ok(Err(problem_outcome)) => problem(lang, problem_outcome),
        Err(e) => failed(e, false),
    }
}

/// The POST: confirms, opens the person's own short session, and offers their profile.
pub async fn confirm(
    State(state): State<AppState>,
    session: Session,
    Path(token): Path<String>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let lang = lang_of(query.get("lang").map(String::as_str), &headers);
    let now = app::platform::clock::now();
    match signups::confirm(&state, &token, now).await {
        Ok(SignupOutcome::Confirmed { contact_id, newsletters }) => {
            if let Err(e) = app::self_service::service::open_session(&session, contact_id, now).await {
                return failed(e, false);
            }
            let subscribed =
                format!("{} {}.", lang.t("You are subscribed to", "Vous êtes inscrit à"), newsletters.join(", "));
            let body = view! {
                {para(subscribed)}
                {para(lang.t(
                    "Tell us a little more about you, and choose what we send you:",
                    "Dites-nous en un peu plus sur vous, et choisissez ce que nous vous envoyons :",
                ))}
                <p>
                    <a class="button" href=format!("/me?lang={}", lang.code())>
                        {lang.t("Complete my profile", "Compléter mon profil")}
                    </a>
                </p>
            };
            PublicPage::new(lang.code(), lang.t("Thank you", "Merci")).render(StatusCode::OK, body)
        }
        Ok(other) => problem(lang, other),
        Err(e) => failed(e, false),
    }
}

fn problem(lang: Lang, outcome: SignupOutcome) -> Response {
    let (status, title, why) = match outcome {
        SignupOutcome::Used => (
            StatusCode::OK,
            lang.t("Already confirmed", "Déjà confirmée"),
            lang.t(
                "Your subscription was confirmed before: there is nothing more to do.",
                "Votre inscription a déjà été confirmée : il n'y a rien d'autre à faire.",
            ),
        ),
        SignupOutcome::Expired => (
            StatusCode::GONE,
            lang.t("This link has expired", "Ce lien a expiré"),
            lang.t(
                "Confirmation links work for 7 days. Sign up again to get a new one.",
                "Les liens de confirmation sont valables 7 jours. Inscrivez-vous à nouveau pour en recevoir un autre.",
            ),
        ),
        _ => (
            StatusCode::NOT_FOUND,
            lang.t("This link is not valid", "Ce lien n'est pas valide"),
            lang.t(
                "It is incomplete or damaged. Open the link from the mail again.",
                "Il est incomplet ou abîmé. Ouvrez à nouveau le lien de l'email.",
            ),
        ),
    };
    let again = matches!(outcome, SignupOutcome::Expired).then(|| {
        view! {
            <p>
                <a href=format!("/subscribe?lang={}", lang.code())>{lang.t("Sign up again", "M'inscrire à nouveau")}</a>
            </p>
        }
    });
    PublicPage::new(lang.code(), title).render(status, view! { {para(why)} {again} })
}

fn failed(e: impl std::fmt::Display, embedded: bool) -> Response {
    tracing::error!(error = %e, "sign-up failed");
    PublicPage::new("en", "Please try again")
        .embedded(embedded)
        .render(StatusCode::SERVICE_UNAVAILABLE, para("Something went wrong on our side."))
}
