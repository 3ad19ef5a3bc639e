#!/usr/bin/env bash
# Regenerates the client's types (src/schema.d.ts) from ../../openapi.yaml: run it after changing
# the document and commit both. check.sh calls it with a temporary OUT to prove the committed
# file is current, so this is the one place the generator's command line lives.
#   clients/typescript/generate.sh [OUT]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$(realpath -m "${1:-$here/src/schema.d.ts}")"
cd "$here"
[[ -x node_modules/.bin/openapi-typescript ]] || npm ci --no-audit --no-fund --loglevel=error
node_modules/.bin/openapi-typescript ../../openapi.yaml --output "$out" >&2
