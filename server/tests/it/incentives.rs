//! Incentives on both backends: earned by completing a profile, given at most once
//! (even to saves that race), shown on the person's page and mailed; pools hand out
//! their codes until empty; closed programmes and unmet triggers give nothing.

use crate::common;

use app::incentives::Incentive;
use app::model::ContactForm;
use app::platform::clock::now;
use common::{Db, TestApp};

async fn contact(app: &TestApp, email: &str) -> app::model::ContactId {
    let fields = ContactForm { email: email.into(), first_name: "Ann".into(), ..Default::default() }
        .validate(chrono::Utc::now().date_naive())
        .unwrap();
    app.store.insert_contact(&fields, now(), "test").await.unwrap()
}

async fn programme(
    app: &TestApp,
    threshold: i64,
    source: &str,
    valid_until: Option<app::model::Timestamp>,
) -> app::model::IncentiveId {
    let p = Incentive {
        id: app::model::IncentiveId(0),
        name: "Complete profile".into(),
        reward: "Free shipping".into(),
        threshold,
        fields: vec![],
        valid_from: now() - 10,
        valid_until,
        code_source: source.into(),
        code_prefix: "SHIP-".into(),
        active: true,
        created_at: app::model::Timestamp(0),
    };
    app.store.create_incentive(&p, &[], now()).await.unwrap()
}

const FULL: [(&str, &str); 8] = [
    ("profile[first_name]", "Ann"),
    ("profile[last_name]", "Lee"),
    ("profile[phone]", "+33 6 12 34 56 78"),
    ("profile[birth_date]", "1990-04-01"),
    ("profile[postal_code]", "69001"),
    ("profile[city]", "Lyon"),
    ("profile[country]", "France"),
    ("profile[interests]", "running"),
];

async fn incentive_mails(app: &TestApp) -> Vec<app::mail::OutboxMail> {
    app.store.recent_mails(None, 100).await.unwrap().into_iter().filter(|m| m.kind == "incentive").collect()
}

async fn a_complete_profile_earns_the_reward_once_shown_and_mailed(db: Db) {
    let app = TestApp::spawn(db).await;
    let id = programme(&app, 100, "generated", None).await;
    let ann = contact(&app, "ann@example.com").await;
    let client = app.contact_session(ann).await;

    // Half done: nothing yet.
    app.call(&client, "me/save", &FULL[..4]).await;
    assert!(app.store.rewards_of(ann).await.unwrap().is_empty());

    assert_eq!(app.call(&client, "me/save", &FULL).await.text().await.unwrap(), "100");
    let rewards = app.store.rewards_of(ann).await.unwrap();
    assert_eq!(rewards.len(), 1);
    assert_eq!(rewards[0].incentive_id, id);
    assert!(rewards[0].code.starts_with("SHIP-"));
    let page = app.get(&client, "/me").await.text().await.unwrap();
    assert!(page.contains(&rewards[0].code) && page.contains("Free shipping"), "{page}");
    let mails = incentive_mails(&app).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].text.contains(&rewards[0].code) && mails[0].to == "ann@example.com");

    // Saving again, or twice at once, gives nothing more.
    let (a, b) = tokio::join!(app.call(&client, "me/save", &FULL), app.call(&client, "me/save", &FULL));
    assert!(a.status().is_success() && b.status().is_success());
    assert_eq!(app.store.rewards_of(ann).await.unwrap(), rewards);
    assert_eq!(incentive_mails(&app).await.len(), 1);
}

async fn pools_run_out_and_closed_programmes_give_nothing(db: Db) {
    let app = TestApp::spawn(db).await;
    let pool = programme(&app, 100, "pool", None).await;
    assert_eq!(app.store.add_pool_codes(pool, &["UPLOADED-1".into(), "UPLOADED-1".into()]).await.unwrap(), 1);
    programme(&app, 100, "generated", Some(now() - 1)).await; // ended
    let ann = contact(&app, "ann@example.com").await;
    let bob = contact(&app, "bob@example.com").await;

    let ann_client = app.contact_session(ann).await;
    app.call(&ann_client, "me/save", &FULL).await;
    let got: Vec<String> = app.store.rewards_of(ann).await.unwrap().into_iter().map(|r| r.code).collect();
    assert_eq!(got, ["UPLOADED-1"], "the pool's code, and nothing from the ended programme");

    let bob_client = app.contact_session(bob).await;
    let res = app.call(&bob_client, "me/save", &FULL).await;
    assert!(res.status().is_success(), "an empty pool does not fail the save");
    assert!(app.store.rewards_of(bob).await.unwrap().is_empty());
    assert_eq!(incentive_mails(&app).await.len(), 1);
}

