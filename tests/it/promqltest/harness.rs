//! Runner for Prometheus' promqltest script language (`load`, `clear`,
//! `eval instant|range`, `expect ...`), used by the conformance test.
//!
//! Differences from Prometheus' runner, by design: annotation messages are
//! compared without their `(line:col)` position (our parser has no
//! positions); the extra `@`-modifier variants Prometheus derives from each
//! instant eval are not run (the range-mode check is). `@st` lines give the
//! next series' samples start timestamps (test.go `parseLoad`). Every expression is parsed (a parse error is the
//! query's error); cases using language the engine does not evaluate yet are
//! skipped with the reason. `load_with_nhcb` also appends the block's classic
//! histograms as native histograms with custom buckets, as Prometheus'
//! `appendCustomHistogram` (util/convertnhcb).

use std::collections::{BTreeMap, HashSet};

use mlalert::promql::ast::Expr;
use regex::Regex;

use mlalert::engine::error::{AnnotationKind, EvalError};
use mlalert::engine::eval::{Engine, QueryOutput};
use mlalert::engine::labels::Labels;
use mlalert::engine::native::FloatHistogram;
use mlalert::engine::parse::parse_expr;
use mlalert::engine::series_desc::{
    SeqValue, parse_metric, parse_number, parse_values, unquote_prefix,
};
use mlalert::engine::storage::Storage;
use mlalert::engine::value::Value;

/// Prometheus' default relative tolerance for sample values.
pub const DEFAULT_EPSILON: f64 = 0.000001;

/// Outcome of one eval case.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The case passed.
    Passed,
    /// The case failed: `cause` is a short category, `detail` the specifics.
    Failed {
        /// Category used to group failures.
        cause: String,
        /// Human-readable detail.
        detail: String,
    },
    /// The case was not run.
    Skipped(String),
}

/// One eval case's result.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseResult {
    /// 1-based line of the `eval` command.
    pub line: usize,
    /// The query.
    pub expr: String,
    /// What happened.
    pub outcome: Outcome,
}

/// Results for one script.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScriptReport {
    /// Every eval case in order.
    pub cases: Vec<CaseResult>,
    /// Script-level problems (bad commands); each is also a failure.
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum ExpectKind {
    Ordered,
    Fail,
    Warn,
    NoWarn,
    Info,
    NoInfo,
}

#[derive(Debug, Clone)]
struct ExpectLine {
    kind: ExpectKind,
    msg: Option<String>,
    regex: Option<Regex>,
}

#[derive(Debug, Clone)]
struct ExpectedSeries {
    labels: Labels,
    pos: usize,
    vals: Vec<SeqValue>,
}

#[derive(Debug, Clone, Default)]
struct EvalCmd {
    line: usize,
    expr: String,
    is_range: bool,
    start: i64,
    end: i64,
    step: i64,
    eval_t: i64,
    fail: bool,
    warn: bool,
    info: bool,
    ordered: bool,
    expected_fail_message: Option<String>,
    expected_fail_regexp: Option<Regex>,
    expects: Vec<ExpectLine>,
    expect_scalar: Option<f64>,
    expected: Vec<ExpectedSeries>,
    expected_string: Option<String>,
    exclude_from_range: bool,
    bad: Option<String>,
}

impl EvalCmd {
    fn is_fail(&self) -> bool {
        self.fail || self.expects.iter().any(|e| e.kind == ExpectKind::Fail)
    }
    fn is_ordered(&self) -> bool {
        self.ordered || self.expects.iter().any(|e| e.kind == ExpectKind::Ordered)
    }
}

/// Parses a Prometheus duration (`1h30m`, `10s`, `0`; `1.5s` is not
/// allowed) into milliseconds, as promqltest does with `model.ParseDuration`
/// (see [`mlalert::go::duration::parse_prometheus`]). Surrounding whitespace is
/// ignored.
pub fn parse_duration_ms(s: &str) -> Option<i64> {
    mlalert::go::duration::parse_prometheus(s.trim())
        .ok()
        .and_then(|ms| i64::try_from(ms).ok())
}

/// Prometheus' `almost.Equal` with relative tolerance `eps`.
pub fn almost_equal(a: f64, b: f64, eps: f64) -> bool {
    let min_normal = f64::from_bits(0x0010000000000000);
    if a.is_nan() && b.is_nan() {
        return true;
    }
    if a == b {
        return true;
    }
    let abs_sum = a.abs() + b.abs();
    let diff = (a - b).abs();
    if a == 0.0 || b == 0.0 || abs_sum < min_normal {
        return diff < eps * min_normal;
    }
    diff / abs_sum.min(f64::MAX) < eps
}

fn fail(cause: &str, detail: impl Into<String>) -> Outcome {
    Outcome::Failed {
        cause: cause.to_string(),
        detail: detail.into(),
    }
}

