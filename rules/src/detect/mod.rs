//! Detection over one window of normalized text. Two stages, as in every fast multi-pattern
//! scanner: a cheap pass finds candidates (digit runs and their separated groups, `@`, `:`,
//! one Aho-Corasick pass for keywords and regex anchors, field names looked up once per
//! segment), then only the candidates are confirmed (validators, anchored regexes, context).
//! The identifiers in our domain are mostly digit runs of known lengths with check
//! characters, so the first stage skips almost every byte with a vectorizable digit search
//! instead of running a general regex engine over the body.

pub(crate) mod doc_type;
pub(crate) mod field;
mod ident;
mod table;

use aho_corasick::AhoCorasick;
use regex::bytes::{Regex, RegexSet};
use std::collections::HashMap;

use crate::stream::Confidence;

pub(crate) use ident::{plate_after_province, Det};

/// A confirmed detection in window text coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    pub rule: u32,
    pub start: usize,
    pub end: usize,
    pub confidence: Confidence,
}

/// Per-segment context handed to detection.
pub(crate) struct SegCtx<'a> {
    /// Rules whose context keys match this segment's key (`NEG` bit set: a negative key).
    pub key_rules: &'a [u32],
    /// Normalized text of the values just before this one.
    pub before: &'a [u8],
    /// The window holds the whole value (field rules only judge whole values).
    pub whole: bool,
    /// The window is a later one of its value (its first line was cut; text tables carry
    /// their header lines from the window before, `Scratch::table_carry`).
    pub continues: bool,
    /// Where the next window of the value will start, when one will.
    pub next_from: Option<usize>,
    /// Offsets of the spaces in the text that were ideographic spaces (ascending).
    pub wide_spaces: &'a [u32],
    /// The key names anything (`name`): see `KeyInfo::generic`.
    pub generic_key: bool,
    /// Rules whose `veto_keys` name this segment's key (see `KeyInfo::vetoes`).
    pub vetoes: &'a [u32],
    /// The value is a JSON number token (`1.15912345678`), never a list's text.
    pub number: bool,
}

pub(crate) const NEG: u32 = 1 << 31;
/// A pair's rule entry that is a veto, not context: the rule's `veto_keys` name the pair's
/// key (see `Detectors::pair_vetoes`). No rule index has it, so a lookup of a pair's rules
/// by index (`self.rules.get`) or by a rule's own number never takes it for one.
pub(crate) const VETO: u32 = 1 << 30;

/// Trigger bits: which kinds of candidate a text can hold at all, from one table pass.
pub(crate) const TRIG_DIGIT: u8 = 1;
pub(crate) const TRIG_AT: u8 = 2;
pub(crate) const TRIG_COLON: u8 = 4;
pub(crate) const TRIG_GATE: u8 = 8;
/// A `%`: the value may be URL-encoded (the segmenter decodes whole values; no matcher starts
/// on it).
pub(crate) const TRIG_PERCENT: u8 = 16;
/// The rarest byte of a field detector's label (`联系人`, `住址`), behind its own pair gate:
/// labels written without a colon (`经办人孙桂香，`) are found by their own automaton.
pub(crate) const TRIG_LABEL: u8 = 32;
/// A byte that can end a name in a list or sentence (`,` `(` space `;` `/` `|`, after
/// normalization of their full-width forms, and the lead byte of `、`). A label without a
/// colon needs one or a digit after its value, so a text with neither (most Chinese field
/// values: names, places, organizations) skips the label search.
pub(crate) const TRIG_DELIM: u8 = 64;
/// The ASCII bytes `TRIG_DELIM` stands for: where a name after a label without a colon may
/// end (`经办人孙桂香，`; the full-width forms fold to these).
pub(crate) const NAME_ENDS: &[u8] = b",( ;/|";
/// An `=` or a line break: the text may hold `key=value` pairs (log lines,
/// `Person(xm=张三, sfzh=…)`) whose keys are field names the rules know, or the rows of a
/// table written as text (`table`).
pub(crate) const TRIG_PAIR: u8 = 128;

/// A `key=value` pair in text: the value's byte range and the range of its key's rules in
/// `Scratch::pair_rules`. A value is at most [`PAIR_MAX`] bytes long.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pair {
    pub start: usize,
    pub end: usize,
    rules: (usize, usize),
    /// The key names anything (`name: 银杏` in a YAML or properties text), as
    /// [`SegCtx::generic_key`] says of a field's.
    generic: bool,
}

/// The longest value of a [`Pair`]: with pairs sorted by start, the pairs that may hold a
/// candidate are the few that start at most this far before it (a text table gives a pair
/// per cell, thousands per window, and every candidate asks).
pub(crate) const PAIR_MAX: usize = 256;

/// The longest note in brackets read as part of a label in text (`(万元)`, `(必填)`,
/// `(bytes)`): eight Han characters.
const LABEL_NOTE_MAX: usize = 24;

/// Whether `t[at..]` opens with one Han character (three bytes in UTF-8).
fn han_at(t: &[u8], at: usize) -> bool {
    t.get(at..at + 3)
        .and_then(|c| std::str::from_utf8(c).ok())
        .and_then(|c| c.chars().next())
        .is_some_and(field::is_cjk)
}

/// Where a label spaced out as an OCR'd form or a typeset document prints it starts
/// (`护 照 号`, `身 份 证 号 码`; an ideographic space is a space by then), when the Han
/// character at `s` is its last: back over Han characters each standing alone between
/// single spaces. `s` itself when the character before it is not one, so a word after a
/// space in prose (`请提供 护照号`) stays the label it was: only characters that are words
/// of one character each are joined, which running text almost never has. Asked only where
/// a label was read anyway, at a colon or a gap, so ordinary text pays nothing.
/// ([`norm_key`] drops the spaces when the label is looked up.)
pub(crate) fn spaced_label_start(t: &[u8], mut s: usize) -> usize {
    let alone = |at: usize| at == 0 || !(t[at - 1] >= 0x80 || t[at - 1].is_ascii_alphanumeric());
    if !alone(s) || !han_at(t, s) {
        return s;
    }
    // (At most sixteen characters, so the label stays within what a window's margin keeps
    // before its colon; a longer run of spaced characters is no label.)
    let last = s;
    while s >= 4 && t[s - 1] == b' ' && han_at(t, s - 4) && alone(s - 4) {
        if last - s >= 60 {
            return last;
        }
        s -= 4;
    }
    s
}

/// Whether a sentence ends or pauses at `p`, which ends a `key=value` pair's value as a comma
/// does: `。`, `、`, `！`, `？`, a curly quote, or a full stop before a space (`name：施荣。`,
/// `xm: 李成. 下一条`). None of these is part of an identifier, a name or an address; a dot
/// inside a value (an e-mail's, an address's, a decimal's) has no space after it. (A list
/// of names, `xm=张三、李四`, gives its first.)
fn sentence_mark(t: &[u8], p: usize) -> bool {
    match t[p] {
        b'.' => matches!(t.get(p + 1), Some(b' ' | b'\t')),
        0xE3 => t.get(p + 1) == Some(&0x80) && matches!(t.get(p + 2), Some(0x81 | 0x82)),
        0xEF => t.get(p + 1) == Some(&0xBC) && matches!(t.get(p + 2), Some(0x81 | 0x9F)),
        0xE2 => t.get(p + 1) == Some(&0x80) && matches!(t.get(p + 2), Some(0x98..=0x9D)),
        _ => false,
    }
}

/// Whether a `key=value` pair's value ends at `p` (see `Detectors::key_value_pairs`): at a
/// delimiter, a quote, a bracket, a line's end, the next pair's separator or a sentence's
/// mark.
fn pair_value_end(text: &[u8], p: usize, colon: bool) -> bool {
    (colon && text[p] == b':')
        || matches!(
            text[p],
            b',' | b';'
                | b'|'
                | b')'
                | b'&'
                | b'"'
                | b'\''
                | b'<'
                | b'>'
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'='
                | b'\n'
                | b'\r'
                | b'\t'
                | b'!'
                | b'?'
        )
        || sentence_mark(text, p)
}

/// The pairs of `pairs` (sorted by start) that may contain a candidate starting at `start`.
fn pairs_near(pairs: &[Pair], start: usize) -> &[Pair] {
    let lo = pairs.partition_point(|p| p.start + PAIR_MAX < start);
    let hi = pairs.partition_point(|p| p.start <= start);
    &pairs[lo..hi.max(lo)]
}

/// Where the lines of a YAML block scalar start, when the value after a key's colon at `vs`
/// is one (`|` or `>`, a chomping or indentation indicator, maybe a comment, then the line's
/// end) and the key at `key_at` opens its line (after indentation and sequence dashes); with
/// the key's column, which the scalar's lines are indented past. The text's start is a
/// line's start only when the text is not a window continuing an earlier one (`continued`),
/// where the line may have begun before it.
fn block_scalar_body(
    text: &[u8],
    key_at: usize,
    vs: usize,
    continued: bool,
) -> Option<(usize, usize)> {
    if !matches!(text.get(vs), Some(b'|' | b'>')) {
        return None;
    }
    // Back over the indentation only (a line of many `a:|` costs no search to its start).
    let mut line_start = key_at;
    while line_start > 0 && matches!(text[line_start - 1], b' ' | b'-') {
        line_start -= 1;
    }
    if (line_start == 0 && continued) || (line_start > 0 && text[line_start - 1] != b'\n') {
        return None;
    }
    let mut j = vs + 1;
    while j < text.len() && j < vs + 3 && matches!(text[j], b'+' | b'-' | b'1'..=b'9') {
        j += 1;
    }
    while j < text.len() && matches!(text[j], b' ' | b'\t') {
        j += 1;
    }
    if text.get(j) == Some(&b'#') && matches!(text[j - 1], b' ' | b'\t') {
        j += memchr::memchr(b'\n', &text[j..])?;
    }
    if text.get(j) == Some(&b'\r') {
        j += 1;
    }
    (text.get(j) == Some(&b'\n')).then_some((j + 1, key_at - line_start))
}

/// How far after its key a block scalar's lines are read: a value must lie within the stream
/// margin of the key that names it (at least 1 KiB; see `engine::compile`), or a window that
/// commits a line far down would no longer hold the key, and the finding would depend on
/// where the body was cut.
const BLOCK_SCALAR_SPAN: usize = 768;

/// The end of `text[..end]` moved back to a character boundary (a value cut at a length
/// bound must not end inside a UTF-8 character, which the field rules would refuse whole).
fn char_floor(text: &[u8], mut end: usize) -> usize {
    while end > 0 && end < text.len() && (0x80..0xC0).contains(&text[end]) {
        end -= 1;
    }
    end
}

/// Pushes a pair for each non-blank line of the block scalar whose lines start at `body`,
/// up to the first line indented no further than the key (`key_col`), within
/// [`BLOCK_SCALAR_SPAN`] bytes of the key at `key_at`; each value at most [`PAIR_MAX`] bytes.
fn block_scalar_lines(
    text: &[u8],
    key_at: usize,
    body: usize,
    key_col: usize,
    rules: (usize, usize),
    generic: bool,
    pairs: &mut Vec<Pair>,
) {
    let limit = text.len().min(key_at + BLOCK_SCALAR_SPAN);
    let mut pos = body;
    while pos < limit {
        let line_end = memchr::memchr(b'\n', &text[pos..limit]).map_or(limit, |p| pos + p);
        let line = &text[pos..line_end];
        let indent = line.iter().take_while(|&&b| b == b' ').count();
        let mut end = line.len();
        while end > indent && matches!(line[end - 1], b' ' | b'\t' | b'\r') {
            end -= 1;
        }
        if end > indent {
            if indent <= key_col {
                break;
            }
            pairs.push(Pair {
                start: pos + indent,
                end: char_floor(text, pos + end.min(indent + PAIR_MAX)),
                rules,
                generic,
            });
        }
        pos = line_end + 1;
    }
}

/// Whether a whole value is one MyBatis log line (see [`table::log_line`]).
pub(crate) fn mybatis_line(line: &[u8]) -> bool {
    table::log_line(line)
}

/// Validators a `pattern` rule may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Validator {
    Gb11643,
    ResidentId15,
    Gb32100,
    Luhn,
    BankCard,
    MobileCn,
    Ipv4,
}

impl Validator {
    pub(crate) fn from_name(n: &str) -> Option<Validator> {
        Some(match n {
            "gb11643" => Validator::Gb11643,
            "resident_id_15" => Validator::ResidentId15,
            "gb32100" => Validator::Gb32100,
            "luhn" => Validator::Luhn,
            "bank_card" => Validator::BankCard,
            "mobile_cn" => Validator::MobileCn,
            "ipv4" => Validator::Ipv4,
            _ => return None,
        })
    }

    pub(crate) const NAMES: &'static [&'static str] = &[
        "gb11643",
        "resident_id_15",
        "gb32100",
        "luhn",
        "bank_card",
        "mobile_cn",
        "ipv4",
    ];

    fn check(self, m: &[u8]) -> bool {
        use crate::validate as v;
        // Stack buffers: this runs per candidate on the hot path.
        let mut cbuf = [0u8; 64];
        let mut dbuf = [0u8; 64];
        let (mut nc, mut nd) = (0, 0);
        for &b in m {
            if b.is_ascii_alphanumeric() || b == b'.' {
                if nc == cbuf.len() {
                    return false;
                }
                cbuf[nc] = b;
                nc += 1;
                if b != b'.' {
                    dbuf[nd] = b.to_ascii_uppercase();
                    nd += 1;
                }
            }
        }
        let (compact, digits) = (&cbuf[..nc], &dbuf[..nd]);
        match self {
            Validator::Gb11643 => v::gb11643(digits),
            Validator::ResidentId15 => v::resident_id_15(digits),
            Validator::Gb32100 => v::gb32100(digits),
            Validator::Luhn => digits.iter().all(u8::is_ascii_digit) && v::luhn(digits),
            Validator::BankCard => digits.iter().all(u8::is_ascii_digit) && v::bank_card(digits),
            Validator::MobileCn => {
                let d = digits
                    .strip_prefix(b"86")
                    .filter(|d| d.len() == 11)
                    .unwrap_or(digits);
                v::mobile_cn(d)
            }
            Validator::Ipv4 => v::ipv4_of_someone(compact),
        }
    }
}

/// How a compiled rule matches.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Detector(Det),
    /// A `pattern` rule (its regex is in `Detectors::regexes`).
    Pattern,
    Keywords,
    Field,
}

