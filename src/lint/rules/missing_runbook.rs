//! `missing-runbook` (ML102): an alerting rule without a runbook link
//! annotation leaves the person paged at 3am without a next step.

use crate::lint::{Lint, Reporter, RuleCtx};

crate::declare_lint! {
    /// The `missing-runbook` lint.
    pub struct MissingRunbook {
        code: "ML102",
        name: "missing-runbook",
        category: Style,
        severity: Warning,
        summary: "an alerting rule has no runbook link annotation",
    }
}

crate::declare_setting! {
    /// `runbook_annotations`: annotation keys that count as a runbook link.
    pub static RUNBOOK_ANNOTATIONS: Vec<String> = {
        key: "runbook_annotations",
        default: "[runbook_url, runbook]",
        doc: "Annotation keys that count as a runbook link (missing-runbook).",
        lint: "missing-runbook",
    }
}

impl Lint for MissingRunbook {
    /// Flags alerting rules without a non-empty annotation named in
    /// `runbook_annotations` (default `runbook_url`, `runbook`).
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let rule = cx.rule;
        if !rule.is_alert() {
            return;
        }
        let keys = cx.config.get(&RUNBOOK_ANNOTATIONS);
        let runbook = rule
            .annotations
            .iter()
            .find(|a| keys.contains(&a.key.value) && !a.value.value.trim().is_empty());
        // A link outside `runbook_url_prefix` is `runbook-url-outside-prefix`'s.
        if runbook.is_some() {
            return;
        }
        let first = keys.first().map(String::as_str).unwrap_or("runbook_url");
        r.report(
            rule.name.span,
            format!(
                "alert {:?} has no runbook annotation ({})",
                rule.name.value,
                keys.join(" or ")
            ),
        )
        .help(format!(
            "add an annotation `{first}: https://…` that says what to check and how to fix it"
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    #[test]
    fn flags_missing_or_empty_runbook() {
        assert_eq!(
            run_on(
                &super::META,
                "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n"
            )
            .len(),
            1
        );
        let empty = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    annotations:\n      runbook_url: ''\n";
        assert_eq!(run_on(&super::META, empty).len(), 1);
    }

    #[test]
    fn accepts_runbook_url_and_runbook_and_ignores_recording_rules() {
        for key in ["runbook_url", "runbook"] {
            let y = format!(
                "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    annotations:\n      {key}: https://x/y\n"
            );
            assert!(run_on(&super::META, &y).is_empty());
        }
        assert!(
            run_on(
                &super::META,
                "groups:\n- name: g\n  rules:\n  - record: a:b\n    expr: up\n"
            )
            .is_empty()
        );
    }
}
