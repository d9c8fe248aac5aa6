//! Loading fidelity: what mlalert reads as Prometheus, Thanos, Mimir and
//! Alertmanager would, and what it says about files it does not read.

use mlalert::config::Config;
use mlalert::lint::{Input, run};
use mlalert::model::rules::Dialect;
use mlalert::source::SourceFile;

fn src(yaml: &str) -> SourceFile {
    SourceFile::from_text("t.yaml", yaml.to_string(), 0)
}

/// (code, message, byte offset) of the input findings (ML9xx) of one file.
fn input_findings(input: Input, config: &Config) -> Vec<(&'static str, String, usize)> {
    run(vec![input], config)
        .diagnostics
        .into_iter()
        .filter(|d| d.lint.code.starts_with("ML9"))
        .map(|d| (d.lint.code, d.message, d.span.start))
        .collect()
}

fn with_dialect(d: Option<Dialect>) -> Config {
    let mut c = Config::default();
    c.extra_fields.dialect = d;
    c
}

const THANOS: &str = r#"groups:
  - name: inference
    partial_response_strategy: warn
    rules:
      - alert: InferenceDown
        expr: up{job="triton"} == 0
        for: 5m
  - name: gpu
    partial_response_strategy: abort
    rules: []
"#;

#[test]
fn thanos_files_get_one_note_not_an_error_per_group() {
    let d = input_findings(Input::Source(src(THANOS)), &Config::default());
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].0, "ML910");
    assert_eq!(d[0].2, THANOS.find("partial_response_strategy").unwrap());
    assert!(d[0].1.contains("Thanos ruler"), "{}", d[0].1);
    // Named in the config: accepted quietly.
    assert!(
        input_findings(
            Input::Source(src(THANOS)),
            &with_dialect(Some(Dialect::Thanos))
        )
        .is_empty()
    );
    // Forced to Prometheus: refused as Prometheus refuses them.
    let d = input_findings(
        Input::Source(src(THANOS)),
        &with_dialect(Some(Dialect::Prometheus)),
    );
    assert_eq!(
        d.iter().map(|x| x.0).collect::<Vec<_>>(),
        ["ML903", "ML903"]
    );
    assert_eq!(
        d[0].1,
        "field partial_response_strategy not found in type rulefmt.RuleGroup"
    );
    // Mimir's fields are not Thanos'.
    let mimir = "groups:\n  - name: g\n    source_tenants: [a, b]\n    rules: []\n";
    let d = input_findings(
        Input::Source(src(mimir)),
        &with_dialect(Some(Dialect::Thanos)),
    );
    assert_eq!(d.iter().map(|x| x.0).collect::<Vec<_>>(), ["ML903"]);
    let d = input_findings(Input::Source(src(mimir)), &Config::default());
    assert!(d[0].1.contains("Mimir/Cortex"), "{d:?}");
}

#[test]
fn a_bad_partial_response_strategy_is_invalid() {
    let y = "groups:\n  - name: g\n    partial_response_strategy: ignore\n    rules: []\n";
    let d = input_findings(Input::Source(src(y)), &Config::default());
    assert!(
        d.iter()
            .any(|x| x.0 == "ML903" && x.1.contains("\"warn\" or \"abort\"")),
        "{d:?}"
    );
}

#[test]
fn email_html_is_a_template_and_pushover_html_a_bool() {
    let am = |receiver: &str| format!("route: {{receiver: r}}\nreceivers:\n- name: r\n{receiver}");
    let email = am(
        "  email_configs:\n  - to: oncall@example.com\n    from: am@example.com\n    smarthost: smtp.example.com:587\n    html: '{{ template \"email.default.html\" . }}'\n",
    );
    let d = input_findings(Input::Source(src(&email)), &Config::default());
    assert!(d.is_empty(), "{d:?}");
    let pushover = am("  pushover_configs:\n  - user_key: u\n    token: t\n    html: '{{ x }}'\n");
    let d = input_findings(Input::Source(src(&pushover)), &Config::default());
    assert_eq!(
        d.iter().map(|x| x.0).collect::<Vec<_>>(),
        ["ML904"],
        "{d:?}"
    );
}

#[test]
fn named_files_that_hold_nothing_are_reported_walked_ones_only_when_rules_like() {
    let server = "services:\n  prometheus:\n    image: prom/prometheus:v3.5.0\n";
    let d = input_findings(Input::Named(src(server)), &Config::default());
    assert_eq!(d.iter().map(|x| x.0).collect::<Vec<_>>(), ["ML908"]);
    assert!(input_findings(Input::Source(src(server)), &Config::default()).is_empty());
    let values = "additionalPrometheusRulesMap:\n  a:\n    groups:\n    - name: g\n      rules:\n      - alert: A\n        expr: up == 0\n";
    let d = input_findings(Input::Source(src(values)), &Config::default());
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!((d[0].0, d[0].2), ("ML909", values.find("alert:").unwrap()));
    // A recognised file, or one with a finding of its own, gets neither.
    let rules = "groups:\n- name: g\n  rules: []\n";
    assert!(input_findings(Input::Named(src(rules)), &Config::default()).is_empty());
    let broken = "groups: [\n";
    let d = input_findings(Input::Named(src(broken)), &Config::default());
    assert_eq!(d.iter().map(|x| x.0).collect::<Vec<_>>(), ["ML901"]);
    // A site's data file under `groups:` is not a rule file.
    let data = "groups:\n  - name: Basic\n    services:\n      - name: x\n        rules:\n          - name: y\n            query: up == 0\n";
    let d = input_findings(Input::Named(src(data)), &Config::default());
    assert_eq!(d.iter().map(|x| x.0).collect::<Vec<_>>(), ["ML908"]);
}

