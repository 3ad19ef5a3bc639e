#!/usr/bin/env bash
# The API document and its TypeScript client agree, in the test command (infra/scripts/test.sh):
# installs the pinned tools (package-lock.json), fails when src/schema.d.ts is not what
# openapi.yaml generates today, type-checks the client and its examples (strict tsc), and lints
# openapi.yaml with Redocly's recommended rules, failing on any warning as on an error.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# Redocly phones home by default; a test run has no business doing so.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
cd "$here"

npm ci --no-audit --no-fund --loglevel=error

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
./generate.sh "$tmp/schema.d.ts" 2>"$tmp/generate.log" || { cat "$tmp/generate.log" >&2; exit 1; }
if ! diff -u src/schema.d.ts "$tmp/schema.d.ts" >"$tmp/schema.diff"; then
  head -n 60 "$tmp/schema.diff" >&2
  echo "openapi.yaml changed: run clients/typescript/generate.sh and commit src/schema.d.ts" >&2
  exit 1
fi
echo "src/schema.d.ts is what openapi.yaml generates"

node_modules/.bin/tsc --noEmit --project tsconfig.json
echo "tsc --noEmit: no errors"

# `redocly lint` fails only on errors: read the totals and fail on warnings too.
cd "$root"
lint=(clients/typescript/node_modules/.bin/redocly lint openapi.yaml --config redocly.yaml)
totals="$("${lint[@]}" --format=json 2>/dev/null | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const t = JSON.parse(s).totals; console.log(`${t.errors} ${t.warnings}`);
  });')" || true
if [[ "$totals" != "0 0" ]]; then
  "${lint[@]}" >&2 || true
  echo "redocly lint openapi.yaml: errors and warnings ${totals:-unreadable}, want 0 0" >&2
  exit 1
fi
echo "redocly lint openapi.yaml: 0 errors, 0 warnings"
