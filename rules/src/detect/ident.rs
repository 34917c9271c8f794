//! Structured identifier scanner: finds digit runs, joins groups split by single separators
//! (`110101 19900307 1234`, `138-0013-8000`, `6222 0212 3456 7890 123`), and classifies each
//! candidate by length, shape and validator. `@` and `:` start e-mail and IPv6 candidates.
//! Everything is a left-to-right pass with bounded lookahead (a chain is at most eight groups
//! and 23 digits), so cost is linear in the text and a window edge never changes a decision
//! more than the margin away.

use crate::stream::Confidence;
use crate::validate as v;

/// Built-in structured detectors (the names rule files use in `match.detector`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Det {
    ResidentId18,
    ResidentId15,
    Uscc,
    BankCard,
    Mobile,
    Landline,
    Passport,
    HkMacauPermit,
    LicencePlate,
    Email,
    Ipv4,
    Ipv6,
    PersonName,
    Address,
    Imei,
    TravelDocument,
    PersonNamePart,
    TaiwanPermit,
}

impl Det {
    pub(crate) const ALL: [(&'static str, Det); 18] = [
        ("resident_id_18", Det::ResidentId18),
        ("resident_id_15", Det::ResidentId15),
        ("uscc", Det::Uscc),
        ("bank_card", Det::BankCard),
        ("mobile", Det::Mobile),
        ("landline", Det::Landline),
        ("passport", Det::Passport),
        ("hk_macau_permit", Det::HkMacauPermit),
        ("licence_plate", Det::LicencePlate),
        ("email", Det::Email),
        ("ipv4", Det::Ipv4),
        ("ipv6", Det::Ipv6),
        ("person_name", Det::PersonName),
        ("address", Det::Address),
        ("imei", Det::Imei),
        ("travel_document", Det::TravelDocument),
        ("person_name_part", Det::PersonNamePart),
        ("taiwan_permit", Det::TaiwanPermit),
    ];

    pub(crate) fn from_name(n: &str) -> Option<Det> {
        Det::ALL
            .iter()
            .find(|(name, _)| *name == n)
            .map(|(_, d)| *d)
    }

    /// The shortest text (bytes) in which this detector can find a candidate, used to skip
    /// short values outright. Field detectors and the ones started by `@` or `:` run only
    /// on other triggers (field names, `@`, `:`), so they do not bound it.
    pub(crate) fn min_text_len(self) -> usize {
        match self {
            Det::ResidentId18 | Det::Uscc => 18,
            Det::ResidentId15 | Det::Imei => 15,
            Det::BankCard => 14,
            Det::Mobile => 11,
            Det::Landline => 10,
            // `E12345678`.
            Det::Passport | Det::HkMacauPermit => 9,
            // A military plate is two letters and five digits (`KV12345`); the others are
            // longer (a 3-byte province, a letter and five characters).
            Det::LicencePlate => 7,
            Det::Ipv4 => 7,
            Det::Email
            | Det::Ipv6
            | Det::PersonName
            | Det::Address
            | Det::TravelDocument
            | Det::TaiwanPermit
            | Det::PersonNamePart => usize::MAX,
        }
    }

    /// Field detectors judge whole values under a key (or after a label), not text runs.
    pub(crate) fn is_field(self) -> bool {
        matches!(
            self,
            Det::PersonName
                | Det::Address
                | Det::TravelDocument
                | Det::TaiwanPermit
                | Det::PersonNamePart
        )
    }
}

/// The set of detectors some rule uses, as a bit set (checked in the innermost loops).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Enabled(pub u32);

impl Enabled {
    #[inline]
    pub(crate) fn has(self, d: Det) -> bool {
        self.0 & (1 << d as u32) != 0
    }

    /// The same set, for a value that is a JSON number token: no numbered list's item
    /// (see [`fraction`]).
    #[inline]
    pub(crate) fn in_number(self) -> Self {
        Self(self.0 | IN_NUMBER)
    }

