//! Which contact field each column of an imported file fills. Carnet guesses from the
//! headers French and English spreadsheets use, so most files import without a single
//! question. A column it does not recognise becomes a custom attribute rather than
//! being dropped: silently losing a column of someone's data is worse than an extra
//! attribute they can untick.

use super::values::fold;
use serde::{Deserialize, Serialize};

/// `ContactForm` keeps at most this many custom attributes per contact.
const MAX_CUSTOM: usize = 50;
/// `ContactForm` refuses longer attribute names; it counts bytes, so this does too.
const MAX_CUSTOM_NAME: usize = 40;

/// What a column fills.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Ignore,
    Email,
    FirstName,
    LastName,
    Phone,
    BirthDate,
    JobTitle,
    Company,
    AddressLine1,
    AddressLine2,
    PostalCode,
    City,
    Country,
    Interests,
    LastPurchaseOn,
    TotalSpent,
    Channel,
    SourceDetail,
    ConsentDate,
    /// A free attribute of that name (`ContactForm::custom`).
    Custom(String),
}

impl Target {
    /// The contact's fields in form order, for a select list.
    pub const FIELDS: [Target; 18] = [
        Target::Email,
        Target::FirstName,
        Target::LastName,
        Target::Phone,
        Target::BirthDate,
        Target::JobTitle,
        Target::Company,
        Target::AddressLine1,
        Target::AddressLine2,
        Target::PostalCode,
        Target::City,
        Target::Country,
        Target::Interests,
        Target::LastPurchaseOn,
        Target::TotalSpent,
        Target::Channel,
        Target::SourceDetail,
        Target::ConsentDate,
    ];

    /// The name on the command line and in forms: "email", "custom:region".
    pub fn as_str(&self) -> String {
        match self {
            Target::Custom(name) => format!("custom:{name}"),
            other => other.key().to_string(),
        }
    }

    fn key(&self) -> &'static str {
        match self {
            Target::Ignore => "ignore",
            Target::Email => "email",
            Target::FirstName => "first_name",
            Target::LastName => "last_name",
            Target::Phone => "phone",
            Target::BirthDate => "birth_date",
            Target::JobTitle => "job_title",
            Target::Company => "company",
            Target::AddressLine1 => "address_line1",
            Target::AddressLine2 => "address_line2",
            Target::PostalCode => "postal_code",
            Target::City => "city",
            Target::Country => "country",
            Target::Interests => "interests",
            Target::LastPurchaseOn => "last_purchase_on",
            Target::TotalSpent => "total_spent",
            Target::Channel => "channel",
            Target::SourceDetail => "source_detail",
            Target::ConsentDate => "consent_date",
            Target::Custom(_) => "custom",
        }
    }

    /// The inverse of `as_str` (the built-in names in any case).
    pub fn parse(s: &str) -> Option<Target> {
        let s = s.trim();
        if s.get(..7).is_some_and(|prefix| prefix.eq_ignore_ascii_case("custom:")) {
            return custom_name(&s[7..]).map(Target::Custom);
        }
        let s = s.to_ascii_lowercase();
        std::iter::once(Target::Ignore).chain(Target::FIELDS).find(|t| t.key() == s)
    }

    pub fn label(&self) -> String {
        let label = match self {
            Target::Ignore => "Ignored",
            Target::Email => "Email",
            Target::FirstName => "First name",
            Target::LastName => "Last name",
            Target::Phone => "Phone",
            Target::BirthDate => "Birth date",
            Target::JobTitle => "Job title",
            Target::Company => "Company",
            Target::AddressLine1 => "Address line 1",
            Target::AddressLine2 => "Address line 2",
            Target::PostalCode => "Postal code",
            Target::City => "City",
            Target::Country => "Country",
            Target::Interests => "Interests",
            Target::LastPurchaseOn => "Last purchase",
            Target::TotalSpent => "Total spent",
            Target::Channel => "Channel",
            Target::SourceDetail => "Source detail",
            Target::ConsentDate => "Consent date",
            Target::Custom(name) => return format!("Custom attribute “{name}”"),
        };
        label.to_string()
    }

    /// What a column with this header most likely holds, whatever its case, accents,
    /// spacing or punctuation ("E-MAIL ", "Prénom", "Code postal"). An unknown header
    /// keeps its column as a custom attribute; an empty one is ignored.
    pub fn guess(header: &str) -> Target {
        if header.trim().is_empty() {
            return Target::Ignore;
        }
        known_header(&fold(header)).or_else(|| custom_from_header(header).map(Target::Custom)).unwrap_or(Target::Ignore)
    }
}

