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
//! ends the table; a blank line or a line of one cell (a note, a sub-heading) does not, but
//! after one only a row that reads like a record goes on with it. A text longer than a
//! detection window is read a window at a time: the header lines of the tables open where
//! the next window starts are carried to it ([`Carry`]).

use super::{only_negative, Detectors, Pair};

/// Longest header cell read as a column name.
const CELL_MAX: usize = 48;
/// Most columns a header may have (a `Columns:` list of a wide table has dozens).
const COLS_MAX: usize = 128;
/// Longest line read as a header or a row.
const LINE_MAX: usize = 4096;
/// Longest log line read (a batch INSERT's `Preparing:` and `Parameters:`).
const LOG_LINE_MAX: usize = 65536;

/// How a table's cells are set apart.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Sep {
    /// `| a | b |`: split on `|`, the border's empty cells dropped.
    Pipe,
    /// Runs of two or more spaces, or a tab (aligned columns).
    Spaces,
    /// `,` (MyBatis' lists, joined with `, `).
    Comma,
    /// Single spaces (`持卡人 手机 户籍地址` over `赵飞 184… 湖北省…`): a header only when
    /// every cell is a field name, over rows of as many words (a number's own groups,
    /// `440305 19501226 3813`, joined in a number's column).
    Single,
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

/// Most `?` of one statement whose column is read back from the `?` (`compared_column`).
const COMPARED_MAX: usize = 64;

/// Most statements waiting for their `Parameters:` line at once (one per thread and mapper
/// in an interleaved log).
const STATEMENTS_MAX: usize = 8;

/// An aligned table open at a line.
struct Aligned {
    sep: Sep,
    cols: Vec<Col>,
    /// A blank line or a line of one cell (a note, a sub-heading) came after the last row:
    /// the table goes on only with a row of exactly its columns, and a header may start
    /// another table.
    broken: bool,
}

/// A prepared statement waiting for its `Parameters:` line: the log line's prefix without
/// its timestamp (the thread and mapper), the line itself (for [`Carry`]) and the rules of
/// the column of each `?`.
#[derive(Debug)]
struct Statement {
    key: Vec<u8>,
    line: Vec<u8>,
    cols: OwnedCols,
}

/// The tables open at a line.
#[derive(Default)]
struct State {
    aligned: Option<Aligned>,
    /// The line that opened the aligned table.
    aligned_head: Vec<u8>,
    logs: LogCarry,
}

impl State {
    fn save(&self, carry: &mut Carry) {
        carry.clear();
        if !self.aligned_head.is_empty() {
            carry.extend_from_slice(&self.aligned_head);
            carry.push(b'\n');
            // A break after the table's last row: a blank line sets it again.
            if self.aligned.as_ref().is_some_and(|t| t.broken) {
                carry.push(b'\n');
            }
        }
        let statements = self.logs.statements.iter().map(|s| &s.line);
        for h in std::iter::once(&self.logs.columns_head)
            .chain(statements)
            .filter(|h| !h.is_empty())
        {
            carry.extend_from_slice(h);
            carry.push(b'\n');
        }
    }

    fn close_aligned(&mut self) {
        self.aligned = None;
        self.aligned_head.clear();
    }
}

/// The text as tables are read from it: `text` itself, or, when some of its spaces were
/// ideographic spaces (`wide_spaces`, their offsets), a copy in `buf` with a tab for each. A
/// report typed in a word processor pads its columns with them and sets two cells apart with
/// a single one (`刘秀华　520400…　黑龙江省…`), which normalization folds to one ASCII space
/// like any other; a tab is a column gap to the table reader and keeps every offset.
pub(super) fn table_text<'t>(
    text: &'t [u8],
    wide_spaces: &[u32],
    buf: &'t mut Vec<u8>,
) -> &'t [u8] {
    if wide_spaces.is_empty() {
        return text;
    }
    buf.clear();
    buf.extend_from_slice(text);
    for &p in wide_spaces {
        let p = p as usize;
        // One after a cell's first character, a Han one, before another pads a two-character
        // name to the width of three (`王　芳`), inside its cell (`赵明　上海市…` sets two cells
        // apart).
        let padding = p > 0
            && text.get(p + 1) != Some(&b' ')
            && wide_char_at(text, p + 1)
            && wide_char_before(text, p)
                .is_some_and(|s| s == 0 || matches!(text[s - 1], b' ' | b'\t' | b'\n' | b'|'));
        // Between two short runs of letters or digits it groups one value (`G　8278　7488`,
        // `138　0013　8000`: a separator inside a number), where cells typed apart by one
        // hold longer values (`13800138000　110101…`).
        let run =
            |r: &mut dyn Iterator<Item = &u8>| r.take_while(|b| b.is_ascii_alphanumeric()).count();
        let (before, after) = (
            run(&mut text[..p].iter().rev()),
            run(&mut text[p + 1..].iter()),
        );
        let grouping = (1..=8).contains(&before) && (1..=8).contains(&after);
        if let Some(b) = buf
            .get_mut(p)
            .filter(|b| **b == b' ' && !padding && !grouping)
        {
            *b = b'\t';
        }
    }
    buf
}

/// Whether the character starting at `at` is wide ([`wide`]: Han characters, full-width
/// forms).
fn wide_char_at(text: &[u8], at: usize) -> bool {
    let end = text.len().min(at + 4);
    text.get(at..end)
        .and_then(crate::normalize::decode_char)
        .is_some_and(|(c, _)| wide(u32::from(c)))
}

