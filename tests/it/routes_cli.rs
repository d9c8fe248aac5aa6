//! `mlalert routes`: test (amtool's output, --verify-receivers, label
//! errors), show (plain file and Secret-embedded config), coverage formats.

use std::path::Path;

use crate::mlalert;

const AM: &str = "route:
  receiver: default
  group_by: [alertname]
  routes:
  - matchers: [severity=critical]
    receiver: pager
    continue: true
  - matchers: [team=ml]
    receiver: ml
receivers:
- name: default
- name: pager
  pagerduty_configs: [{routing_key: x}]
- name: ml
inhibit_rules:
- source_matchers: [severity=critical]
  target_matchers: [severity=warning]
  equal: [model]
";

const RULES: &str = "groups:
- name: g
  rules:
  - alert: ModelDown
    expr: sum by (model) (up{job=\"serving\"}) == 0
    for: 5m
    labels: {severity: critical, team: ml}
  - alert: ModelSlow
    expr: sum by (model, team) (rate(x[5m])) > 1
    for: 5m
    labels: {severity: warning}
";

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p.to_string_lossy().into_owned()
}

#[test]
fn test_prints_receivers_and_verifies() {
    let dir = tempfile::tempdir().expect("tmp");
    let am = write(dir.path(), "am.yml", AM);
    mlalert()
        .args([
            "routes",
            "test",
            "--config",
            &am,
            "severity=critical",
            "team=ml",
        ])
        .assert()
        .code(0)
        .stdout("pager,ml\n");
    mlalert()
        .args([
            "routes",
            "test",
            "--config",
            &am,
            "--verify-receivers",
            "pager,ml",
            "severity=critical",
            "team=ml",
        ])
        .assert()
        .code(0);
    mlalert()
        .args([
            "routes",
            "test",
            "--config",
            &am,
            "--verify-receivers",
            "ml",
            "severity=critical",
            "team=ml",
        ])
        .assert()
        .code(1)
        .stdout(predicates::str::contains(
            "WARNING: Expected receivers did not match",
        ));
    mlalert()
        .args(["routes", "test", "--config", &am, "team=~ml"])
        .assert()
        .code(2);
}

#[test]
fn show_reads_a_secret_and_draws_settings() {
    let dir = tempfile::tempdir().expect("tmp");
    let indented: String = AM.lines().map(|l| format!("    {l}\n")).collect();
    let secret = format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: am}}\nstringData:\n  alertmanager.yaml: |\n{indented}"
    );
    let p = write(dir.path(), "secret.yaml", &secret);
    let out = mlalert()
        .args(["routes", "show", "--config", &p])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.contains("└── default-route  receiver: default  group_by: [alertname]*  group_wait: 30s  group_interval: 5m  repeat_interval: 4h"), "{text}");
    assert!(
        text.contains(
            "├── {severity=\"critical\"}  continue: true  receiver: pager  group_by: [alertname]"
        ),
        "{text}"
    );
    mlalert()
        .args([
            "routes",
            "show",
            "--config",
            &write(dir.path(), "rules.yml", RULES),
        ])
        .assert()
        .code(2);
}

#[test]
fn coverage_in_three_formats() {
    let dir = tempfile::tempdir().expect("tmp");
    let am = write(dir.path(), "am.yml", AM);
    let rules = write(dir.path(), "rules.yml", RULES);
    let run = |format: &str| {
        let out = mlalert()
            .args([
                "routes", "coverage", "--config", &am, "--format", format, &rules,
            ])
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let human = run("human");
    assert!(human.contains("ModelDown"), "{human}");
    assert!(human.contains("pager, ml"), "{human}");
    assert!(human.contains("depends on label team"), "{human}");
    assert!(human.contains("#1 (line 16) by ModelDown"), "{human}");
    let md = run("markdown");
    assert!(
        md.starts_with("| Alert | Rule | Receivers | Muted by |"),
        "{md}"
    );
    let json: serde_json::Value = serde_json::from_str(&run("json")).expect("json");
    let alerts = json["alerts"].as_array().expect("alerts");
    assert_eq!(alerts.len(), 2);
    assert_eq!(
        alerts[0]["routes"][0]["receivers"],
        serde_json::json!(["pager", "ml"])
    );
    assert_eq!(alerts[1]["routes"].as_array().unwrap().len(), 2);
    assert_eq!(
        alerts[1]["muted_by"][0]["sources"],
        serde_json::json!(["ModelDown"])
    );
}

/// Alertmanager never lets an alert mute itself, and an alert that matches
/// both sides of an inhibit rule is muted only by sources that do not match
/// the target (inhibit/inhibit.go): `coverage` lists only real mutes.
#[test]
fn coverage_respects_the_both_sides_rule() {
    let dir = tempfile::tempdir().expect("tmp");
    let am = write(
        dir.path(),
        "am.yml",
        r#"route:
  receiver: default
receivers:
- name: default
inhibit_rules:
- source_matchers: ['severity=~"critical|warning"']
  target_matchers: ['severity=~"warning|info"']
  equal: [cluster]
"#,
    );
    let rules = write(
        dir.path(),
        "rules.yml",
        r#"groups:
- name: g
  rules:
  - alert: ClusterDown
    expr: sum by (cluster) (up) == 0
    for: 5m
    labels: {severity: critical}
  - alert: NodeSlow
    expr: sum by (cluster) (x) > 1
    for: 5m
    labels: {severity: warning}
  - alert: DiskSlow
    expr: sum by (cluster) (y) > 1
    for: 5m
    labels: {severity: warning}
  - alert: Chatty
    expr: sum by (cluster) (z) > 1
    for: 5m
    labels: {severity: info}
"#,
    );
    let out = mlalert()
        .args([
            "routes", "coverage", "--config", &am, "--format", "json", &rules,
        ])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let muted = |name: &str| -> Vec<String> {
        let a = json["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["alert"] == name)
            .unwrap_or_else(|| panic!("{name} missing: {json}"));
        a["muted_by"]
            .as_array()
            .map(|m| {
                m.iter()
                    .flat_map(|r| r["sources"].as_array().unwrap().clone())
                    .map(|s| s.as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    // The critical source matches only the source side: it mutes both warnings.
    // NodeSlow and DiskSlow match both sides, so they do not mute each other.
    assert_eq!(muted("NodeSlow"), ["ClusterDown"]);
    assert_eq!(muted("DiskSlow"), ["ClusterDown"]);
    assert!(muted("ClusterDown").is_empty());
    // Chatty matches only the target side: every two-sided or source alert mutes it.
    assert_eq!(muted("Chatty"), ["ClusterDown", "NodeSlow", "DiskSlow"]);
}
