#!/usr/bin/env bash
# Prints the folder of an official Node.js build of one major line (e.g. 24),
# fetched once into .cache/ from the npm registry, which serves the official
# Linux builds as the packages node-linux-<arch>. The tarball carries
# include/node, so native addons (better-sqlite3) build against it with
# node-gyp's --nodedir. Used by scripts/on-node.sh.
set -euo pipefail
major=${1:?usage: scripts/node-line.sh MAJOR (e.g. 24)}
arch=$(node -p process.arch)
cd "$(dirname "$0")/.."
dir=.cache/node-$major-linux-$arch
if [ ! -x "$dir/bin/node" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "node-linux-$arch@$major" >/dev/null)
  rm -rf "$dir" && mkdir -p "$dir"
  tar xzf "$tmp"/*.tgz -C "$dir" --strip-components=1
fi
cd "$dir" && pwd
