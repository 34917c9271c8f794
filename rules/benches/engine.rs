//! Engine throughput benchmarks (criterion, `Throughput::Bytes`).
//!
//! How to run (from the repository root):
//!
//! ```text
//! cargo bench -p sluice-rules --bench engine                 # everything, ~10 min on 2 cores
//! cargo bench -p sluice-rules --bench engine -- --quick      # fast smoke run (rough figures)
//! cargo bench -p sluice-rules --bench engine -- real_gen_16k # one corpus (criterion filter = regex)
//! cargo bench -p sluice-rules --bench engine -- adv_         # adversarial inputs only
//! cargo bench -p sluice-rules --bench engine -- baseline     # only the naive regex baseline
//! ```
//!
//! Every corpus is generated here, deterministically (seeded SplitMix64), except the six bodies of
//! `/work/shared/bench/gen_payloads.py` (`pii_*.json`, `masked_*.json`, 1/16/256 KiB), which are
//! committed under `rules/benches/data/` and embedded with `include_bytes!`.
//!
//! Benchmark ids are `<corpus>/<variant>`:
//! - corpus `real_gen_{1k,16k,256k,64m}`: government-exchange JSON generated below (pinyin keys,
//!   Chinese text, valid resident ids / mobiles / UnionPay cards, snowflake ids, timestamps);
//!   `real_py_{pii,masked}_{1k,16k,256k}`: the shared generator's bodies; `adv_*`: adversarial
//!   inputs of 1 MiB (long digit runs, spaced digits, deep nesting, `\u0031` escapes, full-width
//!   digits, many short strings, one 1 MiB Chinese string, dense valid identifiers).
//! - variant `engine30_scan` (built-in packs, `redact: false`), `engine30_redact` (`redact: true`),
//!   `baseline_regex` (one `regex` alternation of 18-digit id / 11-digit mobile / 16-19 digit card
//!   with ASCII word boundaries + `validate::gb11643` / `validate::luhn` + a redacted copy),
//!   `mixed1000_{scan,redact}` (built-ins + 1,000 generated rules: 700 field rules, 250 keyword
//!   rules, 50 literal-prefixed pattern rules), `kw1000_{scan,redact}` (built-ins + 1,000 pure
//!   keyword rules), `engine30_stream16k_redact` (the streaming API fed 16 KiB chunks).
//!
//! At the end the bench prints a Markdown summary (median MB/s, 1 MB = 10^6 bytes, and ratios in
//! the same run) of the benchmarks that ran in this invocation, read back from criterion's
//! `estimates.json` files; this is what `BENCHMARKS.md` quotes.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput};
use regex::bytes::Regex;
use sluice_rules::{validate, Engine, Format, ScanOptions};

// ---------------------------------------------------------------------------------------------
// Deterministic generation
// ---------------------------------------------------------------------------------------------

/// SplitMix64: tiny, seeded, identical output on every platform.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[(self.next() % xs.len() as u64) as usize]
    }
    fn digit(&mut self) -> u8 {
        b'0' + (self.next() % 10) as u8
    }
    fn digits(&mut self, n: usize, out: &mut String) {
        for _ in 0..n {
            out.push(self.digit() as char);
        }
    }
}

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";

/// GB 11643-1999 check character of the first 17 digits (computed here, independently of the
/// engine's validator, which only checks the result).
fn id_check_char(first17: &[u8]) -> char {
    let s: u32 = first17
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(c, w)| u32::from(c - b'0') * w)
        .sum();
    ID_CHECK[(s % 11) as usize] as char
}

/// Appends the Luhn check digit to `partial`.
fn luhn_complete(partial: &mut String) {
    let mut total = 0u32;
    for (i, c) in partial.bytes().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if i.is_multiple_of(2) {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        total += d;
    }
    partial.push((b'0' + ((10 - total % 10) % 10) as u8) as char);
}

