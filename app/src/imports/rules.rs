//! What a contact import does with each row, as pure rules: the choices staff make
//! (`ContactImportSettings`), a file's row made into a contact (`read_row`), and what
//! becomes of a contact already known (`decide`). The engine reads and writes; every
//! rule is here, tested without a file or a database.

use super::mapping::{Mapping, Target};
use super::values;
use crate::model::contact::Channel;
use crate::model::{ContactFields, ContactForm, FieldErrors, NewsletterId, Timestamp};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// What to do with a row whose address is already a contact.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnExisting {
    /// Leave the contact as it is.
    #[default]
    Skip,
    /// Fill in the contact's empty fields only.
    Fill,
    /// Replace its fields with the file's (an empty cell never erases anything).
    Overwrite,
}

impl OnExisting {
    pub const ALL: [OnExisting; 3] = [OnExisting::Skip, OnExisting::Fill, OnExisting::Overwrite];
    pub fn as_str(self) -> &'static str {
        match self {
            OnExisting::Skip => "skip",
            OnExisting::Fill => "fill",
            OnExisting::Overwrite => "overwrite",
        }
    }
    pub fn parse(s: &str) -> Option<OnExisting> {
        Self::ALL.into_iter().find(|o| o.as_str() == s.trim())
    }
    pub fn label(self) -> &'static str {
        match self {
            OnExisting::Skip => "Leave them as they are",
            OnExisting::Fill => "Fill in their empty fields only",
            OnExisting::Overwrite => "Replace their fields with the file's",
        }
    }
}

/// The subscription each imported row gets, with the evidence of the person's consent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConsentChoice {
    pub newsletter_id: NewsletterId,
    /// The words the person agreed to.
    pub text: String,
    /// When, for every row; `None`: from the file's consent-date column.
    pub date: Option<Timestamp>,
    /// Where it was given (the old site's form, a shop's paper form…).
    pub place: String,
}

/// Everything an import of contacts is told, fixed when it starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContactImportSettings {
    pub encoding: super::sniff::Encoding,
    pub separator: u8,
    pub mapping: Mapping,
    /// The channel of rows without one of their own (no channel column, or an empty cell).
    pub channel: Channel,
    /// The source detail of rows without one of their own.
    pub source_detail: String,
    pub on_existing: OnExisting,
    pub consent: Option<ConsentChoice>,
    /// The day the import started: dates after it are refused, the same on a resumed run.
    pub today: NaiveDate,
}

