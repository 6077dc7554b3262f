//! Awarding incentives: after a person saves their profile, every open programme whose
//! trigger they now meet gives them a code (at most once per programme, enforced by the
//! database), shown on their page and mailed to them.

use super::Incentive;
use crate::error::AppError;
use crate::model::profile::{completion, ProfileField};
use crate::model::ContactForm;
use crate::platform::jobs;
use crate::state::AppState;
use rand::Rng;

/// Letters and digits that cannot be mistaken for one another when read aloud or typed.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A fresh code: the programme's prefix and 10 characters (50 bits).
pub fn generate_code(prefix: &str) -> String {
    let mut rng = rand::thread_rng();
    let body: String = (0..10).map(|_| CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())] as char).collect();
    format!("{prefix}{body}")
}

/// Whether the profile meets the programme's trigger.
pub fn earns(incentive: &Incentive, form: &ContactForm, shown: &[ProfileField]) -> bool {
    let filled = |key: &String| ProfileField::parse(key).is_some_and(|f| !f.get(form).trim().is_empty());
    i64::from(completion(form, shown)) >= incentive.threshold && incentive.fields.iter().all(filled)
}

/// Awards what the contact now earns and has not earned before; each code is mailed.
pub async fn award_due(
    state: &AppState,
    contact_id: crate::model::ContactId,
    form: &ContactForm,
    shown: &[ProfileField],
    to: &str,
) -> Result<(), AppError> {
    let now = crate::platform::clock::now();
    let earned: Vec<crate::model::IncentiveId> =
        state.store.rewards_of(contact_id).await?.iter().map(|r| r.incentive_id).collect();
    for incentive in state.store.incentives().await? {
        if earned.contains(&incentive.id) || !incentive.open_at(now) || !earns(&incentive, form, shown) {
            continue;
        }
        let code = match incentive.code_source.as_str() {
            "pool" => {
                let code = state.store.award_from_pool(incentive.id, contact_id, now).await?;
                if code.is_none() {
                    tracing::warn!(incentive = %incentive.id, "the incentive's code pool is empty: nothing given");
                }
                code
            }
            _ => {
                let code = generate_code(&incentive.code_prefix);
                state.store.award_code(incentive.id, contact_id, &code, now).await?.then_some(code)
            }
        };
        let Some(code) = code else { continue };
        tracing::info!(incentive = %incentive.id, contact = %contact_id, "incentive awarded");
        let subject = format!("Thank you: {}", incentive.reward);
        let text =
            format!("Thank you for bringing your profile up to date.\n\n{}\nYour code: {code}\n", incentive.reward);
        let html = {
            use leptos::prelude::*;
            let (reward, code) = (incentive.reward.clone(), code.clone());
            view! {
                <p>"Thank you for bringing your profile up to date."</p>
                <p>{reward}</p>
                <p>"Your code: "<strong>{code}</strong></p>
            }
            .to_html()
        };
        let mail = crate::mail::service::to_contact(state, contact_id, "incentive", to, &subject, &text, &html).await?;
        crate::mail::service::queue(state, &mail).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn programme(threshold: i64, fields: &[&str]) -> Incentive {
        Incentive {
            id: crate::model::IncentiveId(1),
            name: "n".into(),
            reward: "r".into(),
            threshold,
            fields: fields.iter().map(|f| f.to_string()).collect(),
            valid_from: crate::model::Timestamp(0),
            valid_until: None,
            code_source: "generated".into(),
            code_prefix: "".into(),
            active: true,
            created_at: crate::model::Timestamp(0),
        }
    }

    #[test]
    fn codes_carry_the_prefix_and_unambiguous_characters() {
        let code = generate_code("WELCOME-");
        assert!(code.starts_with("WELCOME-") && code.len() == 18);
        assert!(code[8..].bytes().all(|b| CODE_ALPHABET.contains(&b)));
        assert_ne!(generate_code(""), generate_code(""));
    }

    #[test]
    fn the_trigger_is_the_threshold_and_the_named_fields() {
        let shown = [ProfileField::FirstName, ProfileField::City];
        let mut form = ContactForm { first_name: "Ann".into(), ..Default::default() };
        assert!(!earns(&programme(100, &[]), &form, &shown));
        assert!(earns(&programme(50, &[]), &form, &shown));
        assert!(!earns(&programme(0, &["phone"]), &form, &shown), "a named field must be filled, shown or not");
        form.phone = "+33 1 23 45 67 89".into();
        form.city = "Lyon".into();
        assert!(earns(&programme(100, &["phone"]), &form, &shown));
    }

    #[test]
    fn a_programme_is_open_within_its_dates_when_active() {
        let mut p = programme(100, &[]);
        p.valid_from = crate::model::Timestamp(10);
        p.valid_until = Some(crate::model::Timestamp(20));
        assert!(
            !p.open_at(crate::model::Timestamp(9))
                && p.open_at(crate::model::Timestamp(10))
                && p.open_at(crate::model::Timestamp(19))
                && !p.open_at(crate::model::Timestamp(20))
        );
        p.active = false;
        assert!(!p.open_at(crate::model::Timestamp(15)));
    }
}

/// Creates a programme (and its pool) from what staff typed; returns its id.
pub async fn create_programme(
    state: &AppState,
    form: &super::ProgrammeForm,
    now: crate::model::Timestamp,
) -> Result<CreatedProgramme, AppError> {
    let (incentive, pool) = form.validate(now).map_err(AppError::Invalid)?;
    let id = state.store.create_incentive(&incentive, &pool, now).await?;
    Ok(CreatedProgramme { id, pool_codes: pool.len() })
}

/// A programme just created: its id, and how many shop codes its pool holds.
pub struct CreatedProgramme {
    pub id: crate::model::IncentiveId,
    pub pool_codes: usize,
}

/// Lines a file of used codes may hold.
pub const MAX_REDEMPTION_LINES: usize = 1_000_000;
/// Problems listed back to staff (the counts cover the rest).
const MAX_PROBLEMS: usize = 20;
/// Codes recorded between two progress reports.
const REDEEM_CHUNK: usize = 500;
/// First cells that name the column rather than hold a code.
const HEADERS: [&str; 6] = ["code", "codes", "coupon", "code promo", "voucher", "bon"];

/// A date in a shop's export: RFC 3339, or `YYYY-MM-DD[ HH:MM[:SS]]` taken as UTC.
fn parse_used_at(text: &str, now: crate::model::Timestamp) -> Result<crate::model::Timestamp, String> {
    use chrono::{NaiveDate, NaiveDateTime};
    let plain = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M"))
        .ok()
        .or_else(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(12, 0, 0)));
    match plain {
        Some(at) => crate::model::events::parse_instant(&at.and_utc().to_rfc3339(), now),
        None => crate::model::events::parse_instant(text, now),
    }
}

