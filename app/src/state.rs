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
    /// Failures of one address on one account after which each attempt waits
    /// `delay_ms` × (failures − slow_after), at most `max_delay_ms` (an account's
    /// failures from every address slow it from 4 × slow_after). The right password is
    /// never refused for them.
    pub slow_after: i64,
    pub delay_ms: u64,
    pub max_delay_ms: u64,
    /// Failures of one address, on any accounts, after which it is refused until the
    /// window ends.
    pub refuse_address_after: i64,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits { window_secs: 3600, slow_after: 5, delay_ms: 500, max_delay_ms: 5000, refuse_address_after: 100 }
    }
}

/// Partner API requests allowed per key: a token bucket refilled at `per_second`
/// holding at most `burst`. Kept in each instance's memory (with several instances
/// behind a load balancer, each allows this much).
#[derive(Clone, Debug)]
pub struct PartnerRate {
    pub per_second: f64,
    pub burst: f64,
}

impl Default for PartnerRate {
    fn default() -> Self {
        PartnerRate { per_second: 100.0, burst: 200.0 }
    }
}

/// The public sign-up form's defences (see `signup`).
#[derive(Clone, Debug)]
pub struct SignupDefence {
    /// A form sent back sooner than this after it was shown is a bot's.
    pub min_secs: i64,
    /// A form older than this is shown again (its ticket is no longer accepted).
    pub max_age_secs: i64,
    /// Zero bits the proof of work asks for (16: about 65,000 hashes).
    pub pow_bits: u32,
    /// Sign-ups per network address and hour, with the proof of work answered…
    pub per_ip_hour: i64,
    /// … and without it (JavaScript off).
    pub per_ip_hour_without_pow: i64,
    /// Confirmation mails per email address and day.
    pub per_address_day: i64,
}

impl Default for SignupDefence {
    fn default() -> Self {
        SignupDefence {
            min_secs: 3,
            max_age_secs: 86_400,
            pow_bits: 16,
            per_ip_hour: 30,
            per_ip_hour_without_pow: 10,
            per_address_day: 3,
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
    pub partner_rate: PartnerRate,
    /// How long a personal profile link works, in days (people open mail late).
    pub profile_link_days: i64,
    pub signup: SignupDefence,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            public_url: "http://127.0.0.1:3000".into(),
            session_absolute_secs: 8 * 3600,
            login_limits: LoginLimits::default(),
            partner_rate: PartnerRate::default(),
            profile_link_days: 14,
            signup: SignupDefence::default(),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub settings: Arc<Settings>,
    pub partner_limiter: Arc<crate::partners::service::RateLimiter>,
    pub partner_usage: Arc<crate::partners::service::UsageBuffer>,
    pub key_cache: Arc<crate::partners::service::KeyCache>,
    pub known_hashes: Arc<crate::partners::service::KnownHashes>,
    /// The signing keys, read from the settings table now and then (see `platform::signing`).
    pub signing_keys: Arc<crate::platform::signing::KeyCache>,
    /// The background job kinds this instance runs, registered by their capabilities.
    pub jobs: Arc<crate::platform::jobs::Registry>,
    /// Group commit of events (one writer task per instance).
    pub event_writer: Arc<crate::engagement::service::EventWriter>,
    /// Sends mail; `None` when no SMTP server is configured (mail waits in the outbox).
    pub mailer: Option<Arc<dyn crate::mail::service::MailTransport>>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, settings: Settings) -> AppState {
        let limiter = crate::partners::service::RateLimiter::new(settings.partner_rate.clone());
        AppState {
            store,
            settings: Arc::new(settings),
            partner_limiter: Arc::new(limiter),
            partner_usage: Default::default(),
            key_cache: Default::default(),
            known_hashes: Default::default(),
            signing_keys: Default::default(),
            jobs: Arc::new(job_kinds()),
            event_writer: Default::default(),
            mailer: None,
        }
    }

    pub fn with_mailer(mut self, mailer: Arc<dyn crate::mail::service::MailTransport>) -> AppState {
        self.mailer = Some(mailer);
        self
    }

    /// The state from the Leptos context (server functions, SSR).
    pub fn from_context() -> Result<AppState, AppError> {
        leptos::prelude::use_context::<AppState>().ok_or_else(|| {
            tracing::error!("AppState missing from context");
            AppError::Internal
        })
    }
}

/// Every capability's background job kinds.
fn job_kinds() -> crate::platform::jobs::Registry {
    let jobs = crate::platform::jobs::Registry::default();
    let jobs = crate::engagement::service::register_jobs(jobs);
    let jobs = crate::imports::service::register_jobs(jobs);
    crate::incentives::service::register_jobs(jobs)
}
