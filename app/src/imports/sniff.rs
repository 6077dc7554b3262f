//! What kind of text file an import is: its encoding and its separator. Excel on
//! Windows still saves "CSV" as Windows-1252 with semicolons in France, while Google
//! Sheets and Excel for Mac write UTF-8 with commas; guessing both from the first bytes
//! lets a marketer drop the file in without knowing any of this, and shows what was
//! guessed so they can correct it.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// The character encodings Carnet reads: UTF-8, and the one legacy encoding French
/// spreadsheets are actually saved in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    #[default]
    Utf8,
    Windows1252,
}

impl Encoding {
    pub const ALL: [Encoding; 2] = [Encoding::Utf8, Encoding::Windows1252];

    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Windows1252 => "windows-1252",
        }
    }

    /// Also takes the names people and tools use for the same encodings; Latin-1 is
    /// read as Windows-1252, its superset, as browsers do.
    pub fn parse(s: &str) -> Option<Encoding> {
        match s.trim().to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Some(Encoding::Utf8),
            "windows-1252" | "windows1252" | "cp1252" | "latin1" | "latin-1" | "iso-8859-1" | "iso8859-1" => {
                Some(Encoding::Windows1252)
            }
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Windows1252 => "Windows-1252 (Excel on Windows)",
        }
    }
}

/// Checks that a file is UTF-8 while it is read in chunks, without holding it in
/// memory: a character cut by a chunk boundary is completed by the next chunk.
/// A file that is not UTF-8 is, in practice, Windows-1252.
#[derive(Clone, Debug)]
pub struct Utf8Check {
    /// The start of a character the last chunk cut off (at most 3 of its 4 bytes).
    carry: [u8; 3],
    carry_len: usize,
    invalid: bool,
}

impl Default for Utf8Check {
    fn default() -> Self {
        Utf8Check::new()
    }
}

impl Utf8Check {
    pub fn new() -> Utf8Check {
        Utf8Check { carry: [0; 3], carry_len: 0, invalid: false }
    }

    pub fn feed(&mut self, chunk: &[u8]) {
        if self.invalid {
            return;
        }
        let mut chunk = chunk;
        if self.carry_len > 0 {
            let started = self.carry_len;
            let needed = sequence_len(self.carry[0]).saturating_sub(started);
            let take = needed.min(chunk.len());
            let mut char_bytes = [0u8; 4];
            char_bytes[..started].copy_from_slice(&self.carry[..started]);
            char_bytes[started..started + take].copy_from_slice(&chunk[..take]);
            let so_far = &char_bytes[..started + take];
            match std::str::from_utf8(so_far) {
                Ok(_) => self.carry_len = 0,
                Err(e) if e.error_len().is_none() && take < needed => {
                    // Still cut: this chunk was shorter than the rest of the character.
                    self.carry[..so_far.len()].copy_from_slice(so_far);
                    self.carry_len = so_far.len();
                    return;
                }
                Err(_) => {
                    self.invalid = true;
                    return;
                }
            }
            chunk = &chunk[take..];
        }
        if let Err(e) = std::str::from_utf8(chunk) {
            let rest = &chunk[e.valid_up_to()..];
            if e.error_len().is_some() || rest.len() > self.carry.len() {
                self.invalid = true;
            } else {
                self.carry[..rest.len()].copy_from_slice(rest);
                self.carry_len = rest.len();
            }
        }
    }

    /// Whether everything fed was UTF-8, with no character left unfinished.
    pub fn finish(self) -> bool {
        !self.invalid && self.carry_len == 0
    }
}

/// How many bytes the UTF-8 character starting with `lead` has (1 for a byte that
/// cannot start one; the decoder then reports it).
fn sequence_len(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    }
}

/// The UTF-8 byte order mark Excel puts at the start of "CSV UTF-8" files.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// How many bytes of byte order mark the file starts with (3 or 0), to skip them.
pub fn bom_len(start: &[u8]) -> usize {
    if start.starts_with(BOM) {
        BOM.len()
    } else {
        0
    }
}

/// The separator of a delimited file, from its first line (which `start`, the first
/// bytes of the file, may cut): the most frequent of ',', ';' and tab outside double
/// quotes, so "Dupont, Jean" in a quoted cell does not count. A tie goes to ';', then
/// ',', then tab (a French Excel file with quoted commas is more common than the
/// reverse); with none at all, the file has one column and ',' is as good as any.
pub fn guess_separator(start: &[u8]) -> u8 {
    let (mut semicolons, mut commas, mut tabs) = (0usize, 0usize, 0usize);
    let mut quoted = false;
    for &byte in start {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            b';' if !quoted => semicolons += 1,
            b',' if !quoted => commas += 1,
            b'\t' if !quoted => tabs += 1,
            _ => {}
        }
    }
    let most = semicolons.max(commas).max(tabs);
    [(b';', semicolons), (b',', commas), (b'\t', tabs)]
        .into_iter()
        .find(|&(_, count)| most > 0 && count == most)
        .map_or(b',', |(separator, _)| separator)
}

/// The separator in words, for the preview ("Separated by semicolon").
pub fn separator_label(sep: u8) -> &'static str {
    match sep {
        b',' => "comma",
        b';' => "semicolon",
        b'\t' => "tab",
        _ => "other character",
    }
}

/// A separator as given on the command line or in a form: the character itself, its
/// name, or `\t`.
pub fn parse_separator(s: &str) -> Option<u8> {
    if s == "\t" {
        return Some(b'\t');
    }
    match s.trim().to_ascii_lowercase().as_str() {
        "," | "comma" => Some(b','),
        ";" | "semicolon" => Some(b';'),
        "tab" | "\\t" => Some(b'\t'),
        _ => None,
    }
}

