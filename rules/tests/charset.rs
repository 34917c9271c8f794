//! Bodies in GBK / GB18030 and UTF-16: reading one is transparent. Such a body's redaction,
//! decoded, is the redaction of the same text sent as UTF-8, for every chunking; what is not
//! redacted passes byte for byte (malformed sequences included); findings name raw-body
//! offsets; and GBK and UTF-16 bodies are recognised without a declaration.

#[path = "common/chunked.rs"]
mod chunked;

use chunked::{cases, run, run_in, scan_with};
use encoding_rs::{GB18030, GBK, UTF_16BE, UTF_16LE};
use proptest::prelude::*;
use sluice_rules::{Charset, Format};

/// Pieces of bodies: identifiers in their evasions, Chinese labels, names and addresses
/// that only a decoder can see, and characters GBK lacks (GB18030 writes them in four bytes).
const FRAGMENTS: &[&str] = &[
    "11010519491231002X",
    "１１０１０５１９４９１２３１００２Ｘ",
    "110105　19491231　002X",
    "1101\u{200B}0519491231002X",
    "13800138000",
    "１３８－００１３－８０００",
    "6222021234567890123",
    "91350100M000100Y43",
    "1855608457214033729",
    "京A12345",
    "机密★1年",
    "姓名：张三，",
    "住址：北京市朝阳区建国路88号3栋501室。",
    "联系人为王芳(",
    "办理成功",
    "😀",
    "À",
    "€",
    "{\"xm\":\"李娜\",\"dz\":\"上海市浦东新区世纪大道100号\"}",
    "<xm>赵丽颖</xm>",
    "\\u5f20\\u4e09",
    "&#x5F20;",
    "\"",
    ",",
    "\n",
    " ",
    ":",
];

fn body_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec(0..FRAGMENTS.len(), 1..80)
        .prop_map(|ix| ix.into_iter().map(|i| FRAGMENTS[i]).collect())
}

fn formats() -> impl Strategy<Value = Format> {
    prop_oneof![
        Just(Format::Json),
        Just(Format::Xml),
        Just(Format::Csv),
        Just(Format::Form),
        Just(Format::Text)
    ]
}

fn gb18030(s: &str) -> Vec<u8> {
    GB18030.encode(s).0.into_owned()
}

/// `s` in `charset`, and back.
fn encode_in(s: &str, charset: Charset) -> Vec<u8> {
    match charset {
        Charset::Utf16Le => s.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        Charset::Utf16Be => s.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        Charset::Utf32Le => s.chars().flat_map(|c| (c as u32).to_le_bytes()).collect(),
        Charset::Utf32Be => s.chars().flat_map(|c| (c as u32).to_be_bytes()).collect(),
        _ => gb18030(s),
    }
}

fn decode_in(b: &[u8], charset: Charset) -> String {
    // No crate here reads UTF-32 (the WHATWG standard leaves it out): the standard
    // library's `char::from_u32` is the reference.
    if matches!(charset, Charset::Utf32Le | Charset::Utf32Be) {
        return b
            .chunks(4)
            .map(|u| {
                let mut a = [0u8; 4];
                a[..u.len()].copy_from_slice(u);
                let cp = if charset == Charset::Utf32Be {
                    u32::from_be_bytes(a)
                } else {
                    u32::from_le_bytes(a)
                };
                char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER)
            })
            .collect();
    }
    let enc = match charset {
        Charset::Utf16Le => UTF_16LE,
        Charset::Utf16Be => UTF_16BE,
        _ => GB18030,
    };
    enc.decode_without_bom_handling(b).0.into_owned()
}

fn charsets() -> impl Strategy<Value = Charset> {
    prop_oneof![
        Just(Charset::Gb18030),
        Just(Charset::Utf16Le),
        Just(Charset::Utf16Be),
        Just(Charset::Utf32Le),
        Just(Charset::Utf32Be)
    ]
}

fn gbk(s: &str) -> Vec<u8> {
    GBK.encode(s).0.into_owned()
}

