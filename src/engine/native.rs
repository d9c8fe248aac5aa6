//! Native histograms with float counts, as Prometheus'
//! `model/histogram/float_histogram.go` (3.x): exponential schemas -4..=8
//! and custom buckets (schema -53, `custom_values`), the zero bucket,
//! addition with schema and zero-threshold reconciliation, counter reset
//! detection, and the series notation of promqltest and rule unit tests
//! (`{{schema:0 sum:5 count:4 buckets:[1 2 1]}}`).
//!
//! Buckets are kept sparse, as `(index, count)` pairs sorted by index, rather
//! than as spans and a dense slice: every operation Prometheus defines on
//! spans (insertion, merging, `Compact`) becomes a merge of sorted lists, and
//! what tests compare (`Compact(0)`: the populated buckets) is the same.
//! An index present with count 0 is an explicit empty bucket, as inside a
//! Prometheus span.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt::Write as _;

use super::aggregate::kahan_inc;

/// Schema number of custom-bucket histograms (NHCB).
pub const CUSTOM_BUCKETS_SCHEMA: i32 = -53;

/// Lowest and highest exponential schema.
pub const MIN_SCHEMA: i32 = -4;
/// Highest exponential schema.
pub const MAX_SCHEMA: i32 = 8;

/// Counter reset information (`histogram.CounterResetHint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResetHint {
    /// Not known (the default).
    #[default]
    Unknown,
    /// This histogram starts after a counter reset.
    Reset,
    /// Known not to be a counter reset.
    NotReset,
    /// A gauge histogram: resets do not apply.
    Gauge,
}

/// One bucket as Prometheus' bucket iterators yield it: bounds, count and
/// index (meaningless for the zero bucket).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
    /// Observations in the bucket.
    pub count: f64,
}

/// A native histogram with float counts (`histogram.FloatHistogram`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FloatHistogram {
    /// Counter reset hint.
    pub hint: ResetHint,
    /// Schema: -4..=8 exponential, or [`CUSTOM_BUCKETS_SCHEMA`].
    pub schema: i32,
    /// Width of the zero bucket (exponential schemas only).
    pub zero_threshold: f64,
    /// Observations in the zero bucket.
    pub zero_count: f64,
    /// Total number of observations.
    pub count: f64,
    /// Sum of observations.
    pub sum: f64,
    /// Positive buckets as `(index, count)`, sorted by index.
    pub positive: Vec<(i32, f64)>,
    /// Negative buckets as `(index, count)`, sorted by index.
    pub negative: Vec<(i32, f64)>,
    /// Upper bounds of the custom buckets (schema -53), strictly increasing.
    pub custom_values: Vec<f64>,
}

/// Another histogram's zero count and buckets in the layout of the one it
/// is added to (see `FloatHistogram::align`).
/// Borrowed when the layouts already agree (no copy of the buckets).
struct Aligned<'a> {
    zero_count: f64,
    positive: Cow<'a, [(i32, f64)]>,
    negative: Cow<'a, [(i32, f64)]>,
}

/// A running sum or mean of histograms with Kahan-Babuska compensation of
/// every field (count, sum, zero bucket, each bucket), as Prometheus'
/// `KahanAdd` in `sum`, `avg`, `sum_over_time` and `avg_over_time`: the
/// mean is the compensated sum divided by the count, and becomes an
/// incremental mean (`mean·(n-1)/n + h/n`) once the sum's count or sum of
/// observations overflows, as Prometheus does for floats and histograms.
#[derive(Debug, Clone)]
pub struct HistAccumulator {
    acc: FloatHistogram,
    c: FloatHistogram,
    n: usize,
    incremental: bool,
    /// Some histogram added had the hint "reset", some "not a reset".
    seen_reset: bool,
    seen_not_reset: bool,
}

impl HistAccumulator {
    /// Starts with `first`.
    pub fn new(first: &FloatHistogram) -> HistAccumulator {
        HistAccumulator {
            acc: first.clone(),
            c: first.layout(),
            n: 1,
            incremental: false,
            seen_reset: first.hint == ResetHint::Reset,
            seen_not_reset: first.hint == ResetHint::NotReset,
        }
    }

    /// Whether the histograms added so far include one with the hint
    /// "reset" and one with "not a reset": Prometheus' "conflicting counter
    /// resets during histogram aggregation" (`counterResetSeen &&
    /// notCounterResetSeen` of `sum`/`avg` and `sum_over_time`/
    /// `avg_over_time`).
    pub fn counter_reset_collision(&self) -> bool {
        self.seen_reset && self.seen_not_reset
    }

    fn track(&mut self, h: &FloatHistogram) {
        self.n += 1;
        self.seen_reset |= h.hint == ResetHint::Reset;
        self.seen_not_reset |= h.hint == ResetHint::NotReset;
        self.acc.hint = merge_hints(self.acc.hint, h.hint);
    }

    /// Histograms added so far, `first` included.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Never true: an accumulator holds at least its first histogram.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Adds `h` to the sum; true when custom buckets with other bounds
    /// were reconciled.
    ///
    /// # Errors
    /// [`Incompatible::Schema`] when exponential and custom buckets mix.
    pub fn add(&mut self, h: &FloatHistogram) -> Result<bool, Incompatible> {
        self.track(h);
        kahan_add(&mut self.acc, &mut self.c, h)
    }

    /// Adds `h` to the mean.
    ///
    /// # Errors
    /// As [`add`](Self::add).
    pub fn add_to_mean(&mut self, h: &FloatHistogram) -> Result<bool, Incompatible> {
        self.track(h);
        let count = self.n as f64;
        if !self.incremental {
            let (mut acc, mut c) = (self.acc.clone(), self.c.clone());
            let rec = kahan_add(&mut acc, &mut c, h)?;
            if acc.count.is_finite() && acc.sum.is_finite() {
                (self.acc, self.c) = (acc, c);
                return Ok(rec);
            }
            self.incremental = true;
            self.acc.div(count - 1.0);
            self.c.div(count - 1.0);
        }
        let q = (count - 1.0) / count;
        self.acc.mul(q);
        self.c.mul(q);
        let mut part = h.clone();
        part.div(count);
        kahan_add(&mut self.acc, &mut self.c, &part)
    }

