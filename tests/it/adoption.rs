//! Adoption: `--write-baseline`/`--baseline`, and `--diff-base` on a real git repository.

use std::fs;
use std::path::Path;

use crate::{diags, git, mlalert};

const ONE: &str = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    for: 5m\n    labels: {severity: info}\n    annotations: {runbook_url: x, summary: s}\n";

fn json(dir: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let out = mlalert()
        .current_dir(dir)
        .args(["lint", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), v)
}

#[test]
fn baseline_accepts_old_findings_and_reports_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(
        d.join("r.yaml"),
        "groups:\n- name: g\n  rules:\n  - alert: Old\n    expr: up == 0\n",
    )
    .unwrap();
    let out = mlalert()
        .current_dir(d)
        .args(["lint", "--write-baseline", "base.json", "r.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrote 4 findings"));
    // Lines move; a new alert is added.
    fs::write(d.join("r.yaml"), "# moved\ngroups:\n- name: g\n  rules:\n  - alert: Old\n    expr: up == 0\n  - alert: New\n    expr: up == 0\n").unwrap();
    let (code, v) = json(d, &["--baseline", "base.json", "r.yaml"]);
    assert_eq!(code, 1);
    assert!(
        diags(&v)
            .iter()
            .all(|x| x["message"].as_str().unwrap().contains("\"New\"")),
        "{v}"
    );
    assert_eq!(diags(&v).len(), 4);
    fs::write(d.join("bad.json"), "not json").unwrap();
    mlalert()
        .current_dir(d)
        .args(["lint", "--baseline", "bad.json", "r.yaml"])
        .assert()
        .code(2);
}

#[test]
fn a_baseline_written_at_the_root_works_from_a_subdirectory() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    fs::create_dir_all(d.join("rules/gpu")).unwrap();
    let rule = "groups:\n- name: g\n  rules:\n  - alert: Old\n    expr: up == 0\n";
    fs::write(d.join("rules/gpu/a.yaml"), rule).unwrap();
    let out = mlalert()
        .current_dir(d)
        .args(["lint", "--write-baseline", "base.json", "./rules"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let written: serde_json::Value =
        serde_json::from_slice(&fs::read(d.join("base.json")).unwrap()).unwrap();
    assert_eq!(written["version"], 2);
    assert!(
        written["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["path"] == "rules/gpu/a.yaml"),
        "{written}"
    );
    // From `rules/gpu`, naming the file as `a.yaml` or by an absolute path,
    // every old finding is accepted.
    let sub = d.join("rules/gpu");
    let (code, v) = json(&sub, &["--baseline", "../../base.json", "a.yaml"]);
    assert_eq!((code, diags(&v).len()), (0, 0), "{v}");
    let abs = sub.join("a.yaml");
    let (code, v) = json(
        &sub,
        &["--baseline", "../../base.json", abs.to_str().unwrap()],
    );
    assert_eq!((code, diags(&v).len()), (0, 0), "{v}");
    // The same findings in another file are new.
    fs::write(sub.join("b.yaml"), rule).unwrap();
    let (code, v) = json(&sub, &["--baseline", "../../base.json", "."]);
    assert_eq!(code, 1);
    assert!(
        diags(&v)
            .iter()
            .all(|x| x["path"].as_str().unwrap().ends_with("b.yaml")),
        "{v}"
    );
}

#[test]
fn diff_base_reports_only_changed_lines() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    // An old finding (missing for) that is not touched by the change.
    fs::write(d.join("old.yaml"), "groups:\n- name: g\n  rules:\n  - alert: Old\n    expr: up == 0\n    labels: {severity: info}\n    annotations: {runbook_url: x, summary: s}\n").unwrap();
    fs::write(d.join("r.yaml"), ONE).unwrap();
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "base"]);
    // Change r.yaml: add an alert without `for`; add an untracked file with a finding.
    fs::write(
        d.join("r.yaml"),
        format!("{ONE}  - alert: Added\n    expr: up == 0\n    labels: {{severity: info}}\n    annotations: {{runbook_url: x, summary: s}}\n"),
    )
    .unwrap();
    fs::write(d.join("new.yaml"), "groups:\n- name: n\n  rules:\n  - alert: Brand\n    expr: up == 0\n    labels: {severity: info}\n    annotations: {runbook_url: x, summary: s}\n").unwrap();
    let (code, v) = json(d, &["--diff-base", "HEAD", "."]);
    assert_eq!(code, 1, "{v}");
    let mut got: Vec<String> = diags(&v)
        .iter()
        .map(|x| x["message"].as_str().unwrap().to_string())
        .collect();
    got.sort();
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(
        got[0].contains("\"Added\"") && got[1].contains("\"Brand\""),
        "{got:?}"
    );
    let (code, _) = json(d, &["--diff-base", "no-such-ref", "."]);
    assert_eq!(code, 2);
}
