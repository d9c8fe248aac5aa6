//! `action.yml`, run the way GitHub runs a composite action.
//!
//! The action is parsed with mlalert's own YAML tree. Each `run:` step is
//! executed with bash as `shell: bash` does (`bash --noprofile --norc -eo
//! pipefail`), in a temporary workspace, with `GITHUB_ACTION_PATH` set to this
//! checkout, `${{ inputs.* }}`, `${{ github.* }}`, `${{ runner.* }}` and
//! `${{ steps.*.outputs.* }}` expanded as Actions does (defaults applied),
//! per-step `GITHUB_OUTPUT`/`GITHUB_PATH`/`GITHUB_ENV` files, step `if:`
//! conditions, and a composite action's stop-on-first-failure. `uses:` steps
//! (actions/cache) are not run: every run starts from an empty tool cache,
//! which is a cache miss.
//!
//! Release downloads go to a local HTTP server ([`Server`], 127.0.0.1): by
//! default one that answers 404 to everything (no release: the build from
//! source), or one serving an archive packed by scripts/release-build.sh from
//! the test binary, with its SHA256SUMS.
//!
//! The install step: by default `cargo` is a stub on `PATH` that records its
//! arguments and copies the already-built test binary into `--root`, so these
//! tests take seconds. With `MLALERT_ACTION_REAL_INSTALL=1` (`.ci/run` sets
//! it) the step's real `cargo install --locked --path <checkout>` runs, into a
//! target directory kept under `CARGO_TARGET_TMPDIR` so that later runs reuse
//! the build.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use mlalert::source::TextMap;
use mlalert::yaml::{Node, parse_stream};

const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// An alerting rule with an ML201 error.
pub(crate) const BAD: &str = "\
groups:
  - name: gpu
    rules:
      - alert: GPUMemoryFull
        expr: DCGM_FI_DEV_FB_USED / DCGM_FI_DEV_FB_FREE > 0.95
        for: 5m
        labels: {severity: critical}
        annotations:
          summary: GPU memory is almost full
          runbook_url: https://runbooks.example.com/gpu-memory
";

/// The same rule, fixed: no findings.
pub(crate) const GOOD: &str = "\
groups:
  - name: gpu
    rules:
      - alert: GPUMemoryFull
        expr: DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE) > 0.95
        for: 5m
        labels: {severity: critical}
        annotations:
          summary: GPU memory is almost full
          runbook_url: https://runbooks.example.com/gpu-memory
";

/// The fixed rule without `for`: one ML101 warning.
const WARN: &str = "\
groups:
  - name: gpu
    rules:
      - alert: GPUMemoryFull
        expr: DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE) > 0.95
        labels: {severity: critical}
        annotations:
          summary: GPU memory is almost full
          runbook_url: https://runbooks.example.com/gpu-memory
";

/// A promtool unit test of [`GOOD`] saved as `gpu.yaml` next to it: passes.
pub(crate) const UNIT_TEST: &str = "\
rule_files: [gpu.yaml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'DCGM_FI_DEV_FB_USED{gpu=\"0\"}'
        values: '99x15'
      - series: 'DCGM_FI_DEV_FB_FREE{gpu=\"0\"}'
        values: '1x15'
    alert_rule_test:
      - eval_time: 10m
        alertname: GPUMemoryFull
        exp_alerts:
          - exp_labels: {severity: critical, gpu: '0'}
            exp_annotations:
              summary: GPU memory is almost full
              runbook_url: https://runbooks.example.com/gpu-memory
";

