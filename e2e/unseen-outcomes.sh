#!/usr/bin/env bash
# Outcomes the operator cannot see (issue 18) and Ready against the clock (issue 22), on the real control plane with
# the standalone simulator and the operator as local processes:
#   1. late answer: Slack rotates a pair but answers only after the operator's 15 s read timeout, then answers 503 to
#      every refresh for most of its 60 s grace period (reuse policy INVALIDATE_EARLIER: only the newest pair works).
#      The refresh is "in doubt": tried again at once and every 2 s, its answer checked with auth.test.
#   2. clean stop: SIGTERM while a refresh is in flight (Slack answers after 8 s): the refresh finishes and is stored
#      before the Lease is released, and no Slack call leaves the process afterwards.
#   3. Ready never True with an expired token: short tokens, Slack answering 30 % 503s and 20 % 429s; a probe reads
#      every connection's Ready condition and its workload Secret's expires_at twice a second.
#   4. (with e2e/faultproxy) a token store write that lands but whose answer is lost, then the API server refusing
#      writes to token stores for 40 s (longer than store-write-retry) while the Lease keeps being renewed.
#   5. (with e2e/faultproxy) a consent whose token store create lands but whose answer is lost.
#   6. eight concurrent 9 MiB posts to /slack/events: refused with 413 before they are read, memory flat.
# Counted: connections needing re-consent, refresh tokens used after their grace or rejected, probes that saw Ready
# True with an expired token. Ends with "N passed, N failed".
# Knobs: UNSEEN_PROBE_SECONDS (default 120), UNSEEN_PROBE_LIFETIME (default 40 s tokens).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=e2e/lib.sh
source "$here/lib.sh"
probe_seconds=${UNSEEN_PROBE_SECONDS:-120}
probe_lifetime=${UNSEEN_PROBE_LIFETIME:-40}
sim_port=$(free_port)
port=$(free_port)
ns="unseen-$RANDOM"

local_operator_setup "$port" "$ns"
sim PUT /_sim/settings '{"tokenLifetimeSeconds":3600,"refreshGraceSeconds":60,"reusePolicy":"INVALIDATE_EARLIER"}'

# operator <name> [kubeconfig]: one operator process; sets $op_pid
operator() {
  start_operator "$port" "http://localhost:$port" "http://localhost:$sim_port" "${2:-$logs/operator.kubeconfig}" "$1" \
    SLACK_OPERATOR_LEADER_ELECTION_IDENTITY="$1" "${lease_env[@]}"
  op_pid=$last_pid
  wait_http "http://localhost:$port/q/health/live"
}
ready_of() { k get suc "$1" -n "$ns" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}/{.status.conditions[?(@.type=="Ready")].reason}' 2>/dev/null; }
wait_ready() { for _ in $(seq 1 "$2"); do [ "$(ready_of "$1")" = "True/Refreshed" ] && return 0; sleep 1; done; return 1; }
store_of() { k get secret -n "$opns" -l "slacktokens.dev/connection=$1,slacktokens.dev/role=token-store" -o name | head -1; }
refresh_token_digest() { k get -n "$opns" "$(store_of "$1")" -o jsonpath='{.data.refresh_token}' | sha256sum | cut -c1-12; }
works() {
  local token
  token=$(k get secret "$1" -n "$ns" -o jsonpath='{.data.access_token}' | base64 -d)
  curl -s -H "Authorization: Bearer $token" -X POST "http://localhost:$sim_port/api/auth.test" | grep -q '"ok":true'
}
request_refresh() { k annotate suc "$1" -n "$ns" --overwrite "slacktokens.dev/refresh=$2" >/dev/null; }
# oauth.v2.access calls that reached the simulator: carried out, or answered by an injected fault instead
calls() { echo $(( $(sim_stat oauth_v2_access_calls) + $(sim_stat faults_injected) )); }
journal_of() { k get -n "$opns" "$(store_of "$1")" -o jsonpath='{.metadata.annotations.slacktokens\.dev/refresh-journal}'; }
# no_loss <what>: no refresh token used after its grace or rejected (since $reused0/$rejected0), none of the suite's
# connections needs a consent
no_loss() {
  local reused rejected dead
  reused=$(( $(sim_stat refresh_reuse_after_grace) - reused0 )); rejected=$(( $(sim_stat refresh_rejected) - rejected0 ))
  dead=$(k get suc -n "$ns" -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].reason}{"\n"}{end}' \
    | grep -c ReauthorizationRequired || true)
  [ "$reused" = 0 ] && [ "$rejected" = 0 ] && [ "$dead" = 0 ] \
    && ok "$1: 0 re-consents, 0 refresh tokens used after the grace, 0 rejected" \
    || fail "$1: nothing lost" "re-consents $dead, used after grace $reused, rejected $rejected"
}

