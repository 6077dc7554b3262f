//! `/contacts/import`: upload a file of contacts or a suppression list (a plain
//! multipart form, streamed by the server crate), and the recent imports;
//! `/contacts/import/{id}`: one import's columns, choices, preview, dry run, progress
//! and results. Every form is a plain HTML form: the pages work with JavaScript off.

use super::api::{format_size, get_import, list_imports, ImportDetail, ImportSummary};
use crate::model::ImportId;
use crate::ui::{format_instant, group_thousands};
use leptos::prelude::*;
use leptos_meta::Title;

fn alerts(problems: Vec<String>, notice: Option<String>) -> impl IntoView {
    view! {
        {(!problems.is_empty()).then(|| view! {
            <div class="alert alert-error" role="alert">
                <p>"Nothing was started. Fix this and try again:"</p>
                <ul>{problems.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
            </div>
        })}
        {notice.map(|n| view! { <p class="alert alert-success" role="status">{n}</p> })}
    }
}

fn upload_form(kind: &'static str, label: &'static str, button: &'static str) -> impl IntoView {
    let id = format!("upload-{kind}");
    view! {
        <form method="post" action="/contacts/import" enctype="multipart/form-data">
            <input type="hidden" name="kind" value=kind/>
            <div class="field">
                <label for=id.clone()>{label}</label>
                <input id=id type="file" name="file" accept=".csv,.txt,text/csv,text/plain" required/>
            </div>
            <button type="submit" class="button button-primary">{button}</button>
        </form>
    }
}

#[component]
pub fn ImportsPage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| list_imports());
    view! {
        <Title text="Import · Carnet"/>
        <p><a href="/contacts">"← Contacts"</a></p>
        <header class="page-header"><h1>"Import"</h1></header>
        <p class="lead">"Bring in the contacts the brand already has, and the suppression list its previous tool kept. Nothing is written until you have seen what each column becomes; a dry run counts everything first."</p>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                overview.await.ok().map(|o| alerts(o.problems, None))
            })}
        </Suspense>
        <div class="grid-2">
            <section class="card" aria-labelledby="import-contacts-h">
                <h2 id="import-contacts-h">"Contacts"</h2>
                <p>"A CSV file as a spreadsheet saves it: UTF-8 or Windows-1252 (Excel on Windows), separated by commas, semicolons or tabs, with a header line. Up to 2 GB."</p>
                <p class="muted small">"Columns are recognised from their French or English names (Courriel, Prénom, Nom, Téléphone, Code postal…); you can change each one next."</p>
                {upload_form("contacts", "File of contacts", "Upload and choose columns")}
            </section>
            <section class="card" aria-labelledby="import-suppression-h">
                <h2 id="import-suppression-h">"Suppression list"</h2>
                <p>"Addresses, or their MD5 or SHA-256 hashes, one per line: people who must never be mailed or bought again. Only hashes are kept; a contact on the list is suppressed."</p>
                {upload_form("suppression", "Suppression list file", "Upload and check")}
            </section>
        </div>
        <section class="card" aria-labelledby="recent-imports-h">
            <h2 id="recent-imports-h">"Recent imports"</h2>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Err(e) => crate::ui::error_alert(&e).into_any(),
                        Ok(o) if o.imports.is_empty() => view! {
                            <p class="empty-state">"No imports yet. Upload a file above: you choose what each column fills before anything is written."</p>
                        }.into_any(),
                        Ok(o) => imports_table(o.imports).into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

fn imports_table(imports: Vec<ImportSummary>) -> impl IntoView {
    view! {
        <div class="table-wrap">
        <table class="table">
            <thead><tr>
                <th scope="col">"File"</th><th scope="col">"Kind"</th><th scope="col">"State"</th>
                <th scope="col">"Result"</th><th scope="col">"Uploaded"</th>
            </tr></thead>
            <tbody>
            {imports.into_iter().map(|i| {
                let result = if i.counts.rows() > 0 { i.counts.summary() } else { String::new() };
                view! {
                    <tr>
                        <td><a href=format!("/contacts/import/{}", i.id)>{i.file_name.clone()}</a>
                            <br/><span class="muted small">{format_size(i.size_bytes)}</span></td>
                        <td>{i.kind_label()}</td>
                        <td>{i.state_label()}</td>
                        <td class="small">{result}</td>
                        <td class="small">{format!("{} UTC", format_instant(i.created_at))}<br/>{i.created_by.clone()}</td>
                    </tr>
                }
            }).collect_view()}
            </tbody>
        </table>
        </div>
    }
}

