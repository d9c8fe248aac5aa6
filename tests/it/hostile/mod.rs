//! Hostile input (issue 13): every case runs the binary as CI runs it, under
//! a memory limit (`ulimit -v`, address space) and a wall-clock timeout, and
//! asserts the exit code and what was (or was not) printed. Large inputs are
//! generated, never committed.
//!
//! One submodule per area; each case names the item of issue 13 it guards.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

mod engine;
mod input;
mod render;
mod routing;

/// Address-space limit for a hostile run, in MiB. The debug binary with its
/// thread stacks needs well under this for any bounded run; a run that grows
/// with an attacker's input hits it and fails the test.
pub const MEM_LIMIT_MIB: u64 = 2048;

/// Wall-clock limit for a hostile run of the debug binary: a hang guard,
/// generous enough for a loaded 2-core CI machine (bounded runs here take
/// seconds). Speed is measured in `bench/`, never asserted in a test.
pub const TIMEOUT: Duration = Duration::from_secs(180);

/// What one limited run did.
#[derive(Debug)]
pub struct Run {
    /// Exit code; `None` when the process was killed by a signal (a stack
    /// overflow's SIGABRT, the limit's SIGSEGV/SIGKILL) or by the timeout.
    pub code: Option<i32>,
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
    /// Wall-clock time of the run.
    pub elapsed: Duration,
    /// True when the run was killed by [`TIMEOUT`].
    pub timed_out: bool,
}

impl Run {
    /// Panics with the run's output unless it exited with `code`.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert!(
            !self.timed_out,
            "timed out after {:?}\nstderr: {}",
            self.elapsed,
            tail(&self.stderr)
        );
        assert_eq!(
            self.code,
            Some(code),
            "exit code (None: killed by a signal)\nstdout: {}\nstderr: {}",
            tail(&self.stdout),
            tail(&self.stderr)
        );
        assert!(
            !self.stderr.contains("panicked at"),
            "panic: {}",
            tail(&self.stderr)
        );
        self
    }
}

fn tail(s: &str) -> &str {
    let mut start = s.len().saturating_sub(2000);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

/// Runs `mlalert ARGS` in `dir` under [`MEM_LIMIT_MIB`] and [`TIMEOUT`],
/// with `stdin` (empty when `None`).
pub fn run(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Run {
    run_limited(dir, args, stdin, MEM_LIMIT_MIB, TIMEOUT)
}

/// [`run`] with explicit limits (`mem_mib` of address space, `timeout` wall clock).
pub fn run_limited(
    dir: &Path,
    args: &[&str],
    stdin: Option<&[u8]>,
    mem_mib: u64,
    timeout: Duration,
) -> Run {
    let bin = assert_cmd::cargo::cargo_bin("mlalert");
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg(format!("ulimit -v {}; exec \"$0\" \"$@\"", mem_mib * 1024))
        .arg(bin)
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().expect("spawn mlalert");
    if let Some(input) = stdin {
        let mut w = child.stdin.take().expect("stdin");
        let input = input.to_vec();
        std::thread::spawn(move || {
            use std::io::Write;
            let _ = w.write_all(&input);
        });
    }
    let mut out_pipe = child.stdout.take().expect("stdout");
    let mut err_pipe = child.stderr.take().expect("stderr");
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut out_pipe, &mut v);
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut err_pipe, &mut v);
        v
    });
    let mut timed_out = false;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > timeout {
            timed_out = true;
            let _ = child.kill();
            break child.wait().expect("wait after kill");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = start.elapsed();
    Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&out_t.join().unwrap_or_default()).into_owned(),
        stderr: String::from_utf8_lossy(&err_t.join().unwrap_or_default()).into_owned(),
        elapsed,
        timed_out,
    }
}

/// The harness itself: a good file runs well inside the limits, and an
/// input that needs more than the limit is killed, not passed.
#[test]
fn harness_limits_are_real() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("r.yaml"),
        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    for: 5m\n",
    )
    .unwrap();
    let r = run(dir.path(), &["lint", "r.yaml"], None);
    r.expect_code(1);
    assert!(r.stdout.contains("ML102"), "{r:?}");
    // 8 MiB of address space cannot even load the binary.
    let r = run_limited(dir.path(), &["lint", "r.yaml"], None, 8, TIMEOUT);
    assert_ne!(r.code, Some(1), "{r:?}");
}
