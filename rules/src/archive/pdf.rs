//! PDF documents read as the text their pages show. Certificates, notices and registration
//! forms travel between departments as PDF as often as OFD, and a PDF keeps its text in
//! deflated content streams, as glyph codes of fonts that each map codes to characters their
//! own way: no scan of the body's bytes sees a digit of it. Here the document is parsed
//! (`lopdf`: objects, cross-reference tables and streams, object streams, decryption with the
//! empty password, every stream unpacked under a cap), and each page's content stream is
//! interpreted as far as text goes: the text and graphics state (`cm`, `q`/`Q`, `Tm`, `Td`,
//! `TJ`…), form XObjects drawn on the page, and each font's code map (a `ToUnicode` CMap, the
//! UCS-2 and GBK CMaps of the Adobe-GB1 fonts, a simple font's encoding) and glyph widths.
//! Each shown string becomes a text element placed on the page, and the page is read as the
//! lines they make, like an OFD page ([`super::docx::lay_out`]): a value cut into separate
//! strings, a table drawn as text, a label beside its value are read as a reader sees them.
//!
//! Redaction is in place: a masked character's glyph code is replaced by the code of the
//! mask character in the same font (`*`, else `X`, else a space), so every other glyph keeps
//! its place and the page keeps its layout; the content stream is spliced (only the changed
//! strings are rewritten, as hex strings) and deflated again, and the document is written
//! anew without its earlier revisions (an incremental update would keep the old text in the
//! file). A font with no code for any mask character, a font whose codes map to no characters
//! (`Identity-H` with no `ToUnicode`), an encrypted document that must be rewritten, and
//! embedded files are reported as unread, which a caller that must not let unseen data pass
//! treats as a failure. The document information, XMP metadata, annotations and form fields
//! (a field's name is its value's key) are scanned too; text inside images is not (no OCR).
//!
//! The content-stream tokenizer is ours, not `lopdf`'s `Content::decode`: redaction needs
//! each string operand's byte range in the stream, to splice it without re-encoding the rest.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;

use lopdf::{Dictionary, Document, Encoding, Object, ObjectId};

use super::docx::{lay_out, read_units, Doc, Placed};
use super::xlsx::{push_json_str, value_literals};
use super::{ArchiveError, MemberFinding, Unread};
use crate::stream::ScanOptions;
use crate::{Engine, Format};

/// Whether a body is a PDF file: `%PDF-` within its first KiB, where readers look for it.
pub fn is_pdf(body: &[u8]) -> bool {
    memchr::memmem::find(&body[..body.len().min(1024)], b"%PDF-").is_some()
}

/// How deep form XObjects drawn inside form XObjects are followed.
const MAX_FORM_DEPTH: usize = 8;
/// How deep the graphics-state stack (`q`) goes; deeper pushes are ignored.
const MAX_STATE_DEPTH: usize = 64;

/// What reading a PDF gave.
pub(super) struct PdfScan {
    pub findings: Vec<MemberFinding>,
    pub unread: Vec<Unread>,
    pub output: Option<Vec<u8>>,
    pub scanned: usize,
}

/// Reads (and with `opts.redact`, redacts) the PDF `body`; `path` names it inside an
/// archive (empty for a body). Unpacked streams count against `left`.
pub(super) fn scan(
    engine: &Arc<Engine>,
    opts: &ScanOptions,
    body: &[u8],
    path: &str,
    left: &mut u64,
    budget: u64,
) -> Result<PdfScan, ArchiveError> {
    let name = |what: &str| -> Arc<str> {
        if path.is_empty() {
            what.into()
        } else {
            format!("{path}!/{what}").into()
        }
    };
    let mut out = PdfScan {
        findings: Vec::new(),
        unread: Vec::new(),
        output: None,
        scanned: 0,
    };
    // `lopdf` unpacks object streams while it loads, each under the cap it is given: the
    // budget is shared among them (every object stream's dictionary is plain in the file).
    let object_streams = memchr::memmem::find_iter(body, b"/ObjStm").count() as u64;
    let per_stream = (*left / (object_streams + 1)).max(1);
    let options = lopdf::LoadOptions {
        max_decompressed_size: Some(usize::try_from(per_stream).unwrap_or(usize::MAX)),
        ..lopdf::LoadOptions::default()
    };
    // A third-party parser of hostile input: a panic in it is a document that could not be
    // read, not a crashed proxy.
    let loaded = std::panic::catch_unwind(|| Document::load_mem_with_options(body, options));
    let mut doc = match loaded {
        Ok(Ok(doc)) => doc,
        Ok(Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded {
            ..
        }))) => {
            return Err(ArchiveError::Bomb(budget));
        }
        Ok(Err(_)) | Err(_) => {
            out.unread.push(Unread {
                member: name("(document)").to_string(),
                reason: "corrupt PDF".into(),
            });
            return Ok(out);
        }
    };
    if doc.is_encrypted() && !doc.was_encrypted() {
        out.unread.push(Unread {
            member: name("(document)").to_string(),
            reason: "encrypted".into(),
        });
        return Ok(out);
    }
    // What the reader never sees: objects an incremental update replaced (only the last
    // revision is loaded) and objects nothing refers to. A document holding either is
    // written anew without them, whatever is found in the rest (they may hold the values
    // a later revision removed).
    // (Object streams and cross-reference streams are the file's machinery, which nothing
    // refers to by design.)
    let stale = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let machinery: HashSet<ObjectId> = doc
            .objects
            .iter()
            .filter(|(_, o)| {
                o.as_stream().is_ok_and(|s| {
                    matches!(
                        s.dict.get(b"Type").and_then(Object::as_name),
                        Ok(b"ObjStm" | b"XRef")
                    )
                })
            })
            .map(|(id, _)| *id)
            .collect();
        doc.prune_objects().iter().any(|id| !machinery.contains(id)) || replaced_objects(body)
    }))
    .unwrap_or(true);
    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_document(engine, opts, &doc, left, &name)
    }));
    let edits = match read {
        Ok(Ok(r)) => r,
        Ok(Err(bomb)) => return Err(bomb.with_budget(budget)),
        Err(_) => {
            out.unread.push(Unread {
                member: name("(document)").to_string(),
                reason: "corrupt PDF".into(),
            });
            return Ok(out);
        }
    };
    out.findings = edits.findings;
    out.unread = edits.unread;
    out.scanned = edits.scanned;
    if edits.streams.is_empty() && edits.strings.is_empty() && (!stale || !opts.redact) {
        return Ok(out);
    }
    if doc.was_encrypted() {
        out.unread.push(Unread {
            member: name("(document)").to_string(),
            reason: "an encrypted PDF holding sensitive data or earlier revisions is not \
                     rewritten"
                .into(),
        });
        return Ok(out);
    }
    for (id, content) in edits.streams {
        if let Ok(Object::Stream(s)) = doc.get_object_mut(id) {
            s.set_plain_content(content);
            // Compression is an optimization; a stream it fails on stays plain.
            let _ = s.compress();
        }
    }
    for (id, path, value) in edits.strings {
        let target = if id == (0, 0) {
            match path.split_first() {
                Some((Step::Key(k), rest)) => {
                    doc.trailer.get_mut(k).ok().and_then(|o| string_at(o, rest))
                }
                _ => None,
            }
        } else {
            doc.get_object_mut(id)
                .ok()
                .and_then(|o| string_at(o, &path))
        };
        if let Some(o) = target {
            *o = value;
        }
    }
    for id in edits.stale_appearances {
        // A field's widgets may be its kids.
        let kids: Vec<ObjectId> = doc
            .get_dictionary(id)
            .ok()
            .and_then(|d| d.get(b"Kids").ok())
            .and_then(|k| k.as_array().ok())
            .map(|k| k.iter().filter_map(|o| o.as_reference().ok()).collect())
            .unwrap_or_default();
        for id in std::iter::once(id).chain(kids) {
            if let Some(d) = dict_mut(&mut doc, id) {
                d.remove(b"AP");
            }
        }
    }
    if edits.need_appearances {
        let form = doc
            .catalog()
            .ok()
            .and_then(|c| c.get(b"AcroForm").ok())
            .cloned();
        match form {
            Some(Object::Reference(id)) => {
                if let Some(d) = dict_mut(&mut doc, id) {
                    d.set("NeedAppearances", true);
                }
            }
            Some(Object::Dictionary(mut d)) => {
                d.set("NeedAppearances", true);
                if let Ok(c) = doc.catalog_mut() {
                    c.set("AcroForm", d);
                }
            }
            _ => {}
        }
    }
    let mut written = Vec::with_capacity(body.len());
    match doc.save_to(&mut written) {
        Ok(()) => out.output = Some(written),
        Err(e) => {
            out.unread.push(Unread {
                member: name("(document)").to_string(),
                reason: format!("the redacted PDF could not be written: {e}"),
            });
        }
    }
    Ok(out)
}

/// Whether the file defines one object twice (`12 0 obj` in the body and again in an
/// incremental update): the earlier definition is a revision the reader does not load.
fn replaced_objects(body: &[u8]) -> bool {
    let mut seen = HashSet::new();
    for at in memchr::memmem::find_iter(body, b" obj") {
        if !body
            .get(at + 4)
            .is_none_or(|&b| is_white(b) || matches!(b, b'<' | b'[' | b'(' | b'/'))
        {
            continue;
        }
        // `<number> <generation> obj`, after white space or the start.
        let mut i = at;
        let digits = |i: &mut usize| {
            let end = *i;
            while *i > 0 && body[*i - 1].is_ascii_digit() {
                *i -= 1;
            }
            (end > *i).then(|| body[*i..end].to_vec())
        };
        let Some(generation) = digits(&mut i) else {
            continue;
        };
        if i == 0 || body[i - 1] != b' ' {
            continue;
        }
        i -= 1;
        let Some(number) = digits(&mut i) else {
            continue;
        };
        if i > 0 && !is_white(body[i - 1]) {
            continue;
        }
        if !seen.insert((number, generation)) {
            return true;
        }
    }
    false
}

/// The dictionary of object `id` (a stream's dictionary too), to change.
fn dict_mut(doc: &mut Document, id: ObjectId) -> Option<&mut Dictionary> {
    match doc.get_object_mut(id).ok()? {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&mut s.dict),
        _ => None,
    }
}

/// A decompression past the budget, found while reading.
struct Bomb;

impl Bomb {
    fn with_budget(self, budget: u64) -> ArchiveError {
        ArchiveError::Bomb(budget)
    }
}

/// What reading a document found and what redaction changes in it.
#[derive(Default)]
struct Edits {
    findings: Vec<MemberFinding>,
    unread: Vec<Unread>,
    scanned: usize,
    /// New plain content of content streams.
    streams: Vec<(ObjectId, Vec<u8>)>,
    /// New values of strings outside content streams: (object, where in it, value); object 0
    /// is the trailer.
    strings: Vec<(ObjectId, Vec<Step>, Object)>,
    /// Widgets whose value changed: their appearance, which shows the old value, goes, and
    /// the form asks readers to draw it anew from the value.
    stale_appearances: Vec<ObjectId>,
    need_appearances: bool,
    /// Redacted strings (old, new): the XMP metadata copies the document information.
    replaced: Vec<(String, String)>,
}

