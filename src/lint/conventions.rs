//! What a run states about the Prometheus it is written for, applied to the
//! settings the config leaves unset: the scrape interval (a `prometheus.yml`'s
//! `global.scrape_interval`, else the ServiceMonitor and PodMonitor endpoint
//! intervals of the run), the evaluation interval (`global.evaluation_interval`)
//! the external labels every alert carries (`global.external_labels`) and
//! the feature flags a server enables (`enableFeatures`, `--enable-feature`).
//! Explicit `.mlalert.yaml` settings always win; a lint says in its message
//! where the value it used comes from ([`Config::origin`]).

use crate::config::{Config, Millis, Value};
use crate::model::{Interval, IntervalKind, LoadedFile};
use crate::source::SourceFile;

use super::project::route_unused::EXTERNAL_LABELS;
use super::rules::alert_name_style::ALERT_NAME_STYLE;
use super::rules::experimental_promql::PROMETHEUS_FEATURES;
use super::rules::for_below_evaluation_interval::EVALUATION_INTERVAL;
use super::rules::rate_window_too_short::SCRAPE_INTERVAL;
use super::rules::recording_rule_naming::RECORDING_RULE_STYLE;
use super::rules::severity_not_allowed::ALLOWED_SEVERITIES;

/// `config` with the intervals the run states filled in where it sets none.
/// Of several stated intervals the shortest is taken, so that a finding
/// holds for every server and target of the run. A Prometheus server config
/// wins over monitor intervals for the scrape interval.
pub fn apply(config: &Config, files: &[SourceFile], loaded: &[Option<LoadedFile>]) -> Config {
    let mut out = config.clone();
    let stated: Vec<(usize, &Interval)> = loaded
        .iter()
        .enumerate()
        .filter_map(|(i, l)| l.as_ref().map(|l| (i, l)))
        .flat_map(|(i, l)| l.intervals.iter().map(move |iv| (i, iv)))
        .collect();
    let shortest = |kind: IntervalKind, server: bool| {
        stated
            .iter()
            .filter(|(_, iv)| iv.kind == kind && iv.what.contains("global.") == server)
            .min_by_key(|(_, iv)| iv.ms)
            .copied()
    };
    let origin = |(file, iv): (usize, &Interval)| {
        let f = &files[file];
        let lc = f.line_col(iv.span.start);
        format!("{}:{}:{} ({})", f.path, lc.line, lc.column, iv.what)
    };
    if let Some(s) = shortest(IntervalKind::Scrape, true).or(shortest(IntervalKind::Scrape, false))
    {
        out.set_inferred(&SCRAPE_INTERVAL, Value::Ms(Millis(s.1.ms)), origin(s));
    }
    if let Some(e) = shortest(IntervalKind::Evaluation, true) {
        out.set_inferred(&EVALUATION_INTERVAL, Value::Ms(Millis(e.1.ms)), origin(e));
    }
    if let Some((values, text)) = severity_scale(loaded) {
        out.set_inferred(&ALLOWED_SEVERITIES, Value::Strings(values), text);
    }
    let rules = || {
        loaded
            .iter()
            .flatten()
            .flat_map(|l| &l.rule_files)
            .flat_map(|rf| &rf.groups)
            .flat_map(|g| &g.rules)
    };
    let alerts: Vec<NameStyle> = rules()
        .filter(|r| r.is_alert())
        .map(|r| name_style(&r.name.value))
        .collect();
    if let Some((style, n)) = dominant(&alerts) {
        out.set_inferred(
            &ALERT_NAME_STYLE,
            Value::Text(style.as_str().to_string()),
            format!(
                "the style {n} of the run's {} alert names follow",
                alerts.len()
            ),
        );
    } else if alerts.len() >= MIN_NAMES {
        out.set_inferred(
            &ALERT_NAME_STYLE,
            Value::Text("any".to_string()),
            format!(
                "no style that most of the run's {} alert names follow",
                alerts.len()
            ),
        );
    }
    let records: Vec<RecordShape> = rules()
        .filter(|r| !r.is_alert() && !r.name.value.contains('{'))
        .map(|r| record_shape(&r.name.value))
        .collect();
    if let Some((shape, n)) = dominant(&records) {
        out.set_inferred(
            &RECORDING_RULE_STYLE,
            Value::Text(shape.as_str().to_string()),
            format!(
                "the scheme {n} of the run's {} recording rules follow",
                records.len()
            ),
        );
    } else if records.len() >= MIN_NAMES {
        out.set_inferred(
            &RECORDING_RULE_STYLE,
            Value::Text("any".to_string()),
            format!(
                "no scheme that most of the run's {} recording rules follow",
                records.len()
            ),
        );
    }
    // External labels: of the first server config that states some (with
    // several servers, each sets its own; the first is as good as any for
    // deciding what can reach a route).
    if let Some((file, l)) = loaded
        .iter()
        .enumerate()
        .filter_map(|(i, l)| l.as_ref().map(|l| (i, l)))
        .find(|(_, l)| !l.external_labels.is_empty())
    {
        let f = &files[file];
        let lc = f.line_col(l.external_labels[0].2.start);
        let pairs = l
            .external_labels
            .iter()
            .map(|(k, v, _)| format!("{k}={v}"))
            .collect();
        out.set_inferred(
            &EXTERNAL_LABELS,
            Value::Strings(pairs),
            format!(
                "{}:{}:{} (global.external_labels)",
                f.path, lc.line, lc.column
            ),
        );
    }
    // Feature flags: every flag any server of the run enables (a run may
    // hold Alertmanager's and other tools' `--enable-feature` too, so the
    // union, not the intersection, is what the rules can rely on).
    let mut features: Vec<(usize, &(String, crate::source::Span))> = loaded
        .iter()
        .enumerate()
        .filter_map(|(i, l)| l.as_ref().map(|l| (i, l)))
        .flat_map(|(i, l)| l.features.iter().map(move |f| (i, f)))
        .collect();
    if let Some(&(file, (_, span))) = features.first() {
        let f = &files[file];
        let lc = f.line_col(span.start);
        let at = format!("{}:{}:{} (--enable-feature)", f.path, lc.line, lc.column);
        features.sort_by(|a, b| a.1.0.cmp(&b.1.0));
        features.dedup_by(|a, b| a.1.0 == b.1.0);
        out.set_inferred(
            &PROMETHEUS_FEATURES,
            Value::Strings(features.iter().map(|(_, (n, _))| n.clone()).collect()),
            at,
        );
    }
    out
}

