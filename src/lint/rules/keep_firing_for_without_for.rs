//! `keep-firing-for-without-for` (ML111): `keep_firing_for` with no `for`
//! turns a single bad evaluation into an alert that stays firing for the
//! whole `keep_firing_for`.

use crate::lint::{Lint, Reporter, RuleCtx};
use crate::promql::persistence::persistence;

crate::declare_lint! {
    /// The `keep-firing-for-without-for` lint.
    pub struct KeepFiringForWithoutFor {
        code: "ML111",
        name: "keep-firing-for-without-for",
        category: Suspicious,
        severity: Warning,
        summary: "`keep_firing_for` without `for` holds a one-evaluation blip firing",
    }
}

impl Lint for KeepFiringForWithoutFor {
    /// Flags alerting rules with a non-zero `keep_firing_for` and no `for`,
    /// an empty one or `for: 0s`. (`missing-for` leaves these rules to this
    /// lint.) An invalid `for` is `rule-invalid`'s finding.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let rule = cx.rule;
        let Some(kff) = &rule.keep_firing_for else {
            return;
        };
        if !rule.is_alert() || kff.value.ms == 0 || rule.for_invalid {
            return;
        }
        if rule.for_.as_ref().is_some_and(|f| f.value.ms > 0) {
            return;
        }
        // An event alert (`increase(x[10m]) > 0`, `changes(x[5m]) > 5`) or
        // one that already persists: `keep_firing_for` holding it firing
        // for a while is the intended pattern, and a `for` would delay it
        // (the exemptions of `missing-for`).
        if cx.parsed().is_some_and(|(_, ast)| {
            persistence(ast, crate::lint::rules::missing_for::MIN_WINDOW_MS).is_some()
        }) {
            return;
        }
        let for_text = match &rule.for_ {
            Some(f) => format!("`for: {}`", f.value.text),
            None => "no `for`".to_string(),
        };
        r.report(kff.span, format!(
                    "alert {:?} has `keep_firing_for: {}` but {for_text}: one matching evaluation fires it and keeps it firing for {}",
                    rule.name.value, kff.value.text, kff.value.text
                ))
            .help("add a `for` (e.g. `for: 5m`) so that the condition must hold before firing; `keep_firing_for` only delays resolving");
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    fn alert(extra: &str) -> String {
        format!("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n{extra}")
    }

    #[test]
    fn flags_keep_firing_for_without_for() {
        for e in [
            "    keep_firing_for: 10m\n",
            "    for: 0s\n    keep_firing_for: 10m\n",
            "    for:\n    keep_firing_for: 1h\n",
        ] {
            assert_eq!(run_on(&super::META, &alert(e)).len(), 1, "{e}");
        }
        // missing-for leaves it to this lint.
        assert!(
            run_on(
                &crate::lint::rules::missing_for::META,
                &alert("    keep_firing_for: 10m\n")
            )
            .is_empty()
        );
    }

    #[test]
    fn passes_with_for_or_zero_keep_firing_for() {
        for e in [
            "    for: 5m\n    keep_firing_for: 10m\n",
            "    for: 0s\n    keep_firing_for: 0s\n",
            "    for: 1.5m\n    keep_firing_for: 10m\n",
        ] {
            assert!(run_on(&super::META, &alert(e)).is_empty(), "{e}");
        }
        // Event alerts held firing by keep_firing_for need no `for`.
        for expr in [
            "changes(ifOperStatus[5m]) > 5",
            "increase(oom_kills_total[10m]) > 0",
        ] {
            let f = format!(
                "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: {expr}\n    keep_firing_for: 10m\n"
            );
            assert!(run_on(&super::META, &f).is_empty(), "{expr}");
        }
    }
}