fn read_document(
    engine: &Arc<Engine>,
    opts: &ScanOptions,
    doc: &Document,
    left: &mut u64,
    name: &dyn Fn(&str) -> Arc<str>,
) -> Result<Edits, Bomb> {
    let mut edits = Edits::default();
    let mut fonts = Fonts::default();
    // Per content stream: the masked glyph codes of each changed string (a stream drawn
    // twice, a form on two pages, is masked where either reading masked it).
    let mut masks: BTreeMap<ObjectId, BTreeMap<usize, Masked>> = BTreeMap::new();
    let mut plain: HashMap<ObjectId, Vec<u8>> = HashMap::new();
    // The heading of the table the page before ended in.
    let mut heading: Option<String> = None;
    let mut operators = 0usize;
    let mut truncated = false;
    let mut marked: Vec<MarkedText> = Vec::new();
    let pages = doc.get_pages();
    // A page tree this parser cannot walk whole (pages given as direct objects) hides pages.
    let declared = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"Pages").ok())
        .and_then(|p| doc.dereference(p).ok())
        .and_then(|(_, p)| p.as_dict().ok())
        .and_then(|p| p.get(b"Count").ok())
        .and_then(|c| c.as_i64().ok());
    if pages.is_empty() || declared.is_some_and(|n| n != pages.len() as i64) {
        edits.unread.push(Unread {
            member: name("(page tree)").to_string(),
            reason: "pages that cannot be found from the page tree".into(),
        });
    }
    for (number, page) in pages {
        let member = name(&format!("page {number}"));
        let mut reader = PageReader::new(doc, &mut fonts, left, &mut plain, &mut operators);
        let resources = inherited(doc, page, b"Resources");
        let mut it = Interp::new(IDENTITY);
        for id in doc.get_page_contents(page) {
            reader.run(id, resources, &mut it, 0)?;
        }
        // What annotations show (a form field's value, a free-text note) is drawn by their
        // appearance streams, where the annotation's rectangle starts.
        for (id, origin) in appearances(doc, page) {
            reader.appearance(id, resources, origin)?;
        }
        let PageReader {
            sources,
            shown,
            placed,
            mut doc_text,
            undecodable,
            broken,
            truncated: cut,
            marked: page_marked,
            ..
        } = reader;
        truncated |= cut;
        marked.extend(page_marked);
        if broken {
            edits.unread.push(Unread {
                member: member.to_string(),
                reason: "a content stream could not be unpacked".into(),
            });
        }
        if undecodable {
            edits.unread.push(Unread {
                member: member.to_string(),
                reason: "text in a font whose codes map to no characters".into(),
            });
        }
        if placed.is_empty() {
            continue;
        }
        edits.scanned += 1;
        lay_out(&mut doc_text, placed);
        heading = doc_text.carry_heading(
            |cells| {
                let short = |c: &str| {
                    let c = c.trim();
                    !c.is_empty() && c.chars().count() <= 16 && super::xlsx::name_like(c)
                };
                cells.len() >= 2
                    && cells.iter().all(|c| short(c))
                    && cells.iter().filter(|c| engine.listens_to(c.trim())).count() >= 2
            },
            heading.take(),
        );
        let Some(reading) = read_units(engine, opts, &doc_text) else {
            edits.unread.push(Unread {
                member: member.to_string(),
                reason: "the redacted page text could not be read back".into(),
            });
            continue;
        };
        for finding in reading.findings {
            edits.findings.push(MemberFinding {
                member: member.clone(),
                finding,
            });
        }
        for (k, new) in reading.new {
            let s = &shown[k];
            let old: Vec<char> = doc_text.piece_text(k).chars().collect();
            let new: Vec<char> = new.chars().collect();
            let mut at = 0;
            let mut hit = vec![false; s.codes.len()];
            for (n, code) in s.codes.iter().enumerate() {
                let end = at + code.chars;
                hit[n] = old.get(at..end) != new.get(at..end);
                at = end;
            }
            if !hit.contains(&true) {
                continue;
            }
            let source = &sources[s.source];
            let entry = masks
                .entry(source.id)
                .or_default()
                .entry(s.token.start)
                .or_insert_with(|| Masked {
                    token: s.token.clone(),
                    bytes: s.bytes.clone(),
                    codes: s.codes.iter().map(|c| c.bytes.clone()).collect(),
                    hit: vec![false; s.codes.len()],
                    font: s.font,
                });
            for (h, n) in entry.hit.iter_mut().zip(hit) {
                *h |= n;
            }
        }
    }
    if truncated {
        edits.unread.push(Unread {
            member: name("(document)").to_string(),
            reason: "content streams past the interpretation cap (forms drawn too many times \
                     or nested too deep)"
                .into(),
        });
    }
    // Replacement bytes per content stream: masked strings, rewritten marked-content text.
    let mut splices = Splices::new();
    for (id, strings) in masks {
        let mut failed = false;
        for m in strings.values() {
            let Some(mask) = fonts.mask_code(m.font) else {
                failed = true;
                continue;
            };
            let mut bytes = Vec::with_capacity(m.bytes.len());
            for (r, hit) in m.codes.iter().zip(&m.hit) {
                bytes.extend_from_slice(if *hit { &mask[..] } else { &m.bytes[r.clone()] });
            }
            splices
                .entry(id)
                .or_default()
                .push((m.token.clone(), hex_string(&bytes)));
        }
        if failed {
            edits.unread.push(Unread {
                member: name(&format!("content stream {} {}", id.0, id.1)).to_string(),
                reason: "a font with no glyph to mask with".into(),
            });
        }
    }
    read_marked(engine, opts, &marked, name, &mut edits, &mut splices);
    for (id, mut list) in splices {
        let Some(content) = plain.get(&id) else {
            continue;
        };
        list.sort_by_key(|(r, _)| r.start);
        let mut out = Vec::with_capacity(content.len());
        let mut at = 0;
        for (r, bytes) in list {
            if r.start < at || r.end > content.len() {
                continue;
            }
            out.extend_from_slice(&content[at..r.start]);
            out.extend_from_slice(&bytes);
            at = r.end;
        }
        out.extend_from_slice(&content[at..]);
        edits.streams.push((id, out));
    }
    read_strings(engine, opts, doc, name, &mut edits);
    read_metadata(engine, opts, doc, left, name, &mut edits)?;
    if has_embedded_files(doc) {
        edits.unread.push(Unread {
            member: name("(embedded files)").to_string(),
            reason: "files embedded in a PDF are not read".into(),
        });
    }
    Ok(edits)
}

/// Marked-content text found in a content stream: the stream, the string's token, its bytes.
type MarkedText = (ObjectId, Range<usize>, Vec<u8>);

/// Replacement bytes per content stream, by token.
type Splices = BTreeMap<ObjectId, Vec<(Range<usize>, Vec<u8>)>>;

/// `bytes` as a content-stream hex string.
fn hex_string(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 2 + 2);
    out.push(b'<');
    for b in bytes {
        out.extend_from_slice(format!("{b:02X}").as_bytes());
    }
    out.push(b'>');
    out
}

/// The text marked content gives in place of what it shows (`/Span <</ActualText (…)>>
/// BDC`, `Alt`, `E`): what a reader copies and reads aloud. Scanned as one JSON view; a
/// redacted text is written back into its content stream.
fn read_marked(
    engine: &Arc<Engine>,
    opts: &ScanOptions,
    marked: &[MarkedText],
    name: &dyn Fn(&str) -> Arc<str>,
    edits: &mut Edits,
    splices: &mut Splices,
) {
    let texts: Vec<(&MarkedText, String)> = marked
        .iter()
        .filter_map(|m| {
            let o = Object::String(m.2.clone(), lopdf::StringFormat::Literal);
            lopdf::decode_text_string(&o).ok().map(|t| (m, t))
        })
        .filter(|(_, t)| !t.trim().is_empty())
        .collect();
    if texts.is_empty() {
        return;
    }
    let view: Vec<(&str, &str)> = texts
        .iter()
        .map(|(_, t)| ("ActualText", t.as_str()))
        .collect();
    let Some(values) = scan_view(engine, opts, &view, &name("(marked content text)"), edits) else {
        return;
    };
    for ((m, old), new) in texts.into_iter().zip(values) {
        if new == old {
            continue;
        }
        if let Object::String(bytes, _) = lopdf::text_string(&new) {
            splices
                .entry(m.0)
                .or_default()
                .push((m.1.clone(), hex_string(&bytes)));
        }
    }
}

/// Scans texts as one JSON view (`[{"key":"text"},…]`, each text read under its key) and
/// records the findings under `member`. The texts as redacted, one per text, when redaction
/// changed any; `None` when it changed none, when not redacting, or when the redacted view
/// cannot be read back (reported unread).
fn scan_view(
    engine: &Arc<Engine>,
    opts: &ScanOptions,
    texts: &[(&str, &str)],
    member: &Arc<str>,
    edits: &mut Edits,
) -> Option<Vec<String>> {
    let mut view = String::from("[");
    for (n, (key, text)) in texts.iter().enumerate() {
        if n > 0 {
            view.push(',');
        }
        view.push('{');
        push_json_str(&mut view, key);
        view.push(':');
        push_json_str(&mut view, text);
        view.push('}');
    }
    view.push(']');
    let r = engine.scan_bytes(view.as_bytes(), super::as_format(opts, Format::Json));
    for finding in r.findings {
        edits.findings.push(MemberFinding {
            member: member.clone(),
            finding,
        });
    }
    if !opts.redact || r.output == view.as_bytes() {
        return None;
    }
    let values = value_literals(&r.output, texts.len());
    if values.is_none() {
        edits.unread.push(Unread {
            member: member.to_string(),
            reason: "the redacted text could not be read back".into(),
        });
    }
    values
}

/// A string of a content stream whose glyph codes redaction masks.
struct Masked {
    token: Range<usize>,
    bytes: Vec<u8>,
    codes: Vec<Range<usize>>,
    hit: Vec<bool>,
    font: usize,
}

/// An entry of a page dictionary, or of the nearest page-tree node above it that has it
/// (`Resources` and `Rotate` are inherited).
fn inherited<'a>(doc: &'a Document, page: ObjectId, key: &[u8]) -> Option<&'a Dictionary> {
    let mut node = doc.get_dictionary(page).ok()?;
    for _ in 0..64 {
        if let Ok(v) = node.get(key) {
            return doc.dereference(v).ok()?.1.as_dict().ok();
        }
        node = doc
            .dereference(node.get(b"Parent").ok()?)
            .ok()?
            .1
            .as_dict()
            .ok()?;
    }
    None
}

/// One glyph code of a shown string: its bytes in the string, and how many characters it
/// stands for (a ligature's code stands for two).
struct Code {
    bytes: Range<usize>,
    chars: usize,
}

/// A shown string: the content stream it is in, its token's bytes there, its bytes, its
/// codes and its font.
struct Shown {
    source: usize,
    token: Range<usize>,
    bytes: Vec<u8>,
    codes: Vec<Code>,
    font: usize,
}

/// A content stream read on a page, and where its bytes start in the page's reading (the
/// offsets findings report: the page's content streams, one after another).
struct Source {
    id: ObjectId,
    base: usize,
}

type Matrix = [f64; 6];

fn mul(m: &Matrix, n: &Matrix) -> Matrix {
    [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]
}

/// The text state that `q`/`Q` save with the graphics state.
#[derive(Clone, Copy)]
struct State {
    ctm: Matrix,
    font: Option<usize>,
    size: f64,
    char_space: f64,
    word_space: f64,
    scale: f64,
    leading: f64,
    rise: f64,
}

struct PageReader<'a, 'f> {
    doc: &'a Document,
    fonts: &'f mut Fonts<'a>,
    left: &'f mut u64,
    plain: &'f mut HashMap<ObjectId, Vec<u8>>,
    sources: Vec<Source>,
    shown: Vec<Shown>,
    placed: Vec<Placed>,
    doc_text: Doc,
    /// Text was shown in a font this reader cannot decode.
    undecodable: bool,
    /// A content stream could not be unpacked.
    broken: bool,
    /// The forms being drawn (a form that draws itself is drawn once).
    forms: Vec<ObjectId>,
    /// Operators interpreted in the document so far, and whether the cap stopped it.
    operators: &'f mut usize,
    truncated: bool,
    /// Marked-content text (`ActualText`, `Alt`, `E`): content stream, token, bytes.
    marked: Vec<MarkedText>,
}

/// An operand of a content-stream operator.
enum Operand {
    Num(f64),
    Str(Range<usize>, Vec<u8>),
    Name(Vec<u8>),
    Array(Vec<Operand>),
    Other,
}

impl Operand {
    fn num(&self) -> Option<f64> {
        match self {
            Operand::Num(n) => Some(*n),
            _ => None,
        }
    }
}

