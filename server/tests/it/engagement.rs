//! Engagement on both backends: the events API's good and bad inputs, what events do
//! to contacts (instants, suppression, unsubscription), statuses as list filters, the
//! dashboard's figures, bulk actions and imports as jobs, and tracking links.

use crate::common;

use app::engagement::service as engagement;
use app::model::api_key::Scope;
use app::model::contact::ConsentEvidence;
use app::model::engagement::{EngagementSettings, EngagementStatus, Pool};
use app::model::events::EventKind;
use app::model::listing::Cleaning;
use app::model::{ContactForm, ContactQuery, SubscriptionState};
use app::platform::clock::now;
use app::store::NewEvent;
use common::{Db, TestApp};
use serde_json::{json, Value};

const DAY: i64 = 86_400;

fn rfc3339(at: app::model::Timestamp) -> String {
    at.datetime().to_rfc3339()
}

async fn contact(
    app: &TestApp,
    email: &str,
    channel: &str,
    source: &str,
    created_at: app::model::Timestamp,
) -> app::model::ContactId {
    let fields = ContactForm {
        email: email.into(),
        channel: channel.into(),
        source_detail: source.into(),
        ..Default::default()
    }
    .validate(chrono::Utc::now().date_naive())
    .unwrap();
    app.store.insert_contact(&fields, created_at, "test").await.unwrap()
}

async fn event(app: &TestApp, id: app::model::ContactId, kind: EventKind, at: app::model::Timestamp) {
    let e = NewEvent {
        contact_id: id,
        kind,
        occurred_at: at,
        campaign: String::new(),
        meta: String::new(),
        detail: String::new(),
        actor: "test".into(),
    };
    app.state.event_writer.record_applied(&app.store, vec![e]).await.unwrap();
}

async fn events_key(app: &TestApp, scopes: &[Scope]) -> String {
    let now = now();
    let name = format!("Mailer {}", scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("+"));
    let id = app::partners::service::create_partner(&app.state, "test", &name, "ops@mailer.example", 0, 0, now)
        .await
        .unwrap();
    app::partners::service::issue_key(&app.state, "test", id, &crate::partner_api::grant(scopes), None, now)
        .await
        .unwrap()
        .as_str()
        .to_string()
}

