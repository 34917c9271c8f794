#!/usr/bin/env python3
"""Sluice proxy load test: every target, every protocol, one run, one table.

Run it through `loadtest/run.sh [--quick]` (which checks the tools and the release build).

What it does, in order:

1. generates the payloads (`gen_payloads.py`: 1 KiB .. 1 MiB JSON, with live values and
   already masked, each also pre-gzipped);
2. starts, on loopback only, a real nginx upstream serving them as static files (one worker,
   `gzip_static` for clients that accept gzip), and the targets in front of it:
   - `direct`       the upstream itself (no proxy);
   - `nginx`        nginx as a plain reverse proxy (keep-alive upstream pool): the baseline
                    every ratio is computed against;
   - `modsecurity`  nginx + ModSecurity v3 with three DLP regexes (resident ID, mobile, bank
                    card: the reference regexes of `gen_payloads_ref.py`) on response bodies,
                    `SecResponseBodyAccess On`, action `deny`;
   - `sluice-report`, `sluice-redact`, `sluice-block`: the release build with
                    `actions.default` set to report, redact and block;
3. drives each with wrk (HTTP/1.1; 1 thread, 32 connections, like the issues' reference
   figures) and h2load (HTTP/2 prior knowledge, 1 thread, 8 connections x 4 streams), the target
   pinned alone to core 0 and the load generator (and the upstream) to core 1 (`taskset`); for
   `direct` the upstream is moved to core 0 for the duration of its run;
4. measures req/s, p50/p99 latency, CPU per request (utime+stime deltas from /proc/<pid>/stat
   of the target's processes divided by the requests completed), and ratios against `nginx`;
5. checks what a client actually receives from each target on the live-value bodies (status,
   bytes, raw values still present): this is where ModSecurity's handling of a response-body
   deny shows;
6. measures p99 at half load (h2load --h1 --rps at half of sluice-redact's measured capacity):
   the issue-3 target "p99 added latency <= 1 ms at half load";
7. writes `results/latest.md` (Markdown) and `results/latest.json` (raw figures).

Standard library only. Bounded in time: every run has a fixed duration and every child
process a timeout; `--quick` (a handful of payloads, 3 s runs) finishes in under 5 minutes.
"""
from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, asdict

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import gen_payloads_ref as ref  # noqa: E402

HZ = os.sysconf("SC_CLK_TCK")
PROXY_CORE, LOAD_CORE = "0", "1"
RX = {k: re.compile(v) for k, v in ref.REGEXES.items()}


def id_valid(s: str) -> bool:
    s = s.upper()
    return s[17] == ref.id_check_digit(s[:17])


# A "leaked value" is a reference-regex match that also passes the identifier's own check (GB 11643
# check character, Luhn): the generated bodies carry look-alikes (snowflake ids, trace ids) that
# match the bare regexes, and a DLP engine is right to leave those alone.
VALID = {"cn_id": id_valid, "cn_mobile": lambda s: True, "bank_card": ref.luhn_ok}

# Load shape (the issues' reference figures: wrk -t1 -c32).
WRK_CONN = 32
H2_CLIENTS, H2_STREAMS = 8, 4


@dataclass
class Variant:
    """One request shape: a payload file, possibly asked for gzip."""
    file: str
    gzip: bool = False

    @property
    def name(self) -> str:
        return self.file.removesuffix(".json") + (" gz" if self.gzip else "")


@dataclass
class Result:
    proto: str
    variant: str
    target: str
    rps: float = 0.0
    p50_ms: float | None = None
    p99_ms: float | None = None
    cpu_us: float | None = None
    requests: int = 0
    non2xx: int = 0
    errors: int = 0
    mbps: float = 0.0
    rps_ratio: float | None = None
    cpu_ratio: float | None = None


@dataclass
class Target:
    name: str
    port: int
    pids: callable  # () -> list of pids whose CPU counts
    h2_port: int | None = None
    note: str = ""


_HELD: list[socket.socket] = []


