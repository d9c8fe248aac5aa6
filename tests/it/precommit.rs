//! `.pre-commit-hooks.yaml`, run for real with `pre-commit try-repo`.
//!
//! The hook repository is a committed copy of this checkout (tracked and
//! untracked, not ignored files), so uncommitted changes are what is tested.
//! pre-commit builds it with `cargo install` (`language: rust`) once; every
//! hook run below reuses that environment. The build goes to a target
//! directory under `CARGO_TARGET_TMPDIR`, so dependencies are compiled once per
//! machine; mlalert itself is compiled on every run (about a minute in
//! release mode), which is why there is one install per test run.
//!
//! Skipped when pre-commit is not installed (`.ci/run` installs it with pip).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use crate::action::{BAD, GOOD, UNIT_TEST, has_test_command};

const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// `pre-commit` on PATH, or the module of the `python3` on PATH.
fn pre_commit() -> Option<Vec<String>> {
    [vec!["pre-commit"], vec!["python3", "-m", "pre_commit"]]
        .into_iter()
        .find(|c| {
            Command::new(c[0])
                .args(&c[1..])
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .map(|c| c.into_iter().map(String::from).collect())
}

fn git(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env("GIT_AUTHOR_NAME", "mlalert tests")
        .env("GIT_AUTHOR_EMAIL", "tests@mlalert.invalid")
        .env("GIT_COMMITTER_NAME", "mlalert tests")
        .env("GIT_COMMITTER_EMAIL", "tests@mlalert.invalid")
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A git repository holding this checkout as it is on disk.
fn hook_repo(dest: &Path) {
    let files = git(
        Path::new(REPO),
        &[
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
    );
    std::fs::create_dir_all(dest).expect("mkdir");
    for rel in files.stdout.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        let rel = PathBuf::from(String::from_utf8_lossy(rel).into_owned());
        let src = Path::new(REPO).join(&rel);
        if !src.is_file() {
            continue; // deleted in the working tree
        }
        let to = dest.join(&rel);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(&src, &to).unwrap_or_else(|e| panic!("copy {}: {e}", src.display()));
    }
    git(dest, &["init", "--quiet"]);
    git(dest, &["add", "-A"]);
    git(
        dest,
        &["commit", "--quiet", "--no-verify", "-m", "hooks under test"],
    );
}

struct TryRepo {
    cmd: Vec<String>,
    hooks: PathBuf,
    sample: PathBuf,
    home: PathBuf,
}

impl TryRepo {
    /// `pre-commit try-repo HOOKS HOOK --files FILES` in the sample repository.
    fn run(&self, hook: &str, files: &[&str]) -> (bool, String) {
        let out = Command::new(&self.cmd[0])
            .args(&self.cmd[1..])
            .arg("try-repo")
            .arg(&self.hooks)
            .arg(hook)
            .arg("--files")
            .args(files)
            .current_dir(&self.sample)
            .env("PRE_COMMIT_HOME", &self.home)
            .env("PRE_COMMIT_COLOR", "never")
            .env(
                "CARGO_TARGET_DIR",
                Path::new(env!("CARGO_TARGET_TMPDIR")).join("cargo-install"),
            )
            .env_remove("SKIP")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("NO_COLOR")
            .output()
            .expect("run pre-commit");
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        if let Ok(log) = std::fs::read_to_string(self.home.join("pre-commit.log")) {
            text.push_str("\n--- pre-commit.log\n");
            text.push_str(&log);
        }
        (out.status.success(), text)
    }
}

#[test]
fn hooks_run_with_pre_commit_try_repo() {
    let Some(cmd) = pre_commit() else {
        println!("skipped: pre-commit not installed");
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = TryRepo {
        cmd,
        hooks: tmp.path().join("hooks"),
        sample: tmp.path().join("sample"),
        home: tmp.path().join("pre-commit-home"),
    };
    hook_repo(&t.hooks);

    std::fs::create_dir_all(t.sample.join("rules")).expect("mkdir");
    std::fs::write(t.sample.join("rules/bad.yaml"), BAD).expect("write");
    std::fs::write(t.sample.join("rules/gpu.yaml"), GOOD).expect("write");
    std::fs::write(t.sample.join("rules/gpu_test.yaml"), UNIT_TEST).expect("write");
    git(&t.sample, &["init", "--quiet"]);
    git(&t.sample, &["add", "-A"]);

    // The first run installs the hook environment (cargo install).
    let started = Instant::now();
    let (ok, out) = t.run("mlalert-lint", &["rules/bad.yaml"]);
    println!("pre-commit install and first run: {:?}", started.elapsed());
    assert!(!ok, "a bad rule must fail the hook:\n{out}");
    assert!(
        out.contains("mlalert lint") && out.contains("Failed"),
        "{out}"
    );
    assert!(out.contains("ML201"), "{out}");

    let (ok, out) = t.run("mlalert-lint", &["rules/gpu.yaml"]);
    assert!(ok, "a good rule must pass the hook:\n{out}");
    assert!(out.contains("Passed"), "{out}");

    // mlalert-test selects test files only.
    let (ok, out) = t.run("mlalert-test", &["rules/gpu.yaml"]);
    assert!(ok && out.contains("(no files to check)Skipped"), "{out}");
    if has_test_command() {
        let (ok, out) = t.run("mlalert-test", &["rules/gpu_test.yaml"]);
        assert!(ok, "the unit test passes:\n{out}");
        assert!(out.contains("Passed"), "{out}");
    } else {
        println!("skipped: mlalert-test on a test file (`mlalert test` is not part of this build)");
    }
}
