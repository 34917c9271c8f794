//! CSV lexer (RFC 4180: `"`-quoted fields with `""` escapes, CRLF or LF rows), with the
//! delimiter read off the header row: comma, tab (TSV, `text/tab-separated-values`),
//! semicolon, pipe, and the `^`, `~` and `\x01` of database and Hive exports. The header
//! row names the columns; each later field gets its column's name as context. Header cells
//! are scanned too (a header can leak a value as easily as a cell).
//!
//! An export without a header row (its first row holds a resident ID, a mobile, a card or a
//! credit code, which no column name is) names no columns, so names, addresses and
//! certificate numbers would have no context. There each row is read whole first (bounded):
//! a row that holds one of those identifiers is a person's or a company's record, and its
//! other cells get the role their shape says (a whole cell that is a surname and a given
//! name, an address, a certificate number, a telephone number) as their field name. A row
//! without such an identifier gives no roles: shapes alone are not enough.

use super::push_plain;
use crate::dict;
use crate::stream::{Esc, SegKind, Segmenter};
use crate::validate;

const MAX_COLUMNS: usize = 1024;
/// Bytes of the header row looked at to choose the delimiter; a longer first line is read
/// as comma-separated.
const HEADER_SNIFF: usize = 8 * 1024;
/// Delimiters, in the order a tie is settled: those of CSV and TSV files and of database
/// and Hadoop exports (`|`, `^`, `~`, and Hive's default `\x01`).
const DELIMITERS: [u8; 7] = [b',', b'\t', b';', b'|', 0x01, b'^', b'~'];

/// Bytes a delimiter of several bytes is made of (`@|@`, `|+|`, `#|#`, `@#@`, `:|:`: ETL
/// tools such as DataX and Kettle write these so that no value holds them).
const MULTI_BYTES: &[u8] = b"|@#$^~+:,;\t\x01&";

/// A field delimiter: one byte, or two to four (a run of [`MULTI_BYTES`] of two kinds at
/// least). The zero value (no bytes) is "not chosen yet".
#[derive(Default, Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Delim {
    bytes: [u8; 4],
    len: u8,
}

impl Delim {
    const fn one(b: u8) -> Self {
        Delim {
            bytes: [b, 0, 0, 0],
            len: 1,
        }
    }

