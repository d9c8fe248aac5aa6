//! `.pre-commit-hooks.yaml`, run for real with pre-commit.
//!
//! The hook repository is a committed copy of this checkout (tracked and
//! untracked, not ignored files), so uncommitted changes are what is tested.
//! A sample repository's `.pre-commit-config.yaml` names it at its HEAD, and
//! `pre-commit run HOOK --files ...` runs the hooks as in a user's repository.
//! (That is what `pre-commit try-repo` does too, except that try-repo uses a
//! throwaway store on every call, which here would mean a `cargo install` per
//! call.) pre-commit builds the hooks with `cargo install` (`language:
//! rust`), about a minute for mlalert itself in release mode, once; every hook
//! run below reuses that environment. The copy, pre-commit's home and the cargo target directory are
//! kept under `CARGO_TARGET_TMPDIR` and reused by later runs as long as the
//! files the binary is built from ([`BUILD_INPUTS`]) are unchanged, so only a
//! change to those pays for a new install. A file lock keeps concurrent test
//! processes apart.
//!
//! Skipped when pre-commit is not installed (`.ci/run` installs it with pip).

use std::hash::{DefaultHasher, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use crate::action::{BAD, GOOD, UNIT_TEST};

const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// What the hook's binary is built from: a change under these is a new install.
const BUILD_INPUTS: &[&str] = &[
    "Cargo.toml",
    "Cargo.lock",
    "build.rs",
    "src/",
    "lints/",
    ".pre-commit-hooks.yaml",
];

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

/// The checkout's tracked and untracked, not ignored files that exist on disk.
fn checkout_files() -> Vec<PathBuf> {
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
    let mut files: Vec<PathBuf> = files
        .stdout
        .split(|b| *b == 0)
        .filter(|r| !r.is_empty())
        .map(|r| PathBuf::from(String::from_utf8_lossy(r).into_owned()))
        .filter(|r| Path::new(REPO).join(r).is_file()) // not deleted in the working tree
        .collect();
    files.sort();
    files
}

/// A hash of the [`BUILD_INPUTS`] among `files`.
fn build_key(files: &[PathBuf]) -> String {
    let mut h = DefaultHasher::new();
    for rel in files {
        let name = rel.to_string_lossy();
        if BUILD_INPUTS
            .iter()
            .any(|i| name == *i || (i.ends_with('/') && name.starts_with(i)))
        {
            h.write(name.as_bytes());
            h.write_u8(0);
            h.write(&std::fs::read(Path::new(REPO).join(rel)).expect("read"));
            h.write_u8(0);
        }
    }
    format!("{:016x}", h.finish())
}

/// A git repository holding `files` of this checkout as they are on disk.
fn hook_repo(dest: &Path, files: &[PathBuf]) {
    std::fs::create_dir_all(dest).expect("mkdir");
    for rel in files {
        let (src, to) = (Path::new(REPO).join(rel), dest.join(rel));
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

struct PreCommit {
    cmd: Vec<String>,
    hooks: PathBuf,
    sample: PathBuf,
    home: PathBuf,
}

impl PreCommit {
    /// `pre-commit run HOOK --files FILES` in the sample repository, whose
    /// config names the hook repository at its HEAD.
    fn run(&self, hook: &str, files: &[&str]) -> (bool, String) {
        let _ = std::fs::remove_file(self.home.join("pre-commit.log"));
        let out = Command::new(&self.cmd[0])
            .args(&self.cmd[1..])
            .arg("run")
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
fn hooks_run_with_pre_commit() {
    let Some(cmd) = pre_commit() else {
        println!("skipped: pre-commit not installed");
        return;
    };
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pre-commit-test");
    std::fs::create_dir_all(&base).expect("mkdir");
    let lock = std::fs::File::create(base.join("lock")).expect("lock file");
    lock.lock().expect("lock");

    let tmp = tempfile::tempdir().expect("tempdir");
    let t = PreCommit {
        cmd,
        hooks: base.join("hooks"),
        sample: tmp.path().join("sample"),
        home: base.join("home"),
    };
    let files = checkout_files();
    let key = build_key(&files);
    let key_file = base.join("key");
    let reuse = std::fs::read_to_string(&key_file).is_ok_and(|k| k == key)
        && t.hooks.is_dir()
        && t.home.is_dir();
    if !reuse {
        let _ = std::fs::remove_file(&key_file);
        for d in [&t.hooks, &t.home] {
            if d.exists() {
                std::fs::remove_dir_all(d).expect("remove the previous copy");
            }
        }
        hook_repo(&t.hooks, &files);
        std::fs::write(&key_file, &key).expect("write key");
    }

    std::fs::create_dir_all(t.sample.join("rules")).expect("mkdir");
    std::fs::write(t.sample.join("rules/bad.yaml"), BAD).expect("write");
    std::fs::write(t.sample.join("rules/gpu.yaml"), GOOD).expect("write");
    std::fs::write(t.sample.join("rules/gpu_test.yaml"), UNIT_TEST).expect("write");
    let rev = git(&t.hooks, &["rev-parse", "HEAD"]);
    let rev = String::from_utf8_lossy(&rev.stdout);
    std::fs::write(
        t.sample.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {}\n    hooks:\n      - id: mlalert-lint\n      - id: mlalert-test\n",
            t.hooks.display(),
            rev.trim()
        ),
    )
    .expect("write config");
    git(&t.sample, &["init", "--quiet"]);
    git(&t.sample, &["add", "-A"]);

    // The first run installs the hook environment (cargo install) unless the
    // build inputs are those of the previous run.
    let started = Instant::now();
    let (ok, out) = t.run("mlalert-lint", &["rules/bad.yaml"]);
    println!(
        "pre-commit first run ({}): {:?}",
        if reuse {
            "build inputs unchanged since the last run"
        } else {
            "new copy of the checkout: installs"
        },
        started.elapsed()
    );
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
    let (ok, out) = t.run("mlalert-test", &["rules/gpu_test.yaml"]);
    assert!(ok, "the unit test passes:\n{out}");
    assert!(out.contains("Passed"), "{out}");
}
