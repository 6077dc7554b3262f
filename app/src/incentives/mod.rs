//! Incentives: programmes that thank a person for bringing their profile up to date
//! (a reward such as a discount code or free shipping), earned at most once each.

use serde::{Deserialize, Serialize};

mod page;
#[cfg(feature = "ssr")]
pub mod service;

pub use page::{list_incentives, IncentivesPage, ProgrammeRow};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Incentive {
    pub id: i64,
    pub name: String,
    /// What the person gets, in their words: "10% off your next order".
    pub reward: String,
    /// The profile completion (percent) that earns it.
    pub threshold: i64,
    /// Profile fields that must also be filled (keys).
    pub fields: Vec<String>,
    pub valid_from: i64,
    pub valid_until: Option<i64>,
    /// "generated" (a code made on award) or "pool" (codes staff uploaded).
    pub code_source: String,
    pub code_prefix: String,
    pub active: bool,
    pub created_at: i64,
}

impl Incentive {
    pub fn open_at(&self, now: i64) -> bool {
        self.active && self.valid_from <= now && self.valid_until.is_none_or(|u| now < u)
    }
}

/// A reward a contact earned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Earned {
    pub incentive_id: i64,
    pub name: String,
    pub reward: String,
    pub code: String,
    pub issued_at: i64,
    pub redeemed_at: Option<i64>,
}

/// What recording a code's use did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Redemption {
    /// Recorded now, for this programme.
    Redeemed { incentive_id: i64 },
    /// It was used before, at this instant.
    AlreadyRedeemed { at: i64 },
    /// No issued code is spelled so.
    Unknown,
}