/// The fields French and English files name, by their folded header (see `fold`).
fn known_header(folded: &str) -> Option<Target> {
    Some(match folded {
        "email"
        | "mail"
        | "courriel"
        | "adresseemail"
        | "adressemail"
        | "emailaddress"
        | "adressecourriel"
        | "adresseelectronique" => Target::Email,
        "prenom" | "firstname" | "givenname" => Target::FirstName,
        "nom" | "nomdefamille" | "lastname" | "surname" | "familyname" => Target::LastName,
        "telephone" | "tel" | "portable" | "mobile" | "phone" | "phonenumber" | "numerodetelephone"
        | "telephoneportable" | "mobilephone" => Target::Phone,
        "datedenaissance" | "naissance" | "birthdate" | "dateofbirth" | "dob" | "birthday" | "datenaissance" => {
            Target::BirthDate
        }
        "fonction" | "poste" | "jobtitle" | "title" => Target::JobTitle,
        "societe" | "entreprise" | "company" | "organisation" | "organization" | "raisonsociale" => Target::Company,
        "adresse" | "adresse1" | "address" | "address1" | "street" | "rue" | "addressline1" => Target::AddressLine1,
        "adresse2" | "complementdadresse" | "complementadresse" | "address2" | "addressline2" => Target::AddressLine2,
        "codepostal" | "cp" | "postalcode" | "zip" | "zipcode" | "postcode" => Target::PostalCode,
        "ville" | "city" | "town" | "commune" => Target::City,
        "pays" | "country" => Target::Country,
        "centresdinteret" | "centredinteret" | "interets" | "interests" | "tags" | "categories" => Target::Interests,
        "dernierachat"
        | "datedudernierachat"
        | "datedernierachat"
        | "lastpurchase"
        | "lastpurchasedate"
        | "lastpurchaseon"
        | "lastorder"
        | "lastorderdate"
        | "datedernierecommande" => Target::LastPurchaseOn,
        "montanttotal" | "totaldesachats" | "totalspent" | "totalspend" | "ca" | "chiffredaffaires"
        | "lifetimevalue" => Target::TotalSpent,
        "canal" | "channel" | "canaldacquisition" => Target::Channel,
        "source" | "origine" | "sourcedetail" | "provenance" => Target::SourceDetail,
        "datedeconsentement" | "datedinscription" | "datedoptin" | "optindate" | "consentdate" | "subscribedat"
        | "dateinscription" => Target::ConsentDate,
        _ => return None,
    })
}

/// A custom attribute name as `ContactForm` accepts it: one line, no ':' (it separates
/// name from value), at most 40 bytes once trimmed.
pub fn custom_name(raw: &str) -> Option<String> {
    let name = raw.trim();
    let fits = !name.is_empty() && name.len() <= MAX_CUSTOM_NAME;
    (fits && !name.chars().any(splits_attribute)).then(|| name.to_string())
}

