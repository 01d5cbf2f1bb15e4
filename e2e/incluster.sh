#!/usr/bin/env bash
# In-cluster suite: the chart installed for real on the node of e2e/node.sh (run it through e2e/run-node.sh, or by
# hand inside the namespaces: e2e/node.sh exec e2e/incluster.sh). The operator runs as 2 Pods from the image of
# e2e/image.sh, the simulator as a Pod (simulator.enabled=true, short tokens), a workload Pod mounts the workload
# Secret as a volume and calls auth.test with the token it reads from the file, once a second, across the rotations,
# while the leader Pod is deleted, the Deployment is restarted and the node is drained. Then helm upgrade and
# helm uninstall (crds.keep). Prints the measurements (rotation to file delay, takeover times) on lines "measure:".
#   E2E_ROTATIONS (default 5), E2E_TOKEN_LIFETIME (default 180s: refreshes every 90 s, half the lifetime)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=e2e/toolchain/env.sh
source "$here/toolchain/env.sh"
# shellcheck source=e2e/browser.sh
source "$here/browser.sh"
[ -n "${KUBECONFIG:-}" ] || { echo "incluster: KUBECONFIG not set (run inside e2e/node.sh exec)"; exit 2; }
[ "$(readlink /proc/self/ns/net)" != "$(readlink /proc/1/ns/net)" ] || { echo "incluster: run inside e2e/node.sh exec"; exit 2; }

ROTATIONS="${E2E_ROTATIONS:-5}"
LIFETIME="${E2E_TOKEN_LIFETIME:-180s}"
IMAGE="${E2E_IMAGE:-localhost/slack-token-operator:e2e}"
opns=slack-token-operator
team=team-a
release=sto
fullname="$release-slack-token-operator"
sim="http://$fullname-simulator.$opns.svc:8080"
pf_port=18080
k() { "$KUBECTL" "$@"; }
ko() { "$KUBECTL" -n "$opns" "$@"; }

passed=0; failed=0
ok() { passed=$((passed + 1)); echo "ok   - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; [ -n "${2:-}" ] && echo "$2" | sed 's/^/       /'; return 0; }
check() { local name="$1"; shift; if "$@" >/dev/null 2>&1; then ok "$name"; else fail "$name"; fi; }
measure() { echo "measure: $*"; }
logs="$(mktemp -d /tmp/sto-incluster.XXXXXX)"
bg=()
cleanup() {
  for p in "${bg[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]; then rm -rf "$logs"; else echo "logs kept in $logs"; fi
}
trap cleanup EXIT
now_ms() { date +%s%3N; }
holder() { ko get lease slack-token-operator -o jsonpath='{.spec.holderIdentity}' 2>/dev/null || true; }
operator_pods() { ko get pods -l app.kubernetes.io/component=operator -o jsonpath='{range .items[*]}{.metadata.name}{" "}{end}'; }
ready_operator_pods() {
  ko get pods -l app.kubernetes.io/component=operator \
    -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.status.conditions[?(@.type=="Ready")].status}{" "}{.metadata.deletionTimestamp}{"\n"}{end}' \
    | awk '$2 == "True" && $3 == "" {n++} END {print n + 0}'
}
# wait_until <seconds> <command...>
wait_until() { local d=$((SECONDS + $1)); shift; until "$@" >/dev/null 2>&1; do [ "$SECONDS" -lt "$d" ] || return 1; sleep 0.5; done; }
sim_stat() { curl -s "$sim/_sim/stats" | python3 -c "import json,sys; print(json.load(sys.stdin).get('$1',0))"; }

# ---------------------------------------------------------------- install: 2 replicas, simulator, probes, security
t0=$SECONDS
k create ns "$opns" >/dev/null 2>&1 || true
# Short Lease timings as in the other suites (takeover within about 8 s if a Lease had to expire).
chart_args=(--set image.repository="${IMAGE%:*}" --set image.tag="${IMAGE##*:}" --set image.pullPolicy=Never
  --set publicUrl="http://localhost:$pf_port" --set simulator.enabled=true --set simulator.baseUrl="$sim"
  --set simulator.tokenLifetime="$LIFETIME" --set leaderElection.leaseDuration=8s
  --set leaderElection.renewDeadline=6s --set leaderElection.retryPeriod=1s
  --set metrics.serviceMonitor.enabled=true --set metrics.prometheusRule.enabled=true)
