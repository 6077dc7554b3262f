//! One storage conformance suite, run against SQLite and PostgreSQL alike: every method
//! of `Store` behaves the same on both backends. One module per part of the store;
//! `the_suite_calls_every_store_method` reads the store traits and fails when a method
//! is called by none of them.

use crate::common;

use app::model::contact::ConsentEvidence;
use app::model::events::EventKind;
use app::model::{Channel, ContactForm, ContactQuery, ContactSort, Email, Role, SubscriptionState, Timestamp};
use app::store::{BulkActivity, BulkContact, StoreError};
use chrono::NaiveDate;

/// Statuses as of now under the default settings.
fn bounds() -> app::model::engagement::StatusBounds {
    app::model::engagement::EngagementSettings::default().bounds(app::platform::clock::now())
}

fn fields(email: &str, first: &str, last: &str) -> app::model::ContactFields {
    ContactForm {
        email: email.into(),
        first_name: first.into(),
        last_name: last.into(),
        channel: "web".into(),
        ..Default::default()
    }
    .validate(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap())
    .unwrap()
}

fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

mod bulk_actions;
mod contacts;
mod dashboard;
mod engagement;
mod imports;
mod incentives;
mod mail;
mod partners;
mod platform;
mod self_service;
mod signups;
mod users;

/// Every method the store traits declare, read from their source (`app/src/store/*.rs`
/// and the platform's `SettingsStore` and `JobStore`).
fn store_methods() -> Vec<String> {
    let app = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../app/src");
    let mut files: Vec<_> = std::fs::read_dir(app.join("store")).unwrap().map(|e| e.unwrap().path()).collect();
    files.extend([app.join("platform/settings.rs"), app.join("platform/jobs.rs")]);
    let mut methods = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("pub trait ") {
            rest = &rest[at + "pub trait ".len()..];
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            let open = rest.find('{').unwrap();
            let (mut depth, mut end) = (0, open);
            for (i, c) in rest[open..].char_indices() {
                depth += match c {
                    '{' => 1,
                    '}' => -1,
                    _ => 0,
                };
                if depth == 0 {
                    end = open + i;
                    break;
                }
            }
            if name.ends_with("Store") {
                for piece in rest[open..end].split("fn ").skip(1) {
                    methods.push(piece.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect());
                }
            }
            rest = &rest[end..];
        }
    }
    methods
}

#[test]
fn the_suite_calls_every_store_method() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/conformance");
    let source: String =
        std::fs::read_dir(dir).unwrap().map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()).collect();
    let methods = store_methods();
    assert!(methods.len() > 100, "the store traits were read: {methods:?}");
    // Without whitespace, so a call rustfmt splits (`store\n    .method(`) still counts.
    let source: String = source.chars().filter(|c| !c.is_whitespace()).collect();
    let called = |m: &str| source.contains(&format!("store.{m}("));
    let untested: Vec<&String> = methods.iter().filter(|m| !called(m)).collect();
    assert!(untested.is_empty(), "store methods no conformance test calls: {untested:?}");
}
