//! An xlsx workbook read as the tables it shows. In the ZIP, a sheet's cells hold only
//! indexes into `xl/sharedStrings.xml` (or inline strings without their column's name), so
//! scanning the members as XML finds the identifiers that validate on their own but no name
//! or address, which only a column heading (`姓名`, `住址`) marks. Here the sheets are read
//! row by row, the first row of text in each sheet is taken as its heading, and every cell's
//! text is scanned as a JSON record keyed by its heading: the same field context a JSON or
//! CSV export gets. Redacted cells are written back where they came from: a shared string
//! is replaced (its rich-text runs become one plain run), an inline string likewise, and a
//! number that redaction turned into text becomes an inline string in its cell.
//!
//! The XML here is machine-written (Excel, Apache POI, EasyExcel, openpyxl), so a small tag
//! walker reads it; a part it cannot make sense of leaves the workbook to the generic member
//! scan instead.

use std::ops::Range;
use std::sync::Arc;

use crate::stream::{Finding, ScanOptions};
use crate::{Engine, Format};

/// The parts of a workbook: its shared strings (if any) and its sheets, by member index.
pub(super) struct Parts<'a> {
    pub sst: Option<(usize, &'a str, &'a [u8])>,
    pub sheets: Vec<(usize, &'a str, &'a [u8])>,
}

/// What scanning a workbook gave: findings by member, and the members rewritten.
pub(super) struct Scanned {
    pub findings: Vec<(Arc<str>, Finding)>,
    pub changed: Vec<(usize, Vec<u8>)>,
}

/// Where a cell's text lives.
#[derive(Clone)]
enum Src {
    /// Shared string number n.
    Shared(usize),
    /// A cell of sheet `sheet` (index into `Parts::sheets`).
    Cell { sheet: usize, at: CellAt },
}

/// The byte ranges of a cell element that a redaction rewrites.
#[derive(Clone)]
struct CellAt {
    /// The whole `<c …>…</c>` element (a finding's offsets) and its start tag.
    elem: Range<usize>,
    open: Range<usize>,
    /// An inline string's `<is>` content, or a value's `<v>…</v>` element and content.
    value: Value,
    /// Whether the cell has a formula (`<f>`), which is kept: its text is scanned with the
    /// rest of the sheet's markup.
    formula: bool,
}

#[derive(Clone)]
enum Value {
    Inline(Range<usize>),
    V {
        elem: Range<usize>,
        inner: Range<usize>,
    },
}

/// One shared string: the bytes between `<si>` and `</si>`, and its text.
struct SstItem {
    inner: Range<usize>,
    text: String,
}

/// One cell with text.
struct Cell {
    row: u32,
    col: u32,
    text: String,
    src: Src,
}