    fn many(s: &[u8]) -> Self {
        let mut bytes = [0; 4];
        bytes[..s.len()].copy_from_slice(s);
        Delim {
            bytes,
            len: s.len() as u8,
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// Its first byte, the one the lexer searches for.
    pub(crate) fn first(self) -> u8 {
        self.bytes[0]
    }

    pub(crate) fn len(self) -> usize {
        usize::from(self.len)
    }

    fn is_set(self) -> bool {
        self.len > 0
    }

    /// Whether the delimiter starts at `t[i]`: `None` when `t` ends inside what may still
    /// be it.
    fn at(self, t: &[u8], i: usize) -> Option<bool> {
        let s = self.as_bytes();
        let have = t.get(i..t.len().min(i + s.len())).unwrap_or_default();
        if have.len() < s.len() {
            if s.starts_with(have) {
                None
            } else {
                Some(false)
            }
        } else {
            Some(have == s)
        }
    }

    /// Whether the delimiter is whole at `t[i]`.
    pub(crate) fn is_at(self, t: &[u8], i: usize) -> bool {
        self.at(t, i) == Some(true)
    }

    /// Where the delimiter first occurs in `t`.
    fn find(self, t: &[u8]) -> Option<usize> {
        match self.len {
            1 => memchr::memchr(self.bytes[0], t),
            _ => memchr::memmem::find(t, self.as_bytes()),
        }
    }

    /// How many times it occurs in `t` (not overlapping).
    fn count(self, t: &[u8]) -> usize {
        match self.len {
            1 => memchr::memchr_iter(self.bytes[0], t).count(),
            _ => memchr::memmem::find_iter(t, self.as_bytes()).count(),
        }
    }

    /// The pieces of `t` between delimiters (quotes not regarded).
    fn split(self, t: &[u8]) -> impl Iterator<Item = &[u8]> {
        let mut rest = Some(t);
        std::iter::from_fn(move || {
            let r = rest?;
            match self.find(r) {
                Some(p) => {
                    rest = Some(&r[p + self.len()..]);
                    Some(&r[..p])
                }
                None => {
                    rest = None;
                    Some(r)
                }
            }
        })
    }
}

/// The delimiter of a header row: a run of two to four bytes that recurs between its cells
/// (`姓名@|@身份证号@|@住址`) when it occurs more often than any one-byte delimiter outside
/// it, else the one-byte candidate it holds most often outside quotes (comma when it holds
/// none). A run of one byte repeated (`||`, `,,`) is no such delimiter: it is read as the
/// byte with empty cells between, which keeps the columns in step all the same.
pub(crate) fn delimiter(line: &[u8]) -> Delim {
    let mut counts = [0usize; DELIMITERS.len()];
    // Runs of several delimiter bytes and how often each occurs.
    let mut runs: Vec<(&[u8], usize)> = Vec::new();
    let mut quoted = false;
    let mut i = 0;
    while i < line.len() {
        let b = line[i];
        if b == b'"' {
            quoted = !quoted;
            i += 1;
            continue;
        }
        if quoted {
            i += 1;
            continue;
        }
        let n = line[i..]
            .iter()
            .take_while(|&&c| MULTI_BYTES.contains(&c))
            .count();
        let run = &line[i..i + n];
        if (2..=4).contains(&n) && run.iter().any(|&c| c != run[0]) {
            if let Some(k) = runs.iter().position(|(r, _)| *r == run) {
                runs[k].1 += 1;
            } else if runs.len() < 8 {
                runs.push((run, 1));
            }
        }
        for &c in &line[i..i + n.max(1)] {
            if let Some(k) = DELIMITERS.iter().position(|&d| d == c) {
                counts[k] += 1;
            }
        }
        i += n.max(1);
    }
    let mut best = 0;
    for k in 1..DELIMITERS.len() {
        if counts[k] > counts[best] {
            best = k;
        }
    }
    // The most frequent run (the first one on a tie), against the one-byte candidates
    // counted outside its occurrences.
    if let Some(&(run, n)) = runs.iter().fold(None, |m: Option<&(&[u8], usize)>, r| {
        if m.is_some_and(|m| m.1 >= r.1) {
            m
        } else {
            Some(r)
        }
    }) {
        let mut outside = counts;
        for &c in run {
            if let Some(k) = DELIMITERS.iter().position(|&d| d == c) {
                outside[k] -= n.min(outside[k]);
            }
        }
        if outside.iter().all(|&c| c < n) {
            return Delim::many(run);
        }
    }
    Delim::one(DELIMITERS[best])
}

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum St {
    #[default]
    FieldStart,
    Quoted,
    Bare,
    AfterQuote,
    /// Text after a closing quote (`"张三"11010519491231002X`, a log's `"sfzh":"3101…"}`),
    /// or after a lone CR inside a bare cell, up to the delimiter: a reader of the CSV keeps
    /// it (Python's `csv` appends it to the cell, a lone CR starts a row there), so it is
    /// read as a value of the same column, never skipped.
    Trailing,
}

/// The field names a headerless export's record gives its cells by their shape: names the
/// built-in packs know for each role.
const ROLE_NAME: &[u8] = "姓名".as_bytes();
const ROLE_ADDRESS: &[u8] = "住址".as_bytes();
const ROLE_CERTIFICATE: &[u8] = "证件号码".as_bytes();
const ROLE_PHONE: &[u8] = "联系电话".as_bytes();
const ROLE_PLATE: &[u8] = "车牌号".as_bytes();

/// Bytes of a headerless export's row read ahead for its roles; a longer row gets none.
/// The header row's wait (`HEADER_SNIFF`) reads the same, so row 0 keeps the roles it gave.
const ROW_AHEAD: usize = HEADER_SNIFF;

#[derive(Default)]
pub(crate) struct CsvLexer {
    /// The field delimiter, none until the header row has been seen.
    delim: Delim,
    st: St,
    row: u64,
    col: usize,
    headers: Vec<Vec<u8>>,
    /// The row that names the columns: 0, or the row after an export's title, export time
    /// or blank lines ([`header_line`]).
    header_row: u64,
    /// The first row is data: no column names, roles per record instead.
    headerless: bool,
    /// The roles of row `roles_row`'s cells (empty: none).
    roles: Vec<Option<&'static [u8]>>,
    roles_row: Option<u64>,
    /// Row `lone_row` holds no delimiter at all while the header names two columns or more:
    /// a note, a sub-heading or a sentence under the table (`经核实，当事人现居住于…`), not a
    /// record whose one field is the first column's.
    lone: bool,
    lone_row: Option<u64>,
    /// The group row above a two-level header (`序号,基本信息,,` over `,姓名,住址,`, an
    /// export of merged header cells): a column the header row leaves blank is named here.
    group: Vec<Vec<u8>>,
    /// The rows are labels and their values side by side (`姓名<TAB>王兵`, a report saved
    /// as text, whose first row is no header: [`pair_rows`]): a cell in an odd column is
    /// read under the label before it in its row (`pair_keys`, read for row `pair_row`).
    pairs: bool,
    pair_keys: Vec<Vec<u8>>,
    pair_row: Option<u64>,
    /// A cell of this row under a code's column held an administrative-division code
    /// (`code,name` over `330700,金华`): a division's row, whose `name` cell is a place's,
    /// as in JSON ([`super::DIV_ROW`]; [`super::DIV_AFTER`] when taken from the row before, until a code
    /// of another kind undoes it).
    division: u8,
    /// The columns of a generic `name` or `address` in a table whose other columns say its
    /// rows are organisations' ([`super::organisation_columns`]): judged under no key, as
    /// an organisation's `name` in JSON is. Set when the header row ends.
    owned: Vec<bool>,
}

impl CsvLexer {
    fn key(&self) -> Option<&[u8]> {
        if self.pairs {
            if self.row < self.header_row || self.col.is_multiple_of(2) {
                return None;
            }
            return self
                .pair_keys
                .get(self.col - 1)
                .filter(|k| !k.is_empty())
                .map(Vec::as_slice);
        }
        if self.headerless {
            self.roles.get(self.col).copied().flatten()
        } else if self.row <= self.header_row || (self.lone && self.lone_row == Some(self.row)) {
            None
        } else {
            self.headers
                .get(self.col)
                .filter(|h| !h.is_empty())
                .or_else(|| self.group.get(self.col).filter(|h| !h.is_empty()))
                .map(Vec::as_slice)
                // A division's row's `name` is a place's (see `JsonLexer::key_in`), an
                // organisation's `name` and `address` its own.
                .filter(|h| self.division == 0 || !super::name_member(h))
                .filter(|_| self.owned.get(self.col) != Some(&true))
        }
    }

    /// A data cell held `v`: under a code's column, a division code makes the row a
    /// division's, another value undoes one taken from the row before.
    fn note_cell(&mut self, v: &[u8]) {
        // (The value's shape first: this runs for every cell.)
        if self.headerless || self.pairs || self.row <= self.header_row {
            return;
        }
        if let Some(h) = self.headers.get(self.col) {
            super::note_division(&mut self.division, h, v.trim_ascii());
        }
    }

    fn field_done(&mut self, seg: &Segmenter, had_segment: bool) {
        if had_segment {
            self.note_cell(seg.last_head());
        }
        if self.row == self.header_row
            && !self.headerless
            && !self.pairs
            && self.headers.len() < MAX_COLUMNS
        {
            let name = if had_segment {
                seg.last_head().to_vec()
            } else {
                Vec::new()
            };
            let trimmed: Vec<u8> = name.trim_ascii().to_vec();
            self.headers.push(trimmed);
        }
    }

    pub(crate) fn lex(&mut self, buf: &[u8], base: u64, eof: bool, seg: &mut Segmenter) -> usize {
        let len = buf.len();
        if !self.delim.is_set() {
            // Wait for the whole header row (bounded) before reading anything.
            let sniff = &buf[..len.min(HEADER_SNIFF)];
            let complete = eof || len >= HEADER_SNIFF;
            let Some((mut start, mut first, mut header_row)) = header_line(sniff, complete) else {
                return 0;
            };
            // A first line that names one column and leaves the rest blank
            // (`"姓名","",""`) is the header, not an export's title: its name is a field's.
            if header_row > 0 {
                let line0 = sniff.split(|&b| b == b'\n').next().unwrap_or_default();
                let row = cells(line0, delimiter(line0));
                if known_cells(&row, |k| seg.knows_key(k)) > 0 {
                    (start, first, header_row) = (0, line0, 0);
                }
            }
            self.delim = delimiter(first);
            self.header_row = header_row;
            let after = sniff.get(start + first.len() + 1..).unwrap_or_default();
            // Labels beside values (`姓名<TAB>王兵`, `电话<TAB>138…`), whose first row may
            // hold an identifier and read as a record: the first cells of the rows under it
            // tell (up to `PAIR_ROWS` whole lines of the sniffed bytes).
            // A name rules only veto under counts as a label in an odd column too, as it
            // does at the head of a row below (`pair_rows`): `zb,revenue,unit,year` over
            // `旅客运输量,14701981028,…` is a header over measures, whose row labels (`*人口`,
            // `*投资`) read as labels would have named the other rows' values (`旅客运输量`)
            // and made mobiles of them.
            if pair_candidate(first, self.delim, |k| seg.knows_key(k)) {
                let mut rows = Vec::new();
                let mut rest = after;
                while rows.len() < PAIR_ROWS {
                    match memchr::memchr(b'\n', rest) {
                        Some(p) => {
                            rows.push(&rest[..p]);
                            rest = &rest[p + 1..];
                        }
                        None if complete => {
                            if !rest.is_empty() {
                                rows.push(rest);
                            }
                            break;
                        }
                        None => {
                            self.delim = Delim::default();
                            return 0;
                        }
                    }
                }
                // A label a rule only vetoes under (`traceId`, `rowId`, `amount`) is a label
                // too: beside its value it says what the value is not.
                self.pairs = pair_rows(first, &rows, self.delim, |k| seg.knows_key(k));
            }
            // A first row that is a record is no header; its roles serve row 0 (it is the
            // same line the row-by-row wait below would read: both stop at 8 KiB).
            let roles = if self.pairs {
                None
            } else {
                row_roles(first, self.delim)
            };
            if let Some(roles) = roles {
                self.headerless = true;
                self.roles = roles;
                self.roles_row = Some(self.header_row);
            } else if !self.pairs {
                let next = match memchr::memchr(b'\n', after) {
                    Some(p) => &after[..p],
                    None if complete => after,
                    None => {
                        self.delim = Delim::default();
                        return 0;
                    }
                };
                if let Some(group) = group_row(first, next, self.delim, |k| seg.knows_key(k)) {
                    self.group = group;
                    self.header_row += 1;
                }
            }
        }
        let d = self.delim;
        let (d0, dlen) = (d.first(), d.len());
        let mut i = 0;
        while i < len {
            match self.st {
                St::FieldStart => {
                    if self.headerless && self.col == 0 && self.roles_row != Some(self.row) {
                        // A record's roles come from the whole row: wait for it (bounded).
                        let Some(line) = row_ahead(&buf[i..], eof) else {
                            return i;
                        };
                        self.roles = row_roles(line, d).unwrap_or_default();
                        self.roles_row = Some(self.row);
                    }
                    if self.pairs
                        && self.col == 0
                        && self.row >= self.header_row
                        && self.pair_row != Some(self.row)
                    {
                        // The row's labels, from its whole line as for roles.
                        let Some(line) = row_ahead(&buf[i..], eof) else {
                            return i;
                        };
                        self.pair_keys = pair_labels(line, d);
                        self.pair_row = Some(self.row);
                    }
                    if !self.headerless
                        && self.col == 0
                        && self.row > self.header_row
                        && self.headers.len() >= 2
                        && self.lone_row != Some(self.row)
                    {
                        // Whether the row has a second field: wait for its line (bounded;
                        // a row longer than that is taken as a record).
                        let ahead = &buf[i..len.min(i + ROW_AHEAD)];
                        // A quoted first field may hold line breaks of its own: a record.
                        self.lone = ahead.first() != Some(&b'"')
                            && match memchr::memchr(b'\n', ahead) {
                                Some(p) => d.find(&ahead[..p]).is_none(),
                                None if eof => d.find(ahead).is_none(),
                                None if ahead.len() == ROW_AHEAD => false,
                                None => return i,
                            };
                        self.lone_row = Some(self.row);
                    }
                    // A byte-order mark (Excel's "CSV UTF-8") is no part of the first column's
                    // name: `\u{FEFF}"xm"` would name no field, and the column's values would
                    // lose their context.
                    if base + i as u64 == 0 {
                        const BOM: &[u8] = b"\xEF\xBB\xBF";
                        let have = &buf[i..len.min(i + BOM.len())];
                        if have.len() < BOM.len() && BOM.starts_with(have) && !eof {
                            return i;
                        }
                        if have == BOM {
                            i += BOM.len();
                            continue;
                        }
                    }
                    let b = buf[i];
                    // A delimiter of several bytes cut by the buffer's end waits for the rest.
                    let at_delim = b == d0
                        && (dlen == 1
                            || match d.at(buf, i) {
                                None if !eof => return i,
                                r => r == Some(true),
                            });
                    match b {
                        _ if at_delim => {
                            self.field_done(seg, false);
                            self.col += 1;
                            i += dlen;
                        }
                        b'\n' => {
                            self.field_done(seg, false);
                            self.row_done(seg);
                            i += 1;
                        }
                        b'\r' => i += 1,
                        b'"' => {
                            if let Some(next) = self.quick_quoted(buf, i, base, eof, seg) {
                                // As after the full path's closing quote: the rest up to the
                                // delimiter is skipped.
                                self.st = St::AfterQuote;
                                i = next;
                                continue;
                            }
                            seg.begin(SegKind::CsvQuoted, base + i as u64 + 1, self.key());
                            self.st = St::Quoted;
                            i += 1;
                        }
                        _ => {
                            if let Some(sep) = self.quick_bare(buf, i, base, seg) {
                                self.st = St::AfterQuote;
                                self.after_field(buf[sep], seg);
                                i = sep + if buf[sep] == d0 { dlen } else { 1 };
                                continue;
                            }
                            seg.begin(SegKind::CsvBare, base + i as u64, self.key());
                            self.st = St::Bare;
                        }
                    }
                }
                St::Bare | St::Trailing => match memchr::memchr3(d0, b'\n', b'\r', &buf[i..]) {
                    None => return push_plain(buf, i, len, base, eof, seg),
                    Some(p) => {
                        if p > 0 {
                            seg.plain(&buf[i..i + p], base + i as u64);
                        }
                        i += p;
                        if dlen > 1 && buf[i] == d0 {
                            match d.at(buf, i) {
                                // Perhaps the delimiter, cut: wait for the rest.
                                None if !eof => return i,
                                Some(true) => {}
                                // Its first byte in a value (`@` in an e-mail address).
                                _ => {
                                    seg.plain(&buf[i..i + 1], base + i as u64);
                                    i += 1;
                                    continue;
                                }
                            }
                        }
                        seg.end(base + i as u64);
                        // Text after a quote is no field of its own: its column's field
                        // (a header's name) was done at the quote.
                        if self.st == St::Bare {
                            self.field_done(seg, true);
                        }
                        self.st = St::AfterQuote;
                        // Reuse the separator handling of AfterQuote (a field just ended).
                        self.after_field(buf[i], seg);
                        i += if buf[i] == d0 { dlen } else { 1 };
                    }
                },
                St::Quoted => match memchr::memchr(b'"', &buf[i..]) {
                    None => return push_plain(buf, i, len, base, eof, seg),
                    Some(p) => {
                        if p > 0 {
                            seg.plain(&buf[i..i + p], base + i as u64);
                        }
                        i += p;
                        match buf.get(i + 1) {
                            None if !eof => return i,
                            Some(b'"') => {
                                seg.decoded('"', base + i as u64, base + i as u64 + 2, Esc::Other);
                                i += 2;
                            }
                            _ => {
                                seg.end(base + i as u64);
                                self.field_done(seg, true);
                                self.st = St::AfterQuote;
                                i += 1;
                                // Consume the separator that follows a closing quote
                                // (one of several bytes in `AfterQuote`, which may wait,
                                // and so does text before it).
                                while i < len && dlen == 1 {
                                    let b = buf[i];
                                    if b == d0 || b == b'\n' {
                                        i += 1;
                                        self.after_field(b, seg);
                                        break;
                                    }
                                    if !matches!(b, b' ' | b'\t' | b'\r') {
                                        break;
                                    }
                                    i += 1;
                                }
                            }
                        }
                    }
                },
                St::AfterQuote => {
                    let b = buf[i];
                    if b == d0 && dlen > 1 {
                        match d.at(buf, i) {
                            None if !eof => return i,
                            Some(true) => {
                                self.after_field(b, seg);
                                i += dlen;
                                continue;
                            }
                            _ => {}
                        }
                    } else if b == d0 || b == b'\n' {
                        i += 1;
                        self.after_field(b, seg);
                        continue;
                    }
                    if matches!(b, b' ' | b'\t' | b'\r') {
                        i += 1;
                        continue;
                    }
                    seg.begin(SegKind::CsvBare, base + i as u64, self.key());
                    self.st = St::Trailing;
                }
            }
        }
        len
    }

    /// A bare data field starting at `buf[i]` and whole in the buffer may need no segment
    /// (the segmenter's quick path, as for JSON values). Not in the header row, whose names
    /// are read back from the segment's head. Returns where its separator is when it was
    /// dealt with.
    fn quick_bare(
        &mut self,
        buf: &[u8],
        i: usize,
        base: u64,
        seg: &mut Segmenter,
    ) -> Option<usize> {
        if self.row == self.header_row && !self.headerless && !self.pairs {
            return None;
        }
        let ahead = &buf[i..buf.len().min(i + crate::stream::QUICK_MAX)];
        let p = memchr::memchr3(self.delim.first(), b'\n', b'\r', ahead)?;
        // A first byte of a delimiter of several bytes that is not one (or is cut): the
        // full path.
        if ahead[p] == self.delim.first() && self.delim.len() > 1 && !self.delim.is_at(buf, i + p) {
            return None;
        }
        let end = base + (i + p) as u64;
        let done = seg.quick_bytes(SegKind::CsvBare, end, &ahead[..p], self.key());
        if done {
            self.note_cell(&ahead[..p]);
        }
        done.then_some(i + p)
    }

    /// The same for a quoted data field opening at `buf[i]` with no `""` in it; the byte
    /// after the closing quote must be here to tell a closing quote from an escaped one.
    /// Returns the position after the closing quote when it was dealt with.
    fn quick_quoted(
        &mut self,
        buf: &[u8],
        i: usize,
        base: u64,
        eof: bool,
        seg: &mut Segmenter,
    ) -> Option<usize> {
        if self.row == self.header_row && !self.headerless && !self.pairs {
            return None;
        }
        let ahead = &buf[i + 1..buf.len().min(i + 1 + crate::stream::QUICK_MAX)];
        let p = memchr::memchr(b'"', ahead)?;
        let close = i + 1 + p;
        let escaped = match buf.get(close + 1) {
            Some(&b) => b == b'"',
            None => !eof,
        };
        if escaped {
            return None;
        }
        let end = base + close as u64;
        let done = seg.quick_bytes(SegKind::CsvQuoted, end, &ahead[..p], self.key());
        if done {
            self.note_cell(&ahead[..p]);
        }
        done.then_some(close + 1)
    }

    /// A row has ended: its record, and the context its cells leave for keyword windows
    /// (the next row's cells are judged under their own columns).
    fn row_done(&mut self, seg: &mut Segmenter) {
        if self.row == self.header_row && !self.headerless && !self.pairs {
            // (A person's number among the columns makes the rows people's: fail closed.)
            let org = super::organisation_columns(self.headers.iter().map(Vec::as_slice))
                && !self.headers.iter().any(|h| seg.names_person_number(h));
            self.owned = self
                .headers
                .iter()
                .map(|h| org && super::generic_member(h))
                .collect();
        }
        seg.end_record(0);
        seg.forget_context();
        self.row += 1;
        self.col = 0;
        self.division = self.division.min(super::DIV_AFTER);
    }

    fn after_field(&mut self, sep: u8, seg: &mut Segmenter) {
        if sep == self.delim.first() {
            self.col += 1;
            self.st = St::FieldStart;
        } else if sep == b'\n' {
            self.row_done(seg);
            self.st = St::FieldStart;
        } else {
            // `\r`: the `\n` that follows ends the row.
            self.st = St::AfterQuote;
        }
    }
}

/// The row that starts `rest` (a field's start in column 0): its line, or its first
/// [`ROW_AHEAD`] bytes when longer, or `None` to wait for more input.
fn row_ahead(rest: &[u8], eof: bool) -> Option<&[u8]> {
    let ahead = &rest[..rest.len().min(ROW_AHEAD)];
    match memchr::memchr(b'\n', ahead) {
        Some(p) => Some(&ahead[..p]),
        None if eof || ahead.len() == ROW_AHEAD => Some(ahead),
        None => None,
    }
}

/// Lines an export may put above its header row: a title (`人员信息导出表,,,,`), an export
/// time, a blank line.
const MAX_PREAMBLE: u64 = 5;

/// The header row of the start of a CSV body, `sniff` (at most [`HEADER_SNIFF`] bytes;
/// `complete` when no more will come before the decision): the first line that holds two
/// or more non-empty cells, when the lines above it (at most [`MAX_PREAMBLE`]) hold at most
/// one each and no quote left open and the line below it holds two or more too (or
/// nothing); else the first line. Returns the line and its row number, or
/// `None` to wait for more bytes. A function of the bytes alone, whatever the chunking.
pub(super) fn header_line(sniff: &[u8], complete: bool) -> Option<(usize, &[u8], u64)> {
    let mut start = 0;
    let mut row = 0;
    let mut first = None;
    loop {
        let rest = &sniff[start..];
        let (line, more) = match memchr::memchr(b'\n', rest) {
            Some(p) => (&rest[..p], true),
            None if complete => (rest, false),
            None => return None,
        };
        let first = *first.get_or_insert(line);
        let d = delimiter(line);
        let named = |l: &[u8]| {
            cells(l, d)
                .iter()
                .filter(|c| !c.trim_ascii().is_empty())
                .count()
        };
        if named(line) >= 2 {
            if row == 0 {
                return Some((start, line, row));
            }
            // Below a preamble, the row after the header must be a row of the table too
            // (two or more cells, or the end): else the line is a stray row with a comma in
            // a one-column export, whose header is its first line.
            let after = sniff.get(start + line.len() + 1..).unwrap_or_default();
            let next = match memchr::memchr(b'\n', after) {
                Some(p) => &after[..p],
                None if complete => after,
                None => return None,
            };
            if next.trim_ascii().is_empty() || named(next) >= 2 {
                return Some((start, line, row));
            }
            return Some((0, first, 0));
        }
        // A quote left open runs the cell on to the next line: a record, not a title
        // (a title a writer quoted whole, `"人员信息导出表","",""`, closes its quotes).
        let open_quote = memchr::memchr_iter(b'"', line).count() % 2 == 1;
        if !more || row == MAX_PREAMBLE || open_quote {
            return Some((0, first, 0));
        }
        start += line.len() + 1;
        row += 1;
    }
}

/// How many cells of a row name a field some rule knows (`known`, the segmenter's
/// `knows_key`).
fn known_cells(row: &[Vec<u8>], mut known: impl FnMut(&[u8]) -> bool) -> usize {
    row.iter()
        .map(|c| c.trim_ascii())
        .filter(|c| !c.is_empty() && known(c))
        .count()
}

/// The cells of `first` when it is the group row of a two-level header and `next` the
/// header row under it: `first` leaves a cell blank (a merged cell's span), `next` is as
/// wide, and `next` names more known fields than `first`, two at least. A record under a
/// header names none (its cells are values), so a one-level header keeps its first row.
fn group_row(
    first: &[u8],
    next: &[u8],
    d: Delim,
    mut known: impl FnMut(&[u8]) -> bool,
) -> Option<Vec<Vec<u8>>> {
    let group = cells(first, d);
    let header = cells(next, d);
    if header.len() != group.len() || !group.iter().any(|c| c.trim_ascii().is_empty()) {
        return None;
    }
    let (g, h) = (
        known_cells(&group, &mut known),
        known_cells(&header, &mut known),
    );
    (h >= 2 && h > g).then(|| group.into_iter().map(|c| c.trim_ascii().to_vec()).collect())
}

/// Rows under a first row that may be labels beside values ([`pair_candidate`]) read to
/// tell ([`pair_rows`]).
const PAIR_ROWS: usize = 7;

/// Whether the first row could be a label beside its value rather than a header: two to
/// sixteen cells, none in an odd column naming a field some rule reads or vetoes under
/// (`known`): a header names fields in every column (`姓名<TAB>身份证号`, `zb,revenue`).
fn pair_candidate(first: &[u8], d: Delim, mut known: impl FnMut(&[u8]) -> bool) -> bool {
    let cells = cells(first, d);
    (2..=16).contains(&cells.len())
        && !cells
            .iter()
            .skip(1)
            .step_by(2)
            .any(|c| label_cell(c.trim_ascii(), &mut known))
}

/// Whether a cell names a field some rule reads (`known`) and can be a label: a value such
/// as a credit code or a number can end like a field's name (`*code`, `*no`), a label holds
/// no digit.
fn label_cell(l: &[u8], known: &mut impl FnMut(&[u8]) -> bool) -> bool {
    !l.is_empty() && !l.iter().any(u8::is_ascii_digit) && known(l)
}

/// Whether a first row that is a [`pair_candidate`] and the rows under it (`rows`) are
/// labels and their values side by side, a report written as text (`姓名<TAB>王兵` over
/// `身份证号<TAB>…`), not a header over records: two of these rows at least open with a
/// cell that names a field some rule reads or vetoes under (`known`: `traceId` and `订单号`
/// count, a report's `状态` does not) and holds no digit. Records under a header open with
/// values, which name no field; a column of field names beside their values is such a
/// report.
fn pair_rows(first: &[u8], rows: &[&[u8]], d: Delim, mut known: impl FnMut(&[u8]) -> bool) -> bool {
    let mut labelled = 0usize;
    for row in std::iter::once(first).chain(rows.iter().copied()) {
        let labels = pair_labels(row, d);
        // A number where a label would stand (`接待游客人次<TAB>户<TAB>17034419874<TAB>…`
        // under `zbmc<TAB>dw<TAB>sjz…`): the row is a record of a table, not labels beside
        // their values, whose even cells are labels (`姓名<TAB>王兵<TAB>性别<TAB>男`).
        if labels.iter().skip(2).step_by(2).any(|c| number_cell(c)) {
            return false;
        }
        if labels.first().is_some_and(|l| label_cell(l, &mut known)) {
            labelled += 1;
        }
    }
    labelled >= 2
}

/// Whether a cell is a number: digits, maybe a sign, decimal point, thousands commas or a
/// percent sign (`17034419874`, `-0.4%`, `2025`).
fn number_cell(c: &[u8]) -> bool {
    c.iter().any(u8::is_ascii_digit)
        && c.iter()
            .all(|&b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b',' | b'%'))
}

/// A row's cells as labels ([`super::label_text`]: trimmed, a trailing colon dropped);
/// empty where a cell is none.
fn pair_labels(line: &[u8], d: Delim) -> Vec<Vec<u8>> {
    cells(line, d)
        .iter()
        .map(|c| super::label_text(c).unwrap_or_default().to_vec())
        .collect()
}

/// Whether a whole value is a table of its own (a CSV file in a JSON string, an XML text
/// node or CDATA section, a multipart upload): two or more rows as wide as each other by the
/// delimiter its header row holds, that header below at most an export's title, and either a
/// header cell that names a field (`names_field`) or a first row that is a record
/// ([`row_roles`]). A remark that happens to hold commas on two lines names no field.
pub(crate) fn embedded_table(t: &[u8], mut names_field: impl FnMut(&[u8]) -> bool) -> bool {
    let head = &t[..t.len().min(HEADER_SNIFF)];
    if memchr::memchr(b'\n', head).is_none() {
        return false;
    }
    let Some(line) = super::csv_header(head) else {
        return false;
    };
    let d = delimiter(line);
    cells(line, d).iter().any(|c| {
        let c = c.trim_ascii();
        !c.is_empty() && names_field(c)
    }) || row_roles(line, d).is_some()
}

/// Whether a one-line value is a record written as a CSV row (`张三,110…,138…,北京市…`, the
/// rows of a legacy API's `"data":["…","…"]`): three or more cells, one of them an identifier
/// that makes the row a record ([`row_roles`]) and another a name, an address, a
/// certificate or a telephone number by its shape. Read as a headerless CSV, its cells get
/// those roles as their field names, as they would in a CSV body. (An identifier written
/// in full-width digits or in groups does not make a one-line value a record.)
pub(crate) fn record_line(t: &[u8]) -> bool {
    if t.len() > ROW_AHEAD
        || memchr::memchr3(b',', b'\t', b'|', t).is_none()
        || memchr::memchr(b'\n', t).is_some()
    {
        return false;
    }
    let d = delimiter(t);
    if d.count(t) < 2 {
        return false;
    }
    // Most comma-holding values are prose: before folding every cell, one must be shaped
    // like an anchor (as written plainly: 11 to 19 letters and digits, a digit among them).
    let anchor_shaped = d.split(t).any(|c| {
        let c = c.trim_ascii();
        (11..=19).contains(&c.len())
            && c.iter().all(u8::is_ascii_alphanumeric)
            && c.iter().any(u8::is_ascii_digit)
    });
    anchor_shaped && row_roles(t, d).is_some_and(|r| r.iter().any(Option::is_some))
}

/// The cells of one CSV line (quotes removed, `""` unescaped); a quoted cell that goes on
/// past the line ends with it.
fn cells(line: &[u8], d: Delim) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut cur = Vec::new();
    let mut quoted = false;
    let mut i = 0;
    while i < line.len() {
        let b = line[i];
        if quoted {
            if b == b'"' {
                if line.get(i + 1) == Some(&b'"') {
                    cur.push(b'"');
                    i += 1;
                } else {
                    quoted = false;
                }
            } else {
                cur.push(b);
            }
        } else if b == d.first() && d.is_at(line, i) {
            if out.len() + 1 == MAX_COLUMNS {
                break;
            }
            out.push(std::mem::take(&mut cur));
            i += d.len();
            continue;
        } else if b == b'"' && cur.iter().all(u8::is_ascii_whitespace) {
            cur.clear();
            quoted = true;
        } else if b != b'\r' {
            cur.push(b);
        }
        i += 1;
    }
    out.push(cur);
    out
}

