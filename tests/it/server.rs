//! `mlalert server`: a Language Server Protocol client over the child's
//! standard input and output (JSON-RPC with `Content-Length` framing):
//! initialize, didOpen, didChange, didChangeWatchedFiles, publishDiagnostics,
//! codeAction, hover, shutdown and exit. Also the headless Neovim test
//! (`nvim` from Debian; it says it skipped when `nvim` is absent).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long a test waits for one message (a debug build loading the workspace).
const WAIT: Duration = Duration::from_secs(60);

/// A client talking to one `mlalert server` child.
struct Client {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    next_id: i64,
    /// Every message received, in order (logMessage and the like).
    seen: Vec<Value>,
}

impl Client {
    fn start(dir: &Path, env: &[(&str, &str)]) -> Client {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("mlalert"));
        cmd.arg("server")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start mlalert server");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            while let Some(v) = read_message(&mut r) {
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        Client {
            child,
            stdin,
            rx,
            next_id: 0,
            seen: Vec::new(),
        }
    }

    fn send(&mut self, v: &Value) {
        let body = v.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends request `method` and returns its response's `result`.
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let r = self.wait(|m| m["id"] == json!(id) && m.get("method").is_none());
        assert!(r.get("error").is_none(), "{method} failed: {r}");
        r["result"].clone()
    }

    /// The first message from the server `want` accepts. Requests from the
    /// server (`client/registerCapability`) are answered on the way.
    fn wait(&mut self, want: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let m = match self.rx.recv_timeout(left) {
                Ok(m) => m,
                Err(RecvTimeoutError::Timeout) => panic!("no such message; seen: {:#?}", self.seen),
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("the server went away; seen: {:#?}", self.seen)
                }
            };
            self.seen.push(m.clone());
            if m.get("method").is_some() && m.get("id").is_some() {
                let id = m["id"].clone();
                self.send(&json!({"jsonrpc": "2.0", "id": id, "result": null}));
            }
            if want(&m) {
                return m;
            }
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let m = self.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
        m["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// `shutdown`, `exit`, and the exit status.
    fn stop(mut self) -> std::process::ExitStatus {
        assert_eq!(self.request("shutdown", Value::Null), Value::Null);
        self.notify("exit", Value::Null);
        self.child.wait().expect("wait")
    }
}

/// One `Content-Length`-framed JSON-RPC message, or `None` at the end.
fn read_message(r: &mut impl BufRead) -> Option<Value> {
    let mut len = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            len = n.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; len?];
    r.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

const RULES: &str = "groups:
  - name: gpu
    rules:
      - alert: GpuTooHot
        expr: max by (gpu) (DCGM_FI_DEV_GPU_TEMP) > 85
        labels:
          severity: warning
          team: ml
        annotations:
          summary: \"GPU too hot\"
      - alert: DiskFull
        expr: node_filesystem_avail_bytes < 1e9
        for: 10m
        labels:
          severity: warning
          team: infra
        annotations:
          summary: \"disk full\"
";

const ALERTMANAGER: &str = "route:
  receiver: default
  group_by: [alertname]
  routes:
    - receiver: ml
      matchers: ['team=\"ml\"']
    - receiver: ml
      matchers: ['team=\"data\"']
receivers:
  - name: default
    webhook_configs: [{url_file: /etc/alertmanager/default-url}]
  - name: ml
    webhook_configs: [{url_file: /etc/alertmanager/ml-url}]
";

/// A workspace folder: a rule file, an Alertmanager config routing by
/// `team`, and a `.mlalert.yaml` that turns `missing-runbook` off.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::write(root.join("rules.yaml"), RULES).unwrap();
    std::fs::write(root.join("alertmanager.yml"), ALERTMANAGER).unwrap();
    std::fs::write(root.join(".mlalert.yaml"), "disable: [missing-runbook]\n").unwrap();
    dir
}

/// A finding's code and 0-based range: start line and column, end line and column.
type Finding = (String, u64, u64, u64, u64);

