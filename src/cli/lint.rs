//! `mlalert lint`.

use std::io::{IsTerminal, Write};
use std::path::Path;

use rayon::prelude::*;

use super::{Color, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, Format, LintArgs};
use crate::config::Config;
use crate::lint::baseline::{Baseline, BaselinePaths};
use crate::lint::{self};
use crate::render;
use crate::source::diff::Changes;
use crate::source::{
    NOTHING_TO_LINT, SourceError, SourceFile, Span, read_file, read_stdin, walk_paths,
};

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
    let stdin = Path::new("-");
    let from_stdin = args.paths.iter().filter(|p| p.as_path() == stdin).count();
    if from_stdin > 1 {
        eprintln!("mlalert: `-` (standard input) may be given once");
        return EXIT_ERROR;
    }
    if from_stdin == 1 && args.diff_base.is_some() {
        eprintln!(
            "mlalert: --diff-base compares files with git; it cannot be used with `-` (standard input)"
        );
        return EXIT_ERROR;
    }
    let named_paths: Vec<std::path::PathBuf> = args
        .paths
        .iter()
        .filter(|p| p.as_path() != stdin)
        .cloned()
        .collect();
    let (paths, walk_errors) = if named_paths.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        walk_paths(&named_paths)
    };

    let t0 = std::time::Instant::now();
    // Read every file in parallel, then run the one lint pipeline over them.
    let progress = Progress::start(paths.len(), args.quiet);
    // Files the user named (not found by walking a directory).
    let named: Vec<&std::path::PathBuf> = args.paths.iter().filter(|p| !p.is_dir()).collect();
    let mut inputs: Vec<lint::Input> = paths
        .par_iter()
        .map(|path| read_input(path, named.contains(&path)))
        .collect();
    if from_stdin == 1 {
        let name = args
            .stdin_filename
            .as_ref()
            .map_or_else(|| "<stdin>".to_string(), |p| p.display().to_string());
        let bytes = read_stdin().map_err(|e| e.to_string()).and_then(not_binary);
        inputs.push(input_from(name, true, bytes));
    }
    for e in walk_errors {
        let help = (e.message == NOTHING_TO_LINT).then(|| {
            "name the rule files or Alertmanager configs, or the directory that holds them"
                .to_string()
        });
        inputs.push(lint::Input::Unreadable {
            source: SourceFile::from_text(e.path.clone(), String::new(), 0),
            span: Span::point(0),
            message: e.message,
            help,
        });
    }
    let mut fixed = None;
    let report = if args.fix || args.diff {
        if from_stdin == 1 && args.fix {
            progress.finish();
            eprintln!("mlalert: --fix cannot write standard input; use --diff");
            return EXIT_ERROR;
        }
        if args.prometheus.is_some() {
            eprintln!(
                "mlalert: note: --fix and --diff do not ask Prometheus; the Prometheus lints use the committed snapshot, if any"
            );
        }
        let unsafe_fixes = args.unsafe_fixes;
        let mut outcome =
            lint::fix::fix_run(inputs, &config, &|d| lint::fix::considered(d, unsafe_fixes));
        progress.finish();
        for (r, why) in &outcome.refused {
            eprintln!(
                "mlalert: {}: fix of {} {} not applied ({}): {why}",
                outcome.report.files[r.file].path, r.lint.code, r.lint.name, r.title
            );
        }
        if args.diff {
            return print_diff(&outcome, unsafe_fixes, args.quiet);
        }
        if let Err(code) = write_fixed(&outcome) {
            return code;
        }
        let report = std::mem::replace(&mut outcome.report, empty_report());
        fixed = Some(outcome);
        report
    } else {
        let snapshot_path = config.snapshot_path();
        let live = live_settings(&config, args.prometheus.as_deref());
        let fetch = |names: &std::collections::BTreeSet<String>| {
            let settings = live.as_ref()?;
            match fetch_facts(settings, names) {
                Ok(f) => {
                    // `--prometheus` refreshes a committed snapshot.
                    if snapshot_path.is_file() {
                        match std::fs::write(&snapshot_path, f.to_json()) {
                            Ok(()) => eprintln!("mlalert: refreshed {}", snapshot_path.display()),
                            Err(e) => eprintln!(
                                "mlalert: warning: cannot write {}: {e}",
                                snapshot_path.display()
                            ),
                        }
                    }
                    Some(f)
                }
                Err(e) => {
                    let fallback = if config.facts.is_some() {
                        format!(
                            "the Prometheus lints use the snapshot {}",
                            snapshot_path.display()
                        )
                    } else {
                        "the Prometheus lints (ML5xx) are skipped; the other lints ran".to_string()
                    };
                    eprintln!("mlalert: warning: {e}; {fallback}");
                    None
                }
            }
        };
        let report = lint::run_with_facts(inputs, &config, &|| progress.tick(), &fetch);
        progress.finish();
        report
    };
    let alerts: usize = report
        .loaded
        .iter()
        .flatten()
        .map(|l| l.alert_count())
        .sum();
    let lint::Report {
        files,
        loaded,
        diagnostics: mut diags,
        failed,
    } = report;
    // Secret values of each file: never shown in a snippet.
    let secrets: Vec<Vec<Span>> = loaded
        .into_iter()
        .map(|l| l.map(|l| l.secrets).unwrap_or_default())
        .collect();

    let baseline_paths = || {
        let cwd = std::env::current_dir().unwrap_or_default();
        let config = args.config.clone().or_else(|| Config::discover(&cwd));
        BaselinePaths::discover(&cwd, config.as_deref())
    };
    if let Some(out) = &args.write_baseline {
        let baseline = Baseline::of(&diags, &files, &baseline_paths());
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
        let baseline: Baseline = match read_file(path)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
        {
            Ok(b) => b,
            Err(e) => {
                eprintln!("mlalert: {}: not a baseline file: {e}", path.display());
                return EXIT_ERROR;
            }
        };
        baseline.filter(&mut diags, &files, &baseline_paths());
    }
    if let Some(base) = &args.diff_base {
        // Each file is diffed in its own repository (a submodule's file in
        // the submodule); only files with findings need git.
        let mut with_findings: Vec<usize> = diags
            .iter()
            .filter(|d| !lint::is_input_failure(d))
            .map(|d| d.file)
            .collect();
        with_findings.sort_unstable();
        with_findings.dedup();
        let changes = match Changes::for_paths(
            with_findings.iter().map(|&f| Path::new(&files[f].path)),
            base,
        ) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("mlalert: --diff-base {}: {e}", base.escape_debug());
                return EXIT_ERROR;
            }
        };
        diags.retain(|d| {
            let f = &files[d.file];
            lint::is_input_failure(d)
                || changes.touches(Path::new(&f.path), f.line_col(d.span.start).line)
        });
    }

    let t1 = t0.elapsed();
    let resolved = render::resolve(&diags, &files);
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    // Findings are written as they are rendered, not collected first.
    let written = match args.format {
        Format::Human => {
            let options = render::human::Options {
                color: use_color(args.color),
                // --quiet drops the summary line.
                summary: !args.quiet,
                width: render::human::terminal_width(),
            };
            render::human::render(&mut stdout, &resolved, &diags, &files, &secrets, options)
                .and_then(|()| {
                    // A repository that never writes runbooks hears it once, not per alert.
                    let no_runbook = diags
                        .iter()
                        .filter(|d| d.lint.code == crate::lint::rules::missing_runbook::META.code)
                        .count();
                    if alerts > 1 && no_runbook == alerts && !args.quiet {
                        writeln!(
                            stdout,
                            "note: none of the {alerts} alerting rules has a runbook link; if your team does not write runbooks, `disable: [missing-runbook]` in .mlalert.yaml"
                        )?;
                    }
                    if args.statistics {
                        stdout.write_all(render::statistics(&diags).as_bytes())?;
                    }
                    Ok(())
                })
        }
        Format::Json => stdout
            .write_all((render::json::render(&resolved, &diags, files.len()) + "\n").as_bytes()),
        Format::Sarif => stdout.write_all((render::sarif::render(&resolved) + "\n").as_bytes()),
        Format::Github => stdout.write_all(render::github::render(&resolved).as_bytes()),
        Format::Gitlab => stdout.write_all((render::gitlab::render(&resolved) + "\n").as_bytes()),
        Format::Markdown => stdout.write_all(
            render::markdown::render(&resolved, &diags, files.len(), args.link_base.as_deref())
                .as_bytes(),
        ),
    };
    if let Some(outcome) = &fixed
        && !args.quiet
    {
        eprintln!("{}", fix_summary(outcome, &diags, args.unsafe_fixes));
    }
    // Machine formats keep stdout to the format; the counts go to stderr.
    if args.statistics && args.format != Format::Human {
        eprint!("{}", render::statistics(&diags).trim_start_matches('\n'));
    }
    if std::env::var_os("MLALERT_TIMINGS").is_some() {
        eprintln!(
            "mlalert: setup {:?}, read+lint {:?}, render {:?}",
            t0 - start,
            t1,
            t0.elapsed() - t1
        );
    }
    // A reader that stopped reading (`| head`) does not change the verdict.
    if let Err(e) = written.and_then(|()| stdout.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
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

fn empty_report() -> lint::Report {
    lint::Report {
        files: Vec::new(),
        loaded: Vec::new(),
        diagnostics: Vec::new(),
        failed: false,
    }
}

/// `--diff`: every changed file's unified diff on stdout, a count on
/// stderr; exit 1 when something would change, 2 when an input could not
/// be read or is not YAML, else 0. Writes nothing.
fn print_diff(outcome: &lint::fix::Outcome, unsafe_fixes: bool, quiet: bool) -> u8 {
    let mut out = String::new();
    let mut changed = 0;
    for (i, f) in outcome.report.files.iter().enumerate() {
        if outcome.changed(i) {
            changed += 1;
            out.push_str(&lint::fix::unified_diff(
                &f.path,
                &outcome.original[i],
                &outcome.texts[i],
            ));
        }
    }
    super::write_stdout(out.as_bytes());
    if !quiet {
        let n = outcome.applied.len();
        let mut line = format!(
            "mlalert: {n} fix{} would be applied to {changed} file{}",
            if n == 1 { "" } else { "es" },
            if changed == 1 { "" } else { "s" }
        );
        let unsafe_left = unsafe_available(&outcome.report.diagnostics, unsafe_fixes);
        if unsafe_left > 0 {
            line.push_str(&format!(
                "; {unsafe_left} unsafe fix{} available with --unsafe-fixes",
                if unsafe_left == 1 { "" } else { "es" }
            ));
        }
        eprintln!("{line}");
    }
    if outcome.report.failed {
        EXIT_ERROR
    } else if changed > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// Unsafe fixes the findings offer that this run did not consider.
fn unsafe_available(diags: &[lint::Diagnostic], unsafe_fixes: bool) -> usize {
    if unsafe_fixes {
        return 0;
    }
    diags
        .iter()
        .filter(|d| {
            d.fix
                .as_ref()
                .is_some_and(|f| f.applicability == crate::diagnostic::Applicability::Unsafe)
        })
        .count()
}

/// `--fix`: writes every changed file (its BOM kept); `Err(exit code)`
/// after reporting a file that cannot be written.
fn write_fixed(outcome: &lint::fix::Outcome) -> Result<(), u8> {
    for (i, f) in outcome.report.files.iter().enumerate() {
        if !outcome.changed(i) {
            continue;
        }
        let mut bytes = if f.bom_len == 3 {
            b"\xEF\xBB\xBF".to_vec()
        } else {
            Vec::new()
        };
        bytes.extend_from_slice(outcome.texts[i].as_bytes());
        if let Err(e) = std::fs::write(&f.path, bytes) {
            eprintln!("mlalert: cannot write {}: {e}", f.path);
            return Err(EXIT_ERROR);
        }
    }
    Ok(())
}

/// The line after `--fix`: fixes applied, files written, unsafe fixes left.
fn fix_summary(
    outcome: &lint::fix::Outcome,
    left: &[lint::Diagnostic],
    unsafe_fixes: bool,
) -> String {
    let n = outcome.applied.len();
    let files = (0..outcome.texts.len())
        .filter(|&i| outcome.changed(i))
        .count();
    let mut line = format!(
        "mlalert: applied {n} fix{} in {files} file{}",
        if n == 1 { "" } else { "es" },
        if files == 1 { "" } else { "s" }
    );
    let unsafe_left = unsafe_available(left, unsafe_fixes);
    if unsafe_left > 0 {
        line.push_str(&format!(
            "; {unsafe_left} unsafe fix{} available with --unsafe-fixes",
            if unsafe_left == 1 { "" } else { "es" }
        ));
    }
    line
}

/// The config given with `--config`, else the discovered `.mlalert.yaml`,
/// else defaults (with the snapshot `.mlalert/prometheus.json` of the
/// working directory when there is one).
pub(crate) fn load_config(explicit: Option<&Path>) -> Result<Config, String> {
    match explicit {
        Some(p) => Config::load(p).map_err(|e| e.to_string()),
        None => {
            let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
            match Config::discover(&cwd) {
                Some(p) => Config::load(&p).map_err(|e| e.to_string()),
                None => {
                    let mut c = Config::default();
                    c.load_snapshot()?;
                    Ok(c)
                }
            }
        }
    }
}

/// The Prometheus to ask: `--prometheus URL` over `prometheus.url`, with
/// the config's other `prometheus.*` settings; `None` without a URL.
pub(crate) fn live_settings(
    config: &Config,
    flag: Option<&str>,
) -> Option<crate::prometheus::PrometheusSettings> {
    let mut s = config
        .prometheus
        .clone()
        .unwrap_or_else(|| crate::prometheus::PrometheusSettings::new(""));
    if let Some(url) = flag {
        s.url = url.to_string();
    }
    (!s.url.is_empty()).then_some(s)
}

/// The facts about `names`, fetched from the Prometheus of `settings`.
fn fetch_facts(
    settings: &crate::prometheus::PrometheusSettings,
    names: &std::collections::BTreeSet<String>,
) -> Result<crate::prometheus::PrometheusFacts, crate::prometheus::Error> {
    let client = crate::prometheus::Client::new(settings)?;
    crate::prometheus::gather::gather(&client, settings, names)
}

/// Runs `mlalert snapshot`; returns the exit code.
pub fn snapshot(args: &super::SnapshotArgs) -> u8 {
    let config = match load_config(args.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("mlalert: {e}");
            return EXIT_ERROR;
        }
    };
    let Some(settings) = live_settings(&config, args.prometheus.as_deref()) else {
        eprintln!("mlalert: snapshot needs --prometheus URL (or prometheus.url in .mlalert.yaml)");
        return EXIT_ERROR;
    };
    let (paths, errors) = walk_paths(&args.paths);
    for e in &errors {
        eprintln!("mlalert: {e}");
    }
    if !errors.is_empty() {
        return EXIT_ERROR;
    }
    let inputs = paths.iter().map(|p| read_input(p, false)).collect();
    let (_, names) = lint::conventions_and_names(inputs, &config);
    let facts = match fetch_facts(&settings, &names) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("mlalert: {e}");
            return EXIT_ERROR;
        }
    };
    let out = args
        .output
        .clone()
        .unwrap_or_else(|| config.snapshot_path());
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::create_dir_all(dir);
    }
    match std::fs::write(&out, facts.to_json()) {
        Ok(()) => {
            eprintln!(
                "mlalert: wrote {} ({} metrics with series, {} without, {} jobs)",
                out.display(),
                facts.metrics.len(),
                facts.absent.len(),
                facts.jobs.len()
            );
            EXIT_OK
        }
        Err(e) => {
            eprintln!("mlalert: cannot write {}: {e}", out.display());
            EXIT_ERROR
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

/// Reads one file as the pipeline's input.
pub(crate) fn read_input(path: &Path, named: bool) -> lint::Input {
    input_from(path.display().to_string(), named, read(path))
}

/// The pipeline's input for the bytes read as `display` (a path, or the
/// name standard input stands for), or for why they could not be read.
pub(crate) fn input_from(
    display: String,
    named: bool,
    bytes: Result<Vec<u8>, String>,
) -> lint::Input {
    // Paths print the same in every format: as given, without `./`.
    let mut display = display.as_str();
    while let Some(rest) = display.strip_prefix("./") {
        display = rest.trim_start_matches('/');
    }
    let display = display.to_string();
    let unreadable =
        |source: SourceFile, span: Span, message: String, help: &str| lint::Input::Unreadable {
            source,
            span,
            message,
            help: Some(help.to_string()),
        };
    match bytes {
        Ok(bytes) => match SourceFile::new(display, bytes) {
            Ok(source) if named => lint::Input::Named(source),
            Ok(source) => lint::Input::Source(source),
            Err(SourceError::NotUtf8 {
                offset,
                value,
                lossy,
                ..
            }) => unreadable(
                *lossy,
                Span::new(offset, offset + 1),
                format!("file is not valid UTF-8 (invalid byte 0x{value:02X})"),
                "Prometheus and Alertmanager read UTF-8 YAML: re-encode the file (e.g. `iconv -f latin1 -t utf-8`)",
            ),
        },
        Err(message) => unreadable(
            SourceFile::from_text(display, String::new(), 0),
            Span::point(0),
            message,
            "mlalert reads UTF-8 YAML files; check the path and the file's contents",
        ),
    }
}

/// The file's bytes (through the one reader, [`read_file`], and its byte
/// limit), or why they cannot be linted.
fn read(path: &Path) -> Result<Vec<u8>, String> {
    read_file(path)
        .map_err(|e| e.to_string())
        .and_then(not_binary)
}

/// The bytes unless they hold a NUL byte (a binary file, not YAML).
fn not_binary(bytes: Vec<u8>) -> Result<Vec<u8>, String> {
    if bytes.contains(&0) {
        return Err("binary file (contains NUL bytes), not YAML".to_string());
    }
    Ok(bytes)
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
