//! The streaming scanner: consumes a body as chunks of any size, emits findings and (when
//! redacting) output chunks. It is the glue between a format lexer, the segmenter that builds
//! normalized *segments* (one value each, with a map back to raw offsets) and the detectors.
//!
//! Chunk invariance is structural: every decision is a function of content positions, never
//! of where a chunk ended. Lexers wait at an incomplete escape or UTF-8 sequence instead of
//! guessing; a long value is cut into windows at fixed text lengths, each window rescanning a
//! margin of the previous one so a match or its context is never cut in two. Memory per stream
//! is bounded by the window plus margins and the raw bytes of the value being decided.

use smol_str::SmolStr;
use std::collections::VecDeque;
use std::sync::Arc;

use crate::charset::{self, Charset, Codec, Transcoder};
use crate::detect::doc_type::{self, DocKey, DocKind};
use crate::detect::{Hit, SegCtx};
use crate::engine::{Engine, RuleInfo};
use crate::format::{self, Format};
use crate::grade::Grade;
use crate::normalize::{self, Norm};
use crate::transform::{Rendered, Transform};

/// How sure the engine is of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Confidence {
    /// Shape only, with context.
    Low,
    /// A validator passed, or a strong shape with context.
    Medium,
    /// A validator passed and context agrees.
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// What was done to a finding's value in the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Applied {
    Masked,
    Labelled,
    Tokenized,
    /// Left in place (report-only, or the scan was not redacting).
    Reported,
}

impl Applied {
    pub fn as_str(self) -> &'static str {
        match self {
            Applied::Masked => "masked",
            Applied::Labelled => "labelled",
            Applied::Tokenized => "tokenized",
            Applied::Reported => "reported",
        }
    }
}

/// What the caller wants done with findings of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    Redact(Transform),
    Report,
}

/// Chooses a disposition per rule (policy plugs in here: per class, interface, consumer).
pub trait Decide: Send + Sync {
    fn decide(&self, rule: &RuleInfo) -> Disposition;
}

/// Options of one scan.
#[derive(Clone, Default)]
pub struct ScanOptions {
    pub format: Format,
    /// Produce output with transforms applied. Without it the scanner only reports and the
    /// caller forwards its input unchanged.
    pub redact: bool,
    /// Put raw values into findings (`--show-values`); never on in the proxy.
    pub capture_values: bool,
    /// Per-rule dispositions; `None` applies each rule's default transform.
    pub decide: Option<Arc<dyn Decide>>,
    /// The body's character set (see [`Charset`]); the default sniffs it.
    pub charset: Charset,
}

impl std::fmt::Debug for ScanOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanOptions")
            .field("format", &self.format)
            .field("redact", &self.redact)
            .field("capture_values", &self.capture_values)
            .field("decide", &self.decide.is_some())
            .field("charset", &self.charset)
            .finish()
    }
}

/// One detection. Offsets are bytes of the (decompressed) input stream. The raw value is
/// absent unless the scan was asked to capture values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule_id: Arc<str>,
    pub rule_index: usize,
    pub class: Arc<str>,
    pub grade: Grade,
    pub start: u64,
    pub end: u64,
    pub confidence: Confidence,
    /// The field name that gave context (JSON key, XML element, CSV column, form key).
    pub field: Option<Arc<str>>,
    pub applied: Applied,
    /// A masked rendering of the value, safe for logs and audit records (shared with the
    /// redaction that writes the same text, when there is one). Masks of identifiers fit
    /// the string inline (23 bytes), so most findings allocate nothing for it; a longer
    /// one is shared, and a clone of either costs no allocation.
    pub masked: SmolStr,
    /// Keyed hash of the normalized value (for distinct-value counting without the value).
    pub fingerprint: u64,
    pub value: Option<String>,
}

/// Result of a whole-body scan.
#[derive(Debug, Clone, Default)]
pub struct ScanResult {
    pub output: Vec<u8>,
    pub findings: Vec<Finding>,
}

/// How the original character was written, so a replacement can be written the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Esc {
    Plain,
    FullWidth,
    JsonU,
    XmlDec,
    XmlHex,
    Percent,
    /// `%XX` escapes of a GBK-encoded character (a legacy form): a replacement is written
    /// as GBK bytes, escaped.
    PercentGb,
    /// `%25XX`: a URL escaped twice; a replacement is escaped twice too.
    Percent2,
    PercentGb2,
    /// `%uXXXX`.
    PercentU,
    /// `=XX` escapes of quoted-printable (a MIME part): a replacement is written escaped,
    /// but for printable ASCII.
    Qp,
    /// `=XX` escapes of a GBK-encoded character in a quoted-printable part.
    QpGb,
    /// [`Esc::Qp`], [`Esc::QpGb`] of a character a soft line break (`=\r\n`) cuts: a
    /// replacement is followed by one, so the line it was on does not grow.
    QpSoft,
    QpGbSoft,
    /// Any other escape (`\n`, `&amp;`, `""`, `+`): replacements are written plainly.
    Other,
}

/// What kind of value a segment is; decides how replacement text is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SegKind {
    JsonString,
    JsonBare,
    XmlText,
    XmlCdata,
    XmlAttr,
    CsvQuoted,
    CsvBare,
    Form,
    /// The body of a multipart part: written plainly, like text, but a whole value (a part
    /// may be a JSON or XML document of its own).
    Part,
    /// A quoted-printable part (UTF-8, or a GB charset): whatever is written into it is
    /// escaped as quoted-printable, but for printable ASCII.
    PartQp,
    PartQpGb,
    /// A MIME header block (a part's or a message's): text, whose encoded words (RFC
    /// 2047) are read decoded and written back encoded.
    Headers,
    Text,
}

/// Whether `t[s..e]` is a JSON member's value written as a number (`"sjhm": 13800138000,`):
/// digits (an ID's check `X` may close them) after a quoted name and a colon, before a
/// comma, a closing bracket or the line's end.
fn json_member_number(t: &[u8], s: usize, e: usize) -> bool {
    let digits = &t[s..e];
    let body = digits.strip_suffix(b"X").unwrap_or(digits);
    if body.is_empty() || !body.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut p = s;
    while p > 0 && matches!(t[p - 1], b' ' | b'\t') {
        p -= 1;
    }
    if p == 0 || t[p - 1] != b':' {
        return false;
    }
    p -= 1;
    while p > 0 && matches!(t[p - 1], b' ' | b'\t') {
        p -= 1;
    }
    if p == 0 || t[p - 1] != b'"' {
        return false;
    }
    let mut q = e;
    while q < t.len() && matches!(t[q], b' ' | b'\t') {
        q += 1;
    }
    q == t.len() || matches!(t[q], b',' | b'}' | b']' | b'\r' | b'\n')
}

/// A replacement of a raw range in the output.
#[derive(Debug, Clone)]
struct Edit {
    start: u64,
    end: u64,
    repl: Repl,
}

/// What replaces an edit's range: one run of new bytes (most masks; no piece vector to
/// allocate per finding), or raw ranges and new bytes in turn.
#[derive(Debug, Clone)]
enum Repl {
    Bytes(Vec<u8>),
    /// A mask that is also its finding's sample (`Finding::masked`): one string for both.
    Text(SmolStr),
    Pieces(Vec<Piece>),
}

impl Repl {
    /// Whether the replacement is written the same in every ASCII-compatible charset.
    fn is_ascii(&self) -> bool {
        match self {
            Repl::Bytes(b) => b.is_ascii(),
            Repl::Text(t) => t.is_ascii(),
            Repl::Pieces(pieces) => pieces.iter().all(|p| match p {
                Piece::Raw(..) => true,
                Piece::Bytes(b) => b.is_ascii(),
            }),
        }
    }
}

impl Edit {
    fn bytes(start: u64, end: u64, bytes: Vec<u8>) -> Self {
        Edit {
            start,
            end,
            repl: Repl::Bytes(bytes),
        }
    }

    fn pieces(start: u64, end: u64, pieces: Vec<Piece>) -> Self {
        Edit {
            start,
            end,
            repl: Repl::Pieces(pieces),
        }
    }

    fn into_pieces(self) -> Vec<Piece> {
        match self.repl {
            Repl::Bytes(b) => vec![Piece::Bytes(b)],
            Repl::Text(t) => vec![Piece::Bytes(t.as_bytes().to_vec())],
            Repl::Pieces(p) => p,
        }
    }
}

#[derive(Debug, Clone)]
enum Piece {
    Raw(u64, u64),
    Bytes(Vec<u8>),
}

/// A generic number field's value that a type field after it may read otherwise
/// (`{"zjhm":"27801500","zjlx":"511"}`, [`doc_type::lookback_kinds`]): its reading under its
/// own name, kept until the record says which is right, and what judging it under another
/// name needs. Its bytes are not emitted meanwhile (`Segmenter::pinned`).
struct Lookback {
    /// Raw offsets of the value: output is held from `start`.
    start: u64,
    end: u64,
    fam: doc_type::Family,
    /// Whose number it is (`doc_type::key_role_owner`) and how deep in records.
    owner: u32,
    nest: u32,
    /// The owner of a type of its record after it that said nothing sure (`zjlxdm`'s
    /// local code): only that name's next word (`zjlxmc`) is still read for it.
    unsure: Option<u32>,
    /// Keyed values of its record that may still come before the type
    /// (`doc_type::REACH`).
    left: u8,
    /// Set until the value's own end is counted.
    fresh: bool,
    own: Reading,
    /// Its field name's own entry (the segmenter's cache may have dropped it by then).
    key: KeyEntry,
    /// The documents its shape may be. Their readings are made only when a type names one:
    /// most held numbers end with their own (a record with no type, `其他`), and three
    /// readings of every number cost a stream of such records 2.4 to 3 times its scan.
    kinds: [Option<DocKind>; 4],
    seg: HeldSeg,
}

/// A value's edits and findings under one reading.
struct Reading {
    edits: Vec<Edit>,
    findings: Vec<Finding>,
}

/// What `Segmenter::process` reads of a held value's segment, kept to judge the value
/// again under a document's name once a type names one. Such a value is at most
/// `HELD_TEXT_MAX` plain characters, and its context the `CONTEXT_KEPT` bytes before it.
struct HeldSeg {
    kind: SegKind,
    text: Vec<u8>,
    map: Vec<u64>,
    esc: Vec<Esc>,
    rawlen: Vec<u8>,
    wide_spaces: Vec<u32>,
    head: Vec<u8>,
    recent: Vec<u8>,
    identity: bool,
    id_base: u64,
    raw_end: u64,
    seg_raw_start: u64,
    /// `last_edit_end` before the value's own edits.
    edit_floor: u64,
}

/// The field a display name is judged under: a person's name.
const PERSON_KEY: &str = "姓名";
/// The field the first word of a file name is judged under: a generic `name` member's,
/// which may as well hold a place.
const GENERIC_NAME_KEY: &str = "name";

/// At most this many number fields wait for their types at once (a ninth ends the oldest's
/// wait): several people's numbers before their types (`holderIdNo`, `guardianIdNo`,
/// `holderIdType`, `guardianIdType` in sorted keys), or a record inside a record. Types
/// before their numbers (`doc_ctx`) wait under the same bound, one per person.
const HELD_MAX: usize = 8;

/// A type field's document waiting for its number field (`Segmenter::doc_ctx`).
#[derive(Clone, Copy)]
struct PendingType {
    kind: DocKind,
    /// How many more values the number field may come within.
    left: u8,
    fam: doc_type::Family,
    /// Whose type it is (`doc_type`'s owner of the field name).
    owner: u32,
}

/// The longest text a held value may have: a document's shape is at most 24 characters and
/// three separators, and spaces around it are trimmed (a value padded further is not held).
const HELD_TEXT_MAX: usize = 48;

/// Records holding a generic number field after which a stream that has shown no type field
/// holds no more numbers for one (records that leave an empty type out, `omitempty`, show
/// it in some of the first few).
const QUIET_RECORDS: u8 = 8;

/// The most raw bytes a held number field waits for its type: a type further on is no
/// longer read for it (memory per stream stays bounded whatever lies between).
const LOOKBACK_MAX: u64 = 4096;

/// Builds segments from lexer events, runs detection per window and produces findings and
/// edits. Owned by the stream; lexers drive it through the `begin/plain/decoded/end` calls.
pub(crate) struct Segmenter {
    engine: Arc<Engine>,
    opts: ScanOptions,
    depth: u8,
    /// The field a decoded value came from (`{"xm":"<base64>"}`): a plain-text body scanned
    /// for that value is that field's value, with its field-name context.
    outer_key: Option<Arc<str>>,
    active: bool,
    kind: SegKind,
    /// The segment's field name: its entry in `key_cache` (entries move only when
    /// `resolve_key` evicts one, before it sets this).
    key_ix: Option<usize>,
    key_cache: Vec<KeyEntry>,
    key_cursor: usize,
    /// The documents type fields named (`{"zjlx":"511",…}`), and how many more values
    /// each one's number field may come within (`crate::detect::doc_type`), its family and
    /// owner: one per person (`sqrzjlx` and `dlrzjlx` before both numbers), in body order.
    doc_ctx: Vec<PendingType>,
    /// Some field name of this stream is a type field (`DocKey::Type`): until one is, no
    /// value asks about `doc_ctx`.
    doc_types: bool,
    /// The segment's value ends something for `doc_ctx` (set by `resolve_key`).
    doc_note: bool,
    /// Number fields' values waiting for a type field after them ([`Lookback`]), in body order.
    lookback: Vec<Lookback>,
    /// Segments of resolved held values, for the next to reuse.
    spare_held: Vec<HeldSeg>,
    /// How deep in records the values now lexed are (`set_nest`): a type is read for a
    /// number of its own record, not of one around or inside it.
    nest: u32,
    /// A type field of the record being lexed (its depth, family and owner), sure or not: a
    /// number after it is its record's, and a type further on is another's.
    typed: Option<(u32, doc_type::Family, u32)>,
    /// A record holding a generic number field has ended (`numbered`: the record being
    /// lexed holds one): past `QUIET_RECORDS` of them, a number field is held for a type
    /// after it only in a stream that has shown type fields (`type_keys`).
    ended_record: u8,
    numbered: bool,
    /// Some field name of this stream is a type field (`doc_types` is also set while a
    /// number field is held).
    type_keys: bool,
    /// Reusable buffer of [`Segmenter::knows_key`].
    key_probe: Vec<u32>,
    text: Vec<u8>,
    /// Raw offset of each text byte; empty while the segment maps 1:1 onto raw bytes.
    map: Vec<u64>,
    esc: Vec<Esc>,
    /// Raw length of the character a text byte starts (0 on continuation bytes); what lies
    /// between that and the next character's raw start is a gap (markup, dropped characters)
    /// that masks must keep.
    rawlen: Vec<u8>,
    /// Text offsets of the spaces that were ideographic spaces (U+3000): normalization folds
    /// them to one ASCII space like every other space, but a table typed in a word processor
    /// sets its columns apart with single ones, where two ASCII spaces would be needed.
    wide_spaces: Vec<u32>,
    identity: bool,
    /// Part of the segment is a CDATA section, whose bytes are the text as written: a
    /// nested document's redacted bytes go back there as they are, not escaped as text.
    cdata: bool,
    id_base: u64,
    raw_end: u64,
    seg_raw_start: u64,
    ignore_before: usize,
    windows: u32,
    head: Vec<u8>,
    last_head: Vec<u8>,
    recent: Vec<u8>,
    /// How many bytes trims have taken off the front of `recent` (`context_mark`).
    recent_base: u64,
    /// The segment is a field's name (a JSON member's key, a form's key), as its lexer says:
    /// its text is remembered with [`KEY_MARK`] before it.
    pub(crate) naming: bool,
    hold_from: u64,
    last_edit_end: u64,
    edits: VecDeque<Edit>,
    findings: Vec<Finding>,
    /// Findings pushed so far, drained or not: a lexer compares two readings to learn
    /// whether the values between them held any.
    found: u64,
    hits: Vec<Hit>,
    /// Set by [`Segmenter::quick`] when it found hits in a whole value of this many bytes:
    /// `hits` holds them and the segment it builds from the same bytes commits them instead
    /// of detecting again.
    pre_hits: Option<usize>,
    /// Names found in the stream's text rather than as a person's field (`原告乔慧，女…`),
    /// with their rule: a later mention of one (`原告乔慧与被告周敏民间借贷纠纷一案`, where
    /// the name runs into the words after it) is the same person, found by its spelling
    /// ([`Segmenter::add_mentions`]). The first [`MENTIONED_MAX`] of a stream.
    mentioned: Vec<(Box<[u8]>, u32)>,
    seg_edits: Vec<Edit>,
    /// Whether a mask character is written as itself in a kind of segment (`plain_mask`),
    /// remembered for the last pair asked: one answer serves a whole body.
    plain_char: std::cell::Cell<Option<(SegKind, char, bool)>>,
    scratch: crate::detect::Scratch,
    /// Where `plain_mask` renders a finding's mask.
    mask_buf: String,
    /// Bytes decompressed from base64 values so far ([`PACKED_BUDGET`]).
    unpacked: u64,
}

/// A finished stream's working buffers, handed back to its engine for the next stream
/// (`Engine::take_buffers`). A small body is scanned by a stream of its own, and growing a
/// dozen buffers from empty (and freeing them) cost about as much as scanning 1 KiB of it.
/// Buffers come back cleared, and oversized ones are not kept.
#[derive(Default)]
pub(crate) struct Buffers {
    key_cache: Vec<KeyEntry>,
    key_probe: Vec<u32>,
    text: Vec<u8>,
    map: Vec<u64>,
    esc: Vec<Esc>,
    rawlen: Vec<u8>,
    head: Vec<u8>,
    last_head: Vec<u8>,
    recent: Vec<u8>,
    edits: VecDeque<Edit>,
    hits: Vec<Hit>,
    seg_edits: Vec<Edit>,
    scratch: crate::detect::Scratch,
}

impl Buffers {
    /// The largest buffer of the set, in bytes (tests).
    #[cfg(test)]
    pub(crate) fn largest_bytes(&self) -> usize {
        [
            held_bytes(&self.key_cache),
            held_bytes(&self.key_probe),
            held_bytes(&self.text),
            held_bytes(&self.map),
            held_bytes(&self.esc),
            held_bytes(&self.rawlen),
            held_bytes(&self.head),
            held_bytes(&self.last_head),
            held_bytes(&self.recent),
            self.edits.capacity() * std::mem::size_of::<Edit>(),
            held_bytes(&self.hits),
            held_bytes(&self.seg_edits),
        ]
        .into_iter()
        .max()
        .unwrap_or(0)
    }
}

/// The most bytes a pooled buffer keeps: a stream that needed more (a long value, a chunk
/// dense with findings) gives its buffer back to the allocator instead. The edits of a
/// 16 KiB body of records (about 190 findings) fit. With 17 buffers a set, a set holds at
/// most 272 KiB and the pool (`engine::POOL_MAX` sets) at most 8.5 MiB; the sets of ordinary
/// bodies hold a few KiB.
pub(crate) const BUFFER_KEEP_BYTES: usize = 16 << 10;

/// Bytes a buffer holds (its capacity).
fn held_bytes<T>(v: &Vec<T>) -> usize {
    v.capacity() * std::mem::size_of::<T>()
}

/// Clears `v` in place for reuse, or replaces it with an empty one when it grew past
/// `BUFFER_KEEP_BYTES`.
pub(crate) fn clear_for_reuse<T>(v: &mut Vec<T>) {
    if held_bytes(v) > BUFFER_KEEP_BYTES {
        *v = Vec::new();
    } else {
        v.clear();
    }
}

/// Takes `v` for the pool, cleared ([`clear_for_reuse`]).
fn recycle<T>(v: &mut Vec<T>) -> Vec<T> {
    clear_for_reuse(v);
    std::mem::take(v)
}

impl Drop for Segmenter {
    fn drop(&mut self) {
        let mut edits = std::mem::take(&mut self.edits);
        if edits.capacity() * std::mem::size_of::<Edit>() > BUFFER_KEEP_BYTES {
            edits = VecDeque::new();
        }
        edits.clear();
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.recycle();
        self.engine.give_buffers(Buffers {
            key_cache: recycle(&mut self.key_cache),
            key_probe: recycle(&mut self.key_probe),
            text: recycle(&mut self.text),
            map: recycle(&mut self.map),
            esc: recycle(&mut self.esc),
            rawlen: recycle(&mut self.rawlen),
            head: recycle(&mut self.head),
            last_head: recycle(&mut self.last_head),
            recent: recycle(&mut self.recent),
            edits,
            hits: recycle(&mut self.hits),
            seg_edits: recycle(&mut self.seg_edits),
            scratch,
        });
    }
}

