//! Exporting a list as staff and scripts get it: the columns chosen, CSV a spreadsheet
//! opens (a BOM, the separator asked for, formulas defused) or JSON Lines, the same from
//! the command line, and a file Carnet imports back as it was.

use crate::common;

use app::model::{ContactForm, Role};
use common::{carnet, Db, TestApp};

async fn add(app: &TestApp, form: ContactForm) {
    let fields = form.validate(app::platform::clock::now().date()).unwrap();
    app.store.insert_contact(&fields, app::platform::clock::now(), "test").await.unwrap();
}

async fn three_contacts(app: &TestApp) {
    let web = |email: &str, first: &str| ContactForm {
        email: email.into(),
        first_name: first.into(),
        channel: "web".into(),
        ..Default::default()
    };
    add(app, ContactForm { city: "Paris".into(), total_spent: "1234.5".into(), ..web("zoe@example.com", "Zoé") }).await;
    add(app, web("eve@example.com", "=HYPERLINK(\"http://evil.example\")")).await;
    add(app, ContactForm { channel: "event".into(), ..web("sam@example.com", "Sam") }).await;
}

async fn a_list_exports_with_the_columns_chosen(db: Db) {
    let app = TestApp::spawn(db).await;
    three_contacts(&app).await;
    let marketer = app.login_as(Role::Marketer).await;
    let res = app
        .get(&marketer, "/contacts/export?channel=web&col=email&col=first_name&col=total_spent&separator=semicolon")
        .await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(res.headers()["content-disposition"].to_str().unwrap().ends_with(".csv\""));
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "a BOM: Excel reads UTF-8");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.remove(0), "email;first_name;total_spent");
    lines.sort();
    assert_eq!(
        lines,
        ["eve@example.com;\"'=HYPERLINK(\"\"http://evil.example\"\")\";0.00", "zoe@example.com;Zoé;1234.50"]
    );

    let res = app
        .get(&marketer, "/contacts/export?channel=web&columns=id,email,first_name,purchase_count&format=jsonl")
        .await;
    assert_eq!(res.headers()["content-type"], "application/jsonl; charset=utf-8");
    let text = res.text().await.unwrap();
    let rows: Vec<serde_json::Value> =
        text.lines().map(|l| serde_json::from_str(l).expect("one JSON object a line")).collect();
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert_eq!(row.as_object().unwrap().len(), 4, "{row}");
        assert!(row["id"].is_i64() && row["purchase_count"] == 0, "{row}");
    }
    assert!(rows.iter().any(|r| r["first_name"] == "=HYPERLINK(\"http://evil.example\")"), "JSON is data: kept as is");

    assert_eq!(app.get(&marketer, "/contacts/export?columns=email,password").await.status().as_u16(), 422);
    let viewer = app.login_as(Role::Viewer).await;
    assert_eq!(app.get(&viewer, "/contacts/export?format=jsonl").await.status().as_u16(), 403);
}

/// A script's export, and a file another Carnet (or this one, after a migration) imports
/// back whole: the export's headers are ones the import recognises.
async fn an_export_from_the_command_line_imports_back(db: Db) {
    let app = TestApp::spawn(db).await;
    three_contacts(&app).await;
    let out = carnet(
        app.database_url(),
        &["export", "contacts", "--filter", "channel=web", "--format", "jsonl", "--columns", "email,city"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut rows: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    rows.sort_by_key(|r| r["email"].as_str().unwrap().to_string());
    assert_eq!(
        rows,
        [
            serde_json::json!({"email": "eve@example.com", "city": ""}),
            serde_json::json!({"email": "zoe@example.com", "city": "Paris"})
        ]
    );
    let bad = carnet(app.database_url(), &["export", "contacts", "--format", "xlsx"]);
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("xlsx"));
    // A mistyped filter would export everyone: refused instead.
    for filter in ["staus=inactive", "status=inactiv"] {
        let bad = carnet(app.database_url(), &["export", "contacts", "--filter", filter]);
        assert!(!bad.status.success() && bad.stdout.is_empty(), "{filter}");
        assert!(String::from_utf8_lossy(&bad.stderr).contains("--filter"), "{filter}");
    }

    let columns = "email,first_name,last_name,city,total_spent,channel,source,birth_date,last_purchase_on";
    let out = carnet(app.database_url(), &["export", "contacts", "--columns", columns]);
    assert!(out.status.success());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.csv");
    std::fs::write(&file, &out.stdout).unwrap();
    let other = TestApp::spawn(db).await;
    let imported = carnet(other.database_url(), &["import", "contacts", file.to_str().unwrap()]);
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
    let counts = String::from_utf8_lossy(&imported.stdout);
    assert!(counts.contains("created: 3") && counts.contains("refused: 0"), "{counts}");
    let zoe =
        other.store.contact_id_by_email(&app::model::Email::parse("zoe@example.com").unwrap()).await.unwrap().unwrap();
    let zoe = other.store.contact(zoe).await.unwrap().unwrap();
    assert_eq!(
        (zoe.fields.first_name.as_str(), zoe.fields.city.as_str(), zoe.fields.total_spent_cents),
        ("Zoé", "Paris", 123_450)
    );
    assert_eq!(zoe.fields.channel, app::model::Channel::Web, "the channel comes back from its column");
    assert!(zoe.fields.custom.is_empty(), "every column was recognised: {:?}", zoe.fields.custom);
}

both_backends! {
    a_list_exports_with_the_columns_chosen,
    an_export_from_the_command_line_imports_back,
}
