//! Cell values as marketers type them in a spreadsheet — "17/05/1990", "1 234,50 €",
//! "Magasin" — turned into the plain text `ContactForm` expects ("1990-05-17",
//! "1234.50", "point_of_sale"), so an imported row goes through exactly the same
//! validation as a contact typed on the form. Anything ambiguous is refused with a
//! sentence saying how to write it, rather than guessed: a wrong amount or birth date
//! imported silently is worse than a row to fix.

use crate::model::{Channel, Timestamp};
use chrono::{DateTime, NaiveDate, NaiveDateTime};

const DATE_HELP: &str = "Write the date as DD/MM/YYYY or YYYY-MM-DD.";
const AMOUNT_HELP: &str = "Write amounts like 1234,50.";
const AMOUNT_AMBIGUOUS: &str = "Write amounts like 1234,50 — is 1,234 one thousand or one?";
const CONSENT_MISSING: &str = "The consent date is missing.";
const CONSENT_HELP: &str = "Write the consent date as DD/MM/YYYY or YYYY-MM-DD.";

/// The form of a word used to compare it with known words: lowercase, Latin accents
/// removed (é → e, œ → oe), and everything but a–z and 0–9 dropped, so "E-MAIL ",
/// "e-mail" and "Email" are the same word, as are "Centres d'intérêt" and
/// "centres d interet".
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        match c {
            'a'..='z' | '0'..='9' => out.push(c),
            'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => out.push('a'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'î' | 'ï' | 'í' | 'ì' => out.push('i'),
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' => out.push('o'),
            'û' | 'ü' | 'ù' | 'ú' => out.push('u'),
            'ç' => out.push('c'),
            'ÿ' => out.push('y'),
            'ñ' => out.push('n'),
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            // Punctuation, spaces, combining accents (a decomposed "é") and the rest.
            _ => {}
        }
    }
    out
}

/// A date as "YYYY-MM-DD", from the ways spreadsheets write one. Day-first whenever the
/// year comes last, as in France: "03/04/2024" is the 3rd of April. A time after the
/// date (Excel exports "17/05/1990 00:00") is ignored. Two-digit years are refused,
/// since "01/02/03" could be three different days.
pub fn normalize_date(raw: &str) -> Result<String, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(String::new());
    }
    let date = raw.split(|c: char| c == 'T' || c == 't' || c.is_whitespace()).next().unwrap_or_default();
    let separator = date.chars().find(|c| !c.is_ascii_digit()).ok_or(DATE_HELP)?;
    if !matches!(separator, '-' | '/' | '.') {
        return Err(DATE_HELP);
    }
    let parts: Vec<&str> = date.split(separator).collect();
    let &[first, middle, last] = parts.as_slice() else {
        return Err(DATE_HELP);
    };
    if !parts.iter().all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit())) {
        return Err(DATE_HELP);
    }
    let (year, month, day) = if first.len() == 4 && middle.len() <= 2 && last.len() <= 2 {
        (first, middle, last)
    } else if last.len() == 4 && first.len() <= 2 && middle.len() <= 2 {
        (last, middle, first)
    } else {
        return Err(DATE_HELP);
    };
    let number = |p: &str| p.parse::<u32>().map_err(|_| DATE_HELP);
    let year = i32::try_from(number(year)?).map_err(|_| DATE_HELP)?;
    let date = NaiveDate::from_ymd_opt(year, number(month)?, number(day)?).ok_or(DATE_HELP)?;
    Ok(date.format("%Y-%m-%d").to_string())
}

