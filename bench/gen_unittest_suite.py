#!/usr/bin/env python3
"""Generate a large promtool-format unit-test suite for benchmarking.

Usage: bench/gen_unittest_suite.py OUT_DIR [--rules N] [--hours H] [--series S]
Writes OUT_DIR/rules.yaml (N rules: 2/3 alerting, 1/3 recording, ML-flavoured)
and OUT_DIR/tests.yaml (S input series at 15s for H hours, alert and expression
tests at several eval times). Deterministic (no randomness).
"""
import argparse, os

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--rules", type=int, default=300)
ap.add_argument("--hours", type=int, default=6)
ap.add_argument("--series", type=int, default=40)
a = ap.parse_args()
os.makedirs(a.out, exist_ok=True)
steps = a.hours * 3600 // 15

rules = ["groups:"]
n_groups = max(1, a.rules // 30)
per_group = a.rules // n_groups
alerts = []
for g in range(n_groups):
    rules.append(f"  - name: ml-{g}\n    interval: 15s\n    rules:")
    for i in range(per_group):
        k = g * per_group + i
        gpu = k % a.series
        if k % 3 == 2:
            rules.append(f"      - record: gpu:temp_c:avg5m_{k}\n        expr: avg_over_time(gpu_temp_celsius{{gpu=\"{gpu}\"}}[5m])")
        else:
            thr = 60 + (k % 30)
            rules.append(f"      - alert: GPUHot{k}\n        expr: gpu_temp_celsius{{gpu=\"{gpu}\"}} > {thr}\n        for: 5m\n"
                         f"        labels:\n          severity: warning\n        annotations:\n"
                         f"          summary: \"GPU {{{{ $labels.gpu }}}} is hot\"")
            alerts.append((k, gpu, thr))
open(os.path.join(a.out, "rules.yaml"), "w").write("\n".join(rules) + "\n")

# Temperatures climb from 50C by `inc` per 15s sample on every GPU; values are
# accumulated by repeated addition, as Prometheus' series notation does.
inc = round(40.0 / steps, 6)
values = [50.0]
for _ in range(steps):
    values.append(values[-1] + inc)

def firing(thr, step):
    """`> thr` with `for: 5m` at eval step `step` (evaluations every 15s from 0)."""
    first = next((j for j, v in enumerate(values) if v > thr), None)
    return first is not None and step - first >= 20

tests = ["rule_files: [rules.yaml]", "evaluation_interval: 15s", "tests:", "  - interval: 15s", "    input_series:"]
for s in range(a.series):
    tests.append(f"      - series: 'gpu_temp_celsius{{gpu=\"{s}\",node=\"node-{s % 8}\"}}'\n        values: '50+{inc}x{steps}'")
tests.append("    alert_rule_test:")
eval_steps = [steps * f // 4 for f in (1, 2, 3, 4)]
for k, gpu, thr in alerts[: min(len(alerts), 60)]:
    for st in eval_steps:
        tests.append(f"      - eval_time: {st * 15}s\n        alertname: GPUHot{k}")
        if firing(thr, st):
            tests.append(f"        exp_alerts:\n          - exp_labels:\n              severity: warning\n              gpu: \"{gpu}\"\n              node: node-{gpu % 8}\n"
                         f"            exp_annotations:\n              summary: \"GPU {gpu} is hot\"")
        else:
            tests.append("        exp_alerts: []")
tests.append("    promql_expr_test:")
for st in eval_steps:
    hot = values[st] > 70
    tests.append(f"      - expr: count(gpu_temp_celsius > 70)\n        eval_time: {st * 15}s")
    tests.append(f"        exp_samples:\n          - labels: '{{}}'\n            value: {a.series}" if hot else "        exp_samples: []")
open(os.path.join(a.out, "tests.yaml"), "w").write("\n".join(tests) + "\n")
print(f"{a.rules} rules, {a.series} series x {steps} samples, {len(alerts[:60]) * 4} alert tests, 4 expression tests")