/// Compiled context of a rule.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ctx {
    pub keywords: Vec<Vec<u8>>,
    pub negative_keywords: Vec<Vec<u8>>,
    /// Automata over `keywords` and `negative_keywords` for [`last_left_same_line`]: one
    /// pass over the window left of a candidate instead of a search per keyword.
    pub keywords_ac: Option<aho_corasick::AhoCorasick>,
    pub negative_ac: Option<aho_corasick::AhoCorasick>,
    /// Some keyword holds an ASCII letter: the search takes the automaton, which matches
    /// those in either case.
    pub keywords_ascii: bool,
    pub window_bytes: usize,
    pub require: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct CRule {
    pub kind: Kind,
    pub validator: Option<Validator>,
    pub ctx: Ctx,
    pub grade_rank: u8,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum AcTarget {
    Keyword(u32),
    Anchor(usize),
}

/// Field-name index: exact normalized names and `*` globs.
#[derive(Debug, Default)]
pub(crate) struct KeyIndex {
    exact: HashMap<Vec<u8>, Vec<u32>>,
    globs: Vec<(Glob, u32)>,
    /// Indices into `globs`: prefixes by their first byte (0-255), suffixes by their last
    /// (256-511), and every `contains` glob (512). A pair's key in text has no cache, and
    /// comparing it with all the globs (some 300) was most of the cost of a URL's query.
    glob_lists: Vec<Vec<u32>>,
    /// The last character of every name (exact or `*suffix`) that ends in one of three UTF-8
    /// bytes (a Han character), for [`KeyIndex::may_end_with`]; `han_any` once a prefix or
    /// contains glob holds such characters (a name may then end with anything).
    han_tails: std::collections::HashSet<[u8; 3]>,
    han_any: bool,
}

/// [`crate::dict::PERSON_ROLE_PREFIXES`] by first byte, each list in the dictionary's order
/// (the first role whose remainder a rule reads wins): a key is tried against the few that
/// can open it.
static ROLES_BY_FIRST_BYTE: std::sync::LazyLock<Vec<Vec<&'static str>>> =
    std::sync::LazyLock::new(|| {
        let mut v = vec![Vec::new(); 256];
        for role in crate::dict::PERSON_ROLE_PREFIXES {
            if let Some(&b) = role.as_bytes().first() {
                v[usize::from(b)].push(*role);
            }
        }
        v
    });

/// `KeyIndex::glob_lists`' list of `contains` globs.
const GLOB_CONTAINS: usize = 512;

#[derive(Debug)]
enum Glob {
    Prefix(Vec<u8>),
    Suffix(Vec<u8>),
    /// Built once: a searcher set up per lookup cost more than the search.
    Contains(Box<memchr::memmem::Finder<'static>>),
}

/// A field name without PHP/Rails-style brackets (`xm[]`, `sfzh[0]`, `person[xm]`: the field
/// is named in the brackets or before an index) and without a namespace prefix (`ns2:XM`).
fn strip_key_path(k: &[u8]) -> &[u8] {
    let mut k = k;
    while let Some(stripped) = k.strip_suffix(b"]") {
        match stripped.iter().rposition(|&b| b == b'[') {
            Some(p) => {
                let inner = &stripped[p + 1..];
                k = if inner.is_empty() || inner.iter().all(u8::is_ascii_digit) {
                    &stripped[..p]
                } else {
                    inner
                };
            }
            None => break,
        }
    }
    match k.iter().rposition(|&b| b == b':') {
        Some(p) if p + 1 < k.len() => &k[p + 1..],
        _ => k,
    }
}

/// Normalizes a field name for comparison: ASCII lowercase, `_ - . space` and line breaks
/// removed, after [`strip_key_path`].
pub(crate) fn norm_key(k: &[u8]) -> Vec<u8> {
    strip_key_path(k)
        .iter()
        .filter(|b| !matches!(b, b'_' | b'-' | b'.' | b' ' | b'\t' | b'\r' | b'\n'))
        .map(u8::to_ascii_lowercase)
        .collect()
}

/// Notes an export or a schema puts after a field's name, after `_` or `-`: the language
/// (`xm_cn`, `name_zh`) or the part of the value (`dz_detail`, `xm_value`).
const KEY_NOTES: &[&str] = &[
    "cn", "zh", "zhcn", "chs", "chn", "detail", "detailed", "full", "info", "str", "text", "txt",
    "val", "value", "raw", "orig", "original",
    // An older or a copied value of the same field (`sfzh_old`, `sjhmBak`, `dz_his`): a
    // person's former number is still theirs.
    "old", "new", "bak", "backup", "prev", "previous", "last", "latest", "his", "hist", "history",
    "jiu",
    // Pinyin initials of the person's own (`khmc_gr` 个人, beside `khmc_dw` 单位). (Not `zw`
    // or `xx`: in a schema `fzr_zw` is the person's 职务, `xx` a 学校 or a 信息 as often.)
    "gr",
];

/// Words a system puts before a field's name to say whose it is, with `_` after them
/// (`user_zjhm`, `cust_hjdz`), or in Han characters (`联系固定电话`, `家庭护照号码`).
const KEY_OWNERS: &[&str] = &[
    "user", "usr", "cust", "customer", "client", "member", "person",
    // Pinyin initials of a household's and a company's people (`fr_dz` 法人, `hz_lxdh` 户主,
    // `po_zjhm` 配偶), and an older value's mark before the name (`old_zz`).
    "fr", "hz", "po", "old", "new", "bak", "his",
];
pub(crate) const KEY_OWNERS_HAN: &[&str] = &["联系", "家庭", "本人", "个人", "用户", "客户"];

/// The parts of a key that may be a known field name under decoration, most specific
/// first: without a note after it ([`KEY_NOTES`], after `_`, `-` or as a capitalized word:
/// `xm_cn`, `姓名_cn`, `xmDetail`) or a version (`_v2`); then without an owner's word before
/// it (`user_`, `联系`) or Han characters before ASCII letters (`联系dz`). A generic name
/// (`name`, `nm`) is not taken from behind an English owner's word or other Han characters
/// (`shop_name` is a shop's, `商品name` a product's); behind a Han owner's word (`联系name`)
/// it is, and the key counts as generic itself ([`crate::engine::generic_name_key`]).
fn known_parts(key: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut k = strip_key_path(key).trim_ascii();
    // A version (`_v2`, `V2`).
    let digits = k.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    if digits > 0 && digits + 1 < k.len() && matches!(k[k.len() - digits - 1], b'v' | b'V') {
        let head = &k[..k.len() - digits - 1];
        k = head
            .strip_suffix(b"_")
            .or_else(|| head.strip_suffix(b"-"))
            .unwrap_or(head);
        out.push(k);
    }
    // A note after `_` or `-`, or as a capitalized word after a lower-case letter or a Han
    // character (`xmDetail`, `姓名Cn`).
    let sep = k.iter().rposition(|&b| b == b'_' || b == b'-');
    let camel = k
        .iter()
        .rposition(u8::is_ascii_uppercase)
        .filter(|&p| p > 0 && (k[p - 1].is_ascii_lowercase() || k[p - 1] >= 0x80));
    for (cut, from) in [sep.map(|p| (p, p + 1)), camel.map(|p| (p, p))]
        .into_iter()
        .flatten()
    {
        let note = &k[from..];
        if cut > 0
            && KEY_NOTES
                .iter()
                .any(|n| note.eq_ignore_ascii_case(n.as_bytes()))
        {
            k = &k[..cut];
            out.push(k);
            break;
        }
    }
    let generic = crate::engine::generic_name_key;
    if let Some(p) = k.iter().position(|&b| b == b'_' || b == b'-') {
        let tail = &k[p + 1..];
        if KEY_OWNERS
            .iter()
            .any(|o| k[..p].eq_ignore_ascii_case(o.as_bytes()))
            && tail.len() >= 2
            && !generic(tail)
        {
            out.push(tail);
        }
    } else if let Some(o) = KEY_OWNERS.iter().find(|o| {
        // Or as the first word in camel case (`hzDz`, `poLxdh`, `userSfzh`).
        k.len() >= o.len() + 2
            && k[..o.len()].eq_ignore_ascii_case(o.as_bytes())
            && k[o.len()].is_ascii_uppercase()
            && k[o.len() - 1].is_ascii_lowercase()
    }) {
        let tail = &k[o.len()..];
        if !generic(tail) {
            out.push(tail);
        }
    }
    for o in KEY_OWNERS_HAN {
        if let Some(tail) = k.strip_prefix(o.as_bytes()) {
            if tail.len() >= 6 || (tail.len() >= 2 && tail.is_ascii()) {
                out.push(tail);
            }
        }
    }
    // Han characters, then ASCII letters.
    let ascii = k
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    let head = &k[..k.len() - ascii];
    if ascii >= 2 && !head.is_empty() && head.iter().all(|&b| b >= 0x80) {
        let tail = &k[head.len()..];
        if !generic(tail) {
            out.push(tail);
        }
    }
    out.dedup();
    out
}

/// A key without what makes it a list's (`xmList`, `name_list`, `idcardArr`), or a plural
/// name's singular (`applicantNames`).
pub(crate) fn list_of(key: &[u8]) -> Option<&[u8]> {
    let k = strip_key_path(key).trim_ascii();
    let ends = |suffix: &[u8]| {
        k.len() > suffix.len() + 1 && k[k.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
    };
    for suffix in [&b"list"[..], b"arr", b"array"] {
        if ends(suffix) {
            let head = &k[..k.len() - suffix.len()];
            let head = head
                .strip_suffix(b"_")
                .or_else(|| head.strip_suffix(b"-"))
                .unwrap_or(head);
            return (head.len() >= 2).then_some(head);
        }
    }
    ends(b"names").then(|| &k[..k.len() - 1])
}

/// The last part of a dotted path (`persons[0].name`, `user.zz`: Spring and bean-property
/// binding, `a.b` property names), when there is one.
pub(crate) fn dotted_tail(k: &[u8]) -> Option<&[u8]> {
    let k = strip_key_path(k);
    let p = k.iter().rposition(|&b| b == b'.')?;
    let tail = &k[p + 1..];
    tail.iter()
        .any(|&b| b.is_ascii_alphabetic() || b >= 0x80)
        .then_some(tail)
}

/// A column or field name without the note a form or an export adds after it: `姓名（中文）`,
/// `身份证号码(必填)`, `姓名【必填】`, `"姓名\n(中文)"` (a header cell with a line break);
/// or without the punctuation a form's label carries: the colon after it (`姓名：`,
/// `家庭住址:`), a required-field star after it (`姓名*`, `姓名＊`), brackets around it
/// (`【姓名】`, `[住址]`). Form engines send such labels as keys and as `label` members.
pub(crate) fn without_annotation(k: &[u8]) -> Option<&[u8]> {
    let k = k.trim_ascii_end();
    for end in [&b":"[..], "：".as_bytes(), b"*", "＊".as_bytes()] {
        if let Some(head) = k.strip_suffix(end) {
            let head = head.trim_ascii();
            return (!head.is_empty()).then_some(head);
        }
    }
    for (o, c) in [
        ("【".as_bytes(), "】".as_bytes()),
        (&b"["[..], &b"]"[..]),
        ("［".as_bytes(), "］".as_bytes()),
        ("「".as_bytes(), "」".as_bytes()),
    ] {
        if let Some(inner) = k.strip_prefix(o).and_then(|r| r.strip_suffix(c)) {
            let inner = inner.trim_ascii();
            return (!inner.is_empty()).then_some(inner);
        }
    }
    let open = [
        (&b")"[..], &b"("[..]),
        ("）".as_bytes(), "（".as_bytes()),
        ("】".as_bytes(), "【".as_bytes()),
    ]
    .iter()
    .find_map(|&(c, o)| {
        let inner = k.strip_suffix(c)?;
        memchr::memmem::rfind(inner, o)
    })?;
    let head = k[..open].trim_ascii();
    (!head.is_empty()).then_some(head)
}

/// Removes from `out[mid..]` every rule `out[from..]` already holds before it, keeping the
/// first of each (one lookup's result names each rule once).
fn drop_repeats(out: &mut Vec<u32>, from: usize, mid: usize) {
    let mut i = mid;
    while i < out.len() {
        if out[from..i].contains(&out[i]) {
            out.remove(i);
        } else {
            i += 1;
        }
    }
}

/// Appends the rules of `v` that `out[from..]` (one lookup's result) does not hold yet.
fn add_new(v: &[u32], from: usize, out: &mut Vec<u32>) {
    for &r in v {
        if !out[from..].contains(&r) {
            out.push(r);
        }
    }
}

impl KeyIndex {
    pub(crate) fn add(&mut self, pattern: &str, rule: u32) {
        let starts = pattern.starts_with('*');
        let ends = pattern.ends_with('*') && pattern.len() > 1;
        let core = norm_key(pattern.trim_matches('*').as_bytes());
        if core.is_empty() {
            return;
        }
        if !core.is_ascii() {
            let tail = core
                .len()
                .checked_sub(3)
                .and_then(|at| <[u8; 3]>::try_from(&core[at..]).ok());
            match (ends, tail) {
                (false, Some(t)) if t[0] >= 0xE0 => {
                    self.han_tails.insert(t);
                }
                _ => self.han_any = true,
            }
        }
        let entry = match (starts, ends) {
            (false, false) => {
                self.exact.entry(core).or_default().push(rule);
                return;
            }
            (true, true) => {
                Glob::Contains(Box::new(memchr::memmem::Finder::new(&core).into_owned()))
            }
            (true, false) => Glob::Suffix(core),
            (false, true) => Glob::Prefix(core),
        };
        if self.glob_lists.is_empty() {
            self.glob_lists = vec![Vec::new(); GLOB_CONTAINS + 1];
        }
        let list = match &entry {
            Glob::Prefix(p) => usize::from(p[0]),
            Glob::Suffix(p) => 256 + usize::from(p[p.len() - 1]),
            Glob::Contains(_) => GLOB_CONTAINS,
        };
        self.glob_lists[list].push(self.globs.len() as u32);
        self.globs.push((entry, rule));
    }

    /// Whether a name ending with the Han character `tail` (its three UTF-8 bytes) may be one
    /// some rule lists: a cheap test before a lookup, for labels found in text.
    pub(crate) fn may_end_with(&self, tail: &[u8]) -> bool {
        self.han_any || <[u8; 3]>::try_from(tail).is_ok_and(|t| self.han_tails.contains(&t))
    }

    /// Whether `key` is a field name some rule lists as it is (not by a glob or a role).
    pub(crate) fn is_exact(&self, key: &[u8]) -> bool {
        self.exact.contains_key(&norm_key(key))
    }

    /// Whether `key` is, exactly (wildcards aside), a field name some rule listens to.
    pub(crate) fn names_a_rule(&self, key: &[u8]) -> bool {
        self.exact
            .get(&norm_key(key))
            .is_some_and(|v| v.iter().any(|&r| r & NEG == 0))
    }

    pub(crate) fn lookup(&self, key: &[u8], out: &mut Vec<u32>) {
        let k = norm_key(key);
        let from = out.len();
        let exact = self.exact.get(&k);
        if let Some(v) = exact {
            out.extend_from_slice(v);
        }
        // A glob may name a rule the exact key already gave (`xm` and `*xm`): each rule
        // once, or every value under the key is judged and reported twice.
        let mid = out.len();
        self.glob_rules(&k, out);
        drop_repeats(out, from, mid);
        // A glob may have matched (`*passportno` under `applicantPassportNo`) while the
        // exact name behind the role belongs to other rules too (the Chinese passport's).
        if exact.is_some() {
            return;
        }
        if let Some(head) = without_annotation(key) {
            let mid = out.len();
            self.lookup(head, out);
            drop_repeats(out, from, mid);
            return;
        }
        // The last part of a path is looked up as any key is (`list[0].密级`,
        // `x.cust_address_v2`: a role, a note or an owner's word in it as well).
        if let Some(tail) = dotted_tail(key) {
            let mid = out.len();
            self.lookup(tail, out);
            drop_repeats(out, from, mid);
            if out.len() > from {
                return;
            }
        }
        self.lookup_role(&k, from, out);
        if out.len() > from {
            return;
        }
        // A known name with a note on the language or the part (`xm_cn`, `姓名_cn`,
        // `dz_detail`), or after a word in Han characters (`联系dz`, `家庭dz`): the name's
        // own rules. Only exact names: a short tail by a glob or a role would name too much.
        if let Some(v) = known_parts(key)
            .into_iter()
            .find_map(|part| self.exact.get(&norm_key(part)))
        {
            add_new(v, from, out);
            return;
        }
        // A list of the field's values (`xmList`, `name_list`, `applicantNames`): the
        // field's own rules, each item judged as one value.
        if let Some(one) = list_of(key) {
            self.lookup(one, out);
        }
    }

    /// Appends the rules of the globs that match the normalized name `k`, in the order the
    /// globs were added.
    fn glob_rules(&self, k: &[u8], out: &mut Vec<u32>) {
        if let (Some(&first), Some(&last)) = (k.first(), k.last()) {
            // The globs that can match; their rules are pushed in the order the globs were
            // added, as when every glob was tried (the indices first, sorted, then mapped).
            let mid = out.len();
            let lists = [
                self.glob_lists.get(usize::from(first)),
                self.glob_lists.get(256 + usize::from(last)),
                self.glob_lists.get(GLOB_CONTAINS),
            ];
            for &i in lists.into_iter().flatten().flatten() {
                let hit = match &self.globs[i as usize].0 {
                    Glob::Prefix(p) => k.starts_with(p),
                    Glob::Suffix(p) => k.ends_with(p),
                    Glob::Contains(f) => f.find(k).is_some(),
                };
                if hit {
                    out.push(i);
                }
            }
            out[mid..].sort_unstable();
            for r in &mut out[mid..] {
                *r = self.globs[*r as usize].1;
            }
        }
    }

    /// A key that is no exact key may be one behind a person's role or before a
    /// number: `applicantIdCard`, `farenSfzh`, `jbr_jtzz`, `tenantName`, `申请人护照号码`,
    /// `tel2`, `applicantPassportNo2`. Schemas prefix roles freely, and a rule that needs
    /// context (a 15-digit ID, a passport, an address) would otherwise see none. The rest
    /// must be an exact key of some rule (negative keys included: `applicantOrderNo` is an
    /// order number) and at least two bytes; only roles that are people are stripped
    /// (`dict::PERSON_ROLE_PREFIXES`), so `companyName` never becomes `name`.
    fn lookup_role(&self, k: &[u8], from: usize, out: &mut Vec<u32>) {
        let add = |v: &[u32], out: &mut Vec<u32>| add_new(v, from, out);
        let digits = k.iter().rev().take_while(|b| b.is_ascii_digit()).count();
        let stem = &k[..k.len() - digits];
        if stem.len() < 2 {
            return;
        }
        // A numbered field (`xm2`, `frxm2`, `sqrxm1`: the second applicant's name) is read as
        // its name without the number is, by any of the ways above (a glob, a role).
        if digits > 0 {
            let mid = out.len();
            self.lookup(stem, out);
            drop_repeats(out, from, mid);
            if out.len() > from {
                return;
            }
        }
        // A remainder some rule reads wins over one that only vetoes: `emergencyContactNum`
        // is a contact's number (`contactnum`), not a count (`num`).
        let mut vetoes = None;
        for role in &ROLES_BY_FIRST_BYTE[usize::from(stem[0])] {
            let Some(rest) = stem.strip_prefix(role.as_bytes()) else {
                continue;
            };
            if rest.len() < 2 {
                continue;
            }
            if let Some(v) = self.exact.get(rest) {
                if !only_negative(v) {
                    add(v, out);
                    return;
                }
                vetoes.get_or_insert(v);
            }
        }
        if let Some(v) = vetoes {
            add(v, out);
        }
    }
}

/// Every label a value in text may run into (the field detectors' own and
/// [`crate::dict::COMMON_LABELS`]), listed by first and by last byte. A run of Han characters
/// in a remark is asked whether it ends with one of some 230 labels; compared with all of
/// them, that was the largest cost of a sentence (about 3,000 instructions), and only the
/// few that end with its last byte can.
#[derive(Debug, Default)]
pub(crate) struct KnownLabels {
    all: Vec<Box<[u8]>>,
    /// Indices into `all` by first byte, then (from 256) by last byte; the last list holds
    /// the empty label, if a rule has one (it starts and ends every text).
    lists: Vec<Vec<u32>>,
}

impl KnownLabels {
    const EMPTY: usize = 512;

    pub fn new<'a>(labels: impl Iterator<Item = &'a [u8]>) -> Self {
        let mut k = KnownLabels {
            all: Vec::new(),
            lists: vec![Vec::new(); Self::EMPTY + 1],
        };
        for l in labels {
            let i = k.all.len() as u32;
            match (l.first(), l.last()) {
                (Some(&f), Some(&b)) => {
                    k.lists[usize::from(f)].push(i);
                    k.lists[256 + usize::from(b)].push(i);
                }
                _ => k.lists[Self::EMPTY].push(i),
            }
            k.all.push(l.into());
        }
        k
    }

    fn list(&self, at: usize) -> impl Iterator<Item = &[u8]> {
        // (`get`: a default value, never built, has no lists and holds no label.)
        let list = |at: usize| self.lists.get(at).into_iter().flatten();
        list(at)
            .chain(list(Self::EMPTY))
            .map(|&i| &*self.all[i as usize])
    }

    /// The labels `t` may start with (all that `t.starts_with` can be true of).
    pub fn starting(&self, t: &[u8]) -> impl Iterator<Item = &[u8]> {
        self.list(t.first().map_or(Self::EMPTY, |&b| usize::from(b)))
    }

    /// The labels `t` may end with (all that `t.ends_with` can be true of).
    pub fn ending(&self, t: &[u8]) -> impl Iterator<Item = &[u8]> {
        self.list(t.last().map_or(Self::EMPTY, |&b| 256 + usize::from(b)))
    }

    /// Whether `t` is itself one of the labels.
    pub fn is_label(&self, t: &[u8]) -> bool {
        self.ending(t).any(|l| l == t)
    }
}

/// All compiled matchers of an engine. Built once, shared read-only by every stream.
#[derive(Debug, Default)]
pub(crate) struct Detectors {
    pub rules: Vec<CRule>,
    pub by_det: Vec<Vec<u32>>,
    pub keys: KeyIndex,
    /// Each rule's `veto_keys` (see `rule::ContextDef::veto_keys`).
    pub veto_keys: KeyIndex,
    pub ac: Option<AhoCorasick>,
    pub ac_targets: Vec<AcTarget>,
    pub ac_ci: Option<AhoCorasick>,
    pub ac_ci_targets: Vec<AcTarget>,
    /// (rule, regex) per pattern rule.
    pub regexes: Vec<(u32, Regex, regex_automata::meta::Regex)>,
    /// Pattern rules with no literal anchor, run together over every window.
    pub unanchored: Option<(RegexSet, Vec<usize>)>,
    /// Label keywords (`姓名`, `住址`…) of field-style rules, for `label: value` text.
    pub labels: Vec<(Vec<u8>, u32)>,
    /// Indices into `labels` by the label's last byte (256 lists).
    pub labels_by_last: Vec<Vec<usize>>,
    /// Every label a value in text may run into: `labels` and the common ones.
    pub known_labels: KnownLabels,
    /// The labels of the name, address and travel-document detectors, for labels written
    /// without a colon; kept apart from `ac` so the keyword automaton stays small, and gated
    /// by `TRIG_LABEL` and `label_gate`.
    pub ac_labels: Option<AhoCorasick>,
    pub ac_label_rules: Vec<u32>,
    /// Per label of `ac_labels`: a person's role or a case note's verb that a name follows,
    /// the only labels read in a text with no delimiter and no digit.
    pub ac_label_opens: Vec<bool>,
    pub label_gate: PairGate,
    /// The first two characters of the person-name labels (`患者`, `户主`, `经查`): a text
    /// with no delimiter and no digit is searched for labels only when it holds one of these
    /// pairs, since a name after a role word may end at the verb that follows it
    /// (`户主李秀英因病去世`, a remark with no punctuation) and need no delimiter.
    pub name_label_gate: CharPairGate,
    /// Rules judged on whole field values (field detectors and `field: true`).
    pub field_rules: Vec<u32>,
    /// Every rule's negative keywords in one automaton: whether a span of kept context may
    /// veto anything (`Segmenter::forget_negative_between`).
    pub any_negative: Option<AhoCorasick>,
    /// Detectors some rule uses.
    pub enabled: ident::Enabled,
    /// Trigger bits per byte value (`TRIG_*`).
    pub trigger: Trigger,
    /// The same widened for the lexers' short-value path (`QuickTable`).
    pub quick: QuickTable,
    /// Second-level gate for the automata: one bit per byte pair, set for each pattern's
    /// rarest pair (all case variants for case-insensitive ones). A text holding the anchor
    /// byte of some pattern but none of the anchor pairs cannot hold any pattern, which
    /// spares the automaton most Chinese values (a single anchor byte is one of 64
    /// continuation bytes; a pair inside one character is far rarer).
    pub pair_gate: PairGate,
    /// The shortest text in which a digit-started detector can find anything; a shorter
    /// value whose only trigger is a digit needs no detection.
    pub min_digit_len: usize,
}

/// Whether a field name's rules only veto (`seq`, `traceId`, `orderNo` are negative keys of
/// some rule): a negative key removes candidates but never makes one, so where the value
/// itself can hold nothing it changes nothing either, and the value is dismissed as if the
/// name were unknown.
#[inline]
pub(crate) fn only_negative(key_rules: &[u32]) -> bool {
    key_rules.iter().all(|r| r & NEG != 0)
}

/// A 65,536-bit set of byte pairs; `all` when some pattern is a single byte (no pair).
#[derive(Debug, Clone)]
pub(crate) struct PairGate {
    bits: Vec<u64>,
    pub all: bool,
}

impl Default for PairGate {
    fn default() -> Self {
        PairGate {
            bits: vec![0; 1024],
            all: false,
        }
    }
}

impl PairGate {
    fn ix(a: u8, b: u8) -> usize {
        (usize::from(a) << 8) | usize::from(b)
    }

    pub(crate) fn insert(&mut self, a: u8, b: u8) {
        let i = Self::ix(a, b);
        self.bits[i >> 6] |= 1 << (i & 63);
    }

    fn contains(&self, a: u8, b: u8) -> bool {
        let i = Self::ix(a, b);
        self.bits[i >> 6] & (1 << (i & 63)) != 0
    }

    /// Whether `text` holds any pair of the set.
    pub(crate) fn hit(&self, text: &[u8]) -> bool {
        if self.all {
            return true;
        }
        let Some((&first, rest)) = text.split_first() else {
            return false;
        };
        let mut prev = first;
        for &b in rest {
            if self.contains(prev, b) {
                return true;
            }
            prev = b;
        }
        false
    }
}

/// A set of pairs of adjacent characters (hashed into 2^16 bits): which texts may hold one of
/// a few hundred words, at a few instructions a character. Byte pairs say little in Han
/// text, whose characters share their lead bytes; pairs of whole characters are as rare as
/// the words themselves.
#[derive(Debug, Clone)]
pub(crate) struct CharPairGate {
    bits: Vec<u64>,
    any: bool,
}

impl Default for CharPairGate {
    fn default() -> Self {
        CharPairGate {
            bits: vec![0; 1 << 10],
            any: false,
        }
    }
}

impl CharPairGate {
    fn ix(a: u32, b: u32) -> usize {
        let h = (a.wrapping_mul(0x9E37_79B1) ^ b).wrapping_mul(0x85EB_CA6B);
        (h >> 16) as usize
    }

    fn test(&self, a: u32, b: u32) -> bool {
        let i = Self::ix(a, b);
        self.bits[i >> 6] & (1 << (i & 63)) != 0
    }

    /// Adds the first two characters of `word`. A word of one character, or one opening
    /// with a character `hit` does not read (of two or four bytes), makes every text a hit.
    pub(crate) fn insert(&mut self, word: &[u8]) {
        match (char_key(word), word.get(char_len(word)..).map(char_key)) {
            (Some(a), Some(Some(b))) => {
                let i = Self::ix(a, b);
                self.bits[i >> 6] |= 1 << (i & 63);
            }
            _ => self.any = true,
        }
    }

    /// Whether `text` holds two adjacent characters that open one of the words: ASCII and
    /// three-byte characters (all of Han), each as its bytes.
    pub(crate) fn hit(&self, text: &[u8]) -> bool {
        if self.any {
            return true;
        }
        let mut prev = None;
        let mut i = 0;
        while i < text.len() {
            let c = char_key(&text[i..]);
            if let (Some(a), Some(b)) = (prev, c) {
                if self.test(a, b) {
                    return true;
                }
            }
            prev = c;
            i += if c.is_some() { char_len(&text[i..]) } else { 1 };
        }
        false
    }
}

/// The first character of `w` as [`CharPairGate`] reads it (`None` for one it does not).
fn char_key(w: &[u8]) -> Option<u32> {
    match *w {
        [b @ 0xE0..=0xEF, x, y, ..] => Some(u32::from_be_bytes([0, b, x, y])),
        [b @ 0x01..=0x7F, ..] => Some(u32::from(b)),
        _ => None,
    }
}

/// The byte length of the first character of `w` as [`char_key`] reads it.
fn char_len(w: &[u8]) -> usize {
    match w.first() {
        Some(0xE0..=0xEF) => 3,
        _ => 1,
    }
}

/// The pair of adjacent bytes of a pattern least likely to occur in text (see
/// [`anchor_byte`]); `None` for a one-byte pattern.
pub(crate) fn anchor_pair(p: &[u8]) -> Option<(u8, u8)> {
    p.windows(2)
        .min_by_key(|w| byte_score(w[0]) + byte_score(w[1]))
        .map(|w| (w[0], w[1]))
}

/// Trigger bits per byte value.
#[derive(Debug, Clone)]
pub(crate) struct Trigger(pub [u8; 256]);

impl Default for Trigger {
    fn default() -> Self {
        Trigger([0; 256])
    }
}

/// The trigger bits widened with what the lexers' short-value path must also know, so one
/// table pass over a JSON string finds its end and everything `Segmenter::quick` asks:
/// the trigger bits (low byte), `Q_NORM` (a byte that may start a character normalization
/// changes) and `Q_STOP` (`"` or `\`, where a JSON string's plain run ends).
#[derive(Debug, Clone)]
pub(crate) struct QuickTable(pub [u32; 256]);

impl Default for QuickTable {
    fn default() -> Self {
        QuickTable([0; 256])
    }
}

pub(crate) const Q_NORM: u32 = 1 << 8;
pub(crate) const Q_STOP: u32 = 1 << 9;
/// Any byte but an ASCII digit: a value whose classes lack it is a bare digit run.
pub(crate) const Q_NONDIGIT: u32 = 1 << 10;
/// A JSON structural byte (`{}[],:"`), where a bare value (a number, a literal) ends.
pub(crate) const Q_JSON_END: u32 = 1 << 11;
/// A line feed: a value holding one may be a table of its own (a CSV file in a string).
pub(crate) const Q_LINE: u32 = 1 << 12;
/// A delimiter a record row may be written with (`,`, a tab, `|`).
pub(crate) const Q_DELIM: u32 = 1 << 13;
/// `&`, which may start a character reference (`&#49;`) in a value outside markup.
pub(crate) const Q_AMP: u32 = 1 << 14;
/// `<`, which may start a formatting tag inside a value (`138<em>0013</em>8000`).
pub(crate) const Q_LT: u32 = 1 << 15;
/// A byte no base64 value holds (outside both alphabets, `=` and ASCII white space): a value
/// with one cannot be base64 as a whole (`base64_value` stops at it).
pub(crate) const Q_NOT_B64: u32 = 1 << 16;
/// A base64 character that is no hex digit (`g-z`, `G-Z`, `+/-_=`): a base64 token holds one,
/// since a run of hex digits is a number or a digest, not base64 (`base64_alphabet`).
pub(crate) const Q_B64_NOT_HEX: u32 = 1 << 17;
/// The byte the segmenter marks field names with in the kept context
/// (`stream::KEY_MARK`): a value holding it has it remembered as a space.
pub(crate) const Q_MARK: u32 = 1 << 18;

impl QuickTable {
    pub(crate) fn new(trigger: &Trigger) -> Self {
        let mut t = [0u32; 256];
        for (b, q) in t.iter_mut().enumerate() {
            *q = u32::from(trigger.0[b]);
            if crate::normalize::may_need_norm(b as u8) {
                *q |= Q_NORM;
            }
        }
        t[usize::from(b'"')] |= Q_STOP;
        t[usize::from(b'\\')] |= Q_STOP;
        for (b, q) in t.iter_mut().enumerate() {
            if !(b as u8).is_ascii_digit() {
                *q |= Q_NONDIGIT;
            }
        }
        for b in *b"{}[],:\"" {
            t[usize::from(b)] |= Q_JSON_END;
        }
        t[usize::from(b'\n')] |= Q_LINE;
        for b in *b",\t|" {
            t[usize::from(b)] |= Q_DELIM;
        }
        t[usize::from(b'&')] |= Q_AMP;
        t[usize::from(crate::stream::KEY_MARK)] |= Q_MARK;
        t[usize::from(b'<')] |= Q_LT;
        for (b, q) in t.iter_mut().enumerate() {
            let b = b as u8;
            let b64 = b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_' | b'=');
            if !b64 && !b.is_ascii_whitespace() {
                *q |= Q_NOT_B64;
            }
            if b64 && !b.is_ascii_hexdigit() {
                *q |= Q_B64_NOT_HEX;
            }
        }
        QuickTable(t)
    }

    /// The union of the classes of the bytes of `s`.
    #[inline]
    pub(crate) fn classes(&self, s: &[u8]) -> u32 {
        s.iter().fold(0, |acc, &b| acc | self.0[usize::from(b)])
    }

    /// Position of the first `"` or `\` in `s`, and the union of the classes of the bytes
    /// before it (or of all of `s` when there is none).
    #[inline]
    pub(crate) fn scan(&self, s: &[u8]) -> (Option<usize>, u32) {
        self.scan_until(s, Q_STOP)
    }

    /// Position of the first byte of `s` with one of the `stop` classes, and the union of
    /// the classes of the bytes before it (or of all of `s` when there is none).
    #[inline]
    pub(crate) fn scan_until(&self, s: &[u8], stop: u32) -> (Option<usize>, u32) {
        let mut acc = 0u32;
        for (i, &b) in s.iter().enumerate() {
            let c = self.0[usize::from(b)];
            if c & stop != 0 {
                return (Some(i), acc);
            }
            acc |= c;
        }
        (None, acc)
    }
}

/// Per-stream scratch memory for detection.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    cands: Vec<Cand>,
    found: Vec<ident::Found>,
    confirmed: Vec<Hit>,
    anchored: Vec<(usize, usize)>,
    /// Field-detector labels found by the automaton: (start, end, rule).
    labels: Vec<(usize, usize, u32)>,
    /// `key=value` pairs of the text and the rules their keys give context to.
    pairs: Vec<Pair>,
    pair_rules: Vec<u32>,
    /// The header lines of the text tables open where the next window starts.
    table_carry: table::Carry,
    /// The text as text tables read it, when it held ideographic spaces (`table_text`).
    table_text: Vec<u8>,
    /// The MyBatis lines of the stream's earlier values (log events one line per value).
    log_carry: table::LogCarry,
}

impl Scratch {
    /// Clears every buffer for the next stream, as the stream's own buffers are
    /// (`stream::clear_for_reuse`: those grown past the pool's bound are dropped).
    pub(crate) fn recycle(&mut self) {
        use crate::stream::clear_for_reuse;
        clear_for_reuse(&mut self.cands);
        clear_for_reuse(&mut self.found);
        clear_for_reuse(&mut self.confirmed);
        clear_for_reuse(&mut self.anchored);
        clear_for_reuse(&mut self.labels);
        clear_for_reuse(&mut self.pairs);
        clear_for_reuse(&mut self.pair_rules);
        clear_for_reuse(&mut self.table_carry);
        clear_for_reuse(&mut self.table_text);
        self.log_carry.clear();
    }
}

/// The byte of a pattern least likely to occur in text, so a value without it cannot hold
/// the pattern. UTF-8 continuation bytes spread over 64 values and ASCII punctuation and
/// upper-case letters are rarer than lead bytes, lower-case letters, digits and spaces.
pub(crate) fn anchor_byte(p: &[u8], ci: bool) -> Option<u8> {
    let score = |b: u8| -> u32 {
        match b {
            b'A'..=b'Z' if ci => 4,
            _ => byte_score(b),
        }
    };
    p.iter()
        .copied()
        .min_by_key(|&b| score(b))
        .map(|b| if ci { b.to_ascii_lowercase() } else { b })
}

/// How common a byte is in text (lower is rarer).
fn byte_score(b: u8) -> u32 {
    match b {
        0x80..=0xBF => 1,
        b'A'..=b'Z' => 2,
        b'!'..=b'/' | b':'..=b'@' | b'['..=b'`' | b'{'..=b'~' => 2,
        0xC0..=0xFF => 6,
        b'0'..=b'9' => 5,
        b' ' => 9,
        _ => 4,
    }
}

#[derive(Debug, Clone, Copy)]
struct Cand {
    rule: u32,
    start: usize,
    end: usize,
    conf: Confidence,
    /// Only a field name vouches for it ([`ident::Found::key_only`]).
    key_only: bool,
}

impl Detectors {
    /// Whether rule `r` (without its negative bit) finds an identifier (a number or code
    /// the identifier scan finds), not a field's free text.
    pub(crate) fn names_identifier(&self, r: u32) -> bool {
        self.rules
            .get((r & !NEG) as usize)
            .is_some_and(|x| matches!(x.kind, Kind::Detector(_)))
    }

    /// Whether rule `r` (without its negative bit) finds a person's number: a resident ID,
    /// a mobile, a card, a passport or a permit (not a code or an address of a thing).
    pub(crate) fn names_person_number(&self, r: u32) -> bool {
        self.rules.get((r & !NEG) as usize).is_some_and(|x| {
            matches!(
                x.kind,
                Kind::Detector(
                    Det::ResidentId18
                        | Det::ResidentId15
                        | Det::Mobile
                        | Det::BankCard
                        | Det::Passport
                        | Det::HkMacauPermit
                        | Det::TravelDocument
                        | Det::TaiwanPermit
                )
            )
        })
    }

    /// Trigger bits of `text` (`TRIG_*`): one table pass, then the pair gate when an
    /// automaton anchor byte was seen.
    #[inline]
    pub(crate) fn flags(&self, text: &[u8]) -> u8 {
        let mut flags = 0u8;
        for &b in text {
            flags |= self.trigger.0[b as usize];
        }
        self.gate_flags(flags, text)
    }

    /// The second half of [`Self::flags`]: given the union of the trigger bits of `text`,
    /// drops the automaton bits whose pair gates say no pattern can be there.
    #[inline]
    pub(crate) fn gate_flags(&self, mut flags: u8, text: &[u8]) -> u8 {
        if flags & TRIG_GATE != 0 && !self.pair_gate.hit(text) {
            flags &= !TRIG_GATE;
        }
        // A label needs a delimiter or a digit after its value (where the value ends, or
        // the value itself), unless it is a person's role and the name runs into a verb.
        if flags & TRIG_LABEL != 0
            && !(if flags & (TRIG_DELIM | TRIG_DIGIT) == 0 {
                // (A role word and a name: four Han characters at least. A number in
                // Chinese numerals is digits after the label too.)
                (text.len() >= 12 && self.name_label_gate.hit(text))
                    || (text.len() >= ident::NUMERALS_MIN && ident::numerals_possible(text))
            } else {
                self.label_gate.hit(text)
            })
        {
            flags &= !TRIG_LABEL;
        }
        flags & !TRIG_DELIM
    }

    /// Whether no matcher can find anything in a text of `len` bytes with these trigger
    /// bits and field-name rules: an empty text (an empty value under a name's or an
    /// address's key holds no name), nothing to search for, or only digits in a text
    /// shorter than any digit-started identifier.
    #[inline]
    pub(crate) fn nothing_possible(&self, flags: u8, len: usize, key_rules: &[u32]) -> bool {
        len == 0
            || only_negative(key_rules) && self.unanchored.is_none() && {
                let flags = flags & !TRIG_PERCENT;
                flags == 0 || (flags == TRIG_DIGIT && len < self.min_digit_len)
            }
    }

    /// Whether a whole value that is a bare run of ASCII digits (`classes` lack
    /// [`Q_NONDIGIT`]), with no field-name rules but vetoes and no trigger but the digit, can hold
    /// nothing: the identifier scan is then the only matcher that runs, and it judges the
    /// run as one group, which no enabled detector takes at this length and prefix
    /// ([`ident::digit_run_possible`]). Timestamps, amounts and snowflake ids leave here.
    #[inline]
    pub(crate) fn digit_run_impossible(
        &self,
        flags: u8,
        classes: u32,
        text: &[u8],
        key_rules: &[u32],
    ) -> bool {
        flags == TRIG_DIGIT
            && classes & Q_NONDIGIT == 0
            && only_negative(key_rules)
            && self.unanchored.is_none()
            && !ident::digit_run_possible(text, self.enabled)
    }

    /// The `key=value` pairs of `text` whose key gives context to some rule: the key is the
    /// run of name characters before `=` (ASCII letters, digits, `_`, `-`, `.` or non-ASCII,
    /// at most 48 bytes), the value runs to the next `,` `;` `)` `&`, quote, bracket or line
    /// end (at most 256 bytes), without the spaces around it. An ASCII field name used as a
    /// label, `clientIp: 1.2.3.4` or `khxm：张三` (the colon folded), is such a pair too when
    /// it starts with a letter (not `10:30`, not the groups of an IPv6 address, which would
    /// name no field anyway).
    fn key_value_pairs(
        &self,
        text: &[u8],
        continued: bool,
        pairs: &mut Vec<Pair>,
        rules: &mut Vec<u32>,
    ) {
        let name_byte =
            |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.') || b >= 0x80;
        let mut unsorted = false;
        for eq in memchr::memchr2_iter(b'=', b':', text) {
            let colon = text[eq] == b':';
            // Where the key ends: at the separator, or before the spaces a properties file,
            // an INI or TOML export, a pretty printer or a report's aligned columns put there
            // (`xm = 张三`, `"xm" : "张三"`, `name      : 张三`).
            let mut kend = eq;
            while kend > 0 && eq - kend < 40 && matches!(text[kend - 1], b' ' | b'\t') {
                kend -= 1;
            }
            // `payload={"xm":"张伟",…}` in a log line: a quoted key is a key whatever its
            // script, when the quotes open after a brace, a comma, a space, a line's start or
            // the text's.
            let quoted_key = matches!(kend.checked_sub(1).map(|q| text[q]), Some(b'"' | b'\''));
            let (ks, ke) = match kend.checked_sub(1).map(|q| text[q]) {
                Some(q @ (b'"' | b'\'')) => {
                    let lo = (kend - 1).saturating_sub(48);
                    let Some(p) = memchr::memrchr(q, &text[lo..kend - 1]) else {
                        continue;
                    };
                    let (ks, ke) = (lo + p + 1, kend - 1);
                    let opens = ks == 1
                        || matches!(text[ks - 2], b'{' | b',' | b' ' | b'(' | b'\n' | b'\t');
                    if ks == ke || !opens || !text[ks..ke].iter().all(|&b| name_byte(b)) {
                        continue;
                    }
                    (ks, ke)
                }
                _ => {
                    // A sentence's `。` or `、` ends the text before a key as a space does
                    // (`合计65468.57元。driver_phone=137…`).
                    let stop = |p: usize| {
                        p >= 3
                            && text[p - 3] == 0xE3
                            && text[p - 2] == 0x80
                            && matches!(text[p - 1], 0x81 | 0x82)
                    };
                    // A unit or a note in brackets closing the label (`一般公共预算收入(元)：`,
                    // `已用磁盘（字节）：`, `手机(个人)：`; full-width brackets are folded) is
                    // part of the key, which the lookup reads with it (`*元)`) and without it
                    // (`without_annotation`), as it reads a JSON key or a CSV header. The `)`
                    // used to end the scan with no key, so such a label named nothing in text
                    // and its negative keys were never applied.
                    let mut head_end = kend;
                    if kend >= 4 && text[kend - 1] == b')' {
                        let lo = (kend - 1).saturating_sub(LABEL_NOTE_MAX);
                        if let Some(open) = memchr::memrchr(b'(', &text[lo..kend - 1]) {
                            let open = lo + open;
                            let note = &text[open + 1..kend - 1];
                            if !note.is_empty()
                                && note.iter().all(|&b| name_byte(b))
                                && open > 0
                                && name_byte(text[open - 1])
                                && !stop(open)
                            {
                                head_end = open;
                            } else if open >= 4
                                && text[open - 1] == b' '
                                && note.iter().all(|&b| name_byte(b) || b == b' ')
                                && note.iter().any(|&b| b != b' ')
                                && spaced_label_start(text, open - 4) < open - 4
                            {
                                // `证 件 号 码 ( 护 照 )：`: a spaced-out label, its note too.
                                head_end = open - 1;
                            }
                        }
                    }
                    let mut ks = head_end;
                    while ks > 0 && kend - ks < 48 && name_byte(text[ks - 1]) && !stop(ks) {
                        ks -= 1;
                    }
                    // A key cut at the length bound is the tail of a longer run, not a key.
                    if ks == head_end || (ks > 0 && name_byte(text[ks - 1]) && !stop(ks)) {
                        continue;
                    }
                    // `护 照 号：E7274…`, `身 份 证 号 码：…` (an OCR'd form, a typeset one):
                    // the label's characters stand apart; the one before the colon alone
                    // named nothing.
                    if head_end - ks == 3 {
                        ks = spaced_label_start(text, ks);
                    }
                    // After a colon an ASCII field name counts, and its value ends at the
                    // next colon too; so does a Chinese one (`密级: "秘密"`, a YAML or
                    // properties line), for rules other than field rules, whose Chinese labels
                    // have their own loop in `field::detect`. (The name before a note is
                    // asked, not the note: `收入(元)`, `size(KB)`.)
                    let head = &text[ks..head_end];
                    if colon
                        && (kend - ks < 2
                            || !(head[0].is_ascii_alphabetic() && head.is_ascii()
                                || head.iter().all(|&b| b >= 0x80 || b == b' ')))
                    {
                        continue;
                    }
                    (ks, kend)
                }
            };
            let mut vs = eq + 1;
            while vs < text.len() && text[vs] == b' ' {
                vs += 1;
            }
            // `jtzz: >-` and the address on the lines under it (a YAML block scalar, which an
            // exporter writes for any long or multi-line string): each of its lines is a value
            // under the key.
            // (Field rules stay: `field::detect` reads a Chinese label's value on its own line.)
            if colon {
                let key_at = if quoted_key { ks - 1 } else { ks };
                if let Some((body, key_col)) = block_scalar_body(text, key_at, vs, continued) {
                    let from = rules.len();
                    self.pair_rules(&text[ks..ke], false, from, rules);
                    if rules.len() > from {
                        let rules = (from, rules.len());
                        let generic = crate::engine::generic_name_key(&text[ks..ke]);
                        block_scalar_lines(text, key_at, body, key_col, rules, generic, pairs);
                        // A colon on those lines comes later and starts a pair before theirs.
                        unsorted = true;
                    }
                    continue;
                }
            }
            // `name='王建国'`, `xm="张三"` (Java `toString`, logs), `name=“张三”`: the value is
            // what the quotes hold, straight or curly.
            let quotes: Option<(usize, &[u8])> = match text.get(vs) {
                Some(b'\'') => Some((1, b"'")),
                Some(b'"') => Some((1, b"\"")),
                _ => [("“", "”"), ("‘", "’")]
                    .into_iter()
                    .find(|(o, _)| text[vs..].starts_with(o.as_bytes()))
                    .map(|(o, c)| (o.len(), c.as_bytes())),
            };
            if let Some((open, close)) = quotes {
                let from = vs + open;
                let limit = text.len().min(from + PAIR_MAX);
                if let Some(len) =
                    memchr::memmem::find(&text[from..limit], close).filter(|&l| l > 0)
                {
                    let rs = rules.len();
                    self.pair_rules(&text[ks..ke], colon && !quoted_key, rs, rules);
                    self.pair_vetoes(&text[ks..ke], &text[from..from + len], rules);
                    if rules.len() > rs {
                        pairs.push(Pair {
                            start: from,
                            end: from + len,
                            rules: (rs, rules.len()),
                            generic: crate::engine::generic_name_key(&text[ks..ke]),
                        });
                    }
                }
                continue;
            }
            let limit = text.len().min(vs + PAIR_MAX);
            let mut ve = vs;
            while ve < limit && !pair_value_end(text, ve, colon) {
                ve += 1;
            }
            // `姓名=张伟 sfzh=…`: a value that ran into the next pair ends at the last space
            // before that pair's key.
            // (`xm = 张伟 sfzh = …`: the spaces before that pair's separator are not it.)
            if ve < limit && (text[ve] == b'=' || (colon && text[ve] == b':')) {
                let mut next_key_end = ve;
                while next_key_end > vs && text[next_key_end - 1] == b' ' {
                    next_key_end -= 1;
                }
                if let Some(sp) = memchr::memrchr(b' ', &text[vs..next_key_end]) {
                    ve = vs + sp;
                }
            }
            while ve > vs && matches!(text[ve - 1], b' ' | b'.') {
                ve -= 1;
            }
            if ve == vs {
                continue;
            }
            let from = rules.len();
            self.pair_rules(&text[ks..ke], colon && !quoted_key, from, rules);
            self.pair_vetoes(&text[ks..ke], &text[vs..ve], rules);
            if rules.len() > from {
                pairs.push(Pair {
                    start: vs,
                    end: ve,
                    rules: (from, rules.len()),
                    generic: crate::engine::generic_name_key(&text[ks..ke]),
                });
            }
        }
        // A label and its value in aligned columns (`密级            机密`,
        // `xingming<TAB>杨冬梅`): the gap stands for the colon. Field rules under a Chinese
        // label are left to `field::detect`, which reads the same gaps.
        if memchr::memchr(b'\n', text).is_some() || memchr::memchr(b'\t', text).is_some() {
            for gap in field::aligned_label_gaps(self, text) {
                let ls = memchr::memrchr(b'\n', &text[..gap]).map_or(0, |n| n + 1);
                let mut ks = ls;
                while ks < gap && matches!(text[ks], b' ' | b'\t') {
                    ks += 1;
                }
                let mut vs = gap;
                while vs < text.len() && matches!(text[vs], b' ' | b'\t') {
                    vs += 1;
                }
                let line_end = memchr::memchr(b'\n', &text[vs..]).map_or(text.len(), |n| vs + n);
                let mut ve = line_end.min(vs + PAIR_MAX);
                while ve > vs && matches!(text[ve - 1], b' ' | b'\r') {
                    ve -= 1;
                }
                if ve == vs {
                    continue;
                }
                let from = rules.len();
                self.pair_rules(&text[ks..gap], true, from, rules);
                if rules.len() > from {
                    pairs.push(Pair {
                        start: vs,
                        end: ve,
                        rules: (from, rules.len()),
                        generic: crate::engine::generic_name_key(&text[ks..gap]),
                    });
                    unsorted = true;
                }
            }
        }
        if unsorted {
            pairs.sort_by_key(|p| p.start);
        }
    }

    /// The rules a pair's key names, appended to `rules` from `from`: an unquoted Chinese key
    /// before a colon (`bare_colon`) leaves out field rules (names, addresses), which
    /// `field::detect` reads from Chinese labels with its own care for where their values end.
    fn pair_rules(&self, key: &[u8], bare_colon: bool, from: usize, rules: &mut Vec<u32>) {
        self.keys.lookup(key, rules);
        // A label whose head names a rule keeps it whatever its note says (`手机号码(充值50
        // 元)：`, `mobile(seq)：`): a negative the note alone brings (`*元)`, `*seq*`) is
        // dropped. (Labels with a note are few: the second lookup is rare.)
        if key.last() == Some(&b')') {
            if let Some(open) = memchr::memrchr(b'(', key).filter(|&o| o > 0) {
                let mut head = Vec::new();
                self.keys.lookup(&key[..open], &mut head);
                let named = |r: u32| r & NEG != 0 && head.contains(&(r & !NEG));
                retain_from(rules, from, |r| !named(r) || head.contains(&r));
            }
        }
        if bare_colon && !key.is_ascii() {
            retain_from(rules, from, |r| !self.field_rules.contains(&(r & !NEG)));
        }
    }

    /// The rules whose `veto_keys` name a pair's key exactly (`施工许可证编号：…`,
    /// `sgxkzbh=…` in text), appended with [`VETO`] set, when the value is shaped as such a
    /// number ([`permit_shaped`]); `confirm` then treats a match that is the pair's whole
    /// value as a JSON value under that key. Only the exact name: no glob, role or note is
    /// read off a label here, since a veto is a way out for a real ID.
    fn pair_vetoes(&self, key: &[u8], value: &[u8], rules: &mut Vec<u32>) {
        if !permit_shaped(value) {
            return;
        }
        if let Some(v) = self.veto_keys.exact.get(&norm_key(key)) {
            rules.extend(v.iter().filter(|&&r| r & NEG == 0).map(|&r| r | VETO));
        }
    }

    pub(crate) fn key_rules(&self, key: &[u8], out: &mut Vec<u32>) {
        // A path's `name` or `address` is its object's, as a JSON member's is
        // (`orgs[0].name` a firm's: no rule's field; `contact.name` a person's).
        match crate::format::path_owned_key(key) {
            Some(None) => {}
            Some(Some(owned)) => self.keys.lookup(owned, out),
            None => self.keys.lookup(key, out),
        }
    }

    /// Runs every matcher over `text` and appends non-overlapping hits sorted by start.
    /// `scratch` is the stream's own reusable memory (no allocation per value).
    pub(crate) fn detect(
        &self,
        text: &[u8],
        ctx: &SegCtx<'_>,
        hits: &mut Vec<Hit>,
        scratch: &mut Scratch,
    ) {
        // One table pass says which matchers can find anything here; most values (keys,
        // words, Chinese text without digits) need none and leave at once.
        self.detect_flagged(text, self.flags(text), ctx, hits, scratch);
    }

    /// [`Self::detect`] when the caller already has `flags(text)` (the lexers' short-value
    /// path computes it on the way).
    pub(crate) fn detect_flagged(
        &self,
        text: &[u8],
        flags: u8,
        ctx: &SegCtx<'_>,
        hits: &mut Vec<Hit>,
        scratch: &mut Scratch,
    ) {
        if self.nothing_possible(flags, text.len(), ctx.key_rules) {
            if ctx.next_from.is_some() {
                scratch.table_carry.clear();
            }
            return;
        }
        let Scratch {
            cands,
            found,
            confirmed,
            anchored,
            labels,
            pairs,
            pair_rules,
            table_carry,
            table_text,
            log_carry,
        } = scratch;
        cands.clear();
        found.clear();
        confirmed.clear();
        pairs.clear();
        pair_rules.clear();
        if flags & (TRIG_PAIR | TRIG_COLON) != 0 {
            self.key_value_pairs(text, ctx.continues, pairs, pair_rules);
        }
        if flags & TRIG_PAIR != 0 && memchr::memchr(b'\n', text).is_some() {
            table::table_pairs(
                self,
                table::table_text(text, ctx.wide_spaces, table_text),
                ctx.continues,
                ctx.next_from,
                table_carry,
                pairs,
                pair_rules,
            );
            // Two runs, each in order: `confirm` looks pairs up by start.
            pairs.sort_by_key(|p| p.start);
        } else if ctx.next_from.is_some() {
            table_carry.clear();
        }
        // A whole value that is one MyBatis line: its `Preparing:` or `Columns:` is in an
        // earlier value (an NDJSON log export, an array of log lines).
        if ctx.whole && flags & TRIG_COLON != 0 && memchr::memchr(b'\n', text).is_none() {
            let before = pairs.len();
            table::log_line_pairs(self, text, log_carry, pairs, pair_rules);
            if pairs.len() > before {
                pairs.sort_by_key(|p| p.start);
            }
        }
        // `INSERT INTO t (xm, sfzh) VALUES ('张三', '1101…')`: the literal values under
        // their columns (an audit log's statement, a dump). The shortest such statement is
        // `insert into t(a)values('')`, 26 bytes.
        if text.len() >= 26 && memchr::memchr(b'\'', text).is_some() {
            let before = pairs.len();
            table::sql_insert_pairs(self, text, pairs, pair_rules);
            if pairs.len() > before {
                pairs.sort_by_key(|p| p.start);
            }
        }
        let en = if ctx.number {
            self.enabled.in_number()
        } else {
            self.enabled
        };
        ident::scan(text, en, flags, found);
        ident::chinese_numerals(text, self.enabled, found);
        if flags & TRIG_DIGIT != 0 {
            // A value under a field named for an identifier, written with mixed separators:
            // the whole value, or a `key: value` pair's in text. (The scan's findings are in
            // order of start: a pair asks about the few that may overlap it.)
            if !found.is_sorted_by_key(|f| f.start) {
                // (E-mail and IPv6 addresses and Chinese numerals come after the runs.)
                found.sort_by_key(|f| f.start);
            }
            let scanned = found.len();
            if ctx.whole && !ctx.key_rules.is_empty() {
                self.whole_separated(text, 0, text.len(), ctx.key_rules, scanned, found);
            }
            for p in pairs.iter() {
                let rules = &pair_rules[p.rules.0..p.rules.1];
                self.whole_separated(text, p.start, p.end, rules, scanned, found);
            }
            // A number hard-wrapped across two lines after its label (a line break is a
            // pair's trigger too).
            if flags & TRIG_PAIR != 0 {
                let pairs = (pairs.as_slice(), pair_rules.as_slice());
                self.wrapped_numbers(text, ctx, pairs, found);
            }
        }
        for f in found.iter() {
            for &r in &self.by_det[f.det as usize] {
                cands.push(Cand {
                    rule: r,
                    start: f.start,
                    end: f.end,
                    conf: f.conf,
                    key_only: f.key_only,
                });
            }
        }
        self.keywords_and_patterns(text, flags, cands, anchored, labels);
        // Field rules' candidates: from labels, keys and pairs, and addresses with no label.
        let mut field_cand = |rule, start, end, conf| {
            cands.push(Cand {
                rule,
                start,
                end,
                conf,
                key_only: false,
            })
        };
        // (A key gives field rules work only when it names one: most keys name identifiers,
        // `sfzh`, `sjhm`, or are negative, `traceId`.)
        if !self.field_rules.is_empty()
            && (flags & TRIG_COLON != 0
                || !labels.is_empty()
                || !pairs.is_empty()
                || (ctx.whole && ctx.key_rules.iter().any(|r| self.field_rules.contains(r))))
        {
            let pairs = (pairs.as_slice(), pair_rules.as_slice());
            field::detect(self, text, ctx, labels, pairs, &mut field_cand);
        }
        // A whole address in a sentence with no label (`事主在湖南省长沙市岳麓区麓山南路932号
        // 门口…被盗`, police and hotline narratives): a region, a street and its house number
        // together say what a label would. (A house number is a digit; a value under an
        // address key is judged as such already.)
        let addresses = &self.by_det[Det::Address as usize];
        if flags & TRIG_DIGIT != 0
            && !addresses.is_empty()
            && !(ctx.whole && ctx.key_rules.iter().any(|r| addresses.contains(r)))
        {
            for (start, end, conf) in field::unlabelled_addresses(self, text) {
                for &rule in addresses {
                    field_cand(rule, start, end, conf);
                }
            }
        }
        if cands.is_empty() {
            return;
        }
        let pairs = (pairs.as_slice(), pair_rules.as_slice());
        confirmed.extend(
            cands
                .iter()
                .filter_map(|c| self.confirm(text, ctx, pairs, *c)),
        );
        // A name standing whole before a valid resident ID in text (`吴建华 2201…`): the
        // number vouches for it as a label would (see `field::name_before_id`). A text with
        // room for no more than the number has none.
        if text.len() >= 24 && !self.by_det[Det::PersonName as usize].is_empty() {
            self.names_before_ids(text, ctx, found, confirmed);
        }
        confirmed.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
        // Overlaps: keep the more sensitive, then the surer, then the longer.
        let better = |a: &Hit, b: &Hit| {
            let ga = self.rules[a.rule as usize].grade_rank;
            let gb = self.rules[b.rule as usize].grade_rank;
            (std::cmp::Reverse(ga), a.confidence, a.end - a.start)
                > (std::cmp::Reverse(gb), b.confidence, b.end - b.start)
        };
        let first = hits.len();
        for &h in confirmed.iter() {
            let n = hits.len();
            if n > first && h.start < hits[n - 1].end {
                if better(&h, &hits[n - 1]) {
                    hits[n - 1] = h;
                }
            } else {
                hits.push(h);
            }
        }
    }

    /// [`field::name_before_id`] for each valid resident ID in `found` that does not start
    /// the text, as confirmed hits of the name rules (unless the key is a negative one).
    #[inline(never)]
    fn names_before_ids(
        &self,
        text: &[u8],
        ctx: &SegCtx<'_>,
        found: &[ident::Found],
        confirmed: &mut Vec<Hit>,
    ) {
        let names = &self.by_det[Det::PersonName as usize];
        for f in found {
            if f.det != Det::ResidentId18 || f.conf != Confidence::High || f.start == 0 {
                continue;
            }
            let Some((s, e)) = field::name_before_id(self, text, f.start) else {
                continue;
            };
            for &rule in names {
                if !ctx.key_rules.contains(&(rule | NEG)) {
                    confirmed.push(Hit {
                        rule,
                        start: s,
                        end: e,
                        confidence: Confidence::Medium,
                    });
                }
            }
        }
    }

    fn keywords_and_patterns(
        &self,
        text: &[u8],
        flags: u8,
        cands: &mut Vec<Cand>,
        anchored: &mut Vec<(usize, usize)>,
        labels: &mut Vec<(usize, usize, u32)>,
    ) {
        anchored.clear();
        labels.clear();
        // Starting an automaton search costs more than a short value: skip values that hold
        // none of the patterns' anchor bytes (one rare byte per pattern).
        let gated = flags & TRIG_GATE == 0;
        for (ac, targets) in [
            (&self.ac, &self.ac_targets),
            (&self.ac_ci, &self.ac_ci_targets),
        ] {
            let Some(ac) = ac else { continue };
            if gated {
                continue;
            }
            // Overlapping: an anchor inside a longer keyword (or another anchor) must still
            // start its pattern's search.
            for m in ac.find_overlapping_iter(text) {
                match targets[m.pattern().as_usize()] {
                    AcTarget::Keyword(rule) => cands.push(Cand {
                        rule,
                        start: m.start(),
                        end: m.end(),
                        conf: Confidence::Medium,
                        key_only: false,
                    }),
                    AcTarget::Anchor(ix) => {
                        if !anchored.contains(&(ix, m.start())) {
                            anchored.push((ix, m.start()));
                        }
                    }
                }
            }
        }
        if flags & TRIG_LABEL != 0 {
            if let Some(ac) = &self.ac_labels {
                // Leftmost-longest: `户籍地` rather than `户籍`, `居住在` rather than `住在`;
                // what matters is where the label ends and the value starts.
                // In a text with no delimiter and no digit, which the search reached by
                // `name_label_gate`, only the labels a name follows are read: an anchor the
                // name stands before (`的手机`, `女士`) needs a delimiter before the name.
                let mut undelimited: Option<bool> = None;
                for m in ac.find_iter(text) {
                    let p = m.pattern().as_usize();
                    if !self.ac_label_opens[p]
                        && *undelimited.get_or_insert_with(|| {
                            !text.iter().any(|&b| {
                                self.trigger.0[usize::from(b)] & (TRIG_DELIM | TRIG_DIGIT) != 0
                            })
                        })
                    {
                        continue;
                    }
                    labels.push((m.start(), m.end(), self.ac_label_rules[p]));
                }
            }
        }
        if let Some((set, ixs)) = &self.unanchored {
            for m in set.matches(text).iter() {
                anchored.push((ixs[m], usize::MAX));
            }
        }
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for &(ix, pos) in anchored.iter() {
            let (rule, re, meta) = &self.regexes[ix];
            let validator = self.rules[*rule as usize].validator;
            spans.clear();
            if pos == usize::MAX {
                spans.extend(re.find_iter(text).map(|m| (m.start(), m.end())));
            } else {
                // Prefix literals start every match: one anchored search at the literal.
                let input = regex_automata::Input::new(text)
                    .span(pos..text.len())
                    .anchored(regex_automata::Anchored::Yes);
                if let Some(m) = meta.search(&input) {
                    spans.push((m.start(), m.end()));
                }
            }
            for &(s, e) in spans.iter() {
                if s == e {
                    continue;
                }
                // Word boundaries on alphanumeric edges: a 15-digit pattern must not fire
                // inside a 19-digit number.
                if (s > 0 && text[s].is_ascii_alphanumeric() && text[s - 1].is_ascii_alphanumeric())
                    || (e < text.len()
                        && text[e - 1].is_ascii_alphanumeric()
                        && text[e].is_ascii_alphanumeric())
                {
                    continue;
                }
                if let Some(v) = validator {
                    if !v.check(&text[s..e]) {
                        continue;
                    }
                }
                let conf = if validator.is_some() {
                    Confidence::High
                } else {
                    Confidence::Medium
                };
                cands.push(Cand {
                    rule: *rule,
                    start: s,
                    end: e,
                    conf,
                    key_only: false,
                });
            }
        }
    }

    /// Whether a Luhn-valid 18-digit card candidate is a resident ID with a wrong check
    /// character: the field holds it alone, the field is one the 18-digit ID rule listens to
    /// (`sfzh`, `zjbh`), and its digits have an ID's region and birth date. An ID from Gansu
    /// (62…) written `6229 0019 9810 3194 10` is shaped as a UnionPay card and passes Luhn
    /// one time in ten; the field and the date say what it is.
    fn mistyped_id(&self, text: &[u8], ctx: &SegCtx<'_>, c: &Cand) -> bool {
        if !ctx.whole {
            return false;
        }
        let id_field = ctx.key_rules.iter().any(|&k| {
            k & NEG == 0
                && self
                    .rules
                    .get(k as usize)
                    .is_some_and(|r| matches!(r.kind, Kind::Detector(ident::Det::ResidentId18)))
        });
        if !id_field {
            return false;
        }
        let mut digits = [0u8; 18];
        let mut n = 0;
        for &b in text.get(c.start..c.end).unwrap_or_default() {
            if b.is_ascii_digit() {
                if n == digits.len() {
                    return false;
                }
                digits[n] = b;
                n += 1;
            }
        }
        n == 18 && crate::validate::id18_shape(&digits[..17])
    }

    /// [`ident::whole_separated`] over `text[s..e]` for the identifiers `key_rules` name, when
    /// the scan found nothing there (a value the scan could read is the scan's).
    /// `found[..scanned]` are the scan's findings, in order of start (later ones, this
    /// function's own, are at most one per value and overlap no other value).
    fn whole_separated(
        &self,
        text: &[u8],
        s: usize,
        e: usize,
        key_rules: &[u32],
        scanned: usize,
        found: &mut Vec<ident::Found>,
    ) {
        // Cheap refusals first, the commonest last but one: too short or too long to be one;
        // a finding in it (most values under an identifier's name are one, plainly written);
        // no separator at all.
        let v = &text[s..e];
        if !(11..=64).contains(&v.len()) {
            return;
        }
        // The scan's findings that start before `e`, back to the first that cannot reach
        // `s` (none is longer than a few dozen bytes).
        let before = found[..scanned].partition_point(|f| f.start < e);
        let mut inside = found[..before]
            .iter()
            .rev()
            .take_while(|f| f.start + 2 * PAIR_MAX > s)
            .filter(|f| s < f.end);
        // (The commonest: the value is one finding.)
        if inside.clone().any(|f| f.start <= s && e <= f.end)
            || !v.iter().any(|&b| ident::is_group_sep(b))
        {
            return;
        }
        let named = key_rules.iter().fold(0u32, |m, &k| {
            match self.rules.get(k as usize).map(|r| &r.kind) {
                Some(Kind::Detector(d)) if k & NEG == 0 => m | 1 << *d as u32,
                _ => m,
            }
        }) & self.enabled.0;
        // What the name names, found in it: the value is one (a landline inside an old
        // resident ID split at random, `3 401 02771015559`, is not what it is).
        if named == 0 || inside.any(|f| named & (1 << f.det as u32) != 0) {
            return;
        }
        let from = found.len();
        ident::whole_separated(v, ident::Enabled(named), found);
        for f in &mut found[from..] {
            f.start += s;
            f.end += s;
        }
    }

    /// Numbers hard-wrapped across two lines in a text (a report or a remark typed with
    /// fixed-width lines: `身份证号：110105⏎19880512123X`, `联系电话：138001⏎38000`): a digit
    /// run broken by one line break is read as one number only when a label naming its
    /// identifier stands right before it ([`Self::wrap_label_rules`]) and the joined digits
    /// are such a number by its validator while neither piece is ([`ident::wrapped`]). Only
    /// line breaks with a digit on each side are looked at, and only the label's
    /// identifiers are tried.
    #[inline(never)]
    fn wrapped_numbers(
        &self,
        text: &[u8],
        ctx: &SegCtx<'_>,
        pairs: (&[Pair], &[u32]),
        found: &mut Vec<ident::Found>,
    ) {
        let wrappable = self.enabled.0 & ident::WRAPPED;
        if wrappable == 0 {
            return;
        }
        let mut rules = Vec::new();
        let mut done = 0;
        for nl in memchr::memchr_iter(b'\n', text) {
            // A digit before the break (after a `\r` and the wrap's spaces) and after it.
            let mut a = nl;
            if a > 0 && text[a - 1] == b'\r' {
                a -= 1;
            }
            let mut k = 0;
            while k < 2 && a > 0 && text[a - 1] == b' ' {
                a -= 1;
                k += 1;
            }
            if a == 0 || !text[a - 1].is_ascii_digit() || a <= done {
                continue;
            }
            let mut b = nl + 1;
            k = 0;
            while k < 2 && text.get(b) == Some(&b' ') {
                b += 1;
                k += 1;
            }
            if !text.get(b).is_some_and(u8::is_ascii_digit) {
                continue;
            }
            // The first line's digits, in groups set apart by one space or hyphen.
            let mut s = a;
            while s > 0
                && a - s < 32
                && (text[s - 1].is_ascii_digit()
                    || (ident::is_sep_byte(text[s - 1]) && s >= 2 && text[s - 2].is_ascii_digit()))
            {
                s -= 1;
            }
            if s > 0 && (text[s - 1].is_ascii_alphanumeric() || text[s - 1] == b'\n') {
                continue;
            }
            rules.clear();
            self.wrap_label_rules(text, s, ctx, pairs, &mut rules);
            let named = rules.iter().fold(0u32, |m, &r| {
                match self.rules.get(r as usize).map(|x| &x.kind) {
                    Some(Kind::Detector(d)) if r & NEG == 0 => m | 1 << *d as u32,
                    _ => m,
                }
            }) & wrappable;
            if named != 0 {
                let from = found.len();
                if ident::wrapped(text, s, ident::Enabled(named), found) {
                    done = found[from].end;
                }
            }
        }
    }

    /// The rules of the label right before a number starting at `s` ([`Self::wrapped_numbers`]):
    /// a `key=value` or `key: value` pair's key whose value starts there (`idCardNumber=…`,
    /// `yhkh: …`), the field's own name when the number opens the whole value, or a Chinese
    /// label ending a run of Han characters, then a colon, `=`, a copula (为, 是) or spaces
    /// (`身份证号：`, `收款账号为`, `手机号码 `, `社保卡金融账号=`).
    fn wrap_label_rules(
        &self,
        text: &[u8],
        s: usize,
        ctx: &SegCtx<'_>,
        pairs: (&[Pair], &[u32]),
        out: &mut Vec<u32>,
    ) {
        for p in pairs_near(pairs.0, s).iter().filter(|p| p.start == s) {
            out.extend_from_slice(&pairs.1[p.rules.0..p.rules.1]);
        }
        let mut p = s;
        while p > 0 && matches!(text[p - 1], b' ' | b'\t') {
            p -= 1;
        }
        if p == 0 {
            if ctx.whole {
                out.extend_from_slice(ctx.key_rules);
            }
            return;
        }
        if matches!(text[p - 1], b':' | b'=') {
            p -= 1;
        } else if text[..p].ends_with("为".as_bytes()) || text[..p].ends_with("是".as_bytes()) {
            p -= 3;
        } else if p == s {
            // Neither a sign nor a space: the number is glued to a word.
            return;
        }
        while p > 0 && text[p - 1] == b' ' {
            p -= 1;
        }
        let le = p;
        // Back over up to eight Han characters (three bytes each in UTF-8).
        let mut ls = le;
        while ls >= 3 && le - ls < 24 && (0xE3..=0xE9).contains(&text[ls - 3]) {
            ls -= 3;
        }
        let mut at = ls;
        while le - at >= 6 {
            self.keys.lookup(&text[at..le], out);
            at += 3;
        }
    }

    /// Whether a Chinese label that names a field of `rule` stands right before `start`,
    /// with a colon or a copula between (`身份证号码:654325.801011.136`, full-width colons
    /// folded; `统一社会信用代码为91.350100…`): a `label: value` pair says what a key says in
    /// a record, so a value only a field name vouches for is taken after it. A keyword set
    /// apart by a space only (`手机 190.3299…`) is not a label, unless the candidate is one
    /// unbroken token (`统一社会信用代码 Y3520102NHAYF7XXXY`): the doubt a space leaves is
    /// whether groups of digits after a word are one value, and a token is one, as are
    /// groups set apart by one kind of space or hyphen that make the whole chain
    /// ([`digit_groups`]; then glued to the label too). The label may close a longer run of
    /// Han characters (`请核对身份证号码：`) or be spaced out (`身 份 证 号 码：`).
    fn labelled(&self, text: &[u8], (start, end): (usize, usize), rule: u32) -> bool {
        let mut p = start;
        while p > 0 && text[p - 1] == b' ' {
            p -= 1;
        }
        // `统一社会信用代码：…`, or with a copula, `统一社会信用代码为…`, `身份证号是…`.
        if p > 0 && text[p - 1] == b':' {
            p -= 1;
        } else if text[..p].ends_with("为".as_bytes()) || text[..p].ends_with("是".as_bytes()) {
            p -= 3;
        } else if !((p < start && text[start..end].iter().all(u8::is_ascii_alphanumeric))
            || digit_groups(&text[start..end]))
        {
            return false;
        }
        while p > 0 && text[p - 1] == b' ' {
            p -= 1;
        }
        let le = p;
        // Back over up to eight Han characters (three bytes each in UTF-8), or a label
        // spaced out (`身 份 证 号 码：…`).
        let mut ls = le;
        while ls >= 3 && le - ls < 24 && text[ls - 3] >= 0xE3 && text[ls - 3] <= 0xE9 {
            ls -= 3;
        }
        if le - ls == 3 {
            ls = spaced_label_start(text, ls);
        }
        let mut out = Vec::new();
        let mut s = ls;
        while le - s >= 6 {
            out.clear();
            self.keys.lookup(&text[s..le], &mut out);
            if out.contains(&rule) {
                return true;
            }
            s += if text[s + 3] == b' ' { 4 } else { 3 };
        }
        false
    }

    /// Applies a rule's context to a candidate: negative keys and keywords veto, required
    /// context must be present, and shape-only (low confidence) matches always need context.
    fn confirm(
        &self,
        text: &[u8],
        ctx: &SegCtx<'_>,
        pairs: (&[Pair], &[u32]),
        c: Cand,
    ) -> Option<Hit> {
        let r = &self.rules[c.rule as usize];
        // The key of a `key=value` pair the candidate lies in counts as the segment's key.
        let around = pairs_near(pairs.0, c.start);
        let pair_has = |rule: u32| {
            around.iter().any(|p| {
                p.start <= c.start
                    && c.end <= p.end
                    && pairs.1[p.rules.0..p.rules.1].contains(&rule)
            })
        };
        let key_hit = ctx.key_rules.contains(&c.rule) || pair_has(c.rule);
        if c.key_only && !key_hit && !self.labelled(text, (c.start, c.end), c.rule) {
            return None;
        }
        // An option a form or template prints for the filler to tick (`密级：□绝密 □机密
        // ☑公开`) is no marking until it is ticked.
        // A star and a term make a marking whatever stands before it (`□` is also a
        // missing character's placeholder).
        if matches!(r.kind, Kind::Keywords)
            && unticked_box_before(text, c.start)
            && memchr::memmem::find(&text[c.start..c.end], "★".as_bytes()).is_none()
        {
            return None;
        }
        let w = r.ctx.window_bytes;
        // Negative context only vetoes matches no check character vouches for: a label like
        // 订单号 placed before a valid ID number must not be a way to smuggle it out. Luhn is
        // the exception, under a negative field name: one trade number in ten with a card
        // scheme's prefix passes it, and `outTradeNo` says what the value is.
        // A pair's value in text runs on to the next delimiter, past a space: its negative
        // key names only a number that opens the value, or that follows nothing but digits
        // and separators from its start (`订单号：2023 1101 3800…`, one number in groups).
        // A word before the candidate (`金额(元)：100 手机138…`, `数量(件)：3 收货人张三
        // 139…`) starts another item of the line, which the amount's key does not name.
        let opens_value = |from: usize| {
            text[from..c.start]
                .iter()
                .all(|&b| b.is_ascii_digit() || matches!(b, b' ' | b'-' | b'.' | b'/' | b'_'))
        };
        let neg_pair = || {
            around.iter().any(|p| {
                p.start <= c.start
                    && c.end <= p.end
                    && pairs.1[p.rules.0..p.rules.1].contains(&(c.rule | NEG))
                    && opens_value(p.start)
            })
        };
        let neg_key = || ctx.key_rules.contains(&(c.rule | NEG)) || neg_pair();
        // Only where the field holds the number alone: a pair's value in text may run on
        // past it (`orderNo: 20231101 银行卡号 6222…`).
        // A pair whose whole value the candidate is, and which carries `entry` (the rule with
        // its negative or its veto bit).
        let whole_pair_has = |entry: u32| {
            around.iter().any(|p| {
                p.start == c.start
                    && p.end == c.end
                    && pairs.1[p.rules.0..p.rules.1].contains(&entry)
            })
        };
        // In text a pair's value runs to the line's end (`batch_id = 4171… LIMIT 61`, SQL
        // in a log): a number that opens it and is a whole token there (nothing after it but
        // another word, not more digit groups: `file=4735…_8430….csv`, an export's file name
        // of two ids) is what the key names, as a value the pair holds alone is.
        let opening_pair_has = |entry: u32| {
            around.iter().any(|p| {
                p.start == c.start
                    && c.end <= p.end
                    && !groups_on(&text[c.end..p.end])
                    && pairs.1[p.rules.0..p.rules.1].contains(&entry)
            })
        };
        let neg_field = || {
            (ctx.whole && ctx.key_rules.contains(&(c.rule | NEG)))
                || whole_pair_has(c.rule | NEG)
                || opening_pair_has(c.rule | NEG)
        };
        // A number built as this one is (a construction permit's, a region code and a date
        // as a resident ID's) passes its check by chance; under a field named for it, held
        // whole and shaped as such numbers are (`permit_shaped`), it is that number
        // (`veto_keys`: a plain negative key vetoes no valid check).
        // The same under such a label in text, when the match is the pair's whole value
        // (`施工许可证编号：110000201606180760`, `sgxkzbh=…`; `pair_vetoes`).
        if ((ctx.whole
            && ctx.vetoes.contains(&c.rule)
            && text[..c.start].trim_ascii().is_empty()
            && text[c.end..].trim_ascii().is_empty())
            || whole_pair_has(c.rule | VETO))
            && permit_shaped(&text[c.start..c.end])
        {
            return None;
        }
        if c.conf == Confidence::High
            && matches!(r.kind, Kind::Detector(ident::Det::BankCard))
            && (neg_field()
                || self.mistyped_id(text, ctx, &c)
                || negative_label_glued(text, c.start, r.ctx.negative_ac.as_ref()))
        {
            return None;
        }
        if c.conf < Confidence::High {
            if neg_key() {
                return None;
            }
            // A metric's sample in the Prometheus text format (`order_seq_max{shard="3"}
            // 13991243863`) is judged under the metric's name as under a key: a measurement
            // unless the name is the rule's own field (`user_mobile 138…`, a log's dump).
            if !key_hit {
                if let Some(name) = metric_sample_name(text, c.start, c.end) {
                    let mut named = Vec::new();
                    self.keys.lookup(name, &mut named);
                    if !named.contains(&c.rule) {
                        return None;
                    }
                }
            }
            // A field named as the rule's own says what its value is, whatever a sentence
            // said before it on the line (`合计金额65468.57元 mobile=138…`).
            if !key_hit && !r.ctx.negative_keywords.is_empty() {
                // `订单号：A1，联系人手机号：136…`: a keyword of the rule's own between the
                // negative one and the value says what the value is.
                if let Some(neg) = last_left_same_line(text, c.start, w, r.ctx.negative_ac.as_ref())
                {
                    let own = last_left_same_line(text, c.start, w, r.ctx.keywords_ac.as_ref());
                    // ... unless it is glued to the negative one, which then says whose it
                    // is: `车辆通行证号码` is a vehicle's pass, not a person's permit.
                    let glued = |p: usize| p - neg <= 15 && text[neg..p].iter().all(|&b| b >= 0x80);
                    if own.is_none_or(|p| p < neg || glued(p))
                        && !labelled_apart(text, neg, c.start)
                    {
                        return None;
                    }
                } else if negative_kept(text, ctx.before, c.start, &r.ctx) {
                    return None;
                }
            }
        }
        // Keywords only matter when no key vouches and they could change the outcome.
        // A label spaced out (`护 照 号 码  E3774…`) holds no keyword as written: read as the
        // label it is, as a key is (asked only after such a label).
        let kw_hit = !key_hit
            && (c.conf < Confidence::High || r.ctx.require)
            && !r.ctx.keywords.is_empty()
            && (near(text, ctx.before, c.start, c.end, &r.ctx)
                || (spaced_label_before(text, c.start)
                    && self.labelled(text, (c.start, c.end), c.rule)));
        let has_ctx = key_hit || kw_hit || matches!(r.kind, Kind::Field);
        if (r.ctx.require || c.conf == Confidence::Low) && !has_ctx {
            return None;
        }
        let confidence = if has_ctx && c.conf < Confidence::High {
            if c.conf == Confidence::Low {
                Confidence::Medium
            } else {
                Confidence::High
            }
        } else {
            c.conf
        };
        Some(Hit {
            rule: c.rule,
            start: c.start,
            end: c.end,
            confidence,
        })
    }
}

/// Whether `rest`, the text after a number, goes on with more of it: a digit, or a space,
/// dash or dot and a digit (a card written in groups, `6222 0212…`, `…-7894`).
fn groups_on(rest: &[u8]) -> bool {
    match rest {
        [d, ..] if d.is_ascii_digit() => true,
        [b' ' | b'-' | b'.', d, ..] => d.is_ascii_digit(),
        _ => false,
    }
}

/// Whether a spaced-out label (`护 照 号 码`: Han characters standing apart) ends right
/// before `start`, past the spaces and a colon between: a byte test, so `confirm` asks
/// [`Detectors::labelled`] about such a label only.
fn spaced_label_before(text: &[u8], start: usize) -> bool {
    let mut p = start;
    while p > 0 && start - p < 8 && matches!(text[p - 1], b' ' | b':') {
        p -= 1;
    }
    p >= 7 && text[p - 4] == b' ' && han_at(text, p - 3) && han_at(text, p - 7)
}

/// Whether `v` is digit groups set apart by spaces (one or two) or by hyphens, one kind
/// throughout (`3601 0277 0531 882`, `3601-0277-0531-882`), maybe ending in a check letter:
/// after a label with no colon, spaced off or glued (`身份证号 3601 0277 0531 882`,
/// `身份证号3601-0277…`), such a value is still one number, where dots leave a decimal's or
/// a version's doubt (`手机 190.3299…`). The candidates that ask are the whole of their
/// chain of groups ([`ident`]'s `eval_chain`).
fn digit_groups(v: &[u8]) -> bool {
    let Some(&sep) = v.iter().find(|&&b| !b.is_ascii_alphanumeric()) else {
        return false;
    };
    matches!(sep, b' ' | b'-')
        && v.first().is_some_and(u8::is_ascii_digit)
        && v.iter()
            .all(|&b| b.is_ascii_digit() || b == sep || b == b'X' || b == b'x')
        && memchr::memmem::find(v, &[sep; 3]).is_none()
        && (sep == b' ' || memchr::memmem::find(v, b"--").is_none())
}

/// Whether an empty check box (`□`, `☐`), maybe with spaces after it, stands right before
/// `start`.
fn unticked_box_before(text: &[u8], start: usize) -> bool {
    let mut head = &text[..start];
    loop {
        if let Some(h) = head.strip_suffix(b" ") {
            head = h;
        } else if let Some(h) = head.strip_suffix("\u{3000}".as_bytes()) {
            head = h;
        } else {
            break;
        }
    }
    head.ends_with("□".as_bytes()) || head.ends_with("☐".as_bytes())
}

/// Keeps the entries of `rules` from `from` on for which `keep` holds, in order (the entries
/// before `from` are another pair's).
fn retain_from(rules: &mut Vec<u32>, from: usize, keep: impl Fn(u32) -> bool) {
    let mut w = from;
    for k in from..rules.len() {
        let r = rules[k];
        if keep(r) {
            rules[w] = r;
            w += 1;
        }
    }
    rules.truncate(w);
}

/// Whether `v` may be a construction permit's number rather than a person's ID: 18 digits
/// (no permit ends in an `X`, a check character's) whose date is one of this century's,
/// as a permit's date of issue is. The ID of anyone born before 2000 is never vetoed,
/// whatever its field's name.
fn permit_shaped(v: &[u8]) -> bool {
    v.len() == 18 && v.iter().all(u8::is_ascii_digit) && v[6..8] == *b"20"
}

/// The metric's name when `start..end` is the sample value of a line in the Prometheus text
/// format: the line is `name{labels} value` or `name value`, maybe with a timestamp after
/// the value, the value is digits, and the name is a metric's (letters, digits, `_` and
/// `:`, not starting with a digit), with labels or a metric's ending ([`METRIC_SUFFIXES`];
/// a word before a number, `手机 138…`, `li_ming 138…`, is left to the keywords).
/// Scrapes, `/metrics` pages and exporters' dumps write thousands of such lines, and 11-digit counters, byte totals and sequence maxima among them look like
/// mobiles.
fn metric_sample_name(text: &[u8], start: usize, end: usize) -> Option<&[u8]> {
    // The cheap tests first, and only the bytes they need: most candidates stand inside a
    // line, and a search to its end or start per candidate would cost a long line's length
    // for each of its numbers.
    if start < 2 || text[start - 1] != b' ' || !text[start..end].iter().all(u8::is_ascii_digit) {
        return None;
    }
    // The value ends its line, or a timestamp (digits) after one space does.
    let mut p = end;
    if text.get(p) == Some(&b' ') {
        p += 1;
        let digits = text[p..].iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        p += digits;
    }
    if !matches!(&text[p..], [] | [b'\n', ..] | [b'\r'] | [b'\r', b'\n', ..]) {
        return None;
    }
    let line_start = memchr::memrchr(b'\n', &text[..start]).map_or(0, |p| p + 1);
    let mut head = &text[line_start..start - 1];
    let labelled = head.last() == Some(&b'}');
    if labelled {
        let open = memchr::memchr(b'{', head)?;
        head = &head[..open];
    }
    let metric_byte = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b':');
    let named = head.first().is_some_and(|b| !b.is_ascii_digit())
        && head.iter().all(metric_byte)
        && (labelled || METRIC_SUFFIXES.iter().any(|s| head.ends_with(s.as_bytes())));
    named.then_some(head)
}