operator unseen-a
# Connections an earlier suite left in namespaces being deleted are finalized by this operator (their open journals
# resumed against this simulator, which rejects their tokens): wait for them to go, then count from there.
for _ in $(seq 1 120); do
  [ -z "$(k get suc -A --no-headers 2>/dev/null | awk -v ns="$ns" '$1 != ns')" ] && break; sleep 1
done
reused0=$(sim_stat refresh_reuse_after_grace); rejected0=$(sim_stat refresh_rejected)
authorized=$(authorize_connections "$ns" 2 U0UNSEEN)
[ "$authorized" = 2 ] && ok "2 connections authorized" || fail "2 connections authorized" "$authorized"

# ---------------------------------------------------------------- 1. a late answer, then 503s for most of the grace
before_refreshes=$(sim_stat refreshes)
sim POST /_sim/faults '{"method":"oauth.v2.access","latencyMillis":18000,"count":1,"afterAction":true}'
sim POST /_sim/faults '{"method":"oauth.v2.access","httpStatus":503}'
t0=$SECONDS
first_calls=$(calls)
request_refresh c1 late-answer
for _ in $(seq 1 20); do [ "$(calls)" -gt "$first_calls" ] && break; sleep 0.5; done
sleep 50
during=$(( $(calls) - first_calls ))
sim DELETE /_sim/faults '{}'
echo "     late answer: $during oauth.v2.access calls in the 50 s of 503s after the rotation that answered at +18 s"
[ "$during" -ge 10 ] && ok "the refresh in doubt is tried again every few seconds ($during calls in 50 s, not 5)" \
  || fail "the refresh in doubt is tried again every few seconds" "$during calls"
if wait_ready c1 30; then
  ok "c1 Ready/Refreshed $((SECONDS - t0)) s after the rotation it never saw (grace: 60 s)"
else
  fail "c1 Ready/Refreshed after the rotation it never saw" "$(ready_of c1); $(k get suc c1 -n "$ns" -o jsonpath='{.status.conditions[0].message}')"
fi
check "c1's workload Secret holds a token Slack accepts" works c1
no_loss "late answer"
landed=$(refresh_token_digest c1)
request_refresh c1 after-late-answer
for _ in $(seq 1 30); do [ "$(refresh_token_digest c1)" != "$landed" ] && break; sleep 1; done
[ "$(refresh_token_digest c1)" != "$landed" ] && works c1 \
  && ok "the next refresh of c1 succeeds ($(( $(sim_stat refreshes) - before_refreshes )) refreshes at Slack in all)" \
  || fail "the next refresh of c1 succeeds" "$(ready_of c1)"
grep -q "ended without a definite answer" "$logs/unseen-a.log" && ok "the log says the outcome was unknown" \
  || fail "the log says the outcome was unknown"