/// A cell as its identifier would be judged: full-width forms folded to ASCII, and spaces,
/// zero-width characters and separators inside numbers dropped.
fn folded(cell: &[u8]) -> String {
    String::from_utf8_lossy(cell)
        .chars()
        .filter_map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0),
            '\u{3000}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' => None,
            c if c.is_whitespace() => None,
            c => Some(c),
        })
        .filter(|c| !matches!(c, '-' | '.' | '(' | ')' | '+'))
        .collect()
}

/// Whether a folded cell is an identifier that makes its row a record: a resident ID or a
/// credit code whose check character holds, a mobile number, or a UnionPay card.
fn is_anchor(f: &str) -> bool {
    let b = f.as_bytes();
    let digits = b.iter().all(u8::is_ascii_digit);
    match b.len() {
        18 if validate::gb11643(b) || validate::gb32100(b) => true,
        11 | 13 if digits => validate::mobile_cn(b.strip_prefix(b"86").unwrap_or(b)),
        16..=19 if digits => b.starts_with(b"62") && validate::luhn(b),
        _ => false,
    }
}

/// The role a record's cell (folded by [`folded`]) has by its shape, if any.
fn role(f: &str) -> Option<&'static [u8]> {
    let n = f.chars().count();
    let cjk = |c: char| ('\u{4E00}'..='\u{9FFF}').contains(&c) || c == '·';
    if (2..=4).contains(&n)
        && f.chars().all(cjk)
        && dict::surname_len(f).is_some()
        && !dict::is_code_table_word(f)
    {
        return Some(ROLE_NAME);
    }
    // A name in parts (`艾力·吐尔逊`, `扎西・次仁`), in the syllables such names are written in:
    // place and shop names with a dot (`北京·朝阳`) are mostly made of others.
    let is_dot = crate::detect::field::is_name_dot;
    if f.chars().any(is_dot) {
        let parts: String = f.chars().map(|c| if is_dot(c) { '·' } else { c }).collect();
        if dict::transliterated_name(&parts) {
            return Some(ROLE_NAME);
        }
    }
    if n >= 6 && f.chars().any(cjk) && f.chars().any(dict::is_address_marker) {
        return Some(ROLE_ADDRESS);
    }
    let b = f.as_bytes();
    let letters = b.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    if (1..=2).contains(&letters)
        && (8..=11).contains(&b.len())
        && b[letters..].iter().all(u8::is_ascii_digit)
        || b.len() == 15 && b.iter().all(u8::is_ascii_digit)
    {
        return Some(ROLE_CERTIFICATE);
    }
    if (10..=12).contains(&b.len()) && b[0] == b'0' && b.iter().all(u8::is_ascii_digit) {
        return Some(ROLE_PHONE);
    }
    // A licence plate however it was spaced (`浙　E395N5`, folded): the province, then the
    // plate's own shape as the identifier scan reads it.
    let mut chars = f.chars();
    if chars.next().is_some_and(dict::is_plate_province)
        && crate::detect::plate_after_province(chars.as_str().as_bytes())
    {
        return Some(ROLE_PLATE);
    }
    None
}