    #[inline]
    fn number(self) -> bool {
        self.0 & IN_NUMBER != 0
    }
}

/// A bit of [`Enabled`] past every detector's: the text is a JSON number token. (Carried
/// in the set the scan already passes down, so judging a run costs no extra argument.)
const IN_NUMBER: u32 = 1 << 31;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Found {
    pub det: Det,
    pub start: usize,
    pub end: usize,
    pub conf: Confidence,
    /// Found only under the field's own name, never by a keyword: a chain of groups set
    /// apart by a list's or a row's separator (`,` `;` `|` a tab `、`), which a keyword
    /// nearby does not tell from a row of numbers (`手机,150,2023,1234`).
    pub key_only: bool,
}

#[inline]
fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

#[inline]
fn is_sep(b: u8) -> bool {
    b == b' ' || b == b'-'
}

/// [`is_sep`] for the detectors' module: a space or a hyphen between two digit groups.
#[inline]
pub(crate) fn is_sep_byte(b: u8) -> bool {
    is_sep(b)
}

/// Separators that also write versions, dates, decimals, paths and OIDs (`1.2.840.113549`,
/// `2024/01/02`): a chain of groups set apart by one of them is an identifier only in the
/// groups people write that identifier in ([`weak_layout`]).
#[inline]
fn is_weak_sep(b: u8) -> bool {
    matches!(b, b'.' | b'/' | b'_')
}

/// Any separator a number's groups may be written with, loose ones aside: [`is_sep`] or
/// [`is_weak_sep`].
#[inline]
pub(crate) fn is_group_sep(b: u8) -> bool {
    is_sep(b) || is_weak_sep(b)
}

/// Separators nobody groups an identifier with but an evasion does (`138~0013~8000`,
/// `138·0013·8000`, `138|0013|8000`, a tab, a comma, `、`): they also set apart list items,
/// table cells and ranges, so a chain of them is taken in an identifier's own grouping
/// ([`weak_layout`]) and then only as a candidate needing its field name or a keyword; a
/// list's or a row's separator (`,` `;` `|` a tab `、`) needs the field name.
/// Tags are one byte each: the ASCII byte, or the last byte of `·` (`C2 B7`) and `、`
/// (`E3 80 81`).
fn loose_sep_at(t: &[u8], k: usize) -> Option<(u8, usize)> {
    match *t.get(k)? {
        b @ (b'~' | b'|' | b',' | b'+' | b'*' | b'#' | b';' | b'\t') => Some((b, 1)),
        0xC2 if t.get(k + 1) == Some(&0xB7) => Some((0xB7, 2)),
        0xE3 if t.get(k + 1..k + 3) == Some(&[0x80, 0x81][..]) => Some((0x81, 3)),
        _ => None,
    }
}

/// The separator at `t[k]` a chain of groups may be written with besides spaces and
/// hyphens: a weak one ([`is_weak_sep`]) or a loose one ([`loose_sep_at`]), as its tag, its
/// length and whether it is loose.
fn other_sep_at(t: &[u8], k: usize) -> Option<(u8, usize, bool)> {
    match t.get(k) {
        Some(&b) if is_weak_sep(b) => Some((b, 1, false)),
        _ => loose_sep_at(t, k).map(|(tag, n)| (tag, n, true)),
    }
}

/// Whether groups of these lengths are how `det` is written in groups (the layouts of
/// `138.0013.8000`, `110101.19900307.123X`, `6222.0212.3456.7890.128`, `010.6234.5678`),
/// for a chain set apart by `sep`: dots, slashes, underscores, a hyphen with a space on
/// each side (`-`: `138 - 0013 - 8000`, which also writes ranges, `15000 - 200000`), or two
/// spaces between two of the joined groups (` `: `138  0013  8000`, and the gap between two
/// columns of an aligned listing, `833420   151422  22741`). A
/// landline is taken only with dots and spaced hyphens: paths put area-code-like
/// directories before dates and file names (`/data/0755/2023/1231.log`).
fn weak_layout(det: Det, lens: &[usize], sep: u8) -> bool {
    match det {
        Det::Mobile => matches!(lens, [3, 4, 4] | [2, 3, 4, 4] | [4, 3, 4, 4]),
        Det::ResidentId18 => matches!(lens, [6, 8, 4] | [6, 4, 4, 4] | [3, 3, 4, 4, 4]),
        Det::BankCard => {
            lens.len() >= 4
                && lens[..lens.len() - 1].iter().all(|&l| l == 4)
                && (1..=4).contains(&lens[lens.len() - 1])
        }
        Det::Landline => {
            matches!(sep, b'.' | b'-')
                && lens.len() == 3
                && (3..=4).contains(&lens[0])
                && lens[1] >= 3
        }
        _ => false,
    }
}

/// Position of the next ASCII digit at or after `from`. Checks 32 bytes at a time with a
/// branch-free OR-reduction the compiler vectorizes; most text windows have few digits.
#[inline]
pub(crate) fn next_digit(hay: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i + 32 <= hay.len() {
        let block = &hay[i..i + 32];
        let mut any = 0u8;
        for &b in block {
            any |= u8::from(b.wrapping_sub(b'0') < 10);
        }
        if any != 0 {
            return block.iter().position(|b| b.is_ascii_digit()).map(|p| i + p);
        }
        i += 32;
    }
    hay[i.min(hay.len())..]
        .iter()
        .position(|b| b.is_ascii_digit())
        .map(|p| i + p)
}

/// The shortest run [`chinese_numerals`] takes: eleven numerals of three bytes.
pub(crate) const NUMERALS_MIN: usize = 11 * 3;

/// The two numerals every run [`chinese_numerals`] looks for starts with. Built once: a
/// searcher's set-up would cost more than the search on most values.
static ONE: std::sync::LazyLock<[memchr::memmem::Finder<'static>; 2]> =
    std::sync::LazyLock::new(|| {
        [
            memchr::memmem::Finder::new("一".as_bytes()),
            memchr::memmem::Finder::new("壹".as_bytes()),
        ]
    });

/// Whether `t` may hold a number in Chinese numerals ([`chinese_numerals`]): long enough,
/// and a `一` or `壹` with another numeral after it. Such a text has no ASCII digit to
/// trigger the detectors, nor the punctuation a label's value ends at (`电话一三八零零…`,
/// a label then the number, in a remark typed without punctuation), so the gate asks this.
/// (Out of line: the gate that asks is inlined into every short value's path.)
#[inline(never)]
pub(crate) fn numerals_possible(t: &[u8]) -> bool {
    t.len() >= NUMERALS_MIN
        && memchr::memchr2(0xE4, 0xE5, t).is_some()
        && ONE
            .iter()
            .any(|f| f.find_iter(t).any(|at| numeral_at(t, at + 3).is_some()))
}

/// Numbers written in Chinese numerals (`一三八〇〇一三八〇〇〇`, `壹叁捌零零壹叁捌零零零`), a
/// way to slip a telephone number past a filter: a run of eleven that reads as a mobile is a
/// candidate needing a field name or keyword; eighteen (or seventeen and an `X`) that check
/// as a resident ID are one. Only numbers that start with one (`一`, `壹`) are looked for:
/// every mobile does (and the IDs of Beijing to Inner Mongolia), so two substring searches
/// find them where a decoding pass over all Chinese text would cost far more. Appends in
/// order of start after `out`'s own.
pub(crate) fn chinese_numerals(t: &[u8], en: Enabled, out: &mut Vec<Found>) {
    if t.len() < NUMERALS_MIN || !(en.has(Det::Mobile) || en.has(Det::ResidentId18)) {
        return;
    }
    // Text with neither numeral's lead byte (ASCII text: a UUID, a URL) holds none: one
    // search for the two bytes instead of two for the characters.
    if memchr::memchr2(0xE4, 0xE5, t).is_none() {
        return;
    }
    let from = out.len();
    for finder in ONE.iter() {
        for at in finder.find_iter(t) {
            if out[from..].iter().any(|f| f.start <= at && at < f.end)
                || (at >= 3 && numeral_at(t, at - 3).is_some())
            {
                continue;
            }
            let mut digits = [0u8; 18];
            let mut n = 0;
            let mut p = at;
            while p < t.len() {
                if let Some(d) = numeral_at(t, p) {
                    if n == digits.len() {
                        n += 1;
                        break;
                    }
                    digits[n] = d;
                    n += 1;
                    p += 3;
                } else if n > 0
                    && matches!(t[p], b' ' | b'-')
                    && p + 1 < t.len()
                    && numeral_at(t, p + 1).is_some()
                {
                    p += 1;
                } else {
                    break;
                }
            }
            let x = n == 17 && t.get(p).is_some_and(|&b| b == b'X' || b == b'x');
            if x {
                digits[17] = b'X';
            }
            let found = match n + usize::from(x) {
                11 if en.has(Det::Mobile) && v::mobile_cn(&digits[..11]) => {
                    Some((Det::Mobile, Confidence::Low))
                }
                18 if en.has(Det::ResidentId18) && v::gb11643(&digits) => {
                    Some((Det::ResidentId18, Confidence::Medium))
                }
                _ => None,
            };
            if let Some((det, conf)) = found {
                out.push(Found {
                    det,
                    start: at,
                    end: p + usize::from(x),
                    conf,
                    key_only: false,
                });
            }
        }
    }
    out[from..].sort_by_key(|f| f.start);
}

/// The digit a Chinese numeral at `t[p..]` stands for (`〇一二…九`, `零壹贰…玖`), as ASCII.
fn numeral_at(t: &[u8], p: usize) -> Option<u8> {
    let c = std::str::from_utf8(t.get(p..p + 3)?).ok()?;
    let d = match c {
        "〇" | "零" => 0,
        "一" | "壹" => 1,
        "二" | "贰" => 2,
        "三" | "叁" => 3,
        "四" | "肆" => 4,
        "五" | "伍" => 5,
        "六" | "陆" => 6,
        "七" | "柒" => 7,
        "八" | "捌" => 8,
        "九" | "玖" => 9,
        _ => return None,
    };
    Some(b'0' + d)
}

/// Scans `t` and appends candidates of the enabled detectors.
/// `flags` are the trigger bits of the text (which of digits, `@`, `:` occur at all).
#[inline(always)]
pub(crate) fn scan(t: &[u8], en: Enabled, flags: u8, out: &mut Vec<Found>) {
    let len = t.len();
    // A value that is one bare digit run (an id, a timestamp, a number written plainly: the
    // most common value that reaches this scan) is one group with nothing beside it: no UUID,
    // dotted quad, spaced digits or chain to join, no `@` or `:`. The general loop would judge
    // exactly this group alone (`eval_chain` of one group is `single`), after finding its
    // bounds and setting up the chain.
    if len >= 5 && flags & super::TRIG_DIGIT != 0 && t.iter().all(u8::is_ascii_digit) {
        single(t, 0, len, en, out);
        return;
    }
    // The next most common: a date, a time stamp or an amount (`2024-01-05`,
    // `2024-01-05 14:30:41`, `60578.10`), which is no identifier whatever the detectors
    // (a property test holds this to the general scan). The general loop would try each of
    // its groups as a UUID's, a credit code's and a chain's, and each colon as an IPv6
    // address's, for about 1,500 instructions a value.
    if len <= MAX_DATE_TIME && date_time_or_amount(t) {
        return;
    }
    scan_runs(t, en, flags, out);
}

/// The longest text [`date_time_or_amount`] takes (`2024-01-05T14:30:41.123456+08:00`).
const MAX_DATE_TIME: usize = 32;

/// Whether `t` is exactly a date (`2024-01-05`, `2024/1/5`, `2024.01.05`: a four-digit year,
/// then one or two digits twice, one separator throughout), such a date with a time
/// (` 14:30`, `T14:30:41`, `T14:30:41.123Z`, ` 14:30:41+08:00`; a fraction of up to six
/// digits), or an amount (an optional minus, one to seven digits, a dot and one or two
/// digits). Nothing else: no letters, no other separators, nothing before or after.
fn date_time_or_amount(t: &[u8]) -> bool {
    // Most values that get here are neither: an amount has its dot two or three from the
    // end, a date its first separator after four digits.
    let n = t.len();
    if !((n >= 3 && (t[n - 2] == b'.' || t[n - 3] == b'.'))
        || (n >= 8 && matches!(t[4], b'-' | b'/' | b'.')))
    {
        return false;
    }
    // `n` digits at most and at least `min` from `i`: where they end.
    let digits = |i: usize, min: usize, max: usize| -> Option<usize> {
        let n = t
            .get(i..)?
            .iter()
            .take(max + 1)
            .take_while(|b| b.is_ascii_digit())
            .count();
        (min..=max).contains(&n).then_some(i + n)
    };
    let at = |i: usize, b: u8| t.get(i) == Some(&b);
    // An amount.
    let a = usize::from(at(0, b'-'));
    if let Some(i) = digits(a, 1, 7) {
        if at(i, b'.') && digits(i + 1, 1, 2) == Some(t.len()) {
            return true;
        }
    }
    // A date.
    let Some(i) = digits(0, 4, 4) else {
        return false;
    };
    let Some(&sep) = t.get(i).filter(|b| matches!(b, b'-' | b'/' | b'.')) else {
        return false;
    };
    let Some(i) = digits(i + 1, 1, 2) else {
        return false;
    };
    if !at(i, sep) {
        return false;
    }
    let Some(i) = digits(i + 1, 1, 2) else {
        return false;
    };
    if i == t.len() {
        return true;
    }
    // Its time: hours and minutes, seconds, a fraction, a zone.
    if (sep != b'-' && at(i, b'T')) || !(at(i, b' ') || at(i, b'T')) {
        return false;
    }
    let Some(mut i) = digits(i + 1, 2, 2) else {
        return false;
    };
    let mut colons = 0;
    while colons < 2 && at(i, b':') {
        let Some(j) = digits(i + 1, 2, 2) else {
            return false;
        };
        i = j;
        colons += 1;
    }
    if colons == 0 {
        return false;
    }
    // Up to microseconds: seconds and a longer fraction may spell a mobile across the dot
    // (`15.123456789`), or the fraction and a zone's offset across its sign
    // (`.1381234-0800`), which the general scan takes.
    if colons == 2 && at(i, b'.') {
        let Some(j) = digits(i + 1, 1, 6) else {
            return false;
        };
        i = j;
    }
    if at(i, b'Z') {
        i += 1;
    } else if at(i, b'+') || at(i, b'-') {
        // `+08:00` or `-0500`.
        i = if at(i + 3, b':') {
            match digits(i + 1, 2, 2).and_then(|j| digits(j + 1, 2, 2)) {
                Some(j) => j,
                None => return false,
            }
        } else {
            match digits(i + 1, 4, 4) {
                Some(j) => j,
                None => return false,
            }
        };
    }
    i == t.len()
}

/// [`scan`] without the bare-digit-run shortcut.
fn scan_runs(t: &[u8], en: Enabled, flags: u8, out: &mut Vec<Found>) {
    let len = t.len();
    let mut i = 0;
    let mut groups = [(0usize, 0usize); 8];
    let mut ng;
    while let Some(d) = next_digit(
        t,
        if flags & super::TRIG_DIGIT != 0 {
            i
        } else {
            len
        },
    ) {
        let mut s = d;
        while s > i && is_alnum(t[s - 1]) {
            s -= 1;
        }
        let mut e = d;
        while e < len && is_alnum(t[e]) {
            e += 1;
        }
        // A UUID's hex groups hold digit runs that pass for a mobile (`…-e18598019452`) or a
        // three-group landline (`-0538-4210-9755-`) about once in 2,500 random UUIDs, and
        // request, trace and record ids are UUIDs everywhere: the whole token is an id.
        let beside_hyphen = t.get(e) == Some(&b'-') || (s > 0 && t[s - 1] == b'-');
        if let Some(end) = (beside_hyphen && matches!(e - s, 4 | 8 | 12))
            .then(|| uuid_end(t, s))
            .flatten()
        {
            i = end;
            continue;
        }
        // Dotted quads are their own shape; one may follow the letters IP with no space
        // (`来源IP10.0.0.1`).
        if en.has(Det::Ipv4) && e < len && t[e] == b'.' {
            let s = if d == s + 2 && after_ip_label(t, d) {
                d
            } else {
                s
            };
            if let Some(end) = ipv4_at(t, s) {
                // `8.1.4.2`: a quad of small numbers with a one-digit first one is a clause or
                // control item (the items of GB/T 22239 are numbered so) far more often than
                // a host; as an address it needs an IP field or an IP word near it.
                let clause = t[s] != b'0'
                    && t[s + 1] == b'.'
                    && t[s..end]
                        .split(|&b| b == b'.')
                        .all(|o| o.len() == 1 || (o.len() == 2 && o[0] == b'1'));
                // `条款10.3.5.6`, `表3.2.1.4`: a quad glued to the word for a clause, a table,
                // a figure or a section numbers that, as a standard's text does; only an IP
                // field makes it an address.
                // Only small numbers are a section's (`10.3.5.6`, `3.2.1.4`); a table's or an
                // item's start at one digit. `路由表192.168.10.23`, `事项10.12.3.45` are hosts.
                let small = t[s..end]
                    .split(|&b| b == b'.')
                    .all(|o| o.len() == 1 || (o.len() == 2 && o <= &b"20"[..]));
                let numbered = small
                    && SECTION_WORDS.iter().any(|w| {
                        t[..s].ends_with(w.as_bytes())
                            && (!matches!(*w, "表" | "项") || t[s + 1] == b'.')
                    });
                out.push(Found {
                    det: Det::Ipv4,
                    start: s,
                    end,
                    conf: if clause {
                        Confidence::Low
                    } else {
                        Confidence::Medium
                    },
                    key_only: numbered,
                });
                i = end;
                continue;
            }
        }
        // A passport or permit number with a separator after its letters (`G 46431256`,
        // `M-6302547803`, `SE 0943475`): the letters and the digits are one number.
        if let Some((ls, det)) = letters_before(t, s, e, en) {
            out.push(Found {
                det,
                start: ls,
                end: e,
                conf: Confidence::Low,
                key_only: false,
            });
            i = e;
            continue;
        }
        // A passport or permit number whose digits are in groups (`E1234 5678`,
        // `E 1234 5678`, `G12-345-678`, `H1234-5678`, `E1947.3803`, `E.9235.8247`), or
        // whose two letters are (`E J1820564`).
        if (e < len && (is_sep(t[e]) || t[e] == b'.'))
            || (s >= 2
                && t[s].is_ascii_uppercase()
                && t[s - 2].is_ascii_uppercase()
                && (is_sep(t[s - 1]) || t[s - 1] == b'.'))
        {
            if let Some((ls, end, det, wide)) = grouped_passport(t, s, e, en) {
                out.push(Found {
                    det,
                    start: ls,
                    end,
                    conf: Confidence::Low,
                    // Two spaces are a column's gap as often as a group's: only the field's
                    // own name or label says the groups are one number.
                    key_only: wide,
                });
                i = end;
                continue;
            }
        }
        // A credit code written in groups (`92-360925-276233403-F`, `9111 0105 MA1T TKB8 37`).
        if en.has(Det::Uscc) && e - s < 18 && e < len && (is_sep(t[e]) || t[e] == b'.') {
            if let Some(end) = grouped_credit_code(t, s, out) {
                i = end;
                continue;
            }
        }
        // A country code, then a number spelled one digit per group (`+86 1 3 8 0 0 1 3 8 0 0 0`).
        if country_code(&t[s..e]) {
            if let Some(end) = spaced_after_country_code(t, e, en, out) {
                i = end;
                continue;
            }
        }
        // One digit per group (`1 3 8 0 0 1 3 8 0 0 0`, full-width digits spaced out): the
        // whole run is one candidate, however many groups it has.
        if e - s == 1 {
            if let Some(end) = spaced_digits(t, s, en, out) {
                i = end;
                continue;
            }
        }
        groups[0] = (s, e);
        ng = 1;
        let mut j = e;
        // The one dot, slash or underscore that set the groups apart, when a chain is
        // written with those (`138.0013.8000`): one kind throughout, never mixed with spaces.
        let mut weak: Option<u8> = None;
        // Whether that separator is a loose one: joins across it need context.
        let mut loose = false;
        // Whether a hyphen with a space on each side joined two of the groups.
        let mut spaced = false;
        // Which groups two spaces set apart from the one before: the gap between the
        // columns of an aligned listing (`151422  22741`, RES and SHR in `top`) as often as
        // a wide separator, so a join across one is taken only in an identifier's own
        // grouping.
        let mut wide = [false; 8];
        while ng < groups.len() {
            let mut two_spaces = false;
            // One or two separator characters, then a digit; `138 - 0013 - 8000` takes
            // three. An area code in brackets, `(010)62345678` or `(0755) 8601 3388`, is
            // joined across its closing bracket.
            let mut k = j;
            let paren = ng == 1 && area_in_brackets(t, s, e);
            if paren {
                k += 1;
            }
            if weak.is_none() {
                while k < len && k < j + 2 && is_sep(t[k]) {
                    k += 1;
                }
                if k == j + 2 && t[j] == b' ' && t[j + 1] == b'-' && t.get(k) == Some(&b' ') {
                    k += 1;
                    spaced = true;
                } else if k == j + 2 && t[j] == b' ' && t[j + 1] == b' ' {
                    two_spaces = true;
                }
            }
            if k == j && !paren && (ng == 1 || weak.is_some()) {
                if let Some((w, n, l)) = other_sep_at(t, k) {
                    // Taken only before a digit: a separator that ends the chain (`青M16801，`)
                    // sets no layout for it.
                    if weak.is_none_or(|x| x == w) && t.get(k + n).is_some_and(u8::is_ascii_digit) {
                        weak = Some(w);
                        loose = l;
                        k += n;
                    }
                }
            }
            if (k == j && !paren) || k >= len || !t[k].is_ascii_digit() {
                break;
            }
            let gs = k;
            let mut ge = k;
            while ge < len && is_alnum(t[ge]) {
                ge += 1;
            }
            // A dotted quad starts its own candidate (`age 63 172.26.234.105`): the chain
            // ends before it, and the next turn finds it where it starts.
            if en.has(Det::Ipv4) && t.get(ge) == Some(&b'.') && ipv4_at(t, gs).is_some() {
                break;
            }
            groups[ng] = (gs, ge);
            wide[ng] = two_spaces;
            ng += 1;
            j = ge;
        }
        let layout = weak.or(spaced.then_some(b'-'));
        let from = out.len();
        let last_loose = eval_chain(t, &groups[..ng], &wide[..ng], layout, en, out);
        if loose {
            // Only joins: a group that is an identifier alone keeps its own confidence.
            for f in &mut out[from..] {
                let joined = groups[..ng]
                    .iter()
                    .filter(|&&(s, e)| s < f.end && f.start < e)
                    .count()
                    >= 2;
                if joined {
                    f.conf = Confidence::Low;
                    // A list's or a row's separator: a keyword nearby is as often a row's
                    // label (`手机,150,2023,1234`); only the field's own name says more.
                    f.key_only =
                        weak.is_some_and(|w| matches!(w, b',' | b';' | b'|' | b'\t' | 0x81));
                }
            }
        }
        if ng >= 2 {
            odd_old_id(t, &groups[..ng], en, out);
        }
        i = groups[ng - 1].1;
        // A chain of dots, slashes or spaced hyphens ends where a space or hyphen follows
        // (`13800138000/0755-86013388`, `1.138 0013 8000`): a last group no match took
        // starts the next chain.
        // So does a chain of spaces or hyphens that a dot, slash or underscore ends
        // (`+86-181.3674.3987`: the country code's hyphen, then the number's dots).
        let weak_after = weak.is_none()
            && t.get(i).is_some_and(|&b| is_weak_sep(b))
            && t.get(i + 1).is_some_and(u8::is_ascii_digit);
        if (layout.is_some() || wide[..ng].contains(&true) || weak_after) && ng >= 2 && last_loose {
            i = groups[ng - 1].0;
        }
        if i <= d {
            i = d + 1;
        }
    }
    if en.has(Det::Email) && flags & super::TRIG_AT != 0 {
        email(t, out);
    }
    if en.has(Det::Ipv6) && flags & super::TRIG_COLON != 0 {
        ipv6(t, out);
    }
}

/// A unified social credit code written in two to six groups of digits and capital letters,
/// each set apart by one space or hyphen, from `s` on: the 18 characters must pass both the
/// code's mod-31 check and its organization code's (GB 11714), since a grouping gives no
/// other sign of what the number is (a random grouped code passes both about once in 340).
/// Pushes the finding and returns its end.
fn grouped_credit_code(t: &[u8], s: usize, out: &mut Vec<Found>) -> Option<usize> {
    let mut code = [0u8; 18];
    let mut n = 0;
    let mut p = s;
    // Groups set apart by dots (`91.440106.41R8B3KY3.Q`): one kind throughout; as with other
    // separators, a code that fails its organization code's check needs the field's name.
    let dots = t
        .get(p..)
        .and_then(|r| r.iter().position(|b| !is_alnum(*b)))
        .map(|k| t[p + k])
        == Some(b'.');
    for group in 0..6 {
        let gs = p;
        while p < t.len() && is_alnum(t[p]) {
            if n == 18 || t[p].is_ascii_lowercase() {
                return None;
            }
            code[n] = t[p];
            n += 1;
            p += 1;
        }
        if p == gs {
            return None;
        }
        // What is there so far must open a credit code: an authority and category, then the
        // region's digits under a province (dates, `2024-01-01`, and times leave here).
        let region = &code[2.min(n)..8.min(n)];
        if (n >= 2 && !v::uscc_authority_category(code[0], code[1]))
            || !region.iter().all(u8::is_ascii_digit)
            || (n >= 4 && !v::is_province_code(&code[2..4]) && &code[2..4] != b"10")
        {
            return None;
        }
        if n == 18 {
            if group == 0 || !v::gb32100(&code) {
                return None;
            }
            // A grouped resident id or card that also passes is what the chain makes of it.
            if v::gb11643(&code) || v::bank_card(&code) {
                return None;
            }
            // Without its organization code's check too, only under a field named for a
            // credit code (`TYSHXYDM: 913201062 AUGUP2GAR`): one random grouping in 31 passes
            // the first check.
            // Dots also write versions and build stamps (`12.11.20240101.003715`): a dotted
            // code that is all digits, out of the code's own grouping (2-6-9-1), needs the
            // field's name or a label too.
            let own_grouping = p - s == 21 && [2, 9, 19].iter().all(|&k| t[s + k] == b'.');
            let org = v::org_code_check(&code[8..17])
                && (!dots || own_grouping || code.iter().any(u8::is_ascii_uppercase));
            // Failing that, the code's own layout (authority and category, region, body,
            // check: `91 440300 MA5F1234X 9`), or fours as a long code is read out (`9333
            // 0106 LAM5 WDYQ 96`), over a real region says as much: a random grouping has
            // neither.
            let own_layout = (p - s == 21 && [2, 9, 19].iter().all(|&k| !is_alnum(t[s + k])))
                || (p - s == 22 && [4, 9, 14, 19].iter().all(|&k| !is_alnum(t[s + k])));
            let region = own_layout
                && v::is_region_code(&code[2..8])
                && code.iter().any(u8::is_ascii_uppercase);
            out.push(Found {
                det: Det::Uscc,
                start: s,
                end: p,
                conf: if org {
                    Confidence::High
                } else if region {
                    Confidence::Medium
                } else {
                    Confidence::Low
                },
                key_only: !org && !region,
            });
            return Some(p);
        }
        let sep = if dots {
            t.get(p) == Some(&b'.')
        } else {
            t.get(p).is_some_and(|&b| is_sep(b))
        };
        if p + 1 >= t.len() || !sep || !is_alnum(t[p + 1]) {
            return None;
        }
        p += 1;
    }
    None
}

/// A run of one-character groups from `s` on, each a digit (an ID's check `X` may close it)
/// and separated by one space or hyphen: `1 3 8 0 0 1 3 8 0 0 0`. A run of 10 to 19 digits is
/// judged as the number it spells; longer runs are no identifier and are skipped whole.
/// Returns where the run ends, or `None` (fewer than 10 digits, or a longer group follows)
/// to leave it to the chain joiner.
///
/// A run that spells a country code (`8 6`, `0 0 8 6`) and stops at a wider separator
/// (`+ 8 6 - 1 3 5 …`) is the code of the number after it: that number, spelled the same
/// way, is judged as it would be alone ([`spaced_after_country_code`]).
fn spaced_digits(t: &[u8], s: usize, en: Enabled, out: &mut Vec<Found>) -> Option<usize> {
    spaced_run(t, s, en, out, true)
}

/// Whether a group of digits is China's country code as it is written before a number
/// (`86`, `0086`).
fn country_code(g: &[u8]) -> bool {
    matches!(g, b"86" | b"0086")
}

/// After a country code that ends at `p` (`86`, `0086`, or either spelled one digit per
/// group): one to three separators (`+86 1 3 8…`, `+86-1 3 8…`, `+ 8 6 - 1 3 8…`), then a
/// number spelled one digit per group, judged as one candidate. The chain joiner cannot
/// join the code to it (eight groups at most), and a run of such groups that starts with
/// the code's digits stops at the wider separator. Returns where the number ends when it
/// was found to be an identifier, else `None`, leaving the text to the other readings.
fn spaced_after_country_code(
    t: &[u8],
    p: usize,
    en: Enabled,
    out: &mut Vec<Found>,
) -> Option<usize> {
    let mut q = p;
    while q < t.len() && q < p + 3 && is_sep(t[q]) {
        q += 1;
    }
    let spaced_start = q > p
        && t.get(q).is_some_and(u8::is_ascii_digit)
        && t.get(q + 1).is_some_and(|&b| is_sep(b))
        && t.get(q + 2).is_some_and(u8::is_ascii_digit);
    if !spaced_start {
        return None;
    }
    let before = out.len();
    // Not nested: a code after the code is no code (and the stack stays flat on
    // `8 6 - 8 6 - 8 6 …`).
    let end = spaced_run(t, q, en, out, false)?;
    (out.len() > before).then_some(end)
}

/// [`spaced_digits`]' reading; `code_may_lead` is whether a run that spells a country code
/// may have the number after it read (not in the call that reads that number).
fn spaced_run(
    t: &[u8],
    s: usize,
    en: Enabled,
    out: &mut Vec<Found>,
    code_may_lead: bool,
) -> Option<usize> {
    let alnum_at = |p: usize| t.get(p).is_some_and(|b| is_alnum(*b));
    // The digits it spells (as `classify_joined` takes them: a check `X` in capitals); only
    // a run of at most 19 is judged.
    let mut d = [0u8; 19];
    let mut n = 0;
    let mut p = s;
    loop {
        let b = t[p];
        if n < d.len() {
            d[n] = b.to_ascii_uppercase();
        }
        n += 1;
        let next_is_group = t.get(p + 1).is_some_and(|&c| is_sep(c))
            && t.get(p + 2)
                .is_some_and(|c| c.is_ascii_digit() || matches!(c, b'X' | b'x'));
        if !next_is_group || b == b'X' || b == b'x' {
            break;
        }
        if alnum_at(p + 3) {
            // A longer group follows: a chain of mixed groups, the joiner's case.
            return None;
        }
        p += 2;
    }
    let end = p + 1;
    if alnum_at(end) {
        return None;
    }
    if n < MIN_JOINED {
        if code_may_lead && country_code(&d[..n]) {
            return spaced_after_country_code(t, end, en, out);
        }
        return None;
    }
    if n <= d.len() {
        if let Some((det, conf)) = classify_joined(&d[..n], n, &d[..1], en) {
            out.push(Found {
                det,
                start: s,
                end,
                conf,
                key_only: false,
            });
        }
    }
    Some(end)
}

/// If the digit run `t[s..e]` follows one or two separators and, before them, one or two
/// capital letters that stand alone, and letters and digits together are a Chinese passport
/// or a Hong Kong and Macao permit number: where the letters start, and which it is.
fn letters_before(t: &[u8], s: usize, e: usize, en: Enabled) -> Option<(usize, Det)> {
    if !(en.has(Det::Passport) || en.has(Det::HkMacauPermit))
        || !matches!(e - s, 7 | 8 | 10)
        || s < 2
        || !is_sep(t[s - 1])
        || !t[s..e].iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    let mut le = s - 1;
    if le > 0 && is_sep(t[le - 1]) {
        le -= 1;
    }
    let mut ls = le;
    while ls > 0 && le - ls < 2 && t[ls - 1].is_ascii_uppercase() {
        ls -= 1;
    }
    if ls == le || (ls > 0 && is_alnum(t[ls - 1])) {
        return None;
    }
    let mut buf = [0u8; 12];
    let (letters, digits) = (&t[ls..le], &t[s..e]);
    let n = letters.len() + digits.len();
    if n > buf.len() {
        return None;
    }
    buf[..letters.len()].copy_from_slice(letters);
    buf[letters.len()..n].copy_from_slice(digits);
    let g = &buf[..n];
    if en.has(Det::Passport) && cn_passport_shape(g) {
        return Some((ls, Det::Passport));
    }
    (en.has(Det::HkMacauPermit) && permit_shape(g)).then_some((ls, Det::HkMacauPermit))
}

/// A passport or permit number from the alphanumeric run `t[s..e]` on whose digits are
/// written in two or more groups set apart by one space, hyphen or dot each: the run opens with
/// its one or two capital letters (`E1234 5678`), or is the first group of digits after
/// letters that stand alone (`E 1234 5678`). All the groups, and nothing glued after them,
/// must make the number's shape, so a longer chain of groups is none. Returns where it
/// starts and ends, which it is, and whether two spaces set two of its groups apart (a
/// form printed with wide gaps, `H8  11689  89`, or an ideographic space beside a space);
/// one group after the letters is [`letters_before`]'s.
#[inline(never)]
fn grouped_passport(
    t: &[u8],
    s: usize,
    e: usize,
    en: Enabled,
) -> Option<(usize, usize, Det, bool)> {
    if !(en.has(Det::Passport) || en.has(Det::HkMacauPermit)) {
        return None;
    }
    let len = t.len();
    let mut buf = [0u8; 12];
    let mut n = 0;
    let lead = t[s..e]
        .iter()
        .take_while(|b| b.is_ascii_uppercase())
        .count();
    let psep = |b: u8| is_sep(b) || b == b'.';
    // A two-letter prefix written apart (`E J1820564`, `E.L104.7483`): its first letter
    // stands alone before the run, and the split counts as a group's.
    let split = lead == 1
        && s >= 2
        && psep(t[s - 1])
        && t[s - 2].is_ascii_uppercase()
        && (s == 2 || !is_alnum(t[s - 3]));
    let (ls, mut p) = if lead > 0 {
        if lead > 2 || lead == e - s {
            return None;
        }
        (if split { s - 2 } else { s }, s + lead)
    } else {
        if s < 2 || !psep(t[s - 1]) {
            return None;
        }
        let le = s - 1;
        let mut l = le;
        while l > 0 && le - l < 2 && t[l - 1].is_ascii_uppercase() {
            l -= 1;
        }
        if l == le || (l > 0 && is_alnum(t[l - 1])) {
            return None;
        }
        (l, s)
    };
    for &b in &t[ls..p] {
        if b.is_ascii_uppercase() {
            buf[n] = b;
            n += 1;
        }
    }
    let mut groups = 0;
    let mut wide = false;
    loop {
        let gs = p;
        while p < len && t[p].is_ascii_digit() {
            if n == buf.len() {
                return None;
            }
            buf[n] = t[p];
            n += 1;
            p += 1;
        }
        if p == gs || (p < len && is_alnum(t[p])) {
            return None;
        }
        groups += 1;
        // Dots too (`E1947.3803`, `H1234.5678`): both rules want a keyword or a field name
        // beside the number, which a version or a decimal does not have.
        if p + 1 < len && (is_sep(t[p]) || t[p] == b'.') && t[p + 1].is_ascii_digit() {
            p += 1;
        } else if p + 2 < len && t[p] == b' ' && t[p + 1] == b' ' && t[p + 2].is_ascii_digit() {
            p += 2;
            wide = true;
        } else {
            break;
        }
    }
    if groups + usize::from(split) < 2 {
        return None;
    }
    let g = &buf[..n];
    if en.has(Det::Passport) && cn_passport_shape(g) {
        Some((ls, p, Det::Passport, wide))
    } else if en.has(Det::HkMacauPermit) && permit_shape(g) {
        Some((ls, p, Det::HkMacauPermit, wide))
    } else {
        None
    }
}

/// If the alphanumeric run starting at `s` lies inside a UUID (`8-4-4-4-12` hex digits, not
/// glued to other letters or digits), the end of the UUID.
fn uuid_end(t: &[u8], s: usize) -> Option<usize> {
    const LEN: usize = 36;
    let glued = |p: Option<&u8>| p.is_some_and(|b| b.is_ascii_alphanumeric());
    let shaped = |tok: &[u8]| {
        tok.iter().enumerate().all(|(k, &b)| {
            if matches!(k, 8 | 13 | 18 | 23) {
                b == b'-'
            } else {
                b.is_ascii_hexdigit()
            }
        })
    };
    // The run starts a group, so the UUID starts at most 35 bytes back. Each start is tried:
    // what stands before it may be hex and hyphens too (`consumer-1-854e9874-…`, a client id
    // built on one).
    (s.saturating_sub(LEN - 1)..=s).find_map(|ts| {
        let te = ts + LEN;
        (te <= t.len()
            && !glued(ts.checked_sub(1).map(|p| &t[p]))
            && !glued(t.get(te))
            && shaped(&t[ts..te]))
        .then_some(te)
    })
}

/// Whether the run `t[s..e]` is a 3-4 digit area code written in brackets, `(010)`.
fn area_in_brackets(t: &[u8], s: usize, e: usize) -> bool {
    s > 0
        && t[s - 1] == b'('
        && t.get(e) == Some(&b')')
        && (3..=4).contains(&(e - s))
        && t[s] == b'0'
        && t[s..e].iter().all(u8::is_ascii_digit)
}

/// Evaluates a chain of groups (every group is either part of a joined candidate or judged
/// alone); joins must have the layout [`weak_layout`] names for `layout`'s separator when
/// one is given, or for a space when two spaces set apart two of the joined groups (`wide`:
/// per group, the gap before it). Returns whether the last group was left over (no match
/// took it).
fn eval_chain(
    t: &[u8],
    g: &[(usize, usize)],
    wide: &[bool],
    layout: Option<u8>,
    en: Enabled,
    out: &mut Vec<Found>,
) -> bool {
    // Bytes of groups k.. (suffix sums): a join shorter than the shortest joined identifier
    // (a 10-digit landline) is not worth building, which keeps runs of one-digit groups
    // (`1 2 3 4 …`) linear with a small constant.
    let mut rest = [0usize; 9];
    for k in (0..g.len()).rev() {
        rest[k] = rest[k + 1] + (g[k].1 - g[k].0);
    }
    let mut k = 0;
    // Whether group k-1 is a leftover digit group of this chain (not part of any match): a
    // number with no check character that starts after one is the middle of a longer number
    // (`1101 0519 4912 3100 20`, an ID with a wrong check digit, holds the landline
    // `0519 4912 3100`), unless that group is a country code (`0086 10 6234 5678`).
    let mut loose_before = false;
    while k < g.len() {
        if single(t, g[k].0, g[k].1, en, out) {
            k += 1;
            loose_before = false;
            continue;
        }
        if rest[k] < MIN_JOINED {
            k += 1;
            loose_before = true;
            continue;
        }
        // Longest valid join of groups k..=m (all digits, an ID may end in X).
        let mut joined = false;
        let mut dbuf = [0u8; 24];
        let mut nd = 0;
        // (last group, detector, confidence, needs the field's own name)
        let mut best: Option<(usize, Det, Confidence, bool)> = None;
        for m in k..g.len() {
            let part = &t[g[m].0..g[m].1];
            let (body, last_x) = strip_check_x(part);
            if !body.iter().all(u8::is_ascii_digit) {
                break;
            }
            if nd + part.len() > 23 {
                break;
            }
            for &b in part {
                dbuf[nd] = b;
                nd += 1;
            }
            if m > k && nd >= MIN_JOINED {
                if let Some((det, conf)) =
                    classify_joined(&dbuf[..nd], m - k + 1, &t[g[k].0..g[k].1], en)
                {
                    let mut lens = [0usize; 8];
                    for (l, &(s, e)) in lens.iter_mut().zip(&g[k..=m]) {
                        *l = e - s;
                    }
                    // Two spaces between two of the joined groups ask for the layout too.
                    let layout = layout.or(wide[k + 1..=m].contains(&true).then_some(b' '));
                    // A local number in two groups is written three or four digits, then the
                    // rest (`0755 8601 3388`); `0571-12345 120` is the 12345 hotline and the
                    // next number of the sentence.
                    let odd_local = det == Det::Landline
                        && m - k == 2
                        && t[g[k].0] == b'0'
                        && (!(3..=4).contains(&lens[1]) || lens[2] < 3);
                    // A mobile in two groups is its network code and the rest (`138 00138000`,
                    // `1380 0138000`) or a country code and the number; `1753367 2407` is two
                    // columns of a table written as text (an amount, a count).
                    let odd_mobile = det == Det::Mobile
                        && m == k + 1
                        && !matches!((lens[0], lens[1]), (3, 8) | (4, 7) | (_, 11));
                    // A card is written in groups of three digits or more but the last:
                    // fours (`6222 0212 3456 7890 12`, fives too), or its scheme's or bank's
                    // first four or six and the rest (`4-6-5`, `6225 884831 838498`,
                    // `623668 964467 3809312`), or in two parts; `430104-48-01-681368`, the
                    // end of an investment project's code (`2024-430104-48-01-681368`: year,
                    // region, industry, type, serial), is no card's grouping.
                    // (A weak separator's grouping is judged by `weak_layout` below.)
                    let odd_card =
                        det == Det::BankCard && layout.is_none() && !card_layout(&lens[..=m - k]);
                    if odd_local || odd_mobile || odd_card {
                        // (Such a grouping takes a phone's or a card's field or word.)
                        // Across a dot such a grouping is a decimal (`17898.846667`, a price
                        // beside a word for a handset), which only the field's own name
                        // makes a number.
                        // (`1380013.8000`, a phone's seven and four, stays a phone's.)
                        let decimal =
                            layout == Some(b'.') && !(det == Det::Mobile && lens[..2] == [7, 4]);
                        best = Some((m, det, Confidence::Low, decimal));
                    } else if layout.is_none_or(|sep| weak_layout(det, &lens[..=m - k], sep)) {
                        best = Some((m, det, conf, false));
                    } else if layout == Some(b'.') {
                        // Dots in no grouping of its own (`190.32993032`,
                        // `110105.700505.144`): a value under the field's own name only,
                        // where a decimal or a version is no concern.
                        best = Some((m, det, Confidence::Low, true));
                    }
                }
            }
            if last_x {
                break;
            }
        }
        // Two spaces before the join set it apart from that group as a column gap does
        // (`10:22:33  136-0048-7236`, a time and a phone in two columns of a report).
        if loose_before && !wide[k] && !country_code(&t[g[k - 1].0..g[k - 1].1]) {
            best = best.filter(|&(_, _, conf, _)| conf == Confidence::High);
        }
        // A card number is the whole number: 16 Luhn-valid digits followed by a short group
        // (`4403 0519 8909 2588 12` or `… 1X`, an ID with a wrong check digit in groups of
        // four) are the start of a longer number. (A landline may be followed by an
        // extension.)
        best = best.filter(|&(m, det, _, _)| {
            det != Det::BankCard
                || g.get(m + 1).is_none_or(|&(s, e)| {
                    e - s >= 7 || !strip_check_x(&t[s..e]).0.iter().all(u8::is_ascii_digit)
                })
        });
        // Two groups of which one is a whole number of twelve or thirteen digits or more and
        // the other three or four digits at most are two numbers side by side more often
        // than one card (`440106201909149836 1`, a case number and the next column;
        // `6209 1739077737362`, a metric's value and its timestamp): no card is grouped so
        // (a card's first four and the rest, `6222 021234567894`, are 4 and 12), and it takes
        // a card's field or word to read them as one.
        best = best.map(|(m, det, conf, key_only)| {
            let len = |i: usize| g[i].1 - g[i].0;
            let apart = |a: usize, b: usize| (a >= 12 && b <= 3) || (a >= 13 && b <= 4);
            let lopsided = m == k + 1 && (apart(len(k), len(m)) || apart(len(m), len(k)));
            if det == Det::BankCard && lopsided {
                (m, det, Confidence::Low, key_only)
            } else {
                (m, det, conf, key_only)
            }
        });
        if let Some((m, det, conf, key_only)) = best {
            let start = if det == Det::Mobile {
                mobile_start(t, g[k].0, g[m].1)
            } else {
                g[k].0
            };
            out.push(Found {
                det,
                start,
                end: g[m].1,
                conf,
                key_only,
            });
            k = m + 1;
            joined = true;
        }
        loose_before = !joined;
        if !joined {
            k += 1;
        }
    }
    loose_before
}

/// An old 15-digit ID that is a whole chain of groups in a grouping other than its own
/// (region, birth date, sequence: `110105 491231 002`, which `classify_joined` reads):
/// `3601 0277 0531 882` in fours as a form's boxes or an OCR'd card print it, `310115
/// 640912980`. Fifteen digits with a region and a date in their places are as often some
/// other number, so it is a candidate for the field's own name or label only
/// (`身份证号 3601 0277 0531 882`), added beside whatever the chain scan found in it (under
/// a phone's name `3 401 02771015559` holds the landline `027…`).
fn odd_old_id(t: &[u8], g: &[(usize, usize)], en: Enabled, out: &mut Vec<Found>) {
    // (Most chains are too short or too long: a date, a time, a number and its unit.)
    let span = g[g.len() - 1].1 - g[0].0;
    if !(16..=15 + 3 * (g.len() - 1)).contains(&span) || !en.has(Det::ResidentId15) {
        return;
    }
    let own = g.len() == 3 && g[0].1 - g[0].0 == 6 && g[1].1 - g[1].0 == 6;
    if own || g.iter().map(|&(s, e)| e - s).sum::<usize>() != 15 {
        return;
    }
    let mut d = [0u8; 15];
    let digits = g.iter().flat_map(|&(s, e)| &t[s..e]);
    for (x, &b) in d.iter_mut().zip(digits) {
        if !b.is_ascii_digit() {
            return;
        }
        *x = b;
    }
    if v::resident_id_15(&d) {
        out.push(Found {
            det: Det::ResidentId15,
            start: g[0].0,
            end: g[g.len() - 1].1,
            conf: Confidence::Low,
            key_only: true,
        });
    }
}

/// Where [`whole_separated`] stands with an area code's brackets.
#[derive(PartialEq, Eq)]
enum Bracket {
    None,
    Open,
    Closed,
}

/// The detectors a whole value under their own field name may be written with mixed or odd
/// separators in ([`whole_separated`]): the numbers with a check character, a prefix table
/// or (the 15-digit ID) a region and a date; a landline has its area code's table.
const WHOLE_SEPARATED: u32 = (1 << Det::ResidentId18 as u32)
    | (1 << Det::ResidentId15 as u32)
    | (1 << Det::Uscc as u32)
    | (1 << Det::BankCard as u32)
    | (1 << Det::Mobile as u32)
    | (1 << Det::Landline as u32);

/// A whole value under a field named for an identifier (`en`: the detectors its name names),
/// written with separators of more than one kind or in no grouping of its own (`138
/// 0013.8000`, `+86-181.3674.3987`, `5401.02530 62.8397`): the chain scan joins one kind of
/// separator in an identifier's own groups, since other groupings also write versions,
/// dates and ranges; here the field's name says what the value is and the check character
/// or the prefix whether it is one. The value is its digits (and letters) and separators
/// (space, hyphen, dot, slash, underscore; at most three in a row) and nothing else, a `+`
/// before a country code allowed. Pushes a finding that needs the field's name.
pub(crate) fn whole_separated(t: &[u8], en: Enabled, out: &mut Vec<Found>) {
    let en = Enabled(en.0 & WHOLE_SEPARATED);
    if en.0 == 0 {
        return;
    }
    // (A tab before a cell is how some exports keep a spreadsheet from reading a number.)
    let mut s = 0;
    let mut e = t.len();
    while s < e && matches!(t[s], b' ' | b'\t') {
        s += 1;
    }
    while e > s && matches!(t[e - 1], b' ' | b'\t') {
        e -= 1;
    }
    if e - s > 64 {
        return;
    }
    let mut code = [0u8; 24];
    let mut pos = [0usize; 24];
    // Where the characters before each space end: a word after a space may end the number
    // (`sfzh: 36010.2570313.611 ok` in a log line), so each is also tried as its end.
    let mut cuts = [0usize; 8];
    let (mut n, mut ncuts, mut seps, mut run) = (0, 0, 0, 0);
    let mut p = s + usize::from(t.get(s) == Some(&b'+'));
    // A landline's area code in brackets (`(020)4669 9 3 84`, `(031 1)3478 577 4`): the
    // brackets are separators too, the opening one only first and the closing one only
    // after the three or four digits of an area code.
    let mut bracket = Bracket::None;
    if p == s && t.get(p) == Some(&b'(') {
        bracket = Bracket::Open;
        p += 1;
    }
    while p < e {
        let b = t[p];
        if b.is_ascii_alphanumeric() {
            if n == code.len() {
                break;
            }
            code[n] = b;
            pos[n] = p;
            n += 1;
            run = 0;
        } else if b == b')' && bracket == Bracket::Open {
            if !(3..=4).contains(&n) || code[0] != b'0' {
                return;
            }
            bracket = Bracket::Closed;
            seps += 1;
            run += 1;
        } else if is_group_sep(b) && (n > 0 || bracket == Bracket::Open) && run < 3 {
            if b == b' ' && run == 0 && n > 0 && ncuts < cuts.len() {
                cuts[ncuts] = n;
                ncuts += 1;
            }
            seps += 1;
            run += 1;
        } else {
            break;
        }
        p += 1;
    }
    let whole = p == e && run == 0;
    if seps == 0 || bracket == Bracket::Open {
        return;
    }
    // A mobile after its country code (`+86-181.3674.3987`, `0086 138…`).
    let from = |n: usize| match &code[..n] {
        [b'8', b'6', b'1', ..] if n == 13 => 2,
        [b'0', b'0', b'8', b'6', b'1', ..] if n == 15 => 4,
        _ => 0,
    };
    let ends = whole
        .then_some(n)
        .into_iter()
        .chain(cuts[..ncuts].iter().rev().copied());
    let mut found = Vec::new();
    for n in ends {
        let k = from(n);
        // Separators inside the number (a value with none is the scan's, which has judged
        // it; one the scan refused for its grouping, `13800.138000`, is judged here, under
        // the field's own name).
        if n < MIN_JOINED || (k > 0 && !en.has(Det::Mobile)) || pos[n - 1] - pos[k] + 1 == n - k {
            continue;
        }
        found.clear();
        single(&code[..n], k, n, en, &mut found);
        if let Some(f) = found.iter().find(|f| f.start == k && f.end == n) {
            out.push(Found {
                det: f.det,
                start: pos[k],
                end: pos[n - 1] + 1,
                conf: f.conf,
                key_only: true,
            });
            return;
        }
    }
}

/// The detectors a number hard-wrapped across two lines may be read for ([`wrapped`]): those
/// whose validator says alone whether the digits are one (GB 11643's check character, Luhn
/// and an issuer's prefix, the mobile prefix table, GB 32100's check character).
pub(crate) const WRAPPED: u32 = (1 << Det::ResidentId18 as u32)
    | (1 << Det::BankCard as u32)
    | (1 << Det::Mobile as u32)
    | (1 << Det::Uscc as u32);

/// Most digit groups read after a line break by [`wrapped`].
const WRAPPED_GROUPS: usize = 6;

/// A number hard-wrapped across two lines, from `s` (its first digit, right after a label
/// that names one of `en`'s detectors: the caller knows the label): the digits before the
/// line break (in groups set apart by single spaces or hyphens, `6222 0809 1557 7769`),
/// the break (`\n` or `\r\n`, with up to two spaces of the wrap before and after it), and
/// the groups after it (`身份证号：110105⏎19880512123X`). The joined digits are one number
/// only when its validator says so with no context (a confidence of medium or more) and
/// neither piece alone is one: two numbers on consecutive lines are two numbers. The
/// groups after the break are tried longest first (a word or another number may follow
/// on the line). Pushes a finding from `s` over the break and returns whether it did.
pub(crate) fn wrapped(t: &[u8], s: usize, en: Enabled, out: &mut Vec<Found>) -> bool {
    let en = Enabled(en.0 & WRAPPED);
    if en.0 == 0 {
        return false;
    }
    let len = t.len();
    let mut code = [0u8; 24];
    let mut pos = [0usize; 24];
    let mut n = 0;
    // Before the break: digits, one space or hyphen between two of them.
    let mut p = s;
    while p < len && n < code.len() {
        let b = t[p];
        if b.is_ascii_digit() {
            code[n] = b;
            pos[n] = p;
            n += 1;
            p += 1;
        } else if is_sep(b) && n > 0 && t.get(p + 1).is_some_and(u8::is_ascii_digit) {
            p += 1;
        } else {
            break;
        }
    }
    let left = n;
    if left == 0 {
        return false;
    }
    // The break: spaces, `\r\n` or `\n`, spaces.
    let mut k = 0;
    while k < 2 && t.get(p) == Some(&b' ') {
        p += 1;
        k += 1;
    }
    if t.get(p) == Some(&b'\r') {
        p += 1;
    }
    if t.get(p) != Some(&b'\n') {
        return false;
    }
    p += 1;
    k = 0;
    while k < 2 && t.get(p) == Some(&b' ') {
        p += 1;
        k += 1;
    }
    // After it: groups of digits, the last one maybe closed by an ID's `X`.
    let mut ends = [0usize; WRAPPED_GROUPS];
    let mut groups = 0;
    while groups < WRAPPED_GROUPS && t.get(p).is_some_and(u8::is_ascii_digit) {
        let mut q = p;
        let mut m = n;
        while q < len && t[q].is_ascii_digit() && m < code.len() {
            code[m] = t[q];
            pos[m] = q;
            m += 1;
            q += 1;
        }
        if q < len && matches!(t[q], b'X' | b'x') && m < code.len() {
            code[m] = t[q];
            pos[m] = q;
            m += 1;
            q += 1;
        }
        // A group running on into letters or more digits than fit is no group of it, nor
        // one a date's or a count's word follows (`手机：1381234⏎2024年…`: a year opens the
        // line).
        if q < len
            && (t[q].is_ascii_alphanumeric()
                || word_at(t, q, &["年", "月", "日", "时", "号"])
                || unit_after(t, q))
        {
            break;
        }
        n = m;
        ends[groups] = n;
        groups += 1;
        if q < len && is_sep(t[q]) && t.get(q + 1).is_some_and(u8::is_ascii_digit) {
            p = q + 1;
        } else {
            break;
        }
    }
    let strong = |d: &[u8], found: &mut Vec<Found>| {
        found.clear();
        single(d, 0, d.len(), en, found);
        found
            .iter()
            .find(|f| f.start == 0 && f.end == d.len() && f.conf >= Confidence::Medium)
            .map(|f| (f.det, f.conf))
    };
    let mut found = Vec::new();
    if strong(&code[..left], &mut found).is_some() {
        return false;
    }
    for &m in ends[..groups].iter().rev() {
        if m < MIN_JOINED {
            break;
        }
        let Some((det, conf)) = strong(&code[..m], &mut found) else {
            continue;
        };
        if strong(&code[left..m], &mut found).is_some() {
            return false;
        }
        out.push(Found {
            det,
            start: pos[0],
            end: pos[m - 1] + 1,
            conf,
            key_only: false,
        });
        return true;
    }
    false
}

/// A digit group without the `X` check character an ID number may end in, and whether it
/// had one.
fn strip_check_x(part: &[u8]) -> (&[u8], bool) {
    match part.last() {
        Some(b'X' | b'x') => (&part[..part.len() - 1], true),
        _ => (part, false),
    }
}

/// Where the 11 mobile digits start inside a joined `+86 138 0013 8000` span.
fn mobile_start(t: &[u8], s: usize, e: usize) -> usize {
    let mut count = 0;
    let mut p = e;
    while p > s {
        p -= 1;
        if t[p].is_ascii_digit() {
            count += 1;
            if count == 11 {
                return p;
            }
        }
    }
    s
}

/// What the digits `t[s..e]` are when they follow a decimal point ([`fraction`]).
#[derive(PartialEq, Eq)]
enum Fraction {
    /// Not a fraction: a number of its own (or an item of a numbered list).
    No,
    /// A fraction, and nothing else.
    Only,
    /// The fraction of a number written as a value (`{"gc":53.13533623114}`, a CSV cell,
    /// `v=93.041842592401`): only the field's own name makes it an identifier.
    Keyed,
}

/// Whether the digits `t[s..e]` are the fraction of a decimal number: after `0.` (a ratio
/// printed to a double's precision, `0.4526018159083012`), in a pair of coordinates
/// (`116.40739,39.18836819321`; one alone is under a field named for it, `lat`, which
/// the rules' negative keys name), or a double printed in full as a whole value; these
/// are [`Fraction::Only`]. A decimal that is the whole value (a JSON number, a CSV cell,
/// an element's text) or a `key=value` or ASCII `key:` pair's value (a log's
/// `v=93.041842592401`, JSON logged as text) is [`Fraction::Keyed`]: a measurement printed
/// to eleven or twelve places holds a mobile's or a landline's shape in its fraction one
/// time in a few dozen, and no number of a person is written after a decimal point, but
/// under the field's own name (`"lxdh":"1.13812345678"`) the name says what it is. Not a
/// fraction at all: an item of a numbered list (`1.110101199003077512 2.…`,
/// `联系人：1.13812345678`), and a whole value of text with one digit before the point
/// (`{"remark":"1.13812345678"}`, a CSV cell), where the number is what it is; but a JSON
/// number token (`number`, `{"rate":1.15912345678}`) is always a measurement.
fn fraction(t: &[u8], s: usize, e: usize, number: bool) -> Fraction {
    if s < 2
        || t[s - 1] != b'.'
        || !t[s - 2].is_ascii_digit()
        || (t.get(e) == Some(&b'.') && t.get(e + 1).is_some_and(u8::is_ascii_digit))
    {
        return Fraction::No;
    }
    let mut q = s - 1;
    while q > 0 && t[q - 1].is_ascii_digit() {
        q -= 1;
    }
    if q > 0 && (is_alnum(t[q - 1]) || t[q - 1] == b'.') {
        return Fraction::No;
    }
    let sign = usize::from(q > 0 && t[q - 1] == b'-');
    // The value itself is the decimal (a window's text starts at the value's, so `q ==
    // sign` is the value's start).
    let whole = q == sign && e == t.len();
    // `v=93.04…`, `"v":93.04…`, `gc: 53.13…`: a value after a field's sign. (A colon after a
    // Chinese label, `联系人：1.138…`, may open a numbered list.)
    let signed = {
        let mut p = q - sign;
        while p > 0 && t[p - 1] == b' ' {
            p -= 1;
        }
        p >= 2
            && match t[p - 1] {
                b'=' => true,
                b':' => matches!(t[p - 2], b'"' | b'\'' | b'_') || t[p - 2].is_ascii_alphanumeric(),
                _ => false,
            }
    };
    if !(1..=3).contains(&(s - 1 - q)) {
        return if whole || signed {
            Fraction::Keyed
        } else {
            Fraction::No
        };
    }
    let zero = s - 1 - q == 1 && t[q] == b'0';
    // A double printed in full (`2.7192791495254776`, `89.17214073283158`: fifteen to
    // seventeen significant digits) as the whole value, as a JSON number is.
    let double = whole && (15..=17).contains(&(e - q - 1));
    // `x.y,` before it or `,x.y` after it: the other coordinate.
    let decimal_before = |p: usize| {
        let mut k = p;
        while k > 0 && t[k - 1].is_ascii_digit() {
            k -= 1;
        }
        k < p && k >= 2 && t[k - 1] == b'.' && t[k - 2].is_ascii_digit()
    };
    let decimal_after = |p: usize| {
        let mut k = p;
        while k < t.len() && t[k].is_ascii_digit() {
            k += 1;
        }
        k > p && t.get(k) == Some(&b'.') && t.get(k + 1).is_some_and(u8::is_ascii_digit)
    };
    let pair = (q >= 2 && t[q - 1] == b',' && decimal_before(q - 1))
        || (t.get(e) == Some(&b',') && decimal_after(e + 1));
    if zero || pair || double {
        Fraction::Only
    } else if whole && sign == 0 && s - 1 - q == 1 && !number {
        // One digit before the point, the whole value as text (`{"remark":"1.13812345678"}`,
        // a CSV cell): a numbered item, as in a list (`1.138… 2.…`), not a measurement's
        // fraction. A JSON number (`{"rate":1.15912345678}`) is a measurement.
        Fraction::No
    } else if whole || signed {
        Fraction::Keyed
    } else {
        Fraction::No
    }
}

/// Whether groups of these lengths are a way card numbers are written (see `eval_chain`).
fn card_layout(lens: &[usize]) -> bool {
    // (The last group holds what is left: `6227 0076 4058 6474 8`.)
    let body = &lens[..lens.len().saturating_sub(1)];
    lens.len() <= 2
        || (body.iter().all(|&l| l >= 3)
            && (body.iter().all(|&l| l <= 5) || matches!(lens[0], 4 | 6)))
}

/// The shortest identifier `classify_joined` accepts (a 10-digit landline).
const MIN_JOINED: usize = 10;

fn classify_joined(d: &[u8], parts: usize, first: &[u8], en: Enabled) -> Option<(Det, Confidence)> {
    let n = d.len();
    if n == 18 && en.has(Det::ResidentId18) && v::gb11643(d) {
        return Some((Det::ResidentId18, Confidence::High));
    }
    if !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // Written as an id is (`620102 20090214 7832`: region, birth date, sequence), 18 digits
    // whose check digit fails are a mistyped id, not a card number that happens to start
    // with UnionPay's 62.
    let id_layout = n == 18 && parts == 3 && first.len() == 6;
    if (16..=19).contains(&n) && !id_layout && en.has(Det::BankCard) && v::bank_card(d) {
        return Some((Det::BankCard, Confidence::High));
    }
    if en.has(Det::Mobile) {
        let m = match n {
            11 => Some(d),
            13 if d.starts_with(b"86") => Some(&d[2..]),
            15 if d.starts_with(b"0086") => Some(&d[4..]),
            _ => None,
        };
        if m.is_some_and(v::mobile_cn) {
            return Some((Det::Mobile, Confidence::Medium));
        }
    }
    // American Express is printed in its own grouping (`3749 702725 84907`, four, six and
    // five); like the unseparated 15 digits it needs a card's field or word.
    if n == 15 && parts == 3 && first.len() == 4 && en.has(Det::BankCard) && v::bank_card(d) {
        return Some((Det::BankCard, Confidence::Low));
    }
    // An old 15-digit id written as region, birth date and sequence (`110105 491231 002`);
    // like the unseparated one it needs context.
    if n == 15
        && parts == 3
        && first.len() == 6
        && en.has(Det::ResidentId15)
        && v::resident_id_15(d)
    {
        return Some((Det::ResidentId15, Confidence::Low));
    }
    if en.has(Det::Landline) && (2..=3).contains(&parts) && (10..=12).contains(&n) {
        // `010-12345678`, `0755 8601 3388`: the first group must be exactly the area code.
        if v::landline_area_code(d) == Some(first.len()) && (7..=8).contains(&(n - first.len())) {
            return Some((Det::Landline, Confidence::Medium));
        }
    }
    // `+86-10-12345678`, `0086 755 8765 4321`: the country code, then the area code without
    // its trunk 0, then the number (the mobiles among such chains left above).
    if en.has(Det::Landline) && parts >= 3 && country_code(first) {
        let rest = &d[first.len()..];
        if (9..=11).contains(&rest.len()) {
            let mut z = [b'0'; 12];
            z[1..=rest.len()].copy_from_slice(rest);
            let z = &z[..=rest.len()];
            if v::landline_area_code(z).is_some_and(|a| (7..=8).contains(&(z.len() - a))) {
                return Some((Det::Landline, Confidence::Medium));
            }
        }
    }
    None
}

/// A Chinese passport number: E or G + 8 digits, E + a letter (not I or O) + 7 digits, or an
/// official PE/SE/DE + 7 digits.
pub(crate) fn cn_passport_shape(g: &[u8]) -> bool {
    let dig = |x: &[u8]| x.iter().all(u8::is_ascii_digit);
    g.len() == 9
        && ((matches!(g[0], b'E' | b'G') && dig(&g[1..]))
            || (g[0] == b'E'
                && g[1].is_ascii_uppercase()
                && !matches!(g[1], b'I' | b'O')
                && dig(&g[2..]))
            || (matches!(g[0], b'P' | b'S' | b'D') && g[1] == b'E' && dig(&g[2..])))
}

/// A Hong Kong and Macao permit number: `H`/`M` + 8 digits (and a 2-digit issue count), the
/// permit of Hong Kong and Macao residents; or `C` + 8 digits, the mainland resident's
/// electronic permit to Hong Kong and Macao (往来港澳通行证), which has no issue count, or `C`,
/// a letter and 7 digits, the form its later numbers take.
pub(crate) fn permit_shape(g: &[u8]) -> bool {
    let n = g.len();
    let digits = |x: &[u8]| x.iter().all(u8::is_ascii_digit);
    ((((n == 9 || n == 11) && matches!(g[0], b'H' | b'M')) || (n == 9 && g[0] == b'C'))
        && digits(&g[1..]))
        // The electronic permit's later numbers: `C`, a letter (not I or O), seven digits.
        || (n == 9
            && g[0] == b'C'
            && g[1].is_ascii_uppercase()
            && !matches!(g[1], b'I' | b'O')
            && digits(&g[2..]))
}

/// Whether [`scan`] can find anything in `g`, a text that is nothing but ASCII digits: such a
/// text is one group that `single` judges alone, and this is a cheap superset of what its
/// digit branch accepts (lengths and prefixes, no validator), so the many numbers that no
/// identifier can be (13-digit timestamps, amounts, snowflake ids) skip detection. A
/// property test holds it to `scan`.
pub(crate) fn digit_run_possible(g: &[u8], en: Enabled) -> bool {
    let lead = |p: &[u8]| g.starts_with(p);
    match g.len() {
        // A plate's digits (`京A·12345`) need the province before them.
        5 | 6 => en.has(Det::LicencePlate),
        10 | 12 => en.has(Det::Landline) && lead(b"0"),
        11 => (en.has(Det::Mobile) && lead(b"1")) || (en.has(Det::Landline) && lead(b"0")),
        13 => en.has(Det::Mobile) && lead(b"86"),
        14 => en.has(Det::BankCard) && v::card_issuer(g).is_some(),
        15 => {
            en.has(Det::ResidentId15)
                || en.has(Det::Imei)
                || (en.has(Det::Mobile) && lead(b"0086"))
                || (en.has(Det::BankCard) && v::card_issuer(g).is_some())
        }
        16 | 19 => en.has(Det::BankCard) && v::card_issuer(g).is_some(),
        // An ID with its check character left off, under an ID's field (`single`'s `id17`).
        17 => {
            (en.has(Det::ResidentId18) && v::id18_prefix(&g[..3]))
                || (en.has(Det::BankCard) && v::card_issuer(g).is_some())
        }
        18 => {
            (en.has(Det::ResidentId18) && v::id18_prefix(&g[..3]))
                || (en.has(Det::Uscc) && v::uscc_authority_category(g[0], g[1]))
                || (en.has(Det::BankCard) && v::card_issuer(g).is_some())
        }
        _ => false,
    }
}

/// Adds a candidate a keyword may vouch for (not [`Found::key_only`]); true, for
/// `return push(…)` in the shape tests.
fn push(out: &mut Vec<Found>, det: Det, start: usize, end: usize, conf: Confidence) -> bool {
    out.push(Found {
        det,
        start,
        end,
        conf,
        key_only: false,
    });
    true
}

/// Judges one alphanumeric run alone. Returns whether it produced a candidate.
fn single(t: &[u8], s: usize, e: usize, en: Enabled, out: &mut Vec<Found>) -> bool {
    let g = &t[s..e];
    let n = g.len();
    if en.has(Det::LicencePlate) && (4..=6).contains(&n) {
        if let Some((ps, pe, conf)) = special_plate(t, s, e) {
            return push(out, Det::LicencePlate, ps, pe, conf);
        }
    }
    // Every shape below is at least five characters (the digits of a plate).
    if n < 5 {
        return false;
    }
    let all_digits = g.iter().all(u8::is_ascii_digit);
    // The fraction of a number written as a value: what the digits would be alone, as
    // candidates the field's name must vouch for; a check character that passes (an
    // ID's, a card's) keeps its own confidence.
    let keyed = all_digits
        && n >= 7
        && match fraction(t, s, e, en.number()) {
            Fraction::Only => return false,
            Fraction::Keyed => true,
            Fraction::No => false,
        };
    let from = out.len();
    let any = single_shapes(t, s, e, en, out, all_digits);
    if keyed {
        for f in out[from..].iter_mut().filter(|f| f.conf < Confidence::High) {
            f.conf = Confidence::Low;
            f.key_only = true;
        }
    }
    any
}

/// [`single`] past the plate and the fraction tests: the identifiers `t[s..e]` is alone.
/// (`all_digits`: whether `t[s..e]` is digits only, as `single` found.)
#[inline(always)]
fn single_shapes(
    t: &[u8],
    s: usize,
    e: usize,
    en: Enabled,
    out: &mut Vec<Found>,
    all_digits: bool,
) -> bool {
    let g = &t[s..e];
    let n = g.len();
    // A disability certificate's number (第二代残疾人证): the holder's ID number, then the
    // kind of disability (1-7) and its grade (1-4); a medical insurance number, the ID and
    // two digits of the fund's own. It holds the ID whole, so it is one, but twenty digits
    // are common in trade numbers: a field or keyword must say so.
    if n == 20
        && en.has(Det::ResidentId18)
        && g[18..].iter().all(u8::is_ascii_digit)
        && g[..17].iter().all(u8::is_ascii_digit)
        && matches!(g[17], b'0'..=b'9' | b'X' | b'x')
        && v::gb11643(&g[..18])
    {
        return push(out, Det::ResidentId18, s, e, Confidence::Low);
    }
    if n == 18 {
        let id_shape =
            g[..17].iter().all(u8::is_ascii_digit) && matches!(g[17], b'0'..=b'9' | b'X' | b'x');
        if id_shape && en.has(Det::ResidentId18) && v::gb11643(g) {
            return push(out, Det::ResidentId18, s, e, Confidence::High);
        }
        // An id with a wrong check character or an impossible date (a look-alike, a typo)
        // passes a card's Luhn or a credit code's checks by chance, one time in ten or a few
        // hundred: as either it needs a field name or keyword that says so.
        let id_lookalike = id_shape && v::id18_lookalike(&g[..17]);
        // The credit code's alphabet (digits and capitals), asked once for both tests below.
        let uscc_alphabet = en.has(Det::Uscc)
            && g.iter()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
        if uscc_alphabet && v::gb32100(g) {
            // An all-digit code must also carry a valid organization code, or snowflake ids
            // would pass one time in thirty-one. One with letters is high when its
            // organization code (positions 9-17, GB 11714) checks too. When only its mod-31
            // character does, it stands alone (medium: a negative field name vetoes it) if
            // its region is a real county's, prefecture's or province's: codes written by
            // hand or by generators that know the regions, and registers' typos in the
            // organization code, are of this kind, and a column numbered `F03` must not
            // let them pass; random codes (`"91" + six digits + ten characters`) pass the
            // region one time in a hundred and the check one in thirty-one, and need a
            // field name or keyword as before.
            match (all_digits, v::org_code_check(&g[8..17])) {
                (false, true) if !id_lookalike => {
                    return push(out, Det::Uscc, s, e, Confidence::High)
                }
                (false, _) if !id_lookalike && v::is_region_code(&g[2..8]) => {
                    return push(out, Det::Uscc, s, e, Confidence::Medium)
                }
                (false, _) => return push(out, Det::Uscc, s, e, Confidence::Low),
                (true, true) => {
                    let conf = if id_lookalike {
                        Confidence::Low
                    } else {
                        Confidence::Medium
                    };
                    return push(out, Det::Uscc, s, e, conf);
                }
                (true, false) => {}
            }
        }
        // A code whose mod-31 character checks but whose authority, category or region no
        // list assigns (`Y2110108MA01234X5D`, `91000000MA01234X5J`): registers' test data
        // and generators that know only the check write them. One random string of the
        // alphabet in thirty-one passes, so only the code's own field name or label vouches
        // for it, never a keyword nearby. At least one letter: an all-digit number is an
        // id or a card's long before it is such a code.
        else if uscc_alphabet && !all_digits && !id_lookalike && v::uscc_check_character(g) {
            out.push(Found {
                det: Det::Uscc,
                start: s,
                end: e,
                conf: Confidence::Low,
                key_only: true,
            });
            return true;
        }
    }
    if all_digits {
        // An ID with its check character left off: the 17 digits still say whose it is
        // (they decide the check character), so under an ID field or keyword they are one.
        // (A card of 17 digits may read as one too: both are candidates then.)
        let id17 = n == 17
            && en.has(Det::ResidentId18)
            && v::id18_shape(g)
            && push(out, Det::ResidentId18, s, e, Confidence::Low);
        if n == 15 {
            // Both shapes need context; a number may fit both, so both are candidates and
            // the field or nearby words decide.
            let mut any = false;
            if en.has(Det::ResidentId15) && v::resident_id_15(g) {
                any = push(out, Det::ResidentId15, s, e, Confidence::Low);
            }
            if en.has(Det::Imei)
                && matches!(
                    &g[..2],
                    b"01" | b"35" | b"44" | b"45" | b"49" | b"86" | b"99"
                )
                && v::luhn(g)
            {
                any = push(out, Det::Imei, s, e, Confidence::Low);
            }
            // American Express (15 digits, 34 and 37 are also ID provinces): a card
            // candidate beside the others, and the field or keyword decides.
            if en.has(Det::BankCard) && v::bank_card(g) {
                any = push(out, Det::BankCard, s, e, Confidence::Low);
            }
            if any {
                return true;
            }
        }
        // Diners Club (14 digits): a scheme's prefix and Luhn pass one number in ten of that
        // length, so it takes a card field or keyword, as American Express does above.
        if n == 14 && en.has(Det::BankCard) && v::bank_card(g) {
            return push(out, Det::BankCard, s, e, Confidence::Low);
        }
        if (16..=19).contains(&n) && en.has(Det::BankCard) && v::bank_card(g) {
            let conf = if n == 18 && v::id18_lookalike(&g[..17]) {
                Confidence::Low
            } else {
                Confidence::High
            };
            return push(out, Det::BankCard, s, e, conf);
        }
        // A Luhn-valid number of a card's length that no scheme's prefix and length claim
        // (a 17-digit number after a Visa prefix, a bank's own range): one number in ten
        // passes Luhn, so it is a card only under a card's field. (Not an ID's shape with a
        // wrong check digit: that is a look-alike of an ID.) Key-only, so the bare numbers
        // no key vouches for (snowflake ids) still skip detection (`digit_run_possible`).
        // Nor a SIM card's ICCID (`89…`, the telecom industry's prefix, with a Luhn digit
        // too), which a `卡号` field holds as often as a bank card.
        if (16..=19).contains(&n)
            && en.has(Det::BankCard)
            && v::luhn(g)
            && !(n == 18 && v::id18_lookalike(&g[..17]))
            && !g.starts_with(b"89")
        {
            out.push(Found {
                det: Det::BankCard,
                start: s,
                end: e,
                conf: Confidence::Low,
                key_only: true,
            });
            return true;
        }
        // `收入15811567120元`, `游客13153593449人次`: a unit after the number makes it a
        // quantity, not a telephone.
        // `15898173558.46元`: a number with a decimal fraction is an amount; no telephone
        // number is written with one. A single zero is not proof: a phone column exported
        // as floats reads `13800138000.0`.
        // A fraction of zeros and a unit after it (`13912345678.00元`) is an amount again.
        let zeros = if t.get(e) == Some(&b'.') {
            let frac = t[e + 1..].iter().take_while(|b| b.is_ascii_digit());
            let n = frac.clone().count();
            if frac.clone().any(|&b| b != b'0') || (n > 0 && unit_after(t, e + 1 + n)) {
                None
            } else {
                Some(n)
            }
        } else {
            Some(0)
        };
        let decimal = zeros.is_none();
        // Cents of zeros (`15612345678.00`, a ledger's cell) or a currency sign before it
        // (`￥13812345678`) make a sum of money more likely than a telephone: a phone field
        // or word must say it is one.
        let money = zeros.is_some_and(|n| n >= 2)
            || ["¥", "￥"].iter().any(|c| t[..s].ends_with(c.as_bytes()));
        if en.has(Det::Mobile) && !unit_after(t, e) && !decimal {
            if n == 11 && v::mobile_cn(g) {
                // `13800138000-01`: a hyphen and a short number after it make a product
                // or item code (no mobile has an extension); a unit after a space makes a
                // measure (`耗时 15234567890 ns`). Only a field named for a mobile, or its
                // label, takes either.
                if code_suffix(t, e) || unit_after_space(t, e) {
                    out.push(Found {
                        det: Det::Mobile,
                        start: s,
                        end: e,
                        conf: Confidence::Low,
                        key_only: true,
                    });
                    return true;
                }
                // A number whose last six digits are zeros is a round amount (`19000000000`
                // yuan) or an authority's code (the tax offices' `13100000000`) far more
                // often than a subscriber's: it needs a phone field or word.
                // The same for one after three capitals or more (`JDVA17677426882`, a
                // carrier's waybill), unless they are a word for a telephone
                // (`TEL13800138000`, `PHONE…`).
                let capitals = t[..s]
                    .iter()
                    .rev()
                    .take_while(|b| b.is_ascii_uppercase())
                    .count();
                let code = capitals >= 3 && {
                    let word = &t[s - capitals..s];
                    !PHONE_WORDS.iter().any(|w| word.ends_with(w.as_bytes()))
                };
                let conf = if g[5..].iter().all(|&b| b == b'0') || code || money {
                    Confidence::Low
                } else {
                    Confidence::Medium
                };
                return push(out, Det::Mobile, s, e, conf);
            }
            if n == 13 && g.starts_with(b"86") && v::mobile_cn(&g[2..]) {
                return push(out, Det::Mobile, s + 2, e, Confidence::Medium);
            }
            if n == 15 && g.starts_with(b"0086") && v::mobile_cn(&g[4..]) {
                return push(out, Det::Mobile, s + 4, e, Confidence::Medium);
            }
        }
        if en.has(Det::Landline) && !decimal && g[0] == b'0' && (10..=12).contains(&n) {
            if let Some(a) = v::landline_area_code(g) {
                if (7..=8).contains(&(n - a)) {
                    return push(out, Det::Landline, s, e, Confidence::Low);
                }
            }
        }
        if en.has(Det::LicencePlate) && (5..=6).contains(&n) {
            // The building test last: most five- and six-digit runs have no plate before them.
            if let Some(ps) = plate_split(t, s).filter(|_| !building_after(t, e)) {
                return push(out, Det::LicencePlate, ps, e, Confidence::Medium);
            }
        }
        return id17;
    }
    // `黑C·F84935`, `藏M·S78T5`: letters among the five or six characters after the dot.
    if en.has(Det::LicencePlate) && (n == 5 || n == 6) && plate_chars(g) {
        if let Some(ps) = plate_split(t, s).filter(|_| !building_after(t, e)) {
            return push(out, Det::LicencePlate, ps, e, Confidence::Medium);
        }
    }
    // More letters than an ordinary serial takes, after the dot (`苏Q·VP6X8`, `京N-ABC12`):
    // as such a run glued to its province (below), only a plate's field or label vouches
    // for it.
    if en.has(Det::LicencePlate) && (n == 5 || n == 6) && many_letter_serial(g) {
        if let Some(ps) = plate_split(t, s).filter(|_| !building_after(t, e)) {
            out.push(Found {
                det: Det::LicencePlate,
                start: ps,
                end: e,
                conf: Confidence::Low,
                key_only: true,
            });
            return true;
        }
    }
    if en.has(Det::Passport) && cn_passport_shape(g) {
        return push(out, Det::Passport, s, e, Confidence::Low);
    }
    if en.has(Det::HkMacauPermit) && permit_shape(g) {
        return push(out, Det::HkMacauPermit, s, e, Confidence::Low);
    }
    if en.has(Det::LicencePlate) && plate_after_province(g) && !building_after(t, e) {
        if province_before(t, s) {
            return push(out, Det::LicencePlate, s - 3, e, Confidence::Medium);
        }
        // `京·A12345`: the dot after the province rather than after the letter.
        if let Some(ps) = dotted_province_before(t, s) {
            return push(out, Det::LicencePlate, ps, e, Confidence::Medium);
        }
        // `新　J69T92`: a space (or a folded ideographic space) between the province and
        // the rest; weaker, so it needs context (a plate field or keyword).
        if s >= 4 && t[s - 1] == b' ' && province_before(t, s - 1) {
            return push(out, Det::LicencePlate, s - 4, e, Confidence::Low);
        }
    }
    // More letters than an ordinary serial takes (`京AX7K9Q`, `苏GLN6X6`): plates chosen by
    // their owners and some local series have them, but so do product codes after a
    // place's name, so only a plate's field or label vouches for it (a keyword nearby, as
    // in `车牌识别一体机 型号 京ABC12D`, names the product).
    if en.has(Det::LicencePlate)
        && (6..=7).contains(&n)
        && g[0].is_ascii_uppercase()
        && many_letter_serial(&g[1..])
        && province_before(t, s)
        && !building_after(t, e)
    {
        out.push(Found {
            det: Det::LicencePlate,
            start: s - 3,
            end: e,
            conf: Confidence::Low,
            key_only: true,
        });
        return true;
    }
    // A plate entered in lower case (`京a12345`): the province and the shape say as much as
    // in upper case, but a lower-case letter and digits are a common code shape, so it
    // needs a plate field or keyword.
    if en.has(Det::LicencePlate)
        && n == 6
        && g[0].is_ascii_lowercase()
        && !matches!(g[0], b'i' | b'o')
        && g[1..].iter().all(u8::is_ascii_digit)
        && province_before(t, s)
    {
        return push(out, Det::LicencePlate, s - 3, e, Confidence::Low);
    }
    // A military plate: two letters and five digits (`KV12345`), and the armed police's `WJ`
    // and five digits; too generic alone (product and form codes), so it needs a plate
    // field or keyword.
    if en.has(Det::LicencePlate)
        && n == 7
        && g[..2].iter().all(u8::is_ascii_uppercase)
        && g[2..].iter().all(u8::is_ascii_digit)
    {
        return push(out, Det::LicencePlate, s, e, Confidence::Low);
    }
    // Letters glued to a number (`ID110101199003071234`, `tel13800138000`): judge the
    // digits on their own.
    let lead = g.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    // Letters after it (`13800138000b`, `11010519491231002Xa`, a value typed past its end
    // to slip by): as often a code's tail (hex, serials), so the digits on their own need
    // a field name or keyword.
    let digits = g[lead..].iter().take_while(|b| b.is_ascii_digit()).count();
    let mut de = lead + digits;
    if digits == 17 && g.get(de).is_some_and(|&b| b == b'X' || b == b'x') {
        de += 1;
    }
    if digits >= 11 && de < n && g[de..].iter().all(u8::is_ascii_alphabetic) {
        let from = out.len();
        if single(t, s + lead, s + de, en, out) {
            for f in &mut out[from..] {
                f.conf = Confidence::Low;
            }
            return true;
        }
        return false;
    }
    if lead > 0 && lead < n && n - lead >= 11 {
        let core = &g[lead..];
        let body = if core.last().is_some_and(|&b| b == b'X' || b == b'x') {
            &core[..core.len() - 1]
        } else {
            core
        };
        if body.iter().all(u8::is_ascii_digit) {
            // One capital and eleven digits is a code's shape before a glued mobile's: the
            // medical insurance administration's institution codes (`H13010500123`, `P…`:
            // a letter, a region code, a serial). Its digits need a field name or keyword.
            if lead == 1 && g[0].is_ascii_uppercase() && core.len() == 11 {
                let from = out.len();
                if single(t, s + lead, e, en, out) {
                    for f in &mut out[from..] {
                        f.conf = Confidence::Low;
                    }
                    return true;
                }
                return false;
            }
            let from = out.len();
            let found = single(t, s + lead, e, en, out);
            // Letters glued to a card's digits are one token with them far more often than
            // a label: a case or business number (`A5401022024415588`,
            // `SQ5301022024065749`) ends in digits that pass Luhn behind a scheme's prefix
            // one time in ten. The digits are a card only with a card's field or keyword,
            // unless the letters are a card's own word (`CARD6222…`, `KH6222…`). (A label
            // written apart, `No.6222…`, `card:6222…`, `卡号6222…`, is no glued letter, nor
            // is an escape's letter in a log's text, `\n6222…`, `\t6222…`.)
            let escape = lead == 1 && s > 0 && t[s - 1] == b'\\';
            if !escape && !card_word(&g[..lead]) {
                for f in &mut out[from..] {
                    if f.det == Det::BankCard {
                        f.conf = Confidence::Low;
                    }
                }
            }
            return found;
        }
    }
    false
}

/// Whether letters glued before a number name a bank card or account (`CARD`, `CardNo`,
/// `KH`, `YHK`, `ACCT`), any case.
fn card_word(w: &[u8]) -> bool {
    const WORDS: &[&[u8]] = &[
        b"card",
        b"cardno",
        b"no",
        b"kh",
        b"yhk",
        b"yhkh",
        b"zh",
        b"acct",
        b"acctno",
        b"account",
        b"accountno",
        b"bankcard",
        b"cc",
        b"visa",
        b"master",
        b"mastercard",
        b"unionpay",
        b"amex",
        b"jcb",
    ];
    WORDS.iter().any(|x| w.eq_ignore_ascii_case(x))
}

/// Whether `-` and one to four digits, and no more letters or digits, follow at `e`.
fn code_suffix(t: &[u8], e: usize) -> bool {
    if t.get(e) != Some(&b'-') {
        return false;
    }
    let n = t[e + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
    (1..=4).contains(&n) && !t.get(e + 1 + n).is_some_and(|b| b.is_ascii_alphanumeric())
}

/// Whether a unit of measure or count follows at `e` (`元`, `万`, `人次`, `件`…).
fn unit_after(t: &[u8], e: usize) -> bool {
    const UNITS: &[&str] = &[
        "元", "万", "亿", "人", "次", "件", "个", "吨", "台", "辆", "户", "份", "张", "笔", "条",
        "头", "只", "箱", "股", "克", "米", "平方", "公里", "千", "美元", "港元", "%",
    ];
    word_at(t, e, UNITS)
}

/// Whether one space and a unit of time, size, rate or money follow at `e`
/// (`耗时 15234567890 ns`, `共 13800138000 字节`, `size 16106127360 bytes`): a log's or a
/// report's measure. Only units that open no other word are listed: after a space a
/// telephone is often followed by a name or the next label (`13800138000 张三`,
/// `… 户籍地址`), so the counters `张`, `户`, `万` and the like are left to the glued test
/// ([`unit_after`]). A unit must end its word: an ASCII one before the end, a space or
/// punctuation (`13800138000 Bob`, `… MB会员` a membership tier, are no units), `元` before
/// no Han character (`元旦`, `元宵`). A bare `B` is no unit at all: after a telephone it is a
/// building's block far more often (`13812345678 B座1203`).
fn unit_after_space(t: &[u8], e: usize) -> bool {
    const ASCII: &[&str] = &[
        "ns", "us", "ms", "sec", "secs", "seconds", "bytes", "byte", "KB", "MB", "GB", "TB", "KiB",
        "MiB", "GiB", "TiB", "kB", "Kb", "Mb", "Gb", "bps", "Kbps", "Mbps", "Hz", "ops", "rows",
        "records", "items", "pkts", "packets", "CNY", "RMB", "USD",
    ];
    const CJK: &[&str] = &[
        "字节",
        "毫秒",
        "微秒",
        "纳秒",
        "秒钟",
        "元",
        "人次",
        "吨",
        "辆",
        "公里",
        "千克",
        "平方米",
        "美元",
        "港元",
        "条记录",
        "行记录",
    ];
    if t.get(e) != Some(&b' ') {
        return false;
    }
    let rest = &t[e + 1..];
    let han_at = |n: usize| han_at(rest, n);
    let word_end = |n: usize| {
        !rest
            .get(n)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
            && !han_at(n)
    };
    ASCII
        .iter()
        .chain(["µs"].iter())
        .any(|w| rest.starts_with(w.as_bytes()) && word_end(w.len()))
        || CJK
            .iter()
            .any(|w| rest.starts_with(w.as_bytes()) && (*w != "元" || !han_at(w.len())))
}

/// Whether a Han character (CJK Unified Ideographs and Extension A, three bytes in UTF-8)
/// starts at `t[p..]`.
fn han_at(t: &[u8], p: usize) -> bool {
    let Some(c) = t.get(p..p + 3) else {
        return false;
    };
    let cp =
        (u32::from(c[0] & 0x0F) << 12) | (u32::from(c[1] & 0x3F) << 6) | u32::from(c[2] & 0x3F);
    c[0] & 0xF0 == 0xE0
        && c[1] & 0xC0 == 0x80
        && c[2] & 0xC0 == 0x80
        && ((0x4E00..=0x9FFF).contains(&cp) || (0x3400..=0x4DBF).contains(&cp))
}

/// Capitalized words for a telephone glued to its number (`TEL13800138000`).
const PHONE_WORDS: &[&str] = &[
    "TEL", "PHONE", "MOBILE", "CELL", "SJH", "SJHM", "LXDH", "MOB",
];

/// Whether a building's part follows at `e` (`京A12345号楼`, `B12345栋`): a block code in an
/// address, shaped like a plate.
fn building_after(t: &[u8], e: usize) -> bool {
    word_at(t, e, &["号楼", "栋", "幢", "单元", "室", "座"])
}

/// Whether one of `words` starts at `e`.
fn word_at(t: &[u8], e: usize, words: &[&str]) -> bool {
    let rest = &t[e..];
    words.iter().any(|w| rest.starts_with(w.as_bytes()))
}

/// What follows the province in an ordinary or new-energy plate (`A12345`, `HF68245`): a
/// capital letter, then five or six capitals and digits ([`plate_chars`]).
pub(crate) fn plate_after_province(g: &[u8]) -> bool {
    (6..=7).contains(&g.len()) && g[0].is_ascii_uppercase() && plate_chars(&g[1..])
}

/// How many digits a plate's serial `x` holds, if it is one: capitals (not `I`, `O`) and
/// digits only.
fn serial_digits(x: &[u8]) -> Option<usize> {
    x.iter()
        .all(|b| b.is_ascii_digit() || (b.is_ascii_uppercase() && !matches!(b, b'I' | b'O')))
        .then(|| x.iter().filter(|b| b.is_ascii_digit()).count())
}

/// A plate's serial with more letters than an ordinary one takes: at least one digit.
fn many_letter_serial(x: &[u8]) -> bool {
    serial_digits(x).is_some_and(|d| d >= 1)
}

fn plate_chars(x: &[u8]) -> bool {
    serial_digits(x).is_some_and(|d| d >= 3)
}

/// The plate suffixes of GA 36-2018 written after four characters: police 警, consulate 领,
/// Hong Kong and Macao cross-border 港 and 澳, driving school 学, trailer 挂.
const PLATE_SUFFIXES: [&str; 6] = ["警", "领", "港", "澳", "学", "挂"];

/// A plate whose form differs from the ordinary one, around the alphanumeric run `t[s..e]`
/// (4 to 6 characters): where it starts and ends and how sure the shape is.
///
/// - four characters after a province and a letter, then a suffix (`京A1234警`, `粤Z1234港`,
///   `京·A1234警`, `沪A·1234领`): as distinctive as an ordinary plate;
/// - the armed police's `WJ`, a province and five characters (`WJ京12345`, `WJ京·1234X`), or
///   `WJ`, two digits, a hyphen and five digits (`WJ01-12345`, with a plate field or
///   keyword: file numbers are written so too);
/// - an embassy's 使 and six digits (`使014578`, also written `224001使`): six digits beside
///   one character say little, so it needs a plate field or keyword.
///
/// The span takes the suffix in, so a mask covers it as an ordinary plate's last character.
fn special_plate(t: &[u8], s: usize, e: usize) -> Option<(usize, usize, Confidence)> {
    // Every form below has a Han character right after the run (a suffix, 使) or `WJ` or 使
    // within eight bytes before it; the four- to six-digit runs that reach here (years,
    // amounts, the tails of masked numbers) almost never do.
    let after_han = t.get(e).is_some_and(|&b| b >= 0x80);
    let near = &t[s.saturating_sub(8)..s];
    if !after_han && memchr::memmem::find(near, b"WJ").is_none() && !near.ends_with("使".as_bytes())
    {
        return None;
    }
    let g = &t[s..e];
    let n = g.len();
    let suffix = after_han && word_at(t, e, &PLATE_SUFFIXES);
    let digits = |x: &[u8]| x.iter().all(u8::is_ascii_digit);
    if suffix && n == 5 && g[0].is_ascii_uppercase() && plate_chars(&g[1..]) {
        if province_before(t, s) {
            return Some((s - 3, e + 3, Confidence::Medium));
        }
        if let Some(ps) = dotted_province_before(t, s) {
            return Some((ps, e + 3, Confidence::Medium));
        }
    }
    if suffix && n == 4 && plate_chars(g) {
        if let Some(ps) = plate_split(t, s) {
            return Some((ps, e + 3, Confidence::Medium));
        }
    }
    if n == 5 && plate_chars(g) {
        if let Some(ps) = armed_police_before(t, s) {
            // `WJ01-12345` without a province: WJ is also shorthand for 文件 in file numbers
            // (`WJ01-00023`), so that form needs a plate field or keyword.
            let conf = if t.get(ps + 2).is_some_and(u8::is_ascii_digit) {
                Confidence::Low
            } else {
                Confidence::Medium
            };
            return Some((ps, e, conf));
        }
    }
    if n == 6 && digits(g) {
        let embassy = "使".as_bytes();
        if s >= 3 && &t[s - 3..s] == embassy {
            return Some((s - 3, e, Confidence::Low));
        }
        if t[e..].starts_with(embassy) {
            return Some((s, e + 3, Confidence::Low));
        }
    }
    None
}

/// Where an armed police plate starts when its last five characters start at `s`: after
/// `WJ` and a province (a dot or space between them and the rest allowed, `WJ京·12345`), or
/// after `WJ`, two digits and a hyphen or space (`WJ01-12345`). `WJ` must stand alone.
fn armed_police_before(t: &[u8], s: usize) -> Option<usize> {
    let wj = |at: usize| {
        (at >= 2 && &t[at - 2..at] == b"WJ" && (at == 2 || !is_alnum(t[at - 3]))).then(|| at - 2)
    };
    let at = if s >= 2 && &t[s - 2..s] == "·".as_bytes() {
        s - 2
    } else if s >= 1 && t[s - 1] == b' ' {
        s - 1
    } else {
        s
    };
    // 使 and 领 stand where a province does on embassy and consulate plates, never after WJ.
    if province_before(t, at) && !["使", "领"].iter().any(|c| t[..at].ends_with(c.as_bytes())) {
        return wj(at - 3);
    }
    // `WJ01-12345`: the digits at `s` follow a separator, two digits and `WJ`.
    if s >= 5 && matches!(t[s - 1], b'-' | b' ') && t[s - 3..s - 1].iter().all(u8::is_ascii_digit) {
        return wj(s - 3);
    }
    None
}

/// `京·A12345`: the dot between the province and the letter at `s` (the ordinary place is
/// after the letter). Returns where the province starts.
fn dotted_province_before(t: &[u8], s: usize) -> Option<usize> {
    let dot = "·".as_bytes();
    (s >= 5 && &t[s - 2..s] == dot && province_before(t, s - 2)).then(|| s - 5)
}

/// A province abbreviation (3 UTF-8 bytes) ends at `s`.
fn province_before(t: &[u8], s: usize) -> bool {
    s >= 3
        && std::str::from_utf8(&t[s - 3..s])
            .ok()
            .and_then(|c| c.chars().next())
            .is_some_and(crate::dict::is_plate_province)
}

/// `京A·12345` / `京A 12345`: the digits at `s` follow a separator, a letter and a province.
fn plate_split(t: &[u8], s: usize) -> Option<usize> {
    let sep = if s >= 2 && &t[s - 2..s] == "·".as_bytes() {
        2
    } else if s >= 1 && matches!(t[s - 1], b' ' | b'.' | b'-') {
        1
    } else {
        return None;
    };
    let l = s.checked_sub(sep + 1)?;
    if !t[l].is_ascii_uppercase() || (l > 0 && is_alnum(t[l - 1]) && !province_before(t, l)) {
        return None;
    }
    province_before(t, l).then(|| l - 3)
}

/// Whether `t[..s]` ends with the letters `IP` (any case) written on their own
/// (`来源IP`, `IP`), the label an address is glued to in logs and remarks.
fn after_ip_label(t: &[u8], s: usize) -> bool {
    s >= 2 && t[s - 2..s].eq_ignore_ascii_case(b"ip") && (s == 2 || !is_alnum(t[s - 3]))
}

/// Words a standard's or a report's text glues to the number of its parts (`条款10.3.5.6`,
/// `表3.2.1.4`, `图2.1.1.3`, `第4.2.1.1条`).
const SECTION_WORDS: &[&str] = &[
    "条", "款", "项", "表", "图", "节", "章", "第", "附录", "附件", "Table ", "Fig. ",
];

/// A dotted quad starting at `s`; returns its end.
fn ipv4_at(t: &[u8], s: usize) -> Option<usize> {
    if s > 0 && (t[s - 1] == b'.' || t[s - 1].is_ascii_digit()) {
        return None;
    }
    let mut p = s;
    for part in 0..4 {
        let q = p;
        while p < t.len() && p - q < 3 && t[p].is_ascii_digit() {
            p += 1;
        }
        if p == q {
            return None;
        }
        if part < 3 {
            if p >= t.len() || t[p] != b'.' {
                return None;
            }
            p += 1;
        }
    }
    // Not part of a longer dotted or alphanumeric run (versions like 1.2.3.4.5, hosts).
    if p < t.len()
        && (is_alnum(t[p]) || (t[p] == b'.' && t.get(p + 1).is_some_and(u8::is_ascii_digit)))
    {
        return None;
    }
    if product_version(t, s) {
        return None;
    }
    // A clause of a regulation or a standard (`第3.1.2.4条`, `5.4.1.2节`, `GB/T 35273-2020
    // 5.4.1.2`): numbered sections, not addresses.
    const CLAUSE_BEFORE: &[&str] = &["第"];
    const CLAUSE_AFTER: &[&str] = &["条", "节", "款", "项", "章", "小节", "部分"];
    if CLAUSE_BEFORE.iter().any(|w| t[..s].ends_with(w.as_bytes()))
        || CLAUSE_AFTER
            .iter()
            .any(|w| t[p..].starts_with(w.as_bytes()))
    {
        return None;
    }
    v::ipv4_of_someone(&t[s..p]).then_some(p)
}

/// Whether the dotted quad at `s` is a product's version in a User-Agent or a banner
/// (`Chrome/120.0.0.0`, `Version/17.4.1.2`, `AppleWebKit/537.36`): right after the name of
/// a browser, an engine or an app that writes its version so ([`PRODUCTS`]), then `/`.
/// The name must stand on its own (after a space, a bracket, a quote, `;` or `,`, or at the
/// start): a URL's or a path's segment (`http://10.1.2.3`, `/api/ip/10.1.2.3`) follows
/// `/`, `.` or `:` and keeps its address. Any other word before `/` is no product
/// (`ClientIP/222.150.18.61`, `Terminal/…`, `User/…`, `Host/…` name where an address is).
fn product_version(t: &[u8], s: usize) -> bool {
    let Some(head) = t[..s].strip_suffix(b"/") else {
        return false;
    };
    let start = head.len()
        - head
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
    let word = &head[start..];
    (2..=24).contains(&word.len())
        && word[0].is_ascii_uppercase()
        && (start == 0
            || matches!(
                head[start - 1],
                b' ' | b'\t' | b'(' | b';' | b',' | b'"' | b'\''
            ))
        && PRODUCTS
            .iter()
            .any(|h| word.eq_ignore_ascii_case(h.as_bytes()))
}

/// Browsers, engines and apps whose User-Agent token may carry a four-part version that
/// reads as a dotted quad (`Chrome/120.0.0.0`, `UCBrowser/13.4.0.1306`).
#[rustfmt::skip]
const PRODUCTS: &[&str] = &[
    "Mozilla", "AppleWebKit", "Safari", "Chrome", "Chromium", "CriOS", "HeadlessChrome",
    "Firefox", "FxiOS", "Gecko", "Edge", "Edg", "EdgA", "EdgiOS", "OPR", "Opera", "Version",
    "Mobile", "Trident", "Presto", "YaBrowser", "UCBrowser", "UBrowser", "QQBrowser",
    "MQQBrowser", "QQ", "MicroMessenger", "WindowsWechat", "MiniProgramEnv", "wxwork",
    "SamsungBrowser", "HuaweiBrowser", "HBPC", "MiuiBrowser", "XiaoMi", "HeyTapBrowser",
    "VivoBrowser", "Quark", "SogouMobileBrowser", "MetaSr", "LBBROWSER", "Maxthon",
    "TheWorld", "AlipayClient", "AliApp", "DingTalk", "Lark", "Feishu", "Weibo",
    "NewsArticle", "Electron", "Thunderbird", "Dalvik", "Darwin", "CFNetwork",
];

/// Top-level names reserved for hosts on a local network, never delegated on the Internet
/// (RFC 6761, RFC 6762, and `internal` and `lan` as home and company networks use them).
const RESERVED_TLDS: &[&[u8]] = &[b"local", b"localhost", b"internal", b"invalid", b"lan"];

/// Whether `t[s..e]` is a repository's address as Git writes one (`git@gitee.com:org/app.git`,
/// `git@host:~/repo`): the account `git` or a path ending in `.git`, one token after the
/// colon, no URL. A mailbox followed by a colon and a path or a date (`zhangsan@163.com:
/// /api/v1/orders` in a log) is a mailbox.
fn scp_path(t: &[u8], s: usize, at: usize, e: usize) -> bool {
    if t.get(e) != Some(&b':') {
        return false;
    }
    let path = &t[e + 1..];
    let n = path
        .iter()
        .take(256)
        .position(|&b| {
            b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b',' | b';' | b'<' | b'>' | b')')
        })
        .unwrap_or(path.len().min(256));
    let tok = &path[..n];
    tok.first()
        .is_some_and(|&b| b.is_ascii_alphabetic() || b == b'~')
        && tok.contains(&b'/')
        && memchr::memmem::find(tok, b"://").is_none()
        && (t[s..at].eq_ignore_ascii_case(b"git") || tok.ends_with(b".git"))
}

/// Files' types that are no top-level domain (`.zip`, `.mov`, `.py` are, and stay).
const FILE_TYPES: &[&[u8]] = &[
    b"png", b"jpg", b"jpeg", b"gif", b"webp", b"svg", b"bmp", b"ico", b"woff", b"ttf", b"otf",
    b"eot", b"css", b"js", b"json", b"xml", b"html", b"htm", b"pdf", b"doc", b"docx", b"xls",
    b"xlsx", b"ppt", b"pptx", b"txt", b"csv", b"mp3", b"mp4", b"avi", b"wav", b"apk", b"exe",
    b"jar", b"map", b"vue", b"php", b"jsp", b"aspx", b"git",
];

fn email(t: &[u8], out: &mut Vec<Found>) {
    let local_ok =
        |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-');
    let mut last_end = 0;
    for at in memchr::memchr_iter(b'@', t) {
        if at < last_end {
            continue;
        }
        let mut s = at;
        while s > last_end && at - s < 64 && local_ok(t[s - 1]) {
            s -= 1;
        }
        while s < at && t[s] == b'.' {
            s += 1;
        }
        if s == at {
            continue;
        }
        let mut e = at + 1;
        while e < t.len()
            && e - at < 254
            && (t[e].is_ascii_alphanumeric() || t[e] == b'-' || t[e] == b'.')
        {
            e += 1;
        }
        while e > at + 1 && (t[e - 1] == b'.' || t[e - 1] == b'-') {
            e -= 1;
        }
        let domain = &t[at + 1..e];
        let Some(dot) = domain.iter().rposition(|&b| b == b'.') else {
            continue;
        };
        let tld = &domain[dot + 1..];
        if dot == 0
            || tld.len() < 2
            || !tld.iter().all(u8::is_ascii_alphabetic)
            || domain.windows(2).any(|w| w == b"..")
        {
            continue;
        }
        // A machine's account on a name reserved for local networks (`ci-bot@build.local`,
        // `root@node1.internal`) is nobody's address.
        if RESERVED_TLDS.iter().any(|r| tld.eq_ignore_ascii_case(r)) {
            last_end = e;
            continue;
        }
        // A file named for its scale or version (`logo@2x.png`, `iconfont@3.0.1.woff`: no
        // top-level domain is a file's type), or a repository's address (`git@gitee.com:
        // org/app.git`, a path after the colon): nobody's mailbox.
        // (A mailbox a file is named for, `wangfang88@163.com.pdf`, is the address before
        // the file's type.)
        if FILE_TYPES.iter().any(|f| tld.eq_ignore_ascii_case(f)) {
            let rest = &domain[..dot];
            let inner = rest
                .iter()
                .rposition(|&b| b == b'.')
                .map(|d| &rest[d + 1..]);
            if !inner.is_some_and(|l| l.len() >= 2 && l.iter().all(u8::is_ascii_alphabetic)) {
                last_end = e;
                continue;
            }
            e = at + 1 + dot;
        }
        if scp_path(t, s, at, e) {
            last_end = e;
            continue;
        }
        // A content or message id is written like an address (`Content-ID:
        // <0.root@apache.org>`, `cid:4F2A@apache.org` in an MTOM body): masking it breaks
        // the references to it, and it names nobody.
        if message_id(t, s) {
            last_end = e;
            continue;
        }
        out.push(Found {
            det: Det::Email,
            start: s,
            end: e,
            conf: Confidence::Medium,
            key_only: false,
        });
        last_end = e;
    }
}

/// Whether the address-shaped token at `s` is a content or message id: right after `cid:`
/// or `mid:` (a URL naming a MIME part), or in angle brackets after a `Content-ID`,
/// `Message-ID`, `In-Reply-To`, `References` header or a `start=` parameter.
fn message_id(t: &[u8], s: usize) -> bool {
    // The token the address ends: back to a space, a quote or a bracket
    // (`cid:1.urn:uuid:4F2A@…` holds colons of its own).
    let from = s.saturating_sub(96);
    let tok = t[from..s]
        .iter()
        .rposition(|&b| b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'<' | b'>'))
        .map_or(from, |p| from + p + 1);
    let head = &t[tok..s];
    let starts_ci = |p: &[u8]| head.len() >= p.len() && head[..p.len()].eq_ignore_ascii_case(p);
    if starts_ci(b"cid:") || starts_ci(b"mid:") {
        return true;
    }
    let ends_ci =
        |b: &[u8], p: &[u8]| b.len() >= p.len() && b[b.len() - p.len()..].eq_ignore_ascii_case(p);
    let Some(lt) = t[tok.saturating_sub(48)..tok].strip_suffix(b"<") else {
        return false;
    };
    let lt = lt.trim_ascii_end();
    let lt = lt.strip_suffix(b"\"").unwrap_or(lt);
    if ends_ci(lt, b"start=") {
        return true;
    }
    // The header the bracketed id is in: its line's start, past folded continuation lines
    // (`References: <a@x> <b@x>` names several).
    let from = tok.saturating_sub(1024);
    let mut end = tok;
    let mut start = from;
    while let Some(p) = memchr::memrchr(b'\n', &t[from..end]) {
        end = from + p;
        if !matches!(t.get(end + 1), Some(b' ' | b'\t')) {
            start = end + 1;
            break;
        }
    }
    let line = &t[start..tok];
    let starts_ci = |p: &[u8]| line.len() >= p.len() && line[..p.len()].eq_ignore_ascii_case(p);
    [
        &b"content-id:"[..],
        b"message-id:",
        b"in-reply-to:",
        b"references:",
    ]
    .iter()
    .any(|h| starts_ci(h))
}

fn ipv6(t: &[u8], out: &mut Vec<Found>) {
    let ok = |b: u8| b.is_ascii_hexdigit() || b == b':' || b == b'.';
    let mut last_end = 0;
    for c in memchr::memchr_iter(b':', t) {
        if c < last_end {
            continue;
        }
        let mut s = c;
        while s > last_end && c - s < 45 && ok(t[s - 1]) {
            s -= 1;
        }
        let mut e = c + 1;
        while e < t.len() && e - s < 45 && ok(t[e]) {
            e += 1;
        }
        while e > c + 1 && t[e - 1] == b'.' {
            e -= 1;
        }
        // A label's colon before the address (`IP:2001:db8::1`, `IP地址：240e:…` with the
        // full-width colon folded) or a sentence's after it is no part of it: one colon alone
        // at either end is dropped (`::` stays, it is the address's own).
        if t[s] == b':' && t.get(s + 1) != Some(&b':') {
            s += 1;
        }
        if e > s + 1 && t[e - 1] == b':' && t[e - 2] != b':' {
            e -= 1;
        }
        let mut found = ipv6_at(t, s, e);
        // A label whose last letters are hex digits, before its colon (`ipv6:2408:…`,
        // `srcIpv6:…`, `c：2408:…`): its tail is no group of the address, which starts after
        // the colon.
        if found.is_none() {
            if let Some(k) = t[s..e].iter().take(5).position(|&b| b == b':') {
                // Glued to a word (`ipv6:`, `srcIpv6:`, `mac:`), or a letter or two after a
                // boundary (`c：`); not a group of a longer colon-separated run
                // (`hash:dead:beef:1:…`, `a1b2:0:0:…`).
                let label = (s > 0 && t[s - 1].is_ascii_alphabetic())
                    || (k <= 2
                        && t[s..s + k].iter().any(u8::is_ascii_alphabetic)
                        && (s == 0 || !(is_alnum(t[s - 1]) || t[s - 1] == b':')));
                if k > 0 && label && t.get(s + k + 1) != Some(&b':') {
                    found = ipv6_at(t, s + k + 1, e).filter(|&three| three);
                    if found.is_some() {
                        s += k + 1;
                    }
                }
            }
        }
        if let Some(three) = found {
            out.push(Found {
                det: Det::Ipv6,
                start: s,
                end: e,
                conf: Confidence::Medium,
                key_only: !three,
            });
            last_end = e;
        }
    }
}

/// If `t[s..e]` is an IPv6 address worth reporting, whether it has three groups or more
/// (fewer need an address's field).
fn ipv6_at(t: &[u8], s: usize, e: usize) -> Option<bool> {
    let span = &t[s..e];
    let colons = span.iter().filter(|&&b| b == b':').count();
    if colons < 2 || span.len() < 3 {
        return None;
    }
    // Eight groups take seven colons, six and a dotted quad six; fewer need `::`. A
    // time (`14:30:41`) or a ratio has neither, and the parser would only say so.
    if colons < 6 && memchr::memmem::find(span, b"::").is_none() {
        return None;
    }
    // Eight bytes in pairs (`70:B3:D5:7E:D0:00:12:34`) is an EUI-64, a LoRaWAN device's or
    // a network card's, which an address written out in full is not (its groups drop
    // leading zeros, not pad to two).
    if colons == 7 && span.split(|&b| b == b':').all(|g| g.len() == 2) {
        return None;
    }
    if (s > 0 && is_alnum(t[s - 1]) && !after_ip_label(t, s)) || (e < t.len() && is_alnum(t[e])) {
        return None;
    }
    let parsed = std::str::from_utf8(span)
        .ok()
        .and_then(|x| x.parse::<std::net::Ipv6Addr>().ok());
    // `d::` and `::1` parse, but an address worth reporting has several groups: at least
    // three non-empty ones and four hex digits (`2001:db8::1`, `fe80::1ff:fe23:4567:890a`).
    // Two groups (`240e::1`, an operator's short form) only under a field named for an
    // address (`ip`, `IP地址=`): alone they read as much like a time or a ratio.
    let groups = span.split(|&b| b == b':').filter(|g| !g.is_empty()).count();
    let hex = span.iter().filter(|b| b.is_ascii_hexdigit()).count();
    (parsed.is_some() && groups >= 2 && hex >= 4).then_some(groups >= 3)
}

#[cfg(test)]
mod shortcut_tests {
    use super::{date_time_or_amount, digit_run_possible, scan, scan_runs, Enabled};
    use proptest::prelude::*;

