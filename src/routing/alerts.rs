//! Which label sets an alerting rule's alerts can carry when they reach
//! Alertmanager, and how to try them against a routing tree.
//!
//! An alert's labels are its expression's output labels (see
//! [`crate::promql::labels::output_labels`]) minus `__name__`, plus the
//! group's labels, plus the rule's labels (which win; a templated value is
//! any value, an empty one removes the label), plus `alertname`. Prometheus
//! may also add external labels (`cluster`, `replica`, …) that no rule file
//! shows: labels in [`EXTERNAL_LIKE`] are always considered possible.
//!
//! To route an alert whose values are only partly known, [`scenarios`]
//! enumerates concrete label sets: each known value, each value the
//! matchers of the tree mention, "another value", and "absent" where the
//! label may be missing.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::rules::{Rule, RuleGroup};
use crate::promql::labels::{Known, LabelSet, Value};

use super::inhibit::Labels;
use super::overlap::{is_universal, literal_alternatives};
use crate::model::alertmanager::matchers::{MatchType, Matcher};

/// Labels Prometheus servers commonly add as external labels.
pub const EXTERNAL_LIKE: &[&str] = &[
    "cluster",
    "cluster_id",
    "cluster_name",
    "datacenter",
    "dc",
    "env",
    "environment",
    "k8s_cluster",
    "prometheus",
    "prometheus_replica",
    "region",
    "replica",
    "tenant",
    "tenant_id",
];

/// Stand-in for "a value no matcher mentions".
pub const OTHER: &str = "\u{1}other";

/// Most scenarios tried per alert label set.
pub const MAX_SCENARIOS: usize = 256;

/// The label sets one alerting rule's alerts can carry (at least one).
pub fn alert_label_sets(group: &RuleGroup, rule: &Rule) -> Vec<LabelSet> {
    let base = match rule.expr.as_ref().filter(|e| e.ast.is_some()) {
        Some(e) => e.output_labels().to_vec(),
        None => vec![LabelSet {
            closed: false,
            ..LabelSet::default()
        }],
    };
    let mut out: Vec<LabelSet> = Vec::new();
    for mut s in base {
        s.labels.remove("__name__");
        s.absent.insert("__name__".into());
        for kv in group.labels.iter().chain(&rule.labels) {
            set_label(&mut s, &kv.key.value, &kv.value.value);
        }
        s.labels.insert(
            "alertname".into(),
            Value::OneOf([rule.name.value.clone()].into()),
        );
        s.absent.remove("alertname");
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

fn set_label(s: &mut LabelSet, name: &str, value: &str) {
    if value.contains("{{") {
        s.labels.insert(name.to_string(), Value::Any);
        s.absent.remove(name);
    } else if value.is_empty() {
        s.labels.remove(name);
        s.absent.insert(name.to_string());
    } else {
        s.labels
            .insert(name.to_string(), Value::OneOf([value.to_string()].into()));
        s.absent.remove(name);
    }
}

/// What `s` says about label `name` of an alert: [`LabelSet::known`], except
/// that a label Prometheus may add as an external label ([`EXTERNAL_LIKE`])
/// is [`Known::Maybe`] rather than absent.
pub fn know(s: &LabelSet, name: &str) -> Known {
    match s.known(name) {
        Known::Absent if !s.labels.contains_key(name) && EXTERNAL_LIKE.contains(&name) => {
            Known::Maybe
        }
        k => k,
    }
}

/// Whether an alert with these label sets can carry label `name`.
pub fn may_carry(s: &LabelSet, name: &str) -> bool {
    know(s, name) != Known::Absent
}

/// Three-valued match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    /// Always.
    Yes,
    /// Never.
    No,
    /// Depends on values not known statically.
    Maybe,
}

impl Tri {
    fn and(self, o: Tri) -> Tri {
        match (self, o) {
            (Tri::No, _) | (_, Tri::No) => Tri::No,
            (Tri::Yes, Tri::Yes) => Tri::Yes,
            _ => Tri::Maybe,
        }
    }

    fn or(self, o: Tri) -> Tri {
        if self == o { self } else { Tri::Maybe }
    }
}

/// Whether matcher `m` accepts an alert with label set `s`.
pub fn eval_matcher(m: &Matcher, s: &LabelSet) -> Tri {
    let present = || match m.op {
        _ if is_universal(m) => Tri::Yes,
        MatchType::Equal if m.value.is_empty() => Tri::No,
        MatchType::NotEqual if m.value.is_empty() => Tri::Yes,
        MatchType::Regexp if m.value == ".+" => Tri::Yes,
        _ => Tri::Maybe,
    };
    let absent = || if m.matches("") { Tri::Yes } else { Tri::No };
    match know(s, &m.name) {
        Known::Absent => absent(),
        Known::Values(v) => {
            let hits = v.iter().filter(|x| m.matches(x)).count();
            if hits == v.len() {
                Tri::Yes
            } else if hits == 0 {
                Tri::No
            } else {
                Tri::Maybe
            }
        }
        Known::Present => present(),
        Known::Maybe => absent().or(present()),
    }
}

/// Whether all matchers accept an alert with label set `s`.
pub fn eval_all<'m>(ms: impl IntoIterator<Item = &'m Matcher>, s: &LabelSet) -> Tri {
    ms.into_iter()
        .fold(Tri::Yes, |acc, m| acc.and(eval_matcher(m, s)))
}

