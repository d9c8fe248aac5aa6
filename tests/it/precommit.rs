//! `.pre-commit-hooks.yaml`, run for real with pre-commit.
//!
//! The hook repository is a committed copy of this checkout (tracked and
//! untracked, not ignored files), so uncommitted changes are what is tested.
//! A sample repository's `.pre-commit-config.yaml` names it at its HEAD, and
//! `pre-commit run HOOK --files ...` runs the hooks as in a user's repository.
//!
//! The hooks that install the release binary (`language: python`,
//! `pyproject.toml` and `python/mlalert_build.py`) download it from a server
//! on 127.0.0.1 in the test (`MLALERT_RELEASE_BASE_URL`), which serves the
//! binary `cargo test` built, packed as the release packs it, and a
//! `SHA256SUMS` file; a `cargo` stub first on `PATH` fails the test if the
//! install compiles anything. Each of these tests installs afresh, in its own
//! pre-commit home.
//!
//! The `*-rust` hooks: pre-commit builds them with `cargo install`
//! (`language: rust`), about a minute for mlalert itself in release mode,
//! once; every hook run reuses that environment. (`pre-commit try-repo` would
//! use a throwaway store on every call, which here would mean a `cargo
//! install` per call.) The copy, pre-commit's home and the cargo target
//! directory are kept under `CARGO_TARGET_TMPDIR` and reused by later runs as
//! long as the files the binary is built from ([`BUILD_INPUTS`]) are
//! unchanged, so only a change to those pays for a new install. A file lock
//! keeps concurrent test processes apart.
//!
//! Skipped when pre-commit is not installed (`.ci/run` installs it with pip).

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hasher};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
    /// Extra environment of every run.
    env: Vec<(String, String)>,
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
            .envs(self.env.iter().map(|(k, v)| (k, v)))
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
fn rust_hooks_run_with_pre_commit() {
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
        env: Vec::new(),
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
            "repos:\n  - repo: {}\n    rev: {}\n    hooks:\n      - id: mlalert-lint-rust\n      - id: mlalert-test-rust\n",
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
    let (ok, out) = t.run("mlalert-lint-rust", &["rules/bad.yaml"]);
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

    let (ok, out) = t.run("mlalert-lint-rust", &["rules/gpu.yaml"]);
    assert!(ok, "a good rule must pass the hook:\n{out}");
    assert!(out.contains("Passed"), "{out}");

    // mlalert-test selects test files only.
    let (ok, out) = t.run("mlalert-test-rust", &["rules/gpu.yaml"]);
    assert!(ok && out.contains("(no files to check)Skipped"), "{out}");
    let (ok, out) = t.run("mlalert-test-rust", &["rules/gpu_test.yaml"]);
    assert!(ok, "the unit test passes:\n{out}");
    assert!(out.contains("Passed"), "{out}");
}

/// `version` of `[project]` in pyproject.toml.
fn python_package_version() -> String {
    let text = std::fs::read_to_string(Path::new(REPO).join("pyproject.toml")).expect("read");
    let project = text
        .split("\n[")
        .find(|s| s.starts_with("project]"))
        .expect("a [project] table");
    let line = project
        .lines()
        .find(|l| l.starts_with("version"))
        .expect("[project] has a version");
    let value = line.split_once('=').expect("version = ...").1.trim();
    value.trim_matches('"').to_string()
}

/// The binary hooks install the release of pyproject.toml's version: it must
/// be the crate's, or a tag would install another release's binary.
#[test]
fn python_package_version_is_the_crate_version() {
    assert_eq!(
        python_package_version(),
        env!("CARGO_PKG_VERSION"),
        "pyproject.toml's [project] version must be Cargo.toml's"
    );
}

