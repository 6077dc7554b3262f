//! Property tests of every parser of outside input in the `app` crate: whatever the
//! text, each one answers (no panic) and answers fast. Inputs go up to a few thousand
//! characters or items, so a parser gone quadratic shows as a very slow test, and a few
//! `large_*` tests time one big input, which a linear parser reads in milliseconds.
//! Where a cheap oracle exists, the answer itself is checked: normalised forms,
//! round trips, and refusals.
//!
//! Run with `cargo test -p app --features ssr --test parsers`; the parsers that live
//! behind `ssr` are in the `ssr` module below.

use app::auth::safe_next;
use app::model::api_key::{ApiKey, Scope, KEY_PREFIX};
use app::model::contact::SubscriptionState;
use app::model::contact_form::{format_cents, parse_cents};
use app::model::engagement::{EngagementStatus, Pool};
use app::model::events::{
    parse_event, parse_instant, EventKind, EventTarget, ValidEvent, EARLIEST_EVENT, MAX_CAMPAIGN_CHARS,
    MAX_CLOCK_AHEAD_SECS, MAX_META_BYTES,
};
use app::model::listing::{url_decode, url_encode, Cleaning, ContactQuery, ContactSort, Cursor};
use app::model::profile::{Lang, ProfileField};
use app::model::{Channel, ContactFields, ContactForm, ContactId, Email, NewsletterId, Role, Timestamp};
use app::partners::{lookup_of, parse_month, CheckRequest, LeadRequest, Lookup};
use app::signup::pow_solves;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::NaiveDate;
use proptest::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// 2026-11-18, as the crate's own tests pin it.
const NOW: Timestamp = Timestamp(1_795_000_000);

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).expect("a date")
}

// ---------------------------------------------------------------------------------
// Strategies and helpers.
// ---------------------------------------------------------------------------------

/// Any text of up to `max` characters: every Unicode scalar value can appear, control
/// characters, line breaks and odd whitespace included.
fn any_text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..=max).prop_map(|chars| chars.into_iter().collect::<String>())
}

/// Text of up to `max` characters drawn from `alphabet`: the characters a parser cares
/// about, so that near misses are common.
fn text_of(alphabet: &str, max: usize) -> impl Strategy<Value = String> {
    let chars: Vec<char> = alphabet.chars().collect();
    prop::collection::vec(prop::sample::select(chars), 0..=max).prop_map(|chars| chars.into_iter().collect::<String>())
}

/// Text matching `pattern`, compiled once (a bare `"…"` strategy compiles its pattern
/// again for every value, which adds up where one case draws many).
fn re(pattern: &str) -> impl Strategy<Value = String> {
    prop::string::string_regex(pattern).expect("a valid pattern")
}

/// Something shaped like an address, often valid, often a near miss (dots at the ends,
/// `..`, labels starting with `-`, numeric TLDs), with mixed case and surrounding blanks.
fn email_like() -> impl Strategy<Value = String> {
    (
        re("[ \t]{0,2}"),
        re("[A-Za-z0-9._%+'-]{1,20}"),
        re("[A-Za-z0-9-]{1,15}"),
        prop::collection::vec(re("[A-Za-z0-9-]{1,8}"), 1..4),
        re("[ \t\n]{0,2}"),
    )
        .prop_map(|(lead, local, first, rest, trail)| format!("{lead}{local}@{first}.{}{trail}", rest.join(".")))
}

/// A surely valid address, already normalised.
fn valid_email() -> impl Strategy<Value = String> {
    (re("[a-z0-9][a-z0-9_+-]{0,15}"), re("[a-z0-9]{1,10}"), re("[a-z]{2,6}"))
        .prop_map(|(local, domain, tld)| format!("{local}@{domain}.{tld}"))
}

/// Any JSON value: scalars of every kind (strings of any characters, huge and
/// non-finite numbers), arrays and objects nested a few levels.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any_text(40).prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((any_text(12), inner), 0..8)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// The JSON text of an object with these members, in this order, duplicates kept (a
/// `serde_json::Map` would drop them).
fn object_text(pairs: &[(&str, Value)]) -> String {
    let members: Vec<String> =
        pairs.iter().map(|(k, v)| format!("{}:{v}", serde_json::to_string(k).expect("a key"))).collect();
    format!("{{{}}}", members.join(","))
}

/// `t` as RFC 3339 at an offset of `offset_minutes`.
fn rfc3339(t: i64, offset_minutes: i32) -> String {
    let offset = chrono::FixedOffset::east_opt(offset_minutes * 60).expect("an offset under a day");
    chrono::DateTime::from_timestamp(t, 0).expect("an instant chrono represents").with_timezone(&offset).to_rfc3339()
}

/// An instant an event may have (2000 to a day ahead of `NOW`), and an offset to write
/// it at.
fn event_instant() -> impl Strategy<Value = (i64, i32)> {
    (EARLIEST_EVENT.0..=(NOW + MAX_CLOCK_AHEAD_SECS).0, -1439i32..=1439)
}

fn is_lower_hex(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Runs `work`, failing if it takes 2 seconds: each input given here is read in
/// milliseconds by a linear parser, and in minutes by a quadratic one.
fn quickly<T>(what: &str, work: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = work();
    let took = start.elapsed();
    assert!(took < Duration::from_secs(2), "{what} took {took:?}: a linear parser takes milliseconds");
    out
}

// ---------------------------------------------------------------------------------
// Email addresses.
// ---------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn an_accepted_address_is_the_typed_one_trimmed_and_lowercased(
        raw in prop_oneof![email_like(), any_text(300), text_of("aZ9@.-_+ \tİÉß\u{0}", 40)]
    ) {
        match Email::parse(&raw) {
            Ok(email) => {
                let expected = raw.trim().to_lowercase();
                prop_assert_eq!(email.as_str(), expected.as_str());
                prop_assert!(email.as_str().len() <= 254 && email.as_str().contains('@'));
                prop_assert_eq!(Email::parse(email.as_str()), Ok(email.clone()));
                let (md5, sha256) = (email.md5_hex(), email.sha256_hex());
                prop_assert!(md5.len() == 32 && is_lower_hex(&md5));
                prop_assert!(sha256.len() == 64 && is_lower_hex(&sha256));
                // The wire form is the same rule.
                let json = serde_json::to_string(&email).expect("an address serialises");
                prop_assert_eq!(serde_json::from_str::<Email>(&json).ok(), Some(email.clone()));
            }
            Err(message) => {
                prop_assert!(!message.is_empty());
                prop_assert!(serde_json::from_value::<Email>(Value::String(raw.clone())).is_err());
            }
        }
    }

    #[test]
    fn a_valid_address_is_accepted_whatever_its_case_and_blanks(
        email in valid_email(), upper in any::<bool>(), pad in "[ \t\r\n]{0,3}"
    ) {
        let typed = if upper { email.to_uppercase() } else { email.clone() };
        let parsed = Email::parse(&format!("{pad}{typed}{pad}"));
        prop_assert_eq!(parsed.as_ref().map(Email::as_str), Ok(email.as_str()));
    }
}

#[test]
fn large_addresses_are_refused_quickly() {
    let long = format!("{}@example.com", "a".repeat(1_000_000));
    assert!(quickly("a 1 MB address", || Email::parse(&long)).is_err());
    let ats = "@.".repeat(500_000);
    assert!(quickly("1 MB of @ and dots", || Email::parse(&ats)).is_err());
}

// ---------------------------------------------------------------------------------
// Events: one event as JSON, instants, and the kinds an events key may send.
// ---------------------------------------------------------------------------------

const EVENT_FIELDS: [&str; 6] = ["email", "contact_id", "type", "occurred_at", "campaign", "meta"];

/// Values an event's field may be sent with: anything, and the plausible ones.
fn event_field_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        json_value(),
        email_like().prop_map(Value::String),
        prop::sample::select(EventKind::ALL.to_vec()).prop_map(|k| Value::from(k.as_str())),
        event_instant().prop_map(|(t, offset)| Value::from(rfc3339(t, offset))),
        (1i64..1_000_000).prop_map(Value::from),
        prop::collection::vec((any_text(8), json_value()), 0..4)
            .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
    ]
}

/// An object with some of an event's fields (and sometimes an unknown one).
fn event_object() -> impl Strategy<Value = Value> {
    let keys = ["email", "contact_id", "type", "occurred_at", "campaign", "meta", "when"].to_vec();
    prop::collection::vec((prop::sample::select(keys), event_field_value()), 0..7)
        .prop_map(|pairs| Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()))
}

/// What any accepted event must be, given what was sent.
fn check_event(sent: &Value, event: &ValidEvent) -> Result<(), TestCaseError> {
    let obj = sent.as_object().ok_or_else(|| TestCaseError::fail("only an object is an event"))?;
    prop_assert!(obj.keys().all(|k| EVENT_FIELDS.contains(&k.as_str())), "an unknown field was accepted");
    prop_assert_eq!(Some(event.kind.as_str()), obj.get("type").and_then(Value::as_str));
    prop_assert!((EARLIEST_EVENT..=NOW + MAX_CLOCK_AHEAD_SECS).contains(&event.occurred_at));
    prop_assert_eq!(event.campaign.trim(), event.campaign.as_str());
    prop_assert!(event.campaign.chars().count() <= MAX_CAMPAIGN_CHARS);
    if !event.meta.is_empty() {
        prop_assert!(event.meta.len() <= MAX_META_BYTES);
        let meta: Value = serde_json::from_str(&event.meta).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(meta.is_object());
    }
    match &event.target {
        EventTarget::Email(email) => {
            prop_assert!(!obj.contains_key("contact_id"));
            let typed = obj.get("email").and_then(Value::as_str).unwrap_or_default();
            prop_assert_eq!(Email::parse(typed), Ok(email.clone()));
        }
        EventTarget::ContactId(id) => {
            prop_assert!(!obj.contains_key("email"));
            prop_assert!(id.0 > 0);
        }
    }
    Ok(())
}