    #[test]
    fn dates_times_and_amounts_are_told_from_their_look_alikes() {
        for t in [
            "2024-01-05",
            "2024/1/5",
            "1967.10.08",
            "2024-01-05 14:30",
            "2024-01-05 14:30:41",
            "2024-01-05T14:30:41.123Z",
            "2024-01-05T14:30:41.123456+08:00",
            "2024/01/05 14:30:41",
            "2024-01-05 14:30:41-0500",
            "60578.10",
            "-0.5",
            "1234567.89",
        ] {
            assert!(date_time_or_amount(t.as_bytes()), "{t}");
        }
        for t in [
            "",
            "2024-01",
            "2024-01/05",
            "2024-001-05",
            "24-01-05",
            "2024-01-05 ",
            "2024-01-05 14",
            "2024/01/05T14:30",
            "2024-01-05 14:30:41.",
            "2024-01-05 14:30:41+8",
            "2024-01-05 14:30.5",
            "12345678.90",
            "60578.100",
            "60578.",
            ".5",
            "138.0013.8000",
            "0755-8601-33",
            "2024-01-05 14:30:41:00",
            // A longer fraction may spell a mobile with the seconds or the offset.
            "2024-01-05T14:30:15.123456789+08:00",
            "2024-01-05T14:30:41.1381234-0800",
        ] {
            assert!(!date_time_or_amount(t.as_bytes()), "{t}");
        }
    }

