//! Bulk actions over a list: the ids matching it, moving to a pool, suppressing, whole
//! contacts for exports; and the lookups the events API makes.

use super::*;
use app::model::engagement::Pool;

async fn five(store: &dyn app::store::Store) -> Vec<app::model::ContactId> {
    let mut ids = Vec::new();
    for (i, channel) in
        [Channel::Web, Channel::PointOfSale, Channel::Web, Channel::Event, Channel::Web].iter().enumerate()
    {
        let mut f = fields(&format!("p{i}@example.com"), "P", &format!("N{i}"));
        f.channel = *channel;
        ids.push(store.insert_contact(&f, Timestamp(100 + i as i64), "s").await.unwrap());
    }
    ids
}

async fn a_list_is_walked_by_id_and_counted(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let ids = five(&*store).await;
    let web = ContactQuery { channel: Some(Channel::Web), ..Default::default() };
    assert_eq!(store.count_matching(&web, &bounds()).await.unwrap(), 3);
    assert_eq!(store.count_matching(&ContactQuery::default(), &bounds()).await.unwrap(), 5);
    let first = store.contact_ids_matching(&web, &bounds(), app::model::ContactId(0), 2).await.unwrap();
    assert_eq!(first, [ids[0], ids[2]]);
    let rest = store.contact_ids_matching(&web, &bounds(), first[1], 2).await.unwrap();
    assert_eq!(rest, [ids[4]]);
    assert!(store.contact_ids_matching(&web, &bounds(), ids[4], 2).await.unwrap().is_empty());

    let whole = store.contacts_by_ids(&[ids[3], ids[1], app::model::ContactId(9_999)]).await.unwrap();
    assert_eq!(whole.iter().map(|c| c.id).collect::<Vec<_>>(), [ids[1], ids[3]], "in id order, unknown ids left out");
    assert_eq!(whole[0].fields.email.as_str(), "p1@example.com");
    assert_eq!(whole[1].fields.channel, Channel::Event);
}

async fn pools_and_suppression_change_each_contact_once(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let weekly = store.ensure_newsletter("Weekly", "").await.unwrap();
    let ids = five(&*store).await;
    let yes = ConsentEvidence { at: Timestamp(150), channel: "web".into(), form: "f".into(), text: "Yes".into() };
    store.set_subscription(ids[0], weekly, SubscriptionState::Subscribed, &yes).await.unwrap();

    assert_eq!(store.set_pool(&[ids[0], ids[1]], Pool::Inactive, Timestamp(200), "staff@x").await.unwrap(), 2);
    assert_eq!(
        store.set_pool(&[ids[1], ids[2]], Pool::Inactive, Timestamp(210), "staff@x").await.unwrap(),
        1,
        "already there"
    );
    let pooled = ContactQuery { pool: Some(Pool::Inactive), ..Default::default() };
    assert_eq!(store.count_matching(&pooled, &bounds()).await.unwrap(), 3);
    assert_eq!(store.contact(ids[1]).await.unwrap().unwrap().pool, Pool::Inactive);
    let line = &store.timeline(ids[1], 1).await.unwrap()[0];
    assert_eq!((line.kind.as_str(), line.actor.as_str(), line.occurred_at), ("pool", "staff@x", Timestamp(200)));
    assert_eq!(store.set_pool(&[ids[1]], Pool::Main, Timestamp(220), "staff@x").await.unwrap(), 1);
    assert_eq!(store.contact(ids[1]).await.unwrap().unwrap().pool, Pool::Main);

    let stop = ConsentEvidence {
        at: Timestamp(300),
        channel: "staff".into(),
        form: "bulk action".into(),
        text: "Cleaned".into(),
    };
    assert_eq!(store.suppress_contacts(&[ids[0], ids[3]], "manual", &stop, "staff@x").await.unwrap(), 2);
    let later = ConsentEvidence { at: Timestamp(400), ..stop.clone() };
    assert_eq!(store.suppress_contacts(&[ids[0]], "manual", &later, "staff@x").await.unwrap(), 0, "once");
    let c = store.contact(ids[0]).await.unwrap().unwrap();
    assert_eq!((c.suppressed_at, c.suppression_reason.as_deref()), (Some(Timestamp(300)), Some("manual")));
    let subs = store.subscriptions(ids[0]).await.unwrap();
    assert_eq!((subs[0].state, &subs[0].consent), (SubscriptionState::Unsubscribed, &stop), "with the evidence");
    assert_eq!(store.known_md5(&[c.email_md5]).await.unwrap().len(), 1, "the address is kept, hashed");
}

async fn the_events_api_finds_contacts_by_address_and_id(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let ids = five(&*store).await;
    let found = store
        .contact_ids_by_email(&["p1@example.com".into(), "nobody@example.com".into(), "p4@example.com".into()])
        .await
        .unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!((found["p1@example.com"], found["p4@example.com"]), (ids[1], ids[4]));
    assert!(store.contact_ids_by_email(&[]).await.unwrap().is_empty());
    let mut existing = store.existing_contact_ids(&[ids[2], app::model::ContactId(9_999), ids[0]]).await.unwrap();
    existing.sort();
    assert_eq!(existing, [ids[0], ids[2]]);
}

both_backends! {
    a_list_is_walked_by_id_and_counted,
    pools_and_suppression_change_each_contact_once,
    the_events_api_finds_contacts_by_address_and_id,
}
