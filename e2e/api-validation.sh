#!/usr/bin/env bash
# End-to-end check of the API on a real kube-apiserver: the committed CRD installs (its CEL rules compile within
# the cost budget), every example applies, `kubectl explain` has descriptions, the printer columns are in order,
# and the usual mistakes are rejected at apply time with a readable message.
# Needs a running cluster (e2e/cluster.sh start) and KUBECONFIG pointing at it. Ends with "N passed, N failed".
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=e2e/toolchain/env.sh
source "$here/toolchain/env.sh"
k() { "$KUBECTL" "$@"; }

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; [ -n "${2:-}" ] && echo "$2" | sed 's/^/       /'; return 0; }

ns="api-validation-$RANDOM"
cleanup() { k delete ns "$ns" --wait=false >/dev/null 2>&1 || true; }
trap cleanup EXIT

if out=$(k apply -f "$repo/crds/" 2>&1) && k wait --for condition=established --timeout=60s \
    crd/slackuserconnections.slacktokens.dev >/dev/null 2>&1; then
  ok "the committed CRD installs and is established"
else
  fail "the committed CRD installs and is established" "$out"
fi
k create ns "$ns" >/dev/null

for example in "$repo"/deploy/examples/*.yaml; do
  if out=$(k apply -n "$ns" -f "$example" 2>&1); then ok "example $(basename "$example") applies"
  else fail "example $(basename "$example") applies" "$out"; fi
done

# (whole output first, then the first line: `| head -1` could SIGPIPE kubectl under pipefail)
listing=$(k get suc -n "$ns" 2>&1 || true)
header=$(tr -s ' ' <<<"${listing%%$'\n'*}")
if [ "$header" = "NAME READY USER TEAM EXPIRES AGE" ]; then ok "kubectl get suc shows Ready, User, Team, Expires, Age"
else fail "kubectl get suc shows Ready, User, Team, Expires, Age" "$header"; fi
listing=$(k get suc -n "$ns" -o wide 2>&1 || true)
wide=$(tr -s ' ' <<<"${listing%%$'\n'*}")
if [ "$wide" = "NAME READY USER TEAM EXPIRES AGE MESSAGE" ]; then ok "kubectl get suc -o wide adds Message"
else fail "kubectl get suc -o wide adds Message" "$wide"; fi

# The API server publishes a new CRD's OpenAPI a few seconds after it is established: retry for a while.
described() {
  local text
  for _ in $(seq 1 30); do
    text=$(k explain "suc.$1" 2>/dev/null | sed -n '/^DESCRIPTION:/,$p' | sed 1d | tr -d '[:space:]')
    [ -n "$text" ] && return 0
    sleep 1
  done
  return 1
}
for field in spec.userScopes spec.redirectUri spec.refreshBefore spec.slackApp.clientSecretRef.key \
    status.conditions.lastTransitionTime status.authorizeUrl; do
  if described "$field"; then ok "kubectl explain suc.$field has a description"
  else fail "kubectl explain suc.$field has a description"; fi
done

# reject <name> <expected message fragment> <spec lines...>
reject() {
  local name="$1" expected="$2"; shift 2
  local manifest out
  manifest=$(printf 'apiVersion: slacktokens.dev/v1alpha1\nkind: SlackUserConnection\nmetadata:\n  name: bad\nspec:\n')
  for line in "$@"; do manifest+=$'\n'"  $line"; done
  if out=$(echo "$manifest" | k apply -n "$ns" --dry-run=server -f - 2>&1); then
    fail "rejects $name" "accepted: $out"
  elif grep -qF -- "$expected" <<<"$out"; then ok "rejects $name: $(grep -oF -- "$expected" <<<"$out" | head -1)"
  else fail "rejects $name with a readable message" "$out"; fi
}
accept() {
  local name="$1"; shift
  local manifest out
  manifest=$(printf 'apiVersion: slacktokens.dev/v1alpha1\nkind: SlackUserConnection\nmetadata:\n  name: good\nspec:\n')
  for line in "$@"; do manifest+=$'\n'"  $line"; done
  if out=$(echo "$manifest" | k apply -n "$ns" --dry-run=server -f - 2>&1); then ok "accepts $name"
  else fail "accepts $name" "$out"; fi
}

reject "a spec without userScopes" "spec.userScopes: Required value" "team: T0SIM0001"
reject "empty userScopes" "should have at least 1 items" "userScopes: []"
reject "a malformed scope" "spec.userScopes[0]" "userScopes: [\"Chat Write\"]"
reject "an unknown deletionPolicy" 'supported values: "Retain", "Revoke"' "userScopes: [chat:write]" \
  "deletionPolicy: Delete"
reject "an http redirect to a non-local host" "redirectUri must be an https URL" "userScopes: [chat:write]" \
  "redirectUri: http://example.com/oauth/callback"
reject "refreshBefore of 12h" "refreshBefore must be a duration between 1m and 11h" "userScopes: [chat:write]" \
  "refreshBefore: 12h"
reject "refreshBefore of 30s" "refreshBefore must be a duration between 1m and 11h" "userScopes: [chat:write]" \
  "refreshBefore: 30s"
reject "a malformed duration" "spec.refreshBefore in body should match" "userScopes: [chat:write]" \
  "refreshBefore: 2 hours"
reject "a malformed team id" "spec.team in body should match" "userScopes: [chat:write]" "team: acme"
reject "a malformed user id" "spec.user in body should match" "userScopes: [chat:write]" "user: T0123"
reject "a slackApp without clientSecretRef" "spec.slackApp.clientSecretRef: Required value" \
  "userScopes: [chat:write]" "slackApp: {clientId: \"1.2\"}"
accept "http to localhost" "userScopes: [chat:write]" "redirectUri: http://localhost:8080/oauth/callback"
accept "refreshBefore of 90m" "userScopes: [chat:write]" "refreshBefore: 90m"
accept "refreshBefore of 11h" "userScopes: [chat:write]" "refreshBefore: 11h"

echo "api-validation: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
