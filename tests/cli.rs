//! The `sluice` CLI as rule authors use it: `rules check` passes on the built-in packs and
//! fails with a precise message on a broken rule; `scan` prints findings without values and
//! redacts in the input's content encoding.

use std::io::{Read, Write};
use std::process::{Command, Stdio};

fn sluice() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
}

/// Runs `cmd`, which must succeed (its stderr is the failure's message).
fn succeeded(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A directory `rules` under a fresh `tmpdir(name)` holding one pack, `t.yaml`.
fn pack_dir(name: &str, pack: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let d = tmpdir(name);
    let rules = d.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("t.yaml"), pack).unwrap();
    (d, rules)
}

fn tmpdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("sluice-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn rules_check_passes_on_builtin_packs() {
    let packs = concat!(env!("CARGO_MANIFEST_DIR"), "/../rules/packs");
    for args in [vec!["rules", "check"], vec!["rules", "check", packs]] {
        let out = sluice().args(&args).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{args:?}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.starts_with("ok:"), "{stdout}");
    }
}

#[test]
fn rules_check_fails_precisely_on_a_broken_rule() {
    let d = tmpdir("broken");
    std::fs::write(
        d.join("mine.yaml"),
        "pack: mine\nversion: 1\nrules:\n  - id: my.rule\n    name: x\n    class: c\n    grade: general\n    match:\n      pattern: 'AB[0-9]+'\n    examples: [AB1234]\n    negative_examples: [AB]\n",
    )
    .unwrap();
    let out = sluice().args(["rules", "check"]).arg(&d).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mine.yaml:9"), "{err}");
    assert!(err.contains("rule `my.rule`"), "{err}");
    assert!(err.contains("unbounded repetition"), "{err}");
}

#[test]
fn rules_check_fails_on_a_failing_example() {
    let d = tmpdir("example");
    std::fs::write(
        d.join("mine.yaml"),
        "pack: mine\nversion: 1\nrules:\n  - id: my.card\n    name: x\n    class: bank_card\n    grade: general\n    match: { detector: bank_card }\n    examples: ['6222021234567890124']\n    negative_examples: ['hello']\n",
    )
    .unwrap();
    let out = sluice().args(["rules", "check"]).arg(&d).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("FAIL") && err.contains("example did not match") && err.contains("my.card"),
        "{err}"
    );
}

#[test]
fn scan_prints_findings_without_values() {
    let mut child = sluice()
        .args(["scan", "--content-type", "application/json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"sfzh":"11010519491231002X","sjhm":"13800138000"}"#)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(
        !s.contains("11010519491231002X") && !s.contains("13800138000"),
        "{s}"
    );
    let lines: Vec<serde_json::Value> = s
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["rule"], "cn.resident_id.18");
    assert_eq!(lines[0]["start"], 9);
    assert_eq!(lines[0]["end"], 27);
    assert_eq!(lines[1]["class"], "mobile");
}

#[test]
fn scan_redacts_gzip_in_gzip() {
    use flate2::{read::GzDecoder, write::GzEncoder, Compression};
    use std::io::Read;
    let d = tmpdir("gz");
    let body =
        "姓名：张三，身份证号：１１０１０５１９４９１２３１００２Ｘ，订单号 1855608457214033729\n";
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(body.as_bytes()).unwrap();
    std::fs::write(d.join("b.txt.gz"), enc.finish().unwrap()).unwrap();
    let out = succeeded(
        sluice()
            .args(["scan", "--redact", "--content-encoding", "gzip"])
            .arg(d.join("b.txt.gz")),
    );
    let mut plain = String::new();
    GzDecoder::new(&out.stdout[..])
        .read_to_string(&mut plain)
        .unwrap();
    assert_eq!(
        plain,
        "姓名：张*，身份证号：１１０１０５＊＊＊＊＊＊＊＊００２Ｘ，订单号 1855608457214033729\n"
    );
}

