//! The staff app over HTTP: sign-in, sessions, CSRF, the role matrix, and contacts —
//! each against a fresh database on SQLite and on PostgreSQL.

use crate::common;

use app::model::Role;
use common::{contact_form, Db, TestApp};

async fn health_answers_when_the_database_does(db: Db) {
    let app = TestApp::spawn(db).await;
    let res = app.client().get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "ok");
}

async fn anonymous_visitors_are_sent_to_sign_in(db: Db) {
    let app = TestApp::spawn(db).await;
    for path in ["/contacts", "/contacts/new", "/users", "/contacts/1"] {
        let res = app.get(&app.client(), path).await;
        assert_eq!(res.status(), 303, "{path}");
        let location = res.headers()["location"].to_str().unwrap().to_string();
        assert_eq!(location, format!("/login?next={}", path.replace('/', "%2F")), "{path}");
    }
    // A trailing slash is the same page, behind the same gate (Leptos would match it
    // where the gated route does not).
    for (path, next) in [("/contacts/", "%2Fcontacts"), ("/users/", "%2Fusers")] {
        let res = app.get(&app.client(), path).await;
        assert_eq!(res.status(), 303, "{path}");
        assert_eq!(res.headers()["location"].to_str().unwrap(), format!("/login?next={next}"), "{path}");
    }
    let login = app.get(&app.client(), "/login").await;
    assert_eq!(login.status(), 200);
    let html = login.text().await.unwrap();
    assert!(html.contains("Sign in") && html.contains("name=\"password\""), "the sign-in form renders on the server");
}

async fn sign_in_rotates_the_session_and_sign_out_ends_it(db: Db) {
    let app = TestApp::spawn(db).await;
    let (email, password) = app.add_user(Role::Marketer).await;
    let client = app.client();
    let first = app.sign_in(&client, &email, &password).await;
    assert!(first.status().is_success(), "{}", first.status());
    let cookie = first.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("carnet_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http in tests: no Secure flag");
    let id1 = cookie.split(';').next().unwrap().to_string();
    let second = app.sign_in(&client, &email, &password).await;
    let id2 = second.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    assert_ne!(id1, id2, "the session id changes at every sign-in");

    let (ok, me) = app.call_json(&client, "auth/me", &[]).await;
    assert!(ok);
    assert_eq!(me["email"], email.as_str());
    assert_eq!(app.get(&client, "/contacts").await.status(), 200);

    let (ok, _) = app.call_json(&client, "auth/logout", &[]).await;
    assert!(ok);
    let (_, me) = app.call_json(&client, "auth/me", &[]).await;
    assert_eq!(me, serde_json::Value::Null);
    assert_eq!(app.get(&client, "/contacts").await.status(), 303);
}

/// Guessing slows the guesser down but never locks the owner out: after 21 wrong
/// passwords for the account (before, that refused the right one for the hour), the
/// right one still signs in. Only an address guessing at many accounts is refused.
async fn wrong_passwords_are_slowed_but_never_lock_the_owner_out(db: Db) {
    let mut settings = common::test_settings();
    settings.login_limits.refuse_address_after = 30;
    let app = TestApp::spawn_with(db, settings).await;
    let (email, password) = app.add_user(Role::Viewer).await;
    let client = app.client();
    for _ in 0..21 {
        let (ok, err) =
            app.call_json(&client, "auth/login", &[("email", &email), ("password", "wrong password!")]).await;
        assert!(!ok);
        assert_eq!(err, serde_json::json!({"Refused": "Wrong email or password."}));
    }
    let (ok, err) = app.call_json(&client, "auth/login", &[("email", &email), ("password", &password)]).await;
    assert!(ok, "the owner signs in: {err}");
    // The same address guessing at other accounts: refused, right password or not.
    for i in 0..9 {
        // An unknown account answers exactly like a wrong password.
        let other = format!("someone{i}@staff.example");
        let (_, err) = app.call_json(&app.client(), "auth/login", &[("email", &other), ("password", "guess")]).await;
        assert_eq!(err, serde_json::json!({"Refused": "Wrong email or password."}));
    }
    let (ok, err) = app.call_json(&app.client(), "auth/login", &[("email", &email), ("password", &password)]).await;
    assert!(!ok);
    assert!(err["RateLimited"]["retry_after_secs"].as_u64().unwrap() > 3000, "{err}");
}