/// The endings Prometheus' naming conventions give a metric's name (its unit or its kind):
/// a name with one and no labels is still a metric (`process_virtual_memory_bytes 157…`),
/// where `li_ming 138…` or `lxdh_bak 138…` is a field and its value.
const METRIC_SUFFIXES: &[&str] = &[
    "_total",
    "_count",
    "_sum",
    "_bucket",
    "_bytes",
    "_seconds",
    "_max",
    "_min",
    "_ratio",
    "_info",
    "_created",
    "_timestamp",
    "_milliseconds",
    "_size",
    "_keys",
    "_hits",
    "_misses",
];

/// Whether a negative keyword of the rule (`kws`) is the label of the value at `start`: it
/// ends right before it, or before a colon or `=` and spaces there (`商户单号62…`,
/// `流水号：62…`). In text such a label says what the value is as a field name does, and
/// the card rule takes a field name's word against Luhn (see `confirm`). A label farther
/// off says nothing of this value (`订单号 A1 银行卡号 6222…`).
fn negative_label_glued(
    text: &[u8],
    start: usize,
    kws: Option<&aho_corasick::AhoCorasick>,
) -> bool {
    let Some(kws) = kws else { return false };
    let skip_spaces = |mut p: usize| {
        while p > 0 && text[p - 1] == b' ' {
            p -= 1;
        }
        p
    };
    let mut p = skip_spaces(start.min(text.len()));
    if p > 0 && matches!(text[p - 1], b':' | b'=') {
        p = skip_spaces(p - 1);
    }
    // A value at the start of its field (a JSON value's text: every card of a JSON body is
    // asked this) has no label before it.
    if p == 0 {
        return false;
    }
    let lo = p.saturating_sub(kws.max_pattern_len());
    let left = &text[lo..p];
    // An English word is a label only as a word of its own: `order 3540… paid` is an
    // order's number, `reorder 3540…` or `border 3540…` says nothing.
    kws.try_find_overlapping_iter(left).is_ok_and(|mut it| {
        it.any(|m| {
            m.end() == left.len()
                && !(lo + m.start())
                    .checked_sub(1)
                    .is_some_and(|b| glued(text[b], left[m.start()]))
        })
    })
}