/// The `cargo` stub of the fast install: records its arguments, then installs
/// the test binary where `--root` says.
const CARGO_STUB: &str = r#"#!/usr/bin/env bash
printf '%s\n' "$@" >> "$MLALERT_TEST_CARGO_LOG"
[ "$1" = install ] || { echo "cargo stub: only 'install' is expected, got: $*" >&2; exit 101; }
root=
while [ $# -gt 0 ]; do
  if [ "$1" = --root ]; then root=$2; shift; fi
  shift
done
[ -n "$root" ] || { echo "cargo stub: no --root" >&2; exit 101; }
mkdir -p "$root/bin" && cp "$MLALERT_TEST_BIN" "$root/bin/mlalert"
"#;

// ---------------------------------------------------------------- the action

/// One step of `runs.steps`.
#[derive(Debug)]
struct Step {
    id: Option<String>,
    name: String,
    uses: Option<String>,
    with: Vec<(String, String)>,
    run: Option<String>,
    shell: Option<String>,
    env: Vec<(String, String)>,
    cond: Option<String>,
}

/// What the tests need of `action.yml`.
#[derive(Debug)]
struct Action {
    /// Input name → default ('' when there is none).
    inputs: BTreeMap<String, String>,
    using: String,
    steps: Vec<Step>,
}

fn str_of(n: &Node) -> String {
    n.as_scalar()
        .map(|s| {
            if s.is_null() {
                String::new()
            } else {
                s.value.clone()
            }
        })
        .unwrap_or_else(|| panic!("expected a scalar, got a {}", n.type_name()))
}

fn pairs(n: Option<&Node>) -> Vec<(String, String)> {
    n.and_then(Node::as_map)
        .unwrap_or_default()
        .iter()
        .map(|(k, v)| (str_of(k), str_of(v)))
        .collect()
}

fn load() -> Action {
    let text =
        std::fs::read_to_string(Path::new(REPO).join("action.yml")).expect("read action.yml");
    let (docs, err) = parse_stream(&text, &TextMap::Shift(0));
    assert!(err.is_none(), "action.yml is not valid YAML: {err:?}");
    assert_eq!(docs.len(), 1, "action.yml holds one document");
    let root = &docs[0].root;
    let inputs = root
        .get("inputs")
        .and_then(Node::as_map)
        .expect("inputs")
        .iter()
        .map(|(k, v)| (str_of(k), v.get("default").map(str_of).unwrap_or_default()))
        .collect();
    let runs = root.get("runs").expect("runs");
    let steps = runs
        .get("steps")
        .and_then(Node::as_seq)
        .expect("runs.steps")
        .iter()
        .map(|s| Step {
            id: s.get("id").map(str_of),
            name: s.get("name").map(str_of).expect("every step has a name"),
            uses: s.get("uses").map(str_of),
            with: pairs(s.get("with")),
            run: s.get("run").map(str_of),
            shell: s.get("shell").map(str_of),
            env: pairs(s.get("env")),
            cond: s.get("if").map(str_of),
        })
        .collect();
    Action {
        inputs,
        using: runs.get("using").map(str_of).unwrap_or_default(),
        steps,
    }
}

// ---------------------------------------------------------------- the runner

/// How one step went. `status` is `None` for a step that was skipped or is a
/// `uses:` step (not run here).
#[derive(Debug)]
struct StepRun {
    name: String,
    status: Option<i32>,
    stdout: String,
    stderr: String,
    /// What the step appended to `$GITHUB_STEP_SUMMARY`.
    summary: String,
    elapsed: Duration,
}

#[derive(Debug)]
struct Outcome {
    steps: Vec<StepRun>,
    success: bool,
}

impl Outcome {
    fn step(&self, name: &str) -> &StepRun {
        self.steps
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no step {name:?} in {:#?}", self.steps))
    }
}

/// A temporary runner: workspace, tool cache, temp directory, `cargo` stub.
struct Runner {
    dir: tempfile::TempDir,
    real_install: bool,
    /// Run without any `cargo` on PATH.
    no_cargo: bool,
    /// Environment of every step, as a workflow's `env:` sets it.
    env: Vec<(String, String)>,
    /// Where releases are downloaded from (`MLALERT_RELEASE_BASE_URL`); by
    /// default a server without any release.
    server: Arc<Server>,
}

impl Runner {
    fn new() -> Runner {
        let dir = tempfile::tempdir().expect("tempdir");
        for d in [
            "workspace",
            "tool-cache",
            "runner-temp",
            "stub",
            "step-files",
        ] {
            std::fs::create_dir_all(dir.path().join(d)).expect("mkdir");
        }
        let real_install =
            std::env::var_os("MLALERT_ACTION_REAL_INSTALL").is_some_and(|v| v == "1");
        if !real_install {
            let stub = dir.path().join("stub/cargo");
            std::fs::write(&stub, CARGO_STUB).expect("write stub");
            make_executable(&stub);
        }
        Runner {
            dir,
            real_install,
            no_cargo: false,
            env: Vec::new(),
            server: Arc::new(Server::start()),
        }
    }

    /// A runner downloading releases from `server`.
    fn with_server(mut self, server: Arc<Server>) -> Runner {
        self.server = server;
        self
    }

    /// Sets `k=v` in every step's environment.
    fn env(mut self, k: &str, v: &str) -> Runner {
        self.env.push((k.to_string(), v.to_string()));
        self
    }

    /// A runner without a Rust toolchain.
    fn without_cargo(mut self) -> Runner {
        self.no_cargo = true;
        self
    }

    fn workspace(&self) -> PathBuf {
        self.dir.path().join("workspace")
    }

    /// Writes `rel` in the workspace.
    fn file(&self, rel: &str, text: &str) -> &Runner {
        let p = self.workspace().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
        self
    }

    /// The arguments the `cargo` stub was called with, one per line, across runs.
    fn cargo_calls(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("cargo-log")).unwrap_or_default()
    }

    /// Runs the action with `inputs` over the defaults.
    fn run(&self, inputs: &[(&str, &str)]) -> Outcome {
        let action = load();
        assert_eq!(action.using, "composite");
        let mut ctx = Ctx {
            inputs: action.inputs.clone(),
            outputs: BTreeMap::new(),
            outcomes: BTreeMap::new(),
            workspace: self.workspace(),
            runner_temp: self.dir.path().join("runner-temp"),
            tool_cache: self.dir.path().join("tool-cache"),
        };
        for (k, v) in inputs {
            assert!(ctx.inputs.contains_key(*k), "action.yml has no input {k:?}");
            ctx.inputs.insert((*k).to_string(), (*v).to_string());
        }

        let mut path: Vec<PathBuf> = Vec::new();
        if !self.real_install && !self.no_cargo {
            path.push(self.dir.path().join("stub"));
        }
        let mut extra_env: Vec<(String, String)> = Vec::new();
        let mut failed = false;
        let mut runs = Vec::new();
        for (i, step) in action.steps.iter().enumerate() {
            if let Some(id) = &step.id {
                ctx.outputs.entry(id.clone()).or_default();
            }
            let go = match &step.cond {
                None => !failed,
                Some(c) => ctx.condition(c, failed),
            };
            let outcome = |ctx: &mut Ctx, o: &str| {
                if let Some(id) = &step.id {
                    ctx.outcomes.insert(id.clone(), o.to_string());
                }
            };
            if !go {
                outcome(&mut ctx, "skipped");
                runs.push(StepRun {
                    name: step.name.clone(),
                    status: None,
                    stdout: String::new(),
                    stderr: String::new(),
                    summary: String::new(),
                    elapsed: Duration::ZERO,
                });
                continue;
            }
            if let Some(uses) = &step.uses {
                assert!(
                    uses.starts_with("actions/cache@"),
                    "unexpected `uses: {uses}` in action.yml"
                );
                // Resolve `with:` as the runner would, so a typo in an expression fails here.
                for (k, v) in &step.with {
                    let v = ctx.expand(v);
                    assert!(!v.is_empty(), "actions/cache `{k}` expands to nothing");
                }
                outcome(&mut ctx, "success");
                runs.push(StepRun {
                    name: step.name.clone(),
                    status: None,
                    stdout: String::new(),
                    stderr: String::new(),
                    summary: String::new(),
                    elapsed: Duration::ZERO,
                });
                continue;
            }
            let script = step.run.as_ref().expect("a step has `uses` or `run`");
            assert_eq!(step.shell.as_deref(), Some("bash"), "step {:?}", step.name);

            let files = self.dir.path().join("step-files").join(i.to_string());
            std::fs::create_dir_all(&files).expect("mkdir");
            let (output, path_file, env_file, summary) = (
                files.join("output"),
                files.join("path"),
                files.join("env"),
                files.join("summary"),
            );
            for f in [&output, &path_file, &env_file, &summary] {
                std::fs::write(f, "").expect("touch");
            }
            let script_file = files.join("script.sh");
            std::fs::write(&script_file, ctx.expand(script)).expect("write script");

            let mut cmd = Command::new("bash");
            cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
                .arg(&script_file)
                .current_dir(&ctx.workspace);
            for (k, _) in std::env::vars_os() {
                let k = k.to_string_lossy().into_owned();
                if k.starts_with("GITHUB_") || k.starts_with("RUNNER_") || k.starts_with("INPUT_") {
                    cmd.env_remove(&k);
                }
            }
            let mut search = path.clone();
            search.extend(
                std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                    .filter(|d| !(self.no_cargo && d.join("cargo").exists())),
            );
            cmd.env("PATH", std::env::join_paths(search).expect("PATH"))
                .env("GITHUB_ACTIONS", "true")
                .env("GITHUB_ACTION_PATH", REPO)
                .env("GITHUB_WORKSPACE", &ctx.workspace)
                .env("GITHUB_OUTPUT", &output)
                .env("GITHUB_PATH", &path_file)
                .env("GITHUB_ENV", &env_file)
                .env("GITHUB_STEP_SUMMARY", &summary)
                .env("RUNNER_OS", "Linux")
                .env("RUNNER_ARCH", "X64")
                .env("RUNNER_TEMP", &ctx.runner_temp)
                .env("RUNNER_TOOL_CACHE", &ctx.tool_cache)
                .env_remove("NO_COLOR");
            if self.real_install {
                let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cargo-install");
                cmd.env("CARGO_TARGET_DIR", target);
            } else {
                cmd.env("MLALERT_TEST_CARGO_LOG", self.dir.path().join("cargo-log"))
                    .env("MLALERT_TEST_BIN", env!("CARGO_BIN_EXE_mlalert"));
            }
            for (k, v) in &extra_env {
                cmd.env(k, v);
            }
            for (k, v) in &step.env {
                cmd.env(k, ctx.expand(v));
            }
            cmd.env("MLALERT_RELEASE_BASE_URL", self.server.url())
                .env("NO_PROXY", "127.0.0.1")
                .env("no_proxy", "127.0.0.1");
            for (k, v) in &self.env {
                cmd.env(k, v);
            }
            let started = Instant::now();
            let out = cmd.output().expect("run bash");
            let elapsed = started.elapsed();
            let status = out.status.code().unwrap_or(-1);
            failed |= status != 0;
            outcome(&mut ctx, if status == 0 { "success" } else { "failure" });

            let text = |p: &Path| std::fs::read_to_string(p).expect("read step file");
            for line in text(&output).lines().filter(|l| !l.is_empty()) {
                let (k, v) = line
                    .split_once('=')
                    .unwrap_or_else(|| panic!("unsupported GITHUB_OUTPUT line {line:?}"));
                if let Some(id) = &step.id {
                    ctx.outputs
                        .entry(id.clone())
                        .or_default()
                        .insert(k.to_string(), v.to_string());
                }
            }
            for line in text(&path_file).lines().filter(|l| !l.is_empty()) {
                path.insert(0, PathBuf::from(line));
            }
            for line in text(&env_file).lines().filter(|l| !l.is_empty()) {
                let (k, v) = line
                    .split_once('=')
                    .unwrap_or_else(|| panic!("unsupported GITHUB_ENV line {line:?}"));
                extra_env.push((k.to_string(), v.to_string()));
            }
            runs.push(StepRun {
                name: step.name.clone(),
                status: Some(status),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
                summary: text(&summary),
                elapsed,
            });
        }
        Outcome {
            steps: runs,
            success: !failed,
        }
    }
}

/// A small HTTP/1.1 server on 127.0.0.1 for release downloads: `GET` of a
/// path it was given answers 200 with the bytes, anything else 404. Records
/// the paths requested. One connection at a time, closed after the answer.
pub(crate) struct Server {
    addr: SocketAddr,
    files: Arc<Mutex<BTreeMap<String, Vec<u8>>>>,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl Server {
    pub(crate) fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let files: Arc<Mutex<BTreeMap<String, Vec<u8>>>> = Arc::default();
        let requests: Arc<Mutex<Vec<String>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (f, r, st) = (files.clone(), requests.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let _ = Server::answer(stream, &f, &r);
                }
            }
        });
        Server {
            addr,
            files,
            requests,
            stop,
        }
    }

    fn answer(
        mut stream: TcpStream,
        files: &Mutex<BTreeMap<String, Vec<u8>>>,
        requests: &Mutex<Vec<String>>,
    ) -> std::io::Result<()> {
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buf)?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        let head = String::from_utf8_lossy(&head);
        let mut first = head.lines().next().unwrap_or_default().split(' ');
        let (method, path) = (
            first.next().unwrap_or_default(),
            first.next().unwrap_or_default(),
        );
        requests.lock().expect("lock").push(path.to_string());
        let body = files.lock().expect("lock").get(path).cloned();
        let (status, body) = match body {
            Some(b) if method == "GET" => ("200 OK", b),
            _ => ("404 Not Found", b"Not Found".to_vec()),
        };
        write!(
            stream,
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
            body.len()
        )?;
        stream.write_all(&body)?;
        stream.flush()
    }

    /// The base URL (`http://127.0.0.1:PORT`).
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Serves `bytes` at `path` (`/v1.2.3/asset`).
    pub(crate) fn put(&self, path: &str, bytes: Vec<u8>) {
        self.files
            .lock()
            .expect("lock")
            .insert(path.to_string(), bytes);
    }

    /// The paths requested so far.
    pub(crate) fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("lock").clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop, which then sees `stop`.
        let _ = TcpStream::connect(self.addr);
    }
}

