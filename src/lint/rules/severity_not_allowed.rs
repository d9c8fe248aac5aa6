//! `severity-not-allowed` (ML105): a `severity` label value outside the
//! team's vocabulary matches no Alertmanager route or inhibition written for
//! the allowed values.

use crate::diagnostic::suggest::closest;
use crate::lint::{Lint, Reporter, RuleCtx};

crate::declare_lint! {
    /// The `severity-not-allowed` lint.
    pub struct SeverityNotAllowed {
        code: "ML105",
        name: "severity-not-allowed",
        category: Style,
        severity: Warning,
        summary: "a `severity` label value is not one of the allowed severities",
    }
}

crate::declare_setting! {
    /// `allowed_severities`: values of the `severity` label teams route on.
    pub static ALLOWED_SEVERITIES: Vec<String> = {
        key: "allowed_severities",
        default: "[critical, warning, info, none]",
        doc: "Values of the `severity` label your routes use (severity-not-allowed).",
        lint: "severity-not-allowed",
    }
}

impl Lint for SeverityNotAllowed {
    /// Flags an alerting rule's `severity` label (its own, or its group's
    /// when the rule has none) whose value is not in `allowed_severities`.
    /// Empty values (`missing-severity`) and templated ones are left alone.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let rule = cx.rule;
        if !rule.is_alert() {
            return;
        }
        let Some(kv) = cx.group.label_of(rule, "severity") else {
            return;
        };
        let value = kv.value.value.as_str();
        let allowed = cx.config.get(&ALLOWED_SEVERITIES);
        if value.trim().is_empty() || value.contains("{{") || allowed.iter().any(|a| a == value) {
            return;
        }
        // A rule inherits its group's label: report it once, on the group's
        // label, from the group's first alerting rule.
        let from_group = crate::model::find(&rule.labels, "severity").is_none();
        if from_group
            && cx
                .group
                .rules
                .iter()
                .find(|r| r.is_alert() && crate::model::find(&r.labels, "severity").is_none())
                .is_some_and(|first| first.index != rule.index)
        {
            return;
        }
        let lower = value.trim().to_ascii_lowercase();
        let suggestion = allowed
            .iter()
            .find(|a| a.eq_ignore_ascii_case(&lower))
            .or_else(|| {
                allowed
                    .iter()
                    .find(|a| crate::lint::conventions::severity_variant(value.trim(), a))
            })
            .map(String::as_str)
            .or_else(|| closest(&lower, allowed.iter().map(String::as_str), 2));
        let help = match suggestion {
            Some(s) => {
                format!("write `severity: {s}`; Alertmanager matchers are case-sensitive and exact")
            }
            None => format!(
                "use one of {}, or add {value:?} to `allowed_severities` in .mlalert.yaml if your routes handle it",
                allowed.join(", ")
            ),
        };
        let which = match cx.config.origin(&ALLOWED_SEVERITIES) {
            Some(text) if !cx.config.is_set(&ALLOWED_SEVERITIES) => text,
            _ => format!("the allowed severities ({})", allowed.join(", ")),
        };
        r.report(
            kv.value.span,
            format!(
                "alert {:?} has severity {value:?}, which is not one of {which}",
                rule.name.value
            ),
        )
        .help(help);
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, Value};
    use crate::lint::{run_on, run_on_with};

    /// A rule file with one alert per severity value, in order.
    fn rules(sevs: &[&str]) -> String {
        let mut y = String::from("groups:\n- name: g\n  rules:\n");
        for (i, s) in sevs.iter().enumerate() {
            y.push_str(&format!(
                "  - alert: A{i}\n    expr: up == 0\n    for: 5m\n    labels:\n      severity: {s}\n"
            ));
        }
        y
    }

    #[test]
    fn flags_the_rare_variant_of_the_run_s_own_scale() {
        let mut sevs = vec!["warning"; 30];
        sevs.extend(["critical"; 10]);
        sevs.push("warn");
        sevs.extend(["info"; 6]);
        sevs.push("informational");
        let d = run_on(&super::META, &rules(&sevs));
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(d[0].message.contains("\"warn\""), "{}", d[0].message);
        assert!(
            d[0].message
                .contains("the severities this run uses: warning ×30, critical ×10, info ×6"),
            "{}",
            d[0].message
        );
        assert!(d[0].help.as_deref().unwrap().contains("severity: warning"));
        assert!(d[1].help.as_deref().unwrap().contains("severity: info"));
    }

    #[test]
    fn consistent_scales_of_their_own_pass() {
        for scale in [
            vec!["s1", "s2", "s3", "s4", "s2", "s3"],
            vec!["page", "task", "task", "page"],
            vec!["warn", "error", "fatal"],
            vec![
                "major", "minor", "major", "major", "major", "major", "major",
            ],
            vec!["Critical"],
        ] {
            assert!(run_on(&super::META, &rules(&scale)).is_empty(), "{scale:?}");
        }
    }

    #[test]
    fn a_variant_no_route_matches_while_the_routes_match_severity() {
        let am = "---\nroute:\n  receiver: default\n  routes:\n  - matchers: ['severity=~\"critical|warning\"']\n    receiver: pager\nreceivers:\n- name: default\n- name: pager\n";
        let y = format!("{}{am}", rules(&["critical", "Critical", "warning"]));
        let d = run_on(&super::META, &y);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].message.contains("\"Critical\""), "{}", d[0].message);
        assert!(d[0].help.as_deref().unwrap().contains("severity: critical"));
    }

    #[test]
    fn an_explicit_scale_is_enforced() {
        let mut config = Config::default();
        config.set(
            &super::ALLOWED_SEVERITIES,
            Value::Strings(vec!["critical".into(), "warning".into()]),
        );
        let d = run_on_with(
            &super::META,
            &[&rules(&["critical", "page", "P1", "warning"])],
            config,
        );
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(
            d[0].message
                .contains("not one of the allowed severities (critical, warning)"),
            "{}",
            d[0].message
        );
    }

    #[test]
    fn empty_and_templated_values_pass_and_group_labels_are_reported_once() {
        let mut sevs = vec!["warning"; 10];
        sevs.extend(["''", "'{{ $labels.severity }}'"]);
        assert!(run_on(&super::META, &rules(&sevs)).is_empty());
        let mut y = rules(&["critical"; 10]);
        y.push_str("- name: h\n  labels:\n    severity: crit\n  rules:\n  - alert: B\n    expr: up == 0\n  - alert: C\n    expr: up == 0\n");
        assert_eq!(run_on(&super::META, &y).len(), 1);
    }
}
