//! The form of an import's page: how the file is read, what each column fills, what
//! the rows get, and the preview of the first rows. One plain form posted to
//! `imports/configure`; its buttons say what to do (preview, dry run, import).

use super::api::{ImportChoices, ImportDetail, PreviewRow};
use super::rules::OnExisting;
use super::sniff::Encoding;
use crate::model::Channel;
use leptos::prelude::*;

fn options(values: Vec<(String, String)>, selected: String) -> impl IntoView {
    values
        .into_iter()
        .map(|(value, label)| {
            let is = value == selected;
            view! { <option value=value selected=is>{label}</option> }
        })
        .collect_view()
}

fn select(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    choices: Vec<(String, String)>,
    selected: String,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select id=id name=name>{options(choices, selected)}</select>
        </div>
    }
}

fn text(id: &'static str, name: &'static str, label: &'static str, value: String, hint: &'static str) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id type="text" name=name value=value/>
            <p class="field-hint">{hint}</p>
        </div>
    }
}

fn file_format(c: &ImportChoices) -> impl IntoView {
    let encodings = Encoding::ALL.iter().map(|e| (e.as_str().to_string(), e.label().to_string())).collect();
    let separators = [(",", "Comma ( , )"), (";", "Semicolon ( ; )"), ("tab", "Tab")]
        .iter()
        .map(|(v, l)| (v.to_string(), l.to_string()))
        .collect();
    view! {
        <fieldset>
            <legend>"How the file is written"</legend>
            <p class="field-hint">"Carnet read it this way. If the columns or accents below look wrong, change this and preview again: the columns are read again."</p>
            <div class="grid-2">
                {select("import-encoding", "choices[encoding]", "Encoding", encodings, c.encoding.clone())}
                {select("import-separator", "choices[separator]", "Separator", separators, c.separator.clone())}
            </div>
        </fieldset>
    }
}

/// The column table: each header, what it fills, and the first rows' values.
fn columns(d: &ImportDetail) -> impl IntoView {
    let targets = d.targets.clone();
    let preview = d.preview.clone();
    let rows = d.headers.iter().enumerate().map(|(i, header)| {
        let selected = d.choices.columns.get(i).cloned().unwrap_or_default();
        let id = format!("import-column-{i}");
        let examples: Vec<String> = preview
            .iter()
            .filter(|r| r.refused.is_none())
            .filter_map(|r| r.cells.get(i))
            .filter(|(cell, _)| !cell.is_empty())
            .take(3)
            .map(|(cell, becomes)| if becomes.is_empty() || becomes == cell { cell.clone() } else { format!("{cell} → {becomes}") })
            .collect();
        view! {
            <tr>
                <th scope="row"><label for=id.clone()>{if header.is_empty() { format!("(column {})", i + 1) } else { header.clone() }}</label></th>
                <td><select id=id name=format!("choices[columns][{i}]")>{options(targets.clone(), selected)}</select></td>
                <td class="small">{examples.join(" · ")}</td>
            </tr>
        }
    });
    view! {
        <fieldset>
            <legend>"What each column fills"</legend>
            <div class="table-wrap">
            <table class="table">
                <thead><tr><th scope="col">"Column of the file"</th><th scope="col">"Fills"</th><th scope="col">"First values, and what they become"</th></tr></thead>
                <tbody>{rows.collect_view()}</tbody>
            </table>
            </div>
        </fieldset>
    }
}

fn save_mapping(d: &ImportDetail) -> impl IntoView {
    text(
        "import-save-as",
        "choices[save_as]",
        "Save these choices as",
        d.choices.save_as.clone(),
        "A name, e.g. “Old shop export”: a file with the same columns then starts with them. Leave empty not to save.",
    )
}

/// A form of its own (so that Enter in the main form never applies a mapping).
fn use_mapping(d: &ImportDetail) -> impl IntoView {
    let saved = d.mappings.clone();
    (d.import.kind == "contacts" && !saved.is_empty()).then(|| {
        let choices = saved
            .iter()
            .map(|m| {
                let label = if m.same_headers { format!("{} (these very columns)", m.name) } else { m.name.clone() };
                (m.name.clone(), label)
            })
            .collect();
        view! {
            <form method="post" action="/api/imports/configure" class="inline-form">
                <input type="hidden" name="id" value=d.import.id.to_string()/>
                <input type="hidden" name="choices[encoding]" value=d.choices.encoding.clone()/>
                <input type="hidden" name="choices[separator]" value=d.choices.separator.clone()/>
                {select("import-use-mapping", "choices[use_mapping]", "Start from a saved mapping", choices, String::new())}
                <button type="submit" name="action" value="use_mapping" class="button">"Apply it"</button>
            </form>
        }
    })
}

fn rows(d: &ImportDetail) -> impl IntoView {
    let c = &d.choices;
    let channels = Channel::ALL.iter().map(|ch| (ch.as_str().to_string(), ch.label().to_string())).collect();
    let on_existing = OnExisting::ALL.iter().map(|o| (o.as_str().to_string(), o.label().to_string())).collect();
    view! {
        <fieldset>
            <legend>"Every row"</legend>
            <div class="grid-2">
                {select("import-channel", "choices[channel]", "Channel (rows without their own)", channels, c.channel.clone())}
                {text("import-source", "choices[source_detail]", "Source detail (rows without their own)", c.source_detail.clone(),
                    "Where these contacts come from, e.g. “Old CRM, 2019–2026”")}
                {select("import-existing", "choices[on_existing]", "Contacts Carnet already has", on_existing, c.on_existing.clone())}
            </div>
            <p class="field-hint">"An address twice in the file is one contact. A suppressed or erased address is never created again, whatever the file says."</p>
        </fieldset>
    }
}

