//! `mlalert test`: promtool-compatible rule unit tests.

use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::unittest::{self, FileReport, Files, Options, coverage, junit};

/// Arguments of `mlalert test`.
#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// Unit-test files (promtool's format).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Only run test groups whose name matches this regex (repeatable; joined with `|`).
    #[arg(long, value_name = "REGEX")]
    pub run: Vec<String>,
    /// Also write the results as JUnit XML to this file.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Ignore unknown fields in rule files (promtool's flag of the same name).
    #[arg(long)]
    pub ignore_unknown_fields: bool,
    /// Accepted for promtool compatibility (`promtool test rules --diff`):
    /// mlalert always prints a diff under each failure.
    #[arg(long)]
    pub diff: bool,
    /// List the alerting and recording rules no test exercises.
    #[arg(long)]
    pub coverage: bool,
    /// Fail (exit 1) when fewer than PERCENT of the rules are exercised
    /// (the share `--coverage` reports; 0–100).
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    pub fail_under: Option<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TestFormat::Human)]
    pub format: TestFormat,
    /// Comma-separated PromQL features to enable, as promtool's
    /// `--enable-feature`: promql-experimental-functions,
    /// promql-duration-expr, promql-extended-range-selectors,
    /// promql-binop-fill-modifiers. Without them a rule file using that
    /// syntax fails to load, as in Prometheus.
    #[arg(
        long = "enable-feature",
        value_name = "FEATURES",
        value_delimiter = ','
    )]
    pub enable_feature: Vec<String>,
}

/// A percentage from 0 to 100.
fn parse_percent(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("{s:?} is not a number"))?;
    if (0.0..=100.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} is not between 0 and 100"))
    }
}

/// Output formats of `test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TestFormat {
    /// promtool's text with diffs; `--coverage` as a table.
    Human,
    /// One JSON object: `files`, `summary` and, with `--coverage`, `coverage`.
    Json,
}

/// The file system, for the runner.
struct RealFiles;

impl Files for RealFiles {
    fn read(&self, path: &Path) -> Result<Vec<u8>, String> {
        // The one reader, with its byte limit: test files and their `rule_files`.
        crate::source::read_file(path).map_err(|e| e.to_string())
    }

    fn glob(&self, pattern: &str) -> Result<Vec<PathBuf>, String> {
        let paths = glob::glob(pattern).map_err(|e| format!("{pattern}: {e}"))?;
        let mut out: Vec<PathBuf> = paths.filter_map(Result::ok).collect();
        out.sort();
        Ok(out)
    }
}

