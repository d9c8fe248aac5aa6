//! `mlalert server`: a Language Server (JSON-RPC over standard input and
//! output, on `lsp-server` from the rust-analyzer project).
//!
//! It keeps the workspace folder as a [`Workspace`] (every rule file,
//! manifest, Alertmanager config and unit-test file under it, read as
//! `mlalert lint <folder>` reads them, with the folder's `.mlalert.yaml`),
//! replaces a file's text with the editor's buffer while the document is
//! open, and publishes each open document's findings after every change:
//! the findings, positions, codes and links of `mlalert lint`, ranges in
//! UTF-16 code units. Files changed on disk are read again when the client
//! reports them (`workspace/didChangeWatchedFiles`, registered when the
//! client can) and when a document is closed; `.mlalert.yaml` is read again
//! when it changes or is saved.
//!
//! Code actions: each finding's fix, and "disable for this rule" (the
//! suppression comment of `lint::suppress`). Hover: a finding's lint page,
//! a metric's inferred type and a DCGM field's unit and export.
//!
//! A panic while checking is caught: it is logged (`window/logMessage`)
//! and the server goes on with the file's new text.

mod convert;
mod hover;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use lsp_server::{Connection, ExtractError, Message, Notification, Request, RequestId, Response};
use lsp_types as lsp;
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;

use super::{EXIT_ERROR, EXIT_OK};
use crate::config::Config;
use crate::lint::Input;
use crate::lint::workspace::Workspace;
use crate::source::SourceFile;

/// Runs the server on standard input and output until the client asks it
/// to exit; returns the exit code (0 after `shutdown` and `exit`, 2 when the
/// connection broke).
pub fn run() -> u8 {
    let (conn, io) = Connection::stdio();
    let code = match serve(&conn) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("mlalert server: {e}");
            EXIT_ERROR
        }
    };
    drop(conn);
    match io.join() {
        Ok(()) => code,
        Err(e) => {
            eprintln!("mlalert server: {e}");
            EXIT_ERROR
        }
    }
}

/// Serves one client on `conn`: the initialize handshake, then every
/// message until `exit` (or until the client goes away).
///
/// # Errors
/// The protocol broke (the client sent something other than `initialize`
/// first, or the connection closed during the handshake).
pub fn serve(conn: &Connection) -> Result<(), String> {
    let (id, params) = conn.initialize_start().map_err(|e| e.to_string())?;
    let params: lsp::InitializeParams = serde_json::from_value(params).unwrap_or_default();
    let result = serde_json::json!({
        "capabilities": capabilities(),
        "serverInfo": {"name": "mlalert", "version": env!("CARGO_PKG_VERSION")},
    });
    conn.initialize_finish(id, result)
        .map_err(|e| e.to_string())?;
    let mut server = Server::new(conn, root_of(&params));
    if watches_files(&params) {
        server.register_watchers();
    }
    for msg in &conn.receiver {
        match msg {
            Message::Request(req) => {
                if conn.handle_shutdown(&req).map_err(|e| e.to_string())? {
                    return Ok(());
                }
                server.request(req);
            }
            Message::Notification(n) => {
                if n.method == lsp::notification::Exit::METHOD {
                    return Ok(());
                }
                server.notification(n);
            }
            Message::Response(_) => {}
        }
    }
    Ok(())
}

/// What the server offers: full-text sync, hover, quick-fix code actions,
/// UTF-16 positions.
fn capabilities() -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        position_encoding: Some(lsp::PositionEncodingKind::UTF16),
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(
            lsp::TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(lsp::TextDocumentSyncKind::FULL),
                save: Some(lsp::TextDocumentSyncSaveOptions::Supported(true)),
                ..Default::default()
            },
        )),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Options(
            lsp::CodeActionOptions {
                code_action_kinds: Some(vec![lsp::CodeActionKind::QUICKFIX]),
                ..Default::default()
            },
        )),
        ..Default::default()
    }
}

/// The workspace folder: the first of `workspaceFolders`, else `rootUri`,
/// else `rootPath`.
#[allow(deprecated)]
fn root_of(params: &lsp::InitializeParams) -> Option<PathBuf> {
    let uri = params
        .workspace_folders
        .as_ref()
        .and_then(|f| f.first())
        .map(|f| f.uri.as_str().to_string())
        .or_else(|| params.root_uri.as_ref().map(|u| u.as_str().to_string()));
    match uri {
        Some(u) if u.starts_with("file:") => Some(PathBuf::from(convert::uri_to_path(&u))),
        Some(_) => None,
        None => params.root_path.as_ref().map(PathBuf::from),
    }
}

