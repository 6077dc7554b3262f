//! Group commit for events. Every request that records events (an API batch, a
//! tracking pixel, a webhook delivery) hands them to one writer task per instance,
//! which takes whatever has queued up meanwhile (up to `MAX_PER_COMMIT` events) and
//! records it in one transaction, then answers each request. Under concurrent load a
//! thousand single-event webhook calls become a few transactions, and a big batch shares
//! its index pages with the others; a lone request waits for nothing. Each request still
//! answers only after its events are committed, and a failed commit fails every request
//! in it, none half-applied.

use crate::store::{NewEvent, Store, StoreError};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, OnceCell};

/// Events per transaction, at most (requests are never split).
pub const MAX_PER_COMMIT: usize = 100_000;

type Reply = oneshot::Sender<Result<(), String>>;

#[derive(Default)]
pub struct EventWriter {
    queue: OnceCell<mpsc::Sender<(Vec<NewEvent>, Reply)>>,
}

impl EventWriter {
    /// Records `events` (sorted by contact, so index pages are visited in order) and
    /// returns once they are committed.
    pub async fn record(&self, store: &Arc<dyn Store>, events: Vec<NewEvent>) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let queue = self
            .queue
            .get_or_init(|| async {
                let (tx, rx) = mpsc::channel(1024);
                tokio::spawn(run(store.clone(), rx));
                tx
            })
            .await;
        let (reply, answer) = oneshot::channel();
        queue.send((events, reply)).await.map_err(|_| StoreError::Database("the event writer stopped".into()))?;
        match answer.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(StoreError::Database(e)),
            Err(_) => Err(StoreError::Database("the event writer stopped".into())),
        }
    }
}

async fn run(store: Arc<dyn Store>, mut rx: mpsc::Receiver<(Vec<NewEvent>, Reply)>) {
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
        events.sort_by_key(|e| (e.contact_id, e.occurred_at));
        let result = store.record_events(&events).await.map_err(|e| e.to_string());
        if let Err(e) = &result {
            tracing::error!(error = %e, events = events.len(), "could not record events");
        }
        for reply in replies {
            let _ = reply.send(result.clone());
        }
    }
}
