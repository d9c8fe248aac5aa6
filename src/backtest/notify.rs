//! The notifications an Alertmanager config would send for the alerts of a
//! backtest, simulated as Alertmanager's `dispatch/dispatch.go` and
//! `notify/notify.go` handle them.
//!
//! The model:
//! - Prometheus sends an alert while it fires; Alertmanager sees it from the
//!   evaluation that made it firing (`fired_at`) to the one that resolved it
//!   (its `EndsAt`). Pending alerts are never sent.
//! - Each alert is routed through the tree ([`Tree::match_labels`]:
//!   `continue`, inheritance); at each route it ends at, it joins the
//!   aggregation group of that route and the values of the route's
//!   `group_by` labels (`...`: all labels).
//! - A group is created by its first alert and flushed `group_wait` later,
//!   then every `group_interval`. A flush takes the group's alerts: firing
//!   ones, and resolved ones not yet flushed; drops those an inhibit rule
//!   mutes at that instant (a source alert of the run firing then, the
//!   `equal` labels equal, Alertmanager's both-sides rule:
//!   [`crate::routing::inhibit::Rule::mutes`]); and notifies when
//!   `DedupStage.needsUpdate` says so against the group's last notification
//!   (kept across the group's lifetimes, as the notification log is): a
//!   firing alert not in the last notification, everything resolved after a
//!   notification with firing alerts, a resolved alert not in the last
//!   notification, or `repeat_interval` passed since it. After each flush
//!   the resolved alerts leave the group; a group left empty is deleted, and
//!   the next alert makes a new one (with a new `group_wait`).
//! - A notification with firing alerts is counted as `firing`; one with
//!   only resolved alerts as `resolved`: it reaches the receiver's
//!   integrations that have `send_resolved: true` (their defaults differ:
//!   webhook, PagerDuty, Opsgenie true; email, Slack false).
//!
//! Not modelled: silences, `mute_time_intervals`/`active_time_intervals`,
//! Prometheus' external labels and `alert_relabel_configs` (alerts carry
//! the rule's labels only), the 30-second maintenance that actually deletes
//! an empty group (a group is deleted at the flush that empties it),
//! failed or retried deliveries, several Alertmanagers, and an alert's
//! delivery delay (`evaluation_interval` jitter, `resend_delay`).

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use crate::model::alertmanager::AmConfig;
use crate::routing::inhibit::{Labels, Rule};
use crate::routing::tree::{GroupBy, Tree};

use super::replay::{Episode, RuleRun};

/// Notification counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Notifications carrying at least one firing alert.
    pub firing: u64,
    /// Notifications carrying only resolved alerts (sent where `send_resolved`).
    pub resolved: u64,
}

/// What the config would send for one run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Notifications {
    /// Per rule, in the order of the runs: notifications that carry at least
    /// one of its alerts (firing ones for `firing`, resolved ones for a
    /// resolved-only notification).
    pub per_rule: Vec<Counts>,
    /// Per receiver name.
    pub per_receiver: BTreeMap<String, Counts>,
    /// Every notification of the run.
    pub total: Counts,
    /// Aggregation groups created over the range.
    pub groups: u64,
    /// Set when the time budget ran out: counts cover the groups done.
    pub incomplete: bool,
}

/// An aggregation group: its route and the values of its `group_by` labels.
type GroupKey = (usize, Vec<(String, String)>);

struct AmAlert<'a> {
    rule: usize,
    labels: Labels,
    episodes: &'a [Episode],
    /// Alerts of the run that mute this one when firing.
    muters: Vec<usize>,
}

/// Whether an alert with these episodes fires at `t`.
fn firing_at(eps: &[Episode], t: i64) -> bool {
    let i = eps.partition_point(|e| e.fired_at <= t);
    i > 0 && eps[i - 1].resolved_at.is_none_or(|r| t < r)
}

/// Whether an episode was resolved in `(after, t]`.
fn resolved_in(eps: &[Episode], after: i64, t: i64) -> bool {
    let i = eps.partition_point(|e| e.resolved_at.is_some_and(|r| r <= after));
    eps.get(i)
        .and_then(|e| e.resolved_at)
        .is_some_and(|r| r <= t)
}

/// The last notification of a group (`nflogpb.Entry`).
struct Entry {
    firing: Vec<usize>,
    resolved: Vec<usize>,
    at: i64,
}

fn subset(a: &[usize], of: &[usize]) -> bool {
    // Both sorted.
    let mut j = 0;
    a.iter().all(|x| {
        while j < of.len() && of[j] < *x {
            j += 1;
        }
        j < of.len() && of[j] == *x
    })
}