/// Runs one promqltest script with the engine settings Prometheus' test
/// engine uses (delayed name removal on, 5m lookback, 10,000 samples... but
/// Prometheus' own test engine has a larger limit; we use `engine` as given).
pub fn run_script(text: &str, engine: &Engine) -> ScriptReport {
    let lines: Vec<String> = text
        .split('\n')
        .map(|l| {
            let t = l.trim();
            if t.starts_with('#') {
                String::new()
            } else {
                t.to_string()
            }
        })
        .collect();
    let pat_load = Regex::new(r"^load(?:_(with_nhcb))?\s+(.+?)$").ok();
    let pat_instant =
        Regex::new(r"^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$").ok();
    let pat_range = Regex::new(
        r"^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$",
    )
    .ok();
    let pat_expect =
        Regex::new(r"^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$")
            .ok();
    let pat_expect_range =
        Regex::new(r"^expect range vector\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+)$").ok();
    let (
        Some(pat_load),
        Some(pat_instant),
        Some(pat_range),
        Some(pat_expect),
        Some(pat_expect_range),
    ) = (
        pat_load,
        pat_instant,
        pat_range,
        pat_expect,
        pat_expect_range,
    )
    else {
        return ScriptReport {
            cases: vec![],
            errors: vec!["internal: bad regex".into()],
        };
    };

    let mut report = ScriptReport::default();
    let mut storage = Storage::new();
    let mut classic = ClassicHistograms::default();
    let mut i = 0;
    while i < lines.len() {
        let l = &lines[i];
        if l.is_empty() {
            i += 1;
            continue;
        }
        let cmd = l
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        if cmd == "clear" {
            storage.clear();
            i += 1;
            continue;
        }
        if cmd.starts_with("load") {
            let Some(caps) = pat_load.captures(l) else {
                report
                    .errors
                    .push(format!("line {}: invalid load command", i + 1));
                i += 1;
                continue;
            };
            let nhcb = caps.get(1).is_some();
            let step = caps.get(2).and_then(|m| parse_duration_ms(m.as_str()));
            let Some(step) = step else {
                report.errors.push(format!("line {}: invalid step", i + 1));
                i += 1;
                continue;
            };
            i += 1;
            // `@st` lines (test.go parseLoad): offsets from each sample's
            // time to its start timestamp, for the next line's series, or
            // (no metric) for every later line of the block.
            let mut default_sts: Vec<Option<i64>> = Vec::new();
            let mut pending: Option<(Labels, Vec<Option<i64>>, usize)> = None;
            while i < lines.len() && !lines[i].is_empty() {
                let def = &lines[i];
                i += 1;
                let first = def.split_whitespace().next().unwrap_or("");
                if let Some(metric) = first.strip_suffix("@st") {
                    let seq = def[first.len()..].trim();
                    let sts = match parse_st_sequence(seq) {
                        Ok(v) => v,
                        Err(e) => {
                            report
                                .errors
                                .push(format!("line {i}: invalid @st sequence: {e}"));
                            continue;
                        }
                    };
                    if metric.is_empty() {
                        default_sts = sts;
                        continue;
                    }
                    if pending.is_some() {
                        report
                            .errors
                            .push(format!("line {i}: @st line has no following sample line"));
                    }
                    match parse_metric(&format!("{metric} _")) {
                        Ok((labels, _)) => pending = Some((labels, sts, i)),
                        Err(e) => report.errors.push(format!("line {i}: {e}")),
                    }
                    continue;
                }
                let (labels, rest) = match parse_metric(def) {
                    Ok(x) => x,
                    Err(e) => {
                        report.errors.push(format!("line {i}: {e}"));
                        continue;
                    }
                };
                let sts = match pending.take() {
                    Some((st_labels, sts, at)) => {
                        if st_labels != labels {
                            report.errors.push(format!(
                                "line {at}: @st metric does not match the following sample line metric"
                            ));
                        }
                        Some((sts, at))
                    }
                    None => None,
                };
                let mut t = 0i64;
                match parse_values(rest) {
                    Ok(vals) => {
                        if let Some((sts, at)) = &sts
                            && sts.len() != vals.len()
                        {
                            report.errors.push(format!(
                                "line {at}: @st line has {} values but sample line has {}",
                                sts.len(),
                                vals.len()
                            ));
                        }
                        for (k, v) in vals.into_iter().enumerate() {
                            let offset = match &sts {
                                Some((sts, _)) => sts.get(k).copied().flatten(),
                                None if !default_sts.is_empty() => {
                                    default_sts[k % default_sts.len()]
                                }
                                None => None,
                            };
                            let appended = match v {
                                SeqValue::Value(f) => {
                                    storage.append(&labels, t, f);
                                    if nhcb {
                                        classic.add(&labels, t, f);
                                    }
                                    true
                                }
                                SeqValue::Histogram(h) => {
                                    storage.append_histogram(&labels, t, h);
                                    true
                                }
                                SeqValue::Stale => {
                                    storage.append_stale(&labels, t);
                                    true
                                }
                                SeqValue::Omitted => false,
                            };
                            if appended && let Some(o) = offset {
                                storage.set_start_timestamp(&labels, t, t + o);
                            }
                            t += step;
                        }
                    }
                    Err(e) => report.errors.push(format!("line {i}: {e}")),
                }
            }
            if let Some((_, _, at)) = pending {
                report
                    .errors
                    .push(format!("line {at}: @st line has no following sample line"));
            }
            // load_with_nhcb: the classic histograms of the block are also
            // appended as native histograms with custom buckets, as
            // promqltest's appendCustomHistogram.
            match std::mem::take(&mut classic).convert() {
                Ok(series) => {
                    for (labels, points) in series {
                        for (t, h) in points {
                            storage.append_histogram(&labels, t, std::sync::Arc::new(h));
                        }
                    }
                }
                Err(e) => report.errors.push(format!("load_with_nhcb: {e}")),
            }
            continue;
        }
        if cmd.starts_with("eval") {
            let (cmd, next) = parse_eval(
                &lines,
                i,
                &pat_instant,
                &pat_range,
                &pat_expect,
                &pat_expect_range,
            );
            i = next;
            let outcome = run_eval(&cmd, &storage, engine);
            report.cases.push(CaseResult {
                line: cmd.line,
                expr: cmd.expr.clone(),
                outcome,
            });
            continue;
        }
        report
            .errors
            .push(format!("line {}: invalid command {l:?}", i + 1));
        i += 1;
    }
    report
}

