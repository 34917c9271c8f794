//! Bodies in the legacy Chinese charsets (GBK, GB2312, GB18030) and in UTF-16 or UTF-32. The
//! detectors read UTF-8; a GBK body would hide every name, address, plate and full-width
//! digit from them (only ASCII is the same in both), and a UTF-16 body every digit too. This
//! layer sits under the format lexers: it decodes the body to UTF-8 on the way in, keeps a
//! map from each decoded character back to its raw bytes, and on the way out copies the *raw*
//! bytes of everything that is not redacted and encodes only the replacements. So a clean
//! body still passes byte for byte, malformed sequences included, and finding offsets are
//! raw-body offsets like those of a UTF-8 body.
//!
//! The bytes decide, labels are hints: UTF-16 shows itself in its first bytes (ASCII's zero
//! bytes); otherwise the decision waits for the body's first non-ASCII byte and takes it on
//! a fixed window from there (a function of the content, never of where a chunk ended), with
//! a GB `charset` or XML declaration tipping it to GB18030 unless the window is UTF-8.
//! Hand-written because no crate maps decoded text back to source offsets; the GB18030 code
//! tables themselves come from `encoding_rs` (the WHATWG Encoding Standard).

use std::sync::OnceLock;

use encoding_rs::{GB18030, GBK, UTF_16BE, UTF_16LE};

/// The character set of a body, as far as scanning is concerned. `Auto` and `DeclaredGb` are
/// judgements left to the bytes; the others are certain (the caller knows, as for text that
/// is already decoded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Charset {
    /// Sniffed: UTF-16 when the first bytes show it (ASCII's zero bytes, after an optional
    /// byte-order mark), else UTF-8 unless the window after the first non-ASCII byte is not
    /// UTF-8 but is clean GB18030 (or an XML declaration names a GB charset).
    #[default]
    Auto,
    /// A GB charset was declared (Content-Type): GB18030 unless the bytes show UTF-16 or the
    /// window after the first non-ASCII byte is valid UTF-8. A wrong label must not hide
    /// values.
    DeclaredGb,
    /// UTF-8, never transcoded (already-decoded text, such as a value's nested document).
    Utf8,
    /// GB18030 and its subsets GBK and GB2312, certain.
    Gb18030,
    /// UTF-16, little-endian (what Windows and Excel's "Unicode text" write) or big-endian,
    /// certain.
    Utf16Le,
    Utf16Be,
    /// UTF-32, little- or big-endian, certain. Rare on the wire, but a client's JSON parser
    /// reads it (RFC 4627 allowed it), so a body in it must not pass unread.
    Utf32Le,
    Utf32Be,
}

impl Charset {
    /// What a Content-Type's `charset` says, as a judgement for the bytes to confirm: a GB
    /// label gives `DeclaredGb`; anything else `Auto` (a UTF-16 body shows itself in its
    /// first bytes, and a declared UTF-8 or UTF-16 alone is not trusted: a wrong label must
    /// not hide values).
    pub fn from_content_type(content_type: &str) -> Charset {
        charset_param(content_type)
            .map(|v| Charset::from_label(v.trim_matches(|c| c == '"' || c == '\'')))
            .unwrap_or_default()
    }

    /// [`Charset::from_content_type`] of a Content-Type that may be missing (`Auto` then).
    pub fn declared(content_type: Option<&str>) -> Charset {
        content_type
            .map(Charset::from_content_type)
            .unwrap_or_default()
    }

    /// Whether a `charset` label names an encoding the engine cannot read and in which ASCII
    /// is not ASCII, so digits and keys would pass unseen: the EBCDIC code pages (IBM037,
    /// IBM500, IBM1047…) and UTF-7. The proxy refuses such a body as it does an unknown
    /// `Content-Encoding`. (Other labels are hints only: the bytes decide.)
    pub fn unreadable_label(label: &str) -> bool {
        const EBCDIC: &[u32] = &[
            37, 273, 277, 278, 280, 284, 285, 290, 297, 420, 424, 500, 870, 871, 875, 1025, 1026,
            1047, 1140, 1141, 1142, 1143, 1144, 1145, 1146, 1147, 1148, 1149,
        ];
        let l = label.trim().trim_matches(['"', '\'']).to_ascii_lowercase();
        let l = l.strip_prefix("x-").unwrap_or(&l);
        if l.starts_with("ebcdic") || matches!(l, "utf-7" | "utf7" | "unicode-1-1-utf-7") {
            return true;
        }
        let num = ["csibm", "ibm-", "ibm", "ccsid", "cp"]
            .iter()
            .find_map(|p| l.strip_prefix(p));
        num.and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|n| EBCDIC.contains(&n))
    }

    /// The `charset` label of a Content-Type that [`Charset::unreadable_label`] names.
    pub fn unreadable_in(content_type: &str) -> Option<&str> {
        charset_param(content_type).filter(|v| Charset::unreadable_label(v))
    }

    /// `DeclaredGb` for the labels of GBK, GB2312 and GB18030 (WHATWG's list plus the Windows
    /// code-page names), `Auto` for anything else.
    pub fn from_label(label: &str) -> Charset {
        let l = label.trim();
        let windows = ["cp936", "windows-936", "ms936", "936"];
        match encoding_rs::Encoding::for_label(l.as_bytes()) {
            Some(e) if e == GBK || e == GB18030 => Charset::DeclaredGb,
            _ if windows.iter().any(|w| l.eq_ignore_ascii_case(w)) => Charset::DeclaredGb,
            _ => Charset::Auto,
        }
    }

    /// Name used in CLI output and logs.
    pub fn name(self) -> &'static str {
        match self {
            Charset::Auto => "auto",
            Charset::DeclaredGb => "gb18030 (declared)",
            Charset::Utf8 => "utf-8",
            Charset::Gb18030 => "gb18030",
            Charset::Utf16Le => "utf-16le",
            Charset::Utf16Be => "utf-16be",
            Charset::Utf32Le => "utf-32le",
            Charset::Utf32Be => "utf-32be",
        }
    }
}

