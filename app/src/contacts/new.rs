use super::form::ContactFields;
use super::{take_contact_draft, CreateContact};
use crate::model::ContactForm;
use crate::ui::ErrorSummary;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NewContactPage() -> impl IntoView {
    let action = ServerAction::<CreateContact>::new();
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let draft = Resource::new(|| (), |_| take_contact_draft(super::draft_id(None)));
    view! {
        <Title text="Add a contact · Carnet"/>
        <header class="page-header">
            <h1>"Add a contact"</h1>
        </header>
        <ActionForm action=action>
            <ErrorSummary error/>
            // Rendered once: with JavaScript on, what was typed stays in the inputs when
            // the server answers with an error; with it off, the draft brings it back.
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let values = draft.await.ok().flatten().unwrap_or_else(ContactForm::default);
                    view! { <ContactFields values error/> }
                })}
            </Suspense>
            <div class="form-actions">
                <button type="submit" class="button button-primary">"Save contact"</button>
                <a class="button button-quiet" href="/contacts">"Cancel"</a>
            </div>
        </ActionForm>
    }
}