#[component]
pub fn ImportDetailPage() -> impl IntoView {
    let params = leptos_router::hooks::use_params_map();
    let id = move || params.read().get("id").and_then(|v| v.parse::<i64>().ok()).map(ImportId);
    let detail = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_import(id).await.map(Some),
            None => Ok(None),
        }
    });
    view! {
        <Title text="Import · Carnet"/>
        <p><a href="/contacts/import">"← All imports"</a></p>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(crate::error::AppError::NotFound) | Ok(None) => view! {
                        <h1>"No such import"</h1>
                        <p><a href="/contacts/import">"See the imports"</a></p>
                    }.into_any(),
                    Err(e) => crate::ui::error_alert(&e).into_any(),
                    Ok(Some(d)) => detail_view(d).into_any(),
                }
            })}
        </Suspense>
    }
}

fn detail_view(d: ImportDetail) -> impl IntoView {
    let i = d.import.clone();
    let facts = format!(
        "{} · {} · {}, separated by {} · uploaded {} UTC by {}",
        i.kind_label(),
        format_size(i.size_bytes),
        super::sniff::Encoding::parse(&d.encoding).map_or("?", |e| e.label()),
        super::sniff::parse_separator(&d.separator).map_or("?", super::sniff::separator_label),
        format_instant(i.created_at),
        i.created_by
    );
    let running = i.job_id.filter(|_| i.is_running());
    let results = (i.counts.rows() > 0 || matches!(i.state.as_str(), "checked" | "done")).then(|| results(&d));
    let can_run = i.can_run();
    let (problems, notice) = (d.problems.clone(), d.notice.clone());
    view! {
        <header class="page-header"><h1>{i.file_name.clone()}</h1></header>
        <p class="muted">{facts}</p>
        <p><strong>{i.state_label()}</strong></p>
        {running.map(|job| view! {
            <p class="alert alert-info" role="status">"This import is under way. "
                <a href=format!("/jobs/{job}")>"Follow its progress"</a>" — it goes on if the server restarts."</p>
        })}
        {alerts(problems, notice)}
        {results}
        {can_run.then(|| super::form::choices_form(d))}
    }
}

/// The counts of the last run, its first refused rows and their download.
fn results(d: &ImportDetail) -> impl IntoView {
    let i = &d.import;
    let heading = if i.dry_run { "Dry run: what the import would do" } else { "What the import did" };
    let lines = i.counts.lines();
    let refused = i.counts.refused;
    let refusals = d.refusals.clone();
    let id = i.id;
    view! {
        <section class="card" aria-labelledby="results-h">
            <h2 id="results-h">{heading}</h2>
            <dl class="inline-dl figures">
                {lines.into_iter().map(|(name, n)| view! {
                    <div class="dl-row"><dt>{name}</dt><dd>{group_thousands(n)}</dd></div>
                }).collect_view()}
            </dl>
            {(!refusals.is_empty()).then(|| view! {
                <h3>"First refused rows"</h3>
                <div class="table-wrap">
                <table class="table">
                    <thead><tr><th scope="col">"Line"</th><th scope="col">"Why"</th></tr></thead>
                    <tbody>{refusals.into_iter().map(|(line, why)| view! { <tr><td>{line}</td><td>{why}</td></tr> }).collect_view()}</tbody>
                </table>
                </div>
            })}
            {(refused > 0).then(|| view! {
                <p><a class="button" href=format!("/contacts/import/{id}/refused.csv") download="">
                    {format!("Download the {} refused rows (CSV)", group_thousands(refused))}</a></p>
                <p class="muted small">"Each refused row as the file had it, with its line and the reason: fix them in the spreadsheet and import that file."</p>
            })}
        </section>
    }
}