    /// `n` digits that often open an identifier (`13`, `138`, `0755`, `86`, `62`, `110`) and
    /// lean to the digits identifiers repeat.
    fn lead_digits(n: usize) -> impl Strategy<Value = String> {
        let lead = prop_oneof![
            Just(""),
            Just("1"),
            Just("13"),
            Just("138"),
            Just("15"),
            Just("0"),
            Just("07"),
            Just("0755"),
            Just("86"),
            Just("0086"),
            Just("62"),
            Just("110"),
        ];
        let digit = prop_oneof![0u8..10, Just(0u8), Just(1u8), Just(8u8)];
        (lead, proptest::collection::vec(digit, n)).prop_map(move |(l, d)| {
            let mut s: String = l.to_string();
            s.extend(d.iter().map(|&d| char::from(b'0' + d)));
            s.truncate(n);
            s
        })
    }

    /// Dates, time stamps and amounts as the shortcut takes them, and a little past (a
    /// fraction of up to nine digits, amounts of eight digits or three decimals), with
    /// digits that open identifiers, and near misses (other separators, stray bytes).
    fn dates_and_amounts() -> impl Strategy<Value = String> {
        let sep = prop_oneof![Just('-'), Just('/'), Just('.')];
        let zone = prop_oneof![
            Just(String::new()),
            Just("Z".to_string()),
            ("[+-]", lead_digits(2), lead_digits(2)).prop_map(|(s, h, m)| format!("{s}{h}:{m}")),
            ("[+-]", lead_digits(4)).prop_map(|(s, hm)| format!("{s}{hm}")),
        ];
        let time = (
            prop_oneof![Just(' '), Just('T')],
            lead_digits(2),
            proptest::collection::vec(lead_digits(2), 1..=2),
            (0usize..=9).prop_flat_map(lead_digits),
            zone,
        )
            .prop_map(|(t, h, rest, frac, zone)| {
                let mut s = format!("{t}{h}");
                for r in &rest {
                    s.push(':');
                    s.push_str(r);
                }
                if rest.len() == 2 && !frac.is_empty() {
                    s.push('.');
                    s.push_str(&frac);
                }
                s + &zone
            });
        let date = (
            lead_digits(4),
            sep,
            (1usize..=2).prop_flat_map(lead_digits),
            (1usize..=2).prop_flat_map(lead_digits),
            proptest::option::of(time),
        )
            .prop_map(|(y, sep, m, d, time)| {
                format!("{y}{sep}{m}{sep}{d}{}", time.unwrap_or_default())
            });
        let amount = (
            "-?",
            (1usize..=8).prop_flat_map(lead_digits),
            (1usize..=3).prop_flat_map(lead_digits),
        )
            .prop_map(|(m, i, f)| format!("{m}{i}.{f}"));
        let near = (
            "[0-9]{0,5}[-/. _][0-9]{1,3}[-/. ][0-9]{1,3}",
            "(( |T|  )[0-9]{1,3}(:[0-9]{2}){0,3}(\\.[0-9]{1,10})?(Z|[+-][0-9]{1,2}:?[0-9]{2})?)?",
            "[ aX:.-]?",
        )
            .prop_map(|(d, tm, x)| format!("{d}{tm}{x}"));
        prop_oneof![3 => date, 2 => amount, 1 => near]
    }

