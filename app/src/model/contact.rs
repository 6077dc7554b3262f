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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Newsletter {
    pub id: super::NewsletterId,
    pub name: String,
    pub description: String,
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
