//! What the engagement pages call, with the role each action needs.

use super::{refresh, settings, start_bulk, BulkAction};
use crate::auth::service::require;
use crate::engagement::{Dashboard, Job};
use crate::error::AppError;
use crate::model::engagement::EngagementSettings;
use crate::model::events::EventKind;
use crate::model::{ContactQuery, FieldErrors, Permission};
use crate::platform::clock::now;
use crate::state::AppState;
use crate::store::NewEvent;

pub async fn dashboard_for_staff() -> Result<Dashboard, AppError> {
    require(Permission::ViewContacts).await?;
    let state = AppState::from_context()?;
    Ok(super::dashboard(&state, now()).await?)
}

/// A full recompute reads the whole base: editors only (viewers read the stored one).
pub async fn refresh_for_staff() -> Result<(), AppError> {
    require(Permission::EditContacts).await?;
    let state = AppState::from_context()?;
    refresh(&state, now()).await?;
    Ok(())
}

/// How many contacts a bulk action on this list would touch.
pub async fn bulk_count(query: &ContactQuery) -> Result<i64, AppError> {
    require(Permission::EditContacts).await?;
    let state = AppState::from_context()?;
    let bounds = settings(&state).await?.bounds(now());
    Ok(state.store.count_matching(query, &bounds).await?)
}

/// Starts a confirmed bulk action; refuses without the confirmation box ticked.
pub async fn bulk_for_staff(list: &str, action: &str, confirm: bool) -> Result<crate::model::JobId, AppError> {
    let user = require(Permission::EditContacts).await?;
    let state = AppState::from_context()?;
    let mut errors = FieldErrors::default();
    let action = BulkAction::parse(action);
    if action.is_none() {
        errors.add("action", "Choose what to do with these contacts.");
    }
    if !confirm {
        errors.add("confirm", "Tick the box to confirm.");
    }
    match action {
        Some(action) if errors.is_empty() => {
            let query = ContactQuery::from_query_string(list);
            Ok(start_bulk(&state, &query, action, &user.email, now()).await?)
        }
        _ => Err(AppError::Invalid(errors)),
    }
}

pub async fn job_for_staff(id: crate::model::JobId) -> Result<Job, AppError> {
    require(Permission::ViewContacts).await?;
    let state = AppState::from_context()?;
    Ok(state.jobs.describe(state.store.job(id).await?.ok_or(AppError::NotFound)?))
}

pub async fn jobs_for_staff() -> Result<Vec<Job>, AppError> {
    require(Permission::ViewContacts).await?;
    let state = AppState::from_context()?;
    Ok(state.store.recent_jobs(20).await?.into_iter().map(|j| state.jobs.describe(j)).collect())
}

/// An interaction staff saw happen (a purchase in a shop, a reply, a visit…).
pub async fn add_interaction(
    contact_id: crate::model::ContactId,
    kind: &str,
    day: &str,
    note: &str,
) -> Result<(), AppError> {
    let user = require(Permission::EditContacts).await?;
    let state = AppState::from_context()?;
    let mut errors = FieldErrors::default();
    let kind = EventKind::parse(kind).filter(|k| EventKind::MANUAL.contains(k));
    if kind.is_none() {
        errors.add("kind", "Choose what happened.");
    }
    let now = now();
    let today = now.date();
    let date = chrono::NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d").ok();
    match date {
        None => errors.add("day", "Give the date as YYYY-MM-DD."),
        Some(d) if d > today => errors.add("day", "This date is in the future."),
        Some(d) if d < today - chrono::Days::new(3650) => errors.add("day", "This date is more than ten years ago."),
        _ => {}
    }
    let note = note.trim();
    if note.chars().count() > 500 {
        errors.add("note", "Keep the note under 500 characters.");
    }
    let (Some(kind), Some(date), true) = (kind, date, errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };
    state.store.contact(contact_id).await?.ok_or(AppError::NotFound)?;
    // Today's interactions are stamped now; earlier ones at noon UTC that day.
    let at = if date == today { now } else { date.and_hms_opt(12, 0, 0).map(|t| t.and_utc().into()).unwrap_or(now) };
    let event = NewEvent {
        contact_id,
        kind,
        occurred_at: at,
        campaign: String::new(),
        meta: String::new(),
        detail: note.to_string(),
        actor: user.email,
    };
    // Shown on the contact page the staff member returns to: applied before answering.
    state.event_writer.record_applied(&state.store, vec![event]).await?;
    Ok(())
}

pub async fn settings_for_staff() -> Result<EngagementSettings, AppError> {
    require(Permission::ViewContacts).await?;
    let state = AppState::from_context()?;
    Ok(settings(&state).await?)
}

pub async fn save_settings_for_staff(new: EngagementSettings) -> Result<(), AppError> {
    require(Permission::ManageSettings).await?;
    let state = AppState::from_context()?;
    new.validate().map_err(AppError::Invalid)?;
    super::save_settings(&state, &new, now()).await?;
    // The dashboard follows the new settings at once.
    refresh(&state, now()).await?;
    Ok(())
}
