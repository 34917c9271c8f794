//! Character normalization that defeats the common evasions while keeping a map back to raw
//! bytes: full-width ASCII (`１１０１…`) folds to ASCII, ideographic and no-break spaces to a
//! space, dash look-alikes to `-`, digits of other forms and scripts (`𝟏`, `١`) to ASCII
//! digits, Greek and Cyrillic letters drawn like Latin ones to those (`Х` as an ID's check
//! character), and zero-width, direction and variation marks disappear. Detectors only ever
//! see normalized text; the stream layer uses the map to redact the original bytes.

/// What normalization does with one character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Norm {
    /// Keep as is.
    Same,
    /// Replace with this character; `true` when the original was a full-width form, so a mask
    /// written over it can be full-width too.
    To(char, bool),
    /// Remove (zero-width and format characters used to break numbers apart).
    Drop,
}

/// Normalizes one character.
#[inline]
pub(crate) fn normalize_char(c: char) -> Norm {
    match c {
        '\u{FF01}'..='\u{FF5E}' => match char::from_u32(c as u32 - 0xFEE0) {
            Some(a) => Norm::To(a, true),
            None => Norm::Same,
        },
        '\u{3000}' | '\u{00A0}' | '\u{2002}'..='\u{200A}' | '\u{202F}' | '\u{205F}' => {
            Norm::To(' ', false)
        }
        '\u{2010}'..='\u{2015}'
        | '\u{2212}'
        | '\u{FE58}'
        | '\u{FE63}'
        | '\u{30FC}'
        | '\u{FF70}'
        | '\u{02D7}'
        | '\u{2043}'
        | '\u{301C}' => Norm::To('-', false),
        // Digits of other forms and scripts, as NFKC folds them (mathematical) or as they
        // are (Arabic-Indic, Devanagari, Thai): `𝟏𝟑𝟖…`, `١٣٨…`. Not superscripts and
        // circled digits: footnotes and list markers (`①13800138000`) stand beside numbers,
        // and folded they would join them.
        '\u{0660}'..='\u{0669}'
        | '\u{06F0}'..='\u{06F9}'
        | '\u{0966}'..='\u{096F}'
        | '\u{0E50}'..='\u{0E59}'
        | '\u{1D7CE}'..='\u{1D7FF}' => match other_digit(c) {
            Some(d) => Norm::To(d, false),
            None => Norm::Same,
        },
        // An ID's check character as the Roman numeral ten or a multiplication sign.
        '\u{2169}' => Norm::To('X', false),
        '\u{2179}' | '\u{00D7}' => Norm::To('x', false),
        '\u{30FB}' | '\u{2022}' | '\u{2027}' => Norm::To('·', false),
        // Greek and Cyrillic letters drawn like Latin ones: an ID's check character `Х`, a
        // passport's `Е` or a credit code's `М` typed in another script reads the same to a
        // person and must to the detectors.
        '\u{0391}'..='\u{03C7}' | '\u{0410}'..='\u{0445}' => match homoglyph(c) {
            Some(a) => Norm::To(a, false),
            None => Norm::Same,
        },
        '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{3164}'
        | '\u{FFA0}'
        | '\u{115F}'
        | '\u{1160}'
        // Combining marks over digits (`1̲3̲8̲`, keycaps `1⃣`): nothing a reader reads.
        | '\u{0300}'..='\u{036F}'
        | '\u{20D0}'..='\u{20FF}'
        | '\u{FEFF}'
        | '\u{00AD}'
        | '\u{180E}' => Norm::Drop,
        _ => Norm::Same,
    }
}

/// The ASCII digit a digit of another form or script stands for.
fn other_digit(c: char) -> Option<char> {
    let cp = u32::from(c);
    let d = match cp {
        0x0660..=0x0669 => cp - 0x0660,
        0x06F0..=0x06F9 => cp - 0x06F0,
        0x0966..=0x096F => cp - 0x0966,
        0x0E50..=0x0E59 => cp - 0x0E50,
        0x1D7CE..=0x1D7FF => (cp - 0x1D7CE) % 10,
        _ => return None,
    };
    char::from_digit(d, 10)
}

/// The Latin letter a Greek or Cyrillic one is drawn like, if any.
fn homoglyph(c: char) -> Option<char> {
    Some(match c {
        'Α' | 'А' => 'A',
        'Β' | 'В' => 'B',
        'С' => 'C',
        'Ε' | 'Е' => 'E',
        'Η' | 'Н' => 'H',
        'Ι' => 'I',
        'Κ' | 'К' => 'K',
        'Μ' | 'М' => 'M',
        'Ν' => 'N',
        'Ο' | 'О' => 'O',
        'Ρ' | 'Р' => 'P',
        'Τ' | 'Т' => 'T',
        'Υ' => 'Y',
        'Χ' | 'Х' => 'X',
        'Ζ' => 'Z',
        'а' => 'a',
        'с' => 'c',
        'е' => 'e',
        'ο' | 'о' => 'o',
        'р' => 'p',
        'у' => 'y',
        'χ' | 'х' => 'x',
        _ => return None,
    })
}

