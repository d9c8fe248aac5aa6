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

impl Lint for MissingRunbook {
    /// Flags alerting rules without a non-empty annotation named in
    /// `runbook_annotations` (default `runbook_url`, `runbook`).
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let rule = cx.rule;
        if !rule.is_alert() {
            return;
        }
        let keys = &cx.config.runbook_annotations;
        let runbook = rule
            .annotations
            .iter()
            .find(|a| keys.contains(&a.key.value) && !a.value.value.trim().is_empty());
        if let Some(a) = runbook {
            // `runbook_url_prefix` policy: links must point into the team's runbook site.
            let prefix = &cx.config.policy.runbook_url_prefix;
            if !prefix.is_empty() && !a.value.value.trim().starts_with(prefix.as_str()) {
                r.report(
                    a.value.span,
                    format!(
                        "runbook link of alert {:?} does not start with {prefix:?}",
                        rule.name.value
                    ),
                )
                .help(format!(
                    "point it at your runbook site: `{}: {prefix}…`",
                    a.key.value
                ));
            }
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
    fn runbook_url_prefix_policy() {
        let y = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    annotations: {runbook_url: 'https://wiki.example.com/a'}\n";
        let source = crate::source::SourceFile::from_text("t.yaml", y.to_string(), 0);
        let mut config = crate::config::Config::default();
        config.policy.runbook_url_prefix = "https://runbooks.example.com/".into();
        let d: Vec<_> = crate::lint::run_sources(vec![source], &config)
            .diagnostics
            .into_iter()
            .filter(|d| d.lint.code == "ML102")
            .collect();
        assert_eq!(d.len(), 1);
        assert!(
            d[0].message.contains("does not start with"),
            "{}",
            d[0].message
        );
        assert!(run_on(&super::META, y).is_empty());
    }

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
