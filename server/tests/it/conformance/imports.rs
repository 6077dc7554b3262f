//! Imports: the stored file, runs written batch by batch under their job's lease,
//! refusals, saved mappings and the suppression list's hashes.

use super::*;
use app::imports::rules::ImportCounts;
use app::store::imports::*;

async fn an_import_is_stored_run_and_ended(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let id = store
        .create_import(&NewImport { kind: "contacts", file_name: "a.csv", created_by: "ann", now: Timestamp(10) })
        .await
        .unwrap();
    store.add_import_chunk(id, 0, b"email\nann@").await.unwrap();
    store.add_import_chunk(id, 1, b"example.com\n").await.unwrap();
    assert_eq!(store.import_chunk(id, 1).await.unwrap().as_deref(), Some(&b"example.com\n"[..]));
    assert!(store.import_chunk(id, 2).await.unwrap().is_none(), "past the end");
    let headers = vec!["email".to_string()];
    let file = UploadedFile { size_bytes: 22, encoding: "utf-8", separator: ",", headers: &headers };
    store.import_uploaded(id, &file, Timestamp(11)).await.unwrap();
    store.import_uploaded(id, &file, Timestamp(11)).await.expect("read again (another separator) before a run");
    let record = store.import(id).await.unwrap().unwrap();
    assert_eq!((record.state.as_str(), record.headers.clone(), record.size_bytes), ("uploaded", headers.clone(), 22));
    assert_eq!(store.recent_imports(5).await.unwrap().len(), 1);

    let job = store
        .create_job(&app::store::NewJob {
            kind: "import_file".into(),
            params: "{}".into(),
            payload: String::new(),
            total: 22,
            created_by: "ann".into(),
            now: Timestamp(12),
        })
        .await
        .unwrap();
    store.start_import_run(id, "{\"x\":1}", false, Some(job), Timestamp(12)).await.unwrap();
    assert!(
        matches!(store.start_import_run(id, "{}", true, None, Timestamp(12)).await, Err(StoreError::NotFound)),
        "one run at a time"
    );
    assert!(
        matches!(store.import_uploaded(id, &file, Timestamp(12)).await, Err(StoreError::NotFound)),
        "not while a run is under way"
    );
    let claimed = store.claim_job(Timestamp(13), Timestamp(73), "lease").await.unwrap().unwrap().job;

    let ann = fields("ann@example.com", "Ann", "");
    let newsletter = store.ensure_newsletter("Lettre", "").await.unwrap();
    let consent =
        ConsentEvidence { at: Timestamp(5), channel: "import".into(), form: "old site".into(), text: "Oui".into() };
    let position = |job, at, line| RunPosition {
        import_id: id,
        job,
        resume_at: at,
        resume_line: line,
        done: at,
        now: Timestamp(14),
    };
    let batch = ContactBatch {
        position: position(Some(&claimed), 16, 3),
        dry_run: false,
        creates: vec![ImportedContact {
            line: 2,
            fields: ann.clone(),
            subscription: Some(app::store::Consented { newsletter_id: newsletter, consent: consent.clone() }),
        }],
        changes: vec![],
        refusals: vec![Refusal { line: 3, reason: "bad".into(), record: "x".into() }],
        counts: ImportCounts { created: 1, refused: 1, ..Default::default() },
        detail: "Imported",
        actor: "ann",
    };
    let written = store.write_contact_batch(&batch).await.unwrap();
    assert_eq!((written.created, written.refused), (1, 1));
    let known = store.known_addresses(&[&ann.email], Some(newsletter)).await.unwrap();
    assert_eq!(known.contacts.len(), 1);
    let (contact, subscribed) = &known.contacts[0];
    assert!(*subscribed, "the subscription came with it");
    // Written again (a run that died before it knew its batch was written): the contact
    // is there already, so the counts say so, and the refusal is not doubled.
    let again = store.write_contact_batch(&batch).await.unwrap();
    assert_eq!((again.created, again.unchanged), (0, 1));
    assert_eq!(
        store.import_refusals(id, 0, 10).await.unwrap(),
        vec![Refusal { line: 3, reason: "bad".into(), record: "x".into() }]
    );
    assert!(store.import_refusals(id, 3, 10).await.unwrap().is_empty(), "after line 3");
    // A change read before another write is left alone.
    let change = |read_at| ImportedChange {
        id: contact.id,
        read_at,
        fields: Some(fields("ann@example.com", "Anna", "L")),
        subscription: None,
    };
    let stale = ContactBatch {
        changes: vec![change(Timestamp(1))],
        creates: vec![],
        refusals: vec![],
        counts: ImportCounts { updated: 1, ..Default::default() },
        ..batch.clone()
    };
    assert_eq!(store.write_contact_batch(&stale).await.unwrap().unchanged, 1);
    let fresh_change = ContactBatch { changes: vec![change(contact.updated_at)], ..stale.clone() };
    assert_eq!(store.write_contact_batch(&fresh_change).await.unwrap().updated, 1);
    assert_eq!(store.contact(contact.id).await.unwrap().unwrap().fields.first_name, "Anna");
    // Another run holds the job now: nothing of this one's is written.
    let other = store.claim_job(Timestamp(500), Timestamp(560), "other").await.unwrap().unwrap().job;
    assert!(matches!(store.write_contact_batch(&batch).await, Err(StoreError::LeaseLost)));
    let record = store.import(id).await.unwrap().unwrap();
    assert_eq!((record.resume_at, record.resume_line, record.state.as_str()), (16, 3, "running"));
    assert_eq!(record.counts, ImportCounts { created: 1, updated: 1, unchanged: 2, refused: 2, ..Default::default() });
    let _ = other;
    store.end_import_run(id, "done", Timestamp(20)).await.unwrap();
    assert!(store.import_chunk(id, 0).await.unwrap().is_none(), "the file goes once imported");
    assert_eq!(store.import(id).await.unwrap().unwrap().state, "done");

    // The suppression list: hashes only, an entry already known counted as such, the
    // contact it names suppressed.
    let list = store
        .create_import(&NewImport { kind: "suppression", file_name: "l.txt", created_by: "ann", now: Timestamp(30) })
        .await
        .unwrap();
    store.import_uploaded(list, &file, Timestamp(30)).await.unwrap();
    store.start_import_run(list, "{}", false, None, Timestamp(30)).await.unwrap();
    let bob = email("bob@example.com");
    let batch = SuppressionBatch {
        position: RunPosition { import_id: list, job: None, resume_at: 9, resume_line: 4, done: 9, now: Timestamp(31) },
        dry_run: false,
        entries: vec![vec![bob.sha256_hex(), bob.md5_hex()], vec![ann.email.md5_hex()]],
        reason: "old tool",
        refusals: vec![],
        counts: ImportCounts::default(),
    };
    let counts = store.write_suppression_batch(&batch).await.unwrap();
    assert_eq!((counts.created, counts.suppressed), (1, 1), "{counts:?}");
    let known = store.known_addresses(&[&bob], None).await.unwrap();
    assert_eq!(known.suppressed_hashes.len(), 2);
    let ann_now = store.contact(contact.id).await.unwrap().unwrap();
    assert_eq!(ann_now.suppression_reason.as_deref(), Some("suppression_list"));
    assert_eq!(store.subscriptions(contact.id).await.unwrap()[0].state, app::model::SubscriptionState::Unsubscribed);
    let counts = store.write_suppression_batch(&batch).await.unwrap();
    assert_eq!((counts.created, counts.unchanged), (0, 2), "known the second time");

    assert_eq!(
        store.save_import_mapping("Shop", "{\"a\":1}", "ann", Timestamp(40)).await.unwrap(),
        store.save_import_mapping("Shop", "{\"a\":2}", "ann", Timestamp(41)).await.unwrap()
    );
    let saved = store.import_mappings().await.unwrap();
    assert_eq!((saved.len(), saved[0].settings.as_str()), (1, "{\"a\":2}"), "saved again under its name");
}

