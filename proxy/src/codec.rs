//! Content codings (RFC 9110 §8.4): streaming decompression with hard caps, and re-encoding.
//!
//! Compression is the oldest way around a DLP filter: WAF rule sets skip compressed bodies, and
//! a small compressed body can expand to gigabytes (a "bomb"). Every decoder here therefore
//! counts what it produces and stops with a typed [`CodecError`] as soon as the output passes
//! [`DecodeLimits::max_output`] or the output/input ratio passes [`DecodeLimits::max_ratio`]
//! (checked once the output is past [`RATIO_GRACE`], because tiny, highly repetitive bodies
//! legitimately compress far better than 100:1). The check happens *inside* the decompressor's
//! output sink, so a bomb never materialises more than one sink write past the cap.
//!
//! The decoders are push-based ([`Decoder::push`] / [`Decoder::finish`]) because the proxy
//! receives bodies as frames; [`decode_all`] and [`encode_all`] are whole-buffer conveniences
//! used by `sluice scan` and tests. HTTP `deflate` is zlib-wrapped (RFC 9110 §8.4.1.2), but
//! servers have sent raw DEFLATE under that name for decades, so both are accepted, told apart
//! by the zlib header check bits. A gzip body may hold several members (RFC 1952 §2.2); all are
//! decoded. A truncated stream is an error at [`Decoder::finish`], never silently short output.

use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

/// Output that may be produced before the ratio cap applies (1 MiB). Small bodies of repeated
/// JSON keys compress 200:1 or better; a bomb is only dangerous once it is large.
pub const RATIO_GRACE: u64 = 1 << 20;

/// zstd window cap (8 MiB, `windowLog` 23), as RFC 9659 requires of HTTP zstd decoders; a
/// larger window would let one request make the proxy allocate up to 2 GiB.
const ZSTD_WINDOW_LOG_MAX: u32 = 23;

/// What a decoder of `enc` may allocate, read from the first bytes of its stream (`head`;
/// the coding's largest when they do not say): the window, and the tables beside it.
/// - brotli (RFC 7932 §9.1): `WBITS` from the first byte's low bits, 16 to 24;
/// - zstd (RFC 8878 §3.1.1.1): the cap (8 MiB), since a body may hold more frames after
///   the first, each declaring its own window (the first frame's header alone would let a
///   small frame vouch for a large one);
/// - gzip and deflate: the 32 KiB window and the inflater's state.
fn window_bytes(enc: Encoding, head: &[u8]) -> u64 {
    const TABLES: u64 = 256 << 10;
    match enc {
        Encoding::Identity => 0,
        Encoding::Gzip | Encoding::Deflate => 64 << 10,
        Encoding::Br => {
            let wbits = match head.first() {
                None => 24,
                Some(b) if b & 1 == 0 => 16,
                Some(b) if (b >> 1) & 7 != 0 => 17 + u32::from((b >> 1) & 7),
                Some(b) => match (b >> 4) & 7 {
                    0 => 17,
                    // The large-window extension (up to 1 GiB), which the decoder refuses.
                    1 => 24,
                    m => 8 + u32::from(m),
                },
            };
            (1 << wbits) + TABLES
        }
        Encoding::Zstd => (1u64 << ZSTD_WINDOW_LOG_MAX) + TABLES,
    }
}

/// A content coding the proxy understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    Identity,
    Gzip,
    Deflate,
    Br,
    Zstd,
}

