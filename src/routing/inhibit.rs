//! Inhibition as Alertmanager applies it (inhibit/inhibit.go): an alert that
//! matches an inhibit rule's target matchers is muted while another firing
//! alert matches its source matchers and agrees on every `equal` label (a
//! label missing on both sides is equal: both are `""`).
//!
//! The both-sides rule: when the target also matches the source matchers,
//! only source alerts that do *not* match the target matchers can mute it, so
//! an alert never mutes itself and two alerts that both match both sides do
//! not mute each other.

use std::collections::{BTreeMap, HashMap};

use crate::model::alertmanager::matchers::Matcher;
use crate::model::alertmanager::{InhibitRule, SpannedMatcher};
use crate::promql::labels::{Known, LabelSet};

use super::alerts::{Tri, eval_all, know};
use super::project::Alert;

/// A concrete alert's labels.
pub type Labels = BTreeMap<String, String>;

fn get<'a>(l: &'a Labels) -> impl Fn(&str) -> Option<&'a str> {
    move |k| l.get(k).map(String::as_str)
}

fn all(ms: &[&Matcher], l: &Labels) -> bool {
    let f = get(l);
    ms.iter().all(|m| m.matches_labels(&f))
}

/// One inhibit rule's matchers, borrowed from the config.
#[derive(Debug, Clone)]
pub struct Rule<'a> {
    /// Source matchers.
    pub source: Vec<&'a Matcher>,
    /// Target matchers.
    pub target: Vec<&'a Matcher>,
    /// `equal` labels.
    pub equal: Vec<&'a str>,
}

impl<'a> Rule<'a> {
    /// From the config model.
    pub fn new(r: &'a InhibitRule) -> Rule<'a> {
        Rule {
            source: r.source.iter().map(|m| &m.matcher).collect(),
            target: r.target.iter().map(|m| &m.matcher).collect(),
            equal: r.equal.iter().map(|e| e.value.as_str()).collect(),
        }
    }

    /// Whether the labels match the source side.
    pub fn is_source(&self, l: &Labels) -> bool {
        all(&self.source, l)
    }

    /// Whether the labels match the target side.
    pub fn is_target(&self, l: &Labels) -> bool {
        all(&self.target, l)
    }

    /// Whether firing alert `source` mutes alert `target` under this rule.
    pub fn mutes(&self, source: &Labels, target: &Labels) -> bool {
        if !self.is_target(target) || !self.is_source(source) {
            return false;
        }
        if self.is_source(target) && self.is_target(source) {
            // Both-sides rule (also covers source == target).
            return false;
        }
        self.equal.iter().all(|n| {
            source.get(*n).map_or("", String::as_str) == target.get(*n).map_or("", String::as_str)
        })
    }
}

/// For each alert of `firing`, the indices of the alerts that mute it
/// under any of `rules`.
pub fn inhibited(rules: &[Rule], firing: &[Labels]) -> Vec<Vec<usize>> {
    firing
        .iter()
        .map(|t| {
            (0..firing.len())
                .filter(|&s| rules.iter().any(|r| r.mutes(&firing[s], t)))
                .collect()
        })
        .collect()
}

/// Whether label `name` can carry the same value on alerts of label sets
/// `s` and `t`, as an inhibit rule's `equal` compares them (absent on both
/// is equal: both are `""`).
pub fn can_be_equal(s: &LabelSet, t: &LabelSet, name: &str) -> bool {
    know(s, name).can_agree(&know(t, name))
}

/// The alerts of a run, each with a label set it can carry, that can match
/// every matcher of `side` (an inhibit rule's `source_matchers` or
/// `target_matchers`).
pub fn alerts_matching<'a, 'b>(
    alerts: &'b [Alert<'a>],
    side: &'b [SpannedMatcher],
) -> Vec<(&'b Alert<'a>, &'b LabelSet)> {
    alerts
        .iter()
        .flat_map(|a| a.sets.iter().map(move |s| (a, s)))
        .filter(|(_, s)| eval_all(side.iter().map(|m| &m.matcher), s) != Tri::No)
        .collect()
}

/// Whether an alert carrying label set `source` may mute one carrying
/// `target` under `rule`, as Alertmanager's `InhibitRule` decides
/// (inhibit/inhibit.go): the source alert matches the source matchers, the
/// target alert the target matchers, every `equal` label can agree, and the
/// both-sides rule holds (a target that also matches the source matchers
/// is muted only by source alerts that do not match the target matchers;
/// so an alert never mutes itself).
pub fn may_mute(rule: &InhibitRule, source: &LabelSet, target: &LabelSet) -> bool {
    let src = || rule.source.iter().map(|m| &m.matcher);
    let tgt = || rule.target.iter().map(|m| &m.matcher);
    if eval_all(src(), source) == Tri::No || eval_all(tgt(), target) == Tri::No {
        return false;
    }
    if eval_all(src(), target) == Tri::Yes && eval_all(tgt(), source) == Tri::Yes {
        return false;
    }
    rule.equal
        .iter()
        .all(|e| can_be_equal(source, target, &e.value))
}

