//! In-memory series store.

use std::collections::BTreeMap;

use crate::promql::ast::{MatchOp, Matcher, Matchers};

use super::labels::{ByIdentity, Labels, METRIC_NAME};
use std::sync::Arc;

use super::native::{FloatHistogram, ResetHint};
use super::value::{HPoint, Point, StartTs};

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
    /// Native histogram samples sorted by `t` (a series may hold floats
    /// and histograms at different timestamps, as the TSDB allows).
    pub hpoints: Vec<HPoint>,
    /// How many of `points` are staleness markers (kept by
    /// [`Storage::append`]), so that windows without any are read in place.
    stale: usize,
    /// Identity of the series' samples for [`Storage::memo_window`]: unique
    /// in the store's life, and replaced whenever a sample is changed,
    /// inserted or removed rather than appended (so that a point index
    /// range under one `uid` always holds the same points).
    pub uid: u64,
    /// Start timestamps of the samples that have one, sorted by sample
    /// time (floats and histograms share timestamps' order; a timestamp
    /// holds one sample). Empty, so allocation-free, for series without
    /// any: everything but promqltest's `@st` loads.
    sts: Vec<StartTs>,
}

/// Index of the first of `items` (sorted by `t`, ms) with `t > after`: as
/// `partition_point`, but starting from where `after` falls if the
/// timestamps were evenly spaced (so a series scraped at a fixed interval
/// is answered in one or two reads), then searching the side it missed.
pub fn first_after_by<T>(items: &[T], t: impl Fn(&T) -> i64, after: i64) -> usize {
    let (Some(first), Some(last)) = (items.first(), items.last()) else {
        return 0;
    };
    let (t0, tn) = (t(first), t(last));
    if after < t0 {
        return 0;
    }
    if after >= tn {
        return items.len();
    }
    // t0 <= after < tn, so at least two items and the guess is below the
    // last index.
    let span = i128::from(tn) - i128::from(t0);
    let off = i128::from(after) - i128::from(t0);
    let guess = usize::try_from(off * (items.len() as i128 - 1) / span)
        .unwrap_or(0)
        .min(items.len() - 2);
    if t(&items[guess]) <= after {
        let next = guess + 1;
        if t(&items[next]) > after {
            return next;
        }
        next + items[next..].partition_point(|x| t(x) <= after)
    } else {
        items[..guess].partition_point(|x| t(x) <= after)
    }
}

impl StoredSeries {
    /// Index of the first point with `t > after`.
    pub fn first_after(&self, after: i64) -> usize {
        first_after_by(&self.points, |p| p.t, after)
    }

    /// Index of the first histogram point with `t > after`.
    pub fn first_hist_after(&self, after: i64) -> usize {
        first_after_by(&self.hpoints, |p| p.t, after)
    }

    /// True when some sample is a staleness marker.
    pub fn has_stale(&self) -> bool {
        self.stale > 0
    }

    /// The start timestamps of samples in `(after, until]`, sorted by time.
    pub fn start_timestamps_in(&self, after: i64, until: i64) -> &[StartTs] {
        if self.sts.is_empty() {
            return &[];
        }
        let a = self.sts.partition_point(|x| x.t <= after);
        let b = self.sts.partition_point(|x| x.t <= until);
        &self.sts[a..b.max(a)]
    }

    /// The start timestamp of the sample at `t`, 0 when it has none.
    pub fn start_timestamp_at(&self, t: i64) -> i64 {
        super::value::start_timestamp_at(&self.sts, t)
    }

    /// Drops the start timestamp of a sample at `t` that is replaced.
    fn forget_start_timestamp(&mut self, t: i64) {
        if !self.sts.is_empty()
            && let Ok(i) = self.sts.binary_search_by(|x| x.t.cmp(&t))
        {
            self.sts.remove(i);
        }
    }
}

