//! Carnet's application: pages, server functions and, behind `ssr`, the services they
//! call. Data flows one way: page → server function → service → store trait → backend.

#![recursion_limit = "256"]

pub mod auth;
pub mod contacts;
pub mod engagement;
pub mod error;
pub mod imports;
pub mod incentives;
pub mod mail;
pub mod model;
pub mod newsletters;
pub mod partners;
pub mod platform;
pub mod self_service;
pub mod signup;
pub mod ui;
pub mod users;

#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod store;

mod routes;
#[cfg(feature = "ssr")]
pub use routes::shell;
pub use routes::{App, PAGES_WITHOUT_STAFF_ACCOUNT};
