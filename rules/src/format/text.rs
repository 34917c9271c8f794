//! Plain text: the whole body is one segment (cut into windows by the segmenter). Also the
//! fallback for bodies whose declared type does not match their bytes.
//!
//! An event stream (`text/event-stream`: the body opens with an SSE field, `data:`, `event:`,
//! `id:`, `retry:` or a `:` comment) is one segment per event instead, ended by the blank
//! line that ends an event: a segment's output is released when it ends, so each event goes
//! on as it arrives instead of waiting for a window's worth of text. (Ordinary text keeps one
//! segment, so a label's keywords may follow a blank line.) Context for keyword windows
//! carries across segments (`Segmenter::recent`). A `data:` line whose value opens a JSON
//! object or array (what most event APIs send) is a value of its own, which the segmenter
//! reads as the JSON document it is: its keys give context and its `\u` escapes are decoded.

use super::push_plain;
use crate::stream::{SegKind, Segmenter};

#[derive(Default)]
pub(crate) struct TextLexer {
    /// Whether the body is an event stream; `None` until its first bytes have been seen.
    events: Option<bool>,
    /// Where an event stream's lexer is within its line.
    line: Line,
}

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Line {
    /// At the start of a line: its first bytes say what it is.
    #[default]
    Start,
    /// Inside a line of text (a field other than JSON data, a comment).
    Text,
    /// Inside the JSON value of a `data:` line.
    Json,
}

/// The longest `data:` line head whose value's first byte decides a line (`data: {`).
const DATA_HEAD: usize = 7;

/// Where the value of a `data:` line opening a JSON object or array starts in `line`.
fn json_data(line: &[u8]) -> Option<usize> {
    let v = line.strip_prefix(b"data:")?;
    let at = 5 + usize::from(v.first() == Some(&b' '));
    matches!(line.get(at), Some(b'{' | b'[')).then_some(at)
}

/// The longest SSE field name with its colon (`retry:`, `event:`).
pub(crate) const FIELD_LEN: usize = 6;

/// Whether a body opens with an event stream's field (`data:`, `event:`, `id:`, `retry:`)
/// or comment (`:`), in ASCII.
pub(crate) fn opens_event_stream(head: &[u8]) -> bool {
    [&b"data:"[..], b"event:", b"id:", b"retry:", b":"]
        .iter()
        .any(|f| head.starts_with(f))
}

impl TextLexer {
    pub(crate) fn lex(&mut self, buf: &[u8], base: u64, eof: bool, seg: &mut Segmenter) -> usize {
        if buf.is_empty() {
            return 0;
        }
        let events = match self.events {
            Some(e) => e,
            // Decided on the same bytes whatever the chunking: wait for enough of them.
            None if buf.len() < FIELD_LEN && !eof => return 0,
            None => *self.events.insert(opens_event_stream(buf)),
        };
        if events {
            return self.lex_events(buf, base, eof, seg);
        }
        if !seg.is_active() {
            let key = seg.outer_key();
            seg.begin(SegKind::Text, base, key.as_deref().map(str::as_bytes));
        }
        push_plain(buf, 0, buf.len(), base, eof, seg)
    }

    /// An event stream, line by line: text lines go to one segment per event, ended by the
    /// blank line that ends the event; a JSON `data:` value is a segment of its own.
    fn lex_events(&mut self, buf: &[u8], base: u64, eof: bool, seg: &mut Segmenter) -> usize {
        let text = |seg: &mut Segmenter, at: usize| {
            if !seg.is_active() {
                let key = seg.outer_key();
                seg.begin(
                    SegKind::Text,
                    base + at as u64,
                    key.as_deref().map(str::as_bytes),
                );
            }
        };
        let mut i = 0;
        while i < buf.len() {
            let rest = &buf[i..];
            match self.line {
                Line::Start => {
                    // Decided on the same bytes whatever the chunking.
                    let nl = memchr::memchr(b'\n', &rest[..rest.len().min(DATA_HEAD)]);
                    if nl.is_none() && rest.len() < DATA_HEAD && !eof {
                        return i;
                    }
                    // A blank line ends the event.
                    let blank = match rest {
                        [b'\n', ..] => Some(1),
                        [b'\r', b'\n', ..] => Some(2),
                        _ => None,
                    };
                    if let Some(n) = blank {
                        text(seg, i);
                        seg.plain(&rest[..n], base + i as u64);
                        seg.end(base + (i + n) as u64);
                        i += n;
                        continue;
                    }
                    match json_data(rest) {
                        Some(at) => {
                            // The field name stays with the event's text.
                            text(seg, i);
                            seg.plain(&rest[..at], base + i as u64);
                            seg.end(base + (i + at) as u64);
                            i += at;
                            seg.begin(SegKind::Part, base + i as u64, None);
                            self.line = Line::Json;
                        }
                        None => self.line = Line::Text,
                    }
                }
                Line::Json => match memchr::memchr(b'\n', rest) {
                    Some(p) => {
                        let end = if p > 0 && rest[p - 1] == b'\r' {
                            p - 1
                        } else {
                            p
                        };
                        if end > 0 {
                            seg.plain(&rest[..end], base + i as u64);
                        }
                        // The next line decides whether the document goes on: wait for
                        // its field name (decided on the same bytes whatever the chunking).
                        let next = &rest[p + 1..];
                        if next.len() < DATA_HEAD && memchr::memchr(b'\n', next).is_none() && !eof {
                            return i + end;
                        }
                        // Another `data:` line of the same event: a client joins an event's
                        // data lines with `\n`, so a document pretty-printed over several
                        // lines (`data: {` / `data:   "xm": "张三",` / `data: }`) is one
                        // document, its keys the context of the values on later lines. The
                        // line break and the field name read as that `\n`.
                        if let Some(v) = next.strip_prefix(b"data:") {
                            let head = p + 1 + 5 + usize::from(v.first() == Some(&b' '));
                            seg.decoded(
                                '\n',
                                base + (i + end) as u64,
                                base + (i + head) as u64,
                                crate::stream::Esc::Other,
                            );
                            i += head;
                            continue;
                        }
                        seg.end(base + (i + end) as u64);
                        i += end;
                        self.line = Line::Text;
                    }
                    None => {
                        // A `\r` at the end may be the line's end: it waits for the next byte.
                        let to = if !eof && rest.ends_with(b"\r") {
                            buf.len() - 1
                        } else {
                            buf.len()
                        };
                        return push_plain(buf, i, to, base, eof, seg);
                    }
                },
                Line::Text => {
                    text(seg, i);
                    match memchr::memchr(b'\n', rest) {
                        Some(p) => {
                            seg.plain(&rest[..=p], base + i as u64);
                            i += p + 1;
                            self.line = Line::Start;
                        }
                        None => return push_plain(buf, i, buf.len(), base, eof, seg),
                    }
                }
            }
        }
        buf.len()
    }
}
