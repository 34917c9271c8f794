//! How field names give context: keys written with a person's role in front of a known field
//! name (`applicantIdCard`, `farenSfzh`, `jbr_jtzz`), or a number after it (`tel2`), name the
//! same field as the bare key; roles that are not people do not. The values here are ones the
//! built-in rules take only with context (a 15-digit ID, a Chinese passport, a Hong Kong/Macau
//! permit, a landline without separators, an address, a name), so a key that names nothing
//! leaves them in clear.

use std::sync::Arc;

use sluice_rules::{Engine, Format, ScanOptions};

fn engine() -> Arc<Engine> {
    Arc::new(
        Engine::builder()
            .builtin()
            .build()
            .expect("built-in packs compile"),
    )
}

/// The classes found in `{"<key>":"<value>"}`.
fn classes(e: &Arc<Engine>, key: &str, value: &str) -> Vec<String> {
    let body = serde_json::json!({ key: value }).to_string();
    let r = e.scan_bytes(
        body.as_bytes(),
        ScanOptions {
            format: Format::Json,
            ..ScanOptions::default()
        },
    );
    r.findings.iter().map(|f| f.class.to_string()).collect()
}

const CASES: &[(&str, &str, &str)] = &[
    ("resident_id", "sfzh", "320102880229123"),
    ("passport", "passportNo", "E12345678"),
    ("hk_macau_permit", "txzhm", "C12345678"),
    ("landline", "lxdh", "02584561234"),
    ("address", "jtzz", "江苏省南京市玄武区中山路18号3栋501室"),
    ("person_name", "name", "王建国"),
];

#[test]
fn role_prefixed_keys_name_the_field() {
    let e = engine();
    for (class, bare, value) in CASES {
        // The bare key is what the packs list: the premise of the test.
        assert!(
            classes(&e, bare, value).iter().any(|c| c == class),
            "{bare}: {value} is not found as {class} under its bare key"
        );
        let mut upper = bare.to_string();
        upper[..1].make_ascii_uppercase();
        for key in [
            format!("applicant{upper}"),
            format!("legalPerson{upper}"),
            format!("faren{upper}"),
            format!("jbr_{bare}"),
            format!("sqr{}", bare.to_ascii_uppercase()),
            format!("tenant{upper}"),
            format!("申请人{bare}"),
            format!("{bare}2"),
            format!("holder{upper}1"),
        ] {
            let got = classes(&e, &key, value);
            assert!(
                got.iter().any(|c| c == class),
                "{key}: {value} not found as {class} (found {got:?})"
            );
        }
    }
}

#[test]
fn roles_that_are_not_people_and_partial_words_name_nothing() {
    let e = engine();
    // `companyName`, `fileName`, `productName`: a name, but not a person's; nor a category
    // tree's parent, a political party or an invoice's buyer.
    for key in [
        "companyName",
        "fileName",
        "productName",
        "deptName",
        "cityName",
        "parentName",
        "partyName",
        "buyerName",
    ] {
        let got = classes(&e, key, "王建国");
        assert!(got.is_empty(), "{key}: {got:?}");
    }
    // A role with too little after it names nothing (`contactx`, `faren1`); roles that are
    // name keys themselves (`applicant`, `jbr`) give no identifier rule context.
    for key in ["contactx", "faren1", "applicant", "jbr"] {
        let got = classes(&e, key, "320102880229123");
        assert!(got.is_empty(), "{key}: {got:?}");
    }
    // A negative key behind a role is still negative: an order number is no mobile.
    let got = classes(&e, "applicantOrderNo", "13800138000");
    assert!(got.is_empty(), "applicantOrderNo: {got:?}");
    // A contact's number is one, though `num` alone is a count.
    for key in ["contactNum", "emergencyContactNum", "phoneNum"] {
        let got = classes(&e, key, "13800138000");
        assert!(got.iter().any(|c| c == "mobile"), "{key}: {got:?}");
    }
    assert!(classes(&e, "num", "13800138000").is_empty());
}

