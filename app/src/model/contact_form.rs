//! The contact form: what a person typed (`ContactForm`, all text) and what Carnet keeps
//! once it is valid (`ContactFields`), with the rules between them.

use super::contact::Channel;
use super::{Email, FieldErrors};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The contact form as posted: every field is text, exactly as typed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContactForm {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub birth_date: String,
    pub job_title: String,
    pub company: String,
    pub address_line1: String,
    pub address_line2: String,
    pub postal_code: String,
    pub city: String,
    pub country: String,
    /// Comma-separated interests/tags.
    pub interests: String,
    pub last_purchase_on: String,
    /// Total spend in the shop's currency, e.g. "129.90".
    pub total_spent: String,
    /// Free attributes, one `key: value` per line.
    pub custom: String,
    pub channel: String,
    pub source_detail: String,
}

/// A contact's data once valid: what the store keeps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContactFields {
    pub email: Email,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub birth_date: Option<NaiveDate>,
    pub job_title: String,
    pub company: String,
    pub address_line1: String,
    pub address_line2: String,
    pub postal_code: String,
    pub city: String,
    pub country: String,
    pub interests: Vec<String>,
    pub last_purchase_on: Option<NaiveDate>,
    pub total_spent_cents: i64,
    pub custom: BTreeMap<String, String>,
    pub channel: Channel,
    pub source_detail: String,
}

const SHORT: usize = 100;
const LONG: usize = 200;

fn text(errors: &mut FieldErrors, field: &str, value: &str, max: usize) -> String {
    let value = value.trim();
    if value.chars().count() > max {
        errors.add(field, format!("Keep this under {max} characters."));
    }
    value.to_string()
}

fn date(errors: &mut FieldErrors, field: &str, value: &str, today: NaiveDate, what: &str) -> Option<NaiveDate> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        Ok(d) if d > today => {
            errors.add(field, format!("The {what} cannot be in the future."));
            None
        }
        Ok(d) if d < NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid date") => {
            errors.add(field, format!("Check the year of the {what}."));
            None
        }
        Ok(d) => Some(d),
        Err(_) => {
            errors.add(field, "Enter a date as YYYY-MM-DD.");
            None
        }
    }
}

fn phone(errors: &mut FieldErrors, value: &str) -> String {
    let value = value.trim();
    if value.is_empty() {
        return String::new();
    }
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let allowed = value.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let plus_ok = value.rfind('+').is_none_or(|i| i == 0);
    if !allowed || !plus_ok || !(6..=15).contains(&digits) {
        errors.add("phone", "Enter a phone number of 6 to 15 digits, like +33 1 23 45 67 89.");
    }
    value.to_string()
}

/// Parses a decimal amount ("129.9", "129,90") into cents.
pub fn parse_cents(value: &str) -> Option<i64> {
    let value = value.trim().replace(',', ".");
    if value.is_empty() {
        return Some(0);
    }
    let (units, fraction) = value.split_once('.').unwrap_or((&value, ""));
    if units.is_empty()
        || !units.chars().all(|c| c.is_ascii_digit())
        || fraction.len() > 2
        || !fraction.chars().all(|c| c.is_ascii_digit())
        || units.len() > 12
    {
        return None;
    }
    let units: i64 = units.parse().ok()?;
    let cents: i64 = format!("{fraction:0<2}").parse().ok()?;
    Some(units * 100 + cents)
}