impl ContactImportSettings {
    /// Every problem with the choices, before anything is read.
    pub fn check(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::default();
        if let Err(message) = self.mapping.check() {
            errors.add("mapping", message);
        }
        if self.source_detail.trim().chars().count() > 200 {
            errors.add("source_detail", "Keep the source under 200 characters.");
        }
        if let Some(consent) = &self.consent {
            let text = consent.text.trim();
            if text.is_empty() {
                errors.add("consent_text", "Give the words the people agreed to: a subscription needs its evidence.");
            } else if text.chars().count() > 2000 {
                errors.add("consent_text", "Keep the consent text under 2,000 characters.");
            }
            if consent.place.trim().chars().count() > 200 {
                errors.add("consent_place", "Keep where consent was given under 200 characters.");
            }
            match consent.date {
                None if self.mapping.column_of(&Target::ConsentDate).is_none() => {
                    errors.add("consent_date", "Give the date consent was given, or map the column that holds it.")
                }
                Some(at) if at.date() > self.today => {
                    errors.add("consent_date", "The consent date cannot be in the future.")
                }
                _ => {}
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// What an import did, row by row. Every row of the file is in exactly one count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImportCounts {
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    /// A row whose address an earlier row of the file had.
    pub duplicates: i64,
    /// Suppressed or erased addresses (by their hash), never created again.
    pub suppressed: i64,
    pub refused: i64,
}

impl ImportCounts {
    pub fn add(&mut self, other: &ImportCounts) {
        self.created += other.created;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.duplicates += other.duplicates;
        self.suppressed += other.suppressed;
        self.refused += other.refused;
    }

    pub fn rows(&self) -> i64 {
        self.created + self.updated + self.unchanged + self.duplicates + self.suppressed + self.refused
    }

    /// One `name: N` per count, as the command line prints them.
    pub fn lines(&self) -> [(&'static str, i64); 6] {
        [
            ("created", self.created),
            ("updated", self.updated),
            ("unchanged", self.unchanged),
            ("duplicates", self.duplicates),
            ("suppressed", self.suppressed),
            ("refused", self.refused),
        ]
    }

    pub fn summary(&self) -> String {
        self.lines().iter().map(|(name, n)| format!("{name}: {n}")).collect::<Vec<_>>().join(", ")
    }
}

/// A row made into a contact.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadRow {
    pub fields: ContactFields,
    /// When the person consented (with a subscription to record).
    pub consent_at: Option<Timestamp>,
}

/// Makes one row of the file into a contact, or says why not, naming the file's
/// column. `cells` are the row's values in column order (missing ones are empty).
pub fn read_row(cells: &[&str], headers: &[String], settings: &ContactImportSettings) -> Result<ReadRow, String> {
    let mut form = ContactForm::default();
    let mut problems: Vec<String> = Vec::new();
    let mut custom: Vec<String> = Vec::new();
    let mut channel = None;
    let mut consent_cell = None;
    for (i, target) in settings.mapping.columns.iter().enumerate() {
        let cell = cells.get(i).copied().unwrap_or("").trim();
        let header = headers.get(i).map(String::as_str).unwrap_or("");
        let mut normalized = |f: fn(&str) -> Result<String, &'static str>, slot: &mut String| match f(cell) {
            Ok(v) => *slot = v,
            Err(message) => problems.push(format!("{header}: {message}")),
        };
        match target {
            Target::Ignore => {}
            Target::Email => form.email = cell.to_string(),
            Target::FirstName => form.first_name = cell.to_string(),
            Target::LastName => form.last_name = cell.to_string(),
            Target::Phone => form.phone = cell.to_string(),
            Target::BirthDate => normalized(values::normalize_date, &mut form.birth_date),
            Target::JobTitle => form.job_title = cell.to_string(),
            Target::Company => form.company = cell.to_string(),
            Target::AddressLine1 => form.address_line1 = cell.to_string(),
            Target::AddressLine2 => form.address_line2 = cell.to_string(),
            Target::PostalCode => form.postal_code = cell.to_string(),
            Target::City => form.city = cell.to_string(),
            Target::Country => form.country = cell.to_string(),
            Target::Interests => form.interests = values::join_interests(cell),
            Target::LastPurchaseOn => normalized(values::normalize_date, &mut form.last_purchase_on),
            Target::TotalSpent => normalized(values::normalize_amount, &mut form.total_spent),
            Target::Channel if cell.is_empty() => {}
            Target::Channel => match values::parse_channel(cell) {
                Some(c) => channel = Some(c),
                None => problems.push(format!("{header}: “{}” is not a channel Carnet knows.", short(cell))),
            },
            Target::SourceDetail => form.source_detail = cell.to_string(),
            Target::ConsentDate => consent_cell = Some((header, cell)),
            Target::Custom(_) if cell.is_empty() => {}
            Target::Custom(name) => custom.push(format!("{name}: {}", values::one_line(cell))),
        }
    }
    form.custom = custom.join("\n");
    form.channel = channel.unwrap_or(settings.channel).as_str().to_string();
    if form.source_detail.is_empty() {
        form.source_detail = settings.source_detail.trim().to_string();
    }
    let consent_at = match &settings.consent {
        None => None,
        Some(ConsentChoice { date: Some(at), .. }) => Some(*at),
        Some(ConsentChoice { date: None, .. }) => {
            let (header, cell) = consent_cell.unwrap_or(("consent date", ""));
            match values::parse_instant(cell) {
                Ok(at) if at.date() > settings.today => {
                    problems.push(format!("{header}: the consent date cannot be in the future."));
                    None
                }
                Ok(at) => Some(at),
                Err(message) => {
                    problems.push(format!("{header}: {message} A subscription needs the date consent was given."));
                    None
                }
            }
        }
    };
    let fields = form.validate(settings.today).map_err(|errors| {
        for e in errors.0 {
            let header = Target::parse(&e.field)
                .and_then(|t| settings.mapping.column_of(&t))
                .and_then(|i| headers.get(i))
                .map(String::as_str)
                .unwrap_or(e.field.as_str());
            problems.push(format!("{header}: {}", e.message));
        }
    });
    match fields {
        Ok(fields) if problems.is_empty() => Ok(ReadRow { fields, consent_at }),
        _ => Err(problems.join(" ")),
    }
}

/// A cell quoted in a message, cut short.
fn short(cell: &str) -> String {
    let mut s: String = cell.chars().take(40).collect();
    if s.len() < cell.len() {
        s.push('…');
    }
    s
}

/// A known contact an imported row may change.
#[derive(Clone, Debug, PartialEq)]
pub struct Known {
    pub fields: ContactFields,
    /// Suppressed (hard bounce, complaint, by staff) or erased: never written by an import.
    pub suppressed: bool,
    /// Has a subscription (in any state) to the import's newsletter: an unsubscription
    /// is never undone by an old file.
    pub has_subscription: bool,
}

/// What becomes of a row's contact.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    Create,
    /// The contact's new fields (`None`: they stay) and whether to add the subscription.
    Update {
        fields: Option<Box<ContactFields>>,
        subscribe: bool,
    },
    Unchanged,
    Suppressed,
}

/// Decides what a row does to the contact already known by its address (if any).
pub fn decide(row: &ContactFields, known: Option<&Known>, settings: &ContactImportSettings) -> Decision {
    let Some(known) = known else {
        return Decision::Create;
    };
    if known.suppressed {
        return Decision::Suppressed;
    }
    let fields = match settings.on_existing {
        OnExisting::Skip => return Decision::Unchanged,
        OnExisting::Fill => merge(&known.fields, row, false),
        OnExisting::Overwrite => merge(&known.fields, row, true),
    };
    let fields = (fields != known.fields).then(|| Box::new(fields));
    let subscribe = settings.consent.is_some() && !known.has_subscription;
    if fields.is_none() && !subscribe {
        Decision::Unchanged
    } else {
        Decision::Update { fields, subscribe }
    }
}

/// The known contact with the row's values: in its empty fields only (`replace` false),
/// or wherever the row has one. The address, channel and source stay: they say where
/// the contact first came from.
pub fn merge(known: &ContactFields, row: &ContactFields, replace: bool) -> ContactFields {
    fn pick<T: Clone>(known: &T, row: &T, empty: impl Fn(&T) -> bool, replace: bool) -> T {
        let take = !empty(row) && (replace || empty(known));
        if take {
            row.clone()
        } else {
            known.clone()
        }
    }
    let text = |k: &String, r: &String| pick(k, r, |s: &String| s.is_empty(), replace);
    let date = |k: &Option<NaiveDate>, r: &Option<NaiveDate>| pick(k, r, Option::is_none, replace);
    let mut custom = known.custom.clone();
    for (key, value) in &row.custom {
        if replace || !custom.contains_key(key) {
            custom.insert(key.clone(), value.clone());
        }
    }
    ContactFields {
        email: known.email.clone(),
        first_name: text(&known.first_name, &row.first_name),
        last_name: text(&known.last_name, &row.last_name),
        phone: text(&known.phone, &row.phone),
        birth_date: date(&known.birth_date, &row.birth_date),
        job_title: text(&known.job_title, &row.job_title),
        company: text(&known.company, &row.company),
        address_line1: text(&known.address_line1, &row.address_line1),
        address_line2: text(&known.address_line2, &row.address_line2),
        postal_code: text(&known.postal_code, &row.postal_code),
        city: text(&known.city, &row.city),
        country: text(&known.country, &row.country),
        interests: pick(&known.interests, &row.interests, Vec::is_empty, replace),
        last_purchase_on: date(&known.last_purchase_on, &row.last_purchase_on),
        total_spent_cents: pick(&known.total_spent_cents, &row.total_spent_cents, |c| *c == 0, replace),
        custom: if custom.len() > 50 { known.custom.clone() } else { custom },
        channel: known.channel,
        source_detail: known.source_detail.clone(),
    }
}

#[cfg(test)]
mod tests;