/// Scans a workbook. `None` when a part cannot be read as expected (the caller scans the
/// members as plain XML then).
pub(super) fn scan(engine: &Arc<Engine>, opts: &ScanOptions, parts: &Parts) -> Option<Scanned> {
    let sst = match parts.sst {
        Some((_, _, b)) => shared_strings(std::str::from_utf8(b).ok()?)?,
        None => Vec::new(),
    };
    let mut sheets = Vec::new();
    let mut blanks = Vec::new();
    let mut formulas = Vec::new();
    for (n, (_, _, b)) in parts.sheets.iter().enumerate() {
        let (mut blank, mut f) = (Vec::new(), Vec::new());
        sheets.push(cells(
            std::str::from_utf8(b).ok()?,
            n,
            &sst,
            &mut blank,
            &mut f,
        )?);
        blanks.push(blank);
        formulas.push(f);
    }
    // The table view: one JSON array, a record per row keyed by the sheet's heading, and the
    // shared strings no cell uses as bare strings (still sent, so still scanned).
    let mut doc = String::from("[");
    // (JSON span of the value literal, source) per value, in document order.
    let mut slots: Vec<(Range<usize>, Src, String)> = Vec::new();
    let mut used = vec![false; sst.len()];
    for sheet in &sheets {
        let heading = heading_row(sheet);
        // Heading text by column (A = 1), for one lookup per cell.
        let mut names: Vec<&str> = Vec::new();
        if let Some(r) = heading {
            for c in sheet.iter().filter(|c| c.row == r) {
                let col = c.col as usize;
                if col > 16_384 {
                    continue;
                }
                if col >= names.len() {
                    names.resize(col + 1, "");
                }
                // Repeated in every record below it: only a short cell is a key (a heading
                // cell of a million characters would be copied a million times).
                if c.text.chars().count() <= 32 {
                    names[col] = c.text.as_str();
                }
            }
        }
        let mut row = None;
        for c in sheet {
            if let Src::Shared(i) = c.src {
                used[i] = true;
            }
            if row != Some(c.row) {
                if row.is_some() {
                    doc.push_str("},");
                }
                doc.push('{');
                row = Some(c.row);
            } else {
                doc.push(',');
            }
            // Cells of the heading row and above it have no heading of their own.
            let key = match heading {
                Some(h) if c.row > h => names.get(c.col as usize).copied().unwrap_or(""),
                _ => "",
            };
            push_json_str(&mut doc, key);
            doc.push(':');
            let at = doc.len();
            push_json_str(&mut doc, &c.text);
            slots.push((at..doc.len(), c.src.clone(), c.text.clone()));
        }
        if row.is_some() {
            doc.push_str("},");
        }
    }
    for (i, item) in sst.iter().enumerate() {
        if !used[i] {
            let at = doc.len();
            push_json_str(&mut doc, &item.text);
            doc.push(',');
            slots.push((at..doc.len() - 1, Src::Shared(i), item.text.clone()));
        }
    }
    if doc.ends_with(',') {
        doc.pop();
    }
    doc.push(']');

    let r = engine.scan_bytes(doc.as_bytes(), super::as_format(opts, Format::Json));
    let member_of = |src: &Src| -> Arc<str> {
        match src {
            Src::Shared(_) => Arc::from(parts.sst.map_or("", |s| s.1)),
            Src::Cell { sheet, .. } => Arc::from(parts.sheets[*sheet].1),
        }
    };
    // A finding's offsets become those of its cell's text in the member.
    let mut findings = Vec::with_capacity(r.findings.len());
    for mut f in r.findings {
        let i = slots.partition_point(|(span, _, _)| span.end <= f.start as usize);
        let Some((_, src, _)) = slots.get(i) else {
            continue;
        };
        let span = match src {
            Src::Shared(n) => sst[*n].inner.clone(),
            Src::Cell { at, .. } => at.elem.clone(),
        };
        f.start = span.start as u64;
        f.end = span.end as u64;
        findings.push((member_of(src), f));
    }
    // The rest of each sheet's markup (formulas, headers and footers, data validations,
    // hyperlink labels) is scanned as XML with the cell values blanked out, which the table
    // view has read: its edits land outside them, beside the cells' own.
    let mut sheet_edits: Vec<Vec<(Range<usize>, String)>> = vec![Vec::new(); sheets.len()];
    for (n, blank) in blanks.iter().enumerate() {
        let (_, name, b) = parts.sheets[n];
        let mut blanked = b.to_vec();
        for r in blank {
            blanked[r.clone()].fill(b' ');
        }
        let xml = super::as_format(opts, Format::Xml);
        let (found, edits) = engine.scan_edits_at_depth(&blanked, xml, 1);
        let member: Arc<str> = Arc::from(name);
        findings.extend(found.into_iter().map(|f| (member.clone(), f)));
        if opts.redact {
            for (start, end, bytes) in edits {
                let (start, end) = (start as usize, end as usize);
                // A mask inside a formula would leave no formula Excel can read (`139****9000
                // +0`): the formula goes, and the cell keeps its (redacted) value.
                if let Some(f) = formulas[n]
                    .iter()
                    .find(|f| f.start <= start && end <= f.end)
                {
                    if !sheet_edits[n].iter().any(|(r, _)| r == f) {
                        sheet_edits[n].push((f.clone(), String::new()));
                    }
                    continue;
                }
                let text = String::from_utf8(bytes).ok()?;
                sheet_edits[n].push((start..end, text));
            }
        }
    }
    let mut changed = Vec::new();
    if opts.redact && (r.output != doc.as_bytes() || sheet_edits.iter().any(|e| !e.is_empty())) {
        let values = value_literals(&r.output, slots.len())?;
        // New text per shared string and per cell.
        let mut sst_new: Vec<Option<String>> = vec![None; sst.len()];
        let mut cell_new = sheet_edits;
        for ((_, src, old), new) in slots.iter().zip(values) {
            if new == *old {
                continue;
            }
            match src {
                // A string shown in several cells is redacted as strongly as any of them
                // asks (`张三丰,13800138000` under both 备注 and 姓名).
                Src::Shared(n) => {
                    sst_new[*n] = Some(match sst_new[*n].take() {
                        None => new,
                        Some(had) => stronger(old, had, new),
                    });
                }
                Src::Cell { sheet, at } => {
                    let text = std::str::from_utf8(parts.sheets[*sheet].2).ok()?;
                    cell_new[*sheet].extend(cell_edits(text, at, &new));
                }
            }
        }
        if let Some((ix, _, b)) = parts.sst {
            if sst_new.iter().any(Option::is_some) {
                let edits = sst
                    .iter()
                    .zip(&sst_new)
                    .filter_map(|(item, n)| n.as_ref().map(|n| (item.inner.clone(), text_run(n))))
                    .collect();
                changed.push((ix, splice(b, edits)?));
            }
        }
        for (n, edits) in cell_new.into_iter().enumerate() {
            if edits.is_empty() {
                continue;
            }
            let (ix, _, b) = parts.sheets[n];
            changed.push((ix, splice(b, edits)?));
        }
    }
    Some(Scanned { findings, changed })
}

