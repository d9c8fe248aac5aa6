//! `mlalert backtest`: replay alerting rules over a Prometheus server's
//! history and report what they would have done (see docs/backtest.md).
//!
//! The command reads PATHS (rule files, and an Alertmanager config found
//! among them or given with `--alertmanager`), reads the versions at
//! `--diff-base`/`--compare` with git, replays each selected alerting rule
//! ([`crate::backtest::replay::replay`], rules in parallel), simulates the
//! notifications ([`crate::backtest::notify::simulate`]) and prints the
//! report. Progress goes to stderr, only when stderr is a terminal.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::ValueEnum;
use rayon::prelude::*;

use super::{EXIT_ERROR, EXIT_OK};
use crate::backtest::notify::{self, Notifications};
use crate::backtest::replay::{self, RuleRun};
use crate::backtest::report::{Report, Row, Side};
use crate::backtest::select::{self, Selected};
use crate::backtest::stats::{Stats, flap_window};
use crate::backtest::{Limits, PROMETHEUS_MAX_POINTS, Range, RangeSource};
use crate::model::alertmanager::AmConfig;
use crate::model::load_file;
use crate::model::rules::ExtraFields;
use crate::source::SourceFile;
use crate::unittest::rules::{GroupDef, load_rule_file};

/// Arguments of `mlalert backtest`.
#[derive(Debug, clap::Args)]
pub struct BacktestArgs {
    /// Base URL of the Prometheus server whose history is replayed.
    #[arg(long, value_name = "URL")]
    pub prometheus: String,
    /// How far back to replay, as a Prometheus duration (`7d`, `36h`).
    #[arg(long, value_name = "DURATION", default_value = "7d")]
    pub range: String,
    /// End of the range: RFC 3339 or Unix seconds (default: now).
    #[arg(long, value_name = "TIME")]
    pub end: Option<String>,
    /// Evaluate every rule at this interval instead of its group's
    /// (coarser is faster; `for` is then met on this grid).
    #[arg(long, value_name = "DURATION")]
    pub step: Option<String>,
    /// Interval of groups without `interval:` (Prometheus' global
    /// `evaluation_interval`).
    #[arg(long, value_name = "DURATION", default_value = "1m")]
    pub evaluation_interval: String,
    /// Replay only the alerting rules added or changed since this git revision.
    #[arg(long, value_name = "REF")]
    pub diff_base: Option<String>,
    /// Also replay the rules as they are at this git revision and show both.
    #[arg(long, value_name = "REF")]
    pub compare: Option<String>,
    /// Alertmanager config whose routes count the notifications (default:
    /// the first one found in PATHS).
    #[arg(long, value_name = "FILE")]
    pub alertmanager: Option<PathBuf>,
    /// Whether receivers send resolved notifications (Alertmanager's
    /// `send_resolved`; it differs per integration).
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    pub send_resolved: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = BacktestFormat::Human)]
    pub format: BacktestFormat,
    /// Most series one rule's result may have.
    #[arg(long, value_name = "N", default_value_t = crate::backtest::DEFAULT_MAX_SERIES)]
    pub max_series: usize,
    /// Most steps asked for in one query (long ranges are split; Prometheus
    /// refuses more than 11000).
    #[arg(long, value_name = "N", default_value_t = PROMETHEUS_MAX_POINTS)]
    pub max_points: usize,
    /// Time budget of the whole run; rules not done by then are reported incomplete.
    #[arg(long, value_name = "DURATION", default_value = "10m")]
    pub timeout: String,
    /// Rule files and directories (and an Alertmanager config).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

/// Output formats of `backtest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BacktestFormat {
    /// An aligned table.
    Human,
    /// One JSON object (`version: 1`).
    Json,
    /// Markdown for a pull-request comment.
    Markdown,
}

fn duration_ms(flag: &str, text: &str) -> Result<i64, String> {
    let ms = crate::go::duration::parse_prometheus(text)
        .map_err(|e| format!("--{flag} {text:?}: {e}"))?;
    let ms = i64::try_from(ms).map_err(|_| format!("--{flag} {text:?}: too long"))?;
    if ms <= 0 {
        return Err(format!("--{flag} {text:?}: must be more than 0"));
    }
    Ok(ms)
}

