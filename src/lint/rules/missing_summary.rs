//! `missing-summary` (ML106): an alerting rule with neither a `summary` nor
//! a `description` annotation sends notifications that say nothing but the
//! alert's name.

use crate::lint::{Lint, Reporter, RuleCtx};

crate::declare_lint! {
    /// The `missing-summary` lint.
    pub struct MissingSummary {
        code: "ML106",
        name: "missing-summary",
        category: Style,
        severity: Warning,
        summary: "an alerting rule has neither a `summary` nor a `description` annotation",
    }
}

crate::declare_setting! {
    /// `summary_annotations`: annotation keys that count as a human-readable summary.
    pub static SUMMARY_ANNOTATIONS: Vec<String> = {
        key: "summary_annotations",
        default: "[summary, description, message, title]",
        doc: "Annotation keys that count as a summary (missing-summary).",
        lint: "missing-summary",
    }
}

impl Lint for MissingSummary {
    /// Flags alerting rules without a non-empty annotation named in
    /// `summary_annotations` (default `summary`, `description`).
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let rule = cx.rule;
        if !rule.is_alert() {
            return;
        }
        let keys = cx.config.get(&SUMMARY_ANNOTATIONS);
        if rule
            .annotations
            .iter()
            .any(|a| keys.contains(&a.key.value) && !a.value.value.trim().is_empty())
        {
            return;
        }
        let first = keys.first().map(String::as_str).unwrap_or("summary");
        r.report(rule.name.span, format!(
                    "alert {:?} has no {} annotation",
                    rule.name.value,
                    one_of(keys)
                ))
            .help(format!(
                "add an annotation `{first}: …` that says what is wrong and where, with `{{{{ $labels.… }}}}` for the affected model, GPU or instance"
            ));
    }
}

/// `a`, `a or b`, `a, b or c`.
fn one_of(keys: &[String]) -> String {
    match keys {
        [] => "summary".to_string(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    #[test]
    fn flags_alert_without_summary_or_description() {
        let y = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    annotations:\n      runbook_url: https://x\n";
        assert_eq!(run_on(&super::META, y).len(), 1);
        let blank = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    annotations:\n      summary: ' '\n";
        assert_eq!(run_on(&super::META, blank).len(), 1);
    }

    #[test]
    fn accepts_summary_or_description() {
        for key in ["summary", "description"] {
            let y = format!(
                "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    annotations:\n      {key}: down\n"
            );
            assert!(run_on(&super::META, &y).is_empty());
        }
        assert!(
            run_on(
                &super::META,
                "groups:\n- name: g\n  rules:\n  - record: a:b:c\n    expr: up\n"
            )
            .is_empty()
        );
    }
}
