//! `application/x-www-form-urlencoded` lexer: `key=value&…` pairs, percent-decoding (with
//! multi-byte UTF-8, or GBK, assembled across consecutive `%XX` escapes) and `+` as space. The key
//! gives context to its value; keys are scanned too.

use super::{hex_val, push_plain};
use crate::stream::{Esc, SegKind, Segmenter};

#[derive(Default)]
pub(crate) struct FormLexer {
    in_value: bool,
    key: Vec<u8>,
    /// The keys since the record began: a form of several records (`zjhm=…&zjlx=…&zjhm=…`)
    /// starts the next one where a key comes again (`Segmenter::end_record`).
    seen: Vec<Vec<u8>>,
    /// The indexed part of the last key (`list[0]` of `list[0].zjhm`): a record ends where
    /// it changes (`list[1].zjhm`).
    prefix: Vec<u8>,
    /// The body's escapes proved to be GBK bytes (see [`percent`]), or its Content-Type
    /// declared a GB charset.
    gb: bool,
}

impl FormLexer {
    /// A lexer for a form whose Content-Type declares a GB charset
    /// (`application/x-www-form-urlencoded; charset=GBK`). Its escapes are ASCII, so the
    /// body's charset sniffing never sees a GB byte; without the label the first run of
    /// escapes that is valid both ways would be read as UTF-8: GBK's `住址` is `D7 A1 D6 B7`,
    /// two valid two-byte UTF-8 characters (Hebrew), and a form whose first key is `住址`
    /// lost its address. With it such a run is GBK, as in a body that proved GBK; a UTF-8
    /// run holding a CJK character is still UTF-8.
    pub(crate) fn declared_gb() -> Self {
        FormLexer {
            gb: true,
            ..FormLexer::default()
        }
    }

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
                        seg.naming = !self.in_value;
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
                b'%' => match percent(&buf[i..], eof, &mut self.gb) {
                    Pct::Wait => return i,
                    Pct::Char(c, n, esc) => {
                        seg.decoded(c, base + i as u64, base + (i + n) as u64, esc);
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
                    let prefix = match self.key.iter().rposition(|&b| b == b']') {
                        Some(p) => &self.key[..=p],
                        None => &[][..],
                    };
                    let moved = !prefix.is_empty() && prefix != self.prefix.as_slice();
                    if moved {
                        self.prefix = prefix.to_vec();
                    }
                    if self.seen.contains(&self.key) || (moved && !self.seen.is_empty()) {
                        seg.end_record(0);
                        self.seen.clear();
                    }
                    if self.seen.len() < 64 {
                        self.seen.push(self.key.clone());
                    }
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
    /// A character, the length of its escapes, and how a replacement is written back.
    Char(char, usize, Esc),
    Literal,
}

/// How many escapes a decision between UTF-8 and GBK looks at: enough for several
/// characters of either, little enough to hold at a chunk seam.
const RUN: usize = 12;

/// The byte the `k`-th escape of a run of escapes `w` bytes wide stands for: `%XX` (`w` 3)
/// or `%25XX`, a URL escaped twice (`w` 5). `Some(None)`: not such an escape there; `None`:
/// not enough input yet to say.
fn byte_at(s: &[u8], k: usize, w: usize) -> Option<Option<u8>> {
    let at = w * k;
    let prefix: &[u8] = if w == 5 { b"%25" } else { b"%" };
    let Some(e) = s.get(at..at + w) else {
        // Cut short: an escape still, unless a byte already here says otherwise.
        let have = s.get(at..).unwrap_or_default();
        let differs = have.iter().enumerate().any(|(j, &b)| match prefix.get(j) {
            Some(&p) => b != p,
            None => hex_val(b).is_none(),
        });
        return if differs { Some(None) } else { None };
    };
    if !e.starts_with(prefix) {
        return Some(None);
    }
    Some(
        hex_val(e[w - 2])
            .zip(hex_val(e[w - 1]))
            .map(|(h, l)| (h * 16 + l) as u8),
    )
}

/// A `%uXXXX` escape at `s[0] == b'%'` (JavaScript's old `escape()`, IIS): the character, or
/// `None` when it is not one (a surrogate half is left as text). `Some(None)` waits for
/// more input.
fn percent_u(s: &[u8], eof: bool) -> Option<Pct> {
    if !matches!(s.get(1), Some(b'u' | b'U')) {
        return None;
    }
    if s.len() < 6 {
        let hex_so_far = s[2..].iter().all(|&b| hex_val(b).is_some());
        return (!eof && hex_so_far).then_some(Pct::Wait);
    }
    super::percent_u_char(s).map(|c| Pct::Char(c, 6, Esc::PercentU))
}

/// Whether `run` is GBK double-byte characters only (the last one may be cut off when the
/// run went on past the window).
fn gb_pairs(run: &[u8], cut: bool) -> bool {
    let mut i = 0;
    while i < run.len() {
        match crate::charset::gb_char(&run[i..]) {
            crate::charset::Step::Char(c, 2) if !c.is_ascii() => i += 2,
            crate::charset::Step::Short if cut => return true,
            _ => return false,
        }
    }
    true
}

/// Decodes the percent escape(s) at `s[0] == b'%'`: one ASCII byte, or the escapes of one
/// non-ASCII character. Legacy systems post forms in GBK (`%C0%EE%C3%F7` for 李明), so the
/// run of non-ASCII escapes is judged as a whole: UTF-8 when it is valid UTF-8, GBK when it
/// is valid GBK and not UTF-8, or when `gb` says the body already proved to be GBK and the
/// run holds no UTF-8 CJK character (a run can be valid both ways: `%C4%A1` is ġ or 摹). The decision reads at most [`RUN`]
/// escapes ahead, waiting for them at a seam, so every chunking decides alike.
pub(crate) fn percent(s: &[u8], eof: bool, gb: &mut bool) -> Pct {
    if let Some(p) = percent_u(s, eof) {
        return p;
    }
    // A URL escaped twice (`%2531` for `1`, a filter bypass): `%25` with two hex digits
    // after it starts a run of such escapes. Alone at the end of the input it is a `%`.
    let w = match byte_at(s, 0, 5) {
        Some(Some(_)) => 5,
        None if !eof && s.len() > 1 => return Pct::Wait,
        _ => 3,
    };
    let (esc, esc_gb) = if w == 5 {
        (Esc::Percent2, Esc::PercentGb2)
    } else {
        (Esc::Percent, Esc::PercentGb)
    };
    let first = match byte_at(s, 0, w) {
        None if eof => return Pct::Literal,
        None => return Pct::Wait,
        Some(None) => return Pct::Literal,
        Some(Some(b)) => b,
    };
    if first < 0x80 {
        return Pct::Char(first as char, w, esc);
    }
    let mut run = [0u8; RUN];
    let mut len = 0;
    let mut cut = false;
    while len < RUN {
        match byte_at(s, len, w) {
            None if !eof => return Pct::Wait,
            Some(Some(b)) if b >= 0x80 => {
                run[len] = b;
                len += 1;
            }
            _ => break,
        }
    }
    if len == RUN {
        // The run may go on; a character cut at the window's edge is no fault.
        match byte_at(s, RUN, w) {
            None if !eof => return Pct::Wait,
            Some(Some(b)) => cut = b >= 0x80,
            _ => {}
        }
    }
    let run = &run[..len];
    let (utf8, wide) = match std::str::from_utf8(run) {
        Ok(t) => (true, t.chars().any(|c| c >= '\u{800}')),
        Err(e) => (
            cut && e.error_len().is_none(),
            std::str::from_utf8(&run[..e.valid_up_to()])
                .is_ok_and(|t| t.chars().any(|c| c >= '\u{800}')),
        ),
    };
    let gbk = gb_pairs(run, cut);
    // A body that proved GBK reads a run valid both ways as GBK, unless the run holds a
    // CJK character in UTF-8 (three bytes that GBK pairs rarely spell by chance): one GBK
    // run planted first must not turn the UTF-8 values after it into mojibake.
    if gbk && (!utf8 || (*gb && !wide)) {
        if let crate::charset::Step::Char(c, 2) = crate::charset::gb_char(run) {
            *gb = true;
            return Pct::Char(c, 2 * w, esc_gb);
        }
    }
    let n = crate::normalize::utf8_len(first).min(run.len());
    match std::str::from_utf8(&run[..n])
        .ok()
        .and_then(|t| t.chars().next())
    {
        Some(c) if n > 1 => Pct::Char(c, w * n, esc),
        _ => Pct::Char('\u{FFFD}', w, esc),
    }
}
