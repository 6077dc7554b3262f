//! The ids of Carnet's records, each its own type: a contact's id cannot be passed where
//! a newsletter's is expected, and the store API says which record each number names.
//! On the wire (JSON, forms, URLs) and in the database each is the plain integer.

use serde::{Deserialize, Serialize};

/// Defines an id type: a transparent wrapper of the row's `BIGINT` id.
macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "ssr", derive(sqlx::Type))]
        #[serde(transparent)]
        #[cfg_attr(feature = "ssr", sqlx(transparent))]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    )*};
}

id_type! {
    /// A contact (`contacts.id`).
    ContactId,
    /// A newsletter (`newsletters.id`).
    NewsletterId,
    /// A staff account (`users.id`).
    UserId,
    /// A partner (`partners.id`).
    PartnerId,
    /// A partner's API key (`api_keys.id`).
    ApiKeyId,
    /// An incentive programme (`incentives.id`).
    IncentiveId,
    /// A message of the outbox (`outbox.id`).
    MailId,
    /// A background job (`jobs.id`).
    JobId,
    /// An import of contacts or of a suppression list (`imports.id`).
    ImportId,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_its_integer_on_the_wire_and_in_urls() {
        assert_eq!(serde_json::to_string(&ContactId(42)).unwrap(), "42");
        assert_eq!(serde_json::from_str::<NewsletterId>("7").unwrap(), NewsletterId(7));
        assert_eq!("12".parse::<PartnerId>(), Ok(PartnerId(12)));
        assert!("12a".parse::<PartnerId>().is_err());
        assert_eq!(format!("/contacts/{}", ContactId(3)), "/contacts/3");
    }
}
