#!/usr/bin/env bash
# The server suite on the Node LTS the image runs (infra/Dockerfile's NODE_VERSION), whatever the
# machine's node is (docs/adr/0119-node-lts-runtime.md). Extra arguments go to vitest.
#   npm run test:node-lts
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run test:node-lts   (faster)
set -euo pipefail
cd "$(dirname "$0")/.."
PATH="$(scripts/node-lts.sh):$PATH"
export PATH
echo "Server suite on node $(node --version) ($(command -v node))"
cd server
# Native modules load on this node: argon2's prebuilt binary and sharp's libvips are Node-API;
# embedded-postgres ships PostgreSQL's own binaries.
node -e "require('argon2'); require('sharp'); console.log('argon2, sharp: loaded')"
exec npx vitest run "$@"
