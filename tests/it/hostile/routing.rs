//! Hostile input, routing cases (issue 13): the cost of routing and
//! inhibition (item 12), `routes coverage` and `routes --config` on bad
//! files (items 15, 20), `--diff-base` (item 16).

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::time::Duration;

use super::run;
use crate::git;

/// `n` alerting rules: every third critical (`Alert0`, `Alert3`, …), the
/// others warning or info, spread over 20 teams, grouped by `node`.
fn many_alerts(n: usize) -> String {
    let mut s = String::from("groups:\n- name: g\n  rules:\n");
    for i in 0..n {
        let sev = ["critical", "warning", "info"][i % 3];
        let _ = write!(
            s,
            "  - alert: Alert{i}\n    expr: sum by (node, team) (metric_{}) > 1\n    for: 5m\n    labels: {{severity: {sev}, team: t{}}}\n    annotations: {{summary: s, runbook_url: 'https://r/x'}}\n",
            i % 97,
            i % 20
        );
    }
    s
}

/// An Alertmanager config with one route per team and `rules` inhibit
/// rules: half muted by one named critical alert, half by every critical
/// alert of the same team and node.
fn inhibiting_config(rules: usize) -> String {
    let mut s = String::from("route:\n  receiver: default\n  group_by: [alertname]\n  routes:\n");
    for t in 0..20 {
        let _ = write!(s, "  - matchers: [team=t{t}]\n    receiver: r{t}\n");
    }
    s.push_str("receivers:\n- name: default\n");
    for t in 0..20 {
        let _ = write!(
            s,
            "- name: r{t}\n  webhook_configs: [{{url: 'http://x/{t}'}}]\n"
        );
    }
    s.push_str("inhibit_rules:\n");
    for j in 0..rules {
        if j % 2 == 0 {
            let _ = write!(
                s,
                "- source_matchers: [alertname=Alert{}]\n  target_matchers: ['severity=~\"warning|info\"']\n  equal: [node]\n",
                j * 3
            );
        } else {
            s.push_str("- source_matchers: [severity=critical]\n  target_matchers: ['severity=~\"warning|info\"']\n  equal: [team, node]\n");
        }
    }
    s
}

/// Item 12: 2,000 alerts × 50 inhibit rules took 16 s to lint and over
/// 20 s for `routes coverage` (every alert against every alert per rule).
/// Inhibition is now indexed on the `equal` labels' values.
#[test]
fn inhibit_rules_over_2000_alerts_are_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("rules.yaml"), many_alerts(2000)).unwrap();
    fs::write(d.join("am.yaml"), inhibiting_config(50)).unwrap();
    let r = run(d, &["lint", "--quiet", "rules.yaml", "am.yaml"], None);
    r.expect_code(0);
    assert!(
        r.elapsed < Duration::from_secs(30),
        "lint took {:?}",
        r.elapsed
    );
    let r = run(
        d,
        &["routes", "coverage", "--config", "am.yaml", "rules.yaml"],
        None,
    );
    r.expect_code(0);
    assert!(
        r.elapsed < Duration::from_secs(30),
        "coverage took {:?}",
        r.elapsed
    );
    // A warning of team t1 is muted by the one named critical alert
    // (rule #1) and by the critical alerts of its team (rule #2).
    let row = r
        .stdout
        .lines()
        .find(|l| l.starts_with("Alert1 "))
        .unwrap_or_else(|| panic!("no row for Alert1:\n{}", &r.stdout[..2000]));
    assert!(row.contains("#1 (line "), "{row}");
    assert!(row.contains("by Alert0;"), "{row}");
    assert!(
        row.contains("#2 (line ") && row.contains("by Alert21, Alert81, Alert141 +30"),
        "{row}"
    );
}

/// Item 12, the worst case before: every warning may mute every critical
/// alert by the matchers, but `equal: [node]` never holds (one node per
/// alert): 50 s to lint, 107 s for `routes coverage`, trying every pair.
#[test]
fn inhibit_rules_whose_equal_never_holds_are_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut rules = String::from("groups:\n- name: g\n  rules:\n");
    for i in 0..2000 {
        let sev = ["critical", "warning", "info"][i % 3];
        let _ = write!(
            rules,
            "  - alert: Alert{i}\n    expr: up == 0\n    for: 5m\n    labels: {{severity: {sev}, node: n{i}, team: t{}}}\n    annotations: {{summary: s, runbook_url: 'https://r/x'}}\n",
            i % 20
        );
    }
    fs::write(d.join("rules.yaml"), rules).unwrap();
    let mut am =
        String::from("route:\n  receiver: default\nreceivers:\n- name: default\ninhibit_rules:\n");
    for _ in 0..50 {
        am.push_str("- source_matchers: ['severity=~\"warning|info\"', 'team=~\"t.*\"']\n  target_matchers: [severity=critical]\n  equal: [node]\n");
    }
    fs::write(d.join("am.yaml"), am).unwrap();
    let r = run(
        d,
        &["lint", "--format", "json", "rules.yaml", "am.yaml"],
        None,
    );
    r.expect_code(1);
    assert!(
        r.elapsed < Duration::from_secs(30),
        "lint took {:?}",
        r.elapsed
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let dead = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["name"] == "inhibit-rule-dead")
        .count();
    assert_eq!(dead, 50, "every rule's `equal` is reported: {}", r.stdout);
    let r = run(
        d,
        &["routes", "coverage", "--config", "am.yaml", "rules.yaml"],
        None,
    );
    r.expect_code(0);
    assert!(
        r.elapsed < Duration::from_secs(30),
        "coverage took {:?}",
        r.elapsed
    );
    assert_eq!(r.stdout.lines().count(), 2001);
    assert!(
        r.stdout.lines().skip(1).all(|l| l.ends_with(" -")),
        "nothing can be muted"
    );
}