/// Whether a cell (as written) is an official document's or a court case's number, which
/// ends in `号` as a house number does: a year in the brackets such numbers put it in,
/// `粤人社函〔2020〕173号`, `（2023）京0105民初123号`.
fn document_number(f: &str) -> bool {
    ["〔", "［", "[", "（", "("].iter().any(|open| {
        f.match_indices(open).any(|(i, o)| {
            let rest = &f[i + o.len()..];
            rest.len() > 4
                && rest.as_bytes()[..4].iter().all(u8::is_ascii_digit)
                && ["〕", "］", "]", "）", ")"]
                    .iter()
                    .any(|close| rest[4..].starts_with(close))
        })
    })
}

/// The roles of a headerless export's row, when the row is a record (holds an anchor).
fn row_roles(line: &[u8], d: Delim) -> Option<Vec<Option<&'static [u8]>>> {
    record_roles(cells(line, d).iter().map(Vec::as_slice))
}

/// The roles of a record's cells by their shapes (the field names `姓名`, `住址`, `证件号码`,
/// `联系电话`), when one of them is an identifier that makes the cells a record; also for
/// records that are no CSV (a MyBatis log's `Row:` line without its `Columns:`).
pub(crate) fn record_roles<'a>(
    cells: impl Iterator<Item = &'a [u8]>,
) -> Option<Vec<Option<&'static [u8]>>> {
    let raw: Vec<&[u8]> = cells.collect();
    let cells: Vec<String> = raw.iter().map(|c| folded(c)).collect();
    if !cells.iter().any(|c| is_anchor(c)) {
        return None;
    }
    // A document's number is told by its brackets, which folding drops: read as written,
    // and only in a record.
    Some(
        raw.iter()
            .zip(&cells)
            .map(|(r, c)| {
                if document_number(&String::from_utf8_lossy(r)) {
                    None
                } else {
                    role(c)
                }
            })
            .collect(),
    )
}

