//! Every alerting rule of a run routed through every Alertmanager config of
//! the run: what the project lints (ML4xx) and `mlalert routes coverage`
//! reason over.
//!
//! Per alert and config two sets of [`Scenario`]s are tried: *likely* ones
//! (labels the rule does not show are absent) for findings about where an
//! alert goes, and *possible* ones (such labels may also take any value) for
//! findings that a route or receiver is never reached.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::diagnostic::FileId;
use crate::model::ProjectFile;
use crate::model::alertmanager::{AmConfig, Receiver};
use crate::model::rules::{Rule, RuleGroup};
use crate::promql::labels::LabelSet;
use crate::source::SourceFile;

use super::alerts::{Scenario, alert_label_sets, interesting, scenarios};
use super::tree::{Trace, Tree};

/// One alerting rule of the run.
pub struct Alert<'a> {
    /// Its file.
    pub file: FileId,
    /// Its group.
    pub group: &'a RuleGroup,
    /// The rule.
    pub rule: &'a Rule,
    /// The label sets its alerts can carry.
    pub sets: Vec<LabelSet>,
}

impl Alert<'_> {
    /// The alert's name.
    pub fn name(&self) -> &str {
        &self.rule.name.value
    }

    /// True when every label set has `severity` equal to one of `values`.
    pub fn severity_in(&self, values: &[&str]) -> bool {
        self.sets.iter().all(|s| {
            super::alerts::possible_values(s, "severity")
                .is_some_and(|v| !v.is_empty() && v.iter().all(|x| values.contains(&x.as_str())))
        })
    }
}

/// One alert's way through one config.
pub struct Routed {
    /// Likely scenarios with their traces.
    pub likely: Vec<(Scenario, Trace)>,
    /// Routes some possible scenario matches on its way.
    pub possible_visited: BTreeSet<usize>,
    /// Routes some possible scenario ends at.
    pub possible_finals: BTreeSet<usize>,
}

impl Routed {
    /// Whether every likely way of the alert ends on the root route: it
    /// reaches only the default receiver (the root's `receiver`).
    pub fn reaches_only_root(&self) -> bool {
        self.likely.iter().all(|(_, t)| t.finals == [0])
    }

    /// Whether some likely way of the alert ends on a route below the root.
    pub fn leaves_root(&self) -> bool {
        self.likely
            .iter()
            .any(|(_, t)| t.finals.iter().any(|&f| f != 0))
    }
}

/// One Alertmanager config of the run.
pub struct Config<'a> {
    /// Its file.
    pub file: FileId,
    /// The file.
    pub source: &'a SourceFile,
    /// The config.
    pub am: &'a AmConfig,
    /// Its routing tree.
    pub tree: Tree<'a>,
    /// Per alert of [`Analysis::alerts`], its routing.
    pub routed: Vec<Routed>,
    /// Receiver name → index of its first definition in `am.receivers`
    /// (lookups by name are hashed: configs with tens of thousands of
    /// receivers).
    by_name: HashMap<&'a str, usize>,
}

