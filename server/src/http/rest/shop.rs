//! The brand's own shop and site (integrations): `POST /api/v1/profile-links` and
//! `GET /api/v1/contacts/completion` (`profile` scope), `PUT /api/v1/contacts`
//! (`contacts` scope). The rules live in `app::partners::service::shop`.

use super::{authorization, body_fingerprint, idempotent_caller, refusal, remember_if_keyed, AppJson, BodyProblem};
use app::model::api_key::Scope;
use app::partners::service::{self, ContactsUpsert};
use app::platform::clock::now;
use app::state::AppState;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LinkBody {
    email: String,
}

/// A fresh personal link for the customer (each call makes a new one).
pub(super) async fn profile_link(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<AppJson<LinkBody>, BodyProblem>,
) -> Response {
    let now = now();
    if let Err(e) = service::authenticate(&state, authorization(&headers), Scope::Profile, now).await {
        return refusal(e);
    }
    let body = match body {
        Ok(AppJson(body, _)) => body,
        Err(problem) => return problem.into_response(),
    };
    match service::profile_link(&state, &body.email, now).await {
        Ok(link) => (StatusCode::CREATED, axum::Json(link)).into_response(),
        Err(e) => refusal(e),
    }
}

#[derive(serde::Deserialize)]
pub(super) struct CompletionQuery {
    email: Option<String>,
}

pub(super) async fn completion(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<CompletionQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let now = now();
    if let Err(e) = service::authenticate(&state, authorization(&headers), Scope::Profile, now).await {
        return refusal(e);
    }
    let Some(email) = query.ok().and_then(|Query(q)| q.email) else {
        return refusal(service::ApiError::Invalid("Give the customer's address: `?email=`.".into()));
    };
    match service::completion(&state, &email, now).await {
        Ok(completion) => axum::Json(completion).into_response(),
        Err(e) => refusal(e),
    }
}

/// Upserts contacts; with an `Idempotency-Key`, a retry gets the first answer and its
/// orders are not recorded twice.
pub(super) async fn upsert_contacts(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<AppJson<ContactsUpsert>, BodyProblem>,
) -> Response {
    let now = now();
    let fingerprint = body_fingerprint(&body);
    let (caller, key) =
        match idempotent_caller(&state, &headers, Scope::Contacts, "PUT /api/v1/contacts", &fingerprint, now).await {
            Ok(found) => found,
            Err(answer) => return answer,
        };
    let response = match body {
        Err(problem) => problem.into_response(),
        Ok(AppJson(request, _)) => match service::upsert_contacts(&state, &caller, request, now).await {
            Ok(report) => axum::Json(report).into_response(),
            Err(e) => refusal(e),
        },
    };
    remember_if_keyed(&state, caller.partner.id, key, response, now).await
}
