#!/usr/bin/env python3
"""Precision and recall of `sluice scan` on data it was not written against.

Faker (zh_CN locale, pinned version, fixed seed) makes records of names, resident IDs, mobiles,
bank cards, addresses, e-mails, IPv4 addresses, licence plates and passport numbers (Faker's own
shapes, not only the Chinese ones), written plainly and with the usual evasions (full-width
digits, JSON \\u escapes, spaces and hyphens inside numbers, zero-width characters, base64, URL escapes),
the same kind of records as CSV, XML, a form body and labelled Chinese text, and records of
non-sensitive noise (free text, company names, jobs, dates, 18-digit random
numbers, UUIDs, ISBN/EAN codes, hashes, URLs, passport-shaped codes under other keys). The check fails if fewer than 99 % of the
sensitive values are found, or if anything at all is found in the noise.

    python3 tests/faker/check.py path/to/sluice
"""
import base64
import json
import random
import subprocess
import sys
import tempfile
import urllib.parse

from faker import Faker

SENSITIVE = ["xm", "sfzh", "sjhm", "yhkh", "dz", "email", "ip", "cph", "hzhm"]
DIGITS = {"sfzh", "sjhm", "yhkh"}


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def spaced(s, sep):
    return sep.join(s[i:i + 4] for i in range(0, len(s), 4))


def zero_width(s):
    return "\u200b".join(s[i:i + 6] for i in range(0, len(s), 6))


def wrong_check(ssn):
    """The same ID number with another (wrong) check character."""
    return ssn[:17] + ("0" if ssn[17] != "0" else "1")


def grouped(s, rng):
    """Digits in groups, as cards and IDs are written: 4-4-4-4-2 or 6-8-4."""
    cuts = rng.choice([(4, 8, 12, 16), (6, 14)])
    parts, last = [], 0
    for c in cuts:
        parts.append(s[last:c])
        last = c
    return " ".join(parts + [s[last:]])


def evade(key, value, rng):
    """One evasion, chosen per value; `None` means a JSON \\u escape of every character."""
    if key not in DIGITS:
        return value, False
    kind = rng.choice(["plain", "fullwidth", "space", "hyphen", "zw", "uescape", "base64", "url",
                       "each"])
    if kind == "each":
        # Every character its own group, half of them full-width: `１ ３ ８ ０ …`.
        spread = " ".join(value)
        return (fullwidth(spread) if rng.random() < 0.5 else spread), False
    if kind == "url":
        return "".join(f"%{b:02X}" for b in value.encode()), False
    if kind == "base64":
        return base64.b64encode(value.encode()).decode(), False
    if kind == "fullwidth":
        return fullwidth(value), False
    if kind == "space":
        return spaced(value, " "), False
    if kind == "hyphen":
        return spaced(value, "-"), False
    if kind == "zw":
        return zero_width(value), False
    if kind == "uescape":
        return value, True
    return value, False


def dump_record(rec, escaped):
    parts = []
    for k, v in rec.items():
        if k in escaped:
            parts.append(f'"{k}":"' + "".join(f"\\u{ord(c):04x}" for c in v) + '"')
        else:
            parts.append(f"{json.dumps(k)}:{json.dumps(v, ensure_ascii=False)}")
    return "{" + ",".join(parts) + "}"


def record(fake):
    """One person's sensitive fields, keyed as exchange APIs name them."""
    return {"xm": fake.name(), "sfzh": fake.ssn(), "sjhm": fake.phone_number(),
            "yhkh": fake.credit_card_number(), "dz": fake.address(), "email": fake.email(),
            "ip": fake.ipv4(), "cph": fake.license_plate(), "hzhm": fake.passport_number()}


