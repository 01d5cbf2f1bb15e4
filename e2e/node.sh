#!/usr/bin/env bash
# A throw-away Kubernetes cluster WITH a node, for the in-cluster e2e suites: the control plane of cluster.sh
# (etcd, kube-apiserver, kube-controller-manager) plus kube-scheduler, containerd + runc + CNI bridge, kubelet,
# kube-proxy (iptables) and CoreDNS, so the chart's Deployments run as real Pods from images built here.
#
# Isolation (the machine is shared): everything runs inside ONE network namespace and ONE private mount namespace,
# both held by a holder process (`unshare --net --mount --propagation private sleep infinity`) and joined with
# `nsenter -t HOLDER -m -n`. No `ip netns add` (it would leave a /run/netns mount on the host). Inside: a veth pair
# whose both ends stay inside (node IP 10.213.0.1/24, default route to a black-hole address), the pod bridge
# 10.214.0.0/24; tmpfs over /run, run-dir directories over /var/lib and /var/log and a copy-on-write overlay over
# /etc (so containerd, runc, CNI and kubelet leave nothing on the host); the kernel settings kubelet insists on are read-only files bind-mounted over
# their /proc/sys entries inside the mount namespace only (kubelet runs with protectKernelDefaults: true). The host's
# sysctls, iptables/nftables rules, mounts, links/routes and the usual paths (/var/lib/kubelet, /run/containerd, ...)
# are recorded before start and compared after stop: a difference fails `stop`.
#
# Usage: node.sh start|stop|status
#        node.sh exec <command...>      run a command inside the namespaces (kubectl and helm on PATH, KUBECONFIG set,
#                                       Service names resolve: curl http://<svc>.<ns>.svc)
#        node.sh import <oci-archive>   import an image into the node's containerd (namespace k8s.io)
#   state dir: ${SLACK_TOKEN_OPERATOR_STATE:-/tmp/slack-token-operator-node} (control plane in $STATE/cp)
#   after start: $STATE/node.env (KUBECONFIG, HOLDER, ...); kubectl works only through `node.sh exec`
#   needs root and the Debian packages containerd runc containernetworking-plugins iptables
#   (e2e/toolchain/packages.sh installs them)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=e2e/toolchain/env.sh
source "$here/toolchain/env.sh"

STATE="${SLACK_TOKEN_OPERATOR_STATE:-/tmp/slack-token-operator-node}"
MARKER="$STATE/.slack-token-operator-node"
CP="$STATE/cp"
LOGS="$STATE/logs"
NODE_NAME=e2e-node
NODE_IP=10.213.0.1
BLACKHOLE=10.213.0.254
POD_CIDR=10.214.0.0/24
DNS_IP=10.0.0.10
SOCK="$STATE/containerd/containerd.sock"
PAUSE_IMAGE=localhost/slack-token-operator-e2e/pause:1
NODE_COMPONENTS=(coredns kube-proxy kubelet kube-scheduler containerd)
# What kubelet checks with protectKernelDefaults (it would set them on the host otherwise).
KERNEL_DEFAULTS=(vm/overcommit_memory=1 vm/panic_on_oom=0 kernel/panic=10 kernel/panic_on_oops=1
  kernel/keys/root_maxkeys=1000000 kernel/keys/root_maxbytes=25000000)

die() { echo "node.sh: $*" >&2; exit 1; }
log() { echo "node.sh: $*"; }

holder() { cat "$STATE/holder.pid" 2>/dev/null || true; }
holder_alive() {
  local pid; pid="$(holder)"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && [ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "sleep infinity " ]
}
in_ns() { nsenter -t "$(holder)" -m -n --wd="$PWD" -- "$@"; }

# ---------------------------------------------------------------- host snapshot (before start, after stop)
host_snapshot() {
  local d="$1"; mkdir -p "$d"
  sysctl -a 2>/dev/null | grep -vE '^(fs\.(dentry-state|file-nr|inode-nr|inode-state|quota\.)|kernel\.(ns_last_pid|random\.))' \
    >"$d/sysctl"
  { iptables-save 2>&1; ip6tables-save 2>&1; } | grep -vE '^#' >"$d/iptables" || true
  nft list ruleset >"$d/nft" 2>&1 || true
  awk '{print $5, $9, $10}' /proc/self/mountinfo | sort >"$d/mounts"
  { ip -o link show | sed -E 's/^[0-9]+: //; s/ qlen [0-9]+//'; ip -o addr show; ip route show; ip -6 route show; } \
    | sed -E 's/valid_lft [^ ]+ preferred_lft [^ ]+//' >"$d/network"
  for p in /var/lib/kubelet /var/lib/cni /etc/cni /etc/kubernetes /var/log/containers /var/log/pods /run/containerd /var/lib/containerd \
    /run/netns /run/xtables.lock; do
    [ -e "$p" ] && echo "$p"
  done >"$d/paths"
  find /sys/fs/cgroup -mindepth 1 -maxdepth 3 -type d 2>/dev/null | sort >"$d/cgroups"
}

