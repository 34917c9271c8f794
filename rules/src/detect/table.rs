//! Tables written as text: the cells of a row take their column's field name, as CSV cells
//! take theirs from the header. Three shapes that reach us inside text bodies, log lines and
//! multi-line values, where no lexer sees a table:
//!
//! - aligned tables: a header line whose cells are set apart by runs of two or more spaces,
//!   tabs or `|` (fixed-width reports, `mysql`/`psql` console output, Markdown), with rows
//!   below it split the same way;
//! - MyBatis SQL logs, everywhere in Java systems: `<==    Columns: id, xm, sfzh` names the
//!   cells of the `<==        Row: 1, 张三, …` lines after it, and the column of each `?` of
//!   `==>  Preparing: INSERT INTO t (xm, sfzh) VALUES (?, ?)` (or `… WHERE sfzh = ?`) names
//!   the value in its place on the next `==> Parameters: 张三(String), …` line.
//!
//! Each named cell becomes a [`Pair`], judged as a field value and giving its column's
//! context to the identifiers inside it, exactly like a `key=value` pair. An aligned header
//! needs two cells that name fields (one known name is as often a title or a label line,
//! while `Columns:` says what it is); a line that does not split into the header's columns
//! ends the table. A text longer than a detection window is read a window at a time: the
//! header lines of the tables open where the next window starts are carried to it
//! ([`Carry`]).

use super::{only_negative, Detectors, Pair};

/// Longest header cell read as a column name.
const CELL_MAX: usize = 48;
/// Most columns a header may have.
const COLS_MAX: usize = 32;
/// Longest line read as a header or a row.
const LINE_MAX: usize = 4096;

/// How a table's cells are set apart.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Sep {
    /// `| a | b |`: split on `|`, the border's empty cells dropped.
    Pipe,
    /// Runs of two or more spaces, or a tab (aligned columns).
    Spaces,
    /// `,` (MyBatis' lists, joined with `, `).
    Comma,
}

/// A column: where its header cell starts in its line (in characters and in display
/// columns, for rows with empty cells) and the range of its name's rules in the pair rules.
#[derive(Clone, Copy)]
struct Col {
    at: (usize, usize),
    rules: (usize, usize),
}

/// A cell of a line: its byte range in the text, without the spaces around it.
type Cell = (usize, usize);

/// The header lines of the tables open where a long text's next detection window starts,
/// one per line (an aligned header, a `Columns:` line, a `Preparing:` line), as written.
pub(crate) type Carry = Vec<u8>;

/// The tables open at a line.
#[derive(Default)]
struct State {
    aligned: Option<(Sep, Vec<Col>)>,
    mybatis_cols: Option<Vec<Col>>,
    placeholders: Option<Vec<Option<(usize, usize)>>>,
    /// The lines that opened them: aligned, `Columns:`, `Preparing:`.
    heads: [Vec<u8>; 3],
}

impl State {
    fn save(&self, carry: &mut Carry) {
        carry.clear();
        for h in self.heads.iter().filter(|h| !h.is_empty()) {
            carry.extend_from_slice(h);
            carry.push(b'\n');
        }
    }
}

/// Appends the pairs of the tables in `text` (see the module docs), their rules to `rules`.
/// When `continues` (the text is a later window of one value, whose first line was cut and
/// read by the window before), the tables `carry` names are open at its second line, where
/// reading starts. When `next_from` is given, `carry` is left naming the tables open at the
/// first line that starts after it, where the next window's reading starts.
#[allow(clippy::too_many_arguments)]
pub(super) fn table_pairs(
    d: &Detectors,
    text: &[u8],
    continues: bool,
    next_from: Option<usize>,
    carry: &mut Carry,
    pairs: &mut Vec<Pair>,
    rules: &mut Vec<u32>,
) {
    let mut cells: Vec<Cell> = Vec::new();
    let mut st = State::default();
    let mut ls = 0;
    if continues {
        let mut from = 0;
        while from < carry.len() {
            let e = memchr::memchr(b'\n', &carry[from..]).map_or(carry.len(), |p| from + p);
            line(
                d,
                carry,
                (from, e),
                &mut st,
                &mut cells,
                pairs,
                rules,
                false,
            );
            from = e + 1;
        }
        ls = memchr::memchr(b'\n', text).map_or(text.len(), |p| p + 1);
    }
    let mut saved = next_from.is_none();
    while ls < text.len() {
        let le = memchr::memchr(b'\n', &text[ls..]).map_or(text.len(), |p| ls + p);
        // Where the next window starts reading: the first line after `next_from`, or, when
        // none starts in this window, the line this one ends inside (it is cut here).
        if !saved && (next_from.is_some_and(|n| ls > n) || le == text.len()) {
            st.save(carry);
            saved = true;
        }
        let mut end = le;
        if end > ls && text[end - 1] == b'\r' {
            end -= 1;
        }
        line(d, text, (ls, end), &mut st, &mut cells, pairs, rules, true);
        ls = le + 1;
    }
    if !saved {
        st.save(carry);
    }
}