/// An amount as "1234.50", from the ways people write money: "1 234,50 €", "1.234,56",
/// "1,234.5", "EUR 12". When both ',' and '.' appear the later one is the decimal
/// separator; a single separator followed by exactly three digits is refused, since
/// "1,234" is one thousand in London and one euro in Lyon.
pub fn normalize_amount(raw: &str) -> Result<String, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(String::new());
    }
    let lower = raw.to_lowercase().replace("eur", "");
    let s: String =
        lower.chars().filter(|c| !c.is_whitespace() && !matches!(c, '\u{a0}' | '\u{202f}' | '€' | '$' | '£')).collect();
    if s.starts_with('-') {
        return Err("An amount cannot be negative.");
    }
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit() || c == ',' || c == '.') {
        return Err(AMOUNT_HELP);
    }
    let both_kinds = s.contains(',') && s.contains('.');
    let (whole, fraction) = match s.rfind([',', '.']) {
        None => (s.as_str(), ""),
        Some(at) => {
            let separator = char::from(s.as_bytes()[at]);
            let (whole, fraction) = (&s[..at], &s[at + 1..]);
            let once = !whole.contains(separator);
            if both_kinds && !once {
                // "1,234,56.7,8": the decimal separator cannot appear twice.
                return Err(AMOUNT_HELP);
            } else if both_kinds {
                (whole, fraction)
            } else if !once {
                // "1.234.567": repeated, so it only groups thousands.
                (s.as_str(), "")
            } else if fraction.len() == 3 {
                return Err(AMOUNT_AMBIGUOUS);
            } else {
                (whole, fraction)
            }
        }
    };
    // Thousands separators must group by three, so "1.2.3" is not read as 123.
    let groups: Vec<&str> = whole.split([',', '.']).collect();
    if groups.len() > 1 && (groups[0].is_empty() || groups[0].len() > 3 || groups[1..].iter().any(|g| g.len() != 3)) {
        return Err(AMOUNT_HELP);
    }
    let whole = groups.concat();
    match (whole.is_empty(), fraction.is_empty()) {
        (true, true) => Err(AMOUNT_HELP),
        (true, false) => Ok(format!("0.{fraction}")),
        (false, true) => Ok(whole),
        (false, false) => Ok(format!("{whole}.{fraction}")),
    }
}

/// Interests as `ContactForm` takes them ("a, b, c"), from a cell that may separate
/// them with commas, semicolons, pipes or line breaks.
pub fn join_interests(raw: &str) -> String {
    raw.split([',', ';', '|', '\n', '\r']).map(str::trim).filter(|t| !t.is_empty()).collect::<Vec<_>>().join(", ")
}

/// The acquisition channel a cell names, in Carnet's words or in the words a French or
/// English shop uses ("Magasin", "Salon", "Site web"). `None` when it names none.
pub fn parse_channel(raw: &str) -> Option<Channel> {
    if let Some(channel) = Channel::parse(raw.trim()) {
        return Some(channel);
    }
    let key = fold(raw);
    if key.is_empty() {
        return None;
    }
    // Each channel's own name and label, folded once (not twice a channel for each row
    // of an import).
    static NAMES: std::sync::OnceLock<Vec<(String, Channel)>> = std::sync::OnceLock::new();
    let names = NAMES
        .get_or_init(|| Channel::ALL.into_iter().flat_map(|c| [(fold(c.as_str()), c), (fold(c.label()), c)]).collect());
    if let Some((_, channel)) = names.iter().find(|(name, _)| *name == key) {
        return Some(*channel);
    }
    Some(match key.as_str() {
        "site" | "internet" | "siteweb" | "siteinternet" | "formulaireweb" | "online" | "enligne" => Channel::Web,
        "magasin" | "boutique" | "pointdevente" | "caisse" | "pos" | "store" | "shop" | "instore" | "enmagasin" => {
            Channel::PointOfSale
        }
        "centredappels" | "centredappel" | "telephone" | "tel" | "callcentre" | "callcenter" | "phone" => {
            Channel::CallCentre
        }
        "bondecommande" | "catalogue" | "courrier" | "orderform" | "mailorder" | "vpc" | "venteparcorrespondance" => {
            Channel::OrderForm
        }
        "salon" | "evenement" | "tradeshow" | "jeuconcours" => Channel::Event,
        "partenaire" => Channel::Partner,
        _ => return None,
    })
}

