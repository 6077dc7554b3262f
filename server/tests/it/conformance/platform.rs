//! The platform's settings and jobs.

use super::*;

async fn settings_are_compared_and_set(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    assert!(store.replace_setting("hour", None, "1", 10).await.unwrap());
    assert!(!store.replace_setting("hour", None, "2", 10).await.unwrap(), "already there");
    assert!(!store.replace_setting("hour", Some("0"), "2", 10).await.unwrap(), "not what was expected");
    assert!(store.replace_setting("hour", Some("1"), "2", 10).await.unwrap());
    assert_eq!(store.setting("hour").await.unwrap().as_deref(), Some("2"));
    store.put_settings(&[("a", "1"), ("b", "2")], 10).await.unwrap();
    assert_eq!(
        (store.setting("a").await.unwrap(), store.setting("b").await.unwrap()),
        (Some("1".into()), Some("2".into()))
    );
}

async fn a_generated_setting_is_kept_by_the_first_instance_to_store_it(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    assert_eq!(store.setting_or_insert("secret", "first", 10).await.unwrap(), "first");
    assert_eq!(store.setting_or_insert("secret", "second", 20).await.unwrap(), "first", "the stored one wins");
}

/// A job is leased by one instance at a time; when that instance stops reporting, the
/// lease runs out and another takes it over from where it stopped; a finished job is
/// never taken again.
async fn a_job_is_leased_once_and_taken_over_when_its_lease_runs_out(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let job = app::store::NewJob {
        kind: "bulk".into(),
        params: "{}".into(),
        payload: "the file".into(),
        total: 10,
        created_by: "ann@example.com".into(),
        now: 100,
    };
    let id = store.create_job(&job).await.unwrap();
    let taken = store.claim_job(110, 170).await.unwrap().expect("the queued job");
    assert_eq!((taken.job.id, taken.job.state.as_str(), taken.payload.as_str()), (id, "running", "the file"));
    assert!(store.claim_job(120, 180).await.unwrap().is_none(), "leased: no second instance takes it");
    store.job_progress(id, 4, 4, 130, 190).await.unwrap();
    assert!(store.claim_job(185, 245).await.unwrap().is_none(), "the progress renewed the lease");
    let again = store.claim_job(200, 260).await.unwrap().expect("the lease ran out").job;
    assert_eq!((again.id, again.done, again.next_id), (id, 4, 4), "taken over where it stopped");
    store.finish_job(id, false, "4 of 10 changed.", 210).await.unwrap();
    assert!(store.claim_job(1_000, 1_060).await.unwrap().is_none(), "a finished job is never taken again");
    let done = store.job(id).await.unwrap().unwrap();
    assert_eq!((done.state.as_str(), done.message.as_str()), ("done", "4 of 10 changed."));
    assert_eq!(store.recent_jobs(10).await.unwrap().iter().map(|j| j.id).collect::<Vec<_>>(), vec![id]);
}

both_backends! {
    settings_are_compared_and_set,
    a_generated_setting_is_kept_by_the_first_instance_to_store_it,
    a_job_is_leased_once_and_taken_over_when_its_lease_runs_out,
}
