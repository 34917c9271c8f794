//! ZIP containers: spreadsheet and document exports (`.xlsx`, `.docx`, `.pptx`, OpenDocument)
//! and plain `.zip` downloads. An exchange API that offers "导出 Excel" sends its rows as the
//! XML members of a ZIP file, where no scan of the body's bytes can see them (the members are
//! deflated). Here each member that holds text is unpacked and scanned in its own format (XML
//! for the office formats, CSV, JSON or text for what a `.zip` export carries); when
//! redaction changed a member, the archive is written again with that member replaced and
//! every other member copied byte for byte (same compression, names, times, comment), so
//! Excel and Word still open it. Nothing changed: the caller keeps the original bytes.
//!
//! A ZIP file keeps its directory at the end, so a member cannot be read before the whole
//! archive has arrived: the caller holds the body (within its own cap) and calls [`scan`].
//! Reading is the `zip` crate's; what is ours is the choice of members, the caps (members,
//! bytes unpacked, ratio: a ZIP bomb is refused like a compressed body's), and the report of
//! members that could not be read (encrypted, an unsupported method), which a caller that
//! must not let unseen data pass treats as a failure.

use std::io::{Cursor, Read, Write};
use std::sync::Arc;

use crate::stream::{Finding, ScanOptions};
use crate::{Engine, Format};

mod docx;
mod pdf;

pub use pdf::is_pdf;
mod xlsx;

/// The local-file-header signature every non-empty ZIP archive opens with.
pub const ZIP_MAGIC: &[u8; 4] = b"PK\x03\x04";

/// Whether a body opens like a ZIP archive (with at least one member).
pub fn is_zip(prefix: &[u8]) -> bool {
    prefix.starts_with(ZIP_MAGIC)
}

/// Whether a Content-Type names a ZIP container: a zip, an OOXML, OpenDocument or OFD file, or
/// `application/vnd.ms-excel`, which PHP and Java exporters put on xlsx files too.
pub fn declared(content_type: &str) -> bool {
    let m = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    matches!(
        m.as_str(),
        "application/zip"
            | "application/x-zip-compressed"
            | "application/x-zip"
            | "application/vnd.ms-excel"
            | "application/ofd"
            | "application/x-ofd"
            | "application/pdf"
            | "application/x-pdf"
    ) || m.starts_with("application/vnd.openxmlformats-officedocument.")
        || m.starts_with("application/vnd.oasis.opendocument.")
        || m.starts_with("application/vnd.ms-excel.sheet.")
}

/// Whether a ZIP's end-of-central-directory record is near the end of `body`: a ZIP with
/// bytes in front of it (a stray line break, a stub), which readers open all the same.
pub fn ends_like_zip(body: &[u8]) -> bool {
    end_record(body).is_some()
}

/// Whether a whole body is to be read as an archive: it opens like one, or its Content-Type
/// names one ([`declared`]) and it ends like one (a stub in front).
pub fn is_archive(content_type: Option<&str>, body: &[u8]) -> bool {
    is_zip(body)
        || body.starts_with(PDF_MAGIC)
        || (content_type.is_some_and(declared) && (ends_like_zip(body) || is_pdf(body)))
}

/// The header a PDF file opens with.
pub const PDF_MAGIC: &[u8; 5] = b"%PDF-";

/// Where the end-of-central-directory record starts: the last one within the record's
/// largest size (22 bytes and a 64 KiB comment) of the end.
fn end_record(body: &[u8]) -> Option<usize> {
    let from = body.len().saturating_sub(22 + usize::from(u16::MAX));
    memchr::memmem::rfind(&body[from..], b"PK\x05\x06").map(|p| from + p)
}

/// Unpacked bytes an archive may reach before the ratio cap applies: small office files
/// (a few KiB of ZIP holding tens of KiB of XML) compress far better than 100:1 on their
/// repetitive styles and must not read as bombs.
const RATIO_GRACE: u64 = 4 << 20;

/// Caps on one archive.
#[derive(Debug, Clone, Copy)]
pub struct ArchiveLimits {
    /// Most members (directory entries included).
    pub max_members: usize,
    /// Most bytes unpacked from all members together (nested archives included).
    pub max_unpacked: u64,
    /// Most unpacked bytes per archive byte, past [`RATIO_GRACE`].
    pub max_ratio: u64,
    /// How deep archives inside archives are opened (1: members of the body's archive only).
    pub max_depth: u8,
}

impl Default for ArchiveLimits {
    /// 10,000 members, 256 MiB, 100:1, two levels: above any office export an API serves
    /// whole, below what a bomb needs.
    fn default() -> Self {
        ArchiveLimits {
            max_members: 10_000,
            max_unpacked: 256 << 20,
            max_ratio: 100,
            max_depth: 2,
        }
    }
}