    /// The compensated sum.
    pub fn sum(self) -> FloatHistogram {
        let mut out = self.acc;
        // Same layout: cannot fail.
        let _ = out.combine(&self.c, 1.0);
        out
    }

    /// The mean of what [`add_to_mean`](Self::add_to_mean) added.
    pub fn mean(self) -> FloatHistogram {
        if self.incremental {
            return self.sum();
        }
        let n = self.n as f64;
        let mut out = self.sum();
        out.div(n);
        out
    }
}

/// One compensated addition of `h` to `acc` (compensation `c`, kept in
/// `acc`'s layout); returns whether custom buckets were reconciled.
fn kahan_add(
    acc: &mut FloatHistogram,
    c: &mut FloatHistogram,
    h: &FloatHistogram,
) -> Result<bool, Incompatible> {
    let (theirs, reconciled) = acc.align(h)?;
    // The compensation follows the sum into its (never finer) layout.
    let mut layout = acc.layout();
    let (comp, _) = layout.align(c)?;
    let comp_zero = comp.zero_count;
    // `None`: the compensation's buckets are already in that layout.
    let owned = |side: Cow<'_, [(i32, f64)]>, had: usize| match side {
        Cow::Borrowed(b) if b.len() == had => None,
        side => Some(side.into_owned()),
    };
    let comp_pos = owned(comp.positive, c.positive.len());
    let comp_neg = owned(comp.negative, c.negative.len());
    (acc.count, c.count) = kahan_inc(h.count, acc.count, c.count);
    (acc.sum, c.sum) = kahan_inc(h.sum, acc.sum, c.sum);
    (acc.zero_count, c.zero_count) = kahan_inc(theirs.zero_count, acc.zero_count, comp_zero);
    kahan_side(
        &mut acc.positive,
        &mut c.positive,
        comp_pos,
        &theirs.positive,
    );
    kahan_side(
        &mut acc.negative,
        &mut c.negative,
        comp_neg,
        &theirs.negative,
    );
    c.schema = acc.schema;
    c.zero_threshold = acc.zero_threshold;
    c.custom_values.clone_from(&acc.custom_values);
    Ok(reconciled)
}

/// Sparse buckets: `(index, count)` sorted by index.
type Buckets = Vec<(i32, f64)>;

/// Same indexes in the same order.
fn same_indexes(a: &[(i32, f64)], b: &[(i32, f64)]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.0 == y.0)
}

/// One side of [`kahan_add`]: adds `inc` to `sum` with compensation
/// `comp` (`None`: the current `c`, already in `sum`'s layout), leaving
/// the new sums in `sum` and compensations in `c`. In place when the
/// indexes agree (or the compensation is still empty); otherwise as
/// [`kahan_merge`]. Same results either way.
fn kahan_side(sum: &mut Buckets, c: &mut Buckets, comp: Option<Buckets>, inc: &[(i32, f64)]) {
    if let Some(comp) = comp {
        *c = comp;
    }
    if same_indexes(sum, inc) {
        if c.is_empty() {
            c.extend(sum.iter().map(|&(i, _)| (i, 0.0)));
        }
        if same_indexes(sum, c) {
            for ((s, k), &(_, x)) in sum.iter_mut().zip(c.iter_mut()).zip(inc) {
                (s.1, k.1) = kahan_inc(x, s.1, k.1);
            }
            return;
        }
    }
    (*sum, *c) = kahan_merge(sum, c, inc);
}

/// Bucket-wise compensated addition of `inc` to `sum` (compensation
/// `comp`), all sorted by index and in one layout: new sums and
/// compensations.
fn kahan_merge(sum: &[(i32, f64)], comp: &[(i32, f64)], inc: &[(i32, f64)]) -> (Buckets, Buckets) {
    let mut idx: Vec<i32> = sum.iter().chain(comp).chain(inc).map(|&(i, _)| i).collect();
    idx.sort_unstable();
    idx.dedup();
    let get = |side: &[(i32, f64)], i: i32| {
        side.binary_search_by_key(&i, |&(j, _)| j)
            .map_or(0.0, |k| side[k].1)
    };
    let mut sums = Vec::with_capacity(idx.len());
    let mut comps = Vec::with_capacity(idx.len());
    for i in idx {
        let (t, c) = kahan_inc(get(inc, i), get(sum, i), get(comp, i));
        sums.push((i, t));
        comps.push((i, c));
    }
    (sums, comps)
}

/// Why two histograms cannot be combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incompatible {
    /// One has exponential buckets, the other custom ones.
    Schema,
}

impl FloatHistogram {
    /// True for a custom-bucket histogram (schema -53).
    pub fn uses_custom_buckets(&self) -> bool {
        self.schema == CUSTOM_BUCKETS_SCHEMA
    }

    /// Upper bound of bucket `idx` of this histogram's positive side.
    pub fn upper_bound(&self, idx: i32) -> f64 {
        if self.uses_custom_buckets() {
            custom_upper(&self.custom_values, idx)
        } else {
            exp_bound(idx, self.schema)
        }
    }

    fn lower_bound(&self, idx: i32) -> f64 {
        if self.uses_custom_buckets() {
            if idx <= 0 {
                f64::NEG_INFINITY
            } else {
                custom_upper(&self.custom_values, idx - 1)
            }
        } else {
            exp_bound(idx - 1, self.schema)
        }
    }

    /// Every bucket in ascending order of value, as Prometheus'
    /// `AllBucketIterator`: negative buckets (most negative first), the
    /// zero bucket (exponential schemas), positive buckets.
    pub fn all_buckets(&self) -> Vec<Bucket> {
        let mut out = Vec::with_capacity(self.positive.len() + self.negative.len() + 1);
        for &(i, c) in self.negative.iter().rev() {
            out.push(Bucket {
                lower: -self.upper_bound(i),
                upper: -self.lower_bound(i),
                count: c,
            });
        }
        if !self.uses_custom_buckets() {
            out.push(Bucket {
                lower: -self.zero_threshold,
                upper: self.zero_threshold,
                count: self.zero_count,
            });
        }
        for &(i, c) in &self.positive {
            out.push(Bucket {
                lower: self.lower_bound(i),
                upper: self.upper_bound(i),
                count: c,
            });
        }
        out
    }

