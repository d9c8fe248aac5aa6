//! `mlalert backtest` without a Prometheus: bad flags, input and git
//! errors are exit 2 with a message naming what is wrong. (The numbers
//! are checked against a real Prometheus in `live::backtest`.)

use crate::mlalert;

const RULES: &str = "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n";

fn run(dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let out = mlalert()
        .current_dir(dir)
        .args(["backtest", "--prometheus", "http://127.0.0.1:1"])
        .args(args)
        .output()
        .expect("run");
    assert!(out.stdout.is_empty() || out.status.code() == Some(2));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_flags_and_inputs_are_exit_2_with_a_message() {
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::write(d.path().join("r.yaml"), RULES).expect("write");
    std::fs::write(
        d.path().join("bad.yaml"),
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up ==\n",
    )
    .expect("write");
    let (code, err) = run(d.path(), &["--range", "7x", "r.yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("--range \"7x\""), "{err}");
    let (code, err) = run(d.path(), &["--max-points", "20000", "r.yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("--max-points"), "{err}");
    let (code, err) = run(d.path(), &["bad.yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("bad.yaml:5:"), "{err}");
    let (code, err) = run(d.path(), &["--compare", "HEAD", "r.yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("is not in a git repository"), "{err}");
    let (code, err) = run(d.path(), &["--compare=--output=x", "r.yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot start with `-`"), "{err}");
}

#[test]
fn an_unreachable_server_fails_each_rule_and_still_prints_the_table() {
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::write(d.path().join("r.yaml"), RULES).expect("write");
    let out = mlalert()
        .current_dir(d.path())
        .args([
            "backtest",
            "--prometheus",
            "http://127.0.0.1:1",
            "--range",
            "1h",
            "r.yaml",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("1 rule replayed"), "{stdout}");
    assert!(stdout.contains("A (incomplete)"), "{stdout}");
    assert!(
        stderr.contains("r.yaml:4: alert \"A\": query_range from"),
        "{stderr}"
    );
    assert!(stderr.contains("127.0.0.1:1"), "{stderr}");
}
