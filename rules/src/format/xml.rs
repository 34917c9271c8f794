//! XML / SOAP lexer. Text nodes, attribute values, CDATA sections, comments and processing
//! instructions are all segments (nothing is skipped unscanned); character references
//! (`&#x31;`, `&#49;`) and the predefined entities are decoded. Context is the innermost
//! element's local name (namespace prefix dropped), or for attributes the attribute name; an
//! element labelled by a `name`/`key`/`field` attribute (`<item key="sfzh">…</item>`, a common
//! exchange-platform shape) gives that label as context to its text and `value` attributes.
//! An element whose whole text names a field labels its next sibling, as label cells do in
//! tables and forms (`<td>姓名</td><td>张三</td>`, `<dt>住址</dt><dd>…</dd>`), and an HTML
//! table's header cells name its columns (`<th>姓名</th>` … `<td>张三</td>`).

use super::{hex_val, push_plain};
use crate::stream::{Esc, SegKind, Segmenter};

const MAX_DEPTH: usize = 256;
const NAME_MAX: usize = 64;

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum St {
    #[default]
    Text,
    /// Inside a start tag after its name.
    Tag,
    TagName,
    EndTag,
    AttrName,
    AfterAttrName,
    AttrValue(u8),
    /// Unquoted attribute value.
    AttrBare,
    Cdata,
    Comment,
    Pi,
    Doctype,
}

#[derive(Default)]
struct Elem {
    name: Vec<u8>,
    label: Option<Vec<u8>>,
    /// `<table>`: the column names its `<th>` cells (or its first row's) gave, by column;
    /// the first `<tr>`: the text of each of its data cells, until the row closes.
    columns: Vec<Vec<u8>>,
    /// `<tr>`: cells opened so far; `<td>`/`<th>`: the cell's column; `<table>`: rows
    /// opened so far.
    cell: usize,
    /// `<tr>`: the table's first row, which may be its header.
    first: bool,
    /// The first `<tr>`: the stream's finding count when it opened.
    found: u64,
    /// A cell's column as its `Index` attribute gives it (from 1).
    index: Option<usize>,
    /// What the element is in HTML, read off its name once when it opens.
    kind: Html,
    /// It holds elements or attributes: a record, whose end ends what a document-type
    /// field inside it said (`Segmenter::end_record`). A leaf (`<certType>511</certType>`)
    /// is a field of the record around it.
    record: bool,
    /// A child held an administrative-division code under a code's name
    /// (`<row><code>330700</code><name>金华</name></row>`): a division's row, whose bare
    /// `name` is a place's, as in JSON (`DIV_ROW`; `DIV_AFTER` when taken from the row
    /// before, until a code of another kind undoes it).
    division: u8,
    /// The last record closed in this element was a division's row: so is the next.
    div_rows: bool,
    /// Where the context kept for keyword windows stood when its start tag's name was
    /// read (`Segmenter::context_mark`).
    mark: u64,
    /// Child elements opened in it (up to 255).
    children: u8,
}

/// The HTML elements the lexer treats apart: the parts of a table, and elements that only
/// format text inside another one (`<b>`, `<span>`, `<font>`…).
#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Html {
    #[default]
    Other,
    Inline,
    Table,
    Row,
    Data,
    Header,
}

/// Longest element name the HTML kinds are read from (`columns`, `strong`, `table`).
const SHORT_NAME: usize = 7;

/// `name` lowercased into `buf`, when it is short enough to be one of the HTML names.
fn lower_short<'b>(name: &[u8], buf: &'b mut [u8; SHORT_NAME]) -> Option<&'b [u8]> {
    let low = buf.get_mut(..name.len())?;
    for (d, s) in low.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
    }
    Some(low)
}

impl Html {
    /// One pass over the local name (at most seven bytes, lowercased), asked once per element.
    fn of(name: &[u8]) -> Html {
        let mut buf = [0u8; SHORT_NAME];
        let Some(low) = lower_short(local(name), &mut buf) else {
            return Html::Other;
        };
        // Spreadsheet XML (Excel 2003's `<Table><Row><Cell><Data>`) and generic
        // `<row><cell>` tables are tables too; `<Data>` holds a cell's text.
        match low {
            b"td" | b"cell" | b"c" => Html::Data,
            b"th" | b"col" => Html::Header,
            // A header written as its own element of column elements
            // (`<table><columns><col>xm</col>…</columns><rows><row><c>王小明</c>…`): the
            // columns element is the header row, each column a header cell. Reports name it
            // `header` or `fields` as well.
            b"tr" | b"row" | b"cols" | b"columns" | b"header" | b"headers" | b"fields" => Html::Row,
            b"table" => Html::Table,
            b"b" | b"i" | b"u" | b"em" | b"strong" | b"span" | b"font" | b"a" | b"p" | b"div"
            | b"data" => Html::Inline,
            _ => Html::Other,
        }
    }
}

/// What a tag inside a text is to the text ([`XmlLexer::inline_tag`]).
enum Inline {
    /// More bytes are needed to tell.
    Wait,
    /// The text goes on after this many bytes of tag, which does this to the element stack.
    Through(usize, Step),
    /// The tag ends the text.
    No,
}

/// What a formatting tag the text goes on through does to the element stack.
enum Step {
    /// A start tag whose name is this long.
    Open(usize),
    Close,
    Void,
}

/// Longest formatting tag the text goes on through (`<span style="…">`).
const INLINE_TAG_MAX: usize = 160;

