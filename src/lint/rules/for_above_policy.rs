//! `for-above-policy` (ML224): an alerting rule whose `for` or
//! `keep_firing_for` is longer than the maximum the repository's policy
//! (`max_for`, `max_keep_firing_for` in `.mlalert.yaml`) sets for its
//! `severity`, as pint's `rule/for` with `max`. Silent until configured.

use crate::config::PerSeverity;
use crate::lint::{Lint, Reporter, RuleCtx};
use crate::model::duration::format_ms;

crate::declare_lint! {
    /// The `for-above-policy` lint.
    pub struct ForAbovePolicy {
        code: "ML224",
        name: "for-above-policy",
        category: Style,
        severity: Warning,
        summary: "a `for` or `keep_firing_for` longer than the policy's maximum for the alert's severity",
    }
}

crate::declare_setting! {
    /// `max_for`: longest `for` per value of the `severity` label, in milliseconds.
    pub static MAX_FOR: PerSeverity = {
        key: "max_for",
        default: "{}",
        doc: "Longest `for` per value of the `severity` label (for-above-policy), e.g. {critical: 15m}.",
        lint: "for-above-policy",
    }
}

crate::declare_setting! {
    /// `max_keep_firing_for`: longest `keep_firing_for` per value of the
    /// `severity` label, in milliseconds.
    pub static MAX_KEEP_FIRING_FOR: PerSeverity = {
        key: "max_keep_firing_for",
        default: "{}",
        doc: "Longest `keep_firing_for` per value of the `severity` label (for-above-policy), e.g. {critical: 30m}.",
        lint: "for-above-policy",
    }
}

impl Lint for ForAbovePolicy {
    /// Flags an alerting rule whose `for` is above `max_for[severity]`, or
    /// whose `keep_firing_for` is above `max_keep_firing_for[severity]`,
    /// where `severity` is the rule's own `severity` label or its group's.
    /// Each finding points at the value. An invalid duration is
    /// `rule-invalid`'s finding.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let rule = cx.rule;
        if !rule.is_alert() {
            return;
        }
        let Some(severity) = cx.group.label_of(rule, "severity") else {
            return;
        };
        let severity = severity.value.value.trim();
        for (field, value, setting, key) in [
            ("for", rule.for_.as_ref(), &MAX_FOR, "max_for"),
            (
                "keep_firing_for",
                rule.keep_firing_for.as_ref(),
                &MAX_KEEP_FIRING_FOR,
                "max_keep_firing_for",
            ),
        ] {
            let Some(v) = value else { continue };
            let max = cx.config.get(setting).iter().find(|(s, _)| s == severity);
            let Some((sev, ms)) = max.filter(|(_, ms)| v.value.ms > *ms) else {
                continue;
            };
            let want = format_ms(*ms);
            r.report(
                v.span,
                format!(
                    "`{field}: {}` is longer than the {want} the policy allows for severity {sev:?}",
                    v.value
                ),
            )
            .help(format!(
                "use `{field}: {want}` or shorter, or a lower severity (`{key}` in .mlalert.yaml)"
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
    for: 1h
    labels: {severity: critical}
  - alert: B
    expr: up == 0
    for: 1h
    labels: {severity: warning}
  - alert: C
    expr: up == 0
    for: 5m
    keep_firing_for: 2h
    labels: {severity: critical}
  - record: r
    expr: up
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
    fn flags_for_and_keep_firing_for_above_the_severity_maximum() {
        let mut config = Config::default();
        config.set(
            &super::MAX_FOR,
            Value::MsPerSeverity(vec![("critical".into(), 15 * 60_000)]),
        );
        config.set(
            &super::MAX_KEEP_FIRING_FOR,
            Value::MsPerSeverity(vec![("critical".into(), 30 * 60_000)]),
        );
        let d = run(&config);
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(
            d[0].message.contains("`for: 1h` is longer than the 15m"),
            "{}",
            d[0].message
        );
        assert_eq!(d[0].span.start, RULES.find("1h").unwrap());
        assert!(
            d[1].message.contains("`keep_firing_for: 2h`"),
            "{}",
            d[1].message
        );
        assert_eq!(d[1].span.start, RULES.find("2h").unwrap());
    }

    #[test]
    fn silent_without_a_policy() {
        assert!(run(&Config::default()).is_empty());
    }
}
