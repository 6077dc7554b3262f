//! The queries both backends share, written once. This folder is mounted once per
//! backend (`sqlite/mod.rs`, `postgres/mod.rs`), whose `Db` and `DbStore` name that
//! backend's database and store; each file here is one capability's store trait.

use super::*;

mod bulk;
mod contacts;
mod engagement;
mod filters;
mod idempotency;
mod imports;
mod incentives;
mod jobs;
mod lists;
mod mail;
mod partners;
mod rows;
mod self_service;
mod settings;
mod signups;
mod suppression;
mod users;

// What the contacts module shares with the others (writing a contact, its timeline, its
// subscriptions, and the list filters).
use contacts::{
    add_activity, bind_contact, insert_contact_sql, on_suppression_list, write_subscription, Conn, SELECT_CONTACT,
};
use filters::contact_filters;
use lists::{end_subscriptions, id_list, timeline_rows};

/// A write that names its row by id: none written means there is no such row.
fn found(rows: u64) -> app::store::StoreResult<()> {
    if rows == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}
