//! CSV lexer (RFC 4180: comma-separated, `"`-quoted fields with `""` escapes, CRLF or LF rows).
//! The header row names the columns; each later field gets its column's name as context.
//! Header cells are scanned too (a header can leak a value as easily as a cell).

use super::push_plain;
use crate::stream::{Esc, SegKind, Segmenter};

const MAX_COLUMNS: usize = 1024;

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
    st: St,
    row: u64,
    col: usize,
    headers: Vec<Vec<u8>>,
}

impl CsvLexer {
    fn key(&self) -> Option<Vec<u8>> {
        if self.row == 0 {
            None
        } else {
            self.headers
                .get(self.col)
                .filter(|h| !h.is_empty())
                .cloned()
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
        let mut i = 0;
        while i < len {
            match self.st {
                St::FieldStart => {
                    let b = buf[i];
                    match b {
                        b',' => {
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
                            let key = self.key();
                            seg.begin(SegKind::CsvQuoted, base + i as u64 + 1, key.as_deref());
                            self.st = St::Quoted;
                            i += 1;
                        }
                        _ => {
                            let key = self.key();
                            seg.begin(SegKind::CsvBare, base + i as u64, key.as_deref());
                            self.st = St::Bare;
                        }
                    }
                }
                St::Bare => match memchr::memchr3(b',', b'\n', b'\r', &buf[i..]) {
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
                                    if b == b',' || b == b'\n' {
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
                    if b == b',' || b == b'\n' {
                        self.after_field(b);
                    }
                }
            }
        }
        len
    }

    fn after_field(&mut self, sep: u8) {
        match sep {
            b',' => {
                self.col += 1;
                self.st = St::FieldStart;
            }
            b'\n' => {
                self.row += 1;
                self.col = 0;
                self.st = St::FieldStart;
            }
            // `\r`: the `\n` that follows ends the row.
            _ => self.st = St::AfterQuote,
        }
    }
}
