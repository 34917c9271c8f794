//! JSON lexer. Finds strings (keys and values) and bare scalars (numbers, literals and any
//! garbage), decodes string escapes including `\uXXXX` and surrogate pairs, and tracks which
//! key a value belongs to (array elements inherit the key of their array). It does not
//! validate: whatever is not a string or structure is scanned as a bare segment, and bare
//! segments end only at structural bytes so a separated number is not split at its spaces.

use super::{hex_val, push_plain, NAME_LABEL, NAME_VALUE};
use crate::stream::{Esc, SegKind, Segmenter, HEAD};

const MAX_DEPTH: usize = 1024;
const KEY_MAX: usize = 64;

/// A label member's value as the name of the value beside it: a form's label
/// (`法定代表人或主要负责人的姓名（中文全称）`), not a sentence (a notice's title, `关于…的公示`;
/// a remark with its punctuation), nor a value longer than the head read of it.
fn field_label(head: &[u8]) -> Option<&[u8]> {
    let t = super::label_trim(head);
    let sentence = t.iter().any(|b| matches!(b, b',' | b';' | b'!' | b'?'))
        || ["。", "，", "；"]
            .iter()
            .any(|p| memchr::memmem::find(t, p.as_bytes()).is_some())
        || t.starts_with("关于".as_bytes())
        || [
            "公示", "公告", "通知", "通报", "决定", "批复", "意见", "的函",
        ]
        .iter()
        .any(|w| t.ends_with(w.as_bytes()));
    (!t.is_empty() && head.len() < HEAD && !sentence).then(|| key_cut(t))
}

/// The first [`KEY_MAX`] bytes of a name, cut on a character boundary (a finding's field
/// must be text).
fn key_cut(k: &[u8]) -> &[u8] {
    let k = &k[..k.len().min(KEY_MAX)];
    // (The head a key is read from may itself end inside a character.)
    if k.last().is_some_and(|&b| b >= 0x80) {
        if let Err(e) = std::str::from_utf8(k) {
            if e.error_len().is_none() {
                return &k[..e.valid_up_to()];
            }
        }
    }
    k
}
/// Most column names a table header may give (`{"columns":[…],"rows":[[…]]}`).
const COLUMNS_MAX: usize = 256;

/// One open container.
#[derive(Default)]
struct Frame {
    /// `{` or `[`.
    kind: u8,
    /// The current member's key (objects) or the inherited key (arrays).
    key: Vec<u8>,
    /// Role of `key` (`super::name_role`), computed once per key.
    role: u8,
    /// Label given by a `name`/`key`/`field` member, context for the `value` member
    /// (`{"name":"sfzh","value":"…"}`, a common exchange shape).
    label: Option<Vec<u8>>,
    /// Objects: column names from a `columns`/`fields`/`headers` member, the keys of the
    /// cells of a table written as arrays (`{"columns":["xm","sfzh"],"rows":[["张三","…"]]}`);
    /// a header of objects names each column by its `name`/`field`/`code` member.
    /// Arrays of arrays: the names in their first row, when it is a header (`head_row`).
    columns: Vec<Vec<u8>>,
    /// Arrays: this array is such a header, its strings are column names.
    header: bool,
    /// Arrays: this array is a row of such a table; `cell` counts its elements (in every
    /// array, so that a pair can be recognised). `cols_up` says how many frames up the
    /// columns are: 2 for an object's header member, 1 for a header row.
    row: bool,
    cols_up: u8,
    cell: usize,
    /// Arrays: this array is the first element of an array of arrays and may be its header
    /// row (`[["姓名","身份证号"],["王建国","…"]]`): its strings go to the outer array's
    /// `columns`. `head_bad` once it holds anything but a string (numbers and nested
    /// containers make a data row, not a header).
    head_row: bool,
    head_bad: bool,
    /// Arrays of arrays: the first row was taken as the header, the later inner arrays are
    /// rows whose cells take its names.
    table: bool,
    /// Arrays: the first element, when it is a short string, kept until the second element
    /// starts; `pair` once it is known to name a field (`["姓名","张三"]`, `["sfzh","…"]`),
    /// and then it is the second element's key.
    first: Vec<u8>,
    pair: bool,
    /// Objects: this object describes a column in a `columns` header
    /// (`{"dataIndex":"f1","title":"姓名"}`); `col_id` is the key its rows' members take
    /// (`dataIndex`, `prop`, `field`, `accessor`) and `col_title` its display name
    /// (`title`, `label`, `headerName`).
    col_obj: bool,
    col_id: Vec<u8>,
    col_title: Vec<u8>,
    /// Objects with a header of column objects: the keys their rows' members take, in the
    /// order of `columns` (empty where a column gave none). Rows written as objects
    /// (`"dataSource":[{"f1":"王小明"}]`, a grid component's data) read a member whose key
    /// is one of these under its column's name.
    col_ids: Vec<Vec<u8>>,
    /// Objects: a member held an administrative-division code under a code's key
    /// (`{"code":"330700",…}`): the object is a division's row, its bare `name` a place.
    /// Arrays: the object last closed in it was one, so the next row's `name` is judged
    /// a place even before its own code comes (`[{"code":…,"name":…},{"name":…,"code":…}]`).
    /// ([`super::DIV_ROW`] when seen in the object itself, [`super::DIV_AFTER`] when taken from the row
    /// before, which a code of another kind in this one undoes.)
    division: u8,
    /// Where the context kept for keyword windows stood when the frame opened
    /// (`Segmenter::context_mark`): an object in an array forgets its values' part of it
    /// when the next one opens.
    mark: u64,
    /// Objects: how many members it held so far (up to 255).
    members: u8,
    /// Objects: the first element of an array; `first_key` is its first key, `known` how
    /// many of its string values (up to 2) name fields some rule listens to (a header row
    /// written as an object, `{"c1":"姓名","c2":"护照号码"}`).
    first_in_list: bool,
    first_key: Vec<u8>,
    known: u8,
    /// Arrays: the span of the context the last object closed in it added (from its mark to
    /// where the context stood when it closed), until the next object opens: then it is
    /// forgotten, unless that object's first key is `pend_key` (the previous one's only key,
    /// or a header row's first key), or the list closes: then it is forgotten if it holds a
    /// negative keyword (`Segmenter::forget_negative_between`).
    pend: Option<(u64, u64)>,
    pend_key: Vec<u8>,
    /// Objects: a GeoJSON feature (`"type":"Feature"`), whose `properties` describe a
    /// place or a thing on a map.
    feature: bool,
}

