//! `mlalert lint`.

use std::io::{IsTerminal, Write};
use std::path::Path;

use rayon::prelude::*;

use super::{Color, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, Format, LintArgs};
use crate::config::Config;
use crate::diagnostic::input::file_unreadable;
use crate::lint::baseline::Baseline;
use crate::lint::{self, Diagnostic, FileId};
use crate::model::LoadedFile;
use crate::render;
use crate::source::diff::Changes;
use crate::source::{SourceError, SourceFile, Span, walk_paths};

/// Files larger than this are refused (a rule file is rarely over a few MiB).
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// Runs `mlalert lint`; returns the exit code.
pub fn run(args: &LintArgs) -> u8 {
    let start = std::time::Instant::now();
    let config = match load_config(args.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("mlalert: {e}");
            return EXIT_ERROR;
        }
    };
    let (paths, walk_errors) = walk_paths(&args.paths);

    let t0 = std::time::Instant::now();
    // Read and lint every file in parallel; each result is independent.
    let progress = Progress::start(paths.len(), args.quiet);
    let results: Vec<Checked> = paths
        .par_iter()
        .enumerate()
        .map(|(id, path)| {
            let c = check_path(id, path, &config);
            progress.tick();
            c
        })
        .collect();
    progress.finish();

    let mut files = Vec::with_capacity(results.len() + walk_errors.len());
    let mut loaded = Vec::with_capacity(results.len());
    let mut diags = Vec::new();
    let mut failed = false;
    for c in results {
        files.push(c.source);
        loaded.push(c.loaded);
        diags.extend(c.diags);
        failed |= c.failed;
    }
    // Whole-project passes (rules ↔ Alertmanager configs), once.
    let project: Vec<lint::ProjectFile> = files
        .iter()
        .zip(&loaded)
        .enumerate()
        .filter_map(|(file, (source, l))| {
            l.as_ref().map(|loaded| lint::ProjectFile {
                file,
                source,
                loaded,
            })
        })
        .collect();
    diags.extend(lint::check_project(&lint::ProjectCtx::new(
        project, &config,
    )));
    // Per-path overrides apply after every pass, project-wide ones included.
    if !config.overrides.is_empty() {
        diags.retain_mut(|d| {
            match config.for_path(Path::new(&files[d.file].path), d.lint, d.severity) {
                Some(s) => {
                    d.severity = s;
                    true
                }
                None => false,
            }
        });
    }
    // Suppression comments apply after every pass, project-wide ones included.
    for (id, (source, l)) in files.iter().zip(&loaded).enumerate() {
        if let Some(l) = l {
            lint::suppress::apply(id, source, l, &config, &mut diags);
        }
    }
    for e in walk_errors {
        let id = files.len();
        files.push(SourceFile::from_text(e.path.clone(), String::new(), 0));
        diags.push(Diagnostic::new(
            &file_unreadable::META,
            id,
            Span::point(0),
            e.message,
        ));
        failed = true;
    }
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    lint::sort(&mut diags, &paths);

    if let Some(out) = &args.write_baseline {
        let baseline = Baseline::of(&diags, &files);
        let text = serde_json::to_string_pretty(&baseline).unwrap_or_default() + "\n";
        return match std::fs::write(out, text) {
            Ok(()) => {
                eprintln!(
                    "mlalert: wrote {} findings to {}",
                    baseline.findings.len(),
                    out.display()
                );
                if failed { EXIT_ERROR } else { EXIT_OK }
            }
            Err(e) => {
                eprintln!("mlalert: cannot write {}: {e}", out.display());
                EXIT_ERROR
            }
        };
    }
    if let Some(path) = &args.baseline {
        let baseline: Baseline = match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
        {
            Ok(b) => b,
            Err(e) => {
                eprintln!("mlalert: {}: not a baseline file: {e}", path.display());
                return EXIT_ERROR;
            }
        };
        baseline.filter(&mut diags, &files);
    }
    if let Some(base) = &args.diff_base {
        let cwd = std::env::current_dir().unwrap_or_else(|_| ".".into());
        let changes = match Changes::since(&cwd, base) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("mlalert: --diff-base {base}: {e}");
                return EXIT_ERROR;
            }
        };
        diags.retain(|d| {
            let f = &files[d.file];
            changes.touches(Path::new(&f.path), f.line_col(d.span.start).line)
        });
    }

    let t1 = t0.elapsed();
    let resolved = render::resolve(&diags, &files);
    let text = match args.format {
        Format::Human => {
            let mut text = render::human::render(&resolved, &diags, &files, use_color(args.color));
            if args.quiet {
                // Drop the summary line.
                text.truncate(text.trim_end_matches('\n').rfind('\n').map_or(0, |i| i + 1));
            }
            if args.statistics {
                text.push_str(&render::statistics(&diags));
            }
            text
        }
        Format::Json => render::json::render(&resolved, &diags, files.len()) + "\n",
        Format::Sarif => render::sarif::render(&resolved) + "\n",
        Format::Github => render::github::render(&resolved),
    };
    if std::env::var_os("MLALERT_TIMINGS").is_some() {
        eprintln!(
            "mlalert: setup {:?}, read+lint {:?}, render {:?}",
            t0 - start,
            t1,
            t0.elapsed() - t1
        );
    }
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
        .is_err()
    {
        return EXIT_ERROR;
    }
    if failed {
        EXIT_ERROR
    } else if diags.iter().any(|d| d.severity >= args.fail_on) {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// The config given with `--config`, else the discovered `.mlalert.yaml`, else defaults.
pub(crate) fn load_config(explicit: Option<&Path>) -> Result<Config, String> {
    match explicit {
        Some(p) => Config::load(p).map_err(|e| e.to_string()),
        None => {
            let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
            match Config::discover(&cwd) {
                Some(p) => Config::load(&p).map_err(|e| e.to_string()),
                None => Ok(Config::default()),
            }
        }
    }
}

/// "checked N/M files" on stderr while a long run goes on, when stderr is a
/// terminal (never in pipes, CI logs or with `--quiet`).
struct Progress {
    done: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    /// Shown only for runs of at least this many files.
    const MIN_FILES: usize = 200;

    fn start(total: usize, quiet: bool) -> Progress {
        use std::sync::atomic::Ordering;
        let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let show = !quiet && total >= Self::MIN_FILES && std::io::stderr().is_terminal();
        let thread = show.then(|| {
            let (done, stop) = (done.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    eprint!(
                        "\rmlalert: checked {}/{total} files",
                        done.load(Ordering::Relaxed)
                    );
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                eprint!("\r\x1b[2K");
            })
        });
        Progress { done, stop, thread }
    }

    fn tick(&self) {
        self.done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    fn finish(mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One file after the per-file pass.
struct Checked {
    source: SourceFile,
    /// Its models, when it could be read.
    loaded: Option<LoadedFile>,
    diags: Vec<Diagnostic>,
    /// mlalert could not do its job on it (unreadable, not YAML).
    failed: bool,
}

/// Reads and lints one file.
fn check_path(id: FileId, path: &Path, config: &Config) -> Checked {
    let display = path.display().to_string();
    match read(path) {
        Ok(bytes) => match SourceFile::new(display.clone(), bytes) {
            Ok(source) => {
                let (loaded, diags) = lint::lint_source(id, &source, config);
                let failed = loaded.yaml_error;
                Checked {
                    source,
                    loaded: Some(loaded),
                    diags,
                    failed,
                }
            }
            Err(SourceError::NotUtf8 {
                offset,
                value,
                lossy,
                ..
            }) => {
                let diag = Diagnostic::new(
                    &file_unreadable::META,
                    id,
                    Span::new(offset, offset + 1),
                    format!("file is not valid UTF-8 (invalid byte 0x{value:02X})"),
                )
                .with_help("Prometheus and Alertmanager read UTF-8 YAML: re-encode the file (e.g. `iconv -f latin1 -t utf-8`)");
                Checked {
                    source: *lossy,
                    loaded: None,
                    diags: vec![diag],
                    failed: true,
                }
            }
        },
        Err(message) => unreadable(id, display, &message),
    }
}

fn unreadable(id: FileId, path: String, message: &str) -> Checked {
    let diag = Diagnostic::new(
        &file_unreadable::META,
        id,
        Span::point(0),
        message.to_string(),
    )
    .with_help("mlalert reads UTF-8 YAML files; check the path and the file's contents");
    Checked {
        source: SourceFile::from_text(path, String::new(), 0),
        loaded: None,
        diags: vec![diag],
        failed: true,
    }
}

/// The file's bytes, or why they cannot be linted.
fn read(path: &Path) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| io_message(&e))?;
    if meta.is_dir() {
        return Err("is a directory, not a YAML file".to_string());
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!(
            "file is {:.1} MiB, larger than the {} MiB limit for a rule or Alertmanager file",
            meta.len() as f64 / 1048576.0,
            MAX_FILE_BYTES / 1048576
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| io_message(&e))?;
    if bytes.contains(&0) {
        return Err("binary file (contains NUL bytes), not YAML".to_string());
    }
    Ok(bytes)
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

fn use_color(c: Color) -> bool {
    match c {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}