/// The text and graphics state of an interpretation: carried from one content stream of a
/// page to the next (the streams of `Contents` are one stream cut in pieces), and into a
/// form XObject from where it is drawn.
#[derive(Clone)]
struct Interp {
    state: State,
    saved: Vec<State>,
    tm: Matrix,
    tlm: Matrix,
}

impl Interp {
    fn new(ctm: Matrix) -> Self {
        Interp {
            state: State {
                ctm,
                font: None,
                size: 0.0,
                char_space: 0.0,
                word_space: 0.0,
                scale: 1.0,
                leading: 0.0,
                rise: 0.0,
            },
            saved: Vec::new(),
            tm: IDENTITY,
            tlm: IDENTITY,
        }
    }
}

const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// Content-stream operators one document may have interpreted (forms drawn many times count
/// each time): a small file whose forms draw forms fans out exponentially.
const MAX_OPERATORS: usize = 4 << 20;
/// Operands kept before an operator (the last ones: an operator takes its operands from the
/// end of the list).
const MAX_OPERANDS: usize = 64;

impl<'a, 'f> PageReader<'a, 'f> {
    /// A reader of one page, sharing the document's fonts, budget, decompressed streams and
    /// operator count with the other pages' readers.
    fn new(
        doc: &'a Document,
        fonts: &'f mut Fonts<'a>,
        left: &'f mut u64,
        plain: &'f mut HashMap<ObjectId, Vec<u8>>,
        operators: &'f mut usize,
    ) -> Self {
        PageReader {
            doc,
            fonts,
            left,
            plain,
            sources: Vec::new(),
            shown: Vec::new(),
            placed: Vec::new(),
            doc_text: Doc::new(true),
            undecodable: false,
            broken: false,
            forms: Vec::new(),
            operators,
            truncated: false,
            marked: Vec::new(),
        }
    }
}

impl<'a> PageReader<'a, '_> {
    /// Interprets content stream `id` with `resources`, from the state `it`.
    fn run(
        &mut self,
        id: ObjectId,
        resources: Option<&'a Dictionary>,
        it: &mut Interp,
        depth: usize,
    ) -> Result<(), Bomb> {
        let Some(content) = self.content(id)? else {
            return Ok(());
        };
        let base = self.sources.last().map_or(0, |s| {
            s.base + self.plain.get(&s.id).map_or(0, Vec::len) + 1
        });
        let source = self.sources.len();
        self.sources.push(Source { id, base });
        let mut ops: Vec<Operand> = Vec::new();
        let mut lexer = Lexer { s: &content, i: 0 };
        while let Some(tok) = lexer.next() {
            let op = match tok {
                Tok::Operand(o) => {
                    if ops.len() == MAX_OPERANDS {
                        ops.remove(0);
                    }
                    ops.push(o);
                    continue;
                }
                Tok::Op(op) => op,
            };
            *self.operators += 1;
            if *self.operators > MAX_OPERATORS {
                self.truncated = true;
                return Ok(());
            }
            // Operands are taken from the end: extra ones before them are ignored, as
            // readers do.
            let k = ops.len();
            let n = |i: usize, of: usize| {
                k.checked_sub(of)
                    .and_then(|at| ops.get(at + i))
                    .and_then(Operand::num)
            };
            let st = &mut it.state;
            match op.as_slice() {
                b"q" if it.saved.len() < MAX_STATE_DEPTH => it.saved.push(*st),
                b"Q" => {
                    if let Some(s) = it.saved.pop() {
                        *st = s;
                    }
                }
                b"cm" => {
                    if let Some(m) = matrix(&ops) {
                        st.ctm = mul(&m, &st.ctm);
                    }
                }
                b"BT" => {
                    it.tm = IDENTITY;
                    it.tlm = IDENTITY;
                }
                b"Tf" => {
                    if let (Some(Operand::Name(font)), Some(size)) =
                        (k.checked_sub(2).and_then(|at| ops.get(at)), n(1, 2))
                    {
                        st.font = self.fonts.load(self.doc, resources, font, self.left)?;
                        st.size = size;
                    }
                }
                b"Tc" => st.char_space = n(0, 1).unwrap_or(0.0),
                b"Tw" => st.word_space = n(0, 1).unwrap_or(0.0),
                b"Tz" => st.scale = n(0, 1).unwrap_or(100.0) / 100.0,
                b"TL" => st.leading = n(0, 1).unwrap_or(0.0),
                b"Ts" => st.rise = n(0, 1).unwrap_or(0.0),
                b"Td" | b"TD" => {
                    let (tx, ty) = (n(0, 2).unwrap_or(0.0), n(1, 2).unwrap_or(0.0));
                    if op == b"TD" {
                        st.leading = -ty;
                    }
                    it.tlm = mul(&[1.0, 0.0, 0.0, 1.0, tx, ty], &it.tlm);
                    it.tm = it.tlm;
                }
                b"Tm" => {
                    if let Some(m) = matrix(&ops) {
                        it.tlm = m;
                        it.tm = m;
                    }
                }
                b"T*" => {
                    it.tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -st.leading], &it.tlm);
                    it.tm = it.tlm;
                }
                b"Tj" | b"'" | b"\"" => {
                    if op != b"Tj" {
                        it.tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -st.leading], &it.tlm);
                        it.tm = it.tlm;
                    }
                    if op == b"\"" {
                        st.word_space = n(0, 3).unwrap_or(st.word_space);
                        st.char_space = n(1, 3).unwrap_or(st.char_space);
                    }
                    if let Some(Operand::Str(range, bytes)) = ops.last() {
                        let st = *st;
                        self.show(source, range.clone(), bytes, &st, &mut it.tm);
                    }
                }
                b"TJ" => {
                    if let Some(Operand::Array(items)) = ops.last() {
                        let st = *st;
                        for item in items {
                            match item {
                                Operand::Str(range, bytes) => {
                                    self.show(source, range.clone(), bytes, &st, &mut it.tm);
                                }
                                Operand::Num(adj) => {
                                    let tx = -adj / 1000.0 * st.size * st.scale;
                                    it.tm = mul(&[1.0, 0.0, 0.0, 1.0, tx, 0.0], &it.tm);
                                }
                                _ => {}
                            }
                        }
                    }
                }
                b"Do" => {
                    if let Some(Operand::Name(name)) = ops.last() {
                        if depth < MAX_FORM_DEPTH {
                            let st = *st;
                            self.form(resources, name, &st, depth)?;
                        } else {
                            self.truncated = true;
                        }
                    }
                }
                b"BI" => lexer.skip_inline_image(),
                b"BDC" | b"DP" => {
                    for w in ops.windows(2) {
                        if let [Operand::Name(k), Operand::Str(r, bytes)] = w {
                            if matches!(k.as_slice(), b"ActualText" | b"Alt" | b"E") {
                                self.marked.push((id, r.clone(), bytes.clone()));
                            }
                        }
                    }
                }
                _ => {}
            }
            ops.clear();
        }
        Ok(())
    }

    /// A content stream's plain bytes (once per document: unpacked under the budget).
    fn content(&mut self, id: ObjectId) -> Result<Option<Arc<[u8]>>, Bomb> {
        if let Some(c) = self.plain.get(&id) {
            return Ok(Some(c.as_slice().into()));
        }
        let Ok(stream) = self.doc.get_object(id).and_then(Object::as_stream) else {
            return Ok(None);
        };
        let cap = usize::try_from(*self.left).unwrap_or(usize::MAX);
        match stream.get_plain_content_with_limit(cap) {
            Ok(c) => {
                *self.left -= c.len() as u64;
                let shared: Arc<[u8]> = c.as_slice().into();
                self.plain.insert(id, c);
                Ok(Some(shared))
            }
            Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded {
                ..
            })) => Err(Bomb),
            Err(_) => {
                self.broken = true;
                Ok(None)
            }
        }
    }

    /// Draws form XObject `name` of `resources` (an image draws no text).
    fn form(
        &mut self,
        resources: Option<&'a Dictionary>,
        name: &[u8],
        state: &State,
        depth: usize,
    ) -> Result<(), Bomb> {
        let doc = self.doc;
        let Some(Ok(Object::Reference(id))) = resources
            .and_then(|r| r.get(b"XObject").ok())
            .and_then(|x| doc.dereference(x).ok())
            .and_then(|(_, x)| x.as_dict().ok())
            .map(|x| x.get(name))
        else {
            return Ok(());
        };
        let id = *id;
        if self.forms.contains(&id) {
            return Ok(());
        }
        let Ok(stream) = doc.get_object(id).and_then(Object::as_stream) else {
            return Ok(());
        };
        if !matches!(
            stream.dict.get(b"Subtype").and_then(Object::as_name),
            Ok(b"Form")
        ) {
            return Ok(());
        }
        let m = stream
            .dict
            .get(b"Matrix")
            .ok()
            .and_then(|m| m.as_array().ok())
            .map(|a| {
                a.iter()
                    .map(|o| o.as_float().ok().map(f64::from))
                    .collect::<Vec<_>>()
            })
            .and_then(|v| v.into_iter().collect::<Option<Vec<f64>>>())
            .and_then(|v| <[f64; 6]>::try_from(v).ok())
            .unwrap_or([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
        let own = stream
            .dict
            .get(b"Resources")
            .ok()
            .and_then(|r| doc.dereference(r).ok())
            .and_then(|(_, r)| r.as_dict().ok())
            .or(resources);
        self.forms.push(id);
        let mut it = Interp::new(mul(&m, &state.ctm));
        // A form starts from the graphics state where it is drawn (its font among it).
        it.state = State {
            ctm: it.state.ctm,
            ..*state
        };
        let r = self.run(id, own, &mut it, depth + 1);
        self.forms.pop();
        r
    }

    /// Draws an annotation's appearance stream `id` at `origin`.
    fn appearance(
        &mut self,
        id: ObjectId,
        page: Option<&'a Dictionary>,
        origin: (f64, f64),
    ) -> Result<(), Bomb> {
        let doc = self.doc;
        let Ok(stream) = doc.get_object(id).and_then(Object::as_stream) else {
            return Ok(());
        };
        let own = stream
            .dict
            .get(b"Resources")
            .ok()
            .and_then(|r| doc.dereference(r).ok())
            .and_then(|(_, r)| r.as_dict().ok())
            .or(page);
        let mut it = Interp::new([1.0, 0.0, 0.0, 1.0, origin.0, origin.1]);
        self.forms.push(id);
        let r = self.run(id, own, &mut it, 1);
        self.forms.pop();
        r
    }

    /// Shows string `bytes` (token `range` of source `source`) in the current font: one text
    /// element placed where its first glyph starts, as wide as its glyphs advance.
    fn show(
        &mut self,
        source: usize,
        range: Range<usize>,
        bytes: &[u8],
        st: &State,
        tm: &mut Matrix,
    ) {
        let Some(font) = st.font else {
            // Text in a font that cannot be found or read: shown by viewers, in a fallback
            // font, and unread here.
            if !bytes.is_empty() {
                self.undecodable = true;
            }
            return;
        };
        let Some(decoded) = self.fonts.fonts[font].decode(bytes) else {
            if !bytes.is_empty() {
                self.undecodable = true;
            }
            return;
        };
        let m = mul(tm, &st.ctm);
        let start = mul(&[st.size * st.scale, 0.0, 0.0, st.size, 0.0, st.rise], &m);
        let mut advance = 0.0;
        let mut text = String::new();
        let mut codes = Vec::with_capacity(decoded.len());
        for (r, chars) in decoded {
            let code = &bytes[r.clone()];
            let w = self.fonts.fonts[font].width(code, &chars);
            let space = if code == b" " { st.word_space } else { 0.0 };
            advance += (w / 1000.0 * st.size + st.char_space + space) * st.scale;
            codes.push(Code {
                bytes: r,
                chars: chars.chars().count(),
            });
            text.push_str(&chars);
        }
        *tm = mul(&[1.0, 0.0, 0.0, 1.0, advance, 0.0], tm);
        if text.is_empty() {
            return;
        }
        let x_scale = (m[0] * m[0] + m[1] * m[1]).sqrt();
        let y_scale = (m[2] * m[2] + m[3] * m[3]).sqrt();
        let size = (st.size * y_scale).abs();
        // Text drawn along another direction (a landscape page turned by `cm`, a rotated
        // table) is placed in its own frame, its baseline across: the point is turned back
        // by the text's angle, so its lines lay out as lines.
        let (cos, sin) = if x_scale > 0.0 {
            (m[0] / x_scale, m[1] / x_scale)
        } else {
            (1.0, 0.0)
        };
        let (px, py) = (start[4], start[5]);
        let (x, y, width) = (
            px * cos + py * sin,
            -(py * cos - px * sin),
            advance * x_scale,
        );
        if !(x.is_finite() && y.is_finite() && width.is_finite() && size.is_finite()) {
            return;
        }
        let base = self.sources[source].base;
        let piece = self.doc_text.add_piece(
            0,
            base + range.start..base + range.end,
            text,
            (false, false),
        );
        self.shown.push(Shown {
            source,
            token: range,
            bytes: bytes.to_vec(),
            codes,
            font,
        });
        self.placed.push(Placed {
            piece,
            x,
            y,
            width: width.max(0.0),
            size: size.clamp(0.1, 1000.0),
        });
    }
}

/// The appearance streams of a page's annotations (normal, rollover, down; each state of a
/// check box), with where each annotation's rectangle starts.
fn appearances(doc: &Document, page: ObjectId) -> Vec<(ObjectId, (f64, f64))> {
    let mut out = Vec::new();
    let Some(annots) = doc
        .get_dictionary(page)
        .ok()
        .and_then(|p| p.get(b"Annots").ok())
        .and_then(|a| doc.dereference(a).ok())
        .and_then(|(_, a)| a.as_array().ok())
    else {
        return out;
    };
    for a in annots.iter().take(10_000) {
        let Some(d) = doc.dereference(a).ok().and_then(|(_, d)| d.as_dict().ok()) else {
            continue;
        };
        let rect: Vec<f64> = d
            .get(b"Rect")
            .ok()
            .and_then(|r| doc.dereference(r).ok())
            .and_then(|(_, r)| r.as_array().ok())
            .map(|r| {
                r.iter()
                    .filter_map(|n| n.as_float().ok().map(f64::from))
                    .collect()
            })
            .unwrap_or_default();
        let origin = (
            rect.first().copied().unwrap_or(0.0),
            rect.get(1).copied().unwrap_or(0.0),
        );
        let Some(ap) = d
            .get(b"AP")
            .ok()
            .and_then(|a| doc.dereference(a).ok())
            .and_then(|(_, a)| a.as_dict().ok())
        else {
            continue;
        };
        for (_, v) in ap.iter() {
            match v {
                Object::Reference(id) => match doc.get_object(*id) {
                    Ok(Object::Stream(_)) => out.push((*id, origin)),
                    Ok(Object::Dictionary(states)) => out.extend(
                        states
                            .iter()
                            .filter_map(|(_, s)| s.as_reference().ok())
                            .map(|id| (id, origin)),
                    ),
                    _ => {}
                },
                Object::Dictionary(states) => out.extend(
                    states
                        .iter()
                        .filter_map(|(_, s)| s.as_reference().ok())
                        .map(|id| (id, origin)),
                ),
                _ => {}
            }
        }
    }
    out
}

/// The six numbers of a matrix operand list (`cm`, `Tm`).
fn matrix(ops: &[Operand]) -> Option<Matrix> {
    let v: Vec<f64> = ops.iter().filter_map(Operand::num).collect();
    let m: Matrix = v.get(v.len().checked_sub(6)?..)?.try_into().ok()?;
    m.iter().all(|n| n.is_finite()).then_some(m)
}

/// How a font's codes are split and read.
enum Codes<'a> {
    /// A `ToUnicode` CMap (`lopdf`'s `UnicodeMapEncoding`); codes of a fixed length
    /// (Identity-H: two bytes), or of one or two bytes as the GBK CMaps cut them (0: variable).
    Cmap(Encoding<'a>, u8, Option<Encoding<'a>>),
    /// The UCS-2 / UTF-16 CMaps of the CJK collections (`UniGB-UCS2-H`): codes are UTF-16.
    Utf16,
    /// The GBK CMaps (`GBK-EUC-H`, `GBpc-EUC-H`): codes are GBK bytes.
    Gbk,
    /// A simple font's encoding (one byte a code): a named one, or `Differences` over one.
    Simple(Encoding<'a>),
    /// No way from codes to characters.
    Unknown,
}

struct Font<'a> {
    codes: Codes<'a>,
    /// Glyph widths in thousandths of the font size: (first code, last code, width).
    widths: BTreeMap<u32, (u32, f64)>,
    default_width: Option<f64>,
    /// The code of the mask character, once looked up.
    mask: Option<Option<Vec<u8>>>,
}