fn make_executable(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut perm = std::fs::metadata(p).expect("stat").permissions();
    perm.set_mode(0o755);
    std::fs::set_permissions(p, perm).expect("chmod");
}

/// Expression contexts of one run.
struct Ctx {
    inputs: BTreeMap<String, String>,
    /// Step id → its outputs.
    outputs: BTreeMap<String, BTreeMap<String, String>>,
    /// Step id → `success`, `failure` or `skipped`.
    outcomes: BTreeMap<String, String>,
    workspace: PathBuf,
    runner_temp: PathBuf,
    tool_cache: PathBuf,
}

impl Ctx {
    /// Replaces every `${{ expr }}` in `s`.
    fn expand(&self, s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(start) = rest.find("${{") {
            out.push_str(&rest[..start]);
            let end = rest[start..]
                .find("}}")
                .unwrap_or_else(|| panic!("unterminated expression in {s:?}"));
            out.push_str(&self.value(rest[start + 3..start + end].trim()));
            rest = &rest[start + end + 2..];
        }
        out.push_str(rest);
        out
    }

    /// The value of a context reference or string literal. Anything else is
    /// not used by action.yml today and fails loudly rather than silently.
    fn value(&self, e: &str) -> String {
        let path = |p: &Path| p.to_string_lossy().into_owned();
        if let Some(lit) = e.strip_prefix('\'').and_then(|e| e.strip_suffix('\'')) {
            return lit.replace("''", "'");
        }
        if let Some(name) = e.strip_prefix("inputs.") {
            return self
                .inputs
                .get(name)
                .unwrap_or_else(|| panic!("action.yml refers to undeclared input {name:?}"))
                .clone();
        }
        if let Some(id) = e
            .strip_prefix("steps.")
            .and_then(|e| e.strip_suffix(".outcome"))
        {
            return self
                .outcomes
                .get(id)
                .unwrap_or_else(|| panic!("{e:?} refers to no earlier step"))
                .clone();
        }
        if let Some(rest) = e.strip_prefix("steps.") {
            let (id, out) = rest
                .split_once(".outputs.")
                .unwrap_or_else(|| panic!("unsupported expression {e:?}"));
            let outs = self
                .outputs
                .get(id)
                .unwrap_or_else(|| panic!("{e:?} refers to no earlier step"));
            return outs.get(out).cloned().unwrap_or_default();
        }
        match e {
            "github.action_path" => REPO.to_string(),
            "github.action_ref" => String::new(),
            "github.workspace" => path(&self.workspace),
            "runner.os" => "Linux".to_string(),
            "runner.arch" => "X64".to_string(),
            "runner.temp" => path(&self.runner_temp),
            "runner.tool_cache" => path(&self.tool_cache),
            _ => panic!("unsupported expression {e:?} in action.yml (teach tests/it/action.rs)"),
        }
    }

