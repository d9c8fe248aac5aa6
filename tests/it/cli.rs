//! The binary as a user runs it: output shape, positions, exit codes.

use std::fs;

use predicates::prelude::*;

use crate::{diags, lint_json, mlalert};

const CONFIGMAP: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: rules
data:
  gpu.yaml: |
    groups:
      - name: gpu
        rules:
          - alert: GPUMemoryFull
            expr: |
              max by (gpu) (
                DCGM_FI_DEV_FB_USED / DCGM_FI_DEV_FB_FREE
              ) > 0.95
            for: 5m
            labels:
              severity: critical
            annotations:
              summary: GPU memory full
              runbook_url: https://runbooks/gpu
"#;

#[test]
fn positions_inside_embedded_rule_file_and_promql() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("cm.yaml");
    fs::write(&f, CONFIGMAP).unwrap();
    let (code, json) = lint_json(&[f.to_str().unwrap()]);
    assert_eq!(code, 1);
    let d = diags(&json);
    assert_eq!(d.len(), 1, "{json}");
    assert_eq!(d[0]["code"], "ML201");
    // Line 13 of the file, at the `/` (column 37), one character wide.
    assert_eq!(
        (d[0]["line"].as_u64(), d[0]["column"].as_u64()),
        (Some(13), Some(37))
    );
    assert_eq!(
        (d[0]["end_line"].as_u64(), d[0]["end_column"].as_u64()),
        (Some(13), Some(38))
    );
}

#[test]
fn base64_secret_points_at_key() {
    use base64::Engine;
    let am = "route:\n  receiver: a\n  group_wait: 0s\nreceivers:\n- name: a\n";
    let b64 = base64::engine::general_purpose::STANDARD.encode(am);
    let doc = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: am\ndata:\n  alertmanager.yaml: {b64}\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("secret.yaml");
    fs::write(&f, doc).unwrap();
    let (_, json) = lint_json(&[f.to_str().unwrap()]);
    let d = diags(&json);
    assert_eq!(d.len(), 1, "{json}");
    assert_eq!(d[0]["code"], "ML302");
    assert_eq!(
        (d[0]["line"].as_u64(), d[0]["column"].as_u64()),
        (Some(6), Some(3))
    );
}

#[test]
fn json_has_the_documented_shape() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("r.yaml");
    fs::write(
        &f,
        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n",
    )
    .unwrap();
    let (code, json) = lint_json(&[f.to_str().unwrap()]);
    assert_eq!(code, 1);
    let keys: Vec<&str> = diags(&json)[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = vec![
        "code",
        "name",
        "category",
        "severity",
        "message",
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "help",
        "url",
        // missing-for offers a fix.
        "fix",
    ];
    expected.sort();
    let mut keys = keys;
    keys.sort();
    assert_eq!(keys, expected);
    assert_eq!(
        json["summary"],
        serde_json::json!({"files": 1, "errors": 0, "warnings": 4, "infos": 0})
    );
    assert_eq!(diags(&json)[0]["path"], f.to_str().unwrap());
    assert_eq!(
        diags(&json)[0]["fix"],
        serde_json::json!({
            "title": "add `for: 5m`",
            "applicability": "unsafe",
            "edits": [{"line": 5, "column": 5, "end_line": 5, "end_column": 5, "replacement": "for: 5m\n    "}]
        })
    );
}

#[test]
fn output_is_sorted_and_identical_run_to_run() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..8 {
        fs::write(dir.path().join(format!("r{i}.yaml")), "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n  - alert: B\n    expr: up == 0\n").unwrap();
    }
    let p = dir.path().to_str().unwrap();
    let a = mlalert()
        .args(["lint", "--format", "json", p])
        .output()
        .unwrap()
        .stdout;
    let b = mlalert()
        .args(["lint", "--format", "json", p])
        .output()
        .unwrap()
        .stdout;
    assert_eq!(a, b);
    let json: serde_json::Value = serde_json::from_slice(&a).unwrap();
    let order: Vec<(String, u64, String)> = diags(&json)
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
    // Per file: missing-for, missing-runbook, missing-severity, missing-summary
    // for A and B (64); across files: duplicate-alert (2 x 7), duplicate-rule-group (7).
    assert_eq!(order.len(), 85);
}

