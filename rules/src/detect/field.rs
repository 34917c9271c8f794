//! Field-context detectors: person names and addresses are free text, found by the field
//! they sit in (`xm`, `姓名`, `dz`, `住址`…) or by a `label：value` pair in text, then checked
//! against dictionaries (surnames, address markers) so an unrelated value under a similar key
//! is not taken for one. `field: true` rules take a keyed value whole.

use super::{Det, Detectors, Kind, SegCtx};
use crate::dict;
use crate::stream::Confidence;

/// A Han character: the unified ideographs, extension A, and the extensions beyond the
/// basic plane (B to H, U+20000–U+323AF), where the rare characters of real names are
/// (王𠀀, 李𫖮凤): a name with one is as much a name, and escaped as a surrogate pair it is
/// the same character.
pub(crate) fn is_cjk(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c)
        || ('\u{3400}'..='\u{4DBF}').contains(&c)
        || ('\u{20000}'..='\u{323AF}').contains(&c)
}

/// Labels that are a person's name itself (not a role: `受益人`, `负责人`), after which a
/// copula (`为`, `是`) and a word before a full stop make a name (`姓名为安建。`).
const NAME_ITSELF: &[&[u8]] = &[
    "姓名".as_bytes(),
    "名字".as_bytes(),
    "真实姓名".as_bytes(),
    "户主".as_bytes(),
    "户主姓名".as_bytes(),
];

/// Where the next line's text starts when a line break (`\n` or `\r\n`) is at `p`: after
/// the break and the spaces or tabs that indent the line.
fn next_line_start(t: &[u8], mut p: usize) -> Option<usize> {
    if t.get(p) == Some(&b'\r') {
        p += 1;
    }
    if t.get(p) != Some(&b'\n') {
        return None;
    }
    p += 1;
    while matches!(t.get(p), Some(b' ' | b'\t')) {
        p += 1;
    }
    Some(p)
}

/// Whether the label at `ls` opens its line: at the text's start or a line break, or behind
/// up to four Han characters only (a role's word before the label, `申请人姓名`).
fn opens_line(t: &[u8], ls: usize) -> bool {
    // (Only the last 13 bytes are looked at: a longer head is none, and a line of labels with
    // no break, thousands long, must not be searched back from each of them.)
    let lo = ls.saturating_sub(13);
    let start = match memchr::memrchr2(b'\n', b'\r', &t[lo..ls]) {
        Some(p) => lo + p + 1,
        None if lo == 0 => 0,
        None => return false,
    };
    let head = &t[start..ls];
    head.len() <= 12 && std::str::from_utf8(head).is_ok_and(|w| w.chars().all(is_cjk))
}

/// A pictograph or dingbat put next to a name (`😀沈倩`, `🎉赵秀梅`): decoration, or a way
/// to slip a name past a check that wants Han characters only. The emoji planes, the
/// symbols and dingbats blocks, and the variation selector that asks for emoji display.
fn is_decoration(c: char) -> bool {
    ('\u{1F000}'..='\u{1FAFF}').contains(&c)
        || ('\u{2600}'..='\u{27BF}').contains(&c)
        || c == '\u{FE0F}'
}

/// Trimmed byte range of `t`.
fn trim(t: &[u8], s: usize, e: usize) -> (usize, usize) {
    let mut s = s;
    let mut e = e;
    while s < e && t[s].is_ascii_whitespace() {
        s += 1;
    }
    while e > s && t[e - 1].is_ascii_whitespace() {
        e -= 1;
    }
    (s, e)
}

/// A cell an export wrote for a spreadsheet to keep as text: a formula giving a string
/// (`="卫桂花"`), or a value after the apostrophe that stops a spreadsheet from reading a
/// formula (`'陈红`, written before every cell by exports that guard against formula
/// injection): the value is what is inside.
fn excel_text(t: &[u8], (s, e): (usize, usize)) -> (usize, usize) {
    let v = &t[s..e];
    if v.len() > 3 && v.starts_with(b"=\"") && v.ends_with(b"\"") {
        (s + 2, e - 1)
    } else if v.len() > 1 && v[0] == b'\'' && !v.ends_with(b"'") {
        (s + 1, e)
    } else {
        (s, e)
    }
}

/// The dot between the parts of a transliterated name (`买买提·吐尔逊`) as it is typed: the
/// middle dot, the katakana and bullet look-alikes, a full stop (ASCII, or full-width, folded
/// to ASCII by normalization), the hyphenation point and the Hangul dot. Not a hyphen:
/// `北京-上海` is a route.
pub(crate) fn is_name_dot(c: char) -> bool {
    matches!(
        c,
        '·' | '・' | '•' | '‧' | '∙' | '﹒' | 'ㆍ' | '.' | '･' | '⋅'
    )
}

/// The dot between the parts of a name as the text reads after normalization (`name_run`
/// and [`dict::transliterated_name`] take no other).
const NAME_DOT: &[u8] = "·".as_bytes();

/// Whether `c` is [`NAME_DOT`].
fn is_part_dot(c: char) -> bool {
    c == '·'
}

/// A Chinese name (surname + given name, 2-4 characters, or a transliterated minority name
/// with `·`), or a romanized name (`Zhang San`) under a name key.
pub(crate) fn person_name(v: &str) -> Option<Confidence> {
    person_name_in(v, true)
}

/// [`person_name`], where `tables` says whether a code table's place may stand where the
/// value is (a generic `name` member: 苏州市, 黄鹤楼, [`dict::is_code_table_word`]). Under a
/// field named for a person (`xm`, `姓名`) none does, and a name that ends as a place's
/// does (刘长桥, 王文阁, 周玉楼) is a name; an office's or a role's word (公安局, 安全员)
/// is still none.
pub(crate) fn person_name_in(v: &str, tables: bool) -> Option<Confidence> {
    // One pass over the characters (this runs on every value under a name key).
    let (mut n, mut cjk, mut dots, mut spaces) = (0usize, 0usize, 0usize, 0usize);
    let mut mou = false;
    let mut deco = 0usize;
    for c in v.chars() {
        n += 1;
        if is_cjk(c) {
            cjk += 1;
            mou |= c == '某';
        } else if is_name_dot(c) {
            dots += 1;
        } else if c == ' ' {
            spaces += 1;
        } else if c > '\u{25FF}' && is_decoration(c) {
            deco += 1;
        }
    }
    // Emoji around or inside a Han name are read past: the name is what is left.
    if deco > 0 && cjk >= 2 && cjk + dots + spaces + deco == n {
        let compact: String = v.chars().filter(|&c| !is_decoration(c)).collect();
        return person_name_in(compact.trim(), tables);
    }
    // A short name padded to line up with longer ones (`李　燕`, `王 芳`; the ideographic
    // space is folded to a space): the name is the characters without the padding. A name
    // in parts may carry a space as well (`阿　依古丽·买买提`), typed or put there to slip by.
    let padded = (cjk + spaces == n && (2..=4).contains(&cjk))
        || (dots > 0 && cjk + dots + spaces == n && spaces <= dots + 1);
    if spaces > 0 && padded && v.trim() == v {
        let compact: String = v.chars().filter(|&c| c != ' ').collect();
        return person_name_in(&compact, tables);
    }
    // `李某`, `王某某`: a judgment's stand-in for a name, already anonymous. No name ends
    // with `的` (`当事人厍欢的名下房产` is 厍欢's).
    if mou || v.ends_with('的') {
        return None;
    }
    if cjk == n && (2..=6).contains(&cjk) {
        // Han names are a surname plus one or two characters; four characters only with a
        // two-character surname (欧阳娜娜). `华为手机` under a `name` key is not a person.
        let han = (cjk <= 4)
            .then(|| dict::surname_len(v))
            .flatten()
            .is_some_and(|sl| {
                let given = cjk - v[..sl].chars().count();
                (1..=2).contains(&given)
                    && !(dict::is_code_table_word(v) && (tables || !dict::place_table_end(v)))
            });
        if han {
            // (A surname and a title is a name's shape: `王女士`, `张经理`.)
            return (!dict::surname_and_title(v)).then_some(Confidence::Medium);
        }
        // Two parents' surnames and a given name (`张王秀英`), under a person's own field:
        // under one that names anything they are a firm's or a place's name as often
        // (`江苏恒瑞`, `钱江新城`).
        if !tables && cjk == 4 && dict::double_surname_name(v) {
            return Some(Confidence::Medium);
        }
        // One Tibetan or Mongolian name part (`多吉`, `旦增`) under a person's own field.
        if !tables && dict::minority_name_part(v) {
            return Some(Confidence::Low);
        }
        // Tibetan and Mongolian names have no Han surname: they are written as their
        // syllables (扎西多吉, 乌兰其其格, 巴特尔), each a common name part.
        return dict::minority_name_parts(v).map(|parts| {
            if parts >= 2 {
                Confidence::Medium
            } else {
                Confidence::Low
            }
        });
    }
    // A minority name in parts (`买买提·吐尔逊`), however the dot was typed: each part is
    // Han text, so the value neither starts nor ends with a dot nor holds two in a row.
    if cjk + dots == n && dots > 0 && (3..=20).contains(&n) {
        let mut prev_dot = true;
        for c in v.chars() {
            let dot = !is_cjk(c);
            if dot && prev_dot {
                return None;
            }
            prev_dot = dot;
        }
        return (!prev_dot).then_some(Confidence::Low);
    }
    // Romanized: two or three words, each capitalized (`Zhang San`) or, as passports and
    // bank records write them, all capitals (`ZHANG SAN`, `OUYANG NANA`); not a program or an
    // account under a `creator` or `author` key (`WPS Office`, `Microsoft Word`, `Admin User`).
    let words = v.split(' ');
    if (2..=3).contains(&(v.bytes().filter(|&b| b == b' ').count() + 1))
        && v.len() <= 40
        && !v
            .split(' ')
            .any(|w| NOT_NAME_WORDS.iter().any(|n| w.eq_ignore_ascii_case(n)))
        && words.into_iter().all(|w| {
            let b = w.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_uppercase()
                && (b[1..].iter().all(u8::is_ascii_lowercase)
                    || (b.len() >= 2 && b[1..].iter().all(u8::is_ascii_uppercase)))
        })
    {
        return Some(Confidence::Low);
    }
    None
}

/// Words of program, account and organization names that read like a romanized name
/// (`WPS Office`, `Adobe Acrobat`, `System Admin`, `China Mobile`).
const NOT_NAME_WORDS: &[&str] = &[
    "office",
    "wps",
    "word",
    "excel",
    "powerpoint",
    "pdf",
    "ofd",
    "adobe",
    "acrobat",
    "microsoft",
    "writer",
    "reader",
    "editor",
    "foxit",
    "suwell",
    "libreoffice",
    "openoffice",
    "converter",
    "pro",
    "server",
    "system",
    "admin",
    "administrator",
    "user",
    "test",
    "guest",
    "root",
    "unknown",
    "anonymous",
    "default",
    "none",
    "null",
    "app",
    "api",
    "bot",
    "service",
    "windows",
    "linux",
    "java",
    "python",
    "apache",
    "google",
    "chrome",
    "android",
    "apple",
    "ltd",
    "inc",
    "corp",
    "company",
    "group",
    "team",
    "bank",
    "china",
    "mobile",
    "telecom",
    "unicom",
    "cloud",
    "online",
    "web",
    "client",
    "center",
    "centre",
    "version",
    "document",
];

/// An address: enough CJK text with address markers (省, 市, 区, 路, 号…). Under a field
/// name that says address (`keyed`), a street part is enough (`冷路A座`, `人民路12号`): the
/// name already says what the value is, and an address field is often split into province,
/// city and street fields.
pub(crate) fn address(v: &str, keyed: bool) -> Option<Confidence> {
    // Already masked (`北京市朝阳区中山路270号****`, full-width `＊` folded to `*`): what is
    // left is a street at most, and flagging it would make every masked export a finding.
    if v.contains("**") {
        return None;
    }
    if names_an_organ(v) || public_service_hall(v) || road_junction(v) {
        return None;
    }
    // One pass over the characters (this runs on every value under an address key).
    let (mut n, mut cjk, mut markers) = (0usize, 0usize, 0usize);
    for c in v.chars() {
        n += 1;
        if n > 200 {
            return None;
        }
        if is_cjk(c) {
            cjk += 1;
            markers += usize::from(dict::is_address_marker(c));
        }
    }
    // Administrative divisions alone (`北京市朝阳区`, `广东省深圳市南山区`: an office's
    // district in a directory) locate nobody: a street, a village or a building must follow.
    let street = || {
        v.bytes().any(|b| b.is_ascii_digit())
            || v.chars().any(|c| {
                matches!(
                    c,
                    '路' | '街'
                        | '巷'
                        | '弄'
                        | '道'
                        | '村'
                        | '组'
                        | '号'
                        | '室'
                        | '栋'
                        | '幢'
                        | '楼'
                        | '单'
                        | '层'
                        | '苑'
                        | '院'
                        | '里'
                        | '屯'
                        | '庄'
                        | '厦'
                        | '场'
                        | '园'
                        | '寓'
                        | '镇'
                        | '乡'
                )
            })
    };
    if markers == 0 || !street() || divisions_only(v) {
        return None;
    }
    if cjk >= 5 && markers >= 2 {
        Some(if markers >= 3 {
            Confidence::Medium
        } else {
            Confidence::Low
        })
    } else if keyed && cjk >= 2 && markers >= 1 && v.bytes().any(|b| b.is_ascii_alphanumeric()) {
        Some(Confidence::Low)
    } else {
        None
    }
}

/// `北京市朝阳区人民政府`, `杭州市市场监督管理局（国办发〔2023〕16号）`: a public body named by
/// its region, with no street, number or room, is where an office sits, not where a person
/// lives. (An office's street address, `…人民路1号`, stays an address.)
fn names_an_organ(v: &str) -> bool {
    const ORGANS: &[&str] = &[
        "人民政府",
        "政府",
        "委员会",
        "局",
        "厅",
        "办公室",
        "办事处",
        "法院",
        "检察院",
        "派出所",
        "中心",
        "医院",
        "大学",
        "学院",
    ];
    const STREET: &[char] = &[
        '路', '街', '道', '巷', '弄', '号', '村', '组', '室', '栋', '楼', '幢', '院', '座', '镇',
        '乡', '苑', '园', '舍',
    ];
    // A bracketed note after the name (a document number) is not part of the place.
    let head = v.split(['(', '（']).next().unwrap_or(v).trim_end();
    ORGANS.iter().any(|o| head.ends_with(o))
        && !head.bytes().any(|b| b.is_ascii_digit())
        && !head
            .trim_end_matches(|c| ORGANS.iter().any(|o| o.contains(c)))
            .contains(STREET)
}

