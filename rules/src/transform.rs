//! Transforms applied to a finding's value: a format-keeping mask, a replacement label, a keyed
//! deterministic token (same shape, so joins across responses still work), or nothing
//! (report-only). Choosing one is policy; this module only renders them.
//!
//! A transform works on the *normalized* characters of the value and says, per character,
//! whether the original raw spelling is kept or a new character is emitted. The stream layer
//! then encodes new characters for the body's format and for the way the original character
//! was written (a `\u0031` escape gets a `\u002a` mask, a full-width digit a full-width
//! asterisk), so the redacted body stays valid and keeps its shape.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A format-keeping mask: keep the first `keep_first` and last `keep_last` significant
/// characters, replace the others with `mask_char`. Separators (space, hyphen, dot, middle
/// dot) are significant for nobody and always kept, so `6222 0212 3456 7890` stays grouped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaskSpec {
    pub keep_first: usize,
    pub keep_last: usize,
    pub mask_char: char,
    /// Keep everything from the first occurrence of this character on (e-mail domains).
    pub keep_from: Option<char>,
}

impl Default for MaskSpec {
    fn default() -> Self {
        MaskSpec {
            keep_first: 0,
            keep_last: 0,
            mask_char: '*',
            keep_from: None,
        }
    }
}

/// What to do with a finding's value in the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transform {
    Mask(MaskSpec),
    /// Replace the whole value with this label (e.g. `[身份证号]`).
    Label(String),
    /// Keyed deterministic token of the same shape.
    Token,
    /// Leave the value as it is (report-only).
    Keep,
}

/// Per-character rendering of a transformed value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Rendered {
    /// One entry per normalized character: `None` keeps the original raw spelling.
    PerChar(Vec<Option<char>>),
    /// Replace the whole raw range with this text.
    Whole(String),
}

/// A set of byte values as a lookup table (built at compile time).
const fn byte_set(members: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < members.len() {
        t[members[i] as usize] = true;
        i += 1;
    }
    t
}

/// [`is_separator`] for ASCII, as a table (masks run per finding, per byte).
static ASCII_SEP: [bool; 256] = byte_set(b" -._/@+()\r\n");

/// Bytes that start a separator: the ASCII ones, and the lead bytes of `·` and U+3000.
static SEP_LEAD: [bool; 256] = byte_set(b" -._/@+()\r\n\xC2\xE3");

/// Appends `n` mask characters (an ASCII one as a run of bytes, not a push per character).
fn push_mask(out: &mut String, c: char, n: usize) {
    const STARS: &str = "****************************************************************";
    if c == '*' {
        let mut left = n;
        while left > 0 {
            let k = left.min(STARS.len());
            out.push_str(&STARS[..k]);
            left -= k;
        }
    } else {
        out.extend(std::iter::repeat_n(c, n));
    }
}

/// Whether a character only separates groups (kept by masks and tokens). A line break
/// is one: a number hard-wrapped across two lines keeps its wrap when masked.
pub(crate) fn is_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '-' | '.' | '·' | '\u{3000}' | '_' | '/' | '@' | '+' | '(' | ')' | '\r' | '\n'
    )
}

type HmacSha256 = Hmac<Sha256>;

/// A class's fingerprint function: SipHash-1-3 under a key of the class's own, derived
/// from the engine's key once per class when the engine is built. Keying by class keeps
/// two classes' fingerprints of one value apart without hashing the class's name again
/// for every finding (the name was a block or two of each hash).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClassFp {
    hasher: siphasher::sip::SipHasher13,
    /// The class of resident IDs, whose 15-digit form is hashed as its 18-digit one.
    resident: bool,
}

impl ClassFp {
    pub(crate) fn new(key: &[u8], class: &str) -> Self {
        let digest = keyed_digest(key, "fingerprint-key", class, "");
        let mut k = [0u8; 16];
        k.copy_from_slice(&digest[..16]);
        ClassFp {
            hasher: siphasher::sip::SipHasher13::new_with_key(&k),
            resident: class == "resident_id",
        }
    }
}