/// The `charset` parameter of a Content-Type, trimmed.
fn charset_param(content_type: &str) -> Option<&str> {
    content_type
        .split(';')
        .skip(1)
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
        .map(|(_, v)| v.trim())
}

/// The charset an XML declaration at the start of `prefix` names (`<?xml version="1.0"
/// encoding="GBK"?>`), if the declaration is complete in it.
pub(crate) fn xml_declared(prefix: &[u8]) -> Option<Charset> {
    let p = prefix.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(prefix);
    let start = p.iter().position(|b| !b.is_ascii_whitespace())?;
    let p = p[start..].strip_prefix(b"<?xml")?;
    let end = memchr::memmem::find(p, b"?>")?;
    let decl = std::str::from_utf8(&p[..end]).ok()?;
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?;
    let rest = rest.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = rest[1..].split(quote).next()?;
    Some(Charset::from_label(value))
}

/// Bytes at a body's start that say whether it is UTF-16.
pub(crate) const UTF16_HEAD: usize = 64;

/// UTF-16 by the body's first bytes (`UTF16_HEAD`, or fewer at the end of the body): after
/// an optional byte-order mark, at least two ASCII characters (a zero byte beside a non-zero
/// one, in the order the mark or the bytes say), no NUL and no control character. A mark
/// alone is not enough: two bytes in front of a UTF-8 body must not make it unreadable, and
/// UTF-8 and GB text never hold a zero byte.
///
/// UTF-32 is told first, the same way: its byte-order mark (which starts as UTF-16LE's
/// does), or two ASCII characters, each a byte with three zero bytes, and every unit a
/// character. (UTF-16 ASCII read as UTF-32 is above U+10FFFF.)
pub(crate) fn utf16_head(head: &[u8]) -> Option<Charset> {
    if let Some(cs) = utf32_head(head) {
        return Some(cs);
    }
    let (bom, rest) = match head {
        [0xFF, 0xFE, rest @ ..] => (Some(Charset::Utf16Le), rest),
        [0xFE, 0xFF, rest @ ..] => (Some(Charset::Utf16Be), rest),
        _ => (None, head),
    };
    let units = rest.chunks_exact(2);
    // The ASCII characters read in one byte order; `None` for a NUL or a control character.
    let ascii = |be: bool| {
        let mut n = 0usize;
        for p in units.clone() {
            let (hi, lo) = if be { (p[0], p[1]) } else { (p[1], p[0]) };
            if hi == 0 {
                if lo == 0 || (lo < 0x20 && !matches!(lo, b'\t' | b'\n' | b'\r')) || lo == 0x7F {
                    return None;
                }
                n += usize::from(lo < 0x80);
            }
        }
        Some(n)
    };
    let (le, be) = (ascii(false).unwrap_or(0), ascii(true).unwrap_or(0));
    match bom {
        Some(cs) => {
            let n = if cs == Charset::Utf16Be { be } else { le };
            (n >= 2 || han_text(units.clone(), cs == Charset::Utf16Be)).then_some(cs)
        }
        None if le >= 2 && le > be => Some(Charset::Utf16Le),
        None if be >= 2 && be > le => Some(Charset::Utf16Be),
        None if han_text(units.clone(), false) => Some(Charset::Utf16Le),
        None if han_text(units, true) => Some(Charset::Utf16Be),
        None => None,
    }
}

/// UTF-32 by the body's first bytes: see [`utf16_head`].
fn utf32_head(head: &[u8]) -> Option<Charset> {
    let (bom, rest) = match head {
        [0xFF, 0xFE, 0, 0, rest @ ..] => (Some(Charset::Utf32Le), rest),
        [0, 0, 0xFE, 0xFF, rest @ ..] => (Some(Charset::Utf32Be), rest),
        _ => (None, head),
    };
    // The ASCII characters read in one byte order; `None` for a unit that is no character,
    // a NUL or a control character.
    let ascii = |be: bool| {
        let mut n = 0usize;
        for u in rest.chunks_exact(4) {
            let u = [u[0], u[1], u[2], u[3]];
            let cp = if be {
                u32::from_be_bytes(u)
            } else {
                u32::from_le_bytes(u)
            };
            let c = char::from_u32(cp)?;
            if (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{7F}' {
                return None;
            }
            n += usize::from(c.is_ascii());
        }
        Some(n)
    };
    match bom {
        Some(cs) => ascii(cs == Charset::Utf32Be)
            .is_some_and(|n| n >= 1 || rest.len() >= 8)
            .then_some(cs),
        None if ascii(false).is_some_and(|n| n >= 2) => Some(Charset::Utf32Le),
        None if ascii(true).is_some_and(|n| n >= 2) => Some(Charset::Utf32Be),
        None => None,
    }
}

/// Whether UTF-16 units in one byte order read as Chinese text with little or no ASCII in
/// it (a notice, a title line, `密级：机密`): at least four units, nine in ten of them Han
/// (U+4E00–U+9FFF), CJK punctuation (U+3000–U+303F), full-width forms (U+FF00–U+FFEF) or
/// printable ASCII, and the rest no control character; and a byte from 0x80 up in one unit
/// in four. UTF-8, GB and ASCII text never pass: read as UTF-16, a UTF-8 character's lead
/// byte pairs into the private use area (U+E000–) one unit in three, GB2312's trail bytes
/// (A1–FE) put its characters above U+A000, and two ASCII letters make a Han unit (`ab` is
/// U+6162) but never a byte from 0x80 up, which most Han units hold.
fn han_text(units: std::slice::ChunksExact<'_, u8>, be: bool) -> bool {
    let (mut n, mut text, mut high) = (0usize, 0usize, 0usize);
    for p in units {
        high += usize::from(p[0] >= 0x80 || p[1] >= 0x80);
        let u = if be {
            u16::from_be_bytes([p[0], p[1]])
        } else {
            u16::from_le_bytes([p[0], p[1]])
        };
        n += 1;
        match u {
            0x20..=0x7E | 0x3000..=0x303F | 0x4E00..=0x9FFF | 0xFF00..=0xFFEF => text += 1,
            0x09 | 0x0A | 0x0D => text += 1,
            0..=0x1F | 0x7F => return false,
            _ => {}
        }
    }
    n >= 4 && text * 10 >= n * 9 && high * 4 >= n
}