/// An `@st` line's sequence (test.go `parseSTSequence`): per position an
/// offset in ms from the sample's time to its start timestamp, or `None`
/// (`_`). Items: `_`, `_xN` (N omitted), `*` / `*xN` (the previous offset
/// once / N+1 times), `<d>`, `<d>xN` (N+1 times), `<d>+<e>xN` /
/// `<d>-<e>xN` (N+1 offsets stepping by `e`); durations are Prometheus
/// durations with an optional sign (`-1m`, `0`, `59999ms`).
fn parse_st_sequence(input: &str) -> Result<Vec<Option<i64>>, String> {
    let mut out: Vec<Option<i64>> = Vec::new();
    for item in input.split_whitespace() {
        let prev = out.iter().rev().find_map(|x| *x).unwrap_or(0);
        let bad = || format!("invalid ST item {item:?}");
        let count = |n: &str| n.parse::<usize>().map_err(|_| bad());
        if item == "_" {
            out.push(None);
        } else if let Some(n) = item.strip_prefix("_x") {
            let n = count(n)?;
            if n == 0 {
                return Err(bad());
            }
            out.extend(std::iter::repeat_n(None, n));
        } else if item == "*" {
            out.push(Some(prev));
        } else if let Some(n) = item.strip_prefix("*x") {
            out.extend(std::iter::repeat_n(Some(prev), count(n)? + 1));
        } else {
            let (base, rest) = st_duration_prefix(item).ok_or_else(bad)?;
            if rest.is_empty() {
                out.push(Some(base));
            } else if let Some(n) = rest.strip_prefix('x') {
                out.extend(std::iter::repeat_n(Some(base), count(n)? + 1));
            } else {
                let neg = rest.starts_with('-');
                let rest = rest.strip_prefix(['+', '-']).ok_or_else(bad)?;
                let (delta, rest) = st_duration_prefix(rest).ok_or_else(bad)?;
                let delta = if neg { -delta } else { delta };
                let n = count(rest.strip_prefix('x').ok_or_else(bad)?)?;
                let mut o = base;
                for _ in 0..=n {
                    out.push(Some(o));
                    o += delta;
                }
            }
        }
    }
    Ok(out)
}

/// A signed Prometheus duration at the start of `s` (digits, then one run
/// of letters other than `x`) in ms, and the rest (test.go
/// `parseDurationPrefix`).
fn st_duration_prefix(s: &str) -> Option<(i64, &str)> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let digits = body.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let unit = body[digits..]
        .bytes()
        .take_while(|b| b.is_ascii_alphabetic() && *b != b'x')
        .count();
    let ms = parse_duration_ms(&body[..digits + unit])?;
    Some((if neg { -ms } else { ms }, &body[digits + unit..]))
}

