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
    /// How many of `points` are staleness markers (kept by
    /// [`Storage::append`]), so that windows without any are read in place.
    stale: usize,
}

impl StoredSeries {
    /// Index of the first point with `t > after`.
    pub fn first_after(&self, after: i64) -> usize {
        self.points.partition_point(|p| p.t <= after)
    }

    /// True when some sample is a staleness marker.
    pub fn has_stale(&self) -> bool {
        self.stale > 0
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
                        stale: 0,
                    })
            }
        };
        let stale = usize::from(is_stale_nan(v));
        let pts = &mut s.points;
        match pts.last() {
            Some(last) if last.t < t_ms => pts.push(Point { t: t_ms, v }),
            None => pts.push(Point { t: t_ms, v }),
            _ => match pts.binary_search_by(|p| p.t.cmp(&t_ms)) {
                Ok(i) => {
                    let was = usize::from(is_stale_nan(pts[i].v));
                    pts[i].v = v;
                    s.stale -= was;
                }
                Err(i) => pts.insert(i, Point { t: t_ms, v }),
            },
        }
        s.stale += stale;
    }

    /// Appends as the TSDB head does (`tsdb/head_append.go`): a sample
    /// older than the series' last one is refused (`out of order sample`),
    /// one at the last timestamp with another value (bit for bit) too
    /// (`duplicate sample for timestamp`); the same sample again changes
    /// nothing. One lookup of the series.
    ///
    /// # Errors
    /// The TSDB's message for a refused sample.
    pub fn append_checked(
        &mut self,
        labels: &Labels,
        t_ms: i64,
        v: f64,
    ) -> Result<(), &'static str> {
        let existing = self
            .by_name
            .get_mut(labels.get_or_empty(METRIC_NAME))
            .and_then(|m| m.get_mut(labels));
        let Some(s) = existing else {
            self.append(labels, t_ms, v);
            return Ok(());
        };
        if let Some(last) = s.points.last() {
            if t_ms < last.t {
                return Err("out of order sample");
            }
            if t_ms == last.t {
                if last.v.to_bits() != v.to_bits() {
                    return Err("duplicate sample for timestamp");
                }
                return Ok(());
            }
        }
        s.points.push(Point { t: t_ms, v });
        s.stale += usize::from(is_stale_nan(v));
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Labels {
        Labels::from_pairs([(METRIC_NAME, "x"), ("job", "a")])
    }

    #[test]
    fn staleness_markers_are_counted_through_replacements() {
        let mut st = Storage::new();
        let l = labels();
        st.append(&l, 1000, 1.0);
        assert!(!st.get(&l).unwrap().has_stale());
        st.append_stale(&l, 2000);
        assert!(st.get(&l).unwrap().has_stale());
        // Replacing the marker with a value leaves none; a marker inserted
        // out of order is counted.
        st.append(&l, 2000, 5.0);
        assert!(!st.get(&l).unwrap().has_stale());
        st.append_stale(&l, 1500);
        assert!(st.get(&l).unwrap().has_stale());
        st.append(&l, 1500, 2.0);
        assert!(!st.get(&l).unwrap().has_stale());
        assert_eq!(st.get(&l).unwrap().points.len(), 3);
    }

    #[test]
    fn checked_appends_refuse_what_the_head_refuses() {
        let mut st = Storage::new();
        let l = labels();
        assert_eq!(st.append_checked(&l, 1000, 1.0), Ok(()));
        assert_eq!(st.append_checked(&l, 2000, 2.0), Ok(()));
        assert_eq!(st.append_checked(&l, 1500, 9.0), Err("out of order sample"));
        assert_eq!(
            st.append_checked(&l, 2000, 3.0),
            Err("duplicate sample for timestamp")
        );
        assert_eq!(st.append_checked(&l, 2000, 2.0), Ok(()));
        assert_eq!(st.append_checked(&l, 3000, stale_nan()), Ok(()));
        let s = st.get(&l).unwrap();
        assert_eq!(s.points.len(), 3);
        assert!(s.has_stale());
        // A marker at the same timestamp is a different value.
        assert_eq!(
            st.append_checked(&l, 3000, 4.0),
            Err("duplicate sample for timestamp")
        );
    }
}