/// Written before a field's name in the context kept for keyword windows (`recent`), where
/// a space sets apart other values, so a keyword window can tell a neighbouring field's
/// name (`sfzh` of `{"sfzh":…,"zch":…}`) from the value's own and from a value that names
/// a type (`{"zjlx":"身份证",…}`). A control character no normalized text holds.
pub(crate) const KEY_MARK: u8 = 0x1F;

/// How many bytes of a value `last_head` keeps (key names, labels, column names).
pub(crate) const HEAD: usize = 64;
/// Longest value the lexers hand to [`Segmenter::quick`] (they look this far ahead for the
/// value's end).
pub(crate) const QUICK_MAX: usize = 1024;
const KEY_CACHE: usize = 64;

/// A resolved field name (shared with the engine's memo).
type KeyEntry = Arc<crate::engine::KeyInfo>;

/// Whether the character next to a two-character name's mention at `at` (before it when
/// `before`) leaves it a word of its own: none, or no Han character, or one of the words
/// that stand before or after a name in a sentence (`原告乔慧与被告`, `乔慧诉称`).
fn mention_edge(text: &[u8], at: usize, before: bool) -> bool {
    const BEFORE: &str = "告人主属方及与和被向对将把由经据请是为";
    const AFTER: &str = "与和及的在于等称诉说向被已将对并系也现曾因到";
    let near = if before {
        text.get(at.saturating_sub(3)..at)
    } else {
        text.get(at..at + 3)
    };
    // (Punctuation, ASCII, the text's edge or a character of another length: apart.)
    match near
        .and_then(|b| std::str::from_utf8(b).ok())
        .and_then(|s| s.chars().next())
    {
        Some(c) if crate::detect::field::is_cjk(c) => {
            (if before { BEFORE } else { AFTER }).contains(c)
        }
        _ => true,
    }
}

/// How many names of a stream's text [`Segmenter::add_mentions`] looks for again: a
/// judgment or a case note names a handful of people; a bound keeps the search short.
const MENTIONED_MAX: usize = 16;
/// The rules a field name gives context to (`Segmenter::key_ix`), none without one.
#[inline]
fn key_rules(cache: &[KeyEntry], ix: Option<usize>) -> &[u32] {
    ix.map_or(&[], |ix| &cache[ix].rules)
}

/// The most of one value's tail kept as context for the next values.
const RECENT: usize = 96;
/// Context kept across values: the widest keyword window a rule may ask for
/// (`MAX_WINDOW_CHARS` characters of up to three bytes).
const CONTEXT_KEPT: usize = crate::engine::MAX_WINDOW_CHARS * 3;

impl Segmenter {
    fn new(engine: Arc<Engine>, opts: ScanOptions, depth: u8) -> Self {
        let b = engine.take_buffers();
        Segmenter {
            engine,
            opts,
            depth,
            outer_key: None,
            active: false,
            kind: SegKind::Text,
            key_ix: None,
            key_cache: b.key_cache,
            key_cursor: 0,
            doc_ctx: Vec::new(),
            doc_types: false,
            doc_note: false,
            lookback: Vec::new(),
            spare_held: Vec::new(),
            nest: 0,
            typed: None,
            ended_record: 0,
            numbered: false,
            type_keys: false,
            key_probe: b.key_probe,
            text: b.text,
            map: b.map,
            esc: b.esc,
            rawlen: b.rawlen,
            wide_spaces: Vec::new(),
            identity: true,
            cdata: false,
            id_base: 0,
            raw_end: 0,
            seg_raw_start: 0,
            ignore_before: 0,
            windows: 0,
            head: b.head,
            last_head: b.last_head,
            recent: b.recent,
            recent_base: 0,
            naming: false,
            hold_from: 0,
            last_edit_end: 0,
            edits: b.edits,
            findings: Vec::new(),
            found: 0,
            hits: b.hits,
            pre_hits: None,
            mentioned: Vec::new(),
            seg_edits: b.seg_edits,
            plain_char: std::cell::Cell::new(None),
            scratch: b.scratch,
            mask_buf: String::new(),
            unpacked: 0,
        }
    }

    /// Starts a segment whose first content byte is at `raw_start`. `key` is the field name.
    pub(crate) fn begin(&mut self, kind: SegKind, raw_start: u64, key: Option<&[u8]>) {
        debug_assert!(!self.active);
        self.resolve_key(key);
        self.start(kind, raw_start);
    }

    /// The segment's text goes on in a CDATA section (see `cdata`).
    pub(crate) fn mark_cdata(&mut self) {
        self.cdata = true;
    }

    /// [`Segmenter::begin`] once the key is resolved.
    fn start(&mut self, kind: SegKind, raw_start: u64) {
        self.active = true;
        self.kind = kind;
        self.text.clear();
        self.map.clear();
        self.esc.clear();
        self.rawlen.clear();
        self.wide_spaces.clear();
        self.identity = true;
        self.cdata = false;
        self.id_base = raw_start;
        self.raw_end = raw_start;
        self.seg_raw_start = raw_start;
        self.ignore_before = 0;
        self.windows = 0;
        self.head.clear();
        self.hold_from = raw_start;
    }

    /// Whether a whole value is a CSV table of its own ([`format::csv::embedded_table`]),
    /// whose header names its columns. Only values holding a line break and a delimiter
    /// are asked.
    fn embedded_table(&self, t: &[u8]) -> bool {
        if memchr::memchr(b'\n', t).is_none()
            || memchr::memchr3(b',', b'\t', b';', t).is_none() && memchr::memchr(b'|', t).is_none()
        {
            return false;
        }
        let mut rules = Vec::new();
        format::csv::embedded_table(t, |name| {
            rules.clear();
            self.engine.detectors.key_rules(name, &mut rules);
            !crate::detect::only_negative(&rules)
        })
    }

    /// Whether `k` names a field some rule listens to (what a lexer asks before it takes a
    /// value for a label, as in a `["姓名","张三"]` pair).
    pub(crate) fn knows_key(&mut self, k: &[u8]) -> bool {
        self.probe_key(k, |rules| !rules.is_empty())
    }

    /// Whether `k` names a field of a person's number (a resident ID, a mobile, a card, a
    /// passport or a permit): a column a table of organisations has no use for, so a table
    /// with one is read as people's, whatever its other columns (an employer's credit
    /// code beside a person's ID).
    pub(crate) fn names_person_number(&mut self, k: &[u8]) -> bool {
        let engine = self.engine.clone();
        self.probe_key(k, |rules| {
            rules
                .iter()
                .any(|&r| r & crate::detect::NEG == 0 && engine.detectors.names_person_number(r))
        })
    }

    /// `judge` of the rules `k` gives context to, looked up in the stream's reusable buffer.
    fn probe_key(&mut self, k: &[u8], judge: impl FnOnce(&[u32]) -> bool) -> bool {
        let mut rules = std::mem::take(&mut self.key_probe);
        rules.clear();
        self.engine.detectors.key_rules(k, &mut rules);
        let verdict = judge(&rules);
        self.key_probe = rules;
        verdict
    }

    /// Sets the segment's field name and the rules it gives context to.
    fn resolve_key(&mut self, key: Option<&[u8]>) {
        self.key_ix = None;
        self.doc_note = false;
        if let Some(k) = key {
            // Field names repeat record after record: resolve each distinct name once per
            // stream (its display form and the rules it gives context to).
            // Records repeat their fields in order: try the entry after the last hit first.
            let next = self.key_cursor;
            let hit = match self.key_cache.get(next) {
                Some(e) if &*e.raw == k && e.derived.is_none() => Some(next),
                _ => self
                    .key_cache
                    .iter()
                    .position(|e| &*e.raw == k && e.derived.is_none()),
            };
            let ix = match hit {
                Some(ix) => ix,
                None => {
                    let info = self.engine.key_info(k);
                    let ty = matches!(info.doc, DocKey::Type(_));
                    self.doc_types |= ty;
                    self.type_keys |= ty;
                    if self.key_cache.len() >= KEY_CACHE {
                        self.key_cache.remove(0);
                    }
                    self.key_cache.push(info);
                    self.key_cache.len() - 1
                }
            };
            self.key_cursor = ix + 1;
            // A generic number field after a type field that named a document is judged as
            // that document's field too. (Only in a stream that has a type field at all.)
            let ix = if self.doc_types { self.doc_key(ix) } else { ix };
            self.key_ix = Some(ix);
        }
    }

    /// `resolve_key`'s part for document types: whether this value's end matters to
    /// `doc_ctx`, and the entry a number field is judged under while a type is pending.
    #[inline(never)]
    fn doc_key(&mut self, ix: usize) -> usize {
        let (doc, owner) = (self.key_cache[ix].doc, self.key_cache[ix].doc_owner);
        if matches!(doc, DocKey::Number(_)) {
            // A type after two number fields of one name's person is not read for the first
            // (`zjhm` then `dlrzjhm` are two people's: the principal's and the agent's).
            let nest = self.nest;
            while let Some(i) = self
                .lookback
                .iter()
                .position(|l| l.nest == nest && l.owner == owner)
            {
                self.resolve_lookback(i);
            }
        }
        self.doc_note =
            matches!(doc, DocKey::Type(_)) || !self.doc_ctx.is_empty() || !self.lookback.is_empty();
        match doc {
            DocKey::Number(n) => match self.pending_type(n, owner) {
                Some(i) => self.doc_entry(ix, self.doc_ctx[i].kind),
                None => ix,
            },
            _ => ix,
        }
    }

    /// The pending type (`doc_ctx`) a number field of family `n` and owner `owner` is read
    /// under: one of a family that goes with it and of its person, or of no one's; the very
    /// owner's first, then the latest.
    fn pending_type(&self, n: doc_type::Family, owner: u32) -> Option<usize> {
        let fits =
            |p: &PendingType| doc_type::pairs(p.fam, n) && doc_type::owners_pair(p.owner, owner);
        self.doc_ctx
            .iter()
            .rposition(|p| fits(p) && p.owner == owner)
            .or_else(|| self.doc_ctx.iter().rposition(fits))
    }

    /// The cache entry of the field at `ix` read as the field of a `kind` document, kept
    /// beside the name's own entry and marked as derived.
    #[inline(never)]
    fn doc_entry(&mut self, ix: usize, kind: DocKind) -> usize {
        let own = self.key_cache[ix].clone();
        let hit = self.derived_ix(&own, kind);
        // Full: the oldest entry makes room (the new one is last, never it).
        if self.key_cache.len() > KEY_CACHE {
            self.key_cache.remove(0);
            return hit - 1;
        }
        hit
    }

    /// Bookkeeping when a keyed value ends (`text` is the whole value, empty for a value
    /// longer than a window), asked only while a type is pending or under a type field
    /// (`doc_note`): a type field's value says what the next number field holds; a number
    /// field read under it, or `REACH` other values, end that.
    #[inline(never)]
    fn note_doc(&mut self, text: &[u8], raw_end: u64) {
        let Some(ix) = self.key_ix else {
            return;
        };
        let owner = self.key_cache[ix].doc_owner;
        match self.key_cache[ix].doc {
            DocKey::Type(fam) => {
                if self.typed.is_none() {
                    self.typed = Some((self.nest, fam, owner));
                }
                let kind = doc_type::kind_of(text, fam != doc_type::Family::Doc);
                let held = self.paired_lookback(fam, owner, kind, raw_end);
                // A type that says nothing sure (an empty name beside its code, `其他`)
                // leaves what an earlier one said.
                if let Some(k) = kind {
                    // A number field before it in its record takes what it says, and that
                    // uses it up.
                    if let Some(i) = held {
                        self.read_lookback(i, k);
                        return;
                    }
                    // It takes the place of what its person's type said before.
                    self.doc_ctx.retain(|p| p.owner != owner);
                    if self.doc_ctx.len() >= HELD_MAX {
                        self.doc_ctx.remove(0);
                    }
                    self.doc_ctx.push(PendingType {
                        kind: k,
                        left: doc_type::REACH,
                        fam,
                        owner,
                    });
                    return;
                }
                if let Some(i) = held {
                    self.lookback[i].unsure = Some(owner);
                }
            }
            DocKey::Number(n) => {
                if let Some(i) = self.pending_type(n, owner) {
                    self.doc_ctx.remove(i);
                    return;
                }
            }
            DocKey::Other => {}
        }
        for p in &mut self.doc_ctx {
            p.left = p.left.saturating_sub(1);
        }
        self.doc_ctx.retain(|p| p.left > 0);
        self.count_lookback();
    }

    /// A keyed value after held number fields ended: past `REACH` of them, no type is
    /// read for one.
    fn count_lookback(&mut self) {
        let nest = self.nest;
        let mut i = 0;
        while i < self.lookback.len() {
            let l = &mut self.lookback[i];
            if !l.fresh && l.nest == nest {
                l.left = l.left.saturating_sub(1);
                if l.left == 0 {
                    self.resolve_lookback(i);
                    continue;
                }
            }
            i += 1;
        }
    }

    /// The held number field a type field of family `fam` and owner `owner`, ending at
    /// `raw_end`, is read for: one of its record and depth, of a family it names, of the
    /// same person or of one whose name says no one's. Among those, one whose shape the
    /// named document (`kind`) may have, then one of the very owner, then the latest (a
    /// type after two numbers of one person is the second's, `doc_key`).
    fn paired_lookback(
        &self,
        fam: doc_type::Family,
        owner: u32,
        kind: Option<DocKind>,
        raw_end: u64,
    ) -> Option<usize> {
        let nest = self.nest;
        let fits = |l: &Lookback| {
            l.nest == nest
                && doc_type::pairs(fam, l.fam)
                && doc_type::owners_pair(owner, l.owner)
                && l.unsure.is_none_or(|u| u == owner)
                && raw_end.saturating_sub(l.start) <= LOOKBACK_MAX
        };
        let may = |l: &Lookback| kind.is_some_and(|k| l.kinds.contains(&Some(k)));
        let held = &self.lookback;
        held.iter()
            .rposition(|l| fits(l) && may(l) && l.owner == owner)
            .or_else(|| held.iter().rposition(|l| fits(l) && may(l)))
            .or_else(|| held.iter().rposition(|l| fits(l) && l.owner == owner))
            .or_else(|| held.iter().rposition(fits))
    }

    /// A type field named `kind` for held number field `i`, which uses the type up: the
    /// value takes that document's reading when its shape may be one and the reading
    /// differs from its own; otherwise (a business licence, a document of another shape, or
    /// one that agrees with what its own name found) it keeps its own.
    fn read_lookback(&mut self, i: usize, kind: DocKind) {
        let mut l = self.lookback.remove(i);
        if l.kinds.contains(&Some(kind)) {
            let r = self.reading(&l.key, &mut l.seg, kind);
            let same = r.findings.len() == l.own.findings.len()
                && r.findings.iter().zip(&l.own.findings).all(|(a, b)| {
                    a.rule_index == b.rule_index && a.start == b.start && a.end == b.end
                });
            if !same {
                self.resolve(l, Some(r));
                return;
            }
        }
        self.resolve(l, None);
    }

    /// A held number field judged again, as `process` judged it, under a `kind` document's
    /// name (the same display name, other rules). Its segment is swapped in for the one
    /// being lexed, which comes back as it was. A value of such a shape is plain letters,
    /// digits and at most three separators: nothing for `process` to decode again.
    #[inline(never)]
    fn reading(&mut self, key: &KeyEntry, h: &mut HeldSeg, kind: DocKind) -> Reading {
        self.swap_held(h);
        let saved = (
            std::mem::replace(&mut self.kind, h.kind),
            std::mem::replace(&mut self.identity, h.identity),
            std::mem::replace(&mut self.id_base, h.id_base),
            std::mem::replace(&mut self.raw_end, h.raw_end),
            std::mem::replace(&mut self.seg_raw_start, h.seg_raw_start),
            std::mem::replace(&mut self.last_edit_end, h.edit_floor),
            std::mem::replace(&mut self.ignore_before, 0),
            std::mem::replace(&mut self.windows, 0),
            self.hold_from,
            self.key_ix,
            self.found,
            self.pre_hits.take(),
        );
        let hits = std::mem::take(&mut self.hits);
        let dix = self.derived_ix(key, kind);
        self.key_ix = Some(dix);
        let (eb, fb) = (self.edits.len(), self.findings.len());
        self.process(true);
        let reading = Reading {
            edits: self.edits.drain(eb..).collect(),
            findings: self.findings.split_off(fb),
        };
        if self.key_cache.len() > KEY_CACHE {
            self.key_cache.pop();
        }
        self.hits = hits;
        (
            self.kind,
            self.identity,
            self.id_base,
            self.raw_end,
            self.seg_raw_start,
            self.last_edit_end,
            self.ignore_before,
            self.windows,
            self.hold_from,
            self.key_ix,
            self.found,
            self.pre_hits,
        ) = saved;
        self.swap_held(h);
        reading
    }

    /// Swaps a held value's buffers with the segment's (`reading`, there and back).
    fn swap_held(&mut self, h: &mut HeldSeg) {
        std::mem::swap(&mut self.text, &mut h.text);
        std::mem::swap(&mut self.map, &mut h.map);
        std::mem::swap(&mut self.esc, &mut h.esc);
        std::mem::swap(&mut self.rawlen, &mut h.rawlen);
        std::mem::swap(&mut self.wide_spaces, &mut h.wide_spaces);
        std::mem::swap(&mut self.head, &mut h.head);
        std::mem::swap(&mut self.recent, &mut h.recent);
    }

    /// Whether values under this segment's field name may wait for a type after them: a
    /// generic number field read under its own name (not under a type before it).
    #[inline]
    fn lookback_field(&self) -> Option<(usize, doc_type::Family)> {
        let ix = self.key_ix?;
        let e = &self.key_cache[ix];
        match (e.doc, e.derived) {
            (DocKey::Number(f), None) => Some((ix, f)),
            _ => None,
        }
    }

    /// The lexer says how deep in records the values it lexes now are (JSON objects, XML
    /// elements holding fields; 0 in a CSV row or a form).
    #[inline]
    pub(crate) fn set_nest(&mut self, nest: usize) {
        self.nest = u32::try_from(nest).unwrap_or(u32::MAX);
    }

    /// After a whole value under a generic number field was judged under its own name
    /// (its edits from `edits[eb..]`, its findings from `findings[fb..]`, `last_edit_end`
    /// was `leb` before them): when its shape may be some document's
    /// ([`doc_type::lookback_kinds`]) that a type field after it could name, takes its own
    /// reading back out and holds the value, with what judging it again needs, for that type.
    #[inline(never)]
    fn lookback(&mut self, mark: (usize, doc_type::Family, usize, usize, u64), raw_end: u64) {
        let (ix, fam, eb, fb, leb) = mark;
        self.numbered = true;
        // (A stream of records with no type field pays nothing more after `QUIET_RECORDS`.)
        // (A value padded past its shape's 24 characters is not copied to be held.)
        if self.windows != 0
            || self.text.len() > HELD_TEXT_MAX
            || (self.ended_record >= QUIET_RECORDS && !self.type_keys)
        {
            return;
        }
        // Its record named a type before it, sure or not: a type after it is another's.
        let owner = self.key_cache[ix].doc_owner;
        if self.typed.is_some_and(|(n, ty, o)| {
            n == self.nest && doc_type::pairs(ty, fam) && doc_type::owners_pair(o, owner)
        }) {
            return;
        }
        let mut kinds = [None; 4];
        let mut n = 0;
        doc_type::lookback_kinds(&self.text, self.findings.len() > fb, |k| {
            if n < kinds.len() {
                kinds[n] = Some(k);
                n += 1;
            }
        });
        if n == 0 {
            return;
        }
        // Held values too far back for a type to be read for them, however the body was
        // cut (`bound_lookback` sees them only between chunks), then the oldest, make room.
        self.bound_lookback(raw_end);
        if self.lookback.len() >= HELD_MAX {
            self.resolve_lookback(0);
        }
        let own = Reading {
            edits: self.edits.drain(eb..).collect(),
            findings: self.findings.split_off(fb),
        };
        // A resolved value's buffers serve the next (one held per record of such a stream).
        let mut seg = self.spare_held.pop().unwrap_or_else(|| HeldSeg {
            kind: SegKind::Text,
            text: Vec::new(),
            map: Vec::new(),
            esc: Vec::new(),
            rawlen: Vec::new(),
            wide_spaces: Vec::new(),
            head: Vec::new(),
            recent: Vec::new(),
            identity: true,
            id_base: 0,
            raw_end: 0,
            seg_raw_start: 0,
            edit_floor: 0,
        });
        seg.kind = self.kind;
        seg.text.clone_from(&self.text);
        seg.map.clone_from(&self.map);
        seg.esc.clone_from(&self.esc);
        seg.rawlen.clone_from(&self.rawlen);
        seg.wide_spaces.clone_from(&self.wide_spaces);
        seg.head.clone_from(&self.head);
        seg.recent.clone_from(&self.recent);
        seg.identity = self.identity;
        seg.id_base = self.id_base;
        seg.raw_end = self.raw_end;
        seg.seg_raw_start = self.seg_raw_start;
        seg.edit_floor = leb;
        self.last_edit_end = leb;
        // From here on every keyed value asks about it (`doc_key`, `note_doc`).
        self.doc_types = true;
        self.lookback.push(Lookback {
            start: self.seg_raw_start,
            end: raw_end,
            fam,
            owner,
            nest: self.nest,
            unsure: None,
            left: doc_type::REACH,
            fresh: true,
            own,
            key: self.key_cache[ix].clone(),
            kinds,
            seg,
        });
    }

