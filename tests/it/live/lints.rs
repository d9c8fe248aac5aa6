//! The Prometheus lints against a real Prometheus (see [`super`]): the
//! series are generated here, and what each lint must find is derived from
//! them in the test, not from mlalert.

use std::collections::BTreeMap;

use super::{Config, OpenMetrics, Prometheus, now};
use crate::{diags, mlalert};

/// GPUs per host and hosts of the generated DCGM exporter.
const GPUS: usize = 4;
const HOSTS: [&str; 2] = ["gpu-node-1", "gpu-node-2"];

fn data(now: i64) -> OpenMetrics {
    let mut om = OpenMetrics::default();
    om.family("DCGM_FI_DEV_GPU_UTIL", "gauge", "GPU utilization (in %).");
    om.family(
        "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION",
        "unknown",
        "Total energy consumption since boot (in mJ).",
    );
    om.family("model_drift_score", "gauge", "drift");
    om.family("inference_request_duration_seconds", "histogram", "latency");
    for t in (now - 4 * 3600..=now - 30).step_by(60) {
        for h in HOSTS {
            for g in 0..GPUS {
                let gpu = g.to_string();
                let l = [
                    ("job", "gpu-exporter"),
                    ("Hostname", h),
                    ("gpu", gpu.as_str()),
                ];
                om.sample("DCGM_FI_DEV_GPU_UTIL", &l, 50.0, t);
                om.sample(
                    "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION",
                    &l,
                    (t % 100_000) as f64 * 1e3,
                    t,
                );
            }
        }
        // A series that stops three hours before now.
        if t < now - 3 * 3600 {
            om.sample(
                "model_drift_score",
                &[("job", "drift"), ("model", "resnet50")],
                0.1,
                t,
            );
        }
        let n = ((t - (now - 4 * 3600)) / 60) as f64;
        for (le, share) in [("0.1", 0.5), ("0.5", 0.9), ("+Inf", 1.0)] {
            om.sample(
                "inference_request_duration_seconds_bucket",
                &[("job", "model-serving"), ("model", "llama"), ("le", le)],
                (n * 10.0 * share).floor(),
                t,
            );
        }
        om.sample(
            "inference_request_duration_seconds_count",
            &[("job", "model-serving"), ("model", "llama")],
            n * 10.0,
            t,
        );
        om.sample(
            "inference_request_duration_seconds_sum",
            &[("job", "model-serving"), ("model", "llama")],
            n * 2.0,
            t,
        );
    }
    om
}

/// (code, line) → findings, for the lints that read facts.
fn counts(json: &serde_json::Value) -> BTreeMap<(String, u64), usize> {
    let mut out = BTreeMap::new();
    for d in diags(json) {
        let code = d["code"].as_str().unwrap().to_string();
        if ["ML501", "ML502", "ML503", "ML209", "ML207", "ML208"].contains(&code.as_str()) {
            *out.entry((code, d["line"].as_u64().unwrap())).or_default() += 1;
        }
    }
    out
}

const RULES: &str = r#"groups:
- name: ml
  rules:
  - alert: GpuEightIdle
    expr: DCGM_FI_DEV_GPU_UTIL{job="gpu-exporter", gpu="GPU_MISSING"} < 10
    for: 30m
  - alert: GpuIdleByPod
    expr: avg by (pod) (DCGM_FI_DEV_GPU_UTIL) < 10
    for: 30m
  - alert: GpuPowerHigh
    expr: rate(DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION[90s]) > 7e5
    for: 10m
  - alert: DriftHigh
    expr: model_drift_score > 0.3
    for: 1h
  - alert: Misspelt
    expr: DCGM_FI_DEV_GPU_UTILISATION < 10
    for: 30m
  - alert: RecordedMissing
    expr: job:gpu_util:avg5m < 10
    for: 30m
  - alert: LatencyHigh
    expr: histogram_quantile(0.99, sum by (le, model) (rate(inference_request_duration_seconds_bucket[5m]))) > 0.4
    for: 10m
"#;

