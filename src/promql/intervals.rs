//! Sets of sample values as unions of intervals over the extended reals
//! (`-Inf` and `+Inf` are values), plus `NaN`: what a comparison with a
//! number keeps, and what adding, subtracting, multiplying or dividing by a
//! number does to a set. [`super::conditions`] builds on it to tell which
//! filters of an expression can never pass.
//!
//! Comparisons follow Go's float semantics, as Prometheus' promql/engine.go
//! `vectorElemBinop` compares: `NaN` fails every comparison except `!=`,
//! `+Inf == +Inf` holds and `+Inf > 1e308` holds. Arithmetic with a finite
//! number is monotone in IEEE 754 arithmetic, so the bounds of a mapped set
//! are the mapped bounds; rounding may make two values equal, so mapped
//! bounds are closed.

use crate::go::float::format_v;

/// One interval `lo..hi` of the extended reals, each end open or closed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Lower end (`-Inf` for unbounded below).
    pub lo: f64,
    /// True when `lo` itself is in the interval.
    pub lo_closed: bool,
    /// Upper end (`+Inf` for unbounded above).
    pub hi: f64,
    /// True when `hi` itself is in the interval.
    pub hi_closed: bool,
}

impl Interval {
    /// `[lo, hi]`.
    pub fn closed(lo: f64, hi: f64) -> Interval {
        Interval {
            lo,
            lo_closed: true,
            hi,
            hi_closed: true,
        }
    }

    /// `[v, v]`.
    pub fn point(v: f64) -> Interval {
        Interval::closed(v, v)
    }

    fn is_empty(&self) -> bool {
        self.lo.is_nan()
            || self.hi.is_nan()
            || self.lo > self.hi
            || (self.lo == self.hi && !(self.lo_closed && self.hi_closed))
    }

    fn intersect(&self, o: &Interval) -> Interval {
        let (lo, lo_closed) = if self.lo > o.lo {
            (self.lo, self.lo_closed)
        } else if o.lo > self.lo {
            (o.lo, o.lo_closed)
        } else {
            (self.lo, self.lo_closed && o.lo_closed)
        };
        let (hi, hi_closed) = if self.hi < o.hi {
            (self.hi, self.hi_closed)
        } else if o.hi < self.hi {
            (o.hi, o.hi_closed)
        } else {
            (self.hi, self.hi_closed && o.hi_closed)
        };
        Interval {
            lo,
            lo_closed,
            hi,
            hi_closed,
        }
    }
}

/// A set of float sample values: a union of disjoint intervals, sorted,
/// and whether `NaN` is in it. The empty set is the value set of an
/// expression that never returns a series.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueSet {
    intervals: Vec<Interval>,
    /// True when `NaN` may be a value.
    pub nan: bool,
}

/// A comparison operator of PromQL, as a filter or with `bool`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Cmp {
    /// The operator of its PromQL spelling (`"=="`, `">="`, …).
    pub fn parse(op: &str) -> Option<Cmp> {
        Some(match op {
            "==" => Cmp::Eq,
            "!=" => Cmp::Ne,
            "<" => Cmp::Lt,
            "<=" => Cmp::Le,
            ">" => Cmp::Gt,
            ">=" => Cmp::Ge,
            _ => return None,
        })
    }

    /// The same test with the operands swapped: `c < v` is `v > c`.
    pub fn flip(self) -> Cmp {
        match self {
            Cmp::Lt => Cmp::Gt,
            Cmp::Le => Cmp::Ge,
            Cmp::Gt => Cmp::Lt,
            Cmp::Ge => Cmp::Le,
            other => other,
        }
    }

    /// The PromQL spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Cmp::Eq => "==",
            Cmp::Ne => "!=",
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
        }
    }
}

impl ValueSet {
    /// No value at all: an expression that never returns a series.
    pub fn empty() -> ValueSet {
        ValueSet {
            intervals: Vec::new(),
            nan: false,
        }
    }

    /// Every value, `NaN` included: nothing is known.
    pub fn any() -> ValueSet {
        ValueSet {
            intervals: vec![Interval::closed(f64::NEG_INFINITY, f64::INFINITY)],
            nan: true,
        }
    }