    /// A step's `if:`: `&&` of status functions and `==`/`!=` comparisons;
    /// without a status function, `success() &&` is implied, as in Actions.
    fn condition(&self, c: &str, failed: bool) -> bool {
        let c = c.trim();
        let c = c
            .strip_prefix("${{")
            .and_then(|c| c.strip_suffix("}}"))
            .unwrap_or(c);
        assert!(!c.contains("||"), "unsupported condition {c:?}");
        let mut status_checked = false;
        let mut result = true;
        for term in c.split("&&").map(str::trim) {
            let v = match term {
                "always()" | "!cancelled()" => {
                    status_checked = true;
                    true
                }
                "success()" => {
                    status_checked = true;
                    !failed
                }
                "failure()" => {
                    status_checked = true;
                    failed
                }
                _ => {
                    if let Some((a, b)) = term.split_once("!=") {
                        self.value(a.trim()) != self.value(b.trim())
                    } else if let Some((a, b)) = term.split_once("==") {
                        self.value(a.trim()) == self.value(b.trim())
                    } else {
                        panic!("unsupported condition term {term:?}")
                    }
                }
            };
            result &= v;
        }
        result && (status_checked || !failed)
    }
}

// ---------------------------------------------------------------- the tests

#[test]
fn inputs_and_steps_are_as_documented() {
    let a = load();
    let defaults: Vec<(&str, &str)> = a
        .inputs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        defaults,
        [
            ("args", ""),
            ("baseline", ""),
            ("config", ""),
            ("diff-base", ""),
            ("fail-on", "warning"),
            ("format", "github"),
            ("junit-file", ""),
            ("paths", "."),
            ("sarif-file", ""),
            ("tests", ""),
            ("version", ""),
            ("working-directory", ""),
        ]
    );
    for s in &a.steps {
        if let Some(run) = &s.run {
            // Inputs reach scripts through `env:`, so they cannot inject shell code.
            assert!(
                !run.contains("${{"),
                "step {:?} expands an expression inside `run:`; pass it through `env:`",
                s.name
            );
            assert_eq!(s.shell.as_deref(), Some("bash"), "step {:?}", s.name);
        }
    }
    let cache = a
        .steps
        .iter()
        .find(|s| {
            s.uses
                .as_deref()
                .is_some_and(|u| u.starts_with("actions/cache@"))
        })
        .expect("the build is cached with actions/cache");
    let with: BTreeMap<_, _> = cache.with.iter().cloned().collect();
    assert!(
        with["path"].contains("steps.build.outputs.root"),
        "{with:?}"
    );
    assert!(with["key"].contains("steps.build.outputs.key"), "{with:?}");
}