/// Where the last keyword of `kws` before `start` (within `w` bytes, on the same line)
/// starts: the greatest start of any of their occurrences there, overlapping ones included
/// (`单号` inside `订单号`), as a search per keyword from the right would give.
fn last_left_same_line(
    text: &[u8],
    start: usize,
    w: usize,
    kws: Option<&aho_corasick::AhoCorasick>,
) -> Option<usize> {
    let kws = kws?;
    let lo = start.saturating_sub(w);
    let left = &text[lo..start];
    let (left, base) = match memchr::memrchr(b'\n', left) {
        Some(p) => (&left[p + 1..], lo + p + 1),
        None => (left, lo),
    };
    if left.is_empty() {
        return None;
    }
    kws.try_find_overlapping_iter(left)
        .ok()?
        .map(|m| m.start())
        .max()
        .map(|p| base + p)
}

/// Whether a negative keyword of the rule stands in the values just before this one (the
/// context kept for keyword windows, within the window), no keyword of its own there
/// unless the negative one names the record's kind ([`RECORD_KINDS`]) after it, with nothing of
/// the value's own line before `start` saying otherwise: a record's
/// `国药准字…` before its batch number `E27795544` says what kind of record it is, as the
/// same words on one line of text do (`last_left_same_line`). A negative keyword that is
/// another field's name (marked by the lexer, a value after it) names that field only.
// (Out of line: asked only of candidates no key vouches for, near a value's start.)
#[inline(never)]
fn negative_kept(text: &[u8], before: &[u8], start: usize, ctx: &Ctx) -> bool {
    let w = ctx.window_bytes;
    let Some(neg_ac) = ctx.negative_ac.as_ref() else {
        return false;
    };
    if start >= w || before.is_empty() {
        return false;
    }
    let kept = &before[before.len().saturating_sub(w - start)..];
    let kept = match memchr::memrchr(b'\n', kept) {
        Some(p) => &kept[p + 1..],
        None => kept,
    };
    // (Most kept context holds no negative keyword: one test first.)
    if !neg_ac.is_match(kept)
        || memchr::memchr(b'\n', &text[..start]).is_some()
        || last_left_same_line(text, start, w, ctx.keywords_ac.as_ref()).is_some()
    {
        return false;
    }
    // The negative keywords there that name no other field, and the last of them that says
    // what kind of record this is (`国药准字`: a drug's).
    let (mut neg, mut kind) = (false, None);
    if let Ok(it) = neg_ac.try_find_overlapping_iter(kept) {
        for m in it.filter(|m| !names_other_field(kept, m.end(), Side::Kept)) {
            neg = true;
            if RECORD_KINDS.contains(&&kept[m.start()..m.end()]) {
                kind = kind.max(Some(m.start()));
            }
        }
    }
    if !neg {
        return false;
    }
    // The last keyword of the rule's own there.
    let own = ctx.keywords_ac.as_ref().and_then(|ac| {
        ac.try_find_overlapping_iter(kept).ok().and_then(|it| {
            it.filter(|m| !names_other_field(kept, m.end(), Side::Kept))
                .map(|m| m.start())
                .max()
        })
    });
    // A record's kind vetoes after the rule's own last keyword (`出境` … `国药准字…`: the
    // drug's batch number), not before it: the record's own word then says what the later
    // value is (a pharmacy's register, `国药准字…` then the buyer's `护照` and number). Any
    // other negative keyword vetoes only where no keyword of the rule's own stands in the
    // kept context: a record's fields come in no order that says which word is about the
    // value (`{"cardType":"护照","remark":"航班已延误","cardCode":…}`).
    match own {
        None => true,
        Some(own) => kind.is_some_and(|k| own < k),
    }
}

