//! Mail on both backends, through a real SMTP server on loopback: what a message
//! carries (both parts, the RFC 8058 headers), SMTP outages (queued, retried later,
//! nothing lost), refusals (given up, shown), and the one-click unsubscribe itself.

use crate::common;

use app::mail::service as mail;
use app::mail::NewMail;
use app::model::contact::ConsentEvidence;
use app::model::{ContactForm, SubscriptionState};
use app::platform::clock::now;
use app::state::AppState;
use common::{smtp, Db, TestApp};
use std::sync::Arc;

/// The app, and a state that sends through the test SMTP server on `port`. The server's
/// own delivery rounds stay off, so each test decides when mail goes out (and at which
/// "now"); `/mail` then says no server is configured.
async fn app_with_smtp(db: Db, port: u16) -> (TestApp, AppState) {
    let transport = carnet::smtp::Smtp::new(&format!("smtp://127.0.0.1:{port}"), "Brand <news@brand.example>").unwrap();
    let app = TestApp::spawn(db).await;
    let sender = app.state.clone().with_mailer(Arc::new(transport));
    (app, sender)
}

async fn subscribed_contact(app: &TestApp, email: &str) -> (app::model::ContactId, app::model::NewsletterId) {
    let fields = ContactForm { email: email.into(), first_name: "Ann".into(), ..Default::default() }
        .validate(chrono::Utc::now().date_naive())
        .unwrap();
    let id = app.store.insert_contact(&fields, now(), "test").await.unwrap();
    let news = app.store.ensure_newsletter("Weekly", "").await.unwrap();
    let consent =
        ConsentEvidence { at: now(), channel: "web".into(), form: "footer".into(), text: "Yes please".into() };
    app.store.set_subscription(id, news, SubscriptionState::Subscribed, &consent).await.unwrap();
    (id, news)
}

async fn letter(app: &TestApp, contact_id: app::model::ContactId, to: &str) -> NewMail {
    NewMail {
        contact_id: Some(contact_id),
        kind: "test".into(),
        to: to.into(),
        subject: "Your profile".into(),
        text: "Hello in plain text".into(),
        html: "<p>Hello in <b>HTML</b></p>".into(),
        unsubscribe_url: Some(mail::unsubscribe_url(&app.state, contact_id).await.unwrap()),
    }
}

