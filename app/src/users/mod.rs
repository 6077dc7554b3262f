//! Staff accounts, managed by admins.

mod page;
pub use page::UsersPage;

use crate::error::AppError;
use crate::model::Role;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StaffUser {
    pub id: crate::model::UserId,
    pub email: String,
    pub role: Role,
    pub active: bool,
    pub last_login_at: Option<crate::model::Timestamp>,
    /// Signs in with a second factor.
    pub two_factor: bool,
}

#[server(endpoint = "users/list")]
pub async fn list_users() -> Result<Vec<StaffUser>, AppError> {
    use crate::auth::service::require;
    use crate::model::Permission;
    require(Permission::ManageUsers).await?;
    let state = crate::state::AppState::from_context()?;
    Ok(state
        .store
        .list_users()
        .await?
        .into_iter()
        .map(|u| StaffUser {
            id: u.id,
            email: u.email,
            role: u.role,
            active: u.active,
            last_login_at: u.last_login_at,
            two_factor: u.totp_secret.is_some(),
        })
        .collect())
}

#[server(endpoint = "users/add")]
pub async fn add_user(email: String, role: String, password: String) -> Result<crate::model::UserId, AppError> {
    use crate::auth::service::{create_user, require};
    use crate::model::{FieldErrors, Permission};
    let admin = require(Permission::ManageUsers).await?;
    let role = Role::parse(&role).ok_or_else(|| AppError::Invalid(FieldErrors::single("role", "Choose a role.")))?;
    let state = crate::state::AppState::from_context()?;
    let id = create_user(&state, &email, role, &password, true).await?;
    tracing::info!(by = %admin.id, user_id = %id, role = role.as_str(), "staff user added");
    Ok(id)
}

/// Sets a temporary password for another staff member (admins), changed by them at
/// their next sign-in.
#[server(endpoint = "users/reset-password")]
pub async fn reset_password(id: crate::model::UserId, password: String) -> Result<(), AppError> {
    crate::auth::service::reset_password(id, &password).await
}

#[server(endpoint = "users/update")]
pub async fn update_user(id: crate::model::UserId, role: String, active: String) -> Result<(), AppError> {
    use crate::auth::service::require;
    use crate::model::Permission;
    let admin = require(Permission::ManageUsers).await?;
    let role = Role::parse(&role).ok_or(AppError::BadRequest)?;
    let active = active == "true";
    let state = crate::state::AppState::from_context()?;
    let user = state.store.user_by_id(id).await?.ok_or(AppError::NotFound)?;
    if user.id == admin.id && (!active || role != Role::Admin) {
        return Err(AppError::Refused("You cannot demote or deactivate your own account.".into()));
    }
    let was_active_admin = user.role == Role::Admin && user.active;
    if was_active_admin && (role != Role::Admin || !active) && state.store.count_active_admins().await? <= 1 {
        return Err(AppError::Refused("Carnet needs at least one active admin.".into()));
    }
    state.store.update_user(id, role, active).await?;
    tracing::info!(by = %admin.id, user_id = %id, role = role.as_str(), active, "staff user updated");
    Ok(())
}

/// Turns off another member's second factor (a lost phone): they sign in with their
/// password, then set it up again.
#[server(endpoint = "users/reset-two-factor")]
pub async fn reset_two_factor(id: crate::model::UserId) -> Result<(), AppError> {
    crate::auth::enrolment::reset_two_factor(id).await?;
    if crate::auth::service::is_plain_form_post() {
        leptos_axum::redirect("/users?two_factor_off=1");
    }
    Ok(())
}

/// Whether every admin must sign in with a second factor.
#[server(endpoint = "users/two-factor-policy")]
pub async fn two_factor_policy() -> Result<bool, AppError> {
    use crate::auth::service::require;
    use crate::model::Permission;
    require(Permission::ManageUsers).await?;
    let state = crate::state::AppState::from_context()?;
    Ok(crate::platform::settings::get::<crate::auth::two_factor::TwoFactorPolicy>(&*state.store)
        .await?
        .required_for_admins)
}

/// Requires a second factor of every admin, or stops requiring it (`required`: "true"
/// or "false", a form's select).
#[server(endpoint = "users/two-factor-policy/save")]
pub async fn save_two_factor_policy(required: String) -> Result<(), AppError> {
    let required = match required.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(AppError::BadRequest),
    };
    crate::auth::enrolment::set_two_factor_policy(required).await?;
    if crate::auth::service::is_plain_form_post() {
        leptos_axum::redirect("/users");
    }
    Ok(())
}
