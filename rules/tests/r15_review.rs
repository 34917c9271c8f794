//! r15: checks of be73f45..89a62c4's new paths.
#[path = "common/chunked.rs"]
mod chunked;

use chunked::{assert_chunking_invariant, key, rule_ids, run};
use sluice_rules::Format;

const CASES: &[(&str, Format)] = &[
    ("身 份 证 号 码：520102561030577\n身份证号 3601 0277 0531 882\n身份证号为3601 0277 0531 882。\n公民身份号码 310115　640912980\n", Format::Text),
    ("护 照 号: E72747421\n护　照　号　码：E72747421\n护 照 号 码  E37745821\n证 件 号 码 ( 护 照 )：E3799 044 8\n护照号：E5746  6911\n", Format::Text),
    ("回 乡 证 号 : M65470821\n港 澳 通 行 证 号：H57853467\n回 乡 证 号  M65470821\n港 澳 居 民 来 往 内 地 通 行 证 号 码  M31952065    签 发 机 关： 琴市公安局\n回乡证号:H8  11689  89\n往来港澳通行证: C6538  188  5\n", Format::Text),
    ("GET /q?hzhm=S4361973 HTTP/1.1\nGET /api/check?hk_permit=M35330734 HTTP/1.1\n台胞证号码：T2326  338  0\ntbzh=45349293 HTTP/1.1\n", Format::Text),
    (r#"{"cardType":"护照","remark":"航班已延误","cardCode":"E12345678","w":[{"words":"护照号码"},{"words":"E12345678"}],"ratio":"1.13812345678","t":"耗时 15234567890 ns"}"#, Format::Json),
    ("姓 名  刘秀荣\n家 庭 住 址  辽宁省沈阳市和平区南京北街12号\n", Format::Text),
    // h144: the fixes' shapes (a unit after a mobile, a product before `/`, a drug's
    // register, a list's close, a JSON number).
    ("联系人张三 13812345678 B座1203\n用户 13812345678 MB会员\n耗时 15234567890 ns\nuser=zhangsan ClientIP/222.150.18.61 Chrome/120.0.0.0\n", Format::Text),
    (r#"{"msg":"已转账给 13812345678 元旦后到账","t":"耗时 15234567890 ns","s":"16606127360 bytes"}"#, Format::Json),
    (r#"{"ypmc":"复方甘草片","pzwh":"国药准字H10980248","buyer":"王芳","cardType":"护照","cardCode":"E12345678"}"#, Format::Json),
    (r#"{"orders":[{"title":"订单号"}],"remark":"138 0013 8000","tags":[{"t":"护照"}],"code":"E12345678"}"#, Format::Json),
    (r#"{"rate":1.15912345678,"v":[2.13912345678],"remark":"1.13812345678"}"#, Format::Json),
    ("name,info\n王芳,13812345678 B座\n", Format::Csv),
];

/// Every new example gives the same findings and output cut anywhere, and byte by byte.
#[test]
fn r15_new_examples_are_chunking_invariant() {
    for &(body, format) in CASES {
        assert!(
            !run(body.as_bytes(), format, &[]).1.is_empty(),
            "nothing found in {body}"
        );
        assert_chunking_invariant(body, format);
    }
}

/// The same lines after padding of every length around the 4 KiB window's edge: the findings
/// move with the padding and none is lost (a label read backwards across the edge).
#[test]
fn r15_new_examples_across_the_window_edge() {
    let mut bad = Vec::new();
    for &(body, format) in CASES {
        if format != Format::Text {
            continue;
        }
        for line in body.lines() {
            let line = format!("{line}\n");
            let mut base: Option<Vec<(String, u64, u64, String)>> = None;
            for pad in std::iter::once(30).chain(3900..4150) {
                let p = match std::env::var("R15_PAD").as_deref() {
                    Ok("sp") => "a".repeat(pad - 1) + " ",
                    Ok("cn") => "好".repeat(pad / 3) + "。",
                    _ => "a".repeat(pad - 1) + "\n",
                };
                let b = format!("{p}{line}");
                let (_, f) = run(b.as_bytes(), format, &[]);
                let shifted: Vec<_> = key(&f)
                    .into_iter()
                    .filter(|k| k.1 >= p.len() as u64)
                    .map(|(r, s, e, m)| (r, s - p.len() as u64, e - p.len() as u64, m))
                    .collect();
                match &base {
                    None => base = Some(shifted),
                    Some(b0) if *b0 != shifted => {
                        bad.push(format!("pad {pad}: {line:?}: {shifted:?} vs {b0:?}"));
                        break;
                    }
                    _ => {}
                }
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// r15 defect: `unit_after_space` (ident.rs) makes a mobile followed by a space and `B`, `MB`
/// or `元` key-only, so a building letter (`B座`), a membership tier or `元旦` after an
/// unlabelled mobile leaves it in clear; be73f45 masked all of these.
#[test]
fn r15_mobile_before_a_building_letter_is_no_measure() {
    for (body, format) in [
        ("联系人张三 13812345678 B座1203", Format::Text),
        (
            r#"{"remark":"请联系王经理 13812345678 B栋502"}"#,
            Format::Json,
        ),
        (r#"{"msg":"已转账给 13812345678 元旦后到账"}"#, Format::Json),
        ("name,info\n王芳,13812345678 B座\n", Format::Csv),
        ("用户 13812345678 MB会员", Format::Text),
    ] {
        assert!(
            rule_ids(body, format).iter().any(|r| r == "cn.mobile"),
            "{body}"
        );
    }
}

/// r15 defect: `product_version` (ident.rs) reads any capitalised word before `/` that is
/// not in HOST_WORDS as a product, so `ClientIP/`, `Terminal/`, `User/` hide a public IPv4
/// that be73f45 masked.
#[test]
fn r15_ipv4_after_a_capitalised_word_and_slash() {
    for body in [
        "2024-05-01 10:22:01 login ok user=zhangsan ClientIP/222.150.18.61",
        "访问记录：张三 Terminal/222.150.18.61 登录",
        "User/222.150.18.61",
    ] {
        assert!(
            rule_ids(body, Format::Text).iter().any(|r| r == "cn.ipv4"),
            "{body}"
        );
    }
}

/// r15 defect: `negative_kept` (mod.rs, RECORD_KINDS) lets `国药准字` veto a passport or a
/// permit even after the record's own `护照`: a pharmacy's real-name register (a buyer of
/// a pseudoephedrine drug shows a document) leaves the document number in clear.
#[test]
fn r15_drug_register_keeps_the_buyers_document() {
    for (body, rule) in [
        (
            r#"{"ypmc":"复方甘草片","pzwh":"国药准字H10980248","buyer":"王芳","cardType":"护照","cardCode":"E12345678"}"#,
            "cn.passport",
        ),
        (
            r#"{"drug":"国药准字H10980248","cardType":"港澳通行证","cardCode":"H12345678"}"#,
            "cn.hk_macau_permit",
        ),
    ] {
        assert!(
            rule_ids(body, Format::Json).iter().any(|r| r == rule),
            "{body}"
        );
    }
}

/// r15 defect: a list's last object's values now stay as context after the list closes
/// (json.rs, `pend` forgotten only when a next sibling opens), so a negative keyword in it
/// vetoes a mobile in the parent's next field; be73f45 forgot them at the close.
#[test]
fn r15_last_list_record_lends_no_negative_word() {
    for body in [
        r#"{"orders":[{"title":"订单号"}],"remark":"138 0013 8000"}"#,
        r#"{"rows":[{"memo":"金额"}],"note":"138-0013-8000"}"#,
    ] {
        assert!(
            rule_ids(body, Format::Json)
                .iter()
                .any(|r| r == "cn.mobile"),
            "{body}"
        );
    }
}

/// r15 defect (false positive): `fraction` (ident.rs) reads any whole-value decimal with one
/// non-zero digit before the point as a numbered item, JSON numbers included: about one
/// double in eighteen printed to eleven places is masked as a mobile (and turned into a
/// string).
#[test]
fn r15_json_number_with_one_digit_whole_part_is_no_mobile() {
    let body = r#"{"rate":1.15912345678,"v":[2.13912345678,3.18612345678]}"#;
    assert!(
        rule_ids(body, Format::Json).is_empty(),
        "{:?}",
        rule_ids(body, Format::Json)
    );
}
