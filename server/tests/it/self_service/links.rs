//! Personal links on both backends: a mailed link opens the contact's own page and only
//! theirs; scanners' GETs use nothing; a link works once and for days, then says so and
//! offers a new one; staff and contact sessions never stand in for each other.

use crate::common;

use app::model::{ContactForm, Role};
use app::platform::clock::now;
use app::self_service::service as links;
use common::{Db, TestApp};

const DAY: i64 = 86_400;

async fn contact(app: &TestApp, email: &str, first: &str) -> app::model::ContactId {
    let fields = ContactForm { email: email.into(), first_name: first.into(), ..Default::default() }
        .validate(chrono::Utc::now().date_naive())
        .unwrap();
    app.store.insert_contact(&fields, now(), "test").await.unwrap()
}

/// The link's path (the test server's public URL is not where the app listens).
fn path_of(link: &str) -> String {
    format!("/p/{}", link.rsplit_once("/p/").unwrap().1)
}

async fn a_mailed_link_opens_the_contacts_own_page_once(db: Db) {
    let app = TestApp::spawn(db).await;
    let ann = contact(&app, "ann@example.com", "Ann").await;
    contact(&app, "bob@example.com", "Bob").await;
    let mail = links::send_link(&app.state, ann, now()).await.unwrap();
    let queued = app.store.mail(mail).await.unwrap().unwrap();
    assert_eq!((queued.to.as_str(), queued.kind.as_str()), ("ann@example.com", "profile_link"));
    assert!(queued.unsubscribe_url.is_some(), "every mail to a contact can unsubscribe in one click");
    // The mail's links are tracked: both parts go through a signed click redirect, and
    // the HTML part carries the open pixel.
    let tracked = queued.text.split_whitespace().find(|w| w.contains("/t/c/")).expect("a tracked link").to_string();
    assert!(!queued.text.contains("/p/"), "no untracked link: {}", queued.text);
    assert!(queued.html.contains("/t/c/") && queued.html.contains("/t/o/"), "{}", queued.html);
    let click_path = format!("/t/c/{}", tracked.rsplit_once("/t/c/").unwrap().1);
    let redirect = app.client().get(format!("{}{click_path}", app.base)).send().await.unwrap();
    assert!(redirect.status().is_redirection(), "{}", redirect.status());
    let link = redirect.headers()["location"].to_str().unwrap().to_string();
    app.settle().await;
    let clicked = app.store.contact(ann).await.unwrap().unwrap();
    assert!(clicked.last_click_at.is_some(), "opening the personal link from the mail is a click");
    let path = path_of(&link);
    assert!(path.len() > 40, "256 bits of token");

    // A mail scanner fetching the link uses nothing.
    let scanner = app.client();
    for _ in 0..3 {
        let page = scanner.get(format!("{}{path}", app.base)).send().await.unwrap();
        assert_eq!(page.status().as_u16(), 200);
        // The token never leaves as a referrer, and the page's own form still posts with
        // its origin (under `no-referrer`, browsers send `Origin: null`: refused).
        assert_eq!(page.headers()["referrer-policy"], "same-origin");
        assert!(page.text().await.unwrap().contains(">Continue</button>"));
    }

    // The person presses Continue: their own page, at a URL without the token.
    let person = app.client();
    let res = person.post(format!("{}{path}", app.base)).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(res.headers()["location"], "/me");
    let me = app.get(&person, "/me").await.text().await.unwrap();
    assert!(me.contains("ann@example.com") && me.contains("value=\"Ann\""), "{me}");
    assert!(!me.contains("bob@example.com"), "only their own data");
    // A contact's session is not a staff session.
    let staff_page = app.get(&person, "/contacts").await;
    assert!(staff_page.status().is_redirection(), "{}", staff_page.status());

    // Used once: a second use says so and offers a new link, sent to the address on file.
    let again = app.client().post(format!("{}{path}", app.base)).send().await.unwrap();
    assert_eq!(again.status().as_u16(), 410);
    let text = again.text().await.unwrap();
    assert!(text.contains("already used") && text.contains("Mail me a new link"), "{text}");
    let before = app.store.mail_counts().await.unwrap().queued;
    let res = app.client().post(format!("{}{path}/resend", app.base)).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(app.store.mail_counts().await.unwrap().queued, before + 1);
    let newest = app.store.recent_mails(None, 1).await.unwrap().remove(0);
    assert_eq!(newest.to, "ann@example.com");
    assert!(!newest.text.contains(&link), "a fresh link, not the used one");
}