/// `mlalert lint --format json .` in `dir`: `(code, line0, col0, end_line0, end_col0)`
/// of `file`'s findings (ASCII text: characters are UTF-16 units), and each code's URL.
fn lint_findings(dir: &Path, file: &str) -> (Vec<Finding>, Vec<String>) {
    let out = super::mlalert()
        .current_dir(dir)
        .args(["lint", "--format", "json", "."])
        .output()
        .expect("run");
    let json: Value = serde_json::from_slice(&out.stdout).expect("json");
    let diags: Vec<&Value> = super::diags(&json)
        .iter()
        .filter(|d| d["path"] == file)
        .collect();
    let n = |v: &Value| v.as_u64().unwrap() - 1;
    (
        diags
            .iter()
            .map(|d| {
                (
                    d["code"].as_str().unwrap().to_string(),
                    n(&d["line"]),
                    n(&d["column"]),
                    n(&d["end_line"]),
                    n(&d["end_column"]),
                )
            })
            .collect(),
        diags
            .iter()
            .map(|d| d["url"].as_str().unwrap().to_string())
            .collect(),
    )
}

/// The same shape from published LSP diagnostics.
fn lsp_findings(diags: &[Value]) -> (Vec<Finding>, Vec<String>) {
    let n = |v: &Value| v.as_u64().unwrap();
    (
        diags
            .iter()
            .map(|d| {
                let r = &d["range"];
                (
                    d["code"].as_str().unwrap().to_string(),
                    n(&r["start"]["line"]),
                    n(&r["start"]["character"]),
                    n(&r["end"]["line"]),
                    n(&r["end"]["character"]),
                )
            })
            .collect(),
        diags
            .iter()
            .map(|d| d["codeDescription"]["href"].as_str().unwrap().to_string())
            .collect(),
    )
}

fn codes(diags: &[Value]) -> Vec<&str> {
    diags.iter().map(|d| d["code"].as_str().unwrap()).collect()
}

