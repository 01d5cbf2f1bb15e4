#!/usr/bin/env bash
# Builds the operator image without a registry or a Docker engine: buildah (vfs storage, no daemon) from scratch
# with a jlink'd Java 17 runtime, the shared libraries it links, and the Quarkus fast-jar under /deployments owned
# by uid 185 — the layout of src/main/docker/Dockerfile.jvm (which stays the image for users' own CI), so the chart
# cannot tell them apart. Written as an OCI archive; optionally imported into the node of e2e/node.sh.
#
# Usage: e2e/image.sh [--import]      (after ./mvnw package; --import needs a running e2e/node.sh)
#        e2e/image.sh --pause         only the node's pause image ($E2E_CACHE/images/pause-1.tar; node.sh calls it)
#        e2e/image.sh --workload [--import]   only the example workload's image (deploy/examples/workload, after
#                                     ./mvnw -f deploy/examples/workload/pom.xml package), built the same way:
#                                     localhost/slack-token-operator-example/workload:0.1.0 ->
#                                     deploy/examples/workload/target/workload-image.tar
#   output: ${E2E_IMAGE_ARCHIVE:-target/slack-token-operator-image.tar}, image ${E2E_IMAGE:-localhost/slack-token-operator:e2e}
#   also builds (cached) the workload image localhost/slack-token-operator-e2e/busybox:2 (busybox-static) used by the
#   in-cluster suites: $E2E_CACHE/images/busybox-2.tar
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=e2e/toolchain/env.sh
source "$here/toolchain/env.sh"

# buildah writes a blob cache under /var/lib/containers and a lock under /etc/containers/networks even for a build
# from scratch: run the whole build in a private mount namespace where /var/lib is a scratch directory and /etc a
# copy-on-write overlay, so nothing lands on the host.
if [ -z "${STO_IMAGE_PRIVATE_MOUNTS:-}" ]; then
  scratch="$(mktemp -d /tmp/sto-image-mounts.XXXXXX)"
  mkdir -p "$scratch/var-lib" "$scratch/etc-upper" "$scratch/etc-work"
  rc=0
  STO_IMAGE_PRIVATE_MOUNTS="$scratch" unshare --mount --propagation private bash -c '
    mount --bind "$STO_IMAGE_PRIVATE_MOUNTS/var-lib" /var/lib &&
    mount -t overlay overlay -o "lowerdir=/etc,upperdir=$STO_IMAGE_PRIVATE_MOUNTS/etc-upper,workdir=$STO_IMAGE_PRIVATE_MOUNTS/etc-work" /etc &&
    exec "$0" "$@"' "$0" "$@" || rc=$?
  rm -rf "$scratch"
  exit "$rc"
fi