/// Where the character ending at `at` starts, when it is wide.
fn wide_char_before(text: &[u8], at: usize) -> Option<usize> {
    let mut s = at.saturating_sub(1);
    while s > 0 && at - s < 4 && (text[s] & 0xC0) == 0x80 {
        s -= 1;
    }
    crate::normalize::decode_char(&text[s..at])
        .filter(|&(c, n)| n == at - s && wide(u32::from(c)))
        .map(|_| s)
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
    let line_end =
        |text: &[u8], ls: usize| memchr::memchr(b'\n', &text[ls..]).map_or(text.len(), |p| ls + p);
    if continues {
        let mut from = 0;
        while from < carry.len() {
            let e = line_end(carry, from);
            let mut cx = Cx {
                d,
                text: carry,
                cells: &mut cells,
                pairs,
                rules,
                emit: false,
            };
            cx.line((from, e), None, &mut st);
            from = e + 1;
        }
        ls = memchr::memchr(b'\n', text).map_or(text.len(), |p| p + 1);
    }
    let mut saved = next_from.is_none();
    let strip_cr = |s: usize, e: usize| {
        if e > s && text[e - 1] == b'\r' {
            e - 1
        } else {
            e
        }
    };
    // The end of the line at `ls` (the line after it was found by the previous turn).
    let mut le = line_end(text, ls);
    while ls < text.len() {
        // Where the next window starts reading: the first line after `next_from`, or, when
        // none starts in this window, the line this one ends inside (it is cut here).
        if !saved && (next_from.is_some_and(|n| ls > n) || le == text.len()) {
            st.save(carry);
            saved = true;
        }
        let end = strip_cr(ls, le);
        let ne = if le < text.len() {
            line_end(text, le + 1)
        } else {
            le
        };
        let next = (le < text.len()).then(|| (le + 1, strip_cr(le + 1, ne)));
        let mut cx = Cx {
            d,
            text,
            cells: &mut cells,
            pairs,
            rules,
            emit: true,
        };
        cx.line((ls, end), next, &mut st);
        if st.aligned.is_none() {
            if let Some(name) = next.and_then(|n| heading_name(text, (ls, end), &text[n.0..n.1])) {
                push_named(d, crate::format::csv::NAME_ROLE, name, pairs, rules);
            }
        }
        ls = le + 1;
        le = ne;
    }
    if !saved {
        st.save(carry);
    }
}

/// Most placeholders a statement kept from one value to the next holds (a batch INSERT's
/// `Preparing:`); past it the statement is not kept.
const VALUE_PLACEHOLDERS_MAX: usize = 1024;

/// Rules per column or per `?`, kept from one value to the next: `ranges` index `rules`.
#[derive(Default, Debug)]
struct OwnedCols {
    ranges: Vec<Option<(u32, u32)>>,
    rules: Vec<u32>,
}

impl OwnedCols {
    /// Copies the rules of `cols` (ranges in `from`).
    fn new(cols: impl Iterator<Item = Option<(usize, usize)>>, from: &[u32]) -> Self {
        let mut out = OwnedCols::default();
        for c in cols {
            let range = c.map(|(s, e)| {
                let s2 = out.rules.len() as u32;
                out.rules.extend_from_slice(&from[s..e]);
                (s2, out.rules.len() as u32)
            });
            out.ranges.push(range);
        }
        out
    }

    /// A pair for `cell` under column `ix`, its rules appended to `rules`.
    fn push_one(&self, ix: usize, cell: Cell, pairs: &mut Vec<Pair>, rules: &mut Vec<u32>) {
        if let Some(&Some((s, e))) = self.ranges.get(ix) {
            let from = rules.len();
            rules.extend_from_slice(&self.rules[s as usize..e as usize]);
            push_cells(std::iter::once(Some((from, rules.len()))), &[cell], pairs);
        }
    }

    /// Pairs for `cells` (as many as the columns), their rules appended to `rules`.
    fn push_pairs(&self, cells: &[Cell], pairs: &mut Vec<Pair>, rules: &mut Vec<u32>) {
        let base = rules.len();
        rules.extend_from_slice(&self.rules);
        let cols = self
            .ranges
            .iter()
            .map(|r| r.map(|(s, e)| (base + s as usize, base + e as usize)));
        push_cells(cols, cells, pairs);
    }
}

/// The MyBatis (and Hibernate) lines read so far: the last `Columns:` list and the
/// statements waiting for their `Parameters:`, as the rules of their columns. A text keeps
/// it from line to line ([`State`]); a stream from value to value, for log events shipped
/// one line per value (`{"message":"==>  Preparing: …"}` and `{"message":"==> Parameters:
/// …"}` as two JSON documents of an NDJSON export, an array of log lines). A statement is
/// taken once and the columns are reused per row, so a line costs what it holds.
#[derive(Default, Debug)]
pub(crate) struct LogCarry {
    columns: Option<OwnedCols>,
    /// The `Columns:` line (for [`Carry`]).
    columns_head: Vec<u8>,
    statements: Vec<Statement>,
}

impl LogCarry {
    pub(crate) fn clear(&mut self) {
        self.columns = None;
        self.columns_head.clear();
        self.statements.clear();
    }

    /// A statement prepared under `key` (logged on `line`) replaces the one before it under
    /// that key; one without a `?` only ends that one. The oldest gives way past
    /// `STATEMENTS_MAX`.
    fn prepare(&mut self, key: Vec<u8>, line: &[u8], cols: Option<OwnedCols>) {
        self.statements.retain(|s| s.key != key);
        if let Some(cols) = cols {
            if self.statements.len() == STATEMENTS_MAX {
                self.statements.remove(0);
            }
            self.statements.push(Statement {
                key,
                line: line.to_vec(),
                cols,
            });
        }
    }
}

/// Pairs of a whole value that is one MyBatis log line (see [`LogCarry`]); other values
/// leave `carry` as it is.
pub(super) fn log_line_pairs(
    d: &Detectors,
    text: &[u8],
    carry: &mut LogCarry,
    pairs: &mut Vec<Pair>,
    rules: &mut Vec<u32>,
) {
    if text.len() > LOG_LINE_MAX {
        return;
    }
    let Some((marker, arrow, from)) = mybatis(text, (0, text.len())) else {
        return;
    };
    let mut cells = Vec::new();
    let mut cx = Cx {
        d,
        text,
        cells: &mut cells,
        pairs,
        rules,
        emit: true,
    };
    cx.mybatis(
        marker,
        (0, arrow),
        (from, text.len()),
        carry,
        VALUE_PLACEHOLDERS_MAX,
    );
}

/// What reading a line needs: the text, the buffers, and whether to add pairs (not for the
/// header lines a window carries over).
struct Cx<'a> {
    d: &'a Detectors,
    text: &'a [u8],
    cells: &'a mut Vec<Cell>,
    pairs: &'a mut Vec<Pair>,
    rules: &'a mut Vec<u32>,
    emit: bool,
}

