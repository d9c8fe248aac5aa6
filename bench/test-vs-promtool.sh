#!/usr/bin/env bash
# Side-by-side: `mlalert test` vs `promtool test rules` on (1) the promtool
# unit-test files of the corpus that both pass, and (2) a generated suite
# (bench/gen_unittest_suite.py: hundreds of rules, hours of 15s series).
# Needs: hyperfine and promtool (Debian: apt-get install hyperfine prometheus).
# Usage: bench/test-vs-promtool.sh [CORPUS_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
corpus="${1:-${MLALERT_CORPUS:-../shared/corpus}}"
cargo build --release --quiet
bin="$PWD/target/release/mlalert"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== corpus unit tests (files both tools pass)"
td="$corpus/prometheus/cmd/promtool/testdata"
files=""
for f in "$td"/*.yml; do
  grep -q '^tests:' "$f" 2>/dev/null || continue
  (cd "$td" && promtool test rules "$(basename "$f")" >/dev/null 2>&1) || continue
  (cd "$td" && "$bin" test "$(basename "$f")" >/dev/null 2>&1) || continue
  files="$files $(basename "$f")"
done
echo "files:$files"
(cd "$td" && hyperfine --warmup 1 --runs "${RUNS:-10}" -N \
  -n "mlalert test" "$bin test$files" \
  -n "promtool test rules" "promtool test rules$files")

echo "== generated suite: ${RULES:-300} rules, ${HOURS:-6}h of 15s samples, ${SERIES:-40} series"
python3 bench/gen_unittest_suite.py "$work/suite" --rules "${RULES:-300}" --hours "${HOURS:-6}" --series "${SERIES:-40}"
(cd "$work/suite" && hyperfine --warmup 1 --runs "${SUITE_RUNS:-3}" -N \
  -n "mlalert test" "$bin test tests.yaml" \
  -n "promtool test rules" "promtool test rules tests.yaml")
