#!/usr/bin/env python3
"""Generate the Sluice redaction corpus (tests/corpus/cases/ + tests/corpus/manifest.json).

HOW TO REGENERATE
-----------------
    pip install 'Faker==40.54.0' 'brotli==1.2.1' 'zstandard==0.25.0'
    python3 tests/corpus/gen_corpus.py          # from the repo root (any cwd works)

The output is committed, so `cargo test` never needs Python.  Generation is
deterministic (fixed seeds, gzip mtime=0); a different Faker/brotli/zstandard
version may produce different names or different compressed bytes, which is
harmless but shows up as a diff.  The script deletes and rewrites cases/.

The generator self-checks everything it writes (see `self_check`): every
resident ID passes GB 11643 (check char, province, real date), every bank card
is a UnionPay 62xx Luhn-valid 16-19 digit number, every USCC passes GB 32100,
every raw spelling really spells its canonical value after normalization,
every look-alike genuinely fails the checks it imitates, no canonical value
survives anywhere else in a body once the raw spellings are blanked, and
compressed files round-trip.  It exits non-zero if any check fails.

MANIFEST FORMAT (list of cases)
-------------------------------
    file              path relative to tests/corpus/
    content_type      value for --content-type; "" means "send no content type"
    content_encoding  identity | gzip | deflate (zlib-wrapped) | br | zstd
    format            json | xml | csv | form | text   (the real shape of the body,
                      which may differ from content_type on purpose)
    clean             true: no sensitive value, output must be byte-identical
    evasions          list of evasion tags used in the body (documentation; the test
                      also uses "base64" to decide whether to decode base64 runs)
    description       one line of prose
    sensitive         [{class, value, raw}]: one entry per occurrence; value is the
                      canonical plain spelling (ASCII, no separators), raw the exact
                      spelling in the uncompressed body (for base64-carried values raw
                      is the whole base64 string)
    lookalikes        exact raw spellings that must survive redaction byte-for-byte
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import gzip
import io
import json
import os
import random
import re
import shutil
import sys
import urllib.parse
import xml.etree.ElementTree as ET
import zlib

import brotli
import zstandard
from faker import Faker

SEED = 20240307
HERE = os.path.dirname(os.path.abspath(__file__))
CASES_DIR = os.path.join(HERE, "cases")
MANIFEST = os.path.join(HERE, "manifest.json")
MAX_TOTAL_BYTES = 1_500_000

rng = random.Random(SEED)
Faker.seed(SEED)
fake = Faker("zh_CN")

# --------------------------------------------------------------------------------------
# identifier algorithms
# --------------------------------------------------------------------------------------

ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"
PROVINCES = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
             50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83, 91}
REGIONS = ["110101", "110105", "110108", "120101", "130102", "140105", "210202", "220102",
           "230103", "310104", "310115", "320102", "320583", "330106", "340104", "350203",
           "360102", "370202", "410105", "420102", "430104", "440305", "440106", "450103",
           "500103", "510107", "520102", "530102", "610113", "620102", "650102"]
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
                   "152", "155", "156", "157", "158", "159", "166", "176", "177", "180", "181",
                   "182", "186", "187", "188", "189", "191", "198", "199"]
CARD_BINS = ["622202", "622848", "621700", "622588", "623058", "621226", "622700", "625965",
             "621661", "622609"]
PLATE_PROV = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
AREA_CODES = ["010", "020", "021", "022", "023", "024", "025", "027", "028", "029", "0755",
              "0571", "0512", "0531", "0731", "0871", "0591", "0351"]
PUBLIC_IP_FIRST = [36, 39, 58, 59, 60, 61, 101, 106, 111, 112, 113, 114, 115, 116, 117, 118, 119,
                   120, 121, 122, 123, 124, 125, 180, 182, 183, 202, 210, 211, 218, 219, 220, 221,
                   222]
MARKINGS = ["机密★1年", "秘密★6个月", "机密★10年", "绝密★长期", "秘密★5年", "机密★20年"]


def id_check(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


def date_ok(yyyymmdd: str) -> bool:
    try:
        d = dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return dt.date(1900, 1, 1) <= d <= dt.date(2025, 12, 31)


def valid_id18(s: str) -> bool:
    return (re.fullmatch(r"\d{17}[\dX]", s) is not None and int(s[:2]) in PROVINCES
            and date_ok(s[6:14]) and id_check(s[:17]) == s[17])


def valid_id15(s: str) -> bool:
    return (re.fullmatch(r"\d{15}", s) is not None and int(s[:2]) in PROVINCES
            and date_ok("19" + s[6:12]))


def luhn_ok(s: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(s)):
        d = int(c)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def luhn_digit(body: str) -> str:
    for d in "0123456789":
        if luhn_ok(body + d):
            return d
    raise AssertionError


def valid_card(s: str) -> bool:
    return re.fullmatch(r"62\d{14,17}", s) is not None and luhn_ok(s)


def uscc_check(first17: str) -> str:
    s = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS))
    return USCC_CHARS[(31 - s % 31) % 31]


def valid_uscc(s: str) -> bool:
    return (len(s) == 18 and all(c in USCC_CHARS for c in s) and uscc_check(s[:17]) == s[17])


def valid_mobile(s: str) -> bool:
    return re.fullmatch(r"1[3-9]\d{9}", s) is not None


def valid_ipv4(s: str) -> bool:
    parts = s.split(".")
    return len(parts) == 4 and all(p.isdigit() and int(p) <= 255 and str(int(p)) == p for p in parts)


VALIDATORS = {
    "resident_id": valid_id18,
    "resident_id_15": valid_id15,
    "bank_card": valid_card,
    "uscc": valid_uscc,
    "mobile": valid_mobile,
    "passport": lambda s: re.fullmatch(r"E\d{8}|E[A-HJ-NP-Z]\d{7}|G\d{8}", s) is not None,
    "landline": lambda s: re.fullmatch(r"0\d{2,3}\d{7,8}", s) is not None,
    "licence_plate": lambda s: re.fullmatch(
        "[" + PLATE_PROV + "][A-HJ-NP-Z][A-HJ-NP-Z0-9]{5,6}", s) is not None,
    "email": lambda s: re.fullmatch(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", s) is not None,
    "ipv4": valid_ipv4,
    "person_name": lambda s: 2 <= len(s) <= 4,
    "address": lambda s: len(s) >= 6,
    "classified_marking": lambda s: "★" in s,
}
DIGITISH = {"resident_id", "resident_id_15", "mobile", "bank_card", "uscc", "passport", "email",
            "ipv4", "landline", "licence_plate"}

# --------------------------------------------------------------------------------------
# value generators (all draw from the seeded rng / faker)
# --------------------------------------------------------------------------------------

USED: set[str] = set()


def uniq(gen):
    for _ in range(1000):
        v = gen()
        if v not in USED:
            USED.add(v)
            return v
    raise AssertionError("could not make a unique value")


def rand_date(lo=1950, hi=2006) -> str:
    start = dt.date(lo, 1, 1).toordinal()
    end = dt.date(hi, 12, 31).toordinal()
    return dt.date.fromordinal(rng.randint(start, end)).strftime("%Y%m%d")


def digits(n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def new_id18() -> str:
    def g():
        first = rng.choice(REGIONS) + rand_date() + digits(3)
        return first + id_check(first)
    return uniq(g)


def new_id18_with_x() -> str:
    def g():
        while True:
            first = rng.choice(REGIONS) + rand_date() + digits(3)
            if id_check(first) == "X":
                return first + "X"
    return uniq(g)


def new_id15() -> str:
    return uniq(lambda: rng.choice(REGIONS) + rand_date(1940, 1999)[2:] + digits(3))


def new_mobile() -> str:
    return uniq(lambda: rng.choice(MOBILE_PREFIXES) + digits(8))


def new_card(length=None) -> str:
    def g():
        n = length or rng.choice([16, 19, 19, 16, 17, 18])
        b = rng.choice(CARD_BINS) + digits(n - 7)
        return b + luhn_digit(b)
    return uniq(g)


def new_uscc() -> str:
    def g():
        org8 = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
        # GB 11714 organisation-code check char (the 9th char of the org code)
        w = [3, 7, 9, 10, 5, 8, 4, 2]
        val = lambda ch: int(ch) if ch.isdigit() else ord(ch) - 55
        c = 11 - sum(val(ch) * wi for ch, wi in zip(org8, w)) % 11
        org9 = org8 + ("X" if c == 10 else "0" if c == 11 else str(c))
        first = rng.choice(["91", "91", "92", "93", "11", "12", "51", "52"]) + rng.choice(REGIONS) + org9
        return first + uscc_check(first)
    return uniq(g)


def new_passport(kind="E8") -> str:
    if kind == "E8":
        return uniq(lambda: "E" + digits(8))
    return uniq(lambda: "E" + rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") + digits(7))


def new_landline() -> tuple[str, str]:
    """returns (canonical, raw with hyphen)"""
    def g():
        area = rng.choice(AREA_CODES)
        n = 8 if len(area) == 3 else rng.choice([7, 8])
        local = str(rng.randint(2, 8)) + digits(n - 1)
        return area + "-" + local
    raw = uniq(g)
    return raw.replace("-", ""), raw


def new_plate(new_energy=False) -> str:
    def g():
        p = rng.choice(PLATE_PROV) + rng.choice(PLATE_LETTERS.replace("I", "").replace("O", ""))
        if new_energy:
            return p + rng.choice("DF") + digits(5)
        tail = [rng.choice("0123456789") for _ in range(5)]
        if rng.random() < 0.4:
            tail[rng.randint(0, 4)] = rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ")
        return p + "".join(tail)
    return uniq(g)


def new_ipv4() -> str:
    return uniq(lambda: f"{rng.choice(PUBLIC_IP_FIRST)}.{rng.randint(1, 254)}.{rng.randint(0, 254)}.{rng.randint(1, 254)}")


def new_email() -> str:
    def g():
        user = fake.user_name() + str(rng.randint(1, 999))
        dom = rng.choice(["163.com", "qq.com", "126.com", "sina.com", "gsxt.gov.cn", "mail.hrss.gov.cn",
                          "foxmail.com", "139.com"])
        return f"{user}@{dom}"
    return uniq(g)


def new_name() -> str:
    return uniq(lambda: fake.name())


def new_address() -> str:
    def g():
        a = f"{fake.province()}{fake.city_name()}市{fake.district()}区{fake.street_name()}{rng.randint(1, 999)}号"
        if rng.random() < 0.5:
            a += f"{rng.randint(1, 30)}栋{rng.randint(1, 6)}单元{rng.randint(1, 32)}0{rng.randint(1, 4)}室"
        return a
    return uniq(g)


def new_company() -> str:
    return fake.company()


def new_marking() -> str:
    return rng.choice(MARKINGS)


# ---- look-alikes: numbers that must NOT be flagged --------------------------------------

def _generic_bad(s: str) -> bool:
    """True when the digit string is not a valid identifier of any checked kind."""
    return not (valid_id18(s) or valid_card(s) or valid_mobile(s) or valid_id15(s)
                or (len(s) in range(16, 20) and luhn_ok(s)))


def lk_snowflake(n=19) -> str:
    def g():
        while True:
            s = str(rng.randint(1, 1)) + str(rng.randint(6, 8)) + digits(n - 2) if n == 19 \
                else str(rng.choice([3, 4, 7, 8])) + digits(n - 1)
            if _generic_bad(s):
                return s
    return uniq(g)


def lk_timestamp_ms() -> str:
    return uniq(lambda: str(rng.randint(1_600_000_000_000, 1_760_000_000_000)))


def lk_wrong_check_id() -> str:
    def g():
        while True:
            first = rng.choice(REGIONS) + rand_date() + digits(3)
            good = id_check(first)
            bad = rng.choice([c for c in "0123456789X" if c != good])
            s = first + bad
            if _generic_bad(s.replace("X", "0")) and not valid_id18(s):
                return s
    return uniq(g)


def lk_impossible_date_id(date="19990231") -> str:
    def g():
        while True:
            first = rng.choice(REGIONS) + date + digits(3)
            s = first + id_check(first)
            if not valid_id18(s) and (s[-1] == "X" or _generic_bad(s)):
                return s
    return uniq(g)


def lk_bad_luhn_62() -> str:
    def g():
        n = rng.choice([16, 17, 18, 19])
        b = rng.choice(CARD_BINS) + digits(n - 7)
        good = luhn_digit(b)
        return b + rng.choice([d for d in "0123456789" if d != good])
    return uniq(g)


def lk_11_not_mobile() -> str:
    return uniq(lambda: rng.choice(["10", "11", "12"]) + digits(9))


def lk_order_no() -> str:
    kind = rng.randint(0, 2)

    def g():
        while True:
            if kind == 0:
                s = "DD" + "2024" + f"{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}" + digits(8)
            elif kind == 1:
                s = "ORD-2024-" + digits(6)
            else:
                s = "SQ" + digits(12)
            if _generic_bad(re.sub(r"\D", "", s)):
                return s
    return uniq(g)


def lk_version() -> str:
    return rng.choice(["2.14.1", "4.2.0.1187", "v10.0.19045", "1.0.3-beta", "3.11.7", "V2.3.15"])


def lk_amount() -> str:
    return rng.choice(["12345.67", "1380.00", "99800.50", "1234567.89", "6200.00", "110101.00"])


# --------------------------------------------------------------------------------------
# spelling transforms (evasions)
# --------------------------------------------------------------------------------------

ZW = {"zwsp": "\u200b", "zwnj": "\u200c", "zwj": "\u200d", "bom": "\ufeff", "wj": "\u2060"}


def fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def uesc(s: str, only_digits=False) -> str:
    out = []
    for c in s:
        if only_digits and not c.isdigit():
            out.append(c)
        elif ord(c) > 0xFFFF:
            v = ord(c) - 0x10000
            out.append("\\u%04x\\u%04x" % (0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF)))
        else:
            out.append("\\u%04x" % ord(c))
    return "".join(out)


def xref_hex(s: str) -> str:
    return "".join("&#x%x;" % ord(c) for c in s)


def xref_dec(s: str) -> str:
    return "".join("&#%d;" % ord(c) for c in s)


def insert_at(s: str, positions, ch) -> str:
    out = []
    for i, c in enumerate(s):
        if i in positions:
            out.append(ch)
        out.append(c)
    return "".join(out)


def groups(s: str, sizes, sep=" ") -> str:
    out, i = [], 0
    for n in sizes:
        out.append(s[i:i + n])
        i += n
    if i < len(s):
        out.append(s[i:])
    return sep.join(out)


def pct_all(s: str) -> str:
    return "".join("%%%02X" % b for b in s.encode())


def pct(s: str) -> str:
    return urllib.parse.quote(s, safe="")


def pct_lower(s: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), pct(s))


# --------------------------------------------------------------------------------------
# normalization (mirrors the one in tests/corpus_redaction.rs)
# --------------------------------------------------------------------------------------

ZW_CHARS = "\u200b\u200c\u200d\ufeff\u2060"


def percent_decode_form(s: str) -> str:
    return urllib.parse.unquote_plus(s, errors="replace")


def json_unescape(s: str) -> str:
    def rep(m):
        hi = int(m.group(1), 16)
        if m.group(2):
            lo = int(m.group(2), 16)
            return chr(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
        if 0xD800 <= hi <= 0xDFFF:
            return "\ufffd"
        return chr(hi)
    return re.sub(r"\\u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})|\\u([0-9a-fA-F]{4})",
                  lambda m: rep(m) if m.group(1) else chr(int(m.group(3), 16))
                  if not 0xD800 <= int(m.group(3), 16) <= 0xDFFF else "\ufffd", s)


def xml_unref(s: str) -> str:
    def rep(m):
        try:
            v = int(m.group(1)[1:], 16) if m.group(1)[0] in "xX" else int(m.group(1))
            return chr(v)
        except (ValueError, OverflowError):
            return m.group(0)
    return re.sub(r"&#([xX][0-9a-fA-F]+|[0-9]+);", rep, s)


def drop_separators(s: str) -> str:
    out = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c in " \t-\u3000" and out:
            j = i
            while j < n and s[j] in " \t-\u3000":
                j += 1
            prev = out[-1]
            nxt = s[j] if j < n else ""
            if nxt and prev.isascii() and nxt.isascii() and prev.isalnum() and nxt.isalnum() \
                    and (prev.isdigit() or nxt.isdigit()):
                i = j
                continue
            out.append(s[i:j])
            i = j
            continue
        out.append(c)
        i += 1
    return "".join(out)


def normalize(s: str, form=False) -> str:
    if form:
        s = percent_decode_form(s)
    s = s.replace("]]><![CDATA[", "")
    s = json_unescape(s)
    s = xml_unref(s)
    s = "".join(chr(ord(c) - 0xFEE0) if "\uff01" <= c <= "\uff5e" else c for c in s)
    s = "".join(c for c in s if c not in ZW_CHARS)
    return drop_separators(s)


B64_RUN = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")


def normalize_full(s: str, form=False, b64=False) -> str:
    out = normalize(s, form)
    if b64:
        for m in B64_RUN.finditer(s):
            try:
                dec = base64.b64decode(m.group(0), validate=True).decode("utf-8")
            except Exception:
                continue
            out += "\n" + normalize(dec, form=False)
    return out


# --------------------------------------------------------------------------------------
# case builder
# --------------------------------------------------------------------------------------

EXT = {"json": "json", "xml": "xml", "csv": "csv", "form": "form", "text": "txt"}
ENC_EXT = {"identity": "", "gzip": ".gz", "deflate": ".deflate", "br": ".br", "zstd": ".zst"}


class Case:
    def __init__(self, name, fmt, ct, enc="identity", evasions=(), desc="", clean=False):
        self.name, self.fmt, self.ct, self.enc = name, fmt, ct, enc
        self.evasions = list(evasions)
        self.desc = desc
        self.clean = clean
        self.sensitive: list[dict] = []
        self.lookalikes: list[str] = []
        self.body = ""
        self._ph: dict[str, str] = {}

    # record a sensitive occurrence; returns the raw spelling
    def s(self, cls, value, raw=None) -> str:
        assert not self.clean
        raw = value if raw is None else raw
        self.sensitive.append({"class": cls, "value": value, "raw": raw})
        return raw

    # record a look-alike; returns its raw spelling
    def l(self, raw) -> str:
        if raw not in self.lookalikes:
            self.lookalikes.append(raw)
        return raw

    # placeholders for JSON: js() for string content, jn() for a bare JSON token
    def js(self, raw) -> str:
        k = f"@@S{len(self._ph)}@@"
        self._ph[k] = raw
        return k

    def jn(self, raw) -> str:
        k = f"@@N{len(self._ph)}@@"
        self._ph[k] = raw
        return k

    def dump_json(self, obj, indent=2):
        text = json.dumps(obj, ensure_ascii=False, indent=indent)
        for k, raw in self._ph.items():
            if k.startswith("@@N"):
                assert f'"{k}"' in text, k
                text = text.replace(f'"{k}"', raw)
            else:
                assert k in text, k
                text = text.replace(k, raw)
        self.body = text + "\n"


CASES: list[Case] = []


def case(*a, **kw) -> Case:
    c = Case(*a, **kw)
    CASES.append(c)
    return c


# --------------------------------------------------------------------------------------
# shared record helpers
# --------------------------------------------------------------------------------------

def person_json_pinyin(c: Case, *, with_lookalikes=True) -> dict:
    name, sfzh, sjhm, yhkh, dz = new_name(), new_id18(), new_mobile(), new_card(), new_address()
    email, ip = new_email(), new_ipv4()
    rec = {
        "id": c.jn(c.l(lk_snowflake())) if with_lookalikes else 1,
        "xm": c.js(c.s("person_name", name)),
        "xb": rng.choice(["男", "女"]),
        "sfzh": c.js(c.s("resident_id", sfzh)),
        "sjhm": c.js(c.s("mobile", sjhm)),
        "yhkh": c.js(c.s("bank_card", yhkh)),
        "dz": c.js(c.s("address", dz)),
        "email": c.js(c.s("email", email)),
        "clientIp": c.js(c.s("ipv4", ip)),
    }
    if with_lookalikes:
        rec["cjsj"] = c.jn(c.l(lk_timestamp_ms()))
        rec["ywlsh"] = c.js(c.l(lk_order_no()))
        rec["je"] = c.jn(c.l(lk_amount()))
    return rec


def person_json_english(c: Case) -> dict:
    landline_v, landline_raw = new_landline()
    return {
        "name": c.js(c.s("person_name", new_name())),
        "idCard": c.js(c.s("resident_id", new_id18())),
        "mobile": c.js(c.s("mobile", new_mobile())),
        "bankCard": c.js(c.s("bank_card", new_card())),
        "address": c.js(c.s("address", new_address())),
        "email": c.js(c.s("email", new_email())),
        "passport": c.js(c.s("passport", p := new_passport())) if rng.random() < 0.5 else None,
        "plateNo": c.js(c.s("licence_plate", new_plate())),
        "telephone": c.js(c.s("landline", landline_v, landline_raw)),
        "traceId": c.js(c.l(lk_snowflake(19))),
        "updatedAt": c.jn(c.l(lk_timestamp_ms())),
    }


def meta_block(c: Case) -> dict:
    return {
        "code": 0,
        "msg": "查询成功",
        "requestId": c.js(c.l(lk_snowflake(19))),
        "timestamp": c.jn(c.l(lk_timestamp_ms())),
        "apiVersion": c.js(c.l(lk_version())),
    }


def cn_sentence() -> str:
    return fake.sentence().rstrip(".") + "。"


# --------------------------------------------------------------------------------------
# JSON cases
# --------------------------------------------------------------------------------------

def build_json_cases():
    c = case("json_person_basic", "json", "application/json",
             desc="single person record, pinyin-initial keys, look-alikes beside real values")
    rec = person_json_pinyin(c)
    rec["hzhm"] = c.js(c.s("passport", new_passport()))
    rec["sfzh_jy"] = c.js(c.l(lk_wrong_check_id()))
    c.dump_json({**meta_block(c), "data": rec})

    c = case("json_person_list_en", "json", "application/json; charset=utf-8",
             desc="list of persons with English keys")
    c.dump_json({**meta_block(c), "total": 5, "rows": [person_json_english(c) for _ in range(5)]})

    c = case("json_org_uscc", "json", "application/json",
             desc="enterprise registry records: USCC, landline, address, legal representative")
    rows = []
    for _ in range(4):
        lv, lr = new_landline()
        rows.append({
            "qymc": new_company(),
            "tyshxydm": c.js(c.s("uscc", new_uscc())),
            "fddbr": {"xm": c.js(c.s("person_name", new_name())),
                      "sfzh": c.js(c.s("resident_id", new_id18()))},
            "dz": c.js(c.s("address", new_address())),
            "lxdh": c.js(c.s("landline", lv, lr)),
            "zczb": c.jn(c.l(lk_amount())),
            "djrq": "2019-06-18",
            "slbh": c.js(c.l(lk_order_no())),
        })
    c.dump_json({**meta_block(c), "data": rows})

    c = case("json_old_id15", "json", "application/json",
             desc="15-digit first-generation IDs under sfzh keys")
    rows = []
    for _ in range(3):
        rows.append({"xm": c.js(c.s("person_name", new_name())),
                     "sfzh": c.js(c.s("resident_id_15", new_id15())),
                     "dabh": c.js(c.l(lk_order_no())),
                     "gxsj": c.jn(c.l(lk_timestamp_ms()))})
    rows.append({"xm": c.js(c.s("person_name", new_name())),
                 "sfzh": c.js(c.s("resident_id", new_id18_with_x())),
                 "dabh": c.js(c.l(lk_order_no())), "gxsj": c.jn(c.l(lk_timestamp_ms()))})
    c.dump_json({"result": rows})

    c = case("json_bare_numbers", "json", "application/json",
             desc="mobile and card stored as bare JSON numbers beside numeric look-alikes")
    c.dump_json({
        "xm": c.js(c.s("person_name", new_name())),
        "sjhm": c.jn(c.s("mobile", new_mobile())),
        "yhkh": c.jn(c.s("bank_card", new_card(16))),
        "fwdh": c.jn(c.l(lk_11_not_mobile())),
        "ddbh": c.jn(c.l(lk_snowflake(19))),
        "sjc": c.jn(c.l(lk_timestamp_ms())),
        "jyje": c.jn(c.l("1234567.89")),
    })

    c = case("json_fullwidth", "json", "application/json", evasions=["fullwidth"],
             desc="full-width digits in ID, mobile, card, passport")
    idv, mob, card, pp = new_id18_with_x(), new_mobile(), new_card(19), new_passport()
    c.dump_json({
        "xm": c.js(c.s("person_name", new_name())),
        "sfzh": c.js(c.s("resident_id", idv, fullwidth(idv))),
        "sjhm": c.js(c.s("mobile", mob, fullwidth(mob))),
        "yhkh": c.js(c.s("bank_card", card, fullwidth(card))),
        "hzhm": c.js(c.s("passport", pp, fullwidth(pp))),
        "bh": c.js(c.l(fullwidth(lk_snowflake(19)))),
        "ts": c.jn(c.l(lk_timestamp_ms())),
    })

    c = case("json_uescape_all", "json", "application/json", evasions=["json_uescape"],
             desc="every character of each value written as a JSON \\uXXXX escape")
    idv, mob, card, uscc, em = new_id18(), new_mobile(), new_card(), new_uscc(), new_email()
    name = new_name()
    c.dump_json({
        "xm": c.js(c.s("person_name", name, uesc(name))),
        "sfzh": c.js(c.s("resident_id", idv, uesc(idv))),
        "sjhm": c.js(c.s("mobile", mob, uesc(mob))),
        "yhkh": c.js(c.s("bank_card", card, uesc(card))),
        "tyshxydm": c.js(c.s("uscc", uscc, uesc(uscc))),
        "email": c.js(c.s("email", em, uesc(em))),
        "xh": c.js(c.l(uesc(lk_wrong_check_id()))),
        "sj": c.js(c.l(uesc(lk_timestamp_ms()))),
    })

    c = case("json_uescape_partial", "json", "application/json", evasions=["json_uescape"],
             desc="digits-only and partial escapes, escaped Chinese keys and names")
    idv, mob, card = new_id18(), new_mobile(), new_card()
    half = idv[:9] + uesc(idv[9:])
    name, addr = new_name(), new_address()
    c.dump_json({
        "姓名": c.js(c.s("person_name", name, uesc(name))),
        "身份证号": c.js(c.s("resident_id", idv, half)),
        "sjhm": c.js(c.s("mobile", mob, uesc(mob, only_digits=True).upper().replace("\\U", "\\u"))),
        "yhkh": c.js(c.s("bank_card", card, card[:4] + uesc(card[4:10]) + card[10:])),
        "dz": c.js(c.s("address", addr, uesc(addr))),
        "bz": c.js(uesc("备注：无")),
        "pch": c.js(c.l(uesc(lk_bad_luhn_62(), only_digits=True))),
    })

    c = case("json_surrogates", "json", "application/json", evasions=["json_uescape", "surrogate_pairs"],
             desc="emoji (raw UTF-8 and escaped surrogate pairs) right next to values in free text")
    idv, mob, mob2 = new_id18(), new_mobile(), new_mobile()
    id_esc = uesc(idv)
    c.dump_json({
        "nr": c.js("\\ud83d\\ude00身份证号：" + c.s("resident_id", idv, id_esc) + "\\ud83d\\udc4d 请核实"),
        "lxfs": c.js("😀" + c.s("mobile", mob) + "😀"),
        "bz": c.js("联系电话\\ud83d\\udcde" + c.s("mobile", mob2, uesc(mob2)) + "，" + "🎉谢谢"),
        "xm": c.js(c.s("person_name", (n := new_name()))),
        "emoji_only": c.js("\\ud83d\\ude80\\u4e2d\\u6587 " + c.l(lk_timestamp_ms())),
    })

    c = case("json_zero_width", "json", "application/json", evasions=["zero_width"],
             desc="each zero-width char (U+200B/200C/200D/FEFF/2060) inside a different number")
    vals = [("resident_id", new_id18(), "zwsp", [6, 14]), ("mobile", new_mobile(), "zwnj", [3, 7]),
            ("bank_card", new_card(19), "zwj", [4, 8, 12, 16]), ("resident_id", new_id18(), "bom", [1, 9]),
            ("mobile", new_mobile(), "wj", [5]), ("uscc", new_uscc(), "zwsp", [2, 8, 17])]
    keys = ["sfzh", "sjhm", "yhkh", "sfzhm", "lxdh", "tyshxydm"]
    obj = {"xm": c.js(c.s("person_name", new_name()))}
    for k, (cls, v, z, pos) in zip(keys, vals):
        obj[k] = c.js(c.s(cls, v, insert_at(v, pos, ZW[z])))
    obj["lsh"] = c.js(c.l(lk_snowflake(18)))
    c.dump_json(obj)

    c = case("json_ideographic_space", "json", "application/json", evasions=["ideographic_space"],
             desc="U+3000 ideographic spaces between digit groups")
    idv, mob, card = new_id18(), new_mobile(), new_card(16)
    c.dump_json({
        "sqr": {"xm": c.js(c.s("person_name", new_name())),
                "sfzh": c.js(c.s("resident_id", idv, groups(idv, [6, 8], "\u3000"))),
                "sjhm": c.js(c.s("mobile", mob, groups(mob, [3, 4], "\u3000"))),
                "yhkh": c.js(c.s("bank_card", card, groups(card, [4, 4, 4], "\u3000")))},
        "sqsj": c.jn(c.l(lk_timestamp_ms())),
    })

    c = case("json_separators", "json", "application/json", evasions=["separators"],
             desc="space and hyphen separators inside numbers, +86 prefix")
    idv, mob, mob2, card, card2 = new_id18(), new_mobile(), new_mobile(), new_card(19), new_card(16)
    c.dump_json({
        "xm": c.js(c.s("person_name", new_name())),
        "sfzh": c.js(c.s("resident_id", idv, groups(idv, [6, 8]))),
        "sjhm": c.js(c.s("mobile", mob, groups(mob, [3, 4], "-"))),
        "bysj": c.js(c.s("mobile", mob2, "+86 " + groups(mob2, [3, 4]))),
        "yhkh": c.js(c.s("bank_card", card, groups(card, [4, 4, 4, 4]))),
        "yhkh2": c.js(c.s("bank_card", card2, groups(card2, [4, 4, 4], "-"))),
        "ddh": c.js(c.l("ORD-2024-" + digits(6))),
        "rq": "2024-03-07",
        "bb": c.js(c.l("4.2.0.1187")),
    })

    c = case("json_base64_field", "json", "application/json", evasions=["base64"],
             desc="a field whose value is base64 of Chinese text containing an ID and a mobile")
    idv, mob = new_id18(), new_mobile()
    inner = f"申请人身份证号：{idv}，联系电话：{mob}。请于三个工作日内办结。"
    b64 = base64.b64encode(inner.encode()).decode()
    c.s("resident_id", idv, b64)
    c.s("mobile", mob, b64)
    clean_b64 = base64.b64encode("附件：营业执照副本扫描件，共3页，版本V2.3.15。".encode()).decode()
    c.dump_json({
        "fjmc": "申请材料.txt",
        "fjnr": c.js(b64),
        "fjnr_qt": c.js(c.l(clean_b64)),
        "sfzh": c.js(c.s("resident_id", (v := new_id18()))),
        "wjid": c.js(c.l(lk_snowflake(19))),
    })

    c = case("json_as_text_plain", "json", "text/plain", evasions=["wrong_content_type"],
             desc="JSON body served as text/plain")
    c.dump_json({**meta_block(c), "data": person_json_pinyin(c)})

    c = case("json_no_content_type", "json", "", evasions=["missing_content_type"],
             desc="JSON body with no content type at all")
    c.dump_json({"rows": [person_json_english(c) for _ in range(2)]})

    c = case("json_octet_stream", "json", "application/octet-stream", "gzip",
             evasions=["wrong_content_type", "gzip"],
             desc="gzip JSON declared as application/octet-stream")
    c.dump_json({"data": person_json_pinyin(c)})

    for enc, n in [("gzip", 40), ("deflate", 12), ("br", 12), ("zstd", 12)]:
        c = case(f"json_bulk_{enc}", "json", "application/json", enc, evasions=[enc],
                 desc=f"{n} person records, {enc}-encoded")
        c.dump_json({**meta_block(c), "total": n, "rows": [person_json_pinyin(c) for _ in range(n)]},
                    indent=None if enc == "gzip" else 2)

    c = case("json_mixed_evasions_gzip", "json", "application/json", "gzip",
             evasions=["gzip", "fullwidth", "zero_width", "json_uescape", "separators", "ideographic_space"],
             desc="several evasions stacked in one gzip body")
    idv, mob, card, idv2 = new_id18(), new_mobile(), new_card(19), new_id18()
    mixed_id = fullwidth(idv[:6]) + "\u200b" + uesc(idv[6:14]) + " " + idv[14:]
    c.dump_json({
        "xm": c.js(c.s("person_name", new_name())),
        "sfzh": c.js(c.s("resident_id", idv, mixed_id)),
        "sjhm": c.js(c.s("mobile", mob, fullwidth(mob[:3]) + "-" + uesc(mob[3:7]) + "\u2060-" + mob[7:])),
        "yhkh": c.js(c.s("bank_card", card, groups(fullwidth(card), [4, 4, 4, 4], "\u3000"))),
        "bz": c.js("证件号" + c.s("resident_id", idv2, uesc(fullwidth(idv2), only_digits=False))),
        "xlh": c.js(c.l(lk_snowflake(19))),
        "sj": c.jn(c.l(lk_timestamp_ms())),
    })

    c = case("json_lookalike_heavy", "json", "application/json",
             desc="two real values among many look-alikes that must survive byte-identical")
    rows = []
    for i in range(6):
        rows.append({
            "sjbh": c.jn(c.l(lk_snowflake(19))),
            "yhbh": c.js(c.l(lk_snowflake(18))),
            "cjsj": c.jn(c.l(lk_timestamp_ms())),
            "zjhm_jy": c.js(c.l(lk_wrong_check_id())),
            "csrq_yc": c.js(c.l(lk_impossible_date_id(rng.choice(["19990231", "20230229", "19851331", "19900631"])))),
            "jylsh": c.js(c.l(lk_bad_luhn_62())),
            "fwhm": c.js(c.l(lk_11_not_mobile())),
            "ddh": c.js(c.l(lk_order_no())),
            "je": c.js(c.l(lk_amount())),
            "bbh": c.js(c.l(lk_version())),
        })
    rows[2]["sfzh"] = c.js(c.s("resident_id", new_id18()))
    rows[4]["sjhm"] = c.js(c.s("mobile", new_mobile()))
    c.dump_json({"rows": rows})

    c = case("json_nested_free_text", "json", "application/json", evasions=["free_text"],
             desc="values embedded in Chinese sentences inside JSON strings, with a classified marking")
    idv, mob, card, addr, mk = new_id18(), new_mobile(), new_card(), new_address(), new_marking()
    name = new_name()
    txt = (f"{c.s('classified_marking', mk)} 经核查，申请人姓名：{c.s('person_name', name)}，身份证号：{c.s('resident_id', idv)}，"
           f"手机号码：{c.s('mobile', mob)}，住址：{c.s('address', addr)}。其名下银行卡号{c.s('bank_card', card)}"
           f"于2024年3月7日发生交易，流水号{c.l(lk_snowflake(19))}，金额{c.l('99800.50')}元。")
    c.dump_json({"ajxx": {"ajbh": c.js(c.l(lk_order_no())), "jyaq": c.js(txt)}, "ver": c.js(c.l("3.11.7"))})

    c = case("json_vehicles_passports", "json", "application/json",
             desc="licence plates (incl. new-energy) and passports (E+8, E+letter+7)")
    rows = []
    for i in range(4):
        rows.append({
            "xm": c.js(c.s("person_name", new_name())),
            "hphm": c.js(c.s("licence_plate", new_plate(new_energy=(i % 2 == 1)))),
            "hzhm": c.js(c.s("passport", new_passport("E8" if i < 3 else "EL7"))),
            "clsbdm_hash": c.js(c.l("a3f5" + digits(4) + "e9c1")),
            "djsj": c.jn(c.l(lk_timestamp_ms())),
        })
    c.dump_json({"list": rows})


# --------------------------------------------------------------------------------------
# XML cases
# --------------------------------------------------------------------------------------

SOAP_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
             '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
             'xmlns:gx="http://gxpt.gov.cn/exchange/v1">\n<soapenv:Header>\n'
             '  <gx:RequestId>{rid}</gx:RequestId>\n  <gx:Timestamp>{ts}</gx:Timestamp>\n'
             '</soapenv:Header>\n<soapenv:Body>\n')
SOAP_TAIL = "</soapenv:Body>\n</soapenv:Envelope>\n"


def soap(c: Case, inner: str) -> str:
    return SOAP_HEAD.format(rid=c.l(lk_snowflake(19)), ts=c.l(lk_timestamp_ms())) + inner + SOAP_TAIL


def xml_person(c: Case, t=lambda v: v) -> str:
    idv, mob, card, name, addr = new_id18(), new_mobile(), new_card(), new_name(), new_address()
    return ("    <gx:Ry>\n"
            f"      <gx:xm>{c.s('person_name', name, t(name))}</gx:xm>\n"
            f"      <gx:sfzh>{c.s('resident_id', idv, t(idv))}</gx:sfzh>\n"
            f"      <gx:sjhm>{c.s('mobile', mob, t(mob))}</gx:sjhm>\n"
            f"      <gx:yhkh>{c.s('bank_card', card, t(card))}</gx:yhkh>\n"
            f"      <gx:dz>{c.s('address', addr, t(addr))}</gx:dz>\n"
            f"      <gx:ywbh>{c.l(lk_order_no())}</gx:ywbh>\n"
            f"      <gx:gxsj>{c.l(lk_timestamp_ms())}</gx:gxsj>\n"
            "    </gx:Ry>\n")


def build_xml_cases():
    c = case("soap_basic", "xml", "text/xml; charset=utf-8", desc="SOAP envelope, values as element text")
    c.body = soap(c, "  <gx:QueryResponse>\n" + "".join(xml_person(c) for _ in range(3)) + "  </gx:QueryResponse>\n")

    c = case("xml_attributes", "xml", "application/xml", evasions=["xml_attributes"],
             desc="values carried in XML attributes")
    rows = []
    for _ in range(3):
        idv, mob, name, em, ip = new_id18(), new_mobile(), new_name(), new_email(), new_ipv4()
        rows.append(f'  <ry xm="{c.s("person_name", name)}" sfzh="{c.s("resident_id", idv)}" '
                    f'sjhm="{c.s("mobile", mob)}" email="{c.s("email", em)}" ip="{c.s("ipv4", ip)}" '
                    f'id="{c.l(lk_snowflake(19))}" ts="{c.l(lk_timestamp_ms())}"/>\n')
    c.body = ('<?xml version="1.0" encoding="UTF-8"?>\n<rylb bb="' + c.l("2.14.1") + '" zs="3">\n'
              + "".join(rows) + "</rylb>\n")

    c = case("xml_cdata", "xml", "application/xml", evasions=["cdata"],
             desc="values inside CDATA sections, one CDATA block of free text")
    idv, mob, card, name, mk = new_id18(), new_mobile(), new_card(), new_name(), new_marking()
    idv2, addr = new_id18(), new_address()
    text = (f"{c.s('classified_marking', mk)}\n案件当事人姓名：{c.s('person_name', new_name())}，"
            f"身份证号：{c.s('resident_id', idv2)}，住址：{c.s('address', addr)}。<备注>无</备注> & 其他")
    c.body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n  <Record>\n'
              f'    <xm><![CDATA[{c.s("person_name", name)}]]></xm>\n'
              f'    <sfzh><![CDATA[{c.s("resident_id", idv)}]]></sfzh>\n'
              f'    <sjhm><![CDATA[{c.s("mobile", mob)}]]></sjhm>\n'
              f'    <yhkh><![CDATA[{c.s("bank_card", card)}]]></yhkh>\n'
              f'    <ajms><![CDATA[{text}]]></ajms>\n'
              f'    <lsh><![CDATA[{c.l(lk_snowflake(19))}]]></lsh>\n'
              '  </Record>\n</Response>\n')

    c = case("xml_charref_hex", "xml", "application/xml", evasions=["xml_charref_hex"],
             desc="every digit written as &#xNN; hex character reference")
    c.body = ('<?xml version="1.0" encoding="UTF-8"?>\n<root>\n' + xml_person(c, xref_hex)
              .replace("gx:", "") + "</root>\n")

    c = case("xml_charref_dec", "xml", "text/xml", evasions=["xml_charref_dec"],
             desc="every digit written as &#NN; decimal character reference, also in attributes")
    idv, mob, uscc = new_id18(), new_mobile(), new_uscc()
    c.body = ('<?xml version="1.0" encoding="UTF-8"?>\n<root>\n'
              f'  <qy tyshxydm="{c.s("uscc", uscc, xref_dec(uscc))}">\n'
              f'    <fr sfzh="{c.s("resident_id", idv, xref_dec(idv))}" '
              f'sjhm="{c.s("mobile", mob, xref_dec(mob))}" xm="{c.s("person_name", n := new_name())}"/>\n'
              f'    <bh>{c.l(xref_dec(lk_snowflake(19)))}</bh>\n'
              '  </qy>\n</root>\n')

    c = case("xml_charref_mixed_split_cdata_gzip", "xml", "application/xml", "gzip",
             evasions=["gzip", "xml_charref_hex", "xml_charref_dec", "cdata", "cdata_split"],
             desc="mixed hex/decimal refs with leading zeros, and an ID split across two CDATA sections")
    idv, mob, idv2 = new_id18(), new_mobile(), new_id18()
    mixed = "".join(("&#x%04x;" % ord(ch)) if i % 2 else ("&#%d;" % ord(ch)) if i % 3 else ch
                    for i, ch in enumerate(idv))
    split = idv2[:10] + "]]><![CDATA[" + idv2[10:]
    c.body = ('<?xml version="1.0" encoding="UTF-8"?>\n<root>\n'
              f'  <sfzh>{c.s("resident_id", idv, mixed)}</sfzh>\n'
              f'  <sjhm>{c.s("mobile", mob, xref_hex(mob[:5]) + mob[5:])}</sjhm>\n'
              f'  <zjhm><![CDATA[{c.s("resident_id", idv2, split)}]]></zjhm>\n'
              f'  <ts>{c.l(lk_timestamp_ms())}</ts>\n</root>\n')

    c = case("soap_cdata_json_br", "xml", "application/soap+xml", "br",
             evasions=["br", "cdata", "json_uescape"],
             desc="SOAP envelope carrying a JSON document with \\u escapes inside CDATA, brotli-encoded")
    idv, mob, name = new_id18(), new_mobile(), new_name()
    inner_json = ('{"xm":"' + c.s("person_name", name) + '","sfzh":"' + c.s("resident_id", idv, uesc(idv))
                  + '","sjhm":"' + c.s("mobile", mob, uesc(mob)) + '","ts":' + c.l(lk_timestamp_ms()) + '}')
    c.body = soap(c, f"  <gx:DataResponse>\n    <gx:Payload><![CDATA[{inner_json}]]></gx:Payload>\n"
                     "  </gx:DataResponse>\n")

    c = case("xml_org_deflate", "xml", "application/xml", "deflate", evasions=["deflate"],
             desc="enterprise records with USCC, landline, address; deflate (zlib) encoded")
    rows = []
    for _ in range(5):
        lv, lr = new_landline()
        rows.append(f"  <qy>\n    <qymc>{new_company()}</qymc>\n"
                    f"    <tyshxydm>{c.s('uscc', new_uscc())}</tyshxydm>\n"
                    f"    <dz>{c.s('address', new_address())}</dz>\n"
                    f"    <lxdh>{c.s('landline', lv, lr)}</lxdh>\n"
                    f"    <zczb>{c.l(lk_amount())}</zczb>\n    <slh>{c.l(lk_order_no())}</slh>\n  </qy>\n")
    c.body = '<?xml version="1.0" encoding="UTF-8"?>\n<qylb>\n' + "".join(rows) + "</qylb>\n"

    c = case("xml_zero_width_zstd", "xml", "application/xml", "zstd", evasions=["zstd", "zero_width"],
             desc="U+FEFF and U+2060 inside numbers in element text, zstd encoded")
    idv, mob, card = new_id18(), new_mobile(), new_card(19)
    c.body = ('<?xml version="1.0" encoding="UTF-8"?>\n<root>\n'
              f'  <xm>{c.s("person_name", new_name())}</xm>\n'
              f'  <sfzh>{c.s("resident_id", idv, insert_at(idv, [3, 10, 16], chr(0xFEFF)))}</sfzh>\n'
              f'  <sjhm>{c.s("mobile", mob, insert_at(mob, [2, 6], chr(0x2060)))}</sjhm>\n'
              f'  <yhkh>{c.s("bank_card", card, insert_at(card, [6, 12], chr(0x200D)))}</yhkh>\n'
              f'  <xlh>{c.l(lk_snowflake(19))}</xlh>\n</root>\n')

    c = case("xml_as_octet_stream", "xml", "application/octet-stream", evasions=["wrong_content_type"],
             desc="XML served as application/octet-stream")
    c.body = soap(c, "  <gx:Resp>\n" + xml_person(c) + "  </gx:Resp>\n")

    c = case("xml_fullwidth_ipv4_email", "xml", "application/xml", evasions=["fullwidth"],
             desc="full-width digits in element text and audit fields with IPv4 / e-mail")
    idv, mob, ip, em = new_id18(), new_mobile(), new_ipv4(), new_email()
    c.body = ('<?xml version="1.0" encoding="UTF-8"?>\n<audit>\n'
              f'  <sfzh>{c.s("resident_id", idv, fullwidth(idv))}</sfzh>\n'
              f'  <sjhm>{c.s("mobile", mob, fullwidth(mob))}</sjhm>\n'
              f'  <clientIp>{c.s("ipv4", ip)}</clientIp>\n'
              f'  <email>{c.s("email", em)}</email>\n'
              f'  <version>{c.l("4.2.0.1187")}</version>\n'
              f'  <seq>{c.l(fullwidth(lk_11_not_mobile()))}</seq>\n</audit>\n')


# --------------------------------------------------------------------------------------
# CSV cases
# --------------------------------------------------------------------------------------

def csv_field(v: str) -> str:
    if any(ch in v for ch in ',"\n\r'):
        return '"' + v.replace('"', '""') + '"'
    return v


def build_csv_cases():
    c = case("csv_pinyin_header", "csv", "text/csv; charset=utf-8", desc="CSV export, pinyin header")
    lines = ["xh,xm,sfzh,sjhm,yhkh,dz,ywlsh,cjsj"]
    for i in range(8):
        lines.append(",".join([str(i + 1), c.s("person_name", new_name()), c.s("resident_id", new_id18()),
                               c.s("mobile", new_mobile()), c.s("bank_card", new_card()),
                               csv_field(c.s("address", new_address())), c.l(lk_snowflake(19)),
                               c.l(lk_timestamp_ms())]))
    c.body = "\n".join(lines) + "\n"

    c = case("csv_chinese_header_crlf", "csv", "text/csv", evasions=["crlf", "quoted_fields"],
             desc="Chinese header, CRLF line ends, quoted fields containing commas")
    lines = ["序号,姓名,身份证号,联系电话,地址,备注"]
    for i in range(6):
        lv, lr = new_landline()
        addr = new_address()
        lines.append(",".join([str(i + 1), c.s("person_name", new_name()), c.s("resident_id", new_id18()),
                               c.s("landline", lv, lr),
                               '"' + c.s("address", addr) + '，近' + fake.street_name() + '"',
                               csv_field(f"订单{c.l(lk_order_no())},金额{c.l(lk_amount())}")]))
    c.body = "\r\n".join(lines) + "\r\n"

    c = case("csv_fullwidth_separators_gzip", "csv", "text/csv", "gzip",
             evasions=["gzip", "fullwidth", "separators"],
             desc="full-width digits and space/hyphen separators inside CSV cells")
    lines = ["xm,sfzh,sjhm,yhkh,bh"]
    for i in range(5):
        idv, mob, card = new_id18(), new_mobile(), new_card(19)
        lines.append(",".join([c.s("person_name", new_name()),
                               c.s("resident_id", idv, fullwidth(idv) if i % 2 else groups(idv, [6, 8])),
                               c.s("mobile", mob, groups(mob, [3, 4], "-")),
                               c.s("bank_card", card, groups(card, [4, 4, 4, 4]) if i % 2 else fullwidth(card)),
                               c.l(lk_snowflake(18))]))
    c.body = "\n".join(lines) + "\n"

    c = case("csv_bulk_zstd", "csv", "text/csv", "zstd", evasions=["zstd"],
             desc="100-row CSV export, zstd encoded")
    lines = ["xm,sfzh,sjhm,email,ip,hphm,gxsj"]
    for i in range(100):
        lines.append(",".join([c.s("person_name", new_name()), c.s("resident_id", new_id18()),
                               c.s("mobile", new_mobile()), c.s("email", new_email()),
                               c.s("ipv4", new_ipv4()), c.s("licence_plate", new_plate(i % 5 == 0)),
                               c.l(lk_timestamp_ms())]))
    c.body = "\n".join(lines) + "\n"

    c = case("csv_lookalikes_mixed", "csv", "text/csv",
             desc="order export full of numeric look-alikes with a few real values")
    lines = ["ddh,yhid,xdsj,je,zfls,kfdh,bbh,sfzh"]
    for i in range(10):
        real = i in (3, 7)
        lines.append(",".join([c.l(lk_order_no()), c.l(lk_snowflake(19)), c.l(lk_timestamp_ms()),
                               c.l(lk_amount()), c.l(lk_bad_luhn_62()), c.l(lk_11_not_mobile()),
                               c.l(lk_version()),
                               c.s("resident_id", new_id18()) if real else c.l(lk_impossible_date_id())]))
    c.body = "\n".join(lines) + "\n"

    c = case("csv_old_id_deflate", "csv", "text/csv", "deflate", evasions=["deflate"],
             desc="archive export with 15-digit IDs under sfzh and 18-digit IDs ending X")
    lines = ["xm,sfzh,dabh"]
    for i in range(6):
        v = new_id15() if i % 2 == 0 else new_id18_with_x()
        lines.append(",".join([c.s("person_name", new_name()),
                               c.s("resident_id_15" if len(v) == 15 else "resident_id", v),
                               c.l(lk_order_no())]))
    c.body = "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------
# form cases
# --------------------------------------------------------------------------------------

def build_form_cases():
    c = case("form_basic", "form", "application/x-www-form-urlencoded", desc="form post, UTF-8 percent-encoded Chinese")
    name, idv, mob, addr, em = new_name(), new_id18(), new_mobile(), new_address(), new_email()
    c.body = "&".join([
        "xm=" + c.s("person_name", name, pct(name)), "sfzh=" + c.s("resident_id", idv),
        "sjhm=" + c.s("mobile", mob), "dz=" + c.s("address", addr, pct(addr)),
        "email=" + c.s("email", em, pct(em)), "ts=" + c.l(lk_timestamp_ms()),
        "nonce=" + c.l(lk_snowflake(19)), "v=" + c.l("2.14.1")])

    c = case("form_percent_digits", "form", "application/x-www-form-urlencoded", evasions=["percent_encoding"],
             desc="every byte of the values percent-encoded (%31%31%30...), lowercase hex for Chinese")
    name, idv, mob, card = new_name(), new_id18(), new_mobile(), new_card()
    c.body = "&".join([
        "xm=" + c.s("person_name", name, pct_lower(name)), "sfzh=" + c.s("resident_id", idv, pct_all(idv)),
        "sjhm=" + c.s("mobile", mob, pct_all(mob)), "yhkh=" + c.s("bank_card", card, pct_all(card)),
        "orderNo=" + c.l(pct_all(lk_order_no())), "ts=" + c.l(lk_timestamp_ms())])

    c = case("form_plus_spaces", "form", "application/x-www-form-urlencoded", evasions=["separators", "percent_encoding"],
             desc="'+' (space) and %2D (hyphen) separators inside numbers")
    idv, card, mob = new_id18(), new_card(19), new_mobile()
    c.body = "&".join([
        "sfzh=" + c.s("resident_id", idv, groups(idv, [6, 8], "+")),
        "yhkh=" + c.s("bank_card", card, groups(card, [4, 4, 4, 4], "+")),
        "sjhm=" + c.s("mobile", mob, groups(mob, [3, 4], "%2D")),
        "lsh=" + c.l(lk_snowflake(19)), "amount=" + c.l(lk_amount())])

    c = case("form_fullwidth_zw_br", "form", "application/x-www-form-urlencoded", "br",
             evasions=["br", "percent_encoding", "fullwidth", "zero_width"],
             desc="percent-encoded full-width digits and zero-width chars, brotli-encoded")
    idv, mob, uscc = new_id18(), new_mobile(), new_uscc()
    c.body = "&".join([
        "sfzh=" + c.s("resident_id", idv, pct(fullwidth(idv))),
        "sjhm=" + c.s("mobile", mob, pct(insert_at(mob, [3, 7], "\u200b"))),
        "tyshxydm=" + c.s("uscc", uscc, pct(insert_at(uscc, [9], "\u2060"))),
        "xh=" + c.l(lk_11_not_mobile())])

    c = case("form_gzip_multi", "form", "application/x-www-form-urlencoded", "gzip", evasions=["gzip"],
             desc="form with repeated keys (batch) and passports/plates, gzip")
    parts = []
    for i in range(4):
        parts += ["xm[]=" + c.s("person_name", n := new_name(), pct(n)),
                  "sfzh[]=" + c.s("resident_id", new_id18()),
                  "hzhm[]=" + c.s("passport", new_passport()),
                  "hphm[]=" + c.s("licence_plate", p := new_plate(), pct(p)),
                  "id[]=" + c.l(lk_snowflake(19))]
    c.body = "&".join(parts)


# --------------------------------------------------------------------------------------
# text cases
# --------------------------------------------------------------------------------------

def build_text_cases():
    c = case("text_basic", "text", "text/plain; charset=utf-8", desc="Chinese prose with labelled values")
    parts = []
    for _ in range(4):
        parts.append(f"申请人姓名：{c.s('person_name', new_name())}，身份证号：{c.s('resident_id', new_id18())}，"
                     f"手机号码：{c.s('mobile', new_mobile())}，银行卡号：{c.s('bank_card', new_card())}，"
                     f"电子邮箱：{c.s('email', new_email())}。受理编号{c.l(lk_order_no())}，"
                     f"受理时间戳{c.l(lk_timestamp_ms())}。{cn_sentence()}")
    c.body = "\n".join(parts) + "\n"

    c = case("text_fullwidth", "text", "text/plain", evasions=["fullwidth"],
             desc="full-width digits and letters in prose")
    idv, mob, pp, uscc = new_id18_with_x(), new_mobile(), new_passport(), new_uscc()
    c.body = (f"经办人身份证号码：{c.s('resident_id', idv, fullwidth(idv))}；联系电话：{c.s('mobile', mob, fullwidth(mob))}；"
              f"护照号码：{c.s('passport', pp, fullwidth(pp))}；统一社会信用代码：{c.s('uscc', uscc, fullwidth(uscc))}。\n"
              f"系统编号：{c.l(fullwidth(lk_snowflake(19)))}；{cn_sentence()}\n")

    c = case("text_separators_ideographic", "text", "text/plain", evasions=["separators", "ideographic_space"],
             desc="space, hyphen and U+3000 separators in prose")
    idv, idv2, mob, mob2, card = new_id18(), new_id18(), new_mobile(), new_mobile(), new_card(19)
    c.body = (f"身份证号：{c.s('resident_id', idv, groups(idv, [6, 8]))}\n"
              f"身份证号：{c.s('resident_id', idv2, groups(idv2, [6, 8], chr(0x3000)))}\n"
              f"手机：{c.s('mobile', mob, groups(mob, [3, 4], '-'))}，备用：{c.s('mobile', mob2, groups(mob2, [3, 4], chr(0x3000)))}\n"
              f"银行卡：{c.s('bank_card', card, groups(card, [4, 4, 4, 4]))}\n"
              f"订单号：{c.l('ORD-2024-' + digits(6))}，日期：2024-03-07，金额：{c.l('1380.00')}元\n")

    for z, ch in ZW.items():
        c = case(f"text_zero_width_{z}", "text", "text/plain", evasions=["zero_width"],
                 desc=f"U+{ord(ch):04X} inside numbers in prose")
        idv, mob, card = new_id18(), new_mobile(), new_card(16)
        c.body = (f"当事人身份证号：{c.s('resident_id', idv, insert_at(idv, [4, 11, 17], ch))}，"
                  f"电话：{c.s('mobile', mob, insert_at(mob, [1, 6], ch))}，"
                  f"卡号：{c.s('bank_card', card, insert_at(card, [8], ch))}。"
                  f"记录号{c.l(lk_snowflake(19))}。\n")

    c = case("text_classified_deflate", "text", "text/plain", "deflate",
             evasions=["deflate", "classified_marking"], desc="document with classified markings, deflate")
    # the two names appear without a 姓名 label, so they are not listed (no context to demand it)
    n1, n2 = new_name(), new_name()
    c.body = (f"{c.s('classified_marking', new_marking())}\n关于核查相关人员信息的通报\n"
              f"各有关单位：\n  经查，{n1}（身份证号：{c.s('resident_id', new_id18())}）"
              f"与{n2}（身份证号：{c.s('resident_id', new_id18())}，"
              f"手机号码：{c.s('mobile', new_mobile())}）存在关联。\n{cn_sentence()}\n"
              f"本文件密级：{c.s('classified_marking', new_marking())}。文号{c.l(lk_order_no())}。\n")

    c = case("text_passport_plate_landline", "text", "text/plain",
             desc="passports, licence plates, landlines, IPv4 in prose")
    lines = []
    for i in range(3):
        lv, lr = new_landline()
        lines.append(f"旅客姓名：{c.s('person_name', new_name())}，护照号码：{c.s('passport', new_passport('E8' if i else 'EL7'))}，"
                     f"车牌号：{c.s('licence_plate', new_plate(i == 2))}，办公电话：{c.s('landline', lv, lr)}，"
                     f"登录IP：{c.s('ipv4', new_ipv4())}，客户端版本{c.l(lk_version())}。")
    c.body = "\n".join(lines) + "\n"

    c = case("text_json_looking_log_zstd", "text", "text/plain", "zstd", evasions=["zstd"],
             desc="application log lines (text) with JSON fragments, zstd")
    lines = []
    for i in range(20):
        lines.append(f'2024-03-07T10:{i:02d}:11.123+08:00 INFO traceId={c.l(lk_snowflake(19))} '
                     f'req={{"sfzh":"{c.s("resident_id", new_id18())}","sjhm":"{c.s("mobile", new_mobile())}"}} '
                     f'cost={rng.randint(3, 90)}ms ts={c.l(lk_timestamp_ms())}')
    c.body = "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------
# clean cases (nothing sensitive; must be byte-identical)
# --------------------------------------------------------------------------------------

def build_clean_cases():
    c = case("clean_json", "json", "application/json", clean=True, desc="statistics response, only look-alikes")
    c.dump_json({**meta_block(c), "data": {
        "tjnf": 2024, "rksl": 21893095, "hjs": c.jn(c.l("7654321")), "gxl": "98.76%",
        "ddh": c.js(c.l(lk_order_no())), "snowflake": c.jn(c.l(lk_snowflake(19))),
        "wrongCheck": c.js(c.l(lk_wrong_check_id())), "badDate": c.js(c.l(lk_impossible_date_id())),
        "serial62": c.js(c.l(lk_bad_luhn_62())), "hotline": c.js(c.l(lk_11_not_mobile())),
        "note": c.js("\\u4e2d\\u6587\\u8bf4\\u660e\\uff1a\\u8eab\\u4efd\\u8bc1\\u53f7\\u7801\\u4e3a18\\u4f4d"),
        "desc": "身份证号码由17位本体码和1位校验码组成；手机号码为11位。",
    }})

    c = case("clean_json_gzip", "json", "application/json", "gzip", clean=True, evasions=["gzip"],
             desc="catalogue listing, gzip")
    items = []
    for i in range(30):
        items.append({"zyid": c.jn(c.l(lk_snowflake(19))), "zymc": fake.sentence()[:12],
                      "gxsj": c.jn(c.l(lk_timestamp_ms())), "bbh": c.js(c.l(lk_version())),
                      "sl": rng.randint(1, 100000)})
    c.dump_json({"items": items}, indent=None)

    c = case("clean_json_surrogates_br", "json", "application/json", "br", clean=True,
             evasions=["br", "json_uescape", "surrogate_pairs"], desc="escaped emoji and Chinese, brotli")
    c.dump_json({"msg": c.js("\\ud83d\\ude00\\u529e\\u7ed3 " + c.l(lk_timestamp_ms())), "raw": "😀👍 好评",
                 "n": c.jn(c.l(lk_snowflake(18))), "quoted": c.js("路径\\/a\\\\b \\\"引号\\\"")})

    c = case("clean_json_deflate", "json", "application/json", "deflate", clean=True, evasions=["deflate"],
             desc="numeric look-alikes only, deflate")
    c.dump_json([{"k": c.js(c.l(lk_wrong_check_id())), "t": c.jn(c.l(lk_timestamp_ms())),
                  "c": c.js(c.l(lk_bad_luhn_62()))} for _ in range(8)])

    c = case("clean_xml", "xml", "application/xml", clean=True, evasions=["cdata", "xml_charref_hex"],
             desc="XML with entities, CDATA and numbers")
    c.body = ('<?xml version="1.0" encoding="UTF-8"?>\n<root a="1 &amp; 2">\n'
              f'  <bh>{c.l(lk_snowflake(19))}</bh>\n  <sj>{c.l(lk_timestamp_ms())}</sj>\n'
              '  <ms><![CDATA[说明 <b>加粗</b> & 符号，共 12 项]]></ms>\n'
              '  <zw>&#x4e2d;&#25991;</zw>\n'
              f'  <version>{c.l("4.2.0.1187")}</version>\n  <je>{c.l("1234567.89")}</je>\n</root>\n')

    c = case("clean_xml_zstd", "xml", "text/xml", "zstd", clean=True, evasions=["zstd"],
             desc="SOAP fault, zstd")
    c.body = soap(c, "  <soapenv:Fault>\n    <faultcode>soapenv:Server</faultcode>\n"
                     f"    <faultstring>接口调用失败，错误码 {c.l(lk_11_not_mobile())}</faultstring>\n"
                     "  </soapenv:Fault>\n")

    c = case("clean_csv", "csv", "text/csv", clean=True, desc="CSV of statistics")
    lines = ["qh,tjsj,sl,je,pc"]
    for i in range(10):
        lines.append(",".join([rng.choice(REGIONS), c.l(lk_timestamp_ms()), str(rng.randint(1, 99999)),
                               c.l(lk_amount()), c.l(lk_snowflake(19))]))
    c.body = "\n".join(lines) + "\n"

    c = case("clean_form", "form", "application/x-www-form-urlencoded", clean=True,
             desc="form with percent-encoded Chinese and numbers")
    c.body = "&".join(["q=" + pct("查询 统计"), "page=2", "size=50", "ts=" + c.l(lk_timestamp_ms()),
                       "sign=" + c.l("a3f5" + digits(8) + "9c1e"), "v=" + c.l("3.11.7")])

    c = case("clean_text", "text", "text/plain", clean=True, evasions=["fullwidth", "ideographic_space"],
             desc="prose about ID formats with dates, versions, amounts and full-width digits")
    c.body = (f"根据《数据分类分级规则》，身份证号码为１８位，手机号码为11位。\n"
              f"本系统版本{c.l('V2.3.15')}，于2024年3月7日上线，累计调用{c.l('1234567')}次。\u3000\n"
              f"批次号：{c.l(lk_snowflake(19))}，时间戳：{c.l(lk_timestamp_ms())}，金额：{c.l('99800.50')}元。\n"
              f"{cn_sentence()}{cn_sentence()}\n")


# --------------------------------------------------------------------------------------
# writing and self-check
# --------------------------------------------------------------------------------------

def encode(data: bytes, enc: str) -> bytes:
    if enc == "identity":
        return data
    if enc == "gzip":
        return gzip.compress(data, compresslevel=9, mtime=0)
    if enc == "deflate":
        return zlib.compress(data, 9)
    if enc == "br":
        return brotli.compress(data, quality=9)
    if enc == "zstd":
        return zstandard.ZstdCompressor(level=9).compress(data)
    raise ValueError(enc)


def decode(data: bytes, enc: str) -> bytes:
    if enc == "identity":
        return data
    if enc == "gzip":
        return gzip.decompress(data)
    if enc == "deflate":
        return zlib.decompress(data)
    if enc == "br":
        return brotli.decompress(data)
    if enc == "zstd":
        return zstandard.ZstdDecompressor().decompress(data)
    raise ValueError(enc)


def runs_valid(text: str) -> list[str]:
    """Valid-looking identifiers found in normalized text (used on bodies with raws blanked)."""
    bad = []
    for m in re.finditer(r"(?<![0-9A-Za-z])[0-9]{11,19}X?(?![0-9A-Za-z])", text):
        s = m.group(0)
        if valid_id18(s) or valid_card(s) or valid_mobile(s) or valid_id15(s):
            bad.append(s)
    for m in re.finditer(r"(?<![0-9A-Z])[0-9A-Z]{18}(?![0-9A-Z])", text):
        s = m.group(0)
        if valid_uscc(s) and not s.isdigit():
            bad.append(s)
    for m in re.finditer(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])", text):
        if valid_ipv4(m.group(0)):
            bad.append(m.group(0))
    if re.search(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", text):
        bad.append("email")
    return bad


def self_check(c: Case, errors: list[str]):
    def err(msg):
        errors.append(f"{c.name}: {msg}")

    form = c.fmt == "form" or "percent_encoding" in c.evasions
    b64 = "base64" in c.evasions
    body = c.body
    if c.clean and c.sensitive:
        err("clean case has sensitive entries")
    if not c.clean and not c.sensitive:
        err("non-clean case without sensitive entries")
    for e in c.sensitive:
        cls, v, raw = e["class"], e["value"], e["raw"]
        if not VALIDATORS[cls](v):
            err(f"{cls} value {v!r} fails its validator")
        if raw not in body:
            err(f"raw {raw!r} not in body")
        if cls in DIGITISH:
            spelled = normalize_full(raw, form=form, b64=b64)
            if v not in spelled:
                err(f"raw {raw!r} does not spell {v!r} (normalized {spelled!r})")
    # blank every raw (longest first) and make sure nothing sensitive is left anywhere
    blanked = body
    for raw in sorted({e["raw"] for e in c.sensitive}, key=len, reverse=True):
        blanked = blanked.replace(raw, "\u00a7")
    norm = normalize_full(blanked, form=form, b64=b64)
    for e in c.sensitive:
        if e["class"] in DIGITISH and e["value"] in norm:
            err(f"value {e['value']!r} survives outside its raw spellings")
    left = runs_valid(norm)
    if left:
        err(f"valid-looking identifiers outside manifest entries: {left}")
    for lk in c.lookalikes:
        if lk not in blanked:
            err(f"look-alike {lk!r} missing or overlapping a sensitive raw")
        for e in c.sensitive:
            if lk in e["raw"] or e["raw"] in lk:
                err(f"look-alike {lk!r} and sensitive raw {e['raw']!r} contain one another")
        n = normalize(lk, form=form)
        for m in re.finditer(r"[0-9X]+", n):
            s = m.group(0)
            if valid_id18(s) or valid_card(s) or valid_mobile(s) or valid_id15(s) \
                    or (16 <= len(s) <= 19 and s.isdigit() and luhn_ok(s)):
                err(f"look-alike {lk!r} passes a check ({s})")
        if valid_ipv4(n):
            err(f"look-alike {lk!r} is a valid IPv4")
    # structure
    if c.fmt == "json":
        try:
            json.loads(body)
        except ValueError as ex:
            err(f"invalid JSON: {ex}")
    elif c.fmt == "xml":
        try:
            ET.fromstring(body.encode())
        except ET.ParseError as ex:
            err(f"invalid XML: {ex}")
    elif c.fmt == "csv":
        rows = list(csv.reader(io.StringIO(body, newline="")))
        if len({len(r) for r in rows}) != 1:
            err(f"ragged CSV: {[len(r) for r in rows]}")


def main():
    build_json_cases()
    build_xml_cases()
    build_csv_cases()
    build_form_cases()
    build_text_cases()
    build_clean_cases()

    errors: list[str] = []
    names = set()
    for c in CASES:
        if c.name in names:
            errors.append(f"duplicate case name {c.name}")
        names.add(c.name)
        self_check(c, errors)

    shutil.rmtree(CASES_DIR, ignore_errors=True)
    os.makedirs(CASES_DIR)
    manifest, total = [], 0
    for i, c in enumerate(CASES, 1):
        rel = f"cases/{i:02d}_{c.name}.{EXT[c.fmt]}{ENC_EXT[c.enc]}"
        raw = c.body.encode("utf-8")
        data = encode(raw, c.enc)
        if decode(data, c.enc) != raw:
            errors.append(f"{c.name}: {c.enc} round trip failed")
        with open(os.path.join(HERE, rel), "wb") as f:
            f.write(data)
        total += len(data)
        manifest.append({
            "file": rel, "content_type": c.ct, "content_encoding": c.enc, "format": c.fmt,
            "clean": c.clean, "evasions": c.evasions, "description": c.desc,
            "sensitive": c.sensitive, "lookalikes": c.lookalikes,
        })
    text = json.dumps(manifest, ensure_ascii=False, indent=1)
    # keep invisible characters visible in the manifest
    for ch in ZW_CHARS + "\u3000":
        text = text.replace(ch, "\\u%04x" % ord(ch))
    with open(MANIFEST, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    total += len(text.encode())
    if json.loads(text) != manifest:
        errors.append("manifest does not round-trip")
    if total > MAX_TOTAL_BYTES:
        errors.append(f"corpus too large: {total} bytes")

    classes = sorted({e["class"] for c in CASES for e in c.sensitive})
    evasions = sorted({ev for c in CASES for ev in c.evasions})
    print(f"{len(CASES)} cases ({sum(c.clean for c in CASES)} clean), "
          f"{sum(len(c.sensitive) for c in CASES)} sensitive entries, "
          f"{sum(len(c.lookalikes) for c in CASES)} look-alikes, {total} bytes")
    print("classes:", ", ".join(classes))
    print("evasions:", ", ".join(evasions))
    if errors:
        print("\nSELF-CHECK FAILED:", file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
