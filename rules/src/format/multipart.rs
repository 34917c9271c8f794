//! `multipart/form-data` lexer (RFC 7578), the shape of form posts that carry files. Each
//! part's body is a value under the part's field name (`Content-Disposition: form-data;
//! name="xm"`); the part headers are scanned as text (a file name can hold a name or an ID).
//!
//! The boundary is read off the body's first line (`--boundary`), not the Content-Type
//! parameter, so the engine needs no more than the format. A body whose first line is no
//! boundary is scanned as text from there on: a malformed body is never a way around
//! inspection. Part bodies are plain bytes (form-data parts carry no transfer encoding in
//! practice); a part that is itself JSON or XML is looked into by the segmenter's nested-value
//! pass, as any whole value is.

use super::push_plain;
use crate::stream::{SegKind, Segmenter};

/// Longest boundary (RFC 2046 allows 70 characters).
const BOUNDARY_MAX: usize = 70;
/// Longest header block of a part; a longer one is read as the part's body.
const HEADERS_MAX: usize = 8 * 1024;

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum St {
    /// Waiting for the first line.
    #[default]
    Start,
    /// After a delimiter line: the part's headers, up to the blank line.
    Headers,
    /// The part's body, up to the next delimiter.
    Body,
    /// Just past a delimiter, waiting for the two bytes that say whether it closed the body.
    After,
    /// The rest is text: the epilogue after the close delimiter, or a body that is no
    /// multipart at all.
    Text,
}

#[derive(Default)]
pub(crate) struct MultipartLexer {
    st: St,
    /// `\r\n--boundary` (`\n--boundary` in a body written with bare LFs): what ends a
    /// part's body.
    delim: Vec<u8>,
    /// The current part's field name.
    name: Vec<u8>,
}

/// Whether a body opens like multipart: `--boundary` on the first line, then a part header.
pub(super) fn looks_like_multipart(t: &[u8]) -> bool {
    let Some(nl) = memchr::memchr(b'\n', t) else {
        return false;
    };
    boundary_of(&t[..nl]).is_some() && {
        let rest = &t[nl + 1..];
        let head = &rest[..rest.len().min(20)];
        head.len() >= 13
            && (head[..13].eq_ignore_ascii_case(b"content-dispo")
                || head[..13].eq_ignore_ascii_case(b"content-type:"))
    }
}

/// The boundary of a first line `--boundary` (a trailing `\r` dropped), if it is one.
fn boundary_of(line: &[u8]) -> Option<&[u8]> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let b = line.strip_prefix(b"--")?.trim_ascii_end();
    let ok = (1..=BOUNDARY_MAX).contains(&b.len())
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || b"'()+_,-./:=? ".contains(&c));
    ok.then_some(b)
}

/// The `name` parameter of a part's `Content-Disposition` header, if any.
fn field_name(headers: &[u8]) -> Option<&[u8]> {
    for line in headers.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        if !line[..colon]
            .trim_ascii()
            .eq_ignore_ascii_case(b"content-disposition")
        {
            continue;
        }
        let params = &line[colon + 1..];
        let mut at = 0;
        while let Some(p) = memchr::memmem::find(&params[at..], b"name=") {
            let start = at + p;
            at = start + 5;
            // `name=`, not the tail of `filename=`.
            if start > 0 && !matches!(params[start - 1], b' ' | b';' | b'\t') {
                continue;
            }
            let v = &params[at..];
            return Some(match v.first() {
                Some(b'"') => {
                    let v = &v[1..];
                    &v[..memchr::memchr(b'"', v).unwrap_or(v.len())]
                }
                _ => {
                    let end = v
                        .iter()
                        .position(|&b| b == b';' || b.is_ascii_whitespace())
                        .unwrap_or(v.len());
                    &v[..end]
                }
            });
        }
    }
    None
}

