//! Document-type fields: a record that says what kind of document its number field holds.
//!
//! Exchange records seldom name the number's field for the document: they write a type field
//! and a generic number field beside it (`{"zjlx":"511","zjhm":"12345678"}`,
//! `<certType>台胞证</certType><certNo>…</certNo>`, a CSV with `documentType,documentNo`
//! columns). A Taiwan permit's eight digits or a foreign passport's letters and digits have
//! no shape of their own, so without the type field nothing says what the number is, and
//! with it the record says so outright. The segmenter reads a type field's value with
//! [`kind_of`] and judges the next generic number field (within [`REACH`] values) as if it
//! were named for that document ([`canonical_key`]), beside the rules its own name gives.
//!
//! A type written after its number (`{"zjhm":"…","zjlx":"511"}`: keys in sorted order, as Go
//! maps, `sort_keys` and PostgreSQL `jsonb` write them, put `zjhm` before `zjlx` and `idNo`
//! before `idType`) is read too: a number field whose value has a document's shape
//! ([`lookback_kinds`]) is held, its output with it, until the record ends, [`REACH`] values
//! pass or a type names a document, under whose name it is then judged again
//! (`Segmenter::lookback`). A name's owner part ([`key_role_owner`]) keeps two people's
//! numbers and types apart in one record, and several people's numbers wait at once.
//!
//! Codes are the public-security document codes (GA/T 517-style three-digit codes: 111
//! resident ID card, 411-414 passports, 511 Taiwan permit, 513/516 Hong Kong and Macao
//! permits); two-digit local codes differ between systems and are not read.

use super::{dotted_tail, norm_key, without_annotation};

/// How many values after a type field its number field may come (`zjlx`, `zjlxmc`, then
/// `zjhm`; a form's `idType`, `issuer`, `idNo`), or after a number field its type, within
/// one record and of one person. In sorted keys (`jsonb` orders them by length first) the
/// fields of other names of the same length come between `idNo` and `idType`.
pub(crate) const REACH: u8 = 16;

/// What a field name says about document types. Type and number fields come in families:
/// the general ones (`zjlx`/`zjhm`, `idType`/`idNo`, `证件类型`/`证件号码`) go with each
/// other, `cardType` only with `cardNo` and `docType` only with `docNo`, whose names say
/// less (a bank card's number, a document's reference number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum DocKey {
    #[default]
    Other,
    /// A document-type field (`zjlx`, `certType`, `证件类型`) of a family.
    Type(Family),
    /// A generic document-number field (`zjhm`, `certNo`, `证件号码`) of a family.
    Number(Family),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    General,
    Card,
    Doc,
}

/// The documents a type field can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DocKind {
    ResidentId,
    Passport,
    HkMacauPermit,
    TaiwanPermit,
    /// Another document or thing, named in words (`营业执照`, `军官证`, `型号`): the number
    /// is none of the travel documents, whose rules the field then takes as negative.
    Other,
}

/// The field name whose rules judge a number of this kind.
pub(crate) fn canonical_key(kind: DocKind) -> &'static [u8] {
    match kind {
        DocKind::ResidentId => b"sfzh",
        DocKind::Passport => b"hzhm",
        DocKind::HkMacauPermit => b"gatxzhm",
        DocKind::TaiwanPermit => b"tbzhm",
        DocKind::Other => b"",
    }
}

/// The field names whose rules a type naming something else vetoes: the travel documents
/// and the old 15-digit resident ID, which have no check character (an 18-digit ID's or a
/// credit code's vouches for itself; a business licence's old registration number has 15
/// digits).
pub(crate) const VETOED_KEYS: [&[u8]; 4] = [b"hzhm", b"gatxzhm", b"tbzhm", b"sfzh15"];