# host_compare <before> <after>: prints differences, fails if any (cgroups are compared by cleanup instead)
host_compare() {
  local f rc=0
  for f in sysctl iptables nft mounts network paths; do
    if ! diff -u "$1/$f" "$2/$f" >"$2/$f.diff" 2>&1; then
      echo "node.sh: HOST CHANGED ($f):" >&2; head -20 "$2/$f.diff" >&2; rc=1
    fi
  done
  return "$rc"
}

# ---------------------------------------------------------------- processes
# launch <name> <args...>: inside the namespaces, detached, log in $LOGS/<name>.log, pid in $STATE/<name>.pid
launch() {
  local name="$1"; shift
  setsid nsenter -t "$(holder)" -m -n --wd="$PWD" -- "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$STATE/$name.pid"
  log "started $name (pid $!)"
}
pid_of() { cat "$STATE/$1.pid" 2>/dev/null || true; }
is_running() { local pid; pid="$(pid_of "$1")"; [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }
stop_pid() {
  local pid="$1"
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.25; done
  kill -KILL "$pid" 2>/dev/null || true
}

wait_for() {
  local what="$1" timeout="$2"; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || die "$what not ready after ${timeout}s (logs in $LOGS)"
    sleep 0.5
  done
}

# ---------------------------------------------------------------- pieces
pause_image() {
  "$here/image.sh" --pause >&2
  echo "$E2E_CACHE/images/pause-1.tar"
}

write_configs() {
  mkdir -p "$STATE/containerd" "$STATE/cni/net.d" "$STATE/cni/ipam" "$STATE/kubelet" "$STATE/var-lib" \
    "$STATE/var-log" "$STATE/sysctl" "$STATE/pod-logs"
  cat >"$STATE/containerd/config.toml" <<EOF
version = 2
root = "$STATE/containerd/root"
state = "$STATE/containerd/state"
[grpc]
  address = "$SOCK"
[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "$STATE/containerd/opt"
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "$PAUSE_IMAGE"
    # This sandbox lacks CAP_SYS_RESOURCE: without it every runc create fails writing oom_score_adj.
    restrict_oom_score_adj = true
    enable_selinux = false
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          SystemdCgroup = false
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "$STATE/cni/net.d"
EOF
  cat >"$STATE/cni/net.d/10-e2e.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "e2e",
  "plugins": [
    {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
     "ipam": {"type": "host-local", "dataDir": "$STATE/cni/ipam", "ranges": [[{"subnet": "$POD_CIDR"}]],
              "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
  echo "nameserver $BLACKHOLE" >"$STATE/resolv.conf"
  cat >"$STATE/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
healthzBindAddress: 127.0.0.1
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $CP/pki/ca.crt}
authorization: {mode: AlwaysAllow}
containerRuntimeEndpoint: unix://$SOCK
# This host: cgroup v1, no systemd, swap allowed, images imported locally (never garbage-collected).
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
# Only checks the kernel settings (bind-mounted inside the mount namespace), never writes them.
protectKernelDefaults: true
podLogsDir: $STATE/pod-logs
resolvConf: $STATE/resolv.conf
clusterDNS: [$DNS_IP]
clusterDomain: cluster.local
serializeImagePulls: false
EOF
  cat >"$STATE/Corefile" <<EOF
.:53 {
    bind $NODE_IP
    errors
    health 127.0.0.1:10180
    log
    ready 127.0.0.1:10181
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $CP/admin.kubeconfig e2e
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    template ANY ANY {
        rcode NXDOMAIN
    }
    cache 30
    loadbalance
}
EOF
}

setup_namespaces() {
  setsid unshare --net --mount --propagation private sleep infinity </dev/null >/dev/null 2>&1 &
  echo $! >"$STATE/holder.pid"
  for _ in $(seq 1 40); do holder_alive && [ "$(readlink "/proc/$(holder)/ns/net")" != "$(readlink /proc/self/ns/net)" ] \
    && break; sleep 0.05; done
  holder_alive || die "namespace holder did not start"
  # Refuse to go on unless both namespaces really are new ones.
  [ "$(readlink "/proc/$(holder)/ns/net")" != "$(readlink /proc/self/ns/net)" ] || die "holder shares the host netns"
  [ "$(readlink "/proc/$(holder)/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] || die "holder shares the host mounts"
  log "namespaces held by pid $(holder) ($(readlink "/proc/$(holder)/ns/net"), $(readlink "/proc/$(holder)/ns/mnt"))"

  in_ns ip link set lo up
  in_ns ip link add veth-node type veth peer name veth-end
  in_ns ip addr add "$NODE_IP/24" dev veth-node
  in_ns ip link set veth-node up
  in_ns ip link set veth-end up
  in_ns ip route add default via "$BLACKHOLE"

  # Private mounts: nothing below is visible on the host (propagation private).
  in_ns mount -t tmpfs -o mode=755 tmpfs /run
  in_ns mount --bind "$STATE/var-lib" /var/lib
  in_ns mount --bind "$STATE/var-log" /var/log
  # /etc copy-on-write: whatever a component writes there lands in the run dir (and /etc/resolv.conf below can
  # point at the cluster DNS for this namespace only).
  mkdir -p "$STATE/etc/upper" "$STATE/etc/work"
  in_ns mount -t overlay overlay -o "lowerdir=/etc,upperdir=$STATE/etc/upper,workdir=$STATE/etc/work" /etc
  local kv key want host
  for kv in "${KERNEL_DEFAULTS[@]}"; do
    key="${kv%%=*}"; want="${kv#*=}"; host="$(cat "/proc/sys/$key")"
    [ "$host" = "$want" ] && continue
    echo "$want" >"$STATE/sysctl/${key//\//.}"
    in_ns mount --bind "$STATE/sysctl/${key//\//.}" "/proc/sys/$key"
    in_ns mount -o remount,bind,ro "/proc/sys/$key"
    [ "$(in_ns cat "/proc/sys/$key")" = "$want" ] || die "could not mask /proc/sys/$key inside the namespace"
    [ "$(cat "/proc/sys/$key")" = "$host" ] || die "/proc/sys/$key changed on the host"
  done
}

cmd_start() {
  [ "$(id -u)" = 0 ] || die "needs root (namespaces, mounts, containerd)"
  local b
  for b in "$ETCD" "$KUBE_APISERVER" "$KUBE_CONTROLLER_MANAGER" "$KUBE_SCHEDULER" "$KUBELET" "$KUBE_PROXY" "$COREDNS" \
    "$KUBECTL"; do
    [ -x "$b" ] || die "missing $b; run e2e/toolchain/build.sh first"
  done
  for b in containerd containerd-shim-runc-v2 runc ctr buildah iptables unshare nsenter gcc jlink; do
    command -v "$b" >/dev/null || die "missing $b (apt-get install containerd runc buildah containernetworking-plugins iptables gcc)"
  done
  [ -x /usr/lib/cni/bridge ] || die "missing CNI plugins (apt-get install containernetworking-plugins)"
  if [ -f "$MARKER" ] && holder_alive; then die "already running (state $STATE); run '$0 stop' first"; fi
  if [ -d "$STATE" ] && [ -n "$(ls -A "$STATE")" ]; then
    [ -f "$MARKER" ] || die "$STATE exists, is not empty and is not ours; set SLACK_TOKEN_OPERATOR_STATE"
    die "stale state in $STATE from an unfinished run: run '$0 stop' (it cleans up and checks the host)"
  fi
  local t0=$SECONDS
  mkdir -p "$STATE" "$LOGS"; touch "$MARKER"; chmod 700 "$STATE"
  host_snapshot "$STATE/host-before"
  trap 'if [ $? -ne 0 ]; then echo "node.sh: start failed; stopping; logs in $LOGS" >&2; cp -r "$LOGS" "$STATE.failed-logs" 2>/dev/null; cmd_stop >&2 || true; fi' EXIT

  local pause; pause="$(pause_image)"
  write_configs
  setup_namespaces

  # The control plane of cluster.sh, inside the namespaces, in node mode.
  in_ns env SLACK_TOKEN_OPERATOR_STATE="$CP" E2E_NODE_IP="$NODE_IP" "$here/cluster.sh" start >"$LOGS/cluster.log" 2>&1 \
    || { cat "$LOGS/cluster.log" >&2; die "control plane did not start"; }
  local kc="$CP/admin.kubeconfig"
  kubectl_ns() { in_ns "$KUBECTL" --kubeconfig "$kc" "$@"; }

  launch containerd containerd --config "$STATE/containerd/config.toml"
  wait_for containerd 30 in_ns ctr -a "$SOCK" version
  in_ns ctr -a "$SOCK" -n k8s.io images import "$pause" >/dev/null
  launch kube-scheduler "$KUBE_SCHEDULER" --kubeconfig "$kc" --leader-elect=false --bind-address=127.0.0.1 \
    --secure-port=10259 --authentication-kubeconfig "$kc" --authorization-kubeconfig "$kc"
  launch kubelet "$KUBELET" --config "$STATE/kubelet/config.yaml" --kubeconfig "$kc" --root-dir "$STATE/kubelet" \
    --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" --v=1
  # iptables mode inside the namespace; it must not touch global conntrack sysctls. Without br_netfilter, traffic
  # between two Pods on the bridge through a ClusterIP needs the masquerade to come back the same way.
  launch kube-proxy "$KUBE_PROXY" --kubeconfig "$kc" --hostname-override "$NODE_NAME" --proxy-mode iptables \
    --cluster-cidr "$POD_CIDR" --masquerade-all --conntrack-max-per-core 0 --conntrack-tcp-timeout-established 0 \
    --conntrack-tcp-timeout-close-wait 0 --metrics-bind-address 127.0.0.1:10249 --healthz-bind-address 127.0.0.1:10256
  launch coredns "$COREDNS" -conf "$STATE/Corefile"

  # Cluster DNS: a Service at $DNS_IP whose endpoint is CoreDNS on the node address.
  kubectl_ns apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  clusterIP: $DNS_IP
  ports: [{name: dns, port: 53, protocol: UDP}, {name: dns-tcp, port: 53, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kube-dns-node
  namespace: kube-system
  labels: {kubernetes.io/service-name: kube-dns, endpointslice.kubernetes.io/managed-by: e2e-node.sh}
addressType: IPv4
endpoints: [{addresses: [$NODE_IP]}]
ports: [{name: dns, port: 53, protocol: UDP}, {name: dns-tcp, port: 53, protocol: TCP}]
EOF
  # Inside the namespaces (only: /etc is the overlay), names resolve through the cluster DNS, so the suites and a
  # curl "browser" reach Services by name (http://<svc>.<ns>.svc) like the Pods do.
  in_ns sh -c "printf 'nameserver $NODE_IP\nsearch svc.cluster.local cluster.local\noptions ndots:5\n' >/etc/resolv.conf"
  wait_for "node $NODE_NAME Ready" 120 kubectl_ns wait --for=condition=Ready "node/$NODE_NAME" --timeout=2s
  wait_for coredns 30 in_ns curl -fsS http://127.0.0.1:10181/ready
  trap - EXIT
  cat >"$STATE/node.env" <<EOF
HOLDER=$(holder)
KUBECONFIG=$kc
CONTAINERD_SOCK=$SOCK
NODE_NAME=$NODE_NAME
NODE_IP=$NODE_IP
KUBECTL=$KUBECTL
HELM=$HELM
EOF
  log "node $NODE_NAME Ready in $((SECONDS - t0)) s; run commands inside with: $0 exec <cmd> (KUBECONFIG=$kc)"
}

cmd_stop() {
  if [ ! -f "$MARKER" ]; then
    [ -d "$STATE" ] && [ -n "$(ls -A "$STATE" 2>/dev/null)" ] && die "$STATE is not ours; not touching it"
    log "not running (no state in $STATE)"; return 0
  fi
  local c pid rc=0 mntns=""
  holder_alive && mntns="$(readlink "/proc/$(holder)/ns/mnt")"
  for c in "${NODE_COMPONENTS[@]}"; do
    [ "$c" = containerd ] && [ -n "$mntns" ] && remove_containers
    is_running "$c" && { stop_pid "$(pid_of "$c")"; log "stopped $c"; }
  done
  if [ -n "$mntns" ]; then
    in_ns env SLACK_TOKEN_OPERATOR_STATE="$CP" "$here/cluster.sh" stop >>"$LOGS/cluster.log" 2>&1 || true
    # Whatever still lives in our mount namespace (container shims, processes of Pods) is ours: stop it by pid.
    for pid in $(ls /proc | grep -E '^[0-9]+$'); do
      [ "$pid" = "$(holder)" ] && continue
      [ "$(readlink "/proc/$pid/ns/mnt" 2>/dev/null)" = "$mntns" ] && { log "stopping leftover pid $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" | cut -c1-80))"; kill -KILL "$pid" 2>/dev/null || true; }
    done
    sleep 0.5
    stop_pid "$(holder)"; log "stopped namespace holder"
  fi
  # Cgroups runc created for containers (cgroupfs is global): remove the empty ones this run added.
  if [ -f "$STATE/host-before/cgroups" ]; then
    find /sys/fs/cgroup -mindepth 1 -maxdepth 3 -type d 2>/dev/null | sort | comm -13 "$STATE/host-before/cgroups" - \
      | sort -r | while read -r d; do rmdir "$d" 2>/dev/null || { find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true; }; done
  fi
  if [ -d "$STATE/host-before" ]; then
    host_snapshot "$STATE/host-after"
    find /sys/fs/cgroup -mindepth 1 -maxdepth 3 -type d 2>/dev/null | sort | comm -13 "$STATE/host-before/cgroups" - \
      >"$STATE/host-after/cgroups.left"
    if [ -s "$STATE/host-after/cgroups.left" ]; then echo "node.sh: cgroups left:" >&2; head "$STATE/host-after/cgroups.left" >&2; rc=1; fi
    host_compare "$STATE/host-before" "$STATE/host-after" || rc=1
  fi
  if [ "$rc" -ne 0 ]; then
    mkdir -p "$STATE.host-check" && cp -r "$STATE/host-before" "$STATE/host-after" "$STATE.host-check/" 2>/dev/null || true
    echo "node.sh: the host differs from before start (kept in $STATE.host-check)" >&2
  fi
  rm -rf "$STATE"
  log "removed $STATE; host sysctls, iptables/nftables, mounts, network and paths $([ "$rc" = 0 ] && echo unchanged || echo CHANGED)"
  return "$rc"
}

# Kill and delete every container of the node (kubelet does not on exit) while containerd still runs.
remove_containers() {
  is_running containerd || return 0
  local id
  for id in $(in_ns ctr -a "$SOCK" -n k8s.io tasks ls -q 2>/dev/null); do
    in_ns ctr -a "$SOCK" -n k8s.io tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
  done
  sleep 1
  for id in $(in_ns ctr -a "$SOCK" -n k8s.io tasks ls -q 2>/dev/null); do
    in_ns ctr -a "$SOCK" -n k8s.io tasks delete -f "$id" >/dev/null 2>&1 || true
  done
  for id in $(in_ns ctr -a "$SOCK" -n k8s.io containers ls -q 2>/dev/null); do
    in_ns ctr -a "$SOCK" -n k8s.io containers delete "$id" >/dev/null 2>&1 || true
  done
}

cmd_status() {
  [ -f "$MARKER" ] && holder_alive || { log "not running (state $STATE)"; return 3; }
  local c rc=0
  for c in "${NODE_COMPONENTS[@]}"; do
    if is_running "$c"; then echo "$c: running (pid $(pid_of "$c"))"; else echo "$c: NOT running"; rc=1; fi
  done
  in_ns env SLACK_TOKEN_OPERATOR_STATE="$CP" "$here/cluster.sh" status || rc=1
  in_ns "$KUBECTL" --kubeconfig "$CP/admin.kubeconfig" get nodes -o wide || rc=1
  return "$rc"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  exec) shift; holder_alive || die "not running"
    exec nsenter -t "$(holder)" -m -n --wd="$PWD" -- env KUBECONFIG="$CP/admin.kubeconfig" \
      PATH="$E2E_KUBECTL_BIN_DIR:$E2E_K8S_BIN_DIR:$PATH" "$@" ;;
  import) holder_alive || die "not running"; in_ns ctr -a "$SOCK" -n k8s.io images import "$(realpath "${2:?usage: $0 import <oci-archive>}")" ;;
  *) echo "usage: $0 start|stop|status|exec <cmd...>|import <oci-archive>" >&2; exit 2 ;;
esac