impl Cx<'_> {
    /// Reads one line (without its line break; `next` is the line after it, if any): a
    /// MyBatis or Hibernate line, a row of the open aligned table, or a header.
    fn line(&mut self, range: (usize, usize), next: Option<(usize, usize)>, st: &mut State) {
        let text = self.text;
        let (ls, end) = range;
        if end - ls > LOG_LINE_MAX {
            st.close_aligned();
            return;
        }
        if let Some((marker, arrow, from)) = mybatis(text, range) {
            self.mybatis(marker, (ls, arrow), (from, end), &mut st.logs, usize::MAX);
            return;
        }
        if end - ls > LINE_MAX {
            st.close_aligned();
            return;
        }
        if let Some(ix) = hibernate_value(text, range) {
            self.hibernate(ix, st);
            return;
        }
        // A statement logged on its own line before its bindings (`Hibernate: insert into …`,
        // `org.hibernate.SQL : select … where sfzh=?`).
        if let Some(sql) = logged_sql(text, range) {
            // (A line whose `?` lies before its statement leaves the last one waiting.)
            if let Some(placeholders) = sql_placeholders(self.d, &text[sql..end], self.rules) {
                let cols = OwnedCols::new(placeholders.into_iter(), self.rules);
                st.logs
                    .prepare(HIBERNATE.to_vec(), &text[ls..end], Some(cols));
            }
            return;
        }
        let body = trim(text, range);
        let sep = separator(&text[body.0..body.1]);
        let one_cell = sep.is_none();
        // After a break, a line goes on with the table only when it reads like a record:
        // a number in it (an ID, a phone, a house number) and no sentence in any cell
        // (`会议    在区政府三楼会议室召开。`, a footer under the table, is no row).
        let record_like = || {
            let l = &text[body.0..body.1];
            l.iter().any(u8::is_ascii_digit)
                && !l.iter().any(|b| matches!(b, b',' | b';' | b'!' | b'?'))
                && memchr::memmem::find(l, "。".as_bytes()).is_none()
        };
        // A row of a table set apart by single spaces: its words fit its columns.
        if let Some(t) = st.aligned.as_mut().filter(|t| t.sep == Sep::Single) {
            if body.0 == body.1 {
                t.broken = true;
                return;
            }
            if (!t.broken || record_like()) && self.fit_words(body, &t.cols) {
                self.push_row(&t.cols);
                t.broken = false;
                return;
            }
            st.close_aligned();
        }
        if let Some(t) = &mut st.aligned {
            if one_cell {
                // A row whose values filled their columns, leaving one space between them
                // (`刘秀华 520400… 黑龙江省…`), cut where the columns start; else a blank
                // line, a note or a sub-heading inside the table.
                if t.sep == Sep::Spaces
                    && body.0 < body.1
                    && (!t.broken || record_like())
                    && map_row(text, range, &t.cols, self.cells, t.sep)
                {
                    self.push_row(&t.cols);
                    t.broken = false;
                } else {
                    t.broken = true;
                }
                return;
            }
            if rule_line(&text[body.0..body.1]) {
                return;
            }
        }
        // A header of single-spaced words is tried only over a line holding what a row of
        // personal data holds, a digit or a Han character: lines of prose words (most text)
        // are no header, and looking their first word up as a field name for each would
        // cost a plain text's scan twice its time.
        let single = || {
            next.is_some_and(|n| {
                text[n.0..n.1]
                    .iter()
                    .any(|&b| b.is_ascii_digit() || b >= 0x80)
            }) && single_spaced(&text[body.0..body.1])
        };
        let Some(sep) = sep.or_else(|| single().then_some(Sep::Single)) else {
            return;
        };
        // After a break a header may start another table; without one a line that splits
        // into the columns is a row.
        let tried = st.aligned.as_ref().is_none_or(|t| t.broken);
        if tried && self.open_table(range, sep, next, st) {
            return;
        }
        let Some(t) = &mut st.aligned else {
            return;
        };
        split(text, body_of(text, range, t.sep), t.sep, self.cells);
        // Fewer cells than columns: empty ones, or values that filled their columns. More:
        // no row of this table.
        let exact = self.cells.len() == t.cols.len();
        let fewer = self.cells.len() < t.cols.len();
        if (exact && (!t.broken || record_like()))
            || (fewer && !t.broken && map_row(text, range, &t.cols, self.cells, t.sep))
        {
            self.push_row(&t.cols);
            t.broken = false;
            return;
        }
        st.close_aligned();
        // Another table's header right under this one.
        if !tried {
            self.open_table(range, sep, next, st);
        }
    }

    /// Pairs for the cells of a row (in `cells`, one per column) under its columns' names,
    /// when pairs are emitted.
    fn push_row(&mut self, cols: &[Col]) {
        if self.emit {
            push_cells(cols.iter().map(|c| Some(c.rules)), self.cells, self.pairs);
        }
    }

    /// Opens an aligned table at `range` when the line is its header (`header`).
    fn open_table(
        &mut self,
        range: (usize, usize),
        sep: Sep,
        next: Option<(usize, usize)>,
        st: &mut State,
    ) -> bool {
        let text = self.text;
        let Some(cols) = self.header(body_of(text, range, sep), range.0, sep, next) else {
            return false;
        };
        st.aligned = Some(Aligned {
            sep,
            cols,
            broken: false,
        });
        st.aligned_head = text[range.0..range.1].to_vec();
        true
    }

    /// Reads a MyBatis line into `logs` (a statement with more than `placeholders_max`
    /// placeholders is not kept) and adds its pairs.
    fn mybatis(
        &mut self,
        marker: Marker,
        prefix: (usize, usize),
        list: (usize, usize),
        logs: &mut LogCarry,
        placeholders_max: usize,
    ) {
        let text = self.text;
        let (d, emit) = (self.d, self.emit);
        match marker {
            Marker::Columns => {
                let cols = self.header(list, list.0, Sep::Comma, None);
                logs.columns =
                    cols.map(|c| OwnedCols::new(c.iter().map(|c| Some(c.rules)), self.rules));
                logs.columns_head = if logs.columns.is_some() {
                    text[prefix.0..list.1].to_vec()
                } else {
                    Vec::new()
                };
            }
            Marker::Row => {
                split(text, list, Sep::Comma, self.cells);
                match &logs.columns {
                    _ if !emit => {}
                    Some(cols) if self.cells.len() == cols.ranges.len() => {
                        cols.push_pairs(self.cells, self.pairs, self.rules);
                    }
                    Some(_) => {}
                    // No `Columns:` line before it (another thread's, or cut off): a row
                    // holding an identifier is a record, its cells named by their shapes.
                    None => by_roles(d, text, self.cells, self.pairs, self.rules),
                }
            }
            Marker::Preparing => {
                let key = log_key(&text[prefix.0..prefix.1]);
                let cols = sql_placeholders(d, &text[list.0..list.1], self.rules)
                    .filter(|p| p.len() <= placeholders_max)
                    .map(|p| OwnedCols::new(p.into_iter(), self.rules));
                logs.prepare(key, &text[prefix.0..list.1], cols);
            }
            Marker::Parameters => {
                // The statement of the same thread and mapper, else the last one.
                let key = log_key(&text[prefix.0..prefix.1]);
                let ix = logs
                    .statements
                    .iter()
                    .rposition(|s| s.key == key)
                    .or_else(|| logs.statements.len().checked_sub(1));
                let statement = ix.map(|ix| logs.statements.remove(ix));
                parameters(text, list, self.cells);
                match statement {
                    _ if !emit => {}
                    Some(s) if self.cells.len() == s.cols.ranges.len() => {
                        s.cols.push_pairs(self.cells, self.pairs, self.rules);
                    }
                    _ => by_roles(d, text, self.cells, self.pairs, self.rules),
                }
            }
        }
    }

    /// A Hibernate `binding parameter [2] as [VARCHAR] - [张三]` line: the value of the
    /// logged statement's `?` number `ix` (from 1).
    fn hibernate(&mut self, (ix, value): (usize, Cell), st: &mut State) {
        if !self.emit {
            return;
        }
        if let Some(s) = st.logs.statements.iter().rfind(|s| s.key == HIBERNATE) {
            s.cols
                .push_one(ix.wrapping_sub(1), value, self.pairs, self.rules);
        }
    }

    /// Reads `range` as a header row (of the line starting at `ls`): its columns when it has
    /// two to `COLS_MAX` non-empty cells of at most `CELL_MAX` bytes, of which two name
    /// fields (a negative name such as `金额` counts: its column's numbers are no phones),
    /// or one names a field some rule listens to and the line below splits into as many
    /// cells (a table of one personal column: `序号 姓名 性别 金额`). A `Columns:` list
    /// (`next` is `None`) needs one name, and so does a carried header (the text is not
    /// `emit`ted: it was a header where it was read). The rules of every column are
    /// appended; nothing is kept when it is no header.
    fn header(
        &mut self,
        range: (usize, usize),
        ls: usize,
        sep: Sep,
        next: Option<(usize, usize)>,
    ) -> Option<Vec<Col>> {
        let text = self.text;
        split(text, range, sep, self.cells);
        if sep == Sep::Spaces {
            self.split_named_words();
        }
        let cells = &*self.cells;
        if !(2..=COLS_MAX).contains(&cells.len())
            || cells
                .iter()
                .any(|&(s, e)| s == e || e - s > CELL_MAX || value_cell(&text[s..e]))
        {
            return None;
        }
        let mark = self.rules.len();
        let (mut named, mut listened) = (0, 0);
        let mut cols = Vec::with_capacity(cells.len());
        for &(s, e) in cells.iter() {
            let from = self.rules.len();
            self.d.keys.lookup(&text[s..e], self.rules);
            // Words set apart by single spaces are a sentence's unless each names a field.
            if sep == Sep::Single && self.rules.len() == from {
                self.rules.truncate(mark);
                return None;
            }
            named += usize::from(self.rules.len() > from);
            listened += usize::from(!only_negative(&self.rules[from..]));
            cols.push(Col {
                at: if sep == Sep::Spaces {
                    position(text, ls, s)
                } else {
                    (0, 0)
                },
                rules: (from, self.rules.len()),
            });
        }
        let n = cols.len();
        let table = match next {
            _ if !self.emit || sep == Sep::Comma => named >= 1,
            Some(next) if sep == Sep::Single => {
                listened >= 1 && {
                    let below = trim(text, next);
                    below.0 < below.1 && self.fit_words(below, &cols)
                }
            }
            // Negative names count (`序号 金额 人口`: a table whose numbers are no phones).
            _ if named >= 2 => true,
            Some(next) if listened >= 1 && n >= 3 => {
                let below = trim(text, next);
                let mut row = Vec::new();
                split(text, body_of(text, next, sep), sep, &mut row);
                below.0 < below.1 && row.len() == n
            }
            // Two columns, one of them named, both written as identifiers (`taxpayerId
            // passport`): a fixed-width report when the line below starts its two cells in
            // the very display columns the header's start in. (`姓名    备注` over `王建国  …`
            // is as often a label and its value, one form line under another.)
            Some(next)
                if listened >= 1
                    && n == 2
                    && sep == Sep::Spaces
                    && cells.iter().all(|&(s, e)| {
                        text[s].is_ascii_alphabetic()
                            && text[s..e]
                                .iter()
                                .all(|&b| b.is_ascii_alphanumeric() || b == b'_')
                    }) =>
            {
                let mut row = Vec::new();
                split(text, body_of(text, next, sep), sep, &mut row);
                row.len() == 2
                    && row
                        .iter()
                        .zip(&cols)
                        .all(|(&(s, _), c)| position(text, next.0, s).1 == c.at.1)
            }
            _ => false,
        };
        if !table {
            self.rules.truncate(mark);
            return None;
        }
        Some(cols)
    }
}