    /// `body` with its Luhn check digit appended.
    fn luhn_complete(body: &str) -> String {
        let sum: u32 = body
            .bytes()
            .rev()
            .enumerate()
            .map(|(i, b)| {
                let d = u32::from(b - b'0');
                if i % 2 == 0 {
                    (d * 2) % 10 + (d * 2) / 10
                } else {
                    d
                }
            })
            .sum();
        format!("{body}{}", (10 - sum % 10) % 10)
    }

    /// `body` (16 digits: authority, category, region and the organization code's body)
    /// completed with the organization code's check digit (GB 11714) and the credit code's
    /// (GB 32100), when both are digits.
    fn all_digit_credit_code(body: String) -> Option<String> {
        let d = |b: u8| u32::from(b - b'0');
        let org: u32 = body.as_bytes()[8..16]
            .iter()
            .zip([3, 7, 9, 10, 5, 8, 4, 2])
            .map(|(&b, w)| d(b) * w)
            .sum();
        let oc = match 11 - org % 11 {
            11 => 0,
            10 => return None,
            c => c,
        };
        let body17 = format!("{body}{oc}");
        let sum: u32 = body17
            .bytes()
            .zip([
                1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
            ])
            .map(|(b, w)| d(b) * w)
            .sum();
        let c = match 31 - sum % 31 {
            31 => 0,
            c => c,
        };
        (c < 10).then(|| format!("{body17}{c}"))
    }

