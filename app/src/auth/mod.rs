//! Staff sign-in: the login page and the server functions behind it.

mod account;
mod login;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod session_store;

pub use account::AccountPage;
pub use login::LoginPage;

/// Why everything else waits while an admin-set password is unchanged.
pub const PASSWORD_CHANGE_FIRST: &str = "Choose your own password first: an admin set this one for you.";

use crate::error::AppError;
use crate::model::Role;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The signed-in staff member, as pages see them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: crate::model::UserId,
    pub email: String,
    pub role: Role,
    /// An admin set the password: nothing else until they choose their own.
    pub must_change_password: bool,
}

#[cfg(feature = "ssr")]
impl CurrentUser {
    pub fn of(user: &crate::store::UserRecord) -> CurrentUser {
        CurrentUser {
            id: user.id,
            email: user.email.clone(),
            role: user.role,
            must_change_password: user.must_change_password,
        }
    }
}

/// Only same-site paths may follow a sign-in (no open redirect through `?next=`). A
/// path is `/` then anything but a second `/` or `\`, with no control character,
/// space or backslash anywhere: browsers drop tabs and line breaks from a URL and read
/// `\` as `/`, so `/\t/evil.example` would become `//evil.example`, another site.
pub fn safe_next(next: &str) -> String {
    let bytes = next.as_bytes();
    let ok = bytes.first() == Some(&b'/')
        && !matches!(bytes.get(1), Some(b'/' | b'\\'))
        && next.len() <= 2_000
        && !next.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\')
        && !next.contains("://");
    if ok && next != "/login" {
        next.to_string()
    } else {
        "/contacts".to_string()
    }
}

#[server(endpoint = "auth/login")]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    let user = service::sign_in(&email, &password).await?;
    tracing::info!(user_id = %user.id, "signed in");
    leptos_axum::redirect(&safe_next(next.as_deref().unwrap_or("/contacts")));
    Ok(())
}

#[server(endpoint = "auth/logout")]
pub async fn logout() -> Result<(), AppError> {
    service::sign_out().await?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// Changes the signed-in member's own password (the current one required).
#[server(endpoint = "account/password")]
pub async fn change_password(current: String, password: String, repeat: String) -> Result<(), AppError> {
    service::change_own_password(&current, &password, &repeat).await?;
    if service::is_plain_form_post() {
        leptos_axum::redirect("/account?changed=1");
    }
    Ok(())
}

#[server(endpoint = "auth/me")]
pub async fn whoami() -> Result<Option<CurrentUser>, AppError> {
    service::current_user().await
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_never_leaves_the_site() {
        assert_eq!(safe_next("/contacts/12"), "/contacts/12");
        assert_eq!(safe_next("/contacts?q=ann%20lee&page=2"), "/contacts?q=ann%20lee&page=2");
        for evil in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n//evil.example",
            "/ /evil.example",
            "/x\\..\\\\evil.example",
            "javascript:alert(1)",
            "",
            "/login",
        ] {
            assert_eq!(safe_next(evil), "/contacts", "{evil:?}");
        }
    }
}
