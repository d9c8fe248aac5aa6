//! `mlalert backtest`: alerting rules replayed over a Prometheus server's
//! history.
//!
//! For each alerting rule, its expression is evaluated over the range with
//! `query_range` at the group's evaluation interval ([`RangeSource`]), the
//! result of each step is fed to the alert state machine `mlalert test` runs
//! ([`crate::unittest::alerts::AlertingState`], as Prometheus'
//! `rules/alerting.go`: `for`, `keep_firing_for`, resolution), and what it
//! did is kept as one [`replay::Timeline`] per alert (label set): its firing
//! episodes. [`stats::Stats`] summarises a rule's timelines (episodes,
//! firing time, longest episode, flaps); [`notify`] replays the alerts of
//! the whole run through an Alertmanager config's routing tree and
//! inhibit rules to count the notifications they would send; [`report`]
//! prints the table, JSON and Markdown.
//!
//! Times are ms since the epoch, durations ms, as in `unittest`.
//!
//! Bounds: a query asks for at most [`Limits::max_points`] steps (long
//! ranges are split into chunks, each fed to the state machine before the
//! next is asked for, so memory holds one chunk of one rule per worker;
//! fewer steps when the result has many series, [`MAX_CHUNK_POINTS`], and
//! half as many after a failed query, [`MAX_SPLITS`] times); a
//! rule whose result has more than [`Limits::max_series`] series is stopped
//! with an error; the whole run stops at [`Limits::deadline`].

pub mod notify;
pub mod replay;
pub mod report;
pub mod select;
pub mod stats;

use std::time::Instant;

use crate::engine::Matrix;

/// Prometheus' limit on the points of one range query's result per series
/// (`query_range` refuses `(end - start) / step > 11000`).
pub const PROMETHEUS_MAX_POINTS: usize = 11_000;

/// Default for [`Limits::max_series`].
pub const DEFAULT_MAX_SERIES: usize = 2_000;

/// Where range queries are answered: a Prometheus server's
/// `/api/v1/query_range`, or in tests our own engine over a [`crate::engine::Storage`].
pub trait RangeSource: Sync {
    /// Evaluates `expr` at `start_ms`, `start_ms + step_ms`, … up to
    /// `end_ms` (inclusive), as `query_range` does. Returns one series per
    /// label set, points at the steps where it has a value; a scalar result
    /// is one series without labels.
    ///
    /// # Errors
    /// The server's (or engine's) error text.
    fn query_range(
        &self,
        expr: &str,
        start_ms: i64,
        end_ms: i64,
        step_ms: i64,
    ) -> Result<Matrix, String>;
}

/// Our own evaluator as a [`RangeSource`] (unit tests, offline runs).
pub struct EngineSource<'a> {
    /// The engine.
    pub engine: &'a crate::engine::Engine,
    /// The series it reads.
    pub storage: &'a crate::engine::Storage,
}

impl RangeSource for EngineSource<'_> {
    fn query_range(
        &self,
        expr: &str,
        start_ms: i64,
        end_ms: i64,
        step_ms: i64,
    ) -> Result<Matrix, String> {
        let parsed = crate::engine::parse_expr(expr).map_err(|e| e.to_string())?;
        match self
            .engine
            .range_query_expr(self.storage, &parsed, start_ms, end_ms, step_ms)
            .map_err(|e| e.to_string())?
            .value
        {
            crate::engine::Value::Matrix(m) => Ok(m),
            _ => Err("range query did not return a matrix".into()),
        }
    }
}

/// A Prometheus server's `/api/v1/query_range` ([`crate::prometheus::Client`]).
impl RangeSource for crate::prometheus::Client {
    fn query_range(
        &self,
        expr: &str,
        start_ms: i64,
        end_ms: i64,
        step_ms: i64,
    ) -> Result<Matrix, String> {
        let secs = |ms: i64| ms as f64 / 1000.0;
        let step = std::time::Duration::from_millis(u64::try_from(step_ms).unwrap_or(1).max(1));
        let m =
            crate::prometheus::Client::query_range(self, expr, secs(start_ms), secs(end_ms), step)
                .map_err(|e| e.to_string())?;
        Ok(m.into_iter()
            .map(|s| crate::engine::Series {
                labels: crate::engine::Labels::from_pairs(s.labels),
                points: s
                    .values
                    .into_iter()
                    .map(|(t, v)| crate::engine::Point {
                        t: (t * 1000.0).round() as i64,
                        v,
                    })
                    .collect(),
                hpoints: Vec::new(),
                drop_name: false,
            })
            .collect())
    }
}

