#!/usr/bin/env bash
# Issue 3: Sluice's resident memory before, during and after a burst of load: the idle target
# (RSS <= 50 MB) must still hold once the burst is over, not only before the first request.
#
#   loadtest/rss_after_load.sh [SECONDS_PER_PAYLOAD]      (default 4)
#
# nginx serves the payloads of loadtest/gen_payloads.py (the shared generator's plus 1 MiB) as
# static files; the release Sluice redacts in front of it (`actions.default: redact`, all
# built-in rules); wrk (1 thread, 32 connections) sends pii_16k, pii_256k, masked_256k and
# pii_1m one after the other. VmRSS of Sluice is read idle, right after the burst, and every
# second for 15 s after it (the heap trimmer runs after 5 quiet seconds, see
# proxy/src/memory.rs). Prints one Markdown table. Needs nginx, wrk, python3 and the release build (SLUICE=path overrides).
set -euo pipefail
DUR="${1:-4}"
. "$(dirname "$0")/lib.sh"
need "$NGINX" wrk python3
need_sluice
workdir rssload
chmod 755 "$W"   # nginx workers run as an unprivileged user when started by root
UP=$(free_port); SL=$(free_port)
python3 "$ROOT/loadtest/gen_payloads.py" "$W/www" >/dev/null
static_upstream "$UP" ""
sluice_config "$W/sluice.yaml" "$SL" "$UP" redact
"$SLUICE" run --config "$W/sluice.yaml" & SP=$!; PIDS+=($SP)
wait_port "$SL" "$UP"
sleep 0.5
rss() { awk '/VmRSS/ {printf "%.1f", $2/1024}' /proc/"$SP"/status; }
IDLE=$(rss)
for f in pii_16k pii_256k masked_256k pii_1m; do
    out=$(wrk -t1 -c32 -d"${DUR}s" "http://127.0.0.1:$SL/$f.json")
    if echo "$out" | grep -q 'Non-2xx'; then echo "non-2xx answers on $f:"; echo "$out"; exit 1; fi
done
LOADED=$(rss)
AFTER=()
for s in $(seq 15); do sleep 1; AFTER+=("$(rss)"); done
echo "| idle MiB | right after the burst MiB | after 1 s | after 5 s | after 6 s | after 10 s | after 15 s |"
echo "|--:|--:|--:|--:|--:|--:|--:|"
echo "| $IDLE | $LOADED | ${AFTER[0]} | ${AFTER[4]} | ${AFTER[5]} | ${AFTER[9]} | ${AFTER[14]} |"