async fn shops_record_used_codes_once_and_staff_see_the_counts(db: Db) {
    let app = TestApp::spawn(db).await;
    let id = programme(&app, 100, "generated", None).await;
    let ann = contact(&app, "ann@example.com").await;
    let client = app.contact_session(ann).await;
    app.call(&client, "me/save", &FULL).await;
    let code = app.store.rewards_of(ann).await.unwrap().remove(0).code;

    let now = now();
    let partner = app::partners::service::create_partner(&app.state, "test", "Shop", "", 0, 0, now).await.unwrap();
    let key = app::partners::service::issue_key(
        &app.state,
        "test",
        partner,
        &app::partners::service::KeyGrant::scopes(&[app::model::api_key::Scope::Redeem]),
        None,
        now,
    )
    .await
    .unwrap()
    .as_str()
    .to_string();
    let redeem = |body: serde_json::Value, key: String| {
        let url = format!("{}/api/v1/redemptions", app.base);
        async move { reqwest::Client::new().post(url).bearer_auth(key).json(&body).send().await.unwrap() }
    };
    let res = redeem(serde_json::json!({ "code": code }), key.clone()).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["incentive_id"], id.0);
    let again = redeem(serde_json::json!({ "code": code }), key.clone()).await;
    assert_eq!(again.status().as_u16(), 409, "used once");
    assert_eq!(redeem(serde_json::json!({ "code": "NOPE-123" }), key.clone()).await.status().as_u16(), 404);
    assert_eq!(redeem(serde_json::json!({ "cod": "x" }), key.clone()).await.status().as_u16(), 422);
    // A key without the scope may not.
    let check_only = app::partners::service::issue_key(
        &app.state,
        "test",
        partner,
        &app::partners::service::KeyGrant::scopes(&[app::model::api_key::Scope::Check]),
        None,
        now,
    )
    .await
    .unwrap()
    .as_str()
    .to_string();
    assert_eq!(redeem(serde_json::json!({ "code": code }), check_only).await.status().as_u16(), 403);

    assert!(app.store.rewards_of(ann).await.unwrap()[0].redeemed_at.is_some());
    assert_eq!(
        app.store.incentive_stats().await.unwrap(),
        [app::store::ProgrammeCounts { incentive_id: id, issued: 1, redeemed: 1, pool_left: 0 }]
    );
    let admin = app.login_as(app::model::Role::Viewer).await;
    let page = app.get(&admin, "/incentives").await.text().await.unwrap();
    assert!(page.contains("Free shipping") && page.contains("profile at 100%"), "{page}");
}