/// A UTF-16 body's first bytes as UTF-8 text (mark dropped, a cut character replaced), for
/// sniffing its format.
pub(crate) fn decode_utf16_prefix(prefix: &[u8], cs: Charset) -> String {
    if let Some(codec @ (Codec::Utf32Le | Codec::Utf32Be)) = Codec::of(cs) {
        let body = match codec {
            Codec::Utf32Le => prefix.strip_prefix(&[0xFF, 0xFE, 0, 0]),
            _ => prefix.strip_prefix(&[0, 0, 0xFE, 0xFF]),
        }
        .unwrap_or(prefix);
        return body
            .chunks(4)
            .map(|u| match codec.step(u) {
                Step::Char(c, _) => c,
                _ => char::REPLACEMENT_CHARACTER,
            })
            .collect();
    }
    let (enc, body) = match cs {
        Charset::Utf16Be => (
            UTF_16BE,
            prefix.strip_prefix(&[0xFE, 0xFF]).unwrap_or(prefix),
        ),
        _ => (
            UTF_16LE,
            prefix.strip_prefix(&[0xFF, 0xFE]).unwrap_or(prefix),
        ),
    };
    enc.decode_without_bom_handling(body).0.into_owned()
}

/// Decodes the UTF-16 character at the start of `b` (non-empty).
fn utf16_char(b: &[u8], be: bool) -> Step {
    let unit = |i: usize| {
        let pair = [b[i], b[i + 1]];
        if be {
            u16::from_be_bytes(pair)
        } else {
            u16::from_le_bytes(pair)
        }
    };
    if b.len() < 2 {
        return Step::Short;
    }
    let u = unit(0);
    match u {
        0xD800..=0xDBFF => {
            if b.len() < 4 {
                return Step::Short;
            }
            let lo = unit(2);
            if !(0xDC00..=0xDFFF).contains(&lo) {
                return Step::Bad(2);
            }
            let cp = 0x10000 + ((u32::from(u) - 0xD800) << 10) + (u32::from(lo) - 0xDC00);
            char::from_u32(cp).map_or(Step::Bad(4), |c| Step::Char(c, 4))
        }
        0xDC00..=0xDFFF => Step::Bad(2),
        _ => char::from_u32(u32::from(u)).map_or(Step::Bad(2), |c| Step::Char(c, 2)),
    }
}

/// How many bytes from the first non-ASCII byte the sniffer judges.
pub(crate) const SNIFF_WINDOW: usize = 64;

/// How many bytes from the first non-ASCII byte are judged when the first
/// [`SNIFF_WINDOW`] are [`ambiguous_utf8`].
pub(crate) const SNIFF_WINDOW_LONG: usize = 1024;

/// Whether a full window reads as UTF-8 only by two-byte characters that GBK writes alike
/// and by nothing a UTF-8 body shows (a character of three or four bytes, Latin-1 written
/// as Latin-1: [`declared_gb_is_utf8`]), while it is clean GB text too: one GBK character
/// (`女`, `C5 AE`) and ASCII after it. Such a window proves nothing either way.
pub(crate) fn ambiguous_utf8(window: &[u8], before: Option<u8>) -> bool {
    window_is_utf8(window, false) && !declared_gb_is_utf8(window, before, false)
}

/// Whether a window is UTF-8: an incomplete character at its end is not evidence against
/// it, unless the window is the end of the body.
pub(crate) fn window_is_utf8(window: &[u8], eof: bool) -> bool {
    match std::str::from_utf8(window) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && !eof,
    }
}

/// Whether a window of a body declared GB (by its content type or its XML declaration) is
/// UTF-8 all the same: it must be valid UTF-8 and, when it also reads as clean GB text,
/// hold a character of three or four bytes (UTF-8 Chinese is three bytes a character) or
/// one of Latin-1's written as Latin-1 is (a UTF-8 body mislabelled GBK): after an ASCII
/// letter or digit (`36.5°C`, `José`, `m³`), one no GB2312 character reads the same (`×` is
/// `C3 97`, a GBK trail below `A1`), or a common symbol or accented letter (`¥ © ° · é`)
/// with no other two-byte character right after it. GBK characters whose lead is `C2`–`DF` and whose
/// trail is `A1`–`BF` are valid two-byte UTF-8 (`住址` is `D7 A1 D6 B7`, two Hebrew code
/// points; `卢` `鲁` `陆` `路` are `C2 AC`, `C2 B3`, `C2 BD`, `C2 B7`, Latin-1's `¬³½·`), so a
/// short run of them proves nothing: a surname after a quote (`"卢伟"`), a plate after `=`.
/// `before` is the byte before the window (the last ASCII byte before it), when known.
pub(crate) fn declared_gb_is_utf8(window: &[u8], before: Option<u8>, eof: bool) -> bool {
    let latin1 = |i: usize| {
        let prev = i.checked_sub(1).map_or(before, |p| Some(window[p]));
        let Some(&trail) = window.get(i + 1) else {
            return false;
        };
        // A symbol UTF-8 text writes anywhere (`¥128`, `© 2024`, `"°C"`), not run into
        // another two-byte character as GBK's Chinese is (`卢伟` is `¬ΰ`).
        let symbol = match window[i] {
            0xC2 => matches!(
                trail,
                0xA3 | 0xA5 | 0xA7 | 0xA9 | 0xAB | 0xAE | 0xB0 | 0xB1 | 0xB5 | 0xB7 | 0xBB
            ),
            _ => matches!(trail, 0xA4 | 0xA7 | 0xA8 | 0xA9 | 0xB1 | 0xB6 | 0xB7 | 0xBC),
        };
        let alone = window
            .get(i + 2)
            .is_none_or(|&n| !(0x80..0xE0).contains(&n));
        matches!(window[i], 0xC2 | 0xC3)
            && (prev.is_some_and(|b| b.is_ascii_alphanumeric())
                || trail < 0xA1
                || (symbol && alone))
    };
    window_is_utf8(window, eof)
        && ((0..window.len()).any(|i| window[i] >= 0xE0 || latin1(i)) || !gb_text(window, eof))
}

