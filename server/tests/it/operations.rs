//! What operators rely on: a backup of a serving database that holds every row.

use crate::common;

use app::model::events::EventKind;
use app::model::ContactForm;
use app::store::NewEvent;
use common::{carnet, Db, TestApp};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// Events are accepted and folded all the while the backup runs: the copy, served,
/// holds every event accepted before the backup started, each applied once, and
/// whatever came after is a clean continuation (a prefix of the accepted ones, no hole).
async fn a_backup_of_a_serving_database_holds_every_event_once() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let fields = ContactForm { email: "ann@example.com".into(), channel: "web".into(), ..Default::default() }
        .validate(chrono::Utc::now().date_naive())
        .unwrap();
    let contact = app.store.insert_contact(&fields, app::platform::clock::now(), "test").await.unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (store, accepted, stop) = (app.store.clone(), accepted.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) && n < 900 {
                let event = NewEvent {
                    contact_id: contact,
                    kind: EventKind::Visit,
                    occurred_at: app::platform::clock::now(),
                    campaign: String::new(),
                    meta: String::new(),
                    detail: format!("e{n}"),
                    actor: "test".into(),
                };
                store.queue_events(&[event]).await.unwrap();
                n += 1;
                accepted.store(n, Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
        })
    };
    // Some folded, some waiting, when the backup starts.
    while accepted.load(Ordering::SeqCst) < 200 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    app.settle().await;
    while accepted.load(Ordering::SeqCst) < 300 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // Folds back to back, as under load: one may land between the copies of the two files.
    let folder = {
        let (state, store, stop) = (app.state.clone(), app.store.clone(), stop.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                state.event_writer.apply_pending(&store).await.unwrap();
            }
        })
    };
    let before = accepted.load(Ordering::SeqCst);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("copy.db");
    let url = app.database_url().to_string();
    let out = {
        let file = file.clone();
        tokio::task::spawn_blocking(move || carnet(&url, &["backup", "--to", file.to_str().unwrap()])).await.unwrap()
    };
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "backup failed: {stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(&format!("database: {}", file.display())), "{stdout}");
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();
    folder.await.unwrap();

    let copy = carnet::store::open(&format!("sqlite://{}", file.display())).await.unwrap();
    let waiting: i64 = stdout.lines().last().unwrap().trim_start_matches("events waiting: ").parse().unwrap();
    assert_eq!(copy.pending_events().await.unwrap(), waiting, "the copy has the events it says it has yet to apply");
    let state = app::state::AppState::new(copy.clone(), common::test_settings());
    state.event_writer.apply_pending(&copy).await.unwrap();
    let details: Vec<String> = copy
        .timeline(contact, 5000)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.kind == EventKind::Visit.as_str())
        .map(|a| a.detail)
        .collect();
    let distinct: HashSet<&String> = details.iter().collect();
    assert_eq!(distinct.len(), details.len(), "no event applied twice");
    assert!(details.len() >= before, "every event accepted before the backup: {} of {before}", details.len());
    for n in 0..details.len() {
        assert!(distinct.contains(&format!("e{n}")), "e{n} is missing: the copy has a hole");
    }
    assert_eq!(copy.contact(contact).await.unwrap().unwrap().fields.email.as_str(), "ann@example.com");

    let again = carnet(app.database_url(), &["backup", "--to", file.to_str().unwrap()]);
    assert!(!again.status.success(), "an existing copy is never overwritten");
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"), "{}", String::from_utf8_lossy(&again.stderr));
    let pg = carnet("postgres://nobody@127.0.0.1:1/none", &["backup", "--to", "/tmp/never.db"]);
    assert!(String::from_utf8_lossy(&pg.stderr).contains("pg_dump"), "PostgreSQL is backed up with pg_dump");
}