impl Font<'_> {
    /// The string's codes and the characters each stands for; `None` when the font's codes
    /// map to nothing.
    fn decode(&self, b: &[u8]) -> Option<Vec<(Range<usize>, String)>> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            let (len, text) = match &self.codes {
                Codes::Unknown => return None,
                Codes::Cmap(Encoding::UnicodeMapEncoding(cmap), fixed, fallback) => {
                    let len = match fixed {
                        0 => gbk_len(b, i),
                        n => usize::from(*n),
                    }
                    .min(b.len() - i);
                    let code = b[i..i + len]
                        .iter()
                        .fold(0u32, |a, &x| a << 8 | u32::from(x));
                    let text = match (cmap.get(code, len as u8), fallback) {
                        (Some(units), _) => String::from_utf16_lossy(&units),
                        (None, Some(enc)) => enc
                            .bytes_to_string(&b[i..i + len])
                            .unwrap_or_else(|_| "\u{FFFD}".to_string()),
                        (None, None) => "\u{FFFD}".to_string(),
                    };
                    (len, text)
                }
                Codes::Cmap(..) => return None,
                Codes::Utf16 => {
                    let unit = |k: usize| b.get(k..k + 2).map(|p| u16::from_be_bytes([p[0], p[1]]));
                    // An odd byte at the end is no code.
                    let Some(u) = unit(i) else {
                        out.push((i..b.len(), "\u{FFFD}".to_string()));
                        break;
                    };
                    if (0xD800..0xDC00).contains(&u) {
                        if let Some(lo) = unit(i + 2) {
                            (4, String::from_utf16_lossy(&[u, lo]))
                        } else {
                            (2, "\u{FFFD}".to_string())
                        }
                    } else {
                        (2, String::from_utf16_lossy(&[u]))
                    }
                }
                Codes::Gbk => {
                    let len = gbk_len(b, i).min(b.len() - i);
                    let (t, _) = encoding_rs::GBK.decode_without_bom_handling(&b[i..i + len]);
                    (len, t.into_owned())
                }
                Codes::Simple(enc) => (
                    1,
                    enc.bytes_to_string(&b[i..=i])
                        .unwrap_or_else(|_| "\u{FFFD}".to_string()),
                ),
            };
            out.push((i..i + len, text));
            i += len;
        }
        Some(out)
    }

    /// A glyph's width in thousandths of the font size: the font's, else an estimate (a Han
    /// character is square, a Latin letter or digit about half as wide).
    fn width(&self, code: &[u8], chars: &str) -> f64 {
        // The widths of a composite font are by glyph (CID); only `Identity` codes are CIDs.
        // The UCS-2 and GBK CMaps map codes to CIDs by tables this reader does not carry,
        // but the CJK collections agree on printable ASCII: CIDs 1 to 95, space first.
        let c = match self.codes {
            Codes::Utf16 | Codes::Gbk => match chars.as_bytes() {
                [b @ 0x20..=0x7E] => u32::from(*b) - 0x1F,
                _ => u32::MAX,
            },
            _ => code.iter().fold(0u32, |a, &x| a << 8 | u32::from(x)),
        };
        if let Some((_, &(last, w))) = self.widths.range(..=c).next_back() {
            if c <= last {
                return w;
            }
        }
        self.default_width
            .unwrap_or_else(|| if chars.is_ascii() { 500.0 } else { 1000.0 })
    }

    /// The code of a mask character in this font: `*`, else `X`, a dash, a dot or a space,
    /// else punctuation (a subset font has only the glyphs its document uses: often no `*`,
    /// always some `，` or `：`); in an `Identity` font, else glyph 0 (`.notdef`, which every
    /// font has and which shows as blank or a box); else any code that stands for no letter,
    /// digit or Han character.
    fn find_mask(&self) -> Option<Vec<u8>> {
        const MASKS: &[char] = &[
            '*', '＊', 'X', 'x', '×', '#', '-', '－', '_', '·', '.', '．', ' ', '　', '，', ',',
            '、', '：', ':', '。', '（', '）', '(', ')', '/', '；', ';',
        ];
        if let Some(code) = MASKS.iter().find_map(|&c| self.code_of(c)) {
            return Some(code);
        }
        let Codes::Cmap(Encoding::UnicodeMapEncoding(cmap), fixed, _) = &self.codes else {
            return None;
        };
        if *fixed == 2 {
            return Some(vec![0, 0]);
        }
        let mut tried = 0usize;
        for (len, map) in cmap.bf_ranges.iter().enumerate() {
            for (range, _) in map.iter() {
                for code in range.clone() {
                    tried += 1;
                    if tried > 1 << 16 {
                        return None;
                    }
                    let Some(units) = cmap.get(code, len as u8 + 1) else {
                        continue;
                    };
                    let text = String::from_utf16_lossy(&units);
                    let mut chars = text.chars();
                    if let (Some(c), None) = (chars.next(), chars.next()) {
                        if !c.is_alphanumeric() && c != '\u{FFFD}' {
                            let bytes = code.to_be_bytes();
                            return Some(bytes[3 - len.min(3)..].to_vec());
                        }
                    }
                }
            }
        }
        None
    }

    /// The code that shows character `c` in this font, when it has one.
    fn code_of(&self, c: char) -> Option<Vec<u8>> {
        {
            let code = match &self.codes {
                Codes::Cmap(Encoding::UnicodeMapEncoding(cmap), _, _) => {
                    let mut units = [0u16; 2];
                    let units = c.encode_utf16(&mut units);
                    cmap.get_source_codes_for_unicode(units)
                        .and_then(|e| e.first())
                        .map(|e| {
                            let bytes = e.source_code.to_be_bytes();
                            bytes[4 - usize::from(e.code_len).min(4)..].to_vec()
                        })
                }
                Codes::Utf16 => {
                    let mut units = [0u16; 2];
                    Some(
                        c.encode_utf16(&mut units)
                            .iter()
                            .flat_map(|u| u.to_be_bytes())
                            .collect(),
                    )
                }
                Codes::Gbk => {
                    let mut buf = [0; 4];
                    let (b, _, bad) = encoding_rs::GBK.encode(c.encode_utf8(&mut buf));
                    (!bad).then(|| b.into_owned())
                }
                Codes::Simple(enc) => {
                    let b = enc.string_to_bytes(c.encode_utf8(&mut [0; 4]));
                    (b.len() == 1).then_some(b)
                }
                Codes::Cmap(..) | Codes::Unknown => None,
            };
            // The code must read back as the character (a CMap may map several codes to one).
            code.filter(|code| {
                self.decode(code)
                    .is_some_and(|d| d.len() == 1 && d[0].1 == c.to_string())
            })
        }
    }
}

/// The length of the GBK code at `b[i]`: one byte below 0x80, else two.
fn gbk_len(b: &[u8], i: usize) -> usize {
    if b[i] < 0x80 {
        1
    } else {
        2
    }
}

