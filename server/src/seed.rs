//! Realistic generated contacts: several acquisition channels, subscriptions with consent
//! evidence, and interactions spread over two years. Used by the demo and benchmarks.

use app::engagement::MonthCounts;
use app::model::contact::ConsentEvidence;
use app::model::engagement::EngagementSettings;
use app::model::events::EventKind;
use app::model::{Channel, ContactFields, Email, SubscriptionState, Timestamp};
use app::store::{BulkActivity, BulkContact, Store, StoreError};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::time::Instant;

const FIRST: &[&str] = &[
    "Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Emma", "Louise", "Jade", "Alice", "Lucas", "Hugo", "Louis",
    "Gabriel", "Arthur", "Jules", "Adam", "Raphaël", "Nathan", "Paul", "Marie", "Julie", "Thomas", "Nicolas", "Sophie",
    "Antoine", "Claire", "Pierre", "Anne", "Olivier", "Amina", "Yanis", "Mei", "Sofia", "Noah", "Mila", "Elena",
    "Omar",
];
const LAST: &[&str] = &[
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon",
    "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard",
    "Andre", "Mercier", "Dupont", "Lambert", "Bonnet", "Francois", "Martinez", "Legrand", "Nguyen", "Haddad", "Rossi",
];
const DOMAINS: &[&str] = &["example.com", "example.fr", "example.org", "mail.example", "example.net", "example.co.uk"];
const CITIES: &[(&str, &str)] = &[
    ("Paris", "75011"),
    ("Lyon", "69003"),
    ("Marseille", "13006"),
    ("Toulouse", "31000"),
    ("Nantes", "44000"),
    ("Lille", "59000"),
    ("Bordeaux", "33000"),
    ("Strasbourg", "67000"),
    ("Rennes", "35000"),
    ("Nice", "06000"),
];
const INTERESTS: &[&str] =
    &["running", "cooking", "travel", "books", "gardening", "tea", "cycling", "design", "wine", "yoga", "music"];
const JOBS: &[&str] =
    &["", "", "Buyer", "Marketing manager", "Engineer", "Teacher", "Nurse", "Shop owner", "Designer", "Accountant"];
const COMPANIES: &[&str] =
    &["", "", "", "Acme SA", "Boulangerie Roux", "Studio Nord", "Atelier Bleu", "Transports Morel"];

/// Channel mix (weight in %), source detail, and the share of contacts that ever
/// engage: co-registration leads and trade-show sign-ups produce the most inactives.
const CHANNELS: &[(Channel, u32, &str, u32)] = &[
    (Channel::Web, 40, "Newsletter footer form v3", 85),
    (Channel::PointOfSale, 18, "Shop Lyon Part-Dieu", 80),
    (Channel::CallCentre, 10, "Inbound order line", 72),
    (Channel::OrderForm, 8, "Spring catalogue 2025", 75),
    (Channel::Event, 9, "Salon Maison & Objet", 50),
    (Channel::Partner, 10, "LeadCo co-registration", 40),
    (Channel::Import, 5, "Legacy CRM import", 60),
];

/// What engagers do, by weight.
const EVENT_MIX: &[EventKind] = &[
    EventKind::Open,
    EventKind::Open,
    EventKind::Open,
    EventKind::Open,
    EventKind::Open,
    EventKind::Open,
    EventKind::Click,
    EventKind::Click,
    EventKind::Click,
    EventKind::Click,
    EventKind::Visit,
    EventKind::Visit,
    EventKind::Visit,
    EventKind::Purchase,
    EventKind::Purchase,
    EventKind::FormSubmission,
    EventKind::ProfileUpdate,
    EventKind::Reply,
];

pub const NEWSLETTERS: &[(&str, &str)] = &[
    ("Weekly news", "Stories and new arrivals, every Thursday"),
    ("Offers", "Promotions and private sales"),
    ("Product updates", "Restocks and launches"),
];

fn pick<'a, T>(rng: &mut StdRng, list: &'a [T]) -> &'a T {
    &list[rng.gen_range(0..list.len())]
}

fn ascii(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' => 'e',
            'ë' => 'e',
            'ç' => 'c',
            'à' => 'a',
            'ï' => 'i',
            c => c,
        })
        .collect::<String>()
        .to_lowercase()
}

