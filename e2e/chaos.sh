#!/usr/bin/env bash
# Chaos: N connections with short tokens, two operator "Pods" (each restarted when it dies, as a kubelet would, with
# the same identity), the leader killed with -9 at random moments while refreshes run — a third of Slack's refresh
# answers are slowed down so that many kills land inside a refresh, between Slack's answer and the store write — until
# enough refreshes happened; once per simulator reuse policy (what Slack answers to a refresh token reused inside
# its grace period is not published). Counted, per policy:
#   lost      connections not Ready at the end (a refresh token lost or refused),
#   reused    refresh tokens used after their grace period (Slack's counter), and refreshes Slack rejected,
#   invalid   a workload Secret that served a token Slack does not accept for longer than one refresh interval.
# Goal: 0, 0, 0. Ends with "N passed, N failed".
#
# With CHAOS_UNSEEN=1 (the default) Slack also hides some outcomes (issue 18): 5 % of the refreshes rotate the pair and
# answer 503, 3 % rotate it and answer only after the operator's 15 s read timeout.
#
# Quick (CI) defaults; the long run of issues 9 and 18 is
#   CHAOS_CONNECTIONS=100 CHAOS_REFRESHES=1000 CHAOS_POLICIES="MINT_NEW RETURN_SAME INVALIDATE_EARLIER" e2e/chaos.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=e2e/lib.sh
source "$here/lib.sh"
trap pod_cleanup EXIT
connections=${CHAOS_CONNECTIONS:-12}
target=${CHAOS_REFRESHES:-60}
policies=${CHAOS_POLICIES:-INVALIDATE_EARLIER}
lifetime=${CHAOS_TOKEN_LIFETIME:-40}
grace=${CHAOS_GRACE_SECONDS:-30}
max_minutes=${CHAOS_MAX_MINUTES:-10}
unseen=${CHAOS_UNSEEN:-1}
sim_port=$(free_port)
port_a=$(free_port)
port_b=$(free_port)

out=$(install_chart "http://localhost:$port_a" "http://localhost:$sim_port") || fail "helm install" "$out"
k wait --for condition=established --timeout=60s crd/slackuserconnections.slacktokens.dev >/dev/null
operator_kubeconfig "$logs/operator.kubeconfig"
# A Lease left by an earlier suite would keep these operators followers for its whole duration.
k delete lease slack-token-operator -n "$opns" --ignore-not-found >/dev/null 2>&1 || true
start_simulator "$sim_port"
wait_http "http://localhost:$sim_port/_sim/stats"

# checker <namespace>: every 3 s, asks Slack about every workload Secret's token; prints the longest run (in s) of a
# connection serving a token Slack refuses, as "max_invalid_seconds=<n>" when told to stop.
checker() {
  python3 - "$1" "$KUBECTL" "http://localhost:$sim_port" "$logs/stop-checker" <<'PY'
import base64, json, os, subprocess, sys, time, urllib.request
ns, kubectl, sim, stop = sys.argv[1:5]
bad_since, worst = {}, 0.0
while not os.path.exists(stop):
    out = subprocess.run([kubectl, "get", "secrets", "-n", ns, "-l", "slacktokens.dev/role=workload", "-o", "json"],
                         capture_output=True, text=True)
    now = time.time()
    try:
        items = json.loads(out.stdout)["items"]
    except Exception:
        time.sleep(3); continue
    for s in items:
        name, data = s["metadata"]["name"], s.get("data") or {}
        token = base64.b64decode(data["access_token"]).decode() if "access_token" in data else None
        ok = False
        if token:
            req = urllib.request.Request(sim + "/api/auth.test", data=b"", headers={"Authorization": "Bearer " + token})
            try:
                ok = json.load(urllib.request.urlopen(req, timeout=5)).get("ok", False)
            except Exception:
                ok = True  # the simulator busy is not the workload's problem
        if ok:
            bad_since.pop(name, None)
        else:
            bad_since.setdefault(name, now)
            worst = max(worst, now - bad_since[name])
    time.sleep(3)
print("max_invalid_seconds=%d" % worst)
PY
}

