//! Runner tests over in-memory files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::*;

struct Mem(BTreeMap<String, String>);

impl Files for Mem {
    fn read(&self, path: &Path) -> Result<Vec<u8>, String> {
        self.0
            .get(&path.to_string_lossy().to_string())
            .map(|s| s.as_bytes().to_vec())
            .ok_or_else(|| "no such file or directory".to_string())
    }
    fn glob(&self, pattern: &str) -> Result<Vec<PathBuf>, String> {
        let re = regex::Regex::new(&format!(
            "^{}$",
            regex::escape(pattern).replace("\\*", "[^/]*")
        ))
        .map_err(|e| e.to_string())?;
        Ok(self
            .0
            .keys()
            .filter(|k| re.is_match(k))
            .map(PathBuf::from)
            .collect())
    }
}

fn run_with(test: &str, rules: &str, opts: &Options) -> FileReport {
    let mut m = BTreeMap::new();
    m.insert("d/test.yml".to_string(), test.to_string());
    m.insert("d/rules.yml".to_string(), rules.to_string());
    run_file(Path::new("d/test.yml"), "d/test.yml", &Mem(m), opts)
}

fn run(test: &str, rules: &str) -> FileReport {
    run_with(test, rules, &Options::default())
}

fn messages(r: &FileReport) -> String {
    let mut s = r.error.clone().unwrap_or_default();
    for f in r.failures() {
        s.push_str(&f.message);
        s.push('\n');
    }
    s
}

const RULES: &str = r#"
groups:
  - name: gpu
    rules:
      - record: gpu:util:avg
        expr: avg by (node) (gpu_util)
      - record: gpu:util:avg_pct
        expr: gpu:util:avg * 100
      - alert: GpuSaturated
        expr: gpu:util:avg_pct > 90
        for: 2m
        keep_firing_for: 3m
        labels:
          severity: page
          team: "{{ $labels.team }}"
        annotations:
          summary: "{{ $labels.node }} at {{ $value }}%"
          big: "{{ 1000000.0 }}"
"#;

#[test]
fn recording_chain_alert_lifecycle_and_templates() {
    let test = r#"
rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - name: saturation
    interval: 1m
    input_series:
      - series: 'gpu_util{node="n1",gpu="0"}'
        values: '0.95x5 0.1x10'
    promql_expr_test:
      - expr: gpu:util:avg_pct
        eval_time: 1m
        exp_samples:
          - labels: 'gpu:util:avg_pct{node="n1"}'
            value: 95
      - expr: ALERTS
        eval_time: 1m
        exp_samples:
          - labels: 'ALERTS{alertname="GpuSaturated", alertstate="pending", node="n1", severity="page", team="{{ $labels.team }}"}'
            value: 1
      - expr: ALERTS_FOR_STATE
        eval_time: 3m
        exp_samples:
          - labels: 'ALERTS_FOR_STATE{alertname="GpuSaturated", node="n1", severity="page", team="{{ $labels.team }}"}'
            value: 0
    alert_rule_test:
      - eval_time: 1m
        alertname: GpuSaturated
        exp_alerts: []
      - eval_time: 2m
        alertname: GpuSaturated
        exp_alerts:
          - exp_labels: {node: n1, severity: page}
            exp_annotations: {summary: "n1 at 95%", big: "1e+06"}
      - eval_time: 8m
        alertname: GpuSaturated
        exp_alerts:
          - exp_labels: {node: n1, severity: page}
            exp_annotations: {summary: "n1 at 95%", big: "1e+06"}
      - eval_time: 9m
        alertname: GpuSaturated
        exp_alerts: []
"#;
    let r = run(test, RULES);
    assert!(r.passed(), "{}", messages(&r));
    assert_eq!(r.groups.len(), 1);
}