    /// The cache index of the field `own` read as a `kind` document's: found, or added at
    /// the end (no entry moves, so the segment's own `key_ix` stays right; past
    /// `KEY_CACHE` the caller makes room: `reading` takes it off again, `doc_entry` drops
    /// the oldest).
    fn derived_ix(&mut self, own: &KeyEntry, kind: DocKind) -> usize {
        if let Some(ix) = self
            .key_cache
            .iter()
            .position(|e| e.derived == Some(kind) && e.raw == own.raw)
        {
            return ix;
        }
        let info = self.engine.key_info_as(own, kind);
        self.key_cache.push(info);
        self.key_cache.len() - 1
    }

    /// Ends the wait of held number field `i` with its own reading (its record has no type
    /// for it, or a type of a document it is not read otherwise as).
    pub(crate) fn resolve_lookback(&mut self, i: usize) {
        if i < self.lookback.len() {
            let l = self.lookback.remove(i);
            self.resolve(l, None);
        }
    }

    /// Ends every held number field's wait with its own reading (the stream ends).
    pub(crate) fn resolve_all_lookback(&mut self) {
        while !self.lookback.is_empty() {
            self.resolve_lookback(0);
        }
    }

    /// Ends a held number field's wait with `reading` (a type field named it) or its own:
    /// its edits and findings go in before the later values'.
    fn resolve(&mut self, l: Lookback, reading: Option<Reading>) {
        let Lookback { end, own, seg, .. } = l;
        if self.spare_held.len() < HELD_MAX {
            self.spare_held.push(seg);
        }
        let reading = reading.unwrap_or(own);
        // From the back: the later values' edits and findings are the last few of what
        // the stream has not emitted (a whole body's, when it came in one chunk).
        let at = self
            .edits
            .iter()
            .rposition(|e| e.start < end)
            .map_or(0, |i| i + 1);
        for (i, e) in reading.edits.into_iter().enumerate() {
            self.last_edit_end = self.last_edit_end.max(e.end);
            self.edits.insert(at + i, e);
        }
        // The later values' findings waited with it (`StreamScanner::run`).
        let at = self
            .findings
            .iter()
            .rposition(|f| f.start < end)
            .map_or(0, |i| i + 1);
        self.findings.splice(at..at, reading.findings);
    }

    /// Where output must stop while number fields wait for their types.
    pub(crate) fn pinned(&self) -> Option<u64> {
        self.lookback.first().map(|l| l.start)
    }

    /// The lexer has read up to `lexed`: a number field held further back than
    /// `LOOKBACK_MAX` takes its own reading (a type that far on would not be read for it).
    pub(crate) fn bound_lookback(&mut self, lexed: u64) {
        while self
            .lookback
            .first()
            .is_some_and(|l| lexed.saturating_sub(l.start) > LOOKBACK_MAX)
        {
            self.resolve_lookback(0);
        }
    }

    /// A record ends (a JSON object, a CSV row, an XML element holding fields) whose values
    /// were at depth `nest` (`set_nest`): what a type field in it said is for its own
    /// number field only, and a number field of it (or of a record inside it) still
    /// waiting for a type has none.
    pub(crate) fn end_record(&mut self, nest: usize) {
        self.doc_ctx.clear();
        if std::mem::take(&mut self.numbered) {
            self.ended_record = self.ended_record.saturating_add(1);
        }
        if self
            .typed
            .is_some_and(|(n, _, _)| usize::try_from(n).map_or(true, |n| nest <= n))
        {
            self.typed = None;
        }
        while let Some(i) = self
            .lookback
            .iter()
            .position(|l| usize::try_from(l.nest).map_or(true, |n| nest <= n))
        {
            self.resolve_lookback(i);
        }
    }

    /// Forgets the context kept for keyword windows (`recent`): a CSV row's cells are judged
    /// under their column's name, and the header row or the rows before say nothing of them
    /// (`zkzh,xm,sfzh` over `330106570624917,…`: `sfzh` names the third column, not the
    /// first). The cells before a value in its own row stay (`身份证,330…` under `zjlx,zjhm`).
    pub(crate) fn forget_context(&mut self) {
        self.recent_base += self.recent.len() as u64;
        self.recent.clear();
    }

    /// Where the context kept for keyword windows stands now, for [`Self::forget_between`].
    pub(crate) fn context_mark(&self) -> u64 {
        self.recent_base + self.recent.len() as u64
    }

    /// A record among its siblings ended, and the next one starts (`[{"note":"出境"},
    /// {"lot":"H20240315"}]`, `<D>…</D><T>护照</T><D>…`): what the first one's values added
    /// between `from` and `to` says nothing of the next one's, while what stood around it
    /// (the parent's fields, text between the records) stays. Returns how many bytes were
    /// dropped: a mark taken after `to` moves back by as many.
    pub(crate) fn forget_between(&mut self, from: u64, to: u64) -> u64 {
        let ix = |m: u64| {
            usize::try_from(m.saturating_sub(self.recent_base))
                .map_or(self.recent.len(), |k| k.min(self.recent.len()))
        };
        let (a, b) = (ix(from), ix(to));
        if a >= b {
            return 0;
        }
        self.recent.drain(a..b);
        (b - a) as u64
    }

    /// A list of records closed: the span its last record's values added (between `from`
    /// and `to`) stays as context for the fields after the list only when it holds no
    /// rule's negative keyword. A keyword of a rule's own in it may still say what the
    /// record around the list holds (`{"tags":[{"t":"护照"}],"code":…}`), but a negative
    /// one is about the list's record, not the parent's (`{"orders":[{"title":"订单号"}],
    /// "remark":"138 0013 8000"}`). Returns how many bytes were dropped, as
    /// [`Self::forget_between`].
    pub(crate) fn forget_negative_between(&mut self, from: u64, to: u64) -> u64 {
        let ix = |m: u64| {
            usize::try_from(m.saturating_sub(self.recent_base))
                .map_or(self.recent.len(), |k| k.min(self.recent.len()))
        };
        let (a, b) = (ix(from), ix(to));
        let negative = a < b
            && self
                .engine
                .detectors
                .any_negative
                .as_ref()
                .is_some_and(|ac| ac.is_match(&self.recent[a..b]));
        if negative {
            self.forget_between(from, to)
        } else {
            0
        }
    }

    /// The segment's field name.
    fn key(&self) -> Option<Arc<str>> {
        self.key_ix.map(|ix| self.key_cache[ix].name.clone())
    }

    /// The shortest value `try_base64` decodes here: [`BASE64_MIN`], or [`BASE64_MIN_FIELD`]
    /// under a field name some rule listens to (names, addresses, passports, permits,
    /// plates; a negative key such as `ts` does not count), where the decoded text is judged
    /// with that field's context.
    fn base64_min(&self) -> usize {
        if self.key_ix.is_some_and(|ix| self.key_cache[ix].listened) {
            BASE64_MIN_FIELD
        } else {
            BASE64_MIN
        }
    }

    /// The field of the value this body was decoded from, if any (see `outer_key`).
    pub(crate) fn outer_key(&self) -> Option<Arc<str>> {
        self.outer_key.clone()
    }

    /// Fast path for a short value that is whole in the lexer's buffer (a JSON string's
    /// content or a bare value, of `kind`, ending at raw offset `raw_end`): returns whether
    /// the value is dealt with; `false` sends it down the full path (`begin`, `plain`,
    /// `end`). `classes` is the union of the value's bytes' classes in the engine's
    /// `QuickTable` (the lexer computes it while finding the value's end).
    ///
    /// A value qualifies when its text is its raw bytes (no character normalization would
    /// change it), it is not a nested document, a URL-escaped value or base64 that decodes to
    /// text, and it fits in one window. The full path would then run detection once, over
    /// exactly these bytes, with this key's rules, the rolling context and `whole` set. This
    /// path makes the same call straight on the raw bytes, and only when a hit was found
    /// builds the segment (text = the bytes, identity map) to commit it, without detecting
    /// again. When the bytes cannot hold anything (no trigger, no field rule) not even
    /// detection runs. The chunking property tests hold the two paths to the same results.
    /// The caller takes the value itself as the last head (the full path's `last_head`,
    /// which is the same bytes when the value is unchanged by normalization).
    ///
    /// The common case (a short value with no field name and nothing to look for: `"ok"`,
    /// `true`, `12`) is decided here, inlined into the lexer; the rest in `settle`.
    #[inline(always)]
    pub(crate) fn quick(
        &mut self,
        kind: SegKind,
        raw_end: u64,
        content: &[u8],
        classes: u32,
        key: Option<&[u8]>,
    ) -> bool {
        let d = &self.engine.detectors;
        let mut flags = None;
        if key.is_none()
            && content.len() < BASE64_MIN
            && content.len() < self.engine.window
            && classes & crate::detect::Q_NORM == 0
            && d.unanchored.is_none()
        {
            let trig = (classes & 0xFF) as u8;
            let f = if trig == 0 {
                0
            } else {
                d.gate_flags(trig, content)
            };
            flags = Some(f);
            let nothing = d.nothing_possible(f, content.len(), &[])
                && (f & crate::detect::TRIG_PERCENT == 0 || !has_percent_escape(content));
            if nothing
                && (self.mentioned.is_empty() || content.is_ascii())
                && !matches!(content.trim_ascii_start().first(), Some(b'{' | b'[' | b'<'))
                && classes & (crate::detect::Q_LINE | crate::detect::Q_LT) == 0
            {
                self.key_ix = None;
                self.doc_note = false;
                self.remember(content, classes & crate::detect::Q_MARK != 0);
                self.hold_from = raw_end;
                return true;
            }
        }
        self.settle(kind, raw_end, content, classes, key, flags)
    }

    /// [`Segmenter::quick`] for a value whose byte classes the lexer has not computed.
    #[inline]
    pub(crate) fn quick_bytes(
        &mut self,
        kind: SegKind,
        raw_end: u64,
        content: &[u8],
        key: Option<&[u8]>,
    ) -> bool {
        let classes = self.engine.detectors.quick.classes(content);
        self.quick(kind, raw_end, content, classes, key)
    }

    /// The rest of [`Segmenter::quick`]; `flags` are the value's gated trigger bits when
    /// `quick` already computed them.
    #[inline(never)]
    fn settle(
        &mut self,
        kind: SegKind,
        raw_end: u64,
        content: &[u8],
        classes: u32,
        key: Option<&[u8]>,
        flags: Option<u8>,
    ) -> bool {
        let d = &self.engine.detectors;
        // Whole values only: a window-sized value takes the windowed path.
        if content.len() >= QUICK_MAX.min(self.engine.window) {
            return false;
        }
        if classes & crate::detect::Q_NORM != 0 {
            return false;
        }
        let flags = flags.unwrap_or_else(|| match (classes & 0xFF) as u8 {
            0 => 0,
            trig => d.gate_flags(trig, content),
        });
        // The full path decodes URL escapes in a whole value (`percent_decode`) ...
        if flags & crate::detect::TRIG_PERCENT != 0 && has_percent_escape(content) {
            return false;
        }
        // ... and HTML character references (`entity_decode`) ...
        if classes & crate::detect::Q_AMP != 0 && has_char_ref(content) {
            return false;
        }
        // ... and drops formatting tags (`drop_tags`) ...
        if classes & crate::detect::Q_LT != 0 && has_formatting_tag(content) {
            return false;
        }
        // ... and a value that opens like a document, a table or a record row as one
        // (`try_nested`, which asks about the value without the spaces and line breaks
        // around it: `"\r\n3,张三,…"` is a record row there, so it must be one here) ...
        let trimmed = content.trim_ascii();
        if matches!(trimmed.first(), Some(b'{' | b'[' | b'<'))
            || quoted_document(trimmed)
            || (classes & crate::detect::Q_LINE != 0 && self.embedded_table(trimmed))
            || (classes & crate::detect::Q_DELIM != 0
                && classes & u32::from(crate::detect::TRIG_DIGIT) != 0
                && format::csv::record_line(trimmed)
                && !crate::detect::mybatis_line(trimmed))
        {
            return false;
        }
        self.resolve_key(key);
        // ... and scans what a base64 value decodes to (`try_base64`): never a digit run
        // (a number) nor a value with a byte outside the alphabets (most text), which the
        // byte classes tell without a look.
        let b64_min = self.base64_min();
        if content.len() >= b64_min
            && classes & crate::detect::Q_NOT_B64 == 0
            && classes & crate::detect::Q_B64_NOT_HEX != 0
            && base64_text(content, b64_min)
        {
            return false;
        }
        // ... and base64 tokens inside the text (`try_base64_tokens`), which hold a base64
        // character that is no hex digit ...
        if content.len() > BASE64_MIN_FIELD
            && classes & crate::detect::Q_B64_NOT_HEX != 0
            && self.has_base64_token(content)
        {
            return false;
        }
        let d = &self.engine.detectors;
        let key_rules = key_rules(&self.key_cache, self.key_ix);
        let possible = !d.nothing_possible(flags, content.len(), key_rules)
            && !d.digit_run_impossible(flags, classes, content, key_rules);
        if possible || (!self.mentioned.is_empty() && !content.is_ascii()) {
            let mut hits = std::mem::take(&mut self.hits);
            hits.clear();
            let ctx = SegCtx {
                key_rules,
                before: &self.recent,
                whole: true,
                continues: false,
                next_from: None,
                wide_spaces: &[],
                generic_key: self.key_ix.is_some_and(|ix| self.key_cache[ix].generic),
                vetoes: self.key_ix.map_or(&[], |ix| &self.key_cache[ix].vetoes),
                number: kind == SegKind::JsonBare,
            };
            // `flags` is `flags(content)`: the trigger bits are the table's low byte.
            if possible {
                d.detect_flagged(content, flags, &ctx, &mut hits, &mut self.scratch);
            }
            // (A name is Han characters, bytes no base64 holds: a value without such a byte,
            // most values with hits, is ASCII and skips the search.)
            if classes & crate::detect::Q_NOT_B64 != 0 {
                self.add_mentions(content, (0, content.len()), &mut hits);
            }
            let found = !hits.is_empty();
            self.hits = hits;
            if found {
                // The full path from here, with the hits just found.
                let raw_start = raw_end - content.len() as u64;
                self.start(kind, raw_start);
                self.push_identity(content, raw_start);
                self.pre_hits = Some(content.len());
                self.end(raw_end);
                return true;
            }
        }
        // A value nothing was found in under a generic number field, shaped like a
        // document's number, may be read otherwise under a type after it: the full path,
        // where `end` holds it when so.
        if self.lookback_field().is_some()
            && (self.type_keys || self.ended_record < QUIET_RECORDS)
            && lookback_shape(content)
        {
            self.numbered = true;
            return false;
        }
        if self.doc_note {
            self.note_doc(content, raw_end);
        }
        self.remember(content, classes & crate::detect::Q_MARK != 0);
        self.hold_from = raw_end;
        true
    }

    /// Whether `content` holds a base64 token [`Self::try_base64_tokens`] would read. Out of
    /// line: `settle` runs on every short value, and most values are no candidate at all.
    #[inline(never)]
    fn has_base64_token(&self, content: &[u8]) -> bool {
        // (A short token's name may be a label in Han characters with no sign after it, so
        // no class bit rules the pairs out.)
        base64_tokens(content, true).next().is_some()
            // A listened name before a short token ends in a sign or a Han character: ASCII
            // without `=` or `:` has none.
            || ((!content.is_ascii() || memchr::memchr2(b'=', b':', content).is_some())
                && pair_tokens(content, |k| self.engine.pair_listened(k))
                    .next()
                    .is_some())
    }

    /// [`Self::remember`] for a value that holds the mark itself (`\u001f`), remembered as
    /// a space so it cannot pass for a name. Out of line: no ordinary value holds one, and
    /// `remember` is on every value's path.
    #[cold]
    #[inline(never)]
    fn remember_unmarked(&mut self, text: &[u8]) {
        let clean: Vec<u8> = text
            .iter()
            .map(|&b| if b == KEY_MARK { b' ' } else { b })
            .collect();
        self.remember(&clean, false);
    }

    /// Keeps the tail of a finished value as context for keyword windows of the next ones.
    #[inline(always)]
    fn remember(&mut self, text: &[u8], holds_mark: bool) {
        // (The caller knows whether the value holds the mark: the lexers' class scan of a
        // short value, a search of a long one.)
        if holds_mark {
            return self.remember_unmarked(text);
        }
        let mut from = text.len().saturating_sub(RECENT);
        while from < text.len() && (text[from] & 0xC0) == 0x80 {
            from += 1;
        }
        // A field's name is set apart by the mark instead of the space (no extra byte).
        self.recent.push(if self.naming { KEY_MARK } else { b' ' });
        self.recent.extend_from_slice(&text[from..]);
        // Trim rarely (amortized), never below the widest context window a rule may ask for,
        // so a window reads the same context whenever the last trim was.
        if self.recent.len() > CONTEXT_KEPT * 2 {
            let mut cut = self.recent.len() - CONTEXT_KEPT;
            while cut < self.recent.len() && (self.recent[cut] & 0xC0) == 0x80 {
                cut += 1;
            }
            self.recent.drain(..cut);
            self.recent_base += cut as u64;
        }
    }

    /// The engine's table for the lexers' short-value scan (`quick`'s `classes`).
    #[inline]
    pub(crate) fn quick_table(&self) -> &crate::detect::QuickTable {
        &self.engine.detectors.quick
    }

    /// The last byte of the open segment's text so far.
    pub(crate) fn last_text_byte(&self) -> Option<u8> {
        self.text.last().copied()
    }

    pub(crate) fn is_active(&self) -> bool {
        self.active
    }

    /// Sets the last head to the first bytes of a value the quick path took (a lexer that
    /// reads names back from `last_head`, as the XML one does for label cells).
    pub(crate) fn set_last_head(&mut self, value: &[u8]) {
        self.last_head.clear();
        self.last_head
            .extend_from_slice(&value[..value.len().min(HEAD)]);
    }

    /// How many findings this stream's values have given so far.
    pub(crate) fn found(&self) -> u64 {
        self.found
    }

    /// The first bytes (normalized) of the last completed segment: how lexers learn key names.
    pub(crate) fn last_head(&self) -> &[u8] {
        &self.last_head
    }

    /// Appends raw bytes that stand for themselves (complete UTF-8 characters, or opaque
    /// bytes), starting at raw offset `raw_start`.
    pub(crate) fn plain(&mut self, mut bytes: &[u8], mut raw_start: u64) {
        while !bytes.is_empty() {
            let room = self.room();
            // Never let a window grow past its size by more than one character: cut plain
            // runs at the window edge (on a character boundary) so windows fall at the same
            // text positions whatever the chunking.
            let mut take = bytes.len().min(room.max(1));
            while take < bytes.len() && take > 0 && (bytes[take] & 0xC0) == 0x80 {
                take -= 1;
            }
            if take == 0 {
                take = normalize::utf8_len(bytes[0]).min(bytes.len());
            }
            let (now, rest) = bytes.split_at(take);
            self.plain_inner(now, raw_start);
            raw_start += take as u64;
            bytes = rest;
            self.maybe_window();
        }
    }

