#!/usr/bin/env python3
"""Checks of the chart's rendered output, run by helm/ci.sh.

    check_rendered.py --dir OUT --kube-version 1.31.0 --dashboards dashboards/
        schema-validates every object of OUT/*.yaml offline (kubernetes-validate, strict: unknown
        fields are errors), checks the Prometheus Operator objects' required fields (no schema
        ships for them), and asserts what each scenario must and must not render.
    check_rendered.py --dir OUT --config-check path/to/sluice
        runs `sluice config check` on each rendered sluice.yaml with its rule packs.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

import yaml

FAILS: list[str] = []


def check(cond: bool, what: str) -> None:
    if not cond:
        FAILS.append(what)


def load(path: str) -> list[dict]:
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def find(docs, kind, name_suffix=""):
    return [d for d in docs if d["kind"] == kind and d["metadata"]["name"].endswith(name_suffix)]


def validate(docs: list[dict], scenario: str, kube: str) -> int:
    import kubernetes_validate as kv
    n = 0
    for d in docs:
        kind = d["kind"]
        where = f"{scenario}: {kind}/{d['metadata'].get('name')}"
        if d.get("apiVersion") == "monitoring.coreos.com/v1":
            spec = d.get("spec") or {}
            if kind == "ServiceMonitor":
                check(bool(spec.get("selector")) and bool(spec.get("endpoints")), f"{where}: selector, endpoints")
                check(all(e.get("port") == "sluice-admin" for e in spec.get("endpoints", [])), f"{where}: port")
            elif kind == "PodMonitor":
                check(bool(spec.get("selector", {}).get("matchLabels")) and bool(spec.get("podMetricsEndpoints")),
                      f"{where}: selector, podMetricsEndpoints")
            elif kind == "PrometheusRule":
                groups = spec.get("groups") or []
                check(bool(groups), f"{where}: no rule groups")
                for g in groups:
                    check(bool(g.get("name")) and bool(g.get("rules")), f"{where}: group without name/rules")
                    for r in g.get("rules", []):
                        check(("alert" in r or "record" in r) and "expr" in r, f"{where}: rule {r}")
            else:
                FAILS.append(f"{where}: unexpected kind")
            n += 1
            continue
        try:
            kv.validate(d, kube, strict=True)
            n += 1
        except kv.ValidationError as e:
            FAILS.append(f"{where}: {e.message} at {'/'.join(map(str, e.path))}")
        except Exception as e:  # noqa: BLE001 - report, don't crash the run
            FAILS.append(f"{where}: {type(e).__name__}: {e}")
    return n


def sluice_container(pod_spec: dict, sidecar: bool) -> dict | None:
    pool = pod_spec.get("initContainers" if sidecar else "containers") or []
    return next((c for c in pool if c["name"] == "sluice"), None)


def assert_container(c: dict | None, where: str, sidecar: bool) -> None:
    check(c is not None, f"{where}: no sluice container")
    if not c:
        return
    if sidecar:
        check(c.get("restartPolicy") == "Always", f"{where}: native sidecar needs restartPolicy: Always")
    sc = c.get("securityContext", {})
    check(sc.get("runAsNonRoot") is True, f"{where}: runAsNonRoot")
    check(sc.get("readOnlyRootFilesystem") is True, f"{where}: readOnlyRootFilesystem")
    check(sc.get("allowPrivilegeEscalation") is False, f"{where}: allowPrivilegeEscalation")
    check(sc.get("capabilities", {}).get("drop") == ["ALL"], f"{where}: capabilities drop ALL")
    check(sc.get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{where}: seccomp RuntimeDefault")
    check(c.get("livenessProbe", {}).get("httpGet", {}).get("path") == "/healthz", f"{where}: liveness /healthz")
    check(c.get("readinessProbe", {}).get("httpGet", {}).get("path") == "/readyz", f"{where}: readiness /readyz")
    check(c.get("livenessProbe", {}).get("httpGet", {}).get("port") == "sluice-admin", f"{where}: probe port")
    check(bool(c.get("resources", {}).get("requests")), f"{where}: resource requests")
    mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
    for p in ("/etc/sluice/config", "/etc/sluice/rules", "/etc/sluice/policy"):
        check(p in mounts, f"{where}: mount {p}")
        check("subPath" not in mounts.get(p, {}), f"{where}: {p} must not use subPath (no ConfigMap updates)")


def assert_checksums(annotations: dict, where: str) -> None:
    sums = [k for k in (annotations or {}) if k.startswith("checksum/")]
    check(sums == ["checksum/sluice-config"], f"{where}: checksum annotations must be the static config only, got {sums}")


def scenario_asserts(name: str, docs: list[dict], dashboards: str) -> None:
    kinds = [d["kind"] for d in docs]
    mon = name.endswith("-mon") or name in ("gateway-tls", "gateway-policy", "sidecar-policy") \
        or name.startswith("example")
    has_rules = os.path.exists(os.path.join(dashboards, "sluice.rules.yml")) or \
        os.path.exists(os.path.join(dashboards, "prometheusrule.yaml"))
    has_dash = os.path.exists(os.path.join(dashboards, "grafana", "sluice.json"))
    if name.startswith("gateway"):
        deps = find(docs, "Deployment")
        check(len(deps) == 1, f"{name}: one Deployment")
        if deps:
            pod = deps[0]["spec"]["template"]
            assert_container(sluice_container(pod["spec"], False), name, False)
            assert_checksums(pod["metadata"].get("annotations"), name)
            check(pod["spec"].get("securityContext", {}).get("runAsNonRoot") is True, f"{name}: pod runAsNonRoot")
        svc = [s for s in find(docs, "Service") if not s["metadata"]["name"].endswith("-admin")]
        check(len(svc) == 1 and all(p["targetPort"] == "sluice" for p in svc[0]["spec"]["ports"]),
              f"{name}: consumer Service targets the sluice port only")
        check(bool(find(docs, "Service", "-admin")), f"{name}: admin Service")
        check("PodDisruptionBudget" in kinds, f"{name}: PodDisruptionBudget")
    else:
        check("Deployment" not in kinds or name.startswith("example"), f"{name}: no Sluice Deployment in sidecar mode")
    cm = find(docs, "ConfigMap", "-config")
    check(len(cm) == 1, f"{name}: the config ConfigMap")
    if cm:
        cfg = yaml.safe_load(cm[0]["data"]["sluice.yaml"])
        check(cfg.get("admin", {}).get("listen", "").startswith("0.0.0.0:"), f"{name}: admin listens on 0.0.0.0")
        check(cfg.get("rules", {}).get("dir") == "/etc/sluice/rules", f"{name}: rules.dir")
        if name.startswith("sidecar") or name == "example":
            check(cfg["upstream"]["url"].startswith("http://127.0.0.1:"), f"{name}: sidecar upstream on loopback")
    if name == "gateway-tls":
        cfg = yaml.safe_load(cm[0]["data"]["sluice.yaml"])
        check(cfg["listen"]["tls"]["client_ca"] == "/etc/sluice/tls/server/ca.crt", f"{name}: mTLS client CA")
        check(cfg["upstream"]["tls"]["client_key"] == "/etc/sluice/tls/upstream/tls.key", f"{name}: upstream mTLS")
        vols = find(docs, "Deployment")[0]["spec"]["template"]["spec"]["volumes"]
        secrets = {v["secret"]["secretName"] for v in vols if "secret" in v}
        check(secrets == {"sluice-server-tls", "sluice-upstream-tls"}, f"{name}: TLS secret volumes {secrets}")
        check(not find(docs, "ConfigMap", "-rules"), f"{name}: existingConfigMap → no rules ConfigMap")
        check(any(v.get("configMap", {}).get("name") == "gov-rule-packs" for v in vols), f"{name}: existing rules ConfigMap mounted")
    monitoring = [k for k in kinds if k in ("ServiceMonitor", "PodMonitor", "PrometheusRule")]
    if mon:
        want = "ServiceMonitor" if name.startswith("gateway") else "PodMonitor"
        check(want in kinds, f"{name}: {want} with the CRDs present")
        check(("PrometheusRule" in kinds) == has_rules,
              f"{name}: PrometheusRule rendered={'PrometheusRule' in kinds}, rule file present={has_rules}")
    else:
        check(not monitoring, f"{name}: monitoring objects without CRDs/flags: {monitoring}")
    dash = [d for d in find(docs, "ConfigMap", "-dashboard")
            if d["metadata"].get("labels", {}).get("grafana_dashboard") == "1"]
    if name == "gateway-noflag":
        check(not dash, f"{name}: dashboard ConfigMap despite the flag off")
    elif not name.startswith("example"):
        check(bool(dash) == has_dash, f"{name}: dashboard ConfigMap rendered={bool(dash)}, json present={has_dash}")
    policy_asserts(name, docs)
    if name.startswith("example"):
        deps = [d for d in find(docs, "Deployment") if d["metadata"]["name"].endswith("exchange-api")]
        check(len(deps) == 1, "example: the workload Deployment")
        if deps:
            pod = deps[0]["spec"]["template"]
            assert_container(sluice_container(pod["spec"], True), "example sidecar", True)
            assert_checksums(pod["metadata"].get("annotations"), "example")
            check(pod["spec"].get("securityContext", {}).get("fsGroup") == 65532,
                  "example: fsGroup 65532, or Sluice cannot read its 0440 Secret files")
            names = [v["name"] for v in pod["spec"]["volumes"]]
            check({"sluice-config", "sluice-rules", "sluice-policy"} <= set(names), "example: sidecar volumes")
        svc = [s for s in find(docs, "Service") if s["metadata"]["name"].endswith("exchange-api")]
        check(bool(svc) and svc[0]["spec"]["ports"][0]["targetPort"] == "sluice",
              "example: the workload's Service points at Sluice's port")
        cms = {d["metadata"]["name"] for d in find(docs, "ConfigMap")}
        check({"demo-sluice-config", "demo-sluice-rules", "demo-sluice-policy"} <= cms,
              f"example: the subchart's ConfigMaps match the names the sidecar mounts ({cms})")


def pod_of(docs: list[dict], name: str) -> tuple[dict | None, bool]:
    """The pod template carrying Sluice, and whether it runs as the native sidecar."""
    if name.startswith("example"):
        deps = [d for d in find(docs, "Deployment") if d["metadata"]["name"].endswith("exchange-api")]
        return (deps[0]["spec"]["template"] if deps else None), True
    deps = find(docs, "Deployment")
    return (deps[0]["spec"]["template"] if deps else None), False


def policy_asserts(name: str, docs: list[dict]) -> None:
    """The admin token Secret, the audit volume and the NetworkPolicy (scenarios *-policy)."""
    cm = find(docs, "ConfigMap", "-config")
    cfg = yaml.safe_load(cm[0]["data"]["sluice.yaml"]) if cm else {}
    pod, sidecar = pod_of(docs, name)
    c = sluice_container(pod["spec"], sidecar) if pod else None
    token = name in ("gateway-policy", "sidecar-policy", "example-policy")
    # The token: a file from the Secret, never in the ConfigMap; the probes carry no credentials
    # (the proxy exempts /healthz and /readyz), Prometheus sends it from the same Secret.
    admin = cfg.get("admin", {})
    check("token" not in admin, f"{name}: an admin token in the ConfigMap")
    check((admin.get("token_file") == "/etc/sluice/admin/token") == token, f"{name}: admin.token_file {admin}")
    mons = [d for d in docs if d["kind"] in ("ServiceMonitor", "PodMonitor")]
    for m in mons:
        eps = m["spec"].get("endpoints") or m["spec"].get("podMetricsEndpoints") or []
        auth = [e.get("authorization") for e in eps]
        if token:
            want = {"name": "sluice-admin", "key": "bearer" if name == "gateway-policy" else "token"}
            check(all(a and a.get("type") == "Bearer" and a.get("credentials") == want for a in auth),
                  f"{name}: {m['kind']} authorization {auth}, want the token Secret {want}")
        else:
            check(not any(auth), f"{name}: {m['kind']} authorization without a token")
    if c:
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            check("httpHeaders" not in c.get(probe, {}).get("httpGet", {}), f"{name}: {probe} carries headers")
        mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
        vols = {v["name"]: v for v in pod["spec"].get("volumes", [])}
        check(("/etc/sluice/admin" in mounts) == token, f"{name}: admin token mount")
        if token:
            sec = vols.get("sluice-admin-token", {}).get("secret", {})
            key = "bearer" if name == "gateway-policy" else "token"
            check(sec.get("secretName") == "sluice-admin" and sec.get("items") == [{"key": key, "path": "token"}],
                  f"{name}: admin token volume {sec}")
        # The token and audit keys: files from a Secret, only where asked for.
        keyed = name == "gateway-policy"
        check(((cfg.get("rules") or {}).get("token_key_file") == "/etc/sluice/keys/token") == keyed,
              f"{name}: rules.token_key_file {cfg.get('rules')}")
        check(((cfg.get("audit") or {}).get("key_file") == "/etc/sluice/keys/audit") == keyed,
              f"{name}: audit.key_file {cfg.get('audit')}")
        check(("/etc/sluice/keys" in mounts) == keyed, f"{name}: keys mount")
        if keyed:
            src = vols.get("sluice-keys", {}).get("projected", {}).get("sources", [])
            want = [{"secret": {"name": "sluice-keys", "items": [{"key": "token", "path": "token"}]}},
                    {"secret": {"name": "sluice-keys", "items": [{"key": "audit", "path": "audit"}]}}]
            check(src == want, f"{name}: keys volume {src}")
        # The audit trail: a file sink writes inside the audit volume; on a PVC each pod has its
        # own sub-directory (one writer per hash chain).
        sink = (cfg.get("audit") or {}).get("sink") or {}
        audit_mount = next((m for m in c.get("volumeMounts", []) if m["name"] == "sluice-audit"), None)
        if sink.get("kind") == "file":
            check(audit_mount is not None and sink["path"].startswith(audit_mount["mountPath"] + "/"),
                  f"{name}: audit file {sink.get('path')} outside the audit volume {audit_mount}")
        vol = vols.get("sluice-audit", {})
        if "persistentVolumeClaim" in vol:
            check(audit_mount.get("subPathExpr") == "$(SLUICE_POD_NAME)", f"{name}: per-pod audit sub-directory")
            env = {e["name"]: e for e in c.get("env", [])}
            check(env.get("SLUICE_POD_NAME", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
                  == "metadata.name", f"{name}: SLUICE_POD_NAME from the pod name")
        if name == "gateway-policy":
            check(vol.get("persistentVolumeClaim", {}).get("claimName") == "sluice-audit", f"{name}: audit PVC")
        if name in ("sidecar-policy", "example-policy"):
            check("emptyDir" in vol, f"{name}: audit emptyDir")
    # The NetworkPolicy: only the proxy and admin ports admit anyone, each from its own peers.
    nps = find(docs, "NetworkPolicy")
    check(bool(nps) == token, f"{name}: NetworkPolicy rendered={bool(nps)}")
    for np in nps:
        spec = np["spec"]
        check(spec.get("policyTypes") == ["Ingress"], f"{name}: NetworkPolicy policyTypes")
        rules = spec.get("ingress", [])
        ports = [[p["port"] for p in r.get("ports", [])] for r in rules]
        check(ports == [[8443], [9090]], f"{name}: NetworkPolicy ports {ports}: proxy then admin, nothing else")
        check(all(r.get("from") for r in rules), f"{name}: a NetworkPolicy rule open to every source")
        ns = lambda r: [p.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
                        for p in r.get("from", [])]
        if len(rules) == 2:
            check(ns(rules[1]) == ["monitoring"], f"{name}: admin port from {ns(rules[1])}")
        sel = spec["podSelector"].get("matchLabels", {})
        if name == "gateway-policy":
            check("tax-bureau" in ns(rules[0]) and any("podSelector" in p for p in rules[0]["from"]),
                  f"{name}: proxy port peers {rules[0]['from']}")
            check(sel.get("app.kubernetes.io/name") == "sluice" and "app.kubernetes.io/instance" in sel,
                  f"{name}: NetworkPolicy selects the gateway pods {sel}")
        else:
            check(sel == {"app.kubernetes.io/name": "exchange-api"}, f"{name}: NetworkPolicy selects the workload {sel}")
        if pod:
            check(all(pod["metadata"]["labels"].get(k) == v for k, v in sel.items()),
                  f"{name}: NetworkPolicy selector {sel} does not match the pod labels")


def config_check(sluice: str, out: str) -> None:
    # Does this build know the admin listener yet (issue 5)?
    with tempfile.TemporaryDirectory() as t:
        probe = os.path.join(t, "probe.yaml")
        with open(probe, "w") as f:
            f.write("listen: {addr: 127.0.0.1:0}\nupstream: {url: http://127.0.0.1:1}\n"
                    "admin: {listen: 127.0.0.1:0}\n")
        has_admin = subprocess.run([sluice, "config", "check", probe], capture_output=True).returncode == 0
    if not has_admin:
        print("note this sluice build has no `admin` key yet (issue 5): configs checked without it")
    for fn in sorted(os.listdir(out)):
        if not fn.endswith(".yaml"):
            continue
        docs = load(os.path.join(out, fn))
        cms = {d["metadata"]["name"]: d for d in find(docs, "ConfigMap")}
        for name, cm in cms.items():
            if not name.endswith("-config") or "sluice.yaml" not in cm.get("data", {}):
                continue
            cfg = yaml.safe_load(cm["data"]["sluice.yaml"])
            with tempfile.TemporaryDirectory() as t:
                rules = os.path.join(t, "rules")
                os.makedirs(rules)
                rcm = cms.get(name.removesuffix("-config") + "-rules")
                packs = ((rcm or {}).get("data") or {})
                if rcm is None:  # rules.existingConfigMap: not ours to check
                    packs = {"000-empty.yaml": "pack: ci-empty\nversion: 1\nrules: []\n"}
                for pack, text in packs.items():
                    with open(os.path.join(rules, pack), "w") as f:
                        f.write(text)
                cfg["rules"]["dir"] = rules
                if not has_admin:
                    cfg.pop("admin", None)
                tls_note = " (rules from an existing ConfigMap: not checked)" if rcm is None else ""
                had_tls = False
                for section in (cfg.get("listen", {}), cfg.get("upstream", {})):
                    if "tls" in section:  # the Secrets are not here; their paths are checked above
                        section.pop("tls")
                        had_tls = True
                if had_tls:
                    tls_note += " (TLS paths not checked: no Secrets here)"
                path = os.path.join(t, "sluice.yaml")
                with open(path, "w") as f:
                    yaml.safe_dump(cfg, f, allow_unicode=True)
                p = subprocess.run([sluice, "config", "check", path], capture_output=True, text=True)
                if p.returncode != 0:
                    FAILS.append(f"{fn}: {name}: sluice config check:\n{p.stdout}{p.stderr}")
                else:
                    print(f"ok   sluice config check {fn.removesuffix('.yaml')}: {name}{tls_note}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--kube-version", default="1.31.0")
    ap.add_argument("--dashboards", default="dashboards")
    ap.add_argument("--config-check", metavar="SLUICE")
    a = ap.parse_args()
    if a.config_check:
        config_check(a.config_check, a.dir)
    else:
        for fn in sorted(os.listdir(a.dir)):
            if not fn.endswith(".yaml"):
                continue
            name = fn.removesuffix(".yaml")
            docs = load(os.path.join(a.dir, fn))
            n = validate(docs, name, a.kube_version)
            scenario_asserts(name, docs, a.dashboards)
            print(f"ok   validated        {name}: {n} objects against Kubernetes {a.kube_version} (strict)")
    if FAILS:
        print("\n".join(f"FAIL: {f}" for f in FAILS), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
