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
use crate::platform::settings::{json_decode, json_encode, Setting};
use crate::state::AppState;
use crate::store::StoreError;

pub const DAY: i64 = 86_400;

/// The engagement settings every instance shares (defaults until an admin saves some).
pub struct Engagement;

impl Setting for Engagement {
    const NAME: &'static str = "engagement";
    type Value = EngagementSettings;
    fn decode(stored: Option<&str>) -> EngagementSettings {
        json_decode(Self::NAME, stored)
    }
    fn encode(value: &EngagementSettings) -> String {
        json_encode(value)
    }
}

pub async fn settings(state: &AppState) -> Result<EngagementSettings, StoreError> {
    crate::platform::settings::get::<Engagement>(state.store.as_ref()).await
}

pub async fn save_settings(
    state: &AppState,
    settings: &EngagementSettings,
    now: crate::model::Timestamp,
) -> Result<(), StoreError> {
    crate::platform::settings::put::<Engagement>(state.store.as_ref(), settings, now).await
}
