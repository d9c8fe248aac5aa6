//! promtool-compatible rule unit tests (`mlalert test`), following
//! Prometheus 3.14's `cmd/promtool/unittest.go` and `rules` package.
//!
//! For each test group (in parallel): the rule files are loaded, the input
//! series expanded, rule groups evaluated every `evaluation_interval` from
//! the start up to the largest `eval_time` (input samples loaded lazily up to
//! each step), firing alerts compared at every `alert_rule_test` time, and
//! finally every `promql_expr_test` queried.
//!
//! Layout: [`input`] series loading, [`rules`] rule files, [`eval`] group
//! evaluation, [`alerts`] the alert state machine, [`compare`] promtool's
//! comparisons and output, [`junit`] JUnit XML, [`coverage`] untested rules.
//!
//! Times are `i64` ms since the Unix epoch; durations `i64` ms.

pub mod alerts;
pub mod compare;
pub mod coverage;
pub mod eval;
pub mod input;
pub mod junit;
pub mod rules;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rayon::prelude::*;
use regex::Regex;

use crate::engine::{Engine, Labels, Storage};
use crate::go::duration::format_go_ms;
use crate::model::rules::RuleKind;
use crate::model::unittest::{TestFile, TestGroup, read_test_file};
use crate::source::{SourceFile, TextMap};

use compare::{LabelsAndAnnotations, ParsedSample, alerts_diff, alerts_string, indent_lines};
use eval::{EvalEnv, GroupRun, SharedStorage, eval_group, query_vector, read, write};
use rules::GroupDef;

/// Default `evaluation_interval`: 1m, in ms.
pub const DEFAULT_EVAL_INTERVAL_MS: i64 = 60_000;

/// Most rule evaluation steps one test group may take (`eval_time` /
/// `evaluation_interval`); promtool has no limit and would run for days.
pub const MAX_EVAL_STEPS: i64 = 5_000_000;

/// File access for the runner (the CLI does the real I/O).
pub trait Files: Sync {
    /// The bytes of `path`, or a message.
    fn read(&self, path: &Path) -> Result<Vec<u8>, String>;
    /// The paths matching a glob pattern, sorted; a pattern without glob
    /// characters matches itself when the file exists.
    fn glob(&self, pattern: &str) -> Result<Vec<PathBuf>, String>;
}

/// How to run tests.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only test groups whose name matches (promtool's `--run`, joined with `|`).
    pub run: Option<Regex>,
    /// Unknown fields in rule files are not errors (`--ignore-unknown-fields`).
    pub ignore_unknown_fields: bool,
    /// The PromQL features promtool's `--enable-feature` turns on; the
    /// others make a rule file that uses them fail to load, as in promtool
    /// 3.x, where experimental functions are off in unit tests unless
    /// `--enable-feature=promql-experimental-functions` is given.
    pub features: Vec<crate::promql::syntax::Feature>,
}

/// One failure of a test group, as promtool prints it plus what mlalert
/// adds: where the failing test item is written, notes that explain it,
/// and a diff.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Failure {
    /// promtool's text (multi-line, indented as promtool indents).
    pub message: String,
    /// `file:line:column` of the failing `alert_rule_test` item (its first
    /// unmatched `exp_alerts` entry when there is one) or `promql_expr_test`
    /// item; `None` for failures of the whole group.
    pub location: Option<String>,
    /// One-line explanations (`the alert … is still pending (for: 5m, active
    /// since 2m): it fires at 5m`).
    pub notes: Vec<String>,
    /// A readable diff of expected vs actual, when the failure is a mismatch.
    pub diff: Option<String>,
}

impl Failure {
    fn error(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            ..Failure::default()
        }
    }

    /// promtool's text, then the location, the notes and the diff, each
    /// line indented by 8 spaces (the full text of JUnit `<failure>`).
    pub fn full_text(&self) -> String {
        let mut out = self.message.clone();
        let extra = self
            .location
            .iter()
            .map(|l| format!("at {l}"))
            .chain(self.notes.iter().cloned())
            .chain(self.diff.iter().cloned());
        for block in extra {
            for line in block.lines() {
                out.push_str("\n        ");
                out.push_str(line);
            }
        }
        out
    }
}