const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤";
const GIVEN: &str = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国文辉鹏飞宇浩然子涵欣怡梓萱一诺雨泽俊晨阳思远嘉佳琪志海燕春梅";
const REGIONS: &[(&str, &str)] = &[
    ("110101", "北京市东城区"),
    ("110105", "北京市朝阳区"),
    ("310104", "上海市徐汇区"),
    ("310115", "上海市浦东新区"),
    ("440305", "广东省深圳市南山区"),
    ("440106", "广东省广州市天河区"),
    ("330106", "浙江省杭州市西湖区"),
    ("510107", "四川省成都市武侯区"),
    ("420111", "湖北省武汉市洪山区"),
    ("320102", "江苏省南京市玄武区"),
    ("370202", "山东省青岛市市南区"),
    ("610113", "陕西省西安市雁塔区"),
    ("500103", "重庆市渝中区"),
    ("120101", "天津市和平区"),
    ("350203", "福建省厦门市思明区"),
];
const STREETS: &[&str] = &[
    "中山路",
    "人民路",
    "解放路",
    "建设路",
    "和平街",
    "长安街",
    "南京路",
    "滨江大道",
    "科技园路",
    "文化路",
];
const ETHNIC: &[&str] = &[
    "汉族",
    "汉族",
    "汉族",
    "回族",
    "满族",
    "壮族",
    "苗族",
    "土家族",
];
const BANKS: &[(&str, &str)] = &[
    ("622202", "中国工商银行"),
    ("621700", "中国建设银行"),
    ("622848", "中国农业银行"),
    ("621661", "中国银行"),
    ("622588", "招商银行"),
    ("622262", "交通银行"),
];
const MOBILE_PREFIX: &[&str] = &[
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
    "156", "157", "158", "159", "166", "177", "180", "181", "182", "183", "185", "186", "187",
    "188", "189", "191", "198", "199",
];
const DEPTS: &[&str] = &[
    "公安局人口管理处",
    "人力资源和社会保障局",
    "民政局",
    "医疗保障局",
    "住房公积金管理中心",
    "税务局",
];
const REMARKS: &[&str] = &[
    "申请人已按要求提交全部材料，经窗口初审符合受理条件。",
    "数据来源于部门共享交换平台，仅限本次业务办理使用。",
    "该户籍信息已与公安人口库比对一致，无异常。",
    "补贴资金已按月发放至社保卡金融账户。",
    "经核查，申请人家庭成员收入情况属实。",
    "请于五个工作日内完成复核并反馈处理结果。",
    "",
];
const USCC_CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

/// One government data-exchange record (pinyin keys, ~420 bytes).
fn gov_record(r: &mut Rng, seq: usize, surnames: &[char], given: &[char], out: &mut String) {
    use std::fmt::Write;
    let (region, addr) = *r.pick(REGIONS);
    let (y, m, d, s) = (
        r.range(1950, 2005),
        r.range(1, 12),
        r.range(1, 28),
        r.range(0, 999),
    );
    let mut id = format!("{region}{y:04}{m:02}{d:02}{s:03}");
    let check = id_check_char(id.as_bytes());
    id.push(check);
    let (bin, bank) = *r.pick(BANKS);
    let len = *r.pick(&[16usize, 19, 19]);
    let mut card = bin.to_string();
    r.digits(len - bin.len() - 1, &mut card);
    luhn_complete(&mut card);
    let mut mobile = r.pick(MOBILE_PREFIX).to_string();
    r.digits(8, &mut mobile);
    let mut name = String::new();
    name.push(*r.pick(surnames));
    for _ in 0..r.range(1, 2) {
        name.push(*r.pick(given));
    }
    let mut snow = String::from("17");
    r.digits(17, &mut snow);
    let mut trace = ((b'4' + r.range(0, 5) as u8) as char).to_string();
    r.digits(17, &mut trace);
    let mut uscc = String::from("91");
    r.digits(6, &mut uscc);
    for _ in 0..10 {
        uscc.push(*r.pick(USCC_CHARS) as char);
    }
    let _ = write!(
        out,
        concat!(
            r#"{{"id":"{snow}","seq":{seq},"xm":"{name}","xb":"{xb}","mz":"{mz}","csrq":"{y:04}-{m:02}-{d:02}","#,
            r#""sfzh":"{id}","sjhm":"{mobile}","dz":"{addr}{street}{no}号{b}栋{u}单元{room}室","yhkh":"{card}","#,
            r#""khh":"{bank}","je":{yuan}.{fen:02},"traceId":"{trace}","orgCode":"{uscc}","sjly":"{dept}","#,
            r#""bz":"{remark}","createTime":{t1},"updateTime":{t2},"status":{status}}}"#
        ),
        snow = snow,
        seq = seq,
        name = name,
        xb = if s % 2 == 1 { "男" } else { "女" },
        mz = r.pick(ETHNIC),
        y = y,
        m = m,
        d = d,
        id = id,
        mobile = mobile,
        addr = addr,
        street = r.pick(STREETS),
        no = r.range(1, 999),
        b = r.range(1, 30),
        u = r.range(1, 3),
        room = r.range(101, 2808),
        card = card,
        bank = bank,
        yuan = r.range(0, 99_999),
        fen = r.range(0, 99),
        trace = trace,
        uscc = uscc,
        dept = r.pick(DEPTS),
        remark = r.pick(REMARKS),
        t1 = r.range(1_672_531_200_000, 1_735_689_599_000),
        t2 = r.range(1_672_531_200_000, 1_735_689_599_000),
        status = r.pick(&[0, 1, 1, 1, 2]),
    );
}