async fn post(app: &TestApp, path: &str, key: &str, body: &Value) -> (u16, Value) {
    let res = app.client().post(format!("{}{path}", app.base)).bearer_auth(key).json(body).send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    app.settle().await;
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn timeline_len(app: &TestApp, id: app::model::ContactId) -> usize {
    app.store.timeline(id, 1000).await.unwrap().len()
}

async fn the_events_api_records_good_events_and_says_why_it_refuses_bad_ones(db: Db) {
    let app = TestApp::spawn(db).await;
    let key = events_key(&app, &[Scope::Events]).await;
    let ann = contact(&app, "ann@example.com", "web", "footer", now() - 400 * DAY).await;
    let bob = contact(&app, "bob@example.com", "event", "salon", now() - 400 * DAY).await;
    let at = now() - 3 * DAY;

    // One event: 201, and the contact moves.
    let (status, body) = post(
        &app,
        "/api/v1/events",
        &key,
        &json!({"email": "ANN@example.com", "type": "click", "occurred_at": rfc3339(at), "campaign": "nov"}),
    )
    .await;
    assert_eq!((status, body["contact_id"].as_i64()), (201, Some(ann.0)), "{body}");
    let c = app.store.contact(ann).await.unwrap().unwrap();
    assert_eq!((c.last_signal_at, c.last_click_at, c.last_interaction_at), (Some(at), Some(at), Some(at)));
    assert_eq!(app.store.timeline(ann, 1).await.unwrap()[0].campaign, "nov");

    // One bad event: 422 saying why, nothing recorded.
    let before = timeline_len(&app, ann).await;
    for (bad, why) in [
        (json!({"email": "ann@example.com", "type": "wink", "occurred_at": rfc3339(at)}), "unknown type"),
        (json!({"email": "ann@example.com", "type": "open", "occurred_at": "last tuesday"}), "RFC 3339"),
        (json!({"email": "nobody@example.com", "type": "open", "occurred_at": rfc3339(at)}), "unknown contact"),
        (json!({"contact_id": 999999, "type": "open", "occurred_at": rfc3339(at)}), "unknown contact"),
    ] {
        let (status, body) = post(&app, "/api/v1/events", &key, &bad).await;
        assert_eq!(status, 422, "{bad}");
        assert!(body["detail"].as_str().unwrap().contains(why), "{body}");
    }
    assert_eq!(timeline_len(&app, ann).await, before);

    // A batch: good events recorded, bad ones reported per item (207).
    let batch = json!([
        {"contact_id": bob, "type": "open", "occurred_at": rfc3339(at)},
        {"email": "nobody@example.com", "type": "open", "occurred_at": rfc3339(at)},
        {"email": "bob@example.com", "type": "purchase", "occurred_at": rfc3339(at + 60)},
        {"email": "bob@example.com", "type": "open", "occurred_at": "2999-01-01T00:00:00Z"},
    ]);
    let (status, body) = post(&app, "/api/v1/events", &key, &batch).await;
    assert_eq!(status, 207, "{body}");
    assert_eq!((body["recorded"].as_i64(), body["failed"].as_i64()), (Some(2), Some(2)));
    let statuses: Vec<&str> =
        body["results"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["recorded", "error", "recorded", "error"]);
    assert!(body["results"][3]["error"].as_str().unwrap().contains("future"));
    let b = app.store.contact(bob).await.unwrap().unwrap();
    assert_eq!((b.last_open_at, b.last_signal_at, b.purchase_count), (Some(at), Some(at + 60), 1));

    // Atomic: one bad event and nothing at all is recorded.
    let before = timeline_len(&app, bob).await;
    let (status, body) = post(
        &app,
        "/api/v1/events?atomic=true",
        &key,
        &json!([
            {"contact_id": bob, "type": "visit", "occurred_at": rfc3339(now())},
            {"contact_id": bob, "type": "visit", "occurred_at": "nope"},
        ]),
    )
    .await;
    assert_eq!((status, body["recorded"].as_i64()), (422, Some(0)), "{body}");
    assert_eq!(body["results"][0]["status"], "not_recorded");
    assert_eq!(timeline_len(&app, bob).await, before);
    assert_eq!(app.store.contact(bob).await.unwrap().unwrap().last_signal_at, Some(at + 60));

    // A late, older event is recorded but moves nothing backwards.
    post(
        &app,
        "/api/v1/events",
        &key,
        &json!({"contact_id": bob, "type": "visit", "occurred_at": rfc3339(at - 30 * DAY)}),
    )
    .await;
    assert_eq!(app.store.contact(bob).await.unwrap().unwrap().last_signal_at, Some(at + 60));

    // Envelope errors.
    let many: Vec<Value> =
        (0..10_001).map(|_| json!({"contact_id": bob, "type": "open", "occurred_at": rfc3339(at)})).collect();
    assert_eq!(post(&app, "/api/v1/events", &key, &Value::Array(many)).await.0, 413);
    assert_eq!(post(&app, "/api/v1/events", &key, &json!([])).await.0, 422);
    assert_eq!(post(&app, "/api/v1/events", &key, &json!("open")).await.0, 422);
    let check_only = events_key(&app, &[Scope::Check]).await;
    assert_eq!(
        post(
            &app,
            "/api/v1/events",
            &check_only,
            &json!({"contact_id": bob, "type": "open", "occurred_at": rfc3339(at)})
        )
        .await
        .0,
        403
    );
    assert_eq!(post(&app, "/api/v1/events", "carnet_nope", &json!({})).await.0, 401);
}

async fn a_retried_batch_with_an_idempotency_key_is_recorded_once(db: Db) {
    let app = TestApp::spawn(db).await;
    let key = events_key(&app, &[Scope::Events]).await;
    let ann = contact(&app, "ann@example.com", "web", "", now()).await;
    let body = json!([{"contact_id": ann, "type": "click", "occurred_at": rfc3339(now())}]);
    for _ in 0..2 {
        let res = app
            .client()
            .post(format!("{}/api/v1/events", app.base))
            .bearer_auth(&key)
            .header("idempotency-key", "webhook-delivery-17")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
    }
    app.settle().await;
    assert_eq!(timeline_len(&app, ann).await, 2, "created + one click");
}

async fn bounces_and_complaints_suppress_and_unsubscribes_end_subscriptions(db: Db) {
    let app = TestApp::spawn(db).await;
    let news = app.store.ensure_newsletter("Weekly", "").await.unwrap();
    let consent =
        ConsentEvidence { at: app::model::Timestamp(1), channel: "web".into(), form: "f".into(), text: "yes".into() };
    let mut ids = Vec::new();
    for email in ["hard@example.com", "spam@example.com", "bye@example.com", "soft@example.com"] {
        let id = contact(&app, email, "web", "", now()).await;
        app.store.set_subscription(id, news, SubscriptionState::Subscribed, &consent).await.unwrap();
        ids.push(id);
    }
    let at = now() - 60;
    for (id, kind) in
        ids.iter().zip([EventKind::HardBounce, EventKind::Complaint, EventKind::Unsubscribe, EventKind::SoftBounce])
    {
        event(&app, *id, kind, at).await;
    }
    let state = |id: app::model::ContactId| {
        let store = app.store.clone();
        async move {
            let c = store.contact(id).await.unwrap().unwrap();
            let sub = store.subscriptions(id).await.unwrap().remove(0);
            (c.suppression_reason, sub.state, c.last_interaction_at)
        }
    };
    assert_eq!(state(ids[0]).await, (Some("hard_bounce".into()), SubscriptionState::Unsubscribed, None));
    assert_eq!(state(ids[1]).await, (Some("complaint".into()), SubscriptionState::Unsubscribed, None));
    assert_eq!(state(ids[2]).await, (None, SubscriptionState::Unsubscribed, None));
    assert_eq!(state(ids[3]).await, (None, SubscriptionState::Subscribed, None), "a soft bounce changes nothing");
    let evidence = app.store.subscriptions(ids[0]).await.unwrap().remove(0).consent;
    assert_eq!((evidence.at, evidence.channel.as_str()), (at, "events"));
    assert!(evidence.text.contains("hard bounce"), "{}", evidence.text);
    // The list-cleaning views find them.
    let bounds = EngagementSettings::default().bounds(now());
    let hard = ContactQuery { clean: Some(Cleaning::HardBounce), ..Default::default() };
    assert_eq!(
        app.store.list_contacts(&hard, &bounds, 50).await.unwrap().rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        [ids[0]]
    );
    let suppressed = ContactQuery { clean: Some(Cleaning::Suppressed), ..Default::default() };
    assert_eq!(app.store.count_matching(&suppressed, &bounds).await.unwrap(), 2);
}

/// Contacts whose last signal is `age` days old (None: never), created 400 days ago
/// unless `created_days` says otherwise.
async fn population(app: &TestApp) -> Vec<(app::model::ContactId, EngagementStatus)> {
    let now = now();
    let cases: [(Option<i64>, i64, EngagementStatus); 7] = [
        (Some(1), 400, EngagementStatus::RecentActivity),
        (Some(30), 400, EngagementStatus::Engaged),
        (Some(100), 400, EngagementStatus::Disengaged),
        (Some(300), 400, EngagementStatus::Inactive),
        (None, 10, EngagementStatus::New),
        (None, 400, EngagementStatus::Inactive),
        (Some(7), 400, EngagementStatus::RecentActivity),
    ];
    let mut out = Vec::new();
    for (i, (age, created_days, status)) in cases.into_iter().enumerate() {
        let channel = if i % 2 == 0 { "web" } else { "partner" };
        let id = contact(
            app,
            &format!("p{i}@example.com"),
            channel,
            if i % 2 == 0 { "footer" } else { "LeadCo" },
            now - created_days * DAY,
        )
        .await;
        if let Some(days) = age {
            event(app, id, EventKind::Visit, now - days * DAY + 60).await;
        }
        out.push((id, status));
    }
    out
}

async fn statuses_are_list_filters_and_follow_the_settings(db: Db) {
    let app = TestApp::spawn(db).await;
    let people = population(&app).await;
    // An open, 2 days ago, on the inactive contact: it counts only when opens count.
    let (opener, _) = people[3];
    event(&app, opener, EventKind::Open, now() - 2 * DAY).await;
    let bounds = EngagementSettings::default().bounds(now());
    for status in EngagementStatus::ALL {
        let q = ContactQuery { status: Some(status), ..Default::default() };
        let page = app.store.list_contacts(&q, &bounds, 50).await.unwrap();
        let mut got: Vec<app::model::ContactId> = page.rows.iter().map(|r| r.id).collect();
        got.sort();
        let want: Vec<app::model::ContactId> = people.iter().filter(|p| p.1 == status).map(|p| p.0).collect();
        assert_eq!(got, want, "{status:?}");
        assert!(page.rows.iter().all(|r| r.status == status), "the badge agrees with the filter");
        assert_eq!(page.total, Some(want.len() as i64));
    }
    let with_opens = EngagementSettings { opens_count: true, ..Default::default() }.bounds(now());
    let recent = ContactQuery { status: Some(EngagementStatus::RecentActivity), ..Default::default() };
    let ids: Vec<app::model::ContactId> =
        app.store.list_contacts(&recent, &with_opens, 50).await.unwrap().rows.iter().map(|r| r.id).collect();
    assert!(ids.contains(&opener), "with opens counted, the opener is recently active");
    let never_clicked = ContactQuery { clean: Some(Cleaning::NeverClicked), ..Default::default() };
    assert_eq!(app.store.count_matching(&never_clicked, &bounds).await.unwrap(), 7);
    let idle = ContactQuery { clean: Some(Cleaning::Idle), idle_months: Some(6), ..Default::default() };
    assert_eq!(app.store.count_matching(&idle, &bounds).await.unwrap(), 2, "300 days and never-engaged-since-400");
}

async fn the_dashboard_counts_by_status_source_and_attrition(db: Db) {
    let app = TestApp::spawn(db).await;
    let people = population(&app).await;
    let d = engagement::refresh(&app.state, now()).await.unwrap();
    assert_eq!(d.total, 7);
    let mut want = [0i64; 5];
    people.iter().for_each(|p| want[p.1.index()] += 1);
    assert_eq!(d.counts, want);
    assert_eq!(d.never_engaged, 1);
    let partner = d.channels.iter().find(|c| c.channel == "partner").unwrap();
    assert_eq!(partner.contacts, 3);
    assert_eq!(partner.counts[EngagementStatus::Inactive.index()], 2, "the 300-day-old one and the never-engaged one");
    let leadco = d.sources.iter().find(|s| s.source == "LeadCo").unwrap();
    assert_eq!((leadco.channel.as_str(), leadco.contacts), ("partner", 3));
    // Attrition over the last year, among the 6 contacts older than a year: the one
    // whose last interaction (300 days ago) crossed 270 days during the year, and the
    // never-engaged one created 400 days ago (new until day 90, so inactive since 310).
    assert_eq!(d.attrition.base, 6);
    assert_eq!((d.attrition.gone_inactive, d.attrition.bounced, d.attrition.unsubscribed), (2, 0, 0));
    // A hard bounce is "bounced" (and no longer "gone inactive").
    event(&app, people[3].0, EventKind::HardBounce, now() - DAY).await;
    let d = engagement::refresh(&app.state, now()).await.unwrap();
    assert_eq!((d.attrition.gone_inactive, d.attrition.bounced, d.hard_bounces), (1, 1, 1));
    // This month's snapshot is part of the trend; the page reads the stored document.
    assert_eq!(d.months.last().unwrap().counts, d.counts);
    assert_eq!(engagement::dashboard(&app.state, now()).await.unwrap(), d);
}

async fn bulk_actions_run_as_jobs_over_the_whole_list(db: Db) {
    let app = TestApp::spawn(db).await;
    let people = population(&app).await;
    let news = app.store.ensure_newsletter("Weekly", "").await.unwrap();
    let consent =
        ConsentEvidence { at: app::model::Timestamp(1), channel: "web".into(), form: "f".into(), text: "yes".into() };
    for (id, _) in &people {
        app.store.set_subscription(*id, news, SubscriptionState::Subscribed, &consent).await.unwrap();
    }
    let inactive = ContactQuery { status: Some(EngagementStatus::Inactive), ..Default::default() };
    let job = engagement::start_bulk(
        &app.state,
        &inactive,
        engagement::BulkAction::MoveToInactivePool,
        "boss@example.com",
        now(),
    )
    .await
    .unwrap();
    assert_eq!(app.store.job(job).await.unwrap().unwrap().total, 2);
    // Housekeeping may already be on it; either way the job ends.
    while app::platform::jobs::run_next(&app.state).await.unwrap() {}
    let mut finished = app.store.job(job).await.unwrap().unwrap();
    for _ in 0..50 {
        if finished.finished() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        finished = app.store.job(job).await.unwrap().unwrap();
    }
    assert_eq!((finished.state.as_str(), finished.done, finished.percent()), ("done", 2, 100), "{finished:?}");
    for (id, status) in &people {
        let c = app.store.contact(*id).await.unwrap().unwrap();
        let want = if *status == EngagementStatus::Inactive { Pool::Inactive } else { Pool::Main };
        assert_eq!(c.pool, want, "contact {id}");
    }
    let pooled = people.iter().find(|p| p.1 == EngagementStatus::Inactive).unwrap().0;
    assert_eq!(app.store.timeline(pooled, 1).await.unwrap()[0].kind, "pool");

    // Suppress the disengaged: unsubscribed everywhere, kept (and still known to partners).
    let disengaged = ContactQuery { status: Some(EngagementStatus::Disengaged), ..Default::default() };
    engagement::start_bulk(&app.state, &disengaged, engagement::BulkAction::Suppress, "boss@example.com", now())
        .await
        .unwrap();
    while app::platform::jobs::run_next(&app.state).await.unwrap() {}
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let target = people.iter().find(|p| p.1 == EngagementStatus::Disengaged).unwrap().0;
    let c = app.store.contact(target).await.unwrap().unwrap();
    assert_eq!(c.suppression_reason.as_deref(), Some("manual"));
    assert_eq!(app.store.subscriptions(target).await.unwrap()[0].state, SubscriptionState::Unsubscribed);
    assert!(app.store.known_md5(std::slice::from_ref(&c.email_md5)).await.unwrap().contains(&c.email_md5));
}

async fn an_import_is_checked_whole_then_recorded_as_a_job(db: Db) {
    let app = TestApp::spawn(db).await;
    let ann = contact(&app, "ann@example.com", "web", "", now()).await;
    let bad = "email,type,occurred_at\nann@example.com,click,2026-11-01T10:00:00Z\nghost@example.com,click,2026-11-01T10:00:00Z\n";
    let errors =
        engagement::start_import(&app.state, bad.into(), "boss@example.com", now()).await.unwrap().unwrap_err();
    assert_eq!(errors, ["Line 3: unknown contact: no contact has this email"]);
    assert_eq!(timeline_len(&app, ann).await, 1, "nothing recorded from a refused file");
    let good = format!(
        "email,type,occurred_at,campaign\nann@example.com,click,{},spring\nANN@example.com,purchase,{},\n",
        rfc3339(now() - DAY),
        rfc3339(now() - 2 * DAY)
    );
    let job = engagement::start_import(&app.state, good, "boss@example.com", now()).await.unwrap().unwrap();
    while app::platform::jobs::run_next(&app.state).await.unwrap() {}
    let mut j = app.store.job(job).await.unwrap().unwrap();
    for _ in 0..50 {
        if j.finished() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        j = app.store.job(job).await.unwrap().unwrap();
    }
    assert_eq!((j.state.as_str(), j.done, j.total), ("done", 2, 2), "{j:?}");
    let c = app.store.contact(ann).await.unwrap().unwrap();
    assert_eq!((c.purchase_count, c.last_click_at.is_some()), (1, true));
}

async fn tracking_links_record_and_never_redirect_elsewhere(db: Db) {
    let app = TestApp::spawn(db).await;
    let ann = contact(&app, "ann@example.com", "web", "", now()).await;
    let pixel = engagement::open_pixel_url(&app.state, ann, "nov").await.unwrap();
    let path = pixel.split_once("/t/").unwrap().1;
    let client = app.client();
    let res = client.get(format!("{}/t/{path}", app.base)).send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "image/gif");
    // Applied by the server's own folder (every second), nobody asking for it.
    let mut opened = false;
    for _ in 0..50 {
        opened = app.store.contact(ann).await.unwrap().unwrap().last_open_at.is_some();
        if opened {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(opened, "the open is applied within 5 s");

    let link = engagement::click_url(&app.state, ann, "nov", "https://shop.example/sale?x=1").await.unwrap().unwrap();
    let token = link.rsplit_once("/t/c/").unwrap().1.to_string();
    let res = client.get(format!("{}/t/c/{token}", app.base)).send().await.unwrap();
    assert_eq!(
        (res.status().as_u16(), res.headers()["location"].to_str().unwrap()),
        (303, "https://shop.example/sale?x=1")
    );
    app.settle().await;
    assert!(app.store.contact(ann).await.unwrap().unwrap().last_click_at.is_some());
    assert_eq!(engagement::click_url(&app.state, ann, "nov", "javascript:alert(1)").await.unwrap(), None);

    // A token altered to point elsewhere is refused and records nothing.
    let before = timeline_len(&app, ann).await;
    let mut forged = token.clone();
    forged.replace_range(2..3, if &token[2..3] == "A" { "B" } else { "A" });
    let res = client.get(format!("{}/t/c/{forged}", app.base)).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 404);
    assert!(res.headers().get("location").is_none());
    app.settle().await;
    assert_eq!(timeline_len(&app, ann).await, before);
}

async fn editing_a_contacts_source_moves_it_in_the_breakdown(db: Db) {
    let app = TestApp::spawn(db).await;
    let id = contact(&app, "ann@example.com", "web", "Old footer form", now()).await;
    let mut fields = app.store.contact(id).await.unwrap().unwrap().fields;
    fields.source_detail = "Spring fair".into();
    fields.channel = app::model::Channel::Event;
    app.store.update_contact(id, &fields, now(), "test").await.unwrap();
    let d = engagement::refresh(&app.state, now()).await.unwrap();
    let sources: Vec<(&str, &str)> = d.sources.iter().map(|s| (s.channel.as_str(), s.source.as_str())).collect();
    assert_eq!(sources, [("event", "Spring fair")]);
}

async fn concurrent_deliveries_are_committed_together_and_each_answered(db: Db) {
    let app = TestApp::spawn(db).await;
    let key = events_key(&app, &[Scope::Events]).await;
    let ann = contact(&app, "ann@example.com", "web", "", now() - 400 * DAY).await;
    let bob = contact(&app, "bob@example.com", "web", "", now() - 400 * DAY).await;
    let base = now() - 5 * DAY;
    let calls = (0..40).map(|i| {
        let body = if i == 17 {
            json!({"contact_id": ann, "type": "wink", "occurred_at": rfc3339(base)})
        } else {
            json!({"contact_id": if i % 2 == 0 { ann } else { bob }, "type": "visit", "occurred_at": rfc3339(base + i)})
        };
        let (app, key) = (&app, key.clone());
        async move { post(app, "/api/v1/events", &key, &body).await.0 }
    });
    let statuses = futures::future::join_all(calls).await;
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 39, "{statuses:?}");
    assert_eq!(statuses[17], 422, "a bad delivery fails alone");
    // 1 "created" entry each, plus every visit.
    assert_eq!(timeline_len(&app, ann).await, 1 + 20);
    assert_eq!(timeline_len(&app, bob).await, 1 + 19, "the bad one was for bob");
    assert_eq!(app.store.contact(ann).await.unwrap().unwrap().last_signal_at, Some(base + 38));
    assert_eq!(app.store.contact(bob).await.unwrap().unwrap().last_signal_at, Some(base + 39));
}