/// Whether the client registers file watchers for us.
fn watches_files(params: &lsp::InitializeParams) -> bool {
    params
        .capabilities
        .workspace
        .as_ref()
        .and_then(|w| w.did_change_watched_files.as_ref())
        .and_then(|d| d.dynamic_registration)
        .unwrap_or(false)
}

/// An open document.
struct Open {
    uri: lsp::Uri,
    version: i32,
    /// The buffer's text (what incremental changes apply to).
    text: String,
}

/// The server's state.
struct Server<'c> {
    conn: &'c Connection,
    root: Option<PathBuf>,
    workspace: Workspace,
    /// Open documents by path.
    open: HashMap<String, Open>,
    /// What was last published for each open document.
    published: HashMap<String, Vec<lsp::Diagnostic>>,
    next_id: i32,
}

/// The name of the configuration file.
const CONFIG_FILE: &str = ".mlalert.yaml";

impl<'c> Server<'c> {
    fn new(conn: &'c Connection, root: Option<PathBuf>) -> Server<'c> {
        let mut s = Server {
            conn,
            root,
            workspace: Workspace::new(Vec::new(), Config::default()),
            open: HashMap::new(),
            published: HashMap::new(),
            next_id: 0,
        };
        let config = s.load_config();
        let inputs = s.read_folder();
        let n = inputs.len();
        s.guarded("loading the workspace", |w| {
            *w = Workspace::new(inputs, config);
        });
        s.log(
            lsp::MessageType::INFO,
            format!(
                "mlalert {}: {} files in {}",
                env!("CARGO_PKG_VERSION"),
                n,
                s.root
                    .as_deref()
                    .map_or("no workspace folder".to_string(), |r| r
                        .display()
                        .to_string())
            ),
        );
        s
    }

    /// The folder's `.mlalert.yaml` (or its nearest parent's), or defaults;
    /// an invalid one is shown to the user and defaults are used.
    fn load_config(&mut self) -> Config {
        let Some(path) = self.root.as_deref().and_then(Config::discover) else {
            return Config::default();
        };
        match Config::load(&path) {
            Ok(c) => c,
            Err(e) => {
                let message = format!("mlalert: {e}; using the default settings");
                self.notify::<lsp::notification::ShowMessage>(lsp::ShowMessageParams {
                    typ: lsp::MessageType::ERROR,
                    message: message.clone(),
                });
                self.log(lsp::MessageType::ERROR, message);
                Config::default()
            }
        }
    }

    /// Every file `mlalert lint <folder>` would read, read.
    fn read_folder(&self) -> Vec<Input> {
        let Some(root) = &self.root else {
            return Vec::new();
        };
        let (paths, _) = crate::source::walk_paths(std::slice::from_ref(root));
        paths
            .iter()
            .filter(|p| !is_config(p))
            .map(|p| super::lint::read_input(p, false))
            .collect()
    }

    /// Asks the client to report changes of YAML files and `.mlalert.yaml`.
    fn register_watchers(&mut self) {
        let watchers = ["**/*.{yaml,yml,rules}", "**/.mlalert.yaml"]
            .iter()
            .map(|g| lsp::FileSystemWatcher {
                glob_pattern: lsp::GlobPattern::String(g.to_string()),
                kind: None,
            })
            .collect();
        let options = lsp::DidChangeWatchedFilesRegistrationOptions { watchers };
        let params = lsp::RegistrationParams {
            registrations: vec![lsp::Registration {
                id: "mlalert-watch".to_string(),
                method: lsp::notification::DidChangeWatchedFiles::METHOD.to_string(),
                register_options: serde_json::to_value(options).ok(),
            }],
        };
        self.next_id += 1;
        let req = Request::new(
            RequestId::from(self.next_id),
            lsp::request::RegisterCapability::METHOD.to_string(),
            params,
        );
        self.send(Message::Request(req));
    }

    fn send(&self, msg: Message) {
        // A client that went away ends the receive loop; nothing to do here.
        let _ = self.conn.sender.send(msg);
    }

    fn notify<N: lsp::notification::Notification>(&self, params: N::Params) {
        self.send(Message::Notification(Notification::new(
            N::METHOD.to_string(),
            params,
        )));
    }

    fn log(&self, typ: lsp::MessageType, message: String) {
        self.notify::<lsp::notification::LogMessage>(lsp::LogMessageParams { typ, message });
    }

    /// Runs `f` on the workspace; a panic inside it is logged and the
    /// server goes on. False when `f` panicked.
    fn guarded(&mut self, what: &str, f: impl FnOnce(&mut Workspace)) -> bool {
        let w = &mut self.workspace;
        let Err(panic) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(w))) else {
            return true;
        };
        {
            let why = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            self.log(
                lsp::MessageType::ERROR,
                format!(
                    "mlalert: a check panicked while {what}: {why}; the server goes on (please report this with the file)"
                ),
            );
        }
        false
    }

    /// Sets the text of `path` (an open document's buffer) and publishes;
    /// after a panic nothing is published (the findings would be those of
    /// the text before).
    fn set_text(&mut self, path: &str, text: String) {
        let input = Input::Source(SourceFile::from_text(path, text, 0));
        let checked = self.guarded(&format!("checking {path}"), |w| {
            #[cfg(debug_assertions)]
            test_panic(&input);
            w.update(input);
        });
        if checked {
            self.publish(Some(path));
        }
    }

    /// Reads `path` from disk again (a change reported by the client, or
    /// a closed document): updates it, or drops it when it is gone or lies
    /// outside the workspace folder.
    fn reload_from_disk(&mut self, path: &str) {
        let p = Path::new(path);
        let inside = self.root.as_deref().is_some_and(|r| p.starts_with(r));
        let walked = matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "rules")
        );
        if inside && walked && p.is_file() && !is_config(p) {
            let input = super::lint::read_input(p, false);
            self.guarded(&format!("checking {path}"), |w| w.update(input));
        } else {
            self.guarded(&format!("dropping {path}"), |w| w.remove(path));
        }
    }

    /// Reads `.mlalert.yaml` again and checks everything with it.
    fn reload_config(&mut self) {
        let config = self.load_config();
        self.guarded("applying .mlalert.yaml", |w| w.set_config(config));
        self.log(
            lsp::MessageType::INFO,
            "mlalert: settings read again".to_string(),
        );
    }

    /// Publishes the findings of every open document whose findings changed,
    /// and of `changed` (the document just edited) in any case.
    fn publish(&mut self, changed: Option<&str>) {
        // Only open documents' findings are converted (the workspace may hold
        // thousands of findings in files nobody looks at).
        let files = self.workspace.files();
        let mut by_file: HashMap<usize, Vec<lsp::Diagnostic>> = self
            .open
            .keys()
            .filter_map(|p| Some((self.workspace.file(p)?.0, Vec::new())))
            .collect();
        for d in self.workspace.diagnostics() {
            if let Some(v) = by_file.get_mut(&d.file) {
                v.push(convert::diagnostic(d, files));
            }
        }
        let mut out = Vec::new();
        for (path, open) in &self.open {
            let diags = self
                .workspace
                .file(path)
                .and_then(|(id, _, _)| by_file.remove(&id))
                .unwrap_or_default();
            if changed == Some(path.as_str()) || self.published.get(path) != Some(&diags) {
                out.push((path.clone(), open.uri.clone(), open.version, diags));
            }
        }
        for (path, uri, version, diagnostics) in out {
            self.published.insert(path, diagnostics.clone());
            self.notify::<lsp::notification::PublishDiagnostics>(lsp::PublishDiagnosticsParams {
                uri,
                diagnostics,
                version: Some(version),
            });
        }
    }

    fn notification(&mut self, n: Notification) {
        use lsp::notification as N;
        match n.method.as_str() {
            N::DidOpenTextDocument::METHOD => {
                if let Some(p) = params::<N::DidOpenTextDocument>(n) {
                    let path = convert::uri_to_path(p.text_document.uri.as_str());
                    self.open.insert(
                        path.clone(),
                        Open {
                            uri: p.text_document.uri,
                            version: p.text_document.version,
                            text: p.text_document.text.clone(),
                        },
                    );
                    if is_config(Path::new(&path)) {
                        self.publish(Some(&path));
                    } else {
                        self.set_text(&path, p.text_document.text);
                    }
                }
            }
            N::DidChangeTextDocument::METHOD => {
                if let Some(p) = params::<N::DidChangeTextDocument>(n) {
                    let path = convert::uri_to_path(p.text_document.uri.as_str());
                    let Some(open) = self.open.get_mut(&path) else {
                        return;
                    };
                    open.version = p.text_document.version;
                    for c in p.content_changes {
                        apply_change(&mut open.text, c);
                    }
                    let text = open.text.clone();
                    if is_config(Path::new(&path)) {
                        return;
                    }
                    self.set_text(&path, text);
                }
            }
            N::DidSaveTextDocument::METHOD => {
                if let Some(p) = params::<N::DidSaveTextDocument>(n)
                    && is_config(Path::new(&convert::uri_to_path(
                        p.text_document.uri.as_str(),
                    )))
                {
                    self.reload_config();
                    self.publish(None);
                }
            }
            N::DidCloseTextDocument::METHOD => {
                if let Some(p) = params::<N::DidCloseTextDocument>(n) {
                    let path = convert::uri_to_path(p.text_document.uri.as_str());
                    self.open.remove(&path);
                    self.published.remove(&path);
                    if !is_config(Path::new(&path)) {
                        self.reload_from_disk(&path);
                    }
                    self.notify::<N::PublishDiagnostics>(lsp::PublishDiagnosticsParams {
                        uri: p.text_document.uri,
                        diagnostics: Vec::new(),
                        version: None,
                    });
                    self.publish(None);
                }
            }
            N::DidChangeWatchedFiles::METHOD => {
                if let Some(p) = params::<N::DidChangeWatchedFiles>(n) {
                    let mut config = false;
                    for change in p.changes {
                        let path = convert::uri_to_path(change.uri.as_str());
                        if is_config(Path::new(&path)) {
                            config = true;
                        } else if !self.open.contains_key(&path) {
                            // An open document's buffer wins over the file on disk.
                            self.reload_from_disk(&path);
                        }
                    }
                    if config {
                        self.reload_config();
                    }
                    self.publish(None);
                }
            }
            _ => {}
        }
    }

    fn request(&mut self, req: Request) {
        use lsp::request as R;
        let id = req.id.clone();
        let result = match req.method.as_str() {
            R::CodeActionRequest::METHOD => {
                match req.extract::<lsp::CodeActionParams>(R::CodeActionRequest::METHOD) {
                    Ok((_, p)) => serde_json::to_value(self.code_actions(&p)),
                    Err(e) => return self.bad_request(id, e),
                }
            }
            R::HoverRequest::METHOD => {
                match req.extract::<lsp::HoverParams>(R::HoverRequest::METHOD) {
                    Ok((_, p)) => serde_json::to_value(self.hover(&p)),
                    Err(e) => return self.bad_request(id, e),
                }
            }
            _ => {
                self.send(Message::Response(Response::new_err(
                    id,
                    lsp_server::ErrorCode::MethodNotFound as i32,
                    format!("mlalert server does not handle {}", req.method),
                )));
                return;
            }
        };
        let response = match result {
            Ok(v) => Response::new_ok(id, v),
            Err(e) => Response::new_err(
                id,
                lsp_server::ErrorCode::InternalError as i32,
                e.to_string(),
            ),
        };
        self.send(Message::Response(response));
    }

    fn bad_request(&self, id: RequestId, e: ExtractError<Request>) {
        self.send(Message::Response(Response::new_err(
            id,
            lsp_server::ErrorCode::InvalidParams as i32,
            e.to_string(),
        )));
    }

    /// The quick fixes for the findings in `p.range`: each finding's fix,
    /// then "disable for this rule" and "disable in this file".
    fn code_actions(&self, p: &lsp::CodeActionParams) -> Vec<lsp::CodeActionOrCommand> {
        let path = convert::uri_to_path(p.text_document.uri.as_str());
        let Some((id, source, loaded)) = self.workspace.file(&path) else {
            return Vec::new();
        };
        let uri = &p.text_document.uri;
        let (from, to) = (
            convert::offset(source, p.range.start),
            convert::offset(source, p.range.end),
        );
        let files = self.workspace.files();
        let mut out = Vec::new();
        let mut disables = Vec::new();
        for d in self
            .workspace
            .diagnostics()
            .iter()
            .filter(|d| d.file == id && d.span.start <= to && from <= d.span.end)
        {
            let ld = convert::diagnostic(d, files);
            if let Some(fix) = &d.fix {
                out.push(convert::fix_action(fix, uri, source, &ld));
            }
            let Some(loaded) = loaded else { continue };
            if let Some((edit, node)) = crate::lint::suppress::disable_edit(source, loaded, d) {
                let what = if is_rule(loaded, node) {
                    "rule"
                } else {
                    "node"
                };
                let title = format!("Disable {} for this {what}", d.lint.name);
                if !disables.contains(&title) {
                    disables.push(title.clone());
                    out.push(convert::quick_fix(title, uri, source, &[edit], &ld, false));
                }
            }
            let title = format!("Disable {} in this file", d.lint.name);
            if !disables.contains(&title) {
                disables.push(title.clone());
                let edit = crate::lint::suppress::disable_file_edit(source, d);
                out.push(convert::quick_fix(title, uri, source, &[edit], &ld, false));
            }
        }
        out.into_iter()
            .map(lsp::CodeActionOrCommand::CodeAction)
            .collect()
    }

    /// Hover text at `p`: the findings there, else the metric there.
    fn hover(&self, p: &lsp::HoverParams) -> Option<lsp::Hover> {
        let at = &p.text_document_position_params;
        let path = convert::uri_to_path(at.text_document.uri.as_str());
        let (id, source, loaded) = self.workspace.file(&path)?;
        let offset = convert::offset(source, at.position);
        let here: Vec<&crate::diagnostic::Diagnostic> = self
            .workspace
            .diagnostics()
            .iter()
            .filter(|d| d.file == id && d.span.start <= offset && offset <= d.span.end)
            .collect();
        let (text, span) = match hover::findings(&here) {
            Some(h) => h,
            None => {
                let (name, span) = hover::metric_at(loaded?, offset)?;
                (hover::metric(&name, &self.recorded_by(&name)), span)
            }
        };
        Some(lsp::Hover {
            contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                kind: lsp::MarkupKind::Markdown,
                value: text,
            }),
            range: Some(convert::range(source, span)),
        })
    }

    /// `path:line` of every recording rule of the workspace that records `name`.
    fn recorded_by(&self, name: &str) -> Vec<String> {
        let mut out = Vec::new();
        let files = self.workspace.files().iter();
        for (source, loaded) in files
            .zip(self.workspace.loaded())
            .filter_map(|(s, l)| Some((s, l.as_ref()?)))
        {
            for rf in &loaded.rule_files {
                for g in &rf.groups {
                    for r in g
                        .rules
                        .iter()
                        .filter(|r| !r.is_alert() && r.name.value == name)
                    {
                        out.push(format!(
                            "{}:{}",
                            source.path,
                            source.line_col(r.span.start).line
                        ));
                    }
                }
            }
        }
        out
    }
}

