#!/usr/bin/env bash
# Rebuilds the checkout page into web/dist/: exactly index.html, app.js and app.css, the files the
# local stack serves at /, /app.js and /app.css. Run it after changing web/ and commit web/dist
# with the change; check.sh calls it with a temporary OUT to prove the committed build is current,
# so this is the one place the build's command line lives.
#   web/build.sh [OUT]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$(realpath -m "${1:-$here/dist}")"
cd "$here"
[[ -x node_modules/.bin/vite ]] || npm ci --no-audit --no-fund --loglevel=error
node_modules/.bin/vite build --outDir "$out" --emptyOutDir --logLevel warn

# A setting that splits code or names files by hash would break the stack's fixed routes.
built="$(cd "$out" && find . -type f | sed 's|^\./||' | sort | tr '\n' ' ')"
if [[ "$built" != "app.css app.js index.html " ]]; then
  echo "the build wrote '$built'; want exactly app.css app.js index.html (see vite.config.mjs)" >&2
  exit 1
fi