/// Elements that only format text inside a line: a value written across them is one value.
fn inline_name(name: &[u8]) -> bool {
    let mut buf = [0u8; SHORT_NAME];
    let Some(low) = lower_short(name, &mut buf) else {
        return false;
    };
    matches!(
        low,
        b"b" | b"i"
            | b"u"
            | b"s"
            | b"em"
            | b"strong"
            | b"span"
            | b"font"
            | b"a"
            | b"mark"
            | b"small"
            | b"big"
            | b"ins"
            | b"del"
            | b"code"
            | b"wbr"
            | b"label"
    )
}

/// A comment or processing instruction at `s[0] == b'<'` inside a text, with text right
/// after it: the text goes on through it when it can hold nothing a rule finds (no digit,
/// `@` or non-ASCII byte). A value split by one (`110105<!-- -->19491231002X`, a filter
/// bypass; React's server rendering puts `<!-- -->` between a label and its value) is one
/// value to whoever reads the element's text; a comment that holds something is read on its
/// own, as before.
fn inline_comment(s: &[u8], eof: bool) -> Inline {
    let (open, close): (&[u8], &[u8]) = if s.get(1) == Some(&b'?') {
        (b"<?", b"?>")
    } else {
        (b"<!--", b"-->")
    };
    if s.len() < open.len() {
        return if !eof && open.starts_with(s) {
            Inline::Wait
        } else {
            Inline::No
        };
    }
    if !s.starts_with(open) {
        // `<!DOCTYPE`, `<![CDATA[`: not this.
        return Inline::No;
    }
    let scope = &s[open.len()..s.len().min(INLINE_TAG_MAX)];
    let Some(p) = memchr::memmem::find(scope, close) else {
        return if !eof && s.len() < INLINE_TAG_MAX {
            Inline::Wait
        } else {
            Inline::No
        };
    };
    if scope[..p]
        .iter()
        .any(|&b| b.is_ascii_digit() || b >= 0x80 || b == b'@')
    {
        return Inline::No;
    }
    let n = open.len() + p + close.len();
    match s.get(n) {
        None if !eof => Inline::Wait,
        None | Some(b'<') => Inline::No,
        Some(_) => Inline::Through(n, Step::Void),
    }
}

/// A formatting tag ([`inline_name`]) read at `s[0] == b'<'`.
pub(crate) struct FormattingTag {
    /// An end tag (`</b>`).
    pub(crate) end: bool,
    /// Self-closing (`<b/>`) or `<wbr>`.
    pub(crate) void: bool,
    /// Where its name lies in `s`.
    pub(crate) name: std::ops::Range<usize>,
    /// Its length, to the `>`.
    pub(crate) len: usize,
}

/// The formatting tag at `s[0] == b'<'` (`<span class="hl">`, `</em>`, `<wbr>`) whose
/// attributes can hold no value a rule finds, so a value may be read on through it: the
/// attributes are not read as it goes by. `Err` says to wait for more input or that it is
/// no such tag.
fn formatting_tag(s: &[u8], eof: bool) -> Result<FormattingTag, Inline> {
    let end = s.get(1) == Some(&b'/');
    let name_at = 1 + usize::from(end);
    let name_len = s[name_at.min(s.len())..]
        .iter()
        .take(SHORT_NAME + 1)
        .position(|&b| !b.is_ascii_alphanumeric());
    let Some(name_len) = name_len else {
        // The name runs to the end of what is here.
        let partial = &s[name_at.min(s.len())..];
        return Err(
            if !eof && partial.len() <= SHORT_NAME && s.len() < INLINE_TAG_MAX {
                Inline::Wait
            } else {
                Inline::No
            },
        );
    };
    let name = &s[name_at..name_at + name_len];
    // (`<a:Name>` is a namespaced element, not a link.)
    if !inline_name(name) || s.get(name_at + name_len) == Some(&b':') {
        return Err(Inline::No);
    }
    // The tag's end, past quoted attribute values.
    let mut quote = None;
    let mut close = None;
    for (k, &b) in s
        .iter()
        .enumerate()
        .take(INLINE_TAG_MAX)
        .skip(name_at + name_len)
    {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'>') => {
                close = Some(k + 1);
                break;
            }
            (None, b'<') => return Err(Inline::No),
            _ => {}
        }
    }
    let Some(n) = close else {
        return Err(if !eof && s.len() < INLINE_TAG_MAX {
            Inline::Wait
        } else {
            Inline::No
        });
    };
    // Only a tag whose attributes can hold no value a rule finds (no digit, `@`, `%`, `&`
    // or non-ASCII byte: `class="hl"`) is gone through; `<a href="tel:138…">` ends the
    // value, and its attributes are read.
    if s[name_at + name_len..n]
        .iter()
        .any(|&b| b.is_ascii_digit() || b >= 0x80 || matches!(b, b'@' | b'%' | b'&'))
    {
        return Err(Inline::No);
    }
    Ok(FormattingTag {
        end,
        void: s[n - 2] == b'/' || name.eq_ignore_ascii_case(b"wbr"),
        name: name_at..name_at + name_len,
        len: n,
    })
}

/// The length of a formatting tag at `s[0] == b'<'` in a whole value that is not markup's
/// own text (a JSON string holding search highlighting, `138<em>0013</em>8000`, or rich
/// text): `None` when there is none.
pub(crate) fn formatting_tag_len(s: &[u8]) -> Option<usize> {
    formatting_tag(s, true).ok().map(|t| t.len)
}

/// Most columns an HTML table's header may name.
const COLUMNS_MAX: usize = 256;

/// A closed element whose whole text could be a label, kept (in reused buffers) until the
/// next element opens.
#[derive(Default)]
struct Sibling {
    live: bool,
    depth: usize,
    name: Vec<u8>,
    text: Vec<u8>,
}

