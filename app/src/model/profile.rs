//! What a person fills in on their own page, and how complete it is. The completion
//! meter is this one function, run by the server (what it stores and what incentives
//! check) and in the browser (live as the person types).

use super::ContactForm;
use serde::{Deserialize, Serialize};

/// The languages of the public pages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    En,
    Fr,
}

impl Lang {
    /// From `?lang=` first, then the browser's Accept-Language (its first of fr/en).
    pub fn pick(query: Option<&str>, accept_language: &str) -> Lang {
        match query {
            Some("fr") => return Lang::Fr,
            Some("en") => return Lang::En,
            _ => {}
        }
        for part in accept_language.split(',') {
            let tag = part.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            if tag.starts_with("fr") {
                return Lang::Fr;
            }
            if tag.starts_with("en") {
                return Lang::En;
            }
        }
        Lang::En
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// The text in this language.
    pub fn t(self, en: &'static str, fr: &'static str) -> &'static str {
        match self {
            Lang::En => en,
            Lang::Fr => fr,
        }
    }
}

/// A field a person can fill in themselves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProfileField {
    FirstName,
    LastName,
    Phone,
    BirthDate,
    JobTitle,
    Company,
    AddressLine1,
    PostalCode,
    City,
    Country,
    Interests,
}

impl ProfileField {
    pub const ALL: [ProfileField; 11] = [
        ProfileField::FirstName,
        ProfileField::LastName,
        ProfileField::Phone,
        ProfileField::BirthDate,
        ProfileField::JobTitle,
        ProfileField::Company,
        ProfileField::AddressLine1,
        ProfileField::PostalCode,
        ProfileField::City,
        ProfileField::Country,
        ProfileField::Interests,
    ];
    /// Consumer brands: birth dates and addresses matter, job titles do not.
    pub const B2C: [ProfileField; 8] = [
        ProfileField::FirstName,
        ProfileField::LastName,
        ProfileField::Phone,
        ProfileField::BirthDate,
        ProfileField::PostalCode,
        ProfileField::City,
        ProfileField::Country,
        ProfileField::Interests,
    ];

    /// The contact form's field name.
    pub fn key(self) -> &'static str {
        match self {
            ProfileField::FirstName => "first_name",
            ProfileField::LastName => "last_name",
            ProfileField::Phone => "phone",
            ProfileField::BirthDate => "birth_date",
            ProfileField::JobTitle => "job_title",
            ProfileField::Company => "company",
            ProfileField::AddressLine1 => "address_line1",
            ProfileField::PostalCode => "postal_code",
            ProfileField::City => "city",
            ProfileField::Country => "country",
            ProfileField::Interests => "interests",
        }
    }

    pub fn parse(key: &str) -> Option<ProfileField> {
        Self::ALL.into_iter().find(|f| f.key() == key)
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            ProfileField::FirstName => lang.t("First name", "Prénom"),
            ProfileField::LastName => lang.t("Last name", "Nom"),
            ProfileField::Phone => lang.t("Phone", "Téléphone"),
            ProfileField::BirthDate => lang.t("Birth date", "Date de naissance"),
            ProfileField::JobTitle => lang.t("Job title", "Fonction"),
            ProfileField::Company => lang.t("Company", "Entreprise"),
            ProfileField::AddressLine1 => lang.t("Address", "Adresse"),
            ProfileField::PostalCode => lang.t("Postal code", "Code postal"),
            ProfileField::City => lang.t("City", "Ville"),
            ProfileField::Country => lang.t("Country", "Pays"),
            ProfileField::Interests => {
                lang.t("Interests (separated by commas)", "Centres d'intérêt (séparés par des virgules)")
            }
        }
    }

    pub fn input_type(self) -> &'static str {
        match self {
            ProfileField::Phone => "tel",
            ProfileField::BirthDate => "date",
            _ => "text",
        }
    }

    pub fn get(self, form: &ContactForm) -> &str {
        match self {
            ProfileField::FirstName => &form.first_name,
            ProfileField::LastName => &form.last_name,
            ProfileField::Phone => &form.phone,
            ProfileField::BirthDate => &form.birth_date,
            ProfileField::JobTitle => &form.job_title,
            ProfileField::Company => &form.company,
            ProfileField::AddressLine1 => &form.address_line1,
            ProfileField::PostalCode => &form.postal_code,
            ProfileField::City => &form.city,
            ProfileField::Country => &form.country,
            ProfileField::Interests => &form.interests,
        }
    }

    pub fn set(self, form: &mut ContactForm, value: String) {
        let slot = match self {
            ProfileField::FirstName => &mut form.first_name,
            ProfileField::LastName => &mut form.last_name,
            ProfileField::Phone => &mut form.phone,
            ProfileField::BirthDate => &mut form.birth_date,
            ProfileField::JobTitle => &mut form.job_title,
            ProfileField::Company => &mut form.company,
            ProfileField::AddressLine1 => &mut form.address_line1,
            ProfileField::PostalCode => &mut form.postal_code,
            ProfileField::City => &mut form.city,
            ProfileField::Country => &mut form.country,
            ProfileField::Interests => &mut form.interests,
        };
        *slot = value;
    }
}