fn decode(b: &[u8]) -> String {
    GB18030.decode_without_bom_handling(b).0.into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(300), ..ProptestConfig::default() })]

    // The same text, as GB18030 or UTF-16 and as UTF-8: the same findings, and the redacted
    // body decodes to the redacted UTF-8 one, however it is cut.
    #[test]
    fn other_charsets_read_like_utf8(text in body_strategy(), format in formats(), charset in charsets(), mut cuts in prop::collection::vec(0usize..6000, 0..30)) {
        cuts.sort_unstable();
        let raw = encode_in(&text, charset);
        let (want_out, want) = run_in(text.as_bytes(), format, Charset::Utf8, &[]);
        let (out, got) = run_in(&raw, format, charset, &cuts);
        let rules = |f: &[sluice_rules::Finding]| f.iter().map(|f| (f.rule_id.clone(), f.masked.clone())).collect::<Vec<_>>();
        prop_assert_eq!(rules(&got), rules(&want));
        prop_assert_eq!(decode_in(&out, charset), String::from_utf8_lossy(&want_out).into_owned());
        // Offsets are raw: each finding's raw bytes decode to the text the UTF-8 run found.
        for (g, w) in got.iter().zip(&want) {
            let g_text = decode_in(&raw[g.start as usize..g.end as usize], charset);
            prop_assert_eq!(g_text.as_bytes(), &text.as_bytes()[w.start as usize..w.end as usize]);
        }
    }

    // Sniffed: a body that opens with Chinese text is recognised as GB18030 whatever the
    // chunking, and gives what the declared charset gives.
    #[test]
    fn sniffed_equals_declared(text in body_strategy(), format in formats(), mut cuts in prop::collection::vec(0usize..3000, 0..30)) {
        cuts.sort_unstable();
        let raw = gb18030(&format!("ok 数据共享交换平台查询结果如下 {text}"));
        let declared = run_in(&raw, format, Charset::Gb18030, &[]);
        let sniffed = run_in(&raw, format, Charset::Auto, &cuts);
        prop_assert_eq!(&sniffed.1, &declared.1);
        prop_assert!(sniffed.0 == declared.0, "output differs");
    }

    // UTF-16 with a byte-order mark, or without one but starting with ASCII, is recognised
    // and read as declared, whatever the chunking.
    #[test]
    fn utf16_is_sniffed(text in body_strategy(), format in formats(), be in any::<bool>(), bom in any::<bool>(), mut cuts in prop::collection::vec(0usize..6000, 0..30)) {
        cuts.sort_unstable();
        let cs = if be { Charset::Utf16Be } else { Charset::Utf16Le };
        let mut raw = match (bom, be) {
            (false, _) => Vec::new(),
            (true, false) => vec![0xFF, 0xFE],
            (true, true) => vec![0xFE, 0xFF],
        };
        raw.extend(encode_in(&format!("ok: {text}"), cs));
        let declared = run_in(&raw, format, cs, &[]);
        let sniffed = run_in(&raw, format, Charset::Auto, &cuts);
        prop_assert_eq!(&sniffed.1, &declared.1);
        prop_assert!(sniffed.0 == declared.0, "output differs");
    }

    // Arbitrary bytes read as GB18030 or UTF-16: no panic, the same result for every cut,
    // and without findings the body unchanged.
    #[test]
    fn arbitrary_bytes_in_other_charsets(body in prop::collection::vec(any::<u8>(), 0..1500), format in formats(), charset in charsets(), cut in 0usize..1500) {
        let whole = run_in(&body, format, charset, &[]);
        let cut = run_in(&body, format, charset, &[cut]);
        prop_assert_eq!(&whole.1, &cut.1);
        prop_assert!(whole.0 == cut.0);
        if whole.1.is_empty() {
            prop_assert_eq!(whole.0, body);
        }
    }
}