# ---------------------------------------------------------------- 2. SIGTERM with a refresh in flight
sim POST /_sim/faults '{"method":"oauth.v2.access","latencyMillis":8000,"count":1}'
held=$(refresh_token_digest c2)
request_refresh c2 across-sigterm
# The journal is written just before the call: from then on the call is in flight (Slack answers after 8 s).
for _ in $(seq 1 40); do [ -n "$(journal_of c2)" ] && break; sleep 0.25; done
term_at=$SECONDS
kill -TERM "$op_pid"
for _ in $(seq 1 40); do kill -0 "$op_pid" 2>/dev/null || break; sleep 0.5; done
stopped_after=$((SECONDS - term_at))
if kill -0 "$op_pid" 2>/dev/null; then fail "the operator stops within 20 s of SIGTERM"; kill -9 "$op_pid"
elif [ "$stopped_after" -ge 4 ]; then ok "the operator waited for the refresh in flight: stopped $stopped_after s after SIGTERM"
else fail "the operator waited for the refresh in flight" "stopped $stopped_after s after SIGTERM (the call takes 8 s)"; fi
calls_at_exit=$(calls)
log="$logs/unseen-a.log"
refreshed_line=$(grep -n "Refreshed $ns/c2" "$log" | tail -1 | cut -d: -f1)
released_line=$(grep -n "Released the Lease" "$log" | tail -1 | cut -d: -f1)
[ -n "$refreshed_line" ] && [ -n "$released_line" ] && [ "$refreshed_line" -lt "$released_line" ] \
  && ok "the refresh in flight was stored before the Lease was released (log lines $refreshed_line < $released_line)" \
  || fail "the refresh in flight was stored before the Lease was released" "refreshed: ${refreshed_line:-none}, released: ${released_line:-none}"
[ "$(refresh_token_digest c2)" != "$held" ] && ok "the token store holds the pair of the refresh that was in flight" \
  || fail "the token store holds the pair of the refresh that was in flight"
sleep 3
[ "$(calls)" = "$calls_at_exit" ] && [ -z "$(lease_holder)" ] \
  && ok "no Slack call after the stop, and the Lease is free for the next leader" \
  || fail "no Slack call after the stop, and the Lease is free" "calls $calls_at_exit -> $(calls), holder '$(lease_holder)'"
sim DELETE /_sim/faults '{}'

# ---------------------------------------------------------------- 3. Ready against the clock under Slack faults
operator unseen-b
sim PUT /_sim/settings "{\"tokenLifetimeSeconds\":$probe_lifetime,\"refreshGraceSeconds\":60,\"reusePolicy\":\"MINT_NEW\"}"
# new short-lived tokens for both (a manual refresh gets a pair of the new lifetime)
request_refresh c1 short; request_refresh c2 short
wait_ready c1 30 && wait_ready c2 30 || true
sim POST /_sim/faults '{"method":"oauth.v2.access","httpStatus":503,"probability":0.3}'
sim POST /_sim/faults '{"method":"oauth.v2.access","httpStatus":429,"retryAfterSeconds":3,"probability":0.2}'
# Halfway, Slack fails every refresh for longer than a token lives, so that tokens do expire while probed.
( sleep $((probe_seconds / 3))
  sim POST /_sim/faults '{"method":"oauth.v2.access","httpStatus":503}'
  sleep $((probe_lifetime + 10))
  sim DELETE /_sim/faults '{}'
  sim POST /_sim/faults '{"method":"oauth.v2.access","httpStatus":503,"probability":0.3}'
  sim POST /_sim/faults '{"method":"oauth.v2.access","httpStatus":429,"retryAfterSeconds":3,"probability":0.2}' ) &
outage_pid=$!
python3 - "$KUBECTL" "$KUBECONFIG" "$ns" "$probe_seconds" >"$logs/probe.txt" 2>&1 <<'PY' || true
import json, subprocess, sys, time, datetime
kubectl, kubeconfig, ns, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
def get(*args):
    return json.loads(subprocess.run([kubectl, "--kubeconfig", kubeconfig, "get", *args, "-n", ns, "-o", "json"],
                                     check=True, capture_output=True).stdout)
probes = bad = expired = 0
reasons = {}
end = time.time() + seconds
while time.time() < end:
    # The status first, then the Secret: the operator writes the Secret before the status, so a Secret read after
    # a status is at least as new as that status (the other order once paired a Secret read just before a refresh
    # with the status written just after it).
    conns = get("suc")["items"]
    secrets = {s["metadata"]["name"]: s for s in get("secrets")["items"]}
    now = datetime.datetime.now(datetime.timezone.utc)
    for c in conns:
        ready = next((x for x in c.get("status", {}).get("conditions", []) if x["type"] == "Ready"), None)
        secret = secrets.get(c.get("status", {}).get("secretName") or c["metadata"]["name"])
        if not ready or not secret or "expires_at" not in secret.get("data", {}):
            continue
        import base64
        exp = datetime.datetime.fromisoformat(base64.b64decode(secret["data"]["expires_at"]).decode().replace("Z", "+00:00"))
        probes += 1
        reasons[ready["reason"]] = reasons.get(ready["reason"], 0) + 1
        if exp <= now:
            expired += 1
            if ready["status"] == "True":
                bad += 1
                print("BAD", c["metadata"]["name"], ready["reason"], exp.isoformat(), now.isoformat())
    time.sleep(0.5)
