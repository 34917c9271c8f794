//! MIME lexer: `multipart/*` bodies (RFC 2046: form posts with files, `multipart/mixed`,
//! SOAP with attachments and MTOM's `multipart/related`) and whole messages
//! (`message/rfc822`, a mail or a forwarded one in a part). Each part's body is a value
//! under the part's field name (`Content-Disposition: form-data; name="xm"`); the part
//! headers are scanned as text (a file name, a subject or a display name can hold a name or
//! an ID).
//!
//! The outer boundary is read off the body, not the Content-Type parameter, so the engine
//! needs no more than the format: the first line (`--boundary`), or the first boundary line
//! followed by a part header after a preamble ("This is a multi-part message in MIME
//! format."), or, for a message, its `Content-Type` header. A part whose own headers declare
//! a multipart type is read as one with its boundary (nested to [`NEST_MAX`]), and a part
//! that is a message is read as one. A quoted-printable part is decoded as it is lexed
//! (`=E5=BC=A0` is 张; a soft line break `=\r\n` is no text, so a number it cuts is whole
//! again) and a mask is written back escaped the same way. A body that opens as none of
//! these is scanned as text from there on: a malformed body is never a way around
//! inspection. A part that is itself JSON, XML, CSV or base64 is looked into by the
//! segmenter's whole-value passes, as any whole value is.

use super::push_plain;
use crate::stream::{Esc, SegKind, Segmenter};

/// Longest boundary (RFC 2046 allows 70 characters).
const BOUNDARY_MAX: usize = 70;
/// Longest header block of a part or a message (a mail's `Received` and signature headers
/// run to kilobytes); a longer one is read as the part's body.
const HEADERS_MAX: usize = 32 * 1024;
/// How much text before the first boundary line is read as a preamble before the body is
/// taken for text.
const PREAMBLE_MAX: usize = 8 * 1024;
/// How deep multiparts and messages nest inside each other (a mail with an alternative
/// body and a forwarded mail with its attachments is three).
const NEST_MAX: usize = 6;

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum St {
    /// Waiting for the first line: a boundary, a message's header, or a preamble.
    #[default]
    Start,
    /// Before the first boundary line of a body whose boundary is not known yet: the
    /// preamble's lines are text.
    Preamble,
    /// Before the first delimiter of a multipart whose boundary its headers gave.
    Opening,
    /// After a delimiter (or at a message's start): headers, up to the blank line.
    Headers,
    /// The part's body, up to the next delimiter (or the end, when there is none).
    Body,
    /// Just past a delimiter, waiting for the two bytes that say whether it closed the body.
    After,
    /// The rest is text: the epilogue after the last close delimiter, or a body that is no
    /// multipart at all.
    Text,
}

#[derive(Default)]
pub(crate) struct MultipartLexer {
    st: St,
    /// The open multiparts, outermost first: each one's delimiter, `\r\n--boundary`
    /// (`\n--boundary` in a body written with bare LFs), and how many messages were open
    /// around it. The innermost delimiter ends a part's body.
    delims: Vec<(Vec<u8>, usize)>,
    /// The current part's field name.
    name: Vec<u8>,
    /// The current part's body is quoted-printable; `gb`: in a GB charset.
    qp: bool,
    gb: bool,
    /// Bytes of preamble read so far.
    preamble: usize,
    /// Messages open inside parts (each one a level, with the multiparts): a message part
    /// ends at its multipart's next delimiter.
    messages: usize,
}

/// Whether a body opens like multipart: `--boundary` on the first line, then a part header;
/// or a preamble line or two before such a boundary; or a mail's headers with a MIME
/// version.
pub(super) fn looks_like_multipart(t: &[u8]) -> bool {
    let Some(nl) = memchr::memchr(b'\n', t) else {
        return false;
    };
    if boundary_of(&t[..nl]).is_some() && header_follows(&t[nl + 1..]) == Some(true) {
        return true;
    }
    if opens_message(t) {
        return true;
    }
    // A preamble: a boundary line with a part header after it within the first lines.
    let head = &t[..t.len().min(1024)];
    let mut at = 0;
    for _ in 0..8 {
        let Some(nl) = memchr::memchr(b'\n', &head[at..]) else {
            return false;
        };
        let line = &head[at..at + nl];
        at += nl + 1;
        if boundary_of(line).is_some() && header_follows(&head[at..]) == Some(true) {
            return true;
        }
    }
    false
}

/// How far [`opens_with_part`] looks: the proxy's sniffing prefix (it resolves the format
/// from its first 512 bytes, or the whole body when shorter), so the answer is the same
/// however the body came in chunks.
const PART_HEAD: usize = 512;