/// Values worth trying for each label the matchers mention.
pub fn interesting<'m>(
    ms: impl IntoIterator<Item = &'m Matcher>,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for m in ms {
        let e = out.entry(m.name.clone()).or_default();
        match m.op {
            MatchType::Equal | MatchType::NotEqual => {
                e.insert(m.value.clone());
            }
            MatchType::Regexp | MatchType::NotRegexp => match literal_alternatives(&m.value) {
                Some(l) => e.extend(l),
                None => {
                    if let Some(sample) = sample_of(m) {
                        e.insert(sample);
                    }
                }
            },
        }
        e.remove("");
    }
    out
}

/// A string a (non-literal) regex matcher accepts, when a simple rewrite finds one.
fn sample_of(m: &Matcher) -> Option<String> {
    let mut s = m
        .value
        .trim_start_matches('^')
        .trim_end_matches('$')
        .to_string();
    for (from, to) in [(".*", ""), (".+", "x"), ("(?i)", ""), ("(", ""), (")", "")] {
        s = s.replace(from, to);
    }
    let s: String = {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else {
                out.push(c);
            }
        }
        out
    };
    let re = Matcher::new(&m.name, MatchType::Regexp, &m.value).ok()?;
    (!s.is_empty() && re.matches(&s)).then_some(s)
}

/// One concrete label set tried for an alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// The labels the matchers look at (absent ones are missing).
    pub labels: Labels,
    /// Labels whose value was chosen here (not known from the rule), with
    /// the choice (`None` = absent, [`OTHER`] = a value no matcher mentions).
    pub choices: Vec<(String, Option<String>)>,
}

impl Scenario {
    /// Label lookup for matching.
    pub fn get<'a>(&'a self) -> impl Fn(&str) -> Option<&'a str> + 'a {
        move |k: &str| self.labels.get(k).map(String::as_str)
    }
}