/// The fonts read so far, by object.
#[derive(Default)]
struct Fonts<'a> {
    fonts: Vec<Font<'a>>,
    by_id: HashMap<ObjectId, usize>,
    /// Fonts given as direct dictionaries, by address (they live as long as the document):
    /// read once however often `Tf` names them.
    by_address: HashMap<usize, usize>,
}

impl<'a> Fonts<'a> {
    /// The font named `name` in `resources` (`None`: no such font). Its `ToUnicode` map is
    /// unpacked under the budget `left`.
    fn load(
        &mut self,
        doc: &'a Document,
        resources: Option<&'a Dictionary>,
        name: &[u8],
        left: &mut u64,
    ) -> Result<Option<usize>, Bomb> {
        let Some(entry) = resources
            .and_then(|r| r.get(b"Font").ok())
            .and_then(|f| doc.dereference(f).ok())
            .and_then(|(_, f)| f.as_dict().ok())
            .and_then(|f| f.get(name).ok())
        else {
            return Ok(None);
        };
        let Ok((id, dict)) = doc.dereference(entry) else {
            return Ok(None);
        };
        let Ok(dict) = dict.as_dict() else {
            return Ok(None);
        };
        let address = std::ptr::from_ref(dict) as usize;
        let known = match id {
            Some(id) => self.by_id.get(&id),
            None => self.by_address.get(&address),
        };
        if let Some(k) = known {
            return Ok(Some(*k));
        }
        let font = read_font(doc, dict, left)?;
        self.fonts.push(font);
        let k = self.fonts.len() - 1;
        match id {
            Some(id) => self.by_id.insert(id, k),
            None => self.by_address.insert(address, k),
        };
        Ok(Some(k))
    }

    fn mask_code(&mut self, k: usize) -> Option<Vec<u8>> {
        let font = self.fonts.get_mut(k)?;
        if font.mask.is_none() {
            font.mask = Some(font.find_mask());
        }
        font.mask.clone().flatten()
    }
}

/// A font dictionary's code map and widths.
fn read_font<'a>(
    doc: &'a Document,
    dict: &'a Dictionary,
    left: &mut u64,
) -> Result<Font<'a>, Bomb> {
    let deref = |o: &'a Object| doc.dereference(o).ok().map(|(_, o)| o);
    let name_of = |key: &[u8]| {
        dict.get(key)
            .ok()
            .and_then(deref)
            .and_then(|o| o.as_name().ok())
            .map(<[u8]>::to_vec)
    };
    let composite = name_of(b"Subtype").as_deref() == Some(b"Type0");
    let encoding = name_of(b"Encoding").unwrap_or_default();
    // A composite font's CMap given as a stream (not a name) is not read here.
    let cmap_stream = composite && dict.get(b"Encoding").is_ok() && encoding.is_empty();
    let to_unicode = dict
        .get(b"ToUnicode")
        .ok()
        .and_then(deref)
        .and_then(|o| o.as_stream().ok());
    // `Some(None)`: a map that does not parse, which must not be read past as if absent
    // (the font's codes are its own, not the encoding's).
    let cmap = match to_unicode {
        None => None,
        Some(s) => {
            let cap = usize::try_from(*left).unwrap_or(usize::MAX);
            let plain = match s.get_plain_content_with_limit(cap) {
                Ok(p) => p,
                Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded {
                    ..
                })) => return Err(Bomb),
                Err(_) => Vec::new(),
            };
            *left -= plain.len() as u64;
            let font = Dictionary::from_iter([
                ("Type", Object::Name(b"Font".to_vec())),
                ("Encoding", Object::Name(b"Identity-H".to_vec())),
                (
                    "ToUnicode",
                    Object::Stream(lopdf::Stream::new(Dictionary::new(), plain)),
                ),
            ]);
            Some(match font.get_font_encoding_with_limit(doc, cap) {
                // Owned: re-wrapped, it no longer borrows the dictionary made here.
                Ok(Encoding::UnicodeMapEncoding(c)) => Some(Encoding::UnicodeMapEncoding(c)),
                _ => None,
            })
        }
    };
    let gbk = encoding.starts_with(b"GBK")
        || encoding.starts_with(b"GBpc")
        || encoding.starts_with(b"GB-EUC")
        || encoding.starts_with(b"GBT");
    let utf16 = encoding.starts_with(b"Uni")
        && (encoding.windows(4).any(|w| w == b"UCS2")
            || encoding.windows(5).any(|w| w == b"UTF16"));
    let codes = match (composite, cmap) {
        (_, Some(None)) => Codes::Unknown,
        (true, _) if cmap_stream => Codes::Unknown,
        (true, Some(Some(c))) if gbk => Codes::Cmap(c, 0, None),
        (true, Some(Some(c))) if !utf16 => Codes::Cmap(c, 2, None),
        (true, _) if utf16 => Codes::Utf16,
        (true, _) if gbk => Codes::Gbk,
        (true, _) => Codes::Unknown,
        // A code the map leaves out reads by the font's encoding, as viewers read it.
        (false, Some(Some(c))) => Codes::Cmap(c, 1, simple_encoding(doc, dict)),
        (false, None) => match simple_encoding(doc, dict) {
            Some(e) => Codes::Simple(e),
            None => Codes::Unknown,
        },
    };
    let mut widths = BTreeMap::new();
    let mut default_width = None;
    if composite {
        let descendant = dict
            .get(b"DescendantFonts")
            .ok()
            .and_then(deref)
            .and_then(|o| o.as_array().ok())
            .and_then(|a| a.first())
            .and_then(deref)
            .and_then(|o| o.as_dict().ok());
        if let Some(d) = descendant {
            default_width = Some(
                d.get(b"DW")
                    .ok()
                    .and_then(deref)
                    .and_then(|o| o.as_float().ok())
                    .map_or(1000.0, f64::from),
            );
            let w = d
                .get(b"W")
                .ok()
                .and_then(deref)
                .and_then(|o| o.as_array().ok());
            let num = |o: &'a Object| deref(o).and_then(|o| o.as_float().ok()).map(f64::from);
            let mut items = w.map(|a| a.iter()).into_iter().flatten().peekable();
            while let Some(first) = items.next() {
                let Some(first) = num(first) else { break };
                let first = first as u32;
                let Some(next) = items.next() else { break };
                match deref(next) {
                    Some(Object::Array(list)) => {
                        for (k, w) in list.iter().enumerate() {
                            if let Some(w) = num(w) {
                                let c = first.saturating_add(k as u32);
                                widths.insert(c, (c, w));
                            }
                        }
                    }
                    Some(o) => {
                        let last = o.as_float().map_or(first, |l| l as u32);
                        let Some(w) = items.next().and_then(num) else {
                            break;
                        };
                        widths.insert(first, (last.max(first), w));
                    }
                    None => break,
                }
            }
        }
    } else if dict.get(b"Widths").is_err() {
        // One of the standard fonts, which a PDF may name without widths (every reader has
        // their metrics): Helvetica's (Arial's) for the printable ASCII codes, Courier's fixed
        // width; the rest are estimated.
        let base = name_of(b"BaseFont").unwrap_or_default();
        let has = |w: &[u8]| base.windows(w.len()).any(|x| x == w);
        if has(b"Helvetica") || has(b"Arial") {
            for (k, w) in HELVETICA.iter().enumerate() {
                let c = 32 + k as u32;
                widths.insert(c, (c, f64::from(*w)));
            }
        } else if has(b"Courier") {
            default_width = Some(600.0);
        }
    } else {
        let first = dict
            .get(b"FirstChar")
            .ok()
            .and_then(deref)
            .and_then(|o| o.as_i64().ok())
            .unwrap_or(0)
            .clamp(0, 255) as u32;
        if let Some(list) = dict
            .get(b"Widths")
            .ok()
            .and_then(deref)
            .and_then(|o| o.as_array().ok())
        {
            for (k, w) in list.iter().take(256).enumerate() {
                if let Some(w) = deref(w).and_then(|o| o.as_float().ok()) {
                    let c = first + k as u32;
                    widths.insert(c, (c, f64::from(w)));
                }
            }
        }
    }
    Ok(Font {
        codes,
        widths,
        default_width,
        mask: None,
    })
}

/// Helvetica's advance widths (thousandths of the font size) for codes 32 to 126, from its
/// Adobe font metrics.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/// A simple font's encoding with no `ToUnicode`: its `Encoding` (a name, or `Differences`
/// over a base), else the standard encoding. A Type 3 font with no encoding of its own maps
/// codes to glyph procedures only.
fn simple_encoding<'a>(doc: &'a Document, dict: &'a Dictionary) -> Option<Encoding<'a>> {
    let subtype = dict.get(b"Subtype").and_then(Object::as_name).ok();
    if subtype == Some(b"Type3") && dict.get(b"Encoding").is_err() {
        return None;
    }
    // `Differences` naming glyphs `lopdf` does not know (`/g99`, `/uni0031`) fall back, there,
    // to the standard encoding for the whole font: such a font is unread here instead.
    let differences = dict
        .get(b"Encoding")
        .ok()
        .and_then(|e| doc.dereference(e).ok())
        .and_then(|(_, e)| e.as_dict().ok())
        .is_some_and(|e| e.get(b"Differences").is_ok());
    match dict.get_font_encoding_with_limit(doc, 16 << 20).ok()? {
        // A CMap name on a simple font is no encoding this reader knows.
        Encoding::SimpleEncoding(name) if name != b"WinAnsiEncoding" => None,
        Encoding::Differences(d) => Some(Encoding::Differences(d)),
        _ if differences => None,
        e => Some(e),
    }
}

/// Where a string sits in an object: the keys and indices from the object down to it.
#[derive(Clone, Debug)]
enum Step {
    Key(Vec<u8>),
    Index(usize),
}

/// Every text string of the document outside content streams, scanned as one JSON view of
/// objects keyed by the dictionary entry that holds it (`{"Author":"…"}`, `{"URI":"…"}`, an
/// outline's `{"Title":"…"}`): the document information, annotations (their contents,
/// authors, subjects, links), outlines, page labels, named destinations, JavaScript given as
/// strings, structure elements' `ActualText`. A form field's value (`V`, `DV`, `RV`, an
/// `Opt` list) is keyed by the field's name (`T`, of its own or of its parent). The trailer's
/// `ID` and the encryption dictionary hold binary strings and are left out.
fn read_strings(
    engine: &Arc<Engine>,
    opts: &ScanOptions,
    doc: &Document,
    name: &dyn Fn(&str) -> Arc<str>,
    edits: &mut Edits,
) {
    // (object, path, view key, text) per string.
    let mut strings: Vec<(ObjectId, Vec<Step>, String, String)> = Vec::new();
    let encrypt = doc
        .trailer
        .get(b"Encrypt")
        .and_then(Object::as_reference)
        .ok();
    for (&id, object) in &doc.objects {
        if Some(id) == encrypt || strings.len() >= 1 << 16 {
            continue;
        }
        // Depth-first over the object's dictionaries and arrays (direct objects only: an
        // indirect one is walked as an object of its own).
        let mut stack: Vec<(&Object, Vec<Step>, Option<String>)> = vec![(object, Vec::new(), None)];
        while let Some((o, path, key)) = stack.pop() {
            if path.len() > 16 {
                continue;
            }
            let dict = match o {
                Object::Dictionary(d) => Some(d),
                Object::Stream(st) => Some(&st.dict),
                Object::Array(items) => {
                    for (k, item) in items.iter().enumerate().take(1 << 16) {
                        let mut p = path.clone();
                        p.push(Step::Index(k));
                        stack.push((item, p, key.clone()));
                    }
                    None
                }
                Object::String(..) => {
                    if let Ok(text) = lopdf::decode_text_string(o) {
                        if !text.trim().is_empty() {
                            let k = key.clone().unwrap_or_else(|| "text".to_string());
                            strings.push((id, path.clone(), k, text));
                        }
                    }
                    None
                }
                _ => None,
            };
            let Some(d) = dict else { continue };
            let field = field_name(doc, d);
            for (k, v) in d.iter() {
                let view_key = match (&field, k.as_slice()) {
                    (Some(f), b"V" | b"DV" | b"RV" | b"Opt") => f.clone(),
                    _ => String::from_utf8_lossy(k).into_owned(),
                };
                let mut p = path.clone();
                p.push(Step::Key(k.clone()));
                stack.push((v, p, Some(view_key)));
            }
        }
    }
    // The trailer's own strings: only its `Info` given directly.
    if let Ok(Object::Dictionary(info)) = doc.trailer.get(b"Info") {
        for (k, v) in info.iter() {
            if let Ok(text) = lopdf::decode_text_string(v) {
                if !text.trim().is_empty() {
                    // Object 0: the trailer (written back there).
                    strings.push((
                        (0, 0),
                        vec![Step::Key(b"Info".to_vec()), Step::Key(k.clone())],
                        String::from_utf8_lossy(k).into_owned(),
                        text,
                    ));
                }
            }
        }
    }
    if strings.is_empty() {
        return;
    }
    let view: Vec<(&str, &str)> = strings
        .iter()
        .map(|(_, _, key, text)| (key.as_str(), text.as_str()))
        .collect();
    let member = name("(document information, annotations, outlines and form fields)");
    let Some(values) = scan_view(engine, opts, &view, &member, edits) else {
        return;
    };
    for ((id, path, _, old), new) in strings.into_iter().zip(values) {
        if new == old {
            continue;
        }
        // A field's value shown by its widgets' appearances, drawn from the old value.
        if matches!(path.last(), Some(Step::Key(k)) if k == b"V") && path.len() == 1 {
            edits.stale_appearances.push(id);
            edits.need_appearances = true;
        }
        edits.strings.push((id, path, lopdf::text_string(&new)));
        edits.replaced.push((old, new));
    }
}