/// In-memory storage of float series, indexed by metric name (as
/// Prometheus' postings index `__name__`): a selector with a name touches
/// only that name's series. Within a name, series are sorted by labels, so
/// selection returns them in Prometheus' order.
///
/// Which series a named selector selects changes only when a series of
/// that name is added, so [`Storage::select`] remembers its answer per
/// selector until then: rules evaluated at every step match their
/// selectors' label matchers once, not once per step.
#[derive(Debug, Clone, Default)]
pub struct Storage {
    /// Metric name ("" for none) → index in `names` of that name's series.
    by_name: BTreeMap<String, usize>,
    /// The series of each name, in the order the names were first seen.
    names: Vec<Named>,
    len: usize,
    /// Selector (name and matchers, as text) → the generation of its
    /// name's series it was computed for, and the indexes it selected.
    selections: SelectionCache,
    /// The next [`StoredSeries::uid`]; never reset, so a uid is never reused.
    next_uid: u64,
    /// Results of range functions over unchanged windows.
    windows: WindowMemo,
    /// The series [`series_mut`](Self::series_mut) found, by the shared
    /// label set it was asked with (its address, the set kept alive here so
    /// that the address is never reused while remembered): input series
    /// and rule outputs append step after step with the same shared labels,
    /// and skip the name and label lookups each time. Emptied past
    /// [`MAX_PINNED`] entries.
    pinned: ByIdentity<(), (usize, usize), MAX_PINNED>,
    /// Group keys of aggregations ([`Storage::group_keys`]).
    group_keys: GroupKeyCache,
}

/// Most group keys [`GroupKeyMemo`] keeps (it is emptied past it).
const MAX_GROUP_KEYS: usize = 1 << 16;

/// The group keys aggregations computed, across evaluations: per grouping
/// (`by`/`without` and the label names, as text) and input label set (by
/// its address, the set pinned here so that the address is not reused),
/// the key's hash and the key label set. A rule aggregating the same
/// series at every step builds each group's key once, and hands the same
/// shared key (so the same output label set) to every step.
#[derive(Debug, Default)]
pub struct GroupKeyMemo {
    groupings: foldhash::HashMap<String, u32>,
    keys: ByIdentity<u32, (u64, Labels), MAX_GROUP_KEYS>,
}

impl GroupKeyMemo {
    /// The id of a grouping, by its text.
    pub fn grouping(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.groupings.get(text) {
            return id;
        }
        if self.groupings.len() >= MAX_GROUP_KEYS {
            self.groupings.clear();
            self.keys.clear();
        }
        let id = u32::try_from(self.groupings.len()).unwrap_or(u32::MAX);
        self.groupings.insert(text.to_string(), id);
        id
    }

    /// The hash and key of `labels` under `grouping`: remembered, else
    /// `compute()`d and remembered.
    pub fn key(
        &mut self,
        grouping: u32,
        labels: &Labels,
        compute: impl FnOnce() -> (u64, Labels),
    ) -> (u64, Labels) {
        if let Some((h, k)) = self.keys.get(grouping, labels) {
            return (*h, k.clone());
        }
        let (h, k) = compute();
        self.keys.insert(grouping, labels, (h, k.clone()));
        (h, k)
    }
}

/// [`GroupKeyMemo`] behind a lock; a clone starts empty.
#[derive(Debug, Default)]
struct GroupKeyCache(std::sync::Mutex<GroupKeyMemo>);

impl Clone for GroupKeyCache {
    fn clone(&self) -> Self {
        GroupKeyCache::default()
    }
}

/// Most label sets [`Storage`] remembers the series of.
const MAX_PINNED: usize = 1 << 16;

/// The series of one metric name: stored in the order they were added (an
/// index stays valid), found by a hash of their labels, and listed in
/// label order by `sorted`; a counter is bumped whenever one is added.
#[derive(Debug, Clone, Default)]
struct Named {
    series: Vec<StoredSeries>,
    index: foldhash::HashMap<Labels, usize>,
    /// Indexes into `series`, in label order.
    sorted: Vec<usize>,
    generation: u64,
}

impl Named {
    fn find(&self, labels: &Labels) -> Option<usize> {
        self.index.get(labels).copied()
    }

