//! An import's choices: what the page starts with (the last run's, a saved mapping for
//! the same headers, or Carnet's guess) and the form's strings read into the settings a
//! run takes, with every problem said.

use super::api::ImportChoices;
use super::mapping::{Mapping, Target};
use super::rules::{ConsentChoice, ContactImportSettings, OnExisting};
use super::service::{self, SuppressionSettings};
use super::sniff::{self, Encoding};
use super::values;
use crate::error::AppError;
use crate::model::contact::Newsletter;
use crate::model::Channel;
use crate::state::AppState;
use crate::store::imports::ImportRecord;
use serde::{Deserialize, Serialize};

/// A saved mapping: the headers it was made for and the choices (settings of the file
/// and of the rows, not the consent: that is each file's own).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct SavedChoices {
    pub(super) headers: Vec<String>,
    pub(super) choices: ImportChoices,
}

pub(super) fn separator_value(sep: u8) -> String {
    if sep == b'\t' {
        "tab".into()
    } else {
        (sep as char).to_string()
    }
}

/// The choices a fresh page starts with: the last run's, else a mapping saved for these
/// very headers, else Carnet's guess.
pub(super) async fn starting_choices(state: &AppState, import: &ImportRecord) -> Result<ImportChoices, AppError> {
    if import.kind == "suppression" {
        if let Ok(s) = serde_json::from_str::<SuppressionSettings>(&import.settings) {
            return Ok(ImportChoices {
                encoding: s.encoding.as_str().into(),
                separator: separator_value(s.separator),
                column: s.column.to_string(),
                has_header: if s.has_header { "1".into() } else { String::new() },
                reason: s.reason,
                ..Default::default()
            });
        }
        let (column, has_header) = service::suppression_column(&import.headers);
        return Ok(ImportChoices {
            encoding: import.encoding.clone(),
            separator: file_separator(import),
            column: column.to_string(),
            has_header: if has_header { "1".into() } else { String::new() },
            reason: "Imported suppression list".into(),
            ..Default::default()
        });
    }
    let last_run = serde_json::from_str::<ContactImportSettings>(&import.settings).ok();
    if let Some(s) = last_run.filter(|s| s.mapping.columns.len() == import.headers.len()) {
        let consent = s.consent.clone();
        return Ok(ImportChoices {
            encoding: s.encoding.as_str().into(),
            separator: separator_value(s.separator),
            columns: s.mapping.columns.iter().map(Target::as_str).collect(),
            channel: s.channel.as_str().into(),
            source_detail: s.source_detail,
            on_existing: s.on_existing.as_str().into(),
            newsletter: consent.as_ref().map(|c| c.newsletter_id.to_string()).unwrap_or_default(),
            consent_text: consent.as_ref().map(|c| c.text.clone()).unwrap_or_default(),
            consent_date: consent
                .as_ref()
                .and_then(|c| c.date)
                .map(|at| at.date().format("%d/%m/%Y").to_string())
                .unwrap_or_default(),
            consent_place: consent.map(|c| c.place).unwrap_or_default(),
            ..Default::default()
        });
    }
    for saved in state.store.import_mappings().await? {
        if let Ok(s) = serde_json::from_str::<SavedChoices>(&saved.settings) {
            if s.headers == import.headers {
                // The columns and row choices of the mapping; how this file is written
                // is its own.
                return Ok(ImportChoices {
                    encoding: import.encoding.clone(),
                    separator: file_separator(import),
                    save_as: String::new(),
                    ..s.choices
                });
            }
        }
    }
    let headers: Vec<&str> = import.headers.iter().map(String::as_str).collect();
    Ok(ImportChoices {
        encoding: import.encoding.clone(),
        separator: file_separator(import),
        columns: Mapping::guess(&headers).columns.iter().map(Target::as_str).collect(),
        channel: Channel::Import.as_str().into(),
        source_detail: import.file_name.clone(),
        on_existing: OnExisting::Skip.as_str().into(),
        ..Default::default()
    })
}