/// A key that is a dotted path names its last part (`persons[0].name`, `user.zz`: Spring
/// and bean-property binding), and a column name keeps its meaning under the note an export
/// adds after it (`姓名（中文）`, `身份证号码(必填)`, a header cell with a line break).
#[test]
fn dotted_paths_and_annotated_names_name_the_field() {
    let e = engine();
    for (class, _, value) in CASES {
        let bare = match *class {
            "person_name" => "name",
            "address" => "zz",
            "passport" => "hzhm",
            other => CASES.iter().find(|c| c.0 == other).map_or("", |c| c.1),
        };
        for key in [
            format!("persons[0].{bare}"),
            format!("user.{bare}"),
            format!("list[1].{bare}"),
        ] {
            assert!(
                classes(&e, &key, value).iter().any(|c| c == class),
                "{key}: {value} is not found as {class}"
            );
        }
    }
    for (key, value, class) in [
        ("姓名（中文）", "王建国", "person_name"),
        ("姓名(必填)", "王建国", "person_name"),
        ("姓名【必填】", "王建国", "person_name"),
        ("姓名\n(中文)", "王建国", "person_name"),
        (
            "* 家庭住址（详细）",
            "江苏省南京市玄武区中山路18号3栋501室",
            "address",
        ),
        ("护照号码(选填)", "E12345678", "passport"),
    ] {
        assert!(
            classes(&e, key, value).iter().any(|c| c == class),
            "{key:?}: {value} is not found as {class}"
        );
    }
    // What the path or the note leaves must name a field: an order's or a company's name
    // stays what it was.
    for (key, value) in [
        ("order.no", "E12345678"),
        ("company.name", "王建国"),
        ("备注(姓名)", "王建国"),
        ("(中文)", "王建国"),
    ] {
        assert!(
            classes(&e, key, value).is_empty(),
            "{key:?}: {value} is flagged"
        );
    }
}

/// Schemas abbreviate: `CUST_NM`, `PSN_NAME` (a social-security system's person), `EMP_NM`,
/// `zwxm` (the Chinese name), `hz_no`; each names the field its long form does. `orgNm`, a
/// name that is no person's, names nothing.
#[test]
fn abbreviated_field_names() {
    let e = engine();
    for (class, key, value) in [
        ("person_name", "CUST_NM", "王建国"),
        ("person_name", "psn_name", "王建国"),
        ("person_name", "PSN_NM", "王建国"),
        ("person_name", "emp_nm", "王建国"),
        ("person_name", "zwxm", "王建国"),
        ("person_name", "linkName", "王建国"),
        ("person_name", "曾用名", "王建国"),
        ("passport", "hz_no", "E12345678"),
        ("passport", "travelDocNo", "E12345678"),
        (
            "address",
            "addr_home",
            "江苏省南京市玄武区中山路18号3栋501室",
        ),
        (
            "address",
            "经营场所",
            "江苏省南京市玄武区中山路18号3栋501室",
        ),
    ] {
        let got = classes(&e, key, value);
        assert!(
            got.iter().any(|c| c == class),
            "{key}: {value} not found as {class} (found {got:?})"
        );
    }
    for key in ["orgNm", "deptNm", "prodNm"] {
        let got = classes(&e, key, "王建国");
        assert!(got.is_empty(), "{key}: {got:?}");
    }
}

/// The redacted text of `body` read as `format`.
fn redacted(e: &Arc<Engine>, body: &str, format: Format) -> String {
    let r = e.scan_bytes(
        body.as_bytes(),
        ScanOptions {
            format,
            redact: true,
            ..ScanOptions::default()
        },
    );
    String::from_utf8(r.output).expect("UTF-8 in, UTF-8 out")
}