/// Concrete label sets for an alert with label set `s`, over the labels in
/// `wanted` (label → values worth trying). With `likely`, labels the rule
/// does not show (open results, external labels) are taken as absent;
/// otherwise they may also take the wanted values or another one.
///
/// `rule_labels` are label names the run's rules set statically: an alert
/// whose rule does not set one is taken not to get it from its series.
/// `outside` are label names the tree matches on that no rule of the run
/// sets or fixes a value of: they come from outside the rules (Prometheus'
/// external labels, `alert_relabel_configs`, other repositories' rules), so
/// without `likely` an alert may carry them with any value.
pub fn scenarios(
    s: &LabelSet,
    wanted: &BTreeMap<String, BTreeSet<String>>,
    likely: bool,
    rule_labels: &BTreeSet<String>,
    outside: &BTreeSet<String>,
) -> Vec<Scenario> {
    let mut fixed = Labels::new();
    let mut dims: Vec<(String, Vec<Option<String>>)> = Vec::new();
    for (name, values) in wanted {
        let try_values = || {
            let mut v: Vec<Option<String>> = values.iter().cloned().map(Some).collect();
            v.push(Some(OTHER.to_string()));
            v
        };
        match know(s, name) {
            Known::Absent if !likely && outside.contains(name) => {
                let mut v = try_values();
                v.push(None);
                dims.push((name.clone(), v));
            }
            Known::Absent => {}
            Known::Values(v) if v.len() == 1 => {
                fixed.insert(name.clone(), v.into_iter().next().unwrap_or_default());
            }
            Known::Values(v) => dims.push((name.clone(), v.into_iter().map(Some).collect())),
            Known::Present => dims.push((name.clone(), try_values())),
            Known::Maybe if likely || rule_labels.contains(name) => {}
            Known::Maybe => {
                let mut v = try_values();
                v.push(None);
                dims.push((name.clone(), v));
            }
        }
    }
    let mut out = Vec::new();
    let mut idx = vec![0usize; dims.len()];
    loop {
        let mut labels = fixed.clone();
        let mut choices = Vec::new();
        for (d, &i) in dims.iter().zip(&idx) {
            let choice = d.1[i].clone();
            if let Some(v) = &choice {
                labels.insert(d.0.clone(), v.clone());
            }
            choices.push((d.0.clone(), choice));
        }
        out.push(Scenario { labels, choices });
        if out.len() >= MAX_SCENARIOS {
            break;
        }
        // Next combination (mixed radix).
        let mut k = 0;
        loop {
            if k == dims.len() {
                return out;
            }
            idx[k] += 1;
            if idx[k] < dims[k].1.len() {
                break;
            }
            idx[k] = 0;
            k += 1;
        }
    }
    out
}

/// The possible values of label `name` (`""` for absent), `None` when any value is possible.
pub fn possible_values(s: &LabelSet, name: &str) -> Option<BTreeSet<String>> {
    match know(s, name) {
        Known::Absent => Some([String::new()].into()),
        Known::Values(v) => Some(v),
        Known::Present | Known::Maybe => None,
    }
}

/// `team="ml"`, `team absent`, `team=<other value>` for messages.
pub fn choice_text(name: &str, choice: &Option<String>) -> String {
    match choice.as_deref() {
        None => format!("{name} absent"),
        Some(OTHER) => format!("{name}=<other>"),
        Some(v) => format!("{name}={v:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sets(yaml: &str) -> Vec<LabelSet> {
        let src = crate::source::SourceFile::from_text("t.yaml", yaml.to_string(), 0);
        let loaded = crate::model::load_file(0, &src, &crate::model::rules::ExtraFields::default());
        let g = &loaded.rule_files[0].groups[0];
        alert_label_sets(g, &g.rules[0])
    }

    #[test]
    fn rule_labels_group_labels_and_expression() {
        let s = sets(
            "groups:\n- name: g\n  labels: {team: ml, tier: x}\n  rules:\n  - alert: A\n    expr: sum by (model) (rate(x{job=\"j\"}[5m])) > 1\n    labels: {severity: critical, tier: '', owner: '{{ $labels.model }}'}\n",
        );
        assert_eq!(s.len(), 1);
        let s = &s[0];
        assert_eq!(
            know(s, "alertname"),
            Known::Values(["A".to_string()].into())
        );
        assert_eq!(know(s, "team"), Known::Values(["ml".to_string()].into()));
        assert_eq!(know(s, "tier"), Known::Absent);
        assert_eq!(know(s, "owner"), Known::Present);
        assert_eq!(know(s, "model"), Known::Present);
        assert_eq!(know(s, "job"), Known::Absent);
        assert_eq!(know(s, "cluster"), Known::Maybe);
    }

    #[test]
    fn scenarios_enumerate_unknown_values() {
        let s =
            &sets("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: sum by (team) (x) > 1\n")
                [0];
        let ms = crate::model::alertmanager::matchers::parse_matchers(
            "team=~\"ml|infra\", alertname=A",
            crate::model::alertmanager::matchers::ParserMode::Fallback,
        )
        .unwrap();
        let wanted = interesting(ms.iter());
        let sc = scenarios(s, &wanted, true, &BTreeSet::new(), &BTreeSet::new());
        assert_eq!(sc.len(), 3);
        assert!(sc.iter().all(|x| x.labels["alertname"] == "A"));
        assert_eq!(eval_all(ms.iter(), s), Tri::Maybe);
    }
}