    /// Digit runs that are identifiers: resident ids with their check digit, Luhn-complete
    /// card numbers of every scheme and length, mobiles, landlines, 15-digit ids and IMEIs,
    /// all-digit credit codes (when their check character is a digit), with the prefixes
    /// the filter looks at.
    fn identifiers() -> impl Strategy<Value = String> {
        let id18 = ("(11|31|44|65|71|81|91|10|99)[0-9]{4}(19[0-9]{2}|20[01][0-9])(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}")
            .prop_filter_map("check X", |b| {
                let c = crate::validate::gb11643_check_char(b.as_bytes())?;
                c.is_ascii_digit().then(|| format!("{b}{}", char::from(c)))
            });
        let card = (
            "(62|4|51|2221|35|6011|65|644|81|9558|95599|34|37|36|38|305)",
            13usize..=18,
            "[0-9]{18}",
        )
            .prop_map(|(p, n, r)| luhn_complete(&format!("{p}{r}")[..n]));
        let other = prop_oneof![
            "1[3-9][0-9]{9}",
            "861[3-9][0-9]{9}",
            "00861[3-9][0-9]{9}",
            "0[1-9][0-9]{8,10}",
            "[1-9][0-9](0[1-9]|[1-9][0-9])[0-9]{2}[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|1[0-9])[0-9]{3}",
            "(01|35|44|45|49|86|99)[0-9]{12}".prop_map(|b| luhn_complete(&b)),
            "(11|12|13|19|21|31|32|51|52|59|61|71|72|81|91|92|93|10|99)(11|44|65|10)[0-9]{12}"
                .prop_filter_map("check not a digit", all_digit_credit_code),
        ];
        prop_oneof![id18, card, other]
    }