async fn staff_create_programmes_and_record_used_codes_from_a_file(db: Db) {
    let app = TestApp::spawn(db).await;
    let marketer = app.login_as(app::model::Role::Marketer).await;
    // Mistakes: every one listed, nothing created.
    let res = app
        .call(
            &marketer,
            "incentives/create",
            &[
                ("form[name]", ""),
                ("form[reward]", "Free shipping"),
                ("form[threshold]", "120"),
                ("form[valid_days]", "soon"),
            ],
        )
        .await;
    let body = res.text().await.unwrap();
    assert!(
        body.contains("Give the programme a name") && body.contains("0 to 100") && body.contains("number of days"),
        "{body}"
    );
    assert!(app.store.incentives().await.unwrap().is_empty());

    // A pool programme, with a required field: created with its codes in one go.
    let res = app
        .call(
            &marketer,
            "incentives/create",
            &[
                ("form[name]", "Spring"),
                ("form[reward]", "Free shipping"),
                ("form[threshold]", "80"),
                ("required[phone]", "on"),
                ("form[valid_days]", "30"),
                ("form[codes]", "SHOP-1\nSHOP-2\n\nSHOP-2\n"),
            ],
        )
        .await;
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    let programmes = app.store.incentives().await.unwrap();
    assert_eq!(programmes.len(), 1);
    let p = &programmes[0];
    assert_eq!((p.threshold, p.fields.clone(), p.code_source.as_str()), (80, vec!["phone".to_string()], "pool"));
    assert!(p.valid_until.is_some_and(|u| u > now() + 29 * 86_400));
    assert_eq!(
        app.store.incentive_stats().await.unwrap(),
        [app::store::ProgrammeCounts { incentive_id: p.id, issued: 0, redeemed: 0, pool_left: 2 }],
        "two distinct codes in the pool"
    );

    // Viewers cannot create programmes.
    let viewer = app.login_as(app::model::Role::Viewer).await;
    let res = app
        .call(&viewer, "incentives/create", &[("form[name]", "X"), ("form[reward]", "Y"), ("form[threshold]", "100")])
        .await;
    assert!(!res.status().is_success());
    assert_eq!(app.store.incentives().await.unwrap().len(), 1);

    // Ann earns a pool code; the shop reports it used in a file, with an unknown one.
    let ann = contact(&app, "ann@example.com").await;
    let client = app.contact_session(ann).await;
    app.call(&client, "me/save", &FULL).await;
    let code = app.store.rewards_of(ann).await.unwrap().remove(0).code;
    let upload = |client: &reqwest::Client, csv: String| {
        let (content_type, body) = common::multipart(&csv);
        client
            .post(format!("{}/incentives/redemptions", app.base))
            .header("origin", &app.base)
            .header("content-type", content_type)
            .body(body)
    };
    assert_eq!(upload(&viewer, format!("{code}\n")).send().await.unwrap().status().as_u16(), 403);
    // The file is recorded in the background, on a progress page that ends with the summary.
    let recorded = |res: reqwest::Response| {
        let (app, marketer) = (&app, marketer.clone());
        async move {
            assert_eq!(res.status().as_u16(), 303);
            let location = res.headers()["location"].to_str().unwrap().to_string();
            let job: app::model::JobId = location.strip_prefix("/jobs/").expect("a progress page").parse().unwrap();
            while !app.store.job(job).await.unwrap().unwrap().finished() {
                app::platform::jobs::run_next(&app.state).await.unwrap();
            }
            app.get(&marketer, &location).await.text().await.unwrap()
        }
    };
    let csv = format!("code,redeemed_at\n{code},2026-11-20T10:00:00Z\n{code}\nNOPE-1\n");
    let page = recorded(upload(&marketer, csv).send().await.unwrap()).await;
    assert!(
        page.contains("Used codes recorded: 1. Already recorded before: 1. Unknown: 1. Lines not read: 0."),
        "{page}"
    );
    assert!(page.contains("NOPE-1"), "unknown codes are listed");
    let earned = app.store.rewards_of(ann).await.unwrap().remove(0);
    assert_eq!(
        earned.redeemed_at,
        chrono::DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z").ok().map(|d| app::model::Timestamp(d.timestamp()))
    );
    // A French shop's export: semicolons, its own header, plain dates; a bad date is
    // counted, not recorded.
    let page = recorded(
        upload(&marketer, format!("Code promo;Date\nNOPE-2;2026-11-20\n{code};demain\n")).send().await.unwrap(),
    )
    .await;
    assert!(
        page.contains("Used codes recorded: 0. Already recorded before: 0. Unknown: 1. Lines not read: 1."),
        "{page}"
    );
    assert!(page.contains("Line 3: the date"), "{page}");
    // A file that cannot be taken goes back to the incentives with the reason, once.
    let res = upload(&marketer, String::new()).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/incentives?redeemed=1");
    let page = app.get(&marketer, "/incentives?redeemed=1").await.text().await.unwrap();
    assert!(page.contains("Choose a CSV file."), "{page}");
    let again = app.get(&marketer, "/incentives?redeemed=1").await.text().await.unwrap();
    assert!(!again.contains("Choose a CSV file."));

    // The programme's page lists its codes, to whom and whether used, newest first.
    let bob = contact(&app, "bob@example.com").await;
    let bob_client = app.contact_session(bob).await;
    app.call(&bob_client, "me/save", &FULL).await;
    let page = app.get(&marketer, &format!("/incentives/{}", p.id)).await.text().await.unwrap();
    assert!(page.contains(&code) && page.contains("ann@example.com") && page.contains("bob@example.com"), "{page}");
    // The codes are vouchers: a read-only account does not see them.
    let page = app.get(&viewer, &format!("/incentives/{}", p.id)).await.text().await.unwrap();
    assert!(!page.contains(&code) && !page.contains("bob@example.com"), "{page}");
    let newest = app.store.issued_codes(p.id, None, 1).await.unwrap();
    assert_eq!(newest[0].email.as_deref(), Some("bob@example.com"));
    let older = app.store.issued_codes(p.id, Some(newest[0].id), 1).await.unwrap();
    assert_eq!((older[0].email.as_deref(), older[0].redeemed_at.is_some()), (Some("ann@example.com"), true));
    assert!(app.store.issued_codes(p.id, Some(older[0].id), 1).await.unwrap().is_empty());

    // Stopping a programme: editors only; then nobody earns it.
    let id = p.id.to_string();
    assert!(!app.call(&viewer, "incentives/active", &[("id", &id), ("active", "false")]).await.status().is_success());
    assert!(app.call(&marketer, "incentives/active", &[("id", &id), ("active", "false")]).await.status().is_success());
    let cy = contact(&app, "cy@example.com").await;
    let cy_client = app.contact_session(cy).await;
    app.call(&cy_client, "me/save", &FULL).await;
    assert!(app.store.rewards_of(cy).await.unwrap().is_empty(), "a stopped programme gives nothing");
}

both_backends! {
    staff_create_programmes_and_record_used_codes_from_a_file,
    shops_record_used_codes_once_and_staff_see_the_counts,
    a_complete_profile_earns_the_reward_once_shown_and_mailed,
    pools_run_out_and_closed_programmes_give_nothing,
}