impl Encoding {
    /// The token used in `Content-Encoding` / `Accept-Encoding`.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Identity => "identity",
            Encoding::Gzip => "gzip",
            Encoding::Deflate => "deflate",
            Encoding::Br => "br",
            Encoding::Zstd => "zstd",
        }
    }

    /// Parses a `Content-Encoding` header value that may list several codings
    /// (`gzip, br` means gzip was applied first). Returns them in the order they were applied.
    ///
    /// # Errors
    /// [`CodecError::Unsupported`] naming the first unknown coding.
    pub fn parse_list(value: &str) -> Result<Vec<Encoding>, CodecError> {
        let mut out = Vec::new();
        for token in value.split(',') {
            let token = token.trim();
            if token.is_empty() {
                continue;
            }
            let enc: Encoding = token.parse()?;
            if enc != Encoding::Identity {
                out.push(enc);
            }
        }
        Ok(out)
    }

    /// Bytes [`Encoding::sniff`] wants before it decides (fewer only at the end of a body):
    /// enough that compressed data almost never reads as text that long.
    pub const SNIFF_BYTES: usize = 32;

    /// The coding a body's first bytes show when it differs from `declared`, the outermost
    /// coding its `Content-Encoding` names. A body declared with one coding and carrying
    /// another is a known way past inspection (DOMAIN.md): gzip bytes sent as identity are
    /// plain data to any client that runs `gunzip`.
    ///
    /// Only what the bytes prove overrides the declaration, so a real body of the declared
    /// coding is never taken for another:
    /// - gzip (`1f 8b 08`) and zstd (a frame or skippable-frame magic) are recognised over
    ///   identity, gzip, zstd and deflate, none of which can validly start that way;
    /// - a body declared gzip or zstd that lacks their magic is not of that coding: a zlib
    ///   header makes it deflate, text (UTF-8, or GBK / GB18030 with no control byte) makes
    ///   it identity, and anything else may be brotli, which has no magic: the caller tries
    ///   it ([`Encoding::sniff_needs_trial`]), and a body that is no brotli either stays with
    ///   its declaration and fails to decode (closed).
    ///
    /// - text declared deflate or br is identity, unless it decodes as its label says
    ///   ([`Encoding::label_holds`]).
    ///
    /// A zlib header is two bytes that other data opens with too (a protobuf message may
    /// start `78 01`), so deflate sent as identity is not guessed here: the caller tries
    /// deflate and brotli on a body that opens as no text ([`hidden_coding`]).
    ///
    /// `br` has no magic and a brotli stream may start with nearly any byte, so under `br`
    /// the gzip and zstd magics are only a claim: the caller checks that the bytes decode
    /// as what they claim (as it does over identity) before it believes them.
    pub fn sniff(declared: Encoding, head: &[u8]) -> Option<Encoding> {
        let actual = if head.starts_with(&[0x1f, 0x8b, 0x08]) {
            Encoding::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
            || (head.len() >= 4 && head[0] & 0xf0 == 0x50 && head[1..4] == [0x2a, 0x4d, 0x18])
        {
            Encoding::Zstd
        } else if matches!(declared, Encoding::Gzip | Encoding::Zstd) && zlib_header(head) {
            Encoding::Deflate
        } else if matches!(declared, Encoding::Gzip | Encoding::Zstd) && looks_like_text(head) {
            Encoding::Identity
        } else if matches!(declared, Encoding::Gzip | Encoding::Zstd) && !head.is_empty() {
            Encoding::Br
        } else if matches!(declared, Encoding::Deflate | Encoding::Br)
            && !zlib_header(head)
            && looks_like_text(head)
        {
            // Text labelled deflate or br: no such stream reads as text that long, and the
            // caller also checks that it does not decode as its label says.
            Encoding::Identity
        } else {
            return None;
        };
        (actual != declared).then_some(actual)
    }

    /// Whether [`Encoding::sniff`] can already answer "no other coding" from the first bytes
    /// of `head`, before [`Encoding::SNIFF_BYTES`] have come: over br it looks only for a
    /// gzip or zstd magic, which a body starting otherwise cannot hold; over identity also
    /// for deflate and brotli with no label, which have no magic, so only a body that opens
    /// as a document or an event stream does (`{`, `[`, `<`, `"`, white space, `data:`,
    /// `event:`, `id:`, `retry:`, a comment's `:`), which no deflate or brotli stream of such
    /// bodies starts with. An event stream's first short event then goes on at once.
    pub fn sniff_settled(declared: Encoding, head: &[u8]) -> bool {
        match declared {
            // (A first byte that may open text waits: text labelled br is looked for too.)
            Encoding::Br => head.first().is_some_and(|&b| {
                !(matches!(b, 0x1f | 0x28 | 0x50..=0x5f)
                    || b.is_ascii_graphic()
                    || b.is_ascii_whitespace())
            }),
            // A raw DEFLATE stream may open with any of those bytes too (`{` is a final
            // block of fixed codes, `<` a dynamic one): one byte settles nothing. Two that
            // go on as the document does (`{"`, `[{`, `<?`, `<r`), all of them text, do.
            Encoding::Identity => {
                let opens = match head {
                    [b'{', b'"' | b'}' | b' ' | b'\t' | b'\r' | b'\n', ..] => true,
                    [b'[', b, ..] => {
                        matches!(b, b'{' | b'[' | b'"' | b']' | b'-' | b't' | b'f' | b'n')
                            || b.is_ascii_digit()
                            || b.is_ascii_whitespace()
                    }
                    [b'<', b, ..] => b.is_ascii_alphabetic() || matches!(b, b'?' | b'!' | b'/'),
                    [b'"' | b':' | b' ' | b'\t' | b'\r' | b'\n', b, ..] => {
                        b.is_ascii_graphic() || b.is_ascii_whitespace() || *b >= 0x80
                    }
                    _ => false,
                };
                (opens
                    || [&b"data:"[..], b"event:", b"id:", b"retry:"]
                        .iter()
                        .any(|f| head.starts_with(f)))
                    && looks_like_text(head)
            }
            _ => false,
        }
    }

    /// Bytes held of a body declared identity whose first bytes are neither text nor a gzip
    /// or zstd magic, for [`hidden_coding`] to judge (fewer only at the end of a body).
    pub const HIDDEN_SNIFF_BYTES: usize = 4 * 1024;

    /// Whether a body declared identity opens like no text and no magic: it may be deflate
    /// (zlib or raw) or brotli sent without its label, which [`hidden_coding`] tries.
    /// Files that open with a magic of their own (ZIP, which is held as an archive,
    /// images, Office 97 documents, executables) are none: no deflate stream can start
    /// that way, and nothing is held for them beyond the usual sniff.
    ///
    /// A zlib header is tried even when the bytes after it read as text: a short body of
    /// digits and ASCII compresses to mostly literals, and its first 32 bytes can be valid
    /// GB18030 (`78 9C AB 56 2A 4E AB CA …`, a 52-byte JSON record). Text that happens to
    /// open with such a pair (`x^`, `(4`) fails the trial within a few bytes, or decodes to
    /// no text, and stays identity. Raw deflate has no header, and a short body's literals
    /// read as GB18030 just as well (`AB 56 2A 4E …`, a JSON record): bytes that are text only
    /// as GB, not as UTF-8, and open no document are tried too. A GBK document opens with
    /// ASCII (`{`, `<`) and is not held for it.
    ///
    /// A body declared gzip or zstd without their magic that [`Encoding::sniff`] took for
    /// text is judged the same way: it is no more what its label says than an identity
    /// body is, and a label is one more thing an evader chooses. Its text test reads the
    /// whole of `head`, where the UTF-16 test is weak (two ASCII units among a few hundred
    /// and no control unit: one brotli body in twenty), so a brotli body labelled gzip was
    /// scanned as identity, its values unread, while the same bytes with no label were
    /// found to be brotli.
    pub fn maybe_hidden(declared: Encoding, head: &[u8]) -> bool {
        const MAGICS: &[&[u8]] = &[
            b"\x89PNG",
            b"\xff\xd8\xff",
            b"\xd0\xcf\x11\xe0",
            b"\x7fELF",
            b"7z\xbc\xaf",
            b"\x00asm",
            b"II*\x00",
            b"MM\x00*",
        ];
        let unproven = match Encoding::sniff(declared, head) {
            None => declared == Encoding::Identity,
            Some(Encoding::Identity) => matches!(declared, Encoding::Gzip | Encoding::Zstd),
            Some(_) => false,
        };
        unproven
            && head.len() >= 2
            && !sluice_rules::archive::is_zip(head)
            && !MAGICS.iter().any(|m| head.starts_with(m))
            && (zlib_header(head)
                || !looks_like_text(&head[..head.len().min(Self::SNIFF_BYTES)])
                || (gb_only(&head[..head.len().min(Self::SNIFF_BYTES)])
                    && !Self::sniff_settled(Encoding::Identity, head)))
    }

    /// The coding a body declared `declared` carries when its first bytes (`head`, all of
    /// the body when `complete`) show another, and whether that must still be shown to decode
    /// ([`Encoding::sniff_needs_trial`]): what [`Encoding::sniff`] proves, and deflate or
    /// brotli with no magic to show it, tried by [`hidden_coding`] where
    /// [`Encoding::maybe_hidden`] says, under identity or under a gzip or zstd label the
    /// bytes do not bear out. The proxy and `sluice scan` both ask this, so they agree.
    /// (Text under a deflate or br label is answered here as identity: the caller still asks
    /// [`Encoding::keeps_label`].)
    pub fn sniff_coding(
        declared: Encoding,
        head: &[u8],
        complete: bool,
        limits: &DecodeLimits,
    ) -> Option<(Encoding, bool)> {
        let hidden = || {
            Encoding::maybe_hidden(declared, head)
                .then(|| hidden_coding(head, complete, limits))
                .flatten()
        };
        match Encoding::sniff(declared, head) {
            // Text under a gzip or zstd label, unless it decodes as deflate or brotli.
            Some(Encoding::Identity) if matches!(declared, Encoding::Gzip | Encoding::Zstd) => {
                Some((hidden().unwrap_or(Encoding::Identity), false))
            }
            Some(actual) => Some((actual, Encoding::sniff_needs_trial(declared, actual))),
            None => hidden().map(|actual| (actual, false)),
        }
    }

    /// Whether a coding [`Encoding::sniff`] took over `declared` must first be shown to
    /// decode: over identity and br, where the magic bytes can open other data too, and
    /// brotli, which no magic shows.
    ///
    /// Text under a deflate or br label is the other way round: it must not decode as its
    /// label says ([`Encoding::label_holds`]).
    pub fn sniff_needs_trial(declared: Encoding, actual: Encoding) -> bool {
        matches!(declared, Encoding::Identity | Encoding::Br) || actual == Encoding::Br
    }

    /// Whether `head` decodes as `self` after all (to the end when `complete`) into text, so
    /// text that [`Encoding::sniff`] found under a deflate or br label stays with its label
    /// when it really is such a stream. (Text read as a stream of fixed Huffman codes may
    /// decode for a while without an error, but into bytes that are no text.)
    pub fn label_holds(self, head: &[u8], complete: bool, limits: &DecodeLimits) -> bool {
        let (decoded, out) = trial_decode(self, head, complete, limits);
        decoded.is_ok() && (out.is_empty() || looks_like_text(&out[..out.len().min(256)]))
    }

    /// Whether a body declared `self` stays with its label although [`Encoding::sniff`] said
    /// it carries `actual`: text under a deflate or br label that decodes as the label says
    /// ([`Encoding::label_holds`]). What the proxy and `sluice scan` both ask.
    pub fn keeps_label(
        self,
        actual: Encoding,
        head: &[u8],
        complete: bool,
        limits: &DecodeLimits,
    ) -> bool {
        actual == Encoding::Identity
            && matches!(self, Encoding::Deflate | Encoding::Br)
            && self.label_holds(head, complete, limits)
    }
}

/// Decodes `head` as `enc` (to the end when `complete`): whether it went without an error,
/// and what it gave.
fn trial_decode(
    enc: Encoding,
    head: &[u8],
    complete: bool,
    limits: &DecodeLimits,
) -> (Result<(), CodecError>, Vec<u8>) {
    let mut out = Vec::new();
    let decoded = Decoder::new(enc, *limits).and_then(|mut d| {
        d.push(head, &mut out)?;
        if complete {
            d.finish(&mut out)
        } else {
            Ok(())
        }
    });
    (decoded, out)
}