/// Whether body `prefix` is multipart beyond doubt, as a body declared as JSON, XML, CSV or
/// a form must be before its label is overruled: a boundary line, then header lines
/// (`Name: value`, folded lines allowed) of which one is the part's `Content-Disposition`
/// or `Content-Type`, then the blank line that ends them, all within the first
/// [`PART_HEAD`] bytes (a byte-order mark and blanks before the boundary line count). A
/// table or a form whose first line only starts with `--` has no such header block.
pub(super) fn opens_with_part(prefix: &[u8]) -> bool {
    let head = &prefix[..prefix.len().min(PART_HEAD)];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let Some(start) = head.iter().position(|b| !b.is_ascii_whitespace()) else {
        return false;
    };
    let t = &head[start..];
    let Some(nl) = memchr::memchr(b'\n', t) else {
        return false;
    };
    if boundary_of(&t[..nl]).is_none() {
        return false;
    }
    let mut at = nl + 1;
    let mut part_header = false;
    let mut first = true;
    while let Some(n) = memchr::memchr(b'\n', &t[at..]) {
        let line = &t[at..at + n];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        at += n + 1;
        if line.is_empty() {
            return part_header;
        }
        if matches!(line[0], b' ' | b'\t') {
            if first {
                return false;
            }
            continue;
        }
        first = false;
        let Some(colon) = memchr::memchr(b':', line) else {
            return false;
        };
        let name = &line[..colon];
        if name.is_empty()
            || !name
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return false;
        }
        part_header |= name.eq_ignore_ascii_case(b"content-disposition")
            || name.eq_ignore_ascii_case(b"content-type");
    }
    false
}

/// Whether the line at `rest` starts with a part header (`Content-…:`); `None` while too
/// few bytes are there to tell.
fn header_follows(rest: &[u8]) -> Option<bool> {
    const C: &[u8] = b"content-";
    if rest.len() < C.len() {
        return (!C.starts_with(&rest.to_ascii_lowercase())).then_some(false);
    }
    Some(rest[..C.len()].eq_ignore_ascii_case(C))
}

/// Header names a mail or a MIME entity opens with.
const MESSAGE_HEADERS: &[&[u8]] = &[
    b"return-path",
    b"received",
    b"delivered-to",
    b"from",
    b"to",
    b"date",
    b"subject",
    b"message-id",
    b"mime-version",
    b"content-type",
    b"reply-to",
    b"sender",
    b"x-mailer",
    b"dkim-signature",
    b"authentication-results",
];

/// Whether `t` opens a message: its first line is a header a mail opens with, and a
/// `MIME-Version` or `Content-Type` header is among its first lines.
fn opens_message(t: &[u8]) -> bool {
    let first = &t[..memchr::memchr(b'\n', t).unwrap_or(t.len())];
    let Some(colon) = memchr::memchr(b':', first) else {
        return false;
    };
    if !MESSAGE_HEADERS
        .iter()
        .any(|h| first[..colon].eq_ignore_ascii_case(h))
    {
        return false;
    }
    let head = &t[..t.len().min(4096)];
    // The first blank line, however written (the one the lexer stops at, whatever the
    // chunking).
    let head_end = [b"\n\r\n".as_slice(), b"\n\n"]
        .iter()
        .filter_map(|blank| memchr::memmem::find(head, blank))
        .min()
        .unwrap_or(head.len());
    head[..head_end].split(|&b| b == b'\n').any(|l| {
        let l = l.trim_ascii_start();
        l.len() > 13
            && (l[..13].eq_ignore_ascii_case(b"mime-version:")
                || l[..13].eq_ignore_ascii_case(b"content-type:"))
    })
}

/// The boundary of a line `--boundary` (a trailing `\r` dropped), if it is one.
fn boundary_of(line: &[u8]) -> Option<&[u8]> {
    // No longer than the lexer waits for a line that may still be one (transport padding
    // past that is read as text, whatever the chunking).
    if line.len() > BOUNDARY_MAX + 4 {
        return None;
    }
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let b = line.strip_prefix(b"--")?.trim_ascii_end();
    let ok = (1..=BOUNDARY_MAX).contains(&b.len())
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || b"'()+_,-./:=? ".contains(&c));
    ok.then_some(b)
}

/// The value of header `name` in a header block, its folded lines joined (`None` if absent).
fn header(headers: &[u8], name: &[u8]) -> Option<Vec<u8>> {
    let mut lines = headers.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let Some(colon) = memchr::memchr(b':', line) else {
            continue;
        };
        if !line[..colon].trim_ascii().eq_ignore_ascii_case(name) {
            continue;
        }
        let mut v = line[colon + 1..].trim_ascii().to_vec();
        while let Some(next) = lines
            .peek()
            .filter(|l| matches!(l.first(), Some(b' ' | b'\t')))
        {
            v.push(b' ');
            v.extend_from_slice(next.trim_ascii());
            lines.next();
        }
        return Some(v);
    }
    None
}

/// Parameter `name` of a header value (`multipart/mixed; boundary="b1"`), unquoted.
fn param<'a>(value: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let mut at = 0;
    while let Some(p) = memchr::memchr(b';', &value[at..]) {
        let rest = &value[at + p + 1..];
        at += p + 1;
        let rest = rest.trim_ascii_start();
        let Some(eq) = memchr::memchr(b'=', rest) else {
            continue;
        };
        if !rest[..eq].trim_ascii().eq_ignore_ascii_case(name) {
            continue;
        }
        let v = rest[eq + 1..].trim_ascii_start();
        return Some(match v.first() {
            Some(b'"') => {
                let v = &v[1..];
                &v[..memchr::memchr(b'"', v).unwrap_or(v.len())]
            }
            _ => {
                let end = v
                    .iter()
                    .position(|&b| b == b';' || b.is_ascii_whitespace())
                    .unwrap_or(v.len());
                &v[..end]
            }
        });
    }
    None
}

/// The `name` parameter of a part's `Content-Disposition` header, if any.
fn field_name(headers: &[u8]) -> Option<Vec<u8>> {
    let v = header(headers, b"content-disposition")?;
    param(&v, b"name").map(<[u8]>::to_vec)
}