fn initialize(c: &mut Client, root: &Path) {
    let r = c.request(
        "initialize",
        json!({
            "processId": null,
            "rootUri": uri(root),
            "capabilities": {"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}},
        }),
    );
    assert_eq!(r["capabilities"]["positionEncoding"], "utf-16", "{r}");
    assert_eq!(r["capabilities"]["hoverProvider"], true, "{r}");
    c.notify("initialized", json!({}));
    // The server asks to watch the folder's YAML files and `.mlalert.yaml`.
    let reg = c.wait(|m| m["method"] == "client/registerCapability");
    let watchers = &reg["params"]["registrations"][0]["registerOptions"]["watchers"];
    assert_eq!(watchers[1]["globPattern"], "**/.mlalert.yaml", "{reg}");
}

#[test]
fn diagnostics_code_actions_hover_and_cross_file_changes() {
    let dir = workspace();
    let root = dir.path();
    let rules = root.join("rules.yaml");
    let rules_uri = uri(&rules);
    let mut c = Client::start(root, &[]);
    initialize(&mut c, root);

    // didOpen: the same findings, positions, codes and links as `mlalert lint`,
    // with .mlalert.yaml honoured (no missing-runbook) and the Alertmanager
    // config of the folder read (alert-unrouted on DiskFull, team infra).
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": rules_uri, "languageId": "yaml", "version": 1, "text": RULES}}),
    );
    let diags = c.diagnostics(&rules_uri);
    assert_eq!(codes(&diags), ["ML101", "ML401"], "{diags:#?}");
    assert_eq!(lsp_findings(&diags), lint_findings(root, "rules.yaml"));
    assert!(
        diags[0]["message"].as_str().unwrap().contains("\nhelp: "),
        "{diags:#?}"
    );

    // codeAction on the missing-for finding: "disable for this rule" inserts
    // the suppression comment above the rule, at its indentation.
    let range = diags[0]["range"].clone();
    let actions = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": rules_uri}, "range": range, "context": {"diagnostics": [diags[0]]}}),
    );
    let disable = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Disable missing-for for this rule")
        .unwrap_or_else(|| panic!("{actions:#}"));
    let edit = &disable["edit"]["changes"][rules_uri.as_str()][0];
    assert_eq!(edit["newText"], "      # mlalert: disable=missing-for\n");
    assert_eq!(edit["range"]["start"], json!({"line": 3, "character": 0}));

    // The lint's own fix (missing-for: unsafe, adds `for: 5m` after `expr`
    // at the rule's key column) is offered too, not preferred, and its edit
    // gives the text `mlalert lint --fix --unsafe-fixes` writes.
    let fix = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"].as_str().is_some_and(|t| t.ends_with("(unsafe)")))
        .unwrap_or_else(|| panic!("{actions:#}"));
    assert_eq!(fix["kind"], "quickfix", "{fix:#}");
    assert_ne!(fix["isPreferred"], true, "{fix:#}");
    let edits = fix["edit"]["changes"][rules_uri.as_str()]
        .as_array()
        .unwrap();
    assert_eq!(edits.len(), 1, "{fix:#}");
    assert_eq!(edits[0]["newText"], "for: 5m\n        ", "{fix:#}");
    assert_eq!(
        edits[0]["range"]["start"],
        json!({"line": 5, "character": 8})
    );
    assert_eq!(edits[0]["range"]["start"], edits[0]["range"]["end"]);
    let fixed_dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(fixed_dir.path().join("rules.yaml"), RULES).unwrap();
    let out = super::mlalert()
        .current_dir(fixed_dir.path())
        .args(["lint", "--fix", "--unsafe-fixes", "rules.yaml"])
        .output()
        .unwrap();
    let written = std::fs::read_to_string(fixed_dir.path().join("rules.yaml")).unwrap();
    let mut lines: Vec<&str> = RULES.lines().collect();
    lines.insert(5, "        for: 5m");
    assert_eq!(written, lines.join("\n") + "\n", "{out:?}");

    // Hover on a DCGM field: its unit and dcgm-exporter's default export.
    let col = RULES.lines().nth(4).unwrap().find("DCGM").unwrap() + 2;
    let hover = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": rules_uri}, "position": {"line": 4, "character": col}}),
    );
    let text = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(
        text.contains("unit: degrees") || text.contains("unit: "),
        "{hover}"
    );
    assert!(text.contains("exported by default"), "{hover}");
    // Hover on the finding: the lint's page.
    let hover = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": rules_uri}, "position": range["start"]}),
    );
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap_or_default()
            .contains("ML101 missing-for"),
        "{hover}"
    );

    // didChange from the unsaved buffer: `for:` added, missing-for gone.
    let fixed = RULES.replacen("        labels:", "        for: 5m\n        labels:", 1);
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": rules_uri, "version": 2}, "contentChanges": [{"text": fixed}]}),
    );
    let diags = c.diagnostics(&rules_uri);
    assert_eq!(codes(&diags), ["ML401"], "{diags:#?}");

    // The Alertmanager config changes on disk: the client reports it and the
    // routing lint sees the new routes.
    let am = root.join("alertmanager.yml");
    std::fs::write(
        &am,
        ALERTMANAGER.replace("team=\"data\"", "team=~\"data|infra\""),
    )
    .unwrap();
    assert!(std::fs::read_to_string(&am).unwrap().contains("infra"));
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&am), "type": 2}]}),
    );
    let diags = c.diagnostics(&rules_uri);
    assert!(codes(&diags).is_empty(), "{diags:#?}");

    // .mlalert.yaml changes: missing-runbook is on again.
    std::fs::write(root.join(".mlalert.yaml"), "disable: []\n").unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&root.join(".mlalert.yaml")), "type": 2}]}),
    );
    let diags = c.diagnostics(&rules_uri);
    assert_eq!(codes(&diags), ["ML102", "ML102"], "{diags:#?}");

    assert!(c.stop().success());
}