/// Judges the window that starts at a body's first non-ASCII byte (`SNIFF_WINDOW` bytes, or
/// fewer at the end of the body): GB18030 when it is not UTF-8, is clean GB18030 and holds no
/// control bytes (binary data decodes as GB18030 as easily as anything, and almost never
/// goes 64 bytes without a control byte), UTF-8 otherwise, which is what the engine read
/// before this layer existed.
///
/// A body may also begin inside a character: the tail of a log, a piece of a split export,
/// an upstream that answers a range the proxy did not forward. One to three continuation
/// bytes (`80`–`BF`) in front of UTF-8 Chinese make the window clean GB18030 as well (each
/// stray byte pairs with the next lead as a GBK character, and so on down the window), and
/// reading it so would hide every name and full-width digit in the body. When what follows
/// the stray bytes is UTF-8 by the test a body declared GB must pass, it is UTF-8.
pub(crate) fn sniff(window: &[u8], eof: bool) -> Charset {
    if window_is_utf8(window, eof) || !gb_text(window, eof) {
        return Charset::Utf8;
    }
    let cut = window
        .iter()
        .take(3)
        .take_while(|&&b| (0x80..0xC0).contains(&b))
        .count();
    if cut > 0 && declared_gb_is_utf8(&window[cut..], None, eof) {
        return Charset::Utf8;
    }
    Charset::Gb18030
}

/// Whether `window` decodes cleanly as GB18030 with no control byte but whitespace; a
/// character cut by its end counts only while more of the body is to come (`!eof`).
pub(crate) fn gb_text(window: &[u8], eof: bool) -> bool {
    let control = |b: u8| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r') || b == 0x7F;
    let mut i = 0;
    while i < window.len() {
        if control(window[i]) {
            return false;
        }
        match gb_char(&window[i..]) {
            Step::Char(_, n) => i += n,
            // The window may end inside a character; the body may not.
            Step::Short if !eof => break,
            Step::Short | Step::Bad(_) => return false,
        }
    }
    true
}

/// Whether `bytes` (a whole value that is not UTF-8: what a base64 token decodes to) reads
/// as GBK text worth scanning: clean GB18030 with some non-ASCII and no control byte (a file
/// attachment). Random bytes pass that often when short, so a value under 32 bytes must be
/// GB 2312 characters (lead `B0`–`F7`) and full-width symbols (`A1`–`A3`) with ASCII digits
/// only, as a name or a short address is written: random bytes pass one time in about 80 at
/// 4 bytes, 750 at 6, 40,000 at 9 (measured).
pub(crate) fn gb_value_text(bytes: &[u8]) -> bool {
    if bytes.is_ascii() {
        return false;
    }
    if bytes.len() >= 32 {
        return gb_text(bytes, true);
    }
    // The shape first: it needs no table, and most short values that get here (what a
    // credit code or a trace id decodes to as base64) fail it, so a body of UTF-8 JSON never
    // builds the two-byte table (8 M instructions, the first time).
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_digit() {
            i += 1;
        } else if matches!(b, 0xA1..=0xA3 | 0xB0..=0xF7)
            && bytes.get(i + 1).is_some_and(|t| (0xA1..=0xFE).contains(t))
        {
            i += 2;
        } else {
            return false;
        }
    }
    gb_text(bytes, true)
}

/// Whether `head` (a body's first bytes, possibly cut inside a character) is GB18030 text:
/// it decodes cleanly and holds no control byte but whitespace. Not UTF-8 is not asked:
/// ASCII text is both.
pub fn is_gb_text(head: &[u8]) -> bool {
    !head.is_empty() && gb_text(head, false)
}

/// Whether `head` (a body's first bytes) is UTF-16 or UTF-32 text by [`utf16_head`]'s
/// test: its zero bytes are those of ASCII characters in one byte order (or its mark says
/// so), with no NUL or control character. Such text is binary to a test that reads bytes.
pub fn is_utf16_text(head: &[u8]) -> bool {
    utf16_head(head).is_some()
}

/// One step of the GB18030 decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// A character and its raw length.
    Char(char, usize),
    /// The input ends inside a character.
    Short,
    /// A malformed or unmapped sequence of this many bytes (decoded as U+FFFD).
    Bad(usize),
}

/// The two-byte table: lead 0x81..=0xFE times trail 0x40..=0x7E, 0x80..=0xFE, each entry a
/// BMP code point or 0 for unmapped. Built once from `encoding_rs`, so our tables are WHATWG's.
fn two_byte_table() -> &'static [u16] {
    static TABLE: OnceLock<Box<[u16]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = vec![0u16; 126 * 190];
        let mut buf = [0u8; 8];
        for lead in 0x81u8..=0xFE {
            for trail in (0x40u8..=0x7E).chain(0x80..=0xFE) {
                // A decoder of its own per pair (no allocation), so a malformed pair leaves
                // no state behind.
                let mut dec = GB18030.new_decoder_without_bom_handling();
                let (res, read, written) =
                    dec.decode_to_utf8_without_replacement(&[lead, trail], &mut buf, true);
                if res != encoding_rs::DecoderResult::InputEmpty || read != 2 {
                    continue;
                }
                let Ok(text) = std::str::from_utf8(&buf[..written]) else {
                    continue;
                };
                let mut cs = text.chars();
                if let (Some(c), None) = (cs.next(), cs.next()) {
                    if (c as u32) <= 0xFFFF {
                        t[two_byte_index(lead, trail)] = c as u16;
                    }
                }
            }
        }
        t.into_boxed_slice()
    })
}

