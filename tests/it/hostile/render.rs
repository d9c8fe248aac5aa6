//! Hostile input, render cases (issue 13): the human report on findings
//! past column 65535, very long lines, many findings, CR-only line ends,
//! secrets in the config, control characters in the input; `config init`
//! and a dangling symlink.

use std::fmt::Write as _;

use base64::Engine as _;

use super::run;

/// A one-line flow-style rule file with `n` alerts, each with findings.
fn flow_rules(n: usize) -> String {
    let rules: Vec<String> = (0..n)
        .map(|i| format!("{{alert: Alert{i}, expr: up == 0}}"))
        .collect();
    format!("{{groups: [{{name: g, rules: [{}]}}]}}\n", rules.join(", "))
}

/// Item 1: a finding past column 65535 made miette panic (exit 101, all
/// output lost); other files' findings must still print.
#[test]
fn findings_past_column_65535_render_and_other_files_still_print() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flow.yaml"), flow_rules(2600)).unwrap();
    std::fs::write(
        dir.path().join("other.yaml"),
        "groups:\n- name: g\n  rules:\n  - alert: B\n    expr: up == 0\n",
    )
    .unwrap();
    let r = run(
        dir.path(),
        &["lint", "--color", "never", "flow.yaml", "other.yaml"],
        None,
    );
    r.expect_code(1);
    let last = flow_rules(2600).find("Alert2599").unwrap() + 1;
    let header = format!("flow.yaml:1:{last}: warning ML101[missing-for]");
    assert!(r.stdout.contains(&header), "{header} missing");
    // Its snippet is there: the last one, shared with the findings just
    // before it on the line (at most 160 bytes apart).
    let at = r.stdout.rfind("[flow.yaml:1:").expect("a snippet");
    let column: usize = r.stdout[at + 13..]
        .split(']')
        .next()
        .and_then(|c| c.parse().ok())
        .expect("a column");
    assert!(column <= last && last - column <= 160, "{column} vs {last}");
    assert!(
        r.stdout
            .contains("other.yaml:4:12: warning ML101[missing-for]")
    );
    assert!(r.stdout.contains("2 files: 0 errors"));
}

/// Item 8: output grew with line length × findings (a 30 KB one-line
/// file gave 240 MB). Every snippet line is bounded now.
#[test]
fn snippet_lines_are_bounded_on_a_long_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = flow_rules(1000);
    assert!(text.len() > 30_000);
    std::fs::write(dir.path().join("one.yaml"), &text).unwrap();
    let r = run(dir.path(), &["lint", "--color", "never", "one.yaml"], None);
    r.expect_code(1);
    let findings = r.stdout.matches(": warning ").count();
    assert!(findings >= 4000, "{findings} findings");
    let widest = r.stdout.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(widest <= 200, "a line of {widest} characters");
    // About 1 KB per finding, not the 30 KB line each time.
    assert!(r.stdout.len() < findings * 1500, "{} bytes", r.stdout.len());
}

/// Item 11: human rendering cloned and scanned the whole file per finding
/// (8,000 alerts × 4 findings took 18.7 s in release; JSON 0.12 s).
#[test]
fn many_findings_render_in_time_linear_in_findings() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("groups:\n- name: g\n  rules:\n");
    for i in 0..8000 {
        let _ = write!(text, "  - alert: alert_{i}\n    expr: rate(x[1m]) > 0.5\n");
    }
    std::fs::write(dir.path().join("many.yaml"), &text).unwrap();
    let r = run(dir.path(), &["lint", "--color", "never", "many.yaml"], None);
    r.expect_code(1);
    let findings = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("many.yaml:"))
        .count();
    assert!(findings >= 32_000, "{findings} findings");
    // `expect_code` fails the run if it hit the harness timeout (the
    // quadratic renderer needed minutes here in the debug binary); speed
    // itself is measured in bench/, not asserted here.
    assert!(r.stdout.contains("many.yaml:16000:12:"));
}

/// Item 21: CR-only line ends and a non-ASCII character put the snippet on
/// the wrong line; the header and the snippet agree with the finding.
#[test]
fn cr_only_line_ends_keep_positions() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cr.yaml"),
        "# é\rgroups:\r- name: g\r  rules:\r  - alert: A\r    expr: up == 0\r",
    )
    .unwrap();
    let r = run(dir.path(), &["lint", "--color", "never", "cr.yaml"], None);
    r.expect_code(1);
    assert!(
        r.stdout
            .contains("cr.yaml:5:12: warning ML101[missing-for]")
    );
    assert!(r.stdout.contains("[cr.yaml:5:12]"));
    assert!(r.stdout.contains(" 5 │   - alert: A\n"), "{}", r.stdout);
    let j = run(dir.path(), &["lint", "--format", "json", "cr.yaml"], None);
    assert!(j.stdout.contains("\"line\": 5,\n      \"column\": 12,"));
}

