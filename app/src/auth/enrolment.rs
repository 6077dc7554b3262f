//! One's own second factor (set up, confirmed, recovery codes, turned off) and the
//! admins' rule, over the TOTP primitives of `two_factor` and the sign-in machinery of
//! `service`.

use super::service::{
    confirm_password, count_code_attempt, current_user, require, session, session_error, SESSION_EPOCH,
    SESSION_FRESH_CODES,
};
use crate::error::AppError;
use crate::model::{Permission, Role};
use crate::platform::clock::now;
use crate::state::AppState;

async fn me_record(state: &AppState) -> Result<crate::store::UserRecord, AppError> {
    let me = current_user().await?.ok_or(AppError::Unauthenticated)?;
    state.store.user_by_id(me.id).await?.ok_or(AppError::Unauthenticated)
}

async fn required_of(state: &AppState, user: &crate::store::UserRecord) -> Result<bool, AppError> {
    Ok(user.role == Role::Admin
        && crate::platform::settings::get::<super::two_factor::TwoFactorPolicy>(&*state.store)
            .await?
            .required_for_admins)
}

pub async fn two_factor_view() -> Result<super::TwoFactorView, AppError> {
    let state = AppState::from_context()?;
    let user = me_record(&state).await?;
    let pending = match (&user.totp_secret, &user.totp_pending) {
        (None, Some(secret)) => Some(super::two_factor::enrolment(secret, &user.email)?),
        _ => None,
    };
    let session = session()?;
    let fresh_codes =
        session.remove::<Vec<String>>(SESSION_FRESH_CODES).await.map_err(session_error)?.unwrap_or_default();
    Ok(super::TwoFactorView {
        enabled: user.totp_secret.is_some(),
        required: required_of(&state, &user).await?,
        recovery_codes_left: state.store.count_recovery_codes(user.id).await?,
        pending,
        fresh_codes,
    })
}

/// Begins setting up a second factor, the password required (a session left open
/// must not let someone else put their own phone on the account): a new secret waits
/// for its first code.
pub async fn begin_two_factor(password: &str) -> Result<(), AppError> {
    let state = AppState::from_context()?;
    let user = me_record(&state).await?;
    if user.totp_secret.is_some() {
        return Err(AppError::Refused("Two-factor sign-in is already on.".into()));
    }
    confirm_password(&state, &user, password, "begin-password", now()).await?;
    state.store.set_totp_pending(user.id, Some(&super::two_factor::new_secret())).await?;
    Ok(())
}

/// After one's own second factor changed (on, off): every other session is over (one
/// opened by someone else, say), this one goes on under a new id.
async fn keep_only_this_session(user: &crate::store::UserRecord) -> Result<(), AppError> {
    let session = session()?;
    session.cycle_id().await.map_err(session_error)?;
    session.insert(SESSION_EPOCH, user.session_epoch + 1).await.map_err(session_error)?;
    Ok(())
}

pub async fn cancel_two_factor() -> Result<(), AppError> {
    let state = AppState::from_context()?;
    let user = me_record(&state).await?;
    if user.totp_secret.is_none() {
        state.store.set_totp_pending(user.id, None).await?;
    }
    Ok(())
}

/// A first code from the app proves it holds the secret: two-factor is on, and ten
/// recovery codes are shown once.
pub async fn confirm_two_factor(code: &str) -> Result<(), AppError> {
    let state = AppState::from_context()?;
    let user = me_record(&state).await?;
    let now = now();
    let Some(secret) = user.totp_pending.clone().filter(|_| user.totp_secret.is_none()) else {
        return Err(AppError::Refused("Start the set-up again: it was ended or finished elsewhere.".into()));
    };
    let subject = count_code_attempt(&state, user.id, now).await?;
    let step = if code.len() <= 64 { super::two_factor::matching_step(&secret, code, now.0)? } else { None };
    let Some(step) = step else {
        return Err(AppError::Invalid(crate::model::FieldErrors::single(
            "code",
            "This is not the code your app shows: check that the phone's time is set automatically, then type the next code.",
        )));
    };
    let (codes, hashes) = super::two_factor::new_recovery_codes();
    if !state.store.enable_totp(user.id, &secret, step, &hashes).await? {
        return Err(AppError::Refused("Start the set-up again: it was ended or finished elsewhere.".into()));
    }
    state.store.clear_login_failures(&subject).await?;
    keep_only_this_session(&user).await?;
    session()?.insert(SESSION_FRESH_CODES, codes).await.map_err(session_error)?;
    tracing::info!(user_id = %user.id, "two-factor sign-in turned on");
    Ok(())
}

/// New recovery codes (the old ones stop working), the password required.
pub async fn renew_recovery_codes(password: &str) -> Result<(), AppError> {
    const FIELD: &str = "renew-password";
    let state = AppState::from_context()?;
    let user = me_record(&state).await?;
    if user.totp_secret.is_none() {
        return Err(AppError::Refused("Turn two-factor sign-in on first.".into()));
    }
    confirm_password(&state, &user, password, FIELD, now()).await?;
    let (codes, hashes) = super::two_factor::new_recovery_codes();
    state.store.replace_recovery_codes(user.id, &hashes).await?;
    session()?.insert(SESSION_FRESH_CODES, codes).await.map_err(session_error)?;
    tracing::info!(user_id = %user.id, "recovery codes renewed");
    Ok(())
}

/// Turns one's own second factor off, the password required; not for admins while
/// the policy requires it of them.
pub async fn disable_own_two_factor(password: &str) -> Result<(), AppError> {
    const FIELD: &str = "off-password";
    let state = AppState::from_context()?;
    let user = me_record(&state).await?;
    if required_of(&state, &user).await? {
        return Err(AppError::Refused("Admins must sign in with two factors: it cannot be turned off.".into()));
    }
    confirm_password(&state, &user, password, FIELD, now()).await?;
    state.store.disable_totp(user.id).await?;
    keep_only_this_session(&user).await?;
    tracing::info!(user_id = %user.id, "two-factor sign-in turned off");
    Ok(())
}

/// An admin turns off another member's second factor (a lost phone and no recovery
/// code): their sessions end; they sign in with their password alone, and set it up
/// again (as the policy may make them).
pub async fn reset_two_factor(id: crate::model::UserId) -> Result<(), AppError> {
    let admin = require(Permission::ManageUsers).await?;
    if admin.id == id {
        return Err(AppError::Refused("Turn your own two-factor sign-in off on your account page.".into()));
    }
    let state = AppState::from_context()?;
    state.store.user_by_id(id).await?.ok_or(AppError::NotFound)?;
    state.store.disable_totp(id).await?;
    tracing::info!(by = %admin.id, user_id = %id, "two-factor sign-in reset by an admin");
    Ok(())
}

/// Requires (or no longer requires) a second factor of every admin; an admin turns it
/// on only once their own is on, so nobody requires what they have not done.
pub async fn set_two_factor_policy(required_for_admins: bool) -> Result<(), AppError> {
    use super::two_factor::{Policy, TwoFactorPolicy};
    let admin = require(Permission::ManageUsers).await?;
    let state = AppState::from_context()?;
    let me = state.store.user_by_id(admin.id).await?.ok_or(AppError::Unauthenticated)?;
    if required_for_admins && me.totp_secret.is_none() {
        return Err(AppError::Refused("Turn on two-factor sign-in for your own account first (My account).".into()));
    }
    crate::platform::settings::put::<TwoFactorPolicy>(&*state.store, &Policy { required_for_admins }, now()).await?;
    tracing::info!(by = %admin.id, required_for_admins, "two-factor policy changed");
    Ok(())
}
