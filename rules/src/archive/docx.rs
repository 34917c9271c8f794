//! Word and PowerPoint parts (`word/document.xml`, headers, footers, notes, comments;
//! `ppt/slides/slideN.xml`) read as the paragraphs and tables they show. Word splits a
//! paragraph's text into runs wherever formatting, spelling marks or an edit session change
//! (`<w:r><w:t>110101</w:t></w:r><w:r><w:t>19900307…</w:t></w:r>`), so the XML scan, which
//! reads each `<w:t>` alone, sees neither a whole identifier nor a label with its value.
//! Here each paragraph's runs are joined into its text, and tables are read as tables: every
//! cell is judged under its column's heading (the table's first name-like row) and, as a
//! form (`| 姓名 | 张三 | 性别 | 男 |`) is laid out, under the cell to its left. Both views are
//! scanned as one JSON document, so the cells get the field context a JSON or CSV export gets.
//!
//! A redacted paragraph is written back into the runs it came from: character by character
//! when the redaction kept its length (each run keeps its own formatting), else the changed
//! stretch goes into the first run it touches and leaves the others. The rest of the markup
//! (field codes, hyperlinks, attributes) is scanned as XML with the run texts blanked out.
//! Like the workbook reader, this walks machine-written XML with a small tag reader; a part
//! it cannot make sense of is scanned as plain XML instead.

use std::ops::Range;
use std::sync::Arc;

use super::xlsx::{
    best_heading, escape, name_like, push_json_str, splice, stronger, tags, unescape,
    value_literals, HEADING_ROWS,
};
use crate::stream::{Finding, ScanOptions};
use crate::{Engine, Format};

/// The kind of document package a ZIP body is, by its parts.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Package {
    /// Office Open XML (`[Content_Types].xml`): docx, xlsx, pptx.
    Ooxml,
    /// OpenDocument (`META-INF/manifest.xml`): odt, ods, odp.
    Odf,
    /// OFD, GB/T 33190 (`OFD.xml`): the national format of electronic official documents.
    Ofd,
}

/// Whether a member of a document package is a part this reader takes: a Word part under
/// `word/`, a slide (or its notes) of a presentation, the content and styles (headers and
/// footers) of an OpenDocument text, spreadsheet or presentation, or the content of an OFD
/// page or template page.
pub(super) fn is_paragraph_part(name: &str, package: Package) -> bool {
    match package {
        Package::Odf => return matches!(name, "content.xml" | "styles.xml"),
        Package::Ofd => return name.ends_with("/Content.xml"),
        Package::Ooxml => {}
    }
    name.ends_with(".xml")
        && ((name.starts_with("word/") && name.matches('/').count() == 1)
            || name.starts_with("ppt/slides/")
            || name.starts_with("ppt/slideLayouts/")
            || name.starts_with("ppt/slideMasters/")
            || name.starts_with("ppt/notesSlides/")
            || name.starts_with("ppt/comments/"))
}

/// What scanning a part gave: findings with offsets in the part, and the part rewritten when
/// redaction changed it.
pub(super) struct Scanned {
    pub findings: Vec<Finding>,
    pub output: Option<Vec<u8>>,
}

/// A text element (`<w:t>`, `<w:delText>`, `<a:t>`): the bytes of its content and its text.
struct Piece {
    content: Range<usize>,
    text: String,
    /// Tracked changes: text deleted (`<w:delText>`) or inserted (inside `<w:ins>`). The
    /// paragraph is read as it now reads and, when it has deletions, as it read before.
    deleted: bool,
    inserted: bool,
    /// The paragraph it belongs to.
    para: usize,
}

/// What a paragraph is made of, in order.
#[derive(Clone, Copy)]
enum Item {
    Piece(usize),
    /// A tab or a line break between runs.
    Sep(char),
}

/// A table cell: its paragraphs and its first column (spans counted).
struct Cell {
    paras: Vec<usize>,
    col: usize,
    span: usize,
}

#[derive(Default)]
struct Table {
    rows: Vec<Vec<Cell>>,
}

/// An open element that owns what follows it.
enum Ctx {
    Para(usize),
    Table,
    Row,
    Cell,
}

/// A text unit of the view: a paragraph outside tables, or a table cell.
#[derive(Clone, Copy)]
enum Unit {
    Para(usize),
    /// A paragraph with tracked deletions as it read before them (its insertions left out).
    Before(usize),
    /// One text element alone, as a plain XML reading sees it: what a paragraph's joined
    /// text hides (`姓名：张伟` in one run, `机密` in the next) is still found.
    Piece(usize),
    Cell {
        table: usize,
        row: usize,
        cell: usize,
    },
}

/// The paragraphs and tables of a part.
pub(super) struct Doc {
    pieces: Vec<Piece>,
    paras: Vec<Vec<Item>>,
    /// Paragraphs outside any table cell, in order.
    body: Vec<usize>,
    /// Paragraphs with tracked deletions.
    revised: Vec<usize>,
    /// The names PowerPoint gives slides, layouts and shapes (`<p:cSld name="Title Slide">`,
    /// `<p:cNvPr name="标题 1">`): interface labels, not data, left out of the markup scan
    /// (a `name` attribute would otherwise be judged a person's name).
    furniture: Vec<Range<usize>>,
    tables: Vec<Table>,
    /// Each character has its own position (an OFD text element's `DeltaX` lists one advance
    /// per glyph): a redaction of another length is masked in place, character for
    /// character, so no text element changes length.
    positioned: bool,
}

fn read(s: &str, slides: bool, odf: bool) -> Option<Doc> {
    let mut doc = Doc::new(false);
    // Open `<w:ins>` elements (a self-closing one marks a paragraph mark, not text).
    let mut inserted = 0usize;
    let mut ctx: Vec<Ctx> = Vec::new();
    // Open tables (innermost last); a finished one moves to `doc.tables`.
    let mut open: Vec<Table> = Vec::new();
    // The start of the open text element's content, and the paragraph it belongs to.
    let mut text_at: Option<(usize, usize)> = None;
    // Inside paragraph properties, `<w:tab>` is a tab stop, not a tab.
    let mut props = 0usize;
    // Run properties and field characters open inside runs (formatting and a legacy form
    // field's settings, not content).
    let mut run_props = 0usize;
    // Per open run: where its items start in its paragraph, and whether it is hidden or
    // raised (`<w:vanish/>`, a superscript): such a run is kept apart from its neighbours,
    // or a hidden `9` after a mobile would hide it.
    let mut run_stack: Vec<(Option<(usize, usize)>, bool)> = Vec::new();
    // OpenDocument: text is the content of paragraphs and their inline elements, not of text
    // elements; the open elements (innermost last) say whether a text node is shown text
    // (`<text:span>`) or something else's value (a comment's `<dc:creator>`).
    let mut odf_open: Vec<&str> = Vec::new();
    // The grid column the open Word row's first cell takes.
    let mut row_start = 0usize;
    let mut last_end = 0usize;
    for tag in tags(s) {
        let para = match ctx.last() {
            Some(Ctx::Para(p)) => Some(*p),
            _ => None,
        };
        if odf {
            if let Some(p) = para.filter(|_| {
                tag.span.start > last_end && odf_open.last().is_some_and(|e| ODF_INLINE.contains(e))
            }) {
                let content = last_end..tag.span.start;
                let text = xml_text(s.get(content.clone())?)?;
                let k = doc.add_piece(p, content, text, (false, false));
                doc.paras[p].push(Item::Piece(k));
            }
            last_end = tag.span.end;
            if tag.closing {
                if odf_open.pop() != Some(tag.local) {
                    return None;
                }
            } else if !tag.empty {
                odf_open.push(tag.local);
            }
        }
        // OpenDocument's names for the same structure: a heading is a paragraph.
        let local = match (odf, tag.local) {
            (true, "h") => "p",
            (true, "table") => "tbl",
            (true, "table-row") => "tr",
            (true, "table-cell" | "covered-table-cell") => "tc",
            (true, "line-break") => "br",
            (true, "s") => "odf-space",
            // (A comment's anchor shows nothing between the texts around it: no separator.)
            (true, "note" | "frame") => "odf-object",
            (true, "tbl" | "tr" | "tc" | "t" | "r" | "br" | "gridSpan" | "ins") => "odf-other",
            (_, local) => local,
        };
        match (local, tag.closing) {
            ("odf-space", false) => {
                if let Some(p) = para {
                    doc.paras[p].push(Item::Sep(' '));
                }
            }
            ("odf-object", false) => {
                if let Some(p) = para {
                    if !matches!(doc.paras[p].last(), Some(Item::Sep(_))) {
                        doc.paras[p].push(Item::Sep('\u{FFFC}'));
                    }
                }
            }
            ("p", false) if !tag.empty => {
                let p = doc.paras.len();
                doc.paras.push(Vec::new());
                match ctx.last() {
                    Some(Ctx::Cell) => open.last_mut()?.rows.last_mut()?.last_mut()?.paras.push(p),
                    _ => doc.body.push(p),
                }
                ctx.push(Ctx::Para(p));
            }
            ("tbl", false) if !tag.empty => {
                open.push(Table::default());
                ctx.push(Ctx::Table);
            }
            // A closing tag must close the innermost open element of its kind.
            ("p" | "tbl" | "tr" | "tc", true) => match (local, ctx.pop()) {
                ("p", Some(Ctx::Para(_))) | ("tr", Some(Ctx::Row)) | ("tc", Some(Ctx::Cell)) => {}
                ("tbl", Some(Ctx::Table)) => doc.tables.push(open.pop()?),
                _ => return None,
            },
            ("tr", false) if !tag.empty => {
                if !matches!(ctx.last(), Some(Ctx::Table)) {
                    return None;
                }
                open.last_mut()?.rows.push(Vec::new());
                ctx.push(Ctx::Row);
                row_start = 0;
            }
            // A Word row that starts after grid columns left empty (`<w:gridBefore w:val="1"/>`
            // in its properties, before its first cell).
            ("gridBefore", false) if matches!(ctx.last(), Some(Ctx::Row)) => {
                row_start = attr(tag.attrs, "val").unwrap_or(0);
            }
            ("tc", false) => {
                if !matches!(ctx.last(), Some(Ctx::Row)) {
                    return None;
                }
                let row = open.last_mut()?.rows.last_mut()?;
                let col = row.last().map_or(row_start, |c| c.col + c.span);
                // A DrawingML cell states its span as an attribute; a Word cell in its
                // properties (`<w:gridSpan w:val="2"/>`, below). A DrawingML cell that a
                // span to its left covers (`<a:tc hMerge="1"/>`) takes no column of its own,
                // and an OpenDocument cell repeated (`number-columns-repeated="3"`, mostly
                // empty ones) takes as many.
                let span = if odf {
                    // Every OpenDocument cell takes its grid column, a covered one too (the
                    // cells a span covers follow it; a cell under a vertical span starts its
                    // row): a span adds none.
                    attr(tag.attrs, "number-columns-repeated").unwrap_or(1)
                } else if matches!(attr_str(tag.attrs, "hMerge"), Some("1" | "true")) {
                    0
                } else {
                    attr(tag.attrs, "gridSpan").unwrap_or(1)
                };
                row.push(Cell {
                    paras: Vec::new(),
                    col,
                    span,
                });
                if !tag.empty {
                    ctx.push(Ctx::Cell);
                }
            }
            ("gridSpan", false) if matches!(ctx.last(), Some(Ctx::Cell)) => {
                if let Some(n) = attr(tag.attrs, "val") {
                    open.last_mut()?.rows.last_mut()?.last_mut()?.span = n;
                }
            }
            ("cSld" | "cNvPr", false) if slides => {
                for (k, v) in super::xlsx::attributes(tag.attrs) {
                    // A picture named after a number (`13800138000.png`) is still read.
                    if k == "name" && name_like(v) {
                        let at = v.as_ptr() as usize - s.as_ptr() as usize;
                        doc.furniture.push(at..at + v.len());
                    }
                }
            }
            ("r", false) if !tag.empty => {
                run_stack.push((para.map(|p| (p, doc.paras[p].len())), false));
            }
            ("r", true) => {
                if let Some((Some((p, at)), true)) = run_stack.pop() {
                    let items = &mut doc.paras[p];
                    if items.len() > at {
                        if !matches!(items.last(), Some(Item::Sep(_))) {
                            items.push(Item::Sep('\u{FFFC}'));
                        }
                        if at > 0 && !matches!(items[at - 1], Item::Sep(_)) {
                            items.insert(at, Item::Sep('\u{FFFC}'));
                        }
                    }
                }
            }
            ("rPr" | "fldChar", false) if !tag.empty => run_props += 1,
            ("rPr" | "fldChar", true) => run_props = run_props.saturating_sub(1),
            ("vanish" | "specVanish" | "webHidden" | "vertAlign", false) if run_props > 0 => {
                let val = attr_str(tag.attrs, "val");
                let apart = match tag.local {
                    "vertAlign" => matches!(val, Some("superscript" | "subscript")),
                    _ => !matches!(val, Some("0" | "false" | "off")),
                };
                if let Some(top) = run_stack.last_mut() {
                    top.1 |= apart;
                }
            }
            ("pPr", false) if !tag.empty => props += 1,
            ("pPr", true) => props = props.saturating_sub(1),
            ("t" | "delText", false) if !tag.empty => {
                if let Some(p) = para {
                    text_at = Some((tag.span.end, p));
                }
            }
            ("t" | "delText", true) => {
                if let Some((from, p)) = text_at.take() {
                    let content = from..tag.span.start;
                    let text = xml_text(s.get(content.clone())?)?;
                    let deleted = tag.local == "delText";
                    if deleted && doc.revised.last() != Some(&p) {
                        doc.revised.push(p);
                    }
                    let k = doc.add_piece(p, content, text, (deleted, inserted > 0));
                    doc.paras[p].push(Item::Piece(k));
                }
            }
            ("ins", false) if !tag.empty => inserted += 1,
            ("ins", true) => inserted = inserted.saturating_sub(1),
            ("tab", false) if props == 0 => {
                if let Some(p) = para {
                    doc.paras[p].push(Item::Sep('\t'));
                }
            }
            ("br" | "cr", false) => {
                if let Some(p) = para {
                    doc.paras[p].push(Item::Sep('\n'));
                }
            }
            ("ptab", false) => {
                if let Some(p) = para {
                    doc.paras[p].push(Item::Sep('\t'));
                }
            }
            ("noBreakHyphen", false) => {
                if let Some(p) = para {
                    doc.paras[p].push(Item::Sep('\u{2011}'));
                }
            }
            // Any other content of a run (a symbol, a drawing, a note reference, an
            // embedded object) stands between the texts around it: they are not one word.
            (local, false)
                if !run_stack.is_empty() && run_props == 0 && !INVISIBLE.contains(&local) =>
            {
                if let Some(p) = para {
                    if !matches!(doc.paras[p].last(), Some(Item::Sep(_))) {
                        doc.paras[p].push(Item::Sep('\u{FFFC}'));
                    }
                }
            }
            _ => {}
        }
    }
    // Unclosed elements: not the document this reader expects.
    if !ctx.is_empty() || text_at.is_some() {
        return None;
    }
    Some(doc)
}

