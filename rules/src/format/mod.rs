//! Body formats and their streaming lexers. A lexer walks raw bytes and hands the segmenter
//! the *values* of the body (JSON strings and scalars, XML text, attribute values and CDATA,
//! CSV fields, form keys and values, or plain text), decoded from the format's escapes, each
//! with the field name that gives it context. Lexers are lenient on purpose: they look for
//! values, not for grammar errors, and anything they cannot place is scanned as text, so a
//! malformed body is never a way around inspection.

pub(crate) mod csv;
pub(crate) mod form;
pub(crate) mod json;
pub(crate) mod multipart;
pub(crate) mod text;
pub(crate) mod xml;

/// The content formats the engine understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    Json,
    Xml,
    Csv,
    Form,
    Multipart,
    #[default]
    Text,
}

/// The byte before each record of a JSON text sequence (RFC 7464, `application/json-seq`).
pub(crate) const RECORD_SEPARATOR: u8 = 0x1E;

impl Format {
    /// Maps a Content-Type header value to a format; `None` when the type says nothing useful
    /// (missing, `application/octet-stream`…), in which case the caller should [`Format::sniff`].
    pub fn from_content_type(ct: &str) -> Option<Format> {
        let ct = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let (top, sub) = ct.split_once('/').unwrap_or((ct.as_str(), ""));
        // JSON text sequences (RFC 7464, records each after a 0x1E byte) and JSON Lines are
        // JSON values one after another, which the JSON lexer reads as such.
        if sub == "json"
            || sub.ends_with("+json")
            || matches!(
                sub,
                "x-ndjson" | "ndjson" | "json-seq" | "jsonl" | "x-jsonlines" | "jsonlines"
            )
            || sub.ends_with("+json-seq")
        {
            Some(Format::Json)
        } else if sub == "xml" || sub.ends_with("+xml") {
            Some(Format::Xml)
        } else if sub == "csv" || sub == "tab-separated-values" {
            Some(Format::Csv)
        } else if sub == "x-www-form-urlencoded" {
            Some(Format::Form)
        } else if top == "multipart" || ct == "message/rfc822" || ct == "message/global" {
            // Form posts, mixed and related bodies (SOAP with attachments, MTOM), mails.
            Some(Format::Multipart)
        } else if top == "text" {
            Some(Format::Text)
        } else {
            None
        }
    }

    /// Whether a body's first bytes open an event stream (`data:`, `event:`, `id:`, `retry:`
    /// or a `:` comment, in ASCII): such a body is text, one segment per event.
    pub fn opens_event_stream(head: &[u8]) -> bool {
        text::opens_event_stream(head)
    }

    /// Guesses the format from the first bytes of a body. Used when the Content-Type is missing
    /// or wrong; a JSON body served as `text/plain` is still lexed as JSON. Falls back to text,
    /// which scans every byte, so a wrong guess costs context, never coverage.
    pub fn sniff(prefix: &[u8]) -> Format {
        let p = prefix.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(prefix);
        // A JSON text sequence's record separator (0x1E) opens its records as a blank would.
        let start = p
            .iter()
            .position(|&b| !b.is_ascii_whitespace() && b != RECORD_SEPARATOR);
        match start.map(|i| &p[i..]) {
            Some(t) if looks_like_json(t) => Format::Json,
            // `<tag`, `<?xml`, `<!--`, `</`: markup; `<==`, `<-` open log lines, and
            // `<https://…>`, `<zhangsan@example.cn>` are links in text.
            Some(t) if opens_markup(t) => Format::Xml,
            Some(t) if multipart::looks_like_multipart(t) => Format::Multipart,
            Some(t) if looks_like_form(t) => Format::Form,
            Some(t) if looks_like_csv(t) => Format::Csv,
            _ => Format::Text,
        }
    }

    /// Whether `prefix` is enough to choose the lexer: it opens (after a byte-order mark and
    /// blanks) with `{`, `[` or `<` and a byte after it, and holds no zero byte (so it is no
    /// UTF-16 text of ASCII; UTF-16 text of CJK whose first unit looks so is lexed as JSON or
    /// XML, which scan what they cannot place as values, and the engine still reads its
    /// charset from the bytes). [`resolve`](Self::resolve) then answers JSON or XML. A caller
    /// sniffing a streamed body can then start scanning without waiting for a longer prefix,
    /// so a feed of small JSON records is not held for its first few.
    pub fn settled_by(prefix: &[u8]) -> bool {
        let p = prefix.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(prefix);
        let Some(i) = p
            .iter()
            .position(|&b| !b.is_ascii_whitespace() && b != RECORD_SEPARATOR)
        else {
            return false;
        };
        matches!(p[i], b'{' | b'[' | b'<') && p.len() > i + 1 && !p.contains(&0)
    }

    /// Resolves the format for a body: the declared type when it is specific and agrees with
    /// the first bytes, otherwise what the bytes look like.
    pub fn resolve(content_type: Option<&str>, prefix: &[u8]) -> Format {
        // A UTF-16 body is sniffed as the text it holds (the scanner decodes it the same way).
        let decoded;
        let head = &prefix[..prefix.len().min(crate::charset::UTF16_HEAD)];
        let prefix = match crate::charset::utf16_head(head) {
            Some(cs) => {
                decoded = crate::charset::decode_utf16_prefix(prefix, cs);
                decoded.as_bytes()
            }
            None => prefix,
        };
        let sniffed = Format::sniff(prefix);
        match content_type.and_then(Format::from_content_type) {
            // A body that looks like JSON or XML is lexed as such even when declared as text,
            // because field names give context.
            Some(Format::Text) | None => sniffed,
            // A multipart body under a structured label (a form post sent as
            // `application/json`, a wrong type being an evasion of its own) is read as
            // multipart when it opens with a part beyond doubt: as JSON or XML it would be
            // text, and as CSV or a form its part headers would be cells, so each part's
            // field name would be lost and a quoted-printable part left encoded.
            Some(Format::Json | Format::Xml | Format::Csv | Format::Form)
                if sniffed == Format::Multipart && multipart::opens_with_part(prefix) =>
            {
                Format::Multipart
            }
            // A body that starts like a JSON or XML document is one, whatever it was declared
            // as: read as CSV or a form, its quotes and markup would be taken apart (and
            // masks written into it the wrong way).
            Some(f) if f != sniffed && matches!(sniffed, Format::Json | Format::Xml) => sniffed,
            // Declared JSON or XML that does not look like it is scanned as text: a mislabelled
            // body must not hide values in what a structured lexer would skip as garbage.
            // (A CSV or form body sniffed as such keeps its column and field names.)
            Some(f @ (Format::Json | Format::Xml)) if f != sniffed && !prefix.is_empty() => {
                match sniffed {
                    Format::Csv | Format::Form => sniffed,
                    _ => Format::Text,
                }
            }
            // A form is one line (its line breaks are escaped): a body declared as a form
            // that is a table, or lines of text, is read as what it is. Read as a form, a
            // CSV's header would be no key, and a `=` in a cell (base64 padding) would make
            // the rest one value under the cell before it.
            Some(Format::Form)
                if matches!(sniffed, Format::Csv | Format::Text) && lines(prefix) =>
            {
                sniffed
            }
            Some(f) => f,
        }
    }

