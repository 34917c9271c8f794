#!/usr/bin/env python3
"""Run $SLUICE (default target/release/sluice) over $PROBE_DIR/corpus and measure redaction recall / false positives.

    python3 run.py            -> results.json, prints tables, copies failing cases to cases/
"""
import base64
import binascii
import collections
import gzip
import html
import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata
import urllib.parse
import zlib

BIN = os.environ.get("SLUICE", "target/release/sluice")
PROBE_DIR = os.environ.get("PROBE_DIR", "/tmp/sluice-probe-run")
CORPUS = os.path.join(PROBE_DIR, "corpus")
CASES = os.path.join(PROBE_DIR, "cases")
ZW_RE = re.compile("[\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad]")
DIGITY = {"id18", "id15", "bank", "mobile", "landline", "uscc", "passport", "hkmo"}


def decompress(b, how):
    if not how:
        return b
    if how == "gzip":
        return gzip.decompress(b)
    if how == "deflate":
        try:
            return zlib.decompress(b)
        except zlib.error:
            return zlib.decompress(b, -15)
    if how == "br":
        import brotli
        return brotli.decompress(b)
    if how == "zstd":
        return subprocess.run(["zstd", "-d", "-q", "-c"], input=b, capture_output=True, check=True).stdout


def normalize(text, form):
    t = text
    for _ in range(3):
        t2 = html.unescape(t)
        t2 = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), t2)
        t2 = t2.replace('\\"', '"')
        t2 = urllib.parse.unquote_plus(t2) if form else urllib.parse.unquote(t2)
        if t2 == t:
            break
        t = t2
    extra = []
    for tok in re.findall(r"[A-Za-z0-9+/]{8,}={0,2}", t):
        try:
            d = base64.b64decode(tok + "=" * (-len(tok) % 4), validate=True).decode("utf-8")
            if d.isprintable():
                extra.append(d)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            pass
    t = t + "\n" + "\n".join(extra)
    t = unicodedata.normalize("NFKC", t)
    t = ZW_RE.sub("", t)
    return t


def compact(s):
    return re.sub(r"[\s\-()（）.·・,，]", "", s).upper()


def leaked(p, norm, comp):
    k, v = p["kind"], p["value"]
    if k in DIGITY or k == "plate":
        return compact(v) in comp
    if k == "name":
        return compact(ZW_RE.sub("", v)) in comp
    if k == "addr":
        cv = compact(unicodedata.normalize("NFKC", v))
        tail = cv[6:]
        return len(tail) >= 3 and tail in comp
    if k in ("email",):
        return v.lower() in norm.lower()
    if k in ("ipv4", "ipv6"):
        return re.search(r"(?<![0-9a-fA-F.:])" + re.escape(v) + r"(?![0-9a-fA-F.:])", norm) is not None
    raise KeyError(k)


def run(meta, body_path, redact=True):
    args = [BIN, "scan"]
    if meta["ct"]:
        args += ["--content-type", meta["ct"]]
    if meta["comp"]:
        args += ["--content-encoding", meta["comp"]]
    if redact:
        args.append("--redact")
    else:
        args.append("--show-values")
    args.append(body_path)
    r = subprocess.run(args, capture_output=True)
    return r.returncode, r.stdout, r.stderr


