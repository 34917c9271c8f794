#!/usr/bin/env bash
# Observability benchmarks (issue 5), in one run:
#   1. req/s through Sluice while /metrics is scraped every second vs not scraped, wrk on
#      loopback, interleaved A/B rounds, medians of ROUNDS (default 3); target ratio >= 0.98;
#   2. the time to reload all built-in rules (POST /-/reload builds and validates a new engine
#      every time), median of RELOADS (default 50).
#
#   loadtest/metrics_overhead.sh [DURATION_SECONDS]   (default 10)
#
# Sluice is pinned to core 0; nginx (static upstream), wrk and the scraper share core 1.
# The upstream answers a small JSON record carrying a resident ID and a mobile number, so
# every request is inspected, redacted and counted (findings, redactions, histograms).
# Needs nginx, wrk, curl, taskset, python3 and a release build.
set -euo pipefail
DUR="${1:-10}"
ROUNDS="${ROUNDS:-3}"
RELOADS="${RELOADS:-50}"
. "$(dirname "$0")/lib.sh"
need "$NGINX" wrk curl taskset python3
need_sluice
workdir mbench
UP=$(free_port); SL=$(free_port); AD=$(free_port)

mkdir -p "$W/www/api"
chmod 755 "$W" "$W/www" "$W/www/api"  # nginx workers run unprivileged
printf '{"xm":"张三","sfzh":"11010519491231002X","sjhm":"13800138000","dz":"北京市东城区","n":1}\n' > "$W/www/api/person.json"
static_upstream "$UP" 1

cat > "$W/sluice.yaml" <<YAML
listen:
  addr: 127.0.0.1:$SL
upstream:
  url: http://127.0.0.1:$UP
interfaces:
  - name: persons
    path: /api/{*rest}
admin:
  listen: 127.0.0.1:$AD
reload:
  watch: false
logging:
  level: warn
YAML
taskset -c 0 "$SLUICE" run --config "$W/sluice.yaml" 2>"$W/sluice.log" & SLPID=$!; PIDS+=($SLPID)
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$AD/healthz" >/dev/null && break; sleep 0.1; done
ok=""
for _ in $(seq 50); do
    if curl -sf "http://127.0.0.1:$SL/api/person.json" | grep -q '110105\*'; then ok=1; break; fi
    sleep 0.1
done
[ -n "$ok" ] || { echo "sluice did not redact"; curl -s "http://127.0.0.1:$SL/api/person.json"; tail -5 "$W/sluice.log"; exit 1; }

URL="http://127.0.0.1:$SL/api/person.json"
run_wrk() { taskset -c 1 wrk -t1 -c32 -d"${DUR}s" --latency "$URL" | awk '/Requests\/sec/ {print $2}'; }
# warm-up
taskset -c 1 wrk -t1 -c32 -d2s "$URL" >/dev/null

quiet=(); scraped=()
for r in $(seq "$ROUNDS"); do
    q=$(run_wrk); quiet+=("$q")
    ( while true; do curl -sf "http://127.0.0.1:$AD/metrics" -o /dev/null; sleep 1; done ) & SCRAPER=$!
    s=$(run_wrk); scraped+=("$s")
    kill "$SCRAPER" 2>/dev/null || true; wait "$SCRAPER" 2>/dev/null || true
    echo "round $r: not scraped $q req/s, scraped every 1s $s req/s"
done
# CPU one scrape costs the proxy (noise-free, unlike req/s on a shared machine): the proxy's
# user+system ticks over SCRAPES back-to-back scrapes. At one scrape per second the proxy can
# lose at most this fraction of one core to scraping.
cpu() { awk '{print $14 + $15}' "/proc/$SLPID/stat"; }
SCRAPES=500
c0=$(cpu); t0=$(date +%s.%N)
for _ in $(seq "$SCRAPES"); do curl -sf "http://127.0.0.1:$AD/metrics" -o /dev/null; done
c1=$(cpu); t1=$(date +%s.%N)
HZ=$(getconf CLK_TCK)
SCRAPE_CPU_US=$(python3 -c "print(($c1 - $c0) / $HZ / $SCRAPES * 1e6)")
SIZE=$(curl -sf "http://127.0.0.1:$AD/metrics" | wc -c)
SERIES=$(curl -sf "http://127.0.0.1:$AD/metrics" | grep -vc '^#')

durs=()
for _ in $(seq "$RELOADS"); do
    durs+=("$(curl -sf -X POST "http://127.0.0.1:$AD/-/reload" | python3 -c 'import json,sys; print(json.load(sys.stdin)["duration_ms"])')")
done
RULES=$(curl -sf "http://127.0.0.1:$AD/-/rules" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')

python3 - "${quiet[*]}" "${scraped[*]}" "${durs[*]}" "$SIZE" "$SERIES" "$RULES" "$SCRAPE_CPU_US" <<'PY'
import statistics, sys
q = [float(x) for x in sys.argv[1].split()]
s = [float(x) for x in sys.argv[2].split()]
d = [float(x) for x in sys.argv[3].split()]
mq, ms = statistics.median(q), statistics.median(s)
print()
print("| measure | value |")
print("|---|---|")
print(f"| req/s, /metrics not scraped (median of {len(q)}) | {mq:,.0f} |")
print(f"| req/s, /metrics scraped every 1 s (median of {len(s)}) | {ms:,.0f} |")
print(f"| ratio of medians, scraped / not scraped (target >= 0.98) | {ms / mq:.3f} |")
print(f"| median of per-round ratios (rounds run back to back) | {statistics.median([b / a for a, b in zip(q, s)]):.3f} |")
print(f"| scrape size | {sys.argv[4]} bytes, {sys.argv[5]} samples |")
cpu_us = float(sys.argv[7])
print(f"| proxy CPU per scrape (500 back to back) | {cpu_us:.0f} µs |")
print(f"| bound on the ratio at 1 scrape/s (1 - CPU per scrape / 1 s of the proxy's core) | {1 - cpu_us / 1e6:.4f} |")
print(f"| reload of all built-in rules ({sys.argv[6]} rules), median of {len(d)} | {statistics.median(d):.1f} ms (p90 {sorted(d)[int(len(d) * 0.9) - 1]:.1f} ms) |")
PY
