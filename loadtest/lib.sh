# Shared set-up of the single-target benchmark scripts (policy_ratio.sh, metrics_overhead.sh,
# stream_rss.sh, rss_after_load.sh, half_load.sh, proxy_bench.sh); sourced, not run. Defines
# ROOT, SLUICE (the release binary, `SLUICE=path` overrides, `CARGO_TARGET_DIR` honoured) and
# NGINX, and:
#   need TOOL…        exit with "missing: TOOL" unless every tool is on PATH or executable
#   need_sluice       exit unless the release binary exists
#   workdir NAME      W=/tmp/sluice-NAME.XXXXXX, removed on exit with every pid in PIDS
#   free_port         a free loopback port
#   wait_port PORT…   wait until each loopback port accepts connections (fails after 5 s)
#   sluice_config FILE PORT UP ACTION
#                     the plain Sluice config of these scripts: listen on PORT, upstream UP,
#                     actions.default ACTION, log level warn; append sections to FILE after it
#   static_upstream PORT CORE
#                     nginx serving $W/www as static files (tests/nginx/upstream.conf), under
#                     $W/up, pinned to CORE (unpinned when CORE is empty); its pid in UP_PID
#   nginx_reverse_proxy PORT UP CORE
#                     nginx as a plain reverse proxy (one worker, keep-alive to UP) pinned to
#                     CORE, under $W/rp; its master's pid in RP_PID
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

wait_port() {
    local p ok
    for p in "$@"; do
        ok=
        for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && { ok=1; break; }; sleep 0.05; done
        [ -n "$ok" ] || { echo "port $p did not open"; return 1; }
    done
}

sluice_config() {
    cat > "$1" <<YAML
listen:
  addr: 127.0.0.1:$2
upstream:
  url: http://127.0.0.1:$3
actions:
  default: $4
logging:
  level: warn
YAML
}

static_upstream() {
    mkdir -p "$W/up/logs"
    sed -e "s#@PORT@#$1#" -e "s#@ROOT@#$W/www#" -e "s#@PREFIX@#$W/up#" \
        "$ROOT/tests/nginx/upstream.conf" > "$W/up/nginx.conf"
    if [ -n "$2" ]; then
        taskset -c "$2" "$NGINX" -p "$W/up" -c "$W/up/nginx.conf" -g 'daemon off;' & UP_PID=$!
    else
        "$NGINX" -p "$W/up" -c "$W/up/nginx.conf" -g 'daemon off;' & UP_PID=$!
    fi
    PIDS+=("$UP_PID")
}

nginx_reverse_proxy() {
    mkdir -p "$W/rp/logs"
    cat > "$W/rp/nginx.conf" <<NGX
worker_processes 1;
error_log $W/rp/logs/error.log warn;
pid $W/rp/logs/nginx.pid;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $W/rp/tb; proxy_temp_path $W/rp/tp; fastcgi_temp_path $W/rp/tf;
    uwsgi_temp_path $W/rp/tu; scgi_temp_path $W/rp/ts;
    upstream up { server 127.0.0.1:$2; keepalive 64; }
    server {
        listen 127.0.0.1:$1;
        location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; }
    }
}
NGX
    taskset -c "$3" "$NGINX" -p "$W/rp" -c "$W/rp/nginx.conf" -g 'daemon off;' & RP_PID=$!
    PIDS+=("$RP_PID")
}
