//! Files for signed-in staff, outside Leptos: downloads a browser saves (statements,
//! list exports) and the events CSV upload.

use app::model::Permission;
use app::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

/// The signed-in user of a staff file route, if their role allows `permission`; else the
/// answer to send: 403, or for someone signed out the sign-in page coming back to
/// `back_to` (uploads, posted from a page) or 401 (downloads).
pub(super) async fn staff_user(
    state: &AppState,
    session: &Session,
    permission: Permission,
    back_to: Option<&str>,
) -> Result<app::auth::CurrentUser, Response> {
    match app::auth::service::user_of(state, session).await {
        // An admin-set password, a required second factor missing: nothing until it
        // is done (as `require` says).
        Ok(Some(user)) if user.must_act_first().is_some() => {
            Err((StatusCode::FORBIDDEN, user.must_act_first().unwrap_or_default()).into_response())
        }
        Ok(Some(user)) if user.role.allows(permission) => Ok(user),
        Ok(Some(_)) => Err((StatusCode::FORBIDDEN, "Your role does not allow this.").into_response()),
        Ok(None) => Err(match back_to {
            Some(path) => {
                let next = app::model::listing::url_encode(path);
                axum::response::Redirect::to(&format!("/login?next={next}")).into_response()
            }
            None => (StatusCode::UNAUTHORIZED, "Please sign in to continue.").into_response(),
        }),
        Err(_) => Err(StatusCode::INTERNAL_SERVER_ERROR.into_response()),
    }
}

#[derive(serde::Deserialize)]
pub struct MonthQuery {
    month: Option<String>,
}