#[test]
fn bad_rule_fails_the_lint_step_with_error_annotations() {
    let r = Runner::new();
    r.file("rules/gpu.yaml", BAD);
    let o = r.run(&[]);
    assert!(!o.success, "{o:#?}");
    let lint = o.step("mlalert lint");
    assert_eq!(lint.status, Some(1), "{lint:#?}");
    // With the default path `.`, files are walked as `./rules/gpu.yaml`;
    // GitHub matches annotations to repository-relative paths, so the
    // renderer drops the `./`.
    assert!(
        lint.stdout
            .lines()
            .any(|l| l.starts_with("::error file=rules/gpu.yaml,line=5,")
                && l.contains("title=ML201 inverted-gpu-memory-ratio::")),
        "{lint:#?}"
    );
    assert_eq!(o.step("mlalert test").status, None, "no `tests` input");

    let install = o.step("Install mlalert");
    assert_eq!(install.status, Some(0), "{install:#?}");
    assert!(
        install.stdout.contains("mlalert "),
        "--version: {install:#?}"
    );
    if !r.real_install {
        let calls = r.cargo_calls();
        let args: Vec<&str> = calls.lines().collect();
        assert_eq!(
            &args[..4],
            ["install", "--locked", "--path", REPO],
            "{calls}"
        );
    }
}

#[test]
fn clean_rules_pass() {
    let r = Runner::new();
    r.file("rules/gpu.yaml", GOOD);
    let o = r.run(&[]);
    assert!(o.success, "{o:#?}");
    let lint = o.step("mlalert lint");
    assert!(
        !lint.stdout.contains("::") && lint.stderr.is_empty(),
        "{lint:#?}"
    );
}

#[test]
fn fail_on_and_paths_are_passed_through() {
    let r = Runner::new();
    r.file("rules/gpu.yaml", WARN)
        .file("elsewhere/bad.yaml", BAD);
    // A warning fails by default ...
    let o = r.run(&[("paths", "rules")]);
    assert!(!o.success, "{o:#?}");
    assert!(
        o.step("mlalert lint")
            .stdout
            .starts_with("::warning file=rules/gpu.yaml")
    );
    // ... not with `fail-on: error`; `elsewhere/` is not linted.
    let o = r.run(&[("paths", "rules"), ("fail-on", "error")]);
    assert!(o.success, "{o:#?}");
    assert!(!o.step("mlalert lint").stdout.contains("elsewhere"));
    // Several paths and globs.
    let o = r.run(&[
        ("paths", "rules/*.yaml\n  elsewhere/"),
        ("fail-on", "error"),
    ]);
    assert!(!o.success, "{o:#?}");
    let out = &o.step("mlalert lint").stdout;
    assert!(
        out.contains("file=elsewhere/bad.yaml") && out.contains("file=rules/gpu.yaml"),
        "{out}"
    );
}

#[test]
fn sarif_file_is_written_when_requested() {
    let r = Runner::new();
    r.file("gpu.yaml", BAD);
    let o = r.run(&[("sarif-file", "reports/mlalert.sarif")]);
    // The lint still fails the action; the SARIF file is written regardless.
    assert!(!o.success, "{o:#?}");
    let lint = o.step("mlalert lint");
    assert!(lint.stdout.contains("gpu.yaml,line=5,"), "{lint:#?}");
    let sarif = std::fs::read_to_string(r.workspace().join("reports/mlalert.sarif"))
        .unwrap_or_else(|e| panic!("SARIF not written ({e}): {lint:#?}"));
    let sarif: serde_json::Value = serde_json::from_str(&sarif).expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 1, "{sarif:#}");
    assert_eq!(results[0]["ruleId"], "ML201");

    // Without the input, no SARIF.
    let r = Runner::new();
    r.file("gpu.yaml", GOOD);
    let o = r.run(&[]);
    assert!(o.success, "{o:#?}");
    assert!(!r.workspace().join("reports").exists());
}