    /// Name used in metrics and CLI output.
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Xml => "xml",
            Format::Csv => "csv",
            Format::Form => "form",
            Format::Multipart => "multipart",
            Format::Text => "text",
        }
    }
}

/// Whether `t` (a body or value, from its first non-blank byte) opens like markup: `<?`,
/// `<!`, or `<` or `</` and a name that a blank, `>`, `/>` or the end of `t` follows. A
/// link or address in angle brackets (`<https://…/13800138000>`, the `Link` header's
/// form; `<zhangsan@example.cn>`) and a number (`<13800138000>`) are text: read as a tag,
/// what they hold would be skipped as a tag's name and attributes.
pub(crate) fn opens_markup(t: &[u8]) -> bool {
    match t {
        [b'<'] | [b'<', b'?' | b'!', ..] | [b'<', b'/'] => true,
        // An end tag is a name and `>` too: `</p?mobile=…>` is a relative link.
        [b'<', b'/', rest @ ..] | [b'<', rest @ ..] => tag_name_opens(rest),
        _ => false,
    }
}

/// Whether the rest of a tag's name (after its first character) reads as a name, not as a
/// link or a number written in angle brackets: no digit right after a `:` (`<tel:138…>`,
/// `<sms:…>`, a URI's scheme; `<ns2:Body>` is a name) and no run of seven digits
/// (`<u13800138000>`).
fn name_like(rest: &[u8]) -> bool {
    let mut digits = 0;
    let mut prev = 0u8;
    for &c in rest {
        if c.is_ascii_digit() {
            digits += 1;
            if digits >= 7 || prev == b':' {
                return false;
            }
        } else {
            digits = 0;
        }
        prev = c;
    }
    true
}

/// Whether `t` (what follows `<` or `</`) is a tag's name followed by a blank, `>`, `/>` or
/// the end of `t`.
fn tag_name_opens(t: &[u8]) -> bool {
    let Some((&b, rest)) = t.split_first() else {
        return false;
    };
    if !name_start(b) {
        return false;
    }
    let name_end = rest.iter().position(|&c| {
        !(c.is_ascii_alphanumeric() || c >= 0x80 || matches!(c, b'-' | b'_' | b'.' | b':'))
    });
    let name = &rest[..name_end.unwrap_or(rest.len())];
    if !name_like(name) {
        return false;
    }
    match name_end.map(|k| &rest[k..]) {
        None => true,
        Some([c, ..]) if c.is_ascii_whitespace() || *c == b'>' => true,
        Some([b'/']) | Some([b'/', b'>', ..]) => true,
        Some(_) => false,
    }
}

/// Whether a body (from its first non-blank byte) is read as JSON: it opens an object or an
/// array, or it is JSONP, a function call around one (`callback({…})`), whose call the JSON
/// lexer skips as bare bytes. A log line that opens with a bracket (`[2024-05-01 10:00:00]
/// INFO …`, `[DEBUG] …`, `[main] …`, `[秘密]`) is text: what follows the bracket is no JSON value
/// (a word other than `true`, `false` or `null`, or a number that a date or time goes on
/// from). Read as JSON its lines would be cut at every comma and colon, and the lines the
/// text scan reads whole (`key=value`, `"xm":"…"` pairs, MyBatis' `Parameters:`) lost.
fn looks_like_json(t: &[u8]) -> bool {
    let t = strip_jsonp_guard(t);
    let skip_ws = |t: &[u8], i: usize| {
        i + t[i..]
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count()
    };
    match t.first() {
        Some(b'{') => true,
        Some(b'[') => {
            let i = skip_ws(t, 1);
            match t.get(i) {
                Some(b'a'..=b'z' | b'A'..=b'Z') => {
                    let word = &t[i..];
                    [&b"true"[..], b"false", b"null", b"NaN", b"Infinity"]
                        .iter()
                        .any(|w| {
                            word.starts_with(w)
                                && !word.get(w.len()).is_some_and(u8::is_ascii_alphanumeric)
                        })
                }
                Some(b'0'..=b'9') => {
                    let n = t[i..].iter().take_while(|b| b.is_ascii_digit()).count();
                    let j = skip_ws(t, i + n);
                    // `[2024-05-01`, `[10:00:00]`: a date or a time, not a number.
                    !matches!(t.get(i + n), Some(b'-' | b':' | b'/'))
                        && matches!(t.get(j), None | Some(b',' | b']' | b'.' | b'e' | b'E'))
                }
                // Another value, the array's end, or the end of what was read; anything else
                // after the bracket (`[秘密]` over a document's title, `[#1]`) is no JSON.
                None | Some(b'{' | b'[' | b'"' | b'-' | b']') => true,
                _ => false,
            }
        }
        Some(b'a'..=b'z' | b'A'..=b'Z' | b'_' | b'$') => {
            let n = t
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$' | b'.'))
                .count();
            let i = skip_ws(t, n);
            t.get(i) == Some(&b'(') && matches!(t.get(skip_ws(t, i + 1)), Some(b'{' | b'['))
        }
        _ => false,
    }
}

/// What a JSONP response writes before its call, skipped: the empty comment and the guard
/// Express's `res.jsonp` and other frameworks put there (`/**/ typeof cb === 'function' &&
/// cb({…});`), so the call after them is read as JSONP.
fn strip_jsonp_guard(t: &[u8]) -> &[u8] {
    let blank = |t: &[u8]| -> usize { t.iter().take_while(|b| b.is_ascii_whitespace()).count() };
    let mut t = t;
    if let Some(rest) = t.strip_prefix(b"/*") {
        match memchr::memmem::find(&rest[..rest.len().min(64)], b"*/") {
            Some(e) => t = &rest[e + 2..],
            None => return t,
        }
        t = &t[blank(t)..];
    }
    let guarded = (|| {
        let r = t.strip_prefix(b"typeof")?;
        let n = blank(r);
        if n == 0 {
            return None;
        }
        let r = &r[n..];
        let id = r
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$' | b'.'))
            .count();
        if id == 0 {
            return None;
        }
        let r = &r[id..];
        let r = &r[blank(r)..];
        let r = r.strip_prefix(b"===").or_else(|| r.strip_prefix(b"=="))?;
        let r = &r[blank(r)..];
        let r = r
            .strip_prefix(b"'function'")
            .or_else(|| r.strip_prefix(b"\"function\""))?;
        let r = &r[blank(r)..];
        let r = r.strip_prefix(b"&&")?;
        Some(&r[blank(r)..])
    })();
    guarded.unwrap_or(t)
}

