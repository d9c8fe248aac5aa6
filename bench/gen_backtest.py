#!/usr/bin/env python3
"""Data and rules for bench/backtest.sh: a week of `bench_gpu_temp` at 30 s
resolution for 10 nodes x 8 GPUs (80 series, 1.6 M samples) as OpenMetrics,
and a rule file of 100 alerting rules over it (one group, interval 30s,
thresholds and `for` varied so that the rules fire, flap and hold back).

Usage: gen_backtest.py OUT_DIR END_UNIX_SECONDS
Writes OUT_DIR/series.om and OUT_DIR/rules.yaml.
"""
import math
import os
import random
import sys

out, end = sys.argv[1], int(sys.argv[2])
end -= end % 30
step, week = 30, 7 * 24 * 3600
start = end - week
rng = random.Random(42)
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "series.om"), "w") as f:
    f.write("# HELP bench_gpu_temp GPU temperature\n# TYPE bench_gpu_temp gauge\n")
    for node in range(10):
        for gpu in range(8):
            base = 60 + 3 * gpu + node
            phase = rng.random() * 6.28
            lines = []
            for i, t in enumerate(range(start, end + 1, step)):
                # A daily wave, a fast wobble, and noise: crosses 75..90 often.
                v = base + 12 * math.sin(2 * math.pi * t / 86400 + phase) \
                    + 4 * math.sin(i / 7.0) + rng.gauss(0, 1.5)
                lines.append(f'bench_gpu_temp{{node="node{node}",gpu="{gpu}"}} {v:.2f} {t}\n')
            f.writelines(lines)
    f.write("# EOF\n")
fors = ["0s", "1m", "5m", "10m"]
with open(os.path.join(out, "rules.yaml"), "w") as f:
    f.write("groups:\n  - name: bench\n    interval: 30s\n    rules:\n")
    for i in range(100):
        node, threshold, hold = i % 10, 70 + (i // 10) * 2, fors[i % 4]
        f.write(
            f"      - alert: GpuTemp{i:03d}\n"
            f"        expr: bench_gpu_temp{{node=\"node{node}\"}} > {threshold}\n"
            f"        for: {hold}\n"
            f"        labels: {{severity: warning}}\n"
        )
with open(os.path.join(out, "alertmanager.yaml"), "w") as f:
    f.write(
        "route:\n  receiver: team\n  group_by: [alertname, node]\n"
        "  group_wait: 30s\n  group_interval: 5m\n  repeat_interval: 4h\n"
        "receivers:\n  - name: team\n"
    )