/// Whether `node` is the span of a rule of `loaded`.
fn is_rule(loaded: &crate::model::LoadedFile, node: crate::source::Span) -> bool {
    loaded
        .rule_files
        .iter()
        .flat_map(|rf| &rf.groups)
        .flat_map(|g| &g.rules)
        .any(|r| r.span == node)
}

fn is_config(p: &Path) -> bool {
    p.file_name().is_some_and(|n| n == CONFIG_FILE)
}

/// The params of notification `n`, or `None` when they are not of its shape.
fn params<N: lsp::notification::Notification>(n: Notification) -> Option<N::Params> {
    n.extract(N::METHOD).ok()
}

/// Applies one `didChange` content change to `text`: the whole text, or a
/// range (UTF-16 positions) replaced.
fn apply_change(text: &mut String, c: lsp::TextDocumentContentChangeEvent) {
    match c.range {
        None => *text = c.text,
        Some(r) => {
            let source = SourceFile::from_text("", std::mem::take(text), 0);
            let (a, b) = (
                convert::offset(&source, r.start),
                convert::offset(&source, r.end),
            );
            let mut t = source.text;
            t.replace_range(a..b.max(a), &c.text);
            *text = t;
        }
    }
}

/// Debug builds only, for the test suite: a document whose text holds
/// `MLALERT_SERVER_TEST_PANIC` (the environment variable's value) panics
/// while it is checked, so the test can see that the server goes on.
#[cfg(debug_assertions)]
fn test_panic(input: &Input) {
    if let (Ok(marker), Input::Source(s)) = (std::env::var("MLALERT_SERVER_TEST_PANIC"), input)
        && !marker.is_empty()
        && s.text.contains(&marker)
    {
        panic!("test panic: the document holds {marker:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incremental_changes_apply_at_utf16_positions() {
        let mut text = "a: 🔥x\nb: 1\n".to_string();
        let change = |l0, c0, l1, c1, t: &str| lsp::TextDocumentContentChangeEvent {
            range: Some(lsp::Range::new(
                lsp::Position::new(l0, c0),
                lsp::Position::new(l1, c1),
            )),
            range_length: None,
            text: t.to_string(),
        };
        // After "a: 🔥" (5 UTF-16 units): replace "x".
        apply_change(&mut text, change(0, 5, 0, 6, "y"));
        assert_eq!(text, "a: 🔥y\nb: 1\n");
        // Across the line break.
        apply_change(&mut text, change(0, 6, 1, 1, "\nc"));
        assert_eq!(text, "a: 🔥y\nc: 1\n");
        // The whole text.
        apply_change(
            &mut text,
            lsp::TextDocumentContentChangeEvent {
                range: None,
                range_length: None,
                text: "z: 2\n".to_string(),
            },
        );
        assert_eq!(text, "z: 2\n");
    }
}
