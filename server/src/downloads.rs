//! File downloads for signed-in staff (outside Leptos: a browser saves them).

use app::model::Permission;
use app::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

#[derive(serde::Deserialize)]
pub struct MonthQuery {
    month: Option<String>,
}

/// `/partners/{id}/statement.csv?month=YYYY-MM` (admins).
pub async fn statement_csv(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Query(q): Query<MonthQuery>,
) -> Response {
    match app::auth::service::user_of(&state, &session).await {
        Ok(Some(user)) if user.role.allows(Permission::ManageSettings) => {}
        Ok(Some(_)) => return (StatusCode::FORBIDDEN, "Your role does not allow this.").into_response(),
        Ok(None) => return (StatusCode::UNAUTHORIZED, "Please sign in to continue.").into_response(),
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
    let month = q.month.unwrap_or_else(|| chrono::Utc::now().format("%Y-%m").to_string());
    match app::partners::service::statement_for(&state, id, &month).await {
        Ok(statement) => {
            let filename =
                format!("attachment; filename=\"carnet-partner-{}-{}.csv\"", statement.partner.id, statement.month);
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (header::CONTENT_DISPOSITION, filename),
                ],
                statement.to_csv(),
            )
                .into_response()
        }
        Err(app::error::AppError::NotFound) => (StatusCode::NOT_FOUND, "No such partner.").into_response(),
        Err(e @ app::error::AppError::Invalid(_)) => (StatusCode::UNPROCESSABLE_ENTITY, e.to_string()).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