/// The asset names the build backend downloads are those the release workflow uploads.
#[test]
fn build_backend_asset_urls() {
    let script = "\
import mlalert_build as b
for s, m in [('Linux', 'x86_64'), ('Linux', 'aarch64'), ('Darwin', 'x86_64'), ('Darwin', 'arm64'), ('Windows', 'AMD64')]:
    print(b.release_url('1.2.3', b.asset_name('1.2.3', b.target(s, m)), None))
try:
    b.target('FreeBSD', 'amd64')
except b.InstallError as e:
    print('error:', e)
";
    let Ok(out) = Command::new("python3")
        .arg("-c")
        .arg(script)
        .current_dir(Path::new(REPO).join("python"))
        .env_remove("MLALERT_RELEASE_BASE_URL")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
    else {
        println!("skipped: python3 not installed");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let base = "https://github.com/mlalert/mlalert/releases/download/v1.2.3/mlalert-v1.2.3-";
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[..5],
        [
            format!("{base}x86_64-unknown-linux-musl.tar.gz"),
            format!("{base}aarch64-unknown-linux-musl.tar.gz"),
            format!("{base}x86_64-apple-darwin.tar.gz"),
            format!("{base}aarch64-apple-darwin.tar.gz"),
            format!("{base}x86_64-pc-windows-msvc.zip"),
        ]
    );
    assert!(
        lines[5].starts_with("error: no mlalert release binary for this platform (freebsd amd64)")
            && text.contains("mlalert-lint-rust"),
        "{text}"
    );
}

/// A release server on 127.0.0.1: serves `files` by URL path, 404 otherwise,
/// one connection at a time, until dropped.
struct ReleaseServer {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ReleaseServer {
    fn start(files: HashMap<String, Vec<u8>>) -> ReleaseServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (log, stopped) = (requests.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let _ = serve(stream, &files, &log);
                }
            }
        });
        ReleaseServer {
            addr,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// The base URL (`MLALERT_RELEASE_BASE_URL`).
    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("lock").clone()
    }
}

impl Drop for ReleaseServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr); // wakes the accept loop
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Answers one HTTP/1.x GET request.
fn serve(
    stream: TcpStream,
    files: &HashMap<String, Vec<u8>>,
    log: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
    }
    let path = request.split_whitespace().nth(1).unwrap_or("").to_string();
    log.lock().expect("lock").push(path.clone());
    let mut stream = stream;
    match files.get(&path) {
        Some(body) => {
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            stream.write_all(body)?;
        }
        None => write!(
            stream,
            "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found"
        )?,
    }
    stream.flush()
}

/// The release target of this machine, as the build backend maps it.
fn this_target() -> &'static str {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => "x86_64-unknown-linux-musl",
        ("linux", "aarch64") => "aarch64-unknown-linux-musl",
        ("macos", "x86_64") => "x86_64-apple-darwin",
        ("macos", "aarch64") => "aarch64-apple-darwin",
        other => panic!("no release target for {other:?}"),
    }
}

/// The SHA-256 of a file, hex, from `sha256sum` (or macOS's `shasum`).
fn sha256_hex(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .or_else(|_| {
            Command::new("shasum")
                .args(["-a", "256"])
                .arg(path)
                .output()
        })
        .expect("sha256sum or shasum");
    assert!(out.status.success(), "sha256sum {}", path.display());
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace().next().expect("a hash").to_string()
}