#[test]
fn fail_on_decides_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("r.yaml");
    fs::write(
        &f,
        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n",
    )
    .unwrap();
    let p = f.to_str().unwrap();
    mlalert().args(["lint", p]).assert().code(1);
    mlalert()
        .args(["lint", "--fail-on", "error", p])
        .assert()
        .code(0);
    mlalert()
        .args(["lint", "--fail-on", "info", p])
        .assert()
        .code(1);
}

#[test]
fn human_output_is_plain_when_piped_and_names_position() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("r.yaml");
    fs::write(
        &f,
        "groups:\n- name: g\n  rules:\n  - alert: GPUHot\n    expr: DCGM_FI_DEV_GPU_TEMP > 85\n",
    )
    .unwrap();
    let out = mlalert()
        .args(["lint", f.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains('\u{1b}'),
        "ANSI escape in piped output: {text}"
    );
    assert!(
        text.contains(&format!("{}:4:12: warning ML101[missing-for]", f.display())),
        "{text}"
    );
    assert!(text.contains("help: add `for: 5m`"), "{text}");
    assert!(
        text.ends_with("1 file: 0 errors, 4 warnings, 0 infos\n"),
        "{text}"
    );
}

#[test]
fn config_file_disables_and_reconfigures() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("r.yaml");
    fs::write(&f, "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    labels:\n      severity: warning\n    annotations:\n      summary: down\n      playbook: https://x\n").unwrap();
    let cfg = dir.path().join("c.yaml");
    fs::write(
        &cfg,
        "disable: [missing-for]\nrunbook_annotations: [playbook]\n",
    )
    .unwrap();
    let (code, json) = lint_json(&["--config", cfg.to_str().unwrap(), f.to_str().unwrap()]);
    assert_eq!((code, diags(&json).len()), (0, 0), "{json}");
    fs::write(&cfg, "disabel: [x]\n").unwrap();
    mlalert()
        .args([
            "lint",
            "--config",
            cfg.to_str().unwrap(),
            f.to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "c.yaml:1:1: unknown key \"disabel\"",
        ));
}

#[test]
fn thanos_fields_are_a_dialect_unless_prometheus_is_configured() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("r.yaml");
    fs::write(&f, "groups:\n- name: g\n  partial_response_strategy: warn\n  rules:\n  - record: a:b:c\n    expr: up\n").unwrap();
    let (code, json) = lint_json(&[f.to_str().unwrap()]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(diags(&json)[0]["code"], "ML910");
    let cfg = dir.path().join("c.yaml");
    fs::write(&cfg, "dialect: prometheus\n").unwrap();
    let (_, json) = lint_json(&["--config", cfg.to_str().unwrap(), f.to_str().unwrap()]);
    assert_eq!(diags(&json)[0]["code"], "ML903");
    assert_eq!(
        diags(&json)[0]["message"],
        "field partial_response_strategy not found in type rulefmt.RuleGroup"
    );
    for quiet in [
        "dialect: thanos\n",
        "extra_group_fields: [partial_response_strategy]\n",
    ] {
        fs::write(&cfg, quiet).unwrap();
        let (code, json) = lint_json(&["--config", cfg.to_str().unwrap(), f.to_str().unwrap()]);
        assert_eq!((code, diags(&json).len()), (0, 0), "{quiet}: {json}");
    }
    fs::write(&cfg, "dialect: loki\n").unwrap();
    mlalert()
        .args([
            "lint",
            "--config",
            cfg.to_str().unwrap(),
            f.to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "dialect must be auto, prometheus, thanos or mimir",
        ));
}

