#!/usr/bin/env python3
"""Generate a native-histogram unit-test suite (issue 12's benchmark):
inference latency as native histograms (schema 0) per model and pod,
recorded as per-model rates, quantiles, fractions and averages, with two
alerting rules on them, evaluated every 30 s for hours of 15 s samples.

Model i puts all its observations into the bucket (2^(k-1), 2^k] with
k = i mod 4, so its p99 is known: models with k >= 1 page (p99 > 1.5 s) and
breach the SLO (under 90% of requests within 1 s); models with k = 0 do not.

Usage: bench/gen_native_suite.py OUT_DIR [--models M] [--pods P] [--hours H]
Writes OUT_DIR/rules.yaml and OUT_DIR/tests.yaml (promtool format).
Deterministic (no randomness).
"""
import argparse, os

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--models", type=int, default=40)
ap.add_argument("--pods", type=int, default=4)
ap.add_argument("--hours", type=int, default=6)
a = ap.parse_args()
os.makedirs(a.out, exist_ok=True)
steps = a.hours * 240  # one sample every 15s

with open(os.path.join(a.out, "rules.yaml"), "w") as f:
    f.write("""groups:
  - name: inference-latency-recording
    interval: 30s
    rules:
      - record: model:inference_duration_seconds:rate5m
        expr: sum by (model) (rate(inference_duration_seconds[5m]))
      - record: model:inference_duration_seconds:p99_5m
        expr: histogram_quantile(0.99, model:inference_duration_seconds:rate5m)
      - record: model:inference_duration_seconds:p50_5m
        expr: histogram_quantile(0.5, model:inference_duration_seconds:rate5m)
      - record: model:inference_duration_seconds:within_1s_5m
        expr: histogram_fraction(0, 1, model:inference_duration_seconds:rate5m)
      - record: model:inference_duration_seconds:avg_5m
        expr: histogram_avg(model:inference_duration_seconds:rate5m)
      - record: model:inference_requests:rate5m
        expr: histogram_count(model:inference_duration_seconds:rate5m)
  - name: inference-latency-alerts
    interval: 30s
    rules:
      - alert: InferenceLatencyP99High
        expr: model:inference_duration_seconds:p99_5m > 1.5
        for: 5m
        labels:
          severity: page
        annotations:
          summary: "p99 latency of {{ $labels.model }} is {{ $value | humanizeDuration }}"
      - alert: InferenceLatencySLOBreach
        expr: model:inference_duration_seconds:within_1s_5m < 0.9 and model:inference_requests:rate5m > 0
        for: 10m
        labels:
          severity: ticket
        annotations:
          summary: "{{ $labels.model }}: {{ $value | humanizePercentage }} of requests within 1s"
""")

series = []
for i in range(a.models):
    k = i % 4
    for p in range(a.pods):
        per_step = 15 + p  # observations per 15s
        s = 0.75 * 2 ** k * per_step
        inc = f"{{{{schema:0 sum:{s} count:{per_step} offset:{k} buckets:[{per_step}]}}}}"
        series.append(
            f"      - series: 'inference_duration_seconds{{model=\"m{i}\", pod=\"p{p}\"}}'\n"
            f"        values: '{{{{schema:0 sum:0 count:0}}}}+{inc}x{steps}'\n"
        )

# p99 of bucket (2^(k-1), 2^k] by exponential interpolation, as
# humanizeDuration prints it.
P99 = {1: "1.986s", 2: "3.972s", 3: "7.945s"}

checks = []
for h in range(1, a.hours + 1):
    exp = []
    for i in range(a.models):
        if i % 4 == 0:
            continue
        exp.append(
            f"          - exp_labels: {{model: m{i}, severity: page}}\n"
            f"            exp_annotations: {{summary: 'p99 latency of m{i} is {P99[i % 4]}'}}\n"
        )
    checks.append(
        f"      - alertname: InferenceLatencyP99High\n        eval_time: {h}h\n        exp_alerts:\n"
        + "".join(exp)
    )
    exp = []
    for i in range(a.models):
        if i % 4 == 0:
            continue
        exp.append(
            f"          - exp_labels: {{model: m{i}, severity: ticket}}\n"
            f"            exp_annotations: {{summary: 'm{i}: 0% of requests within 1s'}}\n"
        )
    checks.append(
        f"      - alertname: InferenceLatencySLOBreach\n        eval_time: {h}h\n        exp_alerts:\n"
        + "".join(exp)
    )

exprs = []
for h in range(1, a.hours + 1):
    exprs.append(
        f"      - expr: count(model:inference_duration_seconds:p99_5m > 1.5)\n"
        f"        eval_time: {h}h\n"
        f"        exp_samples:\n          - labels: '{{}}'\n            value: {a.models - (a.models + 3) // 4}\n"
    )

with open(os.path.join(a.out, "tests.yaml"), "w") as f:
    f.write("rule_files:\n  - rules.yaml\nevaluation_interval: 30s\ntests:\n")
    f.write("  - interval: 15s\n    input_series:\n")
    f.writelines(series)
    f.write("    alert_rule_test:\n")
    f.writelines(checks)
    f.write("    promql_expr_test:\n")
    f.writelines(exprs)