    /// Digit strings shaped like what values hold: identifier prefixes (UnionPay 62, mobiles,
    /// region codes, 0086 / 86, all-digit credit codes) followed by random digits, at every
    /// length an identifier has and around it.
    fn digits() -> impl Strategy<Value = String> {
        let prefix = prop_oneof![
            Just(""),
            Just("62"),
            Just("1"),
            Just("13"),
            Just("110101"),
            Just("86"),
            Just("0086"),
            Just("0"),
            Just("91"),
            Just("35"),
        ];
        (prefix, "[0-9]{0,30}").prop_map(|(p, r)| format!("{p}{r}"))
    }

    proptest! {
        /// A value that is one bare digit run is judged the same with and without the
        /// shortcut, whatever detectors are enabled.
        #[test]
        fn bare_digit_run_shortcut_is_the_general_scan(t in digits(), en in any::<u32>()) {
            for en in [Enabled(u32::MAX), Enabled(en)] {
                let (mut a, mut b) = (Vec::new(), Vec::new());
                scan(t.as_bytes(), en, crate::detect::TRIG_DIGIT, &mut a);
                scan_runs(t.as_bytes(), en, crate::detect::TRIG_DIGIT, &mut b);
                prop_assert_eq!(format!("{a:?}"), format!("{b:?}"), "{}", t);
            }
        }

        /// A date, a time stamp or an amount the shortcut takes holds nothing the general
        /// scan would find, whatever detectors are enabled; what it does not take goes on to
        /// that scan.
        #[test]
        fn date_time_and_amount_shortcut_is_the_general_scan(
            t in dates_and_amounts(),
            en in any::<u32>(),
            flags in any::<u8>(),
        ) {
            for (en, flags) in [
                (Enabled(u32::MAX), u8::MAX),
                (Enabled(u32::MAX), flags),
                (Enabled(en), flags),
            ] {
                let (mut a, mut b) = (Vec::new(), Vec::new());
                scan(t.as_bytes(), en, flags, &mut a);
                scan_runs(t.as_bytes(), en, flags, &mut b);
                prop_assert_eq!(format!("{a:?}"), format!("{b:?}"), "{}", t);
            }
        }

        /// The filter that lets bare numbers skip detection never turns away a run the
        /// scan would take, whatever detectors are enabled.
        #[test]
        fn digit_run_filter_keeps_what_scan_finds(
            t in prop_oneof![digits(), identifiers()],
            en in any::<u32>(),
        ) {
            prop_assume!(t.bytes().all(|b| b.is_ascii_digit()));
            for en in [Enabled(u32::MAX), Enabled(en)] {
                let mut found = Vec::new();
                scan(t.as_bytes(), en, crate::detect::TRIG_DIGIT, &mut found);
                // The filter is asked only of values whose key names no rule (but vetoes),
                // where a candidate only a field name vouches for cannot stand.
                found.retain(|f| !f.key_only);
                if !digit_run_possible(t.as_bytes(), en) {
                    prop_assert!(found.is_empty(), "{} {:?}", t, found);
                }
            }
        }
    }

