//! Interactions and other events about a contact, as the events API, the tracking
//! links, staff and CSV imports send them: one parser and one set of rules for all.

use super::Email;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Open,
    Click,
    Purchase,
    Visit,
    Reply,
    FormSubmission,
    ProfileUpdate,
    SoftBounce,
    HardBounce,
    Complaint,
    Unsubscribe,
}

impl EventKind {
    pub const ALL: [EventKind; 11] = [
        EventKind::Open,
        EventKind::Click,
        EventKind::Purchase,
        EventKind::Visit,
        EventKind::Reply,
        EventKind::FormSubmission,
        EventKind::ProfileUpdate,
        EventKind::SoftBounce,
        EventKind::HardBounce,
        EventKind::Complaint,
        EventKind::Unsubscribe,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Open => "open",
            EventKind::Click => "click",
            EventKind::Purchase => "purchase",
            EventKind::Visit => "visit",
            EventKind::Reply => "reply",
            EventKind::FormSubmission => "form_submission",
            EventKind::ProfileUpdate => "profile_update",
            EventKind::SoftBounce => "soft_bounce",
            EventKind::HardBounce => "hard_bounce",
            EventKind::Complaint => "complaint",
            EventKind::Unsubscribe => "unsubscribe",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EventKind::Open => "Opened a mail",
            EventKind::Click => "Clicked a link",
            EventKind::Purchase => "Purchase",
            EventKind::Visit => "Visit",
            EventKind::Reply => "Reply",
            EventKind::FormSubmission => "Form submission",
            EventKind::ProfileUpdate => "Profile update",
            EventKind::SoftBounce => "Soft bounce",
            EventKind::HardBounce => "Hard bounce",
            EventKind::Complaint => "Spam complaint",
            EventKind::Unsubscribe => "Unsubscribed",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// What a site or shop sends: people engaging.
    pub const ENGAGEMENT: [EventKind; 7] = [
        EventKind::Open,
        EventKind::Click,
        EventKind::Purchase,
        EventKind::Visit,
        EventKind::Reply,
        EventKind::FormSubmission,
        EventKind::ProfileUpdate,
    ];

    /// What an email service's webhooks send: opens and clicks, and what ends sending.
    pub const DELIVERABILITY: [EventKind; 6] = [
        EventKind::Open,
        EventKind::Click,
        EventKind::SoftBounce,
        EventKind::HardBounce,
        EventKind::Complaint,
        EventKind::Unsubscribe,
    ];

    /// The kinds an events key may send, as chosen when it is made: `all`,
    /// `engagement`, `deliverability`, or kinds by name (`open,click,purchase`).
    pub fn parse_list(s: &str) -> Result<Vec<EventKind>, String> {
        let preset: Option<&[EventKind]> = match s.trim() {
            "all" => Some(&Self::ALL),
            "engagement" => Some(&Self::ENGAGEMENT),
            "deliverability" => Some(&Self::DELIVERABILITY),
            _ => None,
        };
        if let Some(kinds) = preset {
            return Ok(kinds.to_vec());
        }
        let mut kinds = Vec::new();
        for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let kind = EventKind::parse(name).ok_or_else(|| {
                format!(
                    "unknown event kind {name:?} (use all, engagement, deliverability, or some of: {})",
                    Self::join(&Self::ALL)
                )
            })?;
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        if kinds.is_empty() {
            return Err("choose the event kinds the key may send".into());
        }
        Ok(kinds)
    }

    /// [Open, Click] → "open,click".
    pub fn join(kinds: &[EventKind]) -> String {
        kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(",")
    }

    /// Whether the event shows the person engaging (it moves the last interaction).
    /// Bounces, complaints and unsubscribes do not; neither does being created.
    pub fn is_interaction(self) -> bool {
        !matches!(self, EventKind::SoftBounce | EventKind::HardBounce | EventKind::Complaint | EventKind::Unsubscribe)
    }

    /// Whether the event is a signal: an interaction the person surely made. Opens are
    /// not (privacy proxies fetch images unasked); statuses count them only when the
    /// settings say opens count.
    pub fn is_signal(self) -> bool {
        self.is_interaction() && self != EventKind::Open
    }

    /// The kinds for which `rule` holds, as an SQL list for `IN (…)`: the queries that
    /// fold events are built from these rules rather than spelling them again.
    pub fn sql_list(rule: impl Fn(EventKind) -> bool) -> String {
        let kinds: Vec<String> =
            EventKind::ALL.into_iter().filter(|k| rule(*k)).map(|k| format!("'{}'", k.as_str())).collect();
        kinds.join(", ")
    }

    /// Hard bounces and complaints suppress the address.
    pub fn suppresses(self) -> bool {
        matches!(self, EventKind::HardBounce | EventKind::Complaint)
    }

    /// Events that end every subscription.
    pub fn unsubscribes(self) -> bool {
        matches!(self, EventKind::HardBounce | EventKind::Complaint | EventKind::Unsubscribe)
    }

    /// The kinds staff may add by hand on a contact page.
    pub const MANUAL: [EventKind; 5] =
        [EventKind::Purchase, EventKind::Visit, EventKind::Reply, EventKind::FormSubmission, EventKind::ProfileUpdate];
}

/// Whom an event is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventTarget {
    Email(Email),
    ContactId(super::ContactId),
}