/// Whether text follows the first line (a form never has a second).
fn lines(t: &[u8]) -> bool {
    memchr::memchr(b'\n', t).is_some_and(|p| !t[p..].iter().all(u8::is_ascii_whitespace))
}

/// Whether a body's first line is `key=value&key=value` (URL-encoded form data): no
/// whitespace, a short key before the first `=`, and an `&` or a `%` escape (one pair alone
/// could be any text; one pair with an escape is a form).
fn looks_like_form(t: &[u8]) -> bool {
    // A form body escapes its line breaks (`%0A`): lines after the first make it text, such
    // as `key=value` lines of a log or a properties file, each line a field of its own.
    if lines(t) {
        return false;
    }
    let line = t.split(|&b| b == b'\n').next().unwrap_or(t);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let Some(eq) = line.iter().position(|&b| b == b'=') else {
        return false;
    };
    let formish =
        |b: u8| b.is_ascii_alphanumeric() || b >= 0x80 || b"-_.~*%+=&!'()[]/:,;@$".contains(&b);
    (1..=64).contains(&eq)
        && line.iter().all(|&b| formish(b))
        && !line[..eq].contains(&b'&')
        && (line.contains(&b'&')
            || line
                .windows(3)
                .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit()))
}

/// Whether a body starts like CSV (comma, tab, semicolon or pipe separated, as
/// [`csv::delimiter`] reads the first row): a header row of two or more short fields, and the
/// next row with as many fields (quoted fields may hold delimiters). The second row may be
/// cut off by the end of the sniffed prefix: then it must not have more fields than the
/// header.
fn looks_like_csv(t: &[u8]) -> bool {
    csv_header(t).is_some()
}

/// The header row of a body that [starts like CSV](looks_like_csv), when it does.
pub(crate) fn csv_header(t: &[u8]) -> Option<&[u8]> {
    // The header row the lexer would take (after an export's title or blank lines) and the
    // delimiter it would choose from it.
    let (start, first, _) = csv::header_line(t, true)?;
    let t = &t[start..];
    let d = csv::delimiter(first);
    // Field counts of the first two rows; `long` once a header cell is too long for a name
    // or holds a sentence (`==>  Preparing: SELECT * FROM t WHERE xm IN (?`, a log line).
    let (mut counts, mut fields, mut quoted, mut field_len, mut long) =
        ([0usize; 2], 1, false, 0, false);
    // Gaps between words in the cell (padding around a name is no gap).
    let (mut spaces, mut in_word, mut gap, mut last) = (0, false, false, 0u8);
    // Empty fields at the row's end so far: an export that ends each row with the delimiter
    // (`…~JTZZ` over `…~北京市…~`, Oracle's and Hive's dumps) has one more, empty, field in
    // its rows than in its header.
    let mut empty_run = 0usize;
    let mut row = 0;
    // Bytes of a delimiter of several bytes still to pass over.
    let mut skip = 0;
    // The cell's quoting: a quote opens a cell (after blanks only) and closes it (before
    // blanks and the delimiter only), `""` inside being one quote. A quote inside a bare
    // cell or text after a closing quote is no CSV: it is how a log line holding a JSON
    // fragment reads split at its commas (`a={"m":"0"`, `"sfzh":"3101…"}`), and read as a
    // table such a log lost its first line to the header and the text after each closing
    // quote (probe 61). Every writer of CSV quotes a cell holding a quote whole.
    #[derive(PartialEq)]
    enum Cell {
        Blank,
        Bare,
        Quoted,
        Closed,
    }
    let mut cell = Cell::Blank;
    for (i, &b) in t.iter().enumerate() {
        if skip > 0 {
            skip -= 1;
            continue;
        }
        let empty = field_len == 0 || (field_len == 1 && last == b'\r');
        match b {
            b'"' => {
                cell = match cell {
                    Cell::Blank => Cell::Quoted,
                    Cell::Quoted => Cell::Closed,
                    // `""`: a quote inside the quoted cell.
                    Cell::Closed if last == b'"' => Cell::Quoted,
                    Cell::Bare | Cell::Closed => return None,
                };
                quoted = cell == Cell::Quoted;
            }
            _ if b == d.first() && !quoted && d.is_at(t, i) => {
                skip = d.len() - 1;
                empty_run = if empty { empty_run + 1 } else { 0 };
                fields += 1;
                field_len = 0;
                (spaces, in_word, gap) = (0, false, false);
                cell = Cell::Blank;
                continue;
            }
            b'\n' if !quoted => {
                empty_run = if empty { empty_run + 1 } else { 0 };
                counts[row] = fields;
                row += 1;
                if row == 2 {
                    let wide = counts[0] == counts[1]
                        || (counts[1] > counts[0] && counts[1] - empty_run <= counts[0]);
                    return (counts[0] >= 2 && wide && !long).then_some(first);
                }
                empty_run = 0;
                fields = 1;
                (spaces, in_word, gap) = (0, false, false);
                field_len = 0;
                cell = Cell::Blank;
                continue;
            }
            b' ' | b'\t' | b'\r' => {}
            _ => match cell {
                Cell::Blank => cell = Cell::Bare,
                Cell::Closed => return None,
                Cell::Bare | Cell::Quoted => {}
            },
        }
        field_len += 1;
        if b == b' ' {
            // `Columns: id`, a label and its value, is no column name either.
            long |= row == 0 && in_word && last == b':';
            gap |= in_word;
        } else {
            spaces += usize::from(gap);
            (in_word, gap) = (true, false);
        }
        last = b;
        // A header cell is a column name, not a sentence (`Home Address Line 1` has three
        // spaces).
        long |= row == 0 && (field_len > 64 || spaces > 4);
    }
    (row == 1 && counts[0] >= 2 && !long && fields > 1 && fields <= counts[0]).then_some(first)
}

/// The text of a value that could be a field's label (`姓名`, `身份证号：`, `xm`): trimmed of
/// whitespace and a trailing colon, 1 to 48 bytes (16 Han characters: the longest names the
/// packs list, `港澳居民来往内地通行证号码`, are 13). A lexer asks the segmenter whether it
/// names a field before it takes it as the next value's key.
pub(crate) fn label_text(head: &[u8]) -> Option<&[u8]> {
    let t = label_trim(head);
    (1..=48).contains(&t.len()).then_some(t)
}

/// A label's text without surrounding whitespace and a trailing colon (ASCII or full-width).
pub(crate) fn label_trim(head: &[u8]) -> &[u8] {
    let t = head.trim_ascii();
    t.strip_suffix(b":")
        .or_else(|| t.strip_suffix("：".as_bytes()))
        .unwrap_or(t)
        .trim_ascii_end()
}