/// The coding a body declared identity really carries when it has no magic to show it:
/// deflate (zlib or raw) or brotli sent with no `Content-Encoding`, which any client that
/// tries to inflate it reads (DOMAIN.md: a body declared with one coding and carrying
/// another). `head` is the body's first bytes ([`Encoding::HIDDEN_SNIFF_BYTES`], or all of it
/// when `complete`).
///
/// Compressed data of some other kind and binary formats decode as neither, or not as text:
/// a coding is taken only when the bytes decode without an error (to the end, when the body
/// is complete) into at least 64 bytes, or the whole body, of text. Random or foreign bytes
/// read as a deflate or brotli stream fail within a few bytes, and when they do not, what
/// they give is not text. A cap tripped is proof enough: decoding again trips it, and the
/// body is refused.
pub fn hidden_coding(head: &[u8], complete: bool, limits: &DecodeLimits) -> Option<Encoding> {
    const MIN_TEXT: usize = 64;
    [Encoding::Deflate, Encoding::Br].into_iter().find(|&enc| {
        match trial_decode(enc, head, complete, limits) {
            (Err(e), _) => e.is_bomb(),
            (Ok(()), out) => {
                (out.len() >= MIN_TEXT || (complete && !out.is_empty()))
                    && looks_like_text(&out[..out.len().min(4 * MIN_TEXT)])
            }
        }
    })
}

/// A zlib stream header (RFC 1950): deflate method, a window of at most 32 KiB, and the
/// header check (the two bytes as a number are a multiple of 31).
fn zlib_header(head: &[u8]) -> bool {
    head.len() >= 2
        && head[0] & 0x0f == 8
        && head[0] >> 4 <= 7
        && (u16::from(head[0]) << 8 | u16::from(head[1])) % 31 == 0
}

/// Whether `head` is text only as GB18030: no UTF-8 (a character cut at the end aside) nor
/// UTF-16, but GB text by [`looks_like_text`].
fn gb_only(head: &[u8]) -> bool {
    std::str::from_utf8(head).is_err_and(|e| e.error_len().is_some())
        && !sluice_rules::charset::is_utf16_text(head)
        && looks_like_text(head)
}

/// Whether the first bytes of a body read as text: UTF-8 or GB18030 (GBK) with no control
/// character but whitespace (a character cut at the end allowed), or UTF-16 or UTF-32 by
/// the engine's charset test. Compressed streams fail this within a few bytes.
pub(crate) fn looks_like_text(head: &[u8]) -> bool {
    if head.is_empty() {
        return false;
    }
    // UTF-16 and UTF-32 text are zero bytes beside ASCII ones (and a byte-order mark), which
    // the byte test below would take for binary: JSON in UTF-16 under `image/png` is text.
    if sluice_rules::charset::is_utf16_text(head) {
        return true;
    }
    let valid = match std::str::from_utf8(head) {
        Ok(s) => s,
        // A multi-byte character cut by the end of the sniffed bytes is still text.
        Err(e) if e.error_len().is_none() => match std::str::from_utf8(&head[..e.valid_up_to()]) {
            Ok(s) => s,
            Err(_) => return false,
        },
        Err(_) => return sluice_rules::charset::is_gb_text(head),
    };
    valid
        .chars()
        .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Encoding {
    type Err = CodecError;

    /// Case-insensitive; accepts the legacy aliases `x-gzip` (RFC 9110 §8.4.1.3) and `none`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let enc =
            if t.eq_ignore_ascii_case("identity") || t.eq_ignore_ascii_case("none") || t.is_empty()
            {
                Encoding::Identity
            } else if t.eq_ignore_ascii_case("gzip") || t.eq_ignore_ascii_case("x-gzip") {
                Encoding::Gzip
            } else if t.eq_ignore_ascii_case("deflate") {
                Encoding::Deflate
            } else if t.eq_ignore_ascii_case("br") {
                Encoding::Br
            } else if t.eq_ignore_ascii_case("zstd") {
                Encoding::Zstd
            } else {
                // Named in the problem body and the log only when it reads as a coding
                // name: the header is the upstream's, and may carry anything
                // (`x-13800138000`).
                let named = t.len() <= 32
                    && t.bytes()
                        .all(|b| b.is_ascii_alphabetic() || matches!(b, b'-' | b'_' | b'.'));
                let shown = if named { t } else { "(not a coding name)" };
                return Err(CodecError::Unsupported(shown.to_string()));
            };
        Ok(enc)
    }
}

/// Caps applied while decoding one body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Most decoded bytes allowed for one body.
    pub max_output: u64,
    /// Most decoded bytes per encoded byte, applied past [`RATIO_GRACE`].
    pub max_ratio: u64,
}

impl DecodeLimits {
    /// The same caps for what a ZIP body's members unpack to (`sluice_rules::archive`).
    pub fn for_archives(&self) -> sluice_rules::archive::ArchiveLimits {
        sluice_rules::archive::ArchiveLimits {
            max_unpacked: self.max_output,
            max_ratio: self.max_ratio,
            ..Default::default()
        }
    }
}

impl Default for DecodeLimits {
    /// 64 MiB and 100:1: well above real API responses (JSON compresses 5–20:1), well below
    /// what a bomb needs to hurt.
    fn default() -> Self {
        DecodeLimits {
            max_output: 64 << 20,
            max_ratio: 100,
        }
    }
}

/// Why a body could not be decoded or encoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// Decoded output passed [`DecodeLimits::max_output`].
    #[error("decoded body exceeds the {limit}-byte cap")]
    TooLarge { limit: u64 },
    /// Decoded/encoded ratio passed [`DecodeLimits::max_ratio`].
    #[error("compression ratio exceeds {limit}:1 ({output} bytes from {input})")]
    RatioExceeded { limit: u64, input: u64, output: u64 },
    /// The content coding is not one this build understands.
    #[error("unsupported content coding `{0}`")]
    Unsupported(String),
    /// The encoded data is malformed or truncated.
    #[error("corrupt or truncated {encoding} data: {message}")]
    Corrupt { encoding: Encoding, message: String },
    /// The encoder failed (out of memory, internal error).
    #[error("{encoding} encoder failed: {message}")]
    Encode { encoding: Encoding, message: String },
}

impl CodecError {
    /// Whether this is a decompression bomb (size or ratio cap), as opposed to bad data.
    pub fn is_bomb(&self) -> bool {
        matches!(
            self,
            CodecError::TooLarge { .. } | CodecError::RatioExceeded { .. }
        )
    }
}

/// Output sink handed to the decompressors: a buffer that refuses to grow past the caps and
/// remembers why, so the `io::Error` the decompressor returns can be turned back into a
/// typed error.
#[derive(Debug)]
struct CappedSink {
    buf: Vec<u8>,
    written: u64,
    input: u64,
    limits: DecodeLimits,
    tripped: Option<CodecError>,
}

impl CappedSink {
    fn new(limits: DecodeLimits) -> Self {
        CappedSink {
            buf: Vec::new(),
            written: 0,
            input: 0,
            limits,
            tripped: None,
        }
    }
}

impl Write for CappedSink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let after = self.written.saturating_add(data.len() as u64);
        if after > self.limits.max_output {
            self.tripped = Some(CodecError::TooLarge {
                limit: self.limits.max_output,
            });
            return Err(io::Error::other("decode cap"));
        }
        if after > RATIO_GRACE && after > self.input.saturating_mul(self.limits.max_ratio) {
            self.tripped = Some(CodecError::RatioExceeded {
                limit: self.limits.max_ratio,
                input: self.input,
                output: after,
            });
            return Err(io::Error::other("ratio cap"));
        }
        self.written = after;
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

enum Inner {
    Identity(CappedSink),
    Gzip(flate2::write::MultiGzDecoder<CappedSink>),
    Zlib(flate2::write::ZlibDecoder<CappedSink>),
    RawDeflate(flate2::write::DeflateDecoder<CappedSink>),
    /// `deflate` before the first two bytes arrived (zlib or raw is not yet known).
    DeflatePending(Vec<u8>, CappedSink),
    Br(Box<brotli::DecompressorWriter<CappedSink>>),
    Zstd(Box<zstd::stream::write::Decoder<'static, CappedSink>>),
    Done,
}

/// A push-based decoder for one body. Feed encoded frames with [`push`](Decoder::push), then
/// call [`finish`](Decoder::finish) once; both append decoded bytes to `out`.
pub struct Decoder {
    encoding: Encoding,
    inner: Inner,
    limits: DecodeLimits,
    /// What the decoder's state may take ([`Decoder::memory`]), known from its first bytes.
    memory: Option<u64>,
}

impl fmt::Debug for Decoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decoder")
            .field("encoding", &self.encoding)
            .field("limits", &self.limits)
            .finish()
    }
}

