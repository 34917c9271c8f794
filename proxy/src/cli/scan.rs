//! `sluice scan`: run the engine over one body from a file or stdin, the way the proxy would
//! (content encoding decoded with caps, format from the content type or sniffed, streamed in
//! chunks). Prints findings as JSON lines, or with `--redact` the redacted body re-encoded in
//! the input's content encoding. Raw values are printed only with `--show-values`.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::builder::PossibleValue;
use clap::Args;
use sluice_rules::{Charset, Format, ScanOptions};

use super::{errln, stdout_error};
use crate::codec::{self, DecodeLimits, Encoding};

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  sluice scan body.json                                    findings as JSON lines
  sluice scan --content-type application/xml soap.xml
  sluice scan --redact --content-type 'text/csv; charset=GBK' export.csv > redacted.csv
  sluice scan --redact --content-encoding gzip x.json.gz > redacted.json.gz
  sluice scan --redact export.xlsx > redacted.xlsx          members of a ZIP (xlsx, docx, zip)
  curl -s http://api/persons | sluice scan --redact -

Findings: one JSON object a line: rule, class, grade, start, end, confidence, field (the key
that gave context), masked, format; member inside a ZIP; value with --show-values.
`start`..`end` are byte offsets (end exclusive) into the body after its content coding is
undone, in the body's own charset (GBK or UTF-16 bytes, a BOM included, count as they are),
covering the value as it is written there: escapes and all (`\\u0031…` in JSON, `&#x31;` in
XML, `%31` in a form), full-width digits, invisible characters, a base64 value's whole base64
text; inside a ZIP, offsets into the member's unpacked bytes. `value` is the value as the rule
read it: escapes undone, base64 decoded, full-width characters folded to ASCII, invisible ones
dropped, separators (spaces, dashes) kept; so it need not equal the bytes at start..end.

With --redact: the redacted body on stdout, in the input's content encoding (the input byte
for byte when nothing was redacted), and on stderr one line per finding,
`redacted RULE (CLASS) at START..END` (`left (style: none) RULE (CLASS) at START..END` for a
rule that only reports; ` in MEMBER` appended inside a ZIP), offsets as above, besides any
`note:` lines.

Exit status: 0 on success (findings or not), 2 on an error (bad input, bomb, unreadable rules),
3 when members of an archive could not be inspected (named on stderr; the proxy refuses such
a body unless `decode.unreadable_archive: open`): with --redact the archive is still written,
and those members are in it as they came.")]
pub struct ScanArgs {
    /// Rule pack directory: every *.yaml and *.yml file in it (the built-in packs when
    /// omitted).
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// With --rules, load the built-in packs too (what the proxy runs with `rules.dir` and
    /// `rules.builtin: true`, its default).
    #[arg(long, requires = "rules")]
    pub with_builtin: bool,
    /// Content-Type of the body; sniffed from the first bytes when omitted or generic. GBK,
    /// GB18030 and UTF-16 bodies are recognised by their bytes (a GB `charset` is a hint that
    /// UTF-8 bytes overrule), and the redacted body keeps its charset.
    #[arg(long)]
    pub content_type: Option<String>,
    /// Content-Encoding of the body (any case, as in HTTP; `x-gzip` is gzip, RFC 9110).
    #[arg(long, default_value = "identity", ignore_case = true, value_parser = [
        PossibleValue::new("identity"),
        PossibleValue::new("gzip").alias("x-gzip"),
        PossibleValue::new("deflate"),
        PossibleValue::new("br"),
        PossibleValue::new("zstd"),
    ])]
    pub content_encoding: String,
    /// Write the redacted body to stdout (same content encoding as the input).
    #[arg(long)]
    pub redact: bool,
    /// Include raw values in findings (for rule authors on test data only).
    #[arg(long)]
    pub show_values: bool,
    /// Largest decoded body accepted (bytes).
    #[arg(long, default_value_t = 1 << 30)]
    pub max_decoded: u64,
    /// Grade scheme, highest first (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "core,important,general")]
    pub grades: Vec<String>,
    /// Key of `style: token` redactions and of fingerprints (the proxy's
    /// `rules.token_key_file`), so tokens here are the ones the proxy writes; a key drawn for
    /// this run otherwise.
    #[arg(long, value_name = "FILE")]
    pub token_key_file: Option<PathBuf>,
    /// Body file, or `-` for stdin.
    #[arg(default_value = "-")]
    pub file: String,
}

