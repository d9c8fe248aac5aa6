//! In-memory series store.

use std::collections::BTreeMap;

use crate::promql::ast::{MatchOp, Matcher, Matchers};

use super::labels::{Labels, METRIC_NAME};
use super::value::Point;

/// Bit pattern of Prometheus' staleness marker (`value.StaleNaN`).
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

/// The staleness marker value.
pub fn stale_nan() -> f64 {
    f64::from_bits(STALE_NAN_BITS)
}

/// True if `v` is the staleness marker (not any other NaN).
pub fn is_stale_nan(v: f64) -> bool {
    v.to_bits() == STALE_NAN_BITS
}

/// One stored series: its labels and samples sorted by timestamp (ms).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSeries {
    /// Labels including `__name__`.
    pub labels: Labels,
    /// Samples sorted by `t`; may contain staleness markers.
    pub points: Vec<Point>,
}

impl StoredSeries {
    /// Index of the first point with `t > after`.
    pub fn first_after(&self, after: i64) -> usize {
        self.points.partition_point(|p| p.t <= after)
    }
}

/// In-memory storage of float series, indexed by metric name (as
/// Prometheus' postings index `__name__`): a selector with a name touches
/// only that name's series. Within a name, series are sorted by labels, so
/// selection returns them in Prometheus' order.
#[derive(Debug, Clone, Default)]
pub struct Storage {
    /// Metric name ("" for none) → that name's series by labels.
    by_name: BTreeMap<String, BTreeMap<Labels, StoredSeries>>,
    len: usize,
}

impl Storage {
    /// An empty store.
    pub fn new() -> Self {
        Storage::default()
    }

    /// Removes every series.
    pub fn clear(&mut self) {
        self.by_name.clear();
        self.len = 0;
    }

    /// Appends a sample at `t_ms`. A sample at an existing timestamp replaces
    /// the old value; out-of-order samples are inserted in place.
    pub fn append(&mut self, labels: &Labels, t_ms: i64, v: f64) {
        let name = labels.get_or_empty(METRIC_NAME);
        let series = match self.by_name.get_mut(name) {
            Some(m) => m,
            None => self.by_name.entry(name.to_string()).or_default(),
        };
        // Look up first: appending to an existing series must not clone its labels.
        let s = match series.get_mut(labels) {
            Some(s) => s,
            None => {
                self.len += 1;
                series
                    .entry(labels.clone())
                    .or_insert_with(|| StoredSeries {
                        labels: labels.clone(),
                        points: Vec::new(),
                    })
            }
        };
        let pts = &mut s.points;
        match pts.last() {
            Some(last) if last.t < t_ms => pts.push(Point { t: t_ms, v }),
            None => pts.push(Point { t: t_ms, v }),
            _ => match pts.binary_search_by(|p| p.t.cmp(&t_ms)) {
                Ok(i) => pts[i].v = v,
                Err(i) => pts.insert(i, Point { t: t_ms, v }),
            },
        }
    }

    /// Appends a staleness marker at `t_ms`.
    pub fn append_stale(&mut self, labels: &Labels, t_ms: i64) {
        self.append(labels, t_ms, stale_nan());
    }

    /// Number of series.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no series are stored.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// All series, sorted by labels.
    pub fn all(&self) -> impl Iterator<Item = &StoredSeries> {
        let mut v: Vec<&StoredSeries> = self.by_name.values().flat_map(|m| m.values()).collect();
        v.sort_by(|a, b| a.labels.cmp(&b.labels));
        v.into_iter()
    }

    /// The series with exactly these labels.
    pub fn get(&self, labels: &Labels) -> Option<&StoredSeries> {
        self.by_name
            .get(labels.get_or_empty(METRIC_NAME))?
            .get(labels)
    }

    /// Series named `name` (when given) matching `matchers` (all plain
    /// matchers, and any `or` group), in label order. A `__name__="x"`
    /// equality matcher also narrows the search to `x`.
    pub fn select(&self, name: Option<&str>, matchers: &Matchers) -> Vec<&StoredSeries> {
        let name = name.or_else(|| {
            matchers
                .matchers
                .iter()
                .find(|m| m.name == METRIC_NAME && matches!(m.op, MatchOp::Equal))
                .map(|m| m.value.as_str())
        });
        match name {
            Some(n) => match self.by_name.get(n) {
                Some(series) => series
                    .values()
                    .filter(|s| matches_all(&s.labels, matchers))
                    .collect(),
                None => Vec::new(),
            },
            None => {
                let mut v: Vec<&StoredSeries> = self
                    .by_name
                    .values()
                    .flat_map(|m| m.values())
                    .filter(|s| matches_all(&s.labels, matchers))
                    .collect();
                v.sort_by(|a, b| a.labels.cmp(&b.labels));
                v
            }
        }
    }
}

/// True when `labels` satisfy `m` (a missing label matches as `""`).
pub fn matcher_matches(labels: &Labels, m: &Matcher) -> bool {
    let v = labels.get_or_empty(&m.name);
    match &m.op {
        MatchOp::Equal => v == m.value,
        MatchOp::NotEqual => v != m.value,
        MatchOp::Re(r) => regex_matches(&m.value, r, v),
        MatchOp::NotRe(r) => !regex_matches(&m.value, r, v),
    }
}

/// Matches `v` against a `=~`/`!~` pattern with Go's semantics, as
/// Prometheus' `FastRegexMatcher` (`^(?s:pattern)$`, through
/// [`crate::go::regex`]); falls back to the parser's own compiled regex when
/// Go would reject the pattern (the parser accepted it).
fn regex_matches(pattern: &str, parsed: &regex::Regex, v: &str) -> bool {
    match crate::go::regex::compile_promql_cached(pattern) {
        Some(re) => re.is_match(v),
        None => parsed.is_match(v),
    }
}

/// True when `labels` satisfy a selector's matchers.
pub fn matches_all(labels: &Labels, m: &Matchers) -> bool {
    if !m.or_matchers.is_empty() {
        return m
            .or_matchers
            .iter()
            .any(|g| g.iter().all(|x| matcher_matches(labels, x)))
            && m.matchers.iter().all(|x| matcher_matches(labels, x));
    }
    m.matchers.iter().all(|x| matcher_matches(labels, x))
}