/// Whether two bytes start a zlib stream (RFC 1950 §2.2: CM = 8, FCHECK makes CMF·256+FLG a
/// multiple of 31). Raw DEFLATE data matches by chance about 1 time in 500; when it does,
/// decoding fails as corrupt rather than producing wrong bytes.
fn is_zlib_header(b0: u8, b1: u8) -> bool {
    b0 & 0x0f == 8 && b0 >> 4 <= 7 && (u16::from(b0) << 8 | u16::from(b1)) % 31 == 0
}

impl Decoder {
    /// A decoder for `encoding` with the given caps.
    ///
    /// # Errors
    /// Only if the zstd context cannot be created (out of memory).
    pub fn new(encoding: Encoding, limits: DecodeLimits) -> Result<Self, CodecError> {
        let sink = CappedSink::new(limits);
        let inner = match encoding {
            Encoding::Identity => Inner::Identity(sink),
            Encoding::Gzip => Inner::Gzip(flate2::write::MultiGzDecoder::new(sink)),
            Encoding::Deflate => Inner::DeflatePending(Vec::new(), sink),
            Encoding::Br => Inner::Br(Box::new(brotli::DecompressorWriter::new(sink, 32 * 1024))),
            Encoding::Zstd => {
                let mut d =
                    zstd::stream::write::Decoder::new(sink).map_err(|e| CodecError::Corrupt {
                        encoding,
                        message: e.to_string(),
                    })?;
                d.window_log_max(ZSTD_WINDOW_LOG_MAX)
                    .map_err(|e| CodecError::Corrupt {
                        encoding,
                        message: e.to_string(),
                    })?;
                Inner::Zstd(Box::new(d))
            }
        };
        Ok(Decoder {
            encoding,
            inner,
            limits,
            memory: None,
        })
    }

    /// The memory this decoder's state may take, from the window its stream declares: a
    /// brotli stream's is up to 16 MiB and a zstd frame's up to 8 MiB, against 32 KiB for
    /// gzip, and a client chooses it. Until the first bytes say, the coding's largest; once
    /// the stream has said, what it said (a zstd body is charged its cap whatever its first
    /// frame says: a later frame may declare another window). The caller charges it to the
    /// budget of held bodies (`limits.max_held_total`), so many stalled compressed uploads
    /// cannot take the process's memory between them.
    pub fn memory(&self) -> u64 {
        self.memory
            .unwrap_or_else(|| window_bytes(self.encoding, &[]))
    }

    /// The coding this decoder removes.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Decoded bytes produced so far.
    pub fn total_out(&mut self) -> u64 {
        self.sink_mut().map_or(0, |s| s.written)
    }

    fn sink_mut(&mut self) -> Option<&mut CappedSink> {
        Some(match &mut self.inner {
            Inner::Identity(s) => s,
            Inner::Gzip(d) => d.get_mut(),
            Inner::Zlib(d) => d.get_mut(),
            Inner::RawDeflate(d) => d.get_mut(),
            Inner::DeflatePending(_, s) => s,
            Inner::Br(d) => d.get_mut(),
            Inner::Zstd(d) => d.get_mut(),
            Inner::Done => return None,
        })
    }

    fn map_err(&mut self, e: io::Error) -> CodecError {
        let encoding = self.encoding;
        if let Some(t) = self.sink_mut().and_then(|s| s.tripped.take()) {
            self.inner = Inner::Done;
            return t;
        }
        self.inner = Inner::Done;
        CodecError::Corrupt {
            encoding,
            message: e.to_string(),
        }
    }

    fn drain(&mut self, out: &mut Vec<u8>) {
        if let Some(s) = self.sink_mut() {
            if out.is_empty() {
                std::mem::swap(out, &mut s.buf);
            } else {
                out.append(&mut s.buf);
            }
        }
    }

    /// Decodes one frame of encoded input, appending whatever output is ready to `out`.
    ///
    /// # Errors
    /// A cap was passed ([`CodecError::is_bomb`]) or the data is corrupt. After an error the
    /// decoder is spent and every later call fails.
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), CodecError> {
        if self.memory.is_none() && !input.is_empty() {
            self.memory = Some(window_bytes(self.encoding, input));
        }
        if let Some(s) = self.sink_mut() {
            s.input = s.input.saturating_add(input.len() as u64);
        }
        let res = match &mut self.inner {
            // The flate2 and zstd writers keep decoded bytes in an internal buffer until the
            // next write; flushing hands them to the sink now, so output never lags a frame.
            Inner::Identity(s) => s.write_all(input),
            Inner::Gzip(d) => d.write_all(input).and_then(|()| d.flush()),
            Inner::Zlib(d) => d.write_all(input).and_then(|()| d.flush()),
            Inner::RawDeflate(d) => d.write_all(input).and_then(|()| d.flush()),
            Inner::Br(d) => d.write_all(input).and_then(|()| d.flush()),
            Inner::Zstd(d) => d.write_all(input).and_then(|()| d.flush()),
            Inner::DeflatePending(pending, _) => {
                pending.extend_from_slice(input);
                if pending.len() < 2 {
                    return Ok(());
                }
                self.resolve_deflate()
            }
            Inner::Done => {
                return Err(CodecError::Corrupt {
                    encoding: self.encoding,
                    message: "decoder used after an error or after finish".into(),
                })
            }
        };
        if let Err(e) = res {
            return Err(self.map_err(e));
        }
        self.drain(out);
        Ok(())
    }

    /// Whether this is a `deflate` body written as raw DEFLATE (known once its first two bytes
    /// were pushed).
    pub fn is_raw_deflate(&self) -> bool {
        matches!(self.inner, Inner::RawDeflate(_))
    }

    /// Picks zlib or raw DEFLATE from the buffered first bytes and feeds them in.
    fn resolve_deflate(&mut self) -> io::Result<()> {
        let Inner::DeflatePending(pending, sink) = std::mem::replace(&mut self.inner, Inner::Done)
        else {
            return Ok(());
        };
        if pending.len() >= 2 && is_zlib_header(pending[0], pending[1]) {
            let mut d = flate2::write::ZlibDecoder::new(sink);
            let r = d.write_all(&pending).and_then(|()| d.flush());
            self.inner = Inner::Zlib(d);
            r
        } else {
            let mut d = flate2::write::DeflateDecoder::new(sink);
            let r = d.write_all(&pending).and_then(|()| d.flush());
            self.inner = Inner::RawDeflate(d);
            r
        }
    }

    /// Ends the body: flushes the decompressor and checks the stream was complete.
    ///
    /// # Errors
    /// Truncated or corrupt data, or a cap passed while flushing.
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        // An empty body is empty in every coding: servers label a 0-byte answer with the
        // coding they would have used (`curl --compressed` takes it), and there is nothing
        // in it to decode or to hide.
        if self.sink_mut().is_some_and(|s| s.input == 0) {
            self.inner = Inner::Done;
            return Ok(());
        }
        if matches!(self.inner, Inner::DeflatePending(..)) {
            if let Err(e) = self.resolve_deflate() {
                return Err(self.map_err(e));
            }
        }
        let encoding = self.encoding;
        let res = match &mut self.inner {
            Inner::Identity(_) => Ok(()),
            Inner::Gzip(d) => d.try_finish(),
            Inner::Zlib(d) => d.try_finish(),
            Inner::RawDeflate(d) => d.try_finish(),
            Inner::Br(d) => d.close(),
            Inner::Zstd(d) => d.do_finish(),
            Inner::DeflatePending(..) => Ok(()),
            Inner::Done => {
                return Err(CodecError::Corrupt {
                    encoding,
                    message: "decoder already finished".into(),
                })
            }
        };
        if let Err(e) = res {
            let err = self.map_err(e);
            // flate2 reports a truncated stream as `UnexpectedEof`-flavoured io errors; keep
            // the typed variant but make the message say what a reader of logs needs.
            return Err(match err {
                CodecError::Corrupt { encoding, message } => CodecError::Corrupt {
                    encoding,
                    message: format!("{message} (stream incomplete?)"),
                },
                other => other,
            });
        }
        self.drain(out);
        self.inner = Inner::Done;
        Ok(())
    }
}