#[test]
fn failures_print_like_promtool() {
    let test = r#"
rule_files: [rules.yml]
tests:
  - name: wrong
    input_series:
      - series: 'gpu_util{node="n1"}'
        values: '0.5'
    promql_expr_test:
      - expr: gpu_util
        exp_samples:
          - labels: 'gpu_util{node="n1"}'
            value: 1
    alert_rule_test:
      - alertname: GpuSaturated
        exp_alerts:
          - exp_labels: {node: n1}
"#;
    let r = run(test, RULES);
    assert!(!r.passed());
    let m = messages(&r);
    assert!(m.contains("    expr: \"gpu_util\", time: 0s,\n        exp: {__name__=\"gpu_util\", node=\"n1\"} 1E+00\n        got: {__name__=\"gpu_util\", node=\"n1\"} 5E-01"), "{m}");
    assert!(m.contains("    name: wrong,\n    alertname: GpuSaturated, time: 0s, \n        exp:[\n            0:\n              Labels:{alertname=\"GpuSaturated\", node=\"n1\"}\n              Annotations:{}\n            ], \n        got:[]"), "{m}");
}

#[test]
fn rule_errors_stop_the_group() {
    let rules = "groups:\n  - name: g\n    rules:\n      - record: j\n        expr: a + on(x) b\n";
    let test = r#"
rule_files: [rules.yml]
tests:
  - input_series:
      - series: 'a{x="1",y="1"}'
        values: 1
      - series: 'b{x="1",y="2"}'
        values: 1
      - series: 'b{x="1",y="3"}'
        values: 1
"#;
    let r = run(test, rules);
    let m = messages(&r);
    assert!(m.starts_with("    rule: j, time: 0s, err: "), "{m}");
}

#[test]
fn run_filter_unknown_fields_and_bad_rules() {
    let test = "rule_files: [rules.yml]\ntests:\n  - name: a\n  - name: b\n";
    let opts = Options {
        run: Regex::new("^b$").ok(),
        ..Options::default()
    };
    let r = run_with(test, RULES, &opts);
    assert_eq!(r.groups.len(), 1);
    assert_eq!(r.groups[0].name, "b");

    let extra =
        "groups:\n  - name: g\n    owner: me\n    rules:\n      - record: x\n        expr: '1'\n";
    assert!(!run(test, extra).passed());
    let ignore = Options {
        ignore_unknown_fields: true,
        ..Options::default()
    };
    assert!(run_with(test, extra, &ignore).passed());

    let bad = "groups:\n  - name: g\n    rules:\n      - record: x\n        expr: 'x +'\n";
    let r = run(test, bad);
    assert!(messages(&r).contains("d/rules.yml:5:"), "{}", messages(&r));
}

#[test]
fn experimental_promql_needs_enable_feature_as_in_promtool_3() {
    use crate::promql::syntax::Feature;
    let rules = "groups:\n  - name: g\n    rules:\n      - record: x:mad\n        expr: mad_over_time(x[5m])\n      - record: x:dur\n        expr: x offset (1m + 1m)\n";
    let test = r#"
rule_files: [rules.yml]
tests:
  - input_series:
      - series: x
        values: 1 2 3 4 5 6
    promql_expr_test:
      - expr: x:mad
        eval_time: 5m
        exp_samples:
          - labels: 'x:mad'
            value: 1
"#;
    // promtool 3.x refuses the experimental function, with this position
    // and these words (3.5.3's); the duration expression is valid without a
    // flag from 3.14, which mlalert test follows (3.5.3 refused it:
    // `1:11: parse error: experimental duration expression is not enabled`).
    let m = messages(&run(test, rules));
    assert!(m.contains("d/rules.yml:5:15: group \"g\", rule 1, \"x:mad\": could not parse expression: 1:1: parse error: function \"mad_over_time\" is not enabled"), "{m}");
    assert!(!m.contains("x:dur"), "{m}");
    let with = |features: Vec<Feature>| Options {
        features,
        ..Options::default()
    };
    let r = run_with(test, rules, &with(vec![Feature::ExperimentalFunctions]));
    assert!(r.passed(), "{}", messages(&r));
    // Another gated construct is still refused without its flag.
    let anchored = rules.replace("x offset (1m + 1m)", "increase(x[5m] anchored)");
    let m = messages(&run_with(
        test,
        &anchored,
        &with(vec![Feature::ExperimentalFunctions]),
    ));
    assert!(
        m.contains("anchored modifier is experimental and not enabled"),
        "{m}"
    );
}