impl Cx<'_> {
    /// A header cell of single-space-separated words that each name a field (`name id_card`)
    /// is that many columns: a report padded by characters leaves one space after a column
    /// whose values fill it, its header included. A column name in words (`Full name`, `Li
    /// Na`) stays one cell: every word must name a field, and be written as an identifier.
    fn split_named_words(&mut self) {
        let text = self.text;
        if !self.cells.iter().any(|&(s, e)| text[s..e].contains(&b' ')) {
            return;
        }
        let mut out: Vec<Cell> = Vec::with_capacity(self.cells.len() + 4);
        let mut scratch = Vec::new();
        let mut words = Vec::new();
        for &(s, e) in self.cells.iter() {
            let cell = &text[s..e];
            words.clear();
            push_words(text, (s, e), &mut words);
            let named = words.len() >= 2
                && words.iter().all(|&(ws, we)| {
                    scratch.clear();
                    identifier_word(&text[ws..we]) && {
                        self.d.keys.lookup(&text[ws..we], &mut scratch);
                        !scratch.is_empty()
                    }
                })
                // The words together may be one name (`mobile phone`, `id number`): a split
                // column cuts its values, and the table ends at its first row. Not when a
                // word is a machine's name (`id_card`), which holds no space.
                && (cell.contains(&b'_') || {
                    scratch.clear();
                    self.d.keys.lookup(cell, &mut scratch);
                    scratch.is_empty()
                });
            if named {
                out.extend_from_slice(&words);
            } else {
                out.push((s, e));
            }
        }
        *self.cells = out;
    }
}