/// A rule and how the tests exercised it (for `--coverage`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RuleUse {
    /// The rule file, as displayed.
    pub file: String,
    /// Group name.
    pub group: String,
    /// Rule name.
    pub name: String,
    /// 1-based line.
    pub line: usize,
    /// Alerting or recording.
    pub alerting: bool,
    /// True when some evaluation returned a non-empty result.
    pub nonempty: bool,
    /// True when some `alert_rule_test` expected it firing.
    pub expected_firing: bool,
}

/// The result of one test group.
#[derive(Debug, Clone)]
pub struct GroupReport {
    /// Its name (`unnamed#N` when it has none, as promtool's JUnit output).
    pub name: String,
    /// The name as written (promtool prints `name:` only when set).
    pub given_name: Option<String>,
    /// Failures; empty when it passed.
    pub failures: Vec<Failure>,
    /// Rules and their use.
    pub rules: Vec<RuleUse>,
    /// Wall-clock time the group took to run (for JUnit `time`).
    pub elapsed: std::time::Duration,
}

/// The result of one test file.
#[derive(Debug, Clone, Default)]
pub struct FileReport {
    /// The path as given.
    pub path: String,
    /// A failure of the whole file (strict-decoding errors, …).
    pub error: Option<String>,
    /// True when the file could not be read or is not YAML (exit 2).
    pub bad_input: bool,
    /// Warnings (`no file match pattern`).
    pub warnings: Vec<String>,
    /// Test groups run (those selected by `--run`), in file order.
    pub groups: Vec<GroupReport>,
}

impl FileReport {
    /// True when nothing failed.
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.groups.iter().all(|g| g.failures.is_empty())
    }

    /// Every failure message, file-level first.
    pub fn failures(&self) -> impl Iterator<Item = &Failure> {
        self.groups.iter().flat_map(|g| g.failures.iter())
    }
}

/// promtool's eval-time text (a `model.Duration`): `0s`, `5m`, `1d`, `1m10s`.
pub fn eval_time_string(ms: u64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let mut rest = ms;
    let mut out = String::new();
    let units: [(&str, u64, bool); 7] = [
        ("y", 365 * 86_400_000, true),
        ("w", 7 * 86_400_000, true),
        ("d", 86_400_000, false),
        ("h", 3_600_000, false),
        ("m", 60_000, false),
        ("s", 1000, false),
        ("ms", 1, false),
    ];
    for (u, mult, exact) in units {
        if exact && !rest.is_multiple_of(mult) {
            continue;
        }
        let v = rest / mult;
        if v > 0 {
            out.push_str(&format!("{v}{u}"));
            rest -= v * mult;
        }
    }
    out
}

/// Runs every test group of the test file at `path` (shown as `display`).
pub fn run_file(path: &Path, display: &str, files: &dyn Files, opts: &Options) -> FileReport {
    let mut rep = FileReport {
        path: display.to_string(),
        ..FileReport::default()
    };
    let bytes = match files.read(path) {
        Ok(b) => b,
        Err(e) => {
            rep.bad_input = true;
            rep.error = Some(format!("{display}: {e}"));
            return rep;
        }
    };
    let source = match SourceFile::new(display, bytes) {
        Ok(s) => s,
        Err(e) => {
            rep.bad_input = true;
            rep.error = Some(e.to_string());
            return rep;
        }
    };
    let (docs, yerr) = crate::yaml::parse_stream(&source.text, &TextMap::Shift(0));
    if let Some(e) = yerr {
        let lc = source.line_col(e.span.start);
        rep.bad_input = true;
        rep.error = Some(format!(
            "{display}:{}:{}: invalid YAML: {}",
            lc.line, lc.column, e.message
        ));
        return rep;
    }
    let Some(root) = docs.first().map(|d| &d.root) else {
        return rep;
    };
    let (tf, diags) = read_test_file(0, &source, root);
    if !diags.is_empty() {
        let msgs: Vec<String> = diags
            .iter()
            .map(|d| {
                let lc = source.line_col(d.span.start);
                format!("{display}:{}:{}: {}", lc.line, lc.column, d.message)
            })
            .collect();
        rep.error = Some(msgs.join("\n"));
        return rep;
    }
    run_test_file(&tf, &source, path, files, opts, &mut rep);
    rep
}

