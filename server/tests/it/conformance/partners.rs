//! Partners, their keys and counters, leads and billing, idempotent answers, the audit
//! trail and the suppression lookups.

use super::*;
use app::model::api_key::Scope;
use app::model::events::EventKind;
use app::partners::AuditEntry;
use app::store::{NewApiKey, PartnerLead, StoredAnswer};

const DAY: &str = "2026-11-30";

async fn partners_and_their_keys_are_kept_and_revoked(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let zeta = store.create_partner("Zeta Leads", "ops@zeta.example", 150, 1_000, false, Timestamp(10)).await.unwrap();
    let alpha = store.create_partner("Alpha Data", "bill@alpha.example", 90, 0, false, Timestamp(11)).await.unwrap();
    let p = store.partner(zeta).await.unwrap().unwrap();
    assert_eq!(
        (p.name.as_str(), p.contact_email.as_str(), p.price_cents, p.daily_quota, p.created_at),
        ("Zeta Leads", "ops@zeta.example", 150, 1_000, Timestamp(10))
    );
    assert_eq!(store.partner(app::model::PartnerId(9_999)).await.unwrap(), None);
    let names: Vec<_> = store.partners().await.unwrap().into_iter().map(|p| p.id).collect();
    assert_eq!(names, [alpha, zeta], "partners are listed by name");

    let key = |key_hash, prefix, scopes| NewApiKey {
        partner_id: zeta,
        key_hash,
        prefix,
        scopes,
        event_kinds: "",
        created_at: Timestamp(20),
        expires_at: None,
    };
    let older = store.create_api_key(&key("hash-1", "ck_aaaa", "check,submit")).await.unwrap();
    let newer = store
        .create_api_key(&NewApiKey {
            event_kinds: "open,complaint",
            created_at: Timestamp(30),
            expires_at: Some(Timestamp(1_000)),
            ..key("hash-2", "ck_bbbb", "events")
        })
        .await
        .unwrap();
    let key = store.api_key_by_hash("hash-1").await.unwrap().unwrap();
    assert_eq!((key.id, key.partner_id, key.prefix.as_str()), (older, zeta, "ck_aaaa"));
    assert_eq!(key.scopes, [Scope::Check, Scope::Submit]);
    assert!(key.event_kinds.is_empty());
    let events_key = store.api_key_by_hash("hash-2").await.unwrap().unwrap();
    assert_eq!(events_key.event_kinds, [EventKind::Open, EventKind::Complaint], "the kinds it was made for");
    assert_eq!((key.created_at, key.expires_at, key.revoked_at, key.last_used_at), (Timestamp(20), None, None, None));
    assert_eq!(store.api_key_by_hash("hash-unknown").await.unwrap(), None);

    store.touch_api_key(older, Timestamp(40)).await.unwrap();
    store.touch_api_key(older, Timestamp(35)).await.unwrap();
    assert_eq!(
        store.api_key_by_hash("hash-1").await.unwrap().unwrap().last_used_at,
        Some(Timestamp(40)),
        "never moved back"
    );
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    store.add_key_requests(older, &today, 3).await.unwrap();
    store.add_key_requests(older, &today, 4).await.unwrap();
    store.add_key_requests(older, "2000-01-01", 100).await.unwrap();
    let keys = store.api_keys(zeta).await.unwrap();
    assert_eq!(keys.iter().map(|k| k.id).collect::<Vec<_>>(), [newer, older], "newest first");
    assert_eq!((keys[0].requests_today, keys[1].requests_today), (0, 7), "today's requests only, summed");
    assert!(store.api_keys(alpha).await.unwrap().is_empty());

    store.revoke_api_key(newer, Timestamp(50)).await.unwrap();
    assert_eq!(store.api_key_by_hash("hash-2").await.unwrap().unwrap().revoked_at, Some(Timestamp(50)));
    assert!(matches!(store.revoke_api_key(newer, Timestamp(60)).await, Err(StoreError::NotFound)), "revoked once");
    assert_eq!(store.api_key_by_hash("hash-2").await.unwrap().unwrap().revoked_at, Some(Timestamp(50)));
}

