#!/usr/bin/env bash
# Issue 4: what the policy layer costs. req/s and CPU per request of Sluice in redact mode with
# identity, sharing, per-consumer actions, rate limits and the audit trail switched ON, against
# the same redact configuration with those sections absent (OFF). Target: req/s ON / OFF >= 0.95.
#
#   loadtest/policy_ratio.sh [DURATION_SECONDS]     (default 10 s per run)
#   PAIRS=4 loadtest/policy_ratio.sh                (ON/OFF pairs per payload, default 4)
#   PAYLOADS="pii_16k masked_16k" loadtest/policy_ratio.sh
#   MODE=instr REQS=300 loadtest/policy_ratio.sh   instructions per request under callgrind
#                                                   (valgrind; immune to the machine's load;
#                                                   CG_KEEP=DIR keeps each profile)
#   AUDIT=0 ...                                     ON without the audit trail (its share)
#
# Both Sluice instances (ON and OFF) run for the whole script, pinned to core 0; only one is
# loaded at a time. nginx (static upstream) and wrk share core 1. wrk -t1 -c32, as the main
# harness (loadtest/run.sh), with the same 16 KiB JSON payloads (gen_payloads.py): `pii_16k`
# carries live values (every response is redacted, so every response is also one audit
# record), `masked_16k` is the same shape already masked. Both targets get the same request,
# API key header included.
#
# Why both measures and why interleaved: the machine is shared, so req/s moves with other
# people's load. CPU per request (the target's utime+stime from /proc/<pid>/stat over the run,
# divided by the requests wrk completed) is far less sensitive to that. The runs alternate
# ON/OFF in counterbalanced pairs (ON OFF, OFF ON, ON OFF, ...) so a drift in background load
# falls on both sides; the report gives the medians of each side, the ratio of the medians and
# the median of the per-pair ratios.
#
# Budgets are set so high that no limit ever fires: every response must be a 200, and the
# script fails if wrk saw a non-2xx answer or a socket error. Before measuring it checks that
# the policy is live: a request without a key is refused (conditional sharing), a request with
# the key is redacted, and afterwards that the audit file holds records and the limiter
# decided on every request (`sluice_rate_limit_decisions_total`).
#
# Needs nginx, wrk, curl, taskset, python3 and the release build
# (`cargo build --release -p sluice-proxy --bin sluice`; CARGO_TARGET_DIR honoured, SLUICE=path
# overrides). Loopback only.
set -euo pipefail
DUR="${1:-10}"
PAIRS="${PAIRS:-4}"
PAYLOADS="${PAYLOADS:-pii_16k masked_16k}"
MODE="${MODE:-load}"
. "$(dirname "$0")/lib.sh"
need "$NGINX" wrk curl taskset python3
need_sluice
workdir policy
UP=$(free_port); ON=$(free_port); OFF=$(free_port); ON_AD=$(free_port); OFF_AD=$(free_port)

