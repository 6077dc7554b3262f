//! The brand's own shop and site over REST, on both backends: integration keys (the only
//! ones with the `profile` and `contacts` scopes), personal links, profile completion,
//! and contacts upserted with their orders under the import's rules.

use crate::common;

use app::model::api_key::Scope;
use app::model::{ContactForm, Email};
use common::{Db, TestApp};
use serde_json::{json, Value};

async fn integration_key(app: &TestApp, name: &str, scopes: &[Scope]) -> String {
    let now = app::platform::clock::now();
    let id = app::partners::service::create_integration(&app.state, "test", name, now).await.unwrap();
    let grant = app::partners::service::KeyGrant::scopes(scopes);
    app::partners::service::issue_key(&app.state, "test", id, &grant, None, now).await.unwrap().as_str().to_string()
}

async fn send(app: &TestApp, method: reqwest::Method, path: &str, key: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = app.client().request(method, format!("{}{path}", app.base)).bearer_auth(key);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn contact(app: &TestApp, email: &str) -> Option<app::model::Contact> {
    let id = app.store.contact_id_by_email(&Email::parse(email).unwrap()).await.unwrap()?;
    app.store.contact(id).await.unwrap()
}

/// "Update my details" and "your profile is 12% complete — finish it and get 10% off".
async fn the_shop_gets_personal_links_and_profile_completion(db: Db) {
    let app = TestApp::spawn(db).await;
    let now = app::platform::clock::now();
    let fields = ContactForm { email: "ann@example.com".into(), first_name: "Ann".into(), ..Default::default() }
        .validate(now.date())
        .unwrap();
    app.store.insert_contact(&fields, now, "test").await.unwrap();
    let programme = app::incentives::ProgrammeForm {
        name: "Complete profile".into(),
        reward: "10% off".into(),
        threshold: "100".into(),
        ..Default::default()
    };
    app::incentives::service::create_programme(&app.state, &programme, now).await.unwrap();
    let key = integration_key(&app, "Online shop", &[Scope::Profile]).await;

    let (status, link) =
        send(&app, reqwest::Method::POST, "/api/v1/profile-links", &key, Some(json!({"email": " ANN@example.com "})))
            .await;
    assert_eq!(status, 201, "{link}");
    let url = link["url"].as_str().unwrap();
    let token = url.rsplit_once("/p/").expect("a personal link").1;
    assert!(chrono::DateTime::parse_from_rfc3339(link["expires_at"].as_str().unwrap()).is_ok());
    let opened = app.client().post(format!("{}/p/{token}", app.base)).send().await.unwrap();
    assert_eq!(opened.status().as_u16(), 303, "the link opens the customer's profile");

    let (status, completion) =
        send(&app, reqwest::Method::GET, "/api/v1/contacts/completion?email=ann%40example.com", &key, None).await;
    assert_eq!(status, 200, "{completion}");
    let shown = app::self_service::service::profile_fields(&app.state).await.unwrap();
    assert_eq!(completion["percent"], 100 / shown.len() as u64, "one field of the profile page filled");
    let missing = completion["missing"].as_array().unwrap();
    assert_eq!(missing.len(), shown.len() - 1);
    assert!(missing.contains(&json!("last_name")) && !missing.contains(&json!("first_name")), "{missing:?}");
    assert_eq!(completion["incentive"]["reward"], "10% off");
    assert_eq!(
        (completion["incentive"]["threshold"].as_i64(), completion["incentive"]["earned"].as_bool()),
        (Some(100), Some(false))
    );

    for (method, path, body) in [
        (reqwest::Method::POST, "/api/v1/profile-links", Some(json!({"email": "nobody@example.com"}))),
        (reqwest::Method::GET, "/api/v1/contacts/completion?email=nobody%40example.com", None),
    ] {
        let (status, problem) = send(&app, method, path, &key, body).await;
        assert_eq!((status, problem["title"].as_str()), (404, Some("Not found")), "{path}");
    }
    let (status, _) = send(&app, reqwest::Method::GET, "/api/v1/contacts/completion", &key, None).await;
    assert_eq!(status, 422, "the address is asked for");

    // A lead seller can neither be given these scopes nor use them.
    let partner = app::partners::service::create_partner(&app.state, "test", "Leads", "", 150, 0, now).await.unwrap();
    let grant = app::partners::service::KeyGrant::scopes(&[Scope::Check, Scope::Profile]);
    assert!(app::partners::service::issue_key(&app.state, "test", partner, &grant, None, now).await.is_err());
    let grant = app::partners::service::KeyGrant::scopes(&[Scope::Check]);
    let seller = app::partners::service::issue_key(&app.state, "test", partner, &grant, None, now).await.unwrap();
    let (status, _) = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/profile-links",
        seller.as_str(),
        Some(json!({"email": "ann@example.com"})),
    )
    .await;
    assert_eq!(status, 403);
}