/// A text element placed on an OFD page: its text element, where its text starts (page
/// coordinates, millimetres; `y` is the baseline), how wide it is, and its font size.
pub(super) struct Placed {
    pub piece: usize,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub size: f64,
}

/// How wide an OFD text element's text is: the advances its `DeltaX` gives between its
/// glyphs (`"g 3 4.23 2.1"`: three of 4.23, then 2.1), plus the last glyph's own width; a Han
/// character is as wide as the font size, a Latin letter or digit about half (the estimate
/// for every glyph when `DeltaX` is missing or short).
fn text_width(text: &str, size: f64, delta: Option<&str>) -> f64 {
    let own = |c: char| if c.is_ascii() { 0.5 * size } else { size };
    let chars: Vec<char> = text.chars().collect();
    let Some(&last) = chars.last() else {
        return 0.0;
    };
    let gaps = chars.len() - 1;
    let mut given: Vec<f64> = Vec::new();
    let mut tokens = delta.unwrap_or("").split_ascii_whitespace();
    while given.len() < gaps {
        let Some(token) = tokens.next() else { break };
        let (times, value) = if token == "g" {
            let times = tokens.next().and_then(|n| n.parse::<usize>().ok());
            let value = tokens.next().and_then(|v| v.parse::<f64>().ok());
            match (times, value) {
                (Some(n), Some(v)) => (n, v),
                _ => break,
            }
        } else {
            match token.parse::<f64>() {
                Ok(v) => (1, v),
                Err(_) => break,
            }
        };
        if !value.is_finite() {
            break;
        }
        let take = times.min(gaps - given.len());
        given.extend(std::iter::repeat_n(value.clamp(0.0, 10.0 * size), take));
    }
    let estimated: f64 = chars[given.len()..gaps].iter().map(|&c| own(c)).sum();
    given.iter().sum::<f64>() + estimated + own(last)
}

/// The numbers of an attribute (`Boundary="10 20 150 8.5"`, `X="3.2"`).
fn numbers(attrs: &str, local: &str) -> Vec<f64> {
    attr_str(attrs, local)
        .map(|v| {
            v.split_ascii_whitespace()
                .filter_map(|n| n.parse::<f64>().ok())
                .filter(|n| n.is_finite())
                .collect()
        })
        .unwrap_or_default()
}

/// Reads an OFD page (`Doc_0/Pages/Page_0/Content.xml`) or template page. An OFD page has
/// no paragraphs: it places text elements (`<ofd:TextCode X=".." Y="..">`, inside
/// `<ofd:TextObject Boundary="x y w h" Size="..">`) at positions, one per line, per run, per
/// table cell or even per character, as the writer chose. The page is read as the text they
/// show: elements on one baseline, in order across, make a line; a gap wider than a third of
/// a character between two of them is a tab (a label and its value, two table cells), a
/// smaller one nothing (one word cut in two); lines are joined by line breaks, except a line
/// that runs to the right margin and a next one that starts at the left margin, which are
/// one sentence wrapped, and a gap of more than a blank line makes an empty line. The whole
/// page is one unit, so a table drawn as text is read as one, with its heading above.
fn read_ofd(s: &str) -> Option<Doc> {
    let mut doc = Doc::new(true);
    let mut placed: Vec<Placed> = Vec::new();
    // The open text object's origin and font size, and the open text element's content
    // start and position; a text element without a position continues after the last.
    let mut object: Option<(f64, f64, f64)> = None;
    let mut code: Option<(usize, f64, f64, Option<&str>)> = None;
    let mut next = (0.0, 0.0);
    for tag in tags(s) {
        match (tag.local, tag.closing) {
            ("TextObject", false) if !tag.empty => {
                let b = numbers(tag.attrs, "Boundary");
                let size = numbers(tag.attrs, "Size")
                    .first()
                    .map_or(3.5, |n| n.clamp(0.5, 500.0));
                object = Some((
                    b.first().copied().unwrap_or(0.0),
                    b.get(1).copied().unwrap_or(0.0),
                    size,
                ));
            }
            ("TextObject", true) => object = None,
            ("TextCode", false) if !tag.empty => {
                let x = numbers(tag.attrs, "X").first().copied().unwrap_or(next.0);
                let y = numbers(tag.attrs, "Y").first().copied().unwrap_or(next.1);
                code = Some((tag.span.end, x, y, attr_str(tag.attrs, "DeltaX")));
            }
            ("TextCode", true) => {
                let Some((from, x, y, delta)) = code.take() else {
                    continue;
                };
                let content = from..tag.span.start;
                let text = xml_text(s.get(content.clone())?)?;
                let (ox, oy, size) = object.unwrap_or((0.0, 0.0, 3.5));
                let width = text_width(&text, size, delta);
                next = (x + width, y);
                placed.push(Placed {
                    piece: doc.add_piece(0, content, text, (false, false)),
                    x: ox + x,
                    y: oy + y,
                    width,
                    size,
                });
            }
            _ => {}
        }
    }
    if code.is_some() || placed.is_empty() {
        return None;
    }
    lay_out(&mut doc, placed);
    Some(doc)
}