#[test]
fn utf16_columns_and_a_panicking_check_does_not_end_the_session() {
    let dir = workspace();
    let root = dir.path();
    let rules_uri = uri(&root.join("rules.yaml"));
    let mut c = Client::start(root, &[("MLALERT_SERVER_TEST_PANIC", "boom-marker")]);
    initialize(&mut c, root);
    // "🔥" before the alert name: two UTF-16 units, four bytes, one character.
    let text = RULES.replace("alert: GpuTooHot", "alert: \"🔥GpuTooHot\"");
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": rules_uri, "languageId": "yaml", "version": 1, "text": text}}),
    );
    let diags = c.diagnostics(&rules_uri);
    let missing_for = diags.iter().find(|d| d["code"] == "ML101").expect("ML101");
    // `      - alert: "` is 16 characters; the name's span is the quoted scalar.
    assert_eq!(
        missing_for["range"]["start"],
        json!({"line": 3, "character": 15})
    );
    assert_eq!(
        missing_for["range"]["end"],
        json!({"line": 3, "character": 15 + 1 + 2 + 9 + 1})
    );

    // A check that panics: logged, and the next change is checked as usual.
    // The panic hook exists in debug builds only (`cargo test`, not
    // `cargo test --release`).
    if cfg!(debug_assertions) {
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": rules_uri, "version": 2}, "contentChanges": [{"text": format!("# boom-marker\n{RULES}")}]}),
        );
        let log = c.wait(|m| {
            m["method"] == "window/logMessage"
                && m["params"]["message"]
                    .as_str()
                    .is_some_and(|s| s.contains("panicked"))
        });
        assert!(
            log["params"]["message"]
                .as_str()
                .unwrap()
                .contains("boom-marker"),
            "{log}"
        );
    } else {
        println!("panic part skipped: the test panic exists in debug builds only");
    }
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": rules_uri, "version": 3}, "contentChanges": [{"text": RULES}]}),
    );
    let diags = c.diagnostics(&rules_uri);
    assert_eq!(codes(&diags), ["ML101", "ML401"], "{diags:#?}");
    assert!(c.stop().success());
}

/// Neovim's built-in LSP client (Debian's neovim 0.7.2), headless, opens a
/// rule file of the fixture folder and writes the diagnostics it received.
#[test]
fn neovim_receives_the_diagnostics() {
    if Command::new("nvim").arg("--version").output().is_err() {
        println!("skipped: nvim not installed (apt-get install neovim)");
        return;
    }
    let dir = workspace();
    let root = dir.path();
    let out = root.join("diagnostics.json");
    let init = root.join("init.lua");
    let server = assert_cmd::cargo::cargo_bin("mlalert");
    std::fs::write(
        &init,
        format!(
            r#"
local out = {out:?}
vim.api.nvim_create_autocmd("FileType", {{
  pattern = "yaml",
  callback = function(args)
    local id = vim.lsp.start_client({{
      name = "mlalert",
      cmd = {{ {server:?}, "server" }},
      root_dir = {root:?},
    }})
    vim.lsp.buf_attach_client(args.buf, id)
  end,
}})
vim.api.nvim_create_autocmd("VimEnter", {{
  callback = function()
    local buf = vim.api.nvim_get_current_buf()
    local got = vim.wait(30000, function() return #vim.diagnostic.get(buf) > 0 end, 50)
    local items = {{}}
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      table.insert(items, {{ code = d.code, lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col, source = d.source }})
    end
    local f = io.open(out, "w")
    f:write(vim.fn.json_encode({{ got = got, items = items }}))
    f:close()
    vim.cmd("qa!")
  end,
}})
"#,
            out = out.display().to_string(),
            server = server.display().to_string(),
            root = root.display().to_string(),
        ),
    )
    .unwrap();
    let status = Command::new("nvim")
        .args(["--headless", "-i", "NONE", "-u"])
        .arg(&init)
        .env("XDG_CONFIG_HOME", root.join("xdg-config"))
        .env("XDG_DATA_HOME", root.join("xdg-data"))
        .env("XDG_STATE_HOME", root.join("xdg-state"))
        .env("XDG_CACHE_HOME", root.join("xdg-cache"))
        .arg("rules.yaml")
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run nvim");
    assert!(status.success(), "nvim: {status}");
    let got: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("nvim wrote the diagnostics"))
            .unwrap();
    assert_eq!(got["got"], true, "{got}");
    let mut items: Vec<(String, u64, u64)> = got["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_string(),
                d["lnum"].as_u64().unwrap(),
                d["col"].as_u64().unwrap(),
            )
        })
        .collect();
    items.sort();
    let mut want: Vec<(String, u64, u64)> = lint_findings(root, "rules.yaml")
        .0
        .into_iter()
        .map(|(code, l, c, _, _)| (code, l, c))
        .collect();
    want.sort();
    assert_eq!(items, want);
}