async fn cross_site_requests_are_refused(db: Db) {
    let app = TestApp::spawn(db).await;
    let (email, password) = app.add_user(Role::Admin).await;
    let client = app.client();
    let forged = client
        .post(format!("{}/api/auth/login", app.base))
        .header("origin", "https://evil.example")
        .form(&[("email", email.as_str()), ("password", password.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let fetch_meta = client
        .post(format!("{}/api/auth/login", app.base))
        .header("sec-fetch-site", "cross-site")
        .form(&[("email", email.as_str()), ("password", password.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(fetch_meta.status(), 403);
    let (_, me) = app.call_json(&client, "auth/me", &[]).await;
    assert_eq!(me, serde_json::Value::Null, "neither forged request signed anyone in");
}

/// The policy lets the hydration script run by its nonce and nothing else inline; no
/// page of personal data is kept by a cache; HSTS once Carnet is on https.
async fn every_answer_carries_its_security_headers(db: Db) {
    let app = TestApp::spawn(db).await;
    let page = app.client().get(format!("{}/login", app.base)).send().await.unwrap();
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert!(page.headers().get("strict-transport-security").is_none(), "no HSTS over plain http");
    let html = page.text().await.unwrap();
    let nonce = html
        .split("<script type=\"module\" nonce=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the hydration script carries a nonce");
    assert!(policy.contains(&format!("script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval';")), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    let again = app.client().get(format!("{}/login", app.base)).send().await.unwrap();
    let second = again.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert_ne!(second, policy, "a fresh nonce for every page");

    let client = app.login_as(Role::Admin).await;
    let answer = app.call(&client, "auth/me", &[]).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["cache-control"], "no-store", "server-function answers are not kept");
    assert!(answer.headers()["content-security-policy"].to_str().unwrap().contains("script-src 'self';"));
    let contacts = app.get(&client, "/contacts").await;
    assert_eq!(contacts.headers()["cache-control"], "no-store");
    let export = app.get(&client, "/contacts/export.csv").await;
    assert_eq!(export.headers()["cache-control"], "no-store");

    let mut settings = common::test_settings();
    settings.public_url = "https://crm.example.com".into();
    let https = TestApp::spawn_with(db, settings).await;
    let page = https.client().get(format!("{}/login", https.base)).send().await.unwrap();
    assert_eq!(page.headers()["strict-transport-security"], "max-age=31536000; includeSubDomains");
}

/// ASVS: a member changes their own password with the current one, which ends their
/// other sessions; an admin-set password (a new account, a reset) must be changed before
/// anything else; the most common passwords and ones built on the address are refused.
async fn staff_choose_their_own_passwords(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.login_as(Role::Admin).await;
    let email = "lea.martin@staff.example";
    let (ok, answer) = app
        .call_json(&admin, "users/add", &[("email", email), ("role", "marketer"), ("password", "qwertyuiop123")])
        .await;
    assert!(!ok && answer.to_string().contains("most common passwords"), "{answer}");
    let (ok, answer) = app
        .call_json(&admin, "users/add", &[("email", email), ("role", "marketer"), ("password", "Lea.Martin 2026!")])
        .await;
    assert!(!ok && answer.to_string().contains("email address"), "{answer}");
    let (ok, answer) = app
        .call_json(&admin, "users/add", &[("email", email), ("role", "marketer"), ("password", "given by the admin")])
        .await;
    assert!(ok, "{answer}");

    // First sign-in: the password is the admin's, so everything waits for a new one.
    let lea = app.client();
    assert!(app.sign_in(&lea, email, "given by the admin").await.status().is_success());
    let (_, me) = app.call_json(&lea, "auth/me", &[]).await;
    assert_eq!(me["must_change_password"], true, "{me}");
    let (ok, answer) = app.call_json(&lea, "contacts/list", &[("query[q]", "")]).await;
    assert!(!ok && answer.to_string().contains("Choose your own password first"), "{answer}");
    let page = app.get(&lea, "/contacts").await;
    assert!(page.status().is_redirection(), "{}", page.status());
    assert_eq!(page.headers()["location"], "/account");
    let export = app.get(&lea, "/contacts/export.csv").await;
    assert_eq!(export.status(), 403, "staff files wait for the new password too");

    let change = |current: &'static str, new: &'static str, repeat: &'static str| {
        let lea = lea.clone();
        let app = &app;
        async move {
            app.call_json(&lea, "account/password", &[("current", current), ("password", new), ("repeat", repeat)])
                .await
        }
    };
    let (ok, answer) = change("not my password", "my own long phrase", "my own long phrase").await;
    assert!(!ok && answer.to_string().contains("not your current password"), "{answer}");
    let (ok, answer) = change("given by the admin", "1234567890", "1234567890").await;
    assert!(!ok && answer.to_string().contains("most common"), "{answer}");
    let (ok, answer) = change("given by the admin", "my own long phrase", "my own long phrasE").await;
    assert!(!ok && answer.to_string().contains("differ"), "{answer}");
    let other_device = app.client();
    assert!(app.sign_in(&other_device, email, "given by the admin").await.status().is_success());
    let (ok, answer) = change("given by the admin", "my own long phrase", "my own long phrase").await;
    assert!(ok, "{answer}");
    let (ok, _) = app.call_json(&lea, "contacts/list", &[("query[q]", "")]).await;
    assert!(ok, "this session goes on, free");
    let (_, me) = app.call_json(&other_device, "auth/me", &[]).await;
    assert_eq!(me, serde_json::Value::Null, "the other session ended with the change");
    assert!(!app.sign_in(&app.client(), email, "given by the admin").await.status().is_success());

    // An admin reset ends their sessions and asks for a new password again.
    let lea_id = app.store.user_by_email(&app::model::Email::parse(email).unwrap()).await.unwrap().unwrap().id;
    let (ok, answer) = app
        .call_json(&admin, "users/reset-password", &[("id", &lea_id.to_string()), ("password", "temporary phrase 7")])
        .await;
    assert!(ok, "{answer}");
    let (_, me) = app.call_json(&lea, "auth/me", &[]).await;
    assert_eq!(me, serde_json::Value::Null, "reset: signed out everywhere");
    let again = app.client();
    assert!(app.sign_in(&again, email, "temporary phrase 7").await.status().is_success());
    let (_, me) = app.call_json(&again, "auth/me", &[]).await;
    assert_eq!(me["must_change_password"], true);
}

/// Every server function, for every role: allowed ones run, the others answer Forbidden,
/// and nobody anonymous gets anything.
async fn roles_are_enforced_on_every_server_function(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.login_as(Role::Admin).await;
    let (ok, id) =
        app.call_json(&owner, "contacts/create", &form_pairs(&contact_form(&[("email", "seed@example.com")]))).await;
    assert!(ok, "{id}");
    let newsletter = app.store.ensure_newsletter("Weekly", "").await.unwrap().to_string();
    let contact_id = id.to_string();
    let state = app::state::AppState::new(app.store.clone(), common::test_settings());
    let partner_id =
        app::partners::service::create_partner(&state, "test", "LeadCo", "", 150, 0, app::model::Timestamp(1))
            .await
            .unwrap();
    app::partners::service::issue_key(
        &state,
        "test",
        partner_id,
        &app::partners::service::KeyGrant::scopes(&[app::model::api_key::Scope::Check]),
        None,
        app::model::Timestamp(1),
    )
    .await
    .unwrap();
    let key_id = app.store.api_keys(partner_id).await.unwrap()[0].id.to_string();
    let partner_id = partner_id.to_string();
    let (target_user, _) = app.add_user(Role::Viewer).await;
    let target_id = app
        .store
        .user_by_email(&app::model::Email::parse(&target_user).unwrap())
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string();

    let job_id = app::engagement::service::start_bulk(
        &app.state,
        &app::model::ContactQuery::default(),
        app::engagement::service::BulkAction::MoveToMainPool,
        "test",
        app::platform::clock::now(),
    )
    .await
    .unwrap()
    .to_string();
    let mail_id = app::mail::service::queue(
        &app.state,
        &app::mail::NewMail {
            contact_id: None,
            kind: "test".into(),
            to: "someone@example.com".into(),
            subject: "Hello".into(),
            text: "Hello".into(),
            html: "<p>Hello</p>".into(),
            unsubscribe_url: None,
        },
    )
    .await
    .unwrap()
    .to_string();
    let programme = app::incentives::ProgrammeForm {
        name: "Welcome".into(),
        reward: "10% off".into(),
        threshold: "100".into(),
        ..Default::default()
    };
    let incentive_id = app::incentives::service::create_programme(&app.state, &programme, app::platform::clock::now())
        .await
        .unwrap()
        .id
        .to_string();
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let import_id = {
        use app::store::imports::{NewImport, UploadedFile};
        let now = app::platform::clock::now();
        let new = NewImport { kind: "contacts", file_name: "roles.csv", created_by: "test", now };
        let id = app.store.create_import(&new).await.unwrap();
        app.store.add_import_chunk(id, 0, b"email\nann@example.com\n").await.unwrap();
        let headers = ["email".to_string()];
        let file = UploadedFile { size_bytes: 22, encoding: "utf-8", separator: ",", headers: &headers };
        app.store.import_uploaded(id, &file, now).await.unwrap();
        id.to_string()
    };
    const ALL: &[Role] = &[Role::Admin, Role::Marketer, Role::Viewer];
    const EDITORS: &[Role] = &[Role::Admin, Role::Marketer];

    // (endpoint, form, roles allowed)
    type Form = Vec<(String, String)>;
    let mut cases: Vec<(&str, Form, &[Role])> = vec![
        ("engagement/dashboard", vec![], ALL),
        ("engagement/refresh", vec![], EDITORS),
        ("engagement/settings", vec![], ALL),
        ("jobs/list", vec![], ALL),
        ("jobs/get", vec![("id".into(), job_id.clone())], ALL),
        ("engagement/bulk-count", vec![("query[status]".into(), "inactive".into())], EDITORS),
        (
            "engagement/bulk",
            vec![
                ("list".into(), "status=new".into()),
                ("action".into(), "move_to_main_pool".into()),
                ("confirm".into(), "yes".into()),
            ],
            EDITORS,
        ),
        (
            "contacts/interaction",
            vec![
                ("contact_id".into(), contact_id.clone()),
                ("kind".into(), "visit".into()),
                ("day".into(), today.clone()),
                ("note".into(), "came to the shop".into()),
            ],
            EDITORS,
        ),
        ("engagement/import-errors", vec![], EDITORS),
        ("imports/list", vec![], EDITORS),
        ("imports/detail", vec![("id".into(), import_id.clone())], EDITORS),
        (
            "imports/configure",
            vec![
                ("id".into(), import_id.clone()),
                ("choices[encoding]".into(), "utf-8".into()),
                ("choices[separator]".into(), ",".into()),
                ("choices[columns][0]".into(), "email".into()),
                ("choices[channel]".into(), "import".into()),
                ("choices[on_existing]".into(), "skip".into()),
                ("action".into(), "preview".into()),
            ],
            EDITORS,
        ),
        ("contacts/send-link", vec![("contact_id".into(), contact_id.clone())], EDITORS),
        (
            "engagement/settings/save",
            vec![
                ("recent_days".into(), "7".into()),
                ("engaged_days".into(), "90".into()),
                ("disengaged_days".into(), "270".into()),
                ("new_days".into(), "90".into()),
                ("idle_months".into(), "6".into()),
            ],
            &[Role::Admin],
        ),
        ("contacts/list", vec![("query[q]".into(), String::new())], &[Role::Admin, Role::Marketer, Role::Viewer]),
        ("contacts/detail", vec![("id".into(), contact_id.clone())], &[Role::Admin, Role::Marketer, Role::Viewer]),
        ("newsletters/list", vec![], &[Role::Admin, Role::Marketer, Role::Viewer]),
        (
            "contacts/update",
            {
                let mut f = contact_form(&[("email", "seed@example.com"), ("job_title", "x")]);
                f.push(("id".into(), contact_id.clone()));
                f
            },
            &[Role::Admin, Role::Marketer],
        ),
        (
            "contacts/subscription",
            vec![
                ("contact_id".into(), contact_id.clone()),
                ("newsletter_id".into(), newsletter.clone()),
                ("state".into(), "subscribed".into()),
            ],
            &[Role::Admin, Role::Marketer],
        ),
        ("users/list", vec![], &[Role::Admin]),
        ("mail/outbox", vec![], &[Role::Admin]),
        ("self-service/settings", vec![], ALL),
        ("self-service/kiosk/create", vec![("label".into(), "Salon".into()), ("days".into(), "7".into())], EDITORS),
        ("incentives/list", vec![], ALL),
        ("incentives/codes", vec![("id".into(), incentive_id.clone())], EDITORS),
        (
            "self-service/settings/save",
            vec![("chosen[first_name]".into(), "on".into()), ("refresh_per_day".into(), "200".into())],
            &[Role::Admin],
        ),
        ("mail/retry", vec![("id".into(), mail_id.clone())], &[Role::Admin]),
        ("partners/list", vec![], &[Role::Admin]),
        ("partners/new-key", vec![], &[Role::Admin]),
        ("partners/audit", vec![], &[Role::Admin]),
        (
            "partners/statement",
            vec![("partner_id".into(), partner_id.clone()), ("month".into(), "2026-11".into())],
            &[Role::Admin],
        ),
        (
            "partners/key",
            vec![
                ("partner_id".into(), partner_id.clone()),
                ("check".into(), "on".into()),
                ("expires_days".into(), "".into()),
            ],
            &[Role::Admin],
        ),
        ("partners/revoke", vec![("key_id".into(), key_id.clone()), ("confirm".into(), "yes".into())], &[Role::Admin]),
        (
            "users/update",
            vec![("id".into(), target_id.clone()), ("role".into(), "viewer".into()), ("active".into(), "true".into())],
            &[Role::Admin],
        ),
        (
            "users/reset-password",
            vec![("id".into(), target_id.clone()), ("password".into(), "a temporary passphrase".into())],
            &[Role::Admin],
        ),
        ("users/reset-two-factor", vec![("id".into(), target_id.clone())], &[Role::Admin]),
        ("users/two-factor-policy", vec![], &[Role::Admin]),
        ("users/two-factor-policy/save", vec![("required".into(), "false".into())], &[Role::Admin]),
        ("account/two-factor", vec![], ALL),
        ("newsletters/all", vec![], ALL),
        (
            "newsletters/update",
            vec![
                ("id".into(), newsletter.clone()),
                ("form[name]".into(), "Weekly".into()),
                ("form[description]".into(), String::new()),
                ("form[channel]".into(), "email".into()),
                ("form[position]".into(), "0".into()),
            ],
            &[Role::Admin],
        ),
        (
            "newsletters/archive",
            vec![("id".into(), newsletter.clone()), ("archived".into(), "false".into())],
            &[Role::Admin],
        ),
        ("account/two-factor/cancel", vec![], ALL),
    ];
    for role in Role::ALL {
        let client = app.login_as(role).await;
        // Creations need fresh addresses for each caller.
        let mut role_cases = cases.clone();
        role_cases.push((
            "contacts/create",
            contact_form(&[("email", &format!("new-{}@example.com", role.as_str()))]),
            &[Role::Admin, Role::Marketer],
        ));
        role_cases.push((
            "partners/add",
            vec![
                ("name".into(), format!("Partner of {}", role.as_str())),
                ("contact_email".into(), String::new()),
                ("price".into(), "1.50".into()),
                ("daily_quota".into(), String::new()),
            ],
            &[Role::Admin],
        ));
        role_cases.push((
            "partners/add-integration",
            vec![("name".into(), format!("Shop of {}", role.as_str()))],
            &[Role::Admin],
        ));
        role_cases.push((
            "newsletters/create",
            vec![
                ("form[name]".into(), format!("Letter of {}", role.as_str())),
                ("form[description]".into(), String::new()),
                ("form[channel]".into(), "sms".into()),
                ("form[position]".into(), String::new()),
            ],
            &[Role::Admin],
        ));
        role_cases.push((
            "users/add",
            vec![
                ("email".into(), format!("staff-{}@staff.example", role.as_str())),
                ("role".into(), "viewer".into()),
                ("password".into(), "long enough pass".into()),
            ],
            &[Role::Admin],
        ));
        // Last: every member may change their own password.
        role_cases.push((
            "account/password",
            vec![
                ("current".into(), "correct horse battery".into()),
                ("password".into(), "a brand new passphrase".into()),
                ("repeat".into(), "a brand new passphrase".into()),
            ],
            ALL,
        ));
        for (endpoint, form, allowed) in &role_cases {
            let (ok, answer) = app.call_json(&client, endpoint, &form_pairs(form)).await;
            if allowed.contains(&role) {
                assert!(ok, "{role:?} should be allowed {endpoint}: {answer}");
            } else {
                assert!(!ok, "{role:?} must not be allowed {endpoint}");
                assert_eq!(answer, serde_json::json!("Forbidden"), "{role:?} {endpoint}");
            }
        }
    }
    cases.push(("contacts/create", contact_form(&[("email", "new-anonymous@example.com")]), &[]));
    cases.push((
        "account/password",
        vec![("current".into(), "x".into()), ("password".into(), "y".into()), ("repeat".into(), "y".into())],
        &[],
    ));
    let anonymous = app.client();
    for (endpoint, form, _) in &cases {
        let (ok, answer) = app.call_json(&anonymous, endpoint, &form_pairs(form)).await;
        assert!(!ok && answer == serde_json::json!("Unauthenticated"), "anonymous {endpoint}: {answer}");
    }
}

fn form_pairs(form: &[(String, String)]) -> Vec<(&str, &str)> {
    form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

async fn admins_cannot_remove_the_last_admin(db: Db) {
    let app = TestApp::spawn(db).await;
    let (email, password) = app.add_user(Role::Admin).await;
    let client = app.client();
    app.sign_in(&client, &email, &password).await;
    let me = app.store.user_by_email(&app::model::Email::parse(&email).unwrap()).await.unwrap().unwrap();
    let (ok, err) = app
        .call_json(&client, "users/update", &[("id", &me.id.to_string()), ("role", "viewer"), ("active", "true")])
        .await;
    assert!(!ok);
    assert_eq!(err, serde_json::json!({"Refused": "You cannot demote or deactivate your own account."}));
    let (ok, err) = app
        .call_json(&client, "users/add", &[("email", "x@staff.example"), ("role", "viewer"), ("password", "short")])
        .await;
    assert!(!ok);
    assert_eq!(err["Invalid"][0]["field"], "password");
}

async fn a_contact_is_created_found_and_edited(db: Db) {
    let app = TestApp::spawn(db).await;
    let client = app.login_as(Role::Marketer).await;
    let form = contact_form(&[
        ("email", "  Ada.Lovelace@Example.com "),
        ("first_name", "Ada"),
        ("last_name", "Lovelace"),
        ("birth_date", "1990-12-10"),
        ("interests", "maths, engines"),
        ("channel", "event"),
        ("source_detail", "Salon 2026"),
    ]);
    let (ok, id) = app.call_json(&client, "contacts/create", &form_pairs(&form)).await;
    assert!(ok, "{id}");
    let id = id.as_i64().unwrap();

    let (ok, detail) = app.call_json(&client, "contacts/detail", &[("id", &id.to_string())]).await;
    assert!(ok);
    assert_eq!(detail["contact"]["fields"]["email"], "ada.lovelace@example.com");
    assert_eq!(detail["contact"]["fields"]["channel"], "event");

    let (ok, page) = app.call_json(&client, "contacts/list", &[("query[q]", "lovelace@")]).await;
    assert!(ok);
    assert_eq!(page["rows"][0]["id"], id);

    // The server renders the list and the profile (JavaScript off).
    let html = app.get(&client, "/contacts?q=lovelace").await.text().await.unwrap();
    assert!(
        html.contains("Ada Lovelace") && html.contains(&format!("/contacts/{id}")),
        "search results render on the server"
    );
    let html = app.get(&client, &format!("/contacts/{id}")).await.text().await.unwrap();
    assert!(html.contains("ada.lovelace@example.com") && html.contains("Salon 2026"));

    let mut edit = contact_form(&[
        ("email", "ada.lovelace@example.com"),
        ("first_name", "Ada"),
        ("last_name", "King"),
        ("channel", "event"),
    ]);
    edit.push(("id".into(), id.to_string()));
    let (ok, err) = app.call_json(&client, "contacts/update", &form_pairs(&edit)).await;
    assert!(ok, "{err}");
    let (_, detail) = app.call_json(&client, "contacts/detail", &[("id", &id.to_string())]).await;
    assert_eq!(detail["contact"]["fields"]["last_name"], "King");
    assert_eq!(detail["timeline"][0]["detail"], "Changed: last name, birth date, interests, source detail");
}

async fn invalid_input_is_explained_and_nothing_is_saved(db: Db) {
    let app = TestApp::spawn(db).await;
    let client = app.login_as(Role::Marketer).await;
    let form = contact_form(&[("email", "not-an-email"), ("birth_date", "2999-01-01"), ("phone", "12")]);
    let (ok, err) = app.call_json(&client, "contacts/create", &form_pairs(&form)).await;
    assert!(!ok);
    let fields: Vec<&str> = err["Invalid"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["email", "phone", "birth_date"]);
    assert_eq!(app.store.count_contacts().await.unwrap(), 0);

    let (ok, _) =
        app.call_json(&client, "contacts/create", &form_pairs(&contact_form(&[("email", "ada@example.com")]))).await;
    assert!(ok);
    let (ok, err) =
        app.call_json(&client, "contacts/create", &form_pairs(&contact_form(&[("email", "ADA@example.com ")]))).await;
    assert!(!ok);
    let existing =
        app.store.contact_id_by_email(&app::model::Email::parse("ada@example.com").unwrap()).await.unwrap().unwrap();
    assert_eq!(err, serde_json::json!({"DuplicateEmail": {"existing_id": existing}}));
    assert_eq!(app.store.count_contacts().await.unwrap(), 1);
}

/// Without JavaScript a form posts straight to the server function; an error comes back
/// as a redirect to the form, which the server renders with the field's message.
/// After sign-in a browser is sent only to a path of this site: `/\t/evil.example`, which
/// browsers read as `//evil.example`, sends it to the contacts instead.
async fn sign_in_never_sends_the_browser_to_another_site(db: Db) {
    let app = TestApp::spawn(db).await;
    let (email, password) = app.add_user(Role::Marketer).await;
    for (next, expected) in [
        ("/\t/evil.example", "/contacts"),
        ("/\n/evil.example", "/contacts"),
        ("/\\evil.example", "/contacts"),
        ("//evil.example", "/contacts"),
        ("/engagement?from=mail", "/engagement?from=mail"),
    ] {
        let res = app
            .client()
            .post(format!("{}/api/auth/login", app.base))
            .header("origin", &app.base)
            .header("accept", "text/html")
            .form(&[("email", email.as_str()), ("password", password.as_str()), ("next", next)])
            .send()
            .await
            .unwrap();
        assert!(res.status().is_redirection(), "{next:?}: {}", res.status());
        assert_eq!(res.headers()["location"].to_str().unwrap(), expected, "{next:?}");
    }
}

/// Nobody signed in: refused posts write nothing, not even a session to keep a draft in.
async fn anonymous_posts_write_no_session(db: Db) {
    let app = TestApp::spawn(db).await;
    for _ in 0..20 {
        let res = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .post(format!("{}/api/contacts/create", app.base))
            .header("origin", &app.base)
            .header("accept", "text/html")
            .form(&contact_form(&[("email", "nope"), ("first_name", "Mallory")]))
            .send()
            .await
            .unwrap();
        assert!(!res.status().is_success(), "{}", res.status());
    }
    let rows = app.store.sessions_delete_expired(app::model::Timestamp::MAX).await.unwrap();
    assert_eq!(rows, 0, "no session row for anonymous callers");
    assert_eq!(app.store.count_contacts().await.unwrap(), 0);
}

async fn forms_work_without_javascript(db: Db) {
    let app = TestApp::spawn(db).await;
    let client = app.login_as(Role::Marketer).await;
    let referer = format!("{}/contacts/new", app.base);
    let post = |form: Vec<(String, String)>| {
        client
            .post(format!("{}/api/contacts/create", app.base))
            .header("origin", &app.base)
            .header("accept", "text/html,application/xhtml+xml")
            .header("referer", &referer)
            .form(&form)
            .send()
    };
    let res = post(contact_form(&[("email", "nope"), ("first_name", "Grace")])).await.unwrap();
    assert_eq!(res.status(), 302);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(&referer) && location.contains("__err="), "{location}");
    let html = client.get(&location).header("accept", "text/html").send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains("Enter a valid email address, like name@example.com."),
        "the field message renders without JavaScript"
    );
    assert!(html.contains("value=\"Grace\""), "what was typed comes back with the message");
    let again = client.get(&location).header("accept", "text/html").send().await.unwrap().text().await.unwrap();
    assert!(!again.contains("value=\"Grace\""), "the draft is shown once");
    assert_eq!(app.store.count_contacts().await.unwrap(), 0);

    let res = post(contact_form(&[("email", "grace@example.com"), ("first_name", "Grace")])).await.unwrap();
    assert_eq!(res.status(), 302);
    let id =
        app.store.contact_id_by_email(&app::model::Email::parse("grace@example.com").unwrap()).await.unwrap().unwrap();
    assert_eq!(res.headers()["location"], format!("/contacts/{id}").as_str());
}

async fn the_list_pages_through_every_contact(db: Db) {
    let app = TestApp::spawn(db).await;
    carnet::seed::seed(app.store.as_ref(), 120, 7, 4.0, |_| {}).await.unwrap();
    let client = app.login_as(Role::Viewer).await;
    let mut seen = std::collections::HashSet::new();
    let mut form: Vec<(String, String)> = vec![("query[sort]".into(), "name".into())];
    let mut pages = 0;
    loop {
        let (ok, page) = app.call_json(&client, "contacts/list", &form_pairs(&form)).await;
        assert!(ok, "{page}");
        assert_eq!(page["total"], 120);
        for row in page["rows"].as_array().unwrap() {
            assert!(seen.insert(row["id"].as_i64().unwrap()), "no contact shows twice");
        }
        pages += 1;
        match page["next"].as_str() {
            Some(next) => form = vec![("query[sort]".into(), "name".into()), ("query[after]".into(), next.into())],
            None => break,
        }
    }
    assert_eq!((seen.len(), pages), (120, 3));
}

both_backends! {
    staff_choose_their_own_passwords,
    every_answer_carries_its_security_headers,
    anonymous_posts_write_no_session,
    sign_in_never_sends_the_browser_to_another_site,
    health_answers_when_the_database_does,
    anonymous_visitors_are_sent_to_sign_in,
    sign_in_rotates_the_session_and_sign_out_ends_it,
    wrong_passwords_are_slowed_but_never_lock_the_owner_out,
    cross_site_requests_are_refused,
    roles_are_enforced_on_every_server_function,
    admins_cannot_remove_the_last_admin,
    a_contact_is_created_found_and_edited,
    invalid_input_is_explained_and_nothing_is_saved,
    forms_work_without_javascript,
    the_list_pages_through_every_contact,
}
