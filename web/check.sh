#!/usr/bin/env bash
# The checkout page in the test command (infra/scripts/test.sh): installs the pinned packages
# (package-lock.json), type-checks the page with the client it is built on (strict tsc), fails
# when the committed web/dist is not what web/ builds today, then runs the browser tests
# (tests/checkout.test.mjs: Debian's Chromium against the already-built local stack, whose path
# is LOCAL_BIN or ${CARGO_TARGET_DIR:-target}/debug/local).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$here"

chromium="${CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$chromium" ]]; then
  echo "$chromium is missing: apt-get install chromium (infra/scripts/services.sh ensure_chromium)" >&2
  exit 1
fi

npm ci --no-audit --no-fund --loglevel=error

# The build resolves openapi-fetch from this package (vite.config.mjs); the client declares its
# own pin, and the two must not drift apart.
node -e '
  const pin = (f) => require(f).dependencies["openapi-fetch"];
  const [web, client] = [pin("./package.json"), pin("../clients/typescript/package.json")];
  if (web !== client) { console.error(`openapi-fetch: web/ pins ${web}, clients/typescript ${client}: pin one version`); process.exit(1); }
'

node_modules/.bin/tsc --noEmit --project tsconfig.json
echo "tsc --noEmit: no errors"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
./build.sh "$tmp/dist"
if ! diff -ru dist "$tmp/dist" >"$tmp/dist.diff"; then
  # app.js is one long line: cut the lines, not only their number.
  head -n 40 "$tmp/dist.diff" | cut -c 1-240 >&2
  echo "web/dist is not what web/ builds: run web/build.sh and commit web/dist" >&2
  exit 1
fi
echo "web/dist is what web/ builds: $(cd dist && wc -c index.html app.js app.css | tr -s ' \n' ' ')"

export LOCAL_BIN="${LOCAL_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/local}"
node --test tests/checkout.test.mjs
