#!/usr/bin/env bash
# Copies the monitoring material of dashboards/ into the chart (helm/sluice/files/): helm can only
# read files inside the chart directory (.Files.Get), and dashboards/ is where the alert rules and
# the Grafana dashboard are written and tested (issue 5).
#
#   helm/sync-dashboards.sh           copy (run after editing anything in dashboards/)
#   helm/sync-dashboards.sh --check   exit 1 if a copy differs from its source (CI)
#
# A source that does not exist (yet) is skipped; its stale copy, if any, is removed (or reported).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DST="$ROOT/helm/sluice/files"
# source (relative to the repository)      copy (in files/)
PAIRS=(
    "dashboards/sluice.rules.yml            sluice.rules.yml"
    "dashboards/prometheusrule.yaml         prometheusrule.yaml"
    "dashboards/grafana/sluice.json         sluice.json"
)
check=0; [ "${1:-}" = --check ] && check=1
bad=0
mkdir -p "$DST"
for pair in "${PAIRS[@]}"; do
    read -r src copy <<<"$pair"
    if [ -f "$ROOT/$src" ]; then
        if ! cmp -s "$ROOT/$src" "$DST/$copy"; then
            if [ "$check" = 1 ]; then echo "out of sync: helm/sluice/files/$copy (source $src)"; bad=1
            else cp "$ROOT/$src" "$DST/$copy"; echo "copied $src → helm/sluice/files/$copy"; fi
        fi
    elif [ -f "$DST/$copy" ]; then
        if [ "$check" = 1 ]; then echo "stale: helm/sluice/files/$copy (no $src)"; bad=1
        else rm -f "$DST/$copy"; echo "removed helm/sluice/files/$copy ($src is gone)"; fi
    fi
done
if [ "$bad" = 1 ]; then echo "run helm/sync-dashboards.sh and commit helm/sluice/files/"; exit 1; fi
[ "$check" = 1 ] && echo "helm/sluice/files in sync with dashboards/"
exit 0