/// The text of `bytes` in `encoding`, borrowed when no conversion is needed (pure ASCII
/// always is). UTF-8 that is not valid is an error, so a wrongly guessed encoding is
/// noticed rather than imported as "FranÃ§ois"; Windows-1252 gives every byte a
/// character, so it cannot fail.
#[allow(clippy::result_unit_err)] // The only failure is "not UTF-8": nothing to say.
pub fn decode(bytes: &[u8], encoding: Encoding) -> Result<Cow<'_, str>, ()> {
    match encoding {
        Encoding::Utf8 => std::str::from_utf8(bytes).map(Cow::Borrowed).map_err(|_| ()),
        Encoding::Windows1252 => Ok(encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(chunks: &[&[u8]]) -> bool {
        let mut check = Utf8Check::new();
        for chunk in chunks {
            check.feed(chunk);
        }
        check.finish()
    }

    #[test]
    fn encodings_are_named_as_tools_name_them() {
        for encoding in Encoding::ALL {
            assert_eq!(Encoding::parse(encoding.as_str()), Some(encoding));
        }
        assert_eq!(Encoding::parse(" UTF8 "), Some(Encoding::Utf8));
        assert_eq!(Encoding::parse("CP1252"), Some(Encoding::Windows1252));
        assert_eq!(Encoding::parse("ISO-8859-1"), Some(Encoding::Windows1252));
        assert_eq!(Encoding::parse("latin1"), Some(Encoding::Windows1252));
        assert_eq!(Encoding::parse("utf-16"), None);
        assert_eq!(Encoding::default(), Encoding::Utf8);
    }

    #[test]
    fn utf8_split_across_chunks_is_still_utf8() {
        // "é" is C3 A9 in UTF-8: the first chunk ends between its two bytes.
        assert!(check(&[b"Fran\xC3", b"\xA9ois;Dupont\n"]));
        // A four-byte emoji fed one byte at a time.
        assert!(check(&[b"\xF0", b"\x9F", b"\x98", b"\x80", b"!"]));
        assert!(check(&[b"", b"plain ascii", b""]));
    }

    #[test]
    fn windows_1252_is_not_mistaken_for_utf8() {
        // "é" is the single byte E9 in Windows-1252.
        assert!(!check(&[b"Fran\xE9ois;Dupont\n"]));
        assert!(!check(&[b"Fran\xE9", b"ois"]), "a lone lead byte followed by a letter");
        assert!(!check(&[b"Ren\xE9"]), "a file cannot end in the middle of a character");
        assert!(!check(&[b"\xC3", b"A"]), "the next chunk must continue the character");
        assert!(!check(&[b"\xE9t\xE9", b"plain ascii afterwards"]), "once invalid, it stays invalid");
    }

    #[test]
    fn the_byte_order_mark_is_found_only_at_the_start() {
        assert_eq!(bom_len(b"\xEF\xBB\xBFemail"), 3);
        assert_eq!(bom_len(b"email"), 0);
        assert_eq!(bom_len(b"\xEF\xBB"), 0);
    }

    #[test]
    fn the_separator_is_the_most_frequent_outside_quotes_on_the_first_line() {
        let french = b"\"Nom, Pr\xC3\xA9nom\";Courriel;\"Ville, Pays, R\xC3\xA9gion\"\r\n\
                       \"Dupont, Jean\";j@d.fr;Lyon\r\n";
        assert_eq!(guess_separator(french), b';', "commas inside quotes do not count");
        assert_eq!(guess_separator(b"email\tname\tcity, state\nx\ty\tz\n"), b'\t');
        assert_eq!(guess_separator(b"email,first_name,last_name\na@b.co,Jane,Doe\n"), b',');
        let quoted_newline = b"\"Notes\nsur deux lignes\";email\na,b,c,d,e\n";
        assert_eq!(guess_separator(quoted_newline), b';', "a quoted newline does not end the line");
        assert_eq!(guess_separator(b"email;name;ci"), b';', "the start may cut the first line");
        assert_eq!(guess_separator(b"a;b,c\n"), b';', "a tie goes to the semicolon");
        assert_eq!(guess_separator(b"email\na@b.co\n"), b',');
        assert_eq!(guess_separator(b""), b',');
    }

    #[test]
    fn separators_are_named_in_words() {
        assert_eq!(separator_label(b';'), "semicolon");
        assert_eq!(separator_label(b','), "comma");
        assert_eq!(separator_label(b'\t'), "tab");
        for (s, sep) in [(",", b','), (";", b';'), ("\t", b'\t'), ("tab", b'\t'), ("\\t", b'\t'), ("Semicolon", b';')] {
            assert_eq!(parse_separator(s), Some(sep), "{s:?}");
        }
        assert_eq!(parse_separator("|"), None);
    }

    #[test]
    fn decoding_borrows_ascii_and_converts_windows_1252() {
        assert_eq!(decode(b"Fran\xe7ois \x80", Encoding::Windows1252).unwrap(), "François €");
        assert_eq!(decode("François".as_bytes(), Encoding::Utf8).unwrap(), "François");
        assert_eq!(decode(b"Fran\xe7ois", Encoding::Utf8), Err(()));
        for encoding in Encoding::ALL {
            assert!(matches!(decode(b"email;name", encoding), Ok(Cow::Borrowed("email;name"))), "{encoding:?}");
        }
    }
}