mkdir -p "$W/www/api"
chmod 755 "$W" "$W/www" "$W/www/api" # nginx workers run unprivileged
python3 "$ROOT/loadtest/gen_payloads.py" "$W/gen" >/dev/null
for p in pii_16k $PAYLOADS; do cp "$W/gen/$p.json" "$W/www/api/"; done
chmod 644 "$W"/www/api/*
static_upstream "$UP" 1

# The consumer the load runs as, and two more known consumers (the tables hold three keys).
KEY="bench-key-$(date +%s)"
sha() { printf %s "$1" | sha256sum | cut -d' ' -f1; }

# What ON and OFF share: redact everything found, one interface over the payloads.
common() { # $1 port, $2 admin port
    cat <<YAML
listen:
  addr: 127.0.0.1:$1
upstream:
  url: http://127.0.0.1:$UP
actions:
  default: redact
admin:
  listen: 127.0.0.1:$2
reload:
  watch: false
logging:
  level: warn
YAML
}
common "$OFF" "$OFF_AD" > "$W/off.yaml"
cat >> "$W/off.yaml" <<YAML
interfaces:
  - name: persons
    path: /api/{*rest}
YAML
common "$ON" "$ON_AD" > "$W/on.yaml"
cat >> "$W/on.yaml" <<YAML
interfaces:
  - name: persons
    path: /api/{*rest}
    sharing: conditional
    consumers: [bench, tax-bureau]
    consumer_actions:
      bench:
        resident_id: redact
        mobile: redact
        bank_card: redact
      tax-bureau:
        resident_id: allow
identity:
  on_missing: anonymous
  on_invalid: reject
  on_unknown: reject
  consumers: [bench, tax-bureau, civil-affairs]
  api_key:
    header: x-api-key
    keys:
      - {consumer: bench, sha256: $(sha "$KEY")}
      - {consumer: tax-bureau, sha256: $(sha "$KEY-tax")}
      - {consumer: civil-affairs, sha256: $(sha "$KEY-civil")}
rate_limits:
  interfaces:
    persons:
      per_consumer:
        requests: {rate: 1000000/s, burst: 1000000}
        bytes: {max: 1000000000000000, window: 1h}
        findings: {max: 1000000000000000, window: 1h, action: alert}
        distinct_values: {max: 1000000000000000, window: 24h, action: block}
      total:
        requests: {rate: 1000000/s, burst: 1000000}
YAML
# AUDIT=0 leaves the audit trail out of ON (to split its cost from the rest of the policy).
[ "${AUDIT:-1}" = 1 ] && cat >> "$W/on.yaml" <<YAML
audit:
  sink:
    kind: file
    path: $W/audit/audit.jsonl
    max_bytes: 100MiB
    keep: 3
  on_failure: drop
YAML
mkdir -p "$W/audit"

"$SLUICE" config check "$W/on.yaml" >/dev/null
"$SLUICE" config check "$W/off.yaml" >/dev/null
RUN=(taskset -c 0)
# Under callgrind every instruction is counted (no CPU share, no noise), at ~50x the time.
[ "$MODE" = instr ] && RUN+=(valgrind -q --tool=callgrind --callgrind-out-file="$W/cg.%p")
"${RUN[@]}" "$SLUICE" run --config "$W/on.yaml" 2>"$W/on.log" & ON_PID=$!; PIDS+=($ON_PID)
"${RUN[@]}" "$SLUICE" run --config "$W/off.yaml" 2>"$W/off.log" & OFF_PID=$!; PIDS+=($OFF_PID)
for ad in "$ON_AD" "$OFF_AD"; do
    for _ in $(seq 1200); do curl -sf "http://127.0.0.1:$ad/healthz" >/dev/null && break; sleep 0.1; done
done
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$UP/api/pii_16k.json" -o /dev/null && break; sleep 0.1; done

FIRST="${PAYLOADS%% *}"
# The policy is live: no key → refused by conditional sharing; the key → 200, redacted.
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ON/api/$FIRST.json")
[ "$code" = 403 ] || { echo "ON without a key answered $code, expected 403"; tail -5 "$W/on.log"; exit 1; }
for port in "$ON" "$OFF"; do
    ok=""
    for _ in $(seq 50); do
        if curl -sf -H "x-api-key: $KEY" "http://127.0.0.1:$port/api/pii_16k.json" -o "$W/probe.json" 2>/dev/null \
            && ! cmp -s "$W/probe.json" "$W/gen/pii_16k.json"; then ok=1; break; fi
        sleep 0.1
    done
    [ -n "$ok" ] || { echo "sluice on port $port did not answer a redacted body"; exit 1; }
done

HZ=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# Context switches of all the target's threads: a hand-off between threads on the target's
# one core shows here whatever the machine's load.
switches() { cat /proc/"$1"/task/*/status | awk '/^(non)?voluntary_ctxt_switches/ {s += $2} END {print s}'; }
# One measured run: "req/s requests cpu_ticks non2xx errors switches".
run() { # $1 port, $2 pid, $3 payload, $4 seconds
    local c0 c1 s0 s1 out
    c0=$(cpu "$2"); s0=$(switches "$2")
    out=$(taskset -c 1 wrk -t1 -c32 -d"$4s" -H "x-api-key: $KEY" "http://127.0.0.1:$1/api/$3.json")
    c1=$(cpu "$2"); s1=$(switches "$2")
    python3 - "$out" "$((c1 - c0))" "$((s1 - s0))" <<'PY'
import re, sys
out, ticks, switches = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
reqs = int(re.search(r"(\d+) requests in", out).group(1))
n = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
e = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
errs = sum(int(x) for x in e.groups()) if e else 0
print(rps, reqs, ticks, int(n.group(1)) if n else 0, errs, switches)
PY
}

if [ "$MODE" = instr ]; then
    # Instructions (user space, all threads) per request: zero the counters, send REQS
    # requests one after another on one keep-alive connection (curl URL globbing), dump.
    instr() { # $1 port, $2 pid, $3 payload, $4 requests
        callgrind_control -z "$2" >/dev/null 2>&1
        curl -sf -H "x-api-key: $KEY" "http://127.0.0.1:$1/api/$3.json?n=[1-$4]" -o /dev/null
        sleep 0.5 # the last exchange's end (audit record) runs after the body is sent
        rm -f "$W"/cg."$2".*
        callgrind_control -d "$2" >/dev/null 2>&1
        for _ in $(seq 100); do ls "$W"/cg."$2".* >/dev/null 2>&1 && break; sleep 0.1; done
        sleep 0.5
        local f; f=$(ls -t "$W"/cg."$2".* | head -1)
        # CG_KEEP=DIR keeps each measured profile (for callgrind_annotate) as DIR/<pid>-<payload>.
        [ -n "${CG_KEEP:-}" ] && mkdir -p "$CG_KEEP" && cp "$f" "$CG_KEEP/$2-$3"
        awk '/^(summary|totals):/ {print $2; exit}' "$f"
    }
    REQS="${REQS:-300}"
    echo "| payload | requests | OFF instructions/req | ON instructions/req | ON/OFF |"
    echo "|---|--:|--:|--:|--:|"
    for p in $PAYLOADS; do
        instr "$ON" "$ON_PID" "$p" 20 >/dev/null # warm-up
        instr "$OFF" "$OFF_PID" "$p" 20 >/dev/null
        on=$(instr "$ON" "$ON_PID" "$p" "$REQS")
        off=$(instr "$OFF" "$OFF_PID" "$p" "$REQS")
        python3 -c "print(f'| $p | $REQS | {$off / $REQS:,.0f} | {$on / $REQS:,.0f} | {$on / $off:.3f} |')"
    done
    echo
    echo "Audit records written by ON: $(cat "$W"/audit/*.jsonl 2>/dev/null | wc -l)."
    exit 0