fn parse_eval(
    lines: &[String],
    start: usize,
    pat_instant: &Regex,
    pat_range: &Regex,
    pat_expect: &Regex,
    pat_expect_range: &Regex,
) -> (EvalCmd, usize) {
    let l = &lines[start];
    let mut cmd = EvalCmd {
        line: start + 1,
        ..EvalCmd::default()
    };
    let mode;
    if let Some(c) = pat_instant.captures(l) {
        mode = c.get(1).map(|m| m.as_str().to_string());
        cmd.expr = c.get(3).map_or("", |m| m.as_str()).to_string();
        let at = c.get(2).map_or("0", |m| m.as_str());
        match parse_duration_ms(at) {
            Some(t) => {
                cmd.start = t;
                cmd.eval_t = t;
            }
            None => cmd.bad = Some(format!("invalid timestamp {at:?}")),
        }
    } else if let Some(c) = pat_range.captures(l) {
        mode = c.get(1).map(|m| m.as_str().to_string());
        cmd.is_range = true;
        cmd.expr = c.get(5).map_or("", |m| m.as_str()).to_string();
        let from = parse_duration_ms(c.get(2).map_or("", |m| m.as_str()));
        let to = parse_duration_ms(c.get(3).map_or("", |m| m.as_str()));
        let step = parse_duration_ms(c.get(4).map_or("", |m| m.as_str()));
        match (from, to, step) {
            (Some(f), Some(t), Some(s)) => {
                cmd.start = f;
                cmd.end = t;
                cmd.step = s;
            }
            _ => cmd.bad = Some("invalid range definition".into()),
        }
    } else {
        cmd.bad = Some(format!("invalid evaluation command {l:?}"));
        mode = None;
    }
    match mode.as_deref() {
        Some("fail") => cmd.fail = true,
        Some("warn") => cmd.warn = true,
        Some("info") => cmd.info = true,
        Some("ordered") => cmd.ordered = true,
        _ => {}
    }
    let mut i = start;
    let mut pos = 1usize;
    let mut expect_range = false;
    while i + 1 < lines.len() {
        i += 1;
        let def = &lines[i];
        if def.is_empty() {
            i -= 1;
            break;
        }
        if cmd.is_fail() {
            if let Some(m) = def.strip_prefix("expected_fail_message") {
                cmd.expected_fail_message = Some(m.trim().to_string());
                break;
            }
            if let Some(m) = def.strip_prefix("expected_fail_regexp") {
                cmd.expected_fail_regexp = Regex::new(m.trim()).ok();
                break;
            }
        }
        if let Some(c) = pat_expect_range.captures(def) {
            let f = parse_duration_ms(c.get(1).map_or("", |m| m.as_str()));
            let t = parse_duration_ms(c.get(2).map_or("", |m| m.as_str()));
            let s = parse_duration_ms(c.get(3).map_or("", |m| m.as_str()));
            if let (Some(f), Some(t), Some(s)) = (f, t, s) {
                cmd.start = f;
                cmd.end = t;
                cmd.step = s;
                cmd.eval_t = t;
                expect_range = true;
                cmd.exclude_from_range = true;
            } else {
                cmd.bad = Some(format!("invalid range vector definition {def:?}"));
            }
            continue;
        }
        if let Some(rest) = def.strip_prefix("expect string") {
            match unquote_prefix(rest.trim()) {
                Ok((s, _)) => cmd.expected_string = Some(s),
                Err(_) => cmd.bad = Some("invalid expected string".into()),
            }
            cmd.exclude_from_range = true;
            continue;
        }
        if def.split(' ').next() == Some("expect") {
            match pat_expect.captures(def.trim()) {
                Some(c) => {
                    let kind = match c.get(1).map_or("", |m| m.as_str()) {
                        "ordered" => ExpectKind::Ordered,
                        "fail" => ExpectKind::Fail,
                        "warn" => ExpectKind::Warn,
                        "no_warn" => ExpectKind::NoWarn,
                        "info" => ExpectKind::Info,
                        _ => ExpectKind::NoInfo,
                    };
                    let body = c.get(3).map(|m| m.as_str().trim().to_string());
                    let (msg, regex) = match c.get(2).map(|m| m.as_str()) {
                        Some("msg") => (body, None),
                        Some(_) => (None, body.and_then(|b| Regex::new(&b).ok())),
                        None => (None, None),
                    };
                    cmd.expects.push(ExpectLine { kind, msg, regex });
                }
                None => cmd.bad = Some(format!("invalid expect statement {def:?}")),
            }
            continue;
        }
        if let Some(f) = parse_int_or_float(def) {
            cmd.expect_scalar = Some(f);
            break;
        }
        match parse_metric(def) {
            Ok((labels, rest)) => {
                let vals = match parse_values(rest) {
                    Ok(v) => v,
                    Err(e) => {
                        cmd.bad = Some(e.to_string());
                        Vec::new()
                    }
                };
                if vals.len() > 1 && !cmd.is_range && !expect_range {
                    cmd.bad = Some("expecting multiple values in instant evaluation".into());
                }
                cmd.expected.retain(|e| e.labels != labels);
                cmd.expected.push(ExpectedSeries { labels, pos, vals });
                pos += 1;
            }
            Err(e) => cmd.bad = Some(e.to_string()),
        }
    }
    (cmd, i + 1)
}

