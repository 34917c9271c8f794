//! CSV lexer (RFC 4180: `"`-quoted fields with `""` escapes, CRLF or LF rows), with the
//! delimiter read off the header row: comma, tab (TSV, `text/tab-separated-values`),
//! semicolon or pipe, the ones exports use. The header row names the columns; each later
//! field gets its column's name as context. Header cells are scanned too (a header can leak
//! a value as easily as a cell).

use super::push_plain;
use crate::stream::{Esc, SegKind, Segmenter};

const MAX_COLUMNS: usize = 1024;
/// Bytes of the header row looked at to choose the delimiter; a longer first line is read
/// as comma-separated.
const HEADER_SNIFF: usize = 8 * 1024;
/// Delimiters, in the order a tie is settled.
const DELIMITERS: [u8; 4] = [b',', b'\t', b';', b'|'];

/// The delimiter of a header row: the candidate it holds most often outside quotes
/// (comma when it holds none).
pub(super) fn delimiter(line: &[u8]) -> u8 {
    let mut counts = [0usize; DELIMITERS.len()];
    let mut quoted = false;
    for &b in line {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            if let Some(k) = DELIMITERS.iter().position(|&d| d == b) {
                counts[k] += 1;
            }
        }
    }
    let mut best = 0;
    for k in 1..DELIMITERS.len() {
        if counts[k] > counts[best] {
            best = k;
        }
    }
    DELIMITERS[best]
}

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum St {
    #[default]
    FieldStart,
    Quoted,
    Bare,
    AfterQuote,
}

#[derive(Default)]
pub(crate) struct CsvLexer {
    /// The field delimiter, 0 until the header row has been seen.
    delim: u8,
    st: St,
    row: u64,
    col: usize,
    headers: Vec<Vec<u8>>,
}

impl CsvLexer {
    fn key(&self) -> Option<&[u8]> {
        if self.row == 0 {
            None
        } else {
            self.headers
                .get(self.col)
                .filter(|h| !h.is_empty())
                .map(Vec::as_slice)
        }
    }

    fn field_done(&mut self, seg: &Segmenter, had_segment: bool) {
        if self.row == 0 && self.headers.len() < MAX_COLUMNS {
            let name = if had_segment {
                seg.last_head().to_vec()
            } else {
                Vec::new()
            };
            let trimmed: Vec<u8> = name.trim_ascii().to_vec();
            self.headers.push(trimmed);
        }
    }

