//! `inhibit-rule-without-equal` (ML309): an inhibit rule without `equal`
//! lets any source alert mute every target alert, from any cluster,
//! namespace or service.

use crate::lint::{AmCtx, Lint, Reporter};

crate::declare_lint! {
    /// The `inhibit-rule-without-equal` lint.
    pub struct InhibitRuleWithoutEqual {
        code: "ML309",
        name: "inhibit-rule-without-equal",
        category: Suspicious,
        severity: Warning,
        summary: "an inhibit rule without `equal`: one source alert mutes every target alert everywhere",
    }
}

impl Lint for InhibitRuleWithoutEqual {
    fn check_alertmanager(&self, cx: &AmCtx, r: &mut Reporter) {
        for rule in &cx.am.inhibit_rules {
            if !rule.equal.is_empty() {
                continue;
            }
            let at = rule
                .equal_span
                .or(rule.source.first().map(|m| m.span))
                .unwrap_or(rule.span);
            r.report(at, "this inhibit rule has no `equal`: any alert matching the source mutes every alert matching the target, whatever cluster, namespace or service they come from")
                .help("add `equal:` with the labels both alerts must share, e.g. `equal: [cluster, namespace, alertname]`");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    const HEAD: &str = "route:\n  receiver: a\nreceivers:\n- name: a\ninhibit_rules:\n";

    #[test]
    fn flags_missing_equal() {
        let y = format!(
            "{HEAD}- source_matchers: [severity=critical]\n  target_matchers: [severity=warning]\n"
        );
        assert_eq!(run_on(&super::META, &y).len(), 1);
        let y = format!(
            "{HEAD}- source_matchers: [severity=critical]\n  target_matchers: [severity=warning]\n  equal: []\n"
        );
        assert_eq!(run_on(&super::META, &y).len(), 1);
    }

    #[test]
    fn passes_with_equal() {
        let y = format!(
            "{HEAD}- source_matchers: [severity=critical]\n  target_matchers: [severity=warning]\n  equal: [cluster]\n"
        );
        assert!(run_on(&super::META, &y).is_empty());
    }
}