    /// One value (`NaN` gives the set holding only `NaN`).
    pub fn point(v: f64) -> ValueSet {
        if v.is_nan() {
            return ValueSet {
                intervals: Vec::new(),
                nan: true,
            };
        }
        ValueSet::of(vec![Interval::point(v)], false)
    }

    /// The values `0` and `1` (`up`, a `bool` comparison).
    pub fn zero_or_one() -> ValueSet {
        ValueSet::of(vec![Interval::point(0.0), Interval::point(1.0)], false)
    }

    /// `[lo, +Inf]`, without `NaN`.
    pub fn at_least(lo: f64) -> ValueSet {
        ValueSet::of(vec![Interval::closed(lo, f64::INFINITY)], false)
    }

    /// `[lo, hi]`, with `NaN` when `nan`.
    pub fn between(lo: f64, hi: f64, nan: bool) -> ValueSet {
        ValueSet::of(vec![Interval::closed(lo, hi)], nan)
    }

    /// The set of `intervals` (in any order, overlapping or empty ones
    /// allowed) and `NaN` when `nan`.
    pub fn of(intervals: Vec<Interval>, nan: bool) -> ValueSet {
        let mut v: Vec<Interval> = intervals.into_iter().filter(|i| !i.is_empty()).collect();
        v.sort_by(|a, b| {
            a.lo.total_cmp(&b.lo)
                .then_with(|| b.lo_closed.cmp(&a.lo_closed))
        });
        let mut out: Vec<Interval> = Vec::with_capacity(v.len());
        for i in v {
            if let Some(last) = out.last_mut() {
                let touches =
                    i.lo < last.hi || (i.lo == last.hi && (i.lo_closed || last.hi_closed));
                if touches {
                    if i.hi > last.hi {
                        last.hi = i.hi;
                        last.hi_closed = i.hi_closed;
                    } else if i.hi == last.hi {
                        last.hi_closed |= i.hi_closed;
                    }
                    continue;
                }
            }
            out.push(i);
        }
        ValueSet {
            intervals: out,
            nan,
        }
    }

    /// The intervals, sorted and disjoint.
    pub fn intervals(&self) -> &[Interval] {
        &self.intervals
    }

    /// True when `v` is in the set.
    pub fn contains(&self, v: f64) -> bool {
        if v.is_nan() {
            return self.nan;
        }
        self.intervals.iter().any(|i| {
            (i.lo < v || (i.lo == v && i.lo_closed)) && (v < i.hi || (v == i.hi && i.hi_closed))
        })
    }

    /// True when no value is in the set.
    pub fn is_empty(&self) -> bool {
        self.intervals.is_empty() && !self.nan
    }

    /// The values in both sets.
    pub fn intersect(&self, o: &ValueSet) -> ValueSet {
        let mut out = Vec::new();
        for a in &self.intervals {
            for b in &o.intervals {
                out.push(a.intersect(b));
            }
        }
        ValueSet::of(out, self.nan && o.nan)
    }

    /// The values in either set.
    pub fn union(&self, o: &ValueSet) -> ValueSet {
        let mut v = self.intervals.clone();
        v.extend(o.intervals.iter().copied());
        ValueSet::of(v, self.nan || o.nan)
    }

    /// True when every value of `self` is in `o`.
    pub fn is_subset(&self, o: &ValueSet) -> bool {
        self.intersect(o) == *self
    }

    /// The values `v` for which `v op c` holds (Go's comparison: `NaN`
    /// passes only `!=`).
    pub fn passing(op: Cmp, c: f64) -> ValueSet {
        let inf = f64::INFINITY;
        if c.is_nan() {
            return if op == Cmp::Ne {
                ValueSet::any()
            } else {
                ValueSet::empty()
            };
        }
        let open = |lo: f64, lo_closed: bool, hi: f64, hi_closed: bool| Interval {
            lo,
            lo_closed,
            hi,
            hi_closed,
        };
        match op {
            Cmp::Eq => ValueSet::point(c),
            Cmp::Ne => ValueSet::of(
                vec![open(-inf, true, c, false), open(c, false, inf, true)],
                true,
            ),
            Cmp::Lt => ValueSet::of(vec![open(-inf, true, c, false)], false),
            Cmp::Le => ValueSet::of(vec![open(-inf, true, c, true)], false),
            Cmp::Gt => ValueSet::of(vec![open(c, false, inf, true)], false),
            Cmp::Ge => ValueSet::of(vec![open(c, true, inf, true)], false),
        }
    }