/// The inverse of [`two_byte_table`] over the BMP: a code point's two GB18030 bytes, or 0.
/// Replacements keep characters of the value (`张*`), and encoding_rs's encoder searches its
/// index for each; built once from the decode table.
fn encode_table() -> &'static [u16] {
    static TABLE: OnceLock<Box<[u16]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut e = vec![0u16; 0x10000];
        for lead in 0x81u8..=0xFE {
            for trail in (0x40u8..=0x7E).chain(0x80..=0xFE) {
                let cp = two_byte_table()[two_byte_index(lead, trail)];
                // The first pair that decodes to a code point is the one encoders write.
                if cp != 0 && e[cp as usize] == 0 {
                    e[cp as usize] = u16::from_be_bytes([lead, trail]);
                }
            }
        }
        e.into_boxed_slice()
    })
}

fn two_byte_index(lead: u8, trail: u8) -> usize {
    let t = if trail < 0x7F {
        trail - 0x40
    } else {
        trail - 0x41
    };
    (lead - 0x81) as usize * 190 + t as usize
}

/// Decodes the character at the start of `b` (non-empty).
pub(crate) fn gb_char(b: &[u8]) -> Step {
    let lead = b[0];
    match lead {
        0x00..=0x7F => Step::Char(lead as char, 1),
        0x80 => Step::Char('\u{20AC}', 1),
        0xFF => Step::Bad(1),
        _ => {
            let Some(&second) = b.get(1) else {
                return Step::Short;
            };
            match second {
                0x40..=0x7E | 0x80..=0xFE => {
                    let cp = two_byte_table()[two_byte_index(lead, second)];
                    match char::from_u32(cp as u32) {
                        Some(c) if cp != 0 => Step::Char(c, 2),
                        // An unmapped pair: the lead alone is bad and the second byte starts
                        // over (it may be ASCII), as the WHATWG decoder does.
                        _ => Step::Bad(1),
                    }
                }
                0x30..=0x39 => {
                    if b.len() < 4 {
                        // Only a full four-byte sequence can be judged, unless what is here
                        // already cannot start one.
                        let third_ok = b.get(2).is_none_or(|t| (0x81..=0xFE).contains(t));
                        return if third_ok { Step::Short } else { Step::Bad(1) };
                    }
                    if !(0x81..=0xFE).contains(&b[2]) || !(0x30..=0x39).contains(&b[3]) {
                        return Step::Bad(1);
                    }
                    let (text, malformed) = GB18030.decode_without_bom_handling(&b[..4]);
                    let mut cs = text.chars();
                    match (cs.next(), cs.next()) {
                        (Some(c), None) if !malformed => Step::Char(c, 4),
                        _ => Step::Bad(1),
                    }
                }
                _ => Step::Bad(1),
            }
        }
    }
}

/// Where a run of decoded text came from: a non-ASCII character's decoded and raw offsets
/// and lengths. ASCII between two entries maps one to one.
#[derive(Debug, Clone, Copy)]
struct Mark {
    dec: u64,
    raw: u64,
    dec_len: u8,
    raw_len: u8,
}

/// The charsets a [`Transcoder`] decodes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    #[default]
    Gb18030,
    Utf16Le,
    Utf16Be,
    Utf32Le,
    Utf32Be,
}

impl Codec {
    pub(crate) fn of(charset: Charset) -> Option<Codec> {
        match charset {
            Charset::Gb18030 => Some(Codec::Gb18030),
            Charset::Utf16Le => Some(Codec::Utf16Le),
            Charset::Utf16Be => Some(Codec::Utf16Be),
            Charset::Utf32Le => Some(Codec::Utf32Le),
            Charset::Utf32Be => Some(Codec::Utf32Be),
            Charset::Auto | Charset::DeclaredGb | Charset::Utf8 => None,
        }
    }

    pub(crate) fn charset(self) -> Charset {
        match self {
            Codec::Gb18030 => Charset::Gb18030,
            Codec::Utf16Le => Charset::Utf16Le,
            Codec::Utf16Be => Charset::Utf16Be,
            Codec::Utf32Le => Charset::Utf32Le,
            Codec::Utf32Be => Charset::Utf32Be,
        }
    }

    fn step(self, b: &[u8]) -> Step {
        match self {
            Codec::Gb18030 => gb_char(b),
            Codec::Utf16Le => utf16_char(b, false),
            Codec::Utf16Be => utf16_char(b, true),
            Codec::Utf32Le | Codec::Utf32Be => match b {
                [a, b2, c, d, ..] => {
                    let u = [*a, *b2, *c, *d];
                    let cp = if self == Codec::Utf32Be {
                        u32::from_be_bytes(u)
                    } else {
                        u32::from_le_bytes(u)
                    };
                    char::from_u32(cp).map_or(Step::Bad(4), |c| Step::Char(c, 4))
                }
                _ => Step::Short,
            },
        }
    }

    /// Encodes replacement text (UTF-8) in this charset. Replacements are masks, labels,
    /// tokens and characters kept from the value, all of which both encode.
    pub(crate) fn encode_into(self, text: &[u8], out: &mut Vec<u8>) {
        if self == Codec::Gb18030 && text.is_ascii() {
            // Most masks: `*`, digits and letters are their own bytes.
            out.extend_from_slice(text);
            return;
        }
        let s = String::from_utf8_lossy(text);
        match self {
            Codec::Gb18030 => {
                let table = encode_table();
                for c in s.chars() {
                    let two = table.get(c as usize).copied().unwrap_or(0);
                    if c.is_ascii() {
                        out.push(c as u8);
                    } else if two != 0 {
                        out.extend(two.to_be_bytes());
                    } else {
                        // Four-byte GB18030 (and the characters above the BMP).
                        let mut b = [0u8; 4];
                        out.extend_from_slice(&GB18030.encode(c.encode_utf8(&mut b)).0);
                    }
                }
            }
            Codec::Utf16Le => s.encode_utf16().for_each(|u| out.extend(u.to_le_bytes())),
            Codec::Utf16Be => s.encode_utf16().for_each(|u| out.extend(u.to_be_bytes())),
            Codec::Utf32Le => s.chars().for_each(|c| out.extend((c as u32).to_le_bytes())),
            Codec::Utf32Be => s.chars().for_each(|c| out.extend((c as u32).to_be_bytes())),
        }
    }
}

