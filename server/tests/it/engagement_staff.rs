//! The engagement pages over HTTP, as staff use them: the dashboard without
//! JavaScript, bulk actions that need confirming, manual interactions, the list export
//! and the events import, each with its role check.

use crate::common;

use app::model::Role;
use common::{Db, TestApp};

async fn seeded(db: Db) -> TestApp {
    let app = TestApp::spawn(db).await;
    carnet::seed::seed(app.store.as_ref(), 300, 11, 4.0, |_| {}).await.unwrap();
    app
}

async fn the_dashboard_renders_whole_without_javascript(db: Db) {
    let app = seeded(db).await;
    let viewer = app.login_as(Role::Viewer).await;
    let res = app.get(&viewer, "/engagement").await;
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.unwrap();
    for expected in [
        "Contacts per engagement status",
        "Contacts per status at the end of each month",
        "Which sources produce inactives",
        "LeadCo co-registration",
        "Attrition over the last 12 months",
        "/contacts?clean=never_opened",
    ] {
        assert!(html.contains(expected), "the server-rendered page shows {expected:?}");
    }
    assert!(html.contains("<svg"), "charts are SVG in the HTML");
    assert_eq!(app.get(&app.client(), "/engagement").await.status().as_u16(), 303, "anonymous → sign in");
}

async fn a_bulk_action_needs_its_confirmation(db: Db) {
    let app = seeded(db).await;
    let marketer = app.login_as(Role::Marketer).await;
    let form = [("list", "status=inactive"), ("action", "move_to_inactive_pool")];
    let (ok, answer) = app.call_json(&marketer, "engagement/bulk", &form).await;
    assert!(!ok);
    assert!(answer.to_string().contains("confirm"), "{answer}");
    assert!(app.store.recent_jobs(5).await.unwrap().is_empty(), "nothing started");
    let (ok, answer) = app
        .call_json(
            &marketer,
            "engagement/bulk",
            &[("list", "status=inactive"), ("action", "dance"), ("confirm", "yes")],
        )
        .await;
    assert!(!ok && answer.to_string().contains("action"), "{answer}");
    // Confirmed: a job for exactly the list's contacts, and the browser is sent to it.
    let res = app
        .call(
            &marketer,
            "engagement/bulk",
            &[("list", "status=inactive"), ("action", "move_to_inactive_pool"), ("confirm", "yes")],
        )
        .await;
    assert!(res.status().is_success() || res.status().is_redirection());
    let job = &app.store.recent_jobs(1).await.unwrap()[0];
    let bounds = app::engagement::service::settings(&app.state).await.unwrap().bounds(app::platform::clock::now());
    let inactive = app::model::ContactQuery {
        status: Some(app::model::engagement::EngagementStatus::Inactive),
        ..Default::default()
    };
    assert_eq!(job.total, app.store.count_matching(&inactive, &bounds).await.unwrap());
    assert!(job.total > 0);
}