async fn an_expired_link_says_so_and_opens_nothing(db: Db) {
    let app = TestApp::spawn(db).await;
    let ann = contact(&app, "ann@example.com", "Ann").await;
    // Issued 15 days ago; links work for 14.
    let link = links::new_link(&app.state, ann, now() - 15 * DAY).await.unwrap();
    let path = path_of(&link);
    let client = app.client();
    let page = client.get(format!("{}{path}", app.base)).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 410);
    assert!(page.text().await.unwrap().contains("expired"));
    let res = client.post(format!("{}{path}", app.base)).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 410);
    let me = app.get(&client, "/me").await.text().await.unwrap();
    assert!(me.contains("opens with the personal link") && !me.contains("ann@example.com"), "{me}");

    // Still valid on its last day.
    let fresh = links::new_link(&app.state, ann, now() - 13 * DAY).await.unwrap();
    let res = client.post(format!("{}{}", app.base, path_of(&fresh))).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 303);
}

async fn unknown_tokens_and_staff_sessions_open_no_profile(db: Db) {
    let app = TestApp::spawn(db).await;
    let ann = contact(&app, "ann@example.com", "Ann").await;
    let link = links::new_link(&app.state, ann, now()).await.unwrap();
    let mut damaged = path_of(&link);
    damaged.pop();
    let res = app.client().post(format!("{}{damaged}", app.base)).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 404);
    let res = app.client().post(format!("{}{damaged}/resend", app.base)).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200, "the same answer, whatever the token");
    assert_eq!(app.store.mail_counts().await.unwrap().queued, 0, "and nothing sent");

    // A staff member's session shows no contact's profile.
    let admin = app.login_as(Role::Admin).await;
    let me = app.get(&admin, "/me").await.text().await.unwrap();
    assert!(!me.contains("ann@example.com"), "{me}");
    // The link was not used by any of this.
    let res = app.client().post(format!("{}{}", app.base, path_of(&link))).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 303);
}

async fn a_contact_completes_their_profile_and_chooses_what_they_receive(db: Db) {
    let app = TestApp::spawn(db).await;
    let ann = contact(&app, "ann@example.com", "Ann").await;
    let weekly = app.store.ensure_newsletter("Weekly", "").await.unwrap();
    let client = app.contact_session(ann).await;

    // The B2C fields: first name filled, 1 of 8.
    let page = app.get(&client, "/me").await.text().await.unwrap();
    assert!(page.contains("12 %") && page.contains("Your profile"), "{page}");
    let fr = app.get(&client, "/me?lang=fr").await.text().await.unwrap();
    assert!(fr.contains("Votre profil") && fr.contains("Code postal"), "{fr}");

    // A bad phone number: refused with its reason, nothing saved.
    let bad = app.call(&client, "me/save", &[("profile[last_name]", "Lee"), ("profile[phone]", "call me!")]).await;
    let why = bad.text().await.unwrap();
    assert!(why.contains("Invalid") && why.contains("phone"), "{why}");
    assert_eq!(app.store.contact(ann).await.unwrap().unwrap().fields.last_name, "");

    let full = [
        ("profile[first_name]", "Ann"),
        ("profile[last_name]", "Lee"),
        ("profile[phone]", "+33 6 12 34 56 78"),
        ("profile[birth_date]", "1990-04-01"),
        ("profile[postal_code]", "69001"),
        ("profile[city]", "Lyon"),
        ("profile[country]", "France"),
        ("profile[interests]", "running, cooking"),
        ("profile[job_title]", "not shown, so not taken"),
    ];
    let res = app.call(&client, "me/save", &full).await;
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(res.text().await.unwrap(), "100");
    let saved = app.store.contact(ann).await.unwrap().unwrap();
    assert_eq!((saved.fields.last_name.as_str(), saved.fields.city.as_str()), ("Lee", "Lyon"));
    assert_eq!(saved.fields.job_title, "", "only the fields shown to the person");
    app.settle().await; // the interaction is accepted at once and applied by the folder
    assert_eq!(app.store.timeline(ann, 3).await.unwrap()[0].kind, "profile_update", "an interaction");
    assert!(app.get(&client, "/me").await.text().await.unwrap().contains("100 %"));

    // Choosing a newsletter, with the words clicked as the evidence.
    let res =
        app.call(&client, "me/subscription", &[("newsletter_id", &weekly.to_string()), ("subscribe", "true")]).await;
    assert!(res.status().is_success(), "{}", res.status());
    let sub = app.store.subscriptions(ann).await.unwrap().into_iter().find(|s| s.newsletter.id == weekly).unwrap();
    assert_eq!(sub.state, app::model::SubscriptionState::Subscribed);
    assert_eq!((sub.consent.channel.as_str(), sub.consent.text.as_str()), ("self-service", "Send me “Weekly”"));

    // Without a contact session, none of it.
    let stranger = app.client();
    let res = app.call(&stranger, "me/save", &full).await;
    assert!(res.text().await.unwrap().contains("Unauthenticated"));
    assert_eq!(app.store.contact(ann).await.unwrap().unwrap().fields.job_title, "");
}