fn run_test_file(
    tf: &TestFile,
    source: &SourceFile,
    path: &Path,
    files: &dyn Files,
    opts: &Options,
    rep: &mut FileReport,
) {
    // Rule files: relative to the test file, globbed.
    let base = path.parent().unwrap_or(Path::new(""));
    let mut rule_paths: Vec<PathBuf> = Vec::new();
    let mut seen_paths: std::collections::HashSet<PathBuf> = std::collections::HashSet::new();
    for rf in &tf.rule_files {
        let p = Path::new(&rf.value);
        let joined: PathBuf = if rf.value.is_empty() {
            p.to_path_buf()
        } else if p.is_absolute() {
            crate::go::filepath::clean(p)
        } else {
            // `./x`, `x` and `tests/../x` name the same file (coverage
            // merges by path).
            crate::go::filepath::clean(&base.join(p))
        };
        let pattern = joined.to_string_lossy().to_string();
        match files.glob(&pattern) {
            // promtool only warns and goes on, so a typo in `rule_files`
            // tests no rules and passes; the warning stays, and the file
            // fails (the groups still run and report).
            Ok(m) if m.is_empty() => {
                rep.warnings
                    .push(format!("no file match pattern {pattern}"));
                rep.error.get_or_insert_with(|| {
                    format!(
                        "rule_files entry {pattern:?} matches no file: the tests would check no rules from it"
                    )
                });
            }
            // A file matched twice is loaded once (Prometheus keys groups by file and name).
            Ok(m) => {
                for f in m {
                    if seen_paths.insert(f.clone()) {
                        rule_paths.push(f);
                    }
                }
            }
            Err(e) => {
                rep.error = Some(e);
                return;
            }
        }
    }
    let mut seen = BTreeSet::new();
    for g in &tf.group_eval_order {
        if !seen.insert(g.value.as_str()) {
            rep.error = Some(format!(
                "group name repeated in evaluation order: {}",
                g.value
            ));
            return;
        }
    }
    let eval_interval = tf
        .evaluation_interval
        .as_ref()
        .map(|d| i64::try_from(d.value.ms).unwrap_or(i64::MAX))
        .filter(|&ms| ms > 0)
        .unwrap_or(DEFAULT_EVAL_INTERVAL_MS);

    // Load the rule files once; promtool reports their errors per test group.
    let mut groups: Vec<GroupDef> = Vec::new();
    let mut load_errors: Vec<String> = Vec::new();
    for p in &rule_paths {
        let shown = p.to_string_lossy().to_string();
        match files
            .read(p)
            .and_then(|b| SourceFile::new(shown.clone(), b).map_err(|e| e.to_string()))
        {
            Ok(src) => {
                match rules::load_rule_file(&src, opts.ignore_unknown_fields, &opts.features) {
                    Ok(g) => groups.extend(g),
                    Err(e) => load_errors.extend(e),
                }
            }
            Err(e) => load_errors.push(format!("{shown}: {e}")),
        }
    }
    let order: Vec<String> = tf
        .group_eval_order
        .iter()
        .map(|g| g.value.clone())
        .collect();
    rules::order_groups(&mut groups, &order);

    let selected: Vec<(usize, &TestGroup)> = tf
        .tests
        .iter()
        .enumerate()
        .filter(|(_, t)| match &opts.run {
            None => true,
            Some(re) => re.is_match(t.name.as_ref().map(|n| n.value.as_str()).unwrap_or("")),
        })
        .collect();
    if load_errors.is_empty() {
        unknown_alert_warnings(&selected, &groups, &mut rep.warnings);
    }
    let setup = Setup {
        source,
        groups: &groups,
        load_errors: &load_errors,
        eval_interval,
        fuzzy: tf.fuzzy_compare,
    };
    rep.groups = selected
        .par_iter()
        .map(|(i, tg)| run_group(*i, tg, &setup))
        .collect();
}