/// The last record closed (an element holding elements or attributes), until its parent
/// closes: a sibling of the same name opening after it is the next record of a list
/// (`<Drug>…</Drug><Drug>…`), and what the first one's values said (from `mark` to `end`)
/// is no context for it. What stands between the two (`<D>…</D><T>护照</T><D>…`) stays,
/// and so does a record that held one label only (`<item><k>护照号码</k></item><item><v>…`:
/// `keep`).
#[derive(Default)]
struct PrevRecord {
    live: bool,
    keep: bool,
    depth: usize,
    name: Vec<u8>,
    mark: u64,
    end: u64,
}

impl PrevRecord {
    fn set(&mut self, depth: usize, e: &Elem, end: u64, keep: bool) {
        self.live = true;
        self.keep = keep;
        self.depth = depth;
        self.name.clear();
        self.name.extend_from_slice(&e.name);
        self.mark = e.mark;
        self.end = end;
    }
}

#[derive(Default)]
pub(crate) struct XmlLexer {
    st: St,
    stack: Vec<Elem>,
    overflow: usize,
    /// The start tag being read (pushed on the stack at `>` unless self-closing).
    open: Option<Elem>,
    attr: Vec<u8>,
    self_closing: bool,
    /// The text segment that just ended was an element's text, closed by its end tag.
    text_closed: bool,
    /// The last element closed on its own short text: it may label the next one opened
    /// at its depth.
    sibling: Sibling,
    prev_record: PrevRecord,
    /// Where a formatting tag was found to end the text after all (`inline_tag`), so it
    /// is read as a tag when the loop comes back to it.
    not_through: u64,
}

fn local(name: &[u8]) -> &[u8] {
    match name.iter().rposition(|&b| b == b':') {
        Some(p) => &name[p + 1..],
        None => name,
    }
}

/// Whether `s` (from a `<`) opens a link in angle brackets rather than a tag: a URI scheme
/// of up to ten letters, a `:` and a digit, `+` or `/` (`<tel:13800138000>`,
/// `<https://…/11010519491231002X>`), which read as a tag would hide the number in its name
/// and attributes. `None` when more bytes are needed to tell.
fn link_opens(s: &[u8], eof: bool) -> Option<bool> {
    const SCHEME_MAX: usize = 10;
    for (k, &b) in s.iter().enumerate().skip(1).take(SCHEME_MAX + 2) {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' if k <= SCHEME_MAX => {}
            b':' if k > 1 => {
                return match s.get(k + 1) {
                    Some(&c) => Some(c.is_ascii_digit() || matches!(c, b'+' | b'/')),
                    None if eof => Some(false),
                    None => None,
                }
            }
            _ => return Some(false),
        }
    }
    if eof {
        Some(false)
    } else {
        None
    }
}

/// Whether `b`, after a `<`, opens a tag, an end tag, a comment, a declaration or a
/// processing instruction.
fn tag_start(b: u8) -> bool {
    super::name_start(b) || matches!(b, b'/' | b'!' | b'?')
}

fn is_name_end(b: u8) -> bool {
    b.is_ascii_whitespace() || b == b'>' || b == b'/' || b == b'='
}

impl XmlLexer {
    fn text_key(&self) -> Option<&[u8]> {
        // Text set in bold or a span (`<td><b>李娜</b></td>`, `<XM><font>张伟</font></XM>`)
        // belongs to the element around it: the innermost element with a label or a name
        // of its own.
        let i = self
            .stack
            .iter()
            .rposition(|a| a.label.is_some() || a.kind != Html::Inline)
            .or(self.stack.len().checked_sub(1))?;
        let e = &self.stack[i];
        if let Some(label) = &e.label {
            return Some(label);
        }
        let name = local(&e.name);
        let parent = i.checked_sub(1).map(|p| &self.stack[p]);
        // A value element with no label stands for the element around it, as a JSON
        // object's value member does (`{"xm":{"value":…}}`): exchange formats name the
        // field in the parent's attribute and write its value as a child
        // (`<field code="xm"><value>洪建军</value></field>`), or name the parent for the
        // field (`<xm><value>…</value></xm>`). The stack holds the parent's label from
        // its start tag on, so this reads the same however the body is cut.
        if super::name_role(name) == super::NAME_VALUE {
            if let Some(p) = parent.filter(|p| p.kind != Html::Inline) {
                return Some(p.label.as_deref().unwrap_or_else(|| local(&p.name)));
            }
        }
        // A brand's, an agency's `name` or `address` (`<brand><name>周大福</name></brand>`,
        // `<agency><address>…政务服务大厅</address></agency>`), a contact's `name`, a
        // division's row's: what the element around it says, as JSON's objects do (SOAP
        // services nest their records as JSON ones do; see `JsonLexer::key_in`).
        if let Some(key) = super::owned_member_key(
            name,
            || parent.map(|p| local(&p.name)),
            parent.is_some_and(|p| p.division != 0),
        ) {
            return key;
        }
        Some(name)
    }

    fn attr_key(&self) -> Vec<u8> {
        // A namespace declaration (`xmlns:ns2="http://10.12.1.5:8080/ws"`) is judged under
        // `xmlns`, not under its prefix: its value is a URI that names a schema, and the
        // address rules take `xmlns` as a negative key (a masked host there changes the
        // namespace, and the client no longer finds its elements).
        if self.attr.starts_with(b"xmlns:") {
            return b"xmlns".to_vec();
        }
        if super::name_role(local(&self.attr)) == super::NAME_VALUE {
            if let Some(o) = &self.open {
                return o.label.clone().unwrap_or_else(|| local(&o.name).to_vec());
            }
        }
        local(&self.attr).to_vec()
    }

