#!/usr/bin/env python3
"""Generator of realistic Chinese gov/enterprise API bodies with planted sensitive values.

    python3 gen.py [--seed N] [--per-cell N]   -> writes $PROBE_DIR/corpus/*.{body,meta.json}

Each case is one body (a realistic record in one format, with one evasion applied to its
sensitive values) plus metadata listing every planted value:
  {"kind": "id18", "value": <canonical>, "expect": "redact"}    sensitive, must vanish
  {"kind": "lookalike:snowflake", "value": <raw>, "expect": "keep"}  must stay byte-exact
Clean cases (expect identical body) carry "clean": true.
"""
import argparse
import base64
import datetime as dt
import gzip
import html
import json
import os
import random
import subprocess
import urllib.parse
import zlib

from faker import Faker

OUT = os.path.join(os.environ.get("PROBE_DIR", "/tmp/sluice-probe-run"), "corpus")

# ----------------------------------------------------------------------------- value generators
REGIONS = ["110101", "110105", "110108", "120101", "130102", "140105", "150102", "210102",
           "220102", "230103", "310101", "310115", "320102", "320506", "330106", "340104",
           "350102", "360103", "370102", "410105", "420106", "430104", "440106", "440305",
           "450103", "460105", "500103", "510107", "520102", "530102", "540102", "610113",
           "620102", "630102", "640104", "650102", "441900", "442000", "371302", "411625"]
W18 = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_check(s17):
    return "10X98765432"[sum(int(a) * b for a, b in zip(s17, W18)) % 11]


def rand_date(rng, y0=1940, y1=2015):
    d = dt.date(y0, 1, 1) + dt.timedelta(days=rng.randrange((dt.date(y1, 12, 31) - dt.date(y0, 1, 1)).days))
    return d


def id18(rng, want_x=None):
    while True:
        s17 = rng.choice(REGIONS) + rand_date(rng).strftime("%Y%m%d") + f"{rng.randrange(1000):03d}"
        c = id_check(s17)
        if want_x is None or (c == "X") == want_x:
            return s17 + c


def id15(rng):
    return rng.choice(REGIONS) + rand_date(rng, 1930, 1984).strftime("%y%m%d") + f"{rng.randrange(1000):03d}"


def luhn_check(s):
    tot = 0
    for i, ch in enumerate(reversed(s)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        tot += d
    return str((10 - tot % 10) % 10)


BINS = ["622202", "622848", "621700", "622588", "621483", "622700", "623668", "621226", "622908",
        "625966", "628288", "621799", "622609", "620522"]


def bank_card(rng, length=None, scheme="up"):
    if scheme == "visa":
        pre, length = "4" + "".join(rng.choice("0123456789") for _ in range(5)), 16
    elif scheme == "mc":
        pre, length = "5" + rng.choice("12345") + "".join(rng.choice("0123456789") for _ in range(4)), 16
    else:
        pre = rng.choice(BINS)
        length = length or rng.choice([16, 19, 19, 19, 17, 18])
    body = pre + "".join(rng.choice("0123456789") for _ in range(length - len(pre) - 1))
    return body + luhn_check(body)


USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ORG_W = [3, 7, 9, 10, 5, 8, 4, 2]


def uscc(rng):
    while True:
        org8 = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY" if i == 0 and rng.random() < .3 else "0123456789")
                       for i in range(8))
        if rng.random() < 0.4:
            org8 = "MA" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(6))
        vals = [int(c, 36) if not c.isdigit() else int(c) for c in org8]
        c9 = 11 - sum(v * w for v, w in zip(vals, ORG_W)) % 11
        c9 = "0" if c9 == 11 else ("X" if c9 == 10 else str(c9))
        head = rng.choice(["91", "91", "91", "92", "93", "11", "12", "52", "51", "31"])
        s17 = head + rng.choice(REGIONS) + org8 + c9
        tot = sum(USCC_CHARS.index(c) * w for c, w in zip(s17, USCC_W))
        c = (31 - tot % 31) % 31
        return s17 + USCC_CHARS[c]


MOBILE_PRE = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "147", "150", "151", "152",
              "153", "155", "156", "157", "158", "159", "166", "170", "173", "175", "176", "177", "178",
              "180", "181", "182", "183", "185", "186", "187", "188", "189", "191", "193", "195", "198",
              "199"]


def mobile(rng):
    return rng.choice(MOBILE_PRE) + "".join(rng.choice("0123456789") for _ in range(8))


AREA = ["010", "021", "022", "023", "020", "025", "027", "028", "029", "0755", "0571", "0531", "0532",
        "0591", "0731", "0371", "0851", "0871", "0898", "0991", "0471", "0311", "0351", "0431"]


def landline(rng):
    a = rng.choice(AREA)
    n = (8 if len(a) == 3 else rng.choice([7, 8]))
    return a, str(rng.randint(2, 8)) + "".join(rng.choice("0123456789") for _ in range(n - 1))


def passport(rng):
    k = rng.choice(["E8", "EL", "G", "PE", "SE", "DE", "E8"])
    d = lambda n: "".join(rng.choice("0123456789") for _ in range(n))
    if k == "E8":
        return "E" + d(8)
    if k == "EL":
        return "E" + rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") + d(7)
    if k == "G":
        return "G" + d(8)
    return k + d(7)


def hkmo(rng):
    return rng.choice("HM") + "".join(rng.choice("0123456789") for _ in range(8)) + (
        f"{rng.randint(0, 12):02d}" if rng.random() < 0.3 else "")


PROV = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PL = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def plate(rng):
    p = rng.choice(PROV) + rng.choice("ABCDEFGHJK")
    if rng.random() < 0.25:  # new energy
        if rng.random() < .5:
            return p + rng.choice("DF") + rng.choice(PL + "0123456789") + "".join(rng.choice("0123456789") for _ in range(4))
        return p + "".join(rng.choice("0123456789") for _ in range(5)) + rng.choice("DF")
    tail = ["0123456789"[rng.randrange(10)] for _ in range(5)]
    for i in rng.sample(range(5), rng.choice([0, 0, 1, 1, 2])):
        tail[i] = rng.choice(PL)
    return p + "".join(tail)


def ipv6(rng):
    pre = rng.choice(["240e", "2408", "2409", "2001:da8", "2400:da00"])
    parts = pre.split(":") + [f"{rng.randrange(65536):x}" for _ in range(8 - len(pre.split(":")))]
    if rng.random() < .5:
        return ":".join(parts[:4]) + "::" + parts[-1]
    return ":".join(parts)


