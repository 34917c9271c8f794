#!/usr/bin/env python3
"""Payloads of the proxy load test.

The 1, 16 and 256 KiB bodies are those of the reference generator (`gen_payloads_ref.py`, a
verbatim copy of the one the issues' reference figures were measured on, so our figures compare
with theirs); this adds 1 MiB bodies built from the same record generator, and a `.gz` beside
every body (nginx `gzip_static` serves it to clients that send `Accept-Encoding: gzip`, so the
upstream spends no CPU compressing). Each body exists as `pii_*` (live values) and `masked_*`
(already masked: a detector has to scan everything and finds nothing).

    python3 loadtest/gen_payloads.py OUTDIR

Standard library only; deterministic (same seed, same bytes).
"""
import gzip
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_payloads_ref as ref  # noqa: E402

EXTRA_SIZES = {"1m": 1 << 20}


def build_large(target: int, masked: bool, seed: int):
    """Like `ref.build`, without its quadratic re-serialisation: add records while the estimate
    stays under the target, then pad the envelope's `ext` field to the exact size."""
    gen = ref.Gen(seed, masked)
    records, size = [], len(ref.dumps(ref.envelope([], ref.Gen(seed + 1, masked), "")))
    while True:
        rec = gen.record(len(records))
        grow = len(ref.dumps(rec)) + 1 + 2  # the comma, and slack for the digits of `total`
        if size + grow > target:
            break
        records.append(rec)
        size += grow - 2
    base = ref.dumps(ref.envelope(records, ref.Gen(seed + 1, masked), ""))
    if len(base) > target:  # the estimate was short: drop records until it fits
        while len(base) > target:
            records.pop()
            base = ref.dumps(ref.envelope(records, ref.Gen(seed + 1, masked), ""))
    body = ref.dumps(ref.envelope(records, ref.Gen(seed + 1, masked), "x" * (target - len(base))))
    assert len(body) == target, (len(body), target)
    return body, len(records)


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else "payloads"
    os.makedirs(outdir, exist_ok=True)
    old = sys.argv
    sys.argv = [old[0], outdir]
    try:
        import contextlib
        import io
        with contextlib.redirect_stdout(io.StringIO()):
            ref.main()  # 1k, 16k, 256k and manifest.json, byte-identical to the reference set
    finally:
        sys.argv = old
    with open(os.path.join(outdir, "manifest.json")) as f:
        manifest = json.load(f)
    for kind, masked in (("pii", False), ("masked", True)):
        for label, size in EXTRA_SIZES.items():
            body, nrec = build_large(size, masked, ref.SEED + size + (7 if masked else 0))
            fn = f"{kind}_{label}.json"
            with open(os.path.join(outdir, fn), "wb") as f:
                f.write(body)
            text = body.decode("utf-8")
            json.loads(text)
            counts = {k: len(re.findall(v, text)) for k, v in ref.REGEXES.items()}
            if masked:
                assert all(c == 0 for c in counts.values()), (fn, counts)
            manifest["files"][fn] = {"bytes": len(body), "records": nrec, "regex_matches": counts}
    for fn, m in manifest["files"].items():
        with open(os.path.join(outdir, fn), "rb") as f:
            gz = gzip.compress(f.read(), compresslevel=6, mtime=0)
        with open(os.path.join(outdir, fn + ".gz"), "wb") as f:
            f.write(gz)
        m["gzip_bytes"] = len(gz)
    with open(os.path.join(outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
    for fn, m in sorted(manifest["files"].items(), key=lambda kv: kv[1]["bytes"]):
        print(f"{fn:18s} {m['bytes']:8d} B  gzip {m['gzip_bytes']:7d} B  {m['records']:5d} records"
              f"  matches={m['regex_matches']}")


if __name__ == "__main__":
    main()