    pub(crate) fn lex(&mut self, buf: &[u8], base: u64, eof: bool, seg: &mut Segmenter) -> usize {
        let len = buf.len();
        if self.delim == 0 {
            // Wait for the whole header row (bounded) before reading anything.
            let line = &buf[..len.min(HEADER_SNIFF)];
            match memchr::memchr(b'\n', line) {
                Some(p) => self.delim = delimiter(&line[..p]),
                None if eof || len >= HEADER_SNIFF => self.delim = delimiter(line),
                None => return 0,
            }
        }
        let d = self.delim;
        let mut i = 0;
        while i < len {
            match self.st {
                St::FieldStart => {
                    let b = buf[i];
                    match b {
                        _ if b == d => {
                            self.field_done(seg, false);
                            self.col += 1;
                            i += 1;
                        }
                        b'\n' => {
                            self.field_done(seg, false);
                            self.row += 1;
                            self.col = 0;
                            i += 1;
                        }
                        b'\r' => i += 1,
                        b'"' => {
                            if let Some(next) = self.quick_quoted(buf, i, base, eof, seg) {
                                // As after the full path's closing quote: the rest up to the
                                // delimiter is skipped.
                                self.st = St::AfterQuote;
                                i = next;
                                continue;
                            }
                            seg.begin(SegKind::CsvQuoted, base + i as u64 + 1, self.key());
                            self.st = St::Quoted;
                            i += 1;
                        }
                        _ => {
                            if let Some(sep) = self.quick_bare(buf, i, base, seg) {
                                self.st = St::AfterQuote;
                                self.after_field(buf[sep]);
                                i = sep + 1;
                                continue;
                            }
                            seg.begin(SegKind::CsvBare, base + i as u64, self.key());
                            self.st = St::Bare;
                        }
                    }
                }
                St::Bare => match memchr::memchr3(d, b'\n', b'\r', &buf[i..]) {
                    None => return push_plain(buf, i, len, base, eof, seg),
                    Some(p) => {
                        if p > 0 {
                            seg.plain(&buf[i..i + p], base + i as u64);
                        }
                        i += p;
                        seg.end(base + i as u64);
                        self.st = St::AfterQuote;
                        // Reuse the separator handling of AfterQuote (a field just ended).
                        self.field_done(seg, true);
                        self.after_field(buf[i]);
                        i += 1;
                    }
                },
                St::Quoted => match memchr::memchr(b'"', &buf[i..]) {
                    None => return push_plain(buf, i, len, base, eof, seg),
                    Some(p) => {
                        if p > 0 {
                            seg.plain(&buf[i..i + p], base + i as u64);
                        }
                        i += p;
                        match buf.get(i + 1) {
                            None if !eof => return i,
                            Some(b'"') => {
                                seg.decoded('"', base + i as u64, base + i as u64 + 2, Esc::Other);
                                i += 2;
                            }
                            _ => {
                                seg.end(base + i as u64);
                                self.field_done(seg, true);
                                self.st = St::AfterQuote;
                                i += 1;
                                // Consume the separator that must follow a closing quote.
                                while i < len {
                                    let b = buf[i];
                                    i += 1;
                                    if b == d || b == b'\n' {
                                        self.after_field(b);
                                        break;
                                    }
                                }
                            }
                        }
                    }
                },
                St::AfterQuote => {
                    let b = buf[i];
                    i += 1;
                    if b == d || b == b'\n' {
                        self.after_field(b);
                    }
                }
            }
        }
        len
    }

    /// A bare data field starting at `buf[i]` and whole in the buffer may need no segment
    /// (the segmenter's quick path, as for JSON values). Not in the header row, whose names
    /// are read back from the segment's head. Returns where its separator is when it was
    /// dealt with.
    fn quick_bare(&self, buf: &[u8], i: usize, base: u64, seg: &mut Segmenter) -> Option<usize> {
        if self.row == 0 {
            return None;
        }
        let ahead = &buf[i..buf.len().min(i + crate::stream::QUICK_MAX)];
        let p = memchr::memchr3(self.delim, b'\n', b'\r', ahead)?;
        let end = base + (i + p) as u64;
        seg.quick_bytes(SegKind::CsvBare, end, &ahead[..p], self.key())
            .then_some(i + p)
    }

    /// The same for a quoted data field opening at `buf[i]` with no `""` in it; the byte
    /// after the closing quote must be here to tell a closing quote from an escaped one.
    /// Returns the position after the closing quote when it was dealt with.
    fn quick_quoted(
        &self,
        buf: &[u8],
        i: usize,
        base: u64,
        eof: bool,
        seg: &mut Segmenter,
    ) -> Option<usize> {
        if self.row == 0 {
            return None;
        }
        let ahead = &buf[i + 1..buf.len().min(i + 1 + crate::stream::QUICK_MAX)];
        let p = memchr::memchr(b'"', ahead)?;
        let close = i + 1 + p;
        let escaped = match buf.get(close + 1) {
            Some(&b) => b == b'"',
            None => !eof,
        };
        if escaped {
            return None;
        }
        let end = base + close as u64;
        seg.quick_bytes(SegKind::CsvQuoted, end, &ahead[..p], self.key())
            .then_some(close + 1)
    }

    fn after_field(&mut self, sep: u8) {
        if sep == self.delim {
            self.col += 1;
            self.st = St::FieldStart;
        } else if sep == b'\n' {
            self.row += 1;
            self.col = 0;
            self.st = St::FieldStart;
        } else {
            // `\r`: the `\n` that follows ends the row.
            self.st = St::AfterQuote;
        }
    }
}
