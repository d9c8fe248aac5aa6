//! `mlalert test` as a user runs it: output text, exit codes, JUnit XML,
//! coverage.

use std::fs;
use std::io::{Read, Seek};

use crate::mlalert;

const PASSING: &str = "fixtures/unittest/gpu-test.yaml";
const FAILING: &str = "fixtures/unittest/gpu-failing-test.yaml";

/// Runs `mlalert test ARGS` with stdout and stderr on one file, as a
/// terminal or a CI log shows them: the exit code and the merged text.
fn run(args: &[&str]) -> (i32, String) {
    let mut log = tempfile::tempfile().expect("tempfile");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_mlalert"))
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS")
        .arg("test")
        .args(args)
        .stdout(log.try_clone().expect("clone"))
        .stderr(log.try_clone().expect("clone"))
        .status()
        .expect("run");
    let mut text = String::new();
    log.rewind().expect("rewind");
    log.read_to_string(&mut text).expect("read");
    assert!(!text.contains("panicked"), "panic: {text}");
    (status.code().unwrap_or(-1), text)
}

/// Runs `mlalert test ARGS`: the exit code, stdout and stderr apart.
fn run_split(args: &[&str]) -> (i32, String, String) {
    let out = mlalert().arg("test").args(args).output().expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn passing_file_prints_success_and_exits_0() {
    let (code, out) = run(&[PASSING]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out, format!("Unit Testing:  {PASSING}\n  SUCCESS\n\n"));
}

#[test]
fn failing_file_prints_promtool_block_and_diff() {
    let (code, out) = run(&[FAILING]);
    assert_eq!(code, 1, "{out}");
    let want = "Unit Testing:  fixtures/unittest/gpu-failing-test.yaml
  FAILED:
    name: expects the page too early,
    alertname: GPUMemoryNearlyFull, time: 2m, 
        exp:[
            0:
              Labels:{alertname=\"GPUMemoryNearlyFull\", node=\"gpu-node-1\", severity=\"warning\"}
              Annotations:{summary=\"GPU memory on gpu-node-1 is 98.75% used\"}
            ], 
        got:[]
        at fixtures/unittest/gpu-failing-test.yaml:14:13
        the alert is still pending at 2m (for: 5m, active since 0s): it fires at 5m
        diff (- expected, + got):
          - Labels:{alertname=\"GPUMemoryNearlyFull\", node=\"gpu-node-1\", severity=\"warning\"} Annotations:{summary=\"GPU memory on gpu-node-1 is 98.75% used\"}

";
    assert!(out.starts_with(want), "{out}");
}

/// promtool prints `Unit Testing:`, `SUCCESS` and blank lines on stdout,
/// and `WARNING:`, `FAILED:` and the failures on stderr: a script that
/// keeps one of them sees what it sees with promtool.
#[test]
fn failures_go_to_stderr_as_promtool_prints_them() {
    let (code, stdout, stderr) = run_split(&[PASSING, FAILING]);
    assert_eq!(code, 1);
    assert!(
        stdout.starts_with(&format!(
            "Unit Testing:  {PASSING}\n  SUCCESS\n\nUnit Testing:  {FAILING}\n\n"
        )),
        "{stdout}"
    );
    assert!(
        !stdout.contains("FAILED") && !stdout.contains("alertname"),
        "{stdout}"
    );
    assert!(
        stderr.starts_with("  FAILED:\n    name: expects the page too early,\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("        diff (- expected, + got):"),
        "{stderr}"
    );
}

/// An expected alert that differs from the firing one in one annotation:
/// the diff names that annotation and cuts the long value around the
/// difference, instead of two whole one-line alerts.
#[test]
fn diff_marks_the_differing_annotation() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("rules.yml"),
        r#"groups:
  - name: gpu
    rules:
      - alert: GpuMemoryNearlyFull
        expr: gpu_memory_used_ratio > 0.95
        labels: {severity: warning}
        annotations:
          summary: "GPU memory on {{ $labels.node }} is {{ $value | humanizePercentage }} used, which leaves too little room for the next batch of the model server"
"#,
    )
    .unwrap();
    let test = dir.path().join("gpu_test.yml");
    fs::write(
        &test,
        r#"rule_files: [rules.yml]
tests:
  - input_series:
      - series: gpu_memory_used_ratio{node="n1"}
        values: 0.9875x5
    alert_rule_test:
      - eval_time: 2m
        alertname: GpuMemoryNearlyFull
        exp_alerts:
          - exp_labels: {node: n1, severity: warning}
            exp_annotations:
              summary: "GPU memory on n1 is 98.8% used, which leaves too little room for the next batch of the model server"
"#,
    )
    .unwrap();
    let (code, out) = run(&[test.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("        at {}:10:13\n", test.display())),
        "{out}"
    );
    assert!(
        out.contains(
            "          ~ Labels:{alertname=\"GpuMemoryNearlyFull\", node=\"n1\", severity=\"warning\"}\n              annotation summary: \"… memory on n1 is 98.8% used, which leaves…\" → \"… memory on n1 is 98.75% used, which leaves…\"\n"
        ),
        "{out}"
    );
    assert!(!out.contains("          - Labels:"), "{out}");
}

/// `--fail-under PERCENT` fails a passing run whose rules are not
/// exercised enough, and passes it at or under the share exercised.
#[test]
fn fail_under_checks_the_coverage_share() {
    // 4 of the 5 rules of the passing fixture are exercised: 80%.
    let (code, stdout, stderr) = run_split(&["--fail-under", "90", PASSING]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert_eq!(
        stderr,
        "mlalert: test coverage 80.0% (4 of 5 rules exercised) is under --fail-under 90%\n"
    );
    assert!(
        !stdout.contains("Coverage:"),
        "the table only with --coverage: {stdout}"
    );
    let (code, _, stderr) = run_split(&["--fail-under", "80", PASSING]);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = run_split(&["--fail-under", "120", PASSING]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("not between 0 and 100"), "{stderr}");
}

/// Test files in different directories that name one rule file through
/// `..` count its rules once, under one path, as Go's `filepath.Join`
/// cleans it.
#[test]
fn coverage_paths_are_cleaned() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("rules")).unwrap();
    fs::create_dir_all(dir.path().join("tests/a")).unwrap();
    fs::write(
        dir.path().join("rules/r.yml"),
        "groups:\n  - name: g\n    rules:\n      - alert: Down\n        expr: up == 0\n",
    )
    .unwrap();
    let t1 = dir.path().join("tests/one_test.yml");
    let t2 = dir.path().join("tests/a/two_test.yml");
    let body = "tests:\n  - input_series:\n      - series: up{job=\"a\"}\n        values: 1x5\n    alert_rule_test:\n      - eval_time: 5m\n        alertname: Down\n        exp_alerts: []\n";
    fs::write(&t1, format!("rule_files: [../rules/r.yml]\n{body}")).unwrap();
    fs::write(&t2, format!("rule_files: [./../../rules/r.yml]\n{body}")).unwrap();
    let (code, out, err) = run_split(&[
        "--coverage",
        "--format",
        "json",
        t1.to_str().unwrap(),
        t2.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["coverage"]["rules"], 1, "{out}");
    let file = v["coverage"]["uncovered"][0]["file"].as_str().unwrap_or("");
    assert_eq!(file, dir.path().join("rules/r.yml").to_str().unwrap());
}

#[test]
fn several_files_any_failure_exits_1() {
    let (code, out) = run(&[PASSING, FAILING]);
    assert_eq!(code, 1);
    assert!(
        out.contains("  SUCCESS") && out.contains("  FAILED:"),
        "{out}"
    );
}

#[test]
fn run_filter_selects_groups() {
    let (code, out) = run(&["--run", "^xid", PASSING]);
    assert_eq!(code, 0, "{out}");
    // A `--run` that selects nothing must not pass with nothing tested.
    let out = mlalert()
        .args(["test", "--run", "nothing-matches", FAILING, PASSING])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "mlalert: --run nothing-matches selected no test group in 2 files\n"
    );
    assert!(out.stdout.is_empty());
    let (code, _) = run(&["--run", "(", PASSING]);
    assert_eq!(code, 2, "bad regex is bad usage");
}

#[test]
fn bad_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.yaml");
    let (code, out) = run(&[missing.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no such file or directory"), "{out}");

    let broken = dir.path().join("broken.yaml");
    fs::write(&broken, "tests: [\n").unwrap();
    let (code, out) = run(&[broken.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("invalid YAML"), "{out}");

    // A readable file with a schema error is a failing test, as in promtool.
    let unknown = dir.path().join("unknown.yaml");
    fs::write(&unknown, "rule_files: []\ntests:\n  - nam: x\n").unwrap();
    let (code, out) = run(&[unknown.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("unknown.yaml:3:5: field nam not found in type main.testGroup"),
        "{out}"
    );
}

/// A small well-formedness check: balanced tags, quoted attributes, no raw
/// `<` or stray `&` in text.
fn assert_well_formed(xml: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = xml.trim_start();
    if let Some(r) = rest.strip_prefix("<?xml") {
        rest = &r[r.find("?>").expect("xml decl end") + 2..];
    }
    while let Some(i) = rest.find('<') {
        let text = &rest[..i];
        for (j, _) in text.match_indices('&') {
            let ent = &text[j..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                    .iter()
                    .any(|e| ent.starts_with(e)),
                "stray & in {text:?}"
            );
        }
        let end = rest[i..].find('>').expect("tag end") + i;
        let tag = &rest[i + 1..end];
        assert!(!tag.contains('<'), "raw < inside tag {tag:?}");
        assert_eq!(
            tag.matches('"').count() % 2,
            0,
            "unbalanced quotes in {tag:?}"
        );
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(
                stack.pop().as_deref(),
                Some(name.trim()),
                "mismatched </{name}>"
            );
        } else if !tag.ends_with('/') {
            let name = tag.split_whitespace().next().unwrap_or("").to_string();
            stack.push(name);
        }
        rest = &rest[end + 1..];
    }
    assert!(rest.trim().is_empty(), "trailing text {rest:?}");
    assert!(stack.is_empty(), "unclosed {stack:?}");
}

#[test]
fn junit_xml_is_well_formed() {
    let dir = tempfile::tempdir().unwrap();
    let xml_path = dir.path().join("out.xml");
    let (code, _) = run(&["--junit", xml_path.to_str().unwrap(), PASSING, FAILING]);
    assert_eq!(code, 1);
    let xml = fs::read_to_string(&xml_path).unwrap();
    assert_well_formed(&xml);
    assert_eq!(xml.matches("<testsuite ").count(), 2);
    assert!(xml.contains("tests=\"3\" failures=\"0\""), "{xml}");
    assert!(
        xml.contains(&format!(
            "<testcase name=\"expects the page too early\" classname=\"{FAILING}\" time=\""
        )),
        "{xml}"
    );
    // The whole failure text, mlalert's location and diff included.
    assert!(
        xml.contains("        at fixtures/unittest/gpu-failing-test.yaml:14:13\n"),
        "{xml}"
    );
    assert!(xml.contains("diff (- expected, + got):"), "{xml}");
    assert!(
        xml.contains("<failure message=\"name: expects the page too early,\">"),
        "{xml}"
    );
}

#[test]
fn coverage_table_and_json() {
    let (code, out) = run(&["--coverage", PASSING]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Coverage:\nFILE:LINE"), "{out}");
    assert!(
        out.contains("fixtures/unittest/gpu-rules.yaml:31  gpu-alerts  alert  InferenceLatencyHigh  never evaluated to a non-empty result"),
        "{out}"
    );
    assert!(
        out.contains("1 of 5 rules not exercised by any test"),
        "{out}"
    );

    let (code, out) = run(&["--coverage", "--format", "json", PASSING]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["coverage"]["rules"], 5);
    assert_eq!(
        v["coverage"]["uncovered"][0]["rule"],
        "InferenceLatencyHigh"
    );
    assert_eq!(v["files"][0]["passed"], true);
}

/// Go's `regexp` accepts `{.*}$` (a literal brace): an annotation using
/// `reReplaceAll "{.*}$"` renders as Prometheus renders it.
#[test]
fn annotation_regex_uses_go_syntax() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("rules.yaml");
    fs::write(
        &rules,
        r#"groups:
- name: g
  rules:
  - alert: Braces
    expr: up{job=~"a.+"} == 0
    labels:
      severity: page
    annotations:
      summary: '{{ reReplaceAll "{.*}$" "" "foo{bar}" }} down'
"#,
    )
    .expect("write rules");
    let test = dir.path().join("test.yaml");
    fs::write(
        &test,
        r#"rule_files: [rules.yaml]
evaluation_interval: 1m
tests:
- interval: 1m
  input_series:
  - series: 'up{job="a.b"}'
    values: '0x3'
  alert_rule_test:
  - eval_time: 1m
    alertname: Braces
    exp_alerts:
    - exp_labels: {severity: page, job: a.b}
      exp_annotations:
        summary: foo down
"#,
    )
    .expect("write test");
    let path = test.to_string_lossy().to_string();
    let (code, out) = run(&[&path]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("  SUCCESS"), "{out}");
}

/// promtool passes an `alert_rule_test` that expects no alert from an alert
/// no rule defines; mlalert runs it the same way but warns that it cannot fail.
#[test]
fn unknown_alert_names_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("rules.yml"),
        r#"groups:
  - name: gpu
    rules:
      - alert: GPUMemoryNearlyFull
        expr: gpu_memory_used_ratio > 0.95
        for: 5m
"#,
    )
    .unwrap();
    let test = dir.path().join("gpu_test.yml");
    fs::write(
        &test,
        r#"rule_files: [rules.yml]
tests:
  - input_series:
      - series: gpu_memory_used_ratio{node="n1"}
        values: 0.5x10
    alert_rule_test:
      - eval_time: 5m
        alertname: GpuMemoryNearlyFull
        exp_alerts: []
      - eval_time: 6m
        alertname: GpuMemoryNearlyFull
        exp_alerts: []
      - eval_time: 5m
        alertname: GPUMemoryNearlyFull
        exp_alerts: []
"#,
    )
    .unwrap();
    let (code, out) = run(&[test.to_str().unwrap()]);
    assert_eq!(code, 0, "promtool passes it too: {out}");
    let warnings: Vec<&str> = out.lines().filter(|l| l.contains("WARNING")).collect();
    assert_eq!(
        warnings,
        [
            "  WARNING: alert_rule_test names alert \"GpuMemoryNearlyFull\", which no rule file of this test defines (did you mean \"GPUMemoryNearlyFull\"?): a test that expects no alert from it passes whatever the rules do"
        ],
        "{out}"
    );
}

#[test]
fn native_histograms_in_input_and_exp_samples() {
    let (code, out) = run(&["fixtures/unittest/native-histogram-test.yaml"]);
    assert_eq!(code, 0, "{out}");
    // A wrong expected histogram fails with promtool's TestExpression form,
    // counter reset hint included.
    let dir = tempfile::tempdir().expect("tempdir");
    for f in ["native-histogram-rules.yaml", "native-histogram-test.yaml"] {
        let text = fs::read_to_string(format!("fixtures/unittest/{f}")).expect("read");
        let text = text.replace(
            "{{count:120 sum:6 counter_reset_hint:not_reset buckets:[120]}}",
            "{{count:120 sum:6 buckets:[120]}}",
        );
        fs::write(dir.path().join(f), text).expect("write");
    }
    let test = dir.path().join("native-histogram-test.yaml");
    let (code, out) = run(&[test.to_str().unwrap_or_default()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "    expr: \"inference_duration_seconds{model=\\\"embedder\\\"}\", time: 2m,\n        \
             exp: {__name__=\"inference_duration_seconds\", model=\"embedder\", pod=\"b\"} {{count:120 sum:6 buckets:[120]}}\n        \
             got: {__name__=\"inference_duration_seconds\", model=\"embedder\", pod=\"b\"} {{count:120 sum:6 counter_reset_hint:not_reset buckets:[120]}}\n"
        ),
        "{out}"
    );
}

/// promtool only warns about a `rule_files` entry that matches no file and
/// then passes a file that tests nothing; mlalert keeps the warning and
/// fails the file, so a typo in a path cannot pass CI.
#[test]
fn rule_files_entry_matching_nothing_fails_the_file() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("rules.yml"),
        "groups:\n  - name: g\n    rules:\n      - alert: Up\n        expr: up == 0\n",
    )
    .unwrap();
    let test = dir.path().join("t_test.yml");
    fs::write(
        &test,
        r#"rule_files: [rules.yml, rulez.yml]
tests:
  - input_series:
      - series: up{job="a"}
        values: 1x5
    alert_rule_test:
      - eval_time: 5m
        alertname: Up
        exp_alerts: []
"#,
    )
    .unwrap();
    let (code, out) = run(&[test.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("WARNING: no file match pattern"), "{out}");
    assert!(
        out.contains("rulez.yml\" matches no file: the tests would check no rules from it"),
        "{out}"
    );
    // The entry that matches still loads: only the missing one is reported.
    assert!(!out.contains("rules.yml\" matches no file"), "{out}");
}