/// The test binary packed as a release archive: `mlalert` at the root of a
/// tar.gz named as the release names it. Returns (asset name, bytes, SHA-256).
fn release_archive(dir: &Path, version: &str) -> (String, Vec<u8>, String) {
    let name = format!("mlalert-v{version}-{}.tar.gz", this_target());
    let stage = dir.join("stage");
    std::fs::create_dir_all(&stage).expect("mkdir");
    std::fs::copy(env!("CARGO_BIN_EXE_mlalert"), stage.join("mlalert")).expect("copy binary");
    let archive = dir.join(&name);
    let out = Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(&stage)
        .arg("mlalert")
        .output()
        .expect("run tar");
    assert!(
        out.status.success(),
        "tar: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sha = sha256_hex(&archive);
    (name, std::fs::read(&archive).expect("read archive"), sha)
}

/// A directory with `cargo`, `rustc` and `rustup` stubs that record their
/// calls in `calls.log` and fail: first on PATH, it shows any compile. A
/// version query answers (pip asks `rustc --version` for its user agent).
fn no_cargo_path(dir: &Path) -> (String, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("no-cargo");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let log = bin.join("calls.log");
    for tool in ["cargo", "rustc", "rustup"] {
        let stub = bin.join(tool);
        std::fs::write(
            &stub,
            format!(
                "#!/bin/sh\ncase \"$1\" in --version|-V|-vV) echo '{tool} 0.0.0 (stub)'; exit 0;; esac\necho \"{tool} $*\" >> '{}'\necho '{tool} must not run: the binary hooks do not compile' >&2\nexit 101\n",
                log.display()
            ),
        )
        .expect("write stub");
        std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let path = std::env::join_paths(std::iter::once(bin.clone()).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .expect("PATH");
    (path.to_string_lossy().into_owned(), log)
}

/// A sample repository at `dir` with `files`, whose config names the hook
/// repository at its HEAD with `hooks`.
fn sample_repo(dir: &Path, hooks_repo: &Path, hooks: &[&str], files: &[(&str, &str)]) {
    for (rel, text) in files {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    let rev = git(hooks_repo, &["rev-parse", "HEAD"]);
    let ids: String = hooks.iter().map(|h| format!("      - id: {h}\n")).collect();
    std::fs::write(
        dir.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {}\n    hooks:\n{ids}",
            hooks_repo.display(),
            String::from_utf8_lossy(&rev.stdout).trim()
        ),
    )
    .expect("write config");
    git(dir, &["init", "--quiet"]);
    git(dir, &["add", "-A"]);
}

/// Routes that partition alerts by `team`: a rule without `team` (such as
/// [`GOOD`]) reaches only the default receiver (ML401, a project lint that
/// needs both files).
const ALERTMANAGER: &str = "\
route:
  receiver: default
  routes:
    - matchers: ['team=\"ml\"']
      receiver: ml-pager
    - matchers: ['team=\"infra\"']
      receiver: infra-pager
receivers:
  - name: default
  - name: ml-pager
    pagerduty_configs:
      - routing_key_file: /etc/alertmanager/ml.key
  - name: infra-pager
    pagerduty_configs:
      - routing_key_file: /etc/alertmanager/infra.key
";

/// A pre-commit run of the binary hooks: a fresh hook repository copy and
/// pre-commit home under `tmp`, the release server's URL and no cargo.
fn binary_pre_commit(cmd: Vec<String>, tmp: &Path, server: &ReleaseServer) -> (PreCommit, PathBuf) {
    let hooks = tmp.join("hooks");
    hook_repo(&hooks, &checkout_files());
    let (path, cargo_log) = no_cargo_path(tmp);
    let t = PreCommit {
        cmd,
        hooks,
        sample: tmp.join("sample"),
        home: tmp.join("home"),
        env: vec![
            ("MLALERT_RELEASE_BASE_URL".into(), server.url()),
            ("PATH".into(), path),
            ("NO_PROXY".into(), "127.0.0.1,localhost".into()),
            ("no_proxy".into(), "127.0.0.1,localhost".into()),
        ],
    };
    (t, cargo_log)
}

#[test]
fn binary_hooks_install_the_release_without_compiling() {
    let Some(cmd) = pre_commit() else {
        println!("skipped: pre-commit not installed");
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let version = env!("CARGO_PKG_VERSION");
    let (asset, archive, sha) = release_archive(tmp.path(), version);
    let files = HashMap::from([
        (format!("/v{version}/{asset}"), archive),
        (
            format!("/v{version}/SHA256SUMS"),
            format!(
                "{}  mlalert-v{version}-x86_64-pc-windows-msvc.zip\n{sha}  {asset}\n",
                "0".repeat(64)
            )
            .into_bytes(),
        ),
    ]);
    let server = ReleaseServer::start(files);
    let (t, cargo_log) = binary_pre_commit(cmd, tmp.path(), &server);
    sample_repo(
        &t.sample,
        &t.hooks,
        &["mlalert-lint", "mlalert-lint-project", "mlalert-test"],
        &[("rules/bad.yaml", BAD), ("rules/gpu_test.yaml", UNIT_TEST)],
    );

    // The first run installs the hook environment: download, check, install.
    let started = Instant::now();
    let (ok, out) = t.run("mlalert-lint", &["rules/bad.yaml"]);
    println!(
        "pre-commit first run of mlalert-lint (binary: install + run): {:?}",
        started.elapsed()
    );
    assert!(!ok, "a bad rule must fail the hook:\n{out}");
    assert!(
        out.contains("mlalert lint") && out.contains("Failed"),
        "{out}"
    );
    assert!(out.contains("ML201"), "{out}");
    assert_eq!(
        server.requests(),
        [
            format!("/v{version}/SHA256SUMS"),
            format!("/v{version}/{asset}")
        ],
        "the install downloads the checksums and the archive, once"
    );
    assert!(
        !cargo_log.exists(),
        "the install ran cargo: {}",
        std::fs::read_to_string(&cargo_log).unwrap_or_default()
    );

    // The project hook routes a commit that touches only a rule file through
    // the Alertmanager config; the file-list hook sees only the rule file.
    std::fs::write(t.sample.join("rules/bad.yaml"), GOOD).expect("write");
    std::fs::write(t.sample.join("alertmanager.yml"), ALERTMANAGER).expect("write");
    git(&t.sample, &["add", "-A"]);
    let (ok, out) = t.run("mlalert-lint", &["rules/bad.yaml"]);
    assert!(
        ok && out.contains("Passed") && !out.contains("ML401"),
        "{out}"
    );
    let (ok, out) = t.run("mlalert-lint-project", &["rules/bad.yaml"]);
    assert!(!ok, "the unrouted alert fails the project hook:\n{out}");
    assert!(
        out.contains("mlalert lint (project)") && out.contains("Failed"),
        "{out}"
    );
    assert!(
        out.contains("ML401") && out.contains("alertmanager.yml"),
        "{out}"
    );
    // ... and runs only when a YAML file changes.
    std::fs::write(t.sample.join("notes.txt"), "not YAML\n").expect("write");
    git(&t.sample, &["add", "-A"]);
    let (ok, out) = t.run("mlalert-lint-project", &["notes.txt"]);
    assert!(ok && out.contains("(no files to check)Skipped"), "{out}");
    // The file-list hook runs the routing lints when both files are staged.
    let (ok, out) = t.run("mlalert-lint", &["rules/bad.yaml", "alertmanager.yml"]);
    assert!(!ok && out.contains("ML401"), "{out}");

    // mlalert-test runs with the same binary.
    std::fs::write(t.sample.join("rules/gpu.yaml"), GOOD).expect("write");
    git(&t.sample, &["add", "-A"]);
    let (ok, out) = t.run("mlalert-test", &["rules/gpu_test.yaml"]);
    assert!(ok && out.contains("Passed"), "the unit test passes:\n{out}");

    assert_eq!(server.requests().len(), 2, "one install for all the hooks");
    assert!(!cargo_log.exists(), "cargo ran");
}

#[test]
fn binary_hook_install_fails_without_a_verified_release() {
    let Some(cmd) = pre_commit() else {
        println!("skipped: pre-commit not installed");
        return;
    };
    let version = env!("CARGO_PKG_VERSION");
    let asset = format!("mlalert-v{version}-{}.tar.gz", this_target());

    // A download that is not the file SHA256SUMS lists: the install fails.
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = ReleaseServer::start(HashMap::from([
        (
            format!("/v{version}/{asset}"),
            b"not the released archive".to_vec(),
        ),
        (
            format!("/v{version}/SHA256SUMS"),
            format!("{}  {asset}\n", "ab".repeat(32)).into_bytes(),
        ),
    ]));
    let (t, cargo_log) = binary_pre_commit(cmd.clone(), tmp.path(), &server);
    sample_repo(
        &t.sample,
        &t.hooks,
        &["mlalert-lint"],
        &[("rules/bad.yaml", BAD)],
    );
    let (ok, out) = t.run("mlalert-lint", &["rules/bad.yaml"]);
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!(
            "mlalert: checksum mismatch for {}/v{version}/{asset}",
            server.url()
        )) && out.contains(&format!("SHA256SUMS says {}", "ab".repeat(32)))
            && out.contains("nothing was installed"),
        "{out}"
    );
    assert!(!out.contains("ML201"), "the hook must not run:\n{out}");
    assert!(!cargo_log.exists(), "cargo ran");
    drop(server);

    // No release of this version: the install fails and names the rust hooks.
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = ReleaseServer::start(HashMap::new());
    let (t, cargo_log) = binary_pre_commit(cmd, tmp.path(), &server);
    sample_repo(
        &t.sample,
        &t.hooks,
        &["mlalert-lint"],
        &[("rules/bad.yaml", BAD)],
    );
    let (ok, out) = t.run("mlalert-lint", &["rules/bad.yaml"]);
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!(
            "mlalert: no mlalert release v{version} at {}/v{version}/SHA256SUMS (HTTP 404)",
            server.url()
        )) && out.contains("mlalert-lint-rust"),
        "{out}"
    );
    assert!(!out.contains("ML201"), "the hook must not run:\n{out}");
    assert!(!cargo_log.exists(), "cargo ran");
}