out=$("$HELM" install "$release" "$repo/helm/slack-token-operator" -n "$opns" "${chart_args[@]}" --wait --timeout 3m 2>&1) \
  && ok "helm install (2 replicas, simulator, ServiceMonitor/PrometheusRule on without their CRDs) with --wait" \
  || fail "helm install" "$out"
measure "helm install --wait: $((SECONDS - t0)) s"
check "both operator Pods Ready" test "$(ready_operator_pods)" = 2
check "the simulator Pod is Ready" ko wait --for=condition=Ready pod -l app.kubernetes.io/component=slack-simulator --timeout=60s
check "one operator Pod holds the Lease" wait_until 30 sh -c "'$KUBECTL' -n $opns get pods -l app.kubernetes.io/component=operator -o name | grep -q \"/\$('$KUBECTL' -n $opns get lease slack-token-operator -o jsonpath='{.spec.holderIdentity}')\$\""
pod1="$(operator_pods | awk '{print $1}')"
sc="$(ko get pod "$pod1" -o jsonpath='{.spec.securityContext.runAsNonRoot} {.spec.securityContext.runAsUser} {.spec.containers[0].securityContext.readOnlyRootFilesystem} {.spec.containers[0].readinessProbe.httpGet.path} {.spec.containers[0].livenessProbe.httpGet.path} {.spec.containers[0].startupProbe.httpGet.path} {.spec.containers[0].resources.limits.memory}')"
check "runAsNonRoot, uid 185, read-only root file system, startup/liveness/readiness probes, memory limit ($sc)" \
  test "$sc" = "true 185 true /q/health/ready /q/health/live /q/health/started 512Mi"
check "the JVM in the Pod runs as the image's user operator (uid 185)" sh -c "'$KUBECTL' -n $opns exec $pod1 -- java -XshowSettings:properties -version 2>&1 | grep -q 'user.name = operator'"
check "the ServiceMonitor and PrometheusRule were skipped (no such CRDs), nothing failed" \
  sh -c "! '$KUBECTL' api-resources 2>/dev/null | grep -qi servicemonitor"

# ---------------------------------------------------------------- OAuth flow through the Service (port-forward)
k create ns "$team" >/dev/null 2>&1 || true
ko port-forward "svc/$fullname" "$pf_port:80" >"$logs/port-forward.log" 2>&1 &
bg+=($!)
wait_until 20 curl -s -o /dev/null "http://localhost:$pf_port/q/health/live" || fail "port-forward to the operator Service"
printf 'apiVersion: slacktokens.dev/v1alpha1\nkind: SlackUserConnection\nmetadata:\n  name: c1\nspec:\n  userScopes: [chat:write]\n' \
  | k apply -n "$team" -f - >/dev/null
link=""
for _ in $(seq 1 60); do link=$(k get suc c1 -n "$team" -o jsonpath='{.status.authorizeUrl}' 2>/dev/null || true); [ -n "$link" ] && break; sleep 0.5; done
check "the connection publishes an authorize link on the Service's URL" sh -c "echo '$link' | grep -q '^http://localhost:$pf_port/oauth/start'"
# A curl browser: the confirmation page (sets the flow cookie), its button, Slack's (simulated) consent, the callback.
code=$(press_consent "$link" "$logs/cookies" | tail -1)
check "consent through the Service and the simulator Pod: callback 200 (got $code)" test "$code" = 200
check "the connection becomes Ready" k wait --for=condition=Ready suc/c1 -n "$team" --timeout=60s
kill "${bg[-1]}" 2>/dev/null || true