async fn a_lead_is_billed_once_and_counters_add_up(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let partner = store.create_partner("LeadCo", "ops@leadco.example", 120, 0, false, Timestamp(1)).await.unwrap();
    let weekly = store.ensure_newsletter("Weekly", "").await.unwrap();
    let consent = ConsentEvidence {
        at: Timestamp(100),
        channel: "partner".into(),
        form: "LeadCo form".into(),
        text: "Yes".into(),
    };
    let lead = |address: &str| PartnerLead {
        partner_id: partner,
        price_cents: 120,
        fields: fields(address, "Léa", "N"),
        subscriptions: vec![app::store::Consented { newsletter_id: weekly, consent: consent.clone() }],
        day: DAY.into(),
        now: Timestamp(100),
        actor: "partner:LeadCo".into(),
    };
    store.insert_partner_lead(&lead("lea@example.com")).await.unwrap();
    let again = store.insert_partner_lead(&lead("Lea@Example.com")).await;
    assert!(
        matches!(again, Err(StoreError::Conflict { ref constraint }) if constraint == "contacts_email_key"),
        "{again:?}"
    );
    assert_eq!(store.count_contacts().await.unwrap(), 1, "the refused lead wrote nothing");
    let id = store.contact_id_by_email(&email("lea@example.com")).await.unwrap().unwrap();
    let subs = store.subscriptions(id).await.unwrap();
    assert_eq!((subs.len(), &subs[0].consent), (1, &consent));
    assert_eq!(store.timeline(id, 5).await.unwrap()[0].actor, "partner:LeadCo");

    store.count_lead_refusal(partner, DAY, true).await.unwrap();
    store.count_lead_refusal(partner, DAY, false).await.unwrap();
    store.count_lead_refusal(partner, DAY, false).await.unwrap();
    store.add_partner_usage(partner, DAY, 10, 4).await.unwrap();
    store.add_partner_usage(partner, DAY, 5, 1).await.unwrap();
    store.add_partner_usage(partner, "2026-12-01", 2, 0).await.unwrap();
    store.add_partner_usage(partner, "2026-12-05", 9, 9).await.unwrap();
    assert_eq!(store.partner_checks_on(partner, DAY).await.unwrap(), 15);
    assert_eq!(store.partner_checks_on(partner, "2026-12-02").await.unwrap(), 0, "a day with nothing");
    let usage = store.partner_usage(partner, DAY, "2026-12-01").await.unwrap();
    assert_eq!(usage.len(), 2, "only the days asked for, in order: {usage:?}");
    let first = &usage[0];
    assert_eq!(
        (first.day.as_str(), first.checks, first.hits, first.accepted, first.duplicates, first.invalid),
        (DAY, 15, 5, 1, 1, 2)
    );
    assert_eq!(first.billed_cents, 120, "billed for the accepted lead only");
    assert_eq!((usage[1].day.as_str(), usage[1].checks), ("2026-12-01", 2));
}

async fn an_idempotent_answer_is_kept_per_partner_and_never_replaced(db: common::Db) {
    use app::store::KeyClaim;
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let a = store.create_partner("A", "a@a.example", 0, 0, false, Timestamp(1)).await.unwrap();
    let b = store.create_partner("B", "b@b.example", 0, 0, false, Timestamp(1)).await.unwrap();
    let leads = "POST /api/v1/leads";
    assert_eq!(store.claim_idempotency_key(a, "k1", leads, Timestamp(10)).await.unwrap(), KeyClaim::Claimed);
    let running = KeyClaim::Taken { request: leads.into(), answer: None };
    assert_eq!(store.claim_idempotency_key(a, "k1", leads, Timestamp(11)).await.unwrap(), running, "still running");
    let first = StoredAnswer { status: 201, content_type: "application/json".into(), body: "{\"id\":1}".into() };
    store.save_idempotent_response(a, "k1", &first, Timestamp(12)).await.unwrap();
    let later = StoredAnswer { status: 409, content_type: "application/problem+json".into(), body: "{}".into() };
    store.save_idempotent_response(a, "k1", &later, Timestamp(13)).await.unwrap();
    assert_eq!(
        store.claim_idempotency_key(a, "k1", "POST /api/v1/redemptions", Timestamp(14)).await.unwrap(),
        KeyClaim::Taken { request: leads.into(), answer: Some(first) },
        "the first answer stays, with the request it answered"
    );
    assert_eq!(
        store.claim_idempotency_key(b, "k1", leads, Timestamp(14)).await.unwrap(),
        KeyClaim::Claimed,
        "another partner's key is its own"
    );
    // Two requests at once with one new key: exactly one runs.
    let (x, y) = tokio::join!(
        store.claim_idempotency_key(a, "k2", leads, Timestamp(20)),
        store.claim_idempotency_key(a, "k2", leads, Timestamp(20))
    );
    let claimed = [x.unwrap(), y.unwrap()].iter().filter(|c| **c == KeyClaim::Claimed).count();
    assert_eq!(claimed, 1);
    // Released (its request failed), the key runs again; abandoned, it is taken over.
    store.release_idempotency_key(a, "k2").await.unwrap();
    assert_eq!(store.claim_idempotency_key(a, "k2", leads, Timestamp(21)).await.unwrap(), KeyClaim::Claimed);
    store.release_idempotency_key(a, "k1").await.unwrap();
    assert!(
        matches!(
            store.claim_idempotency_key(a, "k1", leads, Timestamp(22)).await.unwrap(),
            KeyClaim::Taken { answer: Some(_), .. }
        ),
        "an answered key is never released"
    );
    assert_eq!(store.claim_idempotency_key(a, "k2", leads, Timestamp(80)).await.unwrap(), running);
    assert_eq!(store.claim_idempotency_key(a, "k2", leads, Timestamp(82)).await.unwrap(), KeyClaim::Claimed);
}