/// A field name folded for comparison: ASCII lowercased, `_` and `-` dropped (`paramName`,
/// `param_name` and `PARAM-NAME` alike). `None` when longer than the buffer.
fn fold_name<'a>(k: &[u8], buf: &'a mut [u8; 24]) -> Option<&'a [u8]> {
    let mut n = 0;
    for &b in k {
        if b == b'_' || b == b'-' {
            continue;
        }
        *buf.get_mut(n)? = b.to_ascii_lowercase();
        n += 1;
    }
    Some(&buf[..n])
}

/// Whether a member's name is a generic `name` or `address`, which say whose only through
/// the object they are in (see [`entity_key`]). Most keys leave on their first byte.
#[inline]
pub(crate) fn generic_member(k: &[u8]) -> bool {
    if !matches!(k.first(), Some(b'n' | b'N' | b'a' | b'A')) || k.len() > 12 {
        return false;
    }
    let mut buf = [0u8; 24];
    matches!(
        fold_name(k, &mut buf).unwrap_or_default(),
        b"name" | b"address" | b"addr"
    )
}

/// Whether an object's key names a thing that is not a person: a brand, a product, a shop,
/// a firm, a public body, a place (`{"brand":{"name":"周大福"}}`, `"agencies":[{…}]`).
/// Its `name` and `address` are that thing's. (Not a merchant or a branch, which may be a
/// sole trader or the person who runs it.)
pub(crate) fn entity_key(k: &[u8]) -> bool {
    const ENTITIES: &[&[u8]] = &[
        b"brand",
        b"brands",
        b"product",
        b"products",
        b"goods",
        b"sku",
        b"shop",
        b"shops",
        b"store",
        b"stores",
        b"company",
        b"companies",
        b"corp",
        b"enterprise",
        b"enterprises",
        b"org",
        b"orgs",
        b"organization",
        b"organizations",
        b"organisation",
        b"dept",
        b"depts",
        b"department",
        b"departments",
        b"agency",
        b"agencies",
        b"court",
        b"courts",
        b"hospital",
        b"hospitals",
        b"school",
        b"schools",
        b"college",
        b"colleges",
        b"university",
        b"bank",
        b"banks",
        b"station",
        b"stations",
        b"poi",
        b"pois",
        // A map's features (a river, a mountain, a scenic area), or a product's.
        b"feature",
        b"features",
        // KML's and GPX's points of a map.
        b"placemark",
        b"placemarks",
        b"wpt",
        b"region",
        b"regions",
        b"province",
        b"provinces",
        b"city",
        b"cities",
        b"district",
        b"districts",
        b"county",
        b"counties",
        b"area",
        b"areas",
        b"division",
        b"divisions",
        b"xzqh",
        b"category",
        b"categories",
        b"project",
        b"projects",
        b"building",
        b"buildings",
        b"hotel",
        b"hotels",
        b"venue",
        b"venues",
        b"attraction",
        b"attractions",
    ];
    const CJK: &[&str] = &[
        "品牌",
        "商品",
        "门店",
        "企业",
        "机构",
        "法院",
        "医院",
        "学校",
        "站点",
        "行政区划",
    ];
    let mut buf = [0u8; 24];
    let f = fold_name(k, &mut buf).unwrap_or_default();
    ENTITIES.contains(&f) || CJK.iter().any(|c| k == c.as_bytes())
}

/// Whether a member's name is the one an administrative-division table keeps a row's own
/// code under (`code`, `dm`, `bm`, `adcode`, `代码`, `编码`), so that a division code there
/// ([`division_code`]) makes the row a division's and its bare `name` a place's
/// (`{"code":"330700","name":"金华"}`). Not a key that names the division something else
/// belongs to (`regionCode`, `areaCode`, `xzqhdm`): a person's record carries the code of
/// the division they live in beside their `name` (`{"regionCode":"140105","name":"谢秀华"}`),
/// and a table of divisions names its own place `regionName`, `xzqhmc`, which no rule takes
/// for a person's. Not a postcode either (six digits that collide with division codes), nor a
/// bare `id` or `value` (a list of users numbered from 110101 would read as Beijing's
/// districts).
#[inline]
pub(crate) fn division_code_key(k: &[u8]) -> bool {
    k.eq_ignore_ascii_case(b"code")
        || k.eq_ignore_ascii_case(b"dm")
        || k.eq_ignore_ascii_case(b"bm")
        || k.eq_ignore_ascii_case(b"adcode")
        || k == "代码".as_bytes()
        || k == "编码".as_bytes()
}

/// A row's division state (JSON objects and arrays, XML elements, CSV rows): a code seen in
/// the row itself makes it a division's row ([`DIV_ROW`]); one taken from the row before
/// ([`DIV_AFTER`]) holds until a code of another kind in this row undoes it; 0 is no
/// division's.
pub(crate) const DIV_AFTER: u8 = 1;
pub(crate) const DIV_ROW: u8 = 2;

/// A row's member, element or cell `key` held `v`: a division code under a code's key makes
/// the row a division's; another value there (`"code":"E1234"`) says a row taken for one
/// after its predecessor is none. The one rule of JSON's, XML's and CSV's division rows.
pub(crate) fn note_division(state: &mut u8, key: &[u8], v: &[u8]) {
    if *state == DIV_ROW {
        return;
    }
    let code = division_code(v);
    if (code || *state != 0) && division_code_key(key) {
        *state = if code { DIV_ROW } else { 0 };
    }
}

/// What the object or element around a generic `name` or `address` member says of it, for
/// JSON and XML alike: a thing's (a brand's, an agency's: [`entity_key`]), judged under no
/// key; a person's by its role ([`person_owner_key`]), judged under [`PERSON_OWNED_NAME`];
/// or, a division's row's `name`, a place's, judged under no key. `parent` is the key of
/// the object or element around it, asked only for such a member.
pub(crate) fn owned_member_key<'p>(
    member: &[u8],
    parent: impl FnOnce() -> Option<&'p [u8]>,
    division_row: bool,
) -> Option<Option<&'static [u8]>> {
    if !generic_member(member) {
        return None;
    }
    if let Some(p) = parent() {
        if entity_key(p) {
            return Some(None);
        }
        if name_member(member) && person_owner_key(p) {
            return Some(Some(PERSON_OWNED_NAME));
        }
    }
    (division_row && name_member(member)).then_some(None)
}