# ---------------------------------------------------------------- a workload Pod reading the mounted Secret
# The static busybox crashes resolving names (glibc NSS in a static binary) and with wget -T: the workload uses the
# ClusterIP and no timeout.
sim_ip="$(ko get svc "$fullname-simulator" -o jsonpath='{.spec.clusterIP}')"
# Reads the file each time (a directory mount, not subPath, so kubelet's updates reach it), calls auth.test, prints
# "<epoch> <md5 of the token, 8 chars> ok|invalid|error" (never the token).
k apply -n "$team" -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: workload}
spec:
  securityContext: {runAsNonRoot: true, runAsUser: 65534, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: check
    image: localhost/slack-token-operator-e2e/busybox:2
    imagePullPolicy: Never
    securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
    command:
    - sh
    - -c
    - |
      while true; do
        t=\$(cat /var/run/slack/access_token)
        h=\$(printf %s "\$t" | md5sum | cut -c1-8)
        r=\$(wget -q -O- --header "Authorization: Bearer \$t" --post-data "" http://$sim_ip:8080/api/auth.test 2>/dev/null)
        case "\$r" in *'"ok":true'*) s=ok ;; *'"ok":false'*) s=invalid ;; *) s=error ;; esac
        echo "\$(date +%s) \$h \$s"
        sleep 1
      done
    volumeMounts: [{name: token, mountPath: /var/run/slack, readOnly: true}]
  volumes: [{name: token, secret: {secretName: c1}}]
EOF
check "the workload Pod runs" k wait --for=condition=Ready pod/workload -n "$team" --timeout=60s

# The Secret as the API server has it, once a second: "<epoch> <md5 8 chars>".
( while true; do
    h=$(k get secret c1 -n "$team" -o jsonpath='{.data.access_token}' 2>/dev/null | base64 -d | md5sum | cut -c1-8)
    echo "$(date +%s) $h"; sleep 1
  done >"$logs/secret.log" ) &
bg+=($!)
# The Lease holder and the terminating operator Pods, 4 times a second: "<epoch ms> <holder> <terminating...>".
( while true; do
    echo "$(now_ms) $(holder) $(ko get pods -l app.kubernetes.io/component=operator -o jsonpath='{range .items[?(@.metadata.deletionTimestamp)]}{.metadata.name}{" "}{end}' 2>/dev/null)"
    sleep 0.25
  done >"$logs/lease.log" ) &
bg+=($!)

# The workload's reads: "<epoch> <hash> <result>" lines only.
reads() { k logs workload -n "$team" 2>/dev/null | grep -E '^[0-9]+ [0-9a-f]{8} (ok|invalid|error)$' || true; }
rotations() { reads | awk '{print $2}' | uniq | wc -l | awk '{print $1 - 1}'; }
# before_refresh <seconds>: sleeps until that long before the connection's next refresh (status.refreshAt)
before_refresh() {
  local at; at="$(k get suc c1 -n "$team" -o jsonpath='{.status.refreshAt}' 2>/dev/null || true)"
  [ -n "$at" ] || return 0
  local wait=$(( $(date -d "$at" +%s) - $(date +%s) - $1 ))
  [ "$wait" -le 0 ] || sleep "$wait"
}
# takeover_ms <old holder> [start ms] [since ms]: ms from the start (default: the first sample from "since" on where
# the old holder's Pod is terminating or the Lease has no holder; a leader that stops cleanly releases its Lease, so
# earlier disruptions leave such samples too) to the first sample with another holder
takeover_ms() {
  awk -v old="$1" -v start="${2:-0}" -v since="${3:-0}" '
    $1 < since { next }
    { t = $1; h = $2; term = (h == ""); for (i = 3; i <= NF; i++) if ($i == old) term = 1 }
    start == 0 && term { start = t }
    start > 0 && t >= start && h != "" && h != old { print t - start; exit }' "$logs/lease.log"
}

# ---------------------------------------------------------------- leader Pod deletion (graceful: SIGTERM)
# Each disruption starts just before a refresh is due, so it lands while the leader refreshes.
before_refresh 2
leader="$(holder)"
t_del="$(now_ms)"
ko delete pod "$leader" --wait=false >/dev/null
if wait_until 60 sh -c "h=\$('$KUBECTL' -n $opns get lease slack-token-operator -o jsonpath='{.spec.holderIdentity}'); [ -n \"\$h\" ] && [ \"\$h\" != '$leader' ]"; then
  sleep 1; ms="$(takeover_ms "$leader" "$t_del")"
  ok "kubectl delete pod of the leader: $(holder) took the Lease over"
  measure "leader Pod deletion: takeover ${ms:-?} ms after kubectl delete pod (Lease duration 8 s)"