#[test]
fn every_prometheus_lint_finds_what_the_generated_series_imply() {
    let now = now();
    let om = data(now);
    let config = Config {
        jobs: vec![("gpu-exporter".into(), "1m".into())],
        external_labels: [("cluster".to_string(), "gpu-a".to_string())].into(),
        ..Config::default()
    };
    let Some(p) = Prometheus::start(&om, config) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yaml");
    std::fs::write(&rules, RULES).unwrap();
    let line_of = |needle: &str| RULES.lines().position(|l| l.contains(needle)).unwrap() as u64 + 1;
    // What the data implies, rule by rule.
    let gpu_values: Vec<String> = (0..GPUS).map(|g| g.to_string()).collect();
    assert!(!gpu_values.contains(&"GPU_MISSING".to_string()));
    let mut want: BTreeMap<(String, u64), usize> = BTreeMap::new();
    // gpu="GPU_MISSING" is no GPU of the data; `pod` is no label of it.
    want.insert(("ML501".into(), line_of("GPU_MISSING")), 1);
    want.insert(("ML502".into(), line_of("by (pod)")), 1);
    // gpu-exporter is scraped every 1m: [90s] is below 2 scrapes (the assumed 30s would allow it).
    want.insert(("ML209".into(), line_of("[90s]")), 1);
    // model_drift_score stopped 3h ago; the misspelt name never existed.
    want.insert(("ML501".into(), line_of("model_drift_score >")), 1);
    want.insert(("ML501".into(), line_of("UTILISATION")), 1);
    // Nothing records job:gpu_util:avg5m.
    want.insert(("ML503".into(), line_of("job:gpu_util:avg5m <")), 1);

    let out = mlalert()
        .current_dir(dir.path())
        .args(["lint", "--format", "json", "--prometheus", &p.url()])
        .arg(&rules)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let got = counts(&json);
    assert_eq!(got, want, "{}", String::from_utf8_lossy(&out.stderr));
    let msg = diags(&json)
        .iter()
        .find(|d| d["code"] == "ML501" && d["line"] == line_of("GPU_MISSING"))
        .map(|d| d["message"].as_str().unwrap().to_string())
        .unwrap();
    assert!(
        msg.contains(r#"`DCGM_FI_DEV_GPU_UTIL{job="gpu-exporter"}` exists, but no series has `gpu="GPU_MISSING"`"#),
        "{msg}"
    );

    // The snapshot records the same facts, and lint reads it without network.
    let snap = dir.path().join(".mlalert/prometheus.json");
    let s = mlalert()
        .current_dir(dir.path())
        .args(["snapshot", "--prometheus", &p.url(), "-o"])
        .arg(&snap)
        .arg(&rules)
        .output()
        .unwrap();
    assert!(s.status.success(), "{}", String::from_utf8_lossy(&s.stderr));
    let facts: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&snap).unwrap()).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/docs/prometheus-snapshot.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    assert!(v.is_valid(&facts), "{facts}");
    let util = &facts["metrics"]["DCGM_FI_DEV_GPU_UTIL"];
    assert_eq!(util["series"], GPUS * HOSTS.len());
    assert_eq!(
        util["labels"]["gpu"]["values"],
        serde_json::json!(gpu_values)
    );
    assert_eq!(facts["jobs"]["gpu-exporter"]["scrape_interval"], "1m");
    assert_eq!(facts["server"]["external_labels"]["cluster"], "gpu-a");
    assert!(facts["metrics"]["model_drift_score"]["stopped_at"].is_string());
    // `lint --prometheus` refreshes the committed snapshot.
    std::fs::write(
        &snap,
        std::fs::read_to_string(&snap)
            .unwrap()
            .replace("\"lookback\": \"7d\"", "\"lookback\": \"1d\""),
    )
    .unwrap();
    let refresh = mlalert()
        .current_dir(dir.path())
        .args(["lint", "--quiet", "--prometheus", &p.url()])
        .arg(&rules)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&refresh.stderr).contains("refreshed"),
        "{}",
        String::from_utf8_lossy(&refresh.stderr)
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(&snap).unwrap())
            .unwrap()["metrics"],
        facts["metrics"]
    );
    drop(p);
    let offline = mlalert()
        .current_dir(dir.path())
        .args(["lint", "--format", "json"])
        .arg(&rules)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&offline.stdout).unwrap();
    let again = counts(&json);
    assert_eq!(again, want, "the snapshot gives what the live run gave");
}

#[test]
fn a_prometheus_that_is_down_gives_one_warning_and_the_static_lints_run() {
    let port = super::free_port();
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yaml");
    std::fs::write(
        &rules,
        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n",
    )
    .unwrap();
    let out = mlalert()
        .current_dir(dir.path())
        .args(["lint", "--format", "json", "--prometheus"])
        .arg(format!("http://user:hunter2@127.0.0.1:{port}"))
        .arg(&rules)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("warning:").count(), 1, "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // missing-for still reports: the static lints ran.
    assert!(diags(&json).iter().any(|d| d["code"] == "ML101"), "{json}");
}

#[test]
fn metadata_types_and_real_scrape_intervals_replace_the_guesses() {
    // The exporter declares a `_total` name a gauge and an unsuffixed name
    // a counter, and is scraped every 2s.
    let body = "# HELP inference_tokens_total KV-cache tokens in use now.\n# TYPE inference_tokens_total gauge\ninference_tokens_total{model=\"llama\"} 1234\n# HELP model_requests Requests served.\n# TYPE model_requests counter\nmodel_requests{model=\"llama\"} 42\n";
    let config = Config {
        exporters: vec![("model-server".into(), "2s".into(), body.into())],
        ..Config::default()
    };
    let Some(p) = Prometheus::start(&OpenMetrics::default(), config) else {
        return;
    };
    let rules = "groups:\n- name: serving\n  rules:\n  - alert: TokensGrowing\n    expr: rate(inference_tokens_total[5m]) > 10\n    for: 10m\n  - alert: TooManyRequests\n    expr: model_requests > 100\n    for: 10m\n  - alert: RequestsFast\n    expr: rate(model_requests[10s]) > 1\n    for: 10m\n";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.yaml");
    std::fs::write(&path, rules).unwrap();
    let line_of = |needle: &str| rules.lines().position(|l| l.contains(needle)).unwrap() as u64 + 1;
    let run = |live: bool| {
        let mut c = mlalert();
        c.current_dir(dir.path()).args(["lint", "--format", "json"]);
        if live {
            c.args(["--prometheus", &p.url()]);
        }
        let out = c.arg(&path).output().unwrap();
        counts(&serde_json::from_slice(&out.stdout).unwrap())
    };
    // From the names alone: `_total` is a counter, `model_requests` unknown,
    // and [10s] is below two of the assumed 30s scrapes.
    let guessed: BTreeMap<(String, u64), usize> =
        [(("ML209".to_string(), line_of("[10s]")), 1)].into();
    assert_eq!(run(false), guessed);
    // With Prometheus: a gauge under `rate`, a raw counter compared, and a
    // 10s window over 2s scrapes is fine.
    let real: BTreeMap<(String, u64), usize> = [
        (
            ("ML207".to_string(), line_of("inference_tokens_total[5m]")),
            1,
        ),
        (("ML208".to_string(), line_of("model_requests > 100")), 1),
    ]
    .into();
    assert_eq!(run(true), real);
}