impl Cx<'_> {
    /// Splits the row `body` of a table set apart by single spaces into one cell per column
    /// (in `cells`): its words, one a column, except that in a number's column (its name's
    /// rules are identifiers') a number written in groups (`440305 19501226 3813`,
    /// `6222 0809 1557 7769`) takes the groups after its first while the row has more
    /// words than columns left. Whether the words fit the columns exactly.
    fn fit_words(&mut self, body: Cell, cols: &[Col]) -> bool {
        let text = self.text;
        let mut words = Vec::new();
        push_words(text, body, &mut words);
        if words.len() < cols.len() {
            return false;
        }
        let digits = |(s, e): Cell| {
            text[s..e]
                .iter()
                .all(|&b| b.is_ascii_digit() || matches!(b, b'-' | b'X' | b'x'))
                && text[s].is_ascii_digit()
        };
        self.cells.clear();
        let mut w = 0;
        for (k, col) in cols.iter().enumerate() {
            let Some(&first) = words.get(w) else {
                return false;
            };
            let mut cell = first;
            w += 1;
            let number = self.rules[col.rules.0..col.rules.1]
                .iter()
                .any(|&r| r & super::NEG == 0 && self.d.names_identifier(r));
            if number && digits(first) {
                while words.len() - w > cols.len() - k - 1
                    && words.get(w).is_some_and(|&g| digits(g))
                {
                    cell.1 = words[w].1;
                    w += 1;
                }
            }
            self.cells.push(cell);
        }
        w == words.len()
    }
}

/// Whether a line may be the header of a table set apart by single spaces: two to 16 words,
/// each a name as a column is named (letters, digits, `_`, `-` or CJK), no digit run that
/// starts one (a row of values is no header), at most `LINE_MAX / 16` bytes.
fn single_spaced(line: &[u8]) -> bool {
    line.len() <= LINE_MAX / 16
        && memchr::memchr(b' ', line).is_some()
        && {
            let n = line.split(|&b| b == b' ').filter(|w| !w.is_empty()).count();
            (2..=16).contains(&n)
        }
        && line
            .split(|&b| b == b' ')
            .filter(|w| !w.is_empty())
            .all(|w| !w[0].is_ascii_digit() && identifier_word(w))
}

/// Whether a cell holds a run of five digits or more: a value (`SE9157250`, a date, an
/// amount), never a column's name, though the key lookup, which drops a name's numbering
/// (`lxdh2`), may find a name in its letters (`se`, a tax amount's field): a label and its
/// value on one line (`护照号码 SE9157250`) are no header over the next line's.
fn value_cell(cell: &[u8]) -> bool {
    let mut run = 0;
    cell.iter().any(|b| {
        run = if b.is_ascii_digit() { run + 1 } else { 0 };
        run >= 5
    })
}

/// The words of `(s, e)` in `text`, set apart by spaces or tabs, appended to `out`.
fn push_words(text: &[u8], (s, e): Cell, out: &mut Vec<Cell>) {
    let mut from = None;
    for (i, &b) in text[s..e]
        .iter()
        .enumerate()
        .chain(std::iter::once((e - s, &b' ')))
    {
        match (b == b' ' || b == b'\t', from) {
            (true, Some(f)) => {
                out.push((s + f, s + i));
                from = None;
            }
            (false, None) => from = Some(i),
            _ => {}
        }
    }
}

/// A column name written as an identifier (`id_card`, `mobileNo`, `姓名`): letters, digits,
/// `_`, `-` or CJK, and no sentence punctuation.
fn identifier_word(w: &[u8]) -> bool {
    w.len() <= CELL_MAX
        && w.iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-') || b >= 0x80)
        && std::str::from_utf8(w).is_ok_and(|s| {
            s.chars()
                .all(|c| c.is_ascii() || wide(u32::from(c)) && c.is_alphanumeric())
        })
}

/// Pairs for the cells of a record that names none of them, by their shapes
/// ([`crate::format::csv::record_roles`]): only when a cell is an identifier that makes the
/// cells a record (a resident ID, a mobile, a UnionPay card, a credit code).
fn by_roles(
    d: &Detectors,
    text: &[u8],
    cells: &[Cell],
    pairs: &mut Vec<Pair>,
    rules: &mut Vec<u32>,
) {
    let Some(roles) = crate::format::csv::record_roles(cells.iter().map(|&(s, e)| &text[s..e]))
    else {
        return;
    };
    for (role, &cell) in roles.iter().zip(cells) {
        if let Some(role) = role {
            push_named(d, role, cell, pairs, rules);
        }
    }
}

/// A pair for `cell` under the field name `key`.
fn push_named(d: &Detectors, key: &[u8], cell: Cell, pairs: &mut Vec<Pair>, rules: &mut Vec<u32>) {
    let from = rules.len();
    d.keys.lookup(key, rules);
    push_cells(std::iter::once(Some((from, rules.len()))), &[cell], pairs);
}

/// A numbered heading that is a person's name (`1、徐凤兰`, `2. 王建国`, `（三）李娜`,
/// `四、张伟`) above the lines that describe the person (`身份证号码：…`, `联系电话：…`):
/// the name's range. Lists of people in notices and e-mails are written this way.
fn heading_name(text: &[u8], line: (usize, usize), next: &[u8]) -> Option<(usize, usize)> {
    let (s, e) = trim(text, line);
    let l = &text[s..e];
    if l.len() > 32 {
        return None;
    }
    // The number: digits or Chinese numerals, possibly in brackets (`(1)`, `(三)`; the
    // full-width brackets are folded), or a circled digit (`①`).
    let open = usize::from(l.first() == Some(&b'('));
    let num = l[open..].iter().take_while(|b| b.is_ascii_digit()).count();
    let circled = std::str::from_utf8(&l[..l.len().min(3)])
        .ok()
        .and_then(|c| c.chars().next())
        .is_some_and(|c| ('\u{2460}'..='\u{2473}').contains(&c));
    let mut i = if circled {
        3
    } else if num > 0 {
        if num > 3 {
            return None;
        }
        open + num
    } else {
        let han = std::str::from_utf8(&l[open..])
            .ok()?
            .chars()
            .take_while(|c| "一二三四五六七八九十".contains(*c))
            .count();
        if han == 0 || han > 3 {
            return None;
        }
        open + han * 3
    };
    // The mark after the number: `、`, `.`, `)` (full-width forms are folded); a circled
    // digit needs none.
    if !circled {
        if l[i..].starts_with("、".as_bytes()) && open == 0 {
            i += 3;
        } else if l.get(i) == Some(&b')') || (open == 0 && l.get(i) == Some(&b'.')) {
            i += 1;
        } else {
            return None;
        }
    }
    while l.get(i) == Some(&b' ') {
        i += 1;
    }
    let name = &l[i..];
    if !crate::format::csv::name_shaped(name) {
        return None;
    }
    // The next line says what the heading is: an attribute of a person.
    let describes = [
        "身份证",
        "证件",
        "电话",
        "手机",
        "性别",
        "出生",
        "住址",
        "民族",
    ]
    .iter()
    .any(|w| memchr::memmem::find(next, w.as_bytes()).is_some());
    describes.then_some((s + i, e))
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
        Sep::Pipe | Sep::Comma | Sep::Single => trim(text, line),
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
        Sep::Single => push_words(text, (s, e), cells),
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
    before
        .chars()
        .fold((0, 0), |(n, w), c| (n + 1, w + width(c)))
}

