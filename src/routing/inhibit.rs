//! Inhibition as Alertmanager applies it (inhibit/inhibit.go): an alert that
//! matches an inhibit rule's target matchers is muted while another firing
//! alert matches its source matchers and agrees on every `equal` label (a
//! label missing on both sides is equal: both are `""`).
//!
//! The both-sides rule: when the target also matches the source matchers,
//! only source alerts that do *not* match the target matchers can mute it, so
//! an alert never mutes itself and two alerts that both match both sides do
//! not mute each other.

use std::collections::BTreeMap;

use crate::model::alertmanager::matchers::Matcher;
use crate::model::alertmanager::{InhibitRule, SpannedMatcher};
use crate::promql::labels::LabelSet;

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
