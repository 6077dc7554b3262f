//! Leads over REST: a partner submits a lead, recorded and billed only if the address
//! is new. The rules live in `app::partners::service`.

use super::{body_fingerprint, idempotent_caller, refusal, remember_if_keyed, AppJson, BodyProblem};
use app::model::api_key::Scope;
use app::partners::service;
use app::partners::LeadRequest;
use app::platform::clock::now;
use app::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

/// `POST /api/v1/leads`. With an `Idempotency-Key`, the first answer is stored and a
/// retry with the same key gets it again, so a lead is never billed twice.
pub(super) async fn submit_lead(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<AppJson<LeadRequest>, BodyProblem>,
) -> Response {
    let now = now();
    let (caller, key) =
        match idempotent_caller(&state, &headers, Scope::Submit, "POST /api/v1/leads", &body_fingerprint(&body), now)
            .await
        {
            Ok(found) => found,
            Err(answer) => return answer,
        };
    let response = match body {
        Ok(AppJson(request, _)) => match service::submit_lead(&state, &caller, request, now).await {
            Ok(accepted) => (StatusCode::CREATED, axum::Json(accepted)).into_response(),
            Err(e) => refusal(e),
        },
        Err(problem) => {
            service::count_unreadable_lead(&state, &caller, now).await;
            problem.into_response()
        }
    };
    remember_if_keyed(&state, caller.partner.id, key, response, now).await
}