fn parse_int_or_float(s: &str) -> Option<f64> {
    if s.contains(char::is_whitespace) || s.contains('{') {
        return None;
    }
    parse_number(s)
}

fn run_eval(cmd: &EvalCmd, storage: &Storage, engine: &Engine) -> Outcome {
    if let Some(b) = &cmd.bad {
        return fail("bad test definition", b.clone());
    }
    let expr = match parse_expr(&cmd.expr) {
        Ok(e) => e,
        // A parse error is the query's error, as in Prometheus' test engine.
        Err(e) if cmd.is_fail() => return check_expected_failure(cmd, &e),
        Err(e) => return fail("parse error", short(&e.to_string())),
    };
    let res = if cmd.is_range {
        engine.range_query_expr(storage, &expr, cmd.start, cmd.end, cmd.step)
    } else {
        engine.instant_query_expr(storage, &expr, cmd.eval_t)
    };
    let out = match res {
        // Language the engine does not evaluate yet (none in the corpus
        // since the trim operators are evaluated): skipped with the reason.
        Err(e) if e.to_string().starts_with("mlalert does not evaluate") => {
            return Outcome::Skipped(format!("engine: {e}"));
        }
        Err(e) => {
            if cmd.is_fail() {
                return check_expected_failure(cmd, &e);
            }
            return fail("unexpected error", format!("{e}"));
        }
        Ok(o) => o,
    };
    if cmd.is_fail() {
        return fail("expected error, got none", "query succeeded");
    }
    if let Some(o) = check_annotations(cmd, &out) {
        return o;
    }
    if let Some(o) = compare(
        cmd,
        &out.value,
        cmd.is_range || matches!(out.value, Value::Matrix(_)),
    ) {
        return o;
    }
    if !cmd.is_range && !cmd.exclude_from_range && !cmd.is_ordered() {
        let fns = ["start()", "end()", "range()", "step()"];
        if !fns.iter().any(|f| cmd.expr.replace(' ', "").contains(f)) {
            return range_mode_check(cmd, storage, engine, &expr, &out.value);
        }
    }
    Outcome::Passed
}

fn short(s: &str) -> String {
    let first = s.lines().next().unwrap_or("");
    first.chars().take(80).collect()
}

fn range_mode_check(
    cmd: &EvalCmd,
    storage: &Storage,
    engine: &Engine,
    expr: &Expr,
    instant: &Value,
) -> Outcome {
    let t = cmd.eval_t;
    let res = engine.range_query_expr(storage, expr, t - 60_000, t + 60_000, 60_000);
    let out = match res {
        Err(e) => return fail("range mode: unexpected error", e.to_string()),
        Ok(o) => o,
    };
    let Value::Matrix(m) = out.value else {
        return fail("range mode: wrong result type", "not a matrix");
    };
    let mut vec = Vec::new();
    for s in &m {
        if let Some(p) = s.points.iter().find(|p| p.t == t) {
            vec.push(mlalert::engine::value::Sample::float(
                s.labels.clone(),
                t,
                p.v,
                false,
            ));
        }
        if let Some(p) = s.hpoints.iter().find(|p| p.t == t) {
            vec.push(mlalert::engine::value::Sample {
                labels: s.labels.clone(),
                t,
                v: 0.0,
                h: Some(p.h.clone()),
                drop_name: false,
            });
        }
    }
    let v = match instant {
        Value::Scalar(_) => Value::Scalar(vec.first().map_or(f64::NAN, |s| s.v)),
        _ => Value::Vector(vec),
    };
    match compare(cmd, &v, false) {
        Some(Outcome::Failed { cause, detail }) => fail(&format!("range mode: {cause}"), detail),
        _ => Outcome::Passed,
    }
}

fn strip_position(s: &str) -> &str {
    let t = s.trim_end();
    if t.ends_with(')')
        && let Some(i) = t.rfind(" (")
    {
        {
            let inner = &t[i + 2..t.len() - 1];
            if inner.split(':').count() == 2
                && inner
                    .split(':')
                    .all(|p| p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty())
            {
                return &t[..i];
            }
        }
    }
    t
}

fn strip_regex_position(s: &str) -> String {
    let t = s.trim_end();
    if let Some(i) = t.rfind(r" \(")
        && t.ends_with(r"\)")
    {
        return t[..i].to_string() + "$";
    }
    t.to_string()
}

fn expect_matches(e: &ExpectLine, msg: &str) -> bool {
    if let Some(m) = &e.msg {
        return strip_position(m) == msg;
    }
    match &e.regex {
        Some(r) => {
            if r.is_match(msg) {
                return true;
            }
            Regex::new(&strip_regex_position(r.as_str())).is_ok_and(|r2| r2.is_match(msg))
        }
        None => true,
    }
}

