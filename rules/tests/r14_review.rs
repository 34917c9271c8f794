//! Review 14: regressions in the last session's detection changes (12426ac..be73f45), and a
//! chunking check of the inputs that reach the new code.

#[path = "common/chunked.rs"]
mod chunked;

use chunked::{assert_chunking_invariant, rule_ids};
use sluice_rules::Format;

/// A label and its value as sibling objects of one array: what OCR services return, one
/// object per line of text (`words_result`). The label object is a sibling record, and
/// `forget_since` now drops it before the value is judged.
#[test]
fn r14_label_in_previous_sibling_object_still_counts() {
    for (body, rule) in [
        (
            r#"{"words_result":[{"words":"护照号码"},{"words":"E12345678"}]}"#,
            "cn.passport",
        ),
        (
            r#"{"words_result":[{"words":"身份证号码"},{"words":"370102770607634"}]}"#,
            "cn.resident_id.15",
        ),
    ] {
        assert!(
            rule_ids(body, Format::Json).iter().any(|r| r == rule),
            "{rule} missed in {body}"
        );
    }
}

/// A header row written as the first object of an array, and the same shape in XML rows
/// (SpreadsheetML `<Row><Cell>`): the columns' names are the previous sibling's values.
#[test]
fn r14_header_row_as_previous_sibling_record() {
    let json = r#"[{"c1":"姓名","c2":"护照号码"},{"c1":"张三","c2":"E12345678"}]"#;
    assert!(
        rule_ids(json, Format::Json)
            .iter()
            .any(|r| r == "cn.passport"),
        "{json}"
    );
    let xml = "<Table><Row><Cell><Data>姓名</Data></Cell><Cell><Data>护照号码</Data></Cell></Row>\
<Row><Cell><Data>张三</Data></Cell><Cell><Data>E12345678</Data></Cell></Row></Table>";
    assert!(
        rule_ids(xml, Format::Xml)
            .iter()
            .any(|r| r == "cn.passport"),
        "{xml}"
    );
}

/// `住` followed by a place whose name begins with 宿, 房, 建 (宿迁市, 宿州市, 房山区, 建邺区):
/// the judgment's `住…` is an address, not 住宿 / 住房 / 住建.
#[test]
fn r14_zhu_before_a_place_named_like_a_zhu_word() {
    for body in [
        "被告人张某，男，1980年5月出生，汉族，住宿迁市宿城区幸福路12号。",
        "被告人张某，男，1980年5月出生，汉族，住房山区长阳镇碧桂园小区12号楼。",
        "被告人张某，男，1980年5月出生，汉族，住建邺区江东中路100号。",
        "被告人张某，男，1980年5月出生，汉族，住宿州市埇桥区淮海路5号。",
    ] {
        assert!(
            rule_ids(body, Format::Text)
                .iter()
                .any(|r| r == "cn.address"),
            "address missed in {body}"
        );
    }
}

/// Names that begin with one of the new label words (高达明, 高级 is rarer): after a
/// person's label they are names.
#[test]
fn r14_name_opening_with_a_new_label_word() {
    for body in [
        "联系人：高达明，电话：13812345678",
        "联系人：高达\n",
        "申请人高达明提出申请。",
    ] {
        assert!(
            rule_ids(body, Format::Text)
                .iter()
                .any(|r| r == "cn.person_name"),
            "name missed in {body}"
        );
    }
}

/// The new code's inputs (sibling records forgetting, fractions, GeoJSON, the credit code's
/// check alone, glued English words, a label apart by a space) give the same findings and
/// output cut anywhere.
#[test]
fn r14_new_paths_are_chunking_invariant() {
    let cases: &[(&str, Format)] = &[
        (r#"{"doc":"护照","list":[{"no":"E12345678"},{"no":"E22345678"}],"x":[{"note":"出境"},{"lot":"H20240315"},{"model":"E27795544"}]}"#, Format::Json),
        (r#"{"words_result":[{"words":"护照号码"},{"words":"E12345678"}],"g":{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"燕山","tel":"13812345678"}}]}}"#, Format::Json),
        ("<L><T>护照</T><D><No>E12345678</No></D><D><No>E22345678</No></D><D><Note>出境</Note></D><D><Scph>G27285988</Scph></D><D a=\"1\"/><D><No>E32345678</No></D></L>", Format::Xml),
        ("v=93.041842592401 gc: 53.13533623114 mobile:1.13812345678 tel=0571.88123456 \"lxdh\":1.13812345678\n统一社会信用代码 Y2110108MA01234X5D hotelTel 13812345678 telemetry 010-62345678\n", Format::Text),
        (r#"{"gc":53.13533623114,"lxdh":1.13812345678,"tyshxydm":"Y2110108MA01234X5D","sfzh":"110105.19491231002X"}"#, Format::Json),
        ("a,b,c\n手机,1.13812345678,Y2110108MA01234X5D\n护照号码 SE9157250,x,y\n", Format::Csv),
    ];
    for &(body, format) in cases {
        assert_chunking_invariant(body, format);
    }
}

/// `negative_kept`: a negative keyword in an earlier value of the record (`航班`, a flight,
/// where passports are most written) vetoes a passport the record's own type field named
/// first (`own < neg`). Field order in a record says nothing of which word is about the value.
#[test]
fn r14_negative_word_in_an_earlier_value_of_the_record() {
    for body in [
        r#"{"cardType":"护照","remark":"航班已延误","cardCode":"E12345678"}"#,
        r#"{"cardType":"PASSPORT","flightInfo":"航班CA1234","cardCode":"E12345678"}"#,
    ] {
        assert!(
            rule_ids(body, Format::Json)
                .iter()
                .any(|r| r == "cn.passport"),
            "passport missed in {body}"
        );
    }
}

/// An object in an array nested in the record itself is forgotten when it closes: the
/// record's own word, in a list member, no longer counts for its later fields.
#[test]
fn r14_record_forgets_its_own_nested_list() {
    let body = r#"{"tags":[{"t":"护照"}],"code":"E12345678"}"#;
    assert!(
        rule_ids(body, Format::Json)
            .iter()
            .any(|r| r == "cn.passport"),
        "{body}"
    );
}
