//! tower-sessions records kept in Carnet's own database (either backend), so sessions
//! survive restarts and are shared by every instance behind a load balancer.

use crate::store::Store;
use std::sync::Arc;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};

#[derive(Clone)]
pub struct DbSessionStore {
    store: Arc<dyn Store>,
}

impl DbSessionStore {
    pub fn new(store: Arc<dyn Store>) -> Self {
        DbSessionStore { store }
    }
}

impl std::fmt::Debug for DbSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbSessionStore")
    }
}

fn backend<E: std::fmt::Display>(e: E) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

fn encode(record: &Record) -> session_store::Result<String> {
    serde_json::to_string(record).map_err(|e| session_store::Error::Encode(e.to_string()))
}

#[async_trait::async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Ids are 128 random bits; on the astronomically rare collision, draw again.
        loop {
            let data = encode(record)?;
            if self
                .store
                .session_insert(
                    &record.id.to_string(),
                    &data,
                    crate::model::Timestamp(record.expiry_date.unix_timestamp()),
                )
                .await
                .map_err(backend)?
            {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = encode(record)?;
        self.store
            .session_save(&record.id.to_string(), &data, crate::model::Timestamp(record.expiry_date.unix_timestamp()))
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = crate::model::Timestamp(time::OffsetDateTime::now_utc().unix_timestamp());
        match self.store.session_load(&id.to_string(), now).await.map_err(backend)? {
            Some(data) => {
                serde_json::from_str(&data).map(Some).map_err(|e| session_store::Error::Decode(e.to_string()))
            }
            None => Ok(None),
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.store.session_delete(&id.to_string()).await.map_err(backend)
    }
}

#[async_trait::async_trait]
impl ExpiredDeletion for DbSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        let now = crate::model::Timestamp(time::OffsetDateTime::now_utc().unix_timestamp());
        self.store.sessions_delete_expired(now).await.map(|_| ()).map_err(backend)
    }
}