/// `海口市广州路与覃路交叉口东北角`, `人民路与解放路交汇处`: a road junction, down to its
/// corner at most, with no number, building, room or village before it: a place in the
/// street (a construction project's site, a camera's or a bus stop's), where nobody lives.
/// A home near it goes on past the junction (`…交叉口东北角美兰小区3栋501室`) and stays an
/// address.
fn road_junction(v: &str) -> bool {
    // Longer words first: `交叉路口` before `路口`.
    const JUNCTIONS: &[&str] = &[
        "十字路口",
        "丁字路口",
        "交叉路口",
        "交叉口",
        "交汇处",
        "交汇口",
        "交界处",
        "路口",
    ];
    // What may follow it: a corner or a side, `附近`.
    const AFTER: &str = "东南西北角侧处附近";
    const HOME: &[char] = &[
        '号', '室', '栋', '幢', '楼', '单', '弄', '巷', '村', '组', '院', '苑', '园', '寓', '厦',
        '舍', '户', '镇', '乡', '屯',
    ];
    // (Every address judged asks this: most hold no junction's word.)
    if !v.contains("口") && !v.contains("处") {
        return false;
    }
    let Some((head, tail)) = JUNCTIONS
        .iter()
        .find_map(|j| v.rfind(j).map(|p| (&v[..p], &v[p + j.len()..])))
    else {
        return false;
    };
    // Two roads named as meeting (`…路与…路`, `…街和…街`): a place named for a junction
    // (`桃洪镇大路口`, `七一路口`, `三岔路口`) is where people live as any village is.
    tail.trim_end_matches(['。', '.', ' '])
        .chars()
        .all(|c| AFTER.contains(c))
        && head.contains(['与', '和'])
        && !v.bytes().any(|b| b.is_ascii_digit())
        && !head.contains(HOME)
}

/// `江苏省南京市鼓楼区`, `浦东新区龙山街道`, `沂南县青山乡`: divisions down to a township or
/// a subdistrict (街道) and no further, as a region's `street` or `乡镇` field holds them.
/// They locate nobody, though a district's own name may hold a street's character (鼓楼,
/// 沙坪坝): no number, and no street, lane, village, group or building after it.
fn divisions_only(v: &str) -> bool {
    const ENDS: &[&str] = &["省", "市", "区", "县", "旗", "乡", "镇", "街道"];
    ENDS.iter().any(|e| v.ends_with(e))
        && !v.bytes().any(|b| b.is_ascii_digit())
        && !v.contains([
            '路', '号', '室', '组', '栋', '幢', '单', '弄', '巷', '村', '里', '屯', '院', '苑',
            '园',
        ])
}

/// `…幸福南街61号行政服务中心B座三楼`, `…文三路100号诉讼服务中心`: an address that ends at a
/// hall where the public is served (an agency's `办公地址`, the place a guide tells the
/// public to go), down to its wing, floor or window at most. Nobody lives there, and a
/// service guide that masks it is no longer of use. (Staff quarters behind it,
/// `…市民中心宿舍3号楼201室`, or a flat's room go on past the hall and stay an address.)
fn public_service_hall(v: &str) -> bool {
    const HALLS: &[&str] = &[
        "政务服务中心",
        "行政服务中心",
        "便民服务中心",
        "诉讼服务中心",
        "公共服务中心",
        "市民中心",
        "政务服务大厅",
        "政务大厅",
        "办事大厅",
        "服务大厅",
    ];
    // What may follow the hall: a wing, a floor, a hall or a window (`B座三楼`, `一楼大厅`,
    // `2层5号窗口`).
    const AFTER: &str = "座楼层厅窗口号区侧东西南北大一二三四五六七八九十";
    // (Every address judged asks this: most hold neither word.)
    if !(v.contains("中心") || v.contains("大厅")) {
        return false;
    }
    let Some(at) = HALLS
        .iter()
        .filter_map(|h| v.rfind(h).map(|i| i + h.len()))
        .max()
    else {
        return false;
    };
    v[at..]
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || AFTER.contains(c))
}

/// Part of a Chinese name under a field that names the part (`first_name`, `last_name`,
/// `surname`): one to three Han characters, or one romanized word (`Zhang`). A surname
/// alone is one character of the name the other field holds, so it is masked whole.
pub(crate) fn person_name_part(v: &str) -> Option<Confidence> {
    let n = v.chars().count();
    // A typeface's family name (`FamilyName="宋体"` in an OFD or a font table): `宋体`, `黑体`,
    // `楷体`, `仿宋` are no surname or given name.
    if v.ends_with('体') || v == "仿宋" {
        return None;
    }
    if (1..=3).contains(&n) && v.chars().all(is_cjk) {
        return Some(Confidence::Medium);
    }
    let b = v.as_bytes();
    ((2..=20).contains(&b.len())
        && b[0].is_ascii_uppercase()
        && b[1..].iter().all(u8::is_ascii_lowercase))
    .then_some(Confidence::Low)
}

/// A travel document number of any issuing country, as a whole value under a passport or
/// permit field: up to two capital letters and digits, 8-10 characters in all, at least six of
/// them digits (`Y28657070`, `366258517`, `PA1234567`). The Chinese shapes (`E12345678`) are
/// found anywhere by the identifier scanner; these need the field name, which says what the
/// number is. One space or hyphen between two digits is how such a number is often typed
/// (`345490-6601`, `32 364978`), and is read past.
pub(crate) fn travel_document(v: &str) -> Option<Confidence> {
    let mut joined = [0u8; 10];
    let (b, _) = without_separators(v.as_bytes(), &mut joined, 1);
    let letters = b.iter().take_while(|c| c.is_ascii_uppercase()).count();
    // 8-10 characters with at most two letters leaves six digits or more.
    // Other countries put letters among the digits (France `12AB34567`, Germany
    // `C01X00T47`, nine of digits and consonants): eight or nine capitals and digits, a
    // letter after a digit, two digits at least, which no word a field holds instead
    // (`UNKNOWN`, `见附件`) has. (Letters in front only are a code's prefix, `ABC1234567`.)
    let mixed = || {
        b.len() <= 9
            && b.iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && b.iter().filter(|c| c.is_ascii_digit()).count() >= 2
            && b.windows(2)
                .any(|w| w[0].is_ascii_digit() && w[1].is_ascii_uppercase())
    };
    ((8..=10).contains(&b.len())
        && !super::ident::cn_passport_shape(b)
        && (letters <= 2 && b[letters..].iter().all(u8::is_ascii_digit) || mixed()))
    .then_some(Confidence::Medium)
}

/// A document number as people type it, with up to `max` single spaces or hyphens between
/// digits (`345490-6601`, `32 364978`, `37 620 450`; two spaces count as one): the number without them (in `buf`) and
/// where the first stood; the value as written and `None` when there is none, one stands
/// elsewhere, there are more, or the rest would not fit (`buf` holds ten).
fn without_separators<'a>(
    raw: &'a [u8],
    buf: &'a mut [u8; 10],
    max: usize,
) -> (&'a [u8], Option<usize>) {
    let mut n = 0;
    let mut first = None;
    let mut seps = 0;
    for (i, &c) in raw.iter().enumerate() {
        if c == b' ' || c == b'-' {
            // Two spaces between digits are one separator (a form printed with wide gaps,
            // `2326  3380`): the first is passed over, the second counted.
            let wide = |j: usize| j > 0 && raw[j - 1].is_ascii_digit() && raw[j] == b' ';
            if wide(i)
                && raw.get(i + 1) == Some(&b' ')
                && raw.get(i + 2).is_some_and(u8::is_ascii_digit)
            {
                continue;
            }
            let between = i > 0
                && (raw[i - 1].is_ascii_digit() || (c == b' ' && i > 1 && wide(i - 1)))
                && raw.get(i + 1).is_some_and(u8::is_ascii_digit);
            seps += 1;
            if !between || seps > max {
                return (raw, None);
            }
            first.get_or_insert(n);
        } else {
            if n == buf.len() {
                return (raw, None);
            }
            buf[n] = c;
            n += 1;
        }
    }
    if first.is_none() {
        return (raw, None);
    }
    (&buf[..n], first)
}

/// A Taiwan residents' permit (台胞证): 8 digits, or 10 with the issue count, sometimes after
/// a `T`; up to three single spaces or hyphens between digits are read past. Stricter
/// than [`travel_document`]: a generic label (`通行证号码`) names this permit and the Hong
/// Kong and Macao ones alike, and their letters (`H`, `M`, `C`) say which it is not. A date
/// (`20230815`) or a year and a serial (`2024-0156`) is what a vehicle or site pass under
/// the same label holds; a permit reads as one about once in 1,500.
pub(crate) fn taiwan_permit(v: &str) -> Option<Confidence> {
    // The old card's issue letter after the number, in brackets (`0017312301(B)`).
    let mut v = v.trim_end();
    for (open, close) in [('(', ')'), ('（', '）')] {
        if let Some((head, letter)) = v.strip_suffix(close).and_then(|h| h.rsplit_once(open)) {
            if letter.len() == 1 && letter.as_bytes()[0].is_ascii_uppercase() {
                v = head.trim_end();
                break;
            }
        }
    }
    let mut joined = [0u8; 10];
    let (b, sep) = without_separators(v.strip_prefix('T').unwrap_or(v).as_bytes(), &mut joined, 3);
    if !(matches!(b.len(), 8 | 10) && b.iter().all(u8::is_ascii_digit)) {
        return None;
    }
    let num =
        |r: std::ops::Range<usize>| b[r].iter().fold(0u32, |n, &c| n * 10 + u32::from(c - b'0'));
    let year_at_start = (1950..=2039).contains(&num(0..4));
    let dated = year_at_start
        && match sep {
            None => b.len() == 8 && crate::validate::date_exists(num(0..4), num(4..6), num(6..8)),
            Some(p) => p == 4,
        };
    (!dated).then_some(Confidence::Medium)
}

/// Forms of address written after a name.
const HONORIFICS: &[&str] = &["先生", "女士", "小姐", "同志", "老师"];

/// The names in a list of names (`张伟、李娜、王芳`, `张伟,李娜;王芳`, one per line, `张伟 李娜`): byte ranges
/// and confidence of each part that is a Han name on its own. Romanized names are not split
/// (their words are separated by spaces).
fn name_list(v: &str) -> Vec<(usize, usize, Confidence)> {
    const SEPS: &[char] = &['、', ',', ';', '/', '|', '\n', '\r', ' '];
    let mut out = Vec::new();
    if !v.contains(SEPS) {
        return out;
    }
    // Spaces alone separate words as often as people (`王府井 百货` under `name`): then every
    // part must be a name.
    let spaces_only = !v.contains(&SEPS[..SEPS.len() - 1]);
    let mut at = 0;
    for part in v.split(SEPS) {
        let start = at;
        at += part.len()
            + v[start + part.len()..]
                .chars()
                .next()
                .map_or(0, char::len_utf8);
        let t = part.trim();
        if t.is_empty() {
            continue;
        }
        match t.chars().all(is_cjk).then(|| person_name(t)).flatten() {
            Some(conf) => {
                let s = start + (part.len() - part.trim_start().len());
                out.push((s, s + t.len(), conf));
            }
            // A telephone or an ID after the name (`张建国 13800138000`), or a form of
            // address (`张三丰 先生`), is no word of a shop's or a place's name.
            None if spaces_only
                && (t
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b"+-Xx".contains(&b))
                    || HONORIFICS.contains(&t)) => {}
            None if spaces_only => return Vec::new(),
            None => {}
        }
    }
    out
}

/// The end and confidence of a name before a note in brackets that closes the value
/// (`李海燕（女士）`, `张建国(11010519491231002X)`, `王芳（申请人）`).
fn name_before_note(v: &str) -> Option<(usize, Confidence)> {
    if !(v.ends_with('）') || v.ends_with(')')) {
        return None;
    }
    let p = v.find(['（', '('])?;
    let head = v[..p].trim_end();
    if head.is_empty() || !head.chars().all(is_cjk) {
        return None;
    }
    person_name(head).map(|conf| (head.len(), conf))
}

/// The end and confidence of a name before the holder's number or a labelled one in the
/// same field (`刘艳 电话:13219818331`, `王秀云:18085468152`, `彭凯 身份证:1201…`): a
/// contact field written by hand. The number is found on its own; the name needs the
/// number to say the field is a person's and not a name and a remark.
fn name_before_contact(v: &str) -> Option<(usize, Confidence)> {
    const LABELS: &[&str] = &[
        "电话",
        "手机",
        "手机号",
        "手机号码",
        "联系电话",
        "联系方式",
        "身份证",
        "身份证号",
        "身份证号码",
        "证件号",
        "证件号码",
        "tel",
        "phone",
        "mobile",
    ];
    const SEPS: &[char] = &[' ', '\u{3000}', ':', '：', ',', '，', '/', ';', '；', '-'];
    let head_end = v.find(|c: char| !is_cjk(c))?;
    let head = &v[..head_end];
    let conf = person_name(head)?;
    let rest = v[head_end..].trim_start_matches(SEPS);
    if rest.len() == v.len() - head_end {
        return None;
    }
    let lower = rest.get(..rest.len().min(16)).map(str::to_ascii_lowercase);
    let number = |r: &str| {
        let run = r
            .bytes()
            .take_while(|b| b.is_ascii_digit() || b"Xx-+ ".contains(b))
            .filter(u8::is_ascii_digit)
            .count();
        run >= 7
    };
    let labelled = LABELS.iter().any(|l| {
        let matched = if l.is_ascii() {
            lower.as_deref().is_some_and(|x| x.starts_with(l))
        } else {
            rest.starts_with(l)
        };
        matched && number(rest[l.len()..].trim_start_matches(SEPS))
    });
    (labelled || number(rest)).then_some((head_end, conf))
}

/// Whether the rest of a field after a name holds an ID: `身份证` or a run of 15 or 18
/// digits (the last may be `X`).
fn id_after(rest: &str) -> bool {
    rest.contains("身份证")
        || rest
            .split(|c: char| !(c.is_ascii_digit() || c == 'X' || c == 'x'))
            .any(|run| {
                matches!(run.len(), 15 | 18) && run[..14].bytes().all(|b| b.is_ascii_digit())
            })
}

/// Whether the bracketed note after a name says it is a person's: a form of address, a
/// sex, a role, or an ID or telephone number.
fn personal_note(note: &str) -> bool {
    const WORDS: &[&str] = &[
        "男",
        "女",
        "本人",
        "户主",
        "申请人",
        "法人",
        "联系人",
        "代理人",
        "经办人",
        "负责人",
        "法定代表人",
    ];
    let inner = note
        .trim()
        .trim_start_matches(['（', '('])
        .trim_end_matches(['）', ')'])
        .trim();
    HONORIFICS.contains(&inner)
        || WORDS.contains(&inner)
        || (inner.len() >= 7
            && inner
                .bytes()
                .all(|b| b.is_ascii_digit() || b"Xx-+ ".contains(&b)))
}

/// [`judge`] for a value after a label in text (`申请人：刘湖州`, `联系人李蒋雨涵`): the
/// person rule's labels are all a person's (a role, `姓名`), so a name there is judged as
/// under a field named for a person, never as a code table's entry.
fn judge_labelled(det: Option<Det>, v: &str) -> Option<Confidence> {
    // A wrapped address ([`address_wrapped`]) is judged as the one line it was.
    if v.contains('\n') {
        return judge(det, &v.replace(['\r', '\n'], ""), false);
    }
    match det {
        Some(Det::PersonName) => person_name_in(v, false),
        _ => judge(det, v, false),
    }
}

/// Judges a value under a field name (`keyed`) or after a label in text.
fn judge(det: Option<Det>, v: &str, keyed: bool) -> Option<Confidence> {
    match det {
        Some(Det::PersonName) => person_name(v),
        Some(Det::Address) => address(v, keyed),
        Some(Det::TravelDocument) => travel_document(v),
        Some(Det::TaiwanPermit) => taiwan_permit(v),
        // A name part has no shape of its own: only its field says what it is.
        Some(Det::PersonNamePart) => keyed.then(|| person_name_part(v)).flatten(),
        _ => (!v.trim().is_empty()).then_some(Confidence::Medium),
    }
}

