#!/usr/bin/env bash
# CI set-up for the proxy's end-to-end tests: installs nginx (used as a real upstream by
# tests/proxy_e2e/nginx.rs and by loadtest/proxy_bench.sh) and curl. Idempotent; the tests
# start their own nginx instances on free loopback ports, so nothing is started here.
set -euo pipefail
need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v curl >/dev/null 2>&1 || need+=(curl)
if [ "${#need[@]}" -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Debian's nginx package starts a system instance on port 80; the tests do not need it.
if command -v systemctl >/dev/null 2>&1; then systemctl stop nginx >/dev/null 2>&1 || true; fi
pkill_pid=$(cat /run/nginx.pid 2>/dev/null || true)
[ -n "$pkill_pid" ] && kill "$pkill_pid" 2>/dev/null || true
echo "nginx: $(nginx -v 2>&1 || /usr/sbin/nginx -v 2>&1)"
