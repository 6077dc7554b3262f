//! Personal links, erasure, pauses, the preferred channel and the yearly refresh.

use super::*;

fn evidence(at: Timestamp, text: &str) -> ConsentEvidence {
    ConsentEvidence { at, channel: "self-service".into(), form: "profile page (/me)".into(), text: text.into() }
}

async fn a_personal_link_works_once_for_its_purpose_until_it_expires(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let id = store.insert_contact(&fields("ada@example.com", "Ada", "L"), Timestamp(100), "s").await.unwrap();
    store.create_link(id, "profile", "h-profile", Timestamp(100), Timestamp(200)).await.unwrap();
    store.create_link(id, "profile", "h-late", Timestamp(100), Timestamp(150)).await.unwrap();
    assert_eq!(
        store.link("h-profile", "profile").await.unwrap(),
        Some(app::store::LinkRecord { contact_id: id, expires_at: Timestamp(200), used_at: None })
    );
    assert_eq!(store.link("h-profile", "unsubscribe").await.unwrap(), None, "another purpose is another link");
    assert_eq!(store.use_link("h-profile", "unsubscribe", Timestamp(120)).await.unwrap(), None);
    assert_eq!(store.use_link("h-late", "profile", Timestamp(150)).await.unwrap(), None, "expired at its instant");
    // Two clicks at once: one of them uses it.
    let (x, y) = tokio::join!(
        store.use_link("h-profile", "profile", Timestamp(120)),
        store.use_link("h-profile", "profile", Timestamp(121))
    );
    let used: Vec<_> = [x.unwrap(), y.unwrap()].into_iter().flatten().collect();
    assert_eq!(used, [id], "used exactly once");
    let record = store.link("h-profile", "profile").await.unwrap().unwrap();
    assert!(matches!(record.used_at, Some(Timestamp(120) | Timestamp(121))), "{record:?}");
    assert_eq!(store.use_link("h-profile", "profile", Timestamp(130)).await.unwrap(), None);
    assert_eq!(store.link("h-unknown", "profile").await.unwrap(), None);
}

async fn erasure_blanks_the_person_but_keeps_them_known(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let weekly = store.ensure_newsletter("Weekly", "").await.unwrap();
    let form = ContactForm {
        email: "ada@example.com".into(),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        phone: "+33 6 12 34 56 78".into(),
        city: "Paris".into(),
        channel: "web".into(),
        ..Default::default()
    };
    let valid = form.validate(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()).unwrap();
    let ada = store.insert_contact(&valid, Timestamp(100), "s").await.unwrap();
    let bob = store.insert_contact(&fields("bob@example.com", "Bob", "M"), Timestamp(100), "s").await.unwrap();
    store.set_subscription(ada, weekly, SubscriptionState::Subscribed, &evidence(Timestamp(110), "Yes")).await.unwrap();
    store.create_link(ada, "profile", "h-ada", Timestamp(110), Timestamp(10_000)).await.unwrap();
    store.create_link(bob, "profile", "h-bob", Timestamp(110), Timestamp(10_000)).await.unwrap();
    let before = store.contact(ada).await.unwrap().unwrap();
    let confirmation = |to: &str| app::mail::NewMail {
        contact_id: None,
        kind: "signup_confirmation".into(),
        to: to.into(),
        subject: "Please confirm".into(),
        text: "https://carnet.example/s/TOKEN".into(),
        html: String::new(),
        unsubscribe_url: None,
    };
    let to_ada = store.queue_mail(&confirmation("ada@example.com"), Timestamp(120)).await.unwrap();
    let to_bob = store.queue_mail(&confirmation("bob@example.com"), Timestamp(120)).await.unwrap();

    store.erase_contact(ada, "phone-hash", Timestamp(500)).await.unwrap();
    assert_eq!(store.mail(to_ada).await.unwrap(), None, "the confirmation mail to the address goes too");
    assert!(store.mail(to_bob).await.unwrap().is_some(), "nobody else's");
    let erased = store.contact(ada).await.unwrap().unwrap();
    assert_eq!(erased.fields.email.as_str(), format!("erased-{ada}@erased.invalid"));
    assert_eq!((erased.fields.first_name.as_str(), erased.fields.last_name.as_str()), ("", ""));
    assert_eq!((erased.fields.phone.as_str(), erased.fields.city.as_str()), ("", ""));
    assert_eq!((erased.email_md5, erased.email_sha256), (before.email_md5.clone(), before.email_sha256), "still known");
    assert_eq!((erased.suppressed_at, erased.suppression_reason.as_deref()), (Some(Timestamp(500)), Some("erased")));
    assert_eq!(store.known_md5(&[before.email_md5]).await.unwrap().len(), 1, "partners still hear it is known");
    let subs = store.subscriptions(ada).await.unwrap();
    assert_eq!(subs[0].state, SubscriptionState::Unsubscribed);
    let timeline = store.timeline(ada, 10).await.unwrap();
    assert_eq!(timeline.iter().map(|a| a.kind.as_str()).collect::<Vec<_>>(), ["erased"], "one line left");
    assert_eq!(store.link("h-ada", "profile").await.unwrap(), None, "their links are gone");
    assert!(store.link("h-bob", "profile").await.unwrap().is_some(), "nobody else's");
    assert!(
        matches!(store.erase_contact(ada, "phone-hash", Timestamp(600)).await, Err(StoreError::NotFound)),
        "erased once"
    );
    assert!(matches!(
        store.erase_contact(app::model::ContactId(9_999), "", Timestamp(600)).await,
        Err(StoreError::NotFound)
    ));
}

