//! Incentive programmes, their codes (generated or from a pool), awards and redemptions.

use super::*;
use app::incentives::{Incentive, Redemption};
use app::store::ProgrammeCounts;

fn programme(name: &str, code_source: &str) -> Incentive {
    Incentive {
        id: app::model::IncentiveId(0),
        name: name.into(),
        reward: "10% off".into(),
        threshold: 80,
        fields: vec!["birth_date".into(), "city".into()],
        valid_from: Timestamp(50),
        valid_until: Some(Timestamp(5_000)),
        code_source: code_source.into(),
        code_prefix: "WELCOME-".into(),
        active: true,
        created_at: Timestamp(0),
    }
}

fn codes(list: &[&str]) -> Vec<String> {
    list.iter().map(|c| c.to_string()).collect()
}

async fn programmes_are_kept_as_given_and_stopped(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let generated = store.create_incentive(&programme("Welcome", "generated"), &[], Timestamp(100)).await.unwrap();
    let pooled =
        store.create_incentive(&programme("Shop", "pool"), &codes(&["A1", "A2"]), Timestamp(101)).await.unwrap();
    let all = store.incentives().await.unwrap();
    assert_eq!(all.iter().map(|i| i.id).collect::<Vec<_>>(), [generated, pooled]);
    let expected = Incentive { id: generated, created_at: Timestamp(100), ..programme("Welcome", "generated") };
    assert_eq!(all[0], expected, "every field kept");
    assert!(store.set_incentive_active(pooled, false).await.unwrap());
    assert!(!store.incentives().await.unwrap()[1].active);
    assert!(!store.set_incentive_active(app::model::IncentiveId(9_999), false).await.unwrap(), "no such programme");
    assert_eq!(store.add_pool_codes(pooled, &codes(&["A2", "A3", "A4", "A3"])).await.unwrap(), 2, "new codes only");
    let stats = store.incentive_stats().await.unwrap();
    assert_eq!(
        stats,
        [
            ProgrammeCounts { incentive_id: generated, issued: 0, redeemed: 0, pool_left: 0 },
            ProgrammeCounts { incentive_id: pooled, issued: 0, redeemed: 0, pool_left: 4 },
        ]
    );
}

async fn a_contact_gets_one_code_per_programme_and_uses_it_once(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let welcome = store.create_incentive(&programme("Welcome", "generated"), &[], Timestamp(100)).await.unwrap();
    let shop = store.create_incentive(&programme("Shop", "pool"), &codes(&["P1", "P2"]), Timestamp(100)).await.unwrap();
    let ada = store.insert_contact(&fields("ada@example.com", "Ada", "L"), Timestamp(1), "s").await.unwrap();
    let bob = store.insert_contact(&fields("bob@example.com", "Bob", "M"), Timestamp(1), "s").await.unwrap();
    let eve = store.insert_contact(&fields("eve@example.com", "Eve", "N"), Timestamp(1), "s").await.unwrap();

    assert!(store.award_code(welcome, ada, "WELCOME-AAAA", Timestamp(200)).await.unwrap());
    assert!(!store.award_code(welcome, ada, "WELCOME-BBBB", Timestamp(201)).await.unwrap(), "one code per programme");
    // Two awards at once for two people: each gets their own pool code.
    let (a, b) = tokio::join!(
        store.award_from_pool(shop, ada, Timestamp(210)),
        store.award_from_pool(shop, bob, Timestamp(210))
    );
    let mut given = vec![a.unwrap().unwrap(), b.unwrap().unwrap()];
    given.sort();
    assert_eq!(given, ["P1", "P2"]);
    assert_eq!(store.award_from_pool(shop, ada, Timestamp(220)).await.unwrap(), None, "already has one");
    assert_eq!(store.award_from_pool(shop, eve, Timestamp(220)).await.unwrap(), None, "the pool is empty");

    let rewards = store.rewards_of(ada).await.unwrap();
    assert_eq!(rewards.iter().map(|r| r.incentive_id).collect::<Vec<_>>(), [welcome, shop], "oldest first");
    assert_eq!(
        (rewards[0].code.as_str(), rewards[0].issued_at, rewards[0].redeemed_at),
        ("WELCOME-AAAA", Timestamp(200), None)
    );
    assert_eq!((rewards[0].name.as_str(), rewards[0].reward.as_str()), ("Welcome", "10% off"));
    assert!(store.rewards_of(eve).await.unwrap().is_empty());

    assert_eq!(
        store.redeem_code("WELCOME-AAAA", Timestamp(300)).await.unwrap(),
        Redemption::Redeemed { incentive_id: welcome }
    );
    assert_eq!(
        store.redeem_code("WELCOME-AAAA", Timestamp(400)).await.unwrap(),
        Redemption::AlreadyRedeemed { at: Timestamp(300) }
    );
    assert_eq!(store.redeem_code("WELCOME-ZZZZ", Timestamp(400)).await.unwrap(), Redemption::Unknown);
    store.add_pool_codes(shop, &codes(&["P3"])).await.unwrap();
    assert_eq!(
        store.redeem_code("P3", Timestamp(400)).await.unwrap(),
        Redemption::Unknown,
        "a code not given is not usable"
    );
    assert_eq!(store.rewards_of(ada).await.unwrap()[0].redeemed_at, Some(Timestamp(300)));

    let stats = store.incentive_stats().await.unwrap();
    assert_eq!(
        stats,
        [
            ProgrammeCounts { incentive_id: welcome, issued: 1, redeemed: 1, pool_left: 0 },
            ProgrammeCounts { incentive_id: shop, issued: 2, redeemed: 0, pool_left: 1 },
        ]
    );
}

async fn issued_codes_page_newest_first_with_their_holder(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let welcome = store.create_incentive(&programme("Welcome", "generated"), &[], Timestamp(100)).await.unwrap();
    let mut people = Vec::new();
    for i in 0..3 {
        let id =
            store.insert_contact(&fields(&format!("p{i}@example.com"), "P", "P"), Timestamp(1), "s").await.unwrap();
        store.award_code(welcome, id, &format!("W-{i}"), Timestamp(200) + i).await.unwrap();
        people.push(id);
    }
    let page = store.issued_codes(welcome, None, 2).await.unwrap();
    assert_eq!(page.iter().map(|c| c.code.as_str()).collect::<Vec<_>>(), ["W-2", "W-1"]);
    assert_eq!(
        (page[0].contact_id, page[0].email.as_deref(), page[0].issued_at),
        (Some(people[2]), Some("p2@example.com"), Timestamp(202))
    );
    let rest = store.issued_codes(welcome, Some(page[1].id), 2).await.unwrap();
    assert_eq!(rest.iter().map(|c| c.code.as_str()).collect::<Vec<_>>(), ["W-0"]);
}

both_backends! {
    programmes_are_kept_as_given_and_stopped,
    a_contact_gets_one_code_per_programme_and_uses_it_once,
    issued_codes_page_newest_first_with_their_holder,
}
