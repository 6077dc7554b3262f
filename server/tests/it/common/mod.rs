//! Test helpers: a fresh database per test on either backend, and a running app on
//! port 0 with typed helpers (`app.login_as(Role::Marketer)`, `app.call(…)`).
#![allow(dead_code)]

pub mod smtp;

use app::model::Role;
use app::state::{LoginLimits, Settings};
use app::store::Store;
use carnet::{AppConfig, Application};
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Runs one async test body against both backends.
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(crate::common::Db::Sqlite).await } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if super::common::pg_available() { super::$name(crate::common::Db::Postgres).await } } )* }
    };
}

/// Whether PostgreSQL tests can run. Under `make test` (CARNET_REQUIRE_PG=1) a missing
/// database is a failure, not a skip.
pub fn pg_available() -> bool {
    if std::env::var("TEST_DATABASE_URL_PG").is_ok() {
        return true;
    }
    if std::env::var("CARNET_REQUIRE_PG").is_ok_and(|v| v == "1") {
        panic!("TEST_DATABASE_URL_PG is not set but CARNET_REQUIRE_PG=1");
    }
    eprintln!("skipping: TEST_DATABASE_URL_PG is not set");
    false
}

pub struct FreshDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    /// For PostgreSQL: the server's admin URL and the database to drop afterwards.
    pg: Option<(String, String)>,
}

/// A test's PostgreSQL database is dropped when the test ends, so a developer's own
/// server (`TEST_DATABASE_URL_PG`) does not fill up run after run. `WITH (FORCE)` ends
/// the app's connections still open.
impl Drop for FreshDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.pg.take() else { return };
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&admin).await.ok()?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await.ok()
            })
        })
        .join();
    }
}

fn random_suffix() -> String {
    use rand::Rng;
    rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(12)
        .map(|c| char::from(c).to_ascii_lowercase())
        .collect()
}

/// A new, empty database: a temporary SQLite file, or a new PostgreSQL database.
pub async fn fresh_db(db: Db) -> FreshDb {
    match db {
        Db::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("carnet.db").display());
            FreshDb { url, _dir: Some(dir), pg: None }
        }
        Db::Postgres => {
            use sqlx::Connection;
            let admin = std::env::var("TEST_DATABASE_URL_PG").expect("TEST_DATABASE_URL_PG");
            let name = format!("carnet_test_{}", random_suffix());
            let mut conn = sqlx::PgConnection::connect(&admin).await.expect("connect to PostgreSQL");
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create test database");
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
            FreshDb { url: format!("{base}/{name}"), _dir: None, pg: Some((admin.clone(), name)) }
        }
    }
}

pub async fn store(db: &FreshDb) -> Arc<dyn Store> {
    carnet::store::open(&db.url).await.expect("open store")
}

pub fn test_settings() -> Settings {
    Settings {
        public_url: "http://127.0.0.1".into(),
        session_absolute_secs: 8 * 3600,
        login_limits: LoginLimits {
            window_secs: 3600,
            slow_after: 2,
            delay_ms: 5,
            max_delay_ms: 20,
            refuse_address_after: 50,
        },
        partner_rate: app::state::PartnerRate { per_second: 1000.0, burst: 1000.0 },
        profile_link_days: 14,
        // Every test comes from 127.0.0.1 and answers at once: tests of the defences
        // set their own.
        signup: app::state::SignupDefence {
            min_secs: 0,
            pow_bits: 0,
            per_ip_hour: 10_000,
            per_ip_hour_without_pow: 10_000,
            ..Default::default()
        },
    }
}

pub struct TestApp {
    pub base: String,
    pub store: Arc<dyn Store>,
    pub state: app::state::AppState,
    _db: FreshDb,
}

impl TestApp {
    pub async fn spawn(db: Db) -> TestApp {
        Self::spawn_with(db, test_settings()).await
    }

    pub async fn spawn_with(db: Db, settings: Settings) -> TestApp {
        Self::spawn_with_mailer(db, settings, None).await
    }