    fn room(&self) -> usize {
        self.engine.window.saturating_sub(self.text.len())
    }

    fn plain_inner(&mut self, bytes: &[u8], raw_start: u64) {
        let mut i = 0;
        while i < bytes.len() {
            // In runs of normalized characters (full-width digits) the next one is usually a
            // candidate too: test its lead byte before starting a search.
            let next = if normalize::may_need_norm(bytes[i]) {
                i
            } else {
                normalize::first_norm_candidate(&bytes[i..]).map_or(bytes.len(), |p| i + p)
            };
            if next > i {
                self.push_identity(&bytes[i..next], raw_start + i as u64);
                i = next;
                continue;
            }
            // Full-width ASCII (U+FF01-U+FF5E, `１２３`): the whole evasion class, folded
            // straight from its three bytes (what `normalize_char` does after decoding).
            if let Some(a) = normalize::fullwidth_ascii(&bytes[i..]) {
                let r = raw_start + i as u64;
                self.push_mapped(char::from(a), r, r + 3, Esc::FullWidth);
                i += 3;
                continue;
            }
            match normalize::decode_char(&bytes[i..]) {
                Some((c, n)) => {
                    let r = raw_start + i as u64;
                    if c == '\u{3000}' {
                        self.note_wide_space();
                    }
                    match normalize::normalize_char(c) {
                        Norm::Same => self.push_identity(&bytes[i..i + n], r),
                        Norm::To(a, fw) => self.push_mapped(
                            a,
                            r,
                            r + n as u64,
                            if fw { Esc::FullWidth } else { Esc::Plain },
                        ),
                        Norm::Drop => self.drop_raw(r + n as u64),
                    }
                    i += n;
                }
                None => {
                    self.push_identity(&bytes[i..i + 1], raw_start + i as u64);
                    i += 1;
                }
            }
        }
    }

    fn push_identity(&mut self, bytes: &[u8], raw_start: u64) {
        if self.identity && raw_start == self.raw_end {
            self.text.extend_from_slice(bytes);
        } else {
            self.materialize();
            // Bulk extends (they vectorize): Chinese text with one full-width comma is mapped
            // byte by byte from there on.
            let n = bytes.len();
            self.text.extend_from_slice(bytes);
            self.map.extend((0..n as u64).map(|k| raw_start + k));
            self.esc.resize(self.esc.len() + n, Esc::Plain);
            self.rawlen.resize(self.rawlen.len() + n, 1);
        }
        self.raw_end = raw_start + bytes.len() as u64;
        self.fill_head();
    }

    /// Appends one decoded character that was written with an escape (`\u0031`, `&#x31;`,
    /// `%31`…) spanning raw `[raw_start, raw_end)`.
    pub(crate) fn decoded(&mut self, c: char, raw_start: u64, raw_end: u64, esc: Esc) {
        if c.is_ascii() {
            // Normalization changes no ASCII character (`\u0031`, `&#49;` are digits).
            self.push_mapped(c, raw_start, raw_end, esc);
            self.maybe_window();
            return;
        }
        if c == '\u{3000}' {
            self.note_wide_space();
        }
        match normalize::normalize_char(c) {
            Norm::Same => self.push_mapped(c, raw_start, raw_end, esc),
            Norm::To(a, fw) => self.push_mapped(
                a,
                raw_start,
                raw_end,
                if fw && esc == Esc::Plain {
                    Esc::FullWidth
                } else {
                    esc
                },
            ),
            Norm::Drop => self.drop_raw(raw_end),
        }
        self.maybe_window();
    }

    /// The space about to be appended was an ideographic space (`wide_spaces`).
    fn note_wide_space(&mut self) {
        if let Ok(at) = u32::try_from(self.text.len()) {
            self.wide_spaces.push(at);
        }
    }

    fn push_mapped(&mut self, c: char, raw_start: u64, raw_end: u64, esc: Esc) {
        self.materialize();
        let rawlen = (raw_end - raw_start).min(255) as u8;
        if c.is_ascii() {
            // Most mapped characters (full-width digits and letters, spaces, dashes).
            self.text.push(c as u8);
            self.map.push(raw_start);
            self.esc.push(esc);
            self.rawlen.push(rawlen);
        } else {
            let mut buf = [0u8; 4];
            for (k, &b) in c.encode_utf8(&mut buf).as_bytes().iter().enumerate() {
                self.text.push(b);
                self.map.push(raw_start);
                self.esc.push(esc);
                self.rawlen.push(if k == 0 { rawlen } else { 0 });
            }
        }
        self.raw_end = raw_end;
        self.fill_head();
    }

    /// A dropped character: its raw bytes join the previous character's raw range.
    fn drop_raw(&mut self, raw_end: u64) {
        if self.text.is_empty() {
            // Nothing to attach to: the dropped bytes are simply before the segment's text.
            self.id_base = raw_end;
            self.map.clear();
            self.esc.clear();
            self.rawlen.clear();
        } else {
            self.materialize();
        }
        self.raw_end = raw_end;
    }

    fn materialize(&mut self) {
        if self.identity {
            self.identity = false;
            let base = self.id_base;
            self.map
                .extend((0..self.text.len() as u64).map(|i| base + i));
            self.esc.resize(self.text.len(), Esc::Plain);
            self.rawlen.resize(self.text.len(), 1);
        }
    }

    fn fill_head(&mut self) {
        if self.windows == 0 && self.head.len() < HEAD {
            let n = (HEAD - self.head.len()).min(self.text.len().saturating_sub(self.head.len()));
            let from = self.head.len();
            self.head.extend_from_slice(&self.text[from..from + n]);
        }
    }

    fn raw_at(&self, i: usize) -> u64 {
        if i >= self.text.len() {
            self.raw_end
        } else if self.identity {
            self.id_base + i as u64
        } else {
            self.map[i]
        }
    }

    fn esc_at(&self, i: usize) -> Esc {
        if self.identity {
            Esc::Plain
        } else {
            self.esc[i]
        }
    }

    fn maybe_window(&mut self) {
        if self.text.len() >= self.engine.window {
            self.process(false);
        }
    }

    /// Ends the segment; its last content byte ended at `raw_end`.
    pub(crate) fn end(&mut self, raw_end: u64) {
        if !self.active {
            return;
        }
        self.raw_end = self.raw_end.max(raw_end);
        let mark = self.lookback_field().map(|(ix, fam)| {
            (
                ix,
                fam,
                self.edits.len(),
                self.findings.len(),
                self.last_edit_end,
            )
        });
        self.process(true);
        if let Some(mark) = mark {
            self.lookback(mark, raw_end);
        }
        if self.doc_note {
            // A value longer than a window is no type's name.
            let text = std::mem::take(&mut self.text);
            self.note_doc(if self.windows == 0 { &text } else { &[] }, raw_end);
            self.text = text;
        }
        for l in &mut self.lookback {
            l.fresh = false;
        }
        // `begin` clears `head`: hand its buffer over instead of copying it.
        std::mem::swap(&mut self.last_head, &mut self.head);
        // Rolling context for keyword windows across neighbouring values.
        let text = std::mem::take(&mut self.text);
        self.remember(&text, memchr::memchr(KEY_MARK, &text).is_some());
        self.text = text;
        self.text.clear();
        self.map.clear();
        self.esc.clear();
        self.rawlen.clear();
        self.active = false;
        self.hold_from = raw_end;
    }

    /// Runs detection over the current window and commits what is certain.
    fn process(&mut self, last: bool) {
        let len = self.text.len();
        let mut commit = if last {
            len
        } else {
            let mut c = len.saturating_sub(self.engine.margin);
            while c > 0 && (self.text[c] & 0xC0) == 0x80 {
                c -= 1;
            }
            c
        };
        let whole = last && self.windows == 0;
        let mut hits = std::mem::take(&mut self.hits);
        // Hits `quick` found in these very bytes (a whole value whose text is its raw bytes).
        let pre = self.pre_hits.take() == Some(len) && whole && self.identity;
        if !pre {
            hits.clear();
        }
        // The stream's reusable buffer (no allocation per value with findings).
        let mut seg_edits = std::mem::take(&mut self.seg_edits);
        seg_edits.clear();
        // A value `quick` found hits in is neither a nested document nor URL-escaped (it
        // sends those down this path before detecting), so both checks are skipped for it.
        if !pre && whole && self.depth < 2 && self.try_nested(&mut seg_edits) {
            for e in seg_edits.drain(..) {
                self.last_edit_end = e.end;
                self.edits.push_back(e);
            }
            self.seg_edits = seg_edits;
            self.hits = hits;
            self.hold_from = self.raw_end;
            return;
        }
        // A text's `\u` escapes first: a URL escape may be written under them (a logged
        // JSON body whose string was URL-encoded), never the other way round.
        let json_u = !pre && whole && self.json_u_decode();
        if (!pre && whole && (self.percent_decode() || self.entity_decode())) || json_u {
            commit = self.text.len();
        }
        if !pre && whole && self.drop_tags() {
            commit = self.text.len();
        }
        // Where the next window will start: `commit` less a margin, on a character.
        let next_from = (!last).then(|| {
            let mut keep = commit.saturating_sub(self.engine.margin);
            while keep > 0 && (self.text[keep] & 0xC0) == 0x80 {
                keep -= 1;
            }
            keep
        });
        if !pre {
            let ctx = SegCtx {
                key_rules: key_rules(&self.key_cache, self.key_ix),
                before: &self.recent,
                whole,
                continues: self.windows > 0,
                next_from,
                wide_spaces: &self.wide_spaces,
                generic_key: self.key_ix.is_some_and(|ix| self.key_cache[ix].generic),
                vetoes: self.key_ix.map_or(&[], |ix| &self.key_cache[ix].vetoes),
                number: self.kind == SegKind::JsonBare,
            };
            self.engine
                .detectors
                .detect(&self.text, &ctx, &mut hits, &mut self.scratch);
            self.add_mentions(&self.text, (self.ignore_before, commit), &mut hits);
        }
        // A header block's encoded words are read as what they say (below), not as the
        // base64 or `=XX` they are written in.
        // A run that does not decode (a charset it cannot read, a broken escape) is left to
        // the text's own detection.
        let headers = whole && self.kind == SegKind::Headers && self.depth < 3;
        let words: Vec<_> = if headers {
            format::multipart::encoded_word_runs(&self.text)
                .into_iter()
                .filter_map(|(s, e)| {
                    format::multipart::decode_run(&self.text[s..e]).map(|(t, st)| (s, e, t, st))
                })
                .collect()
        } else {
            Vec::new()
        };
        let runs: Vec<(usize, usize)> = words.iter().map(|w| (w.0, w.1)).collect();
        if !runs.is_empty() {
            hits.retain(|h| !runs.iter().any(|&(s, e)| h.start < e && s < h.end));
        }
        let first_finding = self.findings.len();
        for h in hits.iter() {
            if h.start < self.ignore_before || h.start >= commit {
                continue;
            }
            self.commit_hit(h, &mut seg_edits);
        }
        if headers {
            self.header_values(words, first_finding, &mut seg_edits);
        }
        // A value that is base64 whole (MIME lines included) is read as one.
        let base64_whole =
            whole && self.depth < 3 && hits.is_empty() && self.try_base64(&mut seg_edits);
        // `settle` looked for tokens in the values it sends here with their hits (`pre`).
        if !pre && !base64_whole && self.depth < 3 && self.kind != SegKind::JsonBare {
            self.try_base64_tokens(&hits, &runs, commit, last, first_finding, &mut seg_edits);
        }
        self.hits = hits;
        if self.kind == SegKind::JsonBare && !seg_edits.is_empty() && last && self.windows == 0 {
            seg_edits = self.quote_bare(std::mem::take(&mut seg_edits));
        }
        for e in seg_edits.drain(..) {
            self.last_edit_end = e.end;
            self.edits.push_back(e);
        }
        self.seg_edits = seg_edits;
        if last {
            self.hold_from = self.raw_end;
            return;
        }
        self.windows += 1;
        let keep = next_from.unwrap_or(0);
        self.hold_from = self.raw_at(commit);
        if !self.identity {
            self.map.drain(..keep);
            self.esc.drain(..keep);
            self.rawlen.drain(..keep);
        } else {
            self.id_base += keep as u64;
        }
        self.text.drain(..keep);
        let keep32 = u32::try_from(keep).unwrap_or(u32::MAX);
        self.wide_spaces.retain(|&p| p >= keep32);
        for p in &mut self.wide_spaces {
            *p -= keep32;
        }
        self.ignore_before = commit - keep;
    }

    /// Whether hit `h` in `text` is a name found in the text rather than as the whole of a
    /// person's field: the name rule's, not a rule the segment's key names, and two to four
    /// Han characters (a name in parts or in Latin letters is not looked for again).
    #[inline]
    fn prose_name(&self, text: &[u8], h: &Hit) -> bool {
        let n = h.end - h.start;
        (6..=12).contains(&n)
            && n.is_multiple_of(3)
            && text[h.start..h.end]
                .chunks(3)
                .all(|c| matches!(c[0], 0xE3..=0xE9))
            && self.engine.detectors.by_det[crate::detect::Det::PersonName as usize]
                .contains(&h.rule)
            && !key_rules(&self.key_cache, self.key_ix).contains(&h.rule)
    }

    /// Adds a hit for each later mention of a name the stream's text held before
    /// (`mentioned`), or that `text` holds before it (its own `hits` so far), where no hit
    /// is yet: a name runs into the words after it as often as not (`原告乔慧与被告周敏民间
    /// 借贷纠纷一案`), and a second mention seldom has the label or role word the first had.
    /// The names are the first [`MENTIONED_MAX`] of the stream in the body's order, and a
    /// mention counts only after its name's first finding ends, so the hits are the same for
    /// every chunking of the body.
    /// `committed` is where the hits this window commits start: a name outside it (found
    /// again in the kept margin, or to be committed by the next window) counts only once
    /// committed. A field's name (a JSON key) is no place for a mention.
    fn add_mentions(&self, text: &[u8], committed: (usize, usize), hits: &mut Vec<Hit>) {
        if self.naming || text.is_ascii() {
            return;
        }
        let mut names: Vec<(&[u8], u32, usize)> = self
            .mentioned
            .iter()
            .map(|(n, r)| (&n[..], *r, 0))
            .collect();
        for h in hits.iter() {
            if names.len() < MENTIONED_MAX
                && (committed.0..committed.1).contains(&h.start)
                && self.prose_name(text, h)
            {
                let name = &text[h.start..h.end];
                if !names.iter().any(|(n, _, _)| *n == name) {
                    names.push((name, h.rule, h.end));
                }
            }
        }
        if names.is_empty() {
            return;
        }
        let before = hits.len();
        for (name, rule, from) in names {
            for p in memchr::memmem::find_iter(&text[from..], name) {
                let (s, e) = (from + p, from + p + name.len());
                // Two characters are also a word's or a place's (高峰 in 早晚高峰出行, 高新 in
                // 高新区, 王府 in 王府井): such a name counts only standing apart, with no Han
                // character joined to it on either side but a word that follows or leads to
                // a name (原告乔慧与…, 诉称, 向…), or after a party's word (`被告周敏民间借贷纠纷`:
                // the role says it is a person).
                if name.len() == 6
                    && !(text[..s].ends_with("告".as_bytes())
                        || text[..s].ends_with("人".as_bytes())
                        || (mention_edge(text, s, true) && mention_edge(text, e, false)))
                {
                    continue;
                }
                if !hits.iter().any(|h| h.start < e && s < h.end) {
                    hits.push(Hit {
                        rule,
                        start: s,
                        end: e,
                        confidence: Confidence::Medium,
                    });
                }
            }
        }
        if hits.len() > before {
            hits.sort_by_key(|h| h.start);
        }
    }

    fn commit_hit(&mut self, h: &Hit, seg_edits: &mut Vec<Edit>) {
        let start = self.raw_at(h.start);
        if start < self.last_edit_end || seg_edits.last().is_some_and(|e| start < e.end) {
            return;
        }
        if self.mentioned.len() < MENTIONED_MAX && self.prose_name(&self.text, h) {
            let name = &self.text[h.start..h.end];
            if !self.mentioned.iter().any(|(n, _)| &n[..] == name) {
                self.mentioned.push((name.into(), h.rule));
            }
        }
        let end = self.char_raw_end(h.end);
        let rule = &self.engine.rules[h.rule as usize];
        let raw_value = &self.text[h.start..h.end];
        let value_str = match std::str::from_utf8(raw_value) {
            Ok(v) => std::borrow::Cow::Borrowed(v),
            Err(_) => String::from_utf8_lossy(raw_value),
        };
        let disposition = match (&self.opts.decide, self.opts.redact) {
            (_, false) => Disposition::Report,
            (Some(d), true) => d.decide(rule),
            (None, true) => Disposition::Redact(rule.default_transform.clone()),
        };
        let applied = match &disposition {
            Disposition::Report | Disposition::Redact(Transform::Keep) => Applied::Reported,
            Disposition::Redact(Transform::Mask(_)) => Applied::Masked,
            Disposition::Redact(Transform::Label(_)) => Applied::Labelled,
            Disposition::Redact(Transform::Token) => Applied::Tokenized,
        };
        // The masked sample every finding carries; a redaction with the same mask on a value
        // written plainly is that very string (see `plain_mask`), so it is rendered once.
        let mut masked = None;
        if let Disposition::Redact(t) = &disposition {
            let mut buf = std::mem::take(&mut self.mask_buf);
            if self.plain_mask(
                t,
                &value_str,
                matches!(value_str, std::borrow::Cow::Borrowed(_)),
                &mut buf,
            ) {
                // Rendered into the stream's buffer; one shared string serves the edit and,
                // when the sample is the same mask, the finding.
                if *t == rule.sample_transform {
                    let text = SmolStr::new(buf.as_str());
                    seg_edits.push(Edit {
                        start,
                        end,
                        repl: Repl::Text(text.clone()),
                    });
                    masked = Some(text);
                } else {
                    seg_edits.push(Edit::bytes(start, end, buf.as_bytes().to_vec()));
                }
                self.mask_buf = buf;
            } else {
                self.mask_buf = buf;
                let chars: Vec<char> = value_str.chars().collect();
                if let Some(r) = t.render(&chars, &rule.class, &self.engine.token_key) {
                    let pieces = self.render_pieces(h.start, h.end, &r);
                    seg_edits.push(Edit::pieces(start, end, pieces));
                }
            }
            // A JSON member's number in text (a record split over an event stream's `data:`
            // lines, a logged payload): its mask is no number, so it is written as a string
            // for the document to stay JSON, as the JSON lexer writes a bare value's.
            if matches!(self.kind, SegKind::Text | SegKind::Part)
                && json_member_number(&self.text, h.start, h.end)
            {
                if let Some(ed) = seg_edits.pop() {
                    if ed.start == start {
                        let mut pieces = vec![Piece::Bytes(b"\"".to_vec())];
                        pieces.extend(ed.into_pieces());
                        pieces.push(Piece::Bytes(b"\"".to_vec()));
                        seg_edits.push(Edit::pieces(start, end, pieces));
                    } else {
                        seg_edits.push(ed);
                    }
                }
            }
        }
        let fingerprint = crate::transform::fingerprint(&rule.fp, &self.text[h.start..h.end]);
        let masked =
            masked.unwrap_or_else(|| SmolStr::from(rule.sample_transform.apply_to_str(&value_str)));
        self.found += 1;
        self.findings.push(Finding {
            rule_id: rule.id.clone(),
            rule_index: h.rule as usize,
            class: rule.class.clone(),
            grade: rule.grade.clone(),
            start,
            end,
            confidence: h.confidence,
            field: self.key(),
            applied,
            masked,
            fingerprint,
            value: self.opts.capture_values.then(|| value_str.into_owned()),
        });
    }