/// Reads one line of `text` (without its line break): a MyBatis line, a row of the open
/// aligned table, or a header. Pairs are added only when `emit` (not for carried headers).
#[allow(clippy::too_many_arguments)]
fn line(
    d: &Detectors,
    text: &[u8],
    range: (usize, usize),
    st: &mut State,
    cells: &mut Vec<Cell>,
    pairs: &mut Vec<Pair>,
    rules: &mut Vec<u32>,
    emit: bool,
) {
    let (ls, end) = range;
    if end - ls > LINE_MAX {
        st.aligned = None;
        st.heads[0].clear();
        return;
    }
    if let Some((marker, from)) = mybatis(text, range) {
        let list = (from, end);
        match marker {
            Marker::Columns => {
                st.mybatis_cols = header(d, text, list, ls, Sep::Comma, cells, rules);
                st.heads[1] = if st.mybatis_cols.is_some() {
                    text[ls..end].to_vec()
                } else {
                    Vec::new()
                };
            }
            Marker::Row => {
                if let Some(cols) = &st.mybatis_cols {
                    split(text, list, Sep::Comma, cells);
                    if emit && cells.len() == cols.len() {
                        push_cells(cols.iter().map(|c| Some(c.rules)), cells, pairs);
                    }
                }
            }
            Marker::Preparing => {
                st.placeholders = sql_placeholders(d, &text[from..end], rules);
                st.heads[2] = if st.placeholders.is_some() {
                    text[ls..end].to_vec()
                } else {
                    Vec::new()
                };
            }
            Marker::Parameters => {
                // One `Parameters:` line per statement.
                st.heads[2].clear();
                if let Some(ph) = st.placeholders.take() {
                    parameters(text, list, cells);
                    if emit && cells.len() == ph.len() {
                        push_cells(ph.into_iter(), cells, pairs);
                    }
                }
            }
        }
        return;
    }
    let body = trim(text, range);
    if body.0 == body.1 {
        st.aligned = None;
        st.heads[0].clear();
        return;
    }
    if let Some((sep, cols)) = &st.aligned {
        if rule_line(&text[body.0..body.1]) {
            return;
        }
        let sep = *sep;
        split(text, body_of(text, range, sep), sep, cells);
        if map_row(text, ls, cols, cells, sep) {
            if emit {
                push_cells(cols.iter().map(|c| Some(c.rules)), cells, pairs);
            }
            return;
        }
        st.aligned = None;
        st.heads[0].clear();
    }
    let Some(sep) = separator(&text[body.0..body.1]) else {
        return;
    };
    if let Some(cols) = header(d, text, body_of(text, range, sep), ls, sep, cells, rules) {
        st.aligned = Some((sep, cols));
        st.heads[0] = text[ls..end].to_vec();
    }
}

/// A range of `text` without the spaces and tabs around it.
fn trim(text: &[u8], (mut s, mut e): (usize, usize)) -> (usize, usize) {
    while s < e && matches!(text[s], b' ' | b'\t') {
        s += 1;
    }
    while e > s && matches!(text[e - 1], b' ' | b'\t') {
        e -= 1;
    }
    (s, e)
}

/// What a line is split over: for aligned columns the line up to its trailing spaces (the
/// leading ones place the first cell), otherwise the line without the spaces around it.
fn body_of(text: &[u8], line: (usize, usize), sep: Sep) -> (usize, usize) {
    match sep {
        Sep::Spaces => (line.0, trim(text, line).1),
        _ => trim(text, line),
    }
}

/// How a candidate header line sets its cells apart, if it does.
fn separator(line: &[u8]) -> Option<Sep> {
    if memchr::memchr(b'|', line).is_some() {
        Some(Sep::Pipe)
    } else if memchr::memchr(b'\t', line).is_some()
        || memchr::memchr_iter(b' ', line).any(|p| line.get(p + 1) == Some(&b' '))
    {
        Some(Sep::Spaces)
    } else {
        None
    }
}

