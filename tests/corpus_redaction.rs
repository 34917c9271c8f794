//! Corpus redaction test: runs the `sluice` CLI over every case of the generated corpus in
//! `tests/corpus/` (see `tests/corpus/gen_corpus.py` for how it is made and regenerated) and
//! judges the output.
//!
//! For each case of `tests/corpus/manifest.json`:
//!
//! * `sluice scan --redact --content-type CT --content-encoding ENC FILE` must exit 0; its stdout
//!   is the redacted body in the same content encoding. After decoding it:
//!   - clean cases: the bytes equal the decoded input;
//!   - no sensitive `raw` spelling survives; for identifier-like classes neither does the
//!     canonical `value` after an independent normalization (JSON `\uXXXX`, XML `&#..;`, percent
//!     decoding for forms, full-width to ASCII, zero-width chars dropped, spaces / hyphens / U+3000
//!     between digits dropped, CDATA joins removed, base64 runs decoded for base64 cases);
//!   - every look-alike spelling is still present byte-for-byte;
//!   - the body keeps its shape: JSON parses, CSV/form/text line counts and XML `<` counts are
//!     unchanged, output is UTF-8 when the input was.
//! * `sluice scan --content-type CT --content-encoding ENC FILE` must exit 0 and print one JSON
//!   finding per line with `rule`, `class`, `grade`, `start`, `end`; it never prints a sensitive
//!   value or raw spelling; per class there are at least as many findings as manifest entries;
//!   clean cases have no findings; no finding overlaps a look-alike.
//!
//! An empty `content_type` in the manifest means "no content type": the flag is omitted.
//! All failures are collected and reported together at the end.
//!
//! Environment overrides: `SLUICE_CORPUS_DIR` (corpus folder), `SLUICE_BIN` (binary to run),
//! `SLUICE_CORPUS_FILTER` (only run cases whose file name contains this string).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::process::Command;

use base64::Engine as _;
use serde_json::Value;

/// Classes whose canonical value is also searched for after normalization.
const VALUE_CLASSES: &[&str] = &[
    "resident_id",
    "resident_id_15",
    "mobile",
    "bank_card",
    "uscc",
    "passport",
    "email",
    "ipv4",
    "landline",
    "licence_plate",
];

/// Exit codes accepted from `sluice scan` (with and without `--redact`).
const OK_EXIT_CODES: &[i32] = &[0];

const ZERO_WIDTH: &[char] = &['\u{200B}', '\u{200C}', '\u{200D}', '\u{FEFF}', '\u{2060}'];

struct Entry {
    class: String,
    value: String,
    raw: String,
}

struct Case {
    file: String,
    content_type: String,
    content_encoding: String,
    format: String,
    clean: bool,
    evasions: Vec<String>,
    sensitive: Vec<Entry>,
    lookalikes: Vec<String>,
}

impl Case {
    fn is_form(&self) -> bool {
        self.format == "form" || self.evasions.iter().any(|e| e == "percent_encoding")
    }
    fn is_base64(&self) -> bool {
        self.evasions.iter().any(|e| e == "base64")
    }
}

fn corpus_dir() -> PathBuf {
    match std::env::var_os("SLUICE_CORPUS_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus"),
    }
}

fn sluice_bin() -> PathBuf {
    match std::env::var_os("SLUICE_BIN") {
        Some(b) => PathBuf::from(b),
        None => PathBuf::from(env!("CARGO_BIN_EXE_sluice")),
    }
}

fn str_field(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("manifest: missing string field {key:?} in {v}"))
        .to_string()
}