pub fn scan(a: ScanArgs) -> Result<ExitCode> {
    let key = match &a.token_key_file {
        Some(f) => {
            Some(crate::audit::read_secret_key(f, "a token key").context("--token-key-file")?)
        }
        None => None,
    };
    let engine = super::load_engine(a.rules.as_ref(), a.with_builtin, &a.grades, key.as_deref())?;
    let mut input = Vec::new();
    if a.file == "-" {
        std::io::stdin()
            .read_to_end(&mut input)
            .context("reading stdin")?;
    } else {
        input = std::fs::read(&a.file).with_context(|| format!("reading {}", a.file))?;
    }
    let declared: Encoding = a
        .content_encoding
        .parse()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let limits = DecodeLimits {
        max_output: a.max_decoded,
        ..DecodeLimits::default()
    };
    // A body declared with one encoding and carrying another is a known bypass: what the
    // bytes prove (gzip and zstd magic, text under a gzip or zstd label) wins over the
    // declaration, as in the proxy, and the note says so.
    // Deflate or brotli sent as identity, or under a gzip or zstd label it does not bear
    // out, shows no magic: it is tried on the whole body (`Encoding::sniff_coding`, the
    // proxy's test).
    let enc = match Encoding::sniff_coding(declared, &input, true, &limits) {
        // Over identity or br a magic is only a claim, and brotli has none: the body must
        // decode as what it claims (as the proxy checks its first frame).
        Some((actual, true)) if codec::decode_all(actual, &input, &limits).is_err() => declared,
        // Text under a deflate or br label: unless it decodes as its label says.
        Some((actual, _)) if declared.keeps_label(actual, &input, true, &limits) => declared,
        Some((actual, _)) => {
            note_coding(declared, actual);
            actual
        }
        None => declared,
    };
    let (enc, mut body) = match codec::decode_all(enc, &input, &limits) {
        Ok(body) => (enc, body),
        // Not what its label says, nor what its first bytes claimed: deflate and brotli have
        // no magic, so they are tried on the whole body before the scan gives up (the proxy
        // refuses such a body: it cannot hold every body to try).
        Err(e) if !e.is_bomb() => match codec::hidden_coding(&input, true, &limits) {
            Some(actual) if actual != enc => {
                note_coding(declared, actual);
                let body = codec::decode_all(actual, &input, &limits)
                    .with_context(|| format!("decoding {} body", actual.as_str()))?;
                (actual, body)
            }
            _ => return Err(e).with_context(|| format!("decoding {} body", enc.as_str())),
        },
        Err(e) => return Err(e).with_context(|| format!("decoding {} body", enc.as_str())),
    };
    // A coding inside the declared one (gzip in gzip), as the proxy undoes it: at most three
    // layers in all, each written again on the way out.
    let mut inner = Vec::new();
    while enc != Encoding::Identity && inner.len() < 2 {
        let Some(more @ (Encoding::Gzip | Encoding::Zstd)) =
            Encoding::sniff(Encoding::Identity, &body)
        else {
            break;
        };
        match codec::decode_all(more, &body, &limits) {
            Ok(b) => {
                errln!(
                    "note: the decoded body is {} again; scanning inside it",
                    more.as_str()
                );
                inner.push(more);
                body = b;
            }
            Err(e) if e.is_bomb() => {
                return Err(e)
                    .with_context(|| format!("decoding the inner {} layer", more.as_str()))
            }
            Err(_) => break,
        }
    }
    if inner.len() == 2
        && matches!(
            Encoding::sniff(Encoding::Identity, &body),
            Some(Encoding::Gzip | Encoding::Zstd)
        )
    {
        anyhow::bail!("the body holds more than three content codings; not inspected");
    }
    let enc = Layers { outer: enc, inner };
    if sluice_rules::archive::is_archive(a.content_type.as_deref(), &body) {
        return scan_archive(&a, &engine, &input, enc, &limits, &body);
    }
    let format = Format::resolve(a.content_type.as_deref(), &body);
    let opts = ScanOptions {
        format,
        redact: a.redact,
        capture_values: a.show_values,
        decide: None,
        charset: Charset::declared(a.content_type.as_deref()),
    };
    let mut scanner = engine.stream(opts);
    let mut out = Vec::with_capacity(if a.redact { body.len() } else { 0 });
    let mut findings = Vec::new();
    // Fed in chunks, as the proxy does, so the CLI exercises the streaming path.
    for chunk in body.chunks(64 * 1024) {
        scanner.push(chunk, &mut out, &mut findings);
    }
    scanner.finish(&mut out, &mut findings);
    let changed = (out != body).then_some(out);
    let findings: Vec<_> = findings.iter().map(|f| (None, f)).collect();
    report(&a, &input, enc, changed, &findings, format.name())
}

