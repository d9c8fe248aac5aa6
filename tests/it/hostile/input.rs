//! Hostile input, input cases (issue 13): YAML loading and input reading.

use std::fs;
use std::path::Path;

use super::run;

const RULES: &str = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    for: 5m\n";
const AM: &str = "route:\n  receiver: r\nreceivers:\n- name: r\n";

fn write(dir: &Path, name: &str, text: &str) {
    fs::write(dir.join(name), text).unwrap();
}

/// Item 7: every input path goes through the one reader with a byte limit:
/// `/dev/zero` (no size, no end) is refused at the limit, with the path
/// named and exit code 2, wherever it is given.
#[cfg(unix)]
#[test]
fn item7_endless_device_is_refused_at_the_limit_on_every_input_path() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "r.yaml", RULES);
    write(d, "am.yaml", AM);
    write(
        d,
        "t.yaml",
        "rule_files: [/dev/zero]\ntests:\n- interval: 1m\n  input_series: []\n",
    );
    let cases: &[&[&str]] = &[
        &["lint", "/dev/zero"],
        &["lint", "--config", "/dev/zero", "r.yaml"],
        &["lint", "--baseline", "/dev/zero", "r.yaml"],
        &["routes", "show", "--config", "/dev/zero"],
        &["routes", "test", "--config", "/dev/zero", "a=b"],
        &["routes", "coverage", "--config", "/dev/zero", "r.yaml"],
        &["routes", "coverage", "--config", "am.yaml", "/dev/zero"],
        &["test", "/dev/zero"],
        &["test", "t.yaml"],
    ];
    for args in cases {
        let r = run(d, args, None);
        // A rule file a unit test cannot load fails that test (exit 1), as
        // promtool's `FAILED:`; every other input is an input error.
        r.expect_code(if args == &["test", "t.yaml"] { 1 } else { 2 });
        let out = format!("{}{}", r.stdout, r.stderr);
        assert!(out.contains("/dev/zero"), "{args:?}: {out}");
        assert!(out.contains("MiB limit"), "{args:?}: {out}");
    }
}

/// Item 7: a pipe on `/dev/stdin` is read up to the limit, not to its end;
/// a small one is linted as a file.
#[cfg(unix)]
#[test]
fn item7_stdin_pipe_is_read_up_to_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let big = vec![b'#'; 40 * 1024 * 1024];
    let r = run(dir.path(), &["lint", "/dev/stdin"], Some(&big));
    r.expect_code(2);
    assert!(r.stdout.contains("MiB limit"), "{}", r.stdout);
    let r = run(dir.path(), &["lint", "/dev/stdin"], Some(RULES.as_bytes()));
    r.expect_code(1);
    assert!(r.stdout.contains("ML102"), "{}", r.stdout);
}

/// Item 7: a FIFO whose writer never stops is read up to the limit.
#[cfg(unix)]
#[test]
fn item7_endless_fifo_is_read_up_to_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.yaml");
    let ok = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            use std::io::Write;
            let Ok(mut f) = fs::OpenOptions::new().write(true).open(&fifo) else {
                return;
            };
            let chunk = vec![b'#'; 1 << 20];
            // Until the reader closes its end (EPIPE), at most 1 GiB.
            for _ in 0..1024 {
                if f.write_all(&chunk).is_err() {
                    return;
                }
            }
        })
    };
    let r = run(dir.path(), &["lint", "fifo.yaml"], None);
    r.expect_code(2);
    assert!(r.stdout.contains("fifo.yaml"), "{}", r.stdout);
    assert!(r.stdout.contains("MiB limit"), "{}", r.stdout);
    writer.join().unwrap();
}

/// `(code, line, message)` of each diagnostic of a `--format json` run.
fn findings(stdout: &str) -> Vec<(String, u64, String)> {
    let v: serde_json::Value =
        serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Item 3: one 1 MiB anchored description referenced by 3,000 rules is
/// counted in bytes: a yaml-syntax error at the alias that goes over the
/// budget, exit 2, instead of 3 GB and exit 0.
#[test]
fn item3_alias_bomb_in_bytes_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let big = "x".repeat(1 << 20);
    let mut text = format!(
        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    for: 5m\n    annotations:\n      description: &a {big}\n"
    );
    for i in 0..3000 {
        text.push_str(&format!(
            "  - alert: A{i}\n    expr: up == 0\n    for: 5m\n    annotations:\n      description: *a\n"
        ));
    }
    write(dir.path(), "bomb.yaml", &text);
    write(dir.path(), "ok.yaml", RULES);
    let r = run(
        dir.path(),
        &["lint", "--format", "json", "bomb.yaml", "ok.yaml"],
        None,
    );
    r.expect_code(2);
    let f = findings(&r.stdout);
    let syntax: Vec<_> = f.iter().filter(|d| d.0 == "ML901").collect();
    assert_eq!(syntax.len(), 1, "{f:?}");
    assert!(syntax[0].2.contains("MiB of values"), "{f:?}");
    // The other file is still checked.
    assert!(f.iter().any(|d| d.0 == "ML102"), "{f:?}");
}

