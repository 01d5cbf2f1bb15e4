#!/usr/bin/env bash
# render-rules.sh <out.yaml>: the chart's PrometheusRule as `helm template` renders it with the chart's defaults (as if
# the cluster had its CRD), written as a Prometheus rule file (its spec). Used by e2e/alert-rules.sh (promtool) and
# e2e/prometheus.sh (a real Prometheus). Needs $HELM (source e2e/toolchain/env.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$HELM" template sto "$here/../../helm/slack-token-operator" --namespace slack-token-operator \
  --api-versions monitoring.coreos.com/v1/PrometheusRule --set metrics.prometheusRule.enabled=true \
  --set publicUrl=https://slack-tokens.example.com --set slackApp.existingSecret=slack-app \
  --show-only templates/prometheusrule.yaml | python3 -c '
import sys, yaml
rule = yaml.safe_load(sys.stdin)
assert rule["kind"] == "PrometheusRule", rule["kind"]
yaml.safe_dump(rule["spec"], open(sys.argv[1], "w"), sort_keys=False)
' "$1"