/// Government-exchange JSON envelope of exactly `target` bytes (padded through `"ext"`).
fn gov_json(target: usize, seed: u64) -> Vec<u8> {
    let mut r = Rng::new(seed);
    let (surnames, given) = (chars(SURNAMES), chars(GIVEN));
    let mut records = String::with_capacity(target);
    let mut rec = String::new();
    let mut n = 0usize;
    let head = |n: usize| {
        format!(
            r#"{{"code":"0000","msg":"操作成功","requestId":"1786302155849728011","timestamp":1717200000000,"data":{{"total":{n},"pageNo":1,"pageSize":{n},"records":["#
        )
    };
    const TAIL: &str = r#"]},"ext":""}"#;
    loop {
        rec.clear();
        gov_record(&mut r, n, &surnames, &given, &mut rec);
        let sep = usize::from(n > 0);
        if head(n + 1).len() + records.len() + sep + rec.len() + TAIL.len() > target {
            break;
        }
        if n > 0 {
            records.push(',');
        }
        records.push_str(&rec);
        n += 1;
    }
    assert!(n > 0, "target {target} too small for one record");
    let mut body = head(n);
    body.push_str(&records);
    body.push_str(r#"]},"ext":""#);
    let pad = target - body.len() - 2;
    body.extend(std::iter::repeat_n('x', pad));
    body.push_str("\"}");
    assert_eq!(body.len(), target);
    body.into_bytes()
}

const MIB: usize = 1 << 20;

fn adv_digits(n: usize, seed: u64) -> Vec<u8> {
    let mut r = Rng::new(seed);
    (0..n).map(|_| r.digit()).collect()
}

fn json_string(prefix: &str, inner: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(inner.len() + 16);
    v.extend_from_slice(prefix.as_bytes());
    v.extend_from_slice(inner);
    v.extend_from_slice(b"\"}");
    v
}

fn adv_spaced_digits(n: usize, seed: u64) -> Vec<u8> {
    let mut r = Rng::new(seed);
    let mut v = Vec::with_capacity(n);
    while v.len() + 2 <= n {
        v.push(r.digit());
        v.push(b' ');
    }
    v
}

fn adv_nest_array(n: usize) -> Vec<u8> {
    let depth = n / 2;
    let mut v = vec![b'['; depth];
    v.extend(std::iter::repeat_n(b']', depth));
    v
}

fn adv_nest_object(n: usize) -> Vec<u8> {
    let depth = (n - 1) / 6;
    let mut v = Vec::with_capacity(n);
    for _ in 0..depth {
        v.extend_from_slice(br#"{"a":"#);
    }
    v.push(b'1');
    v.extend(std::iter::repeat_n(b'}', depth));
    v
}

fn adv_u_escapes(n: usize, seed: u64) -> Vec<u8> {
    let mut r = Rng::new(seed);
    let mut inner = Vec::with_capacity(n);
    while inner.len() + 6 <= n - 8 {
        inner.extend_from_slice(b"\\u003");
        inner.push(r.digit());
    }
    json_string(r#"{"v":""#, &inner)
}

fn adv_fullwidth(n: usize, seed: u64) -> Vec<u8> {
    let mut r = Rng::new(seed);
    let mut inner = String::with_capacity(n);
    while inner.len() + 3 <= n - 8 {
        inner.push(char::from_u32(0xFF10 + (r.next() % 10) as u32).unwrap());
    }
    json_string(r#"{"v":""#, inner.as_bytes())
}

fn adv_short_strings(n: usize, seed: u64) -> Vec<u8> {
    let mut r = Rng::new(seed);
    let pool: &[&str] = &["a", "ok", "中", "12", "x7", "是", "0", "9z", "否", "ab"];
    let mut v = String::from("[");
    while v.len() < n - 8 {
        if v.len() > 1 {
            v.push(',');
        }
        v.push('"');
        v.push_str(r.pick::<&str>(pool));
        v.push('"');
    }
    v.push(']');
    v.into_bytes()
}

fn adv_cjk_string(n: usize, seed: u64) -> Vec<u8> {
    let mut r = Rng::new(seed);
    let text: Vec<char> = REMARKS
        .concat()
        .chars()
        .chain(DEPTS.concat().chars())
        .collect();
    let mut inner = String::with_capacity(n);
    while inner.len() + 3 <= n - 16 {
        inner.push(*r.pick(&text));
    }
    json_string(r#"{"content":""#, inner.as_bytes())
}

/// Every value is a valid identifier under its key: the redaction-heavy worst case.
fn adv_dense_pii(n: usize, seed: u64) -> Vec<u8> {
    let mut r = Rng::new(seed);
    let mut v = String::from("[");
    while v.len() < n - 100 {
        let (region, _) = *r.pick(REGIONS);
        let mut id = format!(
            "{region}{:04}{:02}{:02}{:03}",
            r.range(1950, 2005),
            r.range(1, 12),
            r.range(1, 28),
            r.range(0, 999)
        );
        let c = id_check_char(id.as_bytes());
        id.push(c);
        let mut mobile = r.pick(MOBILE_PREFIX).to_string();
        r.digits(8, &mut mobile);
        let mut card = r.pick(BANKS).0.to_string();
        r.digits(12, &mut card);
        luhn_complete(&mut card);
        if v.len() > 1 {
            v.push(',');
        }
        v.push_str(&format!(
            r#"{{"sfzh":"{id}","sjhm":"{mobile}","yhkh":"{card}"}}"#
        ));
    }
    v.push(']');
    v.into_bytes()
}

// ---------------------------------------------------------------------------------------------
// 1,000-rule packs
// ---------------------------------------------------------------------------------------------

const SYLLABLES: &[&str] = &[
    "zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "r", "z",
    "c", "s", "y", "w",
];
const WORDS: &[&str] = &[
    "code", "no", "num", "id", "info", "flag", "date", "type", "level", "name", "desc", "value",
];
const KW_CHARS: &str = "天穹昆仑长城北斗神舟鲲鹏玄武朱雀青龙白虎麒麟凤凰星辰海洋雷霆闪电极光磐石";

/// A distinct field key per index: pinyin-initial abbreviations (`gzdwbm`), camelCase
/// (`hyzkCode`) or snake_case (`cust_ext_12_no`), like real exchange schemas.
fn field_key(i: usize) -> String {
    let s = |k: usize| SYLLABLES[k % SYLLABLES.len()];
    match i % 3 {
        0 => {
            format!(
                "{}{}{}{}",
                s(i),
                s(i / 7 + 3),
                s(i / 49 + 5),
                s(i / 343 + 11)
            ) + "bm"
        }
        1 => {
            format!("{}{}{}", s(i), s(i / 5 + 1), s(i / 25 + 2))
                + &format!("{}{}", capital(WORDS[i % WORDS.len()]), i)
        }
        _ => format!("cust_ext_{i}_{}", WORDS[(i / 3) % WORDS.len()]),
    }
}

fn capital(w: &str) -> String {
    let mut c = w.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// A distinct keyword per index: a CJK code name (`天穹昆仑项目`) or an ASCII one (`PRJ-K7Q-0042`).
fn keyword(i: usize) -> String {
    let k: Vec<char> = KW_CHARS.chars().collect();
    if i.is_multiple_of(2) {
        let j = i / 2;
        format!(
            "{}{}{}{}工程",
            k[j % k.len()],
            k[(j / k.len()) % k.len()],
            k[(j * 7 + 3) % k.len()],
            k[(j / 3) % k.len()]
        ) + &format!("{j}号")
    } else {
        format!(
            "PRJ-{}{}-{:04}",
            (b'A' + (i % 26) as u8) as char,
            (b'A' + (i / 26 % 26) as u8) as char,
            i
        )
    }
}

fn rule_head(y: &mut String, id: &str, name: &str, class: &str, grade: &str) {
    y.push_str(&format!(
        "  - id: {id}\n    name: \"{name}\"\n    class: {class}\n    grade: {grade}\n"
    ));
}

/// 700 field rules + 250 keyword rules + 50 literal-prefixed pattern rules.
fn mixed_pack() -> String {
    let mut y = String::from("pack: bench-mixed\nversion: 1\nrules:\n");
    for i in 0..700 {
        rule_head(
            &mut y,
            &format!("bench.field_{i}"),
            &format!("Field {i}"),
            "custom_field",
            "general",
        );
        y.push_str(&format!(
            "    match: {{ field: true }}\n    context:\n      keys: [{}, {}]\n    redact: {{ style: mask, keep_first: 1 }}\n",
            field_key(i),
            field_key(i + 700)
        ));
    }
    for i in 0..250 {
        rule_head(
            &mut y,
            &format!("bench.kw_{i}"),
            &format!("Keyword {i}"),
            "project_codename",
            "important",
        );
        y.push_str(&format!(
            "    match:\n      keywords: [\"{}\", \"{}\"]\n    redact: {{ style: label, label: \"[项目代号]\" }}\n",
            keyword(2 * i),
            keyword(2 * i + 1)
        ));
    }
    for i in 0..50 {
        rule_head(
            &mut y,
            &format!("bench.pat_{i}"),
            &format!("Pattern {i}"),
            "contract_no",
            "important",
        );
        let prefix = format!(
            "{}{}",
            (b'A' + (i % 26) as u8) as char,
            (b'K' + (i / 26) as u8) as char
        );
        y.push_str(&format!(
            "    match:\n      pattern: 'HT{prefix}-[0-9]{{4}}-[0-9]{{6,8}}'\n    redact: {{ style: mask, keep_first: 5 }}\n"
        ));
    }
    y
}

/// 1,000 keyword rules, one distinct keyword each.
fn keyword_pack() -> String {
    let mut y = String::from("pack: bench-keywords\nversion: 1\nrules:\n");
    for i in 0..1000 {
        rule_head(
            &mut y,
            &format!("benchkw.kw_{i}"),
            &format!("Keyword {i}"),
            "project_codename",
            "important",
        );
        y.push_str(&format!(
            "    match:\n      keywords: [\"{}\"]\n    redact: {{ style: label, label: \"[项目代号]\" }}\n",
            keyword(1000 + i)
        ));
    }
    y
}

fn engine30() -> &'static Arc<Engine> {
    static E: OnceLock<Arc<Engine>> = OnceLock::new();
    E.get_or_init(|| Arc::new(Engine::builtin().expect("built-in packs compile")))
}

fn engine_with(pack: &str, text: String) -> Arc<Engine> {
    let e = Engine::builder()
        .builtin()
        .source(pack, text)
        .build()
        .unwrap_or_else(|e| panic!("{pack}: {e}"));
    Arc::new(e)
}

fn engine_mixed() -> &'static Arc<Engine> {
    static E: OnceLock<Arc<Engine>> = OnceLock::new();
    E.get_or_init(|| {
        let e = engine_with("bench-mixed.yaml", mixed_pack());
        eprintln!("[bench] mixed engine: {} rules", e.rules().len());
        e
    })
}

fn engine_kw() -> &'static Arc<Engine> {
    static E: OnceLock<Arc<Engine>> = OnceLock::new();
    E.get_or_init(|| {
        let e = engine_with("bench-keywords.yaml", keyword_pack());
        eprintln!("[bench] keyword engine: {} rules", e.rules().len());
        e
    })
}

// ---------------------------------------------------------------------------------------------
// Naive baseline: one regex alternation + validation + redacted copy
// ---------------------------------------------------------------------------------------------

fn baseline_regex() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(
            r"(?-u)\b(?:[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]|1[3-9][0-9]{9}|[0-9]{16,19})\b",
        )
        .unwrap()
    })
}