/// A checked event, before its contact is looked up.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidEvent {
    pub target: EventTarget,
    pub kind: EventKind,
    pub occurred_at: crate::model::Timestamp,
    pub campaign: String,
    /// A JSON object, or empty.
    pub meta: String,
}

pub const MAX_CAMPAIGN_CHARS: usize = 200;
pub const MAX_META_BYTES: usize = 4096;
/// Clocks drift: an event up to a day ahead of ours is accepted, later ones are refused.
pub const MAX_CLOCK_AHEAD_SECS: i64 = 86_400;
/// 2000-01-01T00:00:00Z: anything earlier is a mistake, not history.
pub const EARLIEST_EVENT: crate::model::Timestamp = crate::model::Timestamp(946_684_800);

/// A positive integer, as JSON writes it: `7`, or `7.0` (the same number to JSON).
fn positive_integer(value: &serde_json::Value) -> Option<i64> {
    let n = value.as_i64().or_else(|| {
        let f = value.as_f64()?;
        (f.fract() == 0.0 && f >= 1.0 && f < i64::MAX as f64).then_some(f as i64)
    })?;
    (n > 0).then_some(n)
}

/// Checks one event as sent to the API (`{"email" | "contact_id", "type",
/// "occurred_at", "campaign"?, "meta"?}`). The error says what is wrong, for the sender.
pub fn parse_event(value: &serde_json::Value, now: crate::model::Timestamp) -> Result<ValidEvent, String> {
    let obj = value.as_object().ok_or("each event must be a JSON object")?;
    for key in obj.keys() {
        if !matches!(key.as_str(), "email" | "contact_id" | "type" | "occurred_at" | "campaign" | "meta") {
            return Err(format!("unknown field `{key}`"));
        }
    }
    let target = match (obj.get("email"), obj.get("contact_id")) {
        (Some(_), Some(_)) => return Err("give `email` or `contact_id`, not both".into()),
        (Some(e), None) => {
            let text = e.as_str().ok_or("`email` must be a string")?;
            EventTarget::Email(Email::parse(text).map_err(|_| "`email` is not a valid address".to_string())?)
        }
        (None, Some(id)) => EventTarget::ContactId(
            positive_integer(id).map(super::ContactId).ok_or("`contact_id` must be a positive integer")?,
        ),
        (None, None) => return Err("`email` or `contact_id` is required".into()),
    };
    let kind_text = obj.get("type").and_then(|t| t.as_str()).ok_or("`type` is required")?;
    let kind = EventKind::parse(kind_text).ok_or_else(|| {
        let known: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        format!("unknown type `{}`; known types: {}", kind_text.chars().take(40).collect::<String>(), known.join(", "))
    })?;
    let occurred_text = obj.get("occurred_at").and_then(|t| t.as_str()).ok_or("`occurred_at` is required")?;
    let occurred_at = parse_instant(occurred_text, now).map_err(|e| format!("`occurred_at` {e}"))?;
    let campaign = match obj.get("campaign") {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(c) => {
            let c = c.as_str().ok_or("`campaign` must be a string")?.trim();
            if c.chars().count() > MAX_CAMPAIGN_CHARS {
                return Err(format!("`campaign` is longer than {MAX_CAMPAIGN_CHARS} characters"));
            }
            c.to_string()
        }
    };
    let meta = match obj.get("meta") {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(m @ serde_json::Value::Object(_)) => {
            let text = m.to_string();
            if text.len() > MAX_META_BYTES {
                return Err(format!("`meta` is larger than {MAX_META_BYTES} bytes"));
            }
            text
        }
        Some(_) => return Err("`meta` must be a JSON object".into()),
    };
    Ok(ValidEvent { target, kind, occurred_at, campaign, meta })
}