/// One generated contact; `n` makes the address unique.
pub fn contact(
    rng: &mut StdRng,
    n: u64,
    newsletters: &[app::model::NewsletterId],
    now: app::model::Timestamp,
    events_per_contact: f64,
) -> BulkContact {
    let first = *pick(rng, FIRST);
    let last = *pick(rng, LAST);
    let email = Email::parse(&format!("{}.{}.{n}@{}", ascii(first), ascii(last), pick(rng, DOMAINS)))
        .expect("generated email is valid");
    let roll = rng.gen_range(0..100);
    let mut acc = 0;
    let (channel, _, source, _) = CHANNELS
        .iter()
        .find(|(_, w, _, _)| {
            acc += w;
            roll < acc
        })
        .copied()
        .unwrap_or(CHANNELS[0]);
    let two_years = 730 * 86_400;
    let created_at = now - rng.gen_range(0..two_years);
    let (city, postal) = *pick(rng, CITIES);
    let today = Utc::now().date_naive();
    let birth_date = (rng.gen_range(0..3) > 0)
        .then(|| today - Duration::days(rng.gen_range(18 * 365..75 * 365)))
        .and_then(|d| NaiveDate::from_ymd_opt(chrono::Datelike::year(&d), chrono::Datelike::month(&d), 1));
    let mut interests: Vec<String> = (0..rng.gen_range(0..4)).map(|_| pick(rng, INTERESTS).to_string()).collect();
    interests.sort();
    interests.dedup();

    // Interactions: how likely a contact is to engage depends on where it came from
    // (the dashboard's "which sources produce inactives"); engagers stay active for a
    // while and many then go quiet; some only ever "open" (privacy proxies), so they
    // count as engaged only when opens count.
    let mut activities = Vec::new();
    let mut purchases = 0;
    let mut spent = 0;
    let mut last_purchase = None;
    let quality = CHANNELS.iter().find(|c| c.0 == channel).map(|c| c.3).unwrap_or(70);
    if rng.gen_range(0..100) < quality && events_per_contact > 0.0 {
        let life = (now - created_at).max(1);
        let active_until = if rng.gen_range(0..100) < 45 { now } else { created_at + rng.gen_range(0..=life) };
        let mean = events_per_contact * 100.0 / quality as f64;
        let count = rng.gen_range(1..=((2.0 * mean - 1.0).round() as i64).max(1));
        let opens_only = rng.gen_range(0..100) < 12;
        for _ in 0..count {
            let at = Timestamp(rng.gen_range(created_at.0..=active_until.max(created_at).0));
            let kind = if opens_only { EventKind::Open } else { *pick(rng, EVENT_MIX) };
            if kind == EventKind::Purchase {
                purchases += 1;
                spent += rng.gen_range(1500..25000);
                last_purchase = last_purchase.max(Some(at));
            }
            activities.push(BulkActivity { kind, at, detail: String::new() });
        }
    }
    // A few addresses bounce hard or complain: suppressed, unsubscribed everywhere.
    let roll = rng.gen_range(0..1000);
    let suppressed = (roll < 25).then_some(if roll < 20 { EventKind::HardBounce } else { EventKind::Complaint });
    if let Some(kind) = suppressed {
        let at = Timestamp(rng.gen_range(created_at.0..=now.0));
        activities.push(BulkActivity { kind, at, detail: String::new() });
    }
    let consent = ConsentEvidence {
        at: created_at,
        channel: channel.as_str().to_string(),
        form: source.to_string(),
        text: "I agree to receive news and offers by email. I can unsubscribe at any time.".into(),
    };
    // About one in twelve leave every newsletter at some point (the attrition chart).
    let quit_at =
        (suppressed.is_none() && rng.gen_range(0..100) < 8).then(|| Timestamp(rng.gen_range(created_at.0..=now.0)));
    if let Some(at) = quit_at {
        activities.push(BulkActivity { kind: EventKind::Unsubscribe, at, detail: String::new() });
    }
    let mut subscriptions = Vec::new();
    for id in newsletters {
        if rng.gen_range(0..3) > 0 {
            let state = if suppressed.is_some() || quit_at.is_some() || rng.gen_range(0..100) < 12 {
                SubscriptionState::Unsubscribed
            } else {
                SubscriptionState::Subscribed
            };
            let evidence = match quit_at {
                Some(at) => {
                    ConsentEvidence { at, text: "Unsubscribed from every newsletter.".into(), ..consent.clone() }
                }
                None => consent.clone(),
            };
            subscriptions.push(app::store::BulkSubscription { newsletter_id: *id, state, consent: evidence });
        }
    }
    let mut custom = BTreeMap::new();
    if rng.gen_range(0..4) == 0 {
        custom.insert("loyalty".to_string(), pick(rng, &["bronze", "silver", "gold"]).to_string());
    }
    BulkContact {
        fields: ContactFields {
            email,
            first_name: first.to_string(),
            last_name: last.to_string(),
            phone: if rng.gen_range(0..2) == 0 {
                format!(
                    "+33 6 {:02} {:02} {:02} {:02}",
                    rng.gen_range(0..100),
                    rng.gen_range(0..100),
                    rng.gen_range(0..100),
                    rng.gen_range(0..100)
                )
            } else {
                String::new()
            },
            birth_date,
            job_title: pick(rng, JOBS).to_string(),
            company: pick(rng, COMPANIES).to_string(),
            address_line1: if rng.gen_range(0..2) == 0 {
                format!("{} rue {}", rng.gen_range(1..120), pick(rng, LAST))
            } else {
                String::new()
            },
            address_line2: String::new(),
            postal_code: postal.to_string(),
            city: city.to_string(),
            country: "France".to_string(),
            interests,
            last_purchase_on: last_purchase.map(Timestamp::date),
            total_spent_cents: spent,
            custom,
            channel,
            source_detail: source.to_string(),
        },
        created_at,
        purchase_count: purchases,
        subscriptions,
        activities,
    }
}

