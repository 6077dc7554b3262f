//! Contacts, newsletters and subscriptions, the list, bulk loads.

use super::*;

async fn contacts_are_unique_by_normalised_email(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let id =
        store.insert_contact(&fields("Ada@Example.com", "Ada", "Lovelace"), Timestamp(100), "staff@x").await.unwrap();
    let c = store.contact(id).await.unwrap().unwrap();
    assert_eq!(c.fields.email.as_str(), "ada@example.com");
    assert_eq!(c.email_md5, email("ada@example.com").md5_hex());
    assert_eq!(c.email_sha256, email("ada@example.com").sha256_hex());
    assert_eq!((c.created_at, c.updated_at), (Timestamp(100), Timestamp(100)));
    let dup = store.insert_contact(&fields(" ADA@example.com ", "A", "L"), Timestamp(101), "staff@x").await;
    assert!(
        matches!(dup, Err(StoreError::Conflict { ref constraint }) if constraint == "contacts_email_key"),
        "{dup:?}"
    );
    assert_eq!(store.contact_id_by_email(&email("ada@example.com")).await.unwrap(), Some(id));
    assert_eq!(store.count_contacts().await.unwrap(), 1);
    let timeline = store.timeline(id, 10).await.unwrap();
    assert_eq!(timeline.len(), 1);
    assert_eq!((timeline[0].kind.as_str(), timeline[0].interaction), ("created", false));
}

async fn updates_record_what_changed(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let id = store.insert_contact(&fields("ada@example.com", "Ada", "Lovelace"), Timestamp(100), "s").await.unwrap();
    let other = store.insert_contact(&fields("bob@example.com", "Bob", "B"), Timestamp(100), "s").await.unwrap();
    let mut changed = fields("ada@example.com", "Ada", "King");
    changed.job_title = "Analyst".into();
    changed.birth_date = NaiveDate::from_ymd_opt(1815, 12, 10);
    changed.custom.insert("title".into(), "Countess".into());
    store.update_contact(id, &changed, Timestamp(200), "editor@x").await.unwrap();
    let c = store.contact(id).await.unwrap().unwrap();
    assert_eq!(c.fields, changed);
    assert_eq!(c.updated_at, Timestamp(200));
    let timeline = store.timeline(id, 10).await.unwrap();
    assert_eq!(timeline[0].kind, "edited");
    assert_eq!(timeline[0].detail, "Changed: last name, birth date, job title, custom");
    assert_eq!(timeline[0].actor, "editor@x");
    // Saving the same data changes nothing and records nothing.
    store.update_contact(id, &changed, Timestamp(300), "editor@x").await.unwrap();
    assert_eq!(store.timeline(id, 10).await.unwrap().len(), 2);
    // Taking another contact's address is refused by the unique email.
    let taken = store.update_contact(other, &fields("ada@example.com", "Bob", "B"), Timestamp(300), "s").await;
    assert!(matches!(taken, Err(StoreError::Conflict { .. })), "{taken:?}");
    assert!(matches!(
        store.update_contact(app::model::ContactId(9999), &changed, Timestamp(1), "s").await,
        Err(StoreError::NotFound)
    ));
}

