//! The partner API over HTTP, on both backends: keys (format, scopes, revocation,
//! expiry), the suppression check and its refusals as RFC 9457 problems.

use crate::common;

use app::model::api_key::Scope;
use app::model::{ContactForm, Email};
use common::{Db, TestApp};
use serde_json::{json, Value};

struct Partner<'a> {
    app: &'a TestApp,
    key: String,
}

impl Partner<'_> {
    async fn post(&self, path: &str, body: Value) -> (u16, Option<String>, Value) {
        post_with(self.app, path, Some(&self.key), body).await
    }
    async fn check(&self, list: &str, values: &[&str]) -> (u16, Value) {
        let (status, _, body) = self.post("/api/v1/suppression/check", json!({ list: values })).await;
        (status, body)
    }
}

async fn post_with(app: &TestApp, path: &str, key: Option<&str>, body: Value) -> (u16, Option<String>, Value) {
    let mut req = app.client().post(format!("{}{path}", app.base)).json(&body);
    if let Some(key) = key {
        req = req.bearer_auth(key);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let content_type = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_string());
    let retry_after = res.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
    let text = res.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    if status >= 400 {
        assert_eq!(content_type.as_deref(), Some("application/problem+json"), "{status} {body}");
        assert_eq!(body["status"], status, "problem documents repeat their status");
    }
    (status, retry_after, body)
}

async fn partner_with<'a>(
    app: &'a TestApp,
    scopes: &[Scope],
    quota: i64,
    expires_at: Option<app::model::Timestamp>,
) -> Partner<'a> {
    let state = app::state::AppState::new(app.store.clone(), common::test_settings());
    let now = app::platform::clock::now();
    let name = format!("Leads {}", rand_name());
    let id = app::partners::service::create_partner(&state, "test", &name, "ops@leads.example", 150, quota, now)
        .await
        .unwrap();
    let key = app::partners::service::issue_key(&state, "test", id, &grant(scopes), expires_at, now).await.unwrap();
    Partner { app, key: key.as_str().to_string() }
}

/// The grant of a test key: its scopes, and with `events` every kind.
pub fn grant(scopes: &[Scope]) -> app::partners::service::KeyGrant {
    let grant = app::partners::service::KeyGrant::scopes(scopes);
    match scopes.contains(&Scope::Events) {
        true => grant.with_events(&app::model::events::EventKind::ALL),
        false => grant,
    }
}

fn rand_name() -> String {
    use rand::Rng;
    rand::thread_rng().gen_range(0..u64::MAX).to_string()
}

async fn known_contact(app: &TestApp, email: &str) {
    known_contact_at(app, email, app::model::Timestamp(1)).await;
}

async fn a_check_answers_which_values_are_known(db: Db) {
    let app = TestApp::spawn(db).await;
    known_contact(&app, "known@example.com").await;
    let partner = partner_with(&app, &[Scope::Check], 0, None).await;

    let (status, body) = partner.check("emails", &["  KNOWN@example.com", "new@example.com"]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({ "checked": 2, "known": ["  KNOWN@example.com"] }), "known values come back as submitted");

    let email = Email::parse("known@example.com").unwrap();
    let md5_upper = email.md5_hex().to_uppercase();
    let (_, body) = partner.check("md5", &[&md5_upper, &Email::parse("x@example.com").unwrap().md5_hex()]).await;
    assert_eq!(body["known"], json!([md5_upper]), "hashes are accepted in either case");
    let sha = email.sha256_hex();
    let (_, body) = partner.check("sha256", &[&sha]).await;
    assert_eq!(body["known"], json!([sha]));
    // In `emails`, a value that is already a hash is taken as one.
    let (_, body) = partner.check("emails", &[&email.md5_hex()]).await;
    assert_eq!(body["checked"], 1);
    assert_eq!(body["known"].as_array().unwrap().len(), 1);
}

