#!/usr/bin/env bash
# What a release profile changes, measured on one Lambda binary (`postback`; all seven share
# their dependencies, so they move alike): the x86_64 binary's size and zip -9 size, and its
# cold start and peak RSS under the Runtime API emulator (infra/emulator/examples/cold_start.rs:
# keys from the environment, one request answered by the router, median of 5 starts). Each
# candidate builds in its own target directory; prints one markdown table.
#
#   bench/release-profiles.sh [OUT_DIR]      # OUT_DIR default /tmp/release-profiles
#
# Candidates: the workspace's profile (opt-level 3, thin LTO, 4 codegen units, strip), fat LTO
# with one codegen unit, and that at opt-level "s" and "z".
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/release-profiles}
mkdir -p "$out"
cargo build --release --locked -q -p lambda-emulator --example cold_start
target=${CARGO_TARGET_DIR:-target}
cold_start="$target/release/examples/cold_start"

fat='--config profile.release.lto="fat" --config profile.release.codegen-units=1'
declare -A variants=(
  [current]=""
  [fat]="$fat"
  [fat-s]="$fat --config profile.release.opt-level=\"s\""
  [fat-z]="$fat --config profile.release.opt-level=\"z\""
)

printf '| profile | build of `postback` | binary | zip -9 | cold start (median of 5) | peak RSS |\n'
printf '|---|---|---|---|---|---|\n'
for name in current fat fat-s fat-z; do
  dir="$out/$name"
  start=$SECONDS
  # shellcheck disable=SC2086 # the variant's --config flags are separate words
  cargo build --release --locked --bin postback -p postback --target-dir "$dir" ${variants[$name]} \
    >"$out/$name.build.log" 2>&1
  built=$((SECONDS - start))
  bin="$dir/release/postback"
  size=$(stat -c %s "$bin")
  zip=$(python3 -c "import io,sys,zipfile
buf=io.BytesIO()
with zipfile.ZipFile(buf,'w',zipfile.ZIP_DEFLATED,compresslevel=9) as z: z.write(sys.argv[1],'bootstrap')
print(buf.getbuffer().nbytes)" "$bin")
  measured=$("$cold_start" "$bin" 5)
  cold=$(sed -n 's/.*cold start median \([0-9.]* ms\).*/\1/p' <<<"$measured")
  rss=$(sed -n 's/.*peak RSS \([0-9.]* MiB\).*/\1/p' <<<"$measured")
  mib() { awk -v b="$1" 'BEGIN {printf "%.2f", b / 1048576}'; }
  printf '| %s | %ss | %s MiB | %s MiB | %s | %s |\n' "$name" "$built" "$(mib "$size")" "$(mib "$zip")" \
    "$cold" "$rss"
done