/// Whether `v` is itself a field name some rule listens to (`申请人`, `姓名`, `身份证号`).
/// Asked only of a short Han value that ends as labels do (a role, a name, a number, a
/// time): every name under a name key reaches this, and few end so.
fn names_a_field(d: &Detectors, v: &str) -> bool {
    let label_end = v.chars().next_back().is_some_and(|c| {
        matches!(
            c,
            '人' | '名'
                | '号'
                | '码'
                | '址'
                | '话'
                | '期'
                | '间'
                | '别'
                | '称'
                | '主'
                | '者'
                | '式'
        )
    });
    if !label_end || !(2..=6).contains(&v.chars().count()) || !v.chars().all(is_cjk) {
        return false;
    }
    d.keys.names_a_rule(v.as_bytes())
}

fn det_of(d: &Detectors, rule: u32) -> Option<Det> {
    match d.rules[rule as usize].kind {
        Kind::Detector(x) => Some(x),
        _ => None,
    }
}

pub(crate) fn detect(
    d: &Detectors,
    t: &[u8],
    ctx: &SegCtx<'_>,
    label_hits: &[(usize, usize, u32)],
    pairs: (&[super::Pair], &[u32]),
    emit: &mut dyn FnMut(u32, usize, usize, Confidence),
) {
    let from = TextFrom::new(t);
    // `key=value` pairs in text whose key a field rule reads (`Person(xm=张三, jtzz=…)`):
    // the value is judged as that field's value.
    for p in pairs.0 {
        let Ok(v) = std::str::from_utf8(&t[p.start..p.end]) else {
            continue;
        };
        for &r in &pairs.1[p.rules.0..p.rules.1] {
            if r & super::NEG != 0 || !d.field_rules.contains(&r) {
                continue;
            }
            let det = det_of(d, r);
            // `name: 银杏` in a YAML or properties text: a species or a crop under a key that
            // names anything, as under a JSON `name` member.
            if det == Some(Det::PersonName) && p.generic && dict::thing_word(v) {
                continue;
            }
            if let Some(conf) = judge(det, v, true) {
                emit(r, p.start, p.end, conf);
                continue;
            }
            // A bare value runs on to the line's end past spaces (`GET /q?tbzh=45349293
            // HTTP/1.1`, `hzhm=S4361973 已核验`): a document's number is the run it opens
            // with, as after a label, when words follow it after a space.
            let run = match det {
                Some(Det::TravelDocument) => doc_number_run(v),
                Some(Det::TaiwanPermit) => taiwan_permit_run(v),
                _ => continue,
            };
            if !run.is_empty() && v.as_bytes().get(run.len()) == Some(&b' ') {
                if let Some(conf) = judge(det, run, true) {
                    emit(r, p.start, p.start + run.len(), conf);
                }
            }
        }
    }
    // Whole values under a matching key.
    if ctx.whole && !ctx.key_rules.is_empty() {
        let (s, e) = excel_text(t, trim(t, 0, t.len()));
        // Most keys give context to identifier rules only (`sfzh`, `sjhm`, negative keys
        // such as `traceId`): the value is checked as text only for a field rule.
        let mut value: Option<Option<&str>> = None;
        for &r in ctx.key_rules {
            if !d.field_rules.contains(&r) {
                continue;
            }
            let Some(v) = *value.get_or_insert_with(|| std::str::from_utf8(&t[s..e]).ok()) else {
                break;
            };
            let det = det_of(d, r);
            // A field's label under a `name` member (`{"name":"申请人","value":…}`, the
            // rows of a form engine's export) is not a person.
            if det == Some(Det::PersonName) && names_a_field(d, v) {
                continue;
            }
            // A place, a book or a maker under a field that names anything (a region tree's
            // `{"code":"320100","name":"南京"}`), unless it is a name's shape as well (黄石,
            // 金平: a person's record holds such names too, and a leak costs more than a
            // masked place); nor one that ends as a place's or a body's name does (`江苏路`,
            // `马家堡`, `董事会`: a station list, a POI list, an organization chart), nor a
            // species, a crop, a herb, a weather or a town by a character given names do
            // not take (`银杏`, `黄瓜`, `花椒`, `雷阵雨`, `沙河镇`: a catalogue's rows). A
            // romanized value there must be pinyin (`Zhang San`), not a program's words
            // (`Full GC`, `Eclipse Adoptium`).
            if det == Some(Det::PersonName)
                && ctx.generic_key
                && ((dict::named_not_person(v) && !dict::name_shaped(v))
                    || (dict::station_name(v) && !dict::name_shaped(v))
                    || (dict::place_shaped(v) && !dict::name_shaped(v))
                    || dict::thing_word(v)
                    || (v.is_ascii() && !dict::pinyin_name(v)))
            {
                continue;
            }
            // (Under a field named for a person, a name that ends as a place's is a name.)
            let judged = if det == Some(Det::PersonName) {
                person_name_in(v, ctx.generic_key)
            } else {
                judge(det, v, true)
            };
            if let Some(conf) = judged {
                emit(r, s, e, conf);
            } else if det == Some(Det::PersonName) {
                // A name with a note after it (`李海燕（女士）`, `张建国（1101…）`).
                let place =
                    |n: &str| ctx.generic_key && dict::named_not_person(n) && !dict::name_shaped(n);
                // Under a field that names anything the note must say it is a person's
                // (`李宁（旗舰店）`, `马家沟（二期）` are a shop's and a place's).
                if let Some((pe, conf)) = name_before_note(v).filter(|&(pe, _)| {
                    !place(&v[..pe]) && (!ctx.generic_key || personal_note(&v[pe..]))
                }) {
                    emit(r, s, s + pe, conf);
                    continue;
                }
                // A name and the holder's number (`刘艳 电话:132…`). Under a field that
                // names anything (a shop's `name`) only an ID vouches for a person.
                if let Some((pe, conf)) = name_before_contact(v)
                    .filter(|&(pe, _)| !place(&v[..pe]) && (!ctx.generic_key || id_after(&v[pe..])))
                {
                    emit(r, s, s + pe, conf);
                    continue;
                }
                // Several people in one field: `张伟、李娜、王芳`, `张伟,李娜`. (Under a
                // field that names anything, `黄瓜、胡萝卜` lists produce.)
                for (ps, pe, conf) in name_list(v) {
                    if !(ctx.generic_key && dict::thing_word(&v[ps..pe])) {
                        emit(r, s + ps, s + pe, conf);
                    }
                }
            }
        }
    }
    // `label: value` pairs in text (normalization folded `：` to `:`).
    if d.labels.is_empty() {
        return;
    }
    for colon in memchr::memchr_iter(b':', t).chain(aligned_label_gaps(d, t)) {
        let (_, le) = trim(t, 0, colon);
        // The label as written, then as a form prints it spaced out, numbered or with a
        // note (`姓 名`, `姓名1`, `姓名（中文）`), when it is none as written.
        let spelled = label_spelling(t, le);
        let mut matched = false;
        for left in [Some(&t[..le]), spelled.as_deref()].into_iter().flatten() {
            if matched {
                break;
            }
            let Some(&last) = left.last() else {
                continue;
            };
            let Some(candidates) = d.labels_by_last.get(usize::from(last)) else {
                continue;
            };
            for (label, r) in candidates.iter().map(|&i| &d.labels[i]) {
                if !left.ends_with(label) {
                    continue;
                }
                matched = true;
                let det = det_of(d, *r);
                let mut vs = trim(t, colon + 1, t.len()).0;
                // A quoted value (`姓名: "王小明"` in YAML, `姓名：“王小明”` in prose): the
                // quotes are no part of it.
                let quote = QUOTES.iter().find(|q| t[vs..].starts_with(q.as_bytes()));
                if let Some(q) = quote {
                    vs += q.len();
                }
                let Some(mut rest) = from.at(vs) else {
                    continue;
                };
                if quote.is_some() {
                    if let Some(end) = rest.find(CLOSING) {
                        rest = &rest[..end];
                    }
                }
                let value: &str = match det {
                    Some(Det::TravelDocument) => doc_number_run(rest),
                    Some(Det::TaiwanPermit) => taiwan_permit_run(rest),
                    Some(Det::PersonName) => {
                        let run = name_run(rest);
                        // `姓名：张伟性别：男`: the name ran into the next label.
                        if rest.as_bytes().get(run.len()) == Some(&b':') {
                            // `联系人：阎雪联系电话：…`: before a label some rule or the common
                            // list knows, else the longest name that leaves two characters.
                            name_before_glued_label(d, run)
                                .unwrap_or_else(|| name_before_label(run))
                        } else if let Some(name) = name_before_glued_label(d, run) {
                            // `姓名：张伟电话138…`.
                            name
                        } else if run.contains(is_part_dot) && !dict::transliterated_name(run) {
                            // `联系人：物业服务中心·客服部`: a unit and its office, no name in parts.
                            continue;
                        } else {
                            run
                        }
                    }
                    Some(Det::Address) => {
                        let v = address_end_at_space(cut_at_next_label(d, delimited(rest)));
                        address_end_at_unit(address_wrapped(d, rest, v))
                    }
                    _ => cut_at_next_label(d, delimited(rest)),
                };
                if value.is_empty() {
                    continue;
                }
                // `核查：经核实，…`: a label of the name rule after the colon (a case note's
                // verb, 经 being a surname) opens the next clause; it names nobody.
                if det == Some(Det::PersonName) && d.known_labels.is_label(value.as_bytes()) {
                    continue;
                }
                if let Some(conf) = judge_labelled(det, value) {
                    emit(*r, vs, vs + value.len(), conf.max(Confidence::Medium));
                }
            }
        }
    }
    // Labels written without a colon (`经办人孙桂香，`, `现住福建省…`), found by the automaton.
    // With no colon to say where a value starts, the value must say it: a whole name between
    // the label and the next non-Han character, or an address that starts at a province or
    // city. (A colon after the label is the loop above.)
    for &(ls, le, r) in label_hits {
        // `张伟，男，1949年…`: a gender after a name marks it, as court documents and records
        // write a person; the name is the whole run of Han characters before the comma.
        if matches!(
            &t[ls..le],
            GENDER_MALE | GENDER_FEMALE | GENDER_MALE_PAREN | GENDER_FEMALE_PAREN
        ) {
            if let Some((ns, conf, run_start)) = name_before_gender(t, ls, le) {
                // The last part of a name in parts right after its label
                // (`员工努尔兰·哈力木（男`): that label's value, found whole after it. (The hits
                // come from one leftmost search: sorted by their ends too.)
                let i = label_hits.partition_point(|&(_, e, _)| e <= run_start);
                let label_before =
                    label_hits[i..]
                        .iter()
                        .take_while(|&&(_, e, _)| e < ns)
                        .any(|&(_, e, _)| {
                            std::str::from_utf8(&t[e..ls]).is_ok_and(dict::transliterated_name)
                        });
                if !label_before {
                    emit(r, ns, ls, conf);
                }
            }
            continue;
        }
        // `桂丽华女士来电`, `吴洁同志`: a courtesy title after a whole name (not after a surname
        // alone, `王女士`, which names nobody).
        if matches!(&t[ls..le], MS | MR | COMRADE) {
            // `曾玉英、林凤兰等同志`: the names listed before `等`.
            if &t[ls..le] == COMRADE && t[..ls].ends_with("等".as_bytes()) {
                for (ns, ne, conf) in names_listed_before(t, ls - "等".len()) {
                    emit(r, ns, ne, conf);
                }
                continue;
            }
            // `请刘飞同志于…`: the name ran on from the verb before it.
            if let Some((ns, conf)) = name_from_lead(t, ls) {
                // `全体同志`, `各位同志`: a group addressed, not a person (nor `全体女士`).
                // A role or a unit (`门卫同志`, `林场同志`) is no name either.
                let group = std::str::from_utf8(&t[ns..ls]).is_ok_and(|w| {
                    comrade_group(w)
                        || w.chars().next_back().is_some_and(|c| {
                            POSSESSIVE_NOUN_ENDS.contains(c) || COMRADE_NOUN_ENDS.contains(c)
                        })
                });
                if !group {
                    emit(r, ns, ls, conf);
                }
            }
            continue;
        }
        // `请核实杨冬梅的身份证号`: a person's own identifiers named after a possessive.
        if POSSESSIVES.contains(&&t[ls..le]) {
            // Only an identity document is a person's alone; a phone, a card, a holding
            // may be a company's or a place's.
            let weak = !(STRONG_POSSESSIVES.contains(&&t[ls..le])
                || (&t[ls..le] == "的手机".as_bytes() && t[le..].starts_with("号".as_bytes())));
            if let Some((ns, conf)) = name_before_possessive(t, ls, weak) {
                emit(r, ns, ls, conf);
            }
            continue;
        }
        // `会后联系郑雷（手机：…）`: the person to contact, with the number given after.
        if &t[ls..le] == CONTACT {
            if let Some((ne, conf)) = name_to_contact(&from, le) {
                emit(r, le, ne, conf);
            }
            continue;
        }
        // `证件号码：K58213907（护照）`: a document's kind named in brackets after its number.
        let det = det_of(d, r);
        if matches!(det, Some(Det::TravelDocument | Det::TaiwanPermit)) {
            if let Some((vs, ve)) = number_before_bracketed_label(t, ls, le) {
                let v = std::str::from_utf8(&t[vs..ve]).unwrap_or_default();
                if let Some(conf) = judge(det, v, false) {
                    emit(r, vs, ve, conf);
                }
                continue;
            }
            // `证件类型台胞证，证件号码27801500`: the kind as a type, its number under a
            // generic label after it.
            if let Some((vs, ve)) = number_after_type_word(t, &from, le) {
                let v = std::str::from_utf8(&t[vs..ve]).unwrap_or_default();
                if let Some(conf) = judge(det, v, false) {
                    emit(r, vs, ve, conf);
                }
                continue;
            }
        }
        let mut vs = le;
        while matches!(t.get(vs), Some(b' ' | b'\t')) {
            vs += 1;
        }
        // `姓名 张伟` on a line of its own: label and value set apart like two table cells.
        let mut spaced = vs > le;
        // `经查，王伟于2023年…`: a case note's opening verb, set apart from the name by a
        // comma. (The name is then judged as after any such verb: name characters only, and
        // not set apart as a cell is.)
        let comma = vs == le && t.get(vs) == Some(&b',') && COMMA_LEAD_INS.contains(&&t[ls..le]);
        if comma {
            vs += 1;
        }
        // `【姓名】王建国`, `[姓名]李四`, `(姓名)张伟`: a bracketed label is set apart as well,
        // also behind a role's word in the brackets (`【户主姓名】`, `【申请人姓名】`: up to four
        // Han characters between the bracket and the label).
        let opened = |open: &str| {
            let head = &t[ls.saturating_sub(12 + open.len())..ls];
            memchr::memmem::rfind(head, open.as_bytes()).is_some_and(|o| {
                std::str::from_utf8(&head[o + open.len()..]).is_ok_and(|w| w.chars().all(is_cjk))
            })
        };
        for (open, close) in [("【", "】"), ("[", "]"), ("(", ")"), ("〔", "〕")] {
            if t[vs..].starts_with(close.as_bytes()) && opened(open) {
                vs += close.len();
                while matches!(t.get(vs), Some(b' ' | b'\t' | b':')) {
                    vs += 1;
                }
                spaced = true;
                break;
            }
        }
        // `家庭住址⏎西藏自治区…`, `现住址是⏎青海省…`, `户籍地址⏎为黑龙江省…`: a label (and its
        // copula) closing its line, the address on the next. The address must still start
        // at a province or city below, as after any label without a colon.
        if det == Some(Det::Address) && !spaced {
            let mut p = vs;
            if t[p..].starts_with("为".as_bytes()) || t[p..].starts_with("是".as_bytes()) {
                p += "为".len();
            }
            if let Some(p) = next_line_start(t, p) {
                vs = p;
            }
        }
        // `申请人姓名⏎王建国⏎联系电话⏎…`: a form written one cell a line, the label alone on
        // its line and the name alone on the next. Only a label that opens its line (behind
        // a role's word at most, `申请人` before `姓名`): the name is then judged as a name
        // that ends its line after such a label (`line_whole`), and a label word on the next
        // line (`姓名⏎性别`, a column of labels) is no name.
        let mut next_line = false;
        if det == Some(Det::PersonName)
            && !spaced
            && matches!(t.get(vs), Some(b'\r' | b'\n'))
            && opens_line(t, ls)
        {
            if let Some(p) = next_line_start(t, vs) {
                vs = p;
                next_line = true;
            }
        }
        if matches!(t.get(vs), None | Some(b':')) {
            continue;
        }
        let Some(mut rest) = from.at(vs) else {
            continue;
        };
        // `通行证号码（18045999）`, `台湾居民来往大陆通行证号码【3126026802】`: a document's
        // number in brackets after its label, the brackets closing right after it.
        if matches!(det, Some(Det::TravelDocument | Det::TaiwanPermit)) {
            if let Some((open, close)) = [("(", ")"), ("【", "】"), ("[", "]")]
                .into_iter()
                .find(|(o, _)| rest.starts_with(o))
            {
                let inner = &rest[open.len()..];
                let v = if det == Some(Det::TaiwanPermit) {
                    taiwan_permit_run(inner)
                } else {
                    doc_number_run(inner)
                };
                if !v.is_empty() && inner[v.len()..].starts_with(close) {
                    if let Some(conf) = judge(det, v, false) {
                        emit(r, vs + open.len(), vs + open.len() + v.len(), conf);
                    }
                    continue;
                }
            }
        }
        // `姓名为张三`, `联系人是王芳`, `居住的北京市…`, `居住在北京市…`, `住于…`.
        // A copula says where the value starts as a colon does (`姓名为安建。`).
        // (Only after a label that is the name itself, `姓名`, `户主`: after a role
        // `受益人为法定。`, `负责人为主要领导。` a word as often follows.)
        let mut copula_said = false;
        for copula in ["为", "是", "的", "在", "于"] {
            if let Some(r) = rest.strip_prefix(copula) {
                rest = r;
                vs += copula.len();
                copula_said = matches!(copula, "为" | "是") && NAME_ITSELF.contains(&&t[ls..le]);
                break;
            }
        }
        let det = det_of(d, r);
        let value: &str = match det {
            Some(Det::TravelDocument) => doc_number_run(rest),
            Some(Det::TaiwanPermit) => taiwan_permit_run(rest),
            Some(Det::PersonName) => {
                // `经办人员签字，`, `验收人员到场`: the label's 人 and the 员 after it are
                // one word (人员, the staff); 员 as a surname is too rare to read a name there.
                if t[..le].ends_with("人".as_bytes()) && rest.starts_with('员') {
                    continue;
                }
                let mut run = name_run(rest);
                // `联系人张伟电话138…`: the name ran into the next label.
                if let Some(name) = name_before_glued_label(d, run) {
                    // `姓名  家庭住址`, a header of column names: the run is a field name
                    // itself, not a name glued to a label.
                    if d.keys.is_exact(run.as_bytes()) {
                        continue;
                    }
                    // `旅客张桂珍持护照E…`: a verb may stand between the name and that label.
                    run = if plausible_name(name) {
                        name
                    } else {
                        name_before_verb(name).unwrap_or(name)
                    };
                } else if let Some(name) = name_before_verb(run) {
                    // `来电人刘斌反映…`, `申请人周海燕提交申请`: the name ran into the verb.
                    run = name;
                }
                // The name must end where a name in a list or sentence ends (`经办人孙桂香，`,
                // `申请人李娜（`). At a full stop or the end of the text a label word is
                // more often followed by an ordinary word (`负责人相关.`): there the name
                // must be set apart from its label (`联系人 赵伟。`), be made of name
                // characters (`经核实，本次涉及的患者夏燕`, `患者张娜。以上情况属实`) or be
                // a name in parts (`业主迪丽努尔·阿木提。`).
                let after = rest[run.len()..].chars().next();
                // (On the line under its label the name is the whole line.)
                if next_line && !matches!(after, Some('\n' | '\r') | None) {
                    continue;
                }
                let glued = run.len() < name_run(rest).len();
                let dotted = run.contains(is_part_dot);
                // (A name padded for alignment, `卢　梅`, is read without its padding.)
                // A label that opens its line and a name that ends it (`户主蒯洋⏎`,
                // `联系人晏玉⏎`): a record written line by line, where the line holds the
                // label and the value alone; the name may then have a rarer surname, its given
                // name still of name characters.
                // A name of a common surname whose given name ends with a name character
                // may have a rarer one before it there (`户主郝关山`), and a Tibetan or
                // Mongolian name (`来电人旦增`, `户主扎西顿珠`) has no surname at all.
                let line_whole = || {
                    (ls == 0 || matches!(t[ls - 1], b'\n' | b'\r'))
                        && matches!(after, Some('\n' | '\r') | None)
                        && (((dict::name_shaped(run) || dict::common_surname_name(run))
                            && !dict::everyday_word(run))
                            || dict::minority_name_part(run)
                            || dict::minority_name_parts(run).is_some())
                };
                let sentence_end = || {
                    spaced
                        || copula_said
                        || dotted
                        || if run.contains(' ') {
                            dict::common_given_name(&run.replace(' ', ""))
                        } else {
                            dict::common_given_name(run)
                                || dict::double_surname_name(run)
                                || line_whole()
                        }
                };
                let ends = glued
                    || match after {
                        None => sentence_end(),
                        Some(c) => {
                            c == '、'
                                || c.is_ascii_digit()
                                || (c.is_ascii() && super::NAME_ENDS.contains(&(c as u8)))
                                || (matches!(c, '。' | '.' | '\n' | '\r' | '\t') && sentence_end())
                        }
                    };
                // (`被申请人方面未提出异议`: a label word may open a longer run too.)
                let opens_with_word = run
                    .char_indices()
                    .nth(2)
                    .is_some_and(|(i, _)| dict::is_label_word(&run[..i]));
                // A dotted run is a name in parts only in transliteration syllables
                // (`业主万科·城市花园小区`, `联系人物业中心·客服部` are none); a Han one must be
                // a plausible name. A part of one character is a model's name after its
                // maker's (`经查比亚迪·汉，`) more often than a person's.
                // After a case note's verb (`经查`, `约谈`) rather than a role word, a word
                // stands where a name would more often (`调查范围，`, `经查唐山，`): a Han name
                // there must be made of name characters, as before a weak verb.
                let shaped = if dotted {
                    dict::transliterated_name(run)
                        && run.split(is_part_dot).all(|p| p.chars().nth(1).is_some())
                } else {
                    // (Two parents' surnames and a given name, `当事人宋汤国庆，`, are a
                    // name's shape after a person's label, as under a person's field.)
                    // A lone Tibetan or Mongolian name part (`旦增`) as well, whose value a
                    // person's label vouches for as it vouches for a rarer surname.
                    (plausible_name(run)
                        || dict::double_surname_name(run)
                        || dict::minority_name_part(run)
                        // (`冯向阳`, taken before a verb of two characters.)
                        || (glued && verb_inside_name(run)))
                        && (!LEAD_IN_LABELS.contains(&&t[ls..le])
                            || dict::common_given_name(run)
                            // (`经核实，其其格本人，`: a Mongolian name of three characters
                            // or more that ran into 本人 or a reporting verb, no word.)
                            || (glued && dict::minority_name_parts(run).is_some()))
                        && !(comma && word_not_name(run))
                };
                // (`经了解信访人反映…`: a role word after a verb is the next label, not a name;
                // asked last, of a name that passed everything else.)
                // (`原告高达，`: a measure word of the label words that opens a name.)
                let measure_name = dict::measure_word_as_name(run, after);
                if (!measure_name && (dict::is_label_word(run) || opens_with_word))
                    || !ends
                    || !shaped
                    || d.known_labels.is_label(run.as_bytes())
                {
                    continue;
                }
                run
            }
            Some(Det::Address) => {
                // `住` opening a word of its own (`住宅小区`, `住房`, `住院`, `住建局`) is no
                // `lives at`: what follows it is that word's rest, not an address. Unless a
                // place's name starts there (`住宿迁市…`, `住房山区…`, `住建邺区…`).
                if &t[ls..le] == "住".as_bytes()
                    && ZHU_WORDS.iter().any(|w| rest.starts_with(w))
                    && !place_after_zhu(rest)
                {
                    continue;
                }
                let v = address_end_at_space(cut_at_next_label(d, delimited(rest)));
                // A full stop ends a sentence here (`全部地址组织城市一些.`).
                let v = v.split('.').next().unwrap_or(v).trim_end();
                if !dict::starts_with_region(v) {
                    continue;
                }
                // (The cut keeps the start and the first number the check above reads.)
                address_end_at_unit(dict::address_before_errand(address_wrapped(d, rest, v)))
            }
            _ => continue,
        };
        if value.is_empty() {
            continue;
        }
        if let Some(conf) = judge_labelled(det, value) {
            emit(r, vs, vs + value.len(), conf);
        }
    }
}