PROVS = [("北京市", "北京市", ["海淀区", "朝阳区", "东城区", "丰台区"]),
         ("上海市", "上海市", ["浦东新区", "徐汇区", "闵行区"]),
         ("广东省", "深圳市", ["南山区", "福田区", "宝安区"]), ("广东省", "广州市", ["天河区", "越秀区"]),
         ("浙江省", "杭州市", ["西湖区", "余杭区", "滨江区"]), ("江苏省", "南京市", ["鼓楼区", "玄武区"]),
         ("四川省", "成都市", ["武侯区", "锦江区", "双流区"]), ("湖北省", "武汉市", ["洪山区", "江汉区"]),
         ("河南省", "周口市", ["太康县", "鹿邑县"]), ("山东省", "临沂市", ["兰山区", "沂南县"]),
         ("新疆维吾尔自治区", "乌鲁木齐市", ["天山区", "沙依巴克区"]), ("内蒙古自治区", "呼和浩特市", ["新城区"])]
ROADS = ["中关村大街", "建国路", "人民南路四段", "科技园路", "文三路", "解放大道", "长安街", "世纪大道",
         "深南大道", "天府大道北段", "中山路", "和平里东街", "金沙江路", "滨江大道"]


def address(rng, fake, style=None):
    style = style or rng.choice(["urban", "urban", "village", "short", "faker"])
    prov, city, dists = rng.choice(PROVS)
    dist = rng.choice(dists)
    pc = prov if prov == city else prov + city
    if style == "faker":
        return fake.address()
    if style == "village":
        return f"{pc}{dist}{rng.choice(['马头镇', '城关镇', '李庄乡', '清水镇'])}{rng.choice(['王庄村', '张湾村', '东风村'])}{rng.randint(1, 9)}组{rng.randint(1, 99)}号"
    if style == "short":  # no province/city: what many forms hold
        return f"{dist}{rng.choice(ROADS)}{rng.randint(1, 300)}号{rng.randint(1, 30)}栋{rng.randint(101, 2505)}室"
    return (f"{pc}{dist}{rng.choice(ROADS)}{rng.randint(1, 400)}号"
            + rng.choice(["", f"{rng.randint(1, 20)}号楼{rng.randint(1, 6)}单元{rng.randint(101, 2802)}室",
                          f"{rng.choice(['阳光小区', '金地花园', '幸福里'])}{rng.randint(1, 30)}栋{rng.randint(101, 3302)}"]))


COMPOUND = ["欧阳", "司马", "诸葛", "上官", "慕容", "皇甫"]
MINORITY = ["阿依古丽·买买提", "艾力·吐尔逊", "古丽娜尔·阿不都", "扎西·次仁", "巴特尔"]


def person(rng, fake):
    r = rng.random()
    if r < 0.08:
        return rng.choice(COMPOUND) + fake.first_name()
    if r < 0.13:
        return rng.choice(MINORITY)
    return fake.name()


def email(rng, fake):
    return rng.choice([fake.email(), fake.user_name() + "@" + rng.choice(["163.com", "qq.com", "126.com", "sina.com", "gov.cn", "sz.gov.cn"]),
                       str(rng.randint(10000, 3999999999)) + "@qq.com"])


# ----------------------------------------------------------------------------- key vocabularies
# (kind -> keys real APIs use; mixture of pinyin initials, camelCase, snake_case, Chinese)
KEYS = {
    "name": ["xm", "lxrxm", "contactName", "holderName", "accountName", "legalPerson", "fddbr", "frdb", "frxm",
             "sqrxm", "jbrxm", "realName", "custName", "khxm", "hzxm", "poxm", "fqxm", "personName",
             "applicantName", "legal_person", "legalRepName", "ownerName", "driverName", "jsyxm", "dsrxm",
             "xyrxm", "sjrxm", "shrxm", "lxr", "jbr", "name", "user_name", "acct_name", "hm", "khmc",
             "姓名", "联系人", "xingming", "cyxm", "jtcyxm", "jhrxm", "czr", "userRealName", "zrr", "fzr"],
    "addr": ["dz", "zz", "jtzz", "hjdz", "xzz", "zzdz", "dwdz", "addr", "homeAddress", "address", "jzdz",
             "hjszd", "zsd", "zs", "zcdz", "jydz", "txdz", "lxdz", "regAddress", "registeredAddress",
             "businessAddress", "officeAddress", "companyAddress", "residentialAddress", "home_addr",
             "contact_address", "xxdz", "sjdz", "shdz", "hkszd", "fwzl", "zl", "bdcdz", "住址", "家庭住址",
             "jtdz", "csd", "xjzd", "liveAddress", "detailAddress", "fullAddress"],
    "mobile": ["lxdh", "sjhm", "sjh", "telephone", "phoneNo", "mobilePhone", "mobile", "phone", "tel",
               "contactPhone", "contactTel", "lxrdh", "lxrsj", "frdh", "linkPhone", "linkTel", "cellPhone",
               "mobileNo", "phone_number", "yddh", "sj", "dh", "sqrdh", "userPhone", "phoneNum", "msisdn",
               "手机号", "联系电话", "lxfs", "jjlxrdh", "frsj", "telNo"],
    "landline": ["bgdh", "gddh", "dwdh", "lxdh", "telephone", "officeTel", "tel", "fax", "cz", "zjdh",
                 "fixedPhone", "landline", "officePhone", "dwlxdh", "contactTel", "jtdh"],
    "id18": ["zjhm", "gmsfhm", "sfzh", "sfzhm", "idCard", "idNo", "id_card", "idCardNo", "certNo",
             "certificateNumber", "sfzmhm", "zjh", "sfzjh", "id_number", "identityCard", "credentialNo",
             "frsfzh", "lxrsfzh", "sqrsfzh", "cardId", "身份证号", "holderIdNo", "legalIdNo", "pid", "idcardNum"],
    "id15": ["sfzh", "zjhm", "gmsfhm", "idCard", "oldIdCard", "sfzmhm", "jsfzh", "idNo", "lsfzh", "yzjhm"],
    "bank": ["yhkh", "yhzh", "khzh", "cardNo", "bankAccount", "bankCardNo", "accountNo", "acctNo", "account",
             "skzh", "fkzh", "zh", "bankCard", "settleAccount", "jszh", "dkzh", "ffzh", "sbkh", "payeeAccount",
             "acct_no", "bank_card_no", "银行卡号", "khhzh"],
    "uscc": ["tyshxydm", "shxydm", "creditCode", "uscc", "unifiedSocialCreditCode", "nsrsbh", "taxNo", "xydm",
             "tyxydm", "socialCreditCode", "entCreditCode", "orgCode", "dwdm", "统一社会信用代码", "qyxydm",
             "credit_code", "zzjgdm"],
    "passport": ["hzhm", "passportNo", "passport_no", "hzh", "passportNumber", "passport", "crjzjhm"],
    "hkmo": ["txzhm", "gatxz", "hxzh", "permitNo", "gajmlwndtxz", "hkMacauPermitNo", "txzh"],
    "plate": ["hphm", "cph", "plateNo", "carNo", "vehicleNo", "clhp", "cphm", "carPlate", "licensePlate",
              "plate_number", "号牌号码", "clhphm"],
    "email": ["email", "dzyx", "yx", "mail", "emailAddress", "e_mail", "lxyx", "contactEmail"],
    "ipv4": ["ip", "clientIp", "remoteAddr", "srcIp", "ipAddress", "dlip", "czip", "loginIp", "requestIp", "khdip"],
    "ipv6": ["ip", "clientIp", "ipv6", "srcIp", "loginIp"],
}