/// The names of the run's alerts (other than `alert` itself, in the order of
/// `alerts`, each once) that may mute `alert` under `rule`.
pub fn muted_by<'a>(rule: &InhibitRule, alerts: &'a [Alert], alert: &Alert) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for other in alerts {
        if std::ptr::eq(other, alert) || out.contains(&other.name()) {
            continue;
        }
        let mutes = other
            .sets
            .iter()
            .any(|s| alert.sets.iter().any(|t| may_mute(rule, s, t)));
        if mutes {
            out.push(other.name());
        }
    }
    out
}

/// One label set of one alert on one side of an inhibit rule (see
/// [`Sides`]), with what the pair test needs, evaluated once.
#[derive(Debug, Clone)]
pub struct Member {
    /// Index of the alert in the run's alerts ([`super::project::Analysis::alerts`]).
    pub alert: usize,
    /// Index of the label set in the alert's [`Alert::sets`].
    pub set: usize,
    /// Whether the set surely matches the *other* side's matchers too (for
    /// the both-sides rule: a source that surely matches the target
    /// matchers cannot mute a target that surely matches the source ones).
    pub both: bool,
    /// What the set says about each `equal` label, in the rule's order.
    pub equal: Vec<Known>,
}

/// Members of one side bucketed by what they say about the rule's first
/// `equal` label, so that the members that can agree with a given one are
/// found without trying every member: the work of [`Sides`] grows with the
/// pairs that can agree, not with sources × targets.
#[derive(Debug, Default)]
struct ValueIndex {
    /// Members whose label is absent.
    absent: Vec<usize>,
    /// Members per possible value of the label.
    values: HashMap<String, Vec<usize>>,
    /// Members whose label is present with an unknown value.
    present: Vec<usize>,
    /// Members whose label may be absent or carry any value.
    maybe: Vec<usize>,
    /// Every member.
    len: usize,
}

impl ValueIndex {
    fn new<'k>(keys: impl IntoIterator<Item = &'k Known>) -> ValueIndex {
        let mut ix = ValueIndex::default();
        for (i, k) in keys.into_iter().enumerate() {
            ix.len = i + 1;
            match k {
                Known::Absent => ix.absent.push(i),
                Known::Values(v) => {
                    for x in v {
                        ix.values.entry(x.clone()).or_default().push(i);
                    }
                }
                Known::Present => ix.present.push(i),
                Known::Maybe => ix.maybe.push(i),
            }
        }
        ix
    }

    /// The members (sorted, each once) that may agree with `k`: a superset
    /// of those for which [`Known::can_agree`] holds.
    fn candidates(&self, k: &Known) -> Vec<usize> {
        let mut out: Vec<usize> = match k {
            Known::Maybe => return (0..self.len).collect(),
            Known::Absent => self.absent.clone(),
            Known::Values(v) => v
                .iter()
                .filter_map(|x| self.values.get(x))
                .flatten()
                .chain(&self.present)
                .copied()
                .collect(),
            Known::Present => {
                let mut all: Vec<usize> = self.values.values().flatten().copied().collect();
                all.extend(&self.present);
                all
            }
        };
        out.extend(&self.maybe);
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// One inhibit rule over the alerts of a run, its sides evaluated once
/// (alerts × rules matcher evaluations), and indexed on the first `equal`
/// label, so that the questions below cost about the number of pairs that
/// can mute, not alerts² per rule. The semantics are [`may_mute`]'s (as
/// Alertmanager's inhibit/inhibit.go), and an alert never mutes itself.
#[derive(Debug)]
pub struct Sides<'r> {
    /// The rule.
    pub rule: &'r InhibitRule,
    /// Label sets that may match the source matchers, in alert order.
    pub sources: Vec<Member>,
    /// Label sets that may match the target matchers, in alert order.
    pub targets: Vec<Member>,
    by_source: Option<ValueIndex>,
    by_target: Option<ValueIndex>,
}