    pub(crate) fn lex(&mut self, buf: &[u8], base: u64, eof: bool, seg: &mut Segmenter) -> usize {
        let len = buf.len();
        let mut i = 0;
        while i < len {
            match self.st {
                St::Text => match memchr::memchr2(b'<', b'&', &buf[i..]) {
                    None => {
                        let from = self.begin_text(buf, i, len, base, seg);
                        return if seg.is_active() {
                            push_plain(buf, from, len, base, eof, seg)
                        } else {
                            len
                        };
                    }
                    Some(p) => {
                        let at = i + p;
                        // A formatting tag inside a text, with text on both sides of it
                        // (`138<span>0013</span>8000`, `<b>姓名：</b>张三`): the text goes on
                        // through it as one value, the tag's bytes kept as they are.
                        if buf[at] == b'<'
                            && base + at as u64 != self.not_through
                            && (seg.is_active()
                                || buf[i..at].iter().any(|b| !b.is_ascii_whitespace()))
                        {
                            match self.inline_tag(&buf[at..], eof) {
                                Inline::Wait => return i,
                                Inline::Through(n, step) => {
                                    // The text's key is the element's before the tag.
                                    let from = self.begin_text(buf, i, at, base, seg);
                                    if seg.is_active() && at > from {
                                        seg.plain(&buf[from..at], base + from as u64);
                                    }
                                    // A word and a number the tag sets apart (`Mobile<b>138
                                    // 0013 8000`) stay apart: the tag ends the text, as any
                                    // other tag does.
                                    let after = buf[at + n];
                                    let apart = seg.last_text_byte().is_some_and(|b| {
                                        (b.is_ascii_alphabetic() && after.is_ascii_digit())
                                            || (b.is_ascii_digit() && after.is_ascii_alphabetic())
                                    });
                                    if apart {
                                        self.not_through = base + at as u64;
                                        i = at;
                                        continue;
                                    }
                                    match step {
                                        Step::Open(len) => self.stack.push(Elem {
                                            name: buf[at + 1..at + 1 + len].to_vec(),
                                            kind: Html::Inline,
                                            ..Elem::default()
                                        }),
                                        Step::Close => {
                                            self.stack.pop();
                                        }
                                        Step::Void => {}
                                    }
                                    i = at + n;
                                    continue;
                                }
                                Inline::No => {}
                            }
                        }
                        let quick = !seg.is_active() && self.quick_text(buf, i, at, base, eof, seg);
                        if !quick {
                            let from = self.begin_text(buf, i, at, base, seg);
                            if seg.is_active() && at > from {
                                seg.plain(&buf[from..at], base + from as u64);
                            }
                        }
                        i = at;
                        if buf[i] == b'&' {
                            if !seg.is_active() {
                                let key = self.text_key();
                                seg.begin(SegKind::XmlText, base + i as u64, key);
                            }
                            match entity(&buf[i..], eof) {
                                Ent::Wait => return i,
                                Ent::Char(c, n, esc) => {
                                    seg.decoded(c, base + i as u64, base + (i + n) as u64, esc);
                                    i += n;
                                }
                                Ent::Literal => {
                                    seg.plain(b"&", base + i as u64);
                                    i += 1;
                                }
                            }
                            continue;
                        }
                        // `<`: decide what it opens; needs up to 9 bytes of lookahead.
                        let rest = &buf[i..];
                        let starts = |p: &[u8]| rest.len() >= p.len() && &rest[..p.len()] == p;
                        let could = |p: &[u8]| rest.len() < p.len() && p.starts_with(rest);
                        if !eof && (could(b"<![CDATA[") || could(b"<!--")) {
                            return i;
                        }
                        if starts(b"<![CDATA[") {
                            // CDATA is part of the element's text: text and CDATA sections of
                            // one element form one segment, so a value split across them
                            // (`1101081986]]><![CDATA[01162418`) is seen whole.
                            i += 9;
                            if !seg.is_active() {
                                let key = self.text_key();
                                seg.begin(SegKind::XmlText, base + i as u64, key);
                            }
                            seg.mark_cdata();
                            self.st = St::Cdata;
                            continue;
                        }
                        if rest.len() < 2 && !eof {
                            return i;
                        }
                        let link = match link_opens(rest, eof) {
                            Some(l) => l,
                            None => return i,
                        };
                        if link || !rest.get(1).is_some_and(|&b| tag_start(b)) {
                            // `a < 13800138000`, `<13800138000>`, a `<` at the end: no tag
                            // opens so, and a reader takes the `<` for text (HTML does).
                            if !seg.is_active() {
                                let key = self.text_key();
                                seg.begin(SegKind::XmlText, base + i as u64, key);
                            }
                            seg.plain(b"<", base + i as u64);
                            i += 1;
                            continue;
                        }
                        let text_ended = seg.is_active() || quick;
                        if seg.is_active() {
                            seg.end(base + i as u64);
                        }
                        self.text_closed = text_ended && starts(b"</");
                        if starts(b"<!--") {
                            i += 4;
                            seg.begin(SegKind::XmlCdata, base + i as u64, None);
                            self.st = St::Comment;
                        } else if starts(b"<?") {
                            i += 2;
                            seg.begin(SegKind::XmlCdata, base + i as u64, None);
                            self.st = St::Pi;
                        } else if starts(b"<!") {
                            i += 2;
                            seg.begin(SegKind::XmlCdata, base + i as u64, None);
                            self.st = St::Doctype;
                        } else if starts(b"</") {
                            i += 2;
                            self.st = St::EndTag;
                        } else if rest.len() < 2 && !eof {
                            return i;
                        } else {
                            i += 1;
                            self.open = Some(Elem::default());
                            self.self_closing = false;
                            self.st = St::TagName;
                        }
                    }
                },
                St::Cdata | St::Comment | St::Pi => {
                    let close: &[u8] = match self.st {
                        St::Cdata => b"]]>",
                        St::Comment => b"-->",
                        _ => b"?>",
                    };
                    match memchr::memmem::find(&buf[i..], close) {
                        Some(p) => {
                            if p > 0 {
                                seg.plain(&buf[i..i + p], base + i as u64);
                            }
                            if self.st != St::Cdata {
                                seg.end(base + (i + p) as u64);
                            }
                            i += p + close.len();
                            self.st = St::Text;
                        }
                        None => {
                            // Keep back what could be the start of the terminator.
                            let upto = if eof {
                                len
                            } else {
                                len.saturating_sub(close.len() - 1).max(i)
                            };
                            let done = push_plain(buf, i, upto, base, eof, seg);
                            return done;
                        }
                    }
                }
                St::Doctype => match memchr::memchr(b'>', &buf[i..]) {
                    Some(p) => {
                        if p > 0 {
                            seg.plain(&buf[i..i + p], base + i as u64);
                        }
                        seg.end(base + (i + p) as u64);
                        i += p + 1;
                        self.st = St::Text;
                    }
                    None => return push_plain(buf, i, len, base, eof, seg),
                },
                St::TagName | St::EndTag => {
                    let end_tag = self.st == St::EndTag;
                    let p = buf[i..]
                        .iter()
                        .position(|&b| is_name_end(b))
                        .unwrap_or(len - i);
                    if !end_tag {
                        if let Some(o) = self.open.as_mut() {
                            let room = NAME_MAX.saturating_sub(o.name.len());
                            o.name.extend_from_slice(&buf[i..i + p.min(room)]);
                        }
                    }
                    i += p;
                    if i < len {
                        if end_tag {
                            // Skip to `>` of the end tag.
                            match memchr::memchr(b'>', &buf[i..]) {
                                Some(q) => {
                                    i += q + 1;
                                    if self.overflow > 0 {
                                        self.overflow -= 1;
                                    } else {
                                        self.sibling.live = false;
                                        if let Some(mut e) = self.stack.pop() {
                                            if e.record {
                                                seg.end_record(self.stack.len() + 1);
                                                let keep = self.label_record(&e, seg);
                                                let end = seg.context_mark();
                                                self.prev_record.set(
                                                    self.stack.len(),
                                                    &e,
                                                    end,
                                                    keep,
                                                );
                                            } else if self.prev_record.depth > self.stack.len() {
                                                self.prev_record.live = false;
                                            }
                                            self.note_division(&e, seg);
                                            self.close_header_cell(&e, seg);
                                            self.first_row_cell(&mut e, seg);
                                            self.note_sibling(e, seg);
                                        }
                                    }
                                    seg.set_nest(self.stack.len().saturating_sub(1));
                                    self.text_closed = false;
                                    self.st = St::Text;
                                }
                                None => return len,
                            }
                        } else {
                            // A list's next record: the one before it is no context for it.
                            if let Some(o) = self.open.as_mut() {
                                let prev = &self.prev_record;
                                if prev.live
                                    && prev.depth == self.stack.len()
                                    && prev.name == o.name
                                {
                                    if !prev.keep {
                                        seg.forget_between(prev.mark, prev.end);
                                    }
                                    self.prev_record.live = false;
                                }
                                o.mark = seg.context_mark();
                            }
                            self.st = St::Tag;
                        }
                    }
                }
                St::Tag => {
                    let b = buf[i];
                    if b.is_ascii_whitespace() {
                        i += 1;
                    } else if b == b'/' {
                        self.self_closing = true;
                        i += 1;
                    } else if b == b'>' {
                        i += 1;
                        let mut e = self.open.take().unwrap_or_default();
                        e.kind = Html::of(&e.name);
                        let unlabelled = e.label.is_none();
                        self.label_from_sibling(&mut e, seg);
                        let sibling = unlabelled && e.label.is_some();
                        self.open_cell(&mut e, seg, sibling);
                        if let Some(p) = self.stack.last_mut() {
                            p.record = true;
                            p.children = p.children.saturating_add(1);
                            if p.div_rows {
                                e.division = super::DIV_AFTER;
                            }
                        }
                        if self.self_closing && e.record {
                            seg.end_record(self.stack.len() + 1);
                            let end = seg.context_mark();
                            self.prev_record.set(self.stack.len(), &e, end, false);
                        }
                        if !self.self_closing {
                            if self.stack.len() < MAX_DEPTH {
                                self.stack.push(e);
                            } else {
                                self.overflow += 1;
                            }
                        }
                        // Text is a value of the element around it: its children's texts
                        // and its attributes are one record (`nest`).
                        seg.set_nest(self.stack.len().saturating_sub(1));
                        self.st = St::Text;
                    } else {
                        self.attr.clear();
                        self.self_closing = false;
                        if let Some(o) = self.open.as_mut() {
                            o.record = true;
                        }
                        self.st = St::AttrName;
                    }
                }
                St::AttrName => {
                    let p = buf[i..]
                        .iter()
                        .position(|&b| is_name_end(b))
                        .unwrap_or(len - i);
                    let room = NAME_MAX.saturating_sub(self.attr.len());
                    self.attr.extend_from_slice(&buf[i..i + p.min(room)]);
                    i += p;
                    if i < len {
                        self.st = St::AfterAttrName;
                    }
                }
                St::AfterAttrName => {
                    let b = buf[i];
                    if b.is_ascii_whitespace() || b == b'=' {
                        i += 1;
                    } else if b == b'"' || b == b'\'' {
                        i += 1;
                        let key = self.attr_key();
                        seg.set_nest(self.stack.len() + 1);
                        seg.begin(SegKind::XmlAttr, base + i as u64, Some(&key));
                        self.st = St::AttrValue(b);
                    } else if b == b'>' || b == b'/' {
                        self.st = St::Tag;
                    } else {
                        let key = self.attr_key();
                        seg.set_nest(self.stack.len() + 1);
                        seg.begin(SegKind::XmlAttr, base + i as u64, Some(&key));
                        self.st = St::AttrBare;
                    }
                }
                St::AttrValue(q) => match memchr::memchr2(q, b'&', &buf[i..]) {
                    None => return push_plain(buf, i, len, base, eof, seg),
                    Some(p) => {
                        if p > 0 {
                            seg.plain(&buf[i..i + p], base + i as u64);
                        }
                        i += p;
                        if buf[i] == q {
                            seg.end(base + i as u64);
                            self.attr_done(seg);
                            i += 1;
                            self.st = St::Tag;
                        } else {
                            match entity(&buf[i..], eof) {
                                Ent::Wait => return i,
                                Ent::Char(c, n, esc) => {
                                    seg.decoded(c, base + i as u64, base + (i + n) as u64, esc);
                                    i += n;
                                }
                                Ent::Literal => {
                                    seg.plain(b"&", base + i as u64);
                                    i += 1;
                                }
                            }
                        }
                    }
                },
                St::AttrBare => {
                    let p = buf[i..]
                        .iter()
                        .position(|&b| b.is_ascii_whitespace() || b == b'>')
                        .unwrap_or(len - i);
                    let done = push_plain(buf, i, i + p, base, eof, seg);
                    if i + p == len {
                        return done;
                    }
                    i += p;
                    seg.end(base + i as u64);
                    self.attr_done(seg);
                    self.st = St::Tag;
                }
            }
        }
        len
    }

