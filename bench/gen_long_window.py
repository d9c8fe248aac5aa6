#!/usr/bin/env python3
"""Generate a unit-test file of the shape that was slow (issue 12 item 4):
alerting on `avg_over_time(x[12h])`, evaluated every minute over 25 h of
5-minute samples.

Usage: bench/gen_long_window.py OUT_DIR [--series S] [--hours H] [--window W]
Writes OUT_DIR/rules.yaml and OUT_DIR/tests.yaml (promtool format).
Deterministic (no randomness).
"""
import argparse, os

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--series", type=int, default=50)
ap.add_argument("--hours", type=int, default=25)
ap.add_argument("--window", default="12h")
a = ap.parse_args()
os.makedirs(a.out, exist_ok=True)
samples = a.hours * 12  # one every 5m

with open(os.path.join(a.out, "rules.yaml"), "w") as f:
    f.write(f"""groups:
  - name: long-window
    interval: 1m
    rules:
      - alert: ModelLatencyHighOverHalfADay
        expr: avg_over_time(model_latency_seconds[{a.window}]) > 0.5
        for: 30m
        labels:
          severity: warning
        annotations:
          summary: "{{{{ $labels.model }}}} p50 latency over {a.window} is {{{{ $value }}}}"
      - record: model:latency_seconds:max_{a.window}
        expr: max_over_time(model_latency_seconds[{a.window}])
      - alert: GPUUtilLowOverHalfADay
        expr: min_over_time(gpu_util_ratio[{a.window}]) < 0.1
        for: 1h
        labels:
          severity: info
""")

lines = ["rule_files: [rules.yaml]", "evaluation_interval: 1m", "tests:", "  - interval: 5m", "    input_series:"]
for s in range(a.series):
    # Latency climbs slowly past 0.5 for odd models; utilisation stays low for every 4th GPU.
    step = 0.004 if s % 2 else 0.0005
    lines.append(f"      - series: 'model_latency_seconds{{model=\"m{s}\"}}'")
    lines.append(f"        values: '0.2+{step}x{samples}'")
    util = "0.05" if s % 4 == 0 else "0.6"
    lines.append(f"      - series: 'gpu_util_ratio{{gpu=\"{s}\"}}'")
    lines.append(f"        values: '{util}x{samples}'")
lines.append("    alert_rule_test:")
for t in (f"{a.hours - 1}h", f"{a.hours}h"):
    lines.append(f"      - eval_time: {t}")
    lines.append("        alertname: GPUUtilLowOverHalfADay")
    lines.append("        exp_alerts:")
    for s in range(0, a.series, 4):
        lines.append("          - exp_labels:")
        lines.append("              severity: info")
        lines.append(f"              gpu: \"{s}\"")
lines.append("    promql_expr_test:")
lines.append(f"      - expr: count(model:latency_seconds:max_{a.window})")
lines.append(f"        eval_time: {a.hours}h")
lines.append("        exp_samples:")
lines.append(f"          - value: {a.series}")
with open(os.path.join(a.out, "tests.yaml"), "w") as f:
    f.write("\n".join(lines) + "\n")