/// Why an archive as a whole could not be inspected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// The directory or a header cannot be read.
    #[error("corrupt ZIP archive: {0}")]
    Corrupt(String),
    /// More members than [`ArchiveLimits::max_members`].
    #[error("ZIP archive with more than {0} members")]
    TooManyMembers(usize),
    /// The members unpack past [`ArchiveLimits::max_unpacked`] or the ratio cap.
    #[error("ZIP archive unpacks past {0} bytes (archive bomb)")]
    Bomb(u64),
    /// The archive with redacted members could not be written.
    #[error("ZIP archive could not be rewritten: {0}")]
    Write(String),
}

impl ArchiveError {
    /// Whether this is a decompression bomb (which callers answer like one in a compressed body).
    pub fn is_bomb(&self) -> bool {
        matches!(self, ArchiveError::Bomb(_))
    }
}

/// A member that was not inspected, and why (never its content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unread {
    /// The member's path in the archive (nested archives as `outer.zip!/inner.xml`).
    pub member: String,
    /// Why: `encrypted`, `unsupported compression method …`, `corrupt data`, `nested too deep`.
    pub reason: String,
}

/// A finding inside a member.
#[derive(Debug, Clone)]
pub struct MemberFinding {
    /// The member's path in the archive (nested archives as `outer.zip!/inner.xml`).
    pub member: Arc<str>,
    /// The finding; its offsets are bytes of the member's unpacked content.
    pub finding: Finding,
}

/// What [`scan`] found.
#[derive(Debug, Default)]
pub struct ArchiveScan {
    /// The archive written again with its redacted members; `None` when no member changed
    /// (the original bytes stand).
    pub output: Option<Vec<u8>>,
    /// Findings in member order.
    pub findings: Vec<MemberFinding>,
    /// Members holding data that could not be read.
    pub unread: Vec<Unread>,
    /// Members scanned.
    pub scanned: usize,
}

/// Scans (and with `opts.redact`, redacts) the members of the ZIP archive `body`.
/// `opts.format` and `opts.charset` are ignored: each member gets its own.
///
/// # Errors
/// A corrupt directory, too many members, a bomb, or a failure to write the new archive.
/// A member that cannot be read is no error: it is listed in [`ArchiveScan::unread`].
pub fn scan(
    engine: &Arc<Engine>,
    body: &[u8],
    opts: &ScanOptions,
    limits: &ArchiveLimits,
) -> Result<ArchiveScan, ArchiveError> {
    let budget = limits
        .max_unpacked
        .min(RATIO_GRACE.max((body.len() as u64).saturating_mul(limits.max_ratio)));
    let mut walk = Walk {
        engine,
        opts,
        limits,
        left: budget,
        budget,
        out: ArchiveScan::default(),
    };
    let output = if !is_zip(body) && is_pdf(body) {
        walk.pdf(body, "")?
    } else {
        walk.archive(body, "", 1)?
    };
    walk.out.output = output;
    Ok(walk.out)
}

struct Walk<'a> {
    engine: &'a Arc<Engine>,
    opts: &'a ScanOptions,
    limits: &'a ArchiveLimits,
    /// Unpacked bytes still allowed, and the cap they count against.
    left: u64,
    budget: u64,
    out: ArchiveScan,
}

