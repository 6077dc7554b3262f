//! Public sign-ups and their double opt-in.

use super::*;

async fn a_sign_up_is_confirmed_once_even_when_clicked_twice_at_once(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let weekly = store.ensure_newsletter("Weekly", "").await.unwrap();
    let signup = |token: &str, address: &str| app::store::NewSignup {
        token_hash: token.into(),
        email: email(address),
        first_name: "Zoé".into(),
        channel: Channel::Event,
        source_detail: "Salon".into(),
        lang: "en".into(),
        offers: vec![(weekly, "Yes, send me “Weekly”.".into())],
        form: "test form".into(),
        created_at: Timestamp(100),
        expires_at: Timestamp(1_000),
    };
    store.create_signup(&signup("t1", "zoe@example.com")).await.unwrap();
    store.create_signup(&signup("t2", "zoe@example.com")).await.unwrap();
    // The same link twice at once, and a second sign-up of the same address at once.
    let (a, b, c) = tokio::join!(
        store.confirm_signup("t1", Timestamp(200)),
        store.confirm_signup("t1", Timestamp(200)),
        store.confirm_signup("t2", Timestamp(200))
    );
    let mut outcomes = vec![a.unwrap(), b.unwrap()];
    outcomes.sort_by_key(|o| matches!(o, app::store::SignupOutcome::Used));
    let app::store::SignupOutcome::Confirmed { contact_id, newsletters } = &outcomes[0] else { panic!("{outcomes:?}") };
    assert_eq!(outcomes[1], app::store::SignupOutcome::Used);
    assert_eq!(newsletters, &["Weekly".to_string()]);
    let app::store::SignupOutcome::Confirmed { contact_id: same, .. } = c.unwrap() else { panic!("second sign-up") };
    assert_eq!(*contact_id, same, "one contact for one address");
    let contact = store.contact(*contact_id).await.unwrap().unwrap();
    assert_eq!((contact.fields.channel, contact.fields.source_detail.as_str()), (Channel::Event, "Salon"));
    let subs = store.subscriptions(*contact_id).await.unwrap();
    assert_eq!((subs.len(), subs[0].state), (1, SubscriptionState::Subscribed));
    assert!(subs[0].consent.text.starts_with("Yes, send me “Weekly”."));
    assert_eq!(
        store.signup_state("t1").await.unwrap(),
        Some(app::store::SignupState { expires_at: Timestamp(1_000), confirmed_at: Some(Timestamp(200)) })
    );
    assert_eq!(store.confirm_signup("nope", Timestamp(200)).await.unwrap(), app::store::SignupOutcome::Unknown);
    store.create_signup(&signup("t3", "late@example.com")).await.unwrap();
    assert_eq!(store.confirm_signup("t3", Timestamp(1_000)).await.unwrap(), app::store::SignupOutcome::Expired);
}

async fn quick_entry_subscribes_a_new_or_known_contact_but_never_a_suppressed_one(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let weekly = store.ensure_newsletter("Weekly", "").await.unwrap();
    let offers = store.ensure_newsletter("Offers", "").await.unwrap();
    let said = ConsentEvidence {
        at: Timestamp(100),
        channel: "call_centre".into(),
        form: "quick entry".into(),
        text: "Oui".into(),
    };
    let consented = |newsletter_id| app::store::Consented { newsletter_id, consent: said.clone() };
    let both = [consented(weekly), consented(offers)];
    let app::store::Subscribed { contact_id: id, created } = store
        .subscribe_contact(&fields("ana@example.com", "Ana", "P"), &both, Timestamp(100), "staff@x")
        .await
        .unwrap()
        .unwrap();
    assert!(created);
    assert_eq!(store.subscriptions(id).await.unwrap().len(), 2);
    // Known: subscribed, its data left as it is.
    let app::store::Subscribed { contact_id: again, created } = store
        .subscribe_contact(&fields("ANA@example.com", "Someone", "Else"), &both[..1], Timestamp(200), "staff@x")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((again, created), (id, false));
    assert_eq!(store.contact(id).await.unwrap().unwrap().fields.first_name, "Ana");
    let stop =
        ConsentEvidence { at: Timestamp(300), channel: "staff".into(), form: "bulk".into(), text: "Suppressed".into() };
    store.suppress_contacts(&[id], "manual", &stop, "staff@x").await.unwrap();
    let refused = store
        .subscribe_contact(&fields("ana@example.com", "Ana", "P"), &both, Timestamp(400), "staff@x")
        .await
        .unwrap();
    assert_eq!(refused, None, "a suppressed address is never subscribed again");
    let subs = store.subscriptions(id).await.unwrap();
    assert!(subs.iter().all(|s| s.state == SubscriptionState::Unsubscribed), "{subs:?}");
    assert_eq!(store.count_contacts().await.unwrap(), 1);
}

async fn expired_sign_ups_forget_the_person_then_go(db: common::Db) {
    const DAY: i64 = 86_400;
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let weekly = store.ensure_newsletter("Weekly", "").await.unwrap();
    let signup = |token: &str, expires_at| app::store::NewSignup {
        token_hash: token.into(),
        email: email("zoe@example.com"),
        first_name: "Zoé".into(),
        channel: Channel::Web,
        source_detail: String::new(),
        lang: "fr".into(),
        offers: vec![(weekly, "Oui".into())],
        form: "f".into(),
        created_at: Timestamp(0),
        expires_at,
    };
    store.create_signup(&signup("expired", Timestamp(10 * DAY))).await.unwrap();
    store.create_signup(&signup("open", Timestamp(100 * DAY))).await.unwrap();
    assert_eq!(store.purge_signups(Timestamp(20 * DAY)).await.unwrap(), 0, "kept a while to say it expired");
    assert_eq!(
        store.signup_state("expired").await.unwrap(),
        Some(app::store::SignupState { expires_at: Timestamp(10 * DAY), confirmed_at: None })
    );
    assert_eq!(store.confirm_signup("expired", Timestamp(20 * DAY)).await.unwrap(), app::store::SignupOutcome::Expired);
    assert_eq!(store.purge_signups(Timestamp(41 * DAY)).await.unwrap(), 1, "then forgotten");
    assert_eq!(store.signup_state("expired").await.unwrap(), None);
    assert!(store.signup_state("open").await.unwrap().is_some(), "an open sign-up stays");
    let app::store::SignupOutcome::Confirmed { contact_id, .. } =
        store.confirm_signup("open", Timestamp(41 * DAY)).await.unwrap()
    else {
        panic!("the open sign-up still confirms")
    };
    assert_eq!(store.contact(contact_id).await.unwrap().unwrap().fields.first_name, "Zoé");
}

both_backends! {
    a_sign_up_is_confirmed_once_even_when_clicked_twice_at_once,
    quick_entry_subscribes_a_new_or_known_contact_but_never_a_suppressed_one,
    expired_sign_ups_forget_the_person_then_go,
}