fn check_expected_failure(cmd: &EvalCmd, e: &EvalError) -> Outcome {
    let msg = e.to_string();
    if let Some(m) = &cmd.expected_fail_message
        && m != &msg
    {
        {
            return fail(
                "wrong error message",
                format!("expected {m:?}, got {msg:?}"),
            );
        }
    }
    if let Some(r) = &cmd.expected_fail_regexp
        && !r.is_match(&msg)
    {
        {
            return fail(
                "wrong error message",
                format!("expected /{}/, got {msg:?}", r.as_str()),
            );
        }
    }
    if let Some(f) = cmd.expects.iter().find(|x| x.kind == ExpectKind::Fail) {
        let ok = match (&f.msg, &f.regex) {
            (Some(m), _) => m == &msg,
            (None, Some(r)) => r.is_match(&msg),
            _ => true,
        };
        if !ok {
            return fail(
                "wrong error message",
                format!(
                    "expected {:?}, got {msg:?}",
                    f.msg.clone().or(f.regex.as_ref().map(|r| r.to_string()))
                ),
            );
        }
    }
    Outcome::Passed
}

fn check_annotations(cmd: &EvalCmd, out: &QueryOutput) -> Option<Outcome> {
    let warns: Vec<&str> = out
        .annotations
        .iter()
        .filter(|a| a.kind == AnnotationKind::Warning)
        .map(|a| a.message.as_str())
        .collect();
    let infos: Vec<&str> = out
        .annotations
        .iter()
        .filter(|a| a.kind == AnnotationKind::Info)
        .map(|a| a.message.as_str())
        .collect();
    if cmd.warn && warns.is_empty() {
        return Some(fail(
            "missing warning annotation",
            "expected warnings, got none",
        ));
    }
    if cmd.info && infos.is_empty() {
        return Some(fail("missing info annotation", "expected infos, got none"));
    }
    for (kind, no_kind, actual, label) in [
        (ExpectKind::Warn, ExpectKind::NoWarn, &warns, "warning"),
        (ExpectKind::Info, ExpectKind::NoInfo, &infos, "info"),
    ] {
        let exp: Vec<&ExpectLine> = cmd.expects.iter().filter(|e| e.kind == kind).collect();
        if !exp.is_empty() {
            if actual.is_empty() {
                return Some(fail(
                    &format!("missing {label} annotation"),
                    format!("expected {label}, got none"),
                ));
            }
            for e in &exp {
                if !actual.iter().any(|a| expect_matches(e, a)) {
                    return Some(fail(
                        &format!("wrong {label} annotation"),
                        format!(
                            "expected {:?}, got {:?}",
                            e.msg.clone().or(e.regex.as_ref().map(|r| r.to_string())),
                            actual
                        ),
                    ));
                }
            }
            for a in actual.iter() {
                if !exp.iter().any(|e| expect_matches(e, a)) {
                    return Some(fail(
                        &format!("unexpected {label} annotation"),
                        a.to_string(),
                    ));
                }
            }
        }
        if cmd.expects.iter().any(|e| e.kind == no_kind) && !actual.is_empty() {
            return Some(fail(
                &format!("unexpected {label} annotation"),
                actual.join("; "),
            ));
        }
    }
    None
}