    /// The tag at `s[0] == b'<'` when text may go on through it: a formatting element's
    /// start or end tag (`<span class="hl">`, `</b>`, `<wbr>`) with text right after it, the
    /// end tag closing the innermost element; what it does to the element stack is left to
    /// the caller, after the text's segment has taken its key.
    fn inline_tag(&self, s: &[u8], eof: bool) -> Inline {
        if matches!(s.get(1), Some(b'!' | b'?')) {
            return inline_comment(s, eof);
        }
        let tag = match formatting_tag(s, eof) {
            Ok(tag) => tag,
            Err(i) => return i,
        };
        let n = tag.len;
        // An empty element (`138<span></span>00138000`) is gone through as one void tag.
        if !tag.end && !tag.void {
            let name = &s[tag.name.clone()];
            let close_len = 3 + name.len();
            match s.get(n..n + close_len) {
                Some(c)
                    if c.starts_with(b"</")
                        && c[2..2 + name.len()].eq_ignore_ascii_case(name)
                        && c[close_len - 1] == b'>' =>
                {
                    match s.get(n + close_len) {
                        None if !eof => return Inline::Wait,
                        None | Some(b'<') => return Inline::No,
                        Some(_) => return Inline::Through(n + close_len, Step::Void),
                    }
                }
                None if !eof && s.len() - n < close_len => {
                    let have = &s[n..];
                    let mut want = b"</".to_vec();
                    want.extend_from_slice(name);
                    let cmp = have.len().min(want.len());
                    if have[..cmp].eq_ignore_ascii_case(&want[..cmp]) {
                        return Inline::Wait;
                    }
                }
                _ => {}
            }
        }
        // Text must follow; another tag or the end of the body ends the text here.
        match s.get(n) {
            None if !eof => return Inline::Wait,
            None | Some(b'<') => return Inline::No,
            Some(_) => {}
        }
        let name = &s[tag.name.clone()];
        let step = if tag.end {
            match self.stack.last() {
                Some(top) if top.kind == Html::Inline && top.name.eq_ignore_ascii_case(name) => {
                    Step::Close
                }
                _ => return Inline::No,
            }
        } else if tag.void {
            Step::Void
        } else if self.stack.len() >= MAX_DEPTH {
            return Inline::No;
        } else {
            Step::Open(name.len())
        };
        Inline::Through(n, step)
    }

