//! Two-factor sign-in for staff: setting it up, signing in with a code or a recovery
//! code (each once), the throttle on codes, turning it off, and the rule that requires
//! it of admins — on SQLite and PostgreSQL.

use crate::common;

use app::model::Role;
use common::{Db, TestApp};

fn now() -> i64 {
    app::platform::clock::now().0
}

/// Sets up two-factor for the signed-in `client` (whose password is `password`), as
/// the account page does; returns the secret and the recovery codes shown once.
async fn set_up(app: &TestApp, client: &reqwest::Client, password: &str) -> (String, Vec<String>) {
    let (ok, answer) = app.call_json(client, "account/two-factor/begin", &[("password", "not it")]).await;
    assert!(!ok && answer["Invalid"][0]["field"] == "begin-password", "an open session is not enough: {answer}");
    let (ok, answer) = app.call_json(client, "account/two-factor/begin", &[("password", password)]).await;
    assert!(ok, "{answer}");
    let (ok, view) = app.call_json(client, "account/two-factor", &[]).await;
    assert!(ok, "{view}");
    assert_eq!(view["enabled"], false);
    let setup = &view["pending"];
    let secret = setup["secret"].as_str().unwrap().replace(' ', "");
    assert!(setup["url"].as_str().unwrap().starts_with("otpauth://totp/Carnet:"), "{setup}");
    assert!(setup["qr"].as_str().unwrap().starts_with("data:image/svg+xml;base64,"));

    let (ok, answer) = app.call_json(client, "account/two-factor/confirm", &[("code", "000000")]).await;
    let wrong = app::auth::two_factor::code_at(&secret, now()).unwrap() != "000000";
    if wrong {
        assert!(!ok && answer.to_string().contains("not the code your app shows"), "{answer}");
    }
    let code = app::auth::two_factor::code_at(&secret, now()).unwrap();
    let (ok, answer) = app.call_json(client, "account/two-factor/confirm", &[("code", &code)]).await;
    assert!(ok, "{answer}");
    let (_, view) = app.call_json(client, "account/two-factor", &[]).await;
    assert_eq!(view["enabled"], true, "{view}");
    assert_eq!(view["pending"], serde_json::Value::Null);
    let codes: Vec<String> =
        view["fresh_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();
    assert_eq!(codes.len(), 10, "{view}");
    assert_eq!(view["recovery_codes_left"], 10);
    let (_, again) = app.call_json(client, "account/two-factor", &[]).await;
    assert_eq!(again["fresh_codes"], serde_json::json!([]), "recovery codes are shown once");
    (secret, codes)
}

/// Signs in with the password: the answer sends on to the code page, and the session
/// is not yet anyone's.
async fn password_step(app: &TestApp, client: &reqwest::Client, email: &str, password: &str) {
    let res = app.sign_in(client, email, password).await;
    assert!(res.status().is_success() || res.status().is_redirection(), "{}", res.status());
    assert_eq!(res.headers()["location"], "/login/two-factor?next=%2Fcontacts");
    let (_, me) = app.call_json(client, "auth/me", &[]).await;
    assert_eq!(me, serde_json::Value::Null, "the password alone signs nobody in");
    let page = app.get(client, "/contacts").await;
    assert_eq!(page.status(), 303, "nor opens a staff page");
}

/// The whole journey: set up, sign in with the app's code (taken once), with a
/// recovery code (taken once), and turn it off with the password.
async fn staff_sign_in_with_a_second_factor(db: Db) {
    let app = TestApp::spawn(db).await;
    let (email, password) = app.add_user(Role::Marketer).await;
    let client = app.client();
    assert!(app.sign_in(&client, &email, &password).await.status().is_success());
    let elsewhere = app.client();
    assert!(app.sign_in(&elsewhere, &email, &password).await.status().is_success());
    let (secret, codes) = set_up(&app, &client, &password).await;
    let (_, me) = app.call_json(&elsewhere, "auth/me", &[]).await;
    assert_eq!(me, serde_json::Value::Null, "turning it on ends the member's other sessions");
    let (_, me) = app.call_json(&client, "auth/me", &[]).await;
    assert_eq!(me["two_factor"], true, "{me}");

    // The code page renders on the server, for a browser without JavaScript.
    let page = app.get(&app.client(), "/login/two-factor").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("name=\"code\""));

    let laptop = app.client();
    password_step(&app, &laptop, &email, &password).await;
    let (ok, answer) = app.call_json(&laptop, "auth/two-factor", &[("code", "12345"), ("next", "/contacts")]).await;
    assert!(!ok && answer.to_string().contains("not right"), "{answer}");
    // The next step's code: the current one confirmed the set-up (and a code is taken
    // once); an app whose clock is a little ahead shows it.
    let code = app::auth::two_factor::code_at(&secret, now() + 30).unwrap();
    let res = app.call(&laptop, "auth/two-factor", &[("code", &code), ("next", "/contacts")]).await;
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(res.headers()["location"], "/contacts");
    let (_, me) = app.call_json(&laptop, "auth/me", &[]).await;
    assert_eq!(me["email"], email.as_str());
    assert_eq!(app.get(&laptop, "/contacts").await.status(), 200);

    // The code just used, seen again (a shoulder-surfer, a second tab): refused.
    let thief = app.client();
    password_step(&app, &thief, &email, &password).await;
    let (ok, answer) = app.call_json(&thief, "auth/two-factor", &[("code", &code)]).await;
    assert!(!ok && answer.to_string().contains("already used"), "{answer}");

    // A recovery code, typed loosely, signs in once.
    let typed = codes[3].to_lowercase().replace('-', " ");
    let (ok, answer) = app.call_json(&thief, "auth/two-factor", &[("code", &typed)]).await;
    assert!(ok, "{answer}");
    let phone = app.client();
    password_step(&app, &phone, &email, &password).await;
    let (ok, _) = app.call_json(&phone, "auth/two-factor", &[("code", &codes[3])]).await;
    assert!(!ok, "a recovery code works once");
    let (_, view) = app.call_json(&laptop, "account/two-factor", &[]).await;
    assert_eq!(view["recovery_codes_left"], 9);

    // New recovery codes need the password; the old ones stop working.
    let (ok, answer) = app.call_json(&laptop, "account/two-factor/recovery-codes", &[("password", "nope")]).await;
    assert!(!ok && answer["Invalid"][0]["field"] == "renew-password", "{answer}");
    let (ok, answer) = app.call_json(&laptop, "account/two-factor/recovery-codes", &[("password", &password)]).await;
    assert!(ok, "{answer}");
    let (_, view) = app.call_json(&laptop, "account/two-factor", &[]).await;
    assert_eq!(view["fresh_codes"].as_array().unwrap().len(), 10);
    let (ok, _) = app.call_json(&phone, "auth/two-factor", &[("code", &codes[4])]).await;
    assert!(!ok, "old recovery codes stopped working");

    // Off, with the password: the password alone signs in again.
    let (ok, answer) = app.call_json(&laptop, "account/two-factor/disable", &[("password", "nope")]).await;
    assert!(!ok && answer["Invalid"][0]["field"] == "off-password", "{answer}");
    let (ok, answer) = app.call_json(&laptop, "account/two-factor/disable", &[("password", &password)]).await;
    assert!(ok, "{answer}");
    let res = app.sign_in(&phone, &email, &password).await;
    assert_eq!(res.headers()["location"], "/contacts");
    let (_, me) = app.call_json(&phone, "auth/me", &[]).await;
    assert_eq!(me["two_factor"], false);
}

