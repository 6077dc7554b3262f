//! Background chores every instance runs: events folded every second, partner usage
//! written every second, background jobs and the dashboard kept fresh, mail sent every
//! 5 seconds (and the yearly refresh's hourly share), expired sessions and sign-ups
//! purged, idle imports' files deleted. Each is safe with several instances at once (leases, compare-and-set,
//! advisory locks: see each service).

use app::state::AppState;
use std::time::Duration;

/// Starts the chores (see the module).
pub fn spawn(state: AppState) {
    // The event intake and the folder of its inbox.
    let events = state.clone();
    tokio::spawn(async move { events.event_writer.start(&events.store).await });
    let usage = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            if let Err(e) = usage.partner_usage.flush(usage.store.as_ref()).await {
                tracing::warn!(error = %e, "could not write partner usage (kept for the next try)");
            }
        }
    });
    let jobs = state.clone();
    tokio::spawn(async move {
        // Background jobs (bulk actions, imports), and the dashboard kept fresh.
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        let mut last_refresh_check = app::model::Timestamp::default();
        loop {
            tick.tick().await;
            loop {
                match app::platform::jobs::run_next(&jobs).await {
                    Ok(true) => continue,
                    Ok(false) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not run background jobs");
                        break;
                    }
                }
            }
            let now = app::platform::clock::now();
            if now - last_refresh_check >= 60 {
                last_refresh_check = now;
                if let Err(e) = app::engagement::service::refresh_if_stale(&jobs, now).await {
                    tracing::warn!(error = %e, "could not refresh the engagement dashboard");
                }
            }
        }
    });
    let mail = state.clone();
    tokio::spawn(async move {
        // Mail waiting in the outbox (new, or due for another try), and once a minute
        // the yearly refresh (which sends its hourly share when the hour has come).
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        let mut last_refresh_check = app::model::Timestamp::default();
        loop {
            tick.tick().await;
            let now = app::platform::clock::now();
            if now - last_refresh_check >= 60 {
                last_refresh_check = now;
                if let Err(e) = app::self_service::refresh::yearly_refresh_tick(&mail, now).await {
                    tracing::warn!(error = %e, "could not run the yearly refresh");
                }
            }
            if let Err(e) = app::mail::service::deliver_due(&mail, now).await {
                tracing::warn!(error = %e, "could not send mail from the outbox");
            }
        }
    });
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            let now = app::platform::clock::now();
            if let Err(e) = state.store.sessions_delete_expired(now).await {
                tracing::warn!(error = %e, "could not purge expired sessions");
            }
            // Sign-ups never confirmed leave nothing behind once their link has expired.
            if let Err(e) = state.store.purge_signups(now).await {
                tracing::warn!(error = %e, "could not purge expired sign-ups");
            }
            // Uploaded files never imported do not stay in the database for ever.
            let before = now - app::imports::service::IDLE_IMPORT_SECS;
            match state.store.expire_imports(before, None).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(imports = n, "deleted the files of imports left idle"),
                Err(e) => tracing::warn!(error = %e, "could not delete idle imports' files"),
            }
        }
    });
}