#[test]
fn gbk_xml_is_redacted_and_stays_gbk() {
    let doc = "<?xml version=\"1.0\" encoding=\"GBK\"?><r><xm>张伟</xm>\
               <dz>北京市朝阳区建国路88号</dz><sfzh>１１０１０５１９４９１２３１００２Ｘ</sfzh>\
               <bz>处理成功</bz></r>";
    let raw = gbk(doc);
    let (out, findings) = run(&raw, Format::Xml, &[50, 51, 77]);
    let classes: Vec<&str> = findings.iter().map(|f| &*f.class).collect();
    assert_eq!(classes, ["person_name", "address", "resident_id"]);
    // The output is GBK, with the values gone and everything else as it was.
    let (text, _, bad) = GBK.decode(&out);
    assert!(!bad);
    assert!(
        !text.contains("张伟") && !text.contains("建国路88号"),
        "{text}"
    );
    assert!(!text.contains("１００２Ｘ"), "{text}");
    assert!(text.contains("<bz>处理成功</bz>"), "{text}");
    // Offsets are the raw GBK body's: the name is the four bytes after `<xm>`.
    let xm = raw.windows(4).position(|w| w == b"<xm>").expect("xm") + 4;
    assert_eq!(
        (findings[0].start, findings[0].end),
        (xm as u64, xm as u64 + 4)
    );
}

/// Probe 58: one GBK character that is also two-byte UTF-8 (`女`, `C5 AE`, Latin `Ů`) and
/// ASCII to the end of the first window: the longer window decides, and finds the GBK
/// full-width digits after it, however the body is cut.
#[test]
fn gbk_json_whose_first_window_reads_as_utf8_is_sniffed() {
    let raw = gbk(
        r#"[{"g":"女","updateTime":"2022-11-01 02:15:31"},{"gender":"1","contactPhone":"１５５８５２１２１４８"}]"#,
    );
    for cuts in [
        &[][..],
        &[8],
        &[8, 40, 75, 78],
        &[1, 2, 3, 4, 5, 6, 7, 8, 9, 70, 71, 72],
    ] {
        let (out, findings) = run(&raw, Format::Json, cuts);
        assert_eq!(findings.len(), 1, "{cuts:?} {findings:?}");
        assert!(!decode(&out).contains("１５５８５２１２１４８"), "{cuts:?}");
    }
}

#[test]
fn undeclared_gbk_json_is_sniffed() {
    let raw = gbk("{\"xm\":\"王芳\",\"lxdh\":\"１３８００１３８０００\",\"bz\":\"身份证号11010519491231002X\"}");
    let (out, findings) = run(&raw, Format::Json, &[]);
    assert_eq!(findings.len(), 3, "{findings:?}");
    let text = decode(&out);
    for v in ["王芳", "１３８００１３８０００", "11010519491231002X"] {
        assert!(!text.contains(v), "{text}");
    }
}

#[test]
fn clean_gb_body_with_malformed_bytes_is_byte_identical() {
    // A clean GBK body with a stray lead byte, a bad 0xFF and the euro byte 0x80, which do
    // not survive a decode and re-encode: they must survive the scan.
    let mut raw = gbk("<?xml version=\"1.0\" encoding=\"GBK\"?><r><msg>处理成功");
    raw.extend([0xB0, b'<', 0xFF, 0x80]);
    raw.extend(gbk("</msg><bz>无</bz></r>"));
    for cuts in [
        vec![],
        vec![45, 46, 47, 48, 49, 50],
        (1..raw.len()).collect(),
    ] {
        let (out, findings) = run(&raw, Format::Xml, &cuts);
        assert!(findings.is_empty(), "{findings:?}");
        assert_eq!(out, raw);
    }
}

#[test]
fn utf8_and_binary_bodies_are_not_taken_for_gbk() {
    // UTF-8 Chinese, Latin-1 text and binary bytes read as before.
    let utf8 = "{\"xm\":\"张伟\",\"bz\":\"办理成功\"}";
    let (out, findings) = run(utf8.as_bytes(), Format::Json, &[9]);
    assert_eq!(findings.len(), 1);
    assert!(std::str::from_utf8(&out).is_ok());
    for body in [
        &b"caf\xE9 cr\xE8me br\xFBl\xE9e"[..],
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xD5\xC5",
    ] {
        let (out, findings) = run(body, Format::Text, &[]);
        assert!(findings.is_empty());
        assert_eq!(out, body);
    }
}

