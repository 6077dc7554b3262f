use super::{all_newsletters, ArchiveNewsletter, CreateNewsletter, UpdateNewsletter};
use crate::model::contact::NewsletterChannel;
use crate::model::NewsletterId;
use crate::model::Permission;
use crate::ui::{ErrorSummary, Field, FieldKind, IfAllowed};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// `/newsletters`: what people can subscribe to. Every role reads the list; admins
/// create, rename, describe, order and archive.
#[component]
pub fn NewslettersPage() -> impl IntoView {
    let create = ServerAction::<CreateNewsletter>::new();
    let list = Resource::new(move || create.version().get(), |_| all_newsletters());
    let query = use_query_map();
    let create_error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let created =
        move || matches!(create.value().get(), Some(Ok(_))) || query.read().get("created").is_some_and(|v| v == "1");
    view! {
        <Title text="Newsletters · Carnet"/>
        <header class="page-header"><h1>"Newsletters"</h1></header>
        <p class="lead">"What people subscribe to: sign-up forms, quick entry, the profile page and partners' leads offer the open ones, in this order. An archived newsletter takes no new subscriptions; its subscribers' history and evidence stay."</p>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Err(e) => crate::ui::error_alert(&e).into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <div class="empty-state">
                            <p><strong>"No newsletters yet."</strong></p>
                            <p>"Until there is one, the sign-up forms and the profile page have nothing to offer, and leads and quick entry record no subscription. An admin creates the first one below (or with " <code>"carnet newsletter add --name …"</code> ")."</p>
                        </div>
                    }.into_any(),
                    Ok(list) => view! {
                        <div class="table-wrap">
                        <table class="table">
                            <thead><tr>
                                <th scope="col">"Newsletter"</th><th scope="col">"Channel"</th>
                                <th scope="col">"Order"</th><th scope="col">"Status"</th>
                            </tr></thead>
                            <tbody>
                            {list.into_iter().map(|n| view! {
                                <tr>
                                    <td><a href=format!("/newsletters/{}", n.id)><strong>{n.name.clone()}</strong></a><br/><span class="muted">{n.description.clone()}</span></td>
                                    <td>{n.channel.label()}</td>
                                    <td>{n.position}</td>
                                    <td>{if n.archived { "Archived" } else { "Open" }}</td>
                                </tr>
                            }).collect_view()}
                            </tbody>
                        </table>
                        </div>
                    }.into_any(),
                }
            })}
        </Suspense>
        <IfAllowed permission=Permission::ManageSettings>
            <section class="card" aria-labelledby="new-newsletter-h">
                <h2 id="new-newsletter-h">"Create a newsletter"</h2>
                <ActionForm action=create>
                    {move || created().then(|| view! { <p class="alert alert-success" role="status">"Newsletter created: the forms offer it now."</p> })}
                    <ErrorSummary error=create_error/>
                    <div class="grid-2">
                        <Field label="Name" name="form[name]" key="name" required=true error=create_error hint="As subscribers read it, e.g. “Weekly offers”"/>
                        <div class="field">
                            <label for="new-newsletter-channel">"Channel"</label>
                            <select id="new-newsletter-channel" name="form[channel]">
                                {NewsletterChannel::ALL.into_iter().map(|c| view! { <option value=c.as_str()>{c.label()}</option> }).collect_view()}
                            </select>
                            <p class="field-hint">"Fixed once created: subscribers agree to one channel."</p>
                        </div>
                        <Field label="Order on forms" name="form[position]" key="position" error=create_error hint="0 to 999, lowest first (0 if empty)"/>
                    </div>
                    <Field label="Description" name="form[description]" key="description" kind=FieldKind::TextArea error=create_error
                        hint="What people get, shown beside the box they tick"/>
                    <div class="form-actions"><button type="submit" class="button button-primary">"Create newsletter"</button></div>
                </ActionForm>
            </section>
        </IfAllowed>
    }
}