    /// A text node whole in the buffer (`buf[from..to]`, ended by the tag at `to`, not by an
    /// entity or by CDATA that would continue it) takes the segmenter's quick path, as a JSON
    /// value does; its bytes become the last head, which the label and header-cell logic
    /// read when the element closes. Returns whether it was dealt with; otherwise the full
    /// path (`begin_text`) runs, also for whitespace between tags and when too few bytes of
    /// the tag are here to tell CDATA from a tag.
    fn quick_text(
        &mut self,
        buf: &[u8],
        from: usize,
        to: usize,
        base: u64,
        eof: bool,
        seg: &mut Segmenter,
    ) -> bool {
        let rest = &buf[to..];
        if rest.first() != Some(&b'<')
            || (rest.len() < 9 && !eof)
            || rest.starts_with(b"<![CDATA[")
            || !rest.get(1).is_some_and(|&b| tag_start(b))
            || link_opens(rest, eof) != Some(false)
        {
            return false;
        }
        let Some(q) = buf[from..to].iter().position(|b| !b.is_ascii_whitespace()) else {
            return false;
        };
        let content = &buf[from + q..to];
        if seg.quick_bytes(SegKind::XmlText, base + to as u64, content, self.text_key()) {
            seg.set_last_head(content);
            return true;
        }
        false
    }

    /// Starts a text segment for `buf[from..to]` unless it is whitespace between tags, and
    /// returns where the segment's content starts in `buf`. A new segment starts at the first
    /// byte that is not whitespace: leading whitespace may arrive in an earlier chunk, where it
    /// starts nothing, so starting there only when it comes in the same chunk would make the
    /// value (and whether it is whole base64) depend on the chunking.
    fn begin_text(
        &mut self,
        buf: &[u8],
        from: usize,
        to: usize,
        base: u64,
        seg: &mut Segmenter,
    ) -> usize {
        if seg.is_active() {
            return from;
        }
        match buf[from..to].iter().position(|b| !b.is_ascii_whitespace()) {
            Some(q) => {
                let key = self.text_key();
                seg.begin(SegKind::XmlText, base + (from + q) as u64, key);
                from + q
            }
            None => to,
        }
    }

