#!/usr/bin/env python3
"""Writes sluice.json, the Grafana dashboard for Sluice. Edit this file, not the JSON.

Variables: datasource (any Prometheus), namespace and interface (multi-value, from the
metrics). Every query uses `$__rate_interval`, every panel has a unit. `dashboards/check.sh`
checks that every expression parses and names only metrics Sluice exports.
"""
import json
import os

SEL = 'namespace=~"$namespace", interface=~"$interface"'
DS = {"type": "prometheus", "uid": "${datasource}"}

panels = []
y = 0
pid = 0


def row(title):
    global y, pid
    pid += 1
    panels.append({"type": "row", "title": title, "id": pid, "collapsed": False,
                   "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "panels": []})
    y += 1


def ts(title, targets, unit, w=8, desc="", stack=False, x=None):
    global pid
    pid += 1
    p = {
        "type": "timeseries", "title": title, "id": pid, "datasource": DS, "description": desc,
        "fieldConfig": {"defaults": {"unit": unit, "custom": {
            "drawStyle": "line", "lineWidth": 1, "fillOpacity": 10,
            "stacking": {"mode": "normal" if stack else "none"}}}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"},
                    "tooltip": {"mode": "multi", "sort": "desc"}},
        "targets": [{"datasource": DS, "expr": e, "legendFormat": l, "refId": chr(65 + i)}
                    for i, (e, l) in enumerate(targets)],
    }
    return place(p, w)


def stat(title, expr, unit, w=6, desc="", legend="", mappings=None, thresholds=None):
    global pid
    pid += 1
    p = {
        "type": "stat", "title": title, "id": pid, "datasource": DS, "description": desc,
        "fieldConfig": {"defaults": {"unit": unit, "mappings": mappings or [],
                                     "thresholds": thresholds or {"mode": "absolute", "steps": [
                                         {"color": "green", "value": None}]}},
                        "overrides": []},
        "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "colorMode": "background", "textMode": "value_and_name"},
        "targets": [{"datasource": DS, "expr": expr, "legendFormat": legend, "refId": "A",
                     "instant": True}],
    }
    return place(p, w)


cursor = {"x": 0}


def place(p, w):
    global y
    if cursor["x"] + w > 24:
        cursor["x"] = 0
        y += 8
    p["gridPos"] = {"h": 8, "w": w, "x": cursor["x"], "y": y}
    cursor["x"] += w
    panels.append(p)
    return p


def newrow(title):
    global y
    if cursor["x"] > 0:
        y += 8
    cursor["x"] = 0
    row(title)


R = "$__rate_interval"

newrow("Flows")
ts("Requests by interface",
   [(f'sum by (interface) (rate(sluice_requests_total{{{SEL}}}[{R}]))', "{{interface}}")],
   "reqps", desc="Requests received, by configured interface (unmatched paths are the default interface).")
ts("Responses by status class",
   [(f'sum by (status_class) (rate(sluice_responses_total{{{SEL}}}[{R}]))', "{{status_class}}")],
   "reqps", stack=True)
ts("Body throughput",
   [(f'sum by (direction, side) (rate(sluice_body_bytes_total{{{SEL}}}[{R}]))', "{{direction}} {{side}}")],
   "Bps", desc="in: received by Sluice; out: forwarded after redaction.")
ts("Body size p95",
   [(f'histogram_quantile(0.95, sum by (direction, le) (rate(sluice_body_size_bytes_bucket{{{SEL}}}[{R}])))', "{{direction}}")],
   "bytes")
ts("Outcomes (non-ok)",
   [(f'sum by (outcome) (rate(sluice_responses_total{{{SEL}, outcome!="ok"}}[{R}]))', "{{outcome}}")],
   "reqps", stack=True)
ts("Upstream errors by kind",
   [(f'sum by (kind) (rate(sluice_upstream_errors_total{{{SEL}}}[{R}]))', "{{kind}}")],
   "reqps", stack=True)

newrow("Findings")
ts("Findings by class",
   [(f'sum by (class) (rate(sluice_findings_total{{{SEL}}}[{R}]))', "{{class}}")],
   "ops", stack=True, desc="Sensitive values found per second (all actions except allow).")
ts("Findings by grade",
   [(f'sum by (grade) (rate(sluice_findings_total{{{SEL}}}[{R}]))', "{{grade}}")],
   "ops", stack=True)
ts("Findings by action",
   [(f'sum by (action) (rate(sluice_findings_total{{{SEL}}}[{R}]))', "{{action}}")],
   "ops", stack=True)
ts("Top rules",
   [(f'topk(10, sum by (rule) (rate(sluice_rule_findings_total{{namespace=~"$namespace"}}[{R}])))', "{{rule}}")],
   "ops", w=12)
ts("Distinct sensitive values (window)",
   [(f'max by (interface, class) (sluice_distinct_values{{{SEL}}})', "{{interface}} {{class}}")],
   "short", w=12, desc="Estimated distinct values per interface and class over metrics.distinct_window; bulk exfiltration shows here first.")

newrow("Enforcement")
ts("Blocks",
   [(f'sum by (interface, direction) (rate(sluice_blocks_total{{{SEL}}}[{R}]))', "{{interface}} {{direction}}")],
   "reqps")
ts("Redactions",
   [(f'sum by (interface, direction) (rate(sluice_redactions_total{{{SEL}}}[{R}]))', "{{interface}} {{direction}}")],
   "reqps", desc="Messages forwarded with at least one value masked.")
ts("Over-scope events",
   [(f'sum by (interface, class) (rate(sluice_over_scope_total{{{SEL}}}[{R}]))', "{{interface}} {{class}}")],
   "ops")

newrow("Limits")
ts("Rate-limit decisions",
   [(f'sum by (interface, decision) (rate(sluice_rate_limit_decisions_total{{{SEL}}}[{R}]))', "{{interface}} {{decision}}")],
   "reqps")
ts("Decompression caps / coding mismatches",
   [(f'sum by (interface, direction) (rate(sluice_decompression_caps_total{{{SEL}}}[{R}]))', "cap {{interface}} {{direction}}"),
    (f'sum by (interface, direction) (rate(sluice_coding_mismatches_total{{{SEL}}}[{R}]))', "mismatch {{interface}} {{direction}}")],
   "reqps", desc="Bodies cut off by a decompression cap, and bodies whose bytes carried another coding than declared.")
ts("Fail-open / fail-closed events",
   [(f'sum by (mode, reason) (rate(sluice_fail_events_total{{{SEL}}}[{R}]))', "{{mode}} {{reason}}")],
   "ops")
ts("Audit records dropped",
   [(f'sum by (reason) (rate(sluice_audit_records_dropped_total{{namespace=~"$namespace"}}[{R}]))', "{{reason}}")],
   "ops", w=12)
ts("Inventory: observed templates",
   [('max(sluice_inventory_templates{namespace=~"$namespace"})', "templates"),
    (f'sum(rate(sluice_inventory_overflow_total{{namespace=~"$namespace"}}[{R}]))', "untracked req/s")],
   "short", w=12)

newrow("Latency")
ts("Inspection latency",
   [(f'histogram_quantile(0.5, sum by (direction, le) (rate(sluice_inspection_duration_seconds_bucket{{{SEL}}}[{R}])))', "p50 {{direction}}"),
    (f'histogram_quantile(0.99, sum by (direction, le) (rate(sluice_inspection_duration_seconds_bucket{{{SEL}}}[{R}])))', "p99 {{direction}}")],
   "s", desc="Time Sluice spends decoding, scanning and redacting one body. Objective: p99 < 50 ms.")
ts("Upstream latency (to response head)",
   [(f'histogram_quantile(0.5, sum by (le) (rate(sluice_upstream_duration_seconds_bucket{{{SEL}}}[{R}])))', "p50"),
    (f'histogram_quantile(0.99, sum by (le) (rate(sluice_upstream_duration_seconds_bucket{{{SEL}}}[{R}])))', "p99")],
   "s")
ts("Exchange duration",
   [(f'histogram_quantile(0.5, sum by (le) (rate(sluice_request_duration_seconds_bucket{{{SEL}}}[{R}])))', "p50"),
    (f'histogram_quantile(0.99, sum by (le) (rate(sluice_request_duration_seconds_bucket{{{SEL}}}[{R}])))', "p99")],
   "s")

newrow("Reload")
stat("Last reload", 'min(sluice_rules_last_reload_successful{namespace=~"$namespace"})', "none",
     mappings=[{"type": "value", "options": {"0": {"text": "FAILED", "color": "red"},
                                            "1": {"text": "OK", "color": "green"}}}],
     thresholds={"mode": "absolute", "steps": [{"color": "red", "value": None},
                                                {"color": "green", "value": 1}]})
stat("Since last successful load",
     'time() - max(sluice_rules_last_reload_success_timestamp_seconds{namespace=~"$namespace"})', "s")
stat("Rules loaded", 'max(sluice_rules_loaded{namespace=~"$namespace"})', "short")
stat("Rule set hash", 'count by (hash) (sluice_rules_info{namespace=~"$namespace"})', "short",
     legend="{{hash}}", desc="More than one hash means pods run different rule sets (a rollout or a failed reload).")
ts("Reload attempts by result",
   [(f'sum by (trigger, result) (increase(sluice_reloads_total{{namespace=~"$namespace"}}[{R}]))', "{{trigger}} {{result}}")],
   "short", w=12)
stat("Build", 'count by (version) (sluice_build_info{namespace=~"$namespace"})', "short", w=12,
     legend="{{version}}")

dashboard = {
    "title": "Sluice",
    "uid": "sluice-dlp",
    "description": "Sluice DLP sidecar: flows, findings, enforcement, limits, latency, reload state.",
    "tags": ["sluice", "dlp"],
    "schemaVersion": 39,
    "version": 1,
    "editable": True,
    "refresh": "30s",
    "time": {"from": "now-6h", "to": "now"},
    "timezone": "",
    "graphTooltip": 1,
    "templating": {"list": [
        {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Data source",
         "current": {}, "hide": 0, "refresh": 1},
        {"name": "namespace", "type": "query", "label": "Namespace", "datasource": DS,
         "query": {"query": "label_values(sluice_build_info, namespace)", "refId": "ns"},
         "definition": "label_values(sluice_build_info, namespace)",
         "multi": True, "includeAll": True, "allValue": ".*", "refresh": 2, "sort": 1,
         "current": {}, "hide": 0},
        {"name": "interface", "type": "query", "label": "Interface", "datasource": DS,
         "query": {"query": 'label_values(sluice_requests_total{namespace=~"$namespace"}, interface)',
                   "refId": "iface"},
         "definition": 'label_values(sluice_requests_total{namespace=~"$namespace"}, interface)',
         "multi": True, "includeAll": True, "allValue": ".*", "refresh": 2, "sort": 1,
         "current": {}, "hide": 0},
    ]},
    "annotations": {"list": [
        {"name": "Reloads", "datasource": DS, "enable": True, "iconColor": "orange",
         "expr": 'changes(sluice_rules_last_reload_success_timestamp_seconds{namespace=~"$namespace"}[2m]) > 0',
         "titleFormat": "rules reloaded", "step": "60s"},
    ]},
    "panels": panels,
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sluice.json")
with open(out, "w", encoding="utf-8") as f:
    json.dump(dashboard, f, indent=2, ensure_ascii=False)
    f.write("\n")
