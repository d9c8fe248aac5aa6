//! `label-never-present` (ML502): a label named in `by`, `without`, `on`,
//! `ignoring`, `group_left`/`group_right` or as `label_replace`'s source
//! (or read as `$labels.x` in an alerting rule's templates)
//! is carried by none of the series the expression reads, as Prometheus
//! (the snapshot or a live `--prometheus`) knows them.

use std::collections::BTreeSet;

use crate::lint::{Lint, Reporter, RuleCtx};
use crate::promql::analysis::walk;
use crate::promql::ast::{Expr, Span, VectorMatchCardinality};
use crate::promql::labels::Known;
use crate::promql::selectors::selector_uses;

crate::declare_lint! {
    /// `label-never-present`: a label used in grouping or matching is on no series read.
    pub struct LabelNeverPresent {
        code: "ML502",
        name: "label-never-present",
        category: Suspicious,
        severity: Warning,
        summary: "a label used in grouping or matching is on none of the series the expression reads",
    }
}

/// Every label name the expression uses in grouping and matching
/// modifiers and as `label_replace`'s source, with its span; and the
/// labels it creates (`label_replace`/`label_join` targets, `count_values`).
fn used_and_created(ast: &Expr) -> (Vec<(String, Span)>, BTreeSet<String>) {
    let mut used = Vec::new();
    let mut created = BTreeSet::new();
    let lit = |e: &Expr| match e {
        Expr::StringLiteral(s) => Some((s.val.clone(), s.span)),
        _ => None,
    };
    walk(ast, &mut |e| match e {
        Expr::Aggregate(a) => {
            if let Some(m) = &a.modifier {
                let l = m.labels();
                used.extend(l.labels.iter().cloned().zip(l.spans.iter().copied()));
            }
            if a.op.to_string() == "count_values"
                && let Some((v, _)) = a.param.as_deref().and_then(lit)
            {
                created.insert(v);
            }
        }
        Expr::Binary(b) => {
            if let Some(m) = &b.modifier {
                if let Some(on) = &m.matching {
                    let l = on.labels();
                    used.extend(l.labels.iter().cloned().zip(l.spans.iter().copied()));
                }
                if let VectorMatchCardinality::ManyToOne(l) | VectorMatchCardinality::OneToMany(l) =
                    &m.card
                {
                    used.extend(l.labels.iter().cloned().zip(l.spans.iter().copied()));
                }
            }
        }
        Expr::Call(c) if matches!(c.func.name, "label_replace" | "label_join") => {
            if let Some((dst, _)) = c.args.args.get(1).and_then(|a| lit(a)) {
                created.insert(dst);
            }
            if c.func.name == "label_replace"
                && let Some((src, span)) = c.args.args.get(3).and_then(|a| lit(a))
            {
                used.push((src, span));
            }
        }
        _ => {}
    });
    (used, created)
}

impl Lint for LabelNeverPresent {
    /// Only when every selector of the expression is named and its metric
    /// is known to the facts (so its label names are all known); labels the
    /// expression creates, `__name__`, and a `le`/`quantile` used on
    /// histogram or summary series are never flagged.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let Some(facts) = cx.config.facts() else {
            return;
        };
        let Some((expr, ast)) = cx.parsed() else {
            return;
        };
        let mut names = BTreeSet::new();
        let mut carried: BTreeSet<&str> = BTreeSet::new();
        for u in selector_uses(ast) {
            let Some(n) = u.name else { return };
            let Some(labels) = facts.label_names(n) else {
                return;
            };
            carried.extend(labels);
            names.insert(n);
        }
        if names.is_empty() {
            return;
        }
        let (used, created) = used_and_created(ast);
        let mut seen = BTreeSet::new();
        for (label, span) in used {
            if label == "__name__"
                || label.is_empty()
                || carried.contains(label.as_str())
                || created.contains(&label)
                || !seen.insert(label.clone())
            {
                continue;
            }
            let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            r.report(
                expr.span_of(span.start..span.end),
                format!(
                    "label `{label}` is on none of the series of {} in Prometheus ({})",
                    names.join(", "),
                    facts.source
                ),
            )
            .help("use a label the series carry (see the exporter's /metrics or the snapshot), or add it with relabelling");
        }
        // `$labels.x` in an alerting rule's templates where the result may
        // carry the input series' labels (`template-label-missing` covers
        // labels the expression removes or the rule sets).
        let sets = expr.output_labels();
        for (what, kv) in cx.alert_templates() {
            for t in &kv.template().label_refs {
                let label = t.label.as_str();
                let kept = sets.iter().any(|s| s.known(label) != Known::Absent);
                if !kept
                    || label == "__name__"
                    || carried.contains(label)
                    || created.contains(label)
                    || cx.group.label_of(cx.rule, label).is_some()
                    || !seen.insert(label.to_string())
                {
                    continue;
                }
                let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
                r.report(
                    kv.value.sub_span(t.range.start, t.range.end),
                    format!(
                        "{what} {:?} reads label `{label}`, which is on none of the series of {} in Prometheus ({}): it expands to an empty string",
                        kv.key.value,
                        names.join(", "),
                        facts.source
                    ),
                )
                .help("read a label the series carry (see the exporter's /metrics or the snapshot)");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on_with;

    use crate::lint::snapshot_fixture_config as config;

    fn rule(expr: &str) -> String {
        format!(
            "groups:\n- name: g\n  rules:\n  - alert: GpuIdle\n    expr: '{expr}'\n    for: 5m\n"
        )
    }

    #[test]
    fn flags_a_grouping_label_no_series_has() {
        let y = rule("avg by (pod) (DCGM_FI_DEV_GPU_UTIL) < 10");
        let d = run_on_with(&super::META, &[&y], config());
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(&y[d[0].span.start..d[0].span.end], "pod");
        let y = rule(
            r#"label_replace(DCGM_FI_DEV_GPU_UTIL, "node", "$1", "kubernetes_node", "(.*)") < 10"#,
        );
        assert_eq!(run_on_with(&super::META, &[&y], config()).len(), 1);
    }

    #[test]
    fn flags_a_template_label_no_series_has() {
        let y = "groups:\n- name: g\n  rules:\n  - alert: GpuHot\n    expr: DCGM_FI_DEV_GPU_UTIL > 90\n    for: 5m\n    annotations:\n      summary: 'GPU {{ $labels.gpu }} of {{ $labels.pod }} is busy'\n";
        let d = run_on_with(&super::META, &[y], config());
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(
            d[0].span.start,
            y.find("$labels.pod").unwrap() + "$labels.".len()
        );
        assert_eq!(&y[d[0].span.start..d[0].span.end], "pod");
        // Aggregated away: template-label-missing's, not this lint's.
        let y = y.replace(
            "DCGM_FI_DEV_GPU_UTIL > 90",
            "sum by (gpu) (DCGM_FI_DEV_GPU_UTIL) > 90",
        );
        assert!(run_on_with(&super::META, &[&y], config()).is_empty());
    }

    #[test]
    fn passes_carried_created_and_unknown_labels() {
        for e in [
            "avg by (Hostname, gpu) (DCGM_FI_DEV_GPU_UTIL) < 10",
            r#"count by (node) (label_replace(DCGM_FI_DEV_GPU_UTIL, "node", "$1", "Hostname", "(.*)")) > 1"#,
            "avg by (pod) (unknown_metric) < 1",
        ] {
            assert!(
                run_on_with(&super::META, &[&rule(e)], config()).is_empty(),
                "{e}"
            );
        }
    }
}