/// Keyed 64-bit fingerprint of a normalized value (separators ignored, ASCII letters in
/// either case alike: an ID's check character `x` is its `X`, a passport's `e` its `E`),
/// for counting distinct values without keeping them. SipHash-1-3 is a keyed PRF: without
/// the key a fingerprint cannot be checked against guessed values, and it costs a fraction
/// of an HMAC, which matters because every finding gets one.
pub(crate) fn fingerprint(fp: &ClassFp, value: &[u8]) -> u64 {
    use std::hash::Hasher;
    // Most values are their normal form already (digits, capitals): hashed where they lie,
    // with no copy. (`any` over a table, not a byte loop that copies, is the cheap test.)
    let resident_15 = fp.resident && value.len() == 15;
    if !(resident_15 || value.iter().any(|&b| FP_CHANGE[usize::from(b)])) {
        return fp.hasher.hash(value);
    }
    // Almost every other finding fits one stack buffer, hashed in one call: the streaming
    // `write` spends more on its tail bookkeeping than on the rounds at these lengths.
    // (SipHash is of the concatenation, however it is split into calls.)
    let mut buf = [0u8; 128];
    if value.len() <= buf.len() {
        let mut n = 0;
        for &b in value {
            buf[n] = b.to_ascii_uppercase();
            n += usize::from(!FP_SKIP[usize::from(b)]);
        }
        if n == 15 && fp.resident && buf[..n].iter().all(u8::is_ascii_digit) {
            // A 15-digit ID is the 18-digit one of the same person (GB 11643: the century
            // `19` after the region, a check character at the end): one value, so a record
            // carrying both forms counts one person.
            let mut id = [0u8; 18];
            id[..6].copy_from_slice(&buf[..6]);
            id[6..8].copy_from_slice(b"19");
            id[8..17].copy_from_slice(&buf[6..15]);
            if let Some(check) = crate::validate::gb11643_check_char(&id[..17]) {
                id[17] = check;
                buf[..18].copy_from_slice(&id);
                n = 18;
            }
        }
        return fp.hasher.hash(&buf[..n]);
    }
    let mut h = fp.hasher;
    let mut n = 0;
    for &b in value {
        if FP_SKIP[usize::from(b)] {
            continue;
        }
        if n == buf.len() {
            h.write(&buf);
            n = 0;
        }
        buf[n] = b.to_ascii_uppercase();
        n += 1;
    }
    h.write(&buf[..n]);
    h.finish()
}

/// Bytes a fingerprint ignores (group separators, and the line break of a number wrapped
/// over two lines, as masks and tokens keep them), as a table.
static FP_SKIP: [bool; 256] = byte_set(FP_SEPARATORS);

const FP_SEPARATORS: &[u8] = b" -._/()+\r\n";

/// Bytes a fingerprint changes: the separators it drops and the lower-case letters it
/// raises.
static FP_CHANGE: [bool; 256] = {
    let mut t = byte_set(FP_SEPARATORS);
    let mut b = b'a';
    while b <= b'z' {
        t[b as usize] = true;
        b += 1;
    }
    t
};

/// A keyed HMAC-SHA256 of `class` and `value`. Used for tokens and for the fingerprints the
/// policy layer counts distinct values with; never reversible without the key.
pub(crate) fn keyed_digest(key: &[u8], domain: &str, class: &str, value: &str) -> [u8; 32] {
    // HMAC accepts keys of any length; new_from_slice cannot fail for HMAC.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return [0; 32],
    };
    mac.update(domain.as_bytes());
    mac.update(&[0]);
    mac.update(class.as_bytes());
    mac.update(&[0]);
    mac.update(value.as_bytes());
    mac.finalize().into_bytes().into()
}

impl Transform {
    /// Renders the transform over the normalized characters of a value.
    pub(crate) fn render(&self, chars: &[char], class: &str, key: &[u8]) -> Option<Rendered> {
        match self {
            Transform::Keep => None,
            Transform::Label(l) => Some(Rendered::Whole(l.clone())),
            Transform::Mask(m) => Some(Rendered::PerChar(mask_chars(chars, m))),
            Transform::Token => Some(Rendered::PerChar(token_chars(chars, class, key))),
        }
    }

    /// Renders to a plain string (for masked samples in findings and audit records).
    pub fn apply_to_str(&self, value: &str) -> String {
        match self {
            Transform::Mask(m) => return mask_str(value, m),
            Transform::Label(l) => return l.clone(),
            _ => {}
        }
        let chars: Vec<char> = value.chars().collect();
        match self.render(&chars, "", b"sample") {
            None => value.to_string(),
            Some(Rendered::Whole(s)) => s,
            Some(Rendered::PerChar(v)) => {
                v.iter().zip(&chars).map(|(r, c)| r.unwrap_or(*c)).collect()
            }
        }
    }
}