/// A file of used codes once read: the codes to record (line, code, when) and what could
/// not be read.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct UsedCodes {
    used: Vec<(u64, String, crate::model::Timestamp)>,
    skipped: u64,
    problems: Vec<String>,
}

fn note(problems: &mut Vec<String>, text: String) {
    if problems.len() < MAX_PROBLEMS {
        problems.push(text);
    }
}

/// Reads a CSV of used codes: one a line, `code[,redeemed_at]`, comma, semicolon or tab
/// separated, with an optional header; `redeemed_at` is RFC 3339 or
/// `YYYY-MM-DD[ HH:MM[:SS]]` (UTC; default: now).
fn read_used_codes(text: &str, now: crate::model::Timestamp) -> Result<UsedCodes, String> {
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = [b';', b'\t', b','].into_iter().find(|d| first_line.as_bytes().contains(d)).unwrap_or(b',');
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut file = UsedCodes::default();
    for (index, record) in reader.records().enumerate() {
        if index >= MAX_REDEMPTION_LINES {
            return Err(format!("The file has more than {MAX_REDEMPTION_LINES} lines: split it."));
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                file.skipped += 1;
                let line = e.position().map(|p| p.line()).unwrap_or(index as u64 + 1);
                note(&mut file.problems, format!("Line {line}: {e}"));
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(index as u64 + 1);
        let code = record.get(0).unwrap_or("").trim();
        if code.is_empty() || (index == 0 && HEADERS.contains(&code.to_lowercase().as_str())) {
            continue;
        }
        let code = match super::IncentiveCode::parse(code) {
            Ok(code) => code,
            Err(rule) => {
                file.skipped += 1;
                note(&mut file.problems, format!("Line {line}: {rule}"));
                continue;
            }
        };
        let at = match record.get(1).map(str::trim).filter(|t| !t.is_empty()) {
            None => now,
            Some(t) => match parse_used_at(t, now) {
                Ok(at) => at,
                Err(e) => {
                    file.skipped += 1;
                    note(&mut file.problems, format!("Line {line}: the date {e}"));
                    continue;
                }
            },
        };
        file.used.push((line, code.as_str().to_string(), at));
    }
    Ok(file)
}

/// Reads a file of used codes and starts recording them in the background (a job with
/// its progress page); or says why the file cannot be taken.
pub async fn start_redemptions(
    state: &AppState,
    text: &str,
    actor: &str,
    now: crate::model::Timestamp,
) -> Result<Result<crate::model::JobId, String>, AppError> {
    let file = match read_used_codes(text, now) {
        Ok(file) => file,
        Err(why) => return Ok(Err(why)),
    };
    let payload = serde_json::to_string(&file).map_err(|_| AppError::Internal)?;
    let total = file.used.len() as i64;
    let start = jobs::Start { payload, total, actor, now };
    Ok(Ok(jobs::start::<RedeemJob>(state, &jobs::NoParams {}, start).await?))
}

/// Incentives' job kinds.
pub fn register_jobs(registry: jobs::Registry) -> jobs::Registry {
    registry.register::<RedeemJob>()
}

/// Recording the used codes of a shop's file (the file, read, is the payload).
pub struct RedeemJob;

impl jobs::JobKind for RedeemJob {
    const NAME: &'static str = "redeem_codes";
    type Params = jobs::NoParams;
    const NEXT: &'static [(&'static str, &'static str)] = &[("Back to the incentives", "/incentives")];

    fn title(_: &jobs::NoParams) -> String {
        "Recording used incentive codes".to_string()
    }

    fn run<'a>(
        state: &'a AppState,
        job: &'a jobs::Job,
        _: jobs::NoParams,
        payload: &'a str,
    ) -> impl std::future::Future<Output = Result<String, crate::store::StoreError>> + Send + 'a {
        run_redemptions(state, job, payload)
    }
}