#[test]
fn utf8_body_that_starts_inside_a_character_is_read_as_utf8() {
    // The tail of a UTF-8 log or a piece of a split export: its first bytes end a character.
    // With them in front, the Chinese and full-width text reads as clean GBK too, and was
    // read so: the name, the full-width ID and mobile and the address all went through.
    let text =
        "丰的身份证号是１１０１０５１９４９１２３１００２Ｘ，手机号码１３８００１３８０００，\
                住址北京市朝阳区和平街９４２号。联系人王小明。";
    for cut in 1..=2 {
        let raw = &text.as_bytes()[cut..];
        // `丰` is three bytes: what is left of it.
        let stray = 3 - cut;
        for cuts in [vec![], vec![1, 2, 3, 40], (1..raw.len()).collect()] {
            let (out, findings) = run(raw, Format::Text, &cuts);
            let rules: Vec<&str> = findings.iter().map(|f| &*f.rule_id).collect();
            for want in [
                "cn.resident_id.18",
                "cn.mobile",
                "cn.address",
                "cn.person_name",
            ] {
                assert!(rules.contains(&want), "cut {cut}: {rules:?}");
            }
            // The stray bytes pass as they came; the output is the redacted UTF-8 text.
            assert_eq!(&out[..stray], &raw[..stray]);
            let rest = std::str::from_utf8(&out[stray..]).expect("utf-8 after the cut");
            assert!(!rest.contains("１３８００１３８０００"), "{rest}");
        }
    }
}

#[test]
fn utf16_csv_export_is_redacted_and_stays_utf16() {
    // Excel's "Unicode text": UTF-16LE with a mark, tab-separated, CRLF.
    let text = "姓名\t身份证号\t手机\r\n张伟\t11010519491231002X\t13800138000\r\n";
    let mut raw = vec![0xFF, 0xFE];
    raw.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let (out, findings) = run(&raw, Format::Csv, &[3, 4, 5, 77]);
    assert_eq!(findings.len(), 3, "{findings:?}");
    assert_eq!(&out[..2], &[0xFF, 0xFE]);
    let back = decode_in(&out[2..], Charset::Utf16Le);
    assert_eq!(
        back,
        "姓名\t身份证号\t手机\r\n张*\t110105********002X\t138****8000\r\n"
    );
    // A clean UTF-16 body, an unpaired surrogate included, passes unchanged.
    let mut clean = vec![0xFF, 0xFE];
    clean.extend("办理成功 ok".encode_utf16().flat_map(u16::to_le_bytes));
    clean.extend([0x00, 0xD8, b'o', 0x00]);
    for cuts in [vec![], (1..clean.len()).collect()] {
        let (out, findings) = run(&clean, Format::Text, &cuts);
        assert!(findings.is_empty());
        assert_eq!(out, clean);
    }
}

/// Findings of a scan that only reports, for a body cut at `cuts`.
fn report_in(
    body: &[u8],
    format: Format,
    charset: Charset,
    cuts: &[usize],
) -> Vec<(String, u64, u64)> {
    let opts = sluice_rules::ScanOptions {
        format,
        redact: false,
        charset,
        ..sluice_rules::ScanOptions::default()
    };
    let (_, findings) = scan_with(&chunked::engine(), body, opts, cuts);
    findings
        .iter()
        .map(|f| (f.rule_id.to_string(), f.start, f.end))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(200), ..ProptestConfig::default() })]

    // A scan that only reports names the same raw offsets as one that redacts (it once let
    // go of its offset map while the open value's findings were still to come).
    #[test]
    fn reporting_names_the_same_offsets(text in body_strategy(), format in formats(), charset in charsets(), mut cuts in prop::collection::vec(0usize..6000, 0..20)) {
        cuts.sort_unstable();
        let raw = encode_in(&text, charset);
        let (_, redacting) = run_in(&raw, format, charset, &[]);
        let want: Vec<_> = redacting.iter().map(|f| (f.rule_id.to_string(), f.start, f.end)).collect();
        prop_assert_eq!(report_in(&raw, format, charset, &cuts), want);
        // The same when the charset is found out after ASCII that holds values.
        let raw = gb18030(&format!("ok 13800138000 数据共享交换平台查询结果如下 {text}"));
        let (_, redacting) = run_in(&raw, format, Charset::Auto, &[]);
        let want: Vec<_> = redacting.iter().map(|f| (f.rule_id.to_string(), f.start, f.end)).collect();
        prop_assert_eq!(report_in(&raw, format, Charset::Auto, &cuts), want);
    }
}

