#!/usr/bin/env bash
# PromQL parse speed: mlalert's own parser against promql-parser 0.11 (the
# one it replaced), on every expression of the real corpus's rule files and
# of promtool's rules_large.yml (10,000 rules), in one run each
# (examples/parse_speed.rs).
# Usage: bench/parse-speed.sh [CORPUS_DIR]   (default ../shared/corpus)
set -euo pipefail
cd "$(dirname "$0")/.."
corpus="${1:-${MLALERT_CORPUS:-../shared/corpus}}"
cargo build --release --quiet --example parse_speed
bin=./target/release/examples/parse_speed
echo "## real corpus (rule files of INDEX.tsv)"
awk -F'\t' -v root="$corpus/real/" 'NR>1 && ($4=="rules" || $4=="prometheusrule-crd") {print root $1}' "$corpus/real/INDEX.tsv" \
  | xargs "$bin" --min-seconds "${SECONDS_PER_ROW:-3}"
echo
echo "## rules_large.yml"
"$bin" --min-seconds "${SECONDS_PER_ROW:-3}" "$corpus/prometheus/cmd/promtool/testdata/rules_large.yml"