/// Records that a shop's customer used a code (the redemptions API).
pub async fn redeem(
    state: &AppState,
    code: &super::IncentiveCode,
    at: crate::model::Timestamp,
) -> Result<super::Redemption, crate::store::StoreError> {
    state.store.redeem_code(code.as_str(), at).await
}

/// Runs a `redeem_codes` job from where it stopped; returns its summary. Each code is
/// recorded once, whatever the file says twice; unknown codes and unreadable lines are
/// counted and the first few listed.
async fn run_redemptions(state: &AppState, job: &jobs::Job, payload: &str) -> Result<String, crate::store::StoreError> {
    use super::Redemption;
    let file: UsedCodes =
        serde_json::from_str(payload).map_err(|e| crate::store::StoreError::Database(e.to_string()))?;
    let mut summary = super::RedemptionSummary { skipped: file.skipped, problems: file.problems, ..Default::default() };
    let mut done = job.next_id.max(0) as usize;
    while done < file.used.len() {
        let end = (done + REDEEM_CHUNK).min(file.used.len());
        for (line, code, at) in &file.used[done..end] {
            match state.store.redeem_code(code, *at).await? {
                Redemption::Redeemed { .. } => summary.recorded += 1,
                Redemption::AlreadyRedeemed { .. } => summary.already += 1,
                Redemption::Unknown => {
                    summary.unknown += 1;
                    note(&mut summary.problems, format!("Line {line}: no code “{code}” was given to anyone."));
                }
            }
        }
        done = end;
        jobs::report(state, job, done as i64, done as i64).await?;
    }
    let resumed = if job.next_id > 0 { " (since the work resumed)" } else { "" };
    let mut message = format!(
        "Used codes recorded{resumed}: {}. Already recorded before: {}. Unknown: {}. Lines not read: {}.",
        summary.recorded, summary.already, summary.unknown, summary.skipped
    );
    if !summary.problems.is_empty() {
        message.push(' ');
        message.push_str(&summary.problems.join(" · "));
    }
    Ok(message)
}

#[cfg(test)]
mod used_at_tests {
    use super::parse_used_at;

    #[test]
    fn shop_exports_dates_are_read_as_utc() {
        let now = crate::model::Timestamp(1_795_000_000); // 2026-11-18
        assert_eq!(parse_used_at("2026-11-01T10:00:00Z", now), Ok(crate::model::Timestamp(1_793_527_200)));
        assert_eq!(parse_used_at("2026-11-01 10:00:00", now), Ok(crate::model::Timestamp(1_793_527_200)));
        assert_eq!(parse_used_at("2026-11-01 10:00", now), Ok(crate::model::Timestamp(1_793_527_200)));
        assert_eq!(parse_used_at("2026-11-01", now), Ok(crate::model::Timestamp(1_793_527_200 + 2 * 3600)));
        assert!(parse_used_at("01/11/2026", now).is_err());
        assert!(parse_used_at("2031-01-01", now).is_err(), "not in the future");
    }
}