/// Item 12: 20,000 sibling routes (route-shadowed tried every earlier
/// sibling, route-unused and receiver-unreachable too), and 50,000
/// receivers (uniqueness and route references were checked pairwise).
#[test]
fn wide_routing_trees_are_linear() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut am = String::from("route:\n  receiver: default\n  routes:\n");
    for i in 0..20_000 {
        let _ = write!(am, "  - matchers: [team=t{i}]\n    receiver: default\n");
    }
    // One shadowed route at the end: still found through the index.
    am.push_str("  - matchers: [team=t7, severity=critical]\n    receiver: default\n");
    am.push_str("receivers:\n- name: default\n");
    fs::write(d.join("siblings.yaml"), am).unwrap();
    let r = run(d, &["lint", "--format", "json", "siblings.yaml"], None);
    r.expect_code(1);
    assert!(r.elapsed < Duration::from_secs(30), "{:?}", r.elapsed);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let shadowed: Vec<&serde_json::Value> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["name"] == "route-shadowed")
        .collect();
    assert_eq!(shadowed.len(), 1, "{shadowed:?}");
    assert_eq!(shadowed[0]["line"], 20_000 * 2 + 4);
    assert_eq!(shadowed[0]["labels"][0]["line"], 7 * 2 + 4);

    let mut am = String::from("route:\n  receiver: r0\n  routes:\n");
    for i in 1..50 {
        let _ = write!(am, "  - matchers: [team=t{i}]\n    receiver: r{i}\n");
    }
    am.push_str("receivers:\n");
    for i in 0..50_000 {
        let _ = writeln!(am, "- name: r{i}");
    }
    am.push_str("- name: r5\n");
    fs::write(d.join("receivers.yaml"), am).unwrap();
    let r = run(d, &["lint", "--format", "json", "receivers.yaml"], None);
    r.expect_code(1);
    assert!(r.elapsed < Duration::from_secs(30), "{:?}", r.elapsed);
    assert!(
        r.stdout
            .contains("notification config name \\\"r5\\\" is not unique"),
        "{}",
        &r.stdout[..r.stdout.len().min(2000)]
    );
}

const RULES: &str = "groups:\n- name: g\n  rules:\n  - alert: Good\n    expr: up == 0\n    for: 5m\n    labels: {severity: critical}\n";
const AM: &str = "route:\n  receiver: default\nreceivers:\n- name: default\n";

/// Item 15: `routes coverage` dropped rule files that are not YAML (exit
/// 0, their alerts missing) and only warned for non-UTF-8 ones.
#[test]
fn coverage_reports_rule_files_it_cannot_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("am.yaml"), AM).unwrap();
    fs::create_dir(d.join("rules")).unwrap();
    fs::write(d.join("rules/good.yaml"), RULES).unwrap();
    fs::write(
        d.join("rules/broken.yaml"),
        "groups:\n- name: g\n  rules:\n  - alert: Lost\n    expr: [unclosed\n",
    )
    .unwrap();
    fs::write(d.join("rules/latin1.yaml"), b"groups: []\n# caf\xe9\n").unwrap();
    let r = run(
        d,
        &["routes", "coverage", "--config", "am.yaml", "rules"],
        None,
    );
    r.expect_code(2);
    assert!(
        r.stdout.contains("Good"),
        "the other files are still covered: {r:?}"
    );
    assert!(
        r.stderr
            .contains("rules/broken.yaml:6:1: invalid YAML: while parsing a flow sequence"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("rules/latin1.yaml:2: file is not valid UTF-8 (invalid byte 0xE9)"),
        "{}",
        r.stderr
    );
    // Good files alone: exit 0, nothing on stderr.
    let r = run(
        d,
        &[
            "routes",
            "coverage",
            "--config",
            "am.yaml",
            "rules/good.yaml",
        ],
        None,
    );
    r.expect_code(0);
    assert_eq!(r.stderr, "");
}

