//! The contacts list as a URL: search, filters, sort and a keyset cursor, so that any
//! list a person sees can be bookmarked and shared, and page 5,000 costs what page 1 does.

use super::engagement::{EngagementStatus, Pool};
use super::{Channel, ContactRow, SubscriptionState};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ContactSort {
    #[default]
    Newest,
    Oldest,
    Name,
    RecentlyUpdated,
}

impl ContactSort {
    pub const ALL: [ContactSort; 4] =
        [ContactSort::Newest, ContactSort::Oldest, ContactSort::Name, ContactSort::RecentlyUpdated];
    pub fn as_str(self) -> &'static str {
        match self {
            ContactSort::Newest => "newest",
            ContactSort::Oldest => "oldest",
            ContactSort::Name => "name",
            ContactSort::RecentlyUpdated => "updated",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            ContactSort::Newest => "Newest first",
            ContactSort::Oldest => "Oldest first",
            ContactSort::Name => "Name (A–Z)",
            ContactSort::RecentlyUpdated => "Recently updated",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
    /// The sort key of a row, as the cursor carries it.
    pub fn key_of(self, row: &ContactRow) -> String {
        match self {
            ContactSort::Newest | ContactSort::Oldest => row.created_at.to_string(),
            ContactSort::RecentlyUpdated => row.updated_at.to_string(),
            ContactSort::Name => format!("{} {}", row.last_name, row.first_name).trim().to_lowercase(),
        }
    }
}

/// A position in a sorted list: the sort key and id of a row (ids break ties).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub key: String,
    pub id: super::ContactId,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}\n{}", self.id, self.key))
    }
    pub fn decode(s: &str) -> Option<Cursor> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(s).ok()?).ok()?;
        let (id, key) = raw.split_once('\n')?;
        Some(Cursor { key: key.to_string(), id: id.parse().ok()? })
    }
}

/// What `/contacts?…` asks for. Parsed leniently: an unknown value is ignored rather
/// than failing the page, since URLs get hand-edited.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContactQuery {
    pub q: String,
    pub channel: Option<Channel>,
    pub newsletter: Option<super::NewsletterId>,
    pub subscription: Option<SubscriptionState>,
    pub sort: ContactSort,
    /// Rows strictly after this cursor (next page) …
    pub after: Option<String>,
    /// … or strictly before it (previous page).
    pub before: Option<String>,
    pub status: Option<EngagementStatus>,
    /// A list-cleaning view from the dashboard.
    pub clean: Option<Cleaning>,
    /// For `clean=idle`: months without an interaction.
    pub idle_months: Option<i64>,
    pub pool: Option<Pool>,
}

/// The list-cleaning views: each a count on the dashboard and a list here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cleaning {
    NeverOpened,
    NeverClicked,
    /// No interaction in `idle_months` months (never-engaged contacts older than that too).
    Idle,
    HardBounce,
    Complaint,
    /// Suppressed for any reason (bounce, complaint, staff).
    Suppressed,
}

impl Cleaning {
    pub const ALL: [Cleaning; 6] = [
        Cleaning::NeverOpened,
        Cleaning::NeverClicked,
        Cleaning::Idle,
        Cleaning::HardBounce,
        Cleaning::Complaint,
        Cleaning::Suppressed,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Cleaning::NeverOpened => "never_opened",
            Cleaning::NeverClicked => "never_clicked",
            Cleaning::Idle => "idle",
            Cleaning::HardBounce => "hard_bounce",
            Cleaning::Complaint => "complaint",
            Cleaning::Suppressed => "suppressed",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Cleaning::NeverOpened => "Never opened",
            Cleaning::NeverClicked => "Never clicked",
            Cleaning::Idle => "No interaction in N months",
            Cleaning::HardBounce => "Hard bounces",
            Cleaning::Complaint => "Complaints",
            Cleaning::Suppressed => "Suppressed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl ContactQuery {
    pub const PAGE_SIZE: usize = 50;

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut query = ContactQuery::default();
        for (k, v) in pairs {
            match k {
                "q" => query.q = v.trim().chars().take(100).collect(),
                "channel" => query.channel = Channel::parse(v),
                "newsletter" => query.newsletter = v.parse().ok(),
                "subscription" => query.subscription = SubscriptionState::parse(v),
                "sort" => query.sort = ContactSort::parse(v).unwrap_or_default(),
                "after" if !v.is_empty() => query.after = Some(v.to_string()),
                "before" if !v.is_empty() => query.before = Some(v.to_string()),
                "status" => query.status = EngagementStatus::parse(v),
                "clean" => query.clean = Cleaning::parse(v),
                "idle" => query.idle_months = v.parse().ok().filter(|m| (1..=120).contains(m)),
                "pool" => query.pool = Pool::parse(v),
                _ => {}
            }
        }
        query
    }

