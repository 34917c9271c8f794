#!/usr/bin/env bash
# Sluice proxy load test — one command, loopback only, bounded in time.
#
#   loadtest/run.sh            full run: 1 KiB..1 MiB, live/masked, gzip, HTTP/1.1 + HTTP/2 (~15 min)
#   loadtest/run.sh --quick    six payloads over HTTP/1.1, one over HTTP/2, 3 s runs: a 290 s budget
#                              (what would not fit is skipped and listed; --budget SECONDS changes it)
#   loadtest/run.sh --duration 5 ...   seconds per measurement
#
# Targets, in one run, against the same nginx upstream: the upstream direct, nginx as a plain
# reverse proxy (the baseline), nginx + ModSecurity with three response-body DLP regexes, and
# Sluice in report, redact and block modes. Writes loadtest/results/latest.md and .json.
# How and why: loadtest/README.md. Needs two cores, nginx, libnginx-mod-http-modsecurity, wrk,
# nghttp2-client (h2load), curl, python3, taskset; `--install` apt-installs them (root/sudo).
# The release binary is built if missing (CARGO_TARGET_DIR is honoured; SLUICE=path overrides).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ARGS=()
INSTALL=0
for a in "$@"; do
    case "$a" in
        --install) INSTALL=1 ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) ARGS+=("$a") ;;
    esac
done

PKGS=(nginx libnginx-mod-http-modsecurity wrk nghttp2-client curl util-linux python3)
if [ "$INSTALL" = 1 ]; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${PKGS[@]}" >/dev/null
fi
missing=()
for t in wrk h2load curl taskset python3; do command -v "$t" >/dev/null || missing+=("$t"); done
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ "${#missing[@]}" -gt 0 ]; then
    echo "missing: ${missing[*]} — run with --install, or: apt-get install ${PKGS[*]}" >&2
    exit 1
fi
export PATH="$PATH:/usr/sbin"

TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
SLUICE="${SLUICE:-$TARGET/release/sluice}"
if [ ! -x "$SLUICE" ]; then
    echo "building the release binary (cargo build --release -p sluice-proxy) …"
    (cd "$ROOT" && cargo build --release -p sluice-proxy)
fi

# Hard bound: the harness itself bounds every run; this catches anything that hangs.
LIMIT=1500
for a in "${ARGS[@]:-}"; do [ "$a" = --quick ] && LIMIT=420; done
exec timeout --signal=INT --kill-after=20 "$LIMIT" \
    python3 "$ROOT/loadtest/harness.py" --sluice "$SLUICE" "${ARGS[@]}"