#[test]
fn strict_test_file_and_bad_input() {
    let r = run(
        "rule_files: []\ntests: []\nevaluation_intervall: 1m\n",
        RULES,
    );
    assert!(!r.bad_input);
    assert!(messages(&r).contains(
        "d/test.yml:3:1: field evaluation_intervall not found in type main.unitTestFile"
    ));
    let r = run("tests: [\n", RULES);
    assert!(r.bad_input);
}

#[test]
fn group_eval_order_lets_a_group_see_another_groups_output() {
    let rules = "groups:\n  - name: second\n    rules:\n      - record: b\n        expr: a\n  - name: first\n    rules:\n      - record: a\n        expr: vector(1)\n";
    let test = |order: &str| {
        format!(
            "rule_files: [rules.yml]\ngroup_eval_order: [{order}]\ntests:\n  - promql_expr_test:\n      - expr: b\n        exp_samples:\n          - labels: b\n            value: 1\n"
        )
    };
    assert!(run(&test("first, second"), rules).passed());
    assert!(!run(&test("second, first"), rules).passed());
}

#[test]
fn start_timestamp_and_interval_default() {
    let test = r#"
evaluation_interval: 30s
tests:
  - start_timestamp: 1000
    input_series:
      - series: x
        values: 1 2
    promql_expr_test:
      - expr: timestamp(x)
        eval_time: 30s
        exp_samples:
          - value: 1030
"#;
    let r = run(test, RULES);
    assert!(r.passed(), "{}", messages(&r));
}

#[test]
fn coverage_lists_untested_rules() {
    let test = "rule_files: [rules.yml]\ntests:\n  - input_series:\n      - series: 'gpu_util{node=\"a\"}'\n        values: 0.1\n";
    let r = run(test, RULES);
    let c = coverage::compute(&[r]);
    assert_eq!(c.rules, 3);
    let names: Vec<(&str, &str)> = c
        .uncovered
        .iter()
        .map(|u| (u.rule.as_str(), u.reason))
        .collect();
    assert_eq!(
        names,
        vec![("GpuSaturated", "never evaluated to a non-empty result")]
    );
}

#[test]
fn eval_time_strings() {
    assert_eq!(eval_time_string(0), "0s");
    assert_eq!(eval_time_string(86_400_000), "1d");
    assert_eq!(eval_time_string(70_000), "1m10s");
    assert_eq!(eval_time_string(179_999), "2m59s999ms");
    assert_eq!(eval_time_string(400 * 86_400_000), "400d");
}

#[test]
fn too_many_steps_is_a_clear_failure() {
    let test = "evaluation_interval: 1ms\ntests:\n  - promql_expr_test:\n      - expr: '1'\n        eval_time: 10y\n";
    let m = messages(&run(test, RULES));
    assert!(m.contains("raise evaluation_interval"), "{m}");
}

