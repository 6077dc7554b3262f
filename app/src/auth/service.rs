//! Passwords, sign-in throttling and the staff session. Argon2id runs on the blocking
//! pool so a sign-in never stalls the async threads.

use super::CurrentUser;
use crate::error::AppError;
use crate::model::{Email, Permission, Role};
use crate::platform::clock::now;
use crate::state::AppState;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;
use tower_sessions::Session;

const SESSION_USER: &str = "user_id";
const SESSION_AUTH_AT: &str = "auth_at";
pub(super) const SESSION_EPOCH: &str = "epoch";
/// A sign-in whose password was right, waiting for its second factor.
const SESSION_PENDING: &str = "pending_sign_in";
/// Recovery codes just made, shown once on the account page.
pub(super) const SESSION_FRESH_CODES: &str = "fresh_recovery_codes";
/// How long the second factor may take after the password.
const PENDING_SIGN_IN_SECS: i64 = 300;

#[derive(serde::Serialize, serde::Deserialize)]
struct PendingSignIn {
    user_id: crate::model::UserId,
    at: crate::model::Timestamp,
    epoch: i64,
    /// The throttle subjects of the password step, cleared once signed in.
    subjects: [String; 2],
}

/// How a right password ends: signed in, or a code to ask for first.
pub enum SignIn {
    Done(CurrentUser),
    SecondFactor,
}

/// The client address, put in request extensions by the server (proxy-aware when told to).
#[derive(Clone, Debug)]
pub struct ClientIp(pub String);

/// OWASP's argon2id parameters: m = 19 MiB, t = 2, p = 1.
fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(19_456, 2, 1, None).expect("valid argon2 params"))
}

/// What a staff password must be (OWASP ASVS: length, not composition): 10 to 128
/// characters, not one of the most common passwords (the list shipped with Carnet), and
/// not built on the account's own address.
pub fn check_password_policy(password: &str, email: &str) -> Result<(), &'static str> {
    let length = password.chars().count();
    if length < 10 {
        return Err("Use at least 10 characters.");
    }
    if length > 128 {
        return Err("Use at most 128 characters.");
    }
    let lowered = password.trim().to_lowercase();
    if common_passwords().contains(lowered.as_str()) {
        return Err(
            "This is one of the most common passwords: choose another (a few unrelated words make a good one).",
        );
    }
    let local = email.trim().split('@').next().unwrap_or("").to_lowercase();
    if local.chars().count() >= 4 && lowered.contains(&local) {
        return Err("Do not build the password on your email address.");
    }
    Ok(())
}

/// The most common passwords of 10 characters or more, lowercased.
fn common_passwords() -> &'static std::collections::HashSet<&'static str> {
    static LIST: OnceLock<std::collections::HashSet<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("common-passwords.txt").lines().filter(|l| !l.is_empty() && !l.starts_with('#')).collect()
    })
}