/// An uploaded file never imported is deleted once idle; a run under way keeps its own.
async fn idle_imports_lose_their_files(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let headers = vec!["email".to_string()];
    let mut ids = Vec::new();
    for at in [10, 20, 30] {
        let new = NewImport { kind: "contacts", file_name: "a.csv", created_by: "ann", now: Timestamp(at) };
        let id = store.create_import(&new).await.unwrap();
        store.add_import_chunk(id, 0, b"email\n").await.unwrap();
        let file = UploadedFile { size_bytes: 6, encoding: "utf-8", separator: ",", headers: &headers };
        store.import_uploaded(id, &file, Timestamp(at)).await.unwrap();
        ids.push(id);
    }
    store.start_import_run(ids[2], "{}", true, None, Timestamp(30)).await.unwrap();
    assert_eq!(store.expire_imports(Timestamp(15), None).await.unwrap(), 1, "only the one idle since before 15");
    let first = store.import(ids[0]).await.unwrap().unwrap();
    assert_eq!(first.state, "expired");
    assert!(store.import_chunk(ids[0], 0).await.unwrap().is_none(), "its file is gone");
    assert!(store.import_chunk(ids[1], 0).await.unwrap().is_some());
    assert_eq!(store.expire_imports(Timestamp(1_000), Some(ids[1])).await.unwrap(), 1, "that one alone");
    assert!(store.import_chunk(ids[1], 0).await.unwrap().is_none());
    assert_eq!(store.expire_imports(Timestamp(1_000), None).await.unwrap(), 0, "a run under way keeps its file");
    assert!(store.import_chunk(ids[2], 0).await.unwrap().is_some());
}

both_backends! {
    an_import_is_stored_run_and_ended,
    idle_imports_lose_their_files,
}