/// Guessing codes: ten wrong ones and the account's codes are refused for the window,
/// the right one included (whoever guesses has the password already). A code step
/// left waiting too long, or a session that never gave the password, signs nobody in.
async fn guessing_codes_is_stopped(db: Db) {
    let app = TestApp::spawn(db).await;
    let (email, password) = app.add_user(Role::Viewer).await;
    let owner = app.client();
    assert!(app.sign_in(&owner, &email, &password).await.status().is_success());
    let (secret, _) = set_up(&app, &owner, &password).await;

    let (ok, answer) = app.call_json(&app.client(), "auth/two-factor", &[("code", "123456")]).await;
    assert!(!ok && answer.to_string().contains("expired"), "no password step, no code step: {answer}");

    let guesser = app.client();
    password_step(&app, &guesser, &email, &password).await;
    let right = app::auth::two_factor::code_at(&secret, now() + 30).unwrap();
    let mut wrong = 0;
    for guess in 0..100_000 {
        let guess = format!("{:06}", guess * 7 + 1);
        if app::auth::two_factor::matching_step(&secret, &guess, now()).unwrap().is_some() {
            continue;
        }
        let (ok, answer) = app.call_json(&guesser, "auth/two-factor", &[("code", &guess)]).await;
        assert!(!ok && answer["Invalid"][0]["field"] == "code", "{answer}");
        wrong += 1;
        if wrong == app::auth::two_factor::CODE_ATTEMPTS {
            break;
        }
    }
    let (ok, answer) = app.call_json(&guesser, "auth/two-factor", &[("code", &right)]).await;
    assert!(!ok && answer["RateLimited"]["retry_after_secs"].as_u64().unwrap() > 3000, "{answer}");
    let (_, me) = app.call_json(&guesser, "auth/me", &[]).await;
    assert_eq!(me, serde_json::Value::Null);
}