/// Whether `c` would break a `name: value` line of `ContactForm::custom` if it were in
/// the name.
fn splits_attribute(c: char) -> bool {
    c == ':' || c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

/// A header made into an attribute name: ':' and control characters become spaces,
/// spaces are collapsed, and it is cut to fit.
pub fn custom_from_header(header: &str) -> Option<String> {
    let spaced: String = header.chars().map(|c| if splits_attribute(c) { ' ' } else { c }).collect();
    let collapsed = spaced.split_whitespace().collect::<Vec<_>>().join(" ");
    custom_name(cut(&collapsed, MAX_CUSTOM_NAME))
}

/// The longest start of `s` of at most `max` bytes that ends on a character.
fn cut(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// What every column of a file fills, in the file's order.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Mapping {
    pub columns: Vec<Target>,
}

impl Mapping {
    /// The guess for each header. A field already taken by an earlier column ("Nom" then
    /// "Nom de famille") leaves the later one as a custom attribute, and a repeated
    /// attribute name gets a number, so the guess keeps every column and passes `check`
    /// whenever the file has an email column.
    pub fn guess(headers: &[&str]) -> Mapping {
        let mut columns: Vec<Target> = Vec::with_capacity(headers.len());
        for header in headers {
            let mut target = Target::guess(header);
            if !matches!(target, Target::Ignore | Target::Custom(_)) && columns.contains(&target) {
                target = custom_from_header(header).map(Target::Custom).unwrap_or(Target::Ignore);
            }
            if let Target::Custom(name) = &target {
                target = Target::Custom(unused_custom_name(name, &columns));
            }
            columns.push(target);
        }
        Mapping { columns }
    }

    /// The guess, corrected by the `--map` flag: `Courriel=email,Région=custom:region,
    /// Notes=ignore`. A header is matched exactly (trimmed), else ignoring case.
    pub fn with_overrides(headers: &[&str], flag: &str) -> Result<Mapping, String> {
        let mut mapping = Mapping::guess(headers);
        for pair in flag.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((header, target)) = pair.rsplit_once('=') else {
                return Err(format!("Write each column as Header=field; “{pair}” has no “=”."));
            };
            let (header, target) = (header.trim(), target.trim());
            let column = headers
                .iter()
                .position(|h| h.trim() == header)
                .or_else(|| headers.iter().position(|h| h.trim().to_lowercase() == header.to_lowercase()))
                .ok_or_else(|| format!("The file has no column named “{header}”."))?;
            let target = Target::parse(target).ok_or_else(|| {
                let fields: Vec<String> = Target::FIELDS.iter().map(Target::as_str).collect();
                format!("“{target}” is not a field: use {}, ignore or custom:name.", fields.join(", "))
            })?;
            mapping.columns[column] = target;
        }
        Ok(mapping)
    }

    /// Whether the mapping can import: one email column, no field filled twice, custom
    /// attributes that `ContactForm` accepts. The message says what to change.
    pub fn check(&self) -> Result<(), String> {
        match self.columns.iter().filter(|t| **t == Target::Email).count() {
            0 => return Err("Choose which column holds the email address.".to_string()),
            1 => {}
            _ => return Err("Only one column can be the email address.".to_string()),
        }
        for field in &Target::FIELDS {
            if self.columns.iter().filter(|t| *t == field).count() > 1 {
                return Err(format!("Only one column can be “{}”: ignore the others.", field.label()));
            }
        }
        let custom: Vec<&String> =
            self.columns.iter().filter_map(|t| if let Target::Custom(name) = t { Some(name) } else { None }).collect();
        for (i, name) in custom.iter().enumerate() {
            if custom_name(name).as_ref() != Some(*name) {
                return Err(format!(
                    "“{name}” cannot name a custom attribute: keep it short (40 characters at most), \
                     on one line, without “:”."
                ));
            }
            if custom[..i].contains(name) {
                return Err(format!("Two columns are custom attribute “{name}”: rename or ignore one."));
            }
        }
        if custom.len() > MAX_CUSTOM {
            return Err(format!("Keep to {MAX_CUSTOM} custom attributes at most: ignore the columns you do not need."));
        }
        Ok(())
    }

    /// The column that fills `t`, if any.
    pub fn column_of(&self, t: &Target) -> Option<usize> {
        self.columns.iter().position(|c| c == t)
    }
}