/// A non-empty list of distinct kinds, in any order.
fn kinds() -> impl Strategy<Value = Vec<EventKind>> {
    prop::sample::subsequence(EventKind::ALL.to_vec(), 1..=EventKind::ALL.len()).prop_shuffle()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_json_is_read_as_an_event_or_refused_with_a_reason(sent in prop_oneof![json_value(), event_object()]) {
        match parse_event(&sent, NOW) {
            Ok(event) => check_event(&sent, &event)?,
            Err(why) => prop_assert!(!why.is_empty()),
        }
    }

    #[test]
    fn a_well_formed_event_is_read_as_sent(
        by_email in any::<bool>(),
        email in email_like(),
        id in 1i64..=i64::MAX,
        id_as_float in any::<bool>(),
        kind in prop::sample::select(EventKind::ALL.to_vec()),
        (t, offset) in event_instant(),
        campaign in prop::option::of(any_text(60)),
        meta in prop::option::of(prop::collection::btree_map(re("[a-z]{1,8}"), any_text(20), 0..5)),
    ) {
        let mut obj = serde_json::Map::new();
        let target = if by_email {
            obj.insert("email".into(), Value::from(email.as_str()));
            Email::parse(&email).ok().map(EventTarget::Email)
        } else {
            // JSON has one kind of number: `7.0` is `7`.
            let sent = if id_as_float && id < (1i64 << 53) { Value::from(id as f64) } else { Value::from(id) };
            obj.insert("contact_id".into(), sent);
            Some(EventTarget::ContactId(ContactId(id)))
        };
        obj.insert("type".into(), Value::from(kind.as_str()));
        obj.insert("occurred_at".into(), Value::from(rfc3339(t, offset)));
        if let Some(c) = &campaign {
            obj.insert("campaign".into(), Value::from(c.as_str()));
        }
        let meta = meta.map(|m| Value::Object(m.into_iter().map(|(k, v)| (k, Value::String(v))).collect()));
        if let Some(m) = &meta {
            obj.insert("meta".into(), m.clone());
        }
        let read = parse_event(&Value::Object(obj), NOW);
        match target {
            // The address was a near miss: refused, and saying so.
            None => prop_assert!(read.is_err_and(|e| e.contains("not a valid address"))),
            Some(target) => prop_assert_eq!(
                read,
                Ok(ValidEvent {
                    target,
                    kind,
                    occurred_at: Timestamp(t),
                    campaign: campaign.as_deref().unwrap_or_default().trim().to_string(),
                    meta: meta.map(|m| m.to_string()).unwrap_or_default(),
                })
            ),
        }
    }

    #[test]
    fn a_campaign_is_two_hundred_characters_at_most(n in 190usize..=210, c in prop::sample::select(['x', 'é', '🎉'].to_vec())) {
        let sent = serde_json::json!({
            "contact_id": 1, "type": "open", "occurred_at": "2026-11-01T10:00:00Z",
            "campaign": c.to_string().repeat(n)
        });
        prop_assert_eq!(parse_event(&sent, NOW).is_ok(), n <= MAX_CAMPAIGN_CHARS);
    }

    #[test]
    fn an_instant_is_read_exactly_when_it_is_in_range(
        t in -100_000_000_000i64..100_000_000_000, offset in -1439i32..=1439, pad in "[ \t\n]{0,2}"
    ) {
        let read = parse_instant(&format!("{pad}{}{pad}", rfc3339(t, offset)), NOW);
        if (EARLIEST_EVENT.0..=(NOW + MAX_CLOCK_AHEAD_SECS).0).contains(&t) {
            prop_assert_eq!(read, Ok(Timestamp(t)));
        } else {
            prop_assert!(read.is_err());
        }
    }

    #[test]
    fn any_text_is_read_as_an_instant_in_range_or_refused(
        text in prop_oneof![any_text(100), "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,12})?([Zz]|[+-][0-9]{2}:[0-9]{2})"]
    ) {
        match parse_instant(&text, NOW) {
            Ok(at) => prop_assert!((EARLIEST_EVENT..=NOW + MAX_CLOCK_AHEAD_SECS).contains(&at)),
            Err(why) => prop_assert!(why.starts_with("must be") || why.starts_with("is ")),
        }
    }

    #[test]
    fn event_kinds_round_trip_through_their_list(kinds in kinds()) {
        prop_assert_eq!(EventKind::parse_list(&EventKind::join(&kinds)), Ok(kinds.clone()));
        for k in &kinds {
            prop_assert_eq!(EventKind::parse(k.as_str()), Some(*k));
        }
    }

    #[test]
    fn a_list_of_kinds_keeps_the_first_of_each_whatever_the_separators(
        items in prop::collection::vec(
            (prop::sample::select(EventKind::ALL.to_vec()), prop::sample::select([",", ", ", " ,", ",,", " , \t"].to_vec())),
            1..50,
        )
    ) {
        let text: String = items.iter().map(|(k, sep)| format!("{}{sep}", k.as_str())).collect::<Vec<_>>().join("");
        let mut expected: Vec<EventKind> = Vec::new();
        for (k, _) in &items {
            if !expected.contains(k) {
                expected.push(*k);
            }
        }
        prop_assert_eq!(EventKind::parse_list(&text), Ok(expected));
    }

    #[test]
    fn an_unknown_kind_is_named_in_the_refusal(kinds in kinds(), unknown in "[a-z_]{1,12}", at in any::<prop::sample::Index>()) {
        prop_assume!(EventKind::parse(&unknown).is_none());
        let mut names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        names.insert(at.index(names.len() + 1), &unknown);
        let refused = EventKind::parse_list(&names.join(","));
        let quoted = format!("{unknown:?}");
        prop_assert!(refused.is_err_and(|e| e.contains(&quoted)));
    }

    #[test]
    fn any_text_is_read_as_distinct_kinds_or_refused(
        text in prop_oneof![any_text(200), text_of("open,click_ purchase\tall engagement", 80)]
    ) {
        if let Ok(kinds) = EventKind::parse_list(&text) {
            prop_assert!(!kinds.is_empty());
            for (i, k) in kinds.iter().enumerate() {
                prop_assert!(!kinds[..i].contains(k), "{k:?} twice");
            }
        }
    }
}

#[test]
fn the_presets_name_their_kinds() {
    assert_eq!(EventKind::parse_list(" all\n"), Ok(EventKind::ALL.to_vec()));
    assert_eq!(EventKind::parse_list("engagement"), Ok(EventKind::ENGAGEMENT.to_vec()));
    assert_eq!(EventKind::parse_list("\tdeliverability "), Ok(EventKind::DELIVERABILITY.to_vec()));
    assert!(EventKind::parse_list(" , ,").is_err());
}

#[test]
fn large_event_inputs_are_read_quickly() {
    let names = ["open", "click"].repeat(20_000).join(",");
    let read = quickly("40,000 kind names", || EventKind::parse_list(&names));
    assert_eq!(read, Ok(vec![EventKind::Open, EventKind::Click]));
    let junk = "x".repeat(1_000_000);
    assert!(quickly("a 1 MB instant", || parse_instant(&junk, NOW)).is_err());
    let campaign = serde_json::json!({"contact_id": 1, "type": "open", "occurred_at": "2026-11-01T10:00:00Z",
                                      "campaign": junk});
    assert!(quickly("a 1 MB campaign", || parse_event(&campaign, NOW)).is_err());
    let meta: serde_json::Map<String, Value> = (0..40_000).map(|i| (format!("k{i}"), Value::from(i))).collect();
    let big = serde_json::json!({"contact_id": 1, "type": "open", "occurred_at": "2026-11-01T10:00:00Z",
                                 "meta": Value::Object(meta)});
    assert!(quickly("a meta of 40,000 members", || parse_event(&big, NOW)).is_err());
}

// ---------------------------------------------------------------------------------
// API keys and their scopes.
// ---------------------------------------------------------------------------------

/// 32 characters of the alphabet Carnet draws key bodies from.
fn key_body() -> impl Strategy<Value = String> {
    let alphabet: Vec<char> = ApiKey::random_body_alphabet().iter().map(|b| char::from(*b)).collect();
    prop::collection::vec(prop::sample::select(alphabet), 32).prop_map(|chars| chars.into_iter().collect::<String>())
}

