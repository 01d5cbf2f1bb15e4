#!/usr/bin/env bash
# A throw-away Kubernetes control plane for the e2e tests: etcd + kube-apiserver +
# kube-controller-manager (garbage collector and namespace controllers only), all on loopback.
# No scheduler and no kubelet: Pods never run; the operator runs as a local process with a kubeconfig.
# Binaries come from e2e/toolchain/build.sh (run it first).
#
# Usage: cluster.sh start|stop|status
#        cluster.sh apiserver-down <seconds>   stop kube-apiserver, wait, start it again with the same flags (watches
#                                              drop, requests are refused meanwhile; for the fault suites)
#   state dir: ${SLACK_TOKEN_OPERATOR_STATE:-/tmp/slack-token-operator-e2e}
#   after start: $STATE/admin.kubeconfig (cluster-admin), $STATE/cluster.env (ports, paths), $STATE/logs/
#   optional: E2E_ADVERTISE_ADDRESS=<ip>, E2E_KCM_CONTROLLERS=<list> (default garbagecollector,namespace)
#   E2E_NODE_IP=<ip>: the control plane of e2e/node.sh (run by it inside its own network namespace, never on the
#     host's): kube-apiserver listens on all addresses of that namespace and advertises <ip>, its certificate also
#     names the in-cluster Service (10.0.0.1, kubernetes.default.svc), ServiceAccount admission is on (Pods get
#     their token), it reaches kubelets with the admin certificate, and every default controller runs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=e2e/toolchain/env.sh
source "$here/toolchain/env.sh"

STATE="${SLACK_TOKEN_OPERATOR_STATE:-/tmp/slack-token-operator-e2e}"
# Marker proving a directory is ours, so stop/start never delete anything else.
MARKER="$STATE/.slack-token-operator-e2e"
PKI="$STATE/pki"
LOGS="$STATE/logs"
KUBECONFIG_FILE="$STATE/admin.kubeconfig"
COMPONENTS=(etcd kube-apiserver kube-controller-manager)

die() { echo "cluster.sh: $*" >&2; exit 1; }
log() { echo "cluster.sh: $*"; }

pid_of() { cat "$STATE/$1.pid" 2>/dev/null || true; }

# True if the recorded pid is alive and still runs our binary (guards against pid reuse).
is_running() {
  local pid cmd; pid="$(pid_of "$1")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  [[ "$cmd" == *"/$1 "* ]]
}

any_running() {
  local c; for c in "${COMPONENTS[@]}"; do is_running "$c" && return 0; done; return 1
}

# free_port <var>: sets <var> to a free TCP port, distinct from the ones already picked in this run.
# (Sets a variable instead of printing, so the picked list survives; $(...) would run in a subshell.)
picked_ports=" "
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 40000))
    case "$picked_ports" in *" $p "*) continue ;; esac
    if [ -z "$(ss -Htan "sport = :$p")" ]; then picked_ports+="$p "; printf -v "$1" '%s' "$p"; return; fi
  done
  die "no free port found"
}

# The apiserver advertises an IP in the `kubernetes` Service endpoints. It derives it from the
# default route; without one it refuses to start unless --advertise-address is given. Endpoints
# reject loopback IPs, so prefer any non-loopback local IPv4 (nothing listens on it).
advertise_address() {
  if [ -n "${E2E_ADVERTISE_ADDRESS:-}" ]; then echo "$E2E_ADVERTISE_ADDRESS"; return; fi
  if [ -n "$(ip -4 route show default 2>/dev/null)" ]; then return; fi  # apiserver picks it itself
  local ip; ip="$(ip -4 -o addr show scope global 2>/dev/null | awk '{sub(/\/.*/, "", $4); print $4; exit}')"
  if [ -z "$ip" ]; then
    log "warning: no default route and no non-loopback IPv4; advertising 127.0.0.1"
    ip=127.0.0.1
  fi
  echo "$ip"
}

