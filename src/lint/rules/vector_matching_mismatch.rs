//! `vector-matching-mismatch` (ML203): a binary operation whose two sides
//! can never have the same matching label set, so it returns nothing
//! (`/`, `>`, `and`) or filters nothing (`unless`).

use crate::lint::{Lint, Reporter, RuleCtx};
use crate::promql::analysis::{op_str, walk};
use crate::promql::ast::Expr;
use crate::promql::labels::Labeller;
use crate::promql::matching::never_matches;
use crate::promql::selectors::binary_op_span;

crate::declare_lint! {
    /// The `vector-matching-mismatch` lint.
    pub struct VectorMatchingMismatch {
        code: "ML203",
        name: "vector-matching-mismatch",
        category: Correctness,
        severity: Error,
        summary: "the two sides of a binary operation can never have matching labels",
    }
}

impl Lint for VectorMatchingMismatch {
    /// Flags binary operations between vectors where, for every pair of
    /// the sides' possible label sets (`promql::labels`), some matching
    /// label is present on one side and absent on the other, or takes
    /// disjoint values. Open selectors match anything not known absent.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let Some((expr, ast)) = cx.parsed() else {
            return;
        };
        let labeller = Labeller::new(ast);
        walk(ast, &mut |e| {
            let Expr::Binary(b) = e else { return };
            let Some(m) = never_matches(&labeller, b) else {
                return;
            };
            let op = op_str(&b.op);
            let span = expr.span_or_whole(binary_op_span(e));
            let effect = match op.as_str() {
                "unless" => "`unless` never removes anything",
                _ => "the result is always empty",
            };
            r.report(span, format!(
                        "the sides of `{op}` never match: label {:?} is {} on the left and {} on the right, so {effect}",
                        m.label, m.left, m.right
                    ))
                .help("group both sides by the same labels, or say which labels to match with `on (…)`/`ignoring (…)`");
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    fn rule(expr: &str) -> String {
        format!(
            "groups:\n- name: g\n  rules:\n  - alert: ModelErrorRatioHigh\n    expr: {expr}\n    for: 5m\n"
        )
    }

    #[test]
    fn flags_sides_grouped_by_different_labels() {
        let y = rule(
            "sum by (model) (rate(errors_total[5m])) / sum by (model_name) (rate(requests_total[5m])) > 0.05",
        );
        let d = run_on(&super::META, &y);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].span.start, y.find(" / ").unwrap() + 1);
    }

    #[test]
    fn passes_matching_sides() {
        for e in [
            "sum by (model) (rate(errors_total[5m])) / sum by (model) (rate(requests_total[5m])) > 0.05",
            "sum by (model) (rate(errors_total[5m])) / on (model) group_left sum by (model, pod) (rate(requests_total[5m])) > 0.05",
            "rate(errors_total[5m]) / rate(requests_total[5m]) > 0.05",
        ] {
            assert!(run_on(&super::META, &rule(e)).is_empty(), "{e}");
        }
    }
}