/// Reads text elements placed on a page (an OFD page, a PDF page) as the text they show,
/// one unit: elements on one baseline, in order across, make a line; a gap wider than a
/// third of a character between two of them is a tab (a label and its value, two table
/// cells), a smaller one nothing (one word cut in two); lines are joined by line breaks,
/// except a line that runs to the right margin and a next one that starts at the left
/// margin, which are one sentence wrapped, and a gap of more than a blank line makes an
/// empty line. `y` grows down the page.
pub(super) fn lay_out(doc: &mut Doc, mut placed: Vec<Placed>) {
    if placed.is_empty() {
        return;
    }
    // Lines: elements whose baselines are within half a character of the first's.
    placed.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x.total_cmp(&b.x)));
    let mut lines: Vec<Vec<&Placed>> = Vec::new();
    for p in &placed {
        match lines.last_mut() {
            Some(line) if (p.y - line[0].y).abs() <= 0.5 * p.size.max(line[0].size) => line.push(p),
            _ => lines.push(vec![p]),
        }
    }
    for line in &mut lines {
        line.sort_by(|a, b| a.x.total_cmp(&b.x));
    }
    let end = |p: &Placed| p.x + p.width;
    let right = lines
        .iter()
        .filter_map(|l| l.last().map(|p| end(p)))
        .fold(f64::NEG_INFINITY, f64::max);
    // Apart, or drawn over the one before (a copy offset a little for bold or a shadow,
    // which would otherwise run on into it): a tab between them.
    let apart = |before: &Placed, p: &Placed| {
        let gap = p.x - end(before);
        let unit = p.size.max(before.size);
        gap > 0.3 * unit || gap < -0.3 * unit
    };
    let gapped = |line: &[&Placed]| line.windows(2).any(|w| apart(w[0], w[1]));
    // Where the cells of a table drawn as text start: the elements after a gap, in rows.
    let mut columns: Vec<f64> = lines
        .iter()
        .flat_map(|l| l.windows(2).filter(|w| apart(w[0], w[1])).map(|w| w[1].x))
        .collect();
    columns.sort_by(f64::total_cmp);
    // In a row, an element that starts where two other rows have a cell start, right after
    // the one before it, starts a cell too (a wide cell that nearly fills its column: a
    // mobile written with hyphens before the address beside it).
    let column_at = |x: f64, unit: f64| {
        let from = columns.partition_point(|c| *c < x - 0.25 * unit);
        let to = columns.partition_point(|c| *c <= x + 0.25 * unit);
        to - from >= 2
    };
    let cell_start = |before: &Placed, p: &Placed| {
        let unit = p.size.max(before.size);
        p.x - end(before) >= -0.05 * unit && column_at(p.x, unit)
    };
    // Letters or digits on both sides of a gap no wider than about two digits: a viewer's
    // copy gives a space there (text spaced out by kerning, `[(1101) -400 (0119…)] TJ`),
    // where a table's cells are read apart by a tab.
    let spaced = |before: &Placed, p: &Placed| {
        let gap = p.x - end(before);
        gap > 0.0
            && gap <= 1.2 * p.size.max(before.size)
            && runs_on(
                doc.pieces[before.piece].text.as_str(),
                doc.pieces[p.piece].text.as_str(),
            )
    };
    let mut items = Vec::new();
    // Each line's items, and whether it is also read alone.
    let mut spans: Vec<(Range<usize>, bool)> = Vec::new();
    // Lines read once more with a space for each of these tabs.
    let mut respaced: Vec<(Range<usize>, Vec<usize>)> = Vec::new();
    // The line before: its last element, whether it had a gap, where it started.
    let mut prev: Option<(&Placed, bool, f64)> = None;
    let text_of = |p: &Placed| doc.pieces[p.piece].text.as_str();
    for line in &lines {
        let first = line[0];
        let row = gapped(line);
        if let Some((last, gapped, start)) = prev {
            // A wrapped sentence: the line before ran to the right margin, this one starts
            // right below it, no further right than it began (a paragraph's first line may
            // be indented), and neither is a row of cells.
            // A number cut by the wrap may leave its line short of the margin (ragged-right
            // text, digits narrower than the Han characters the line was measured in): a
            // line past the middle that ends in a letter or digit, before one that starts
            // in one, joins too (through a zero-width space, so each line still reads alone).
            let runs = runs_on(text_of(last), text_of(first));
            let full = end(last) >= right - 1.5 * last.size
                || (runs && end(last) >= start + 0.5 * (right - start));
            let wrapped = !gapped
                && !row
                && full
                && first.x <= start + 0.5 * first.size
                && first.y - last.y <= 2.5 * last.size.max(first.size);
            if wrapped {
                // One sentence, but two elements that are not one word: a zero-width
                // space, which detection reads through (a card number wrapped in two), keeps
                // each element readable alone as well (a mobile at the end of the first line
                // and a date at the start of the next are not one number).
                // Each line is read alone too: glued fragments are not (`ID: 1101051` +
                // `9491231002X`), and the line's number must not be lost to the run-on
                // reading (`…231002X` + `2024年…`).
                if runs {
                    items.push(Item::Sep('\u{200B}'));
                    if let Some(last) = spans.last_mut() {
                        last.1 = true;
                    }
                }
            } else {
                items.push(Item::Sep('\n'));
                // A gap of more than a blank line's height ends a block (a table, a
                // paragraph): the text says so with an empty line.
                if first.y - last.y > 2.5 * last.size.max(first.size) {
                    items.push(Item::Sep('\n'));
                }
            }
        }
        let from = items.len();
        let mut tabs = Vec::new();
        for (n, p) in line.iter().enumerate() {
            if n > 0 && (apart(line[n - 1], p) || (row && cell_start(line[n - 1], p))) {
                if spaced(line[n - 1], p) {
                    tabs.push(items.len() - from);
                }
                items.push(Item::Sep('\t'));
            }
            items.push(Item::Piece(p.piece));
        }
        if !tabs.is_empty() {
            respaced.push((from..items.len(), tabs));
        }
        // A line that is a secret level and nothing else (`机密` above a notice's title) is
        // read as a paragraph of its own too, and so as the document's marking.
        let joined = matches!(items.get(from.wrapping_sub(1)), Some(Item::Sep('\u{200B}')));
        spans.push((
            from..items.len(),
            joined || level_alone(&doc.text(&items[from..])),
        ));
        prev = line.last().map(|p| (*p, row, first.x));
    }
    doc.body.push(doc.paras.len());
    doc.paras.push(items);
    let page = doc.paras.len() - 1;
    for (span, alone) in spans {
        if alone {
            let line = doc.paras[page][span].to_vec();
            doc.body.push(doc.paras.len());
            doc.paras.push(line);
        }
    }
    for (span, tabs) in respaced {
        let mut line = doc.paras[page][span].to_vec();
        for t in tabs {
            line[t] = Item::Sep(' ');
        }
        doc.body.push(doc.paras.len());
        doc.paras.push(line);
    }
}

/// Whether text `a` ends and text `b` starts in a letter or digit: put together, they would
/// make one longer number or word.
fn runs_on(a: &str, b: &str) -> bool {
    a.ends_with(|c: char| c.is_ascii_alphanumeric())
        && b.starts_with(|c: char| c.is_ascii_alphanumeric())
}

/// Whether a paragraph's text is a secret level and nothing else (spaces around it aside).
fn level_alone(text: &str) -> bool {
    matches!(text.trim(), "绝密" | "机密" | "秘密")
}

/// OpenDocument elements whose text content is shown text of the paragraph they are in: the
/// paragraph itself, spans, links, ruby bases and the fields a word processor fills in.
const ODF_INLINE: &[&str] = &[
    "p",
    "h",
    "span",
    "a",
    "ruby-base",
    "meta",
    "date",
    "time",
    "sequence",
    "author-name",
    "sender-name",
    "variable-get",
    "user-field-get",
    "user-defined",
    "text-input",
    "variable-set",
    "placeholder",
    "hidden-text",
    "conditional-text",
    "expression",
    // (Not `creator`: a comment's `dc:creator` has that local name, and its author is no
    // text of the paragraph the comment is anchored in.)
    "initial-creator",
    "title",
    "subject",
    "description",
    "keywords",
    "sender-firstname",
    "sender-lastname",
    "sender-initials",
    "sender-title",
    "sender-position",
    "sender-email",
    "sender-phone-private",
    "sender-phone-work",
    "sender-street",
    "sender-city",
    "sender-postal-code",
    "sender-company",
    "bookmark-ref",
    "reference-ref",
    "sequence-ref",
];

/// Run content that shows nothing between the texts around it: field boundaries and codes
/// (a field's result is text beside its neighbours), rendering hints, optional hyphens, empty
/// text elements, empty run properties.
const INVISIBLE: &[&str] = &[
    "rPr",
    "t",
    "delText",
    "fldChar",
    "instrText",
    "delInstrText",
    "lastRenderedPageBreak",
    "softHyphen",
    "annotationRef",
];

/// The text of a text element's content: entities decoded, CDATA sections taken as they are.
/// `None` for other markup inside it (not what a word processor writes).
fn xml_text(raw: &str) -> Option<String> {
    if !raw.contains('<') {
        return Some(unescape(raw));
    }
    let mut out = String::new();
    let mut rest = raw;
    while let Some(at) = rest.find('<') {
        out.push_str(&unescape(&rest[..at]));
        let cdata = rest[at..].strip_prefix("<![CDATA[")?;
        let end = cdata.find("]]>")?;
        out.push_str(&cdata[..end]);
        rest = &cdata[end + 3..];
    }
    out.push_str(&unescape(rest));
    Some(out)
}

/// A small number attribute (`gridSpan="2"`, `w:val="3"`), by local name; spans are capped
/// so a forged one cannot push columns past any heading.
fn attr(attrs: &str, local: &str) -> Option<usize> {
    attr_str(attrs, local)
        .and_then(|v| v.parse::<usize>().ok())
        .map(|n| n.clamp(1, 64))
}

/// An attribute's value, by local name (`w:val`, `val`).
fn attr_str<'a>(attrs: &'a str, local: &str) -> Option<&'a str> {
    super::xlsx::attributes(attrs)
        .into_iter()
        .find(|(k, _)| k.rsplit(':').next() == Some(local))
        .map(|(_, v)| v)
}

impl Doc {
    pub(super) fn new(positioned: bool) -> Self {
        Doc {
            pieces: Vec::new(),
            paras: Vec::new(),
            body: Vec::new(),
            revised: Vec::new(),
            furniture: Vec::new(),
            tables: Vec::new(),
            positioned,
        }
    }

    /// The items of a unit: its paragraph as it now reads (deleted text left out), or as it
    /// read before; a cell's paragraphs are joined by line breaks.
    fn items(&self, unit: Unit) -> Vec<Item> {
        let now = |item: &&Item| !matches!(item, Item::Piece(k) if self.pieces[*k].deleted);
        match unit {
            Unit::Para(p) => self.paras[p].iter().filter(now).copied().collect(),
            Unit::Piece(k) => vec![Item::Piece(k)],
            Unit::Before(p) => self.paras[p]
                .iter()
                .filter(|item| !matches!(item, Item::Piece(k) if self.pieces[*k].inserted))
                .copied()
                .collect(),
            Unit::Cell { table, row, cell } => {
                let mut out = Vec::new();
                for (n, p) in self.tables[table].rows[row][cell].paras.iter().enumerate() {
                    if n > 0 {
                        out.push(Item::Sep('\n'));
                    }
                    out.extend(self.paras[*p].iter().filter(now).copied());
                }
                out
            }
        }
    }

    /// The text as read, paragraph by paragraph: what the PDF tests assert on.
    #[cfg(test)]
    pub(super) fn debug_text(&self) -> String {
        self.paras
            .iter()
            .map(|p| self.text(p))
            .collect::<Vec<_>>()
            .join("\n----\n")
    }

    /// For a page read by [`lay_out`]: the rows that open the page before any table heading
    /// of its own are read under `carried`, the heading of the table the page before ended
    /// in (a table continued across a page break, its heading not repeated), when they have
    /// as many cells. Returns the heading the next page's rows are read under: the page's
    /// last, else the one it carried on.
    pub(super) fn carry_heading(
        &mut self,
        is_heading: impl Fn(&[&str]) -> bool,
        carried: Option<String>,
    ) -> Option<String> {
        let &p = self.body.first()?;
        let items = &self.paras[p];
        let mut lines: Vec<Range<usize>> = Vec::new();
        let mut from = 0;
        for (i, item) in items.iter().enumerate() {
            if matches!(item, Item::Sep('\n')) {
                lines.push(from..i);
                from = i + 1;
            }
        }
        lines.push(from..items.len());
        let mut last = None;
        let mut insert = None;
        let mut rows = false;
        for line in lines {
            let text = self.text(&items[line.clone()]);
            let cells: Vec<&str> = text.split('\t').collect();
            if is_heading(&cells) {
                last = Some(text.clone());
                rows = true;
            } else if cells.len() >= 2 && !rows {
                rows = true;
                if carried
                    .as_deref()
                    .is_some_and(|h| h.split('\t').count() == cells.len())
                {
                    insert = Some(line.start);
                }
            }
        }
        if let (Some(at), Some(heading)) = (insert, carried.as_deref()) {
            // The heading is text of the reading only (separators), never written back.
            let heading: Vec<Item> = heading
                .chars()
                .map(Item::Sep)
                .chain([Item::Sep('\n')])
                .collect();
            self.paras[p].splice(at..at, heading);
            return last.or(carried);
        }
        last
    }