    /// Removes empty buckets (`Compact(0)`).
    pub fn compact(&mut self) -> &mut Self {
        self.positive.retain(|&(_, c)| c != 0.0);
        self.negative.retain(|&(_, c)| c != 0.0);
        self
    }

    /// A compacted copy.
    pub fn compacted(&self) -> FloatHistogram {
        let mut c = self.clone();
        c.compact();
        c
    }

    /// An empty histogram (no observations, no buckets) with this one's
    /// schema, zero bucket width and custom bounds.
    pub fn layout(&self) -> FloatHistogram {
        FloatHistogram {
            hint: self.hint,
            schema: self.schema,
            zero_threshold: self.zero_threshold,
            custom_values: self.custom_values.clone(),
            ..FloatHistogram::default()
        }
    }

    /// Scales every count and the sum by `f` (`Mul`).
    pub fn mul(&mut self, f: f64) -> &mut Self {
        self.zero_count *= f;
        self.count *= f;
        self.sum *= f;
        for b in self.positive.iter_mut().chain(self.negative.iter_mut()) {
            b.1 *= f;
        }
        self
    }

    /// Divides every count and the sum by `f` (`Div`); dividing by zero
    /// removes all buckets.
    pub fn div(&mut self, f: f64) -> &mut Self {
        self.zero_count /= f;
        self.count /= f;
        self.sum /= f;
        if f == 0.0 {
            self.positive.clear();
            self.negative.clear();
            return self;
        }
        for b in self.positive.iter_mut().chain(self.negative.iter_mut()) {
            b.1 /= f;
        }
        self
    }

    /// A copy at a lower (or equal) exponential resolution (`CopyToSchema`).
    pub fn to_schema(&self, target: i32) -> FloatHistogram {
        let mut c = self.clone();
        if !c.uses_custom_buckets() && target < c.schema {
            c.positive = reduce(&c.positive, c.schema, target);
            c.negative = reduce(&c.negative, c.schema, target);
            c.schema = target;
        }
        c
    }

    /// Adds `other` (`Add`): counts, sums and buckets, after reducing both
    /// to the lower schema and the wider zero bucket. Custom buckets with
    /// different bounds are reconciled to the bounds both share; the
    /// result says whether that happened ("mismatched custom buckets were
    /// reconciled").
    ///
    /// # Errors
    /// [`Incompatible::Schema`] when one side has custom buckets and the
    /// other exponential ones.
    pub fn add(&mut self, other: &FloatHistogram) -> Result<bool, Incompatible> {
        self.hint = merge_hints(self.hint, other.hint);
        self.combine(other, 1.0)
    }

    /// Subtracts `other` (`Sub`), as [`add`](Self::add).
    ///
    /// # Errors
    /// As [`add`](Self::add).
    pub fn sub(&mut self, other: &FloatHistogram) -> Result<bool, Incompatible> {
        self.combine(other, -1.0)
    }

    fn combine(&mut self, other: &FloatHistogram, sign: f64) -> Result<bool, Incompatible> {
        if self.same_plain_layout(other) {
            // What the general path does for this layout, without aligning.
            self.count += sign * other.count;
            self.sum += sign * other.sum;
            self.zero_count += sign * other.zero_count;
            for (x, y) in self.positive.iter_mut().zip(&other.positive) {
                x.1 += sign * y.1;
            }
            for (x, y) in self.negative.iter_mut().zip(&other.negative) {
                x.1 += sign * y.1;
            }
            return Ok(false);
        }
        self.combine_aligned(other, sign)
    }

    /// [`combine`](Self::combine) through [`align`](Self::align), for any
    /// layouts.
    fn combine_aligned(&mut self, other: &FloatHistogram, sign: f64) -> Result<bool, Incompatible> {
        let (theirs, reconciled) = self.align(other)?;
        self.count += sign * other.count;
        self.sum += sign * other.sum;
        self.zero_count += sign * theirs.zero_count;
        merge_into(&mut self.positive, &theirs.positive, sign);
        merge_into(&mut self.negative, &theirs.negative, sign);
        Ok(reconciled)
    }