/// What a part's headers say about its body.
struct PartType {
    /// A nested multipart's boundary.
    boundary: Option<Vec<u8>>,
    /// A message (`message/rfc822`): headers and a body of its own.
    message: bool,
    qp: bool,
    gb: bool,
}

fn part_type(headers: &[u8]) -> PartType {
    let ct = header(headers, b"content-type").unwrap_or_default();
    let mime = ct.split(|&b| b == b';').next().unwrap_or(&[]).trim_ascii();
    let boundary = (mime.len() > 10 && mime[..10].eq_ignore_ascii_case(b"multipart/"))
        .then(|| param(&ct, b"boundary"))
        .flatten()
        .filter(|b| boundary_of(&[b"--".as_slice(), b].concat()).is_some())
        .map(<[u8]>::to_vec);
    let message = mime.eq_ignore_ascii_case(b"message/rfc822")
        || mime.eq_ignore_ascii_case(b"message/global");
    let qp = header(headers, b"content-transfer-encoding")
        .is_some_and(|v| v.trim_ascii().eq_ignore_ascii_case(b"quoted-printable"));
    let gb = param(&ct, b"charset").is_some_and(|c| {
        let c = c.to_ascii_lowercase();
        c.starts_with(b"gb") || c == b"cp936" || c == b"x-gbk"
    });
    PartType {
        boundary,
        message,
        qp,
        gb,
    }
}

/// One step of quoted-printable at `s[0] == b'='`.
enum Qp {
    /// A character, the length of its escapes (soft line breaks between them included),
    /// and how a replacement is written back.
    Char(char, usize, Esc),
    /// A soft line break (`=\r\n`, `=\n`) of this length: no text.
    Soft(usize),
    /// Not an escape: `=` is itself.
    Literal,
    /// The rest is not here yet.
    Wait,
}

/// The byte two hex digits spell (`=E5`'s `E5`).
fn hex_byte(h: u8, l: u8) -> Option<u8> {
    let v = super::hex_val(h)? << 4 | super::hex_val(l)?;
    u8::try_from(v).ok()
}

/// The escaped byte at `s[at..]` (`=XX`, after any soft line breaks): `Ok(Some((byte, end)))`,
/// `Ok(None)` when there is none, `Err(())` when the input ends before it is known.
fn qp_byte(s: &[u8], mut at: usize, eof: bool) -> Result<Option<(u8, usize)>, ()> {
    // One soft line break at most between two escapes of a character: a chain of them is
    // no encoder's, and waiting through it would hold the body back without end.
    let first = at;
    loop {
        if at > first + 3 {
            return Ok(None);
        }
        match s.get(at..at + 3) {
            Some([b'=', b'\r', b'\n']) => at += 3,
            Some([b'=', b'\n', _]) => at += 2,
            Some([b'=', h, l]) => {
                return Ok(hex_byte(*h, *l).map(|b| (b, at + 3)));
            }
            Some(_) => return Ok(None),
            None => {
                let rest = &s[at.min(s.len())..];
                if rest == b"=\n" && at == first {
                    at += 2;
                    continue;
                }
                return if eof || rest.first().is_some_and(|&b| b != b'=') {
                    Ok(None)
                } else {
                    Err(())
                };
            }
        }
    }
}

/// Reads quoted-printable at `s[0] == b'='`. A character's escapes are read whole (a UTF-8
/// character is up to four, a GB one two), however soft line breaks cut them.
fn qp(s: &[u8], eof: bool, gb: bool) -> Qp {
    match s.get(1..3) {
        Some([b'\r', b'\n']) => return Qp::Soft(3),
        Some([b'\n', _]) => return Qp::Soft(2),
        Some(_) => {}
        None if s.get(1) == Some(&b'\n') => return Qp::Soft(2),
        None if eof => return Qp::Literal,
        None => return Qp::Wait,
    }
    let Some(first) = hex_byte(s[1], s[2]) else {
        return Qp::Literal;
    };
    if first < 0x80 {
        return Qp::Char(char::from(first), 3, Esc::Qp);
    }
    let want = if gb {
        2
    } else {
        crate::normalize::utf8_len(first)
    };
    let mut bytes = [first, 0, 0, 0];
    let mut end = 3;
    for slot in bytes.iter_mut().take(want.clamp(1, 4)).skip(1) {
        match qp_byte(s, end, eof) {
            Err(()) => return Qp::Wait,
            Ok(None) => return Qp::Literal,
            Ok(Some((b, e))) => {
                *slot = b;
                end = e;
            }
        }
    }
    let bytes = &bytes[..want.clamp(1, 4)];
    // A soft line break inside the character's escapes is written after its replacement.
    let soft = memchr::memmem::find(&s[..end], b"=\r\n").is_some();
    if gb {
        if let crate::charset::Step::Char(c, 2) = crate::charset::gb_char(bytes) {
            return Qp::Char(c, end, if soft { Esc::QpGbSoft } else { Esc::QpGb });
        }
        return Qp::Literal;
    }
    match std::str::from_utf8(bytes)
        .ok()
        .and_then(|t| t.chars().next())
    {
        Some(c) => Qp::Char(c, end, if soft { Esc::QpSoft } else { Esc::Qp }),
        None => Qp::Literal,
    }
}