async fn a_mail_carries_both_parts_and_the_one_click_headers(db: Db) {
    let port = smtp::free_port().await;
    let inbox = smtp::serve(port).await;
    let (app, sender) = app_with_smtp(db, port).await;
    let (id, _) = subscribed_contact(&app, "ann@example.com").await;
    let queued = mail::queue(&app.state, &letter(&app, id, "ann@example.com").await).await.unwrap();
    assert_eq!(mail::deliver_due(&sender, now()).await.unwrap(), 1);
    let messages = inbox.messages();
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    let unsubscribe = format!("List-Unsubscribe: <{}/u/", app.state.settings.public_url);
    assert!(m.contains(&unsubscribe), "{m}");
    assert!(m.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"), "{m}");
    assert!(m.contains("Content-Type: text/plain") && m.contains("Content-Type: text/html"), "{m}");
    assert!(m.contains("Subject: Your profile") && m.contains("To: ann@example.com"), "{m}");
    let row = app.store.mail(queued).await.unwrap().unwrap();
    assert_eq!((row.state.as_str(), row.attempts, row.sent_at.is_some()), ("sent", 1, true));
    assert_eq!(mail::deliver_due(&sender, now()).await.unwrap(), 0, "sent once");
}

async fn the_server_sends_queued_mail_by_itself(db: Db) {
    let port = smtp::free_port().await;
    let inbox = smtp::serve(port).await;
    let transport = carnet::smtp::Smtp::new(&format!("smtp://127.0.0.1:{port}"), "Brand <news@brand.example>").unwrap();
    let app = TestApp::spawn_with_mailer(db, common::test_settings(), Some(Arc::new(transport))).await;
    let (id, _) = subscribed_contact(&app, "ann@example.com").await;
    let queued = mail::queue(&app.state, &letter(&app, id, "ann@example.com").await).await.unwrap();
    for _ in 0..100 {
        if app.store.mail(queued).await.unwrap().unwrap().state == "sent" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(app.store.mail(queued).await.unwrap().unwrap().state, "sent", "sent within 10 s by the delivery rounds");
    assert_eq!(inbox.messages().len(), 1);
}

async fn an_smtp_outage_keeps_mail_until_the_server_is_back(db: Db) {
    let port = smtp::free_port().await; // nothing listens there yet
    let (app, sender) = app_with_smtp(db, port).await;
    let (id, _) = subscribed_contact(&app, "ann@example.com").await;
    let queued = mail::queue(&app.state, &letter(&app, id, "ann@example.com").await).await.unwrap();
    let t0 = now();
    assert_eq!(mail::deliver_due(&sender, t0).await.unwrap(), 0);
    let row = app.store.mail(queued).await.unwrap().unwrap();
    assert_eq!((row.state.as_str(), row.attempts), ("queued", 1));
    assert!(!row.last_error.is_empty(), "staff see why");
    assert!(row.next_attempt_at >= t0 + 60, "retried later, not in a loop");

    let inbox = smtp::serve(port).await;
    assert_eq!(mail::deliver_due(&sender, t0 + 1).await.unwrap(), 0, "not due yet");
    assert_eq!(mail::deliver_due(&sender, row.next_attempt_at).await.unwrap(), 1);
    assert_eq!(inbox.messages().len(), 1);
    let row = app.store.mail(queued).await.unwrap().unwrap();
    assert_eq!((row.state.as_str(), row.attempts, row.last_error.as_str()), ("sent", 2, ""));
}

async fn a_refused_address_is_given_up_and_can_be_retried_by_staff(db: Db) {
    let port = smtp::free_port().await;
    let inbox = smtp::serve(port).await;
    let (app, sender) = app_with_smtp(db, port).await;
    let (id, _) = subscribed_contact(&app, "refused@example.com").await;
    let queued = mail::queue(&app.state, &letter(&app, id, "refused@example.com").await).await.unwrap();
    assert_eq!(mail::deliver_due(&sender, now()).await.unwrap(), 0);
    let row = app.store.mail(queued).await.unwrap().unwrap();
    assert_eq!(row.state, "failed", "a 5xx is not retried: {row:?}");
    assert!(row.last_error.contains("550"), "{}", row.last_error);
    assert_eq!(mail::deliver_due(&sender, now() + 10 * 86_400).await.unwrap(), 0, "never again by itself");

    // Staff see it on /mail (server-rendered, no JavaScript needed) and send it again.
    let admin = app.login_as(app::model::Role::Admin).await;
    let page = app.get(&admin, "/mail").await.text().await.unwrap();
    assert!(page.contains("Given up") && page.contains("550") && page.contains("refused@example.com"), "{page}");
    let res = app.call(&admin, "mail/retry", &[("id", &queued.to_string())]).await;
    assert!(res.status().is_success() || res.status().is_redirection(), "{}", res.status());
    assert_eq!(app.store.mail(queued).await.unwrap().unwrap().state, "queued");
    assert!(inbox.messages().is_empty());
    assert_eq!(app.store.mail_counts().await.unwrap(), app::store::MailCounts { queued: 1, sent: 0, failed: 0 });
}

async fn one_click_unsubscribe_posts_without_a_cookie_and_gets_change_nothing(db: Db) {
    let app = TestApp::spawn(db).await;
    let (id, news) = subscribed_contact(&app, "ann@example.com").await;
    let url = mail::unsubscribe_url(&app.state, id).await.unwrap();
    let path = url.split_once("/u/").unwrap().1;
    let target = format!("{}/u/{path}", app.base);
    let state_of = |subs: Vec<app::model::contact::Subscription>| {
        subs.into_iter().find(|s| s.newsletter.id == news).map(|s| (s.state, s.consent)).unwrap()
    };

    // A person (or a mail scanner) following the link: a page with a button, no change.
    let res = app.client().get(&target).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.text().await.unwrap().contains("<form method=\"post\""));
    assert_eq!(state_of(app.store.subscriptions(id).await.unwrap()).0, SubscriptionState::Subscribed);

    // A forged or damaged token changes nothing.
    let forged = format!("{}/u/{}x", app.base, path);
    let res = reqwest::Client::new().post(&forged).body("List-Unsubscribe=One-Click").send().await.unwrap();
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(state_of(app.store.subscriptions(id).await.unwrap()).0, SubscriptionState::Subscribed);

    // The mail provider's POST: no cookie, no session, from elsewhere.
    let res = reqwest::Client::new()
        .post(&target)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", "https://mail.provider.example")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let (state, consent) = state_of(app.store.subscriptions(id).await.unwrap());
    assert_eq!(state, SubscriptionState::Unsubscribed);
    assert!(consent.form.contains("RFC 8058"), "the evidence says how: {consent:?}");
    let timeline = app.store.timeline(id, 5).await.unwrap();
    assert_eq!(timeline[0].kind, "unsubscribe");
}

both_backends! {
    a_mail_carries_both_parts_and_the_one_click_headers,
    the_server_sends_queued_mail_by_itself,
    an_smtp_outage_keeps_mail_until_the_server_is_back,
    a_refused_address_is_given_up_and_can_be_retried_by_staff,
    one_click_unsubscribe_posts_without_a_cookie_and_gets_change_nothing,
}