gen_pki() {
  mkdir -p "$PKI"
  local days=3650
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days "$days" -subj "/CN=slack-token-operator-e2e-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$PKI/ca.key" -out "$PKI/ca.crt" 2>/dev/null
  # sign <name> <subject> <extensions>
  sign() {
    openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$PKI/$1.key" -out "$PKI/$1.csr" 2>/dev/null
    openssl x509 -req -sha256 -days "$days" -in "$PKI/$1.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
      -CAcreateserial -extfile <(printf '%s\n' "$3") -out "$PKI/$1.crt" 2>/dev/null
    rm -f "$PKI/$1.csr"
  }
  local sans="IP:127.0.0.1,DNS:localhost"
  if [ -n "${E2E_NODE_IP:-}" ]; then
    sans+=",IP:$E2E_NODE_IP,IP:10.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
    sans+=",DNS:kubernetes.default.svc.cluster.local"
  fi
  sign apiserver "/CN=kube-apiserver" "$(printf '%s\n' \
    'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature,keyEncipherment' \
    'extendedKeyUsage=serverAuth' "subjectAltName=$sans")"
  # system:masters is bound to cluster-admin by the default RBAC policy.
  sign admin "/O=system:masters/CN=admin" "$(printf '%s\n' \
    'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature,keyEncipherment' \
    'extendedKeyUsage=clientAuth')"
  # Key pair that signs and verifies service-account tokens (e.g. `kubectl create token`).
  openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
  openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  chmod 600 "$PKI"/*.key
}

write_kubeconfig() {
  local b64="base64 -w0"
  cat >"$KUBECONFIG_FILE" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $($b64 "$PKI/ca.crt")
users:
- name: admin
  user:
    client-certificate-data: $($b64 "$PKI/admin.crt")
    client-key-data: $($b64 "$PKI/admin.key")
contexts:
- name: e2e
  context:
    cluster: e2e
    user: admin
    namespace: default
current-context: e2e
EOF
  chmod 600 "$KUBECONFIG_FILE"
}

# launch <name> <binary> <args...>: runs detached (own session, so it outlives this script and
# the caller's process group), logs to $LOGS/<name>.log, pid in $STATE/<name>.pid.
launch() {
  local name="$1"; shift
  printf '%s\n' "$@" >"$STATE/$name.args"
  setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$STATE/$name.pid"
  log "started $name (pid $!), log $LOGS/$name.log"
}

# wait_for <name> <timeout-s> <command...>: polls until the command succeeds or the process dies.
wait_for() {
  local name="$1" timeout="$2"; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ! is_running "$name"; then
      tail -n 30 "$LOGS/$name.log" >&2 || true
      die "$name exited during startup (log $LOGS/$name.log)"
    fi
    [ "$SECONDS" -lt "$deadline" ] || { tail -n 30 "$LOGS/$name.log" >&2; die "$name not ready after ${timeout}s"; }
    sleep 0.5
  done
  log "$name ready"
}

apiserver_ok() {
  [ "$(curl -sS --max-time 5 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    "https://127.0.0.1:$APISERVER_PORT/$1")" = ok ]
}

cmd_start() {
  for b in "$ETCD" "$KUBE_APISERVER" "$KUBE_CONTROLLER_MANAGER"; do
    [ -x "$b" ] || die "missing $b; run e2e/toolchain/build.sh first"
  done
  if [ -f "$MARKER" ] && any_running; then
    die "already running (state $STATE); run '$0 stop' first"
  fi
  if [ -d "$STATE" ] && [ -n "$(ls -A "$STATE")" ]; then
    [ -f "$MARKER" ] || die "$STATE exists, is not empty and is not ours; set SLACK_TOKEN_OPERATOR_STATE"
    log "removing stale state from a previous run in $STATE"
    rm -rf "$STATE"
  fi
  mkdir -p "$STATE" "$LOGS"
  touch "$MARKER"
  chmod 700 "$STATE"
  # If anything below fails, do not leave half a cluster behind (the logs stay for diagnosis).
  trap 'if [ $? -ne 0 ]; then echo "cluster.sh: start failed; stopping what was started; logs in $LOGS" >&2; stop_processes >&2; fi' EXIT

  gen_pki
  free_port ETCD_PORT; free_port ETCD_PEER_PORT; free_port APISERVER_PORT; free_port KCM_PORT

  # --unsafe-no-fsync: test data is disposable and fsync dominates etcd latency on VMs.
  launch etcd "$ETCD" --name default --data-dir "$STATE/etcd-data" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "default=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync
  wait_for etcd 30 curl -fsS --max-time 2 "http://127.0.0.1:$ETCD_PORT/health"

  local adv; adv="$(advertise_address)"
  local bind=127.0.0.1 node_flags=(--disable-admission-plugins=ServiceAccount)
  if [ -n "${E2E_NODE_IP:-}" ]; then
    # Listening beyond loopback is only allowed inside a network namespace of its own (e2e/node.sh).
    [ "$(readlink /proc/self/ns/net)" != "$(readlink /proc/1/ns/net)" ] \
      || die "E2E_NODE_IP is set but this is the host's network namespace; use e2e/node.sh"
    bind=0.0.0.0; adv="$E2E_NODE_IP"
    node_flags=(--kubelet-client-certificate="$PKI/admin.crt" --kubelet-client-key="$PKI/admin.key"
      --kubelet-preferred-address-types=InternalIP,Hostname)
  fi
  # Flags as envtest uses them. ServiceAccount admission is off: no token controller runs and no
  # Pod ever runs here. --cert-dir keeps it from writing to /var/run/kubernetes.
  launch kube-apiserver "$KUBE_APISERVER" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address="$bind" --secure-port="$APISERVER_PORT" ${adv:+--advertise-address="$adv"} \
    --cert-dir="$PKI" --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --client-ca-file="$PKI/ca.crt" --authorization-mode=RBAC \
    --service-account-issuer=https://kubernetes.default.svc \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --service-cluster-ip-range=10.0.0.0/24 "${node_flags[@]}" \
    --profiling=false
  wait_for kube-apiserver 120 apiserver_ok readyz
  write_kubeconfig

  # The controller manager serves /healthz on loopback too (in-memory self-signed cert; /healthz
  # needs no auth). No --authentication-kubeconfig: with it, it watches the front-proxy CA in
  # kube-system/extension-apiserver-authentication, which this apiserver does not set, and logs
  # errors forever; its other endpoints (/metrics) are not needed here.
  launch kube-controller-manager "$KUBE_CONTROLLER_MANAGER" \
    --kubeconfig="$KUBECONFIG_FILE" \
    --bind-address=127.0.0.1 --secure-port="$KCM_PORT" \
    --controllers="${E2E_KCM_CONTROLLERS:-$( [ -n "${E2E_NODE_IP:-}" ] && echo '*' || echo garbagecollector,namespace)}" \
    --leader-elect=false \
    --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
    --profiling=false
  wait_for kube-controller-manager 60 curl -fsSk --max-time 2 "https://127.0.0.1:$KCM_PORT/healthz"
  trap - EXIT

  cat >"$STATE/cluster.env" <<EOF
KUBECONFIG=$KUBECONFIG_FILE
E2E_APISERVER_URL=https://127.0.0.1:$APISERVER_PORT
E2E_ETCD_URL=http://127.0.0.1:$ETCD_PORT
E2E_KCM_HEALTHZ=https://127.0.0.1:$KCM_PORT/healthz
E2E_CA_FILE=$PKI/ca.crt
KUBECTL=$KUBECTL
HELM=$HELM
EOF
  log "cluster up: https://127.0.0.1:$APISERVER_PORT"
  log "export KUBECONFIG=$KUBECONFIG_FILE   # kubectl: $KUBECTL"
}

cmd_stop() {
  if [ ! -f "$MARKER" ]; then
    [ -d "$STATE" ] && [ -n "$(ls -A "$STATE" 2>/dev/null)" ] && die "$STATE is not ours; not touching it"
    log "not running (no state in $STATE)"; return 0
  fi
  stop_processes
  rm -rf "$STATE"
  log "removed $STATE"
}

stop_processes() {
  local c pid
  # Reverse start order: clients before the servers they talk to.
  for c in kube-controller-manager kube-apiserver etcd; do
    is_running "$c" || continue
    pid="$(pid_of "$c")"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    log "stopped $c (pid $pid)"
  done
}

# An outage of the API server alone (etcd and the controller manager keep running), then the same process again.
cmd_apiserver_down() {
  local seconds="${1:?usage: $0 apiserver-down <seconds>}" pid args
  [ -f "$MARKER" ] && is_running kube-apiserver || die "kube-apiserver is not running (state $STATE)"
  APISERVER_PORT="$(sed -n 's|^E2E_APISERVER_URL=https://127.0.0.1:||p' "$STATE/cluster.env")"
  pid="$(pid_of kube-apiserver)"
  kill -TERM "$pid"
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  log "kube-apiserver stopped for ${seconds}s"
  sleep "$seconds"
  mapfile -t args <"$STATE/kube-apiserver.args"
  launch kube-apiserver "${args[@]}"
  wait_for kube-apiserver 120 apiserver_ok readyz
}

cmd_status() {
  [ -f "$MARKER" ] || { log "not running (no state in $STATE)"; return 3; }
  local c rc=0
  for c in "${COMPONENTS[@]}"; do
    if is_running "$c"; then echo "$c: running (pid $(pid_of "$c"))"; else echo "$c: NOT running"; rc=1; fi
  done
  if [ -f "$STATE/cluster.env" ]; then
    APISERVER_PORT="$(sed -n 's|^E2E_APISERVER_URL=https://127.0.0.1:||p' "$STATE/cluster.env")"
    if apiserver_ok readyz; then echo "apiserver /readyz: ok"; else echo "apiserver /readyz: FAILING"; rc=1; fi
    echo "kubeconfig: $KUBECONFIG_FILE"
  fi
  echo "logs: $LOGS"
  return "$rc"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  apiserver-down) shift; cmd_apiserver_down "$@" ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