else
  fail "kubectl delete pod of the leader: nobody took the Lease over within 60 s"
fi
check "2 operator Pods Ready again" wait_until 120 sh -c "test \$('$KUBECTL' -n $opns get pods -l app.kubernetes.io/component=operator -o jsonpath='{range .items[*]}{.status.conditions[?(@.type==\"Ready\")].status}{\" \"}{end}' | grep -o True | wc -l) -eq 2"

# ---------------------------------------------------------------- rolling restart during refreshes
wait_until 30 sh -c "'$KUBECTL' -n $opns get pods -l app.kubernetes.io/component=operator -o name | grep -q \"/\$('$KUBECTL' -n $opns get lease slack-token-operator -o jsonpath='{.spec.holderIdentity}')\$\"" || true
sleep 5 # the refresh after the takeover is scheduled
before_refresh 5
leader="$(holder)"
t_rr=$SECONDS
t_rr_ms="$(now_ms)"
ko rollout restart "deploy/$fullname" >/dev/null
check "kubectl rollout restart completes" ko rollout status "deploy/$fullname" --timeout=240s
measure "rollout restart: $((SECONDS - t_rr)) s until the Deployment was rolled out"
wait_until 30 sh -c "h=\$('$KUBECTL' -n $opns get lease slack-token-operator -o jsonpath='{.spec.holderIdentity}'); [ -n \"\$h\" ] && [ \"\$h\" != '$leader' ]" || true
sleep 1; ms="$(takeover_ms "$leader" 0 "$t_rr_ms")"
check "after the restart a new Pod holds the Lease" sh -c "'$KUBECTL' -n $opns get pods -l app.kubernetes.io/component=operator -o name | grep -q \"/$(holder)\$\""
measure "rollout restart: takeover ${ms:-?} ms after the old leader Pod started terminating"

# ---------------------------------------------------------------- drain: the PDB keeps one replica
sleep 5
before_refresh 3
node="$(k get nodes -o jsonpath='{.items[0].metadata.name}')"
drain_out=$(k drain "$node" --pod-selector=app.kubernetes.io/component=operator --delete-emptydir-data \
  --ignore-daemonsets --timeout=25s 2>&1) && drained=1 || drained=0
check "kubectl drain is held by the PodDisruptionBudget (one operator Pod stays)" test "$drained" = 0
check "during the drain one operator Pod is Ready and holds the Lease" sh -c "test \$('$KUBECTL' -n $opns get pods -l app.kubernetes.io/component=operator --field-selector=status.phase=Running -o name | wc -l) -ge 1 && '$KUBECTL' -n $opns get pods -l app.kubernetes.io/component=operator -o name | grep -q \"/$(holder)\$\""
grep -q 'disruption budget' <<<"$drain_out" && ok "drain reported the disruption budget" || fail "drain output" "$(tail -3 <<<"$drain_out")"
k uncordon "$node" >/dev/null
check "2 operator Pods Ready after uncordon" wait_until 120 sh -c "test \$('$KUBECTL' -n $opns get pods -l app.kubernetes.io/component=operator -o jsonpath='{range .items[*]}{.status.conditions[?(@.type==\"Ready\")].status}{\" \"}{end}' | grep -o True | wc -l) -eq 2"