impl Frame {
    /// An object's member `key` held `v`: a division code under a code's key makes the
    /// object a division's row; another value there (`"code":"E1234"`) says a row taken
    /// for one after its predecessor is none.
    #[inline]
    fn note_code(&mut self, v: &[u8]) {
        // (Every value of a body comes here: its length first, which leaves most values
        // and every row that is no division's.)
        let digit = matches!(v.len(), 6 | 9 | 12) && v[0].is_ascii_digit();
        if !digit && self.division != super::DIV_AFTER {
            return;
        }
        self.note_code_slow(v);
    }

    #[inline(never)]
    fn note_code_slow(&mut self, v: &[u8]) {
        if self.kind == b'{' {
            super::note_division(&mut self.division, &self.key, v);
        }
    }
}

/// What a member of a column object says: the key of the column's cells in its rows, or
/// the column's display name. UI grids and low-code exports write both
/// (`{"title":"姓名","dataIndex":"f1"}`, `{"label":"姓名","prop":"f1"}`,
/// `{"headerName":"姓名","field":"f1"}`, `{"Header":"姓名","accessor":"f1"}`).
#[derive(PartialEq)]
enum ColMember {
    Id,
    Title,
}

fn column_member(k: &[u8]) -> Option<ColMember> {
    // Folded as member roles are (`data_index`, `DataIndex`); a name too long to fold is
    // none of these.
    let mut buf = [0u8; 24];
    match super::fold_name(k, &mut buf).unwrap_or_default() {
        b"dataindex" | b"datakey" | b"datafield" | b"prop" | b"field" | b"accessor"
        | b"accessorkey" | b"key" | b"name" | b"code" | b"id" | b"fieldname" | b"fieldcode" => {
            Some(ColMember::Id)
        }
        b"title" | b"label" | b"header" | b"headername" | b"headertext" | b"displayname"
        | b"caption" | b"text" => Some(ColMember::Title),
        _ if k == "列名".as_bytes() || k == "标题".as_bytes() => Some(ColMember::Title),
        _ => None,
    }
}

/// What is left to do after a string's bookkeeping, with the segmenter.
enum Then {
    Done,
    /// An object's first key (`JsonLexer::first_key`).
    FirstKey,
    /// A value of a list's first object, which may be a header row's column name
    /// (`JsonLexer::note_known`).
    Known,
}

#[derive(Default)]
pub(crate) struct JsonLexer {
    in_string: bool,
    in_bare: bool,
    string_is_key: bool,
    /// Open containers, innermost last; frames past `depth` are kept for reuse so a body
    /// of many records allocates no key buffers after the first.
    frames: Vec<Frame>,
    depth: usize,
    overflow: usize,
    expect_key: bool,
    /// Boxed: 800 bytes that would make every lexer variant as large.
    roles: Box<super::RoleMemo>,
    /// A header of column objects with ids was seen (`Frame::col_ids`): only then are keys
    /// looked up among the ids.
    grid: bool,
}

fn is_columns_key(k: &[u8]) -> bool {
    [
        &b"columns"[..],
        b"column_names",
        b"columnnames",
        b"cols",
        b"fields",
        b"fieldnames",
        b"field_names",
        b"headers",
        b"header",
        b"titles",
        b"columnDefs",
        b"column_defs",
        b"columnDefinitions",
        b"colModel",
        b"colDefs",
        "列名".as_bytes(),
        "字段".as_bytes(),
        "表头".as_bytes(),
    ]
    .iter()
    .any(|n| k.eq_ignore_ascii_case(n))
}