/// Pushes `buf[from..to]` of a quoted-printable body, decoded; returns how far it got (an
/// escape cut at `to` waits for its rest unless `end` says the body ends there).
fn push_qp(
    buf: &[u8],
    from: usize,
    to: usize,
    base: u64,
    end: bool,
    gb: bool,
    seg: &mut Segmenter,
) -> usize {
    let mut i = from;
    while i < to {
        let next = memchr::memchr(b'=', &buf[i..to]).map_or(to, |p| i + p);
        if next > i {
            let cut = push_plain(buf, i, next, base, end || next < to, seg);
            if cut < next {
                return cut;
            }
            i = next;
            continue;
        }
        match qp(&buf[i..to], end, gb) {
            Qp::Char(c, n, esc) => {
                seg.decoded(c, base + i as u64, base + (i + n) as u64, esc);
                i += n;
            }
            Qp::Soft(n) => i += n,
            Qp::Literal => {
                seg.plain(b"=", base + i as u64);
                i += 1;
            }
            Qp::Wait => return i,
        }
    }
    to
}

/// The charsets an encoded word is read in (others are left as they are).
#[derive(Clone, Copy, PartialEq, Eq)]
enum WordCharset {
    Utf8,
    Gb,
    Latin1,
}

fn word_charset(label: &[u8]) -> Option<WordCharset> {
    // A language tag may follow (`utf-8*zh`).
    let label = label.split(|&b| b == b'*').next().unwrap_or(label);
    let l = label.to_ascii_lowercase();
    match l.as_slice() {
        b"utf-8" | b"utf8" => Some(WordCharset::Utf8),
        b"gb2312" | b"gbk" | b"gb18030" | b"cp936" | b"x-gbk" | b"euc-cn" => Some(WordCharset::Gb),
        b"us-ascii" | b"iso-8859-1" | b"latin1" | b"windows-1252" => Some(WordCharset::Latin1),
        _ => None,
    }
}

/// An encoded word (RFC 2047) at `t[at..]`: `=?charset?B|Q?payload?=`. Returns its end,
/// charset label, whether it is B (base64) and its payload.
fn encoded_word(t: &[u8], at: usize) -> Option<(usize, &[u8], bool, &[u8])> {
    let rest = t.get(at..)?.strip_prefix(b"=?")?;
    let q1 = rest.iter().take(40).position(|&b| b == b'?')?;
    let label = &rest[..q1];
    if label.is_empty()
        || !label
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"-_.:*".contains(&b))
    {
        return None;
    }
    let b = match rest.get(q1 + 1..q1 + 3)? {
        [b'B' | b'b', b'?'] => true,
        [b'Q' | b'q', b'?'] => false,
        _ => return None,
    };
    let body = &rest[q1 + 3..];
    let close = memchr::memmem::find(&body[..body.len().min(1024)], b"?=")?;
    let payload = &body[..close];
    if payload
        .iter()
        .any(|&c| c.is_ascii_whitespace() || c == b'?')
    {
        return None;
    }
    Some((at + 2 + q1 + 3 + close + 2, label, b, payload))
}

/// The runs of adjacent encoded words in a header block, as byte ranges: the white space
/// between two adjacent words is no text (RFC 2047, 6.2), so a run is read as one text (an
/// encoder cuts a long subject into words wherever it likes, inside a number too).
pub(crate) fn encoded_word_runs(t: &[u8]) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut from = 0;
    while let Some(p) = memchr::memmem::find(&t[from..], b"=?").map(|p| from + p) {
        let Some((mut end, ..)) = encoded_word(t, p) else {
            from = p + 2;
            continue;
        };
        loop {
            let gap = t[end..]
                .iter()
                .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
                .unwrap_or(t.len() - end);
            match encoded_word(t, end + gap) {
                Some((e, ..)) if gap > 0 => end = e,
                _ => break,
            }
        }
        runs.push((p, end));
        from = end;
    }
    runs
}

/// Whether the run of encoded words at `t[s..e]`, in a header block, is the display name
/// of an address (`From: =?UTF-8?B?5byg5Lyf?= <a@b.cn>`, and in `To`, `Cc`, `Reply-To`,
/// `Sender` and their `Resent-` forms): an address follows it, in angle brackets.
pub(crate) fn display_name(t: &[u8], s: usize, e: usize) -> bool {
    const ADDRESS: &[&[u8]] = &[
        b"from",
        b"to",
        b"cc",
        b"bcc",
        b"reply-to",
        b"sender",
        b"resent-from",
        b"resent-to",
        b"resent-cc",
        b"resent-sender",
    ];
    let after = t[e..]
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'"' | b'\r' | b'\n'));
    if after.is_none_or(|a| t[e + a] != b'<') {
        return false;
    }
    // The header the run is in: its line is the last one before `s` that is no
    // continuation (continuations open with white space).
    let mut end = s;
    loop {
        let line = memchr::memrchr(b'\n', &t[..end]).map_or(0, |nl| nl + 1);
        if line > 0 && matches!(t.get(line), Some(b' ' | b'\t')) {
            end = line - 1;
            continue;
        }
        let Some(colon) = memchr::memchr(b':', &t[line..s]) else {
            return false;
        };
        let name = t[line..line + colon].trim_ascii();
        return ADDRESS.iter().any(|h| name.eq_ignore_ascii_case(h));
    }
}