/// Decodes a whole body.
///
/// # Errors
/// See [`Decoder::push`] and [`Decoder::finish`].
pub fn decode_all(
    enc: Encoding,
    input: &[u8],
    limits: &DecodeLimits,
) -> Result<Vec<u8>, CodecError> {
    let mut d = Decoder::new(enc, *limits)?;
    let mut out = Vec::new();
    // Feed in slices so the ratio check sees input arrive as it would from the network and a
    // bomb is stopped before its whole expansion is attempted.
    for chunk in input.chunks(16 * 1024) {
        d.push(chunk, &mut out)?;
    }
    d.finish(&mut out)?;
    Ok(out)
}

/// Decodes a stack of codings as listed in `Content-Encoding` (applied first → listed first),
/// undoing them last-first. The caps apply to every layer.
///
/// # Errors
/// See [`decode_all`].
pub fn decode_stack(
    encs: &[Encoding],
    input: &[u8],
    limits: &DecodeLimits,
) -> Result<Vec<u8>, CodecError> {
    let mut cur = input.to_vec();
    for enc in encs.iter().rev() {
        cur = decode_all(*enc, &cur, limits)?;
    }
    Ok(cur)
}

enum EncInner {
    Identity(Vec<u8>),
    Gzip(flate2::write::GzEncoder<Vec<u8>>),
    Zlib(flate2::write::ZlibEncoder<Vec<u8>>),
    /// `deflate` as the raw DEFLATE the body came in ([`Encoder::raw_deflate`]).
    RawDeflate(flate2::write::DeflateEncoder<Vec<u8>>),
    Br(Box<brotli::CompressorWriter<Vec<u8>>>),
    Zstd(Box<zstd::stream::write::Encoder<'static, Vec<u8>>>),
    Done,
}

/// A push-based encoder for one body. [`flush`](Encoder::flush) forces out what has been
/// pushed so far (a sync flush), which the proxy does at upstream frame boundaries so a slowly
/// streamed response is not held back by the compressor.
pub struct Encoder {
    encoding: Encoding,
    inner: EncInner,
}

impl fmt::Debug for Encoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Encoder")
            .field("encoding", &self.encoding)
            .finish()
    }
}

impl Encoder {
    /// An encoder at a level tuned for a proxy: fast (gzip 1, brotli 3, zstd 3). The body is
    /// compressed once per request on the hot path, so speed beats the last few percent.
    ///
    /// # Errors
    /// Only if the zstd context cannot be created.
    pub fn new(encoding: Encoding) -> Result<Self, CodecError> {
        let inner = match encoding {
            Encoding::Identity => EncInner::Identity(Vec::new()),
            Encoding::Gzip => EncInner::Gzip(flate2::write::GzEncoder::new(
                Vec::new(),
                flate2::Compression::fast(),
            )),
            Encoding::Deflate => EncInner::Zlib(flate2::write::ZlibEncoder::new(
                Vec::new(),
                flate2::Compression::fast(),
            )),
            Encoding::Br => EncInner::Br(Box::new(brotli::CompressorWriter::new(
                Vec::new(),
                16 * 1024,
                3,
                22,
            ))),
            Encoding::Zstd => EncInner::Zstd(Box::new(
                zstd::stream::write::Encoder::new(Vec::new(), 3).map_err(|e| {
                    CodecError::Encode {
                        encoding,
                        message: e.to_string(),
                    }
                })?,
            )),
        };
        Ok(Encoder { encoding, inner })
    }

    /// The coding this encoder applies.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Writes `deflate` as raw DEFLATE instead of zlib, as a body that came in so was
    /// written: a client that reads the one may not read the other. Only before any input
    /// (a zlib encoder has output nothing until then); later it changes nothing.
    pub fn raw_deflate(&mut self) {
        if let EncInner::Zlib(e) = &self.inner {
            if e.total_in() == 0 {
                self.inner = EncInner::RawDeflate(flate2::write::DeflateEncoder::new(
                    Vec::new(),
                    flate2::Compression::fast(),
                ));
            }
        }
    }

    fn buf_mut(&mut self) -> Option<&mut Vec<u8>> {
        Some(match &mut self.inner {
            EncInner::Identity(v) => v,
            EncInner::Gzip(e) => e.get_mut(),
            EncInner::Zlib(e) => e.get_mut(),
            EncInner::RawDeflate(e) => e.get_mut(),
            EncInner::Br(e) => e.get_mut(),
            EncInner::Zstd(e) => e.get_mut(),
            EncInner::Done => return None,
        })
    }

    fn drain(&mut self, out: &mut Vec<u8>) {
        if let Some(b) = self.buf_mut() {
            out.append(b);
        }
    }

    fn err(&self, e: io::Error) -> CodecError {
        CodecError::Encode {
            encoding: self.encoding,
            message: e.to_string(),
        }
    }

    /// Compresses `input`, appending whatever compressed output is ready to `out`.
    ///
    /// # Errors
    /// Encoder failure, or use after [`finish`](Encoder::finish).
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), CodecError> {
        let r = match &mut self.inner {
            EncInner::Identity(v) => {
                v.extend_from_slice(input);
                Ok(())
            }
            EncInner::Gzip(e) => e.write_all(input),
            EncInner::Zlib(e) => e.write_all(input),
            EncInner::RawDeflate(e) => e.write_all(input),
            EncInner::Br(e) => e.write_all(input),
            EncInner::Zstd(e) => e.write_all(input),
            EncInner::Done => Err(io::Error::other("encoder used after finish")),
        };
        r.map_err(|e| self.err(e))?;
        self.drain(out);
        Ok(())
    }

    /// Sync-flushes the compressor so everything pushed so far can be decoded by the peer.
    ///
    /// # Errors
    /// Encoder failure.
    pub fn flush(&mut self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        let r = match &mut self.inner {
            EncInner::Identity(_) | EncInner::Done => Ok(()),
            EncInner::Gzip(e) => e.flush(),
            EncInner::Zlib(e) => e.flush(),
            EncInner::RawDeflate(e) => e.flush(),
            EncInner::Br(e) => e.flush(),
            EncInner::Zstd(e) => e.flush(),
        };
        r.map_err(|e| self.err(e))?;
        self.drain(out);
        Ok(())
    }

    /// Ends the stream (trailer, checksum), appending the rest of the output to `out`.
    ///
    /// # Errors
    /// Encoder failure.
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        let inner = std::mem::replace(&mut self.inner, EncInner::Done);
        let r = match inner {
            EncInner::Identity(v) => Ok(v),
            EncInner::Gzip(e) => e.finish(),
            EncInner::Zlib(e) => e.finish(),
            EncInner::RawDeflate(e) => e.finish(),
            EncInner::Br(mut e) => e.flush().map(|()| e.into_inner()),
            EncInner::Zstd(e) => e.finish(),
            EncInner::Done => Err(io::Error::other("encoder already finished")),
        };
        let mut v = r.map_err(|e| self.err(e))?;
        out.append(&mut v);
        Ok(())
    }
}

/// Whether a compressed body carries bytes outside what it decodes to: a gzip member's file
/// name, comment or extra field (`gzip` stores the file name by default: an export named
/// after a person's ID), a zstd skippable frame, trailing bytes after the last member or
/// frame. Decoders skip them, so the scanner never sees them: such a body must not be
/// forwarded as it came, even when what it decodes to is clean. `codings` in the order
/// applied; a stack of several is judged as carrying some (it is not taken apart here).
pub fn carries_metadata(codings: &[Encoding], raw: &[u8]) -> bool {
    match codings {
        [] | [Encoding::Identity] => false,
        [Encoding::Gzip] => gzip_metadata(raw),
        [Encoding::Zstd] => zstd_metadata(raw),
        [Encoding::Deflate | Encoding::Br] => false,
        _ => true,
    }
}

fn gzip_metadata(mut rest: &[u8]) -> bool {
    // FLG bits (RFC 1952 §2.3.1): FEXTRA, FNAME, FCOMMENT.
    const META: u8 = 0x04 | 0x08 | 0x10;
    while !rest.is_empty() {
        if rest.len() < 10 || rest[..3] != [0x1f, 0x8b, 0x08] || rest[3] & META != 0 {
            return true;
        }
        let mut d = flate2::bufread::GzDecoder::new(rest);
        if std::io::copy(&mut d, &mut std::io::sink()).is_err() {
            return true;
        }
        rest = d.into_inner();
    }
    false
}

