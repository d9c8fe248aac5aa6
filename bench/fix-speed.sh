#!/usr/bin/env bash
# `mlalert lint --diff` (every fix: lint, apply, re-lint until nothing is
# left, verified) against a plain `mlalert lint`, on a copy of the real
# corpus (nothing is written: `--diff` never writes).
# Usage: bench/fix-speed.sh [CORPUS_DIR]   (default ../shared/corpus)
set -euo pipefail
cd "$(dirname "$0")/.."
corpus="${1:-${MLALERT_CORPUS:-../shared/corpus}}"
cargo build --release --quiet
bin="$PWD/target/release/mlalert"
cd "$corpus/real"
hyperfine --warmup 1 -N -i \
  "$bin lint --quiet ." \
  "$bin lint --quiet --diff ." \
  "$bin lint --quiet --diff --unsafe-fixes ."