/// Returns the redacted copy and the number of validated matches.
fn baseline(body: &[u8]) -> (Vec<u8>, usize) {
    let re = baseline_regex();
    let mut out = Vec::with_capacity(body.len());
    let mut last = 0;
    let mut n = 0;
    for m in re.find_iter(body) {
        let v = m.as_bytes();
        let ok = match v.len() {
            18 if validate::gb11643(v) => true,
            11 => true,
            16..=19 => validate::luhn(v),
            _ => false,
        };
        if ok {
            n += 1;
            out.extend_from_slice(&body[last..m.start()]);
            let keep = if v.len() == 11 { 3 } else { 6 };
            out.extend_from_slice(&v[..keep]);
            out.extend(std::iter::repeat_n(b'*', v.len() - keep - 4));
            out.extend_from_slice(&v[v.len() - 4..]);
            last = m.end();
        }
    }
    out.extend_from_slice(&body[last..]);
    (out, n)
}

// ---------------------------------------------------------------------------------------------
// Benchmarks
// ---------------------------------------------------------------------------------------------

const VARIANTS: &[&str] = &[
    "engine30_scan",
    "engine30_redact",
    "baseline_regex",
    "mixed1000_scan",
    "mixed1000_redact",
    "kw1000_scan",
    "kw1000_redact",
    "engine30_stream16k_redact",
];

