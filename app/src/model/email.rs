//! Email addresses as Carnet keys them: normalised (trimmed, lowercase) before anything
//! is stored or hashed, which is what suppression-list vendors do, so that the MD5 and
//! SHA-256 a partner computes match ours.

use md5::{Digest as _, Md5};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::fmt;

/// A syntactically valid, normalised email address.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Parses what a person typed: trims, lowercases, then checks the shape
    /// (`local@domain.tld`, no spaces, sane lengths). The message is for the person.
    pub fn parse(raw: &str) -> Result<Email, &'static str> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err("Enter an email address.");
        }
        if email.len() > 254 {
            return Err("This email address is too long.");
        }
        let Some((local, domain)) = email.rsplit_once('@') else {
            return Err("Enter a valid email address, like name@example.com.");
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
            && labels.last().is_some_and(|tld| tld.len() >= 2 && !tld.chars().all(|c| c.is_ascii_digit()));
        if !local_ok || !domain_ok {
            return Err("Enter a valid email address, like name@example.com.");
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Lowercase hex MD5 of the normalised address (32 characters).
    pub fn md5_hex(&self) -> String {
        hex::encode(Md5::digest(self.0.as_bytes()))
    }

    /// Lowercase hex SHA-256 of the normalised address (64 characters).
    pub fn sha256_hex(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = &'static str;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Email::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_before_anything_else() {
        let email = Email::parse("  Jane.Doe@Example.COM \n").unwrap();
        assert_eq!(email.as_str(), "jane.doe@example.com");
    }

    #[test]
    fn hashes_the_normalised_form_as_lowercase_hex() {
        let email = Email::parse(" Test@Example.com").unwrap();
        // md5("test@example.com") and sha256("test@example.com"), computed independently.
        assert_eq!(email.md5_hex(), "55502f40dc8b7c769880b10874abc9d0");
        assert_eq!(email.sha256_hex(), "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b");
    }

    #[test]
    fn refuses_what_is_not_an_address() {
        for bad in [
            "",
            "   ",
            "plainaddress",
            "@example.com",
            "jane@",
            "jane@example",
            "jane@@example.com",
            "jane doe@example.com",
            "jane@exa mple.com",
            ".jane@example.com",
            "jane.@example.com",
            "ja..ne@example.com",
            "jane@-example.com",
            "jane@example.c",
            "jane@example.123",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn accepts_common_real_addresses() {
        for good in ["a@b.co", "first.last+tag@sub.example.org", "o'brien@example.ie", "x_y-z@ex-ample.fr"] {
            assert!(Email::parse(good).is_ok(), "{good:?} should be accepted");
        }
    }
}
