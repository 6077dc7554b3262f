//! What operators run beside `serve`: backups of a serving SQLite database, and the
//! signing keys' rotation.

use crate::commands::Result;
use crate::config::SecretsCommand;
use crate::store;
use app::engagement::service::ImportJob;
use app::platform::jobs::JobKind;
use app::platform::signing::{self, Purpose};
use app::state::{AppState, Settings};
use app::store::{JobStore, Store};
use std::sync::Arc;

/// `carnet backup --to FILE`: prints what it wrote, last the number of events the copy
/// has yet to apply.
pub async fn backup(url: &str, to: &std::path::Path) -> Result<()> {
    if !url.starts_with("sqlite:") {
        return Err("carnet backup copies a SQLite database; back up PostgreSQL with pg_dump (see the README)".into());
    }
    if url.contains(":memory:") || url.contains("mode=memory") {
        return Err("an in-memory database has nothing to back up".into());
    }
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or(path);
    if !std::path::Path::new(path).exists() {
        return Err(format!("no database at {path}: check DATABASE_URL"));
    }
    let store = store::sqlite::SqliteStore::connect_unmigrated(url)
        .await
        .map_err(|e| format!("cannot open the database: {e}"))?;
    // An import in progress is half in the inbox, half applied: a copy taken now could
    // apply part of it twice or not at all when served.
    let importing = store
        .recent_jobs(50)
        .await
        .map_err(|e| format!("cannot read the jobs: {e}"))?
        .into_iter()
        .any(|j| j.kind == ImportJob::NAME && (j.state == "running" || j.state == "queued"));
    if importing {
        return Err("an import of events is under way: back up once it is done (see /jobs)".into());
    }
    let copy = store.backup(to).await.map_err(|e| format!("backup failed: {e}"))?;
    println!("database: {}", copy.database.display());
    println!("inbox: {}", copy.inbox.display());
    println!("events waiting: {}", copy.waiting_events);
    Ok(())
}

/// `carnet secrets rotate|retire [--purpose P|all]`: prints each purpose's key count.
pub async fn secrets(store: Arc<dyn Store>, command: SecretsCommand) -> Result<()> {
    let state = AppState::new(store, Settings::default());
    let (purpose, retire) = match &command {
        SecretsCommand::Rotate { purpose } => (purpose, false),
        SecretsCommand::Retire { purpose } => (purpose, true),
    };
    let purposes = match purpose.trim() {
        "all" => Purpose::ALL.to_vec(),
        one => vec![Purpose::parse(one)
            .ok_or_else(|| format!("unknown purpose {one:?} (tracking, unsubscribe, signup_ticket, all)"))?],
    };
    let keys = if retire { signing::retire(&state, &purposes).await } else { signing::rotate(&state, &purposes).await }
        .map_err(|e| e.to_string())?;
    for p in purposes {
        let n = keys.0.get(p.as_str()).map_or(0, Vec::len);
        println!("{}: {n} key{}", p.as_str(), if n == 1 { "" } else { "s" });
    }
    eprintln!("Running instances use the new keys within a minute.");
    Ok(())
}