/// A person's name that opens a file name (`张斌_身份证.jpg`, `王小明-材料.pdf`): two to four
/// Han characters, then a separator, a digit or the stem's end. Returns where the name ends.
/// Uploads of scanned papers are named after whose they are.
pub(crate) fn leading_name(v: &str) -> Option<usize> {
    let mut end = 0;
    let mut n = 0;
    for (i, c) in v.char_indices() {
        if ('\u{4E00}'..='\u{9FFF}').contains(&c) {
            n += 1;
            end = i + c.len_utf8();
            continue;
        }
        let apart = c.is_ascii_digit() || "_-·.（( ".contains(c);
        return ((2..=4).contains(&n) && apart).then_some(end);
    }
    None
}

/// Whether `t[s..]` is the value of a `filename` parameter (`filename="…"`, `filename=…`),
/// or of the `name` parameter of a `Content-Type` header, which names the file too (in a
/// `Content-Disposition` header, `name` is a form's field name).
pub(crate) fn file_name_at(t: &[u8], s: usize) -> bool {
    let before = t[..s].strip_suffix(b"\"").unwrap_or(&t[..s]);
    let ends = |w: &[u8]| {
        before.len() >= w.len() && before[before.len() - w.len()..].eq_ignore_ascii_case(w)
    };
    if ends(b"filename=") {
        return true;
    }
    if !ends(b"name=")
        || !matches!(
            before.len().checked_sub(6).map(|i| before[i]),
            Some(b' ' | b';' | b'\t')
        )
    {
        return false;
    }
    let line = memchr::memrchr(b'\n', before).map_or(0, |nl| nl + 1);
    before.len() - line >= 13 && before[line..line + 13].eq_ignore_ascii_case(b"content-type:")
}

/// The names that open the file names written plainly in a header block, as byte ranges
/// (encoded ones are read with their run of encoded words).
pub(crate) fn file_name_names(t: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(p) = memchr::memchr(b'=', &t[from..]).map(|p| from + p) {
        from = p + 1;
        let vs = p + 1 + usize::from(t.get(p + 1) == Some(&b'"'));
        if !file_name_at(t, vs) || t[vs..].starts_with(b"=?") {
            continue;
        }
        let ve = t[vs..]
            .iter()
            .position(|&b| matches!(b, b'"' | b';' | b'\r' | b'\n'))
            .map_or(t.len(), |q| vs + q);
        let Ok(v) = std::str::from_utf8(&t[vs..ve]) else {
            continue;
        };
        if let Some(end) = leading_name(v) {
            out.push((vs, vs + end));
        }
    }
    out
}

/// How a run of encoded words was written, to write a redacted one back alike.
pub(crate) struct WordStyle {
    label: Vec<u8>,
    charset: WordCharset,
    b: bool,
    /// The white space between the first two words (a folded line's `\r\n `), or a space.
    joiner: Vec<u8>,
}

/// What a run of encoded words says, as UTF-8, and how it was written; `None` for a
/// charset or an encoding it cannot read.
pub(crate) fn decode_run(t: &[u8]) -> Option<(String, WordStyle)> {
    use base64::Engine as _;
    // Encoders pad B words or not; either is read.
    const LENIENT: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let mut out = String::new();
    let mut bytes = Vec::new();
    let mut cur: Option<WordCharset> = None;
    let mut style: Option<WordStyle> = None;
    let mut at = 0;
    let flush = |bytes: &mut Vec<u8>, cs: Option<WordCharset>, out: &mut String| -> Option<()> {
        match cs {
            Some(WordCharset::Utf8) => out.push_str(std::str::from_utf8(bytes).ok()?),
            Some(WordCharset::Latin1) => out.extend(bytes.iter().map(|&b| char::from(b))),
            Some(WordCharset::Gb) => {
                let mut i = 0;
                while i < bytes.len() {
                    match crate::charset::gb_char(&bytes[i..]) {
                        crate::charset::Step::Char(c, n) => {
                            out.push(c);
                            i += n;
                        }
                        _ => return None,
                    }
                }
            }
            None => {}
        }
        bytes.clear();
        Some(())
    };
    while at < t.len() {
        let (end, label, b, payload) = encoded_word(t, at)?;
        let cs = word_charset(label)?;
        if cur.is_some_and(|c| c != cs) {
            flush(&mut bytes, cur, &mut out)?;
        }
        cur = Some(cs);
        if b {
            bytes.extend(LENIENT.decode(payload).ok()?);
        } else {
            let mut i = 0;
            while i < payload.len() {
                match payload[i] {
                    b'_' => bytes.push(b' '),
                    b'=' => {
                        let x = payload
                            .get(i + 1..i + 3)
                            .and_then(|h| hex_byte(h[0], h[1]))?;
                        bytes.push(x);
                        i += 2;
                    }
                    c => bytes.push(c),
                }
                i += 1;
            }
        }
        let gap = t[end..]
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(t.len() - end);
        if style.is_none() {
            style = Some(WordStyle {
                label: label.to_vec(),
                charset: cs,
                b,
                joiner: if gap > 0 && end + gap < t.len() {
                    t[end..end + gap].to_vec()
                } else {
                    b" ".to_vec()
                },
            });
        }
        at = end + gap;
    }
    flush(&mut bytes, cur, &mut out)?;
    style.map(|s| (out, s))
}

