use super::{get_contact, ContactDetail, SetSubscription};
use crate::engagement::{status_badge, AddInteraction};
use crate::model::contact::format_cents;
use crate::model::engagement::{classify, Classification, EngagementSettings};
use crate::model::events::EventKind;
use crate::model::{ContactId, Permission, SubscriptionState};
use crate::ui::{allowed, format_day, format_instant, ErrorSummary, Field, FieldKind, Me};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ContactPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<ContactId>().ok()).unwrap_or(ContactId(0));
    let subscribe = ServerAction::<SetSubscription>::new();
    let interaction = ServerAction::<AddInteraction>::new();
    // Reload after a change (JavaScript on; without it the page reloads).
    let detail = Resource::new(
        move || (id(), subscribe.version().get(), interaction.version().get()),
        |(id, _, _)| get_contact(id),
    );
    let me = use_context::<Me>();
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let can_edit = allowed(me, Permission::EditContacts).await;
                match detail.await {
                    Ok(d) => view! { <ContactView detail=d can_edit subscribe interaction/> }.into_any(),
                    Err(e) => view! {
                        <Title text="Contact · Carnet"/>
                        <p class="alert alert-error" role="alert">{e.to_string()}</p>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The status now, under the brand's settings.
fn classification(c: &crate::model::Contact, settings: &EngagementSettings) -> Classification {
    classify(c.last_activity(settings), c.created_at, crate::ui::now_secs(), &settings.thresholds)
}

fn row(label: &'static str, value: String) -> impl IntoView {
    let empty = value.is_empty();
    view! {
        <div class="dl-row">
            <dt>{label}</dt>
            <dd class:muted=empty>{if empty { "—".to_string() } else { value }}</dd>
        </div>
    }
}

#[component]
fn ContactView(
    detail: ContactDetail,
    can_edit: bool,
    subscribe: ServerAction<SetSubscription>,
    interaction: ServerAction<AddInteraction>,
) -> impl IntoView {
    let c = detail.contact;
    let settings = detail.settings.clone();
    let status = classification(&c, &settings);
    let interaction_error = Signal::derive(move || interaction.value().get().and_then(|r| r.err()));
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let f = c.fields.clone();
    let name = f.display_name();
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default();
    let address = [
        f.address_line1.clone(),
        f.address_line2.clone(),
        format!("{} {}", f.postal_code, f.city).trim().to_string(),
        f.country.clone(),
    ]
    .into_iter()
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(", ");
    let custom = f.custom.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("; ");
    let contact_id = c.id;
    let send_link = ServerAction::<crate::self_service::SendProfileLink>::new();
    // Without JavaScript the form post comes back here with ?sent=link.
    let link_sent = leptos_router::hooks::use_query_map().read_untracked().get("sent").as_deref() == Some("link");
    view! {
        <Title text=format!("{name} · Carnet")/>
        <header class="page-header">
            <div>
                <h1>{name.clone()}</h1>
                <p class="muted">{f.email.to_string()}" "{status_badge(status.status, c.suppressed_at.is_some(), c.pool)}</p>
            </div>
            {can_edit.then(|| view! {
                <div class="header-actions">
                    <ActionForm action=send_link>
                        <input type="hidden" name="contact_id" value=contact_id.to_string()/>
                        <button type="submit" class="button">"Send their personal link"</button>
                    </ActionForm>
                    <a class="button button-primary" href=format!("/contacts/{contact_id}/edit")>"Edit"</a>
                </div>
            })}
        </header>
        {move || {
            let sent_now = send_link.value().get().is_some_and(|r| r.is_ok());
            (sent_now || link_sent).then(|| view! {
                <p class="alert alert-success" role="status">"Their personal link is on its way (see Mail for its delivery)."</p>
            })
        }}
        {move || send_link.value().get().and_then(|r| r.err()).map(|e| view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> })}
        <div class="cards">
            <section class="card" aria-labelledby="personal-h">
                <h2 id="personal-h">"Personal data"</h2>
                <dl>
                    {row("Email", f.email.to_string())}
                    {row("Phone", f.phone.clone())}
                    {row("Birth date", date(f.birth_date))}
                    {row("Job title", f.job_title.clone())}
                    {row("Company", f.company.clone())}
                    {row("Postal address", address)}
                </dl>
            </section>
            <section class="card" aria-labelledby="targeting-h">
                <h2 id="targeting-h">"Targeting"</h2>
                <dl>
                    {row("Interests", f.interests.join(", "))}
                    {row("Last purchase", date(f.last_purchase_on))}
                    {row("Total spend", if f.total_spent_cents == 0 { String::new() } else { format_cents(f.total_spent_cents) })}
                    {row("Purchases", if c.purchase_count == 0 { String::new() } else { c.purchase_count.to_string() })}
                    {row("Custom attributes", custom)}
                </dl>
            </section>
            <section class="card" aria-labelledby="acq-h">
                <h2 id="acq-h">"Acquisition"</h2>
                <dl>
                    {row("Channel", f.channel.label().to_string())}
                    {row("Source detail", f.source_detail.clone())}
                    {row("Added", format_instant(c.created_at))}
                    {row("Updated", format_instant(c.updated_at))}
                    {row("Email MD5", c.email_md5.clone())}
                </dl>
            </section>
            <section class="card" aria-labelledby="engagement-h">
                <h2 id="engagement-h">"Engagement"</h2>
                <dl>
                    {row("Status", if status.never_engaged { format!("{} (never engaged)", status.status.label()) } else { status.status.label().to_string() })}
                    {row("Last interaction", c.last_activity(&settings).map(format_day).unwrap_or_default())}
                    {row("Last open", c.last_open_at.map(format_day).unwrap_or_default())}
                    {row("Last click", c.last_click_at.map(format_day).unwrap_or_default())}
                    {row("Pool", if c.pool == crate::model::engagement::Pool::Inactive { "Inactive pool".to_string() } else { "Main".to_string() })}
                    {row("Suppressed", match (&c.suppression_reason, c.suppressed_at) {
                        (Some(reason), Some(at)) => format!("{} on {}", reason.replace('_', " "), format_day(at)),
                        _ => String::new(),
                    })}
                </dl>
                {can_edit.then(|| view! {
                    <details class="add-interaction" open=interaction_error.get_untracked().is_some()>
                        <summary>"Add an interaction"</summary>
                        <ActionForm action=interaction>
                            <ErrorSummary error=interaction_error/>
                            <input type="hidden" name="contact_id" value=contact_id.to_string()/>
                            <div class="field">
                                <label for="interaction-kind">"What happened"</label>
                                <select id="interaction-kind" name="kind">
                                    {EventKind::MANUAL.into_iter().map(|k| view! { <option value=k.as_str()>{k.label()}</option> }).collect_view()}
                                </select>
                            </div>
                            <Field label="Date" name="day" key="day" kind=FieldKind::Date value=today.clone() error=interaction_error/>
                            <Field label="Note (optional)" name="note" key="note" error=interaction_error/>
                            <button type="submit" class="button">"Add"</button>
                        </ActionForm>
                    </details>
                })}
            </section>
        </div>
        <section class="card" aria-labelledby="subs-h">
            <h2 id="subs-h">"Subscriptions"</h2>
            {if detail.newsletters.is_empty() {
                view! { <p class="muted">"No newsletters yet: an admin creates them on the " <a href="/newsletters">"Newsletters"</a> " page."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                    <table class="table">
                        <thead><tr>
                            <th scope="col">"Newsletter"</th><th scope="col">"State"</th><th scope="col">"Consent evidence"</th>
                            {can_edit.then(|| view! { <th scope="col"><span class="visually-hidden">"Action"</span></th> })}
                        </tr></thead>
                        <tbody>
                        {detail.newsletters.iter().map(|n| {
                            let sub = detail.subscriptions.iter().find(|s| s.newsletter.id == n.id).cloned();
                            let state = sub.as_ref().map(|s| s.state);
                            let evidence = sub.as_ref().map(|s| format!("{} · {} · {} · “{}”", format_instant(s.consent.at), s.consent.channel, s.consent.form, s.consent.text)).unwrap_or_default();
                            let (next_state, button) = if state == Some(SubscriptionState::Subscribed) {
                                ("unsubscribed", format!("Unsubscribe from {}", n.name))
                            } else {
                                ("subscribed", format!("Subscribe to {}", n.name))
                            };
                            let newsletter_id = n.id;
                            // An archived newsletter takes no new subscriptions; leaving it still works.
                            let can_change = can_edit && (!n.archived || state == Some(SubscriptionState::Subscribed));
                            let name = if n.archived { format!("{} (archived)", n.name) } else { n.name.clone() };
                            view! {
                                <tr>
                                    <td>{name}</td>
                                    <td>{state.map(|s| s.label()).unwrap_or("Never subscribed")}</td>
                                    <td class="small">{evidence}</td>
                                    {can_edit.then(|| view! {
                                        <td>
                                            {can_change.then(|| view! {
                                            <ActionForm action=subscribe>
                                                <input type="hidden" name="contact_id" value=contact_id.to_string()/>
                                                <input type="hidden" name="newsletter_id" value=newsletter_id.to_string()/>
                                                <input type="hidden" name="state" value=next_state/>
                                                <button type="submit" class="button button-small">{button}</button>
                                            </ActionForm>
                                            })}
                                        </td>
                                    })}
                                </tr>
                            }
                        }).collect_view()}
                        </tbody>
                    </table>
                    </div>
                }.into_any()
            }}
        </section>
        <section class="card" aria-labelledby="timeline-h">
            <h2 id="timeline-h">"Timeline"</h2>
            {if detail.timeline.is_empty() {
                view! { <p class="muted">"Nothing yet."</p> }.into_any()
            } else {
                view! {
                    <ol class="timeline">
                        {detail.timeline.into_iter().map(|a| view! {
                            <li class:interaction=a.interaction>
                                <time>{format_instant(a.occurred_at)}</time>
                                <span class="timeline-kind">{EventKind::parse(&a.kind).map(|k| k.label().to_string()).unwrap_or(a.kind)}</span>
                                <span>{a.detail}</span>
                                {(!a.campaign.is_empty()).then(|| view! { <span class="muted small">" · campaign " {a.campaign}</span> })}
                                {(!a.actor.is_empty()).then(|| view! { <span class="muted small">" · " {a.actor}</span> })}
                            </li>
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
        </section>
    }
}