/// An admin can require two factors of every admin, once their own is on; an admin
/// without it then does nothing but set it up, and cannot turn it off after. Another
/// admin can turn off a member's second factor (a lost phone).
async fn admins_can_be_required_to_use_two_factors(db: Db) {
    let app = TestApp::spawn(db).await;
    let (admin_email, password) = app.add_user(Role::Admin).await;
    let admin = app.client();
    assert!(app.sign_in(&admin, &admin_email, &password).await.status().is_success());
    let (ok, answer) = app.call_json(&admin, "users/two-factor-policy/save", &[("required", "true")]).await;
    assert!(!ok && answer.to_string().contains("your own account first"), "{answer}");
    set_up(&app, &admin, &password).await;
    let (ok, answer) = app.call_json(&admin, "users/two-factor-policy/save", &[("required", "true")]).await;
    assert!(ok, "{answer}");
    let (_, required) = app.call_json(&admin, "users/two-factor-policy", &[]).await;
    assert_eq!(required, true);
    let (ok, answer) = app.call_json(&admin, "account/two-factor/disable", &[("password", &password)]).await;
    assert!(!ok && answer.to_string().contains("cannot be turned off"), "{answer}");

    // Another admin, without a second factor: signed in, but sent to set it up.
    let (other_email, other_password) = app.add_user(Role::Admin).await;
    let other = app.client();
    assert!(app.sign_in(&other, &other_email, &other_password).await.status().is_success());
    let (_, me) = app.call_json(&other, "auth/me", &[]).await;
    assert_eq!(me["must_set_up_two_factor"], true, "{me}");
    let (ok, answer) = app.call_json(&other, "contacts/list", &[("query[q]", "")]).await;
    assert!(!ok && answer.to_string().contains("set up two-factor sign-in"), "{answer}");
    let page = app.get(&other, "/contacts").await;
    assert_eq!(page.headers()["location"], "/account");
    assert_eq!(app.get(&other, "/contacts/export.csv").await.status(), 403);
    // Marketers are not concerned.
    let marketer = app.login_as(Role::Marketer).await;
    let (ok, answer) = app.call_json(&marketer, "contacts/list", &[("query[q]", "")]).await;
    assert!(ok, "{answer}");
    set_up(&app, &other, &other_password).await;
    let (ok, answer) = app.call_json(&other, "contacts/list", &[("query[q]", "")]).await;
    assert!(ok, "set up, free: {answer}");

    // A lost phone: the first admin turns the other's second factor off; the other
    // signs in with the password and is sent to set it up again.
    let other_id = app
        .store
        .user_by_email(&app::model::Email::parse(&other_email).unwrap())
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string();
    let (ok, answer) = app.call_json(&admin, "users/reset-two-factor", &[("id", &other_id)]).await;
    assert!(ok, "{answer}");
    let (_, me) = app.call_json(&other, "auth/me", &[]).await;
    assert_eq!(me, serde_json::Value::Null, "the reset ends their sessions");
    let again = app.client();
    let res = app.sign_in(&again, &other_email, &other_password).await;
    assert_eq!(res.headers()["location"], "/contacts", "no code asked");
    let (_, me) = app.call_json(&again, "auth/me", &[]).await;
    assert_eq!(me["must_set_up_two_factor"], true, "{me}");
}

both_backends! {
    staff_sign_in_with_a_second_factor,
    guessing_codes_is_stopped,
    admins_can_be_required_to_use_two_factors,
}