/// Shapes of the forty-sixth probe: a report of label and value columns saved as text, a
/// party of a property register after its label, a Chinese key in a log's `key=value`
/// pairs, a mobile after a verb that calls it in a sentence about an amount, and an amount
/// in fen under a column that says so.
#[test]
fn labels_beside_values_keys_in_logs_and_amounts_in_fen() {
    let e = engine();
    let cases: &[(&str, Format, &str)] = &[
        (
            "人员信息核查报告\n姓名\t王兵\n身份证号\t110108195308221374\n住址\t四川省成都市武侯区科华北路12号\n",
            Format::Csv,
            "人员信息核查报告\n姓名\t王*\n身份证号\t110108********1374\n住址\t四川省成都市**********\n",
        ),
        // Its first row holding an identifier is no record then; labels that name no
        // field (`状态`) are among the rows.
        (
            "查询结果\n电话\t18176663248\n状态\t0\n追踪ID\tab12\n真实姓名\t胡涛\n",
            Format::Csv,
            "查询结果\n电话\t181****3248\n状态\t0\n追踪ID\tab12\n真实姓名\t胡*\n",
        ),
        // A header over a record stays a header.
        (
            "姓名\t身份证号\n王兵\t110108195308221374\n",
            Format::Csv,
            "姓名\t身份证号\n王*\t110108********1374\n",
        ),
        ("权利人：王浩", Format::Text, "权利人：王*"),
        ("【户主姓名】蒋飞\n【性别】女", Format::Text, "【户主姓名】蒋*\n【性别】女"),
        // A report printed in aligned columns, labels and values of several kinds mixed.
        (
            "社保参保信息查询结果\n民族            汉族\n联系人          曾丽\n时间戳  1720958891721\n经办单位：思优网络有限公司\n",
            Format::Text,
            "社保参保信息查询结果\n民族            汉族\n联系人          曾*\n时间戳  1720958891721\n经办单位：思优网络有限公司\n",
        ),
        ("备注  无异常，联系人  请见附件", Format::Text, "备注  无异常，联系人  请见附件"),
        ("出卖人应当按时交付房屋", Format::Text, "出卖人应当按时交付房屋"),
        (
            "INFO handled 住址=北京市朝阳区建国路88号 174116 sourceCode=91610113X1FM5WQMTW",
            Format::Text,
            "INFO handled 住址=北京市朝阳区****** ****** sourceCode=91610113X1FM5WQMTW",
        ),
        (
            "退款金额50元已原路返回，请拨打18184714005咨询",
            Format::Text,
            "退款金额50元已原路返回，请拨打181****4005咨询",
        ),
        (
            "性别\t合计金额分\t民族\n女\t15008534166\t壮族\n",
            Format::Csv,
            "性别\t合计金额分\t民族\n女\t15008534166\t壮族\n",
        ),
    ];
    for (body, format, want) in cases {
        assert_eq!(redacted(&e, body, *format), *want, "{body}");
    }
}

