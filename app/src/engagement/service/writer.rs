//! Events in, in two steps.
//!
//! **Accepting.** Every request that records events (an API batch, a tracking pixel, a
//! webhook delivery) hands them to one intake task per instance, which takes whatever
//! has queued up meanwhile (up to `MAX_PER_COMMIT` events), appends it to the inbox in
//! one transaction, then answers each request. A request is answered once its events
//! are durable; a failed commit fails every request in it, none half-accepted.
//!
//! **Folding.** Every second, a folder task applies the inbox in batches of up to
//! `MAX_FOLD` events (the timeline, the engagement instants, purchases, unsubscribes
//! and suppressions), so statuses follow events within about a second. Large sorted
//! batches share the index pages that single requests would each rewrite: that is
//! what makes a million-contact base take tens of thousands of events a second.
//! Paths that show their result at once (a staff member adding an interaction, an
//! import job finishing) wait for the fold with `record_applied`.

use crate::store::{NewEvent, Store, StoreError, StoreResult};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, Mutex, OnceCell};

/// Events per intake transaction, at most (requests are never split).
pub const MAX_PER_COMMIT: usize = 100_000;
/// Events per fold, at most: large enough to share index pages between events, small
/// enough that a fold holds SQLite's write lock for a few seconds at most.
pub const MAX_FOLD: i64 = 500_000;
const FOLD_EVERY: Duration = Duration::from_secs(1);

type Reply = oneshot::Sender<Result<(), String>>;

#[derive(Default)]
pub struct EventWriter {
    queue: OnceCell<mpsc::Sender<(Vec<NewEvent>, Reply)>>,
    /// One fold at a time per instance (instances coordinate through the database).
    folding: Arc<Mutex<()>>,
}

impl EventWriter {
    /// Starts the intake and folder tasks, if not yet started. The server calls it at
    /// start-up, so events left in the inbox (by a stopped process, or by another
    /// instance) are folded even before this instance receives any.
    pub async fn start(&self, store: &Arc<dyn Store>) {
        self.queue.get_or_init(|| async { self.spawn(store) }).await;
    }

    fn spawn(&self, store: &Arc<dyn Store>) -> mpsc::Sender<(Vec<NewEvent>, Reply)> {
        let (tx, rx) = mpsc::channel(1024);
        tokio::spawn(intake(store.clone(), rx));
        let (store, folding) = (store.clone(), self.folding.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(FOLD_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = fold_all(&store, &folding).await {
                    tracing::warn!(error = %e, "could not fold the event inbox (kept for the next try)");
                }
            }
        });
        tx
    }

    /// Accepts `events`: returns once they are durable in the inbox.
    pub async fn record(&self, store: &Arc<dyn Store>, events: Vec<NewEvent>) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let queue = self.queue.get_or_init(|| async { self.spawn(store) }).await;
        let (reply, answer) = oneshot::channel();
        let stopped = || StoreError::Database("the event writer stopped".into());
        queue.send((events, reply)).await.map_err(|_| stopped())?;
        match answer.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(StoreError::Database(e)),
            Err(_) => Err(stopped()),
        }
    }

    /// Accepts `events` and returns once they (and everything accepted before) are applied.
    pub async fn record_applied(&self, store: &Arc<dyn Store>, events: Vec<NewEvent>) -> Result<(), StoreError> {
        self.record(store, events).await?;
        self.apply_pending(store).await.map(|_| ())
    }

    /// Folds the inbox until it is empty; returns how many events were applied.
    pub async fn apply_pending(&self, store: &Arc<dyn Store>) -> StoreResult<u64> {
        fold_all(store, &self.folding).await
    }
}

async fn fold_all(store: &Arc<dyn Store>, folding: &Mutex<()>) -> StoreResult<u64> {
    let _one_at_a_time = folding.lock().await;
    let mut total = 0;
    loop {
        let folded = store.fold_events(MAX_FOLD).await?;
        total += folded;
        if folded < MAX_FOLD as u64 {
            return Ok(total);
        }
    }
}

async fn intake(store: Arc<dyn Store>, mut rx: mpsc::Receiver<(Vec<NewEvent>, Reply)>) {
    while let Some(first) = rx.recv().await {
        let mut count = first.0.len();
        let mut requests = vec![first];
        while count < MAX_PER_COMMIT {
            match rx.try_recv() {
                Ok(next) => {
                    count += next.0.len();
                    requests.push(next);
                }
                Err(_) => break,
            }
        }
        let mut events: Vec<NewEvent> = Vec::with_capacity(count);
        let mut replies = Vec::with_capacity(requests.len());
        for (batch, reply) in requests {
            events.extend(batch);
            replies.push(reply);
        }
        let result = store.queue_events(&events).await.map_err(|e| e.to_string());
        if let Err(e) = &result {
            tracing::error!(error = %e, events = events.len(), "could not accept events");
        }
        for reply in replies {
            let _ = reply.send(result.clone());
        }
    }
}
