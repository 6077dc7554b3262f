//! The public sign-up form and staff's quick entry, on both backends: double opt-in with
//! its consent evidence, bots (honeypot, time trap, proof of work, replays) and
//! allowances that get the same page with nothing stored or sent, a known contact's data
//! kept, and a suppressed address never mailed.

use crate::common;

use app::model::{Channel, ContactForm, Role, SubscriptionState};
use app::platform::clock::now;
use app::platform::signing::{Purpose, Signer};
use app::signup::Ticket;
use app::state::{Settings, SignupDefence};
use common::{test_settings, Db, TestApp};

fn with_defence(defence: SignupDefence) -> Settings {
    Settings { signup: defence, ..test_settings() }
}

/// The value of a hidden input in a page.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {name} in {html}")) + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

async fn form_ticket(app: &TestApp, query: &str) -> String {
    let page = app.client().get(format!("{}/subscribe{query}", app.base)).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    hidden(&page.text().await.unwrap(), "ticket")
}

/// A ticket as if the form had been shown `age` seconds ago.
async fn aged_ticket(app: &TestApp, age: i64, bits: u32) -> String {
    let signer = Signer::of(&app.state).await.unwrap();
    let ticket = Ticket { t: now() - age, n: format!("n{age}"), d: bits };
    signer.sign(Purpose::SignupTicket, &ticket)
}

fn solve(ticket: &str, bits: u32) -> String {
    (0u64..).find(|n| app::signup::pow_solves(ticket, &n.to_string(), bits)).unwrap().to_string()
}

