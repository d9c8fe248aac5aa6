#!/usr/bin/env bash
# Builds and runs the fuzz targets one after another, one libFuzzer process
# each (the machine has 2 cores shared with other builds).
#
#   fuzz/run.sh [SECONDS] [TARGET...]     default: 600 s, every target
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). Works on the stable
# toolchain: RUSTC_BOOTSTRAP=1 lets it take cargo-fuzz's -Z flags, and the
# address sanitizer runtime ships with stable. Logs go to fuzz/logs/.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(load promql yaml_embedded matchers routes render series template evaluator)
export RUSTC_BOOTSTRAP=1
flags=(-a -s address)   # debug assertions (overflow checks) + AddressSanitizer
mkdir -p fuzz/logs
cargo fuzz build "${flags[@]}"
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t"
  dirs=("fuzz/corpus/$t")
  [ -d "fuzz/seeds/$t" ] && dirs+=("fuzz/seeds/$t")
  opts=(-max_total_time="$secs" -print_final_stats=1)
  [ -f "fuzz/dicts/$t.dict" ] && opts+=(-dict="fuzz/dicts/$t.dict")
  case $t in
    load)
      # Real-world files, read-only (libFuzzer writes new inputs to the first dir only).
      for d in ../shared/corpus/seeds ../shared/corpus/real; do
        [ -d "$d" ] && dirs+=("$d")
      done
      opts+=(-max_len=65536)
      ;;
    yaml_embedded) opts+=(-max_len=8192 -len_control=0) ;;
  esac
  echo "== $t: ${secs}s" >&2
  cargo fuzz run "${flags[@]}" "$t" "${dirs[@]}" -- "${opts[@]}" 2>&1 | tee "fuzz/logs/$t.log" | grep -a -E 'DONE|stat::|mlalert-fuzz|ERROR|SUMMARY|Test unit written' || true
done