    /// A mask over a value written plainly (the segment maps 1:1 onto raw bytes, the value is
    /// valid UTF-8, and the mask character needs no escaping in this format) renders to the
    /// same bytes as the per-character path: kept characters are their raw bytes, masked ones
    /// the mask character. That is most findings, and this costs one string instead of a
    /// character vector, a rendering vector and a piece per run.
    /// Renders into `out` and returns `true` when it applies.
    fn plain_mask(&self, t: &Transform, v: &str, valid_utf8: bool, out: &mut String) -> bool {
        let Transform::Mask(m) = t else {
            return false;
        };
        if !self.identity || !valid_utf8 {
            return false;
        }
        let plain = match self.plain_char.get() {
            Some((kind, c, plain)) if kind == self.kind && c == m.mask_char => plain,
            _ => {
                let mut enc = Vec::with_capacity(8);
                self.encode_char(m.mask_char, Esc::Plain, &mut enc);
                let mut b = [0u8; 4];
                let plain = enc == m.mask_char.encode_utf8(&mut b).as_bytes();
                self.plain_char.set(Some((self.kind, m.mask_char, plain)));
                plain
            }
        };
        if !plain {
            return false;
        }
        crate::transform::mask_into(v, m, out);
        true
    }

    /// Raw end of the text up to `end`. While the text maps 1:1 onto raw bytes the text ends
    /// where its last byte does: raw bytes after it that were not text (the `]]>` closing a
    /// CDATA section) belong to no character and must survive a mask that ends the value.
    fn char_raw_end(&self, end: usize) -> u64 {
        if self.identity {
            return self.id_base + end.min(self.text.len()) as u64;
        }
        // Mapped text: the renderings keep the bytes between characters (`render_pieces`).
        self.raw_at(end)
    }

    /// The character at text index `i` (cut at `end`): its length in text bytes, its raw
    /// start, the end of its own raw bytes, and where the next character's raw bytes start
    /// (or the text's raw end). Between the last two lies a gap (a CDATA seam, a dropped
    /// character) that renderings keep; text that maps 1:1 onto raw bytes has none, not even
    /// after its last character (see `char_raw_end`).
    fn char_span(&self, i: usize, end: usize) -> (usize, u64, u64, u64) {
        let n = normalize::decode_char(&self.text[i..])
            .map_or(1, |(_, n)| n)
            .min(end - i);
        let rs = self.raw_at(i);
        let own = if self.identity {
            n as u64
        } else {
            self.rawlen[i..i + n].iter().map(|&x| u64::from(x)).sum()
        };
        (n, rs, rs + own, self.char_raw_end(i + n))
    }

    fn render_pieces(&self, start: usize, end: usize, r: &Rendered) -> Vec<Piece> {
        let mut pieces = Vec::new();
        match r {
            Rendered::Whole(label) => {
                let mut out = Vec::new();
                for c in label.chars() {
                    self.encode_char(c, Esc::Plain, &mut out);
                }
                return self.whole_pieces(start, end, out);
            }
            Rendered::PerChar(v) => {
                let mut i = start;
                let mut k = 0;
                let mut buf = Vec::new();
                while i < end {
                    let (n, rs, own, re) = self.char_span(i, end);
                    match v.get(k).copied().flatten() {
                        None => {
                            if !buf.is_empty() {
                                pieces.push(Piece::Bytes(std::mem::take(&mut buf)));
                            }
                            match pieces.last_mut() {
                                Some(Piece::Raw(_, e)) if *e == rs => *e = re,
                                _ => pieces.push(Piece::Raw(rs, re)),
                            }
                        }
                        Some(c) => {
                            self.encode_char(c, self.esc_at(i), &mut buf);
                            if own < re {
                                pieces.push(Piece::Bytes(std::mem::take(&mut buf)));
                                pieces.push(Piece::Raw(own, re));
                            }
                        }
                    }
                    i += n;
                    k += 1;
                }
                if !buf.is_empty() {
                    pieces.push(Piece::Bytes(buf));
                }
            }
        }
        pieces
    }

    /// The pieces of a replacement written as `out` over the whole of `start..end`: bytes
    /// between the characters and after the last one are markup (a CDATA seam
    /// `]]><![CDATA[`, the `]]>` that ends a section) and must survive a replacement of the
    /// whole value; they follow it.
    fn whole_pieces(&self, start: usize, end: usize, out: Vec<u8>) -> Vec<Piece> {
        let mut pieces = vec![Piece::Bytes(out)];
        let mut i = start;
        while i < end {
            let (n, _, own, next) = self.char_span(i, end);
            if own < next {
                pieces.push(Piece::Raw(own, next));
            }
            i += n;
        }
        pieces
    }

    /// Whether every character of `start..end` is written as its own bytes (no escape, no
    /// folding).
    fn plain_span(&self, start: usize, end: usize) -> bool {
        if self.identity {
            return true;
        }
        let mut i = start;
        while i < end {
            let (n, rs, own, _) = self.char_span(i, end);
            if self.esc_at(i) != Esc::Plain || own - rs != n as u64 {
                return false;
            }
            i += n;
        }
        true
    }

