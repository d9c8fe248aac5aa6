//! `runbook-url-outside-prefix` (ML115): an alerting rule's runbook link
//! does not start with the repository's `runbook_url_prefix`. Silent until
//! `runbook_url_prefix` is configured.

use crate::lint::rules::missing_runbook::RUNBOOK_ANNOTATIONS;
use crate::lint::{Lint, Reporter, RuleCtx};

crate::declare_lint! {
    /// The `runbook-url-outside-prefix` lint.
    pub struct RunbookUrlOutsidePrefix {
        code: "ML115",
        name: "runbook-url-outside-prefix",
        category: Style,
        severity: Warning,
        summary: "a runbook link that does not start with the policy's `runbook_url_prefix`",
    }
}

crate::declare_setting! {
    /// `runbook_url_prefix`: runbook links must start with it; empty accepts any link.
    pub static RUNBOOK_URL_PREFIX: String = {
        key: "runbook_url_prefix",
        default: "\"\"",
        doc: "Runbook links must start with this (runbook-url-outside-prefix); \"\" accepts any link.",
        lint: "runbook-url-outside-prefix",
    }
}

impl Lint for RunbookUrlOutsidePrefix {
    /// Flags every non-empty annotation named in `runbook_annotations`
    /// whose value does not start with `runbook_url_prefix`. A missing link
    /// is `missing-runbook`'s finding.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let rule = cx.rule;
        let prefix = cx.config.get(&RUNBOOK_URL_PREFIX);
        if !rule.is_alert() || prefix.is_empty() {
            return;
        }
        let keys = cx.config.get(&RUNBOOK_ANNOTATIONS);
        for a in rule
            .annotations
            .iter()
            .filter(|a| keys.contains(&a.key.value))
        {
            let link = a.value.value.trim();
            if link.is_empty() || link.starts_with(prefix.as_str()) {
                continue;
            }
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
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, Value};

    fn run(y: &str, prefix: &str) -> Vec<crate::lint::Diagnostic> {
        let source = crate::source::SourceFile::from_text("t.yaml", y.to_string(), 0);
        let mut config = Config::default();
        config.set(&super::RUNBOOK_URL_PREFIX, Value::Text(prefix.into()));
        crate::lint::run_sources(vec![source], &config)
            .diagnostics
            .into_iter()
            .filter(|d| d.lint.code == super::META.code)
            .collect()
    }

    const RULES: &str = r#"
groups:
- name: g
  rules:
  - alert: Outside
    expr: up == 0
    annotations: {runbook_url: 'https://wiki.example.com/a'}
  - alert: Inside
    expr: up == 0
    annotations: {runbook_url: 'https://runbooks.example.com/b'}
  - alert: NoLink
    expr: up == 0
"#;

    #[test]
    fn flags_links_outside_the_prefix_only() {
        let d = run(RULES, "https://runbooks.example.com/");
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].message.contains("\"Outside\""), "{}", d[0].message);
    }

    #[test]
    fn silent_without_a_prefix() {
        assert!(run(RULES, "").is_empty());
    }
}