/// Warnings for `alert_rule_test` items naming an alert that no alerting
/// rule of the test's rule files defines. promtool runs them: one with
/// `exp_alerts` fails, but one expecting no alert passes whatever the rules
/// do, which is a test that cannot fail. Each name is reported once, with
/// the closest defined alert name when there is one.
fn unknown_alert_warnings(
    selected: &[(usize, &TestGroup)],
    groups: &[GroupDef],
    warnings: &mut Vec<String>,
) {
    let defined: BTreeSet<&str> = groups
        .iter()
        .flat_map(|g| &g.rules)
        .filter(|r| r.kind == RuleKind::Alerting)
        .map(|r| r.name.as_str())
        .collect();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for (_, tg) in selected {
        for t in &tg.alert_rule_tests {
            let name = t.alertname.value.as_str();
            if name.is_empty() || defined.contains(name) || !seen.insert(name) {
                continue;
            }
            let hint = crate::diagnostic::suggest::closest(name, defined.iter().copied(), 3)
                .map(|c| format!(" (did you mean {c:?}?)"))
                .unwrap_or_default();
            let consequence = if t.exp_alerts.is_empty() {
                "a test that expects no alert from it passes whatever the rules do"
            } else {
                "the test can only fail"
            };
            warnings.push(format!(
                "alert_rule_test names alert {name:?}, which no rule file of this test defines{hint}: {consequence}"
            ));
        }
    }
}

struct Setup<'a> {
    /// The test file, for the positions of failing items.
    source: &'a SourceFile,
    groups: &'a [GroupDef],
    load_errors: &'a [String],
    eval_interval: i64,
    fuzzy: bool,
}

impl Setup<'_> {
    /// `file:line:column` of a byte offset of the test file.
    fn locate(&self, offset: usize) -> String {
        let lc = self.source.line_col(offset);
        format!("{}:{}:{}", self.source.path, lc.line, lc.column)
    }
}

fn rule_uses(runs: &[GroupRun], expected_firing: &BTreeSet<&str>) -> Vec<RuleUse> {
    runs.iter()
        .flat_map(|g| {
            g.def.rules.iter().zip(&g.rules).map(|(r, s)| RuleUse {
                file: g.def.file.clone(),
                group: g.def.name.clone(),
                name: r.name.clone(),
                line: r.line,
                alerting: r.kind == RuleKind::Alerting,
                nonempty: s.nonempty,
                expected_firing: r.kind == RuleKind::Alerting
                    && expected_firing.contains(r.name.as_str()),
            })
        })
        .collect()
}

fn run_group(index: usize, tg: &TestGroup, setup: &Setup) -> GroupReport {
    let started = std::time::Instant::now();
    let mut rep = run_group_timed(index, tg, setup);
    rep.elapsed = started.elapsed();
    rep
}

fn run_group_timed(index: usize, tg: &TestGroup, setup: &Setup) -> GroupReport {
    let given_name = tg
        .name
        .as_ref()
        .map(|n| n.value.clone())
        .filter(|n| !n.is_empty());
    let mut rep = GroupReport {
        name: given_name
            .clone()
            .unwrap_or_else(|| format!("unnamed#{index}")),
        given_name,
        failures: Vec::new(),
        rules: Vec::new(),
        elapsed: std::time::Duration::ZERO,
    };
    let mut runs: Vec<GroupRun> = setup.groups.iter().cloned().map(GroupRun::new).collect();
    let expected_firing: BTreeSet<&str> = tg
        .alert_rule_tests
        .iter()
        .filter(|t| !t.exp_alerts.is_empty())
        .map(|t| t.alertname.value.as_str())
        .collect();
    if !setup.load_errors.is_empty() {
        rep.failures = setup.load_errors.iter().map(Failure::error).collect();
        rep.rules = rule_uses(&runs, &BTreeSet::new());
        return rep;
    }
    rep.failures = run_group_inner(tg, setup, &mut runs, rep.given_name.as_deref());
    rep.rules = rule_uses(&runs, &expected_firing);
    rep
}

