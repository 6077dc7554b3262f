//! The suppression list over REST: check addresses (`/suppression/check`, and its
//! streaming form for whole files) and download the hashed list (`/suppression/export`).
//! The rules live in `app::partners::service`.

use super::{authorization, refusal, AppJson, BodyProblem};
use app::model::api_key::Scope;
use app::partners::service::{self, ApiError};
use app::partners::CheckRequest;
use app::platform::clock::now;
use app::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;

pub(super) async fn check(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<AppJson<CheckRequest>, BodyProblem>,
) -> Response {
    let now = now();
    let caller = match service::authenticate(&state, authorization(&headers), Scope::Check, now).await {
        Ok(c) => c,
        Err(e) => return refusal(e),
    };
    let request = match body {
        Ok(AppJson(request, _)) => request,
        Err(problem) => return problem.into_response(),
    };
    match service::check(&state, &caller, request, now).await {
        Ok(answer) => axum::Json(answer).into_response(),
        Err(e) => refusal(e),
    }
}

#[derive(serde::Deserialize)]
pub(super) struct ExportQuery {
    format: Option<String>,
    since: Option<String>,
}

/// `GET /api/v1/suppression/export?format=md5|sha256[&since=RFC3339]`: the hashed list,
/// one lowercase hex value per line, streamed (gzip when the client accepts it).
pub(super) async fn export(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<axum::extract::Query<ExportQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let now = now();
    if let Err(e) = service::authenticate(&state, authorization(&headers), Scope::Export, now).await {
        return refusal(e);
    }
    let Ok(axum::extract::Query(query)) = query else {
        return refusal(ApiError::Invalid(
            "Use ?format=md5 or ?format=sha256, and optionally &since=<RFC 3339>.".into(),
        ));
    };
    let sha256 = match query.format.as_deref() {
        Some("md5") => false,
        Some("sha256") => true,
        _ => return refusal(ApiError::Invalid("`format` must be md5 or sha256.".into())),
    };
    let since = match query.since.as_deref().map(chrono::DateTime::parse_from_rfc3339) {
        None => None,
        Some(Ok(t)) => Some(app::model::Timestamp(t.timestamp())),
        Some(Err(_)) => {
            return refusal(ApiError::Invalid(
                "`since` must be an RFC 3339 date and time, like 2026-11-01T00:00:00Z.".into(),
            ))
        }
    };
    // A producer task reads batches by id range; the response streams them as they come,
    // with at most a few batches in memory.
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<String>>(4);
    tokio::spawn(async move {
        if let Err(e) = service::export_hashes(&state, sha256, since, &tx).await {
            tracing::error!(error = %e, "suppression export failed midway");
            // The store never sends an empty batch: one here means "failed", and the
            // response is aborted so the partner sees an error, not a short list.
            let _ = tx.send(Vec::new()).await;
        }
    });
    // `unfold` panics if polled again after its end, and the gzip encoder does poll
    // again to finish its stream: unfused, every compressed export lost its last block
    // and the connection (`curl --compressed`: "transfer closed"). Fused, it just ends.
    let body = futures::stream::unfold(rx, |mut rx| async move {
        let batch = rx.recv().await?;
        if batch.is_empty() {
            return Some((Err(std::io::Error::other("export failed")), rx));
        }
        let mut text = String::with_capacity(batch.len() * 65);
        for hash in batch {
            text.push_str(&hash);
            text.push('\n');
        }
        Some((Ok(Bytes::from(text)), rx))
    })
    .fuse();
    let mut res = axum::body::Body::from_stream(body).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    res
}

/// Lines looked up per store round trip in the streaming check.
const STREAM_BATCH: usize = 5_000;

/// The longest line the streaming check reads: an address is at most 254 characters
/// and a hash 64, so a longer line cannot be known and is skipped, unread.
const MAX_LINE: usize = 1_024;

/// Splits a body into trimmed, non-empty lines as its chunks arrive, holding at most
/// one line of `MAX_LINE` bytes: a longer line is dropped as it streams in, so one
/// 256 MB line without a newline costs no memory.
#[derive(Default)]
struct LineReader {
    /// The start of a line whose end has not arrived.
    pending: Vec<u8>,
    /// Inside a line that went over `MAX_LINE`: dropping bytes until its newline.
    skipping: bool,
}

impl LineReader {
    fn push(&mut self, mut chunk: &[u8], lines: &mut Vec<String>) {
        while !chunk.is_empty() {
            let end = chunk.iter().position(|b| *b == b'\n');
            let (part, rest) = match end {
                Some(i) => (&chunk[..i], &chunk[i + 1..]),
                None => (chunk, &[][..]),
            };
            if !self.skipping {
                if self.pending.len() + part.len() > MAX_LINE {
                    self.pending.clear();
                    self.skipping = true;
                } else {
                    self.pending.extend_from_slice(part);
                }
            }
            if end.is_some() {
                self.take(lines);
            }
            chunk = rest;
        }
    }

    /// The last line, which may have no newline.
    fn finish(&mut self, lines: &mut Vec<String>) {
        self.take(lines);
    }

    fn take(&mut self, lines: &mut Vec<String>) {
        if !self.skipping {
            let line = String::from_utf8_lossy(&self.pending).trim().to_string();
            if !line.is_empty() {
                lines.push(line);
            }
        }
        self.pending.clear();
        self.skipping = false;
    }
}

