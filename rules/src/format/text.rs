//! Plain text: the whole body is one segment (cut into windows by the segmenter). Also the
//! fallback for bodies whose declared type does not match their bytes.
//!
//! An event stream (`text/event-stream`: the body opens with an SSE field, `data:`, `event:`,
//! `id:`, `retry:` or a `:` comment) is one segment per event instead, ended by the blank
//! line that ends an event: a segment's output is released when it ends, so each event goes
//! on as it arrives instead of waiting for a window's worth of text. (Ordinary text keeps one
//! segment, so a label's keywords may follow a blank line.) Context for keyword windows
//! carries across segments (`Segmenter::recent`).

use super::push_plain;
use crate::stream::{SegKind, Segmenter};

#[derive(Default)]
pub(crate) struct TextLexer {
    /// Whether the body is an event stream; `None` until its first bytes have been seen.
    events: Option<bool>,
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

/// The end of the first blank line in `b` (just past its last `\n`): `\n\n` or `\n\r\n`.
fn blank_line_end(b: &[u8]) -> Option<usize> {
    memchr::memchr_iter(b'\n', b).find_map(|p| match b.get(p + 1..) {
        Some([b'\n', ..]) => Some(p + 2),
        Some([b'\r', b'\n', ..]) => Some(p + 3),
        _ => None,
    })
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
        let mut i = 0;
        while i < buf.len() {
            if !seg.is_active() {
                let key = seg.outer_key();
                seg.begin(
                    SegKind::Text,
                    base + i as u64,
                    key.as_deref().map(str::as_bytes),
                );
            }
            let end = if events {
                blank_line_end(&buf[i..])
            } else {
                None
            };
            let Some(end) = end else {
                // A line break at the end may start a blank line the next bytes finish: it
                // waits for them, so every chunking cuts the same segments.
                let mut to = buf.len();
                if events && !eof {
                    if buf[i..].ends_with(b"\n") {
                        to -= 1;
                    } else if buf[i..].ends_with(b"\n\r") {
                        to -= 2;
                    }
                }
                return push_plain(buf, i, to, base, eof, seg);
            };
            // The bytes up to the blank line's end are whole characters (it ends in `\n`).
            seg.plain(&buf[i..i + end], base + i as u64);
            seg.end(base + (i + end) as u64);
            i += end;
        }
        buf.len()
    }
}
