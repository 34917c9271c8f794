//! Check-digit and shape validators for the identifiers Sluice detects: resident identity numbers
//! (GB 11643), unified social credit codes (GB 32100) and the organization codes inside them
//! (GB 11714), bank cards (IIN prefix + Luhn), mainland mobile and landline numbers, and IPv4
//! addresses. Detectors find candidates by shape and call these to throw out the long numbers that
//! merely look right (order numbers, snowflake ids, timestamps); a checksum is what turns a noisy
//! regex into a usable rule.
//!
//! Every function here runs on every candidate in the hot path and on bytes that came off the
//! network, so they take `&[u8]`, never allocate, and never panic: all indexing goes through
//! length checks, pattern matches or `get`.

/// GB 11643-1999 weights for the first 17 digits (2^(17-i) mod 11).
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// GB 11643-1999 check characters, indexed by the weighted sum mod 11.
const ID_CHECK: &[u8; 11] = b"10X98765432";

/// Birth years accepted in an 18-digit resident id: from [`ID_MIN_YEAR`], the oldest living
/// holders, to the current year ([`current_year`]), since ids are issued to newborns and a
/// later year cannot be a birth date (`420106203006155495` is a serial number). A fixed upper
/// bound let four years of such numbers through, and would have turned newborns away once
/// passed.
const ID_MIN_YEAR: u32 = 1900;
/// The earliest year [`current_year`] answers: a clock left at the epoch must not turn every
/// id born since 1970 away.
const YEAR_FLOOR: u32 = 2026;

/// The current year in China (UTC+8), never before [`YEAR_FLOOR`].
pub fn current_year() -> u32 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // Days since 1970-01-01 in UTC+8, then the civil year (Hinnant's `civil_from_days`).
    let z = (secs + 8 * 3600) / 86_400 + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let year = yoe + era * 400 + u64::from(mp >= 10);
    u32::try_from(year).unwrap_or(u32::MAX).max(YEAR_FLOOR)
}

/// Whether `year` can be an id holder's birth year. The current year is read once and again
/// only when a later year comes: most numbers pass on the first comparison, and a process
/// that runs past New Year's Eve still takes the newborns of the new year.
fn birth_year(year: u32) -> bool {
    use std::sync::atomic::{AtomicU32, Ordering};
    static KNOWN: AtomicU32 = AtomicU32::new(YEAR_FLOOR);
    if year < ID_MIN_YEAR {
        return false;
    }
    if year <= KNOWN.load(Ordering::Relaxed) {
        return true;
    }
    let now = current_year();
    KNOWN.fetch_max(now, Ordering::Relaxed);
    year <= now
}