/// How an alert name is written, for `alert-name-style`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NameStyle {
    /// ASCII letters and digits, starting with a letter (`GPUMemoryHigh`,
    /// `etcdMembersDown`).
    CamelCase,
    /// Lowercase letters, digits and `_`, with at least one `_`
    /// (`gpu_memory_high`).
    SnakeCase,
    /// Anything else (spaces, `-`, `.`, a leading digit).
    Other,
}

impl NameStyle {
    /// The setting's spelling (`alert_name_style: CamelCase`).
    pub fn as_str(self) -> &'static str {
        match self {
            NameStyle::CamelCase => "CamelCase",
            NameStyle::SnakeCase => "snake_case",
            NameStyle::Other => "any",
        }
    }
}

/// The style of alert name `name`.
pub fn name_style(name: &str) -> NameStyle {
    let starts_with_letter = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    if starts_with_letter && name.chars().all(|c| c.is_ascii_alphanumeric()) {
        NameStyle::CamelCase
    } else if starts_with_letter
        && name.contains('_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        NameStyle::SnakeCase
    } else {
        NameStyle::Other
    }
}

/// The shape of a recording rule's name, for `recording-rule-naming`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RecordShape {
    /// `level:metric:operations` (two colons or more, metric and operations
    /// parts non-empty; an empty level is accepted, as kube-prometheus writes
    /// cluster-wide aggregates, and so is an empty last part after a level and
    /// a metric, `node_namespace_pod:kube_pod_info:`, as kubernetes-mixin
    /// writes a join target).
    LevelMetricOperations,
    /// One colon: `prefix:name` (`component_ops:rate_5m`).
    PrefixName,
    /// No colon (`gpu_memory_used_total`).
    Plain,
    /// Colons with an empty metric or operations part (`job::sum`).
    Malformed,
}

impl RecordShape {
    /// The setting's spelling (`recording_rule_style: level:metric:operations`).
    pub fn as_str(self) -> &'static str {
        match self {
            RecordShape::LevelMetricOperations => "level:metric:operations",
            RecordShape::PrefixName => "prefix:name",
            RecordShape::Plain => "plain",
            RecordShape::Malformed => "malformed",
        }
    }
}

/// The shape of recording rule name `name`.
pub fn record_shape(name: &str) -> RecordShape {
    let parts: Vec<&str> = name.split(':').collect();
    match parts.as_slice() {
        [_] => RecordShape::Plain,
        [a, b] if !a.is_empty() && !b.is_empty() => RecordShape::PrefixName,
        [_, _] => RecordShape::Malformed,
        [a, b, ""] if !a.is_empty() && !b.is_empty() => RecordShape::LevelMetricOperations,
        [_, rest @ ..] if rest.iter().all(|p| !p.is_empty()) => RecordShape::LevelMetricOperations,
        _ => RecordShape::Malformed,
    }
}

/// Fewest names of a kind a run needs before its dominant style is taken
/// as the convention.
const MIN_NAMES: usize = 5;
/// Share of names (in percent) the dominant style needs to be the convention.
const DOMINANT_PERCENT: usize = 80;