async fn a_pause_keeps_its_evidence_and_ends(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let weekly = store.ensure_newsletter("Weekly", "").await.unwrap();
    let offers = store.ensure_newsletter("Offers", "").await.unwrap();
    let id = store.insert_contact(&fields("ada@example.com", "Ada", "L"), Timestamp(100), "s").await.unwrap();
    store.set_subscription(id, weekly, SubscriptionState::Subscribed, &evidence(Timestamp(110), "Yes")).await.unwrap();
    store.set_subscription(id, offers, SubscriptionState::Unsubscribed, &evidence(Timestamp(110), "No")).await.unwrap();

    let pause = evidence(Timestamp(200), "Pause for a month");
    assert!(store.pause_subscription(id, weekly, Some(Timestamp(3_000)), &pause).await.unwrap());
    assert!(!store.pause_subscription(id, offers, Some(Timestamp(3_000)), &pause).await.unwrap(), "not subscribed");
    assert_eq!(
        store.paused_subscriptions(id).await.unwrap(),
        [app::store::PausedSubscription { newsletter_id: weekly, until: Timestamp(3_000) }]
    );
    let subs = store.subscriptions(id).await.unwrap();
    let weekly_sub = subs.iter().find(|s| s.newsletter.id == weekly).unwrap();
    assert_eq!((weekly_sub.state, &weekly_sub.consent), (SubscriptionState::Subscribed, &pause));
    assert!(store.pause_subscription(id, weekly, None, &evidence(Timestamp(300), "Resume")).await.unwrap());
    assert!(store.paused_subscriptions(id).await.unwrap().is_empty());
}

async fn the_preferred_channel_is_chosen_with_its_words(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let id = store.insert_contact(&fields("ada@example.com", "Ada", "L"), Timestamp(100), "s").await.unwrap();
    assert_eq!(store.preferred_channel(id).await.unwrap(), "email", "email unless chosen");
    store.set_preferred_channel(id, "sms", "Text me instead", Timestamp(200)).await.unwrap();
    assert_eq!(store.preferred_channel(id).await.unwrap(), "sms");
    let line = &store.timeline(id, 1).await.unwrap()[0];
    assert_eq!(line.kind, "preference");
    assert!(line.detail.contains("Text me instead"), "{line:?}");
    assert_eq!(store.contact(id).await.unwrap().unwrap().updated_at, Timestamp(200));
    assert!(matches!(store.preferred_channel(app::model::ContactId(9_999)).await, Err(StoreError::NotFound)));
    store.erase_contact(id, "", Timestamp(300)).await.unwrap();
    assert!(
        matches!(store.set_preferred_channel(id, "email", "x", Timestamp(400)).await, Err(StoreError::NotFound)),
        "an erased person chooses nothing"
    );
}

async fn the_yearly_refresh_picks_the_oldest_reachable_profiles(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let weekly = store.ensure_newsletter("Weekly", "").await.unwrap();
    let mut ids = Vec::new();
    for (i, name) in ["old", "older", "recent", "linked", "unsubscribed", "suppressed"].iter().enumerate() {
        let id = store
            .insert_contact(&fields(&format!("{name}@example.com"), name, "X"), Timestamp(100), "s")
            .await
            .unwrap();
        let state =
            if *name == "unsubscribed" { SubscriptionState::Unsubscribed } else { SubscriptionState::Subscribed };
        // The subscription is the profile's last update.
        let at = match *name {
            "older" => 150,
            "recent" => 5_000,
            _ => 200 + i as i64,
        };
        store.set_subscription(id, weekly, state, &evidence(Timestamp(at), "Yes")).await.unwrap();
        ids.push(id);
    }
    store.create_link(ids[3], "profile", "h-linked", Timestamp(900), Timestamp(2_000)).await.unwrap();
    let consent = evidence(Timestamp(210), "Suppressed by staff");
    store.suppress_contacts(&[ids[5]], "manual", &consent, "staff").await.unwrap();
    let picked = store.contacts_to_refresh(Timestamp(1_000), Timestamp(800), 10).await.unwrap();
    assert_eq!(picked, [ids[1], ids[0]], "oldest first; not recent, linked, unsubscribed or suppressed");
    assert_eq!(
        store.contacts_to_refresh(Timestamp(1_000), Timestamp(800), 1).await.unwrap(),
        [ids[1]],
        "at most the limit"
    );
    assert_eq!(
        store.contacts_to_refresh(Timestamp(1_000), Timestamp(1_000), 10).await.unwrap().len(),
        3,
        "an older link does not count"
    );
}

both_backends! {
    a_personal_link_works_once_for_its_purpose_until_it_expires,
    erasure_blanks_the_person_but_keeps_them_known,
    a_pause_keeps_its_evidence_and_ends,
    the_preferred_channel_is_chosen_with_its_words,
    the_yearly_refresh_picks_the_oldest_reachable_profiles,
}
