#!/usr/bin/env bash
# Side-by-side: `mlalert test` vs `promtool test rules` on (1) the promtool
# unit-test files of the corpus that both pass, (2) a generated suite
# (bench/gen_unittest_suite.py: hundreds of rules, hours of 15s series),
# (3) a long range window (bench/gen_long_window.py: avg_over_time(x[12h])
# every minute over 25h of 5m samples) and (4) a series of ten million
# samples ('0x10000000') and (5) a native-histogram suite
# (bench/gen_native_suite.py: per-model rates, quantiles and fractions of
# native histograms, two alerts, 6h of 15s samples). Each case: hyperfine,
# then peak RSS of one run of each tool (/usr/bin/time).
# Needs: hyperfine and promtool (Debian: apt-get install hyperfine prometheus;
# PROMTOOL=/opt/prom3/usr/bin/promtool for 3.5.3, see shared/tools).
# Usage: [PROMTOOL=…] bench/test-vs-promtool.sh [CORPUS_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
corpus="${1:-${MLALERT_CORPUS:-../shared/corpus}}"
cargo build --release --quiet
bin="$PWD/target/release/mlalert"
promtool="${PROMTOOL:-promtool}"
promtool() { "$promtool" "$@"; }
rss() { # peak RSS in MiB of one run of each tool in directory $1 on file(s) $2
  for cmd in "$bin test $2" "$promtool test rules $2"; do
    kib=$(cd "$1" && /usr/bin/time -f %M $cmd 2>&1 >/dev/null | tail -1)
    echo "peak RSS: $((kib / 1024)) MiB  $cmd"
  done
}
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
  -n "promtool test rules" "$promtool test rules$files")
rss "$td" "$files"

echo "== generated suite: ${RULES:-300} rules, ${HOURS:-6}h of 15s samples, ${SERIES:-40} series"
python3 bench/gen_unittest_suite.py "$work/suite" --rules "${RULES:-300}" --hours "${HOURS:-6}" --series "${SERIES:-40}"
(cd "$work/suite" && hyperfine --warmup 1 --runs "${SUITE_RUNS:-3}" -N \
  -n "mlalert test" "$bin test tests.yaml" \
  -n "promtool test rules" "$promtool test rules tests.yaml")
rss "$work/suite" tests.yaml

echo "== long window: avg_over_time(x[12h]) every 1m over 25h of 5m samples, 100 series"
python3 bench/gen_long_window.py "$work/lw"
(cd "$work/lw" && hyperfine --warmup 1 --runs "${SUITE_RUNS:-3}" -N \
  -n "mlalert test" "$bin test tests.yaml" \
  -n "promtool test rules" "$promtool test rules tests.yaml")
rss "$work/lw" tests.yaml

echo "== ten million samples: values '0x10000000', evaluated for 10h"
mkdir -p "$work/tenm"
cat > "$work/tenm/tests.yaml" <<'YAML'
tests:
- interval: 1m
  input_series:
  - series: gpu_util{gpu="0"}
    values: '0x10000000'
  promql_expr_test:
  - expr: count_over_time(gpu_util[1h])
    eval_time: 10h
    exp_samples: [{labels: '{gpu="0"}', value: 60}]
YAML
(cd "$work/tenm" && hyperfine --warmup 1 --runs "${SUITE_RUNS:-3}" -N \
  -n "mlalert test" "$bin test tests.yaml" \
  -n "promtool test rules" "$promtool test rules tests.yaml")
rss "$work/tenm" tests.yaml

echo "== native histograms: ${MODELS:-40} models x ${PODS:-4} pods, ${HOURS:-6}h of 15s samples"
python3 bench/gen_native_suite.py "$work/native" --models "${MODELS:-40}" --pods "${PODS:-4}" --hours "${HOURS:-6}"
(cd "$work/native" && hyperfine --warmup 1 --runs "${SUITE_RUNS:-3}" -N \
  -n "mlalert test" "$bin test tests.yaml" \
  -n "promtool test rules" "$promtool test rules tests.yaml")
rss "$work/native" tests.yaml