impl<'a> Config<'a> {
    /// The receiver named `name`.
    pub fn receiver(&self, name: &str) -> Option<&'a Receiver> {
        self.by_name.get(name).map(|&i| &self.am.receivers[i])
    }

    /// Whether receiver `name` has no integration at all: a "null" receiver
    /// that drops what reaches it (often on purpose: a blackhole for an
    /// environment nobody is paged for).
    pub fn is_blackhole(&self, name: &str) -> bool {
        self.receiver(name)
            .is_some_and(|r| r.integrations.is_empty())
    }

    /// Whether the receiver pages someone (`Some(true)`), certainly does not
    /// (`Some(false)`), or may (`None`: webhooks and the like).
    pub fn pages(&self, name: &str) -> Option<bool> {
        let r = self.receiver(name)?;
        if r.integrations
            .iter()
            .any(|(k, _)| PAGING.contains(&k.as_str()))
        {
            Some(true)
        } else if r
            .integrations
            .iter()
            .any(|(k, _)| MAYBE_PAGING.contains(&k.as_str()))
        {
            None
        } else {
            Some(false)
        }
    }

    /// Receivers that routes send to but that no alert of the run reaches,
    /// with those routes: every route sending to them is out of reach of
    /// every alert. Not the root's receiver (the catch-all for alerts from
    /// elsewhere), not receivers without routes (`unused-receiver`), not
    /// receivers whose routes are all fully shadowed (`route-shadowed`).
    /// Empty when the run holds no alerting rules (`has_alerts` false).
    pub fn unreached_receivers(&self, has_alerts: bool) -> Vec<(&'a Receiver, Vec<usize>)> {
        if !has_alerts {
            return Vec::new();
        }
        let tree = &self.tree;
        let finals: BTreeSet<usize> = self
            .routed
            .iter()
            .flat_map(|r| r.possible_finals.iter().copied())
            .collect();
        let mut by_receiver: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, n) in tree.nodes.iter().enumerate() {
            by_receiver
                .entry(n.opts.receiver.value.as_str())
                .or_default()
                .push(i);
        }
        let mut out = Vec::new();
        for r in &self.am.receivers {
            let routes: Vec<usize> = by_receiver
                .get(r.name.value.as_str())
                .cloned()
                .unwrap_or_default();
            if routes.is_empty()
                || routes.contains(&0)
                || routes.iter().any(|i| finals.contains(i))
                || routes.iter().all(|&i| super::tree::fully_shadowed(tree, i))
            {
                continue;
            }
            out.push((r, routes));
        }
        out
    }

    /// Whether some likely way of `routed` ends at a receiver that pages or
    /// may page (see [`Config::pages`]).
    pub fn may_page(&self, routed: &Routed) -> bool {
        routed.likely.iter().any(|(_, t)| {
            t.finals
                .iter()
                .any(|&f| self.pages(&self.tree.nodes[f].opts.receiver.value) != Some(false))
        })
    }

    /// The receivers the likely ways of `routed` end at, in first-reached
    /// order, each once.
    pub fn receivers_reached(&self, routed: &Routed) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for (_, t) in &routed.likely {
            for &f in &t.finals {
                let name = self.tree.nodes[f].opts.receiver.value.as_str();
                if !out.contains(&name) {
                    out.push(name);
                }
            }
        }
        out
    }

    /// The routes (node indices) that some possible way of some alert of
    /// the run matches on its way.
    pub fn visited_routes(&self) -> BTreeSet<usize> {
        self.routed
            .iter()
            .flat_map(|r| r.possible_visited.iter().copied())
            .collect()
    }

    /// Whether some receiver of the config pages.
    pub fn has_paging(&self) -> bool {
        self.am.receivers.iter().any(|r| {
            r.integrations
                .iter()
                .any(|(k, _)| PAGING.contains(&k.as_str()))
        })
    }
}

/// Integrations that page a person.
pub const PAGING: &[&str] = &[
    "pagerduty_configs",
    "opsgenie_configs",
    "victorops_configs",
    "incidentio_configs",
    "pushover_configs",
];
/// Integrations that may forward to a pager.
pub const MAYBE_PAGING: &[&str] = &["webhook_configs", "sns_configs"];

/// The whole run.
pub struct Analysis<'a> {
    /// Every alerting rule, in file order.
    pub alerts: Vec<Alert<'a>>,
    /// Every valid Alertmanager config with a route.
    pub configs: Vec<Config<'a>>,
}