def free_port() -> int:
    """A free loopback port, distinct from every other one handed out in this run (the socket
    stays bound until `release_ports`, so the kernel cannot hand the same number out twice)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    _HELD.append(s)
    return s.getsockname()[1]


def release_ports() -> None:
    while _HELD:
        _HELD.pop().close()


def wait_port(port: int, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"port {port} did not open within {timeout}s")


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def ticks(pids: list[int]) -> int:
    t = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            t += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
        except OSError:
            pass
    return t


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Procs:
    """Children started by the harness, stopped by pid on exit."""

    def __init__(self):
        self.procs: list[subprocess.Popen] = []

    def start(self, argv, core: str, log: str, **kw) -> subprocess.Popen:
        f = open(log, "wb")
        p = subprocess.Popen(["taskset", "-c", core, *argv], stdout=f, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, **kw)
        self.procs.append(p)
        return p

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        end = time.monotonic() + 5
        for p in self.procs:
            try:
                p.wait(timeout=max(0.1, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()


# ---------------------------------------------------------------------------------------------
# Configurations of the peers

NGINX_COMMON = """
worker_processes 1;
error_log {prefix}/error.log warn;
pid {prefix}/nginx.pid;
{modules}
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/tb; proxy_temp_path {prefix}/tp; fastcgi_temp_path {prefix}/tf;
    uwsgi_temp_path {prefix}/tu; scgi_temp_path {prefix}/ts;
    types {{ application/json json; }}
    default_type application/octet-stream;
    keepalive_requests 1000000;
{body}
}}
"""

UPSTREAM = """
    sendfile on;
    gzip_static on;
    server {{ listen 127.0.0.1:{port}; root {root}; }}
    server {{ listen 127.0.0.1:{h2port} http2; root {root}; }}
"""

REVERSE = """
    upstream up {{ server 127.0.0.1:{up}; keepalive 64; }}
    {extra}
    server {{
        listen 127.0.0.1:{port};
        listen 127.0.0.1:{h2port} http2;
        location / {{ proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; }}
    }}
"""

# Equivalent response-body DLP rules: the three reference regexes, response bodies only.
# Body limit raised to cover the 1 MiB payloads (default 512 KiB); `nolog` gives ModSecurity its
# best case (no per-match log line); `deny` is the equivalent of Sluice's block.
MODSEC_RULES = r"""SecRuleEngine On
SecRequestBodyAccess Off
SecResponseBodyAccess On
SecResponseBodyMimeType application/json text/plain
SecResponseBodyLimit 2097152
SecResponseBodyLimitAction ProcessPartial
SecAuditEngine Off
SecPcreMatchLimit 1000000
SecPcreMatchLimitRecursion 1000000
SecRule RESPONSE_BODY "@rx {id}" "id:100001,phase:4,deny,status:403,nolog,msg:'resident id'"
SecRule RESPONSE_BODY "@rx {mobile}" "id:100002,phase:4,deny,status:403,nolog,msg:'mobile'"
SecRule RESPONSE_BODY "@rx {card}" "id:100003,phase:4,deny,status:403,nolog,msg:'bank card'"
"""

SLUICE = """listen:
  addr: 127.0.0.1:{port}
  http2: true
upstream:
  url: http://127.0.0.1:{up}
actions:
  default: {action}
logging:
  level: error
"""

# Sluice with inspection switched off: the proxy's own cost (HTTP in, HTTP out), without the engine.
SLUICE_PASS = """listen:
  addr: 127.0.0.1:{port}
  http2: true
upstream:
  url: http://127.0.0.1:{up}
default_interface:
  inspect_requests: false
  inspect_responses: false
logging:
  level: error