print(f"probes={probes} ready_true_with_expired={bad} expired={expired} reasons={json.dumps(reasons, sort_keys=True)}")
PY
wait "$outage_pid" 2>/dev/null || true
sim DELETE /_sim/faults '{}'
summary_line=$(tail -1 "$logs/probe.txt")
echo "     Ready against the clock, ${probe_seconds} s of 30 % 503s and 20 % 429s with ${probe_lifetime} s tokens" \
  "and a $((probe_lifetime + 10)) s outage in the middle: $summary_line"
bad=$(sed -n 's/.*ready_true_with_expired=\([0-9]*\).*/\1/p' <<<"$summary_line")
expired=$(sed -n 's/.* expired=\([0-9]*\).*/\1/p' <<<"$summary_line")
probes=$(sed -n 's/^probes=\([0-9]*\).*/\1/p' <<<"$summary_line")
[ -n "$bad" ] && [ "$bad" = 0 ] && [ "${probes:-0}" -gt 50 ] && [ "${expired:-0}" -gt 0 ] \
  && ok "no probe saw Ready=True with an expired token in the Secret ($probes probes, $expired of them with an expired token)" \
  || fail "no probe saw Ready=True with an expired token (and some saw one expire)" "$(tail -5 "$logs/probe.txt")"
wait_ready c1 60 && wait_ready c2 60 && ok "both Ready/Refreshed again once Slack recovers" \
  || fail "both Ready/Refreshed again once Slack recovers" "$(ready_of c1) $(ready_of c2)"
no_loss "Slack faults with short tokens"
expired_events=$(k get events -n "$ns" --field-selector reason=TokenExpired -o name 2>/dev/null | wc -l)
[ "$expired_events" -ge 1 ] && [ "$expired_events" -le 4 ] \
  && ok "TokenExpired told by $expired_events Warning Event(s): once per episode, not per probe or retry" \
  || fail "TokenExpired told once per episode" "$expired_events Events"