    /// The property above is not vacuous: each kind of identifier it generates is found.
    #[test]
    fn digit_run_filter_sees_identifiers() {
        for t in [
            "110101199003071233",
            "6222021234567890128",
            "4111111111111111",
            "13800138000",
            "8613800138000",
            "008613800138000",
            "01062345678",
            "075586013388",
            "110101900307123",
            "911101081000000166",
            // A foreign permanent resident id issued in Jiangsu.
            "932840198506260688",
        ] {
            let mut found = Vec::new();
            scan(
                t.as_bytes(),
                Enabled(u32::MAX),
                crate::detect::TRIG_DIGIT,
                &mut found,
            );
            assert!(!found.is_empty(), "{t}");
            assert!(digit_run_possible(t.as_bytes(), Enabled(u32::MAX)), "{t}");
        }
        assert!(!digit_run_possible(b"1717200000000", Enabled(u32::MAX)));
        assert!(!digit_run_possible(
            b"1750442849609695694",
            Enabled(u32::MAX)
        ));
    }
}

#[cfg(test)]
mod whole_separated_tests {
    use super::{single, whole_separated, Confidence, Det, Enabled};

    fn one(t: &str, det: Det) -> Option<(usize, usize)> {
        let mut out = Vec::new();
        whole_separated(t.as_bytes(), Enabled(1 << det as u32), &mut out);
        out.iter().find(|f| f.det == det).map(|f| (f.start, f.end))
    }

    #[test]
    fn prefixed_numbers_with_odd_spaces_are_read_whole() {
        assert_eq!(one("+861922764621 9", Det::Mobile), Some((3, 15)));
        assert_eq!(one("+86138001 38000", Det::Mobile), Some((3, 15)));
        assert_eq!(one("(020)4669 9 3 84", Det::Landline), Some((1, 16)));
        assert_eq!(one("(031 1)3478 577 4", Det::Landline), Some((1, 17)));
        assert_eq!(one("( 027)6629 3864", Det::Landline), Some((2, 15)));
        // A bracket that closes no area code, or never closes, is no separator.
        assert_eq!(one("(1380)013 8000", Det::Mobile), None);
        assert_eq!(one("(020 4669 9 3 84", Det::Landline), None);
    }

    #[test]
    fn letters_glued_to_a_card_need_its_field_unless_they_name_one() {
        let conf_at = |t: &str, from: usize| {
            let mut out = Vec::new();
            single(
                t.as_bytes(),
                from,
                t.len(),
                Enabled(1 << Det::BankCard as u32),
                &mut out,
            );
            out.iter().find(|f| f.det == Det::BankCard).map(|f| f.conf)
        };
        let conf = |t: &str| conf_at(t, 0);
        assert_eq!(conf("A5401022024415588"), Some(Confidence::Low));
        assert_eq!(conf("SQ5301022024065749"), Some(Confidence::Low));
        assert_eq!(conf("CARD5401022024415588"), Some(Confidence::High));
        assert_eq!(conf("VISA4111111111111111"), Some(Confidence::High));
        // An escape's letter in a log's text is no glued letter.
        assert_eq!(conf_at("x\\n6222021234567894", 2), Some(Confidence::High));
        assert_eq!(conf("5401022024415588"), Some(Confidence::High));
    }
}