/// Type fields, normalized. The first group is also read as the end of a longer name
/// (`sqrzjlx`, `applicantIdType`: the applicant's).
const TYPE_KEYS: &[&str] = &[
    "zjlx",
    "zjzl",
    "idtype",
    "idcardtype",
    "certtype",
    "certificatetype",
    "credentialtype",
    "documenttype",
    "paperstype",
    "证件类型",
    "证件种类",
    "证件类别",
];
const TYPE_KEYS_EXACT: &[&str] = &[
    "zjlxdm",
    "zjlxmc",
    "zjzldm",
    "zjzlmc",
    "zjlb",
    "credtype",
    "papertype",
    "证件类型代码",
    "证件名称",
];
const NUMBER_KEYS: &[&str] = &[
    "zjhm",
    "idno",
    "idnumber",
    "certno",
    "certnumber",
    "certificateno",
    "certificatenumber",
    "credentialno",
    "credentialnumber",
    "documentno",
    "documentnumber",
    "papersno",
    "证件号码",
    "证件号",
];
const NUMBER_KEYS_EXACT: &[&str] = &[
    "zjh",
    "zjbh",
    "idnum",
    "certnum",
    "credno",
    "papersnum",
    "paperno",
    "证件编号",
    "number",
    "no",
    "hm",
    "haoma",
    "号码",
];

/// What the field name `raw` says about document types. Read as rule keys are: without a
/// path (`user.idType`), a form's note (`证件类型（必填）`) or a number after it (`zjlx1`);
/// the general names also at the end of a longer one (`sqrzjlx`, `applicantIdNo`).
#[cfg(test)]
pub(crate) fn key_role(raw: &[u8]) -> DocKey {
    key_role_owner(raw).0
}

/// [`key_role`] and whose document the name says it is: a hash of what comes before the
/// general name (`sqr` of `sqrzjlx`, `legal` of `legalIdNo`, `申请人` of `申请人证件号码`),
/// 0 for none. A record of two people (`agentIdNo`, `agentIdType`, `legalIdNo`,
/// `legalIdType`) pairs each number with its own person's type ([`owners_pair`]).
pub(crate) fn key_role_owner(raw: &[u8]) -> (DocKey, u32) {
    let head = without_annotation(raw).unwrap_or(raw);
    let head = dotted_tail(head).unwrap_or(head);
    let mut k = norm_key(head);
    while k.len() > 2 && k.last().is_some_and(u8::is_ascii_digit) {
        k.pop();
    }
    let k = k.as_slice();
    let is = |list: &[&str]| list.iter().any(|n| n.as_bytes() == k);
    let ends = |list: &[&str]| {
        list.iter()
            .find(|n| k.ends_with(n.as_bytes()))
            .map(|n| owner_hash(&k[..k.len() - n.len()]))
    };
    match k {
        b"cardtype" => (DocKey::Type(Family::Card), 0),
        b"cardno" | b"cardnum" | b"cardnumber" => (DocKey::Number(Family::Card), 0),
        // A typed sub-object's own members (`{"type":"台胞证","number":"12345678"}`): what
        // the type names in words decides, never a code (`"type":"516"` is anyone's), so a
        // type that names no document (`"type":"QY"`) gives nothing.
        b"doctype" | b"type" | b"lx" => (DocKey::Type(Family::Doc), 0),
        _ if k == "类型".as_bytes() => (DocKey::Type(Family::Doc), 0),
        b"docno" | b"docnumber" => (DocKey::Number(Family::Doc), 0),
        _ if is(TYPE_KEYS_EXACT) => (DocKey::Type(Family::General), 0),
        _ if is(NUMBER_KEYS_EXACT) => (DocKey::Number(Family::General), 0),
        _ => {
            if let Some(o) = ends(TYPE_KEYS) {
                (DocKey::Type(Family::General), o)
            } else if let Some(o) = ends(NUMBER_KEYS) {
                (DocKey::Number(Family::General), o)
            } else if let Some((role, o)) = card_role(k) {
                (role, o)
            } else if k.len() > 5 && k.ends_with(b"rzjh") {
                // A role's `zjh` (`sqrzjh`, `dlrzjh`: 申请人, 代理人), whose pinyin initials
                // end in 人's `r`; `zjh` after other letters may abbreviate other words.
                (
                    DocKey::Number(Family::General),
                    owner_hash(&k[..k.len() - 3]),
                )
            } else {
                (DocKey::Other, 0)
            }
        }
    }
}