#[test]
fn second_run_reuses_the_installed_build() {
    let r = Runner::new();
    r.file("gpu.yaml", GOOD);
    assert!(r.run(&[]).success);
    let o = r.run(&[]);
    assert!(o.success, "{o:#?}");
    let install = o.step("Install mlalert");
    assert!(install.stdout.contains("is cached in"), "{install:#?}");
    if !r.real_install {
        assert_eq!(
            r.cargo_calls().matches("install\n").count(),
            1,
            "{}",
            r.cargo_calls()
        );
    }
}

#[test]
fn tests_input_runs_mlalert_test() {
    let r = Runner::new();
    r.file("rules/gpu.yaml", GOOD)
        .file("rules/gpu_test.yaml", UNIT_TEST);
    let o = r.run(&[
        ("paths", "rules/gpu.yaml"),
        ("tests", "rules/*_test.yaml"),
        ("junit-file", "reports/junit.xml"),
    ]);
    assert!(o.success, "{o:#?}");
    assert_eq!(o.step("mlalert test").status, Some(0));
    let junit =
        std::fs::read_to_string(r.workspace().join("reports/junit.xml")).expect("JUnit written");
    assert!(junit.contains("<testsuite"), "{junit}");

    // A failing unit test fails the action, and runs even after a failed lint.
    r.file("rules/gpu.yaml", &BAD.replace("for: 5m", "for: 1h"));
    let o = r.run(&[
        ("paths", "rules/gpu.yaml"),
        ("tests", "rules/gpu_test.yaml"),
    ]);
    assert!(!o.success, "{o:#?}");
    assert_eq!(o.step("mlalert lint").status, Some(1), "{o:#?}");
    assert_eq!(o.step("mlalert test").status, Some(1), "{o:#?}");
}

/// Every mapping under `n` (depth first).
fn mappings<'a>(n: &'a Node, out: &mut Vec<&'a Node>) {
    if let Some(m) = n.as_map() {
        out.push(n);
        for (_, v) in m {
            mappings(v, out);
        }
    } else if let Some(s) = n.as_seq() {
        for v in s {
            mappings(v, out);
        }
    }
}

/// Checks the workflow steps in `text` that use this action: their `with:`
/// names declared inputs, and a `sarif-file` is what upload-sarif uploads.
/// Returns how many such steps there are.
fn check_workflow(what: &str, text: &str, inputs: &BTreeMap<String, String>) -> usize {
    let (docs, err) = parse_stream(text, &TextMap::Shift(0));
    assert!(err.is_none(), "{what}: not valid YAML: {err:?}");
    let mut maps = Vec::new();
    for d in &docs {
        mappings(&d.root, &mut maps);
    }
    let uses = |m: &Node| m.get("uses").map(str_of).unwrap_or_default();
    let uploads: Vec<String> = maps
        .iter()
        .filter(|m| uses(m).starts_with("github/codeql-action/upload-sarif@"))
        .filter_map(|m| m.get("with")?.get("sarif_file").map(str_of))
        .collect();
    let mut found = 0;
    for m in maps
        .iter()
        .filter(|m| uses(m) == "./" || uses(m).starts_with("mlalert/mlalert@"))
    {
        found += 1;
        for (k, v) in pairs(m.get("with")) {
            assert!(
                inputs.contains_key(&k),
                "{what}: `{k}` is not an input of action.yml"
            );
            if k == "sarif-file" {
                assert!(
                    uploads.contains(&v),
                    "{what}: {v} is written but not uploaded"
                );
            }
        }
    }
    found
}

#[test]
fn readme_and_ci_use_the_action_as_declared() {
    let inputs = load().inputs;
    let readme = std::fs::read_to_string(Path::new(REPO).join("README.md")).expect("README.md");
    for name in inputs.keys() {
        assert!(
            readme.contains(&format!("| `{name}` |")),
            "README's input table lacks `{name}`"
        );
    }
    let mut in_readme = 0;
    for block in readme.split("```yaml\n").skip(1) {
        let block = block.split("```").next().unwrap_or_default();
        in_readme += check_workflow("README.md", block, &inputs);
    }
    assert_eq!(
        in_readme, 1,
        "README has one workflow example using the action"
    );

    let ci =
        std::fs::read_to_string(Path::new(REPO).join(".github/workflows/ci.yml")).expect("ci.yml");
    assert_eq!(check_workflow("ci.yml", &ci, &inputs), 1, "ci.yml uses ./");
}

#[test]
fn without_cargo_the_install_step_says_what_to_add() {
    // Hiding cargo hides its PATH directory; that only works when it is not
    // also where the system's tools are (rustup's ~/.cargo/bin, not /usr/bin).
    if std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .any(|d| d.join("cargo").exists() && d.join("sort").exists())
    {
        println!("skipped: cargo shares a PATH directory with the system's tools");
        return;
    }
    let r = Runner::new().without_cargo();
    r.file("gpu.yaml", GOOD);
    let o = r.run(&[("tests", "gpu_test.yaml")]);
    assert!(!o.success, "{o:#?}");
    let install = o.step("Install mlalert");
    assert_eq!(install.status, Some(1), "{install:#?}");
    assert!(
        install
            .stdout
            .starts_with("::error title=mlalert::cargo not found"),
        "{install:#?}"
    );
    // Nothing runs after a failed install, not even the unit tests.
    assert_eq!(o.step("mlalert lint").status, None, "{o:#?}");
    assert_eq!(o.step("mlalert test").status, None, "{o:#?}");
}

// ---------------------------------------------------------------- downloads

