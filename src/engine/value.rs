//! Query result types.

use std::borrow::Cow;
use std::sync::Arc;

use super::labels::Labels;
use super::native::FloatHistogram;

/// A float sample at `t` (ms).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Timestamp in milliseconds.
    pub t: i64,
    /// Value.
    pub v: f64,
}

/// A native histogram sample at `t` (ms); shared, since selectors and
/// windows hand the stored histogram on without copying it.
#[derive(Debug, Clone, PartialEq)]
pub struct HPoint {
    /// Timestamp in milliseconds.
    pub t: i64,
    /// The histogram.
    pub h: Arc<FloatHistogram>,
}

/// A sample's start timestamp (ms): when the counter behind the sample at
/// `t` started counting (OpenTelemetry's start time, Prometheus' created
/// timestamp). Storage keeps one only for samples that have one (Prometheus'
/// `ST` 0, "unknown", is never stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartTs {
    /// Timestamp of the sample, ms.
    pub t: i64,
    /// Its start timestamp, ms (never 0).
    pub st: i64,
}

/// The start timestamp of the sample at `t` among `sts` (sorted by `t`),
/// 0 when it has none (Prometheus' "no start timestamp").
pub fn start_timestamp_at(sts: &[StartTs], t: i64) -> i64 {
    match sts.binary_search_by(|x| x.t.cmp(&t)) {
        Ok(i) => sts[i].st,
        Err(_) => 0,
    }
}

/// The start timestamps of samples at `times` (ascending), aligned with
/// them (0 for none), as Prometheus hands them to functions
/// (`EvalNodeHelper.StartTimestamps`); empty when `sts` is.
pub fn aligned_start_timestamps(times: impl Iterator<Item = i64>, sts: &[StartTs]) -> Vec<i64> {
    if sts.is_empty() {
        return Vec::new();
    }
    let mut j = 0;
    times
        .map(|t| {
            while j < sts.len() && sts[j].t < t {
                j += 1;
            }
            match sts.get(j) {
                Some(x) if x.t == t => x.st,
                _ => 0,
            }
        })
        .collect()
}

/// One element of an instant vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Labels of the series.
    pub labels: Labels,
    /// Timestamp in milliseconds (the evaluation time, except for raw selector output
    /// consumed by `timestamp()`).
    pub t: i64,
    /// Value (0 when the sample is a histogram).
    pub v: f64,
    /// The native histogram, when the sample is one (`v` is then unused).
    pub h: Option<Arc<FloatHistogram>>,
    /// Set when the metric name must be removed at the end of the query
    /// (Prometheus' delayed name removal).
    pub drop_name: bool,
}

impl Sample {
    /// A float sample.
    pub fn float(labels: Labels, t: i64, v: f64, drop_name: bool) -> Sample {
        Sample {
            labels,
            t,
            v,
            h: None,
            drop_name,
        }
    }
}

/// An instant vector.
pub type InstantVector = Vec<Sample>;

/// One series of a range vector / matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Labels of the series.
    pub labels: Labels,
    /// Float points sorted by timestamp.
    pub points: Vec<Point>,
    /// Histogram points sorted by timestamp.
    pub hpoints: Vec<HPoint>,
    /// As [`Sample::drop_name`].
    pub drop_name: bool,
}

/// A range vector (or a range query result).
pub type Matrix = Vec<Series>;

/// One series of a range vector as a range function reads it: labels and
/// points borrowed from storage where possible ([`Series`] owns both).
#[derive(Debug, Clone, PartialEq)]
pub struct Window<'a> {
    /// Labels of the series.
    pub labels: Cow<'a, Labels>,
    /// Float points sorted by timestamp, staleness markers removed.
    pub points: Cow<'a, [Point]>,
    /// Histogram points sorted by timestamp.
    pub hpoints: Cow<'a, [HPoint]>,
    /// As [`Sample::drop_name`].
    pub drop_name: bool,
    /// Where `points` come from in storage: the series' uid and the index
    /// range of its stored points (staleness markers included) that the
    /// window covers; `None` for windows a subquery built. See
    /// [`super::storage::Storage::memo_window`].
    pub source: Option<(u64, usize, usize)>,
    /// Start timestamps of the window's samples (floats and histograms),
    /// sorted by time; empty when they are not used (no
    /// [`super::eval::Engine::use_start_timestamps`], a subquery, an
    /// anchored or smoothed selector) or the samples have none.
    pub sts: &'a [StartTs],
}

impl Window<'_> {
    /// The window as an owned [`Series`].
    pub fn into_series(self) -> Series {
        Series {
            labels: self.labels.into_owned(),
            points: self.points.into_owned(),
            hpoints: self.hpoints.into_owned(),
            drop_name: self.drop_name,
        }
    }

    /// The start timestamps of [`Window::points`], aligned with them (0 for
    /// none); empty when the window has none.
    pub fn float_start_timestamps(&self) -> Vec<i64> {
        aligned_start_timestamps(self.points.iter().map(|p| p.t), self.sts)
    }

    /// The start timestamps of [`Window::hpoints`], aligned with them.
    pub fn histogram_start_timestamps(&self) -> Vec<i64> {
        aligned_start_timestamps(self.hpoints.iter().map(|p| p.t), self.sts)
    }
}

impl From<Series> for Window<'static> {
    fn from(s: Series) -> Self {
        Window {
            labels: Cow::Owned(s.labels),
            points: Cow::Owned(s.points),
            hpoints: Cow::Owned(s.hpoints),
            drop_name: s.drop_name,
            source: None,
            sts: &[],
        }
    }
}

/// A PromQL value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A scalar at the evaluation time.
    Scalar(f64),
    /// A string literal.
    String(String),
    /// An instant vector.
    Vector(InstantVector),
    /// A range vector (instant query) or the result of a range query.
    Matrix(Matrix),
}

impl Value {
    /// The PromQL type name used in error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Scalar(_) => "scalar",
            Value::String(_) => "string",
            Value::Vector(_) => "vector",
            Value::Matrix(_) => "matrix",
        }
    }
}
