//! The dashboard's aggregates: the base broken down by source and status, attrition over
//! a period, stored snapshots and monthly counts.

use super::*;
use app::engagement::MonthCounts;
use app::model::engagement::{EngagementSettings, EngagementStatus, Pool};
use app::store::{NewEvent, Snapshot};

const DAY: i64 = 86_400;
const NOW: Timestamp = Timestamp(1_000 * DAY);

/// A base whose every status and cleaning count is known: returns the ids by name.
async fn a_known_base(store: &dyn app::store::Store) -> std::collections::HashMap<&'static str, app::model::ContactId> {
    let mut ids = std::collections::HashMap::new();
    for (name, created) in [
        ("recent", NOW - 400 * DAY),
        ("never", NOW - 400 * DAY),
        ("new", NOW - 10 * DAY),
        ("bounced", NOW - 400 * DAY),
        ("slipped", NOW - 400 * DAY),
        ("left", NOW - 400 * DAY),
    ] {
        let id = store.insert_contact(&fields(&format!("{name}@example.com"), name, "X"), created, "s").await.unwrap();
        ids.insert(name, id);
    }
    let event = |name: &str, kind, at| NewEvent {
        contact_id: ids[name],
        kind,
        occurred_at: at,
        campaign: String::new(),
        meta: String::new(),
        detail: String::new(),
        actor: "s".into(),
    };
    store
        .queue_events(&[
            event("recent", EventKind::Click, NOW - DAY),
            event("bounced", EventKind::HardBounce, NOW - 5 * DAY),
            event("slipped", EventKind::Click, NOW - 280 * DAY),
        ])
        .await
        .unwrap();
    assert_eq!(store.pending_events().await.unwrap(), 3, "accepted, not folded yet");
    store.fold_events(100).await.unwrap();
    assert_eq!(store.pending_events().await.unwrap(), 0);
    let weekly = store.ensure_newsletter("Weekly", "").await.unwrap();
    let yes = ConsentEvidence { at: NOW - 300 * DAY, channel: "web".into(), form: "f".into(), text: "Yes".into() };
    let no = ConsentEvidence { at: NOW - 3 * DAY, channel: "web".into(), form: "f".into(), text: "Stop".into() };
    store.set_subscription(ids["left"], weekly, SubscriptionState::Subscribed, &yes).await.unwrap();
    store.set_subscription(ids["left"], weekly, SubscriptionState::Unsubscribed, &no).await.unwrap();
    store.set_pool(&[ids["never"]], Pool::Inactive, NOW, "s").await.unwrap();
    ids
}

async fn the_breakdown_counts_every_status_and_cleaning_view(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    a_known_base(&*store).await;
    let bounds = EngagementSettings::default().bounds(NOW);
    let rows = store.engagement_breakdown(&bounds, bounds.idle_from(6)).await.unwrap();
    let of = |status| rows.iter().find(|r| r.status == status).unwrap_or_else(|| panic!("{status:?} in {rows:?}"));
    assert_eq!(rows.len(), 3, "one row per channel, source and status present: {rows:?}");
    assert_eq!(of(EngagementStatus::RecentActivity).contacts, 1);
    assert_eq!(of(EngagementStatus::New).contacts, 1);
    let inactive = of(EngagementStatus::Inactive);
    assert_eq!((inactive.channel.as_str(), inactive.source.as_str()), ("web", ""));
    assert_eq!(inactive.contacts, 4, "never engaged, bounced, slipped away, left");
    assert_eq!((inactive.never_engaged, inactive.never_opened, inactive.never_clicked), (3, 4, 3));
    assert_eq!(inactive.idle, 4);
    assert_eq!((inactive.hard_bounces, inactive.complaints, inactive.suppressed), (1, 0, 1));
    assert_eq!(inactive.pooled, 1);
}

async fn attrition_counts_each_lost_contact_once(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    a_known_base(&*store).await;
    let bounds = EngagementSettings::default().bounds(NOW);
    let lost = store.attrition(&bounds, NOW - 30 * DAY, NOW, 270 * DAY, 90 * DAY).await.unwrap();
    assert_eq!(lost.base, 5, "created before the period: all but the new one");
    assert_eq!((lost.bounced, lost.unsubscribed, lost.gone_inactive), (1, 1, 1));
    let before = store.attrition(&bounds, NOW - 500 * DAY, NOW, 270 * DAY, 90 * DAY).await.unwrap();
    assert_eq!(before, app::engagement::Attrition::default(), "nobody before the base existed");
}

async fn snapshots_and_months_are_replaced_in_place(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    assert_eq!(store.snapshot("dashboard").await.unwrap(), None);
    store.put_snapshot("dashboard", Timestamp(100), "{\"a\":1}").await.unwrap();
    store.put_snapshot("dashboard", Timestamp(200), "{\"a\":2}").await.unwrap();
    store.put_snapshot("other", Timestamp(150), "{}").await.unwrap();
    assert_eq!(
        store.snapshot("dashboard").await.unwrap(),
        Some(Snapshot { taken_at: Timestamp(200), body: "{\"a\":2}".into() })
    );

    for (month, counts) in [("2026-09", [1, 2, 3, 4, 5]), ("2026-10", [6, 7, 8, 9, 10]), ("2026-11", [0; 5])] {
        store.put_engagement_month(&MonthCounts { month: month.into(), counts }, Timestamp(100)).await.unwrap();
    }
    let november = MonthCounts { month: "2026-11".into(), counts: [11, 12, 13, 14, 15] };
    store.put_engagement_month(&november, Timestamp(200)).await.unwrap();
    let months = store.engagement_months("2026-10").await.unwrap();
    assert_eq!(months, [MonthCounts { month: "2026-10".into(), counts: [6, 7, 8, 9, 10] }, november]);
    assert_eq!(store.engagement_months("2027-01").await.unwrap(), []);
}

both_backends! {
    the_breakdown_counts_every_status_and_cleaning_view,
    attrition_counts_each_lost_contact_once,
    snapshots_and_months_are_replaced_in_place,
}