/// The time range replayed: evaluations at every multiple of a group's
/// interval in `start_ms..=end_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// First instant, ms.
    pub start_ms: i64,
    /// Last instant, ms.
    pub end_ms: i64,
}

/// Budgets of one run.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Steps asked for in one query (at most [`PROMETHEUS_MAX_POINTS`]).
    pub max_points: usize,
    /// Series one rule's result may have in one chunk.
    pub max_series: usize,
    /// When the run gives up (rules not finished get a budget error).
    pub deadline: Option<Instant>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_points: PROMETHEUS_MAX_POINTS,
            max_series: DEFAULT_MAX_SERIES,
            deadline: None,
        }
    }
}

/// Why one rule could not be replayed to the end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BacktestError {
    /// The source refused a query.
    #[error("query_range from {start} to {end}: {message}")]
    Query {
        /// Chunk start, RFC 3339.
        start: String,
        /// Chunk end, RFC 3339.
        end: String,
        /// The source's error.
        message: String,
    },
    /// Too many series.
    #[error(
        "the expression returned {series} series, more than --max-series {max}: narrow it or raise the limit"
    )]
    TooManySeries {
        /// Series returned.
        series: usize,
        /// The limit.
        max: usize,
    },
    /// The run's time budget ran out.
    #[error("the time budget (--timeout) ran out at {at}: the numbers cover the range up to there")]
    Deadline {
        /// How far the rule got, RFC 3339.
        at: String,
    },
}

/// `ms` as RFC 3339 UTC (`2026-12-07T13:00:00Z`).
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| ms.to_string())
}

/// Points one query's answer should hold at most (series × steps): after
/// a chunk, the next asks for fewer steps when its result had many series,
/// so that an answer stays well below the client's 64 MiB body limit and
/// Prometheus' `query.max-samples` (≈ 25 bytes of JSON a point).
pub const MAX_CHUNK_POINTS: usize = 1_000_000;

/// How many times a failed chunk is retried with half the steps (a
/// timeout, too many samples, too large an answer) before the rule fails.
pub const MAX_SPLITS: u32 = 6;

/// The last step of the chunk that starts at `start` with at most `points`
/// steps of `step` and does not pass `last`.
pub fn chunk_end(start: i64, last: i64, step: i64, points: usize) -> i64 {
    let per = i64::try_from(points.max(1)).unwrap_or(i64::MAX);
    start.saturating_add(step.saturating_mul(per - 1)).min(last)
}

/// The chunks a range query over `first..=last` every `step` is split into
/// so that none has more than `max_points` steps: `(start, end)` pairs, both
/// on the step grid, in order, covering every step once.
pub fn chunks(first: i64, last: i64, step: i64, max_points: usize) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    if step <= 0 || last < first {
        return out;
    }
    let mut s = first;
    while s <= last {
        let e = chunk_end(s, last, step, max_points);
        out.push((s, e));
        match e.checked_add(step) {
            Some(n) => s = n,
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_step_once_within_the_point_limit() {
        let step = 30_000;
        let week = 7 * 24 * 3_600_000;
        let c = chunks(0, week, step, PROMETHEUS_MAX_POINTS);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0], (0, 10_999 * step));
        assert_eq!(c[1].0, 11_000 * step);
        assert_eq!(c[1].1, week);
        let points: i64 = c.iter().map(|(s, e)| (e - s) / step + 1).sum();
        assert_eq!(points, week / step + 1);
        assert!(
            c.iter()
                .all(|(s, e)| (e - s) / step < PROMETHEUS_MAX_POINTS as i64)
        );
        assert_eq!(chunks(0, 0, step, 10), vec![(0, 0)]);
        assert!(chunks(10, 0, step, 10).is_empty());
        assert_eq!(chunks(0, 100, 10, 5), vec![(0, 40), (50, 90), (100, 100)]);
    }
}