/// Shapes of the forty-eighth and forty-ninth probes: full-pinyin keys and the column codes
/// of social-insurance systems name their fields; a column's value is judged under its own
/// name, not under another column's in the header row; a negative keyword of the field
/// before a label vetoes nothing after that label; a label set apart by a tab in text.
#[test]
fn pinyin_keys_column_codes_and_neighbours_context() {
    let e = engine();
    for (key, value, class) in [
        ("tongyishehuixinyongdaima", "91350100M000100Y43", "uscc"),
        ("gudingdianhua", "01088886666", "landline"),
        ("youxiang", "zhang.san@example.cn", "email"),
        ("shenfenzhenghaoma", "510107441116202", "resident_id"),
        ("AAC002", "510107441116202", "resident_id"),
        ("AAC003", "田欣", "person_name"),
        ("AAE006", "吉林省长春市朝阳区红旗街88号", "address"),
        // The fifty-first probe: the names of national systems' fields, and role initials
        // before a field's name.
        ("LEREP", "田欣", "person_name"),
        ("DOM", "吉林省长春市朝阳区红旗街88号", "address"),
        ("fr_dz", "吉林省长春市朝阳区红旗街88号", "address"),
        ("hzDz", "吉林省长春市朝阳区红旗街88号", "address"),
        ("po_zjhm", "510107441116202", "resident_id"),
        ("MDTRT_CERT_NO", "510107441116202", "resident_id"),
        ("hz_lxdh", "01088886666", "landline"),
        ("GDH", "01088886666", "landline"),
        ("home_return_card_no", "H12345678", "hk_macau_permit"),
        ("travel_document_number", "E12345678", "passport"),
        ("CLHPHM", "京AX7K9Q", "licence_plate"),
        // 户名 beside a bank account.
        ("hm", "谭帅", "person_name"),
    ] {
        assert_eq!(classes(&e, key, value), [class], "{key}");
    }
    let cases: &[(&str, Format, &str)] = &[
        // `sfzh` names the third column: the first column's 15 digits are an exam number.
        (
            "zkzh,xm,sfzh\n330106570624917,张娟,11010519491231002X\n",
            Format::Csv,
            "zkzh,xm,sfzh\n330106570624917,张*,110105********002X\n",
        ),
        (
            "pch,护照号码\nG12345678,E87654321\n",
            Format::Csv,
            "pch,护照号码\nG12345678,E*****321\n",
        ),
        // A type in the row's own cells still says what the number after it is.
        (
            "zjlx,zjhm\n身份证,510107441116202\n",
            Format::Csv,
            "zjlx,zjhm\n身份证,510107******202\n",
        ),
        (
            "话单流水号：23585809726946041322；主叫号码：15980212968。",
            Format::Text,
            "话单流水号：23585809726946041322；主叫号码：159****2968。",
        ),
        (
            "运单号：SF1234567890123；寄件人：王五 13812345678",
            Format::Text,
            "运单号：SF1234567890123；寄件人：王* 138****5678",
        ),
        // In the value's own label the negative keyword still vetoes.
        (
            "交易流水号：13912345678",
            Format::Text,
            "交易流水号：13912345678",
        ),
        (
            "xingming\t杨冬梅\ntraceId\t2738857942003511907\n",
            Format::Text,
            "xingming\t杨**\ntraceId\t2738857942003511907\n",
        ),
        // A report of labels beside values whose labels are ones rules only veto under:
        // still pairs, so the trace id stays a trace id, not a card.
        (
            "--- 第1条 ---\nrowId\t5622744357523353793\namount\t61508680.85\ntraceId\t6578040755217857655\n",
            Format::Csv,
            "--- 第1条 ---\nrowId\t5622744357523353793\namount\t61508680.85\ntraceId\t6578040755217857655\n",
        ),
        // A label spaced out, numbered or with a note, as forms print them.
        (
            "姓 名：张三\n姓名1：李四\n姓名（中文）：王五\n他说 名：赵六",
            Format::Text,
            "姓 名：张*\n姓名1：李*\n姓名（中文）：王*\n他说 名：赵六",
        ),
    ];
    for (body, format, want) in cases {
        assert_eq!(redacted(&e, body, *format), *want, "{body}");
    }
}

