//! `mlalert lint`.

use std::io::{IsTerminal, Write};
use std::path::Path;

use rayon::prelude::*;

use super::{Color, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, Format, LintArgs};
use crate::config::Config;
use crate::lint::input::{file_unreadable, yaml_syntax};
use crate::lint::{self, Diagnostic, FileId};
use crate::model::rules::RuleFile;
use crate::render;
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
    let results: Vec<(SourceFile, Vec<Diagnostic>, bool, Vec<RuleFile>)> = paths
        .par_iter()
        .enumerate()
        .map(|(id, path)| check_path(id, path, &config))
        .collect();

    let mut files = Vec::with_capacity(results.len() + walk_errors.len());
    let mut diags = Vec::new();
    let mut failed = false;
    let mut rule_files = Vec::with_capacity(results.len());
    for (source, d, f, rf) in results {
        files.push(source);
        diags.extend(d);
        failed |= f;
        rule_files.push(rf);
    }
    // Whole-project passes, once, over every loaded file.
    let project: Vec<lint::ProjectFile> = files
        .iter()
        .zip(&rule_files)
        .enumerate()
        .map(|(file, (source, rf))| lint::ProjectFile {
            file,
            source,
            rule_files: rf,
        })
        .collect();
    diags.extend(lint::check_project(&project, &config));
    drop(project);
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

    let t1 = t0.elapsed();
    let resolved = render::resolve(&diags, &files);
    let text = match args.format {
        Format::Human => render::human::render(&resolved, &diags, &files, use_color(args.color)),
        Format::Json => render::json::render(&resolved, &diags, files.len()) + "\n",
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

fn load_config(explicit: Option<&Path>) -> Result<Config, String> {
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

/// Reads and lints one file. Returns its source, diagnostics, whether
/// mlalert could not do its job on it (unreadable, not YAML), and its rule
/// files for the whole-project pass.
fn check_path(
    id: FileId,
    path: &Path,
    config: &Config,
) -> (SourceFile, Vec<Diagnostic>, bool, Vec<RuleFile>) {
    let display = path.display().to_string();
    match read(path) {
        Ok(bytes) => match SourceFile::new(display.clone(), bytes) {
            Ok(source) => {
                let (loaded, diags) = lint::lint_source(id, &source, config);
                let failed = diags
                    .iter()
                    .any(|d| std::ptr::eq(d.lint, &yaml_syntax::META));
                (source, diags, failed, loaded.rule_files)
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
                (*lossy, vec![diag], true, Vec::new())
            }
        },
        Err(message) => unreadable(id, display, &message),
    }
}

fn unreadable(
    id: FileId,
    path: String,
    message: &str,
) -> (SourceFile, Vec<Diagnostic>, bool, Vec<RuleFile>) {
    let diag = Diagnostic::new(
        &file_unreadable::META,
        id,
        Span::point(0),
        message.to_string(),
    )
    .with_help("mlalert reads UTF-8 YAML files; check the path and the file's contents");
    (
        SourceFile::from_text(path, String::new(), 0),
        vec![diag],
        true,
        Vec::new(),
    )
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