    /// The text of text element `k`.
    pub(super) fn piece_text(&self, k: usize) -> &str {
        &self.pieces[k].text
    }

    fn text(&self, items: &[Item]) -> String {
        let mut t = String::new();
        for item in items {
            match *item {
                Item::Piece(k) => t.push_str(&self.pieces[k].text),
                Item::Sep(c) => t.push(c),
            }
        }
        t
    }

    /// Adds a text element of paragraph `para` (its tracked-change state: deleted,
    /// inserted); returns its index.
    pub(super) fn add_piece(
        &mut self,
        para: usize,
        content: Range<usize>,
        text: String,
        (deleted, inserted): (bool, bool),
    ) -> usize {
        self.pieces.push(Piece {
            content,
            text,
            deleted,
            inserted,
            para,
        });
        self.pieces.len() - 1
    }

    /// Text elements that are part of a longer number or word in their paragraph: a letter or
    /// digit at their edge runs on into the next or the one before with nothing between
    /// (`43` + `01041952091` + `0` + `6861`, one number cut into four). Read alone, such a
    /// piece is a fragment, and a fragment can pass for something the whole is not (the
    /// landline `01041952091` inside an 18-digit number).
    fn glued(&self) -> Vec<bool> {
        let mut glued = vec![false; self.pieces.len()];
        for items in &self.paras {
            for pair in items.windows(2) {
                if let [Item::Piece(a), Item::Piece(b)] = *pair {
                    if runs_on(&self.pieces[a].text, &self.pieces[b].text) {
                        glued[a] = true;
                        glued[b] = true;
                    }
                }
            }
        }
        glued
    }

    /// The bytes of the part a unit's text spans (first to last text element).
    /// (An OFD line lists its text elements by position, not in the part's order.)
    fn span(&self, items: &[Item]) -> Option<Range<usize>> {
        let mut pieces = items.iter().filter_map(|i| match i {
            Item::Piece(k) => Some(&self.pieces[*k].content),
            Item::Sep(_) => None,
        });
        let first = pieces.next()?.clone();
        Some(pieces.fold(first, |a, b| a.start.min(b.start)..a.end.max(b.end)))
    }

    /// The changed stretches of a unit's text. In place (`positioned`), two stretches with at
    /// most three characters kept between them are one: a label that shares a character
    /// with what it replaces (`机密★` → `【密级标识】` keeps `密`) masks it all.
    fn stretches(&self, o: &[char], n: &[char]) -> Vec<(usize, usize, Vec<char>)> {
        let mut out = changed_stretches(o, n);
        if self.positioned {
            let mut merged: Vec<(usize, usize, Vec<char>)> = Vec::with_capacity(out.len());
            for (a, b, repl) in out {
                match merged.last_mut() {
                    Some(last) if a.saturating_sub(last.1) <= 3 => {
                        last.1 = b;
                        last.2.extend(repl);
                    }
                    _ => merged.push((a, b, repl)),
                }
            }
            out = merged;
        }
        out
    }

    /// The new text of each text element of `items` whose text changes when the unit's text
    /// `old` becomes `new`. A change that cannot be placed without moving text between a
    /// tracked change and the text around it is not moved: the characters it changed are
    /// masked where they stand.
    fn distribute(&self, items: &[Item], old: &str, new: &str) -> Vec<(usize, String)> {
        let (o, n): (Vec<char>, Vec<char>) = (old.chars().collect(), new.chars().collect());
        // Each text element's character range in the unit's text.
        let mut ranges = Vec::new();
        let mut at = 0;
        for item in items {
            match *item {
                Item::Piece(k) => {
                    let len = self.pieces[k].text.chars().count();
                    ranges.push((k, at..at + len));
                    at += len;
                }
                Item::Sep(_) => at += 1,
            }
        }
        let mut out = Vec::new();
        let mut put = |k: usize, t: String| {
            if t != self.pieces[k].text {
                out.push((k, t));
            }
        };
        if o.len() == n.len() {
            // Same length: every element keeps its characters' places (and its formatting).
            for (k, r) in ranges {
                put(k, n[r].iter().collect());
            }
            return out;
        }
        // Another length (a `label` or `token` redaction): the changed stretches are found
        // by aligning the two texts (their longest common subsequence, so the text between
        // two redactions is no stretch of its own), and each goes into the first element it
        // touches; a stretch across a tracked change's edge is masked where it stands.
        // What each old character becomes, and text to write before old character i (with
        // the element that writes it).
        #[derive(Clone, Copy, PartialEq)]
        enum Op {
            Keep,
            Drop,
            Mask,
        }
        let mut plan = vec![Op::Keep; o.len()];
        let mut inserts: std::collections::BTreeMap<usize, (usize, Vec<char>)> =
            std::collections::BTreeMap::new();
        let state = |k: usize| (self.pieces[k].deleted, self.pieces[k].inserted);
        let piece_at = |i: usize| ranges.iter().find(|(_, r)| r.contains(&i)).map(|(k, _)| *k);
        for (a, b, repl) in self.stretches(&o, &n) {
            let touched: Vec<usize> = ranges
                .iter()
                .filter(|(_, r)| r.start < b && r.end > a)
                .map(|(k, _)| *k)
                .collect();
            if a == b && !self.positioned {
                // Only an insertion: after the character before it, else before the next.
                let host = a.checked_sub(1).and_then(piece_at).or_else(|| piece_at(a));
                if let Some(k) = host {
                    inserts.insert(a, (k, repl));
                }
                continue;
            }
            let movable = !self.positioned
                && touched
                    .first()
                    .is_some_and(|f| touched.iter().all(|k| state(*k) == state(*f)));
            for op in &mut plan[a..b] {
                *op = if movable { Op::Drop } else { Op::Mask };
            }
            if let (true, Some(&host)) = (movable, touched.first()) {
                inserts.insert(a, (host, repl));
            }
        }
        for (k, r) in &ranges {
            let mut t = String::new();
            for i in r.clone() {
                if let Some((host, ins)) = inserts.get(&i) {
                    if host == k {
                        t.extend(ins.iter());
                    }
                }
                match plan[i] {
                    Op::Keep => t.push(o[i]),
                    Op::Drop => {}
                    Op::Mask => t.push('*'),
                }
            }
            if let Some((host, ins)) = inserts.get(&r.end) {
                if host == k {
                    t.extend(ins.iter());
                }
            }
            put(*k, t);
        }
        out
    }
}

