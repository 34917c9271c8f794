#!/usr/bin/env python3
"""Writes prometheusrule.yaml (a Helm template of a PrometheusRule) from sluice.rules.yml.

The rule file is the source of truth; the template is the same groups, with Prometheus's own
`{{ ... }}` annotation templates escaped for Helm and the runbook links prefixed with the
chart's `prometheusRule.runbookBaseUrl`. `check.sh` regenerates it and fails on a difference,
so the two cannot drift. Usage: gen-prometheusrule.py [OUT] (default: prometheusrule.yaml).
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

HEADER = """\
{{- /* Generated from dashboards/sluice.rules.yml by dashboards/gen-prometheusrule.py. Do not edit. */ -}}
{{- if .Values.prometheusRule.enabled }}
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: {{ .Release.Name }}-sluice
  namespace: {{ .Release.Namespace }}
  labels:
    app.kubernetes.io/name: sluice
    app.kubernetes.io/instance: {{ .Release.Name }}
    {{- with .Values.prometheusRule.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
"""
FOOTER = "{{- end }}\n"


def escape(text: str) -> str:
    # Prometheus templates must reach Prometheus verbatim: emit them as Helm string literals.
    return re.sub(r"\{\{|\}\}", lambda m: '{{ "' + m.group(0) + '" }}', text)


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "prometheusrule.yaml")
    with open(os.path.join(HERE, "sluice.rules.yml"), encoding="utf-8") as f:
        lines = f.read().splitlines()
    body = []
    started = False
    for line in lines:
        if line.startswith("groups:"):
            started = True
        if not started:
            continue
        line = escape(line)
        line = line.replace(
            'runbook_url: "dashboards/RUNBOOK.md#',
            'runbook_url: "{{ .Values.prometheusRule.runbookBaseUrl }}dashboards/RUNBOOK.md#',
        )
        body.append("  " + line if line else "")
    with open(out, "w", encoding="utf-8") as f:
        f.write(HEADER + "\n".join(body) + "\n" + FOOTER)


if __name__ == "__main__":
    main()