impl<'a> Analysis<'a> {
    /// Loads alerts and routes each through each config. `external_labels`
    /// (name, value) are on every alert that does not carry the label
    /// itself, as Prometheus adds its `global.external_labels` to the alerts
    /// it sends.
    pub fn new(files: &[ProjectFile<'a>], external_labels: &[(String, String)]) -> Analysis<'a> {
        let mut alerts = Vec::new();
        for f in files {
            for rf in &f.loaded.rule_files {
                for group in &rf.groups {
                    for rule in group.rules.iter().filter(|r| r.is_alert()) {
                        alerts.push(Alert {
                            file: f.file,
                            group,
                            rule,
                            sets: with_external(alert_label_sets(group, rule), external_labels),
                        });
                    }
                }
            }
        }
        // Label names the rules set statically (severity, team, …).
        let rule_labels: BTreeSet<String> = alerts
            .iter()
            .flat_map(|a| a.group.labels.iter().chain(&a.rule.labels))
            .map(|kv| kv.key.value.clone())
            .collect();
        let mut configs = Vec::new();
        let outside = outside_labels(files, &alerts, &rule_labels);
        for f in files {
            for am in &f.loaded.am_configs {
                let Some(route) = &am.route else { continue };
                // Alertmanager would refuse the config: nothing to reason about.
                if !am.valid || !all_complete(route) {
                    continue;
                }
                let tree = Tree::new(route);
                let wanted = interesting(
                    tree.nodes
                        .iter()
                        .flat_map(|n| n.matchers.iter().map(|m| &m.0)),
                );
                let routed = alerts
                    .iter()
                    .map(|a| route_alert(&tree, a, &wanted, &rule_labels, &outside))
                    .collect();
                let mut by_name = HashMap::new();
                for (i, r) in am.receivers.iter().enumerate() {
                    by_name.entry(r.name.value.as_str()).or_insert(i);
                }
                configs.push(Config {
                    file: f.file,
                    source: f.source,
                    am,
                    tree,
                    routed,
                    by_name,
                });
            }
        }
        Analysis { alerts, configs }
    }

    /// Whether some config of the run routes alert `i` (of
    /// [`Analysis::alerts`]) below its root route. With several configs in
    /// one run (one per cluster or team), an alert is usually meant for one.
    pub fn routed_below_root(&self, i: usize) -> bool {
        self.configs
            .iter()
            .any(|c| !c.tree.root().children.is_empty() && c.routed[i].leaves_root())
    }

    /// Whether some config of the run may page someone for alert `i`.
    pub fn may_page(&self, i: usize) -> bool {
        self.configs.iter().any(|c| c.may_page(&c.routed[i]))
    }
}

/// `sets` with each external label added where a set lacks it.
fn with_external(mut sets: Vec<LabelSet>, external: &[(String, String)]) -> Vec<LabelSet> {
    for s in &mut sets {
        for (k, v) in external {
            if !s.labels.contains_key(k) {
                s.labels.insert(
                    k.clone(),
                    crate::promql::labels::Value::OneOf([v.clone()].into()),
                );
                s.absent.remove(k);
            }
        }
    }
    sets
}

/// Label names the routes of the run's configs match on that no rule of the
/// run sets (`rule_labels`) and no alert's expression gives a known presence
/// or value: they reach Alertmanager from outside the rules.
fn outside_labels(
    files: &[ProjectFile],
    alerts: &[Alert],
    rule_labels: &BTreeSet<String>,
) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    fn walk(r: &crate::model::alertmanager::Route, out: &mut BTreeSet<String>) {
        for m in &r.matchers {
            out.insert(m.matcher.name.clone());
        }
        for c in &r.routes {
            walk(c, out);
        }
    }
    for f in files {
        for am in &f.loaded.am_configs {
            if let Some(r) = &am.route {
                walk(r, &mut names);
            }
        }
    }
    names.retain(|n| {
        n != "alertname"
            && !rule_labels.contains(n)
            && !alerts
                .iter()
                .any(|a| a.sets.iter().any(|s| s.labels.contains_key(n)))
    });
    names
}

fn all_complete(r: &crate::model::alertmanager::Route) -> bool {
    r.matchers_complete && r.routes.iter().all(all_complete)
}

fn route_alert(
    tree: &Tree,
    alert: &Alert,
    wanted: &BTreeMap<String, BTreeSet<String>>,
    rule_labels: &BTreeSet<String>,
    outside: &BTreeSet<String>,
) -> Routed {
    let mut likely = Vec::new();
    let mut possible_visited = BTreeSet::new();
    let mut possible_finals = BTreeSet::new();
    for s in &alert.sets {
        for sc in scenarios(s, wanted, true, rule_labels, outside) {
            let t = tree.trace(&sc.get());
            if !likely.iter().any(|(x, _): &(Scenario, Trace)| x == &sc) {
                likely.push((sc, t));
            }
        }
        for sc in scenarios(s, wanted, false, rule_labels, outside) {
            let t = tree.trace(&sc.get());
            possible_visited.extend(t.visited);
            possible_finals.extend(t.finals);
        }
    }
    Routed {
        likely,
        possible_visited,
        possible_finals,
    }
}
