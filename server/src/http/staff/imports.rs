//! Imports' files: the upload (`POST /contacts/import`, multipart fields `kind` then
//! `file`), streamed into the database piece by piece so a 2 GB file never sits in
//! memory, and the refused rows' download.

use super::files::staff_user;
use app::imports::service::Upload;
use app::model::{ImportId, Permission};
use app::state::AppState;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

/// The largest file an upload takes.
pub const MAX_UPLOAD_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// `POST /contacts/import`: stores the file and goes to its page, where staff choose
/// what each column fills; a file that cannot be taken goes back to `/contacts/import`
/// with the reason.
pub async fn upload(State(state): State<AppState>, session: Session, mut multipart: Multipart) -> Response {
    let user = match staff_user(&state, &session, Permission::EditContacts, Some("/contacts/import")).await {
        Ok(user) => user,
        Err(answer) => return answer,
    };
    match receive(&state, &mut multipart, &user.email).await {
        Ok(Ok(id)) => Redirect::to(&format!("/contacts/import/{id}")).into_response(),
        Ok(Err(problem)) => {
            let _ = session.insert(app::imports::staff::UPLOAD_PROBLEMS_KEY, vec![problem]).await;
            Redirect::to("/contacts/import").into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "import upload failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Reads the form: `kind` (contacts or suppression), then the file, written as it
/// arrives. `Ok(Err(_))` says what to tell the person.
async fn receive(
    state: &AppState,
    multipart: &mut Multipart,
    actor: &str,
) -> Result<Result<ImportId, String>, app::store::StoreError> {
    let mut kind = "contacts".to_string();
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Ok(Err("Choose a file to upload.".into())),
            Err(_) => return Ok(Err("The upload was interrupted; try again.".into())),
        };
        match field.name() {
            Some("kind") => {
                // A word: anything longer is not one of ours, and is not read further.
                let mut text = Vec::new();
                while let Ok(Some(bytes)) = field.chunk().await {
                    text.extend_from_slice(&bytes);
                    if text.len() > 32 {
                        break;
                    }
                }
                kind = String::from_utf8_lossy(&text).into_owned();
                if kind != "contacts" && kind != "suppression" {
                    return Ok(Err("Choose what the file is: contacts or a suppression list.".into()));
                }
            }
            Some("file") => {
                let name = field.file_name().unwrap_or("upload.csv").to_string();
                let mut upload = Upload::begin(&state.store, &kind, &name, actor, MAX_UPLOAD_BYTES).await?;
                loop {
                    match field.chunk().await {
                        Ok(Some(bytes)) => {
                            if !upload.write(&bytes).await? {
                                // What was stored of it goes at once.
                                let (id, later) = (upload.id, app::platform::clock::now() + 1);
                                state.store.expire_imports(later, Some(id)).await?;
                                return Ok(Err("The file is larger than 2 GB: split it and import each part.".into()));
                            }
                        }
                        Ok(None) => break,
                        Err(_) => {
                            let later = app::platform::clock::now() + 1;
                            state.store.expire_imports(later, Some(upload.id)).await?;
                            return Ok(Err("The upload was interrupted; try again.".into()));
                        }
                    }
                }
                let id = upload.id;
                let taken = upload.finish().await?.map(|import| import.id);
                if taken.is_err() {
                    // Nothing to import from it: what was stored goes at once.
                    state.store.expire_imports(app::platform::clock::now() + 1, Some(id)).await?;
                }
                return Ok(taken);
            }
            _ => {}
        }
    }
}

/// `GET /contacts/import/{id}/refused.csv`: every refused row with its line and reason,
/// as a spreadsheet opens it.
pub async fn refused_csv(State(state): State<AppState>, session: Session, Path(id): Path<ImportId>) -> Response {
    if let Err(answer) = staff_user(&state, &session, Permission::EditContacts, None).await {
        return answer;
    }
    let import = match state.store.import(id).await {
        Ok(Some(import)) => import,
        Ok(None) => return (StatusCode::NOT_FOUND, "No such import.").into_response(),
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    // Streamed: up to 100,000 refused rows, read a page at a time.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let store = state.store.clone();
    let file = import.file_name.clone();
    tokio::spawn(async move {
        let mut csv = app::imports::service::RefusedCsv::new(&import);
        loop {
            match csv.next(&store, import.id).await {
                Ok(Some(piece)) => {
                    if tx.send(Ok(piece)).await.is_err() {
                        return; // the browser went away
                    }
                }
                Ok(None) => return,
                Err(e) => {
                    // Abort the response rather than hand over a silently truncated file.
                    tracing::error!(error = %e, "refused rows download failed");
                    let _ = tx.send(Err(std::io::Error::other("download failed"))).await;
                    return;
                }
            }
        }
    });
    let stem = file.rsplit_once('.').map_or(file.as_str(), |(stem, _)| stem);
    let safe: String = stem.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')).take(60).collect();
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{safe}-refused-{id}.csv\"")),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        axum::body::Body::from_stream(super::files::stream_of(rx)),
    )
        .into_response()
}