    /// Adds a series with `labels` (not present yet) under `uid`; returns
    /// its index.
    fn add(&mut self, labels: &Labels, uid: u64) -> usize {
        let i = self.series.len();
        self.series.push(StoredSeries {
            labels: labels.clone(),
            points: Vec::new(),
            hpoints: Vec::new(),
            stale: 0,
            uid,
            sts: Vec::new(),
        });
        self.index.insert(labels.clone(), i);
        let series = &self.series;
        let at = self.sorted.partition_point(|&j| series[j].labels < *labels);
        self.sorted.insert(at, i);
        self.generation += 1;
        i
    }

    /// The series in label order.
    fn in_order(&self) -> impl Iterator<Item = &StoredSeries> {
        self.sorted.iter().map(|&i| &self.series[i])
    }
}

/// Most selectors whose selection is remembered (the cache is emptied past it).
const MAX_SELECTIONS: usize = 16_384;

/// Remembered selections; a clone starts empty.
#[derive(Debug, Default)]
struct SelectionCache(std::sync::Mutex<foldhash::HashMap<String, (u64, Vec<usize>)>>);

impl Clone for SelectionCache {
    fn clone(&self) -> Self {
        SelectionCache::default()
    }
}

/// Most remembered window results (the memo is emptied past it).
const MAX_WINDOW_RESULTS: usize = 1 << 20;

/// The last result of each range function over each series' window, keyed
/// by series uid and function, with the window's point index range. A rule
/// with `avg_over_time(x[12h])` evaluated every minute over samples every
/// 5 minutes sees the same window four steps in five; those steps reuse the
/// result instead of reading the 144 points again. A clone starts empty.
#[derive(Debug, Default)]
struct WindowMemo(std::sync::Mutex<foldhash::HashMap<WindowKey, WindowResult>>);

/// A series uid and a function id.
type WindowKey = (u64, u8);

/// A window's point index range and the function's result over it.
type WindowResult = (usize, usize, Option<f64>);

impl Clone for WindowMemo {
    fn clone(&self) -> Self {
        WindowMemo::default()
    }
}

impl Storage {
    /// The result of the range function `func` (a caller's id, one per
    /// function whose result depends only on the points) over the points
    /// `a..b` of the series `uid`: remembered from the last call with the
    /// same series, function and range, else `compute()`d and remembered.
    pub fn memo_window(
        &self,
        uid: u64,
        func: u8,
        a: usize,
        b: usize,
        compute: impl FnOnce() -> Option<f64>,
    ) -> Option<f64> {
        let Ok(mut memo) = self.windows.0.lock() else {
            return compute();
        };
        if let Some(&(ma, mb, v)) = memo.get(&(uid, func))
            && (ma, mb) == (a, b)
        {
            return v;
        }
        let v = compute();
        if memo.len() >= MAX_WINDOW_RESULTS {
            memo.clear();
        }
        memo.insert((uid, func), (a, b, v));
        v
    }

