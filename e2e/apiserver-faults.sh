#!/usr/bin/env bash
# API server faults while tokens rotate, with two operator "Pods" (restarted when they die, as a kubelet would):
#   1. a concurrent writer annotating every token store twice a second (compare-and-set conflicts on the store);
#   2. the API server stopped for APISERVER_DOWN_SECONDS (default 60) during refreshes, then started again: requests
#      are refused and every watch drops; the leader cannot renew its Lease and exits, the Pods restart.
# Counted: connections not Ready afterwards (lost), refresh tokens used after their grace period or rejected, and the
# refreshes that lost a compare-and-set race. Goal: 0 lost, 0 reused, recovery without a human.
# Ends with "N passed, N failed".
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=e2e/lib.sh
source "$here/lib.sh"
trap pod_cleanup EXIT
connections=${FAULTS_CONNECTIONS:-8}
lifetime=${FAULTS_TOKEN_LIFETIME:-30}
grace=${FAULTS_GRACE_SECONDS:-30}
down=${APISERVER_DOWN_SECONDS:-60}
sim_port=$(free_port)
port_a=$(free_port)
port_b=$(free_port)
ns="apifaults-$RANDOM"

local_operator_setup "$port_a" "$ns"
sim PUT /_sim/settings "{\"tokenLifetimeSeconds\":$lifetime,\"refreshGraceSeconds\":$grace}"
pod faults-a "$port_a" "$port_a" "$sim_port" "${lease_env[@]}" &
pod faults-b "$port_b" "$port_a" "$sim_port" "${lease_env[@]}" &
wait_http "http://localhost:$port_a/q/health/live" && wait_http "http://localhost:$port_b/q/health/live"

authorized=$(authorize_connections "$ns" "$connections" U0FAULT)
[ "$authorized" = "$connections" ] && ok "$connections connections authorized" \
  || fail "$connections connections authorized" "$authorized"

all_ready() {
  local ready
  ready=$(k get suc -n "$ns" -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' \
    2>/dev/null | grep -c True || true)
  [ "$ready" = "$connections" ]
}
wait_all_ready() { for _ in $(seq 1 "$1"); do all_ready && return 0; sleep 1; done; return 1; }
# Refreshes that lost a compare-and-set race and were decided again (the operators' own metric).
superseded() {
  local total=0 n p
  for p in "$port_a" "$port_b"; do
    n=$(curl -s "http://localhost:$p/q/metrics" | sed -n 's/^slack_token_refreshes_total{result="superseded"} \([0-9.]*\).*/\1/p')
    total=$(python3 -c "print(int($total + float('${n:-0}' or 0)))")
  done
  echo "$total"
}

# 1. A concurrent writer on every token store for a token lifetime.
before=$(sim_stat refreshes)
end=$((SECONDS + lifetime))
touches=0
while [ "$SECONDS" -lt "$end" ]; do
  k annotate secrets -n "$opns" -l slacktokens.dev/role=token-store --overwrite "e2e.slacktokens.dev/touch=$touches" \
    >/dev/null 2>&1 && touches=$((touches + 1))
  sleep 0.5
done
during=$(( $(sim_stat refreshes) - before ))
[ "$during" -ge "$connections" ] && ok "refreshes go on under a concurrent store writer ($during refreshes, $touches rounds of writes)" \
  || fail "refreshes go on under a concurrent store writer" "$during refreshes"
check "all Ready after the concurrent writer" wait_all_ready 60
echo "     refreshes that lost a compare-and-set race and were decided again (metric, both Pods): $(superseded)"

# 2. The API server stopped during refreshes.
before=$(sim_stat refreshes)
down_started=$SECONDS
"$here/cluster.sh" apiserver-down "$down" >"$logs/apiserver-down.log" 2>&1 \
  && ok "the API server was down for ${down} s and came back" || fail "the API server came back" "$(cat "$logs/apiserver-down.log")"
back=$SECONDS
if wait_all_ready 180; then
  ok "all $connections Ready again $((SECONDS - back)) s after the API server came back, without a human"
else
  fail "all Ready again after the outage" "$(k get suc -n "$ns" --no-headers 2>&1 | grep -v True | head -5)"
fi
# One more full rotation after the outage, so that every connection proves it still holds a working refresh token.
after=$(sim_stat refreshes)
for _ in $(seq 1 $((2 * lifetime))); do
  [ $(( $(sim_stat refreshes) - after )) -ge "$connections" ] && break
  sleep 1
done
[ $(( $(sim_stat refreshes) - after )) -ge "$connections" ] && ok "every connection rotates again after the outage" \
  || fail "every connection rotates again after the outage" "$(( $(sim_stat refreshes) - after )) refreshes"
restarts=$(ls "$logs"/faults-*.log | wc -l)
echo "     outage: $((back - down_started)) s; operator processes started in total: $restarts"
reused=$(sim_stat refresh_reuse_after_grace)
rejected=$(sim_stat refresh_rejected)
[ "$reused" = 0 ] && [ "$rejected" = 0 ] \
  && ok "no refresh token used after its grace period, none rejected (reused inside the grace: $(sim_stat refresh_reuse_within_grace))" \
  || fail "no refresh token used after its grace period, none rejected" "after grace $reused, rejected $rejected"
accepted=0
for i in $(seq 1 "$connections"); do
  token=$(k get secret "c$i" -n "$ns" -o jsonpath='{.data.access_token}' | base64 -d)
  curl -s -H "Authorization: Bearer $token" -X POST "http://localhost:$sim_port/api/auth.test" | grep -q '"ok":true' \
    && accepted=$((accepted + 1))
done
[ "$accepted" = "$connections" ] && ok "every workload Secret holds a token Slack accepts" \
  || fail "every workload Secret holds a token Slack accepts" "$accepted of $connections"

leak_scan "$ns" && ok "no token in any log, Event or status" || fail "no token in any log, Event or status"

summary apiserver-faults