/// Whether a UTF-8 lead byte may start a character that normalization changes. Plain runs
/// without such bytes are copied as they are (the fast path for almost all text).
#[inline]
pub(crate) fn may_need_norm(b: u8) -> bool {
    matches!(
        b,
        0xC2 | 0xC3 | 0xCB..=0xD1 | 0xD9 | 0xDB | 0xE0..=0xE3 | 0xEF | 0xF0
    )
}

/// Index of the first byte in `s` that may start a character normalization changes.
#[inline]
pub(crate) fn first_norm_candidate(s: &[u8]) -> Option<usize> {
    // Short values (most JSON values) are cheaper to walk than to set up two SIMD searches.
    if s.len() < 48 {
        return s.iter().position(|&b| may_need_norm(b));
    }
    // Lead bytes of the affected ranges; memchr3 twice is far faster than a byte loop on
    // Chinese text, where 0xE4-0xE9 dominate.
    // Block by block: each pass that finds nothing scans what it is given, and the caller
    // asks again after every candidate, so passes over the whole rest would make text dense
    // with candidates (accented Latin, Cyrillic, emoji) quadratic.
    let mut from = 0;
    while from < s.len() {
        let to = (from + NORM_BLOCK).min(s.len());
        if let Some(p) = first_in_block(&s[from..to]) {
            return Some(from + p);
        }
        from = to;
    }
    None
}

/// How many bytes [`first_norm_candidate`] searches at a time.
const NORM_BLOCK: usize = 1024;

/// [`first_norm_candidate`] in one block.
#[inline]
fn first_in_block(s: &[u8]) -> Option<usize> {
    let a = memchr::memchr3(0xEF, 0xE2, 0xE3, s);
    let a = a.unwrap_or(s.len());
    let b = memchr::memchr3(0xC2, 0xE1, 0xCD, &s[..a]).unwrap_or(a);
    // Rarer scripts and forms: Greek and Cyrillic (0xCE-0xD1), `×` (0xC3), Arabic-Indic
    // (0xD9, 0xDB), Devanagari and Thai (0xE0), mathematical digits (0xF0).
    let c = memchr::memchr3(0xCE, 0xCF, 0xD0, &s[..b]).unwrap_or(b);
    let d = memchr::memchr3(0xD1, 0xD9, 0xDB, &s[..c]).unwrap_or(c);
    let e = memchr::memchr3(0xC3, 0xE0, 0xF0, &s[..d]).unwrap_or(d);
    // Spacing modifiers and combining marks (0xCB, 0xCC).
    let f = memchr::memchr2(0xCB, 0xCC, &s[..e]).unwrap_or(e);
    (f < s.len()).then_some(f)
}

/// Length of the UTF-8 sequence a lead byte announces (1 for ASCII and for invalid leads,
/// which are then treated as single opaque bytes).
#[inline]
pub(crate) fn utf8_len(b: u8) -> usize {
    match b {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => 1,
    }
}

/// The ASCII character a full-width form (U+FF01-U+FF5E, three bytes `EF BC 81`-`EF BD 9E`)
/// at the start of `s` folds to, read from its bytes without decoding.
#[inline]
pub(crate) fn fullwidth_ascii(s: &[u8]) -> Option<u8> {
    match *s {
        [0xEF, b1 @ (0xBC | 0xBD), b2, ..]
            if (b1 == 0xBC && (0x81..=0xBF).contains(&b2))
                || (b1 == 0xBD && (0x80..=0x9E).contains(&b2)) =>
        {
            Some(0x20 + (b1 - 0xBC) * 64 + (b2 & 0x3F))
        }
        _ => None,
    }
}