TEXT_LABELS = {"name": ["姓名", "申请人", "联系人", "经办人", "法定代表人", "户主", "当事人"],
               "addr": ["住址", "家庭住址", "现住址", "户籍地址", "联系地址", "住所地"],
               "mobile": ["手机", "联系电话", "手机号码", "电话"], "landline": ["办公电话", "座机", "联系电话", "传真"],
               "id18": ["身份证号", "公民身份号码", "身份证号码", "证件号码"], "id15": ["身份证号", "原身份证号码"],
               "bank": ["银行卡号", "账号", "收款账号", "开户账号"], "uscc": ["统一社会信用代码", "信用代码", "纳税人识别号"],
               "passport": ["护照号码", "护照号"], "hkmo": ["回乡证号码", "港澳居民来往内地通行证号码"],
               "plate": ["车牌号", "号牌号码", "车牌"], "email": ["邮箱", "电子邮箱", "Email"],
               "ipv4": ["IP地址", "登录IP", "来源IP"], "ipv6": ["IPv6地址", "来源IP"]}

DIGITY = {"id18", "id15", "bank", "mobile", "landline", "uscc", "passport", "hkmo"}


import yaml, glob, fnmatch
PACK_KEYS = {}
for _f in glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "rules", "packs", "*.yaml")):
    for _r in yaml.safe_load(open(_f))["rules"]:
        PACK_KEYS[_r["id"]] = [str(k).lower().replace("_", "") for k in (_r.get("context") or {}).get("keys", [])]
RULE_OF = {"name": ["cn.person_name"], "addr": ["cn.address"], "mobile": ["cn.mobile"], "landline": ["cn.landline"],
           "id18": ["cn.resident_id.18"], "id15": ["cn.resident_id.15"], "bank": ["cn.bank_card"], "uscc": ["cn.uscc"],
           "passport": ["cn.passport", "cn.passport.any_country"], "hkmo": ["cn.hk_macau_permit"],
           "plate": ["cn.licence_plate"], "email": ["cn.email"], "ipv4": ["cn.ipv4"], "ipv6": ["cn.ipv6"]}


def key_known(kind, key):
    k = key.lower().replace("_", "")
    return any(fnmatch.fnmatchcase(k, pat) for r in RULE_OF[kind] for pat in PACK_KEYS.get(r, []))


KNOWN_KEYS = {}


def known_keys(kind):
    if kind not in KNOWN_KEYS:
        KNOWN_KEYS[kind] = [k for k in KEYS[kind] if key_known(kind, k)] or KEYS[kind]
    return KNOWN_KEYS[kind]


def gen_value(kind, rng, fake):
    if kind == "name":
        return person(rng, fake)
    if kind == "addr":
        return address(rng, fake)
    if kind == "mobile":
        return mobile(rng)
    if kind == "landline":
        a, n = landline(rng)
        return a + n
    if kind == "id18":
        return id18(rng, want_x=(rng.random() < 0.15))
    if kind == "id15":
        return id15(rng)
    if kind == "bank":
        return bank_card(rng, scheme=rng.choice(["up"] * 6 + ["visa", "mc"]))
    if kind == "uscc":
        return uscc(rng)
    if kind == "passport":
        return passport(rng)
    if kind == "hkmo":
        return hkmo(rng)
    if kind == "plate":
        return plate(rng)
    if kind == "email":
        return email(rng, fake)
    if kind == "ipv4":
        return fake.ipv4_public() if rng.random() < .7 else fake.ipv4_private()
    if kind == "ipv6":
        return ipv6(rng)
    raise KeyError(kind)


# ----------------------------------------------------------------------------- natural rendering
def natural(kind, v, rng):
    """How the value is commonly written before any evasion (landlines with a hyphen, etc.)."""
    if kind == "landline":
        a = v[:3] if v[:3] in AREA else v[:4]
        return rng.choice([f"{a}-{v[len(a):]}", f"{a}-{v[len(a):]}", v, f"({a}){v[len(a):]}"])
    if kind == "mobile" and rng.random() < 0.15:
        return rng.choice(["+86", "+86 ", "86", "(+86)", "+86-"]) + v
    if kind == "id18" and rng.random() < 0.2:
        return v.lower()  # lower-case x
    return v


# ----------------------------------------------------------------------------- evasions
ZW = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u2060"]


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def groups(kind, s):
    cuts = {"id18": [6, 14], "id15": [6, 12], "mobile": [3, 7], "bank": list(range(4, len(s), 4)),
            "landline": [], "uscc": [2, 8, 17], "passport": [], "hkmo": []}.get(kind, [])
    if kind == "mobile" and not s.isdigit():
        return s
    out, last = [], 0
    for c in cuts:
        if c < len(s):
            out.append(s[last:c])
            last = c
    out.append(s[last:])
    return out


def ev_sep(kind, s, sep):
    if kind == "landline":
        if "-" in s:
            return s.replace("-", sep)
        if s.startswith("("):
            return s.replace(")", ")" + sep)
        a = 3 if s[:3] in AREA else 4
        return s[:a] + sep + s[a:]
    if kind in ("passport", "hkmo"):
        i = 2 if s[1].isalpha() else 1
        return s[:i] + sep + s[i:]
    if kind == "uscc":
        return s   # nobody writes a USCC with separators
    return sep.join(groups(kind, s))


