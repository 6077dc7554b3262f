use super::{get_contact, ContactDetail, SetSubscription};
use crate::model::contact::format_cents;
use crate::model::{Permission, SubscriptionState};
use crate::ui::{allowed, format_day, format_instant, Me};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ContactPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let subscribe = ServerAction::<SetSubscription>::new();
    // Reload after a subscription change (JavaScript on; without it the page reloads).
    let detail = Resource::new(move || (id(), subscribe.version().get()), |(id, _)| get_contact(id));
    let me = use_context::<Me>();
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let can_edit = allowed(me, Permission::EditContacts).await;
                match detail.await {
                    Ok(d) => view! { <ContactView detail=d can_edit subscribe/> }.into_any(),
                    Err(e) => view! {
                        <Title text="Contact · Carnet"/>
                        <p class="alert alert-error" role="alert">{e.to_string()}</p>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The status with today's default thresholds (settings arrive with the engagement work).
fn engagement_label(last_interaction_at: Option<i64>, created_at: i64) -> String {
    use crate::model::engagement::{classify, Thresholds};
    let c = classify(last_interaction_at, created_at, crate::ui::now_secs(), &Thresholds::default());
    if c.never_engaged {
        format!("{} (never engaged)", c.status.label())
    } else {
        c.status.label().to_string()
    }
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
fn ContactView(detail: ContactDetail, can_edit: bool, subscribe: ServerAction<SetSubscription>) -> impl IntoView {
    let c = detail.contact;
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
    view! {
        <Title text=format!("{name} · Carnet")/>
        <header class="page-header">
            <div>
                <h1>{name.clone()}</h1>
                <p class="muted">{f.email.to_string()}</p>
            </div>
            {can_edit.then(|| view! { <a class="button button-primary" href=format!("/contacts/{contact_id}/edit")>"Edit"</a> })}
        </header>
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
                    {row("Last interaction", c.last_interaction_at.map(format_day).unwrap_or_default())}
                    {row("Engagement", engagement_label(c.last_interaction_at, c.created_at))}
                    {row("Email MD5", c.email_md5.clone())}
                </dl>
            </section>
        </div>
        <section class="card" aria-labelledby="subs-h">
            <h2 id="subs-h">"Subscriptions"</h2>
            {if detail.newsletters.is_empty() {
                view! { <p class="muted">"No newsletters are set up yet."</p> }.into_any()
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
                            view! {
                                <tr>
                                    <td>{n.name.clone()}</td>
                                    <td>{state.map(|s| s.label()).unwrap_or("Never subscribed")}</td>
                                    <td class="small">{evidence}</td>
                                    {can_edit.then(|| view! {
                                        <td>
                                            <ActionForm action=subscribe>
                                                <input type="hidden" name="contact_id" value=contact_id/>
                                                <input type="hidden" name="newsletter_id" value=newsletter_id/>
                                                <input type="hidden" name="state" value=next_state/>
                                                <button type="submit" class="button button-small">{button}</button>
                                            </ActionForm>
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
                                <span class="timeline-kind">{a.kind}</span>
                                <span>{a.detail}</span>
                                {(!a.actor.is_empty()).then(|| view! { <span class="muted small">" · " {a.actor}</span> })}
                            </li>
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
        </section>
    }
}
