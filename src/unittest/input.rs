//! Input series of a test group, expanded with the engine's series notation
//! and loaded lazily (up to each evaluation time) as promtool's LazyLoader
//! does.

use std::collections::BTreeMap;

use crate::engine::Labels;
use crate::engine::Storage;
use crate::engine::series_desc::{SeqValue, parse_series_line};
use crate::model::unittest::InputSeries;

/// Most input samples held at once by the whole run, all test groups and
/// files together (expanded notation can ask for billions:
/// `0+1x99999999999`); one group asking for more fails. Groups run in
/// parallel and each holds its share ([`Reservation`]) until it ends: a group
/// that does not fit beside the running ones waits for them, so the outcome
/// does not depend on scheduling and memory stays within one budget
/// (about 50 bytes a sample: pending plus stored).
pub const MAX_INPUT_SAMPLES: u64 = 20_000_000;

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

/// A sample waiting to be loaded: `t` in ms since the epoch; `None` is a
/// staleness marker.
#[derive(Debug, Clone, PartialEq)]
struct Pending {
    t: i64,
    v: Option<f64>,
}

/// The input series of a test group, loaded into storage as time advances.
#[derive(Debug, Default)]
pub struct LazyInput {
    /// Per series: samples sorted by time and how many are already loaded.
    series: Vec<(Labels, Vec<Pending>, usize)>,
    /// This group's share of the run's sample budget.
    _budget: Reservation,
}

/// Counts the samples a values string expands to, without expanding it.
fn expanded_len(values: &str) -> u64 {
    let mut n: u64 = 0;
    for tok in values.split_whitespace() {
        let times = tok
            .rfind('x')
            .and_then(|i| tok[i + 1..].parse::<u64>().ok())
            .map(|k| {
                if tok.starts_with("_x") {
                    k
                } else {
                    k.saturating_add(1)
                }
            })
            .unwrap_or(1);
        n = n.saturating_add(times);
    }
    n
}

impl LazyInput {
    /// Expands `input` with samples every `interval_ms` from `start_ms`.
    ///
    /// # Errors
    /// A message naming the series when its notation is invalid, uses native
    /// histograms (not supported yet), or expands to too many samples.
    pub fn new(input: &[InputSeries], start_ms: i64, interval_ms: i64) -> Result<Self, String> {
        let mut by_labels: BTreeMap<Labels, Vec<Pending>> = BTreeMap::new();
        let mut total: u64 = 0;
        let need = input
            .iter()
            .fold(0u64, |n, s| n.saturating_add(expanded_len(&s.values.value)));
        let budget = if need > MAX_INPUT_SAMPLES {
            Reservation::default()
        } else {
            Reservation::take(need)
        };
        for s in input {
            let line = format!("{} {}", s.series.value, s.values.value);
            if s.values.value.contains("{{") || s.series.value.contains("{{") {
                return Err(format!(
                    "input series {:?}: native histogram notation ({{{{...}}}}) is not supported yet",
                    s.series.value
                ));
            }
            total = total.saturating_add(expanded_len(&s.values.value));
            if total > MAX_INPUT_SAMPLES {
                return Err(format!(
                    "input series {:?}: more than {MAX_INPUT_SAMPLES} input samples (the budget of the whole run)",
                    s.series.value
                ));
            }
            let (labels, values) =
                parse_series_line(&line).map_err(|e| format!("load: {line:?}: {e}"))?;
            let mut samples = Vec::with_capacity(values.len());
            for (i, v) in values.iter().enumerate() {
                let t = (i as i64)
                    .checked_mul(interval_ms)
                    .and_then(|d| start_ms.checked_add(d))
                    .ok_or_else(|| {
                        format!("input series {:?}: timestamp overflow", s.series.value)
                    })?;
                match v {
                    SeqValue::Value(x) => samples.push(Pending { t, v: Some(*x) }),
                    SeqValue::Stale => samples.push(Pending { t, v: None }),
                    SeqValue::Omitted => {}
                }
            }
            by_labels.insert(labels, samples);
        }
        Ok(LazyInput {
            series: by_labels.into_iter().map(|(l, s)| (l, s, 0)).collect(),
            _budget: budget,
        })
    }

    /// Loads every sample with `t <= until_ms` not loaded yet.
    pub fn load_until(&mut self, storage: &mut Storage, until_ms: i64) {
        for (labels, samples, done) in &mut self.series {
            while let Some(p) = samples.get(*done) {
                if p.t > until_ms {
                    break;
                }
                match p.v {
                    Some(v) => storage.append(labels, p.t, v),
                    None => storage.append_stale(labels, p.t),
                }
                *done += 1;
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
        let mut li = LazyInput::new(&[input("x", "0.1+0.1x9")], 0, 1000).unwrap_or_default();
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
        let mut li = LazyInput::new(&[input("up", "1 _ stale 2")], 100, 60_000).unwrap_or_default();
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
    fn rejects_histograms_and_huge_expansions() {
        let e = LazyInput::new(&[input("h", "{{sum:1 count:1}}")], 0, 1)
            .err()
            .unwrap_or_default();
        assert!(e.contains("not supported yet"), "{e}");
        let e = LazyInput::new(&[input("h", "0+1x99999999999")], 0, 1)
            .err()
            .unwrap_or_default();
        assert!(e.contains("more than"), "{e}");
        assert!(LazyInput::new(&[input("up{a=\"b\"", "0")], 0, 1).is_err());
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
