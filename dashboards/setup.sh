#!/usr/bin/env bash
# Installs what the observability checks need: promtool (Debian's `prometheus` package) for
# `promtool check rules`, `promtool test rules` and `promtool check metrics`, and wrk for the
# metrics-overhead benchmark. Called by .ci/run; safe to run twice.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO=sudo; fi
need=()
command -v promtool >/dev/null || need+=(prometheus)
command -v wrk >/dev/null || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# The prometheus package starts a server on :9090 under systemd on some images; the admin
# listener's default port is 9090 too, and tests must not race a stray server.
if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
  $SUDO systemctl stop prometheus || true
fi
promtool --version | head -1