/// A key sends only the kinds it was made for (a shop's key cannot suppress the base
/// with complaints), and events count toward the partner's daily quota as checks do:
/// each tells whether an address is a contact.
async fn an_events_key_sends_its_kinds_within_its_quota(db: Db) {
    let app = TestApp::spawn(db).await;
    let now = now();
    let shop =
        app::partners::service::create_partner(&app.state, "test", "Shop", "it@shop.example", 0, 3, now).await.unwrap();
    let grant = app::partners::service::KeyGrant::scopes(&[Scope::Events]).with_events(&EventKind::ENGAGEMENT);
    let key = app::partners::service::issue_key(&app.state, "test", shop, &grant, None, now).await.unwrap();
    let key = key.as_str().to_string();
    let ann = contact(&app, "ann@example.com", "web", "footer", now - 400 * DAY).await;
    let at = rfc3339(now - DAY);

    let (status, body) =
        post(&app, "/api/v1/events", &key, &json!({"contact_id": ann, "type": "complaint", "occurred_at": at})).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("may not send `complaint` events"), "{body}");
    let (status, body) = post(
        &app,
        "/api/v1/events",
        &key,
        &json!([
            {"contact_id": ann, "type": "purchase", "occurred_at": at},
            {"email": "ann@example.com", "type": "hard_bounce", "occurred_at": at},
        ]),
    )
    .await;
    assert_eq!(status, 207, "{body}");
    assert!(body["results"][1]["error"].as_str().unwrap().contains("may not send `hard_bounce`"), "{body}");
    let c = app.store.contact(ann).await.unwrap().unwrap();
    assert_eq!((c.purchase_count, c.suppressed_at), (1, None), "the purchase counts, the bounce never suppressed");

    // 1 + 2 of a quota of 3 are used: one more is refused whole, and records nothing.
    let (status, body) =
        post(&app, "/api/v1/events", &key, &json!({"contact_id": ann, "type": "visit", "occurred_at": at})).await;
    assert_eq!(status, 429, "{body}");
    let visits = app.store.timeline(ann, 100).await.unwrap().into_iter().filter(|a| a.kind == "visit").count();
    assert_eq!(visits, 0);
    app.state.partner_usage.flush(app.store.as_ref()).await.unwrap();
    let day = app::partners::service::day_of(now);
    assert_eq!(app.store.partner_checks_on(shop, &day).await.unwrap(), 3, "events are counted as checks");

    // The command line asks which kinds an events key may send.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_carnet"))
        .args(["key", "create", "--partner", &shop.to_string(), "--scopes", "events"])
        .env("DATABASE_URL", app.database_url())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--event-kinds"), "{}", String::from_utf8_lossy(&out.stderr));
}