/// How a member is read.
enum Member {
    Scan(Format),
    Archive,
    /// A gzip file (`.gz`): unpacked, then read as what it holds.
    Gzip,
    /// A PDF document.
    Pdf,
    /// Media, fonts, an office package's machinery: nothing to read.
    Skip,
    /// Data this reader cannot inspect (a legacy `.xls`, a PDF, an embedded object).
    Unread(&'static str),
}

impl Walk<'_> {
    /// Scans one archive; returns it rewritten when a member changed.
    fn archive(
        &mut self,
        body: &[u8],
        path: &str,
        depth: u8,
    ) -> Result<Option<Vec<u8>>, ArchiveError> {
        let mut zip = zip::ZipArchive::new(Cursor::new(body))
            .map_err(|e| ArchiveError::Corrupt(e.to_string()))?;
        if zip.len() > self.limits.max_members {
            return Err(ArchiveError::TooManyMembers(self.limits.max_members));
        }
        // Two members of one name: a reader keeps one of them, an unzip tool shows both; the
        // one not read here would pass unseen.
        if directory_entries(body).is_some_and(|n| n != zip.len()) {
            return Err(ArchiveError::Corrupt(
                "the central directory holds entries this reader would not list (two \
                 members of one name, or an entry count lowered to hide one)"
                    .into(),
            ));
        }
        // An office package (OOXML): its machinery parts are known and skipped.
        let office = zip
            .file_names()
            .any(|n| matches!(n.as_deref(), Ok("[Content_Types].xml")));
        // An OpenDocument package (odt, ods, odp) has a manifest naming its parts; an OFD
        // document, its entry file.
        let has = |name: &str| {
            zip.file_names()
                .any(|n| n.as_deref().is_ok_and(|n| n == name))
        };
        let package = if office {
            Some(docx::Package::Ooxml)
        } else if has("META-INF/manifest.xml") {
            Some(docx::Package::Odf)
        } else if has("OFD.xml") {
            Some(docx::Package::Ofd)
        } else {
            None
        };
        // The archive's comment is shown by unzip tools: scanned as text, and rewritten.
        let comment = zip.comment().to_vec();
        let mut new_comment = None;
        if !comment.is_empty() {
            let label = if path.is_empty() {
                "(archive comment)".to_string()
            } else {
                format!("{path}!/(archive comment)")
            };
            new_comment = self.member(&comment, &label, Format::Text);
        }
        // Replacement content per member index, when redaction changed it.
        let mut changed: Vec<(usize, Vec<u8>)> = Vec::new();
        // An xlsx workbook's shared strings and sheets are read together, as tables
        // (`xlsx`), once every member is unpacked.
        let workbook = zip
            .file_names()
            .any(|n| matches!(n.as_deref(), Ok("xl/workbook.xml")));
        let mut book: Vec<(usize, String, Vec<u8>)> = Vec::new();
        for i in 0..zip.len() {
            let (name, encrypted, method_ok, is_dir, size, commented) = {
                let f = zip
                    .by_index_raw(i)
                    .map_err(|e| ArchiveError::Corrupt(e.to_string()))?;
                let name = String::from_utf8_lossy(f.name_raw()).into_owned();
                (
                    name,
                    f.encrypted(),
                    matches!(
                        f.compression(),
                        zip::CompressionMethod::Stored | zip::CompressionMethod::Deflated
                    ),
                    f.is_dir(),
                    f.size(),
                    f.comment().to_string(),
                )
            };
            // A member's comment is shown by unzip tools too; it cannot be rewritten here
            // (the member is copied as it came), so one that holds a finding is unread.
            if !commented.is_empty() {
                let before = self.out.findings.len();
                let label = format!("{name} (comment)");
                let _ = self.member(commented.as_bytes(), &label, Format::Text);
                if self.out.findings.len() > before {
                    self.out.unread.push(Unread {
                        member: label,
                        reason: "a member comment holds sensitive data".into(),
                    });
                }
            }
            if is_dir && size == 0 {
                continue;
            }
            let member = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}!/{name}")
            };
            let unread = |reason: &str| Unread {
                member: member.clone(),
                reason: reason.to_string(),
            };
            if encrypted {
                self.out.unread.push(unread("encrypted"));
                continue;
            }
            if !method_ok {
                let method = zip
                    .by_index_raw(i)
                    .map(|f| f.compression().to_string())
                    .unwrap_or_default();
                self.out
                    .unread
                    .push(unread(&format!("unsupported compression method {method}")));
                continue;
            }
            // The declared size is the sender's claim: checked before reading, and the read
            // itself is capped, since a forged header can understate it.
            if size > self.left {
                return Err(ArchiveError::Bomb(self.budget));
            }
            let data = {
                let f = match zip.by_index(i) {
                    Ok(f) => f,
                    Err(_) => {
                        self.out.unread.push(unread("corrupt data"));
                        continue;
                    }
                };
                // Sized by the claim only up to 1 MiB: the claim may be a lie.
                let mut data = Vec::with_capacity(size.min(self.left).min(1 << 20) as usize);
                match f.take(self.left + 1).read_to_end(&mut data) {
                    Ok(_) => {}
                    Err(_) => {
                        self.out.unread.push(unread("corrupt data"));
                        continue;
                    }
                }
                if data.len() as u64 > self.left {
                    return Err(ArchiveError::Bomb(self.budget));
                }
                self.left -= data.len() as u64;
                data
            };
            if workbook && is_workbook_table(&name) {
                book.push((i, member, data));
                continue;
            }
            let new = match member_kind(&name, &data, office) {
                Member::Skip => None,
                Member::Unread(why) => {
                    self.out.unread.push(unread(why));
                    None
                }
                Member::Gzip => self.gzip_member(&data, &member, &name),
                Member::Pdf => self.pdf(&data, &member)?,
                Member::Archive if depth >= self.limits.max_depth => {
                    self.out.unread.push(unread("archive nested too deep"));
                    None
                }
                Member::Archive => self.archive(&data, &member, depth + 1)?,
                Member::Scan(format) => {
                    self.out.scanned += 1;
                    // A document's text parts are read as paragraphs and tables.
                    match package
                        .filter(|p| format == Format::Xml && docx::is_paragraph_part(&name, *p))
                    {
                        Some(package) => self.paragraphs(&data, &name, &member, package),
                        None => self.member(&data, &member, format),
                    }
                }
            };
            if let Some(new) = new {
                changed.push((i, new));
            }
        }
        if !book.is_empty() {
            changed.extend(self.workbook(&book));
            changed.sort_by_key(|(i, _)| *i);
        }
        if changed.is_empty() && new_comment.is_none() {
            return Ok(None);
        }
        rewrite(&mut zip, changed, new_comment).map(Some)
    }

    /// A PDF document (the body, or a member named `path`): its pages, information and form
    /// fields; returns it rewritten when redaction changed it.
    fn pdf(&mut self, data: &[u8], path: &str) -> Result<Option<Vec<u8>>, ArchiveError> {
        let r = pdf::scan(
            self.engine,
            self.opts,
            data,
            path,
            &mut self.left,
            self.budget,
        )?;
        self.out.scanned += r.scanned;
        self.out.findings.extend(r.findings);
        self.out.unread.extend(r.unread);
        Ok(r.output)
    }

    /// A gzip-compressed member (`rows.csv.gz`): unpacked within the budget, scanned as what
    /// its name without `.gz` says, and compressed again when redaction changed it.
    fn gzip_member(&mut self, data: &[u8], member: &str, name: &str) -> Option<Vec<u8>> {
        let mut inner = Vec::new();
        let read = flate2::read::MultiGzDecoder::new(data)
            .take(self.left + 1)
            .read_to_end(&mut inner);
        if read.is_err() || inner.len() as u64 > self.left {
            self.out.unread.push(Unread {
                member: member.to_string(),
                reason: if read.is_err() {
                    "corrupt gzip data".into()
                } else {
                    "gzip member unpacks past the archive's budget".into()
                },
            });
            return None;
        }
        self.left -= inner.len() as u64;
        let inner_name = name.strip_suffix(".gz").unwrap_or(name);
        let format = match member_kind(inner_name, &inner, false) {
            Member::Scan(f) => f,
            _ => {
                self.out.unread.push(Unread {
                    member: member.to_string(),
                    reason: "binary data inside a gzip member".into(),
                });
                return None;
            }
        };
        self.out.scanned += 1;
        let new = self.member(&inner, member, format)?;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&new).ok()?;
        e.finish().ok()
    }

    /// Scans a workbook's shared strings and sheets as tables; a workbook whose parts cannot be
    /// read that way has them scanned as plain XML members. Returns the members changed.
    fn workbook(&mut self, book: &[(usize, String, Vec<u8>)]) -> Vec<(usize, Vec<u8>)> {
        let mut parts = xlsx::Parts {
            sst: None,
            sheets: Vec::new(),
        };
        for (i, member, data) in book {
            if member.ends_with("sharedStrings.xml") {
                parts.sst = Some((*i, member.as_str(), &data[..]));
            } else {
                parts.sheets.push((*i, member.as_str(), &data[..]));
            }
        }
        if let Some(r) = xlsx::scan(self.engine, self.opts, &parts) {
            self.out.scanned += book.len();
            self.out.findings.extend(
                r.findings
                    .into_iter()
                    .map(|(member, finding)| MemberFinding { member, finding }),
            );
            return r.changed;
        }
        self.out.scanned += book.len();
        book.iter()
            .filter_map(|(i, member, data)| {
                self.member(data, member, Format::Xml).map(|new| (*i, new))
            })
            .collect()
    }

    /// Scans a Word part or a slide as paragraphs and tables ([`docx`]); one that cannot be
    /// read that way is scanned as plain XML.
    fn paragraphs(
        &mut self,
        data: &[u8],
        name: &str,
        member: &str,
        package: docx::Package,
    ) -> Option<Vec<u8>> {
        let Some(r) = docx::scan(self.engine, self.opts, name, data, package) else {
            return self.member(data, member, Format::Xml);
        };
        self.record(member, r.findings);
        r.output.filter(|_| self.opts.redact)
    }

    /// Adds a member's findings to the archive's.
    fn record(&mut self, member: &str, findings: Vec<crate::stream::Finding>) {
        if findings.is_empty() {
            return;
        }
        let member: Arc<str> = Arc::from(member);
        self.out
            .findings
            .extend(findings.into_iter().map(|finding| MemberFinding {
                member: member.clone(),
                finding,
            }));
    }

    /// Scans one member's content; returns the redacted content when it changed.
    fn member(&mut self, data: &[u8], member: &str, format: Format) -> Option<Vec<u8>> {
        let r = self.engine.scan_bytes(data, as_format(self.opts, format));
        self.record(member, r.findings);
        (self.opts.redact && r.output != data).then_some(r.output)
    }
}

