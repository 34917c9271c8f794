#!/usr/bin/env bash
# Issue 3: Sluice's resident memory while it streams (and redacts) a 1 GiB response.
# Target: RSS <= 50 MB idle, and flat while streaming 1 GiB.
#
#   loadtest/stream_rss.sh [BYTES]      (default 1073741824 = 1 GiB)
#
# On loopback: `stream_rss.py serve` is the upstream, a JSON array of person records with a
# live resident ID, mobile and bank card in every record (about 420 bytes each), generated on
# the fly with an exact Content-Length; the release Sluice runs in front of it with
# `actions.default: redact` and everything else default (all built-in rules), pinned to core 0;
# curl fetches the body through Sluice and pipes it into `stream_rss.py count` (core 1), which
# checks that every record arrived and counts values still raw (leaks) and changed (redacted).
# Meanwhile VmRSS of the Sluice process is read from /proc/<pid>/status every 0.5 s.
#
# Reports: RSS idle (after start, before any request), after a small warm-up request through it, the
# maximum while streaming, the median of the first and last tenth of the stream (flatness),
# the RSS after the stream ended, throughput, and the counts. `timeouts.total` is raised to
# 30 min for the one long exchange (the default 300 s would cut a 1 GiB body off below about
# 3.6 MB/s); nothing else differs from the defaults.
#
# Needs curl, taskset, python3 and the release build (CARGO_TARGET_DIR honoured, SLUICE=path
# overrides). Writes the samples to $OUT (default: a temp dir, removed) when OUT is set.
set -euo pipefail
BYTES="${1:-1073741824}"
. "$(dirname "$0")/lib.sh"
need curl taskset python3
need_sluice
workdir rss
UP=$(free_port); SL=$(free_port)

taskset -c 1 python3 "$ROOT/loadtest/stream_rss.py" serve "$UP" "$BYTES" & PIDS+=($!)
sluice_config "$W/sluice.yaml" "$SL" "$UP" redact
cat >> "$W/sluice.yaml" <<YAML
timeouts:
  total: 1800s
reload:
  watch: false
YAML
taskset -c 0 "$SLUICE" run --config "$W/sluice.yaml" 2>"$W/sluice.log" & SLPID=$!; PIDS+=($SLPID)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$UP/expect" -o "$W/expect.json" && break; sleep 0.1; done
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$SL") 2>/dev/null && break; sleep 0.1; done
sleep 1

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$SLPID/status"; }
IDLE=$(rss)
# One small exchange first, so the figure below includes what the first request allocates
# (engine scratch, connection pool) and the stream's growth is measured from there.
WARM_STATUS=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SL/expect")
sleep 0.5
WARM=$(rss)

: > "$W/rss.txt"
( while kill -0 "$SLPID" 2>/dev/null; do echo "$(date +%s.%N) $(rss)" >> "$W/rss.txt"; sleep 0.5; done ) & SAMPLER=$!; PIDS+=($SAMPLER)
T0=$(date +%s.%N)
HTTP=$(taskset -c 1 curl -s --max-time 2400 -D "$W/headers.txt" -o >(taskset -c 1 python3 "$ROOT/loadtest/stream_rss.py" count > "$W/count.json") \
    -w '%{http_code}' "http://127.0.0.1:$SL/big.json" || true)
T1=$(date +%s.%N)
for _ in $(seq 100); do [ -s "$W/count.json" ] && break; sleep 0.2; done
sleep 1
FINAL=$(rss)
kill "$SAMPLER" 2>/dev/null || true
CPU=$(awk '{print $14 + $15}' "/proc/$SLPID/stat")
[ -n "${OUT:-}" ] && mkdir -p "$OUT" && cp "$W/rss.txt" "$W/count.json" "$W/headers.txt" "$OUT/"

python3 - "$W" "$IDLE" "$WARM" "$FINAL" "$T0" "$T1" "$HTTP" "$BYTES" "$CPU" "$(getconf CLK_TCK)" "$WARM_STATUS" <<'PY'
import json, statistics, sys
w, idle, warm, final, t0, t1, http, total, cpu, hz, warm_status = sys.argv[1:]
idle, warm, final, total = int(idle), int(warm), int(final), int(total)
t0, t1 = float(t0), float(t1)
samples = []
for line in open(f"{w}/rss.txt"):
    t, _, kib = line.partition(" ")
    if kib.strip() and t0 <= float(t) <= t1:
        samples.append((float(t), int(kib)))
count = json.load(open(f"{w}/count.json"))
expect = json.load(open(f"{w}/expect.json"))
mib = lambda k: k / 1024
secs = t1 - t0
tenth = max(1, len(samples) // 10)
first = statistics.median(k for _, k in samples[:tenth]) if samples else 0
last = statistics.median(k for _, k in samples[-tenth:]) if samples else 0
peak = max((k for _, k in samples), default=0)
f = count["fields"]
leaks = sum(v["raw"] for v in f.values())
changed = sum(v["changed"] for v in f.values())
values = sum(v["values"] for v in f.values())
# Redaction changes lengths (names, addresses), so "whole" is: every record's values and the
# closing record arrived.
complete = count["ended"] and all(v["values"] == expect["records"] for v in f.values())
print()
print(f"| measure | value |")
print(f"|---|---|")
print(f"| body | {total:,} bytes, {expect['records']:,} records, 3 live values each |")
print(f"| status, bytes received | {http}, {count['bytes']:,} ({'whole: every record and the closing one' if complete else 'INCOMPLETE'}; redaction changes lengths) |")
print(f"| values received / still raw / changed | {values:,} / {leaks:,} / {changed:,} |")
print(f"| stream time, throughput | {secs:.1f} s, {total / secs / 1e6:.1f} MB/s |")
print(f"| Sluice CPU, whole run | {int(cpu) / int(hz):.1f} s |")
print(f"| RSS idle (after start) | {mib(idle):.1f} MiB |")
print(f"| RSS after a warm-up request (status {warm_status}) | {mib(warm):.1f} MiB |")
print(f"| RSS while streaming: max | {mib(peak):.1f} MiB ({len(samples)} samples every 0.5 s) |")
print(f"| RSS while streaming: median of first / last tenth | {mib(first):.1f} / {mib(last):.1f} MiB |")
print(f"| RSS after the stream | {mib(final):.1f} MiB |")
for q in (0.1, 0.25, 0.5, 0.75, 0.9):
    if samples:
        t, k = samples[min(len(samples) - 1, int(len(samples) * q))]
        print(f"| RSS at {int(q * 100)} % of the stream ({t - t0:.0f} s) | {mib(k):.1f} MiB |")
if not complete or leaks:
    sys.exit("the body did not arrive whole, or values leaked")
PY