async fn post(app: &TestApp, fields: &[(&str, &str)]) -> (u16, String) {
    let res = app
        .client()
        .post(format!("{}/subscribe", app.base))
        .header("origin", &app.base)
        .form(fields)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn newsletter(app: &TestApp, name: &str) -> app::model::NewsletterId {
    app.store.ensure_newsletter(name, "").await.unwrap()
}

async fn mails_to(app: &TestApp, to: &str) -> Vec<app::mail::OutboxMail> {
    app.store.recent_mails(None, 100).await.unwrap().into_iter().filter(|m| m.to == to).collect()
}

fn confirm_path(mail: &app::mail::OutboxMail) -> String {
    let link = mail.text.split_whitespace().find(|w| w.contains("/s/")).expect("a confirmation link");
    format!("/s/{}", link.rsplit_once("/s/").unwrap().1)
}

async fn a_visitor_signs_up_and_confirms_by_mail(db: Db) {
    let app = TestApp::spawn(db).await;
    let weekly = newsletter(&app, "Weekly").await;
    newsletter(&app, "Offers").await;
    let page = app
        .client()
        .get(format!("{}/subscribe?source=event&detail=Salon%202026&lang=fr", app.base))
        .send()
        .await
        .unwrap();
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(policy.ends_with("frame-ancestors 'none'"), "the page itself is not framed: {policy}");
    assert!(policy.contains("script-src 'self';"), "only Carnet's own scripts, none inline: {policy}");
    let html = page.text().await.unwrap();
    assert!(html.contains("Oui, envoyez-moi « Weekly »"), "the consent words, in French: {html}");
    assert!(html.contains("name=\"website\""), "the honeypot is there");
    assert_eq!(hidden(&html, "source"), "event");
    let embedded = app.client().get(format!("{}/subscribe?embed=1", app.base)).send().await.unwrap();
    let policy = embedded.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(policy.ends_with("frame-ancestors *"), "the embeddable form may be framed: {policy}");
    assert!(policy.contains("script-src 'self';"), "{policy}");
    assert!(embedded.headers().get("x-frame-options").is_none());
    let staff_page = app.client().get(format!("{}/login", app.base)).send().await.unwrap();
    assert_eq!(staff_page.headers()["x-frame-options"], "DENY", "staff pages are never framed");

    let ticket = hidden(&html, "ticket");
    let weekly_id = weekly.to_string();
    let (status, text) = post(
        &app,
        &[
            ("email", " Zoe@Example.com "),
            ("first_name", "Zoé"),
            ("nl", &weekly_id),
            ("source", "event"),
            ("detail", "Salon 2026"),
            ("lang", "fr"),
            ("ticket", &ticket),
            ("website", ""),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(text.contains("Consultez vos emails"), "{text}");
    let email = app::model::Email::parse("zoe@example.com").unwrap();
    assert_eq!(app.store.contact_id_by_email(&email).await.unwrap(), None, "nothing in the base before confirmation");
    let mails = mails_to(&app, "zoe@example.com").await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].kind, "signup_confirmation");
    assert!(mails[0].subject.contains("Confirmez"));
    let path = confirm_path(&mails[0]);

    // Mail scanners fetch the link: nothing happens.
    for _ in 0..2 {
        let scan = app.client().get(format!("{}{path}", app.base)).send().await.unwrap();
        assert_eq!(scan.status().as_u16(), 200);
        assert!(scan.text().await.unwrap().contains("Confirmer mon inscription"));
    }
    assert_eq!(app.store.contact_id_by_email(&email).await.unwrap(), None);

    // The person confirms: subscribed, with where they came from and the words ticked.
    let person = app.client();
    let res = person.post(format!("{}{path}", app.base)).header("origin", &app.base).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let thanks = res.text().await.unwrap();
    assert!(thanks.contains("Vous êtes inscrit à Weekly") && thanks.contains("/me?lang=fr"), "{thanks}");
    let id = app.store.contact_id_by_email(&email).await.unwrap().expect("a contact now");
    let contact = app.store.contact(id).await.unwrap().unwrap();
    assert_eq!((contact.fields.channel, contact.fields.source_detail.as_str()), (Channel::Event, "Salon 2026"));
    assert_eq!(contact.fields.first_name, "Zoé");
    let subs = app.store.subscriptions(id).await.unwrap();
    assert_eq!(subs.len(), 1, "only what was ticked");
    assert_eq!(subs[0].state, SubscriptionState::Subscribed);
    assert!(subs[0].consent.text.starts_with("Oui, envoyez-moi « Weekly »"), "{}", subs[0].consent.text);
    assert!(subs[0].consent.text.contains("confirmed by the link mailed"));
    assert_eq!(subs[0].consent.channel, "event");
    assert!(subs[0].consent.form.contains("/subscribe"));
    // The confirmation opened the person's own page.
    let me = app.get(&person, "/me").await.text().await.unwrap();
    assert!(me.contains("zoe@example.com"), "{me}");
    // A form submission is an interaction.
    app.settle().await;
    let contact = app.store.contact(id).await.unwrap().unwrap();
    assert!(contact.last_interaction_at.is_some());

    // The link works once.
    let again = app.client().post(format!("{}{path}", app.base)).header("origin", &app.base).send().await.unwrap();
    assert!(again.text().await.unwrap().contains("Déjà confirmée"));
    assert_eq!(app.store.subscriptions(id).await.unwrap().len(), 1);
}

async fn bots_get_the_same_page_and_nothing_is_stored_or_sent(db: Db) {
    let bits = 8;
    let app = TestApp::spawn_with(
        db,
        with_defence(SignupDefence {
            min_secs: 3,
            pow_bits: bits,
            per_ip_hour: 1000,
            per_ip_hour_without_pow: 1000,
            ..Default::default()
        }),
    )
    .await;
    let nl = newsletter(&app, "Weekly").await.to_string();
    let (_, person_page) = {
        let ticket = aged_ticket(&app, 10, bits).await;
        post(&app, &[("email", "real@example.com"), ("nl", &nl), ("ticket", &ticket)]).await
    };
    assert_eq!(mails_to(&app, "real@example.com").await.len(), 1, "a person without JavaScript is let through");

    let fresh = form_ticket(&app, "").await;
    let aged = aged_ticket(&app, 10, bits).await;
    let wrong_pow = (0u64..).find(|n| !app::signup::pow_solves(&aged, &n.to_string(), bits)).unwrap().to_string();
    let forged = format!("{}x", aged_ticket(&app, 10, 0).await);
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "honeypot",
            vec![("email", "bot1@example.com"), ("nl", &nl), ("ticket", &aged), ("website", "http://spam.example")],
        ),
        ("too fast", vec![("email", "bot2@example.com"), ("nl", &nl), ("ticket", &fresh)]),
        ("no ticket", vec![("email", "bot3@example.com"), ("nl", &nl)]),
        ("forged ticket", vec![("email", "bot4@example.com"), ("nl", &nl), ("ticket", &forged)]),
        (
            "wrong proof of work",
            vec![("email", "bot5@example.com"), ("nl", &nl), ("ticket", &aged), ("pow", &wrong_pow)],
        ),
    ];
    for (why, fields) in cases {
        let (status, page) = post(&app, &fields).await;
        assert_eq!((status, &page), (200, &person_page), "{why}: the same page as a person");
        let to = fields[0].1;
        assert!(mails_to(&app, to).await.is_empty(), "{why}: nothing sent");
    }

    // A solved proof of work passes once; replayed, it is a bot's.
    let ticket = aged_ticket(&app, 20, bits).await;
    let answer = solve(&ticket, bits);
    let (_, page) =
        post(&app, &[("email", "js@example.com"), ("nl", &nl), ("ticket", &ticket), ("pow", &answer)]).await;
    assert_eq!(page, person_page);
    assert_eq!(mails_to(&app, "js@example.com").await.len(), 1);
    post(&app, &[("email", "replay@example.com"), ("nl", &nl), ("ticket", &ticket), ("pow", &answer)]).await;
    assert!(mails_to(&app, "replay@example.com").await.is_empty(), "a replayed answer sends nothing");
    // A ticket without a proof of work is good once too.
    let ticket = aged_ticket(&app, 30, bits).await;
    post(&app, &[("email", "once@example.com"), ("nl", &nl), ("ticket", &ticket)]).await;
    post(&app, &[("email", "twice@example.com"), ("nl", &nl), ("ticket", &ticket)]).await;
    assert!(mails_to(&app, "twice@example.com").await.is_empty(), "a replayed ticket sends nothing");
    let all = app.store.recent_mails(None, 100).await.unwrap();
    assert_eq!(all.len(), 3, "only the people and the solver got mail");

    // A person who made a mistake and corrects it at once is not taken for a bot: the
    // form comes back with the time they already spent.
    let ticket = aged_ticket(&app, 10, bits).await;
    let (status, page) = post(&app, &[("email", "quick@example.com"), ("ticket", &ticket)]).await;
    assert_eq!(status, 422, "no newsletter ticked");
    let again = hidden(&page, "ticket");
    post(&app, &[("email", "quick@example.com"), ("nl", &nl), ("ticket", &again)]).await;
    assert_eq!(mails_to(&app, "quick@example.com").await.len(), 1);
}