/// Addresses in text that no label announces, found from their house number (`…路932号`)
/// back to where they start: a province-level name (`湖南省…`, `北京市…`), or a city after a
/// word that places something (`在长沙市…`) or first in its run of Han characters, with
/// nothing but Han characters between. Judged
/// as an address, and at least a city or district and a street besides.
pub(crate) fn unlabelled_addresses(d: &Detectors, t: &[u8]) -> Vec<(usize, usize, Confidence)> {
    static HAO: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new("号".as_bytes()));
    const STREETS: &[&str] = &["路", "街", "道", "巷", "弄", "胡同"];
    // How far back from its street an address may start, in Han characters.
    const BACK: usize = 24;
    let from = TextFrom::new(t);
    let mut out: Vec<(usize, usize, Confidence)> = Vec::new();
    // A street, a digit and `号` are seven bytes at least, two of them Han characters: an
    // ASCII value (most values with a digit: ids, numbers, dates) holds none.
    if t.len() < 7 || t.is_ascii() {
        return out;
    }
    for h in HAO.find_iter(t) {
        if out.last().is_some_and(|&(_, e, _)| h < e) {
            continue;
        }
        let mut ds = h;
        while ds > 0 && t[ds - 1].is_ascii_digit() {
            ds -= 1;
        }
        if ds == h || h - ds > 5 {
            continue;
        }
        // (A village's group has its own number: the walk back starts before it.)
        let street_end = if STREETS.iter().any(|w| t[..ds].ends_with(w.as_bytes())) {
            ds
        } else if let Some(g) = village_group(&t[..ds]) {
            g
        } else {
            continue;
        };
        // Back over Han characters (three bytes each) to the earliest start. A start is
        // tested only where a division's character follows a name of two or three (`湖南省`,
        // `长沙市`, `内蒙古自治区`): most characters are not followed by one.
        let char_is = |q: usize, set: &str| han_at(t, q).is_some_and(|c| set.contains(c));
        let mut start = None;
        let mut p = street_end;
        for _ in 0..BACK {
            if p < 3 || !han_at(t, p - 3).is_some_and(is_cjk) {
                break;
            }
            p -= 3;
            let province = (char_is(p + 6, "省市自壮回维特") || char_is(p + 9, "自"))
                && dict::PROVINCE_NAMES
                    .iter()
                    .any(|x| t[p..].starts_with(x.as_bytes()));
            // A city of two or three characters after a word that places it, or where the
            // text or its run of Han characters starts.
            let city = || {
                (char_is(p + 6, "市") || char_is(p + 9, "市"))
                    && (p == 0
                        || !t[p - 1].is_ascii_alphanumeric() && t[p - 1] < 0x80
                        || (p >= 3 && char_is(p - 3, "在于至到往从")))
            };
            if province || city() {
                start = Some(p);
            }
        }
        let Some(vs) = start else {
            continue;
        };
        let Some(rest) = from.at(vs) else {
            continue;
        };
        let v = address_end_at_unit(dict::address_before_errand(address_end_at_space(
            cut_at_next_label(d, delimited(rest)),
        )));
        // It must reach the house number it was found from (and end near it: an address
        // names its building and room after the number, not more), and name more than a
        // street.
        let ve = vs + v.len();
        if ve < h + "号".len() || ve > h + 64 {
            continue;
        }
        // Inside a sentence: after a Han character (`在`, `于`, `事主在…`) or before one
        // (`…932号门口`). A value that is an address and nothing else (a cell, a field) is
        // judged by its column or key, which say whose it is; a masked one (`…12号****`)
        // is no finding.
        let cjk_at = |at: usize| han_at(t, at).is_some_and(is_cjk);
        let in_sentence = (vs >= 3 && cjk_at(vs - 3)) || cjk_at(ve);
        // ... unless it names a home down to the door (a flat's `单元`, a village's `组`, a
        // lane's or a block's room): a public body's or a firm's address names a building or
        // a floor, and a home in a cell of a headerless table or under a key nobody listed
        // is still a person's.
        if !(in_sentence || residential(v)) || t.get(ve) == Some(&b'*') {
            continue;
        }
        // A parcel or a project named by where it is (`关于…中关村大街27号地块规划调整的公示`,
        // a planning or land notice): a place, nobody's address.
        if ["地块", "宗地", "项目", "工程", "片区"]
            .iter()
            .any(|w| t[ve..].starts_with(w.as_bytes()))
        {
            continue;
        }
        let divisions = v[..ds - vs]
            .chars()
            .filter(|c| matches!(c, '省' | '市' | '区' | '县' | '州' | '旗' | '盟'))
            .count();
        if divisions == 0 {
            continue;
        }
        let Some(conf) = address(v, false) else {
            continue;
        };
        // Where a notice sends the public (`请到…文三路100号市民中心B座三楼办理`): an office's
        // hall, a court, a hospital, named in the address or running on from the number it
        // is cut at (`…100号诉讼服务中心`; not after a comma, `…88号，毗邻人民医院`). No one's
        // home, unless a flat, staff quarters or a room is named too.
        let after = from
            .at(ve)
            .map(|r| {
                let n: usize = r
                    .chars()
                    .take(8)
                    .take_while(|&c| is_cjk(c))
                    .map(char::len_utf8)
                    .sum();
                &r[..n]
            })
            .unwrap_or("");
        let home = ["单元", "宿舍", "家属"]
            .iter()
            .any(|w| v.contains(w) || after.contains(w))
            || v.ends_with(['室', '户'])
            || after.contains('室');
        if !home
            && PUBLIC_PLACES
                .iter()
                .any(|w| v.contains(w) || after.contains(w))
        {
            continue;
        }
        out.push((vs, vs + v.len(), conf));
    }
    out
}