/// A copy taken while an import is half in the inbox, half applied could apply part of
/// it twice or not at all: the backup waits for it.
async fn a_backup_waits_for_an_import_to_end() {
    let fresh = common::fresh_db(Db::Sqlite).await;
    let store = common::store(&fresh).await;
    let job = app::store::NewJob {
        kind: "import_events".into(),
        params: "{}".into(),
        payload: String::new(),
        total: 10,
        created_by: "test".into(),
        now: app::platform::clock::now(),
    };
    let id = store.create_job(&job).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("copy.db");
    let out = carnet(&fresh.url, &["backup", "--to", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("import of events is under way"));
    assert!(!file.exists(), "nothing written");
    let now = app::platform::clock::now();
    let running = store.claim_job(now, now + 60, "test").await.unwrap().expect("the import").job;
    assert_eq!(running.id, id);
    let out = carnet(&fresh.url, &["backup", "--to", file.to_str().unwrap()]);
    assert!(!out.status.success(), "nor while it runs");
    store.finish_job(&running, false, "done", app::platform::clock::now()).await.unwrap();
    let out = carnet(&fresh.url, &["backup", "--to", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(file.exists());
}

mod sqlite_only {
    // A backup is of a SQLite file (PostgreSQL has pg_dump).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_backup_of_a_serving_database_holds_every_event_once() {
        super::a_backup_of_a_serving_database_holds_every_event_once().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_backup_waits_for_an_import_to_end() {
        super::a_backup_waits_for_an_import_to_end().await;
    }
}

/// Links signed before keys were per purpose keep working; `carnet secrets rotate`
/// adds a key that signs from then on while old links still verify, and `retire`
/// ends the old ones.
async fn signing_keys_rotate_without_breaking_links(db: Db) {
    use app::platform::signing::{Purpose, Signer};
    let app = TestApp::spawn(db).await;
    let legacy = [5u8; 32];
    app.store.put_settings(&[("tracking_secret", &hex::encode(legacy))], app::platform::clock::now()).await.unwrap();
    let mail_of_last_year = Signer::new(legacy.to_vec()).sign(Purpose::Unsubscribe, &serde_json::json!({"c": 1}));
    let fresh_instance = || app::state::AppState::new(app.store.clone(), common::test_settings());
    let verifies = |state: app::state::AppState, token: String| async move {
        Signer::of(&state).await.unwrap().verify::<serde_json::Value>(Purpose::Unsubscribe, &token).is_some()
    };
    assert!(verifies(fresh_instance(), mail_of_last_year.clone()).await, "an old link works");
    let before = Signer::of(&fresh_instance()).await.unwrap().sign(Purpose::Unsubscribe, &serde_json::json!({"c": 2}));
    assert_eq!(
        before,
        Signer::new(legacy.to_vec()).sign(Purpose::Unsubscribe, &serde_json::json!({"c": 2})),
        "until a rotation, an upgraded install signs with its shared key (instances not yet upgraded verify it)"
    );

    let out = carnet(app.database_url(), &["secrets", "rotate"]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("unsubscribe: 2 keys"), "the new one, and the shared one of old: {stdout}");
    let after = Signer::of(&fresh_instance()).await.unwrap().sign(Purpose::Unsubscribe, &serde_json::json!({"c": 2}));
    assert_ne!(before, after, "the new key signs");
    for token in [&mail_of_last_year, &before, &after] {
        assert!(verifies(fresh_instance(), token.clone()).await, "every link handed out still works");
    }

    let out = carnet(app.database_url(), &["secrets", "retire", "--purpose", "unsubscribe"]);
    let after_keys = app.store.setting("signing_keys").await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("unsubscribe: 1 key"));
    assert!(!verifies(fresh_instance(), mail_of_last_year).await, "retired keys sign nothing valid");
    assert!(!verifies(fresh_instance(), before).await);
    app.store.put_settings(&[("signing_keys", "{not json")], app::platform::clock::now()).await.unwrap();
    assert!(Signer::of(&fresh_instance()).await.is_err(), "unreadable keys are an error, never replaced by new ones");
    app.store.put_settings(&[("signing_keys", &after_keys)], app::platform::clock::now()).await.unwrap();
    assert!(verifies(fresh_instance(), after).await);
    let tracking = Signer::of(&fresh_instance()).await.unwrap();
    let old_tracking = Signer::new(legacy.to_vec()).sign(Purpose::Tracking, &serde_json::json!({"c": 1}));
    assert!(
        tracking.verify::<serde_json::Value>(Purpose::Tracking, &old_tracking).is_some(),
        "other purposes keep theirs"
    );
    let bad = carnet(app.database_url(), &["secrets", "rotate", "--purpose", "kiosk"]);
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("unknown purpose"));
}

/// `carnet newsletter add` on a fresh install: the id on its last line, the newsletter
/// offered at once; a wrong flag is named and nothing is made.
async fn newsletters_are_added_from_the_command_line(db: Db) {
    let app = TestApp::spawn(db).await;
    let url = app.database_url().to_string();
    let out = carnet(
        &url,
        &["newsletter", "add", "--name", "Offres SMS", "--channel", "sms", "--description", "Ventes flash"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let id: i64 = stdout.lines().last().unwrap().trim().parse().expect("the id on the last line");
    let list = app.store.newsletters().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!((list[0].id.0, list[0].name.as_str(), list[0].channel.as_str()), (id, "Offres SMS", "sms"));
    let out = carnet(&url, &["newsletter", "add", "--name", "Offres SMS"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--name: A newsletter already has this name"));
    let out = carnet(&url, &["newsletter", "add", "--name", "Fax", "--channel", "fax"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--channel"), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(app.store.newsletters().await.unwrap().len(), 1, "nothing made");
}

both_backends! {
    signing_keys_rotate_without_breaking_links,
    newsletters_are_added_from_the_command_line,
}