/// The package version in Cargo.toml, as the action's default `version`.
pub(crate) fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// The release asset of the emulated runner (Linux, X64).
fn linux_asset() -> String {
    format!("mlalert-v{}-x86_64-unknown-linux-musl.tar.gz", version())
}

/// scripts/release-build.sh run on the test binary (not a release build):
/// the directory holding the Linux asset, its `.sha256` and SHA256SUMS.
/// Packed once per test run.
pub(crate) fn packed_release() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("release-pack");
        let _ = std::fs::remove_dir_all(&dir);
        let script = Path::new(REPO).join("scripts/release-build.sh");
        for args in [
            vec!["x86_64-unknown-linux-musl", dir.to_str().expect("utf-8")],
            vec!["--sums", dir.to_str().expect("utf-8")],
        ] {
            let out = Command::new("bash")
                .arg(&script)
                .args(&args)
                .env("MLALERT_PREBUILT_BIN", env!("CARGO_BIN_EXE_mlalert"))
                .output()
                .expect("run release-build.sh");
            assert!(out.status.success(), "release-build.sh {args:?}: {out:?}");
        }
        dir
    })
}

/// A server holding the packed release, with `sums` as its SHA256SUMS
/// (`None`: the packed one).
fn release_server(sums: Option<String>) -> Arc<Server> {
    let dir = packed_release();
    let server = Server::start();
    let asset = linux_asset();
    let v = version();
    server.put(
        &format!("/v{v}/{asset}"),
        std::fs::read(dir.join(&asset)).expect("asset"),
    );
    let sums = sums
        .unwrap_or_else(|| std::fs::read_to_string(dir.join("SHA256SUMS")).expect("SHA256SUMS"));
    server.put(&format!("/v{v}/SHA256SUMS"), sums.into_bytes());
    Arc::new(server)
}

#[test]
fn release_binary_is_downloaded_verified_and_cached() {
    let server = release_server(None);
    let r = Runner::new().with_server(server.clone());
    r.file("rules/gpu.yaml", BAD);
    let o = r.run(&[]);
    let download = o.step("Download mlalert");
    assert_eq!(download.status, Some(0), "{download:#?}");
    assert!(
        download.stdout.contains("downloaded and verified"),
        "{download:#?}"
    );
    // No build from source: its steps are skipped and cargo is never called.
    assert_eq!(o.step("Locate the mlalert build").status, None, "{o:#?}");
    assert_eq!(r.cargo_calls(), "");
    let install = o.step("Install mlalert");
    assert_eq!(install.status, Some(0), "{install:#?}");
    assert!(
        install.stdout.contains(&format!("mlalert {}", version())),
        "{install:#?}"
    );
    println!(
        "install from the release: download {:?}, install {:?}",
        download.elapsed, install.elapsed
    );
    let bin = r
        .dir
        .path()
        .join(format!("tool-cache/mlalert/{}/x64/mlalert", version()));
    assert!(bin.is_file(), "{bin:?} not installed");
    // The downloaded binary is what lints.
    assert_eq!(o.step("mlalert lint").status, Some(1), "{o:#?}");
    let asked = server.requests();
    assert_eq!(
        asked,
        [
            format!("/v{}/{}", version(), linux_asset()),
            format!("/v{}/SHA256SUMS", version())
        ]
    );

    // The second run takes it from the tool cache, without a request.
    let o = r.run(&[]);
    let download = o.step("Download mlalert");
    assert!(download.stdout.contains("is cached in"), "{download:#?}");
    assert_eq!(server.requests().len(), 2, "{:?}", server.requests());
    assert_eq!(o.step("mlalert lint").status, Some(1), "{o:#?}");
    assert_eq!(r.cargo_calls(), "");
}

#[test]
fn checksum_mismatch_fails_without_fallback() {
    let sums = format!("{}  {}\n", "0".repeat(64), linux_asset());
    let r = Runner::new().with_server(release_server(Some(sums)));
    r.file("gpu.yaml", GOOD);
    let o = r.run(&[]);
    assert!(!o.success, "{o:#?}");
    let download = o.step("Download mlalert");
    assert_eq!(download.status, Some(1), "{download:#?}");
    assert!(
        download.stdout.starts_with(&format!(
            "::error title=mlalert::checksum mismatch for {}: SHA256SUMS says {}",
            linux_asset(),
            "0".repeat(64)
        )),
        "{download:#?}"
    );
    // Nothing after it runs: no build from source, no lint.
    for step in [
        "Locate the mlalert build",
        "Install mlalert",
        "mlalert lint",
    ] {
        assert_eq!(o.step(step).status, None, "{step}: {o:#?}");
    }
    assert_eq!(r.cargo_calls(), "");
    assert!(
        !r.dir.path().join("tool-cache/mlalert").exists(),
        "nothing is cached"
    );

    // A SHA256SUMS without the asset is no better.
    let sums = format!("{}  other.tar.gz\n", "0".repeat(64));
    let r = Runner::new().with_server(release_server(Some(sums)));
    r.file("gpu.yaml", GOOD);
    let o = r.run(&[]);
    let download = o.step("Download mlalert");
    assert_eq!(download.status, Some(1), "{download:#?}");
    assert!(
        download.stdout.contains("lists no mlalert-v"),
        "{download:#?}"
    );
}