impl MultipartLexer {
    pub(crate) fn lex(&mut self, buf: &[u8], base: u64, eof: bool, seg: &mut Segmenter) -> usize {
        let len = buf.len();
        let mut i = 0;
        while i < len {
            match self.st {
                St::Start => {
                    let Some(nl) = memchr::memchr(b'\n', &buf[i..]) else {
                        if !eof && len - i <= BOUNDARY_MAX + 4 {
                            return i;
                        }
                        self.st = St::Text;
                        continue;
                    };
                    match boundary_of(&buf[i..i + nl]) {
                        Some(b) => {
                            self.delim.clear();
                            // Lines end CRLF; a body written with bare LFs is read as written.
                            if nl > 0 && buf[i + nl - 1] == b'\r' {
                                self.delim.push(b'\r');
                            }
                            self.delim.extend_from_slice(b"\n--");
                            self.delim.extend_from_slice(b);
                            i += nl + 1;
                            self.st = St::Headers;
                        }
                        None => self.st = St::Text,
                    }
                }
                St::Headers => {
                    let rest = &buf[i..];
                    // The first blank line, written CRLF or (leniently) LF.
                    let crlf = memchr::memmem::find(rest, b"\r\n\r\n").map(|p| (p, p + 4));
                    let lf = memchr::memmem::find(rest, b"\n\n").map(|p| (p, p + 2));
                    let end = match (crlf, lf) {
                        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
                        (a, b) => a.or(b),
                    };
                    let Some((hend, body)) = end else {
                        if !eof && rest.len() < HEADERS_MAX {
                            return i;
                        }
                        // No blank line within reach: what follows is the part's body.
                        self.name.clear();
                        self.st = St::Body;
                        continue;
                    };
                    let headers = &rest[..hend];
                    self.name.clear();
                    if let Some(n) = field_name(headers) {
                        self.name.extend_from_slice(&n[..n.len().min(64)]);
                    }
                    if !headers.is_empty() {
                        seg.begin(SegKind::Text, base + i as u64, None);
                        seg.plain(headers, base + i as u64);
                        seg.end(base + (i + hend) as u64);
                    }
                    i += body;
                    self.st = St::Body;
                }
                St::Body => {
                    if !seg.is_active() {
                        let key = (!self.name.is_empty()).then_some(self.name.as_slice());
                        seg.begin(SegKind::Part, base + i as u64, key);
                    }
                    match memchr::memmem::find(&buf[i..], &self.delim) {
                        Some(p) => {
                            if p > 0 {
                                seg.plain(&buf[i..i + p], base + i as u64);
                            }
                            seg.end(base + (i + p) as u64);
                            i += p + self.delim.len();
                            // `--` closes the body; anything else ends the delimiter line.
                            let after = &buf[i..];
                            if after.len() < 2 && !eof {
                                // Decide once the two bytes are here; nothing is pending.
                                self.st = St::After;
                                continue;
                            }
                            self.after_delim(after, &mut i);
                        }
                        None => {
                            // Keep back what could be the start of the delimiter.
                            let upto = if eof {
                                len
                            } else {
                                len.saturating_sub(self.delim.len() - 1).max(i)
                            };
                            return push_plain(buf, i, upto, base, eof, seg);
                        }
                    }
                }
                St::After => {
                    if len - i < 2 && !eof {
                        return i;
                    }
                    let after = &buf[i..];
                    self.after_delim(after, &mut i);
                }
                St::Text => {
                    if !seg.is_active() {
                        seg.begin(SegKind::Text, base + i as u64, None);
                    }
                    return push_plain(buf, i, len, base, eof, seg);
                }
            }
        }
        len
    }

    /// After a delimiter: `--` closes the body (the epilogue is text), else the next part's
    /// headers follow. The rest of the delimiter line (its line break, or whatever a malformed
    /// body put there) is read with them rather than skipped: skipping it would hide what it
    /// holds, and only a wait for its end, however far, would skip it the same way whatever
    /// the chunking.
    fn after_delim(&mut self, after: &[u8], i: &mut usize) {
        if after.starts_with(b"--") {
            *i += 2;
            self.st = St::Text;
        } else {
            self.st = St::Headers;
        }
    }
}