/// An RFC 3339 instant, not before 2000 and not more than a day ahead of `now`. The
/// message reads after the field's name: "`redeemed_at` must be …".
pub fn parse_instant(text: &str, now: crate::model::Timestamp) -> Result<crate::model::Timestamp, String> {
    let at = chrono::DateTime::parse_from_rfc3339(text.trim())
        .map_err(|_| {
            format!(
                "must be an RFC 3339 date-time such as 2026-11-23T09:30:00Z, not `{}`",
                text.chars().take(40).collect::<String>()
            )
        })?
        .timestamp();
    let at = crate::model::Timestamp(at);
    if at < EARLIEST_EVENT {
        return Err("is before 2000".into());
    }
    if at > now + MAX_CLOCK_AHEAD_SECS {
        return Err("is in the future".into());
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: crate::model::Timestamp = crate::model::Timestamp(1_795_000_000); // 2026-11-18

    #[test]
    fn a_good_event_is_read_whole() {
        let e = parse_event(
            &json!({"email": " Ann@Example.COM ", "type": "click", "occurred_at": "2026-11-01T10:00:00+01:00",
                    "campaign": "nov-sale", "meta": {"url": "https://shop.example/x"}}),
            NOW,
        )
        .unwrap();
        assert_eq!(e.target, EventTarget::Email(Email::parse("ann@example.com").unwrap()));
        assert_eq!(e.kind, EventKind::Click);
        assert_eq!(e.occurred_at, crate::model::Timestamp(1_793_523_600), "10:00 at +01:00 is 09:00 UTC");
        assert_eq!(e.campaign, "nov-sale");
        assert_eq!(e.meta, r#"{"url":"https://shop.example/x"}"#);
    }

    #[test]
    fn each_bad_input_says_why() {
        let cases = [
            (json!([1]), "JSON object"),
            (json!({"type": "open", "occurred_at": "2026-11-01T10:00:00Z"}), "`email` or `contact_id` is required"),
            (
                json!({"email": "a@b.co", "contact_id": 3, "type": "open", "occurred_at": "2026-11-01T10:00:00Z"}),
                "not both",
            ),
            (json!({"email": "nope", "type": "open", "occurred_at": "2026-11-01T10:00:00Z"}), "not a valid address"),
            (json!({"contact_id": -2, "type": "open", "occurred_at": "2026-11-01T10:00:00Z"}), "positive integer"),
            (
                json!({"contact_id": 2, "type": "opened", "occurred_at": "2026-11-01T10:00:00Z"}),
                "unknown type `opened`",
            ),
            (json!({"contact_id": 2, "type": "open", "occurred_at": "yesterday"}), "RFC 3339"),
            (json!({"contact_id": 2, "type": "open", "occurred_at": "2031-01-01T00:00:00Z"}), "in the future"),
            (json!({"contact_id": 2, "type": "open", "occurred_at": "1999-12-31T23:59:59Z"}), "before 2000"),
            (
                json!({"contact_id": 2, "type": "open", "occurred_at": "2026-11-01T10:00:00Z", "meta": [1]}),
                "JSON object",
            ),
            (
                json!({"contact_id": 2, "type": "open", "occurred_at": "2026-11-01T10:00:00Z", "when": 1}),
                "unknown field `when`",
            ),
        ];
        for (input, expected) in cases {
            let err = parse_event(&input, NOW).unwrap_err();
            assert!(err.contains(expected), "{input}: {err}");
        }
    }

    #[test]
    fn only_engaging_events_are_interactions() {
        let interactions: Vec<_> = EventKind::ALL.into_iter().filter(|k| k.is_interaction()).collect();
        assert_eq!(interactions.len(), 7);
        assert!(!EventKind::HardBounce.is_interaction() && EventKind::HardBounce.suppresses());
        assert!(EventKind::Unsubscribe.unsubscribes() && !EventKind::Unsubscribe.suppresses());
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
            assert_eq!(EventKind::parse_list(k.as_str()), Ok(vec![k]));
        }
    }

    #[test]
    fn signals_are_interactions_but_opens_and_the_sql_lists_follow_the_rules() {
        assert!(!EventKind::Open.is_signal() && EventKind::Open.is_interaction());
        assert!(EventKind::Click.is_signal() && EventKind::Purchase.is_signal());
        assert!(!EventKind::Complaint.is_signal(), "not an interaction, so not a signal");
        assert_eq!(EventKind::sql_list(EventKind::suppresses), "'hard_bounce', 'complaint'");
        let signals = EventKind::sql_list(EventKind::is_signal);
        assert_eq!(signals.split(", ").count(), 6);
        assert!(!signals.contains("'open'"));
    }
}