/// Negative keywords that say what kind of record the values after them belong to (a
/// drug's approval number): in the context kept from a record's earlier values they
/// veto a number even after a keyword of the rule's own, when they come after it
/// (`<Note>出境</Note><Pzwh>国药准字…</Pzwh><Scph>E22234359</Scph>`: the batch number of a
/// drug, no passport; but `国药准字…`, `护照`, `E12345678`: the buyer's passport).
const RECORD_KINDS: &[&[u8]] = &["国药准字".as_bytes(), "批准文号".as_bytes()];

/// Whether the value at `start` stands under a label of its own that a negative keyword at
/// `neg` is no part of: the last colon before the value closes a label, and between the
/// keyword and that label lies another field's value (`话单流水号：2358…；主叫号码：159…`,
/// `运单号：SF12…；寄件人：王五 138…`). The keyword then named the field before, which says
/// nothing of this value; in the value's own label (`交易流水号：…`) it still vetoes.
fn labelled_apart(text: &[u8], neg: usize, start: usize) -> bool {
    let Some(colon) = memchr::memrchr(b':', &text[neg..start]).map(|p| neg + p) else {
        return false;
    };
    // The label before that colon: letters and Han characters back from it.
    let mut ls = colon;
    while ls > neg && (text[ls - 1] >= 0x80 || text[ls - 1].is_ascii_alphabetic()) {
        ls -= 1;
    }
    ls > neg && ls < colon
}

