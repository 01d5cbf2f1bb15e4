# shellcheck shell=bash
# Shared by the e2e suites: result counting, the chart install, the operator's ServiceAccount kubeconfig, and
# starting the standalone simulator and operator JVMs. Source it after setting `repo` and `here`.

# shellcheck source=e2e/toolchain/env.sh
source "$here/toolchain/env.sh"
# shellcheck source=e2e/browser.sh
source "$here/browser.sh"
k() { "$KUBECTL" "$@"; }
jar="$repo/target/quarkus-app/quarkus-run.jar"
[ -f "$jar" ] || { echo "e2e: build first (./mvnw package)"; exit 1; }

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; [ -n "${2:-}" ] && echo "$2" | sed 's/^/       /'; return 0; }
check() { local name="$1"; shift; if "$@" >/dev/null 2>&1; then ok "$name"; else fail "$name"; fi; }
# summary <suite>: the closing line, and the exit status
summary() {
  echo "$1: $passed passed, $failed failed"
  [ "$failed" -eq 0 ] || { echo "logs kept in $logs"; exit 1; }
  # the pid files of restarting operator Pods stay until the EXIT trap has used them
  find "$logs" -mindepth 1 ! -name '*.pid' -delete 2>/dev/null || true
}

# ready_reason <connection>: the reason of its Ready condition, in $ns (empty if none yet)
ready_reason() { k get suc "$1" -n "$ns" -o jsonpath='{.status.conditions[?(@.type=="Ready")].reason}' 2>/dev/null || true; }
# reason_is <connection> <reason>: whether its Ready reason is that one now (for wait_until)
reason_is() { [ "$(ready_reason "$1")" = "$2" ]; }
# lease_holder: the identity in the operator's leader Lease (empty if none)
lease_holder() { k get lease slack-token-operator -n "$opns" -o jsonpath='{.spec.holderIdentity}' 2>/dev/null || true; }
# wait_until <seconds> <command...>: runs the command every 0.5 s until it succeeds (0) or the time is up (1)
wait_until() { local d=$((SECONDS + $1)); shift; until "$@" >/dev/null 2>&1; do [ "$SECONDS" -lt "$d" ] || return 1; sleep 0.5; done; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 120); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.5; done; return 1; }

# Short Lease timings for the suites that kill, restart or depose operators (takeover within about 8 s).
lease_env=(SLACK_OPERATOR_LEADER_ELECTION_LEASE_DURATION=8s SLACK_OPERATOR_LEADER_ELECTION_RENEW_DEADLINE=6s
  SLACK_OPERATOR_LEADER_ELECTION_RETRY_PERIOD=1s)

logs="$(mktemp -d /tmp/slack-token-operator-e2e-suite.XXXXXX)"
opns=slack-token-operator
release=sto
sa="$release-slack-token-operator"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${ns:-}" ] && k delete ns "$ns" --wait=false >/dev/null 2>&1 || true
  "$HELM" uninstall "$release" -n "$opns" >/dev/null 2>&1 || true
  # a passing suite keeps no logs
  if [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]; then rm -rf "$logs"; fi
}
trap cleanup EXIT

# install_chart <public url> <slack base url> [helm args...]
install_chart() {
  local public="$1" slack="$2"; shift 2
  k create ns "$opns" >/dev/null 2>&1 || true
  k delete secret sim-app -n "$opns" >/dev/null 2>&1 || true
  k create secret generic sim-app -n "$opns" --from-literal=client-id=1111.2222 \
    --from-literal=client-secret=sim-client-secret --from-literal=signing-secret=sim-signing-secret >/dev/null
  "$HELM" install "$release" "$repo/helm/slack-token-operator" -n "$opns" --set publicUrl="$public" \
    --set slackApp.existingSecret=sim-app --set slack.baseUrl="$slack" "$@" 2>&1
}

# operator_kubeconfig <file>: a kubeconfig with a token of the chart's ServiceAccount (not admin)
operator_kubeconfig() {
  local token server
  token=$(k create token "$sa" -n "$opns" --duration=2h)
  server=$(k config view --minify --raw -o jsonpath='{.clusters[0].cluster.server}')
  k config view --minify --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d \
    >"$logs/ca.crt"
  cat >"$1" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters: [{name: e2e, cluster: {server: "$server", certificate-authority: "$logs/ca.crt"}}]
users: [{name: operator, user: {token: "$token"}}]
contexts: [{name: operator, context: {cluster: e2e, user: operator}}]
current-context: operator
KUBECONFIG
}