/// The scan's options for a member (or a view of members) read as `format`: its charset is
/// found from its own bytes, not taken from the archive's.
fn as_format(opts: &ScanOptions, format: Format) -> ScanOptions {
    ScanOptions {
        format,
        charset: crate::Charset::default(),
        ..opts.clone()
    }
}

/// Writes `zip` again with the members in `changed` (index order) replaced, each compressed
/// as it was; every other member is copied as its raw bytes.
fn rewrite(
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    changed: Vec<(usize, Vec<u8>)>,
    comment: Option<Vec<u8>>,
) -> Result<Vec<u8>, ArchiveError> {
    let werr = |e: zip::result::ZipError| ArchiveError::Write(e.to_string());
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let mut next = changed.into_iter().peekable();
    for i in 0..zip.len() {
        let f = zip.by_index_raw(i).map_err(werr)?;
        let Some((_, data)) = next.next_if(|(j, _)| *j == i) else {
            w.raw_copy_file(f).map_err(werr)?;
            continue;
        };
        let mut o = zip::write::FullFileOptions::default()
            .compression_method(f.compression())
            .large_file(data.len() as u64 >= u64::from(u32::MAX));
        if let Some(t) = f.last_modified() {
            o = o.last_modified_time(t);
        }
        if let Some(mode) = f.unix_mode() {
            o = o.unix_permissions(mode);
        }
        // Its comment was scanned (a member whose comment holds data is unread).
        if !f.comment().is_empty() {
            o = o.with_file_comment(f.comment());
        }
        let name = f.name_raw().to_vec();
        drop(f);
        w.start_file_with_options(o.name(&name)).map_err(werr)?;
        w.write_all(&data)
            .map_err(|e| ArchiveError::Write(e.to_string()))?;
    }
    let comment = comment.unwrap_or_else(|| zip.comment().to_vec());
    if !comment.is_empty() {
        w.set_raw_comment(comment.into_boxed_slice())
            .map_err(werr)?;
    }
    w.finish().map(Cursor::into_inner).map_err(werr)
}

