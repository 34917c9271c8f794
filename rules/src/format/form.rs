//! `application/x-www-form-urlencoded` lexer: `key=value&…` pairs, percent-decoding (with
//! multi-byte UTF-8 assembled across consecutive `%XX` escapes) and `+` as space. The key
//! gives context to its value; keys are scanned too.

use super::{hex_val, push_plain};
use crate::stream::{Esc, SegKind, Segmenter};

#[derive(Default)]
pub(crate) struct FormLexer {
    in_value: bool,
    key: Vec<u8>,
}

impl FormLexer {
    pub(crate) fn lex(&mut self, buf: &[u8], base: u64, eof: bool, seg: &mut Segmenter) -> usize {
        let len = buf.len();
        let mut i = 0;
        while i < len {
            if !seg.is_active() {
                match buf[i] {
                    b'&' => {
                        self.in_value = false;
                        i += 1;
                        continue;
                    }
                    b'=' if !self.in_value => {
                        // An empty key.
                        self.key.clear();
                        self.in_value = true;
                        i += 1;
                        continue;
                    }
                    _ => {
                        let key = if self.in_value {
                            Some(self.key.clone())
                        } else {
                            None
                        };
                        seg.begin(
                            SegKind::Form,
                            base + i as u64,
                            key.as_deref().filter(|k| !k.is_empty()),
                        );
                    }
                }
            }
            let stop = if self.in_value {
                memchr::memchr3(b'&', b'%', b'+', &buf[i..])
            } else {
                let p = memchr::memchr3(b'&', b'%', b'+', &buf[i..]);
                let q = memchr::memchr(b'=', &buf[i..]);
                match (p, q) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, None) => a,
                    (None, b) => b,
                }
            };
            let Some(p) = stop else {
                return push_plain(buf, i, len, base, eof, seg);
            };
            if p > 0 {
                seg.plain(&buf[i..i + p], base + i as u64);
            }
            i += p;
            match buf[i] {
                b'+' => {
                    seg.decoded(' ', base + i as u64, base + i as u64 + 1, Esc::Other);
                    i += 1;
                }
                b'%' => match percent(&buf[i..], eof) {
                    Pct::Wait => return i,
                    Pct::Char(c, n) => {
                        seg.decoded(c, base + i as u64, base + (i + n) as u64, Esc::Percent);
                        i += n;
                    }
                    Pct::Literal => {
                        seg.plain(b"%", base + i as u64);
                        i += 1;
                    }
                },
                b'=' => {
                    seg.end(base + i as u64);
                    let head = seg.last_head();
                    self.key = head[..head.len().min(64)].to_vec();
                    self.in_value = true;
                    i += 1;
                }
                _ => {
                    // `&`
                    seg.end(base + i as u64);
                    self.in_value = false;
                    i += 1;
                }
            }
        }
        len
    }
}

pub(crate) enum Pct {
    Wait,
    Char(char, usize),
    Literal,
}

fn byte_at(s: &[u8], k: usize) -> Option<Option<u8>> {
    // Some(None): not an escape there; None: not enough input yet.
    let e = s.get(3 * k..3 * k + 3);
    match e {
        None => {
            let not_escape = (s.len() > 3 * k && s[3 * k] != b'%')
                || (s.len() > 3 * k + 1 && hex_val(s[3 * k + 1]).is_none());
            if not_escape {
                Some(None)
            } else {
                None
            }
        }
        Some([b'%', h, l]) => Some(
            hex_val(*h)
                .zip(hex_val(*l))
                .map(|(h, l)| (h * 16 + l) as u8),
        ),
        Some(_) => Some(None),
    }
}

/// Decodes the percent escape(s) at `s[0] == b'%'`, joining a multi-byte UTF-8 character.
pub(crate) fn percent(s: &[u8], eof: bool) -> Pct {
    let first = match byte_at(s, 0) {
        None if eof => return Pct::Literal,
        None => return Pct::Wait,
        Some(None) => return Pct::Literal,
        Some(Some(b)) => b,
    };
    let n = crate::normalize::utf8_len(first);
    if first < 0x80 {
        return Pct::Char(first as char, 3);
    }
    let mut bytes = [first, 0, 0, 0];
    for (k, slot) in bytes.iter_mut().enumerate().take(n).skip(1) {
        match byte_at(s, k) {
            None if !eof => return Pct::Wait,
            Some(Some(b)) if (b & 0xC0) == 0x80 => *slot = b,
            _ => return Pct::Char('\u{FFFD}', 3),
        }
    }
    match std::str::from_utf8(&bytes[..n])
        .ok()
        .and_then(|t| t.chars().next())
    {
        Some(c) if n > 1 => Pct::Char(c, 3 * n),
        _ => Pct::Char('\u{FFFD}', 3),
    }
}