#[test]
fn odd_inputs_never_panic() {
    let cases = [
        "tests: 5\n",
        "tests: [1, x, []]\n",
        "rule_files: {a: b}\ntests: []\n",
        "tests:\n  - input_series:\n      - series: x\n        values: '1x _x 1+x2 x {{ + 1e400 0x -'\n",
        "tests:\n  - input_series:\n      - series: '{'\n        values: 1\n",
        "tests:\n  - input_series:\n      - series: '\"\\'\n",
        "tests:\n  - promql_expr_test:\n      - expr: 'x'\n        eval_time: -1m\n        exp_samples:\n          - value: [1]\n            labels: '{'\n",
        "tests:\n  - alert_rule_test:\n      - eval_time: 1m\n",
        "tests:\n  - promql_expr_test:\n      - expr: 'sum('\n      - expr: 'label_replace(vector(1), \"x\", \"$1\", \"\", \"(\")'\n",
        "- a\n- b\n",
        "",
        "tests:\n  - start_timestamp: 99999999999999999999\n",
        "tests:\n  - start_timestamp: 9223372036854775\n    promql_expr_test:\n      - expr: time()\n        eval_time: 292y\n",
        "tests:\n  - interval: 1ms\n    input_series:\n      - series: x\n        values: 1x2000000\n    promql_expr_test:\n      - expr: count_over_time(x[1h])\n",
    ];
    for c in cases {
        let _ = run(c, RULES);
    }
    let odd_rules = [
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: vector(1)\n        labels: {x: '{{ $labels.nope.deeper }}'}\n        annotations: {a: '{{ range 100000000 }}x{{ end }}', b: '{{ template \"x\" }}', c: '{{ query \"(\" }}'}\n",
        "groups:\n  - name: g\n    limit: 1\n    rules:\n      - alert: A\n        expr: 'label_replace(vector(1), \"i\", \"a\", \"\", \"\") or label_replace(vector(1), \"i\", \"b\", \"\", \"\")'\n",
        "apiVersion: v1\nkind: ConfigMap\ndata:\n  r.yaml: |\n    groups: [\n",
    ];
    let test = "rule_files: [rules.yml]\ntests:\n  - alert_rule_test:\n      - eval_time: 2m\n        alertname: A\n        exp_alerts: []\n";
    for r in odd_rules {
        let _ = run(test, r);
    }
}

#[test]
fn a_rule_file_listed_twice_is_loaded_once() {
    let test = "rule_files: [rules.yml, ./rules.yml, 'r*.yml']\ntests:\n  - input_series:\n      - series: 'gpu_util{node=\"n\"}'\n        values: 1x5\n    alert_rule_test:\n      - eval_time: 2m\n        alertname: GpuSaturated\n        exp_alerts:\n          - exp_labels: {node: n, severity: page}\n            exp_annotations: {summary: n at 100%, big: 1e+06}\n";
    let r = run(test, RULES);
    assert!(r.passed(), "{}", messages(&r));
}

#[test]
fn a_file_without_rules_is_an_error_but_an_empty_one_is_not() {
    let test = "rule_files: [rules.yml]\ntests:\n  - name: x\n";
    assert!(!run(test, "route:\n  receiver: a\nreceivers: [{name: a}]\n").passed());
    assert!(run(test, "# nothing yet\n").passed());
    assert!(run(test, "groups: []\n").passed());
}

#[test]
fn series_a_rule_stops_writing_are_marked_stale() {
    // `gpu:hot` is written while a GPU is above 80; when one cools down its
    // series ends at once (a staleness marker), not 5 minutes later.
    let rules = r#"
groups:
  - name: g
    rules:
      - record: gpu:hot
        expr: gpu_util > 80
      - alert: GpuHot
        expr: gpu_util > 80
"#;
    let test = r#"
rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'gpu_util{gpu="0"}'
        values: '90 90 90 10 10 90'
      - series: 'gpu_util{gpu="1"}'
        values: '90 90 90 90 90 90'
    promql_expr_test:
      - expr: gpu:hot
        eval_time: 2m
        exp_samples:
          - labels: 'gpu:hot{gpu="0"}'
            value: 90
          - labels: 'gpu:hot{gpu="1"}'
            value: 90
      - expr: gpu:hot
        eval_time: 3m
        exp_samples:
          - labels: 'gpu:hot{gpu="1"}'
            value: 90
      - expr: count(ALERTS)
        eval_time: 4m
        exp_samples:
          - value: 1
      - expr: gpu:hot
        eval_time: 5m
        exp_samples:
          - labels: 'gpu:hot{gpu="0"}'
            value: 90
          - labels: 'gpu:hot{gpu="1"}'
            value: 90
"#;
    let r = run(test, rules);
    assert!(r.passed(), "{}", messages(&r));
}