/// Whether a workbook member is one [`xlsx`] reads: the shared strings or a worksheet.
fn is_workbook_table(name: &str) -> bool {
    name == "xl/sharedStrings.xml"
        || (name.starts_with("xl/worksheets/")
            && name.ends_with(".xml")
            && name.matches('/').count() == 2)
}

/// How a member is read: by its extension, else by its first bytes. `office`: the archive is
/// an OOXML package, whose machinery parts are skipped.
fn member_kind(name: &str, data: &[u8], office: bool) -> Member {
    if is_zip(data) {
        return Member::Archive;
    }
    if data.starts_with(&[0x1f, 0x8b]) {
        return Member::Gzip;
    }
    if data.starts_with(PDF_MAGIC) {
        return Member::Pdf;
    }
    if office && office_furniture(name) {
        return Member::Skip;
    }
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        // Office Open XML and OpenDocument parts, and the markup a .zip export may carry.
        "xml" | "rels" | "vml" | "xhtml" | "html" | "htm" | "svg" | "xsd" | "wsdl" | "xbrl"
        | "plist" | "kml" | "gpx" => Member::Scan(Format::Xml),
        "json" | "ndjson" | "jsonl" | "geojson" => Member::Scan(Format::Json),
        "csv" | "tsv" => Member::Scan(Format::Csv),
        // Media and fonts: no text to read.
        "png" | "jpg" | "jpeg" | "gif" | "bmp" | "tif" | "tiff" | "emf" | "wmf" | "webp"
        | "ico" | "mp3" | "mp4" | "wav" | "avi" | "mov" | "ttf" | "otf" | "woff" | "woff2"
        | "odttf" | "fntdata" => Member::Skip,
        _ if looks_like_text(data) => Member::Scan(Format::resolve(None, data)),
        _ => Member::Unread("binary data this reader cannot inspect"),
    }
}

/// Parts of an OOXML package that hold only its machinery: themes, styles, fonts, settings,
/// content types, calculation chains, printer settings, macros. Their attributes read like
/// fields (`<a:theme name="Office Theme">` would be a person under a `name` key) and hold no
/// user data; the document's text, its sheets, its relationships (hyperlink targets) and its
/// properties (`docProps/core.xml`, the author) are read.
fn office_furniture(name: &str) -> bool {
    let file = name.rsplit('/').next().unwrap_or(name);
    file == "[Content_Types].xml"
        || name.contains("/theme/")
        || name.contains("printerSettings/")
        || file == "vbaProject.bin"
        || file == "vbaData.xml"
        || matches!(
            file,
            "styles.xml"
                | "stylesWithEffects.xml"
                | "fontTable.xml"
                | "settings.xml"
                | "webSettings.xml"
                | "numbering.xml"
                | "calcChain.xml"
                | "presProps.xml"
                | "viewProps.xml"
                | "tableStyles.xml"
        )
}

/// Text: no NUL or other control byte (but tab, line breaks, form feed, escape) in the first
/// 1 KiB, or UTF-16 text (a byte-order mark, or the zero bytes of ASCII in it: Excel's
/// "Unicode Text"), which the engine decodes.
fn looks_like_text(data: &[u8]) -> bool {
    let head = &data[..data.len().min(crate::charset::UTF16_HEAD)];
    crate::charset::utf16_head(head).is_some()
        || !data[..data.len().min(1024)]
            .iter()
            .any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b))
}

