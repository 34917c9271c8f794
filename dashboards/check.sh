#!/usr/bin/env bash
# Checks the observability artefacts:
#   1. promtool check rules   sluice.rules.yml
#   2. promtool test rules    tests/*.yml (every alert fires when it should, silent when not)
#   3. prometheusrule.yaml is the generated PrometheusRule of sluice.rules.yml, and renders back
#      to the same groups
#   4. every PromQL expression of grafana/sluice.json parses (promtool, via a generated rules
#      file), every panel has a unit, rates use $__rate_interval
#   5. the dashboard and the alert rules name only metrics Sluice exports: the names of a real
#      scrape (--scrape FILE, as the observe_promtool test passes) or metrics.txt (kept equal to
#      the registry by a unit test)
# Needs promtool (dashboards/setup.sh installs it) and python3 with PyYAML.
set -euo pipefail
cd "$(dirname "$0")"
SCRAPE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --scrape) SCRAPE="$2"; shift 2 ;;
    *) echo "usage: $0 [--scrape FILE]" >&2; exit 2 ;;
  esac
done
if ! command -v promtool >/dev/null; then
  echo "check.sh: promtool not found; run dashboards/setup.sh (Debian package 'prometheus')" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== promtool check rules"
promtool check rules sluice.rules.yml
echo "== promtool test rules"
promtool test rules tests/*.yml

echo "== PrometheusRule template in sync"
python3 gen-prometheusrule.py "$tmp/prometheusrule.yaml"
diff -u prometheusrule.yaml "$tmp/prometheusrule.yaml" || {
  echo "prometheusrule.yaml is stale: run dashboards/gen-prometheusrule.py" >&2; exit 1; }

echo "== dashboard and rule expressions"
python3 - "$tmp" "$SCRAPE" <<'PY'
import json, re, sys, yaml
tmp, scrape = sys.argv[1], sys.argv[2]
errors = []

# Exported metric names: from a live scrape when given, else metrics.txt.
names = set()
if scrape:
    for line in open(scrape, encoding="utf-8"):
        m = re.match(r"# TYPE (\S+) (\S+)", line)
        if m:
            n, kind = m.groups()
            names.update([n + s for s in ("_bucket", "_sum", "_count")] if kind == "histogram" else [n])
    src = scrape
else:
    names = {l.strip() for l in open("metrics.txt", encoding="utf-8") if l.strip() and not l.startswith("#")}
    src = "metrics.txt"
if not names:
    errors.append(f"no metric names in {src}")

# The template renders back to exactly the rule file's groups.
rendered = open("prometheusrule.yaml", encoding="utf-8").read()
rendered = rendered.replace('{{ "{{" }}', "{{").replace('{{ "}}" }}', "}}")
rendered = rendered.replace("{{ .Values.prometheusRule.runbookBaseUrl }}", "")
rendered = "\n".join(l for l in rendered.splitlines() if not l.lstrip().startswith("{{-"))
rendered = re.sub(r"\{\{ \.Release\.\w+ \}\}", "x", rendered)
if yaml.safe_load(rendered)["spec"]["groups"] != yaml.safe_load(open("sluice.rules.yml"))["groups"]:
    errors.append("prometheusrule.yaml does not render to the groups of sluice.rules.yml")

d = json.load(open("grafana/sluice.json", encoding="utf-8"))
var_names = [v["name"] for v in d["templating"]["list"]]
for need in ("datasource", "namespace", "interface"):
    if need not in var_names:
        errors.append(f"dashboard: missing variable {need}")
exprs = []
for p in d["panels"]:
    if p["type"] == "row":
        continue
    unit = p.get("fieldConfig", {}).get("defaults", {}).get("unit")
    if not unit:
        errors.append(f"panel '{p['title']}': no unit")
    for t in p.get("targets", []):
        exprs.append((p["title"], t["expr"]))
for a in d["annotations"]["list"]:
    if "expr" in a:
        exprs.append(("annotation " + a["name"], a["expr"]))
for title, e in exprs:
    for m in re.finditer(r"\[([^\]]+)\]", e):
        if m.group(1) != "$__rate_interval" and not title.startswith("annotation"):
            errors.append(f"panel '{title}': range [{m.group(1)}] instead of $__rate_interval")
rules = {"groups": [{"name": "dashboard", "rules": []}]}
for i, (title, e) in enumerate(exprs):
    q = e.replace("$__rate_interval", "5m").replace("$namespace", ".*").replace("$interface", ".*")
    rules["groups"][0]["rules"].append({"record": f"dashboard:expr_{i}", "expr": q})
with open(f"{tmp}/dashboard.rules.yml", "w") as f:
    yaml.safe_dump(rules, f)

alert_exprs = [(r["alert"], r["expr"]) for g in yaml.safe_load(open("sluice.rules.yml"))["groups"] for r in g["rules"]]
for title, e in exprs + alert_exprs:
    for tok in re.findall(r"\bsluice_[a-z0-9_]+", e):
        if tok not in names:
            errors.append(f"'{title}': {tok} is not a metric Sluice exports (per {src})")
    # Any selector (name followed by {) must be a Sluice metric.
    for tok in re.findall(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\{", e):
        if not tok.startswith("sluice_"):
            errors.append(f"'{title}': selector {tok} is not a Sluice metric")
print(f"{len(exprs)} dashboard expressions, {len(alert_exprs)} alert expressions, {len(names)} exported names ({src})")
if errors:
    print("\n".join(errors), file=sys.stderr)
    sys.exit(1)
PY
promtool check rules "$tmp/dashboard.rules.yml"
echo "dashboards/check.sh: OK"
