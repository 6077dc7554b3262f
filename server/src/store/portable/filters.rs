//! The filters of a contact list (`/contacts?…`), shared by the list itself, its
//! counts, bulk actions and exports.

use super::*;
use app::model::engagement::StatusBounds;
use app::model::{ContactQuery, Email};
use sqlx::QueryBuilder;

/// The WHERE clause of a list (`/contacts?…`) over `contacts c` joined with
/// `engagement e`: search, channel, subscriptions, engagement status, list
/// cleaning and pool. Also what bulk actions apply to.
pub(super) fn contact_filters<'a>(b: &mut QueryBuilder<'a, Db>, query: &'a ContactQuery, bounds: &StatusBounds) {
    use app::model::engagement::EngagementStatus as S;
    use app::model::listing::Cleaning;
    b.push(" WHERE 1 = 1");
    if let Some(channel) = query.channel {
        b.push(" AND c.channel = ").push_bind(channel.as_str());
    }
    if let Ok(email) = Email::parse(&query.q) {
        // A whole address: one probe of the unique index instead of a scan.
        b.push(" AND c.email = ").push_bind(email.as_str().to_string());
    } else if !query.q.is_empty() {
        let needle = query.q.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        b.push(" AND c.search LIKE ").push_bind(format!("%{needle}%")).push(" ESCAPE '\\'");
    }
    if query.newsletter.is_some() || query.subscription.is_some() {
        b.push(" AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.contact_id = c.id");
        if let Some(n) = query.newsletter {
            b.push(" AND s.newsletter_id = ").push_bind(n);
        }
        if let Some(state) = query.subscription {
            b.push(" AND s.state = ").push_bind(state.as_str());
        }
        b.push(")");
    }
    // Statuses are ranges of one indexed column (see `StatusBounds`).
    let col = format!("e.{}", bounds.column);
    match query.status {
        None => {}
        Some(S::RecentActivity) => {
            b.push(format!(" AND {col} >= ")).push_bind(bounds.recent_from);
        }
        Some(S::Engaged) => {
            b.push(format!(" AND {col} >= ")).push_bind(bounds.engaged_from);
            b.push(format!(" AND {col} < ")).push_bind(bounds.recent_from);
        }
        Some(S::Disengaged) => {
            b.push(format!(" AND {col} >= ")).push_bind(bounds.disengaged_from);
            b.push(format!(" AND {col} < ")).push_bind(bounds.engaged_from);
        }
        Some(S::Inactive) => {
            b.push(format!(" AND ({col} < ")).push_bind(bounds.disengaged_from);
            b.push(format!(" OR ({col} IS NULL AND e.created_at < ")).push_bind(bounds.new_from).push("))");
        }
        Some(S::New) => {
            b.push(format!(" AND {col} IS NULL AND e.created_at >= ")).push_bind(bounds.new_from);
        }
    }
    match query.clean {
        None => {}
        Some(Cleaning::NeverOpened) => {
            b.push(" AND e.last_open_at IS NULL");
        }
        Some(Cleaning::NeverClicked) => {
            b.push(" AND e.last_click_at IS NULL");
        }
        Some(Cleaning::Idle) => {
            let months = query.idle_months.unwrap_or(6);
            let from = bounds.idle_from(months);
            b.push(format!(" AND ({col} < ")).push_bind(from);
            b.push(format!(" OR ({col} IS NULL AND e.created_at < ")).push_bind(from).push("))");
        }
        Some(Cleaning::HardBounce) => {
            b.push(" AND e.suppression_reason = 'hard_bounce'");
        }
        Some(Cleaning::Complaint) => {
            b.push(" AND e.suppression_reason = 'complaint'");
        }
        Some(Cleaning::Suppressed) => {
            b.push(" AND e.suppression_reason IS NOT NULL");
        }
    }
    if let Some(pool) = query.pool {
        b.push(" AND e.pool = ").push_bind(pool.as_str());
    }
}
