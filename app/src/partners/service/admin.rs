//! What the partners page calls (admins only).

#[allow(unused_imports)]
use super::*;

const NEW_KEY: &str = "new_api_key";

pub async fn summaries() -> Result<Vec<crate::partners::PartnerSummary>, AppError> {
    require(Permission::ManageSettings).await?;
    let state = AppState::from_context()?;
    let day = day_of(crate::platform::clock::now());
    let mut list = Vec::new();
    for partner in state.store.partners().await? {
        let keys = state.store.api_keys(partner.id).await?;
        let today = state.store.partner_usage(partner.id, &day, &day).await?.pop().unwrap_or_default();
        list.push(crate::partners::PartnerSummary { partner, keys, today });
    }
    Ok(list)
}

pub async fn add_partner_from_page(
    name: &str,
    contact_email: &str,
    price: &str,
    daily_quota: &str,
) -> Result<crate::model::PartnerId, AppError> {
    let admin = require(Permission::ManageSettings).await?;
    let state = AppState::from_context()?;
    let price_cents =
        crate::model::contact::parse_cents(price).filter(|_| !price.trim().is_empty()).ok_or_else(|| {
            AppError::Invalid(FieldErrors::single("price", "Enter the price of one accepted lead, like 1.50."))
        })?;
    let daily_quota = if daily_quota.trim().is_empty() {
        0
    } else {
        daily_quota.trim().parse::<i64>().map_err(|_| {
            AppError::Invalid(FieldErrors::single(
                "daily_quota",
                "Enter a whole number of checks per day (0 for none).",
            ))
        })?
    };
    let id = create_partner(
        &state,
        &admin.email,
        name,
        contact_email,
        price_cents,
        daily_quota,
        crate::platform::clock::now(),
    )
    .await?;
    tracing::info!(by = %admin.id, partner_id = %id, "partner added");
    Ok(id)
}

pub async fn create_key_from_page(
    partner_id: crate::model::PartnerId,
    scopes: &[Scope],
    event_kinds: &str,
    expires_days: &str,
) -> Result<String, AppError> {
    let admin = require(Permission::ManageSettings).await?;
    let state = AppState::from_context()?;
    // The key form shows one message above it (it has no per-field slots).
    let event_kinds = if scopes.contains(&Scope::Events) {
        crate::model::events::EventKind::parse_list(event_kinds)
            .map_err(|_| AppError::Refused("Choose the event kinds this key may send.".into()))?
    } else {
        Vec::new()
    };
    let now = crate::platform::clock::now();
    let expires_at = match expires_days.trim() {
        "" => None,
        d => match d.parse::<i64>() {
            Ok(days) if (1..=3650).contains(&days) => Some(now + days * 86_400),
            _ => {
                return Err(AppError::Refused(
                    "Enter the expiry as a number of days from 1 to 3650, or leave it empty.".into(),
                ))
            }
        },
    };
    let grant = KeyGrant { scopes: scopes.to_vec(), event_kinds };
    let key = issue_key(&state, &admin.email, partner_id, &grant, expires_at, now).await?;
    tracing::info!(by = %admin.id, partner_id = %partner_id, "API key created on the partners page");
    if is_plain_form_post() {
        // Without JavaScript the answer is lost in the redirect: keep the key in the
        // session until the page shows it, once.
        session()?.insert(NEW_KEY, key.as_str()).await.map_err(session_error)?;
    }
    Ok(key.as_str().to_string())
}

pub async fn take_new_key() -> Result<Option<String>, AppError> {
    require(Permission::ManageSettings).await?;
    session()?.remove::<String>(NEW_KEY).await.map_err(session_error)
}

pub async fn revoke_from_page(key_id: crate::model::ApiKeyId, confirmed: bool) -> Result<(), AppError> {
    let admin = require(Permission::ManageSettings).await?;
    if !confirmed {
        return Err(AppError::Refused("Tick the box to confirm: calls with this key will stop at once.".into()));
    }
    let state = AppState::from_context()?;
    revoke_key(&state, &admin.email, key_id, crate::platform::clock::now()).await
}

pub async fn audit_trail() -> Result<Vec<crate::partners::AuditEntry>, AppError> {
    require(Permission::ManageSettings).await?;
    Ok(AppState::from_context()?.store.audit_entries(50).await?)
}
