//! Values inside values, cut at every byte: formatting tags in JSON strings, empty elements
//! in XML text, base64 in MIME lines, base64 of gzip and zlib, JSON stringified twice. Each
//! gives the same output and findings whatever the chunking, stays valid for its type, and a
//! clean body with markup, quotes or binary base64 passes byte for byte. Compressed values
//! keep every gzip member and the bytes after a stream, and are read within a budget per body.
//! Also a table's column names given beside its rows (`meta.fields`), which the lexer must
//! carry from one member to the next whatever the chunking.

#[path = "common/chunked.rs"]
mod chunked;

use chunked::run;
use sluice_rules::Format;

fn every_cut(name: &str, body: &[u8], format: Format) -> (Vec<u8>, usize) {
    let (base_out, base_f) = run(body, format, &[]);
    let key = |f: &[sluice_rules::Finding]| {
        f.iter()
            .map(|f| (f.rule_id.to_string(), f.start, f.end, f.masked.to_string()))
            .collect::<Vec<_>>()
    };
    let mut bad = Vec::new();
    for c in 1..body.len() {
        let (out, f) = run(body, format, &[c]);
        if out != base_out || key(&f) != key(&base_f) {
            bad.push(c);
        }
    }
    // byte by byte
    let all: Vec<usize> = (1..body.len()).collect();
    let (out, f) = run(body, format, &all);
    let bytewise = out == base_out && key(&f) == key(&base_f);
    assert!(
        bad.is_empty() && bytewise,
        "{name}: chunking differs at cuts {:?} (bytewise same: {bytewise})\nwhole: {}\nfirst bad: {}",
        &bad[..bad.len().min(10)],
        String::from_utf8_lossy(&base_out),
        bad.first().map(|&c| String::from_utf8_lossy(&run(body, format, &[c]).0).into_owned()).unwrap_or_default()
    );
    (base_out, base_f.len())
}

#[test]
fn formatting_tags_in_json_strings_every_cut() {
    for body in [
        r#"{"hl":"138<em>0013</em>8000","t":"电话 138<b class=\"hl\">0013</b>8000","x":"<em>110105</em>19491231002X"}"#,
        r#"{"t":"Mobile<b>13800138000</b>","n":"a<5 and b>3","u":"138<a href=\"tel:1\">0013</a>8000"}"#,
        r#"{"a":"138<span></span>00138000","b":"<b><i>138</i></b>00138000","c":"138<wbr>0013<wbr/>8000"}"#,
        r#"["138<em>0013</em>8000", "13800138000<em></em>", "<em>13800138000</em>"]"#,
    ] {
        let (out, n) = every_cut("json-tags", body.as_bytes(), Format::Json);
        assert!(n > 0, "{body}");
        serde_json::from_slice::<serde_json::Value>(&out).expect("valid json");
    }
}

#[test]
fn empty_elements_in_xml_text_every_cut() {
    for body in [
        "<r><sjhm>138<span></span>00138000</sjhm><bz>电话138<b class=\"x\"></b>00138000</bz><bz>王芳<b></b></bz></r>",
        "<r><sjhm>138<span></span></sjhm><x>138<b></b><i></i>00138000</x><y>138<b></B>00138000</y></r>",
        "<r><sjhm>138<span></span ></sjhm><x>138<span></spanx>00138000</x></r>",
    ] {
        let (out, _) = every_cut("xml-empty", body.as_bytes(), Format::Xml);
        assert!(!String::from_utf8(out).unwrap().contains("13800138000"));
    }
}

