#!/usr/bin/env bash
# Issue 3: added p99 latency at half load, with arrivals paced evenly in time (open loop).
#
#   loadtest/half_load.sh [SECONDS]      (default 10)
#
# The full harness (run.sh) measures half load with h2load --rps, which paces each of its 32
# connections on its own timer: they fire together, so every period starts with a burst of
# 32 requests and the proxy's p50 is the time to drain that burst. This script paces the
# arrivals over the whole period instead: oha -q (a global rate, requests spread evenly,
# --latency-correction so a late request counts from when it should have been sent), with
# the same 32 connections, HTTP/1.1 and pii_16k.json.
#
# Steps: capacity of Sluice (redact, all built-in rules) with wrk -t1 -c32; then, at half of
# it, p50/p99 of: the upstream directly, nginx as a plain reverse proxy, Sluice report and
# Sluice redact. Added latency = p99 - p99 of the upstream at the same rate. Targets pinned
# alone to core 0, load and upstream on core 1 (as in run.sh; the upstream moves to core 0
# when measured directly). Needs nginx, wrk, oha (`cargo install oha`), taskset, python3 and
# the release build (SLUICE=path overrides). Prints one Markdown table.
set -euo pipefail
DUR="${1:-10}"
. "$(dirname "$0")/lib.sh"
need "$NGINX" wrk oha taskset python3
need_sluice
workdir half
chmod 755 "$W"   # nginx workers run as an unprivileged user when started by root
UP=$(free_port); RP=$(free_port); SR=$(free_port); SD=$(free_port)
python3 "$ROOT/../shared/bench/gen_payloads.py" "$W/www" >/dev/null
static_upstream "$UP" 1
nginx_reverse_proxy "$RP" "$UP" 0
for mode in report redact; do
    port=$SR; [ "$mode" = redact ] && port=$SD
    sluice_config "$W/sluice-$mode.yaml" "$port" "$UP" "$mode"
    taskset -c 0 "$SLUICE" run --config "$W/sluice-$mode.yaml" & PIDS+=($!)
done
wait_port "$UP" "$RP" "$SR" "$SD"
sleep 0.5

URL_PATH=pii_16k.json
wrk -t1 -c32 -d1s "http://127.0.0.1:$SD/$URL_PATH" >/dev/null
CAP=$(taskset -c 1 wrk -t1 -c32 -d"${DUR}s" "http://127.0.0.1:$SD/$URL_PATH" | awk '/Requests\/sec/ {print $2}')
RATE=$(python3 -c "print(max(1, int($CAP / 2)))")

# oha's JSON: p50, p99 (ms) and the achieved rate; refuses a run with failed requests.
paced() {
    # oha asks for gzip, br and deflate unless told otherwise, and the upstream then serves
    # the pre-compressed file: Sluice would decompress, scan and compress again at a rate
    # set from wrk's capacity on identity bodies. Identity, as wrk and run.sh's plain rows.
    taskset -c 1 oha -z "${DUR}s" -c 32 -q "$RATE" --latency-correction --no-tui \
        -H "Accept-Encoding: identity" \
        --output-format json "$1" > "$W/oha.json"
    python3 - "$W/oha.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s, lat = d["summary"], d["latencyPercentiles"]
codes = d.get("statusCodeDistribution", {})
bad = sum(n for c, n in codes.items() if not c.startswith("2"))
if s["successRate"] < 1.0 or bad:
    sys.exit(f"failed requests: success rate {s['successRate']}, status codes {codes}")
print(f"{s['requestsPerSec']:.1f} {lat['p50'] * 1e3:.3f} {lat['p99'] * 1e3:.3f}")
PY
}

taskset -pc 0 "$UP_PID" >/dev/null
read -r d_rps d_p50 d_p99 <<<"$(paced "http://127.0.0.1:$UP/$URL_PATH")"
taskset -pc 1 "$UP_PID" >/dev/null
echo "Sluice redact capacity: $CAP req/s (wrk -t1 -c32, ${DUR} s); paced rate: $RATE req/s (oha -q, 32 connections)"
echo
echo "| target | achieved req/s | p50 ms | p99 ms | p99 added ms |"
echo "|---|--:|--:|--:|--:|"
echo "| direct | $d_rps | $d_p50 | $d_p99 | 0.00 |"
for t in nginx:$RP sluice-report:$SR sluice-redact:$SD; do
    read -r rps p50 p99 <<<"$(paced "http://127.0.0.1:${t#*:}/$URL_PATH")"
    echo "| ${t%%:*} | $rps | $p50 | $p99 | $(python3 -c "print(f'{$p99 - $d_p99:.2f}')") |"
done
