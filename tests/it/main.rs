//! Integration tests: one binary (ARCHITECTURE.md "Layout").

mod action;
mod adoption;
mod alertmanager_conformance;
mod backtest_cli;
mod bad_input;
mod cli;
mod corpus_real;
mod docs;
mod fix;
mod formats;
mod hostile;
mod layers;
mod live;
mod loading;
mod matchers_conformance;
mod precommit;
mod promql_differential;
mod promql_errors;
mod promqltest;
mod promtool_unittest;
mod release;
mod routes_cli;
mod routing_conformance;
mod rulefmt_conformance;
mod server;
mod snapshots;
mod unittest_cli;

use std::path::PathBuf;

/// The built `mlalert` binary, run as a user runs it.
pub fn mlalert() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("mlalert").expect("binary built");
    // Human output wraps at `COLUMNS` when set: tests see the default width.
    c.env_remove("NO_COLOR").env_remove("COLUMNS");
    c
}

/// Runs git in `dir` with a throwaway identity (and local-file submodules
/// allowed); panics with git's stderr when it fails.
pub fn git(dir: &std::path::Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "protocol.file.allow=always",
        ])
        .args(args)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `$MLALERT_CORPUS`, or `None` (and a "skipped" line) when unset.
/// Panics when it is set but `sub` is missing: conformance must not pass on no data.
pub fn corpus(sub: &str) -> Option<PathBuf> {
    match std::env::var_os("MLALERT_CORPUS") {
        None => {
            println!("skipped: MLALERT_CORPUS not set");
            None
        }
        Some(root) => {
            let p = PathBuf::from(root).join(sub);
            assert!(
                p.exists(),
                "MLALERT_CORPUS is set but {} is missing",
                p.display()
            );
            Some(p)
        }
    }
}

/// Runs `mlalert lint --format json ARGS` and returns (exit code, parsed JSON).
pub fn lint_json(args: &[&str]) -> (i32, serde_json::Value) {
    let out = mlalert()
        .arg("lint")
        .arg("--format")
        .arg("json")
        .args(args)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap_or(-1), json)
}

/// The diagnostics array of a JSON report.
pub fn diags(json: &serde_json::Value) -> &Vec<serde_json::Value> {
    json["diagnostics"].as_array().expect("diagnostics array")
}