#[test]
fn lints_and_explain() {
    let out = mlalert()
        .args(["lints", "--format", "json"])
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    for c in [
        "ML101", "ML102", "ML103", "ML201", "ML301", "ML302", "ML901", "ML902", "ML903",
    ] {
        assert!(codes.contains(&c), "{c} missing");
    }
    mlalert()
        .args(["explain", "nonexistent-lint"])
        .assert()
        .code(2);
    mlalert()
        .args(["explain", "ML101"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("missing-for"));
}

#[test]
fn inline_suppression_silences_findings_and_reports_stale_ones() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("r.yaml");
    let body = "groups:\n- name: g\n  rules:\n  # mlalert: disable=missing-for,missing-runbook\n  - alert: Watch\n    expr: up == 0\n    labels: {severity: info}\n    annotations: {summary: watch}\n";
    fs::write(&f, body).unwrap();
    let (code, json) = lint_json(&[f.to_str().unwrap()]);
    assert_eq!((code, diags(&json).len()), (0, 0), "{json}");
    fs::write(&f, body.replace("missing-runbook", "misisng-runbook")).unwrap();
    let (code, json) = lint_json(&[f.to_str().unwrap()]);
    let codes: Vec<&str> = diags(&json)
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert_eq!((code, codes), (1, vec!["ML907", "ML102"]), "{json}");
}

#[test]
fn policy_settings_are_read_from_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("r.yaml");
    fs::write(&f, "groups:\n- name: g\n  rules:\n  - alert: DataDrift\n    expr: drift_score > 0.2\n    for: 15m\n    labels:\n      severity: page\n    annotations:\n      text: drift\n      runbook_url: https://x\n").unwrap();
    let (_, json) = lint_json(&[f.to_str().unwrap()]);
    let codes: Vec<&str> = diags(&json)
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    // `page` is this run's own scale: only an explicit list can refuse it.
    assert_eq!(codes, ["ML106"], "{json}");
    let cfg = dir.path().join("c.yaml");
    fs::write(
        &cfg,
        "allowed_severities: [page]\nsummary_annotations: [text]\ndrift_min_for: 30m\nmax_group_interval: 10m\ndcgm_exported_fields: [DCGM_FI_DEV_FB_TOTAL]\n",
    )
    .unwrap();
    let (_, json) = lint_json(&["--config", cfg.to_str().unwrap(), f.to_str().unwrap()]);
    let codes: Vec<&str> = diags(&json)
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert_eq!(codes, ["ML254"], "{json}");
    fs::write(&cfg, "drift_min_for: soon\n").unwrap();
    mlalert()
        .args([
            "lint",
            "--config",
            cfg.to_str().unwrap(),
            f.to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("drift_min_for must be a duration"));
}

