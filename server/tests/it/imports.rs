//! A brand's first day: the contacts it already has, from the files its marketers have,
//! and the suppression list its old tool kept, imported by the command line and by the
//! background job (killed half-way, it resumes and ends as an uninterrupted run).

use crate::common;

use app::imports::mapping::Mapping;
use app::imports::rules::{ConsentChoice, ContactImportSettings, ImportCounts, OnExisting};
use app::imports::service::{self, Runner, Upload};
use app::imports::{reading::Source, sniff::Encoding};
use app::model::{Channel, ContactForm, Email};
use common::{carnet, Db, TestApp};

fn counts_of(stdout: &[u8]) -> ImportCounts {
    let text = String::from_utf8_lossy(stdout);
    let n = |name: &str| -> i64 {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("no `{name}:` line in {text}"))
            .trim()
            .parse()
            .unwrap()
    };
    ImportCounts {
        created: n("created"),
        updated: n("updated"),
        unchanged: n("unchanged"),
        duplicates: n("duplicates"),
        suppressed: n("suppressed"),
        refused: n("refused"),
    }
}

fn import(app: &TestApp, file: &std::path::Path, flags: &[&str]) -> ImportCounts {
    let mut args = vec!["import", "contacts", file.to_str().unwrap()];
    args.extend_from_slice(flags);
    let out = carnet(app.database_url(), &args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    counts_of(&out.stdout)
}

async fn contact(app: &TestApp, email: &str) -> app::model::Contact {
    let id = app.store.contact_id_by_email(&Email::parse(email).unwrap()).await.unwrap().expect("imported");
    app.store.contact(id).await.unwrap().unwrap()
}

fn windows_1252(text: &str) -> Vec<u8> {
    encoding_rs::WINDOWS_1252.encode(text).0.into_owned()
}

/// What French Excel writes: Windows-1252, semicolons, CRLF, a quoted cell with a line
/// break, French headers, French dates and amounts.
async fn a_french_excel_file_is_imported_from_the_command_line(db: Db) {
    let app = TestApp::spawn(db).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("clients.csv");
    let text = "Courriel;Prénom;Nom;Date de naissance;Code postal;Ville;Montant total;Dernier achat;Centres d'intérêt;Fidélité\r\n\
                ann@example.com;Anne-Sophie;Lefèvre;01/02/1980;75011;Paris;1 234,50 €;15/11/2026;vins, fromages;or\r\n\
                pas-une-adresse;Bob;Martin;;;;;;;\r\n\
                ANN@Example.com;Anne;Encore;;;;;;;\r\n\
                \"joe@example.com\";\"Jo\r\nel\";Durand;31/12/1999;69001;Lyon;12;;;\r\n\
                zoe@example.com;Zoé;Roux;31/02/1990;;;;;;\r\n";
    std::fs::write(&file, windows_1252(text)).unwrap();
    let counts = import(&app, &file, &["--source", "Ancien CRM"]);
    assert_eq!(counts, ImportCounts { created: 2, duplicates: 1, refused: 2, ..Default::default() });
    let ann = contact(&app, "ann@example.com").await;
    let f = &ann.fields;
    assert_eq!((f.first_name.as_str(), f.last_name.as_str(), f.city.as_str()), ("Anne-Sophie", "Lefèvre", "Paris"));
    assert_eq!(f.birth_date, chrono::NaiveDate::from_ymd_opt(1980, 2, 1));
    assert_eq!(f.last_purchase_on, chrono::NaiveDate::from_ymd_opt(2026, 11, 15));
    assert_eq!(f.total_spent_cents, 123_450);
    assert_eq!(f.interests, vec!["vins", "fromages"]);
    assert_eq!(f.custom.get("Fidélité").map(String::as_str), Some("or"), "an unknown column is kept as an attribute");
    assert_eq!((f.channel, f.source_detail.as_str()), (Channel::Import, "Ancien CRM"));
    assert_eq!(contact(&app, "joe@example.com").await.fields.first_name, "Jo\r\nel", "a quoted line break is kept");
    // The refused rows, for a spreadsheet: BOM, the file's separator, line numbers as
    // the file counts them (the quoted line break makes Zoé's row line 6).
    let refused = std::fs::read(dir.path().join("clients.csv.refused.csv")).unwrap();
    assert!(refused.starts_with(b"\xEF\xBB\xBF"), "a UTF-8 BOM for Excel");
    let refused = String::from_utf8(refused[3..].to_vec()).unwrap();
    let lines: Vec<&str> = refused.lines().collect();
    assert!(lines[0].starts_with("line;reason;Courriel;Prénom;Nom"), "{refused}");
    assert!(lines[1].starts_with("3;Courriel: Enter a valid email address"), "{refused}");
    assert!(lines[1].ends_with(";pas-une-adresse;Bob;Martin;;;;;;;"), "{refused}");
    assert!(lines[2].starts_with("7;Date de naissance: "), "{refused}");
    assert!(lines[2].contains("Zoé;Roux;31/02/1990"), "{refused}");
    assert_eq!(lines.len(), 3);
}

/// UTF-8 with a BOM and commas, and tab-separated UTF-8: the same contacts.
async fn utf8_files_with_commas_or_tabs_are_read_alike(db: Db) {
    let app = TestApp::spawn(db).await;
    let dir = tempfile::tempdir().unwrap();
    let comma = dir.path().join("comma.csv");
    std::fs::write(
        &comma,
        "\u{feff}E-mail,First name,Last name,Company\nann@example.com,Ann,\"O'Neil, Jr\",\"ACME, Inc\"\n",
    )
    .unwrap();
    let tab = dir.path().join("tab.tsv");
    std::fs::write(&tab, "email\tprénom\tnom\tsociété\nbob@example.com\tBéa\tÉlie\tLa Société\n").unwrap();
    assert_eq!(import(&app, &comma, &[]).created, 1);
    assert_eq!(import(&app, &tab, &[]).created, 1);
    let ann = contact(&app, "ann@example.com").await.fields;
    assert_eq!((ann.last_name.as_str(), ann.company.as_str()), ("O'Neil, Jr", "ACME, Inc"));
    let bob = contact(&app, "bob@example.com").await.fields;
    assert_eq!((bob.first_name.as_str(), bob.last_name.as_str(), bob.company.as_str()), ("Béa", "Élie", "La Société"));
}

/// Known contacts are skipped, completed (empty fields only) or overwritten, as chosen;
/// a blank cell never erases anything.
async fn known_contacts_are_skipped_filled_or_overwritten(db: Db) {
    let app = TestApp::spawn(db).await;
    let today = chrono::Utc::now().date_naive();
    let known = ContactForm {
        email: "ann@example.com".into(),
        first_name: "Ann".into(),
        city: "".into(),
        channel: "web".into(),
        ..Default::default()
    }
    .validate(today)
    .unwrap();
    app.store.insert_contact(&known, app::platform::clock::now(), "test").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.csv");
    std::fs::write(&file, "email;first_name;city;last_name\nann@example.com;Anna;Nantes;\n").unwrap();
    assert_eq!(import(&app, &file, &[]), ImportCounts { unchanged: 1, ..Default::default() });
    assert_eq!(contact(&app, "ann@example.com").await.fields.city, "", "skipped");
    assert_eq!(import(&app, &file, &["--on-existing", "fill"]), ImportCounts { updated: 1, ..Default::default() });
    let ann = contact(&app, "ann@example.com").await.fields;
    assert_eq!((ann.first_name.as_str(), ann.city.as_str(), ann.channel), ("Ann", "Nantes", Channel::Web));
    assert_eq!(import(&app, &file, &["--on-existing", "fill"]).unchanged, 1, "nothing left to fill");
    assert_eq!(import(&app, &file, &["--on-existing", "overwrite"]).updated, 1);
    assert_eq!(contact(&app, "ann@example.com").await.fields.first_name, "Anna");
    let timeline = app.store.timeline(contact(&app, "ann@example.com").await.id, 10).await.unwrap();
    assert_eq!(timeline.iter().filter(|a| a.kind == "edited").count(), 2, "each change on the timeline");
}

/// The old suppression list (addresses and hashes) is imported as hashes only; an
/// address on it, or a suppressed contact's, is never created by a contact import.
async fn suppressed_addresses_are_never_imported_again(db: Db) {
    let app = TestApp::spawn(db).await;
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("repoussoir.txt");
    let md5 = Email::parse("bea@example.com").unwrap().md5_hex();
    let sha = Email::parse("cid@example.com").unwrap().sha256_hex();
    let ann_md5 = Email::parse("ann@example.com").unwrap().md5_hex();
    std::fs::write(
        &list,
        format!("ann@example.com\n{}\n{sha}\nnot a hash\nANN@example.com\n{ann_md5}\n", md5.to_uppercase()),
    )
    .unwrap();
    let out = carnet(app.database_url(), &["import", "suppression", list.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The address twice, and its MD5 after it: the same entry, duplicates.
    assert_eq!(counts_of(&out.stdout), ImportCounts { created: 3, duplicates: 2, refused: 1, ..Default::default() });
    assert_eq!(app.store.count_contacts().await.unwrap(), 0, "no personal data kept");
    let file = dir.path().join("c.csv");
    std::fs::write(
        &file,
        "email\nann@example.com\nbea@example.com\ncid@example.com\ndan@example.com\neve@example.com\n",
    )
    .unwrap();
    assert_eq!(import(&app, &file, &[]), ImportCounts { created: 2, suppressed: 3, ..Default::default() });
    // A contact named by two lines (her MD5, then her address, whose SHA-256 is new):
    // suppressed once, the second line finding it done.
    let eve_md5 = Email::parse("eve@example.com").unwrap().md5_hex();
    std::fs::write(&list, format!("{eve_md5}\neve@example.com\n")).unwrap();
    let out = carnet(app.database_url(), &["import", "suppression", list.to_str().unwrap()]);
    assert_eq!(counts_of(&out.stdout), ImportCounts { suppressed: 1, unchanged: 1, ..Default::default() });
    let eve = contact(&app, "eve@example.com").await;
    assert_eq!(eve.suppression_reason.as_deref(), Some("suppression_list"));
    // A contact suppressed later (hard bounce) is not written by an overwrite either.
    let dan = contact(&app, "dan@example.com").await;
    let evidence = app::model::contact::ConsentEvidence {
        at: app::platform::clock::now(),
        channel: "bounce".into(),
        form: "".into(),
        text: "".into(),
    };
    app.store.suppress_contacts(&[dan.id], "hard_bounce", &evidence, "test").await.unwrap();
    std::fs::write(&file, "email;first_name\ndan@example.com;Dan\n").unwrap();
    assert_eq!(import(&app, &file, &["--on-existing", "overwrite"]).suppressed, 1);
    assert_eq!(contact(&app, "dan@example.com").await.fields.first_name, "");
    // Nor is a person who had themselves erased: only the address's hashes remain.
    app.store.erase_contact(dan.id, "", app::platform::clock::now()).await.unwrap();
    assert_eq!(import(&app, &file, &[]), ImportCounts { suppressed: 1, ..Default::default() });
    assert_eq!(app.store.contact_id_by_email(&Email::parse("dan@example.com").unwrap()).await.unwrap(), None);
}

/// A subscription needs its evidence: the words (always), the date (fixed or from a
/// column); a row without a date is refused, and an unsubscription is never undone.
async fn subscriptions_are_imported_with_their_consent_evidence(db: Db) {
    let app = TestApp::spawn(db).await;
    let newsletter = app.store.ensure_newsletter("Lettre", "").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.csv");
    std::fs::write(&file, "email;date d'inscription\nann@example.com;03/04/2021\nbob@example.com;\n").unwrap();
    let out = carnet(app.database_url(), &["import", "contacts", file.to_str().unwrap(), "--newsletter", "Lettre"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--consent-text"));
    let out = carnet(
        app.database_url(),
        &["import", "contacts", file.to_str().unwrap(), "--newsletter", "Nope", "--consent-text", "Oui"],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("Lettre"), "names the newsletters there are");
    let text = "J'accepte de recevoir la lettre";
    let counts =
        import(&app, &file, &["--newsletter", "lettre", "--consent-text", text, "--consent-place", "ancien site"]);
    assert_eq!(counts, ImportCounts { created: 1, refused: 1, ..Default::default() });
    let ann = contact(&app, "ann@example.com").await;
    let subs = app.store.subscriptions(ann.id).await.unwrap();
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0].newsletter.id, newsletter);
    assert_eq!((subs[0].consent.text.as_str(), subs[0].consent.form.as_str()), (text, "ancien site"));
    assert_eq!(subs[0].consent.at.date(), chrono::NaiveDate::from_ymd_opt(2021, 4, 3).unwrap());
    // Unsubscribed since: the same file, filled in, does not subscribe them again.
    let evidence = app::model::contact::ConsentEvidence {
        at: app::platform::clock::now(),
        channel: "web".into(),
        form: "unsubscribe".into(),
        text: "".into(),
    };
    app.store
        .set_subscription(ann.id, newsletter, app::model::SubscriptionState::Unsubscribed, &evidence)
        .await
        .unwrap();
    let counts = import(
        &app,
        &file,
        &["--newsletter", "Lettre", "--consent-text", text, "--consent-date", "2021-01-01", "--on-existing", "fill"],
    );
    assert_eq!((counts.created, counts.unchanged), (1, 1), "{counts:?}");
    assert_eq!(app.store.subscriptions(ann.id).await.unwrap()[0].state, app::model::SubscriptionState::Unsubscribed);
}

/// A dry run counts what the import would do and writes nothing.
async fn a_dry_run_counts_and_writes_nothing(db: Db) {
    let app = TestApp::spawn(db).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.csv");
    std::fs::write(&file, "email\nann@example.com\nann@example.com\nbad\nbob@example.com\n").unwrap();
    let dry = import(&app, &file, &["--dry-run"]);
    assert_eq!(dry, ImportCounts { created: 2, duplicates: 1, refused: 1, ..Default::default() });
    assert_eq!(app.store.count_contacts().await.unwrap(), 0);
    assert_eq!(import(&app, &file, &[]), dry, "the import does what the dry run said");
}

/// The CSV of `n` contacts, every 10th row repeating the row before and every 25th
/// without a valid address, with the counts an import of it must end with.
fn generated(n: usize) -> (String, ImportCounts) {
    let mut text = String::from("email;prénom;ville;date d'inscription\n");
    let mut expected = ImportCounts::default();
    let mut valid = std::collections::HashSet::new();
    for i in 0..n {
        if i % 25 == 24 {
            text.push_str(&format!("broken-{i};X;Y;01/01/2020\n"));
            expected.refused += 1;
            continue;
        }
        let who = if i % 10 == 9 { i - 1 } else { i };
        text.push_str(&format!("person{who}@example.com;Name {i};Ville {};0{}/01/2020\n", i % 7, 1 + i % 9));
        if valid.insert(who) {
            expected.created += 1;
        } else {
            expected.duplicates += 1;
        }
    }
    (text, expected)
}

fn settings(headers: &[String], newsletter: app::model::NewsletterId) -> ContactImportSettings {
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    ContactImportSettings {
        encoding: Encoding::Utf8,
        separator: b';',
        mapping: Mapping::guess(&headers),
        channel: Channel::Event,
        source_detail: "Salon 2026".into(),
        on_existing: OnExisting::Skip,
        consent: Some(ConsentChoice {
            newsletter_id: newsletter,
            text: "Oui".into(),
            date: None,
            place: "stand".into(),
        }),
        today: chrono::Utc::now().date_naive(),
    }
}

/// An upload run by the background job, killed after its first batches, taken over by
/// another run once its lease is out: it ends with the counts and rows of an
/// uninterrupted run, nothing twice, nothing lost.
async fn a_killed_import_resumes_and_ends_as_if_uninterrupted(db: Db) {
    // No server: this test is the instances that run the job.
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let state = app::state::AppState::new(store.clone(), common::test_settings());
    let newsletter = store.ensure_newsletter("Lettre", "").await.unwrap();
    // Two whole batches and part of a third, so the run is killed between batches; and
    // enough for a load that defers its indexes (`Runner::defer_indexes`).
    let rows = (2 * app::imports::reading::BATCH_ROWS).max(service::DEFER_INDEXES_ROWS) + 3_000;
    let (text, expected) = generated(rows);
    let mut upload = Upload::begin(&store, "contacts", "salon.csv", "test", 1 << 30).await.unwrap();
    for piece in text.as_bytes().chunks(300_000) {
        assert!(upload.write(piece).await.unwrap());
    }
    let import = upload.finish().await.unwrap().expect("a readable file");
    assert_eq!((import.encoding.as_str(), import.separator.as_str(), import.headers.len()), ("utf-8", ";", 4));
    let settings = settings(&import.headers, newsletter);
    // Where a partner checks addresses, the load keeps the hashes' indexes for them;
    // into a base none checks yet, it defers those too. One way on each backend (the
    // choice is the runner's, the same for both).
    let partner_checks = fresh.url.starts_with("postgres");
    if partner_checks {
        let now = app::platform::clock::now();
        app::partners::service::create_partner(&state, "test", "Leads", "", 0, 0, now).await.unwrap();
    }
    let job = service::start_run(&state, &import, &settings, false, "test").await.unwrap();
    let now = app::platform::clock::now();
    let first = store.claim_job(now, now + 60, "first").await.unwrap().expect("the job").job;
    assert_eq!(first.id, job);
    let running = store.import(import.id).await.unwrap().unwrap();
    let killed = {
        let store = store.clone();
        tokio::spawn(async move {
            let runner = Runner {
                store: &store,
                source: Source::Stored(running.id),
                import: &running,
                job: Some(&first),
                actor: "test",
                dry_run: false,
            };
            runner.contacts(&settings).await
        })
    };
    while store.import(import.id).await.unwrap().unwrap().counts.rows() < (rows / 4) as i64 {
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    // Killed at whatever point it had reached.
    killed.abort();
    let _ = killed.await;
    let halfway = store.import(import.id).await.unwrap().unwrap();
    assert!(halfway.counts.rows() < rows as i64, "killed before the end: {:?}", halfway.counts);
    let indexes = if fresh.url.starts_with("postgres") {
        "SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'contacts'"
    } else {
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'contacts'"
    };
    // The primary key (PostgreSQL lists it), the unique address, the erased's hashes,
    // and the two full hash indexes where a partner checks them.
    let all = if fresh.url.starts_with("postgres") { 10 } else { 9 };
    let kept = if partner_checks { 5 } else { 2 };
    assert_eq!(common::scalar(&fresh.url, indexes).await, kept, "the load deferred the other indexes");
    // Another instance, once the lease ran out, runs the job from the last batch written.
    let later = app::platform::clock::now() + 120;
    let second = store.claim_job(later, later + 60, "second").await.unwrap().expect("taken over").job;
    assert_eq!(second.id, job);
    let params = app::imports::service::ImportParams { import_id: import.id };
    let summary = <app::imports::service::ImportJob as app::platform::jobs::JobKind>::run(&state, &second, params, "")
        .await
        .unwrap();
    assert_eq!(summary, expected.summary());
    let ended = store.import(import.id).await.unwrap().unwrap();
    assert_eq!((ended.state.as_str(), ended.counts), ("done", expected), "the counts of an uninterrupted run");
    assert_eq!(store.count_contacts().await.unwrap(), expected.created, "each row once");
    assert_eq!(store.import_refusals(import.id, 0, 5_000).await.unwrap().len() as i64, expected.refused);
    assert!(store.import_chunk(import.id, 0).await.unwrap().is_none(), "the file is deleted once imported");
    assert_eq!(common::scalar(&fresh.url, indexes).await, all, "the run that ended it built them");
    for who in ["person0@example.com".to_string(), format!("person{}@example.com", rows - 2)] {
        let id = store.contact_id_by_email(&Email::parse(&who).unwrap()).await.unwrap().unwrap();
        assert_eq!(store.subscriptions(id).await.unwrap().len(), 1, "{who}");
        let timeline = store.timeline(id, 10).await.unwrap();
        assert_eq!(timeline.iter().filter(|a| a.kind == "created").count(), 1, "{who}: {timeline:?}");
    }
}

/// A multipart body as a browser sends the upload form: `kind`, then the file.
fn upload_body(kind: &str, file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "carnet-import-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(app: &TestApp, client: &reqwest::Client, kind: &str, bytes: &[u8]) -> reqwest::Response {
    let (content_type, body) = upload_body(kind, "clients.csv", bytes);
    client
        .post(format!("{}/contacts/import", app.base))
        .header("origin", &app.base)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Posts the import page's form as a browser without JavaScript does; returns where
/// it was sent next.
async fn post_choices(app: &TestApp, client: &reqwest::Client, form: &[(String, String)]) -> String {
    let res = client
        .post(format!("{}/api/imports/configure", app.base))
        .header("origin", &app.base)
        .header("accept", "text/html")
        .form(form)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    res.headers()["location"].to_str().unwrap().to_string()
}

async fn detail(app: &TestApp, client: &reqwest::Client, id: &str) -> serde_json::Value {
    let (ok, detail) = app.call_json(client, "imports/detail", &[("id", id)]).await;
    assert!(ok, "{detail}");
    detail
}

async fn wait_for_state(app: &TestApp, id: app::model::ImportId, state: &str) -> app::store::imports::ImportRecord {
    for _ in 0..300 {
        let import = app.store.import(id).await.unwrap().unwrap();
        if import.state == state {
            return import;
        }
        assert_ne!(import.state, "failed");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the import never became {state}");
}

/// The browser's way: a semicolon-separated Windows-1252 file uploaded, its columns
/// guessed from French headers, changed, previewed, checked by a dry run that writes
/// nothing, imported by the background job, its refused rows downloaded, the mapping
/// saved and offered for the next file with the same columns.
async fn a_marketer_imports_a_file_through_the_pages(db: Db) {
    let app = TestApp::spawn(db).await;
    let newsletter = app.store.ensure_newsletter("Lettre", "").await.unwrap();
    let text = "Courriel;Prénom;Nom;Code postal;Remarque\r\n\
                ann@example.com;Anne-Sophie;Lefèvre;75011;fidèle\r\n\
                pas-une-adresse;Bob;Martin;;\r\n\
                joe@example.com;Joël;Durand;69001;\r\n";
    let bytes = windows_1252(text);
    let viewer = app.login_as(app::model::Role::Viewer).await;
    assert_eq!(upload(&app, &viewer, "contacts", &bytes).await.status().as_u16(), 403);
    let marketer = app.login_as(app::model::Role::Marketer).await;
    let res = upload(&app, &marketer, "contacts", &bytes).await;
    assert_eq!(res.status().as_u16(), 303);
    let to = res.headers()["location"].to_str().unwrap().to_string();
    let id = to.strip_prefix("/contacts/import/").expect("to the import's page").to_string();
    let import_id = app::model::ImportId(id.parse().unwrap());
    let page = app.get(&marketer, &to).await;
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Prénom") && html.contains("Lefèvre"), "the file's own text, decoded");

    let d = detail(&app, &marketer, &id).await;
    assert_eq!((d["encoding"].as_str(), d["separator"].as_str()), (Some("windows-1252"), Some(";")));
    assert_eq!(
        d["choices"]["columns"],
        serde_json::json!(["email", "first_name", "last_name", "postal_code", "custom:Remarque"])
    );
    assert_eq!(d["preview"].as_array().unwrap().len(), 3);
    assert!(
        d["preview"][1]["refused"].as_str().unwrap().contains("Courriel"),
        "the refusal names the column: {}",
        d["preview"][1]
    );

    let form = |columns: [&str; 5], extra: &[(&str, &str)], action: &str| {
        let mut form: Vec<(String, String)> = vec![
            ("id".into(), id.clone()),
            ("choices[encoding]".into(), "windows-1252".into()),
            ("choices[separator]".into(), ";".into()),
            ("choices[channel]".into(), "event".into()),
            ("choices[source_detail]".into(), "Salon 2026".into()),
            ("choices[on_existing]".into(), "skip".into()),
            ("action".into(), action.into()),
        ];
        for (i, c) in columns.iter().enumerate() {
            form.push((format!("choices[columns][{i}]"), c.to_string()));
        }
        form.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        form
    };
    let columns = ["email", "first_name", "last_name", "postal_code", "ignore"];
    let nl = newsletter.to_string();
    // A subscription without its date is refused before anything runs.
    let no_date = [("choices[newsletter]", nl.as_str()), ("choices[consent_text]", "Oui, la lettre")];
    let back = post_choices(&app, &marketer, &form(columns, &no_date, "dry_run")).await;
    assert_eq!(back, format!("/contacts/import/{id}#choices"));
    let d = detail(&app, &marketer, &id).await;
    assert!(d["problems"][0].as_str().unwrap().contains("date consent was given"), "{}", d["problems"]);
    assert_eq!(d["choices"]["columns"][4], "ignore", "the choices sent are kept on the page");
    assert_eq!(app.store.import(import_id).await.unwrap().unwrap().state, "uploaded");

    let consent = [
        ("choices[newsletter]", nl.as_str()),
        ("choices[consent_text]", "Oui, la lettre"),
        ("choices[consent_date]", "01/06/2024"),
        ("choices[save_as]", "Salon"),
    ];
    let to = post_choices(&app, &marketer, &form(columns, &consent, "dry_run")).await;
    assert!(to.starts_with("/jobs/"), "{to}");
    let checked = wait_for_state(&app, import_id, "checked").await;
    assert_eq!(checked.counts, ImportCounts { created: 2, refused: 1, ..Default::default() });
    assert_eq!(checked.job_id, None, "the dry run's job lets go: the import's own run waits for its job");
    assert_eq!(app.store.count_contacts().await.unwrap(), 0, "a dry run writes nothing");
    let d = detail(&app, &marketer, &id).await;
    assert_eq!(d["refusals"][0][0], 3, "the refused row's line: {}", d["refusals"]);

    let to = post_choices(&app, &marketer, &form(columns, &consent, "import")).await;
    assert!(to.starts_with("/jobs/"), "{to}");
    let done = wait_for_state(&app, import_id, "done").await;
    assert_eq!(done.counts, ImportCounts { created: 2, refused: 1, ..Default::default() });
    let joe = contact(&app, "joe@example.com").await;
    assert_eq!((joe.fields.first_name.as_str(), joe.fields.channel), ("Joël", Channel::Event));
    assert_eq!(joe.fields.source_detail, "Salon 2026");
    assert!(contact(&app, "ann@example.com").await.fields.custom.is_empty(), "the ignored column is not kept");
    let subs = app.store.subscriptions(joe.id).await.unwrap();
    assert_eq!((subs.len(), subs[0].consent.text.as_str()), (1, "Oui, la lettre"));

    let res = marketer.get(format!("{}/contacts/import/{id}/refused.csv", app.base)).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    let csv = res.bytes().await.unwrap();
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "a BOM, for Excel");
    let csv = String::from_utf8(csv[3..].to_vec()).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "line;reason;Courriel;Prénom;Nom;Code postal;Remarque");
    assert!(lines[1].starts_with("3;") && lines[1].ends_with(";pas-une-adresse;Bob;Martin;;"), "{}", lines[1]);
    assert_eq!(lines.len(), 2);
    assert_eq!(
        viewer.get(format!("{}/contacts/import/{id}/refused.csv", app.base)).send().await.unwrap().status(),
        403
    );

    // The next file with the same columns starts with the saved choices.
    let res = upload(
        &app,
        &marketer,
        "contacts",
        &windows_1252("Courriel;Prénom;Nom;Code postal;Remarque\r\nkim@example.com;Kim;Lee;;\r\n"),
    )
    .await;
    let next = res.headers()["location"].to_str().unwrap().strip_prefix("/contacts/import/").unwrap().to_string();
    let d = detail(&app, &marketer, &next).await;
    assert_eq!(d["choices"]["columns"][4], "ignore");
    assert_eq!(
        (d["choices"]["channel"].as_str(), d["choices"]["newsletter"].as_str()),
        (Some("event"), Some("")),
        "not the consent"
    );
    // Read with another separator after a dry run, the columns are read again and the
    // run's results, of other columns, are gone.
    let mut dry = form(columns, &[], "dry_run");
    dry[0].1 = next.clone();
    post_choices(&app, &marketer, &dry).await;
    let next_id = app::model::ImportId(next.parse().unwrap());
    wait_for_state(&app, next_id, "checked").await;
    let mut comma = form(columns, &[], "preview");
    comma[0].1 = next.clone();
    comma[2].1 = ",".into();
    post_choices(&app, &marketer, &comma).await;
    let d = detail(&app, &marketer, &next).await;
    assert_eq!((d["headers"].as_array().unwrap().len(), d["separator"].as_str()), (1, Some(",")));
    assert_eq!(d["choices"]["separator"], ",", "the form shows how the file is read now");
    assert!(d["notice"].as_str().unwrap().contains("1 columns"), "{}", d["notice"]);
    assert_eq!((d["import"]["state"].as_str(), d["import"]["counts"]["created"].as_i64()), (Some("uploaded"), Some(0)));

    // A file far too wide for a contact list is refused at once.
    let wide: Vec<String> = (0..600).map(|i| format!("c{i}")).collect();
    let res = upload(&app, &marketer, "contacts", format!("{}\n", wide.join(",")).as_bytes()).await;
    assert_eq!(res.headers()["location"], "/contacts/import");
    let (_, overview) = app.call_json(&marketer, "imports/list", &[]).await;
    assert!(overview["problems"][0].as_str().unwrap().contains("600 columns"), "{overview}");

    // An empty file, or no file, goes back to the form with the reason.
    let res = upload(&app, &marketer, "contacts", b"").await;
    assert_eq!(res.headers()["location"], "/contacts/import");
    let (_, overview) = app.call_json(&marketer, "imports/list", &[]).await;
    assert!(overview["problems"][0].as_str().unwrap().contains("empty"), "{overview}");
    assert_eq!(overview["imports"].as_array().unwrap().len(), 4, "{overview}");
    let shown: Vec<&str> =
        overview["imports"].as_array().unwrap().iter().map(|i| i["state"].as_str().unwrap()).collect();
    assert_eq!(shown, ["expired", "expired", "uploaded", "done"], "refused uploads keep nothing");
}

/// `make run` on a fresh clone: the demo shows the import page with a file waiting, and
/// the partners page with a lead seller and the shop's integration, each with a key.
async fn the_demo_shows_imports_and_integrations(db: Db) {
    let app = TestApp::spawn(db).await;
    let dir = tempfile::tempdir().unwrap();
    let credentials = dir.path().join("admin.txt");
    let run = || {
        carnet(app.database_url(), &["demo", "--contacts", "50", "--credentials-file", credentials.to_str().unwrap()])
    };
    let out = run();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Demo shop integration key") && text.contains("A demo file waits on the import page"),
        "{text}"
    );
    let imports = app.store.recent_imports(5).await.unwrap();
    assert_eq!(
        (imports.len(), imports[0].state.as_str(), imports[0].encoding.as_str()),
        (1, "uploaded", "windows-1252")
    );
    let partners = app.store.partners().await.unwrap();
    assert_eq!(partners.iter().filter(|p| p.own).count(), 1, "{partners:?}");
    let again = run();
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert_eq!(app.store.recent_imports(5).await.unwrap().len(), 1, "once");
}

both_backends! {
    the_demo_shows_imports_and_integrations,
    a_marketer_imports_a_file_through_the_pages,
    a_french_excel_file_is_imported_from_the_command_line,
    utf8_files_with_commas_or_tabs_are_read_alike,
    known_contacts_are_skipped_filled_or_overwritten,
    suppressed_addresses_are_never_imported_again,
    subscriptions_are_imported_with_their_consent_evidence,
    a_dry_run_counts_and_writes_nothing,
    a_killed_import_resumes_and_ends_as_if_uninterrupted,
}