    /// The values of `self` that pass the filter `v op c`.
    pub fn filter(&self, op: Cmp, c: f64) -> ValueSet {
        self.intersect(&ValueSet::passing(op, c))
    }

    /// The lowest and highest ends, when the set has an interval.
    fn hull(&self) -> Option<(f64, f64)> {
        Some((self.intervals.first()?.lo, self.intervals.last()?.hi))
    }

    /// The closed interval spanning the set (`NaN` kept): what an average
    /// or a quantile of its values can be.
    pub fn hull_set(&self) -> ValueSet {
        match self.hull() {
            Some((lo, hi)) => ValueSet::between(lo, hi, self.nan),
            None => ValueSet {
                intervals: Vec::new(),
                nan: self.nan,
            },
        }
    }

    /// Maps every interval through `f`, monotone increasing (`decreasing`
    /// false) or decreasing; ends become closed (rounding).
    fn map(&self, f: impl Fn(f64) -> f64, decreasing: bool, nan: bool) -> ValueSet {
        let v = self
            .intervals
            .iter()
            .map(|i| {
                // `+ 0.0` turns `-0` into `0` (they compare equal).
                let (a, b) = (f(i.lo) + 0.0, f(i.hi) + 0.0);
                if decreasing {
                    Interval::closed(b, a)
                } else {
                    Interval::closed(a, b)
                }
            })
            .collect();
        ValueSet::of(v, nan)
    }

    /// The values of `v + c`; `None` when `c` is not finite.
    pub fn add(&self, c: f64) -> Option<ValueSet> {
        c.is_finite().then(|| self.map(|v| v + c, false, self.nan))
    }

    /// The values of `v - c`; `None` when `c` is not finite.
    pub fn sub(&self, c: f64) -> Option<ValueSet> {
        c.is_finite().then(|| self.map(|v| v - c, false, self.nan))
    }

    /// The values of `c - v`; `None` when `c` is not finite.
    pub fn sub_from(&self, c: f64) -> Option<ValueSet> {
        c.is_finite().then(|| self.map(|v| c - v, true, self.nan))
    }

    /// The values of `v * c`; `None` when `c` is not finite. `v * 0` is
    /// `0`, or `NaN` for `NaN` and infinite `v`.
    pub fn mul(&self, c: f64) -> Option<ValueSet> {
        if !c.is_finite() {
            return None;
        }
        if c == 0.0 {
            if self.is_empty() {
                return Some(ValueSet::empty());
            }
            let infinite = self.intervals.iter().any(|i| {
                (i.lo == f64::NEG_INFINITY && i.lo_closed) || (i.hi == f64::INFINITY && i.hi_closed)
            });
            let finite = self
                .intervals
                .iter()
                .any(|i| !(i.lo == i.hi && i.lo.is_infinite()));
            let zero = if finite {
                vec![Interval::point(0.0)]
            } else {
                vec![]
            };
            return Some(ValueSet::of(zero, self.nan || infinite));
        }
        Some(self.map(|v| v * c, c < 0.0, self.nan))
    }

    /// The values of `v / c`; `None` when `c` is zero or not finite.
    pub fn div(&self, c: f64) -> Option<ValueSet> {
        (c.is_finite() && c != 0.0).then(|| self.map(|v| v / c, c < 0.0, self.nan))
    }

    /// The values of `-v`.
    pub fn neg(&self) -> ValueSet {
        self.map(|v| -v, true, self.nan)
    }

    /// Words for the set, for messages: `0`, `0 or 1`, `at least 1`,
    /// `above 0`, `below 1`, `between 0 and 1`, `not 0`, `0 or at least 1`,
    /// with `or NaN` when `NaN` is in it and `nothing` for the empty set.
    pub fn describe(&self) -> String {
        let inf = f64::INFINITY;
        let iv = &self.intervals;
        let mut out = if iv.len() == 2
            && iv[0].lo == -inf
            && iv[1].hi == inf
            && iv[0].hi == iv[1].lo
            && !iv[0].hi_closed
            && !iv[1].lo_closed
        {
            format!("not {}", format_v(iv[0].hi))
        } else {
            let words: Vec<String> = iv.iter().map(interval_words).collect();
            words.join(" or ")
        };
        if self.nan {
            if out.is_empty() {
                out = "NaN".into();
            } else {
                out.push_str(" or NaN");
            }
        }
        if out.is_empty() {
            out = "nothing".into();
        }
        out
    }
}