async fn lists_filter_sort_and_page_by_keyset(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let weekly = store.ensure_newsletter("Weekly", "").await.unwrap();
    assert_eq!(store.ensure_newsletter("Weekly", "").await.unwrap(), weekly, "ensure is idempotent");
    for i in 0..25 {
        let mut f = fields(&format!("person{i:02}@example.com"), &format!("P{i:02}"), &format!("Name{:02}", 24 - i));
        f.channel = if i % 5 == 0 { Channel::Event } else { Channel::Web };
        let id = store.insert_contact(&f, Timestamp(1000) + i, "s").await.unwrap();
        if i % 2 == 0 {
            let consent = ConsentEvidence {
                at: Timestamp(1000) + i,
                channel: "web".into(),
                form: "f1".into(),
                text: "yes".into(),
            };
            store.set_subscription(id, weekly, SubscriptionState::Subscribed, &consent).await.unwrap();
        }
    }
    // Newest first, ten at a time, through every page and back.
    let mut query = ContactQuery::default();
    let mut seen = Vec::new();
    let mut pages = Vec::new();
    loop {
        let page = store.list_contacts(&query, &bounds(), 10).await.unwrap();
        assert_eq!(page.total, Some(25));
        seen.extend(page.rows.iter().map(|r| r.email.clone()));
        pages.push(page.clone());
        match page.next {
            Some(next) => query = ContactQuery { after: Some(next), ..Default::default() },
            None => break,
        }
    }
    assert_eq!(pages.len(), 3);
    assert_eq!(seen.len(), 25);
    assert_eq!(seen[0], "person24@example.com");
    assert_eq!(seen[24], "person00@example.com");
    let back = store
        .list_contacts(&ContactQuery { before: pages[2].prev.clone(), ..Default::default() }, &bounds(), 10)
        .await
        .unwrap();
    assert_eq!(back.rows, pages[1].rows, "previous page of the last page is the middle page");
    assert!(pages[0].prev.is_none());

    let by_name = store
        .list_contacts(&ContactQuery { sort: ContactSort::Name, ..Default::default() }, &bounds(), 3)
        .await
        .unwrap();
    assert_eq!(by_name.rows.iter().map(|r| r.last_name.as_str()).collect::<Vec<_>>(), ["Name00", "Name01", "Name02"]);

    let events = store
        .list_contacts(&ContactQuery { channel: Some(Channel::Event), ..Default::default() }, &bounds(), 50)
        .await
        .unwrap();
    assert_eq!(events.total, Some(5));
    assert!(events.rows.iter().all(|r| r.channel == Channel::Event));

    let subscribed = ContactQuery {
        newsletter: Some(weekly),
        subscription: Some(SubscriptionState::Subscribed),
        ..Default::default()
    };
    assert_eq!(store.list_contacts(&subscribed, &bounds(), 50).await.unwrap().total, Some(13));

    // Search matches part of a name or an address, case-insensitively; wildcards are literal.
    let found = store
        .list_contacts(&ContactQuery { q: "PERSON07@".into(), ..Default::default() }, &bounds(), 50)
        .await
        .unwrap();
    assert_eq!(found.rows.len(), 1);
    assert_eq!(found.total, None, "free-text searches are not counted");
    let exact = store
        .list_contacts(&ContactQuery { q: "Person07@Example.com".into(), ..Default::default() }, &bounds(), 50)
        .await
        .unwrap();
    assert_eq!(
        exact.rows.iter().map(|r| r.email.as_str()).collect::<Vec<_>>(),
        ["person07@example.com"],
        "a whole address finds exactly its contact"
    );
    assert_eq!(
        store
            .list_contacts(&ContactQuery { q: "name1".into(), ..Default::default() }, &bounds(), 50)
            .await
            .unwrap()
            .rows
            .len(),
        10
    );
    assert!(store
        .list_contacts(&ContactQuery { q: "%".into(), ..Default::default() }, &bounds(), 50)
        .await
        .unwrap()
        .rows
        .is_empty());
}

async fn subscriptions_keep_consent_evidence(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let n = store.ensure_newsletter("Offers", "Deals").await.unwrap();
    let id = store.insert_contact(&fields("ada@example.com", "Ada", "L"), Timestamp(100), "s").await.unwrap();
    let yes = ConsentEvidence {
        at: Timestamp(200),
        channel: "event".into(),
        form: "salon v2".into(),
        text: "I agree".into(),
    };
    store.set_subscription(id, n, SubscriptionState::Subscribed, &yes).await.unwrap();
    let no = ConsentEvidence {
        at: Timestamp(300),
        channel: "web".into(),
        form: "preferences v1".into(),
        text: "Unsubscribe".into(),
    };
    store.set_subscription(id, n, SubscriptionState::Unsubscribed, &no).await.unwrap();
    let subs = store.subscriptions(id).await.unwrap();
    assert_eq!(subs.len(), 1);
    assert_eq!((subs[0].state, &subs[0].consent), (SubscriptionState::Unsubscribed, &no));
    assert_eq!(subs[0].newsletter.name, "Offers");
    let timeline = store.timeline(id, 10).await.unwrap();
    assert_eq!(timeline.iter().filter(|a| a.kind == "subscription").count(), 2);
    assert_eq!(store.contact(id).await.unwrap().unwrap().updated_at, Timestamp(300));
}

