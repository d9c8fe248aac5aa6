//! Input series of a test group, read with the engine's series notation as
//! runs (`a+bxN` is one run whatever N) and loaded lazily, up to each
//! evaluation time, as promtool's LazyLoader does: a series of ten million
//! samples costs a few bytes until its samples are due.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::engine::Labels;
use crate::engine::Storage;
use crate::engine::native::FloatHistogram;
use crate::engine::series_desc::{Run, SeqValue, parse_series_runs};
use crate::model::unittest::InputSeries;

/// Most input samples loaded at once by the whole run, all test groups and
/// files together: 1 GiB of stored samples (16 bytes each, twice that while
/// a series' storage grows). Only samples up to a group's last `eval_time`
/// are ever loaded and counted; a group that would load more fails. Groups
/// run in parallel and each holds its share ([`Reservation`]) until it
/// ends: a group that does not fit beside the running ones waits for them,
/// so the outcome does not depend on scheduling and memory stays within
/// one budget.
pub const MAX_INPUT_SAMPLES: u64 = (1 << 30) / 32;

static IN_USE: std::sync::Mutex<u64> = std::sync::Mutex::new(0);
static RELEASED: std::sync::Condvar = std::sync::Condvar::new();

/// A share of [`MAX_INPUT_SAMPLES`], given back when dropped.
#[derive(Debug, Default)]
pub struct Reservation(u64);

impl Reservation {
    /// Waits until `n` samples (at most [`MAX_INPUT_SAMPLES`]) fit in the
    /// run's budget beside the groups running, then holds them.
    fn take(n: u64) -> Reservation {
        let n = n.min(MAX_INPUT_SAMPLES);
        let mut used = IN_USE
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while *used + n > MAX_INPUT_SAMPLES {
            used = RELEASED
                .wait(used)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        *used += n;
        Reservation(n)
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.0 == 0 {
            return;
        }
        let mut used = IN_USE
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *used = used.saturating_sub(self.0);
        RELEASED.notify_all();
    }
}

/// One input series being loaded: its runs and where loading stands.
#[derive(Debug)]
struct Cursor {
    labels: Labels,
    runs: Vec<Run>,
    /// The run being read and how many of its values were read.
    run: usize,
    in_run: u64,
    /// The next value of a value run (accumulated as Prometheus does).
    value: f64,
    /// The next value of a histogram run.
    hist: Option<Arc<FloatHistogram>>,
    /// Index of the next time step (0 is the group's start).
    step: u64,
}

impl Cursor {
    fn new(labels: Labels, runs: Vec<Run>) -> Cursor {
        let mut c = Cursor {
            labels,
            runs,
            run: 0,
            in_run: 0,
            value: 0.0,
            hist: None,
            step: 0,
        };
        c.enter_run();
        c
    }

    fn enter_run(&mut self) {
        match self.runs.get(self.run).map(|r| &r.first) {
            Some(SeqValue::Value(v)) => self.value = *v,
            Some(SeqValue::Histogram(h)) => self.hist = Some(h.clone()),
            _ => {}
        }
    }

    /// The next value and advances; `None` after the last.
    fn next(&mut self) -> Option<SeqValue> {
        let r = self.runs.get(self.run)?;
        let count = r.count;
        let out = match &r.first {
            SeqValue::Value(_) => {
                let v = self.value;
                self.value += r.step;
                SeqValue::Value(v)
            }
            SeqValue::Histogram(first) => {
                let cur = self.hist.get_or_insert_with(|| first.clone()).clone();
                if let Some(step) = &r.hstep {
                    let mut next = (*cur).clone();
                    // Layouts were checked when the run was read.
                    let _ = next.add(step);
                    self.hist = Some(Arc::new(next));
                }
                SeqValue::Histogram(cur)
            }
            other => other.clone(),
        };
        self.in_run += 1;
        self.step += 1;
        if self.in_run >= count {
            self.run += 1;
            self.in_run = 0;
            self.enter_run();
        }
        Some(out)
    }

