//! The platform's settings and jobs.

use super::*;

async fn settings_are_compared_and_set(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    assert!(store.replace_setting("hour", None, "1", Timestamp(10)).await.unwrap());
    assert!(!store.replace_setting("hour", None, "2", Timestamp(10)).await.unwrap(), "already there");
    assert!(!store.replace_setting("hour", Some("0"), "2", Timestamp(10)).await.unwrap(), "not what was expected");
    assert!(store.replace_setting("hour", Some("1"), "2", Timestamp(10)).await.unwrap());
    assert_eq!(store.setting("hour").await.unwrap().as_deref(), Some("2"));
    store.put_settings(&[("a", "1"), ("b", "2")], Timestamp(10)).await.unwrap();
    assert_eq!(
        (store.setting("a").await.unwrap(), store.setting("b").await.unwrap()),
        (Some("1".into()), Some("2".into()))
    );
}

async fn a_generated_setting_is_kept_by_the_first_instance_to_store_it(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    assert_eq!(store.setting_or_insert("secret", "first", Timestamp(10)).await.unwrap(), "first");
    assert_eq!(
        store.setting_or_insert("secret", "second", Timestamp(20)).await.unwrap(),
        "first",
        "the stored one wins"
    );
}

/// A job is leased by one instance at a time; when that instance stops reporting, the
/// lease runs out and another takes it over from where it stopped (the first, if it
/// wakes, writes nothing more); a finished job is never taken again.
async fn a_job_is_leased_once_and_taken_over_when_its_lease_runs_out(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let job = app::store::NewJob {
        kind: "bulk".into(),
        params: "{}".into(),
        payload: "the file".into(),
        total: 10,
        created_by: "ann@example.com".into(),
        now: Timestamp(100),
    };
    let id = store.create_job(&job).await.unwrap();
    let taken = store.claim_job(Timestamp(110), Timestamp(170), "lease-a").await.unwrap().expect("the queued job");
    assert_eq!((taken.job.id, taken.job.state.as_str(), taken.payload.as_str()), (id, "running", "the file"));
    assert_eq!(taken.job.lease, "lease-a");
    assert!(
        store.claim_job(Timestamp(120), Timestamp(180), "lease-b").await.unwrap().is_none(),
        "leased: no second instance takes it"
    );
    store.job_progress(&taken.job, 4, 4, Timestamp(130), Timestamp(190)).await.unwrap();
    assert!(
        store.claim_job(Timestamp(185), Timestamp(245), "lease-b").await.unwrap().is_none(),
        "the progress renewed the lease"
    );
    let again =
        store.claim_job(Timestamp(200), Timestamp(260), "lease-c").await.unwrap().expect("the lease ran out").job;
    assert_eq!((again.id, again.done, again.next_id), (id, 4, 4), "taken over where it stopped");
    // The first run wakes up (it had stalled past its lease): it may neither report
    // nor end the job, which is the second run's now.
    let stale = store.job_progress(&taken.job, 9, 9, Timestamp(205), Timestamp(265)).await;
    assert!(matches!(stale, Err(app::store::StoreError::LeaseLost)), "{stale:?}");
    let stale = store.finish_job(&taken.job, false, "stale", Timestamp(206)).await;
    assert!(matches!(stale, Err(app::store::StoreError::LeaseLost)), "{stale:?}");
    assert_eq!(store.job(id).await.unwrap().unwrap().done, 4, "the stale run wrote nothing");
    store.finish_job(&again, false, "4 of 10 changed.", Timestamp(210)).await.unwrap();
    assert!(
        store.claim_job(Timestamp(1_000), Timestamp(1_060), "lease-d").await.unwrap().is_none(),
        "a finished job is never taken again"
    );
    let done = store.job(id).await.unwrap().unwrap();
    assert_eq!((done.state.as_str(), done.message.as_str()), ("done", "4 of 10 changed."));
    assert_eq!(store.recent_jobs(10).await.unwrap().iter().map(|j| j.id).collect::<Vec<_>>(), vec![id]);
}

both_backends! {
    settings_are_compared_and_set,
    a_generated_setting_is_kept_by_the_first_instance_to_store_it,
    a_job_is_leased_once_and_taken_over_when_its_lease_runs_out,
}