/// The decoding side of one GB18030 or UTF-16 stream: the decoder's carry, the raw bytes not
/// yet emitted, and the map from decoded offsets back to them.
#[derive(Debug, Default)]
pub(crate) struct Transcoder {
    codec: Codec,
    /// An incomplete character at the end of the last chunk.
    carry: Vec<u8>,
    /// Raw bytes from `raw_base` on (everything the scanner has not emitted yet).
    raw: Vec<u8>,
    raw_base: u64,
    /// Raw bytes decoded so far (`carry` excluded) and decoded bytes produced.
    raw_end: u64,
    dec_end: u64,
    /// A decoded offset known to map to `floor.1` exactly, before every mark.
    floor: (u64, u64),
    marks: Vec<Mark>,
}

impl Transcoder {
    /// A transcoder for a stream from its start.
    pub(crate) fn new(codec: Codec) -> Self {
        Transcoder {
            codec,
            ..Transcoder::default()
        }
    }

    pub(crate) fn codec(&self) -> Codec {
        self.codec
    }

    /// A GB18030 transcoder that takes over a stream whose bytes so far were all ASCII,
    /// `held` of them (from offset `base`) not yet emitted: decoded and raw offsets agree up
    /// to here.
    pub(crate) fn after_ascii(base: u64, held: &[u8]) -> Self {
        let end = base + held.len() as u64;
        Transcoder {
            raw: held.to_vec(),
            raw_base: base,
            raw_end: end,
            dec_end: end,
            floor: (base, base),
            ..Transcoder::default()
        }
    }

    /// Decodes `chunk` (raw) and appends the UTF-8 text to `out`. At `eof` a trailing
    /// incomplete character is decoded as U+FFFD.
    pub(crate) fn decode(&mut self, chunk: &[u8], eof: bool, out: &mut Vec<u8>) {
        let input: std::borrow::Cow<[u8]> = if self.carry.is_empty() {
            chunk.into()
        } else {
            let mut v = std::mem::take(&mut self.carry);
            v.extend_from_slice(chunk);
            v.into()
        };
        let input = &*input;
        out.reserve(input.len() + input.len() / 2);
        let mut i = 0;
        let gb = self.codec == Codec::Gb18030;
        while i < input.len() {
            // In GB18030 ASCII runs map one to one: copy them whole.
            let run = if gb {
                input[i..]
                    .iter()
                    .position(|&b| b >= 0x80)
                    .unwrap_or(input.len() - i)
            } else {
                0
            };
            if run > 0 {
                out.extend_from_slice(&input[i..i + run]);
                i += run;
                self.raw_end += run as u64;
                self.dec_end += run as u64;
                continue;
            }
            let (c, n) = match self.codec.step(&input[i..]) {
                Step::Char(c, n) => (c, n),
                Step::Bad(n) => (char::REPLACEMENT_CHARACTER, n),
                Step::Short if eof => (char::REPLACEMENT_CHARACTER, input.len() - i),
                Step::Short => {
                    self.carry.extend_from_slice(&input[i..]);
                    break;
                }
            };
            let mut buf = [0u8; 4];
            let s = c.encode_utf8(&mut buf);
            out.extend_from_slice(s.as_bytes());
            self.marks.push(Mark {
                dec: self.dec_end,
                raw: self.raw_end,
                dec_len: s.len() as u8,
                raw_len: n as u8,
            });
            i += n;
            self.raw_end += n as u64;
            self.dec_end += s.len() as u64;
        }
        self.raw.extend_from_slice(&input[..i]);
    }

    /// Raw bytes held: not yet emitted, or an incomplete character.
    pub(crate) fn held(&self) -> usize {
        self.raw.len() + self.carry.len()
    }

    /// The raw offset of decoded offset `dec`. Inside a character (never a cut the engine
    /// makes) it is the character's start.
    pub(crate) fn raw_at(&self, dec: u64) -> u64 {
        let i = self.marks.partition_point(|m| m.dec <= dec);
        let Some(m) = i.checked_sub(1).map(|i| self.marks[i]) else {
            // Before the first mark decoded and raw bytes agree one to one, from the floor
            // (and, before a transcoder took over from ASCII, below it too).
            return if dec >= self.floor.0 {
                self.floor.1 + (dec - self.floor.0)
            } else {
                self.floor.1.saturating_sub(self.floor.0 - dec)
            };
        };
        let m_end = m.dec + m.dec_len as u64;
        if dec < m_end {
            m.raw
        } else {
            m.raw + m.raw_len as u64 + (dec - m_end)
        }
    }

    /// The raw bytes of the decoded range `start..end`.
    pub(crate) fn raw_slice(&self, start: u64, end: u64) -> &[u8] {
        let (s, e) = (self.raw_at(start), self.raw_at(end));
        let from = (s.saturating_sub(self.raw_base) as usize).min(self.raw.len());
        let to = (e.saturating_sub(self.raw_base) as usize).clamp(from, self.raw.len());
        &self.raw[from..to]
    }