    /// Writes a replacement character the way the original was written, valid for the
    /// segment's format.
    fn encode_char(&self, c: char, esc: Esc, out: &mut Vec<u8>) {
        use std::io::Write;
        // Every byte of a quoted-printable part is in its transfer encoding, written
        // plainly or not.
        let esc = match (esc, self.kind) {
            (Esc::Plain | Esc::Other, SegKind::PartQp) => Esc::Qp,
            (Esc::Plain | Esc::Other, SegKind::PartQpGb) => Esc::QpGb,
            _ => esc,
        };
        match esc {
            Esc::JsonU if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
                return;
            }
            Esc::XmlHex => {
                let _ = write!(out, "&#x{:X};", c as u32);
                return;
            }
            Esc::XmlDec => {
                let _ = write!(out, "&#{};", c as u32);
                return;
            }
            Esc::Percent | Esc::Percent2 => {
                let twice = if esc == Esc::Percent2 { "25" } else { "" };
                let mut b = [0u8; 4];
                for x in c.encode_utf8(&mut b).bytes() {
                    let _ = write!(out, "%{twice}{x:02X}");
                }
                return;
            }
            Esc::PercentGb | Esc::PercentGb2 => {
                let twice = if esc == Esc::PercentGb2 { "25" } else { "" };
                let mut b = [0u8; 4];
                let mut gb = Vec::with_capacity(4);
                crate::charset::Codec::Gb18030
                    .encode_into(c.encode_utf8(&mut b).as_bytes(), &mut gb);
                for x in gb {
                    let _ = write!(out, "%{twice}{x:02X}");
                }
                return;
            }
            Esc::Qp | Esc::QpGb | Esc::QpSoft | Esc::QpGbSoft => {
                let mut b = [0u8; 4];
                let mut bytes = Vec::with_capacity(4);
                if matches!(esc, Esc::QpGb | Esc::QpGbSoft) {
                    crate::charset::Codec::Gb18030
                        .encode_into(c.encode_utf8(&mut b).as_bytes(), &mut bytes);
                } else {
                    bytes.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
                }
                for x in bytes {
                    if (0x21..=0x7E).contains(&x) && x != b'=' {
                        out.push(x);
                    } else {
                        let _ = write!(out, "={x:02X}");
                    }
                }
                if matches!(esc, Esc::QpSoft | Esc::QpGbSoft) {
                    out.extend_from_slice(b"=\r\n");
                }
                return;
            }
            Esc::PercentU if (c as u32) < 0x10000 => {
                let _ = write!(out, "%u{:04X}", c as u32);
                return;
            }
            Esc::FullWidth if ('!'..='~').contains(&c) => {
                if let Some(f) = char::from_u32(c as u32 + 0xFEE0) {
                    let mut b = [0u8; 4];
                    out.extend_from_slice(f.encode_utf8(&mut b).as_bytes());
                    return;
                }
            }
            _ => {}
        }
        let mut b = [0u8; 4];
        let s = c.encode_utf8(&mut b);
        match self.kind {
            SegKind::JsonString | SegKind::JsonBare => match c {
                '"' => out.extend_from_slice(b"\\\""),
                '\\' => out.extend_from_slice(b"\\\\"),
                c if (c as u32) < 0x20 => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                _ => out.extend_from_slice(s.as_bytes()),
            },
            // Quotes need no escape in text, and a text node may be a CDATA section, where
            // `&quot;` would be four characters of the value.
            SegKind::XmlText => match c {
                '<' => out.extend_from_slice(b"&lt;"),
                '>' => out.extend_from_slice(b"&gt;"),
                '&' => out.extend_from_slice(b"&amp;"),
                _ => out.extend_from_slice(s.as_bytes()),
            },
            SegKind::XmlAttr => match c {
                '<' => out.extend_from_slice(b"&lt;"),
                '>' => out.extend_from_slice(b"&gt;"),
                '&' => out.extend_from_slice(b"&amp;"),
                '"' => out.extend_from_slice(b"&quot;"),
                '\'' => out.extend_from_slice(b"&apos;"),
                _ => out.extend_from_slice(s.as_bytes()),
            },
            SegKind::XmlCdata => match c {
                '>' => out.push(b'_'),
                _ => out.extend_from_slice(s.as_bytes()),
            },
            SegKind::CsvQuoted => match c {
                '"' => out.extend_from_slice(b"\"\""),
                _ => out.extend_from_slice(s.as_bytes()),
            },
            SegKind::CsvBare => match c {
                ',' | '"' | '\r' | '\n' => out.push(b' '),
                _ => out.extend_from_slice(s.as_bytes()),
            },
            SegKind::Form => {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~' | '*') {
                    out.push(c as u8);
                } else {
                    for x in s.bytes() {
                        let _ = write!(out, "%{x:02X}");
                    }
                }
            }
            SegKind::Text
            | SegKind::Part
            | SegKind::PartQp
            | SegKind::PartQpGb
            | SegKind::Headers => out.extend_from_slice(s.as_bytes()),
        }
    }

    /// A JSON number (or other bare token) cannot hold a mask: the redacted token is written
    /// as a string instead, so the body stays valid JSON.
    fn quote_bare(&self, edits: Vec<Edit>) -> Vec<Edit> {
        let len = self.text.len();
        let mut s = 0;
        while s < len && self.text[s].is_ascii_whitespace() {
            s += 1;
        }
        let mut e = len;
        while e > s && self.text[e - 1].is_ascii_whitespace() {
            e -= 1;
        }
        // Only a number (separated, or closed by an ID's check `X`) is a token that quotes
        // make a string of; other bare bytes are a body that is not JSON at all (text the
        // lexer reads as garbage), which the masks alone must leave as it was.
        if !self.text[s..e]
            .iter()
            .all(|b| b.is_ascii_digit() || b" \t+-.eExX".contains(b))
        {
            return edits;
        }
        let (rs, re) = (self.raw_at(s), self.raw_at(e));
        if edits.first().is_some_and(|x| x.start < rs) || edits.last().is_some_and(|x| x.end > re) {
            return edits;
        }
        let mut pieces = vec![Piece::Bytes(b"\"".to_vec())];
        let mut pos = rs;
        for ed in edits {
            if ed.start > pos {
                pieces.push(Piece::Raw(pos, ed.start));
            }
            pos = ed.end;
            pieces.extend(ed.into_pieces());
        }
        if pos < re {
            pieces.push(Piece::Raw(pos, re));
        }
        pieces.push(Piece::Bytes(b"\"".to_vec()));
        vec![Edit::pieces(rs, re, pieces)]
    }

    /// A value that is itself a JSON or XML document (stringified JSON in a JSON field, a
    /// JSON payload in a SOAP CDATA section) is scanned with its own lexer, so its escapes
    /// and keys count. Returns whether it was handled that way.
    fn try_nested(&mut self, seg_edits: &mut Vec<Edit>) -> bool {
        if matches!(
            self.kind,
            SegKind::Text | SegKind::JsonBare | SegKind::Headers
        ) {
            return false;
        }
        // Normalization folded full-width punctuation into ASCII (`，` to `,`), which in the
        // cells of a table whose header is written with ASCII delimiters (`已核实，无误`)
        // would read as delimiters and give a row more cells than its header: the nested
        // scan sees a space where such a full-width character was, so the table is still
        // one. Offsets stay those of the segment's text.
        let restored = self.unfold_delimiters();
        let t = restored.as_deref().unwrap_or(&self.text).trim_ascii();
        let format = match (t.first(), t.last()) {
            (Some(b'{'), Some(b'}')) | (Some(b'['), Some(b']')) if t.len() >= 2 => Format::Json,
            _ if quoted_document(t) => Format::Json,
            (Some(b'<'), Some(b'>')) if t.len() >= 3 && format::opens_markup(t) => Format::Xml,
            // A record row is judged as written: prose whose full-width commas became `,`
            // (most remarks) is not asked.
            // A MyBatis `Row:` or `Parameters:` line is a row of its statement's columns,
            // which the detectors keep from an earlier value.
            _ if self.embedded_table(t)
                || (self.identity
                    && format::csv::record_line(t)
                    && !crate::detect::mybatis_line(t)) =>
            {
                Format::Csv
            }
            _ => return false,
        };
        let mut inner_opts = self.opts.clone();
        inner_opts.format = format;
        // The value is decoded text already.
        inner_opts.charset = Charset::Utf8;
        let unfolded = restored.is_some();
        let text = restored.unwrap_or_else(|| self.text.clone());
        let (findings, edits) = self
            .engine
            .scan_edits_at_depth(&text, inner_opts, self.depth + 1);
        for mut f in findings {
            f.start = self.raw_at(f.start as usize);
            f.end = self.char_raw_end(f.end as usize);
            if f.field.is_none() {
                f.field = self.key();
            }
            self.found += 1;
            self.findings.push(f);
        }
        // Each of the inner scan's edits replaces its own characters only, so what lies
        // between them keeps its raw bytes: the markup of a CDATA section around a JSON
        // payload, escapes the inner scan left alone.
        for (s, e, bytes) in edits {
            let (s, e) = (s as usize, (e as usize).min(text.len()));
            if s >= e {
                continue;
            }
            let start = self.raw_at(s);
            if seg_edits.last().is_some_and(|x| start < x.end) {
                continue;
            }
            let label = String::from_utf8_lossy(&bytes).into_owned();
            // In a quoted-printable part a mask as long as the value takes each character's
            // place, so the soft line breaks between them stay where they were and no line
            // grows past its limit.
            // Where the nested scan saw a space for a full-width delimiter, a mask that keeps
            // the character writes the character back as it was (`北京市，朝阳****`): it is
            // rendered character by character, the kept ones from their raw bytes.
            // In a CDATA section the inner document is written as it is: its redacted bytes
            // (`&#x31;` kept before a mask, markup between) go back unescaped.
            if self.cdata && self.kind == SegKind::XmlText && self.plain_span(s, e) {
                let pieces = self.whole_pieces(s, e, bytes);
                seg_edits.push(Edit::pieces(start, self.char_raw_end(e), pieces));
                continue;
            }
            let qp = matches!(self.kind, SegKind::PartQp | SegKind::PartQpGb);
            let per_char = qp || unfolded;
            let orig: Vec<char> = if per_char {
                String::from_utf8_lossy(&text[s..e]).chars().collect()
            } else {
                Vec::new()
            };
            let rendered = if per_char && label.chars().count() == orig.len() {
                crate::transform::Rendered::PerChar(
                    label
                        .chars()
                        .zip(&orig)
                        .map(|(c, &o)| (c != o).then_some(c))
                        .collect(),
                )
            } else {
                crate::transform::Rendered::Whole(label)
            };
            let pieces = self.render_pieces(s, e, &rendered);
            seg_edits.push(Edit::pieces(start, self.char_raw_end(e), pieces));
        }
        true
    }

    /// The segment's text with the delimiters that were full-width characters (`，` `；`
    /// `｜`, folded by normalization) turned back into spaces; `None` when it holds none.
    fn unfold_delimiters(&self) -> Option<Vec<u8>> {
        // A table in a value has lines; a one-line record row is judged only when the text
        // is its raw bytes (`try_nested`), so most values (a remark whose `，` was folded)
        // leave here.
        if self.identity || memchr::memchr3(b',', b';', b'|', &self.text).is_none() {
            return None;
        }
        let nl = memchr::memchr(b'\n', &self.text)?;
        // The character's own raw bytes (not the gap to the next one, which also holds
        // characters normalization dropped: a soft hyphen, a soft line break).
        // In a quoted-printable part (a CSV file posted so) the character came as escapes:
        // an ASCII delimiter is one (`=2C`, in a GB part too), a full-width one three
        // (`=EF=BC=8C`; two in a GB part), with any soft line break between them.
        let folded = |i: usize| {
            let raw = self.rawlen.get(i).copied().unwrap_or(0);
            match self.esc_at(i) {
                Esc::Plain | Esc::FullWidth => raw == 3,
                Esc::Qp | Esc::QpSoft | Esc::QpGb | Esc::QpGbSoft => raw > 3,
                _ => false,
            }
        };
        // A table written with full-width delimiters throughout (`姓名，电话\n张伟，138…`)
        // is read with them: only a header with a delimiter written in ASCII says that the
        // full-width ones in its rows are text.
        if !memchr::memchr3_iter(b',', b';', b'|', &self.text[..nl]).any(|i| !folded(i)) {
            return None;
        }
        let mut out: Option<Vec<u8>> = None;
        for i in memchr::memchr3_iter(b',', b';', b'|', &self.text) {
            if folded(i) {
                out.get_or_insert_with(|| self.text.clone())[i] = b' ';
            }
        }
        out
    }

    /// A whole value written with URL escapes (`%31%31%30…`, `110105%2019491231%20002X`)
    /// outside a form body, where the lexer has not decoded them: rebuilds the segment from
    /// its raw bytes with the escapes decoded, so detection sees the value, the field name
    /// still gives context, and a mask is written back percent-encoded (`Esc::Percent`). Only
    /// segments whose text is their raw bytes (`identity`), and only when every escape is
    /// valid and the decoded bytes are UTF-8 or GBK text; otherwise the `%` is literal text
    /// (`50%`).
    /// Returns whether the segment was rebuilt.
    fn percent_decode(&mut self) -> bool {
        if matches!(self.kind, SegKind::Form | SegKind::JsonBare) || !has_percent_escape(&self.text)
        {
            return false;
        }
        let mut gbk = false;
        self.rebuild(b'%', |s| match format::form::percent(s, true, &mut gbk) {
            format::form::Pct::Char(c, n, esc) => Some((c, n, esc)),
            _ => None,
        });
        true
    }

    /// A whole value outside markup's own text that holds formatting tags (a JSON string
    /// with search highlighting, `138<em>0013</em>8000`, `<em>110105</em>19491231002X`, or
    /// rich text, `电话 138<b>0013</b>8000`; HTML in a CSV cell or a CDATA section): the tags
    /// leave the text, as the XML lexer goes on through them in an element's text, so
    /// detection reads the value a page shows. Their raw bytes stay where they are, between
    /// the characters a mask replaces. A word and a number a tag sets apart (`Mobile<b>138…`)
    /// stay apart, and a tag whose attributes may hold a value stays (see
    /// `format::xml::formatting_tag_len`). Returns whether any tag was dropped.
    fn drop_tags(&mut self) -> bool {
        if matches!(self.kind, SegKind::XmlText | SegKind::JsonBare) {
            return false;
        }
        let Some(first) = memchr::memchr(b'<', &self.text) else {
            return false;
        };
        let mut drops: Vec<(usize, usize)> = Vec::new();
        let mut from = first;
        while let Some(p) = memchr::memchr(b'<', &self.text[from..]).map(|p| from + p) {
            let Some(n) = format::xml::formatting_tag_len(&self.text[p..]) else {
                from = p + 1;
                continue;
            };
            let before = match drops.last() {
                Some(&(s, e)) if e == p => s.checked_sub(1).map(|k| self.text[k]),
                _ => p.checked_sub(1).map(|k| self.text[k]),
            };
            let after = self.text.get(p + n).copied();
            let apart = matches!((before, after), (Some(b), Some(a))
                if (b.is_ascii_alphabetic() && a.is_ascii_digit())
                    || (b.is_ascii_digit() && a.is_ascii_alphabetic()));
            if !apart {
                match drops.last_mut() {
                    Some(last) if last.1 == p => last.1 = p + n,
                    _ => drops.push((p, p + n)),
                }
            }
            from = p + n;
        }
        if drops.is_empty() {
            return false;
        }
        self.materialize();
        let mut keep = 0;
        let mut at = 0;
        for &(s, e) in &drops {
            for k in at..s {
                self.text[keep] = self.text[k];
                self.map[keep] = self.map[k];
                self.esc[keep] = self.esc[k];
                self.rawlen[keep] = self.rawlen[k];
                keep += 1;
            }
            at = e;
        }
        for k in at..self.text.len() {
            self.text[keep] = self.text[k];
            self.map[keep] = self.map[k];
            self.esc[keep] = self.esc[k];
            self.rawlen[keep] = self.rawlen[k];
            keep += 1;
        }
        self.text.truncate(keep);
        self.map.truncate(keep);
        self.esc.truncate(keep);
        self.rawlen.truncate(keep);
        // Ideographic spaces the table reader counts move with their text.
        let dropped_before = |p: u32| -> u32 {
            drops
                .iter()
                .filter(|&&(_, e)| e as u32 <= p)
                .map(|&(s, e)| (e - s) as u32)
                .sum()
        };
        for w in &mut self.wide_spaces {
            *w -= dropped_before(*w);
        }
        self.head.clear();
        self.fill_head();
        true
    }

    /// Rebuilds a segment whose text is its raw bytes with the escapes that start with
    /// `marker` decoded by `decode` (the character, the escape's length, how to write it).
    fn rebuild(&mut self, marker: u8, mut decode: impl FnMut(&[u8]) -> Option<(char, usize, Esc)>) {
        if !self.identity {
            return self.rebuild_mapped(marker, decode);
        }
        let raw = std::mem::take(&mut self.text);
        let base = self.id_base;
        let raw_end = self.raw_end;
        self.map.clear();
        self.esc.clear();
        self.rawlen.clear();
        self.head.clear();
        self.raw_end = base;
        let mut i = 0;
        while i < raw.len() {
            if raw[i] == marker {
                if let Some((c, n, esc)) = decode(&raw[i..]) {
                    let at = base + i as u64;
                    self.decoded(c, at, at + n as u64, esc);
                    i += n;
                    continue;
                }
            }
            let next = memchr::memchr(marker, &raw[i + 1..]).map_or(raw.len(), |p| i + 1 + p);
            self.plain_inner(&raw[i..next], base + i as u64);
            i = next;
        }
        self.raw_end = self.raw_end.max(raw_end);
    }

    /// [`Self::rebuild`] for a segment whose text is no longer its raw bytes (a full-width
    /// colon or comma was folded: `身份证号：%31%31…，`): the escapes are read in the text,
    /// where they were written plainly (each byte of the escape its own raw byte, in order),
    /// and every other character keeps its raw range and its escape.
    fn rebuild_mapped(
        &mut self,
        marker: u8,
        mut decode: impl FnMut(&[u8]) -> Option<(char, usize, Esc)>,
    ) {
        let text = std::mem::take(&mut self.text);
        let map = std::mem::take(&mut self.map);
        let esc = std::mem::take(&mut self.esc);
        let rawlen = std::mem::take(&mut self.rawlen);
        let wide = std::mem::take(&mut self.wide_spaces);
        let raw_end = self.raw_end;
        self.head.clear();
        // The escape's characters must each be one of their own, in order and back to back
        // in the raw bytes: written plainly, or themselves escaped by the outer format
        // (`\u0025\u0033\u0031` in JSON, `&#x25;&#x33;&#x31;` in XML: a URL escape under
        // another, which a receiver undoes one after the other).
        // A reference's `&` may be markup's own escape of it (`&amp;#x31;` in an XML text: the
        // text `&#x31;`, which a page shows as `1`).
        let plain_run = |i: usize, n: usize| {
            (i..i + n).all(|k| {
                (matches!(
                    esc.get(k),
                    Some(Esc::Plain | Esc::JsonU | Esc::XmlDec | Esc::XmlHex)
                ) || (k == i && marker == b'&' && esc.get(k) == Some(&Esc::Other)))
                    && rawlen.get(k).is_some_and(|&l| l > 0)
            }) && (i + 1..i + n)
                .all(|k| map.get(k) == Some(&(map[k - 1] + u64::from(rawlen[k - 1]))))
        };
        let mut i = 0;
        while i < text.len() {
            if text[i] == marker {
                if let Some((c, n, e)) = decode(&text[i..]).filter(|&(_, n, _)| plain_run(i, n)) {
                    let last = i + n - 1;
                    self.decoded(c, map[i], map[last] + u64::from(rawlen[last]), e);
                    i += n;
                    continue;
                }
            }
            // Everything up to the next marker goes on as it was: text, raw offsets, escapes.
            let next = memchr::memchr(marker, &text[i + 1..]).map_or(text.len(), |p| i + 1 + p);
            let at = self.text.len();
            for &p in wide.iter().filter(|&&p| (i..next).contains(&(p as usize))) {
                if let Ok(p) = u32::try_from(at + p as usize - i) {
                    self.wide_spaces.push(p);
                }
            }
            self.text.extend_from_slice(&text[i..next]);
            self.map.extend_from_slice(&map[i..next]);
            self.esc.extend_from_slice(&esc[i..next]);
            self.rawlen.extend_from_slice(&rawlen[i..next]);
            let last = (i..next).rev().find(|&k| rawlen[k] > 0).unwrap_or(i);
            self.raw_end = map[last] + u64::from(rawlen[last]);
            self.fill_head();
            i = next;
        }
        self.raw_end = self.raw_end.max(raw_end);
    }

    /// A text (a log line, a part) holding JSON's `\uXXXX` escapes, as a logged request body
    /// writes them (`body={"sfzh":"\u0031\u0031…"}`): rebuilt with them decoded, as
    /// [`Self::percent_decode`] does with URL escapes, and a mask is written back as such
    /// escapes. A JSON body or string is decoded by its lexer already.
    fn json_u_decode(&mut self) -> bool {
        if !matches!(self.kind, SegKind::Text | SegKind::Part) || !has_json_u(&self.text) {
            return false;
        }
        self.rebuild(b'\\', json_u);
        true
    }

    /// A whole value written with HTML character references outside markup (a system behind
    /// an XSS filter stores `&#29579;&#33459;` for 王芳 and `&#49;&#51;&#56;…` for digits):
    /// rebuilds the segment with them decoded, as [`Self::percent_decode`] does with URL
    /// escapes, and a mask is written back as references. In markup's text and attributes
    /// the lexer has undone markup's own escapes; a reference left after that (`&amp;#x31;`,
    /// or `&#x31;` in a CDATA section, which holds HTML as often as not) is the text a page
    /// shows as `1`, and is decoded here too. Returns whether the segment was rebuilt.
    fn entity_decode(&mut self) -> bool {
        if matches!(self.kind, SegKind::XmlCdata | SegKind::JsonBare) || !has_char_ref(&self.text) {
            return false;
        }
        self.rebuild(b'&', char_ref);
        true
    }

    /// Best effort: a value that is entirely base64 is decoded and scanned; findings inside
    /// are reported on the value's range and, when redacting, the value is re-encoded from the
    /// redacted content.
    /// Returns whether the value was base64 of text (found in or not).
    fn try_base64(&mut self, seg_edits: &mut Vec<Edit>) -> bool {
        // Surrounding whitespace is layout (pretty-printed XML puts the value on its own
        // line), not part of the encoding.
        let lead = self.text.len() - self.text.trim_ascii_start().len();
        let written = self.text[lead..].trim_ascii_end();
        let trail = lead + written.len();
        if written.len() < self.base64_min() || written.len() > self.engine.window {
            return false;
        }
        let key = self.key_ix.map(|ix| self.key_cache[ix].clone());
        self.base64_at(lead, trail, key, seg_edits)
    }

    /// The runs of encoded words of a header block (`Subject: =?UTF-8?B?…?=`, RFC 2047):
    /// each is decoded as one text, scanned, and, when redacting, written back as encoded
    /// words in the same charset and encoding; findings span the run. A display name and
    /// the name a file name opens with are judged as names, encoded or not.
    fn header_values(
        &mut self,
        words: Vec<(usize, usize, String, format::multipart::WordStyle)>,
        first_finding: usize,
        seg_edits: &mut Vec<Edit>,
    ) {
        let before = (seg_edits.len(), self.findings.len());
        for (s, e, text, style) in words {
            let (start, end) = (self.raw_at(s), self.char_span(e - 1, e).2);
            if self.edited(start, end, seg_edits) {
                continue;
            }
            // The display name of an address (`From: =?UTF-8?B?5byg5Lyf?= <a@b.cn>`) is a
            // person's name, as a name field's value is, and so is the name a file name
            // opens with (`张斌_材料.csv`).
            // (A file name's first word is judged as a generic `name` member's value is: it
            // may as well be a place's, `石家庄_统计.csv`.)
            let (name_end, key) = if format::multipart::display_name(&self.text, s, e) {
                (Some(text.len()), PERSON_KEY)
            } else if format::multipart::file_name_at(&self.text, s) {
                (format::multipart::leading_name(&text), GENERIC_NAME_KEY)
            } else {
                (None, PERSON_KEY)
            };
            let inner = match name_end {
                Some(n) if n < text.len() => {
                    let mut a = self.scan_decoded(&text.as_bytes()[..n], Some(key));
                    let b = self.scan_decoded(&text.as_bytes()[n..], None);
                    a.output.extend_from_slice(&b.output);
                    a.findings.extend(b.findings);
                    a
                }
                Some(_) => self.scan_decoded(text.as_bytes(), Some(key)),
                None => self.scan_decoded(text.as_bytes(), None),
            };
            if inner.findings.is_empty() {
                continue;
            }
            self.adopt(inner.findings, start, end);
            if self.opts.redact && inner.output != text.as_bytes() {
                let out = String::from_utf8_lossy(&inner.output);
                let enc = format::multipart::encode_run(&out, &style);
                seg_edits.push(Edit::bytes(start, end, enc));
            }
        }
        // File names written plainly that open with a name (`filename="张斌_身份证.jpg"`).
        for (s, e) in format::multipart::file_name_names(&self.text) {
            let (start, end) = (self.raw_at(s), self.char_span(e - 1, e).2);
            if self.edited(start, end, seg_edits) {
                continue;
            }
            let name = self.text[s..e].to_vec();
            let inner = self.scan_decoded(&name, Some(GENERIC_NAME_KEY));
            if inner.findings.is_empty() {
                continue;
            }
            self.adopt(inner.findings, start, end);
            if self.opts.redact && inner.output != name {
                seg_edits.push(Edit::bytes(start, end, inner.output));
            }
        }
        if seg_edits.len() > before.0 {
            seg_edits.sort_by_key(|e| e.start);
        }
        if self.findings.len() > before.1 {
            self.findings[first_finding..].sort_by_key(|f| f.start);
        }
    }

    /// Whether the raw range `start..end` was written over already (by an earlier window or
    /// an edit of this one).
    fn edited(&self, start: u64, end: u64, seg_edits: &[Edit]) -> bool {
        start < self.last_edit_end || seg_edits.iter().any(|x| x.start < end && start < x.end)
    }

    /// A nested scan's findings, as found at the raw range `start..end` of this header block.
    fn adopt(&mut self, findings: Vec<Finding>, start: u64, end: u64) {
        for mut f in findings {
            f.start = start;
            f.end = end;
            f.field = None;
            self.found += 1;
            self.findings.push(f);
        }
    }

    /// A nested scan of decoded header text, as text, judged under the field `key` (a
    /// person's name, [`PERSON_KEY`], or what a generic `name` member holds,
    /// [`GENERIC_NAME_KEY`]) or under no field.
    fn scan_decoded(&self, text: &[u8], key: Option<&str>) -> ScanResult {
        let mut inner_opts = self.opts.clone();
        inner_opts.format = Format::Text;
        inner_opts.charset = Charset::Utf8;
        // `capture_values` is kept: the decoded value is what `--show-values` shows for
        // a finding inside it, as for any other.
        let key = key.map(Arc::from);
        self.engine
            .scan_value_at_depth(text, inner_opts, self.depth + 1, key)
    }

    /// Base64 tokens inside a value's text (`身份证号：MTEwMTAx…`, `sfzh=MTEw…` in a log
    /// line, a token between words): each one the whole-value path would take, were it a
    /// value of its own, is decoded, scanned and written back the same way. Only tokens
    /// that start in the committed part of this window (they may end in its margin), none
    /// a hit already covers and no part of a JWT; the edits are merged into `seg_edits` in
    /// order, and the findings into this window's (from `first_finding` on).
    fn try_base64_tokens(
        &mut self,
        hits: &[Hit],
        runs: &[(usize, usize)],
        commit: usize,
        last: bool,
        first_finding: usize,
        seg_edits: &mut Vec<Edit>,
    ) {
        // Tokens this window owns start in `ignore_before..commit`, as hits do, and may end
        // in the margin after it; the search starts where the run holding `ignore_before`
        // starts, so a run cut by the last window's commit is not read from its middle.
        let mut from = self.ignore_before.min(commit);
        while from > 0 && base64_byte(self.text[from - 1]) {
            from -= 1;
        }
        let mut found: Vec<(usize, usize, Option<KeyEntry>)> = Vec::new();
        let window = &self.text[from..];
        // The whole value is the whole-value path's, in a value's only window.
        let whole = self.windows == 0 && from == 0;
        let short = pair_tokens(window, |k| self.engine.pair_listened(k));
        for (s, e) in base64_tokens(window, whole).chain(short) {
            let (s, e) = (from + s, from + e);
            if s < self.ignore_before || s >= commit {
                continue;
            }
            // A token that reaches the end of a window that goes on may go on too: one
            // longer than the margin is left as it is.
            if !last && e == self.text.len() {
                continue;
            }
            if hits.iter().any(|h| h.start < e && s < h.end)
                || runs.iter().any(|&(rs, re)| rs < e && s < re)
                || self.raw_at(s) < self.last_edit_end
                || jws_part(&self.text, s, e)
            {
                continue;
            }
            // The value of a `key=value` pair is judged under its key (`xm=5byg5Lyf`).
            let key = pair_key_before(&self.text, s, |k| self.engine.pair_listened(k))
                .map(|k| self.engine.key_info(k))
                .or_else(|| self.key_ix.map(|ix| self.key_cache[ix].clone()));
            found.push((s, e, key));
        }
        if found.is_empty() {
            return;
        }
        found.sort_by_key(|t| t.0);
        found.dedup_by_key(|t| t.0);
        let before = (seg_edits.len(), self.findings.len());
        for (s, e, key) in found {
            self.base64_at(s, e, key, seg_edits);
        }
        if seg_edits.len() > before.0 {
            seg_edits.sort_by_key(|e| e.start);
        }
        if self.findings.len() > before.1 {
            self.findings[first_finding..].sort_by_key(|f| f.start);
        }
    }

    /// Decodes the base64 at `text[lead..trail]`, scans what it decodes to and, when
    /// redacting, writes it back encoded alike (see [`Self::try_base64`]). Returns whether
    /// it was base64 of text. What it decodes to, when plain text, is judged under `key`.
    fn base64_at(
        &mut self,
        lead: usize,
        trail: usize,
        key: Option<KeyEntry>,
        seg_edits: &mut Vec<Edit>,
    ) -> bool {
        use base64::Engine as _;
        let written = &self.text[lead..trail];
        // MIME's lines of 76 (Java's `getMimeEncoder`, SOAP `base64Binary`) are one encoding.
        let Some((joined, wrap, url)) = base64_value(written) else {
            return false;
        };
        let t = &joined[..];
        // A token whose length is a multiple of four is written padded even when it needed no
        // `=`: a masked value of another length must get its padding back, or a strict
        // decoder refuses it.
        let padded = t.ends_with(b"=") || t.len().is_multiple_of(4);
        let decoded = match (url, padded) {
            (false, true) => base64::engine::general_purpose::STANDARD.decode(t),
            (false, false) => base64::engine::general_purpose::STANDARD_NO_PAD.decode(t),
            (true, true) => base64::engine::general_purpose::URL_SAFE.decode(t),
            (true, false) => base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t),
        };
        let Ok(decoded) = decoded else { return false };
        // A compressed payload (`base64(gzip(json))`, a common way to ship records in one
        // field) is read decompressed and written back compressed alike: only in a body's own
        // values, not in what a value decoded to (a bomb inside a bomb), and within a budget
        // per body, so a few kilobytes cannot make a stream scan megabytes. Bytes that only
        // look like a compressed stream's header are read as they are.
        let unpacked = match packed_kind(&decoded) {
            Some(kind) if self.depth == 0 => {
                let room = PACKED_BUDGET.saturating_sub(self.unpacked);
                match unpack(&decoded, kind, room) {
                    Ok((plain, used)) => Some((plain, kind, used)),
                    // The work a refused stream took counts too: a bomb spends the budget
                    // once, not once per value.
                    Err(spent) => {
                        self.unpacked += spent;
                        None
                    }
                }
            }
            _ => None,
        };
        let (decoded, packed) = match unpacked {
            Some((plain, kind, used)) => {
                self.unpacked += plain.len() as u64;
                // Bytes after the compressed data are written back after it unchanged.
                let trailer = decoded[used..].to_vec();
                (plain, Some((kind, trailer)))
            }
            None => (decoded, None),
        };
        // A file attachment from a legacy system is GBK (a CSV export in base64): it is read
        // and masked in its own bytes.
        let charset = if std::str::from_utf8(&decoded).is_ok() {
            Charset::Utf8
        } else if crate::charset::gb_value_text(&decoded) {
            Charset::Gb18030
        } else {
            return false;
        };
        // One line that opens no document and holds no `=` is text: no table has one row,
        // and the table sniffer is the dearest part of resolving (most tokens are one line).
        let one_line_text = memchr::memchr3(b'\n', b'\r', b'=', &decoded).is_none()
            && !decoded.starts_with(b"\xEF\xBB\xBF")
            && !matches!(
                decoded.iter().find(|b| !b.is_ascii_whitespace()),
                Some(b'{' | b'[' | b'<' | b'-' | b'"')
            );
        let format = if one_line_text {
            Format::Text
        } else {
            Format::resolve(None, &decoded)
        };
        // Plain text with nothing any matcher starts on (a sentence, a file name), under no
        // field a rule knows, holds nothing: the test `quick` makes of a value, so a text of
        // many clean tokens is not one nested scan per token.
        if format == Format::Text
            && charset == Charset::Utf8
            && packed.is_none()
            && key.as_ref().is_none_or(|k| k.rules.is_empty())
        {
            let d = &self.engine.detectors;
            let classes = d.quick.classes(&decoded);
            let unsure = crate::detect::Q_NORM
                | crate::detect::Q_AMP
                | crate::detect::Q_LT
                | crate::detect::Q_LINE
                | u32::from(crate::detect::TRIG_PERCENT);
            if classes & unsure == 0 {
                let flags = match (classes & 0xFF) as u8 {
                    0 => 0,
                    trig => d.gate_flags(trig, &decoded),
                };
                if d.nothing_possible(flags, decoded.len(), &[]) {
                    return true;
                }
            }
        }
        let mut inner_opts = self.opts.clone();
        inner_opts.format = format;
        inner_opts.charset = charset;
        // `capture_values` is kept: a finding inside a base64 value shows its decoded value
        // (`--show-values`), as any other finding does.
        // A value that decodes to plain text keeps its field's context (a base64 name under
        // `xm`); a decoded document brings its own field names.
        let inner = self.engine.scan_value_at_depth(
            &decoded,
            inner_opts,
            self.depth + 1,
            key.map(|k| k.name.clone()),
        );
        if inner.findings.is_empty() {
            return true;
        }
        // The value ends where its last character's own bytes do: what follows in the raw
        // body up to the segment's end (the `]]>` that closes a CDATA section) is markup.
        let start = self.raw_at(lead);
        let end = if trail > lead {
            self.char_span(trail - 1, trail).2
        } else {
            start
        };
        for mut f in inner.findings {
            f.start = start;
            f.end = end;
            f.field = self.key();
            self.found += 1;
            self.findings.push(f);
        }
        if self.opts.redact && inner.output != decoded {
            let out = match packed {
                // Compressing into memory does not fail; were it to, the value would go
                // empty, never as it was.
                Some((kind, trailer)) => {
                    let mut b = pack(&inner.output, kind).unwrap_or_default();
                    b.extend_from_slice(&trailer);
                    b
                }
                None => inner.output,
            };
            let enc = match (url, padded) {
                (false, true) => base64::engine::general_purpose::STANDARD.encode(&out),
                (false, false) => base64::engine::general_purpose::STANDARD_NO_PAD.encode(&out),
                (true, true) => base64::engine::general_purpose::URL_SAFE.encode(&out),
                (true, false) => base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&out),
            };
            match wrap {
                // Written back in lines as long, each line break as it was written (a
                // JSON string's `\r\n` escapes, an XML text's own bytes).
                Some(w) => {
                    let brk = (
                        self.raw_at(lead + w.first_break.0),
                        self.raw_at(lead + w.first_break.1),
                    );
                    let mut pieces = Vec::new();
                    for (k, line) in enc.as_bytes().chunks(w.line).enumerate() {
                        if k > 0 {
                            pieces.push(Piece::Raw(brk.0, brk.1));
                        }
                        pieces.push(Piece::Bytes(line.to_vec()));
                    }
                    seg_edits.push(Edit::pieces(start, end, pieces));
                }
                None => seg_edits.push(Edit::bytes(start, end, enc.into_bytes())),
            }
        }
        true
    }
}