/// Item 4: an anchored 1,000-rule file listed under 800 ConfigMap keys
/// spends one budget for the whole file: one yaml-syntax error where it
/// goes over, exit 2, bounded memory.
#[test]
fn item4_embedded_documents_share_one_budget() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  r0.yaml: &r |\n    groups:\n    - name: g\n      rules:\n",
    );
    for i in 0..1000 {
        text.push_str(&format!("      - {{alert: A{i}, expr: up == 0}}\n"));
    }
    for i in 1..800 {
        text.push_str(&format!("  r{i}.yaml: *r\n"));
    }
    write(dir.path(), "cm.yaml", &text);
    let r = run(dir.path(), &["lint", "--format", "json", "cm.yaml"], None);
    r.expect_code(2);
    let f = findings(&r.stdout);
    let syntax: Vec<_> = f.iter().filter(|d| d.0 == "ML901").collect();
    assert_eq!(syntax.len(), 1, "one error, not one per key: {syntax:?}");
    // The file's budget (twice its 150 KB) runs out in the outer stream,
    // at the alias that goes over it, before any embedded copy is parsed.
    assert!(syntax[0].2.contains("more than"), "{syntax:?}");
    assert!(syntax[0].1 > 1000, "at an alias: {syntax:?}");
}

/// Item 9: 1 MiB of `{{` without `}}` is scanned once, not once per `{{`.
#[test]
fn item9_unclosed_template_actions_are_scanned_in_linear_time() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "t.yaml",
        &format!("a: \"{}\"\n", "{{".repeat(1 << 19)),
    );
    let r = run(dir.path(), &["lint", "t.yaml"], None);
    // `expect_code` fails on the harness timeout (the quadratic scan took
    // over 20 s in release; minutes in this debug binary).
    r.expect_code(0);
}

/// Item 17: `tpl` inside a Prometheus template (`{{ $labels.prompt_tpl }}`)
/// is not Helm: the file is checked and its findings reported; a Helm
/// template that parses and holds rules is checked too; one that does not
/// parse is still skipped once.
#[test]
fn item17_prometheus_templates_are_not_helm() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "llm.yaml",
        "groups:\n- name: llm\n  rules:\n  - alert: GPUMemoryRatio\n    expr: DCGM_FI_DEV_FB_USED / DCGM_FI_DEV_FB_FREE > 0.9\n    for: 5m\n    annotations:\n      summary: \"template {{ $labels.prompt_tpl }} is slow\"\n",
    );
    let r = run(d, &["lint", "--format", "json", "llm.yaml"], None);
    r.expect_code(1);
    let f = findings(&r.stdout);
    assert!(f.iter().any(|x| x.0 == "ML201"), "{f:?}");
    assert!(!f.iter().any(|x| x.0 == "ML905"), "{f:?}");
    // Helm's names in a file that parses and holds rules: checked.
    write(
        d,
        "crd.yaml",
        "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: \"{{ .Release.Name }}-rules\"\nspec:\n  groups:\n  - name: g\n    rules:\n    - alert: A\n      expr: up == 0\n",
    );
    let r = run(d, &["lint", "--format", "json", "crd.yaml"], None);
    r.expect_code(1);
    let f = findings(&r.stdout);
    assert!(f.iter().any(|x| x.0 == "ML101"), "{f:?}");
    assert!(!f.iter().any(|x| x.0 == "ML905"), "{f:?}");
    // A chart template that does not parse: skipped once, as before.
    write(
        d,
        "chart.yaml",
        "{{- if .Values.enabled }}\ngroups:\n{{ toYaml .Values.groups | indent 2 }}\n{{- end }}\n",
    );
    let r = run(d, &["lint", "--format", "json", "chart.yaml"], None);
    r.expect_code(0);
    let f = findings(&r.stdout);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "ML905", "{f:?}");
}