/// The row taken as a sheet's heading (see [`best_heading`]); only string cells (shared or
/// inline) can be column names.
fn heading_row(sheet: &[Cell]) -> Option<u32> {
    let name_like = |c: &Cell| {
        matches!(
            c.src,
            Src::Shared(_)
                | Src::Cell {
                    at: CellAt {
                        value: Value::Inline(_),
                        ..
                    },
                    ..
                }
        ) && name_like(&c.text)
    };
    // A sheet of one column (a list of names under `姓名`) has a heading of one cell.
    let single = sheet.iter().all(|c| c.col == sheet[0].col);
    let mut rows = Vec::new();
    let mut i = 0;
    while i < sheet.len() && rows.len() < HEADING_ROWS {
        let row = sheet[i].row;
        let end = i + sheet[i..].iter().take_while(|c| c.row == row).count();
        let cells = &sheet[i..end];
        rows.push((
            row,
            cells.iter().filter(|c| name_like(c)).count(),
            cells.len(),
        ));
        i = end;
    }
    best_heading(&rows, single)
}

/// How many of a table's first rows may hold its heading.
pub(super) const HEADING_ROWS: usize = 10;

/// Whether a cell's text reads as a column name: text, at most 32 characters, no run of five
/// digits (`姓名`, `身份证号`, `2024年收入`).
pub(super) fn name_like(text: &str) -> bool {
    !text.is_empty()
        && text.chars().count() <= 32
        && !text
            .as_bytes()
            .windows(5)
            .any(|w| w.iter().all(u8::is_ascii_digit))
}