"""


def nginx_conf(prefix: str, body: str, modules: str = "") -> str:
    os.makedirs(prefix, exist_ok=True)
    path = os.path.join(prefix, "nginx.conf")
    with open(path, "w") as f:
        f.write(NGINX_COMMON.format(prefix=prefix, modules=modules, body=body))
    return path


# ---------------------------------------------------------------------------------------------
# Load generators

WRK_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p99_us":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(99), e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def run_wrk(url: str, dur: float, gz: bool, lua: str) -> dict:
    hdr = ["-H", "Accept-Encoding: gzip"] if gz else []
    out = subprocess.run(["taskset", "-c", LOAD_CORE, "wrk", "-t1", f"-c{WRK_CONN}", f"-d{max(1, round(dur))}s",
                          "--timeout", "30s", "-s", lua, *hdr, url],
                         capture_output=True, text=True, timeout=dur + 30).stdout
    m = re.search(r"RESULT (\{.*\})", out)
    if not m:
        raise RuntimeError(f"wrk gave no result for {url}:\n{out}")
    r = json.loads(m.group(1))
    secs = r["duration_us"] / 1e6
    errs = r["connect"] + r["read"] + r["write"] + r["timeout"]
    ok = r["requests"] > 0
    return {"requests": r["requests"], "rps": r["requests"] / secs,
            "p50_ms": r["p50_us"] / 1e3 if ok else None, "p99_ms": r["p99_us"] / 1e3 if ok else None, "non2xx": r["status"], "errors": errs,
            "mbps": r["bytes"] / secs / 1e6}


def run_h2load(url: str, n: int, gz: bool, work: str, h1: bool = False, rps: float | None = None,
               clients: int = H2_CLIENTS, streams: int = H2_STREAMS, limit: float = 60) -> dict:
    """h2load with a request count (`-n`): its `--duration` mode reports zero requests in the
    Debian 12 build (1.52), so the caller sizes `n` from a rate it already measured."""
    log = os.path.join(work, "h2load.log")
    n = max(int(n), clients * streams * 4)
    argv = ["taskset", "-c", LOAD_CORE, "h2load", "-t1", f"-c{clients}", f"-m{streams}",
            f"-n{n}", f"--log-file={log}"]
    if gz:
        argv += ["-H", "accept-encoding: gzip"]
    if h1:
        argv += ["--h1"]
    if rps:
        argv += [f"--rps={rps:.2f}"]
    try:
        out = subprocess.run([*argv, url], capture_output=True, text=True, timeout=limit).stdout
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"h2load did not finish {n} requests in {limit:.0f} s on {url}")
    m = re.search(r"finished in ([\d.]+)(m?s), ([\d.]+) req/s, ([\d.]+)([KMG]?)B/s", out)
    req = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                    r"(\d+) failed, (\d+) errored, (\d+) timeout", out)
    st = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out)
    if not (m and req and st):
        raise RuntimeError(f"h2load gave no result for {url}:\n{out}")
    lat = []
    with open(log) as f:
        for line in f:
            parts = line.split("\t")
            if len(parts) >= 3:
                lat.append(int(parts[2]))
    os.unlink(log)
    lat.sort()
    pct = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] / 1e3) if lat else (lambda q: None)
    unit = {"": 1, "K": 1e3, "M": 1e6, "G": 1e9}[m.group(5)]
    done = int(req.group(3))
    return {"requests": done, "rps": float(m.group(3)), "p50_ms": pct(0.50), "p99_ms": pct(0.99),
            "non2xx": int(st.group(3)) + int(st.group(4)) + int(st.group(2)),
            "errors": int(req.group(6)) + int(req.group(7)),
            "mbps": float(m.group(4)) * unit / 1e6}


# ---------------------------------------------------------------------------------------------

def fetch(url: str, gz: bool, work: str) -> dict:
    """What one client receives: status, bytes, curl's exit code, raw values still present."""
    out = os.path.join(work, "fetch.body")
    if os.path.exists(out):
        os.unlink(out)  # curl writes nothing on an empty reply: never count the previous body
    argv = ["curl", "-s", "-o", out, "-w", "%{http_code} %{size_download}", "--max-time", "10", url]
    if gz:
        argv.insert(1, "--compressed")
    p = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    code, size = (p.stdout.split() + ["0", "0"])[:2]
    body = open(out, "rb").read() if os.path.exists(out) else b""
    text = body.decode("utf-8", "replace")
    # A problem body (a block) carries the proxy's own request id, 32 random hex digits, which
    # now and then hold a run of 11 decimal digits that looks like a mobile: not a value from
    # the upstream, so it is left out of the count.
    try:
        problem = json.loads(text) if int(code) >= 400 else None
    except ValueError:
        problem = None
    if isinstance(problem, dict) and isinstance(problem.get("request_id"), str):
        text = text.replace(problem["request_id"], "")
    leaked = {k: sum(1 for m in rx.findall(text) if VALID[k](m)) for k, rx in RX.items()}
    return {"status": int(code), "bytes": int(size), "curl_exit": p.returncode,
            "leaked": leaked, "leaked_total": sum(leaked.values())}