/// A label member's value names the value member beside it (`{"name":"联系电话","value":…}`,
/// a form engine's rows), but a sentence under `title` names nothing: the content's finding
/// is under `content`. A field's name is text, cut on a character if it is long.
#[test]
fn a_sentence_under_a_label_member_names_no_field() {
    let e = engine();
    let scan = |body: &str| {
        e.scan_bytes(
            body.as_bytes(),
            ScanOptions {
                format: Format::Json,
                ..ScanOptions::default()
            },
        )
        .findings
        .iter()
        .map(|f| f.field.as_deref().unwrap_or("").to_string())
        .collect::<Vec<_>>()
    };
    let title = "关于本市海淀区中关村大街地块规划调整的公示稿第二次征求意见";
    assert_eq!(
        scan(&format!(
            r#"{{"title":"{title}","content":"联系电话13800138000"}}"#
        )),
        ["content"]
    );
    assert_eq!(
        scan(r#"{"name":"联系电话","value":"13800138000"}"#),
        ["联系电话"]
    );
    let long_key = "联系电话".repeat(8);
    let fields = scan(&format!(r#"{{"{long_key}":"13800138000"}}"#));
    assert_eq!(fields.len(), 1);
    assert!(
        long_key.starts_with(&fields[0]) && fields[0].len() >= 60,
        "{fields:?}"
    );
}

/// Probe 55: a value after an ASCII key in text ends where its sentence does (`。`, `、`,
/// `！`, a full stop before a space), as it ends at a comma: the name is found, and an
/// address's mask stops at its own last character instead of taking the sentence's mark
/// and the words after it.
#[test]
fn a_pair_value_ends_at_a_sentence_mark() {
    let e = engine();
    let cases: &[(&str, &str)] = &[
        ("name：施荣。", "name：施*。"),
        ("xm:李成.", "xm:李*."),
        ("applicant: 王小明!", "applicant: 王**!"),
        ("name：施荣、下一位", "name：施*、下一位"),
        ("xm: 李成. 下一条", "xm: 李*. 下一条"),
        ("dz：北京市朝阳区建国路88号。", "dz：北京市朝阳区******。"),
        (
            "homeAddress：上海市浦东新区世纪大道100号！下一条",
            "homeAddress：上海市浦东新*********！下一条",
        ),
        // A dot inside a value is no sentence's.
        ("email: wang.fang@qq.com. 完", "email: w***.****@qq.com. 完"),
    ];
    for (body, want) in cases {
        assert_eq!(&redacted(&e, body, Format::Text), want, "{body}");
    }
}

/// Probe 57: the parties of a hotline's, a court's and an estate's records before a field
/// name (`complainantName`, `callerName`, `heirName`), as `applicantName` is; a buyer's and
/// a seller's stay an invoice's companies.
#[test]
fn hotline_and_estate_roles_name_a_persons_field() {
    let e = engine();
    for key in [
        "complainantName",
        "complainant_name",
        "reporterName",
        "callerName",
        "petitionerName",
        "claimantName",
        "heirName",
    ] {
        let got = classes(&e, key, "王建国");
        assert!(got.iter().any(|c| c == "person_name"), "{key}: {got:?}");
    }
    for key in ["buyerName", "sellerName", "partyName"] {
        let got = classes(&e, key, "王建国");
        assert!(got.is_empty(), "{key}: {got:?}");
    }
}

/// Shapes of the sixtieth probe: numbers hard-wrapped across two lines after their label,
/// masked in both pieces with the line break kept; look-alikes that must stay as they are.
#[test]
fn numbers_wrapped_after_their_label() {
    let e = engine();
    let cases: &[(&str, &str)] = &[
        (
            "身份证号：110105\n19880512123X，银行卡号：622202123456\n7890128，联系电话：138001\n38000。",
            "身份证号：110105\n********123X，银行卡号：6222********\n***0128，联系电话：138***\n*8000。",
        ),
        // Space after the label, the wrap's spaces, groups, a copula, `\r\n`, a `key=`.
        (
            "手机号码 1844161\n3729，身份证号码 420106\n 19800612 4142，收款账号为6222 0809 1557 7769\r\n 959",
            "手机号码 184****\n3729，身份证号码 420106\n ******** 4142，收款账号为6222 **** **** ***9\r\n 959",
        ),
        ("idCardNumber=3201021\n99412308698\n", "idCardNumber=320102*\n*******8698\n"),
        // No label: the pieces stay (the right one is no mobile either, a letter after it).
        ("备注 110105\n19880512123X 已核实", "备注 110105\n19880512123X 已核实"),
        // Two numbers on consecutive lines under one label: each is judged alone.
        (
            "手机：13800138000\n13900139000",
            "手机：138****8000\n139****9000",
        ),
        // A label of another kind: an ID's digits after a mobile's label are not joined (the
        // second line is read as the mobile rule read it before).
        ("联系电话：110105\n19880512123X", "联系电话：110105\n198****2123X"),
        // Joined digits no validator takes.
        ("身份证号：110105\n198805121230", "身份证号：110105\n198805121230"),
        // A date opening the next line is no tail of the number (review 12: a mobile has no
        // check digit to refuse `13812342024`).
        ("手机：1381234\n2024年1月1日", "手机：1381234\n2024年1月1日"),
    ];
    for (body, want) in cases {
        assert_eq!(&redacted(&e, body, Format::Text), want, "{body:?}");
    }
}

/// A text table whose columns are set apart by single spaces, under a header of field
/// names: each cell is read under its column's name, a number in groups in its number's
/// column. A row of words under no such header, or a header line that is a sentence, names
/// nothing.
#[test]
fn single_space_text_tables() {
    let e = engine();
    let cases: &[(&str, &str)] = &[
        (
            "持卡人 手机 户籍地址\n赵飞 18416176536 湖北省西安县东丽李街8号\n郝莹 16659343561 江西省秀荣县西夏马鞍山路12号",
            "持卡人 手机 户籍地址\n赵* 184****6536 湖北省西安县******\n郝* 166****3561 江西省秀荣县*********",
        ),
        (
            "联系人 收款账号 家庭住址 证件号码\n聂玉英 6259654091194331 湖北省坤县花溪台北街F座 440305 19501226 3813",
            "联系人 收款账号 家庭住址 证件号码\n聂** 6259********4331 湖北省坤县花****** 440305 ******** 3813",
        ),
        // A header of words that are no field names, over a row of words.
        ("今天 天气 很好\n我们 去 公园", "今天 天气 很好\n我们 去 公园"),
        // Field names over a sentence of another width.
        ("姓名 住址\n请 填写 完整 信息", "姓名 住址\n请 填写 完整 信息"),
    ];
    for (body, want) in cases {
        assert_eq!(&redacted(&e, body, Format::Text), want, "{body:?}");
    }
}

/// A form written one cell a line (the name alone on the line under its label), and an
/// address hard-wrapped inside its street or its house number after its label: the whole
/// value is masked, the line break kept. A line that goes on with words, a date or a line
/// of the metro is no part of the value above it.
#[test]
fn values_on_the_line_under_or_wrapped() {
    let e = engine();
    let cases: &[(&str, &str)] = &[
        (
            "申请人姓名\n王建国\n联系电话\n13812345678",
            "申请人姓名\n王**\n联系电话\n138****5678",
        ),
        ("姓名\n性别\n民族", "姓名\n性别\n民族"),
        ("姓名\n张三丰的武功很高", "姓名\n张三丰的武功很高"),
        (
            "家庭住址：北京市朝阳区建国\n路88号院5号楼2单元301室",
            "家庭住址：北京市朝阳区**\n***************",
        ),
        (
            "住址：上海市浦东新区世纪大道100\r\n号3栋201室\r\n",
            "住址：上海市浦东新********\r\n*******\r\n",
        ),
        (
            "地址：北京市朝阳区\n第3号文件已下发",
            "地址：北京市朝阳区\n第3号文件已下发",
        ),
        (
            "注册地址：北京市朝阳区\n2号线地铁站附近",
            "注册地址：北京市朝阳区\n2号线地铁站附近",
        ),
        (
            "住址：北京市朝阳区建国路88号\n同意办理。",
            "住址：北京市朝阳区******\n同意办理。",
        ),
        // A number and its unit that a word follows opens a line of its own (review 13).
        (
            "住址：北京市朝阳区建国路88号\n2号文件已下发",
            "住址：北京市朝阳区******\n2号文件已下发",
        ),
        (
            "住址：北京市朝阳区建国路88号\n1号床 王五",
            "住址：北京市朝阳区******\n1号床 王五",
        ),
        (
            "住址：北京市朝阳区建国路88号\n5号楼",
            "住址：北京市朝阳区******\n***",
        ),
    ];
    for (body, want) in cases {
        assert_eq!(&redacted(&e, body, Format::Text), want, "{body:?}");
    }
}