#[test]
fn no_release_falls_back_to_cargo_install() {
    let r = Runner::new();
    r.file("gpu.yaml", GOOD);
    let o = r.run(&[]);
    assert!(o.success, "{o:#?}");
    let download = o.step("Download mlalert");
    assert_eq!(download.status, Some(0), "{download:#?}");
    assert!(
        download.stdout.contains("HTTP 404): building from source"),
        "{download:#?}"
    );
    assert_eq!(
        r.server.requests(),
        [format!("/v{}/{}", version(), linux_asset())]
    );
    let install = o.step("Install mlalert");
    assert_eq!(install.status, Some(0), "{install:#?}");
    println!("install from source: {:?}", install.elapsed);
    if !r.real_install {
        assert!(
            r.cargo_calls().starts_with("install\n"),
            "{}",
            r.cargo_calls()
        );
    }

    // `version: source` builds without asking for a release.
    let r = Runner::new();
    r.file("gpu.yaml", GOOD);
    let o = r.run(&[("version", "source")]);
    assert!(o.success, "{o:#?}");
    assert!(r.server.requests().is_empty(), "{:?}", r.server.requests());
    assert_eq!(o.step("Locate the mlalert build").status, Some(0));

    // An explicit version is asked for as given, `v` or not.
    let r = Runner::new();
    r.file("gpu.yaml", GOOD);
    assert!(r.run(&[("version", "v9.8.7")]).success);
    assert_eq!(
        r.server.requests(),
        ["/v9.8.7/mlalert-v9.8.7-x86_64-unknown-linux-musl.tar.gz"]
    );
    // Not a version: refused before anything is fetched.
    let o = r.run(&[("version", "latest; rm -rf /")]);
    assert_eq!(o.step("Locate mlalert").status, Some(1), "{o:#?}");
    assert_eq!(r.server.requests().len(), 1);
}

#[test]
fn job_summary_counts_findings_per_lint_with_links() {
    let r = Runner::new()
        .env("GITHUB_SERVER_URL", "https://github.example.com")
        .env("GITHUB_REPOSITORY", "acme/alerts")
        .env("GITHUB_SHA", "0123abcd");
    r.file("rules/gpu.yaml", BAD).file(
        "rules/warn.yaml",
        &WARN
            .replace("GPUMemoryFull", "GPUMemoryNoFor")
            .replace("name: gpu", "name: gpu-no-for"),
    );
    let o = r.run(&[("paths", "rules")]);
    let lint = o.step("mlalert lint");
    assert_eq!(lint.status, Some(1), "{lint:#?}");
    let summary = &lint.summary;
    assert!(
        summary.starts_with("### mlalert: 1 error, 1 warning, 0 infos in 2 files\n"),
        "{summary}"
    );
    assert!(
        summary.contains("| [ML201 inverted-gpu-memory-ratio](https://github.com/mlalert/mlalert/blob/main/lints/ML201-inverted-gpu-memory-ratio.md) | error | 1 |"),
        "{summary}"
    );
    assert!(summary.contains("| [ML101 missing-for]("), "{summary}");
    assert!(
        summary.contains("- **error** [rules/gpu.yaml:5](https://github.example.com/acme/alerts/blob/0123abcd/rules/gpu.yaml#L5) ML201 inverted-gpu-memory-ratio: "),
        "{summary}"
    );
}

/// `git` in `dir` with a fixed identity.
fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git");
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

#[test]
fn working_directory_args_baseline_and_diff_base() {
    let r = Runner::new();
    r.file("sub/rules/old.yaml", BAD);
    let ws = r.workspace();
    git(&ws, &["init", "--quiet"]);
    git(&ws, &["add", "."]);
    git(&ws, &["commit", "--quiet", "-m", "old"]);
    git(&ws, &["update-ref", "refs/remotes/origin/main", "HEAD"]);
    r.file(
        "sub/rules/new.yaml",
        &BAD.replace("GPUMemoryFull", "GPUMemoryFullNew"),
    );

    // In `sub/`, paths are relative to it; annotations name files from the
    // repository root. On a pull request, only the new file's lines count.
    let pr = Runner {
        env: vec![("GITHUB_BASE_REF".into(), "main".into())],
        ..r
    };
    let o = pr.run(&[("working-directory", "sub"), ("paths", "rules")]);
    let out = &o.step("mlalert lint").stdout;
    assert!(
        out.contains("::error file=sub/rules/new.yaml,line=5,"),
        "{o:#?}"
    );
    assert!(!out.contains("old.yaml"), "{o:#?}");
    // `diff-base: none` reports everything; `args` reach the lint.
    let o = pr.run(&[
        ("working-directory", "sub"),
        ("paths", "rules"),
        ("diff-base", "none"),
        ("args", "--statistics"),
    ]);
    let lint = o.step("mlalert lint");
    assert!(lint.stdout.contains("file=sub/rules/old.yaml"), "{lint:#?}");
    assert!(
        lint.stderr.contains("ML201 inverted-gpu-memory-ratio"),
        "{lint:#?}"
    );
    assert!(lint.stderr.contains("      2  ML201"), "{lint:#?}");

    // A baseline recording both findings passes the step.
    let status = crate::mlalert()
        .current_dir(ws.join("sub"))
        .args(["lint", "--write-baseline", "baseline.json", "rules"])
        .output()
        .expect("write baseline")
        .status;
    assert!(status.success());
    let o = pr.run(&[
        ("working-directory", "sub"),
        ("paths", "rules"),
        ("diff-base", "none"),
        ("baseline", "baseline.json"),
    ]);
    assert!(o.success, "{o:#?}");
    assert!(o.step("mlalert lint").stdout.is_empty(), "{o:#?}");
}
