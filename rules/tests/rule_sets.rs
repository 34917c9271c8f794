//! Rule-set loading: the built-in packs compile and pass their own examples, every rule
//! carries enough examples, and a broken rule is rejected whole with file, line, rule id and
//! key named.

use std::sync::Arc;

use sluice_rules::{check, Engine, GradeScheme};

#[test]
fn builtin_packs_pass_their_examples() {
    let e = Arc::new(Engine::builtin().expect("built-in packs compile"));
    let rep = check::run(&e);
    let msgs: Vec<String> = rep.failures.iter().map(|f| f.to_string()).collect();
    assert!(rep.ok(), "{}", msgs.join("\n"));
    assert!(rep.rules >= 15);
}

#[test]
fn every_builtin_rule_has_three_examples_each_way() {
    for src in sluice_rules::rule::builtin_sources() {
        let rules = sluice_rules::rule::parse_sources(std::slice::from_ref(&src)).expect("parses");
        for r in rules {
            assert!(
                r.def.examples.len() >= 3,
                "{}: {} examples",
                r.def.id,
                r.def.examples.len()
            );
            assert!(
                r.def.negative_examples.len() >= 3,
                "{}: {} negative examples",
                r.def.id,
                r.def.negative_examples.len()
            );
        }
    }
}

#[test]
fn builtin_packs_on_disk_match_the_embedded_ones() {
    let disk = Engine::builder()
        .dir(concat!(env!("CARGO_MANIFEST_DIR"), "/packs"))
        .build()
        .expect("disk packs");
    let embedded = Engine::builtin().expect("embedded");
    let ids = |e: &Engine| {
        let mut v = e
            .rules()
            .iter()
            .map(|r| r.id.to_string())
            .collect::<Vec<_>>();
        v.sort();
        v
    };
    assert_eq!(ids(&disk), ids(&embedded));
}

fn build(yaml: &str) -> Result<Engine, sluice_rules::RuleError> {
    Engine::builder().source("packs/test.yaml", yaml).build()
}

const GOOD: &str = r#"pack: test
version: 1
rules:
  - id: t.card
    name: Card
    class: bank_card
    grade: important
    match:
      detector: bank_card
    examples: ["6222021234567890123"]
    negative_examples: ["6222021234567890124"]
"#;

#[test]
fn a_good_pack_builds() {
    let e = build(GOOD).expect("builds");
    assert_eq!(e.rules().len(), 1);
}

#[test]
fn unknown_grade_names_file_line_rule_and_key() {
    let err = build(&GOOD.replace("grade: important", "grade: secretish")).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("packs/test.yaml:7"), "{msg}");
    assert!(msg.contains("rule `t.card`"), "{msg}");
    assert!(msg.contains("key `grade`"), "{msg}");
    assert!(msg.contains("core, important, general"), "{msg}");
}

#[test]
fn configurable_grades_are_honoured() {
    let scheme = GradeScheme::new(["L5", "L4", "L3", "L2", "L1"]).unwrap();
    let e = Engine::builder()
        .grades(scheme)
        .source("x.yaml", GOOD.replace("important", "L4"))
        .build()
        .unwrap();
    assert_eq!(&*e.rules()[0].grade.name, "L4");
    assert_eq!(e.rules()[0].grade.rank, 1);
}

#[test]
fn unknown_keys_are_rejected_with_a_line() {
    let err = build(&GOOD.replace("    class: bank_card", "    clas: bank_card")).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("packs/test.yaml:"), "{msg}");
    assert!(msg.contains("clas"), "{msg}");
}

#[test]
fn unknown_detector_and_validator_are_errors() {
    let err = build(&GOOD.replace("detector: bank_card", "detector: bank_cards")).unwrap_err();
    assert!(
        err.to_string().contains("unknown detector `bank_cards`"),
        "{err}"
    );
    let y = GOOD
        .replace("detector: bank_card", "pattern: 'AB[0-9]{4}'")
        .replace("    examples:", "    validator: luhnn\n    examples:");
    let err = build(&y).unwrap_err();
    assert!(
        err.to_string().contains("unknown validator `luhnn`"),
        "{err}"
    );
}

#[test]
fn unbounded_patterns_are_rejected() {
    let err = build(&GOOD.replace("detector: bank_card", "pattern: 'ID[0-9]+'")).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("unbounded repetition"), "{msg}");
    assert!(msg.contains("key `match.pattern`"), "{msg}");
}

/// A bounded pattern whose counted repetitions nest into hundreds of repeats scanned a
/// megabyte of one letter in 20 seconds: refused at load, with the reason; the nested
/// repeats the built-in markings use (a product of 6) still load.
#[test]
fn nested_counted_repetitions_are_rejected() {
    let err = build(&GOOD.replace(
        "detector: bank_card",
        "pattern: '(?:a{1,9}|a{1,8}|a{1,7}){1,80}b'",
    ))
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("nested inside each other allow 720 repeats"),
        "{msg}"
    );
    // Nested but small: a host name's labels.
    let host = GOOD
        .replace(
            "detector: bank_card",
            "pattern: 'host (?:[a-z0-9-]{1,63}\\.){1,4}gov'",
        )
        .replace("\"6222021234567890123\"", "\"host www.mps.gov\"")
        .replace("\"6222021234567890124\"", "\"host gov\"");
    build(&host).unwrap();
    assert!(msg.contains("key `match.pattern`"), "{msg}");
    let ok = GOOD
        .replace(
            "detector: bank_card",
            "pattern: 'NO(?:[0-9]{1,2} {0,1}){1,3}X'",
        )
        .replace("\"6222021234567890123\"", "\"NO12 34X\"")
        .replace("\"6222021234567890124\"", "\"NOX\"");
    build(&ok).unwrap();
}

#[test]
fn unanchored_patterns_warn() {
    let e = build(&GOOD.replace("detector: bank_card", "pattern: '[0-9]{6}[A-Z]{2}'"))
        .expect("warning only");
    assert!(e
        .warnings()
        .iter()
        .any(|w| w.warning && w.message.contains("no literal anchor")));
}

#[test]
fn one_broken_rule_rejects_the_whole_set_and_every_error_is_listed() {
    let y = format!(
        "{GOOD}{}",
        r#"  - id: t.bad1
    name: x
    class: c
    grade: nope
    match: { detector: mobile }
  - id: t.bad2
    name: y
    class: c
    grade: general
    match: { pattern: '(' }
"#
    );
    let err = build(&y).unwrap_err();
    let errors: Vec<_> = err.errors().collect();
    assert_eq!(errors.len(), 2, "{err}");
    assert!(
        errors
            .iter()
            .any(|d| d.rule.as_deref() == Some("t.bad1") && d.line == Some(15)),
        "{err}"
    );
    assert!(
        errors
            .iter()
            .any(|d| d.rule.as_deref() == Some("t.bad2") && d.line == Some(21)),
        "{err}"
    );
}

#[test]
fn yaml_syntax_errors_have_a_line() {
    let err = build("pack: x\nrules:\n  - id: a\n    name: [unclosed\n").unwrap_err();
    let d = &err.diagnostics[0];
    assert!(d.line.is_some(), "{err}");
}

#[test]
fn duplicate_ids_are_rejected() {
    let y = format!("{GOOD}{}", &GOOD[GOOD.find("  - id").unwrap()..]);
    let err = build(&y).unwrap_err();
    assert!(err.to_string().contains("duplicate rule id"), "{err}");
}

/// The built-in rules' redacted output for `text` read as `format`.
fn redacted(format: sluice_rules::Format, text: &str) -> String {
    let e = Arc::new(Engine::builtin().expect("built-in packs compile"));
    let opts = sluice_rules::ScanOptions {
        format,
        redact: true,
        ..Default::default()
    };
    String::from_utf8(e.scan_bytes(text.as_bytes(), opts).output).expect("utf-8")
}

/// Labelled values in free text: labels written without a colon, and `label：value` pairs
/// run together on one line, where a value must end before the next label.
#[test]
fn text_labels_without_colons_and_run_together() {
    let redact = |text: &str| redacted(sluice_rules::Format::Text, text);
    for (input, want) in [
        (
            "经办人孙桂香，联系电话13800138000，现住福建省嘉禾市平山巢湖街c座 546281。",
            "经办人孙**，联系电话138****8000，现住福建省嘉禾市******* ******。",
        ),
        (
            "姓名：张伟性别：男住址：上海市浦东新区世纪大道100号身份证号码：310115196710083665",
            "姓名：张*性别：男住址：上海市浦东新*********身份证号码：310115********3665",
        ),
        (
            "姓名：张伟 性别：男 住址：上海市浦东新区世纪大道100号 手机号：13800138000",
            "姓名：张* 性别：男 住址：上海市浦东新********* 手机号：138****8000",
        ),
        ("联系人为王芳，地址不详", "联系人为王*，地址不详"),
        // Role words followed by ordinary words, and places that are no address.
        (
            "申请人向本院提出申请，联系人信息如下，负责人相关.全部地址组织城市一些无法活动.",
            "申请人向本院提出申请，联系人信息如下，负责人相关.全部地址组织城市一些无法活动.",
        ),
        (
            "IP地址不详，住在北京，户主关系：子",
            "IP地址不详，住在北京，户主关系：子",
        ),
        // A gender after a name marks it; a run of text before one does not.
        (
            "张伟，男，1949年出生。原告王芳，女，汉族。参加会议的人员，女，男各半；男女比例均衡。",
            "张*，男，1949年出生。原告王*，女，汉族。参加会议的人员，女，男各半；男女比例均衡。",
        ),
        // `label value` lines, set apart by spaces or a tab: the value may end its line.
        (
            "姓名 张伟\n手机 13800138000\n联系人\t王芳\n负责人 相关\n申请人 单位",
            "姓名 张*\n手机 138****8000\n联系人\t王*\n负责人 相关\n申请人 单位",
        ),
    ] {
        assert_eq!(redact(input), want, "{input}");
    }
}

/// Digits in groups: an identifier with no check character inside a longer chain of groups
/// (an ID with a wrong check digit written in fours) is no identifier, and a card number is
/// not the start of a longer number; whole chains, country codes and extensions still are.
#[test]
fn digit_groups_inside_longer_chains() {
    let redact = |text: &str| redacted(sluice_rules::Format::Text, text);
    for (input, want) in [
        ("证件 1101 0519 4912 3100 20", "证件 1101 0519 4912 3100 20"),
        ("证件 4403 0519 8909 2588 12", "证件 4403 0519 8909 2588 12"),
        ("证件 4403 0519 8900 0003 0X", "证件 4403 0519 8900 0003 0X"),
        ("证件 4403 0519 8909 2588 1X", "证件 4403 05** **** **88 1X"),
        ("卡号 4403 0519 8909 2588", "卡号 4403 **** **** 2588"),
        ("电话 +86 138 0013 8000", "电话 +86 138 **** 8000"),
        (
            "电话 13800138000 139 0013 9000",
            "电话 138****8000 139 **** 9000",
        ),
        ("电话 010-6234-5678-801", "电话 010-6***-*678-801"),
    ] {
        assert_eq!(redact(input), want, "{input}");
    }
}

/// A label after a comma that starts with 住 (`，住所地 `, `，住址`): the label is the whole
/// word, so the value is masked from its first character, and a label followed by a space
/// (no colon) still gives the address its context.
#[test]
fn address_labels_that_open_with_zhu_after_a_comma() {
    let redact = |text: &str| redacted(sluice_rules::Format::Text, text);
    for label in [
        "住所地 ",
        "住所地",
        "住址 ",
        "住址",
        "住所 ",
        "住在",
        "住",
        "住所地为",
    ] {
        let input = format!("备注，{label}山东省临沂市沂南县清水镇张湾村8组3号，原");
        let want = format!("备注，{label}山东省临沂市*************，原");
        assert_eq!(redact(&input), want, "{input}");
    }
}

/// A number spelled one digit per group after its country code, however the code is
/// written (`+86 1 3 8…`, `+ 8 6 - 1 3 8…`, ideographic spaces folded to spaces): the number
/// is judged as it is without the code. A code before digits that spell nothing stays
/// unmasked.
#[test]
fn spaced_digits_after_a_country_code() {
    let redact = |text: &str| redacted(sluice_rules::Format::Text, text);
    for (input, want) in [
        (
            "电话 + 8 6 - 1 3 8 0 0 1 3 8 0 0 0 完",
            "电话 + 8 6 - 1 3 8 * * * * 8 0 0 0 完",
        ),
        (
            "电话 8 6 - 1 3 8 0 0 1 3 8 0 0 0",
            "电话 8 6 - 1 3 8 * * * * 8 0 0 0",
        ),
        (
            "电话 0 0 8 6 - 1 3 8 0 0 1 3 8 0 0 0",
            "电话 0 0 8 6 - 1 3 8 * * * * 8 0 0 0",
        ),
        (
            "电话 +86 1 3 8 0 0 1 3 8 0 0 0",
            "电话 +86 1 3 8 * * * * 8 0 0 0",
        ),
        (
            "电话 +86-1 3 8 0 0 1 3 8 0 0 0",
            "电话 +86-1 3 8 * * * * 8 0 0 0",
        ),
        (
            "电话\u{3000}+\u{3000}8\u{3000}6\u{3000}-\u{3000}1\u{3000}3\u{3000}8\u{3000}0\u{3000}0\u{3000}1\u{3000}3\u{3000}8\u{3000}0\u{3000}0\u{3000}0",
            "电话\u{3000}+\u{3000}8\u{3000}6\u{3000}-\u{3000}1\u{3000}3\u{3000}8\u{3000}*\u{3000}*\u{3000}*\u{3000}*\u{3000}8\u{3000}0\u{3000}0\u{3000}0",
        ),
        // Not a mobile after the code (a bad prefix), and a code with too few digits after it.
        (
            "编号 8 6 - 1 2 3 4 5 6 7 8 9 0 1",
            "编号 8 6 - 1 2 3 4 5 6 7 8 9 0 1",
        ),
        ("编号 +86 1 3 8 0 0 1 3", "编号 +86 1 3 8 0 0 1 3"),
    ] {
        assert_eq!(redact(input), want, "{input}");
    }
}

/// A name in parts with a space in it (`阿　依古丽·买买提`, `艾力 · 吐尔逊`), typed so or put
/// there to slip by, is the name without the spaces, as a padded Han name is.
#[test]
fn names_in_parts_with_a_space() {
    let json = |text: &str| redacted(sluice_rules::Format::Json, text);
    for (input, want) in [
        (
            "{\"xm\":\"阿\u{3000}依古丽·买买提\"}",
            "{\"xm\":\"阿\u{3000}***·***\"}",
        ),
        ("{\"xm\":\"艾力 · 吐尔逊\"}", "{\"xm\":\"艾* · ***\"}"),
        ("{\"xm\":\"王 芳\"}", "{\"xm\":\"王 *\"}"),
        // Words with dots and spaces are no name.
        ("{\"xm\":\"v1.2 beta\"}", "{\"xm\":\"v1.2 beta\"}"),
    ] {
        assert_eq!(json(input), want, "{input}");
    }
    let csv = redacted(
        sluice_rules::Format::Csv,
        "姓名,备注\n艾\u{3000}力·吐尔逊,无\n",
    );
    assert_eq!(csv, "姓名,备注\n艾\u{3000}*·***,无\n");
}

/// Groups set apart by dots, slashes or underscores are an identifier only in the layout
/// people write it in; versions, OIDs, dates, amounts and addresses of IPv4 are not.
#[test]
fn digit_groups_set_apart_by_dots_slashes_or_underscores() {
    let redact = |text: &str| redacted(sluice_rules::Format::Text, text);
    for (input, want) in [
        ("电话 138.0013.8000 完", "电话 138.****.8000 完"),
        ("电话 138/0013/8000 完", "电话 138/****/8000 完"),
        ("电话 138_0013_8000 完", "电话 138_****_8000 完"),
        ("电话 138 - 0013 - 8000 完", "电话 138 - **** - 8000 完"),
        ("电话 +86.138.0013.8000 完", "电话 +86.138.****.8000 完"),
        (
            "证件 110101.19900307.1233 完",
            "证件 110101.********.1233 完",
        ),
        (
            "证件 110101/1990/0307/1233 完",
            "证件 110101/****/****/1233 完",
        ),
        (
            "卡号 6222.0212.3456.7890.128 完",
            "卡号 6222.****.****.***0.128 完",
        ),
        ("座机 010.6234.5678 完", "座机 010.6***.*678 完"),
        // Not identifiers.
        ("版本 10.0.19041.1415 完", "版本 10.0.19041.1415 完"),
        (
            "OID 1.2.840.113549.1.1.11 完",
            "OID 1.2.840.113549.1.1.11 完",
        ),
        ("金额 13800138000.46 完", "金额 13800138000.46 完"),
        ("编号 1380.0138.000 完", "编号 1380.0138.000 完"),
        ("日期 2024/11/23 13:00 完", "日期 2024/11/23 13:00 完"),
        ("路径 a/1380/0138/000 完", "路径 a/1380/0138/000 完"),
        (
            "卡号 62220212.34567890.128 完",
            "卡号 62220212.34567890.128 完",
        ),
        ("混合 138.0013 8000 完", "混合 138.0013 8000 完"),
        ("区间 15000 - 200000 元", "区间 15000 - 200000 元"),
        (
            "路径 /data/0755/2023/1231.log 完",
            "路径 /data/0755/2023/1231.log 完",
        ),
        // A chain of dots or slashes ends where a space or a hyphen follows: the next
        // number starts at its last group.
        (
            "电话 13800138000/0755-86013388 完",
            "电话 138****8000/0755-****3388 完",
        ),
        ("1.138 0013 8000 完", "1.138 **** 8000 完"),
        (
            "2.6222 0212 3456 7890 128 完",
            "2.6222 **** **** ***0 128 完",
        ),
        ("1.110101 19900307 1233 完", "1.110101 ******** 1233 完"),
    ] {
        assert_eq!(redact(input), want, "{input}");
    }
}

