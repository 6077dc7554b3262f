//! Settings every instance shares, one row each in the `settings` table. Each setting
//! is a type (`Setting`) naming its row and how its value is read and written, so a
//! setting's name and format are written once, beside its capability's rules.

use crate::store::StoreResult;
use async_trait::async_trait;
use serde::{de::DeserializeOwned, Serialize};

/// A shared setting: its row's name and its value's format.
pub trait Setting {
    /// The row's name: never rename a setting that may already be stored.
    const NAME: &'static str;
    type Value;
    /// The value, from what is stored (`None`: nothing yet, the default).
    fn decode(stored: Option<&str>) -> Self::Value;
    fn encode(value: &Self::Value) -> String;
}

/// The format of most settings: JSON, with the type's default when absent, and when
/// unreadable (logged: an admin saving the page again repairs it).
pub fn json_decode<T: DeserializeOwned + Default>(name: &str, stored: Option<&str>) -> T {
    match stored {
        None => T::default(),
        Some(text) => serde_json::from_str(text).unwrap_or_else(|e| {
            tracing::error!(setting = name, error = %e, "a stored setting is unreadable; using its default");
            T::default()
        }),
    }
}

pub fn json_encode<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// The settings table, as text. Services use the typed functions below (generic over
/// the store, so `&dyn Store` passes without upcasting).
#[async_trait]
pub trait SettingsStore: Send + Sync {
    async fn setting(&self, name: &str) -> StoreResult<Option<String>>;
    /// Writes several settings in one transaction (a settings page's save).
    async fn put_settings(&self, settings: &[(&str, &str)], now: crate::model::Timestamp) -> StoreResult<()>;
    /// Compare-and-set: writes `value` only if the setting still holds `expected`
    /// (`None`: is absent). Whether it was written; with several instances, one wins.
    async fn replace_setting(
        &self,
        name: &str,
        expected: Option<&str>,
        value: &str,
        now: crate::model::Timestamp,
    ) -> StoreResult<bool>;
    /// Stores `value` unless the setting exists; returns what is stored (the first
    /// instance to write wins, so all instances agree on generated secrets).
    async fn setting_or_insert(&self, name: &str, value: &str, now: crate::model::Timestamp) -> StoreResult<String>;
}

pub async fn get<S: Setting>(store: &(impl SettingsStore + ?Sized)) -> StoreResult<S::Value> {
    Ok(S::decode(store.setting(S::NAME).await?.as_deref()))
}

pub async fn put<S: Setting>(
    store: &(impl SettingsStore + ?Sized),
    value: &S::Value,
    now: crate::model::Timestamp,
) -> StoreResult<()> {
    Batch::default().with::<S>(value).save(store, now).await
}

/// The stored value, or `value` stored now if there was none (see `setting_or_insert`).
pub async fn get_or_insert<S: Setting>(
    store: &(impl SettingsStore + ?Sized),
    value: &S::Value,
    now: crate::model::Timestamp,
) -> StoreResult<S::Value> {
    let stored = store.setting_or_insert(S::NAME, &S::encode(value), now).await?;
    Ok(S::decode(Some(&stored)))
}

/// A setting's value with the text it was read from, for a compare-and-set.
pub struct Read<S: Setting> {
    pub value: S::Value,
    stored: Option<String>,
}

impl<S: Setting> Read<S> {
    /// Whether the setting has a stored row (else `value` is its default).
    pub fn is_stored(&self) -> bool {
        self.stored.is_some()
    }
}

pub async fn read<S: Setting>(store: &(impl SettingsStore + ?Sized)) -> StoreResult<Read<S>> {
    let stored = store.setting(S::NAME).await?;
    Ok(Read { value: S::decode(stored.as_deref()), stored })
}

/// Compare-and-set (see `replace_setting`): whether `value` replaced what `read` saw,
/// exactly as it was stored (even text the setting could not decode).
pub async fn replace<S: Setting>(
    store: &(impl SettingsStore + ?Sized),
    seen: &Read<S>,
    value: &S::Value,
    now: crate::model::Timestamp,
) -> StoreResult<bool> {
    store.replace_setting(S::NAME, seen.stored.as_deref(), &S::encode(value), now).await
}

/// Changes a setting with `change`, read and written by compare-and-set and retried
/// when another request or instance wrote it meanwhile: no change is lost.
pub async fn update<S: Setting, R>(
    store: &(impl SettingsStore + ?Sized),
    now: crate::model::Timestamp,
    mut change: impl FnMut(&mut S::Value) -> R,
) -> StoreResult<R> {
    for _ in 0..20 {
        let Read { mut value, stored } = read::<S>(store).await?;
        let result = change(&mut value);
        if store.replace_setting(S::NAME, stored.as_deref(), &S::encode(&value), now).await? {
            return Ok(result);
        }
    }
    Err(crate::store::StoreError::Database(format!("the setting {} kept changing", S::NAME)))
}

/// Several settings saved together, in one transaction.
#[derive(Default)]
pub struct Batch {
    rows: Vec<(&'static str, String)>,
}

impl Batch {
    pub fn with<S: Setting>(mut self, value: &S::Value) -> Batch {
        self.rows.push((S::NAME, S::encode(value)));
        self
    }

    pub async fn save(self, store: &(impl SettingsStore + ?Sized), now: crate::model::Timestamp) -> StoreResult<()> {
        let rows: Vec<(&str, &str)> = self.rows.iter().map(|(name, value)| (*name, value.as_str())).collect();
        store.put_settings(&rows, now).await
    }
}