/// How many columns a terminal gives `c`.
fn width(c: char) -> usize {
    if wide(u32::from(c)) {
        2
    } else {
        1
    }
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

/// Fits a row of an aligned table (`range`) to its columns when it does not split into one
/// cell per column (an empty cell, or a value that filled its column and left one space):
/// the row is cut where the header's columns start, counted in
/// characters or in display columns (a CJK character is two wide, as terminals and fixed-width
/// reports align it), whichever cuts every column between two words and starts more cells
/// exactly at their column. On success `cells` holds one (trimmed, maybe empty) range per
/// column.
fn map_row(
    text: &[u8],
    range: (usize, usize),
    cols: &[Col],
    cells: &mut Vec<Cell>,
    sep: Sep,
) -> bool {
    if sep != Sep::Spaces {
        return false;
    }
    let (ls, end) = trim_end(text, range);
    // A row has two words (a sentence under a table is no row, nor is a word).
    if memchr::memchr2(b' ', b'\t', &text[ls..end]).is_none() {
        return false;
    }
    let Ok(line) = std::str::from_utf8(&text[ls..end]) else {
        return false;
    };
    // The row's words: no column may be cut through one.
    let mut words: Vec<Cell> = Vec::new();
    push_words(text, (ls, end), &mut words);
    // A row needs two words (a sentence under a table is no row).
    if words.len() < 2 {
        return false;
    }
    let mut best: Option<(usize, Vec<Cell>)> = None;
    for metric in [1, 0] {
        let pick = |p: (usize, usize)| if metric == 0 { p.0 } else { p.1 };
        // The byte where each column starts in this row (the line's end past it).
        let mut cuts = Vec::with_capacity(cols.len());
        let mut pos = (0usize, 0usize);
        let mut chars = line.char_indices().peekable();
        let mut ok = true;
        for col in cols {
            let want = pick(col.at);
            while pick(pos) < want {
                match chars.next() {
                    Some((_, c)) => {
                        pos = (pos.0 + 1, pos.1 + width(c));
                    }
                    None => break,
                }
            }
            let at = chars.peek().map_or(line.len(), |&(i, _)| i);
            // Inside a wide character, or between two letters of one word: no cut here (a
            // cut at a space is: a value one column too wide pushes the next one on).
            let between_words = at == 0
                || at == line.len()
                || line.as_bytes()[at - 1] == b' '
                || line.as_bytes()[at] == b' ';
            if (pick(pos) != want && at < line.len()) || !between_words {
                ok = false;
                break;
            }
            cuts.push(at);
        }
        if !ok {
            continue;
        }
        let mut row = Vec::with_capacity(cols.len());
        let mut exact = 0;
        for (k, &c) in cuts.iter().enumerate() {
            let e = cuts.get(k + 1).copied().unwrap_or(line.len());
            let cell = trim(text, (ls + c, ls + e.max(c)));
            exact += usize::from(cell.0 == ls + c && cell.0 < cell.1);
            row.push(cell);
        }
        // Every word must lie in one column (no column cut through a word), and half the
        // columns must be filled, or every filled cell start exactly at its column (a
        // sparse record: `3   <blank>   131…   广西…`; a note under a table does not line up).
        let whole = words
            .iter()
            .all(|&(s, e)| row.iter().any(|&(rs, re)| rs <= s && e <= re));
        let filled = row.iter().filter(|c| c.0 < c.1).count();
        if whole
            && filled >= 2
            && (filled * 2 >= cols.len() || exact == filled)
            && best.as_ref().is_none_or(|(b, _)| exact > *b)
        {
            best = Some((exact, row));
        }
    }
    match best {
        Some((_, row)) => {
            *cells = row;
            true
        }
        None => false,
    }
}

/// A range without the spaces and tabs at its end.
fn trim_end(text: &[u8], (s, mut e): (usize, usize)) -> (usize, usize) {
    while e > s && matches!(text[e - 1], b' ' | b'\t') {
        e -= 1;
    }
    (s, e)
}

/// The rules a SQL column name gives context to, as a range of `rules` (empty when none):
/// without its table (`t.xm`) and its quotes (`` `xm` ``, `"xm"`, `[xm]`). `None` for no name.
fn column_rules(d: &Detectors, name: &[u8], rules: &mut Vec<u32>) -> Option<(usize, usize)> {
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
}

/// Most tuples of one INSERT read (a dump's batch insert): the rest of a longer one is text.
const INSERT_TUPLES_MAX: usize = 10_000;

/// Pairs of the literal values of the `INSERT INTO t (c1, c2, …) VALUES (v1, v2, …), (…)`
/// statements in `text` (an audit log's statement, a SQL dump, a remark that quotes one),
/// each value under its column's rules: `INSERT INTO t_person (id, xm, sfzh) VALUES (1,
/// '冯国燕', '1101…')` says whose name and number these are as a JSON record would. Values
/// are quoted (`'…'`, a doubled or backslashed quote inside) or bare (numbers); `NULL`, a
/// function call or a nested select gives no pair. A statement without a column list names
/// nothing. (Prepared statements with `?` are read with their bindings elsewhere.)
pub(super) fn sql_insert_pairs(
    d: &Detectors,
    text: &[u8],
    pairs: &mut Vec<Pair>,
    rules: &mut Vec<u32>,
) {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let keyword_at = |p: usize, k: &[u8]| {
        text.get(p..p + k.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(k))
            && (p == 0 || !word(text[p - 1]))
            && !text.get(p + k.len()).is_some_and(|&b| word(b))
    };
    let mut from = 0;
    while let Some(off) = memchr::memchr2(b'i', b'I', &text[from..]) {
        let ins = from + off;
        from = ins + 1;
        if !keyword_at(ins, b"insert") {
            continue;
        }
        // INTO, the table's name, the column list in brackets, VALUES.
        let p = skip_ascii_space(text, ins + 6);
        if !keyword_at(p, b"into") {
            continue;
        }
        let p = skip_ascii_space(text, p + 4);
        let Some(open) = text[p..]
            .iter()
            .take(128)
            .position(|&b| b == b'(')
            .map(|o| p + o)
        else {
            continue;
        };
        // A table's name has no space inside (quoted names aside): what stands before the
        // bracket is it.
        if text[p..open].trim_ascii().contains(&b' ') {
            continue;
        }
        let Some(close) = text[open..]
            .iter()
            .take(4096)
            .position(|&b| b == b')')
            .map(|c| open + c)
        else {
            continue;
        };
        let v = skip_ascii_space(text, close + 1);
        if !keyword_at(v, b"values") {
            continue;
        }
        let cols: Vec<Option<(usize, usize)>> = text[open + 1..close]
            .split(|&b| b == b',')
            .map(|name| column_rules(d, name.trim_ascii(), rules).filter(|r| r.0 < r.1))
            .collect();
        if cols.iter().all(Option::is_none) {
            continue;
        }
        from = insert_tuples(text, skip_ascii_space(text, v + 6), &cols, pairs)
            .clamp(from, text.len());
    }
}

/// The first position at or after `p` that is not ASCII white space (`text.len()` at most).
fn skip_ascii_space(text: &[u8], mut p: usize) -> usize {
    while p < text.len() && text[p].is_ascii_whitespace() {
        p += 1;
    }
    p
}

/// The tuples of an INSERT from `p` (at its first bracket): pairs for their values under
/// `cols`. Returns where reading stopped.
fn insert_tuples(
    text: &[u8],
    mut p: usize,
    cols: &[Option<(usize, usize)>],
    pairs: &mut Vec<Pair>,
) -> usize {
    for _ in 0..INSERT_TUPLES_MAX {
        if text.get(p) != Some(&b'(') {
            return p;
        }
        p += 1;
        let mut index = 0;
        loop {
            p = skip_ascii_space(text, p);
            let Some(&b) = text.get(p) else {
                return p;
            };
            // One value: quoted, bare, or something else (a call, a select) skipped to the
            // next comma or bracket at this level.
            let mut value = None;
            if b == b'\'' {
                let s = p + 1;
                let mut q = s;
                loop {
                    match text.get(q) {
                        None => return q,
                        Some(b'\\') => q += 2,
                        Some(b'\'') if text.get(q + 1) == Some(&b'\'') => q += 2,
                        Some(b'\'') => break,
                        Some(_) => q += 1,
                    }
                }
                value = Some((s, q));
                p = q + 1;
            } else {
                let s = p;
                let mut depth = 0usize;
                while let Some(&c) = text.get(p) {
                    match c {
                        b'(' => depth += 1,
                        b')' if depth == 0 => break,
                        b')' => depth -= 1,
                        b',' if depth == 0 => break,
                        b'\'' => return p,
                        _ => {}
                    }
                    p += 1;
                }
                let tok = text[s..p].trim_ascii();
                if !tok.is_empty()
                    && tok.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'.')
                    && !tok.eq_ignore_ascii_case(b"null")
                {
                    let ts = s + (text[s..p].len() - text[s..p].trim_ascii_start().len());
                    value = Some((ts, ts + tok.len()));
                }
            }
            if let (Some((s, e)), Some(Some(rules))) = (value, cols.get(index)) {
                if s < e && e - s <= super::PAIR_MAX {
                    pairs.push(Pair {
                        start: s,
                        end: e,
                        rules: *rules,
                        generic: false,
                    });
                }
            }
            index += 1;
            p = skip_ascii_space(text, p);
            match text.get(p) {
                Some(b',') => p += 1,
                Some(b')') => {
                    p += 1;
                    break;
                }
                _ => return p,
            }
        }
        // `, (` for the next tuple; anything else ends the statement.
        p = skip_ascii_space(text, p);
        if text.get(p) != Some(&b',') {
            return p;
        }
        p += 1;
        p = skip_ascii_space(text, p);
    }
    p
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
                    generic: false,
                });
            }
        }
    }
}

