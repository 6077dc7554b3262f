//! Events and their fold.

use super::*;

async fn interactions_move_the_last_interaction_forward_only(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let id = store.insert_contact(&fields("ada@example.com", "Ada", "L"), Timestamp(100), "s").await.unwrap();
    let event = |kind, at| app::store::NewEvent {
        contact_id: id,
        kind,
        occurred_at: at,
        campaign: String::new(),
        meta: String::new(),
        detail: String::new(),
        actor: "s".into(),
    };
    use app::model::events::EventKind;
    // Accepted events change nothing until folded.
    store.queue_events(&[event(EventKind::Click, Timestamp(500))]).await.unwrap();
    assert_eq!(store.contact(id).await.unwrap().unwrap().last_interaction_at, None);
    assert_eq!(store.fold_events(100).await.unwrap(), 1);
    store.queue_events(&[event(EventKind::Open, Timestamp(400))]).await.unwrap(); // older, arriving late
    store.queue_events(&[event(EventKind::SoftBounce, Timestamp(600))]).await.unwrap(); // not an interaction
    assert_eq!(store.fold_events(100).await.unwrap(), 2);
    let c = store.contact(id).await.unwrap().unwrap();
    assert_eq!(
        (c.last_interaction_at, c.last_signal_at, c.last_open_at),
        (Some(Timestamp(500)), Some(Timestamp(500)), Some(Timestamp(400)))
    );
    assert_eq!(
        store.timeline(id, 2).await.unwrap().iter().map(|a| a.kind.as_str()).collect::<Vec<_>>(),
        ["soft_bounce", "click"]
    );
}

async fn events_are_folded_once_in_order_of_acceptance(db: common::Db) {
    use app::model::events::EventKind;
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let a = store.insert_contact(&fields("ada@example.com", "Ada", "L"), Timestamp(100), "s").await.unwrap();
    let b = store.insert_contact(&fields("bob@example.com", "Bob", "M"), Timestamp(100), "s").await.unwrap();
    let event = |contact_id, kind, at| app::store::NewEvent {
        contact_id,
        kind,
        occurred_at: at,
        campaign: "c".into(),
        meta: String::new(),
        detail: String::new(),
        actor: "s".into(),
    };
    let batch: Vec<_> =
        (0..7).map(|i| event(if i % 2 == 0 { a } else { b }, EventKind::Purchase, Timestamp(1_000) + i)).collect();
    store.queue_events(&batch).await.unwrap();
    store.queue_events(&[event(b, EventKind::Visit, Timestamp(2_000))]).await.unwrap();
    // Two folders at once (two instances): between them, every event exactly once.
    let (x, y) = tokio::join!(store.fold_events(3), store.fold_events(3));
    let first_two = x.unwrap() + y.unwrap();
    assert_eq!(first_two, 6, "each fold takes its own 3 events");
    assert_eq!(store.fold_events(100).await.unwrap(), 2, "the rest, oldest first");
    assert_eq!(store.fold_events(100).await.unwrap(), 0, "nothing is folded twice");
    let (ca, cb) = (store.contact(a).await.unwrap().unwrap(), store.contact(b).await.unwrap().unwrap());
    assert_eq!((ca.purchase_count, cb.purchase_count), (4, 3));
    // "Created", then every event once.
    assert_eq!(store.timeline(a, 20).await.unwrap().len(), 1 + 4);
    assert_eq!(store.timeline(b, 20).await.unwrap().len(), 1 + 4);
    assert_eq!((ca.last_interaction_at, cb.last_interaction_at), (Some(Timestamp(1_006)), Some(Timestamp(2_000))));
}

/// An import's chunk and its progress are accepted together: the mark says how far its
/// events went in, and is forgotten when the import ends.
async fn marked_events_are_accepted_with_their_mark(db: common::Db) {
    use app::model::events::EventKind;
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let id = store.insert_contact(&fields("ada@example.com", "Ada", "L"), Timestamp(100), "s").await.unwrap();
    let event = app::store::NewEvent {
        contact_id: id,
        kind: EventKind::Click,
        occurred_at: Timestamp(500),
        campaign: String::new(),
        meta: String::new(),
        detail: String::new(),
        actor: "import".into(),
    };
    assert_eq!(store.inbox_mark("import:1").await.unwrap(), None);
    store.queue_events_marked(&[event.clone(), event.clone()], "import:1", 0, 2).await.unwrap();
    assert_eq!(store.inbox_mark("import:1").await.unwrap(), Some(2));
    assert_eq!(store.pending_events().await.unwrap(), 2, "the events are in with their mark");
    // A second run of the same chunk (an instance that stalled past its lease while
    // another took the import over): refused whole, nothing queued twice.
    let again = store.queue_events_marked(&[event.clone(), event.clone()], "import:1", 0, 2).await;
    assert!(matches!(again, Err(app::store::StoreError::LeaseLost)), "{again:?}");
    assert_eq!(store.pending_events().await.unwrap(), 2, "the refused chunk left nothing");
    store.queue_events_marked(&[], "import:1", 2, 5).await.unwrap();
    assert_eq!(store.inbox_mark("import:1").await.unwrap(), Some(5), "a chunk of skipped lines moves the mark");
    assert_eq!(store.inbox_mark("import:2").await.unwrap(), None, "marks are per work");
    assert_eq!(store.fold_events(100).await.unwrap(), 2);
    assert_eq!(store.inbox_mark("import:1").await.unwrap(), Some(5), "folding keeps the mark");
}

both_backends! {
    marked_events_are_accepted_with_their_mark,
    interactions_move_the_last_interaction_forward_only,
    events_are_folded_once_in_order_of_acceptance,
}
