#!/usr/bin/env bash
# Tenant isolation on a real API server with RBAC: a tenant with full rights in its own namespace (the built-in
# "admin" role) cannot read a refresh token, cannot make the operator write outside its namespace, and cannot take
# over a Secret that is not its connection's (another connection's workload Secret, or any other Secret).
# Ends with "N passed, N failed".
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=e2e/lib.sh
source "$here/lib.sh"
sim_port=$(free_port)
port=$(free_port)
ns="tenant-$RANDOM"
tenant="system:serviceaccount:$ns:tenant"

out=$(install_chart "http://localhost:$port" "http://localhost:$sim_port") || fail "helm install" "$out"
k wait --for condition=established --timeout=60s crd/slackuserconnections.slacktokens.dev >/dev/null
k create ns "$ns" >/dev/null
k create serviceaccount tenant -n "$ns" >/dev/null
# Every verb on every resource of its namespace (the built-in "admin" role is filled by an aggregation controller
# that this control plane does not run, so the rights are spelled out).
printf 'apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: everything\nrules:\n- apiGroups: ["*"]\n  resources: ["*"]\n  verbs: ["*"]\n' \
  | k apply -n "$ns" -f - >/dev/null
k create rolebinding tenant-everything -n "$ns" --role=everything --serviceaccount="$ns:tenant" >/dev/null
operator_kubeconfig "$logs/operator.kubeconfig"
# A Lease left by an earlier suite would keep these operators followers for its whole duration.
k delete lease slack-token-operator -n "$opns" --ignore-not-found >/dev/null 2>&1 || true
start_simulator "$sim_port"
start_operator "$port" "http://localhost:$port" "http://localhost:$sim_port" "$logs/operator.kubeconfig" operator
check "the operator starts" wait_http "http://localhost:$port/q/health/live"
kt() { k --as="$tenant" "$@"; }
suc() {
  printf 'apiVersion: slacktokens.dev/v1alpha1\nkind: SlackUserConnection\nmetadata:\n  name: %s\nspec:\n  userScopes: [chat:write]\n%s' \
    "$1" "${2:-}" | kt apply -n "$ns" -f - >/dev/null
}
wait_reason() { wait_until 30 reason_is "$1" "$2"; }

# The tenant's own connection works, and what it can read holds no refresh token.
suc mine
[ "$(consent mine "$ns")" = 200 ] && wait_reason mine Authorized && ok "the tenant's own connection is authorized" \
  || fail "the tenant's own connection is authorized" "$(ready_reason mine)"
keys=$(kt get secret mine -n "$ns" -o jsonpath='{.data}' 2>/dev/null \
  | python3 -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin))))' 2>/dev/null || echo "(unreadable)")
if grep -q access_token <<<"$keys" && ! grep -q refresh <<<"$keys"; then
  ok "the tenant reads its workload Secret, which holds no refresh token ($keys)"
else fail "the tenant reads its workload Secret, which holds no refresh token" "$keys"; fi

# The token stores (refresh tokens) are out of reach.
[ "$(kt auth can-i get secrets -n "$opns" 2>/dev/null || true)" = no ] && [ "$(kt auth can-i list secrets -n "$opns" 2>/dev/null || true)" = no ] \
  && ok "the tenant can neither get nor list Secrets in the operator namespace" \
  || fail "the tenant can neither get nor list Secrets in the operator namespace"
kt get secrets -n "$opns" >/dev/null 2>&1 && fail "listing the token stores is refused" || ok "listing the token stores is refused"
# Nor can it create a connection there (where the operator would write).
suc_in_opns=$(printf 'apiVersion: slacktokens.dev/v1alpha1\nkind: SlackUserConnection\nmetadata:\n  name: sneaky\nspec:\n  userScopes: [chat:write]\n' \
  | kt apply -n "$opns" -f - 2>&1 || true)
grep -qi forbidden <<<"$suc_in_opns" && ok "the tenant cannot create a connection in the operator namespace" \
  || fail "the tenant cannot create a connection in the operator namespace" "$suc_in_opns"

# Taking over a Secret it does not own: a plain Secret of its namespace, and another connection's workload Secret.
kt create secret generic db-password -n "$ns" --from-literal=password=hunter2 >/dev/null
before_plain=$(k get secret db-password -n "$ns" -o jsonpath='{.metadata.resourceVersion}')
before_mine=$(k get secret mine -n "$ns" -o jsonpath='{.data.access_token}')
suc grab-plain "  secretName: db-password
"
suc grab-other "  secretName: mine
"
for c in grab-plain grab-other; do
  user="U0$(tr 'a-z-' 'A-Z0' <<<"$c" | cut -c1-8)"
  curl -fs -H 'content-type: application/json' -d "{\"id\":\"$user\",\"teamId\":\"T0SIM0001\",\"name\":\"$c\"}" \
    "http://localhost:$sim_port/_sim/users" >/dev/null
  curl -fs -H 'content-type: application/json' -d "{\"userId\":\"$user\"}" "http://localhost:$sim_port/_sim/consent" >/dev/null
  consent "$c" "$ns" >/dev/null
  wait_reason "$c" InvalidSpec && ok "$c: refused with InvalidSpec ($(k get suc "$c" -n "$ns" -o jsonpath='{.status.conditions[0].message}' | cut -c1-90)…)" \
    || fail "$c: refused with InvalidSpec" "$(ready_reason "$c")"
done
[ "$(k get secret db-password -n "$ns" -o jsonpath='{.metadata.resourceVersion}')" = "$before_plain" ] \
  && ok "the plain Secret was not written" || fail "the plain Secret was not written"
[ "$(k get secret mine -n "$ns" -o jsonpath='{.data.access_token}')" = "$before_mine" ] \
  && [ "$(k get secret mine -n "$ns" -o jsonpath='{.metadata.ownerReferences[0].name}')" = mine ] \
  && ok "the other connection's Secret still holds its own token and owner" \
  || fail "the other connection's Secret still holds its own token and owner"

summary tenant-isolation