#[test]
fn a_wrong_label_or_a_stray_mark_hides_nothing() {
    let body = "{\"sfzh\":\"11010519491231002X\",\"sjh\":\"13800138000\",\"xm\":\"张伟\"}";
    let want = report_in(body.as_bytes(), Format::Json, Charset::Utf8, &[]);
    assert_eq!(want.len(), 3);
    // UTF-8 declared GBK: the bytes win.
    assert_eq!(
        report_in(body.as_bytes(), Format::Json, Charset::DeclaredGb, &[]),
        want
    );
    // UTF-8 declared UTF-16: the label is not trusted at all.
    let cs = Charset::from_content_type("application/json; charset=utf-16");
    assert_eq!(report_in(body.as_bytes(), Format::Json, cs, &[]), want);
    // Two bytes of a byte-order mark in front of UTF-8 text do not make it UTF-16.
    let as_text = report_in(body.as_bytes(), Format::Text, Charset::Auto, &[]);
    assert!(as_text.len() >= 2);
    for mark in [[0xFF, 0xFE], [0xFE, 0xFF]] {
        let mut raw = mark.to_vec();
        raw.extend_from_slice(body.as_bytes());
        let got = report_in(&raw, Format::Text, Charset::Auto, &[1, 2, 3]);
        let shifted: Vec<_> = as_text
            .iter()
            .map(|(r, s, e)| (r.clone(), s + 2, e + 2))
            .collect();
        assert_eq!(got, shifted, "{mark:?}");
    }
    // GBK declared and GBK it is.
    let (_, f) = run_in(&gbk(body), Format::Json, Charset::DeclaredGb, &[]);
    assert_eq!(f.len(), 3);
}

/// A replacement that is not ASCII (a label in Chinese) over a value found before the charset
/// is known is written in the charset the body turns out to have, whatever the chunking.
#[test]
fn replacements_wait_for_the_charset() {
    let pack = r#"pack: label
version: 1
rules:
  - id: t.id
    name: ID with a Chinese label
    description: test
    class: resident_id
    grade: important
    match:
      detector: resident_id_18
    redact:
      style: label
      label: "[身份证号]"
    examples: ["11010519491231002X", "身份证 11010519491231002X", "id 11010519491231002X"]
    negative_examples: ["11010519491231002Y", "110105194912310021", "x"]
"#;
    let engine = std::sync::Arc::new(
        sluice_rules::Engine::builder()
            .source("label.yaml", pack)
            .build()
            .expect("pack compiles"),
    );
    let mut body = b"{\"sfzh\":\"11010519491231002X\",\"bz\":\"".to_vec();
    body.extend(gbk(&"处理成功，".repeat(8)));
    body.extend(b"\"}");
    let first_non_ascii = body.iter().position(|&b| b >= 0x80).expect("GBK text");
    let scan = |cuts: &[usize]| {
        let opts = sluice_rules::ScanOptions {
            format: Format::Json,
            redact: true,
            ..sluice_rules::ScanOptions::default()
        };
        scan_with(&engine, &body, opts, cuts).0
    };
    let whole = scan(&[]);
    assert!(decode(&whole).contains("[身份证号]"), "{}", decode(&whole));
    for cut in [first_non_ascii, first_non_ascii + 1, 40] {
        assert_eq!(scan(&[cut]), whole, "cut at {cut}");
    }
}