pub fn format_cents(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

impl ContactForm {
    /// Checks every field and returns either the contact's data or every problem found.
    /// `today` is passed in so the rule is pure (and tests pin it).
    pub fn validate(&self, today: NaiveDate) -> Result<ContactFields, FieldErrors> {
        let mut errors = FieldErrors::default();
        let email = Email::parse(&self.email).map_err(|m| errors.add("email", m)).ok();
        let first_name = text(&mut errors, "first_name", &self.first_name, SHORT);
        let last_name = text(&mut errors, "last_name", &self.last_name, SHORT);
        let phone = phone(&mut errors, &self.phone);
        let birth_date = date(&mut errors, "birth_date", &self.birth_date, today, "birth date");
        let job_title = text(&mut errors, "job_title", &self.job_title, SHORT);
        let company = text(&mut errors, "company", &self.company, SHORT);
        let address_line1 = text(&mut errors, "address_line1", &self.address_line1, LONG);
        let address_line2 = text(&mut errors, "address_line2", &self.address_line2, LONG);
        let postal_code = text(&mut errors, "postal_code", &self.postal_code, 20);
        let city = text(&mut errors, "city", &self.city, SHORT);
        let country = text(&mut errors, "country", &self.country, SHORT);
        let last_purchase_on =
            date(&mut errors, "last_purchase_on", &self.last_purchase_on, today, "last purchase date");
        let total_spent_cents = parse_cents(&self.total_spent).unwrap_or_else(|| {
            errors.add("total_spent", "Enter an amount like 129.90.");
            0
        });
        // Each limit is checked as the list is read, so a huge field costs no more than
        // the first 31 interests or 51 attributes it holds.
        let mut interests: Vec<String> = Vec::new();
        for tag in self.interests.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            // Counted as kept (lowercased: "İ" becomes two characters), after a cheap
            // guard against a huge tag.
            let tag = (tag.len() <= 160).then(|| tag.to_lowercase()).filter(|t| t.chars().count() <= 40);
            let Some(tag) = tag else {
                errors.add("interests", "Keep each interest under 40 characters.");
                break;
            };
            if !interests.contains(&tag) {
                if interests.len() == 30 {
                    errors.add("interests", "Keep to 30 interests at most.");
                    break;
                }
                interests.push(tag);
            }
        }
        let mut custom = BTreeMap::new();
        for line in self.custom.lines().map(str::trim).filter(|l| !l.is_empty()) {
            match line.split_once(':') {
                Some((k, v)) if !k.trim().is_empty() && k.trim().len() <= 40 && v.trim().len() <= LONG => {
                    custom.insert(k.trim().to_string(), v.trim().to_string());
                    if custom.len() > 50 {
                        break;
                    }
                }
                _ => {
                    errors.add("custom", "Write one `name: value` per line (name under 40 characters).");
                    break;
                }
            }
        }
        if custom.len() > 50 {
            errors.add("custom", "Keep to 50 attributes at most.");
        }
        let channel = if self.channel.trim().is_empty() {
            Channel::default()
        } else {
            Channel::parse(self.channel.trim()).unwrap_or_else(|| {
                errors.add("channel", "Choose a channel from the list.");
                Channel::default()
            })
        };
        let source_detail = text(&mut errors, "source_detail", &self.source_detail, LONG);
        match email {
            Some(email) if errors.is_empty() => Ok(ContactFields {
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
                total_spent_cents,
                custom,
                channel,
                source_detail,
            }),
            _ => Err(errors),
        }
    }
}

