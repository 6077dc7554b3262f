//! Reading an import's file: from the database's stored pieces or a local file, from
//! any record on, as batches of classified rows made on a blocking thread while the
//! previous batch is written.

use super::sniff::{self, Encoding};
use crate::model::ImportId;
use crate::store::imports::Refusal;
use crate::store::Store;
use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;

/// The size of a stored piece of an uploaded file.
pub const PIECE: usize = 1 << 20;

/// Rows a batch of contacts holds: big enough for multi-row statements, small enough
/// that a killed run redoes little.
pub const BATCH_ROWS: usize = 20_000;

/// Lines a batch of a suppression list holds. Its hashes land anywhere in the list's
/// index, so that each batch rewrites nearly every page of it whatever its size:
/// fewer, bigger batches write it fewer times.
pub const SUPPRESSION_BATCH_ROWS: usize = 250_000;

/// Where an import's file is.
#[derive(Clone, Debug)]
pub enum Source {
    /// Uploaded through the browser, in the database.
    Stored(ImportId),
    /// On this machine (the command line).
    File(std::path::PathBuf),
}

/// A stored file read from a byte offset, fetching its pieces as it goes. Blocking:
/// it runs on a blocking thread, where it waits for the store.
struct StoredReader {
    store: Arc<dyn Store>,
    runtime: tokio::runtime::Handle,
    id: ImportId,
    pos: u64,
    piece: Vec<u8>,
    piece_start: u64,
}

impl Read for StoredReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let piece_end = self.piece_start + self.piece.len() as u64;
        if self.pos >= piece_end || self.pos < self.piece_start {
            let seq = (self.pos / PIECE as u64) as i64;
            let fetched =
                self.runtime.block_on(self.store.import_chunk(self.id, seq)).map_err(std::io::Error::other)?;
            match fetched {
                None => return Ok(0),
                Some(bytes) => {
                    self.piece = bytes;
                    self.piece_start = seq as u64 * PIECE as u64;
                }
            }
        }
        let offset = (self.pos - self.piece_start) as usize;
        let available = &self.piece[offset.min(self.piece.len())..];
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.pos += n as u64;
        Ok(n)
    }
}

/// Opens the file at byte `at`.
pub fn open(source: &Source, store: &Arc<dyn Store>, at: u64) -> std::io::Result<Box<dyn Read + Send>> {
    match source {
        Source::File(path) => {
            let mut file = std::fs::File::open(path)?;
            file.seek(SeekFrom::Start(at))?;
            Ok(Box::new(std::io::BufReader::with_capacity(256 * 1024, file)))
        }
        Source::Stored(id) => Ok(Box::new(StoredReader {
            store: store.clone(),
            runtime: tokio::runtime::Handle::current(),
            id: *id,
            pos: at,
            piece: Vec::new(),
            piece_start: 0,
        })),
    }
}

/// How the file is written, and where its rows start.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub encoding: Encoding,
    pub separator: u8,
    pub headers: Vec<String>,
    /// Byte offset and line of the first row after the header.
    pub data_at: u64,
    pub data_line: i64,
}

/// Reads the header line (after any BOM) of a file whose encoding and separator are known.
pub fn read_layout(reader: impl Read, encoding: Encoding, separator: u8) -> Result<Layout, String> {
    let mut start = [0u8; 3];
    let mut reader = std::io::BufReader::new(reader);
    let mut got = 0;
    while got < 3 {
        match reader.read(&mut start[got..]).map_err(|e| e.to_string())? {
            0 => break,
            n => got += n,
        }
    }
    let bom = sniff::bom_len(&start[..got]);
    let rest = std::io::Cursor::new(start[bom..got].to_vec()).chain(reader);
    let mut csv = csv_reader(rest, separator);
    let mut record = csv::ByteRecord::new();
    if !csv.read_byte_record(&mut record).map_err(|e| e.to_string())? {
        return Err("The file is empty: it needs a header line naming its columns, then one row per contact.".into());
    }
    let headers = cell_bytes(&record)
        .map(|cell| sniff::decode(cell, encoding).map(|s| s.trim().to_string()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| "The header line is not UTF-8 text: choose Windows-1252.".to_string())?;
    let next = csv.position();
    Ok(Layout { encoding, separator, headers, data_at: bom as u64 + next.byte(), data_line: next.line() as i64 })
}

/// Reads the header line of a file (`read_layout`) on a blocking thread; the error says
/// what is wrong with the file.
pub async fn layout_of(
    source: Source,
    store: Arc<dyn Store>,
    encoding: Encoding,
    separator: u8,
) -> Result<Layout, String> {
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let _entered = runtime.enter();
        let reader = open(&source, &store, 0).map_err(|e| e.to_string())?;
        read_layout(reader, encoding, separator)
    })
    .await
    .map_err(|e| e.to_string())?
}

