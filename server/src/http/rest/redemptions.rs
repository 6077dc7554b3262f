//! `POST /api/v1/redemptions` (API key with the `redeem` scope): a shop's checkout
//! records that an incentive code was used. `{"code": "THANKS-…", "redeemed_at"?: RFC 3339}`
//! → 200 when recorded now, 409 when it was used before (with when), 404 for a code that
//! was never issued, 422 for a bad body.

use super::{body_fingerprint, idempotent_caller, problem, refusal, remember_if_keyed, AppJson, BodyProblem};
use app::incentives::{IncentiveCode, Redemption};
use app::model::api_key::Scope;
use app::partners::service::ApiError;
use app::platform::clock::now;
use app::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Body {
    code: String,
    redeemed_at: Option<String>,
}

pub(super) async fn redeem(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<AppJson<Body>, BodyProblem>,
) -> Response {
    let now = now();
    let (caller, key) = match idempotent_caller(
        &state,
        &headers,
        Scope::Redeem,
        "POST /api/v1/redemptions",
        &body_fingerprint(&body),
        now,
    )
    .await
    {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let response = match body {
        Err(problem) => problem.into_response(),
        Ok(AppJson(b, _)) => match IncentiveCode::parse(&b.code) {
            Err(rule) => refusal(ApiError::Invalid(rule.into())),
            Ok(code) => {
                let at = match b.redeemed_at.as_deref().map(|t| app::model::events::parse_instant(t, now)) {
                    None => Ok(now),
                    Some(parsed) => parsed,
                };
                match at {
                    Err(e) => refusal(ApiError::Invalid(format!("`redeemed_at` {e}"))),
                    Ok(at) => match app::incentives::service::redeem(&state, &code, at).await {
                        Err(e) => {
                            tracing::error!(error = %e, "could not record a redemption");
                            refusal(ApiError::Internal)
                        }
                        Ok(Redemption::Redeemed { incentive_id }) => (
                            StatusCode::OK,
                            axum::Json(serde_json::json!({ "status": "redeemed", "incentive_id": incentive_id })),
                        )
                            .into_response(),
                        Ok(Redemption::AlreadyRedeemed { at }) => problem(
                            StatusCode::CONFLICT,
                            "Already redeemed",
                            &format!("This code was used at {}.", at.datetime().to_rfc3339()),
                        ),
                        Ok(Redemption::Unknown) => {
                            problem(StatusCode::NOT_FOUND, "Unknown code", "No code spelled so was given to anyone.")
                        }
                    },
                }
            }
        },
    };
    remember_if_keyed(&state, caller.partner.id, key, response, now).await
}