/// How many significant characters a mask keeps at each end, given `n` significant ones.
fn kept(m: &MaskSpec, n: usize) -> (usize, usize) {
    // Never keep so much that little is hidden: at least a third of the significant
    // characters are masked whatever the spec says, so a short value is not shown whole.
    let (mut first, mut last) = (m.keep_first, m.keep_last);
    while first + last > 0 && n.saturating_sub(first + last) < n.div_ceil(3) {
        if last >= first && last > 0 {
            last -= 1;
        } else {
            first = first.saturating_sub(1);
        }
    }
    (first, last)
}

/// The masked rendering of a value as a string, without intermediate vectors (every finding
/// carries one as its safe sample). Most values are ASCII (numbers, codes): those are masked
/// byte by byte.
pub(crate) fn mask_str(value: &str, m: &MaskSpec) -> String {
    let mut out = String::new();
    mask_into(value, m, &mut out);
    out
}

/// [`mask_str`] into `out` (cleared first): a stream masks every finding into one buffer.
pub(crate) fn mask_into(value: &str, m: &MaskSpec, out: &mut String) {
    out.clear();
    // The kept part starts after the first character: `keep_from` at the very start would
    // keep the whole value.
    let cut = m
        .keep_from
        .and_then(|k| value.char_indices().skip(1).find(|&(_, c)| c == k))
        .map_or(value.len(), |(i, _)| i);
    let (head, tail) = value.split_at(cut);
    if head.is_ascii() && m.mask_char.is_ascii() {
        let sep = |b: u8| ASCII_SEP[usize::from(b)];
        let n = head.bytes().filter(|&b| !sep(b)).count();
        let (first, last) = kept(m, n);
        let mc = m.mask_char as u8;
        if n == head.len() {
            // No separator (most values): three runs of a string instead of a byte loop, and
            // no UTF-8 check (`head` is ASCII, so every index is a character boundary).
            let masked = n.saturating_sub(first + last);
            let keep_head = first.min(n);
            out.reserve(value.len());
            out.push_str(&head[..keep_head]);
            push_mask(out, m.mask_char, masked);
            out.push_str(&head[keep_head + masked..]);
            out.push_str(tail);
            return;
        }
        out.reserve(value.len());
        let mut k = 0;
        for b in head.bytes() {
            if sep(b) {
                out.push(char::from(b));
            } else {
                out.push(char::from(if k >= first && k + last < n { mc } else { b }));
                k += 1;
            }
        }
        out.push_str(tail);
        return;
    }
    // No separator (names, addresses): the kept characters are two byte ranges, and the
    // characters are only counted, not pushed one at a time. One pass over the bytes counts
    // them and looks for a separator: an ASCII one, `·` (C2 B7) or the ideographic space
    // (E3 80 80), the only others `is_separator` knows.
    let hb = head.as_bytes();
    let mut n = 0;
    let mut has_sep = false;
    for (i, &b) in hb.iter().enumerate() {
        n += usize::from((b & 0xC0) != 0x80);
        if SEP_LEAD[usize::from(b)] {
            has_sep |= ASCII_SEP[usize::from(b)]
                || (b == 0xC2 && hb.get(i + 1) == Some(&0xB7))
                || (b == 0xE3 && hb.get(i + 1) == Some(&0x80) && hb.get(i + 2) == Some(&0x80));
        }
    }
    if !has_sep {
        let (first, last) = kept(m, n);
        let masked = n.saturating_sub(first + last);
        // The byte offset `k` characters after byte offset `from` (a character boundary).
        let at = |from: usize, k: usize| {
            let mut seen = 0;
            for (i, &b) in hb[from..].iter().enumerate() {
                if (b & 0xC0) != 0x80 {
                    if seen == k {
                        return from + i;
                    }
                    seen += 1;
                }
            }
            hb.len()
        };
        let b1 = at(0, first.min(n));
        let b2 = at(b1, masked);
        out.reserve(value.len() + masked * 3);
        out.push_str(&head[..b1]);
        push_mask(out, m.mask_char, masked);
        out.push_str(&head[b2..]);
        out.push_str(tail);
        return;
    }
    let n = head.chars().filter(|c| !is_separator(*c)).count();
    let (first, last) = kept(m, n);
    out.reserve(value.len());
    let mut k = 0;
    for c in head.chars() {
        if is_separator(c) {
            out.push(c);
        } else {
            out.push(if k >= first && k + last < n {
                m.mask_char
            } else {
                c
            });
            k += 1;
        }
    }
    out.push_str(tail);
}