fn zstd_metadata(mut rest: &[u8]) -> bool {
    while !rest.is_empty() {
        let magic = rest
            .get(..4)
            .map(|m| u32::from_le_bytes([m[0], m[1], m[2], m[3]]));
        if magic.is_none_or(|m| m & 0xFFFF_FFF0 == 0x184D_2A50) {
            return true;
        }
        match zstd::zstd_safe::find_frame_compressed_size(rest) {
            Ok(n) if n > 0 && n <= rest.len() => rest = &rest[n..],
            _ => return true,
        }
    }
    false
}

/// Encodes a whole body.
///
/// # Errors
/// Encoder failure (practically: out of memory).
pub fn encode_all(enc: Encoding, input: &[u8]) -> Result<Vec<u8>, CodecError> {
    encode_with(Encoder::new(enc)?, input)
}

/// `input` as raw DEFLATE (no zlib header) by flate2 itself, as servers send `deflate`:
/// for tests, independent of this module's encoder.
#[cfg(test)]
pub(crate) fn raw_deflate(input: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(input).expect("writing to a Vec");
    e.finish().expect("writing to a Vec")
}

/// [`encode_all`] in the form `original` (the body as it came) was written in: raw DEFLATE
/// under `deflate` when it was so (see [`Encoder::raw_deflate`]).
///
/// # Errors
/// Encoder failure (practically: out of memory).
pub fn encode_like(enc: Encoding, original: &[u8], input: &[u8]) -> Result<Vec<u8>, CodecError> {
    let mut e = Encoder::new(enc)?;
    if enc == Encoding::Deflate && original.len() >= 2 && !is_zlib_header(original[0], original[1])
    {
        e.raw_deflate();
    }
    encode_with(e, input)
}

fn encode_with(mut e: Encoder, input: &[u8]) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::new();
    e.push(input, &mut out)?;
    e.finish(&mut out)?;
    Ok(out)
}

/// A brotli body (Python's `brotli.compress`, quality 11) whose bytes, read whole, pass the
/// UTF-16 test by accident (two ASCII units in big-endian order, no control unit), so
/// [`Encoding::sniff`] takes it for text under a gzip or zstd label, while its first bytes
/// (`1b 81 00`) are none. It holds `[{"xm":"张伟","sfzh":"11010519491231002X","n":135},{"xm":"李娜","sjhm":"13800138000","dz":"北京市朝阳区建国路38号"}]`.
/// (One file, shared with the CLI's and the end-to-end tests.)
#[cfg(test)]
pub(crate) const BR_READ_AS_UTF16: &[u8] =
    include_bytes!("../../tests/support/br_read_as_utf16.br");

#[cfg(test)]
mod tests {

    #[test]
    fn metadata_outside_the_payload_is_seen() {
        use std::io::Write;
        let gz = |name: Option<&str>| {
            let mut b = flate2::GzBuilder::new();
            if let Some(n) = name {
                b = b.filename(n);
            }
            let mut e = b.write(Vec::new(), flate2::Compression::default());
            e.write_all(b"{\"ok\":true}").unwrap();
            e.finish().unwrap()
        };
        let plain = gz(None);
        assert!(!carries_metadata(&[Encoding::Gzip], &plain));
        assert!(!carries_metadata(
            &[Encoding::Gzip],
            &[plain.clone(), plain.clone()].concat()
        ));
        assert!(carries_metadata(
            &[Encoding::Gzip],
            &gz(Some("11010519491231002X.json"))
        ));
        assert!(carries_metadata(
            &[Encoding::Gzip],
            &[plain.clone(), gz(Some("x"))].concat()
        ));
        assert!(carries_metadata(
            &[Encoding::Gzip],
            &[plain.clone(), b"junk".to_vec()].concat()
        ));
        let z = encode_all(Encoding::Zstd, b"{\"ok\":true}").unwrap();
        assert!(!carries_metadata(&[Encoding::Zstd], &z));
        let mut skippable = vec![0x50, 0x2A, 0x4D, 0x18, 18, 0, 0, 0];
        skippable.extend_from_slice(b"11010519491231002X");
        assert!(carries_metadata(
            &[Encoding::Zstd],
            &[skippable, z.clone()].concat()
        ));
        assert!(!carries_metadata(&[Encoding::Identity], b"anything"));
    }

    use super::*;

    /// The window a stream declares, as the encoders write it.
    #[test]
    fn decoder_memory_follows_the_declared_window() {
        use std::io::Write;
        for lgwin in [16, 18, 22, 24] {
            let mut w = brotli::CompressorWriter::new(Vec::new(), 4096, 5, lgwin);
            w.write_all(&[b'a'; 100]).unwrap();
            let mut d = Decoder::new(Encoding::Br, DecodeLimits::default()).unwrap();
            assert_eq!(d.memory(), (1 << 24) + (256 << 10), "before any byte");
            d.push(&w.into_inner(), &mut Vec::new()).unwrap();
            assert_eq!(d.memory(), (1 << lgwin) + (256 << 10), "lgwin {lgwin}");
        }
        // zstd: its cap, whatever the first frame declares (a second frame may declare more).
        let small = zstd::bulk::compress(&[b'a'; 1000], 3).unwrap();
        let mut d = Decoder::new(Encoding::Zstd, DecodeLimits::default()).unwrap();
        d.push(&small, &mut Vec::new()).unwrap();
        assert_eq!(d.memory(), (8 << 20) + (256 << 10));
        let mut d = Decoder::new(Encoding::Gzip, DecodeLimits::default()).unwrap();
        d.push(
            &encode_all(Encoding::Gzip, b"abc").unwrap(),
            &mut Vec::new(),
        )
        .unwrap();
        assert_eq!(d.memory(), 64 << 10);
    }

    #[test]
    fn an_empty_body_decodes_to_nothing_in_every_coding() {
        for e in [
            Encoding::Gzip,
            Encoding::Deflate,
            Encoding::Br,
            Encoding::Zstd,
        ] {
            let mut d = Decoder::new(e, DecodeLimits::default()).unwrap();
            let mut out = Vec::new();
            d.push(b"", &mut out).unwrap();
            d.finish(&mut out).unwrap();
            assert!(out.is_empty(), "{e:?}");
            // One byte is not empty: a truncated stream still fails.
            let mut d = Decoder::new(e, DecodeLimits::default()).unwrap();
            let _ = d.push(b"\x1f", &mut out);
            assert!(d.finish(&mut out).is_err(), "{e:?}");
        }
    }

    const ALL: [Encoding; 5] = [
        Encoding::Identity,
        Encoding::Gzip,
        Encoding::Deflate,
        Encoding::Br,
        Encoding::Zstd,
    ];

    fn sample() -> Vec<u8> {
        let mut v = Vec::new();
        for i in 0..5000u32 {
            v.extend_from_slice(
                format!("{{\"id\":{i},\"xm\":\"张三\",\"sfzh\":\"11010519491231002X\"}},")
                    .as_bytes(),
            );
        }
        v
    }