fn run_group_inner(
    tg: &TestGroup,
    setup: &Setup,
    runs: &mut [GroupRun],
    name: Option<&str>,
) -> Vec<Failure> {
    let eval_interval = setup.eval_interval;
    let interval = tg
        .interval
        .as_ref()
        .map(|d| i64::try_from(d.value.ms).unwrap_or(i64::MAX))
        .filter(|&ms| ms > 0)
        .unwrap_or(eval_interval);
    let mint = tg.start_timestamp_ms.as_ref().map(|s| s.value).unwrap_or(0);
    let max_eval = tg
        .alert_rule_tests
        .iter()
        .map(|t| t.eval_time.value)
        .chain(tg.promql_expr_tests.iter().map(|t| t.eval_time.value))
        .max()
        .unwrap_or(0);
    let max_eval = i64::try_from(max_eval).unwrap_or(i64::MAX);
    let maxt = mint.saturating_add(max_eval);
    let mut input = match input::LazyInput::new(&tg.input_series, mint, interval, maxt) {
        Ok(i) => i,
        Err(e) => return vec![Failure::error(e)],
    };

    // Alert tests by eval time.
    let mut alert_tests: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (i, t) in tg.alert_rule_tests.iter().enumerate() {
        if t.alertname.value.is_empty() {
            let in_group = name
                .map(|n| format!(" (in TestGroup {n})"))
                .unwrap_or_default();
            return vec![Failure::error(format!(
                "an item under alert_rule_test misses required attribute alertname at eval_time {}{in_group}",
                eval_time_string(t.eval_time.value)
            ))];
        }
        alert_tests.entry(t.eval_time.value).or_default().push(i);
    }
    if max_eval / eval_interval >= MAX_EVAL_STEPS {
        return vec![Failure::error(format!(
            "eval_time {} needs more than {MAX_EVAL_STEPS} evaluations every {}: raise evaluation_interval",
            eval_time_string(u64::try_from(max_eval).unwrap_or(0)),
            eval_time_string(u64::try_from(eval_interval).unwrap_or(0))
        ))];
    }

    let engine = Engine {
        default_subquery_step_ms: eval_interval,
        ..Engine::default()
    };
    let storage: SharedStorage = Arc::new(RwLock::new(Storage::new()));
    let external_labels: Vec<(String, String)> = compare::sorted_pairs(
        tg.external_labels
            .iter()
            .map(|kv| (kv.key.value.clone(), kv.value.value.clone())),
    );
    let external_url = tg
        .external_url
        .as_ref()
        .map(|u| u.value.clone())
        .unwrap_or_default();
    let env = EvalEnv {
        engine: &engine,
        storage: &storage,
        external_labels: &external_labels,
        external_url: &external_url,
    };

    let mut failures = Vec::new();
    let mut pending_times = alert_tests.keys().copied().peekable();
    let mut ts = mint;
    loop {
        input.load_until(&mut write(&storage), ts);
        let mut eval_errors = Vec::new();
        for g in runs.iter_mut() {
            eval_group(g, ts, &env);
            for (r, s) in g.def.rules.iter().zip(&g.rules) {
                if let Some(e) = &s.last_error {
                    eval_errors.push(Failure::error(format!(
                        "    rule: {}, time: {}, err: {e}",
                        r.name,
                        format_go_ms(ts)
                    )));
                }
            }
        }
        if !eval_errors.is_empty() {
            failures.extend(eval_errors);
            return failures;
        }
        // Alert tests with ts <= eval_time < ts + interval compare with this step.
        let rel = ts - mint;
        while let Some(&t) = pending_times.peek() {
            let ti = i64::try_from(t).unwrap_or(i64::MAX);
            if !(rel <= ti && ti < rel.saturating_add(eval_interval)) {
                break;
            }
            pending_times.next();
            for &i in alert_tests.get(&t).map(Vec::as_slice).unwrap_or(&[]) {
                if let Some(f) = check_alerts(&tg.alert_rule_tests[i], runs, name, mint, setup) {
                    failures.push(f);
                }
            }
        }
        match ts.checked_add(eval_interval) {
            Some(next) if next <= maxt => ts = next,
            _ => break,
        }
    }

    for t in &tg.promql_expr_tests {
        if let Some(mut f) = check_promql(t, mint, &engine, &storage, setup.fuzzy) {
            f.location = Some(setup.locate(t.span.start));
            failures.push(f);
        }
    }
    drop_aside(storage, input);
    failures
}

/// Samples above which a test group's storage is freed on another thread.
const DROP_ASIDE_SAMPLES: usize = 100_000;

/// Frees a large storage on a thread of its own, so that the run goes on
/// (or the process exits, which frees it all at once) while hundreds of
/// thousands of samples are released; a small one is freed here. The
/// group's input goes with it: its share of the run's sample budget
/// ([`input::MAX_INPUT_SAMPLES`]) is given back only once the samples are
/// freed, so groups waiting for room never run beside memory not yet
/// released.
fn drop_aside(storage: SharedStorage, input: input::LazyInput) {
    if read(&storage).sample_count() < DROP_ASIDE_SAMPLES {
        return;
    }
    // When no thread can be started, the closure (storage and input) is
    // dropped here.
    let _ = std::thread::Builder::new()
        .name("mlalert-free".into())
        .spawn(move || {
            drop(storage);
            drop(input);
        });
}

