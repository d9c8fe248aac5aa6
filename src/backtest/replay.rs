//! One alerting rule replayed over a range: its expression asked for in
//! chunks ([`super::chunks`]), each step's result turned into alerts as
//! Prometheus' `AlertingRule.Eval` does ([`crate::unittest::eval::alert_labels`])
//! and fed to the state machine of `mlalert test`
//! ([`crate::unittest::alerts::AlertingState`]); what the alerts did is kept
//! as [`Timeline`]s.
//!
//! Differences from a live Prometheus, by construction: each step is the
//! range query's value at that instant, which is what the rule's instant
//! query returns at that instant unless the expression reads `ALERTS` /
//! `ALERTS_FOR_STATE` or recording rules that are not in the server's TSDB
//! (they are not evaluated here); the group's `limit` is not applied; a
//! native-histogram result sample counts as the value 0 (Prometheus' `F`).

use std::collections::HashMap;
use std::time::Instant;

use foldhash::{HashSet, HashSetExt};

use crate::engine::{Labels, Series};
use crate::template::{AlertData, Context};
use crate::unittest::alerts::{AlertResult, AlertState, AlertingState, Annotations};
use crate::unittest::compare::labels_pairs;
use crate::unittest::eval::alert_labels;
use crate::unittest::rules::{GroupDef, RuleDef};

use super::{
    BacktestError, Limits, MAX_CHUNK_POINTS, MAX_SPLITS, Range, RangeSource, chunk_end, rfc3339,
};

/// One firing episode of an alert: from the evaluation that made it firing
/// to the one that resolved it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Episode {
    /// When the alert became active (pending), ms.
    pub active_at: i64,
    /// When it started firing, ms.
    pub fired_at: i64,
    /// When it was resolved, ms (`None`: still firing at the end of the range).
    pub resolved_at: Option<i64>,
}

/// What one alert (one label set of a rule) did over the range.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// The alert's labels (`alertname` included).
    pub labels: Labels,
    /// Firing episodes in time order.
    pub episodes: Vec<Episode>,
    /// Times it went pending and was dropped without firing.
    pub pending_only: u64,
}

/// One alerting rule's replay.
#[derive(Debug, Clone)]
pub struct RuleRun {
    /// The rule file (as displayed).
    pub file: String,
    /// 1-based line of the rule.
    pub line: usize,
    /// Group name.
    pub group: String,
    /// Alert name.
    pub name: String,
    /// `for`, ms.
    pub for_ms: i64,
    /// `keep_firing_for`, ms.
    pub keep_firing_for_ms: i64,
    /// The evaluation interval replayed, ms.
    pub interval_ms: i64,
    /// Evaluations replayed.
    pub evaluations: u64,
    /// Evaluations Prometheus would have failed (two results with the same
    /// alert labels): the alerts kept their state.
    pub failed_evaluations: u64,
    /// The most series one step returned.
    pub max_series: usize,
    /// Alerts that were pending or firing at some point, by first appearance.
    pub timelines: Vec<Timeline>,
    /// The last evaluation replayed, ms (the range's end unless `error`).
    pub replayed_to_ms: i64,
    /// Why the replay stopped early.
    pub error: Option<BacktestError>,
}

/// The evaluation instants of a group with interval `interval_ms` inside
/// `range`: the first and last multiple of the interval in it, or `None`
/// when there is none. (Prometheus spreads groups over the interval by a
/// hash of the group; multiples of the interval are one such phase.)
pub fn grid(range: Range, interval_ms: i64) -> Option<(i64, i64)> {
    if interval_ms <= 0 {
        return None;
    }
    let first = range
        .start_ms
        .div_euclid(interval_ms)
        .saturating_add(i64::from(range.start_ms.rem_euclid(interval_ms) != 0))
        .saturating_mul(interval_ms);
    let last = range
        .end_ms
        .div_euclid(interval_ms)
        .saturating_mul(interval_ms);
    (first <= last).then_some((first, last))
}

struct Replayer<'r> {
    rule: &'r RuleDef,
    state: AlertingState,
    index: HashMap<Labels, usize>,
    timelines: Vec<Timeline>,
    open: HashSet<Labels>,
    pending: HashSet<Labels>,
}