/// `/newsletters/{id}`: one newsletter; admins rename, describe, move and archive it.
#[component]
pub fn NewsletterPage() -> impl IntoView {
    let params = leptos_router::hooks::use_params_map();
    let id = move || params.read().get("id").and_then(|v| v.parse::<i64>().ok()).map(NewsletterId);
    let update = ServerAction::<UpdateNewsletter>::new();
    let archive = ServerAction::<ArchiveNewsletter>::new();
    let list = Resource::new(move || (update.version().get(), archive.version().get()), |_| all_newsletters());
    let query = use_query_map();
    let update_error = Signal::derive(move || update.value().get().and_then(|r| r.err()));
    let archive_error = Signal::derive(move || archive.value().get().and_then(|r| r.err()));
    let saved = move || {
        matches!(update.value().get(), Some(Ok(())))
            || matches!(archive.value().get(), Some(Ok(())))
            || query.read().get("saved").is_some_and(|v| v == "1")
    };
    view! {
        <Title text="Newsletter · Carnet"/>
        <p><a href="/newsletters">"← All newsletters"</a></p>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let found = list.await.map(|all| all.into_iter().find(|n| Some(n.id) == id()));
                match found {
                    Err(e) => crate::ui::error_alert(&e).into_any(),
                    Ok(None) => view! {
                        <h1>"No such newsletter"</h1>
                        <p><a href="/newsletters">"See the newsletters"</a></p>
                    }.into_any(),
                    Ok(Some(n)) => {
                        let status = if n.archived {
                            "Archived: it takes no new subscriptions; its subscribers' history and evidence stay."
                        } else {
                            "Open: the forms offer it."
                        };
                        view! {
                            <header class="page-header"><h1>{n.name.clone()}</h1></header>
                            <p>{format!("{} newsletter. {status}", n.channel.label())}</p>
                            <ErrorSummary error=update_error/>
                            <ErrorSummary error=archive_error/>
                            {move || saved().then(|| view! { <p class="alert alert-success" role="status">"Saved."</p> })}
                            <IfAllowed permission=Permission::ManageSettings>
                                <ChangeNewsletter newsletter=n.clone() update archive update_error/>
                            </IfAllowed>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// An admin's forms for one newsletter: change it, archive or reopen it.
#[component]
fn ChangeNewsletter(
    newsletter: crate::model::contact::Newsletter,
    update: ServerAction<UpdateNewsletter>,
    archive: ServerAction<ArchiveNewsletter>,
    update_error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    let n = newsletter;
    let (archive_value, archive_label) = if n.archived { ("false", "Reopen it") } else { ("true", "Archive it") };
    view! {
                                <section class="card" aria-labelledby="edit-newsletter-h">
                                    <h2 id="edit-newsletter-h">"Change it"</h2>
                                    <ActionForm action=update>
                                        <input type="hidden" name="id" value=n.id.to_string()/>
                                        <input type="hidden" name="form[channel]" value=n.channel.as_str()/>
                                        <div class="grid-2">
                                            <Field label="Name" name="form[name]" key="name" value=n.name.clone() required=true error=update_error/>
                                            <Field label="Order on forms" name="form[position]" key="position" value=n.position.to_string()
                                                error=update_error hint="0 to 999, lowest first"/>
                                        </div>
                                        <Field label="Description" name="form[description]" key="description" kind=FieldKind::TextArea
                                            value=n.description.clone() error=update_error hint="What people get, shown beside the box they tick"/>
                                        <div class="form-actions"><button type="submit" class="button button-primary">"Save"</button></div>
                                    </ActionForm>
                                </section>
                                <section class="card" aria-labelledby="archive-newsletter-h">
                                    <h2 id="archive-newsletter-h">{if n.archived { "Reopen" } else { "Archive" }}</h2>
                                    <ActionForm action=archive>
                                        <input type="hidden" name="id" value=n.id.to_string()/>
                                        <input type="hidden" name="archived" value=archive_value/>
                                        <button type="submit" class="button">{archive_label}</button>
                                    </ActionForm>
                                </section>
    }
}
