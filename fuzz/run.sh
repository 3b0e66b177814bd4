#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 60 s each; FUZZ_SECONDS overrides), seeded
# from fuzz/seeds/<target>, and prints libFuzzer's execution count per target. Needs cargo-fuzz
# (`cargo install cargo-fuzz`); on a stable toolchain RUSTC_BOOTSTRAP lets it pass its -Z flags.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${FUZZ_SECONDS:-60}"
export RUSTC_BOOTSTRAP=1
# -a keeps overflow checks and debug assertions on in the optimised build: an overflow is a
# crash here, as it would be a wrong answer in a release build.
cargo fuzz build -O -a
status=0
for target in $(cargo fuzz list); do
  mkdir -p "fuzz/corpus/$target"
  log="fuzz/artifacts/$target.log"
  mkdir -p fuzz/artifacts
  if cargo fuzz run -O -a "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
      -max_total_time="$secs" -rss_limit_mb=2048 >"$log" 2>&1; then
    runs=$(grep -o 'Done [0-9]* runs' "$log" | tail -1)
    echo "$target: clean, ${runs:-no count} in ${secs}s"
  else
    status=1
    echo "$target: FAILED, see $log"; grep -m3 -E 'panicked|ERROR|SUMMARY' "$log" || true
  fi
done
exit $status