/// Words of a public body's premises in an address written in a notice's text.
const PUBLIC_PLACES: &[&str] = &[
    "市民中心",
    "服务中心",
    "政务中心",
    "政务服务",
    "办事大厅",
    "服务大厅",
    "人民政府",
    "法院",
    "检察院",
    "派出所",
    "医院",
    "办事处",
    "管理局",
    "服务站",
];

/// Whether an address names a home down to its door: a flat in a block
/// (`…2号楼6单元1663室`, `…19号楼6门1151`), a house in a village group (`…陆庄村1组17号`), a
/// room in a lane (`…221弄6号2197室`).
fn residential(v: &str) -> bool {
    let has = |w: &str| v.contains(w);
    // (`…1号楼1201室` alone may be an office in a business park.)
    let door = v
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .ends_with('门');
    // A flat's unit is in a block (`号楼`, `栋`, `幢`); an office tower's `15层1501单元` is a
    // firm's.
    let flat = has("单元")
        && (has("号楼") || has("栋") || has("幢"))
        && !["层", "大厦", "中心", "广场", "写字楼", "银行"]
            .iter()
            .any(|w| has(w));
    flat || (has("号楼") && door)
        || (has("弄") && v.ends_with('室'))
        || (has("村") && v.contains('组') && v.ends_with('号'))
}

/// The three-byte character (Han characters and CJK punctuation) starting at `q`, if one does.
fn han_at(t: &[u8], q: usize) -> Option<char> {
    t.get(q..q + 3)
        .and_then(|b| std::str::from_utf8(b).ok())
        .and_then(|s| s.chars().next())
}

/// Courtesy titles written after a name.
const MS: &[u8] = "女士".as_bytes();
const MR: &[u8] = "先生".as_bytes();
/// `吴洁同志（身份证号：…）`, as official letters name a person.
const COMRADE: &[u8] = "同志".as_bytes();
/// Words before `同志` that address a group or describe one, some of which would pass for a
/// surname and a given name (`全体`).
const COMRADE_GROUPS: &[&str] = &[
    "全体",
    "各位",
    "广大",
    "有关",
    "相关",
    "这位",
    "那位",
    "该位",
    "年轻",
    "青年",
    "党员",
    "领导",
    "机关",
    "基层",
    "一线",
    "离退休",
    "退休",
    "参会",
    "与会",
    "其他",
    "其余",
    "在座",
    "工作",
    "诸位",
    "以上",
    "上述",
    "下列",
    "以下",
    "老年",
    "中年",
    "女性",
    "男性",
    "优秀",
    "先进",
    "部分",
    "多名",
    "两名",
    "各级",
    "全体党员",
    "新任",
    "主要",
    "分管",
    "负责",
    "后勤",
    "党政",
    "关心",
    "安保",
    "法制",
    "文艺",
    "年长",
    "公安",
    "民警",
    "辅警",
    "交警",
    "干警",
    "消防",
    "医护",
    "教师",
    "干部",
];
/// Second characters that make a two-character word before `同志` a noun or a determiner
/// rather than a given name (`那些`, `武警`, `纪检`, `后勤`, `车间`, `党政`, `周边`).
const COMRADE_NOUN_ENDS: &str =
    "些多下警检传土工间访层边位体大关级部线休会他余座作述列性任要管责导员";

/// A possessive and one of a person's own identifiers (`杨冬梅的身份证号`, `郑雷的手机号`):
/// what comes before it is a person when it is a name. (Not addresses, passports or
/// household registration: `的住址`, `的户籍` would shadow the address labels `住址`,
/// `户籍地址`, which the label automaton, leftmost-longest, must still see.)
const POSSESSIVES: &[&[u8]] = &[
    // `经核实，范畅（身份证号…）`, `易林持有的银行卡`, `王云名下`: the same, in brackets or
    // with a verb of holding.
    "(身份证".as_bytes(),
    "(公民身份号码".as_bytes(),
    "(手机".as_bytes(),
    "(联系电话".as_bytes(),
    "(电话".as_bytes(),
    "持有的".as_bytes(),
    "名下".as_bytes(),
    "的身份证".as_bytes(),
    "的公民身份号码".as_bytes(),
    "的手机".as_bytes(),
    "的联系电话".as_bytes(),
    "的电话".as_bytes(),
    "的联系方式".as_bytes(),
    "的银行卡".as_bytes(),
];
/// The possessives only a person has: an identity card, and a mobile (`（手机`; `的手机号`,
/// checked where it is read: `的手机` alone may be a brand's handset).
const STRONG_POSSESSIVES: &[&[u8]] = &[
    "(手机".as_bytes(),
    "(身份证".as_bytes(),
    "(公民身份号码".as_bytes(),
    "的身份证".as_bytes(),
    "的公民身份号码".as_bytes(),
];
/// `联系` before a name and its number (`联系郑雷（手机：…）`).
const CONTACT: &[u8] = "联系".as_bytes();
/// Verbs and prepositions that run into a name before a possessive with no punctuation
/// between (`请核实杨冬梅的…`, `调取王建国的…`, `并将刘洋的…`).
const LEAD_INS: &[&str] = &[
    "核实",
    "核对",
    "核查",
    "查询",
    "查到",
    "查看",
    "提供",
    "登记",
    "联系",
    "获取",
    "调取",
    "收集",
    "确认",
    "提交",
    "上传",
    "更新",
    "修改",
    "删除",
    "录入",
    "补充",
    "填写",
    "告知",
    "通知",
    "转交",
    "转发",
    "发送",
    "泄露",
    "公开",
    "保管",
    "包括",
    "关于",
    "对于",
    "以及",
    "申请人",
    "当事人",
    // A person named by what they are to the writer (`我区居民宋林（身份证号…`,
    // `我单位职工张玉英（公民身份号码…`).
    "居民",
    "村民",
    "市民",
    "群众",
    "职工",
    "员工",
    "学生",
    "患者",
    "儿童",
    "请将",
    "将",
    "把",
    "对",
    "向",
    "与",
    "和",
    "及",
    "或",
    "经",
    "据",
    "请",
    "由",
];
/// Second characters of words that begin with `住` and are no `lives at` (住宅, 住房,
/// 住院, 住户, 住宿, 住建, 住持, 住校).
const ZHU_WORDS: &[&str] = &["宅", "房", "院", "户", "宿", "建", "持", "校"];

/// Whether `rest`, after `住` and opening with one of [`ZHU_WORDS`]' characters, is a
/// place's name rather than that word: a city or district the dictionary knows (`宿迁`,
/// `宿州`, `房山`), or two characters and a division's suffix (`建邺区`). `住宅小区` is the
/// word, not a `宅小` district.
// (Out of line: asked only after a `住` that a ZHU_WORDS character follows.)
#[inline(never)]
fn place_after_zhu(rest: &str) -> bool {
    let mut ends = rest.char_indices().map(|(i, c)| (i + c.len_utf8(), c));
    let (Some(_), Some((two, _)), Some((_, suffix))) = (ends.next(), ends.next(), ends.next())
    else {
        return false;
    };
    dict::named_not_person(&rest[..two])
        || (matches!(suffix, '市' | '区' | '县' | '州' | '旗') && !rest.starts_with("宅小"))
}

/// Words besides [`dict::POST_TITLES`] that make a name-shaped run in a sentence a title or a
/// placeholder (`李某`, `王伯`), not a person's full name.
const TITLE_ENDS: &[&str] = &["某", "伯"];

/// Last characters that make a name-shaped word before a possessive a role, a party or a
/// place (`商家`, `房主`, `门卫`, `经办人`, `包工头`, `班长`, `支行`, `王府`): such words stand
/// before `的电话` far more often than a two-character name ending in them does.
const POSSESSIVE_NOUN_ENDS: &str =
    "家方主人卫行告头为地府户属商员总司部院校队局业厂店馆门所区委办士长南新氏劳鱼捞港城客团会妈社厅组站者老场税";

/// The name right before a possessive at `ls`: a whole run of Han characters (see
/// [`name_before`]), or the end of a longer run after a verb or preposition it ran on from
/// (`请核实杨冬梅`), three characters tried first, then two and four.
fn name_before_possessive(t: &[u8], ls: usize, weak: bool) -> Option<(usize, Confidence)> {
    let (ns, conf) = name_from_lead(t, ls)?;
    let name = std::str::from_utf8(&t[ns..ls]).ok()?;
    (!role_word(name) && (!weak || full_name(name))).then_some((ns, conf))
}

/// Whether a name-shaped word is a title, a placeholder or a role (`张经理`, `李某`, `门卫`,
/// `经办人`) by its ending.
fn role_word(name: &str) -> bool {
    dict::POST_TITLES
        .iter()
        .chain(TITLE_ENDS)
        .any(|w| name.ends_with(w))
        || name
            .chars()
            .next_back()
            .is_some_and(|c| POSSESSIVE_NOUN_ENDS.contains(c))
}

/// A name before `ls` in a sentence: the end of a run after a verb or preposition it ran on
/// from (`请核实杨冬梅`, `经周峰`), else the whole run (`，杨冬梅`), else a run after a
/// one-character preposition that is also a surname (`向`, `经`, `由`), which is read as the
/// name's own surname first (`向明华` before `向` + `明华`).
fn name_from_lead(t: &[u8], ls: usize) -> Option<(usize, Confidence)> {
    name_led(t, ls, true)
        .or_else(|| name_before(t, ls))
        .or_else(|| name_led(t, ls, false))
}

/// A name shaped well enough to stand on a weak context alone (a phone number, a holding,
/// a contact): three characters or more, or a two-character surname. Two-character words
/// before `的电话` or `（电话` are far more often a brand, a place or a role (`华为`, `海宁`,
/// `门卫`) than a two-character name.
fn full_name(name: &str) -> bool {
    name.chars().count() >= 3
        || dict::surname_len(name).is_some_and(|sl| name[..sl].chars().count() == 2)
}

/// The end of a run of Han characters before `ls` that is a name after a verb or preposition
/// it ran on from (`请核实杨冬梅`, `请刘飞`): three characters tried first, then two and four.
/// Returns its start.
fn name_led(t: &[u8], ls: usize, strict: bool) -> Option<(usize, Confidence)> {
    let mut from = ls.saturating_sub(30);
    while from < ls && (t[from] & 0xC0) == 0x80 {
        from += 1;
    }
    let before = std::str::from_utf8(&t[from..ls]).ok()?;
    let bounds: Vec<usize> = before
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_cjk(c))
        .map(|(i, _)| i)
        .collect();
    [3usize, 2, 4].into_iter().find_map(|take| {
        let at = *bounds.get(take - 1)?;
        let (lead, name) = before.split_at(at);
        // Strict: not after a one-character lead-in that is also a surname (`向明华`).
        // (The last byte first: a text of names asks this at every one of them.)
        let end = lead.as_bytes().last();
        let led = LEAD_INS.iter().any(|w| {
            w.as_bytes().last() == end
                && lead.ends_with(w)
                && !(strict && w.chars().count() == 1 && dict::surname_len(w).is_some())
        });
        if !led || dict::is_label_word(name) {
            return None;
        }
        person_name(name).map(|conf| (from + at, conf))
    })
}

/// The names of a list that ends at `end` (`曾玉英、林凤兰` before `等同志`): whole names
/// separated by `、`, the first of them possibly run on from a verb (`请李颖、马琴等`).
fn names_listed_before(t: &[u8], end: usize) -> Vec<(usize, usize, Confidence)> {
    const COMMA: &[u8] = "、".as_bytes();
    let mut names = Vec::new();
    let mut end = end;
    while names.len() < 32 {
        let Some((ns, conf)) = name_from_lead(t, end) else {
            break;
        };
        // `党员、干部等同志`, `武警、公安等同志`: groups listed, not people.
        if std::str::from_utf8(&t[ns..end]).is_ok_and(comrade_group) {
            break;
        }
        names.push((ns, end, conf));
        if !t[..ns].ends_with(COMMA) {
            break;
        }
        end = ns - COMMA.len();
    }
    names
}

/// The name after `联系` at `le` when its number follows it (`郑雷（手机：…）`, `郑雷，电话…`,
/// `郑雷13800138000`): two to four Han characters that are a name. Returns its end.
fn name_to_contact(from: &TextFrom<'_>, le: usize) -> Option<(usize, Confidence)> {
    let rest = from.at(le)?;
    let run = name_run(rest);
    let n = run.chars().count();
    if !(2..=4).contains(&n) || run.contains(' ') {
        return None;
    }
    let after = &rest[run.len()..];
    let numbered = |s: &str| {
        let s = s.trim_start_matches([' ', ':']);
        [
            "手机",
            "电话",
            "联系电话",
            "联系方式",
            "电",
            "tel",
            "Tel",
            "TEL",
        ]
        .iter()
        .any(|w| s.starts_with(w))
            || s.starts_with(|c: char| c.is_ascii_digit())
    };
    let follows = after.starts_with(|c: char| c.is_ascii_digit())
        || after.strip_prefix('(').is_some_and(numbered)
        || after.strip_prefix(',').is_some_and(numbered);
    // A mobile is a person's: after one, a two-character name stands (`联系郑雷（手机：`,
    // `联系郑雷13800138000`); after an office number only a fuller name does.
    let is_mobile = |s: &str| {
        s.len() >= 11
            && s.as_bytes()[0] == b'1'
            && s.as_bytes()[..11].iter().all(u8::is_ascii_digit)
    };
    // A mobile written in groups (`152 6379 9037`, `152-6379-9037`) after a telephone's word.
    let grouped_mobile = |s: &str| {
        s.starts_with('1')
            && s.bytes()
                .take(15)
                .take_while(|b| b.is_ascii_digit() || matches!(b, b' ' | b'-'))
                .filter(u8::is_ascii_digit)
                .count()
                >= 11
    };
    // `郑雷，电话13800138000`: a telephone's word, then a mobile.
    let labelled_mobile = after
        .strip_prefix([',', '('])
        .map(|s| s.trim_start_matches([' ', ':']))
        .and_then(|s| {
            ["联系电话", "手机", "电话"]
                .iter()
                .find_map(|w| s.strip_prefix(w))
        })
        .is_some_and(|s| grouped_mobile(s.trim_start_matches([' ', ':'])));
    let mobile = after.starts_with("(手机") || is_mobile(after) || labelled_mobile;
    if !follows || !(mobile || full_name(run)) || role_word(run) || dict::is_label_word(run) {
        return None;
    }
    person_name(run).map(|conf| (le + run.len(), conf))
}

/// Whether the words before `同志` address or describe a group (`全体`, `那些`, `纪检`).
fn comrade_group(w: &str) -> bool {
    COMRADE_GROUPS.contains(&w)
        || (w.chars().count() == 2
            && w.chars()
                .nth(1)
                .is_some_and(|c| COMRADE_NOUN_ENDS.contains(c)))
}

/// Whether a label of the name rule is followed by the name it labels (`患者王建国`,
/// `经查王建国`), rather than an anchor the name stands before (`王建国的手机`,
/// `王建国女士`, `王建国，男`) or one that wants a number after it (`联系郑雷（手机：`): the
/// labels that may open a name in a remark with no delimiter (`Detectors::name_label_gate`).
pub(crate) fn name_follows(label: &[u8]) -> bool {
    !(POSSESSIVES.contains(&label)
        || [MS, MR, COMRADE, CONTACT].contains(&label)
        || label.starts_with(b",")
        || label.starts_with(b"("))
}