/// The heading among a table's first rows, given per row its id, how many of its cells read
/// as column names and how many cells it has: the row with the most such cells, at least
/// two (one in a table of a single column) and at least three quarters of its cells. A title
/// above the table (`员工信息表 | 导出人`) has fewer such cells than the heading row under it.
pub(super) fn best_heading<R: Copy>(rows: &[(R, usize, usize)], single: bool) -> Option<R> {
    let mut best: Option<(usize, R)> = None;
    for &(row, names, cells) in rows {
        if (names >= 2 || (single && names == 1))
            && names * 4 >= cells * 3
            && best.is_none_or(|(n, _)| names > n)
        {
            best = Some((names, row));
        }
    }
    best.map(|(_, r)| r)
}

/// Two redactions of the same text combined: character by character where both keep its
/// length (a mask here, another there), else the one that changed more of it.
pub(super) fn stronger(old: &str, a: String, b: String) -> String {
    let (o, x, y): (Vec<char>, Vec<char>, Vec<char>) = (
        old.chars().collect(),
        a.chars().collect(),
        b.chars().collect(),
    );
    if x.len() == o.len() && y.len() == o.len() {
        return o
            .iter()
            .zip(x.iter().zip(&y))
            .map(|(c, (p, q))| if p != c { *p } else { *q })
            .collect();
    }
    let changed =
        |v: &[char]| v.iter().zip(&o).filter(|(p, c)| p != c).count() + v.len().abs_diff(o.len());
    if changed(&y) > changed(&x) {
        b
    } else {
        a
    }
}

/// A JSON string literal of `s`.
pub(super) fn push_json_str(doc: &mut String, s: &str) {
    doc.push_str(&serde_json::Value::String(s.to_string()).to_string());
}

/// The value literals of the redacted table view, decoded, in order: keys and values
/// alternate inside records; bare strings stand alone. `n` values are expected.
pub(super) fn value_literals(out: &[u8], n: usize) -> Option<Vec<String>> {
    let text = std::str::from_utf8(out).ok()?;
    let b = text.as_bytes();
    let mut vals = Vec::with_capacity(n);
    let mut i = 0;
    let mut depth_obj = false;
    let mut expect_key = false;
    while i < b.len() {
        match b[i] {
            b'{' => {
                depth_obj = true;
                expect_key = true;
                i += 1;
            }
            b'}' => {
                depth_obj = false;
                i += 1;
            }
            b',' if depth_obj => {
                expect_key = true;
                i += 1;
            }
            b'"' => {
                let start = i;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                let lit = text.get(start..i.min(b.len()))?;
                if depth_obj && expect_key {
                    expect_key = false;
                } else {
                    vals.push(serde_json::from_str::<String>(lit).ok()?);
                }
            }
            _ => i += 1,
        }
    }
    (vals.len() == n).then_some(vals)
}

/// Replaces each range of `b` (sorted, disjoint) with its text.
pub(super) fn splice(b: &[u8], mut edits: Vec<(Range<usize>, String)>) -> Option<Vec<u8>> {
    edits.sort_by_key(|(r, _)| (r.start, r.end));
    let mut out = Vec::with_capacity(b.len());
    let mut at = 0;
    for (r, t) in edits {
        // Two edits over the same bytes: one of them would be lost, so the workbook is not
        // rewritten this way at all (its parts are scanned as plain XML instead).
        if r.start < at || r.end > b.len() {
            return None;
        }
        out.extend_from_slice(&b[at..r.start]);
        out.extend_from_slice(t.as_bytes());
        at = r.end;
    }
    out.extend_from_slice(&b[at..]);
    Some(out)
}

/// One plain text run holding `s`, as a shared or inline string's content.
fn text_run(s: &str) -> String {
    format!("<t xml:space=\"preserve\">{}</t>", escape(s))
}