fn check_alerts(
    t: &crate::model::unittest::AlertTestCase,
    runs: &[GroupRun],
    name: Option<&str>,
    mint: i64,
    setup: &Setup,
) -> Option<Failure> {
    let alertname = t.alertname.value.as_str();
    let mut got: Vec<LabelsAndAnnotations> = Vec::new();
    let mut states: Vec<&alerts::AlertingState> = Vec::new();
    for g in runs {
        for (r, s) in g.def.rules.iter().zip(&g.rules) {
            if r.kind != RuleKind::Alerting || r.name != alertname {
                continue;
            }
            states.push(&s.alerting);
            got.extend(s.alerting.firing().map(|a| LabelsAndAnnotations {
                labels: compare::labels_pairs(&a.labels),
                annotations: a.annotations.expanded(),
            }));
        }
    }
    let exp_written: Vec<LabelsAndAnnotations> = t
        .exp_alerts
        .iter()
        .map(|a| {
            let mut labels: Vec<(String, String)> = a
                .exp_labels
                .iter()
                .map(|kv| (kv.key.value.clone(), kv.value.value.clone()))
                .collect();
            labels.retain(|(k, _)| k != "alertname");
            labels.push(("alertname".into(), alertname.to_string()));
            LabelsAndAnnotations {
                labels: compare::sorted_pairs(labels),
                annotations: compare::sorted_pairs(
                    a.exp_annotations
                        .iter()
                        .map(|kv| (kv.key.value.clone(), kv.value.value.clone())),
                ),
            }
        })
        .collect();
    got.sort();
    let mut exp = exp_written.clone();
    exp.sort();
    if exp == got {
        return None;
    }
    // The first entry of `exp_alerts`, in file order, that no firing alert
    // matches (each firing alert matches one entry at most).
    let mut unmatched_got: Vec<&LabelsAndAnnotations> = got.iter().collect();
    let first_unmatched =
        exp_written
            .iter()
            .position(|e| match unmatched_got.iter().position(|g| *g == e) {
                Some(i) => {
                    unmatched_got.remove(i);
                    false
                }
                None => true,
            });
    let offset = first_unmatched
        .and_then(|i| t.exp_alerts.get(i))
        .map(|a| a.span.start)
        .unwrap_or(t.span.start);
    let test_name = name
        .map(|n| format!("    name: {n},\n"))
        .unwrap_or_default();
    Some(Failure {
        message: format!(
            "{test_name}    alertname: {alertname}, time: {}, \n        exp:{}, \n        got:{}",
            eval_time_string(t.eval_time.value),
            indent_lines(&alerts_string(&exp), "            "),
            indent_lines(&alerts_string(&got), "            ")
        ),
        location: Some(setup.locate(offset)),
        notes: alert_notes(
            alertname,
            &states,
            first_unmatched.is_some(),
            mint,
            t.eval_time.value,
        ),
        diff: Some(alerts_diff(&exp, &got)),
    })
}

/// Most pending alerts one failure explains.
const MAX_PENDING_NOTES: usize = 5;

/// Why an expected alert is not firing, from the rule's alert states at the
/// test's `eval_time`: alerts still pending (active for less than `for`),
/// or no active alert at all. Times are relative to the group's start, as
/// `eval_time` is written; `mint` is that start in ms.
fn alert_notes(
    alertname: &str,
    states: &[&alerts::AlertingState],
    expected_missing: bool,
    mint: i64,
    eval_time: u64,
) -> Vec<String> {
    if !expected_missing {
        return Vec::new();
    }
    if states.is_empty() {
        return vec![format!(
            "no alerting rule of the rule files is named {alertname:?}"
        )];
    }
    let rel = |ms: i64| eval_time_string(u64::try_from(ms.saturating_sub(mint)).unwrap_or(0));
    let pending: Vec<(&alerts::AlertingState, &alerts::Alert)> = states
        .iter()
        .flat_map(|s| s.alerts().map(move |a| (*s, a)))
        .filter(|(_, a)| a.state == alerts::AlertState::Pending)
        .collect();
    let several = pending.len() > 1;
    let mut notes: Vec<String> = pending
        .iter()
        .take(MAX_PENDING_NOTES)
        .map(|(s, a)| {
            let which = if several {
                format!(" {}", a.labels)
            } else {
                String::new()
            };
            format!(
                "the alert{which} is still pending at {} (for: {}, active since {}): it fires at {}",
                eval_time_string(eval_time),
                eval_time_string(u64::try_from(s.hold_ms).unwrap_or(0)),
                rel(a.active_at),
                rel(a.active_at.saturating_add(s.hold_ms))
            )
        })
        .collect();
    if pending.len() > MAX_PENDING_NOTES {
        notes.push(format!(
            "… and {} more pending alerts",
            pending.len() - MAX_PENDING_NOTES
        ));
    }
    if states.iter().all(|s| s.is_empty()) {
        notes.push(format!(
            "no alert of {alertname} is pending or firing at {}: its expression returned no series at the last evaluation",
            eval_time_string(eval_time)
        ));
    }
    notes
}

