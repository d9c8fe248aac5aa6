//! `template-label-missing` (ML204): an alert's label or annotation reads
//! `$labels.x` (or `.Labels.x`, `index $labels "x"`) where `x` cannot be on
//! the alert's series, so it always expands to an empty string.

use crate::lint::{Lint, Reporter, RuleCtx};
use crate::model::find;

crate::declare_lint! {
    /// The `template-label-missing` lint.
    pub struct TemplateLabelMissing {
        code: "ML204",
        name: "template-label-missing",
        category: Correctness,
        severity: Warning,
        summary: "a template reads a label the alert's series can never have",
    }
}

impl Lint for TemplateLabelMissing {
    /// For alerting rules: every label a template reads is looked up in
    /// the expression's possible output label sets (`promql::labels`); it
    /// is flagged when no alternative can carry it. Labels set by the rule
    /// or its group count as present.
    fn check_rule(&self, cx: &RuleCtx, rep: &mut Reporter) {
        let rule = cx.rule;
        if !rule.is_alert() {
            return;
        }
        let Some(expr) = rule.expr.as_ref().filter(|e| e.ast.is_some()) else {
            return;
        };
        for (what, kv) in rule
            .labels
            .iter()
            .map(|kv| ("label", kv))
            .chain(rule.annotations.iter().map(|kv| ("annotation", kv)))
        {
            for r in &kv.template().label_refs {
                if find(&rule.labels, &r.label).is_some()
                    || find(&cx.group.labels, &r.label).is_some()
                {
                    continue;
                }
                let sets = expr.output_labels();
                if sets.iter().any(|s| s.may_have(&r.label)) {
                    continue;
                }
                let kept: Vec<String> = sets
                    .iter()
                    .flat_map(|s| s.labels.keys())
                    .filter(|k| *k != "__name__")
                    .map(|k| format!("`{k}`"))
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                let has = if kept.is_empty() {
                    "no labels".to_string()
                } else {
                    format!("only {}", kept.join(", "))
                };
                rep.report(kv.value.sub_span(r.range.start, r.range.end), format!(
                            "{what} {:?} reads label {:?}, which the alert's series cannot have (they carry {has}): it is always empty",
                            kv.key.value, r.label
                        ))
                    .help(format!(
                        "keep {:?} in the expression (e.g. add it to `by (…)`), or stop reading it",
                        r.label
                    ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    #[test]
    fn flags_label_aggregated_away() {
        let y = "groups:\n- name: g\n  rules:\n  - alert: GPUHot\n    expr: max by (Hostname) (DCGM_FI_DEV_GPU_TEMP) > 85\n    for: 5m\n    annotations:\n      summary: \"GPU {{ $labels.gpu }} on {{ $labels.Hostname }} is hot\"\n";
        let d = run_on(&super::META, y);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].span.start, y.find("gpu }}").unwrap());
    }

    #[test]
    fn passes_kept_open_and_static_labels() {
        let y = "groups:\n- name: g\n  labels:\n    team: ml\n  rules:\n  - alert: GPUHot\n    expr: max by (Hostname, gpu) (DCGM_FI_DEV_GPU_TEMP) > 85 or DCGM_FI_DEV_GPU_TEMP{gpu=\"0\"} > 90\n    for: 5m\n    labels:\n      severity: warning\n    annotations:\n      summary: \"{{ $labels.gpu }} {{ $labels.pod }} {{ $labels.severity }} {{ $labels.team }}\"\n";
        assert!(run_on(&super::META, y).is_empty());
    }
}
