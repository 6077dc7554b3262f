//! What every server function and handler reaches through `expect_context()`: the store
//! and the settings, provided once by the server.

use crate::error::AppError;
use crate::store::Store;
use std::sync::Arc;

/// Sign-in throttling thresholds (per hour). Defaults follow OWASP: slow down early,
/// refuse well under 100 failures per account per hour.
#[derive(Clone, Debug)]
pub struct LoginLimits {
    pub window_secs: i64,
    /// Failures after which each attempt waits `delay_ms` × (failures − slow_after).
    pub slow_after: i64,
    pub delay_ms: u64,
    pub max_delay_ms: u64,
    /// Failures after which an account is refused until the window ends.
    pub refuse_account_after: i64,
    /// Failures after which an address is refused until the window ends.
    pub refuse_address_after: i64,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits {
            window_secs: 3600,
            slow_after: 5,
            delay_ms: 500,
            max_delay_ms: 5000,
            refuse_account_after: 20,
            refuse_address_after: 100,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Settings {
    /// The public origin, e.g. `https://crm.example.com`, used for links and the CSRF check.
    pub public_url: String,
    /// Staff sessions end this long after sign-in, whatever the activity (OWASP: 4–8 h).
    pub session_absolute_secs: i64,
    pub login_limits: LoginLimits,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            public_url: "http://127.0.0.1:3000".into(),
            session_absolute_secs: 8 * 3600,
            login_limits: LoginLimits::default(),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub settings: Arc<Settings>,
}

impl AppState {
    /// The state from the Leptos context (server functions, SSR).
    pub fn from_context() -> Result<AppState, AppError> {
        leptos::prelude::use_context::<AppState>().ok_or_else(|| {
            tracing::error!("AppState missing from context");
            AppError::Internal
        })
    }
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