def ev_zw(kind, s, rng):
    if kind in ("name",):
        return s[:1] + rng.choice(ZW) + s[1:]
    if kind == "addr":
        i = len(s) // 2
        return s[:i] + rng.choice(ZW) + s[i:]
    # several zero-width characters inside the number
    chars = list(s)
    out = []
    for i, c in enumerate(chars):
        out.append(c)
        if i < len(chars) - 1 and (i % 4 == 3):
            out.append(rng.choice(ZW))
    return "".join(out)


def apply_text_evasion(kind, s, ev, rng):
    """Evasions that change the text of the value (format independent)."""
    if ev == "fullwidth":
        if kind in ("name",):
            return s
        return fullwidth(s) if kind != "addr" else "".join(fullwidth(c) if c.isdigit() else c for c in s)
    if ev == "ideo_space":
        if kind in ("name", "addr", "email", "ipv4", "ipv6", "plate"):
            return s[:1] + "\u3000" + s[1:] if kind in ("name", "plate") else s
        return ev_sep(kind, s, "\u3000")
    if ev == "zw":
        if kind in ("email", "ipv4", "ipv6"):
            return s
        return ev_zw(kind, s, rng)
    if ev == "sep_space":
        if kind in DIGITY:
            return ev_sep(kind, s, " ")
        if kind == "name" and len(s) == 2:
            return s[0] + " " + s[1]   # 张 伟 (common in forms to align two-char names)
        return s
    if ev == "sep_hyphen":
        return ev_sep(kind, s, "-") if kind in DIGITY else s
    if ev == "fw_sep":  # full-width digits and full-width hyphen/space mixed
        return fullwidth(ev_sep(kind, s, "－")) if kind in DIGITY else s
    return s


# ----------------------------------------------------------------------------- formats
def json_str_uescape(s, rng, partial=True):
    """JSON string literal with \\u escapes (all characters, or every other one)."""
    out = []
    for i, c in enumerate(s):
        if (not partial) or i % 2 == 0:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(json.dumps(c, ensure_ascii=False)[1:-1])
    return '"' + "".join(out) + '"'


class Raw(str):
    """A value already rendered as a JSON literal."""


def to_json(obj, indent=None):
    # support Raw literals
    if isinstance(obj, Raw):
        return str(obj)
    if isinstance(obj, dict):
        items = [json.dumps(k, ensure_ascii=False) + (": " if indent else ":") + to_json(v, indent) for k, v in obj.items()]
        if indent:
            return "{\n" + ",\n".join("  " + i for i in items) + "\n}"
        return "{" + ",".join(items) + "}"
    if isinstance(obj, list):
        return "[" + ",".join(to_json(v, indent) for v in obj) + "]"
    return json.dumps(obj, ensure_ascii=False)


def xml_entities(s, hexa, rng):
    out = []
    for i, c in enumerate(s):
        if c.isalnum() and (i % 2 == 0 or not c.isascii()):
            out.append(f"&#x{ord(c):x};" if hexa else f"&#{ord(c)};")
        else:
            out.append(html.escape(c, quote=True))
    return "".join(out)


def b64(s):
    return base64.b64encode(s.encode()).decode()


EVASIONS_TEXT = ["plain", "fullwidth", "ideo_space", "zw", "sep_space", "sep_hyphen", "fw_sep"]
EVASIONS_FORMAT = {"json": ["uescape", "uescape_all", "base64"], "xml": ["ent_hex", "ent_dec", "cdata", "base64"],
                   "form": ["urlenc_all", "base64"], "text": [], "csv": [], "html": ["ent_dec"]}
COMPRESS = ["gzip", "deflate", "br", "zstd"]

FORMATS = {
    "json_flat": "json", "json_nested": "json", "json_stringified": "json", "json_remark": "json",
    "json_zjlx": "json", "json_numbers": "json",
    "xml_elem": "xml", "xml_attr": "xml", "soap": "xml", "soap_escaped_xml": "xml", "xml_gbk": "xml",
    "csv_header": "csv", "csv_cn_header": "csv", "csv_noheader": "csv", "tsv": "csv",
    "form": "form", "form_json_param": "form",
    "html_table": "html", "html_label": "html",
    "text_log": "text", "text_prose": "text", "text_kv_log": "text",
}

CT = {"json": "application/json;charset=UTF-8", "xml": "application/xml", "soap": "text/xml; charset=utf-8",
      "csv": "text/csv", "tsv": "text/tab-separated-values", "form": "application/x-www-form-urlencoded",
      "html": "text/html", "text": "text/plain"}

RECORD_KINDS = ["name", "id18", "mobile", "addr", "bank", "email", "plate", "ipv4", "landline", "uscc",
                "passport", "hkmo", "id15", "ipv6"]


def pick_kinds(rng):
    """A record: person data is always there; other identifiers appear in some records."""
    ks = ["name", "id18", "mobile", "addr"]
    ks += rng.sample(["bank", "email", "plate", "ipv4", "landline", "uscc", "passport", "hkmo", "id15", "ipv6"], 4)
    return ks


class Case:
    def __init__(self, cid, fmt, ev, comp=None):
        self.cid, self.fmt, self.ev, self.comp = cid, fmt, ev, comp
        self.planted = []
        self.ct = None
        self.body = b""
        self.clean = False


def render_value(kind, v, ev, rng):
    nat = natural(kind, v, rng)
    return apply_text_evasion(kind, nat, ev, rng) if ev in EVASIONS_TEXT else nat