    /// Skips the rest of an omitted run at once (`_x1000000`).
    fn skip_omitted(&mut self) {
        if let Some(r) = self.runs.get(self.run)
            && r.first == SeqValue::Omitted
        {
            self.step = self.step.saturating_add(r.count - self.in_run);
            self.run += 1;
            self.in_run = 0;
            self.enter_run();
        }
    }
}

/// The input series of a test group, loaded into storage as time advances.
#[derive(Debug, Default)]
pub struct LazyInput {
    /// Per series, in label order.
    series: Vec<Cursor>,
    start_ms: i64,
    interval_ms: i64,
    /// This group's share of the run's sample budget.
    _budget: Reservation,
}

/// What one value of `r` costs in float samples (16 bytes each): 0 for
/// omitted steps, 1 for a float or staleness marker, a histogram's size
/// (its buckets and custom bounds) for a histogram.
fn sample_weight(r: &Run) -> u64 {
    match &r.first {
        SeqValue::Omitted => 0,
        SeqValue::Histogram(h) => {
            let step = r.hstep.as_deref();
            let buckets = h.positive.len() + h.negative.len();
            let buckets = buckets.max(step.map_or(0, |s| s.positive.len() + s.negative.len()));
            let bytes =
                std::mem::size_of::<FloatHistogram>() + 12 * buckets + 8 * h.custom_values.len();
            u64::try_from(bytes / 16 + 1).unwrap_or(u64::MAX)
        }
        _ => 1,
    }
}

/// What the values of `runs` on the first `steps` time steps cost, in
/// float samples (see [`sample_weight`]).
fn samples_within(runs: &[Run], steps: u64) -> u64 {
    let mut left = steps;
    let mut n: u64 = 0;
    for r in runs {
        if left == 0 {
            break;
        }
        let take = r.count.min(left);
        n = n.saturating_add(take.saturating_mul(sample_weight(r)));
        left -= take;
    }
    n
}

impl LazyInput {
    /// Reads `input` as samples every `interval_ms` from `start_ms`, of which
    /// those up to `until_ms` (the group's last evaluation) will be loaded.
    /// Of several series with the same labels the last one is kept.
    ///
    /// # Errors
    /// A message naming the series when its notation is invalid, has a timestamp past Go's `int64`
    /// milliseconds, or when the group would load more than
    /// [`MAX_INPUT_SAMPLES`] samples up to `until_ms`.
    pub fn new(
        input: &[InputSeries],
        start_ms: i64,
        interval_ms: i64,
        until_ms: i64,
    ) -> Result<Self, String> {
        let interval_ms = interval_ms.max(1);
        // Time steps at or before `until_ms`.
        let steps = if until_ms < start_ms {
            0
        } else {
            u64::try_from((until_ms - start_ms) / interval_ms)
                .unwrap_or(u64::MAX)
                .saturating_add(1)
        };
        let mut by_labels: BTreeMap<Labels, Vec<Run>> = BTreeMap::new();
        for s in input {
            let line = format!("{} {}", s.series.value, s.values.value);
            let (labels, runs) =
                parse_series_runs(&line).map_err(|e| format!("load: {line:?}: {e}"))?;
            let len = runs.iter().fold(0u64, |n, r| n.saturating_add(r.count));
            let last = len.saturating_sub(1);
            let overflows = i64::try_from(last)
                .ok()
                .and_then(|i| i.checked_mul(interval_ms))
                .and_then(|d| start_ms.checked_add(d))
                .is_none();
            if overflows {
                return Err(format!(
                    "input series {:?}: timestamp overflow",
                    s.series.value
                ));
            }
            by_labels.insert(labels, runs);
        }
        let mut need: u64 = 0;
        for (labels, runs) in &by_labels {
            need = need.saturating_add(samples_within(runs, steps));
            if need > MAX_INPUT_SAMPLES {
                return Err(format!(
                    "input series {:?}: the test group would load more than {MAX_INPUT_SAMPLES} input samples up to its last eval_time (1 GiB, the budget of the whole run)",
                    labels.to_string()
                ));
            }
        }
        Ok(LazyInput {
            series: by_labels
                .into_iter()
                .map(|(l, r)| Cursor::new(l, r))
                .collect(),
            start_ms,
            interval_ms,
            _budget: Reservation::take(need),
        })
    }

