//! Incentives: programmes that thank a person for bringing their profile up to date
//! (a reward such as a discount code or free shipping), earned at most once each.

use serde::{Deserialize, Serialize};

mod page;
#[cfg(feature = "ssr")]
pub mod service;

mod codes;

pub use codes::ProgrammePage;
pub use page::{list_incentives, IncentivesPage, ProgrammeRow};

/// Where the last file of used codes' summary waits for the page (session key).
pub const REDEMPTION_SUMMARY_KEY: &str = "redemption_summary";

/// Codes a pool takes at once.
pub const MAX_POOL: usize = 100_000;

/// An incentive code as people type it and shops send it back: 1 to 100 characters,
/// without spaces or control characters (surrounding spaces are trimmed). One rule for
/// the codes Carnet makes, the shop's codes in a pool, the CSV of used codes and the
/// redemptions API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncentiveCode(String);

impl IncentiveCode {
    pub const MAX_CHARS: usize = 100;
    pub const RULE: &'static str = "A code is 1 to 100 characters, without spaces.";

    pub fn parse(text: &str) -> Result<IncentiveCode, &'static str> {
        let code = text.trim();
        let fits = !code.is_empty() && code.chars().count() <= Self::MAX_CHARS;
        if !fits || code.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Self::RULE);
        }
        Ok(IncentiveCode(code.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new programme as typed (staff's form, or the command line's arguments).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProgrammeForm {
    pub name: String,
    pub reward: String,
    /// Percent, 0–100.
    pub threshold: String,
    /// Profile field keys that must also be filled.
    pub fields: Vec<String>,
    /// Days it stays open; empty for no end.
    pub valid_days: String,
    /// Put before generated codes.
    pub prefix: String,
    /// Codes for a pool, one a line; empty to generate codes instead.
    pub codes: String,
}

impl ProgrammeForm {
    /// The programme and its pool, or every problem found.
    pub fn validate(
        &self,
        now: crate::model::Timestamp,
    ) -> Result<(Incentive, Vec<String>), crate::model::FieldErrors> {
        use crate::model::profile::ProfileField;
        let mut errors = crate::model::FieldErrors::default();
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            errors.add("name", "Give the programme a name (up to 100 characters).");
        }
        let reward = self.reward.trim().to_string();
        // It goes into mail subjects too: one line.
        if reward.is_empty() || reward.chars().count() > 200 || reward.chars().any(char::is_control) {
            errors.add("reward", "Say what the person gets, e.g. “10% off your next order” (up to 200 characters).");
        }
        let threshold = match self.threshold.trim().parse::<i64>() {
            Ok(t) if (0..=100).contains(&t) => t,
            _ => {
                errors.add("threshold", "Enter a percentage from 0 to 100.");
                0
            }
        };
        let mut fields = Vec::new();
        for key in self.fields.iter().map(|k| k.trim()).filter(|k| !k.is_empty()) {
            if ProfileField::parse(key).is_none() {
                let known: Vec<&str> = ProfileField::ALL.iter().map(|f| f.key()).collect();
                errors.add("fields", format!("Unknown profile field “{key}”; known: {}.", known.join(", ")));
            } else if !fields.iter().any(|f| f == key) {
                fields.push(key.to_string());
            }
        }
        let valid_until = match self.valid_days.trim() {
            "" => None,
            days => match days.parse::<i64>() {
                Ok(d) if (1..=3650).contains(&d) => Some(now + d * 86_400),
                _ => {
                    errors.add("valid_days", "Enter a number of days from 1 to 3650, or leave it empty.");
                    None
                }
            },
        };
        let prefix = self.prefix.trim().to_string();
        if prefix.chars().count() > 20 || prefix.chars().any(char::is_whitespace) {
            errors.add("prefix", "Up to 20 characters, without spaces.");
        }
        let mut codes: Vec<String> = Vec::new();
        for line in self.codes.lines().filter(|l| !l.trim().is_empty()) {
            let code = match IncentiveCode::parse(line) {
                Ok(code) => code,
                Err(rule) => {
                    errors.add("codes", rule);
                    break;
                }
            };
            if codes.len() == MAX_POOL {
                errors.add("codes", format!("At most {MAX_POOL} codes at once."));
                break;
            }
            codes.push(code.as_str().to_string());
        }
        codes.sort();
        codes.dedup();
        if !errors.is_empty() {
            return Err(errors);
        }
        let incentive = Incentive {
            id: crate::model::IncentiveId(0),
            name,
            reward,
            threshold,
            fields,
            valid_from: now,
            valid_until,
            code_source: if codes.is_empty() { "generated".into() } else { "pool".into() },
            code_prefix: prefix,
            active: true,
            created_at: now,
        };
        Ok((incentive, codes))
    }
}

/// What a file of used codes recorded.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RedemptionSummary {
    pub recorded: u64,
    pub already: u64,
    pub unknown: u64,
    /// Lines not recorded because they could not be read (a bad date, a too long code).
    pub skipped: u64,
    /// Lines that could not be read, and unknown codes (the first few), for staff.
    pub problems: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Incentive {
    pub id: crate::model::IncentiveId,
    pub name: String,
    /// What the person gets, in their words: "10% off your next order".
    pub reward: String,
    /// The profile completion (percent) that earns it.
    pub threshold: i64,
    /// Profile fields that must also be filled (keys).
    pub fields: Vec<String>,
    pub valid_from: crate::model::Timestamp,
    pub valid_until: Option<crate::model::Timestamp>,
    /// "generated" (a code made on award) or "pool" (codes staff uploaded).
    pub code_source: String,
    pub code_prefix: String,
    pub active: bool,
    pub created_at: crate::model::Timestamp,
}

impl Incentive {
    pub fn open_at(&self, now: crate::model::Timestamp) -> bool {
        self.active && self.valid_from <= now && self.valid_until.is_none_or(|u| now < u)
    }
}

/// A reward a contact earned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Earned {
    pub incentive_id: crate::model::IncentiveId,
    pub name: String,
    pub reward: String,
    pub code: String,
    pub issued_at: crate::model::Timestamp,
    pub redeemed_at: Option<crate::model::Timestamp>,
}

/// A code a programme gave (staff's list).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IssuedCode {
    pub id: i64,
    pub code: String,
    /// `None` once the contact was deleted.
    pub contact_id: Option<crate::model::ContactId>,
    pub email: Option<String>,
    pub issued_at: crate::model::Timestamp,
    pub redeemed_at: Option<crate::model::Timestamp>,
}

/// What recording a code's use did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Redemption {
    /// Recorded now, for this programme.
    Redeemed { incentive_id: crate::model::IncentiveId },
    /// It was used before, at this instant.
    AlreadyRedeemed { at: crate::model::Timestamp },
    /// No issued code is spelled so.
    Unknown,
}

#[cfg(test)]
mod tests {
    use super::IncentiveCode;

    #[test]
    fn a_code_is_trimmed_and_refused_with_spaces_control_characters_or_too_long() {
        assert_eq!(IncentiveCode::parse("  THANKS-ABC \r").unwrap().as_str(), "THANKS-ABC");
        assert!(IncentiveCode::parse("").is_err());
        assert!(IncentiveCode::parse("   ").is_err());
        assert!(IncentiveCode::parse("TWO WORDS").is_err());
        assert!(IncentiveCode::parse("TAB\tBED").is_err());
        assert!(IncentiveCode::parse("NUL\u{0}").is_err());
        assert!(IncentiveCode::parse(&"é".repeat(100)).is_ok(), "100 characters, whatever their bytes");
        assert!(IncentiveCode::parse(&"x".repeat(101)).is_err());
    }
}