/// The edits that write `new` into a cell: an inline string's content is replaced; a
/// value (`<v>`) keeps its element when the cell has a formula (its type becomes `str`, a
/// formula's text result) and becomes an inline string otherwise; the start tag keeps the
/// cell's reference and style. Nothing else of the cell is touched, so the edits of the
/// markup scan (in a formula) stand beside them.
fn cell_edits(text: &str, at: &CellAt, new: &str) -> Vec<(Range<usize>, String)> {
    let open = &text[at.open.clone()];
    let inner = open.trim_start_matches('<').trim_end_matches('>');
    let name_end = inner
        .find(|c: char| c.is_ascii_whitespace())
        .unwrap_or(inner.len());
    let name = &inner[..name_end];
    let p = name
        .rsplit_once(':')
        .map_or(String::new(), |(p, _)| format!("{p}:"));
    // The type is set in place: the value of a `t` attribute, or a `t` added before the
    // tag's `>`; the rest of the tag (and any edit of the markup scan in it) stays.
    let set_type = |t: &str| -> (Range<usize>, String) {
        let attrs = &inner[name_end..];
        let base = at.open.start + (attrs.as_ptr() as usize - open.as_ptr() as usize);
        match attributes(attrs).into_iter().find(|(k, _)| *k == "t") {
            Some((_, v)) => {
                let from = base + (v.as_ptr() as usize - attrs.as_ptr() as usize);
                (from..from + v.len(), t.to_string())
            }
            None => (at.open.end - 1..at.open.end - 1, format!(" t=\"{t}\"")),
        }
    };
    let run = |s: &str| format!("<{p}t xml:space=\"preserve\">{}</{p}t>", escape(s));
    match &at.value {
        Value::Inline(r) => vec![(r.clone(), run(new))],
        Value::V { inner, .. } if at.formula => vec![set_type("str"), (inner.clone(), escape(new))],
        Value::V { elem, .. } => vec![
            set_type("inlineStr"),
            (elem.clone(), format!("<{p}is>{}</{p}is>", run(new))),
        ],
    }
}

pub(super) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The attributes of a start tag's remainder (`k="v"` or `k='v'`; values left escaped).
pub(super) fn attributes(s: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(eq) = rest.find('=') {
        let k = rest[..eq].trim().trim_start_matches('/');
        let after = rest[eq + 1..].trim_start();
        let Some(q) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            break;
        };
        let Some(end) = after[1..].find(q) else {
            break;
        };
        out.push((k, &after[1..1 + end]));
        rest = &after[end + 2..];
    }
    out
}

/// A tag: its local name, whether it closes, whether it is empty (`/>`), its attribute text,
/// and the byte range of the whole tag.
pub(super) struct Tag<'a> {
    pub local: &'a str,
    pub closing: bool,
    pub empty: bool,
    pub attrs: &'a str,
    pub span: Range<usize>,
}

/// The tags of `s` in order (comments, processing instructions and declarations skipped).
pub(super) fn tags(s: &str) -> impl Iterator<Item = Tag<'_>> {
    let mut at = 0;
    std::iter::from_fn(move || loop {
        let lt = at + s.get(at..)?.find('<')?;
        let gt = lt + s[lt..].find('>')?;
        at = gt + 1;
        let inner = &s[lt + 1..gt];
        if inner.starts_with(['?', '!']) {
            continue;
        }
        let closing = inner.starts_with('/');
        let inner = inner.trim_start_matches('/');
        let empty = inner.ends_with('/');
        let inner = inner.trim_end_matches('/');
        let name_end = inner
            .find(|c: char| c.is_ascii_whitespace())
            .unwrap_or(inner.len());
        let name = &inner[..name_end];
        let local = name.rsplit_once(':').map_or(name, |(_, l)| l);
        return Some(Tag {
            local,
            closing,
            empty,
            attrs: &inner[name_end..],
            span: lt..gt + 1,
        });
    })
}

