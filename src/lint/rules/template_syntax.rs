//! `template-syntax` (ML205): an alert's label or annotation is not a valid
//! Go template as Prometheus parses it (syntax errors, functions not
//! defined, undefined variables such as `$label`). Prometheus refuses to
//! load the rule file.

use crate::lint::{Lint, Reporter, RuleCtx};

crate::declare_lint! {
    /// The `template-syntax` lint.
    pub struct TemplateSyntax {
        code: "ML205",
        name: "template-syntax",
        category: Invalid,
        severity: Error,
        summary: "an alert label or annotation is not a valid template",
    }
}

impl Lint for TemplateSyntax {
    /// Parses every label and annotation of an alerting rule as Prometheus
    /// does (Go's and Prometheus' functions; `$labels`, `$externalLabels`,
    /// `$externalURL` and `$value` defined) and reports the first error of
    /// each, at the offending token, in Prometheus' wording.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let rule = cx.rule;
        if !rule.is_alert() {
            return;
        }
        for (what, kv) in cx.alert_templates() {
            let Some(err) = &kv.template().error else {
                continue;
            };
            let e = crate::template::alert_error_message(&rule.name.value, &kv.value.value, err);
            r.report(
                kv.value.sub_span(err.range.start, err.range.end),
                format!(
                    "group {:?}, rule {}, {:?}: {what} {:?}: {e}",
                    cx.group.name.value, rule.index, rule.name.value, kv.key.value
                ),
            )
                .help("fix the template: variables are `$labels`, `$value`, `$externalLabels`, `$externalURL`; functions are Go's and Prometheus' (`humanize`, `humanizePercentage`, `query`, …)");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    #[test]
    fn flags_undefined_variable_at_the_variable() {
        let y = "groups:\n- name: alerts\n  rules:\n  - alert: InstanceDown\n    expr: up == 0\n    annotations:\n      summary: \"Instance {{ $label.instance }} down\"\n";
        let d = run_on(&super::META, y);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].span.start, y.find("$label.").unwrap());
        assert!(
            d[0].message
                .ends_with("template: __alert_InstanceDown:1: undefined variable \"$label\""),
            "{}",
            d[0].message
        );
    }

    #[test]
    fn passes_valid_templates_and_recording_rules() {
        let y = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    labels:\n      pod: \"{{ $labels.pod }}\"\n    annotations:\n      d: \"{{ $value | humanizePercentage }} {{ if gt $value 1.0 }}x{{ end }}\"\n  - record: r\n    expr: up\n    labels:\n      x: \"{{ nonsense\"\n";
        assert!(run_on(&super::META, y).is_empty());
    }
}