/// Decodes the character at the start of `s`: `Some((char, len))`, or `None` when the bytes
/// are not valid UTF-8 there (the caller then treats one byte as opaque). Decoded by hand:
/// this runs per character in runs of full-width digits, where a `str::from_utf8` call per
/// character cost more than the rest of normalization (tested against it exhaustively for
/// one to three bytes and on a spread of four-byte sequences).
#[inline]
pub(crate) fn decode_char(s: &[u8]) -> Option<(char, usize)> {
    let b0 = *s.first()?;
    if b0 < 0x80 {
        return Some((b0 as char, 1));
    }
    let n = utf8_len(b0);
    if n == 1 {
        return None;
    }
    let chunk = s.get(..n)?;
    let mut cp = u32::from(b0) & (0x7F >> n);
    for &b in &chunk[1..] {
        if b & 0xC0 != 0x80 {
            return None;
        }
        cp = (cp << 6) | u32::from(b & 0x3F);
    }
    // Overlong forms are invalid; `from_u32` refuses surrogates and values past U+10FFFF.
    let min = match n {
        2 => 0x80,
        3 => 0x800,
        _ => 0x10000,
    };
    if cp < min {
        return None;
    }
    char::from_u32(cp).map(|c| (c, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_evasions() {
        assert_eq!(normalize_char('１'), Norm::To('1', true));
        assert_eq!(normalize_char('Ｘ'), Norm::To('X', true));
        assert_eq!(normalize_char('：'), Norm::To(':', true));
        assert_eq!(normalize_char('\u{3000}'), Norm::To(' ', false));
        assert_eq!(normalize_char('\u{200B}'), Norm::Drop);
        assert_eq!(normalize_char('\u{FEFF}'), Norm::Drop);
        assert_eq!(normalize_char('—'), Norm::To('-', false));
        assert_eq!(normalize_char('张'), Norm::Same);
        assert_eq!(normalize_char('Х'), Norm::To('X', false)); // Cyrillic
        assert_eq!(normalize_char('χ'), Norm::To('x', false)); // Greek
        assert_eq!(normalize_char('Е'), Norm::To('E', false));
        assert_eq!(normalize_char('ж'), Norm::Same);
        assert_eq!(normalize_char('𝟏'), Norm::To('1', false));
        assert_eq!(normalize_char('𝟿'), Norm::To('9', false));
        assert_eq!(normalize_char('١'), Norm::To('1', false));
        assert_eq!(normalize_char('९'), Norm::To('9', false));
        assert_eq!(normalize_char('Ⅹ'), Norm::To('X', false));
        assert_eq!(normalize_char('\u{200E}'), Norm::Drop);
        assert_eq!(normalize_char('\u{FE0F}'), Norm::Drop);
        assert_eq!(normalize_char('ー'), Norm::To('-', false));
        assert_eq!(normalize_char('é'), Norm::Same);
        assert_eq!(normalize_char('๘'), Norm::To('8', false));
        assert_eq!(normalize_char('①'), Norm::Same);
        assert_eq!(normalize_char('¹'), Norm::Same);
        assert_eq!(normalize_char('\u{0332}'), Norm::Drop);
        assert_eq!(normalize_char('\u{20E3}'), Norm::Drop);
        assert_eq!(normalize_char('〜'), Norm::To('-', false));
        assert_eq!(normalize_char('λ'), Norm::Same);
    }

    /// The reference: the standard library's decoder on exactly the announced length.
    fn decode_std(s: &[u8]) -> Option<(char, usize)> {
        let n = utf8_len(*s.first()?);
        if n == 1 {
            return (s[0] < 0x80).then_some((s[0] as char, 1));
        }
        let chunk = s.get(..n)?;
        std::str::from_utf8(chunk)
            .ok()
            .and_then(|t| t.chars().next())
            .map(|c| (c, n))
    }

    #[test]
    fn fullwidth_ascii_is_normalize_char() {
        for cp in 0xFF00u32..0xFF70 {
            let c = char::from_u32(cp).unwrap();
            let mut buf = [0u8; 4];
            let s = c.encode_utf8(&mut buf).as_bytes();
            let want = match normalize_char(c) {
                Norm::To(a, true) => Some(a as u8),
                _ => None,
            };
            assert_eq!(fullwidth_ascii(s), want, "{c:?}");
        }
        assert_eq!(fullwidth_ascii(&[0xEF, 0xBC]), None);
        assert_eq!(fullwidth_ascii("１".as_bytes()), Some(b'1'));
    }

    #[test]
    fn decode_char_agrees_with_std() {
        for a in 0..=255u8 {
            assert_eq!(decode_char(&[a]), decode_std(&[a]), "{a:02x}");
            for b in 0..=255u8 {
                assert_eq!(decode_char(&[a, b]), decode_std(&[a, b]), "{a:02x} {b:02x}");
                if (0xE0..=0xF4).contains(&a) {
                    for c in 0..=255u8 {
                        let s = [a, b, c];
                        assert_eq!(decode_char(&s), decode_std(&s), "{s:02x?}");
                    }
                }
            }
        }
        // Four bytes: every lead and second byte, the edges of the continuation range after.
        let edges = [
            0x00, 0x3F, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF,
        ];
        for a in 0xF0..=0xFFu8 {
            for b in 0..=255u8 {
                for c in edges {
                    for d in edges {
                        let s = [a, b, c, d];
                        assert_eq!(decode_char(&s), decode_std(&s), "{s:02x?}");
                    }
                }
            }
        }
    }

    #[test]
    fn candidate_bytes_cover_every_changed_char() {
        for cp in 0x80u32..0x1E000 {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            if normalize_char(c) != Norm::Same {
                let mut buf = [0u8; 4];
                let s = c.encode_utf8(&mut buf);
                assert!(may_need_norm(s.as_bytes()[0]), "{c:?} not flagged");
                assert_eq!(first_norm_candidate(s.as_bytes()), Some(0));
            }
        }
    }
}
