#!/usr/bin/env bash
# Runs every fuzz target (or the ones named as arguments) for a bounded time (default 60 s each;
# FUZZ_SECONDS overrides) or, with FUZZ_RUNS=N, for N executions each, seeded from
# fuzz/seeds/<target>, and prints libFuzzer's execution count per target. Needs cargo-fuzz
# (`cargo install cargo-fuzz`); on a stable toolchain RUSTC_BOOTSTRAP lets it pass its -Z flags.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${FUZZ_SECONDS:-60}"
export RUSTC_BOOTSTRAP=1
# -a keeps overflow checks and debug assertions on in the optimised build: an overflow is a
# crash here, as it would be a wrong answer in a release build.
cargo fuzz build -O -a
status=0
if [ -n "${FUZZ_RUNS:-}" ]; then limit=(-runs="$FUZZ_RUNS"); else limit=(-max_total_time="$secs"); fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
for target in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$target"
  log="fuzz/artifacts/$target.log"
  mkdir -p fuzz/artifacts
  if cargo fuzz run -O -a "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
      "${limit[@]}" -rss_limit_mb=2048 >"$log" 2>&1; then
    runs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | tail -1)
    echo "$target: clean, ${runs:-no count}"
  else
    status=1
    echo "$target: FAILED, see $log"; grep -m3 -E 'panicked|ERROR|SUMMARY' "$log" || true
  fi
done
exit $status