async fn the_audit_trail_lists_newest_first(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let p = store.create_partner("A", "a@a.example", 0, 0, false, Timestamp(1)).await.unwrap();
    for (at, action) in [(30, "key.revoke"), (10, "partner.create"), (20, "key.create")] {
        let entry = AuditEntry {
            at: Timestamp(at),
            actor: "admin@staff.example".into(),
            action: action.into(),
            partner_id: Some(p),
            detail: format!("at {at}"),
        };
        store.add_audit(&entry).await.unwrap();
    }
    store
        .add_audit(&AuditEntry {
            at: Timestamp(5),
            actor: "cli".into(),
            action: "x".into(),
            partner_id: None,
            detail: "".into(),
        })
        .await
        .unwrap();
    let entries = store.audit_entries(3).await.unwrap();
    assert_eq!(
        entries.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["key.revoke", "key.create", "partner.create"]
    );
    assert_eq!((entries[0].partner_id, entries[0].detail.as_str()), (Some(p), "at 30"));
    assert_eq!(store.audit_entries(10).await.unwrap().last().unwrap().partner_id, None);
}

/// Every hash `export_hashes` sends, sorted.
async fn exported(store: &dyn app::store::Store, sha256: bool, since: Option<Timestamp>) -> Vec<String> {
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    store.export_hashes(sha256, since, &tx).await.unwrap();
    drop(tx);
    let mut all = Vec::new();
    while let Some(batch) = rx.recv().await {
        assert!(!batch.is_empty(), "never an empty batch");
        all.extend(batch);
    }
    all.sort();
    all
}

async fn suppression_lookups_and_exports_see_every_known_hash(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let old = store.insert_contact(&fields("old@example.com", "O", "O"), Timestamp(100), "s").await.unwrap();
    store.insert_contact(&fields("new@example.com", "N", "N"), Timestamp(500), "s").await.unwrap();
    let (o, n, stranger) = (email("old@example.com"), email("new@example.com"), email("who@example.com"));

    let asked = vec![o.md5_hex(), stranger.md5_hex(), n.md5_hex()];
    let mut known = store.known_md5(&asked).await.unwrap();
    known.sort();
    let mut expected = vec![o.md5_hex(), n.md5_hex()];
    expected.sort();
    assert_eq!(known, expected);
    assert_eq!(store.known_sha256(&[n.sha256_hex(), stranger.sha256_hex()]).await.unwrap(), [n.sha256_hex()]);
    assert!(store.known_sha256(&[]).await.unwrap().is_empty());

    let mut md5s = vec![o.md5_hex(), n.md5_hex()];
    md5s.sort();
    assert_eq!(exported(&*store, false, None).await, md5s);
    assert_eq!(exported(&*store, true, Some(Timestamp(400))).await, [n.sha256_hex()], "only those changed since");

    let mut seen = Vec::new();
    store
        .for_each_hash_since(Timestamp(400), &mut |md5, sha| seen.push((md5.to_string(), sha.to_string())))
        .await
        .unwrap();
    assert_eq!(seen, [(n.md5_hex(), n.sha256_hex())]);
    // A change makes an old contact part of "since" again.
    store.update_contact(old, &fields("old@example.com", "Olga", "O"), Timestamp(600), "s").await.unwrap();
    let mut count = 0;
    store.for_each_hash_since(Timestamp(550), &mut |_, _| count += 1).await.unwrap();
    assert_eq!(count, 1);
    let mut everyone = 0;
    store.for_each_hash_since(Timestamp::MIN, &mut |_, _| everyone += 1).await.unwrap();
    assert_eq!(everyone, 2);
}

/// An integration's order number is taken once; one released may be taken again.
async fn a_shop_order_is_taken_once(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let shop = store.create_partner("Shop", "", 0, 0, true, Timestamp(1)).await.unwrap();
    let other = store.create_partner("Other shop", "", 0, 0, true, Timestamp(1)).await.unwrap();
    assert!(store.partner(shop).await.unwrap().unwrap().own, "an integration");
    let ann = store.insert_contact(&fields("ann@example.com", "Ann", ""), Timestamp(2), "t").await.unwrap();
    assert!(store.claim_shop_order(shop, "A-1", ann, Timestamp(3)).await.unwrap());
    assert!(!store.claim_shop_order(shop, "A-1", ann, Timestamp(4)).await.unwrap(), "sent again");
    assert!(
        store.claim_shop_order(other, "A-1", ann, Timestamp(4)).await.unwrap(),
        "another shop's numbers are its own"
    );
    store.release_shop_orders(shop, &["A-1".to_string()]).await.unwrap();
    assert!(store.claim_shop_order(shop, "A-1", ann, Timestamp(5)).await.unwrap(), "released, taken again");
}

both_backends! {
    a_shop_order_is_taken_once,
    partners_and_their_keys_are_kept_and_revoked,
    a_lead_is_billed_once_and_counters_add_up,
    an_idempotent_answer_is_kept_per_partner_and_never_replaced,
    the_audit_trail_lists_newest_first,
    suppression_lookups_and_exports_see_every_known_hash,
}