    /// The group-key memo of aggregations, unless another aggregation
    /// holds it (a nested one, or another thread): then `None`, and the
    /// caller computes keys itself.
    pub fn group_keys(&self) -> Option<std::sync::MutexGuard<'_, GroupKeyMemo>> {
        match self.group_keys.0.try_lock() {
            Ok(g) => Some(g),
            Err(std::sync::TryLockError::Poisoned(e)) => Some(e.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }

    /// A fresh series uid.
    fn fresh_uid(&mut self) -> u64 {
        self.next_uid += 1;
        self.next_uid
    }

    /// An empty store.
    pub fn new() -> Self {
        Storage::default()
    }

    /// Removes every series.
    pub fn clear(&mut self) {
        self.by_name.clear();
        self.names.clear();
        self.len = 0;
        self.selections = SelectionCache::default();
        self.windows = WindowMemo::default();
        self.pinned.clear();
        self.group_keys = GroupKeyCache::default();
    }

    /// The series with these labels, created (empty) when missing.
    fn series_mut(&mut self, labels: &Labels) -> &mut StoredSeries {
        let uid = self.fresh_uid();
        if let Some(&(n, i)) = self.pinned.get((), labels) {
            return &mut self.names[n].series[i];
        }
        let name = labels.metric_name();
        let n = match self.by_name.get(name) {
            Some(&n) => n,
            None => {
                self.names.push(Named::default());
                self.by_name.insert(name.to_string(), self.names.len() - 1);
                self.names.len() - 1
            }
        };
        let named = &mut self.names[n];
        let i = match named.find(labels) {
            Some(i) => i,
            None => {
                self.len += 1;
                named.add(labels, uid)
            }
        };
        self.pinned.insert((), labels, (n, i));
        &mut self.names[n].series[i]
    }

    /// Appends a sample at `t_ms`. A sample at an existing timestamp replaces
    /// the old value; out-of-order samples are inserted in place.
    pub fn append(&mut self, labels: &Labels, t_ms: i64, v: f64) {
        let fresh = self.fresh_uid();
        let s = self.series_mut(labels);
        s.forget_start_timestamp(t_ms);
        if !s.hpoints.is_empty()
            && let Ok(i) = s.hpoints.binary_search_by(|p| p.t.cmp(&t_ms))
        {
            s.hpoints.remove(i);
        }
        let stale = usize::from(is_stale_nan(v));
        let pts = &mut s.points;
        match pts.last() {
            Some(last) if last.t < t_ms => pts.push(Point { t: t_ms, v }),
            None => pts.push(Point { t: t_ms, v }),
            _ => {
                // Not an append: windows read before hold other points now.
                s.uid = fresh;
                match pts.binary_search_by(|p| p.t.cmp(&t_ms)) {
                    Ok(i) => {
                        let was = usize::from(is_stale_nan(pts[i].v));
                        pts[i].v = v;
                        s.stale -= was;
                    }
                    Err(i) => pts.insert(i, Point { t: t_ms, v }),
                }
            }
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
        let s = self.series_mut(labels);
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

    /// Appends a native histogram sample at `t_ms`; one at an existing
    /// timestamp replaces the old histogram. A float sample at the same
    /// timestamp is removed (a timestamp holds one sample, as in the TSDB).
    ///
    /// The counter reset hint is set as the TSDB head's chunks give it back
    /// (tsdb/chunkenc `FloatHistogramAppender`, `counterResetHint`): a gauge
    /// histogram stays a gauge; a histogram that starts a chunk reads as
    /// "unknown" (the first of the series or after a float sample, one
    /// whose hint says "reset" or that is a counter reset against the
    /// previous histogram, one whose layout — schema, zero bucket, custom
    /// bounds — changed; Prometheus 3 never reads a chunk's first histogram
    /// back as "reset", prometheus/prometheus#15343); any other reads as
    /// "not a reset".
    pub fn append_histogram(&mut self, labels: &Labels, t_ms: i64, mut h: Arc<FloatHistogram>) {
        let fresh = self.fresh_uid();
        let s = self.series_mut(labels);
        s.forget_start_timestamp(t_ms);
        let prev = s
            .hpoints
            .last()
            .filter(|p| p.t < t_ms && s.points.last().is_none_or(|f| f.t < p.t || f.t > t_ms));
        let hint = chunk_hint(&h, prev.map(|p| &*p.h));
        if h.hint != hint {
            Arc::make_mut(&mut h).hint = hint;
        }
        if let Ok(i) = s.points.binary_search_by(|p| p.t.cmp(&t_ms)) {
            let was = usize::from(is_stale_nan(s.points[i].v));
            s.points.remove(i);
            s.stale -= was;
            // The float points after it moved.
            s.uid = fresh;
        }
        let hp = &mut s.hpoints;
        match hp.last() {
            Some(last) if last.t < t_ms => hp.push(HPoint { t: t_ms, h }),
            None => hp.push(HPoint { t: t_ms, h }),
            _ => match hp.binary_search_by(|p| p.t.cmp(&t_ms)) {
                Ok(i) => hp[i].h = h,
                Err(i) => hp.insert(i, HPoint { t: t_ms, h }),
            },
        }
    }

    /// Appends a histogram sample as the TSDB head does for rule output,
    /// with the hint of [`append_histogram`](Self::append_histogram).
    ///
    /// # Errors
    /// `out of order sample` before the series' newest sample, `duplicate
    /// sample for timestamp` when a different sample (a float, or another
    /// histogram) is already at `t_ms`.
    pub fn append_histogram_checked(
        &mut self,
        labels: &Labels,
        t_ms: i64,
        h: Arc<FloatHistogram>,
    ) -> Result<(), &'static str> {
        let s = self.series_mut(labels);
        let last_f = s.points.last().map(|p| p.t);
        let last_h = s.hpoints.last();
        let newest = last_f.max(last_h.map(|p| p.t));
        if let Some(n) = newest {
            if t_ms < n {
                return Err("out of order sample");
            }
            if t_ms == n {
                return match last_h {
                    Some(p) if p.t == t_ms && last_f != Some(t_ms) && p.h.equals(&h) => Ok(()),
                    _ => Err("duplicate sample for timestamp"),
                };
            }
        }
        self.append_histogram(labels, t_ms, h);
        Ok(())
    }

    /// Sets the start timestamp of the sample at `t_ms` of the series with
    /// `labels` (appended before) to `st_ms`; 0 removes it, as Prometheus'
    /// appender reads ST 0 as "none". promqltest's `@st` lines load these
    /// (test.go `loadCmd.set`: the sample time plus the line's offset).
    pub fn set_start_timestamp(&mut self, labels: &Labels, t_ms: i64, st_ms: i64) {
        let fresh = self.fresh_uid();
        let s = self.series_mut(labels);
        // Windows read before saw the sample without it.
        s.uid = fresh;
        s.forget_start_timestamp(t_ms);
        if st_ms != 0 {
            let at = s.sts.partition_point(|x| x.t < t_ms);
            s.sts.insert(at, StartTs { t: t_ms, st: st_ms });
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

    /// Number of samples stored (floats, staleness markers and histograms).
    pub fn sample_count(&self) -> usize {
        self.names
            .iter()
            .flat_map(|n| &n.series)
            .map(|s| s.points.len() + s.hpoints.len())
            .sum()
    }

    /// True when no series are stored.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// All series, sorted by labels.
    pub fn all(&self) -> impl Iterator<Item = &StoredSeries> {
        let mut v: Vec<&StoredSeries> = self.names.iter().flat_map(Named::in_order).collect();
        v.sort_by(|a, b| a.labels.cmp(&b.labels));
        v.into_iter()
    }

    /// The series with exactly these labels.
    pub fn get(&self, labels: &Labels) -> Option<&StoredSeries> {
        let named = &self.names[*self.by_name.get(labels.get_or_empty(METRIC_NAME))?];
        named.find(labels).map(|i| &named.series[i])
    }

    /// Series named `name` (when given) matching `matchers` (all plain
    /// matchers, and any `or` group), in label order. A `__name__="x"`
    /// equality matcher also narrows the search to `x`. A named selection
    /// is remembered until a series of that name is added.
    pub fn select(&self, name: Option<&str>, matchers: &Matchers) -> Vec<&StoredSeries> {
        let name = name.or_else(|| {
            matchers
                .matchers
                .iter()
                .find(|m| m.name == METRIC_NAME && matches!(m.op, MatchOp::Equal))
                .map(|m| m.value.as_str())
        });
        match name {
            Some(n) => match self.by_name.get(n).map(|&i| &self.names[i]) {
                Some(named) => {
                    let key = selection_key(n, matchers);
                    let mut cache = self
                        .selections
                        .0
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    if let Some((generation, picked)) = cache.get(&key)
                        && *generation == named.generation
                    {
                        return picked.iter().map(|&i| &named.series[i]).collect();
                    }
                    let picked: Vec<usize> = named
                        .sorted
                        .iter()
                        .copied()
                        .filter(|&i| matches_all(&named.series[i].labels, matchers))
                        .collect();
                    let out = picked.iter().map(|&i| &named.series[i]).collect();
                    if cache.len() >= MAX_SELECTIONS {
                        cache.clear();
                    }
                    cache.insert(key, (named.generation, picked));
                    out
                }
                None => Vec::new(),
            },
            None => {
                let mut v: Vec<&StoredSeries> = self
                    .names
                    .iter()
                    .flat_map(Named::in_order)
                    .filter(|s| matches_all(&s.labels, matchers))
                    .collect();
                v.sort_by(|a, b| a.labels.cmp(&b.labels));
                v
            }
        }
    }
}

/// A selector as text, for [`Storage::select`]'s memory: the name and every
/// matcher (operator, label, value), `or` groups included.
fn selection_key(name: &str, m: &Matchers) -> String {
    use std::fmt::Write;
    let op = |o: &MatchOp| match o {
        MatchOp::Equal => "=",
        MatchOp::NotEqual => "!=",
        MatchOp::Re(_) => "=~",
        MatchOp::NotRe(_) => "!~",
    };
    let mut key = String::from(name);
    for x in &m.matchers {
        let _ = write!(key, "\0{}{}{:?}", x.name, op(&x.op), x.value);
    }
    key
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
/// [`crate::go::regex`], compiled once per matcher).
fn regex_matches(_pattern: &str, parsed: &crate::promql::ast::Regex, v: &str) -> bool {
    parsed.is_match(v)
}

/// True when `labels` satisfy a selector's matchers.
pub fn matches_all(labels: &Labels, m: &Matchers) -> bool {
    m.matchers.iter().all(|x| matcher_matches(labels, x))
}

/// The hint a histogram appended after `prev` (the series' previous sample,
/// when it is a histogram) reads back with; see
/// [`Storage::append_histogram`].
fn chunk_hint(h: &FloatHistogram, prev: Option<&FloatHistogram>) -> ResetHint {
    if h.hint == ResetHint::Gauge {
        return ResetHint::Gauge;
    }
    let Some(prev) = prev.filter(|p| p.hint != ResetHint::Gauge) else {
        return ResetHint::Unknown;
    };
    let new_chunk = h.hint == ResetHint::Reset
        || h.counts_reset(prev)
        || h.schema != prev.schema
        || h.zero_threshold != prev.zero_threshold
        || h.custom_values != prev.custom_values;
    if new_chunk {
        ResetHint::Unknown
    } else {
        ResetHint::NotReset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Labels {
        Labels::from_pairs([(METRIC_NAME, "x"), ("job", "a")])
    }

    #[test]
    fn uid_changes_exactly_when_stored_points_change_other_than_by_appending() {
        let mut st = Storage::new();
        let l = labels();
        st.append(&l, 1000, 1.0);
        let uid = |st: &Storage| st.get(&l).unwrap().uid;
        let first = uid(&st);
        st.append(&l, 2000, 2.0);
        st.append_checked(&l, 3000, 3.0).unwrap();
        st.append_stale(&l, 4000);
        assert_eq!(uid(&st), first, "appends keep the uid");
        st.append(&l, 2000, 5.0);
        let replaced = uid(&st);
        assert_ne!(replaced, first, "a value replaced");
        st.append(&l, 1500, 5.0);
        let inserted = uid(&st);
        assert_ne!(inserted, replaced, "a point inserted");
        st.append_histogram(&l, 1500, Arc::new(FloatHistogram::default()));
        assert_ne!(uid(&st), inserted, "a float removed by a histogram");
        // Another series, and a series after clear(), never share a uid.
        let other = Labels::from_pairs([(METRIC_NAME, "x"), ("job", "b")]);
        st.append(&other, 1000, 1.0);
        assert_ne!(st.get(&other).unwrap().uid, uid(&st));
        let before = uid(&st);
        st.clear();
        st.append(&l, 1000, 1.0);
        assert!(uid(&st) > before);
        // The memo answers from the last call only for the same range.
        let calls = std::cell::Cell::new(0);
        let f = || {
            calls.set(calls.get() + 1);
            Some(1.0)
        };
        assert_eq!(st.memo_window(7, 0, 0, 3, f), Some(1.0));
        assert_eq!(st.memo_window(7, 0, 0, 3, f), Some(1.0));
        assert_eq!(calls.get(), 1);
        st.memo_window(7, 0, 1, 3, f);
        st.memo_window(7, 1, 1, 3, f);
        st.memo_window(8, 1, 1, 3, f);
        assert_eq!(calls.get(), 4);
    }

    #[test]
    fn start_timestamps_are_kept_per_sample_and_dropped_with_it() {
        let mut st = Storage::new();
        let l = labels();
        for t in [1000, 2000, 3000] {
            st.append(&l, t, 1.0);
        }
        let uid = st.get(&l).unwrap().uid;
        st.set_start_timestamp(&l, 3000, 2500);
        st.set_start_timestamp(&l, 1000, 500);
        st.set_start_timestamp(&l, 2000, 0);
        let s = st.get(&l).unwrap();
        assert_ne!(s.uid, uid, "windows read before did not see them");
        assert_eq!(
            s.start_timestamps_in(0, 3000),
            [StartTs { t: 1000, st: 500 }, StartTs { t: 3000, st: 2500 }]
        );
        assert_eq!(s.start_timestamps_in(1000, 3000).len(), 1);
        assert_eq!(
            (s.start_timestamp_at(1000), s.start_timestamp_at(2000)),
            (500, 0)
        );
        // A sample replaced (by a float or a histogram) loses its start.
        st.append(&l, 1000, 2.0);
        st.append_histogram(&l, 3000, Arc::new(FloatHistogram::default()));
        assert!(st.get(&l).unwrap().start_timestamps_in(0, 3000).is_empty());
        // The emptied list keeps its allocation; a series that never had
        // start timestamps holds none.
        assert!(st.get(&l).unwrap().sts.capacity() > 0);
        let other = Labels::from_pairs([(METRIC_NAME, "x"), ("job", "b")]);
        st.append(&other, 1000, 1.0);
        assert_eq!(st.get(&other).unwrap().sts.capacity(), 0);
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

    #[test]
    fn remembered_selections_follow_new_series() {
        let q = |s: &Storage, e: &str| -> Vec<String> {
            let Ok(crate::promql::ast::Expr::VectorSelector(vs)) =
                crate::promql::parse(e).map(|a| (*a).clone())
            else {
                panic!("{e} is a selector");
            };
            s.select(vs.name.as_deref(), &vs.matchers)
                .iter()
                .map(|x| x.labels.to_string())
                .collect()
        };
        let mut st = Storage::new();
        st.append(
            &Labels::from_pairs([(METRIC_NAME, "up"), ("job", "b")]),
            0,
            1.0,
        );
        assert_eq!(q(&st, r#"up{job=~"a|b"}"#), [r#"{__name__="up", job="b"}"#]);
        // Asked again: the same answer (remembered).
        assert_eq!(q(&st, r#"up{job=~"a|b"}"#).len(), 1);
        // A new series of the name sorts before the old one: the memory is
        // dropped, and the order is still by labels.
        st.append(
            &Labels::from_pairs([(METRIC_NAME, "up"), ("job", "a")]),
            0,
            1.0,
        );
        st.append(
            &Labels::from_pairs([(METRIC_NAME, "up"), ("job", "c")]),
            0,
            1.0,
        );
        assert_eq!(
            q(&st, r#"up{job=~"a|b"}"#),
            [r#"{__name__="up", job="a"}"#, r#"{__name__="up", job="b"}"#]
        );
        // Samples added to existing series keep the selection valid.
        st.append(
            &Labels::from_pairs([(METRIC_NAME, "up"), ("job", "a")]),
            60,
            0.0,
        );
        assert_eq!(q(&st, r#"up{job!="c"}"#).len(), 2);
        assert_eq!(q(&st, r#"up{job="c"}"#).len(), 1);
        st.clear();
        assert!(q(&st, r#"up{job="c"}"#).is_empty());
    }

    #[test]
    fn label_sets_find_their_series_by_address_and_stay_bounded() {
        let mut st = Storage::new();
        let a = labels();
        let b = labels(); // equal, another allocation
        st.append(&a, 1000, 1.0);
        st.append(&b, 2000, 2.0);
        st.append(&a, 3000, 3.0);
        assert_eq!(st.all().count(), 1);
        assert_eq!(st.get(&a).unwrap().points.len(), 3);
        for i in 0..MAX_PINNED + 10 {
            let l = Labels::from_pairs([
                (METRIC_NAME.to_string(), "y".to_string()),
                ("i".into(), i.to_string()),
            ]);
            st.append(&l, 0, 1.0);
            assert!(st.pinned.len() <= MAX_PINNED);
        }
        st.append(&a, 4000, 4.0);
        assert_eq!(st.get(&b).unwrap().points.len(), 4);
    }

    #[test]
    fn group_keys_are_computed_once_per_grouping_and_label_set() {
        let st = Storage::new();
        let l = labels();
        let mut memo = st.group_keys().unwrap();
        assert!(st.group_keys().is_none(), "held: the caller computes keys");
        let by_job = memo.grouping("by[\"job\"]");
        assert_eq!(memo.grouping("by[\"job\"]"), by_job);
        let other = memo.grouping("without[\"job\"]");
        assert_ne!(other, by_job);
        let key = Labels::from_pairs([("job", "a")]);
        let (h, k) = memo.key(by_job, &l, || (7, key.clone()));
        assert_eq!(h, 7);
        let (h2, k2) = memo.key(by_job, &l.clone(), || unreachable!("remembered"));
        assert_eq!(h2, 7);
        assert!(k2.ptr_eq(&k));
        // Another grouping, or an equal set in another allocation, computes.
        let mut computed = 0;
        memo.key(other, &l, || {
            computed += 1;
            (8, Labels::empty())
        });
        memo.key(by_job, &labels(), || {
            computed += 1;
            (7, key.clone())
        });
        assert_eq!(computed, 2);
        for i in 0..MAX_GROUP_KEYS + 10 {
            let l = Labels::from_pairs([("i", i.to_string())]);
            memo.key(by_job, &l, || (1, Labels::empty()));
            assert!(memo.keys.len() <= MAX_GROUP_KEYS);
        }
        drop(memo);
        assert!(st.group_keys().is_some());
    }

    #[test]
    fn first_after_agrees_with_a_binary_search() {
        let mut seed: u64 = 42;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for _ in 0..2_000 {
            let len = next(40) as usize;
            let mut t = next(100) as i64 - 50;
            let mut ts = Vec::with_capacity(len);
            for _ in 0..len {
                ts.push(t);
                // Mostly even steps, some gaps.
                t += if next(5) == 0 {
                    1 + next(1000) as i64
                } else {
                    15
                };
            }
            for _ in 0..20 {
                let after = next(2000) as i64 - 100;
                let want = ts.partition_point(|&x| x <= after);
                assert_eq!(first_after_by(&ts, |&x| x, after), want, "{ts:?} {after}");
            }
            let extremes = [i64::MIN, i64::MAX];
            for after in extremes {
                let want = ts.partition_point(|&x| x <= after);
                assert_eq!(first_after_by(&ts, |&x| x, after), want);
            }
        }
        let wide = [i64::MIN + 1, 0, i64::MAX - 1];
        for after in [i64::MIN, -1, 0, 1, i64::MAX - 2, i64::MAX] {
            let want = wide.partition_point(|&x| x <= after);
            assert_eq!(first_after_by(&wide, |&x| x, after), want);
        }
    }
}
