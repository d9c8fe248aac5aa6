#!/usr/bin/env bash
# Side-by-side wall time: `mlalert lint` vs `promtool check rules` on the same
# plain rule files from the real corpus (INDEX.tsv kind=rules, promtool_ok=yes).
# Needs: hyperfine and promtool (Debian: apt-get install hyperfine prometheus;
# PROMTOOL=/opt/prom3/usr/bin/promtool for 3.5.3, see shared/tools).
# Usage: [PROMTOOL=…] bench/lint-vs-promtool.sh [CORPUS_DIR]   (default ../shared/corpus)
set -euo pipefail
cd "$(dirname "$0")/.."
corpus="${1:-${MLALERT_CORPUS:-../shared/corpus}}"
cargo build --release --quiet
promtool="${PROMTOOL:-promtool}"
list=$(mktemp)
awk -F'\t' -v root="$corpus/real/" 'NR>1 && $4=="rules" && $7=="yes" {print root $1}' "$corpus/real/INDEX.tsv" > "$list"
n=$(wc -l < "$list")
echo "files: $n rule files ($(cat "$list" | xargs cat | wc -l) lines), $(nproc) cores"
"$promtool" --version 2>&1 | head -1
hyperfine --warmup 2 --runs "${RUNS:-10}" --ignore-failure --export-markdown "${OUT:-/dev/stdout}" \
  -n "mlalert lint (all lints)" "xargs ./target/release/mlalert lint --format json < $list > /dev/null" \
  -n "promtool check rules" "xargs $promtool check rules < $list > /dev/null 2>&1"
rm -f "$list"
# One large file: promtool's own rules_large.yml (10,000 rules).
large="$corpus/prometheus/cmd/promtool/testdata/rules_large.yml"
if [ -f "$large" ]; then
  echo "rules_large.yml: $(grep -c 'expr:' "$large") rules"
  hyperfine --warmup 2 --runs "${RUNS:-10}" --ignore-failure --export-markdown "${OUT2:-/dev/stdout}" \
    -n "mlalert lint rules_large.yml" "./target/release/mlalert lint --format json $large > /dev/null" \
    -n "promtool check rules rules_large.yml" "$promtool check rules $large > /dev/null 2>&1"
fi
