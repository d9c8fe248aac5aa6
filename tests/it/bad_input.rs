//! Bad input: each gives a clear error naming the file, exit 2, no panic,
//! and the other files are still reported.

use std::fs;
use std::path::Path;

use crate::{diags, lint_json};

/// A good file with one known finding, to prove the others are still checked.
fn write_good(dir: &Path) {
    fs::write(
        dir.join("good.yaml"),
        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    for: 5m\n",
    )
    .unwrap();
}

fn check(name: &str, setup: impl FnOnce(&Path) -> String, expect_code: &str, expect_msg: &str) {
    let dir = tempfile::tempdir().unwrap();
    write_good(dir.path());
    let bad = setup(dir.path());
    let (code, json) = lint_json(&[dir.path().to_str().unwrap(), &bad]);
    assert_eq!(code, 2, "{name}: {json}");
    let d = diags(&json);
    let bad_diag = d
        .iter()
        .find(|x| x["path"].as_str() == Some(bad.as_str()))
        .unwrap_or_else(|| panic!("{name}: no diagnostic names {bad}: {json}"));
    assert_eq!(bad_diag["code"], expect_code, "{name}: {json}");
    let msg = bad_diag["message"].as_str().unwrap();
    assert!(
        msg.contains(expect_msg),
        "{name}: {msg:?} lacks {expect_msg:?}"
    );
    assert!(
        d.iter().any(
            |x| x["path"].as_str().is_some_and(|p| p.ends_with("good.yaml"))
                && x["code"] == "ML102"
        ),
        "{name}: the good file was not reported: {json}"
    );
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().unwrap().to_string()
}

#[test]
fn invalid_yaml() {
    check(
        "invalid yaml",
        |d| {
            let p = path(d, "x.yml");
            fs::write(&p, "groups:\n- name: g\n  rules: [\n").unwrap();
            p
        },
        "ML901",
        "invalid YAML",
    );
}

#[test]
fn binary_file() {
    check(
        "binary",
        |d| {
            let p = path(d, "bin.yaml");
            fs::write(&p, b"\x7fELF\x02\x01\x01\x00\x00\x00groups").unwrap();
            p
        },
        "ML906",
        "binary file",
    );
}

#[test]
fn non_utf8() {
    check(
        "non-utf8",
        |d| {
            let p = path(d, "latin1.yaml");
            fs::write(&p, b"groups:\n- name: caf\xe9\n").unwrap();
            p
        },
        "ML906",
        "not valid UTF-8",
    );
}

#[test]
fn directory_named_like_yaml() {
    check(
        "dir",
        |d| {
            let p = path(d, "dir.yaml");
            fs::create_dir(&p).unwrap();
            p
        },
        "ML906",
        "is a directory",
    );
}

#[test]
fn unreadable_file() {
    // Root reads any file whatever its mode: a dangling symlink is unreadable
    // for everyone. The directory walk finds it first and says what it is.
    check(
        "unreadable",
        |d| {
            let p = path(d, "gone.yaml");
            std::os::unix::fs::symlink(d.join("does-not-exist"), &p).unwrap();
            p
        },
        "ML906",
        "broken symbolic link",
    );
}

#[test]
fn missing_path() {
    check(
        "missing",
        |d| path(d, "nope/rules.yaml"),
        "ML906",
        "no such file",
    );
}

#[test]
fn alias_bomb() {
    check(
        "alias bomb",
        |d| {
            let p = path(d, "bomb.yaml");
            let mut t = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
            for i in 1..15 {
                let q = i - 1;
                t.push_str(&format!("a{i}: &a{i} [*a{q}, *a{q}, *a{q}, *a{q}, *a{q}, *a{q}, *a{q}, *a{q}, *a{q}, *a{q}]\n"));
            }
            fs::write(&p, t).unwrap();
            p
        },
        "ML901",
        "nodes",
    );
}

#[test]
fn deep_nesting() {
    check(
        "deep",
        |d| {
            let p = path(d, "deep.yaml");
            fs::write(
                &p,
                format!("groups: {}{}\n", "[".repeat(10_000), "]".repeat(10_000)),
            )
            .unwrap();
            p
        },
        "ML901",
        "nesting",
    );
}

#[test]
fn huge_file() {
    check(
        "50MB",
        |d| {
            let p = path(d, "huge.yaml");
            let line = "# padding padding padding padding padding padding padding padding padding padding\n";
            fs::write(&p, line.repeat(50 * 1024 * 1024 / line.len() + 1)).unwrap();
            p
        },
        "ML906",
        "MiB limit",
    );
}

#[test]
fn parser_panics_are_quiet_errors() {
    // An overflowing duration (which panicked the old parser) is a syntax
    // error with Prometheus' message, and no panic message is printed.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("r.yaml");
    fs::write(
        &f,
        "groups:\n- name: g\n  rules:\n  - record: a:b:c\n    expr: x[1e100]\n",
    )
    .unwrap();
    let out = crate::mlalert()
        .args(["lint", "--format", "json", f.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(diags(&json).iter().any(|d| d["code"] == "ML902"), "{json}");
}
