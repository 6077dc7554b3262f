use super::{
    audit_trail, list_partners, take_new_key, AddIntegration, AddPartner, CreateKey, PartnerSummary, RevokeKey,
};
use crate::model::contact::format_cents;
use crate::ui::{format_day, format_instant, now_secs, ErrorSummary, Field, FieldKind};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn PartnersPage() -> impl IntoView {
    let add = ServerAction::<AddPartner>::new();
    let add_own = ServerAction::<AddIntegration>::new();
    let create = ServerAction::<CreateKey>::new();
    let revoke = ServerAction::<RevokeKey>::new();
    let partners = Resource::new(
        move || (add.version().get(), add_own.version().get(), create.version().get(), revoke.version().get()),
        |_| list_partners(),
    );
    let add_own_error = Signal::derive(move || add_own.value().get().and_then(|r| r.err()));
    let flashed_key = Resource::new(|| (), |_| take_new_key());
    let audit = Resource::new(
        move || (add.version().get(), add_own.version().get(), create.version().get(), revoke.version().get()),
        |_| audit_trail(),
    );
    let add_error = Signal::derive(move || add.value().get().and_then(|r| r.err()));
    let create_error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let revoke_error = Signal::derive(move || revoke.value().get().and_then(|r| r.err()));
    let fresh_key = move || create.value().get().and_then(|r| r.ok());
    view! {
        <Title text="Partners · Carnet"/>
        <header class="page-header">
            <h1>"Partners"</h1>
            <a class="button" href="/api/v1/docs" rel="external">"API documentation for partners"</a>
        </header>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let key = flashed_key.await.ok().flatten();
                view! { {move || fresh_key().or_else(|| key.clone()).map(|k| view! { <NewKey key=k/> })} }
            })}
        </Suspense>
        <ErrorSummary error=create_error/>
        <ErrorSummary error=revoke_error/>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match partners.await {
                    Ok(list) if list.is_empty() => view! {
                        <div class="empty-state"><p>"No partners yet. Add the first one below."</p></div>
                    }.into_any(),
                    Ok(list) => list.into_iter().map(|p| view! { <PartnerCard summary=p create revoke/> }).collect_view().into_any(),
                    Err(e) => crate::ui::error_alert(&e).into_any(),
                }
            })}
        </Suspense>
        <section class="card" aria-labelledby="add-partner-h">
            <h2 id="add-partner-h">"Add a partner"</h2>
            <ActionForm action=add>
                <ErrorSummary error=add_error/>
                <div class="grid-2">
                    <Field label="Partner name" name="name" key="name" required=true error=add_error/>
                    <Field label="Contact email" name="contact_email" key="contact_email" kind=FieldKind::Email error=add_error/>
                    <Field label="Price per accepted lead" name="price" key="price" required=true error=add_error hint="e.g. 1.50"/>
                    <Field label="Daily quota of checks" name="daily_quota" key="daily_quota" error=add_error hint="0 or empty for no quota"/>
                </div>
                <div class="form-actions"><button type="submit" class="button button-primary">"Add partner"</button></div>
            </ActionForm>
        </section>
        <section class="card" aria-labelledby="add-integration-h">
            <h2 id="add-integration-h">"Add the brand's own shop or site"</h2>
            <p>"An integration holds keys like a partner, is never billed and has no quota; only an integration may be given the profile scope (a customer's personal link and profile completion) and the contacts scope (contacts and orders from the shop)."</p>
            <ActionForm action=add_own>
                <ErrorSummary error=add_own_error/>
                <Field label="Name of the shop or site" name="name" key="name" required=true error=add_own_error hint="e.g. “Online shop”"/>
                <div class="form-actions"><button type="submit" class="button button-primary">"Add integration"</button></div>
            </ActionForm>
        </section>
        <section class="card" aria-labelledby="audit-h">
            <h2 id="audit-h">"Audit trail"</h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match audit.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"Nothing yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <ol class="timeline">
                                {list.into_iter().map(|e| view! {
                                    <li>
                                        <time>{format_instant(e.at)}</time>
                                        <span class="timeline-kind">{e.action}</span>
                                        <span>{e.detail}</span>
                                        <span class="muted small">" · " {e.actor}</span>
                                    </li>
                                }).collect_view()}
                            </ol>
                        }.into_any(),
                        Err(e) => crate::ui::error_alert(&e).into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn NewKey(key: String) -> impl IntoView {
    view! {
        <div class="alert alert-success" role="status">
            <p><strong>"New API key — copy it now: it will not be shown again."</strong></p>
            <p><code class="secret" aria-label="New API key">{key}</code></p>
        </div>
    }
}