/// Records end at `\n` only, a `\r` before it being taken off the last cell
/// (`cell_bytes`): with CRLF as the terminator the reader's position would fall between
/// the two, and a resumed run would count its lines one short.
fn csv_reader<R: Read>(reader: R, separator: u8) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .delimiter(separator)
        .has_headers(false)
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(reader)
}

/// The record's cells, the last without the `\r` of a CRLF line end.
fn cell_bytes(record: &csv::ByteRecord) -> impl Iterator<Item = &[u8]> {
    let last = record.len().saturating_sub(1);
    record
        .iter()
        .enumerate()
        .map(move |(i, cell)| if i == last { cell.strip_suffix(b"\r").unwrap_or(cell) } else { cell })
}

/// What a row is, once looked at.
pub enum Verdict<T> {
    Keep(T),
    Duplicate,
    Refuse(String),
}

/// A batch of rows and where the next one starts.
pub struct Batch<T> {
    pub rows: Vec<(i64, T)>,
    pub refusals: Vec<Refusal>,
    pub duplicates: i64,
    pub resume_at: u64,
    pub resume_line: i64,
}

/// Reads the rows from (`at`, `line`) on, judging each with `judge` (given the line
/// and the row's cells), in batches on a blocking thread. Rows between the first one
/// and `at` are judged first and forgotten: what `judge` remembers of them (the
/// addresses seen, for duplicates) is as it was when the run stopped.
pub fn read_batches<T: Send + 'static>(
    source: Source,
    store: Arc<dyn Store>,
    layout: Layout,
    at: (u64, i64),
    batch_rows: usize,
    mut judge: impl FnMut(i64, &[&str]) -> Verdict<T> + Send + 'static,
) -> tokio::sync::mpsc::Receiver<Result<Batch<T>, String>> {
    // One batch waiting while one is written and the next is read: more would only
    // hold more rows in memory, the writer being the slower.
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let _entered = runtime.enter();
        let outcome = (|| -> Result<(), String> {
            if at.0 > layout.data_at {
                let prefix = open(&source, &store, layout.data_at).map_err(|e| e.to_string())?;
                let mut csv = csv_reader(prefix.take(at.0 - layout.data_at), layout.separator);
                let mut record = csv::ByteRecord::new();
                while csv.read_byte_record(&mut record).map_err(|e| e.to_string())? {
                    let line = layout.data_line + record.position().map_or(1, |p| p.line() as i64) - 1;
                    let _ = judged(&record, &layout, line, &mut judge);
                }
            }
            let reader = open(&source, &store, at.0).map_err(|e| e.to_string())?;
            let mut csv = csv_reader(reader, layout.separator);
            let mut record = csv::ByteRecord::new();
            loop {
                let mut batch = Batch {
                    rows: Vec::with_capacity(batch_rows),
                    refusals: Vec::new(),
                    duplicates: 0,
                    resume_at: 0,
                    resume_line: 0,
                };
                let mut more = true;
                while batch.rows.len() + batch.refusals.len() + (batch.duplicates as usize) < batch_rows {
                    if !csv.read_byte_record(&mut record).map_err(|e| e.to_string())? {
                        more = false;
                        break;
                    }
                    let line = at.1 + record.position().map_or(1, |p| p.line() as i64) - 1;
                    match judged(&record, &layout, line, &mut judge) {
                        Verdict::Keep(row) => batch.rows.push((line, row)),
                        Verdict::Duplicate => batch.duplicates += 1,
                        Verdict::Refuse(reason) => {
                            batch.refusals.push(Refusal { line, reason, record: record_text(&record, &layout) })
                        }
                    }
                }
                let next = csv.position();
                batch.resume_at = at.0 + next.byte();
                batch.resume_line = at.1 + next.line() as i64 - 1;
                let empty = batch.rows.is_empty() && batch.refusals.is_empty() && batch.duplicates == 0;
                if !empty && tx.blocking_send(Ok(batch)).is_err() {
                    return Ok(()); // the writer stopped
                }
                if !more {
                    return Ok(());
                }
            }
        })();
        if let Err(e) = outcome {
            let _ = tx.blocking_send(Err(e));
        }
    });
    rx
}