/// The labels of the name rule that are a case note's verbs, not a person's role
/// (`经查王建国称…`, `约谈孙丽后…`): the name after one must be made of name characters.
const LEAD_IN_LABELS: &[&[u8]] = &[
    "经查".as_bytes(),
    "经查明".as_bytes(),
    "查明".as_bytes(),
    "经审查".as_bytes(),
    "经调查".as_bytes(),
    "调查".as_bytes(),
    "经核实".as_bytes(),
    "经核查".as_bytes(),
    "核查".as_bytes(),
    "经了解".as_bytes(),
    "了解到".as_bytes(),
    "询问".as_bytes(),
    "约谈".as_bytes(),
    "通知".as_bytes(),
];

/// The lead-ins of [`LEAD_IN_LABELS`] that open a sentence and may have a comma before the
/// name (`经查，王伟于…`, `经核实，张丽华…`); not `通知，各单位…` or `调查，…`.
const COMMA_LEAD_INS: &[&[u8]] = &[
    "经查".as_bytes(),
    "经查明".as_bytes(),
    "查明".as_bytes(),
    "经审查".as_bytes(),
    "经调查".as_bytes(),
    "经核实".as_bytes(),
    "经核查".as_bytes(),
    "经了解".as_bytes(),
    "了解到".as_bytes(),
];

/// `，男` and `，女` as normalization writes them (the full-width comma folded).
const GENDER_MALE: &[u8] = ",男".as_bytes();
const GENDER_FEMALE: &[u8] = ",女".as_bytes();
/// `（男` and `（女` (`罗超（男，公民身份号码…）`), the full-width parenthesis folded.
const GENDER_MALE_PAREN: &[u8] = "(男".as_bytes();
const GENDER_FEMALE_PAREN: &[u8] = "(女".as_bytes();

/// The name before a gender marker at `t[ls..le]`: a whole run of two to four Han characters
/// (text, punctuation or the start before it) that is name-shaped, with the gender followed by
/// punctuation or the end (`，男，`, `，女。`, not `，男女比例`). Returns its start.
fn name_before_gender(t: &[u8], ls: usize, le: usize) -> Option<(usize, Confidence, usize)> {
    match t.get(le) {
        None | Some(b',' | b'(' | b';' | b' ' | b')') => {}
        // `。` and `、`.
        Some(0xE3) if matches!(t.get(le..le + 3), Some([0xE3, 0x80, 0x82 | 0x81])) => {}
        _ => return None,
    }
    // `经查刘淑珍，男，`: a name right after a verb, too. The last part of a name in parts
    // need not be name-shaped itself (`艾尔肯·吐尔逊，男`): it is judged with the whole name
    // below.
    let led = name_from_lead(t, ls);
    let ns = match led {
        Some((ns, _)) => ns,
        None => ls - han_tail(t, ls, 7 * 3)?.2,
    };
    // `经查，女，汉族`: a case note's opening verb with the person's gender after it, the
    // name left out (经 and 查 are surnames, and so the verb is name-shaped).
    let word = &t[ns..ls];
    if COMMA_LEAD_INS.contains(&word) || LEAD_INS.iter().any(|w| w.as_bytes() == word) {
        return None;
    }
    // `热依拉·阿不都，女，`: what stands before the gender may be the last part of a name in
    // parts. With the part before the dot it is the name whole, when that part is all the
    // Han text back to a sign or the start and both are written in transliteration
    // syllables; else the last part is all that can be told (and the third value, where the
    // Han text before the dot starts, lets the caller see a label there).
    // The parts before it, back to the first (`如克亚·热合曼·祖丽胡玛尔，男`: three parts).
    let mut ps = ns;
    let mut whole = false;
    for _ in 0..3 {
        let Some(dot) = ps
            .checked_sub(NAME_DOT.len())
            .filter(|&d| t[d..ps] == *NAME_DOT)
        else {
            break;
        };
        let (from, head, run) = han_tail(t, dot, 8 * 3)?;
        if run == 0 {
            break;
        }
        ps = dot - run;
        whole = run < head.len() || from == 0;
        if !whole {
            break;
        }
    }
    if ps == ns {
        return led.map(|(ns, conf)| (ns, conf, ns));
    }
    let name = std::str::from_utf8(&t[ps..ls]).ok()?;
    if whole && dict::transliterated_name(name) {
        return Some((ps, Confidence::Low, ps));
    }
    // `经查热依拉·阿不都，女，`: the first part ran on from a verb or preposition, as a Han
    // name does (`经查刘淑珍，男，`); the name starts after it.
    // The longest lead-in wins: `经查` before `经` (查 is a transliteration syllable too).
    let lead_in = name
        .char_indices()
        .skip(1)
        .filter_map(|(i, _)| {
            let lead = &name[..i];
            let w = LEAD_INS
                .iter()
                .chain(&["经查", "查明", "调查"])
                .filter(|w| lead.ends_with(**w))
                .map(|w| w.len())
                .max()?;
            dict::transliterated_name(&name[i..]).then_some((i, w))
        })
        .max_by_key(|&(i, w)| (w, std::cmp::Reverse(i)));
    if let Some((i, _)) = lead_in {
        return Some((ps + i, Confidence::Low, ps + i));
    }
    led.map(|(ns, conf)| (ns, conf, ps))
}

/// The text of at most `back` bytes before `at` (from the first whole character), where it
/// starts, and the byte length of the run of Han characters it ends with.
fn han_tail(t: &[u8], at: usize, back: usize) -> Option<(usize, &str, usize)> {
    let mut from = at.saturating_sub(back);
    while from < at && (t[from] & 0xC0) == 0x80 {
        from += 1;
    }
    let before = std::str::from_utf8(&t[from..at]).ok()?;
    let run = before
        .chars()
        .rev()
        .take_while(|&c| is_cjk(c))
        .map(char::len_utf8)
        .sum();
    Some((from, before, run))
}

/// The name right before `ls`: a whole run of two to four Han characters (text, punctuation
/// or the start before it) that is name-shaped. Returns its start.
fn name_before(t: &[u8], ls: usize) -> Option<(usize, Confidence)> {
    // Five characters back: a fifth Han character means the run is longer than a name.
    let (from, before, run) = han_tail(t, ls, 15)?;
    let name = &before[before.len() - run..];
    // `2021年应届`, `1年余`: a unit of the number before it, not a surname.
    if before[..before.len() - run].ends_with(|c: char| c.is_ascii_digit())
        && name.starts_with(|c: char| "年月日号元个岁次件名位天时分秒".contains(c))
    {
        return None;
    }
    let chars = name.chars().count();
    // Whole: something other than a Han character, or the start of the text, before it.
    if !(2..=4).contains(&chars) || (run == before.len() && from > 0) {
        return None;
    }
    if dict::is_label_word(name) {
        return None;
    }
    let conf = person_name(name)?;
    Some((ls - run, conf))
}

/// `吴建华 220102199601184491 18643551844`: a person's row written as text (a remark that
/// holds it, a roster pasted into a note, a text export): a whole name right before a valid
/// resident ID, set apart from it by nothing but a space, a tab, a comma, a colon or a bar.
/// The number is one person's, and a name-shaped run standing whole before it is that
/// person's name. With no label or field name to vouch for it, the name must be made of a
/// common surname and name characters, and be no label, field name or everyday word
/// (`户主 …`, `姓名 …`, `公民 …`). Returns the name's range.
pub(crate) fn name_before_id(d: &Detectors, t: &[u8], start: usize) -> Option<(usize, usize)> {
    let mut p = start.min(t.len());
    for _ in 0..3 {
        if p > 0 && matches!(t[p - 1], b' ' | b'\t' | b',' | b':' | b'|' | b';') {
            p -= 1;
        } else if t[..p].ends_with("、".as_bytes()) {
            p -= "、".len();
        } else {
            break;
        }
    }
    let (ns, _) = name_before(t, p)?;
    let name = std::str::from_utf8(&t[ns..p]).ok()?;
    let shaped = dict::common_given_name(name)
        && plausible_name(name)
        && !word_not_name(name)
        && !d.keys.is_exact(name.as_bytes())
        && !d.known_labels.is_label(name.as_bytes());
    shaped.then_some((ns, p))
}

/// Words of a name's shape that the text around them shows to be no name when nothing else
/// vouches for one (before an ID, after `经查，`): a place of the list (`武昌`), a family
/// (`王家`), a dynasty (`唐朝`), a sum (`万美元`).
fn word_not_name(w: &str) -> bool {
    dict::named_not_person(w) || w.ends_with(['家', '朝', '元'])
}

/// The text from `vs` on (at most 600 bytes, cut to whole characters).
/// Quotes a value after a label may be written in.
const QUOTES: &[&str] = &["\"", "'", "\u{201C}", "\u{2018}", "\u{300C}", "\u{300E}"];
/// Closing quotes, which end a quoted value.
const CLOSING: &[char] = &['"', '\'', '\u{201D}', '\u{2019}', '\u{300D}', '\u{300F}'];

fn text_from(t: &[u8], vs: usize) -> Option<&str> {
    let end = t.len().min(vs + 600);
    std::str::from_utf8(t.get(vs..end)?)
        .or_else(|e| std::str::from_utf8(&t[vs..vs + e.valid_up_to()]))
        .ok()
}

/// `text_from` for many offsets into one window. Labels can come every few characters in
/// running Chinese text, and validating 600 bytes at each of them cost more than the rest
/// of the scan together; the window is validated once instead, and each offset is cut
/// from it on character boundaries, which gives what `text_from` gives.
struct TextFrom<'a> {
    t: &'a [u8],
    whole: std::cell::OnceCell<Option<&'a str>>,
}

impl<'a> TextFrom<'a> {
    fn new(t: &'a [u8]) -> Self {
        TextFrom {
            t,
            whole: std::cell::OnceCell::new(),
        }
    }

    fn at(&self, vs: usize) -> Option<&'a str> {
        let Some(s) = *self
            .whole
            .get_or_init(|| simdutf8::basic::from_utf8(self.t).ok())
        else {
            // Not UTF-8 throughout: each offset read on its own as before.
            return text_from(self.t, vs);
        };
        if vs > s.len() {
            return None;
        }
        // Inside a character: nothing valid starts there.
        if !s.is_char_boundary(vs) {
            return Some("");
        }
        let mut end = s.len().min(vs + 600);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.get(vs..end)
    }
}

/// The number before a label in brackets at `t[ls..le]` (`K58213907(护照)`, with a space
/// before the bracket or not; normalization folded `（）`): the ASCII letters and digits
/// that end there, when something else (or the start) comes before them.
fn number_before_bracketed_label(t: &[u8], ls: usize, le: usize) -> Option<(usize, usize)> {
    if t.get(le) != Some(&b')') || ls == 0 || t[ls - 1] != b'(' {
        return None;
    }
    let mut ve = ls - 1;
    while ve > 0 && t[ve - 1] == b' ' {
        ve -= 1;
    }
    let mut vs = ve;
    while vs > 0 && t[vs - 1].is_ascii_alphanumeric() {
        vs -= 1;
    }
    (vs < ve).then_some((vs, ve))
}

/// `证件类型台胞证，证件号码27801500`, `持护照、证件号码：E12345678`: after a document's kind
/// ending at `le`, its item's end (a comma or a space), a generic number label and the
/// number (letters and digits, one space or hyphen between digits at most). Returns the
/// number's span.
fn number_after_type_word(t: &[u8], from: &TextFrom<'_>, le: usize) -> Option<(usize, usize)> {
    let rest = &t[le..];
    let sep = ["，", "、", ",", " "]
        .iter()
        .find(|p| rest.starts_with(p.as_bytes()))?;
    let mut i = le + sep.len();
    while t.get(i) == Some(&b' ') {
        i += 1;
    }
    let label = ["证件号码", "证件编号", "证件号", "号码"]
        .iter()
        .find(|l| t[i..].starts_with(l.as_bytes()))?;
    i += label.len();
    while matches!(t.get(i), Some(b' ' | b':')) {
        i += 1;
    }
    for copula in ["为", "是"] {
        if t[i..].starts_with(copula.as_bytes()) {
            i += copula.len();
            break;
        }
    }
    let vs = i;
    let ve = vs + doc_number_run(from.at(vs)?).len();
    (ve > vs).then_some((vs, ve))
}

/// A document number at the start of `rest`: its letters and digits; a run of digits alone
/// is read past one space or hyphen before more digits while the whole stays within 11
/// characters (`32 364978`, `345490-6601`; not `12345678 2024`, a number and a year, nor
/// `XE1234 5678`, letters glued to a Chinese passport's grouped number).
fn doc_number_run(rest: &str) -> &str {
    let run = alnum_run(rest);
    let b = rest.as_bytes();
    let n = run.len();
    if n > 0
        && matches!(b.get(n), Some(b' ' | b'-'))
        && run.bytes().all(|c| c.is_ascii_digit())
        && b.get(n + 1).is_some_and(u8::is_ascii_digit)
    {
        let more = alnum_run(&rest[n + 1..]).len();
        if n + 1 + more <= 11 {
            return &rest[..n + 1 + more];
        }
    }
    run
}