fn scopes() -> impl Strategy<Value = Vec<Scope>> {
    prop::sample::subsequence(Scope::ALL.to_vec(), 1..=Scope::ALL.len()).prop_shuffle()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_key_made_by_carnet_parses_back(body in key_body(), pad in "[ \t\r\n]{0,3}") {
        let key = ApiKey::from_random_body(&body);
        prop_assert!(key.as_str().starts_with(KEY_PREFIX));
        prop_assert_eq!(key.as_str().len(), KEY_PREFIX.len() + 38);
        prop_assert_eq!(ApiKey::parse(key.as_str()), Some(key.clone()));
        prop_assert_eq!(ApiKey::parse(&format!("{pad}{}{pad}", key.as_str())), Some(key.clone()));
        let hash = key.hash();
        prop_assert!(hash.len() == 64 && is_lower_hex(&hash));
        prop_assert!(!format!("{key:?}").contains(&body), "a key never prints whole");
    }

    #[test]
    fn any_changed_character_fails_the_checksum(
        body in key_body(), at in any::<prop::sample::Index>(), replacement in any::<char>()
    ) {
        let key = ApiKey::from_random_body(&body);
        let mut chars: Vec<char> = key.as_str().chars().collect();
        let i = at.index(chars.len());
        prop_assume!(chars[i] != replacement);
        chars[i] = replacement;
        let typo: String = chars.iter().collect();
        prop_assert!(ApiKey::parse(&typo).is_none(), "{typo:?} was taken for a key");
    }

    #[test]
    fn a_key_missing_or_gaining_a_character_is_refused(
        body in key_body(),
        at in any::<prop::sample::Index>(),
        extra in any::<char>().prop_filter("trimmed away", |c| !c.is_whitespace()),
        cut in any::<prop::sample::Index>(),
    ) {
        let key = ApiKey::from_random_body(&body);
        let chars: Vec<char> = key.as_str().chars().collect();
        let mut shorter = chars.clone();
        shorter.remove(at.index(chars.len()));
        prop_assert!(ApiKey::parse(&shorter.iter().collect::<String>()).is_none());
        let mut longer = chars.clone();
        longer.insert(at.index(chars.len() + 1), extra);
        prop_assert!(ApiKey::parse(&longer.iter().collect::<String>()).is_none());
        prop_assert!(ApiKey::parse(&key.as_str()[..cut.index(chars.len())]).is_none());
    }

    #[test]
    fn random_text_is_not_taken_for_a_key(raw in prop_oneof![any_text(120), "carnet_[0-9A-Za-z]{36,40}"]) {
        if let Some(key) = ApiKey::parse(&raw) {
            prop_assert_eq!(key.as_str(), raw.trim());
            let body = &key.as_str()[KEY_PREFIX.len()..KEY_PREFIX.len() + 32];
            prop_assert_eq!(ApiKey::from_random_body(body), key.clone());
        }
    }

    #[test]
    fn scopes_round_trip_through_their_list(scopes in scopes(), sep in prop::sample::select([",", ", ", " , "].to_vec())) {
        prop_assert_eq!(Scope::parse_list(&Scope::join(&scopes)), Ok(scopes.clone()));
        let spaced: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
        prop_assert_eq!(Scope::parse_list(&spaced.join(sep)), Ok(scopes.clone()));
        let twice = format!("{},{}", Scope::join(&scopes), Scope::join(&scopes));
        prop_assert_eq!(Scope::parse_list(&twice), Ok(scopes.clone()));
    }

    #[test]
    fn any_text_is_read_as_distinct_scopes_or_refused(
        text in prop_oneof![any_text(200), text_of("check,submit export\tevents redeem", 80)]
    ) {
        match Scope::parse_list(&text) {
            Ok(scopes) => {
                prop_assert!(!scopes.is_empty());
                for (i, s) in scopes.iter().enumerate() {
                    prop_assert!(!scopes[..i].contains(s), "{s:?} twice");
                }
            }
            Err(why) => prop_assert!(!why.is_empty()),
        }
    }
}

#[test]
fn large_scope_lists_are_read_quickly() {
    let names = ["check", "export"].repeat(20_000).join(", ");
    let read = quickly("40,000 scope names", || Scope::parse_list(&names));
    assert_eq!(read, Ok(vec![Scope::Check, Scope::Export]));
    let key = format!("carnet_{}", "A".repeat(1_000_000));
    assert!(quickly("a 1 MB key", || ApiKey::parse(&key)).is_none());
}

// ---------------------------------------------------------------------------------
// Named values (URL and form parameters): each parses from its own name only.
// ---------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn named_values_parse_from_their_own_name_only(s in prop_oneof![any_text(20), "[a-z_]{1,16}", " ?[a-z_]{1,16} ?"]) {
        if let Some(v) = Channel::parse(&s) { prop_assert_eq!(v.as_str(), s.as_str()); }
        if let Some(v) = SubscriptionState::parse(&s) { prop_assert_eq!(v.as_str(), s.as_str()); }
        if let Some(v) = ContactSort::parse(&s) { prop_assert_eq!(v.as_str(), s.as_str()); }
        if let Some(v) = Cleaning::parse(&s) { prop_assert_eq!(v.as_str(), s.as_str()); }
        if let Some(v) = EngagementStatus::parse(&s) { prop_assert_eq!(v.as_str(), s.as_str()); }
        if let Some(v) = Pool::parse(&s) { prop_assert_eq!(v.as_str(), s.as_str()); }
        if let Some(v) = Role::parse(&s) { prop_assert_eq!(v.as_str(), s.as_str()); }
        if let Some(v) = EventKind::parse(&s) { prop_assert_eq!(v.as_str(), s.as_str()); }
        if let Some(v) = ProfileField::parse(&s) { prop_assert_eq!(v.key(), s.as_str()); }
        // Scopes alone forgive surrounding blanks.
        if let Some(v) = Scope::parse(&s) { prop_assert_eq!(v.as_str(), s.trim()); }
    }

    #[test]
    fn the_page_language_follows_the_query_then_the_first_known_tag(
        query in prop::option::of(prop_oneof![Just("fr".to_string()), Just("en".to_string()), any_text(5)]),
        header in any_text(80),
        first in prop::sample::select(["fr", "FR-ca", "en", "en-GB", " fr;q=0.8", "EN;q=1"].to_vec()),
    ) {
        let picked = Lang::pick(query.as_deref(), &header);
        if query.as_deref() == Some("fr") {
            prop_assert_eq!(picked, Lang::Fr);
        }
        if query.as_deref() == Some("en") {
            prop_assert_eq!(picked, Lang::En);
        }
        let expected = if first.trim().to_ascii_lowercase().starts_with("fr") { Lang::Fr } else { Lang::En };
        prop_assert_eq!(Lang::pick(None, &format!("{first},{header}")), expected);
    }

    #[test]
    fn proof_of_work_reads_any_answer(ticket in any_text(80), nonce in prop_oneof![any_text(25), "[0-9]{0,25}"], bits in 0u32..300) {
        let solved = pow_solves(&ticket, &nonce, bits);
        let digits = !nonce.is_empty() && nonce.len() <= 20 && nonce.bytes().all(|b| b.is_ascii_digit());
        if !digits || bits > 256 {
            prop_assert!(!solved);
        }
        if digits && bits == 0 {
            prop_assert!(solved);
        }
    }
}

#[test]
fn every_named_value_parses_from_its_name() {
    for v in Channel::ALL {
        assert_eq!(Channel::parse(v.as_str()), Some(v));
    }
    for v in SubscriptionState::ALL {
        assert_eq!(SubscriptionState::parse(v.as_str()), Some(v));
    }
    for v in ContactSort::ALL {
        assert_eq!(ContactSort::parse(v.as_str()), Some(v));
    }
    for v in Cleaning::ALL {
        assert_eq!(Cleaning::parse(v.as_str()), Some(v));
    }
    for v in EngagementStatus::ALL {
        assert_eq!(EngagementStatus::parse(v.as_str()), Some(v));
    }
    for v in [Pool::Main, Pool::Inactive] {
        assert_eq!(Pool::parse(v.as_str()), Some(v));
    }
    for v in Role::ALL {
        assert_eq!(Role::parse(v.as_str()), Some(v));
    }
    for v in ProfileField::ALL {
        assert_eq!(ProfileField::parse(v.key()), Some(v));
    }
    for v in Scope::ALL {
        assert_eq!(Scope::parse(v.as_str()), Some(v));
    }
}

// ---------------------------------------------------------------------------------
// The contact form.
// ---------------------------------------------------------------------------------

const FORM_FIELDS: [&str; 18] = [
    "email",
    "first_name",
    "last_name",
    "phone",
    "birth_date",
    "job_title",
    "company",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "country",
    "interests",
    "last_purchase_on",
    "total_spent",
    "custom",
    "channel",
    "source_detail",
];

fn field_text(max: usize) -> impl Strategy<Value = String> {
    prop_oneof![text_of("aZé İ'-.,:;\t ", max), any_text(max)]
}

fn date_text() -> impl Strategy<Value = String> {
    prop_oneof![
        re("(18|19|20)[0-9]{2}-[01][0-9]-[0-3][0-9]"),
        re("[0-9]{1,5}-[0-9]{1,2}-[0-9]{1,2}"),
        any_text(12),
        Just(String::new()),
    ]
}

/// Interests as typed. U+0130 (İ) is left out: it is the one character whose lowercase
/// is two characters, see `a_dotted_capital_i_can_make_an_interest_too_long` below.
fn interests_text() -> impl Strategy<Value = String> {
    let tags = prop::collection::vec(text_of("abcXYZé -", 45), 0..40).prop_map(|tags| tags.join(","));
    prop_oneof![tags, any_text(300)].prop_map(|s| s.replace('\u{130}', "I"))
}