/// `DedupStage.needsUpdate` of Alertmanager's notify.go, for an integration
/// with `send_resolved` as given.
fn needs_update(
    entry: Option<&Entry>,
    firing: &[usize],
    resolved: &[usize],
    repeat: i64,
    now: i64,
    send_resolved: bool,
) -> bool {
    let Some(e) = entry else {
        return !firing.is_empty();
    };
    if !subset(firing, &e.firing) {
        return true;
    }
    if firing.is_empty() {
        return !e.firing.is_empty();
    }
    if send_resolved && !subset(resolved, &e.resolved) {
        return true;
    }
    e.at < now.saturating_sub(repeat)
}

/// Simulates Alertmanager config `am` over the alerts of `runs` up to
/// `end_ms`, for receivers whose integrations have `send_resolved` as
/// given (without it, resolved-only notifications are not sent). `None`
/// when the config has no route.
pub fn simulate(
    am: &AmConfig,
    runs: &[RuleRun],
    end_ms: i64,
    deadline: Option<Instant>,
    send_resolved: bool,
) -> Option<Notifications> {
    let root = am.route.as_ref()?;
    let tree = Tree::new(root);
    let rules: Vec<Rule> = am.inhibit_rules.iter().map(Rule::new).collect();
    let mut alerts: Vec<AmAlert> = Vec::new();
    for (ri, run) in runs.iter().enumerate() {
        for t in run.timelines.iter().filter(|t| !t.episodes.is_empty()) {
            alerts.push(AmAlert {
                rule: ri,
                labels: t
                    .labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                episodes: &t.episodes,
                muters: Vec::new(),
            });
        }
    }
    // Inhibition: per rule, sources indexed by their `equal` values.
    for r in &rules {
        let mut by_equal: HashMap<Vec<&str>, Vec<usize>> = HashMap::new();
        for (i, a) in alerts.iter().enumerate() {
            if r.is_source(&a.labels) {
                let key = r
                    .equal
                    .iter()
                    .map(|n| a.labels.get(*n).map_or("", String::as_str))
                    .collect();
                by_equal.entry(key).or_default().push(i);
            }
        }
        let mut add: Vec<(usize, usize)> = Vec::new();
        for (t, a) in alerts.iter().enumerate() {
            if !r.is_target(&a.labels) {
                continue;
            }
            let key: Vec<&str> = r
                .equal
                .iter()
                .map(|n| a.labels.get(*n).map_or("", String::as_str))
                .collect();
            for &s in by_equal.get(&key).into_iter().flatten() {
                if r.mutes(&alerts[s].labels, &a.labels) {
                    add.push((t, s));
                }
            }
        }
        for (t, s) in add {
            alerts[t].muters.push(s);
        }
    }
    for a in &mut alerts {
        a.muters.sort_unstable();
        a.muters.dedup();
    }
    // Aggregation groups: (route, group labels) → members.
    let mut groups: BTreeMap<GroupKey, Vec<usize>> = BTreeMap::new();
    for (i, a) in alerts.iter().enumerate() {
        let get = |k: &str| a.labels.get(k).map(String::as_str);
        for route in tree.match_labels(&get) {
            let key: Vec<(String, String)> = match &tree.nodes[route].opts.group_by.value {
                GroupBy::All => a
                    .labels
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                GroupBy::Labels(names) => names
                    .iter()
                    .filter_map(|n| a.labels.get(n).map(|v| (n.clone(), v.clone())))
                    .collect(),
            };
            groups.entry((route, key)).or_default().push(i);
        }
    }
    let mut out = Notifications {
        per_rule: vec![Counts::default(); runs.len()],
        ..Notifications::default()
    };
    let muted = |i: usize, t: i64| {
        alerts[i]
            .muters
            .iter()
            .any(|&s| firing_at(alerts[s].episodes, t))
    };
    for ((route, _), members) in &groups {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            out.incomplete = true;
            break;
        }
        let opts = &tree.nodes[*route].opts;
        let ms = |v: u64| i64::try_from(v).unwrap_or(i64::MAX).max(1);
        let (wait, interval, repeat) = (
            ms(opts.group_wait.value),
            ms(opts.group_interval.value),
            ms(opts.repeat_interval.value),
        );
        let receiver = opts.receiver.value.clone();
        let mut starts: Vec<i64> = members
            .iter()
            .flat_map(|&m| alerts[m].episodes.iter().map(|e| e.fired_at))
            .collect();
        starts.sort_unstable();
        let mut entry: Option<Entry> = None;
        let mut last_flush = i64::MIN;
        let mut next_start = starts.first().copied();
        while let Some(created) = next_start {
            out.groups += 1;
            let mut t = created.saturating_add(wait);
            loop {
                if t > end_ms {
                    next_start = None;
                    break;
                }
                let mut firing = Vec::new();
                let mut resolved = Vec::new();
                let mut alive = false;
                for &m in members {
                    let eps = alerts[m].episodes;
                    if firing_at(eps, t) {
                        alive = true;
                        if !muted(m, t) {
                            firing.push(m);
                        }
                    } else if resolved_in(eps, last_flush, t) && !muted(m, t) {
                        resolved.push(m);
                    }
                }
                if needs_update(entry.as_ref(), &firing, &resolved, repeat, t, send_resolved) {
                    let kind = |c: &mut Counts| {
                        if firing.is_empty() {
                            c.resolved += 1;
                        } else {
                            c.firing += 1;
                        }
                    };
                    if !firing.is_empty() || (send_resolved && !resolved.is_empty()) {
                        kind(&mut out.total);
                        kind(out.per_receiver.entry(receiver.clone()).or_default());
                        let carried = if firing.is_empty() {
                            &resolved
                        } else {
                            &firing
                        };
                        let mut rules: Vec<usize> =
                            carried.iter().map(|&m| alerts[m].rule).collect();
                        rules.sort_unstable();
                        rules.dedup();
                        for r in rules {
                            kind(&mut out.per_rule[r]);
                        }
                    }
                    entry = Some(Entry {
                        firing: firing.clone(),
                        resolved: resolved.clone(),
                        at: t,
                    });
                }
                last_flush = t;
                if !alive {
                    let i = starts.partition_point(|&s| s <= t);
                    next_start = starts.get(i).copied();
                    break;
                }
                t = t.saturating_add(interval);
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backtest::replay::Timeline;
    use crate::engine::Labels as EngineLabels;
    use crate::source::SourceFile;

    const M: i64 = 60_000;

    fn am(yaml: &str) -> AmConfig {
        let src = SourceFile::new("am.yaml", yaml.as_bytes().to_vec()).expect("utf8");
        let loaded = crate::model::load_file(0, &src, &Default::default());
        loaded
            .am_configs
            .into_iter()
            .next()
            .expect("an Alertmanager config")
    }

    fn ep(f: i64, r: Option<i64>) -> Episode {
        Episode {
            active_at: f,
            fired_at: f,
            resolved_at: r,
        }
    }

    fn run(name: &str, alerts: Vec<(&str, Vec<Episode>)>) -> RuleRun {
        RuleRun {
            file: String::new(),
            line: 1,
            group: "g".into(),
            name: name.into(),
            for_ms: 0,
            keep_firing_for_ms: 0,
            interval_ms: M,
            evaluations: 0,
            failed_evaluations: 0,
            max_series: 0,
            timelines: alerts
                .into_iter()
                .map(|(inst, episodes)| Timeline {
                    labels: EngineLabels::from_pairs([("alertname", name), ("instance", inst)]),
                    episodes,
                    pending_only: 0,
                })
                .collect(),
            replayed_to_ms: 0,
            error: None,
        }
    }

    const CONFIG: &str = "route:\n  receiver: team\n  group_by: [alertname]\n  group_wait: 30s\n  group_interval: 5m\n  repeat_interval: 1h\nreceivers:\n  - name: team\n";

    #[test]
    fn first_notification_after_group_wait_then_repeat_and_resolved() {
        // Fires at 0 for 150m: notify at 30s, repeat at 30s+65m (first tick
        // past 1h) and 30s+130m, resolved at the first tick after 150m.
        let runs = [run("A", vec![("a", vec![ep(0, Some(150 * M))])])];
        let n = simulate(&am(CONFIG), &runs, 300 * M, None, true).expect("route");
        assert_eq!(
            n.total,
            Counts {
                firing: 3,
                resolved: 1
            }
        );
        assert_eq!(n.per_rule[0], n.total);
        assert_eq!(n.per_receiver["team"], n.total);
        assert_eq!(n.groups, 1);
    }

    #[test]
    fn alerts_within_group_wait_share_one_notification() {
        let runs = [run(
            "A",
            vec![
                ("a", vec![ep(0, None)]),
                ("b", vec![ep(10_000, None)]),
                // Joins after the first flush: notified at the next group_interval.
                ("c", vec![ep(2 * M, None)]),
            ],
        )];
        let n = simulate(&am(CONFIG), &runs, 20 * M, None, true).expect("route");
        assert_eq!(
            n.total,
            Counts {
                firing: 2,
                resolved: 0
            }
        );
    }

    #[test]
    fn an_alert_that_resolves_within_group_wait_sends_nothing() {
        let runs = [run("A", vec![("a", vec![ep(0, Some(20_000))])])];
        let n = simulate(&am(CONFIG), &runs, 60 * M, None, true).expect("route");
        assert_eq!(n.total, Counts::default());
    }

    #[test]
    fn a_flapping_alert_empties_its_group_and_waits_again() {
        // Fires every other minute for 30m. Flush at 0:30 (firing); at 5:30
        // it is resolved: notified, the group is deleted, the next episode
        // (6m) makes a new group flushed at 6:30; and so on.
        let eps: Vec<Episode> = (0..15)
            .map(|i| ep(2 * i * M, Some((2 * i + 1) * M)))
            .collect();
        let runs = [run("A", vec![("a", eps)])];
        let n = simulate(&am(CONFIG), &runs, 60 * M, None, true).expect("route");
        assert_eq!(
            n.total,
            Counts {
                firing: 5,
                resolved: 5
            }
        );
        assert_eq!(n.groups, 5);
        let quiet = simulate(&am(CONFIG), &runs, 60 * M, None, false).expect("route");
        assert_eq!(
            quiet.total,
            Counts {
                firing: 5,
                resolved: 0
            }
        );
    }

    #[test]
    fn group_by_splits_groups_and_continue_adds_a_receiver() {
        let cfg = "route:\n  receiver: team\n  group_by: [instance]\n  group_wait: 30s\n  routes:\n    - receiver: audit\n      continue: true\n    - receiver: pager\n      matchers: [alertname=\"A\"]\nreceivers:\n  - name: team\n  - name: audit\n  - name: pager\n";
        let runs = [run(
            "A",
            vec![("a", vec![ep(0, None)]), ("b", vec![ep(0, None)])],
        )];
        let n = simulate(&am(cfg), &runs, 10 * M, None, true).expect("route");
        assert_eq!(n.per_receiver["audit"].firing, 2);
        assert_eq!(n.per_receiver["pager"].firing, 2);
        assert!(!n.per_receiver.contains_key("team"));
        assert_eq!(n.groups, 4);
    }

    #[test]
    fn inhibited_alerts_are_not_notified_while_the_source_fires() {
        let inhibit = "inhibit_rules:\n  - source_matchers: [alertname=\"Down\"]\n    target_matchers: [alertname=\"A\"]\n    equal: [instance]\n";
        let cfg = format!("{CONFIG}{inhibit}");
        let runs = [
            run("A", vec![("a", vec![ep(0, None)])]),
            run("Down", vec![("a", vec![ep(0, Some(12 * M))])]),
        ];
        let n = simulate(&am(&cfg), &runs, 20 * M, None, true).expect("route");
        // Muted until Down resolves at 12m; notified at the next tick (15m30s).
        assert_eq!(n.per_rule[0].firing, 1);
        let early = simulate(&am(&cfg), &runs, 15 * M, None, true).expect("route");
        assert_eq!(early.per_rule[0].firing, 0);
        let plain = simulate(&am(CONFIG), &runs, 15 * M, None, true).expect("route");
        assert_eq!(plain.per_rule[0].firing, 1);
        // Another instance is not muted: `equal: [instance]`.
        let other = [
            run("A", vec![("b", vec![ep(0, None)])]),
            run("Down", vec![("a", vec![ep(0, None)])]),
        ];
        let n = simulate(&am(&cfg), &other, 15 * M, None, true).expect("route");
        assert_eq!(n.per_rule[0].firing, 1);
    }

    #[test]
    fn needs_update_as_dedup_stage() {
        let e = Entry {
            firing: vec![1, 2],
            resolved: vec![],
            at: 0,
        };
        assert!(!needs_update(None, &[], &[1], 10, 5, true));
        assert!(needs_update(None, &[1], &[], 10, 5, true));
        assert!(
            needs_update(Some(&e), &[1, 3], &[], 10, 5, true),
            "new firing alert"
        );
        assert!(
            needs_update(Some(&e), &[1], &[2], 10, 5, true),
            "a new resolved alert"
        );
        assert!(
            !needs_update(Some(&e), &[1], &[2], 10, 5, false),
            "not without send_resolved"
        );
        assert!(
            needs_update(Some(&e), &[], &[1, 2], 10, 5, false),
            "all resolved"
        );
        assert!(needs_update(Some(&e), &[1, 2], &[], 10, 11, true), "repeat");
        assert!(!needs_update(Some(&e), &[1, 2], &[], 10, 10, true));
    }
}