/// `text` written as encoded words in `style`: words of at most 75 characters, never
/// cutting a character, joined as the original's first two were.
pub(crate) fn encode_run(text: &str, style: &WordStyle) -> Vec<u8> {
    use base64::Engine as _;
    let head = [
        b"=?".as_slice(),
        &style.label,
        if style.b { b"?B?" } else { b"?Q?" },
    ]
    .concat();
    let room = 75 - head.len() - 2;
    // Raw bytes a word can hold: three for four base64 characters; a Q word is counted as
    // it is written.
    let mut words: Vec<Vec<u8>> = Vec::new();
    let mut raw = Vec::new();
    let mut word = Vec::new();
    let mut b = [0u8; 4];
    let mut push_word = |word: &mut Vec<u8>, raw: &mut Vec<u8>| {
        if style.b && !raw.is_empty() {
            word.extend_from_slice(
                base64::engine::general_purpose::STANDARD
                    .encode(&raw)
                    .as_bytes(),
            );
        }
        if !word.is_empty() {
            words.push([head.as_slice(), word, b"?="].concat());
        }
        word.clear();
        raw.clear();
    };
    for c in text.chars() {
        let mut bytes = Vec::with_capacity(4);
        match style.charset {
            WordCharset::Gb => crate::charset::Codec::Gb18030
                .encode_into(c.encode_utf8(&mut b).as_bytes(), &mut bytes),
            WordCharset::Latin1 if (c as u32) < 0x100 => bytes.push(c as u32 as u8),
            WordCharset::Latin1 => bytes.push(b'?'),
            WordCharset::Utf8 => bytes.extend_from_slice(c.encode_utf8(&mut b).as_bytes()),
        }
        if style.b {
            if (raw.len() + bytes.len()).div_ceil(3) * 4 > room {
                push_word(&mut word, &mut raw);
            }
            raw.extend_from_slice(&bytes);
        } else {
            let mut enc = Vec::with_capacity(bytes.len() * 3);
            for x in bytes {
                match x {
                    b' ' => enc.push(b'_'),
                    x if x.is_ascii_alphanumeric() || b"!*+-/".contains(&x) => enc.push(x),
                    x => enc.extend_from_slice(format!("={x:02X}").as_bytes()),
                }
            }
            if word.len() + enc.len() > room {
                push_word(&mut word, &mut raw);
            }
            word.extend_from_slice(&enc);
        }
    }
    push_word(&mut word, &mut raw);
    words.join(style.joiner.as_slice())
}

/// How far a body with no delimiter in `buf[i..len]` may be read: all of it at the end,
/// else all but what could be the start of a delimiter `dlen` bytes long.
fn keep_back(len: usize, i: usize, dlen: usize, eof: bool) -> usize {
    if eof {
        len
    } else {
        len.saturating_sub(dlen - 1).max(i)
    }
}