# start_faultproxy <listen port> <control port>: e2e/faultproxy (its control API: e2e/faultproxy/main.go) in front of
# the cluster's API server, plain HTTP on 127.0.0.1:<listen port>; sets $fp_port for fp. Built once into the cache,
# again when its source is newer than the binary.
start_faultproxy() {
  local bin="$E2E_CACHE/bin/faultproxy/faultproxy" server
  if [ ! -x "$bin" ] || [ -n "$(find "$here/faultproxy" -type f -newer "$bin" -print -quit)" ]; then
    mkdir -p "${bin%/*}"
    # A temp name per process: suites running side by side never execute a half-written binary.
    (cd "$here/faultproxy" && CGO_ENABLED=0 GOTOOLCHAIN=local go build -trimpath -o "$bin.tmp.$$" .) \
      && mv "$bin.tmp.$$" "$bin" || { echo "e2e: building the fault proxy failed" >&2; return 1; }
  fi
  server=$(k config view --minify --raw -o jsonpath='{.clusters[0].cluster.server}')
  k config view --minify --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d \
    >"$logs/ca.crt"
  "$bin" -listen "127.0.0.1:$1" -control "127.0.0.1:$2" -upstream "$server" -ca "$logs/ca.crt" \
    >"$logs/faultproxy.log" 2>&1 &
  pids+=($!)
  fp_port="$2"
  wait_http "http://127.0.0.1:$2/stats" || { echo "e2e: the fault proxy did not start (log $logs/faultproxy.log)" >&2; return 1; }
}

# faultproxy_kubeconfig <file> <listen port>: as operator_kubeconfig (the chart's ServiceAccount), through the proxy.
# For the operator only: kubectl and helm never send a token over http:// and would be anonymous; suites keep using k.
faultproxy_kubeconfig() {
  local token
  token=$(k create token "$sa" -n "$opns" --duration=2h)
  cat >"$1" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters: [{name: e2e, cluster: {server: "http://127.0.0.1:$2"}}]
users: [{name: operator, user: {token: "$token"}}]
contexts: [{name: operator, context: {cluster: e2e, user: operator}}]
current-context: operator
KUBECONFIG
}

# fp <METHOD> <path-with-query> [name=value...]: the fault proxy's control API on $fp_port; prints its JSON answer,
# fails on an error answer. The name=value pairs are URL-encoded (a regexp's "+" in <path-with-query> must be %2B),
# e.g. fp POST /lose-next-write path='^/api/v1/namespaces/ns/secrets/c1$' thenRefuseSeconds=10
fp() {
  local args=() kv
  for kv in "${@:3}"; do args+=(--data-urlencode "$kv"); done
  curl -sS --fail-with-body -G -X "$1" "${args[@]}" "http://127.0.0.1:$fp_port$2"
}
# fp_stat <field>: one field of fp GET /stats
fp_stat() {
  fp GET /stats | python3 -c "import json,sys; v=json.load(sys.stdin).get('$1',''); print(json.dumps(v) if isinstance(v,bool) else v)"
}

# local_operator_setup <public port> <namespace>: what the suites that run the operator as local processes share: the
# chart (CRD, RBAC, ServiceAccount), the namespace, the ServiceAccount's kubeconfig, no Lease left by an earlier suite
# (it would keep these operators followers for its whole duration), and the simulator on $sim_port.
local_operator_setup() {
  local out
  out=$(install_chart "http://localhost:$1" "http://localhost:$sim_port") || fail "helm install" "$out"
  k wait --for condition=established --timeout=60s crd/slackuserconnections.slacktokens.dev >/dev/null
  k create ns "$2" >/dev/null
  operator_kubeconfig "$logs/operator.kubeconfig"
  k delete lease slack-token-operator -n "$opns" --ignore-not-found >/dev/null 2>&1 || true
  start_simulator "$sim_port"
  wait_http "http://localhost:$sim_port/_sim/stats"
}

# start_simulator <port>
start_simulator() {
  java -Dquarkus.profile=simulator -Dquarkus.http.port="$1" -jar "$jar" >"$logs/simulator.log" 2>&1 &
  pids+=($!)
}