pub(super) fn file_separator(import: &ImportRecord) -> String {
    separator_value(import.separator.bytes().next().unwrap_or(b','))
}

/// The settings of a contact import from the form, or every problem with them.
pub fn contact_settings(
    choices: &ImportChoices,
    import: &ImportRecord,
    newsletters: &[Newsletter],
    today: chrono::NaiveDate,
) -> Result<ContactImportSettings, Vec<String>> {
    let mut problems = Vec::new();
    let (encoding, separator) = file_format(choices, &mut problems);
    if choices.columns.len() != import.headers.len() {
        problems.push("Choose what each column of the file fills.".into());
    }
    let mut columns = Vec::with_capacity(choices.columns.len());
    for (i, value) in choices.columns.iter().enumerate() {
        match Target::parse(value) {
            Some(t) => columns.push(t),
            None => {
                let header = import.headers.get(i).map(String::as_str).unwrap_or("?");
                problems.push(format!("Column “{header}”: “{}” is not a field.", values::one_line(value)));
                columns.push(Target::Ignore);
            }
        }
    }
    let channel = Channel::parse(&choices.channel).unwrap_or_else(|| {
        problems.push("Choose the channel these contacts came through.".into());
        Channel::Import
    });
    let on_existing = OnExisting::parse(&choices.on_existing).unwrap_or_else(|| {
        problems.push("Choose what to do with contacts Carnet already has.".into());
        OnExisting::Skip
    });
    let consent = match choices.newsletter.trim() {
        "" => None,
        id => match newsletters.iter().find(|n| n.id.to_string() == id) {
            None => {
                problems.push("That newsletter is not open to subscriptions any more: choose another.".into());
                None
            }
            Some(n) => {
                let date = match choices.consent_date.trim() {
                    "" => None,
                    raw => match values::parse_instant(raw) {
                        Ok(at) => Some(at),
                        Err(message) => {
                            problems.push(format!("Consent date: {message}"));
                            None
                        }
                    },
                };
                Some(ConsentChoice {
                    newsletter_id: n.id,
                    text: choices.consent_text.clone(),
                    date,
                    place: choices.consent_place.clone(),
                })
            }
        },
    };
    let settings = ContactImportSettings {
        encoding,
        separator,
        mapping: Mapping { columns },
        channel,
        source_detail: choices.source_detail.clone(),
        on_existing,
        consent,
        today,
    };
    if let Err(errors) = settings.check() {
        problems.extend(errors.0.into_iter().map(|e| e.message));
    }
    if problems.is_empty() {
        Ok(settings)
    } else {
        Err(problems)
    }
}

pub(super) fn file_format(choices: &ImportChoices, problems: &mut Vec<String>) -> (Encoding, u8) {
    let encoding = Encoding::parse(&choices.encoding).unwrap_or_else(|| {
        problems.push("Choose the file's encoding.".into());
        Encoding::Utf8
    });
    let separator = sniff::parse_separator(&choices.separator).unwrap_or_else(|| {
        problems.push("Choose the file's separator.".into());
        b','
    });
    (encoding, separator)
}

/// The settings of a suppression list's import from the form.
pub fn suppression_settings(
    choices: &ImportChoices,
    import: &ImportRecord,
) -> Result<SuppressionSettings, Vec<String>> {
    let mut problems = Vec::new();
    let (encoding, separator) = file_format(choices, &mut problems);
    let column = match choices.column.trim().parse::<usize>() {
        Ok(c) if c < import.headers.len().max(1) => c,
        _ => {
            problems.push("Choose the column that holds the addresses or hashes.".into());
            0
        }
    };
    let reason = choices.reason.trim().to_string();
    if reason.chars().count() > 200 {
        problems.push("Keep the reason under 200 characters.".into());
    }
    let reason = if reason.is_empty() { "Imported suppression list".to_string() } else { reason };
    if problems.is_empty() {
        Ok(SuppressionSettings { encoding, separator, has_header: choices.has_header == "1", column, reason })
    } else {
        Err(problems)
    }
}