fn custom_text() -> impl Strategy<Value = String> {
    let lines = prop::collection::vec((text_of("abc k-", 45), text_of("xyz :é", 60)), 0..60).prop_map(|kv| {
        let lines: Vec<String> = kv.iter().map(|(k, v)| format!("{k}:{v}")).collect();
        lines.join("\n")
    });
    prop_oneof![lines, any_text(300)]
}

fn channel_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(Channel::ALL.to_vec()).prop_map(|c| c.as_str().to_string()),
        any_text(15),
        Just(String::new()),
    ]
}

/// A form as anyone could post it: every field any text, or a near miss.
fn any_form() -> impl Strategy<Value = ContactForm> {
    (
        (
            prop_oneof![email_like(), any_text(80)],
            field_text(110),
            field_text(110),
            prop_oneof![text_of("0123456789 +-().", 25), any_text(20)],
            date_text(),
            field_text(110),
        ),
        (field_text(110), field_text(210), field_text(210), field_text(25), field_text(110), field_text(110)),
        (
            interests_text(),
            date_text(),
            prop_oneof![re("[0-9]{0,14}([.,][0-9]{0,3})?"), any_text(10), Just(String::new())],
            custom_text(),
            channel_text(),
            field_text(210),
        ),
    )
        .prop_map(
            |(
                (email, first_name, last_name, phone, birth_date, job_title),
                (company, address_line1, address_line2, postal_code, city, country),
                (interests, last_purchase_on, total_spent, custom, channel, source_detail),
            )| ContactForm {
                email,
                first_name,
                last_name,
                phone,
                birth_date,
                job_title,
                company,
                address_line1,
                address_line2,
                postal_code,
                city,
                country,
                interests,
                last_purchase_on,
                total_spent,
                custom,
                channel,
                source_detail,
            },
        )
}

/// What any accepted form must give.
fn check_fields(form: &ContactForm, fields: &ContactFields) -> Result<(), TestCaseError> {
    let email = form.email.trim().to_lowercase();
    prop_assert_eq!(fields.email.as_str(), email.as_str());
    for (kept, typed, max) in [
        (&fields.first_name, &form.first_name, 100),
        (&fields.last_name, &form.last_name, 100),
        (&fields.job_title, &form.job_title, 100),
        (&fields.company, &form.company, 100),
        (&fields.address_line1, &form.address_line1, 200),
        (&fields.address_line2, &form.address_line2, 200),
        (&fields.postal_code, &form.postal_code, 20),
        (&fields.city, &form.city, 100),
        (&fields.country, &form.country, 100),
        (&fields.source_detail, &form.source_detail, 200),
    ] {
        prop_assert_eq!(kept.as_str(), typed.trim());
        prop_assert!(kept.chars().count() <= max);
    }
    prop_assert_eq!(fields.phone.as_str(), form.phone.trim());
    let digits = fields.phone.chars().filter(char::is_ascii_digit).count();
    prop_assert!(fields.phone.is_empty() || (6..=15).contains(&digits));
    prop_assert!(fields.interests.len() <= 30);
    for (i, tag) in fields.interests.iter().enumerate() {
        prop_assert!(!tag.is_empty() && tag.trim() == tag && !tag.contains(','));
        prop_assert!(tag.chars().count() <= 40, "{tag:?} is over 40 characters");
        prop_assert_eq!(tag.to_lowercase(), tag.clone());
        prop_assert!(!fields.interests[..i].contains(tag), "{tag:?} twice");
    }
    prop_assert!(fields.custom.len() <= 50);
    for (k, v) in &fields.custom {
        prop_assert!(!k.is_empty() && k.trim() == k && k.len() <= 40 && !k.contains(':') && !k.contains('\n'));
        prop_assert!(v.trim() == v && v.len() <= 200 && !v.contains('\n'));
    }
    prop_assert_eq!(Some(fields.total_spent_cents), parse_cents(&form.total_spent));
    prop_assert!(fields.total_spent_cents >= 0);
    let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).expect("a date");
    for day in [fields.birth_date, fields.last_purchase_on].into_iter().flatten() {
        prop_assert!((earliest..=today()).contains(&day));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_form_is_accepted_normalised_or_refused_field_by_field(form in any_form()) {
        match form.validate(today()) {
            Ok(fields) => {
                check_fields(&form, &fields)?;
                // What the edit page shows is accepted again, unchanged.
                prop_assert_eq!(fields.to_form().validate(today()), Ok(fields.clone()));
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for e in &errors.0 {
                    prop_assert!(FORM_FIELDS.contains(&e.field.as_str()), "an error on {:?}", e.field);
                    prop_assert!(!e.message.is_empty());
                }
            }
        }
    }

    #[test]
    fn a_well_filled_form_is_accepted_and_round_trips(
        email in valid_email(),
        name in text_of("abcdefXYZéô -'", 100),
        phone in prop_oneof![Just(String::new()), "\\+33 [1-9]( [0-9]{2}){4}", "0[1-9]( [0-9]{2}){4}"],
        birth in prop::option::of((1900i32..=2025, 1u32..=12, 1u32..=28)),
        tags in prop::collection::vec(text_of("abcXYZé -", 40), 0..30),
        custom in prop::collection::vec((re("[a-z][a-z ]{0,20}"), text_of("xyzé :", 100)), 0..50),
        spent in prop::option::of((0i64..1_000_000_000_000, 0i64..100, prop::sample::select([".", ","].to_vec()))),
        channel in prop::option::of(prop::sample::select(Channel::ALL.to_vec())),
    ) {
        let form = ContactForm {
            email: format!(" {} ", email.to_uppercase()),
            first_name: name.clone(),
            phone,
            birth_date: birth.map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")).unwrap_or_default(),
            interests: tags.join(","),
            custom: custom.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("\n"),
            total_spent: spent.map(|(units, cents, sep)| format!("{units}{sep}{cents:02}")).unwrap_or_default(),
            channel: channel.map(|c| c.as_str().to_string()).unwrap_or_default(),
            ..Default::default()
        };
        let fields = form.validate(today()).map_err(|e| TestCaseError::fail(format!("refused: {e:?}")))?;
        check_fields(&form, &fields)?;
        prop_assert_eq!(fields.email.as_str(), email.as_str());
        prop_assert_eq!(fields.first_name.as_str(), name.trim());
        prop_assert_eq!(fields.birth_date, birth.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)));
        let mut interests: Vec<String> = Vec::new();
        for tag in &tags {
            let tag = tag.trim().to_lowercase();
            if !tag.is_empty() && !interests.contains(&tag) {
                interests.push(tag);
            }
        }
        prop_assert_eq!(&fields.interests, &interests);
        let attributes: BTreeMap<String, String> =
            custom.iter().map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
        prop_assert_eq!(&fields.custom, &attributes);
        prop_assert_eq!(fields.total_spent_cents, spent.map_or(0, |(units, cents, _)| units * 100 + cents));
        prop_assert_eq!(fields.channel, channel.unwrap_or_default());
        prop_assert_eq!(fields.to_form().validate(today()), Ok(fields.clone()));
    }

    #[test]
    fn amounts_round_trip_through_cents(units in 0i64..1_000_000_000_000, cents in 0i64..100, raw in any_text(20)) {
        let total = units * 100 + cents;
        prop_assert_eq!(parse_cents(&format_cents(total)), Some(total));
        prop_assert_eq!(parse_cents(&format_cents(total).replace('.', ",")), Some(total));
        prop_assert_eq!(parse_cents(&format!(" {units} ")), Some(units * 100));
        if let Some(c) = parse_cents(&raw) {
            prop_assert!((0..100_000_000_000_000).contains(&c));
        }
    }
}

#[test]
fn a_dotted_capital_i_never_makes_an_interest_too_long() {
    // "İ" (U+0130) lowercases to two characters ("i" and U+0307): the limit is counted on
    // the tag as kept, so 40 of them are refused rather than kept as 80 characters that
    // the edit page's own form would then refuse.
    let form = ContactForm { email: "ann@example.com".into(), interests: "İ".repeat(40), ..Default::default() };
    let errors = form.validate(today()).expect_err("80 characters once lowercased");
    assert_eq!(errors.get("interests"), Some("Keep each interest under 40 characters."));
    let form = ContactForm { interests: "İ".repeat(20), ..form };
    let fields = form.validate(today()).expect("40 characters once lowercased");
    assert_eq!(fields.to_form().validate(today()), Ok(fields), "what is kept is accepted again");
}