/// A border or rule line of a drawn table (`+----+----+`, `|---|:---:|`, `=====`).
fn rule_line(line: &[u8]) -> bool {
    line.iter().any(|b| matches!(b, b'-' | b'='))
        && line
            .iter()
            .all(|b| matches!(b, b'-' | b'=' | b'+' | b'|' | b':' | b' ' | b'\t'))
}

/// Splits `(s, e)` of `text` into cells, each without the spaces around it.
fn split(text: &[u8], (s, e): (usize, usize), sep: Sep, cells: &mut Vec<Cell>) {
    cells.clear();
    let line = &text[s..e];
    match sep {
        Sep::Pipe | Sep::Comma => {
            let b = if sep == Sep::Pipe { b'|' } else { b',' };
            let mut from = 0;
            for p in memchr::memchr_iter(b, line) {
                cells.push(trim(text, (s + from, s + p)));
                from = p + 1;
            }
            cells.push(trim(text, (s + from, e)));
            if sep == Sep::Pipe {
                // `| a | b |`: the borders leave an empty cell at each end.
                if line.first() == Some(&b'|') {
                    cells.remove(0);
                }
                if line.last() == Some(&b'|') && cells.last().is_some_and(|c| c.0 == c.1) {
                    cells.pop();
                }
            }
        }
        Sep::Spaces => {
            // Cells end at a tab or at two spaces; one space stays inside a cell (`Li Na`).
            let mut i = 0;
            let mut start: Option<usize> = None;
            let mut last = 0;
            while i < line.len() {
                let b = line[i];
                let boundary = b == b'\t' || (b == b' ' && line.get(i + 1) == Some(&b' '));
                if boundary {
                    if let Some(st) = start.take() {
                        cells.push((s + st, s + last));
                    }
                } else if b != b' ' {
                    start.get_or_insert(i);
                    last = i + 1;
                }
                i += 1;
            }
            if let Some(st) = start {
                cells.push((s + st, s + last));
            }
        }
    }
}

/// Where byte `at` of `text` sits in the line starting at `ls`: (characters, display
/// columns), a CJK character being two columns wide.
fn position(text: &[u8], ls: usize, at: usize) -> (usize, usize) {
    let Ok(before) = std::str::from_utf8(&text[ls..at]) else {
        return (at - ls, at - ls);
    };
    before.chars().fold((0, 0), |(n, w), c| {
        (n + 1, w + if wide(u32::from(c)) { 2 } else { 1 })
    })
}

/// East Asian wide characters (two columns in a terminal): Hangul Jamo, CJK, Hangul
/// syllables, compatibility ideographs, full-width forms, and the supplementary ideographs.
fn wide(cp: u32) -> bool {
    matches!(cp,
        0x1100..=0x115F
        | 0x2E80..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD)
}

/// Reads `range` as a header row (of the line starting at `ls`): its columns when it has two
/// to `COLS_MAX` non-empty cells of at most `CELL_MAX` bytes, two of which name fields some
/// rule listens to (one for MyBatis' `Columns:`). The rules of every column are appended to `rules`; nothing is kept when
/// it is no header.
fn header(
    d: &Detectors,
    text: &[u8],
    range: (usize, usize),
    ls: usize,
    sep: Sep,
    cells: &mut Vec<Cell>,
    rules: &mut Vec<u32>,
) -> Option<Vec<Col>> {
    split(text, range, sep, cells);
    if !(2..=COLS_MAX).contains(&cells.len())
        || cells.iter().any(|&(s, e)| s == e || e - s > CELL_MAX)
    {
        return None;
    }
    let mark = rules.len();
    let mut named = 0;
    let mut cols = Vec::with_capacity(cells.len());
    for &(s, e) in cells.iter() {
        let from = rules.len();
        d.keys.lookup(&text[s..e], rules);
        if !only_negative(&rules[from..]) {
            named += 1;
        }
        cols.push(Col {
            at: if sep == Sep::Spaces {
                position(text, ls, s)
            } else {
                (0, 0)
            },
            rules: (from, rules.len()),
        });
    }
    // A `Columns:` line says it is a header; an aligned line needs two names to be one.
    if named < if sep == Sep::Comma { 1 } else { 2 } {
        rules.truncate(mark);
        return None;
    }
    Some(cols)
}

