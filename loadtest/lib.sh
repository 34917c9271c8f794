# Shared set-up of the single-target benchmark scripts (policy_ratio.sh, metrics_overhead.sh,
# stream_rss.sh); sourced, not run. Defines ROOT, SLUICE (the release binary, `SLUICE=path`
# overrides, `CARGO_TARGET_DIR` honoured) and NGINX, and:
#   need TOOL…        exit with "missing: TOOL" unless every tool is on PATH or executable
#   need_sluice       exit unless the release binary exists
#   workdir NAME      W=/tmp/sluice-NAME.XXXXXX, removed on exit with every pid in PIDS
#   free_port         a free loopback port
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
SLUICE="${SLUICE:-$TARGET/release/sluice}"
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

need() {
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 || [ -x "$t" ] || { echo "missing: $t"; exit 1; }
    done
}

need_sluice() {
    [ -x "$SLUICE" ] || { echo "build first: cargo build --release -p sluice-proxy --bin sluice ($SLUICE)"; exit 1; }
}

cleanup() {
    for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done
    sleep 0.3
    rm -rf "$W"
}

workdir() {
    W="$(mktemp -d "/tmp/sluice-$1.XXXXXX")"
    PIDS=()
    trap cleanup EXIT
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
