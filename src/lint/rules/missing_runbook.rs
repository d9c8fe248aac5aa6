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
        default: "[runbook_url, runbook, runbook_link, playbook, playbook_url, triage, sop]",
        doc: "Annotation (or label) keys that count as a runbook link (missing-runbook).",
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
        let has = |kv: &crate::model::KeyValue| {
            keys.contains(&kv.key.value) && !kv.value.value.trim().is_empty()
        };
        // Some teams put the link in a label (on the rule or its group) so
        // that it reaches every notification template.
        let runbook = rule.annotations.iter().any(has)
            || keys
                .iter()
                .any(|k| cx.group.label_of(rule, k).is_some_and(has));
        // A link outside `runbook_url_prefix` is `runbook-url-outside-prefix`'s.
        if runbook {
            return;
        }
        let first = keys.first().map(String::as_str).unwrap_or("runbook_url");
        r.report(
            rule.name.span,
            format!(
                "alert {:?} has no runbook link (a `{first}` annotation)",
                rule.name.value,
            ),
        )
        .help(format!(
            "add an annotation `{first}: https://…` that says what to check and how to fix it (also accepted: {})",
            keys.iter().skip(1).map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    #[test]
    fn links_under_the_keys_teams_use_and_in_labels_count() {
        for y in [
            "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    annotations: {triage: 'https://wiki/triage/a'}\n",
            "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    annotations: {playbook: 'https://wiki/a'}\n",
            "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    labels: {runbook: 'https://wiki/a'}\n",
            "groups:\n- name: g\n  labels: {runbook_url: 'https://wiki/g'}\n  rules:\n  - alert: A\n    expr: up == 0\n",
        ] {
            assert!(run_on(&super::META, y).is_empty(), "{y}");
        }
        let empty = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    annotations: {runbook_url: ''}\n";
        assert_eq!(run_on(&super::META, empty).len(), 1);
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