/// Whether the ASCII keyword at `h[s..e]` lies in an English word of its letters' own
/// ([`OTHER_WORDS`]): `tel` in `telemetry` or `hotel` is no telephone. (A keyword glued
/// to letters on one side still counts in general: `dlip`, `lxtel`, pinyin compounds.)
// (Out of line: asked only of a keyword glued to letters.)
#[inline(never)]
fn in_other_word(h: &[u8], s: usize, e: usize) -> bool {
    let letter = |k: usize| h.get(k).is_some_and(u8::is_ascii_alphabetic);
    let glued_before = s > 0 && letter(s - 1);
    if !glued_before && !letter(e) {
        return false;
    }
    // The word is the letters around it up to a camel-case hump (`telNo` is `tel` and
    // `No`, `telemetryData` holds `telemetry`).
    let hump = |a: u8, b: u8| a.is_ascii_lowercase() && b.is_ascii_uppercase();
    let mut ws = s;
    while ws > 0 && h[ws - 1].is_ascii_alphabetic() && !hump(h[ws - 1], h[ws]) {
        ws -= 1;
    }
    let mut we = e;
    while we < h.len() && h[we].is_ascii_alphabetic() && !hump(h[we - 1], h[we]) {
        we += 1;
    }
    let word = &h[ws..we];
    let word = word
        .strip_suffix(b"s")
        .filter(|w| w.len() >= 4)
        .unwrap_or(word);
    OTHER_WORDS.iter().any(|w| w.eq_ignore_ascii_case(word))
}