def machine() -> dict:
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass

    def ver(argv):
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=10)
            return (p.stdout + p.stderr).strip().splitlines()[0]
        except Exception:  # noqa: BLE001 - a missing version string is not fatal
            return "?"

    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
            "nginx": ver(["nginx", "-v"]), "wrk": ver(["wrk", "-v"]),
            "h2load": ver(["h2load", "--version"])}


def fmt(v, nd=1):
    if v is None:
        return "–"
    if isinstance(v, float):
        if v >= 1000:
            return f"{v:,.0f}"
        return f"{v:.{nd}f}"
    return str(v)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a few payloads, 3 s runs (< 5 min)")
    ap.add_argument("--duration", type=float, help="seconds per measurement (default 3 quick, 8 full)")
    ap.add_argument("--sluice", required=True, help="path to the release sluice binary")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    ap.add_argument("--budget", type=float,
                    help="wall-clock seconds for the whole run (default 290 quick, 1380 full); "
                         "measurements that would not fit are skipped and listed")
    args = ap.parse_args()

    if (os.cpu_count() or 1) < 2:
        print("needs two cores (proxy on core 0, load generator on core 1)", file=sys.stderr)
        return 2
    dur = args.duration or (3.0 if args.quick else 8.0)
    args.budget = args.budget or (290.0 if args.quick else 1380.0)
    if args.quick:
        h1_variants = [Variant("pii_1k.json"), Variant("pii_16k.json"), Variant("masked_16k.json"),
                       Variant("pii_16k.json", True), Variant("pii_256k.json"), Variant("pii_1m.json")]
        h2_variants = [Variant("pii_16k.json")]
    else:
        h1_variants = [Variant(f"{k}_{s}.json", g) for s in ("1k", "16k", "256k", "1m")
                       for k in ("pii", "masked") for g in (False, True) if not (g and k == "masked")]
        h2_variants = [Variant("pii_16k.json"), Variant("masked_16k.json"),
                       Variant("pii_16k.json", True), Variant("pii_256k.json")]

    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="sluice-loadtest.")
    os.chmod(work, 0o755)  # nginx workers run as an unprivileged user when started by root
    procs = Procs()
    try:
        return run(args, dur, h1_variants, h2_variants, work, procs, started)
    finally:
        procs.stop()
        shutil.rmtree(work, ignore_errors=True)


