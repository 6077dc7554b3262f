//! `carnet export contacts`: a list's contacts to standard output, through the same
//! export as the browser's download.

use app::state::{AppState, Settings};
use app::store::Store;
use std::sync::Arc;

/// `carnet export contacts`: the list's contacts to standard output, chunk by chunk.
pub async fn contacts(
    store: Arc<dyn Store>,
    filter: &str,
    format: &str,
    columns: &str,
    separator: &str,
) -> Result<(), String> {
    use app::contacts::export::{self, ExportColumn, ExportRequest};
    use std::io::Write;
    if columns.trim() == "help" {
        for c in ExportColumn::ALL {
            println!("{:<18} {}", c.key(), c.label());
        }
        return Ok(());
    }
    let filter = filter.trim_start_matches('?');
    let encode = app::model::listing::url_encode;
    let options = format!("format={}&columns={}&separator={}", encode(format), encode(columns), encode(separator));
    let request = ExportRequest::from_query_string(&options)?;
    let list = app::model::ContactQuery::from_query_string(filter);
    // A filter the list does not take would export everyone: refused, not ignored.
    let kept = list.query_string();
    for pair in filter.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let known = ["q", "channel", "newsletter", "subscription", "status", "clean", "idle", "pool", "sort"];
        if !known.contains(&key) {
            return Err(format!("--filter: “{key}” is not a filter (use {})", known.join(", ")));
        }
        if key != "sort" && !value.is_empty() && !kept.split('&').any(|p| p.starts_with(&format!("{key}="))) {
            return Err(format!("--filter: “{pair}” is not a value this filter takes"));
        }
    }
    let state = AppState::new(store, Settings::default());
    let settings = app::engagement::service::settings(&state).await.map_err(|e| e.to_string())?;
    let bounds = settings.bounds(app::platform::clock::now());
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let broken = |e: std::io::Error| format!("cannot write the export: {e}");
    let written = |result: std::io::Result<()>| match result {
        // The reader had enough (`| head`): not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(broken(e)),
        Ok(()) => Ok(true),
    };
    if !written(out.write_all(&export::start(&request)))? {
        return Ok(());
    }
    let mut after = 0;
    while let Some((bytes, last)) =
        export::chunk(&state, &list, &request, &bounds, settings.opens_count, after).await.map_err(|e| e.to_string())?
    {
        if !written(out.write_all(&bytes))? {
            return Ok(());
        }
        after = last;
    }
    written(out.flush()).map(|_| ())
}