/// Parses expected-sample labels as Prometheus' `parser.ParseMetric`.
fn parse_metric(text: &str) -> Result<Labels, String> {
    if text.trim().is_empty() {
        return Ok(Labels::empty());
    }
    let (labels, rest) =
        crate::engine::series_desc::parse_metric(text).map_err(|e| e.to_string())?;
    if !rest.trim().is_empty() {
        return Err(format!("unexpected {:?} after the metric", rest.trim()));
    }
    Ok(labels)
}

/// The TestExpression of an `exp_samples[].histogram` text.
fn expected_histogram(text: &str) -> Result<String, String> {
    use crate::engine::series_desc::{SeqValue, parse_values};
    let values = parse_values(text).map_err(|e| e.to_string())?;
    match values.as_slice() {
        [SeqValue::Histogram(h)] => Ok(h.test_expression()),
        [other] => Err(format!("expected histogram, got {other:?}")),
        v => Err(format!("expected 1 value, got {}", v.len())),
    }
}

fn check_promql(
    t: &crate::model::unittest::PromqlTestCase,
    mint: i64,
    engine: &Engine,
    storage: &SharedStorage,
    fuzzy: bool,
) -> Option<Failure> {
    let expr_q = crate::go::quote::quote(&t.expr.value);
    let time = eval_time_string(t.eval_time.value);
    let at = mint.saturating_add(i64::try_from(t.eval_time.value).unwrap_or(i64::MAX));
    let err = |e: String| {
        Some(Failure::error(format!(
            "    expr: {expr_q}, time: {time}, err: {e}"
        )))
    };
    let expr = match crate::engine::parse_expr(&t.expr.value) {
        Ok(e) => e,
        Err(e) => return err(e.to_string()),
    };
    let got = match query_vector(engine, &read(storage), &expr, at) {
        Ok(v) => v,
        Err(e) => return err(e),
    };
    let mut got: Vec<ParsedSample> = got
        .into_iter()
        .map(|g| ParsedSample {
            labels: g.labels,
            value: g.value,
            histogram: g.histogram.map(|h| h.test_expression()).unwrap_or_default(),
        })
        .collect();
    let mut exp = Vec::with_capacity(t.exp_samples.len());
    for s in &t.exp_samples {
        let labels = match parse_metric(&s.labels.value) {
            Ok(l) => l,
            Err(e) => return err(format!("labels {:?}: {e}", s.labels.value)),
        };
        // As promtool: a non-empty `histogram` is read as the series
        // notation of one histogram (`{} <text>`) and compared by its
        // TestExpression; `value` is still compared (0 for a histogram).
        let histogram = match s.histogram.as_ref().filter(|h| !h.value.is_empty()) {
            None => String::new(),
            Some(h) => match expected_histogram(&h.value) {
                Ok(h) => h,
                Err(e) => return err(format!("labels {:?}: {e}", s.labels.value)),
            },
        };
        exp.push(ParsedSample {
            labels,
            value: s.value,
            histogram,
        });
    }
    compare::sort_samples(&mut exp);
    compare::sort_samples(&mut got);
    if compare::samples_equal(&exp, &got, fuzzy) {
        return None;
    }
    Some(Failure {
        message: format!(
            "    expr: {expr_q}, time: {time},\n        exp: {}\n        got: {}",
            compare::samples_string(&exp),
            compare::samples_string(&got)
        ),
        diff: Some(compare::samples_diff(&exp, &got, fuzzy)),
        ..Failure::default()
    })
}

#[cfg(test)]
mod tests;