def run(args, dur, h1_variants, h2_variants, work, procs, started) -> int:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    www = os.path.join(work, "www")
    print("generating payloads …", flush=True)
    subprocess.run([sys.executable, os.path.join(HERE, "gen_payloads.py"), www], check=True,
                   stdout=subprocess.DEVNULL)
    with open(os.path.join(www, "manifest.json")) as f:
        manifest = json.load(f)
    shared = os.path.join(ROOT, "..", "shared", "bench", "gen_payloads.py")
    same_ref = None
    if os.path.exists(shared):
        digest = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()  # noqa: E731
        same_ref = digest(shared) == digest(os.path.join(HERE, "gen_payloads_ref.py"))

    # Every port first, then release them all and start the servers: no two servers (and no
    # port still held by us) can collide; a server that fails to bind anyway is caught below.
    up, up_h2 = free_port(), free_port()
    rp, rp_h2 = free_port(), free_port()
    ms, ms_h2 = free_port(), free_port()
    sl_ports = {a: free_port() for a in ("pass", "report", "redact", "block")}
    release_ports()

    # Upstream (core 1, with the load generator; moved to core 0 while it is the target).
    conf = nginx_conf(os.path.join(work, "up"), UPSTREAM.format(port=up, h2port=up_h2, root=www))
    up_proc = procs.start([nginx, "-p", os.path.join(work, "up"), "-c", conf, "-g", "daemon off;"],
                          LOAD_CORE, os.path.join(work, "up.log"))

    targets: list[Target] = []

    def nginx_pids(p):
        return lambda: [p.pid, *children(p.pid)]

    targets.append(Target("direct", up, nginx_pids(up_proc), up_h2,
                          "the upstream alone (nginx static files, gzip_static)"))

    conf = nginx_conf(os.path.join(work, "rp"), REVERSE.format(up=up, port=rp, h2port=rp_h2, extra=""))
    rp_proc = procs.start([nginx, "-p", os.path.join(work, "rp"), "-c", conf, "-g", "daemon off;"],
                          PROXY_CORE, os.path.join(work, "rp.log"))
    targets.append(Target("nginx", rp, nginx_pids(rp_proc), rp_h2, "plain reverse proxy: the baseline"))

    modsec_so = "/usr/lib/nginx/modules/ngx_http_modsecurity_module.so"
    if os.path.exists(modsec_so):
        rules = os.path.join(work, "modsec.conf")
        with open(rules, "w") as f:
            f.write(MODSEC_RULES.format(id=ref.RX_ID, mobile=ref.RX_MOBILE, card=ref.RX_CARD))
        conf = nginx_conf(os.path.join(work, "ms"),
                          REVERSE.format(up=up, port=ms, h2port=ms_h2,
                                         extra=f"modsecurity on; modsecurity_rules_file {rules};"),
                          modules=f"load_module {modsec_so};")
        ms_proc = procs.start([nginx, "-p", os.path.join(work, "ms"), "-c", conf, "-g", "daemon off;"],
                              PROXY_CORE, os.path.join(work, "ms.log"))
        targets.append(Target("modsecurity", ms, nginx_pids(ms_proc), ms_h2,
                              "nginx + ModSecurity 3, three DLP regexes on response bodies, deny"))
    else:
        print(f"skipping ModSecurity: {modsec_so} missing (apt-get install libnginx-mod-http-modsecurity)")

    sluice_pids = {}
    for action in ("pass", "report", "redact", "block"):
        port = sl_ports[action]
        cfg = os.path.join(work, f"sluice-{action}.yaml")
        with open(cfg, "w") as f:
            f.write((SLUICE_PASS if action == "pass" else SLUICE).format(port=port, up=up, action=action))
        subprocess.run([args.sluice, "config", "check", cfg], check=True, stdout=subprocess.DEVNULL)
        p = procs.start([args.sluice, "run", "--config", cfg], PROXY_CORE,
                        os.path.join(work, f"sluice-{action}.log"))
        sluice_pids[action] = p.pid
        targets.append(Target(f"sluice-{action}", port, (lambda pid=p.pid: [pid]), port,
                              "Sluice release build, inspection off (the proxy's own cost)"
                              if action == "pass" else
                              f"Sluice release build, actions.default: {action}"))

    for t in targets:
        wait_port(t.port)
        if t.h2_port:
            wait_port(t.h2_port)
    time.sleep(0.5)
    for p in procs.procs:
        if p.poll() is not None:
            logs = subprocess.run(f"tail -n3 {work}/*.log {work}/*/error.log", shell=True,
                                  capture_output=True, text=True).stdout
            raise SystemExit(f"{' '.join(map(str, p.args[3:6]))}… exited ({p.returncode}):\n{logs}")
    probe = fetch(f"http://127.0.0.1:{up}/masked_1k.json", False, work)
    if probe["status"] != 200:
        raise SystemExit(f"the upstream answers {probe['status']} (see {work}/up/error.log)")
    rss_idle = {a: rss_kib(pid) for a, pid in sluice_pids.items()}

    lua = os.path.join(work, "report.lua")
    with open(lua, "w") as f:
        f.write(WRK_LUA)

    plan = len(targets) * (len(h1_variants) + len(h2_variants))
    est = plan * (dur + 1.5) + 4 * (dur + 1) + 24 * max(0.0, 6.0 - dur)
    print(f"{plan} measurements of {dur:g} s, about {est / 60:.1f} min", flush=True)

    def move_upstream(core):
        for pid in [up_proc.pid, *children(up_proc.pid)]:
            subprocess.run(["taskset", "-p", "-c", core, str(pid)], stdout=subprocess.DEVNULL, check=False)

    results: list[Result] = []
    skipped: list[str] = []
    # What the tail of the run needs: client verdicts and the half-load runs.
    reserve = 4 * (dur + 2) + 15

    def measure(proto, v: Variant, t: Target):
        big = v.file.startswith(("pii_1m", "masked_1m", "pii_256k", "masked_256k"))
        need = (max(dur, 6.0) if big and proto == "h1" else dur) + 2
        if time.monotonic() - started + need > args.budget - reserve:
            skipped.append(f"{proto} {v.name} {t.name}")
            return
        port = t.port if proto == "h1" else t.h2_port
        url = f"http://127.0.0.1:{port}/{v.file}"
        if t.name == "direct":
            move_upstream(PROXY_CORE)
        try:
            # warm-up: connection pools, caches, allocator
            if proto == "h1":
                # Large bodies through a slow target: 32 connections can need seconds per
                # round, so give them long enough to complete a fair number of requests.
                d = dur if not v.file.startswith(("pii_1m", "masked_1m", "pii_256k", "masked_256k")) \
                    else max(dur, 6.0)
                run_wrk(url, 1, v.gzip, lua)
                t0 = ticks(t.pids())
                r = run_wrk(url, d, v.gzip, lua)
            else:
                # sized from the HTTP/1.1 rate of the same target and payload (h2load -n)
                est = next((x.rps for x in results if x.proto == "h1" and x.variant == v.name
                            and x.target == t.name), None) or 2000.0
                run_h2load(url, est * 0.3, v.gzip, work, limit=dur * 4 + 30)
                t0 = ticks(t.pids())
                r = run_h2load(url, est * dur, v.gzip, work, limit=dur * 6 + 30)
            t1 = ticks(t.pids())
        finally:
            if t.name == "direct":
                move_upstream(LOAD_CORE)
        # No completed request (e.g. every connection reset): no per-request CPU figure.
        cpu = (t1 - t0) / HZ * 1e6 / r["requests"] if r["requests"] else None
        res = Result(proto, v.name, t.name, r["rps"], r["p50_ms"], r["p99_ms"], cpu, r["requests"],
                     r["non2xx"], r["errors"], r["mbps"])
        results.append(res)
        print(f"  {proto} {v.name:16s} {t.name:14s} {res.rps:10.0f} req/s  p50 {fmt(res.p50_ms, 2):>7} ms"
              f"  p99 {fmt(res.p99_ms, 2):>7} ms  {fmt(cpu):>8} µs/req"
              + (f"  non-2xx {res.non2xx}" if res.non2xx else "")
              + (f"  errors {res.errors}" if res.errors else ""), flush=True)

    for proto, variants in (("h1", h1_variants), ("h2", h2_variants)):
        for v in variants:
            for t in targets:
                measure(proto, v, t)

    # Ratios against nginx pass-through, same protocol and payload.
    base = {(r.proto, r.variant): r for r in results if r.target == "nginx"}
    for r in results:
        b = base.get((r.proto, r.variant))
        if b and b.rps:
            r.rps_ratio = r.rps / b.rps
            r.cpu_ratio = (r.cpu_us / b.cpu_us) if (b.cpu_us and r.cpu_us is not None) else None

    # What clients receive on live-value bodies.
    verdicts = {}
    for v in (Variant("pii_1k.json"), Variant("pii_16k.json"), Variant("pii_16k.json", True),
              Variant("pii_1m.json")):
        for t in targets:
            verdicts[(v.name, t.name)] = fetch(f"http://127.0.0.1:{t.port}/{v.file}", v.gzip, work)

    # p99 at half load (HTTP/1.1, 32 connections, rate-limited by h2load --rps).
    half = []
    cap = next((r.rps for r in results if r.proto == "h1" and r.variant == "pii_16k"
                and r.target == "sluice-redact"), None)
    if cap:
        rate = cap / 2
        for t in targets:
            if t.name not in ("direct", "nginx", "sluice-report", "sluice-redact"):
                continue
            if t.name == "direct":
                move_upstream(PROXY_CORE)
            try:
                r = run_h2load(f"http://127.0.0.1:{t.port}/pii_16k.json", rate * dur, False, work,
                               h1=True, rps=rate / WRK_CONN, clients=WRK_CONN, streams=1,
                               limit=dur * 3 + 30)
            finally:
                if t.name == "direct":
                    move_upstream(LOAD_CORE)
            half.append({"target": t.name, "rate": rate, "rps": r["rps"], "p50_ms": r["p50_ms"],
                         "p99_ms": r["p99_ms"]})
        d = next(h for h in half if h["target"] == "direct")
        for h in half:
            h["p99_added_ms"] = h["p99_ms"] - d["p99_ms"]
        print("half load:", json.dumps(half), flush=True)

    rss_after = {a: rss_kib(pid) for a, pid in sluice_pids.items()}
    elapsed = time.monotonic() - started
    info = machine()
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "latest.json"), "w") as f:
        json.dump({"when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                   "quick": args.quick, "duration_s": dur, "machine": info,
                   "reference_generator_identical": same_ref,
                   "manifest": manifest["files"], "results": [asdict(r) for r in results],
                   "verdicts": {f"{k[0]}|{k[1]}": v for k, v in verdicts.items()},
                   "half_load": half, "skipped": skipped, "rss_kib": {"idle": rss_idle, "after": rss_after},
                   "elapsed_s": elapsed}, f, indent=1, ensure_ascii=False)
    md = report(args, dur, info, same_ref, targets, results, verdicts, half, rss_idle, rss_after,
                elapsed)
    if skipped:
        md += (f"\n**Skipped to stay within the {args.budget:.0f} s budget** ({len(skipped)}): "
               + ", ".join(skipped) + ".\n")
    with open(os.path.join(args.out, "latest.md"), "w") as f:
        f.write(md)
    print(md)
    print(f"wrote {os.path.join(args.out, 'latest.md')} ({elapsed:.0f} s)")
    return 0


