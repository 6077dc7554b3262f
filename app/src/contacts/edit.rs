use super::form::ContactFields;
use super::{get_contact, take_contact_draft, UpdateContact};
use crate::model::ContactId;
use crate::ui::ErrorSummary;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn EditContactPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<ContactId>().ok()).unwrap_or(ContactId(0));
    let detail = Resource::new(id, get_contact);
    let draft = Resource::new(id, |id| take_contact_draft(super::draft_id(Some(id))));
    let action = ServerAction::<UpdateContact>::new();
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    view! {
        <Title text="Edit contact · Carnet"/>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let draft = draft.await.ok().flatten();
                match detail.await {
                    Ok(d) => {
                        let contact = d.contact;
                        let values = draft.unwrap_or_else(|| contact.fields.to_form());
                        let id = contact.id;
                        view! {
                            <header class="page-header">
                                <h1>"Edit " {contact.fields.display_name()}</h1>
                            </header>
                            <ActionForm action=action>
                                <ErrorSummary error/>
                                <input type="hidden" name="id" value=id.to_string()/>
                                <ContactFields values error/>
                                <div class="form-actions">
                                    <button type="submit" class="button button-primary">"Save changes"</button>
                                    <a class="button button-quiet" href=format!("/contacts/{id}")>"Cancel"</a>
                                </div>
                            </ActionForm>
                        }
                        .into_any()
                    }
                    Err(e) => crate::ui::error_alert(&e).into_any(),
                }
            })}
        </Suspense>
    }
}