/// A person's `cardNo` or `cardType` (`agentCardNo`, `holder_card_type`): the card family
/// with the owner part before it. Not an ID card's number (`idCardNo`, `sfzCardNo`), which
/// is a resident ID's field, nor a bank's.
fn card_role(k: &[u8]) -> Option<(DocKey, u32)> {
    let (head, role) = [
        (&b"cardtype"[..], DocKey::Type(Family::Card)),
        (b"cardnumber", DocKey::Number(Family::Card)),
        (b"cardno", DocKey::Number(Family::Card)),
        (b"cardnum", DocKey::Number(Family::Card)),
    ]
    .into_iter()
    .find_map(|(n, role)| k.strip_suffix(n).map(|h| (h, role)))?;
    if head.len() < 2
        || [&b"id"[..], b"sfz", b"bank", b"yh"]
            .iter()
            .any(|p| head.ends_with(p))
    {
        return None;
    }
    Some((role, owner_hash(head)))
}

/// A hash of a name's owner part, 0 for an empty one (FNV-1a, never 0 otherwise).
fn owner_hash(p: &[u8]) -> u32 {
    if p.is_empty() {
        return 0;
    }
    let h = p.iter().fold(0x811c_9dc5_u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    h.max(1)
}

/// Whether a type field and a number field of these owners ([`key_role_owner`]) may go
/// together: the same person's, or either name says no one's (`zjlx` beside `sqrzjhm`).
pub(crate) fn owners_pair(a: u32, b: u32) -> bool {
    a == 0 || b == 0 || a == b
}

/// Whether a number field of family `number` takes what a type field of family `ty` said.
pub(crate) fn pairs(ty: Family, number: Family) -> bool {
    number == Family::General || number == ty
}

/// Type values that name nothing sure: they neither name a document nor rule one out.
const UNSURE_WORDS: &[&str] = &[
    "其他",
    "其它",
    "未知",
    "不详",
    "暂无",
    "待定",
    "待补充",
    "未填",
    "缺失",
    "空",
    "无",
    "通行证",
    "证件",
    "null",
    "none",
    "nil",
    "unknown",
    "other",
    "n/a",
    "undefined",
];

/// The document a type field's value names: `Some(kind)`, [`DocKind::Other`] for a value
/// in words that names another document or thing (`营业执照`, `BUSINESS_LICENCE`, `型号`,
/// `序列号`), `None` for a value that says nothing sure (`其他`, `未知`, `null`, an unknown or
/// local code such as `990` or `06`, `通行证` alone, an empty value), which leaves an
/// earlier type as it was.
/// `codes`: whether the field's public-security codes are read (not under `docType`, whose
/// codes are a system's own document categories).
pub(crate) fn kind_of(value: &[u8], codes: bool) -> Option<DocKind> {
    let v = value.trim_ascii();
    if v.len() > 96 {
        return None;
    }
    if v.iter().all(u8::is_ascii_digit) {
        if !codes {
            return None;
        }
        return match v {
            b"111" | b"112" => Some(DocKind::ResidentId),
            b"411" | b"412" | b"413" | b"414" => Some(DocKind::Passport),
            b"513" | b"515" | b"516" => Some(DocKind::HkMacauPermit),
            b"511" | b"512" => Some(DocKind::TaiwanPermit),
            _ => None,
        };
    }
    // Every word below in one pass (a type field's value is read at each record's end, and
    // two dozen substring searches cost more than the rest of such a record's scan).
    let mut low = [0u8; 96];
    let low = &mut low[..v.len()];
    low.copy_from_slice(v);
    low.make_ascii_lowercase();
    let mut seen = 0u64;
    if let Some((ac, bits)) = &*TYPE_WORDS {
        for m in ac.find_overlapping_iter(&*low) {
            seen |= bits[m.pattern().as_usize()];
        }
    }
    let has = |w: W| seen & (1 << w as u32) != 0;
    // Taiwan first: `台湾居民来往大陆通行证` also holds `通行证`.
    if has(W::TaiBaoZheng)
        || (has(W::TaiWan) && has(W::TongXingZheng))
        || has(W::Taiwan)
        || low == b"mtp"
    {
        Some(DocKind::TaiwanPermit)
    } else if has(W::GangAo)
        || has(W::HuiXiangZheng)
        || has(W::LaiWangNeiDi)
        || has(W::Macau)
        || has(W::Macao)
        || has(W::HongKong)
        || has(W::HongKongOne)
        || has(W::HomeReturn)
        || has(W::HomeReturnOne)
    {
        Some(DocKind::HkMacauPermit)
    } else if has(W::HuZhao) || has(W::Passport) {
        Some(DocKind::Passport)
    } else if (has(W::ShenFenZheng) && !has(W::YongJiuJuLiu) && !has(W::WaiGuoRen))
        // Documents numbered with the holder's resident ID.
        || has(W::JiaShiZheng)
        || has(W::JiaZhao)
        || has(W::HuKou)
        || has(W::JuZhuZheng)
        || matches!(&*low, b"id_card" | b"idcard" | b"resident_id")
    {
        Some(DocKind::ResidentId)
    } else if has(W::Unsure) {
        None
    } else {
        let s = String::from_utf8_lossy(low);
        if s.chars().count() < 2
            || !s
                .chars()
                .all(|c| c.is_alphabetic() || matches!(c, '_' | ' ' | '-'))
            // A bare `type` (`lx`, `类型`, `docType`) is any record's: JSON:API's
            // `"type":"person"`, a row's `"type":"user"`. Its word rules a travel document
            // out only when it names a numbered thing of its own (`营业执照`, `型号`,
            // `序列号`, `LICENSE`); a word that names no document says nothing of the number.
            || (!codes && !names_numbered_thing(&s))
        {
            None
        } else {
            Some(DocKind::Other)
        }
    }
}

/// Whether a type's word (lower case) names a document or another numbered thing: a
/// certificate, licence, card, plate, model or serial (`营业执照`, `军官证`, `型号`,
/// `BUSINESS_LICENCE`, `serial_no`), not a kind of record or party (`person`, `个人`).
fn names_numbered_thing(s: &str) -> bool {
    const HAN: [char; 6] = ['证', '照', '号', '码', '卡', '牌'];
    const WORDS: [&str; 17] = [
        "id",
        "no",
        "num",
        "number",
        "code",
        "card",
        "licence",
        "license",
        "cert",
        "certificate",
        "permit",
        "pass",
        "visa",
        "serial",
        "sn",
        "model",
        "plate",
    ];
    s.chars().any(|c| HAN.contains(&c))
        || s.contains("许可")
        || s.split(['_', ' ', '-']).any(|w| {
            WORDS.contains(&w)
                || w.ends_with("licence")
                || w.ends_with("license")
                || w.ends_with("card")
                || w.ends_with("cert")
                || w.ends_with("permit")
        })
}

/// The words `kind_of` looks for, a bit each (`W::Unsure` for all of `UNSURE_WORDS`).
#[derive(Clone, Copy)]
enum W {
    TaiBaoZheng,
    TaiWan,
    TongXingZheng,
    Taiwan,
    GangAo,
    HuiXiangZheng,
    LaiWangNeiDi,
    Macau,
    Macao,
    HongKong,
    HongKongOne,
    HomeReturn,
    HomeReturnOne,
    HuZhao,
    Passport,
    ShenFenZheng,
    YongJiuJuLiu,
    WaiGuoRen,
    JiaShiZheng,
    JiaZhao,
    HuKou,
    JuZhuZheng,
    Unsure,
}

/// `kind_of`'s words in `W`'s order (before `W::Unsure`).
const KIND_WORDS: [&str; W::Unsure as usize] = [
    "台胞证",
    "台湾",
    "通行证",
    "taiwan",
    "港澳",
    "回乡证",
    "来往内地通行证",
    "macau",
    "macao",
    "hong kong",
    "hongkong",
    "home return",
    "homereturn",
    "护照",
    "passport",
    "身份证",
    "永久居留",
    "外国人",
    "驾驶证",
    "驾照",
    "户口",
    "居住证",
];

/// One automaton over `KIND_WORDS` and `UNSURE_WORDS`, and each pattern's bits.
/// (`None` only if the automaton could not be built, which `type_words_build` rules out.)
#[allow(clippy::type_complexity)]
static TYPE_WORDS: std::sync::LazyLock<Option<(aho_corasick::AhoCorasick, Vec<u64>)>> =
    std::sync::LazyLock::new(|| {
        let mut pats: Vec<&str> = Vec::new();
        let mut bits: Vec<u64> = Vec::new();
        let words = KIND_WORDS
            .iter()
            .enumerate()
            .map(|(i, w)| (*w, 1u64 << i))
            .chain(UNSURE_WORDS.iter().map(|w| (*w, 1u64 << W::Unsure as u32)));
        for (w, bit) in words {
            match pats.iter().position(|p| *p == w) {
                Some(i) => bits[i] |= bit,
                None => {
                    pats.push(w);
                    bits.push(bit);
                }
            }
        }
        let ac = aho_corasick::AhoCorasick::new(&pats).ok()?;
        Some((ac, bits))
    });

/// The documents a generic number field's value may be, read by its shape alone, whose
/// field names could judge it otherwise than the field's own name did: when the own name
/// found nothing, the documents whose numbers look so (a Taiwan permit's 8 or 10 digits,
/// a letter and digits, a resident ID's 15 or 18 characters); when it found something, a
/// type naming another thing could veto a travel document's shape ([`DocKind::Other`]).
/// Each kind is then judged for real; only a reading that differs holds the value.
pub(crate) fn lookback_kinds(text: &[u8], own_found: bool, mut each: impl FnMut(DocKind)) {
    let t = text.trim_ascii();
    if t.len() < 7 || t.len() > 24 {
        return;
    }
    // At most three separators between characters (`32 364978`, `H 6034 1287`).
    let mut c = [0u8; 24];
    let mut n = 0;
    let mut seps = 0;
    for &b in t {
        if b.is_ascii_alphanumeric() {
            c[n] = b.to_ascii_uppercase();
            n += 1;
        } else if matches!(b, b' ' | b'-') && seps < 3 {
            seps += 1;
        } else {
            return;
        }
    }
    let c = &c[..n];
    let letters = c.iter().take_while(|b| b.is_ascii_uppercase()).count();
    let digits = &c[letters..];
    if !digits.iter().all(u8::is_ascii_digit) {
        // A resident ID's check character `X` is its only letter after a digit.
        let id_x = letters == 0
            && c.len() == 18
            && c[17] == b'X'
            && c[..17].iter().all(u8::is_ascii_digit);
        if id_x && !own_found {
            each(DocKind::ResidentId);
        }
        return;
    }
    let d = digits.len();
    let taiwan = (letters == 0 || (letters == 1 && c[0] == b'T')) && (d == 8 || d == 10);
    let lettered = (1..=2).contains(&letters) && (7..=10).contains(&d);
    if own_found {
        if taiwan || lettered || (letters == 0 && d == 15) {
            each(DocKind::Other);
        }
        return;
    }
    if taiwan {
        each(DocKind::TaiwanPermit);
    }
    if lettered || (letters == 0 && (8..=10).contains(&d)) {
        each(DocKind::Passport);
    }
    if lettered && matches!(c[0], b'H' | b'M' | b'C') {
        each(DocKind::HkMacauPermit);
    }
    if letters == 0 && (d == 15 || d == 18) {
        each(DocKind::ResidentId);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `kind_of` as it was written with a substring search per word.
    fn kind_of_by_search(value: &[u8], codes: bool) -> Option<DocKind> {
        let v = value.trim_ascii();
        if v.len() > 96 || v.iter().all(u8::is_ascii_digit) {
            return kind_of(value, codes);
        }
        let s = String::from_utf8_lossy(v).to_ascii_lowercase();
        let has = |w: &str| s.contains(w);
        if has("台胞证") || (has("台湾") && has("通行证")) || has("taiwan") || s == "mtp" {
            Some(DocKind::TaiwanPermit)
        } else if has("港澳")
            || has("回乡证")
            || has("来往内地通行证")
            || [
                "macau",
                "macao",
                "hong kong",
                "hongkong",
                "home return",
                "homereturn",
            ]
            .iter()
            .any(|w| has(w))
        {
            Some(DocKind::HkMacauPermit)
        } else if has("护照") || has("passport") {
            Some(DocKind::Passport)
        } else if (has("身份证") && !has("永久居留") && !has("外国人"))
            || ["驾驶证", "驾照", "户口", "居住证"].iter().any(|w| has(w))
            || s == "id_card"
            || s == "idcard"
            || s == "resident_id"
        {
            Some(DocKind::ResidentId)
        } else if UNSURE_WORDS.iter().any(|w| has(w))
            || s.chars().count() < 2
            || !s
                .chars()
                .all(|c| c.is_alphabetic() || matches!(c, '_' | ' ' | '-'))
        {
            None
        } else {
            Some(DocKind::Other)
        }
    }

    #[test]
    fn type_words_are_read_as_a_search_per_word_reads_them() {
        // The words as the search above lists them, not `KIND_WORDS`, which is under test.
        let mut parts: Vec<&str> = vec![
            "台胞证",
            "台湾",
            "通行证",
            "taiwan",
            "港澳",
            "回乡证",
            "来往内地通行证",
            "macau",
            "macao",
            "hong kong",
            "hongkong",
            "home return",
            "homereturn",
            "护照",
            "passport",
            "身份证",
            "永久居留",
            "外国人",
            "驾驶证",
            "驾照",
            "户口",
            "居住证",
            "id_card",
            "idcard",
            "resident_id",
        ];
        parts.extend(UNSURE_WORDS);
        parts.extend([
            "HONG", " KONG", "证", "居民", "来往", "_", "-", "X", "<ff>", "MTP",
        ]);
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..20_000 {
            let mut v = Vec::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            for i in 0..(seed % 4 + 1) {
                let w = parts[((seed >> (8 * i + 3)) % parts.len() as u64) as usize];
                if w == "<ff>" {
                    v.push(0xff);
                } else if (seed >> (40 + i)) & 1 == 1 {
                    v.extend(w.to_ascii_uppercase().bytes());
                } else {
                    v.extend(w.bytes());
                }
            }
            assert_eq!(
                kind_of(&v, true),
                kind_of_by_search(&v, true),
                "{}",
                String::from_utf8_lossy(&v)
            );
        }
    }

    #[test]
    fn type_words_build() {
        let (ac, bits) = TYPE_WORDS
            .as_ref()
            .expect("the type words' automaton builds");
        assert_eq!(ac.patterns_len(), bits.len());
        // `通行证` is both a word of its own and an unsure one.
        let both = (1 << W::TongXingZheng as u32) | (1 << W::Unsure as u32);
        assert!(bits.contains(&both));
    }

    #[test]
    fn field_names_are_read_as_rule_keys_are() {
        let general_type = DocKey::Type(Family::General);
        let general_number = DocKey::Number(Family::General);
        for (k, role) in [
            ("zjlx", general_type),
            ("ZJLXMC", general_type),
            ("documentType", general_type),
            ("id_type", general_type),
            ("证件类型", general_type),
            ("证件类型（必填）", general_type),
            ("user.idType", general_type),
            ("sqrzjlx", general_type),
            ("sqrzjh", general_number),
            ("dlrzjh", general_number),
            ("ndzjh", DocKey::Other),
            ("agentCardNo", DocKey::Number(Family::Card)),
            ("holder_card_no", DocKey::Number(Family::Card)),
            ("agentCardType", DocKey::Type(Family::Card)),
            ("idCardNo", DocKey::Other),
            ("bankCardNo", DocKey::Other),
            ("applicantIdType", general_type),
            ("zjlx1", general_type),
            ("cardType", DocKey::Type(Family::Card)),
            ("docType", DocKey::Type(Family::Doc)),
            ("zjhm", general_number),
            ("certNo", general_number),
            ("DOCUMENT_NO", general_number),
            ("证件号码", general_number),
            ("证件号码(必填)", general_number),
            ("applicantIdNo", general_number),
            ("cardNo", DocKey::Number(Family::Card)),
            ("docNo", DocKey::Number(Family::Doc)),
            ("sfzh", DocKey::Other),
            ("type", DocKey::Type(Family::Doc)),
            ("no", general_number),
            ("orderNo", DocKey::Other),
            ("bankCardNo", DocKey::Other),
        ] {
            assert_eq!(key_role(k.as_bytes()), role, "{k}");
        }
        assert!(pairs(Family::General, Family::General));
        assert!(pairs(Family::Card, Family::General));
        assert!(pairs(Family::Card, Family::Card));
        assert!(!pairs(Family::General, Family::Card));
        assert!(!pairs(Family::Doc, Family::Card));
    }

    #[test]
    fn type_values_name_their_documents() {
        for (v, k) in [
            ("511", Some(DocKind::TaiwanPermit)),
            ("台胞证", Some(DocKind::TaiwanPermit)),
            ("台湾居民来往大陆通行证", Some(DocKind::TaiwanPermit)),
            ("MTP", Some(DocKind::TaiwanPermit)),
            ("516", Some(DocKind::HkMacauPermit)),
            ("港澳居民来往内地通行证", Some(DocKind::HkMacauPermit)),
            ("往来港澳通行证", Some(DocKind::HkMacauPermit)),
            ("HK_MACAO_PASS", Some(DocKind::HkMacauPermit)),
            ("HONG KONG PERMIT", Some(DocKind::HkMacauPermit)),
            ("414", Some(DocKind::Passport)),
            ("普通护照", Some(DocKind::Passport)),
            ("PASSPORT", Some(DocKind::Passport)),
            ("111", Some(DocKind::ResidentId)),
            ("居民身份证", Some(DocKind::ResidentId)),
            ("ID_CARD", Some(DocKind::ResidentId)),
            (" 身份证(15位) ", Some(DocKind::ResidentId)),
            ("营业执照", Some(DocKind::Other)),
            ("军官证", Some(DocKind::Other)),
            ("BUSINESS_LICENCE", Some(DocKind::Other)),
            ("型号", Some(DocKind::Other)),
            ("序列号", Some(DocKind::Other)),
            ("BATCH", Some(DocKind::Other)),
            ("外国人永久居留身份证", Some(DocKind::Other)),
            ("通行证", None),
            ("其他", None),
            ("其他证件", None),
            ("未知", None),
            ("null", None),
            ("990", None),
            ("14", None),
            ("06", None),
            ("P", None),
            ("", None),
        ] {
            assert_eq!(kind_of(v.as_bytes(), true), k, "{v}");
        }
        assert_eq!(kind_of(b"511", false), None);
        // Under a bare `type` (no codes read), a word that names no numbered thing says
        // nothing; one that does still rules the travel documents out.
        for v in ["person", "user", "record", "个人", "Feature", "企业"] {
            assert_eq!(kind_of(v.as_bytes(), false), None, "{v}");
            assert_eq!(kind_of(v.as_bytes(), true), Some(DocKind::Other), "{v}");
        }
        for v in [
            "型号",
            "序列号",
            "营业执照",
            "军官证",
            "BUSINESS_LICENCE",
            "driver-license",
            "serial no",
        ] {
            assert_eq!(kind_of(v.as_bytes(), false), Some(DocKind::Other), "{v}");
        }
        assert_eq!(
            kind_of("台胞证".as_bytes(), false),
            Some(DocKind::TaiwanPermit)
        );
    }
}