def report(args, dur, info, same_ref, targets, results, verdicts, half, rss_idle, rss_after,
           elapsed) -> str:
    L = []
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    L.append(f"# Sluice proxy load test ({'quick' if args.quick else 'full'}, {when})\n")
    L.append(f"Machine: {info['cpu']}, {info['cores']} cores, Linux {info['kernel']}; "
             f"{info['nginx']}; {info['wrk']}; {info['h2load']}.  ")
    L.append(f"Each figure: {dur:g} s of load on loopback; target pinned alone to core {PROXY_CORE}, "
             f"load generator and upstream on core {LOAD_CORE}. HTTP/1.1: wrk -t1 -c{WRK_CONN}; "
             f"HTTP/2: h2load -t1 -c{H2_CLIENTS} -m{H2_STREAMS} (prior knowledge). CPU/req = target's "
             f"utime+stime (/proc/<pid>/stat) ÷ requests completed. Ratios are against `nginx` "
             f"(plain reverse proxy), same protocol and payload. `gz` = client sends "
             f"`Accept-Encoding: gzip`, upstream serves a pre-compressed body."
             + ("" if same_ref is None else
                f" Payload generator identical to ../shared/bench/gen_payloads.py: {same_ref}.")
             + "\n")
    L.append("| proto | payload | target | req/s | p50 ms | p99 ms | CPU µs/req | req/s × nginx | "
             "CPU × nginx | non-2xx | errors |")
    L.append("|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|")
    for r in results:
        L.append(f"| {r.proto} | {r.variant} | {r.target} | {fmt(r.rps)} | {fmt(r.p50_ms, 2)} | "
                 f"{fmt(r.p99_ms, 2)} | {fmt(r.cpu_us)} | {fmt(r.rps_ratio, 2)} | "
                 f"{fmt(r.cpu_ratio, 2)} | {r.non2xx} | {r.errors} |")
    L.append("\n## What a client receives (bodies with live values)\n")
    L.append("One curl request per target; `leaked` counts raw values in what the client received "
             "(decompressed) that match the three reference regexes and pass the identifier's check "
             "(GB 11643 check character, Luhn; mobiles by shape).\n")
    L.append("| payload | target | status | bytes received | curl exit | leaked values |")
    L.append("|---|---|--:|--:|--:|--:|")
    for (vname, tname), v in verdicts.items():
        L.append(f"| {vname} | {tname} | {v['status']} | {v['bytes']} | {v['curl_exit']} | "
                 f"{v['leaked_total']} |")
    ms = verdicts.get(("pii_16k", "modsecurity"))
    if ms:
        msz = verdicts.get(("pii_16k gz", "modsecurity"))
        L.append("")
        if ms["status"] == 200 and ms["leaked_total"]:
            how = (f"ModSecurity's `deny` on a response body: the client got status {ms['status']} "
                   f"and {ms['bytes']} bytes carrying {ms['leaked_total']} raw values"
                   + (f", then the connection was cut (curl exit {ms['curl_exit']})"
                      if ms["curl_exit"] else "")
                   + " — the headers (and, with nginx's buffering, the body) had already left when "
                     "phase 4 ran, so the deny cannot stop the leak.")
        elif ms["status"] == 403:
            how = (f"ModSecurity's `deny` on a response body returned 403 with {ms['bytes']} bytes "
                   f"(no leak) on this body.")
        else:
            how = (f"ModSecurity's `deny` on a response body: status {ms['status']}, {ms['bytes']} "
                   f"bytes, curl exit {ms['curl_exit']}, {ms['leaked_total']} raw values received.")
        wr = next((r for r in results if r.proto == "h1" and r.variant == "pii_16k"
                   and r.target == "modsecurity"), None)
        if wr and wr.errors:
            how += (f" Under load (wrk, keep-alive) the same body gave {wr.errors} socket errors in "
                    f"{dur:g} s: ModSecurity's deny in phase 4 resets the connection after the "
                    f"body has gone out, so keep-alive clients see the leak and then a reset.")
        L.append(how)
        ms1 = verdicts.get(("pii_1k", "modsecurity"))
        if ms1 and ms1["status"] == 0:
            L.append(f"On the 1 KiB body (it fits one buffer, so phase 4 ran before anything was "
                     f"sent) the deny dropped the connection: an empty reply (curl exit "
                     f"{ms1['curl_exit']}), no 403 and no body.")
        if msz:
            L.append(f"With gzip the same body passed ModSecurity with status {msz['status']} and "
                     f"{msz['leaked_total']} raw values (it does not decompress response bodies)."
                     if msz["leaked_total"] else
                     f"With gzip: status {msz['status']}, no raw value received.")
    if half:
        L.append("\n## p99 at half load (issue 3: added p99 ≤ 1 ms)\n")
        L.append(f"HTTP/1.1, pii_16k, {WRK_CONN} connections, a fixed rate of {half[0]['rate']:,.0f} "
                 "req/s (half of sluice-redact's capacity above), h2load --h1 --rps. Added = p99 − "
                 "p99 of the upstream direct at the same rate.\n")
        L.append("| target | achieved req/s | p50 ms | p99 ms | p99 added ms |")
        L.append("|---|--:|--:|--:|--:|")
        for h in half:
            L.append(f"| {h['target']} | {fmt(h['rps'])} | {fmt(h['p50_ms'], 2)} | {fmt(h['p99_ms'], 2)} | "
                     f"{fmt(h['p99_added_ms'], 2)} |")
    L.append("\n## Sluice memory\n")
    L.append("| mode | RSS idle MiB | RSS after the run MiB |")
    L.append("|---|--:|--:|")
    for a in rss_idle:
        L.append(f"| {a} | {rss_idle[a] / 1024:.1f} | {rss_after[a] / 1024:.1f} |")
    L.append(f"\nTargets: " + "; ".join(f"`{t.name}` {t.note}" for t in targets) + ".")
    L.append(f"\nWall time {elapsed:.0f} s. Raw figures: `loadtest/results/latest.json`.\n")
    return "\n".join(L)


if __name__ == "__main__":
    sys.exit(main())
