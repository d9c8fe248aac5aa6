//! The numbers reported per alerting rule, from its [`Timeline`]s.

use super::replay::{RuleRun, Timeline};

/// What one alerting rule did over the range. Durations in ms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// Alerts (label sets) that fired at least once.
    pub alerts: u64,
    /// Firing episodes, over every alert of the rule.
    pub episodes: u64,
    /// Sum of the episodes' firing time (an episode still firing at the end
    /// counts up to the end of the range).
    pub firing_ms: i64,
    /// The longest episode.
    pub longest_ms: i64,
    /// Episodes whose condition came back (the alert went pending or
    /// firing again) within the flap window after the same alert's previous
    /// episode was resolved: a `keep_firing_for` of that window would have
    /// merged the two.
    pub flaps: u64,
    /// Times an alert went pending and was dropped without firing (what
    /// `for` held back).
    pub pending_only: u64,
}

/// The flap window of a rule: its `for`, and at least one evaluation
/// interval (with `for: 0` an alert that resolves and fires again at the
/// next evaluation is the flap). With `for: 10m`, a condition that comes
/// back within 10 minutes of a resolution and then fires again is a flap.
pub fn flap_window(run: &RuleRun) -> i64 {
    run.for_ms.max(run.interval_ms)
}

impl Stats {
    /// The numbers of `run`, episodes open at the end counting up to `end_ms`;
    /// an episode that went active within `flap_ms` of the previous
    /// resolution is a flap.
    pub fn of(run: &RuleRun, end_ms: i64, flap_ms: i64) -> Stats {
        let mut s = Stats::default();
        for t in &run.timelines {
            s.add(t, end_ms, flap_ms);
        }
        s
    }

    fn add(&mut self, t: &Timeline, end_ms: i64, flap_ms: i64) {
        if !t.episodes.is_empty() {
            self.alerts += 1;
        }
        self.pending_only += t.pending_only;
        let mut prev_end: Option<i64> = None;
        for e in &t.episodes {
            self.episodes += 1;
            let d = e
                .resolved_at
                .unwrap_or(end_ms)
                .saturating_sub(e.fired_at)
                .max(0);
            self.firing_ms = self.firing_ms.saturating_add(d);
            self.longest_ms = self.longest_ms.max(d);
            if prev_end.is_some_and(|r| e.active_at.saturating_sub(r) <= flap_ms) {
                self.flaps += 1;
            }
            prev_end = e.resolved_at;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backtest::replay::Episode;
    use crate::engine::Labels;

    const M: i64 = 60_000;

    fn ep(f: i64, r: Option<i64>) -> Episode {
        Episode {
            active_at: f,
            fired_at: f,
            resolved_at: r,
        }
    }

    fn run(timelines: Vec<Timeline>) -> RuleRun {
        RuleRun {
            file: String::new(),
            line: 1,
            group: "g".into(),
            name: "A".into(),
            for_ms: 5 * M,
            keep_firing_for_ms: 0,
            interval_ms: M,
            evaluations: 0,
            failed_evaluations: 0,
            max_series: 0,
            timelines,
            replayed_to_ms: 0,
            error: None,
        }
    }

    #[test]
    fn counts_episodes_time_longest_and_flaps() {
        let a = Timeline {
            labels: Labels::from_pairs([("i", "a")]),
            // 10m, then re-fired 3m later (flap), 2m, then 60m later 1m.
            episodes: vec![
                ep(0, Some(10 * M)),
                ep(13 * M, Some(15 * M)),
                ep(75 * M, Some(76 * M)),
            ],
            pending_only: 2,
        };
        let b = Timeline {
            labels: Labels::from_pairs([("i", "b")]),
            episodes: vec![ep(90 * M, None)],
            pending_only: 0,
        };
        let idle = Timeline {
            labels: Labels::from_pairs([("i", "c")]),
            episodes: vec![],
            pending_only: 4,
        };
        let r = run(vec![a, b, idle]);
        let s = Stats::of(&r, 100 * M, flap_window(&r));
        assert_eq!(
            s,
            Stats {
                alerts: 2,
                episodes: 4,
                firing_ms: 10 * M + 2 * M + M + 10 * M,
                longest_ms: 10 * M,
                flaps: 1,
                pending_only: 6,
            }
        );
    }

    #[test]
    fn flap_window_is_at_least_one_interval() {
        let mut r = run(vec![]);
        r.for_ms = 0;
        assert_eq!(flap_window(&r), M);
    }
}
