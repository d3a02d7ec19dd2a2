#!/usr/bin/env bash
# Builds the production image from the Containerfile and checks it for real: the server starts in
# it (as the image's non-root user, with only /data and /tmp writable) against its embedded demo
# relay and answers a page, /api/flows (the first Server-Sent Events), /healthz, /readyz and
# /metrics.
#
# No registry image can be pulled on these machines, so the base images are made here: a Debian
# minbase from debootstrap plus this machine's Node (the runtime base), and the same plus npm and a
# C++ toolchain for better-sqlite3 (the build base). They are kept in buildah's storage and the
# root filesystem in .cache/image-test/ (ignored by git), so only the first run pays for them.
#
# Needs root, buildah and debootstrap (.ci/run installs them). Runs with `--isolation chroot`:
# neither a container engine nor user namespaces are needed.
#
#   scripts/image-test.sh                      # build and check (the server on port 3510)
#   IMAGE_TEST_PORT=3520 scripts/image-test.sh
#   IMAGE_TEST_IMAGE=localhost/hubble-lens:mine scripts/image-test.sh   # another tag (several checkouts on one machine)
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${IMAGE_TEST_PORT:-3510}"
CACHE="${IMAGE_TEST_CACHE:-.cache/image-test}"
SUITE="${IMAGE_TEST_SUITE:-bookworm}"
NODE_BIN="$(readlink -f "$(command -v node)")"
NODE_VERSION="$(node --version)"
NPM_DIR="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
NODE_HEADERS="$(dirname "$(dirname "$NODE_BIN")")/include/node"
RUNTIME_BASE="localhost/hubble-lens-base:${SUITE}-node${NODE_VERSION#v}"
BUILD_BASE="localhost/hubble-lens-build-base:${SUITE}-node${NODE_VERSION#v}"
IMAGE="${IMAGE_TEST_IMAGE:-localhost/hubble-lens:image-test}"
BUILDAH=(buildah)
started=$(date +%s)

mkdir -p "$CACHE"

say() { printf 'image-test [%4ss]: %s\n' "$(($(date +%s) - started))" "$*"; }

# The Debian mirror apt on this machine uses (the base must come from where packages are reachable).
debian_mirror() {
  local uri
  uri=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -n1 || true)
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)
  fi
  [ -n "$uri" ] || { echo "image-test: no Debian mirror found in /etc/apt/sources*" >&2; exit 1; }
  echo "$uri"
}

image_exists() { "${BUILDAH[@]}" inspect --type image "$1" >/dev/null 2>&1; }

make_rootfs() {
  local rootfs="$CACHE/rootfs-$SUITE"
  if [ -f "$rootfs/.complete" ]; then return; fi
  say "debootstrap $SUITE (minbase) into $rootfs"
  rm -rf "$rootfs"
  mkdir -p "$CACHE"
  debootstrap --variant=minbase --include=ca-certificates "$SUITE" "$rootfs" "$(debian_mirror)" >"$CACHE/debootstrap.log" 2>&1 \
    || { tail -n 30 "$CACHE/debootstrap.log" >&2; exit 1; }
  # Nothing of apt's caches, documentation or locales is needed in an image.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* \
    "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/*
  touch "$rootfs/.complete"
}

make_runtime_base() {
  if image_exists "$RUNTIME_BASE"; then say "runtime base $RUNTIME_BASE is cached"; return; fi
  make_rootfs
  say "runtime base $RUNTIME_BASE: Debian $SUITE + node $NODE_VERSION"
  local ctr
  ctr=$("${BUILDAH[@]}" from scratch)
  "${BUILDAH[@]}" copy --quiet "$ctr" "$CACHE/rootfs-$SUITE" / >/dev/null
  "${BUILDAH[@]}" copy --quiet --chmod 0755 "$ctr" "$NODE_BIN" /usr/local/bin/node >/dev/null
  "${BUILDAH[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd node "$ctr"
  "${BUILDAH[@]}" commit --quiet "$ctr" "$RUNTIME_BASE" >/dev/null
  "${BUILDAH[@]}" rm "$ctr" >/dev/null
}

