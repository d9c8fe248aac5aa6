//! The alert state machine of one alerting rule, as Prometheus'
//! `rules.AlertingRule.Eval` runs it: pending → firing after `for`,
//! `keep_firing_for`, resolution, and the 15-minute retention of resolved
//! alerts. Times are ms since the epoch; durations ms.

use std::sync::Arc;

use foldhash::{HashMap, HashSet, HashSetExt};

use crate::engine::Labels;

/// How long a resolved alert is kept (Prometheus' `resolvedRetention`), ms.
pub const RESOLVED_RETENTION_MS: i64 = 15 * 60 * 1000;

/// An alert's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlertState {
    /// Resolved (kept for a while, never reported).
    Inactive,
    /// Active for less than `for`.
    Pending,
    /// Active for `for` or more, or kept firing by `keep_firing_for`.
    Firing,
}

impl AlertState {
    /// The `alertstate` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Inactive => "inactive",
            AlertState::Pending => "pending",
            AlertState::Firing => "firing",
        }
    }
}

/// Expands an alert's annotation templates: name → expanded text, sorted by name.
pub type ExpandAnnotations = Arc<dyn Fn() -> Vec<(String, String)> + Send + Sync>;

/// An alert's annotations, as Prometheus expands them at every evaluation
/// (`rules/alerting.go`). Expansion is a pure function of the result sample,
/// the evaluation time and the rule, so unless a template calls `query`
/// (which reads storage as it is at that evaluation) it is deferred until a
/// test reads the annotations: most evaluations' texts are never looked at.
#[derive(Clone)]
pub enum Annotations {
    /// Expanded at evaluation: sorted by name, empty values kept.
    Expanded(Vec<(String, String)>),
    /// Expanded when read, with what the evaluation would have used.
    Deferred(ExpandAnnotations),
}

impl Annotations {
    /// The expanded annotations, sorted by name.
    pub fn expanded(&self) -> Vec<(String, String)> {
        match self {
            Annotations::Expanded(v) => v.clone(),
            Annotations::Deferred(f) => f(),
        }
    }
}

impl Default for Annotations {
    fn default() -> Self {
        Annotations::Expanded(Vec::new())
    }
}

impl std::fmt::Debug for Annotations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.expanded()).finish()
    }
}

impl PartialEq for Annotations {
    fn eq(&self, other: &Self) -> bool {
        self.expanded() == other.expanded()
    }
}

/// One alert of a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Labels: result labels minus `__name__`, plus templated rule labels, plus `alertname`.
    pub labels: Labels,
    /// Templated annotations of the last evaluation.
    pub annotations: Annotations,
    /// Current state.
    pub state: AlertState,
    /// When the alert became active (ms).
    pub active_at: i64,
    /// When it started firing (ms).
    pub fired_at: Option<i64>,
    /// When it was resolved (ms).
    pub resolved_at: Option<i64>,
    /// Since when it has been kept firing without a result (ms).
    pub keep_firing_since: Option<i64>,
    /// The value of the last result sample.
    pub value: f64,
}

/// One result of an evaluation, already turned into alert labels.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertResult {
    /// Alert labels.
    pub labels: Labels,
    /// Templated annotations.
    pub annotations: Annotations,
    /// The sample's value.
    pub value: f64,
}

/// The state of one alerting rule across evaluations.
#[derive(Debug, Clone, Default)]
pub struct AlertingState {
    /// `for`, ms.
    pub hold_ms: i64,
    /// `keep_firing_for`, ms.
    pub keep_firing_for_ms: i64,
    /// Alerts by their labels, including resolved ones still retained.
    active: HashMap<Labels, Alert>,
    /// The labels of `active`, sorted: alerts are listed in label order,
    /// and keys change far less often than alerts are looked up.
    order: Vec<Labels>,
}

impl AlertingState {
    /// A rule with `for` = `hold_ms` and `keep_firing_for` = `keep_firing_for_ms`.
    pub fn new(hold_ms: i64, keep_firing_for_ms: i64) -> Self {
        AlertingState {
            hold_ms,
            keep_firing_for_ms,
            active: HashMap::default(),
            order: Vec::new(),
        }
    }

