//! The contact: where it came from (`Channel`), its subscriptions and timeline, and what
//! pages show (`Contact`, `ContactRow`). What a person types and what Carnet keeps once
//! it is valid are in `contact_form`.

pub use super::contact_form::{format_cents, parse_cents, ContactFields, ContactForm};
use serde::{Deserialize, Serialize};

/// Where a contact was acquired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    #[default]
    Web,
    PointOfSale,
    CallCentre,
    OrderForm,
    Event,
    Partner,
    Import,
}

impl Channel {
    pub const ALL: [Channel; 7] = [
        Channel::Web,
        Channel::PointOfSale,
        Channel::CallCentre,
        Channel::OrderForm,
        Channel::Event,
        Channel::Partner,
        Channel::Import,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::PointOfSale => "point_of_sale",
            Channel::CallCentre => "call_centre",
            Channel::OrderForm => "order_form",
            Channel::Event => "event",
            Channel::Partner => "partner",
            Channel::Import => "import",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Channel::Web => "Web form",
            Channel::PointOfSale => "Point of sale",
            Channel::CallCentre => "Call centre",
            Channel::OrderForm => "Order / catalogue form",
            Channel::Event => "Event / trade show",
            Channel::Partner => "Partner",
            Channel::Import => "Import",
        }
    }
    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionState {
    Subscribed,
    Unsubscribed,
    /// Signed up, waiting for the double opt-in confirmation.
    Pending,
}

impl SubscriptionState {
    pub const ALL: [SubscriptionState; 3] =
        [SubscriptionState::Subscribed, SubscriptionState::Unsubscribed, SubscriptionState::Pending];
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionState::Subscribed => "subscribed",
            SubscriptionState::Unsubscribed => "unsubscribed",
            SubscriptionState::Pending => "pending",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            SubscriptionState::Subscribed => "Subscribed",
            SubscriptionState::Unsubscribed => "Unsubscribed",
            SubscriptionState::Pending => "Awaiting confirmation",
        }
    }
}

/// A contact as the detail page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub id: super::ContactId,
    pub fields: ContactFields,
    pub email_md5: String,
    pub email_sha256: String,
    pub purchase_count: i64,
    /// Every interaction, opens included.
    pub last_interaction_at: Option<crate::model::Timestamp>,
    /// Interactions other than opens.
    pub last_signal_at: Option<crate::model::Timestamp>,
    pub last_open_at: Option<crate::model::Timestamp>,
    pub last_click_at: Option<crate::model::Timestamp>,
    pub suppressed_at: Option<crate::model::Timestamp>,
    /// `hard_bounce`, `complaint` or `manual`.
    pub suppression_reason: Option<String>,
    pub pool: super::engagement::Pool,
    pub created_at: crate::model::Timestamp,
    pub updated_at: crate::model::Timestamp,
}

impl Contact {
    /// Erased at the person's request: only the hashes are left, and nothing may write
    /// to it again.
    pub fn is_erased(&self) -> bool {
        self.suppression_reason.as_deref() == Some("erased")
    }

    /// The last interaction that counts under these settings.
    pub fn last_activity(&self, settings: &super::engagement::EngagementSettings) -> Option<crate::model::Timestamp> {
        if settings.opens_count {
            self.last_interaction_at
        } else {
            self.last_signal_at
        }
    }
}

/// One line of the contacts list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContactRow {
    pub id: super::ContactId,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub company: String,
    pub channel: Channel,
    pub created_at: crate::model::Timestamp,
    pub updated_at: crate::model::Timestamp,
    /// The status at the time of the query (settings applied by the store).
    pub status: super::engagement::EngagementStatus,
    pub suppressed: bool,
    pub pool: super::engagement::Pool,
}

/// What a newsletter is sent by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum NewsletterChannel {
    #[default]
    Email,
    Sms,
}

impl NewsletterChannel {
    pub const ALL: [NewsletterChannel; 2] = [NewsletterChannel::Email, NewsletterChannel::Sms];
    pub fn as_str(self) -> &'static str {
        match self {
            NewsletterChannel::Email => "email",
            NewsletterChannel::Sms => "sms",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            NewsletterChannel::Email => "Email",
            NewsletterChannel::Sms => "SMS",
        }
    }
    pub fn parse(s: &str) -> Option<NewsletterChannel> {
        NewsletterChannel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Newsletter {
    pub id: super::NewsletterId,
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub channel: NewsletterChannel,
    /// Its place on forms (lowest first, then by name).
    #[serde(default)]
    pub position: i64,
    /// Archived: takes no new subscriptions; its history and evidence are kept.
    #[serde(default)]
    pub archived: bool,
}

/// A newsletter as staff write it (`carnet newsletter add`, the newsletters page).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NewsletterForm {
    pub name: String,
    pub description: String,
    pub channel: String,
    pub position: String,
}

/// A newsletter's fields once valid.
#[derive(Clone, Debug, PartialEq)]
pub struct NewsletterFields {
    pub name: String,
    pub description: String,
    pub channel: NewsletterChannel,
    pub position: i64,
}

impl NewsletterForm {
    /// The fields, or what is wrong with each.
    pub fn validate(&self) -> Result<NewsletterFields, super::FieldErrors> {
        let mut errors = super::FieldErrors::default();
        let name = self.name.trim();
        if name.is_empty() {
            errors.add("name", "Give the newsletter a name.");
        } else if name.chars().count() > 80 || name.chars().any(char::is_control) {
            errors.add("name", "Use at most 80 characters, on one line.");
        }
        let description = self.description.trim();
        if description.chars().count() > 500 {
            errors.add("description", "Use at most 500 characters.");
        }
        let channel = match self.channel.trim() {
            "" => Some(NewsletterChannel::Email),
            c => NewsletterChannel::parse(c),
        };
        if channel.is_none() {
            errors.add("channel", "Choose email or SMS.");
        }
        let position = match self.position.trim() {
            "" => Some(0),
            p => p.parse::<i64>().ok().filter(|p| (0..=999).contains(p)),
        };
        if position.is_none() {
            errors.add("position", "A whole number from 0 to 999.");
        }
        match (channel, position) {
            (Some(channel), Some(position)) if errors.is_empty() => {
                Ok(NewsletterFields { name: name.to_string(), description: description.to_string(), channel, position })
            }
            _ => Err(errors),
        }
    }
}

/// Proof of consent (or of its withdrawal): when, where, and the words shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConsentEvidence {
    pub at: crate::model::Timestamp,
    pub channel: String,
    pub form: String,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Subscription {
    pub newsletter: Newsletter,
    pub state: SubscriptionState,
    pub consent: ConsentEvidence,
}

/// A line of a contact's timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    pub id: i64,
    pub kind: String,
    pub interaction: bool,
    pub occurred_at: crate::model::Timestamp,
    pub detail: String,
    pub actor: String,
    /// The campaign an event belongs to, if its sender said.
    pub campaign: String,
}
