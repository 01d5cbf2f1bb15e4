#!/usr/bin/env bash
# End-to-end on a real kube-apiserver: `helm install` the chart (no --wait: Pods never run here), then run the
# packaged operator as a local JVM authenticated with the chart's own ServiceAccount token (so the chart's RBAC is
# what is tested), next to the standalone Slack simulator. A curl "browser" with a cookie jar opens the authorize
# link and presses the confirmation page's button; the workload Secret, status, rotation (server-side apply on)
# and deletion are checked with kubectl.
# Needs a running cluster (e2e/cluster.sh start), KUBECONFIG (admin) pointing at it, and target/quarkus-app built.
# Ends with "N passed, N failed".
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=e2e/lib.sh
source "$here/lib.sh"
sim_port=$(free_port)
op_port=$(free_port)
ns="oauth-flow-$RANDOM"

if out=$(install_chart "http://localhost:$op_port" "http://localhost:$sim_port"); then
  ok "helm install (chart CRD, RBAC, Deployment, state key)"
else fail "helm install" "$out"; fi
k wait --for condition=established --timeout=60s crd/slackuserconnections.slacktokens.dev >/dev/null
k create ns "$ns" >/dev/null
# The operator runs with the chart's ServiceAccount, not as admin.
operator_kubeconfig "$logs/operator.kubeconfig"
start_simulator "$sim_port"
start_operator "$op_port" "http://localhost:$op_port" "http://localhost:$sim_port" "$logs/operator.kubeconfig" operator

check "the standalone simulator starts" wait_http "http://localhost:$sim_port/_sim/stats"
check "the operator starts" wait_http "http://localhost:$op_port/q/health/live"
# (a dual-stack JVM socket shows the IPv4 loopback address as [::ffff:127.0.0.1])
listening="$(ss -ltnH "sport = :$op_port" | awk '{print $4}' | sed 's/^\[::ffff:\(.*\)\]/\1/' | sort -u | tr '\n' ' ')"
check "run from a checkout, the operator listens on the loopback interface only (${listening% })" \
  test "${listening% }" = "127.0.0.1:$op_port"

# 20 s tokens: the operator refreshes about every 10 s.
curl -fs -X PUT -H 'content-type: application/json' -d '{"tokenLifetimeSeconds":20}' \
  "http://localhost:$sim_port/_sim/settings" >/dev/null
k apply -n "$ns" -f "$repo/deploy/examples/minimal.yaml" >/dev/null
link=""
for _ in $(seq 1 60); do
  link=$(k get suc slack-user -n "$ns" -o jsonpath='{.status.authorizeUrl}' 2>/dev/null || true)
  [ -n "$link" ] && break; sleep 0.5
done
if [[ "$link" == "http://localhost:$op_port/oauth/start?c="* ]]; then ok "status.authorizeUrl is published"
else fail "status.authorizeUrl is published" "$link"; fi
reason=$(ready_reason slack-user)
[ "$reason" = "AwaitingAuthorization" ] && ok "Ready=False AwaitingAuthorization before consent" \
  || fail "Ready=False AwaitingAuthorization before consent" "$reason"

page=$(press_consent "$link" "$logs/cookies")
code=$(tail -1 <<<"$page")
if [ "$code" = 200 ] && grep -q "Connected" <<<"$page"; then ok "a browser with cookies completes consent and callback"
else fail "a browser with cookies completes consent and callback" "$page"; fi

if k wait --for=jsonpath='{.status.conditions[?(@.type=="Ready")].status}'=True suc/slack-user -n "$ns" \
    --timeout=30s >/dev/null 2>&1; then ok "Ready=True after the callback"; else fail "Ready=True after the callback"; fi
keys="$(k get secrets -n "$opns" -o name | grep state-key | tr '\n' ' ')"
check "the operator signed with the chart's state key, by default name (${keys% })" \
  test "${keys% }" = "secret/slack-token-operator-state-key"