async fn allowances_per_address_and_network_address(db: Db) {
    let app = TestApp::spawn_with(
        db,
        with_defence(SignupDefence {
            min_secs: 0,
            pow_bits: 0,
            per_ip_hour: 100,
            per_ip_hour_without_pow: 4,
            per_address_day: 2,
            ..Default::default()
        }),
    )
    .await;
    let nl = newsletter(&app, "Weekly").await.to_string();
    for _ in 0..3 {
        let ticket = form_ticket(&app, "").await;
        let (status, page) = post(&app, &[("email", "often@example.com"), ("nl", &nl), ("ticket", &ticket)]).await;
        assert_eq!(status, 200);
        assert!(page.contains("Check your mail"));
    }
    assert_eq!(mails_to(&app, "often@example.com").await.len(), 2, "two confirmation mails a day to one address");
    // The fourth sign-up without JavaScript from this network address is its last this hour.
    let ticket = form_ticket(&app, "").await;
    post(&app, &[("email", "fourth@example.com"), ("nl", &nl), ("ticket", &ticket)]).await;
    assert_eq!(mails_to(&app, "fourth@example.com").await.len(), 1);
    let ticket = form_ticket(&app, "").await;
    let (_, page) = post(&app, &[("email", "fifth@example.com"), ("nl", &nl), ("ticket", &ticket)]).await;
    assert!(page.contains("Check your mail"));
    assert!(mails_to(&app, "fifth@example.com").await.is_empty(), "over the hourly allowance: nothing sent");
    // A tablet handed to people at an event, through a kiosk link staff made, has an
    // allowance of its own; a forged kiosk token has none, and a revoked one no more.
    let marketer = app.login_as(app::model::Role::Marketer).await;
    let (ok, url) =
        app.call_json(&marketer, "self-service/kiosk/create", &[("label", "Salon 2026"), ("days", "3")]).await;
    assert!(ok, "{url}");
    let kiosk = url.as_str().unwrap().rsplit_once("kiosk=").unwrap().1.to_string();
    let viewer = app.login_as(app::model::Role::Viewer).await;
    let (ok, _) = app.call_json(&viewer, "self-service/kiosk/create", &[("label", "Mine"), ("days", "3")]).await;
    assert!(!ok, "viewers make no kiosk link");
    for _ in 0..2 {
        let (ok, settings) = app.call_json(&marketer, "self-service/settings", &[]).await;
        assert!(ok);
        let links = settings["kiosk_links"].as_array().unwrap();
        assert_eq!(links.len(), 1, "viewing the page makes no link: {settings}");
        assert_eq!(links[0]["label"], "Salon 2026");
        assert!(!settings.to_string().contains(&kiosk), "the token is shown once, never listed");
    }
    let ticket = form_ticket(&app, "").await;
    post(&app, &[("email", "forged@example.com"), ("nl", &nl), ("ticket", &ticket), ("kiosk", &format!("{kiosk}x"))])
        .await;
    assert!(mails_to(&app, "forged@example.com").await.is_empty());
    let ticket = form_ticket(&app, "").await;
    post(&app, &[("email", "tablet@example.com"), ("nl", &nl), ("ticket", &ticket), ("kiosk", &kiosk)]).await;
    assert_eq!(mails_to(&app, "tablet@example.com").await.len(), 1);
    let (_, settings) = app.call_json(&marketer, "self-service/settings", &[]).await;
    let id = settings["kiosk_links"][0]["id"].to_string();
    let (ok, _) = app.call_json(&marketer, "self-service/kiosk/revoke", &[("id", &id)]).await;
    assert!(!ok, "revoking asks for a confirmation");
    let (ok, answer) = app.call_json(&marketer, "self-service/kiosk/revoke", &[("id", &id), ("confirm", "yes")]).await;
    assert!(ok, "{answer}");
    let ticket = form_ticket(&app, "").await;
    post(&app, &[("email", "after@example.com"), ("nl", &nl), ("ticket", &ticket), ("kiosk", &kiosk)]).await;
    assert!(mails_to(&app, "after@example.com").await.is_empty(), "a revoked link has no allowance any more");
    // With the proof of work answered, the larger allowance applies.
    let ticket = form_ticket(&app, "").await;
    post(&app, &[("email", "sixth@example.com"), ("nl", &nl), ("ticket", &ticket), ("pow", "0")]).await;
    assert_eq!(mails_to(&app, "sixth@example.com").await.len(), 1);
}