/// `name`, or `name 2`, `name 3`… when an earlier column already has it.
fn unused_custom_name(name: &str, taken: &[Target]) -> String {
    let is_taken = |n: &str| taken.iter().any(|t| matches!(t, Target::Custom(c) if c == n));
    if !is_taken(name) {
        return name.to_string();
    }
    (2usize..)
        .map(|i| {
            let suffix = format!(" {i}");
            format!("{}{suffix}", cut(name, MAX_CUSTOM_NAME - suffix.len()).trim_end())
        })
        .find(|n| !is_taken(n))
        .unwrap_or_else(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_excel_headers_map_to_the_contact_fields() {
        let headers = [
            "Courriel",
            "Prénom",
            "Nom",
            "Téléphone",
            "Date de naissance",
            "Code postal",
            "Ville",
            "Société",
            "Centres d'intérêt",
            "Dernier achat",
            "Montant total",
        ];
        let expected = [
            Target::Email,
            Target::FirstName,
            Target::LastName,
            Target::Phone,
            Target::BirthDate,
            Target::PostalCode,
            Target::City,
            Target::Company,
            Target::Interests,
            Target::LastPurchaseOn,
            Target::TotalSpent,
        ];
        assert_eq!(Mapping::guess(&headers).columns, expected);
        assert_eq!(Mapping::guess(&headers).check(), Ok(()));
    }

    #[test]
    fn headers_match_whatever_their_case_spacing_and_accents() {
        assert_eq!(Target::guess("E-MAIL "), Target::Email);
        assert_eq!(Target::guess("  Adresse E-mail"), Target::Email);
        assert_eq!(Target::guess("PRENOM"), Target::FirstName);
        assert_eq!(Target::guess("Centres d’intérêt"), Target::Interests);
        assert_eq!(Target::guess("code_postal"), Target::PostalCode);
    }

    #[test]
    fn every_french_and_english_synonym_is_recognised() {
        let table = [
            (Target::Email, "email|e-mail|mail|courriel|adresse email|adresse e-mail|adresse mail|email address"),
            (Target::FirstName, "prénom|prenom|first name|firstname|given name"),
            (Target::LastName, "nom|nom de famille|last name|lastname|surname|family name"),
            (Target::Phone, "téléphone|tel|tél|portable|mobile|phone|phone number|numéro de téléphone"),
            (Target::BirthDate, "date de naissance|naissance|birth date|birthdate|date of birth|dob|birthday"),
            (Target::JobTitle, "fonction|poste|job title|title"),
            (Target::Company, "société|entreprise|company|organisation|organization|raison sociale"),
            (Target::AddressLine1, "adresse|adresse 1|address|address 1|street|rue"),
            (Target::AddressLine2, "adresse 2|complément d'adresse|address 2"),
            (Target::PostalCode, "code postal|cp|postal code|zip|zip code|postcode"),
            (Target::City, "ville|city|town|commune"),
            (Target::Country, "pays|country"),
            (Target::Interests, "centres d'intérêt|centres d'interet|intérêts|interests|tags|catégories"),
            (
                Target::LastPurchaseOn,
                "dernier achat|date du dernier achat|last purchase|last order|last order date|date dernière commande",
            ),
            (
                Target::TotalSpent,
                "montant total|total des achats|total spent|total spend|ca|chiffre d'affaires|lifetime value",
            ),
            (Target::Channel, "canal|channel|canal d'acquisition"),
            (Target::SourceDetail, "source|origine|source detail|provenance"),
            (
                Target::ConsentDate,
                "date de consentement|date d'inscription|date d'opt-in|opt-in date|consent date|subscribed at\
                 |date inscription",
            ),
        ];
        for (target, headers) in table {
            for header in headers.split('|') {
                assert_eq!(Target::guess(header), target, "{header:?}");
            }
        }
    }

    #[test]
    fn an_unknown_header_is_kept_as_a_custom_attribute() {
        assert_eq!(Target::guess("  Numéro   client "), Target::Custom("Numéro client".into()));
        assert_eq!(Target::guess("Remarque : VIP"), Target::Custom("Remarque VIP".into()));
        assert_eq!(Target::guess(""), Target::Ignore);
        assert_eq!(Target::guess("   "), Target::Ignore);
        // 60 bytes; byte 40 falls inside an "é", so the name stops before it.
        assert_eq!(Target::guess(&"éa".repeat(20)), Target::Custom("éa".repeat(13)));
        let Target::Custom(name) = Target::guess(&"Préférence de contact ".repeat(5)) else {
            panic!("expected a custom attribute");
        };
        assert_eq!(name, "Préférence de contact Préférence de");
        assert_eq!(custom_name(&name), Some(name.clone()), "ContactForm accepts the name");
    }

    #[test]
    fn targets_round_trip_through_their_names() {
        for target in std::iter::once(Target::Ignore).chain(Target::FIELDS).chain([Target::Custom("Région".into())]) {
            assert_eq!(Target::parse(&target.as_str()), Some(target.clone()));
        }
        assert_eq!(Target::parse(" EMAIL "), Some(Target::Email));
        assert_eq!(Target::parse("custom: shoe size "), Some(Target::Custom("shoe size".into())));
        for bad in ["", "custom:", "custom:a:b", "custom", "e-mail", "shoe_size"] {
            assert_eq!(Target::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Target::Custom("region".into()).as_str(), "custom:region");
        assert_eq!(Target::AddressLine1.as_str(), "address_line1");
        assert_eq!(Target::ConsentDate.label(), "Consent date");
        assert_eq!(Target::Custom("region".into()).label(), "Custom attribute “region”");
        assert_eq!(Target::Ignore.label(), "Ignored");
    }

    #[test]
    fn custom_names_must_fit_on_a_contact_form_line() {
        assert_eq!(custom_name("  loyalty tier "), Some("loyalty tier".into()));
        assert_eq!(custom_name(&"a".repeat(40)), Some("a".repeat(40)));
        for bad in ["", "  ", "a:b", "two\nlines", "tab\there"] {
            assert_eq!(custom_name(bad), None, "{bad:?}");
        }
        assert_eq!(custom_name(&"a".repeat(41)), None);
        assert_eq!(custom_name(&"é".repeat(21)), None, "42 bytes: ContactForm would refuse it");
    }

    #[test]
    fn the_map_flag_overrides_the_guess() {
        let headers = ["Courriel", "Région", "Notes", "Prénom", "Email perso"];
        let mapping = Mapping::with_overrides(&headers, "Courriel=email, Région=custom:region ,notes=ignore").unwrap();
        let expected = [
            Target::Email,
            Target::Custom("region".into()),
            Target::Ignore,
            Target::FirstName,
            Target::Custom("Email perso".into()),
        ];
        assert_eq!(mapping.columns, expected);
        assert_eq!(mapping.check(), Ok(()));
        assert_eq!(mapping.column_of(&Target::FirstName), Some(3));
        assert_eq!(mapping.column_of(&Target::Phone), None);
        assert_eq!(Mapping::with_overrides(&headers, ""), Ok(Mapping::guess(&headers)));
    }

    #[test]
    fn the_map_flag_names_what_it_does_not_know() {
        let headers = ["Courriel", "Notes"];
        let err = Mapping::with_overrides(&headers, "Fax=phone").unwrap_err();
        assert!(err.contains("“Fax”"), "{err}");
        let err = Mapping::with_overrides(&headers, "Notes=shoe_size").unwrap_err();
        assert!(err.contains("“shoe_size”") && err.contains("first_name"), "{err}");
        let err = Mapping::with_overrides(&headers, "Notes").unwrap_err();
        assert!(err.contains("“Notes”"), "{err}");
        assert!(Mapping::with_overrides(&headers, "Notes=custom:a:b").is_err());
    }

    #[test]
    fn a_mapping_needs_one_email_column_and_no_field_twice() {
        let check = |columns: Vec<Target>| Mapping { columns }.check();
        let no_email = Err("Choose which column holds the email address.".to_string());
        assert_eq!(check(vec![Target::FirstName, Target::Ignore]), no_email);
        assert_eq!(check(vec![]), no_email);
        let two_emails = Err("Only one column can be the email address.".to_string());
        assert_eq!(check(vec![Target::Email, Target::Email]), two_emails);
        let err = check(vec![Target::Email, Target::FirstName, Target::FirstName]).unwrap_err();
        assert!(err.contains("First name"), "{err}");
        let err = check(vec![Target::Email, Target::Custom("region".into()), Target::Custom("region".into())]);
        assert!(err.unwrap_err().contains("“region”"));
        assert!(check(vec![Target::Email, Target::Custom("a:b".into())]).is_err(), "a name ContactForm would refuse");
        let (a, b) = (Target::Custom("a".into()), Target::Custom("b".into()));
        assert_eq!(check(vec![Target::Email, Target::Ignore, Target::Ignore, a, b]), Ok(()));
        let custom =
            |n: usize| std::iter::once(Target::Email).chain((0..n).map(|i| Target::Custom(format!("attribute {i}"))));
        assert_eq!(check(custom(50).collect()), Ok(()));
        assert!(check(custom(51).collect()).unwrap_err().contains("50"));
    }

    #[test]
    fn the_guess_keeps_every_column_without_filling_a_field_twice() {
        let mapping = Mapping::guess(&["Email", "Nom", "Nom de famille", "Notes", "Notes", ""]);
        let expected = [
            Target::Email,
            Target::LastName,
            Target::Custom("Nom de famille".into()),
            Target::Custom("Notes".into()),
            Target::Custom("Notes 2".into()),
            Target::Ignore,
        ];
        assert_eq!(mapping.columns, expected);
        assert_eq!(mapping.check(), Ok(()));
    }
}
