//! `for-below-policy` (ML114): an alerting rule whose `for` is shorter than
//! the minimum the repository's policy (`min_for` in `.mlalert.yaml`) sets
//! for its `severity`. Silent until `min_for` is configured.

use crate::config::PerSeverity;
use crate::lint::{Lint, Reporter, RuleCtx};
use crate::model::duration::format_ms;

crate::declare_lint! {
    /// The `for-below-policy` lint.
    pub struct ForBelowPolicy {
        code: "ML114",
        name: "for-below-policy",
        category: Style,
        severity: Warning,
        summary: "a `for` shorter than the policy's `min_for` for the alert's severity",
    }
}

crate::declare_setting! {
    /// `min_for`: shortest `for` per value of the `severity` label, in milliseconds.
    pub static MIN_FOR: PerSeverity = {
        key: "min_for",
        default: "{}",
        doc: "Shortest `for` per value of the `severity` label (for-below-policy), e.g. {critical: 2m, warning: 10m}.",
        lint: "for-below-policy",
    }
}

impl Lint for ForBelowPolicy {
    /// Flags an alerting rule whose `for` is below `min_for[severity]`,
    /// where `severity` is the rule's own `severity` label or its group's.
    /// A missing `for` is `missing-for`'s finding, an invalid one
    /// `rule-invalid`'s.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let rule = cx.rule;
        let Some(f) = rule.for_.as_ref().filter(|_| rule.is_alert()) else {
            return;
        };
        let Some(severity) = cx.group.label_of(rule, "severity") else {
            return;
        };
        let severity = severity.value.value.trim();
        let min = cx.config.get(&MIN_FOR).iter().find(|(s, _)| s == severity);
        if let Some((sev, ms)) = min.filter(|(_, ms)| f.value.ms < *ms) {
            let want = format_ms(*ms);
            r.report(
                f.span,
                format!(
                    "`for: {}` is shorter than the {want} the policy requires for severity {sev:?}",
                    f.value
                ),
            )
            .help(format!(
                "use `for: {want}` or longer (`min_for` in .mlalert.yaml)"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, Value};

    const RULES: &str = r#"
groups:
- name: g
  rules:
  - alert: A
    expr: up == 0
    for: 1m
    labels: {severity: critical}
  - alert: B
    expr: up == 0
    for: 1m
    labels: {severity: warning}
  - alert: C
    expr: up == 0
    for: 5m
    labels: {severity: critical}
"#;

    fn run(config: &Config) -> Vec<crate::lint::Diagnostic> {
        let source = crate::source::SourceFile::from_text("t.yaml", RULES.to_string(), 0);
        crate::lint::run_sources(vec![source], config)
            .diagnostics
            .into_iter()
            .filter(|d| d.lint.code == super::META.code)
            .collect()
    }

    #[test]
    fn flags_only_the_severity_with_a_minimum_and_a_shorter_for() {
        let mut config = Config::default();
        config.set(
            &super::MIN_FOR,
            Value::MsPerSeverity(vec![("critical".into(), 120_000)]),
        );
        let d = run(&config);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].message.contains("shorter than the 2m"),
            "{}",
            d[0].message
        );
        assert_eq!(d[0].span.start, RULES.find("1m").unwrap());
    }

    #[test]
    fn silent_without_a_policy() {
        assert!(run(&Config::default()).is_empty());
    }
}