make_build_base() {
  if image_exists "$BUILD_BASE"; then say "build base $BUILD_BASE is cached"; return; fi
  say "build base $BUILD_BASE: runtime base + npm + python3, make, g++ (better-sqlite3 compiles)"
  local ctr
  ctr=$("${BUILDAH[@]}" from "$RUNTIME_BASE")
  "${BUILDAH[@]}" copy --quiet "$ctr" "$NPM_DIR" /usr/local/lib/node_modules/npm >/dev/null
  "${BUILDAH[@]}" run --isolation chroot "$ctr" -- ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm
  # node-gyp downloads Node's headers unless it has them: give it this machine's (no download works here).
  "${BUILDAH[@]}" copy --quiet "$ctr" "$NODE_HEADERS" /usr/local/include/node >/dev/null
  "${BUILDAH[@]}" config --env npm_config_nodedir=/usr/local "$ctr"
  # This machine may reach the npm registry through a proxy whose CA only its own bundle trusts:
  # the build stage trusts what the machine trusts. Only the build base; the final image never has it.
  if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    "${BUILDAH[@]}" copy --quiet "$ctr" /etc/ssl/certs/ca-certificates.crt /usr/local/share/build-ca-certificates.crt >/dev/null
    "${BUILDAH[@]}" config --env NODE_EXTRA_CA_CERTS=/usr/local/share/build-ca-certificates.crt "$ctr"
  fi
  "${BUILDAH[@]}" run --isolation chroot "$ctr" -- sh -c \
    'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 make g++ >/dev/null && rm -rf /var/lib/apt/lists/*'
  "${BUILDAH[@]}" commit --quiet "$ctr" "$BUILD_BASE" >/dev/null
  "${BUILDAH[@]}" rm "$ctr" >/dev/null
}

make_runtime_base
make_build_base

say "buildah bud the Containerfile"
"${BUILDAH[@]}" bud --isolation chroot --layers \
  --build-arg "BUILD_IMAGE=$BUILD_BASE" --build-arg "BASE_IMAGE=$RUNTIME_BASE" \
  -f Containerfile -t "$IMAGE" . >"$CACHE/bud.log" 2>&1 || { tail -n 60 "$CACHE/bud.log" >&2; exit 1; }
size=$("${BUILDAH[@]}" images --format '{{.Size}}' "$IMAGE")
say "built $IMAGE ($size)"
user=$("${BUILDAH[@]}" inspect --type image --format '{{.OCIv1.Config.User}}' "$IMAGE")
case "$user" in
  "" | 0 | 0:* | root | root:*) echo "image-test: the image runs as root (USER '$user'); it must not" >&2; exit 1 ;;
esac

# The server as Kubernetes would run it: the image's user, a writable volume at /data, and a
# root filesystem that user cannot write to.
ctr=$("${BUILDAH[@]}" from "$IMAGE")
data=$(mktemp -d)
chown "$user" "$data"
server_pid=""
# Every process under `buildah run` (its chroot runtime, then node), by parentage, not by name.
descendants() {
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}
cleanup() {
  if [ -n "$server_pid" ]; then
    # node first gets SIGTERM itself (buildah does not pass it on), then whatever is left SIGKILL.
    local pids alive
    pids="$server_pid $(descendants "$server_pid")"
    kill -TERM $pids 2>/dev/null || true
    for _ in $(seq 1 50); do
      alive=""
      for pid in $pids; do if kill -0 "$pid" 2>/dev/null; then alive="$alive $pid"; fi; done
      [ -z "$alive" ] && break
      sleep 0.2
    done
    [ -z "$alive" ] || kill -KILL $alive 2>/dev/null || true
  fi
  "${BUILDAH[@]}" rm "$ctr" >/dev/null 2>&1 || true
  rm -rf "$data"
}
trap cleanup EXIT

say "starting the server in the image on port $PORT"
"${BUILDAH[@]}" run --isolation chroot --volume "$data:/data" \
  --env "PORT=$PORT" --env HUBBLE_LENS_LOG_LEVEL=info --env HUBBLE_LENS_ALLOW_UNAUTHENTICATED=true "$ctr" -- \
  node --max-semi-space-size=64 --require ./server-preload.cjs server.js >"$CACHE/server.log" 2>&1 &
server_pid=$!

if ! node scripts/image-smoke.mjs "http://127.0.0.1:$PORT"; then
  echo "image-test: the server's log:" >&2
  tail -n 40 "$CACHE/server.log" >&2
  exit 1
fi
if [ -z "$(ls -A "$data")" ]; then echo "image-test: nothing was written to the /data volume" >&2; exit 1; fi
say "passed: image $IMAGE ($size) answers a page, /api/flows, /healthz, /readyz and /metrics"