/// The stretches where `n` differs from `o`: (start, end in `o`, what `n` has there), from
/// the two texts' longest common subsequence; past a size, one stretch between their common
/// prefix and suffix.
fn changed_stretches(o: &[char], n: &[char]) -> Vec<(usize, usize, Vec<char>)> {
    let (pre, sfx) = common_ends(o, n);
    let (oc, nc) = (&o[pre..o.len() - sfx], &n[pre..n.len() - sfx]);
    if oc.len().saturating_mul(nc.len()) > 4_000_000 {
        return vec![(pre, o.len() - sfx, nc.to_vec())];
    }
    // l[i][j]: the common subsequence of oc[i..] and nc[j..].
    let w = nc.len() + 1;
    let mut l = vec![0u32; (oc.len() + 1) * w];
    for i in (0..oc.len()).rev() {
        for j in (0..nc.len()).rev() {
            l[i * w + j] = if oc[i] == nc[j] {
                l[(i + 1) * w + j + 1] + 1
            } else {
                l[(i + 1) * w + j].max(l[i * w + j + 1])
            };
        }
    }
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    let (mut from_i, mut from_j) = (0, 0);
    while i < oc.len() && j < nc.len() {
        if oc[i] == nc[j] {
            if (from_i, from_j) != (i, j) {
                out.push((pre + from_i, pre + i, nc[from_j..j].to_vec()));
            }
            i += 1;
            j += 1;
            (from_i, from_j) = (i, j);
        } else if l[(i + 1) * w + j] >= l[i * w + j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    if (from_i, from_j) != (oc.len(), nc.len()) {
        out.push((pre + from_i, pre + oc.len(), nc[from_j..].to_vec()));
    }
    out
}

/// The lengths of the common prefix of `o` and `n` and of their common suffix after it.
fn common_ends(o: &[char], n: &[char]) -> (usize, usize) {
    let pre = o.iter().zip(n).take_while(|(a, b)| a == b).count();
    let max_s = o.len().min(n.len()) - pre;
    let sfx = o
        .iter()
        .rev()
        .zip(n.iter().rev())
        .take(max_s)
        .take_while(|(a, b)| a == b)
        .count();
    (pre, sfx)
}

/// Two redactions of one text combined so that neither loses what it changed: character by
/// character where both keep its length; else the one that changed the longer stretch is
/// taken, and what the other changed outside that stretch is masked there too.
fn merge(old: &str, a: String, b: String) -> String {
    let o: Vec<char> = old.chars().collect();
    let (x, y): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if x.len() == o.len() && y.len() == o.len() {
        return stronger(old, a, b);
    }
    // The changed stretch of a redaction: between its common prefix and suffix with the
    // original.
    let stretch = |v: &[char]| {
        let (p, s) = common_ends(&o, v);
        p..o.len() - s
    };
    let (sx, sy) = (stretch(&x), stretch(&y));
    let ((mut base, sb), (other, so)) =
        if x.len() != o.len() && (y.len() == o.len() || sx.len() >= sy.len()) {
            ((x, sx), (y, sy))
        } else {
            ((y, sy), (x, sx))
        };
    let same_len = other.len() == o.len();
    for i in so {
        if same_len && other[i] == o[i] {
            continue;
        }
        let mark = if same_len { other[i] } else { '*' };
        if i < sb.start {
            base[i] = mark;
        } else if i >= sb.end {
            let j = base.len() - (o.len() - i);
            base[j] = mark;
        }
    }
    base.into_iter().collect()
}

/// Whether a cell's text may serve as a key: a heading is copied into every record below it
/// and a left neighbour once, so only a short one (a column name may hold digits:
/// `姓名（12345批次）`).
fn key_like(t: &str) -> bool {
    t.chars().count() <= 32
}

/// Scans one part. `None` when it cannot be read as paragraphs (the caller scans it as XML).
pub(super) fn scan(
    engine: &Arc<Engine>,
    opts: &ScanOptions,
    name: &str,
    part: &[u8],
    package: Package,
) -> Option<Scanned> {
    let s = std::str::from_utf8(part).ok()?;
    let d = match package {
        Package::Ofd => read_ofd(s)?,
        _ => read(s, name.starts_with("ppt/"), package == Package::Odf)?,
    };
    let Reading {
        mut findings,
        new: piece_new,
    } = read_units(engine, opts, &d)?;
    // The rest of the markup, with the run texts blanked out.
    let mut blanked = part.to_vec();
    for r in d.pieces.iter().map(|p| &p.content).chain(&d.furniture) {
        blanked[r.clone()].fill(b' ');
    }
    let xml = super::as_format(opts, Format::Xml);
    let (found, markup_edits) = engine.scan_edits_at_depth(&blanked, xml, 1);
    findings.extend(found);
    if !opts.redact || (piece_new.is_empty() && markup_edits.is_empty()) {
        return Some(Scanned {
            findings,
            output: None,
        });
    }
    let mut edits: Vec<(Range<usize>, String)> = piece_new
        .into_iter()
        .map(|(k, t)| (d.pieces[k].content.clone(), escape(&t)))
        .collect();
    for (start, end, bytes) in markup_edits {
        edits.push((start as usize..end as usize, String::from_utf8(bytes).ok()?));
    }
    if package == Package::Odf {
        edits = numbers_become_strings(s, edits);
    }
    let output = splice(part, edits)?;
    Some(Scanned {
        findings,
        output: (output != part).then_some(output),
    })
}

/// What reading a document's units gave: findings, with the offsets of the part (each unit's
/// first to last text element), and, when redaction changed them, the new text of the text
/// elements.
pub(super) struct Reading {
    pub findings: Vec<Finding>,
    pub new: std::collections::BTreeMap<usize, String>,
}

/// Reads a document's units (paragraphs, text elements alone, table cells) as one JSON view
/// and maps what the engine found and changed back to the text elements. `None` when the
/// redacted view cannot be read back.
pub(super) fn read_units(engine: &Arc<Engine>, opts: &ScanOptions, d: &Doc) -> Option<Reading> {
    // The view: paragraphs outside tables as bare strings, then each table twice, as records
    // keyed by its heading and as records keyed by each cell's left neighbour.
    let mut view = String::from("[");
    // (JSON span of a value literal, the unit's index in `texts`), in view order.
    let mut slots: Vec<(Range<usize>, usize)> = Vec::new();
    let mut texts: Vec<(Vec<Item>, String)> = Vec::new();
    // The unit of each entry of `texts`, and the entry that reads each paragraph as it now
    // reads (a paragraph read before its tracked deletions reports what that entry does not).
    let mut unit_of: Vec<Unit> = Vec::new();
    let mut now_of: Vec<Option<usize>> = vec![None; d.paras.len()];
    let glued = d.glued();
    let units = d
        .body
        .iter()
        .map(|&p| Unit::Para(p))
        .chain(d.revised.iter().map(|&p| Unit::Before(p)))
        .chain((0..d.pieces.len()).filter(|&k| !glued[k]).map(Unit::Piece));
    for unit in units {
        let items = d.items(unit);
        let text = d.text(&items);
        if text.trim().is_empty() {
            continue;
        }
        if let Unit::Para(p) = unit {
            now_of[p] = Some(texts.len());
        }
        let at = view.len();
        push_json_str(&mut view, &text);
        slots.push((at..view.len(), texts.len()));
        view.push(',');
        // A paragraph that is a classification level alone (`机密`, in a header or
        // at the top of the first page, as GB/T 9704 prints it) is the document's marking,
        // as a 密级 field's value is: it is read under that name too.
        if matches!(unit, Unit::Para(_)) && level_alone(&text) {
            view.push_str("{\"密级\":");
            let at = view.len();
            push_json_str(&mut view, &text);
            slots.push((at..view.len(), texts.len()));
            view.push_str("},");
        }
        texts.push((items, text));
        unit_of.push(unit);
    }
    for (t, table) in d.tables.iter().enumerate() {
        // (first column, text, index in `texts`) per cell, by row.
        let mut rows: Vec<Vec<(usize, String, usize)>> = Vec::new();
        for (r, row) in table.rows.iter().enumerate() {
            let mut cells = Vec::new();
            for (c, cell) in row.iter().enumerate() {
                let unit = Unit::Cell {
                    table: t,
                    row: r,
                    cell: c,
                };
                let items = d.items(unit);
                let text = d.text(&items);
                for &p in &cell.paras {
                    now_of[p] = Some(texts.len());
                }
                cells.push((cell.col, text.clone(), texts.len()));
                texts.push((items, text));
                unit_of.push(unit);
            }
            rows.push(cells);
        }
        // Heading rows: the most name-like of the first rows (as in a workbook), and
        // anywhere below, a name-like row with two cells that are field names some rule
        // listens to (a form's second table: `与申请人关系 | 姓名 | 身份证号`). A row is read
        // under the nearest heading above it. A label cell (`性别`) is no value: it gets no
        // key of its own in this view.
        let single = table.rows.iter().all(|row| row.len() <= 1);
        let labels: Vec<Vec<bool>> = rows
            .iter()
            .map(|cells| {
                cells
                    .iter()
                    .map(|(_, t, _)| {
                        let t = t.trim();
                        name_like(t) && t.chars().count() <= 16 && engine.listens_to(t)
                    })
                    .collect()
            })
            .collect();
        let names_in = |cells: &[(usize, String, usize)]| {
            cells.iter().filter(|(_, t, _)| name_like(t.trim())).count()
        };
        let counts: Vec<(usize, usize, usize)> = rows
            .iter()
            .take(HEADING_ROWS)
            .enumerate()
            // An empty cell (a blank column, the columns a merged heading covers) is no
            // cell the heading must name.
            .map(|(r, cells)| {
                let filled = cells.iter().filter(|(_, t, _)| !t.trim().is_empty());
                (r, names_in(cells), filled.count())
            })
            .collect();
        let first = best_heading(&counts, single);
        let is_heading = |r: usize| {
            let fields = labels[r].iter().filter(|l| **l).count();
            Some(r) == first
                || (fields >= if single { 1 } else { 2 }
                    && names_in(&rows[r]) * 4 >= rows[r].len() * 3)
        };
        for by_heading in [true, false] {
            let mut names: Vec<&str> = Vec::new();
            for (r, cells) in rows.iter().enumerate() {
                if cells.is_empty() {
                    continue;
                }
                view.push('{');
                for (c, (col, text, ix)) in cells.iter().enumerate() {
                    if c > 0 {
                        view.push(',');
                    }
                    let key = if by_heading {
                        if labels[r][c] {
                            ""
                        } else {
                            names.get(*col).copied().unwrap_or("")
                        }
                    } else if c > 0 && key_like(cells[c - 1].1.trim()) {
                        // Only a short cell is a key (one of a million characters to the
                        // left is no field name, and would be copied into the view).
                        cells[c - 1].1.trim()
                    } else {
                        ""
                    };
                    push_json_str(&mut view, key);
                    view.push(':');
                    let at = view.len();
                    push_json_str(&mut view, text);
                    slots.push((at..view.len(), *ix));
                }
                view.push_str("},");
                if by_heading && is_heading(r) {
                    names.clear();
                    for (col, text, _) in cells.iter().filter(|(col, _, _)| *col <= 16_384) {
                        if *col >= names.len() {
                            names.resize(col + 1, "");
                        }
                        // Repeated for every row below: only a short cell is a key.
                        if key_like(text.trim()) {
                            names[*col] = text.trim();
                        }
                    }
                }
            }
        }
    }
    if view.ends_with(',') {
        view.pop();
    }
    view.push(']');

    let r = engine.scan_bytes(view.as_bytes(), super::as_format(opts, Format::Json));
    // A finding's offsets become those of its unit's text in the part; a cell read in both
    // views and found in both is reported once.
    let mut findings: Vec<Finding> = Vec::with_capacity(r.findings.len());
    // Each unit's span in the part, once (a page of many elements has many findings).
    let spans: Vec<Option<Range<usize>>> = texts.iter().map(|(items, _)| d.span(items)).collect();
    let mut seen = std::collections::HashMap::new();
    let mut occurrences = std::collections::HashMap::new();
    for mut f in r.findings {
        let i = slots.partition_point(|(span, _)| span.end <= f.start as usize);
        // Keys are copies of other cells (a heading, a left neighbour), whose own slots
        // report what they hold.
        let Some(&(_, ix)) = slots
            .get(i)
            .filter(|(span, _)| span.start <= f.start as usize)
        else {
            continue;
        };
        let Some(span) = spans[ix].clone() else {
            continue;
        };
        f.start = span.start as u64;
        f.end = span.end as u64;
        // Found in both views: the one whose field context made it surer is kept (a form's
        // `联系电话` beside the number rather than a bogus heading above it).
        let group = match unit_of[ix] {
            Unit::Before(p) => now_of[p].unwrap_or(ix),
            Unit::Piece(k) => now_of[d.pieces[k].para].unwrap_or(ix),
            _ => ix,
        };
        // The same value twice in one text is two findings: the n-th of one view matches
        // the n-th of the other.
        let nth = occurrences
            .entry((i, f.rule_index, f.fingerprint))
            .or_insert(0usize);
        *nth += 1;
        match seen.entry((group, f.rule_index, f.fingerprint, *nth)) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(findings.len());
                findings.push(f);
            }
            std::collections::hash_map::Entry::Occupied(o) => {
                let had = &mut findings[*o.get()];
                if f.confidence > had.confidence {
                    *had = f;
                }
            }
        }
    }
    let mut piece_new: std::collections::BTreeMap<usize, String> = Default::default();
    if !opts.redact || r.output == view.as_bytes() {
        return Some(Reading {
            findings,
            new: piece_new,
        });
    }
    let values = value_literals(&r.output, slots.len())?;
    // New text per unit (a cell read twice takes the stronger of its two redactions).
    let mut new: Vec<Option<String>> = vec![None; texts.len()];
    for (&(_, ix), value) in slots.iter().zip(values) {
        let old = &texts[ix].1;
        if value == *old {
            continue;
        }
        new[ix] = Some(match new[ix].take() {
            Some(had) => merge(old, had, value),
            None => value,
        });
    }
    // New text per text element: one read in two units (a paragraph now and before its
    // tracked changes) takes the stronger of their redactions.
    for ((items, old), text) in texts.iter().zip(&new) {
        let Some(text) = text else { continue };
        for (k, t) in d.distribute(items, old, text) {
            let merged = match piece_new.remove(&k) {
                Some(had) => merge(&d.pieces[k].text, had, t),
                None => t,
            };
            piece_new.insert(k, merged);
        }
    }
    Some(Reading {
        findings,
        new: piece_new,
    })
}

