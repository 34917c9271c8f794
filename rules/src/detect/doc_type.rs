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
//! Only a type written before its number is read: the stream has already passed the number
//! when a later type arrives. Codes are the public-security document codes (GA/T 517-style
//! three-digit codes: 111 resident ID card, 411-414 passports, 511 Taiwan permit, 513/516
//! Hong Kong and Macao permits); two-digit local codes differ between systems and are not
//! read.

use super::norm_key;

/// How many values after a type field its number field may come (`zjlx`, `zjlxmc`, then
/// `zjhm`; a form's `idType`, `issuer`, `idNo`).
pub(crate) const REACH: u8 = 4;

/// What a field name says about document types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum DocKey {
    #[default]
    Other,
    /// A document-type field (`zjlx`, `certType`, `证件类型`).
    Type,
    /// A generic document-number field (`zjhm`, `certNo`, `证件号码`).
    Number,
}

/// The documents a type field can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DocKind {
    ResidentId,
    Passport,
    HkMacauPermit,
    TaiwanPermit,
    /// Something else, named in words (`营业执照`, `军官证`, `型号`): the number is none of
    /// the travel documents, whose rules the field then takes as negative.
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

/// The field names whose rules a type naming something else vetoes: the travel documents,
/// which have no check character (a resident ID's or a credit code's vouches for itself).
pub(crate) const VETOED_KEYS: [&[u8]; 3] = [b"hzhm", b"gatxzhm", b"tbzhm"];

const TYPE_KEYS: &[&str] = &[
    "zjlx",
    "zjlxdm",
    "zjlxmc",
    "zjzl",
    "zjzldm",
    "zjzlmc",
    "zjlb",
    "idtype",
    "idcardtype",
    "certtype",
    "certificatetype",
    "credentialtype",
    "credtype",
    "cardtype",
    "documenttype",
    "doctype",
    "paperstype",
    "papertype",
    "证件类型",
    "证件类型代码",
    "证件种类",
    "证件类别",
    "证件名称",
];

const NUMBER_KEYS: &[&str] = &[
    "zjhm",
    "zjh",
    "zjbh",
    "idno",
    "idnum",
    "idnumber",
    "certno",
    "certnum",
    "certnumber",
    "certificateno",
    "certificatenumber",
    "credentialno",
    "credentialnumber",
    "credno",
    "cardno",
    "cardnum",
    "cardnumber",
    "documentno",
    "documentnumber",
    "docno",
    "docnumber",
    "papersno",
    "papersnum",
    "paperno",
    "证件号",
    "证件号码",
    "证件编号",
];

/// What the field name `raw` says about document types.
pub(crate) fn key_role(raw: &[u8]) -> DocKey {
    let k = norm_key(raw);
    let is = |list: &[&str]| list.iter().any(|n| n.as_bytes() == k.as_slice());
    if is(TYPE_KEYS) {
        DocKey::Type
    } else if is(NUMBER_KEYS) {
        DocKey::Number
    } else {
        DocKey::Other
    }
}

/// The document a type field's value names: `Some(kind)`; [`DocKind::Other`] for a value
/// in words that names none of them (`营业执照`, `BUSINESS_LICENCE`); `None` for a value that
/// says nothing sure (an unknown code such as `990` or a local two-digit one, a single
/// letter, an empty value), which only ends what an earlier type said.
pub(crate) fn kind_of(value: &[u8]) -> Option<DocKind> {
    let v = value.trim_ascii();
    if v.len() > 96 {
        return None;
    }
    if v.iter().all(u8::is_ascii_digit) {
        return match v {
            b"111" | b"112" => Some(DocKind::ResidentId),
            b"411" | b"412" | b"413" | b"414" => Some(DocKind::Passport),
            b"513" | b"515" | b"516" => Some(DocKind::HkMacauPermit),
            b"511" | b"512" => Some(DocKind::TaiwanPermit),
            _ => None,
        };
    }
    let s = String::from_utf8_lossy(v).to_ascii_lowercase();
    let has = |w: &str| s.contains(w);
    // Taiwan first: `台湾居民来往大陆通行证` also holds `通行证`.
    if has("台胞证") || (has("台湾") && has("通行证")) || has("taiwan") || s == "mtp" {
        Some(DocKind::TaiwanPermit)
    } else if has("港澳")
        || has("回乡证")
        || has("来往内地通行证")
        || has("macau")
        || has("macao")
        || has("home return")
        || has("homereturn")
    {
        Some(DocKind::HkMacauPermit)
    } else if has("护照") || has("passport") {
        Some(DocKind::Passport)
    } else if (has("身份证") && !has("永久居留") && !has("外国人") && !has("港澳") && !has("台湾"))
        || s == "id_card"
        || s == "idcard"
        || s == "resident_id"
    {
        Some(DocKind::ResidentId)
    } else if s.chars().count() >= 2
        && s.chars().all(|c| c.is_alphabetic() || c == '_' || c == ' ')
        && (!s.is_ascii() || s.len() >= 4)
    {
        Some(DocKind::Other)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_are_read_after_normalization() {
        assert_eq!(key_role(b"zjlx"), DocKey::Type);
        assert_eq!(key_role(b"ZJLXMC"), DocKey::Type);
        assert_eq!(key_role(b"documentType"), DocKey::Type);
        assert_eq!(key_role(b"id_type"), DocKey::Type);
        assert_eq!(key_role("证件类型".as_bytes()), DocKey::Type);
        assert_eq!(key_role(b"zjhm"), DocKey::Number);
        assert_eq!(key_role(b"certNo"), DocKey::Number);
        assert_eq!(key_role(b"DOCUMENT_NO"), DocKey::Number);
        assert_eq!(key_role("证件号码".as_bytes()), DocKey::Number);
        assert_eq!(key_role(b"sfzh"), DocKey::Other);
        assert_eq!(key_role(b"type"), DocKey::Other);
        assert_eq!(key_role(b"orderNo"), DocKey::Other);
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
            ("414", Some(DocKind::Passport)),
            ("普通护照", Some(DocKind::Passport)),
            ("PASSPORT", Some(DocKind::Passport)),
            ("111", Some(DocKind::ResidentId)),
            ("居民身份证", Some(DocKind::ResidentId)),
            ("ID_CARD", Some(DocKind::ResidentId)),
            (" 身份证(15位) ", Some(DocKind::ResidentId)),
            ("外国人永久居留身份证", Some(DocKind::Other)),
            ("营业执照", Some(DocKind::Other)),
            ("军官证", Some(DocKind::Other)),
            ("BUSINESS_LICENCE", Some(DocKind::Other)),
            ("型号", Some(DocKind::Other)),
            ("990", None),
            ("14", None),
            ("P", None),
            ("ID", None),
            ("", None),
            ("其他(9)", None),
        ] {
            assert_eq!(kind_of(v.as_bytes()), k, "{v}");
        }
    }
}