/// A Taiwan permit's number at the start of `rest`, as [`doc_number_run`] reads a number
/// but with the permit's own `T` before its digits (`T50948 838`: a letter in front kept
/// the digits from their next group), and with up to four groups, each set apart by a
/// hyphen, a space or two spaces (a form printed with wide gaps, an ideographic space
/// folded to one: `T2326  338  0`), while the digits stay within ten; a group that would
/// take them past ten is another number (`12345678 2024`, a number and a year).
fn taiwan_permit_run(rest: &str) -> &str {
    let b = rest.as_bytes();
    let lead = usize::from(b.first() == Some(&b'T') && b.get(1).is_some_and(u8::is_ascii_digit));
    let first = alnum_run(&rest[lead..]).len();
    let mut end = lead + first;
    if first == 0 || !b[lead..end].iter().all(u8::is_ascii_digit) {
        return doc_number_run(rest);
    }
    let (mut digits, mut groups) = (first, 1);
    while groups < 4 {
        let sep = match (b.get(end), b.get(end + 1)) {
            (Some(b' '), Some(b' ')) => 2,
            (Some(b' ' | b'-'), _) => 1,
            _ => break,
        };
        let g = b[(end + sep).min(b.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        let glued = b.get(end + sep + g).is_some_and(u8::is_ascii_alphanumeric);
        if g == 0 || glued || digits + g > 10 {
            break;
        }
        end += sep + g;
        digits += g;
        groups += 1;
    }
    &rest[..end]
}

fn alnum_run(rest: &str) -> &str {
    let n = rest.bytes().take_while(u8::is_ascii_alphanumeric).count();
    &rest[..n]
}

/// The Han characters (and `·`) at the start of `rest`.
fn name_run(rest: &str) -> &str {
    let han = |s: &str| -> usize {
        s.chars()
            .take_while(|&c| is_cjk(c) || is_part_dot(c))
            .map(char::len_utf8)
            .sum()
    };
    let n = han(rest);
    // A name padded for alignment (`杨　建国`, `欧 阳娜娜`; the ideographic space is folded
    // to a space): one space after one or two characters, two to four in all, is part of it.
    let first = rest[..n].chars().count();
    if (1..=2).contains(&first) && rest[n..].starts_with(' ') {
        let m = han(&rest[n + 1..]);
        let total = first + rest[n + 1..n + 1 + m].chars().count();
        if m > 0 && (2..=4).contains(&total) {
            return &rest[..n + 1 + m];
        }
    }
    &rest[..n]
}

/// Free text up to the next delimiter (comma, semicolon, full stop, line end…).
fn delimited(rest: &str) -> &str {
    let n: usize = rest
        .chars()
        .take_while(|&c| !matches!(c, ',' | ';' | '\n' | '\r' | '\t' | '。' | '、' | '|' | '"'))
        .map(char::len_utf8)
        .sum();
    rest[..n].trim_end()
}

/// A run of Han characters that ran into the next label (`张伟性别` before `：男`): the longest
/// name that leaves at least two characters for that label.
fn name_before_label(run: &str) -> &str {
    let bounds: Vec<usize> = run.char_indices().map(|(i, _)| i).collect();
    for take in (2..=4).rev() {
        if bounds.len() >= take + 2 {
            let cand = &run[..bounds[take]];
            if person_name(cand).is_some() {
                return cand;
            }
        }
    }
    run
}

/// Where a report's label at the start of a line is set apart from its value by a tab or a
/// run of spaces instead of a colon (`联系人          曾丽`, `住址<TAB>北京市…`, a form printed
/// in aligned columns): the gap's first byte, which the `label: value` loop then reads as
/// the colon. The label is the whole line before the gap, Han characters only (2 to 12) or
/// an ASCII field name (`xingming<TAB>杨冬梅`: a letter, then letters, digits or `_`, up to
/// 32), so a sentence with two spaces in it is none; the loop still asks that it be a known
/// label. A line of more cells, or whose other cell names a field too (`姓名<TAB>家庭住址`),
/// is a table's row or header (`table.rs` reads those), not a label and its value.
pub(crate) fn aligned_label_gaps<'a>(
    d: &'a Detectors,
    t: &'a [u8],
) -> impl Iterator<Item = usize> + 'a {
    // (One vector pass for both kinds of gap: a searcher for the two spaces would be built
    // for every value a field rule reads.)
    memchr::memchr2_iter(b'\t', b' ', t)
        .filter(move |&p| {
            t[p] == b'\t' || (t.get(p + 1) == Some(&b' ') && p > 0 && t[p - 1] != b' ')
        })
        .filter(move |&p| {
            let ls = memchr::memrchr(b'\n', &t[..p]).map_or(0, |n| n + 1);
            let label = t[ls..p].trim_ascii_start();
            // (Or spaced out, `姓 名  刘秀荣`, `家 庭 住 址  辽宁省…`: one character each
            // between single spaces, as an OCR'd or typeset form prints it.)
            let spaced = || {
                (7..=47).contains(&label.len())
                    && label[label.len() - 4] == b' '
                    && super::spaced_label_start(t, p - 3) == p - label.len()
            };
            let han = ((6..=36).contains(&label.len())
                && label.iter().all(|&b| b >= 0x80)
                && std::str::from_utf8(label).is_ok_and(|l| l.chars().all(is_cjk)))
                || spaced();
            let ascii = (2..=32).contains(&label.len())
                && label[0].is_ascii_alphabetic()
                && label
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || b == b'_');
            if !han && !ascii {
                return false;
            }
            let le = memchr::memchr(b'\n', &t[p..]).map_or(t.len(), |n| p + n);
            let rest = t[p..le].trim_ascii();
            !rest.contains(&b'\t')
                && memchr::memmem::find(rest, b"  ").is_none()
                && !std::str::from_utf8(rest).is_ok_and(|v| names_a_field(d, v))
        })
}

/// The label that ends at `le` as a form or a report prints it otherwise, when it does:
/// spaced out to the width of a longer one (`姓 名`, `住  址`: spaces between Han
/// characters dropped), numbered (`姓名1`, `地址2`: the number dropped) or with a note in
/// brackets (`姓名（中文）`, `地址(详细)`: the note dropped). `None` when none of these shows,
/// so most colons cost one look at the byte before them.
fn label_spelling(t: &[u8], le: usize) -> Option<Vec<u8>> {
    let last = *t.get(le.checked_sub(1)?)?;
    let spaced = le >= 7 && t[le - 4] == b' ' && t[le - 1] >= 0x80;
    if !(last == b')' || last.is_ascii_digit() || spaced || t[..le].ends_with("）".as_bytes())) {
        return None;
    }
    let from = le.saturating_sub(48);
    let from = memchr::memrchr(b'\n', &t[from..le]).map_or(from, |n| from + n + 1);
    let mut left = &t[from..le];
    // A note in brackets, up to six characters.
    for (open, close) in [("(", ")"), ("（", "）")] {
        if let Some(head) = left.strip_suffix(close.as_bytes()) {
            if let Some(p) = memchr::memmem::rfind(head, open.as_bytes()) {
                if head.len() - p <= 20 {
                    left = head[..p].trim_ascii_end();
                }
            }
        }
    }
    // A number after the label (one or two digits after a Han character).
    let digits = left.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    if (1..=2).contains(&digits) && left.len() > digits && left[left.len() - digits - 1] >= 0x80 {
        left = &left[..left.len() - digits];
    }
    // Spaces between Han characters.
    let mut out = Vec::with_capacity(left.len());
    for (i, &b) in left.iter().enumerate() {
        let between = b == b' '
            && out.last().is_some_and(|&c| c >= 0x80)
            && left[i + 1..]
                .iter()
                .find(|&&c| c != b' ')
                .is_some_and(|&c| c >= 0x80);
        if !between {
            out.push(b);
        }
    }
    (out.as_slice() != &t[from..le]).then_some(out)
}

/// A value that runs on into the next `label:` pair on the same line (`…100号 身份证号码：…`,
/// `…100号身份证号码：…`), or into a log's next `key=value` pair (`住址=…174116
/// sourceCode=9161…`), ends before that label: at the last space before the next colon or
/// equals sign, or else before the longest known label the text before it ends with.
fn cut_at_next_label<'a>(d: &Detectors, v: &'a str) -> &'a str {
    let v = cut_at_spaced_label(d, v);
    let Some(colon) = v.find([':', '=']) else {
        return v;
    };
    let head = v[..colon].trim_end();
    if let Some(sp) = head.rfind(' ') {
        return head[..sp].trim_end();
    }
    let strip = d
        .known_labels
        .ending(head.as_bytes())
        .filter(|l| l.len() < head.len() && head.as_bytes().ends_with(l))
        .map(<[u8]>::len)
        .max()
        .unwrap_or(0);
    // A label is whole UTF-8, so what it leaves ends on a character boundary.
    head[..head.len() - strip].trim_end()
}

/// An address in free text ends at a space after one of its units (`…麓山南路2号 订单号
/// DD2023… 金额 100.00 元`): what follows the space continues it only as another unit of
/// the same place (`建国路88号 3号楼2单元`, `幸福里小区12号 5栋`), or as its postcode.
fn address_end_at_space(v: &str) -> &str {
    const UNITS: &str = "号室户层楼座栋幢弄组院村";
    for (sp, _) in v.match_indices(' ') {
        let head = v[..sp].trim_end();
        if !head.chars().last().is_some_and(|c| UNITS.contains(c)) {
            continue;
        }
        let token = v[sp..].trim_start().split(' ').next().unwrap_or("");
        let rest = token.trim_start_matches(|c: char| {
            c.is_ascii_alphanumeric() || "一二三四五六七八九十零〇甲乙丙丁-#".contains(c)
        });
        // Or a postcode, which the address's own format puts after it (`…c座 546281`).
        let postcode = token.len() == 6 && token.bytes().all(|b| b.is_ascii_digit());
        let continues = postcode
            || (rest.len() < token.len()
                && rest.starts_with(|c: char| "号栋幢楼单元层室座户".contains(c)));
        if !continues {
            return head;
        }
    }
    v
}

/// An address hard-wrapped after its label (`家庭住址：北京市朝阳区建国⏎路88号院5号楼`, a
/// report typed or exported with fixed-width lines): the value `v` (a prefix of `rest`, the
/// text from the value's start) ran to its line's end, and the next line goes on with the
/// address's own parts: it opens with a Han character or a digit, holds a numbered unit
/// early on, and no label of its own (`cut_at_next_label` cuts one). Returns the
/// value with the wrapped line (the break inside it), or `v` when the next line is none of it.
/// (The break is a separator to a mask, which keeps it: the text's lines stay as they were.)
fn address_wrapped<'a>(d: &Detectors, rest: &'a str, v: &'a str) -> &'a str {
    const UNITS: &str = "号栋幢楼单室层座弄组";
    let after = &rest[v.len()..];
    let gap = after.len() - after.trim_start_matches([' ', '\t']).len();
    let brk = if after[gap..].starts_with("\r\n") {
        2
    } else if after[gap..].starts_with('\n') {
        1
    } else {
        return v;
    };
    // The line before must end inside the address (a Han character or a digit), not after a
    // sentence's or a list's mark.
    if !v
        .chars()
        .next_back()
        .is_some_and(|c| is_cjk(c) || c.is_ascii_alphanumeric())
    {
        return v;
    }
    let line = &after[gap + brk..];
    if !line
        .chars()
        .next()
        .is_some_and(|c| is_cjk(c) || c.is_ascii_digit())
    {
        return v;
    }
    let tail = cut_at_next_label(d, delimited(line));
    if tail.chars().count() > 40 || d.known_labels.is_label(tail.as_bytes()) {
        return v;
    }
    // The break must fall inside the address's own sequence of parts: inside a house number
    // (`…世纪大道100⏎号3栋`), between a street or a unit and a number (`…建国路⏎88号`,
    // `…88号⏎5号楼`), or before a street's last character and its number (`…建国⏎路88号`,
    // `…88号⏎院5号楼`). A district then a number (`…朝阳区⏎2号线`) or a word before one
    // (`⏎第3号文件`, `⏎同意3号方案`) is no part of it.
    const STREETS: &str = "路街道巷弄院里村苑园庄屯湾坊";
    // A number and its unit, then the address going on or ending: a digit, a letter, another
    // unit, a courtyard (`5号楼`, `3栋201室`, `88号院`, `8号A座`), not a word (`2号文件`,
    // `1号线`, `1号床`).
    let goes_on = |s: &str| {
        s.chars()
            .next()
            .is_none_or(|c| c.is_ascii_alphanumeric() || "号栋幢楼单元室层座院户".contains(c))
    };
    let numbered = |s: &str| {
        let n = s.bytes().take_while(u8::is_ascii_digit).count();
        n > 0
            && s[n..]
                .chars()
                .next()
                .is_some_and(|u| UNITS.contains(u) && goes_on(&s[n + u.len_utf8()..]))
    };
    let last = v.chars().next_back().unwrap_or(' ');
    let continues = match tail.find(|c: char| c.is_ascii_digit()) {
        _ if last.is_ascii_digit() => tail
            .chars()
            .next()
            .is_some_and(|u| UNITS.contains(u) && goes_on(&tail[u.len_utf8()..])),
        Some(0) => (STREETS.contains(last) || UNITS.contains(last)) && numbered(tail),
        Some(k) => {
            let lead = &tail[..k];
            lead.chars().count() <= 3
                && lead.chars().all(is_cjk)
                && lead
                    .chars()
                    .next_back()
                    .is_some_and(|c| STREETS.contains(c))
                && numbered(&tail[k..])
        }
        None => false,
    };
    if !continues {
        return v;
    }
    let end = v.len() + gap + brk + tail.len();
    &rest[..end]
}

/// An address in a sentence ends after its last numbered unit when only words follow
/// (`…2单元501室楼下餐馆油烟扰民`, `…华阳街200号附近被撞伤`): the unit after the last number
/// of the address (`号`, `室`, `栋`, `单元`…), or after the room number that follows it (`…8栋1280
/// 附近`).
fn address_end_at_unit(v: &str) -> &str {
    const UNITS: &str = "号室户层楼座栋幢弄组元";
    // A public service hall after the number (`…学府路3号行政服务中心，`) is the building
    // the address names, not words after it: kept, for [`address`] to see whose it is.
    if public_service_hall(v) {
        return v;
    }
    let mut end = None;
    let mut prev_digit = false;
    // Where the last letter or digit ends: a room's number after the last unit
    // (`…8栋1280附近被车辆刮蹭`) ends the address when words follow it.
    let mut last_alnum = 0;
    for (i, c) in v.char_indices() {
        // A vehicle's plate after the address (`…1901室附近被车牌号川K0FL55的车辆刮蹭`, a
        // police narrative) is no room of it: its digits must not carry the address on past
        // its last unit, which would leave no end near the house number and so no address.
        if plate_at(&v[i..]) || v[i..].starts_with("车牌") || v[i..].starts_with("号牌") {
            break;
        }
        // A number, or a letter numbering a building (`B座`, `A栋`). Digits after the last
        // unit are a room's number (`2单元1201`) and the address goes on; letters are a
        // building's name or a word (`88号的SOHO现代城今日开业`), which a unit must follow.
        if c.is_ascii_alphanumeric() {
            prev_digit = true;
            last_alnum = i + 1;
            if c.is_ascii_digit() {
                end = None;
            }
            continue;
        }
        if prev_digit && UNITS.contains(c) {
            end = Some(i + c.len_utf8());
        }
        prev_digit = false;
    }
    match end {
        // `3号楼`, `88号院`: a building named by its number is still the address.
        Some(e) => {
            let more = match v[e..].chars().next() {
                Some(c) if v[..e].ends_with('号') && "楼院栋幢座".contains(c) => c.len_utf8(),
                _ => 0,
            };
            &v[..e + more]
        }
        // (Unless a unit follows it after all: a flat's `单元` of an office tower, `1501单元`,
        // which `UNITS` knows by its last character, or a unit the loop stopped before.)
        None if last_alnum > 0
            && !v[last_alnum..].starts_with(|c| c == '单' || UNITS.contains(c)) =>
        {
            &v[..last_alnum]
        }
        None => v,
    }
}

/// Whether `t` ends with a village's group and its number (`李家村3组`, `后屯村11组`): a
/// rural home's house number follows a 村民小组, as a town's follows a street.
/// Returns where the group's number starts (right after `村`).
fn village_group(t: &[u8]) -> Option<usize> {
    let t = t.strip_suffix("组".as_bytes())?;
    let digits = t.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    let at = t.len() - digits;
    ((1..=2).contains(&digits) && t[..at].ends_with("村".as_bytes())).then_some(at)
}

/// Whether `v` starts with a licence plate's shape: a province's one-character abbreviation,
/// a capital letter and five or six letters and digits (`川K0FL55`, `粤B12345D`). A building
/// named with such a character (`新B区`) has no run of five after its letter.
fn plate_at(v: &str) -> bool {
    let mut cs = v.chars();
    cs.next().is_some_and(dict::is_plate_province)
        && cs.next().is_some_and(|c| c.is_ascii_uppercase())
        && cs.take(5).filter(char::is_ascii_alphanumeric).count() == 5
}

