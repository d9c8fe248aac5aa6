//! `inhibit-rule-self-match` (ML310): the source and target matchers of an
//! inhibit rule can match the same alert, so an alert could inhibit itself.
//! Alertmanager guards against that with a special case (an alert matching
//! both sides is never muted by alerts that also match both sides, itself
//! included), and its documentation recommends matchers that never match
//! both sides: the rule usually does not do what its author meant.

use crate::lint::{AmCtx, Lint, Reporter};
use crate::routing::overlap::common_witness;

crate::declare_lint! {
    /// The `inhibit-rule-self-match` lint.
    pub struct InhibitRuleSelfMatch {
        code: "ML310",
        name: "inhibit-rule-self-match",
        category: Suspicious,
        severity: Warning,
        summary: "an alert can match both the source and the target of an inhibit rule",
    }
}

impl Lint for InhibitRuleSelfMatch {
    fn check_alertmanager(&self, cx: &AmCtx, r: &mut Reporter) {
        for rule in &cx.am.inhibit_rules {
            if !rule.complete {
                continue;
            }
            let src: Vec<_> = rule.source.iter().map(|m| &m.matcher).collect();
            let tgt: Vec<_> = rule.target.iter().map(|m| &m.matcher).collect();
            // Sides on different labels (`alertname=InfoInhibitor` mutes
            // `severity=info`) are a normal design: only a target without
            // matchers, or sides constraining a common label, are reported.
            let shared = tgt.iter().any(|t| src.iter().any(|s| s.name == t.name));
            if !(tgt.is_empty() || shared) {
                continue;
            }
            let Some(witness) = common_witness(&src, &tgt) else {
                continue;
            };
            let labels = if witness.is_empty() {
                "any alert".to_string()
            } else {
                let l: Vec<String> = witness.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
                format!("an alert with {{{}}}", l.join(", "))
            };
            let at = rule
                .target
                .first()
                .or(rule.source.first())
                .map(|m| m.span)
                .unwrap_or(rule.span);
            let mut d = r.report(at, format!("{labels} matches both the source and the target of this inhibit rule, so it could inhibit itself (Alertmanager then ignores every source alert that also matches the target)"))
            .help("make the source and target disjoint, e.g. `severity=\"critical\"` as source and `severity=\"warning\"` as target");
            if let Some(s) = rule.source.first() {
                d = d.label(s.span, "source matchers");
            }
            drop(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    const HEAD: &str = "route:\n  receiver: a\nreceivers:\n- name: a\ninhibit_rules:\n";

    #[test]
    fn flags_overlap() {
        let y = format!(
            "{HEAD}- source_matchers: ['severity=~\"critical|warning\"']\n  target_matchers: [severity=warning]\n  equal: [alertname]\n"
        );
        let d = run_on(&super::META, &y);
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("severity=\"warning\""));
        let y = format!("{HEAD}- source_matchers: [alertname=NodeDown]\n  equal: [node]\n");
        assert_eq!(run_on(&super::META, &y).len(), 1);
    }

    #[test]
    fn passes_disjoint() {
        let y = format!(
            "{HEAD}- source_matchers: [severity=critical]\n  target_matchers: ['severity=~\"warning|info\"']\n  equal: [alertname]\n"
        );
        assert!(run_on(&super::META, &y).is_empty());
        let y = format!(
            "{HEAD}- source_matchers: [alertname=InfoInhibitor]\n  target_matchers: [severity=info]\n  equal: [namespace]\n"
        );
        assert!(run_on(&super::META, &y).is_empty());
    }
}