/// Whether a whole cell or line is shaped like a person's name (`role`'s name shape: two to
/// four Han characters starting with a surname, no code-table word).
pub(crate) fn name_shaped(cell: &[u8]) -> bool {
    role(&folded(cell)) == Some(ROLE_NAME)
}

/// The field name a record's name cell takes (`record_roles`).
pub(crate) const NAME_ROLE: &[u8] = ROLE_NAME;

#[cfg(test)]
mod tests {
    use super::{delimiter, Delim};

    #[test]
    fn a_run_of_mixed_delimiter_bytes_is_one_delimiter() {
        for (line, want) in [
            ("姓名@|@身份证号@|@住址", "@|@"),
            ("xm|+|sfzh|+|dz", "|+|"),
            ("姓名#|#住址", "#|#"),
            ("a@#@b@#@c", "@#@"),
            ("a:|:b:|:c", ":|:"),
        ] {
            assert_eq!(
                delimiter(line.as_bytes()).as_bytes(),
                want.as_bytes(),
                "{line}"
            );
        }
        // One byte repeated is that byte with empty cells between; a run seen less often
        // than a one-byte delimiter outside it does not win; quoted runs do not count.
        for (line, want) in [
            ("a||b||c", b'|'),
            ("序号,,姓名,住址", b','),
            ("a,b@|@c,d", b','),
            ("\"a@|@b\",c", b','),
            ("a\tb\tc", b'\t'),
            ("no delimiter", b','),
        ] {
            assert_eq!(delimiter(line.as_bytes()), Delim::one(want), "{line}");
        }
    }

    #[test]
    fn document_and_case_numbers_are_no_addresses() {
        let row =
            "（2023）京0105民初123号,粤人社函〔2020〕173号,北京市朝阳区建国路88号,13800138000";
        let roles = super::record_roles(row.split(',').map(str::as_bytes)).unwrap();
        assert_eq!(roles[..2], [None, None]);
        assert!(roles[2].is_some());
        assert!(!super::document_number("北京市朝阳区建国路88号"));
    }

    #[test]
    fn a_delimiter_of_several_bytes_is_found_whole_or_waited_for() {
        let d = delimiter(b"a@|@b");
        assert!(d.is_at(b"x@|@y", 1));
        assert!(!d.is_at(b"x@y", 1));
        assert_eq!(d.at(b"x@|", 1), None);
        assert_eq!(d.at(b"x@x", 1), Some(false));
        assert_eq!(
            d.split(b"a@|@b@c@|@").collect::<Vec<_>>(),
            [&b"a"[..], b"b@c", b""]
        );
        assert_eq!(d.count(b"a@|@b@|@c"), 2);
    }
}