for b in buildah jlink ldd gcc; do command -v "$b" >/dev/null || { echo "image.sh: missing $b (apt-get install buildah gcc)" >&2; exit 1; }; done
tmp="$(mktemp -d /tmp/sto-image.XXXXXX)"
cleanup() { buildah --storage-driver vfs --root "$tmp/storage" --runroot "$tmp/run" rm -a >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT
bah() { buildah --storage-driver vfs --root "$tmp/storage" --runroot "$tmp/run" "$@"; }

# The node's pause image (e2e/node.sh): a ten-line static C program, built once and cached as an OCI archive.
if [ "${1:-}" = --pause ]; then
  pause="$E2E_CACHE/images/pause-1.tar"
  [ -f "$pause" ] && exit 0
  mkdir -p "$E2E_CACHE/images" "$tmp/pause"
  cat >"$tmp/pause.c" <<'C'
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
static void quit(int sig) { (void)sig; exit(0); }
int main(void) {
  signal(SIGTERM, quit);
  signal(SIGINT, quit);
  for (;;) pause();
}
C
  gcc -static -Os -s -o "$tmp/pause/pause" "$tmp/pause.c"
  p=$(bah from scratch)
  bah copy "$p" "$tmp/pause/pause" /pause >/dev/null
  bah config --entrypoint '["/pause"]' --user 65535 "$p"
  bah commit --format oci "$p" "oci-archive:$pause.tmp:localhost/slack-token-operator-e2e/pause:1" >/dev/null
  mv "$pause.tmp" "$pause"
  exit 0
fi

workload=0
[ "${1:-}" != --workload ] || { workload=1; shift; }
if [ "$workload" = 1 ]; then
  IMAGE=localhost/slack-token-operator-example/workload:0.1.0
  app="$repo/deploy/examples/workload/target"
  ARCHIVE="$app/workload-image.tar"
  [ -f "$app/workload.jar" ] || { echo "image.sh: build first (./mvnw -f deploy/examples/workload/pom.xml package)" >&2; exit 1; }
else
  IMAGE="${E2E_IMAGE:-localhost/slack-token-operator:e2e}"
  ARCHIVE="${E2E_IMAGE_ARCHIVE:-$repo/target/slack-token-operator-image.tar}"
  app="$repo/target/quarkus-app"
  [ -f "$app/quarkus-run.jar" ] || { echo "image.sh: build first (./mvnw package -DskipTests)" >&2; exit 1; }
fi

# Modules Quarkus, Netty, Fabric8 and Micrometer need (jdk.zipfs: the jar file system; jdk.management: GC
# notifications for Micrometer; jdk.crypto.ec: TLS with EC keys). The workload (Slack SDK, OkHttp, Gson) needs fewer
# but shares this runtime: one jlink, one cache entry.
MODULES=java.base,java.logging,java.naming,java.net.http,java.management,java.security.jgss,jdk.crypto.ec,java.sql,jdk.unsupported,jdk.zipfs,jdk.management,java.xml,java.desktop,jdk.crypto.cryptoki,java.instrument
t0=$SECONDS

# The runtime: jlink'd once per JDK and module list, cached.
jdk_version="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.runtime.version = //p')"
jre="$E2E_CACHE/images/jre-$jdk_version-$(echo "$MODULES" | sha256sum | cut -c1-12)"
if [ ! -x "$jre/bin/java" ]; then
  mkdir -p "$E2E_CACHE/images"
  rm -rf "$jre.tmp"
  jlink --add-modules "$MODULES" --strip-debug --no-man-pages --no-header-files --compress=2 --output "$jre.tmp"
  mv "$jre.tmp" "$jre"
fi

# The root file system: runtime, the shared libraries it links (ldd of every ELF file in it), users, /tmp.
root="$tmp/rootfs"
mkdir -p "$root/opt/java" "$root/etc" "$root/tmp" "$root/deployments"
cp -a "$jre" "$root/opt/java/openjdk"
find "$root/opt/java/openjdk" -type f \( -name '*.so' -o -path '*/bin/*' \) -exec ldd {} \; 2>/dev/null \
  | awk '/=> \//{print $3} /^\s*\/[^ ]+ \(/{print $1}' | sort -u | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
    # the name the loader looks for, if the path is a symlink elsewhere
  done
# 64-bit loader at the path the binaries name
[ -e "$root/lib64/ld-linux-x86-64.so.2" ] || { mkdir -p "$root/lib64"; cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"; }
# uid 185 "operator" (as the JVM base images), or 1000 "workload"
user=operator uid=185
[ "$workload" = 0 ] || { user=workload; uid=1000; }
printf 'root:x:0:0:root:/root:/sbin/nologin\n%s:x:%s:%s:%s:/deployments:/sbin/nologin\n' "$user" "$uid" "$uid" "$user" >"$root/etc/passwd"
printf 'root:x:0:\n%s:x:%s:\n' "$user" "$uid" >"$root/etc/group"
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
chmod 1777 "$root/tmp"
if [ "$workload" = 1 ]; then
  cp -a "$app/lib" "$app/workload.jar" "$root/deployments/"
  jar=/deployments/workload.jar; env_extra=()
else
  cp -a "$app/lib" "$app/app" "$app/quarkus" "$app/quarkus-run.jar" "$root/deployments/"
  jar=/deployments/quarkus-run.jar; env_extra=(--port 8080 --env QUARKUS_HTTP_HOST=0.0.0.0)
fi
chown -R "$uid:$uid" "$root/deployments"

c=$(bah from scratch)
bah copy "$c" "$root/" / >/dev/null
bah config --user "$uid" --workingdir /deployments "${env_extra[@]}" \
  --env JAVA_HOME=/opt/java/openjdk --env PATH=/opt/java/openjdk/bin:/usr/bin:/bin \
  --env 'JAVA_TOOL_OPTIONS=-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30' --env MALLOC_ARENA_MAX=2 \
  --entrypoint "[\"java\", \"-jar\", \"$jar\"]" "$c"
mkdir -p "$(dirname "$ARCHIVE")"
rm -f "$ARCHIVE"
bah commit --format oci "$c" "oci-archive:$ARCHIVE:$IMAGE" >/dev/null
echo "image.sh: $IMAGE -> $ARCHIVE ($(du -m "$ARCHIVE" | cut -f1) MB) in $((SECONDS - t0)) s"

if [ "$workload" = 1 ]; then
  if [ "${1:-}" = --import ]; then
    "$here/node.sh" import "$(realpath "$ARCHIVE")" >/dev/null
    echo "image.sh: imported into the node"
  fi
  exit 0
fi

# The workload image for the in-cluster suites: busybox (sh, wget, sleep) from the Debian package, cached.
bb="$E2E_CACHE/images/busybox-2.tar"
if [ ! -f "$bb" ]; then
  command -v busybox >/dev/null && ! ldd "$(command -v busybox)" >/dev/null 2>&1 \
    || { echo "image.sh: missing a static busybox (apt-get install busybox-static)" >&2; exit 1; }
  mkdir -p "$tmp/bb/bin" "$tmp/bb/tmp"
  cp "$(command -v busybox)" "$tmp/bb/bin/busybox"
  for a in sh wget sleep cat date echo grep cut tr printf test ls md5sum head awk; do ln -s busybox "$tmp/bb/bin/$a"; done
  chmod 1777 "$tmp/bb/tmp"
  w=$(bah from scratch)
  bah copy "$w" "$tmp/bb/" / >/dev/null
  bah config --env PATH=/bin --user 65534 --entrypoint '["/bin/sh"]' "$w"
  bah commit --format oci "$w" "oci-archive:$bb.tmp:localhost/slack-token-operator-e2e/busybox:2" >/dev/null
  mv "$bb.tmp" "$bb"
fi

if [ "${1:-}" = --import ]; then
  t1=$SECONDS
  "$here/node.sh" import "$(realpath "$ARCHIVE")" >/dev/null
  "$here/node.sh" import "$bb" >/dev/null
  echo "image.sh: imported into the node in $((SECONDS - t1)) s"
fi