/// When consent was given, from an export: RFC 3339 ("2024-03-01T10:00:00+01:00"),
/// "YYYY-MM-DD HH:MM[:SS]" read as UTC, or a date alone, taken as midnight UTC.
pub fn parse_instant(raw: &str) -> Result<Timestamp, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(CONSENT_MISSING);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Ok(Timestamp(at.timestamp()));
    }
    for format in ["%Y-%m-%d %H:%M:%S%:z", "%Y-%m-%d %H:%M:%S%z"] {
        if let Ok(at) = DateTime::parse_from_str(raw, format) {
            return Ok(Timestamp(at.timestamp()));
        }
    }
    let without_offset =
        ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"];
    for format in without_offset {
        if let Ok(at) = NaiveDateTime::parse_from_str(raw, format) {
            return Ok(Timestamp(at.and_utc().timestamp()));
        }
    }
    let day = normalize_date(raw)
        .ok()
        .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .ok_or(CONSENT_HELP)?;
    Ok(Timestamp(day.and_utc().timestamp()))
}

/// The text on a single line: each run of control characters and line breaks becomes
/// one space. Custom attributes are stored as `key: value` lines, so a value carrying
/// a newline would split into a second, bogus attribute.
pub fn one_line(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut in_break = false;
    for c in raw.chars() {
        if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
            if !in_break {
                out.push(' ');
            }
            in_break = true;
        } else {
            out.push(c);
            in_break = false;
        }
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_case_accents_spaces_and_punctuation() {
        assert_eq!(fold(" E-MAIL "), "email");
        assert_eq!(fold("Centres d'intérêt"), "centresdinteret");
        assert_eq!(fold("Société"), "societe");
        assert_eq!(fold("Cœur ÆTHER"), "coeuraether");
        assert_eq!(fold("Adresse 2"), "adresse2");
        assert_eq!(fold("e\u{301}te\u{301}"), "ete", "a decomposed accent is dropped too");
    }

    #[test]
    fn dates_are_read_day_first_in_every_common_spelling() {
        for raw in ["2024-04-03", "2024/04/03", "03/04/2024", "3/4/2024", "03-04-2024", "03.04.2024", " 03/04/2024 "] {
            assert_eq!(normalize_date(raw), Ok("2024-04-03".to_string()), "{raw:?}");
        }
        for raw in ["2024-04-03T10:00:00Z", "03/04/2024 10:00", "03/04/2024 10:00:00", "2024-04-03T10:00:00+01:00"] {
            assert_eq!(normalize_date(raw), Ok("2024-04-03".to_string()), "a time after the date is ignored: {raw:?}");
        }
        assert_eq!(normalize_date("  "), Ok(String::new()));
    }

    #[test]
    fn impossible_or_ambiguous_dates_are_refused() {
        for raw in ["31/02/2024", "03/04/24", "2024-13-01", "13/2024/01", "hier", "03/04-2024", "45352", "1/2/3/2024"] {
            assert_eq!(normalize_date(raw), Err("Write the date as DD/MM/YYYY or YYYY-MM-DD."), "{raw:?}");
        }
        assert_eq!(normalize_date("29/02/2024"), Ok("2024-02-29".to_string()), "2024 is a leap year");
    }

    #[test]
    fn amounts_are_read_as_french_and_english_people_write_them() {
        assert_eq!(normalize_amount("1 234,50 €"), Ok("1234.50".to_string()));
        assert_eq!(normalize_amount("1\u{202f}234,50\u{a0}€"), Ok("1234.50".to_string()));
        assert_eq!(normalize_amount("1,234.5"), Ok("1234.5".to_string()));
        assert_eq!(normalize_amount("1.234,56"), Ok("1234.56".to_string()));
        assert_eq!(normalize_amount("12"), Ok("12".to_string()));
        assert_eq!(normalize_amount("129,9"), Ok("129.9".to_string()));
        assert_eq!(normalize_amount("EUR 45.00"), Ok("45.00".to_string()));
        assert_eq!(normalize_amount("$1,000,000"), Ok("1000000".to_string()));
        assert_eq!(normalize_amount(",5"), Ok("0.5".to_string()));
        assert_eq!(normalize_amount(""), Ok(String::new()));
    }

    #[test]
    fn negative_ambiguous_and_odd_amounts_are_refused() {
        assert_eq!(normalize_amount("-12,50 €"), Err("An amount cannot be negative."));
        assert_eq!(normalize_amount("1,234"), Err("Write amounts like 1234,50 — is 1,234 one thousand or one?"));
        assert_eq!(normalize_amount("1.234"), Err("Write amounts like 1234,50 — is 1,234 one thousand or one?"));
        for raw in ["douze", "12 euros", "1.2.3", "1,23,4.5", "€", "1.234.5,6,7"] {
            assert_eq!(normalize_amount(raw), Err("Write amounts like 1234,50."), "{raw:?}");
        }
    }

    #[test]
    fn interests_are_split_on_any_usual_separator() {
        assert_eq!(join_interests("Running; cycling| tea\nbooks,, "), "Running, cycling, tea, books");
        assert_eq!(join_interests(" "), "");
    }

    #[test]
    fn channels_are_recognised_in_french_and_english() {
        let cases = [
            ("point_of_sale", Channel::PointOfSale),
            ("Web form", Channel::Web),
            ("Site web", Channel::Web),
            ("Internet", Channel::Web),
            ("Magasin", Channel::PointOfSale),
            ("Point de vente", Channel::PointOfSale),
            ("In store", Channel::PointOfSale),
            ("Centre d'appels", Channel::CallCentre),
            ("Téléphone", Channel::CallCentre),
            ("Call center", Channel::CallCentre),
            ("Bon de commande", Channel::OrderForm),
            ("Mail order", Channel::OrderForm),
            ("Salon", Channel::Event),
            ("Événement", Channel::Event),
            ("Jeu-concours", Channel::Event),
            ("Trade show", Channel::Event),
            ("Partenaire", Channel::Partner),
            ("IMPORT", Channel::Import),
        ];
        for (raw, channel) in cases {
            assert_eq!(parse_channel(raw), Some(channel), "{raw:?}");
        }
        assert_eq!(parse_channel("pigeon voyageur"), None);
        assert_eq!(parse_channel(""), None);
    }

    #[test]
    fn consent_instants_accept_exports_and_plain_dates() {
        // 2024-03-01T00:00:00Z is 1_709_251_200.
        assert_eq!(parse_instant("2024-03-01T09:00:00Z"), Ok(Timestamp(1_709_283_600)));
        assert_eq!(parse_instant("2024-03-01T10:00:00+01:00"), Ok(Timestamp(1_709_283_600)));
        assert_eq!(parse_instant("2024-03-01 09:00:00"), Ok(Timestamp(1_709_283_600)));
        assert_eq!(parse_instant("2024-03-01 09:00"), Ok(Timestamp(1_709_283_600)));
        assert_eq!(parse_instant("01/03/2024"), Ok(Timestamp(1_709_251_200)));
        assert_eq!(parse_instant("2024-03-01"), Ok(Timestamp(1_709_251_200)));
        assert_eq!(parse_instant(" "), Err("The consent date is missing."));
        assert_eq!(parse_instant("last spring"), Err("Write the consent date as DD/MM/YYYY or YYYY-MM-DD."));
        assert_eq!(parse_instant("01/03/24"), Err("Write the consent date as DD/MM/YYYY or YYYY-MM-DD."));
    }

    #[test]
    fn one_line_removes_line_breaks_and_control_characters() {
        assert_eq!(one_line(" Gold\r\nmember\tsince 2019\u{7} "), "Gold member since 2019");
        assert_eq!(one_line("\n\n"), "");
    }
}