/// GB 32100-2015 alphabet: digits and the uppercase letters without I, O, S, V, Z.
const USCC_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// GB 32100-2015 weights for the first 17 characters (3^i mod 31).
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
/// Marks a byte outside the USCC alphabet in [`USCC_VALUE`].
const NOT_USCC: u8 = u8::MAX;
/// Byte → USCC character value, built at compile time so the hot loop is one table load per byte.
const USCC_VALUE: [u8; 256] = {
    let mut table = [NOT_USCC; 256];
    let mut i = 0;
    while i < USCC_ALPHABET.len() {
        table[USCC_ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// GB 11714-1997 organization code weights for the 8 body characters.
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// Value of an ASCII digit.
#[inline]
fn digit(b: u8) -> Option<u32> {
    if b.is_ascii_digit() {
        Some(u32::from(b - b'0'))
    } else {
        None
    }
}

/// Decimal value of a short run of ASCII digits; `None` if any byte is not a digit.
#[inline]
fn number(digits: &[u8]) -> Option<u32> {
    digits
        .iter()
        .try_fold(0u32, |acc, &b| Some(acc * 10 + digit(b)?))
}

/// True if `six` is a GB/T 2260 division code: a province, prefecture or county of the
/// statistics bureau's lists of 2015 or 2023 (`rules/data/regions.txt`). A credit code's
/// region is such a code; one digit string in three hundred is (a random region after a
/// valid province, one in a hundred). Resident ids are not held to it: ids issued under
/// codes retired before 2015 are still carried.
pub fn is_region_code(six: &[u8]) -> bool {
    static CODES: std::sync::OnceLock<Vec<u32>> = std::sync::OnceLock::new();
    let Some(code) = (six.len() == 6).then(|| number(six)).flatten() else {
        return false;
    };
    CODES
        .get_or_init(|| {
            let mut v: Vec<u32> = include_str!("../data/regions.txt")
                .lines()
                .filter_map(|l| l.trim().parse().ok())
                .collect();
            v.sort_unstable();
            v
        })
        .binary_search(&code)
        .is_ok()
}

/// True if `two` is a two-digit GB/T 2260 province-level code that appears in resident ids:
/// the allocated mainland provinces 11–65, Taiwan 71, Hong Kong 81, Macau 82, the residence
/// permits for Taiwan residents 83, and 91 (permanent residence of foreigners).
pub fn is_province_code(two: &[u8]) -> bool {
    match two {
        [a, b] => matches!(
            (digit(*a), digit(*b)),
            (Some(a), Some(b)) if matches!(
                a * 10 + b,
                11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71 | 81 | 82 | 83 | 91
            )
        ),
        _ => false,
    }
}

/// True if `two` is the two-digit code of a mainland province-level division (11–65), the
/// ones that issue permanent residence cards to foreigners.
fn is_mainland_province_code(two: &[u8]) -> bool {
    two.len() == 2
        && matches!(
            number(two),
            Some(11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65)
        )
}

/// True if the first three digits of an 18-character number can open a GB 11643 number: a
/// resident id's province ([`is_province_code`]), or `9` and a mainland province, which opens
/// the foreign permanent resident id of 2023 (外国人永久居留身份证: `9`, the issuing province,
/// a 3-digit country code, then the birth date, sequence and check character of a resident
/// id, in the same places). Those issued in provinces 11–15 start `91`, which the province
/// codes cover; the others (`932…` for Jiangsu) need this.
pub fn id18_prefix(first3: &[u8]) -> bool {
    match first3 {
        [a, b, c] => {
            is_province_code(&[*a, *b]) || (*a == b'9' && is_mainland_province_code(&[*b, *c]))
        }
        _ => false,
    }
}

/// True if the Gregorian calendar date exists (leap years included). Any year is accepted; callers
/// bound the year to what makes sense for their identifier.
// `u32::is_multiple_of` needs Rust 1.87; the workspace declares 1.80.
#[allow(clippy::manual_is_multiple_of)]
pub fn date_exists(year: u32, month: u32, day: u32) -> bool {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// Check character of an 18-digit resident id from its first 17 digits: `b'0'..=b'9'` or `b'X'`.
/// `None` if the input is not exactly 17 ASCII digits.
pub fn gb11643_check_char(first17: &[u8]) -> Option<u8> {
    if first17.len() != ID_WEIGHTS.len() {
        return None;
    }
    let mut sum = 0u32;
    for (&b, &w) in first17.iter().zip(ID_WEIGHTS.iter()) {
        sum += digit(b)? * w;
    }
    ID_CHECK.get((sum % 11) as usize).copied()
}

/// True if `id` is a valid 18-character resident identity number (GB 11643-1999): 17 digits and a
/// check character (digit or `X`, lowercase `x` accepted because forms often lowercase it), a
/// valid province prefix (or a foreign permanent resident id's, [`id18_prefix`]), a birth date that exists in [`ID_MIN_YEAR`] to the current year, and the
/// right check character.
pub fn gb11643(id: &[u8]) -> bool {
    let Some((body, [check])) = id.split_first_chunk::<17>() else {
        return false;
    };
    // The province prefix costs two digits and turns away most look-alikes (snowflake ids and
    // trace numbers start 1[6-9]…), so it goes before the weighted sum; the checksum (1 in 11
    // random strings pass) and the date then cut the survivors by orders of magnitude.
    if !id18_prefix(&body[..3]) {
        return false;
    }
    let Some(expected) = gb11643_check_char(body) else {
        return false;
    };
    check.to_ascii_uppercase() == expected && id18_birth_date(body)
}

/// Whether digits 7-14 of an 18-digit resident id are a birth date that exists in
/// [`ID_MIN_YEAR`] to the current year.
fn id18_birth_date(body: &[u8]) -> bool {
    let (Some(year), Some(month), Some(day)) = (
        number(&body[6..10]),
        number(&body[10..12]),
        number(&body[12..14]),
    ) else {
        return false;
    };
    birth_year(year) && date_exists(year, month, day)
}

/// True if the first 17 characters of an 18-character number read as a resident id's, even
/// with a wrong check character or a date that does not exist (`620111199713326319`): a
/// province prefix and a year in [`ID_MIN_YEAR`] to the current year where the birth date goes,
/// under a region that is a real division's ([`is_region_code`]). Such numbers are the
/// mistyped and made-up ids of test data and look-alike columns; an 18-digit card or an
/// all-digit credit code has such a year there about once in eighty, and a real region as
/// well about once in six thousand (a UnionPay card `622848195130890234` has a year there,
/// but there is no county `622848`).
pub fn id18_lookalike(first17: &[u8]) -> bool {
    first17.len() == 17
        && first17.iter().all(u8::is_ascii_digit)
        && id18_prefix(&first17[..3])
        && number(&first17[6..10]).is_some_and(birth_year)
        && is_region_code(&first17[..6])
}

/// True if the first 17 characters of an 18-digit resident id have its shape: a province
/// prefix and a birth date that exists in [`ID_MIN_YEAR`] to the current year (the check
/// character aside: a number shaped so, with a wrong one, is a mistyped id).
pub fn id18_shape(first17: &[u8]) -> bool {
    first17.len() == 17
        && first17.iter().all(u8::is_ascii_digit)
        && id18_prefix(&first17[..3])
        && id18_birth_date(first17)
}

/// True if `id` is a plausible 15-digit resident id (the pre-1999 format): a valid province prefix,
/// a prefecture part (digits 3–4) other than `00` (a province-level code is never a person's
/// registration region), and a `YYMMDD` birth date that exists in the 1900s. There is no check
/// digit, so this is weak on its own: rules using it should require context.
pub fn resident_id_15(id: &[u8]) -> bool {
    if id.len() != 15 || !id.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let (Some(yy), Some(month), Some(day)) =
        (number(&id[6..8]), number(&id[8..10]), number(&id[10..12]))
    else {
        return false;
    };
    is_province_code(&id[..2]) && &id[2..4] != b"00" && date_exists(1900 + yy, month, day)
}

/// True if the registration authority (first character) and organization category (second) of a
/// unified social credit code form a pair that GB 32100-2015 and its authority code lists assign.
pub(crate) fn uscc_authority_category(authority: u8, category: u8) -> bool {
    matches!(
        (authority, category),
        (b'1', b'1' | b'2' | b'3' | b'9')
            | (b'2', b'1' | b'9')
            | (b'3', b'1'..=b'5' | b'9')
            | (b'4', b'1' | b'9')
            | (b'5', b'1' | b'2' | b'3' | b'9')
            | (b'6', b'1' | b'2' | b'9')
            | (b'7', b'1' | b'2' | b'9')
            | (b'8', b'1' | b'9')
            | (b'9', b'1' | b'2' | b'3')
            | (b'A', b'1' | b'9')
            | (b'N', b'1' | b'2' | b'3' | b'9')
            | (b'Y', b'1')
    )
}

/// True if `code` is a valid unified social credit code (GB 32100-2015): 18 characters over
/// [`USCC_ALPHABET`] (uppercase only), a valid authority/category pair, a 6-digit region code in
/// characters 3–8 and the mod-31 check character. The region is a GB/T 2260 code with a valid
/// province prefix, or `100000`, which national-level registrations use (e.g. the big state banks
/// registered with SAMR itself: `911000001000013428`).
pub fn gb32100(code: &[u8]) -> bool {
    let Some((body, _)) = code.split_first_chunk::<17>() else {
        return false;
    };
    // Authority, category and region cost a few comparisons and turn away most random
    // 18-character strings before the weighted sum.
    let region = &body[2..8];
    if !(uscc_authority_category(body[0], body[1])
        && region.iter().all(u8::is_ascii_digit)
        && (is_province_code(&region[..2]) || region == b"100000"))
    {
        return false;
    }
    uscc_check_character(code)
}

/// True if `code` is 18 characters over [`USCC_ALPHABET`] whose last is the mod-31 check
/// character of the first 17 (GB 32100-2015's check alone, without [`gb32100`]'s authority,
/// category and region). A code that passes only this is one in thirty-one random strings
/// of the alphabet: the `uscc` detector takes it only under a credit code's own field name
/// or label, where registers' test data and codes of authorities the lists do not name
/// (`Y2…`, `99…`, a region of `000000`) are written.
pub fn uscc_check_character(code: &[u8]) -> bool {
    let Some((body, [check])) = code.split_first_chunk::<17>() else {
        return false;
    };
    let mut sum = 0u32;
    for (&b, &w) in body.iter().zip(USCC_WEIGHTS.iter()) {
        let v = USCC_VALUE[usize::from(b)];
        if v == NOT_USCC {
            return false;
        }
        sum += u32::from(v) * w;
    }
    let expected = match 31 - sum % 31 {
        31 => 0,
        c => c,
    };
    u32::from(USCC_VALUE[usize::from(*check)]) == expected
}

/// True if `code9` is a valid GB 11714-1997 organization code: 8 body characters over `0-9A-Z`
/// (letters valued A=10 … Z=35) and a check character `0-9` or `X`. Characters 9–17 of a unified
/// social credit code are such a code for most organizations that existed before 2015, which lets
/// the `uscc` detector confirm an all-digit candidate that has no field-name context.
pub fn org_code_check(code9: &[u8]) -> bool {
    let Some((body, [check])) = code9.split_first_chunk::<8>() else {
        return false;
    };
    let mut sum = 0u32;
    for (&b, &w) in body.iter().zip(ORG_WEIGHTS.iter()) {
        let v = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            _ => return false,
        };
        sum += v * w;
    }
    let expected = match 11 - sum % 11 {
        10 => b'X',
        11 => b'0',
        c => b'0' + c as u8,
    };
    *check == expected
}

/// True if `digits` (ASCII digits only, at least 2) passes the Luhn mod-10 check.
// `u32::is_multiple_of` needs Rust 1.87; the workspace declares 1.80.
#[allow(clippy::manual_is_multiple_of)]
pub fn luhn(digits: &[u8]) -> bool {
    if digits.len() < 2 {
        return false;
    }
    let mut sum = 0u32;
    for (i, &b) in digits.iter().rev().enumerate() {
        let Some(d) = digit(b) else {
            return false;
        };
        sum += if i % 2 == 1 {
            // Doubled digit's digit sum: 2d for d < 5, 2d - 9 otherwise.
            let d2 = d * 2;
            if d2 > 9 {
                d2 - 9
            } else {
                d2
            }
        } else {
            d
        };
    }
    sum % 10 == 0
}

/// Card scheme, as told by the issuer identification number and the length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardIssuer {
    UnionPay,
    Visa,
    Mastercard,
    Jcb,
    Amex,
    Diners,
    Discover,
}

/// Card scheme of an all-digit card number, by IIN prefix *and* length (a prefix alone would claim
/// every 16-digit order number starting with 4). `None` if neither matches a scheme.
///
/// Only UnionPay's 62 range is accepted at 18 digits (see below). Besides the international
/// ranges, two legacy domestic BINs that predate the 62 range and are still in circulation count
/// as UnionPay: ICBC's 19-digit `9558` debit cards and Bank of China's
/// `6013` Great Wall cards.
pub fn card_issuer(digits: &[u8]) -> Option<CardIssuer> {
    let n = digits.len();
    if !(13..=19).contains(&n) || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // Length is at least 13 here, so these prefixes are in bounds; `number` cannot fail on digits.
    let p1 = number(&digits[..1])?;
    let p2 = number(&digits[..2])?;
    let p3 = number(&digits[..3])?;
    let p4 = number(&digits[..4])?;
    // 18 digits is the length of snowflake ids and trace numbers, and the one card length only
    // UnionPay's 62 range issues: the other schemes are not accepted at 18.
    let long = matches!(n, 16 | 17 | 19);
    let issuer = if p2 == 62 && (16..=19).contains(&n)
        || p2 == 81 && long
        || (p4 == 9558 || number(&digits[..5])? == 95599) && n == 19
        || p4 == 6013 && long
    {
        CardIssuer::UnionPay
    } else if p1 == 4 && (n == 16 || n == 19) {
        CardIssuer::Visa
    } else if ((51..=55).contains(&p2) || (2221..=2720).contains(&p4)) && n == 16 {
        CardIssuer::Mastercard
    } else if (3528..=3589).contains(&p4) && long {
        CardIssuer::Jcb
    } else if (p2 == 34 || p2 == 37) && n == 15 {
        CardIssuer::Amex
    } else if (p2 == 36 || p2 == 38 || (300..=305).contains(&p3)) && n == 14 {
        CardIssuer::Diners
    } else if (p4 == 6011 || p2 == 65 || (644..=649).contains(&p3)) && long {
        CardIssuer::Discover
    } else {
        return None;
    };
    Some(issuer)
}

/// True if `digits` is a bank card number: a known scheme by prefix and length, and Luhn-valid.
pub fn bank_card(digits: &[u8]) -> bool {
    card_issuer(digits).is_some() && luhn(digits)
}

/// Allocated 11-digit mainland mobile segments, indexed by the second and third digits ("1XY").
/// Sources: the MIIT numbering plan as of 2024. 13x all; 145–149 (140/141/144 are 13-digit IoT
/// numbers); 150–153, 155–159; 162 165 166 167 (virtual operators and Unicom); 170–178
/// (170/171 virtual, 174 satellite); 18x all; 190–193, 195–199 (192 is China Broadnet).
const MOBILE_SEGMENTS: [bool; 100] = {
    let allowed: &[u8] = &[
        30, 31, 32, 33, 34, 35, 36, 37, 38, 39, //
        45, 46, 47, 48, 49, //
        50, 51, 52, 53, 55, 56, 57, 58, 59, //
        62, 65, 66, 67, //
        70, 71, 72, 73, 74, 75, 76, 77, 78, //
        80, 81, 82, 83, 84, 85, 86, 87, 88, 89, //
        90, 91, 92, 93, 95, 96, 97, 98, 99,
    ];
    let mut table = [false; 100];
    let mut i = 0;
    while i < allowed.len() {
        table[allowed[i] as usize] = true;
        i += 1;
    }
    table
};

/// True if `digits` is exactly 11 ASCII digits in an allocated mainland mobile segment. Country-code
/// prefixes (`+86`, `86`) are the detector's business and must be stripped before.
pub fn mobile_cn(digits: &[u8]) -> bool {
    match digits {
        [b'1', a, b, rest @ ..] if rest.len() == 8 && rest.iter().all(u8::is_ascii_digit) => {
            matches!((digit(*a), digit(*b)), (Some(a), Some(b)) if MOBILE_SEGMENTS[(a * 10 + b) as usize])
        }
        _ => false,
    }
}

/// Allocated four-digit area codes, as the three digits after the trunk `0` (e.g. 755 for 0755),
/// grouped by province. Ranges are slightly generous inside a province's block (a gap in the plan
/// costs little) but whole unallocated blocks (03[0-0x], 0[3-9]xx gaps) stay out.
const AREA_RANGES: &[(u16, u16)] = &[
    (310, 319),
    (335, 335), // Hebei
    (349, 359), // Shanxi
    (370, 379),
    (391, 398), // Henan
    (410, 419),
    (421, 421),
    (427, 427),
    (429, 429), // Liaoning
    (431, 439), // Jilin
    (451, 459),
    (464, 464),
    (467, 469), // Heilongjiang
    (470, 479),
    (482, 483), // Inner Mongolia
    (510, 519),
    (523, 523),
    (527, 527), // Jiangsu
    (530, 539),
    (543, 543),
    (546, 546),
    (631, 635), // Shandong
    (550, 559),
    (561, 566), // Anhui
    (570, 580), // Zhejiang
    (591, 599), // Fujian
    (660, 660),
    (662, 663),
    (668, 668),
    (750, 769), // Guangdong
    (691, 692),
    (870, 879),
    (883, 883),
    (886, 888), // Yunnan
    (701, 701),
    (790, 799), // Jiangxi
    (710, 719),
    (722, 722),
    (724, 724),
    (728, 728), // Hubei
    (730, 739),
    (743, 746), // Hunan
    (770, 779), // Guangxi
    (812, 819),
    (825, 839), // Sichuan
    (851, 859), // Guizhou
    (891, 897), // Tibet
    (898, 898), // Hainan
    (901, 909),
    (990, 999), // Xinjiang
    (910, 919), // Shaanxi
    (930, 939),
    (941, 941),
    (943, 943), // Gansu
    (951, 955), // Ningxia
    (970, 979), // Qinghai
];

/// [`AREA_RANGES`] expanded into a lookup table over 000..=999 at compile time.
const AREA_CODES: [bool; 1000] = {
    let mut table = [false; 1000];
    let mut i = 0;
    while i < AREA_RANGES.len() {
        let (lo, hi) = AREA_RANGES[i];
        let mut c = lo;
        while c <= hi {
            table[c as usize] = true;
            c += 1;
        }
        i += 1;
    }
    table
};

/// Length (including the leading `0`) of the mainland area code at the start of `digits`: 3 for
/// Beijing `010` and the big-city `02x` codes (020–025, 027–029), 4 for an allocated `0[3-9]xx`
/// code. `None` if `digits` does not start with one, or if the digit after the code is `0`,
/// the trunk prefix, which no local number starts with: `031002359811` is an invoice code,
/// not Handan's `0310` and a number. (`1` opens only special services, but made-up numbers
/// such as `010-12345678` are written with it, in forms and test data, and taken as phones.)
pub fn landline_area_code(digits: &[u8]) -> Option<usize> {
    let a = area_code_len(digits)?;
    digits.get(a).is_none_or(|&b| b != b'0').then_some(a)
}

fn area_code_len(digits: &[u8]) -> Option<usize> {
    match digits {
        [b'0', b'1', b'0', ..] => Some(3),
        [b'0', b'2', b'0'..=b'5' | b'7'..=b'9', ..] => Some(3),
        [b'0', a @ b'3'..=b'9', b, c, ..] => {
            let code = number(&[*a, *b, *c])?;
            AREA_CODES
                .get(code as usize)
                .copied()
                .unwrap_or(false)
                .then_some(4)
        }
        _ => None,
    }
}

/// True if `s` is a dotted-quad IPv4 address ([`ipv4`]) that can stand for someone, not one of
/// [`ipv4_nobodys`]: what the IPv4 detector and a rule's `ipv4` validator both ask.
pub fn ipv4_of_someone(s: &[u8]) -> bool {
    ipv4(s) && !ipv4_nobodys(s)
}

/// True if the dotted quad `s` (already [`ipv4`]) is an address that stands for nobody: the
/// unspecified `0.0.0.0` and the loopback `127/8` of every server's configuration, a netmask
/// (`255.255.255.0`: `255` then contiguous mask bytes), and the public DNS resolvers that
/// configurations and network logs name (`8.8.8.8`, `114.114.114.114`, `223.5.5.5`). Masking
/// them tells no one anything and breaks the configuration text they sit in.
fn ipv4_nobodys(s: &[u8]) -> bool {
    const RESOLVERS: &[&[u8]] = &[
        b"8.8.8.8",
        b"8.8.4.4",
        b"1.1.1.1",
        b"1.0.0.1",
        b"9.9.9.9",
        b"114.114.114.114",
        b"114.114.115.115",
        b"223.5.5.5",
        b"223.6.6.6",
        b"119.29.29.29",
        b"180.76.76.76",
    ];
    let mut octets = [0u32; 4];
    for (o, part) in octets.iter_mut().zip(s.split(|&b| b == b'.')) {
        *o = number(part).unwrap_or(256);
    }
    let mask = u32::from_be_bytes(octets.map(|o| o.min(255) as u8));
    octets == [0; 4]
        || octets[0] == 127
        || (octets[0] == 255
            && octets.iter().all(|&o| o <= 255)
            && mask.leading_ones() + mask.trailing_zeros() == 32)
        || RESOLVERS.contains(&s)
}

/// True if `s` is a dotted-quad IPv4 address: exactly four parts of 1–3 digits, each 0–255,
/// without leading zeros (except `0` itself), since `010` is octal to some parsers and a version
/// string or phone fragment far more often than an address.
pub fn ipv4(s: &[u8]) -> bool {
    if s.len() < 7 || s.len() > 15 {
        return false;
    }
    let mut parts = 0;
    for part in s.split(|&b| b == b'.') {
        parts += 1;
        let ok = match part {
            [b'0'] => true,
            [b'1'..=b'9', ..] if part.len() <= 3 => matches!(number(part), Some(v) if v <= 255),
            _ => false,
        };
        if !ok || parts > 4 {
            return false;
        }
    }
    parts == 4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gb11643_standard_sample_and_generated_vectors() {
        // The sample printed in GB 11643-1999 itself.
        assert!(gb11643(b"11010519491231002X"));
        assert!(gb11643(b"11010519491231002x"));
        assert_eq!(gb11643_check_char(b"11010519491231002"), Some(b'X'));
        for id in [
            "44030519900101123X",
            "320102198802294565", // 1988-02-29: leap year
            "65010220000229001X", // 2000-02-29: leap by the 400 rule
            "820000198506152220", // Macau
            "110101190001010014", // lower year bound
        ] {
            assert!(gb11643(id.as_bytes()), "{id}");
        }
        // The current year is a birth year; a later one is not (a serial number's digits).
        let year = current_year();
        for (y, ok) in [(year, true), (year + 1, false), (year + 4, false)] {
            let body = format!("110101{y}0101001");
            let id = format!(
                "{body}{}",
                char::from(gb11643_check_char(body.as_bytes()).unwrap())
            );
            assert_eq!(gb11643(id.as_bytes()), ok, "{id}");
        }
    }

    /// The foreign permanent resident id of 2023: `9`, a mainland province, a country code,
    /// then a resident id's birth date, sequence and check character.
    #[test]
    fn gb11643_foreign_permanent_resident_ids() {
        for body in [
            "93284019850626068", // Jiangsu, country 840
            "94484019851101537", // Guangdong
            "95084019850321410", // Chongqing
            "96584019850321410", // Xinjiang
            "91184019850321410", // Beijing: `91` is a province code already
        ] {
            let check = gb11643_check_char(body.as_bytes()).unwrap();
            let mut id = body.as_bytes().to_vec();
            id.push(check);
            assert!(gb11643(&id), "{body}");
            assert!(id18_shape(body.as_bytes()), "{body}");
        }
        // `9` and no mainland province (90, 97-99; 971 Taiwan and 981 Hong Kong issue none),
        // or a date that does not exist: no id, whatever the check character.
        for body in [
            "90184019850321410",
            "97184019850321410",
            "98184019850321410",
            "99184019850321410",
            "93284019850231410",
            "93284018990321410",
        ] {
            let check = gb11643_check_char(body.as_bytes()).unwrap();
            let mut id = body.as_bytes().to_vec();
            id.push(check);
            assert!(!gb11643(&id), "{body}");
        }
        assert!(!id18_prefix(b"93"));
        assert!(!id18_prefix(b"9a1"));
    }

    #[test]
    fn gb11643_rejects_lookalikes() {
        for id in [
            "110105194912310021",  // wrong check digit
            "11010519491231002",   // 17 chars
            "11010519491231002XX", // 19 chars
            "11010519990231002X",  // 1999-02-31
            "1101051949123100 X",
            "01010519491231002X", // province 01
            "",
        ] {
            assert!(!gb11643(id.as_bytes()), "{id}");
        }
        // Right check digits but impossible fields.
        for body in [
            "11010519990231002",
            "11010518991231002",
            "11010520311231002",
            "99010519491231002",
            "11010519000229001",
        ] {
            let check = gb11643_check_char(body.as_bytes()).unwrap();
            let mut id = body.as_bytes().to_vec();
            id.push(check);
            assert!(!gb11643(&id), "{body}");
        }
        assert_eq!(gb11643_check_char(b"1101051949123100A"), None);
        assert_eq!(gb11643_check_char(b"110105194912310"), None);
    }

    #[test]
    fn resident_id_15_vectors() {
        assert!(resident_id_15(b"110105491231002"));
        assert!(resident_id_15(b"440301880229123")); // 1988 is leap
        assert!(!resident_id_15(b"440301890229123")); // 1989 is not
        assert!(!resident_id_15(b"110005491231002")); // prefecture 00
        assert!(!resident_id_15(b"990105491231002")); // province 99
        assert!(!resident_id_15(b"11010549123100X"));
        assert!(!resident_id_15(b"1101054912310021"));
    }

    #[test]
    fn gb32100_real_codes() {
        for code in [
            "91350100M000100Y43", // sample in GB 32100 explanations
            "911000001000013428", // Bank of China, national region 100000
            "91100000100003962T", // ICBC
        ] {
            assert!(gb32100(code.as_bytes()), "{code}");
            assert!(org_code_check(&code.as_bytes()[8..17]), "{code}");
        }
    }

    #[test]
    fn gb32100_rejects_lookalikes() {
        for code in [
            "91350100M000100Y44", // wrong check
            "91350100m000100Y43", // lowercase
            "91350100M000100Y4",  // short
            "94350100M000100Y43", // authority 9, category 4
            "91990100M000100Y4?",
            "913501I0M000100Y43", // I not in alphabet
        ] {
            assert!(!gb32100(code.as_bytes()), "{code}");
        }
        // An all-digit run can pass GB 32100 by chance (1 in 31 with a plausible prefix); the
        // embedded organization code is the second filter the `uscc` detector applies.
        assert!(gb32100(b"123456789012345678"));
        assert!(!org_code_check(b"901234567"));
    }

    #[test]
    fn uscc_check_character_alone() {
        // The check alone passes codes `gb32100` turns away for their authority, category
        // or region, and nothing whose check fails or that leaves the alphabet.
        for code in [
            "Y2110108MA01234X5D",
            "91000000MA01234X5J",
            "94350100M000100Y4R",
        ] {
            assert!(!gb32100(code.as_bytes()), "{code}");
            assert!(uscc_check_character(code.as_bytes()), "{code}");
        }
        for code in [
            "Y2110108MA01234X5E",
            "91350100M000100Y44",
            "913501I0M000100Y43",
            "91350100m000100Y43",
            "91350100M000100Y4",
        ] {
            assert!(!uscc_check_character(code.as_bytes()), "{code}");
        }
        assert!(uscc_check_character(b"91350100M000100Y43"));
    }

    #[test]
    fn org_code_vectors() {
        assert!(org_code_check(b"M000100Y4"));
        assert!(org_code_check(b"71093123X"));
        assert!(!org_code_check(b"710931231"));
        assert!(!org_code_check(b"71093123x"));
        assert!(!org_code_check(b"7109312X"));
    }

    #[test]
    fn luhn_and_cards() {
        assert!(luhn(b"79927398713"));
        assert!(!luhn(b"79927398710"));
        assert!(!luhn(b"0"));
        assert!(!luhn(b"7992739871a"));
        let cases: &[(&str, Option<CardIssuer>)] = &[
            ("6222021234567894", Some(CardIssuer::UnionPay)),
            ("6228480012345678903", Some(CardIssuer::UnionPay)),
            ("9558801234567890128", Some(CardIssuer::UnionPay)),
            ("6013821234567890", Some(CardIssuer::UnionPay)),
            ("6200000000000005", Some(CardIssuer::UnionPay)),
            ("4111111111111111", Some(CardIssuer::Visa)),
            ("5555555555554444", Some(CardIssuer::Mastercard)),
            ("2221000000000009", Some(CardIssuer::Mastercard)),
            ("3530111333300000", Some(CardIssuer::Jcb)),
            ("378282246310005", Some(CardIssuer::Amex)),
            ("30569309025904", Some(CardIssuer::Diners)),
            ("6011111111111117", Some(CardIssuer::Discover)),
        ];
        for (num, issuer) in cases {
            assert_eq!(card_issuer(num.as_bytes()), *issuer, "{num}");
            assert!(bank_card(num.as_bytes()), "{num}");
        }
        assert!(!bank_card(b"6222021234567890")); // Luhn fails
        assert!(!bank_card(b"1700000000000")); // ms timestamp
        assert_eq!(card_issuer(b"411111111111111"), None); // Visa at 15
        assert_eq!(card_issuer(b"1234567890123456"), None);
    }

    #[test]
    fn mobile_vectors() {
        for m in [
            "13800138000",
            "19212345678",
            "14712345678",
            "16612345678",
            "17012345678",
            "19912345678",
        ] {
            assert!(mobile_cn(m.as_bytes()), "{m}");
        }
        for m in [
            "12345678901",
            "15412345678",
            "19412345678",
            "16112345678",
            "17912345678",
            "1380013800",
            "138001380001",
            "1380013800a",
        ] {
            assert!(!mobile_cn(m.as_bytes()), "{m}");
        }
    }

    #[test]
    fn landline_vectors() {
        assert_eq!(landline_area_code(b"01012345678"), Some(3));
        assert_eq!(landline_area_code(b"02112345678"), Some(3));
        assert_eq!(landline_area_code(b"02612345678"), None);
        assert_eq!(landline_area_code(b"075512345678"), Some(4));
        assert_eq!(landline_area_code(b"0311"), Some(4));
        assert_eq!(landline_area_code(b"08981234567"), Some(4));
        assert_eq!(landline_area_code(b"03001234567"), None);
        assert_eq!(landline_area_code(b"031"), None);
        assert_eq!(landline_area_code(b"031002359811"), None);
        for nobody in [
            "0.0.0.0",
            "127.0.0.1",
            "127.10.2.3",
            "255.255.255.0",
            "255.255.0.0",
            "255.255.255.255",
            "255.255.255.248",
            "8.8.8.8",
            "114.114.114.114",
        ] {
            assert!(
                ipv4(nobody.as_bytes()) && ipv4_nobodys(nobody.as_bytes()),
                "{nobody}"
            );
        }
        for someone in [
            "192.168.1.10",
            "10.0.0.1",
            "255.255.1.0",
            "255.1.2.3",
            "8.8.8.9",
            "61.135.169.125",
            "128.0.0.1",
        ] {
            assert!(
                ipv4(someone.as_bytes()) && !ipv4_nobodys(someone.as_bytes()),
                "{someone}"
            );
        }
        assert_eq!(landline_area_code(b"01002345678"), None);
        assert_eq!(landline_area_code(b"1234"), None);
        assert_eq!(landline_area_code(b""), None);
    }

    #[test]
    fn ipv4_vectors() {
        for s in ["192.168.1.1", "0.0.0.0", "255.255.255.255", "10.0.12.7"] {
            assert!(ipv4(s.as_bytes()), "{s}");
        }
        for s in [
            "256.1.1.1",
            "01.1.1.1",
            "1.1.1",
            "1.1.1.1.1",
            "1..1.1",
            "",
            "1.2.3.4.",
            "a.b.c.d",
            "1.2.3.1000",
        ] {
            assert!(!ipv4(s.as_bytes()), "{s}");
        }
    }

    #[test]
    fn dates() {
        assert!(date_exists(2000, 2, 29));
        assert!(!date_exists(1900, 2, 29));
        assert!(date_exists(2024, 2, 29));
        assert!(!date_exists(2023, 2, 29));
        assert!(!date_exists(2023, 4, 31));
        assert!(!date_exists(2023, 13, 1));
        assert!(!date_exists(2023, 1, 0));
    }

    #[test]
    fn province_codes() {
        for p in ["11", "15", "46", "50", "65", "71", "81", "82", "83", "91"] {
            assert!(is_province_code(p.as_bytes()), "{p}");
        }
        for p in [
            "10", "16", "24", "38", "47", "55", "66", "80", "84", "90", "1", "111", "1a",
        ] {
            assert!(!is_province_code(p.as_bytes()), "{p}");
        }
    }

    #[test]
    fn region_codes() {
        // Provinces, prefectures and counties of either list.
        for c in [
            "110000", "110100", "110108", "220102", "330106", "440305", "500156", "654003",
            "130632", "130104",
        ] {
            assert!(is_region_code(c.as_bytes()), "{c}");
        }
        for c in [
            "335764", "000000", "110199", "990000", "11010", "1101081", "11o108",
        ] {
            assert!(!is_region_code(c.as_bytes()), "{c}");
        }
    }
}
