#!/usr/bin/env bash
# The chart's alerts, evaluated by Prometheus's own rule engine: renders the PrometheusRule with the chart's defaults
# (helm template), then `promtool check rules` and `promtool test rules e2e/alerts/prometheusrule.test.yaml` (each
# alert fires when it should and stays silent when it should). promtool is built once from the Go module proxy
# (e2e/toolchain/prometheus/go.mod) into the cache. No cluster needed. Ends with "N passed, N failed".
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=e2e/toolchain/env.sh
source "$here/toolchain/env.sh"
command -v go >/dev/null 2>&1 || export PATH="$PATH:/usr/local/go/bin"
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; [ -n "${2:-}" ] && echo "$2" | sed 's/^/       /'; return 0; }
work="$(mktemp -d /tmp/slack-token-operator-alerts.XXXXXX)"
trap 'rm -rf "$work"' EXIT

[ -x "$PROMTOOL" ] && [ -x "$PROMETHEUS" ] && [ -x "$HELM" ] || "$here/toolchain/build.sh" --monitoring
promtool="$PROMTOOL"

# The PrometheusRule as the chart renders it, as a Prometheus rule file.
"$here/alerts/render-rules.sh" "$work/rules.yaml"
cp "$here/alerts/prometheusrule.test.yaml" "$work/"

if out=$("$promtool" check rules "$work/rules.yaml" 2>&1); then ok "promtool check rules: $(grep -o '[0-9]* rules found' <<<"$out")"
else fail "promtool check rules" "$out"; fi
# every alert of the chart has a test
alerts=$(python3 -c "import yaml,sys; print(' '.join(r['alert'] for g in yaml.safe_load(open(sys.argv[1]))['groups'] for r in g['rules'] if 'alert' in r))" "$work/rules.yaml")
for a in $alerts; do
  if grep -q "alertname: $a\$" "$work/prometheusrule.test.yaml"; then ok "alert $a has tests"; else fail "alert $a has tests"; fi
done
if out=$(cd "$work" && "$promtool" test rules prometheusrule.test.yaml 2>&1); then ok "promtool test rules: every alert fires and stays silent as tested"
else fail "promtool test rules" "$out"; fi

echo "alert-rules: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