    /// Forgets everything before decoded offset `dec` (the scanner will not look back).
    pub(crate) fn release(&mut self, dec: u64) {
        let raw = self.raw_at(dec);
        let drop = (raw.saturating_sub(self.raw_base) as usize).min(self.raw.len());
        self.raw.drain(..drop);
        self.raw_base += drop as u64;
        let gone = self
            .marks
            .partition_point(|m| m.dec + m.dec_len as u64 <= dec);
        if gone > 0 {
            self.marks.drain(..gone);
            self.floor = (dec, raw);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gbk(s: &str) -> Vec<u8> {
        GBK.encode(s).0.into_owned()
    }

    #[test]
    fn labels() {
        for ct in [
            "text/xml; charset=GBK",
            "application/json;charset=gb2312",
            "text/plain; charset=\"GB18030\"",
            "text/csv; Charset=cp936",
            "text/plain; charset=x-gbk",
        ] {
            assert_eq!(Charset::from_content_type(ct), Charset::DeclaredGb, "{ct}");
        }
        for ct in [
            "application/json",
            "text/xml; charset=utf-8",
            "text/plain; charset=big5",
            "text/plain; charset=",
            // The bytes say whether a body is UTF-16; the label alone is not trusted.
            "text/plain; charset=UTF-16",
            "text/plain; charset=utf-16be",
        ] {
            assert_eq!(Charset::from_content_type(ct), Charset::Auto, "{ct}");
        }
        assert_eq!(
            xml_declared(b"<?xml version=\"1.0\" encoding=\"GBK\"?><r/>"),
            Some(Charset::DeclaredGb)
        );
        assert_eq!(
            xml_declared(b"\xEF\xBB\xBF <?xml version='1.0' encoding = 'gb2312' ?>"),
            Some(Charset::DeclaredGb)
        );
        assert_eq!(
            xml_declared(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
            Some(Charset::Auto)
        );
        assert_eq!(xml_declared(b"<?xml version=\"1.0\"?>"), None);
        assert_eq!(utf16_head(b"\xFF\xFE{\0\"\0"), Some(Charset::Utf16Le));
        assert_eq!(
            utf16_head(b"\xFF\xFE\0\0{\0\0\0\"\0\0\0"),
            Some(Charset::Utf32Le)
        );
        assert_eq!(
            utf16_head(b"\0\0\0{\0\0\0\"\0\0\0x"),
            Some(Charset::Utf32Be)
        );
        assert_eq!(utf16_head(b"{\0\0\0\"\0\0\0"), Some(Charset::Utf32Le));
        for l in [
            "IBM500",
            "cp037",
            "ibm-1047",
            "x-EBCDIC-US",
            "utf-7",
            "CCSID1140",
        ] {
            assert!(Charset::unreadable_label(l), "{l}");
        }
        for l in ["utf-8", "gbk", "ibm866", "cp936", "windows-1252", "utf-32"] {
            assert!(!Charset::unreadable_label(l), "{l}");
        }
        assert_eq!(utf16_head(b"\xFE\xFF\0{\0\""), Some(Charset::Utf16Be));
        assert_eq!(utf16_head(b"{\0\"\0x\0m\0"), Some(Charset::Utf16Le));
        assert_eq!(utf16_head(b"\0{\0\"\0x\0m"), Some(Charset::Utf16Be));
        // Excel's "Unicode text": a mark, a Chinese header, a tab.
        assert_eq!(
            utf16_head(b"\xFF\xFE\xD3\x59\x0D\x54\t\0\xAB\x8B\r\0\n\0"),
            Some(Charset::Utf16Le)
        );
        // UTF-8, GB and binary bodies are not UTF-16, a mark in front or not.
        assert_eq!(utf16_head(b"{\"xm\":\"\xE5"), None);
        assert_eq!(utf16_head(b"\xFF\xFE{\"sfzh\":\"110105"), None);
        assert_eq!(utf16_head(b"\xFE\xFFabcdefgh"), None);
        assert_eq!(utf16_head(b"\0\0\0\0\0\0\0\0"), None);
        assert_eq!(utf16_head(b"\x05\0\0\0\x07\0\0\0"), None);
        assert_eq!(utf16_head(b"a\0"), None);
        // Chinese text with no ASCII character, a mark in front or not, is UTF-16 by its
        // units; the same text in UTF-8 or GBK, and ASCII text, are not.
        let zh = "联系人：王小明，电话：１３８７１８８５８７５，住址：北京市朝阳区建国路八十八号";
        let le: Vec<u8> = zh.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = zh.encode_utf16().flat_map(u16::to_be_bytes).collect();
        let head = |b: &[u8]| b[..b.len().min(UTF16_HEAD)].to_vec();
        for (mark, body, cs) in [
            (&b"\xFF\xFE"[..], &le, Charset::Utf16Le),
            (b"", &le, Charset::Utf16Le),
            (b"\xFE\xFF", &be, Charset::Utf16Be),
            (b"", &be, Charset::Utf16Be),
        ] {
            let b = head(&[mark, &body[..]].concat());
            assert_eq!(utf16_head(&b), Some(cs), "{b:?}");
        }
        let secret: Vec<u8> = "\u{FEFF}密级：机密"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(utf16_head(&secret), Some(Charset::Utf16Le));
        for other in [
            zh.as_bytes().to_vec(),
            gbk(zh),
            [&b"\xFF\xFE"[..], zh.as_bytes()].concat(),
            [&b"\xFE\xFF"[..], &gbk(zh)].concat(),
            b"Dear applicant, your application has been received and is now under review".to_vec(),
            "{\"xm\":\"王小明\",\"dz\":\"北京市朝阳区建国路八十八号\"}"
                .as_bytes()
                .to_vec(),
            "关于进一步加强和规范政务数据共享交换平台接入管理工作的实施意见"
                .as_bytes()
                .to_vec(),
        ] {
            assert_eq!(utf16_head(&head(&other)), None, "{other:?}");
        }
        assert_eq!(xml_declared(b"{\"a\":1}"), None);
    }

    #[test]
    fn sniffs_gbk_and_keeps_utf8() {
        let zh = "张伟，住北京市朝阳区建国路88号，身份证号码１１０１０５";
        let g = gbk(zh);
        assert_eq!(
            sniff(&g[..g.len().min(SNIFF_WINDOW)], false),
            Charset::Gb18030
        );
        assert_eq!(sniff(zh.as_bytes(), true), Charset::Utf8);
        // A window cut inside a UTF-8 character is still UTF-8.
        assert_eq!(sniff(&zh.as_bytes()[..4], false), Charset::Utf8);
        // Latin-1 text is neither, and stays as it was read before.
        assert_eq!(sniff(b"\xE9t\xE9 \xE0 Paris", true), Charset::Utf8);
        // Binary data with control bytes is not text in any charset.
        assert_eq!(sniff(b"\xD5\xC5\x00\x01\xB0\xA1", true), Charset::Utf8);
        // The end of the body inside a GB character.
        assert_eq!(sniff(&gbk("张伟")[..3], true), Charset::Utf8);
        assert_eq!(sniff(&gbk("张伟")[..3], false), Charset::Gb18030);
    }

    #[test]
    fn a_body_that_starts_inside_a_character_is_still_utf8() {
        let zh =
            "丰的身份证号是１１０１０５１９４９１２３１００２Ｘ，手机号码１３８００１３８０００";
        for cut in 1..=2 {
            let w = &zh.as_bytes()[cut..];
            // The stray bytes make the window clean GB text too, which is the trap.
            assert!(gb_text(&w[..SNIFF_WINDOW], false));
            assert_eq!(sniff(&w[..SNIFF_WINDOW], false), Charset::Utf8, "cut {cut}");
        }
        // GBK text whose first character has a lead byte below C0 (`丂`, 81 40) is GB.
        let g = gbk("丂张伟，住北京市朝阳区建国路88号，身份证号码１１０１０５");
        assert_eq!(
            sniff(&g[..SNIFF_WINDOW.min(g.len())], true),
            Charset::Gb18030
        );
        // So is a GBK body whose first lead byte is B0-BF (`啊`, `保`), however it goes on.
        let g = gbk("保险单：被保险人张伟，住北京市朝阳区建国路88号");
        assert_eq!(
            sniff(&g[..SNIFF_WINDOW.min(g.len())], true),
            Charset::Gb18030
        );
    }

    #[test]
    fn decodes_every_kind_of_sequence() {
        // ASCII, two-byte, four-byte (U+00C0 À and U+1F600 😀 in GB18030), the euro byte,
        // a bad 0xFF and a lead byte before a space (bad, and the space starts over).
        let mut raw = b"a".to_vec();
        raw.extend(gbk("张"));
        raw.extend(GB18030.encode("À😀").0.iter());
        raw.extend([0x80, 0xFF, 0xA1, b' ', b'z']);
        let mut t = Transcoder::new(Codec::Gb18030);
        let mut out = Vec::new();
        t.decode(&raw, true, &mut out);
        let text = String::from_utf8(out).expect("utf-8");
        assert_eq!(text, "a张À😀€\u{FFFD}\u{FFFD} z");
        // Every character boundary maps back to the raw boundary.
        let mut dec = 0u64;
        let mut raw_at = Vec::new();
        for c in text.chars() {
            raw_at.push(t.raw_at(dec));
            dec += c.len_utf8() as u64;
        }
        raw_at.push(t.raw_at(dec));
        assert_eq!(raw_at, [0, 1, 3, 7, 11, 12, 13, 14, 15, 16]);
        assert_eq!(t.raw_slice(1, 4), &gbk("张")[..]);
    }

    #[test]
    fn decoding_is_the_same_for_every_cut() {
        let mut raw = gbk("王芳 身份证１１０１０５ 住址：上海市");
        raw.extend(GB18030.encode("😀x").0.iter());
        let whole = {
            let mut t = Transcoder::new(Codec::Gb18030);
            let mut out = Vec::new();
            t.decode(&raw, true, &mut out);
            out
        };
        for cut in 0..=raw.len() {
            let mut t = Transcoder::new(Codec::Gb18030);
            let mut out = Vec::new();
            t.decode(&raw[..cut], false, &mut out);
            t.decode(&raw[cut..], true, &mut out);
            assert_eq!(out, whole, "cut at {cut}");
        }
    }

    #[test]
    fn release_keeps_the_map_exact() {
        let raw = gbk("甲乙ab丙丁");
        let mut t = Transcoder::after_ascii(8, b"ab");
        let mut out = Vec::new();
        t.decode(&raw, true, &mut out);
        // 甲 乙 are 3 UTF-8 bytes each and 2 raw bytes.
        assert_eq!(t.raw_at(16), 14);
        t.release(16);
        assert_eq!(t.raw_at(16), 14);
        assert_eq!(t.raw_at(18), 16);
        assert_eq!(t.raw_slice(18, 21), &gbk("丙")[..]);
        assert_eq!(t.held(), raw.len() - 4);
        t.release(10);
        assert_eq!(t.raw_slice(8, 10), b"");
    }

    #[test]
    fn encodes_replacements() {
        let mut out = Vec::new();
        Codec::Gb18030.encode_into("[姓名]**".as_bytes(), &mut out);
        assert_eq!(out, gbk("[姓名]**"));
        // The table agrees with encoding_rs on every BMP character, four-byte ones included.
        for cp in (0x80u32..0x10000).step_by(7) {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            let mut b = [0u8; 4];
            let mut ours = Vec::new();
            Codec::Gb18030.encode_into(c.encode_utf8(&mut b).as_bytes(), &mut ours);
            assert_eq!(
                ours,
                &*GB18030.encode(c.encode_utf8(&mut b)).0,
                "U+{cp:04X}"
            );
        }
        out.clear();
        out.clear();
        Codec::Utf16Le.encode_into("[姓名]😀".as_bytes(), &mut out);
        let le: Vec<u8> = "[姓名]😀"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(out, le);
    }
}