struct Corpus {
    name: &'static str,
    format: Format,
    data: Vec<u8>,
}

fn opts(format: Format, redact: bool) -> ScanOptions {
    ScanOptions {
        format,
        redact,
        ..Default::default()
    }
}

/// (group, function) -> bytes per iteration, for the benchmarks that actually ran.
fn ran() -> &'static Mutex<BTreeMap<(String, String), u64>> {
    static R: OnceLock<Mutex<BTreeMap<(String, String), u64>>> = OnceLock::new();
    R.get_or_init(Default::default)
}

fn mark(group: &str, func: &str, bytes: u64) {
    ran()
        .lock()
        .unwrap()
        .insert((group.to_string(), func.to_string()), bytes);
}

/// Variants run on a corpus.
#[derive(Clone, Copy)]
struct Variants {
    many_rules: bool,
    stream: bool,
}

fn bench_corpus(c: &mut Criterion, corpus: &Corpus, v: Variants, big: bool) {
    let bytes = corpus.data.len() as u64;
    let mut g = c.benchmark_group(corpus.name);
    g.throughput(Throughput::Bytes(bytes));
    if big {
        g.sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(5));
    }
    let data = &corpus.data[..];
    let fmt = corpus.format;
    let name = corpus.name;

    let engine_fn = |g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
                     func: &'static str,
                     engine: fn() -> &'static Arc<Engine>,
                     redact: bool| {
        g.bench_function(func, |b| {
            mark(name, func, bytes);
            let e = engine();
            b.iter(|| {
                let r = e.scan_bytes(black_box(data), opts(fmt, redact));
                black_box((r.output.len(), r.findings.len()))
            })
        });
    };
    engine_fn(&mut g, "engine30_scan", engine30, false);
    engine_fn(&mut g, "engine30_redact", engine30, true);
    g.bench_function("baseline_regex", |b| {
        mark(name, "baseline_regex", bytes);
        b.iter(|| black_box(baseline(black_box(data)).1))
    });
    if v.many_rules {
        engine_fn(&mut g, "mixed1000_scan", engine_mixed, false);
        engine_fn(&mut g, "mixed1000_redact", engine_mixed, true);
        engine_fn(&mut g, "kw1000_scan", engine_kw, false);
        engine_fn(&mut g, "kw1000_redact", engine_kw, true);
    }
    if v.stream {
        g.bench_function("engine30_stream16k_redact", |b| {
            mark(name, "engine30_stream16k_redact", bytes);
            let e = engine30();
            let mut out = Vec::with_capacity(data.len() + 1024);
            let mut findings = Vec::new();
            b.iter(|| {
                out.clear();
                findings.clear();
                let mut s = e.stream(opts(fmt, true));
                for chunk in data.chunks(16 * 1024) {
                    s.push(chunk, &mut out, &mut findings);
                }
                s.finish(&mut out, &mut findings);
                black_box((out.len(), findings.len()))
            })
        });
    }
    g.finish();
}