/// The string at `path` in `root`, to replace.
fn string_at<'o>(root: &'o mut Object, path: &[Step]) -> Option<&'o mut Object> {
    let mut o = root;
    for step in path {
        o = match (o, step) {
            (Object::Dictionary(d), Step::Key(k)) => d.get_mut(k).ok()?,
            (Object::Stream(s), Step::Key(k)) => s.dict.get_mut(k).ok()?,
            (Object::Array(a), Step::Index(i)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(o)
}

/// A form field's name (`T`), of its own or of the field above a widget.
fn field_name(doc: &Document, d: &Dictionary) -> Option<String> {
    let own = d
        .get(b"T")
        .ok()
        .and_then(|t| doc.dereference(t).ok())
        .and_then(|(_, t)| lopdf::decode_text_string(t).ok());
    own.or_else(|| {
        let parent = d.get(b"Parent").ok()?.as_reference().ok()?;
        let p = doc.get_dictionary(parent).ok()?;
        lopdf::decode_text_string(doc.dereference(p.get(b"T").ok()?).ok()?.1).ok()
    })
}

/// The catalog's XMP metadata stream, scanned as XML and written back when redacted.
fn read_metadata(
    engine: &Arc<Engine>,
    opts: &ScanOptions,
    doc: &Document,
    left: &mut u64,
    name: &dyn Fn(&str) -> Arc<str>,
    edits: &mut Edits,
) -> Result<(), Bomb> {
    // The document's and every page's, image's or font's (`/Type /Metadata` streams).
    let ids: Vec<ObjectId> = doc
        .objects
        .iter()
        .filter(|(_, o)| {
            o.as_stream().is_ok_and(|s| {
                matches!(
                    s.dict.get(b"Type").and_then(Object::as_name),
                    Ok(b"Metadata")
                )
            })
        })
        .map(|(id, _)| *id)
        .collect();
    for id in ids {
        read_xmp(engine, opts, doc, id, left, name, edits)?;
    }
    Ok(())
}

/// One XMP metadata stream.
fn read_xmp(
    engine: &Arc<Engine>,
    opts: &ScanOptions,
    doc: &Document,
    id: ObjectId,
    left: &mut u64,
    name: &dyn Fn(&str) -> Arc<str>,
    edits: &mut Edits,
) -> Result<(), Bomb> {
    let Ok(stream) = doc.get_object(id).and_then(Object::as_stream) else {
        return Ok(());
    };
    let cap = usize::try_from(*left).unwrap_or(usize::MAX);
    let xml = match stream.get_plain_content_with_limit(cap) {
        Ok(x) => x,
        Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })) => {
            return Err(Bomb)
        }
        Err(_) => {
            edits.unread.push(Unread {
                member: name("(XMP metadata)").to_string(),
                reason: "corrupt stream".into(),
            });
            return Ok(());
        }
    };
    *left -= xml.len() as u64;
    let mut r = engine.scan_bytes(&xml, super::as_format(opts, Format::Xml));
    // What was masked in the document information is masked where XMP repeats it
    // (`dc:creator`, `dc:title`), whether or not the XML scan saw it there.
    for (old, new) in &edits.replaced {
        let (old, new) = (super::xlsx::escape(old), super::xlsx::escape(new));
        if !old.is_empty() && memchr::memmem::find(&r.output, old.as_bytes()).is_some() {
            let text = String::from_utf8_lossy(&r.output).replace(&old, &new);
            r.output = text.into_bytes();
        }
    }
    let member = name("(XMP metadata)");
    for finding in r.findings {
        edits.findings.push(MemberFinding {
            member: member.clone(),
            finding,
        });
    }
    if opts.redact && r.output != xml {
        edits.streams.push((id, r.output));
    }
    Ok(())
}

/// Whether the document embeds files (its name tree of embedded files, or a file-attachment
/// annotation).
fn has_embedded_files(doc: &Document) -> bool {
    let names = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"Names").ok())
        .and_then(|n| doc.dereference(n).ok())
        .and_then(|(_, n)| n.as_dict().ok());
    if names.is_some_and(|n| n.get(b"EmbeddedFiles").is_ok()) {
        return true;
    }
    doc.objects.values().any(|o| {
        o.as_dict().is_ok_and(|d| {
            matches!(
                d.get(b"Subtype").and_then(Object::as_name),
                Ok(b"FileAttachment")
            ) || matches!(
                d.get(b"Type").and_then(Object::as_name),
                Ok(b"EmbeddedFile")
            )
        }) || o.as_stream().is_ok_and(|s| {
            matches!(
                s.dict.get(b"Type").and_then(Object::as_name),
                Ok(b"EmbeddedFile")
            )
        })
    })
}

/// A content-stream token: an operand, or an operator.
enum Tok {
    Operand(Operand),
    Op(Vec<u8>),
}

/// Content-stream tokens with the byte ranges of strings.
struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
}

fn is_white(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0C' | b'\0')
}

fn is_delim(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

impl Lexer<'_> {
    fn next(&mut self) -> Option<Tok> {
        loop {
            let b = *self.s.get(self.i)?;
            if is_white(b) {
                self.i += 1;
            } else if b == b'%' {
                while self.i < self.s.len() && !matches!(self.s[self.i], b'\r' | b'\n') {
                    self.i += 1;
                }
            } else {
                break;
            }
        }
        Some(Tok::Operand(match self.operand(0)? {
            Ok(o) => o,
            Err(op) => return Some(Tok::Op(op)),
        }))
    }

    /// The operand at the cursor, or `Err(operator)`.
    fn operand(&mut self, depth: usize) -> Option<Result<Operand, Vec<u8>>> {
        let s = self.s;
        let start = self.i;
        let b = *s.get(start)?;
        Some(Ok(match b {
            b'(' => {
                let (bytes, end) = literal(s, start);
                self.i = end;
                Operand::Str(start..end, bytes)
            }
            b'<' if s.get(start + 1) == Some(&b'<') => {
                self.i += 2;
                Operand::Other
            }
            b'>' if s.get(start + 1) == Some(&b'>') => {
                self.i += 2;
                Operand::Other
            }
            b'<' => {
                let end = memchr::memchr(b'>', &s[start..]).map_or(s.len(), |p| start + p + 1);
                self.i = end;
                Operand::Str(
                    start..end,
                    hex(&s[start + 1..end.saturating_sub(1).max(start + 1)]),
                )
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    while self.i < s.len() && is_white(s[self.i]) {
                        self.i += 1;
                    }
                    // A comment inside an array is white space.
                    if s.get(self.i) == Some(&b'%') {
                        while self.i < s.len() && !matches!(s[self.i], b'\r' | b'\n') {
                            self.i += 1;
                        }
                        continue;
                    }
                    match s.get(self.i) {
                        None => break,
                        Some(b']') => {
                            self.i += 1;
                            break;
                        }
                        Some(_) if depth >= 8 => {
                            self.i += 1;
                        }
                        Some(_) => match self.operand(depth + 1) {
                            Some(Ok(o)) => {
                                if items.len() < 1 << 16 {
                                    items.push(o);
                                }
                            }
                            // An operator inside an array: malformed; the array ends.
                            Some(Err(_)) | None => break,
                        },
                    }
                }
                Operand::Array(items)
            }
            b'/' => {
                let mut end = start + 1;
                while end < s.len() && !is_white(s[end]) && !is_delim(s[end]) {
                    end += 1;
                }
                self.i = end;
                Operand::Name(name(&s[start + 1..end]))
            }
            b')' | b'>' | b']' | b'{' | b'}' => {
                self.i += 1;
                Operand::Other
            }
            _ => {
                let mut end = start + 1;
                while end < s.len() && !is_white(s[end]) && !is_delim(s[end]) {
                    end += 1;
                }
                self.i = end;
                let word = &s[start..end];
                if matches!(b, b'0'..=b'9' | b'+' | b'-' | b'.') {
                    match std::str::from_utf8(word)
                        .ok()
                        .and_then(|w| w.parse::<f64>().ok())
                    {
                        Some(n) => Operand::Num(n),
                        None => Operand::Other,
                    }
                } else if matches!(word, b"true" | b"false" | b"null") {
                    Operand::Other
                } else {
                    return Some(Err(word.to_vec()));
                }
            }
        }))
    }

    /// Skips an inline image from after `BI` to after its `EI` (its data is binary).
    fn skip_inline_image(&mut self) {
        let s = self.s;
        let Some(id) = find_word(s, self.i, b"ID") else {
            self.i = s.len();
            return;
        };
        let mut k = id + 3;
        // The data ends at the first `EI` followed by white space (or the end), as readers
        // take it: binary data need not leave a space before it.
        while let Some(p) = memchr::memmem::find(&s[k.min(s.len())..], b"EI") {
            let at = k + p;
            let after = s.get(at + 2).is_none_or(|&b| is_white(b));
            if after {
                self.i = at + 2;
                return;
            }
            k = at + 2;
        }
        self.i = s.len();
    }
}