/// OpenDocument spreadsheet cells whose number (`office:value="17231791976"`, beside the
/// shown `<text:p>`) or shown text a redaction changed: a masked number is no number, and a
/// reader shows a number cell's `office:value`, not its text, so the cell becomes a string
/// cell (`office:value-type="string"`, and `calcext:value-type` with it) without its
/// `office:value`. The shown text carries the mask, as an xlsx cell does when it becomes an
/// inline string. Edits are searched, not scanned, per cell (a sheet has many).
fn numbers_become_strings(
    s: &str,
    mut edits: Vec<(Range<usize>, String)>,
) -> Vec<(Range<usize>, String)> {
    if edits.is_empty() {
        return edits;
    }
    // Edits never overlap (`splice` refuses them), so sorted by start they are by end too.
    edits.sort_by_key(|(r, _)| (r.start, r.end));
    let touched = |r: &Range<usize>| {
        let i = edits.partition_point(|(e, _)| e.end <= r.start);
        edits.get(i).is_some_and(|(e, _)| e.start < r.end)
    };
    let at = |v: &str| v.as_ptr() as usize - s.as_ptr() as usize;
    // Per cell with a number: its `office:value` range, the attribute's range with the space
    // before it, and its value types' ranges.
    type Number = (Range<usize>, Range<usize>, Vec<Range<usize>>);
    let number = |attrs: &str| -> Option<Number> {
        let attrs = super::xlsx::attributes(attrs);
        let local = |k: &str| k.rsplit(':').next().unwrap_or(k).to_string();
        let (key, value) = attrs.iter().find(|(k, _)| local(k) == "value")?;
        let value_range = at(value)..at(value) + value.len();
        let start = s[..at(key)].trim_end().len();
        let kinds = attrs
            .iter()
            .filter(|(k, _)| local(k) == "value-type")
            .map(|(_, v)| at(v)..at(v) + v.len())
            .collect();
        Some((value_range.clone(), start..value_range.end + 1, kinds))
    };
    let mut converted: Vec<Number> = Vec::new();
    let mut open: Vec<(Option<Number>, usize)> = Vec::new();
    for tag in tags(s).filter(|t| matches!(t.local, "table-cell" | "covered-table-cell")) {
        if tag.closing {
            if let Some((Some(n), from)) = open.pop() {
                if touched(&n.0) || touched(&(from..tag.span.start)) {
                    converted.push(n);
                }
            }
        } else if tag.empty {
            if let Some(n) = number(tag.attrs).filter(|n| touched(&n.0)) {
                converted.push(n);
            }
        } else {
            open.push((number(tag.attrs), tag.span.end));
        }
    }
    if converted.is_empty() {
        return edits;
    }
    converted.sort_by_key(|n| n.0.start);
    let inside = |r: &Range<usize>| {
        let i = converted.partition_point(|n| n.0.end < r.end);
        converted
            .get(i)
            .is_some_and(|n| n.0.start <= r.start && r.end <= n.0.end)
    };
    edits.retain(|(r, _)| !inside(r));
    for (_, attr, kinds) in converted {
        edits.push((attr, String::new()));
        edits.extend(kinds.into_iter().map(|k| (k, "string".to_string())));
    }
    edits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> Arc<Engine> {
        Arc::new(Engine::builder().builtin().build().unwrap())
    }

    fn redact(part: &str) -> (Vec<Finding>, String) {
        redact_as("word/document.xml", part)
    }

    fn redact_as(name: &str, part: &str) -> (Vec<Finding>, String) {
        let opts = ScanOptions {
            redact: true,
            ..ScanOptions::default()
        };
        let package = if matches!(name, "content.xml" | "styles.xml") {
            Package::Odf
        } else if name.ends_with("/Content.xml") {
            Package::Ofd
        } else {
            Package::Ooxml
        };
        let r = scan(&engine(), &opts, name, part.as_bytes(), package).expect("read as paragraphs");
        let out = r
            .output
            .map_or(part.to_string(), |o| String::from_utf8(o).unwrap());
        (r.findings, out)
    }

    /// The rules that found something, each once, in order.
    fn rule_ids(found: &[Finding]) -> Vec<&str> {
        let mut rules: Vec<&str> = found.iter().map(|f| &*f.rule_id).collect();
        rules.sort_unstable();
        rules.dedup();
        rules
    }

    /// The texts of a part's `<w:t>` elements, in order.
    fn runs(part: &str) -> Vec<String> {
        let d = read(part, false, false).unwrap();
        d.pieces.into_iter().map(|p| p.text).collect()
    }

    fn p(runs: &[&str]) -> String {
        let mut s = String::from("<w:p><w:pPr><w:tabs><w:tab w:val=\"left\"/></w:tabs></w:pPr>");
        for r in runs {
            s.push_str(&format!("<w:r><w:rPr><w:b/></w:rPr><w:t>{r}</w:t></w:r>"));
        }
        s + "</w:p>"
    }

    fn doc(body: &str) -> String {
        format!(
            "<?xml version=\"1.0\"?><w:document xmlns:w=\"urn:w\"><w:body>{body}</w:body>\
             </w:document>"
        )
    }

    fn table(rows: &[&[&str]]) -> String {
        let mut s = String::from("<w:tbl><w:tblPr/>");
        for row in rows {
            s.push_str("<w:tr>");
            for cell in *row {
                s.push_str(&format!("<w:tc><w:tcPr/>{}</w:tc>", p(&[cell])));
            }
            s.push_str("</w:tr>");
        }
        s + "</w:tbl>"
    }

    #[test]
    fn values_split_across_runs_are_found_and_masked_in_their_runs() {
        let part = doc(&p(&[
            "申请人姓名：",
            "张",
            "伟明，身份证号：110101",
            "19900307",
            "1233，电话 138",
            "0013",
            "8000。",
        ]));
        let (found, out) = redact(&part);
        let rules: Vec<&str> = found.iter().map(|f| &*f.rule_id).collect();
        assert!(rules.contains(&"cn.person_name"), "{rules:?}");
        assert!(rules.contains(&"cn.resident_id.18"), "{rules:?}");
        assert!(rules.contains(&"cn.mobile"), "{rules:?}");
        // Each run keeps its place (and its formatting); only masked characters changed.
        assert_eq!(
            runs(&out),
            [
                "申请人姓名：",
                "张",
                "**，身份证号：110101",
                "********",
                "1233，电话 138",
                "****",
                "8000。"
            ]
        );
        // A finding spans the paragraph's text elements in the part.
        let f = &found[0];
        assert!(part[f.start as usize..f.end as usize].starts_with("申请人姓名："));
        assert!(part[f.start as usize..f.end as usize].ends_with("8000。"));
    }

    #[test]
    fn a_table_is_read_under_its_heading_and_a_form_beside_its_labels() {
        let part = doc(&format!(
            "{}{}",
            table(&[
                &["人员信息表"],
                &["序号", "姓名", "家庭住址"],
                &["1", "李小红", "北京市朝阳区建国路88号3栋2单元501室"],
            ]),
            table(&[
                &["姓名", "赵丽颖", "性别", "女"],
                &[
                    "联系电话",
                    "13912345678",
                    "户籍地址",
                    "河北省石家庄市长安区中山东路100号"
                ],
            ])
        ));
        let (found, out) = redact(&part);
        let mut rules: Vec<&str> = found.iter().map(|f| &*f.rule_id).collect();
        rules.sort_unstable();
        assert_eq!(
            rules,
            [
                "cn.address",
                "cn.address",
                "cn.mobile",
                "cn.person_name",
                "cn.person_name"
            ]
        );
        let runs = runs(&out);
        assert_eq!(runs[5], "李**");
        assert!(runs[6].starts_with("北京市朝阳区") && runs[6].ends_with('*'));
        assert_eq!(&runs[7..11], ["姓名", "赵**", "性别", "女"]);
        assert_eq!(runs[12], "139****5678");
        // Headings and labels, read as keys too, stay as they are.
        assert_eq!(&runs[..4], ["人员信息表", "序号", "姓名", "家庭住址"]);
    }

    #[test]
    fn a_table_inside_a_form_is_read_under_its_own_heading() {
        // A form (label, value, label, value) with a list of family members below, under a
        // heading row of its own; `母亲` is a label, not a name, in every view.
        let part = doc(&table(&[
            &["姓\u{3000}\u{3000}名", "王欢", "性\u{3000}\u{3000}别", "男"],
            &["出生日期", "1961年8月20日", "民\u{3000}\u{3000}族", "汉族"],
            &["家庭成员情况", "", "", ""],
            &["与申请人关系", "姓名", "身份证号", "联系电话"],
            &["母亲", "王春梅", "510107195209247446", "17610231912"],
            &["女儿", "贾伟", "110108198110075387", "13277491483"],
        ]));
        let (found, out) = redact(&part);
        let runs = runs(&out);
        assert_eq!(runs[1], "王*", "{found:?}");
        assert_eq!(&runs[16..18], ["母亲", "王**"]);
        assert_eq!(&runs[20..22], ["女儿", "贾*"]);
        for kept in ["男", "1961年8月20日", "汉族", "与申请人关系", "身份证号"] {
            assert!(runs.iter().any(|r| r == kept), "{kept}: {runs:?}");
        }
    }

    #[test]
    fn nested_tables_headers_and_entities() {
        let inner = table(&[&["姓名", "联系电话"], &["孙悟空", "13500135000"]]);
        let part = doc(&format!(
            "<w:tbl><w:tr><w:tc>{}{inner}</w:tc></w:tr></w:tbl>{}",
            p(&["附表"]),
            p(&["联系人：周", "杰伦 &amp; &lt;手机&gt;13800138000"])
        ));
        let (found, out) = redact(&part);
        assert_eq!(found.len(), 4, "{found:?}");
        let runs = runs(&out);
        assert_eq!(runs[3], "孙**");
        assert_eq!(runs[4], "135****5000");
        assert!(out.contains("&lt;手机&gt;138****8000"), "{out}");
    }

    #[test]
    fn run_content_between_texts_keeps_them_apart() {
        // A symbol, a non-breaking hyphen, a drawing, a note reference and a page field
        // after a positional tab: the numbers on either side stay two numbers.
        let part = doc("<w:p><w:r><w:t>13800138000</w:t><w:sym w:char=\"F0FC\"/>\
            <w:t>13900139000</w:t><w:noBreakHyphen/><w:t>13700137000</w:t></w:r>\
            <w:r><w:drawing><wp:inline><pic:cNvPr id=\"0\" name=\"13600136000.png\"/>\
            </wp:inline></w:drawing></w:r><w:r><w:t>13500135000</w:t></w:r>\
            <w:r><w:footnoteReference w:id=\"1\"/></w:r><w:r><w:t>2</w:t></w:r>\
            <w:r><w:ptab w:alignment=\"right\"/></w:r><w:r><w:fldChar w:fldCharType=\"begin\"/>\
            </w:r><w:r><w:instrText>PAGE</w:instrText></w:r><w:r><w:t>1</w:t></w:r></w:p>");
        let (found, out) = redact(&part);
        // Four numbers in the text, and the picture's name (a Word part's names are read).
        assert_eq!(found.len(), 5, "{found:?}");
        for masked in [
            "138****8000",
            "139****9000",
            "137****7000",
            "135****5000",
            "136****6000",
        ] {
            assert!(out.contains(masked), "{masked}: {out}");
        }
    }

    #[test]
    fn hidden_raised_and_field_runs() {
        // A hidden digit after a mobile, a superscript note mark after an ID, a legacy form
        // field around a name, a value glued to the next run's word, a literal tab in a run.
        let part = doc(
            "<w:p><w:r><w:t>电话13800138000</w:t></w:r><w:r><w:rPr><w:vanish/>\
            </w:rPr><w:t>9</w:t></w:r></w:p><w:p><w:r><w:t>110101199003071233</w:t></w:r><w:r>\
            <w:rPr><w:vertAlign w:val=\"superscript\"/></w:rPr><w:t>1</w:t></w:r></w:p><w:p><w:r>\
            <w:t>姓名：</w:t></w:r><w:r><w:fldChar w:fldCharType=\"begin\"><w:ffData><w:name \
            w:val=\"Text1\"/><w:textInput/></w:ffData></w:fldChar></w:r><w:r><w:instrText> \
            FORMTEXT </w:instrText></w:r><w:r><w:fldChar w:fldCharType=\"separate\"/></w:r><w:r>\
            <w:t>张伟</w:t></w:r><w:r><w:fldChar w:fldCharType=\"end\"/></w:r></w:p><w:p><w:r>\
            <w:t>联系人：王芳</w:t></w:r><w:r><w:t>机密</w:t></w:r></w:p><w:p><w:r>\
            <w:t>序号\t手机 13900139000</w:t></w:r></w:p>",
        );
        let (found, out) = redact(&part);
        let runs = runs(&out);
        assert_eq!(
            runs,
            [
                "电话138****8000",
                "9",
                "110101********1233",
                "1",
                "姓名：",
                "张*",
                "联系人：王*",
                "机密",
                "序号\t手机 139****9000"
            ],
            "{found:?}"
        );
    }

    #[test]
    fn two_readings_of_other_lengths_keep_both_changes() {
        // As it is: a name, a marking (a label of another length) and a mobile; as it was,
        // with a deleted label and digit, the mobile is no mobile: both redactions stand.
        let part = doc(
            "<w:p><w:del><w:r><w:delText>姓名：</w:delText></w:r></w:del><w:r>\
            <w:t>张伟，机密★，13800138000</w:t></w:r><w:del><w:r><w:delText>5</w:delText></w:r>\
            </w:del></w:p>",
        );
        let (_, out) = redact(&part);
        let runs = runs(&out);
        assert!(runs[1].ends_with("138****8000"), "{runs:?}");
        assert!(
            !runs[1].contains("张伟") && !runs[1].contains("机密★"),
            "{runs:?}"
        );
    }

    #[test]
    fn cdata_and_a_value_twice_in_one_text() {
        let part = doc(
            "<w:p><w:r><w:t><![CDATA[电话 13800138000 a<b]]></w:t></w:r></w:p>\
            <w:p><w:r><w:t>13900139000 或 13900139000</w:t></w:r></w:p>",
        );
        let (found, out) = redact(&part);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(out.contains("<w:t>电话 138****8000 a&lt;b</w:t>"), "{out}");
        assert!(out.contains("139****9000 或 139****9000"), "{out}");
    }

    #[test]
    fn tracked_changes_are_read_as_they_are_and_as_they_were() {
        let part = doc("<w:p><w:r><w:t>姓名：</w:t></w:r><w:del><w:r>\
            <w:delText>张伟</w:delText></w:r></w:del><w:ins><w:r><w:t>李娜</w:t></w:r></w:ins></w:p>\
            <w:p><w:del><w:r><w:delText>1</w:delText></w:r></w:del><w:r><w:t>13800138000</w:t>\
            </w:r><w:del><w:r><w:delText>2</w:delText></w:r></w:del></w:p>");
        let (found, out) = redact(&part);
        assert_eq!(
            runs(&out),
            ["姓名：", "张*", "李*", "1", "138****8000", "2"]
        );
        // The mobile, found in the paragraph as it is and as it was, is one finding.
        let mobiles = found.iter().filter(|f| &*f.rule_id == "cn.mobile").count();
        assert_eq!(mobiles, 1, "{found:?}");
        // Redactions of another length in a deletion beside live text
        // (`【密级标识】1138****80002【密级标识】` as the paragraph was): each change stays in
        // the text element it changed.
        let part = doc(
            "<w:p><w:del><w:r><w:delText>机密★1</w:delText></w:r></w:del>\
            <w:r><w:t>13800138000</w:t></w:r><w:del><w:r><w:delText>2机密★</w:delText></w:r>\
            </w:del></w:p>",
        );
        let (_, out) = redact(&part);
        assert_eq!(
            runs(&out),
            ["【密级标识】1", "138****8000", "2【密级标识】"]
        );
        // One that spans a deletion's edge cannot be placed without moving text into it or
        // out of it: the characters it changed are masked where they stand.
        let part = doc(
            "<w:p><w:r><w:t>密级：机</w:t></w:r><w:del><w:r><w:delText>密★</w:delText>\
            </w:r></w:del><w:r><w:t>正文</w:t></w:r></w:p>",
        );
        let (_, out) = redact(&part);
        let runs = runs(&out);
        // (`密级：【` and `密级标识】★` now the level field's value alone is replaced: no word
        // of the marking is left whole, the label's own characters aside.)
        assert!(
            !runs[0].contains('机') && !runs[1].replace("密级标识", "").contains('密'),
            "{runs:?}"
        );
        assert_eq!(runs[2], "正文");
    }

    #[test]
    fn a_redaction_of_another_length_goes_into_the_first_run_it_touches() {
        let part = doc(&p(&["号码：110101", "199003071233", " 结束"]));
        let d = read(&part, false, false).unwrap();
        let items = d.items(Unit::Para(0));
        let old = d.text(&items);
        let new = old.replace("110101199003071233", "tok_ABCDEF");
        let edits = d.distribute(&items, &old, &new);
        assert_eq!(
            edits,
            [(0, "号码：tok_ABCDEF".to_string()), (1, String::new())]
        );
        // A longer one too, starting at a run's first character.
        let new = old.replace("199003071233", "<redacted value>");
        let edits = d.distribute(&items, &old, &new);
        assert_eq!(edits, [(1, "<redacted value>".to_string())]);
    }

    #[test]
    fn clean_parts_are_left_alone_and_broken_ones_refused() {
        let part = doc(&format!(
            "{}{}",
            p(&["京政发〔2024〕12号", "，金额 12345678901 元"]),
            table(&[&["性别", "民族"], &["男", "汉族"]])
        ));
        let (found, out) = redact(&part);
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(out, part);
        let opts = ScanOptions::default();
        for broken in [
            "<w:p><w:r><w:t>x</w:t></w:r>",
            "<w:tbl><w:tc></w:tc></w:tbl>",
            "</w:p>",
            "<w:p><w:t>open",
        ] {
            assert!(
                scan(
                    &engine(),
                    &opts,
                    "word/document.xml",
                    broken.as_bytes(),
                    Package::Ooxml
                )
                .is_none(),
                "{broken}"
            );
        }
        // Text a reader never sees as a paragraph is left to the markup scan.
        let stray = "<w:hdr><w:t>身份证号：110101199003071233</w:t></w:hdr>";
        let r = scan(
            &engine(),
            &opts,
            "word/header1.xml",
            stray.as_bytes(),
            Package::Ooxml,
        )
        .unwrap();
        assert_eq!(r.findings.len(), 1);
    }

    #[test]
    fn slides_are_read_like_documents() {
        let slide = "<p:sld xmlns:a=\"urn:a\" xmlns:p=\"urn:p\"><p:cSld><p:spTree><p:sp>\
            <p:nvSpPr><p:cNvPr id=\"2\" name=\"Title Slide\"/></p:nvSpPr>\
            <p:txBody><a:p><a:r><a:t>手机：139</a:t></a:r><a:r><a:rPr b=\"1\"/><a:t>12345678</a:t></a:r></a:p>\
            </p:txBody></p:sp><p:graphicFrame><a:tbl><a:tr><a:tc gridSpan=\"2\"><a:txBody>\
            <a:p><a:r><a:t>名单</a:t></a:r></a:p></a:txBody></a:tc><a:tc hMerge=\"1\"/></a:tr>\
            <a:tr><a:tc><a:txBody><a:p><a:r><a:t>姓名</a:t></a:r></a:p></a:txBody></a:tc>\
            <a:tc><a:txBody><a:p><a:r><a:t>住址</a:t></a:r></a:p></a:txBody></a:tc></a:tr>\
            <a:tr><a:tc><a:txBody><a:p><a:r><a:t>钱学森</a:t></a:r></a:p></a:txBody></a:tc>\
            <a:tc><a:txBody><a:p><a:r><a:t>上海市徐汇区华山路1954号</a:t></a:r></a:p>\
            </a:txBody></a:tc></a:tr></a:tbl></p:graphicFrame></p:spTree></p:cSld></p:sld>";
        assert!(is_paragraph_part("ppt/slides/slide1.xml", Package::Ooxml));
        let (found, out) = redact_as("ppt/slides/slide1.xml", slide);
        assert_eq!(found.len(), 3, "{found:?}");
        // A shape's name is the editor's label for it, not a person's name.
        assert!(out.contains("name=\"Title Slide\""));
        let runs = runs(&out);
        assert_eq!(&runs[..2], ["手机：139", "****5678"]);
        assert_eq!(runs[5], "钱**");
        assert!(runs[6].starts_with("上海市徐汇区") && runs[6].ends_with('*'));
    }

    #[test]
    fn word_rows_after_empty_grid_columns_and_merged_slide_cells_keep_their_columns() {
        // The second row starts one grid column in (`gridBefore`): its cell is under 姓名.
        let part = doc(&format!(
            "<w:tbl><w:tr>{}{}</w:tr><w:tr><w:trPr><w:gridBefore w:val=\"1\"/></w:trPr>\
             <w:tc>{}</w:tc></w:tr></w:tbl>",
            format_args!("<w:tc>{}</w:tc>", p(&["序号"])),
            format_args!("<w:tc>{}</w:tc>", p(&["姓名"])),
            p(&["王秀英"]),
        ));
        let (found, out) = redact(&part);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(runs(&out)[2], "王**");
        // A slide table whose heading row merges two cells (`gridSpan` then `hMerge`): the
        // cells below stay under their own headings.
        let cell = |t: &str| {
            format!("<a:tc><a:txBody><a:p><a:r><a:t>{t}</a:t></a:r></a:p></a:txBody></a:tc>")
        };
        let slide = format!(
            "<p:sld xmlns:a=\"urn:a\" xmlns:p=\"urn:p\"><p:cSld><p:spTree><p:graphicFrame><a:tbl>\
             <a:tr><a:tc gridSpan=\"2\"><a:txBody><a:p><a:r><a:t>人员</a:t></a:r></a:p></a:txBody></a:tc>\
             <a:tc hMerge=\"1\"/>{}</a:tr><a:tr>{}{}{}</a:tr><a:tr>{}{}{}</a:tr></a:tbl>\
             </p:graphicFrame></p:spTree></p:cSld></p:sld>",
            cell("备注"),
            cell("序号"),
            cell("代号"),
            cell("住址"),
            cell("1"),
            cell("ZH-01"),
            cell("上海市徐汇区华山路1954号"),
        );
        let (found, _) = redact_as("ppt/slides/slide1.xml", &slide);
        assert!(
            found.iter().any(|f| &*f.rule_id == "cn.address"),
            "{found:?}"
        );
    }

    #[test]
    fn opendocument_paragraphs_spans_and_tables_are_read_like_word_ones() {
        assert!(is_paragraph_part("content.xml", Package::Odf));
        assert!(!is_paragraph_part("meta.xml", Package::Odf));
        assert!(!is_paragraph_part("content.xml", Package::Ooxml));
        let content = "<?xml version=\"1.0\"?><office:document-content xmlns:office=\"urn:o\" \
            xmlns:text=\"urn:t\" xmlns:table=\"urn:tb\" xmlns:dc=\"urn:dc\"><office:body><office:text>\
            <text:h text:outline-level=\"1\">情况说明</text:h>\
            <text:p>住址：<text:span text:style-name=\"T1\">辽宁省沈阳市和平区中山路32</text:span>\
            <text:span text:style-name=\"T2\">3号</text:span></text:p>\
            <text:p><text:span>手机：139</text:span><text:s/><text:span>1234</text:span>5678</text:p>\
            <text:p>批注<office:annotation><dc:creator>审阅人</dc:creator><text:p>已核</text:p>\
            </office:annotation>完毕</text:p>\
            <table:table table:name=\"T\"><table:table-column table:number-columns-repeated=\"3\"/>\
            <table:table-row><table:table-cell><text:p>姓名</text:p></table:table-cell>\
            <table:table-cell table:number-columns-spanned=\"2\"><text:p>住址</text:p></table:table-cell>\
            <table:covered-table-cell/></table:table-row>\
            <table:table-row><table:table-cell office:value-type=\"string\"><text:p>郭晓燕</text:p>\
            </table:table-cell><table:table-cell table:number-columns-repeated=\"2\"/></table:table-row>\
            <table:table-row><table:table-cell><text:p>手机</text:p></table:table-cell>\
            <table:table-cell office:value-type=\"float\" office:value=\"13912345678\" \
            calcext:value-type=\"float\"><text:p>13912345678</text:p></table:table-cell></table:table-row>\
            </table:table></office:text></office:body></office:document-content>";
        let (found, out) = redact_as("content.xml", content);
        assert_eq!(
            rule_ids(&found),
            ["cn.address", "cn.mobile", "cn.person_name"],
            "{found:?}"
        );
        // A number cell whose number was masked is a string cell now, with no number.
        assert!(
            out.contains(
                "<table:table-cell office:value-type=\"string\" calcext:value-type=\"string\">\
                 <text:p>139****5678</text:p>"
            ),
            "{out}"
        );
        // The address split over two spans is masked in both, and so is the mobile written
        // 3-4-4 (`<text:s/>` is a space).
        assert!(out.contains("<text:span>****</text:span>5678"), "{out}");
        assert!(out.contains("住址：<text:span text:style-name=\"T1\">辽宁省沈阳市"));
        assert!(!out.contains("中山路32</text:span>") && !out.contains(">3号<"));
        assert!(out.contains("<text:p>郭**</text:p>"));
        assert!(out.contains("<dc:creator>审阅人</dc:creator>"));
    }

    #[test]
    fn ofd_pages_are_read_as_the_lines_their_text_elements_make() {
        // One text object per piece, as writers place runs, cells and single characters:
        // `联系人：` and a name one character apart per glyph; an ID cut into four pieces
        // with a bad check digit (no ID, and its pieces alone no landline); a card cut in
        // three; a table drawn as text under its heading; a sentence wrapped at the margin
        // (placed last in the part, first on the page).
        let obj = |x: f64, y: f64, t: &str| {
            format!(
                "<ofd:TextObject ID=\"1\" Boundary=\"{x} {y} 100 6\" Font=\"3\" Size=\"4\">\
                 <ofd:TextCode X=\"0\" Y=\"4\">{t}</ofd:TextCode></ofd:TextObject>"
            )
        };
        let mut page = String::from(
            "<?xml version=\"1.0\"?><ofd:Page xmlns:ofd=\"http://www.ofdspec.org/2016\">\
             <ofd:Content><ofd:Layer ID=\"2\">",
        );
        for (x, y, t) in [
            (25.0, 20.0, "联系人："),
            (41.0, 20.0, "杨"),
            (45.0, 20.0, "秀"),
            (49.0, 20.0, "梅"),
            (25.0, 27.0, "档案号："),
            (41.0, 27.0, "43"),
            (45.0, 27.0, "01041952091"),
            (67.0, 27.0, "0"),
            (69.0, 27.0, "6861"),
            (25.0, 34.0, "卡号："),
            (37.0, 34.0, "621483"),
            (49.0, 34.0, "3326"),
            (57.0, 34.0, "492801"),
            (25.0, 48.0, "姓名"),
            (60.0, 48.0, "住址"),
            (25.0, 55.0, "刘建华"),
            (60.0, 55.0, "四川省成都市武侯区人民路20号"),
            (25.0, 2.0, "经核实，当事人现居住于四川省成都市武侯区人民路"),
            (25.0, 9.0, "20号，特此说明。"),
        ] {
            page.push_str(&obj(x, y, t));
        }
        page.push_str("</ofd:Layer></ofd:Content></ofd:Page>");
        assert!(is_paragraph_part(
            "Doc_0/Pages/Page_0/Content.xml",
            Package::Ofd
        ));
        let (found, out) = redact_as("Doc_0/Pages/Page_0/Content.xml", &page);
        assert_eq!(
            rule_ids(&found),
            ["cn.address", "cn.bank_card", "cn.person_name"],
            "{found:?}"
        );
        // (The first line of the wrapped sentence, read alone as its element, is a second
        // address finding of the same value.)
        let names = found.iter().filter(|f| &*f.rule_id == "cn.person_name");
        assert_eq!(names.count(), 2, "{found:?}");
        let codes: Vec<String> = out
            .split("<ofd:TextCode")
            .skip(1)
            .map(|c| c[c.find('>').unwrap() + 1..c.find("</").unwrap()].to_string())
            .collect();
        assert_eq!(&codes[1..4], ["杨", "*", "*"]);
        assert_eq!(&codes[5..9], ["43", "01041952091", "0", "6861"]);
        assert_eq!(&codes[10..13], ["6214**", "****", "**2801"]);
        assert_eq!(codes[15], "刘**");
        // The wrapped address is masked on both lines, and every element keeps its length
        // (its glyph advances).
        assert!(codes[17].ends_with("市******"), "{codes:?}");
        assert_eq!(codes[18], "***，特此说明。");
        let before: Vec<usize> = page
            .split("<ofd:TextCode")
            .skip(1)
            .map(|c| {
                c[c.find('>').unwrap() + 1..c.find("</").unwrap()]
                    .chars()
                    .count()
            })
            .collect();
        assert_eq!(
            before,
            codes.iter().map(|c| c.chars().count()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn an_ofd_text_element_is_as_wide_as_its_glyph_advances() {
        // Three advances of 4 then one of 2 between five glyphs, plus the last one's width.
        assert_eq!(
            text_width("联系人13", 4.0, Some("g 3 4 2")),
            3.0 * 4.0 + 2.0 + 2.0
        );
        // No DeltaX: Han glyphs a font size wide, ASCII half.
        assert_eq!(text_width("冯燕13", 4.0, None), 4.0 + 4.0 + 2.0 + 2.0);
        // A short or broken DeltaX: the rest estimated; absurd advances capped.
        assert_eq!(text_width("冯燕", 4.0, Some("g x")), 8.0);
        assert_eq!(text_width("冯燕", 4.0, Some("1e9")), 40.0 + 4.0);
        assert_eq!(text_width("", 4.0, Some("g 3 4")), 0.0);
    }

    #[test]
    fn a_level_alone_in_a_paragraph_is_the_documents_marking() {
        let header = "<w:hdr xmlns:w=\"urn:w\"><w:p><w:r><w:t> 机密</w:t></w:r></w:p></w:hdr>";
        let (found, out) = redact_as("word/header1.xml", header);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(&*found[0].rule_id, "classified.level_field");
        assert!(!out.contains("机密"), "{out}");
        // The word inside a sentence is no marking.
        let body = doc(&p(&["本文件不涉及机密内容。"]));
        assert!(redact(&body).0.is_empty());
    }

    /// The review's cases: text drawn twice, a mobile at the end of a wrapped line, an
    /// OpenDocument cell under a vertical span, a number cell whose shown text alone was
    /// masked, a comment anchored inside a number, a marking replaced by its label in place.
    #[test]
    fn reviewed_shapes_of_ofd_and_opendocument() {
        let obj = |x: f64, y: f64, t: &str| {
            format!(
                "<ofd:TextObject ID=\"1\" Boundary=\"{x} {y} 200 6\" Size=\"4\">\
                 <ofd:TextCode X=\"0\" Y=\"4\">{t}</ofd:TextCode></ofd:TextObject>"
            )
        };
        let page = |objs: &[(f64, f64, &str)]| {
            let body: String = objs.iter().map(|(x, y, t)| obj(*x, *y, t)).collect();
            format!("<ofd:Page xmlns:ofd=\"urn:o\"><ofd:Content><ofd:Layer>{body}</ofd:Layer></ofd:Content></ofd:Page>")
        };
        let codes = |out: &str| -> Vec<String> {
            out.split("<ofd:TextCode")
                .skip(1)
                .map(|c| c[c.find('>').unwrap() + 1..c.find("</").unwrap()].to_string())
                .collect()
        };
        let name = "Doc_0/Pages/Page_0/Content.xml";
        // Drawn twice, the second copy a little to the right (bold by overprinting).
        let (_, out) = redact_as(
            name,
            &page(&[
                (25.0, 10.0, "手机："),
                (37.0, 10.0, "13912345678"),
                (37.1, 10.0, "13912345678"),
            ]),
        );
        assert_eq!(codes(&out)[1..], ["139****5678", "139****5678"]);
        // A wrapped line that ends in a mobile and a next line that starts with a date.
        let (_, out) = redact_as(
            name,
            &page(&[
                (25.0, 10.0, "如有疑问请联系经办人，联系电话13912345678"),
                (25.0, 17.0, "2024年3月1日起施行。"),
            ]),
        );
        assert!(codes(&out)[0].ends_with("139****5678"), "{out}");
        // A secret level replaced by its label is masked whole, in place.
        let (_, out) = redact_as(
            name,
            &page(&[
                (25.0, 10.0, "机密★1年"),
                (25.0, 17.0, "关于开展数据共享检查的通知"),
            ]),
        );
        assert_eq!(codes(&out)[0], "***1年");

        let content = |body: &str| {
            format!(
                "<office:document-content xmlns:office=\"urn:o\" xmlns:text=\"urn:t\" \
                 xmlns:table=\"urn:tb\" xmlns:dc=\"urn:dc\"><office:body><office:text>{body}\
                 </office:text></office:body></office:document-content>"
            )
        };
        let cell = |t: &str| format!("<table:table-cell><text:p>{t}</text:p></table:table-cell>");
        // Under a vertical span the next row starts with a covered cell: 郭晓燕 is under 姓名.
        let table = format!(
            "<table:table><table:table-row>{}{}</table:table-row>\
             <table:table-row><table:table-cell table:number-rows-spanned=\"2\"><text:p>1</text:p>\
             </table:table-cell>{}</table:table-row><table:table-row><table:covered-table-cell/>{}\
             </table:table-row></table:table>",
            cell("序号"),
            cell("姓名"),
            cell("王建国"),
            cell("郭晓燕"),
        );
        let (_, out) = redact_as("content.xml", &content(&table));
        assert!(out.contains("<text:p>郭**</text:p>"), "{out}");
        // A number cell whose shown text only was masked loses its number too.
        let table = format!(
            "<table:table><table:table-row>{}</table:table-row><table:table-row>\
             <table:table-cell office:value-type=\"float\" office:value=\"490154203237518\">\
             <text:p>490154203237518</text:p></table:table-cell></table:table-row></table:table>",
            cell("设备IMEI"),
        );
        let (_, out) = redact_as("content.xml", &content(&table));
        assert!(!out.contains("490154203237518"), "{out}");
        assert!(
            out.contains("<table:table-cell office:value-type=\"string\"><text:p>4901"),
            "{out}"
        );
        // A comment anchored inside a number shows nothing between its digits.
        let (_, out) = redact_as(
            "content.xml",
            &content(
                "<text:p>手机：1391234<office:annotation><dc:creator>审阅</dc:creator>\
                 <text:p>注</text:p></office:annotation>5678</text:p>",
            ),
        );
        assert!(
            out.contains("<text:p>手机：139****<office:annotation>"),
            "{out}"
        );
    }
}
