//! An import's file: an upload on its way into the database, a file of this machine
//! registered from the command line, and the refused rows written back as a CSV.

use super::reading::{self, Layout, Source};
use super::service::MAX_COLUMNS;
use super::sniff::Encoding;
use crate::engagement::service::spreadsheet_safe;
use crate::model::ImportId;
use crate::store::imports::*;
use crate::store::{Store, StoreError};
use std::sync::Arc;

fn failed(e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(format!("import: {e}"))
}

/// Registers a file of this machine as an import (the command line): looks at all of
/// it for its encoding, and at its header; the import then waits for its settings.
pub async fn register_local_file(
    store: &Arc<dyn Store>,
    path: &std::path::Path,
    kind: &str,
    encoding: Option<Encoding>,
    actor: &str,
) -> Result<(ImportRecord, Layout), String> {
    let owned = path.to_path_buf();
    let (sniffed, separator, size) = tokio::task::spawn_blocking(move || -> std::io::Result<_> {
        use std::io::Read;
        let mut file = std::fs::File::open(&owned)?;
        let mut sniffer = super::Sniffer::default();
        let mut piece = vec![0u8; reading::PIECE];
        loop {
            let n = file.read(&mut piece)?;
            if n == 0 {
                break;
            }
            sniffer.feed(&piece[..n]);
        }
        let size = sniffer.size;
        let (encoding, separator) = sniffer.finish();
        Ok((encoding, separator, size))
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let encoding = encoding.unwrap_or(sniffed);
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let layout = reading::read_layout(file, encoding, separator)?;
    let now = crate::platform::clock::now();
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let id = store
        .create_import(&NewImport { kind, file_name: &name, created_by: actor, now })
        .await
        .map_err(|e| e.to_string())?;
    let uploaded = UploadedFile {
        size_bytes: size as i64,
        encoding: encoding.as_str(),
        separator: &(separator as char).to_string(),
        headers: &layout.headers,
    };
    store.import_uploaded(id, &uploaded, now).await.map_err(|e| e.to_string())?;
    let import = store.import(id).await.map_err(|e| e.to_string())?.ok_or("the import vanished")?;
    Ok((import, layout))
}

/// The refused rows as a CSV a spreadsheet opens: a UTF-8 BOM, then `line`, `reason`
/// and the file's own columns, with the file's separator. Made piece by piece (`next`),
/// for a download or a file.
pub struct RefusedCsv {
    separator: u8,
    headers: Option<Vec<String>>,
    after: i64,
}

impl RefusedCsv {
    const PAGE: i64 = 5_000;

    pub fn new(import: &ImportRecord) -> RefusedCsv {
        let mut headers = vec!["line".to_string(), "reason".to_string()];
        headers.extend(import.headers.iter().cloned());
        RefusedCsv { separator: import.separator.bytes().next().unwrap_or(b','), headers: Some(headers), after: 0 }
    }

    /// The next piece of the file, `None` after its end.
    pub async fn next(&mut self, store: &Arc<dyn Store>, id: ImportId) -> Result<Option<Vec<u8>>, StoreError> {
        let mut writer = csv::WriterBuilder::new().delimiter(self.separator).from_writer(Vec::new());
        if let Some(headers) = self.headers.take() {
            writer.write_record(&headers).map_err(failed)?;
            let mut bytes = super::sniff::BOM.to_vec();
            bytes.extend(writer.into_inner().map_err(failed)?);
            return Ok(Some(bytes));
        }
        let page = store.import_refusals(id, self.after, Self::PAGE).await?;
        let Some(last) = page.last() else { return Ok(None) };
        self.after = last.line;
        for r in &page {
            // The row as the file had it, each cell defused like any export's.
            let mut cells = vec![r.line.to_string(), spreadsheet_safe(&r.reason)];
            let mut reader = csv::ReaderBuilder::new()
                .delimiter(self.separator)
                .has_headers(false)
                .flexible(true)
                .from_reader(r.record.as_bytes());
            if let Some(Ok(record)) = reader.records().next() {
                cells.extend(record.iter().map(spreadsheet_safe));
            }
            writer.write_record(&cells).map_err(failed)?;
        }
        Ok(Some(writer.into_inner().map_err(failed)?))
    }
}

/// An upload on its way into the database: pieces of `reading::PIECE` bytes stored as
/// they fill, the whole file looked at as it passes (`Sniffer`).
pub struct Upload {
    store: Arc<dyn Store>,
    pub id: ImportId,
    pending: Vec<u8>,
    seq: i64,
    sniffer: super::Sniffer,
    max_bytes: u64,
}

impl Upload {
    pub async fn begin(
        store: &Arc<dyn Store>,
        kind: &str,
        file_name: &str,
        actor: &str,
        max_bytes: u64,
    ) -> Result<Upload, StoreError> {
        let name: String = file_name.chars().filter(|c| !c.is_control()).take(200).collect();
        let now = crate::platform::clock::now();
        let id = store.create_import(&NewImport { kind, file_name: &name, created_by: actor, now }).await?;
        Ok(Upload {
            store: store.clone(),
            id,
            pending: Vec::with_capacity(reading::PIECE),
            seq: 0,
            sniffer: Default::default(),
            max_bytes,
        })
    }

    /// Adds bytes; `Ok(false)` once the file is over the limit (nothing more is kept).
    pub async fn write(&mut self, mut bytes: &[u8]) -> Result<bool, StoreError> {
        if self.sniffer.size + self.pending.len() as u64 + bytes.len() as u64 > self.max_bytes {
            return Ok(false);
        }
        while !bytes.is_empty() {
            let room = reading::PIECE - self.pending.len();
            let (now, later) = bytes.split_at(room.min(bytes.len()));
            self.pending.extend_from_slice(now);
            bytes = later;
            if self.pending.len() == reading::PIECE {
                self.flush().await?;
            }
        }
        Ok(true)
    }

    async fn flush(&mut self) -> Result<(), StoreError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.sniffer.feed(&self.pending);
        self.store.add_import_chunk(self.id, self.seq, &self.pending).await?;
        self.seq += 1;
        self.pending.clear();
        Ok(())
    }

    /// The whole file is in: what it is (or why it cannot be imported).
    pub async fn finish(mut self) -> Result<Result<ImportRecord, String>, StoreError> {
        self.flush().await?;
        let size = self.sniffer.size;
        if size == 0 {
            return Ok(Err("The file is empty: choose a CSV file with a header line and one row per contact.".into()));
        }
        let (encoding, separator) = std::mem::take(&mut self.sniffer).finish();
        let layout = reading::layout_of(Source::Stored(self.id), self.store.clone(), encoding, separator).await;
        let layout = match layout {
            Ok(layout) if layout.headers.len() > MAX_COLUMNS => {
                return Ok(Err(format!(
                    "The file has {} columns; Carnet takes {MAX_COLUMNS} at most. Check the separator, or remove \
                     the columns you do not need.",
                    layout.headers.len()
                )))
            }
            Ok(layout) => layout,
            Err(reason) => return Ok(Err(reason)),
        };
        let file = UploadedFile {
            size_bytes: size as i64,
            encoding: encoding.as_str(),
            separator: &(separator as char).to_string(),
            headers: &layout.headers,
        };
        self.store.import_uploaded(self.id, &file, crate::platform::clock::now()).await?;
        let import = self.store.import(self.id).await?.ok_or(StoreError::NotFound)?;
        Ok(Ok(import))
    }
}