pub async fn hash_password(password: String) -> Result<String, AppError> {
    on_hasher(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await?
    .map_err(|_| AppError::Internal)
}

pub async fn verify_password(hash: String, password: String) -> bool {
    on_hasher(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| argon2().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// Threads that compute argon2 hashes, one per core at most.
const HASHER_THREADS: usize = 2;

type HashJob = Box<dyn FnOnce() + Send>;

/// Runs `work` (an argon2 hash: 19 MiB for a fraction of a second) on one of Carnet's
/// own hashing threads: a burst of sign-ins queues for two threads instead of holding
/// 19 MiB each at once on the blocking pool. (That the blocks are given back when freed
/// is the server's allocator setting, in `server/src/main.rs`.)
async fn on_hasher<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
    static QUEUE: OnceLock<std::sync::mpsc::Sender<HashJob>> = OnceLock::new();
    let queue = QUEUE.get_or_init(|| {
        let (sender, receiver) = std::sync::mpsc::channel::<HashJob>();
        let receiver = std::sync::Arc::new(std::sync::Mutex::new(receiver));
        for i in 0..HASHER_THREADS {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || loop {
                    let job = match receiver.lock() {
                        Ok(r) => r.recv(),
                        Err(_) => return,
                    };
                    match job {
                        // A panicking hash drops its answer (the caller gets an error);
                        // the thread goes on.
                        Ok(job) => drop(std::panic::catch_unwind(std::panic::AssertUnwindSafe(job))),
                        Err(_) => return,
                    }
                })
                .expect("start a hashing thread");
        }
        sender
    });
    let (answer, answered) = tokio::sync::oneshot::channel();
    let job: HashJob = Box::new(move || {
        let _ = answer.send(work());
    });
    queue.send(job).map_err(|_| AppError::Internal)?;
    answered.await.map_err(|_| AppError::Internal)
}

/// A hash to verify against when the account does not exist, so that an unknown email
/// takes as long to refuse as a wrong password (no account enumeration by timing).
async fn decoy_hash() -> String {
    static DECOY: OnceLock<String> = OnceLock::new();
    if let Some(h) = DECOY.get() {
        return h.clone();
    }
    let h = hash_password("decoy password that never matches".into()).await.unwrap_or_default();
    DECOY.get_or_init(|| h).clone()
}

fn request_parts() -> Option<axum::http::request::Parts> {
    leptos::prelude::use_context::<axum::http::request::Parts>()
}

pub fn session() -> Result<Session, AppError> {
    request_parts().and_then(|p| p.extensions.get::<Session>().cloned()).ok_or_else(|| {
        tracing::error!("no session layer on this request");
        AppError::Internal
    })
}

/// Whether this request is a plain HTML form post (JavaScript off): browsers navigating
/// accept text/html, the app's own fetches ask for data.
pub fn is_plain_form_post() -> bool {
    request_parts()
        .and_then(|p| {
            p.headers.get(axum::http::header::ACCEPT).and_then(|v| v.to_str().ok()).map(|v| v.contains("text/html"))
        })
        .unwrap_or(false)
}

fn client_ip() -> String {
    request_parts()
        .and_then(|p| p.extensions.get::<ClientIp>().map(|ip| ip.0.clone()))
        .unwrap_or_else(|| "unknown".into())
}

pub fn session_error(e: tower_sessions::session::Error) -> AppError {
    tracing::error!(error = %e, "session store error");
    AppError::Internal
}

/// Checks the throttle, then the password; counts failures, rotates the session id on
/// success. Failures are counted per (address, account) pair, per account and per
/// address: the pair's and the account's only slow the next attempts down (never
/// refusing the right password, so nobody can lock the owner out by guessing wrong for
/// their address); only an address guessing at many accounts is refused for the hour.
pub async fn sign_in(email: &str, password: &str) -> Result<SignIn, AppError> {
    let state = AppState::from_context()?;
    let limits = &state.settings.login_limits;
    let now = now();
    let normalised = email.trim().to_lowercase();
    // The account subject is hashed: the throttle table holds no email addresses.
    let account = format!("account:{}", hex::encode(Sha256::digest(normalised.as_bytes())));
    let ip = client_ip();
    let address = format!("address:{ip}");
    let pair = format!("pair:{}", hex::encode(Sha256::digest(format!("{ip}|{account}").as_bytes())));

    let failures = |subject: String| {
        let store = state.store.clone();
        async move { store.login_failures(&subject, now, limits.window_secs).await }
    };
    let pair_failures = failures(pair.clone()).await?.count;
    let account_failures = failures(account.clone()).await?.count;
    let crate::store::LoginFailures { count: address_failures, window_started: address_since } =
        failures(address.clone()).await?;
    if address_failures >= limits.refuse_address_after {
        return Err(AppError::RateLimited {
            retry_after_secs: (address_since + limits.window_secs - now).max(1) as u64,
        });
    }
    // The pair is the attacker's own guessing; the account's count (from every address)
    // slows a distributed one more gently.
    let excess = (pair_failures - limits.slow_after).max(account_failures - 4 * limits.slow_after).max(0) as u64;
    if excess > 0 {
        let delay = (limits.delay_ms * excess).min(limits.max_delay_ms);
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }

    let user = match Email::parse(&normalised) {
        Ok(e) => state.store.user_by_email(&e).await?,
        Err(_) => None,
    };
    let hash = match &user {
        Some(u) => u.password_hash.clone(),
        None => decoy_hash().await,
    };
    let password_ok = verify_password(hash, password.to_string()).await;
    let user = match user {
        Some(u) if password_ok && u.active => u,
        _ => {
            for subject in [&pair, &account, &address] {
                state.store.add_login_failure(subject, now, limits.window_secs).await?;
            }
            tracing::info!("sign-in refused");
            return Err(AppError::Refused("Wrong email or password.".into()));
        }
    };
    let session = session()?;
    // A fresh id at each step: a session id planted before sign-in is worthless after it.
    session.cycle_id().await.map_err(session_error)?;
    if user.totp_secret.is_some() {
        // Whoever was signed in on this browser is not any more: the session is the
        // pending sign-in's alone.
        end_staff_session(&session).await?;
        let pending = PendingSignIn { user_id: user.id, at: now, epoch: user.session_epoch, subjects: [pair, account] };
        session.insert(SESSION_PENDING, pending).await.map_err(session_error)?;
        return Ok(SignIn::SecondFactor);
    }
    let me = establish(&state, &session, &user, now, &[pair, account]).await?;
    Ok(SignIn::Done(me))
}

/// Forgets the staff member signed in on `session`, if any.
async fn end_staff_session(session: &Session) -> Result<(), AppError> {
    session.remove::<crate::model::UserId>(SESSION_USER).await.map_err(session_error)?;
    session.remove::<crate::model::Timestamp>(SESSION_AUTH_AT).await.map_err(session_error)?;
    session.remove::<i64>(SESSION_EPOCH).await.map_err(session_error)?;
    Ok(())
}

/// Counts an attempt at a code for `user` before it is checked (so that attempts
/// sent at once all count); refused past `CODE_ATTEMPTS` in the window. The count is
/// cleared once a code is right.
pub(super) async fn count_code_attempt(
    state: &AppState,
    user: crate::model::UserId,
    now: crate::model::Timestamp,
) -> Result<String, AppError> {
    let limits = &state.settings.login_limits;
    let subject = format!("code:{user}");
    let attempts = state.store.add_login_failure(&subject, now, limits.window_secs).await?;
    if attempts.count > super::two_factor::CODE_ATTEMPTS {
        return Err(AppError::RateLimited {
            retry_after_secs: (attempts.window_started + limits.window_secs - now).max(1) as u64,
        });
    }
    Ok(subject)
}

/// Signs `user` in on `session` (both factors given): their throttles cleared.
async fn establish(
    state: &AppState,
    session: &Session,
    user: &crate::store::UserRecord,
    now: crate::model::Timestamp,
    subjects: &[String],
) -> Result<CurrentUser, AppError> {
    for subject in subjects {
        state.store.clear_login_failures(subject).await?;
    }
    state.store.record_login(user.id, now).await?;
    session.remove::<PendingSignIn>(SESSION_PENDING).await.map_err(session_error)?;
    session.insert(SESSION_USER, user.id).await.map_err(session_error)?;
    session.insert(SESSION_AUTH_AT, now).await.map_err(session_error)?;
    session.insert(SESSION_EPOCH, user.session_epoch).await.map_err(session_error)?;
    Ok(CurrentUser::of(user))
}

/// The second step of a sign-in: a code from the authenticator app, or a recovery
/// code (each works once). Wrong codes count against the account: after
/// `CODE_ATTEMPTS` in the window, codes are refused until it ends.
pub async fn finish_sign_in(code: &str) -> Result<CurrentUser, AppError> {
    let state = AppState::from_context()?;
    let session = session()?;
    let now = now();
    let again = || AppError::Refused("Your sign-in has expired: enter your email and password again.".into());
    let Some(pending) = session.get::<PendingSignIn>(SESSION_PENDING).await.map_err(session_error)? else {
        return Err(again());
    };
    if now - pending.at > PENDING_SIGN_IN_SECS {
        session.remove::<PendingSignIn>(SESSION_PENDING).await.map_err(session_error)?;
        return Err(again());
    }
    let user = match state.store.user_by_id(pending.user_id).await? {
        Some(u) if u.active && u.session_epoch == pending.epoch => u,
        _ => {
            session.remove::<PendingSignIn>(SESSION_PENDING).await.map_err(session_error)?;
            return Err(again());
        }
    };
    let subject = count_code_attempt(&state, user.id, now).await?;
    if !take_code(&state, &user, code, now).await? {
        tracing::info!(user_id = %user.id, "second factor refused");
        return Err(AppError::Invalid(crate::model::FieldErrors::single("code", WRONG_CODE)));
    }
    session.cycle_id().await.map_err(session_error)?;
    session.remove::<PendingSignIn>(SESSION_PENDING).await.map_err(session_error)?;
    let mut subjects = pending.subjects.to_vec();
    subjects.push(subject);
    establish(&state, &session, &user, now, &subjects).await
}

const WRONG_CODE: &str =
    "This code is not right or was already used. Type the code your app shows now, or a recovery code.";

/// Whether `code` is the member's current app code (not used before) or one of their
/// recovery codes (then used up).
async fn take_code(
    state: &AppState,
    user: &crate::store::UserRecord,
    code: &str,
    now: crate::model::Timestamp,
) -> Result<bool, AppError> {
    use super::two_factor;
    let Some(secret) = &user.totp_secret else { return Ok(false) };
    if code.len() > 64 {
        return Ok(false);
    }
    if let Some(step) = two_factor::matching_step(secret, code, now.0)? {
        return Ok(step > user.totp_last_step && state.store.take_totp_step(user.id, step).await?);
    }
    match two_factor::recovery_digest(code) {
        Some(digest) => {
            let taken = state.store.take_recovery_code(user.id, &digest).await?;
            if taken {
                tracing::info!(user_id = %user.id, "signed in with a recovery code");
            }
            Ok(taken)
        }
        None => Ok(false),
    }
}

pub async fn sign_out() -> Result<(), AppError> {
    session()?.flush().await.map_err(session_error)
}

/// The signed-in, active user of this request, if any. Ends sessions past the absolute
/// timeout (the idle timeout is the session cookie's own expiry).
pub async fn current_user() -> Result<Option<CurrentUser>, AppError> {
    user_of(&AppState::from_context()?, &session()?).await
}

/// Whether a staff member signed in with this session (without reading the account:
/// the staff gate's quick check; every server function still calls `require`).
pub async fn has_staff_session(session: &Session) -> bool {
    session.get::<crate::model::UserId>(SESSION_USER).await.ok().flatten().is_some()
}

/// The signed-in, active user of a session (for handlers outside Leptos, e.g. downloads).
pub async fn user_of(state: &AppState, session: &Session) -> Result<Option<CurrentUser>, AppError> {
    let Some(user_id) = session.get::<crate::model::UserId>(SESSION_USER).await.map_err(session_error)? else {
        return Ok(None);
    };
    let auth_at =
        session.get::<crate::model::Timestamp>(SESSION_AUTH_AT).await.map_err(session_error)?.unwrap_or_default();
    let epoch = session.get::<i64>(SESSION_EPOCH).await.map_err(session_error)?.unwrap_or(0);
    if now() - auth_at > state.settings.session_absolute_secs {
        session.flush().await.map_err(session_error)?;
        return Ok(None);
    }
    match state.store.user_by_id(user_id).await? {
        // A session begun before the password was last set is over.
        Some(u) if u.active && epoch == u.session_epoch => {
            let mut me = CurrentUser::of(&u);
            // The policy is read only for those it may stop: admins without a second factor.
            if u.role == Role::Admin && u.totp_secret.is_none() {
                let policy =
                    crate::platform::settings::get::<super::two_factor::TwoFactorPolicy>(&*state.store).await?;
                me.must_set_up_two_factor = policy.required_for_admins;
            }
            Ok(Some(me))
        }
        _ => {
            session.flush().await.map_err(session_error)?;
            Ok(None)
        }
    }
}

/// The gate at the top of every server function: signed in, and allowed.
pub async fn require(permission: Permission) -> Result<CurrentUser, AppError> {
    let user = current_user().await?.ok_or(AppError::Unauthenticated)?;
    if let Some(first) = user.must_act_first() {
        return Err(AppError::Refused(first.into()));
    }
    if user.role.allows(permission) {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}

/// Checks a signed-in member's password again before a sensitive change (a session
/// left open is not enough), throttled as sign-in is; refused as the form's `field`.
pub(super) async fn confirm_password(
    state: &AppState,
    user: &crate::store::UserRecord,
    password: &str,
    field: &'static str,
    now: crate::model::Timestamp,
) -> Result<(), AppError> {
    let subject = format!("account:{}", hex::encode(Sha256::digest(user.email.as_bytes())));
    let limits = &state.settings.login_limits;
    let failures = state.store.login_failures(&subject, now, limits.window_secs).await?.count;
    let excess = (failures - limits.slow_after).max(0) as u64;
    if excess > 0 {
        tokio::time::sleep(std::time::Duration::from_millis((limits.delay_ms * excess).min(limits.max_delay_ms))).await;
    }
    if verify_password(user.password_hash.clone(), password.to_string()).await {
        return Ok(());
    }
    state.store.add_login_failure(&subject, now, limits.window_secs).await?;
    Err(AppError::Invalid(crate::model::FieldErrors::single(field, "This is not your current password.")))
}

/// A staff member changes their own password: the current one first (a session left
/// open is not enough), then a new one under the policy. Every other session of theirs
/// ends; this one goes on under a new id.
pub async fn change_own_password(current: &str, new: &str, repeat: &str) -> Result<(), AppError> {
    let state = AppState::from_context()?;
    let me = current_user().await?.ok_or(AppError::Unauthenticated)?;
    let user = state.store.user_by_id(me.id).await?.ok_or(AppError::Unauthenticated)?;
    let now = now();
    confirm_password(&state, &user, current, "current", now).await?;
    let mut errors = crate::model::FieldErrors::default();
    if let Err(m) = check_password_policy(new, &user.email) {
        errors.add("password", m);
    } else if new != repeat {
        errors.add("repeat", "The two new passwords differ.");
    } else if verify_password(user.password_hash.clone(), new.to_string()).await {
        errors.add("password", "Choose a new password, not the current one.");
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let hash = hash_password(new.to_string()).await?;
    state.store.set_user_password(user.id, &hash, false, now).await?;
    let session = session()?;
    session.cycle_id().await.map_err(session_error)?;
    // This session goes on under the new epoch; every other one is over.
    session.insert(SESSION_EPOCH, user.session_epoch + 1).await.map_err(session_error)?;
    tracing::info!(user_id = %user.id, "password changed");
    Ok(())
}

/// An admin sets a temporary password for another staff member, who must change it at
/// their next sign-in; their sessions end now.
pub async fn reset_password(id: crate::model::UserId, temporary: &str) -> Result<(), AppError> {
    let admin = require(Permission::ManageUsers).await?;
    if admin.id == id {
        return Err(AppError::Refused("Change your own password on your account page.".into()));
    }
    let state = AppState::from_context()?;
    let user = state.store.user_by_id(id).await?.ok_or(AppError::NotFound)?;
    if let Err(m) = check_password_policy(temporary, &user.email) {
        return Err(AppError::Invalid(crate::model::FieldErrors::single("password", m)));
    }
    let hash = hash_password(temporary.to_string()).await?;
    state.store.set_user_password(id, &hash, true, now()).await?;
    tracing::info!(by = %admin.id, user_id = %id, "password reset by an admin");
    Ok(())
}

/// Creates a staff account (CLI and the users page share this). `must_change` when
/// someone else chose the password (an admin on the users page): the new member
/// changes it at their first sign-in.
pub async fn create_user(
    state: &AppState,
    email: &str,
    role: Role,
    password: &str,
    must_change: bool,
) -> Result<crate::model::UserId, AppError> {
    let mut errors = crate::model::FieldErrors::default();
    if let Err(m) = check_password_policy(password, email) {
        errors.add("password", m);
    }
    let email = Email::parse(email).map_err(|m| errors.add("email", m)).ok();
    let Some(email) = email.filter(|_| errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };
    let hash = hash_password(password.to_string()).await?;
    match state.store.create_user(&email, role, &hash, now()).await {
        Ok(id) if must_change => {
            state.store.set_user_password(id, &hash, true, now()).await?;
            Ok(id)
        }
        Ok(id) => Ok(id),
        Err(crate::store::StoreError::Conflict { .. }) => Err(AppError::Invalid(crate::model::FieldErrors::single(
            "email",
            "A staff account with this email already exists.",
        ))),
        Err(e) => Err(e.into()),
    }
}
