//! Newsletters on a fresh install, as a new admin makes them: created, refused when
//! wrong, offered by the sign-up form and the profile page in their order, archived
//! (offered nowhere, no new subscriptions, history kept) and reopened — on SQLite and
//! PostgreSQL. Nothing here comes from `carnet demo`.

use crate::common;

use app::model::Role;
use common::{contact_form, Db, TestApp};

fn form<'a>(name: &'a str, channel: &'a str, position: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("form[name]", name),
        ("form[description]", "Our best offers, every Monday"),
        ("form[channel]", channel),
        ("form[position]", position),
    ]
}

async fn subscribe_page(app: &TestApp) -> String {
    let page = app.client().get(format!("{}/subscribe", app.base)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    page.text().await.unwrap()
}

async fn a_new_admin_creates_orders_and_archives_newsletters(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.login_as(Role::Admin).await;
    let (ok, list) = app.call_json(&admin, "newsletters/all", &[]).await;
    assert!(ok && list == serde_json::json!([]), "a fresh install has none: {list}");
    let page = app.get(&admin, "/newsletters").await.text().await.unwrap();
    assert!(
        page.contains("No newsletters yet") && page.contains("Create a newsletter"),
        "the empty state says what to do"
    );
    assert!(subscribe_page(&app).await.contains("nothing to subscribe to yet"));

    let marketer = app.login_as(Role::Marketer).await;
    let (ok, answer) = app.call_json(&marketer, "newsletters/create", &form("Weekly", "email", "")).await;
    assert!(!ok && answer == serde_json::json!("Forbidden"), "{answer}");
    let (ok, answer) = app.call_json(&admin, "newsletters/create", &form(" ", "fax", "1000")).await;
    assert!(!ok, "{answer}");
    let fields: Vec<&str> =
        answer["Invalid"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "channel", "position"], "every problem at once: {answer}");
    assert_eq!(app.call_json(&admin, "newsletters/all", &[]).await.1, serde_json::json!([]), "nothing half-saved");

    let (ok, weekly) = app.call_json(&admin, "newsletters/create", &form("Weekly offers", "email", "2")).await;
    assert!(ok, "{weekly}");
    let (ok, sms) = app.call_json(&admin, "newsletters/create", &form("Flash sales", "sms", "1")).await;
    assert!(ok, "{sms}");
    let (ok, answer) = app.call_json(&admin, "newsletters/create", &form("Weekly offers", "sms", "")).await;
    assert!(!ok && answer.to_string().contains("already has this name"), "{answer}");
    let (_, list) = app.call_json(&admin, "newsletters/all", &[]).await;
    let names: Vec<&str> = list.as_array().unwrap().iter().map(|n| n["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Flash sales", "Weekly offers"], "in their order on forms");
    assert_eq!(list[0]["channel"], "sms");
    let html = subscribe_page(&app).await;
    assert!(html.contains("Weekly offers") && html.contains("Flash sales"), "the sign-up form offers them");
    assert!(html.find("Flash sales").unwrap() < html.find("Weekly offers").unwrap(), "in their order");

    // Renamed; the channel stays what subscribers agreed to.
    let weekly_id = weekly.to_string();
    let mut changed = form("Monday offers", "sms", "0");
    changed.push(("id", &weekly_id));
    let (ok, answer) = app.call_json(&admin, "newsletters/update", &changed).await;
    assert!(ok, "{answer}");
    let (_, list) = app.call_json(&admin, "newsletters/all", &[]).await;
    assert_eq!((list[0]["name"].as_str(), list[0]["channel"].as_str()), (Some("Monday offers"), Some("email")));

    // A contact subscribed, then the newsletter archived: offered nowhere, no new
    // subscriptions, the existing one kept with its evidence.
    let (ok, contact) =
        app.call_json(&admin, "contacts/create", &form_pairs(&contact_form(&[("email", "ann@example.com")]))).await;
    assert!(ok, "{contact}");
    let contact_id = contact.to_string();
    let sms_id = sms.to_string();
    let subscribe = |newsletter: &str, state: &str| {
        let pairs = vec![
            ("contact_id".to_string(), contact_id.clone()),
            ("newsletter_id".to_string(), newsletter.to_string()),
            ("state".to_string(), state.to_string()),
        ];
        let app = &app;
        let admin = admin.clone();
        async move { app.call_json(&admin, "contacts/subscription", &form_pairs(&pairs)).await }
    };
    assert!(subscribe(&weekly_id, "subscribed").await.0);
    let (ok, answer) =
        app.call_json(&admin, "newsletters/archive", &[("id", weekly_id.as_str()), ("archived", "true")]).await;
    assert!(ok, "{answer}");
    let html = subscribe_page(&app).await;
    assert!(!html.contains("Monday offers") && html.contains("Flash sales"), "archived: not offered");
    let (ok, answer) = subscribe(&sms_id, "subscribed").await;
    assert!(ok, "an open one still takes subscriptions: {answer}");
    let (ok, answer) = subscribe(&weekly_id, "unsubscribed").await;
    assert!(ok, "leaving an archived newsletter works: {answer}");
    let (ok, answer) = subscribe(&weekly_id, "subscribed").await;
    assert!(!ok && answer.to_string().contains("archived"), "{answer}");
    let (_, detail) = app.call_json(&admin, "contacts/detail", &[("id", &contact_id)]).await;
    let kept = detail["subscriptions"].as_array().unwrap().iter().find(|s| s["newsletter"]["id"] == weekly).unwrap();
    assert_eq!(kept["state"], "unsubscribed", "its history is kept: {kept}");

    let (ok, _) =
        app.call_json(&admin, "newsletters/archive", &[("id", weekly_id.as_str()), ("archived", "false")]).await;
    assert!(ok);
    assert!(subscribe_page(&app).await.contains("Monday offers"), "reopened");
    let page = app.get(&admin, &format!("/newsletters/{weekly_id}")).await.text().await.unwrap();
    assert!(page.contains("Monday offers") && page.contains("Archive it"), "its page renders on the server");
}

fn form_pairs(form: &[(String, String)]) -> Vec<(&str, &str)> {
    form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

both_backends! {
    a_new_admin_creates_orders_and_archives_newsletters,
}
