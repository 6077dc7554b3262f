//! Staff sign-in: the login page and the server functions behind it.

mod account;
#[cfg(feature = "ssr")]
pub mod enrolment;
mod login;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod session_store;
#[cfg(feature = "ssr")]
pub mod two_factor;

pub use account::AccountPage;
pub use login::{LoginPage, TwoFactorPage};

/// Why everything else waits while an admin-set password is unchanged.
pub const PASSWORD_CHANGE_FIRST: &str = "Choose your own password first: an admin set this one for you.";
/// Why everything else waits for an admin without a second factor, once it is required.
pub const TWO_FACTOR_FIRST: &str =
    "Admins must sign in with two factors: set up two-factor sign-in on My account first.";

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
    pub two_factor: bool,
    /// An admin without a second factor while the policy requires one: nothing else
    /// until it is set up.
    pub must_set_up_two_factor: bool,
}

impl CurrentUser {
    /// What must be done on the account page before anything else, if anything.
    pub fn must_act_first(&self) -> Option<&'static str> {
        if self.must_change_password {
            Some(PASSWORD_CHANGE_FIRST)
        } else if self.must_set_up_two_factor {
            Some(TWO_FACTOR_FIRST)
        } else {
            None
        }
    }
}

/// What to put in the authenticator app: the `otpauth://` address (as a QR code and a
/// link) and the secret to type by hand.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Enrolment {
    /// The secret, in groups of four letters.
    pub secret: String,
    pub url: String,
    /// The QR code of `url`, as a `data:` address of an SVG image.
    pub qr: String,
}

/// One's own second factor, as the account page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TwoFactorView {
    pub enabled: bool,
    /// Admins must have one (the policy), so it cannot be turned off.
    pub required: bool,
    pub recovery_codes_left: i64,
    /// Being set up: what to put in the app.
    pub pending: Option<Enrolment>,
    /// Recovery codes just made, shown this once.
    pub fresh_codes: Vec<String>,
}

#[cfg(feature = "ssr")]
impl CurrentUser {
    pub fn of(user: &crate::store::UserRecord) -> CurrentUser {
        CurrentUser {
            id: user.id,
            email: user.email.clone(),
            role: user.role,
            must_change_password: user.must_change_password,
            two_factor: user.totp_secret.is_some(),
            must_set_up_two_factor: false,
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
    let next = safe_next(next.as_deref().unwrap_or("/contacts"));
    match service::sign_in(&email, &password).await? {
        service::SignIn::Done(user) => {
            tracing::info!(user_id = %user.id, "signed in");
            leptos_axum::redirect(&next);
        }
        service::SignIn::SecondFactor => {
            leptos_axum::redirect(&format!("/login/two-factor?next={}", crate::model::listing::url_encode(&next)));
        }
    }
    Ok(())
}

/// The second step of signing in: a code from the app, or a recovery code.
#[server(endpoint = "auth/two-factor")]
pub async fn sign_in_code(code: String, next: Option<String>) -> Result<(), AppError> {
    let user = service::finish_sign_in(&code).await?;
    tracing::info!(user_id = %user.id, "signed in with two factors");
    leptos_axum::redirect(&safe_next(next.as_deref().unwrap_or("/contacts")));
    Ok(())
}

/// One's own second factor: on or off, being set up, recovery codes just made.
#[server(endpoint = "account/two-factor")]
pub async fn two_factor_state() -> Result<TwoFactorView, AppError> {
    enrolment::two_factor_view().await
}

/// Sends a plain form post (JavaScript off) back to the account page's two-factor
/// section, `query` saying what happened.
#[cfg(feature = "ssr")]
fn back_to_account(query: &str) {
    if service::is_plain_form_post() {
        leptos_axum::redirect(&format!("/account{query}#two-factor-h"));
    }
}

#[server(endpoint = "account/two-factor/begin")]
pub async fn begin_two_factor(password: String) -> Result<(), AppError> {
    enrolment::begin_two_factor(&password).await?;
    back_to_account("");
    Ok(())
}

#[server(endpoint = "account/two-factor/cancel")]
pub async fn cancel_two_factor() -> Result<(), AppError> {
    enrolment::cancel_two_factor().await?;
    back_to_account("");
    Ok(())
}

#[server(endpoint = "account/two-factor/confirm")]
pub async fn confirm_two_factor(code: String) -> Result<(), AppError> {
    enrolment::confirm_two_factor(&code).await?;
    back_to_account("");
    Ok(())
}

#[server(endpoint = "account/two-factor/recovery-codes")]
pub async fn renew_recovery_codes(password: String) -> Result<(), AppError> {
    enrolment::renew_recovery_codes(&password).await?;
    back_to_account("");
    Ok(())
}

#[server(endpoint = "account/two-factor/disable")]
pub async fn disable_two_factor(password: String) -> Result<(), AppError> {
    enrolment::disable_own_two_factor(&password).await?;
    back_to_account("?two_factor=off");
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