/// The shop's customers and orders come in under the import's rules: created or brought
/// up to date (an empty value never erases), never a suppressed or listed address, a
/// subscription only with its evidence, each order a purchase, a retry recorded once.
async fn the_shop_upserts_contacts_with_their_orders(db: Db) {
    let app = TestApp::spawn(db).await;
    let now = app::platform::clock::now();
    app.store.ensure_newsletter("Weekly", "").await.unwrap();
    let bob = ContactForm {
        email: "bob@example.com".into(),
        first_name: "Bob".into(),
        city: "Lyon".into(),
        ..Default::default()
    }
    .validate(now.date())
    .unwrap();
    let bob_id = app.store.insert_contact(&bob, now, "test").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("repoussoir.txt");
    std::fs::write(&list, "listed@example.com\n").unwrap();
    let out = common::carnet(app.database_url(), &["import", "suppression", list.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let key = integration_key(&app, "Online shop", &[Scope::Contacts]).await;

    let body = json!({ "contacts": [
        { "email": "New@Example.com", "first_name": "Nina", "address_line1": "3 rue des Lilas", "postal_code": "75011",
          "city": "Paris", "last_order_on": "2026-11-20", "total_spent": "129.90",
          "order": { "id": "A-1001", "at": "2026-11-20T10:00:00Z", "amount": "59.90" },
          "consent": { "text": "Je veux la lettre Weekly.", "form": "checkout v3", "newsletters": ["Weekly"] } },
        { "email": "bob@example.com", "city": "Paris", "address_line1": "1 quai Voltaire" },
        { "email": "listed@example.com", "first_name": "Never" },
        { "email": "not-an-address" },
        { "email": "zoe@example.com", "consent": { "text": "Oui", "form": "checkout", "newsletters": ["Monthly"] } }
    ]});
    let put = |key: &str, body: Value, idempotency: Option<&str>| {
        let mut req = app.client().put(format!("{}/api/v1/contacts", app.base)).bearer_auth(key).json(&body);
        if let Some(k) = idempotency {
            req = req.header("idempotency-key", k);
        }
        async move {
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap())
        }
    };
    let (status, report) = put(&key, body.clone(), Some("order-A-1001")).await;
    assert_eq!(status, 200, "{report}");
    let statuses: Vec<&str> =
        report["results"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["created", "updated", "suppressed", "refused", "refused"], "{report}");
    assert_eq!((report["created"].as_i64(), report["refused"].as_i64()), (Some(1), Some(2)));
    assert!(report["results"][3]["error"].as_str().unwrap().contains("`email`"), "{report}");
    assert!(report["results"][4]["error"].as_str().unwrap().contains("newsletters"), "{report}");

    let nina = contact(&app, "new@example.com").await.expect("created");
    let f = &nina.fields;
    assert_eq!(
        (f.first_name.as_str(), f.address_line1.as_str(), f.total_spent_cents),
        ("Nina", "3 rue des Lilas", 12_990)
    );
    assert_eq!(f.last_purchase_on, chrono::NaiveDate::from_ymd_opt(2026, 11, 20));
    assert_eq!((f.channel, f.source_detail.as_str()), (app::model::Channel::Web, "Online shop"));
    let subs = app.store.subscriptions(nina.id).await.unwrap();
    assert_eq!(subs.len(), 1);
    assert_eq!((subs[0].consent.form.as_str(), subs[0].consent.channel.as_str()), ("checkout v3", "shop:Online shop"));
    let bob = app.store.contact(bob_id).await.unwrap().unwrap();
    assert_eq!(
        (bob.fields.first_name.as_str(), bob.fields.city.as_str()),
        ("Bob", "Paris"),
        "nothing erased, the rest replaced"
    );
    assert!(contact(&app, "listed@example.com").await.is_none(), "a listed address is never written");
    assert!(contact(&app, "zoe@example.com").await.is_none(), "a refused contact is not half-written");

    // The retry of the same request answers the same and records the order once.
    let (status, again) = put(&key, body, Some("order-A-1001")).await;
    assert_eq!((status, &again), (200, &report));
    app.settle().await;
    let nina = contact(&app, "new@example.com").await.unwrap();
    assert_eq!(nina.purchase_count, 1, "one order, one purchase");
    let timeline = app.store.timeline(nina.id, 10).await.unwrap();
    assert_eq!(timeline.iter().filter(|a| a.kind == "purchase").count(), 1, "{timeline:?}");

    // The next sync sends Nina again with the same order, without a key: one purchase
    // still; a new order is a second one. An erased customer is never written again.
    let again = json!({ "contacts": [
        { "email": "new@example.com", "order": { "id": "A-1001", "amount": "59.90" } },
        { "email": "new@example.com", "order": { "id": "A-1002" } }
    ]});
    let (status, report) = put(&key, again, None).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["unchanged"], 2, "{report}");
    app.settle().await;
    assert_eq!(contact(&app, "new@example.com").await.unwrap().purchase_count, 2, "A-1001 once, A-1002 once");
    app.store.erase_contact(bob_id, "", now).await.unwrap();
    let (_, report) = put(&key, json!({ "contacts": [{ "email": "bob@example.com", "city": "Lyon" }] }), None).await;
    assert_eq!(report["results"][0]["status"], "suppressed", "{report}");

    let many: Vec<Value> = (0..501).map(|i| json!({ "email": format!("c{i}@example.com") })).collect();
    assert_eq!(put(&key, json!({ "contacts": many }), None).await.0, 413);
    let profile_only = integration_key(&app, "Website", &[Scope::Profile]).await;
    assert_eq!(put(&profile_only, json!({ "contacts": [] }), None).await.0, 403);
}

both_backends! {
    the_shop_gets_personal_links_and_profile_completion,
    the_shop_upserts_contacts_with_their_orders,
}