async fn staff_add_interactions_by_hand_within_reason(db: Db) {
    let app = TestApp::spawn(db).await;
    let marketer = app.login_as(Role::Marketer).await;
    let fields =
        app::model::ContactForm { email: "ann@example.com".into(), channel: "web".into(), ..Default::default() }
            .validate(chrono::Utc::now().date_naive())
            .unwrap();
    let id =
        app.store.insert_contact(&fields, app::platform::clock::now() - 400 * 86_400, "t").await.unwrap().to_string();
    let (ok, answer) = app
        .call_json(
            &marketer,
            "contacts/interaction",
            &[("contact_id", &id), ("kind", "purchase"), ("day", "2999-01-01"), ("note", "")],
        )
        .await;
    assert!(!ok && answer.to_string().contains("future"), "{answer}");
    let (ok, answer) = app
        .call_json(
            &marketer,
            "contacts/interaction",
            &[("contact_id", &id), ("kind", "hard_bounce"), ("day", "2026-01-01"), ("note", "")],
        )
        .await;
    assert!(!ok && answer.to_string().contains("Choose what happened"), "staff cannot invent bounces: {answer}");
    let c = app.store.contact(id.parse().unwrap()).await.unwrap().unwrap();
    assert_eq!((c.last_signal_at, c.purchase_count), (None, 0), "nothing recorded");
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let (ok, _) = app
        .call_json(
            &marketer,
            "contacts/interaction",
            &[("contact_id", &id), ("kind", "purchase"), ("day", &today), ("note", "paid cash")],
        )
        .await;
    assert!(ok);
    let c = app.store.contact(id.parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(c.purchase_count, 1);
    assert!(app::platform::clock::now() - c.last_signal_at.unwrap() < 60);
    let entry = &app.store.timeline(c.id, 1).await.unwrap()[0];
    assert_eq!((entry.kind.as_str(), entry.detail.as_str()), ("purchase", "paid cash"));
    assert!(entry.actor.contains("@staff.example"), "who did it is recorded");
}

async fn the_list_exports_as_csv_for_editors_only(db: Db) {
    let app = seeded(db).await;
    let viewer = app.login_as(Role::Viewer).await;
    assert_eq!(app.get(&viewer, "/contacts/export.csv?status=inactive").await.status().as_u16(), 403);
    assert_eq!(app.get(&app.client(), "/contacts/export.csv").await.status().as_u16(), 303);
    let marketer = app.login_as(Role::Marketer).await;
    let res = app.get(&marketer, "/contacts/export.csv?status=inactive&channel=partner").await;
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("\u{feff}id,email,first_name"), "a BOM, then the header");
    let bounds = app::engagement::service::settings(&app.state).await.unwrap().bounds(app::platform::clock::now());
    let q = app::model::ContactQuery::from_query_string("status=inactive&channel=partner");
    assert_eq!(lines.len() as i64 - 1, app.store.count_matching(&q, &bounds).await.unwrap());
    assert!(lines[1..].iter().all(|l| l.contains(",partner,") && l.contains(",inactive,")), "only the list's rows");
}

async fn an_events_file_is_checked_then_imported_with_progress(db: Db) {
    let app = TestApp::spawn(db).await;
    let fields =
        app::model::ContactForm { email: "ann@example.com".into(), channel: "web".into(), ..Default::default() }
            .validate(chrono::Utc::now().date_naive())
            .unwrap();
    let id = app.store.insert_contact(&fields, app::platform::clock::now(), "t").await.unwrap();
    let viewer = app.login_as(Role::Viewer).await;
    let upload = |client: reqwest::Client, csv: &str| {
        let (content_type, body) = common::multipart(csv);
        let url = format!("{}/engagement/import", app.base);
        let origin = app.base.clone();
        async move {
            client
                .post(url)
                .header("origin", origin)
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(upload(viewer, "email,type,occurred_at\n").await.status().as_u16(), 403);
    let marketer = app.login_as(Role::Marketer).await;
    // A bad file: back to the form, every problem listed once, nothing imported.
    let res = upload(marketer.clone(), "email,type,occurred_at\nann@example.com,click,2026-11-01T10:00:00Z\nann@example.com,clicked,2026-11-01T10:00:00Z\n").await;
    assert_eq!(res.headers()["location"], "/engagement/import");
    let page = app.get(&marketer, "/engagement/import").await.text().await.unwrap();
    assert!(page.contains("Nothing was imported") && page.contains("Line 3: unknown type"), "errors are shown");
    let again = app.get(&marketer, "/engagement/import").await.text().await.unwrap();
    assert!(!again.contains("Line 3"), "and only once");
    assert!(app.store.contact(id).await.unwrap().unwrap().last_click_at.is_none());
    // A good file: a job, whose page shows progress until done.
    let res = upload(marketer.clone(), "email,type,occurred_at\nann@example.com,click,2026-11-01T10:00:00Z\n").await;
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/jobs/"), "{location}");
    let job_id: app::model::JobId = location.trim_start_matches("/jobs/").parse().unwrap();
    for _ in 0..100 {
        if app.store.job(job_id).await.unwrap().unwrap().finished() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let page = app.get(&marketer, &location).await.text().await.unwrap();
    assert!(page.contains("Done") && page.contains("1 events imported"), "the progress page tells");
    assert!(app.store.contact(id).await.unwrap().unwrap().last_click_at.is_some());
}

both_backends! {
    the_dashboard_renders_whole_without_javascript,
    a_bulk_action_needs_its_confirmation,
    staff_add_interactions_by_hand_within_reason,
    the_list_exports_as_csv_for_editors_only,
    an_events_file_is_checked_then_imported_with_progress,
}
