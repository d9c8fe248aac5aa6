//! `dcgm-field-unknown` (ML250): a `DCGM_FI_*` metric name that is no DCGM
//! field: a typo, so the selector matches nothing and the alert never fires.

use crate::diagnostic::suggest::closest;
use crate::lint::{Lint, Reporter, RuleCtx};
use crate::promql::analysis::{selector_name, walk};
use crate::promql::ast::Expr;
use crate::promql::dcgm::{FIELDS, field};
use crate::promql::selectors::selector_name_span;

crate::declare_lint! {
    /// The `dcgm-field-unknown` lint.
    pub struct DcgmFieldUnknown {
        code: "ML250",
        name: "dcgm-field-unknown",
        category: Correctness,
        severity: Error,
        summary: "a `DCGM_FI_*` metric name is not a DCGM field (a typo): it matches no series",
    }
}

impl Lint for DcgmFieldUnknown {
    /// Flags each selector whose metric name starts with `DCGM_FI_` and is
    /// not in the DCGM field table, once per name and rule, with the closest
    /// existing field by edit distance.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let Some((expr, ast)) = cx.parsed() else {
            return;
        };
        let mut seen: Vec<&str> = Vec::new();
        walk(ast, &mut |e| {
            if !matches!(e, Expr::VectorSelector(_) | Expr::MatrixSelector(_)) {
                return;
            }
            let Some(name) = selector_name(e) else { return };
            if !name.starts_with("DCGM_FI_") || field(name).is_some() || seen.contains(&name) {
                return;
            }
            seen.push(name);
            let near = suggestion(name);
            let help = match near {
                Some(n) => format!("did you mean `{n}`?"),
                None => "check the name against dcgm-exporter's counters file (`dcgmi dmon -l` lists the fields)".to_string(),
            };
            r.report(
                expr.span_or_whole(selector_name_span(e)),
                format!("`{name}` is not a DCGM field: the selector matches no series"),
            )
            .help(help);
        });
    }
}

/// The closest existing field: within a third of the name's length, exported
/// fields first among equals.
fn suggestion(name: &str) -> Option<&'static str> {
    let max = (name.len() / 3).max(2);
    let exported = FIELDS
        .iter()
        .filter(|f| f.exported_by_default)
        .map(|f| f.name);
    let any = FIELDS.iter().map(|f| f.name);
    let a = closest(name, exported, max);
    let b = closest(name, any, max);
    match (a, b) {
        (Some(a), Some(b)) => {
            use crate::diagnostic::suggest::edit_distance as d;
            Some(if d(name, b) < d(name, a) { b } else { a })
        }
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    fn alert(expr: &str) -> String {
        format!("groups:\n- name: g\n  rules:\n  - alert: GPUHot\n    expr: {expr}\n    for: 5m\n")
    }

    #[test]
    fn flags_typos_with_a_suggestion() {
        let d = run_on(&super::META, &alert("DCGM_FI_DEV_GPU_TEMPERATURE > 85"));
        assert_eq!(d.len(), 1);
        assert!(
            d[0].help
                .as_deref()
                .unwrap()
                .contains("`DCGM_FI_DEV_GPU_TEMP`"),
            "{:?}",
            d[0].help
        );
        let d = run_on(
            &super::META,
            &alert("DCGM_FI_DEV_FB_USE / DCGM_FI_DEV_FB_USE > 1"),
        );
        assert_eq!(d.len(), 1);
        assert!(
            d[0].help
                .as_deref()
                .unwrap()
                .contains("`DCGM_FI_DEV_FB_USED`")
        );
        let y = alert("DCGM_FI_DEV_GPU_UTILIZATION > 90");
        let d = run_on(&super::META, &y);
        assert_eq!(
            d[0].span.start,
            y.find("DCGM_FI_DEV_GPU_UTILIZATION").unwrap()
        );
    }

    #[test]
    fn passes_known_fields_and_other_metrics() {
        for e in [
            "DCGM_FI_DEV_GPU_TEMP > 85",
            "DCGM_FI_PROF_GR_ENGINE_ACTIVE < 0.1",
            "DCGM_EXP_XID_ERRORS_COUNT > 0",
            "nvidia_gpu_temperature_celsius > 85",
            "{__name__=~\"DCGM_FI_.*\"} > 0",
        ] {
            assert!(run_on(&super::META, &alert(e)).is_empty(), "{e}");
        }
    }
}