    /// With mail sent through `mailer` (an SMTP transport to a test server).
    pub async fn spawn_with_mailer(
        db: Db,
        settings: Settings,
        mailer: Option<Arc<dyn app::mail::service::MailTransport>>,
    ) -> TestApp {
        let fresh = fresh_db(db).await;
        let store = store(&fresh).await;
        let config =
            AppConfig { settings, site_root: std::env::temp_dir().join("carnet-no-site"), trust_proxy: false, mailer };
        let app = Application::build(config, store.clone(), "127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", app.local_addr());
        let state = app.state().clone();
        tokio::spawn(app.run());
        TestApp { base, store, state, _db: fresh }
    }

    /// A browser with the contact's own session, opened through a fresh personal link.
    pub async fn contact_session(&self, contact_id: app::model::ContactId) -> reqwest::Client {
        let link =
            app::self_service::service::new_link(&self.state, contact_id, app::platform::clock::now()).await.unwrap();
        let client = self.client();
        let path = link.rsplit_once("/p/").unwrap().1;
        let res = client.post(format!("{}/p/{path}", self.base)).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 303, "the link opens a session");
        client
    }

    /// The URL of this app's database.
    pub fn database_url(&self) -> &str {
        &self._db.url
    }

    /// Applies every accepted event now, as the folder would within a second.
    pub async fn settle(&self) {
        self.state.event_writer.apply_pending(&self.store).await.expect("fold the event inbox");
    }

    /// A browser-like client: keeps cookies, does not follow redirects (tests look at them).
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            // A request that hangs fails the test with its URL instead of stalling the run.
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .expect("client")
    }

    pub async fn add_user(&self, role: Role) -> (String, String) {
        let email = format!("{}-{}@staff.example", role.as_str(), random_suffix());
        let password = "correct horse battery".to_string();
        let state = app::state::AppState::new(self.store.clone(), test_settings());
        app::auth::service::create_user(&state, &email, role, &password, false).await.expect("create user");
        (email, password)
    }

    pub async fn sign_in(&self, client: &reqwest::Client, email: &str, password: &str) -> reqwest::Response {
        self.call(client, "auth/login", &[("email", email), ("password", password)]).await
    }

    /// A client signed in as a new user with this role.
    pub async fn login_as(&self, role: Role) -> reqwest::Client {
        let (email, password) = self.add_user(role).await;
        let client = self.client();
        let res = self.sign_in(&client, &email, &password).await;
        assert!(res.status().is_success() || res.status().is_redirection(), "sign-in failed: {}", res.status());
        client
    }

    /// Calls a server function the way the app's own JavaScript does (same origin).
    pub async fn call(&self, client: &reqwest::Client, endpoint: &str, form: &[(&str, &str)]) -> reqwest::Response {
        client
            .post(format!("{}/api/{endpoint}", self.base))
            .header("origin", &self.base)
            .header("accept", "application/json")
            .form(form)
            .send()
            .await
            .expect("request")
    }

    /// Calls a server function and returns its JSON answer, `Ok` or `Err`.
    pub async fn call_json(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> (bool, serde_json::Value) {
        let res = self.call(client, endpoint, form).await;
        let ok = res.status().is_success();
        let text = res.text().await.expect("body");
        (ok, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
    }

    pub async fn get(&self, client: &reqwest::Client, path: &str) -> reqwest::Response {
        client.get(format!("{}{path}", self.base)).header("accept", "text/html").send().await.expect("request")
    }
}

/// The form fields of a contact, as the page posts them.
pub fn contact_form<'a>(fields: &[(&'a str, &'a str)]) -> Vec<(String, String)> {
    fields.iter().map(|(k, v)| (format!("form[{k}]"), v.to_string())).collect()
}

/// A multipart body with one file field, `file`, holding `csv`: (content type, body).
pub fn multipart(csv: &str) -> (String, String) {
    let boundary = "carnet-test-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"upload.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Runs the `carnet` binary on this database.
pub fn carnet(database_url: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_carnet"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env_remove("CARNET_SMTP_URL")
        .output()
        .expect("run carnet")
}

/// One number from the database, by SQL of the test's own (what no store method tells,
/// such as which indexes exist).
pub async fn scalar(url: &str, sql: &str) -> i64 {
    use sqlx::Row;
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query(sql).fetch_one(&pool).await.unwrap().get::<i64, _>(0)
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        sqlx::query(sql).fetch_one(&pool).await.unwrap().get::<i64, _>(0)
    }
}