#[test]
fn large_forms_are_read_quickly() {
    let base = ContactForm { email: "ann@example.com".into(), ..Default::default() };
    let repeated = (0..40_000).map(|i| format!("tag{}", i % 30)).collect::<Vec<_>>().join(",");
    let form = ContactForm { interests: repeated, ..base.clone() };
    let fields = quickly("40,000 interests, 30 distinct", || form.validate(today())).expect("30 interests");
    assert_eq!(fields.interests.len(), 30);
    let distinct = (0..40_000).map(|i| format!("tag{i}")).collect::<Vec<_>>().join(",");
    let form = ContactForm { interests: distinct, ..base.clone() };
    let errors = quickly("40,000 distinct interests", || form.validate(today())).expect_err("too many");
    assert_eq!(errors.get("interests"), Some("Keep to 30 interests at most."));
    let form = ContactForm { interests: "x".repeat(1_000_000), ..base.clone() };
    let errors = quickly("a 1 MB interest", || form.validate(today())).expect_err("too long");
    assert_eq!(errors.get("interests"), Some("Keep each interest under 40 characters."));
    let form = ContactForm { interests: ", \t".repeat(300_000), ..base.clone() };
    assert!(quickly("1 MB of separators", || form.validate(today())).is_ok_and(|f| f.interests.is_empty()));
    let repeated = (0..40_000).map(|i| format!("k{}: v{i}", i % 50)).collect::<Vec<_>>().join("\n");
    let form = ContactForm { custom: repeated, ..base.clone() };
    let fields = quickly("40,000 attribute lines, 50 names", || form.validate(today())).expect("50 attributes");
    assert_eq!(fields.custom.len(), 50);
    let distinct = (0..40_000).map(|i| format!("k{i}: v")).collect::<Vec<_>>().join("\n");
    let form = ContactForm { custom: distinct, ..base.clone() };
    let errors = quickly("40,000 distinct attributes", || form.validate(today())).expect_err("too many");
    assert_eq!(errors.get("custom"), Some("Keep to 50 attributes at most."));
    let form = ContactForm { first_name: " ".repeat(1_000_000), total_spent: "9".repeat(1_000_000), ..base };
    assert!(quickly("1 MB fields", || form.validate(today())).is_err());
}

// ---------------------------------------------------------------------------------
// Redirects after sign-in.
// ---------------------------------------------------------------------------------

fn path_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any_text(100),
        text_of("/\\:.%?#=&@ \t\r\n\u{0}\u{7f}\u{85}\u{a0}\u{2028}\u{3000}aZ9-_~", 60),
        text_of("/\\:.%? \t\n\u{0}\u{a0}aZ", 30).prop_map(|s| format!("/{s}")),
        "/[a-zA-Z0-9._~?=&%-][a-zA-Z0-9/._~?=&%-]{0,80}",
        Just("/login".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_sign_in_only_ever_redirects_to_a_path_of_this_site(next in path_like()) {
        let to = safe_next(&next);
        prop_assert!(to == next || to == "/contacts");
        prop_assert!(to.starts_with('/') && !to.starts_with("//") && !to.starts_with("/\\"), "{to:?}");
        prop_assert!(!to.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\'), "{to:?}");
        prop_assert!(!to.contains("://") && to.len() <= 2_000 && to != "/login");
    }

    #[test]
    fn a_plain_path_is_kept(next in "/[a-zA-Z0-9._~?=&%-][a-zA-Z0-9/._~?=&%-]{0,80}") {
        let expected = if next == "/login" { "/contacts" } else { next.as_str() };
        prop_assert_eq!(safe_next(&next), expected);
    }
}

#[test]
fn a_large_next_is_refused_quickly() {
    let next = format!("/{}", "a/".repeat(500_000));
    assert_eq!(quickly("a 1 MB next", || safe_next(&next)), "/contacts");
}

// ---------------------------------------------------------------------------------
// The contacts list as a URL.
// ---------------------------------------------------------------------------------

/// Any list a person can be shown: `q` as `from_pairs` leaves it (trimmed, at most 100
/// characters), every filter from its own values.
fn contact_query() -> impl Strategy<Value = ContactQuery> {
    (
        any_text(150),
        prop::option::of(prop::sample::select(Channel::ALL.to_vec())),
        prop::option::of(any::<i64>()),
        prop::option::of(prop::sample::select(SubscriptionState::ALL.to_vec())),
        prop::sample::select(ContactSort::ALL.to_vec()),
        prop::option::of(prop::sample::select(EngagementStatus::ALL.to_vec())),
        prop::option::of(prop::sample::select(Cleaning::ALL.to_vec())),
        prop::option::of(1i64..=120),
        prop::option::of(prop::sample::select([Pool::Main, Pool::Inactive].to_vec())),
    )
        .prop_map(|(q, channel, newsletter, subscription, sort, status, clean, idle_months, pool)| ContactQuery {
            q: q.trim().chars().take(100).collect::<String>().trim().to_string(),
            channel,
            newsletter: newsletter.map(NewsletterId),
            subscription,
            sort,
            after: None,
            before: None,
            status,
            clean,
            idle_months,
            pool,
        })
}

fn non_empty_text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 1..=max).prop_map(|chars| chars.into_iter().collect::<String>())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn url_encoding_is_unreserved_characters_and_escapes_and_decodes_back(s in any_text(300)) {
        let encoded = url_encode(&s);
        let bytes = encoded.as_bytes();
        for (i, b) in bytes.iter().enumerate() {
            prop_assert!(b.is_ascii_alphanumeric() || b"-_.~+%".contains(b), "{encoded:?}");
            if *b == b'%' {
                let escape = &bytes[i + 1..i + 3];
                prop_assert!(escape.iter().all(|h| h.is_ascii_digit() || (b'A'..=b'F').contains(h)), "{encoded:?}");
            }
        }
        prop_assert!(encoded.len() <= 3 * s.len());
        prop_assert_eq!(url_decode(&encoded), s);
    }

    #[test]
    fn any_text_url_decodes(s in prop_oneof![any_text(300), text_of("%+aF0é\u{0}", 60)]) {
        let decoded = url_decode(&s);
        if !s.contains(['%', '+']) {
            prop_assert_eq!(decoded, s);
        }
    }

    #[test]
    fn a_list_survives_its_own_url(query in contact_query(), after in non_empty_text(40), before in non_empty_text(40)) {
        prop_assert_eq!(ContactQuery::from_query_string(&query.query_string()), query.clone());
        let href = query.href(Some(after.as_str()), Some(before.as_str()));
        prop_assert!(href.starts_with("/contacts?"));
        let back = ContactQuery::from_query_string(href.split_once('?').map(|(_, q)| q).unwrap_or_default());
        prop_assert_eq!(back, ContactQuery { after: Some(after.clone()), before: Some(before.clone()), ..query.clone() });
    }

    #[test]
    fn any_query_string_gives_a_list(qs in prop_oneof![
        any_text(400),
        prop::collection::vec(
            (
                prop::sample::select(["q", "channel", "newsletter", "subscription", "sort", "after", "before", "status", "clean", "idle", "pool", "x"].to_vec()),
                prop_oneof![any_text(30), re("[a-z_0-9-]{0,12}"), re("%[0-9A-Fa-f]{0,2}")],
            ),
            0..20,
        ).prop_map(|pairs| pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")),
    ]) {
        let query = ContactQuery::from_query_string(&qs);
        // `q` is trimmed, then cut at 100 characters: the cut may end on a blank.
        prop_assert_eq!(query.q.trim_start(), query.q.as_str());
        prop_assert!(query.q.chars().count() <= 100);
        prop_assert!(query.idle_months.is_none_or(|m| (1..=120).contains(&m)));
        prop_assert!(query.after.as_ref().is_none_or(|a| !a.is_empty()));
        prop_assert!(query.before.as_ref().is_none_or(|b| !b.is_empty()));
        // What it understood, it writes back the same (`q` trimmed of such a blank).
        let href = query.href(query.after.as_deref(), query.before.as_deref());
        let again = ContactQuery::from_query_string(href.split_once('?').map(|(_, q)| q).unwrap_or_default());
        prop_assert_eq!(again, ContactQuery { q: query.q.trim().to_string(), ..query.clone() });
    }

    #[test]
    fn cursors_round_trip_and_any_text_decodes_or_not(key in any_text(200), id in any::<i64>(), raw in any_text(100), bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let cursor = Cursor { key, id: ContactId(id) };
        prop_assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor.clone()));
        let encoded = URL_SAFE_NO_PAD.encode(bytes.as_slice());
        for text in [raw.as_str(), encoded.as_str()] {
            if let Some(c) = Cursor::decode(text) {
                prop_assert_eq!(Cursor::decode(&c.encode()), Some(c.clone()));
            }
        }
    }
}

#[test]
fn large_list_urls_are_read_quickly() {
    let pairs = (0..40_000).map(|i| format!("q=w{i}&sort=name&x{i}=%41")).collect::<Vec<_>>().join("&");
    let query = quickly("40,000 query pairs", || ContactQuery::from_query_string(&pairs));
    assert_eq!((query.q.as_str(), query.sort), ("w39999", ContactSort::Name));
    let q = format!("q={}", "%E2%82%AC".repeat(120_000));
    let query = quickly("a 1 MB q", || ContactQuery::from_query_string(&q));
    assert_eq!(query.q.chars().count(), 100);
    let escapes = "%".repeat(1_000_000);
    assert_eq!(quickly("1 MB of %", || url_decode(&escapes)), escapes);
    let odd = "é&=/ ".repeat(40_000);
    assert_eq!(quickly("a 240 KB value to encode", || url_decode(&url_encode(&odd))), odd);
    let junk = "A".repeat(1_000_000);
    assert!(quickly("a 1 MB cursor", || Cursor::decode(&junk)).is_none());
}

// ---------------------------------------------------------------------------------
// The partner API's bodies and values.
// ---------------------------------------------------------------------------------