# ---------------------------------------------------------------- rotations seen by the workload
deadline=$((SECONDS + ROTATIONS * 120 + 120))
while [ "$(rotations)" -lt "$ROTATIONS" ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 5; done
sleep 3
reads >"$logs/workload.log"
n_rot="$(rotations)"; n_reads="$(wc -l <"$logs/workload.log")"
n_invalid="$(grep -c ' invalid$' "$logs/workload.log" || true)"; n_error="$(grep -c ' error$' "$logs/workload.log" || true)"
check "the workload saw $n_rot rotations (>= $ROTATIONS)" test "$n_rot" -ge "$ROTATIONS"
check "the workload read $n_reads tokens from the file and called auth.test with each: $n_invalid invalid" test "$n_invalid" = 0
check "every auth.test call got an answer ($n_error did not)" test "$n_error" = 0
# Delay from a token's first appearance in the Secret (API server) to its first read from the file in the Pod.
delays="$(awk 'NR == FNR { if ($2 != "d41d8cd9" && !($2 in s)) s[$2] = $1; next } !($2 in seen) { seen[$2] = 1; if ($2 in s) print $1 - s[$2] }' \
  "$logs/secret.log" "$logs/workload.log" | tail -n +2 | tr '\n' ' ')"
measure "rotated token reaches the mounted file after (s, per rotation): $delays"
max_delay="$(tr ' ' '\n' <<<"$delays" | sort -n | tail -1)"
lifetime_s="${LIFETIME%s}"
check "the file lags the Secret by at most ${max_delay:-?} s, less than the refresh margin (half of ${lifetime_s} s here; 2 h by default)" \
  test "${max_delay:-9999}" -lt "$((lifetime_s / 2))"
reuse="$(sim_stat refresh_reuse_after_grace)"; rejected="$(sim_stat refresh_rejected)"; refreshes="$(sim_stat refreshes)"
measure "simulator: $refreshes refreshes, $reuse refresh tokens reused after grace, $rejected rejected"
check "no refresh token used after its grace period (Slack side), none rejected" test "$reuse/$rejected" = "0/0"
check "the connection is Ready" k wait --for=condition=Ready suc/c1 -n "$team" --timeout=10s

# ---------------------------------------------------------------- NetworkPolicy, helm upgrade
t_up=$SECONDS
out=$("$HELM" upgrade "$release" "$repo/helm/slack-token-operator" -n "$opns" "${chart_args[@]}" \
  --set networkPolicy.enabled=true --set networkPolicy.apiServerCidr=10.213.0.1/32 --set podAnnotations.upgraded=yes \
  --wait --timeout 4m 2>&1) && ok "helm upgrade (NetworkPolicy on, Pods rolled) --wait" || fail "helm upgrade" "$out"
measure "helm upgrade --wait: $((SECONDS - t_up)) s"
check "the NetworkPolicy was accepted by the API server" ko get networkpolicy -o name
check "2 operator Pods Ready after the upgrade" test "$(ready_operator_pods)" = 2
check "the connection stays Ready across the upgrade" k wait --for=condition=Ready suc/c1 -n "$team" --timeout=60s

# ---------------------------------------------------------------- helm uninstall keeps CRD, connections, Secrets
stores_before="$(ko get secrets -l app.kubernetes.io/managed-by=slack-token-operator -o name 2>/dev/null | wc -l)"
out=$("$HELM" uninstall "$release" -n "$opns" --wait --timeout 2m 2>&1) && ok "helm uninstall" || fail "helm uninstall" "$out"
check "the CRD is kept (crds.keep)" k get crd slackuserconnections.slacktokens.dev
check "the connection is kept" k get suc c1 -n "$team"
check "the workload Secret is kept" k get secret c1 -n "$team"
check "the token store Secrets are kept ($stores_before)" test "$(ko get secrets -l app.kubernetes.io/managed-by=slack-token-operator -o name | wc -l)" = "$stores_before"
check "no operator Pod is left" wait_until 60 sh -c "test -z \"\$('$KUBECTL' -n $opns get pods -l app.kubernetes.io/component=operator -o name)\""

# Clean up what the uninstall kept (finalizers need the operator: remove them, it is gone).
k delete pod workload -n "$team" --now >/dev/null 2>&1 || true
k patch suc c1 -n "$team" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
k delete ns "$team" "$opns" --wait=false >/dev/null 2>&1 || true
k delete crd slackuserconnections.slacktokens.dev >/dev/null 2>&1 || true

echo "incluster: $passed passed, $failed failed ($((SECONDS - t0)) s)"
[ "$failed" -eq 0 ]