both_backends! {
    an_events_key_sends_its_kinds_within_its_quota,
    concurrent_deliveries_are_committed_together_and_each_answered,
    editing_a_contacts_source_moves_it_in_the_breakdown,
    the_events_api_records_good_events_and_says_why_it_refuses_bad_ones,
    a_retried_batch_with_an_idempotency_key_is_recorded_once,
    bounces_and_complaints_suppress_and_unsubscribes_end_subscriptions,
    statuses_are_list_filters_and_follow_the_settings,
    the_dashboard_counts_by_status_source_and_attrition,
    bulk_actions_run_as_jobs_over_the_whole_list,
    an_import_is_checked_whole_then_recorded_as_a_job,
    tracking_links_record_and_never_redirect_elsewhere,
}

/// SQLite keeps accepted events in `<database>.inbox`. Lost or deleted (say, a restore
/// of the main file without it), a new inbox numbers its events from 1 again: they are
/// still counted as waiting, and folded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_sqlite_inbox_is_counted_and_folded_from_its_start() {
    let fresh = common::fresh_db(Db::Sqlite).await;
    let event = |contact_id: app::model::ContactId| NewEvent {
        contact_id,
        kind: EventKind::Click,
        occurred_at: app::platform::clock::now() - 60,
        campaign: String::new(),
        meta: String::new(),
        detail: String::new(),
        actor: "test".into(),
    };
    let fields = ContactForm { email: "ann@example.com".into(), ..Default::default() }
        .validate(chrono::Utc::now().date_naive())
        .unwrap();
    {
        let store = common::store(&fresh).await;
        let ann = store.insert_contact(&fields, app::platform::clock::now(), "test").await.unwrap();
        store.queue_events(&[event(ann), event(ann), event(ann)]).await.unwrap();
        assert_eq!(store.fold_events(1_000).await.unwrap(), 3);
        assert_eq!(store.pending_events().await.unwrap(), 0);
    }
    let path = fresh.url.trim_start_matches("sqlite://").to_string();
    std::fs::remove_file(format!("{path}.inbox")).unwrap();
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}.inbox{suffix}"));
    }
    let store = common::store(&fresh).await;
    store.queue_events(&[event(app::model::ContactId(1)), event(app::model::ContactId(1))]).await.unwrap();
    assert_eq!(store.pending_events().await.unwrap(), 2, "the new inbox's events are waiting");
    assert_eq!(store.fold_events(1_000).await.unwrap(), 2);
    assert_eq!(store.pending_events().await.unwrap(), 0);
}