/// The number of entries in the central directory, counted by walking its headers (not
/// taken from the end record's count, which can be lowered to hide an entry that unzip tools
/// still list), when it can be read: not a ZIP64 archive, whose records are elsewhere.
fn directory_entries(body: &[u8]) -> Option<usize> {
    let at = end_record(body)?;
    let u16_at = |p: usize| Some(u16::from_le_bytes([*body.get(p)?, *body.get(p + 1)?]));
    let u32_at = |p: usize| {
        Some(u32::from_le_bytes([
            *body.get(p)?,
            *body.get(p + 1)?,
            *body.get(p + 2)?,
            *body.get(p + 3)?,
        ]))
    };
    // ZIP64: its own end record and locator stand between the directory and this one.
    if u16_at(at + 10)? == u16::MAX
        || u32_at(at + 12)? == u32::MAX
        || (at >= 20 && &body[at - 20..at - 16] == b"PK\x06\x07")
    {
        return None;
    }
    // The directory ends where the end record starts (a stub in front moves both alike).
    let size = u32_at(at + 12)? as usize;
    let mut p = at.checked_sub(size)?;
    let mut n = 0;
    while p + 46 <= at && body.get(p..p + 4)? == b"PK\x01\x02" {
        let name = usize::from(u16_at(p + 28)?);
        let extra = usize::from(u16_at(p + 30)?);
        let comment = usize::from(u16_at(p + 32)?);
        p += 46 + name + extra + comment;
        n += 1;
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zip_of(members: &[(&str, &[u8], zip::CompressionMethod)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data, method) in members {
            let o = zip::write::SimpleFileOptions::default().compression_method(*method);
            w.start_file(*name, o).unwrap();
            w.write_all(data).unwrap();
        }
        w.set_comment("exported by test").unwrap();
        w.finish().unwrap().into_inner()
    }

    fn members(body: &[u8]) -> Vec<(String, Vec<u8>, zip::CompressionMethod)> {
        let mut z = zip::ZipArchive::new(Cursor::new(body)).unwrap();
        (0..z.len())
            .map(|i| {
                let mut f = z.by_index(i).unwrap();
                let mut d = Vec::new();
                f.read_to_end(&mut d).unwrap();
                (f.name().unwrap().into_owned(), d, f.compression())
            })
            .collect()
    }

    fn engine() -> Arc<Engine> {
        Arc::new(Engine::builder().builtin().build().unwrap())
    }

    const DEFLATED: zip::CompressionMethod = zip::CompressionMethod::Deflated;
    const STORED: zip::CompressionMethod = zip::CompressionMethod::Stored;

    #[test]
    fn members_are_scanned_redacted_and_the_rest_copied() {
        let sheet = "<sst><si><t>身份证号</t></si><si><t>110101199003074514</t></si></sst>";
        let png = [0x89u8, b'P', b'N', b'G', 0, 0, 0, 13, 1, 2, 3];
        let body = zip_of(&[
            ("[Content_Types].xml", b"<Types/>", DEFLATED),
            ("xl/sharedStrings.xml", sheet.as_bytes(), DEFLATED),
            ("xl/media/image1.png", &png, STORED),
            (
                "data/rows.csv",
                b"xm,sjhm\n\xe5\xbc\xa0\xe4\xb8\x89,13800138000\n",
                STORED,
            ),
        ]);
        let opts = ScanOptions {
            redact: true,
            ..ScanOptions::default()
        };
        let r = scan(&engine(), &body, &opts, &ArchiveLimits::default()).unwrap();
        assert_eq!(r.scanned, 2, "the image and the content types are skipped");
        assert!(r.unread.is_empty());
        let rules: Vec<_> = r
            .findings
            .iter()
            .map(|f| (&*f.member, &*f.finding.rule_id))
            .collect();
        assert!(
            rules.contains(&("xl/sharedStrings.xml", "cn.resident_id.18")),
            "{rules:?}"
        );
        assert!(rules.contains(&("data/rows.csv", "cn.mobile")), "{rules:?}");
        assert!(
            rules.contains(&("data/rows.csv", "cn.person_name")),
            "{rules:?}"
        );
        let out = r.output.expect("rewritten");
        let m = members(&out);
        assert_eq!(m.len(), 4);
        let text = String::from_utf8(m[1].1.clone()).unwrap();
        assert!(
            !text.contains("110101199003074514") && text.contains("<sst>"),
            "{text}"
        );
        assert_eq!(m[1].2, DEFLATED, "compression kept");
        assert_eq!(m[2].1, png, "binary member copied");
        assert_eq!(m[3].2, STORED);
        assert!(!String::from_utf8_lossy(&m[3].1).contains("13800138000"));
        let z = zip::ZipArchive::new(Cursor::new(&out[..])).unwrap();
        assert_eq!(z.comment(), b"exported by test");
    }

    /// A workbook as Excel and Apache POI write it: headings and most text in the shared
    /// strings, a mobile stored as a number, a name as an inline string (POI's streaming
    /// writer, EasyExcel). Names and addresses are found under their column's heading.
    #[test]
    fn a_workbook_is_read_as_tables_under_its_headings() {
        let sst = concat!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
            r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="6" uniqueCount="5">"#,
            "<si><t>姓名</t></si><si><t>联系电话</t></si><si><t>住址</t></si>",
            "<si><r><t>欧阳</t></r><r><t>晓峰</t></r></si>",
            "<si><t>浙江省杭州市西湖区文三路90号2幢301室</t></si></sst>"
        );
        let sheet = concat!(
            r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
            r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>"#,
            r#"<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" s="1"><v>13800138000</v></c><c r="C2" t="s"><v>4</v></c></row>"#,
            r#"<row r="3"><c r="A3" t="inlineStr"><is><t>司马光明</t></is></c><c r="B3"><v>42</v></c></row>"#,
            "</sheetData></worksheet>"
        );
        let body = zip_of(&[
            ("[Content_Types].xml", b"<Types/>", DEFLATED),
            ("xl/workbook.xml", b"<workbook/>", DEFLATED),
            ("xl/sharedStrings.xml", sst.as_bytes(), DEFLATED),
            ("xl/worksheets/sheet1.xml", sheet.as_bytes(), DEFLATED),
            (
                "xl/theme/theme1.xml",
                br#"<a:theme name="Office Theme"/>"#,
                DEFLATED,
            ),
        ]);
        let opts = ScanOptions {
            redact: true,
            ..ScanOptions::default()
        };
        let r = scan(&engine(), &body, &opts, &ArchiveLimits::default()).unwrap();
        let got: Vec<_> = r
            .findings
            .iter()
            .map(|f| {
                (
                    &*f.member,
                    &*f.finding.class,
                    f.finding.field.as_deref().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("xl/sharedStrings.xml", "person_name", "姓名"),
                ("xl/worksheets/sheet1.xml", "mobile", "联系电话"),
                ("xl/sharedStrings.xml", "address", "住址"),
                ("xl/worksheets/sheet1.xml", "person_name", "姓名"),
            ],
            "the theme's name is no person"
        );
        let m = members(&r.output.expect("rewritten"));
        let sst_out = String::from_utf8(m[2].1.clone()).unwrap();
        assert!(sst_out.contains("<si><t>姓名</t></si>"), "{sst_out}");
        assert!(
            !sst_out.contains("晓峰") && !sst_out.contains("文三路90号"),
            "{sst_out}"
        );
        let sheet_out = String::from_utf8(m[3].1.clone()).unwrap();
        assert!(
            sheet_out.contains(r#"<c r="B2" s="1" t="inlineStr"><is><t xml:space="preserve">138****8000</t></is></c>"#),
            "{sheet_out}"
        );
        assert!(
            !sheet_out.contains("光明") && sheet_out.contains("<v>42</v>"),
            "{sheet_out}"
        );
    }

    #[test]
    fn a_clean_archive_is_left_as_it_is() {
        let body = zip_of(&[("a.xml", b"<a>hello 12</a>", DEFLATED)]);
        let opts = ScanOptions {
            redact: true,
            ..ScanOptions::default()
        };
        let r = scan(&engine(), &body, &opts, &ArchiveLimits::default()).unwrap();
        assert!(r.output.is_none() && r.findings.is_empty());
        assert_eq!(r.scanned, 1);
    }

    #[test]
    fn nested_archives_are_opened_to_the_depth_allowed() {
        let inner = zip_of(&[("in.txt", "手机 13800138000".as_bytes(), DEFLATED)]);
        let body = zip_of(&[("inner.zip", &inner, STORED)]);
        let opts = ScanOptions::default();
        let r = scan(&engine(), &body, &opts, &ArchiveLimits::default()).unwrap();
        assert_eq!(&*r.findings[0].member, "inner.zip!/in.txt");
        let shallow = ArchiveLimits {
            max_depth: 1,
            ..ArchiveLimits::default()
        };
        let r = scan(&engine(), &body, &opts, &shallow).unwrap();
        assert!(r.findings.is_empty());
        assert_eq!(r.unread[0].member, "inner.zip");
    }

    #[test]
    fn bombs_and_member_floods_are_refused() {
        let zeros = vec![b'0'; 8 << 20];
        let body = zip_of(&[("big.txt", &zeros, DEFLATED)]);
        let e = scan(
            &engine(),
            &body,
            &ScanOptions::default(),
            &ArchiveLimits::default(),
        )
        .unwrap_err();
        assert!(e.is_bomb(), "{e}");
        let many: Vec<(String, Vec<u8>)> = (0..20).map(|i| (format!("{i}.txt"), vec![])).collect();
        let refs: Vec<_> = many
            .iter()
            .map(|(n, d)| (n.as_str(), &d[..], STORED))
            .collect();
        let body = zip_of(&refs);
        let few = ArchiveLimits {
            max_members: 10,
            ..ArchiveLimits::default()
        };
        assert!(matches!(
            scan(&engine(), &body, &ScanOptions::default(), &few),
            Err(ArchiveError::TooManyMembers(10))
        ));
    }

    /// Whatever follows the magic, and wherever a real archive is cut, the answer is a result
    /// or an error, never a panic (the body comes from the network).
    #[test]
    fn truncated_and_mangled_archives_never_panic() {
        let sheet = r#"<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>住址</t></is></c></row><row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2"><v>13800138000</v></c></row></sheetData></worksheet>"#;
        let sst = "<sst><si><t>姓名</t></si><si><t>张三</t></si></sst>";
        let body = zip_of(&[
            ("xl/workbook.xml", b"<workbook/>", STORED),
            ("xl/sharedStrings.xml", sst.as_bytes(), STORED),
            ("xl/worksheets/sheet1.xml", sheet.as_bytes(), DEFLATED),
        ]);
        let e = engine();
        let opts = ScanOptions {
            redact: true,
            ..ScanOptions::default()
        };
        let limits = ArchiveLimits::default();
        for cut in 0..body.len() {
            let _ = scan(&e, &body[..cut], &opts, &limits);
        }
        // Every byte of the stored members (the XML itself) and of the headers changed in turn.
        for i in 0..body.len() {
            for b in [b'<', b'>', b'"', b'/', 0xE5, b'0'] {
                let mut m = body.clone();
                m[i] = b;
                let _ = scan(&e, &m, &opts, &limits);
            }
        }
    }

    /// Data a reader of this archive would show that is not a plain member: two members of
    /// one name, a comment, a binary part; and members in other wrappings (gzip, UTF-16).
    #[test]
    fn what_an_unzip_tool_would_show_is_read_or_reported() {
        let e = engine();
        let limits = ArchiveLimits::default();
        let redact = ScanOptions {
            redact: true,
            ..ScanOptions::default()
        };
        // Two members named `a.txt`: the first would pass unread.
        let mut dup = zip_of(&[
            ("a.txt", b"11010519491231002X", STORED),
            ("b.txt", b"clean", STORED),
        ]);
        let mut i = 0;
        while let Some(p) = memchr::memmem::find(&dup[i..], b"b.txt") {
            dup[i + p] = b'a';
            i += p + 1;
        }
        assert!(matches!(
            scan(&e, &dup, &redact, &limits),
            Err(ArchiveError::Corrupt(_))
        ));
        // The end record's count lowered to hide the second entry from this reader.
        let mut low = zip_of(&[
            ("a.txt", b"clean", STORED),
            ("b.txt", b"11010519491231002X", STORED),
        ]);
        let eocd = memchr::memmem::rfind(&low, b"PK\x05\x06").unwrap();
        low[eocd + 8] = 1;
        low[eocd + 10] = 1;
        assert!(matches!(
            scan(&e, &low, &redact, &limits),
            Err(ArchiveError::Corrupt(_))
        ));
        // The archive's comment is scanned and rewritten.
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        w.start_file("a.txt", zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(b"ok").unwrap();
        w.set_comment("联系电话 13800138000").unwrap();
        let body = w.finish().unwrap().into_inner();
        let r = scan(&e, &body, &redact, &limits).unwrap();
        let out = r.output.expect("rewritten");
        let z = zip::ZipArchive::new(Cursor::new(&out[..])).unwrap();
        assert_eq!(z.comment(), "联系电话 138****8000".as_bytes());
        // A gzip member, a UTF-16 member and a binary one.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"sjhm\n13800138000\n").unwrap();
        let gz = gz.finish().unwrap();
        let u16: Vec<u8> = "\u{FEFF}手机 13800138000"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let body = zip_of(&[
            ("rows.csv.gz", &gz, STORED),
            ("notes.txt", &u16, DEFLATED),
            ("report.pdf", b"%PDF-1.7\x00\x01\x02", DEFLATED),
            (
                "legacy.xls",
                b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x01",
                DEFLATED,
            ),
        ]);
        let r = scan(&e, &body, &redact, &limits).unwrap();
        let members_found: Vec<_> = r.findings.iter().map(|f| &*f.member).collect();
        assert_eq!(members_found, ["rows.csv.gz", "notes.txt"], "{r:?}");
        assert_eq!(r.unread.len(), 2);
        assert_eq!(r.unread[0].member, "report.pdf!/(document)");
        assert_eq!(r.unread[0].reason, "corrupt PDF");
        assert_eq!(r.unread[1].member, "legacy.xls");
        let m = members(&r.output.expect("rewritten"));
        let mut csv = String::new();
        flate2::read::GzDecoder::new(&m[0].1[..])
            .read_to_string(&mut csv)
            .unwrap();
        assert_eq!(csv, "sjhm\n138****8000\n");
    }

    #[test]
    fn corrupt_and_unreadable_members_are_reported() {
        assert!(matches!(
            scan(
                &engine(),
                b"PK\x03\x04garbage",
                &ScanOptions::default(),
                &ArchiveLimits::default()
            ),
            Err(ArchiveError::Corrupt(_))
        ));
        // A member's data corrupted after the fact (its CRC no longer matches).
        let mut body = zip_of(&[("a.txt", b"13800138000 is a number", STORED)]);
        let at = body.windows(5).position(|w| w == b"13800").unwrap();
        body[at] = b'2';
        let r = scan(
            &engine(),
            &body,
            &ScanOptions::default(),
            &ArchiveLimits::default(),
        )
        .unwrap();
        assert_eq!(r.unread.len(), 1, "{r:?}");
        assert_eq!(r.unread[0].reason, "corrupt data");
    }
}