async fn a_person_downloads_their_data_then_erases_it(db: Db) {
    let app = TestApp::spawn(db).await;
    let fields = ContactForm {
        email: "ann@example.com".into(),
        first_name: "Ann".into(),
        last_name: "Lee".into(),
        phone: "+33 6 12 34 56 78".into(),
        city: "Lyon".into(),
        ..Default::default()
    }
    .validate(chrono::Utc::now().date_naive())
    .unwrap();
    let ann = app.store.insert_contact(&fields, now(), "test").await.unwrap();
    let weekly = app.store.ensure_newsletter("Weekly", "").await.unwrap();
    let client = app.contact_session(ann).await;
    app.call(&client, "me/subscription", &[("newsletter_id", &weekly.to_string()), ("subscribe", "true")]).await;

    // Their data, as a file: profile, subscriptions with evidence, timeline.
    let res = app.get(&client, "/me/data.json").await;
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    let data: serde_json::Value = res.json().await.unwrap();
    assert_eq!(data["profile"]["email"], "ann@example.com");
    assert_eq!(data["profile"]["city"], "Lyon");
    assert_eq!(data["subscriptions"][0]["consent"]["channel"], "self-service");
    assert!(!data["timeline"].as_array().unwrap().is_empty());
    // Nobody else's: without their session, nothing.
    assert_eq!(app.get(&app.client(), "/me/data.json").await.status().as_u16(), 401);

    // "Delete me" needs the box ticked: refused, nothing erased.
    let refused = app.call(&client, "me/erase", &[]).await.text().await.unwrap();
    assert!(refused.contains("confirm"), "{refused}");
    assert_eq!(app.store.contact(ann).await.unwrap().unwrap().fields.first_name, "Ann");

    let res = app.call(&client, "me/erase", &[("confirm", "yes")]).await;
    assert!(res.status().is_success(), "{}", res.status());
    let erased = app.store.contact(ann).await.unwrap().unwrap();
    assert_ne!(erased.fields.email.as_str(), "ann@example.com");
    assert_eq!(
        (erased.fields.first_name.as_str(), erased.fields.phone.as_str(), erased.fields.city.as_str()),
        ("", "", "")
    );
    assert!(erased.suppressed_at.is_some(), "never mailed again");
    // The hashes stay: partners' checks still know the address, so it is never bought again.
    let md5 = app::model::Email::parse("ann@example.com").unwrap().md5_hex();
    assert_eq!(erased.email_md5, md5);
    assert_eq!(app.store.known_md5(&[md5]).await.unwrap().len(), 1);
    let subs = app.store.subscriptions(ann).await.unwrap();
    assert!(subs.iter().all(|s| s.state == app::model::SubscriptionState::Unsubscribed));
    // Events still arriving (an old tracking pixel) do not grow a timeline again, and no
    // link is mailed to the erased address.
    let late = app::store::NewEvent {
        contact_id: ann,
        kind: app::model::events::EventKind::Purchase,
        occurred_at: now(),
        campaign: String::new(),
        meta: String::new(),
        detail: String::new(),
        actor: "tracking".into(),
    };
    app.state.event_writer.record_applied(&app.store, vec![late]).await.unwrap();
    assert!(matches!(links::send_link(&app.state, ann, now()).await, Err(app::error::AppError::Refused(_))));
    assert_eq!(app.store.contact(ann).await.unwrap().unwrap().purchase_count, 0);
    let timeline = app.store.timeline(ann, 10).await.unwrap();
    assert_eq!(timeline.iter().map(|a| a.kind.as_str()).collect::<Vec<_>>(), ["erased"]);
    // Their session ended; the page says what happened.
    let me = app.get(&client, "/me?erased=1").await.text().await.unwrap();
    assert!(me.contains("Your data was erased") && !me.contains("Lyon"), "{me}");
    assert_eq!(app.get(&client, "/me/data.json").await.status().as_u16(), 401);
}