impl<'r> Sides<'r> {
    /// Evaluates `rule`'s sides over `alerts`.
    pub fn new(rule: &'r InhibitRule, alerts: &[Alert]) -> Sides<'r> {
        let src: Vec<&Matcher> = rule.source.iter().map(|m| &m.matcher).collect();
        let tgt: Vec<&Matcher> = rule.target.iter().map(|m| &m.matcher).collect();
        let (mut sources, mut targets) = (Vec::new(), Vec::new());
        for (ai, a) in alerts.iter().enumerate() {
            for (si, s) in a.sets.iter().enumerate() {
                let is_src = eval_all(src.iter().copied(), s);
                let is_tgt = eval_all(tgt.iter().copied(), s);
                if is_src == Tri::No && is_tgt == Tri::No {
                    continue;
                }
                let equal: Vec<Known> = rule.equal.iter().map(|e| know(s, &e.value)).collect();
                if is_src != Tri::No {
                    sources.push(Member {
                        alert: ai,
                        set: si,
                        both: is_tgt == Tri::Yes,
                        equal: equal.clone(),
                    });
                }
                if is_tgt != Tri::No {
                    targets.push(Member {
                        alert: ai,
                        set: si,
                        both: is_src == Tri::Yes,
                        equal,
                    });
                }
            }
        }
        let index = |side: &[Member]| {
            (!rule.equal.is_empty()).then(|| ValueIndex::new(side.iter().map(|m| &m.equal[0])))
        };
        Sides {
            by_source: index(&sources),
            by_target: index(&targets),
            rule,
            sources,
            targets,
        }
    }

    /// Whether source member `s` may mute target member `t`.
    pub fn pair(&self, s: &Member, t: &Member) -> bool {
        s.alert != t.alert
            && !(s.both && t.both)
            && s.equal.iter().zip(&t.equal).all(|(a, b)| a.can_agree(b))
    }

    fn candidates(index: &Option<ValueIndex>, len: usize, of: &Member) -> Vec<usize> {
        match index {
            Some(ix) => ix.candidates(&of.equal[0]),
            None => (0..len).collect(),
        }
    }

    /// Indices into [`Sides::sources`] (ascending) of the members that may
    /// mute target member `t`.
    pub fn sources_of(&self, t: &Member) -> Vec<usize> {
        Self::candidates(&self.by_source, self.sources.len(), t)
            .into_iter()
            .filter(|&i| self.pair(&self.sources[i], t))
            .collect()
    }

    /// Indices into [`Sides::targets`] (ascending) of the members that
    /// source member `s` may mute.
    pub fn targets_of(&self, s: &Member) -> Vec<usize> {
        Self::candidates(&self.by_target, self.targets.len(), s)
            .into_iter()
            .filter(|&i| self.pair(s, &self.targets[i]))
            .collect()
    }

    /// The alerts (indices, ascending, each once) that may mute alert
    /// `alert` under the rule: [`muted_by`] for every alert at once.
    pub fn muters(&self, alert: usize) -> Vec<usize> {
        let lo = self.targets.partition_point(|m| m.alert < alert);
        let hi = self.targets.partition_point(|m| m.alert <= alert);
        let mut out: Vec<usize> = self.targets[lo..hi]
            .iter()
            .flat_map(|t| self.sources_of(t))
            .map(|i| self.sources[i].alert)
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Whether some alert of the run may mute another under the rule.
    pub fn any_pair(&self) -> bool {
        self.targets.iter().any(|t| !self.sources_of(t).is_empty())
    }

    /// Whether some source and some target label set can carry the same
    /// values of every `equal` label (matchers and the both-sides rule
    /// aside): false when the rule's `equal` defeats it.
    pub fn equal_can_hold(&self) -> bool {
        self.targets.iter().any(|t| {
            Self::candidates(&self.by_source, self.sources.len(), t)
                .into_iter()
                .any(|j| {
                    let s = &self.sources[j];
                    s.equal.iter().zip(&t.equal).all(|(a, b)| a.can_agree(b))
                })
        })
    }

    /// Whether some source and some target label set can carry the same
    /// value of the rule's `equal` label number `i` (the other labels
    /// aside): which `equal` label defeats a rule that never mutes.
    pub fn agree_on(&self, i: usize) -> bool {
        let ix = ValueIndex::new(self.sources.iter().map(|m| &m.equal[i]));
        self.targets.iter().any(|t| {
            ix.candidates(&t.equal[i])
                .into_iter()
                .any(|j| self.sources[j].equal[i].can_agree(&t.equal[i]))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::alertmanager::matchers::{ParserMode, parse_matchers};

    fn l(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn equal_missing_labels_and_both_sides() {
        let src = parse_matchers("kind=~\"a|b\"", ParserMode::Fallback).unwrap();
        let tgt = parse_matchers("kind=~\"b|c\"", ParserMode::Fallback).unwrap();
        let rule = Rule {
            source: src.iter().collect(),
            target: tgt.iter().collect(),
            equal: vec!["svc"],
        };
        let b = l(&[("kind", "b"), ("svc", "s")]);
        let a = l(&[("kind", "a"), ("svc", "s")]);
        let c = l(&[("kind", "c"), ("svc", "s")]);
        assert!(!rule.mutes(&b, &b), "never itself");
        assert!(rule.mutes(&a, &b));
        assert!(rule.mutes(&b, &c));
        let b2 = l(&[("kind", "b"), ("svc", "s"), ("x", "2")]);
        assert!(
            !rule.mutes(&b2, &b),
            "two-sided sources do not mute two-sided targets"
        );
        let no_svc = l(&[("kind", "c")]);
        assert!(
            rule.mutes(&l(&[("kind", "a")]), &no_svc),
            "missing on both sides is equal"
        );
        assert!(!rule.mutes(&a, &no_svc));
    }
}