/// English words that hold a rule's ASCII keyword and mean something else (checked only
/// when a keyword is glued to letters): the telemetry of a device, a hotel's name.
const OTHER_WORDS: &[&[u8]] = &[
    b"telemetry",
    b"telemetries",
    b"telegram",
    b"telegraf",
    b"telegraph",
    b"television",
    b"telescope",
    b"telnet",
    b"teller",
    b"hotel",
    b"motel",
    b"hostel",
    b"intel",
    b"cartel",
    b"pastel",
];

/// Whether a keyword that starts with `c` after `p` starts inside a word: both ASCII
/// letters, and not a lower-case letter before an upper-case one.
fn glued(p: u8, c: u8) -> bool {
    p.is_ascii_alphabetic()
        && c.is_ascii_alphabetic()
        && !(p.is_ascii_lowercase() && c.is_ascii_uppercase())
}

/// Substring test for the short windows context looks at; building a SIMD searcher per call
/// costs more than this loop on a few hundred bytes.
#[inline]
fn contains(h: &[u8], n: &[u8]) -> bool {
    let Some(&first) = n.first() else { return true };
    if n.len() > h.len() {
        return false;
    }
    let last_start = h.len() - n.len();
    let mut i = 0;
    while let Some(p) = memchr::memchr(first, &h[i..=last_start]) {
        if &h[i + p..i + p + n.len()] == n {
            return true;
        }
        i += p + 1;
        if i > last_start {
            break;
        }
    }
    false
}