#[test]
fn declared_gbk_whose_first_characters_are_also_utf8_stays_gbk() {
    // `住址` in GBK is `D7 A1 D6 B7`, valid two-byte UTF-8 (two Hebrew code points): when it
    // is the only non-ASCII text near the start (an element name before a value written in
    // character references), the declaration is believed, and the element names the field.
    let value: String = "四川省成都市武侯区中山路328号3号楼5单元876室"
        .chars()
        .map(|c| format!("&#{};", u32::from(c)))
        .collect();
    let doc = format!("<?xml version=\"1.0\" encoding=\"GBK\"?><r><住址>{value}</住址></r>");
    let raw = gbk(&doc);
    for cuts in [vec![], vec![40, 41, 42, 43]] {
        for charset in [Charset::Auto, Charset::DeclaredGb] {
            let (out, findings) = run_in(&raw, Format::Xml, charset, &cuts);
            let classes: Vec<&str> = findings.iter().map(|f| &*f.class).collect();
            assert_eq!(classes, ["address"], "{charset:?} {cuts:?}");
            let text = decode(&out);
            assert!(text.contains("<住址>"), "{text}");
            assert!(!text.contains("&#27494;&#20399;"), "{text}");
        }
    }
    // The same bytes of two-byte UTF-8 in a body declared GB with Chinese UTF-8 text after
    // them read as UTF-8.
    let utf8 = "<?xml version=\"1.0\" encoding=\"GBK\"?><r><n>José</n><xm>张伟</xm></r>";
    let (out, findings) = run_in(utf8.as_bytes(), Format::Xml, Charset::DeclaredGb, &[]);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(std::str::from_utf8(&out).is_ok_and(|t| t.contains("José")));
    // A UTF-8 body mislabelled GBK whose first non-ASCII character is Latin-1's, with the
    // Chinese far after it, stays UTF-8.
    let utf8 = format!(
        "{{\"t\":\"36.5°C\",\"pad\":\"{}\",\"xm\":\"张伟\"}}",
        "x".repeat(100)
    );
    let (out, findings) = run_in(utf8.as_bytes(), Format::Json, Charset::DeclaredGb, &[]);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(std::str::from_utf8(&out).is_ok_and(|t| t.contains("36.5°C") && !t.contains("张伟")));
}

#[test]
fn declared_gbk_whose_characters_read_as_latin1_stays_gbk() {
    // `卢` is `C2 AC` and `鲁` is `C2 B3` in GBK, the UTF-8 of `¬` and `³`: a body declared
    // GBK that holds no other non-ASCII text near the start was read as UTF-8, and the name
    // and the plate went through.
    for (body, class, secret) in [
        ("{\"xm\":\"卢伟\",\"bz\":\"ok\"}", "person_name", "伟"),
        ("{\"cph\":\"鲁A12345\"}", "licence_plate", "2345"),
    ] {
        let raw = gbk(body);
        assert!(std::str::from_utf8(&raw).is_ok(), "{body}: valid UTF-8 too");
        let (out, findings) = run_in(&raw, Format::Json, Charset::DeclaredGb, &[]);
        let classes: Vec<&str> = findings.iter().map(|f| &*f.class).collect();
        assert_eq!(classes, [class], "{body}");
        assert!(!decode(&out).contains(secret), "{}", decode(&out));
    }
    // UTF-8 mislabelled GBK whose first non-ASCII character is a symbol after a quote or a
    // space, the Chinese far after it, stays UTF-8.
    for sym in ["¥128.00", "© 2024", "°C", "é"] {
        let body = format!(
            "{{\"t\":\"{sym}\",\"pad\":\"{}\",\"xm\":\"张伟\"}}",
            "x".repeat(100)
        );
        let (out, findings) = run_in(body.as_bytes(), Format::Json, Charset::DeclaredGb, &[]);
        assert_eq!(findings.len(), 1, "{sym}: {findings:?}");
        assert!(
            std::str::from_utf8(&out).is_ok_and(|t| t.contains(sym)),
            "{sym}"
        );
    }
}