keys=$(k get secret slack-user -n "$ns" -o go-template='{{range $k, $v := .data}}{{$k}} {{end}}' 2>&1 || true)
[ "$keys" = "access_token expires_at scope team_id token_type user_id " ] \
  && ok "workload Secret has exactly the documented keys (no refresh token)" \
  || fail "workload Secret has exactly the documented keys (no refresh token)" "$keys"
owner=$(k get secret slack-user -n "$ns" -o jsonpath='{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}' 2>/dev/null || true)
[ "$owner" = "SlackUserConnection/slack-user" ] && ok "workload Secret is owned by the connection" \
  || fail "workload Secret is owned by the connection" "$owner"
manager=$(k get secret slack-user -n "$ns" -o jsonpath='{.metadata.managedFields[*].manager}' 2>/dev/null || true)
[ "$manager" = "slack-token-operator" ] && ok "workload Secret is written by server-side apply (one field manager)" \
  || fail "workload Secret is written by server-side apply (one field manager)" "$manager"

token=$(k get secret slack-user -n "$ns" -o jsonpath='{.data.access_token}' 2>/dev/null | base64 -d || true)
auth=$(curl -s -H "Authorization: Bearer $token" -X POST "http://localhost:$sim_port/api/auth.test")
grep -q '"ok":true' <<<"$auth" && ok "Slack (simulator) accepts the projected token" \
  || fail "Slack (simulator) accepts the projected token" "$auth"

row=$(k get suc slack-user -n "$ns" --no-headers 2>/dev/null | tr -s ' ' || true)
if [[ "$row" == "slack-user True U0SIM0001 Simulated Workspace 20"* ]]; then ok "kubectl get suc: $row"
else fail "kubectl get suc shows Ready, user, team and expiry" "$row"; fi

k delete secret slack-user -n "$ns" >/dev/null 2>&1 || true
restored=""
for _ in $(seq 1 40); do
  restored=$(k get secret slack-user -n "$ns" -o jsonpath='{.data.access_token}' 2>/dev/null | base64 -d || true)
  [ -n "$restored" ] && break; sleep 0.5
done
[ -n "$restored" ] && ok "a deleted workload Secret comes back" || fail "a deleted workload Secret comes back"

store=$(k get secret -n "$opns" -l slacktokens.dev/role=token-store,slacktokens.dev/connection=slack-user \
  -o jsonpath='{.items[0].data.refresh_token}' 2>/dev/null | base64 -d || true)
[[ "$store" == xoxe-1-* ]] && ok "the refresh token is only in the token store (operator namespace)" \
  || fail "the refresh token is only in the token store (operator namespace)"

