use crate::error::AppError;
use leptos::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FieldKind {
    #[default]
    Text,
    Email,
    Tel,
    Date,
    Password,
    TextArea,
}

/// A labelled input whose message comes from the last submission's error. Works with
/// JavaScript off (the server renders the message from the error in the URL) and on.
#[component]
pub fn Field(
    /// The label a person reads (and tests find the input by).
    label: &'static str,
    /// The form field name, e.g. `form[email]`.
    name: &'static str,
    /// The key of this field in `FieldErrors`, e.g. `email`.
    key: &'static str,
    #[prop(optional)] kind: FieldKind,
    #[prop(optional, into)] value: String,
    #[prop(optional)] required: bool,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let id = format!("field-{key}");
    let message_id = format!("{id}-message");
    let message = move || error.get().and_then(|e| e.field(key));
    let invalid = move || message().is_some().then_some("true");
    let described = {
        let message_id = message_id.clone();
        move || message().map(|_| message_id.clone())
    };
    let input = match kind {
        FieldKind::TextArea => view! {
            <textarea id=id.clone() name=name rows="3" aria-invalid=invalid aria-describedby=described.clone()>{value}</textarea>
        }
        .into_any(),
        other => {
            let (type_, inputmode) = match other {
                // type="text" with an email keyboard: the server's message, not the
                // browser's tooltip, explains what is wrong.
                FieldKind::Email => ("text", Some("email")),
                FieldKind::Tel => ("tel", None),
                FieldKind::Date => ("date", None),
                FieldKind::Password => ("password", None),
                _ => ("text", None),
            };
            view! {
                // The attribute for the server's HTML; the property too, because when a
                // form is rendered again in place (the next entry) the browser shows the
                // property, which an attribute change does not touch once typed into.
                <input id=id.clone() name=name type=type_ inputmode=inputmode value=value.clone() prop:value=value required=required
                    autocomplete=autocomplete aria-invalid=invalid aria-describedby=described.clone()/>
            }
            .into_any()
        }
    };
    view! {
        <div class="field" class:field-invalid=move || message().is_some()>
            <label for=id.clone()>{label}{required.then_some(view! { <span class="required" aria-hidden="true">" *"</span> })}</label>
            {input}
            {hint.map(|h| view! { <p class="field-hint">{h}</p> })}
            {move || message().map(|m| view! { <p class="field-error" id=message_id.clone()>{m}</p> })}
        </div>
    }
}

/// The banner at the top of a form after a failed submission.
#[component]
pub fn ErrorSummary(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            let link = match &e {
                AppError::DuplicateEmail { existing_id } => Some(view! {
                    " " <a href=format!("/contacts/{existing_id}")>"Open the existing contact"</a>
                }),
                _ => None,
            };
            view! { <div class="alert alert-error" role="alert">{e.to_string()}{link}</div> }
        })
    }
}