/// The share of `shown` fields that hold something, in whole percent (rounded down, so
/// 100 means every one).
pub fn completion(form: &ContactForm, shown: &[ProfileField]) -> u8 {
    if shown.is_empty() {
        return 100;
    }
    let filled = shown.iter().filter(|f| !f.get(form).trim().is_empty()).count();
    (filled * 100 / shown.len()) as u8
}

/// The yearly refresh setting: whether it runs, and how many links a day at most.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearlyRefresh {
    pub enabled: bool,
    pub per_day: i64,
}

impl Default for YearlyRefresh {
    fn default() -> Self {
        YearlyRefresh { enabled: false, per_day: 500 }
    }
}

/// The fields staff chose (a setting, as keys), or the B2C set.
pub fn fields_from_setting(value: Option<&str>) -> Vec<ProfileField> {
    let chosen: Vec<ProfileField> = value
        .and_then(|v| serde_json::from_str::<Vec<String>>(v).ok())
        .unwrap_or_default()
        .iter()
        .filter_map(|k| ProfileField::parse(k))
        .collect();
    if chosen.is_empty() {
        ProfileField::B2C.to_vec()
    } else {
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completion_counts_only_the_shown_fields_and_rounds_down() {
        let shown = [ProfileField::FirstName, ProfileField::LastName, ProfileField::City];
        let mut form =
            ContactForm { email: "a@b.c".into(), job_title: "ignored: not shown".into(), ..Default::default() };
        assert_eq!(completion(&form, &shown), 0);
        form.first_name = "Ann".into();
        assert_eq!(completion(&form, &shown), 33);
        form.last_name = "  ".into();
        assert_eq!(completion(&form, &shown), 33, "blanks are not filled");
        form.last_name = "Lee".into();
        assert_eq!(completion(&form, &shown), 66);
        form.city = "Lyon".into();
        assert_eq!(completion(&form, &shown), 100);
        assert_eq!(completion(&form, &[]), 100);
    }

    #[test]
    fn every_field_reads_and_writes_its_own_slot() {
        for field in ProfileField::ALL {
            let mut form = ContactForm::default();
            field.set(&mut form, format!("v-{}", field.key()));
            assert_eq!(field.get(&form), format!("v-{}", field.key()));
            assert_eq!(ProfileField::parse(field.key()), Some(field));
            let others = ProfileField::ALL.iter().filter(|f| **f != field && !f.get(&form).is_empty()).count();
            assert_eq!(others, 0, "{field:?} wrote someone else's slot");
        }
    }

    #[test]
    fn language_from_the_query_then_the_browser() {
        assert_eq!(Lang::pick(None, "fr-FR,fr;q=0.9,en;q=0.8"), Lang::Fr);
        assert_eq!(Lang::pick(None, "de-DE,en;q=0.5,fr;q=0.3"), Lang::En);
        assert_eq!(Lang::pick(Some("fr"), "en-US"), Lang::Fr);
        assert_eq!(Lang::pick(None, ""), Lang::En);
    }

    #[test]
    fn staff_choice_or_the_b2c_set() {
        assert_eq!(fields_from_setting(None), ProfileField::B2C.to_vec());
        assert_eq!(
            fields_from_setting(Some(r#"["company","job_title","bogus"]"#)),
            vec![ProfileField::Company, ProfileField::JobTitle]
        );
        assert_eq!(fields_from_setting(Some("not json")), ProfileField::B2C.to_vec());
    }
}