/// [`owned_member_key`] of a field named by its path, as forms and bean binding write a
/// nested record (`orgs[0].name`, `orgs[0][name]`, `contact.name`, `data.guardian.address`):
/// the last part is the member, the part before it (without its index) the object around
/// it, read as JSON reads a member and its object. `None` for a key that is no such path or
/// whose last part is no generic `name` or `address`. (No division rows here: a path says
/// nothing of the values beside it.)
pub(crate) fn path_owned_key(k: &[u8]) -> Option<Option<&'static [u8]>> {
    let (rest, member) = path_split(k)?;
    if !generic_member(member) {
        return None;
    }
    let mut parent = rest;
    // `orgs[0]`: the object is the list's element.
    while let Some(head) = parent.strip_suffix(b"]") {
        let open = head.iter().rposition(|&b| b == b'[')?;
        if !head[open + 1..].iter().all(u8::is_ascii_digit) {
            break;
        }
        parent = &head[..open];
    }
    let (_, parent) = path_split(parent).unwrap_or((&[], parent));
    owned_member_key(member, || Some(parent).filter(|p| !p.is_empty()), false)
}

/// A path's last part and what stands before it: `a.b` → (`a`, `b`), `a[b]` → (`a`, `b`);
/// `None` for a plain name (or one whose last part is an index).
pub(crate) fn path_split(k: &[u8]) -> Option<(&[u8], &[u8])> {
    if let Some(head) = k.strip_suffix(b"]") {
        let open = head.iter().rposition(|&b| b == b'[')?;
        let inner = &head[open + 1..];
        return (!inner.is_empty() && !inner.iter().all(u8::is_ascii_digit))
            .then(|| (&head[..open], inner));
    }
    let dot = memchr::memrchr(b'.', k)?;
    Some((&k[..dot], &k[dot + 1..]))
}

/// Whether a table's column names say its rows are organisations' (a register of firms:
/// `name,tyshxydm,frlx,zczb,clrq,jyzt`): two columns at least of what only an
/// organisation has (its credit or organisation code, registered capital, legal
/// representative, business status or scope, kind of enterprise, date founded), and none
/// of a person's attributes (sex, birth date, ethnicity, age). Its generic `name` and
/// `address` are then the organisation's, as under an [`entity_key`] object. One such
/// column is not enough: a person's record may carry the employer's credit code. A
/// registration's words (`djjg`, `djzt`, `注册号`) are no organisation's alone: marriages
/// and households are registered too. (The CSV lexer also reads a column of a person's
/// number as making the rows people's.)
pub(crate) fn organisation_columns<'a>(headers: impl IntoIterator<Item = &'a [u8]>) -> bool {
    const ORG: &[&[u8]] = &[
        b"tyshxydm",
        b"shxydm",
        b"tyxydm",
        b"uscc",
        b"creditcode",
        b"socialcreditcode",
        b"unifiedsocialcreditcode",
        b"zzjgdm",
        b"orgcode",
        b"organizationcode",
        b"zczb",
        b"zczj",
        b"regcapital",
        b"registeredcapital",
        b"fddbr",
        b"legalperson",
        b"legalrepresentative",
        b"jyzt",
        b"jyfw",
        b"businessscope",
        b"qylx",
        b"frlx",
        b"clrq",
        b"establishdate",
    ];
    const CJK: &[&str] = &[
        "统一社会信用代码",
        "社会信用代码",
        "组织机构代码",
        "注册资本",
        "法定代表人",
        "经营状态",
        "经营范围",
        "企业类型",
        "成立日期",
    ];
    // A person's attributes among the columns make the rows people's (fail closed).
    const PERSON: &[&[u8]] = &[
        b"xb",
        b"sex",
        b"gender",
        b"csrq",
        b"birthday",
        b"birthdate",
        b"dateofbirth",
        b"mz",
        b"nation",
        b"ethnicity",
        b"age",
        b"nl",
    ];
    const PERSON_CJK: &[&str] = &["性别", "出生日期", "出生年月", "民族", "年龄", "籍贯"];
    let mut n = 0;
    for h in headers {
        let mut buf = [0u8; 24];
        let f = fold_name(h, &mut buf).unwrap_or_default();
        if PERSON.contains(&f) || PERSON_CJK.iter().any(|c| h == c.as_bytes()) {
            return false;
        }
        n += usize::from(ORG.contains(&f) || CJK.iter().any(|c| h == c.as_bytes()));
    }
    n >= 2
}

/// Whether a value is an administrative-division code (GB/T 2260, and the statistical
/// codes that extend it): six digits of a real division, or nine or twelve digits whose
/// first six are one (a township's, a village's code: `330702001`, `330702001001`).
pub(crate) fn division_code(v: &[u8]) -> bool {
    matches!(v.len(), 6 | 9 | 12)
        && v.iter().all(u8::is_ascii_digit)
        && crate::validate::is_region_code(&v[..6])
}

/// Whether an object's key names a person by a role (`{"contact":{"name":"王苏文博"}}`,
/// `<guardian><name>…</name></guardian>`): its `name` member is that person's name, judged
/// as under a field named for a person ([`PERSON_OWNED_NAME`]), not as a generic `name`
/// that may hold a place of a region table.
pub(crate) fn person_owner_key(k: &[u8]) -> bool {
    const ROLES: &[&[u8]] = &[
        b"contact",
        b"agent",
        b"guardian",
        b"patient",
        b"applicant",
        b"householder",
        b"holder",
        b"debtor",
        b"insured",
        b"spouse",
        b"father",
        b"mother",
        b"student",
        b"driver",
        b"employee",
        b"legalperson",
        b"legalrepresentative",
        b"complainant",
        b"defendant",
        b"plaintiff",
        b"suspect",
        b"victim",
        b"witness",
        b"tenant",
        b"landlord",
        b"passenger",
        b"customer",
        b"person",
    ];
    // (Every object's `name` asks this: most parents leave on their length.)
    if !(5..=19).contains(&k.len()) {
        return false;
    }
    let mut buf = [0u8; 24];
    let f = fold_name(k, &mut buf).unwrap_or_default();
    ROLES.contains(&f)
}

/// The key a person's `name` member is judged under when its object names the person's
/// role ([`person_owner_key`]): one of the person rule's own keys.
pub(crate) const PERSON_OWNED_NAME: &[u8] = b"personname";

/// Whether a member's name is a bare `name` (any case).
#[inline]
pub(crate) fn name_member(k: &[u8]) -> bool {
    k.len() == 4 && k.eq_ignore_ascii_case(b"name")
}

/// Roles a member or attribute name can have in a generic name/value record.
pub(crate) const NAME_LABEL: u8 = 1;
pub(crate) const NAME_VALUE: u8 = 2;

/// The role of a member or attribute name in a generic name/value record, the shape
/// exchange platforms use (`{"name":"sfzh","value":…}`, `{"paramName":"xm","paramValue":…}`,
/// `<item key="xm" value="…"/>`): [`NAME_LABEL`] for a member that names the field another
/// member holds, [`NAME_VALUE`] for the member holding it, or 0. Names are compared folded
/// (`paramName`, `param_name` and `PARAM-NAME` alike). This runs on every key of a body, so
/// names that cannot be either leave on their length or first byte before any folding.
#[inline]
pub(crate) fn name_role(k: &[u8]) -> u8 {
    match role_by_shape(k) {
        Some(role) => role,
        None => role_by_name(k),
    }
}

