//! Self-service settings on both backends: staff choose the profile's fields (and the
//! meter counts those), and the yearly refresh mails stale profiles their link, an
//! hourly share at a time, skipping the unsubscribed, the suppressed and the recently
//! asked.

use crate::common;

use app::model::contact::ConsentEvidence;
use app::model::{ContactForm, Role, SubscriptionState};
use app::platform::clock::now;
use app::self_service::service as selfservice;
use common::{Db, TestApp};

const DAY: i64 = 86_400;

async fn contact(
    app: &TestApp,
    email: &str,
    created_at: app::model::Timestamp,
    subscribed: Option<bool>,
) -> app::model::ContactId {
    let fields = ContactForm { email: email.into(), first_name: "Ann".into(), ..Default::default() }
        .validate(chrono::Utc::now().date_naive())
        .unwrap();
    let id = app.store.insert_contact(&fields, created_at, "test").await.unwrap();
    if let Some(on) = subscribed {
        let news = app.store.ensure_newsletter("Weekly", "").await.unwrap();
        let state = if on { SubscriptionState::Subscribed } else { SubscriptionState::Unsubscribed };
        let consent = ConsentEvidence { at: created_at, channel: "web".into(), form: "f".into(), text: "yes".into() };
        app.store.set_subscription(id, news, state, &consent).await.unwrap();
    }
    id
}

async fn staff_choose_the_fields_and_the_meter_counts_them(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.login_as(Role::Admin).await;
    // None chosen: refused, nothing changed.
    let refused = app.call(&admin, "self-service/settings/save", &[("refresh_per_day", "100")]).await;
    assert!(refused.text().await.unwrap().contains("chosen"));
    assert_eq!(selfservice::profile_fields(&app.state).await.unwrap(), app::model::profile::ProfileField::B2C.to_vec());

    let b2b = [("chosen[job_title]", "on"), ("chosen[company]", "on"), ("refresh_per_day", "100")];
    assert!(app.call(&admin, "self-service/settings/save", &b2b).await.status().is_success());
    let ann = contact(&app, "ann@example.com", now(), None).await;
    let client = app.contact_session(ann).await;
    let page = app.get(&client, "/me").await.text().await.unwrap();
    assert!(page.contains("Company") && !page.contains("Birth date") && page.contains("0 %"), "{page}");
    let res = app.call(&client, "me/save", &[("profile[job_title]", "Buyer"), ("profile[company]", "")]).await;
    assert_eq!(res.text().await.unwrap(), "50");
}

async fn the_yearly_refresh_mails_stale_profiles_and_skips_the_unwilling(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = now();
    let stale = contact(&app, "stale@example.com", t - 400 * DAY, Some(true)).await;
    contact(&app, "left@example.com", t - 400 * DAY, Some(false)).await;
    let bounced = contact(&app, "bounced@example.com", t - 400 * DAY, Some(true)).await;
    let consent = ConsentEvidence { at: t, channel: "events".into(), form: "test".into(), text: "bounce".into() };
    app.store.suppress_contacts(&[bounced], "hard_bounce", &consent, "test").await.unwrap();
    contact(&app, "fresh@example.com", t - 10 * DAY, Some(true)).await;
    let asked = contact(&app, "asked@example.com", t - 400 * DAY, Some(true)).await;
    selfservice::new_link(&app.state, asked, t - 100 * DAY).await.unwrap();

    // Off by default.
    assert_eq!(app::self_service::refresh::yearly_refresh_tick(&app.state, t).await.unwrap(), 0);
    let admin = app.login_as(Role::Admin).await;
    let on = [("chosen[first_name]", "on"), ("refresh_enabled", "yes"), ("refresh_per_day", "48")];
    assert!(app.call(&admin, "self-service/settings/save", &on).await.status().is_success());

    // Two instances reach the hour together: one claims it and sends its share.
    let other = app::state::AppState::new(app.store.clone(), common::test_settings());
    let (a, b) = tokio::join!(
        app::self_service::refresh::yearly_refresh_tick(&app.state, t),
        app::self_service::refresh::yearly_refresh_tick(&other, t)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1, "the hour's share is sent once");
    let mails = app.store.recent_mails(None, 10).await.unwrap();
    let to: Vec<&str> = mails.iter().filter(|m| m.kind == "profile_link").map(|m| m.to.as_str()).collect();
    assert_eq!(to, ["stale@example.com"]);
    assert_eq!(mails[0].contact_id, Some(stale));
    // Once an hour, and never twice to the same person within the year.
    assert_eq!(app::self_service::refresh::yearly_refresh_tick(&app.state, t + 60).await.unwrap(), 0);
    assert_eq!(app::self_service::refresh::yearly_refresh_tick(&app.state, t + 3_601).await.unwrap(), 0);
}

async fn a_person_pauses_a_newsletter_and_picks_sms(db: Db) {
    let app = TestApp::spawn(db).await;
    let ann = contact(&app, "ann@example.com", now(), Some(true)).await;
    let weekly = app.store.ensure_newsletter("Weekly", "").await.unwrap().to_string();
    let client = app.contact_session(ann).await;
    let t = now();
    let res = app.call(&client, "me/pause", &[("newsletter_id", &weekly), ("months", "3")]).await;
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    let paused = app.store.paused_subscriptions(ann).await.unwrap();
    assert_eq!(paused.len(), 1);
    assert!((paused[0].until - (t + 90 * DAY)).abs() < 60, "three months of 30 days");
    let sub = app.store.subscriptions(ann).await.unwrap().remove(0);
    assert_eq!(sub.state, SubscriptionState::Subscribed, "still subscribed, only paused");
    assert_eq!(sub.consent.text, "Pause “Weekly” for 3 months");
    assert!(app.get(&client, "/me").await.text().await.unwrap().contains("Paused until"));

    // Only 1, 3 or 6 months; resuming clears it.
    let odd = app.call(&client, "me/pause", &[("newsletter_id", &weekly), ("months", "12")]).await;
    assert!(odd.text().await.unwrap().contains("BadRequest"));
    app.call(&client, "me/pause", &[("newsletter_id", &weekly), ("months", "0")]).await;
    assert!(app.store.paused_subscriptions(ann).await.unwrap().is_empty());

    assert_eq!(app.store.preferred_channel(ann).await.unwrap(), "email");
    assert!(app.call(&client, "me/channel", &[("channel", "sms"), ("lang", "fr")]).await.status().is_success());
    assert_eq!(app.store.preferred_channel(ann).await.unwrap(), "sms");
    let timeline = app.store.timeline(ann, 10).await.unwrap();
    assert!(
        timeline.iter().any(|a| a.kind == "preference" && a.detail.contains("“Par SMS”")),
        "the choice's words as evidence: {timeline:?}"
    );
    let bad = app.call(&client, "me/channel", &[("channel", "pigeon")]).await;
    assert!(bad.text().await.unwrap().contains("BadRequest"));
    assert_eq!(app.store.preferred_channel(ann).await.unwrap(), "sms");
}

both_backends! {
    a_person_pauses_a_newsletter_and_picks_sms,
    staff_choose_the_fields_and_the_meter_counts_them,
    the_yearly_refresh_mails_stale_profiles_and_skips_the_unwilling,
}