fn load_manifest() -> Vec<Case> {
    let path = corpus_dir().join("manifest.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let v: Value = serde_json::from_str(&text).expect("manifest.json is not valid JSON");
    let arr = v.as_array().expect("manifest.json must be a list");
    arr.iter()
        .map(|c| Case {
            file: str_field(c, "file"),
            content_type: str_field(c, "content_type"),
            content_encoding: str_field(c, "content_encoding"),
            format: c
                .get("format")
                .and_then(Value::as_str)
                .unwrap_or("text")
                .to_string(),
            clean: c.get("clean").and_then(Value::as_bool).unwrap_or(false),
            evasions: c
                .get("evasions")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            sensitive: c
                .get("sensitive")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|e| Entry {
                            class: str_field(e, "class"),
                            value: str_field(e, "value"),
                            raw: str_field(e, "raw"),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            lookalikes: c
                .get("lookalikes")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// content encodings
// ---------------------------------------------------------------------------------------------

fn decode_body(data: &[u8], enc: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    match enc {
        "identity" | "" => out.extend_from_slice(data),
        "gzip" => {
            flate2::read::MultiGzDecoder::new(data)
                .read_to_end(&mut out)
                .map_err(|e| format!("gzip: {e}"))?;
        }
        "deflate" => {
            // HTTP deflate is zlib-wrapped; accept a raw deflate stream too.
            if flate2::read::ZlibDecoder::new(data)
                .read_to_end(&mut out)
                .is_err()
            {
                out.clear();
                flate2::read::DeflateDecoder::new(data)
                    .read_to_end(&mut out)
                    .map_err(|e| format!("deflate (neither zlib nor raw): {e}"))?;
            }
        }
        "br" => {
            brotli::Decompressor::new(data, 4096)
                .read_to_end(&mut out)
                .map_err(|e| format!("br: {e}"))?;
        }
        "zstd" => {
            out = zstd::stream::decode_all(data).map_err(|e| format!("zstd: {e}"))?;
        }
        other => return Err(format!("unknown content encoding {other:?}")),
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// normalization (independent of the engine)
// ---------------------------------------------------------------------------------------------

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// application/x-www-form-urlencoded decoding: `%XX` to a byte, `+` to a space.
fn percent_decode_form(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => match (hex_val(b[i + 1]), hex_val(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_hex4(s: &[u8]) -> Option<u32> {
    if s.len() < 4 {
        return None;
    }
    let mut v = 0u32;
    for &c in &s[..4] {
        v = v * 16 + hex_val(c)? as u32;
    }
    Some(v)
}

/// Decode JSON `\uXXXX` escapes (with surrogate pairs); other text is left as is.
fn json_unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut lit = 0; // start of pending literal run
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() && b[i + 1] == b'u' {
            if let Some(hi) = parse_hex4(&b[i + 2..]) {
                out.push_str(&s[lit..i]);
                let mut consumed = 6;
                let ch = if (0xD800..0xDC00).contains(&hi) {
                    let lo = if b.len() >= i + 12 && b[i + 6] == b'\\' && b[i + 7] == b'u' {
                        parse_hex4(&b[i + 8..])
                    } else {
                        None
                    };
                    match lo {
                        Some(lo) if (0xDC00..0xE000).contains(&lo) => {
                            consumed = 12;
                            char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                                .unwrap_or('\u{FFFD}')
                        }
                        _ => '\u{FFFD}',
                    }
                } else {
                    char::from_u32(hi).unwrap_or('\u{FFFD}')
                };
                out.push(ch);
                i += consumed;
                lit = i;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&s[lit..]);
    out
}

/// Decode XML numeric character references `&#xHH;` and `&#DD;`.
fn xml_unref(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut lit = 0;
    while i < b.len() {
        if b[i] == b'&' && i + 2 < b.len() && b[i + 1] == b'#' {
            let (hex, start) = if b[i + 2] == b'x' || b[i + 2] == b'X' {
                (true, i + 3)
            } else {
                (false, i + 2)
            };
            let mut j = start;
            while j < b.len()
                && j - start < 8
                && (if hex {
                    b[j].is_ascii_hexdigit()
                } else {
                    b[j].is_ascii_digit()
                })
            {
                j += 1;
            }
            if j > start && j < b.len() && b[j] == b';' {
                let v = u32::from_str_radix(&s[start..j], if hex { 16 } else { 10 })
                    .ok()
                    .and_then(char::from_u32);
                if let Some(ch) = v {
                    out.push_str(&s[lit..i]);
                    out.push(ch);
                    i = j + 1;
                    lit = i;
                    continue;
                }
            }
        }
        i += 1;
    }
    out.push_str(&s[lit..]);
    out
}

fn is_sep(c: char) -> bool {
    matches!(c, ' ' | '\t' | '-' | '\u{3000}')
}

/// Drop runs of spaces / tabs / hyphens / U+3000 between two ASCII alphanumerics when at least
/// one side is a digit (`110101 19900307 1234`, `138-0013-8000`, `+86 138...`, `E 1234...`).
fn drop_separators(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if is_sep(c) {
            let mut j = i;
            while j < chars.len() && is_sep(chars[j]) {
                j += 1;
            }
            let prev = out.chars().last();
            let next = chars.get(j).copied();
            if let (Some(p), Some(n)) = (prev, next) {
                if p.is_ascii_alphanumeric()
                    && n.is_ascii_alphanumeric()
                    && (p.is_ascii_digit() || n.is_ascii_digit())
                {
                    i = j;
                    continue;
                }
            }
            out.extend(&chars[i..j]);
            i = j;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

fn normalize(s: &str, form: bool) -> String {
    let mut t = if form {
        percent_decode_form(s)
    } else {
        s.to_string()
    };
    t = t.replace("]]><![CDATA[", "");
    t = json_unescape(&t);
    t = xml_unref(&t);
    let t: String = t
        .chars()
        .filter(|c| !ZERO_WIDTH.contains(c))
        .map(|c| {
            if ('\u{FF01}'..='\u{FF5E}').contains(&c) {
                char::from_u32(c as u32 - 0xFEE0).unwrap()
            } else {
                c
            }
        })
        .collect();
    drop_separators(&t)
}

/// Decode every base64 run (16+ chars of the standard alphabet) that yields UTF-8 text.
fn base64_runs(s: &str) -> Vec<String> {
    let b = s.as_bytes();
    let is_b64 = |c: u8| c.is_ascii_alphanumeric() || c == b'+' || c == b'/';
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if is_b64(b[i]) {
            let start = i;
            while i < b.len() && is_b64(b[i]) {
                i += 1;
            }
            let mut end = i;
            while end < b.len() && end - i < 2 && b[end] == b'=' {
                end += 1;
            }
            if i - start >= 16 {
                let run = &s[start..end];
                let dec = base64::engine::general_purpose::STANDARD
                    .decode(run)
                    .or_else(|_| {
                        base64::engine::general_purpose::STANDARD_NO_PAD
                            .decode(run.trim_end_matches('='))
                    });
                if let Ok(bytes) = dec {
                    if let Ok(text) = String::from_utf8(bytes) {
                        out.push(text);
                    }
                }
            }
            i = end.max(i);
        } else {
            i += 1;
        }
    }
    out
}

fn normalize_full(s: &str, form: bool, b64: bool) -> String {
    let mut out = normalize(s, form);
    if b64 {
        for text in base64_runs(s) {
            out.push('\n');
            out.push_str(&normalize(&text, false));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

fn find_all(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    if needle.is_empty() || needle.len() > hay.len() {
        return Vec::new();
    }
    (0..=hay.len() - needle.len())
        .filter(|&i| &hay[i..i + needle.len()] == needle)
        .collect()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

fn count_byte(b: &[u8], c: u8) -> usize {
    b.iter().filter(|&&x| x == c).count()
}

fn excerpt(b: &[u8], at: usize) -> String {
    let lo = at.saturating_sub(40);
    let hi = (at + 40).min(b.len());
    format!("{:?}", String::from_utf8_lossy(&b[lo..hi]))
}

fn run_sluice(case: &Case, path: &PathBuf, redact: bool) -> Result<Vec<u8>, String> {
    let mut cmd = Command::new(sluice_bin());
    cmd.arg("scan");
    if redact {
        cmd.arg("--redact");
    }
    if !case.content_type.is_empty() {
        cmd.arg("--content-type").arg(&case.content_type);
    }
    cmd.arg("--content-encoding")
        .arg(&case.content_encoding)
        .arg(path);
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {}: {e}", sluice_bin().display()))?;
    let code = out.status.code();
    if !code.is_some_and(|c| OK_EXIT_CODES.contains(&c)) {
        return Err(format!(
            "`sluice scan{}` exited with {:?}; stderr: {}",
            if redact { " --redact" } else { "" },
            code,
            String::from_utf8_lossy(&out.stderr)
                .chars()
                .take(600)
                .collect::<String>()
        ));
    }
    Ok(out.stdout)
}

// ---------------------------------------------------------------------------------------------
// the checks
// ---------------------------------------------------------------------------------------------

fn check_redact(case: &Case, path: &PathBuf, input: &[u8], fail: &mut dyn FnMut(String)) {
    let stdout = match run_sluice(case, path, true) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    let out = match decode_body(&stdout, &case.content_encoding) {
        Ok(o) => o,
        Err(e) => {
            return fail(format!(
                "redacted output does not decode as {}: {e}",
                case.content_encoding
            ))
        }
    };

    if case.clean && out != input {
        let at = out
            .iter()
            .zip(input)
            .position(|(a, b)| a != b)
            .unwrap_or(out.len().min(input.len()));
        fail(format!(
            "clean body changed (len {} -> {}), first difference at byte {at}: input {} output {}",
            input.len(),
            out.len(),
            excerpt(input, at),
            excerpt(&out, at)
        ));
    }

    let out_text = String::from_utf8_lossy(&out);
    if std::str::from_utf8(input).is_ok() && std::str::from_utf8(&out).is_err() {
        fail("redacted output is not valid UTF-8 although the input was".into());
    }
    let norm = normalize_full(&out_text, case.is_form(), case.is_base64());
    for e in &case.sensitive {
        if let Some(&at) = find_all(&out, e.raw.as_bytes()).first() {
            fail(format!(
                "{} raw spelling {:?} survives redaction: {}",
                e.class,
                e.raw,
                excerpt(&out, at)
            ));
        } else if VALUE_CLASSES.contains(&e.class.as_str()) && norm.contains(&e.value) {
            fail(format!(
                "{} value {:?} survives redaction after normalization",
                e.class, e.value
            ));
        }
    }
    for lk in &case.lookalikes {
        if !contains(&out, lk.as_bytes()) {
            fail(format!("look-alike {lk:?} was altered or removed"));
        }
    }

    match case.format.as_str() {
        "json" => {
            if let Err(e) = serde_json::from_slice::<Value>(&out) {
                fail(format!("redacted JSON no longer parses: {e}"));
            }
        }
        "xml" => {
            let (a, b) = (count_byte(input, b'<'), count_byte(&out, b'<'));
            if a != b {
                fail(format!("XML '<' count changed: {a} -> {b}"));
            }
        }
        _ => {
            let (a, b) = (count_byte(input, b'\n'), count_byte(&out, b'\n'));
            if a != b {
                fail(format!("{} line count changed: {a} -> {b}", case.format));
            }
        }
    }
    if case.format == "csv" {
        // CSV: every line keeps its number of field separators outside quotes.
        let fields = |b: &[u8]| -> Vec<usize> {
            let mut v = Vec::new();
            let (mut n, mut q) = (0usize, false);
            for &c in b {
                match c {
                    b'"' => q = !q,
                    b',' if !q => n += 1,
                    b'\n' if !q => {
                        v.push(n);
                        n = 0;
                    }
                    _ => {}
                }
            }
            v
        };
        if fields(input) != fields(&out) {
            fail("CSV field counts per line changed".into());
        }
    }
}

fn check_scan(case: &Case, path: &PathBuf, input: &[u8], fail: &mut dyn FnMut(String)) {
    let stdout = match run_sluice(case, path, false) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    for e in &case.sensitive {
        if contains(&stdout, e.raw.as_bytes()) {
            fail(format!(
                "scan output prints the raw {} spelling {:?}",
                e.class, e.raw
            ));
        } else if contains(&stdout, e.value.as_bytes()) {
            fail(format!(
                "scan output prints the {} value {:?}",
                e.class, e.value
            ));
        }
    }
    let text = match std::str::from_utf8(&stdout) {
        Ok(t) => t,
        Err(_) => return fail("scan output is not UTF-8".into()),
    };

    // spans of look-alikes in the decoded input (ignoring any that touch a sensitive raw spelling)
    let raw_spans: Vec<(usize, usize)> = case
        .sensitive
        .iter()
        .flat_map(|e| {
            find_all(input, e.raw.as_bytes())
                .into_iter()
                .map(move |s| (s, s + e.raw.len()))
        })
        .collect();
    let lk_spans: Vec<(usize, usize, &str)> = case
        .lookalikes
        .iter()
        .flat_map(|lk| {
            find_all(input, lk.as_bytes())
                .into_iter()
                .map(move |s| (s, s + lk.len(), lk.as_str()))
        })
        .filter(|&(ls, le, _)| !raw_spans.iter().any(|&(rs, re)| ls < re && rs < le))
        .collect();

    let mut per_class: BTreeMap<String, usize> = BTreeMap::new();
    let mut n_findings = 0usize;
    for (ln, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                fail(format!(
                    "scan output line {} is not JSON ({e}): {:?}",
                    ln + 1,
                    line.chars().take(200).collect::<String>()
                ));
                continue;
            }
        };
        let missing: Vec<&str> = ["rule", "class", "grade", "start", "end"]
            .into_iter()
            .filter(|k| v.get(*k).is_none())
            .collect();
        if !missing.is_empty() {
            fail(format!(
                "finding on line {} lacks {missing:?}: {line}",
                ln + 1
            ));
            continue;
        }
        n_findings += 1;
        let class = v["class"].as_str().unwrap_or("").to_string();
        *per_class.entry(class.clone()).or_default() += 1;
        match (v["start"].as_u64(), v["end"].as_u64()) {
            (Some(s), Some(e)) if s < e && (e as usize) <= input.len() => {
                let (s, e) = (s as usize, e as usize);
                for &(ls, le, lk) in &lk_spans {
                    if s < le && ls < e {
                        fail(format!(
                            "finding {class} [{s},{e}) overlaps look-alike {lk:?} at [{ls},{le})"
                        ));
                    }
                }
            }
            _ => fail(format!(
                "finding has bad offsets (need start < end <= {} decoded bytes): {line}",
                input.len()
            )),
        }
    }

    if case.clean && n_findings > 0 {
        // (clean cases must stay silent)
        fail(format!(
            "clean case has {n_findings} finding(s): {per_class:?}"
        ));
    }
    let mut expected: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &case.sensitive {
        *expected.entry(engine_class(e.class.as_str())).or_default() += 1;
    }
    for (class, want) in expected {
        let got = per_class.get(class).copied().unwrap_or(0);
        if got < want {
            fail(format!(
                "class {class}: {got} finding(s), manifest has {want}"
            ));
        }
    }
}

#[test]
fn corpus_redaction() {
    let cases = load_manifest();
    assert!(cases.len() >= 40, "manifest has only {} cases", cases.len());
    let filter = std::env::var("SLUICE_CORPUS_FILTER").ok();
    let dir = corpus_dir();
    let mut failures: Vec<String> = Vec::new();
    let mut failed_cases = 0usize;
    let mut ran = 0usize;

    for case in &cases {
        if filter.as_deref().is_some_and(|f| !case.file.contains(f)) {
            continue;
        }
        ran += 1;
        let path = dir.join(&case.file);
        let mut msgs: Vec<String> = Vec::new();
        let mut fail = |m: String| msgs.push(m);
        match std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|d| decode_body(&d, &case.content_encoding))
        {
            Err(e) => fail(format!("cannot read/decode corpus file: {e}")),
            Ok(input) => {
                check_redact(case, &path, &input, &mut fail);
                check_scan(case, &path, &input, &mut fail);
            }
        }
        if !msgs.is_empty() {
            failed_cases += 1;
            for m in msgs {
                failures.push(format!("{}: {m}", case.file));
            }
        }
    }
    assert!(ran > 0, "no case matched SLUICE_CORPUS_FILTER");
    if !failures.is_empty() {
        panic!(
            "\n{failed_cases} of {ran} corpus cases failed ({} problems):\n  {}\n",
            failures.len(),
            failures.join("\n  ")
        );
    }
    eprintln!("corpus_redaction: {ran} cases passed");
}

// ---------------------------------------------------------------------------------------------
// unit tests of the normalizer itself (no binary needed)
// ---------------------------------------------------------------------------------------------

#[test]
fn normalizer_sees_through_evasions() {
    let id = "110101199003071234";
    for (spelled, form) in [
        ("\\u0031\\u0031\\u0030\\u0031\\u0030\\u0031\\u0031\\u0039\\u0039\\u0030\\u0030\\u0033\\u0030\\u0037\\u0031\\u0032\\u0033\\u0034", false),
        ("&#x31;&#49;0101199003071234", false),
        ("１１０１０１１９９００３０７１２３４", false),
        ("1101\u{200B}01199003\u{2060}071234", false),
        ("110101 19900307 1234", false),
        ("110101\u{3000}19900307\u{3000}1234", false),
        ("1101011990]]><![CDATA[03071234", false),
        ("%31%31%30%31%30%31%31%39%39%30%30%33%30%37%31%32%33%34", true),
        ("110101+19900307+1234", true),
        ("%EF%BC%91%EF%BC%91%EF%BC%90101199003071234", true),
    ] {
        assert!(normalize(spelled, form).contains(id), "{spelled:?} -> {:?}", normalize(spelled, form));
    }
    assert!(normalize("138-0013-8000", false).contains("13800138000"));
    assert!(normalize("+86 138 0013 8000", false).contains("13800138000"));
    assert!(!normalize("110101********1234", false).contains(id));
    assert_eq!(json_unescape("a\\ud83d\\ude00b"), "a\u{1F600}b");
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!("身份证号：{id}"));
    assert!(normalize_full(&format!("{{\"f\":\"{b64}\"}}"), false, true).contains(id));
}

/// The manifest names classes by identifier; the built-in packs group some of them: both
/// resident ID forms are class `resident_id`, IPv4 and IPv6 are `ip_address`.
fn engine_class(manifest_class: &str) -> &str {
    match manifest_class {
        "resident_id_15" => "resident_id",
        "ipv4" | "ipv6" => "ip_address",
        other => other,
    }
}