# start_operator <port> <public url> <slack url> <kubeconfig> <log name> [extra env...]; sets $last_pid
start_operator() {
  local port="$1" public="$2" slack="$3" kubeconfig="$4" name="$5"; shift 5
  # The environment the chart's Deployment sets (helm/slack-token-operator/templates/deployment.yaml), but for the
  # state-key Secret: chart and operator agree on its name by default.
  env KUBECONFIG="$kubeconfig" SLACK_OPERATOR_NAMESPACE="$opns" \
    SLACK_OPERATOR_PUBLIC_URL="$public" SLACK_OPERATOR_SLACK_BASE_URL="$slack" \
    SLACK_OPERATOR_SLACK_CLIENT_ID=1111.2222 SLACK_OPERATOR_SLACK_CLIENT_SECRET=sim-client-secret \
    SLACK_OPERATOR_SLACK_SIGNING_SECRET=sim-signing-secret "$@" \
    java -Dquarkus.http.port="$port" -jar "$jar" >"$logs/$name.log" 2>&1 &
  last_pid=$!
  pids+=("$last_pid")
}

# consent <connection> <namespace>: a curl browser with a cookie jar consents through the authorize link; prints
# the final HTTP status
consent() {
  local link=""
  for _ in $(seq 1 60); do
    link=$(k get suc "$1" -n "$2" -o jsonpath='{.status.authorizeUrl}' 2>/dev/null || true)
    [ -n "$link" ] && break; sleep 0.5
  done
  [ -n "$link" ] || { echo 0; return; }
  press_consent "$link" "$logs/cookies-$1" | tail -1
}

# pod <name> <port> <public port> <simulator port> [extra env...]: runs the operator, and starts it again whenever
# it dies, with the same identity (a kubelet restarting the Pod), until $logs/stop exists. The JVM's pid is kept in
# $logs/<name>.pid; the suite's end kills them (pod_cleanup).
pod() {
  local name="$1" port="$2" public_port="$3" sim="$4" n=0; shift 4
  while [ ! -f "$logs/stop" ]; do
    n=$((n + 1))
    start_operator "$port" "http://localhost:$public_port" "http://localhost:$sim" "$logs/operator.kubeconfig" \
      "$name.$n" SLACK_OPERATOR_LEADER_ELECTION_IDENTITY="$name" "$@"
    echo "$last_pid" >"$logs/$name.pid"
    wait "$last_pid" 2>/dev/null || true
    sleep 2 # a kubelet backs off too
  done
}
pod_cleanup() {
  # summary may have removed $logs already (a passing suite keeps no logs)
  mkdir -p "$logs" && touch "$logs/stop" || true
  for f in "$logs"/*.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true; done
  cleanup
}

# sim <METHOD> <path> <json> / sim_stat <counter>: the simulator's admin API on $sim_port
sim() { curl -fs -X "$1" -H 'content-type: application/json' -d "$3" "http://localhost:$sim_port$2" >/dev/null; }
sim_stat() {
  curl -s "http://localhost:$sim_port/_sim/stats" | python3 -c "import json,sys; print(json.load(sys.stdin).get('$1',0))"
}

# authorize_connections <namespace> <count> <user prefix>: connections c1..cN, each consented by its own Slack user
# (Slack keeps at most two live access tokens per user and app); prints how many callbacks succeeded.
authorize_connections() {
  local ns="$1" count="$2" prefix="$3" i c user n=0
  for i in $(seq 1 "$count"); do
    c="c$i"; user=$(printf '%s%03d' "$prefix" "$i")
    printf 'apiVersion: slacktokens.dev/v1alpha1\nkind: SlackUserConnection\nmetadata:\n  name: %s\nspec:\n  userScopes: [chat:write]\n' \
      "$c" | k apply -n "$ns" -f - >/dev/null
    sim POST /_sim/users "{\"id\":\"$user\",\"teamId\":\"T0SIM0001\",\"name\":\"$c\"}"
    sim POST /_sim/consent "{\"userId\":\"$user\"}"
    [ "$(consent "$c" "$ns")" = 200 ] && n=$((n + 1))
  done
  echo "$n"
}

# leak_scan <namespace>: no token body (only redacted prefixes such as "xoxe.xoxp-…" are allowed) in any log of this
# suite, in the namespace's Events or in its connections' status; prints what it found and fails if anything.
leak_scan() {
  local pattern='xox[pbare](\.xox[pb])?-[0-9]+-[A-Za-z0-9]{8}' found
  found=$( { cat "$logs"/*.log 2>/dev/null; k get events -n "$1" -o json 2>/dev/null; k get suc -n "$1" -o json 2>/dev/null; } \
    | grep -oE "$pattern" | head -3 | sed -E 's/(-[0-9]+-[A-Za-z0-9]{2}).*/\1…/')
  [ -z "$found" ]
}