    #[test]
    fn sniff_sees_the_coding_a_body_really_has() {
        let body = sample();
        for enc in ALL {
            let packed = encode_all(enc, &body).unwrap();
            // A body of the declared coding is never taken for another.
            assert_eq!(Encoding::sniff(enc, &packed), None, "{enc}");
            // Sent as identity, gzip and zstd are seen by their magic (deflate and br have
            // none worth the name).
            let seen = Encoding::sniff(Encoding::Identity, &packed);
            match enc {
                Encoding::Gzip | Encoding::Zstd => assert_eq!(seen, Some(enc), "{enc}"),
                _ => assert_eq!(seen, None, "{enc}"),
            }
        }
        let gz = encode_all(Encoding::Gzip, &body).unwrap();
        let zs = encode_all(Encoding::Zstd, &body).unwrap();
        assert_eq!(Encoding::sniff(Encoding::Zstd, &gz), Some(Encoding::Gzip));
        assert_eq!(
            Encoding::sniff(Encoding::Deflate, &zs),
            Some(Encoding::Zstd)
        );
        // Under br the magics are a claim the caller tries (`sniff_needs_trial`).
        assert_eq!(Encoding::sniff(Encoding::Br, &gz), Some(Encoding::Gzip));
        assert!(Encoding::sniff_needs_trial(Encoding::Br, Encoding::Gzip));
        // Brotli declared gzip or zstd has no magic to show: it is a guess to try.
        let br = encode_all(Encoding::Br, &body).unwrap();
        for declared in [Encoding::Gzip, Encoding::Zstd] {
            assert_eq!(
                Encoding::sniff(declared, &br),
                Some(Encoding::Br),
                "{declared}"
            );
            assert!(Encoding::sniff_needs_trial(declared, Encoding::Br));
        }
        assert!(decode_all(Encoding::Br, &br, &DecodeLimits::default()).is_ok());
        // A zlib stream declared gzip or zstd is deflate.
        let zl = encode_all(Encoding::Deflate, &body).unwrap();
        assert_eq!(
            Encoding::sniff(Encoding::Gzip, &zl),
            Some(Encoding::Deflate)
        );
        assert_eq!(
            Encoding::sniff(Encoding::Zstd, &zl),
            Some(Encoding::Deflate)
        );
        assert_eq!(Encoding::sniff(Encoding::Identity, &zl), None);
        // Text declared gzip or zstd is identity; binary bytes may be brotli, which the
        // caller tries, and junk that fails the trial stays with its declaration (and fails
        // to decode: closed).
        let gbk = encoding_rs::GBK
            .encode("姓名：张三，住址：北京市朝阳区")
            .0
            .into_owned();
        assert_eq!(
            Encoding::sniff(Encoding::Gzip, &gbk),
            Some(Encoding::Identity)
        );
        for text in ["{\"a\":1}", "姓名：张三", "sfzh=1", "<a/>", "\r\n{}"] {
            let head = &text.as_bytes()[..text.len().min(Encoding::SNIFF_BYTES)];
            assert_eq!(
                Encoding::sniff(Encoding::Gzip, head),
                Some(Encoding::Identity),
                "{text}"
            );
            assert_eq!(Encoding::sniff(Encoding::Identity, head), None, "{text}");
            // Text labelled deflate is text, unless it decodes as deflate (`label_holds`).
            assert_eq!(
                Encoding::sniff(Encoding::Deflate, head),
                Some(Encoding::Identity),
                "{text}"
            );
            assert!(!Encoding::Deflate.label_holds(head, true, &DecodeLimits::default()));
        }
        let junk = [0x00, 0xff, 0x13, 0x37, 0x00, 0xfe, 0x42, 0x99];
        assert_eq!(Encoding::sniff(Encoding::Gzip, &junk), Some(Encoding::Br));
        assert!(decode_all(Encoding::Br, &junk, &DecodeLimits::default()).is_err());
        assert_eq!(Encoding::sniff(Encoding::Gzip, &[]), None);
        // A zstd skippable frame is zstd.
        assert_eq!(
            Encoding::sniff(Encoding::Identity, &[0x5a, 0x2a, 0x4d, 0x18, 0, 0]),
            Some(Encoding::Zstd)
        );
    }

    #[test]
    fn round_trip_every_encoding_and_chunking() {
        let body = sample();
        for enc in ALL {
            let packed = encode_all(enc, &body).unwrap();
            assert_eq!(
                decode_all(enc, &packed, &DecodeLimits::default()).unwrap(),
                body,
                "{enc}"
            );
            // One byte at a time exercises the deflate header sniffing and partial frames.
            let mut d = Decoder::new(enc, DecodeLimits::default()).unwrap();
            let mut out = Vec::new();
            for b in packed.chunks(1).take(4096) {
                d.push(b, &mut out).unwrap();
            }
            for c in packed[packed.len().min(4096)..].chunks(777) {
                d.push(c, &mut out).unwrap();
            }
            d.finish(&mut out).unwrap();
            assert_eq!(out, body, "{enc} bytewise");
        }
    }

    #[test]
    fn streaming_encoder_flushes_are_decodable_midway() {
        for enc in [
            Encoding::Gzip,
            Encoding::Deflate,
            Encoding::Br,
            Encoding::Zstd,
        ] {
            let mut e = Encoder::new(enc).unwrap();
            let mut packed = Vec::new();
            e.push(b"{\"a\":\"first part\"", &mut packed).unwrap();
            e.flush(&mut packed).unwrap();
            let mut d = Decoder::new(enc, DecodeLimits::default()).unwrap();
            let mut out = Vec::new();
            d.push(&packed, &mut out).unwrap();
            assert_eq!(out, b"{\"a\":\"first part\"", "{enc}");
        }
    }

    #[test]
    fn raw_deflate_is_accepted() {
        let body = sample();
        let raw = raw_deflate(&body);
        assert_eq!(
            decode_all(Encoding::Deflate, &raw, &DecodeLimits::default()).unwrap(),
            body
        );
    }