async fn only_our_own_links_are_tracked(db: Db) {
    let app = TestApp::spawn(db).await;
    let mallory = contact(&app, "mallory@example.com", "https://evil.example/login").await;
    let mail = links::send_link(&app.state, mallory, now()).await.unwrap();
    let queued = app.store.mail(mail).await.unwrap().unwrap();
    assert!(queued.text.contains("Hello https://evil.example/login,"), "the name is quoted as it is: {}", queued.text);
    assert_eq!(queued.text.matches("/t/c/").count(), 1, "only the personal link is tracked: {}", queued.text);
}

/// After "Delete me", nothing writes to the person again: not their other open session
/// (a second device), not staff editing the contact (which would recompute the kept
/// hashes from the placeholder, and the person would stop being known to partners).
async fn an_erased_person_is_never_written_again(db: Db) {
    let app = TestApp::spawn(db).await;
    let ann = contact(&app, "ann@example.com", "Ann").await;
    let (phone, laptop) = (app.contact_session(ann).await, app.contact_session(ann).await);
    assert!(app.call(&laptop, "me/get", &[]).await.status().is_success());
    let res = app.call(&phone, "me/erase", &[("confirm", "yes")]).await;
    assert!(res.status().is_success() || res.status().is_redirection(), "{}", res.status());
    let hashes = app.store.contact(ann).await.unwrap().unwrap().email_sha256;

    let (ok, answer) = app.call_json(&laptop, "me/get", &[]).await;
    assert!(!ok && answer == serde_json::json!("Unauthenticated"), "the other session ended: {answer}");
    let save = app.call(&laptop, "me/save", &[("profile[first_name]", "Ann again")]).await;
    assert!(!save.status().is_success(), "{}", save.status());
    assert_eq!(app.get(&laptop, "/me/data.json").await.status().as_u16(), 401);

    let staff = app.login_as(Role::Marketer).await;
    let form = common::contact_form(&[("email", "ann@example.com"), ("first_name", "Ann")]);
    let mut fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let id = ann.to_string();
    fields.push(("id", &id));
    let (ok, body) = app.call_json(&staff, "contacts/update", &fields).await;
    assert!(!ok && body.to_string().contains("erased"), "{body}");
    let after = app.store.contact(ann).await.unwrap().unwrap();
    assert_eq!((after.email_sha256, after.fields.first_name.as_str()), (hashes, ""), "nothing changed");
}

/// The mail's HTML is built by the framework: what the person typed as their name is
/// text in the mail, never markup.
async fn a_name_with_markup_is_text_in_the_mail(db: Db) {
    let app = TestApp::spawn(db).await;
    let ann = contact(&app, "ann@example.com", "<b>Ann</b> & Co").await;
    let mail = links::send_link(&app.state, ann, now()).await.unwrap();
    let html = app.store.mail(mail).await.unwrap().unwrap().html;
    assert!(html.contains("Hello &lt;b&gt;Ann&lt;/b&gt; &amp; Co,"), "{html}");
    assert!(!html.contains("<b>"), "{html}");
    assert!(html.contains("<img src=\"") && html.contains("/t/o/"), "the open pixel: {html}");
}

both_backends! {
    an_erased_person_is_never_written_again,
    a_name_with_markup_is_text_in_the_mail,
    only_our_own_links_are_tracked,
    a_person_downloads_their_data_then_erases_it,
    a_contact_completes_their_profile_and_chooses_what_they_receive,
    a_mailed_link_opens_the_contacts_own_page_once,
    an_expired_link_says_so_and_opens_nothing,
    unknown_tokens_and_staff_sessions_open_no_profile,
}