fi

RESULTS="$W/results.txt"
: > "$RESULTS"
START=$(date -u +%FT%TZ)
for p in $PAYLOADS; do
    # Warm-up of both (page cache, allocator, connection pools), not measured.
    run "$ON" "$ON_PID" "$p" 2 >/dev/null
    run "$OFF" "$OFF_PID" "$p" 2 >/dev/null
    for i in $(seq "$PAIRS"); do
        if [ $((i % 2)) = 1 ]; then order="on off"; else order="off on"; fi
        for side in $order; do
            if [ "$side" = on ]; then r=$(run "$ON" "$ON_PID" "$p" "$DUR"); else r=$(run "$OFF" "$OFF_PID" "$p" "$DUR"); fi
            echo "$p $i $side $r" | tee -a "$RESULTS"
        done
    done
done
END=$(date -u +%FT%TZ)

AUDIT_LINES=$(cat "$W"/audit/*.jsonl 2>/dev/null | wc -l)
LIMITER=$(curl -sf "http://127.0.0.1:$ON_AD/metrics" | awk '/^sluice_rate_limit_decisions_total/ {s += $NF} END {print s + 0}')
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$RESULTS" "$HZ" "$START" "$END" "$AUDIT_LINES" "$LIMITER" "$LOAD" "$DUR" <<'PY'
import statistics, sys
from collections import defaultdict
path, hz, start, end, audit, limiter, load, dur = sys.argv[1:]
hz = int(hz)
runs = defaultdict(lambda: defaultdict(dict))  # payload -> pair -> side -> (rps, cpu_us)
bad = 0
for line in open(path):
    p, i, side, rps, reqs, ticks, non2xx, errs, switches = line.split()
    reqs, ticks = int(reqs), int(ticks)
    bad += int(non2xx) + int(errs)
    # (req/s, CPU µs per request, share of its core the target got: < 1 when other
    # processes on the machine ran on core 0 too)
    runs[p][int(i)][side] = (float(rps), ticks / hz / max(reqs, 1) * 1e6, ticks / hz / float(dur),
                             int(switches) / max(reqs, 1))
print()
print(f"Run {start} – {end}, {dur} s per run, load average at the end {load}.")
print(f"Audit records written by ON: {audit}; limiter decisions by ON: {limiter}; "
      f"non-2xx answers and socket errors over all runs: {bad}.")
print()
print("| payload | pairs | OFF req/s (median) | ON req/s (median) | req/s ON/OFF (ratio of medians) "
      "| median of per-pair req/s ratios | OFF CPU µs/req (median) | ON CPU µs/req (median) "
      "| CPU ON/OFF (ratio of medians) | median of per-pair CPU ratios | core share OFF / ON (medians) "
      "| context switches per request OFF / ON |")
print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
for p, pairs in runs.items():
    on_r = [v["on"][0] for v in pairs.values()]
    off_r = [v["off"][0] for v in pairs.values()]
    on_c = [v["on"][1] for v in pairs.values()]
    off_c = [v["off"][1] for v in pairs.values()]
    rr = statistics.median(v["on"][0] / v["off"][0] for v in pairs.values())
    cr = statistics.median(v["on"][1] / v["off"][1] for v in pairs.values())
    m = statistics.median
    print(f"| {p} | {len(pairs)} | {m(off_r):,.0f} | {m(on_r):,.0f} | {m(on_r) / m(off_r):.3f} | {rr:.3f} "
          f"| {m(off_c):,.0f} | {m(on_c):,.0f} | {m(on_c) / m(off_c):.3f} | {cr:.3f} "
          f"| {m(v['off'][2] for v in pairs.values()):.2f} / {m(v['on'][2] for v in pairs.values()):.2f} "
          f"| {m(v['off'][3] for v in pairs.values()):.2f} / {m(v['on'][3] for v in pairs.values()):.2f} |")
print()
print("Every run (req/s, CPU µs per request):")
for p, pairs in runs.items():
    for i, v in sorted(pairs.items()):
        print(f"  {p} pair {i}: OFF {v['off'][0]:,.0f} req/s {v['off'][1]:,.0f} µs {v['off'][2]:.2f} core; "
              f"ON {v['on'][0]:,.0f} req/s {v['on'][1]:,.0f} µs {v['on'][2]:.2f} core")
if bad:
    sys.exit("some answers were not 2xx (a limit fired or the proxy failed): the figures are void")
PY
