use super::{list_contacts, list_newsletters};
use crate::engagement::status_badge;
use crate::model::engagement::{EngagementStatus, Pool};
use crate::model::{Channel, ContactQuery, ContactSort, Permission, SubscriptionState};
use crate::ui::{format_day, group_thousands, IfAllowed};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

const KEYS: [&str; 11] =
    ["q", "channel", "newsletter", "subscription", "status", "clean", "idle", "pool", "sort", "after", "before"];

/// The list a `/contacts?…`-style URL asks for (also read by the bulk-action page).
pub(crate) fn query_from_url(map: &leptos_router::params::ParamsMap) -> ContactQuery {
    let pairs: Vec<(&str, String)> = KEYS.iter().filter_map(|k| map.get(k).map(|v| (*k, v))).collect();
    ContactQuery::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
}

#[component]
pub fn ContactsPage() -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| query_from_url(&query_map.read()));
    let page = Resource::new(move || query.get(), list_contacts);
    let newsletters = Resource::new(|| (), |_| list_newsletters());

    view! {
        <Title text="Contacts · Carnet"/>
        <header class="page-header">
            <h1>"Contacts"</h1>
            <IfAllowed permission=Permission::EditContacts>
                <div class="actions">
                    <a class="button" href="/contacts/import">"Import a file"</a>
                    <a class="button button-primary" href="/contacts/new">"Add a contact"</a>
                </div>
            </IfAllowed>
        </header>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let q = query.get_untracked();
                let newsletters = newsletters.await.unwrap_or_default();
                view! {
                    <Form method="GET" action="/contacts">
                        <div class="filters" role="search">
                            <div class="field field-grow">
                                <label for="contacts-q">"Search"</label>
                                <input id="contacts-q" type="search" name="q" value=q.q.clone() placeholder="Name, email or part of it"/>
                            </div>
                            <div class="field">
                                <label for="contacts-channel">"Channel"</label>
                                <select id="contacts-channel" name="channel">
                                    <option value="">"Any channel"</option>
                                    {Channel::ALL.into_iter().map(|c| view! {
                                        <option value=c.as_str() selected=q.channel == Some(c)>{c.label()}</option>
                                    }).collect_view()}
                                </select>
                            </div>
                            <div class="field">
                                <label for="contacts-newsletter">"Newsletter"</label>
                                <select id="contacts-newsletter" name="newsletter">
                                    <option value="">"Any newsletter"</option>
                                    {newsletters.into_iter().map(|n| view! {
                                        <option value=n.id.to_string() selected=q.newsletter == Some(n.id)>{n.name}</option>
                                    }).collect_view()}
                                </select>
                            </div>
                            <div class="field">
                                <label for="contacts-subscription">"Subscription"</label>
                                <select id="contacts-subscription" name="subscription">
                                    <option value="">"Any state"</option>
                                    {SubscriptionState::ALL.into_iter().map(|s| view! {
                                        <option value=s.as_str() selected=q.subscription == Some(s)>{s.label()}</option>
                                    }).collect_view()}
                                </select>
                            </div>
                            <div class="field">
                                <label for="contacts-status">"Engagement"</label>
                                <select id="contacts-status" name="status">
                                    <option value="">"Any status"</option>
                                    {EngagementStatus::ALL.into_iter().map(|s| view! {
                                        <option value=s.as_str() selected=q.status == Some(s)>{s.label()}</option>
                                    }).collect_view()}
                                </select>
                            </div>
                            <div class="field">
                                <label for="contacts-pool">"Pool"</label>
                                <select id="contacts-pool" name="pool">
                                    <option value="">"Both pools"</option>
                                    <option value="main" selected=q.pool == Some(Pool::Main)>"Main"</option>
                                    <option value="inactive" selected=q.pool == Some(Pool::Inactive)>"Inactive pool"</option>
                                </select>
                            </div>
                            {q.clean.map(|c| view! {
                                <input type="hidden" name="clean" value=c.as_str()/>
                                {q.idle_months.map(|m| view! { <input type="hidden" name="idle" value=m/> })}
                            })}
                            <div class="field">
                                <label for="contacts-sort">"Sort"</label>
                                <select id="contacts-sort" name="sort">
                                    {ContactSort::ALL.into_iter().map(|s| view! {
                                        <option value=s.as_str() selected=q.sort == s>{s.label()}</option>
                                    }).collect_view()}
                                </select>
                            </div>
                            <button type="submit" class="button">"Search"</button>
                        </div>
                    </Form>
                }
            })}
        </Suspense>
        <Suspense fallback=|| view! { <p class="loading">"Loading contacts…"</p> }>
            {move || Suspend::new(async move {
                let q = query.get_untracked();
                match page.await {
                    Ok(page) if page.rows.is_empty() => {
                        let message = if q.is_filtered() { "No contacts match this search." } else { "No contacts yet." };
                        view! {
                            <div class="empty-state">
                                <p>{message}</p>
                                {q.is_filtered().then(|| view! { <a href="/contacts">"Clear the search"</a> })}
                                {(!q.is_filtered()).then(|| view! {
                                    <IfAllowed permission=Permission::EditContacts>
                                        <p>"Bring in the contacts you already have: "<a href="/contacts/import">"import a CSV file"</a>
                                            " (Excel, your old tool's export), or "<a href="/contacts/new">"add one by hand"</a>"."</p>
                                    </IfAllowed>
                                })}
                            </div>
                        }
                        .into_any()
                    }
                    Ok(page) => {
                        let total = page.total.map(|t| format!("{} contacts", group_thousands(t))).unwrap_or_else(|| "Matching contacts".into());
                        let prev = page.prev.as_deref().map(|p| q.href(None, Some(p)));
                        let next = page.next.as_deref().map(|n| q.href(Some(n), None));
                        let bulk = format!("/contacts/bulk?{}", q.query_string());
                        let cleaning = q.clean.map(|_| crate::engagement::describe_list(&q));
                        view! {
                            {cleaning.map(|c| view! {
                                <p class="chip">{format!("List cleaning: {c}")}" "<a href="/contacts" aria-label="Clear the list-cleaning filter">"×"</a></p>
                            })}
                            <div class="list-actions">
                                <p class="muted" aria-live="polite">{total}</p>
                                <IfAllowed permission=Permission::EditContacts>
                                    <a class="button" href=bulk.clone()>"Act on these contacts…"</a>
                                </IfAllowed>
                            </div>
                            <div class="table-wrap">
                                <table class="table">
                                    <thead>
                                        <tr>
                                            <th scope="col">"Name"</th>
                                            <th scope="col">"Email"</th>
                                            <th scope="col" class="hide-narrow">"Company"</th>
                                            <th scope="col" class="hide-narrow">"Channel"</th>
                                            <th scope="col">"Engagement"</th>
                                            <th scope="col">"Added"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {page.rows.into_iter().map(|row| {
                                            let name = format!("{} {}", row.first_name, row.last_name).trim().to_string();
                                            let name = if name.is_empty() { "(no name)".to_string() } else { name };
                                            view! {
                                                <tr>
                                                    <td><a href=format!("/contacts/{}", row.id)>{name}</a></td>
                                                    <td>{row.email}</td>
                                                    <td class="hide-narrow">{row.company}</td>
                                                    <td class="hide-narrow">{row.channel.label()}</td>
                                                    <td>{status_badge(row.status, row.suppressed, row.pool)}</td>
                                                    <td class="nowrap">{format_day(row.created_at)}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <nav class="pagination" aria-label="Pages">
                                {prev.map(|href| view! { <a class="button" rel="prev" href=href>"← Previous"</a> })}
                                {next.map(|href| view! { <a class="button" rel="next" href=href>"Next →"</a> })}
                            </nav>
                        }
                        .into_any()
                    }
                    Err(e) => crate::ui::error_alert(&e).into_any(),
                }
            })}
        </Suspense>
    }
}