/// The style most of `styles` follow, with its count, when at least
/// [`MIN_NAMES`] are given and [`DOMINANT_PERCENT`] of them follow it.
fn dominant<T: Ord + Copy>(styles: &[T]) -> Option<(T, usize)> {
    if styles.len() < MIN_NAMES {
        return None;
    }
    let mut counts: std::collections::BTreeMap<T, usize> = std::collections::BTreeMap::new();
    for s in styles {
        *counts.entry(*s).or_default() += 1;
    }
    let (style, n) = counts.into_iter().max_by_key(|(_, n)| *n)?;
    (n * 100 >= styles.len() * DOMINANT_PERCENT).then_some((style, n))
}

/// Severity values that are words of their own, never taken as a
/// misspelling of another (`minor` is not a typo of `major`).
const SEVERITY_WORDS: &[&str] = &[
    "critical",
    "warning",
    "info",
    "none",
    "major",
    "minor",
    "high",
    "low",
    "medium",
    "page",
    "ticket",
    "error",
    "fatal",
    "debug",
    "notice",
    "emergency",
    "alert",
    "task",
];

/// Whether severity `rare` looks like a misspelling or variant of `common`:
/// equal ignoring case (`Critical`), one a prefix of the other (`warn`,
/// `warning`; `info`, `informational`), or, for a value that is not a
/// severity word of its own, at most two edits apart (`warnign`).
pub fn severity_variant(rare: &str, common: &str) -> bool {
    if rare == common {
        return false;
    }
    let (a, b) = (rare.to_ascii_lowercase(), common.to_ascii_lowercase());
    if a == b {
        return true;
    }
    let prefix = (a.len() >= 3 && b.starts_with(&a)) || (b.len() >= 3 && a.starts_with(&b));
    prefix
        || (a.len() > 3
            && !SEVERITY_WORDS.contains(&a.as_str())
            && crate::diagnostic::suggest::edit_distance(&a, &b) <= 2)
}

/// How much more common a value must be than its variant for the variant
/// to be an outlier.
const OUTLIER_RATIO: usize = 5;

/// The run's severity scale: every static `severity` value of its alerting
/// rules and every value its Alertmanager routes match on `severity`,
/// without the outliers (a value that is a variant of one used at least
/// [`OUTLIER_RATIO`] times as often, or, when routes match on severity, a
/// variant of a routed value that no route matches). `None` when the run
/// has no severity at all. The text lists the values with their counts.
pub fn severity_scale(loaded: &[Option<LoadedFile>]) -> Option<(Vec<String>, String)> {
    let mut counts: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for l in loaded.iter().flatten() {
        for g in l.rule_files.iter().flat_map(|rf| &rf.groups) {
            for r in g.rules.iter().filter(|r| r.is_alert()) {
                if let Some(kv) = g.label_of(r, "severity") {
                    let v = kv.value.value.trim();
                    if !v.is_empty() && !v.contains("{{") {
                        *counts.entry(v.to_string()).or_default() += 1;
                    }
                }
            }
        }
    }
    let mut routed: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    fn walk(r: &crate::model::alertmanager::Route, out: &mut std::collections::BTreeSet<String>) {
        use crate::model::alertmanager::matchers::MatchType;
        for m in r
            .matchers
            .iter()
            .map(|m| &m.matcher)
            .filter(|m| m.name == "severity")
        {
            match m.op {
                MatchType::Equal => {
                    out.insert(m.value.clone());
                }
                MatchType::Regexp => {
                    if let Some(vs) = crate::routing::overlap::literal_alternatives(&m.value) {
                        out.extend(vs);
                    }
                }
                _ => {}
            }
        }
        for c in &r.routes {
            walk(c, out);
        }
    }
    for l in loaded.iter().flatten() {
        for am in l.am_configs.iter().filter(|a| a.valid) {
            if let Some(r) = &am.route {
                walk(r, &mut routed);
            }
        }
    }
    routed.remove("");
    if counts.is_empty() {
        return None;
    }
    let outlier = |v: &str, n: usize| {
        counts
            .iter()
            .any(|(w, &m)| m >= n * OUTLIER_RATIO && severity_variant(v, w))
            || (!routed.contains(v) && routed.iter().any(|w| severity_variant(v, w)))
    };
    let mut scale: Vec<(String, usize)> = counts
        .iter()
        .filter(|(v, n)| !outlier(v, **n))
        .map(|(v, n)| (v.clone(), *n))
        .collect();
    for v in &routed {
        if !counts.contains_key(v) {
            scale.push((v.clone(), 0));
        }
    }
    scale.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let text: Vec<String> = scale
        .iter()
        .map(|(v, n)| {
            if *n == 0 {
                format!("{v} (routed)")
            } else {
                format!("{v} ×{n}")
            }
        })
        .collect();
    let values = scale.into_iter().map(|(v, _)| v).collect();
    Some((
        values,
        format!("the severities this run uses: {}", text.join(", ")),
    ))
}
