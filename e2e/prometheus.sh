#!/usr/bin/env bash
# The dashboard and the alerts on a real Prometheus: Prometheus (built from the Go module proxy, e2e/toolchain/
# prometheus) scrapes the operator's /q/metrics as the chart's ServiceMonitor does and evaluates the chart's
# PrometheusRule as rendered (e2e/alerts/render-rules.sh). The suite makes the operator do what the dashboard shows
# (consents, a refused link, a revocation event, a Slack 429, refreshes) and then keeps Slack refusing one connection's
# refreshes: its token expires, the connection turns TokenExpired and SlackTokenExpired must fire. Every query of
# helm/slack-token-operator/files/dashboard.json must return data.
# Needs a running cluster (e2e/cluster.sh start), KUBECONFIG (admin) and target/quarkus-app. Ends with
# "N passed, N failed".
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=e2e/lib.sh
source "$here/lib.sh"
[ -x "$PROMETHEUS" ] || "$here/toolchain/build.sh" --monitoring >/dev/null
sim_port=$(free_port)
op_port=$(free_port)
prom_port=$(free_port)
ns="prometheus-$RANDOM"
prom="http://127.0.0.1:$prom_port"

local_operator_setup "$op_port" "$ns"
# 40 s tokens: refreshed about every 20 s, and expired 40 s after Slack stops refreshing them.
sim PUT /_sim/settings '{"tokenLifetimeSeconds":40}'
start_operator "$op_port" "http://localhost:$op_port" "http://localhost:$sim_port" "$logs/operator.kubeconfig" operator
check "the operator starts" wait_http "http://localhost:$op_port/q/health/live"

# The chart's ServiceMonitor: port http, path /q/metrics (here every 2 s, and rules evaluated every 2 s).
"$here/alerts/render-rules.sh" "$logs/rules.yaml"
cat >"$logs/prometheus.yml" <<YAML
global: {scrape_interval: 2s, evaluation_interval: 2s}
rule_files: [$logs/rules.yaml]
scrape_configs:
  - job_name: slack-token-operator
    metrics_path: /q/metrics
    static_configs: [{targets: ["127.0.0.1:$op_port"], labels: {pod: operator-0}}]
YAML
"$PROMETHEUS" --config.file="$logs/prometheus.yml" --storage.tsdb.path="$logs/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" >"$logs/prometheus.log" 2>&1 &
pids+=($!)
check "Prometheus starts and loads the chart's rules" wait_http "$prom/-/ready"
# query <promql>: the number of series the instant query returns (-1 on an error answer)
query() {
  curl -s --data-urlencode "query=$1" "$prom/api/v1/query" | python3 -c '
import json, sys
r = json.load(sys.stdin)
print(len(r["data"]["result"]) if r.get("status") == "success" else -1)'
}
# has_series <promql>: whether the query returns at least one series now (for wait_until)
has_series() { [ "$(query "$1")" -gt 0 ]; }
alert_state() {
  curl -s "$prom/api/v1/alerts" | python3 -c "
import json, sys
print(' '.join(sorted({a['state'] for a in json.load(sys.stdin)['data']['alerts'] if a['labels']['alertname'] == '$1'})))"
}
# alert_in <alert> <state>...: whether the alert is in one of these states now (for wait_until)
alert_in() { local s; s="$(alert_state "$1")"; shift; [[ " $* " == *" $s "* ]]; }
check "the operator's target is up" wait_until 30 has_series 'up{job="slack-token-operator"} == 1'

# What the dashboard shows: two consents, a refused link, a tokens_revoked event for c2's user (a new consent is
# needed: ReauthorizationRequired), a Slack 429, refreshes.
n=$(authorize_connections "$ns" 2 U0PROM)
[ "$n" = 2 ] && ok "two connections authorized" || fail "two connections authorized" "$n callbacks succeeded"
curl -s -o /dev/null "http://localhost:$op_port/oauth/start?c=forged"
sim POST /_sim/faults '{"method":"oauth.v2.access","httpStatus":429,"retryAfterSeconds":1,"count":1}'
refreshes_at_least() { [ "$(sim_stat refreshes)" -ge "$1" ]; }
check "refreshes happen" wait_until 90 refreshes_at_least 4
# From now on Slack refuses every refresh (503): c1's token expires within 40 s, its Ready turns False TokenExpired
# and the alert (for: 2m) must fire. Meanwhile a tokens_revoked event for c2's user drops c2's tokens.
sim POST /_sim/faults '{"method":"oauth.v2.access","httpStatus":503}'
t0=$SECONDS
sim POST /_sim/events/tokens-revoked "{\"teamId\":\"T0SIM0001\",\"userIds\":[\"U0PROM002\"],\"url\":\"http://localhost:$op_port/slack/events\"}"
if wait_until 60 reason_is c2 ReauthorizationRequired; then
  ok "c2 turns ReauthorizationRequired ($((SECONDS - t0)) s after the tokens_revoked event)"
else fail "c2 turns ReauthorizationRequired" "reason: $(ready_reason c2); $(k get suc c2 -n "$ns" -o jsonpath='{.status.conditions}')"; fi
check "the leader gauge says this replica leads" wait_until 30 has_series 'slack_operator_leader == 1'
check "c1 turns TokenExpired" wait_until 90 reason_is c1 TokenExpired
t_expired=$((SECONDS - t0))
if wait_until 200 alert_in SlackTokenExpired firing; then
  ok "SlackTokenExpired fires (TokenExpired after ${t_expired} s, firing after $((SECONDS - t0)) s; for: 2m)"
else fail "SlackTokenExpired fires" "state: $(alert_state SlackTokenExpired)"; fi
alert_in SlackConnectionsNeedReauthorization pending firing \
  && ok "SlackConnectionsNeedReauthorization is pending for c2 (for: 10m)" \
  || fail "SlackConnectionsNeedReauthorization is pending for c2" "$(alert_state SlackConnectionsNeedReauthorization)"

# Every query of the dashboard returns data ($__rate_interval as Grafana would set it for a 2 s scrape).
while IFS=$'\t' read -r title expr; do
  count="$(query "$expr")"
  if [ "$count" -gt 0 ]; then ok "dashboard: $title ($count series)"; else fail "dashboard: $title" "$expr -> $count"; fi
done < <(python3 -c '
import json, sys
for p in json.load(open(sys.argv[1]))["panels"]:
    for t in p["targets"]:
        print(p["title"] + "\t" + t["expr"].replace("$__rate_interval", "1m"))' "$repo/helm/slack-token-operator/files/dashboard.json")

leak_scan "$ns" && ok "no token in any log, Event or status" || fail "no token in any log, Event or status"
summary prometheus