def build(fmt, ev, rng, fake, cid):
    c = Case(cid, fmt, ev)
    fam = FORMATS[fmt]
    kinds = pick_kinds(rng)
    fields = []  # (kind, key, canonical, rendered)
    for k in kinds:
        v = gen_value(k, rng, fake)
        key = rng.choice(known_keys(k))
        fields.append((k, key, v, render_value(k, v, ev, rng)))
    # deduplicate keys
    seen = set()
    fields2 = []
    for f in fields:
        if f[1] in seen:
            continue
        seen.add(f[1])
        fields2.append(f)
    fields = fields2
    for k, key, v, r in fields:
        c.planted.append({"kind": k, "key": key, "value": v, "rendered": r, "expect": "redact"})
    # a few look-alikes riding along in every realistic record
    la = [("lookalike:order_no", "ddbh", "DD" + dt.date(2024, 1, 1).strftime("%Y%m%d") + str(rng.randint(10 ** 9, 10 ** 10 - 1))),
          ("lookalike:ts_ms", "createTime", str(rng.randint(1600000000000, 1760000000000))),
          ("lookalike:uuid", "requestId", fake.uuid4())]
    for kind, key, val in la:
        c.planted.append({"kind": kind, "key": key, "value": val, "rendered": val, "expect": "keep"})

    def jval(kind, rendered):
        if ev == "uescape":
            return Raw(json_str_uescape(rendered, rng, partial=True))
        if ev == "uescape_all":
            return Raw(json_str_uescape(rendered, rng, partial=False))
        if ev == "base64":
            return b64(rendered)
        return rendered

    def xval(rendered, attr=False):
        if ev == "ent_hex":
            return xml_entities(rendered, True, rng)
        if ev == "ent_dec":
            return xml_entities(rendered, False, rng)
        if ev == "cdata" and not attr:
            return f"<![CDATA[{rendered}]]>"
        if ev == "base64":
            return b64(rendered)
        return html.escape(rendered, quote=attr)

    now = dt.datetime(2024, 3, rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))
    meta = {"ddbh": la[0][2], "createTime": la[1][2], "requestId": la[2][2]}
    if fmt == "json_flat":
        obj = {key: jval(k, r) for k, key, v, r in fields}
        obj.update({"xb": rng.choice(["1", "2"]), "mz": "01", **meta})
        body = to_json(obj, indent=rng.choice([None, 2]))
        c.ct = CT["json"]
    elif fmt == "json_numbers":
        obj = {}
        for k, key, v, r in fields:
            if k in ("mobile", "bank", "id15") and r.isdigit() and ev == "plain":
                obj[key] = Raw(r)  # a JSON number, as Java Long fields serialize
            else:
                obj[key] = jval(k, r)
        obj.update({"createTime": Raw(la[1][2]), "ddbh": la[0][2], "requestId": la[2][2]})
        body = to_json(obj)
        c.ct = CT["json"]
    elif fmt == "json_nested":
        person_ = {}
        other = {}
        for k, key, v, r in fields:
            (person_ if k in ("name", "id18", "id15", "mobile", "addr") else other)[key] = jval(k, r)
        obj = {"code": "00000", "msg": "操作成功", "success": True,
               "data": {"total": 1, "pageNum": 1, "records": [{"basicInfo": person_, "extInfo": [other],
                                                               "ddbh": meta["ddbh"], "gxsj": now.strftime("%Y-%m-%d %H:%M:%S")}]},
               "requestId": meta["requestId"], "timestamp": Raw(meta["createTime"])}
        body = to_json(obj)
        c.ct = CT["json"]
    elif fmt == "json_stringified":
        inner = {key: r for k, key, v, r in fields}
        inner.update(meta)
        s = json.dumps(inner, ensure_ascii=(ev == "uescape_all"))
        obj = {"code": 200, "message": "success", "data": s if ev != "base64" else b64(s), "sign": fake.md5()}
        body = json.dumps(obj, ensure_ascii=False)
        c.ct = CT["json"]
    elif fmt == "json_remark":
        parts = []
        for k, key, v, r in fields:
            lab = rng.choice(TEXT_LABELS[k])
            sep = rng.choice(["", "：", ":", " "])
            parts.append(f"{lab}{sep}{r}")
        text = "，".join(parts) + "。"
        obj = {"ywlsh": meta["ddbh"], "bz": text if ev not in ("uescape", "uescape_all", "base64") else None,
               "createTime": Raw(meta["createTime"]), "requestId": meta["requestId"]}
        if ev in ("uescape", "uescape_all"):
            obj["bz"] = Raw(json_str_uescape(text, rng, partial=(ev == "uescape")))
        elif ev == "base64":
            obj["bz"] = b64(text)
        body = to_json(obj)
        c.ct = CT["json"]
    elif fmt == "json_zjlx":
        # certificate type + number pairs: the number key is generic
        items = []
        for k, key, v, r in fields:
            if k in ("id18", "id15", "passport", "hkmo"):
                zjlx = {"id18": ("111", "居民身份证"), "id15": ("111", "居民身份证"), "passport": ("414", "普通护照"),
                        "hkmo": ("516", "港澳居民来往内地通行证")}[k]
                style = rng.choice(["zj", "cert", "paper"])
                if style == "zj":
                    items.append({"zjlx": zjlx[0], "zjlxmc": zjlx[1], "zjhm": jval(k, r)})
                elif style == "cert":
                    items.append({"certType": zjlx[1], "certNo": jval(k, r)})
                else:
                    items.append({"papersType": zjlx[0], "papersNum": jval(k, r)})
            else:
                items.append({key: jval(k, r)})
        obj = {"head": {"requestId": meta["requestId"], "ts": Raw(meta["createTime"])}, "body": {"zjxx": items, "ddbh": meta["ddbh"]}}
        body = to_json(obj)
        c.ct = CT["json"]
    elif fmt in ("xml_elem", "xml_gbk"):
        inner = "".join(f"<{xmlkey(key)}>{xval(r)}</{xmlkey(key)}>" for k, key, v, r in fields)
        enc = "GBK" if fmt == "xml_gbk" else "UTF-8"
        body = (f'<?xml version="1.0" encoding="{enc}"?>\n<Request><Head><RequestId>{meta["requestId"]}</RequestId>'
                f'<Ddbh>{meta["ddbh"]}</Ddbh><Ts>{meta["createTime"]}</Ts></Head><Body><Person>{inner}</Person></Body></Request>')
        c.ct = "application/xml" if fmt == "xml_elem" else "text/xml; charset=GBK"
    elif fmt == "xml_attr":
        attrs = " ".join(f'{xmlkey(key)}="{xval(r, attr=True)}"' for k, key, v, r in fields)
        body = (f'<?xml version="1.0" encoding="UTF-8"?><result code="0" requestId="{meta["requestId"]}" ddbh="{meta["ddbh"]}" '
                f'ts="{meta["createTime"]}"><row {attrs}/></result>')
        c.ct = "application/xml"
    elif fmt == "soap":
        inner = "".join(f"<ns2:{xmlkey(key)}>{xval(r)}</ns2:{xmlkey(key)}>" for k, key, v, r in fields)
        body = ('<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
                '<soap:Header><ns2:AuthHeader xmlns:ns2="http://gov.cn/ws"><ns2:requestId>' + meta["requestId"] +
                '</ns2:requestId></ns2:AuthHeader></soap:Header><soap:Body><ns2:queryPersonResponse xmlns:ns2="http://gov.cn/ws">'
                '<return><ddbh>' + meta["ddbh"] + '</ddbh><ts>' + meta["createTime"] + '</ts><person>' + inner +
                '</person></return></ns2:queryPersonResponse></soap:Body></soap:Envelope>')
        c.ct = CT["soap"]
    elif fmt == "soap_escaped_xml":
        # the typical Chinese gov webservice: an XML document passed as an escaped string arg
        inner_doc = ('<?xml version="1.0" encoding="UTF-8"?><ROOT><HEAD><DDBH>' + meta["ddbh"] + '</DDBH><TS>' +
                     meta["createTime"] + '</TS><REQID>' + meta["requestId"] + '</REQID></HEAD><DATA><ROW>' +
                     "".join(f"<{xmlkey(key).upper()}>{html.escape(r) if ev != 'base64' else b64(r)}</{xmlkey(key).upper()}>"
                             for k, key, v, r in fields) + '</ROW></DATA></ROOT>')
        if ev == "cdata":
            payload = "<![CDATA[" + inner_doc + "]]>"
        elif ev in ("ent_hex", "ent_dec"):
            payload = xml_entities(inner_doc, ev == "ent_hex", rng)
        else:
            payload = html.escape(inner_doc, quote=False)
        body = ('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
                'xmlns:web="http://webservice.gov.cn/"><soapenv:Body><web:queryResponse><return>' + payload +
                '</return></web:queryResponse></soapenv:Body></soapenv:Envelope>')
        c.ct = CT["soap"]
    elif fmt in ("csv_header", "csv_cn_header", "csv_noheader", "tsv"):
        sep = "\t" if fmt == "tsv" else ","
        hdr = []
        for k, key, v, r in fields:
            hdr.append(rng.choice(TEXT_LABELS[k]) if fmt == "csv_cn_header" else key)
        hdr += ["ddbh", "createTime", "requestId"]
        vals = [csvq(r, sep) for k, key, v, r in fields] + [meta["ddbh"], meta["createTime"], meta["requestId"]]
        # a second filler row of the same record shape keeps it a table
        lines = ([sep.join(hdr)] if fmt != "csv_noheader" else []) + [sep.join(vals)]
        body = "\r\n".join(lines) + "\r\n"
        c.ct = CT["tsv"] if fmt == "tsv" else CT["csv"]
    elif fmt == "form":
        pairs = []
        for k, key, v, r in fields:
            if ev == "urlenc_all":
                pairs.append(urllib.parse.quote(key) + "=" + "".join(f"%{b:02X}" for b in r.encode()))
            elif ev == "base64":
                pairs.append(urllib.parse.quote(key) + "=" + urllib.parse.quote(b64(r)))
            else:
                pairs.append(urllib.parse.quote(key) + "=" + urllib.parse.quote_plus(r))
        pairs += [f"ddbh={meta['ddbh']}", f"timestamp={meta['createTime']}", f"requestId={meta['requestId']}",
                  "sign=" + fake.md5()]
        rng.shuffle(pairs)
        body = "&".join(pairs)
        c.ct = CT["form"]
    elif fmt == "form_json_param":
        inner = {key: r for k, key, v, r in fields}
        inner.update(meta)
        body = "appId=gov_app_001&method=person.query&bizContent=" + urllib.parse.quote(json.dumps(inner, ensure_ascii=False)) + \
               "&sign=" + fake.md5()
        c.ct = CT["form"]
    elif fmt == "html_table":
        ths = "".join(f"<th>{rng.choice(TEXT_LABELS[k])}</th>" for k, key, v, r in fields) + "<th>订单编号</th><th>创建时间</th>"
        tds = "".join(f"<td>{xval(r) if ev == 'ent_dec' else html.escape(r)}</td>" for k, key, v, r in fields) + \
              f"<td>{meta['ddbh']}</td><td>{meta['createTime']}</td>"
        body = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>人员信息</title></head><body>'
                f'<table class="table"><thead><tr>{ths}</tr></thead><tbody><tr>{tds}</tr></tbody></table>'
                f'<p>请求编号：{meta["requestId"]}</p></body></html>')
        c.ct = CT["html"]
    elif fmt == "html_label":
        rows = "".join(f'<tr><td class="label">{rng.choice(TEXT_LABELS[k])}：</td><td class="value"><span>{xval(r) if ev == "ent_dec" else html.escape(r)}</span></td></tr>'
                       for k, key, v, r in fields)
        body = (f'<html><body><div class="detail"><table>{rows}<tr><td>业务编号：</td><td>{meta["ddbh"]}</td></tr>'
                f'</table></div><!-- {meta["requestId"]} {meta["createTime"]} --></body></html>')
        c.ct = CT["html"]
    elif fmt == "text_log":
        parts = ", ".join(f"{key}={r}" for k, key, v, r in fields)
        body = (f"{now:%Y-%m-%d %H:%M:%S}.{rng.randint(0, 999):03d} INFO 12345 --- [http-nio-8080-exec-{rng.randint(1, 20)}] "
                f"c.g.e.service.PersonQueryService : 查询结果 requestId={meta['requestId']} ddbh={meta['ddbh']} ts={meta['createTime']} "
                f"Person({parts})\n")
        c.ct = CT["text"]
    elif fmt == "text_kv_log":
        obj = {key: r for k, key, v, r in fields}
        obj.update(meta)
        body = (f"[{now:%Y-%m-%d %H:%M:%S}] [INFO] [exchange-gateway] response body: "
                + json.dumps(obj, ensure_ascii=False) + "\n")
        c.ct = CT["text"]
    elif fmt == "text_prose":
        parts = []
        for k, key, v, r in fields:
            lab = rng.choice(TEXT_LABELS[k])
            parts.append(rng.choice([f"{lab}{r}", f"{lab}：{r}", f"{lab}为{r}", f"{lab}: {r}"]))
        body = f"业务编号{meta['ddbh']}，" + "，".join(parts) + f"。请求时间戳{meta['createTime']}，追踪号{meta['requestId']}。\n"
        c.ct = CT["text"]
    else:
        raise KeyError(fmt)
    if fmt == "xml_gbk":
        c.body = body.encode("gbk", errors="xmlcharrefreplace")
    else:
        c.body = body.encode("utf-8")
    return c