/// Item 18: a Secret's `data` that is not base64 (plain text, unpadded) or
/// whose YAML is not UTF-8 is reported at the value; binary data under other
/// keys is not.
#[test]
fn item18_undecodable_secret_data_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "s.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: am\ndata:\n  alertmanager.yaml: \"route: {receiver: team}\"\n  unpadded.yaml: cm91dGU6IHt9eA\n  latin1.yaml: cm91dGU6IHtyZWNlaXZlcjogJ7B9\n  ca.der: 3q2+7w==\n",
    );
    let r = run(dir.path(), &["lint", "--format", "json", "s.yaml"], None);
    r.expect_code(1);
    let f = findings(&r.stdout);
    let bad: Vec<_> = f.iter().filter(|x| x.0 == "ML911").collect();
    assert_eq!(bad.len(), 3, "{f:?}");
    assert_eq!(bad[0].1, 6, "{bad:?}");
    assert!(
        bad[0]
            .2
            .contains("\"alertmanager.yaml\" is not valid base64"),
        "{bad:?}"
    );
    assert!(
        bad[1].2.contains("\"unpadded.yaml\" is not valid base64"),
        "{bad:?}"
    );
    assert!(
        bad[2]
            .2
            .contains("\"latin1.yaml\" decodes to bytes that are not UTF-8"),
        "{bad:?}"
    );
    // No secret value in any message.
    assert!(!r.stdout.contains("receiver: team"), "{}", r.stdout);
}

/// Item 19: symlinked `*.yaml` files and directories inside a walked
/// directory are followed (a loop is not followed twice), a file reached
/// twice is checked once, and a broken `*.yaml` link is an error.
#[cfg(unix)]
#[test]
fn item19_symlinks_in_walked_directories_are_followed() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir_all(d.join("shared")).unwrap();
    fs::create_dir_all(d.join("repo/team")).unwrap();
    write(d, "shared/gpu.yaml", RULES);
    symlink(d.join("shared/gpu.yaml"), d.join("repo/gpu.yaml")).unwrap();
    symlink(d.join("shared"), d.join("repo/linked")).unwrap();
    // A loop: a directory linking to its ancestor.
    symlink(d.join("repo"), d.join("repo/team/up")).unwrap();
    let r = run(d, &["lint", "--format", "json", "repo"], None);
    r.expect_code(1);
    let f = findings(&r.stdout);
    let runbook: Vec<_> = f.iter().filter(|x| x.0 == "ML102").collect();
    // gpu.yaml is reached as repo/gpu.yaml and repo/linked/gpu.yaml: once.
    assert_eq!(runbook.len(), 1, "{f:?}");
    assert!(
        !f.iter().any(|x| x.0 == "ML107"),
        "no duplicate alerts: {f:?}"
    );
    // A broken link named like a rule file: an error naming it.
    symlink(d.join("missing.yaml"), d.join("repo/broken.yaml")).unwrap();
    let r = run(d, &["lint", "--format", "json", "repo"], None);
    r.expect_code(2);
    assert!(r.stdout.contains("broken.yaml"), "{}", r.stdout);
    assert!(r.stdout.contains("broken symbolic link"), "{}", r.stdout);
}

/// Issue 10: a finding on a rule reached through a merge key points at that
/// rule's `<<: *defaults`, not at the anchor inside the first rule; a key
/// the rule writes itself keeps its own line.
#[test]
fn issue10_findings_through_merge_keys_are_on_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let text = "\
groups:
- name: g
  rules:
  - alert: First
    <<: &defaults
      expr: sum(rate(x_total[5m]))
      labels:
        severity: critical
  - alert: Second
    <<: *defaults
  - alert: Third
    <<: *defaults
    expr: up == 0
";
    write(dir.path(), "r.yaml", text);
    let r = run(dir.path(), &["lint", "--format", "json", "r.yaml"], None);
    r.expect_code(1);
    let f = findings(&r.stdout);
    // alert-without-condition on the expression: the anchor's own rule at
    // line 6, the second rule at its alias (line 10); the third writes its
    // own expression, which has a condition.
    let no_condition: Vec<u64> = f.iter().filter(|x| x.0 == "ML206").map(|x| x.1).collect();
    assert_eq!(no_condition, [6, 10], "{f:?}");
}