def scan(sluice, body, content_type="application/json"):
    with tempfile.NamedTemporaryFile() as f:
        f.write(body.encode("utf-8"))
        f.flush()
        ct = ["--content-type", content_type] if content_type else []
        out = subprocess.run([sluice, "scan", *ct, f.name],
                             check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def main():
    sluice = sys.argv[1] if len(sys.argv) > 1 else "target/debug/sluice"
    fake = Faker("zh_CN")
    Faker.seed(20261201)
    rng = random.Random(20261201)

    # Sensitive records, with evasions. Each value's key tells what it is.
    records, escaped_keys = [], []
    for _ in range(300):
        rec = record(fake)
        out, esc = {}, set()
        for k, v in rec.items():
            v2, u = evade(k, v, rng)
            out[k] = v2
            if u:
                esc.add(k)
        records.append(out)
        escaped_keys.append(esc)
    body = "[" + ",".join(dump_record(r, e) for r, e in zip(records, escaped_keys)) + "]"
    found = {}
    for f in scan(sluice, body):
        found[f["field"]] = found.get(f["field"], 0) + 1
    failures = []
    total_found = 0
    for k in SENSITIVE:
        n = min(found.get(k, 0), len(records))
        total_found += n
        print(f"{k:6s} {n:4d}/{len(records)} found")
        if n < 0.99 * len(records):
            failures.append(f"{k}: {n}/{len(records)}")
    print(f"recall {total_found}/{len(records) * len(SENSITIVE)}")

    # The same kind of records as CSV (header gives the field), XML (elements), a form body
    # (keys) and Chinese text with labels (`姓名：…，身份证号：…`), written plainly.
    plain = [record(fake) for _ in range(100)]
    rows = [",".join(SENSITIVE)] + [",".join(r[k] for k in SENSITIVE) for r in plain]
    xml = "<rows>" + "".join("<row>" + "".join(f"<{k}>{r[k]}</{k}>" for k in SENSITIVE) + "</row>"
                             for r in plain) + "</rows>"
    form = "&".join(urllib.parse.urlencode(r) for r in plain)
    # Half the table names its columns with strings, half with objects (`{"name":"xm",…}`).
    table = json.dumps([{"columns": SENSITIVE, "rows": [[r[k] for k in SENSITIVE] for r in plain[:50]]},
                        {"fields": [{"name": k, "type": "string"} for k in SENSITIVE],
                         "data": [[r[k] for k in SENSITIVE] for r in plain[50:]]}],
                       ensure_ascii=False)
    # Generic name/value records: the field name is a member's value, or the key of the object
    # that holds the value.
    kv = json.dumps([[{"paramName": k, "paramValue": r[k]} for k in SENSITIVE] for r in plain[:50]]
                    + [{k: {"value": r[k], "type": "string"} for k in SENSITIVE} for r in plain[50:]],
                    ensure_ascii=False)
    labels = {"xm": "姓名", "sfzh": "身份证号", "sjhm": "手机号", "yhkh": "银行卡号", "dz": "住址",
              "email": "邮箱", "ip": "IP地址", "cph": "车牌号", "hzhm": "护照号码"}
    text = "\n".join("，".join(f"{labels[k]}：{r[k]}" for k in SENSITIVE) + "。" for r in plain)
    # Other delimiters: tab (TSV) and semicolon, with and without a Content-Type.
    tsv = "\n".join("\t".join(r) for r in [SENSITIVE] + [[p[k] for k in SENSITIVE] for p in plain])
    semi = "\n".join(";".join(r) for r in [SENSITIVE] + [[p[k] for k in SENSITIVE] for p in plain])
    # `[name, value]` pairs, label cells of an HTML table, and `label value` lines.
    pairs = json.dumps([[[labels[k], r[k]] for k in SENSITIVE] for r in plain], ensure_ascii=False)
    cells = "<table>" + "".join("<tr><td>" + labels[k] + "</td><td>" + r[k] + "</td></tr>"
                                for r in plain for k in SENSITIVE) + "</table>"
    mp = "".join(f"--sluice-b0undary\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{r[k]}\r\n"
                 for r in plain for k in SENSITIVE) + "--sluice-b0undary--\r\n"
    thead = ("<table><thead><tr>" + "".join(f"<th>{labels[k]}</th>" for k in SENSITIVE) + "</tr></thead><tbody>"
             + "".join("<tr>" + "".join(f"<td>{r[k]}</td>" for k in SENSITIVE) + "</tr>" for r in plain)
             + "</tbody></table>")
    lines = "\n\n".join("\n".join(f"{labels[k]}{rng.choice([' ', '  ', chr(9)])}{r[k]}"
                                   for k in SENSITIVE) for r in plain)
    for name, body, ct in [("csv", "\n".join(rows), "text/csv"),
                           ("xml", xml, "application/xml"),
                           ("form", form, "application/x-www-form-urlencoded"),
                           ("table", table, "application/json"),
                           ("name/value", kv, "application/json"),
                           ("text", text, "text/plain"),
                           # A missing or wrong Content-Type: the body's shape is sniffed.
                           ("csv, no type", "\n".join(rows), None),
                           ("form, no type", form, None),
                           ("csv as json", "\n".join(rows), "application/json"),
                           ("tsv", tsv, "text/tab-separated-values"),
                           ("tsv, no type", tsv, None),
                           ("csv with ;", semi, "text/csv"),
                           ("pairs", pairs, "application/json"),
                           ("label cells", cells, "text/html"),
                           ("label lines", lines, "text/plain"),
                           ("html table", thead, "text/html"),
                           ("multipart", mp, "multipart/form-data; boundary=sluice-b0undary"),
                           ("multipart, no type", mp, None)]:
        n = len(scan(sluice, body, ct))
        want = len(plain) * len(SENSITIVE)
        print(f"{name:5s} {n}/{want} found")
        if n < 0.99 * want:
            failures.append(f"{name}: {n}/{want}")

    # Field names as Faker's own providers name them (a corpus made with Faker may use them
    # as keys): each value must be found under its key.
    more = Faker("zh_CN")
    more.seed_instance(20261203)
    vocab = {"name_male": fake.name_male, "name_female": fake.name_female,
             "last_name": fake.last_name, "first_name": fake.first_name,
             "street_address": fake.street_address, "contact": fake.name,
             "customer": fake.name, "applicant": fake.name,
             # Since the night of 2026-12-02: roles and address fields exchange APIs use,
             # from their own generator so that the later parts draw what they drew before.
             "cardholder": more.name, "consignee": more.name, "creator": more.name,
             "联系地址": more.address, "zcdz": more.address}
    vrecs = [{k: g() for k, g in vocab.items()} for _ in range(100)]
    vfound = {}
    for f in scan(sluice, json.dumps(vrecs, ensure_ascii=False)):
        vfound[f["field"]] = vfound.get(f["field"], 0) + 1
    for k in vocab:
        n = vfound.get(k, 0)
        print(f"{k:14s} {n:4d}/{len(vrecs)} found")
        if n < 0.98 * len(vrecs):
            failures.append(f"{k}: {n}/{len(vrecs)}")

    # Other ways records name people: romanized, as passports write them (half in capitals),
    # a Chinese role as the key, and several people in one field.
    people, listed = [], 0
    for i in range(100):
        py = fake.romanized_name()
        names = [fake.name() for _ in range(rng.randint(2, 3))]
        listed += len(names)
        people.append({"xmpy": py.upper() if i % 2 else py, "经办人": fake.name(),
                       "contacts": rng.choice(["、", ",", "，", ";"]).join(names)})
    pfound = {}
    for f in scan(sluice, json.dumps(people, ensure_ascii=False)):
        pfound[f["field"]] = pfound.get(f["field"], 0) + 1
    for k, want in (("xmpy", len(people)), ("经办人", len(people)), ("contacts", listed)):
        n = pfound.get(k, 0)
        print(f"{k:14s} {n:4d}/{want} found")
        if n < 0.98 * want:
            failures.append(f"{k}: {n}/{want}")

    # Prose: labels written without a colon (`经办人孙桂香，`, `现住福建省…`) and `label：value`
    # pairs run together on one line (`姓名：张伟性别：男住址：…身份证号码：…`). Redacted, no
    # raw value may be left in the output.
    prose_values, lines = 0, []
    for r in plain:
        sex = rng.choice("男女")
        lines.append(rng.choice([
            f"经办人{r['xm']}，联系电话{r['sjhm']}，现住{r['dz']}。",
            f"申请人{r['xm']}（身份证号码{r['sfzh']}）家住{r['dz']}，手机{r['sjhm']}。",
            f"联系人为{r['xm']}，地址{r['dz']}，邮箱{r['email']}。",
            f"姓名：{r['xm']}性别：{sex}住址：{r['dz']}身份证号码：{r['sfzh']}",
            f"姓名：{r['xm']} 性别：{sex} 住址：{r['dz']} 手机号：{r['sjhm']}",
        ]))
    prose = "\n".join(lines)
    redacted = subprocess.run([sluice, "scan", "--content-type", "text/plain", "--redact", "-"],
                              input=prose, check=True, capture_output=True, text=True).stdout
    left = [v for r in plain for k, v in r.items()
            if k in ("xm", "sjhm", "dz", "sfzh", "email") and v in prose and v in redacted]
    prose_values = sum(1 for r in plain for k, v in r.items()
                       if k in ("xm", "sjhm", "dz", "sfzh", "email") and v in prose)
    print(f"prose {prose_values - len(left)}/{prose_values} redacted")
    for v in left[:5]:
        print("  left raw:", v)
    if len(left) > 0.01 * prose_values:
        failures.append(f"prose: {len(left)} of {prose_values} values left raw")

    # Noise: nothing may be found. Fields added later draw from their own generator, so the
    # values of the older fields stay the same.
    extra = Faker("zh_CN")
    extra.seed_instance(20261202)
    extra_rng = random.Random(20261202)
    noise = []
    for _ in range(400):
        noise.append({"bz": fake.text(max_nb_chars=80), "gsmc": fake.company(), "zw": fake.job(),
                      "rq": str(fake.date_time()), "ddh": str(fake.random_number(digits=18, fix_len=True)),
                      "sl": fake.random_int(0, 10**9), "url": fake.url(), "uuid": fake.uuid4(),
                      "isbn": fake.isbn13(), "ean": fake.ean13(), "md5": fake.md5(),
                      "ts": fake.unix_time() * 1000 // 1,
                      # A passport-shaped code under a key that does not say passport.
                      "bh": fake.passport_number(),
                      # An ID number with a wrong check character, written in groups.
                      "zjbh": grouped(wrong_check(extra.ssn()), extra_rng),
                      # Login names under the key that may also hold a real name.
                      "username": extra.user_name(), "postcode": extra.postcode()})
    fp = scan(sluice, json.dumps(noise, ensure_ascii=False))
    print(f"noise: {len(fp)} findings in {len(noise)} records")
    for f in fp[:10]:
        print("  false positive:", f["rule"], "in", f.get("field"))
    if fp:
        failures.append(f"{len(fp)} false positives in noise")
    # Free text as a text body: role words and place words without a value after them.
    prose_noise = "\n".join(fake.text(max_nb_chars=120) for _ in range(1000))
    fp = scan(sluice, prose_noise, "text/plain")
    print(f"prose noise: {len(fp)} findings in 1000 paragraphs")
    for f in fp[:10]:
        print("  false positive:", f["rule"])
    if fp:
        failures.append(f"{len(fp)} false positives in prose noise")
    if failures:
        print("FAILED:", "; ".join(failures))
        sys.exit(1)
    print("faker check: ok")


if __name__ == "__main__":
    main()
