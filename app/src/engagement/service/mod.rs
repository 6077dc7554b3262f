//! Engagement rules on the server: settings, event ingestion (`events`), the dashboard
//! refresh (`dashboard`), bulk actions and imports as background jobs (`jobs`), and
//! signed tracking links (`tracking`).

mod dashboard;
mod events;
mod exports;
mod jobs;
mod staff;
mod tracking;
mod writer;

pub use dashboard::*;
pub use events::*;
pub use exports::*;
pub use jobs::*;
pub use staff::*;
pub use tracking::*;
pub use writer::*;

use crate::model::engagement::EngagementSettings;
use crate::state::AppState;
use crate::store::StoreError;

/// Where the engagement settings are kept (JSON).
pub const SETTINGS_NAME: &str = "engagement";
pub const DAY: i64 = 86_400;

/// The engagement settings every instance shares (defaults until an admin saves some).
pub async fn settings(state: &AppState) -> Result<EngagementSettings, StoreError> {
    Ok(match state.store.setting(SETTINGS_NAME).await? {
        Some(json) => serde_json::from_str(&json).unwrap_or_else(|e| {
            tracing::error!(error = %e, "stored engagement settings are unreadable; using the defaults");
            EngagementSettings::default()
        }),
        None => EngagementSettings::default(),
    })
}

pub async fn save_settings(state: &AppState, settings: &EngagementSettings, now: i64) -> Result<(), StoreError> {
    let json = serde_json::to_string(settings).map_err(|e| StoreError::Database(e.to_string()))?;
    state.store.put_setting(SETTINGS_NAME, &json, now).await
}
