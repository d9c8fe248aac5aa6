//! `unbounded-label-cardinality` (ML103): labels whose values change on
//! every evaluation or are unbounded by nature. A rule label templated from
//! `$value` makes a new alert each time the value changes (and resets `for`);
//! keeping or creating request, trace, session or user ids makes one series
//! or alert per id.

use crate::lint::{Lint, Reporter, RuleCtx};
use crate::promql::analysis::{LabelSource, labels_kept_or_created};

crate::declare_lint! {
    /// The `unbounded-label-cardinality` lint.
    pub struct UnboundedLabelCardinality {
        code: "ML103",
        name: "unbounded-label-cardinality",
        category: Suspicious,
        severity: Warning,
        summary: "a label takes a new value on every evaluation or per request, session or user",
    }
}

crate::declare_setting! {
    /// `unbounded_labels`: label names unbounded by nature, compared ignoring case, `_` and `-`.
    pub static UNBOUNDED_LABELS: Vec<String> = {
        key: "unbounded_labels",
        default: "[request_id, trace_id, span_id, session_id, user_id, uuid, correlation_id, transaction_id, client_ip, email, prediction_id, inference_id]",
        doc: "Label names unbounded by nature (unbounded-label-cardinality); compared ignoring case, `_` and `-`.",
        lint: "unbounded-label-cardinality",
    }
}

/// Template parts that change between evaluations: the sample value and query results.
const VOLATILE: &[&str] = &["$value", ".Value", "query "];

impl Lint for UnboundedLabelCardinality {
    /// Flags (1) alerting-rule labels whose template reads `$value`,
    /// `.Value` or `query`, and (2) `by (…)` labels and `label_replace`/
    /// `label_join` destinations named in `unbounded_labels`. Copying a
    /// series label (`{{ $labels.pod }}`) is not flagged.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let rule = cx.rule;
        if rule.is_alert() {
            for kv in &rule.labels {
                let v = &kv.value.value;
                let Some((at, what)) = template_volatile(v) else {
                    continue;
                };
                r.report(kv.value.sub_span(at, at + what.len()), format!("label {:?} is templated from `{}`: every new value makes a new alert and resets `for`", kv.key.value, what.trim()))
                    .help("move the value into an annotation (e.g. `description: \"… {{ $value }}\"`); labels identify an alert and must be stable");
            }
        }
        let Some(expr) = &rule.expr else { return };
        let Some(ast) = &expr.ast else { return };
        let mut seen: Vec<String> = Vec::new();
        for (label, source, at) in labels_kept_or_created(ast) {
            // Nested aggregations keep the same label: report it once per rule.
            if !is_unbounded_label(cx.config.get(&UNBOUNDED_LABELS).as_slice(), &label)
                || seen.contains(&label)
            {
                continue;
            }
            seen.push(label.clone());
            let how = match &source {
                LabelSource::AggregationBy(op) => format!("`{op} by ({label})` keeps"),
                LabelSource::LabelFunction(f) => format!("`{f}` creates"),
            };
            let span = expr.span_or_whole(at.map(|s| s.range()));
            r.report(
                span,
                format!("{how} label {label:?}, which is unbounded: one series per value"),
            )
            .help(format!(
                "aggregate {label:?} away; keep bounded labels such as model, version, pod or gpu"
            ));
        }
    }
}

/// The byte offset and text of the first volatile reference inside a `{{ … }}` action.
fn template_volatile(v: &str) -> Option<(usize, &'static str)> {
    let mut pos = 0;
    while let Some(open) = v[pos..].find("{{").map(|i| i + pos) {
        let close = v[open..].find("}}").map(|i| i + open).unwrap_or(v.len());
        let action = &v[open..close];
        let hit = VOLATILE
            .iter()
            .filter_map(|w| action.find(w).map(|i| (open + i, *w)))
            .min_by_key(|(i, _)| *i);
        if hit.is_some() {
            return hit;
        }
        pos = close;
        if pos >= v.len() {
            break;
        }
    }
    None
}

/// True when `label` is in `unbounded` (ignoring case, `_` and `-`).
fn is_unbounded_label(unbounded: &[String], label: &str) -> bool {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    let l = norm(label);
    unbounded.iter().any(|u| norm(u) == l)
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    #[test]
    fn flags_value_templated_label_at_the_variable() {
        let y = "groups:\n- name: g\n  rules:\n  - alert: Drift\n    expr: drift_score > 0.3\n    for: 10m\n    labels:\n      score: \"{{ $value }}\"\n";
        let d = run_on(&super::META, y);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].span.start, y.find("$value").unwrap());
    }

    #[test]
    fn flags_unbounded_by_and_label_replace() {
        let y = "groups:\n- name: g\n  rules:\n  - record: x:errors:rate5m\n    expr: sum by (model, request_id) (rate(errors_total[5m]))\n  - record: y\n    expr: label_replace(up, \"traceId\", \"$1\", \"instance\", \"(.*)\")\n";
        let d = run_on(&super::META, y);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].span.start, y.find("request_id").unwrap());
    }

    #[test]
    fn points_at_the_by_list_and_reports_nested_aggregations_once() {
        let y = "groups:\n- name: g\n  rules:\n  - record: a\n    expr: topk by (user_id) (10, sum(rate(x{user_id!=\"\"}[5m])) by (user_id))\n";
        let d = run_on(&super::META, y);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].span.start, y.find("user_id").unwrap());
        let y = "groups:\n- name: g\n  rules:\n  - record: a\n    expr: sum(rate(x{user_id!=\"\"}[5m])) by (user_id)\n";
        assert_eq!(
            run_on(&super::META, y)[0].span.start,
            y.find("(user_id)").unwrap() + 1
        );
    }

    #[test]
    fn passes_copied_labels_and_bounded_labels() {
        let y = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: sum by (model, gpu) (x) > 1\n    for: 5m\n    labels:\n      pod: \"{{ $labels.pod }}\"\n      severity: warning\n    annotations:\n      description: \"value {{ $value }}\"\n";
        assert!(run_on(&super::META, y).is_empty());
    }
}