def xmlkey(key):
    # XML element names cannot be all kinds of things; Chinese is fine, keep.
    return key


def csvq(s, sep):
    if sep in s or '"' in s or "\n" in s:
        return '"' + s.replace('"', '""') + '"'
    return s


def compress(data, how):
    if how == "gzip":
        return gzip.compress(data)
    if how == "deflate":
        return zlib.compress(data)
    if how == "br":
        import brotli
        return brotli.compress(data)
    if how == "zstd":
        return subprocess.run(["zstd", "-q", "-c"], input=data, capture_output=True, check=True).stdout
    raise KeyError(how)


# ----------------------------------------------------------------------------- look-alikes & clean
DICT_NAMES = ["苏州市", "高新区", "王府井", "李宁", "黄金", "江苏省", "汉族", "回族", "高中", "群众", "党员", "于是",
              "周报", "任务", "金融服务", "常用", "万达广场", "方正证券", "白云机场", "石家庄市", "钟楼区", "杨浦区",
              "田园风光", "马鞍山市", "安全生产", "文化", "夏季", "向阳花园", "林业局", "林芝市", "史学", "项目",
              "温州市", "程序", "雷雨", "宋体", "孔雀", "司法局", "公安局", "武汉市", "申请", "陆地"]


def lookalike_cases(rng, fake):
    """Bodies that hold only non-sensitive values; each must come back byte-identical."""
    cases = []

    def add(kind, body, ct, vals):
        c = Case(f"la_{len(cases):04d}", "lookalike", kind)
        c.ct = ct
        c.body = body.encode("utf-8") if isinstance(body, str) else body
        c.clean = True
        c.planted = [{"kind": "lookalike:" + kind, "value": v, "rendered": v, "expect": "keep"} for v in vals]
        cases.append(c)

    for i in range(40):
        # snowflake ids (Twitter epoch, 2019-2025) as strings and numbers
        sf = str(((rng.randint(1546300800000, 1760000000000) - 1288834974657) << 22) | rng.randrange(1 << 22))
        sf2 = str(rng.randint(10 ** 17, 9 * 10 ** 17))  # custom-epoch snowflake, 18 digits
        add("snowflake", json.dumps({"id": Raw(sf), "bizId": sf, "userId": sf2, "status": 1}, ensure_ascii=False).replace('"' + sf + '"', sf, 1) if False else
            '{"id":' + sf + ',"bizId":"' + sf + '","userId":"' + sf2 + '","status":1}', CT["json"], [sf, sf2])
        ts = str(rng.randint(1500000000000, 1760000000000))
        ts10 = str(rng.randint(1500000000, 1760000000))
        add("timestamp", '{"createTime":' + ts + ',"updateTime":"' + ts + '","expireAt":' + ts10 + ',"msg":"ok"}', CT["json"], [ts, ts10])
        # IDs with a wrong check digit, and with impossible dates, under ID keys
        good = id18(rng)
        bad = good[:17] + rng.choice([c for c in "0123456789X" if c != good[17]])
        d = rng.choice(["19900230", "19870229", "20221331", "19991200", "21050101", "18990101"])
        imp17 = rng.choice(REGIONS) + d + f"{rng.randrange(1000):03d}"
        imp = imp17 + id_check(imp17)
        badreg17 = rng.choice(["00", "19", "66", "70", "80", "99"]) + "0101" + rand_date(rng).strftime("%Y%m%d") + "123"
        badreg = badreg17 + id_check(badreg17)
        add("id_badcheck", json.dumps({"sfzh": bad, "zjhm": imp, "gmsfhm": badreg}), CT["json"], [bad, imp, badreg])
        add("id_badcheck_text", f"校验失败：身份证号{bad}校验位错误；证件号码{imp}出生日期非法。\n", CT["text"], [bad, imp])
        # Luhn-invalid 62 cards
        card = bank_card(rng)
        badcard = card[:-1] + str((int(card[-1]) + rng.randint(1, 9)) % 10)
        add("card_badluhn", json.dumps({"yhkh": badcard, "cardNo": badcard}), CT["json"], [badcard])
        # order numbers: date-prefixed, 16-20 digits
        on = dt.date(2024, rng.randint(1, 12), rng.randint(1, 28)).strftime("%Y%m%d") + str(rng.randint(10 ** 9, 10 ** 10 - 1))
        on2 = "62" + str(rng.randint(10 ** 15, 10 ** 16 - 1))  # order no that starts with 62
        on3 = str(rng.randint(10 ** 17, 10 ** 18 - 1))
        add("order_no", json.dumps({"orderNo": on, "ddh": on2, "out_trade_no": on3, "ywlsh": on}), CT["json"], [on, on2, on3])
        add("order_no_text", f"订单{on}已支付，交易流水{on3}，商户单号{on2}。\n", CT["text"], [on, on2, on3])
        u = fake.uuid4()
        add("uuid", json.dumps({"traceId": u, "uuid": u.replace("-", ""), "md5": fake.md5(), "sha1": fake.sha1()}), CT["json"], [u])
        # dictionary / code-table responses with name fields
        items = [{"dm": str(rng.randint(1, 99)).zfill(2), "name": n, "mc": n} for n in rng.sample(DICT_NAMES, 4)]
        add("dict_names", json.dumps({"code": 0, "data": items}, ensure_ascii=False), CT["json"], [x["name"] for x in items])
        # product / org names under name-like keys
        cm = fake.company()
        add("org_names", json.dumps({"name": cm, "companyName": cm, "deptName": "办公室", "legalPerson": None, "khmc": cm},
                                    ensure_ascii=False), CT["json"], [cm])
        # versions / dates / coordinates that look like IPs
        ver = f"{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 99)}.{rng.randint(0, 255)}"
        add("version", json.dumps({"appVersion": ver, "version": ver, "jd": "116.397128", "wd": "39.916527",
                                   "rq": "2024.01.15"}), CT["json"], [ver])
        # passport/permit/plate shapes under other keys
        pp = passport(rng)
        hk = hkmo(rng)[:9]
        add("passport_shape", json.dumps({"bh": pp, "xh": hk, "model": "E" + str(rng.randint(10 ** 7, 10 ** 8 - 1)),
                                          "sbbh": hk}), CT["json"], [pp, hk])
        # USCC look-alikes (bad check char)
        u1 = uscc(rng)
        ub = u1[:17] + rng.choice([c for c in USCC_CHARS if c != u1[17]])
        add("uscc_badcheck", json.dumps({"tyshxydm": ub, "xydm": ub}, ensure_ascii=False), CT["json"], [ub])
        # 11-digit numbers that are not phones: amounts in fen, counts, EAN, ISBN
        amt = str(rng.randint(13000000000, 19999999999))
        add("number11", json.dumps({"jeFen": Raw(amt), "totalAmount": amt, "isbn": fake.isbn13(), "ean": fake.ean13()}), CT["json"], [amt])
        # classified look-alikes
        add("classified_like", json.dumps({"title": rng.choice(["商业机密保护协议", "揭开宇宙的秘密", "信息安全三要素：机密性、完整性、可用性",
                                                                  "★★★★★ 五星好评", "绝密档案（电视剧）第3集", "秘密花园主题乐园"])},
                                          ensure_ascii=False), CT["json"], [])
        # CSV of statistics, forms without PI, log lines
        rows = "\r\n".join([",".join(["统计日期", "区划代码", "办件量", "按时办结率"])] +
                           [",".join([f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}", rng.choice(REGIONS), str(rng.randint(0, 99999)),
                                      f"{rng.random() * 100:.2f}%"]) for _ in range(5)])
        add("stats_csv", rows + "\r\n", CT["csv"], [])
        add("clean_form", f"pageNum=1&pageSize=20&startTime=2024-01-01%2000%3A00%3A00&orderNo={on}&ts={ts}&sign={fake.md5()}",
            CT["form"], [on, ts])
        add("clean_log", f"2024-03-0{rng.randint(1, 9)} 10:2{rng.randint(0, 9)}:11.123 INFO [main] o.s.b.w.e.tomcat.TomcatWebServer : Tomcat started on port(s): 8080 (http) traceId={u} cost={rng.randint(1, 999)}ms ts={ts}\n",
            CT["text"], [u, ts])
        add("clean_xml", f'<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n  <Code>0</Code>\n  <Msg>成功</Msg>\n  <OrderNo>{on}</OrderNo>\n  <Ts>{ts}</Ts>\n  <Id>{sf}</Id>\n</Response>\n',
            CT["xml"], [on, ts, sf])
    # bodies with odd bytes that must pass through untouched
    add("bom_crlf", "\ufeff{\r\n  \"code\": 0,\r\n  \"msg\": \"成功\"\r\n}\r\n", CT["json"], [])
    add("gbk_clean", "<?xml version=\"1.0\" encoding=\"GBK\"?><r><msg>处理成功</msg><bz>无</bz></r>".encode("gbk"), "text/xml; charset=GBK", [])
    add("invalid_utf8", b'{"code":0,"data":"\xff\xfe\x00abc"}', CT["json"], [])
    return cases