    /// An HTML table cell being opened: it takes the next column of its row, and a data cell
    /// with no label of its own takes that column's name from the table's header row
    /// (`<tr><th>姓名</th>…</tr><tr><td>张三</td>…`), as a CSV field does. A column name
    /// some rule listens to also wins over a label the cell before gave (`sibling`): in a
    /// table with a header, a data cell that reads like a label (`SKU-…`, `编号`) is a
    /// value of its own column.
    fn open_cell(&mut self, e: &mut Elem, seg: &mut Segmenter, sibling: bool) {
        if e.kind == Html::Row {
            if let Some(t) = self.stack.iter_mut().rev().find(|t| t.kind == Html::Table) {
                e.first = t.cell == 0;
                e.found = seg.found();
                t.cell = t.cell.saturating_add(1);
            }
            return;
        }
        let td = e.kind == Html::Data;
        if !td && e.kind != Html::Header {
            return;
        }
        let Some(row) = self.stack.last_mut().filter(|r| r.kind == Html::Row) else {
            return;
        };
        if let Some(n) = e.index {
            row.cell = n - 1;
        }
        e.cell = row.cell;
        row.cell = row.cell.saturating_add(1);
        if td && (e.label.is_none() || sibling) {
            if let Some(name) = self
                .stack
                .iter()
                .rev()
                .find(|t| t.kind == Html::Table)
                .and_then(|t| t.columns.get(e.cell))
                .filter(|n| !n.is_empty())
            {
                if e.label.is_none() || seg.knows_key(name) {
                    e.label = Some(name.clone());
                }
            }
        }
    }

    /// A table's first row of data cells is its header when two or more of its cells name
    /// fields some rule listens to and none of them held a finding (`<tr><td>姓名</td>
    /// <td>身份证号</td>…`, a spreadsheet's first `<Row>`): a generated report writes its
    /// header row as plain cells as often as with `<th>`. A row of label and value cells
    /// (`<td>姓名</td><td>张三</td><td>住址</td><td>…</td>`) names fields too, but its values
    /// are found under their labels.
    /// Called for every closed element: collects the text of the first row's cells (the
    /// cell's own, or of the `<Data>`/`<b>` inside it) and decides when that row closes.
    fn first_row_cell(&mut self, e: &mut Elem, seg: &mut Segmenter) {
        let n = self.stack.len();
        match e.kind {
            Html::Row if e.first => {
                let names = std::mem::take(&mut e.columns);
                if seg.found() == e.found
                    && names
                        .iter()
                        .filter(|c| !c.is_empty() && seg.knows_key(c))
                        .count()
                        >= 2
                {
                    if let Some(t) = self.stack.iter_mut().rev().find(|t| t.kind == Html::Table) {
                        if t.columns.is_empty() {
                            t.columns = names;
                        }
                    }
                }
                return;
            }
            Html::Data | Html::Inline if self.text_closed => {}
            _ => return,
        }
        // The cell and its row: `e` is the cell, or text formatting inside the cell.
        let (cell, row) = if e.kind == Html::Data {
            (e.cell, n.checked_sub(1))
        } else {
            match self.stack.last() {
                Some(c) if c.kind == Html::Data && c.label.is_none() => (c.cell, n.checked_sub(2)),
                _ => return,
            }
        };
        let Some(row) = row.and_then(|r| self.stack.get_mut(r)) else {
            return;
        };
        if row.kind != Html::Row || !row.first || cell >= COLUMNS_MAX {
            return;
        }
        let Some(name) = super::label_text(seg.last_head()) else {
            return;
        };
        if row.columns.len() <= cell {
            row.columns.resize(cell + 1, Vec::new());
        }
        row.columns[cell] = name.to_vec();
    }

    /// After an end tag: a code element's division code makes the element around it a
    /// division's row; a record closing says whether the next one in its parent is one.
    fn note_division(&mut self, e: &Elem, seg: &Segmenter) {
        let Some(p) = self.stack.last_mut() else {
            return;
        };
        if e.record {
            p.div_rows = e.division != 0;
        } else if self.text_closed {
            super::note_division(&mut p.division, local(&e.name), seg.last_head());
        }
    }

    /// A `<th>` closed on its own text: that text names its column for the rest of the table.
    fn close_header_cell(&mut self, e: &Elem, seg: &Segmenter) {
        // Only a header cell closed inside its row: HTML's `<col>` has no end tag, and the
        // `</colgroup>` that pops one is no column's name.
        if e.kind != Html::Header
            || e.cell >= COLUMNS_MAX
            || self.stack.last().is_none_or(|r| r.kind != Html::Row)
        {
            return;
        }
        let name = if self.text_closed {
            super::label_text(seg.last_head())
                .unwrap_or_default()
                .to_vec()
        } else {
            Vec::new()
        };
        if let Some(t) = self.stack.iter_mut().rev().find(|t| t.kind == Html::Table) {
            if t.columns.len() <= e.cell {
                t.columns.resize(e.cell + 1, Vec::new());
            }
            t.columns[e.cell] = name;
        }
    }

    /// Whether a record that closed held one element only, a label's with a field's name
    /// some rule listens to (`<item><k>护照号码</k></item>`): a list of label and value
    /// items, where the next item's value is the one named.
    // (Out of line: once per record.)
    #[inline(never)]
    fn label_record(&self, e: &Elem, seg: &mut Segmenter) -> bool {
        let s = &self.sibling;
        e.children == 1
            && s.depth == self.stack.len() + 1
            && super::name_role(local(&s.name)) == super::NAME_LABEL
            && seg.knows_key(&s.text)
    }