fn b64(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn gz(b: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

#[test]
fn mime_base64_every_cut() {
    let doc = r#"{"sfzh":"11010519491231002X","xm":"王小明","sjhm":"13800138000","bz":"备注备注备注备注备注备注备注备注"}"#;
    let e = b64(doc.as_bytes());
    let lines: Vec<&str> = e
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let json = format!("{{\"payload\":\"{}\"}}", lines.join("\\r\\n"));
    let (out, n) = every_cut("mime-json", json.as_bytes(), Format::Json);
    assert_eq!(n, 3);
    serde_json::from_slice::<serde_json::Value>(&out).expect("valid json");
    let json_lf = format!("{{\"payload\":\"{}\"}}", lines.join("\\n"));
    every_cut("mime-json-lf", json_lf.as_bytes(), Format::Json);
    let xml = format!("<r><data>\n{}\n</data></r>", lines.join("\r\n"));
    every_cut("mime-xml", xml.as_bytes(), Format::Xml);
    let xml_ent = format!("<r><data>{}</data></r>", lines.join("&#13;&#10;"));
    let (_, n) = every_cut("mime-xml-entities", xml_ent.as_bytes(), Format::Xml);
    assert_eq!(n, 3);
}

#[test]
fn compressed_base64_and_double_stringified_every_cut() {
    let doc = r#"{"sfzh":"11010519491231002X","xm":"王小明","sjhm":"13800138000"}"#;
    let body = format!("{{\"data\":\"{}\"}}", b64(&gz(doc.as_bytes())));
    let (out, n) = every_cut("gzip", body.as_bytes(), Format::Json);
    assert_eq!(n, 3);
    serde_json::from_slice::<serde_json::Value>(&out).expect("valid json");
    let inner = r#"{"xm":"王小明","dz":"四川省成都市武侯区人民南路四段12号","hzhm":"E24661187"}"#;
    let once = serde_json::to_string(inner).unwrap();
    let twice = serde_json::to_string(&once).unwrap();
    let body = format!("{{\"data\":{twice}}}");
    let (out, n) = every_cut("double", body.as_bytes(), Format::Json);
    assert_eq!(n, 3);
    serde_json::from_slice::<serde_json::Value>(&out).expect("valid json");
    // a whole body that is a twice-stringified document
    let body = twice.clone();
    let (out, n) = every_cut("double-top", body.as_bytes(), Format::Json);
    assert_eq!(n, 3);
    serde_json::from_slice::<serde_json::Value>(&out).expect("valid json");
}

#[test]
fn clean_bodies_with_markup_quotes_and_binary_pass_byte_identical() {
    let clean = [
        (
            r#"{"html":"<p>Hello <b>world</b></p>","t":"<em>Annual</em> report <b>2024</b>","n":"a<b>c</b>d","x":"<span class=\"a\">foo</span><span>bar</span>"}"#,
            Format::Json,
        ),
        (
            r#"{"q":"\"{not json}\"","r":"\"[1, 2]\"","s":"\"{\"","t":"\"[x]\" and \"[y]\""}"#,
            Format::Json,
        ),
        (
            r#"{"t":"\"{a}\" or \"{b}\"","u":"\"[1,2]\",\"[3]\""}"#,
            Format::Json,
        ),
    ];
    for (body, fmt) in clean {
        let (out, f) = run(body.as_bytes(), fmt, &[]);
        assert!(
            f.is_empty() && out == body.as_bytes(),
            "{body}\n{}\n{f:?}",
            String::from_utf8_lossy(&out)
        );
    }
    // binary gzip and binary base64 in lines
    let bin: Vec<u8> = (0..3000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    for payload in [gz(&bin), bin.clone()] {
        let e = b64(&payload);
        let lines: Vec<&str> = e
            .as_bytes()
            .chunks(76)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        let body = format!("{{\"data\":\"{}\",\"d2\":\"{}\"}}", lines.join("\\r\\n"), e);
        let (out, f) = run(body.as_bytes(), Format::Json, &[]);
        assert!(f.is_empty() && out == body.as_bytes(), "{f:?}");
    }
}

/// Redacted output of odd quoted documents stays valid JSON.
#[test]
fn quoted_documents_stay_valid_json() {
    for body in [
        r#"{"t":"\"{13800138000}\" vs \"{x}\""}"#,
        r#"{"t":"\"{\\\"sjhm\\\":\\\"13800138000\\\"}\" and \"{}\""}"#,
        r#"{"t":"\"[13800138000]\""}"#,
        r#"{"t":"\"{ 手机 13800138000 }\""}"#,
        r#"{"t":"  \"[\\\"13800138000\\\", 1]\"  "}"#,
    ] {
        serde_json::from_str::<serde_json::Value>(body).expect("probe input is JSON");
        let (out, f) = run(body.as_bytes(), Format::Json, &[]);
        let s = String::from_utf8_lossy(&out);
        let v: serde_json::Value =
            serde_json::from_slice(&out).unwrap_or_else(|e| panic!("invalid json {e}: {s}"));
        assert!(
            f.is_empty() || !v["t"].as_str().unwrap().contains("13800138000"),
            "{s}"
        );
        every_cut("quoted", body.as_bytes(), Format::Json);
    }
}

/// Values near the test engine's 4 KiB window holding formatting tags and MIME base64.
#[test]
fn formatting_tags_near_the_window_every_cut() {
    for pad in [4000usize, 4060, 4090, 4100] {
        let filler = "x".repeat(pad);
        let body = format!(
            r#"{{"a":"{filler} 138<em>0013</em>8000","b":"138<em>0013</em>8000 {filler}"}}"#
        );
        let (out, _) = every_cut_sparse(&format!("tags-pad{pad}"), body.as_bytes(), Format::Json);
        serde_json::from_slice::<serde_json::Value>(&out).expect("valid json");
    }
}

fn every_cut_sparse(name: &str, body: &[u8], format: Format) -> (Vec<u8>, usize) {
    let (base_out, base_f) = run(body, format, &[]);
    let key = |f: &[sluice_rules::Finding]| {
        f.iter()
            .map(|f| (f.rule_id.to_string(), f.start, f.end))
            .collect::<Vec<_>>()
    };
    let mut bad = Vec::new();
    for c in (1..body.len())
        .step_by(13)
        .chain(body.len().saturating_sub(80)..body.len())
    {
        let (out, f) = run(body, format, &[c]);
        if out != base_out || key(&f) != key(&base_f) {
            bad.push(c);
        }
    }
    assert!(
        bad.is_empty(),
        "{name}: differs at {:?}",
        &bad[..bad.len().min(10)]
    );
    (base_out, base_f.len())
}

/// Every gzip member is data: one holding a value after one that holds none is read, and
/// both come back (masked) when the value is rewritten.
#[test]
fn every_gzip_member_is_read_and_kept() {
    use std::io::Read;
    let mut both = gz(br#"{"ok":"hello world"}"#);
    both.extend_from_slice(&gz(br#"{"sjhm":"13800138000","note":"SECOND MEMBER"}"#));
    let body = format!("{{\"data\":\"{}\"}}", b64(&both));
    let (out, f) = every_cut("two members", body.as_bytes(), Format::Json);
    assert_eq!(f, 1);
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(v["data"].as_str().unwrap())
        .unwrap();
    let mut plain = String::new();
    flate2::read::MultiGzDecoder::new(&bytes[..])
        .read_to_string(&mut plain)
        .unwrap();
    assert!(
        plain.contains("hello world") && plain.contains("SECOND MEMBER"),
        "{plain}"
    );
    assert!(plain.contains("138****8000"), "{plain}");
}

/// Bytes after a zlib stream are no compressed data: the stream is read, and a rewrite keeps
/// them after it as they were.
#[test]
fn bytes_after_a_zlib_stream_are_kept() {
    use std::io::{Read, Write};
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(br#"{"sjhm":"13800138000"}"#).unwrap();
    let mut z = e.finish().unwrap();
    z.extend_from_slice(b"TRAILER-SIGNATURE-0123456789");
    let body = format!("{{\"data\":\"{}\"}}", b64(&z));
    let (out, f) = run(body.as_bytes(), Format::Json, &[]);
    assert_eq!(f.len(), 1);
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(v["data"].as_str().unwrap())
        .unwrap();
    assert!(bytes.ends_with(b"TRAILER-SIGNATURE-0123456789"));
    let mut plain = String::new();
    flate2::read::ZlibDecoder::new(&bytes[..])
        .read_to_string(&mut plain)
        .unwrap();
    assert_eq!(plain, r#"{"sjhm":"138****8000"}"#);
}

/// Text whose first two bytes read as a zlib header (`x `, `80`, `HK`) but is no zlib stream
/// is scanned as the text it is.
#[test]
fn text_that_only_looks_compressed_is_read_as_text() {
    use base64::Engine as _;
    for prefix in ["x ", "80", "HK", "81"] {
        let text = format!("{prefix}号楼 王小明 手机13800138000 身份证11010519491231002X");
        let body = format!(
            "{{\"data\":\"{}\"}}",
            base64::engine::general_purpose::STANDARD.encode(&text)
        );
        let (_, f) = run(body.as_bytes(), Format::Json, &[]);
        assert_eq!(f.len(), 2, "{prefix}: {f:?}");
    }
}

/// Compressed values are read within 1 MiB per body together, and not inside what a value
/// decompressed to: twenty values that each inflate to about 1 MiB cost one, and the rest
/// come back as written (a few kilobytes must not make a stream scan megabytes).
#[test]
fn compressed_values_are_read_within_a_budget_per_body() {
    let bomb = b64(&gz(&vec![b'a'; 1000 * 1024]));
    let live = b64(&gz(br#"{"sjhm":"13800138000"}"#));
    let values: Vec<String> = (0..20).map(|_| format!("\"{bomb}\"")).collect();
    let body = format!("{{\"first\":\"{live}\",\"bombs\":[{}]}}", values.join(","));
    let (out, f) = run(body.as_bytes(), Format::Json, &[]);
    assert_eq!(f.len(), 1, "{f:?}");
    let out = String::from_utf8(out).unwrap();
    assert_eq!(out.matches(bomb.as_str()).count(), 20);
    // Nested: a compressed document holding compressed values is read one level deep.
    let inner = format!("{{\"v\":\"{live}\"}}");
    let body = format!("{{\"data\":\"{}\"}}", b64(&gz(inner.as_bytes())));
    let (_, f) = run(body.as_bytes(), Format::Json, &[]);
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn base64_tokens_inside_text_every_cut() {
    let id = b64(b"110101199003077774");
    let mobile = b64(b"13800138000");
    let doc = b64(br#"{"sfzh":"110101199003077774"}"#);
    let label = format!("身份证号：{id}，手机 13800138000，备用：{mobile}");
    let kv = format!("sfzh={id} xm=zhang note=ok");
    let json = format!(r#"{{"remark":"证件：{id}，请核对","x":"token {doc} end"}}"#);
    let (out, n) = every_cut("label", label.as_bytes(), Format::Text);
    assert_eq!(n, 3, "{}", String::from_utf8_lossy(&out));
    let out = String::from_utf8(out).expect("utf-8");
    assert!(!out.contains(&id) && !out.contains(&mobile), "{out}");
    assert!(
        out.starts_with("身份证号：") && out.contains("，备用："),
        "{out}"
    );
    let (out, n) = every_cut("kv", kv.as_bytes(), Format::Text);
    assert_eq!(n, 1);
    assert!(String::from_utf8_lossy(&out).ends_with(" xm=zhang note=ok"));
    let (out, n) = every_cut("json", json.as_bytes(), Format::Json);
    assert_eq!(n, 2);
    let v: serde_json::Value = serde_json::from_slice(&out).expect("valid json");
    assert!(!v.to_string().contains(&id) && !v.to_string().contains(&doc));
    // Short values of `key=value` pairs are judged under their key, as fields are: a
    // two-character name is 8 base64 characters.
    let name = b64("张伟".as_bytes());
    let log = format!("INFO xm={name} name: {name} sfzh={id} token=abcdEFGH1234 user=WangXiaoming");
    let (out, n) = every_cut("pairs", log.as_bytes(), Format::Text);
    assert_eq!(n, 3, "{}", String::from_utf8_lossy(&out));
    let out = String::from_utf8(out).expect("utf-8");
    assert!(!out.contains(&name) && !out.contains(&id), "{out}");
    assert!(
        out.ends_with(" token=abcdEFGH1234 user=WangXiaoming"),
        "{out}"
    );
    let json = format!(r#"{{"log":"INFO xm={name} done","n":"{name}"}}"#);
    let (out, n) = every_cut("pairs-json", json.as_bytes(), Format::Json);
    assert_eq!(n, 1, "{}", String::from_utf8_lossy(&out));
    let v: serde_json::Value = serde_json::from_slice(&out).expect("valid json");
    assert!(!v.to_string().contains(&id) && !v.to_string().contains(&doc));
}

#[test]
fn words_hashes_and_ids_are_no_base64_tokens() {
    for body in [
        "internationalization abcdefghijklmnopqrstuvwxyz 550e8400-e29b-41d4-a716-446655440000",
        "sha256=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 ok",
        // base64 of a clean sentence: decoded, nothing found, left as it is
        "note: VGhlIHF1aWNrIGJyb3duIGZveCBqdW1wcw== end",
        "path /api/v1/persons/export/AAAAAAAAAAAAAAAAAAAAAAA== done",
    ] {
        let (out, n) = every_cut("clean", body.as_bytes(), Format::Text);
        assert_eq!(n, 0, "{body}");
        assert_eq!(out, body.as_bytes());
    }
}

#[test]
fn base64_in_cdata_keeps_the_section_closed_every_cut() {
    let name = b64("张军".as_bytes());
    let id = b64(b"110101199003077774");
    for body in [
        format!("<r><xm><![CDATA[{name}]]></xm><sfzh><![CDATA[{id}]]></sfzh></r>"),
        format!("<r><sfzh>\n  <![CDATA[{id}]]>\n</sfzh><bz><![CDATA[证件：{id}]]></bz></r>"),
    ] {
        let (out, n) = every_cut("cdata", body.as_bytes(), Format::Xml);
        assert!(n >= 2, "{body}");
        let out = String::from_utf8(out).expect("utf-8");
        assert_eq!(
            out.matches("]]>").count(),
            body.matches("]]>").count(),
            "{out}"
        );
        assert!(!out.contains(&id) && !out.contains(&name), "{out}");
    }
}

/// Character references that are the text of an XML element, not its markup: written in a
/// CDATA section (which often holds HTML) or escaped once more (`&amp;#x31;`). A page shows
/// them as the digits, so they are read as such; the kept characters stay as written, and an
/// HTML document inside a CDATA section is written back unescaped, its markup and references
/// as they were.
#[test]
fn character_references_in_cdata_and_escaped_text_every_cut() {
    let refs = |s: &str| {
        s.chars()
            .map(|c| format!("&#x{:X};", c as u32))
            .collect::<String>()
    };
    let id = "11010519491231002X";
    let cases = [
        (
            format!("<r><sfzh><![CDATA[{}]]></sfzh></r>", refs(id)),
            format!(
                "<r><sfzh><![CDATA[{}{}{}]]></sfzh></r>",
                refs("110105"),
                "&#x2A;".repeat(8),
                refs("002X")
            ),
        ),
        (
            format!(
                "<r><bz><![CDATA[<p>a&amp;b {}19491231002X</p>]]></bz></r>",
                refs("110105")
            ),
            format!(
                "<r><bz><![CDATA[<p>a&amp;b {}********002X</p>]]></bz></r>",
                refs("110105")
            ),
        ),
        (
            "<r><bz>&amp;#49;3800138000 &amp;amp; &lt;b&gt;</bz></r>".to_string(),
            "<r><bz>&amp;#49;38****8000 &amp;amp; &lt;b&gt;</bz></r>".to_string(),
        ),
        (
            "<r><y a=\"&amp;#49;&amp;#51;&amp;#56;00138000\">x</y></r>".to_string(),
            "<r><y a=\"&amp;#49;&amp;#51;&amp;#56;****8000\">x</y></r>".to_string(),
        ),
    ];
    for (body, want) in cases {
        let (out, n) = every_cut("references", body.as_bytes(), Format::Xml);
        assert_eq!(n, 1, "{body}");
        assert_eq!(String::from_utf8_lossy(&out), want);
    }
    // References that spell nothing stay as they are.
    let clean =
        "<r><bz><![CDATA[<p>&#x4E2D;&#x6587; &#49;&#50;&#51;</p>]]></bz><x>&amp;#49;23</x></r>";
    let (out, n) = every_cut("clean references", clean.as_bytes(), Format::Xml);
    assert_eq!((out.as_slice(), n), (clean.as_bytes(), 0));
}

/// A token is read whole wherever it falls against the windows of a long text: one that
/// starts before a window's commit point and ends after it, or one whose run a commit point
/// cuts, is found once, in the window it starts in.
#[test]
fn base64_tokens_across_window_edges() {
    let id = b64(b"110101199003077774");
    let name = b64("张伟".as_bytes());
    let filler = "ab cd ".repeat(2000);
    for pad in 3900..4200 {
        for (label, token) in [("证件号码：", &id), ("xm=", &name)] {
            let body = format!(
                "{} {label}{token} 请核对 {}",
                &filler[..pad],
                &filler[..3000]
            );
            let (out, f) = run(body.as_bytes(), Format::Text, &[]);
            assert_eq!(f.len(), 1, "pad {pad} {label}");
            let out = String::from_utf8(out).expect("utf-8");
            assert!(!out.contains(token.as_str()), "pad {pad} {label}");
        }
    }
}

/// A JWT's parts are base64url that decodes to JSON, but its claims are signed: it passes as
/// it was, while a token beside it is read.
#[test]
fn jwts_pass_whole() {
    let header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";
    let claims = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        r#"{"name":"张伟","sfzh":"110101199003077774"}"#,
    );
    let jwt = format!("{header}.{claims}.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c");
    let body = format!(
        r#"{{"access_token":"{jwt}","log":"Bearer {jwt} id={}"}}"#,
        b64(b"110101199003077774")
    );
    let (out, n) = every_cut_sparse("jwt", body.as_bytes(), Format::Json);
    assert_eq!(n, 1);
    let out = String::from_utf8(out).expect("utf-8");
    assert_eq!(out.matches(&jwt).count(), 2, "{out}");
}

#[test]
fn columns_in_a_meta_member_every_cut() {
    let body = r#"{"meta":{"fields":[{"name":"xm"},{"name":"zjhm"}]},"data":[["王建平","110105710524571"],["李娜","110105710524572"]]}"#;
    let (out, n) = every_cut("meta-fields", body.as_bytes(), Format::Json);
    assert_eq!(n, 4, "{}", String::from_utf8_lossy(&out));
}

/// `capture_values` (`scan --show-values`) reaches the nested scans of decoded values: a
/// finding inside a base64 field or a MIME encoded-word carries its decoded value, as any
/// other finding does, while its offsets stay those of the encoded text.
#[test]
fn captured_values_of_findings_inside_decoded_values() {
    let engine = chunked::engine();
    let scan = |body: &[u8], format: Format| {
        engine
            .scan_bytes(
                body,
                sluice_rules::ScanOptions {
                    format,
                    capture_values: true,
                    ..sluice_rules::ScanOptions::default()
                },
            )
            .findings
    };
    let body = format!(r#"{{"sfzh":"{}"}}"#, b64(b"110105199003071239"));
    let f = scan(body.as_bytes(), Format::Json);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].value.as_deref(), Some("110105199003071239"));
    assert_eq!((f[0].start, f[0].end), (9, 33), "the base64 text's span");

    let mail = "From: a@example.gov.cn\r\nSubject: =?UTF-8?B?6Lqr5Lu96K+B5Y+3MTEwMTA1MTk5MDAzMDcxMjM5?=\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nhello\r\n";
    let f = scan(
        mail.as_bytes(),
        Format::resolve(Some("message/rfc822"), mail.as_bytes()),
    );
    let id = f
        .iter()
        .find(|f| &*f.class == "resident_id")
        .expect("found");
    assert_eq!(id.value.as_deref(), Some("110105199003071239"), "{f:?}");
}

/// Text after a CSV cell's closing quote (`"张三"11010519491231002X`, a log line's
/// `"sfzh":"3101…"}` read as CSV) or after a lone CR in a bare cell is kept by a reader of
/// the table (Python's `csv` appends it to the cell): it was skipped unread (probe 61). It
/// is read as a value of the same column, whatever the chunking, and a clean table with
/// such text passes byte for byte.
#[test]
fn text_after_a_closing_quote_in_csv_every_cut() {
    for (body, want) in [
        (
            "xm,sfzh\n\"张三\"11010519491231002X,\"x\" 13800138000\n",
            "xm,sfzh\n\"张*\"110105********002X,\"x\" 138****8000\n",
        ),
        (
            "a,b\nb={\"x\":\"1\",\"sfzh\":\"31010419741010073X\"}\n",
            "a,b\nb={\"x\":\"1\",\"sfzh\":\"310104********073X\"}\n",
        ),
        (
            "a@|@b\n\"x\"13800138000@|@y\n",
            "a@|@b\n\"x\"138****8000@|@y\n",
        ),
        ("a,b\nx\r13800138000,y\n", "a,b\nx\r138****8000,y\n"),
        ("a,b\n\"x\"yz , w\n\"q\"\r\n", "a,b\n\"x\"yz , w\n\"q\"\r\n"),
    ] {
        let (out, _) = every_cut("csv-after-quote", body.as_bytes(), Format::Csv);
        assert_eq!(String::from_utf8_lossy(&out), want, "{body:?}");
    }
}