/// A row's cells as text, as many as the header has columns (missing ones empty),
/// borrowed from the record where the bytes are already the text (UTF-8, or ASCII in
/// Windows-1252): most cells of most files cost no allocation.
fn cells_of(
    record: &csv::ByteRecord,
    encoding: Encoding,
    width: usize,
) -> Result<Vec<std::borrow::Cow<'_, str>>, String> {
    if record.len() > width && cell_bytes(record).skip(width).any(|c| !c.is_empty()) {
        return Err(format!(
            "This row has {} values for {width} columns: check the separator, or quote values that contain it.",
            record.len()
        ));
    }
    let mut cells = Vec::with_capacity(width);
    for cell in cell_bytes(record).take(width) {
        cells.push(sniff::decode(cell, encoding).map_err(|_| {
            "This row is not UTF-8 text: choose Windows-1252 (Excel on Windows) and run it again.".to_string()
        })?);
    }
    cells.resize(width, std::borrow::Cow::Borrowed(""));
    Ok(cells)
}

/// Judges a record: its cells read, then `judge` given them as text.
fn judged<T>(
    record: &csv::ByteRecord,
    layout: &Layout,
    line: i64,
    judge: &mut impl FnMut(i64, &[&str]) -> Verdict<T>,
) -> Verdict<T> {
    match cells_of(record, layout.encoding, layout.headers.len()) {
        Ok(cells) => {
            let cells: Vec<&str> = cells.iter().map(|c| c.as_ref()).collect();
            judge(line, &cells)
        }
        Err(reason) => Verdict::Refuse(reason),
    }
}

/// The row as it was, as one CSV record in UTF-8 (for the refused rows' download).
fn record_text(record: &csv::ByteRecord, layout: &Layout) -> String {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(layout.separator)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let cells: Vec<String> = cell_bytes(record)
        .map(|c| {
            sniff::decode(c, layout.encoding)
                .map(|s| s.into_owned())
                .unwrap_or_else(|_| String::from_utf8_lossy(c).into_owned())
        })
        .collect();
    let _ = writer.write_record(&cells);
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes).trim_end_matches('\n').to_string()
}

/// A row of the preview: its line, and its cells as text (`None` when they are not text
/// in the encoding).
pub type FirstRow = (i64, Option<Vec<String>>);

/// The first `n` rows after the header, for the preview.
pub fn first_rows(reader: impl Read, layout: &Layout, n: usize) -> Result<Vec<FirstRow>, String> {
    let mut csv = csv_reader(reader, layout.separator);
    let mut record = csv::ByteRecord::new();
    let mut rows = Vec::with_capacity(n);
    while rows.len() < n && csv.read_byte_record(&mut record).map_err(|e| e.to_string())? {
        let line = layout.data_line + record.position().map_or(1, |p| p.line() as i64) - 1;
        let cells = cells_of(&record, layout.encoding, layout.headers.len()).ok();
        rows.push((line, cells.map(|cells| cells.into_iter().map(|c| c.into_owned()).collect())));
    }
    Ok(rows)
}