async fn bulk_inserts_skip_known_addresses(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let n = store.ensure_newsletter("Weekly", "").await.unwrap();
    store.insert_contact(&fields("known@example.com", "K", "K"), Timestamp(1), "s").await.unwrap();
    let consent =
        ConsentEvidence { at: Timestamp(5), channel: "import".into(), form: "file".into(), text: "ok".into() };
    let batch: Vec<BulkContact> = ["known@example.com", "new1@example.com", "new2@example.com"]
        .iter()
        .map(|e| BulkContact {
            fields: fields(e, "N", "N"),
            created_at: Timestamp(5),
            purchase_count: 1,
            subscriptions: vec![app::store::BulkSubscription {
                newsletter_id: n,
                state: SubscriptionState::Subscribed,
                consent: consent.clone(),
            }],
            activities: vec![
                BulkActivity { kind: EventKind::Open, at: Timestamp(7), detail: "x".into() },
                BulkActivity { kind: EventKind::Click, at: Timestamp(6), detail: "y".into() },
            ],
        })
        .collect();
    assert_eq!(store.insert_contacts_bulk(&batch).await.unwrap(), 2);
    assert_eq!(store.count_contacts().await.unwrap(), 3);
    let id = store.contact_id_by_email(&email("new2@example.com")).await.unwrap().unwrap();
    assert_eq!(store.subscriptions(id).await.unwrap().len(), 1);
    assert_eq!(store.timeline(id, 5).await.unwrap().len(), 2);
    let loaded = store.contact(id).await.unwrap().unwrap();
    assert_eq!(
        (loaded.last_interaction_at, loaded.last_signal_at, loaded.last_open_at, loaded.last_click_at),
        (Some(Timestamp(7)), Some(Timestamp(6)), Some(Timestamp(7)), Some(Timestamp(6))),
        "engagement instants are derived from the loaded timeline"
    );
    let known = store.contact_id_by_email(&email("known@example.com")).await.unwrap().unwrap();
    assert!(store.subscriptions(known).await.unwrap().is_empty(), "a skipped contact gets nothing");
}

async fn a_bulk_load_rebuilds_its_indexes(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    store.begin_bulk_load(false).await.unwrap();
    // Enough rows for PostgreSQL's COPY path, one of them with every character COPY's text
    // format escapes (and what looks like its NULL), which must come back as written.
    let awkward = "Tab\there, back\\slash \\N\nnew line\r\nÉlise & Cie";
    let mut batch: Vec<BulkContact> = (0..100)
        .map(|i| BulkContact {
            fields: fields(&format!("bulk{i}@example.com"), "Bulk", &format!("Loaded{i:02}")),
            created_at: Timestamp(100) + i,
            purchase_count: i % 3,
            subscriptions: vec![],
            activities: vec![],
        })
        .collect();
    batch[7].fields.company = awkward.to_string();
    batch[7].fields.custom.insert("note".into(), awkward.to_string());
    batch[7].fields.interests = vec!["vin".into(), "thé".into()];
    batch[7].fields.birth_date = NaiveDate::from_ymd_opt(1990, 5, 17);
    batch[7].fields.total_spent_cents = 123_450;
    assert_eq!(store.insert_contacts_bulk(&batch).await.unwrap(), 100);
    assert_eq!(store.insert_contacts_bulk(&batch[..70]).await.unwrap(), 0, "known addresses are skipped");
    let id = store.contact_id_by_email(&email("bulk7@example.com")).await.unwrap().unwrap();
    let loaded = store.contact(id).await.unwrap().unwrap();
    assert_eq!(loaded.fields, batch[7].fields, "every field comes back as written");
    assert_eq!((loaded.created_at, loaded.purchase_count), (Timestamp(107), 1));
    store.ensure_indexes().await.unwrap();
    store.ensure_indexes().await.unwrap();
    // Every query shape still answers, including the ones that name an index.
    let found =
        store.list_contacts(&ContactQuery { q: "loaded1".into(), ..Default::default() }, &bounds(), 50).await.unwrap();
    assert_eq!(found.rows.len(), 10);
    let newest = store.list_contacts(&ContactQuery::default(), &bounds(), 5).await.unwrap();
    assert_eq!(newest.rows[0].email, "bulk99@example.com");
}