#[test]
fn completions_man_quiet_and_statistics() {
    for shell in ["bash", "zsh", "fish"] {
        let out = mlalert().args(["completions", shell]).output().unwrap();
        assert!(
            out.status.success() && String::from_utf8_lossy(&out.stdout).contains("mlalert"),
            "{shell}"
        );
    }
    let man = mlalert().arg("man").output().unwrap();
    assert!(String::from_utf8_lossy(&man.stdout).starts_with(".ie"));
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("r.yaml");
    fs::write(&f, "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n  - alert: B\n    expr: up == 0\n").unwrap();
    let quiet = String::from_utf8(
        mlalert()
            .args(["lint", "-q", f.to_str().unwrap()])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(!quiet.contains("1 file:"), "{quiet}");
    assert!(quiet.contains("ML101[missing-for]"));
    let stats = String::from_utf8(
        mlalert()
            .args(["lint", "--statistics", f.to_str().unwrap()])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        stats.contains(
            "findings per lint:\n      2  ML101 missing-for\n      2  ML102 missing-runbook\n"
        ),
        "{stats}"
    );
}

#[test]
fn per_path_overrides_by_glob() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir_all(d.join("vendor/mixin")).unwrap();
    let rule = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n  - record: x\n    expr: sum(\n";
    fs::write(d.join("vendor/mixin/rules.yaml"), rule).unwrap();
    fs::write(d.join("own.yaml"), rule).unwrap();
    fs::write(
        d.join(".mlalert.yaml"),
        "overrides:\n  - paths: [\"vendor/**\"]\n    only: [invalid]\n  - paths: [\"own.yaml\"]\n    severity: {missing-for: info}\n",
    )
    .unwrap();
    let out = mlalert()
        .current_dir(d)
        .args(["lint", "--format", "json", "."])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let of = |p: &str| -> Vec<(String, String)> {
        diags(&json)
            .iter()
            .filter(|x| x["path"].as_str().unwrap().ends_with(p))
            .map(|x| {
                (
                    x["code"].as_str().unwrap().to_string(),
                    x["severity"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    // Vendored: only the invalid PromQL remains.
    assert_eq!(
        of("vendor/mixin/rules.yaml"),
        [("ML902".to_string(), "error".to_string())],
        "{json}"
    );
    let own = of("own.yaml");
    assert!(
        own.contains(&("ML101".to_string(), "info".to_string())),
        "{own:?}"
    );
    assert!(own.len() > 2, "{own:?}");
    // A bad glob is a config error with its position.
    fs::write(d.join(".mlalert.yaml"), "overrides:\n  - paths: [\"a[\"]\n").unwrap();
    mlalert()
        .current_dir(d)
        .args(["lint", "."])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(".mlalert.yaml:2:"));
}

#[test]
fn config_show_and_init() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let show = String::from_utf8(
        mlalert()
            .current_dir(d)
            .args(["config", "show"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        show.contains("runbook_annotations: [runbook_url, runbook, runbook_link, playbook, playbook_url, triage, sop]"),
        "{show}"
    );
    assert!(show.contains("scrape_interval: 30s"), "{show}");
    mlalert()
        .current_dir(d)
        .args(["config", "init"])
        .assert()
        .code(0);
    // The template loads, and gives the defaults back.
    let after = String::from_utf8(
        mlalert()
            .current_dir(d)
            .args(["config", "show"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let strip = |s: &str| s.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert_eq!(strip(&after), strip(&show));
    assert!(after.starts_with("# from "), "{after}");
    // Never overwritten unless asked.
    mlalert()
        .current_dir(d)
        .args(["config", "init"])
        .assert()
        .code(2);
    mlalert()
        .current_dir(d)
        .args(["config", "init", "--force"])
        .assert()
        .code(0);
}

/// A run where no alert has a runbook link says so once, under the summary.
#[test]
fn no_runbook_anywhere_is_said_once() {
    let d = tempfile::tempdir().expect("tempdir");
    let rule = |name: &str, link: &str| {
        format!(
            "  - alert: {name}\n    expr: up == 0\n    for: 5m\n    labels: {{severity: warning}}\n    annotations: {{summary: s{link}}}\n"
        )
    };
    let none = format!(
        "groups:\n- name: g\n  rules:\n{}{}",
        rule("A", ""),
        rule("B", "")
    );
    std::fs::write(d.path().join("none.yaml"), &none).expect("write");
    let out = mlalert()
        .current_dir(d.path())
        .args(["lint", "none.yaml"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.matches("none of the 2 alerting rules has a runbook link")
            .count(),
        1,
        "{text}"
    );
    let some = format!(
        "groups:\n- name: g\n  rules:\n{}{}",
        rule("A", ", runbook_url: 'https://r/a'"),
        rule("B", "")
    );
    std::fs::write(d.path().join("some.yaml"), &some).expect("write");
    let out = mlalert()
        .current_dir(d.path())
        .args(["lint", "some.yaml"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("has a runbook link"), "{text}");
    assert!(text.contains("ML102"), "{text}");
}

#[test]
fn config_init_from_writes_the_run_s_conventions() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yml");
    let mut y = String::from("groups:\n- name: g\n  rules:\n");
    for (i, s) in ["s1", "s2", "s2", "s3", "s1"].iter().enumerate() {
        y.push_str(&format!(
            "  - alert: a_{i}_down\n    expr: up == 0\n    for: 5m\n    labels: {{severity: {s}}}\n"
        ));
    }
    fs::write(&rules, y).unwrap();
    fs::write(
        dir.path().join("prometheus.yml"),
        "global:\n  scrape_interval: 15s\n  external_labels: {cluster: gpu-eu}\nrule_files: [rules.yml]\n",
    )
    .unwrap();
    let out = mlalert()
        .current_dir(dir.path())
        .args(["config", "init", "--from", "."])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cfg = fs::read_to_string(dir.path().join(".mlalert.yaml")).unwrap();
    for want in [
        "allowed_severities: [s1, s2, s3]",
        "alert_name_style: \"snake_case\"",
        "scrape_interval: 15s",
        "evaluation_interval: 1m",
        "external_labels: [cluster=gpu-eu]",
        "# inferred from prometheus.yml:2:20 (global.scrape_interval)",
    ] {
        assert!(cfg.contains(want), "{want} missing in:\n{cfg}");
    }
    // The written file loads, and a lint run with it is as quiet as without.
    let (code, json) = lint_json(&[
        "--config",
        dir.path().join(".mlalert.yaml").to_str().unwrap(),
        dir.path().to_str().unwrap(),
    ]);
    assert_ne!(code, 2, "{json}");
}

#[test]
fn a_directory_with_nothing_to_lint_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir_all(d.join("docs")).unwrap();
    fs::write(d.join("docs/README.md"), "# rules live elsewhere\n").unwrap();
    fs::write(
        d.join("rules.yaml"),
        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n",
    )
    .unwrap();
    let docs = d.join("docs");
    // A wrong path alone used to pass as "0 files: 0 errors".
    let (code, json) = lint_json(&[docs.to_str().unwrap()]);
    assert_eq!(code, 2, "{json}");
    let found = diags(&json);
    assert_eq!(found.len(), 1, "{json}");
    assert_eq!(found[0]["code"], "ML906");
    assert!(
        found[0]["message"]
            .as_str()
            .unwrap()
            .contains("holds no *.yaml, *.yml or *.rules file"),
        "{json}"
    );
    // The other paths are still checked.
    let (code, json) = lint_json(&[
        docs.to_str().unwrap(),
        d.join("rules.yaml").to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(diags(&json).iter().any(|x| x["code"] == "ML101"), "{json}");
    // A directory whose YAML files are all ignored holds nothing either;
    // one with a YAML file, even an empty rule file, is fine.
    fs::write(d.join("docs/empty.yaml"), "groups: []\n").unwrap();
    let (code, json) = lint_json(&[docs.to_str().unwrap()]);
    assert_eq!(code, 0, "{json}");
}

#[test]
fn standard_input_is_linted_under_stdin_filename() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(
        d.join(".mlalert.yaml"),
        "overrides:\n  - paths: [\"vendor/**\"]\n    only: [invalid]\n",
    )
    .unwrap();
    let rule = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n";
    let run = |args: &[&str]| {
        let out = mlalert()
            .current_dir(d)
            .args(["lint", "--format", "json"])
            .args(args)
            .write_stdin(rule)
            .output()
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        (
            out.status.code(),
            json,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, json, _) = run(&["-"]);
    assert_eq!(code, Some(1), "{json}");
    let found = diags(&json);
    assert!(found.iter().all(|x| x["path"] == "<stdin>"), "{json}");
    let missing_for = found.iter().find(|x| x["code"] == "ML101").expect("ML101");
    assert_eq!(
        (missing_for["line"].as_u64(), missing_for["column"].as_u64()),
        (Some(4), Some(12))
    );
    // The name stands for a path: it is reported and the overrides match it.
    let (code, json, _) = run(&["--stdin-filename", "vendor/mixin/rules.yaml", "-"]);
    assert_eq!(code, Some(0), "{json}");
    let (_, json, _) = run(&["--stdin-filename", "own/rules.yaml", "-"]);
    assert!(
        diags(&json)
            .iter()
            .any(|x| x["code"] == "ML101" && x["path"] == "own/rules.yaml"),
        "{json}"
    );
    // Twice, or with --diff-base (git has no such file), is refused.
    let (code, _, err) = run(&["-", "-"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("may be given once"), "{err}");
    let (code, _, err) = run(&["--diff-base", "HEAD", "-"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--diff-base"), "{err}");
}

#[test]
fn routes_coverage_without_alerting_rules_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(
        d.join("am.yaml"),
        "route:\n  receiver: a\nreceivers:\n- name: a\n",
    )
    .unwrap();
    fs::write(
        d.join("records.yaml"),
        "groups:\n- name: g\n  rules:\n  - record: x:y\n    expr: up\n",
    )
    .unwrap();
    mlalert()
        .current_dir(d)
        .args(["routes", "coverage", "--config", "am.yaml", "records.yaml"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("no alerting rule in records.yaml"));
    fs::write(
        d.join("alerts.yaml"),
        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n",
    )
    .unwrap();
    mlalert()
        .current_dir(d)
        .args([
            "routes",
            "coverage",
            "--config",
            "am.yaml",
            "records.yaml",
            "alerts.yaml",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("alerts.yaml:4"));
}

#[test]
fn paths_print_alike_in_every_format_and_statistics_go_to_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir_all(d.join("rules")).unwrap();
    fs::write(
        d.join("rules/a.yaml"),
        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n",
    )
    .unwrap();
    let out = |format: &str| {
        let o = mlalert()
            .current_dir(d)
            .args(["lint", "--statistics", "--format", format, "./rules"])
            .output()
            .unwrap();
        (
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    for format in ["human", "json", "sarif", "github"] {
        let (stdout, _) = out(format);
        assert!(stdout.contains("rules/a.yaml"), "{format}: {stdout}");
        assert!(!stdout.contains("./rules"), "{format}: {stdout}");
    }
    // Machine formats keep stdout parseable; the counts are on stderr.
    let (stdout, stderr) = out("json");
    serde_json::from_str::<serde_json::Value>(&stdout).expect("stdout is JSON");
    assert!(stderr.starts_with("findings per lint:"), "{stderr}");
    assert!(stderr.contains("ML101 missing-for"), "{stderr}");
    let (stdout, stderr) = out("human");
    assert!(stdout.contains("findings per lint:"), "{stdout}");
    assert!(!stderr.contains("findings per lint:"), "{stderr}");
}

/// Human output wraps at `COLUMNS` (else the terminal, else 100 columns),
/// never inside a URL, and findings that start on one line share one
/// snippet, its span labelled with every code.
#[test]
fn human_output_wraps_at_columns_and_shares_snippets() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("r.yaml");
    fs::write(
        &f,
        "groups:\n- name: g\n  rules:\n  - alert: GPUHot\n    expr: DCGM_FI_DEV_GPU_TEMP > 85\n",
    )
    .unwrap();
    let run = |columns: Option<&str>| {
        let mut c = mlalert();
        c.args(["lint", "--color", "never", f.to_str().unwrap()]);
        if let Some(w) = columns {
            c.env("COLUMNS", w);
        }
        String::from_utf8(c.output().unwrap().stdout).unwrap()
    };
    let wide = run(None);
    let narrow = run(Some("60"));
    let url = "https://github.com/mlalert/mlalert/blob/main/lints/ML101-missing-for.md";
    for text in [&wide, &narrow] {
        assert!(text.contains(url), "a URL prints whole: {text}");
        // Four findings on line 4, one snippet.
        assert_eq!(text.matches("╭─[").count(), 1, "{text}");
        assert!(text.contains("╰── ML101, ML102, ML104, ML106"), "{text}");
        assert_eq!(text.matches(": warning ML1").count(), 4, "{text}");
    }
    let widest = |t: &str| {
        t.lines()
            .filter(|l| !l.contains("https://") && !l.contains(".yaml"))
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(0)
    };
    assert!(widest(&narrow) <= 60, "{narrow}");
    assert!(widest(&wide) > 60 && widest(&wide) <= 100, "{wide}");
    assert!(narrow.lines().count() > wide.lines().count());
}