    /// Reads `q=…&status=…` (a list URL's query string, as `href` writes it).
    pub fn from_query_string(qs: &str) -> Self {
        let pairs: Vec<(String, String)> = qs
            .trim_start_matches('?')
            .split('&')
            .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
            .filter(|(k, _)| !k.is_empty())
            .map(|(k, v)| (url_decode(k), url_decode(v)))
            .collect();
        Self::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    /// The query string of this list without paging (`""` for all contacts).
    pub fn query_string(&self) -> String {
        self.without_cursor().href(None, None).split_once('?').map(|(_, q)| q.to_string()).unwrap_or_default()
    }

    /// The URL of this list, with a different cursor.
    pub fn href(&self, after: Option<&str>, before: Option<&str>) -> String {
        let mut parts: Vec<(String, String)> = Vec::new();
        if !self.q.is_empty() {
            parts.push(("q".into(), self.q.clone()));
        }
        if let Some(c) = self.channel {
            parts.push(("channel".into(), c.as_str().into()));
        }
        if let Some(n) = self.newsletter {
            parts.push(("newsletter".into(), n.to_string()));
        }
        if let Some(s) = self.subscription {
            parts.push(("subscription".into(), s.as_str().into()));
        }
        if let Some(s) = self.status {
            parts.push(("status".into(), s.as_str().into()));
        }
        if let Some(c) = self.clean {
            parts.push(("clean".into(), c.as_str().into()));
        }
        if let Some(m) = self.idle_months {
            parts.push(("idle".into(), m.to_string()));
        }
        if let Some(p) = self.pool {
            parts.push(("pool".into(), p.as_str().into()));
        }
        if self.sort != ContactSort::default() {
            parts.push(("sort".into(), self.sort.as_str().into()));
        }
        if let Some(a) = after {
            parts.push(("after".into(), a.into()));
        }
        if let Some(b) = before {
            parts.push(("before".into(), b.into()));
        }
        let query: Vec<String> = parts.iter().map(|(k, v)| format!("{k}={}", url_encode(v))).collect();
        if query.is_empty() {
            "/contacts".into()
        } else {
            format!("/contacts?{}", query.join("&"))
        }
    }

    pub fn is_filtered(&self) -> bool {
        !self.q.is_empty()
            || self.channel.is_some()
            || self.subscription.is_some()
            || self.newsletter.is_some()
            || self.status.is_some()
            || self.clean.is_some()
            || self.pool.is_some()
    }

    /// The same list, without paging: what a bulk action applies to.
    pub fn without_cursor(&self) -> ContactQuery {
        ContactQuery { after: None, before: None, ..self.clone() }
    }
}

/// Minimal percent-encoding for query values (wasm-safe, no extra crate).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Reverses `url_encode` (and any %XX escape); invalid escapes are kept as typed.
pub fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One page of the list with the cursors to its neighbours.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ContactPage {
    pub rows: Vec<ContactRow>,
    pub next: Option<String>,
    pub prev: Option<String>,
    /// Total matching contacts, when it is cheap to know (no free-text search).
    pub total: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_whatever_the_key_holds() {
        let c = Cursor { key: "o'brien anne-marie\nx".into(), id: crate::model::ContactId(42) };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("%%%"), None);
    }

    #[test]
    fn a_query_survives_its_own_url() {
        let q = ContactQuery {
            q: "jane & co".into(),
            channel: Some(Channel::CallCentre),
            subscription: Some(SubscriptionState::Subscribed),
            sort: ContactSort::Name,
            status: Some(EngagementStatus::Disengaged),
            clean: Some(Cleaning::Idle),
            idle_months: Some(6),
            pool: Some(Pool::Inactive),
            ..Default::default()
        };
        let href = q.href(Some("abc"), None);
        assert_eq!(
            href,
            "/contacts?q=jane+%26+co&channel=call_centre&subscription=subscribed&status=disengaged&clean=idle&idle=6&pool=inactive&sort=name&after=abc"
        );
        let decoded: Vec<(String, String)> = href
            .split_once('?')
            .unwrap()
            .1
            .split('&')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (k.to_string(), v.replace('+', " ").replace("%26", "&"))
            })
            .collect();
        let back = ContactQuery::from_pairs(decoded.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        assert_eq!(back, ContactQuery { after: Some("abc".into()), ..q.clone() });
        let again = ContactQuery::from_query_string(href.split_once('?').unwrap().1);
        assert_eq!(again, ContactQuery { after: Some("abc".into()), ..q.clone() });
        assert_eq!(ContactQuery::from_query_string(&q.query_string()), q);
        assert_eq!(url_decode("100%"), "100%");
        assert_eq!(url_decode("caf%C3%A9+%25"), "café %");
    }

    #[test]
    fn unknown_values_are_ignored_not_fatal() {
        let q = ContactQuery::from_pairs([
            ("sort", "sideways"),
            ("channel", "fax"),
            ("newsletter", "x"),
            ("status", "asleep"),
            ("clean", "x"),
            ("idle", "9999"),
            ("pool", "deep"),
        ]);
        assert_eq!(q, ContactQuery::default());
    }
}