# ---------------------------------------------------------------- 4. a store write that lands, its answer lost
# The operator talks to the API server through e2e/faultproxy (kubectl here still goes direct): the write of c1's
# refreshed pair lands but its answer is lost (the connection reset), then writes to c1's token store are refused
# for 40 s (longer than store-write-retry, 30 s), while the Lease and everything else pass.
kill -TERM "$op_pid" 2>/dev/null || true
for _ in $(seq 1 40); do kill -0 "$op_pid" 2>/dev/null || break; sleep 0.5; done
sim PUT /_sim/settings '{"tokenLifetimeSeconds":3600,"refreshGraceSeconds":60,"reusePolicy":"INVALIDATE_EARLIER"}'
proxy_port=$(free_port)
start_faultproxy "$proxy_port" "$(free_port)"
faultproxy_kubeconfig "$logs/proxied.kubeconfig" "$proxy_port"
operator unseen-c "$logs/proxied.kubeconfig"
store=$(store_of c1); store=${store#secret/}
held=$(refresh_token_digest c1)
revocations=$(sim_stat revocations)
fp POST /lose-next-write "path=^/api/v1/namespaces/$opns/secrets/$store\$" bodyLacks=refresh-journal \
  thenRefuseSeconds=40 >/dev/null
request_refresh c1 lost-answer
for _ in $(seq 1 60); do [ "$(fp_stat lostAnswers)" = 1 ] && break; sleep 0.5; done
lost_at=$SECONDS
[ "$(fp_stat lostAnswers)" = 1 ] && [ "$(refresh_token_digest c1)" != "$held" ] \
  && ok "the write of c1's refreshed pair landed and its answer was lost" \
  || fail "the write of c1's refreshed pair landed and its answer was lost" "lost $(fp_stat lostAnswers)"
landed=$(refresh_token_digest c1)
if wait_ready c1 30; then ok "c1 Ready/Refreshed $((SECONDS - lost_at)) s after the lost answer (read back, found by content)"
else fail "c1 Ready/Refreshed after the lost answer" "$(ready_of c1)"; fi
check "the pair that landed works (auth.test)" works c1
while [ $((SECONDS - lost_at)) -lt 42 ]; do sleep 1; done
echo "     store writes refused during the outage: $(fp_stat refusedWrites); Lease holder: $(lease_holder)"
[ "$(sim_stat revocations)" = "$revocations" ] && ok "nothing revoked" \
  || fail "nothing revoked" "revocations $revocations -> $(sim_stat revocations)"
request_refresh c1 after-lost-answer
for _ in $(seq 1 30); do [ "$(refresh_token_digest c1)" != "$landed" ] && break; sleep 1; done
[ "$(refresh_token_digest c1)" != "$landed" ] && wait_ready c1 30 && works c1 \
  && ok "the next refresh of c1, with the refresh token that landed, succeeds" \
  || fail "the next refresh of c1 succeeds" "$(ready_of c1)"
no_loss "lost store answer and a 40 s store outage"

# ---------------------------------------------------------------- 5. a consent whose store create lands, its answer lost
# The client retries a create whose connection was reset; its second try answers 409 (the store exists): without a
# read-back the consent took its own landed tokens for a rival's and revoked them.
printf 'apiVersion: slacktokens.dev/v1alpha1\nkind: SlackUserConnection\nmetadata:\n  name: c3\nspec:\n  userScopes: [chat:write]\n' \
  | k apply -n "$ns" -f - >/dev/null
sim POST /_sim/users '{"id":"U0UNSEEN003","teamId":"T0SIM0001","name":"c3"}'
sim POST /_sim/consent '{"userId":"U0UNSEEN003"}'
lost_before=$(fp_stat lostAnswers)
fp POST /lose-next-write "path=^/api/v1/namespaces/$opns/secrets\$" >/dev/null
page=$(consent c3 "$ns")
[ "$(fp_stat lostAnswers)" = $((lost_before + 1)) ] && [ "$page" = 200 ] \
  && ok "a consent whose token store create lost its answer is completed (page 200, found by a read-back)" \
  || fail "a consent whose token store create lost its answer is completed" "page $page, lost $(fp_stat lostAnswers)"
for _ in $(seq 1 30); do [ "$(ready_of c3)" = "True/Authorized" ] && break; sleep 1; done
[ "$(ready_of c3)" = "True/Authorized" ] && works c3 && ok "c3 Ready/Authorized with a token Slack accepts" \
  || fail "c3 Ready/Authorized with a token Slack accepts" "$(ready_of c3)"

# ---------------------------------------------------------------- 6. large bodies are refused before they are read
rss_kib() { awk '/VmRSS/{print $2}' "/proc/$op_pid/status"; }
rss_before=$(rss_kib)
posts=()
for _ in $(seq 1 8); do
  head -c $((9 << 20)) /dev/zero | curl -s -o /dev/null -w '%{http_code}\n' -X POST -H 'content-type: application/json' \
    --data-binary @- "http://localhost:$port/slack/events" >>"$logs/large-bodies.txt" 2>/dev/null &
  posts+=($!)
done
for p in "${posts[@]}"; do wait "$p" 2>/dev/null || true; done
rss_after=$(rss_kib)
refused=$(grep -c '^413$' "$logs/large-bodies.txt" || true)
echo "     8 concurrent 9 MiB posts to /slack/events: $refused answered 413; operator RSS ${rss_before} -> ${rss_after} KiB"
[ "$refused" = 8 ] && [ $((rss_after - rss_before)) -lt 30720 ] \
  && ok "8 concurrent 9 MiB bodies refused with 413, RSS grew $(( (rss_after - rss_before) / 1024 )) MiB (< 30)" \
  || fail "8 concurrent 9 MiB bodies refused, memory flat" "$refused x 413, RSS ${rss_before} -> ${rss_after} KiB"

leak_scan "$ns" && ok "no token in any log, Event or status" || fail "no token in any log, Event or status"
kill -TERM "$op_pid" 2>/dev/null || true
summary unseen-outcomes