const LEAD_TEXT_FIELDS: [&str; 10] = [
    "first_name",
    "last_name",
    "phone",
    "birth_date",
    "company",
    "job_title",
    "postal_code",
    "city",
    "country",
    "source",
];

/// The strings a list holds, if it is a list of strings.
fn strings_of(v: &Value) -> Option<Vec<String>> {
    v.as_array()?.iter().map(|s| s.as_str().map(str::to_string)).collect()
}

fn check_field_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => prop::collection::vec(any_text(20), 0..5)
            .prop_map(|v| Value::Array(v.into_iter().map(Value::String).collect())),
        1 => Just(Value::Null),
        1 => json_value(),
    ]
}

/// A lead's consent as sent: text, form, `at` (absent, null or a value), newsletters.
type SentConsent = (String, String, Option<Option<String>>, Option<Vec<String>>);

/// A lead as a partner sends it: each field present or not (the email also `null`).
#[derive(Debug, Clone)]
struct SentLead {
    email: Option<Option<String>>,
    texts: Vec<Option<String>>,
    consent: Option<SentConsent>,
}

fn sent_lead() -> impl Strategy<Value = SentLead> {
    (
        prop::option::of(prop::option::of(prop_oneof![valid_email(), any_text(30)])),
        prop::collection::vec(prop::option::of(any_text(30)), LEAD_TEXT_FIELDS.len()),
        prop::option::of((
            any_text(60),
            any_text(30),
            prop::option::of(prop::option::of(any_text(25))),
            prop::option::of(prop::collection::vec(any_text(15), 0..4)),
        )),
    )
        .prop_map(|(email, texts, consent)| SentLead { email, texts, consent })
}

fn lead_json(lead: &SentLead) -> serde_json::Map<String, Value> {
    let mut obj = serde_json::Map::new();
    if let Some(email) = &lead.email {
        obj.insert("email".into(), email.clone().map_or(Value::Null, Value::String));
    }
    for (name, text) in LEAD_TEXT_FIELDS.iter().zip(&lead.texts) {
        if let Some(text) = text {
            obj.insert(name.to_string(), Value::from(text.as_str()));
        }
    }
    if let Some((text, form, at, newsletters)) = &lead.consent {
        let mut consent = serde_json::Map::new();
        consent.insert("text".into(), Value::from(text.as_str()));
        consent.insert("form".into(), Value::from(form.as_str()));
        if let Some(at) = at {
            consent.insert("at".into(), at.clone().map_or(Value::Null, Value::String));
        }
        if let Some(list) = newsletters {
            consent.insert("newsletters".into(), Value::Array(list.iter().cloned().map(Value::String).collect()));
        }
        obj.insert("consent".into(), Value::Object(consent));
    }
    obj
}

fn lead_texts(lead: &LeadRequest) -> [&str; 10] {
    [
        &lead.first_name,
        &lead.last_name,
        &lead.phone,
        &lead.birth_date,
        &lead.company,
        &lead.job_title,
        &lead.postal_code,
        &lead.city,
        &lead.country,
        &lead.source,
    ]
    .map(String::as_str)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_check_request_is_lists_of_strings_under_known_names_once_each(
        pairs in prop::collection::vec(
            (prop::sample::select(["emails", "md5", "sha256", "hashes"].to_vec()), check_field_value()),
            0..5,
        )
    ) {
        let body = object_text(&pairs);
        let parsed = serde_json::from_str::<CheckRequest>(&body);
        let mut seen: Vec<&str> = Vec::new();
        let mut well_formed = true;
        for (k, v) in &pairs {
            well_formed &= *k != "hashes" && !seen.contains(k) && strings_of(v).is_some();
            seen.push(*k);
        }
        prop_assert_eq!(parsed.is_ok(), well_formed);
        if let Ok(request) = parsed {
            for (name, got) in [("emails", &request.emails), ("md5", &request.md5), ("sha256", &request.sha256)] {
                let sent = pairs.iter().find(|(k, _)| *k == name).and_then(|(_, v)| strings_of(v));
                prop_assert_eq!(got, &sent);
            }
        }
    }

    #[test]
    fn a_lead_is_read_as_sent(lead in sent_lead()) {
        let obj = lead_json(&lead);
        let read = serde_json::from_str::<LeadRequest>(&Value::Object(obj.clone()).to_string())
            .map_err(|e| TestCaseError::fail(format!("refused: {e}")))?;
        prop_assert_eq!(&read.email, &lead.email.clone().flatten());
        let expected: Vec<&str> = lead.texts.iter().map(|t| t.as_deref().unwrap_or_default()).collect();
        prop_assert_eq!(lead_texts(&read).to_vec(), expected);
        match (&read.consent, &lead.consent) {
            (None, None) => {}
            (Some(got), Some((text, form, at, newsletters))) => {
                prop_assert_eq!(&got.text, text);
                prop_assert_eq!(&got.form, form);
                prop_assert_eq!(&got.at, &at.clone().flatten());
                prop_assert_eq!(&got.newsletters, &newsletters.clone().unwrap_or_default());
            }
            _ => return Err(TestCaseError::fail("the consent was not read as sent")),
        }
        // An unknown field, or a text field that is not text, refuses the whole lead.
        let mut extra = obj.clone();
        extra.insert("price".into(), Value::from(1));
        prop_assert!(serde_json::from_str::<LeadRequest>(&Value::Object(extra).to_string()).is_err());
        let mut wrong = obj;
        wrong.insert("city".into(), Value::from(75));
        prop_assert!(serde_json::from_str::<LeadRequest>(&Value::Object(wrong).to_string()).is_err());
    }

    #[test]
    fn any_body_is_read_or_refused(value in json_value(), text in prop_oneof![any_text(300), text_of("{}[]\":,emails md5 null 1", 80)]) {
        let json = value.to_string();
        for body in [json.as_str(), text.as_str()] {
            let _ = serde_json::from_str::<CheckRequest>(body);
            let _ = serde_json::from_str::<LeadRequest>(body);
        }
        prop_assert!(serde_json::from_value::<CheckRequest>(value.clone()).is_ok() == serde_json::from_str::<CheckRequest>(&json).is_ok());
    }

    #[test]
    fn submitted_values_become_lowercase_hashes(
        hex32 in "[0-9a-fA-F]{32}", hex64 in "[0-9a-fA-F]{64}", email in valid_email(), pad in "[ \t]{0,2}"
    ) {
        let padded = |s: &str| format!("{pad}{s}{pad}");
        prop_assert_eq!(lookup_of("md5", &padded(&hex32)), Ok(Lookup::Md5(hex32.to_ascii_lowercase())));
        prop_assert_eq!(lookup_of("sha256", &padded(&hex64)), Ok(Lookup::Sha256(hex64.to_ascii_lowercase())));
        prop_assert_eq!(lookup_of("emails", &padded(&hex32)), Ok(Lookup::Md5(hex32.to_ascii_lowercase())));
        prop_assert_eq!(lookup_of("emails", &padded(&hex64)), Ok(Lookup::Sha256(hex64.to_ascii_lowercase())));
        let address = Email::parse(&email).map_err(TestCaseError::fail)?;
        prop_assert_eq!(
            lookup_of("emails", &padded(&email.to_uppercase())),
            Ok(Lookup::Address { md5: address.md5_hex(), sha256: address.sha256_hex() })
        );
        prop_assert!(lookup_of("md5", &hex64).is_err());
        prop_assert!(lookup_of("sha256", &hex32).is_err());
        prop_assert!(lookup_of("md5", &email).is_err());
    }

    #[test]
    fn any_value_in_any_list_is_a_hash_or_refused(
        list in prop::sample::select(["emails", "md5", "sha256", "phone", ""].to_vec()),
        value in prop_oneof![any_text(100), "[0-9a-fA-F \t]{30,66}", email_like()],
    ) {
        match lookup_of(list, &value) {
            Ok(Lookup::Md5(h)) => prop_assert!(h.len() == 32 && is_lower_hex(&h)),
            Ok(Lookup::Sha256(h)) => prop_assert!(h.len() == 64 && is_lower_hex(&h)),
            Ok(Lookup::Address { md5, sha256 }) => {
                prop_assert!(md5.len() == 32 && is_lower_hex(&md5) && sha256.len() == 64 && is_lower_hex(&sha256))
            }
            Err(why) => prop_assert!(!why.is_empty()),
        }
    }

    #[test]
    fn a_month_is_yyyy_mm_from_2000_to_2100(
        y in 1900i32..2200, m in 0u32..15, pad in "[ \t]{0,2}", raw in prop_oneof![any_text(12), "[0-9+ -]{5,9}"]
    ) {
        let expected = ((2000..=2100).contains(&y) && (1..=12).contains(&m)).then_some((y, m));
        prop_assert_eq!(parse_month(&format!("{pad}{y}-{m:02}{pad}")), expected);
        if let Some((y, m)) = parse_month(&raw) {
            prop_assert!((2000..=2100).contains(&y) && (1..=12).contains(&m));
            prop_assert_eq!(raw.trim().len(), 7);
        }
    }
}