/// The codings of the body as it came: the declared (or sniffed) outer one and those found
/// inside it, outermost first.
struct Layers {
    outer: Encoding,
    inner: Vec<Encoding>,
}

/// A ZIP body (xlsx, docx, a zip export): its members are scanned and, with `--redact`, the
/// archive is written again (see `sluice_rules::archive`). Members that could not be read are
/// named on stderr, and the exit status says so.
/// Tells the user that the body is not in the coding it was declared with.
fn note_coding(declared: Encoding, actual: Encoding) {
    errln!(
        "note: body declared {} carries {}; scanning it as {}",
        declared.as_str(),
        actual.as_str(),
        actual.as_str()
    );
}

fn scan_archive(
    a: &ScanArgs,
    engine: &std::sync::Arc<sluice_rules::Engine>,
    input: &[u8],
    enc: Layers,
    limits: &DecodeLimits,
    body: &[u8],
) -> Result<ExitCode> {
    use sluice_rules::archive;
    let opts = ScanOptions {
        redact: a.redact,
        capture_values: a.show_values,
        ..ScanOptions::default()
    };
    let r = archive::scan(engine, body, &opts, &limits.for_archives())
        .context("reading the ZIP archive")?;
    for u in &r.unread {
        errln!("note: member {} not inspected: {}", u.member, u.reason);
    }
    let findings: Vec<_> = r
        .findings
        .iter()
        .map(|m| (Some(&*m.member), &m.finding))
        .collect();
    let code = report(a, input, enc, r.output, &findings, "zip")?;
    // What was not inspected may hold anything: a script must not take the output for clean.
    Ok(if r.unread.is_empty() {
        code
    } else {
        ExitCode::from(UNREAD_MEMBERS)
    })
}

/// Exit status when members of an archive could not be inspected.
const UNREAD_MEMBERS: u8 = 3;

/// Writes the redacted body (or the input, when nothing changed) or the findings as JSON lines.
fn report(
    a: &ScanArgs,
    input: &[u8],
    enc: Layers,
    changed: Option<Vec<u8>>,
    findings: &[(Option<&str>, &sluice_rules::Finding)],
    format: &str,
) -> Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    if a.redact {
        // Nothing redacted: the body goes out as it came, byte for byte (a compressor run
        // again need not give the same bytes).
        match changed {
            None => w.write_all(input).map_err(stdout_error)?,
            Some(out) => {
                let mut out = out;
                for layer in enc.inner.iter().rev() {
                    out =
                        codec::encode_all(*layer, &out).context("re-encoding the redacted body")?;
                }
                let encoded = codec::encode_like(enc.outer, input, &out)
                    .context("re-encoding the redacted body")?;
                w.write_all(&encoded).map_err(stdout_error)?;
            }
        }
        // The body is delivered whole before the report starts, so a reader that closes
        // stderr early (`2>&1 >out | head`) costs the report, never the body.
        w.flush().map_err(stdout_error)?;
        let stderr = std::io::stderr();
        let mut e = std::io::BufWriter::new(stderr.lock());
        for (member, f) in findings {
            // What was done to it: a rule with `style: none` leaves its value as it was.
            let done = match f.applied {
                sluice_rules::Applied::Reported => "left (style: none)",
                _ => "redacted",
            };
            let at = member.map(|m| format!(" in {m}")).unwrap_or_default();
            // A closed stderr ends the report (its reader wants no more of it); the
            // redacted body is out already, so the command still succeeds.
            if writeln!(
                e,
                "{done} {} ({}) at {}..{}{at}",
                f.rule_id, f.class, f.start, f.end
            )
            .is_err()
            {
                return Ok(ExitCode::SUCCESS);
            }
        }
        let _ = e.flush();
    } else {
        for (member, f) in findings {
            let mut line = serde_json::json!({
                "rule": &*f.rule_id,
                "class": &*f.class,
                "grade": &*f.grade.name,
                "start": f.start,
                "end": f.end,
                "confidence": f.confidence.as_str(),
                "field": f.field.as_deref(),
                "masked": &*f.masked,
                "format": format,
            });
            if let Some(m) = member {
                // Offsets are bytes of this member's unpacked content.
                line["member"] = serde_json::Value::String(m.to_string());
            }
            if let Some(v) = &f.value {
                line["value"] = serde_json::Value::String(v.clone());
            }
            writeln!(w, "{line}").map_err(stdout_error)?;
        }
        w.flush().map_err(stdout_error)?;
    }
    Ok(ExitCode::SUCCESS)
}