    /// Brings `self` to a layout both histograms fit (the lower schema, the
    /// wider zero bucket, the custom bounds both have) and returns
    /// `other`'s zero count and buckets in that layout, as the first half
    /// of Prometheus' `Add`; the flag is set when custom buckets with other
    /// bounds were reconciled.
    fn align<'a>(
        &mut self,
        other: &'a FloatHistogram,
    ) -> Result<(Aligned<'a>, bool), Incompatible> {
        if self.uses_custom_buckets() != other.uses_custom_buckets() {
            return Err(Incompatible::Schema);
        }
        if self.uses_custom_buckets() {
            let mut theirs = Cow::Borrowed(other.positive.as_slice());
            let mut reconciled = false;
            if !bounds_match(&self.custom_values, &other.custom_values) {
                let common = common_bounds(&self.custom_values, &other.custom_values);
                self.positive = rebucket(&self.positive, &self.custom_values, &common);
                theirs = Cow::Owned(rebucket(&theirs, &other.custom_values, &common));
                self.custom_values = common;
                reconciled = true;
            }
            let aligned = Aligned {
                zero_count: 0.0,
                positive: theirs,
                negative: Cow::Borrowed(&[]),
            };
            return Ok((aligned, reconciled));
        }
        let zero_count = self.reconcile_zero_buckets(other);
        let target = self.schema.min(other.schema);
        if target < self.schema {
            self.positive = reduce(&self.positive, self.schema, target);
            self.negative = reduce(&self.negative, self.schema, target);
            self.schema = target;
        }
        let zt = self.zero_threshold;
        let aligned = Aligned {
            zero_count,
            positive: reduced_outside(&other.positive, other.schema, target, zt),
            negative: reduced_outside(&other.negative, other.schema, target, zt),
        };
        Ok((aligned, false))
    }

    /// Widens the zero buckets of `self` and `other` to the same threshold
    /// and returns `other`'s zero count at it (`reconcileZeroBuckets`).
    fn reconcile_zero_buckets(&mut self, other: &FloatHistogram) -> f64 {
        let mut other_zero = other.zero_count;
        let mut other_threshold = other.zero_threshold;
        let mut guard = 0;
        while other_threshold != self.zero_threshold && guard < 64 {
            guard += 1;
            if self.zero_threshold > other_threshold {
                (other_zero, other_threshold) = other.zero_count_for(self.zero_threshold);
            }
            if other_threshold > self.zero_threshold {
                (self.zero_count, self.zero_threshold) = self.zero_count_for(other_threshold);
                self.trim_buckets_in_zero_bucket();
            }
        }
        other_zero
    }

    /// The zero count this histogram would have with a zero bucket of
    /// width `larger`, and the width it would take: a populated bucket that
    /// `larger` cuts through widens it to that bucket's bound
    /// (`zeroCountForLargerThreshold`).
    fn zero_count_for(&self, mut larger: f64) -> (f64, f64) {
        if larger <= self.zero_threshold {
            return (self.zero_count, self.zero_threshold.max(larger));
        }
        'outer: loop {
            let mut count = self.zero_count;
            for &(i, c) in &self.positive {
                let (lo, hi) = (self.lower_bound(i), self.upper_bound(i));
                if lo >= larger {
                    break;
                }
                count += c;
                if hi > larger {
                    if c != 0.0 {
                        larger = hi;
                        continue 'outer;
                    }
                    break;
                }
            }
            for &(i, c) in &self.negative {
                let (lo, hi) = (self.lower_bound(i), self.upper_bound(i));
                if lo >= larger {
                    break;
                }
                count += c;
                if hi > larger {
                    if c != 0.0 {
                        larger = hi;
                        continue 'outer;
                    }
                    break;
                }
            }
            return (count, larger);
        }
    }

    /// Drops buckets that lie inside the zero bucket.
    fn trim_buckets_in_zero_bucket(&mut self) {
        let zt = self.zero_threshold;
        let schema = self.schema;
        self.positive.retain(|&(i, _)| exp_bound(i, schema) > zt);
        self.negative.retain(|&(i, _)| exp_bound(i, schema) > zt);
    }

    /// True when `self` follows `previous` only through a counter reset
    /// (`DetectReset`): the hint says so, or any count is lower, or the
    /// resolution rose, or the zero bucket narrowed; custom buckets with
    /// other bounds are compared on the bounds both have.
    pub fn detect_reset(&self, previous: &FloatHistogram) -> bool {
        match self.hint {
            ResetHint::Reset => true,
            ResetHint::NotReset => false,
            _ => self.counts_reset(previous),
        }
    }

    /// [`detect_reset`](Self::detect_reset) without looking at the hint:
    /// true when the counts or the layout say a reset happened.
    pub fn counts_reset(&self, previous: &FloatHistogram) -> bool {
        if self.count < previous.count {
            return true;
        }
        if self.uses_custom_buckets() != previous.uses_custom_buckets() {
            return true;
        }
        if self.uses_custom_buckets() {
            if !bounds_match(&self.custom_values, &previous.custom_values) {
                // Different bounds are compared on the bounds both share
                // (Prometheus 3.x reconciles them rather than assuming a
                // reset).
                let common = common_bounds(&self.custom_values, &previous.custom_values);
                let cur = rebucket(&self.positive, &self.custom_values, &common);
                let prev = rebucket(&previous.positive, &previous.custom_values, &common);
                return bucket_decreased(&cur, &prev);
            }
            return bucket_decreased(&self.positive, &previous.positive);
        }
        // The common case, a counter's next sample in the same layout with
        // no bucket inside the zero bucket: bucket by bucket, no copies.
        if let Some(reset) = self.same_layout_reset(previous) {
            return reset;
        }
        self.layout_reset(previous)
    }

    /// True when both are exponential histograms with the same schema,
    /// zero threshold (below 1) and bucket indexes, none of the buckets
    /// inside the zero bucket (all indexes at least 0): the layout in which
    /// adding, subtracting and comparing go bucket by bucket, with nothing
    /// to reconcile.
    fn same_plain_layout(&self, other: &FloatHistogram) -> bool {
        let outside = |b: &[(i32, f64)]| b.first().is_none_or(|&(i, _)| i >= 0);
        !self.uses_custom_buckets()
            && !other.uses_custom_buckets()
            && self.schema == other.schema
            && self.zero_threshold == other.zero_threshold
            && self.zero_threshold < 1.0
            && same_indexes(&self.positive, &other.positive)
            && same_indexes(&self.negative, &other.negative)
            && outside(&self.positive)
            && outside(&self.negative)
    }

    /// [`counts_reset`](Self::counts_reset) of two exponential histograms
    /// with the same schema, zero threshold (below 1) and bucket indexes,
    /// none of them inside the zero bucket; `None` for any other pair.
    fn same_layout_reset(&self, previous: &FloatHistogram) -> Option<bool> {
        if !self.same_plain_layout(previous) {
            return None;
        }
        let decreased = |cur: &[(i32, f64)], prev: &[(i32, f64)]| {
            cur.iter().zip(prev).any(|(c, p)| p.1 != 0.0 && c.1 < p.1)
        };
        Some(
            self.zero_count < previous.zero_count
                || decreased(&self.positive, &previous.positive)
                || decreased(&self.negative, &previous.negative),
        )
    }

    /// The rest of [`counts_reset`](Self::counts_reset) for exponential
    /// histograms, past its count and custom-bucket checks: schema and zero
    /// threshold changes, then the buckets in the current layout.
    fn layout_reset(&self, previous: &FloatHistogram) -> bool {
        if self.schema > previous.schema || self.zero_threshold < previous.zero_threshold {
            return true;
        }
        let (prev_zero, threshold) = previous.zero_count_for(self.zero_threshold);
        if threshold != self.zero_threshold || self.zero_count < prev_zero {
            return true;
        }
        let zt = self.zero_threshold;
        let schema = self.schema;
        let pp = reduced_outside(&previous.positive, previous.schema, schema, zt);
        let pn = reduced_outside(&previous.negative, previous.schema, schema, zt);
        let cp = reduced_outside(&self.positive, schema, schema, zt);
        let cn = reduced_outside(&self.negative, schema, schema, zt);
        bucket_decreased(&cp, &pp) || bucket_decreased(&cn, &pn)
    }

    /// Equality as `Equals` after `Compact(0)` on both sides, with counts,
    /// sum and buckets compared within `eps` (relative, as Prometheus'
    /// `almost.Equal`); schema, zero threshold and custom bounds exactly.
    pub fn approx_eq(&self, other: &FloatHistogram, eps: f64) -> bool {
        let (a, b) = (self.compacted(), other.compacted());
        let close = |x: f64, y: f64| almost_equal(x, y, eps);
        a.schema == b.schema
            && close(a.count, b.count)
            && close(a.sum, b.sum)
            && (!a.uses_custom_buckets() || bounds_match(&a.custom_values, &b.custom_values))
            && a.zero_threshold == b.zero_threshold
            && close(a.zero_count, b.zero_count)
            && sides_close(&a.positive, &b.positive, eps)
            && sides_close(&a.negative, &b.negative, eps)
    }

    /// Exact equality of the compacted histograms (`Equals`, used by `==`
    /// and `!=` between histograms); NaN sums are equal.
    pub fn equals(&self, other: &FloatHistogram) -> bool {
        let (a, b) = (self.compacted(), other.compacted());
        let same = |x: f64, y: f64| x == y || (x.is_nan() && y.is_nan());
        a.schema == b.schema
            && a.zero_threshold == b.zero_threshold
            && same(a.zero_count, b.zero_count)
            && same(a.count, b.count)
            && same(a.sum, b.sum)
            && bounds_match(&a.custom_values, &b.custom_values)
            && a.positive.len() == b.positive.len()
            && a.negative.len() == b.negative.len()
            && a.positive
                .iter()
                .zip(&b.positive)
                .all(|(x, y)| x.0 == y.0 && same(x.1, y.1))
            && a.negative
                .iter()
                .zip(&b.negative)
                .all(|(x, y)| x.0 == y.0 && same(x.1, y.1))
    }

    /// The series notation Prometheus prints for a histogram in test
    /// failures (`TestExpression`): one span per side, fields that are zero
    /// left out.
    pub fn test_expression(&self) -> String {
        let g = |x: f64| crate::go::float::format_g(x, None);
        let mut parts: Vec<String> = Vec::new();
        if self.schema != 0 {
            parts.push(format!("schema:{}", self.schema));
        }
        if self.count != 0.0 {
            parts.push(format!("count:{}", g(self.count)));
        }
        if self.sum != 0.0 {
            parts.push(format!("sum:{}", g(self.sum)));
        }
        if self.zero_count != 0.0 {
            parts.push(format!("z_bucket:{}", g(self.zero_count)));
        }
        if self.zero_threshold != 0.0 {
            parts.push(format!("z_bucket_w:{}", g(self.zero_threshold)));
        }
        if self.uses_custom_buckets() {
            let v: Vec<String> = self.custom_values.iter().map(|&x| g(x)).collect();
            parts.push(format!("custom_values:[{}]", v.join(" ")));
        }
        match self.hint {
            ResetHint::Unknown => {}
            ResetHint::Reset => parts.push("counter_reset_hint:reset".into()),
            ResetHint::NotReset => parts.push("counter_reset_hint:not_reset".into()),
            ResetHint::Gauge => parts.push("counter_reset_hint:gauge".into()),
        }
        let mut side = |key: &str, off: &str, b: &[(i32, f64)]| {
            let b: Vec<(i32, f64)> = trim_empty(b);
            let Some(&(first, _)) = b.first() else {
                return;
            };
            if first != 0 {
                parts.push(format!("{off}:{first}"));
            }
            let last = b[b.len() - 1].0;
            let mut s = String::new();
            let mut it = b.iter().peekable();
            for i in first..=last {
                let c = match it.peek() {
                    Some(&&(j, c)) if j == i => {
                        it.next();
                        c
                    }
                    _ => 0.0,
                };
                if !s.is_empty() {
                    s.push(' ');
                }
                s.push_str(&g(c));
            }
            parts.push(format!("{key}:[{s}]"));
        };
        side("buckets", "offset", &self.positive);
        side("n_buckets", "n_offset", &self.negative);
        format!("{{{{{}}}}}", parts.join(" "))
    }

    /// The `{count:4, sum:5, [-1,-0.5):1, ...}` form of `String()`, used in
    /// promtool's unit-test output.
    pub fn display(&self) -> String {
        let g = |x: f64| crate::go::float::format_g(x, None);
        let mut s = format!("{{count:{}, sum:{}", g(self.count), g(self.sum));
        let bucket = |b: &Bucket, lower_incl: bool, upper_incl: bool| {
            format!(
                "{}{},{}{}:{}",
                if lower_incl { '[' } else { '(' },
                g(b.lower),
                g(b.upper),
                if upper_incl { ']' } else { ')' },
                g(b.count)
            )
        };
        for b in self.all_buckets() {
            if b.count == 0.0 {
                continue;
            }
            let is_zero = !self.uses_custom_buckets() && b.lower <= 0.0 && b.upper >= 0.0;
            let _ = if is_zero {
                write!(s, ", {}", bucket(&b, true, true))
            } else if b.upper <= 0.0 && !self.uses_custom_buckets() {
                write!(s, ", {}", bucket(&b, true, false))
            } else {
                write!(s, ", {}", bucket(&b, false, true))
            };
        }
        s.push('}');
        s
    }
}