#[test]
fn large_partner_bodies_are_read_quickly() {
    let emails = (0..40_000).map(|i| format!("\"p{i}@example.com\"")).collect::<Vec<_>>().join(",");
    let body = format!("{{\"emails\":[{emails}]}}");
    let request = quickly("40,000 emails", || serde_json::from_str::<CheckRequest>(&body)).expect("a check");
    assert_eq!(request.emails.map(|e| e.len()), Some(40_000));
    let deep = format!("{{\"emails\":{}", "[".repeat(100_000));
    assert!(quickly("100,000 nested arrays", || serde_json::from_str::<CheckRequest>(&deep)).is_err());
    let lead = format!("{{\"email\":\"a@b.co\",\"city\":\"{}\"}}", "x".repeat(1_000_000));
    assert!(quickly("a 1 MB lead", || serde_json::from_str::<LeadRequest>(&lead)).is_ok());
    let value = "f".repeat(1_000_000);
    assert!(quickly("a 1 MB value to look up", || lookup_of("emails", &value)).is_err());
}

// ---------------------------------------------------------------------------------
// Incentive codes.
// ---------------------------------------------------------------------------------

mod incentives {
    use super::*;
    use app::incentives::{IncentiveCode, ProgrammeForm, MAX_POOL};

    /// The rule, written again: 1 to 100 characters once trimmed, none a space or a
    /// control character.
    fn a_code(text: &str) -> Option<&str> {
        let code = text.trim();
        let fits = (1..=100).contains(&code.chars().count());
        (fits && !code.chars().any(|c| c.is_whitespace() || c.is_control())).then_some(code)
    }

    fn programme(codes: String) -> ProgrammeForm {
        ProgrammeForm {
            name: "Spring".into(),
            reward: "10% off".into(),
            threshold: "50".into(),
            codes,
            ..Default::default()
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn a_code_is_what_was_typed_trimmed_if_it_fits_the_rule(
            text in prop_oneof![any_text(150), text_of("AZ09-_ \t\r\n\u{0}é", 110), "[A-Z0-9-]{95,105}"]
        ) {
            let parsed = IncentiveCode::parse(&text);
            prop_assert_eq!(parsed.as_ref().ok().map(IncentiveCode::as_str), a_code(&text));
            if let Err(rule) = parsed {
                prop_assert_eq!(rule, IncentiveCode::RULE);
            }
        }

        #[test]
        fn a_pool_is_the_typed_codes_sorted_without_repeats(
            lines in prop::collection::vec(prop_oneof![
                4 => re("[ \t]{0,2}[A-Z0-9-]{1,20}[ \t\r]{0,2}"),
                1 => re("[ \t]{0,3}"),
                1 => any_text(30),
            ], 0..80)
        ) {
            let text = lines.join("\n");
            let codes: Option<Vec<&str>> = text.lines().filter(|l| !l.trim().is_empty()).map(a_code).collect();
            match (programme(text.clone()).validate(NOW), codes) {
                (Ok((incentive, pool)), Some(mut codes)) => {
                    codes.sort_unstable();
                    codes.dedup();
                    prop_assert_eq!(&pool, &codes);
                    let source = if pool.is_empty() { "generated" } else { "pool" };
                    prop_assert_eq!(incentive.code_source.as_str(), source);
                }
                (Err(errors), None) => prop_assert_eq!(errors.get("codes"), Some(IncentiveCode::RULE)),
                (got, codes) => {
                    return Err(TestCaseError::fail(format!("{text:?}: got {got:?}, the rule says {codes:?}")));
                }
            }
        }
    }

    #[test]
    fn large_pools_are_read_quickly() {
        let codes = (0..40_000).map(|i| format!("  C{:05}\r", 39_999 - i)).collect::<Vec<_>>().join("\n");
        let (_, pool) = quickly("40,000 codes", || programme(codes).validate(NOW)).expect("a pool");
        assert_eq!(pool.len(), 40_000);
        assert!(pool.windows(2).all(|w| w[0] < w[1]));
        let too_many = (0..=MAX_POOL).map(|i| format!("C{i}")).collect::<Vec<_>>().join("\n");
        let errors = quickly("one code over the pool", || programme(too_many).validate(NOW)).expect_err("too many");
        assert_eq!(errors.get("codes"), Some("At most 100000 codes at once."));
        assert!(quickly("a 1 MB code", || IncentiveCode::parse(&"C".repeat(1_000_000))).is_err());
    }
}

// ---------------------------------------------------------------------------------
// Behind `ssr`: signed tokens, idempotency keys, the events CSV, tracked URLs, client
// addresses and passwords.
// ---------------------------------------------------------------------------------

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;
    use app::auth::service::check_password_policy;
    use app::engagement::service::{parse_events_csv, trackable_url};
    use app::partners::service::{idempotency_key, ApiError};
    use app::platform::signing::{Purpose, Signer};
    use app::signup::service::network_of;

    const PURPOSES: [Purpose; 3] = [Purpose::Tracking, Purpose::Unsubscribe, Purpose::SignupTicket];
    const TOKEN_ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";

    type Payload = (i64, String);

    fn purpose() -> impl Strategy<Value = Purpose> {
        prop::sample::select(PURPOSES.to_vec())
    }

    fn payload() -> impl Strategy<Value = Payload> {
        (any::<i64>(), any_text(60))
    }

    /// A character for a token: mostly its own alphabet (the hard case), sometimes any.
    fn token_char() -> impl Strategy<Value = char> {
        prop_oneof![3 => prop::sample::select(TOKEN_ALPHABET.chars().collect::<Vec<_>>()), 1 => any::<char>()]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn a_token_verifies_for_its_purpose_and_type_only(
            secret in prop::array::uniform32(any::<u8>()), p in purpose(), value in payload()
        ) {
            let signer = Signer::new(secret.to_vec());
            let token = signer.sign(p, &value);
            prop_assert!(token.bytes().all(|b| TOKEN_ALPHABET.as_bytes().contains(&b)), "{token:?} is not URL-safe");
            prop_assert_eq!(token.matches('.').count(), 1);
            prop_assert_eq!(signer.verify::<Payload>(p, &token), Some(value.clone()));
            for other in PURPOSES {
                if other != p {
                    prop_assert!(signer.verify::<Payload>(other, &token).is_none(), "{other:?} took a {p:?} token");
                }
            }
            // A genuine token read as another type is refused, not a panic.
            prop_assert!(signer.verify::<String>(p, &token).is_none());
        }

        #[test]
        fn another_secret_refuses_the_token(
            a in prop::array::uniform32(any::<u8>()), b in prop::array::uniform32(any::<u8>()), p in purpose(), value in payload()
        ) {
            prop_assume!(a != b);
            let token = Signer::new(a.to_vec()).sign(p, &value);
            prop_assert!(Signer::new(b.to_vec()).verify::<Payload>(p, &token).is_none());
        }

        #[test]
        fn any_change_to_a_token_is_refused(
            secret in prop::array::uniform32(any::<u8>()),
            p in purpose(),
            value in payload(),
            at in any::<prop::sample::Index>(),
            replacement in token_char(),
            extra in token_char(),
            cut in any::<prop::sample::Index>(),
        ) {
            let signer = Signer::new(secret.to_vec());
            let token = signer.sign(p, &value);
            let chars: Vec<char> = token.chars().collect();
            let i = at.index(chars.len());
            let refused = |candidate: &[char]| signer.verify::<Payload>(p, &candidate.iter().collect::<String>()).is_none();
            if chars[i] != replacement {
                let mut changed = chars.clone();
                changed[i] = replacement;
                prop_assert!(refused(&changed[..]), "{replacement:?} at {i} of {token:?}");
            }
            let mut shorter = chars.clone();
            shorter.remove(i);
            prop_assert!(refused(&shorter[..]), "without {i} of {token:?}");
            let mut longer = chars.clone();
            longer.insert(at.index(chars.len() + 1), extra);
            prop_assert!(refused(&longer[..]), "{extra:?} added to {token:?}");
            prop_assert!(refused(&chars[..cut.index(chars.len())]), "{token:?} cut short");
        }

        #[test]
        fn random_text_is_never_a_token(
            p in purpose(),
            raw in prop_oneof![any_text(300), "[A-Za-z0-9_-]{0,120}\\.[A-Za-z0-9_-]{20,24}", text_of(TOKEN_ALPHABET, 80)]
        ) {
            let signer = Signer::new(vec![7u8; 32]);
            prop_assert!(signer.verify::<Payload>(p, &raw).is_none());
            prop_assert!(signer.verify::<Value>(p, &raw).is_none());
        }

        #[test]
        fn an_idempotency_key_is_one_to_two_hundred_visible_ascii_characters(
            raw in prop_oneof![any_text(250), "[!-~]{0,220}", "[ -~]{1,30}"]
        ) {
            let fits = !raw.is_empty() && raw.len() <= 200 && raw.bytes().all(|b| b.is_ascii_graphic());
            match idempotency_key(Some(raw.as_str())) {
                Ok(Some(key)) => prop_assert!(fits && key == raw),
                Ok(None) => return Err(TestCaseError::fail("a key sent is never taken for none")),
                Err(e) => prop_assert!(!fits && matches!(e, ApiError::Invalid(_))),
            }
            prop_assert_eq!(idempotency_key(None), Ok(None));
        }

        #[test]
        fn only_absolute_http_urls_are_tracked(
            url in prop_oneof![any_text(100), "[hH][tT][tT][pP][sS]?:/{0,3}[a-z0-9./?=&%#:@ \t-]{0,60}"]
        ) {
            if trackable_url(&url) {
                let lower = url.to_ascii_lowercase();
                prop_assert!(lower.starts_with("http://") || lower.starts_with("https://"));
                prop_assert!(url.len() <= 2000 && !url.chars().any(|c| c.is_whitespace() || c.is_control()));
            }
        }

        #[test]
        fn rate_limits_count_an_ipv4_address_or_an_ipv6_64(v4 in any::<u32>(), v6 in any::<u128>(), raw in any_text(60)) {
            let address = std::net::Ipv4Addr::from(v4).to_string();
            prop_assert_eq!(network_of(&address), address.clone());
            let address = std::net::Ipv6Addr::from(v6);
            let network = network_of(&address.to_string());
            match address.to_ipv4_mapped() {
                Some(v4) => prop_assert_eq!(network, v4.to_string()),
                None => {
                    let prefix: std::net::Ipv6Addr = network
                        .strip_suffix("/64")
                        .and_then(|p| p.parse().ok())
                        .ok_or_else(|| TestCaseError::fail(format!("{network:?} is not a /64")))?;
                    let (got, sent) = (prefix.segments(), address.segments());
                    prop_assert_eq!(&got[..4], &sent[..4]);
                    prop_assert_eq!(&got[4..], &[0u16; 4][..]);
                }
            }
            // Whatever a proxy wrote, it is counted as itself.
            if raw.parse::<std::net::IpAddr>().is_err() {
                prop_assert_eq!(network_of(&raw), raw.clone());
            }
        }

        #[test]
        fn the_password_policy_reads_any_text(password in any_text(200), email in prop_oneof![valid_email(), any_text(40)]) {
            if check_password_policy(&password, &email).is_ok() {
                prop_assert!((10..=128).contains(&password.chars().count()));
            }
        }
    }