for policy in $policies; do
  ns="chaos-$(tr 'A-Z_' 'a-z-' <<<"$policy")-$RANDOM"
  k create ns "$ns" >/dev/null
  curl -fs -X POST "http://localhost:$sim_port/_sim/reset" >/dev/null
  sim PUT /_sim/settings "{\"tokenLifetimeSeconds\":$lifetime,\"refreshGraceSeconds\":$grace,\"reusePolicy\":\"$policy\"}"
  rm -f "$logs/stop" "$logs/stop-checker"
  pod chaos-a "$port_a" "$port_a" "$sim_port" "${lease_env[@]}" &
  pod_a=$!
  pod chaos-b "$port_b" "$port_a" "$sim_port" "${lease_env[@]}" &
  pod_b=$!
  wait_http "http://localhost:$port_a/q/health/live" && wait_http "http://localhost:$port_b/q/health/live"

  authorized=$(authorize_connections "$ns" "$connections" U0CHAOS)
  [ "$authorized" = "$connections" ] && ok "$policy: $connections connections authorized" \
    || fail "$policy: $connections connections authorized" "$authorized"
  # From now on a third of the refresh answers take 1.5 s: many kills land between Slack's answer and the write.
  sim POST /_sim/faults '{"method":"oauth.v2.access","latencyMillis":1500,"probability":0.33}'
  if [ "$unseen" = 1 ]; then
    sim POST /_sim/faults '{"method":"oauth.v2.access","httpStatus":503,"afterAction":true,"probability":0.05}'
    sim POST /_sim/faults '{"method":"oauth.v2.access","latencyMillis":16000,"afterAction":true,"probability":0.03}'
  fi
  checker "$ns" >"$logs/checker-$ns.out" &
  checker_pid=$!

  kills=0
  started=$SECONDS
  while [ "$(sim_stat refreshes)" -lt "$target" ] && [ $((SECONDS - started)) -lt $((max_minutes * 60)) ]; do
    sleep $((4 + RANDOM % 10))
    leader=$(k get lease slack-token-operator -n "$opns" -o jsonpath='{.spec.holderIdentity}' 2>/dev/null || true)
    pid=$(cat "$logs/$leader.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
  done
  refreshes=$(sim_stat refreshes)
  echo "     $policy: $refreshes refreshes, $kills kills of the leader in $((SECONDS - started)) s;" \
    "$(sim_stat faults_after_action) answers hidden after Slack rotated (503 or past the read timeout)"
  [ "$refreshes" -ge "$target" ] && ok "$policy: $refreshes refreshes with $kills kills of the leader" \
    || fail "$policy: $target refreshes within $max_minutes min" "$refreshes"

  # Quiet: no more kills, no more slow answers; give the last leader time to resume and catch up.
  curl -fs -X DELETE "http://localhost:$sim_port/_sim/faults" >/dev/null
  ready=0
  for _ in $(seq 1 90); do
    ready=$(k get suc -n "$ns" -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' \
      | grep -c True || true)
    [ "$ready" = "$connections" ] && break
    sleep 1
  done
  touch "$logs/stop-checker"
  wait "$checker_pid" || true
  [ "$ready" = "$connections" ] && ok "$policy: lost 0 (all $connections Ready after the chaos)" \
    || fail "$policy: lost 0" "$((connections - ready)) not Ready: $(k get suc -n "$ns" --no-headers | grep -v True | head -5)"
  reused=$(sim_stat refresh_reuse_after_grace)
  rejected=$(sim_stat refresh_rejected)
  within=$(sim_stat refresh_reuse_within_grace)
  [ "$reused" = 0 ] && [ "$rejected" = 0 ] \
    && ok "$policy: refresh tokens used after grace 0, rejected 0 (reused inside the grace: $within)" \
    || fail "$policy: refresh tokens used after grace 0, rejected 0" "after grace $reused, rejected $rejected"
  invalid=$(sed -n 's/^max_invalid_seconds=//p' "$logs/checker-$ns.out")
  # "Longer than one refresh": the refresh margin is half the lifetime.
  [ -n "$invalid" ] && [ "$invalid" -le $((lifetime / 2)) ] \
    && ok "$policy: no workload Secret served an invalid token for longer than one refresh (worst ${invalid} s)" \
    || fail "$policy: no workload Secret served an invalid token for longer than one refresh" "worst ${invalid:-?} s"

  leak_scan "$ns" && ok "$policy: no token in any log, Event or status" || fail "$policy: no token in any log, Event or status"

  # Remove this round's connections while the operators still run (their finalizers revoke the tokens), so that
  # none is still refreshing when the next round resets the simulator (its refreshes would count as rejected there).
  k delete ns "$ns" --wait=true --timeout=180s >/dev/null 2>&1 || true
  touch "$logs/stop"
  for p in chaos-a chaos-b; do kill -9 "$(cat "$logs/$p.pid")" 2>/dev/null || true; done
  wait "$pod_a" "$pod_b" 2>/dev/null || true
  k delete lease slack-token-operator -n "$opns" >/dev/null 2>&1 || true
  # Keep each round's operator logs apart (the next round's Pods start their numbering again).
  mkdir -p "$logs/$policy" && mv "$logs"/chaos-*.log "$logs/$policy/" 2>/dev/null || true
done

summary chaos