    /// Applies the results of an evaluation at `ts` (ms). Returns the alerts
    /// that are pending or firing after it (those Prometheus writes as
    /// `ALERTS`/`ALERTS_FOR_STATE`), and how many there are for the group's
    /// `limit` check.
    pub fn update(&mut self, ts: i64, results: Vec<AlertResult>) -> Vec<Alert> {
        let mut present: HashSet<Labels> = HashSet::with_capacity(results.len());
        for r in results {
            present.insert(r.labels.clone());
            match self.active.get_mut(&r.labels) {
                Some(a) if a.state != AlertState::Inactive => {
                    a.value = r.value;
                    a.annotations = r.annotations;
                }
                found => {
                    if found.is_none() {
                        let at = self.order.partition_point(|l| *l < r.labels);
                        self.order.insert(at, r.labels.clone());
                    }
                    self.active.insert(
                        r.labels.clone(),
                        Alert {
                            labels: r.labels,
                            annotations: r.annotations,
                            state: AlertState::Pending,
                            active_at: ts,
                            fired_at: None,
                            resolved_at: None,
                            keep_firing_since: None,
                            value: r.value,
                        },
                    );
                }
            }
        }
        let mut out = Vec::new();
        let mut remove = Vec::new();
        for key in &self.order {
            let Some(a) = self.active.get_mut(key) else {
                continue;
            };
            if !present.contains(key) {
                let mut keep_firing = false;
                if a.state == AlertState::Firing && self.keep_firing_for_ms > 0 {
                    let since = *a.keep_firing_since.get_or_insert(ts);
                    if ts.saturating_sub(since) < self.keep_firing_for_ms {
                        keep_firing = true;
                    }
                }
                let drop = a.state == AlertState::Pending
                    || a.resolved_at
                        .is_some_and(|r| ts.saturating_sub(r) > RESOLVED_RETENTION_MS);
                if a.state != AlertState::Inactive && !keep_firing {
                    a.state = AlertState::Inactive;
                    a.resolved_at = Some(ts);
                }
                if !keep_firing {
                    if drop {
                        remove.push(key.clone());
                    }
                    continue;
                }
            } else {
                a.keep_firing_since = None;
            }
            if a.state == AlertState::Pending && ts.saturating_sub(a.active_at) >= self.hold_ms {
                a.state = AlertState::Firing;
                a.fired_at = Some(ts);
            }
            out.push(a.clone());
        }
        if !remove.is_empty() {
            for k in &remove {
                self.active.remove(k);
            }
            let active = &self.active;
            self.order.retain(|l| active.contains_key(l));
        }
        out
    }

    /// Clears every alert (after a `limit` violation).
    pub fn reset(&mut self) {
        self.active.clear();
        self.order.clear();
    }

    /// Every alert kept (pending, firing, and resolved ones still
    /// retained), in label order.
    pub fn alerts(&self) -> impl Iterator<Item = &Alert> {
        self.order.iter().filter_map(|l| self.active.get(l))
    }

    /// True when no alert is kept.
    pub fn is_empty(&self) -> bool {
        self.active.is_empty()
    }

