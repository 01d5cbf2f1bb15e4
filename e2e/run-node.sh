#!/usr/bin/env bash
# The in-cluster suites: builds (or reuses) the toolchain, builds the operator image (e2e/image.sh), starts a cluster
# with a node (e2e/node.sh) in its own state directory, imports the images, runs the suites inside the node's
# namespaces, stops everything and checks that the host is as it was (node.sh stop fails otherwise).
# Needs root, target/quarkus-app (./mvnw package) and the Debian packages containerd runc buildah
# containernetworking-plugins iptables busybox-static (.ci/run installs them).
# Usage: e2e/run-node.sh [suite...]   (default: incluster)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

t0=$SECONDS
"$here/toolchain/build.sh" >/dev/null
echo "== toolchain: $((SECONDS - t0)) s"
export SLACK_TOKEN_OPERATOR_STATE="${SLACK_TOKEN_OPERATOR_NODE_STATE:-/tmp/slack-token-operator-node-run-$$}"
t=$SECONDS; "$here/image.sh"; echo "== image: $((SECONDS - t)) s"
status=0
stop() { "$here/node.sh" stop || status=1; }
trap 'stop; exit $status' EXIT
t=$SECONDS; "$here/node.sh" start; echo "== node start: $((SECONDS - t)) s"
t=$SECONDS; "$here/image.sh" --import | grep -v '^image.sh: localhost' || true; echo "== image import: $((SECONDS - t)) s"

suites=("$@")
[ "${#suites[@]}" -gt 0 ] || suites=(incluster)
for suite in "${suites[@]}"; do
  echo "== e2e (in the node's namespaces): $suite"
  t=$SECONDS
  "$here/node.sh" exec "$here/$suite.sh" || status=1
  echo "== $suite: $((SECONDS - t)) s"
done
echo "== total: $((SECONDS - t0)) s"
