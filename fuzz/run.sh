#!/usr/bin/env bash
# fuzz/run.sh - runs the fuzz targets one after another (by hand, never in CI).
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     default: 1800 s each; split_parse lint fix
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and libFuzzer's nightly flags: on a stable
# toolchain RUSTC_BOOTSTRAP=1 allows them. Seeds come from fuzz/seed.py (fixtures/ and
# ../shared/corpus/real/). Crashes land in fuzz/artifacts/<target>/; copy a fixed one to
# fuzz/regressions/<target>/ so that `cargo test` replays it. Logs: fuzz/logs/<target>.log.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-1800}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(split_parse lint fix)
python3 seed.py
mkdir -p logs
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O
for t in "${targets[@]}"; do
  echo "== $t: ${secs}s"
  # -fork=1 with -ignore_*: a crash is saved to artifacts/ and the run goes on.
  cargo fuzz run -O "$t" "corpus/$t" -- \
    -max_total_time="$secs" -max_len=65536 -timeout=20 -rss_limit_mb=3072 \
    -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -print_final_stats=1 >"logs/$t.log" 2>&1 || echo "$t: stopped (see logs/$t.log)"
  ls "artifacts/$t" 2>/dev/null | sed "s|^|$t: finding: |" || true
  grep -E "cov: [0-9]+" "logs/$t.log" | tail -1 || true
done