    /// The alerts currently firing, in label order.
    pub fn firing(&self) -> impl Iterator<Item = &Alert> {
        self.alerts().filter(|a| a.state == AlertState::Firing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(instance: &str) -> AlertResult {
        AlertResult {
            labels: Labels::from_pairs([("alertname", "GpuHot"), ("instance", instance)]),
            annotations: Annotations::default(),
            value: 90.0,
        }
    }

    fn states(s: &AlertingState) -> Vec<AlertState> {
        s.alerts().map(|a| a.state).collect()
    }

    const M: i64 = 60_000;

    #[test]
    fn pending_then_firing_after_for() {
        let mut s = AlertingState::new(2 * M, 0);
        assert_eq!(s.update(0, vec![res("a")])[0].state, AlertState::Pending);
        assert_eq!(s.update(M, vec![res("a")])[0].state, AlertState::Pending);
        let out = s.update(2 * M, vec![res("a")]);
        assert_eq!(out[0].state, AlertState::Firing);
        assert_eq!(out[0].active_at, 0);
        assert_eq!(out[0].fired_at, Some(2 * M));
    }

    #[test]
    fn zero_for_fires_at_once_and_pending_is_dropped_when_result_goes() {
        let mut s = AlertingState::new(0, 0);
        assert_eq!(s.update(0, vec![res("a")])[0].state, AlertState::Firing);
        let mut p = AlertingState::new(5 * M, 0);
        p.update(0, vec![res("a")]);
        assert!(p.update(M, vec![]).is_empty());
        assert!(p.is_empty(), "pending alerts are forgotten");
    }

    #[test]
    fn resolved_alert_is_retained_then_dropped() {
        let mut s = AlertingState::new(0, 0);
        s.update(0, vec![res("a")]);
        assert!(s.update(M, vec![]).is_empty());
        assert_eq!(states(&s), vec![AlertState::Inactive]);
        assert_eq!(s.firing().count(), 0);
        s.update(M + RESOLVED_RETENTION_MS, vec![]);
        assert_eq!(states(&s), vec![AlertState::Inactive]);
        s.update(M + RESOLVED_RETENTION_MS + 1, vec![]);
        assert!(s.is_empty());
        // A new result starts a fresh pending alert.
        let mut t = AlertingState::new(M, 0);
        t.update(0, vec![res("a")]);
        t.update(M, vec![res("a")]);
        t.update(2 * M, vec![]);
        let out = t.update(3 * M, vec![res("a")]);
        assert_eq!(out[0].state, AlertState::Pending);
        assert_eq!(out[0].active_at, 3 * M);
    }

    #[test]
    fn keep_firing_for_holds_a_firing_alert() {
        let mut s = AlertingState::new(0, 2 * M);
        s.update(0, vec![res("a")]);
        // Result gone: still firing for 2m after it went away.
        assert_eq!(s.update(M, vec![])[0].state, AlertState::Firing);
        assert_eq!(s.update(2 * M, vec![])[0].state, AlertState::Firing);
        assert!(s.update(3 * M, vec![]).is_empty());
        assert_eq!(states(&s), vec![AlertState::Inactive]);
    }

    #[test]
    fn keep_firing_since_resets_when_result_returns() {
        let mut s = AlertingState::new(0, 2 * M);
        s.update(0, vec![res("a")]);
        s.update(M, vec![]);
        s.update(2 * M, vec![res("a")]);
        assert_eq!(s.update(3 * M, vec![])[0].state, AlertState::Firing);
        assert_eq!(s.update(4 * M, vec![])[0].state, AlertState::Firing);
        assert!(s.update(5 * M, vec![]).is_empty());
    }

    #[test]
    fn keep_firing_for_does_not_apply_to_pending() {
        let mut s = AlertingState::new(5 * M, 10 * M);
        s.update(0, vec![res("a")]);
        assert!(s.update(M, vec![]).is_empty());
    }

    #[test]
    fn alerts_are_listed_in_label_order_as_they_come_and_go() {
        let mut s = AlertingState::new(0, 0);
        let names = |v: &[Alert]| -> Vec<String> {
            v.iter()
                .map(|a| a.labels.get_or_empty("instance").to_string())
                .collect()
        };
        let out = s.update(0, vec![res("c"), res("a")]);
        assert_eq!(names(&out), ["a", "c"]);
        let out = s.update(M, vec![res("b"), res("c"), res("a")]);
        assert_eq!(names(&out), ["a", "b", "c"]);
        // "b" resolves (kept while retained), then is dropped.
        let out = s.update(2 * M, vec![res("a"), res("c")]);
        assert_eq!(names(&out), ["a", "c"]);
        assert_eq!(s.alerts().count(), 3);
        s.update(3 * M + RESOLVED_RETENTION_MS, vec![res("c"), res("a")]);
        let kept: Vec<&str> = s
            .alerts()
            .map(|a| a.labels.get_or_empty("instance"))
            .collect();
        assert_eq!(kept, ["a", "c"]);
        assert_eq!(s.firing().count(), 2);
        s.reset();
        assert!(s.is_empty() && s.alerts().next().is_none());
    }
}