#[component]
fn PartnerCard(
    summary: PartnerSummary,
    create: ServerAction<CreateKey>,
    revoke: ServerAction<RevokeKey>,
) -> impl IntoView {
    let p = summary.partner;
    let heading = format!("partner-{}-h", p.id);
    let heading_id = heading.clone();
    let u = summary.today;
    let quota =
        if p.daily_quota == 0 { "no daily quota".to_string() } else { format!("{} checks a day", p.daily_quota) };
    let now = now_secs();
    let partner_id = p.id;
    let name = p.name.clone();
    let own = p.own;
    view! {
        <section class="card" aria-labelledby=heading>
            <h2 id=heading_id>{p.name.clone()}</h2>
            <p class="muted">{if p.own {
                    "The brand's own integration: never billed, no quota.".to_string()
                } else {
                    format!("{} per accepted lead · {quota}", format_cents(p.price_cents))
                }}
                {(!p.contact_email.is_empty()).then(|| format!(" · {}", p.contact_email))}</p>
            <p><a href=format!("/partners/{partner_id}/statement")>{format!("Monthly statement for {}", p.name)}</a></p>
            <p>{format!("Today: {} checks, {} known, {} leads accepted, {} duplicates refused, {} invalid refused, {} billed.",
                u.checks, u.hits, u.accepted, u.duplicates, u.invalid, format_cents(u.billed_cents))}</p>
            {if summary.keys.is_empty() {
                view! { <p class="muted">"No API keys yet."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                    <table class="table">
                        <thead><tr>
                            <th scope="col">"Key"</th><th scope="col">"Scopes"</th><th scope="col" class="hide-narrow">"Created"</th>
                            <th scope="col">"Expires"</th><th scope="col">"Last used"</th><th scope="col">"Requests today"</th><th scope="col">"Status"</th>
                            <th scope="col"><span class="visually-hidden">"Action"</span></th>
                        </tr></thead>
                        <tbody>
                        {summary.keys.into_iter().map(|k| {
                            let status = if k.revoked_at.is_some() { "Revoked" } else if !k.is_usable(now) { "Expired" } else { "Active" };
                            let confirm_id = format!("confirm-revoke-{}", k.id);
                            let usable = k.is_usable(now);
                            let prefix = k.prefix.clone();
                            view! {
                                <tr>
                                    <td><code>{format!("{}…", k.prefix)}</code></td>
                                    <td>
                                        {k.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")}
                                        {(!k.event_kinds.is_empty()).then(|| view! {
                                            <br/><small>{format!("events: {}", k.event_kinds.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(", "))}</small>
                                        })}
                                    </td>
                                    <td class="hide-narrow nowrap">{format_day(k.created_at)}</td>
                                    <td class="nowrap">{k.expires_at.map(format_day).unwrap_or_else(|| "Never".into())}</td>
                                    <td class="nowrap">{k.last_used_at.map(format_instant).unwrap_or_else(|| "Never".into())}</td>
                                    <td>{k.requests_today}</td>
                                    <td>{status}</td>
                                    <td>
                                        {usable.then(|| view! {
                                            <ActionForm action=revoke>
                                                <div class="inline-form">
                                                    <input type="hidden" name="key_id" value=k.id.to_string()/>
                                                    <input type="checkbox" id=confirm_id.clone() name="confirm" value="yes" required/>
                                                    <label for=confirm_id>
                                                        "Confirm"
                                                        <span class="visually-hidden">{format!(" revoking {prefix}…")}</span>
                                                    </label>
                                                    <button type="submit" class="button button-small">
                                                        "Revoke"
                                                        <span class="visually-hidden">{format!(" {prefix}…")}</span>
                                                    </button>
                                                </div>
                                            </ActionForm>
                                        })}
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                        </tbody>
                    </table>
                    </div>
                }.into_any()
            }}
            <ActionForm action=create>
                <fieldset>
                    <legend>{format!("New API key for {name}")}</legend>
                    <input type="hidden" name="partner_id" value=partner_id.to_string()/>
                    <div class="inline-form">
                        {[("check", "Check"), ("submit", "Submit leads"), ("export", "Export"), ("events", "Events"), ("redeem", "Redeem incentive codes")]
                            .into_iter()
                            .chain(own.then_some([("profile", "Profile links and completion"), ("contacts", "Contacts and orders")]).into_iter().flatten())
                            .map(|(field, label)| {
                            let id = format!("scope-{partner_id}-{field}");
                            view! {
                                <span>
                                    <input type="checkbox" id=id.clone() name=field value="on" checked=field == "check"/>
                                    <label for=id>{label}</label>
                                </span>
                            }
                        }).collect_view()}
                    </div>
                    <div class="field">
                        <label for=format!("kinds-{partner_id}")>"Events it may send (with the Events scope)"</label>
                        <select id=format!("kinds-{partner_id}") name="event_kinds">
                            <option value="engagement" selected=true>"Engagement: opens, clicks, visits, purchases, replies, forms, profile updates (a site or shop)"</option>
                            <option value="deliverability">"Deliverability: opens, clicks, bounces, complaints, unsubscribes (an email service)"</option>
                            <option value="all">"All kinds"</option>
                        </select>
                    </div>
                    <div class="field">
                        <label for=format!("expires-{partner_id}")>"Expires after (days)"</label>
                        <input id=format!("expires-{partner_id}") name="expires_days" type="text" inputmode="numeric" placeholder="Never"/>
                    </div>
                    <button type="submit" class="button button-primary">{format!("Create key for {name}")}</button>
                </fieldset>
            </ActionForm>
        </section>
    }
}