fn compare(cmd: &EvalCmd, v: &Value, as_matrix: bool) -> Option<Outcome> {
    match v {
        Value::Matrix(m) if as_matrix => {
            if cmd.is_ordered() {
                return Some(fail(
                    "ordering",
                    "expected ordered result, but query returned a matrix",
                ));
            }
            if cmd.expect_scalar.is_some() {
                return Some(fail("result type", "expected scalar result, got matrix"));
            }
            let mut seen = HashSet::new();
            for s in m {
                let Some(exp) = cmd.expected.iter().find(|e| e.labels == s.labels) else {
                    return Some(fail(
                        "unexpected series",
                        format!("unexpected metric {} in result", s.labels),
                    ));
                };
                seen.insert(&exp.labels);
                let mut want = Vec::new();
                let mut want_h = Vec::new();
                for (i, e) in exp.vals.iter().enumerate() {
                    let ts = cmd.start + i as i64 * cmd.step;
                    if ts > cmd.end {
                        return Some(fail(
                            "bad test definition",
                            "more points than the range allows",
                        ));
                    }
                    match e {
                        SeqValue::Value(f) => want.push((ts, *f)),
                        SeqValue::Histogram(h) => want_h.push((ts, h)),
                        _ => {}
                    }
                }
                if want_h.len() != s.hpoints.len() {
                    return Some(fail(
                        "wrong number of histogram points",
                        format!(
                            "{}: expected {} histograms, got {:?}",
                            s.labels,
                            want_h.len(),
                            s.hpoints
                                .iter()
                                .map(|p| (p.t, p.h.test_expression()))
                                .collect::<Vec<_>>()
                        ),
                    ));
                }
                for (w, p) in want_h.iter().zip(&s.hpoints) {
                    if w.0 != p.t || !p.h.approx_eq(w.1, DEFAULT_EPSILON) {
                        return Some(fail(
                            "wrong histogram",
                            format!(
                                "{}: expected {} at t={}, got {} at t={}",
                                s.labels,
                                w.1.test_expression(),
                                w.0,
                                p.h.test_expression(),
                                p.t
                            ),
                        ));
                    }
                }
                if want.len() != s.points.len() {
                    return Some(fail(
                        "wrong number of points",
                        format!(
                            "{}: expected {} points, got {:?}",
                            s.labels,
                            want.len(),
                            s.points.iter().map(|p| (p.t, p.v)).collect::<Vec<_>>()
                        ),
                    ));
                }
                for (w, p) in want.iter().zip(&s.points) {
                    if w.0 != p.t {
                        return Some(fail(
                            "wrong timestamp",
                            format!("{}: expected t={} got t={}", s.labels, w.0, p.t),
                        ));
                    }
                    if !almost_equal(p.v, w.1, DEFAULT_EPSILON) {
                        return Some(fail(
                            "wrong value",
                            format!("{} at t={}: expected {} got {}", s.labels, p.t, w.1, p.v),
                        ));
                    }
                }
            }
            for e in &cmd.expected {
                if !seen.contains(&e.labels) {
                    return Some(fail(
                        "missing series",
                        format!("expected metric {} not found", e.labels),
                    ));
                }
            }
            None
        }
        Value::Matrix(_) => Some(fail("result type", "unexpected matrix")),
        Value::Vector(vec) => {
            if cmd.expect_scalar.is_some() {
                return Some(fail("result type", "expected scalar result, got vector"));
            }
            let mut seen = HashSet::new();
            for (pos, s) in vec.iter().enumerate() {
                let Some(exp) = cmd.expected.iter().find(|e| e.labels == s.labels) else {
                    return Some(fail(
                        "unexpected series",
                        format!(
                            "unexpected metric {} in result, has value {}",
                            s.labels, s.v
                        ),
                    ));
                };
                if cmd.is_ordered() && exp.pos != pos + 1 {
                    return Some(fail(
                        "ordering",
                        format!(
                            "expected {} at position {} but was at {}",
                            s.labels,
                            exp.pos,
                            pos + 1
                        ),
                    ));
                }
                let want = match (exp.vals.first(), &s.h) {
                    (Some(SeqValue::Histogram(w)), Some(h)) => {
                        if !h.approx_eq(w, DEFAULT_EPSILON) {
                            return Some(fail(
                                "wrong histogram",
                                format!(
                                    "expected {} for {} but got {}",
                                    w.test_expression(),
                                    s.labels,
                                    h.test_expression()
                                ),
                            ));
                        }
                        seen.insert(&exp.labels);
                        continue;
                    }
                    (Some(SeqValue::Histogram(_)), None) => {
                        return Some(fail(
                            "wrong value",
                            format!("expected histogram for {} but got float {}", s.labels, s.v),
                        ));
                    }
                    (_, Some(h)) => {
                        return Some(fail(
                            "wrong value",
                            format!(
                                "expected float for {} but got histogram {}",
                                s.labels,
                                h.test_expression()
                            ),
                        ));
                    }
                    (Some(SeqValue::Value(f)), None) => *f,
                    (Some(SeqValue::Stale), None) => f64::NAN,
                    _ => return Some(fail("bad test definition", "expected value missing")),
                };
                if !almost_equal(want, s.v, DEFAULT_EPSILON) {
                    return Some(fail(
                        "wrong value",
                        format!("expected {want} for {} but got {}", s.labels, s.v),
                    ));
                }
                seen.insert(&exp.labels);
            }
            for e in &cmd.expected {
                if !seen.contains(&e.labels) {
                    return Some(fail(
                        "missing series",
                        format!("expected metric {} not found", e.labels),
                    ));
                }
            }
            None
        }
        Value::Scalar(f) => {
            let Some(want) = cmd.expect_scalar else {
                return Some(fail(
                    "result type",
                    format!("expected vector or matrix result, but got scalar {f}"),
                ));
            };
            if !almost_equal(want, *f, DEFAULT_EPSILON) {
                return Some(fail(
                    "wrong value",
                    format!("expected scalar {want} but got {f}"),
                ));
            }
            None
        }
        Value::String(s) => {
            let want = cmd.expected_string.clone().unwrap_or_default();
            if &want != s {
                return Some(fail(
                    "wrong value",
                    format!("expected string {want:?} but got {s:?}"),
                ));
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("1m30s"), Some(90_000));
        assert_eq!(parse_duration_ms("0"), Some(0));
        assert_eq!(parse_duration_ms("100ms"), Some(100));
        assert_eq!(parse_duration_ms("x"), None);
    }

    #[test]
    fn runs_a_small_script() {
        let script = "load 1m\n  foo{a=\"1\"} 1+1x10\n\neval instant at 5m foo\n  foo{a=\"1\"} 6\n\neval instant at 5m foo\n  foo{a=\"1\"} 7\n";
        let engine = Engine {
            delayed_name_removal: true,
            ..Engine::default()
        };
        let r = run_script(script, &engine);
        assert_eq!(r.cases.len(), 2);
        assert_eq!(r.cases[0].outcome, Outcome::Passed);
        assert!(matches!(r.cases[1].outcome, Outcome::Failed { .. }));
    }
}

/// A native histogram series: labels and `(t ms, histogram)` points.
type NativeSeries = (Labels, Vec<(i64, FloatHistogram)>);

/// The classic histogram samples of one `load_with_nhcb` block, by the
/// labels of the native histogram they become (name without `_bucket`,
/// `_count`, `_sum`; no `le`) and timestamp (ms).
#[derive(Default)]
struct ClassicHistograms {
    by_series: BTreeMap<Labels, BTreeMap<i64, TempHistogram>>,
}

/// One classic histogram at one time, as Prometheus' convertnhcb
/// `TempHistogram`: cumulative bucket counts by upper bound, count and sum.
#[derive(Default)]
struct TempHistogram {
    buckets: Vec<(f64, f64)>,
    count: Option<f64>,
    sum: f64,
    err: Option<String>,
}

impl ClassicHistograms {
    fn add(&mut self, labels: &Labels, t: i64, v: f64) {
        let name = labels.metric_name();
        let (kind, base) = if let Some(b) = name.strip_suffix("_bucket") {
            (0, b)
        } else if let Some(b) = name.strip_suffix("_sum") {
            (1, b)
        } else if let Some(b) = name.strip_suffix("_count") {
            (2, b)
        } else {
            return;
        };
        let le = if kind == 0 {
            match labels.get("le").and_then(parse_number) {
                Some(le) if !le.is_nan() => Some(le),
                _ => return,
            }
        } else {
            None
        };
        let mut key = labels.clone();
        key.remove("le");
        key.set(mlalert::engine::labels::METRIC_NAME, base);
        let h = self.by_series.entry(key).or_default().entry(t).or_default();
        match (kind, le) {
            (0, Some(le)) => h.set_bucket(le, v),
            (1, _) => h.sum = v,
            _ => {
                if v < 0.0 {
                    h.err
                        .get_or_insert(format!("count must be non-negative: count={v}"));
                }
                h.count = Some(v);
            }
        }
    }

    /// Native histograms per series, sorted by time.
    fn convert(self) -> Result<Vec<NativeSeries>, String> {
        let mut out = Vec::new();
        for (labels, points) in self.by_series {
            let mut hs = Vec::new();
            for (t, h) in points {
                hs.push((t, h.convert()?));
            }
            out.push((labels, hs));
        }
        Ok(out)
    }
}

impl TempHistogram {
    fn set_bucket(&mut self, le: f64, count: f64) {
        if self.err.is_some() {
            return;
        }
        if count < 0.0 {
            self.err = Some(format!(
                "bucket count must be non-negative: le={le}, count={count}"
            ));
            return;
        }
        let i = self.buckets.partition_point(|&(b, _)| b < le);
        if self.buckets.get(i).is_some_and(|&(b, _)| b == le) {
            return; // a duplicate sample
        }
        if i > 0 && count < self.buckets[i - 1].1 {
            self.err = Some("count is not cumulative".into());
            return;
        }
        if self.buckets.get(i).is_some_and(|&(_, c)| count > c) {
            self.err = Some("count is not cumulative".into());
            return;
        }
        self.buckets.insert(i, (le, count));
    }

    fn convert(mut self) -> Result<FloatHistogram, String> {
        if let Some(e) = self.err {
            return Err(e);
        }
        let count = match self.count {
            Some(c) => c,
            None => match self.buckets.last() {
                Some(&(_, c)) => c,
                None => return Err("count must be provided when no buckets are present".into()),
            },
        };
        if self
            .buckets
            .last()
            .is_none_or(|&(le, _)| le != f64::INFINITY)
        {
            self.buckets.push((f64::INFINITY, count));
        }
        let last = self.buckets[self.buckets.len() - 1].1;
        if last != count {
            return Err(format!(
                "count mismatch: count={count} != le=+Inf count={last}"
            ));
        }
        let mut h = FloatHistogram {
            schema: mlalert::engine::native::CUSTOM_BUCKETS_SCHEMA,
            count,
            sum: self.sum,
            ..FloatHistogram::default()
        };
        let mut prev = 0.0;
        for (i, &(le, c)) in self.buckets.iter().enumerate() {
            h.positive.push((i as i32, c - prev));
            prev = c;
            if le != f64::INFINITY {
                h.custom_values.push(le);
            }
        }
        h.compact();
        Ok(h)
    }
}