def main():
    shutil.rmtree(CASES, ignore_errors=True)
    os.makedirs(CASES)
    metas = sorted(f for f in os.listdir(CORPUS) if f.endswith(".meta.json"))
    cell = collections.defaultdict(lambda: [0, 0])       # (kind, fmt, ev) -> [redacted, total]
    fails = collections.defaultdict(list)
    fps = collections.defaultdict(list)
    errors = []
    for mf in metas:
        meta = json.load(open(os.path.join(CORPUS, mf)))
        bp = os.path.join(CORPUS, meta["cid"] + ".body")
        raw_in = open(bp, "rb").read()
        rc, out, err = run(meta, bp)
        if rc != 0:
            errors.append((meta, err.decode(errors="replace")[:300]))
            continue
        out_plain = decompress(out, meta["comp"])
        in_plain = decompress(raw_in, meta["comp"])
        enc = "gbk" if "GBK" in (meta["ct"] or "") else "utf-8"
        out_text = out_plain.decode(enc, errors="replace")
        norm = normalize(out_text, meta["fmt"].startswith("form"))
        comp = compact(norm)
        for p in meta["planted"]:
            if p["expect"] == "redact":
                key = (p["kind"], meta["fmt"], meta["ev"])
                cell[key][1] += 1
                if leaked(p, norm, comp):
                    fails[key].append((meta, p))
                else:
                    cell[key][0] += 1
            else:
                if p["value"] and p["value"] not in out_text and p["value"] not in norm:
                    fps[p["kind"]].append((meta, p, "value changed"))
        if meta["clean"] and out_plain != in_plain:
            fps["clean:" + meta["ev"]].append((meta, None, "body changed"))
    # save failing cases
    saved = collections.Counter()
    index = []

    def save(tag, meta, note):
        src = os.path.join(CORPUS, meta["cid"] + ".body")
        dst = os.path.join(CASES, f"{tag}__{meta['cid']}")
        shutil.copy(src, dst + ".body")
        rc, out, err = run(meta, src)
        open(dst + ".redacted", "wb").write(decompress(out, meta["comp"]) if rc == 0 else err)
        rc, out2, _ = run(meta, src, redact=False)
        open(dst + ".findings.jsonl", "wb").write(out2)
        cmd = f"{BIN} scan --redact" + (f" --content-type '{meta['ct']}'" if meta["ct"] else "") + \
              (f" --content-encoding {meta['comp']}" if meta["comp"] else "") + f" {dst}.body"
        index.append({"file": dst + ".body", "cmd": cmd, "note": note})

    for key, lst in fails.items():
        for meta, p in lst[:2]:
            tag = "miss_" + "_".join(key)
            if saved[tag] < 2:
                saved[tag] += 1
                save(tag, meta, f"missed {p['kind']} {p['value']!r} rendered {p['rendered']!r} key={p.get('key')}")
    for kind, lst in fps.items():
        for meta, p, why in lst[:2]:
            tag = "fp_" + kind.replace(":", "_").replace("+", "_")
            save(tag, meta, f"{why}: {p['value'] if p else ''}")
    json.dump(index, open(os.path.join(CASES, "INDEX.json"), "w"), ensure_ascii=False, indent=1)
    res = {"cells": {"|".join(k): v for k, v in cell.items()},
           "fails": {"|".join(k): [(m["cid"], p["value"], p["rendered"], p.get("key")) for m, p in v] for k, v in fails.items()},
           "fps": {k: [(m["cid"], p["value"] if p else None, why) for m, p, why in v] for k, v in fps.items()},
           "errors": [(m["cid"], e) for m, e in errors]}
    json.dump(res, open(os.path.join(PROBE_DIR, "results.json"), "w"), ensure_ascii=False, indent=1)
    tot = [sum(v[0] for v in cell.values()), sum(v[1] for v in cell.values())]
    print(f"overall redacted {tot[0]}/{tot[1]} = {tot[0] / tot[1]:.3%}; errors {len(errors)}")
    for axis, name in ((0, "kind"), (1, "format"), (2, "evasion")):
        agg = collections.defaultdict(lambda: [0, 0])
        for k, v in cell.items():
            if k[1].startswith("keycov"):
                continue
            agg[k[axis]][0] += v[0]
            agg[k[axis]][1] += v[1]
        print(f"--- by {name}")
        for k, v in sorted(agg.items(), key=lambda x: x[1][0] / x[1][1]):
            print(f"  {k:20s} {v[0]:5d}/{v[1]:5d} {v[0] / v[1]:.1%}")
    print("--- unrecognized keys (plain value alone; formats json/xml/form/csv)")
    kc = collections.defaultdict(lambda: collections.defaultdict(lambda: [0, 0]))
    for k, v in cell.items():
        if k[1].startswith("keycov"):
            kc[(k[0], k[2][4:])][k[1][7:]] = v
    for (kind, key), d in sorted(kc.items()):
        bad = {f: f"{v[0]}/{v[1]}" for f, v in d.items() if v[0] < v[1]}
        if bad:
            print(f"  {kind:9s} {key:22s} {bad}")
    print("--- false positives")
    for k, v in fps.items():
        print(f"  {k:30s} {len(v)}")
    for m, e in errors[:10]:
        print("ERROR", m["cid"], m["fmt"], m["ev"], e)


if __name__ == "__main__":
    main()