fn trim_empty(b: &[(i32, f64)]) -> Vec<(i32, f64)> {
    let start = b.iter().position(|&(_, c)| c != 0.0).unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|&(_, c)| c != 0.0)
        .map_or(start, |i| i + 1);
    b[start..end].to_vec()
}

/// Relative float comparison as Prometheus' `util/almost.Equal`.
pub fn almost_equal(a: f64, b: f64, eps: f64) -> bool {
    if a.is_nan() && b.is_nan() {
        return true;
    }
    if a == b {
        return true;
    }
    let abs_sum = a.abs() + b.abs();
    let diff = (a - b).abs();
    const MIN_NORMAL: f64 = f64::MIN_POSITIVE;
    if a == 0.0 || b == 0.0 || abs_sum < MIN_NORMAL {
        return diff < eps * MIN_NORMAL;
    }
    diff / abs_sum.min(f64::MAX) < eps
}

fn sides_close(a: &[(i32, f64)], b: &[(i32, f64)], eps: f64) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.0 == y.0 && almost_equal(x.1, y.1, eps))
}

/// Whether combining histograms with hints `a` and `b` is a counter-reset
/// collision ("reset" with "not a reset"; `adjustCounterReset`).
pub fn counter_resets_collide(a: ResetHint, b: ResetHint) -> bool {
    matches!(
        (a, b),
        (ResetHint::Reset, ResetHint::NotReset) | (ResetHint::NotReset, ResetHint::Reset)
    )
}