/// `POST /api/v1/suppression/check/stream`: a text body of one value per line (emails,
/// MD5s or SHA-256s, mixed), answered with the known ones, one per line, as they are
/// found. Input and output both stream: memory holds a batch or two, whatever the size.
/// Lines that are neither an address nor a hash cannot be known and are skipped.
pub(super) async fn check_stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let now = now();
    let caller = match service::authenticate(&state, authorization(&headers), Scope::Check, now).await {
        Ok(c) => c,
        Err(e) => return refusal(e),
    };
    if !super::content_type_is(&headers, &["text/plain", "application/octet-stream"]) {
        return super::problem(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported content type",
            "Send one value per line as `text/plain` (or `application/octet-stream`, as `curl -T` does).",
        );
    }
    if let Err(e) = service::quota_left(&state, &caller, now).await {
        return refusal(e);
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        let mut input = body.into_data_stream();
        let mut reader = LineReader::default();
        let mut lines: Vec<String> = Vec::with_capacity(STREAM_BATCH);
        let mut finished = false;
        while !finished {
            match input.next().await {
                Some(Ok(chunk)) => reader.push(&chunk, &mut lines),
                Some(Err(_)) => return,
                None => {
                    finished = true;
                    reader.finish(&mut lines);
                }
            }
            if lines.len() >= STREAM_BATCH || (finished && !lines.is_empty()) {
                let batch = std::mem::take(&mut lines);
                match service::check_lines(&state, &caller, &batch, now).await {
                    Ok(known) if known.is_empty() => {}
                    Ok(known) => {
                        let mut text = known.join("\n");
                        text.push('\n');
                        if tx.send(Ok(Bytes::from(text))).await.is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(?e, "streaming check stopped");
                        let _ = tx.send(Err(std::io::Error::other("check stopped"))).await;
                        return;
                    }
                }
            }
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) }).fuse();
    let mut res = axum::body::Body::from_stream(stream).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    res
}

#[cfg(test)]
mod tests {
    use super::{LineReader, MAX_LINE};

    use proptest::prelude::*;

    fn expected_lines(input: &[u8]) -> Vec<String> {
        input
            .split(|b| *b == b'\n')
            .filter(|line| line.len() <= MAX_LINE)
            .map(|line| String::from_utf8_lossy(line).trim().to_string())
            .filter(|line| !line.is_empty())
            .collect()
    }

    fn body() -> impl Strategy<Value = Vec<u8>> {
        let line = prop_oneof![
            4 => prop::collection::vec(any::<u8>(), 0..80),
            2 => (MAX_LINE - 2..=MAX_LINE + 2, any::<bool>()).prop_map(|(n, cr)| {
                let mut line = vec![b'x'; n];
                if cr {
                    line[n - 1] = b'\r';
                }
                line
            }),
            1 => (prop::collection::vec(any::<u8>(), 1..8), MAX_LINE..3 * MAX_LINE)
                .prop_map(|(pattern, n)| pattern.iter().copied().cycle().take(n).collect::<Vec<u8>>()),
        ];
        prop::collection::vec(line, 0..40).prop_map(|lines| lines.join(&b'\n'))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// However the body arrives in chunks, the lines are those of the whole body
        /// (a line over the limit dropped), and no more than a line is ever held.
        #[test]
        fn any_chunking_yields_the_lines_under_the_limit(
            input in body(),
            sizes in prop::collection::vec(1usize..1_500, 1..50),
        ) {
            let mut reader = LineReader::default();
            let mut lines = Vec::new();
            let mut rest = &input[..];
            for size in sizes.iter().cycle() {
                if rest.is_empty() {
                    break;
                }
                let (chunk, tail) = rest.split_at((*size).min(rest.len()));
                reader.push(chunk, &mut lines);
                prop_assert!(reader.pending.len() <= MAX_LINE, "{} bytes held", reader.pending.len());
                prop_assert!(reader.pending.capacity() <= 2 * MAX_LINE, "{} bytes reserved", reader.pending.capacity());
                rest = tail;
            }
            reader.finish(&mut lines);
            let expected = expected_lines(&input);
            prop_assert_eq!(&lines, &expected);
            let (mut whole, mut at_once) = (LineReader::default(), Vec::new());
            whole.push(&input, &mut at_once);
            whole.finish(&mut at_once);
            prop_assert_eq!(&at_once, &expected);
        }
    }

    #[test]
    fn lines_are_read_across_chunks_and_an_endless_line_costs_nothing() {
        let mut reader = LineReader::default();
        let mut lines = Vec::new();
        reader.push(b" ann@example.com\r\nbo", &mut lines);
        reader.push(b"b@example.com\n\n", &mut lines);
        assert_eq!(lines, ["ann@example.com", "bob@example.com"]);
        // 256 MB without a newline, in 64 KB chunks: never more than one line held.
        let chunk = vec![b'x'; 64 * 1024];
        for _ in 0..4_096 {
            reader.push(&chunk, &mut lines);
            assert!(reader.pending.capacity() <= 2 * MAX_LINE, "{}", reader.pending.capacity());
        }
        reader.push(b"tail of the long line\ncarl@example.com", &mut lines);
        reader.finish(&mut lines);
        assert_eq!(lines, ["ann@example.com", "bob@example.com", "carl@example.com"], "the long line is skipped");
    }
}