/// Runs `mlalert test`; returns the exit code.
pub fn run(args: &TestArgs) -> u8 {
    let run = if args.run.is_empty() {
        None
    } else {
        match regex::Regex::new(&args.run.join("|")) {
            Ok(r) => Some(r),
            Err(e) => {
                eprintln!("mlalert: invalid --run regex: {e}");
                return EXIT_ERROR;
            }
        }
    };
    let mut features = Vec::new();
    for name in args
        .enable_feature
        .iter()
        .map(|f| f.trim())
        .filter(|f| !f.is_empty())
    {
        match crate::promql::syntax::Feature::ALL
            .iter()
            .find(|f| f.flag() == name)
        {
            Some(f) => features.push(*f),
            // promtool accepts it; mlalert evaluates as Prometheus does
            // without it.
            None if name == "promql-delayed-name-removal" => eprintln!(
                "  WARNING: mlalert does not implement --enable-feature={name}; metric names are removed as without it"
            ),
            // promtool warns and goes on.
            None => eprintln!("  WARNING: Unknown feature passed to --enable-feature: {name}"),
        }
    }
    let opts = Options {
        run,
        ignore_unknown_fields: args.ignore_unknown_fields,
        features,
    };
    let reports: Vec<FileReport> = args
        .files
        .par_iter()
        .map(|p| unittest::run_file(p, &p.display().to_string(), &RealFiles, &opts))
        .collect();

    // A `--run` that selects nothing would pass with nothing tested.
    if let Some(re) = &opts.run
        && reports
            .iter()
            .all(|r| r.groups.is_empty() && r.error.is_none() && !r.bad_input)
    {
        eprintln!(
            "mlalert: --run {} selected no test group in {} file{}",
            re.as_str().escape_debug(),
            reports.len(),
            if reports.len() == 1 { "" } else { "s" }
        );
        return EXIT_FINDINGS;
    }
    let cov = (args.coverage || args.fail_under.is_some()).then(|| coverage::compute(&reports));
    let chunks = match args.format {
        TestFormat::Human => {
            let mut chunks = render_human(&reports);
            if let Some(c) = cov.as_ref().filter(|_| args.coverage) {
                chunks.push((Stream::Out, format!("Coverage:\n{}", coverage::table(c))));
            }
            chunks
        }
        TestFormat::Json => vec![(
            Stream::Out,
            render_json(&reports, cov.as_ref().filter(|_| args.coverage)) + "\n",
        )],
    };
    // In print order, each stream flushed before the other writes, so that
    // a terminal or a merged CI log shows them as promtool would.
    for (stream, text) in &chunks {
        let written = match stream {
            Stream::Out => {
                let mut o = std::io::stdout().lock();
                o.write_all(text.as_bytes()).and_then(|_| o.flush())
            }
            Stream::Err => {
                let mut e = std::io::stderr().lock();
                e.write_all(text.as_bytes()).and_then(|_| e.flush())
            }
        };
        if written.is_err() {
            return EXIT_ERROR;
        }
    }
    let mut code = if reports.iter().all(FileReport::passed) {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    };
    if let (Some(min), Some(c)) = (args.fail_under, &cov) {
        let pct = c.percent();
        if pct < min {
            eprintln!(
                "mlalert: test coverage {pct:.1}% ({} of {} rules exercised) is under --fail-under {min}%",
                c.rules - c.uncovered.len(),
                c.rules
            );
            code = code.max(EXIT_FINDINGS);
        }
    }
    if let Some(path) = &args.junit
        && let Err(e) = std::fs::write(path, junit::render(&reports))
    {
        eprintln!(
            "mlalert: cannot write {}: {}",
            path.display(),
            crate::source::ReadError::from(e)
        );
        code = EXIT_ERROR;
    }
    if reports.iter().any(|r| r.bad_input) {
        code = EXIT_ERROR;
    }
    code
}

/// Where a piece of human output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Out,
    /// Standard error.
    Err,
}

/// promtool's output split as promtool splits it (`cmd/promtool/unittest.go`):
/// `Unit Testing:`, `SUCCESS` and the blank lines on stdout; `WARNING:`,
/// `FAILED:` and every failure on stderr. Under each failure mlalert adds,
/// indented by 8 spaces, where the failing item is written (`at
/// file:line:column`), notes that explain it, and a diff. Chunks are in
/// print order.
pub fn render_human(reports: &[FileReport]) -> Vec<(Stream, String)> {
    let mut out: Vec<(Stream, String)> = Vec::new();
    let mut push = |stream: Stream, text: String| match out.last_mut() {
        Some((s, t)) if *s == stream => t.push_str(&text),
        _ => out.push((stream, text)),
    };
    for r in reports {
        push(Stream::Out, format!("Unit Testing:  {}\n", r.path));
        for w in &r.warnings {
            push(Stream::Err, format!("  WARNING: {w}\n"));
        }
        if r.passed() {
            push(Stream::Out, "  SUCCESS\n\n".into());
            continue;
        }
        push(Stream::Err, "  FAILED:\n".into());
        if let Some(e) = &r.error {
            push(Stream::Err, format!("{e}\n"));
            push(Stream::Out, "\n".into());
        }
        for f in r.failures() {
            push(Stream::Err, format!("{}\n", f.full_text()));
            push(Stream::Out, "\n".into());
        }
        push(Stream::Out, "\n".into());
    }
    out
}

fn render_json(reports: &[FileReport], cov: Option<&coverage::Coverage>) -> String {
    let files: Vec<serde_json::Value> = reports
        .iter()
        .map(|r| {
            serde_json::json!({
                "path": r.path,
                "passed": r.passed(),
                "error": r.error,
                "warnings": r.warnings,
                "groups": r.groups.iter().map(|g| serde_json::json!({
                    "name": g.name,
                    "passed": g.failures.is_empty(),
                    "failures": g.failures.iter().map(|f| serde_json::json!({
                        "message": f.message,
                        "location": f.location,
                        "notes": f.notes,
                        "diff": f.diff,
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut v = serde_json::json!({
        "files": files,
        "summary": {
            "files": reports.len(),
            "failed": reports.iter().filter(|r| !r.passed()).count(),
        },
    });
    if let Some(c) = cov {
        v["coverage"] = serde_json::to_value(c).unwrap_or(serde_json::Value::Null);
    }
    v.to_string()
}