/// Merges the hints of two added histograms as `FloatHistogram.Add`.
fn merge_hints(a: ResetHint, b: ResetHint) -> ResetHint {
    use ResetHint::*;
    match (a, b) {
        _ if a == b => a,
        (Gauge, _) | (_, Gauge) => Gauge,
        _ => Unknown,
    }
}

/// Upper bound of exponential bucket `idx` at `schema` (`getBound`):
/// 2^(idx·2^-schema), exact for schemas ≤ 0.
pub fn exp_bound(idx: i32, schema: i32) -> f64 {
    if schema <= 0 {
        let exp = i64::from(idx) << (-schema).min(62);
        return ldexp(1.0, exp);
    }
    let frac_idx = idx & ((1 << schema) - 1);
    let exp = i64::from(idx >> schema);
    let frac = (f64::from(frac_idx) / f64::from(1 << schema)).exp2();
    ldexp(frac, exp)
}

fn ldexp(x: f64, exp: i64) -> f64 {
    let e = exp.clamp(-1100, 1100) as i32;
    // Two steps keep intermediate powers finite.
    let half = e / 2;
    x * 2f64.powi(half) * 2f64.powi(e - half)
}

fn custom_upper(cv: &[f64], idx: i32) -> f64 {
    match usize::try_from(idx) {
        Ok(i) if i < cv.len() => cv[i],
        Ok(_) => f64::INFINITY,
        Err(_) => f64::NEG_INFINITY,
    }
}

/// Maps buckets to a lower schema, summing the ones that merge
/// (`targetIdx`: `((idx - 1) >> (origin - target)) + 1`).
fn reduce(b: &[(i32, f64)], origin: i32, target: i32) -> Vec<(i32, f64)> {
    if target >= origin {
        return b.to_vec();
    }
    let shift = (origin - target).min(31) as u32;
    let mut out: Vec<(i32, f64)> = Vec::with_capacity(b.len());
    for &(i, c) in b {
        let t = ((i64::from(i) - 1) >> shift) as i32 + 1;
        match out.last_mut() {
            Some(last) if last.0 == t => last.1 += c,
            _ => out.push((t, c)),
        }
    }
    out
}

/// Buckets `b` of schema `origin` reduced to schema `target` (see
/// [`reduce`]) without those whose upper bound is not above the zero
/// threshold `zt`; borrowed when nothing changes. Bounds grow with the
/// index, so the dropped buckets are a prefix.
fn reduced_outside(b: &[(i32, f64)], origin: i32, target: i32, zt: f64) -> Cow<'_, [(i32, f64)]> {
    let inside = |side: &[(i32, f64)]| {
        // Bucket 0's upper bound is 1 at every schema, higher ones more.
        if side.first().is_none_or(|&(i, _)| i >= 0 && zt < 1.0) {
            return 0;
        }
        side.iter()
            .take_while(|&&(i, _)| exp_bound(i, target).partial_cmp(&zt) != Some(Ordering::Greater))
            .count()
    };
    if target >= origin {
        return Cow::Borrowed(&b[inside(b)..]);
    }
    let mut r = reduce(b, origin, target);
    r.drain(..inside(&r));
    Cow::Owned(r)
}

/// `a = a + sign·b` for sorted bucket lists, in place when both have the
/// same indexes (as [`merge`]).
fn merge_into(a: &mut Vec<(i32, f64)>, b: &[(i32, f64)], sign: f64) {
    if same_indexes(a, b) {
        for (x, y) in a.iter_mut().zip(b) {
            x.1 += sign * y.1;
        }
    } else {
        *a = merge(a, b, sign);
    }
}

/// Merges two sorted bucket lists, `a + sign·b`.
fn merge(a: &[(i32, f64)], b: &[(i32, f64)], sign: f64) -> Vec<(i32, f64)> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => match x.0.cmp(&y.0) {
                Ordering::Less => {
                    out.push(x);
                    i += 1;
                }
                Ordering::Greater => {
                    out.push((y.0, sign * y.1));
                    j += 1;
                }
                Ordering::Equal => {
                    out.push((x.0, x.1 + sign * y.1));
                    i += 1;
                    j += 1;
                }
            },
            (Some(&x), None) => {
                out.push(x);
                i += 1;
            }
            (None, Some(&y)) => {
                out.push((y.0, sign * y.1));
                j += 1;
            }
            (None, None) => break,
        }
    }
    out
}

/// True when some bucket of `prev` with observations is missing from
/// `curr` or has more observations than in `curr`.
fn bucket_decreased(curr: &[(i32, f64)], prev: &[(i32, f64)]) -> bool {
    let mut j = 0;
    for &(i, c) in prev {
        while j < curr.len() && curr[j].0 < i {
            j += 1;
        }
        let now = if j < curr.len() && curr[j].0 == i {
            curr[j].1
        } else {
            0.0
        };
        if c != 0.0 && now < c {
            return true;
        }
    }
    false
}