async fn bad_keys_are_refused_with_401(db: Db) {
    let app = TestApp::spawn(db).await;
    let partner = partner_with(&app, &[Scope::Check], 0, None).await;
    let body = json!({ "emails": ["a@example.com"] });
    let (status, _, problem) = post_with(&app, "/api/v1/suppression/check", None, body.clone()).await;
    assert_eq!((status, problem["title"].as_str()), (401, Some("Unauthorized")));
    let (status, _, problem) =
        post_with(&app, "/api/v1/suppression/check", Some("carnet_not-a-key"), body.clone()).await;
    assert_eq!(status, 401);
    assert!(problem["detail"].as_str().unwrap().contains("not a Carnet API key"), "{problem}");
    // Well-formed (valid checksum) but never issued.
    let stranger = app::model::api_key::ApiKey::from_random_body("0123456789abcdefghijABCDEFGHIJzz");
    let (status, _, problem) =
        post_with(&app, "/api/v1/suppression/check", Some(stranger.as_str()), body.clone()).await;
    assert_eq!((status, problem["detail"].as_str()), (401, Some("Unknown API key.")));
    // Revoked.
    let record = app
        .store
        .api_key_by_hash(&app::model::api_key::ApiKey::parse(&partner.key).unwrap().hash())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(partner.check("emails", &["a@example.com"]).await.0, 200);
    app.state.partner_usage.flush(app.store.as_ref()).await.unwrap();
    assert!(
        app.store
            .api_key_by_hash(&app::model::api_key::ApiKey::parse(&partner.key).unwrap().hash())
            .await
            .unwrap()
            .unwrap()
            .last_used_at
            .is_some(),
        "last use is recorded"
    );
    app::partners::service::revoke_key(&app.state, "test", record.id, app::platform::clock::now()).await.unwrap();
    let (status, body) = partner.check("emails", &["a@example.com"]).await;
    assert_eq!((status, body["detail"].as_str()), (401, Some("This API key was revoked.")));
    // Expired.
    // Another instance learns of a revocation within a second (its cache's lifetime).
    let other_instance = partner_with(&app, &[Scope::Check], 0, None).await;
    assert_eq!(other_instance.check("emails", &["a@example.com"]).await.0, 200);
    let other_id = app
        .store
        .api_key_by_hash(&app::model::api_key::ApiKey::parse(&other_instance.key).unwrap().hash())
        .await
        .unwrap()
        .unwrap()
        .id;
    app.store.revoke_api_key(other_id, app::platform::clock::now()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(other_instance.check("emails", &["a@example.com"]).await.0, 401);
    let expired = partner_with(&app, &[Scope::Check], 0, Some(app::platform::clock::now() - 1)).await;
    let (status, body) = expired.check("emails", &["a@example.com"]).await;
    assert_eq!((status, body["detail"].as_str()), (401, Some("This API key has expired.")));
    let valid_until_tomorrow = partner_with(&app, &[Scope::Check], 0, Some(app::platform::clock::now() + 86_400)).await;
    assert_eq!(valid_until_tomorrow.check("emails", &["a@example.com"]).await.0, 200);
}

async fn scopes_limits_and_bodies_are_enforced(db: Db) {
    let app = TestApp::spawn(db).await;
    let submit_only = partner_with(&app, &[Scope::Submit], 0, None).await;
    let (status, body) = submit_only.check("emails", &["a@example.com"]).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("`check`"));

    let partner = partner_with(&app, &[Scope::Check], 0, None).await;
    let many: Vec<String> = (0..10_001).map(|i| format!("p{i}@example.com")).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    assert_eq!(partner.check("emails", &refs).await.0, 413);
    assert_eq!(partner.check("emails", &refs[..10_000]).await.0, 200, "10,000 is allowed");

    let (status, body) = partner.check("emails", &["ok@example.com", "not an email"]).await;
    assert_eq!(status, 422);
    assert!(body["detail"].as_str().unwrap().contains("`emails[1]`"), "{body}");
    let (status, body) = partner.check("md5", &["xyz"]).await;
    assert_eq!((status, body["detail"].as_str().unwrap().contains("`md5[0]`")), (422, true));
    let (status, _, _) =
        partner.post("/api/v1/suppression/check", json!({ "emails": ["a@example.com"], "md5": [] })).await;
    assert_eq!(status, 422, "exactly one list");
    let (status, _, _) = partner.post("/api/v1/suppression/check", json!({ "emails": "a@example.com" })).await;
    assert_eq!(status, 422, "a list, not a string");
}

async fn the_daily_quota_counts_checks(db: Db) {
    let app = TestApp::spawn(db).await;
    let partner = partner_with(&app, &[Scope::Check], 3, None).await;
    assert_eq!(partner.check("emails", &["a@example.com", "b@example.com"]).await.0, 200);
    let (status, retry_after, body) =
        partner.post("/api/v1/suppression/check", json!({ "emails": ["c@example.com", "d@example.com"] })).await;
    assert_eq!(status, 429, "{body}");
    let wait: i64 = retry_after.expect("Retry-After").parse().unwrap();
    assert!((1..=86_400).contains(&wait));
    assert_eq!(partner.check("emails", &["c@example.com"]).await.0, 200, "what is left of the quota can still be used");
}

fn lead(email: &str) -> Value {
    json!({
        "email": email,
        "first_name": "Lea",
        "last_name": "Durand",
        "source": "summer contest",
        "consent": {
            "text": "I agree to receive the Weekly news by email.",
            "form": "contest form v2",
            "at": "2026-06-01T10:00:00Z",
            "newsletters": ["Weekly"]
        }
    })
}

async fn usage_today(app: &TestApp, partner_id: app::model::PartnerId) -> app::partners::UsageDay {
    app.state.partner_usage.flush(app.store.as_ref()).await.unwrap();
    let day = app::partners::service::day_of(app::platform::clock::now());
    app.store.partner_usage(partner_id, &day, &day).await.unwrap().pop().unwrap_or_default()
}

