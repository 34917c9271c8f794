//! Review 14's regressions, beyond the reviewer's own tests: the shapes the brief named, and
//! the probe-64 false positives the fixes must keep away.

#[path = "common/chunked.rs"]
mod chunked;

use chunked::{assert_chunking_invariant, rule_ids};
use sluice_rules::Format;

fn has(body: &str, format: Format, rule: &str) -> bool {
    rule_ids(body, format).iter().any(|r| r == rule)
}

/// XML: a label item before its value item, and a label element between two records of a
/// list (only the first record's own span is forgotten when the second opens).
#[test]
fn xml_label_between_or_before_records_counts() {
    for body in [
        "<r><item><k>护照号码</k></item><item><v>E12345678</v></item></r>",
        "<L><D><No>1</No></D><T>护照</T><D><No>E22345678</No></D></L>",
    ] {
        assert!(has(body, Format::Xml, "cn.passport"), "{body}");
    }
}

/// The records of a list still lend each other no words (probe 64).
#[test]
fn records_of_a_list_lend_no_words() {
    for (body, format) in [
        (
            r#"{"x":[{"note":"出境"},{"lot":"H20240315"}]}"#,
            Format::Json,
        ),
        (
            r#"[{"note":"出境","lot":"无"},{"note":"正常","lot":"H20240315"}]"#,
            Format::Json,
        ),
        (
            "<L><D><Note>出境</Note></D><D><Scph>H20240315</Scph></D></L>",
            Format::Xml,
        ),
    ] {
        let r = rule_ids(body, format);
        assert!(!r.iter().any(|r| r.contains("permit")), "{body}: {r:?}");
    }
}

/// A decimal with one non-zero digit before the point, as the whole value, is a numbered
/// item (`1.` then the number), as in a list: the number is what it is.
#[test]
fn numbered_item_as_whole_value() {
    assert!(has(
        r#"{"remark":"1.13812345678"}"#,
        Format::Json,
        "cn.mobile"
    ));
    assert!(has("a,b\n手机,1.13812345678\n", Format::Csv, "cn.mobile"));
    // A measurement stays a measurement: two digits before the point, or a zero.
    assert!(!has(r#"{"gc":53.13533623114}"#, Format::Json, "cn.mobile"));
    assert!(!has(r#"{"r":0.13812345678}"#, Format::Json, "cn.mobile"));
}

/// Names after a person's label that open with a measure word (`高达`), and the measures
/// themselves (probe 64).
#[test]
fn measure_words_and_names() {
    for body in [
        "被告人高达明，男，1975年出生。",
        "原告高达，女。",
        "经办人高达伟",
    ] {
        assert!(has(body, Format::Text, "cn.person_name"), "{body}");
    }
    for body in [
        "本次调查中，居民满意度65.1%，较上年提高。",
        "节假日期间游客高达8万人次。",
        "医生高级职称占比提高。",
        "全市居民平均收入增长。",
    ] {
        assert!(!has(body, Format::Text, "cn.person_name"), "{body}");
    }
}

/// `住宅小区`, `住房和城乡建设局`, `住建部门` stay words, not addresses (probe 64).
#[test]
fn zhu_words_stay_words() {
    for body in [
        "全市住宅小区垃圾分类覆盖率达96%。",
        "市住房和城乡建设局会同交警部门开展检查。",
        "住建部门通报：武汉市商品住宅成交12套。",
    ] {
        assert!(!has(body, Format::Text, "cn.address"), "{body}");
    }
}

/// A passport type word and a flight in one record: the flight does not veto the passport
/// its own record names, in either order.
#[test]
fn negative_word_with_own_keyword_in_record() {
    for body in [
        r#"{"remark":"航班已延误","cardType":"护照","cardCode":"E12345678"}"#,
        r#"{"cardType":"护照","remark":"航班已延误","cardCode":"E12345678"}"#,
    ] {
        assert!(has(body, Format::Json, "cn.passport"), "{body}");
    }
}

/// The new paths (a record's context waiting for the next one's first key, a header row's
/// known names, a lone label item, text between XML records) give the same findings and
/// output cut anywhere.
#[test]
fn new_paths_are_chunking_invariant() {
    let cases: &[(&str, Format)] = &[
        (r#"{"w":[{"words":"护照号码"},{},{"words":"E12345678"},{"note":"出境"},{"lot":"H20240315"}],"tags":[{"t":"护照"}],"code":"E22345678"}"#, Format::Json),
        (r#"[{"c1":"姓名","c2":"护照号码"},{"c1":"张三","c2":"E12345678"},{"c1":"李四","c2":"E22345678"}]"#, Format::Json),
        ("<r><item><k>护照号码</k></item><item><v>E12345678</v></item><L><D><No>1</No></D><T>护照</T><D><No>E22345678</No></D></L></r>", Format::Xml),
        ("被告人高达明，男，住宿迁市宿城区幸福路12号。原告高达，女。{\"remark\":\"1.13812345678\"}", Format::Text),
    ];
    for &(body, format) in cases {
        assert_chunking_invariant(body, format);
    }
}