    /// After an end tag: keeps the element's text when it was all the element held and is
    /// short enough to be a label.
    fn note_sibling(&mut self, mut e: Elem, seg: &Segmenter) {
        if !self.text_closed {
            return;
        }
        let Some(text) = super::label_text(seg.last_head()) else {
            return;
        };
        let s = &mut self.sibling;
        s.text.clear();
        s.text.extend_from_slice(text);
        // The closed element is done with its name: take it rather than copy it.
        std::mem::swap(&mut s.name, &mut e.name);
        s.depth = self.stack.len();
        s.live = true;
    }

    /// The element opened right after a label cell at its depth takes the cell's text as its
    /// context when the two are a label and its value and the text names a field: cells of
    /// one kind (`<td>`/`<td>`, `<li>`/`<li>`), a definition (`<dt>`/`<dd>`), a header beside
    /// its cell (`<th>`/`<td>`), a `<label>` before anything, or name and value elements
    /// (`<key>`/`<value>`). A header cell is never a value. Other siblings, such as the
    /// fields of a data record (`<XM>张伟</XM><SFZH>…`), are not asked about: the key
    /// lookup is the costly part, and the text of a record's field is a value, not a label.
    fn label_from_sibling(&mut self, e: &mut Elem, seg: &mut Segmenter) {
        let s = &mut self.sibling;
        if !std::mem::take(&mut s.live) || s.depth != self.stack.len() || e.label.is_some() {
            return;
        }
        let (a, b) = (local(&s.name), local(&e.name));
        let same = |x: &[u8], y: &[u8]| x.eq_ignore_ascii_case(y);
        let paired = e.kind != Html::Header
            && (same(a, b)
                || (same(a, b"dt") && same(b, b"dd"))
                || (same(a, b"th") && same(b, b"td"))
                || same(a, b"label")
                || (super::name_role(a) == super::NAME_LABEL
                    && super::name_role(b) == super::NAME_VALUE));
        if paired && seg.knows_key(&s.text) {
            e.label = Some(s.text.clone());
        }
    }

    fn attr_done(&mut self, seg: &Segmenter) {
        let name = local(&self.attr);
        if super::name_role(name) == super::NAME_LABEL {
            if let Some(o) = self.open.as_mut() {
                o.label = Some(seg.last_head().to_vec());
            }
        } else if name.eq_ignore_ascii_case(b"index") {
            // Excel 2003 XML leaves empty cells out and numbers the next one
            // (`<Cell ss:Index="4">`, from 1): its column is that, not the next.
            if let Some(o) = self.open.as_mut() {
                o.index = std::str::from_utf8(seg.last_head().trim_ascii())
                    .ok()
                    .and_then(|v| v.parse::<usize>().ok())
                    .filter(|&n| (1..=COLUMNS_MAX).contains(&n));
            }
        }
    }
}

/// A numeric character reference's body, between `&` and `;` (`#49`, `#x5F20`): the
/// character, and how a replacement is written back.
pub(crate) fn numeric_ref(body: &[u8]) -> Option<(char, Esc)> {
    let v = match body {
        [b'#', b'x' | b'X', hex @ ..] if !hex.is_empty() => (
            hex.iter()
                .try_fold(0u32, |acc, &b| Some(acc.checked_mul(16)? + hex_val(b)?)),
            Esc::XmlHex,
        ),
        [b'#', dec @ ..] if !dec.is_empty() => (
            dec.iter().try_fold(0u32, |acc, &b| {
                if b.is_ascii_digit() {
                    Some(acc.checked_mul(10)? + u32::from(b - b'0'))
                } else {
                    None
                }
            }),
            Esc::XmlDec,
        ),
        _ => return None,
    };
    Some((char::from_u32(v.0?)?, v.1))
}

enum Ent {
    Wait,
    Char(char, usize, Esc),
    Literal,
}

/// Decodes an entity or character reference at `s[0] == b'&'`.
fn entity(s: &[u8], eof: bool) -> Ent {
    let semi = s.iter().take(12).position(|&b| b == b';');
    let Some(semi) = semi else {
        return if s.len() < 12 && !eof {
            Ent::Wait
        } else {
            Ent::Literal
        };
    };
    let body = &s[1..semi];
    let n = semi + 1;
    let named = |c| Ent::Char(c, n, Esc::Other);
    match body {
        b"lt" => named('<'),
        b"gt" => named('>'),
        b"amp" => named('&'),
        b"quot" => named('"'),
        b"apos" => named('\''),
        // HTML's spaces and joiners, which pages put inside numbers (`110105&nbsp;1949…`).
        b"nbsp" => named('\u{a0}'),
        b"ensp" => named('\u{2002}'),
        b"emsp" => named('\u{2003}'),
        b"thinsp" => named('\u{2009}'),
        b"zwsp" | b"ZeroWidthSpace" => named('\u{200b}'),
        b"zwnj" => named('\u{200c}'),
        b"zwj" => named('\u{200d}'),
        b"middot" => named('\u{b7}'),
        // Dashes, a soft hyphen and direction marks between digit groups.
        b"ndash" => named('\u{2013}'),
        b"mdash" => named('\u{2014}'),
        b"minus" => named('\u{2212}'),
        b"hyphen" | b"dash" => named('\u{2010}'),
        b"shy" => named('\u{ad}'),
        b"lrm" => named('\u{200e}'),
        b"rlm" => named('\u{200f}'),
        b"times" => named('\u{d7}'),
        [b'#', ..] => match numeric_ref(body) {
            Some((c, esc)) => Ent::Char(c, n, esc),
            None => Ent::Literal,
        },
        _ => Ent::Literal,
    }
}