async fn partner_id_of(app: &TestApp, key: &str) -> app::model::PartnerId {
    app.store
        .api_key_by_hash(&app::model::api_key::ApiKey::parse(key).unwrap().hash())
        .await
        .unwrap()
        .unwrap()
        .partner_id
}

/// "Delete me" keeps the address's hashes: partners hear it is known, and selling it
/// again is refused and not billed.
async fn an_erased_person_is_never_bought_again(db: Db) {
    let app = TestApp::spawn(db).await;
    app.store.ensure_newsletter("Weekly", "").await.unwrap();
    let partner = partner_with(&app, &[Scope::Check, Scope::Submit], 0, None).await;
    let partner_id = partner_id_of(&app, &partner.key).await;
    assert_eq!(partner.post("/api/v1/leads", lead("gone@example.com")).await.0, 201);
    let id = app.store.contact_id_by_email(&Email::parse("gone@example.com").unwrap()).await.unwrap().unwrap();
    app.store.erase_contact(id, "", app::platform::clock::now()).await.unwrap();
    let (_, body) = partner.check("emails", &["gone@example.com"]).await;
    assert_eq!(body["known"].as_array().unwrap().len(), 1, "still known: {body}");
    let (status, _, body) = partner.post("/api/v1/leads", lead("Gone@Example.com")).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(app.store.count_contacts().await.unwrap(), 1, "nothing written");
    let usage = usage_today(&app, partner_id).await;
    assert_eq!((usage.accepted, usage.duplicates, usage.billed_cents), (1, 1, 150), "billed once");
}

async fn a_new_lead_is_recorded_and_billed_once(db: Db) {
    let app = TestApp::spawn(db).await;
    app.store.ensure_newsletter("Weekly", "").await.unwrap();
    known_contact(&app, "known@example.com").await;
    let partner = partner_with(&app, &[Scope::Check, Scope::Submit], 0, None).await;
    let partner_id = partner_id_of(&app, &partner.key).await;

    let (status, _, body) = partner.post("/api/v1/leads", lead(" New.Lead@Example.com ")).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["billed_cents"], 150);
    let id =
        app.store.contact_id_by_email(&Email::parse("new.lead@example.com").unwrap()).await.unwrap().expect("recorded");
    let contact = app.store.contact(id).await.unwrap().unwrap();
    assert_eq!(contact.fields.channel, app::model::Channel::Partner);
    assert!(contact.fields.source_detail.ends_with("· summer contest"), "{}", contact.fields.source_detail);
    let subs = app.store.subscriptions(id).await.unwrap();
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0].consent.form, "contest form v2");
    assert_eq!(
        subs[0].consent.at,
        app::model::Timestamp(1_780_308_000),
        "the consent keeps the time the person gave it"
    );

    // Now it is known: a check says so, and a second submission is refused unbilled.
    let (_, body) = partner.check("emails", &["new.lead@example.com"]).await;
    assert_eq!(body["known"].as_array().unwrap().len(), 1);
    let (status, _, body) = partner.post("/api/v1/leads", lead("new.lead@example.com")).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(partner.post("/api/v1/leads", lead("known@example.com")).await.0, 409);
    let (status, _, body) = partner.post("/api/v1/leads", lead("not-an-email")).await;
    assert_eq!(status, 422);
    assert!(body["detail"].as_str().unwrap().starts_with("`email`"), "{body}");
    let mut no_consent = lead("x@example.com");
    no_consent.as_object_mut().unwrap().remove("consent");
    let (status, _, body) = partner.post("/api/v1/leads", no_consent).await;
    assert_eq!((status, body["detail"].as_str().unwrap().starts_with("`consent`")), (422, true));
    let mut unknown_list = lead("y@example.com");
    unknown_list["consent"]["newsletters"] = json!(["Nope"]);
    assert_eq!(partner.post("/api/v1/leads", unknown_list).await.0, 422);
    assert!(
        app.store.contact_id_by_email(&Email::parse("y@example.com").unwrap()).await.unwrap().is_none(),
        "nothing half-saved"
    );

    let usage = usage_today(&app, partner_id).await;
    assert_eq!((usage.accepted, usage.duplicates, usage.invalid, usage.billed_cents), (1, 2, 3, 150));

    let checker = partner_with(&app, &[Scope::Check], 0, None).await;
    assert_eq!(checker.post("/api/v1/leads", lead("z@example.com")).await.0, 403, "submitting needs the submit scope");
}