impl MultipartLexer {
    pub(crate) fn lex(&mut self, buf: &[u8], base: u64, eof: bool, seg: &mut Segmenter) -> usize {
        let len = buf.len();
        let mut i = 0;
        while i < len {
            match self.st {
                St::Start => {
                    match memchr::memchr(b'\n', &buf[i..]) {
                        Some(nl) => {
                            if let Some(b) = boundary_of(&buf[i..i + nl]) {
                                self.open(b, nl > 0 && buf[i + nl - 1] == b'\r');
                                i += nl + 1;
                                self.st = St::Headers;
                                continue;
                            }
                        }
                        // A line that may still be a boundary.
                        None if !eof && len - i <= BOUNDARY_MAX + 4 => return i,
                        // Longer than any boundary line: not one, whatever follows.
                        None => {}
                    }
                    // A message's headers, or the body's first line is its preamble.
                    let head = &buf[i..len.min(i + 4096)];
                    // (Decided once the header block's blank line or 4 KiB are here.)
                    if head.len() < 4096
                        && !eof
                        && memchr::memmem::find(head, b"\n\r\n").is_none()
                        && memchr::memmem::find(head, b"\n\n").is_none()
                    {
                        return i;
                    }
                    self.st = if opens_message(head) {
                        St::Headers
                    } else {
                        St::Preamble
                    };
                }
                St::Preamble => {
                    // Line by line, each line text, until a boundary line with a part header
                    // after it.
                    let Some(nl) = memchr::memchr(b'\n', &buf[i..]) else {
                        // Wait for a line that may still be a boundary, or fits the preamble.
                        if !eof
                            && (len - i <= BOUNDARY_MAX + 4
                                || len - i <= PREAMBLE_MAX.saturating_sub(self.preamble))
                        {
                            return i;
                        }
                        self.st = St::Text;
                        continue;
                    };
                    let line = &buf[i..i + nl];
                    if let Some(b) = boundary_of(line) {
                        match header_follows(&buf[i + nl + 1..]) {
                            None if !eof => return i,
                            Some(true) => {
                                if seg.is_active() {
                                    seg.end(base + i as u64);
                                }
                                self.open(b, nl > 0 && line[nl - 1] == b'\r');
                                i += nl + 1;
                                self.st = St::Headers;
                                continue;
                            }
                            _ => {}
                        }
                    }
                    if !seg.is_active() {
                        seg.begin(SegKind::Text, base + i as u64, None);
                    }
                    seg.plain(&buf[i..i + nl + 1], base + i as u64);
                    self.preamble += nl + 1;
                    i += nl + 1;
                    if self.preamble > PREAMBLE_MAX {
                        self.st = St::Text;
                    }
                }
                St::Opening => {
                    // The first delimiter may open the body (no line break before it), or
                    // follow a preamble, which is text.
                    let Some((d, _)) = self.delims.last() else {
                        self.st = St::Body;
                        continue;
                    };
                    let bare = &d[d.iter().position(|&b| b == b'-').unwrap_or(0)..];
                    let rest = &buf[i..];
                    if !seg.is_active() && rest.len() < bare.len() && !eof && bare.starts_with(rest)
                    {
                        return i;
                    }
                    if !seg.is_active() && rest.starts_with(bare) {
                        i += bare.len();
                        self.past_delim(buf, &mut i, eof);
                        continue;
                    }
                    let found = memchr::memmem::find(&buf[i..], d);
                    if !seg.is_active() && found != Some(0) {
                        seg.begin(SegKind::Text, base + i as u64, None);
                    }
                    match found {
                        Some(p) => {
                            if p > 0 {
                                seg.plain(&buf[i..i + p], base + i as u64);
                            }
                            seg.end(base + (i + p) as u64);
                            i += p + d.len();
                            self.past_delim(buf, &mut i, eof);
                        }
                        None => {
                            let upto = keep_back(len, i, d.len(), eof);
                            return push_plain(buf, i, upto, base, eof, seg);
                        }
                    }
                }
                St::Headers => {
                    // A blank line counts within the block's bound only, and the bound is
                    // waited for whole, so every chunking finds the same one.
                    let rest = &buf[i..len.min(i + HEADERS_MAX + 4)];
                    // The first blank line, written CRLF or (leniently) LF.
                    let crlf = memchr::memmem::find(rest, b"\r\n\r\n").map(|p| (p, p + 4));
                    let lf = memchr::memmem::find(rest, b"\n\n").map(|p| (p, p + 2));
                    let end = match (crlf, lf) {
                        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
                        (a, b) => a.or(b),
                    };
                    let Some((hend, body)) = end else {
                        if !eof && rest.len() < HEADERS_MAX + 4 {
                            return i;
                        }
                        // No blank line within reach: what follows is the part's body.
                        self.name.clear();
                        (self.qp, self.gb) = (false, false);
                        self.st = St::Body;
                        continue;
                    };
                    let headers = &rest[..hend];
                    self.name.clear();
                    if let Some(n) = field_name(headers) {
                        self.name.extend_from_slice(&n[..n.len().min(64)]);
                    }
                    let t = part_type(headers);
                    (self.qp, self.gb) = (t.qp, t.gb);
                    if !headers.is_empty() {
                        seg.begin(SegKind::Headers, base + i as u64, None);
                        seg.plain(headers, base + i as u64);
                        seg.end(base + (i + hend) as u64);
                    }
                    let crlf = rest.get(hend) == Some(&b'\r');
                    i += body;
                    let room = self.delims.len() + self.messages < NEST_MAX;
                    self.st = match t.boundary {
                        Some(b) if room => {
                            self.open(&b, crlf);
                            St::Opening
                        }
                        _ if t.message && room => {
                            self.messages += 1;
                            St::Headers
                        }
                        _ => St::Body,
                    };
                }
                St::Body => {
                    if !seg.is_active() {
                        let key = (!self.name.is_empty()).then_some(self.name.as_slice());
                        let kind = match (self.qp, self.gb) {
                            (false, _) => SegKind::Part,
                            (true, false) => SegKind::PartQp,
                            (true, true) => SegKind::PartQpGb,
                        };
                        seg.begin(kind, base + i as u64, key);
                    }
                    let Some((d, _)) = self.delims.last() else {
                        // A message with one body: it runs to the end.
                        return self.push_body(buf, i, len, base, eof, seg);
                    };
                    match memchr::memmem::find(&buf[i..], d) {
                        Some(p) => {
                            let dl = d.len();
                            let got = self.push_body(buf, i, i + p, base, true, seg);
                            debug_assert_eq!(got, i + p);
                            seg.end(base + (i + p) as u64);
                            i += p + dl;
                            self.past_delim(buf, &mut i, eof);
                        }
                        None => {
                            let upto = keep_back(len, i, d.len(), eof);
                            return self.push_body(buf, i, upto, base, eof, seg);
                        }
                    }
                }
                St::After => {
                    if len - i < 2 && !eof {
                        return i;
                    }
                    let after = &buf[i..];
                    self.after_delim(after, &mut i);
                }
                St::Text => {
                    if !seg.is_active() {
                        seg.begin(SegKind::Text, base + i as u64, None);
                    }
                    return push_plain(buf, i, len, base, eof, seg);
                }
            }
        }
        len
    }

    /// Just past a delimiter at `i`: `--` closes the multipart, anything else ends the
    /// delimiter line; decided once the two bytes are here (nothing is pending meanwhile).
    fn past_delim(&mut self, buf: &[u8], i: &mut usize, eof: bool) {
        let after = &buf[*i..];
        if after.len() < 2 && !eof {
            self.st = St::After;
        } else {
            self.after_delim(after, i);
        }
    }

    /// Opens a multipart with boundary `b`, its lines ending CRLF (`crlf`) or LF.
    fn open(&mut self, b: &[u8], crlf: bool) {
        let mut d = Vec::with_capacity(b.len() + 4);
        if crlf {
            d.push(b'\r');
        }
        d.extend_from_slice(b"\n--");
        d.extend_from_slice(b);
        self.delims.push((d, self.messages));
    }

    /// A part body's bytes `from..to`: decoded when quoted-printable.
    fn push_body(
        &self,
        buf: &[u8],
        from: usize,
        to: usize,
        base: u64,
        end: bool,
        seg: &mut Segmenter,
    ) -> usize {
        if self.qp {
            push_qp(buf, from, to, base, end, self.gb, seg)
        } else {
            push_plain(buf, from, to, base, end, seg)
        }
    }

