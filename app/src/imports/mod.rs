//! Imports: the contacts a brand already has and the suppression list its old tool
//! kept, from the files marketers have (UTF-8 or Windows-1252, comma, semicolon or
//! tab), streamed and resumable. `mapping`, `sniff`, `values` and `rules` are pure and
//! wasm-safe; reading the file and running the import are server-side (`reading`,
//! `service`), and so is the pages' side of it (`staff`, behind `api`).

pub mod api;
mod form;
pub mod mapping;
mod page;
pub mod rules;
pub mod sniff;
pub mod values;

#[cfg(feature = "ssr")]
mod choices;
#[cfg(feature = "ssr")]
mod files;
#[cfg(feature = "ssr")]
pub mod reading;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod staff;

pub use page::{ImportDetailPage, ImportsPage};

/// Looks at a file as it arrives, piece by piece: its size, whether all of it is UTF-8,
/// and its first 64 KB (for the separator).
#[derive(Default)]
pub struct Sniffer {
    head: Vec<u8>,
    utf8: sniff::Utf8Check,
    pub size: u64,
}

impl Sniffer {
    const HEAD: usize = 64 * 1024;

    pub fn feed(&mut self, piece: &[u8]) {
        if self.head.len() < Self::HEAD {
            let room = Self::HEAD - self.head.len();
            self.head.extend_from_slice(&piece[..room.min(piece.len())]);
        }
        self.utf8.feed(piece);
        self.size += piece.len() as u64;
    }

    /// The encoding (UTF-8 when every byte of it is, else what French Excel writes) and
    /// the separator.
    pub fn finish(self) -> (sniff::Encoding, u8) {
        let body = &self.head[sniff::bom_len(&self.head)..];
        let separator = sniff::guess_separator(body);
        let encoding = if self.utf8.finish() { sniff::Encoding::Utf8 } else { sniff::Encoding::Windows1252 };
        (encoding, separator)
    }
}