/// How a base64 value's bytes are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Packed {
    Gzip,
    Zlib,
}

/// Most bytes the compressed base64 values of one body are read to, together: past it a
/// value is left as it is (base64 is best effort), so a small body cannot make a stream
/// hold or scan a bomb's output.
const PACKED_BUDGET: u64 = 1 << 20;

/// Whether `b` opens a gzip member or a zlib stream (RFC 1950: deflate, and a header whose
/// check bits make it a multiple of 31).
fn packed_kind(b: &[u8]) -> Option<Packed> {
    match b {
        [0x1f, 0x8b, 0x08, ..] => Some(Packed::Gzip),
        [h, l, ..]
            if h & 0x0f == 8 && h >> 4 <= 7 && (u16::from(*h) << 8 | u16::from(*l)) % 31 == 0 =>
        {
            Some(Packed::Zlib)
        }
        _ => None,
    }
}

/// The decompressed bytes, when they are at most `room`, and how many input bytes the
/// compressed data took: every gzip member in a row (a second one is data too), or the zlib
/// stream. What follows is not compressed data; a rewrite keeps it as it is. `Err` holds
/// how many bytes were decompressed before the stream was refused (past `room`, or broken).
fn unpack(b: &[u8], kind: Packed, room: u64) -> Result<(Vec<u8>, usize), u64> {
    use std::io::Read;
    let mut out = Vec::new();
    let mut rest = b;
    loop {
        let left = (room + 1).saturating_sub(out.len() as u64);
        rest = match kind {
            Packed::Gzip => {
                let mut d = flate2::bufread::GzDecoder::new(rest);
                if d.by_ref().take(left).read_to_end(&mut out).is_err() {
                    return Err(out.len() as u64);
                }
                d.into_inner()
            }
            Packed::Zlib => {
                let mut d = flate2::bufread::ZlibDecoder::new(rest);
                if d.by_ref().take(left).read_to_end(&mut out).is_err() {
                    return Err(out.len() as u64);
                }
                d.into_inner()
            }
        };
        if out.len() as u64 > room {
            return Err(out.len() as u64);
        }
        if kind == Packed::Zlib || !rest.starts_with(&[0x1f, 0x8b, 0x08]) {
            break;
        }
    }
    Ok((out, b.len() - rest.len()))
}

/// `b` compressed as `kind`.
fn pack(b: &[u8], kind: Packed) -> Option<Vec<u8>> {
    use std::io::Write;
    match kind {
        Packed::Gzip => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(b).ok()?;
            e.finish().ok()
        }
        Packed::Zlib => {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(b).ok()?;
            e.finish().ok()
        }
    }
}

/// Where a base64 value written in lines ([`unwrap_base64`]) broke its first line, as text
/// offsets, and how long its lines are.
struct Wrap {
    line: usize,
    first_break: (usize, usize),
}

/// A base64 value with its line breaks taken out: MIME writes lines of 76 characters
/// (Java's `Base64.getMimeEncoder`, `sun.misc.BASE64Encoder`'s 64 and 76, SOAP
/// `base64Binary`), PEM 64. Lines of one length, a multiple of four of at least 16, the
/// last no longer, one kind of line end. `None` when `t` has line breaks but not so; a
/// value without any is itself, with no wrap.
fn unwrap_base64(t: &[u8]) -> Option<(std::borrow::Cow<'_, [u8]>, Option<Wrap>)> {
    if memchr::memchr(b'\n', t).is_none() {
        return Some((std::borrow::Cow::Borrowed(t), None));
    }
    let mut joined = Vec::with_capacity(t.len());
    let mut first_break = None;
    let mut line = None;
    let mut crlf = None;
    let mut pos = 0;
    while let Some(p) = memchr::memchr(b'\n', &t[pos..]) {
        let nl = pos + p;
        let cr = nl > pos && t[nl - 1] == b'\r';
        let end = nl - usize::from(cr);
        if *line.get_or_insert(end - pos) != end - pos || *crlf.get_or_insert(cr) != cr {
            return None;
        }
        first_break.get_or_insert((end, nl + 1));
        joined.extend_from_slice(&t[pos..end]);
        pos = nl + 1;
    }
    let line = line?;
    let last = t.len() - pos;
    if line < 16 || line % 4 != 0 || last == 0 || last > line {
        return None;
    }
    joined.extend_from_slice(&t[pos..]);
    Some((
        std::borrow::Cow::Owned(joined),
        first_break.map(|first_break| Wrap { line, first_break }),
    ))
}

/// Whether a value is a JSON document stringified once more (`"{\"xm\":…}"`, a JSON string
/// whose text is an object or array: JSON stringified twice, read through one layer of
/// escapes already). The JSON lexer reads it as a string whose value is again nested.
fn quoted_document(t: &[u8]) -> bool {
    t.len() >= 4
        && t[0] == b'"'
        && t[t.len() - 1] == b'"'
        && matches!((t[1], t[t.len() - 2]), (b'{', b'}') | (b'[', b']'))
}

/// Whether `t` holds a formatting tag ([`Segmenter::drop_tags`]).
fn has_formatting_tag(t: &[u8]) -> bool {
    memchr::memchr_iter(b'<', t).any(|p| format::xml::formatting_tag_len(&t[p..]).is_some())
}

/// Whether `t` holds a numeric character reference ([`Segmenter::entity_decode`]).
/// Whether `t` holds a `\uXXXX` escape.
fn has_json_u(t: &[u8]) -> bool {
    memchr::memmem::find_iter(t, b"\\u").any(|p| {
        t.get(p + 2..p + 6)
            .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
    })
}

/// The character a `\uXXXX` escape at `s[0] == b'\\'` stands for (a surrogate pair as two
/// escapes), and its length; a lone surrogate is left as text.
fn json_u(s: &[u8]) -> Option<(char, usize, Esc)> {
    // The JSON lexer's reading of the four digits (no sign, no partial escape).
    let unit = |at: usize| match (s.get(at..at + 2), format::json::hex4(s, at + 2)) {
        (Some(b"\\u"), format::json::Hex::Val(v)) => Some(v),
        _ => None,
    };
    let hi = unit(0)?;
    if (0xD800..0xDC00).contains(&hi) {
        let lo = unit(6).filter(|lo| (0xDC00..0xE000).contains(lo))?;
        let c = char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?;
        return Some((c, 12, Esc::JsonU));
    }
    char::from_u32(hi).map(|c| (c, 6, Esc::JsonU))
}

fn has_char_ref(t: &[u8]) -> bool {
    // `memchr` rather than a substring search: this runs on every whole value the full
    // path takes, and a searcher's set-up costs more than the search on short ones.
    memchr::memchr_iter(b'&', t).any(|p| char_ref(&t[p..]).is_some())
}

/// A numeric character reference at `s[0] == b'&'` (`&#49;`, `&#x5F20;`): the character,
/// the reference's length and how to write a replacement back.
fn char_ref(s: &[u8]) -> Option<(char, usize, Esc)> {
    let body = s.strip_prefix(b"&#")?;
    let hex = matches!(body.first(), Some(b'x' | b'X'));
    let digits = &body[usize::from(hex)..];
    let n = digits
        .iter()
        .take(8)
        .take_while(|b| {
            if hex {
                b.is_ascii_hexdigit()
            } else {
                b.is_ascii_digit()
            }
        })
        .count();
    if n == 0 || digits.get(n) != Some(&b';') {
        return None;
    }
    let len = 2 + usize::from(hex) + n + 1;
    let (c, esc) = format::xml::numeric_ref(&s[1..len - 1])?;
    Some((c, len, esc))
}

/// Whether `t` holds a URL escape and decodes cleanly: every `%XX` whose hex is valid yields
/// UTF-8 text together with the bytes around it. A `%` not followed by two hex digits is
/// literal (`50%`, `100%以上`), and a value where escapes decode to invalid UTF-8 is left as it
/// is.
/// Whether a value under a generic number field has a document's shape
/// ([`doc_type::lookback_kinds`]): such a value takes the full path, where `end` may hold it.
fn lookback_shape(t: &[u8]) -> bool {
    let mut any = false;
    doc_type::lookback_kinds(t, false, |_| any = true);
    any
}

fn has_percent_escape(t: &[u8]) -> bool {
    // Runs on every whole value the full path takes: a plain loop beats a vector search's
    // set-up on the short ones.
    let first = if t.len() < 32 {
        t.iter().position(|&b| b == b'%')
    } else {
        memchr::memchr(b'%', t)
    };
    let Some(first) = first else {
        return false;
    };
    let hex2 = |k: usize| {
        t.get(k + 1..k + 3)
            .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
    };
    // `%uXXXX` (JavaScript's old `escape()`): the character it stands for.
    let hex_u = |k: usize| format::percent_u_char(&t[k..]);
    if !memchr::memchr_iter(b'%', &t[first..])
        .any(|p| hex2(first + p) || hex_u(first + p).is_some())
    {
        return false;
    }
    let mut out = Vec::with_capacity(t.len());
    let mut i = 0;
    while i < t.len() {
        if let Some(c) = (t[i] == b'%').then(|| hex_u(i)).flatten() {
            let mut b = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            i += 6;
        } else if t[i] == b'%' && hex2(i) {
            let v = t[i + 1..i + 3]
                .iter()
                .fold(0u32, |a, &h| a * 16 + format::hex_val(h).unwrap_or(0));
            out.push(v as u8);
            i += 3;
        } else {
            out.push(t[i]);
            i += 1;
        }
    }
    std::str::from_utf8(&out).is_ok() || crate::charset::gb_text(&out, true)
}

/// The shortest value `try_base64` decodes: 15 characters (16 padded) encode 11 digits, a
/// mobile, the shortest identifier worth hiding this way. Shorter tokens decode to a
/// passport-sized string at most, which needs a field name to be judged: they are decoded
/// only under a field some rule listens to ([`BASE64_MIN_FIELD`]).
const BASE64_MIN: usize = 15;
/// The shortest value `try_base64` decodes under a field some rule listens to: 8 characters
/// encode 6 bytes, a two-character Han name (`546L5bu6` is 王建); a permit (`SDQwNjc0MjI0`)
/// or a plate takes 12.
const BASE64_MIN_FIELD: usize = 8;

/// Whether `try_base64` would scan what `t` decodes to: it is base64 (`base64_alphabet`)
/// and decodes to UTF-8 or GBK text, and is at least `min` bytes long (`Segmenter::base64_min`).
/// Decodes into a stack buffer: it runs on every value of `BASE64_MIN` bytes or more that
/// `Segmenter::quick` is asked about (a credit code, a trace id with letters), and almost
/// none of them decode to text.
fn base64_text(content: &[u8], min: usize) -> bool {
    use base64::Engine as _;
    let t = content.trim_ascii();
    if t.len() < min {
        return false;
    }
    let Some((joined, _, url)) = base64_value(t) else {
        return false;
    };
    let t = &joined[..];
    // Credit codes and trace ids are short: a small buffer costs less to clear.
    let mut small = [0u8; 96];
    let mut large;
    let buf: &mut [u8] = if t.len() <= 128 {
        &mut small
    } else {
        large = vec![0u8; t.len()];
        &mut large
    };
    let decoded = match (url, t.ends_with(b"=")) {
        (false, true) => base64::engine::general_purpose::STANDARD.decode_slice(t, buf),
        (false, false) => base64::engine::general_purpose::STANDARD_NO_PAD.decode_slice(t, buf),
        (true, true) => base64::engine::general_purpose::URL_SAFE.decode_slice(t, buf),
        (true, false) => base64::engine::general_purpose::URL_SAFE_NO_PAD.decode_slice(t, buf),
    };
    // The buffer holds what any value decodes to (three bytes per four); were it short, the
    // answer "text" only sends the value down the full path, as a compressed one does.
    decoded.map_or_else(
        |e| matches!(e, base64::DecodeSliceError::OutputSliceTooSmall),
        |n| {
            std::str::from_utf8(&buf[..n]).is_ok()
                || crate::charset::gb_value_text(&buf[..n])
                || packed_kind(&buf[..n]).is_some_and(|k| k == Packed::Gzip || n >= 8)
        },
    )
}

/// The base64 tokens in a text, as ranges: runs of [`BASE64_MIN`] or more bytes of either
/// alphabet (`=` padding only at their end), with bytes outside it on both sides, that
/// decode to text ([`base64_text`]). This runs over every value of some length, so it looks
/// at one byte in [`BASE64_MIN`] while none is in the alphabet (CJK text is all outside it),
/// and a run is decoded only when it is long enough, which in prose and in most values none
/// is.
fn base64_tokens(t: &[u8], skip_whole: bool) -> impl Iterator<Item = (usize, usize)> + '_ {
    let n = t.len();
    // The value itself is the whole-value path's (`try_base64`, `base64_text`).
    let whole = if skip_whole {
        (n - t.trim_ascii_start().len(), t.trim_ascii_end().len())
    } else {
        (usize::MAX, usize::MAX)
    };
    // A run of 13 with its two `=` is 15 characters (`57KkQUQ1OTM1NQ==`, a plate).
    alphabet_runs(t, BASE64_MIN - 2).filter_map(move |(s, run_end, e)| {
        // Numbers (ids, cards, snowflakes) and hex digests are no base64 (`base64_alphabet`).
        (e - s >= BASE64_MIN
            && (s, e) != whole
            && !t[s..run_end].iter().all(u8::is_ascii_hexdigit)
            && base64_text(&t[s..e], BASE64_MIN))
        .then_some((s, e))
    })
}

/// The maximal runs of the base64 alphabet in `t` of at least `min` bytes, each as (start,
/// end of the run, end with up to two `=` of padding). Found with a probe every `min` bytes,
/// so text without such runs (Chinese text) is crossed in strides.
fn alphabet_runs(t: &[u8], min: usize) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
    let in_run = base64_byte;
    let n = t.len();
    let min = min.max(1);
    // Invariant: `i` is 0 or follows a byte outside the alphabet, so a run found from `i`
    // on starts where it starts.
    let mut i = 0;
    std::iter::from_fn(move || {
        while i + min <= n {
            let last = i + min - 1;
            if !in_run(t[last]) {
                i = last + 1;
                continue;
            }
            let mut s = last;
            while s > i && in_run(t[s - 1]) {
                s -= 1;
            }
            let mut run_end = last + 1;
            while run_end < n && in_run(t[run_end]) {
                run_end += 1;
            }
            if run_end - s < min {
                i = run_end + 1;
                continue;
            }
            let mut e = run_end;
            while e < n && e - run_end < 2 && t[e] == b'=' {
                e += 1;
            }
            // Padding followed by more of the alphabet is a `key=value` sign, not padding.
            if e > run_end && t.get(e).copied().is_some_and(in_run) {
                e = run_end;
            }
            i = e + 1;
            return Some((s, run_end, e));
        }
        None
    })
}

/// Whether `b` is in either base64 alphabet (padding aside).
#[inline]
fn base64_byte(b: u8) -> bool {
    const fn table() -> [bool; 256] {
        let mut c = [false; 256];
        let mut b = 0;
        while b < 256 {
            let x = b as u8;
            c[b] = x.is_ascii_alphanumeric() || matches!(x, b'+' | b'/' | b'-' | b'_');
            b += 1;
        }
        c
    }
    static IN_RUN: [bool; 256] = table();
    IN_RUN[usize::from(b)]
}

/// Whether the token `t[s..e]` is a part of a JWS (a JWT: `eyJ…` header, payload and
/// signature joined by dots). Its claims are signed: rewriting them breaks every login
/// that passes, so a token is left whole, as it was before tokens in text were read.
fn jws_part(t: &[u8], s: usize, e: usize) -> bool {
    let mut a = s;
    while a > 0 && (base64_byte(t[a - 1]) || t[a - 1] == b'.') {
        a -= 1;
    }
    let mut b = e;
    while b < t.len() && (base64_byte(t[b]) || t[b] == b'.') {
        b += 1;
    }
    let compound = &t[a..b];
    compound.starts_with(b"eyJ") && compound.iter().filter(|&&c| c == b'.').count() >= 2
}

/// The listened name of the `key=value` or `key: value` pair whose value starts at `s` in a
/// text: an ASCII name (a letter, then letters, digits or `_`) right before the `=` or `:`,
/// or a label in Han characters (see below); `None` when no such name is listened to.
fn pair_key_before(t: &[u8], s: usize, listened: impl Fn(&[u8]) -> bool) -> Option<&[u8]> {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut p = s;
    while p > 0 && t[p - 1] == b' ' {
        p -= 1;
    }
    // A quoted value (`zjhm="NDUw…"`, `"zjhm": "NDUw…"` in a log line, `姓名"5byg5Lyf"`
    // after a label in Han characters): its quote opens it.
    let quoted = p > 0 && matches!(t[p - 1], b'"' | b'\'');
    if quoted {
        p -= 1;
        while p > 0 && t[p - 1] == b' ' {
            p -= 1;
        }
    }
    // The sign: `=`, `:`, or a full-width colon not yet folded (the raw bytes `settle` reads);
    // none after a label in Han characters (`号牌号码 6Ze9…`, `车辆6L69…`).
    let sign = if p > 0 && matches!(t[p - 1], b'=' | b':') {
        1
    } else if p >= 3 && &t[p - 3..p] == "：".as_bytes() {
        3
    } else if p >= 3 && t[p - 1] >= 0x80 {
        0
    } else {
        return None;
    };
    // `Xm = 5byg5Lyf`: spaces before the sign too.
    let mut ke = p - sign;
    while ke > 0 && t[ke - 1] == b' ' {
        ke -= 1;
    }
    // A quoted name before a quoted value (`"zjhm": "…"`) is read inside its quotes.
    let quoted_key = quoted && ke > 1 && t[ke - 1] == b'"';
    if quoted_key {
        ke -= 1;
    }
    let mut ks = ke;
    while ks > 0 && ke - ks < 48 && word(t[ks - 1]) {
        ks -= 1;
    }
    if quoted_key {
        return (ks > 0 && ks < ke && t[ks - 1] == b'"' && t[ks].is_ascii_alphabetic())
            .then(|| &t[ks..ke])
            .filter(|key| listened(key));
    }
    if ks < ke {
        if sign == 0 || (ks > 0 && word(t[ks - 1])) || !t[ks].is_ascii_alphabetic() {
            return None;
        }
        let key = &t[ks..ke];
        return listened(key).then_some(key);
    }
    // A label in Han characters (`姓名：5byg5Lyf`, `车牌号：5Lqs…`), run on from the text
    // before it (`请核实车牌号：`): the longest listened key it ends with, of two characters
    // or more.
    let mut starts = Vec::new();
    let mut k = ke;
    while k >= 3 && ke - k < 48 {
        let c = std::str::from_utf8(&t[k - 3..k])
            .ok()
            .and_then(|c| c.chars().next());
        if !c.is_some_and(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c)) {
            break;
        }
        k -= 3;
        starts.push(k);
    }
    starts
        .iter()
        .rev()
        .filter(|&&ks| ke - ks >= 6)
        .map(|&ks| &t[ks..ke])
        .find(|key| listened(key))
}

impl Engine {
    /// Whether `key`, a pair's name found in text, is one some rule listens to; a name in
    /// Han characters first by its last character, which is cheaper than the lookup and
    /// rules out most of the words a run of text ends with.
    fn pair_listened(&self, key: &[u8]) -> bool {
        (key.is_ascii()
            || self
                .detectors
                .keys
                .may_end_with(&key[key.len().saturating_sub(3)..]))
            && self.key_info(key).listened
    }
}