impl ContactFields {
    /// The form pre-filled with this contact, for editing.
    pub fn to_form(&self) -> ContactForm {
        let date = |d: Option<NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default();
        ContactForm {
            email: self.email.to_string(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            phone: self.phone.clone(),
            birth_date: date(self.birth_date),
            job_title: self.job_title.clone(),
            company: self.company.clone(),
            address_line1: self.address_line1.clone(),
            address_line2: self.address_line2.clone(),
            postal_code: self.postal_code.clone(),
            city: self.city.clone(),
            country: self.country.clone(),
            interests: self.interests.join(", "),
            last_purchase_on: date(self.last_purchase_on),
            total_spent: if self.total_spent_cents == 0 { String::new() } else { format_cents(self.total_spent_cents) },
            custom: self.custom.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("\n"),
            channel: self.channel.as_str().to_string(),
            source_detail: self.source_detail.clone(),
        }
    }

    /// Lowercase "last first" for ordering by name.
    pub fn sort_name(&self) -> String {
        format!("{} {}", self.last_name, self.first_name).trim().to_lowercase()
    }

    /// What a list search matches: names, email, company and phone, lowercase.
    pub fn search_text(&self) -> String {
        format!("{} {} {} {} {}", self.first_name, self.last_name, self.email, self.company, self.phone).to_lowercase()
    }

    pub fn display_name(&self) -> String {
        let name = format!("{} {}", self.first_name, self.last_name).trim().to_string();
        if name.is_empty() {
            self.email.to_string()
        } else {
            name
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn form(email: &str) -> ContactForm {
        ContactForm { email: email.into(), first_name: " Jane ".into(), last_name: "Doe".into(), ..Default::default() }
    }

    #[test]
    fn a_valid_form_becomes_normalised_fields() {
        let mut f = form(" JANE@Example.com ");
        f.interests = "Running, cycling , running,".into();
        f.custom = "loyalty: gold\nshoe size: 39".into();
        f.total_spent = "129,9".into();
        f.channel = "event".into();
        let fields = f.validate(today()).unwrap();
        assert_eq!(fields.email.as_str(), "jane@example.com");
        assert_eq!(fields.first_name, "Jane");
        assert_eq!(fields.interests, vec!["running", "cycling"]);
        assert_eq!(fields.custom.get("shoe size").map(String::as_str), Some("39"));
        assert_eq!(fields.total_spent_cents, 12990);
        assert_eq!(fields.channel, Channel::Event);
        assert_eq!(fields.sort_name(), "doe jane");
    }

    #[test]
    fn a_huge_list_of_interests_is_refused_after_reading_its_first_thirty() {
        // 200,000 distinct tags (1.6 MB): the old check deduplicated them all, pairwise,
        // before counting (minutes of a request thread); now it stops at the 31st.
        let mut f = form("jane@example.com");
        f.interests = (0..200_000).map(|i| format!("t{i}")).collect::<Vec<_>>().join(",");
        assert_eq!(f.validate(today()).unwrap_err().get("interests"), Some("Keep to 30 interests at most."));
        f.interests = (0..30).map(|i| format!("t{i}")).chain(["T0".into()]).collect::<Vec<_>>().join(",");
        assert_eq!(f.validate(today()).unwrap().interests.len(), 30, "30 is allowed, and a repeat is not a 31st");
        f.custom = (0..100_000).map(|i| format!("k{i}: v")).collect::<Vec<_>>().join("\n");
        assert_eq!(f.validate(today()).unwrap_err().get("custom"), Some("Keep to 50 attributes at most."));
    }

    #[test]
    fn every_bad_field_gets_its_own_message() {
        let mut f = form("not-an-email");
        f.birth_date = "2027-01-01".into();
        f.phone = "12".into();
        f.total_spent = "12.345".into();
        f.channel = "carrier pigeon".into();
        let errors = f.validate(today()).unwrap_err();
        for field in ["email", "birth_date", "phone", "total_spent", "channel"] {
            assert!(errors.get(field).is_some(), "expected an error on {field}: {errors:?}");
        }
        assert_eq!(errors.get("birth_date"), Some("The birth date cannot be in the future."));
    }

    #[test]
    fn birth_date_today_is_accepted_and_tomorrow_is_not() {
        let mut f = form("a@b.co");
        f.birth_date = "2026-11-23".into();
        assert!(f.validate(today()).is_ok());
        f.birth_date = "2026-11-24".into();
        assert!(f.validate(today()).is_err());
        f.birth_date = "23/11/1990".into();
        assert_eq!(f.validate(today()).unwrap_err().get("birth_date"), Some("Enter a date as YYYY-MM-DD."));
    }

    #[test]
    fn the_edit_form_round_trips() {
        let mut f = form("jane@example.com");
        f.birth_date = "1990-05-17".into();
        f.interests = "tea, books".into();
        f.total_spent = "10.50".into();
        f.custom = "a: 1\nb: 2".into();
        f.channel = "web".into();
        let fields = f.validate(today()).unwrap();
        assert_eq!(fields.to_form().validate(today()).unwrap(), fields);
    }

    #[test]
    fn amounts_parse_to_cents() {
        assert_eq!(parse_cents("0"), Some(0));
        assert_eq!(parse_cents("7.5"), Some(750));
        assert_eq!(parse_cents("1234,56"), Some(123456));
        assert_eq!(parse_cents("-3"), None);
        assert_eq!(parse_cents("abc"), None);
        assert_eq!(format_cents(123456), "1234.56");
    }
}