/// Words for one interval: `0`, `at most 4`, `between 0 and 1 (0 excluded)`.
fn interval_words(i: &Interval) -> String {
    let inf = f64::INFINITY;
    if i.lo == i.hi {
        return format_v(i.lo);
    }
    let (lo, hi) = (format_v(i.lo), format_v(i.hi));
    match (i.lo == -inf && i.lo_closed, i.hi == inf && i.hi_closed) {
        (true, true) => "any value".into(),
        (true, false) if i.hi_closed => format!("at most {hi}"),
        (true, false) => format!("below {hi}"),
        (false, true) if i.lo_closed => format!("at least {lo}"),
        (false, true) => format!("above {lo}"),
        (false, false) => {
            let ends = match (i.lo_closed, i.hi_closed) {
                (true, true) => String::new(),
                (false, false) => " (both excluded)".into(),
                (true, false) => format!(" ({hi} excluded)"),
                (false, true) => format!(" ({lo} excluded)"),
            };
            format!("between {lo} and {hi}{ends}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_chain_to_empty() {
        let any = ValueSet::any();
        // x == 0 > 0
        assert!(any.filter(Cmp::Eq, 0.0).filter(Cmp::Gt, 0.0).is_empty());
        // x < 1 > 5
        assert!(any.filter(Cmp::Lt, 1.0).filter(Cmp::Gt, 5.0).is_empty());
        // x <= 4 >= 10
        assert!(any.filter(Cmp::Le, 4.0).filter(Cmp::Ge, 10.0).is_empty());
        // x < 1 >= 1, x > 1 <= 1: open ends
        assert!(any.filter(Cmp::Lt, 1.0).filter(Cmp::Ge, 1.0).is_empty());
        assert!(any.filter(Cmp::Gt, 1.0).filter(Cmp::Le, 1.0).is_empty());
        // ranges that meet are not empty
        assert!(!any.filter(Cmp::Gt, 0.9).filter(Cmp::Lt, 1.0).is_empty());
        assert!(!any.filter(Cmp::Le, 1.0).filter(Cmp::Ge, 1.0).is_empty());
        assert!(!any.filter(Cmp::Lt, 14.0).filter(Cmp::Gt, 7.0).is_empty());
        // x != 0 == 0
        assert!(any.filter(Cmp::Ne, 0.0).filter(Cmp::Eq, 0.0).is_empty());
        // != keeps NaN; x > +Inf never holds
        assert!(any.filter(Cmp::Ne, 1.0).nan);
        assert!(any.filter(Cmp::Gt, f64::INFINITY).is_empty());
        assert!(!any.filter(Cmp::Ge, f64::INFINITY).is_empty());
        assert!(any.filter(Cmp::Eq, f64::NAN).is_empty());
    }

    #[test]
    fn known_sets() {
        let up = ValueSet::zero_or_one();
        assert!(up.filter(Cmp::Gt, 1.0).is_empty());
        assert!(up.filter(Cmp::Eq, 2.0).is_empty());
        assert!(up.filter(Cmp::Gt, 0.5).filter(Cmp::Lt, 1.0).is_empty());
        assert!(!up.filter(Cmp::Ne, 1.0).is_empty());
        let count = ValueSet::at_least(1.0);
        assert!(count.filter(Cmp::Eq, 0.0).is_empty());
        assert!(count.filter(Cmp::Lt, 1.0).is_empty());
        assert!(
            !count
                .union(&ValueSet::point(0.0))
                .filter(Cmp::Lt, 1.0)
                .is_empty()
        );
        assert!(count.is_subset(&ValueSet::passing(Cmp::Ge, 0.0)));
        assert!(!ValueSet::any().is_subset(&ValueSet::passing(Cmp::Ge, 0.0)));
    }

    #[test]
    fn arithmetic() {
        let count = ValueSet::at_least(1.0);
        assert_eq!(count.sub(1.0).unwrap(), ValueSet::at_least(0.0));
        assert!(count.sub(1.0).unwrap().filter(Cmp::Lt, 0.0).is_empty());
        assert_eq!(
            count.mul(-1.0).unwrap().describe(),
            "at most -1",
            "{:?}",
            count.mul(-1.0)
        );
        assert_eq!(
            count.mul(0.0).unwrap(),
            ValueSet::of(vec![Interval::point(0.0)], true)
        );
        assert_eq!(ValueSet::point(1.0).mul(0.0).unwrap(), ValueSet::point(0.0));
        assert_eq!(
            ValueSet::zero_or_one().mul(100.0).unwrap().describe(),
            "0 or 100"
        );
        assert!(count.div(0.0).is_none());
        assert_eq!(
            ValueSet::zero_or_one().sub_from(1.0).unwrap(),
            ValueSet::zero_or_one()
        );
        assert!(ValueSet::empty().add(1.0).unwrap().is_empty());
        assert_eq!(
            ValueSet::any().filter(Cmp::Gt, 0.0).neg().describe(),
            "at most 0"
        );
    }

    #[test]
    fn words() {
        let any = ValueSet::any();
        assert_eq!(any.filter(Cmp::Eq, 0.0).describe(), "0");
        assert_eq!(any.filter(Cmp::Lt, 1.0).describe(), "below 1");
        assert_eq!(any.filter(Cmp::Ge, 0.5).describe(), "at least 0.5");
        assert_eq!(any.filter(Cmp::Ne, 3.0).describe(), "not 3 or NaN");
        assert_eq!(
            any.filter(Cmp::Gt, 0.0).filter(Cmp::Le, 10.0).describe(),
            "between 0 and 10 (0 excluded)"
        );
        assert_eq!(ValueSet::zero_or_one().describe(), "0 or 1");
        assert_eq!(ValueSet::empty().describe(), "nothing");
        assert_eq!(
            ValueSet::at_least(1.0)
                .union(&ValueSet::point(0.0))
                .describe(),
            "0 or at least 1"
        );
    }

    /// Every value that passes a comparison or comes out of arithmetic is
    /// in the computed set (Go's float semantics, brute force).
    #[test]
    fn sound_against_concrete_values() {
        let samples = [
            f64::NEG_INFINITY,
            -1e308,
            -2.0,
            -1.0,
            -0.5,
            -0.0,
            0.0,
            0.1,
            0.5,
            1.0,
            2.0,
            4.0,
            1e308,
            f64::INFINITY,
            f64::NAN,
        ];
        let numbers = [-1.0, 0.0, 0.5, 1.0, 4.0, f64::INFINITY];
        let ops = [Cmp::Eq, Cmp::Ne, Cmp::Lt, Cmp::Le, Cmp::Gt, Cmp::Ge];
        let go = |op: Cmp, v: f64, c: f64| match op {
            Cmp::Eq => v == c,
            Cmp::Ne => v != c,
            Cmp::Lt => v < c,
            Cmp::Le => v <= c,
            Cmp::Gt => v > c,
            Cmp::Ge => v >= c,
        };
        for a in ops {
            for b in ops {
                for &x in &numbers {
                    for &y in &numbers {
                        let set = ValueSet::any().filter(a, x).filter(b, y);
                        for &v in &samples {
                            if go(a, v, x) && go(b, v, y) {
                                assert!(set.contains(v), "{v} {a:?} {x} {b:?} {y}: {set:?}");
                            }
                        }
                        for &k in &numbers {
                            type Map = (Option<ValueSet>, fn(f64, f64) -> f64);
                            let maps: [Map; 5] = [
                                (set.add(k), |v, k| v + k),
                                (set.sub(k), |v, k| v - k),
                                (set.sub_from(k), |v, k| k - v),
                                (set.mul(k), |v, k| v * k),
                                (set.div(k), |v, k| v / k),
                            ];
                            for (mapped, f) in maps {
                                let Some(m) = mapped else { continue };
                                for &v in &samples {
                                    if set.contains(v) {
                                        assert!(m.contains(f(v, k)), "{v} {k}: {set:?} -> {m:?}");
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