async fn mistakes_show_the_form_again_and_save_nothing(db: Db) {
    let app = TestApp::spawn(db).await;
    newsletter(&app, "Weekly").await;
    let ticket = form_ticket(&app, "?source=point_of_sale&detail=Lyon").await;
    let (status, page) = post(
        &app,
        &[
            ("email", "not an address"),
            ("first_name", "Ann <b>"),
            ("ticket", &ticket),
            ("source", "point_of_sale"),
            ("detail", "Lyon"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(page.contains("Enter an email address"), "{page}");
    assert!(page.contains("Choose at least one newsletter"));
    assert!(
        page.contains("value=\"not an address\"") && page.contains("value=\"Ann &lt;b&gt;\""),
        "what was typed stays, escaped"
    );
    assert_eq!(hidden(&page, "detail"), "Lyon", "and where the form came from");
    assert!(app.store.recent_mails(None, 10).await.unwrap().is_empty());
    // An embedded form offering one newsletter takes no other.
    let offers = newsletter(&app, "Offers").await.to_string();
    let weekly = app.store.ensure_newsletter("Weekly", "").await.unwrap().to_string();
    let ticket = form_ticket(&app, &format!("?newsletters={weekly}")).await;
    let (status, page) =
        post(&app, &[("email", "ann@example.com"), ("nl", &offers), ("newsletters", &weekly), ("ticket", &ticket)])
            .await;
    assert_eq!(status, 422);
    assert!(page.contains("Choose at least one newsletter") && !page.contains("Offers"), "{page}");
}

async fn confirmation_links_expire_and_unknown_ones_open_nothing(db: Db) {
    let app = TestApp::spawn(db).await;
    let nl = newsletter(&app, "Weekly").await.to_string();
    let ticket = form_ticket(&app, "").await;
    post(&app, &[("email", "late@example.com"), ("nl", &nl), ("ticket", &ticket)]).await;
    let path = confirm_path(&mails_to(&app, "late@example.com").await[0]);
    let token = path.trim_start_matches("/s/").split('?').next().unwrap().to_string();
    let later = now() + app::signup::service::CONFIRM_DAYS * 86_400 + 1;
    let outcome = app::signup::service::confirm(&app.state, &token, later).await.unwrap();
    assert_eq!(outcome, app::store::SignupOutcome::Expired);
    assert_eq!(
        app.store.contact_id_by_email(&app::model::Email::parse("late@example.com").unwrap()).await.unwrap(),
        None
    );
    // Expired sign-ups lose the address and their mail at once; the link still says
    // "expired" for a month, then the sign-up is gone.
    assert_eq!(app.store.purge_signups(later).await.unwrap(), 0);
    assert!(mails_to(&app, "late@example.com").await.is_empty(), "the confirmation mail is deleted");
    let state = app::signup::service::check_confirmation(&app.state, &token, later).await.unwrap();
    assert_eq!(state, Err(app::store::SignupOutcome::Expired));
    assert_eq!(app.store.purge_signups(later + 31 * 86_400).await.unwrap(), 1);
    let state = app::signup::service::check_confirmation(&app.state, &token, later).await.unwrap();
    assert_eq!(state, Err(app::store::SignupOutcome::Unknown));
    let res = app.client().get(format!("{}/s/not-a-token", app.base)).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 404);
}

async fn known_contacts_keep_their_data_and_suppressed_ones_get_nothing(db: Db) {
    let app = TestApp::spawn(db).await;
    let nl = newsletter(&app, "Weekly").await;
    let form = ContactForm {
        email: "ann@example.com".into(),
        first_name: "Ann".into(),
        last_name: "Lee".into(),
        ..Default::default()
    };
    let ann = app
        .store
        .insert_contact(&form.validate(chrono::Utc::now().date_naive()).unwrap(), now(), "test")
        .await
        .unwrap();
    let ticket = form_ticket(&app, "?source=event").await;
    let nl_id = nl.to_string();
    post(
        &app,
        &[
            ("email", "ann@example.com"),
            ("first_name", "Mallory"),
            ("nl", &nl_id),
            ("ticket", &ticket),
            ("source", "event"),
        ],
    )
    .await;
    let path = confirm_path(&mails_to(&app, "ann@example.com").await[0]);
    app.client().post(format!("{}{path}", app.base)).header("origin", &app.base).send().await.unwrap();
    let contact = app.store.contact(ann).await.unwrap().unwrap();
    assert_eq!(
        (contact.fields.first_name.as_str(), contact.fields.channel),
        ("Ann", Channel::Web),
        "a sign-up never rewrites a contact"
    );
    assert_eq!(app.store.subscriptions(ann).await.unwrap()[0].state, SubscriptionState::Subscribed);

    let bounced_form = ContactForm { email: "gone@example.com".into(), ..Default::default() };
    let gone = app
        .store
        .insert_contact(&bounced_form.validate(chrono::Utc::now().date_naive()).unwrap(), now(), "test")
        .await
        .unwrap();
    let consent = app::model::contact::ConsentEvidence {
        at: now(),
        channel: "test".into(),
        form: "test".into(),
        text: "bounced".into(),
    };
    app.store.suppress_contacts(&[gone], "hard_bounce", &consent, "test").await.unwrap();
    let ticket = form_ticket(&app, "").await;
    let (_, page) = post(&app, &[("email", "gone@example.com"), ("nl", &nl_id), ("ticket", &ticket)]).await;
    assert!(page.contains("Check your mail"));
    assert!(mails_to(&app, "gone@example.com").await.is_empty(), "no mail to a suppressed address");
}

async fn quick_entry_records_channel_operator_and_the_words(db: Db) {
    let app = TestApp::spawn(db).await;
    let nl = newsletter(&app, "Weekly").await;
    let (operator, password) = app.add_user(Role::Marketer).await;
    let staff = app.client();
    app.sign_in(&staff, &operator, &password).await;
    let key = format!("newsletters[{nl}]");
    let entry = |email: &'static str, agreed: bool| {
        let mut fields = vec![
            ("form[email]".to_string(), email.to_string()),
            ("form[first_name]".to_string(), "Léa".to_string()),
            ("form[channel]".to_string(), "point_of_sale".to_string()),
            ("form[source_detail]".to_string(), "Lyon Part-Dieu".to_string()),
            (key.clone(), "on".to_string()),
            ("send_link".to_string(), "yes".to_string()),
        ];
        if agreed {
            fields.push(("agreed".into(), "yes".into()));
        }
        fields
    };
    let call = |client: &reqwest::Client, pairs: Vec<(String, String)>| {
        let client = client.clone();
        let base = app.base.clone();
        async move {
            let res = client
                .post(format!("{base}/api/signup/quick"))
                .header("origin", &base)
                .form(&pairs)
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        }
    };

    // Consent not confirmed: refused, nothing saved.
    let (status, body) = call(&staff, entry("lea@example.com", false)).await;
    assert!(status >= 400 && body.contains("tick the box"), "{status} {body}");
    let email = app::model::Email::parse("lea@example.com").unwrap();
    assert_eq!(app.store.contact_id_by_email(&email).await.unwrap(), None);

    let (status, body) = call(&staff, entry("lea@example.com", true)).await;
    assert!(status < 400, "{status} {body}");
    let id = app.store.contact_id_by_email(&email).await.unwrap().expect("saved");
    let contact = app.store.contact(id).await.unwrap().unwrap();
    assert_eq!(
        (contact.fields.channel, contact.fields.source_detail.as_str()),
        (Channel::PointOfSale, "Lyon Part-Dieu")
    );
    let sub = app.store.subscriptions(id).await.unwrap().remove(0);
    assert_eq!(sub.state, SubscriptionState::Subscribed);
    assert!(sub.consent.form.contains(&operator) && sub.consent.form.contains("Lyon Part-Dieu"), "{:?}", sub.consent);
    assert!(sub.consent.text.starts_with(app::signup::QUICK_CONSENT), "{}", sub.consent.text);
    assert_eq!(mails_to(&app, "lea@example.com").await[0].kind, "profile_link", "their link to complete the profile");

    // Viewers cannot enter people.
    let viewer = app.login_as(Role::Viewer).await;
    let (status, _) = call(&viewer, entry("other@example.com", true)).await;
    assert!(status >= 400);
    assert_eq!(
        app.store.contact_id_by_email(&app::model::Email::parse("other@example.com").unwrap()).await.unwrap(),
        None
    );
}

both_backends! {
    a_visitor_signs_up_and_confirms_by_mail,
    bots_get_the_same_page_and_nothing_is_stored_or_sent,
    allowances_per_address_and_network_address,
    mistakes_show_the_form_again_and_save_nothing,
    confirmation_links_expire_and_unknown_ones_open_nothing,
    known_contacts_keep_their_data_and_suppressed_ones_get_nothing,
    quick_entry_records_channel_operator_and_the_words,
}
