//! Faults: the server killed with SIGKILL in the middle of its background work (an
//! events fold, a bulk action, an import, an outbox round), then started again; and two
//! instances on one PostgreSQL, one of them killed. Nothing accepted is lost, nothing is
//! applied twice, and a mail goes out twice only if the kill fell between the SMTP
//! server's "OK" and the outbox's record of it, then with the same Message-ID.

use crate::common::{self, smtp, Db};
use app::model::events::EventKind;
use app::store::NewEvent;
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `carnet serve` of its own, as operators run it.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(database_url: &str, smtp_port: u16) -> Server {
        let server = Server::spawn(database_url, smtp_port).await;
        let client = reqwest::Client::new();
        let started = Instant::now();
        while client.get(format!("{}/healthz", server.base)).send().await.is_err() {
            assert!(started.elapsed() < Duration::from_secs(30), "the server did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    /// Started, without waiting for it to answer (its background work begins at once).
    async fn spawn(database_url: &str, smtp_port: u16) -> Server {
        let port = smtp::free_port().await;
        let child = Command::new(env!("CARGO_BIN_EXE_carnet"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", database_url)
            .env("CARNET_SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}"))
            .env("CARNET_MAIL_FROM", "Carnet <news@carnet.example>")
            .env("CARNET_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start carnet serve");
        Server { child, base: format!("http://127.0.0.1:{port}") }
    }

    /// SIGKILL: no shutdown, no flush, as when the machine or the OOM killer stops it.
    fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reap");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn carnet(database_url: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_carnet")).args(args).env("DATABASE_URL", database_url).output().unwrap();
    assert!(out.status.success(), "carnet {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Waits until `done` holds, up to `limit`.
async fn until<F: std::future::Future<Output = bool>>(limit: Duration, what: &str, done: impl FnMut() -> F) {
    until_every(Duration::from_millis(100), limit, what, done).await
}

/// Waits until `done` holds, looking every `step`, up to `limit`.
async fn until_every<F: std::future::Future<Output = bool>>(
    step: Duration,
    limit: Duration,
    what: &str,
    mut done: impl FnMut() -> F,
) {
    let started = Instant::now();
    while !done().await {
        assert!(started.elapsed() < limit, "gave up waiting for {what}");
        tokio::time::sleep(step).await;
    }
}

/// The messages the SMTP server took, by Message-ID.
fn by_message_id(inbox: &smtp::Inbox) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for message in inbox.messages() {
        let id = message
            .lines()
            .find_map(|l| l.strip_prefix("Message-ID: ").or_else(|| l.strip_prefix("Message-Id: ")))
            .unwrap_or("")
            .trim()
            .to_string();
        *seen.entry(id).or_insert(0) += 1;
    }
    seen
}

/// `MAILS` messages in the outbox, to `{prefix}-{i}@example.com`.
async fn queue_mails(state: &app::state::AppState, prefix: &str) {
    for i in 0..MAILS {
        let mail = app::mail::NewMail {
            contact_id: None,
            kind: "test".into(),
            to: format!("{prefix}-{i}@example.com"),
            subject: format!("Mail {i}"),
            text: "Hello".into(),
            html: "<p>Hello</p>".into(),
            unsubscribe_url: None,
        };
        app::mail::service::queue(state, &mail).await.unwrap();
    }
}

const CONTACTS: i64 = 6_000;
const EVENTS: usize = 60_000;
const MAILS: usize = 120;
const IMPORTED: i64 = 100_000;

/// Work accepted before the server starts: events in the inbox, a bulk action over every
/// contact, an import of events, mail in the outbox.
async fn accept_work(url: &str) -> (app::state::AppState, app::model::JobId, app::model::JobId) {
    carnet(url, &["seed", "--contacts", &CONTACTS.to_string(), "--events-per-contact", "0"]);
    let store = carnet::store::open(url).await.unwrap();
    let state = app::state::AppState::new(store.clone(), common::test_settings());
    let now = app::platform::clock::now();
    let events: Vec<NewEvent> = (0..EVENTS)
        .map(|i| NewEvent {
            contact_id: app::model::ContactId(1 + (i as i64 % CONTACTS)),
            kind: EventKind::Visit,
            occurred_at: now - 3600 + (i as i64 % 3000),
            campaign: String::new(),
            meta: String::new(),
            detail: format!("fault {i}"),
            actor: "fault-events".into(),
        })
        .collect();
    for chunk in events.chunks(5_000) {
        store.queue_events(chunk).await.unwrap();
    }
    let bulk = app::engagement::service::start_bulk(
        &state,
        &app::model::ContactQuery::default(),
        app::engagement::service::BulkAction::MoveToInactivePool,
        "fault-bulk",
        now,
    )
    .await
    .unwrap();
    let mut csv = String::from("contact_id,type,occurred_at\n");
    for i in 0..IMPORTED {
        csv.push_str(&format!("{},click,2026-11-0{}T10:00:00Z\n", 1 + i % CONTACTS, 1 + i % 9));
    }
    let import = app::engagement::service::start_import(&state, csv, "fault-import", now).await.unwrap().unwrap();
    queue_mails(&state, "reader").await;
    (state, bulk, import)
}

async fn killed_mid_work_the_server_ends_it_once_restarted(db: Db) {
    let fresh = common::fresh_db(db).await;
    let url = fresh.url.clone();
    let smtp_port = smtp::free_port().await;
    let inbox = smtp::serve(smtp_port).await;
    let (state, bulk, import) = accept_work(&url).await;

    // Killed three times: as the fold begins, once the bulk action is under way, once the
    // import is; mail goes out all along, so rounds of it are cut too.
    let job = |id| {
        let state = state.clone();
        async move { state.store.job(id).await.unwrap().unwrap() }
    };
    let mut kills = Vec::new();
    let mid_way = |job: &app::platform::jobs::Job| job.done > 0 && job.state != "done";
    for moment in ["the fold", "a job", "the other job"] {
        // Watched closely from the moment it starts, to kill it in the middle.
        let server = Server::spawn(&url, smtp_port).await;
        let first_cut = kills.iter().any(|k: &String| k.contains("bulk mid-way"));
        let health = format!("{}/healthz", server.base);
        until_every(Duration::from_millis(5), Duration::from_secs(150), moment, || {
            let health = health.clone();
            async move {
                let (b, i) = (job(bulk).await, job(import).await);
                match moment {
                    // The fold of the waiting events starts with the server, in one
                    // transaction: killed as the server first answers, it is under way.
                    "the fold" => reqwest::get(&health).await.is_ok(),
                    "a job" => mid_way(&b) || mid_way(&i),
                    // The one not cut yet, or both over.
                    _ if first_cut => mid_way(&i) || i.state == "done",
                    _ => mid_way(&b) || b.state == "done",
                }
            }
        })
        .await;
        server.kill();
        let (b, i) = (job(bulk).await, job(import).await);
        let cut =
            |j: &app::platform::jobs::Job| if j.done > 0 && j.state != "done" { "mid-way" } else { "not running" };
        kills.push(format!(
            "{moment}: bulk {} ({}/{CONTACTS}), import {} ({}/{IMPORTED}), {} events waiting, {} mails sent",
            cut(&b),
            b.done,
            cut(&i),
            i.done,
            state.store.pending_events().await.unwrap(),
            inbox.messages().len()
        ));
    }
    eprintln!("killed at {kills:#?}");
    let cut = kills.join("\n");
    assert!(cut.contains("bulk mid-way") && cut.contains("import mid-way"), "each job was cut part-way: {cut}");

    let server = Server::start(&url, smtp_port).await;
    // A dead instance's leases run out (a minute for jobs, two for a round of mail).
    until(Duration::from_secs(300), "every job, event and mail to be done", || {
        let (state, inbox) = (state.clone(), inbox.clone());
        async move {
            job(bulk).await.state == "done"
                && job(import).await.state == "done"
                && state.store.pending_events().await.unwrap() == 0
                && by_message_id(&inbox).len() >= MAILS
        }
    })
    .await;
    drop(server);

    let events = common::scalar(&url, "SELECT COUNT(*) FROM activities WHERE actor = 'fault-events'").await;
    assert_eq!(events, EVENTS as i64, "every accepted event applied, once");
    let imported = common::scalar(&url, "SELECT COUNT(*) FROM activities WHERE actor = 'import by fault-import'").await;
    assert_eq!(imported, IMPORTED, "every imported line applied, once");
    let moved =
        common::scalar(&url, "SELECT COUNT(*) FROM activities WHERE kind = 'pool' AND actor = 'fault-bulk'").await;
    assert_eq!(moved, CONTACTS, "every contact moved, once");
    let left = common::scalar(&url, "SELECT COUNT(*) FROM engagement WHERE pool <> 'inactive'").await;
    assert_eq!(left, 0);
    let sent = by_message_id(&inbox);
    assert_eq!(sent.len(), MAILS, "every mail delivered: {} distinct", sent.len());
    let twice: Vec<_> = sent.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.len() <= 20, "only a round in flight at the kill may go twice: {twice:?}");
    assert!(sent.keys().all(|id| id.starts_with('<')), "each with its Message-ID");
}

both_backends! {
    killed_mid_work_the_server_ends_it_once_restarted,
}

/// Two instances on one PostgreSQL: one new address raced through both is recorded and
/// billed once; their outbox rounds never send a mail twice; a bulk action whose instance
/// dies is taken over by the other and applied once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_one_postgresql() {
    if !common::pg_available() {
        return;
    }
    let fresh = common::fresh_db(Db::Postgres).await;
    let url = fresh.url.clone();
    let smtp_port = smtp::free_port().await;
    let inbox = smtp::serve(smtp_port).await;
    carnet(&url, &["seed", "--contacts", &CONTACTS.to_string(), "--events-per-contact", "0"]);
    let partner = carnet(&url, &["partner", "add", "--name", "Race", "--price-cents", "100"]);
    let partner = partner.lines().last().unwrap().trim().to_string();
    let key = carnet(&url, &["key", "create", "--partner", &partner, "--scopes", "submit"]).trim().to_string();
    let store = carnet::store::open(&url).await.unwrap();
    let state = app::state::AppState::new(store.clone(), common::test_settings());
    queue_mails(&state, "both").await;
    let (a, b) = tokio::join!(Server::start(&url, smtp_port), Server::start(&url, smtp_port));

    let client = reqwest::Client::new();
    let lead = serde_json::json!({"email": "raced@example.org", "consent": {"text": "I agree.", "form": "race v1"}});
    let answers = futures::future::join_all((0..12).map(|i| {
        let base = if i % 2 == 0 { a.base.clone() } else { b.base.clone() };
        let (client, key, lead) = (client.clone(), key.clone(), lead.clone());
        async move {
            client
                .post(format!("{base}/api/v1/leads"))
                .bearer_auth(key)
                .json(&lead)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    }))
    .await;
    assert_eq!(answers.iter().filter(|s| **s == 201).count(), 1, "one instance records it: {answers:?}");
    assert!(answers.iter().all(|s| *s == 201 || *s == 409), "{answers:?}");
    assert_eq!(common::scalar(&url, "SELECT COUNT(*) FROM partner_leads").await, 1, "billed once");

    until(Duration::from_secs(120), "the outbox to be sent by both", || {
        let inbox = inbox.clone();
        async move { by_message_id(&inbox).len() >= MAILS }
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let sent = by_message_id(&inbox);
    assert_eq!(sent.len(), MAILS);
    assert!(
        sent.values().all(|n| *n == 1),
        "no mail went out twice: {:?}",
        sent.iter().filter(|(_, n)| **n > 1).collect::<Vec<_>>()
    );

    // The bulk action starts on `a` alone, then `a` dies and `b` finishes it.
    b.kill();
    let bulk = app::engagement::service::start_bulk(
        &state,
        &app::model::ContactQuery::default(),
        app::engagement::service::BulkAction::MoveToInactivePool,
        "fault-bulk",
        app::platform::clock::now(),
    )
    .await
    .unwrap();
    until(Duration::from_secs(60), "a to start the bulk action", || {
        let state = state.clone();
        async move { state.store.job(bulk).await.unwrap().unwrap().done > 0 }
    })
    .await;
    let b = Server::start(&url, smtp_port).await;
    a.kill();
    until(Duration::from_secs(150), "b to take the bulk action over", || {
        let state = state.clone();
        async move { state.store.job(bulk).await.unwrap().unwrap().state == "done" }
    })
    .await;
    drop(b);
    let moved =
        common::scalar(&url, "SELECT COUNT(*) FROM activities WHERE kind = 'pool' AND actor = 'fault-bulk'").await;
    let contacts = common::scalar(&url, "SELECT COUNT(*) FROM contacts").await;
    assert_eq!(moved, contacts, "every contact (the raced lead too) moved, once");
}
