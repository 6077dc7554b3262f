//! Realistic generated contacts: several acquisition channels, subscriptions with consent
//! evidence, and interactions spread over two years. Used by the demo and benchmarks.

use app::model::contact::ConsentEvidence;
use app::model::{Channel, ContactFields, Email, SubscriptionState};
use app::store::{BulkContact, Store, StoreError};
use chrono::{Duration, NaiveDate, Utc};
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

/// Channel mix: most contacts come from the web, the rest from every other channel.
const CHANNELS: &[(Channel, u32, &str)] = &[
    (Channel::Web, 40, "Newsletter footer form v3"),
    (Channel::PointOfSale, 18, "Shop Lyon Part-Dieu"),
    (Channel::CallCentre, 10, "Inbound order line"),
    (Channel::OrderForm, 8, "Spring catalogue 2025"),
    (Channel::Event, 9, "Salon Maison & Objet"),
    (Channel::Partner, 10, "LeadCo co-registration"),
    (Channel::Import, 5, "Legacy CRM import"),
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
pub fn contact(rng: &mut StdRng, n: u64, newsletters: &[i64], now: i64) -> BulkContact {
    let first = *pick(rng, FIRST);
    let last = *pick(rng, LAST);
    let email = Email::parse(&format!("{}.{}.{n}@{}", ascii(first), ascii(last), pick(rng, DOMAINS)))
        .expect("generated email is valid");
    let roll = rng.gen_range(0..100);
    let mut acc = 0;
    let (channel, _, source) = CHANNELS
        .iter()
        .find(|(_, w, _)| {
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

    // Interactions: a share of contacts never engage; the others engage for a while and
    // then, for many, go quiet — which is what the engagement dashboards show.
    let mut activities = Vec::new();
    let mut last_interaction_at = None;
    let mut purchases = 0;
    let mut spent = 0;
    let mut last_purchase = None;
    if rng.gen_range(0..100) >= 18 {
        let active_until = created_at + rng.gen_range(0..=(now - created_at).max(1));
        let count = rng.gen_range(1..4);
        for _ in 0..count {
            let at = rng.gen_range(created_at..=active_until.max(created_at));
            let kind = *pick(rng, &["open", "open", "click", "visit", "purchase"]);
            if kind == "purchase" {
                purchases += 1;
                spent += rng.gen_range(1500..25000);
                last_purchase = last_purchase.max(Some(at));
            }
            activities.push((kind.to_string(), true, at, format!("{kind} (generated)")));
            last_interaction_at = last_interaction_at.max(Some(at));
        }
    }
    let consent = ConsentEvidence {
        at: created_at,
        channel: channel.as_str().to_string(),
        form: source.to_string(),
        text: "I agree to receive news and offers by email. I can unsubscribe at any time.".into(),
    };
    let mut subscriptions = Vec::new();
    for id in newsletters {
        if rng.gen_range(0..3) > 0 {
            let state = if rng.gen_range(0..100) < 12 {
                SubscriptionState::Unsubscribed
            } else {
                SubscriptionState::Subscribed
            };
            subscriptions.push((*id, state, consent.clone()));
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
            last_purchase_on: last_purchase
                .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                .map(|d| d.date_naive()),
            total_spent_cents: spent,
            custom,
            channel,
            source_detail: source.to_string(),
        },
        created_at,
        last_interaction_at,
        purchase_count: purchases,
        subscriptions,
        activities,
    }
}

pub struct SeedReport {
    pub inserted: u64,
    pub seconds: f64,
}

/// Generates `count` contacts in batches; `progress` hears after every batch.
pub async fn seed(
    store: &dyn Store,
    count: u64,
    seed: u64,
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
        store.begin_bulk_load().await?;
    }
    let now = Utc::now().timestamp();
    let batch_size = 10_000;
    let mut inserted = 0;
    let mut n = 0;
    while n < count {
        let size = batch_size.min(count - n);
        let batch: Vec<BulkContact> = (0..size).map(|i| contact(&mut rng, offset + n + i, &newsletters, now)).collect();
        inserted += store.insert_contacts_bulk(&batch).await?;
        n += size;
        progress(n);
    }
    if bulk {
        store.ensure_indexes().await?;
    }
    Ok(SeedReport { inserted, seconds: started.elapsed().as_secs_f64() })
}