impl Replayer<'_> {
    fn timeline(&mut self, labels: &Labels) -> &mut Timeline {
        let i = match self.index.get(labels) {
            Some(&i) => i,
            None => {
                self.timelines.push(Timeline {
                    labels: labels.clone(),
                    episodes: Vec::new(),
                    pending_only: 0,
                });
                self.index.insert(labels.clone(), self.timelines.len() - 1);
                self.timelines.len() - 1
            }
        };
        &mut self.timelines[i]
    }

    /// Applies one evaluation's alerts at `ts`; records what changed.
    fn step(&mut self, ts: i64, results: Vec<AlertResult>) {
        let out = self.state.update(ts, results);
        let mut firing = HashSet::with_capacity(self.open.len());
        let mut pending = HashSet::with_capacity(self.pending.len());
        for a in out {
            match a.state {
                AlertState::Firing => {
                    if a.fired_at == Some(ts) {
                        let e = Episode {
                            active_at: a.active_at,
                            fired_at: ts,
                            resolved_at: None,
                        };
                        self.timeline(&a.labels).episodes.push(e);
                    }
                    firing.insert(a.labels);
                }
                AlertState::Pending => {
                    pending.insert(a.labels);
                }
                AlertState::Inactive => {}
            }
        }
        for l in std::mem::take(&mut self.open) {
            if !firing.contains(&l)
                && let Some(e) = self.timeline(&l).episodes.last_mut()
            {
                e.resolved_at = Some(ts);
            }
        }
        for l in std::mem::take(&mut self.pending) {
            if !pending.contains(&l) && !firing.contains(&l) {
                self.timeline(&l).pending_only += 1;
            }
        }
        self.open = firing;
        self.pending = pending;
    }

    /// The alerts of one step's samples, or `None` when two share labels
    /// (Prometheus fails that evaluation).
    fn results(
        &self,
        ts: i64,
        samples: &[(&Series, f64, Option<&Labels>)],
    ) -> Option<Vec<AlertResult>> {
        let mut out = Vec::with_capacity(samples.len());
        let mut seen = HashSet::with_capacity(samples.len());
        for &(s, value, cached) in samples {
            let labels = match cached {
                Some(l) => l.clone(),
                None => {
                    let data = AlertData {
                        labels: labels_pairs(&s.labels),
                        external_labels: Vec::new(),
                        external_url: String::new(),
                        value,
                    };
                    let ctx = Context {
                        name: format!("__alert_{}", self.rule.name),
                        ts_ms: ts,
                        external_url: String::new(),
                        query: None,
                    };
                    alert_labels(self.rule, &s.labels, &data, &ctx)
                }
            };
            if !seen.insert(labels.clone()) {
                return None;
            }
            out.push(AlertResult {
                labels,
                annotations: Annotations::default(),
                value,
            });
        }
        Some(out)
    }
}