async fn retries_with_an_idempotency_key_are_not_billed_twice(db: Db) {
    let app = TestApp::spawn(db).await;
    app.store.ensure_newsletter("Weekly", "").await.unwrap();
    let partner = partner_with(&app, &[Scope::Submit], 0, None).await;
    let partner_id = partner_id_of(&app, &partner.key).await;
    let send = |key: &'static str, body: Value| {
        let req = app
            .client()
            .post(format!("{}/api/v1/leads", app.base))
            .bearer_auth(&partner.key)
            .header("idempotency-key", key)
            .json(&body);
        async move {
            let res = req.send().await.unwrap();
            let replayed = res.headers().contains_key("idempotent-replayed");
            (res.status().as_u16(), replayed, res.json::<Value>().await.unwrap())
        }
    };
    let first = send("order-42", lead("retry@example.com")).await;
    let second = send("order-42", lead("retry@example.com")).await;
    assert_eq!((first.0, first.1), (201, false));
    assert_eq!((second.0, second.1), (201, true), "the retry gets the first answer again");
    assert_eq!(first.2, second.2);
    let other = send("order-43", lead("retry@example.com")).await;
    assert_eq!(other.0, 409, "a new key is a new request");
    let usage = usage_today(&app, partner_id).await;
    assert_eq!((usage.accepted, usage.billed_cents), (1, 150));
}

/// A key names one request to one endpoint: reused on another endpoint or with another
/// body it is refused (before, a redemption with a lead's key got the lead's answer and
/// redeemed nothing);
/// sent twice at once, the request runs once.
async fn an_idempotency_key_answers_only_its_own_request(db: Db) {
    let app = TestApp::spawn(db).await;
    app.store.ensure_newsletter("Weekly", "").await.unwrap();
    let partner = partner_with(&app, &[Scope::Submit, Scope::Redeem], 0, None).await;
    let partner_id = partner_id_of(&app, &partner.key).await;
    let send = |path: &'static str, key: &'static str, body: Value| {
        let req = app
            .client()
            .post(format!("{}{path}", app.base))
            .bearer_auth(&partner.key)
            .header("idempotency-key", key)
            .json(&body);
        async move {
            let res = req.send().await.unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    assert_eq!(send("/api/v1/leads", "k1", lead("one@example.com")).await.0, 201);
    let (status, body) = send("/api/v1/redemptions", "k1", json!({ "code": "WELCOME-1" })).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("POST /api/v1/leads"), "{body}");
    // The same key for another lead: refused (before, it got the first lead's answer
    // and the second person was never submitted, though the partner was told 201).
    let (status, body) = send("/api/v1/leads", "k1", lead("two@example.com")).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("another body"), "{body}");

    for round in 0..5 {
        let key: &'static str = ["r0", "r1", "r2", "r3", "r4"][round];
        let email = format!("twice{round}@example.com");
        let (x, y) = tokio::join!(send("/api/v1/leads", key, lead(&email)), send("/api/v1/leads", key, lead(&email)));
        let mut statuses = [x.0, y.0];
        statuses.sort();
        assert!(statuses == [201, 201] || statuses == [201, 409], "round {round}: {statuses:?}");
    }
    let usage = usage_today(&app, partner_id).await;
    assert_eq!((usage.accepted, usage.duplicates), (6, 0), "each lead ran once: none was refused as known");
}

async fn two_partners_racing_for_one_address_are_billed_once(db: Db) {
    let app = TestApp::spawn(db).await;
    app.store.ensure_newsletter("Weekly", "").await.unwrap();
    let a = partner_with(&app, &[Scope::Submit], 0, None).await;
    let b = partner_with(&app, &[Scope::Submit], 0, None).await;
    for round in 0..5 {
        let email = format!("race{round}@example.com");
        let (ra, rb) = tokio::join!(a.post("/api/v1/leads", lead(&email)), b.post("/api/v1/leads", lead(&email)));
        let mut statuses = [ra.0, rb.0];
        statuses.sort();
        assert_eq!(statuses, [201, 409], "round {round}: exactly one is accepted");
    }
    let (ua, ub) = (
        usage_today(&app, partner_id_of(&app, &a.key).await).await,
        usage_today(&app, partner_id_of(&app, &b.key).await).await,
    );
    assert_eq!(ua.accepted + ub.accepted, 5);
    assert_eq!(ua.billed_cents + ub.billed_cents, 5 * 150);
    assert_eq!(ua.duplicates + ub.duplicates, 5);
}

