#!/usr/bin/env bash
# A leader whose Lease is taken away on a real API server exits non-zero within the renew deadline (so that a stale
# leader can never go on refreshing), while it is idle (no refresh in flight). Ends with "N passed, N failed".
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=e2e/lib.sh
source "$here/lib.sh"
sim_port=$(free_port)
port=$(free_port)

out=$(install_chart "http://localhost:$port" "http://localhost:$sim_port") || fail "helm install" "$out"
operator_kubeconfig "$logs/operator.kubeconfig"
# A Lease left by an earlier suite would keep these operators followers for its whole duration.
k delete lease slack-token-operator -n "$opns" --ignore-not-found >/dev/null 2>&1 || true
start_simulator "$sim_port"
start_operator "$port" "http://localhost:$port" "http://localhost:$sim_port" "$logs/operator.kubeconfig" operator \
  SLACK_OPERATOR_LEADER_ELECTION_IDENTITY=lease-loser "${lease_env[@]}"
pid=$last_pid
check "the operator starts" wait_http "http://localhost:$port/q/health/live"
holder=""
for _ in $(seq 1 60); do
  holder=$(k get lease slack-token-operator -n "$opns" -o jsonpath='{.spec.holderIdentity}' 2>/dev/null || true)
  [ "$holder" = lease-loser ] && break
  sleep 0.5
done
[ "$holder" = lease-loser ] && ok "it holds the Lease" || fail "it holds the Lease" "$holder"

# Someone else takes the Lease (as a new leader would after a network partition), with a fresh renew time.
taken_at=$(date +%s.%N)
now=$(date -u +%Y-%m-%dT%H:%M:%S.000000Z)
k patch lease slack-token-operator -n "$opns" --type merge \
  -p "{\"spec\":{\"holderIdentity\":\"intruder\",\"renewTime\":\"$now\",\"acquireTime\":\"$now\",\"leaseDurationSeconds\":3600}}" \
  >/dev/null
status=""
for _ in $(seq 1 300); do
  if ! kill -0 "$pid" 2>/dev/null; then
    set +e; wait "$pid"; status=$?; set -e
    break
  fi
  sleep 0.1
done
exited_after=$(python3 -c "import time; print(round(time.time() - $taken_at, 1))")
[ -n "$status" ] && [ "$status" != 0 ] && ok "it exits non-zero (status $status, ${exited_after} s after the Lease was taken)" \
  || fail "it exits non-zero" "status '${status:-still running}' after ${exited_after} s"
python3 -c "import sys; sys.exit(0 if $exited_after <= 6 + 1 + 2 else 1)" \
  && ok "within the renew deadline (6 s) plus a retry period and slack (${exited_after} s)" \
  || fail "within the renew deadline" "${exited_after} s"
grep -q "Lost leadership" "$logs/operator.log" && ok "it says why it exits" || fail "it says why it exits" \
  "$(tail -20 "$logs/operator.log")"
[ "$(k get lease slack-token-operator -n "$opns" -o jsonpath='{.spec.holderIdentity}')" = intruder ] \
  && ok "it did not take the Lease back" || fail "it did not take the Lease back"

# Give the Lease back to nobody, for the suites that follow.
k delete lease slack-token-operator -n "$opns" --ignore-not-found >/dev/null 2>&1 || true

summary lease-loss