    /// Deflate (zlib or raw) and brotli sent as identity are found by decoding; random
    /// bytes, bytes behind a zlib header, binary files and text are not taken for them.
    #[test]
    fn hidden_codings_are_found_and_nothing_else_is() {
        let body = br#"[{"xm":"x","sfzh":"11010519491231002X","n":1},{"xm":"y","n":2}]"#.repeat(8);
        let lim = DecodeLimits::default();
        let raw = raw_deflate(&body);
        for (packed, enc) in [
            (
                encode_all(Encoding::Deflate, &body).unwrap(),
                Encoding::Deflate,
            ),
            (raw, Encoding::Deflate),
            (encode_all(Encoding::Br, &body).unwrap(), Encoding::Br),
        ] {
            assert!(Encoding::maybe_hidden(Encoding::Identity, &packed), "{enc}");
            assert!(!Encoding::sniff_settled(Encoding::Identity, &packed[..1]));
            assert_eq!(hidden_coding(&packed, true, &lim), Some(enc));
            // Not under a gzip label: bytes that are no text are tried as brotli by
            // `sniff` itself there.
            assert!(!Encoding::maybe_hidden(Encoding::Gzip, &packed));
        }
        // A seeded generator (xorshift) for bytes that are no stream of anything.
        let mut x = 0x9E37_79B9_7F4A_7C15_u64;
        let mut noise = |n: usize| -> Vec<u8> {
            (0..n)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x >> 24) as u8
                })
                .collect()
        };
        for i in 0..300 {
            let n = [40, 300, 3000][i % 3];
            let mut b = match i % 3 {
                0 => vec![0x78, 0x01],
                1 => vec![0x78, 0x9c],
                _ => Vec::new(),
            };
            b.extend(noise(n));
            assert_eq!(hidden_coding(&b, true, &lim), None, "{b:02x?}");
        }
        let text = br#"{"a":1}"#;
        assert!(!Encoding::maybe_hidden(Encoding::Identity, text));
        // Text under a deflate or br label is identity; a real stream keeps its label.
        for enc in [Encoding::Deflate, Encoding::Br] {
            assert_eq!(Encoding::sniff(enc, text), Some(Encoding::Identity));
            assert!(!enc.label_holds(text, true, &lim));
            let packed = encode_all(enc, &body).unwrap();
            assert_eq!(Encoding::sniff(enc, &packed), None, "{enc}");
            assert!(enc.label_holds(&packed, true, &lim));
        }
        assert!(Encoding::sniff_settled(Encoding::Identity, b"{\""));
        assert!(Encoding::sniff_settled(Encoding::Identity, b"[1"));
        assert!(Encoding::sniff_settled(Encoding::Identity, b"<?xml"));
        assert!(Encoding::sniff_settled(Encoding::Identity, b"data: x"));
        // One byte settles nothing: raw DEFLATE opens with `{` as often as JSON does.
        assert!(!Encoding::sniff_settled(Encoding::Identity, b"{"));
        // The first 32 bytes of what zlib (Python's, level 6, raw) makes of
        // `"数据共享交换平台查询结果\nid：210102198001017642。\n" * 2`.
        let raw: &[u8] = &[
            0x7b, 0x36, 0x75, 0xc3, 0xb3, 0xde, 0x75, 0x4f, 0x5b, 0x37, 0x3e, 0xd9, 0xb5, 0xfa,
            0xc9, 0xae, 0x25, 0xcf, 0x7a, 0x17, 0x3d, 0xdd, 0xb9, 0xf9, 0x69, 0xff, 0x86, 0x67,
            0xf3, 0x97, 0xbe, 0x58,
        ];
        for n in 1..raw.len() {
            assert!(
                !Encoding::sniff_settled(Encoding::Identity, &raw[..n]),
                "{n}"
            );
        }
    }

    /// A short body of digits compresses to mostly literals whose first 32 bytes read as
    /// GB18030 text: its zlib header has it tried all the same. Text that opens with a pair
    /// that is a valid zlib header is tried and stays identity.
    #[test]
    fn short_zlib_body_that_reads_as_gb_text_is_found() {
        let body = br#"{"sfzh": "11010519491231002X", "sjhm": "13800138000"}"#;
        let lim = DecodeLimits::default();
        // What zlib (Python's `zlib.compress`, level 6) makes of it; miniz stores a body this
        // short, so the bytes are written out.
        let packed: &[u8] = &[
            0x78, 0x9c, 0xab, 0x56, 0x2a, 0x4e, 0xab, 0xca, 0x50, 0xb2, 0x52, 0x50, 0x32, 0x34,
            0x34, 0x30, 0x34, 0x30, 0x35, 0xb4, 0x34, 0xb1, 0x34, 0x34, 0x32, 0x36, 0x34, 0x30,
            0x30, 0x8a, 0x50, 0xd2, 0x51, 0x50, 0x2a, 0xce, 0xca, 0xc8, 0x05, 0xcb, 0x1a, 0x5b,
            0x18, 0x18, 0x80, 0x09, 0x03, 0xa5, 0x5a, 0x00, 0x5a, 0x74, 0x0c, 0x4e,
        ];
        assert_eq!(decode_all(Encoding::Deflate, packed, &lim).unwrap(), body);
        assert!(looks_like_text(&packed[..Encoding::SNIFF_BYTES]));
        assert!(Encoding::maybe_hidden(Encoding::Identity, packed));
        assert_eq!(hidden_coding(packed, true, &lim), Some(Encoding::Deflate));
        // The same stream without its zlib header and trailer: raw deflate, no header to
        // show it, and still GB text to look at.
        let raw = &packed[2..packed.len() - 4];
        assert!(looks_like_text(&raw[..Encoding::SNIFF_BYTES]));
        assert!(Encoding::maybe_hidden(Encoding::Identity, raw));
        assert_eq!(hidden_coding(raw, true, &lim), Some(Encoding::Deflate));
        // GB text is tried and stays identity; a GBK document is not held at all.
        let (gb, _, _) =
            encoding_rs::GB18030.encode("申请人王小明的身份证号码为十八位数字，电话另行通知。");
        assert!(Encoding::maybe_hidden(Encoding::Identity, &gb));
        assert_eq!(hidden_coding(&gb, true, &lim), None);
        let (doc, _, _) = encoding_rs::GB18030.encode(r#"{"xm":"王小明","dz":"北京市朝阳区"}"#);
        assert!(!Encoding::maybe_hidden(Encoding::Identity, &doc));
        for text in [
            &b"x^2 + y^2 = r^2, the circle's equation"[..],
            b"(4 items) ok",
        ] {
            assert!(zlib_header(text));
            assert_eq!(hidden_coding(text, true, &lim), None);
        }
    }

    /// A body declared gzip or zstd that lacks their magic is judged as an identity body
    /// is: brotli whose bytes read whole as UTF-16 text by accident (probe 61: one brotli body
    /// in twenty) was scanned as identity under either label, every value unread, while
    /// the same bytes with no label were found to be brotli. Text stays text.
    #[test]
    fn a_gzip_or_zstd_label_on_brotli_that_reads_as_text_is_seen_through() {
        let lim = DecodeLimits::default();
        let br = BR_READ_AS_UTF16;
        assert!(decode_all(Encoding::Br, br, &lim).is_ok());
        for declared in [Encoding::Gzip, Encoding::Zstd] {
            // What `sniff` alone says (the whole body's text test): identity.
            assert_eq!(Encoding::sniff(declared, br), Some(Encoding::Identity));
            assert!(Encoding::maybe_hidden(declared, br), "{declared}");
            assert_eq!(
                Encoding::sniff_coding(declared, br, true, &lim),
                Some((Encoding::Br, false)),
                "{declared}"
            );
            // Text under the label is identity, and is not held to be tried.
            let text = br#"{"sfzh":"11010519491231002X"}"#;
            assert!(!Encoding::maybe_hidden(declared, text));
            assert_eq!(
                Encoding::sniff_coding(declared, text, true, &lim),
                Some((Encoding::Identity, false))
            );
            let (gb, _, _) =
                encoding_rs::GB18030.encode("申请人王小明的身份证号码为十八位数字，电话另行通知。");
            assert_eq!(
                Encoding::sniff_coding(declared, &gb, true, &lim),
                Some((Encoding::Identity, false))
            );
        }
        assert_eq!(
            Encoding::sniff_coding(Encoding::Identity, br, true, &lim),
            Some((Encoding::Br, false))
        );
    }

    #[test]
    fn multi_member_gzip() {
        let mut a = encode_all(Encoding::Gzip, b"hello ").unwrap();
        a.extend(encode_all(Encoding::Gzip, b"world").unwrap());
        assert_eq!(
            decode_all(Encoding::Gzip, &a, &DecodeLimits::default()).unwrap(),
            b"hello world"
        );
    }

    #[test]
    fn bombs_are_typed_errors() {
        let zeros = vec![0u8; 200 << 20];
        for enc in [
            Encoding::Gzip,
            Encoding::Deflate,
            Encoding::Br,
            Encoding::Zstd,
        ] {
            let bomb = encode_all(enc, &zeros).unwrap();
            let err = decode_all(enc, &bomb, &DecodeLimits::default()).unwrap_err();
            assert!(err.is_bomb(), "{enc}: {err}");
            let err = decode_all(
                enc,
                &bomb,
                &DecodeLimits {
                    max_output: 10 << 20,
                    max_ratio: 1_000_000,
                },
            )
            .unwrap_err();
            assert!(matches!(err, CodecError::TooLarge { .. }), "{enc}: {err}");
        }
    }

    #[test]
    fn small_repetitive_bodies_are_not_bombs() {
        let body = vec![b'a'; 500 * 1024];
        for enc in ALL {
            let packed = encode_all(enc, &body).unwrap();
            assert_eq!(
                decode_all(enc, &packed, &DecodeLimits::default())
                    .unwrap()
                    .len(),
                body.len()
            );
        }
    }

    #[test]
    fn truncated_and_corrupt_streams_fail() {
        let body = sample();
        for enc in [
            Encoding::Gzip,
            Encoding::Deflate,
            Encoding::Br,
            Encoding::Zstd,
        ] {
            let packed = encode_all(enc, &body).unwrap();
            let cut = &packed[..packed.len() / 2];
            assert!(
                decode_all(enc, cut, &DecodeLimits::default()).is_err(),
                "{enc} truncated"
            );
            let garbage = b"this is not compressed at all, not even a little bit";
            assert!(
                decode_all(enc, garbage, &DecodeLimits::default()).is_err(),
                "{enc} garbage"
            );
        }
    }

    #[test]
    fn parsing() {
        assert_eq!("GZIP".parse::<Encoding>().unwrap(), Encoding::Gzip);
        assert_eq!("x-gzip".parse::<Encoding>().unwrap(), Encoding::Gzip);
        assert_eq!(" br ".parse::<Encoding>().unwrap(), Encoding::Br);
        assert!(matches!(
            "compress".parse::<Encoding>(),
            Err(CodecError::Unsupported(_))
        ));
        assert_eq!(
            Encoding::parse_list("gzip, identity, br").unwrap(),
            vec![Encoding::Gzip, Encoding::Br]
        );
        for enc in ALL {
            assert_eq!(enc.as_str().parse::<Encoding>().unwrap(), enc);
        }
    }
}