async fn the_hashed_list_is_exported_whole_or_since_a_date(db: Db) {
    let app = TestApp::spawn(db).await;
    for i in 0..25 {
        known_contact(&app, &format!("person{i}@example.com")).await;
    }
    let partner = partner_with(&app, &[Scope::Export], 0, None).await;
    let get = |query: &str, gzip: bool| {
        let mut req =
            app.client().get(format!("{}/api/v1/suppression/export{query}", app.base)).bearer_auth(&partner.key);
        if gzip {
            req = req.header("accept-encoding", "gzip");
        }
        req.send()
    };
    let res = get("?format=md5", false).await.unwrap();
    assert_eq!(res.status(), 200);
    let lines: Vec<String> = res.text().await.unwrap().lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 25);
    assert!(lines.contains(&Email::parse("person7@example.com").unwrap().md5_hex()));
    assert!(lines.iter().all(|l| l.len() == 32 && l.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())));
    let res = get("?format=sha256", false).await.unwrap();
    assert!(res.text().await.unwrap().lines().all(|l| l.len() == 64));

    // Contacts in these tests were created at t=1 (1970); one created now is "new since".
    let now = app::platform::clock::now();
    known_contact_at(&app, "fresh@example.com", now).await;
    let since = (now - 60).datetime().to_rfc3339();
    let res = get(&format!("?format=sha256&since={}", since.replace('+', "%2B")), false).await.unwrap();
    assert_eq!(res.text().await.unwrap().trim(), Email::parse("fresh@example.com").unwrap().sha256_hex());

    let res = get("?format=md5", true).await.unwrap();
    assert_eq!(res.headers()["content-encoding"], "gzip", "compressed when asked");

    assert_eq!(get("?format=sha1", false).await.unwrap().status(), 422);
    assert_eq!(get("?format=md5&since=yesterday", false).await.unwrap().status(), 422);
    let checker = partner_with(&app, &[Scope::Check], 0, None).await;
    let res = app
        .client()
        .get(format!("{}/api/v1/suppression/export?format=md5", app.base))
        .bearer_auth(&checker.key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

/// What `curl --compressed` gets: the gzip body read to its end and decoded, line by line.
async fn gunzipped_export(app: &TestApp, key: &str) -> Vec<String> {
    use std::io::Read;
    let res = app
        .client()
        .get(format!("{}/api/v1/suppression/export?format=md5", app.base))
        .bearer_auth(key)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-encoding"], "gzip");
    let body = res.bytes().await.expect("the whole body arrives (the connection is not cut)");
    let mut text = String::new();
    flate2::read::GzDecoder::new(&body[..]).read_to_string(&mut text).expect("a complete gzip stream");
    text.lines().map(str::to_string).collect()
}

/// Partners load the suppression list with `curl --compressed`: it arrives whole, empty
/// or larger than one store batch (10,000).
async fn the_compressed_export_arrives_whole(db: Db) {
    let app = TestApp::spawn(db).await;
    let partner = partner_with(&app, &[Scope::Export], 0, None).await;
    assert!(gunzipped_export(&app, &partner.key).await.is_empty(), "an empty list is an empty file");
    let batch: Vec<app::store::BulkContact> = (0..20_000)
        .map(|i| app::store::BulkContact {
            fields: ContactForm { email: format!("p{i}@example.com"), ..Default::default() }
                .validate(chrono::Utc::now().date_naive())
                .unwrap(),
            created_at: app::model::Timestamp(1),
            purchase_count: 0,
            subscriptions: vec![],
            activities: vec![],
        })
        .collect();
    app.store.insert_contacts_bulk(&batch).await.unwrap();
    let lines = gunzipped_export(&app, &partner.key).await;
    assert_eq!(lines.len(), 20_000);
    assert!(lines.contains(&Email::parse("p19999@example.com").unwrap().md5_hex()), "the last rows too");
}

async fn known_contact_at(app: &TestApp, email: &str, at: app::model::Timestamp) {
    let fields = ContactForm { email: email.into(), channel: "web".into(), ..Default::default() }
        .validate(chrono::Utc::now().date_naive())
        .unwrap();
    app.store.insert_contact(&fields, at, "test").await.unwrap();
}

async fn each_key_is_rate_limited(db: Db) {
    let mut settings = common::test_settings();
    settings.partner_rate = app::state::PartnerRate { per_second: 0.5, burst: 3.0 };
    let app = TestApp::spawn_with(db, settings).await;
    let partner = partner_with(&app, &[Scope::Check], 0, None).await;
    for _ in 0..3 {
        assert_eq!(partner.check("emails", &["a@example.com"]).await.0, 200);
    }
    let (status, retry_after, body) =
        partner.post("/api/v1/suppression/check", json!({ "emails": ["a@example.com"] })).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(retry_after.as_deref(), Some("2"), "one token every two seconds");
    let other = partner_with(&app, &[Scope::Check], 0, None).await;
    assert_eq!(other.check("emails", &["a@example.com"]).await.0, 200, "another key has its own allowance");
}

async fn the_api_describes_itself(db: Db) {
    let app = TestApp::spawn(db).await;
    let spec: Value =
        app.client().get(format!("{}/api/v1/openapi.json", app.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(spec["openapi"], "3.1.0");
    for (path, method, codes) in [
        ("/api/v1/suppression/check", "post", &["200", "401", "403", "413", "415", "422", "429"][..]),
        ("/api/v1/leads", "post", &["201", "401", "403", "409", "413", "415", "422", "429"][..]),
        ("/api/v1/suppression/export", "get", &["200", "401", "403", "422", "429"][..]),
        ("/api/v1/suppression/check/stream", "post", &["200", "401", "403", "415", "429"][..]),
    ] {
        let responses =
            spec["paths"][path][method]["responses"].as_object().unwrap_or_else(|| panic!("{path} is described"));
        let mut described: Vec<&str> = responses.keys().map(String::as_str).collect();
        described.sort();
        assert_eq!(described, codes, "{path}");
    }
    let page = app.client().get(format!("{}/api/v1/docs", app.base)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("POST /api/v1/leads") && html.contains("Idempotency-Key"),
        "the docs page is readable without a key"
    );
}

async fn the_streaming_check_answers_line_by_line(db: Db) {
    let app = TestApp::spawn(db).await;
    for i in 0..3 {
        known_contact(&app, &format!("known{i}@example.com")).await;
    }
    let partner = partner_with(&app, &[Scope::Check], 0, None).await;
    // 12,000 lines: more than one batch, mixed kinds, a blank and a junk line.
    let mut body = String::new();
    for i in 0..12_000 {
        body.push_str(&format!("unknown{i}@example.com\n"));
        if i == 10 {
            body.push_str(" Known0@Example.com \n\nnot a value\n");
        }
        if i == 6_000 {
            body.push_str(&format!("{}\n", Email::parse("known1@example.com").unwrap().md5_hex().to_uppercase()));
        }
    }
    body.push_str(&Email::parse("known2@example.com").unwrap().sha256_hex()); // last line, no newline
    let res = app
        .client()
        .post(format!("{}/api/v1/suppression/check/stream", app.base))
        .bearer_auth(&partner.key)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    let known: Vec<&str> = text.lines().collect();
    assert_eq!(
        known,
        [
            "Known0@Example.com",
            Email::parse("known1@example.com").unwrap().md5_hex().to_uppercase().as_str(),
            Email::parse("known2@example.com").unwrap().sha256_hex().as_str(),
        ]
    );
    let partner_id = partner_id_of(&app, &partner.key).await;
    assert_eq!(usage_today(&app, partner_id).await.checks, 12_004, "every line counts as a check");

    // A contact added after the first scrub is known to the next one (a second later).
    known_contact_at(&app, "later@example.com", app::platform::clock::now()).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let res = app
        .client()
        .post(format!("{}/api/v1/suppression/check/stream", app.base))
        .bearer_auth(&partner.key)
        .body("later@example.com\nnobody@example.com\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.text().await.unwrap(), "later@example.com\n");

    let limited = partner_with(&app, &[Scope::Check], 2, None).await;
    assert_eq!(limited.check("emails", &["a@example.com", "b@example.com"]).await.0, 200);
    let res = app
        .client()
        .post(format!("{}/api/v1/suppression/check/stream", app.base))
        .bearer_auth(&limited.key)
        .body("c@example.com\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429, "no quota left: refused before streaming");
}

async fn the_monthly_statement_adds_up_and_downloads_as_csv(db: Db) {
    let app = TestApp::spawn(db).await;
    app.store.ensure_newsletter("Weekly", "").await.unwrap();
    let partner = partner_with(&app, &[Scope::Check, Scope::Submit], 0, None).await;
    let partner_id = partner_id_of(&app, &partner.key).await;
    assert_eq!(partner.check("emails", &["a@example.com", "b@example.com"]).await.0, 200);
    assert_eq!(partner.post("/api/v1/leads", lead("month1@example.com")).await.0, 201);
    assert_eq!(partner.post("/api/v1/leads", lead("month1@example.com")).await.0, 409);
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();

    let admin = app.login_as(app::model::Role::Admin).await;
    let res =
        admin.get(format!("{}/partners/{partner_id}/statement.csv?month={month}", app.base)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains(".csv"));
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "day,checks,known,leads_accepted,duplicates_refused,invalid_refused,billed");
    assert_eq!(lines[1], format!("{today},2,0,1,1,0,1.50"));
    assert_eq!(lines[2], "total,2,0,1,1,0,1.50");

    let html = admin
        .get(format!("{}/partners/{partner_id}/statement?month={month}", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Download CSV") && html.contains("1.50"), "the statement page renders on the server");

    // Management leaves an audit trail, and key use is counted per key.
    let (ok, trail) = app.call_json(&admin, "partners/audit", &[]).await;
    assert!(ok, "{trail}");
    let actions: Vec<&str> = trail.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["key.create", "partner.add"], "newest first");
    assert_eq!(trail[0]["actor"], "test");
    assert_eq!(app.store.api_keys(partner_id).await.unwrap()[0].requests_today, 3);

    // A key form with no scope or a bad expiry says why, and creates nothing.
    let keys_before = app.store.api_keys(partner_id).await.unwrap().len();
    let pid = partner_id.to_string();
    let (ok, err) = app.call_json(&admin, "partners/key", &[("partner_id", &pid), ("expires_days", "")]).await;
    assert_eq!((ok, err), (false, json!({"Refused": "Choose at least one scope for the key."})));
    let (ok, err) =
        app.call_json(&admin, "partners/key", &[("partner_id", &pid), ("check", "on"), ("expires_days", "soon")]).await;
    assert!(!ok && err["Refused"].as_str().unwrap().contains("number of days"), "{err}");
    assert_eq!(app.store.api_keys(partner_id).await.unwrap().len(), keys_before);

    let marketer = app.login_as(app::model::Role::Marketer).await;
    let res = marketer.get(format!("{}/partners/{partner_id}/statement.csv", app.base)).send().await.unwrap();
    assert_eq!(res.status(), 403, "statements are for admins");
    let res = app.client().get(format!("{}/partners/{partner_id}/statement.csv", app.base)).send().await.unwrap();
    assert_eq!(res.status(), 303, "anonymous visitors are sent to sign in");
}

/// What Schemathesis and curl found where the API and its document disagreed: each
/// answer now is the one the document gives.
async fn the_api_answers_as_its_document_says_at_the_edges(db: Db) {
    let app = TestApp::spawn(db).await;
    let partner = partner_with(&app, &[Scope::Check, Scope::Submit, Scope::Events], 0, None).await;
    let url = |path: &str| format!("{}{path}", app.base);
    let raw = |path: &str, content_type: Option<&str>, body: String| {
        let mut req = app.client().post(url(path)).bearer_auth(&partner.key).body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        req
    };

    // A null list is not an absent one: `{"emails": [], "sha256": null}` is not one list.
    let (status, _, body) = partner.post("/api/v1/suppression/check", json!({ "emails": [], "sha256": null })).await;
    assert_eq!(status, 422, "{body}");
    // Only the documented content types are read.
    let res = raw("/api/v1/suppression/check", Some("text/plain"), r#"{"emails": []}"#.into()).send().await.unwrap();
    assert_eq!(res.status(), 415);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let res = raw("/api/v1/suppression/check", Some("application/json; charset=utf-8"), r#"{"emails": []}"#.into())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "parameters of the type are fine");
    let res = raw("/api/v1/suppression/check/stream", Some("application/json"), "a@example.com\n".into())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    // A body over the limit is a problem document too.
    let res = raw("/api/v1/leads", Some("application/json"), " ".repeat(3 * 1024 * 1024)).send().await.unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(res.headers()["content-type"], "application/problem+json");

    // JSON's 1.0 is the integer 1; `atomic` is true or false, never silently false.
    let event = json!({"contact_id": 1.0, "type": "open", "occurred_at": "2026-11-01T00:00:00Z"});
    let (status, _, body) = partner.post("/api/v1/events", event.clone()).await;
    assert_eq!(status, 422);
    assert!(body["detail"].as_str().unwrap().contains("no contact has id 1"), "{body}");
    let (status, _, body) = partner.post("/api/v1/events?atomic=yes", json!([event])).await;
    assert_eq!(status, 422);
    assert!(body["detail"].as_str().unwrap().contains("`atomic`"), "{body}");

    // A key that is not visible ASCII is refused, not taken for no key.
    let res = raw("/api/v1/events", Some("application/json"), event.to_string())
        .header("idempotency-key", "clé-1".as_bytes())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    // A replay carries the first answer's type: a refused batch is a JSON report.
    let batch = json!([event]).to_string();
    let mut types = Vec::new();
    for _ in 0..2 {
        let res = raw("/api/v1/events", Some("application/json"), batch.clone())
            .header("idempotency-key", "batch-1")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422);
        types.push(res.headers()["content-type"].to_str().unwrap().to_string());
    }
    assert_eq!(types, ["application/json", "application/json"]);

    // Limits count characters, and each names its own field.
    let lead = |source: String, text: String| json!({"email": "lea@example.org", "source": source, "consent": {"text": text, "form": "contest v2"}});
    let (status, _, body) = partner.post("/api/v1/leads", lead("summer".into(), "é".repeat(1001))).await;
    assert_eq!(status, 201, "1,001 characters are under 2,000, whatever their bytes: {body}");
    let (status, _, body) = partner.post("/api/v1/leads", lead("s".repeat(97), "I agree.".into())).await;
    assert_eq!(status, 422);
    assert!(body["detail"].as_str().unwrap().starts_with("`source`"), "{body}");
}

/// The suppression list a brand imports from its old tool (addresses, or only their MD5
/// or SHA-256) holds no personal data, yet partners are told its people are known, their
/// leads are refused unbilled, the export lists them, and no door creates them again.
async fn the_imported_suppression_list_is_known_to_partners(db: Db) {
    let app = TestApp::spawn(db).await;
    app.store.ensure_newsletter("Weekly", "").await.unwrap();
    let hash = |e: &str| Email::parse(e).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("repoussoir.csv");
    let body = format!(
        "email\nlisted@example.com\n{}\n{}\n",
        hash("md5only@example.com").md5_hex(),
        hash("shaonly@example.com").sha256_hex()
    );
    std::fs::write(&list, body).unwrap();
    let out = common::carnet(app.database_url(), &["import", "suppression", list.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(app.store.count_contacts().await.unwrap(), 0, "only hashes are kept");

    let partner = partner_with(&app, &[Scope::Check, Scope::Submit, Scope::Export], 0, None).await;
    let partner_id = partner_id_of(&app, &partner.key).await;
    let asked = ["listed@example.com", "MD5only@example.com", "shaonly@example.com", "free@example.com"];
    let (status, body) = partner.check("emails", &asked).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["known"], json!(["listed@example.com", "MD5only@example.com", "shaonly@example.com"]));
    let (_, body) = partner.check("md5", &[&hash("listed@example.com").md5_hex()]).await;
    assert_eq!(body["known"].as_array().unwrap().len(), 1, "{body}");
    // The streaming check reads the in-memory set, loaded and refreshed from the list too.
    let res = app
        .client()
        .post(format!("{}/api/v1/suppression/check/stream", app.base))
        .bearer_auth(&partner.key)
        .body("free@example.com\nmd5only@example.com\nlisted@example.com\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.text().await.unwrap().lines().collect::<Vec<_>>(), ["md5only@example.com", "listed@example.com"]);

    let (status, _, body) = partner.post("/api/v1/leads", lead("md5only@example.com")).await;
    assert_eq!(status, 409, "a listed person is not bought: {body}");
    assert_eq!(app.store.count_contacts().await.unwrap(), 0);
    let usage = usage_today(&app, partner_id).await;
    assert_eq!((usage.accepted, usage.billed_cents), (0, 0), "nor billed");

    let export = |format: &'static str| {
        let req = app.client().get(format!("{}/api/v1/suppression/export?format={format}", app.base));
        let req = req.bearer_auth(&partner.key);
        async move { req.send().await.unwrap().text().await.unwrap() }
    };
    let md5 = export("md5").await;
    let md5: Vec<&str> = md5.lines().collect();
    assert!(
        md5.contains(&hash("listed@example.com").md5_hex().as_str())
            && md5.contains(&hash("md5only@example.com").md5_hex().as_str()),
        "{md5:?}"
    );
    assert!(md5.iter().all(|l| l.len() == 32), "{md5:?}");
    let sha = export("sha256").await;
    assert!(sha.lines().any(|l| l == hash("shaonly@example.com").sha256_hex()), "{sha}");
    assert!(sha.lines().all(|l| l.len() == 64), "{sha}");

    // No door creates a listed person: staff, sign-up and quick entry alike.
    let fields = ContactForm { email: "listed@example.com".into(), ..Default::default() }
        .validate(app::platform::clock::now().date())
        .unwrap();
    let staff = app.store.insert_contact(&fields, app::platform::clock::now(), "test").await;
    assert!(
        matches!(staff, Err(app::store::StoreError::Conflict { ref constraint }) if constraint == "suppression_list"),
        "{staff:?}"
    );
    let signed = app.store.subscribe_contact(&fields, &[], app::platform::clock::now(), "test").await.unwrap();
    assert!(signed.is_none(), "a sign-up of a listed address writes nothing");
    assert_eq!(app.store.count_contacts().await.unwrap(), 0);
    // Nor does changing someone's address into a listed one.
    let other = ContactForm { email: "other@example.com".into(), ..Default::default() }
        .validate(app::platform::clock::now().date())
        .unwrap();
    let id = app.store.insert_contact(&other, app::platform::clock::now(), "test").await.unwrap();
    let moved = app.store.update_contact(id, &fields, app::platform::clock::now(), "test").await;
    assert!(
        matches!(moved, Err(app::store::StoreError::Conflict { ref constraint }) if constraint == "suppression_list"),
        "{moved:?}"
    );
}

both_backends!(
    the_imported_suppression_list_is_known_to_partners,
    the_api_answers_as_its_document_says_at_the_edges,
    an_idempotency_key_answers_only_its_own_request,
    the_compressed_export_arrives_whole,
    an_erased_person_is_never_bought_again,
    the_monthly_statement_adds_up_and_downloads_as_csv,
    the_streaming_check_answers_line_by_line,
    the_api_describes_itself,
    each_key_is_rate_limited,
    the_hashed_list_is_exported_whole_or_since_a_date,
    a_new_lead_is_recorded_and_billed_once,
    retries_with_an_idempotency_key_are_not_billed_twice,
    two_partners_racing_for_one_address_are_billed_once,
    a_check_answers_which_values_are_known,
    bad_keys_are_refused_with_401,
    scopes_limits_and_bodies_are_enforced,
    the_daily_quota_counts_checks,
);