pub struct SeedReport {
    pub inserted: u64,
    pub seconds: f64,
    pub events: u64,
}

/// The month-end snapshots Carnet would have taken while the generated history
/// unfolded: for each of the 23 months before this one, the contacts per status at
/// its last second, under the default settings.
struct History {
    months: Vec<(String, Timestamp)>,
    counts: Vec<[i64; 5]>,
    settings: EngagementSettings,
}

impl History {
    fn new(now: app::model::Timestamp) -> History {
        let today = now.date();
        let mut start = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
        let mut months = Vec::new();
        for _ in 0..23 {
            let end = start.and_hms_opt(0, 0, 0).map(|t| Timestamp::from(t.and_utc())).unwrap_or_default() - 1;
            start = start - chrono::Months::new(1);
            months.push((start.format("%Y-%m").to_string(), end));
        }
        months.reverse();
        let counts = vec![[0; 5]; months.len()];
        History { months, counts, settings: EngagementSettings::default() }
    }

    fn add(&mut self, c: &BulkContact) {
        let opens = self.settings.opens_count;
        for (i, (_, end)) in self.months.iter().enumerate() {
            if c.created_at > *end {
                continue;
            }
            let last = c
                .activities
                .iter()
                .filter(|a| (if opens { a.kind.is_interaction() } else { a.kind.is_signal() }) && a.at <= *end)
                .map(|a| a.at)
                .max();
            let status = self.settings.bounds(*end).status(last, c.created_at);
            self.counts[i][status.index()] += 1;
        }
    }

    async fn save(self, store: &dyn Store, now: app::model::Timestamp) -> Result<(), StoreError> {
        for ((month, _), counts) in self.months.into_iter().zip(self.counts) {
            store.put_engagement_month(&MonthCounts { month, counts }, now).await?;
        }
        Ok(())
    }
}

/// Generates `count` contacts in batches; `progress` hears after every batch. Each
/// contact gets `events_per_contact` interactions on average. Seeding an empty base
/// also writes the past months' snapshots, so the trend chart has a history.
pub async fn seed(
    store: &dyn Store,
    count: u64,
    seed: u64,
    events_per_contact: f64,
    mut progress: impl FnMut(u64),
) -> Result<SeedReport, StoreError> {
    let started = Instant::now();
    let mut newsletters = Vec::new();
    for (name, description) in NEWSLETTERS {
        newsletters.push(store.ensure_newsletter(name, description).await?);
    }
    // Numbering continues after what is there, so a second seed adds new addresses.
    let offset = store.count_contacts().await? as u64;
    let mut rng = StdRng::seed_from_u64(seed ^ offset);
    // Loading more than the table holds: build the indexes once at the end.
    let bulk = count >= 50_000 && count >= offset;
    if bulk {
        store.begin_bulk_load(false).await?;
    }
    let now = Timestamp::from(Utc::now());
    let mut history = (offset == 0).then(|| History::new(now));
    let batch_size = 10_000;
    let mut inserted = 0;
    let mut events = 0;
    let mut n = 0;
    while n < count {
        let size = batch_size.min(count - n);
        let batch: Vec<BulkContact> =
            (0..size).map(|i| contact(&mut rng, offset + n + i, &newsletters, now, events_per_contact)).collect();
        if let Some(h) = history.as_mut() {
            batch.iter().for_each(|c| h.add(c));
        }
        events += batch.iter().map(|c| c.activities.len() as u64).sum::<u64>();
        inserted += store.insert_contacts_bulk(&batch).await?;
        n += size;
        progress(n);
    }
    if bulk {
        store.ensure_indexes().await?;
    }
    if let Some(h) = history {
        h.save(store, now).await?;
    }
    Ok(SeedReport { inserted, seconds: started.elapsed().as_secs_f64(), events })
}