    /// After a delimiter: `--` closes the multipart (what follows is its epilogue, text up
    /// to the enclosing multipart's next delimiter, or to the end), else the next part's
    /// headers follow. The rest of the delimiter line (its line break, or whatever a
    /// malformed body put there) is read with them rather than skipped: skipping it would
    /// hide what it holds, and only a wait for its end, however far, would skip it the same
    /// way whatever the chunking.
    fn after_delim(&mut self, after: &[u8], i: &mut usize) {
        // Messages opened in the part that ends here end with it.
        if let Some(&(_, m)) = self.delims.last() {
            self.messages = m;
        }
        if after.starts_with(b"--") {
            *i += 2;
            self.delims.pop();
            (self.qp, self.gb) = (false, false);
            self.name.clear();
            // The epilogue of an inner multipart runs to the outer one's next delimiter.
            self.st = if self.delims.is_empty() {
                St::Text
            } else {
                St::Opening
            };
        } else {
            self.st = St::Headers;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_printable_reads_characters_across_soft_breaks() {
        let s = b"=E5=BC=\r\n=A0x";
        assert!(matches!(
            qp(s, true, false),
            Qp::Char('张', 12, Esc::QpSoft)
        ));
        assert!(matches!(qp(b"=\r\n1", true, false), Qp::Soft(3)));
        assert!(matches!(qp(b"=3D", true, false), Qp::Char('=', 3, Esc::Qp)));
        assert!(matches!(qp(b"=E5=BC", false, false), Qp::Wait));
        assert!(matches!(qp(b"=E5=BC", true, false), Qp::Literal));
        assert!(matches!(qp(b"=zz", true, false), Qp::Literal));
        assert!(matches!(
            qp(b"=D5=C5", true, true),
            Qp::Char('张', 6, Esc::QpGb)
        ));
        assert!(matches!(qp(b"=", false, false), Qp::Wait));
    }

    #[test]
    fn part_headers_give_boundary_transfer_encoding_and_charset() {
        let h = b"Content-Type: multipart/alternative;\r\n\tboundary=\"IN-1\"\r\nContent-Transfer-Encoding: quoted-printable";
        let t = part_type(h);
        assert_eq!(t.boundary.as_deref(), Some(&b"IN-1"[..]));
        assert!(t.qp && !t.gb && !t.message);
        let t = part_type(b"Content-Type: text/plain; charset=GB2312\nContent-Transfer-Encoding: Quoted-Printable");
        assert!(t.qp && t.gb && t.boundary.is_none());
        assert!(part_type(b"Content-Type: message/rfc822").message);
        assert_eq!(
            field_name(b"Content-Disposition: form-data; filename=\"a.csv\"; name=\"xm\"")
                .as_deref(),
            Some(&b"xm"[..])
        );
    }

    #[test]
    fn display_names_are_runs_before_an_address_in_an_address_header() {
        let h = b"Subject: =?UTF-8?B?5byg5Lyf?= <x>\r\nFrom: =?UTF-8?B?5byg5Lyf?= <a@b.cn>\r\nTo: a@b.cn,\r\n =?UTF-8?Q?=E6=9D=8E?= <c@d.cn>\r\nX: =?UTF-8?B?5byg5Lyf?=";
        let runs = encoded_word_runs(h);
        assert_eq!(runs.len(), 4);
        let names: Vec<bool> = runs.iter().map(|&(s, e)| display_name(h, s, e)).collect();
        assert_eq!(names, [false, true, true, false]);
    }

    #[test]
    fn names_open_file_names() {
        assert_eq!(leading_name("张斌_材料.csv"), Some(6));
        assert_eq!(leading_name("王小明-身份证.jpg"), Some(9));
        assert_eq!(leading_name("欧阳娜娜1.png"), Some(12));
        assert_eq!(leading_name("材料汇总表.xlsx"), None);
        assert_eq!(leading_name("张.pdf"), None);
        assert_eq!(leading_name("export.csv"), None);
        let h = "Content-Disposition: form-data; name=\"f\"; filename=\"张斌_身份证.jpg\"\r\nX: filename=王芳.pdf";
        let names: Vec<&str> = file_name_names(h.as_bytes())
            .into_iter()
            .map(|(s, e)| &h[s..e])
            .collect();
        assert_eq!(names, ["张斌", "王芳"]);
        assert!(file_name_at(b"attachment; filename=\"=?UTF-8?B?", 22));
        let ct = b"Content-Type: text/csv; name=\"=?UTF-8?B?";
        assert!(file_name_at(ct, ct.len() - 10));
        let cd = b"Content-Disposition: form-data; name=\"=?UTF-8?B?";
        assert!(!file_name_at(cd, cd.len() - 10));
    }

    #[test]
    fn bodies_that_open_as_mime() {
        assert!(looks_like_multipart(
            b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx"
        ));
        assert!(looks_like_multipart(
            b"This is a multi-part message in MIME format.\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nx"
        ));
        assert!(looks_like_multipart(
            b"From: a@b.cn\r\nSubject: x\r\nMIME-Version: 1.0\r\n\r\nbody"
        ));
        assert!(!looks_like_multipart(b"--- a list\n- item\n"));
        assert!(!looks_like_multipart(b"From: a@b.cn\nhello\n"));
    }
}
