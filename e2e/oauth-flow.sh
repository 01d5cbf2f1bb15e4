#!/usr/bin/env bash
# End-to-end OAuth flow on a real kube-apiserver: the packaged operator (prod profile, server-side apply on) and
# the standalone Slack simulator run as local JVM processes; a curl "browser" with a cookie jar follows the
# authorize link; the workload Secret and status are checked with kubectl.
# Needs a running cluster (e2e/cluster.sh start), KUBECONFIG pointing at it, and target/quarkus-app built.
# Ends with "N passed, N failed".
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=e2e/toolchain/env.sh
source "$here/toolchain/env.sh"
k() { "$KUBECTL" "$@"; }
jar="$repo/target/quarkus-app/quarkus-run.jar"
[ -f "$jar" ] || { echo "oauth-flow: build first (./mvnw package)"; exit 1; }

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; [ -n "${2:-}" ] && echo "$2" | sed 's/^/       /'; return 0; }
check() { local name="$1"; shift; if "$@" >/dev/null 2>&1; then ok "$name"; else fail "$name"; fi; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
logs="$(mktemp -d /tmp/slack-token-operator-oauth-flow.XXXXXX)"
sim_port=$(free_port)
op_port=$(free_port)
ns="oauth-flow-$RANDOM"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  k delete ns "$ns" --wait=false >/dev/null 2>&1 || true
}
trap cleanup EXIT

k apply -f "$repo/crds/" >/dev/null
k wait --for condition=established --timeout=60s crd/slackuserconnections.slacktokens.dev >/dev/null
k create ns slack-token-operator >/dev/null 2>&1 || true
k create ns "$ns" >/dev/null

java -Dquarkus.profile=simulator -Dquarkus.http.port="$sim_port" -jar "$jar" >"$logs/simulator.log" 2>&1 &
pids+=($!)
SLACK_OPERATOR_PUBLIC_URL="http://localhost:$op_port" \
SLACK_OPERATOR_SLACK_BASE_URL="http://localhost:$sim_port" \
SLACK_OPERATOR_SLACK_CLIENT_ID=1111.2222 \
SLACK_OPERATOR_SLACK_CLIENT_SECRET=sim-client-secret \
  java -Dquarkus.http.port="$op_port" -jar "$jar" >"$logs/operator.log" 2>&1 &
pids+=($!)

wait_http() { for _ in $(seq 1 120); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.5; done; return 1; }
check "the standalone simulator starts" wait_http "http://localhost:$sim_port/_sim/stats"
check "the operator starts" wait_http "http://localhost:$op_port/q/health/live"

k apply -n "$ns" -f "$repo/deploy/examples/minimal.yaml" >/dev/null
link=""
for _ in $(seq 1 60); do
  link=$(k get suc slack-user -n "$ns" -o jsonpath='{.status.authorizeUrl}' 2>/dev/null || true)
  [ -n "$link" ] && break; sleep 0.5
done
if [[ "$link" == "http://localhost:$op_port/oauth/start?c="* ]]; then ok "status.authorizeUrl is published"
else fail "status.authorizeUrl is published" "$link"; fi
reason=$(k get suc slack-user -n "$ns" -o jsonpath='{.status.conditions[?(@.type=="Ready")].reason}')
[ "$reason" = "AwaitingAuthorization" ] && ok "Ready=False AwaitingAuthorization before consent" \
  || fail "Ready=False AwaitingAuthorization before consent" "$reason"

page=$(curl -s -L -c "$logs/cookies" -b "$logs/cookies" -w '\n%{http_code}' "$link")
code=$(tail -1 <<<"$page")
if [ "$code" = 200 ] && grep -q "Connected" <<<"$page"; then ok "a browser with cookies completes consent and callback"
else fail "a browser with cookies completes consent and callback" "$page"; fi

if k wait --for=jsonpath='{.status.conditions[?(@.type=="Ready")].status}'=True suc/slack-user -n "$ns" \
    --timeout=30s >/dev/null 2>&1; then ok "Ready=True after the callback"; else fail "Ready=True after the callback"; fi

keys=$(k get secret slack-user -n "$ns" -o go-template='{{range $k, $v := .data}}{{$k}} {{end}}' 2>&1 || true)
[ "$keys" = "access_token expires_at scope team_id token_type user_id " ] \
  && ok "workload Secret has exactly the documented keys (no refresh token)" \
  || fail "workload Secret has exactly the documented keys (no refresh token)" "$keys"
owner=$(k get secret slack-user -n "$ns" -o jsonpath='{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}')
[ "$owner" = "SlackUserConnection/slack-user" ] && ok "workload Secret is owned by the connection" \
  || fail "workload Secret is owned by the connection" "$owner"
manager=$(k get secret slack-user -n "$ns" -o jsonpath='{.metadata.managedFields[*].manager}')
[ "$manager" = "slack-token-operator" ] && ok "workload Secret is written by server-side apply (one field manager)" \
  || fail "workload Secret is written by server-side apply (one field manager)" "$manager"

token=$(k get secret slack-user -n "$ns" -o jsonpath='{.data.access_token}' | base64 -d)
auth=$(curl -s -H "Authorization: Bearer $token" -X POST "http://localhost:$sim_port/api/auth.test")
grep -q '"ok":true' <<<"$auth" && ok "Slack (simulator) accepts the projected token" \
  || fail "Slack (simulator) accepts the projected token" "$auth"

row=$(k get suc slack-user -n "$ns" --no-headers | tr -s ' ')
if [[ "$row" == "slack-user True U0SIM0001 Simulated Workspace 20"* ]]; then ok "kubectl get suc: $row"
else fail "kubectl get suc shows Ready, user, team and expiry" "$row"; fi

k delete secret slack-user -n "$ns" >/dev/null
restored=""
for _ in $(seq 1 40); do
  restored=$(k get secret slack-user -n "$ns" -o jsonpath='{.data.access_token}' 2>/dev/null | base64 -d || true)
  [ -n "$restored" ] && break; sleep 0.5
done
[ "$restored" = "$token" ] && ok "a deleted workload Secret comes back" || fail "a deleted workload Secret comes back"

store=$(k get secret -n slack-token-operator -l slacktokens.dev/role=token-store,slacktokens.dev/connection=slack-user \
  -o jsonpath='{.items[0].data.refresh_token}' | base64 -d)
[[ "$store" == xoxe-1-* ]] && ok "the refresh token is only in the token store (operator namespace)" \
  || fail "the refresh token is only in the token store (operator namespace)"

if grep -qF "$token" "$logs"/*.log || grep -qF "$store" "$logs"/*.log; then fail "no token in the operator or simulator logs"
else ok "no token in the operator or simulator logs"; fi

echo "oauth-flow: $passed passed, $failed failed"
[ "$failed" -eq 0 ] || { echo "logs kept in $logs"; exit 1; }
rm -rf "$logs"