/// The text of XML character data (entities and character references decoded).
pub(super) fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let Some(semi) = after.find(';').filter(|&n| n <= 10) else {
            out.push('&');
            rest = after;
            continue;
        };
        let ent = &after[..semi];
        let c = match ent {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => ent
                .strip_prefix("#x")
                .or_else(|| ent.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| ent.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The text of `<t>` elements from `from` until the closing tag named `until` (phonetic runs,
/// `<rPh>`, left out): a shared or inline string's text. Returns the text and where the
/// closing tag starts.
fn string_text<'a>(
    s: &'a str,
    it: &mut impl Iterator<Item = Tag<'a>>,
    until: &str,
) -> Option<(String, usize)> {
    let mut text = String::new();
    let mut t_start = None;
    let mut phonetic = false;
    for tag in it {
        match (tag.local, tag.closing) {
            (l, true) if l == until => return Some((text, tag.span.start)),
            ("rPh", c) if !tag.empty => phonetic = !c,
            ("t", false) if !tag.empty && !phonetic => t_start = Some(tag.span.end),
            ("t", true) => {
                if let Some(a) = t_start.take() {
                    text.push_str(&unescape(s.get(a..tag.span.start)?));
                }
            }
            _ => {}
        }
    }
    None
}

/// The shared strings of `xl/sharedStrings.xml`.
fn shared_strings(s: &str) -> Option<Vec<SstItem>> {
    let mut out = Vec::new();
    let mut it = tags(s);
    while let Some(tag) = it.next() {
        if tag.local == "si" && !tag.closing {
            if tag.empty {
                out.push(SstItem {
                    inner: tag.span.end..tag.span.end,
                    text: String::new(),
                });
                continue;
            }
            let from = tag.span.end;
            let (text, end) = string_text(s, &mut it, "si")?;
            out.push(SstItem {
                inner: from..end,
                text,
            });
        }
    }
    Some(out)
}

/// The cells with text of one sheet, in document order (rows ascending, as the format
/// requires). Shared-string cells take their string's text. The ranges of every value's text
/// go to `blank`.
fn cells(
    s: &str,
    sheet: usize,
    sst: &[SstItem],
    blank: &mut Vec<Range<usize>>,
    formulas: &mut Vec<Range<usize>>,
) -> Option<Vec<Cell>> {
    let mut out = Vec::new();
    let mut it = tags(s);
    let mut row = 0u32;
    let mut col = 0u32;
    while let Some(tag) = it.next() {
        match (tag.local, tag.closing) {
            ("row", false) => {
                let attrs = attributes(tag.attrs);
                row = attrs
                    .iter()
                    .find(|(k, _)| *k == "r")
                    .and_then(|(_, v)| v.parse().ok())
                    .unwrap_or(row + 1);
                col = 0;
            }
            ("c", false) => {
                let attrs = attributes(tag.attrs);
                col = attrs
                    .iter()
                    .find(|(k, _)| *k == "r")
                    .and_then(|(_, v)| column(v))
                    .unwrap_or(col + 1);
                if tag.empty {
                    continue;
                }
                let kind = attrs.iter().find(|(k, _)| *k == "t").map_or("n", |a| a.1);
                let open = tag.span.clone();
                // The cell's value: `<v>` (a number, a shared string's index, a formula's
                // cached result) or an inline string's `<is>`.
                let mut value: Option<(String, Value)> = None;
                let mut v_start = None;
                let mut end = None;
                let mut formula = false;
                let mut f_start = None;
                while let Some(t) = it.next() {
                    match (t.local, t.closing) {
                        ("c", true) => {
                            end = Some(t.span.end);
                            break;
                        }
                        ("f", false) => {
                            formula = true;
                            if t.empty {
                                formulas.push(t.span.clone());
                            } else {
                                f_start = Some(t.span.start);
                            }
                        }
                        ("f", true) => {
                            if let Some(a) = f_start.take() {
                                formulas.push(a..t.span.end);
                            }
                        }
                        ("v", false) if !t.empty => v_start = Some(t.span.clone()),
                        ("v", true) => {
                            if let Some(a) = v_start.take() {
                                let inner = a.end..t.span.start;
                                blank.push(inner.clone());
                                let text = unescape(s.get(inner.clone())?);
                                value = Some((
                                    text,
                                    Value::V {
                                        elem: a.start..t.span.end,
                                        inner,
                                    },
                                ));
                            }
                        }
                        ("is", false) if !t.empty => {
                            let from = t.span.end;
                            let (text, to) = string_text(s, &mut it, "is")?;
                            blank.push(from..to);
                            value = Some((text, Value::Inline(from..to)));
                        }
                        _ => {}
                    }
                }
                let (Some(end), Some((value, at))) = (end, value) else {
                    continue;
                };
                let (text, src) = match kind {
                    "s" => {
                        let n: usize = value.trim().parse().ok()?;
                        (sst.get(n)?.text.clone(), Src::Shared(n))
                    }
                    // Booleans and errors hold nothing to find.
                    "b" | "e" => continue,
                    _ => (
                        value,
                        Src::Cell {
                            sheet,
                            at: CellAt {
                                elem: open.start..end,
                                open,
                                value: at,
                                formula,
                            },
                        },
                    ),
                };
                if !text.is_empty() {
                    out.push(Cell {
                        row,
                        col,
                        text,
                        src,
                    });
                }
            }
            _ => {}
        }
    }
    Some(out)
}

/// The column number (A = 1) of a cell reference such as `AB12`; Excel's last column is
/// XFD (16,384).
fn column(r: &str) -> Option<u32> {
    let letters: Vec<u8> = r.bytes().take_while(u8::is_ascii_alphabetic).collect();
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    Some(letters.iter().fold(0u32, |n, b| {
        n * 26 + u32::from(b.to_ascii_uppercase() - b'A' + 1)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sheets and shared strings mangled byte by byte give a result or `None`, never a panic.
    #[test]
    fn mangled_parts_never_panic() {
        let engine = Arc::new(Engine::builder().builtin().build().unwrap());
        let opts = ScanOptions {
            redact: true,
            ..ScanOptions::default()
        };
        let sheet = r#"<x:worksheet><x:sheetData><x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="B1" t="inlineStr"><x:is><x:t>住址</x:t></x:is></x:c></x:row><x:row><x:c t="s"><x:v>1</x:v></x:c><x:c r="B2" s="2"><x:v>13800138000</x:v><x:f>A1</x:f></x:c><x:c/></x:row></x:sheetData></x:worksheet>"#;
        let sst = r#"<sst><si><t>姓名</t></si><si><r><t>张</t></r><r><t>三丰</t></r><rPh><t>z</t></rPh></si><si><t>&amp;&#x31;</t></si><si/></sst>"#;
        let run = |sst: &[u8], sheet: &[u8]| {
            let parts = Parts {
                sst: Some((1, "xl/sharedStrings.xml", sst)),
                sheets: vec![(2, "xl/worksheets/sheet1.xml", sheet)],
            };
            scan(&engine, &opts, &parts).map(|r| r.changed.len())
        };
        assert_eq!(run(sst.as_bytes(), sheet.as_bytes()), Some(2));
        for i in 0..sheet.len().max(sst.len()) {
            for b in [b'<', b'>', b'"', b'/', b'&', b'1', b' '] {
                let mut m = sheet.as_bytes().to_vec();
                if i < m.len() {
                    m[i] = b;
                }
                let _ = run(sst.as_bytes(), &m);
                let mut m = sst.as_bytes().to_vec();
                if i < m.len() {
                    m[i] = b;
                }
                let _ = run(&m, sheet.as_bytes());
            }
        }
    }

    /// A value in a cell's attribute, a formula holding one, a one-column sheet: each is
    /// redacted in place, the formula dropped (a masked formula would not parse).
    #[test]
    fn attributes_formulas_and_one_column() {
        let engine = Arc::new(Engine::builder().builtin().build().unwrap());
        let opts = ScanOptions {
            redact: true,
            ..ScanOptions::default()
        };
        let sheet = concat!(
            r#"<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>手机</t></is></c></row>"#,
            r#"<row r="2"><c r="A2" foo="13600136000"><v>13600136000</v></c></row>"#,
            r#"<row r="3"><c r="A3" t="str"><f>13900139000+0</f><v>13900139000</v></c></row>"#,
            "</sheetData></worksheet>"
        );
        let parts = Parts {
            sst: None,
            sheets: vec![(1, "xl/worksheets/sheet1.xml", sheet.as_bytes())],
        };
        let r = scan(&engine, &opts, &parts).expect("read as a table");
        let out = String::from_utf8(r.changed[0].1.clone()).unwrap();
        assert!(
            !out.contains("13600136000") && !out.contains("13900139000"),
            "{out}"
        );
        assert!(
            out.contains(r#"foo="136****6000""#) && !out.contains("<f>"),
            "{out}"
        );
        assert!(
            out.contains(r#"<c r="A3" t="str"><v>139****9000</v></c>"#),
            "{out}"
        );
        let names = "<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>姓名</t></is></c></row><row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>欧阳晓峰</t></is></c></row></sheetData></worksheet>";
        let parts = Parts {
            sst: None,
            sheets: vec![(1, "xl/worksheets/sheet1.xml", names.as_bytes())],
        };
        let r = scan(&engine, &opts, &parts).unwrap();
        assert_eq!(r.findings.len(), 1, "the one column's heading names it");
    }

    #[test]
    fn columns_and_entities() {
        assert_eq!(column("A1"), Some(1));
        assert_eq!(column("AB12"), Some(28));
        assert_eq!(column("12"), None);
        assert_eq!(unescape("a&lt;b&amp;&#49;&#x32;&bogus"), "a<b&12&bogus");
    }

    #[test]
    fn shared_strings_with_runs_and_phonetics() {
        let s = r#"<sst><si><t>姓名</t></si><si><r><rPr/><t>张</t></r><r><t xml:space="preserve">三</t></r><rPh><t>zhang</t></rPh></si><si/></sst>"#;
        let items = shared_strings(s).unwrap();
        let texts: Vec<_> = items.iter().map(|i| i.text.as_str()).collect();
        assert_eq!(texts, ["姓名", "张三", ""]);
    }

    #[test]
    fn a_numeric_cell_becomes_an_inline_string_and_a_formula_keeps_its_formula() {
        let apply = |sheet: &str, new: &str| {
            let (mut blank, mut formulas) = (Vec::new(), Vec::new());
            let cells = cells(sheet, 0, &[], &mut blank, &mut formulas).unwrap();
            let Src::Cell { at, .. } = &cells[0].src else {
                panic!("a cell")
            };
            String::from_utf8(splice(sheet.as_bytes(), cell_edits(sheet, at, new)).unwrap())
                .unwrap()
        };
        assert_eq!(
            apply(
                r#"<row r="2"><c r="B2" s="3"><v>13800138000</v></c></row>"#,
                "138****8000"
            ),
            r#"<row r="2"><c r="B2" s="3" t="inlineStr"><is><t xml:space="preserve">138****8000</t></is></c></row>"#
        );
        assert_eq!(
            apply(
                r#"<x:c r="C2" t="inlineStr"><x:is><x:t>a</x:t></x:is></x:c>"#,
                "b<"
            ),
            r#"<x:c r="C2" t="inlineStr"><x:is><x:t xml:space="preserve">b&lt;</x:t></x:is></x:c>"#
        );
        assert_eq!(
            apply(
                r#"<c r="D2" t="str"><f>A1&amp;B1</f><v>13800138000</v></c>"#,
                "138****8000"
            ),
            r#"<c r="D2" t="str"><f>A1&amp;B1</f><v>138****8000</v></c>"#
        );
    }
}