/// Item 20: `routes --config` with a YAML syntax error said "no
/// Alertmanager config found" without a position.
#[test]
fn routes_config_with_a_yaml_error_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(
        d.join("am.yaml"),
        "route:\n  receiver: default\n  routes: [\nreceivers:\n- name: default\n",
    )
    .unwrap();
    fs::write(d.join("r.yaml"), RULES).unwrap();
    for args in [
        &["routes", "show", "--config", "am.yaml"][..],
        &["routes", "test", "--config", "am.yaml", "a=b"],
        &["routes", "coverage", "--config", "am.yaml", "r.yaml"],
    ] {
        let r = run(d, args, None);
        r.expect_code(2);
        assert!(
            r.stderr.contains("am.yaml:") && r.stderr.contains("invalid YAML"),
            "{args:?}: {}",
            r.stderr
        );
        assert!(
            !r.stderr.contains("no Alertmanager config found"),
            "{}",
            r.stderr
        );
    }
}

fn repo(d: &Path) {
    git(d, &["init", "-q"]);
    fs::write(
        d.join("old.yaml"),
        "groups:\n- name: g\n  rules:\n  - alert: Old\n    expr: up == 0\n",
    )
    .unwrap();
    fs::write(d.join("broken.yaml"), "groups: [\n").unwrap();
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "base"]);
}

/// Item 16: with `--diff-base` (or `--baseline`), an unchanged file with a
/// YAML error, or a missing path, exited 2 but printed `0 errors`.
#[test]
fn diff_base_and_baseline_always_show_input_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    repo(d);
    let r = run(
        d,
        &[
            "lint",
            "--diff-base",
            "HEAD",
            "old.yaml",
            "broken.yaml",
            "missing.yaml",
        ],
        None,
    );
    r.expect_code(2);
    assert!(
        r.stdout.contains("broken.yaml") && r.stdout.contains("invalid YAML"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("missing.yaml") && r.stdout.contains("no such file"),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("\"Old\""),
        "unchanged findings stay hidden: {}",
        r.stdout
    );
    assert!(r.stdout.contains("2 errors"), "{}", r.stdout);

    let w = run(
        d,
        &[
            "lint",
            "--write-baseline",
            "base.json",
            "old.yaml",
            "broken.yaml",
        ],
        None,
    );
    w.expect_code(2);
    let r = run(
        d,
        &["lint", "--baseline", "base.json", "old.yaml", "broken.yaml"],
        None,
    );
    r.expect_code(2);
    assert!(r.stdout.contains("invalid YAML"), "{}", r.stdout);
    assert!(!r.stdout.contains("\"Old\""), "{}", r.stdout);
}

/// Item 16: the value of `--diff-base` reached git as an option
/// (`--diff-base=--output=F` made git write F).
#[test]
fn diff_base_is_never_an_option_to_git() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    repo(d);
    for base in ["--output=pwned.txt", "-p", "HEAD --output=pwned.txt", ""] {
        let arg = format!("--diff-base={base}");
        let r = run(d, &["lint", &arg, "old.yaml"], None);
        r.expect_code(2);
        assert!(r.stderr.contains("--diff-base"), "{base}: {}", r.stderr);
        assert!(!d.join("pwned.txt").exists(), "{base}: git wrote the file");
    }
    let r = run(d, &["lint", "--diff-base", "no-such-ref", "old.yaml"], None);
    r.expect_code(2);
    assert!(r.stderr.contains("unknown revision"), "{}", r.stderr);
    // A valid ref still works: nothing changed, so no finding is shown.
    let r = run(d, &["lint", "--diff-base", "HEAD", "old.yaml"], None);
    r.expect_code(0);
}

/// Item 16: the repository was taken from the working directory, so a rule
/// file inside a git submodule was dropped when run from the superproject.
#[test]
fn diff_base_diffs_each_file_in_its_own_repository() {
    let dir = tempfile::tempdir().unwrap();
    let sub_src = dir.path().join("sub-src");
    let sup = dir.path().join("super");
    fs::create_dir_all(&sub_src).unwrap();
    fs::create_dir_all(&sup).unwrap();
    git(&sub_src, &["init", "-q"]);
    fs::write(sub_src.join("r.yaml"), "groups:\n- name: g\n  rules:\n").unwrap();
    git(&sub_src, &["add", "-A"]);
    git(&sub_src, &["commit", "-q", "-m", "sub"]);
    git(&sup, &["init", "-q"]);
    fs::write(sup.join("top.yaml"), "groups: []\n").unwrap();
    git(&sup, &["add", "-A"]);
    git(&sup, &["commit", "-q", "-m", "super"]);
    git(
        &sup,
        &["submodule", "add", "-q", sub_src.to_str().unwrap(), "sub"],
    );
    git(&sup, &["commit", "-q", "-m", "add sub"]);
    // A new alert in the submodule's file, uncommitted.
    fs::write(
        sup.join("sub/r.yaml"),
        "groups:\n- name: g\n  rules:\n  - alert: InSub\n    expr: up == 0\n",
    )
    .unwrap();
    let r = run(
        &sup,
        &["lint", "--diff-base", "HEAD", "sub/r.yaml", "top.yaml"],
        None,
    );
    r.expect_code(1);
    assert!(r.stdout.contains("\"InSub\""), "{}", r.stdout);
}