/// The role of the names that leave on their length or first byte (most keys), or `None`
/// when the name has to be folded and compared ([`role_by_name`]).
#[inline]
fn role_by_shape(k: &[u8]) -> Option<u8> {
    // The first byte folding keeps (`_name` is `name`).
    let f = match k.first() {
        None => return Some(0),
        Some(b'_' | b'-') => match k.iter().find(|&&b| b != b'_' && b != b'-') {
            Some(&f) => f,
            None => return Some(0),
        },
        Some(&f) => f,
    };
    if k.len() == 1 {
        return Some(match f.to_ascii_lowercase() {
            b'k' => NAME_LABEL,
            b'v' => NAME_VALUE,
            _ => 0,
        });
    }
    // First bytes of every name in the two lists (`字段名`, `属性值`, `参数名` and `值` all
    // start with 0xE5).
    if k.len() > 24
        || !matches!(
            f.to_ascii_lowercase(),
            b'a' | b'c'
                | b'd'
                | b'f'
                | b'i'
                | b'k'
                | b'l'
                | b'n'
                | b'p'
                | b't'
                | b'v'
                | b'z'
                | 0xE5
        )
    {
        return Some(0);
    }
    None
}

/// The role of a name that passed [`role_by_shape`]: compared with both lists, folded.
fn role_by_name(k: &[u8]) -> u8 {
    if k.first() == Some(&0xE5) {
        return if label_cjk(k) {
            NAME_LABEL
        } else if value_cjk(k) {
            NAME_VALUE
        } else {
            0
        };
    }
    let mut buf = [0u8; 24];
    match fold_name(k, &mut buf) {
        Some(n) if label_folded(n) => NAME_LABEL,
        Some(n) if value_folded(n) => NAME_VALUE,
        _ => 0,
    }
}

/// A memo of [`name_role`] for the keys a lexer has seen: a body of records repeats the same
/// few dozen keys, and folding a key and comparing it with both lists costs a couple of
/// hundred instructions where a hit costs one short compare. Only names that do not leave
/// on their shape are kept. Direct-mapped over 32 slots; a collision only means the role
/// is worked out again.
#[derive(Default)]
pub(crate) struct RoleMemo {
    slots: [RoleSlot; 32],
}

#[derive(Default, Clone, Copy)]
struct RoleSlot {
    len: u8,
    role: u8,
    key: [u8; 24],
}

impl RoleMemo {
    /// [`name_role`] of `k`.
    #[inline]
    pub(crate) fn role(&mut self, k: &[u8]) -> u8 {
        if let Some(role) = role_by_shape(k) {
            return role;
        }
        // `role_by_shape` let through only names of 2 to 24 bytes.
        let n = k.len();
        let ix =
            (usize::from(k[0]) * 7 + usize::from(k[n / 2]) * 3 + usize::from(k[n - 1]) + n) & 31;
        let slot = &mut self.slots[ix];
        if usize::from(slot.len) == n && &slot.key[..n] == k {
            return slot.role;
        }
        let role = role_by_name(k);
        slot.len = n as u8;
        slot.key[..n].copy_from_slice(k);
        slot.role = role;
        role
    }
}

fn label_cjk(k: &[u8]) -> bool {
    [
        "字段名",
        "字段名称",
        "字段代码",
        "属性名",
        "属性名称",
        "参数名",
        "参数名称",
    ]
    .iter()
    .any(|n| k == n.as_bytes())
}

fn label_folded(f: &[u8]) -> bool {
    matches!(
        f,
        b"name"
            | b"key"
            | b"k"
            | b"keyname"
            | b"field"
            | b"fieldname"
            | b"fieldcode"
            | b"code"
            | b"column"
            | b"columnname"
            | b"colname"
            | b"prop"
            | b"propname"
            | b"property"
            | b"propertyname"
            | b"param"
            | b"paramname"
            | b"paramcode"
            | b"attr"
            | b"attrname"
            | b"attribute"
            | b"attributename"
            | b"item"
            | b"itemname"
            | b"itemcode"
            | b"label"
            | b"fieldlabel"
            | b"itemlabel"
            | b"title"
            | b"zdm"
            | b"zddm"
            | b"zdmc"
    )
}

fn value_cjk(k: &[u8]) -> bool {
    ["值", "字段值", "属性值", "参数值"]
        .iter()
        .any(|n| k == n.as_bytes())
}

fn value_folded(f: &[u8]) -> bool {
    matches!(
        f,
        b"value"
            | b"val"
            | b"v"
            | b"content"
            | b"text"
            | b"data"
            | b"fieldvalue"
            | b"paramvalue"
            | b"attrvalue"
            | b"attributevalue"
            | b"propvalue"
            | b"propertyvalue"
            | b"itemvalue"
            | b"columnvalue"
            | b"colvalue"
            | b"zdz"
    )
}

use crate::stream::Segmenter;

/// The lexer of one stream, by format.
pub(crate) enum Lexer {
    Json(json::JsonLexer),
    Xml(xml::XmlLexer),
    Csv(csv::CsvLexer),
    Form(form::FormLexer),
    Multipart(multipart::MultipartLexer),
    Text(text::TextLexer),
}

impl Lexer {
    /// The lexer of format `f`; `gb`: the body's Content-Type declared a GB charset, which
    /// a form's percent escapes (ASCII bytes) cannot show the charset sniffer.
    pub(crate) fn new(f: Format, gb: bool) -> Self {
        match f {
            Format::Form if gb => Lexer::Form(form::FormLexer::declared_gb()),
            Format::Json => Lexer::Json(json::JsonLexer::default()),
            Format::Xml => Lexer::Xml(xml::XmlLexer::default()),
            Format::Csv => Lexer::Csv(csv::CsvLexer::default()),
            Format::Form => Lexer::Form(form::FormLexer::default()),
            Format::Multipart => Lexer::Multipart(multipart::MultipartLexer::default()),
            Format::Text => Lexer::Text(text::TextLexer::default()),
        }
    }

    /// Lexes `buf` (which starts at stream offset `base`), driving the segmenter. Returns how
    /// many bytes were consumed; an incomplete token at the end is left for the next call
    /// unless `eof`.
    pub(crate) fn lex(&mut self, buf: &[u8], base: u64, eof: bool, seg: &mut Segmenter) -> usize {
        match self {
            Lexer::Json(l) => l.lex(buf, base, eof, seg),
            Lexer::Xml(l) => l.lex(buf, base, eof, seg),
            Lexer::Csv(l) => l.lex(buf, base, eof, seg),
            Lexer::Form(l) => l.lex(buf, base, eof, seg),
            Lexer::Multipart(l) => l.lex(buf, base, eof, seg),
            Lexer::Text(l) => l.lex(buf, base, eof, seg),
        }
    }
}