def keycov_cases(rng, fake):
    """Every key of the vocabulary, alone, plain value: which field names are recognized."""
    out = []
    for kind, keys in KEYS.items():
        for key in keys:
            for fmt in ("json", "xml", "form", "csv"):
                for i in range(2):
                    v = gen_value(kind, rng, fake)
                    r = natural(kind, v, rng) if kind != "landline" else v
                    c = Case(f"k_{kind}_{len(out):05d}", "keycov_" + fmt, "key=" + key)
                    if fmt == "json":
                        body = json.dumps({"id": rng.randint(1, 999), key: r, "zt": "1"}, ensure_ascii=False)
                        c.ct = CT["json"]
                    elif fmt == "xml":
                        body = f"<data><row><id>{rng.randint(1, 999)}</id><{key}>{html.escape(r)}</{key}></row></data>"
                        c.ct = CT["xml"]
                    elif fmt == "form":
                        body = f"id={rng.randint(1, 999)}&{urllib.parse.quote(key)}={urllib.parse.quote_plus(r)}&zt=1"
                        c.ct = CT["form"]
                    else:
                        body = f"id,{key},zt\r\n{rng.randint(1, 999)},{csvq(r, ',')},1\r\n"
                        c.ct = CT["csv"]
                    c.body = body.encode()
                    c.planted = [{"kind": kind, "key": key, "value": v, "rendered": r, "expect": "redact"}]
                    out.append(c)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=20250101)
    ap.add_argument("--per-cell", type=int, default=6)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    fake = Faker("zh_CN")
    Faker.seed(a.seed)
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.unlink(os.path.join(OUT, f))
    cases = []
    n = 0
    for fmt, fam in FORMATS.items():
        evs = list(EVASIONS_TEXT) + EVASIONS_FORMAT.get(fam, [])
        if fmt == "soap_escaped_xml":
            evs = ["plain", "fullwidth", "zw", "sep_space", "cdata", "ent_dec", "base64"]
        if fmt in ("json_stringified",):
            evs = ["plain", "fullwidth", "zw", "sep_hyphen", "uescape_all", "base64"]
        if fmt == "form_json_param":
            evs = ["plain", "fullwidth", "zw", "sep_space"]
        for ev in evs:
            for _ in range(a.per_cell):
                cases.append(build(fmt, ev, rng, fake, f"c{n:05d}"))
                n += 1
        # compression on plain bodies
        for comp in COMPRESS:
            for _ in range(2):
                c = build(fmt, "plain", rng, fake, f"c{n:05d}")
                c.comp = comp
                c.ev = "comp_" + comp
                c.body = compress(c.body, comp)
                cases.append(c)
                n += 1
    cases += lookalike_cases(rng, fake)
    cases += keycov_cases(rng, fake)
    # compressed clean bodies
    for comp in COMPRESS:
        for c0 in [x for x in cases if x.clean][:5]:
            c = Case(c0.cid + "_" + comp, "lookalike", c0.ev + "+" + comp, comp)
            c.ct, c.clean, c.planted = c0.ct, True, c0.planted
            c.body = compress(c0.body, comp)
            cases.append(c)
    for c in cases:
        with open(os.path.join(OUT, c.cid + ".body"), "wb") as f:
            f.write(c.body)
        with open(os.path.join(OUT, c.cid + ".meta.json"), "w") as f:
            json.dump({"cid": c.cid, "fmt": c.fmt, "ev": c.ev, "comp": c.comp, "ct": c.ct, "clean": c.clean,
                       "planted": c.planted}, f, ensure_ascii=False)
    print(f"{len(cases)} cases in {OUT}")


if __name__ == "__main__":
    main()