/// A member key whose object describes a result set beside its rows (`meta`, `schema`).
fn is_meta_key(k: &[u8]) -> bool {
    [
        &b"meta"[..],
        b"metadata",
        b"meta_data",
        b"schema",
        b"resultmeta",
        b"result_meta",
        "元数据".as_bytes(),
    ]
    .iter()
    .any(|n| k.eq_ignore_ascii_case(n))
}

/// A member key whose object is a personal name (FHIR's `name`, a HumanName).
fn is_name_key(k: &[u8]) -> bool {
    [&b"name"[..], b"names", b"humanname", "姓名".as_bytes()]
        .iter()
        .any(|n| k.eq_ignore_ascii_case(n))
}

/// A member key whose object is a postal address (FHIR's `address`, `homeAddress`, 地址).
fn is_address_key(k: &[u8]) -> bool {
    let lower_ends = |suffix: &[u8]| {
        k.len() >= suffix.len() && k[k.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
    };
    lower_ends(b"address")
        || lower_ends(b"addresses")
        || lower_ends(b"addr")
        || k.ends_with("地址".as_bytes())
        || k.ends_with("住址".as_bytes())
}

#[inline]
fn structural(b: u8) -> bool {
    matches!(b, b'{' | b'}' | b'[' | b']' | b',' | b':' | b'"')
}

impl JsonLexer {
    fn top(&self) -> Option<&Frame> {
        self.depth.checked_sub(1).and_then(|d| self.frames.get(d))
    }

    fn in_object(&self) -> bool {
        self.top().is_some_and(|f| f.kind == b'{')
    }

    fn value_key(&self) -> Option<&[u8]> {
        self.key_in(self.depth.checked_sub(1)?)
    }

    /// The key a value directly inside the frame at index `d` is judged under.
    fn key_in(&self, d: usize) -> Option<&[u8]> {
        let f = self.frames.get(d)?;
        if f.kind == b'[' {
            if f.row {
                // A cell: its column's name, from the object two levels up or the array of
                // arrays one level up.
                let table = d
                    .checked_sub(usize::from(f.cols_up))
                    .and_then(|d| self.frames.get(d))?;
                return table
                    .columns
                    .get(f.cell)
                    .map(Vec::as_slice)
                    .filter(|k| !k.is_empty());
            }
            if f.pair && f.cell == 1 {
                return Some(f.first.as_slice());
            }
        } else if f.role == NAME_VALUE {
            if let Some(label) = &f.label {
                return Some(label.as_slice());
            }
            // No label member: the value member of an object stands for the object, which
            // is the value of its parent's member (`{"xm":{"value":"王五","type":"string"}}`)
            // or an element of an array that takes its key (`"name":[{"text":"王建国"}]`,
            // FHIR's HumanName list), so both shapes judge it alike.
            if let Some(k) = self.object_key(d) {
                return Some(k);
            }
        }
        // A brand's, a shop's, an agency's `name` or `address` (`{"brand":{"name":"周大福"}}`,
        // `{"agency":{"address":"…诉讼服务中心"}}`) names no person and no one's home; a
        // contact's, a guardian's, a patient's `name` is that person's; the `name` of a
        // division's row (`{"code":"330700","name":"金华"}`, a region table of a government
        // API) is a place's: 金华, 黄石 would otherwise pass for a name. (Only `name` there:
        // a person's record may carry the code of the division they live in beside their
        // address.)
        // A `properties` object describes the object around it: a GeoJSON feature's
        // (`{"type":"Feature","properties":{"name":"燕山"}}`, an element of `features`)
        // names a mountain, a river, a road, no person.
        if f.kind == b'{' {
            let owner = || {
                let k = self.object_key(d)?;
                if !k.eq_ignore_ascii_case(b"properties") {
                    return Some(k);
                }
                let pd = d.checked_sub(1)?;
                if self
                    .frames
                    .get(pd)
                    .is_some_and(|p| p.kind == b'{' && p.feature)
                {
                    return Some(&b"feature"[..]);
                }
                self.object_key(pd).or(Some(k))
            };
            if let Some(key) = super::owned_member_key(&f.key, owner, f.division != 0) {
                return key;
            }
        }
        Some(f.key.as_slice()).filter(|k| !k.is_empty())
    }

    /// The key the object at frame index `d` stands for: its parent member's key, or the
    /// key its array's elements take. `None` at the top level or under no key.
    fn object_key(&self, d: usize) -> Option<&[u8]> {
        let pd = d.checked_sub(1)?;
        let p = self.frames.get(pd)?;
        let k = if p.kind == b'{' {
            Some(p.key.as_slice())
        } else {
            // An array's element: never recurses further, `key_in` of an array reads only
            // that array's own state and its table's columns.
            self.key_in(pd)
        };
        k.filter(|k| !k.is_empty())
    }

    /// What a member key stands for given the object it is in (FHIR's HumanName and
    /// Address, `{"name":{"family":"王","given":["建国"]}}`, `"address":[{"line":[…]}]`):
    /// `family`/`given` in an object that is a name are the surname and given name, read as
    /// `familyname`/`givenname` (the keys of the name-part rule, which judges a whole value
    /// of one to three Han characters, where a bare `family` key at the top level says
    /// nothing); `line` in an object that is an address is a line of that address and is
    /// judged under the address's own key. Returns `None` when the key stays as written.
    fn member_key(&self, d: usize, key: &[u8]) -> Option<Vec<u8>> {
        // Leave on length first: this runs for every key of a body.
        if !matches!(key.len(), 4..=6) {
            return None;
        }
        let part: &[u8] = if key.eq_ignore_ascii_case(b"family") {
            b"familyname"
        } else if key.eq_ignore_ascii_case(b"given") {
            b"givenname"
        } else if key.eq_ignore_ascii_case(b"line") || key.eq_ignore_ascii_case(b"lines") {
            let obj = self.object_key(d)?;
            return is_address_key(obj).then(|| obj.to_vec());
        } else {
            return None;
        };
        self.object_key(d)
            .is_some_and(is_name_key)
            .then(|| part.to_vec())
    }

    /// Bookkeeping after a string ends: a key becomes the frame's current key, a label
    /// member's value the frame's label. `head` is the string's first bytes, normalized.
    /// Returns what the segmenter is still asked about it ([`Then`]).
    fn string_done(&mut self, head: &[u8]) -> Then {
        let depth = self.depth;
        let Some(f) = depth.checked_sub(1).and_then(|d| self.frames.get_mut(d)) else {
            return Then::Done;
        };
        if self.string_is_key {
            let mut then = Then::Done;
            if f.kind == b'{' {
                if f.members == 0 {
                    then = Then::FirstKey;
                }
                f.members = f.members.saturating_add(1);
                // Reuse the frame's buffer: keys change every member.
                let head = key_cut(head);
                f.key.clear();
                f.key.extend_from_slice(head);
                f.role = self.roles.role(head);
                if let Some(k) = depth.checked_sub(1).and_then(|d| self.member_key(d, head)) {
                    if let Some(f) = self.frames.get_mut(depth - 1) {
                        f.key.clear();
                        f.key.extend_from_slice(key_cut(&k));
                    }
                }
                if self.grid && depth >= 3 && !self.frames[depth - 3].col_ids.is_empty() {
                    self.column_key(depth, head);
                }
            }
            return then;
        }
        if f.kind == b'{' {
            if f.col_obj {
                let v = key_cut(head);
                match column_member(&f.key) {
                    Some(ColMember::Id) if f.col_id.is_empty() => f.col_id.extend_from_slice(v),
                    Some(ColMember::Title) if f.col_title.is_empty() => {
                        f.col_title.extend_from_slice(v);
                    }
                    _ => {}
                }
            }
            f.note_code(head);
            if f.key.len() == 4 && head == b"Feature" && f.key.eq_ignore_ascii_case(b"type") {
                f.feature = true;
            }
            // A label member's value names the value member beside it (`{"name":"申请人",
            // "value":…}`); a sentence there (`"title":"关于…的公示"`) names nothing.
            if f.role == NAME_LABEL {
                f.label = field_label(head).map(<[u8]>::to_vec);
            }
            return if f.first_in_list && f.known < 2 {
                Then::Known
            } else {
                Then::Done
            };
        }
        if f.header {
            let name = key_cut(head).to_vec();
            self.push_column(depth, name);
            return Then::Done;
        }
        if !f.row && f.cell == 0 {
            f.first.clear();
            if let Some(l) = super::label_text(head) {
                f.first.extend_from_slice(l);
            }
        }
        if f.head_row && !f.head_bad {
            // A name that is no label (empty or long) keeps its column's place.
            let name = super::label_text(head).unwrap_or_default();
            let name = key_cut(name).to_vec();
            self.push_column(depth, name);
        }
        Then::Done
    }

    /// What [`Self::string_done`] leaves to do with the segmenter.
    fn then(&mut self, then: Then, head: impl FnOnce(&Segmenter) -> Vec<u8>, seg: &mut Segmenter) {
        match then {
            Then::Done => {}
            Then::FirstKey => self.first_key(seg),
            Then::Known => {
                let head = head(seg);
                self.note_known(&head, seg);
            }
        }
    }

    /// The first key of an object: in a list's first object it is kept (a header row's);
    /// after a sibling whose context waits (`Frame::pend`), it decides: the same key as the
    /// sibling's only one (lines of text, `[{"words":"护照号码"},{"words":"E1234…"}]`) or
    /// as a header row's first keeps that context; another forgets it, for records of a
    /// list lend each other no words (`[{"note":"出境"},{"lot":"H20240315"}]`).
    // (Out of line: once per object of a list.)
    #[inline(never)]
    fn first_key(&mut self, seg: &mut Segmenter) {
        let depth = self.depth;
        let Some((list, obj)) = depth
            .checked_sub(2)
            .and_then(|d| self.frames.get_mut(d..depth))
            .and_then(|fs| fs.split_first_mut())
        else {
            return;
        };
        let obj = &mut obj[0];
        if list.kind != b'[' {
            return;
        }
        if obj.first_in_list {
            obj.first_key.clone_from(&obj.key);
        }
        if let Some((from, to)) = list.pend.take() {
            if list.pend_key != obj.key {
                obj.mark = obj.mark.saturating_sub(seg.forget_between(from, to));
            }
        }
    }

    /// A string value of a list's first object that names a field some rule listens to
    /// (`姓名`, `护照号码`): two make the object a header row.
    #[inline(never)]
    fn note_known(&mut self, head: &[u8], seg: &mut Segmenter) {
        let Some(name) = super::label_text(head) else {
            return;
        };
        if seg.knows_key(name) {
            if let Some(f) = self
                .depth
                .checked_sub(1)
                .and_then(|d| self.frames.get_mut(d))
            {
                f.known = f.known.saturating_add(1);
            }
        }
    }

    /// An object opens in a list: the previous object's context is forgotten now, unless
    /// it waits for this one's first key (`Frame::pend_key`).
    fn sibling_opens(&mut self, seg: &mut Segmenter) {
        if self.overflow > 0 {
            return;
        }
        if let Some(list) = self
            .depth
            .checked_sub(1)
            .and_then(|d| self.frames.get_mut(d))
            .filter(|l| l.kind == b'[' && l.pend.is_some() && l.pend_key.is_empty())
        {
            if let Some((from, to)) = list.pend.take() {
                seg.forget_between(from, to);
            }
        }
    }

    /// A member of a row written as an object (`{"f1":"王小明"}` in an array beside a header
    /// of column objects): a key that is a column's `dataIndex` takes the column's name.
    #[inline(never)]
    fn column_key(&mut self, depth: usize, head: &[u8]) {
        let (outer, inner) = self.frames.split_at_mut(depth - 1);
        let (table, list) = (&outer[depth - 3], &outer[depth - 2]);
        if list.kind != b'[' || list.header || inner[0].kind != b'{' {
            return;
        }
        let Some(i) = table
            .col_ids
            .iter()
            .position(|id| !id.is_empty() && id == head)
        else {
            return;
        };
        if let Some(name) = table.columns.get(i).filter(|n| !n.is_empty()) {
            inner[0].key.clear();
            inner[0].key.extend_from_slice(name);
        }
    }

    /// Names the next column of the table two levels up (the object holding a header
    /// member, or the array of arrays whose first row this is), up to `COLUMNS_MAX`.
    fn push_column(&mut self, depth: usize, name: Vec<u8>) {
        if let Some(table) = depth
            .checked_sub(2)
            .and_then(|d| self.frames.get_mut(d))
            .filter(|o| o.columns.len() < COLUMNS_MAX)
        {
            table.columns.push(name);
        }
    }

    fn push_frame(&mut self, kind: u8, mark: u64) {
        if self.depth >= MAX_DEPTH {
            self.overflow += 1;
            return;
        }
        if self.depth == self.frames.len() {
            self.frames.push(Frame::default());
        }
        // Arrays inherit the key of the field they are the value of.
        let parent = self.depth;
        let (before, after) = self.frames.split_at_mut(parent);
        let f = &mut after[0];
        f.kind = kind;
        f.mark = mark;
        f.feature = false;
        f.members = 0;
        f.known = 0;
        f.first_key.clear();
        f.first_in_list =
            kind == b'{' && before.last().is_some_and(|p| p.kind == b'[' && p.cell == 0);
        f.pend = None;
        f.pend_key.clear();
        f.key.clear();
        f.role = 0;
        f.label = None;
        f.columns.clear();
        f.header = false;
        f.row = false;
        f.cols_up = 2;
        f.cell = 0;
        f.head_row = false;
        f.head_bad = false;
        f.table = false;
        f.first.clear();
        f.pair = false;
        f.col_obj = false;
        f.col_id.clear();
        f.col_title.clear();
        f.col_ids.clear();
        // A row after a division's row is taken for one until it shows otherwise.
        f.division = if kind == b'{'
            && before
                .last()
                .is_some_and(|p| p.kind == b'[' && p.division != 0)
        {
            super::DIV_AFTER
        } else {
            0
        };
        if let Some(p) = before.last_mut().filter(|p| p.head_row) {
            // A container in the first row: a data row, not a header.
            p.head_bad = true;
        }
        if kind == b'{' {
            f.col_obj = before.last().is_some_and(|p| p.kind == b'[' && p.header);
        }
        if kind == b'[' {
            // A header array under `columns`; a row is an array inside an array that is the
            // value of a member of an object with columns.
            f.header = before
                .last()
                .is_some_and(|p| p.kind == b'{' && is_columns_key(&p.key));
            f.row = !f.header
                && before.len() >= 2
                && before[before.len() - 1].kind == b'['
                && !before[before.len() - 1].row
                && before[before.len() - 2].kind == b'{'
                && !before[before.len() - 2].columns.is_empty();
            if f.header {
                if let Some(p) = before.last_mut() {
                    p.columns.clear();
                    p.col_ids.clear();
                }
            }
            // An array of arrays without a header member: its first inner array may be the
            // header row, and once it was, the later ones are rows of cells.
            if let Some(p) = before
                .last()
                .filter(|p| p.kind == b'[' && !p.header && !p.row && !p.head_row)
                .filter(|_| !f.header && !f.row)
            {
                if p.table {
                    f.row = true;
                    f.cols_up = 1;
                } else if p.cell == 0 {
                    f.head_row = true;
                }
            }
            if f.head_row {
                if let Some(p) = before.last_mut() {
                    p.columns.clear();
                }
            }
        }
        if kind == b'[' && !f.row {
            if let Some(p) = before.last() {
                let inherited = if p.kind == b'{' && p.role == NAME_VALUE {
                    p.label.as_deref().unwrap_or(&p.key)
                } else {
                    &p.key
                };
                f.key.extend_from_slice(inherited);
            }
        }
        self.depth += 1;
    }

    fn pop_frame(&mut self, seg: &mut Segmenter) {
        if self.overflow > 0 {
            self.overflow -= 1;
            return;
        }
        if self.top().is_some_and(|f| f.kind == b'{' || f.row) {
            // A document type names the number of its own record (an object, a table's
            // row) only.
            seg.end_record(self.depth);
        }
        // A list closes: its last record's values stay for what follows the list in the
        // record around it unless they hold a negative keyword
        // (`Segmenter::forget_negative_between`).
        if let Some(list) = self
            .depth
            .checked_sub(1)
            .and_then(|d| self.frames.get_mut(d))
            .filter(|l| l.kind == b'[')
        {
            if let Some((from, to)) = list.pend.take() {
                seg.forget_negative_between(from, to);
            }
        }
        // A record among its siblings (an object in an array): its values are no context
        // for the next one's, which forgets them when it opens (`sibling_opens`,
        // `first_key`). The last one's wait for the list's close (above).
        if let Some([p, f]) = self
            .depth
            .checked_sub(2)
            .and_then(|d| self.frames.get_mut(d..d + 2))
        {
            if p.kind == b'[' && f.kind == b'{' {
                // (An empty object left the one before it undecided.)
                if let Some((from, to)) = p.pend.take() {
                    f.mark = f.mark.saturating_sub(seg.forget_between(from, to));
                }
                p.pend = Some((f.mark, seg.context_mark()));
                p.pend_key.clear();
                if f.members == 1 {
                    p.pend_key.extend_from_slice(&f.key);
                } else if f.first_in_list && f.known >= 2 {
                    p.pend_key.extend_from_slice(&f.first_key);
                }
            }
        }
        // The first inner array of an array of arrays closes: it is the header when it
        // held strings only and two of them name fields some rule listens to (the lookup a
        // pair's first element gets, once per array of arrays). One known name is as often
        // a list of label rows (`[["姓名","张伟"],["住址","…"]]`, `[["证件类型","身份证"],…]`,
        // `[["身份证号","1101…","备注"],…]`), whose pairs must keep their own names.
        if let Some(d) = self.depth.checked_sub(1).filter(|&d| d >= 1) {
            let (outer, inner) = self.frames.split_at_mut(d);
            let row = &inner[0];
            if row.kind == b'[' && row.head_row {
                let table = &mut outer[d - 1];
                let mut known = |c: &Vec<u8>| !c.is_empty() && seg.knows_key(c);
                table.table =
                    !row.head_bad && table.columns.iter().filter(|c| known(c)).count() >= 2;
                if !table.table {
                    table.columns.clear();
                }
            }
        }
        // A header given as objects (`"columns":[{"name":"xm","type":"string"},…]`): the
        // object's `name`/`field`/`code` member names its column.
        if self.depth >= 3 {
            let (outer, inner) = self.frames.split_at_mut(self.depth - 1);
            let obj = &mut inner[0];
            let n = outer.len();
            if obj.kind == b'{' && outer[n - 1].kind == b'[' && outer[n - 1].header {
                let table = &mut outer[n - 2];
                if table.columns.len() < COLUMNS_MAX {
                    // A display name some rule knows (`title: 姓名`) names the column better
                    // than an opaque id (`key: f1`); otherwise the label member, as before.
                    let label = obj.label.take().unwrap_or_default();
                    let name = if !obj.col_title.is_empty()
                        && !seg.knows_key(&label)
                        && seg.knows_key(&obj.col_title)
                    {
                        std::mem::take(&mut obj.col_title)
                    } else {
                        label
                    };
                    // An id some rule knows already names its cells (`dataIndex: xm`); only
                    // an opaque one (`f1`) is read as the column's name.
                    let mut id = std::mem::take(&mut obj.col_id);
                    if seg.knows_key(&id) {
                        id.clear();
                    }
                    self.grid |= !id.is_empty();
                    table.col_ids.resize(table.columns.len(), Vec::new());
                    table.col_ids.push(id);
                    table.columns.push(name);
                }
            }
        }
        // A result set's columns described in a member of their own beside the rows
        // (`{"meta":{"fields":[{"name":"xm"},…]},"data":[["王建平",…]]}`, JDBC and BI
        // exports): the object holding both reads its rows by them.
        if self.depth >= 2 {
            let (outer, inner) = self.frames.split_at_mut(self.depth - 1);
            let obj = &mut inner[0];
            if let Some(parent) = outer
                .last_mut()
                .filter(|p| p.kind == b'{' && p.columns.is_empty() && is_meta_key(&p.key))
            {
                if obj.kind == b'{' && !obj.columns.is_empty() {
                    std::mem::swap(&mut parent.columns, &mut obj.columns);
                    std::mem::swap(&mut parent.col_ids, &mut obj.col_ids);
                }
            }
            // An object closing in an array says whether the next one is a division's
            // row. (Read first: most rows, and most parents, are no division's.)
            let div = obj.division;
            if let Some(p) = outer.last_mut().filter(|p| div != 0 || p.division != 0) {
                if p.kind == b'[' && obj.kind == b'{' {
                    p.division = div.min(super::DIV_AFTER);
                }
            }
        }
        self.depth = self.depth.saturating_sub(1);
    }

    pub(crate) fn lex(&mut self, buf: &[u8], base: u64, eof: bool, seg: &mut Segmenter) -> usize {
        let len = buf.len();
        let mut i = 0;
        while i < len {
            if self.in_string {
                // Escapes often come in runs (`\u0031\u0031…`): test the next byte before
                // starting a vector search.
                let next = if buf[i] == b'\\' {
                    Some(0)
                } else {
                    memchr::memchr2(b'"', b'\\', &buf[i..])
                };
                match next {
                    None => return push_plain(buf, i, len, base, eof, seg),
                    Some(p) => {
                        if p > 0 {
                            seg.plain(&buf[i..i + p], base + i as u64);
                            i += p;
                        }
                        if buf[i] == b'"' {
                            seg.end(base + i as u64);
                            self.in_string = false;
                            let then = self.string_done(seg.last_head());
                            self.then(then, |seg| seg.last_head().to_vec(), seg);
                            i += 1;
                        } else {
                            match self.escape(buf, i, base, eof, seg) {
                                Some(n) => i += n,
                                None => return i,
                            }
                        }
                    }
                }
            } else if self.in_bare {
                match buf[i..].iter().position(|&b| structural(b)) {
                    None => return push_plain(buf, i, len, base, eof, seg),
                    Some(p) => {
                        if p > 0 {
                            seg.plain(&buf[i..i + p], base + i as u64);
                        }
                        i += p;
                        seg.end(base + i as u64);
                        self.in_bare = false;
                    }
                }
            } else {
                let b = buf[i];
                match b {
                    // (and a JSON text sequence's record separator between values)
                    b' ' | b'\t' | b'\r' | b'\n' | super::RECORD_SEPARATOR => {}
                    b'{' | b'[' => {
                        if b == b'{' {
                            self.sibling_opens(seg);
                        }
                        self.push_frame(b, seg.context_mark());
                        seg.set_nest(self.depth);
                        self.expect_key = b == b'{';
                    }
                    b'}' | b']' => {
                        self.pop_frame(seg);
                        seg.set_nest(self.depth);
                        self.expect_key = false;
                    }
                    b',' => match self
                        .depth
                        .checked_sub(1)
                        .and_then(|d| self.frames.get_mut(d))
                    {
                        Some(f) if f.kind == b'[' => {
                            self.expect_key = false;
                            if f.cell == 0 && !f.first.is_empty() && !f.row {
                                // Only a first element that names a field makes a pair, so
                                // a plain list (`"names":["张三","李四"]`) keeps its key.
                                f.pair = seg.knows_key(&f.first);
                            }
                            f.cell = f.cell.saturating_add(1);
                        }
                        Some(_) => self.expect_key = true,
                        None => self.expect_key = false,
                    },
                    b':' => self.expect_key = false,
                    b'"' => {
                        let is_key = self.expect_key && self.in_object();
                        self.string_is_key = is_key;
                        let key = if is_key { None } else { self.value_key() };
                        seg.naming = is_key;
                        // A short string already whole in the buffer may need no segment at
                        // all (the segmenter decides); look only a few bytes ahead. One table
                        // pass finds its end and what the segmenter's quick path asks.
                        let rest = &buf[i + 1..];
                        let ahead = &rest[..rest.len().min(crate::stream::QUICK_MAX)];
                        let (stop, classes) = seg.quick_table().scan(ahead);
                        if let Some(p) = stop.filter(|&p| ahead[p] == b'"') {
                            let end = base + (i + 1 + p) as u64;
                            let content = &ahead[..p];
                            if seg.quick(SegKind::JsonString, end, content, classes, key) {
                                let head = &content[..content.len().min(HEAD)];
                                let then = self.string_done(head);
                                self.then(then, |_| head.to_vec(), seg);
                            } else {
                                // The whole string is here and holds no escape: the same
                                // calls the string state would make, without searching again.
                                seg.begin(SegKind::JsonString, base + i as u64 + 1, key);
                                seg.plain(content, base + i as u64 + 1);
                                seg.end(end);
                                let then = self.string_done(seg.last_head());
                                self.then(then, |seg| seg.last_head().to_vec(), seg);
                            }
                            i += p + 2;
                            continue;
                        }
                        seg.begin(SegKind::JsonString, base + i as u64 + 1, key);
                        self.in_string = true;
                    }
                    _ => {
                        i = self.bare(buf, i, base, seg);
                        continue;
                    }
                }
                i += 1;
            }
        }
        len
    }

    /// A bare value (a number, `true`, `null`) starting at `buf[i]`; returns where lexing
    /// goes on. Whole in the buffer when a structural byte ends it there, it takes the
    /// same quick path as a short string; otherwise its segment stays open (`in_bare`).
    /// Kept out of `lex`, whose loop over structural bytes it would otherwise slow down.
    #[inline(never)]
    fn bare(&mut self, buf: &[u8], i: usize, base: u64, seg: &mut Segmenter) -> usize {
        if let Some(f) = self
            .depth
            .checked_sub(1)
            .and_then(|d| self.frames.get_mut(d))
            .filter(|f| f.head_row)
        {
            // A number or literal in the first row: a data row, not a header.
            f.head_bad = true;
        }
        let key = self.value_key();
        seg.naming = false;
        let ahead = &buf[i..buf.len().min(i + crate::stream::QUICK_MAX)];
        // One table pass finds the end and what the quick path asks (as for strings).
        let (stop, classes) = seg
            .quick_table()
            .scan_until(ahead, crate::detect::Q_JSON_END);
        if let Some(p) = stop {
            let content = &ahead[..p];
            let end = base + (i + p) as u64;
            if !seg.quick(SegKind::JsonBare, end, content, classes, key) {
                seg.begin(SegKind::JsonBare, base + i as u64, key);
                seg.plain(content, base + i as u64);
                seg.end(end);
            }
            // A division's code written as a number (`{"code":330700,"name":"金华"}`).
            if let Some(f) = self
                .depth
                .checked_sub(1)
                .and_then(|d| self.frames.get_mut(d))
            {
                f.note_code(content);
            }
            return i + p;
        }
        seg.begin(SegKind::JsonBare, base + i as u64, key);
        self.in_bare = true;
        i
    }

    /// Decodes the escape at `buf[i]` (a backslash). Returns the bytes consumed, or `None` to
    /// wait for more input.
    fn escape(
        &mut self,
        buf: &[u8],
        i: usize,
        base: u64,
        eof: bool,
        seg: &mut Segmenter,
    ) -> Option<usize> {
        let rest = &buf[i..];
        let at = base + i as u64;
        let Some(&kind) = rest.get(1) else {
            if eof {
                seg.plain(b"\\", at);
                return Some(1);
            }
            return None;
        };
        let simple = |c: char| Some((c, 2usize));
        let (c, n) = match kind {
            b'n' => simple('\n')?,
            b't' => simple('\t')?,
            b'r' => simple('\r')?,
            b'b' => simple('\u{8}')?,
            b'f' => simple('\u{c}')?,
            b'/' => simple('/')?,
            b'\\' => simple('\\')?,
            b'"' => simple('"')?,
            b'u' => match hex4(rest, 2) {
                Hex::Wait if !eof => return None,
                Hex::Wait | Hex::Bad => {
                    // Not a valid escape: keep the bytes as text.
                    seg.plain(&rest[..2], at);
                    return Some(2);
                }
                Hex::Val(hi @ 0xD800..=0xDBFF) => {
                    // A high surrogate wants a `\uDCxx` partner; wait for it only while the
                    // bytes seen so far could still be one.
                    let could_pair = rest.get(6).is_none_or(|&b| b == b'\\')
                        && rest.get(7).is_none_or(|&b| b == b'u');
                    if could_pair && rest.len() < 12 && !eof {
                        return None;
                    }
                    match hex4(rest, 8) {
                        Hex::Val(lo @ 0xDC00..=0xDFFF) if could_pair => {
                            let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                            (char::from_u32(cp).unwrap_or('\u{FFFD}'), 12)
                        }
                        _ => ('\u{FFFD}', 6),
                    }
                }
                Hex::Val(v) => (char::from_u32(v).unwrap_or('\u{FFFD}'), 6),
            },
            _ => {
                seg.plain(&rest[..1], at);
                return Some(1);
            }
        };
        let esc = if kind == b'u' { Esc::JsonU } else { Esc::Other };
        seg.decoded(c, at, at + n as u64, esc);
        Some(n)
    }
}

/// Four hex digits read at a position: their value, not all there yet, or not hex.
pub(crate) enum Hex {
    Val(u32),
    Wait,
    Bad,
}

/// The four hex digits of a `\uXXXX` escape at `s[at..]`.
pub(crate) fn hex4(s: &[u8], at: usize) -> Hex {
    let mut v = 0;
    for k in 0..4 {
        match s.get(at + k) {
            None => return Hex::Wait,
            Some(&b) => match hex_val(b) {
                Some(h) => v = v * 16 + h,
                None => return Hex::Bad,
            },
        }
    }
    Hex::Val(v)
}