/// The longest prefix of `buf[..end]` that ends on a UTF-8 character boundary (all of it at
/// end of input), so a character split by a chunk edge waits for its other half.
pub(crate) fn char_cut(buf: &[u8], start: usize, end: usize, eof: bool) -> usize {
    if eof || end == start {
        return end;
    }
    let mut j = end - 1;
    let lo = end.saturating_sub(4).max(start);
    while j > lo && (buf[j] & 0xC0) == 0x80 {
        j -= 1;
    }
    let need = crate::normalize::utf8_len(buf[j]);
    if need > 1 && j + need > end {
        j
    } else {
        end
    }
}

/// Pushes `buf[from..to]` as plain text, cut back to a character boundary unless `eof`;
/// returns where it stopped.
pub(crate) fn push_plain(
    buf: &[u8],
    from: usize,
    to: usize,
    base: u64,
    eof: bool,
    seg: &mut Segmenter,
) -> usize {
    let cut = char_cut(buf, from, to, eof);
    if cut > from {
        seg.plain(&buf[from..cut], base + from as u64);
    }
    cut
}

/// The character a `%uXXXX` escape (JavaScript's old `escape()`, IIS) at `s[0] == b'%'`
/// stands for: `None` when `s` holds no such escape (yet), or when its code is a surrogate
/// half, which is left as text.
pub(crate) fn percent_u_char(s: &[u8]) -> Option<char> {
    if !matches!(s.get(1), Some(b'u' | b'U')) {
        return None;
    }
    let v = s
        .get(2..6)?
        .iter()
        .try_fold(0u32, |a, &b| hex_val(b).map(|x| a * 16 + x))?;
    char::from_u32(v)
}

/// Whether `b` can open an XML name (a tag's or an attribute's).
pub(crate) fn name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b >= 0x80 || matches!(b, b'_' | b':')
}