/// Custom bounds equal bit for bit (NaN-free), as `FloatBucketsMatch`.
fn bounds_match(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// The bounds two custom-bucket layouts share.
fn common_bounds(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().copied().filter(|x| b.contains(x)).collect()
}

/// Moves custom buckets of layout `from` into layout `to` (a subset of
/// `from`'s bounds): each bucket joins the first bucket of `to` whose upper
/// bound is at least its own.
fn rebucket(b: &[(i32, f64)], from: &[f64], to: &[f64]) -> Vec<(i32, f64)> {
    let mut out: Vec<(i32, f64)> = Vec::new();
    for &(i, c) in b {
        let upper = custom_upper(from, i);
        let t = to.partition_point(|&x| x < upper) as i32;
        match out.last_mut() {
            Some(last) if last.0 == t => last.1 += c,
            _ => out.push((t, c)),
        }
    }
    out
}

/// Errors of the histogram notation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct NotationError(pub String);

/// Parses the inside of `{{...}}` (without the braces): space-separated
/// `key:value` pairs as promqltest and promtool read them (`schema`,
/// `sum`, `count`, `z_bucket`, `z_bucket_w`, `buckets`, `offset`,
/// `n_buckets`, `n_offset`, `custom_values`, `counter_reset_hint`).
///
/// # Errors
/// Unknown keys, bad numbers, an invalid schema or unsorted custom values.
pub fn parse_notation(body: &str) -> Result<FloatHistogram, NotationError> {
    let e = |m: String| NotationError(m);
    let mut h = FloatHistogram::default();
    let (mut buckets, mut nbuckets): (Vec<f64>, Vec<f64>) = (Vec::new(), Vec::new());
    let (mut offset, mut noffset) = (0i32, 0i32);
    let mut rest = body.trim();
    while !rest.is_empty() {
        let colon = rest
            .find(':')
            .ok_or_else(|| e(format!("expected key:value in histogram {body:?}")))?;
        let key = rest[..colon].trim();
        rest = rest[colon + 1..].trim_start();
        let value;
        if rest.starts_with('[') {
            let close = rest
                .find(']')
                .ok_or_else(|| e(format!("unterminated list in histogram {body:?}")))?;
            value = &rest[..=close];
            rest = rest[close + 1..].trim_start();
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            value = &rest[..end];
            rest = rest[end..].trim_start();
        }
        let num = |v: &str| {
            crate::go::float::parse_number(v)
                .map_err(|_| e(format!("invalid number {v:?} for {key} in histogram")))
        };
        let list = |v: &str| -> Result<Vec<f64>, NotationError> {
            v.trim_start_matches('[')
                .trim_end_matches(']')
                .split_whitespace()
                .map(num)
                .collect()
        };
        let int = |v: &str| -> Result<i32, NotationError> {
            v.parse::<i32>()
                .map_err(|_| e(format!("invalid integer {v:?} for {key} in histogram")))
        };
        match key {
            "schema" => h.schema = int(value)?,
            "sum" => h.sum = num(value)?,
            "count" => h.count = num(value)?,
            "z_bucket" => h.zero_count = num(value)?,
            "z_bucket_w" => h.zero_threshold = num(value)?,
            "buckets" => buckets = list(value)?,
            "n_buckets" => nbuckets = list(value)?,
            "offset" => offset = int(value)?,
            "n_offset" => noffset = int(value)?,
            "custom_values" => h.custom_values = list(value)?,
            "counter_reset_hint" => {
                h.hint = match value {
                    "unknown" => ResetHint::Unknown,
                    "reset" => ResetHint::Reset,
                    "not_reset" => ResetHint::NotReset,
                    "gauge" => ResetHint::Gauge,
                    _ => return Err(e(format!("invalid counter_reset_hint {value:?}"))),
                }
            }
            _ => return Err(e(format!("unknown key {key:?} in histogram"))),
        }
    }
    if h.schema != CUSTOM_BUCKETS_SCHEMA && !(MIN_SCHEMA..=MAX_SCHEMA).contains(&h.schema) {
        return Err(e(format!("invalid schema {} in histogram", h.schema)));
    }
    if h.uses_custom_buckets() {
        if h.custom_values
            .windows(2)
            .any(|w| w[0].partial_cmp(&w[1]) != Some(Ordering::Less))
        {
            return Err(e("custom_values must be strictly increasing".into()));
        }
        if !nbuckets.is_empty() || h.zero_count != 0.0 {
            return Err(e(
                "custom-bucket histograms have no negative or zero buckets".into(),
            ));
        }
    }
    let side = |b: &[f64], off: i32| -> Vec<(i32, f64)> {
        b.iter()
            .enumerate()
            .map(|(i, &c)| (off.saturating_add(i as i32), c))
            .collect()
    };
    h.positive = side(&buckets, offset);
    h.negative = side(&nbuckets, noffset);
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> FloatHistogram {
        parse_notation(s).unwrap()
    }

    #[test]
    fn bounds_follow_the_schema() {
        assert_eq!(exp_bound(0, 0), 1.0);
        assert_eq!(exp_bound(1, 0), 2.0);
        assert_eq!(exp_bound(-1, 0), 0.5);
        assert_eq!(exp_bound(1, -1), 4.0);
        assert!((exp_bound(1, 1) - 2f64.sqrt()).abs() < 1e-15);
        let c = h("schema:-53 custom_values:[-2 3]");
        assert_eq!(c.upper_bound(0), -2.0);
        assert_eq!(c.upper_bound(2), f64::INFINITY);
    }

    #[test]
    fn adding_reduces_to_the_lower_schema() {
        let mut a = h("schema:1 count:2 sum:3 buckets:[1 1]");
        let b = h("schema:0 count:1 sum:1 buckets:[1]");
        a.add(&b).unwrap();
        // schema 1 buckets 0,1 map to schema 0 buckets 0 and 1.
        assert_eq!(a.schema, 0);
        assert_eq!(a.positive, vec![(0, 2.0), (1, 1.0)]);
        assert_eq!(a.count, 3.0);
    }

    #[test]
    fn zero_buckets_are_widened_to_the_larger_threshold() {
        let mut a = h("z_bucket_w:0.5 z_bucket:1 count:3 buckets:[2] offset:-1");
        let b = h("z_bucket_w:1 z_bucket:2 count:2");
        a.add(&b).unwrap();
        // a's bucket (0.25, 0.5] lies inside the zero bucket of width 1.
        assert_eq!(a.zero_threshold, 1.0);
        assert_eq!(a.zero_count, 5.0);
        assert!(a.compacted().positive.is_empty());
    }

    #[test]
    fn resets_are_detected_per_bucket() {
        let prev = h("count:4 buckets:[1 2 1]");
        assert!(!h("count:5 buckets:[1 3 1]").detect_reset(&prev));
        assert!(h("count:5 buckets:[1 1 3]").detect_reset(&prev));
        assert!(h("count:3 buckets:[1 1 1]").detect_reset(&prev));
        assert!(h("count:9 buckets:[9] counter_reset_hint:reset").detect_reset(&prev));
        // A higher resolution is a reset.
        assert!(h("schema:1 count:4 buckets:[1 2 1]").detect_reset(&prev));
    }

    #[test]
    fn custom_buckets_reconcile_to_shared_bounds() {
        let mut a = h("schema:-53 count:3 custom_values:[1 2 3] buckets:[1 1 1]");
        let b = h("schema:-53 count:2 custom_values:[2 5] buckets:[1 1]");
        assert_eq!(a.add(&b), Ok(true));
        assert_eq!(a.custom_values, vec![2.0]);
        // (.., 2]: 1 + 1 + 1; (2, +Inf]: 1 + 1.
        assert_eq!(a.positive, vec![(0, 3.0), (1, 2.0)]);
        assert_eq!(
            a.add(&h("count:1")),
            Err(Incompatible::Schema),
            "exponential and custom buckets do not add"
        );
    }

    #[test]
    fn notation_round_trips_through_test_expression() {
        let s = "schema:1 count:10 sum:3 z_bucket:1 z_bucket_w:0.001 offset:-2 buckets:[1 0 2] n_buckets:[3]";
        let x = h(s);
        assert_eq!(h(&x.test_expression()[2..x.test_expression().len() - 2]), x);
        assert_eq!(
            h("count:4 sum:5 buckets:[1 2 1]").test_expression(),
            "{{count:4 sum:5 buckets:[1 2 1]}}"
        );
        assert!(parse_notation("schema:9").is_err());
        assert!(parse_notation("bogus:1").is_err());
    }

    #[test]
    fn display_matches_prometheus_string() {
        assert_eq!(
            h("count:4 sum:5 buckets:[1 2 1]").display(),
            "{count:4, sum:5, (0.5,1]:1, (1,2]:2, (2,4]:1}"
        );
    }

    /// The same-layout shortcut of `counts_reset` agrees with the general
    /// comparison on every pair it answers (seeded pseudo-random pairs).
    #[test]
    fn same_layout_resets_agree_with_the_general_comparison() {
        struct Lcg(u64);
        impl Lcg {
            fn next(&mut self, n: u64) -> u64 {
                self.0 = self
                    .0
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (self.0 >> 33) % n
            }
            fn count(&mut self) -> f64 {
                [0.0, 1.0, 2.0, 3.0][self.next(4) as usize]
            }
            fn side(&mut self, len: usize, offset: i32) -> Vec<(i32, f64)> {
                (0..len)
                    .map(|i| (offset + i as i32, self.count()))
                    .collect()
            }
        }
        let mut r = Lcg(0x5eed);
        let mut answered = 0;
        for _ in 0..20_000 {
            let schema = r.next(3) as i32 - 1;
            let zero_threshold = [0.0, 1e-128, 0.5, 1.0][r.next(4) as usize];
            let (len, offset) = (r.next(4) as usize, r.next(4) as i32 - 2);
            let negative = r.next(3) as usize;
            let mut a = FloatHistogram {
                schema,
                zero_threshold,
                zero_count: r.count(),
                count: 100.0,
                positive: r.side(len, offset),
                negative: r.side(negative, 0),
                ..FloatHistogram::default()
            };
            let mut b = a.clone();
            b.zero_count = r.count();
            for x in b.positive.iter_mut().chain(b.negative.iter_mut()) {
                x.1 = r.count();
            }
            if r.next(4) == 0 {
                let (len, offset) = (r.next(4) as usize, r.next(4) as i32 - 2);
                b.positive = r.side(len, offset);
            }
            if r.next(8) == 0 {
                a.zero_threshold = 0.25;
            }
            let general = b.layout_reset(&a);
            match b.same_layout_reset(&a) {
                Some(fast) => {
                    answered += 1;
                    assert_eq!(fast, general, "{a:?} -> {b:?}");
                }
                None => assert_eq!(b.counts_reset(&a), general),
            }
        }
        assert!(answered > 3_000, "the shortcut answered {answered} pairs");
    }

    /// Adding or subtracting in the same plain layout gives bit for bit
    /// what the general path gives.
    #[test]
    fn same_layout_arithmetic_agrees_with_the_general_path() {
        let cases = [
            (
                "schema:0 count:5 sum:7 z_bucket:1 buckets:[1 2 1]",
                "schema:0 count:3 sum:0.1 z_bucket:2 buckets:[0.5 0.25 0.3]",
            ),
            (
                "schema:3 count:9 sum:-2 offset:2 buckets:[1 2] n_buckets:[3 3]",
                "schema:3 count:1e10 sum:1e-9 offset:2 buckets:[7 1e-3] n_buckets:[0.1 9]",
            ),
            ("schema:-2 count:0 sum:0", "schema:-2 count:1 sum:NaN"),
        ];
        for (a, b) in cases {
            let (a, b) = (h(a), h(b));
            assert!(a.same_plain_layout(&b), "{a:?} {b:?}");
            for sign in [1.0, -1.0] {
                let (mut fast, mut general) = (a.clone(), a.clone());
                fast.combine(&b, sign).unwrap();
                general.combine_aligned(&b, sign).unwrap();
                assert_eq!(format!("{fast:?}"), format!("{general:?}"));
            }
        }
        // Not the same layout: another schema, or a bucket below index 0.
        assert!(!h("schema:0 buckets:[1]").same_plain_layout(&h("schema:1 buckets:[1]")));
        let low = h("schema:0 offset:-1 buckets:[1]");
        assert!(!low.same_plain_layout(&low.clone()));
    }
}