fn mask_chars(chars: &[char], m: &MaskSpec) -> Vec<Option<char>> {
    let keep_from = m
        .keep_from
        .and_then(|k| chars.iter().skip(1).position(|&c| c == k))
        .map_or(chars.len(), |p| p + 1);
    let significant: Vec<usize> = (0..keep_from)
        .filter(|&i| !is_separator(chars[i]))
        .collect();
    let n = significant.len();
    let (first, last) = kept(m, n);
    let mut out = vec![None; chars.len()];
    for (k, &i) in significant.iter().enumerate() {
        if k >= first && k + last < n {
            out[i] = Some(m.mask_char);
        }
    }
    out
}

fn token_chars(chars: &[char], class: &str, key: &[u8]) -> Vec<Option<char>> {
    let value: String = chars.iter().filter(|c| !is_separator(**c)).collect();
    let mut stream = Vec::with_capacity(64);
    let mut counter = 0u32;
    while stream.len() < chars.len() * 2 {
        stream.extend_from_slice(&keyed_digest(
            key,
            &format!("token{counter}"),
            class,
            &value,
        ));
        counter += 1;
    }
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let r = u16::from_le_bytes([stream[2 * i], stream[2 * i + 1]]);
            if is_separator(c) {
                None
            } else if c.is_ascii_digit() {
                Some((b'0' + (r % 10) as u8) as char)
            } else if c.is_ascii_uppercase() {
                Some((b'A' + (r % 26) as u8) as char)
            } else if c.is_ascii_lowercase() {
                Some((b'a' + (r % 26) as u8) as char)
            } else if ('\u{4e00}'..='\u{9fa5}').contains(&c) {
                char::from_u32(0x4e00 + u32::from(r) % 0x51a6)
            } else {
                Some(c)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_hashes_the_value_without_separators_under_the_class_key() {
        use std::hash::Hasher;
        let key = b"0123456789abcdef";
        let long_class = "c".repeat(150);
        let long_value = "1a".repeat(150);
        for (class, value) in [
            ("id.cn_resident", "110105 19491231 002X"),
            ("id.cn_resident", "11010519491231002x"),
            ("id.cn_resident", "11010519491231002X"),
            ("mobile", "138-0013-8000"),
            ("mobile", "13800138000"),
            (long_class.as_str(), long_value.as_str()),
            ("c", "1".repeat(128).as_str()),
            ("c", "a".repeat(129).as_str()),
            ("", ""),
        ] {
            // The reference: SipHash-1-3 under the first 16 bytes of the class's HMAC key,
            // streamed over the kept characters, upper-cased.
            let digest = keyed_digest(key, "fingerprint-key", class, "");
            let mut k = [0u8; 16];
            k.copy_from_slice(&digest[..16]);
            let mut h = siphasher::sip::SipHasher13::new_with_key(&k);
            let kept: Vec<u8> = value
                .bytes()
                .filter(|b| !b" -._/()+\r\n".contains(b))
                .map(|b| b.to_ascii_uppercase())
                .collect();
            h.write(&kept);
            let fp = ClassFp::new(key, class);
            assert_eq!(
                fingerprint(&fp, value.as_bytes()),
                h.finish(),
                "{class} {value}"
            );
        }
        let id = ClassFp::new(key, "id");
        // One ID, its check character in either case, grouped or wrapped over a line.
        assert_eq!(
            fingerprint(&id, b"11010519491231002x"),
            fingerprint(&id, b"110105-19491231-002X")
        );
        assert_eq!(
            fingerprint(&id, b"110105\r\n19491231002X"),
            fingerprint(&id, b"11010519491231002X")
        );
        // Two classes' fingerprints of one value differ.
        assert_ne!(
            fingerprint(&id, b"11010519491231002X"),
            fingerprint(&ClassFp::new(key, "uscc"), b"11010519491231002X")
        );
        // A 15-digit resident ID and its 18-digit form are one person, written plainly or
        // grouped.
        let resident = ClassFp::new(key, "resident_id");
        assert!(crate::validate::gb11643(b"11010519491231002X"));
        let eighteen = fingerprint(&resident, b"11010519491231002X");
        assert_eq!(fingerprint(&resident, b"110105491231002"), eighteen);
        assert_eq!(fingerprint(&resident, b"110105 491231 002"), eighteen);
        // (Under another class a 15-digit number is only itself.)
        assert_ne!(
            fingerprint(&id, b"110105491231002"),
            fingerprint(&id, b"11010519491231002X")
        );
        let c = ClassFp::new(key, "c");
        assert_eq!(
            fingerprint(&c, "A".repeat(300).as_bytes()),
            fingerprint(&c, "a".repeat(300).as_bytes())
        );
    }

    fn mask(first: usize, last: usize) -> Transform {
        Transform::Mask(MaskSpec {
            keep_first: first,
            keep_last: last,
            ..MaskSpec::default()
        })
    }

    #[test]
    fn masks_keep_shape() {
        assert_eq!(
            mask(6, 4).apply_to_str("11010519491231002X"),
            "110105********002X"
        );
        assert_eq!(mask(3, 4).apply_to_str("13800138000"), "138****8000");
        assert_eq!(
            mask(4, 4).apply_to_str("6222 0212 3456 7890"),
            "6222 **** **** 7890"
        );
        assert_eq!(mask(3, 4).apply_to_str("138-0013-8000"), "138-****-8000");
    }

    #[test]
    fn short_values_are_never_shown_whole() {
        assert_eq!(mask(1, 0).apply_to_str("张三"), "张*");
        assert_eq!(mask(6, 4).apply_to_str("1234"), "1**4");
    }

    #[test]
    fn byte_mask_matches_char_mask() {
        let specs = [(0, 0), (1, 0), (3, 4), (6, 4), (1, 1), (10, 10)];
        let values = [
            "",
            "张三",
            "欧阳娜娜",
            "北京市东城区和平街329号25栋3单元663室",
            "北京市东城区 滨江大道302号",
            "6222 0212·3456\u{3000}7890",
            "欧阳·娜娜",
            "张\u{3000}三丰",
            "\u{3000}",
            "中\u{3001}国",
            "é·ü",
            "a@b.cn",
            "ＡＢＣ１２３",
            "x",
            "13800138000",
            "11010519491231002X",
            "6222021234567890123456789012345678901234567890123456789012345678901234567890",
            "12",
            "zhangsan@example.cn",
            "138-0013-8000",
        ];
        for (f, l) in specs {
            for (kf, mc) in [None, Some('@')]
                .into_iter()
                .flat_map(|k| [(k, '#'), (k, '＊'), (k, '*')])
            {
                let m = MaskSpec {
                    keep_first: f,
                    keep_last: l,
                    mask_char: mc,
                    keep_from: kf,
                };
                for v in values {
                    let chars: Vec<char> = v.chars().collect();
                    let by_chars: String = mask_chars(&chars, &m)
                        .iter()
                        .zip(&chars)
                        .map(|(r, c)| r.unwrap_or(*c))
                        .collect();
                    assert_eq!(mask_str(v, &m), by_chars, "{v:?} {f} {l} {kf:?}");
                }
            }
        }
    }

    #[test]
    fn separator_table_matches_is_separator() {
        for b in 0u8..128 {
            assert_eq!(
                ASCII_SEP[usize::from(b)],
                is_separator(char::from(b)),
                "{b}"
            );
        }
    }

    #[test]
    fn email_keeps_domain() {
        let t = Transform::Mask(MaskSpec {
            keep_first: 1,
            keep_from: Some('@'),
            ..MaskSpec::default()
        });
        assert_eq!(t.apply_to_str("zhangsan@example.cn"), "z*******@example.cn");
        // The kept part starts after the first character: a value that opens with the
        // character would otherwise be kept whole.
        let t = Transform::Mask(MaskSpec {
            keep_from: Some('S'),
            ..MaskSpec::default()
        });
        assert_eq!(t.apply_to_str("SC-12345678"), "**-********");
        let chars: Vec<char> = "SC-12345678".chars().collect();
        let m = MaskSpec {
            keep_from: Some('S'),
            ..MaskSpec::default()
        };
        assert!(mask_chars(&chars, &m)[..2].iter().all(Option::is_some));
    }

    #[test]
    fn tokens_are_deterministic_and_keep_shape() {
        let chars: Vec<char> = "11010519491231002X".chars().collect();
        let a = token_chars(&chars, "resident_id", b"k1");
        let b = token_chars(&chars, "resident_id", b"k1");
        let c = token_chars(&chars, "resident_id", b"k2");
        assert_eq!(a, b);
        assert_ne!(a, c);
        let s: String = a.iter().map(|c| c.unwrap_or('?')).collect();
        assert!(s[..17].bytes().all(|b| b.is_ascii_digit()));
        assert!(s.as_bytes()[17].is_ascii_uppercase());
    }
}