/// Whether `line` is a MyBatis log line (`==> Parameters: …`, `<==        Row: …`): its
/// cells are read under its statement's columns, not judged as a record row of their own.
pub(crate) fn log_line(line: &[u8]) -> bool {
    mybatis(line, (0, line.len())).is_some()
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
/// `<==        Row: …`): which one, where its arrow is and where its list starts.
fn mybatis(text: &[u8], (s, e): (usize, usize)) -> Option<(Marker, usize, usize)> {
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
    Some((marker, s + arrow, s + i + word.len()))
}

/// What tells the statements of an interleaved log apart: a line's prefix before its arrow
/// without the date and time (`DEBUG [exec-1] c.g.PersonMapper.insert :`), so a thread's
/// `Parameters:` finds its own `Preparing:`.
fn log_key(prefix: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(prefix.len());
    for token in prefix.split(|&b| b == b' ').filter(|t| !t.is_empty()) {
        let bare = token
            .strip_prefix(b"[")
            .unwrap_or(token)
            .strip_suffix(b"]")
            .unwrap_or(token);
        let time = bare.iter().any(u8::is_ascii_digit)
            && bare.iter().all(|b| {
                b.is_ascii_digit()
                    || matches!(b, b'-' | b':' | b'.' | b',' | b'T' | b'Z' | b'+' | b'[')
            });
        if !time {
            key.extend_from_slice(token);
            key.push(b' ');
        }
    }
    key
}

/// The key of the statement a Hibernate log's bindings belong to.
const HIBERNATE: &[u8] = b"\0hibernate";

/// Where the SQL statement of a line that logs one with placeholders starts: after
/// `Hibernate: ` or at its `insert`, `update`, `select` or `delete` keyword.
fn logged_sql(text: &[u8], (s, e): (usize, usize)) -> Option<usize> {
    let line = &text[s..e];
    memchr::memchr(b'?', line)?;
    // Every keyword holds an `e`: a question in prose leaves here, before any search.
    if !line.iter().any(|&b| b | 0x20 == b'e') {
        return None;
    }
    if let Some(p) = memchr::memmem::find(line, b"Hibernate: ") {
        return Some(s + p + "Hibernate: ".len());
    }
    let lower = line.to_ascii_lowercase();
    [
        &b"insert into "[..],
        b"update ",
        b"select ",
        b"delete from ",
    ]
    .iter()
    .filter_map(|k| memchr::memmem::find(&lower, k))
    .filter(|&p| p == 0 || !lower[p - 1].is_ascii_alphanumeric())
    .min()
    .map(|p| s + p)
}

/// A Hibernate parameter binding: `binding parameter [2] as [VARCHAR] - [张三]` (Hibernate
/// 5) or `binding parameter (2:VARCHAR) <- [张三]` (Hibernate 6): the parameter's number
/// and the value's range.
fn hibernate_value(text: &[u8], (s, e): (usize, usize)) -> Option<(usize, Cell)> {
    let line = &text[s..e];
    // Ends in the value's bracket: most lines leave here, before a search.
    if line.last() != Some(&b']') {
        return None;
    }
    let at = memchr::memmem::find(line, b"binding parameter ")? + "binding parameter ".len();
    let rest = &line[at..];
    let digits = rest
        .get(1..)?
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if !matches!(rest.first(), Some(b'[' | b'(')) || digits == 0 {
        return None;
    }
    let ix: usize = std::str::from_utf8(&rest[1..1 + digits])
        .ok()?
        .parse()
        .ok()?;
    // The value is the last bracketed part of the line.
    let close = line.len() - 1;
    let open = memchr::memrchr(b'[', &line[..close])?;
    (open > at + digits).then_some((ix, (s + open + 1, s + close)))
}

/// The values of a `Parameters:` line: `张三(String), 110…(String), null, 3(Integer)`, each
/// without its type, and without the `%` of a `LIKE` pattern (`%李秀英%(String)`). MyBatis
/// joins them with `, `; a value holding `, ` is told apart by the type that ends each value.
fn parameters(text: &[u8], (s, e): (usize, usize), cells: &mut Vec<Cell>) {
    cells.clear();
    let line = &text[s..e];
    // The value's end without its `(Type)`, when it has one.
    let typed = |a: usize, b: usize| -> Option<usize> {
        let inner = line[a..b].strip_suffix(b")")?;
        let open = memchr::memrchr(b'(', inner)?;
        let ty = &inner[open + 1..];
        (!ty.is_empty() && ty.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'.'))
            .then_some(a + open)
    };
    let push = |a: usize, b: usize, cells: &mut Vec<Cell>| {
        let end = typed(a, b).unwrap_or(b);
        let (mut cs, mut ce) = trim(text, (s + a, s + end));
        if &text[cs..ce] == b"null" {
            ce = cs;
        }
        while cs < ce && text[cs] == b'%' {
            cs += 1;
        }
        while ce > cs && text[ce - 1] == b'%' {
            ce -= 1;
        }
        cells.push((cs, ce));
    };
    let mut from = 0;
    for p in memchr::memmem::find_iter(line, b", ") {
        // Split after a typed value or a null only: `备注, 已核实(String)` is one value.
        let v = &line[from..p];
        if typed(from, p).is_some() || v.trim_ascii() == b"null" {
            push(from, p, cells);
            from = p + 2;
        }
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
    let lookup = |name: &[u8], rules: &mut Vec<u32>| column_rules(d, name, rules);
    // INSERT INTO t (a, b) VALUES (?, ?), (?, ?)
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let values = memchr::memmem::find_iter(&lower, b"values")
        .find(|&p| (p == 0 || !word(lower[p - 1])) && !lower.get(p + 6).is_some_and(|&b| word(b)));
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
    let mut index = 0usize;
    let mut quoted = false;
    // Open parentheses, innermost last; how many `?` were read back from (each reads back
    // over its list, so a statement of thousands would cost their square: past
    // `COMPARED_MAX` a `?` outside an INSERT's tuples names nothing).
    let mut parens: Vec<usize> = Vec::new();
    let mut compared = 0;
    for (i, &b) in sql.iter().enumerate() {
        if quoted {
            quoted = b != b'\'';
            continue;
        }
        match b {
            b'\'' => quoted = true,
            b'(' => {
                parens.push(i);
                if parens.len() == 1 {
                    index = 0;
                }
            }
            b')' => {
                parens.pop();
            }
            b',' if parens.len() == 1 => index += 1,
            b'?' => {
                let col = match &insert_cols {
                    Some((v, names)) if i > *v && !parens.is_empty() && !names.is_empty() => {
                        names[index % names.len()]
                    }
                    _ if compared < COMPARED_MAX => {
                        compared += 1;
                        compared_column(&lower, i, parens.last().copied())
                            .and_then(|(s, e)| lookup(&sql[s..e], rules))
                    }
                    _ => None,
                };
                out.push(col);
            }
            _ => {}
        }
    }
    Some(out)
}

/// The column a `?` at `q` is compared with or set to: the identifier before `=`, `<>`,
/// `!=`, `>=`, `<=`, `>`, `<`, `like` or `in (` (in `lower`, the statement in lower case);
/// for a `?` inside `concat(…)`, the column the whole call is compared with (`xm LIKE
/// CONCAT('%', ?, '%')`); for one inside another function call, the column among its
/// arguments (`INSTR(xm, ?) > 0`, `LOCATE(?, t.dz)`).
fn compared_column(lower: &[u8], q: usize, paren: Option<usize>) -> Option<(usize, usize)> {
    let back_spaces = |mut i: usize| {
        while i > 0 && lower[i - 1] == b' ' {
            i -= 1;
        }
        i
    };
    let ident = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'`');
    if let Some(open) = paren {
        let mut ns = open;
        while ns > 0 && ident(lower[ns - 1]) {
            ns -= 1;
        }
        match &lower[ns..open] {
            b"concat" => return compared_column(lower, ns, enclosing_paren(lower, ns)),
            b"" | b"in" | b"and" | b"or" | b"not" | b"values" | b"exists" | b"where" => {}
            _ => {
                // A function's arguments: the one that is a column name.
                let close = memchr::memchr(b')', &lower[q..]).map_or(lower.len(), |p| q + p);
                return lower[open + 1..close]
                    .split(|&b| b == b',')
                    .scan(open + 1, |at, arg| {
                        let start = *at;
                        *at += arg.len() + 1;
                        Some((start, arg))
                    })
                    .find_map(|(start, arg)| {
                        let t = arg.trim_ascii();
                        let lead = arg.len() - arg.trim_ascii_start().len();
                        (!t.is_empty() && t.iter().all(|&b| ident(b)) && t[0].is_ascii_alphabetic())
                            .then(|| (start + lead, start + lead + t.len()))
                    });
            }
        }
    }
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

/// The `(` of the innermost parenthesis open at `q`, if any (for a `concat(` call, read
/// once per `?` it holds).
fn enclosing_paren(lower: &[u8], q: usize) -> Option<usize> {
    let mut depth = 0usize;
    for j in (0..q).rev() {
        match lower[j] {
            b')' => depth += 1,
            b'(' if depth == 0 => return Some(j),
            b'(' => depth -= 1,
            _ => {}
        }
    }
    None
}