/// Whether any of the rule's keywords occurs within its window before `start` (including the
/// previous values' text) or after `end`. With the rule's automaton (its non-empty keywords), one
/// pass over each window whatever the number of keywords: the person-name rule has over a
/// hundred, and a text of names (`张伟，男，` over and over) asks at every one.
fn near(text: &[u8], before: &[u8], start: usize, end: usize, ctx: &Ctx) -> bool {
    let (w, kws, ac) = (ctx.window_bytes, &ctx.keywords, ctx.keywords_ac.as_ref());
    let lo = start.saturating_sub(w);
    let hi = (end + w).min(text.len());
    let left = &text[lo..start];
    let right = &text[end..hi];
    let spill = w.saturating_sub(start);
    let prev = &before[before.len().saturating_sub(spill)..];
    match ac {
        // (An empty keyword, which the automaton leaves out, is found anywhere. A few
        // keywords are found sooner by `memchr` on their first byte, unless one has ASCII
        // letters, which match in either case.)
        Some(ac) if kws.len() > 8 || ctx.keywords_ascii => {
            let hit = |h: &[u8], side: Side| {
                // (Most texts hold no keyword: one test first, the positions only on a hit.)
                if !ac.is_match(h) {
                    return false;
                }
                // An ASCII keyword inside a word, with letters of the word on both sides,
                // is not that word: `IMEI` in `primeId` and `timeIndex`. At a word's end it
                // still is (`dlip`, `sbimei`: pinyin compounds), and so after or before a
                // camel-case hump (`clientIp`, `deviceIMEI`, `ipAddr`).
                ac.try_find_overlapping_iter(h).is_ok_and(|mut it| {
                    it.any(|m| {
                        let (s, e) = (m.start(), m.end());
                        let inside = ctx.keywords_ascii
                            && s > 0
                            && glued(h[s - 1], h[s])
                            && e < h.len()
                            && glued(h[e - 1], h[e]);
                        let other = inside
                            || names_other_field(h, e, side)
                            || (ctx.keywords_ascii && in_other_word(h, s, e));
                        !other
                    })
                })
            };
            ac.patterns_len() < kws.len()
                || hit(left, Side::Before)
                || hit(right, Side::After)
                || (spill > 0 && hit(prev, Side::Kept))
        }
        _ => kws.iter().any(|k| {
            contains_own(left, k, Side::Before)
                || contains_own(right, k, Side::After)
                || (spill > 0 && contains_own(prev, k, Side::Kept))
        }),
    }
}

/// Where a keyword window's bytes are: the value's text before the candidate or after it,
/// or the context kept from earlier values (where the lexers mark field names).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Before,
    After,
    Kept,
}

/// Whether the keyword ending at `e` of `h` is the name of another field than the
/// candidate's: in the kept context, in a name marked as one (`KEY_MARK`) with a value and
/// a later name after it; in text, a field's name (a colon or `=` after it, maybe past a
/// closing quote and spaces, or its number glued to it) with the end of its field and
/// another field's label between it and the candidate, or (after the candidate) any field's
/// name. The name of the previous field of a record says nothing of this one's value
/// (`{"sfzh":"1101…","zch":"3701…"}`, `sfzh=1101…&zkzh=1101…`); a value that names a type
/// does (`{"zjlx":"身份证","zjhm":…}`), as does the candidate's own label (`身份证号：…`).
fn names_other_field(h: &[u8], e: usize, side: Side) -> bool {
    let after = side == Side::After;
    // Inside a name the lexer marked (the context kept from earlier values, where the mark
    // opens a name and a space any other value: `身份证` in `申请人身份证号`): another
    // field's when a value and a later name follow it; the value's own when it is the last,
    // and its parent's when the next name comes right after it (`{"passport":{"no":…}}`).
    use crate::stream::KEY_MARK;
    if side == Side::Kept
        && memchr::memrchr2(b' ', KEY_MARK, &h[..e]).is_some_and(|q| h[q] == KEY_MARK)
    {
        return match memchr::memchr2(b' ', KEY_MARK, &h[e..]) {
            Some(n) if h[e + n] == b' ' => memchr::memchr(KEY_MARK, &h[e + n..]).is_some(),
            _ => false,
        };
    }
    // The rest of the word the keyword is in (`身份证` of `身份证号码：`: Han characters and
    // ASCII letters, not punctuation), then the sign. A label glued to its number
    // (`身份证号码1101…；注册号3701…`) is a field's name too.
    let mut p = e;
    while p < h.len() && p - e < 24 {
        if (0xE4..=0xE9).contains(&h[p]) && p + 2 < h.len() {
            p += 3;
        } else if h[p].is_ascii_alphabetic() || h[p] == b'_' {
            p += 1;
        } else {
            break;
        }
    }
    let word_end = p;
    if matches!(h.get(p), Some(b'"' | b'\'')) {
        p += 1;
    }
    while h.get(p) == Some(&b' ') {
        p += 1;
    }
    let value = match h.get(p) {
        Some(b':' | b'=') => &h[p + 1..],
        Some(b'0'..=b'9') if p == word_end && (p > e || !after) => &h[p..],
        _ => return false,
    };
    if after {
        return true;
    }
    // Its value, then the end of its field and another field's label: after the last `,`
    // `&` `;` or line break, a name with a sign after it or glued to the candidate
    // (`身份证号：见附件，注册号：3701…`). A list of values (`身份证号：3502…，3303…`), a
    // note (`（旧，已注销）3701…`) or a generic label on the next line (`号码：`, `no=`) keeps
    // the label the candidate's own.
    let value = value.trim_ascii_start();
    let sep = value
        .iter()
        .rposition(|&b| matches!(b, b',' | b'&' | b';' | b'|' | b'\n'))
        // A log's `key=value` pairs are set apart by spaces alone (`passportNo=E5691…
        // errorCode=E1244…`): a space, then a name and `=`.
        .or_else(|| {
            let sp = memchr::memrchr(b' ', value)?;
            let rest = value[sp + 1..].strip_suffix(b"=")?;
            (sp > 0
                && !rest.is_empty()
                && rest.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_'))
            .then_some(sp)
        });
    let Some(sep) = sep else {
        return false;
    };
    let rest = value[sep + 1..].trim_ascii();
    // The label is what stands before its sign; after the sign may stand the value's own
    // start (`流水号：海字第…`, where the candidate starts at `字第`).
    let (label, signed) = match rest.iter().rposition(|&b| b == b':' || b == b'=') {
        Some(p) => (rest[..p].trim_ascii(), true),
        None => (rest, false),
    };
    let name_bytes = !label.is_empty()
        && label.len() <= 48
        && label
            .iter()
            .all(|&b| b >= 0x80 || b.is_ascii_alphanumeric() || b == b'_');
    (signed || !label.is_ascii()) && name_bytes && !generic_label(label)
}

/// Whether a label names no field of its own ([`GENERIC_LABELS`], maybe after `旧`, `新`,
/// `原` or `现`: `旧号码`).
fn generic_label(label: &[u8]) -> bool {
    let mut l = label;
    for m in ["旧", "新", "原", "现"] {
        if let Some(rest) = l.strip_prefix(m.as_bytes()) {
            l = rest;
            break;
        }
    }
    GENERIC_LABELS.iter().any(|g| l.eq_ignore_ascii_case(g))
}

/// Labels that name no field of their own (a number, a value, an input): after a field's
/// label they continue it (`办公电话: 已核验\n号码: 0212…`, `身份证号校验: 失败, 输入=4401…`).
const GENERIC_LABELS: &[&[u8]] = &[
    "号码".as_bytes(),
    "号".as_bytes(),
    "编号".as_bytes(),
    "证号".as_bytes(),
    "证件号".as_bytes(),
    "证件号码".as_bytes(),
    "值".as_bytes(),
    "输入".as_bytes(),
    "输入值".as_bytes(),
    "内容".as_bytes(),
    "参数".as_bytes(),
    b"hm",
    b"haoma",
    b"no",
    b"num",
    b"number",
    b"value",
    b"val",
    b"input",
    b"content",
    b"data",
    b"param",
];

/// [`contains`] for a keyword of a rule's context: an occurrence that names another field
/// ([`names_other_field`]) does not count.
fn contains_own(h: &[u8], n: &[u8], side: Side) -> bool {
    if !contains(h, n) {
        return false;
    }
    memchr::memmem::find_iter(h, n).any(|s| !names_other_field(h, s + n.len(), side))
}

#[cfg(test)]
mod tests {
    use super::CharPairGate;

    /// A known name is found under a note, a version or an owner's word; a generic name
    /// behind an owner's word is not taken.
    #[test]
    fn known_parts_of_decorated_keys() {
        let parts = |k: &str| -> Vec<String> {
            super::known_parts(k.as_bytes())
                .into_iter()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect()
        };
        assert_eq!(parts("xm_cn"), ["xm"]);
        assert_eq!(parts("姓名_cn"), ["姓名"]);
        assert_eq!(parts("xmDetail"), ["xm"]);
        assert_eq!(parts("khmc_gr"), ["khmc"]);
        assert!(parts("khmc_dw").is_empty());
        assert_eq!(parts("cust_realName_v2"), ["cust_realName", "realName"]);
        assert_eq!(parts("user_zjhm"), ["zjhm"]);
        assert_eq!(parts("联系dz"), ["dz"]);
        assert_eq!(parts("家庭护照号码"), ["护照号码"]);
        assert!(parts("shop_name").is_empty());
        assert_eq!(parts("联系name"), ["name"]);
        assert!(parts("商品name").is_empty());
        assert!(parts("orderDetail").contains(&"order".to_string()));
        assert!(parts("v2").is_empty());
    }

    /// A sample of the Prometheus text format is read under its metric's name; a word and a
    /// number, or a number inside a line, are not samples.
    #[test]
    fn metric_sample_names() {
        let name = |text: &str, value: &str| {
            let s = text.find(value).unwrap();
            super::metric_sample_name(text.as_bytes(), s, s + value.len())
                .map(|n| String::from_utf8_lossy(n).into_owned())
        };
        let v = "13991243863";
        let labelled = format!("# TYPE order_seq_max gauge\norder_seq_max{{shard=\"3\"}} {v}\n");
        assert_eq!(name(&labelled, v).as_deref(), Some("order_seq_max"));
        let stamped = format!("process_virtual_memory_bytes {v} 1720319300133\r\nup 1");
        assert_eq!(
            name(&stamped, v).as_deref(),
            Some("process_virtual_memory_bytes")
        );
        assert_eq!(
            name(&format!("up{{job=\"a b\"}} {v}"), v).as_deref(),
            Some("up")
        );
        // No label and no metric's ending: a word or a field before a number; no number.
        assert_eq!(name(&format!("mobile {v}"), v), None);
        assert_eq!(name(&format!("li_ming {v}"), v), None);
        assert_eq!(name(&format!("lxdh_bak {v}"), v), None);
        assert_eq!(name("wang_fang_total a@b.cn", "a@b.cn"), None);
        // Something after the value that is no timestamp; two spaces; a name with a digit first.
        assert_eq!(name(&format!("user_phone {v} 张三"), v), None);
        assert_eq!(name(&format!("user_phone  {v}"), v), None);
        assert_eq!(name(&format!("9_x {v}"), v), None);
        assert_eq!(name(&format!("手机_号 {v}"), v), None);
    }

    /// The gate holds a text exactly when two adjacent characters of it open one of the
    /// words, whatever surrounds them (ASCII, other scripts, a cut character at the end).
    #[test]
    fn char_pair_gate_finds_word_openings_only() {
        let mut g = CharPairGate::default();
        for w in ["户主", "患者", "经查明", ",男"] {
            g.insert(w.as_bytes());
        }
        for t in [
            "户主李秀英因病去世",
            "abc经查明x",
            "经查",
            "张伟,男",
            "é户主",
        ] {
            assert!(g.hit(t.as_bytes()), "{t}");
        }
        for t in [
            "住房公积金管理中心",
            "户 主",
            "主户",
            "患",
            "",
            "男,",
            "经核实",
        ] {
            assert!(!g.hit(t.as_bytes()), "{t}");
        }
        // A cut character at the end reads as no character, never past the text.
        assert!(!g.hit(&"户主".as_bytes()[..5]));
        let mut one = CharPairGate::default();
        one.insert("户".as_bytes());
        assert!(one.hit(b"anything"));
    }

    /// A key that is both a rule's exact key and matches its glob (`xm`, `*xm`) names the
    /// rule once: twice had every value under it judged twice.
    #[test]
    fn exact_key_and_glob_of_one_rule_name_it_once() {
        let mut ix = super::KeyIndex::default();
        ix.add("xm", 3);
        ix.add("*xm", 3);
        ix.add("*xm", 5);
        ix.add("sfzh", 7);
        let mut got = Vec::new();
        ix.lookup(b"xm", &mut got);
        assert_eq!(got, [3, 5]);
        got.clear();
        ix.lookup(b"sqrxm", &mut got);
        assert_eq!(got, [3, 5]);
    }

    proptest::proptest! {
        /// Globs looked up by first and last byte give the rules every glob tried in turn
        /// gives, in the same order (names and globs from a small alphabet, so that they
        /// collide; Han characters, whose UTF-8 bytes share leads, among them).
        #[test]
        fn globs_by_byte_are_every_glob_tried(
            globs in proptest::collection::vec(("[*]?(a|b|x|户|名){1,3}[*]?", 0u32..40), 0..40),
            keys in proptest::collection::vec("(a|b|x|户|名|_){0,6}", 1..20),
        ) {
            let mut ix = super::KeyIndex::default();
            for (g, r) in &globs {
                ix.add(g, *r);
            }
            for key in &keys {
                let k = super::norm_key(key.as_bytes());
                let mut got = Vec::new();
                ix.glob_rules(&k, &mut got);
                let want: Vec<u32> = ix
                    .globs
                    .iter()
                    .filter(|(g, _)| match g {
                        super::Glob::Prefix(p) => k.starts_with(p),
                        super::Glob::Suffix(p) => k.ends_with(p),
                        super::Glob::Contains(f) => f.find(&k).is_some(),
                    })
                    .map(|(_, r)| *r)
                    .collect();
                proptest::prop_assert_eq!(got, want, "{}", key);
            }
        }
    }
}
