//! `mlalert test`: promtool-compatible rule unit tests.

use std::fmt::Write as _;
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
    /// List the alerting and recording rules no test exercises.
    #[arg(long)]
    pub coverage: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TestFormat::Human)]
    pub format: TestFormat,
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
    let opts = Options {
        run,
        ignore_unknown_fields: args.ignore_unknown_fields,
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
    let cov = args.coverage.then(|| coverage::compute(&reports));
    let text = match args.format {
        TestFormat::Human => {
            let mut t = render_human(&reports);
            if let Some(c) = &cov {
                t.push_str("Coverage:\n");
                t.push_str(&coverage::table(c));
            }
            t
        }
        TestFormat::Json => render_json(&reports, cov.as_ref()) + "\n",
    };
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
        .is_err()
    {
        return EXIT_ERROR;
    }
    let mut code = if reports.iter().all(FileReport::passed) {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    };
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

/// promtool's output, with a diff under each mismatch.
pub fn render_human(reports: &[FileReport]) -> String {
    let mut out = String::new();
    for r in reports {
        let _ = writeln!(out, "Unit Testing:  {}", r.path);
        for w in &r.warnings {
            let _ = writeln!(out, "  WARNING: {w}");
        }
        if r.passed() {
            out.push_str("  SUCCESS\n\n");
            continue;
        }
        out.push_str("  FAILED:\n");
        if let Some(e) = &r.error {
            let _ = writeln!(out, "{e}\n");
        }
        for f in r.failures() {
            out.push_str(&f.message);
            out.push('\n');
            if let Some(d) = &f.diff {
                for line in d.lines() {
                    let _ = writeln!(out, "        {line}");
                }
            }
            out.push('\n');
        }
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