pub(crate) fn hex_val(b: u8) -> Option<u32> {
    match b {
        b'0'..=b'9' => Some(u32::from(b - b'0')),
        b'a'..=b'f' => Some(u32::from(b - b'a' + 10)),
        b'A'..=b'F' => Some(u32::from(b - b'A' + 10)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::Format;

    #[test]
    fn path_owned_key_reads_the_object_before_the_member() {
        use super::{path_owned_key, PERSON_OWNED_NAME};
        for k in [
            "orgs[0].name",
            "orgs[0][name]",
            "data[orgs][1][name]",
            "shop.address",
        ] {
            assert_eq!(path_owned_key(k.as_bytes()), Some(None), "{k}");
        }
        for k in [
            "contact.name",
            "form.guardian[name]",
            "list[0].contact.name",
        ] {
            assert_eq!(
                path_owned_key(k.as_bytes()),
                Some(Some(PERSON_OWNED_NAME)),
                "{k}"
            );
        }
        for k in [
            "name",
            "list[0].name",
            "orgs[0].tyshxydm",
            "orgs.name[0]",
            "a.b.c",
        ] {
            assert_eq!(path_owned_key(k.as_bytes()), None, "{k}");
        }
    }

    #[test]
    fn organisation_columns_need_two() {
        let cols = |h: &[&str]| super::organisation_columns(h.iter().map(|s| s.as_bytes()));
        assert!(cols(&["name", "tyshxydm", "zczb"]));
        assert!(cols(&["名称", "统一社会信用代码", "法定代表人"]));
        assert!(!cols(&["name", "sfzh", "tyshxydm"]));
        // A person's attribute anywhere among them, or a registration's words.
        assert!(!cols(&["name", "tyshxydm", "zczb", "xb"]));
        assert!(!cols(&["name", "xb", "csrq", "djjg", "djzt", "address"]));
        assert!(!cols(&["name", "djjg", "djzt"]));
    }

    #[test]
    fn an_export_with_a_delimiter_of_several_bytes_is_csv() {
        let body =
            "姓名@|@身份证号@|@住址\n王建国@|@320102198802294565@|@江苏省南京市\n".as_bytes();
        assert_eq!(Format::resolve(None, body), Format::Csv);
        // The rows must be as wide by it as the header.
        let ragged = "姓名@|@身份证号@|@住址\n王建国@|@320102198802294565\n".as_bytes();
        assert_ne!(Format::resolve(None, ragged), Format::Csv);
    }

    #[test]
    fn json_text_sequences_and_guarded_jsonp_are_json() {
        let seq = b"\x1e{\"a\":1}\n\x1e{\"a\":2}\n";
        assert_eq!(
            Format::resolve(Some("application/json-seq"), seq),
            Format::Json
        );
        assert_eq!(Format::resolve(None, seq), Format::Json);
        assert!(Format::settled_by(seq));
        assert_eq!(
            Format::from_content_type("application/geo+json-seq"),
            Some(Format::Json)
        );
        let jsonp = b"/**/ typeof cb === 'function' && cb({\"sjhm\":13812345678});";
        assert_eq!(
            Format::resolve(Some("application/javascript"), jsonp),
            Format::Json
        );
        assert_eq!(
            Format::resolve(None, b"typeof cb === 'function' && cb([1]);"),
            Format::Json
        );
        assert_eq!(
            Format::resolve(None, b"typeof x is a keyword"),
            Format::Text
        );
        assert_eq!(
            Format::resolve(None, b"/* a comment */ hello"),
            Format::Text
        );
    }

    /// A body declared as a form is one line; a table or lines of text declared so are
    /// read as what they are, a form as a form (one pair, a trailing line break).
    #[test]
    fn a_form_declared_over_a_table_is_the_table() {
        let form = Some("application/x-www-form-urlencoded");
        let cases: [(&str, Format); 5] = [
            ("sign,xm,hkmoPermit\nYWJj=,谭冬梅,H77614638\n", Format::Csv),
            ("xm,sfzh\n谭冬梅,11010519491231002X\n", Format::Csv),
            ("xm=张三\nsfzh=11010519491231002X\n", Format::Text),
            (
                "xm=%E5%BC%A0%E4%B8%89&sfzh=110105194912310021\r\n",
                Format::Form,
            ),
            ("xm=张三", Format::Form),
        ];
        for (body, want) in cases {
            assert_eq!(Format::resolve(form, body.as_bytes()), want, "{body:?}");
        }
    }

    #[test]
    fn sniffs_csv_and_form_bodies_without_a_content_type() {
        let cases: [(&str, Format); 21] = [
            // A marking in brackets over a document, and arrays that are JSON.
            ("[秘密]\n关于2024年度预算调整的通知\n", Format::Text),
            ("[\"张三\",\"110105194912310021\"]", Format::Json),
            ("[ {\"a\":1}]", Format::Json),
            ("[-1,2]", Format::Json),
            (
                "姓名,身份证号,地址\n李刚,450100196805077782,\"青海省, 某路\"\n",
                Format::Csv,
            ),
            ("xm,sfzh\r\n张三,110105194912310021\r\n", Format::Csv),
            // An export's title row and a blank line above the header.
            ("人员信息导出表,,\n\n姓名,住址\n张三,北京市\n", Format::Csv),
            // The second row cut off by the end of the sniffed prefix.
            ("xm,sfzh,dz\n张三,1101051949", Format::Csv),
            (
                "xm=%E5%BC%A0%E4%B8%89&sfzh=110105194912310021",
                Format::Form,
            ),
            ("name=zhang+san&age=30", Format::Form),
            ("q=%E5%BC%A0", Format::Form),
            (" {\"a\":1}", Format::Json),
            ("<a/>", Format::Xml),
            // Prose: one row, rows of different widths, a sentence as a header cell, a
            // single pair without an escape.
            ("你好,世界", Format::Text),
            ("a,b\nc,d,e\n", Format::Text),
            (
                "This sentence is far too long to be the name of any column in a table, b\nx,y\n",
                Format::Text,
            ),
            ("a=b", Format::Text),
            // Tab, semicolon and pipe separated exports.
            (
                "xm\tsfzh\tdz\n张三\t110105194912310021\t北京\n",
                Format::Csv,
            ),
            ("xm;sfzh\n张三;110105194912310021\n", Format::Csv),
            ("xm|sfzh\n张三|110105194912310021\n", Format::Csv),
            // A tab-indented line is not a table.
            ("\tindented line\nnext line\n", Format::Text),
        ];
        for (body, want) in cases {
            assert_eq!(Format::sniff(body.as_bytes()), want, "{body:?}");
        }
        // A declared type the body contradicts: the body's own shape wins.
        assert_eq!(
            Format::resolve(Some("application/json"), b"xm,sfzh\nA,B\n"),
            Format::Csv
        );
        assert_eq!(
            Format::resolve(Some("application/json"), b"plain"),
            Format::Text
        );
        assert_eq!(
            Format::resolve(Some("text/plain"), b"a=1&b=2"),
            Format::Form
        );
    }

    /// Lines of a log holding JSON fragments split at their commas into as many cells as
    /// each other, but their quotes are no CSV's: a quote inside a bare cell, text after a
    /// closing quote. Declared text/plain (or nothing), they were read as a table, the first
    /// line taken for its header and the text after each closing quote skipped (probe 61:
    /// valid IDs passed). They are text; a table quoted as CSV is quoted stays one.
    #[test]
    fn log_lines_with_json_fragments_are_no_csv() {
        for body in [
            "a={\"m\":\"0\",\"ip\":\"172.16.201.182\"}\nb={\"x\":\"1\",\"sfzh\":\"31010419741010073X\"}\n",
            "2024-06-20 13:33:34.902 DEBUG resp={\"phoneNumber\":\"18321989673\",\"sfzhm\":\"650102199205217247\",\"status\":\"1\"}\n2024-06-20 13:33:35.001 INFO query params: cph=新BUW406, xb=2",
            // A clean first line over one with a fragment.
            "start, pid 1\nresp={\"x\":\"1\", \"sfzh\":\"31010419741010073X\"}\n",
            // Text after a closing quote.
            "\"xm\" name,\"sfzh\"\n张三,31010419741010073X\n",
        ] {
            assert_eq!(Format::sniff(body.as_bytes()), Format::Text, "{body:?}");
            assert_eq!(
                Format::resolve(Some("text/plain"), body.as_bytes()),
                Format::Text,
                "{body:?}"
            );
        }
        for body in [
            "\"xm\",\"sfzh\"\n\"张三\",\"31010419741010073X\"\n",
            // `""` is a quote inside a quoted cell; blanks around quotes are padding.
            "\"备注\",\"sfzh\"\n\"他说\"\"好\"\"\" , 31010419741010073X\r\n",
            " \"xm\" ,sfzh\n张三,\"3101\n0419741010073X\"\n",
            "xm\tsfzh\n\"张\t三\"\t31010419741010073X\n",
        ] {
            assert_eq!(Format::sniff(body.as_bytes()), Format::Csv, "{body:?}");
            assert_eq!(
                Format::resolve(Some("text/plain"), body.as_bytes()),
                Format::Csv,
                "{body:?}"
            );
        }
    }

    #[test]
    fn name_roles() {
        use super::{name_role, NAME_LABEL, NAME_VALUE};
        for k in [
            "name",
            "_name",
            "paramName",
            "param_name",
            "K",
            "fieldCode",
            "字段名",
            "zdm",
            "fieldLabel",
        ] {
            assert_eq!(name_role(k.as_bytes()), NAME_LABEL, "{k}");
        }
        for k in [
            "value",
            "paramValue",
            "V",
            "attr_value",
            "字段值",
            "值",
            "zdz",
        ] {
            assert_eq!(name_role(k.as_bytes()), NAME_VALUE, "{k}");
        }
        for k in ["xm", "sfzh", "createTime", "names", "valueType", "", "字段"] {
            assert_eq!(name_role(k.as_bytes()), 0, "{k}");
        }
    }

    /// The memo answers what `name_role` answers, on first sight, on a hit and after its
    /// slot was taken by another key (hundreds of keys over 32 slots).
    #[test]
    fn role_memo_is_name_role() {
        use super::{name_role, RoleMemo, NAME_LABEL, NAME_VALUE};
        let mut keys: Vec<String> = [
            "name",
            "_name",
            "paramName",
            "PARAM-NAME",
            "K",
            "k",
            "V",
            "value",
            "paramValue",
            "attr_value",
            "字段名",
            "字段值",
            "值",
            "_字段名",
            "zdm",
            "zdz",
            "xm",
            "sfzh",
            "createTime",
            "code",
            "codes",
            "title",
            "valueType",
            "",
            "_",
            "--",
            "字段",
            "attributename_",
            "a234567890123456789012345",
            "a23456789012345678901234",
        ]
        .iter()
        .map(|k| k.to_string())
        .collect();
        for i in 0..300 {
            keys.push(format!(
                "{}{}",
                ["c", "t", "v", "name", "d_", "Z"][i % 6],
                i
            ));
        }
        let mut memo = RoleMemo::default();
        let mut roles = [0usize; 3];
        for round in 0..3 {
            for k in keys.iter().chain(keys.iter().rev()) {
                let r = memo.role(k.as_bytes());
                assert_eq!(r, name_role(k.as_bytes()), "{k:?} in round {round}");
                roles[usize::from(r)] += 1;
            }
        }
        assert!(roles[usize::from(NAME_LABEL)] > 0 && roles[usize::from(NAME_VALUE)] > 0);
    }
}