/// A name's bytes with its `#xx` escapes decoded (`/F#31` is `/F1`).
fn name(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            raw[i],
            raw.get(i + 1).copied().and_then(hex),
            raw.get(i + 2).copied().and_then(hex),
        ) {
            (b'#', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Where the operator `word` stands alone (white space around it) at or after `from`.
fn find_word(s: &[u8], from: usize, word: &[u8]) -> Option<usize> {
    let mut k = from;
    while let Some(p) = memchr::memmem::find(s.get(k..)?, word) {
        let at = k + p;
        let before = at == 0 || is_white(s[at - 1]);
        let after = s.get(at + word.len()).is_none_or(|&b| is_white(b));
        if before && after {
            return Some(at);
        }
        k = at + 1;
    }
    None
}

/// A literal string from its `(` at `start`: its bytes and where it ends (after its `)`).
fn literal(s: &[u8], start: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut i = start + 1;
    while i < s.len() {
        let b = s[i];
        match b {
            b'\\' => {
                i += 1;
                let Some(&e) = s.get(i) else { break };
                match e {
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'0'..=b'7' => {
                        let mut v = 0u32;
                        let mut k = 0;
                        while k < 3 && i < s.len() && (b'0'..=b'7').contains(&s[i]) {
                            v = v * 8 + u32::from(s[i] - b'0');
                            i += 1;
                            k += 1;
                        }
                        out.push(v as u8);
                        continue;
                    }
                    b'\r' => {
                        if s.get(i + 1) == Some(&b'\n') {
                            i += 1;
                        }
                    }
                    b'\n' => {}
                    other => out.push(other),
                }
                i += 1;
            }
            b'(' => {
                depth += 1;
                out.push(b);
                i += 1;
            }
            b')' => {
                if depth == 0 {
                    return (out, i + 1);
                }
                depth -= 1;
                out.push(b);
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    (out, s.len())
}

/// The bytes of a hex string's digits (white space skipped, an odd last digit padded).
fn hex(s: &[u8]) -> Vec<u8> {
    let digits: Vec<u8> = s
        .iter()
        .filter_map(|&b| (b as char).to_digit(16).map(|d| d as u8))
        .collect();
    digits
        .chunks(2)
        .map(|p| p[0] << 4 | p.get(1).copied().unwrap_or(0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::{dictionary, Stream};

    fn engine() -> Arc<Engine> {
        Arc::new(Engine::builder().builtin().build().expect("built-in rules"))
    }

    /// A test document: pages of content drawn in the fonts `F1` (a subset Identity-H font
    /// whose ToUnicode map lists the characters of `chars`, two-byte codes from 1), `F2`
    /// (Helvetica) and `F3` (STSong-Light, UniGB-UCS2-H, no ToUnicode).
    struct Pdf {
        doc: Document,
        pages: Vec<Object>,
        resources: ObjectId,
        chars: Vec<char>,
    }

    impl Pdf {
        fn new(chars: &str) -> Self {
            let mut doc = Document::with_version("1.7");
            let mut used: Vec<char> = Vec::new();
            for c in chars_of(chars) {
                if !used.contains(&c) {
                    used.push(c);
                }
            }
            let chars = used;
            let mut cmap = String::from(
                "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n\
                 /CMapName /T def /CMapType 2 def\n1 begincodespacerange <0000> <FFFF> endcodespacerange\n",
            );
            cmap.push_str(&format!("{} beginbfchar\n", chars.len()));
            for (k, c) in chars.iter().enumerate() {
                let mut u = [0u16; 2];
                let hex: String = c
                    .encode_utf16(&mut u)
                    .iter()
                    .map(|x| format!("{x:04X}"))
                    .collect();
                cmap.push_str(&format!("<{:04X}> <{hex}>\n", k + 1));
            }
            cmap.push_str(
                "endbfchar endcmap CMapName currentdict /CMap defineresource pop end end\n",
            );
            let to_unicode = doc.add_object(Stream::new(dictionary! {}, cmap.into_bytes()));
            let widths: Vec<Object> = chars
                .iter()
                .map(|c| Object::Integer(if c.is_ascii() { 500 } else { 1000 }))
                .collect();
            let cid = doc.add_object(dictionary! {
                "Type" => "Font", "Subtype" => "CIDFontType2", "BaseFont" => "ABCDEF+Song",
                "CIDSystemInfo" => dictionary! { "Registry" => Object::string_literal("Adobe"),
                    "Ordering" => Object::string_literal("Identity"), "Supplement" => 0 },
                "DW" => 1000, "W" => vec![Object::Integer(1), Object::Array(widths)],
            });
            let f1 = doc.add_object(dictionary! {
                "Type" => "Font", "Subtype" => "Type0", "BaseFont" => "ABCDEF+Song",
                "Encoding" => "Identity-H", "DescendantFonts" => vec![cid.into()],
                "ToUnicode" => to_unicode,
            });
            let f2 = doc.add_object(dictionary! {
                "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
                "Encoding" => "WinAnsiEncoding",
            });
            let song = doc.add_object(dictionary! {
                "Type" => "Font", "Subtype" => "CIDFontType0", "BaseFont" => "STSong-Light",
                "DW" => 1000, "W" => vec![Object::Integer(17), Object::Integer(26), Object::Integer(462)],
            });
            let f3 = doc.add_object(dictionary! {
                "Type" => "Font", "Subtype" => "Type0", "BaseFont" => "STSong-Light",
                "Encoding" => "UniGB-UCS2-H", "DescendantFonts" => vec![song.into()],
            });
            let resources = doc.add_object(dictionary! {
                "Font" => dictionary! { "F1" => f1, "F2" => f2, "F3" => f3 },
            });
            Pdf {
                doc,
                pages: Vec::new(),
                resources,
                chars,
            }
        }

        /// `text` in F1 as a hex string.
        fn f1(&self, text: &str) -> String {
            let mut s = String::from("<");
            for c in chars_of(text) {
                let k = self
                    .chars
                    .iter()
                    .position(|x| *x == c)
                    .expect("char in font")
                    + 1;
                s.push_str(&format!("{k:04X}"));
            }
            s.push('>');
            s
        }

        fn page(&mut self, content: &str) -> ObjectId {
            let c = self
                .doc
                .add_object(Stream::new(dictionary! {}, content.as_bytes().to_vec()));
            let page = self.doc.add_object(dictionary! {
                "Type" => "Page", "Contents" => c, "Resources" => self.resources,
                "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            });
            self.pages.push(page.into());
            page
        }

        fn bytes(mut self, compress: bool) -> Vec<u8> {
            let pages = self.doc.add_object(dictionary! {
                "Type" => "Pages", "Count" => self.pages.len() as i64, "Kids" => self.pages.clone(),
            });
            for p in &self.pages {
                if let Ok(id) = p.as_reference() {
                    if let Ok(d) = self.doc.get_dictionary_mut(id) {
                        d.set("Parent", pages);
                    }
                }
            }
            let catalog = self
                .doc
                .add_object(dictionary! { "Type" => "Catalog", "Pages" => pages });
            self.doc.trailer.set("Root", catalog);
            if compress {
                self.doc.compress();
            }
            let mut out = Vec::new();
            self.doc.save_to(&mut out).expect("saved");
            out
        }
    }

    fn chars_of(s: &str) -> impl Iterator<Item = char> + '_ {
        s.chars()
    }

    fn run(body: &[u8], redact: bool) -> (PdfScan, Option<Document>) {
        let opts = ScanOptions {
            redact,
            ..ScanOptions::default()
        };
        let mut left = 64 << 20;
        let r = scan(&engine(), &opts, body, "", &mut left, 64 << 20).expect("no bomb");
        let doc = r
            .output
            .as_deref()
            .map(|o| Document::load_mem(o).expect("output loads"));
        (r, doc)
    }

    /// The text of page `n` of a document, as this reader reads it (lines joined by `\n`).
    fn page_text(body: &[u8]) -> String {
        let doc = Document::load_mem(body).expect("loads");
        let mut fonts = Fonts::default();
        let mut left = u64::MAX;
        let mut plain = HashMap::new();
        let mut out = Vec::new();
        let mut operators = 0;
        for (_, page) in doc.get_pages() {
            let mut reader =
                PageReader::new(&doc, &mut fonts, &mut left, &mut plain, &mut operators);
            let resources = inherited(&doc, page, b"Resources");
            let mut it = Interp::new(IDENTITY);
            for id in doc.get_page_contents(page) {
                assert!(reader.run(id, resources, &mut it, 0).is_ok());
            }
            let mut d = std::mem::replace(&mut reader.doc_text, Doc::new(true));
            let placed = std::mem::take(&mut reader.placed);
            lay_out(&mut d, placed);
            out.push(d.debug_text());
        }
        out.join("\n=====\n")
    }

    #[test]
    fn values_cut_into_strings_and_tables_drawn_as_text_are_found_and_masked_in_place() {
        let mut pdf = Pdf::new("姓名：张秀英王芳身份证号手机0123456789");
        let content = format!(
            "BT /F1 12 Tf 72 760 Td {} Tj ET\n\
             BT /F1 12 Tf 72 740 Td {} Tj /F2 12 Tf (110101) Tj (19900307) Tj (4514) Tj ET\n\
             BT /F1 12 Tf 1 0 0 1 72 700 Tm {} Tj 1 0 0 1 200 700 Tm {} Tj ET\n\
             BT /F1 12 Tf 1 0 0 1 72 680 Tm {} Tj 1 0 0 1 200 680 Tm [{} -10 {}] TJ ET\n",
            pdf.f1("姓名：张秀英"),
            pdf.f1("身份证号："),
            pdf.f1("姓名"),
            pdf.f1("手机"),
            pdf.f1("王芳"),
            pdf.f1("13800"),
            pdf.f1("138000"),
        );
        pdf.page(&content);
        let body = pdf.bytes(true);
        let text = page_text(&body);
        assert!(text.contains("身份证号：110101199003074514"), "{text}");
        assert!(text.contains("姓名\t手机\n王芳\t13800138000"), "{text}");
        let (r, out) = run(&body, true);
        let rules: Vec<&str> = r.findings.iter().map(|f| &*f.finding.rule_id).collect();
        assert!(rules.contains(&"cn.resident_id.18"), "{rules:?}");
        assert!(rules.contains(&"cn.mobile"), "{rules:?}");
        assert_eq!(
            rules.iter().filter(|r| **r == "cn.person_name").count(),
            2,
            "{rules:?}"
        );
        assert!(r.unread.is_empty(), "{:?}", r.unread);
        let out = out.expect("rewritten");
        let mut saved = Vec::new();
        out.clone().save_to(&mut saved).expect("saved");
        let text = page_text(&saved);
        assert!(text.contains("身份证号：110101********4514"), "{text}");
        // The subset font has no `*`: its full-width colon masks (Helvetica has `*`).
        assert!(text.contains("王：\t138：：：：8000"), "{text}");
        assert!(text.contains("姓名：张：："), "{text}");
        // The earlier revision is not in the file.
        assert!(memchr::memmem::find(&saved, b"19900307").is_none());
    }

    #[test]
    fn a_subset_font_without_an_asterisk_masks_with_what_it_has() {
        // No `*`, `X` or space in the font: its full-width colon stands in.
        let mut pdf = Pdf::new("身份证号：0123456789");
        let content = format!(
            "BT /F1 12 Tf 72 760 Td {} Tj ET",
            pdf.f1("身份证号：110101199003074514")
        );
        pdf.page(&content);
        let (r, out) = run(&pdf.bytes(false), true);
        assert!(r.unread.is_empty(), "{:?}", r.unread);
        let mut saved = Vec::new();
        out.expect("rewritten").save_to(&mut saved).expect("saved");
        assert!(page_text(&saved).contains("身份证号：110101：：：：：：：：4514"));
    }

    #[test]
    fn a_number_spaced_out_by_kerning_reads_as_spaced_digits() {
        // Gaps of 0.45 em inside the number (a viewer copies them as spaces), and a table
        // row whose cells are further apart.
        let mut pdf = Pdf::new("身份证号：x");
        let content = format!(
            "BT /F1 12 Tf 72 760 Td {} Tj /F2 12 Tf [(1101) -450 (0119900307) -450 (4514)] TJ ET\n\
             BT /F2 12 Tf 72 700 Td [(2024) -3000 (13800138000)] TJ ET\n",
            pdf.f1("身份证号："),
        );
        pdf.page(&content);
        let (r, out) = run(&pdf.bytes(false), true);
        let rules: Vec<&str> = r.findings.iter().map(|f| &*f.finding.rule_id).collect();
        assert_eq!(
            rules.iter().filter(|r| **r == "cn.resident_id.18").count(),
            1,
            "{rules:?}"
        );
        let mut saved = Vec::new();
        out.expect("rewritten").save_to(&mut saved).expect("saved");
        let text = page_text(&saved);
        assert!(text.contains("身份证号：1101\t01********\t4514"), "{text}");
        assert!(text.contains("2024\t138****8000"), "{text}");
    }

    #[test]
    fn marked_content_actual_text_is_scanned_and_redacted_where_it_stands() {
        // The glyphs show a picture of the number; ActualText is what a reader copies.
        let mut pdf = Pdf::new("身份证号：x");
        let actual: String = "110101199003074514"
            .encode_utf16()
            .fold(String::from("FEFF"), |s, u| s + &format!("{u:04X}"));
        let content = format!(
            "BT /F1 12 Tf 72 760 Td {} Tj ET\n\
             /Span <</Lang (zh) /ActualText <{actual}>>> BDC BT /F1 12 Tf 160 760 Td {} Tj ET EMC\n",
            pdf.f1("身份证号："),
            pdf.f1("x"),
        );
        pdf.page(&content);
        let (r, out) = run(&pdf.bytes(false), true);
        let hit: Vec<(&str, &str)> = r
            .findings
            .iter()
            .map(|f| (&*f.member, &*f.finding.rule_id))
            .collect();
        assert!(
            hit.contains(&("(marked content text)", "cn.resident_id.18")),
            "{hit:?}"
        );
        let out = out.expect("rewritten");
        let page = out.get_pages().into_values().next().expect("a page");
        let content = out.get_page_content(page);
        let text = String::from_utf8_lossy(&content);
        // Written back in PDFDocEncoding, the masked text being ASCII.
        let masked: String = "110101********4514"
            .bytes()
            .fold(String::from("<"), |s, b| s + &format!("{b:02X}"));
        assert!(text.contains(&format!("/ActualText {masked}>>>")), "{text}");
        assert!(!text.contains(&actual), "{text}");
    }

    #[test]
    fn ucs2_cjk_fonts_and_helvetica_are_read_with_their_widths() {
        let mut pdf = Pdf::new("x");
        // STSong-Light digits are 462 wide (CIDs 17 to 26), Helvetica's 556: drawn one after
        // the other where their widths end, they are one number.
        let utf16 = |s: &str| -> String {
            let hex: String = s.encode_utf16().map(|u| format!("{u:04X}")).collect();
            format!("<{hex}>")
        };
        let content = format!(
            "BT /F3 10 Tf 1 0 0 1 72 700 Tm {} Tj 1 0 0 1 {} 700 Tm /F2 10 Tf (00138) Tj 1 0 0 1 {} 700 Tm /F3 10 Tf {} Tj ET",
            utf16("手机：138"),
            72.0 + 30.0 + 3.0 * 4.62,
            72.0 + 30.0 + 3.0 * 4.62 + 5.0 * 5.56,
            utf16("000"),
        );
        pdf.page(&content);
        let body = pdf.bytes(false);
        assert!(
            page_text(&body).contains("手机：13800138000"),
            "{}",
            page_text(&body)
        );
        let (r, _) = run(&body, false);
        assert_eq!(r.findings.len(), 1);
    }

    #[test]
    fn a_wrapped_number_and_a_marking_alone_on_its_line() {
        let mut pdf = Pdf::new("机密★年通知当事人李明手机号码为于今日到场核对相关材料请");
        let content = format!(
            "BT /F1 12 Tf 1 0 0 1 72 780 Tm {} Tj ET\n\
             BT /F1 12 Tf 1 0 0 1 96 740 Tm {} Tj /F2 12 Tf (1380013) Tj ET\n\
             BT /F2 12 Tf 1 0 0 1 72 724 Tm (8000) Tj /F1 12 Tf {} Tj ET",
            pdf.f1("机密"),
            pdf.f1("通知当事人李明手机号码为于今日到场核对相关材料请"),
            pdf.f1("于今日到场"),
        );
        pdf.page(&content);
        let (r, out) = run(&pdf.bytes(true), true);
        let rules: Vec<&str> = r.findings.iter().map(|f| &*f.finding.rule_id).collect();
        assert!(rules.contains(&"cn.mobile"), "{rules:?}");
        assert!(
            rules.iter().any(|r| r.starts_with("classified.")),
            "{rules:?}"
        );
        let mut saved = Vec::new();
        out.expect("rewritten").save_to(&mut saved).expect("saved");
        let text = page_text(&saved);
        assert!(!text.contains("机密"), "{text}");
        assert!(text.contains("请138****8000于"), "{text:?}");
    }

    #[test]
    fn information_xmp_and_form_fields_are_scanned_and_written_back() {
        let mut pdf = Pdf::new("x");
        pdf.page("BT /F2 12 Tf 72 700 Td (Form) Tj ET");
        let info = pdf.doc.add_object(dictionary! {
            "Author" => lopdf::text_string("张秀英"),
            "Title" => Object::string_literal("Report"),
        });
        pdf.doc.trailer.set("Info", info);
        let xmp = pdf.doc.add_object(Stream::new(
            dictionary! { "Type" => "Metadata", "Subtype" => "XML" },
            "<x:xmpmeta><dc:creator><rdf:Seq><rdf:li>张秀英</rdf:li></rdf:Seq></dc:creator></x:xmpmeta>"
                .as_bytes()
                .to_vec(),
        ));
        let ap = pdf.doc.add_object(Stream::new(
            dictionary! { "Subtype" => "Form" },
            b"BT ET".to_vec(),
        ));
        let field = pdf.doc.add_object(dictionary! {
            "Type" => "Annot", "Subtype" => "Widget", "FT" => "Tx",
            "T" => lopdf::text_string("身份证号"),
            "V" => Object::string_literal("110101199003074514"),
            "AP" => dictionary! { "N" => ap },
        });
        let page = pdf.pages[0].as_reference().expect("page");
        pdf.doc
            .get_dictionary_mut(page)
            .expect("page")
            .set("Annots", vec![field.into()]);
        let form = pdf
            .doc
            .add_object(dictionary! { "Fields" => vec![field.into()] });
        let mut body = pdf.bytes(false);
        // The catalog gets its form and metadata after the fact.
        let mut doc = Document::load_mem(&body).expect("loads");
        let catalog = doc.catalog_mut().expect("catalog");
        catalog.set("AcroForm", form);
        catalog.set("Metadata", xmp);
        body.clear();
        doc.save_to(&mut body).expect("saved");
        let (r, out) = run(&body, true);
        let rules: Vec<&str> = r.findings.iter().map(|f| &*f.finding.rule_id).collect();
        assert!(rules.contains(&"cn.person_name"), "{rules:?}");
        assert!(rules.contains(&"cn.resident_id.18"), "{rules:?}");
        let out = out.expect("rewritten");
        let info = out
            .trailer
            .get(b"Info")
            .and_then(Object::as_reference)
            .expect("info");
        let author = out
            .get_dictionary(info)
            .and_then(|d| d.get(b"Author"))
            .expect("author");
        assert_eq!(lopdf::decode_text_string(author).expect("text"), "张**");
        let f = out.get_dictionary(field).expect("field");
        assert_eq!(
            f.get(b"V").and_then(Object::as_str).expect("V"),
            b"110101********4514"
        );
        assert!(f.get(b"AP").is_err());
        let xmp = out
            .get_object(xmp)
            .and_then(Object::as_stream)
            .expect("xmp");
        let xml = String::from_utf8(xmp.get_plain_content().expect("plain")).expect("utf-8");
        assert!(xml.contains("张**") && !xml.contains("秀英"), "{xml}");
    }

    #[test]
    fn what_cannot_be_read_is_reported_and_a_bomb_refused() {
        // Identity-H with no ToUnicode: codes are glyph numbers only.
        let mut pdf = Pdf::new("x");
        let f = pdf.doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type0", "BaseFont" => "X", "Encoding" => "Identity-H",
        });
        let res = pdf
            .doc
            .add_object(dictionary! { "Font" => dictionary! { "F9" => f } });
        let c = pdf.doc.add_object(Stream::new(
            dictionary! {},
            b"BT /F9 12 Tf <00410042> Tj ET".to_vec(),
        ));
        let page = pdf
            .doc
            .add_object(dictionary! { "Type" => "Page", "Contents" => c, "Resources" => res });
        pdf.pages.push(page.into());
        // (The test's unused fonts are objects nothing refers to: the document is written
        // anew without them.)
        let (r, _) = run(&pdf.bytes(false), true);
        assert_eq!(r.unread.len(), 1, "{:?}", r.unread);
        assert!(r.unread[0].reason.contains("no characters"));

        let (r, _) = run(b"%PDF-1.7\nnot a pdf at all", false);
        assert_eq!(r.unread[0].reason, "corrupt PDF");

        // A page content stream that inflates past the budget.
        let mut pdf = Pdf::new("x");
        let zeros = vec![b' '; 8 << 20];
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut z, &zeros).expect("deflated");
        let c = pdf.doc.add_object(Stream::new(
            dictionary! { "Filter" => "FlateDecode" },
            z.finish().expect("deflated"),
        ));
        let page = pdf.doc.add_object(
            dictionary! { "Type" => "Page", "Contents" => c, "Resources" => pdf.resources },
        );
        pdf.pages.push(page.into());
        let body = pdf.bytes(false);
        let mut left = 1 << 20;
        let r = scan(
            &engine(),
            &ScanOptions::default(),
            &body,
            "",
            &mut left,
            1 << 20,
        );
        assert!(matches!(r, Err(ArchiveError::Bomb(_))));
    }

    #[test]
    fn a_form_xobject_is_read_where_it_is_drawn_and_a_clean_document_kept() {
        let mut pdf = Pdf::new("x");
        let form = pdf.doc.add_object(Stream::new(
            dictionary! { "Type" => "XObject", "Subtype" => "Form", "Resources" => pdf.resources,
            "Matrix" => vec![1.into(), 0.into(), 0.into(), 1.into(), 100.into(), 0.into()] },
            b"BT /F2 12 Tf 0 700 Td (13800138000) Tj ET".to_vec(),
        ));
        let res = pdf.doc.add_object(dictionary! {
            "Font" => pdf.doc.get_dictionary(pdf.resources).expect("res").get(b"Font").expect("fonts").clone(),
            "XObject" => dictionary! { "Fm1" => form },
        });
        let c = pdf.doc.add_object(Stream::new(
            dictionary! {},
            b"q /Fm1 Do Q BT /F2 12 Tf 72 600 Td (page 1) Tj ET".to_vec(),
        ));
        let page = pdf
            .doc
            .add_object(dictionary! { "Type" => "Page", "Contents" => c, "Resources" => res });
        pdf.pages.push(page.into());
        let (r, out) = run(&pdf.bytes(false), true);
        assert_eq!(r.findings.len(), 1);
        let out = out.expect("rewritten");
        let s = out
            .get_object(form)
            .and_then(Object::as_stream)
            .expect("form");
        let plain = s.get_plain_content().expect("plain");
        assert!(memchr::memmem::find(&plain, b"13800138000").is_none());

        let mut pdf = Pdf::new("订单号");
        let content = format!(
            "BT /F1 12 Tf 72 700 Td {} Tj /F2 12 Tf (20240101123456789) Tj ET",
            pdf.f1("订单号")
        );
        pdf.page(&content);
        let (r, out) = run(&pdf.bytes(true), true);
        assert!(r.findings.is_empty() && out.is_none() && r.unread.is_empty());
    }

    #[test]
    fn content_stream_tokens() {
        let s = b"/F1 12 Tf [(a\\)b) -20 <4142 43>] TJ (x\\101\\\ny) Tj BI /W 1 ID \x00EI\x01 EI Q";
        let mut l = Lexer { s, i: 0 };
        let mut ops = Vec::new();
        let mut strs = Vec::new();
        while let Some(t) = l.next() {
            match t {
                Tok::Op(op) => {
                    if op == b"BI" {
                        l.skip_inline_image();
                    }
                    ops.push(String::from_utf8(op).expect("ascii"));
                }
                Tok::Operand(Operand::Array(items)) => {
                    for i in items {
                        if let Operand::Str(_, b) = i {
                            strs.push(b);
                        }
                    }
                }
                Tok::Operand(Operand::Str(r, b)) => {
                    assert_eq!(&s[r], b"(x\\101\\\ny)");
                    strs.push(b);
                }
                Tok::Operand(_) => {}
            }
        }
        assert_eq!(ops, ["Tf", "TJ", "Tj", "BI", "Q"]);
        assert_eq!(strs, [b"a)b".to_vec(), b"ABC".to_vec(), b"xAy".to_vec()]);
    }
}