/// `/partners/{id}/statement.csv?month=YYYY-MM` (admins).
pub async fn statement_csv(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<app::model::PartnerId>,
    Query(q): Query<MonthQuery>,
) -> Response {
    if let Err(answer) = staff_user(&state, &session, Permission::ManageSettings, None).await {
        return answer;
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

/// `/contacts/export?<list filters>&columns=…&format=csv|jsonl&separator=…` (and the
/// older `/contacts/export.csv`): the list with the chosen columns (marketers and
/// admins), streamed in chunks read by id so any size exports in flat memory.
pub async fn contacts_export(
    State(state): State<AppState>,
    session: Session,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    if let Err(answer) = staff_user(&state, &session, Permission::EditContacts, None).await {
        return answer;
    }
    let query = query.unwrap_or_default();
    let list = app::model::ContactQuery::from_query_string(&query);
    let request = match app::contacts::export::ExportRequest::from_query_string(&query) {
        Ok(request) => request,
        Err(why) => return (StatusCode::UNPROCESSABLE_ENTITY, why).into_response(),
    };
    let settings = match app::engagement::service::settings(&state).await {
        Ok(s) => s,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let bounds = settings.bounds(app::platform::clock::now());
    let format = request.format;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    tokio::spawn(async move {
        use app::contacts::export;
        if tx.send(Ok(export::start(&request))).await.is_err() {
            return;
        }
        let mut after = 0;
        loop {
            match export::chunk(&state, &list, &request, &bounds, settings.opens_count, after).await {
                Ok(Some((bytes, last))) => {
                    after = last;
                    if tx.send(Ok(bytes)).await.is_err() {
                        return; // the browser went away
                    }
                }
                Ok(None) => return,
                Err(e) => {
                    // Abort the response rather than hand over a silently truncated file.
                    tracing::error!(error = %e, "contacts export failed");
                    let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
                    return;
                }
            }
        }
    });
    let day = chrono::Utc::now().format("%Y-%m-%d");
    let file = format!("attachment; filename=\"carnet-contacts-{day}.{}\"", format.extension());
    (
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (header::CONTENT_DISPOSITION, file),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        axum::body::Body::from_stream(stream_of(rx)),
    )
        .into_response()
}

pub(super) fn stream_of<T: Send + 'static>(
    mut rx: tokio::sync::mpsc::Receiver<T>,
) -> impl futures::Stream<Item = T> + Send + 'static {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// Upload limit for an events CSV (about 400,000 lines).
pub const MAX_IMPORT_BYTES: usize = 32 * 1024 * 1024;

/// `POST /engagement/import` (multipart, field `file`): checks the whole file, then
/// either starts the import job and shows its progress, or goes back to the form with
/// every problem listed (kept in the session for that one page view).
pub async fn import_events(
    State(state): State<AppState>,
    session: Session,
    mut multipart: axum::extract::Multipart,
) -> Response {
    let user = match staff_user(&state, &session, Permission::EditContacts, Some("/engagement/import")).await {
        Ok(user) => user,
        Err(answer) => return answer,
    };
    let back = |errors: Vec<String>| {
        let session = session.clone();
        async move {
            let _ = session.insert(app::engagement::service::IMPORT_ERRORS_KEY, errors).await;
            axum::response::Redirect::to("/engagement/import").into_response()
        }
    };
    let text = match read_upload(&mut multipart, MAX_IMPORT_BYTES).await {
        Ok(text) => text,
        Err(problem) => return back(vec![problem]).await,
    };
    match app::engagement::service::start_import(&state, text, &user.email, app::platform::clock::now()).await {
        Ok(Ok(job)) => axum::response::Redirect::to(&format!("/jobs/{job}")).into_response(),
        Ok(Err(errors)) => back(errors).await,
        Err(e) => {
            tracing::error!(error = %e, "import failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The `file` field of a multipart upload, as UTF-8 text, or what to tell the person.
pub async fn read_upload(multipart: &mut axum::extract::Multipart, max_bytes: usize) -> Result<String, String> {
    let mut file = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => match field.bytes().await {
                Ok(bytes) => file = Some(bytes),
                Err(_) => return Err(format!("The file is too large: the limit is {} MB.", max_bytes / 1024 / 1024)),
            },
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => return Err("The upload was interrupted or too large; try again.".into()),
        }
    }
    let Some(bytes) = file.filter(|b| !b.is_empty()) else {
        return Err("Choose a CSV file.".into());
    };
    String::from_utf8(bytes.to_vec()).map_err(|_| "The file must be UTF-8 text (CSV).".to_string())
}

/// Upload limit for a file of used incentive codes.
pub const MAX_REDEMPTIONS_BYTES: usize = 32 * 1024 * 1024;

/// `POST /incentives/redemptions` (multipart, field `file`): reads the codes a shop
/// reports as used and records them in the background, on a progress page; a file that
/// cannot be taken goes back to `/incentives` with the reason.
pub async fn redemptions_csv(
    State(state): State<AppState>,
    session: Session,
    mut multipart: axum::extract::Multipart,
) -> Response {
    let user = match staff_user(&state, &session, Permission::EditContacts, Some("/incentives")).await {
        Ok(user) => user,
        Err(answer) => return answer,
    };
    let refused = match read_upload(&mut multipart, MAX_REDEMPTIONS_BYTES).await {
        Err(problem) => problem,
        Ok(text) => {
            match app::incentives::service::start_redemptions(&state, &text, &user.email, app::platform::clock::now())
                .await
            {
                Ok(Ok(job)) => return axum::response::Redirect::to(&format!("/jobs/{job}")).into_response(),
                Ok(Err(why)) => why,
                Err(e) => {
                    tracing::error!(error = %e, "could not start recording used codes");
                    return StatusCode::INTERNAL_SERVER_ERROR.into_response();
                }
            }
        }
    };
    let summary = app::incentives::RedemptionSummary { problems: vec![refused], ..Default::default() };
    let _ = session.insert(app::incentives::REDEMPTION_SUMMARY_KEY, summary).await;
    axum::response::Redirect::to("/incentives?redeemed=1").into_response()
}