# Rotation, with server-side apply: three new tokens, each accepted by Slack, Ready all along.
seen=("$token")
rotation_ok=1
for _ in $(seq 1 120); do
  current=$(k get secret slack-user -n "$ns" -o jsonpath='{.data.access_token}' 2>/dev/null | base64 -d || true)
  ready=$(k get suc slack-user -n "$ns" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' || true)
  [ "$ready" = True ] || rotation_ok=0
  if [ -n "$current" ] && [[ ! " ${seen[*]} " == *" $current "* ]]; then
    curl -s -H "Authorization: Bearer $current" -X POST "http://localhost:$sim_port/api/auth.test" | grep -q '"ok":true' \
      || rotation_ok=0
    seen+=("$current")
  fi
  [ "${#seen[@]}" -ge 4 ] && break
  sleep 0.5
done
if [ "${#seen[@]}" -ge 4 ] && [ "$rotation_ok" = 1 ]; then
  ok "three rotations, each new token accepted by Slack, Ready all along"
else fail "three rotations, each new token accepted by Slack, Ready all along" "tokens seen: ${#seen[@]}"; fi
stats=$(curl -s "http://localhost:$sim_port/_sim/stats")
grep -q refresh_reuse_after_grace <<<"$stats" && fail "no refresh token used after its grace period" "$stats" \
  || ok "no refresh token used after its grace period"
fm=$(k get secret slack-user -n "$ns" -o jsonpath='{.metadata.managedFields[*].manager}' 2>/dev/null || true)
[ "$fm" = "slack-token-operator" ] && ok "rotated Secret still has one field manager" || fail "one field manager" "$fm"

if grep -qF "$token" "$logs"/*.log || grep -qF "$store" "$logs"/*.log; then fail "no token in the operator or simulator logs"
else ok "no token in the operator or simulator logs"; fi

# A name over 63 characters is a legal object name but not a legal label value (issue 9: the callback failed with 500
# because the API server refused the token store's labels with 422).
long="a-connection-whose-name-is-longer-than-sixty-three-characters-$(printf 'x%.0s' $(seq 1 20))"
curl -fs -H 'content-type: application/json' -d '{"id":"U0LONGNAME1","teamId":"T0SIM0001","name":"long"}' \
  "http://localhost:$sim_port/_sim/users" >/dev/null
curl -fs -H 'content-type: application/json' -d '{"userId":"U0LONGNAME1"}' "http://localhost:$sim_port/_sim/consent" >/dev/null
printf 'apiVersion: slacktokens.dev/v1alpha1\nkind: SlackUserConnection\nmetadata:\n  name: %s\nspec:\n  userScopes: [chat:write]\n' \
  "$long" | k apply -n "$ns" -f - >/dev/null
long_code=$(consent "$long" "$ns")
if [ "$long_code" = 200 ] && k wait --for=jsonpath='{.status.conditions[?(@.type=="Ready")].status}'=True "suc/$long" \
  -n "$ns" --timeout=30s >/dev/null 2>&1 && k get secret "$long" -n "$ns" >/dev/null 2>&1; then
  ok "a connection named with more than 63 characters is authorized (real API server)"
else fail "a connection named with more than 63 characters is authorized" "callback $long_code"; fi
k delete suc "$long" -n "$ns" --wait=true --timeout=60s >/dev/null 2>&1 || true

# What the chart lets the operator do: nothing beyond docs (helm/slack-token-operator/README.md, RBAC).
allowed=$(k auth can-i --list --as="system:serviceaccount:$opns:$sa" -n "$opns" 2>&1 | awk 'NR>1 {print $1}' | sort -u \
  | grep -vE '^(selfsubject(access|rules)reviews\.authorization\.k8s\.io|selfsubjectreviews\.authentication\.k8s\.io|\[/.*)$' \
  | tr '\n' ' ')
[ "$allowed" = "customresourcedefinitions.apiextensions.k8s.io events leases.coordination.k8s.io secrets slackuserconnections.slacktokens.dev slackuserconnections.slacktokens.dev/finalizers slackuserconnections.slacktokens.dev/status " ] \
  && ok "the ServiceAccount can do only what the chart documents" \
  || fail "the ServiceAccount can do only what the chart documents" "$allowed"

# Deletion: tokens revoked at Slack, workload Secret garbage-collected, token store removed.
k delete suc slack-user -n "$ns" --wait=true --timeout=60s >/dev/null 2>&1 && ok "the connection is deleted (finalizer done)" \
  || fail "the connection is deleted (finalizer done)"
revoked=$(curl -s -H "Authorization: Bearer ${seen[-1]}" -X POST "http://localhost:$sim_port/api/auth.test")
grep -qE '"error":"(token_revoked|token_expired)"' <<<"$revoked" && ok "its tokens are revoked at Slack" \
  || fail "its tokens are revoked at Slack" "$revoked"
gone=0
for _ in $(seq 1 90); do
  k get secret slack-user -n "$ns" >/dev/null 2>&1 || { gone=1; break; }
  sleep 1
done
[ "$gone" = 1 ] && ok "the workload Secret is garbage-collected" || fail "the workload Secret is garbage-collected"
stores=$(k get secret -n "$opns" -l slacktokens.dev/role=token-store,slacktokens.dev/connection=slack-user -o name 2>&1 || true)
[ -z "$stores" ] && ok "the token store is removed" || fail "the token store is removed" "$stores"

summary oauth-flow