/// `--end`: RFC 3339 or Unix seconds, in ms.
fn parse_time(text: &str) -> Result<i64, String> {
    if let Ok(secs) = text.parse::<f64>()
        && secs.is_finite()
    {
        return Ok((secs * 1000.0).round() as i64);
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .map_err(|e| format!("--end {text:?}: not RFC 3339 or Unix seconds ({e})"))
}

/// The rule files of the run, loaded.
struct Inputs {
    /// Every group of every file, in path order.
    groups: Vec<GroupDef>,
    /// Paths of the files that held rules (for `git` at a revision).
    rule_files: Vec<PathBuf>,
    /// The first Alertmanager config found, with its path.
    am: Option<(String, AmConfig)>,
}

fn read_source(path: &Path) -> Result<SourceFile, String> {
    super::routes::read_source(path)
}

fn load_inputs(paths: &[PathBuf]) -> Result<Inputs, Vec<String>> {
    let (files, walk_errors) = crate::source::walk_paths(paths);
    let mut errors: Vec<String> = walk_errors
        .iter()
        .map(|e| format!("{}: {}", e.path, e.message))
        .collect();
    let mut inputs = Inputs {
        groups: Vec::new(),
        rule_files: Vec::new(),
        am: None,
    };
    for p in files {
        let source = match read_source(&p) {
            Ok(s) => s,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let loaded = load_file(0, &source, &ExtraFields::default());
        if inputs.am.is_none()
            && let Some(am) = loaded.am_configs.into_iter().find(|a| a.valid)
        {
            inputs.am = Some((source.path.clone(), am));
        }
        if loaded.rule_files.is_empty() {
            continue;
        }
        match load_rule_file(&source, false, &[]) {
            Ok(g) => {
                inputs.groups.extend(g);
                inputs.rule_files.push(p);
            }
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(inputs)
    } else {
        Err(errors)
    }
}

/// The groups of `files` as they are at revision `rev` (a file that did not
/// exist there has none).
fn load_at(files: &[PathBuf], rev: &str) -> Result<Vec<GroupDef>, Vec<String>> {
    let mut groups = Vec::new();
    let mut errors = Vec::new();
    for p in files {
        let bytes = match crate::source::diff::file_at(p, rev) {
            Ok(Some(b)) => b,
            Ok(None) => continue,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let source = match SourceFile::new(p.display().to_string(), bytes) {
            Ok(s) => s,
            Err(e) => {
                errors.push(format!("at {rev}: {e}"));
                continue;
            }
        };
        match load_rule_file(&source, false, &[]) {
            Ok(g) => groups.extend(g),
            Err(e) => errors.extend(e.into_iter().map(|e| format!("at {rev}: {e}"))),
        }
    }
    if errors.is_empty() {
        Ok(groups)
    } else {
        Err(errors)
    }
}

/// Progress on stderr when it is a terminal: rules and evaluations done.
struct Progress {
    on: bool,
    rules: usize,
    total: u64,
    evaluations: AtomicU64,
    done: AtomicU64,
    last: Mutex<Instant>,
}

impl Progress {
    fn new(rules: usize, total: u64) -> Progress {
        Progress {
            on: std::io::stderr().is_terminal(),
            rules,
            total: total.max(1),
            evaluations: AtomicU64::new(0),
            done: AtomicU64::new(0),
            last: Mutex::new(Instant::now()),
        }
    }

    fn add(&self, evaluations: u64) {
        let e = self.evaluations.fetch_add(evaluations, Ordering::Relaxed) + evaluations;
        if !self.on {
            return;
        }
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if last.elapsed() < Duration::from_millis(200) {
            return;
        }
        *last = Instant::now();
        eprint!(
            "\rbacktest: {}/{} rules, {}% of evaluations",
            self.done.load(Ordering::Relaxed),
            self.rules,
            e * 100 / self.total
        );
    }

    fn rule_done(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
        self.add(0);
    }

    fn finish(&self) {
        if self.on {
            eprint!("\r\x1b[2K");
        }
    }
}

/// One set of rules to replay: (group, rule) indices into `groups`.
fn replay_all(
    groups: &[GroupDef],
    selected: &[Selected],
    interval: &(dyn Fn(&GroupDef) -> i64 + Sync),
    range: Range,
    source: &dyn RangeSource,
    limits: &Limits,
    progress: &Progress,
) -> Vec<RuleRun> {
    selected
        .par_iter()
        .map(|s| {
            let g = &groups[s.group];
            let done = AtomicU64::new(0);
            let run = replay::replay(
                g,
                &g.rules[s.rule],
                interval(g),
                range,
                source,
                limits,
                &|n| {
                    let before = done.swap(n, Ordering::Relaxed);
                    progress.add(n.saturating_sub(before));
                },
            );
            progress.rule_done();
            run
        })
        .collect()
}

fn side(run: &RuleRun, range: Range, notifications: Option<&Notifications>, i: usize) -> Side {
    let end = run.replayed_to_ms.max(range.start_ms);
    Side {
        for_ms: run.for_ms,
        keep_firing_for_ms: run.keep_firing_for_ms,
        interval_ms: run.interval_ms,
        evaluations: run.evaluations,
        failed_evaluations: run.failed_evaluations,
        stats: Stats::of(run, end, flap_window(run)),
        notifications: notifications.and_then(|n| n.per_rule.get(i).copied()),
        error: run.error.as_ref().map(ToString::to_string),
    }
}

/// Connects to the Prometheus at `url`.
fn connect(url: &str) -> Result<(Box<dyn RangeSource>, String), String> {
    // The discovered .mlalert.yaml's `prometheus.*` settings (token file,
    // basic auth, CA, timeout, concurrency), with this URL.
    let config = super::lint::load_config(None)?;
    let settings = super::lint::live_settings(&config, Some(url))
        .unwrap_or_else(|| crate::prometheus::PrometheusSettings::new(url));
    let client = crate::prometheus::Client::new(&settings).map_err(|e| e.to_string())?;
    let shown = client.url();
    Ok((Box::new(client), shown))
}

/// Runs `mlalert backtest`; returns the exit code.
pub fn run(args: &BacktestArgs) -> u8 {
    match connect(&args.prometheus) {
        Ok((source, shown)) => run_with(args, source.as_ref(), &shown),
        Err(e) => {
            eprintln!("mlalert: {e}");
            EXIT_ERROR
        }
    }
}

/// Runs the backtest against `source` (shown as `shown` in the report).
pub fn run_with(args: &BacktestArgs, source: &dyn RangeSource, shown: &str) -> u8 {
    let fail = |errors: Vec<String>| {
        for e in errors {
            eprintln!("mlalert: {e}");
        }
        EXIT_ERROR
    };
    let parsed = (|| {
        let range_ms = duration_ms("range", &args.range)?;
        let end_ms = match &args.end {
            Some(t) => parse_time(t)?,
            None => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
        };
        let step = args
            .step
            .as_deref()
            .map(|s| duration_ms("step", s))
            .transpose()?;
        let default_interval = duration_ms("evaluation-interval", &args.evaluation_interval)?;
        let timeout = duration_ms("timeout", &args.timeout)?;
        if args.max_points == 0 || args.max_points > PROMETHEUS_MAX_POINTS {
            return Err(format!("--max-points must be 1..={PROMETHEUS_MAX_POINTS}"));
        }
        if args.max_series == 0 {
            return Err("--max-series must be at least 1".to_string());
        }
        Ok::<_, String>((range_ms, end_ms, step, default_interval, timeout))
    })();
    let (range_ms, end_ms, step, default_interval, timeout) = match parsed {
        Ok(v) => v,
        Err(e) => return fail(vec![e]),
    };
    let range = Range {
        start_ms: end_ms.saturating_sub(range_ms),
        end_ms,
    };
    let inputs = match load_inputs(&args.paths) {
        Ok(i) => i,
        Err(e) => return fail(e),
    };
    let am = match &args.alertmanager {
        Some(p) => {
            let source = match read_source(p) {
                Ok(s) => s,
                Err(e) => return fail(vec![e]),
            };
            let loaded = load_file(0, &source, &ExtraFields::default());
            match loaded.am_configs.into_iter().next() {
                Some(am) if am.valid => Some((source.path.clone(), am)),
                Some(_) => {
                    return fail(vec![format!(
                        "{}: Alertmanager would refuse this config (see `mlalert lint {}`)",
                        source.path, source.path
                    )]);
                }
                None => {
                    return fail(vec![format!(
                        "{}: no Alertmanager config found (a file with `route:`, or a Secret/ConfigMap embedding one)",
                        source.path
                    )]);
                }
            }
        }
        None => inputs.am,
    };
    let selected = match &args.diff_base {
        Some(rev) => match load_at(&inputs.rule_files, rev) {
            Ok(base) => select::changed(&inputs.groups, &base),
            Err(e) => return fail(e),
        },
        None => select::alerting_rules(&inputs.groups),
    };
    let compare = match &args.compare {
        Some(rev) => match load_at(&inputs.rule_files, rev) {
            Ok(g) => Some(g),
            Err(e) => return fail(e),
        },
        None => None,
    };
    let interval = |g: &GroupDef| step.or(g.interval_ms).unwrap_or(default_interval).max(1);
    let limits = Limits {
        max_points: args.max_points,
        max_series: args.max_series,
        deadline: Some(Instant::now() + Duration::from_millis(timeout as u64)),
    };
    let evaluations = |groups: &[GroupDef], sel: &[Selected]| -> u64 {
        sel.iter()
            .filter_map(|s| {
                let iv = interval(&groups[s.group]);
                replay::grid(range, iv).map(|(f, l)| u64::try_from((l - f) / iv).unwrap_or(0) + 1)
            })
            .sum()
    };
    let (base_groups, base_selected, pairs) = match &compare {
        Some(g) => {
            let all = select::alerting_rules(g);
            let pairs = select::pair(&selected, &all);
            let used: Vec<Selected> = pairs.iter().flatten().map(|&i| all[i].clone()).collect();
            (g.as_slice(), used, pairs)
        }
        None => (&[][..], Vec::new(), vec![None; selected.len()]),
    };
    let total = evaluations(&inputs.groups, &selected)
        + if base_groups.is_empty() {
            0
        } else {
            evaluations(base_groups, &base_selected)
        };
    let progress = Arc::new(Progress::new(selected.len() + base_selected.len(), total));
    let runs = replay_all(
        &inputs.groups,
        &selected,
        &interval,
        range,
        source,
        &limits,
        &progress,
    );
    let base_runs = replay_all(
        base_groups,
        &base_selected,
        &interval,
        range,
        source,
        &limits,
        &progress,
    );
    progress.finish();
    let (notifications, base_notifications) = match &am {
        Some((_, am)) => (
            notify::simulate(am, &runs, range.end_ms, limits.deadline, args.send_resolved),
            compare.as_ref().and_then(|_| {
                notify::simulate(
                    am,
                    &base_runs,
                    range.end_ms,
                    limits.deadline,
                    args.send_resolved,
                )
            }),
        ),
        None => (None, None),
    };
    // Index of each base run: the position among the paired rules.
    let mut next_base = 0usize;
    let rows: Vec<Row> = runs
        .iter()
        .zip(&pairs)
        .enumerate()
        .map(|(i, (run, pair))| {
            let base = pair.map(|_| {
                let b = next_base;
                next_base += 1;
                side(&base_runs[b], range, base_notifications.as_ref(), b)
            });
            Row {
                file: run.file.clone(),
                line: run.line,
                group: run.group.clone(),
                alert: run.name.clone(),
                now: side(run, range, notifications.as_ref(), i),
                base,
            }
        })
        .collect();
    let report = Report {
        prometheus: shown.to_string(),
        range,
        compare: args.compare.clone(),
        alertmanager: am.as_ref().map(|(p, _)| p.clone()),
        send_resolved: args.send_resolved,
        rows,
        notifications,
        base_notifications,
    };
    let text = match args.format {
        BacktestFormat::Human => report.human(),
        BacktestFormat::Json => report.json(),
        BacktestFormat::Markdown => report.markdown(),
    };
    super::write_stdout(text.as_bytes());
    let mut failed = false;
    for r in runs.iter().chain(&base_runs) {
        if let Some(e) = &r.error {
            eprintln!("mlalert: {}:{}: alert {:?}: {e}", r.file, r.line, r.name);
            failed = true;
        }
    }
    if failed { EXIT_ERROR } else { EXIT_OK }
}
