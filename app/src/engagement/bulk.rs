//! Bulk actions on a list (`/contacts/bulk?<the list's filters>`), confirmed before
//! they run, and the progress page of the job that runs them (`/jobs/{id}`).

use super::{bulk_count, get_job, StartBulk};
use crate::model::ContactQuery;
use crate::ui::{format_instant, group_thousands, ErrorSummary};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// Words for what a list holds, e.g. "status: Inactive · channel: Partner".
pub fn describe(q: &ContactQuery) -> String {
    let mut parts = Vec::new();
    if !q.q.is_empty() {
        parts.push(format!("search “{}”", q.q));
    }
    if let Some(s) = q.status {
        parts.push(format!("status: {}", s.label()));
    }
    if let Some(c) = q.clean {
        parts.push(match (c, q.idle_months) {
            (crate::model::listing::Cleaning::Idle, Some(m)) => format!("no interaction in {m} months"),
            _ => c.label().to_string(),
        });
    }
    if let Some(c) = q.channel {
        parts.push(format!("channel: {}", c.label()));
    }
    if let Some(p) = q.pool {
        parts.push(format!("pool: {}", p.as_str()));
    }
    if q.newsletter.is_some() || q.subscription.is_some() {
        parts.push("subscription filter".into());
    }
    if parts.is_empty() {
        "all contacts".into()
    } else {
        parts.join(" · ")
    }
}

#[component]
pub fn BulkPage() -> impl IntoView {
    let query_map = use_query_map();
    // The list without paging: a bulk action applies to all of it.
    let query = Memo::new(move |_| crate::contacts::query_from_url(&query_map.read()).without_cursor());
    let count = Resource::new(move || query.get(), bulk_count);
    let start = ServerAction::<StartBulk>::new();
    let error = Signal::derive(move || start.value().get().and_then(|r| r.err()));
    view! {
        <Title text="Act on a list · Carnet"/>
        <header class="page-header"><h1>"Act on a list"</h1></header>
        <ErrorSummary error/>
        <Suspense fallback=|| view! { <p class="loading">"Counting…"</p> }>
            {move || Suspend::new(async move {
                let q = query.get_untracked();
                let list_href = q.href(None, None);
                let qs = q.query_string();
                match count.await {
                    Err(e) => crate::ui::error_alert(&e).into_any(),
                    Ok(0) => view! {
                        <div class="empty-state"><p>"No contacts match this list, so there is nothing to do."</p><a href=list_href>"Back to the list"</a></div>
                    }.into_any(),
                    Ok(n) => {
                        let export = if qs.is_empty() { "/contacts/export.csv".to_string() } else { format!("/contacts/export.csv?{qs}") };
                        let export_form = crate::contacts::export_form(&qs);
                        view! {
                            <p>
                                <strong>{format!("{} contacts", group_thousands(n))}</strong>
                                {format!(" match this list ({}). ", describe(&q))}
                                <a href=list_href>"See them"</a>
                            </p>
                            <section class="card" aria-labelledby="bulk-h">
                                <h2 id="bulk-h">"Change them"</h2>
                                <ActionForm action=start>
                                    <input type="hidden" name="list" value=qs.clone()/>
                                    <fieldset class="field" aria-describedby="bulk-action-error">
                                        <legend>"What to do"</legend>
                                        <label class="choice"><input type="radio" name="action" value="move_to_inactive_pool" checked=true/>
                                            " Move to the inactive pool — kept, out of the main sending lists, worked from a separate account"</label>
                                        <label class="choice"><input type="radio" name="action" value="move_to_main_pool"/>
                                            " Move back to the main pool"</label>
                                        <label class="choice"><input type="radio" name="action" value="suppress"/>
                                            " Suppress — unsubscribe from every newsletter; the address stays known so it is never bought again"</label>
                                        {move || error.get().and_then(|e| e.field("action")).map(|m| view! { <p class="field-error" id="bulk-action-error">{m}</p> })}
                                    </fieldset>
                                    <div class="field" class:field-invalid=move || error.get().and_then(|e| e.field("confirm")).is_some()>
                                        <label class="choice"><input type="checkbox" name="confirm" value="yes"/>
                                            {format!(" I confirm: apply this to the {} contacts of this list", group_thousands(n))}</label>
                                        {move || error.get().and_then(|e| e.field("confirm")).map(|m| view! { <p class="field-error">{m}</p> })}
                                    </div>
                                    <button type="submit" class="button button-primary">"Start"</button>
                                    <p class="muted small">"It runs in the background; you will see its progress."</p>
                                </ActionForm>
                            </section>
                            <section class="card" aria-labelledby="export-h">
                                <h2 id="export-h">"Export them"</h2>
                                <p>"A file of these contacts (personal data: keep it safe), streamed as it is read. Text that a spreadsheet would take for a formula is written so that it is not one."</p>
                                {export_form}
                                <p class="muted small"><a href=export download="">"Or download the usual columns as CSV"</a></p>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn JobPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params.read().get("id").and_then(|s| s.parse::<crate::model::JobId>().ok()).unwrap_or(crate::model::JobId(0))
    };
    let (tick, set_tick) = signal(0u32);
    let finished_signal = RwSignal::new(false);
    let job = Resource::new(move || (id(), tick.get()), |(id, _)| get_job(id));
    // With JavaScript, poll every second until the job ends; without it, the page
    // reloads itself (the <noscript> refresh below).
    Effect::new(move |_| {
        let poll = move || {
            if !finished_signal.get_untracked() {
                set_tick.update(|t| *t += 1)
            }
        };
        if let Ok(handle) = set_interval_with_handle(poll, std::time::Duration::from_secs(1)) {
            on_cleanup(move || handle.clear());
        }
    });
    view! {
        <Title text="Progress · Carnet"/>
        <header class="page-header"><h1>"Background work"</h1></header>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match job.await {
                    Err(e) => crate::ui::error_alert(&e).into_any(),
                    Ok(j) => {
                        let what = j.title.clone();
                        let finished = j.finished();
                        if finished {
                            finished_signal.set(true);
                        }
                        let state = match j.state.as_str() {
                            "queued" => "Waiting to start",
                            "running" => "Running",
                            "done" => "Done",
                            _ => "Stopped",
                        };
                        view! {
                            // Inner HTML, so hydration does not compare it: with scripting on,
                            // the browser keeps a <noscript>'s content as text.
                            {(!finished).then(|| view! { <div inner_html=r#"<noscript><meta http-equiv="refresh" content="2"></noscript>"#></div> })}
                            <section class="card">
                                <h2>{what}</h2>
                                <p aria-live="polite"><strong>{state}</strong>
                                    {format!(" · {} of {} ({}%)", group_thousands(j.done), group_thousands(j.total), j.percent())}</p>
                                <progress max="100" value=j.percent() aria-label="Progress">{format!("{}%", j.percent())}</progress>
                                {(!j.message.is_empty()).then(|| view! { <p class=if j.state == "failed" { "alert alert-error" } else { "alert alert-success" }>{j.message.clone()}</p> })}
                                <p class="muted small">{format!("Started by {} at {} UTC.", j.created_by, format_instant(j.created_at))}</p>
                                {finished.then(|| view! {
                                    <p class="job-next">{j.next.iter().map(|(label, path)| view! { <a href=path.clone()>{label.clone()}</a> }).collect_view()}</p>
                                })}
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