/// One un-timed pass per corpus: sizes and detection counts, printed once for the record.
fn describe(corpus: &Corpus) {
    let r = engine30().scan_bytes(&corpus.data, opts(corpus.format, true));
    let (_, nb) = baseline(&corpus.data);
    eprintln!(
        "[bench] {:<24} {:>9} B  engine30 findings={:<6} baseline validated matches={}",
        corpus.name,
        corpus.data.len(),
        r.findings.len(),
        nb
    );
}

fn benches(c: &mut Criterion, filter: &str) {
    let real: Vec<Corpus> = vec![
        Corpus {
            name: "real_gen_1k",
            format: Format::Json,
            data: gov_json(1024, 1),
        },
        Corpus {
            name: "real_gen_16k",
            format: Format::Json,
            data: gov_json(16 * 1024, 2),
        },
        Corpus {
            name: "real_gen_256k",
            format: Format::Json,
            data: gov_json(256 * 1024, 3),
        },
        Corpus {
            name: "real_py_pii_1k",
            format: Format::Json,
            data: include_bytes!("data/pii_1k.json").to_vec(),
        },
        Corpus {
            name: "real_py_pii_16k",
            format: Format::Json,
            data: include_bytes!("data/pii_16k.json").to_vec(),
        },
        Corpus {
            name: "real_py_pii_256k",
            format: Format::Json,
            data: include_bytes!("data/pii_256k.json").to_vec(),
        },
        Corpus {
            name: "real_py_masked_1k",
            format: Format::Json,
            data: include_bytes!("data/masked_1k.json").to_vec(),
        },
        Corpus {
            name: "real_py_masked_16k",
            format: Format::Json,
            data: include_bytes!("data/masked_16k.json").to_vec(),
        },
        Corpus {
            name: "real_py_masked_256k",
            format: Format::Json,
            data: include_bytes!("data/masked_256k.json").to_vec(),
        },
    ];
    let adv: Vec<Corpus> = vec![
        Corpus {
            name: "adv_digits_text",
            format: Format::Text,
            data: adv_digits(MIB, 11),
        },
        Corpus {
            name: "adv_digits_json",
            format: Format::Json,
            data: json_string(r#"{"v":""#, &adv_digits(MIB - 8, 12)),
        },
        Corpus {
            name: "adv_spaced_digits_text",
            format: Format::Text,
            data: adv_spaced_digits(MIB, 13),
        },
        Corpus {
            name: "adv_spaced_digits_json",
            format: Format::Json,
            data: json_string(r#"{"v":""#, &adv_spaced_digits(MIB - 8, 14)),
        },
        Corpus {
            name: "adv_nest_array",
            format: Format::Json,
            data: adv_nest_array(MIB),
        },
        Corpus {
            name: "adv_nest_object",
            format: Format::Json,
            data: adv_nest_object(MIB),
        },
        Corpus {
            name: "adv_u_escapes_json",
            format: Format::Json,
            data: adv_u_escapes(MIB, 15),
        },
        Corpus {
            name: "adv_fullwidth_json",
            format: Format::Json,
            data: adv_fullwidth(MIB, 16),
        },
        Corpus {
            name: "adv_fullwidth_text",
            format: Format::Text,
            data: adv_fullwidth(MIB, 17)[8..MIB - 8].to_vec(),
        },
        Corpus {
            name: "adv_short_strings_json",
            format: Format::Json,
            data: adv_short_strings(MIB, 18),
        },
        Corpus {
            name: "adv_cjk_string_json",
            format: Format::Json,
            data: adv_cjk_string(MIB, 19),
        },
        Corpus {
            name: "adv_dense_pii_json",
            format: Format::Json,
            data: adv_dense_pii(MIB, 20),
        },
    ];
    // `SLUICE_BENCH_DUMP=DIR` writes every corpus and the 1,000-rule packs to DIR (for
    // counting instructions on one body with `examples/scanfile` under callgrind) instead of
    // benchmarking.
    if let Some(dir) = std::env::var_os("SLUICE_BENCH_DUMP") {
        let dir = std::path::PathBuf::from(dir);
        for corpus in real.iter().chain(adv.iter()) {
            if let Err(e) = std::fs::write(dir.join(corpus.name), &corpus.data) {
                eprintln!("{}: {e}", corpus.name);
            }
        }
        // The 1,000-rule packs too, each in its own directory (`scanfile` loads one with
        // SLUICE_RULES_DIR next to the built-ins).
        for (sub, text) in [("packs_mixed", mixed_pack()), ("packs_kw", keyword_pack())] {
            let d = dir.join(sub);
            if let Err(e) = std::fs::create_dir_all(&d)
                .and_then(|()| std::fs::write(d.join(format!("bench-{sub}.yaml")), text))
            {
                eprintln!("{sub}: {e}");
            }
        }
        return;
    }
    // Criterion matches its filter (a regex) against `<corpus>/<variant>`.
    let re = regex::Regex::new(filter).ok();
    let selected = |n: &str| {
        filter.is_empty()
            || VARIANTS.iter().any(|f| {
                let id = format!("{n}/{f}");
                re.as_ref().map_or(id.contains(filter), |r| r.is_match(&id))
            })
    };
    let all = Variants {
        many_rules: true,
        stream: false,
    };
    for corpus in &real {
        if selected(corpus.name) {
            describe(corpus);
        }
        let stream = corpus.name == "real_gen_256k";
        bench_corpus(c, corpus, Variants { stream, ..all }, false);
    }
    // 64 MiB: generated only when its group is selected (criterion filters on the bench id).
    if selected("real_gen_64m") {
        let big = Corpus {
            name: "real_gen_64m",
            format: Format::Json,
            data: gov_json(64 * MIB, 4),
        };
        describe(&big);
        bench_corpus(
            c,
            &big,
            Variants {
                stream: true,
                ..all
            },
            true,
        );
    }
    for corpus in &adv {
        if selected(corpus.name) {
            describe(corpus);
        }
        bench_corpus(
            c,
            corpus,
            Variants {
                many_rules: false,
                stream: false,
            },
            false,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Summary
// ---------------------------------------------------------------------------------------------

fn criterion_dir() -> PathBuf {
    if let Some(h) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(h);
    }
    if let Some(t) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(t).join("criterion");
    }
    // <target>/release/deps/engine-<hash>
    std::env::current_exe()
        .ok()
        .and_then(|p| p.ancestors().nth(3).map(|t| t.join("criterion")))
        .unwrap_or_else(|| PathBuf::from("target/criterion"))
}

fn median_ns(dir: &std::path::Path, group: &str, func: &str) -> Option<f64> {
    let p = dir
        .join(group)
        .join(func)
        .join("new")
        .join("estimates.json");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(p).ok()?).ok()?;
    v["median"]["point_estimate"].as_f64()
}

fn summary() {
    let ran = ran().lock().unwrap().clone();
    if ran.is_empty() {
        return;
    }
    let dir = criterion_dir();
    let mut by_group: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for ((g, f), bytes) in &ran {
        if let Some(ns) = median_ns(&dir, g, f) {
            // bytes per ns * 1e3 = MB/s (10^6 bytes)
            by_group
                .entry(g.clone())
                .or_default()
                .insert(f.clone(), *bytes as f64 / ns * 1e3);
        }
    }
    let get = |m: &BTreeMap<String, f64>, k: &str| m.get(k).copied();
    let fmt = |x: Option<f64>| x.map(|v| format!("{v:.0}")).unwrap_or_else(|| "-".into());
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => format!("{:.2}", a / b),
        _ => "-".into(),
    };
    println!(
        "\n## Summary (median MB/s, 1 MB = 10^6 B; read from {})\n",
        dir.display()
    );
    println!("| corpus | scan | scan+redact | baseline regex | redact/baseline | mixed1000 scan | mixed1000 redact | 30→1000 mixed cost (redact) | kw1000 scan | kw1000 redact | 30→1000 kw cost (redact) | stream 16 KiB redact |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut adv_min: Option<(f64, String)> = None;
    for (g, m) in &by_group {
        let (s, r, b) = (
            get(m, "engine30_scan"),
            get(m, "engine30_redact"),
            get(m, "baseline_regex"),
        );
        let (ms, mr) = (get(m, "mixed1000_scan"), get(m, "mixed1000_redact"));
        let (ks, kr) = (get(m, "kw1000_scan"), get(m, "kw1000_redact"));
        println!(
            "| {g} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            fmt(s),
            fmt(r),
            fmt(b),
            ratio(r, b),
            fmt(ms),
            fmt(mr),
            ratio(r, mr),
            fmt(ks),
            fmt(kr),
            ratio(r, kr),
            fmt(get(m, "engine30_stream16k_redact")),
        );
        if g.starts_with("adv_") {
            for (f, v) in m.iter().filter(|(f, _)| f.starts_with("engine")) {
                if adv_min.as_ref().is_none_or(|(x, _)| v < x) {
                    adv_min = Some((*v, format!("{g}/{f}")));
                }
            }
        }
    }
    if let Some((v, at)) = adv_min {
        println!("\nadversarial minimum (engine): {v:.0} MB/s at {at}");
    }
}

fn main() {
    let mut c = Criterion::default()
        .sample_size(15)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    // The free argument is criterion's filter; used to skip generating/describing corpora that
    // will not run (the 64 MiB one in particular).
    const WITH_VALUE: &[&str] = &[
        "--save-baseline",
        "-s",
        "--baseline",
        "-b",
        "--baseline-lenient",
        "--load-baseline",
        "--sample-size",
        "--warm-up-time",
        "--measurement-time",
        "--nresamples",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--profile-time",
        "--plotting-backend",
        "--output-format",
        "--color",
        "-c",
        "--format",
    ];
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut filter = String::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if WITH_VALUE.contains(&a.as_str()) {
            i += 1;
        } else if !a.starts_with('-') {
            filter = a.clone();
        }
        i += 1;
    }
    benches(&mut c, &filter);
    c.final_summary();
    summary();
}