/// Fits a row's cells (of the line starting at `ls`) to the columns: one cell per column,
/// or, for aligned columns with empty cells, each cell under the column it starts in (in
/// characters or in display columns, whichever places every cell in a column of its own).
/// On success `cells` holds one entry per column (an empty range for an empty cell).
fn map_row(text: &[u8], ls: usize, cols: &[Col], cells: &mut Vec<Cell>, sep: Sep) -> bool {
    if cells.len() == cols.len() {
        return true;
    }
    // A row needs two cells and half its columns (a sentence under a table is no row).
    if sep != Sep::Spaces
        || cells.len() > cols.len()
        || cells.len() < 2
        || cells.len() * 2 < cols.len()
    {
        return false;
    }
    let at: Vec<(usize, usize)> = cells.iter().map(|c| position(text, ls, c.0)).collect();
    for metric in [0, 1] {
        let pick = |p: (usize, usize)| if metric == 0 { p.0 } else { p.1 };
        let mut placed: Vec<Option<usize>> = vec![None; cols.len()];
        let mut prev: Option<usize> = None;
        let mut ok = true;
        for (k, &a) in at.iter().enumerate() {
            // The last column starting at or before the cell (one position of slack for a
            // cell one column off in the other metric).
            match cols.iter().rposition(|col| pick(col.at) <= pick(a) + 1) {
                Some(ix) if prev.is_none_or(|p| ix > p) => {
                    placed[ix] = Some(k);
                    prev = Some(ix);
                }
                _ => {
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            let mapped: Vec<Cell> = placed
                .iter()
                .map(|p| p.map_or((0, 0), |k| cells[k]))
                .collect();
            *cells = mapped;
            return true;
        }
    }
    false
}

/// Pairs for the cells of a row, each under its column's rules (`None`: a column that names
/// nothing); empty cells, columns without rules and cells longer than a pair give none.
fn push_cells(
    cols: impl Iterator<Item = Option<(usize, usize)>>,
    cells: &[Cell],
    pairs: &mut Vec<Pair>,
) {
    for (rules, &(s, e)) in cols.zip(cells) {
        if let Some(rules) = rules.filter(|r| r.0 < r.1) {
            if s < e && e - s <= super::PAIR_MAX {
                pairs.push(Pair {
                    start: s,
                    end: e,
                    rules,
                });
            }
        }
    }
}

/// The MyBatis log lines this module reads.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Marker {
    Preparing,
    Parameters,
    Columns,
    Row,
}

/// A MyBatis log line (`==>  Preparing: …`, `==> Parameters: …`, `<==    Columns: …`,
/// `<==        Row: …`): which one, and where its list starts.
fn mybatis(text: &[u8], (s, e): (usize, usize)) -> Option<(Marker, usize)> {
    let line = &text[s..e];
    // `==>` or `<==` (a searcher built per line would cost more than the line).
    let arrow = memchr::memchr2_iter(b'>', b'<', line).find_map(|p| match line[p] {
        b'>' => (p >= 2 && &line[p - 2..p] == b"==").then(|| p - 2),
        _ => (line.get(p + 1..p + 3) == Some(b"==")).then_some(p),
    })?;
    let mut i = arrow + 3;
    while i < line.len() && line[i] == b' ' {
        i += 1;
    }
    let rest = &line[i..];
    let (marker, word): (Marker, &[u8]) = if rest.starts_with(b"Preparing:") {
        (Marker::Preparing, b"Preparing:")
    } else if rest.starts_with(b"Parameters:") {
        (Marker::Parameters, b"Parameters:")
    } else if rest.starts_with(b"Columns:") {
        (Marker::Columns, b"Columns:")
    } else if rest.starts_with(b"Row:") {
        (Marker::Row, b"Row:")
    } else {
        return None;
    };
    Some((marker, s + i + word.len()))
}

/// The values of a `Parameters:` line: `张三(String), 110…(String), null, 3(Integer)`, each
/// without its type. MyBatis joins them with `, `, so a value holding `, ` miscounts and the
/// line is left (the caller compares the count with the placeholders').
fn parameters(text: &[u8], (s, e): (usize, usize), cells: &mut Vec<Cell>) {
    cells.clear();
    let line = &text[s..e];
    let push = |a: usize, b: usize, cells: &mut Vec<Cell>| {
        let (cs, mut ce) = trim(text, (s + a, s + b));
        // `value(Type)`: the type is a Java class name.
        if text[cs..ce].ends_with(b")") {
            if let Some(open) = memchr::memrchr(b'(', &text[cs..ce]) {
                let ty = &text[cs + open + 1..ce - 1];
                if !ty.is_empty() && ty.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'.') {
                    ce = cs + open;
                }
            }
        }
        if &text[cs..ce] == b"null" {
            ce = cs;
        }
        cells.push((cs, ce));
    };
    let mut from = 0;
    for p in memchr::memmem::find_iter(line, b", ") {
        push(from, p, cells);
        from = p + 2;
    }
    push(from, line.len(), cells);
}