/// Replays alerting rule `rule` of `group` over `range`, evaluated every
/// `interval_ms`, with the series `source` answers. `progress` is told the
/// evaluations done after each chunk.
pub fn replay(
    group: &GroupDef,
    rule: &RuleDef,
    interval_ms: i64,
    range: Range,
    source: &dyn RangeSource,
    limits: &Limits,
    progress: &(dyn Fn(u64) + Sync),
) -> RuleRun {
    let mut run = RuleRun {
        file: group.file.clone(),
        line: rule.line,
        group: group.name.clone(),
        name: rule.name.clone(),
        for_ms: rule.for_ms,
        keep_firing_for_ms: rule.keep_firing_for_ms,
        interval_ms,
        evaluations: 0,
        failed_evaluations: 0,
        max_series: 0,
        timelines: Vec::new(),
        replayed_to_ms: range.start_ms,
        error: None,
    };
    let Some((first, last)) = grid(range, interval_ms) else {
        return run;
    };
    let templated = rule.labels.iter().any(|(_, v)| v.contains("{{"));
    let mut r = Replayer {
        rule,
        state: AlertingState::new(rule.for_ms, rule.keep_firing_for_ms),
        index: HashMap::new(),
        timelines: Vec::new(),
        open: HashSet::new(),
        pending: HashSet::new(),
    };
    let offset = group.query_offset_ms;
    let mut points = limits.max_points.max(1);
    let mut splits = 0;
    let mut cs = first;
    while cs <= last {
        if limits.deadline.is_some_and(|d| Instant::now() >= d) {
            run.error = Some(BacktestError::Deadline { at: rfc3339(cs) });
            break;
        }
        let ce = chunk_end(cs, last, interval_ms, points);
        let matrix = match source.query_range(
            &rule.expr_text,
            cs.saturating_sub(offset),
            ce.saturating_sub(offset),
            interval_ms,
        ) {
            Ok(m) => m,
            Err(_) if splits < MAX_SPLITS && points > 1 => {
                // A timeout, too many samples, too large an answer: ask for less.
                splits += 1;
                let steps = usize::try_from((ce - cs) / interval_ms).unwrap_or(usize::MAX);
                points = steps.saturating_add(1).div_ceil(2);
                continue;
            }
            Err(message) => {
                run.error = Some(BacktestError::Query {
                    start: rfc3339(cs.saturating_sub(offset)),
                    end: rfc3339(ce.saturating_sub(offset)),
                    message,
                });
                break;
            }
        };
        points = points.min((MAX_CHUNK_POINTS / matrix.len().max(1)).max(1));
        if matrix.len() > limits.max_series {
            run.error = Some(BacktestError::TooManySeries {
                series: matrix.len(),
                max: limits.max_series,
            });
            break;
        }
        // Alert labels of a series, when they do not depend on the value.
        let cached: Vec<Option<Labels>> = matrix
            .iter()
            .map(|s| {
                (!templated).then(|| {
                    let mut l = s.labels.without_name();
                    for (k, v) in &rule.labels {
                        l.set(k.as_str(), v.as_str());
                    }
                    l.set("alertname", rule.name.as_str());
                    l
                })
            })
            .collect();
        let mut cursors = vec![0usize; matrix.len()];
        let mut samples = Vec::with_capacity(matrix.len());
        let mut ts = cs;
        while ts <= ce {
            let t = ts.saturating_sub(offset);
            samples.clear();
            for (i, s) in matrix.iter().enumerate() {
                let c = &mut cursors[i];
                while *c < s.points.len() && s.points[*c].t < t {
                    *c += 1;
                }
                if let Some(p) = s.points.get(*c).filter(|p| p.t == t) {
                    samples.push((s, p.v, cached[i].as_ref()));
                } else if s.hpoints.iter().any(|h| h.t == t) {
                    samples.push((s, 0.0, cached[i].as_ref()));
                }
            }
            run.max_series = run.max_series.max(samples.len());
            match r.results(ts, &samples) {
                Some(results) => r.step(ts, results),
                None => run.failed_evaluations += 1,
            }
            run.evaluations += 1;
            run.replayed_to_ms = ts;
            match ts.checked_add(interval_ms) {
                Some(n) => ts = n,
                None => break,
            }
        }
        progress(run.evaluations);
        match ce.checked_add(interval_ms) {
            Some(n) => cs = n,
            None => break,
        }
    }
    run.timelines = r.timelines;
    run
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Engine, Storage};

    const M: i64 = 60_000;

    /// A group holding one alerting rule `expr` with `for`.
    pub(crate) fn group(expr: &str, for_ms: i64, keep_ms: i64) -> GroupDef {
        let ast = crate::engine::parse_expr(expr).expect("expr");
        GroupDef {
            file: "r.yaml".into(),
            name: "g".into(),
            interval_ms: Some(M),
            query_offset_ms: 0,
            limit: 0,
            rules: vec![RuleDef {
                kind: crate::model::rules::RuleKind::Alerting,
                name: "Hot".into(),
                expr: std::sync::Arc::new(ast),
                expr_text: expr.into(),
                for_ms,
                keep_firing_for_ms: keep_ms,
                labels: vec![("severity".into(), "page".into())],
                annotations: Vec::new(),
                line: 3,
            }],
        }
    }

    /// `temp{gpu}` sampled every minute from 0 with `values`.
    fn storage(series: &[(&str, &[f64])]) -> Storage {
        let mut st = Storage::new();
        for (gpu, values) in series {
            let l = Labels::from_pairs([("__name__", "temp"), ("gpu", *gpu)]);
            for (i, v) in values.iter().enumerate() {
                st.append(&l, i as i64 * M, *v);
            }
        }
        st
    }

    fn run(st: &Storage, g: &GroupDef, end: i64, limits: Limits) -> RuleRun {
        let engine = Engine::default();
        let src = super::super::EngineSource {
            engine: &engine,
            storage: st,
        };
        replay(
            g,
            &g.rules[0],
            M,
            Range {
                start_ms: 0,
                end_ms: end,
            },
            &src,
            &limits,
            &|_| {},
        )
    }

    #[test]
    fn episodes_follow_for_and_resolution() {
        // Above 80 at minutes 1..=4 and 7..=7; `for: 2m` fires at 3, resolves at 5.
        let v = [0.0, 90.0, 90.0, 90.0, 90.0, 0.0, 0.0, 90.0, 0.0, 0.0];
        let st = storage(&[("0", &v)]);
        let g = group("temp > 80", 2 * M, 0);
        let r = run(&st, &g, 9 * M, Limits::default());
        assert_eq!(r.evaluations, 10);
        assert_eq!(r.timelines.len(), 1);
        let t = &r.timelines[0];
        assert_eq!(t.labels.get("alertname"), Some("Hot"));
        assert_eq!(t.labels.get("severity"), Some("page"));
        assert_eq!(t.labels.get("__name__"), None);
        assert_eq!(
            t.episodes,
            vec![Episode {
                active_at: M,
                fired_at: 3 * M,
                resolved_at: Some(5 * M),
            }]
        );
        assert_eq!(t.pending_only, 1, "the spike at minute 7 never fired");
    }

    #[test]
    fn chunking_does_not_change_the_result() {
        let v: Vec<f64> = (0..200)
            .map(|i| if (i / 7) % 3 == 0 { 90.0 } else { 0.0 })
            .collect();
        let st = storage(&[("0", &v), ("1", &v[3..])]);
        let g = group("temp > 80", 2 * M, 3 * M);
        let whole = run(&st, &g, 199 * M, Limits::default());
        let small = run(
            &st,
            &g,
            199 * M,
            Limits {
                max_points: 7,
                ..Limits::default()
            },
        );
        assert!(whole.timelines[0].episodes.len() > 5);
        assert_eq!(whole.timelines, small.timelines);
        assert_eq!(whole.evaluations, small.evaluations);
    }

    /// Refuses queries of more than 10 steps, as a server's sample limit would.
    struct Picky<'a>(
        super::super::EngineSource<'a>,
        std::sync::atomic::AtomicUsize,
    );

    impl RangeSource for Picky<'_> {
        fn query_range(
            &self,
            e: &str,
            s: i64,
            end: i64,
            step: i64,
        ) -> Result<crate::engine::Matrix, String> {
            self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if (end - s) / step + 1 > 10 {
                return Err("query processing would load too many samples into memory".into());
            }
            self.0.query_range(e, s, end, step)
        }
    }

    /// Refuses every query.
    struct Failing<'a>(&'a std::sync::atomic::AtomicUsize);

    impl RangeSource for Failing<'_> {
        fn query_range(
            &self,
            _: &str,
            _: i64,
            _: i64,
            _: i64,
        ) -> Result<crate::engine::Matrix, String> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Err("timeout".into())
        }
    }

    #[test]
    fn a_failed_chunk_is_retried_with_fewer_steps() {
        let v: Vec<f64> = (0..100)
            .map(|i| if (i / 5) % 2 == 0 { 90.0 } else { 0.0 })
            .collect();
        let st = storage(&[("0", &v)]);
        let g = group("temp > 80", 0, 0);
        let engine = Engine::default();
        let src = Picky(
            super::super::EngineSource {
                engine: &engine,
                storage: &st,
            },
            Default::default(),
        );
        let range = Range {
            start_ms: 0,
            end_ms: 99 * M,
        };
        let r = replay(&g, &g.rules[0], M, range, &src, &Limits::default(), &|_| {});
        assert_eq!(r.error, None);
        assert_eq!(r.evaluations, 100);
        assert_eq!(
            r.timelines,
            run(&st, &g, 99 * M, Limits::default()).timelines
        );
        // 40 and 20 steps fail, then ten chunks of 10.
        let few = Limits {
            max_points: 40,
            ..Limits::default()
        };
        let src2 = Picky(
            super::super::EngineSource {
                engine: &engine,
                storage: &st,
            },
            Default::default(),
        );
        let r2 = replay(&g, &g.rules[0], M, range, &src2, &few, &|_| {});
        assert_eq!(r2.error, None);
        assert_eq!(src2.1.load(std::sync::atomic::Ordering::Relaxed), 2 + 10);
        // A source that always fails: the first query and MAX_SPLITS retries.
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let r3 = replay(
            &g,
            &g.rules[0],
            M,
            range,
            &Failing(&calls),
            &Limits::default(),
            &|_| {},
        );
        assert!(
            matches!(r3.error, Some(BacktestError::Query { .. })),
            "{:?}",
            r3.error
        );
        assert_eq!(r3.evaluations, 0);
        assert_eq!(calls.into_inner(), MAX_SPLITS as usize + 1);
    }

    #[test]
    fn keep_firing_for_extends_an_episode() {
        let v = [90.0, 90.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        let st = storage(&[("0", &v)]);
        let g = group("temp > 80", 0, 2 * M);
        let r = run(&st, &g, 6 * M, Limits::default());
        let e = r.timelines[0].episodes[0];
        assert_eq!((e.fired_at, e.resolved_at), (0, Some(4 * M)));
    }

    #[test]
    fn an_episode_still_firing_at_the_end_stays_open() {
        let v = [90.0; 5];
        let st = storage(&[("0", &v)]);
        let r = run(&st, &group("temp > 80", 0, 0), 4 * M, Limits::default());
        assert_eq!(r.timelines[0].episodes[0].resolved_at, None);
    }

    #[test]
    fn too_many_series_is_an_error() {
        let v = [90.0; 3];
        let st = storage(&[("0", &v), ("1", &v), ("2", &v)]);
        let r = run(
            &st,
            &group("temp > 80", 0, 0),
            2 * M,
            Limits {
                max_series: 2,
                ..Limits::default()
            },
        );
        assert_eq!(
            r.error,
            Some(BacktestError::TooManySeries { series: 3, max: 2 })
        );
    }

    #[test]
    fn a_past_deadline_stops_before_the_first_query() {
        let st = storage(&[("0", &[90.0; 3])]);
        let r = run(
            &st,
            &group("temp > 80", 0, 0),
            2 * M,
            Limits {
                deadline: Some(Instant::now()),
                ..Limits::default()
            },
        );
        assert!(matches!(r.error, Some(BacktestError::Deadline { .. })));
        assert_eq!(r.evaluations, 0);
    }

    #[test]
    fn duplicate_alert_labels_fail_the_evaluation() {
        // Two series that share their alert labels once __name__ is gone.
        let mut st = Storage::new();
        st.append(&Labels::from_pairs([("__name__", "a"), ("x", "1")]), 0, 1.0);
        st.append(&Labels::from_pairs([("__name__", "b"), ("x", "1")]), 0, 1.0);
        let r = run(
            &st,
            &group(r#"{__name__=~"a|b"}"#, 0, 0),
            0,
            Limits::default(),
        );
        assert_eq!(r.error, None);
        assert_eq!(r.failed_evaluations, 1);
        assert!(r.timelines.is_empty());
    }

    #[test]
    fn grid_takes_the_interval_multiples_inside_the_range() {
        let r = |s, e| Range {
            start_ms: s,
            end_ms: e,
        };
        assert_eq!(grid(r(1, 3 * M), M), Some((M, 3 * M)));
        assert_eq!(grid(r(0, M - 1), M), Some((0, 0)));
        assert_eq!(grid(r(1, M - 1), M), None);
        assert_eq!(grid(r(0, M), 0), None);
    }
}