/// Secrets of an Alertmanager config: one of each kind Alertmanager masks.
fn am_with_secrets() -> String {
    let mut am = String::from(
        "global:\n  smtp_auth_password: SECRETSMTPPASSWORD\nroute:\n  receiver: r0\n  group_wait: 0s\nreceivers:\n",
    );
    for i in 0..5 {
        let _ = write!(
            am,
            "- name: r{i}\n  slack_configs:\n  - api_url: https://hooks.slack.com/services/T0/B0/SECRETSLACK{i}\n    http_config:\n      bearer_token: SECRETBEARER{i}\n      basic_auth: {{username: u, password: SECRETPASSWORD{i}}}\n  pagerduty_configs:\n  - routing_key: SECRETROUTING{i}\n"
        );
    }
    am
}

/// Item 23: snippets echoed inline secrets (28 of 30), and a Secret's base64
/// `data` once per finding, into CI logs. No format shows them.
#[test]
fn no_format_prints_a_secret_value() {
    let dir = tempfile::tempdir().unwrap();
    let am = am_with_secrets();
    std::fs::write(dir.path().join("am.yml"), &am).unwrap();
    let encoded = base64::engine::general_purpose::STANDARD.encode(&am);
    std::fs::write(
        dir.path().join("secret.yaml"),
        format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: am\ndata:\n  alertmanager.yaml: {encoded}\n"),
    )
    .unwrap();
    for format in ["human", "json", "sarif", "github", "gitlab"] {
        let r = run(
            dir.path(),
            &[
                "lint",
                "--color",
                "never",
                "--format",
                format,
                "am.yml",
                "secret.yaml",
            ],
            None,
        );
        r.expect_code(1);
        assert!(
            r.stdout.contains("group_wait") || r.stdout.contains("group-wait"),
            "{format}"
        );
        assert!(!r.stdout.contains("SECRET"), "{format}: {}", r.stdout);
        assert!(
            !r.stdout.contains(&encoded[..40]),
            "{format}: base64 data shown"
        );
    }
    let r = run(
        dir.path(),
        &["lint", "--color", "never", "am.yml", "secret.yaml"],
        None,
    );
    assert!(
        r.stdout.contains("smtp_auth_password: <secret>"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("alertmanager.yaml: <secret>"),
        "{}",
        r.stdout
    );
}

/// Item 24: a URL error quoted everything before the first `:` as the
/// scheme: a token pasted as `api_url` was printed in every format.
#[test]
fn url_errors_never_quote_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("am.yml"),
        "route:\n  receiver: s\nreceivers:\n- name: s\n  slack_configs:\n  - api_url: \"xoxb-1234567890-SECRETTOKEN:x\"\n    channel: \"#a\"\n",
    )
    .unwrap();
    for format in ["human", "json", "sarif", "github", "gitlab"] {
        let r = run(
            dir.path(),
            &["lint", "--color", "never", "--format", format, "am.yml"],
            None,
        );
        r.expect_code(1);
        assert!(
            r.stdout.contains("unsupported scheme for URL"),
            "{format}: {}",
            r.stdout
        );
        assert!(
            !r.stdout.to_lowercase().contains("secrettoken"),
            "{format}: {}",
            r.stdout
        );
    }
}

/// Item 25: raw ESC bytes from a YAML comment reached the terminal through
/// snippets, even with `--color never`.
#[test]
fn control_characters_from_the_input_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("esc.yaml"),
        "groups:\n- name: \"g\\e[2J\"\n  rules:\n  - alert: A # \x1b[31mRED\x1b]0;title\x07 \u{202e}\n    expr: up == 0\n",
    )
    .unwrap();
    for format in ["human", "github", "gitlab"] {
        let r = run(
            dir.path(),
            &["lint", "--color", "never", "--format", format, "esc.yaml"],
            None,
        );
        r.expect_code(1);
        let bad = r
            .stdout
            .chars()
            .find(|&c| (c.is_control() && c != '\n') || c == '\u{202e}');
        assert_eq!(bad, None, "{format}: {:?}", r.stdout);
    }
    let r = run(dir.path(), &["lint", "--color", "never", "esc.yaml"], None);
    assert!(
        r.stdout.contains("# ␛[31mRED␛]0;title␇ \\u{202e}"),
        "{}",
        r.stdout
    );
}

/// Item 25: `config init` without `--force` wrote through a dangling
/// `.mlalert.yaml` symlink (creating its target).
#[cfg(unix)]
#[test]
fn config_init_does_not_write_through_a_dangling_symlink() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("elsewhere.yaml");
    std::os::unix::fs::symlink(&target, dir.path().join(".mlalert.yaml")).unwrap();
    let r = run(dir.path(), &["config", "init"], None);
    r.expect_code(2);
    assert!(r.stderr.contains("already exists"), "{}", r.stderr);
    assert!(!target.exists());
    // Without a file, init writes one.
    std::fs::remove_file(dir.path().join(".mlalert.yaml")).unwrap();
    run(dir.path(), &["config", "init"], None).expect_code(0);
    assert!(dir.path().join(".mlalert.yaml").is_file());
}