/// The column each `?` of a prepared statement stands for, in order: the INSERT's column
/// list for the `?` in its VALUES tuples, else the column compared with it (`sfzh = ?`,
/// `t.xm LIKE ?`, `zjhm IN (?, ?)`, `SET dz = ?`). `None` where no column names a `?`;
/// the whole answer is `None` when there is no `?`. Rules go to `rules`.
fn sql_placeholders(
    d: &Detectors,
    sql: &[u8],
    rules: &mut Vec<u32>,
) -> Option<Vec<Option<(usize, usize)>>> {
    memchr::memchr(b'?', sql)?;
    let lower = sql.to_ascii_lowercase();
    let lookup = |name: &[u8], rules: &mut Vec<u32>| {
        let name = name
            .iter()
            .rposition(|&b| b == b'.')
            .map_or(name, |p| &name[p + 1..]);
        let name: Vec<u8> = name
            .iter()
            .copied()
            .filter(|b| !matches!(b, b'`' | b'"' | b'[' | b']'))
            .collect();
        if name.is_empty() {
            return None;
        }
        let from = rules.len();
        d.keys.lookup(&name, rules);
        Some((from, rules.len()))
    };
    // INSERT INTO t (a, b) VALUES (?, ?), (?, ?)
    let values = memchr::memmem::find(&lower, b"values");
    let insert_cols = match (memchr::memmem::find(&lower, b"insert"), values) {
        (Some(ins), Some(v)) if ins < v => {
            let open = memchr::memchr(b'(', &sql[ins..v]).map(|p| ins + p);
            let close = open.and_then(|o| memchr::memrchr(b')', &sql[o..v]).map(|p| o + p));
            match (open, close) {
                (Some(o), Some(c)) => {
                    let names: Vec<Option<(usize, usize)>> = sql[o + 1..c]
                        .split(|&b| b == b',')
                        .map(|n| lookup(n.trim_ascii(), rules))
                        .collect();
                    Some((v, names))
                }
                _ => None,
            }
        }
        _ => None,
    };
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut index = 0usize;
    let mut quoted = false;
    for (i, &b) in sql.iter().enumerate() {
        if quoted {
            quoted = b != b'\'';
            continue;
        }
        match b {
            b'\'' => quoted = true,
            b'(' => {
                depth += 1;
                if depth == 1 {
                    index = 0;
                }
            }
            b')' => depth = depth.saturating_sub(1),
            b',' if depth == 1 => index += 1,
            b'?' => {
                let col = match &insert_cols {
                    Some((v, names)) if i > *v && depth >= 1 && !names.is_empty() => {
                        names[index % names.len()]
                    }
                    _ => compared_column(&lower, i).and_then(|(s, e)| lookup(&sql[s..e], rules)),
                };
                out.push(col);
            }
            _ => {}
        }
    }
    Some(out)
}

/// The column a `?` at `q` is compared with or set to: the identifier before `=`, `<>`,
/// `!=`, `>=`, `<=`, `>`, `<`, `like` or `in (` (in `lower`, the statement in lower case).
fn compared_column(lower: &[u8], q: usize) -> Option<(usize, usize)> {
    let back_spaces = |mut i: usize| {
        while i > 0 && lower[i - 1] == b' ' {
            i -= 1;
        }
        i
    };
    let mut i = back_spaces(q);
    // `IN (?, ?)`: back over the other placeholders of the list to its `(`.
    while i > 0 && matches!(lower[i - 1], b',' | b'?' | b' ') {
        i -= 1;
    }
    let in_list = i > 0 && lower[i - 1] == b'(';
    if in_list {
        i = back_spaces(i - 1);
    }
    let before = &lower[..i];
    let op_len = if in_list {
        before.ends_with(b" in").then_some(2)?
    } else if [&b"<>"[..], b"!=", b">=", b"<="]
        .iter()
        .any(|op| before.ends_with(op))
    {
        2
    } else if before.ends_with(b"=") || before.ends_with(b">") || before.ends_with(b"<") {
        1
    } else if before.ends_with(b" like") {
        4
    } else {
        return None;
    };
    let e = back_spaces(i - op_len);
    let mut s = e;
    while s > 0
        && (lower[s - 1].is_ascii_alphanumeric() || matches!(lower[s - 1], b'_' | b'.' | b'`'))
    {
        s -= 1;
    }
    (s < e).then_some((s, e))
}
