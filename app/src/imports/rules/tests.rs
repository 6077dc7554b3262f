use super::*;

fn settings(headers: &[&str]) -> ContactImportSettings {
    ContactImportSettings {
        encoding: crate::imports::sniff::Encoding::Utf8,
        separator: b';',
        mapping: Mapping::guess(headers),
        channel: Channel::Import,
        source_detail: "Ancien CRM".into(),
        on_existing: OnExisting::Skip,
        consent: None,
        today: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
    }
}

fn owned(headers: &[&str]) -> Vec<String> {
    headers.iter().map(|h| h.to_string()).collect()
}

#[test]
fn a_row_becomes_a_contact_with_the_values_normalised() {
    let headers = ["Courriel", "Prénom", "Date de naissance", "Montant total", "Canal", "Source", "Taille"];
    let s = settings(&headers);
    let row =
        read_row(&[" ANN@Example.com ", "Ann", "01/02/1980", "1 234,50 €", "magasin", "", "M"], &owned(&headers), &s)
            .unwrap();
    let f = row.fields;
    assert_eq!(f.email.as_str(), "ann@example.com");
    assert_eq!(f.birth_date, NaiveDate::from_ymd_opt(1980, 2, 1));
    assert_eq!(f.total_spent_cents, 123_450);
    assert_eq!(f.channel, Channel::PointOfSale, "the row's own channel");
    assert_eq!(f.source_detail, "Ancien CRM", "the fixed source where the cell is empty");
    assert_eq!(f.custom.get("Taille").map(String::as_str), Some("M"));
    assert_eq!(row.consent_at, None);
}

#[test]
fn a_refused_row_says_which_column_and_why() {
    let headers = ["Courriel", "Date de naissance", "Canal"];
    let s = settings(&headers);
    let reason = read_row(&["nope", "2030-01-01", "fax"], &owned(&headers), &s).unwrap_err();
    assert!(reason.contains("Courriel: Enter a valid email address"), "{reason}");
    assert!(reason.contains("Date de naissance: The birth date cannot be in the future."), "{reason}");
    assert!(reason.contains("Canal: “fax” is not a channel"), "{reason}");
}

#[test]
fn a_subscription_without_its_consent_date_refuses_the_row() {
    let headers = ["email", "date d'inscription"];
    let mut s = settings(&headers);
    s.consent =
        Some(ConsentChoice { newsletter_id: NewsletterId(1), text: "Oui".into(), date: None, place: String::new() });
    assert!(s.check().is_ok());
    let ok = read_row(&["a@example.com", "03/04/2021"], &owned(&headers), &s).unwrap();
    assert_eq!(ok.consent_at.unwrap().date(), NaiveDate::from_ymd_opt(2021, 4, 3).unwrap());
    let refused = read_row(&["a@example.com", ""], &owned(&headers), &s).unwrap_err();
    assert!(refused.contains("A subscription needs the date consent was given"), "{refused}");
    let future = read_row(&["a@example.com", "01/01/2027"], &owned(&headers), &s).unwrap_err();
    assert!(future.contains("cannot be in the future"), "{future}");
}

#[test]
fn settings_are_checked_before_anything_is_read() {
    let mut s = settings(&["Prénom"]);
    s.consent =
        Some(ConsentChoice { newsletter_id: NewsletterId(1), text: " ".into(), date: None, place: String::new() });
    let errors = s.check().unwrap_err();
    assert!(errors.get("mapping").is_some(), "no email column");
    assert!(errors.get("consent_text").is_some(), "no words");
    assert!(errors.get("consent_date").is_some(), "no date, no date column");
}

fn known(first: &str, city: &str) -> ContactFields {
    ContactForm {
        email: "ann@example.com".into(),
        first_name: first.into(),
        city: city.into(),
        channel: "web".into(),
        source_detail: "site".into(),
        ..Default::default()
    }
    .validate(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap())
    .unwrap()
}

#[test]
fn fill_completes_empty_fields_and_overwrite_replaces_but_never_blanks() {
    let old = known("Ann", "");
    let mut row = known("Anna", "Nantes");
    row.channel = Channel::Import;
    row.source_detail = "fichier".into();
    row.phone = String::new();
    let filled = merge(&old, &row, false);
    assert_eq!((filled.first_name.as_str(), filled.city.as_str()), ("Ann", "Nantes"));
    assert_eq!((filled.channel, filled.source_detail.as_str()), (Channel::Web, "site"), "where it first came from");
    let blank = known("", "");
    let replaced = merge(&known("Ann", "Paris"), &blank, true);
    assert_eq!((replaced.first_name.as_str(), replaced.city.as_str()), ("Ann", "Paris"), "a blank cell erases nothing");
    assert_eq!(merge(&old, &row, true).first_name, "Anna");
}

#[test]
fn a_known_contact_is_decided_by_the_choice_and_a_suppressed_one_never_written() {
    let mut s = settings(&["email"]);
    let row = known("Anna", "Nantes");
    let k = Known { fields: known("Ann", ""), suppressed: false, has_subscription: false };
    assert_eq!(decide(&row, None, &s), Decision::Create);
    assert_eq!(decide(&row, Some(&k), &s), Decision::Unchanged, "skip");
    s.on_existing = OnExisting::Fill;
    assert!(matches!(decide(&row, Some(&k), &s), Decision::Update { fields: Some(_), subscribe: false }));
    assert_eq!(decide(&k.fields, Some(&k), &s), Decision::Unchanged, "nothing new");
    s.consent =
        Some(ConsentChoice { newsletter_id: NewsletterId(1), text: "Oui".into(), date: None, place: String::new() });
    assert_eq!(decide(&k.fields, Some(&k), &s), Decision::Update { fields: None, subscribe: true });
    let subscribed = Known { has_subscription: true, ..k.clone() };
    assert_eq!(decide(&k.fields, Some(&subscribed), &s), Decision::Unchanged, "an unsubscription stays");
    let suppressed = Known { suppressed: true, ..k };
    s.on_existing = OnExisting::Overwrite;
    assert_eq!(decide(&row, Some(&suppressed), &s), Decision::Suppressed);
}

#[test]
fn every_row_is_in_one_count() {
    let mut total = ImportCounts { created: 2, refused: 1, ..Default::default() };
    total.add(&ImportCounts { duplicates: 3, unchanged: 1, ..Default::default() });
    assert_eq!(total.rows(), 7);
    assert_eq!(total.summary(), "created: 2, updated: 0, unchanged: 1, duplicates: 3, suppressed: 0, refused: 1");
}