async fn newsletters_are_ensured_once_by_name(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    assert!(store.newsletters().await.unwrap().is_empty(), "a fresh install has none");
    let weekly = store.ensure_newsletter("Weekly", "Every Monday").await.unwrap();
    let offers = store.ensure_newsletter("Offers", "").await.unwrap();
    assert_eq!(store.ensure_newsletter("Weekly", "Changed").await.unwrap(), weekly, "one newsletter per name");
    let list = store.newsletters().await.unwrap();
    let mut ids: Vec<app::model::NewsletterId> = list.iter().map(|n| n.id).collect();
    ids.sort();
    let mut expected = vec![weekly, offers];
    expected.sort();
    assert_eq!(ids, expected);
    let w = list.iter().find(|n| n.id == weekly).unwrap();
    assert_eq!((w.name.as_str(), w.description.as_str()), ("Weekly", "Every Monday"));
}

/// Newsletters as staff manage them: unique names, their order on forms, a channel
/// kept, archived ones listed with the rest but not among the open ones (and reopened).
async fn newsletters_are_created_ordered_and_archived(db: common::Db) {
    use app::model::contact::{NewsletterChannel, NewsletterFields};
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let fields = |name: &str, channel, position| NewsletterFields {
        name: name.into(),
        description: format!("About {name}"),
        channel,
        position,
    };
    let weekly = store.create_newsletter(&fields("Weekly", NewsletterChannel::Email, 2)).await.unwrap();
    let alerts = store.create_newsletter(&fields("Alerts", NewsletterChannel::Sms, 1)).await.unwrap();
    let again = store.create_newsletter(&fields("Weekly", NewsletterChannel::Sms, 0)).await;
    assert!(
        matches!(again, Err(StoreError::Conflict { ref constraint }) if constraint == "newsletters_name_key"),
        "{again:?}"
    );
    let names = |list: Vec<app::model::contact::Newsletter>| list.into_iter().map(|n| n.name).collect::<Vec<_>>();
    assert_eq!(names(store.newsletters().await.unwrap()), ["Alerts", "Weekly"], "by position");
    store.update_newsletter(weekly, &fields("Weekly news", NewsletterChannel::Email, 0)).await.unwrap();
    let taken = store.update_newsletter(alerts, &fields("Weekly news", NewsletterChannel::Sms, 1)).await;
    assert!(matches!(taken, Err(StoreError::Conflict { .. })), "{taken:?}");
    let missing =
        store.update_newsletter(app::model::NewsletterId(999), &fields("X", NewsletterChannel::Email, 0)).await;
    assert!(matches!(missing, Err(StoreError::NotFound)));
    let list = store.newsletters().await.unwrap();
    assert_eq!(names(list.clone()), ["Weekly news", "Alerts"]);
    let alerts_row = list.iter().find(|n| n.id == alerts).unwrap();
    assert_eq!((alerts_row.channel, alerts_row.position, alerts_row.archived), (NewsletterChannel::Sms, 1, false));

    store.set_newsletter_archived(alerts, Some(Timestamp(500))).await.unwrap();
    assert_eq!(names(store.open_newsletters().await.unwrap()), ["Weekly news"], "archived: not offered");
    let all = store.newsletters().await.unwrap();
    assert!(all.iter().any(|n| n.id == alerts && n.archived), "but kept");
    store.set_newsletter_archived(alerts, None).await.unwrap();
    assert_eq!(names(store.open_newsletters().await.unwrap()), ["Weekly news", "Alerts"], "reopened");
    assert!(matches!(
        store.set_newsletter_archived(app::model::NewsletterId(999), None).await,
        Err(StoreError::NotFound)
    ));
}

both_backends! {
    newsletters_are_created_ordered_and_archived,
    newsletters_are_ensured_once_by_name,
    contacts_are_unique_by_normalised_email,
    updates_record_what_changed,
    lists_filter_sort_and_page_by_keyset,
    subscriptions_keep_consent_evidence,
    bulk_inserts_skip_known_addresses,
    a_bulk_load_rebuilds_its_indexes,
}
