#!/usr/bin/env bash
# Two operator processes against the same real API server (chart installed, both on the chart's ServiceAccount):
# exactly one reconciles; kill -9 of the leader during a run of refreshes; the other takes the Lease over within the
# lease duration; afterwards every connection is Ready and Slack (the simulator) saw no refresh token used after its
# grace period: no double refresh, nothing lost. Ends with "N passed, N failed".
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=e2e/lib.sh
source "$here/lib.sh"
sim_port=$(free_port)
port_a=$(free_port)
port_b=$(free_port)
ns="failover-$RANDOM"

out=$(install_chart "http://localhost:$port_a" "http://localhost:$sim_port") || fail "helm install" "$out"
k wait --for condition=established --timeout=60s crd/slackuserconnections.slacktokens.dev >/dev/null
k create ns "$ns" >/dev/null
operator_kubeconfig "$logs/operator.kubeconfig"
start_simulator "$sim_port"
wait_http "http://localhost:$sim_port/_sim/stats"
curl -fs -X PUT -H 'content-type: application/json' -d '{"tokenLifetimeSeconds":20}' \
  "http://localhost:$sim_port/_sim/settings" >/dev/null

declare -A pid_of
start_operator "$port_a" "http://localhost:$port_a" "http://localhost:$sim_port" "$logs/operator.kubeconfig" \
  operator-a SLACK_OPERATOR_LEADER_ELECTION_IDENTITY=operator-a "${lease_env[@]}"
pid_of[operator-a]=$last_pid
start_operator "$port_b" "http://localhost:$port_a" "http://localhost:$sim_port" "$logs/operator.kubeconfig" \
  operator-b SLACK_OPERATOR_LEADER_ELECTION_IDENTITY=operator-b "${lease_env[@]}"
pid_of[operator-b]=$last_pid
check "operator A starts" wait_http "http://localhost:$port_a/q/health/live"
check "operator B starts" wait_http "http://localhost:$port_b/q/health/live"

connections=(alpha beta gamma)
for c in "${connections[@]}"; do
  printf 'apiVersion: slacktokens.dev/v1alpha1\nkind: SlackUserConnection\nmetadata:\n  name: %s\nspec:\n  userScopes: [chat:write]\n' \
    "$c" | k apply -n "$ns" -f - >/dev/null
done
# One Slack user per connection: Slack keeps at most two live access tokens per user and app, so three
# connections of one user would revoke each other's tokens (docs/operations.md).
all_ok=1
for c in "${connections[@]}"; do
  user="U0${c^^}01"
  curl -fs -H 'content-type: application/json' -d "{\"id\":\"$user\",\"teamId\":\"T0SIM0001\",\"name\":\"$c\"}" \
    "http://localhost:$sim_port/_sim/users" >/dev/null
  curl -fs -H 'content-type: application/json' -d "{\"userId\":\"$user\"}" "http://localhost:$sim_port/_sim/consent" \
    >/dev/null
  [ "$(consent "$c" "$ns")" = 200 ] || all_ok=0
done
[ "$all_ok" = 1 ] && ok "three connections authorized" || fail "three connections authorized"
for c in "${connections[@]}"; do
  k wait --for=jsonpath='{.status.conditions[?(@.type=="Ready")].status}'=True "suc/$c" -n "$ns" --timeout=30s \
    >/dev/null 2>&1 || all_ok=0
done
[ "$all_ok" = 1 ] && ok "all Ready" || fail "all Ready"

leader=$(k get lease slack-token-operator -n "$opns" -o jsonpath='{.spec.holderIdentity}')
follower=operator-b
[ "$leader" = operator-b ] && follower=operator-a
[[ "$leader" == operator-[ab] ]] && ok "one operator holds the Lease ($leader)" || fail "one operator holds the Lease" "$leader"

# Let a few refreshes happen (about every 10 s), then check who did them.
sleep 22
refreshes_before=$(curl -s "http://localhost:$sim_port/_sim/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("refreshes",0))')
[ "$refreshes_before" -ge 3 ] && ok "refreshes are running ($refreshes_before so far)" \
  || fail "refreshes are running" "$refreshes_before"
if grep -q "Refreshed " "$logs/$leader.log" && ! grep -q "Refreshed " "$logs/$follower.log"; then
  ok "only the leader ($leader) refreshes; the follower does not reconcile"
else fail "only the leader refreshes" "$(grep -c 'Refreshed ' "$logs/$leader.log") vs $(grep -c 'Refreshed ' "$logs/$follower.log")"; fi

# kill -9 the leader in the middle of the refresh run.
killed_at=$SECONDS
kill -9 "${pid_of[$leader]}"
wait "${pid_of[$leader]}" 2>/dev/null || true
took_over=""
for _ in $(seq 1 60); do
  holder=$(k get lease slack-token-operator -n "$opns" -o jsonpath='{.spec.holderIdentity}' 2>/dev/null || true)
  if [ "$holder" = "$follower" ]; then took_over=$((SECONDS - killed_at)); break; fi
  sleep 0.5
done
if [ -n "$took_over" ] && [ "$took_over" -le 16 ]; then ok "$follower took the Lease over ${took_over}s after kill -9 (lease 8s)"
else fail "$follower takes the Lease over within the lease duration" "holder=$holder after $((SECONDS - killed_at))s"; fi

# Every connection keeps rotating on the new leader, and stays Ready.
declare -A before
for c in "${connections[@]}"; do
  before[$c]=$(k get secret "$c" -n "$ns" -o jsonpath='{.data.access_token}' 2>/dev/null)
done
rotated=0
for _ in $(seq 1 80); do
  rotated=0
  for c in "${connections[@]}"; do
    now=$(k get secret "$c" -n "$ns" -o jsonpath='{.data.access_token}' 2>/dev/null || true)
    [ -n "$now" ] && [ "$now" != "${before[$c]}" ] && rotated=$((rotated + 1))
  done
  [ "$rotated" = 3 ] && break
  sleep 0.5
done
[ "$rotated" = 3 ] && ok "every connection rotated again under the new leader" \
  || fail "every connection rotated again under the new leader" "$rotated of 3"
ready=0
for c in "${connections[@]}"; do
  [ "$(k get suc "$c" -n "$ns" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ] && ready=$((ready + 1))
done
[ "$ready" = 3 ] && ok "all connections Ready after the failover" || fail "all connections Ready after the failover" "$ready"
stats=$(curl -s "http://localhost:$sim_port/_sim/stats")
if grep -qE '"refresh_reuse_after_grace"|"refresh_rejected"' <<<"$stats"; then
  fail "no refresh token used after its grace period, none rejected" "$stats"
else ok "no refresh token used after its grace period, none rejected (Slack's counters)"; fi
accepted=0
answers=""
for c in "${connections[@]}"; do
  token=$(k get secret "$c" -n "$ns" -o jsonpath='{.data.access_token}' | base64 -d)
  answer=$(curl -s -H "Authorization: Bearer $token" -X POST "http://localhost:$sim_port/api/auth.test")
  if grep -q '"ok":true' <<<"$answer"; then accepted=$((accepted + 1)); else answers+="$c: $answer "; fi
done
[ "$accepted" = 3 ] && ok "every workload Secret holds a token Slack accepts" \
  || fail "every workload Secret holds a token Slack accepts" "$answers $stats"

summary leader-failover