    #[test]
    fn large_tokens_and_keys_are_refused_quickly() {
        let signer = Signer::new(vec![7u8; 32]);
        let token = format!("{}.{}", "A".repeat(1_000_000), "A".repeat(22));
        assert!(quickly("a 1 MB token", || signer.verify::<Payload>(Purpose::Tracking, &token)).is_none());
        let dots = ".".repeat(1_000_000);
        assert!(quickly("1 MB of dots", || signer.verify::<Payload>(Purpose::SignupTicket, &dots)).is_none());
        let key = "k".repeat(1_000_000);
        assert!(quickly("a 1 MB idempotency key", || idempotency_key(Some(key.as_str()))).is_err());
        let password = "p".repeat(1_000_000);
        assert!(quickly("a 1 MB password", || check_password_policy(&password, &password)).is_err());
        assert!(!quickly("a 1 MB URL", || trackable_url(&format!("https://{password}"))));
    }

    // -----------------------------------------------------------------------------
    // The events CSV (staff's import).
    // -----------------------------------------------------------------------------

    const CSV_COLUMNS: [&str; 5] = ["email", "contact_id", "type", "occurred_at", "campaign"];

    /// A CSV cell: quoted when it must be.
    fn csv_cell(s: &str) -> String {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    }

    fn csv_line<S: AsRef<str>>(cells: &[S]) -> String {
        cells.iter().map(|c| csv_cell(c.as_ref())).collect::<Vec<_>>().join(",")
    }

    /// One good event, as a row: (email or id, kind, instant and offset, campaign).
    fn good_row() -> impl Strategy<Value = (Result<String, i64>, EventKind, (i64, i32), String)> {
        (
            prop_oneof![
                (re("[ \t]{0,2}"), valid_email(), any::<bool>()).prop_map(|(pad, e, upper)| {
                    Ok::<String, i64>(format!("{pad}{}{pad}", if upper { e.to_uppercase() } else { e }))
                }),
                (1i64..=i64::MAX).prop_map(Err::<String, i64>),
            ],
            prop::sample::select(EventKind::ALL.to_vec()),
            event_instant(),
            text_of("ab Z09,;\"'é_\t-", 30),
        )
    }

    fn csv_cell_text() -> impl Strategy<Value = String> {
        prop_oneof![
            valid_email(),
            prop::sample::select(EventKind::ALL.to_vec()).prop_map(|k| k.as_str().to_string()),
            event_instant().prop_map(|(t, offset)| rfc3339(t, offset)),
            re("-?[0-9]{1,20}(\\.[0-9])?"),
            any_text(20),
            Just(String::new()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn a_well_formed_csv_is_read_event_for_event(
            columns in Just(CSV_COLUMNS.to_vec()).prop_shuffle(),
            rows in prop::collection::vec(good_row(), 1..60),
            crlf in any::<bool>(),
        ) {
            let mut lines = vec![csv_line(&columns)];
            let mut expected = Vec::new();
            for (target, kind, (t, offset), campaign) in &rows {
                let when = rfc3339(*t, *offset);
                let cells: Vec<String> = columns
                    .iter()
                    .map(|c| match (*c, target) {
                        ("email", Ok(email)) => email.clone(),
                        ("contact_id", Err(id)) => id.to_string(),
                        ("type", _) => kind.as_str().to_string(),
                        ("occurred_at", _) => when.clone(),
                        ("campaign", _) => campaign.clone(),
                        _ => String::new(),
                    })
                    .collect();
                lines.push(csv_line(&cells));
                expected.push(ValidEvent {
                    target: match target {
                        Ok(email) => EventTarget::Email(Email::parse(email).map_err(TestCaseError::fail)?),
                        Err(id) => EventTarget::ContactId(ContactId(*id)),
                    },
                    kind: *kind,
                    occurred_at: Timestamp(*t),
                    campaign: campaign.trim().to_string(),
                    meta: String::new(),
                });
            }
            let text = lines.join(if crlf { "\r\n" } else { "\n" });
            prop_assert_eq!(parse_events_csv(&text, NOW), Ok(expected));
        }

        #[test]
        fn any_csv_is_read_whole_or_refused_with_reasons(
            columns in (prop::sample::subsequence(CSV_COLUMNS.to_vec(), 0..=5).prop_shuffle(), prop::option::of("[a-z]{1,6}")),
            rows in prop::collection::vec(prop::collection::vec(csv_cell_text(), 0..7), 0..30),
        ) {
            let (known, extra) = columns;
            let header: Vec<String> = known.iter().map(|c| c.to_string()).chain(extra).collect();
            let known_only = header.iter().all(|h| CSV_COLUMNS.contains(&h.as_str()));
            let named = |column: &str| header.iter().any(|h| h.as_str() == column);
            let required = named("type") && named("occurred_at");
            let mut lines = vec![csv_line(&header)];
            lines.extend(rows.iter().map(|cells| csv_line(cells)));
            let text = lines.join("\n");
            match parse_events_csv(&text, NOW) {
                Ok(events) => {
                    prop_assert!(known_only && required && !events.is_empty() && events.len() <= rows.len());
                    for e in &events {
                        prop_assert!((EARLIEST_EVENT..=NOW + MAX_CLOCK_AHEAD_SECS).contains(&e.occurred_at));
                        prop_assert_eq!(e.campaign.trim(), e.campaign.as_str());
                    }
                }
                Err(errors) => {
                    prop_assert!(!errors.is_empty() && errors.iter().all(|e| !e.is_empty()));
                    if known_only && required {
                        prop_assert!(errors.len() <= 51, "{} errors", errors.len());
                    }
                }
            }
        }

        #[test]
        fn any_text_is_read_as_an_events_csv_or_refused(text in prop_oneof![
            any_text(3_000),
            text_of("email,contact_id,type,occurred_at\n\r\" open2026-11T:Z", 2_000),
        ]) {
            match parse_events_csv(&text, NOW) {
                Ok(events) => prop_assert!(!events.is_empty()),
                Err(errors) => prop_assert!(!errors.is_empty()),
            }
        }
    }

    #[test]
    fn large_csvs_are_read_quickly() {
        let mut text = String::from("email,type,occurred_at,campaign\n");
        for i in 0..10_000 {
            text.push_str(&format!("p{i}@example.com,click,2026-11-01T10:00:00Z,\"Sale, {i}\"\n"));
        }
        let events = quickly("10,000 events", || parse_events_csv(&text, NOW)).expect("all good");
        assert_eq!(events.len(), 10_000);
        let bad = format!("contact_id,type,occurred_at\n{}", "x,open,2026-11-01T10:00:00Z\n".repeat(10_000));
        let errors = quickly("10,000 bad lines", || parse_events_csv(&bad, NOW)).expect_err("all bad");
        assert_eq!(errors.len(), 51, "50 listed, then a note");
        let long = format!("email,type,occurred_at\n{}", "x".repeat(1_000_000));
        assert!(quickly("a 1 MB line", || parse_events_csv(&long, NOW)).is_err());
        let wide = "email,".repeat(100_000);
        assert!(quickly("100,000 columns", || parse_events_csv(&wide, NOW)).is_err());
    }

    #[test]
    fn csv_problems_are_capped_even_when_lines_have_the_wrong_number_of_cells() {
        let bad = format!("contact_id,type,occurred_at\n{}", "1,open\n".repeat(10_000));
        let errors = quickly("10,000 short lines", || parse_events_csv(&bad, NOW)).expect_err("all bad");
        assert!(errors.len() <= 51, "{} problems listed", errors.len());
    }
}
