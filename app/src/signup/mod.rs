//! Collecting subscribers from every channel: the public sign-up form (`/subscribe`, also
//! embeddable) with its double opt-in, and staff's quick entry at a point of sale or a
//! call centre. The public pages are plain HTML served by the server crate; this module
//! holds the rules they share, the bot defences and the staff page.
//!
//! Bot defences, all on every public form that takes a sign-up:
//! - a honeypot field people never see and bots fill in;
//! - a signed time trap: the form carries a ticket (HMAC-signed instant) and a submission
//!   sooner than a person could type, or with a forged ticket, is a bot's;
//! - a self-hosted proof of work: with JavaScript on, the page finds a nonce whose
//!   SHA-256 with the ticket starts with a number of zero bits (a second of a phone's
//!   time, a real cost for a bot sending thousands); a wrong or replayed answer is a
//!   bot's, and sign-ups without one (JavaScript off) get a smaller hourly allowance;
//! - per-address and per-network-address rate limits.
//!
//! A bot gets the same "check your mail" page as a person, and nothing is stored or sent.

#[cfg(feature = "ssr")]
pub mod kiosk;
mod quick;
#[cfg(feature = "ssr")]
pub mod service;

pub use quick::{QuickEntryPage, QUICK_CONSENT};

use crate::model::profile::Lang;
use crate::model::Channel;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The channels a public form may name with `?source=` (partners and imports arrive
/// through their own doors).
pub const PUBLIC_CHANNELS: [Channel; 5] =
    [Channel::Web, Channel::PointOfSale, Channel::CallCentre, Channel::OrderForm, Channel::Event];

/// The channel a form's `?source=` names; anything else is the web.
pub fn public_channel(source: &str) -> Channel {
    Channel::parse(source).filter(|c| PUBLIC_CHANNELS.contains(c)).unwrap_or(Channel::Web)
}

/// What a person ticks for one newsletter: stored, word for word, as their consent.
pub fn consent_words(lang: Lang, newsletter: &str) -> String {
    match lang {
        Lang::En => format!("Yes, send me “{newsletter}”. I can unsubscribe from any of its mails."),
        Lang::Fr => format!("Oui, envoyez-moi « {newsletter} ». Je peux me désabonner depuis chacun de ses envois."),
    }
}

/// The signed content of a form's ticket: when the form was shown, a random nonce, and
/// the proof-of-work difficulty asked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub t: crate::model::Timestamp,
    pub n: String,
    pub d: u32,
}

/// Leading zero bits of a digest.
pub fn leading_zero_bits(digest: &[u8]) -> u32 {
    let mut bits = 0;
    for byte in digest {
        if *byte == 0 {
            bits += 8;
        } else {
            bits += byte.leading_zeros();
            break;
        }
    }
    bits
}

/// Whether `nonce` solves the proof of work for this ticket: SHA-256 of
/// `"<ticket>:<nonce>"` starts with `bits` zero bits. (The page's script computes the
/// same thing; see `server/src/signup_pow.js`.)
pub fn pow_solves(ticket: &str, nonce: &str, bits: u32) -> bool {
    if nonce.is_empty() || nonce.len() > 20 || !nonce.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let digest = Sha256::digest(format!("{ticket}:{nonce}").as_bytes());
    leading_zero_bits(&digest) >= bits
}

/// A sign-up as typed into the public form, plus the defences' fields.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Submission {
    pub email: String,
    pub first_name: String,
    pub newsletters: Vec<crate::model::NewsletterId>,
    /// The newsletters this form offers (`?newsletters=`); `None`: all.
    pub offered: Option<Vec<crate::model::NewsletterId>>,
    pub channel: Channel,
    pub detail: String,
    pub lang: Lang,
    pub embedded: bool,
    /// The signed ticket the form was shown with.
    pub ticket: String,
    /// The honeypot: empty from a person.
    pub honeypot: String,
    /// The proof of work's answer: empty with JavaScript off.
    pub pow: String,
    /// A kiosk link's token (`&kiosk=`), or empty.
    pub kiosk: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_bits_are_counted_across_bytes() {
        assert_eq!(leading_zero_bits(&[0xff]), 0);
        assert_eq!(leading_zero_bits(&[0x00, 0x10]), 11);
        assert_eq!(leading_zero_bits(&[0x00, 0x00, 0x01]), 23);
        assert_eq!(leading_zero_bits(&[0x00, 0x00]), 16);
    }

    #[test]
    fn a_found_nonce_solves_and_others_do_not() {
        let ticket = "abc.def";
        let nonce = (0u64..).find(|n| pow_solves(ticket, &n.to_string(), 8)).unwrap().to_string();
        assert!(pow_solves(ticket, &nonce, 8));
        assert!(!pow_solves(ticket, &nonce, 64), "more bits than it has are not solved");
        assert!(!pow_solves(ticket, "", 0), "an empty answer is no answer");
        assert!(!pow_solves(ticket, "12a", 0), "answers are digits");
    }

    #[test]
    fn only_public_channels_come_from_the_url() {
        assert_eq!(public_channel("point_of_sale"), Channel::PointOfSale);
        assert_eq!(public_channel("partner"), Channel::Web);
        assert_eq!(public_channel("import"), Channel::Web);
        assert_eq!(public_channel("nonsense"), Channel::Web);
    }
}