/// The words a name in a narrative runs into (`张伟反映`, `申请人刘雷于…`), tried in this
/// order ([`verb_at`]).
const AFTER: &[&str] = &[
    "反映", "来电", "致电", "称", "诉称", "表示", "提交", "提出", "投诉", "举报", "咨询", "要求",
    "申请", "询问", "报称", "报警", "求助", "女士", "先生", "同志",
    // `申请人刘雷于2024年3月…`: when, in an official document's sentence.
    "于",
    // What a narrative says the person did or was (`嫌疑人尉迟丽丽今年45岁`,
    // `被告人王敏等三人`, `驾驶人司徒淑华系本市户籍`, `旅客陈军持居民身份证…`,
    // `患者冯丽娟在现场…`).
    "系", "等", "自述", "办理", "入住", "出境", "乘坐", "就诊", "今年", "持", "在", "因", "到",
    "向", "被", "已", "将", "经", "与", "和", "现", "曾", "也", "说", "及",
    // Whose (`申请人王建国的材料`, `患者李秀英的病历`): many words open with a surname
    // character before `的` too (`当事人方面的`, `乘客安全的`), so it is a weak end.
    "的",
    // When, after, towards what and what else (`询问赵磊时`, `约谈孙丽后`, `当事人李秀英对处理
    // 结果`, `约谈张梅并下达`), after a lead-in verb or a role word: weak ends too (`同时`,
    // `以后`, `对比`, `合并`).
    "时", "后", "对", "并",
    // A gender with no comma, in a remark typed without punctuation (`信访人黄颖男现住…`);
    // a given name with 男 in it (`王胜男现住`) is tried whole first, as the longer name.
    "男", "女",
    // The person themselves, or with their household (`经核实，王建国本人已到场`,
    // `户主李秀英一家`, `申请人张伟夫妇`).
    "本人", "夫妇", "一家",
];
/// [`AFTER`] grouped by first character, sorted, each group in `AFTER`'s order: a lookup
/// reads the one group that can match instead of comparing all sixty words (two percent of
/// the scan of a body of records with remarks).
static AFTER_BY_FIRST: std::sync::LazyLock<Vec<(char, Vec<&'static str>)>> =
    std::sync::LazyLock::new(|| {
        let mut groups: Vec<(char, Vec<&'static str>)> = Vec::new();
        for &w in AFTER {
            let Some(c) = w.chars().next() else { continue };
            match groups.iter_mut().find(|(g, _)| *g == c) {
                Some((_, ws)) => ws.push(w),
                None => groups.push((c, vec![w])),
            }
        }
        groups.sort_by_key(|(c, _)| *c);
        groups
    });

/// The first word of [`AFTER`] that `rest` starts with.
fn verb_at(rest: &str) -> Option<&'static str> {
    let c = rest.chars().next()?;
    let groups = &*AFTER_BY_FIRST;
    let i = groups.binary_search_by_key(&c, |(g, _)| *g).ok()?;
    groups[i].1.iter().find(|w| rest.starts_with(**w)).copied()
}

/// A run of Han characters that ran into what the person did (`刘斌反映物业乱收费`,
/// `周海燕提交申请`, `桂丽华女士来电`, `患者张倩向工作人员说明`): the longest name of two to
/// four characters that a reporting verb, a courtesy title or a one-character verb follows,
/// or a minority name in parts (`阿依古丽·买买提自述…`) up to the first verb after its last
/// part.
fn name_before_verb(run: &str) -> Option<&str> {
    if let Some(dot) = run.find(is_part_dot) {
        // A name in parts, in transliteration syllables: its last part is two to five
        // characters before the verb or `的` (`…·艾山的材料`), which no such part ends with.
        let last_dot = run.rfind(is_part_dot).unwrap_or(dot);
        let last = &run[last_dot + NAME_DOT.len()..];
        let name = last
            .char_indices()
            .skip(2)
            .take(4)
            .map(|(i, _)| i)
            .find(|&i| verb_at(&last[i..]).is_some())
            .map(|i| &run[..run.len() - last.len() + i])
            .filter(|name| dict::transliterated_name(name));
        if name.is_some() {
            return name;
        }
        // Else a Han name may stand before the dot (`患者张伟在北京·朝阳医院`).
        return name_before_verb(&run[..dot]);
    }
    (2..=4).rev().find_map(|take| {
        let (at, _) = run.char_indices().nth(take)?;
        let (name, rest) = run.split_at(at);
        let verb = verb_at(rest)?;
        // `等` and `系` also open and close words (`信用等级`, `马上联系`, `系统`).
        let after = rest[verb.len()..].chars().next();
        let last = name.chars().next_back();
        let word = match verb {
            "等" => after.is_some_and(|c| "级候待同于额次值".contains(c)),
            "系" => {
                last.is_some_and(|c| "联关体维派院谱".contains(c))
                    || after.is_some_and(|c| "统列数".contains(c))
            }
            _ => false,
        };
        // The one-character verbs of narratives also end many words that open with a
        // surname character (`权益受到`, `安全感持续`, `成绩将于`), and `于` a date after
        // any noun (`房屋于2019年`): before them the name must be made of name characters.
        // (称, 系 and 等 follow people.)
        let weak = verb.chars().nth(1).is_none() && !matches!(verb, "称" | "系" | "等");
        // Before a verb of two characters (`反映`, `本人`), asked only after a person's
        // label: a name of two surnames (`孔余国庆`, `马张建国`), judged as under a
        // person's field (the generic judgement takes one surname and two given
        // characters at most), and a name whose given name opens with a narrative verb's
        // character (`冯向阳`: 向 cannot be the verb, a surname alone names nobody).
        let strong = !weak && verb.chars().nth(1).is_some();
        let shaped = plausible_name(name)
            || (strong && (dict::double_surname_name(name) || verb_inside_name(name)));
        (!word && shaped && (!weak || dict::common_given_name(name))).then_some(name)
    })
}

/// The one-character verbs a name in a narrative runs into (`张燕也表示`, `周琨于8月`).
/// (`的` is none, but no name ends with it either: `当事人厍欢的名下房产`.)
const NARRATIVE_VERBS: &str = "持在因到向被已将经与现曾也说及称于系等的时后对并";

/// A name of a common surname and a given name of two whose first is a narrative verb's
/// character and whose second a name character (`冯向阳`, `王在明`): before a verb of two
/// characters, that character cannot be the verb (the surname alone would be the name).
fn verb_inside_name(name: &str) -> bool {
    let mut cs = name.chars();
    match (cs.next(), cs.next(), cs.next(), cs.next()) {
        (Some(s), Some(v), Some(_), None) => {
            !NARRATIVE_VERBS.contains(s)
                && NARRATIVE_VERBS.contains(v)
                && dict::common_surname_name(name)
                && !dict::everyday_word(name)
        }
        _ => false,
    }
}

/// A run taken for a name after a role word: name-shaped, with no narrative verb after its
/// first character (`房屋于`, `方已`, `张燕也` are a word or a name with its verb), and made
/// of name characters when it starts with one (`向银行申请`: 向 is a surname and a verb).
fn plausible_name(name: &str) -> bool {
    let mut chars = name.chars();
    let first = chars.next();
    person_name(name).is_some()
        && !dict::everyday_word(name)
        && !chars.any(|c| NARRATIVE_VERBS.contains(c))
        && (!first.is_some_and(|c| NARRATIVE_VERBS.contains(c)) || dict::common_given_name(name))
}

/// A value that runs on into the next label written without a colon, set apart by a space
/// (`…5单元2733室 号牌号码 黑C08178 电子邮箱 …`, a form pasted as text): ends before that
/// space.
fn cut_at_spaced_label<'a>(d: &Detectors, v: &'a str) -> &'a str {
    for (sp, _) in v.match_indices(' ') {
        let next = v[sp..].trim_start_matches(' ').as_bytes();
        if d.known_labels.starting(next).any(|l| next.starts_with(l)) {
            return v[..sp].trim_end();
        }
    }
    v
}

/// A run of Han characters that ran into the next label with no colon (`联系人张伟电话138…`):
/// the name before the longest known label it ends with, when two to four characters are left.
fn name_before_glued_label<'a>(d: &Detectors, run: &'a str) -> Option<&'a str> {
    let strip = d
        .known_labels
        .ending(run.as_bytes())
        .filter(|l| l.len() < run.len() && run.as_bytes().ends_with(l))
        .map(<[u8]>::len)
        .max()?;
    // (`张伟 性别`: a space before the label is no part of the name.)
    let name = run[..run.len() - strip].trim_end();
    (2..=4).contains(&name.chars().count()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::{
        address, address_end_at_unit, doc_number_run, road_junction, taiwan_permit, text_from,
        verb_at, TextFrom, AFTER,
    };

    /// A road junction, to its corner at most, is a place in the street; a home near it
    /// (a building, a room, a number after or before it) stays an address.
    #[test]
    fn a_road_junction_is_no_home() {
        for v in [
            "海口市广州路与覃路交叉口东北角",
            "长沙市岳麓区麓山南路与新民路交汇处附近",
            "杭州市西湖区文三路与教工路十字路口",
        ] {
            assert!(road_junction(v), "{v}");
            assert_eq!(address(v, true), None, "{v}");
        }
        for v in [
            "海口市广州路与覃路交叉口东北角美兰小区3栋501室",
            "海口市广州路88号与覃路交叉口",
            "长沙市岳麓区麓山南路与新民路交汇处附近的桃子湖小区",
            "北京市朝阳区建国路88号",
            // One road's name before `路口`, no second road: a place named so, where people
            // live (review 13).
            "北京市朝阳区建国路口。",
            "湖南省邵阳市隆回县桃洪镇大路口",
        ] {
            assert!(!road_junction(v), "{v}");
        }
        // (Conservative: a street named for a compound's character, `学院路`, keeps it.)
        assert!(!road_junction("杭州市西湖区文三路与学院路十字路口"));
        assert!(address("海口市广州路与覃路交叉口东北角美兰小区3栋501室", false).is_some());
    }

    /// An address ends at its last unit; digits after it are a room's number and go with it,
    /// a word in letters (a building's name, a shop's) does not.
    #[test]
    fn an_address_ends_at_its_last_unit() {
        for (v, want) in [
            (
                "北京市朝阳区建国路88号的SOHO现代城今日开业",
                "北京市朝阳区建国路88号",
            ),
            (
                "北京市朝阳区建国路88号SOHO现代城3号楼",
                "北京市朝阳区建国路88号SOHO现代城3号楼",
            ),
            (
                "北京市朝阳区建国路88号院2单元1201",
                "北京市朝阳区建国路88号院2单元1201",
            ),
            ("北京市朝阳区建国路88号B座", "北京市朝阳区建国路88号B座"),
            ("北京市朝阳区建国路", "北京市朝阳区建国路"),
            // A room's number after the last unit, then words, then a vehicle's plate.
            (
                "湖北省武汉市洪山区何街197号院8栋1280附近被车辆刮蹭",
                "湖北省武汉市洪山区何街197号院8栋1280",
            ),
            (
                "湖北省武汉市洪山区何街197号院8栋1280附近被车牌号新ND60083的车辆刮蹭",
                "湖北省武汉市洪山区何街197号院8栋1280",
            ),
            (
                "江苏省南京市鼓楼区钟路452号24号楼4单元1901室附近被川K0FL55的车辆刮蹭",
                "江苏省南京市鼓楼区钟路452号24号楼4单元1901室",
            ),
            (
                "江苏省南京市鼓楼区钟路452号新B区3栋",
                "江苏省南京市鼓楼区钟路452号新B区3栋",
            ),
        ] {
            assert_eq!(address_end_at_unit(v), want, "{v}");
        }
    }

    /// The grouped lookup finds what trying every word in order finds: the longer word
    /// where two share a first character (`女士` before `女`), and nothing for a character
    /// that opens no word.
    #[test]
    fn verbs_by_first_character_are_every_verb_tried() {
        let linear = |rest: &str| AFTER.iter().find(|w| rest.starts_with(**w)).copied();
        let mut rests: Vec<String> = Vec::new();
        for w in AFTER {
            for tail in ["", "士", "称", "材料", "年45岁", "x"] {
                rests.push(format!("{w}{tail}"));
                // Its first character alone, then something else.
                let c = w.chars().next().unwrap_or('?');
                rests.push(format!("{c}{tail}"));
            }
        }
        rests.extend(["", "x", "张伟", "称", "女", "女士来电", "诉", "报"].map(String::from));
        for rest in &rests {
            assert_eq!(verb_at(rest), linear(rest), "{rest}");
        }
        assert_eq!(verb_at("女士来电"), Some("女士"));
    }

    #[test]
    fn taiwan_permits_are_eight_or_ten_digits() {
        for v in [
            "12345678",
            "1234567801",
            "T12345678",
            "32 364978",
            "345490-6601",
            "1234 5678 90",
            "37 620 450",
            // Two spaces are one separator (a form printed with wide gaps, OCR output).
            "12  345678",
            "T2326  338  0",
            // No date: a month 13 or a day 99; ten digits are never read as a date.
            "19561399",
            "2024081599",
        ] {
            assert!(taiwan_permit(v).is_some(), "{v}");
        }
        for v in [
            "H12345678",
            "C12345678",
            "M1234567801",
            "123456789",
            "1234567",
            "12345678901",
            "2024-01-01",
            "20230815",
            "19991231",
            "2024-0156",
            "-12345678",
            "12345678-",
            "1 2 3 4 5678",
            "12   345678",
            "12 - 345678",
            "2024 01 01",
            "",
        ] {
            assert!(taiwan_permit(v).is_none(), "{v}");
        }
    }

    #[test]
    fn document_numbers_run_past_one_separator_between_digits() {
        for (rest, run) in [
            ("32 364978，", "32 364978"),
            ("345490-6601）", "345490-6601"),
            ("12345678 2024年", "12345678"),
            ("XE1234 5678", "XE1234"),
            ("E12345678 ", "E12345678"),
            ("12-", "12"),
            ("，", ""),
        ] {
            assert_eq!(doc_number_run(rest), run, "{rest}");
        }
    }

    /// A Taiwan permit's number after its label: its `T` kept with the digits, up to four
    /// groups set apart by a hyphen, a space or two, while the digits stay within ten.
    #[test]
    fn taiwan_permit_runs_keep_the_t_and_wide_groups() {
        for (rest, run) in [
            ("T50948 838。", "T50948 838"),
            ("T2326  338  0\n", "T2326  338  0"),
            ("1234 5678 90 HTTP", "1234 5678 90"),
            ("12345678 2024年", "12345678"),
            ("45349293 HTTP/1.1", "45349293"),
            ("12345678 12ab", "12345678"),
            ("T1234   5678", "T1234"),
            ("TX1234", "TX1234"),
            ("32 364978，", "32 364978"),
        ] {
            assert_eq!(super::taiwan_permit_run(rest), run, "{rest}");
        }
    }

    /// `TextFrom::at` must give what `text_from` gives at every offset: on text that is
    /// UTF-8 throughout (cut from one validation), on text with a stray byte (read offset
    /// by offset), at offsets inside a character, and where the 600-byte bound cuts one.
    #[test]
    fn text_from_once_is_text_from_at_every_offset() {
        let han = "姓名：张伟，住址北京市朝阳区建国路88号。".repeat(40);
        let mut stray = han.clone().into_bytes();
        stray.insert(700, 0xFF);
        let bodies: [&[u8]; 4] = [han.as_bytes(), &stray, "ab\u{3000}c１２".as_bytes(), b""];
        for t in bodies {
            let once = TextFrom::new(t);
            for vs in 0..=t.len() {
                assert_eq!(once.at(vs), text_from(t, vs), "offset {vs}");
            }
        }
    }
}
