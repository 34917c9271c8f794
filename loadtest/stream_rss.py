#!/usr/bin/env python3
"""The two ends of `stream_rss.sh`: an upstream that streams a large JSON array, and a client
side counter that checks what came through Sluice.

    python3 loadtest/stream_rss.py serve PORT BYTES     # upstream, GET any path
    python3 loadtest/stream_rss.py count < body         # prints one JSON line

**serve** answers every GET with one JSON array of exactly BYTES bytes (`Content-Length`
set), made of person records from the load test's generator (`gen_payloads_ref.Gen`, live
values: a resident ID with a valid check character, a mobile and a Luhn-valid card in every
record) and closed by one padding record that makes the size exact. The records are built
once into 16 blocks of 256 and the blocks are cycled, so the upstream costs almost no CPU
and the body is generated on the fly, never stored. It also answers `GET /expect` with the
number of records a body of BYTES holds (what `count` must find).

**count** reads the body from stdin in 1 MiB pieces (cut at record boundaries, so no value
is split) and reports the bytes received, whether the body ended with the closing padding
record (it was not cut off), and, for each of `sfzh` (resident ID), `sjhm`
(mobile) and `yhkh` (bank card), how many values arrived, how many still look raw (digits
and `X` only: a leak) and how many were changed (redacted).
"""
import json
import os
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_payloads_ref as ref  # noqa: E402

BLOCKS, PER_BLOCK = 16, 256


def blocks() -> list[bytes]:
    gen = ref.Gen(20261201, masked=False)
    out = []
    for b in range(BLOCKS):
        recs = [ref.dumps(gen.record(b * PER_BLOCK + i)) for i in range(PER_BLOCK)]
        out.append(b",".join(recs))
    return out


def plan(total: int, blks: list[bytes]):
    """How many whole blocks fit, and the padding record that makes the size exact."""
    # "[" + blocks joined by "," + "," + pad + "]"
    n, size = 0, 1
    while True:
        nxt = len(blks[n % BLOCKS]) + 1
        if size + nxt + len(b'{"pad":""}') + 1 > total:
            break
        size += nxt
        n += 1
    pad_len = total - size - 1 - len(b'{"pad":""}')
    pad = b'{"pad":"' + b"p" * pad_len + b'"}'
    return n, pad


def serve(port: int, total: int) -> None:
    blks = blocks()
    n, pad = plan(total, blks)

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_GET(self):
            if self.path == "/expect":
                body = json.dumps({"records": n * PER_BLOCK, "bytes": total}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(total))
            self.end_headers()
            w = self.wfile
            w.write(b"[")
            for i in range(n):
                w.write(blks[i % BLOCKS])
                w.write(b",")
            w.write(pad)
            w.write(b"]")
            w.flush()

    ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()


FIELDS = (b"sfzh", b"sjhm", b"yhkh")
RX = {f: re.compile(b'"' + f + b'":"([^"]*)"') for f in FIELDS}
RAW = re.compile(rb"^[0-9Xx]+$")


def count() -> None:
    stats = {f.decode(): {"values": 0, "raw": 0, "changed": 0} for f in FIELDS}
    received = 0
    carry = b""
    tail = b""
    pad = False
    src = sys.stdin.buffer
    while True:
        chunk = src.read(1 << 20)
        if chunk:
            received += len(chunk)
            tail = (tail + chunk)[-16:]
            pad = pad or b'{"pad":"' in carry[-16:] + chunk
            data = carry + chunk
            cut = data.rfind(b"}")
            if cut < 0:
                carry = data
                continue
            carry, data = data[cut + 1:], data[: cut + 1]
        else:
            data, carry = carry, b""
        for f, rx in RX.items():
            s = stats[f.decode()]
            for v in rx.findall(data):
                s["values"] += 1
                if RAW.match(v):
                    s["raw"] += 1
                else:
                    s["changed"] += 1
        if not chunk:
            break
    # The closing padding record and `]` arrived: the body was not cut off.
    ended = pad and tail.endswith(b'"}]')
    print(json.dumps({"bytes": received, "ended": ended, "fields": stats}))


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(int(sys.argv[2]), int(sys.argv[3]))
    elif sys.argv[1:2] == ["count"]:
        count()
    else:
        sys.exit(__doc__)