    /// Loads every sample with `t <= until_ms` not loaded yet.
    pub fn load_until(&mut self, storage: &mut Storage, until_ms: i64) {
        for c in &mut self.series {
            loop {
                c.skip_omitted();
                // The step's time; past i64 (checked in `new` for real
                // steps) means past any `until_ms`.
                let t = i64::try_from(c.step)
                    .ok()
                    .and_then(|i| i.checked_mul(self.interval_ms))
                    .and_then(|d| self.start_ms.checked_add(d));
                match t {
                    Some(t) if t <= until_ms => {}
                    _ => break,
                }
                let Some(t) = t else { break };
                match c.next() {
                    Some(SeqValue::Value(v)) => storage.append(&c.labels, t, v),
                    Some(SeqValue::Histogram(h)) => storage.append_histogram(&c.labels, t, h),
                    Some(SeqValue::Stale) => storage.append_stale(&c.labels, t),
                    Some(SeqValue::Omitted) => {}
                    None => break,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Text;
    use crate::source::{Span, TextMap};

    fn text(s: &str) -> Text {
        Text {
            value: s.into(),
            span: Span::point(0),
            map: TextMap::Point(0),
        }
    }

    fn input(series: &str, values: &str) -> InputSeries {
        InputSeries {
            series: text(series),
            values: text(values),
            span: Span::point(0),
        }
    }

    #[test]
    fn point_one_steps_end_like_prometheus() {
        // 0.1+0.1x9 accumulates: the tenth value is 0.9999999999999999, not 1.
        let mut li =
            LazyInput::new(&[input("x", "0.1+0.1x9")], 0, 1000, i64::MAX).unwrap_or_default();
        let mut st = Storage::new();
        li.load_until(&mut st, i64::MAX);
        let s = st
            .all()
            .next()
            .map(|s| s.points.clone())
            .unwrap_or_default();
        assert_eq!(s.len(), 10);
        assert_eq!(s[9].v, 0.9999999999999999);
        assert_eq!(s[9].t, 9000);
    }

    #[test]
    fn lazy_loading_and_markers() {
        let mut li = LazyInput::new(&[input("up", "1 _ stale 2")], 100, 60_000, i64::MAX)
            .unwrap_or_default();
        let mut st = Storage::new();
        li.load_until(&mut st, 100);
        assert_eq!(st.all().next().map(|s| s.points.len()), Some(1));
        li.load_until(&mut st, 200_000);
        let pts = st
            .all()
            .next()
            .map(|s| s.points.clone())
            .unwrap_or_default();
        assert_eq!(pts.len(), 3);
        assert!(crate::engine::is_stale_nan(pts[1].v));
        assert_eq!(pts[2].t, 100 + 3 * 60_000);
    }

    #[test]
    fn loads_histograms_and_rejects_huge_expansions() {
        let li = LazyInput::new(
            &[input("h", "{{sum:1 count:1}}+{{sum:2 count:2}}x2")],
            0,
            60_000,
            i64::MAX,
        );
        let Ok(mut li) = li else {
            panic!("histogram input rejected")
        };
        let mut st = Storage::new();
        li.load_until(&mut st, i64::MAX);
        let counts: Vec<f64> = st
            .all()
            .next()
            .map(|s| s.hpoints.iter().map(|p| p.h.count).collect())
            .unwrap_or_default();
        assert_eq!(counts, vec![1.0, 3.0, 5.0]);
        let e = LazyInput::new(&[input("h", "0+1x99999999999")], 0, 1, i64::MAX)
            .err()
            .unwrap_or_default();
        assert!(e.contains("more than"), "{e}");
        assert!(LazyInput::new(&[input("up{a=\"b\"", "0")], 0, 1, i64::MAX).is_err());
    }
}

#[cfg(test)]
mod budget_tests {
    use super::*;

    #[test]
    fn a_group_waits_for_room_in_the_run_budget() {
        let all = Reservation::take(MAX_INPUT_SAMPLES);
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn(move || {
            let r = Reservation::take(10);
            tx.send(()).unwrap();
            drop(r);
        });
        // No room while the whole budget is held.
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(200))
                .is_err()
        );
        drop(all);
        assert!(rx.recv_timeout(std::time::Duration::from_secs(10)).is_ok());
        waiter.join().unwrap();
    }
}