/// Groups set apart by a separator nobody writes an identifier with (a tilde, a middle dot,
/// `+`, `*`, `#`): an evasion, taken in the identifier's own grouping and only under its
/// field name or after a keyword. A list's or a row's separator (a pipe, a tab, a comma, a
/// semicolon, `、`) needs the field name: a keyword nearby is as often a row's label.
#[test]
fn digit_groups_set_apart_by_loose_separators() {
    let text = |t: &str| redacted(sluice_rules::Format::Text, t);
    let json = |t: &str| redacted(sluice_rules::Format::Json, t);
    for (input, want) in [
        ("电话 138~0013~8000 完", "电话 138******8000 完"),
        ("电话 138·0013·8000 完", "电话 138·****·8000 完"),
        ("电话 138#0013#8000 完", "电话 138******8000 完"),
        // A whole mobile beside the chain keeps its own place.
        (
            "电话 13800138000,13900139000 完",
            "电话 138****8000,139****9000 完",
        ),
        // No keyword: a range, a list.
        ("138~0013~8000", "138~0013~8000"),
        ("编号 138,0013,8000 完", "编号 138,0013,8000 完"),
        // A list's or a row's separator after a keyword: a row of numbers.
        ("电话 138|0013|8000 完", "电话 138|0013|8000 完"),
        ("手机,150,2023,1234", "手机,150,2023,1234"),
        (
            "身份证号 110105、19491231、002X 完",
            "身份证号 110105、19491231、002X 完",
        ),
    ] {
        assert_eq!(text(input), want, "{input}");
    }
    assert_eq!(
        json(r#"{"sjhm":"138~0013~8000","yhkh":"6222·0202·0011·2345·679","bz":"138~0013~8000"}"#),
        r#"{"sjhm":"138******8000","yhkh":"6222·****·****·***5·679","bz":"138~0013~8000"}"#
    );
    // Under the field's own name every one of them is the identifier.
    assert_eq!(
        json("{\"sjhm\":\"138|0013|8000\",\"sfzh\":\"110105、19491231、002X\",\"lxdh\":\"138\\t0013\\t8000\"}"),
        "{\"sjhm\":\"138******8000\",\"sfzh\":\"110105**********002X\",\"lxdh\":\"138******8000\"}"
    );
    assert_eq!(
        json(r#"{"category":"手机","stats":"150|2023|1234","rows":["手机,150,2023,1234"]}"#),
        r#"{"category":"手机","stats":"150|2023|1234","rows":["手机,150,2023,1234"]}"#
    );
    // Only in the identifier's grouping: a mobile's digits in fours are no mobile.
    assert_eq!(
        json(r#"{"sjhm":"1380~0138~000"}"#),
        r#"{"sjhm":"1380~0138~000"}"#
    );
}

/// A link, address or number in angle brackets is text, not a tag (the `Link` header's
/// `<https://…>`, `<zhangsan@example.cn>`, `<13800138000>`), as a body, as a JSON value and
/// inside markup, where a `<` no tag opens with is text too.
#[test]
fn angle_brackets_that_open_no_tag_are_text() {
    let json = |t: &str| redacted(sluice_rules::Format::Json, t);
    let xml = |t: &str| redacted(sluice_rules::Format::Xml, t);
    assert_eq!(
        json(
            r#"{"a":"<13800138000>","b":"<https://x.gov/p/11010519491231002X>","c":"<zhangsan@example.cn>","d":"<b>13900139000</b>"}"#
        ),
        r#"{"a":"<138****8000>","b":"<https://x.gov/p/110105********002X>","c":"<z*******@example.cn>","d":"<b>139****9000</b>"}"#
    );
    assert_eq!(
        xml("<p>电话<13800138000></p><p>a < 13900139000</p><p>a <</p>"),
        "<p>电话<138****8000></p><p>a < 139****9000</p><p>a <</p>"
    );
    // A URI in angle brackets inside markup: a scheme, `:` and a digit, `+` or `/`.
    assert_eq!(
        xml(
            "<p>call <tel:13800138000> or <https://x.gov/p/11010519491231002X></p><ns2:a>x</ns2:a>"
        ),
        "<p>call <tel:138****8000> or <https://x.gov/p/110105********002X></p><ns2:a>x</ns2:a>"
    );
    for (body, format) in [
        (
            "<https://x.gov/p/13800138000>; rel=\"next\"",
            sluice_rules::Format::Text,
        ),
        ("<13800138000>", sluice_rules::Format::Text),
        ("<zhangsan@example.cn>", sluice_rules::Format::Text),
        (
            "</p?mobile=13800138000>; rel=\"next\"",
            sluice_rules::Format::Text,
        ),
        ("</soap:Body>", sluice_rules::Format::Xml),
        (
            "<tel:13800138000>; rel=\"contact\"",
            sluice_rules::Format::Text,
        ),
        ("<u13800138000>", sluice_rules::Format::Text),
        ("<ns2:Body>", sluice_rules::Format::Xml),
        ("<a href=\"x\">", sluice_rules::Format::Xml),
        ("<br/>", sluice_rules::Format::Xml),
        ("<soap:Envelope>", sluice_rules::Format::Xml),
        ("<", sluice_rules::Format::Xml),
    ] {
        assert_eq!(
            sluice_rules::Format::sniff(body.as_bytes()),
            format,
            "{body}"
        );
    }
}

/// Log events shipped one line per value (an NDJSON export of a log store, an array of log
/// lines): a MyBatis `Parameters:` or `Row:` value takes its columns from the `Preparing:` or
/// `Columns:` value before it, the same thread's when the line names one.
#[test]
fn mybatis_lines_one_per_value() {
    let json = |t: &str| redacted(sluice_rules::Format::Json, t);
    assert_eq!(
        json(concat!(
            r#"{"logger":"c.g.PersonMapper.insert","message":"==>  Preparing: INSERT INTO t_person (xm, zz, hzhm) VALUES (?, ?, ?)"}"#,
            "\n",
            r#"{"logger":"c.g.PersonMapper.insert","message":"==> Parameters: 王建国(String), 北京市朝阳区建国路88号(String), E12345678(String)"}"#,
            "\n"
        )),
        concat!(
            r#"{"logger":"c.g.PersonMapper.insert","message":"==>  Preparing: INSERT INTO t_person (xm, zz, hzhm) VALUES (?, ?, ?)"}"#,
            "\n",
            r#"{"logger":"c.g.PersonMapper.insert","message":"==> Parameters: 王**(String), 北京市朝阳区******(String), E*****678(String)"}"#,
            "\n"
        )
    );
    assert_eq!(
        json(
            r#"["DEBUG <==    Columns: id, xm, hzhm","DEBUG <==        Row: 1, 王建国, E12345678","DEBUG <==        Row: 2, 李秀英, G12345678"]"#
        ),
        r#"["DEBUG <==    Columns: id, xm, hzhm","DEBUG <==        Row: 1, 王**, E*****678","DEBUG <==        Row: 2, 李**, G*****678"]"#
    );
    // A row holding a mobile reads as a record row of its own too: it is still a row of
    // its statement's columns (the passport is known only by its column).
    assert_eq!(
        json(r#"["<==    Columns: id, hzhm, sjhm","<==        Row: 1, J54743554, 13800138000"]"#),
        r#"["<==    Columns: id, hzhm, sjhm","<==        Row: 1, J*****554, 138****8000"]"#
    );
    // Interleaved threads: each `Parameters:` takes its own thread's statement.
    assert_eq!(
        json(concat!(
            r#"["[exec-1] ==>  Preparing: SELECT * FROM t WHERE xm = ?","#,
            r#""[exec-2] ==>  Preparing: SELECT * FROM t WHERE title = ?","#,
            r#""[exec-2] ==> Parameters: 王建国(String)","#,
            r#""[exec-1] ==> Parameters: 李秀英(String)"]"#
        )),
        concat!(
            r#"["[exec-1] ==>  Preparing: SELECT * FROM t WHERE xm = ?","#,
            r#""[exec-2] ==>  Preparing: SELECT * FROM t WHERE title = ?","#,
            r#""[exec-2] ==> Parameters: 王建国(String)","#,
            r#""[exec-1] ==> Parameters: 李**(String)"]"#
        )
    );
}

/// Two spaces between digit groups are a wide separator or the gap between two columns of an
/// aligned listing (`ps`, `top`, a product table): the groups are joined only in the layout an
/// identifier is written in, never into one number from neighbouring cells.
#[test]
fn digit_groups_two_spaces_apart() {
    let redact = |text: &str| redacted(sluice_rules::Format::Text, text);
    for (input, want) in [
        ("电话 138  0013  8000 完", "电话 138  ****  8000 完"),
        (
            "证件 110101  19900307  1233 完",
            "证件 110101  ********  1233 完",
        ),
        (
            "卡号 6222  0212  3456  7890  128 完",
            "卡号 6222  ****  ****  ***0  128 完",
        ),
        // Cells of listings: RES and SHR in `top`, %MEM, VSZ and RSS in `ps`, a barcode and
        // a price.
        (
            "91600  root   20  0   833420   151422  22741  S  39.2",
            "91600  root   20  0   833420   151422  22741  S  39.2",
        ),
        (
            "mysql     3919862  51.4  29.5  26912838  6187649  ?    Ssl",
            "mysql     3919862  51.4  29.5  26912838  6187649  ?    Ssl",
        ),
        (
            "3     康师傅方便面  康师  5344352615082  640.82   MBP软件传媒有限公司",
            "3     康师傅方便面  康师  5344352615082  640.82   MBP软件传媒有限公司",
        ),
        // A value alone in its cell is still found.
        (
            "3     张三  13800138000  北京",
            "3     张三  138****8000  北京",
        ),
        // Two spaces after a number (a column gap, padding) or between two numbers leave
        // each number as it was.
        ("电话 010-62345678  张三", "电话 010-6****678  张三"),
        (
            "张三  010-62345678  13800138000",
            "张三  010-6****678  138****8000",
        ),
        (
            "身份证 1101 0519 4912 3100 2X  男",
            "身份证 1101 05** **** **00 2X  男",
        ),
        // A dotted quad after a number starts its own candidate (it was taken into the
        // number's chain and lost).
        ("IP 63 172.26.234.105 完", "IP 63 172.**.***.*** 完"),
        ("IP 63d  172.26.234.105 完", "IP 63d  172.**.***.*** 完"),
    ] {
        assert_eq!(redact(input), want, "{input}");
    }
}

/// A table written as arrays takes its field names from the header: each cell is judged as a
/// value of its column (`{"columns":["xm","dz"],"rows":[["张三","…"]]}`).
#[test]
fn json_tables_written_as_arrays() {
    let redact = |text: &str| redacted(sluice_rules::Format::Json, text);
    for (input, want) in [
        (
            r#"{"columns":["xm","dz","bz"],"rows":[["张三","北京市朝阳区长安街1号","王府井"],["李四",null,"x"]]}"#,
            r#"{"columns":["xm","dz","bz"],"rows":[["张*","北京市朝阳区*****","王府井"],["李*",null,"x"]]}"#,
        ),
        (
            r#"{"data":{"fields":["name","note"],"list":[["王小明", "王芳"]]}}"#,
            r#"{"data":{"fields":["name","note"],"list":[["王**", "王芳"]]}}"#,
        ),
        (
            r#"{"columns":[{"name":"XM","type":"VARCHAR"},{"type":"INT"},{"code":"dz"}],"rows":[["张三",1,"北京市朝阳区长安街1号"]]}"#,
            r#"{"columns":[{"name":"XM","type":"VARCHAR"},{"type":"INT"},{"code":"dz"}],"rows":[["张*",1,"北京市朝阳区*****"]]}"#,
        ),
        // An array of arrays whose first row is its header (an export's sheet).
        (
            r#"[["姓名","身份证号","家庭住址"],["王建国","320102198802294565","北京市朝阳区建国路88号院3号楼501室"],["李娜",null,"x"]]"#,
            r#"[["姓名","身份证号","家庭住址"],["王**","320102********4565","北京市朝阳区**************"],["李*",null,"x"]]"#,
        ),
        (
            r#"{"list":[["xm","dz"],["张三","北京市朝阳区长安街1号"]]}"#,
            r#"{"list":[["xm","dz"],["张*","北京市朝阳区*****"]]}"#,
        ),
        // A first row holding a number or a container is data, a two-string first row
        // whose second string names nothing is a pair, and one that names nothing at all is
        // no header.
        (
            r#"[["xm","bz",1],["张三","王芳",2]]"#,
            r#"[["xm","bz",1],["张三","王芳",2]]"#,
        ),
        (
            r#"[["xm",["bz"]],["张三","王芳"]]"#,
            r#"[["xm",["bz"]],["张三","王芳"]]"#,
        ),
        (
            r#"[["xm","张伟"],["bz","王芳"]]"#,
            r#"[["xm","张*"],["bz","王芳"]]"#,
        ),
        (
            r#"[["序号","备注"],["1","张三"]]"#,
            r#"[["序号","备注"],["1","张三"]]"#,
        ),
        // One known name in the first row is as often a list of label rows: each pair keeps
        // its own name.
        (
            r#"[["证件类型","身份证"],["证件号码","E12345678"],["姓名","张三"]]"#,
            r#"[["证件类型","身份证"],["证件号码","E*****678"],["姓名","张*"]]"#,
        ),
        (
            r#"[["身份证号","320102198802294565","备注"],["姓名","张三",""]]"#,
            r#"[["身份证号","320102********4565","备注"],["姓名","张*",""]]"#,
        ),
        // Arrays of arrays without a header, and a header that names no field, stay as they are.
        (r#"[["张三","王芳"]]"#, r#"[["张三","王芳"]]"#),
        (
            r#"{"columns":["bz"],"rows":[["张三"]],"other":[["张三"]]}"#,
            r#"{"columns":["bz"],"rows":[["张三"]],"other":[["张三"]]}"#,
        ),
    ] {
        assert_eq!(redact(input), want, "{input}");
    }
}

/// An object that is an element of an array under a key stands for that key as an object
/// directly under it does (FHIR writes a patient's `name` and `address` as arrays of
/// objects): `text` and `value` in `name[]` are the name, `text` and `line[]` in
/// `address[]` the address, and `family`/`given` inside a name are its surname and given
/// name, judged so only there.
#[test]
fn json_objects_in_arrays_stand_for_their_key() {
    let redact = |text: &str| redacted(sluice_rules::Format::Json, text);
    for (input, want) in [
        (
            r#"{"name":[{"use":"official","text":"王建国","family":"王","given":["建国"]}]}"#,
            r#"{"name":[{"use":"official","text":"王**","family":"*","given":["**"]}]}"#,
        ),
        (
            r#"{"contact":[{"name":{"text":"李娜","family":"李","given":["娜"]}}]}"#,
            r#"{"contact":[{"name":{"text":"李*","family":"*","given":["*"]}}]}"#,
        ),
        (
            r#"{"address":[{"use":"home","text":"江苏省南京市玄武区中山路18号3栋501室","line":["中山路18号3栋501室"],"city":"南京市"}]}"#,
            r#"{"address":[{"use":"home","text":"江苏省南京市***************","line":["中山路18号******"],"city":"南京市"}]}"#,
        ),
        (
            r#"{"address":{"line":["中山路18号3栋501室"]}}"#,
            r#"{"address":{"line":["中山路18号******"]}}"#,
        ),
        (
            r#"{"xm":[{"value":"王五"}]}"#,
            r#"{"xm":[{"value":"王*"}]}"#,
        ),
        // A surname or a line outside a name or an address is no name part.
        (
            r#"{"family":"王","given":"建国","line":"中山路18号3栋501室"}"#,
            r#"{"family":"王","given":"建国","line":"中山路18号3栋501室"}"#,
        ),
        (
            r#"{"product":[{"family":"王","line":"中山路18号"}],"bz":[{"text":"王建国"}]}"#,
            r#"{"product":[{"family":"王","line":"中山路18号"}],"bz":[{"text":"王建国"}]}"#,
        ),
    ] {
        assert_eq!(redact(input), want, "{input}");
    }
}

/// The foreign permanent resident id of 2023 (外国人永久居留身份证): `9`, the issuing
/// province, a country code, then a resident id's birth date, sequence and check character.
/// Those issued outside provinces 11-15 (`921…`, `932…`) are found as those inside are;
/// random 9-prefixed 18-digit numbers (snowflake-like ids) still are not.
#[test]
fn foreign_permanent_resident_ids() {
    let redact = |text: &str| redacted(sluice_rules::Format::Json, text);
    assert_eq!(
        redact(
            r#"{"a":{"zjhm":"911840198504195574"},"b":{"zjhm":"921840198506260685"},"c":{"zjhm":"941840198511015370"},"d":{"sfzh":"954840198503214104"},"e":"950840198503214100"}"#
        ),
        r#"{"a":{"zjhm":"911840********5574"},"b":{"zjhm":"921840********0685"},"c":{"zjhm":"941840********5370"},"d":{"sfzh":"954840********4104"},"e":"950840********4100"}"#
    );
    // 9 and no mainland province, or a wrong check character.
    let clean = r#"{"ids":["971840198503214105","981840198503214107","921840198506260686"]}"#;
    assert_eq!(redact(clean), clean);
    // Snowflake-like numbers: a fixed pseudo-random sequence of 9-prefixed 18-digit ids.
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut body = String::from("[");
    for i in 0..3000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if i > 0 {
            body.push(',');
        }
        body.push_str(&format!("\"9{:017}\"", x % 100_000_000_000_000_000));
    }
    body.push(']');
    // (All-digit credit-code look-alikes, `91…`, are the credit-code rule's business.)
    let e = Arc::new(Engine::builtin().expect("built-in packs compile"));
    let opts = sluice_rules::ScanOptions {
        format: sluice_rules::Format::Json,
        ..Default::default()
    };
    let ids = e
        .scan_bytes(body.as_bytes(), opts)
        .findings
        .iter()
        .filter(|f| &*f.class == "resident_id")
        .count();
    assert_eq!(ids, 0);
}

/// Special licence plates (GA 36-2018): police 警, consulate 领, embassy 使, Hong Kong and
/// Macao 港/澳, driving school 学 and trailer 挂 plates, the armed police's WJ plates,
/// military plates and a plate entered in lower case. A trailing Han character is masked
/// as an ordinary plate's last character is.
#[test]
fn special_licence_plates() {
    let json = |text: &str| redacted(sluice_rules::Format::Json, text);
    let text = |text: &str| redacted(sluice_rules::Format::Text, text);
    for (plate, want) in [
        ("京A1234警", "京A*****"),
        ("京·A1234警", "京·A*****"),
        ("沪A·1234领", "沪A·*****"),
        ("沪A1234领", "沪A*****"),
        ("224001使", "22*****"),
        ("使224001", "使2*****"),
        ("粤Z1234港", "粤Z*****"),
        ("粤Z1234澳", "粤Z*****"),
        ("沪A1234学", "沪A*****"),
        ("粤B1234挂", "粤B*****"),
        ("WJ京12345", "WJ******"),
        ("WJ京·1234X", "WJ*·*****"),
        ("WJ01-12345", "WJ**-*****"),
        ("WJ01234", "WJ*****"),
        ("KV12345", "KV*****"),
        ("京a12345", "京a*****"),
        ("京·A12345", "京·A*****"),
    ] {
        let body = format!(r#"{{"hphm":"{plate}"}}"#);
        assert_eq!(json(&body), format!(r#"{{"hphm":"{want}"}}"#), "{plate}");
    }
    for (input, want) in [
        (
            "车牌号码为沪A1234挂，另一车辆号牌京A1234警。",
            "车牌号码为沪A*****，另一车辆号牌京A*****。",
        ),
        ("粤Z1234港 入境", "粤Z***** 入境"),
        ("车牌 京a12345", "车牌 京a*****"),
    ] {
        assert_eq!(text(input), want, "{input}");
    }
    // Without a plate field or keyword: an embassy's six digits, a military plate and a
    // lower-case plate are too generic; four characters without a suffix are no plate, and
    // WJ must stand alone.
    for input in [
        "使224001",
        "KV12345",
        "编号 KV12345",
        "京a12345",
        "共100000使用",
        "车牌号：京A1234",
        "型号 AB12345 规格",
        "XWJ京12345",
    ] {
        assert_eq!(text(input), input, "{input}");
    }
}

/// `[name, value]` pairs: an array whose first element names a field gives that name to its
/// second; a list whose first element names nothing keeps its own key.
#[test]
fn json_pairs_written_as_arrays() {
    let redact = |text: &str| redacted(sluice_rules::Format::Json, text);
    for (input, want) in [
        (
            r#"{"data":[["姓名","张伟"],["住址","北京市朝阳区建国路88号"],["xm","李娜"]]}"#,
            r#"{"data":[["姓名","张*"],["住址","北京市朝阳区******"],["xm","李*"]]}"#,
        ),
        // A plain list: the member's key, not the first element, gives context.
        (
            r#"{"xm":["张伟","李娜"],"bz":["张伟","李娜"]}"#,
            r#"{"xm":["张*","李*"],"bz":["张伟","李娜"]}"#,
        ),
        // Only the second element is the value; a third is not.
        (r#"[["xm","张伟","李娜"]]"#, r#"[["xm","张*","李娜"]]"#),
        (r#"[["bz","张伟"]]"#, r#"[["bz","张伟"]]"#),
    ] {
        assert_eq!(redact(input), want, "{input}");
    }
}

/// Label cells: an element whose whole text names a field labels the next sibling element
/// (tables and definition lists), but never a header cell, and a text that names nothing
/// labels nothing. An HTML table's header cells name its columns, and text set in bold or a
/// span inside a cell is the cell's.
#[test]
fn xml_label_cells_label_their_next_sibling() {
    let redact = |text: &str| redacted(sluice_rules::Format::Xml, text);
    for (input, want) in [
        (
            "<tr><td>姓名</td><td>张伟</td></tr><tr><td>住址：</td>\n<td>北京市朝阳区建国路88号</td></tr>",
            "<tr><td>姓名</td><td>张*</td></tr><tr><td>住址：</td>\n<td>北京市朝阳区******</td></tr>",
        ),
        (
            "<dl><dt>联系人</dt><dd>王芳</dd><dt>备注</dt><dd>张伟</dd></dl>",
            "<dl><dt>联系人</dt><dd>王*</dd><dt>备注</dt><dd>张伟</dd></dl>",
        ),
        (
            "<tr><th>姓名</th><th>王芳</th></tr><tr><td>姓名</td></tr><tr><td>张伟</td></tr>",
            "<tr><th>姓名</th><th>王芳</th></tr><tr><td>姓名</td></tr><tr><td>张伟</td></tr>",
        ),
        // Formatting inside an element leaves the text the element's.
        (
            "<r><XM><font>张伟</font></XM><bz><span>王芳</span></bz></r>",
            "<r><XM><font>张*</font></XM><bz><span>王芳</span></bz></r>",
        ),
        // A header row names the columns of its own table only.
        (
            "<table><thead><tr><th>序号</th><th>姓名</th><th>备注</th></tr></thead><tbody>\
             <tr><td>1</td><td>王芳</td><td>张伟</td></tr><tr><td>2</td><td><b>李娜</b></td></tr>\
             </tbody></table><table><tr><td>3</td><td>张伟</td></tr></table>",
            "<table><thead><tr><th>序号</th><th>姓名</th><th>备注</th></tr></thead><tbody>\
             <tr><td>1</td><td>王*</td><td>张伟</td></tr><tr><td>2</td><td><b>李*</b></td></tr>\
             </tbody></table><table><tr><td>3</td><td>张伟</td></tr></table>",
        ),
        // A formatting tag with text on both sides is inside one value: a label set in
        // bold before its value, a number split by spans (search highlighting), named
        // dashes between its groups; the tags stay as written.
        (
            "<p><b>姓名：</b>燕秀兰</p><li><strong>姓名</strong>：王建国</li>\
             <p><span class=\"lbl\">住址：</span>北京市朝阳区建国路88号院3号楼</p>",
            "<p><b>姓名：</b>燕**</p><li><strong>姓名</strong>：王**</li>\
             <p><span class=\"lbl\">住址：</span>北京市朝阳区**********</p>",
        ),
        (
            "<td>138<span>0013</span>8000</td><td>110105<em>19491231</em>002X</td>\
             <td>139&ndash;1234&ndash;5678</td><p>手机：137<wbr>0013<wbr>7000</p>",
            "<td>138<span>****</span>8000</td><td>110105<em>********</em>002X</td>\
             <td>139&ndash;****&ndash;5678</td><p>手机：137<wbr>****<wbr>7000</p>",
        ),
        // A tag whose attributes may hold a value ends the text, and they are read; a word
        // and a number a tag sets apart stay apart; a namespaced element is no link.
        (
            "<p>联系<a href=\"tel:13800138000\">张先生</a>即可</p><p>ID<b>110105 19491231 002X</b></p>\
             <p>Mobile<b>138 0013 8000</b></p><a:XM>张三</a:XM>",
            "<p>联系<a href=\"tel:138****8000\">张先生</a>即可</p><p>ID<b>110105 ******** 002X</b></p>\
             <p>Mobile<b>138 **** 8000</b></p><a:XM>张*</a:XM>",
        ),
        // A comment or processing instruction inside a value that can hold nothing itself
        // leaves it one value (a filter bypass; React's `<!-- -->` between label and value);
        // one that holds a number is read on its own.
        (
            "<r><sfzh>110105<!-- x -->19491231002X</sfzh><sjhm>138<?pi?>00138000</sjhm>\
             <bz>电话138<!--1-->00138000</bz><c><!-- 13900139000 --></c></r>\
             <td>姓名：<!-- -->张三</td>",
            "<r><sfzh>110105<!-- x -->********002X</sfzh><sjhm>138<?pi?>****8000</sjhm>\
             <bz>电话138<!--1-->00138000</bz><c><!-- 139****9000 --></c></r>\
             <td>姓名：<!-- -->张*</td>",
        ),
        // An empty formatting element inside a value is gone through like any other.
        (
            "<r><sjhm>138<span></span>00138000</sjhm><bz>电话138<b class=\"x\"></b>00138000</bz>\
             <bz>王芳<b></b></bz></r>",
            "<r><sjhm>138<span></span>****8000</sjhm><bz>电话138<b class=\"x\"></b>****8000</bz>\
             <bz>王芳<b></b></bz></r>",
        ),
    ] {
        assert_eq!(redact(input), want, "{input}");
    }
}

/// Formatting tags inside a value that is not markup's own text (search highlighting in a
/// JSON string, rich text, HTML in a CSV cell) are gone through as the XML lexer goes
/// through them in an element's text; they stay as written around the mask.
#[test]
fn formatting_tags_inside_values_are_gone_through() {
    let json = |text: &str| redacted(sluice_rules::Format::Json, text);
    for (input, want) in [
        // Elasticsearch's highlighting: the number split by `<em>`, under its key or not.
        (
            r#"{"highlight":{"sjhm":["138<em>0013</em>8000"],"sfzh":["<em>110105</em>19491231002X"],"content":["联系电话<em>138</em>00138000"]}}"#,
            r#"{"highlight":{"sjhm":["138<em>****</em>8000"],"sfzh":["<em>110105</em>********002X"],"content":["联系电话<em>138</em>****8000"]}}"#,
        ),
        // Rich text: attributes without a value in them, escaped quotes, a name in parts.
        (
            r#"{"t":"电话 138<b class=\"hl\">0013</b>8000","xm":"<em>张</em>三"}"#,
            r#"{"t":"电话 138<b class=\"hl\">****</b>8000","xm":"<em>张</em>*"}"#,
        ),
        // A word and a number a tag sets apart stay apart; a `<` that opens no formatting
        // tag is text; a tag whose attributes may hold a value is not gone through.
        (
            r#"{"t":"Mobile<b>13800138000</b>","n":"a<5 and b>3","u":"138<a href=\"tel:1\">0013</a>8000"}"#,
            r#"{"t":"Mobile<b>138****8000</b>","n":"a<5 and b>3","u":"138<a href=\"tel:1\">0013</a>8000"}"#,
        ),
        // Clean values with formatting stay byte for byte.
        (
            r#"{"title":"<em>Annual</em> report <b>2024</b>","note":"<i>n/a</i>"}"#,
            r#"{"title":"<em>Annual</em> report <b>2024</b>","note":"<i>n/a</i>"}"#,
        ),
    ] {
        assert_eq!(json(input), want, "{input}");
    }
    let csv = redacted(
        sluice_rules::Format::Csv,
        "xm,sjhm\n张伟,138<b>0013</b>8000\n",
    );
    assert_eq!(csv, "xm,sjhm\n张*,138<b>****</b>8000\n");
}

/// `multipart/form-data`: each part's body is judged under the part's field name, a part that
/// is a JSON document is read as one, and the boundary comes from the body's first line
/// (CRLF or bare LF); a body that opens with no boundary is text.
#[test]
fn multipart_parts_take_their_field_names() {
    let redact = |text: &str| redacted(sluice_rules::Format::Multipart, text);
    let body = "--X-9\r\nContent-Disposition: form-data; name=\"xm\"\r\n\r\n张伟\r\n\
                --X-9\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"a.json\"\r\n\
                Content-Type: application/json\r\n\r\n{\"dz\":\"北京市朝阳区建国路88号\"}\r\n\
                --X-9\r\nContent-Disposition: form-data; name=\"bz\"\r\n\r\n王芳\r\n--X-9--\r\n";
    let want = body
        .replace("\r\n张伟\r\n", "\r\n张*\r\n")
        .replace("北京市朝阳区建国路88号", "北京市朝阳区******");
    assert_eq!(redact(body), want);
    let lf = body.replace("\r\n", "\n");
    assert_eq!(redact(&lf), want.replace("\r\n", "\n"));
    // Sniffed without a Content-Type.
    assert_eq!(
        sluice_rules::Format::resolve(None, body.as_bytes()),
        sluice_rules::Format::Multipart
    );
    assert_eq!(
        sluice_rules::Format::resolve(Some("multipart/form-data; boundary=X-9"), b"--X-9\r\n"),
        sluice_rules::Format::Multipart
    );
    // No boundary first: text, where a labelled value is still found.
    assert_eq!(redact("姓名：张伟\n--X-9\n"), "姓名：张*\n--X-9\n");
}

/// CSV takes its delimiter from the header row: tab (TSV), semicolon and pipe as well as
/// comma, each with its columns' names as context.
#[test]
fn csv_with_tab_semicolon_and_pipe_delimiters() {
    let redact = |text: &str| redacted(sluice_rules::Format::Csv, text);
    for d in ["\t", ";", "|", ","] {
        let row = |cells: [&str; 4]| cells.join(d);
        let input = format!(
            "{}\n{}\n",
            row(["xm", "sfzh", "dz", "bz"]),
            row([
                "张伟",
                "11010519491231002X",
                "北京市朝阳区建国路88号",
                "王府井"
            ])
        );
        let want = format!(
            "{}\n{}\n",
            row(["xm", "sfzh", "dz", "bz"]),
            row(["张*", "110105********002X", "北京市朝阳区******", "王府井"])
        );
        assert_eq!(redact(&input), want, "{d:?}");
    }
    // A quoted cell may hold the delimiter; the header decides which one it is.
    assert_eq!(
        redact("xm;dz\n\"张伟\";\"北京市;朝阳区建国路88号\"\n"),
        "xm;dz\n\"张*\";\"北京市;朝阳*******\"\n"
    );
}

/// A table's header cell names its column however long the name the packs list: the
/// longest, 港澳居民来往内地通行证号码 (39 bytes), once fell past the label length.
#[test]
fn long_column_names_give_context() {
    let pad: String = (0..12).map(|i| format!("<th>备注{i}</th>")).collect();
    let cells: String = (0..12).map(|i| format!("<td>说明{i}</td>")).collect();
    let html = format!(
        "<table><tr><th>港澳居民来往内地通行证号码</th>{pad}</tr><tr><td>M88787942</td>{cells}</tr></table>"
    );
    let out = redacted(sluice_rules::Format::Xml, &html);
    assert!(out.contains("<td>M******42</td>"), "{out}");
}

/// An export without a header row: a row that holds a resident ID or a mobile is a record,
/// and its name, address, certificate and telephone cells are judged by their shape; a row
/// without one gives its cells no role, and with a header row nothing changes.
#[test]
fn csv_without_a_header_row() {
    let redact = |text: &str| redacted(sluice_rules::Format::Csv, text);
    assert_eq!(
        redact(
            "潘雪,11010519491231002X,四川省成都市武侯区金沙江路48号,DE1790473,M34642555,0755-8749889\n\
             \"欧阳娜娜\",13800138000,\"北京市朝阳区建国路88号\",G46431256,110105491231002,075587498890\n\
             王府井,黄金,北京市朝阳区建国路88号,E12345678\n"
        ),
        "潘*,110105********002X,四川省成都市**********,D*****473,M******55,0755-****889\n\
         \"欧***\",138****8000,\"北京市朝阳区******\",G*****256,110105******002,0755****8890\n\
         王府井,黄金,北京市朝阳区建国路88号,E12345678\n"
    );
    // The same cells under a header row of other names keep their columns' context.
    assert_eq!(
        redact("bz,sfzh,mc\n潘雪,11010519491231002X,黄金\n"),
        "bz,sfzh,mc\n潘雪,110105********002X,黄金\n"
    );
    // Names in parts, in transliteration syllables, whatever the dot; a place with a dot is
    // no name.
    assert_eq!(
        redact("艾力·吐尔逊,11010519491231002X\n扎西・次仁,13800138000\n北京·朝阳,13800138000\n"),
        "艾*·***,110105********002X\n扎*・**,138****8000\n北京·朝阳,138****8000\n"
    );
    // A plate with a space after its province (an ideographic one, folded), which alone
    // needs its field's name; a code that is no plate keeps its cell.
    assert_eq!(
        redact("浙\u{3000}E395N5,13800138000\n新 K80054,13800138000\n京ABCDEF,13800138000\n"),
        "浙\u{3000}E*****,138****8000\n新 K*****,138****8000\n京ABCDEF,138****8000\n"
    );
}

/// A line with no delimiter under a header of two columns or more is a note, a sub-heading or
/// a sentence under the table, not a record of one field: its text takes no column's name
/// (`经核实` under 姓名 would be a name). A row with its other fields empty keeps its columns.
#[test]
fn csv_lines_without_a_delimiter_are_no_records() {
    let redact = |text: &str| redacted(sluice_rules::Format::Csv, text);
    assert_eq!(
        redact(
            "姓名\t住址\n刘建华\t四川省成都市武侯区人民路20号\n\n\
             经核实，当事人现居住于四川省成都市武侯区人民路20号，特此说明。\n李娜\t\n"
        ),
        "姓名\t住址\n刘**\t四川省成都市*********\n\n\
         经核实，当事人现居住于四川省成都市*********，特此说明。\n李*\t\n"
    );
    // A quoted first field with a line break of its own is a record's.
    assert_eq!(
        redact("备注,姓名,手机\n\"第一行\n第二行\",郭晓燕,13912345678\n"),
        "备注,姓名,手机\n\"第一行\n第二行\",郭**,139****5678\n"
    );
    // Whatever the chunking: the wait for the line's end is bounded and chunk-invariant.
    let body = "xm,dz\n王芳\n李娜,北京市朝阳区建国路88号\n";
    let engine = std::sync::Arc::new(sluice_rules::Engine::builder().builtin().build().unwrap());
    let whole = redact(body);
    assert_eq!(whole, "xm,dz\n王芳\n李*,北京市朝阳区******\n");
    for cut in 1..body.len() {
        if !body.is_char_boundary(cut) {
            continue;
        }
        let mut s = engine.stream(sluice_rules::ScanOptions {
            format: sluice_rules::Format::Csv,
            redact: true,
            ..Default::default()
        });
        let (mut out, mut found) = (Vec::new(), Vec::new());
        s.push(&body.as_bytes()[..cut], &mut out, &mut found);
        s.push(&body.as_bytes()[cut..], &mut out, &mut found);
        s.finish(&mut out, &mut found);
        assert_eq!(String::from_utf8(out).unwrap(), whole, "cut at {cut}");
    }
}

/// Shapes of the fourteenth probe: `key=value` lines are text, not a form (each line a field
/// of its own); an address in text ends at a space after its last unit, but not before
/// another unit or its postcode; a name set apart from its label may end its sentence; base64
/// after a label in Han characters is judged under that label; a two-group IPv6 address
/// under a field named for one.
#[test]
fn fourteenth_probe_shapes() {
    let text = |t: &str| {
        let format = sluice_rules::Format::resolve(Some("text/plain"), t.as_bytes());
        redacted(format, t)
    };
    assert_eq!(
        text("IP地址=%32%34%30%65%3A%3A%31\nzz=上海市淑华市普陀哈尔滨街H座\nmz=01\n"),
        "IP地址=%32%34%30%65%2A%2A%2A\nzz=上海市淑华市********\nmz=01\n"
    );
    assert_eq!(
        text("住址：湖南省长沙市岳麓区麓山南路2号 订单号 DD2023021450549218 金额 100.00 元"),
        "住址：湖南省长沙市********* 订单号 DD2023021450549218 金额 100.00 元"
    );
    assert_eq!(
        text("住址：北京市朝阳区建国路88号 3号楼2单元502室 电话13800138000"),
        "住址：北京市朝阳区****** ********** 电话138****8000"
    );
    assert_eq!(text("联系人 赵伟。"), "联系人 赵*。");
    assert_eq!(text("负责人 相关。"), "负责人 相关。");
    assert_eq!(
        text("车牌号：5LqsQTEyMzQ1，姓名：5byg5Lyf，备注：5byg5Lyf"),
        "车牌号：5LqsQSoqKioq，姓名：5bygKg==，备注：5byg5Lyf"
    );
    assert_eq!(text("比分 240e::1 结束"), "比分 240e::1 结束");
    // A label in Han characters set apart by a space, or none.
    assert_eq!(
        text("号牌号码 6Ze9SzI4Mjkw 订单，护照号RTM2OTc1MzA0。单号 RTM2OTc1MzA0"),
        "号牌号码 6Ze9SyoqKioq 订单，护照号RSoqKioqMzA0。单号 RTM2OTc1MzA0"
    );
}

/// Shapes of the fifteenth probe (12345 hotline tickets, real-estate records, policy text):
/// callers named by their role, their verb or a courtesy title; an address in a sentence
/// ending at its last numbered unit; a clause number is no IP address; a district alone is
/// no address; base64 two JSON strings deep.
#[test]
fn fifteenth_probe_shapes() {
    let json = |t: &str| redacted(sluice_rules::Format::Json, t);
    assert_eq!(
        json(
            r#"{"ldnr":"来电人刘斌反映物业乱收费。投诉人：王晓明，称噪音扰民。桂丽华女士来电称被撞伤。申请人周海燕提交申请。据王女士反映，广大市民朋友请注意。"}"#
        ),
        r#"{"ldnr":"来电人刘*反映物业乱收费。投诉人：王**，称噪音扰民。桂**女士来电称被撞伤。申请人周**提交申请。据王女士反映，广大市民朋友请注意。"}"#
    );
    assert_eq!(
        json(r#"{"ldnr":"其居住的北京市朝阳区建国路88号院3号楼2单元501室楼下餐馆油烟扰民。"}"#),
        r#"{"ldnr":"其居住的北京市朝阳区*****************楼下餐馆油烟扰民。"}"#
    );
    assert_eq!(
        json(r#"{"zw":"详见第3.1.2.4条及GB/T 35273-2020第5.4.1.2节。","bgdz":"北京市朝阳区"}"#),
        r#"{"zw":"详见第3.1.2.4条及GB/T 35273-2020第5.4.1.2节。","bgdz":"北京市朝阳区"}"#
    );
    assert_eq!(
        json(r#"{"rightHolder":"王莹","location":"北京市海淀区团结湖路292弄27号225室"}"#),
        r#"{"rightHolder":"王*","location":"北京市海淀区***************"}"#
    );
    assert_eq!(
        json(r#"{"result": "\"{\\\"rows\\\": [{\\\"SJHM\\\": \\\"MTM4MDAxMzgwMDA=\\\"}]}\""}"#),
        r#"{"result": "\"{\\\"rows\\\": [{\\\"SJHM\\\": \\\"MTM4KioqKjgwMDA=\\\"}]}\""}"#
    );
}

/// URL escapes in a value whose text normalization changed (a full-width colon or comma
/// folded): decoded all the same, the mask written back escaped, every other character as
/// it was.
#[test]
fn url_escapes_after_a_full_width_label() {
    let text = |t: &str| redacted(sluice_rules::Format::Text, t);
    assert_eq!(
        text("身份证号：%31%31%30%31%30%35%31%39%34%39%31%32%33%31%30%30%32%58，请核实"),
        "身份证号：%31%31%30%31%30%35%2A%2A%2A%2A%2A%2A%2A%2A%30%30%32%58，请核实"
    );
    assert_eq!(
        redacted(
            sluice_rules::Format::Json,
            r#"{"bz":"邮箱：%7A%68%61%6E%67%77%65%69%40%31%36%33%2E%63%6F%6D，电话：１３８００１３８０００"}"#
        ),
        r#"{"bz":"邮箱：%7A%2A%2A%2A%2A%2A%2A%2A%40%31%36%33%2E%63%6F%6D，电话：１３８＊＊＊＊８０００"}"#
    );
    // A literal `%` stays text.
    assert_eq!(text("增长：50%，同比"), "增长：50%，同比");
}

/// Excel's "CSV UTF-8" opens with a byte-order mark, often before a quoted first heading:
/// the mark stays in the output and is no part of the first column's name.
#[test]
fn csv_byte_order_mark_before_a_quoted_heading() {
    let redact = |text: &str| redacted(sluice_rules::Format::Csv, text);
    for head in [
        "\u{FEFF}\"xm\",sfzh",
        "\u{FEFF}xm,sfzh",
        "\u{FEFF}\"xm\",\"sfzh\"",
    ] {
        assert_eq!(
            redact(&format!("{head}\n张伟,11010519491231002X\n")),
            format!("{head}\n张*,110105********002X\n"),
        );
    }
}

/// A pack of one rule: 18-digit resident IDs, redacted by `style` (the lines of its
/// `redact` mapping).
fn id_pack(style: &str) -> String {
    format!(
        r#"pack: test
version: 1
rules:
  - id: t.id
    name: ID
    class: resident_id
    grade: core
    match:
      detector: resident_id_18
    redact:
      {style}
    examples: ["310115196710083665"]
    negative_examples: ["310115196710083666"]
"#
    )
}

/// Every transform ends where the value's last character does: a token or a label over a
/// value inside CDATA keeps one `]]>` after it (a token once wrote it twice).
#[test]
fn tokens_and_labels_keep_cdata_delimiters() {
    for style in ["style: token", "style: label\n      label: \"[ID]\""] {
        let e = Arc::new(build(&id_pack(style)).expect("builds"));
        for body in [
            "<r><a><![CDATA[310115196710083665]]></a></r>",
            "<r><a><![CDATA[３１０１１５１９６７１００８３６６５]]></a></r>",
            "<r><a><![CDATA[3101151967]]><![CDATA[10083665]]></a></r>",
        ] {
            let opts = sluice_rules::ScanOptions {
                format: sluice_rules::Format::Xml,
                redact: true,
                ..Default::default()
            };
            let out = String::from_utf8(e.scan_bytes(body.as_bytes(), opts).output).expect("utf-8");
            assert!(!out.contains("310115"), "{style}: {out}");
            assert_eq!(
                out.matches("]]>").count(),
                body.matches("]]>").count(),
                "{style}: {out}"
            );
            assert!(out.ends_with("]]></a></r>"), "{style}: {out}");
        }
    }
}

/// A keyword window reaches back across earlier values by the same amount wherever the
/// rolling context was last trimmed: the candidate below is 200-odd bytes after its keyword,
/// inside its 120-character window, after every length of filler before the keyword.
#[test]
fn context_window_across_values_does_not_depend_on_what_came_before() {
    let e = Arc::new(
        build(
            r#"pack: test
version: 1
rules:
  - id: t.contract
    name: Contract number
    class: contract
    grade: general
    match:
      pattern: 'HT-[0-9]{6}'
    context:
      keywords: [合同编号]
      require: true
      window: 120
    examples: ["合同编号 HT-123456"]
    negative_examples: ["HT-123456"]
"#,
        )
        .expect("builds"),
    );
    let filler = "x".repeat(40);
    for before in 0..40 {
        let mut values: Vec<String> = vec![filler[..10 + before % 30].to_string(); before];
        values.push("合同编号".into());
        values.extend(std::iter::repeat_n(filler.clone(), 5));
        values.push("HT-123456".into());
        let body = format!("[\"{}\"]", values.join("\",\""));
        let opts = sluice_rules::ScanOptions {
            format: sluice_rules::Format::Json,
            ..Default::default()
        };
        let n = e.scan_bytes(body.as_bytes(), opts).findings.len();
        assert_eq!(n, 1, "{before} filler values before the keyword");
    }
}

/// Tokens join: two engines built in one process without a key (a reload rebuilds the engine)
/// give a value the same token and fingerprint, two given the same key do too, and a
/// different key gives other ones.
#[test]
fn tokens_are_stable_across_rebuilds_and_follow_the_key() {
    let pack = id_pack("style: token");
    let yaml = pack.as_str();
    let scan = |e: Engine| {
        let e = Arc::new(e);
        let opts = sluice_rules::ScanOptions {
            format: sluice_rules::Format::Json,
            redact: true,
            ..Default::default()
        };
        let r = e.scan_bytes(br#"{"sfzh":"310115196710083665"}"#, opts);
        let fp: Vec<u64> = r.findings.iter().map(|f| f.fingerprint).collect();
        assert_eq!(fp.len(), 1);
        (String::from_utf8(r.output).expect("utf-8"), fp)
    };
    let keyed = |k: &[u8]| {
        Engine::builder()
            .source("test.yaml", yaml)
            .token_key(k.to_vec())
            .build()
            .expect("builds")
    };
    let (a, fa) = scan(build(yaml).expect("builds"));
    let (b, fb) = scan(build(yaml).expect("builds"));
    assert!(!a.contains("310115196710083665"), "{a}");
    assert_eq!((&a, &fa), (&b, &fb), "a rebuilt engine changed its tokens");
    let (c, fc) = scan(keyed(b"a shared secret key"));
    let (d, fd) = scan(keyed(b"a shared secret key"));
    assert_eq!((&c, &fc), (&d, &fd));
    let (e, fe) = scan(keyed(b"another secret key!"));
    assert_ne!(c, e);
    assert_ne!(fc, fe);
    assert_ne!(a, c);
}

/// What a rule author writes by mistake is refused by name: a one-character keyword of any
/// script, a misspelt key in an example; a pack saved with a byte-order mark loads.
#[test]
fn author_mistakes_are_named_and_a_bom_is_no_mistake() {
    let kw = GOOD.replace("detector: bank_card", "keywords: ['密']");
    let msg = build(&kw).unwrap_err().to_string();
    assert!(msg.contains("single character"), "{msg}");
    let ex = GOOD.replace(
        "examples: [\"6222021234567890123\"]",
        "examples: [{input: \"6222021234567890123\", contnet_type: text/plain}]",
    );
    let msg = build(&ex).unwrap_err().to_string();
    assert!(
        msg.contains("`input` and `content_type` and no other key"),
        "{msg}"
    );
    build(&format!("\u{feff}{GOOD}")).unwrap();
}

/// An export's title, its export time or a blank line above the header row do not hide the
/// header: the first row with two or more named cells names the columns.
#[test]
fn csv_header_below_an_exports_title() {
    let redact = |text: &str| redacted(sluice_rules::Format::Csv, text);
    let rows = "姓名,住址,护照号码\n王建国,江苏省南京市玄武区中山路18号,E12345678\n";
    let masked = "姓名,住址,护照号码\n王**,江苏省南京市*********,E*****678\n";
    for pre in [
        "",
        "\n",
        "\r\n",
        "人员信息导出表,,\n",
        "人员信息导出表\n导出时间：2024-11-23 10:00\n\n",
        "# export 2024\n",
    ] {
        assert_eq!(
            redact(&format!("{pre}{rows}")),
            format!("{pre}{masked}"),
            "{pre:?}"
        );
    }
    // A one-column export keeps its first row as its header, also with a stray comma in a
    // later row.
    assert_eq!(redact("姓名\n王建国\n"), "姓名\n王**\n");
    assert_eq!(
        redact("姓名\n张三\n李四\n王五,备注\n赵六\n"),
        "姓名\n张*\n李*\n王*,备注\n赵*\n"
    );
    // The header may also be the last line.
    assert_eq!(redact("导出表\n姓名,住址"), "导出表\n姓名,住址");
}

/// Tables written as text: a header line of aligned cells (two or more spaces, tabs, `|`)
/// names the cells of the rows below it, also with an empty cell, a drawn border or a
/// Markdown rule; MyBatis logs name a `Row:` by its `Columns:` and a `Parameters:` line by
/// its statement's columns. A line that is no row ends the table, and a line of one known
/// name or none is no header.
#[test]
fn tables_written_as_text() {
    let text = |t: &str| redacted(sluice_rules::Format::Text, t);
    assert_eq!(
        text("序号  姓名      住址\n1     王建国    江苏省南京市玄武区中山路18号\n2               广州市天河区体育西路1号\n3     欧阳娜娜\n"),
        "序号  姓名      住址\n1     王**    江苏省南京市*********\n2               广州市天河区******\n3     欧***\n"
    );
    // The same with display-width padding (a CJK character is two columns). A row of one
    // cell is read as a sentence, not as a row with its other cells empty.
    assert_eq!(
        text("xm      dz\n李秀英  广州市天河区体育西路1号\n王五    \n"),
        "xm      dz\n李**  广州市天河区******\n王五    \n"
    );
    assert_eq!(
        text("姓名\t家庭住址\n王建国\t江苏省南京市玄武区中山路18号\n"),
        "姓名\t家庭住址\n王**\t江苏省南京市*********\n"
    );
    assert_eq!(
        text("+--------+------+\n| 姓名   | 住址 |\n+--------+------+\n| 王建国 | 江苏省南京市玄武区中山路18号 |\n+--------+------+\n"),
        "+--------+------+\n| 姓名   | 住址 |\n+--------+------+\n| 王** | 江苏省南京市********* |\n+--------+------+\n"
    );
    assert_eq!(
        text("| 姓名 | 住址 |\n|:---|---:|\n| 王建国 | 江苏省南京市玄武区中山路18号 |\n"),
        "| 姓名 | 住址 |\n|:---|---:|\n| 王** | 江苏省南京市********* |\n"
    );
    // Typed in a word processor: columns padded with ideographic spaces, two cells set
    // apart by a single one (normalization folds it to one space, the table reader keeps it
    // a column gap), whether written plainly or as JSON escapes.
    assert_eq!(
        text("姓名　　身份证号　　　　　　住址　　　　　　　　　　　　护照号码\n刘秀华　520400194009039430　黑龙江省沈阳县海港海口路6号　E73371333\n赵明　　220881198003226566　上海市浦东新区永川路8号　　　E34172589\n"),
        "姓名　　身份证号　　　　　　住址　　　　　　　　　　　　护照号码\n刘**　520400********9430　黑龙江省沈阳********　E*****333\n赵*　　220881********6566　上海市浦东新******　　　E*****589\n"
    );
    // Padded by characters to one space past the widest value: the header's single space
    // sets apart column names written as identifiers, not the words of one name.
    assert_eq!(
        text("name id_card            mobile\n陈华   621101197110042798 13161104841\n黄建平  513425197907033526 13922786135\n"),
        "name id_card            mobile\n陈*   621101********2798 131****4841\n黄**  513425********3526 139****6135\n"
    );
    assert_eq!(
        text("seq   contact name  address\n1     王建国        江苏省南京市玄武区中山路18号\n2     李秀英        广州市天河区体育西路1号\n"),
        "seq   contact name  address\n1     王**        江苏省南京市*********\n2     李**        广州市天河区******\n"
    );
    // A sparse row (two cells of five) goes on with the table when its cells start where
    // their columns do.
    assert_eq!(
        text("xm      sfzh                sjhm         hzhm        dz\n刘秀华  520400194009039430  13800138000  E12345678   北京市朝阳区建国路88号\n                            13912345678  G12345678\n王建国  11010519491231002X  13700137000  E23456789   上海市浦东新区世纪大道100号\n"),
        "xm      sfzh                sjhm         hzhm        dz\n刘**  520400********9430  138****8000  E*****678   北京市朝阳区******\n                            139****5678  G*****678\n王**  110105********002X  137****7000  E*****789   上海市浦东新*********\n"
    );
    // One between two Han characters pads a name inside its cell.
    assert_eq!(
        text("姓名　　身份证号　　　　　　住址\n王　芳　　11010519491231002X　　北京市朝阳区建国路88号\n刘秀华　520400194009039430　黑龙江省沈阳县海港海口路6号\n"),
        "姓名　　身份证号　　　　　　住址\n王　*　　110105********002X　　北京市朝阳区******\n刘**　520400********9430　黑龙江省沈阳********\n"
    );
    assert_eq!(
        text("姓名      住址\n王　芳    北京市朝阳区建国路88号\n刘秀华    上海市浦东新区世纪大道100号\n"),
        "姓名      住址\n王　*    北京市朝阳区******\n刘**    上海市浦东新*********\n"
    );
    assert_eq!(
        redacted(
            sluice_rules::Format::Json,
            r#"{"report":"姓名\u3000\u3000住址\n赵明\u3000上海市浦东新区永川路8号\n"}"#
        ),
        r#"{"report":"姓名\u3000\u3000住址\n赵*\u3000上海市浦东新******\n"}"#
    );
    // A column of passport numbers gives them the context a bare shape needs.
    assert_eq!(
        text("姓名    护照号码\n王建国  E12345678\n"),
        "姓名    护照号码\n王**  E*****678\n"
    );
    // A blank line or a note inside the table does not end it: a row of exactly its columns
    // goes on with it. A line that splits otherwise ends it.
    assert_eq!(
        text("姓名  住址\n王建国  江苏省南京市玄武区中山路18号\n\n（以下为新增）\n李秀英  广州市天河区体育西路1号\n"),
        "姓名  住址\n王**  江苏省南京市*********\n\n（以下为新增）\n李**  广州市天河区******\n"
    );
    assert_eq!(
        text("姓名  住址\n其中  东城区  3人\n王建国  江苏省南京市玄武区中山路18号\n"),
        "姓名  住址\n其中  东城区  3人\n王建国  江苏省南京市玄武区中山路18号\n"
    );
    // Values that filled their columns leave one space (cut where the columns start, in
    // display columns); a column of one personal field is a table when the row below splits
    // as the header does; negative names make a table whose numbers are no phones.
    assert_eq!(
        text("姓名   身份证号           住址\n刘秀华 110101199003071233 江苏省南京市玄武区中山路18号\n"),
        "姓名   身份证号           住址\n刘** 110101********1233 江苏省南京市*********\n"
    );
    assert_eq!(
        text("序号  姓名    性别  补贴金额(元)\n1     王建国  男    624.00\n"),
        "序号  姓名    性别  补贴金额(元)\n1     王**  男    624.00\n"
    );
    let stats = "地区    人口(万)  财政收入(元)\n北京市  2189      13853006852\n";
    assert_eq!(text(stats), stats);
    // One known name is a label line, not a header; prose with double spaces is no table.
    for clean in [
        "姓名    备注\n王建国  江苏省南京市玄武区中山路18号\n",
        "本报讯  记者  报道\n王建国  江苏省南京市玄武区中山路18号\n",
        "| 编号 | 状态 |\n| 王建国 | 江苏省南京市玄武区中山路18号 |\n",
    ] {
        assert_eq!(text(clean), clean);
    }
    let log = "2024-01-01 10:00:00 DEBUG ==>  Preparing: INSERT INTO t_person (xm, sfzh, zz) VALUES (?, ?, ?)\n\
               2024-01-01 10:00:00 DEBUG ==> Parameters: 王建国(String), 110101199003071233(String), 江苏省南京市玄武区中山路18号(String)\n\
               DEBUG ==>  Preparing: UPDATE t SET `dz` = ?, bz = ? WHERE t.xm LIKE ? AND id IN (?, ?)\n\
               DEBUG ==> Parameters: 广州市天河区体育西路1号(String), 王建国(String), 李秀英(String), 1(Long), 2(Long)\n\
               DEBUG <==    Columns: id, xm, sjhm, dz\n\
               DEBUG <==        Row: 1, 刘德明, 13800138000, 上海市浦东新区世纪大道100号\n\
               DEBUG <==        Row: 2, null, null, null\n\
               DEBUG <==      Total: 2\n";
    let masked = "2024-01-01 10:00:00 DEBUG ==>  Preparing: INSERT INTO t_person (xm, sfzh, zz) VALUES (?, ?, ?)\n\
               2024-01-01 10:00:00 DEBUG ==> Parameters: 王**(String), 110101********1233(String), 江苏省南京市*********(String)\n\
               DEBUG ==>  Preparing: UPDATE t SET `dz` = ?, bz = ? WHERE t.xm LIKE ? AND id IN (?, ?)\n\
               DEBUG ==> Parameters: 广州市天河区******(String), 王**(String), 李**(String), 1(Long), 2(Long)\n\
               DEBUG <==    Columns: id, xm, sjhm, dz\n\
               DEBUG <==        Row: 1, 刘**, 138****8000, 上海市浦东新*********\n\
               DEBUG <==        Row: 2, null, null, null\n\
               DEBUG <==      Total: 2\n";
    // (`bz` names no person's column, but its value is the name the first statement's `xm`
    // held: a later mention of a name the text gave is masked wherever it stands.)
    assert_eq!(text(log), masked);
    // A `Row:` without its `Columns:` is a record when it holds an identifier: its cells are
    // named by their shapes, as in a CSV export without a header row.
    assert_eq!(
        text("c.g.rk.mapper.PersonMapper : <==      Row: 梁鑫, 17363170669, 浙江省杭州市西湖区文三路90号\n"),
        "c.g.rk.mapper.PersonMapper : <==      Row: 梁*, 173****0669, 浙江省杭州市*********\n"
    );
    assert_eq!(
        text("<==      Row: 梁鑫, 3, 浙江省杭州市西湖区文三路90号\n"),
        "<==      Row: 梁鑫, 3, 浙江省杭州市西湖区文三路90号\n"
    );
    // A numbered heading that is a name, above the lines that describe the person.
    assert_eq!(
        text("报送如下：\n\n1、徐凤兰\n  联系电话：18670704999\n（二）王建国\n性别：男\n(3)李秀英\n性别：女\n④张伟\n性别：男\n"),
        "报送如下：\n\n1、徐**\n  联系电话：186****4999\n（二）王**\n性别：男\n(3)李**\n性别：女\n④张*\n性别：男\n"
    );
    // A footer under a table, after a blank line, is no row of it.
    assert_eq!(
        text(
            "姓名    住址\n刘秀华  黑龙江省沈阳县海港海口路6号\n\n会议    在区政府三楼会议室召开\n"
        ),
        "姓名    住址\n刘**  黑龙江省沈阳********\n\n会议    在区政府三楼会议室召开\n"
    );
    for clean in [
        "三、总则\n身份证件管理办法\n",
        "1. 张伟\n备注：无\n",
        "1、王建国的先进事迹\n性别：男\n",
    ] {
        assert_eq!(text(clean), clean);
    }
    // Not as a numbered heading but by the title after it, as official letters name people.
    assert_eq!(
        text("1、王建国同志的先进事迹\n性别：男\n"),
        "1、王**同志的先进事迹\n性别：男\n"
    );
    // `LIKE` patterns, function arguments, interleaved threads, a value holding `, `, and
    // Hibernate's bindings.
    let log = "==>  Preparing: SELECT * FROM t WHERE xm LIKE CONCAT('%', ?, '%') OR INSTR(dz, ?) > 0\n\
               ==> Parameters: 李秀英(String), 广州市天河区体育西路1号(String)\n\
               ==>  Preparing: SELECT * FROM t WHERE xm LIKE ?\n\
               ==> Parameters: %王建国%(String)\n\
               10:00:01 DEBUG [exec-1] PersonMapper : ==>  Preparing: INSERT INTO t (bz, xm) VALUES (?, ?)\n\
               10:00:02 DEBUG [exec-2] LogMapper : ==>  Preparing: INSERT INTO log (op, ip) VALUES (?, ?)\n\
               10:00:03 DEBUG [exec-1] PersonMapper : ==> Parameters: 备注, 已核实(String), 张伟(String)\n\
               10:00:04 DEBUG [exec-2] LogMapper : ==> Parameters: 王建国(String), 1(Integer)\n\
               Hibernate: insert into t_person (xm, dz) values (?, ?)\n\
               binding parameter [1] as [VARCHAR] - [王建国]\n\
               binding parameter [2] as [VARCHAR] - [江苏省南京市玄武区中山路18号]\n";
    let masked = "==>  Preparing: SELECT * FROM t WHERE xm LIKE CONCAT('%', ?, '%') OR INSTR(dz, ?) > 0\n\
               ==> Parameters: 李**(String), 广州市天河区******(String)\n\
               ==>  Preparing: SELECT * FROM t WHERE xm LIKE ?\n\
               ==> Parameters: %王**%(String)\n\
               10:00:01 DEBUG [exec-1] PersonMapper : ==>  Preparing: INSERT INTO t (bz, xm) VALUES (?, ?)\n\
               10:00:02 DEBUG [exec-2] LogMapper : ==>  Preparing: INSERT INTO log (op, ip) VALUES (?, ?)\n\
               10:00:03 DEBUG [exec-1] PersonMapper : ==> Parameters: 备注, 已核实(String), 张*(String)\n\
               10:00:04 DEBUG [exec-2] LogMapper : ==> Parameters: 王**(String), 1(Integer)\n\
               Hibernate: insert into t_person (xm, dz) values (?, ?)\n\
               binding parameter [1] as [VARCHAR] - [王**]\n\
               binding parameter [2] as [VARCHAR] - [江苏省南京市*********]\n";
    // (The other thread's `op` is no person's column, but its value is the name the `LIKE`
    // pattern gave: masked as a later mention of it.)
    assert_eq!(text(log), masked);
    // A log that opens with a bracket or an arrow is text, not JSON or XML, also when the
    // body's type is sniffed; its first line is no CSV header either.
    for body in [
        "[DEBUG] ==>  Preparing: INSERT INTO t (xm, dz) VALUES (?, ?)\n[DEBUG] ==> Parameters: 王建国(String), 江苏省南京市玄武区中山路18号(String)\n",
        "<==    Columns: id, xm\n<==        Row: 1, 王建国\n",
    ] {
        let format = sluice_rules::Format::resolve(None, body.as_bytes());
        assert_eq!(format, sluice_rules::Format::Text, "{body}");
        assert!(!redacted(format, body).contains("王建国"), "{body}");
    }
    // Odd log lines are no trouble: an unclosed type, empty lists, a bare binding.
    let odd = "==>  Preparing: SELECT * FROM t WHERE xm = ?\n==> Parameters: foo(, (, ), ()\n==> Parameters: \n<== Row:\nbinding parameter [\nbinding parameter [1] as [V] - []\n?\n= ?\n";
    assert_eq!(text(odd), odd);
    // A second table's header right under the first starts it.
    assert_eq!(
        text("姓名  住址\n王建国  江苏省南京市玄武区中山路18号\n序号  联系人  手机号\n1  李秀英  13800138000\n"),
        "姓名  住址\n王**  江苏省南京市*********\n序号  联系人  手机号\n1  李**  138****8000\n"
    );
    // A name glued to a label keeps being found (only an exact field name is a header cell).
    assert_eq!(
        text("联系人王建国住址：北京市朝阳区建国路88号\n"),
        "联系人王**住址：北京市朝阳区******\n"
    );
    // Sniffing: XML with Chinese tag names and CSV with padded cells keep their formats.
    assert_eq!(
        sluice_rules::Format::resolve(None, "<姓名>王建国</姓名>".as_bytes()),
        sluice_rules::Format::Xml
    );
    assert_eq!(
        sluice_rules::Format::resolve(
            None,
            "id,       xm,       sjhm\n1,        王建国,   13800138000\n".as_bytes()
        ),
        sluice_rules::Format::Csv
    );
    // A multi-line value in JSON holds a table too.
    assert_eq!(
        redacted(
            sluice_rules::Format::Json,
            r#"{"report":"姓名  住址\n王建国  江苏省南京市玄武区中山路18号"}"#
        ),
        r#"{"report":"姓名  住址\n王**  江苏省南京市*********"}"#
    );
}

/// An address after 请到 or 前往 ends before what is to be done there (`领取`, `办理`),
/// which stays readable; without a house number the words are not an address at all.
#[test]
fn addresses_before_an_errand() {
    let text = |t: &str| redacted(sluice_rules::Format::Text, t);
    assert_eq!(
        text("请到浙江省杭州市西湖区文三路90号领取。请前往北京市朝阳区建国路88号院3号楼办理手续。"),
        "请到浙江省杭州市*********领取。请前往北京市朝阳区**********办理手续。"
    );
    for clean in ["请到现场办理。", "请到2楼窗口领取。", "前往北京参加会议。"]
    {
        assert_eq!(text(clean), clean);
    }
}

/// A CSV file carried inside another body (a JSON string, an XML CDATA section, a multipart
/// upload) is read as a table: its header names its columns. Two lines of a remark that
/// hold commas name no field and keep the value's own field name.
#[test]
fn csv_inside_a_value_is_a_table() {
    let json = |text: &str| redacted(sluice_rules::Format::Json, text);
    assert_eq!(
        json(
            r#"{"fileContent":"姓名,住址,护照号码\n王建国,江苏省南京市玄武区中山路18号,E12345678\n"}"#
        ),
        r#"{"fileContent":"姓名,住址,护照号码\n王**,江苏省南京市*********,E*****678\n"}"#
    );
    assert_eq!(
        redacted(
            sluice_rules::Format::Xml,
            "<f><![CDATA[xm,dz\n王建国,江苏省南京市玄武区中山路18号\n]]></f>"
        ),
        "<f><![CDATA[xm,dz\n王**,江苏省南京市*********\n]]></f>"
    );
    let multipart = "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"rk.csv\"\r\nContent-Type: text/csv\r\n\r\n姓名,住址\n王建国,江苏省南京市玄武区中山路18号\n\r\n--b--\r\n";
    assert!(
        !redacted(sluice_rules::Format::Multipart, multipart).contains("王建国"),
        "multipart CSV part"
    );
    // Not tables: a remark, and a name list under its own field.
    for body in [
        r#"{"bz":"第一项,已办结\n第二项,待审核"}"#,
        r#"{"remark":"王建国,李娜\n张伟,刘洋"}"#,
    ] {
        assert_eq!(json(body), body);
    }
    assert_eq!(
        json(r#"{"xm":"王建国,李娜\n张伟,刘洋"}"#),
        r#"{"xm":"王**,李*\n张*,刘*"}"#
    );
}

/// A table whose first row is plain cells naming fields (an HTML report with `<td>` headers,
/// Excel 2003 XML, a generic `<row><cell>` table) names its columns like a `<th>` row. A
/// first row of label and value cells does not: its values are judged under their labels.
#[test]
fn xml_tables_with_a_header_row_of_cells() {
    let xml = |text: &str| redacted(sluice_rules::Format::Xml, text);
    let addr = "江苏省南京市玄武区中山路18号";
    let masked_addr = "江苏省南京市*********";
    assert_eq!(
        xml(&format!("<table><tr><td>序号</td><td>姓名</td><td>住址</td></tr><tr><td>1</td><td>王建国</td><td>{addr}</td></tr></table>")),
        format!("<table><tr><td>序号</td><td>姓名</td><td>住址</td></tr><tr><td>1</td><td>王**</td><td>{masked_addr}</td></tr></table>")
    );
    assert_eq!(
        xml(&format!(
            r#"<Workbook><Worksheet><Table><Row><Cell><Data ss:Type="String">姓名</Data></Cell><Cell><Data ss:Type="String">住址</Data></Cell></Row><Row><Cell><Data ss:Type="String">王建国</Data></Cell><Cell><Data ss:Type="String">{addr}</Data></Cell></Row></Table></Worksheet></Workbook>"#
        )),
        format!(
            r#"<Workbook><Worksheet><Table><Row><Cell><Data ss:Type="String">姓名</Data></Cell><Cell><Data ss:Type="String">住址</Data></Cell></Row><Row><Cell><Data ss:Type="String">王**</Data></Cell><Cell><Data ss:Type="String">{masked_addr}</Data></Cell></Row></Table></Worksheet></Workbook>"#
        )
    );
    // A cell after omitted empty ones numbers its column (`ss:Index`, from 1).
    assert_eq!(
        xml(
            r#"<Table><Row><Cell><Data>姓名</Data></Cell><Cell><Data>备注</Data></Cell><Cell><Data>住址</Data></Cell></Row><Row><Cell><Data>王建国</Data></Cell><Cell ss:Index="3"><Data>江苏省南京市玄武区中山路18号</Data></Cell></Row></Table>"#
        ),
        r#"<Table><Row><Cell><Data>姓名</Data></Cell><Cell><Data>备注</Data></Cell><Cell><Data>住址</Data></Cell></Row><Row><Cell><Data>王**</Data></Cell><Cell ss:Index="3"><Data>江苏省南京市*********</Data></Cell></Row></Table>"#
    );
    assert_eq!(
        xml("<table><row><cell>xm</cell><cell>hzhm</cell></row><row><cell>王建国</cell><cell>E12345678</cell></row></table>"),
        "<table><row><cell>xm</cell><cell>hzhm</cell></row><row><cell>王**</cell><cell>E*****678</cell></row></table>"
    );
    // Label and value cells: the first row is no header, so the second row's cells keep
    // their own labels (here none: `李明` is not read under `姓名`).
    assert_eq!(
        xml(&format!("<table><tr><td>姓名</td><td>王建国</td><td>住址</td><td>{addr}</td></tr><tr><td>李明</td><td>已离职</td><td>状态</td><td>正常</td></tr></table>")),
        format!("<table><tr><td>姓名</td><td>王**</td><td>住址</td><td>{masked_addr}</td></tr><tr><td>李明</td><td>已离职</td><td>状态</td><td>正常</td></tr></table>")
    );
}

/// A string that is a record written as a CSV row (a legacy API's `"data":["…","…"]`) is
/// read like a headerless CSV row: the identifier makes it a record, and its other cells
/// take the roles their shapes say.
#[test]
fn csv_rows_as_json_strings() {
    let json = |text: &str| redacted(sluice_rules::Format::Json, text);
    assert_eq!(
        json(
            r#"{"data":["姓名,身份证号,住址","王建国,320102198802294565,江苏省南京市玄武区中山路18号"]}"#
        ),
        r#"{"data":["姓名,身份证号,住址","王**,320102********4565,江苏省南京市*********"]}"#
    );
    // No identifier, or nothing else with a role: the value is what it was.
    for body in [
        r#"{"bz":"王建国,李娜,已办结"}"#,
        r#"{"bz":"订单,20241123,已完成,正常"}"#,
    ] {
        assert_eq!(json(body), body);
    }
}

/// HTML character references in values outside markup (stored by systems behind an XSS
/// filter) are decoded for detection, and a mask is written back as references; text that
/// only mentions `&` is left alone.
#[test]
fn character_references_outside_markup() {
    let json = |t: &str| redacted(sluice_rules::Format::Json, t);
    assert_eq!(
        json(
            r#"{"xm":"&#29579;&#33459;","sjhm":"&#49;&#51;&#56;&#48;&#48;&#49;&#51;&#56;&#48;&#48;&#48;"}"#
        ),
        r#"{"xm":"&#29579;&#42;","sjhm":"&#49;&#51;&#56;&#42;&#42;&#42;&#42;&#56;&#48;&#48;&#48;"}"#
    );
    assert_eq!(
        json(r#"{"a":"R&amp;D &#169; 2024 &#x4e2d;","b":"&#"}"#),
        r#"{"a":"R&amp;D &#169; 2024 &#x4e2d;","b":"&#"}"#
    );
    let text = |t: &str| redacted(sluice_rules::Format::Text, t);
    assert_eq!(
        text("身份证号 &#x31;&#x31;&#x30;&#x31;&#x30;&#x35;19491231002X"),
        "身份证号 &#x31;&#x31;&#x30;&#x31;&#x30;&#x35;********002X"
    );
}

/// Letters typed after an identifier (a value padded to slip past a pattern) hide it only
/// where nothing says what it is: under its field name it is found.
#[test]
fn letters_after_an_identifier_under_its_field() {
    let json = |t: &str| redacted(sluice_rules::Format::Json, t);
    assert_eq!(
        json(
            r#"{"sfzh":"11010519491231002Xa","sjhm":"13800138000b","yhkh":"6222021234567890128c"}"#
        ),
        r#"{"sfzh":"110105********002Xa","sjhm":"138****8000b","yhkh":"6222***********0128c"}"#
    );
    assert_eq!(
        json(r#"{"t":"a13800138000bcdef","h":"9f13800138000ab"}"#),
        r#"{"t":"a13800138000bcdef","h":"9f13800138000ab"}"#
    );
    // List markers and footnotes stay apart from the numbers beside them; a card of 17
    // digits that also reads as an ID without its check character is still a card.
    let text = |t: &str| redacted(sluice_rules::Format::Text, t);
    assert_eq!(
        text("联系方式：①13800138000 ②13900139000；issue #1380013800¹；银行卡号 62220219900101080"),
        "联系方式：①138****8000 ②139****9000；issue #1380013800¹；银行卡号 6222*********1080"
    );
    // An ID with its check character left off still says whose it is.
    assert_eq!(
        json(r#"{"sfzh":"11010519491231002","ts":"11010519491231002"}"#),
        r#"{"sfzh":"110105*******1002","ts":"11010519491231002"}"#
    );
}

/// Content and message ids are written like addresses but name nobody, and masking one
/// breaks the references to it (an MTOM body's parts); an address beside them still goes.
#[test]
fn content_ids_are_not_addresses() {
    let text = |t: &str| redacted(sluice_rules::Format::Text, t);
    assert_eq!(
        text("Content-ID: <0.root@apache.org>\r\nMessage-ID: <abc.123@mail.example.com>\r\n<xop:Include href=\"cid:1.urn:uuid:4F2A@apache.org\"/>\r\nFrom: <zhang.wei@example.com>\r\n"),
        "Content-ID: <0.root@apache.org>\r\nMessage-ID: <abc.123@mail.example.com>\r\n<xop:Include href=\"cid:1.urn:uuid:4F2A@apache.org\"/>\r\nFrom: <z****.***@example.com>\r\n"
    );
    // Every id of a `References:` header, folded lines included.
    assert_eq!(
        text("References: <CAF5z3@mail.gmail.com> <CAF6y2@mail.gmail.com>\r\n <CAF7y2@mail.gmail.com>\r\nTo: <li.na@gov.cn>\r\n"),
        "References: <CAF5z3@mail.gmail.com> <CAF6y2@mail.gmail.com>\r\n <CAF7y2@mail.gmail.com>\r\nTo: <l*.**@gov.cn>\r\n"
    );
}

/// Mobiles written in Chinese numerals (small or the banker's capitals), a way past filters
/// on Chinese platforms, are found beside a label or under a field name; a run of numerals
/// in prose is not a number.
#[test]
fn chinese_numeral_mobiles() {
    let text = |t: &str| redacted(sluice_rules::Format::Text, t);
    assert_eq!(
        text("联系电话：一三八〇〇一三八〇〇〇 / 手机：壹叁捌零零壹叁捌零零零 / 身份证号：一一〇一〇五一九四九一二三一〇〇二X"),
        "联系电话：一三八****八〇〇〇 / 手机：壹叁捌****捌零零零 / 身份证号：一一〇一〇五********〇〇二X"
    );
    let json = |t: &str| redacted(sluice_rules::Format::Json, t);
    assert_eq!(
        json(
            r#"{"sjhm":"一三八 〇〇一三 八〇〇〇","bz":"一三八〇〇一三八〇〇〇","t":"第一二三四五六七八九十章"}"#
        ),
        r#"{"sjhm":"一三八 **** 八〇〇〇","bz":"一三八〇〇一三八〇〇〇","t":"第一二三四五六七八九十章"}"#
    );
    // A label and the number with no punctuation at all (no ASCII digit, no colon): the
    // numerals are the digits a label's value needs.
    for (input, want) in [
        (
            r#"{"r":"电话一三八零零一三八零零零"}"#,
            r#"{"r":"电话一三八****八零零零"}"#,
        ),
        (
            r#"{"r":"身份证号一一零一零五一九四九一二三一零零二X"}"#,
            r#"{"r":"身份证号一一零一零五********零零二X"}"#,
        ),
        (
            r#"{"k":"联系电话","v":"一三八零零一三八零零零"}"#,
            r#"{"k":"联系电话","v":"一三八****八零零零"}"#,
        ),
        // Alone, numerals are no number.
        (
            r#"{"r":"一三八零零一三八零零零"}"#,
            r#"{"r":"一三八零零一三八零零零"}"#,
        ),
    ] {
        assert_eq!(json(input), want, "{input}");
    }
}

/// Passport and permit numbers whose digits are written in groups are found beside their
/// label or under their field name, the letters with them; a chain that goes on past the
/// number's length, letters glued to more letters, or no context is nothing.
#[test]
fn grouped_passport_and_permit_numbers() {
    let text = |t: &str| redacted(sluice_rules::Format::Text, t);
    assert_eq!(
        text("护照号码：E1234 5678；护照 EA123-4567；回乡证号码：H1234 5678 01"),
        "护照号码：E**** *678；护照 E****-*567；回乡证号码：H**** **** 01"
    );
    for t in [
        "护照号码：E1234 5678 9012；护照 XE1234 5678",
        "型号 G1234 5678，车次 G12 345 678",
    ] {
        assert_eq!(text(t), t);
    }
    let json = |t: &str| redacted(sluice_rules::Format::Json, t);
    assert_eq!(
        json(r#"{"hzhm":"G12-345-678","passport":"E 1234 5678","gatxz":"M1234-5678"}"#),
        r#"{"hzhm":"G**-***-678","passport":"E **** *678","gatxz":"M****-**78"}"#
    );
}

/// A result set whose columns are described in a `meta` member beside its rows (JDBC and BI
/// exports) reads each cell under its column's name; a `meta` with no column objects, or
/// columns that name nothing, change nothing.
#[test]
fn result_sets_with_columns_in_a_meta_member() {
    let json = |t: &str| redacted(sluice_rules::Format::Json, t);
    assert_eq!(
        json(
            r#"{"meta":{"fields":[{"name":"xm"},{"name":"zjhm"},{"name":"dz"}]},"data":[["王建平","110105710524571","北京市朝阳区建国路88号"]]}"#
        ),
        r#"{"meta":{"fields":[{"name":"xm"},{"name":"zjhm"},{"name":"dz"}]},"data":[["王**","110105******571","北京市朝阳区******"]]}"#
    );
    for t in [
        r#"{"meta":{"page":1,"total":2},"data":[["王建平","110105710524571"]]}"#,
        r#"{"schema":{"fields":[{"name":"a"},{"name":"b"}]},"rows":[["王建平","110105710524571"]]}"#,
    ] {
        assert_eq!(json(t), t);
    }
}

/// A grid's columns described as objects with an id and a display name (antd's `dataIndex`
/// and `title`, Element's `prop` and `label`, AG Grid's `field` and `headerName`) and its rows
/// written as objects keyed by those ids: each cell is read under its column's name; and an
/// XML table whose header is a `columns` element. Ids that are no column's, and columns
/// that name nothing, change nothing.
#[test]
fn grid_rows_keyed_by_column_ids() {
    let json = |t: &str| redacted(sluice_rules::Format::Json, t);
    assert_eq!(
        json(
            r#"{"columns":[{"dataIndex":"f1","title":"姓名","key":"f1"},{"dataIndex":"f2","title":"住址"}],"dataSource":[{"key":"1","f1":"王小明","f2":"北京市海淀区中关村大街27号"}]}"#
        ),
        r#"{"columns":[{"dataIndex":"f1","title":"姓名","key":"f1"},{"dataIndex":"f2","title":"住址"}],"dataSource":[{"key":"1","f1":"王**","f2":"北京市海淀区********"}]}"#
    );
    assert_eq!(
        json(
            r#"{"cols":[{"label":"联系人","prop":"c_1"}],"list":[{"c_1":"李建国"},{"c_1":"赵敏"}]}"#
        ),
        r#"{"cols":[{"label":"联系人","prop":"c_1"}],"list":[{"c_1":"李**"},{"c_1":"赵*"}]}"#
    );
    assert_eq!(
        json(r#"{"columnDefs":[{"headerName":"姓名","field":"a"}],"rowData":[{"a":"赵敏"}]}"#),
        r#"{"columnDefs":[{"headerName":"姓名","field":"a"}],"rowData":[{"a":"赵*"}]}"#
    );
    // The XML form: a columns element of column elements, then rows of cells; HTML's
    // `<colgroup><col>` (no end tag) leaves a header row of data cells as it was.
    let xml = |t: &str| redacted(sluice_rules::Format::Xml, t);
    assert_eq!(
        xml("<table><colgroup><col width=\"80\"><col width=\"120\"></colgroup><tr><td>姓名</td><td>IMEI</td></tr><tr><td>王小明</td><td>861234567890127</td></tr></table>"),
        "<table><colgroup><col width=\"80\"><col width=\"120\"></colgroup><tr><td>姓名</td><td>IMEI</td></tr><tr><td>王**</td><td>86123456*******</td></tr></table>"
    );
    // A folded full-width comma inside a value of such a table is written back as it was;
    // a soft hyphen after an ASCII delimiter leaves it a delimiter.
    let json = |t: &str| redacted(sluice_rules::Format::Json, t);
    assert_eq!(
        json(r#"{"file":"xm,dz\n朱伟,北京市，朝阳区建国路88号3栋2单元501室"}"#),
        r#"{"file":"xm,dz\n朱*,北京市，朝阳区***************"}"#
    );
    assert_eq!(
        json("{\"file\":\"xm,imei,bz\\n朱伟,\u{AD}861234567890127,ok\"}"),
        "{\"file\":\"xm,imei,bz\\n朱*,\u{AD}86123456*******,ok\"}"
    );
    assert_eq!(
        xml("<table><columns><col>xm</col><col>hzhm</col><col>bz</col></columns><rows><row><c>王小明</c><c>E12345678</c><c>无</c></row></rows></table>"),
        "<table><columns><col>xm</col><col>hzhm</col><col>bz</col></columns><rows><row><c>王**</c><c>E*****678</c><c>无</c></row></rows></table>"
    );
    // Columns described in a `meta` member beside the rows.
    assert_eq!(
        json(r#"{"meta":{"columns":[{"field":"c1","title":"姓名"}]},"data":[{"c1":"王小明"}]}"#),
        r#"{"meta":{"columns":[{"field":"c1","title":"姓名"}]},"data":[{"c1":"王**"}]}"#
    );
    // An id that is a known field name keeps its own name, whatever the title says.
    assert_eq!(
        json(r#"{"columns":[{"dataIndex":"xm","title":"学生"}],"dataSource":[{"xm":"张伟"}]}"#),
        r#"{"columns":[{"dataIndex":"xm","title":"学生"}],"dataSource":[{"xm":"张*"}]}"#
    );
    for t in [
        r#"{"columns":[{"dataIndex":"f1","title":"姓名"}],"dataSource":[{"f9":"王小明"}]}"#,
        r#"{"columns":[{"dataIndex":"f1","title":"备注"}],"dataSource":[{"f1":"王小明"}]}"#,
    ] {
        assert_eq!(json(t), t);
    }
}

/// Shapes of the twentieth probe: an event stream whose `data:` lines carry JSON (escapes
/// decoded, keys as context); guests, litigants and informants by their keys; a value quoted
/// after a Chinese label (YAML, prose); a header's column over a data cell that reads like
/// a label; a two-column fixed-width report with an ideographic space inside a value;
/// medical institution codes are no mobiles; dots under a field's own name; an address in a
/// narrative with no label, from its house number back to its region.
#[test]
fn twentieth_probe_shapes() {
    let json = |t: &str| redacted(sluice_rules::Format::Json, t);
    let text = |t: &str| redacted(sluice_rules::Format::Text, t);
    let html = |t: &str| redacted(sluice_rules::Format::Xml, t);
    assert_eq!(
        text(
            "id: 1\nevent: record\ndata: {\"xm\":\"\\u5f20\\u4e09\\u4e30\",\"sjhm\":\"\\u0031\\u0033\\u0038\\u0030\\u0030\\u0031\\u0033\\u0038\\u0030\\u0030\\u0030\"}\n\n\
             data: {\"mobilePhone\": \"153-69290805\"}\r\n\r\n"
        ),
        "id: 1\nevent: record\ndata: {\"xm\":\"\\u5f20\\u002a\\u002a\",\"sjhm\":\"\\u0031\\u0033\\u0038\\u002a\\u002a\\u002a\\u002a\\u0038\\u0030\\u0030\\u0030\"}\n\n\
         data: {\"mobilePhone\": \"153-****0805\"}\r\n\r\n"
    );
    assert_eq!(
        json(
            r#"{"guestName":"张三丰","guest_name":"李四光","litigant":"王小明","informant":"钱多多","bjr":"孙悟空"}"#
        ),
        r#"{"guestName":"张**","guest_name":"李**","litigant":"王**","informant":"钱**","bjr":"孙**"}"#
    );
    assert_eq!(
        text("- 姓名: \"王小明\"\n  当事人：“张梅”，女\n  家庭住址: '湖南省长沙市岳麓区麓山南路932号'\n"),
        "- 姓名: \"王**\"\n  当事人：“张*”，女\n  家庭住址: '湖南省长沙市***********'\n"
    );
    assert_eq!(
        html("<table><tr><th>ypbm</th><th>xm</th><th>bbh</th></tr><tr><td>SKU-2655652384</td><td>张三丰</td><td>2.10.0.115</td></tr></table>"),
        "<table><tr><th>ypbm</th><th>xm</th><th>bbh</th></tr><tr><td>SKU-2655652384</td><td>张**</td><td>2.10.0.115</td></tr></table>"
    );
    assert_eq!(
        text("taxpayerId          passport\n9211010144UCRR9H7B  PE8728846\n9336010201YH4846XK  G\u{3000}8278\u{3000}7488\n51630102384MAEGX3L  E58915904\n"),
        "taxpayerId          passport\n92110101********7B  P*****846\n93360102********XK  G\u{3000}****\u{3000}*488\n51630102********3L  E*****904\n"
    );
    for t in [
        r#"{"fixmedins_code":"H13010500123","fixmedinsCode":"H15010200001","amount":"190.32993032"}"#,
        r#"{"bz":"手机 190.32993032","version":"13800.138000"}"#,
    ] {
        assert_eq!(json(t), t);
    }
    assert_eq!(
        json(r#"{"手机号":"190.32993032","JSFZH":"110105.700505.144","lxdh":"0571.50371304"}"#),
        r#"{"手机号":"190.****3032","JSFZH":"110105.******.144","lxdh":"0571.****1304"}"#
    );
    let dotted = r#"{"xydm":"91.440106.41R8B3KY3.Q","bz":"91.440106.41R8B3KY3.Q"}"#;
    assert_ne!(json(dotted), dotted);
    // A dotted code that passes its organization code's check too is taken under any name
    // (the twenty-fourth probe), as one grouped with spaces or hyphens is.
    assert!(!json(dotted).contains("41R8B3KY3"));
    assert_eq!(
        json(
            r#"{"jqms":"2024年5月1日，事主在湖南省长沙市岳麓区麓山南路932号门口电动车被盗。报警人称其于5月2日在长沙市岳麓区人民路88号院3号楼再次被盗。"}"#
        ),
        r#"{"jqms":"2024年5月1日，事主在湖南省长沙市***********门口电动车被盗。报警人称其于5月2日在长沙市岳麓区**********再次被盗。"}"#
    );
    assert_eq!(
        json(r#"{"bz":"事发于广州市越秀区北京路88号附近","bz2":"广州市越秀区北京路"}"#),
        r#"{"bz":"事发于广州市越秀区******附近","bz2":"广州市越秀区北京路"}"#
    );
    // No house number after a street, or a decree's number: no address. An address alone
    // in a field no key names is left to its key (a shop's, a branch's).
    for t in [
        r#"{"bz":"湖南省长沙市人民路沿线施工"}"#,
        r#"{"bz":"广州市越秀区北京路88号"}"#,
        r#"{"bz":"根据湖南省人民政府令第12号，湖南省长沙市地铁2号线"}"#,
    ] {
        assert_eq!(json(t), t);
    }
}

/// The twenty-first probe's MIME shapes: a preamble before the first boundary; a multipart
/// nested in a part; quoted-printable parts in UTF-8 and GB2312, whose soft line breaks cut
/// numbers and characters (a mask keeps them, and no timestamp becomes a mobile); a mail
/// whose headers carry encoded words (RFC 2047, B and Q, one number cut across two words;
/// the sender's display name is a name) and whose body is a multipart with a base64 part.
#[test]
fn twenty_first_probe_mime_shapes() {
    let mime = |t: &str| redacted(sluice_rules::Format::Multipart, t);
    assert_eq!(
        mime("This is a multi-part message in MIME format.\r\n\r\n--BB\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n姓名：王小明 身份证号：110101199003071233\r\n--BB--\r\n"),
        "This is a multi-part message in MIME format.\r\n\r\n--BB\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n姓名：王** 身份证号：110101********1233\r\n--BB--\r\n"
    );
    assert_eq!(
        mime("--OUT\r\nContent-Type: multipart/alternative; boundary=\"IN\"\r\n\r\n--IN\r\nContent-Type: text/csv; charset=UTF-8\r\n\r\n姓名,身份证号\r\n张伟,110101199003071233\r\n--IN--\r\n--OUT\r\nContent-Disposition: form-data; name=\"sjhm\"\r\n\r\n13800138000\r\n--OUT--\r\n"),
        "--OUT\r\nContent-Type: multipart/alternative; boundary=\"IN\"\r\n\r\n--IN\r\nContent-Type: text/csv; charset=UTF-8\r\n\r\n姓名,身份证号\r\n张*,110101********1233\r\n--IN--\r\n--OUT\r\nContent-Disposition: form-data; name=\"sjhm\"\r\n\r\n138****8000\r\n--OUT--\r\n"
    );
    assert_eq!(
        mime("--BB\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=E5=A7=93=E5=90=8D=EF=BC=9A=E5=BC=A0=E4=BC=\r\n=9F\r\nsfzh: 1101011990=\r\n03071233\r\nts: 15840606387=\r\n37\r\n--BB--\r\n"),
        "--BB\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=E5=A7=93=E5=90=8D=EF=BC=9A=E5=BC=A0*=\r\n\r\nsfzh: 110101****=\r\n****1233\r\nts: 15840606387=\r\n37\r\n--BB--\r\n"
    );
    assert_eq!(
        mime("--BB\r\nContent-Type: application/json; charset=GB2312\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{\"xm\": \"=D5=C5=CE=B0\", \"sjhm\": \"1380013=\r\n8000\"}\r\n--BB--\r\n"),
        "--BB\r\nContent-Type: application/json; charset=GB2312\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{\"xm\": \"=D5=C5*\", \"sjhm\": \"138****=\r\n8000\"}\r\n--BB--\r\n"
    );
    assert_eq!(
        mime("From: =?UTF-8?B?5byg5Lyf?= <a@example.gov.cn>\r\nSubject: =?UTF-8?B?6Lqr5Lu96K+B5Y+3MTEwMTAxMTk5?=\r\n =?UTF-8?B?MDAzMDcxMjMz?=\r\nX-Note: =?GB2312?Q?=CA=D6=BB=FA=A3=BA13800138000?=\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"m1\"\r\n\r\n--m1\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n5aeT5ZCN77ya546L5bCP5piOCui6q+S7veivgeWPt++8mjExMDEwMTE5OTAwMzA3MTIzMwo=\r\n--m1--\r\n"),
        "From: =?UTF-8?B?5bygKg==?= <*@example.gov.cn>\r\nSubject: =?UTF-8?B?6Lqr5Lu96K+B5Y+3MTEwMTAxKioqKioqKioxMjMz?=\r\nX-Note: =?GB2312?Q?=CA=D6=BB=FA=A3=BA138****8000?=\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"m1\"\r\n\r\n--m1\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n5aeT5ZCN77ya546LKioK6Lqr5Lu96K+B5Y+377yaMTEwMTAxKioqKioqKioxMjMzCg==\r\n--m1--\r\n"
    );
    // A file name that opens with a person's name (a scanned ID card), written plainly or
    // as encoded words, in `filename` or in a `Content-Type`'s `name`; a place is no name.
    assert_eq!(
        mime("--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"张斌_身份证.jpg\"\r\nContent-Type: text/csv; name=\"=?UTF-8?B?5byg5paMX+adkOaWmS5jc3Y=?=\"\r\n\r\nxx\r\n--b\r\nContent-Disposition: form-data; name=\"g\"; filename=\"石家庄_统计.csv\"\r\n\r\nyy\r\n--b--\r\n"),
        "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"张*_身份证.jpg\"\r\nContent-Type: text/csv; name=\"=?UTF-8?B?5bygKl/mnZDmlpkuY3N2?=\"\r\n\r\nxx\r\n--b\r\nContent-Disposition: form-data; name=\"g\"; filename=\"石家庄_统计.csv\"\r\n\r\nyy\r\n--b--\r\n"
    );
    // Passports and permits written with dots, or with their two letters apart; a version
    // or a model number with no keyword beside it is neither.
    let text = |t: &str| redacted(sluice_rules::Format::Text, t);
    assert_eq!(
        text("护照号码：E1947.3803\n护照号码：E.9235.8247\n护照号：E W367 1831\n港澳通行证号：H1234.5678\n"),
        "护照号码：E****.*803\n护照号码：E.****.*247\n护照号：E **** *831\n港澳通行证号：H****.**78\n"
    );
    let plain = "型号 A B1234567 版本 E.9235.8247 G.1234.5678\n";
    assert_eq!(text(plain), plain);
    // A run of encoded words in a charset it cannot read is left to the text's own
    // detection, and a base64 token elsewhere in the block is still read.
    assert_eq!(
        mime("Subject: =?koi8-r?Q?11010519491231002X?=\r\nX-Data: MTEwMTA1MTk0OTEyMzEwMDJY\r\nX-Note: =?utf-8?Q?a?=\r\nMIME-Version: 1.0\r\n\r\nhi\r\n"),
        "Subject: =?koi8-r?Q?110105********002X?=\r\nX-Data: MTEwMTA1KioqKioqKiowMDJY\r\nX-Note: =?utf-8?Q?a?=\r\nMIME-Version: 1.0\r\n\r\nhi\r\n"
    );
    // What declares these bodies: any multipart type and a mail.
    for ct in [
        "multipart/mixed; boundary=BB",
        "multipart/related; type=\"application/xop+xml\"",
        "message/rfc822",
    ] {
        assert_eq!(
            sluice_rules::Format::from_content_type(ct),
            Some(sluice_rules::Format::Multipart),
            "{ct}"
        );
    }
}

/// The twenty-second probe's shapes: a URL escape under JSON's `\\u` escapes or XML's
/// character references (each layer alone was read, the two stacked were not); JSON's `\\u`
/// escapes in a text log line; a product code that opens with a mobile's digits
/// (`13800138000-01`) is no mobile but under a mobile's field name; dotted numbers after a
/// Chinese label that names their field; the permit label `通行证号`.
#[test]
fn twenty_second_probe_shapes() {
    let json = |t: &str| redacted(sluice_rules::Format::Json, t);
    let xml = |t: &str| redacted(sluice_rules::Format::Xml, t);
    let text = |t: &str| redacted(sluice_rules::Format::Text, t);
    assert_eq!(
        json(
            r#"{"sfzh":"\u0025\u0033\u0031\u0025\u0033\u0031\u0025\u0033\u0030\u0025\u0033\u0031\u0025\u0033\u0030\u0025\u0033\u0035\u0025\u0033\u0031\u0025\u0033\u0039\u0025\u0033\u0034\u0025\u0033\u0039\u0025\u0033\u0031\u0025\u0033\u0032\u0025\u0033\u0033\u0025\u0033\u0031\u0025\u0033\u0030\u0025\u0033\u0030\u0025\u0033\u0032\u0025\u0035\u0038"}"#
        ),
        r#"{"sfzh":"\u0025\u0033\u0031\u0025\u0033\u0031\u0025\u0033\u0030\u0025\u0033\u0031\u0025\u0033\u0030\u0025\u0033\u0035%2A%2A%2A%2A%2A%2A%2A%2A\u0025\u0033\u0030\u0025\u0033\u0030\u0025\u0033\u0032\u0025\u0035\u0038"}"#
    );
    assert_eq!(xml("<r><sfzh>&#x25;&#x33;&#x31;&#x25;&#x33;&#x31;&#x25;&#x33;&#x30;&#x25;&#x33;&#x31;&#x25;&#x33;&#x30;&#x25;&#x33;&#x35;&#x25;&#x33;&#x31;&#x25;&#x33;&#x39;&#x25;&#x33;&#x34;&#x25;&#x33;&#x39;&#x25;&#x33;&#x31;&#x25;&#x33;&#x32;&#x25;&#x33;&#x33;&#x25;&#x33;&#x31;&#x25;&#x33;&#x30;&#x25;&#x33;&#x30;&#x25;&#x33;&#x32;&#x25;&#x35;&#x38;</sfzh></r>"), "<r><sfzh>&#x25;&#x33;&#x31;&#x25;&#x33;&#x31;&#x25;&#x33;&#x30;&#x25;&#x33;&#x31;&#x25;&#x33;&#x30;&#x25;&#x33;&#x35;%2A%2A%2A%2A%2A%2A%2A%2A&#x25;&#x33;&#x30;&#x25;&#x33;&#x30;&#x25;&#x33;&#x32;&#x25;&#x35;&#x38;</sfzh></r>");
    assert_eq!(
        text(
            r#"INFO body={"sfzh":"\u0031\u0031\u0030\u0031\u0030\u0035\u0031\u0039\u0034\u0039\u0031\u0032\u0033\u0031\u0030\u0030\u0032\u0058","xm":"\u738b\u5c0f\u660e"}, spbm=19367215720-37"#
        ),
        r#"INFO body={"sfzh":"\u0031\u0031\u0030\u0031\u0030\u0035\u002a\u002a\u002a\u002a\u002a\u002a\u002a\u002a\u0030\u0030\u0032\u0058","xm":"\u738b\u002a\u002a"}, spbm=19367215720-37"#
    );
    let code = r#"{"productCode":"13800138000-01","bz":"skuId=13154110112-01"}"#;
    assert_eq!(json(code), code);
    assert_eq!(
        json(r#"{"sjhm":"13800138000-01"}"#),
        r#"{"sjhm":"138****8000-01"}"#
    );
    assert_eq!(
        text("身份证号码:654325.801011.136\n统一社会信用代码：91.350100.M000100Y4.3\n通行证号：H40545554\n"),
        "身份证号码:654325.******.136\n统一社会信用代码：91.350100.********4.3\n通行证号：H******54\n"
    );
    let plain = "版本号：654325.801011.136 金额 190.32993032\n";
    assert_eq!(text(plain), plain);
}

/// The twenty-third probe (streaming and API body shapes): `key = value` lines with blanks
/// before the separator, JSON text sequences, a JSON member's number in text, and compound
/// field names of an old identity number.
#[test]
fn twenty_third_probe_shapes() {
    let json = |t: &str| redacted(sluice_rules::Format::Json, t);
    let text = |t: &str| redacted(sluice_rules::Format::Text, t);
    assert_eq!(
        text("xm = 张三\njsfzh = 110105491231002\n\"xm\" : \"王芳\"\nxm = 张伟 sfzh = 11010519491231002X\n"),
        "xm = 张*\njsfzh = 110105******002\n\"xm\" : \"王*\"\nxm = 张* sfzh = 110105********002X\n"
    );
    // Records after 0x1E; a number's mask is written as a string.
    assert_eq!(
        json("\u{1e}{\"a\":\"x\",\"sfzh\":\"11010519491231002X\"}\n\u{1e}{\"sjhm\":13812345678}\n"),
        "\u{1e}{\"a\":\"x\",\"sfzh\":\"110105********002X\"}\n\u{1e}{\"sjhm\":\"138****5678\"}\n"
    );
    assert_eq!(
        text("event: record\ndata: {\ndata:   \"sjhm\": 13812345678\ndata: }\n\nINFO payload={\"lxdh\":13812345678,\"n\":1} phone: 13812345678\n"),
        "event: record\ndata: {\ndata:   \"sjhm\": \"138****5678\"\ndata: }\n\nINFO payload={\"lxdh\":\"138****5678\",\"n\":1} phone: 138****5678\n"
    );
    // A level under a Chinese field name keeps the name (a YAML line), quoted or not.
    assert_eq!(
        text("mj: 绝密★\n密级: 机密★\n- 密级: \"秘密\"\n"),
        "mj: 【密级标识】★\n密级: 【密级标识】★\n- 密级: \"【密级标识】\"\n"
    );
    assert_eq!(
        json(r#"{"legacyIdCardNo":"110105491231002","legacy_id_card":"320102880229123"}"#),
        r#"{"legacyIdCardNo":"110105******002","legacy_id_card":"320102******123"}"#
    );
}

/// YAML block scalars (`key: >-` and the value on the lines under it): each line of the
/// scalar is a value under the key, up to the first line indented no further than the key;
/// a key no rule names gives its lines nothing.
#[test]
fn yaml_block_scalars_keep_their_key() {
    let text = |t: &str| redacted(sluice_rules::Format::Text, t);
    assert_eq!(
        text("- xm: |\n    张伟\n  jtzz: >-\n    广东省深圳市南山区科技园路1号\n  \"sjhm\": |+ # kept\n\n    13812345678\n  remark: >\n    广东省深圳市南山区科技园路1号\n"),
        "- xm: |\n    张*\n  jtzz: >-\n    广东省深圳市*********\n  \"sjhm\": |+ # kept\n\n    138****5678\n  remark: >\n    广东省深圳市南山区科技园路1号\n"
    );
    // The scalar ends at a line no deeper than its key; a `|` inside a value is no scalar.
    assert_eq!(
        text("jtzz: |\n  浙江省杭州市西湖区文三路90号\nnote: 广东省深圳市南山区科技园路1号\nxm: a|b\n"),
        "jtzz: |\n  浙江省杭州市*********\nnote: 广东省深圳市南山区科技园路1号\nxm: a|b\n"
    );
}

/// The twenty-fourth probe (an independent replica of the hidden corpus): a whole value under
/// an identifier's own field name with separators of two kinds or at odd places; a country
/// code's hyphen before a dotted mobile; dotted credit codes that pass both checks; a credit
/// code after its label and a copula; base64 in a quoted value of a log line. Values that only
/// look alike keep their bytes.
#[test]
fn twenty_fourth_probe_shapes() {
    let json = |t: &str| redacted(sluice_rules::Format::Json, t);
    let text = |t: &str| redacted(sluice_rules::Format::Text, t);
    let form = |t: &str| redacted(sluice_rules::Format::Form, t);
    assert_eq!(
        json(
            r#"{"sjhm":"138 0013.8000","shoujihao":"+86-181.3674.3987","sfzh":"110105.19491231 002X","SFZH":"5401.02530 62.8397","yhkh":"6222 0212.3456 7890 128","tyshxydm":"123401 028BAYPF.MA72"}"#
        ),
        r#"{"sjhm":"138 ****.8000","shoujihao":"+86-181.****.3987","sfzh":"110105.******** 002X","SFZH":"5401.02*** **.*397","yhkh":"6222 ****.**** ***0 128","tyshxydm":"123401 02******.**72"}"#
    );
    assert_eq!(
        form("contactPhone=%2B86-152.6795.1258&lxdh=86152.6795.1258"),
        "contactPhone=%2B86-152.****.1258&lxdh=86152.****.1258"
    );
    // A `key: value` pair in a log line, zero-width characters and dots in the value.
    assert_eq!(
        text("WARN req sfzh: 3601\u{200d}0.2\u{200d}570313.61\u{200d}1 ok\n"),
        "WARN req sfzh: 3601\u{200d}0.2\u{200d}******.61\u{200d}1 ok\n"
    );
    // The same shapes under no identifier's name, or failing their checks, stay.
    let kept = r#"{"version":"138 0013.8000","note":"110105.19491231 002X","sjhm":"138 0013.8001x","sfzh":"110105.19491231 0021"}"#;
    assert_eq!(json(kept), kept);
    assert_eq!(
        json(r#"{"bz":"123401.028BAYPF.MA72"}"#),
        r#"{"bz":"123401.02******.**72"}"#
    );
    assert_eq!(
        text("统一社会信用代码为123401.028BAYPF.MA72。电话 +86-181.3674.3987"),
        "统一社会信用代码为123401.02******.**72。电话 +86-181.****.3987"
    );
    assert_eq!(
        text("INFO {\"zjhm\": \"NDUwMTAyNjcwOTAyNTEy\"} zjhm='NDUwMTAyNjcwOTAyNTEy' note=\"NDUwMTAyNjcwOTAyNTEy\"\n"),
        "INFO {\"zjhm\": \"NDUwMTAyKioqKioqNTEy\"} zjhm='NDUwMTAyKioqKioqNTEy' note=\"NDUwMTAyNjcwOTAyNTEy\"\n"
    );
}

/// Dotted all-digit strings that pass a credit code's checks out of its grouping are build
/// stamps and versions as often (`12.11.20240101.003715`): they need the field's name; in the
/// code's own 2-6-9-1 grouping, or with its letters, they do not.
#[test]
fn dotted_credit_codes_need_their_grouping_or_letters() {
    let json = |t: &str| redacted(sluice_rules::Format::Json, t);
    let text = |t: &str| redacted(sluice_rules::Format::Text, t);
    for v in [
        "12.11.20240101.003715",
        "12.11.20240101.015930",
        "12.11.20240101.022545",
    ] {
        let body = format!(r#"{{"version":"{v}","build":"{v}"}}"#);
        assert_eq!(json(&body), body);
        let line = format!("release {v} deployed");
        assert_eq!(text(&line), line);
        assert_ne!(
            json(&format!(r#"{{"tyshxydm":"{v}"}}"#)),
            format!(r#"{{"tyshxydm":"{v}"}}"#)
        );
    }
    assert!(!json(r#"{"bz":"91.440106.41R8B3KY3.Q"}"#).contains("41R8B3KY3"));
}

/// The twenty-fifth probe: names after the role words of transport, hospital, school,
/// police and social-service texts (with or without a colon), and before what a narrative
/// says next (`今年`, `等`, `系`, `办理`…); the words that follow such role words and the
/// verbs in ordinary sentences stay.
#[test]
fn twenty_fifth_probe_role_words() {
    let text = |t: &str| redacted(sluice_rules::Format::Text, t);
    for (input, want) in [
        ("旅客：范健，已登记。", "旅客：范*，已登记。"),
        ("患者东方荣，女，汉族。", "患者东**，女，汉族。"),
        ("嫌疑人尉迟丽丽今年45岁。", "嫌疑人尉***今年45岁。"),
        ("被告人王敏等三人到场。", "被告人王*等三人到场。"),
        ("驾驶人司徒淑华系本市户籍。", "驾驶人司***系本市户籍。"),
        ("民警韩建办理了手续。", "民警韩*办理了手续。"),
    ] {
        assert_eq!(text(input), want, "{input}");
    }
    for kept in [
        "旅客权益受到法律保护。",
        "乘客何时到达尚不清楚。",
        "居民安全感持续提升。",
        "申请人来电反映小区噪音扰民。",
        "申请人代理人提交了证据。",
        "申请人母亲称孩子一夜未归。",
        "申请人依法提出异议。",
        "申请人通过12345热线反映问题。",
        "被申请人方面未提出异议。",
        "班主任马上联系了家长。",
        "纳税人信用等级评定结果公布。",
        "学生会干部名单已公示。",
    ] {
        assert_eq!(text(kept), kept);
    }
}

/// After a role word, a name of name characters may end before a one-character verb, at a
/// full stop, a line end or the end of the text; a name in parts written in transliteration
/// syllables before a verb, `的` or a gender, whole. Everyday words that open with a surname
/// character do not (绩, 全, 天 are no name characters, 满 and 凌 no common surnames; 达成,
/// 福利, 明确 are words), nor a run with a verb inside (`房屋于`, `方已`), nor units and
/// estates written with a dot.
#[test]
fn names_before_one_character_verbs_and_at_sentence_ends() {
    let text = |t: &str| redacted(sluice_rules::Format::Text, t);
    for (input, want) in [
        (
            "旅客陈军持居民身份证前来办理。",
            "旅客陈*持居民身份证前来办理。",
        ),
        (
            "经查，患者冯丽娟在现场接受了询问。",
            "经查，患者冯**在现场接受了询问。",
        ),
        (
            "患者张倩向工作人员说明了情况。",
            "患者张*向工作人员说明了情况。",
        ),
        (
            "患者公孙帆持居民身份证前来办理。",
            "患者公**持居民身份证前来办理。",
        ),
        ("患者田颖和其家属到场。", "患者田*和其家属到场。"),
        ("患者饶桂兰在家中休息。", "患者饶**在家中休息。"),
        ("患者张娜。以上情况属实。", "患者张*。以上情况属实。"),
        ("经核实，本次涉及的患者夏燕", "经核实，本次涉及的患者夏*"),
        (
            "经核实，本次涉及的患者夏燕\n下一条",
            "经核实，本次涉及的患者夏*\n下一条",
        ),
        ("举报人张燕也表示不满。", "举报人张*也表示不满。"),
        ("驾驶人王浩然系本市户籍。", "驾驶人王**系本市户籍。"),
        (
            "患者张伟在北京·朝阳医院就诊。",
            "患者张*在北京·朝阳医院就诊。",
        ),
        (
            "患者阿依古丽·买买提自述近三天未休息。",
            "患者阿***·***自述近三天未休息。",
        ),
        (
            "当晚，患者巴特尔·其木格被送往医院。",
            "当晚，患者巴**·***被送往医院。",
        ),
        (
            "被害人古丽娜尔·艾山的材料已归档。",
            "被害人古***·**的材料已归档。",
        ),
        (
            "业主迪丽努尔·阿木提。以上情况属实。",
            "业主迪***·***。以上情况属实。",
        ),
        (
            "员工努尔兰·哈力木（男，1985年出生）到案。",
            "员工努**·***（男，1985年出生）到案。",
        ),
        (
            "热依拉·阿不都，女，汉族，住本市。",
            "热**·***，女，汉族，住本市。",
        ),
        (
            "本案已审结.王芳，女，1985年出生。",
            "本案已审结.王*，女，1985年出生。",
        ),
    ] {
        assert_eq!(text(input), want, "{input}");
    }
    for kept in [
        "考生成绩将于6月25日公布。",
        "学生安全在第一位。",
        "学生明天到校报到。",
        "学生成长的关键在于家庭。",
        "投诉人及被投诉人达成和解。",
        "员工福利已发放到位。",
        "业主利益的保护。",
        "患者权益受到保护。",
        "负责人相关.",
        "确保业主满意。",
        "居民凌晨在家中听到异响。",
        "来电人明确表示不接受调解。",
        "业主房屋于2019年购买。",
        "原告方已提交补充证据。",
        "持卡人向银行申请展期。",
        "被害人钱财被骗。",
        "业主万科·城市花园小区3栋漏水。",
        "患者服务·温馨关怀在行动。",
        "联系人：物业服务中心·客服部",
    ] {
        assert_eq!(text(kept), kept);
    }
}

/// A name after a role word ends before `的` too, when it vouches for itself as before a
/// one-character verb; role words of care, housing and social security
/// (老人, 儿童, 产妇, 承租人, 参保人…) are labels; a name in parts after a lead-in verb is
/// masked whole, not only its last part.
#[test]
fn names_before_de_after_more_role_words_and_dotted_after_lead_ins() {
    let text = |t: &str| redacted(sluice_rules::Format::Text, t);
    for (input, want) in [
        ("申请人王建国的材料已收到。", "申请人王**的材料已收到。"),
        ("患者李秀英的病历已归档。", "患者李**的病历已归档。"),
        (
            "当事人欧阳娜娜的名下房产已被冻结。",
            "当事人欧***的名下房产已被冻结。",
        ),
        (
            "老人彭德明的血常规检查结果异常。",
            "老人彭**的血常规检查结果异常。",
        ),
        ("产妇卢兵，女，32岁。", "产妇卢*，女，32岁。"),
        (
            "参保人周建华于2024年3月申领。",
            "参保人周**于2024年3月申领。",
        ),
        (
            "承租人张伟的租赁合同将于下月到期。",
            "承租人张*的租赁合同将于下月到期。",
        ),
        (
            "经查热依拉·阿不都，女，1990年生。",
            "经查热**·***，女，1990年生。",
        ),
        (
            "经核实艾尔肯·吐尔逊，男，汉族。",
            "经核实艾**·***，男，汉族。",
        ),
        ("另查明阿依古丽·买买提，女。", "另查明阿***·***，女。"),
    ] {
        assert_eq!(text(input), want, "{input}");
    }
    for kept in [
        "申请人提交的材料齐全。",
        "当事人双方的意见一致。",
        "患者家属的要求合理。",
        "业主委员会的决定有效。",
        "学生万元的具体说明存在疑问。",
        "住户何时入住的内容已转交相关部门。",
        "学生武汉的户籍存在疑问。",
        "申请人李某的材料已收到。",
        "老人与海。",
        "经查万科·城市花园，女",
    ] {
        assert_eq!(text(kept), kept);
    }
}

/// A name right after a lead-in verb of a case note (`经查`, `查明`, `询问`, `约谈`, `通知`)
/// or after more role words (`信访人`, `被调查人`), before what the person did, said or is
/// (`称`, `于`, `的`, `时`, `后`, `对`, `并`); a name in three parts after a lead-in; none of
/// the words that stand in those places instead.
#[test]
fn names_after_lead_in_verbs_and_three_part_names() {
    let text = |t: &str| redacted(sluice_rules::Format::Text, t);
    for (input, want) in [
        ("经查王建国称其已搬离。", "经查王**称其已搬离。"),
        (
            "查明上官秀梅与对方已达成调解协议。",
            "查明上***与对方已达成调解协议。",
        ),
        ("询问赵磊时，其称记不清。", "询问赵*时，其称记不清。"),
        (
            "约谈孙丽后，已下达整改通知。",
            "约谈孙*后，已下达整改通知。",
        ),
        ("通知周强到场，未果。", "通知周*到场，未果。"),
        ("约谈张梅并下达整改通知书。", "约谈张*并下达整改通知书。"),
        (
            "当事人李秀英对处理结果无异议。",
            "当事人李**对处理结果无异议。",
        ),
        ("信访人刘洋于2024年3月来访。", "信访人刘*于2024年3月来访。"),
        (
            "被调查人陈静的住房确属危房。",
            "被调查人陈*的住房确属危房。",
        ),
        ("经调查禤建国的陈述属实。", "经调查禤**的陈述属实。"),
        (
            "经查如克亚·热合曼·祖丽胡玛尔，男，26岁。",
            "经查如**·***·*****，男，26岁。",
        ),
        (
            "申请人艾克拜尔·阿卜杜拉·如克亚称其房屋受损。",
            "申请人艾***·****·***称其房屋受损。",
        ),
    ] {
        assert_eq!(text(input), want, "{input}");
    }
    for kept in [
        "经查该单位称已整改。",
        "查明相关材料于上月提交。",
        "调查组的意见已送达。",
        "询问路人时，路人称未看到事发经过。",
        "经查黎明时分现场已无人员滞留。",
        "调查洪泽的执法情况。",
        "申请人本人称已收到。",
        "当事人双方对鉴定结论均无异议。",
        "经查比亚迪·汉，该商品存在虚假宣传。",
        "根据老人孟春时节的问题需进一步核查。",
        "电话另行通知。",
        "约谈董事长，情况如上。",
        "调查范围，已录入系统。",
        "经查唐山，已纳入统一管理。",
        "经核实成立，存在一定隐患。",
        "举报人居住地，请予关注。",
    ] {
        assert_eq!(text(kept), kept);
    }
}

/// A remark with no punctuation and no digit (`户主李秀英因病去世`): the name after a role word
/// or lead-in ends at its verb and needs no delimiter; values of that shape with no role word
/// before a name (unit and office names, everyday remarks) stay as they are.
#[test]
fn names_in_remarks_with_no_delimiter() {
    let json = |t: &str| redacted(sluice_rules::Format::Json, t);
    for (input, want) in [
        (
            r#"{"bz":"户主李秀英因病去世"}"#,
            r#"{"bz":"户主李**因病去世"}"#,
        ),
        (
            r#"{"bz":"患者王建国称头痛三天"}"#,
            r#"{"bz":"患者王**称头痛三天"}"#,
        ),
        (
            r#"{"备注":"经查诸葛丹系本村低保户"}"#,
            r#"{"备注":"经查诸**系本村低保户"}"#,
        ),
        (
            r#"{"remark":"村民张桂兰反映自来水长期停供"}"#,
            r#"{"remark":"村民张**反映自来水长期停供"}"#,
        ),
        (
            r#"{"bz":"信访人黄颖男现住青山镇"}"#,
            r#"{"bz":"信访人黄*男现住青山镇"}"#,
        ),
    ] {
        assert_eq!(json(input), want, "{input}");
    }
    for kept in [
        r#"{"sjly":"住房公积金管理中心","khh":"中国农业银行"}"#,
        r#"{"bz":"申请人本人称已收到"}"#,
        r#"{"bz":"学生会主席团换届选举"}"#,
        r#"{"bz":"当事人双方对鉴定结论均无异议"}"#,
        r#"{"bz":"经查该单位称已整改完毕"}"#,
        r#"{"bz":"经了解信访人反映的拖欠工资问题属实"}"#,
        r#"{"bz":"当事人于年月日申请财产保全"}"#,
        r#"{"bz":"学生男女比例失衡"}"#,
        // An anchor a name stands before needs a delimiter before the name.
        r#"{"bz":"那些她的手机处理.信息名称安全.患者家属称病情好转"}"#,
    ] {
        assert_eq!(json(kept), kept);
    }
}

/// Probe 30: documents that need context, with the context real records give them. English
/// keywords match in either case (`Passport No.`, a `PASSPORT` type field beside the number);
/// a generic document label (`证件号码`, `证件`), travel words (`出境`, `入境`) and more field
/// names vouch for passports and permits; a Taiwan permit is taken after its label written
/// without a colon, or before it in brackets, and may hold one separator; a name after a
/// traveller's role word ends at the verb before a document's label. A landline's shape
/// after an archive, statistics, asset or serial number label is that number.
#[test]
fn documents_with_the_context_records_give_them() {
    let json = |t: &str| redacted(sluice_rules::Format::Json, t);
    for (input, want) in [
        (
            r#"{"remark":"Passport No. E12345678"}"#,
            r#"{"remark":"Passport No. E*****678"}"#,
        ),
        (
            r#"{"cardType":"PASSPORT","cardNo":"G12345678"}"#,
            r#"{"cardType":"PASSPORT","cardNo":"G*****678"}"#,
        ),
        (
            r#"{"bz":"经核查，其证件号码为G89136167。"}"#,
            r#"{"bz":"经核查，其证件号码为G*****167。"}"#,
        ),
        (
            r#"{"bz":"旅客王某持E23456789于2024年3月1日出境"}"#,
            r#"{"bz":"旅客王某持E*****789于2024年3月1日出境"}"#,
        ),
        (
            r#"{"bz":"证件【E46279495】"}"#,
            r#"{"bz":"证件【E*****495】"}"#,
        ),
        (r#"{"hzbh":"E08488877"}"#, r#"{"hzbh":"E*****877"}"#),
        (
            r#"{"bz":"通行证: C40154794"}"#,
            r#"{"bz":"通行证: C******94"}"#,
        ),
        (r#"{"hxzhm":"H8445879305"}"#, r#"{"hxzhm":"H********05"}"#),
        (
            r#"{"documentType":"ID_CARD","documentNo":"430702630412937"}"#,
            r#"{"documentType":"ID_CARD","documentNo":"430702******937"}"#,
        ),
        (r#"{"bz":"台胞证89543336"}"#, r#"{"bz":"台胞证8*****36"}"#),
        (
            r#"{"bz":"台胞张桂珍持台胞证76528549于2022年12月3日经罗湖入境。"}"#,
            r#"{"bz":"台胞张**持台胞证7*****49于2022年12月3日经罗湖入境。"}"#,
        ),
        (
            r#"{"bz":"80677960(台湾居民来往大陆通行证)"}"#,
            r#"{"bz":"8*****60(台湾居民来往大陆通行证)"}"#,
        ),
        (r#"{"tbzhm":"345490-6601"}"#, r#"{"tbzhm":"3*****-**01"}"#),
        // A verb between a name and the next label (`持护照`) ends the name.
        (
            r#"{"bz":"旅客涂凤兰持港澳通行证出境。"}"#,
            r#"{"bz":"旅客涂**持港澳通行证出境。"}"#,
        ),
    ] {
        assert_eq!(json(input), want, "{input}");
    }
    for kept in [
        r#"{"bz":"型号E12345678，出厂编号2024"}"#,
        r#"{"bz":"证件号码：110105199003071235，型号E12345678"}"#,
        r#"{"bz":"批次号E12345678已入库"}"#,
        r#"{"bz":"国药准字H20051234"}"#,
        r#"{"bz":"档案号0757-75770747"}"#,
        r#"{"bz":"统计编号：0731-27936921"}"#,
        r#"{"assetNo":"025-48504414","serialNo":"0571-63511979"}"#,
        r#"{"bz":"台胞证办理须知：请于20240101前提交"}"#,
        r#"{"tbzhm":"2024-01-01"}"#,
    ] {
        assert_eq!(json(kept), kept);
    }
}

/// A type field says what the generic number field after it holds (`zjlx` then `zjhm`), in
/// words or as a public-security code, in every format that names its fields; a type in
/// words that names something else (a model, a licence) vetoes the travel documents.
#[test]
fn a_type_field_says_what_its_number_field_holds() {
    use sluice_rules::Format;
    for (format, input, want) in [
        (
            Format::Json,
            r#"{"xm":"周峰","zjlx":"台湾居民来往大陆通行证","zjhm":"66938487"}"#,
            r#"{"xm":"周*","zjlx":"台湾居民来往大陆通行证","zjhm":"6*****87"}"#,
        ),
        (
            Format::Json,
            r#"[{"zjzl":"台胞证","zjhm":"4593653201"},{"zjzl":"台胞证","zjhm":"45936532"}]"#,
            r#"[{"zjzl":"台胞证","zjhm":"4*******01"},{"zjzl":"台胞证","zjhm":"4*****32"}]"#,
        ),
        (
            Format::Json,
            r#"{"idType":"511","xb":"女","csrq":"1990-01-01","idNo":"12345678"}"#,
            r#"{"idType":"511","xb":"女","csrq":"1990-01-01","idNo":"1*****78"}"#,
        ),
        (
            Format::Json,
            r#"{"zjlx":"414","zjhm":"Y2865707"}"#,
            r#"{"zjlx":"414","zjhm":"Y****707"}"#,
        ),
        (
            Format::Json,
            r#"{"zjlx":"111","zjhm":"430702630412937"}"#,
            r#"{"zjlx":"111","zjhm":"430702******937"}"#,
        ),
        (
            Format::Xml,
            r#"<r><certType>511</certType><certNo>20652132</certNo></r>"#,
            r#"<r><certType>511</certType><certNo>2*****32</certNo></r>"#,
        ),
        (
            Format::Xml,
            r#"<r><zj zjzl="台胞证" zjhm="82082861"/></r>"#,
            r#"<r><zj zjzl="台胞证" zjhm="8*****61"/></r>"#,
        ),
        (
            Format::Csv,
            "xm,xb,csrq,documentType,documentNo\n蔡琴,女,1994-05-13,511,70474433\n",
            "xm,xb,csrq,documentType,documentNo\n蔡*,女,1994-05-13,511,7*****33\n",
        ),
        (
            Format::Form,
            "idType=%E5%8F%B0%E8%83%9E%E8%AF%81&idNo=57992226",
            "idType=%E5%8F%B0%E8%83%9E%E8%AF%81&idNo=5*****26",
        ),
        // Names read as rule keys are (a path, a role before the name); a code beside an
        // empty name, or a local code beside a name in words, keeps what the other said.
        (
            Format::Form,
            "user.idType=511&user.idNo=12345678",
            "user.idType=511&user.idNo=1*****78",
        ),
        (
            Format::Json,
            r#"{"sqrzjlx":"511","zjlxmc":"","sqrzjhm":"12345678"}"#,
            r#"{"sqrzjlx":"511","zjlxmc":"","sqrzjhm":"1*****78"}"#,
        ),
        (
            Format::Json,
            r#"{"zjlxmc":"台胞证","zjlxdm":"06","zjhm":"12345678"}"#,
            r#"{"zjlxmc":"台胞证","zjlxdm":"06","zjhm":"1*****78"}"#,
        ),
        // A card number field takes a card-type field's word, not a general type's.
        (
            Format::Json,
            r#"{"zjlx":"511","cardNo":"3012345678","zjhm":"27801500"}"#,
            r#"{"zjlx":"511","cardNo":"3012345678","zjhm":"2*****00"}"#,
        ),
        (
            Format::Json,
            r#"{"cardType":"台胞证","cardNo":"12345678"}"#,
            r#"{"cardType":"台胞证","cardNo":"1*****78"}"#,
        ),
        // In text: the kind as a type, the number under a generic label after it.
        (
            Format::Text,
            "入住登记：王丹，证件类型台胞证，证件号码82066777，房号534。",
            "入住登记：王丹，证件类型台胞证，证件号码8*****77，房号534。",
        ),
        (
            Format::Text,
            "证件类型：护照，证件号码：Y2865707",
            "证件类型：护照，证件号码：Y****707",
        ),
    ] {
        assert_eq!(redacted(format, input), want, "{input}");
    }
    for kept in [
        // No type, a type too far back, an unknown code.
        r#"{"zjhm":"12345678"}"#,
        r#"{"zjlx":"511","a":"0","b":"1","c":"2","d":"3","e":"4","f":"5","g":"6","h":"7","i":"8","j":"9","k":"10","l":"11","m":"12","n":"13","o":"14","p":"15","zjhm":"12345678"}"#,
        r#"{"zjlx":"990","zjhm":"12345678"}"#,
        // The type is used up by its number field.
        r#"{"zjlx":"511","zjhm":"","cardNo":"12345678"}"#,
        // A type naming something else.
        r#"{"docType":"型号","docNo":"E48262737"}"#,
        r#"{"docType":"序列号","docNo":"EW2444295"}"#,
        r#"{"zjlx":"营业执照","zjhm":"H12345678"}"#,
        // A type is not carried into the next record.
        r#"[{"certNo":"1","certType":"511"},{"certNo":"12345678","certType":"990"}]"#,
        r#"[{"zjhm":"1","zjlx":"511"},{"zjhm":"12345678"}]"#,
        // `docType`'s codes are a system's own categories.
        r#"{"docType":"511","docNo":"12345678"}"#,
    ] {
        assert_eq!(redacted(Format::Json, kept), kept, "{kept}");
    }
    // Rows and elements are records too.
    for (format, kept) in [
        (Format::Csv, "zjhm,zjlx\n1,台胞证\n12345678,军官证\n"),
        (
            Format::Xml,
            "<rs><r><zjhm>1</zjhm><zjlx>511</zjlx></r><r><zjhm>12345678</zjhm></r></rs>",
        ),
        (
            Format::Xml,
            r#"<rs><zj zjhm="1" zjzl="台胞证"/><zj zjhm="12345678"/></rs>"#,
        ),
    ] {
        assert_eq!(redacted(format, kept), kept, "{kept}");
    }
    // With a type in the record, an unsure type, or none: a type naming nothing sure does
    // not veto what the number's own name says.
    assert_eq!(
        redacted(Format::Json, r#"{"zjlx":"其他","zjhm":"H12345678"}"#),
        r#"{"zjlx":"其他","zjhm":"H******78"}"#
    );
    for kept in [
        "证件类型台胞证，证件号码2024-01-01",
        "证件类型台胞证，证件号码：待补充",
        "台胞证办理须知，号码牌12号",
        "车辆通行证号码：20231234",
        "货车通行证号：2024-0156",
    ] {
        assert_eq!(redacted(Format::Text, kept), kept, "{kept}");
    }
}

/// A type written after its number field (keys in sorted order: Go maps, `sort_keys`,
/// PostgreSQL `jsonb` put `zjhm` before `zjlx`, `idNo` before `idType`) says what the number
/// is as one before it does: the number is held until its record says.
#[test]
fn a_type_after_its_number_says_what_it_holds() {
    use sluice_rules::Format;
    for (format, input, want) in [
        (
            Format::Json,
            r#"{"xm":"张三","zjhm":"27801500","zjlx":"511"}"#,
            r#"{"xm":"张*","zjhm":"2*****00","zjlx":"511"}"#,
        ),
        (
            Format::Json,
            r#"[{"idNo":"0912345678","idType":"台湾居民来往大陆通行证"},{"idNo":"12345678","idType":"990"}]"#,
            r#"[{"idNo":"0*******78","idType":"台湾居民来往大陆通行证"},{"idNo":"12345678","idType":"990"}]"#,
        ),
        // A bare number, and a type after an unsure code (`zjlxdm`, then `zjlxmc`).
        (
            Format::Json,
            r#"{"zjhm":27801500,"zjlxdm":"06","zjlxmc":"台胞证"}"#,
            r#"{"zjhm":"2*****00","zjlxdm":"06","zjlxmc":"台胞证"}"#,
        ),
        (
            Format::Csv,
            "证件号码,证件类型,姓名
27801500,台胞证,张三
12345678,军官证,李四
",
            "证件号码,证件类型,姓名
2*****00,台胞证,张*
12345678,军官证,李*
",
        ),
        (
            Format::Xml,
            "<rs><r><zjhm>27801500</zjhm><zjlx>511</zjlx></r><r><zjhm>12345678</zjhm></r></rs>",
            "<rs><r><zjhm>2*****00</zjhm><zjlx>511</zjlx></r><r><zjhm>12345678</zjhm></r></rs>",
        ),
        (
            Format::Form,
            "zjhm=27801500&zjlx=511&xm=%E5%BC%A0%E4%B8%89",
            "zjhm=2*****00&zjlx=511&xm=%E5%BC%A0%2A",
        ),
        // A type that names something else vetoes a travel document's reading.
        (
            Format::Json,
            r#"[{"docNo":"E48262737","docType":"型号"},{"docNo":"E48262737","docType":"护照"}]"#,
            r#"[{"docNo":"E48262737","docType":"型号"},{"docNo":"E*****737","docType":"护照"}]"#,
        ),
        (
            Format::Xml,
            "<p><zjhm>E48262737</zjhm><zjlx>营业执照</zjlx></p>",
            "<p><zjhm>E48262737</zjhm><zjlx>营业执照</zjlx></p>",
        ),
        // A resident ID's own check character needs no type, and a type naming something
        // else does not veto it; an old 15-digit one it does (a business licence's old
        // registration number), one its type names as a document numbered so it does not.
        (
            Format::Json,
            r#"{"zjhm":"11010519491231002X","zjlx":"营业执照"}"#,
            r#"{"zjhm":"110105********002X","zjlx":"营业执照"}"#,
        ),
        (
            Format::Json,
            r#"[{"zjhm":"110101410530328","zjlx":"营业执照"},{"zjlx":"营业执照","zjhm":"110101410530328"},{"zjhm":"110101410530328","zjlx":"驾驶证"}]"#,
            r#"[{"zjhm":"110101410530328","zjlx":"营业执照"},{"zjlx":"营业执照","zjhm":"110101410530328"},{"zjhm":"110101******328","zjlx":"驾驶证"}]"#,
        ),
        // A record of two people: each number with its own person's type, in either order.
        (
            Format::Json,
            r#"{"agentIdNo":"11010519491231002X","agentIdType":"111","legalIdNo":"41789481","legalIdType":"511"}"#,
            r#"{"agentIdNo":"110105********002X","agentIdType":"111","legalIdNo":"4*****81","legalIdType":"511"}"#,
        ),
        (
            Format::Json,
            r#"{"sqrzjlx":"99","sqrzjhm":"65586173","dlrzjlx":"台胞证","dlrzjhm":"27801500"}"#,
            r#"{"sqrzjlx":"99","sqrzjhm":"65586173","dlrzjlx":"台胞证","dlrzjhm":"2*****00"}"#,
        ),
        // Two people's numbers before both types (sorted keys): each waits for its own.
        (
            Format::Form,
            "holderIdNo=43698409&guardianIdNo=27801500&holderIdType=511&guardianIdType=990",
            "holderIdNo=4*****09&guardianIdNo=27801500&holderIdType=511&guardianIdType=990",
        ),
        (
            Format::Json,
            r#"{"zjhm":"E48262737","dlrzjhm":"27801500","zjlx":"营业执照","dlrzjlx":"台胞证"}"#,
            r#"{"zjhm":"E48262737","dlrzjhm":"2*****00","zjlx":"营业执照","dlrzjlx":"台胞证"}"#,
        ),
        (
            Format::Xml,
            "<r><a>27801500</a><agentIdNo>41789481</agentIdNo><idNo>0912345678</idNo><agentIdType>511</agentIdType><idType>台胞证</idType></r>",
            "<r><a>27801500</a><agentIdNo>4*****81</agentIdNo><idNo>0*******78</idNo><agentIdType>511</agentIdType><idType>台胞证</idType></r>",
        ),
        // A type is used up by the number before it even when that keeps its own reading
        // (a document of another shape, a business licence, one its own name found).
        (
            Format::Json,
            r#"{"certNo":"E48262737","certType":"台胞证","idNo":"27801500"}"#,
            r#"{"certNo":"E*****737","certType":"台胞证","idNo":"27801500"}"#,
        ),
        (
            Format::Json,
            r#"{"idNo":"E48262737","idType":"护照","zjhm":"43698409"}"#,
            r#"{"idNo":"E*****737","idType":"护照","zjhm":"43698409"}"#,
        ),
        (
            Format::Json,
            r#"{"zjhm":"27801500","zjlx":"营业执照","dlrzjhm":"E48262737"}"#,
            r#"{"zjhm":"27801500","zjlx":"营业执照","dlrzjhm":"E*****737"}"#,
        ),
        (
            Format::Json,
            r#"{"agentIdType":"护照","legalIdNo":"27801500","legalIdType":"港澳居民来往内地通行证","agentIdNo":"43698409"}"#,
            r#"{"agentIdType":"护照","legalIdNo":"27801500","legalIdType":"港澳居民来往内地通行证","agentIdNo":"4****409"}"#,
        ),
        // A type with no owner goes to a held number whose shape its document may have.
        (
            Format::Json,
            r#"{"zjh":"C1234567","sqrzjhm":"T12345678","zjlxdm":"511"}"#,
            r#"{"zjh":"C1234567","sqrzjhm":"T******78","zjlxdm":"511"}"#,
        ),
        (
            Format::Json,
            r#"{"zjhm":"E48262737","dlrzjhm":"27801500","zjlx":"511"}"#,
            r#"{"zjhm":"E*****737","dlrzjhm":"2*****00","zjlx":"511"}"#,
        ),
        // Two people's types before both numbers: each number takes its own person's.
        (
            Format::Json,
            r#"{"sqrzjlx":"511","dlrzjlx":"营业执照","sqrzjhm":"12345678","dlrzjhm":"E48262737"}"#,
            r#"{"sqrzjlx":"511","dlrzjlx":"营业执照","sqrzjhm":"1*****78","dlrzjhm":"E48262737"}"#,
        ),
        (
            Format::Json,
            r#"{"zjlx":"营业执照","sqrzjlx":"511","zjhm":"27801500","sqrzjh":"27801500"}"#,
            r#"{"zjlx":"营业执照","sqrzjlx":"511","zjhm":"27801500","sqrzjh":"2*****00"}"#,
        ),
        (
            Format::Form,
            "sqrzjh=53562751&sqrzjlx=511",
            "sqrzjh=5*****51&sqrzjlx=511",
        ),
        // A person's card number and card type (`agentCardNo`, `agentCardType`).
        (
            Format::Json,
            r#"{"agentCardNo":"27801500","agentCardType":"台胞证","legalCardNo":"12345678","legalCardType":"营业执照"}"#,
            r#"{"agentCardNo":"2*****00","agentCardType":"台胞证","legalCardNo":"12345678","legalCardType":"营业执照"}"#,
        ),
        // Five people's numbers before a type: the oldest make room for the latest.
        (
            Format::Json,
            r#"{"aIdNo":"27801500","bIdNo":"43698409","cIdNo":"41789481","dIdNo":"65586173","eIdNo":"0912345678","fIdNo":"17854664","gIdNo":"12345678","hIdNo":"87654321","iIdNo":"0912345678","iIdType":"511"}"#,
            r#"{"aIdNo":"27801500","bIdNo":"43698409","cIdNo":"41789481","dIdNo":"65586173","eIdNo":"0912345678","fIdNo":"17854664","gIdNo":"12345678","hIdNo":"87654321","iIdNo":"0*******78","iIdType":"511"}"#,
        ),
        // Keys in `jsonb` order: the type many fields on, past a nested object.
        (
            Format::Json,
            r#"{"idNo":"27801500","name":"x","addr":"y","memo":"z","sex":"m","info":{"a":1},"phone":"w","idType":"511"}"#,
            r#"{"idNo":"2*****00","name":"x","addr":"y","memo":"z","sex":"m","info":{"a":1},"phone":"w","idType":"511"}"#,
        ),
        // A passport's type after an all-digit number; a table of arrays, row by row.
        (
            Format::Json,
            r#"{"zjhm":"27801500","zjlx":"414"}"#,
            r#"{"zjhm":"2****500","zjlx":"414"}"#,
        ),
        (
            Format::Json,
            r#"[["zjlx","zjhm","xm"],["其他","E48262737","张三"],["营业执照","91110000MA01","李四"]]"#,
            r#"[["zjlx","zjhm","xm"],["其他","E*****737","张*"],["营业执照","91110000MA01","李*"]]"#,
        ),
        // A record that named a type before its number: a later type is another's.
        (
            Format::Json,
            r#"{"zjlx":"其他","zjhm":"E48262737","lxrzjlx":"营业执照"}"#,
            r#"{"zjlx":"其他","zjhm":"E*****737","lxrzjlx":"营业执照"}"#,
        ),
        // A type read for the number before it is used up.
        (
            Format::Json,
            r#"{"certNo":"0912345678","certType":"511","contactCertNo":"12345678"}"#,
            r#"{"certNo":"0*******78","certType":"511","contactCertNo":"12345678"}"#,
        ),
        // Records whose type is left out when empty (`omitempty`): once one showed a type
        // field, a later one's type is read.
        (
            Format::Json,
            r#"[{"zjhm":"1"},{"zjhm":"2","zjlx":"990"},{"zjhm":"27801500"},{"zjhm":"27801500","zjlx":"511"}]"#,
            r#"[{"zjhm":"1"},{"zjhm":"2","zjlx":"990"},{"zjhm":"27801500"},{"zjhm":"2*****00","zjlx":"511"}]"#,
        ),
        // A form of several records: a key that comes again starts the next one.
        (
            Format::Form,
            "zjhm=12345678&zjlx=511&zjhm=27801500&zjlx=990&zjlx=511&zjhm=1&zjhm=87654321",
            "zjhm=1*****78&zjlx=511&zjhm=27801500&zjlx=990&zjlx=511&zjhm=1&zjhm=87654321",
        ),
        (
            Format::Form,
            "list[0].zjhm=G45510463&list[0].zjlx=411&list[1].zjhm=17854664&list[1].zjlx=511",
            "list[0].zjhm=G*****463&list[0].zjlx=411&list[1].zjhm=1*****64&list[1].zjlx=511",
        ),
        // A permit typed with spaces.
        (
            Format::Json,
            r#"{"zjhm":"37 620 450","zjlx":"台胞证"}"#,
            r#"{"zjhm":"3* *** *50","zjlx":"台胞证"}"#,
        ),
        (
            Format::Xml,
            "<rs><r><zjhm>27801500</zjhm><x><y>1</y></x><zjlx>511</zjlx></r><r zjhm=\"27801500\" zjlx=\"511\"/></rs>",
            "<rs><r><zjhm>2*****00</zjhm><x><y>1</y></x><zjlx>511</zjlx></r><r zjhm=\"2*****00\" zjlx=\"511\"/></rs>",
        ),
    ] {
        assert_eq!(redacted(format, input), want, "{input}");
    }
    for kept in [
        // No type in its record, the type 16 values on, a second number field between, the
        // type in the next record, a type that says nothing sure.
        r#"{"zjhm":"27801500","zjlx":""}"#,
        r#"{"zjhm":"27801500","a":"0","b":"1","c":"2","d":"3","e":"4","f":"5","g":"6","h":"7","i":"8","j":"9","k":"10","l":"11","m":"12","n":"13","o":"14","p":"15","zjlx":"511"}"#,
        r#"{"zjhm":"27801500","zjhm2":"","zjlx":"511"}"#,
        r#"[{"zjhm":"27801500"},{"zjlx":"511"}]"#,
        r#"{"zjhm":"27801500","zjlx":"其他"}"#,
        // A card number field does not take a general type's word.
        r#"{"cardNo":"27801500","zjlx":"511"}"#,
        // A type in a record inside the number's, or of another person.
        r#"{"zjhm":"87654321","holder":{"zjlx":"511","zjhm":"1"}}"#,
        r#"{"zjhm":"87654321","zjlx":"","yy":{"zjlx":"511"}}"#,
        r#"{"sqrzjhm":"65586173","dlrzjlx":"台胞证"}"#,
        r#"{"dlrzjlx":"台胞证","sqrzjhm":"65586173"}"#,
        r#"{"zjhm":"27801500","contact":{"zjlx":"511","xm":""}}"#,
        r#"{"zjhm":"27801500","list":[{"zjlx":"511"}]}"#,
        r#"{"zjlx":"990","zjhm":"27801500","lxrzjlx":"511"}"#,
        r#"{"zjhm":"27801500","zjlx":"99","lxrzjlx":"511"}"#,
        r#"[["xm","zjlx","zjhm"],["","其他","27801500"],["","511","1"]]"#,
        r#"{"columns":["xm","zjlx","zjhm"],"rows":[["","990","27801500"],["","511","1"]]}"#,
    ] {
        assert_eq!(redacted(Format::Json, kept), kept, "{kept}");
    }
    for kept in [
        "<r><zjhm>27801500</zjhm><holder><zjlx>511</zjlx></holder></r>",
        "<rs><zjhm>27801500</zjhm><r><zjlx>511</zjlx></r></rs>",
        r#"<p zjhm="27801500"><q zjlx="511"/></p>"#,
    ] {
        assert_eq!(redacted(Format::Xml, kept), kept, "{kept}");
    }
    // Readings not taken are not findings a table's header row would be judged by.
    let html = "<table><tr><td>证件号码</td><td>27801500</td><td>姓名</td></tr><tr><td>a</td><td>b</td><td>王小明</td></tr></table>";
    assert!(redacted(Format::Xml, html).contains("王**"));
    // More than `LOOKBACK_MAX` (4 KiB) between the number and its type: not read for it.
    let far = format!(
        r#"{{"zjhm":"27801500","bz":"{}","zjlx":"511"}}"#,
        "备注".repeat(800)
    );
    assert_eq!(redacted(Format::Json, &far), far);
    let near = far.replace(&"备注".repeat(800), &"备注".repeat(600));
    assert!(redacted(Format::Json, &near).contains("2*****00"));
}

/// A resident ID split at random under a field named for one: a landline the scan finds
/// inside it (`027…`) does not stop the whole value being read as what its name says.
#[test]
fn an_id_split_at_random_is_read_whole_under_its_name() {
    use sluice_rules::Format;
    for (input, want) in [
        (
            r#"{"sfzh":"3 401 02771015559"}"#,
            r#"{"sfzh":"3 401 02******559"}"#,
        ),
        (
            r#"{"lxdh":"027-71015559","sfzh":"340102 771015 559"}"#,
            r#"{"lxdh":"027-7****559","sfzh":"340102 ****** 559"}"#,
        ),
        // Under a phone's name the landline in it is what is read.
        (
            r#"{"lxdh":"3 401 02771015559"}"#,
            r#"{"lxdh":"3 401 0277****559"}"#,
        ),
    ] {
        assert_eq!(redacted(Format::Json, input), want, "{input}");
    }
}

/// A SQL statement with literal values (an audit log's statement, a dump): each value is read
/// under its column, across tuples, with doubled and backslashed quotes inside values; a
/// statement cut short or malformed redacts what it can and panics on nothing.
#[test]
fn sql_insert_literals_under_their_columns() {
    let text = |t: &str| redacted(sluice_rules::Format::Text, t);
    assert_eq!(
        text("INSERT INTO t_person (id, xm, hzhm) VALUES (1, '王建国', 'E12345678'), (2, '李秀英', NULL);"),
        "INSERT INTO t_person (id, xm, hzhm) VALUES (1, '王**', 'E*****678'), (2, '李**', NULL);"
    );
    assert_eq!(
        text("insert into `t` (`bz`, `xm`, n) values ('it''s \\'ok\\'', '张伟', 3)"),
        "insert into `t` (`bz`, `xm`, n) values ('it''s \\'ok\\'', '张*', 3)"
    );
    // A column that names nothing leaves its value alone, and a statement without a column
    // list names no value.
    assert_eq!(
        text("INSERT INTO org (id, mc) VALUES (1, '张家港市')"),
        "INSERT INTO org (id, mc) VALUES (1, '张家港市')"
    );
    assert_eq!(
        text("INSERT INTO t VALUES (1, '王建国')"),
        "INSERT INTO t VALUES (1, '王建国')"
    );
    for cut in [
        "INSERT INTO t (xm, n) VALUES ('王建国', 1), ('李秀",
        "INSERT INTO t (xm, n) VALUES ('王建国\\",
        "INSERT INTO t (xm, n) VALUES (",
        "INSERT INTO t (xm, n) VALUES",
        "INSERT INTO t (xm",
        "insert into t (xm, n) values ((select 1), '王建国')",
    ] {
        let _ = text(cut);
    }
    assert!(text("INSERT INTO t (xm, n) VALUES ('王建国', 1), ('李秀").contains("'王**'"));
}

/// The rule set's id is of its packs' names and texts, not of where they were loaded from:
/// the same for any spelling of the directory and for a copy elsewhere, and another id for
/// another text.
#[test]
fn content_hash_depends_on_content_not_on_the_directory() {
    let hash = |path: &str, text: &str| {
        Engine::builder()
            .source(path, text)
            .build()
            .expect("builds")
            .content_hash()
            .to_string()
    };
    let same = hash("rules/test.yaml", GOOD);
    assert_eq!(hash("./rules/test.yaml", GOOD), same);
    assert_eq!(hash("/elsewhere/copy/test.yaml", GOOD), same);
    assert_ne!(hash("rules/test.yaml", &GOOD.replace("Card", "Kard")), same);
    let base = std::env::temp_dir().join(format!("sluice-hash-{}", std::process::id()));
    let (a, b) = (base.join("a"), base.join("deeper/b"));
    for d in [&a, &b] {
        std::fs::create_dir_all(d).unwrap();
        std::fs::write(d.join("test.yaml"), GOOD).unwrap();
    }
    let dir = |d: &std::path::Path| {
        Engine::builder()
            .dir(d)
            .build()
            .expect("builds")
            .content_hash()
            .to_string()
    };
    assert_eq!(dir(&a), same);
    assert_eq!(dir(&b), same);
    assert_eq!(dir(&a.join("../a")), same);
    let _ = std::fs::remove_dir_all(&base);
}
