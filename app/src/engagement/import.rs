//! `/engagement/import`: upload a CSV of events (a plain multipart form, handled by the
//! server crate, so it works with JavaScript off), then follow the import's progress.

use super::{list_jobs, take_import_errors};
use crate::ui::{format_instant, group_thousands};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ImportPage() -> impl IntoView {
    let errors = Resource::new(|| (), |_| take_import_errors());
    let jobs = Resource::new(|| (), |_| list_jobs());
    view! {
        <Title text="Import events · Carnet"/>
        <header class="page-header"><h1>"Import events"</h1></header>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let errors = errors.await.unwrap_or_default();
                (!errors.is_empty()).then(|| view! {
                    <div class="alert alert-error" role="alert">
                        <p>"Nothing was imported. Fix these lines and upload the file again:"</p>
                        <ul>{errors.into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}</ul>
                    </div>
                })
            })}
        </Suspense>
        <section class="card">
            <p>"One event per line, with a header line. Columns: "<code>"email"</code>" or "<code>"contact_id"</code>", "
               <code>"type"</code>" (open, click, purchase, visit, reply, form_submission, profile_update, soft_bounce, hard_bounce, complaint, unsubscribe), "
               <code>"occurred_at"</code>" (RFC 3339, e.g. 2026-11-23T09:30:00Z) and optionally "<code>"campaign"</code>"."</p>
            <p class="muted small">"The whole file is checked first: if any line is wrong, nothing is imported and every problem is listed."</p>
            <pre class="code">"email,type,occurred_at,campaign\nann@example.com,click,2026-11-20T10:12:00Z,autumn-sale\n"</pre>
            <form method="post" action="/engagement/import" enctype="multipart/form-data">
                <div class="field">
                    <label for="import-file">"CSV file"</label>
                    <input id="import-file" type="file" name="file" accept=".csv,text/csv" required/>
                </div>
                <button type="submit" class="button button-primary">"Check and import"</button>
            </form>
        </section>
        <section class="card" aria-labelledby="jobs-h">
            <h2 id="jobs-h">"Recent background work"</h2>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match jobs.await {
                        Err(e) => crate::ui::error_alert(&e).into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No imports or bulk actions yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="plain-list">
                                {list.into_iter().map(|j| view! {
                                    <li><a href=format!("/jobs/{}", j.id)>{format!("#{} {} · {} · {} of {}", j.id, j.kind.replace('_', " "), j.state, group_thousands(j.done), group_thousands(j.total))}</a>
                                        <span class="muted small">{format!(" {} UTC, {}", format_instant(j.created_at), j.created_by)}</span></li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
