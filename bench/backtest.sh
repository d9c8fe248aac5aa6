#!/usr/bin/env bash
# mlalert backtest against a real Prometheus: a week of data at 30 s
# resolution (80 series) and 100 alerting rules evaluated every 30 s
# (bench/gen_backtest.py), with an Alertmanager config counting the
# notifications. Builds TSDB blocks with promtool, starts the server on a
# free port, and times `mlalert backtest --range 7d` with hyperfine.
# Usage: bench/backtest.sh   (PROMETHEUS=/path/prometheus PROMTOOL=/path/promtool;
#        default: /work/tmp/prom2/usr/bin, else PATH)
set -euo pipefail
cd "$(dirname "$0")/.."
bindir=/work/tmp/prom2/usr/bin
prometheus="${PROMETHEUS:-$( [ -x $bindir/prometheus ] && echo $bindir/prometheus || command -v prometheus )}"
promtool="${PROMTOOL:-$( [ -x $bindir/promtool ] && echo $bindir/promtool || command -v promtool )}"
cargo build --release --quiet
work="$(mktemp -d)"
trap 'kill "${pid:-0}" 2>/dev/null || true; wait "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
# End at the last full hour, so that every block is complete.
end=$(( $(date +%s) / 3600 * 3600 ))
python3 bench/gen_backtest.py "$work" "$end"
"$promtool" tsdb create-blocks-from openmetrics "$work/series.om" "$work/data" >/dev/null
printf 'global:\n  scrape_interval: 1h\n' > "$work/prometheus.yml"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$prometheus" --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --storage.tsdb.retention.time=30d --web.listen-address="127.0.0.1:$port" >"$work/prom.log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1 && break
  sleep 0.5
done
cmd="./target/release/mlalert backtest --prometheus http://127.0.0.1:$port --range 7d --end $end --alertmanager $work/alertmanager.yaml $work/rules.yaml"
$cmd | tail -n 8
hyperfine --warmup 1 --runs "${RUNS:-5}" "$cmd >/dev/null"
