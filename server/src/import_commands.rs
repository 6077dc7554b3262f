//! `carnet import contacts|suppression FILE`: scripted migrations, through the same
//! import service as the browser's uploads, reading the file where it is.

use crate::config::ImportCommand;
use app::imports::mapping::Mapping;
use app::imports::rules::{ConsentChoice, ContactImportSettings, ImportCounts, OnExisting};
use app::imports::service::{self, Runner, SuppressionSettings};
use app::imports::{reading::Source, sniff::Encoding, values};
use app::model::Channel;
use app::store::imports::ImportRecord;
use app::store::Store;
use std::io::Write;
use std::sync::Arc;

pub async fn run(store: Arc<dyn Store>, command: ImportCommand) -> Result<(), String> {
    match command {
        ImportCommand::Contacts {
            file,
            channel,
            source,
            on_existing,
            newsletter,
            consent_text,
            consent_date,
            consent_place,
            map,
            encoding,
            dry_run,
        } => {
            let encoding = encoding
                .as_deref()
                .map(|e| Encoding::parse(e).ok_or("--encoding: utf-8 or windows-1252"))
                .transpose()?;
            let channel = Channel::parse(&channel)
                .ok_or("--channel: web, point_of_sale, call_centre, order_form, event, partner or import")?;
            let on_existing = OnExisting::parse(&on_existing).ok_or("--on-existing: skip, fill or overwrite")?;
            let consent = match (newsletter, consent_text) {
                (None, None) => None,
                (None, Some(_)) => return Err("--consent-text goes with --newsletter".into()),
                (Some(_), None) => return Err("--newsletter needs --consent-text: the words people agreed to".into()),
                (Some(name), Some(text)) => {
                    let newsletters = store.open_newsletters().await.map_err(|e| e.to_string())?;
                    let Some(found) = newsletters.iter().find(|n| n.name.eq_ignore_ascii_case(name.trim())) else {
                        let names: Vec<&str> = newsletters.iter().map(|n| n.name.as_str()).collect();
                        return Err(format!(
                            "no open newsletter is named {name:?} (there are: {}); add one with `carnet newsletter add`",
                            if names.is_empty() { "none".to_string() } else { names.join(", ") }
                        ));
                    };
                    let date = consent_date
                        .as_deref()
                        .map(values::parse_instant)
                        .transpose()
                        .map_err(|m| format!("--consent-date: {m}"))?;
                    Some(ConsentChoice { newsletter_id: found.id, text, date, place: consent_place })
                }
            };
            let (import, layout) = service::register_local_file(&store, &file, "contacts", encoding, "cli").await?;
            let headers: Vec<&str> = layout.headers.iter().map(String::as_str).collect();
            let mapping = Mapping::with_overrides(&headers, &map).map_err(|m| format!("--map: {m}"))?;
            let settings = ContactImportSettings {
                encoding: layout.encoding,
                separator: layout.separator,
                mapping,
                channel,
                source_detail: source,
                on_existing,
                consent,
                today: app::platform::clock::now().date(),
            };
            settings
                .check()
                .map_err(|errors| errors.0.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("\n"))?;
            let import = start(&store, &import, &settings, dry_run).await?;
            let runner = Runner {
                store: &store,
                source: Source::File(file.clone()),
                import: &import,
                job: None,
                actor: "cli",
                dry_run,
            };
            let counts = runner.contacts(&settings).await;
            finish(&store, &import, counts, &file).await
        }
        ImportCommand::Suppression { file, reason, dry_run } => {
            let (import, layout) = service::register_local_file(&store, &file, "suppression", None, "cli").await?;
            let (column, has_header) = service::suppression_column(&layout.headers);
            let settings = SuppressionSettings {
                encoding: layout.encoding,
                separator: layout.separator,
                has_header,
                column,
                reason,
            };
            let import = start(&store, &import, &settings, dry_run).await?;
            let runner = Runner {
                store: &store,
                source: Source::File(file.clone()),
                import: &import,
                job: None,
                actor: "cli",
                dry_run,
            };
            let counts = runner.suppression(&settings).await;
            finish(&store, &import, counts, &file).await
        }
    }
}

/// Starts the run with its settings; returns the import as the run begins.
async fn start(
    store: &Arc<dyn Store>,
    import: &ImportRecord,
    settings: &impl serde::Serialize,
    dry_run: bool,
) -> Result<ImportRecord, String> {
    let settings = serde_json::to_string(settings).map_err(|e| e.to_string())?;
    let now = app::platform::clock::now();
    store.start_import_run(import.id, &settings, dry_run, None, now).await.map_err(|e| e.to_string())?;
    store.import(import.id).await.map_err(|e| e.to_string())?.ok_or_else(|| "the import vanished".to_string())
}

/// Ends the run, prints its counts (one `name: N` per line) and writes the refused
/// rows beside the file.
async fn finish(
    store: &Arc<dyn Store>,
    import: &ImportRecord,
    counts: Result<ImportCounts, app::store::StoreError>,
    file: &std::path::Path,
) -> Result<(), String> {
    let now = app::platform::clock::now();
    let counts = match counts {
        Ok(counts) => counts,
        Err(e) => {
            let _ = store.end_import_run(import.id, "failed", now).await;
            return Err(format!("the import stopped: {e}"));
        }
    };
    let state = if import.dry_run { "checked" } else { "done" };
    store.end_import_run(import.id, state, now).await.map_err(|e| e.to_string())?;
    let mut out = std::io::stdout().lock();
    for (name, n) in counts.lines() {
        let _ = writeln!(out, "{name}: {n}");
    }
    if counts.refused > 0 {
        let mut path = file.as_os_str().to_owned();
        path.push(".refused.csv");
        let path = std::path::PathBuf::from(path);
        let cannot = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
        let mut out_file = std::io::BufWriter::new(std::fs::File::create(&path).map_err(cannot)?);
        let mut csv = service::RefusedCsv::new(import);
        while let Some(piece) = csv.next(store, import.id).await.map_err(|e| e.to_string())? {
            out_file.write_all(&piece).map_err(cannot)?;
        }
        out_file.flush().map_err(cannot)?;
        let _ = writeln!(out, "refused rows: {}", path.display());
    }
    Ok(())
}