/// Short base64 values of `key=value` pairs in a text (`xm=5byg5Lyf`, `name: 5byg5Lyf`):
/// from [`BASE64_MIN_FIELD`] up to the length [`base64_tokens`] takes alone, under a key
/// some rule listens to (`listened`), as a value under that field name would be. Looks only
/// after each `=` and `:`.
fn pair_tokens<'a>(
    t: &'a [u8],
    listened: impl Fn(&[u8]) -> bool + 'a,
) -> impl Iterator<Item = (usize, usize)> + 'a {
    // Each short run is taken when a listened name is right before it; a run of six with
    // its two `=` is eight characters.
    alphabet_runs(t, BASE64_MIN_FIELD - 2).filter_map(move |(s, run_end, e)| {
        ((BASE64_MIN_FIELD..BASE64_MIN).contains(&(e - s))
            && !(e > run_end && t.get(e) == Some(&b'='))
            && pair_key_before(t, s, &listened).is_some()
            && base64_text(&t[s..e], BASE64_MIN_FIELD))
        .then_some((s, e))
    })
}

/// Whether a value looks like base64 (standard or URL alphabet, padding at the end only) and
/// is not a plain digit or hex string, which are numbers: `Ok(true)` for the URL alphabet,
/// `Ok(false)` for the standard one; `Err` with the first byte outside the alphabet, if any.
fn base64_alphabet(t: &[u8]) -> Result<bool, Option<u8>> {
    // One pass (this runs on every whole value of 15 characters or more): most values leave
    // at their first byte outside the alphabet (`*` in a masked number, a CJK byte).
    let (mut url, mut std, mut hex) = (false, false, true);
    let n = t.len();
    for (i, &b) in t.iter().enumerate() {
        match b {
            b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' => {}
            b'g'..=b'z' | b'G'..=b'Z' => hex = false,
            b'-' | b'_' => (url, hex) = (true, false),
            b'+' | b'/' => (std, hex) = (true, false),
            b'=' if i + 2 >= n => hex = false,
            _ => return Err(Some(b)),
        }
    }
    // Not a hex number, and not both alphabets at once.
    if hex || url && std {
        Err(None)
    } else {
        Ok(url)
    }
}

/// A value's base64 text and alphabet (`true`: URL): the value itself, or, when a line break
/// is the first byte outside the alphabet, the value without MIME's line breaks
/// ([`unwrap_base64`]) and how it was wrapped. Values that are no base64 leave at their first
/// such byte, before any line is looked at.
fn base64_value(t: &[u8]) -> Option<(std::borrow::Cow<'_, [u8]>, Option<Wrap>, bool)> {
    match base64_alphabet(t) {
        Ok(url) => return Some((std::borrow::Cow::Borrowed(t), None, url)),
        Err(Some(b'\r' | b'\n')) => {}
        Err(_) => return None,
    }
    let (joined, wrap) = unwrap_base64(t)?;
    let url = base64_alphabet(&joined).ok()?;
    Some((joined, wrap, url))
}

/// The streaming scanner of one body. Create with [`Engine::stream`].
pub struct StreamScanner {
    lexer: format::Lexer,
    seg: Segmenter,
    /// The decoded (UTF-8) bytes from `raw_base` on: the same as the body's bytes unless the
    /// body is in GB18030 or UTF-16, when `charset` holds the raw ones.
    raw: Vec<u8>,
    raw_base: u64,
    lexed: u64,
    emitted: u64,
    redact: bool,
    done: bool,
    charset: Layer,
    /// The edits as emitted, in raw coordinates (a nested scan's, which its outer value
    /// writes back one by one: see `Segmenter::try_nested`).
    edit_log: Option<EditLog>,
}

/// Edits as emitted: raw start, raw end, and the bytes written in their place.
pub(crate) type EditLog = Vec<(u64, u64, Vec<u8>)>;

/// How the body's bytes become the UTF-8 the lexers read.
enum Layer {
    Utf8,
    /// Not known yet: the body's first bytes (a UTF-16 mark or pattern) are still coming,
    /// everything so far was ASCII, or the window after the first non-ASCII byte is still
    /// filling.
    Sniff(Box<Sniffer>),
    /// GB18030 or UTF-16, decoded.
    Decoded(Box<Transcoder>),
}

#[derive(Default)]
struct Sniffer {
    /// A GB charset was declared: GB18030 unless the bytes are UTF-8.
    prefer_gb: bool,
    /// The body's first bytes were judged for UTF-16.
    started: bool,
    /// The body's first bytes, for an XML declaration (and, before `started`, for UTF-16).
    prefix: Vec<u8>,
    /// Bytes from the first non-ASCII byte on, held until the window is full.
    held: Vec<u8>,
    /// The ASCII byte before the first non-ASCII one (`5` in `36.5°C`), which tells
    /// Latin-1 written in UTF-8 from a GBK character of the same bytes.
    before: Option<u8>,
}

/// The first `need` bytes from here on (or all that is left at the end of the body) for a
/// judgement: `chunk` itself when nothing was gathered before and it holds them (the usual
/// case: no copy), else what `buf` gathered once it holds them; `None` while they are still
/// coming.
fn gather<'a>(
    buf: &mut Vec<u8>,
    chunk: &'a [u8],
    need: usize,
    eof: bool,
) -> Option<std::borrow::Cow<'a, [u8]>> {
    if buf.is_empty() && (chunk.len() >= need || eof) {
        return Some(chunk.into());
    }
    buf.extend_from_slice(chunk);
    (buf.len() >= need || eof).then(|| std::mem::take(buf).into())
}

/// How much of a body's start is kept to read an XML declaration from.
const DECL_PREFIX: usize = 256;

/// ASCII at a body's start after which, with no other byte yet, the body is taken for UTF-8
/// (a GB body holds Chinese long before): it bounds how long a replacement that is not ASCII
/// waits for the charset it must be written in.
const ASCII_MAX: u64 = 64 * 1024;

/// Where emitted output goes: copies of the input's decoded ranges, and replacement bytes.
trait Sink {
    fn copy(&mut self, start: u64, end: u64, decoded: &[u8]);
    fn put(&mut self, bytes: &[u8]);
}

/// Writes an edit's replacement: its new bytes, and the raw ranges it keeps (`slice` gives
/// their decoded bytes).
fn put_repl<'r, S: Sink>(repl: &Repl, out: &mut S, slice: impl Fn(u64, u64) -> &'r [u8]) {
    match repl {
        Repl::Bytes(b) => out.put(b),
        Repl::Text(t) => out.put(t.as_bytes()),
        Repl::Pieces(pieces) => {
            for p in pieces {
                match p {
                    Piece::Raw(s, t) => out.copy(*s, *t, slice(*s, *t)),
                    Piece::Bytes(b) => out.put(b),
                }
            }
        }
    }
}

/// UTF-8 output: a copy is the decoded bytes themselves.
struct Utf8Out<'a>(&'a mut Vec<u8>);

impl Sink for Utf8Out<'_> {
    fn copy(&mut self, _: u64, _: u64, decoded: &[u8]) {
        self.0.extend_from_slice(decoded);
    }
    fn put(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
}

/// GB18030 or UTF-16 output: a copy is the raw bytes the range was decoded from (byte for
/// byte what came in, malformed sequences included); only replacements are encoded.
struct RawOut<'a> {
    out: &'a mut Vec<u8>,
    t: &'a Transcoder,
}

impl Sink for RawOut<'_> {
    fn copy(&mut self, start: u64, end: u64, _: &[u8]) {
        self.out.extend_from_slice(self.t.raw_slice(start, end));
    }
    fn put(&mut self, bytes: &[u8]) {
        self.t.codec().encode_into(bytes, self.out);
    }
}

impl StreamScanner {
    /// A scanner whose plain-text body is the value of field `key` (see `outer_key`).
    pub(crate) fn with_outer_key(mut self, key: Option<Arc<str>>) -> Self {
        self.seg.outer_key = key;
        self
    }

    pub(crate) fn new(engine: Arc<Engine>, opts: ScanOptions, depth: u8) -> Self {
        let redact = opts.redact;
        let lexer = format::Lexer::new(opts.format, opts.charset == Charset::DeclaredGb);
        let charset = match Codec::of(opts.charset) {
            Some(codec) => Layer::Decoded(Box::new(Transcoder::new(codec))),
            None if opts.charset == Charset::Utf8 => Layer::Utf8,
            None => Layer::Sniff(Box::new(Sniffer {
                prefer_gb: opts.charset == Charset::DeclaredGb,
                ..Sniffer::default()
            })),
        };
        StreamScanner {
            lexer,
            seg: Segmenter::new(engine, opts, depth),
            raw: Vec::new(),
            raw_base: 0,
            lexed: 0,
            emitted: 0,
            redact,
            done: false,
            charset,
            edit_log: None,
        }
    }

    /// Records every edit as it is emitted, for [`StreamScanner::take_edits`].
    pub(crate) fn log_edits(mut self) -> Self {
        self.edit_log = Some(Vec::new());
        self
    }

    /// The edits emitted so far: raw start, raw end and the bytes written in their place.
    pub(crate) fn take_edits(&mut self) -> EditLog {
        self.edit_log
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Feeds the next chunk. Redacted output (when redacting) is appended to `out`, new
    /// findings to `findings`. Output lags input by at most the value being decided.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>, findings: &mut Vec<Finding>) {
        if self.done {
            return;
        }
        self.feed(chunk, false, out, findings);
    }

    /// Ends the body: flushes everything still held.
    pub fn finish(&mut self, out: &mut Vec<u8>, findings: &mut Vec<Finding>) {
        if self.done {
            return;
        }
        self.feed(&[], true, out, findings);
        self.done = true;
    }

    /// Raw bytes currently held back (not yet emitted or not yet lexed).
    pub fn held(&self) -> usize {
        match &self.charset {
            Layer::Utf8 => self.raw.len(),
            // Before `started`, `prefix` gathers the body's first bytes, not yet passed on.
            Layer::Sniff(s) if !s.started => self.raw.len() + s.prefix.len(),
            Layer::Sniff(s) => self.raw.len() + s.held.len(),
            Layer::Decoded(t) => t.held(),
        }
    }

    /// The charset the body is read in: `Auto` while that is still undecided.
    pub fn charset(&self) -> Charset {
        match &self.charset {
            Layer::Utf8 => Charset::Utf8,
            Layer::Sniff(_) => Charset::Auto,
            Layer::Decoded(t) => t.codec().charset(),
        }
    }

    fn feed(&mut self, chunk: &[u8], eof: bool, out: &mut Vec<u8>, findings: &mut Vec<Finding>) {
        match &mut self.charset {
            Layer::Utf8 => {
                self.raw.extend_from_slice(chunk);
                self.run(eof, out, findings);
            }
            Layer::Decoded(t) => {
                t.decode(chunk, eof, &mut self.raw);
                self.run(eof, out, findings);
            }
            Layer::Sniff(s) if !s.started => {
                // A UTF-16 body says so in its first bytes: a mark, or zero bytes between
                // the characters. Nothing passes before they are judged; a first chunk that
                // holds them all (the usual case) is judged where it is.
                // An event stream opens with an ASCII field name (`data:`), which no UTF-16
                // text does: its first event must not wait for the bytes UTF-16 needs.
                const N: usize = format::text::FIELD_LEN;
                let mut first = [0u8; N];
                let mut known = 0;
                for (slot, &b) in first.iter_mut().zip(s.prefix.iter().chain(chunk)) {
                    *slot = b;
                    known += 1;
                }
                let need = if known == N && format::text::opens_event_stream(&first) {
                    N
                } else {
                    charset::UTF16_HEAD
                };
                let Some(head) = gather(&mut s.prefix, chunk, need, eof) else {
                    return;
                };
                let head = &*head;
                s.started = true;
                // Judged on `need` bytes whatever the first chunk holds: an event stream's
                // ASCII opening is no UTF-16, and zero bytes further on (a binary field) must
                // not make it one only when they arrive in the same chunk.
                let n = head.len().min(need);
                if let Some(codec) = charset::utf16_head(&head[..n]).and_then(Codec::of) {
                    self.charset = Layer::Decoded(Box::new(Transcoder::new(codec)));
                }
                self.feed(head, eof, out, findings);
            }
            Layer::Sniff(s) => {
                let mut rest = chunk;
                if s.held.is_empty() {
                    // ASCII reads the same in every charset the engine knows: pass it on, up
                    // to `ASCII_MAX` from the start, where the body is taken for UTF-8.
                    let fed = self.raw_base + self.raw.len() as u64;
                    let room = (ASCII_MAX.saturating_sub(fed) as usize).min(chunk.len());
                    let ascii = chunk[..room]
                        .iter()
                        .position(|&b| b >= 0x80)
                        .unwrap_or(room);
                    if ascii == room && room < chunk.len() {
                        self.raw.extend_from_slice(&chunk[..ascii]);
                        self.charset = Layer::Utf8;
                        self.feed(&chunk[ascii..], eof, out, findings);
                        return;
                    }
                    let room = DECL_PREFIX.saturating_sub(s.prefix.len()).min(ascii);
                    s.prefix.extend_from_slice(&chunk[..room]);
                    if let Some(&b) = ascii.checked_sub(1).and_then(|i| chunk.get(i)) {
                        s.before = Some(b);
                    }
                    self.raw.extend_from_slice(&chunk[..ascii]);
                    rest = &chunk[ascii..];
                    if rest.is_empty() && !eof {
                        self.run(false, out, findings);
                        return;
                    }
                }
                // The window after the first non-ASCII byte: judged where it is when this
                // chunk holds it all, else gathered.
                let gb_declared =
                    s.prefer_gb || charset::xml_declared(&s.prefix) == Some(Charset::DeclaredGb);
                // A window that is UTF-8 only by two-byte characters GBK writes as well
                // (`女` is `C5 AE`, Latin `Ů`, then ASCII to the window's end) proves
                // nothing: the longer window decides (its first bytes, however the body was
                // cut, so the same window for every chunking).
                let need = {
                    let mut head = [0u8; charset::SNIFF_WINDOW];
                    let have = s.held.len().min(head.len());
                    head[..have].copy_from_slice(&s.held[..have]);
                    let more = rest.len().min(head.len() - have);
                    head[have..have + more].copy_from_slice(&rest[..more]);
                    if !gb_declared
                        && have + more == head.len()
                        && charset::ambiguous_utf8(&head, s.before)
                    {
                        charset::SNIFF_WINDOW_LONG
                    } else {
                        charset::SNIFF_WINDOW
                    }
                };
                let Some(window) = gather(&mut s.held, rest, need, eof) else {
                    // The ASCII before the held bytes goes on meanwhile.
                    self.run(false, out, findings);
                    return;
                };
                let window = &*window;
                // The window is the same bytes however the body was cut.
                let n = window.len().min(need);
                let whole = eof && window.len() <= need;
                let decided = if window.is_empty() {
                    Charset::Utf8
                } else if gb_declared {
                    // Declared GB: unless the bytes are plainly UTF-8.
                    if charset::declared_gb_is_utf8(&window[..n], s.before, whole) {
                        Charset::Utf8
                    } else {
                        Charset::Gb18030
                    }
                } else {
                    charset::sniff(&window[..n], whole)
                };
                let held = window;
                if decided == Charset::Gb18030 {
                    // Everything before was ASCII, and what is not emitted yet is output
                    // from the transcoder's copy of it.
                    let t = Transcoder::after_ascii(self.raw_base, &self.raw);
                    self.charset = Layer::Decoded(Box::new(t));
                } else {
                    self.charset = Layer::Utf8;
                }
                self.feed(held, eof, out, findings);
            }
        }
    }

    fn run(&mut self, eof: bool, out: &mut Vec<u8>, findings: &mut Vec<Finding>) {
        let from = (self.lexed - self.raw_base) as usize;
        let consumed = self
            .lexer
            .lex(&self.raw[from..], self.lexed, eof, &mut self.seg);
        self.lexed += consumed as u64;
        self.seg.bound_lookback(self.lexed);
        if eof {
            // Whatever the lexer left (an incomplete escape at the very end) is literal.
            let from = (self.lexed - self.raw_base) as usize;
            if from < self.raw.len() {
                if !self.seg.is_active() {
                    self.seg.begin(SegKind::Text, self.lexed, None);
                }
                self.seg.plain(&self.raw[from..], self.lexed);
                self.lexed = self.raw_base + self.raw.len() as u64;
            }
            if self.seg.is_active() {
                self.seg.end(self.lexed);
            }
            // A number field still waiting for its type has its own reading.
            self.seg.resolve_all_lookback();
        }
        let new_from = findings.len();
        if let Some(pin) = self.seg.pinned() {
            // A held number field's findings go in among the later ones when its record
            // says which reading holds: those wait with it, so that findings come in the
            // order of the body however it was cut.
            let n = self
                .seg
                .findings
                .iter()
                .position(|f| f.start >= pin)
                .unwrap_or(self.seg.findings.len());
            findings.extend(self.seg.findings.drain(..n));
        } else if findings.is_empty() {
            // Hand over the buffer rather than copy it (a whole body's findings in one go).
            std::mem::swap(findings, &mut self.seg.findings);
        } else {
            findings.append(&mut self.seg.findings);
        }
        let mut safe = if self.seg.is_active() {
            self.seg.hold_from
        } else {
            self.lexed
        };
        if let Some(pin) = self.seg.pinned() {
            safe = safe.min(pin);
        }
        if matches!(self.charset, Layer::Sniff(_)) {
            // A replacement that is not ASCII is written in the body's charset: it waits
            // until that is known (at most `ASCII_MAX` into the body).
            if let Some(e) = self.seg.edits.iter().find(|e| !e.repl.is_ascii()) {
                safe = safe.min(e.start);
            }
        }
        // Out of `self` for the emit below, which borrows the scanner mutably.
        let mut layer = std::mem::replace(&mut self.charset, Layer::Utf8);
        if let Layer::Decoded(t) = &layer {
            // Findings name raw-body offsets, whatever the charset.
            for f in &mut findings[new_from..] {
                f.start = t.raw_at(f.start);
                f.end = t.raw_at(f.end);
            }
        }
        if self.redact {
            match &layer {
                Layer::Decoded(t) => self.emit(safe, &mut RawOut { out, t }),
                _ => self.emit(safe, &mut Utf8Out(out)),
            }
        }
        let keep_from = if self.redact {
            self.emitted
        } else {
            self.lexed
        };
        let drop = (keep_from - self.raw_base) as usize;
        if drop > 0 {
            self.raw.drain(..drop);
            self.raw_base = keep_from;
        }
        if let Layer::Decoded(t) = &mut layer {
            // Not past what later findings may still name: a scan that only reports drops
            // its decoded bytes as it lexes them, while the open value's findings are to come.
            t.release(self.raw_base.min(safe));
        }
        self.charset = layer;
    }

    fn emit<S: Sink>(&mut self, safe: u64, out: &mut S) {
        let base = self.raw_base;
        let raw = &self.raw;
        let slice = |s: u64, e: u64| &raw[(s - base) as usize..(e - base) as usize];
        while let Some(e) = self.seg.edits.front() {
            if e.start >= safe {
                break;
            }
            let Some(e) = self.seg.edits.pop_front() else {
                break;
            };
            if e.start > self.emitted {
                out.copy(self.emitted, e.start, slice(self.emitted, e.start));
            }
            if let Some(log) = &mut self.edit_log {
                // A nested scan's text is UTF-8, so its decoded bytes are its raw ones.
                let mut b = Vec::new();
                put_repl(&e.repl, &mut Utf8Out(&mut b), slice);
                log.push((e.start, e.end, b));
            }
            put_repl(&e.repl, out, slice);
            self.emitted = self.emitted.max(e.end);
        }
        if safe > self.emitted {
            out.copy(self.emitted, safe, slice(self.emitted, safe));
            self.emitted = safe;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::base64_alphabet;

    #[test]
    fn base64_alphabet_cases() {
        for (t, want) in [
            (&b"MTM4MDAxMzgwMDA="[..], Some(false)),
            (b"MTM4MDAxMzgwMDA", Some(false)),
            (b"ab+/cd==", Some(false)),
            (b"ab-_cd", Some(true)),
            // Mixed alphabets, padding inside, bytes outside the alphabet.
            (b"ab-+cd", None),
            (b"ab=cdefg", None),
            (b"110105********6163", None),
            (b"\xe5\xbc\xa0abc", None),
            // Digit and hex strings are numbers, not base64.
            (b"1705875546777639559", None),
            (b"deadBEEF0123", None),
        ] {
            assert_eq!(
                base64_alphabet(t).ok(),
                want,
                "{}",
                String::from_utf8_lossy(t)
            );
        }
    }
}
