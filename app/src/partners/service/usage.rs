//! Check counters and key use (gathered in memory, written each second), quotas, statements.

#[allow(unused_imports)]
use super::*;

/// A key's last use and its requests per UTC day.
type KeyUse = (crate::model::Timestamp, std::collections::HashMap<String, i64>);

/// Check counters and key "last used" times, gathered in memory and written to the
/// store about once a second (see `flush`): a check then costs two indexed reads and no
/// write. Counters are additive upserts, so several instances sum correctly; a crash
/// loses at most the last second of check counts (leads are billed in their own
/// transaction, never through this buffer).
#[derive(Default)]
pub struct UsageBuffer {
    counts: std::sync::Mutex<std::collections::HashMap<(crate::model::PartnerId, String), (i64, i64)>>,
    /// key id → (last use, requests per day)
    touched: std::sync::Mutex<std::collections::HashMap<crate::model::ApiKeyId, KeyUse>>,
}

impl UsageBuffer {
    pub fn add(&self, partner_id: crate::model::PartnerId, day: &str, checks: i64, hits: i64) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let entry = counts.entry((partner_id, day.to_string())).or_default();
        entry.0 += checks;
        entry.1 += hits;
    }

    /// Checks counted here and not yet written.
    pub fn pending_checks(&self, partner_id: crate::model::PartnerId, day: &str) -> i64 {
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.get(&(partner_id, day.to_string())).map_or(0, |c| c.0)
    }

    pub fn touch(&self, key_id: crate::model::ApiKeyId, day: &str, now: crate::model::Timestamp) {
        let mut touched = self.touched.lock().unwrap_or_else(|e| e.into_inner());
        let (last, days) = touched.entry(key_id).or_default();
        *last = (*last).max(now);
        *days.entry(day.to_string()).or_default() += 1;
    }

    /// Writes what was gathered. On a storage error the counts are put back.
    pub async fn flush(&self, store: &dyn crate::store::Store) -> Result<(), StoreError> {
        let counts: Vec<((crate::model::PartnerId, String), (i64, i64))> =
            std::mem::take(&mut *self.counts.lock().unwrap_or_else(|e| e.into_inner())).into_iter().collect();
        for (i, ((partner_id, day), (checks, hits))) in counts.iter().enumerate() {
            if let Err(e) = store.add_partner_usage(*partner_id, day, *checks, *hits).await {
                for ((p, d), (c, h)) in &counts[i..] {
                    self.add(*p, d, *c, *h);
                }
                return Err(e);
            }
        }
        let touched: Vec<_> =
            std::mem::take(&mut *self.touched.lock().unwrap_or_else(|e| e.into_inner())).into_iter().collect();
        for (key_id, (at, days)) in touched {
            store.touch_api_key(key_id, at).await?;
            for (day, requests) in days {
                store.add_key_requests(key_id, &day, requests).await?;
            }
        }
        Ok(())
    }
}

/// Checks counted today: written ones plus those still in this instance's buffer.
pub(super) async fn checks_today(
    state: &AppState,
    partner_id: crate::model::PartnerId,
    day: &str,
) -> Result<i64, ApiError> {
    Ok(state.store.partner_checks_on(partner_id, day).await? + state.partner_usage.pending_checks(partner_id, day))
}

/// Refuses at once when the partner's daily quota is already used up.
pub async fn quota_left(state: &AppState, caller: &PartnerKey, now: crate::model::Timestamp) -> Result<(), ApiError> {
    if caller.partner.daily_quota > 0
        && checks_today(state, caller.partner.id, &day_of(now)).await? >= caller.partner.daily_quota
    {
        return Err(ApiError::QuotaExceeded { retry_after_secs: seconds_to_midnight(now) });
    }
    Ok(())
}

/// Refuses when `values` more lookups would pass the partner's daily quota. Checks and
/// events both count: each answers whether an address is a contact.
pub async fn quota_allows(
    state: &AppState,
    caller: &PartnerKey,
    values: usize,
    now: crate::model::Timestamp,
) -> Result<(), ApiError> {
    if caller.partner.daily_quota > 0
        && checks_today(state, caller.partner.id, &day_of(now)).await? + values as i64 > caller.partner.daily_quota
    {
        return Err(ApiError::QuotaExceeded { retry_after_secs: seconds_to_midnight(now) });
    }
    Ok(())
}

/// A partner's monthly statement (admins).
pub async fn statement(
    partner_id: crate::model::PartnerId,
    month: &str,
) -> Result<crate::partners::Statement, AppError> {
    require(Permission::ManageSettings).await?;
    statement_for(&AppState::from_context()?, partner_id, month).await
}

pub async fn statement_for(
    state: &AppState,
    partner_id: crate::model::PartnerId,
    month: &str,
) -> Result<crate::partners::Statement, AppError> {
    let (year, mon) = crate::partners::parse_month(month)
        .ok_or_else(|| AppError::Invalid(FieldErrors::single("month", "Choose a month as YYYY-MM.")))?;
    let partner = state.store.partner(partner_id).await?.ok_or(AppError::NotFound)?;
    // Today's checks may still be in this instance's buffer.
    state.partner_usage.flush(state.store.as_ref()).await?;
    let from = format!("{year:04}-{mon:02}-01");
    let to = format!("{year:04}-{mon:02}-31");
    let days = state.store.partner_usage(partner_id, &from, &to).await?;
    let mut totals = crate::partners::UsageDay { day: "total".into(), ..Default::default() };
    for d in &days {
        totals.checks += d.checks;
        totals.hits += d.hits;
        totals.accepted += d.accepted;
        totals.duplicates += d.duplicates;
        totals.invalid += d.invalid;
        totals.billed_cents += d.billed_cents;
    }
    Ok(crate::partners::Statement { partner, month: format!("{year:04}-{mon:02}"), days, totals })
}
