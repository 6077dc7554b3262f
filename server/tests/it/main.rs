//! Carnet's integration tests, one binary: each test binary links the whole server, so
//! one binary instead of ten saves minutes of linking on every change. Each module is a
//! capability's stories, run against SQLite and PostgreSQL by `both_backends!`.

#[macro_use]
mod common;

mod conformance;
mod engagement;
mod engagement_staff;
mod exports;
mod faults;
mod imports;
mod incentives;
mod mail;
mod newsletters;
mod operations;
mod parsers;
mod partner_api;
mod self_service;
mod shop;
mod signup;
mod staff;
mod two_factor;