fn subscription(d: &ImportDetail) -> impl IntoView {
    let c = d.choices.clone();
    if d.newsletters.is_empty() {
        return view! {
            <fieldset>
                <legend>"Subscription"</legend>
                <p>"No newsletter is open, so these contacts are imported without a subscription. To subscribe them, "
                    <a href="/newsletters">"create a newsletter"</a>" first, then come back to this page."</p>
            </fieldset>
        }
        .into_any();
    }
    let newsletters = std::iter::once((String::new(), "No subscription".to_string()))
        .chain(d.newsletters.iter().map(|n| (n.id.to_string(), n.name.clone())))
        .collect();
    view! {
        <fieldset>
            <legend>"Subscription"</legend>
            <p class="field-hint">"A subscription needs the evidence of the person's consent: the words they agreed to, when, and where. A row without its consent date is refused."</p>
            {select("import-newsletter", "choices[newsletter]", "Subscribe every row to", newsletters, c.newsletter.clone())}
            <div class="field">
                <label for="import-consent-text">"The words they agreed to"</label>
                <textarea id="import-consent-text" name="choices[consent_text]" rows="3">{c.consent_text.clone()}</textarea>
            </div>
            <div class="grid-2">
                {text("import-consent-date", "choices[consent_date]", "Consent date", c.consent_date.clone(),
                    "DD/MM/YYYY for every row, or leave empty and map the column holding each row's date")}
                {text("import-consent-place", "choices[consent_place]", "Where consent was given", c.consent_place.clone(),
                    "e.g. “Old website's newsletter form” (the file's name if empty)")}
            </div>
        </fieldset>
    }
    .into_any()
}

fn suppression(d: &ImportDetail) -> impl IntoView {
    let c = &d.choices;
    let columns = d.headers.iter().enumerate().map(|(i, h)| (i.to_string(), format!("{} — {}", i + 1, h))).collect();
    let has_header = c.has_header == "1";
    view! {
        <fieldset>
            <legend>"The list"</legend>
            <div class="grid-2">
                {select("import-column", "choices[column]", "Column holding the address or hash", columns, c.column.clone())}
                {text("import-reason", "choices[reason]", "Why these addresses are suppressed", c.reason.clone(),
                    "Kept with each entry, e.g. “Repoussoir from the old tool”")}
            </div>
            <div class="field checkbox">
                <input id="import-has-header" type="checkbox" name="choices[has_header]" value="1" checked=has_header/>
                <label for="import-has-header">"The first line names the columns (it is not an entry)"</label>
            </div>
        </fieldset>
    }
}

fn preview(rows: Vec<PreviewRow>, headers: Vec<String>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="muted">"No rows to preview: the file has only its header line, or cannot be read with these settings."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
        <table class="table preview">
            <thead><tr>
                <th scope="col">"Line"</th>
                {headers.into_iter().map(|h| view! { <th scope="col">{h}</th> }).collect_view()}
                <th scope="col">"Outcome"</th>
            </tr></thead>
            <tbody>
            {rows.into_iter().map(|r| view! {
                <tr>
                    <td>{r.line}</td>
                    {r.cells.into_iter().map(|(cell, becomes)| view! {
                        <td>{cell.clone()}{(!becomes.is_empty() && becomes != cell).then(|| view! { <br/><span class="muted small">{format!("→ {becomes}")}</span> })}</td>
                    }).collect_view()}
                    <td>{match r.refused { None => "Imported".to_string(), Some(why) => format!("Refused: {why}") }}</td>
                </tr>
            }).collect_view()}
            </tbody>
        </table>
        </div>
    }
    .into_any()
}

pub fn choices_form(d: ImportDetail) -> impl IntoView {
    let contacts = d.import.kind == "contacts";
    let id = d.import.id.to_string();
    let (rows_preview, headers) = (d.preview.clone(), d.headers.clone());
    let kind_fields = if contacts {
        view! { {columns(&d)} {save_mapping(&d)} {rows(&d)} {subscription(&d)} }.into_any()
    } else {
        suppression(&d).into_any()
    };
    let import_label = if contacts { "Import the contacts" } else { "Import the list" };
    view! {
        <section class="card" id="choices" aria-labelledby="choices-h">
            <h2 id="choices-h">"Choices"</h2>
            {use_mapping(&d)}
            <form method="post" action="/api/imports/configure">
                <input type="hidden" name="id" value=id/>
                {file_format(&d.choices)}
                {kind_fields}
                <div class="form-actions">
                    <button type="submit" name="action" value="preview" class="button">"Preview"</button>
                    <button type="submit" name="action" value="dry_run" class="button">"Dry run (writes nothing)"</button>
                    <button type="submit" name="action" value="import" class="button button-primary">{import_label}</button>
                </div>
            </form>
        </section>
        <section class="card" aria-labelledby="preview-h">
            <h2 id="preview-h">"Preview of the first rows"</h2>
            <p class="muted small">"With the choices above; press Preview after changing them."</p>
            {preview(rows_preview, headers)}
        </section>
    }
}