#[test]
fn scan_reports_a_bad_encoding_clearly() {
    let d = tmpdir("bad");
    // A gzip header, then junk: gzip it claims to be, and corrupt.
    std::fs::write(
        d.join("x.gz"),
        b"\x1f\x8b\x08\x00junk that does not inflate",
    )
    .unwrap();
    let out = sluice()
        .args(["scan", "--content-encoding", "gzip"])
        .arg(d.join("x.gz"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("decoding gzip body"));
}

#[test]
fn scan_sees_through_a_body_declared_identity_but_gzipped() {
    use flate2::{write::GzEncoder, Compression};
    let d = tmpdir("mislabelled");
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(br#"{"sjhm":"13800138000"}"#).unwrap();
    std::fs::write(d.join("b"), enc.finish().unwrap()).unwrap();
    let out = sluice()
        .args(["scan", "--content-encoding", "identity"])
        .arg(d.join("b"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("cn.mobile"));
}

/// `plain` deflated by flate2: with a zlib header, or raw as some servers send `deflate`.
fn deflated(plain: &[u8], zlib: bool) -> Vec<u8> {
    use flate2::{write::DeflateEncoder, write::ZlibEncoder, Compression};
    if zlib {
        let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
        z.write_all(plain).unwrap();
        z.finish().unwrap()
    } else {
        let mut r = DeflateEncoder::new(Vec::new(), Compression::default());
        r.write_all(plain).unwrap();
        r.finish().unwrap()
    }
}

/// Writes `body` to `d/name` and runs `sluice scan ARGS` on it, which must succeed and say on
/// stderr what coding the body carries (`note`).
fn scan_carrying(
    d: &std::path::Path,
    name: &str,
    body: &[u8],
    args: &[&str],
    note: &str,
) -> std::process::Output {
    std::fs::write(d.join(name), body).unwrap();
    let out = succeeded(sluice().arg("scan").args(args).arg(d.join(name)));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(note), "{name}: {err}");
    out
}

/// Deflate (zlib and raw) and brotli carry no magic: sent as identity, they are found by
/// decoding, redacted and written back in the same coding.
#[test]
fn scan_sees_through_deflate_and_brotli_declared_identity() {
    let d = tmpdir("mislabelled3");
    let plain = br#"[{"xm":"x","sfzh":"11010519491231002X"},{"xm":"y","sjhm":"13800138000"}]"#;
    let mut b = brotli::CompressorWriter::new(Vec::new(), 4096, 5, 22);
    b.write_all(plain).unwrap();
    b.flush().unwrap();
    let bodies = [
        ("zlib", deflated(plain, true), "deflate"),
        ("raw", deflated(plain, false), "deflate"),
        ("br", b.into_inner(), "br"),
    ];
    for (name, body, coding) in bodies {
        let out = scan_carrying(
            &d,
            name,
            &body,
            &["--redact", "--content-encoding", "identity"],
            &format!("declared identity carries {coding}"),
        );
        let mut back = Vec::new();
        match name {
            "zlib" => flate2::read::ZlibDecoder::new(&out.stdout[..]).read_to_end(&mut back),
            "raw" => flate2::read::DeflateDecoder::new(&out.stdout[..]).read_to_end(&mut back),
            _ => brotli::Decompressor::new(&out.stdout[..], 4096).read_to_end(&mut back),
        }
        .unwrap();
        let text = String::from_utf8(back).unwrap();
        assert!(
            text.contains("110105********002X") && text.contains("138****8000"),
            "{name}: {text}"
        );
    }
}

/// A body that is not what its label says and shows no magic: tried as deflate and brotli
/// on the whole body (raw deflate labelled gzip, zlib labelled br).
#[test]
fn scan_tries_deflate_and_brotli_when_the_label_does_not_decode() {
    let d = tmpdir("mislabelled4");
    let plain = br#"[{"xm":"x","sjhm":"13800138000"},{"xm":"y","sjhm":"13900139000"}]"#;
    for (name, body, label) in [
        ("raw", deflated(plain, false), "gzip"),
        ("zlib", deflated(plain, true), "br"),
    ] {
        let out = scan_carrying(
            &d,
            name,
            &body,
            &["--content-encoding", label],
            &format!("declared {label} carries deflate"),
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout)
                .matches("cn.mobile")
                .count(),
            2,
            "{name}"
        );
    }
}

/// A brotli body whose bytes, read whole, pass for UTF-16 text (`tests/support/br_read_as_utf16.br`, as `codec::BR_READ_AS_UTF16`
/// in the proxy's unit tests: Python's `brotli.compress` of a JSON record with a name, an
/// ID, a mobile and an address), so a gzip or zstd label on it was taken to carry identity.
const BR_READ_AS_UTF16: &[u8] = include_bytes!("support/br_read_as_utf16.br");

/// Brotli labelled gzip or zstd whose bytes pass for text when read whole (probe 61: one
/// brotli body in twenty): it was scanned as identity ("declared gzip carries identity"),
/// every value unread. It is tried as a body with no label is, found to be brotli, and
/// written back as brotli without the values.
#[test]
fn scan_sees_through_brotli_labelled_gzip_or_zstd_that_reads_as_text() {
    let d = tmpdir("mislabelled5");
    for label in ["gzip", "zstd"] {
        let out = scan_carrying(
            &d,
            label,
            BR_READ_AS_UTF16,
            &["--redact", "--content-encoding", label],
            &format!("declared {label} carries br"),
        );
        let mut back = Vec::new();
        brotli::Decompressor::new(&out.stdout[..], 4096)
            .read_to_end(&mut back)
            .unwrap();
        let text = String::from_utf8(back).unwrap();
        assert!(
            text.contains("110105********002X") && text.contains("138****8000"),
            "{label}: {text}"
        );
    }
}

#[test]
fn scan_sees_through_text_declared_gzip() {
    let d = tmpdir("mislabelled2");
    let plain = br#"{"sfzh":"11010519491231002X"}"#;
    std::fs::write(d.join("plain"), plain).unwrap();
    let out = sluice()
        .args(["scan", "--redact", "--content-encoding", "gzip"])
        .arg(d.join("plain"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("declared gzip carries identity"));
    // Written back as it came: plain, redacted.
    assert_eq!(out.stdout, br#"{"sfzh":"110105********002X"}"#);
}

#[test]
fn audit_verify_accepts_a_chain_and_names_the_tampered_line() {
    use sluice_proxy::audit::{
        Audit, AuditEvent, AuditStats, EventKind, FileSink, FileSinkConfig, HashAlg, OnFailure,
    };
    use std::sync::Arc;
    let d = tmpdir("audit");
    let path = d.join("audit.jsonl");
    let stats = Arc::new(AuditStats::default());
    let sink = FileSink::open(
        FileSinkConfig {
            path: path.clone(),
            max_bytes: 1 << 20,
            keep: 3,
        },
        Arc::new(Default::default()),
    )
    .unwrap();
    let audit = Audit::start(
        Box::new(sink),
        HashAlg::Sha256,
        64,
        OnFailure::Drop,
        3,
        stats,
    )
    .unwrap();
    for i in 0..5 {
        audit
            .record(AuditEvent::new(
                EventKind::Blocked,
                format!("req-{i}"),
                "persons",
                "GET",
                403,
                "block",
            ))
            .unwrap();
    }
    audit.close();
    let ok = sluice()
        .args(["audit", "verify"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}{}",
        String::from_utf8_lossy(&ok.stdout),
        String::from_utf8_lossy(&ok.stderr)
    );

    // The summary ends with the head to keep; `--head` of it passes now…
    let stdout = String::from_utf8_lossy(&ok.stdout).to_string();
    let head = stdout
        .split("`--head ")
        .nth(1)
        .and_then(|r| r.split('`').next())
        .unwrap_or_else(|| panic!("no head in {stdout}"))
        .to_string();
    assert!(head.starts_with("5:"), "{head}");
    let with_head = |p: &std::path::Path| {
        sluice()
            .args(["audit", "verify", "--head", &head])
            .arg(p)
            .output()
            .unwrap()
    };
    let out = with_head(&path);
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("reaches the head"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // …and fails once the last record is cut (the chain alone still verifies).
    let text = std::fs::read_to_string(&path).unwrap();
    let cut = d.join("cut.jsonl");
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(&cut, lines[..lines.len() - 1].join("\n") + "\n").unwrap();
    let plain = sluice()
        .args(["audit", "verify"])
        .arg(&cut)
        .output()
        .unwrap();
    assert!(plain.status.success());
    let out = with_head(&cut);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("removed from its end"), "{err}");
    // A malformed head is a usage error.
    let out = sluice()
        .args(["audit", "verify", "--head", "5"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    // Line 1 is the trail's opening record; req-2 is on line 4.
    let edited = text.replacen("req-2", "req-9", 1);
    std::fs::write(&path, edited).unwrap();
    let bad = sluice()
        .args(["audit", "verify"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("audit.jsonl:4:"), "{err}");
    // A file or key that cannot be read is no evidence of tampering: exit 2, not 1.
    for args in [
        vec!["audit", "verify", "/nonexistent/audit.jsonl"],
        vec!["audit", "verify", "--key-file", "/nonexistent/key"],
    ] {
        let out = sluice().args(&args).arg(&path).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/"));
    }
}

/// `scan --redact` of `body` declared `ct` (and `ce`): exit 0, stdout.
fn redact(name: &str, body: &[u8], ct: &str, ce: &str) -> Vec<u8> {
    let d = tmpdir(name);
    std::fs::write(d.join("b"), body).unwrap();
    let out = sluice()
        .args([
            "scan",
            "--redact",
            "--content-type",
            ct,
            "--content-encoding",
            ce,
        ])
        .arg(d.join("b"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn scan_sees_through_mismatched_codings_and_passes_clean_bodies_as_they_came() {
    use flate2::{
        read::{GzDecoder, ZlibDecoder},
        write::{GzEncoder, ZlibEncoder},
        Compression,
    };
    use std::io::Read;
    let json = r#"{"xm":"王建国","sfzh":"11010519491231002X"}"#;
    let want = r#"{"xm":"王**","sfzh":"110105********002X"}"#;
    // gzip declared br: the magic is tried, and holds.
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(json.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    let out = redact("gz-as-br", &gz, "application/json", "br");
    let mut plain = String::new();
    GzDecoder::new(&out[..]).read_to_string(&mut plain).unwrap();
    assert_eq!(plain, want);
    // zlib declared gzip: deflate.
    let mut zl = ZlibEncoder::new(Vec::new(), Compression::default());
    zl.write_all(json.as_bytes()).unwrap();
    let out = redact(
        "zlib-as-gz",
        &zl.finish().unwrap(),
        "application/json",
        "gzip",
    );
    let mut plain = String::new();
    ZlibDecoder::new(&out[..])
        .read_to_string(&mut plain)
        .unwrap();
    assert_eq!(plain, want);
    // GBK text declared gzip: identity, redacted in GBK.
    let (gbk, _, _) = encoding_rs::GBK.encode("姓名：王建国，身份证号：11010519491231002X\n");
    let out = redact("gbk-as-gz", &gbk, "text/plain", "gzip");
    let (text, _, bad) = encoding_rs::GBK.decode(&out);
    assert!(!bad);
    assert_eq!(text, "姓名：王**，身份证号：110105********002X\n");
    // A clean gzip body comes back in its own bytes, not compressed again.
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    gz.write_all(br#"{"status":"ok","count":3}"#).unwrap();
    let gz = gz.finish().unwrap();
    assert_eq!(redact("clean-gz", &gz, "application/json", "gzip"), gz);
}

#[test]
fn scan_reads_what_the_body_is_when_the_declared_type_is_wrong() {
    let json = "{\n  \"certNo\": 11010519491231002X,\n  \"xm\": \"王建国\"\n}";
    let want = "{\n  \"certNo\": \"110105********002X\",\n  \"xm\": \"王**\"\n}";
    for ct in [
        "text/csv",
        "application/xml",
        "application/x-www-form-urlencoded",
    ] {
        assert_eq!(
            String::from_utf8(redact("json-as", json.as_bytes(), ct, "identity")).unwrap(),
            want,
            "{ct}"
        );
    }
    let xml = r#"<r><p xm="王建国" sfzh="11010519491231002X"/></r>"#;
    assert_eq!(
        String::from_utf8(redact("xml-as-csv", xml.as_bytes(), "text/csv", "identity")).unwrap(),
        r#"<r><p xm="王**" sfzh="110105********002X"/></r>"#
    );
    // JSONP is JSON in a call.
    let jsonp = r#"cb({"name":"王建国","sfzh":"11010519491231002X"});"#;
    assert_eq!(
        String::from_utf8(redact(
            "jsonp",
            jsonp.as_bytes(),
            "application/javascript",
            "identity"
        ))
        .unwrap(),
        r#"cb({"name":"王**","sfzh":"110105********002X"});"#
    );
    // A log line that opens with a bracket is text: nothing but the values changes.
    let log = "[2024-05-01 10:00:00] INFO user phone 13812345678 ok\n";
    assert_eq!(
        String::from_utf8(redact("log", log.as_bytes(), "text/plain", "identity")).unwrap(),
        "[2024-05-01 10:00:00] INFO user phone 138****5678 ok\n"
    );
}

#[test]
fn scan_writes_a_json_payload_in_cdata_back_as_valid_xml() {
    let soap = r#"<?xml version="1.0"?><s:Envelope xmlns:s="urn:x"><s:Body><return><![CDATA[{"xm":"袁明","gmsfhm":"11010519491231002X","n":11010519491231002X}]]></return></s:Body></s:Envelope>"#;
    let out = String::from_utf8(redact("cdata", soap.as_bytes(), "text/xml", "identity")).unwrap();
    assert_eq!(
        out,
        r#"<?xml version="1.0"?><s:Envelope xmlns:s="urn:x"><s:Body><return><![CDATA[{"xm":"袁*","gmsfhm":"110105********002X","n":"110105********002X"}]]></return></s:Body></s:Envelope>"#
    );
}

/// `sluice config check` of a config written to a fresh file: exit success, and stdout.
fn config_check(tag: &str, yaml: &str) -> (bool, String) {
    let cfg = tmpdir(tag).join("c.yaml");
    std::fs::write(&cfg, yaml).unwrap();
    let out = sluice()
        .args(["config", "check"])
        .arg(&cfg)
        .output()
        .unwrap();
    let msg = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), msg)
}

#[test]
fn config_check_warns_of_a_certificate_the_proxy_could_not_read() {
    let (ok, msg) = config_check(
        "cfgtls",
        "listen:\n  addr: 127.0.0.1:0\n  tls:\n    cert: /nonexistent/cert.pem\n    key: /nonexistent/key.pem\nupstream:\n  url: http://127.0.0.1:9\n",
    );
    // Mounted Secrets are absent where configs are linted: a warning, not a failure.
    assert!(ok, "{msg}");
    assert!(
        msg.contains("warning: ")
            && msg.contains("c.yaml:3: key `listen.tls`")
            && msg.contains("/nonexistent/cert.pem"),
        "{msg}"
    );
}

#[test]
fn config_check_warns_of_a_restriction_escaped_by_dropping_the_credential() {
    let body = "listen:\n  addr: 127.0.0.1:0\nupstream:\n  url: http://127.0.0.1:9\nactions:\n  classes:\n    resident_id: redact\ninterfaces:\n  - name: persons\n    path: /persons/{id}\n    consumer_actions:\n      third-party:\n        resident_id: block\n";
    let (ok, msg) = config_check("cfganon", body);
    assert!(ok, "{msg}");
    assert!(
        msg.contains("warning: ")
            && msg.contains("key `interfaces[0].consumer_actions.third-party.resident_id`")
            && msg.contains("on_missing: reject"),
        "{msg}"
    );
    // On a conditional interface `anonymous` is refused anyway.
    let (ok, msg) = config_check(
        "cfganon3",
        &body.replace(
            "    consumer_actions:",
            "    sharing: conditional\n    consumers: [third-party]\n    consumer_actions:",
        ),
    );
    assert!(ok, "{msg}");
    assert!(!msg.contains("warning: "), "{msg}");
    // With callers that have no credential refused, there is nothing to escape.
    let (ok, msg) = config_check(
        "cfganon2",
        &format!("identity:\n  on_missing: reject\n  api_key:\n    header: x-api-key\n    keys: []\n{body}"),
    );
    assert!(ok, "{msg}");
    assert!(!msg.contains("warning: "), "{msg}");
}

/// `scan --token-key-file` writes the tokens the proxy writes with `rules.token_key_file`:
/// the same key gives the same token on every run, another key another one, and a key too
/// short to be one is refused by name.
#[test]
fn scan_tokens_follow_the_key_file() {
    let (d, rules) = pack_dir(
        "tokkey",
        "pack: t\nversion: 1\nrules:\n  - id: t.id\n    name: ID\n    class: resident_id\n    grade: core\n    match:\n      detector: resident_id_18\n    redact:\n      style: token\n    examples: [\"310115196710083665\"]\n    negative_examples: [\"310115196710083666\"]\n",
    );
    std::fs::write(d.join("b.json"), r#"{"sfzh":"310115196710083665"}"#).unwrap();
    for (name, key) in [
        ("k1", "first key, sixteen bytes or more"),
        ("k2", "another key, long enough as well"),
        ("short", "tooshort"),
    ] {
        std::fs::write(d.join(name), key).unwrap();
    }
    let run = |key: &str| {
        sluice()
            .args(["scan", "--redact", "--rules"])
            .arg(&rules)
            .arg("--token-key-file")
            .arg(d.join(key))
            .arg(d.join("b.json"))
            .output()
            .unwrap()
    };
    let (a, b, c) = (run("k1"), run("k1"), run("k2"));
    for o in [&a, &b, &c] {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(!String::from_utf8_lossy(&o.stdout).contains("310115196710083665"));
    }
    assert_eq!(a.stdout, b.stdout);
    assert_ne!(a.stdout, c.stdout);
    let s = run("short");
    let err = String::from_utf8_lossy(&s.stderr);
    assert!(
        !s.status.success() && err.contains("--token-key-file") && err.contains("16 bytes"),
        "{err}"
    );
}

#[test]
fn config_check_warns_of_a_token_key_the_proxy_could_not_use() {
    let key = tmpdir("cfgtokkey").join("key");
    std::fs::write(&key, "short\n").unwrap();
    let (ok, msg) = config_check(
        "cfgtok",
        &format!(
            "listen:\n  addr: 127.0.0.1:0\nupstream:\n  url: http://127.0.0.1:9\nrules:\n  token_key_file: {}\n",
            key.display()
        ),
    );
    assert!(ok, "{msg}");
    assert!(
        msg.contains("c.yaml:6: key `rules.token_key_file`") && msg.contains("16 bytes"),
        "{msg}"
    );
}

/// A rule directory that does not exist is an error of `rules.dir`, named with its line like
/// every other key's (it was `key 'rules'` with no line).
#[test]
fn config_check_names_the_line_of_a_missing_rule_directory() {
    let (ok, msg) = config_check(
        "cfgrulesdir",
        "listen:\n  addr: 127.0.0.1:0\nupstream:\n  url: http://127.0.0.1:9\nrules:\n  builtin: true\n  dir: /nonexistent-sluice-rules\n",
    );
    assert!(!ok, "{msg}");
    assert!(
        msg.contains("c.yaml:7: key `rules.dir`") && msg.contains("cannot read rule directory"),
        "{msg}"
    );
}

/// An audit file sink in a directory that does not exist: `run` would fail to open it, so
/// `config check` says so with the file and the line of `path` (a warning, like the other
/// files read at start: the directory is often a volume that only exists in the pod).
#[test]
fn config_check_warns_of_an_audit_sink_whose_directory_does_not_exist() {
    let (ok, msg) = config_check(
        "cfgauditdir",
        "listen:\n  addr: 127.0.0.1:0\nupstream:\n  url: http://127.0.0.1:9\naudit:\n  sink:\n    kind: file\n    path: /nonexistent-sluice-dir/audit.jsonl\n",
    );
    assert!(ok, "{msg}");
    assert!(
        msg.contains("warning: ")
            && msg.contains("c.yaml:8: key `audit.sink.path`")
            && msg.contains("directory /nonexistent-sluice-dir does not exist"),
        "{msg}"
    );
    // Flow style: the line of `sink`.
    let (ok, msg) = config_check(
        "cfgauditflow",
        "listen:\n  addr: 127.0.0.1:0\nupstream:\n  url: http://127.0.0.1:9\naudit:\n  sink: {kind: file, path: /nonexistent-sluice-dir/audit.jsonl}\n",
    );
    assert!(ok, "{msg}");
    assert!(msg.contains("c.yaml:6: key `audit.sink.path`"), "{msg}");
    // An existing directory: no warning.
    let dir = tmpdir("cfgauditok");
    let (ok, msg) = config_check(
        "cfgauditok2",
        &format!(
            "listen:\n  addr: 127.0.0.1:0\nupstream:\n  url: http://127.0.0.1:9\naudit:\n  sink:\n    kind: file\n    path: {}\n",
            dir.join("audit.jsonl").display()
        ),
    );
    assert!(ok && !msg.contains("audit.sink"), "{msg}");
}

/// `scan --rules DIR --with-builtin` scans with what the proxy runs (its packs and the
/// built-in ones); a config that loads no rule at all says so.
#[test]
fn scan_with_builtin_and_a_config_without_rules() {
    let (d, rules) = pack_dir(
        "withbuiltin",
        "pack: t\nversion: 1\nrules:\n  - id: t.code\n    name: Code\n    class: secret_code\n    grade: core\n    match:\n      pattern: 'SC-[0-9]{8}'\n    examples: ['SC-12345678', 'SC-12345679', 'SC-12345670']\n    negative_examples: ['SC-1', 'SC-2', 'SC-3']\n",
    );
    std::fs::write(
        d.join("b.json"),
        r#"{"sfzh":"11010519491231002X","c":"SC-12345678"}"#,
    )
    .unwrap();
    let rules_of = |extra: &[&str]| {
        let out = succeeded(
            sluice()
                .args(["scan", "--rules"])
                .arg(&rules)
                .args(extra)
                .arg(d.join("b.json")),
        );
        let mut ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["rule"].to_string())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(rules_of(&[]), ["\"t.code\""]);
    assert_eq!(
        rules_of(&["--with-builtin"]),
        ["\"cn.resident_id.18\"", "\"t.code\""]
    );
    let (ok, msg) = config_check(
        "norules",
        "listen:\n  addr: 127.0.0.1:0\nupstream:\n  url: http://127.0.0.1:9\nrules:\n  builtin: false\n",
    );
    assert!(ok && msg.contains("no rule is loaded"), "{msg}");
}

/// A docx-shaped archive: `scan` names the member of each finding (its offsets are the
/// member's), and `--redact` writes a ZIP whose member is redacted.
#[test]
fn scan_reads_the_members_of_a_zip_archive() {
    use std::io::{Cursor, Read};
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    w.start_file("word/document.xml", o).unwrap();
    w.write_all("<w:document><w:body><w:p><w:r><w:t>身份证号：11010519491231002X</w:t></w:r></w:p></w:body></w:document>".as_bytes())
        .unwrap();
    let docx = w.finish().unwrap().into_inner();
    let d = tmpdir("zip");
    std::fs::write(d.join("a.docx"), &docx).unwrap();
    let out = succeeded(sluice().arg("scan").arg(d.join("a.docx")));
    let text = String::from_utf8_lossy(&out.stdout);
    let line: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(line["member"], "word/document.xml", "{text}");
    assert_eq!(line["rule"], "cn.resident_id.18", "{text}");
    assert!(!text.contains("11010519491231002X"), "{text}");
    let red = redact("zip-redact", &docx, "application/octet-stream", "identity");
    let mut z = zip::ZipArchive::new(Cursor::new(&red[..])).unwrap();
    let mut doc = String::new();
    z.by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut doc)
        .unwrap();
    assert!(
        doc.starts_with("<w:document>") && doc.contains("身份证号："),
        "{doc}"
    );
    assert!(!doc.contains("11010519491231002X"), "{doc}");

    // A member this reader cannot inspect (an embedded legacy workbook): named on stderr, and
    // the exit status is 3, with or without --redact; the archive is still written.
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    w.start_file("word/embeddings/old.xls", o).unwrap();
    w.write_all(&[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 3, 0])
        .unwrap();
    w.start_file("word/document.xml", o).unwrap();
    w.write_all("<w:document><w:body><w:p><w:r><w:t>手机：13800138000</w:t></w:r></w:p></w:body></w:document>".as_bytes())
        .unwrap();
    let mixed = w.finish().unwrap().into_inner();
    std::fs::write(d.join("b.docx"), &mixed).unwrap();
    for redact in [false, true] {
        let mut cmd = sluice();
        cmd.arg("scan");
        if redact {
            cmd.arg("--redact");
        }
        let out = cmd.arg(d.join("b.docx")).output().unwrap();
        assert_eq!(out.status.code(), Some(3), "{out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("word/embeddings/old.xls"), "{err}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains("13800138000"), "{text}");
        if redact {
            assert!(zip::ZipArchive::new(Cursor::new(&out.stdout[..])).is_ok());
        }
    }
}

/// The write end of a pipe whose read end is closed already, so the first write to it fails
/// with EPIPE whatever the timing (a reader closed after the spawn may be too late).
fn closed_pipe() -> Stdio {
    use std::os::fd::{FromRawFd, OwnedFd};
    let mut fds = [0; 2];
    // SAFETY: `pipe` fills both descriptors on success; each is owned exactly once below.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    drop(read);
    Stdio::from(write)
}

/// A reader that stops reading (`sluice rules list | head -1`) ends a command with status 2
/// and nothing said, never a panic (status 101 and a backtrace on stderr).
#[test]
fn a_closed_stdout_ends_a_command_quietly() {
    let d = tmpdir("closed-stdout");
    let body = d.join("ids.txt");
    std::fs::write(&body, "身份证号：110105199003071239 ".repeat(2000)).unwrap();
    let commands: [&[&str]; 4] = [
        &["rules", "list"],
        &["rules", "check"],
        &["scan", body.to_str().unwrap()],
        &["scan", "--redact", body.to_str().unwrap()],
    ];
    for args in commands {
        let out = sluice()
            .args(args)
            .stdout(closed_pipe())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: {err}");
    }
}

/// `scan --redact` with stderr closed early (`2>&1 >out | head`): the redacted body still
/// comes out whole and the command succeeds; only the report on stderr is cut short.
#[test]
fn a_closed_stderr_costs_the_redact_report_not_the_body() {
    let d = tmpdir("closed-stderr");
    let body = d.join("ids.txt");
    std::fs::write(&body, "身份证号：110105199003071239 ".repeat(2000)).unwrap();
    let out = sluice()
        .args(["scan", "--redact"])
        .arg(&body)
        .stdout(Stdio::piped())
        .stderr(closed_pipe())
        .output()
        .unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    let redacted = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        redacted,
        "身份证号：110105********1239 ".repeat(2000),
        "the redacted body, whole"
    );
    // Warnings of a user rule set go to the same closed stderr.
    let (_, rules) = pack_dir(
        "closed-stderr-warn",
        "pack: t\nrules:\n  - id: t.r\n    name: r\n    class: c\n    grade: general\n    match: { pattern: 'GZ-[0-9]{8}' }\n",
    );
    let out = sluice()
        .args(["rules", "check"])
        .arg(&rules)
        .stdout(Stdio::piped())
        .stderr(closed_pipe())
        .output()
        .unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok:"));
}

/// `sluice scan ARGS -` with `body` on stdin, which must succeed.
fn scan_stdin(body: &[u8], args: &[&str]) -> std::process::Output {
    let mut child = sluice()
        .arg("scan")
        .args(args)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(body).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    out
}

/// `scan --show-values` gives the decoded value of a finding inside a base64 field value, as
/// for any other finding (it used to leave the `value` key out).
#[test]
fn scan_shows_the_decoded_value_of_a_base64_field() {
    // base64 of 110105199003071239
    let out = scan_stdin(
        br#"{"sfzh":"MTEwMTA1MTk5MDAzMDcxMjM5"}"#,
        &["--show-values"],
    );
    let f: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(f["value"], "110105199003071239", "{f}");
    assert_eq!(
        (f["start"].as_u64(), f["end"].as_u64()),
        (Some(9), Some(33))
    );
}

/// A failing example and a matching negative example are reported at their own lines, and
/// an unknown redact style at `redact.style`'s line, not at the rule's `id:` line.
#[test]
fn rules_check_names_the_failing_examples_own_line() {
    let pack = "pack: p\nrules:\n  - id: t.emp\n    name: Employee number\n    class: employee_no\n    grade: core\n    match:\n      pattern: 'GZ-[0-9]{8}'\n    redact:\n      style: label\n      label: \"[x]\"\n    examples:\n      - \"工号 GZ-20230001\"\n      - \"工号 GZ-2023000\"\n      - \"GZ-87654321\"\n    negative_examples:\n      - \"GZ-123\"\n      - \"GZ-1234567\"\n      - \"GZ-12345678\"\n";
    let (_, rules) = pack_dir("example-lines", pack);
    let out = sluice()
        .args(["rules", "check"])
        .arg(&rules)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("t.yaml:14: rule `t.emp`: example did not match: \"工号 GZ-2023000\""),
        "{err}"
    );
    assert!(
        err.contains("t.yaml:19: rule `t.emp`: negative example matched: \"GZ-12345678\""),
        "{err}"
    );
    std::fs::write(
        rules.join("t.yaml"),
        pack.replace("style: label", "style: blur"),
    )
    .unwrap();
    let out = sluice()
        .args(["rules", "check"])
        .arg(&rules)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "t.yaml:10: error: rule `t.emp`: key `redact.style`: unknown redact style `blur`"
        ),
        "{err}"
    );
}

/// `rules check` prints the same rule set id for the same packs however their directory is
/// spelled or wherever it was copied, so scripts can compare ids.
#[test]
fn rule_set_id_is_the_same_for_any_path_to_the_same_packs() {
    let d = tmpdir("rule-set-id");
    let packs = concat!(env!("CARGO_MANIFEST_DIR"), "/../rules/packs");
    for copy in ["a", "b"] {
        std::fs::create_dir_all(d.join(copy)).unwrap();
        for f in std::fs::read_dir(packs).unwrap() {
            let f = f.unwrap().path();
            std::fs::copy(&f, d.join(copy).join(f.file_name().unwrap())).unwrap();
        }
    }
    let id = |dir: &str| {
        let out = succeeded(sluice().current_dir(&d).args(["rules", "check", dir]));
        let s = String::from_utf8(out.stdout).unwrap();
        s.split("(rule set ").nth(1).unwrap().trim_end().to_string()
    };
    let abs = d.join("a");
    let first = id("a");
    for dir in ["./a", abs.to_str().unwrap(), "b", packs] {
        assert_eq!(id(dir), first, "{dir}");
    }
}

/// A user's rule with fewer than 3 examples or negative examples (the schema's bar, which
/// every built-in rule meets) passes `rules check` with a warning naming it; `*.yml` packs
/// are loaded as `*.yaml` ones are.
#[test]
fn rules_check_warns_of_a_rule_with_few_examples() {
    let d = tmpdir("few-examples");
    std::fs::write(
        d.join("p.yml"),
        "pack: p\nrules:\n  - id: t.emp\n    name: Employee number\n    class: employee_no\n    grade: core\n    match: { pattern: 'GZ-[0-9]{8}' }\n    examples: [\"GZ-20230001\"]\n    negative_examples: [\"GZ-1\", \"GZ-2\", \"GZ-3\"]\n",
    )
    .unwrap();
    let out = succeeded(sluice().args(["rules", "check"]).arg(&d));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("p.yml:8: warning: rule `t.emp`: key `examples`: rules should carry at least 3 examples and 3 negative_examples (this one has 1 and 3)"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&out.stdout)
        .starts_with("ok: 1 rules, 1 examples, 3 negative examples"));
    let builtin = succeeded(sluice().args(["rules", "check"]));
    assert!(
        builtin.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&builtin.stderr)
    );
}

/// `--content-encoding` takes a coding name in any case, and `x-gzip` as gzip (RFC 9110
/// §8.4.1.3), as the proxy reads the header.
#[test]
fn scan_takes_content_codings_in_any_case_and_x_gzip() {
    use flate2::{write::GzEncoder, Compression};
    let d = tmpdir("coding-names");
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(br#"{"sfzh":"110105199003071239"}"#).unwrap();
    std::fs::write(d.join("a.gz"), enc.finish().unwrap()).unwrap();
    for name in ["GZIP", "x-gzip", "X-Gzip"] {
        let out = succeeded(
            sluice()
                .args(["scan", "--content-encoding", name])
                .arg(d.join("a.gz")),
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.is_empty(), "{name}: {err}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("cn.resident_id.18"),
            "{name}"
        );
    }
    let out = sluice()
        .args(["scan", "--content-encoding", "compress"])
        .arg(d.join("a.gz"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "an unknown coding is refused");
}

/// What `scan --help` and the README say of a finding: `start..end` are bytes of the body in
/// its own charset covering the value as written (escapes, full-width digits), `value` the
/// value as read; `--redact` reports each finding on stderr at the same offsets.
#[test]
fn scan_offsets_cover_the_value_as_written() {
    let escaped = r#"{"sfzh":"\u0031\u0031\u0030\u0031\u0030\u0035\u0031\u0039\u0039\u0030\u0030\u0033\u0030\u0037\u0031\u0032\u0033\u0039"}"#;
    let fullwidth = "身份证号：１１０１０５１９９００３０７１２３９";
    let mut utf16 = vec![0xff, 0xfe];
    utf16.extend(
        "身份证号：110105199003071239"
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    for (body, written) in [
        (escaped.as_bytes().to_vec(), &escaped[9..escaped.len() - 2]),
        (fullwidth.as_bytes().to_vec(), &fullwidth[15..]),
        (utf16.clone(), ""),
    ] {
        let out = scan_stdin(&body, &["--show-values"]);
        let f: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(f["value"], "110105199003071239", "{f}");
        let (s, e) = (
            f["start"].as_u64().unwrap() as usize,
            f["end"].as_u64().unwrap() as usize,
        );
        if written.is_empty() {
            // UTF-16 with its BOM: 2 + 5 characters of 2 bytes before the value, 18 after.
            assert_eq!((s, e), (12, 48));
        } else {
            assert_eq!(&body[s..e], written.as_bytes());
        }
        let out = scan_stdin(&body, &["--redact"]);
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            format!("redacted cn.resident_id.18 (resident_id) at {s}..{e}\n")
        );
    }
    let help = succeeded(sluice().args(["scan", "--help"])).stdout;
    let help = String::from_utf8_lossy(&help);
    assert!(
        help.contains("byte offsets (end exclusive)")
            && help.contains("redacted RULE (CLASS) at START..END"),
        "{help}"
    );
}
