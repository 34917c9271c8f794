//! Plain text: the whole body is one segment (cut into windows by the segmenter). Also the
//! fallback for bodies whose declared type does not match their bytes.

use super::push_plain;
use crate::stream::{SegKind, Segmenter};

#[derive(Default)]
pub(crate) struct TextLexer;

impl TextLexer {
    pub(crate) fn lex(&mut self, buf: &[u8], base: u64, eof: bool, seg: &mut Segmenter) -> usize {
        if buf.is_empty() {
            return 0;
        }
        if !seg.is_active() {
            let key = seg.outer_key();
            seg.begin(SegKind::Text, base, key.as_deref().map(str::as_bytes));
        }
        push_plain(buf, 0, buf.len(), base, eof, seg)
    }
}
