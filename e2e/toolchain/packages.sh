#!/usr/bin/env bash
# The Debian packages the build, the e2e suites, the node and the demo need; installs the missing ones (apt-get, as
# root). Usage: e2e/toolchain/packages.sh [--check]   (--check: list the missing ones, exit 1 if any)
set -euo pipefail
need_apt=()
# Java 17 (the project's release level). Machines of this kind ship it; install it if a machine does not.
if ! command -v javac >/dev/null 2>&1 || ! javac -version 2>&1 | grep -qE 'javac (1[7-9]|2[0-9])'; then
  need_apt+=(openjdk-17-jdk-headless)
fi
# The e2e harness: certificates, port checks, the simulator probe and the npm-packaged kubectl/helm.
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
command -v ss >/dev/null 2>&1 || need_apt+=(iproute2)
command -v unzip >/dev/null 2>&1 || need_apt+=(unzip)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
command -v flock >/dev/null 2>&1 || need_apt+=(util-linux)
# The node (e2e/node.sh, e2e/image.sh): container runtime, CNI plugins, kube-proxy's iptables, the image builder,
# the static pause program and the e2e workload's busybox.
command -v containerd >/dev/null 2>&1 || need_apt+=(containerd)
command -v runc >/dev/null 2>&1 || need_apt+=(runc)
command -v buildah >/dev/null 2>&1 || need_apt+=(buildah)
[ -x /usr/lib/cni/bridge ] || need_apt+=(containernetworking-plugins)
command -v iptables >/dev/null 2>&1 || need_apt+=(iptables)
command -v gcc >/dev/null 2>&1 || need_apt+=(gcc libc6-dev)
command -v busybox >/dev/null 2>&1 && ! ldd "$(command -v busybox)" >/dev/null 2>&1 || need_apt+=(busybox-static)
# The browser test of the consent pages (e2e/consent-browser.sh): Chromium, its WebDriver and a font, without the
# desktop packages Chromium recommends.
need_lean=()
command -v chromium >/dev/null 2>&1 || need_lean+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_lean+=(chromium-driver)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_lean+=(fonts-dejavu-core)
[ "$((${#need_apt[@]} + ${#need_lean[@]}))" -gt 0 ] || exit 0
if [ "${1:-}" = --check ]; then
  echo "${need_apt[*]} ${need_lean[*]}"
  exit 1
fi
echo "installing ${need_apt[*]} ${need_lean[*]} (apt-get)"
apt-get update -qq
[ "${#need_apt[@]}" -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
[ "${#need_lean[@]}" -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  "${need_lean[@]}" >/dev/null