#[test]
fn rhobs_prometheus_rules_and_embedded_jinja() {
    let rhobs = "apiVersion: monitoring.rhobs/v1\nkind: PrometheusRule\nmetadata: {name: r}\nspec:\n  groups:\n  - name: g\n    rules:\n    - alert: A\n      expr: up == 0\n";
    let report = run(vec![Input::Named(src(rhobs))], &Config::default());
    let loaded = report.loaded[0].as_ref().unwrap();
    assert_eq!(loaded.rule_files.len(), 1);
    assert_eq!(loaded.rule_files[0].groups[0].rules.len(), 1);
    let jinja = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  rules.yaml: |\n    groups:\n    {% for g in groups %}\n    - name: {{ g }}\n    {% endfor %}\n";
    let report = run(vec![Input::Named(src(jinja))], &Config::default());
    let codes: Vec<&str> = report.diagnostics.iter().map(|d| d.lint.code).collect();
    assert_eq!(codes, ["ML905"]);
    assert!(!report.failed, "a template is not a failure");
}

fn window_messages(files: &[(&str, &str)], config: &Config) -> Vec<String> {
    let inputs = files
        .iter()
        .map(|(p, y)| Input::Source(SourceFile::from_text(*p, y.to_string(), 0)))
        .collect();
    run(inputs, config)
        .diagnostics
        .into_iter()
        .filter(|d| d.lint.code == "ML209" || d.lint.code == "ML119")
        .map(|d| d.message)
        .collect()
}

const RULES: &str = r#"groups:
  - name: inference
    rules:
      - alert: InferenceErrors
        expr: rate(inference_errors_total[20s]) > 1
        for: 20s
"#;

#[test]
fn the_run_states_its_scrape_and_evaluation_intervals() {
    let mut enabled = Config::default();
    enabled.enable = vec!["ML209".into(), "ML119".into()];
    // No Prometheus config in the run: 30s assumed, and said so.
    let m = window_messages(&[("rules.yml", RULES)], &enabled);
    assert_eq!(m.len(), 2, "{m:?}");
    assert!(
        m.iter()
            .any(|x| x.contains("an assumed 30s scrape interval")),
        "{m:?}"
    );
    // A prometheus.yml scraping every 10s and evaluating every 15s: the
    // 20s window is fine, the 20s `for` is too (longer than 15s).
    let server = "global:
  scrape_interval: 10s
  evaluation_interval: 15s
rule_files: [rules.yml]
";
    let m = window_messages(
        &[("prometheus.yml", server), ("rules.yml", RULES)],
        &enabled,
    );
    assert!(m.is_empty(), "{m:?}");
    // A slower server: both findings say where the interval comes from.
    let slow = "global:
  scrape_interval: 15s
scrape_configs: []
";
    let m = window_messages(&[("prometheus.yml", slow), ("rules.yml", RULES)], &enabled);
    assert_eq!(m.len(), 2, "{m:?}");
    assert!(
        m.iter().any(|x| x
            .contains("the 15s scrape interval of prometheus.yml:2:20 (global.scrape_interval)")),
        "{m:?}"
    );
    assert!(
        m.iter().any(|x| x.contains(
            "1m, from prometheus.yml:2:3 (Prometheus' default for global.evaluation_interval)"
        )),
        "{m:?}"
    );
    // ServiceMonitors when there is no server config: the shortest interval.
    let sm = "apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: triton}
spec:
  endpoints:
    - port: metrics
      interval: 10s
    - port: other
      interval: 1m
";
    let m = window_messages(&[("sm.yaml", sm), ("rules.yml", RULES)], &enabled);
    assert_eq!(m.len(), 1, "only the `for` finding: {m:?}");
    // The config wins over what the run states.
    let cfg = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        cfg.path(),
        "enable: [ML209]
scrape_interval: 1m
",
    )
    .unwrap();
    let explicit = Config::load(cfg.path()).unwrap();
    let m = window_messages(
        &[("prometheus.yml", server), ("rules.yml", RULES)],
        &explicit,
    );
    assert!(
        m.iter().any(|x| x.contains("the 1m scrape interval of")),
        "{m:?}"
    );
}
