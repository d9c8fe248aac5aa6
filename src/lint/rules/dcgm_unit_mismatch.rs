//! `dcgm-unit-mismatch` (ML252): a recording rule whose name promises a
//! base unit (`_bytes`, `_hertz`, `_ratio`) built from DCGM fields in
//! another unit (frame buffer in MiB, clocks in MHz, utilisation in percent)
//! with no conversion: every dashboard and alert on it is off by a factor
//! of a million or a hundred.

use crate::lint::{Lint, Reporter, RuleCtx};
use crate::promql::units::{dcgm_unit, expr_unit, name_unit};

crate::declare_lint! {
    /// The `dcgm-unit-mismatch` lint.
    pub struct DcgmUnitMismatch {
        code: "ML252",
        name: "dcgm-unit-mismatch",
        category: Correctness,
        severity: Warning,
        summary: "a recording rule named in one unit is built from DCGM fields in another, without conversion",
    }
}

impl Lint for DcgmUnitMismatch {
    /// Flags recording rules whose name's unit word (the metric part's last
    /// word, else the name's) differs from the unit of the expression as
    /// computed from DCGM fields' units (see `promql::units::expr_unit`:
    /// scaling by a number counts as a conversion and clears the unit).
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let rule = cx.rule;
        if rule.is_alert() {
            return;
        }
        let Some(want) = name_unit(&rule.name.value) else {
            return;
        };
        let Some((_, ast)) = cx.parsed() else {
            return;
        };
        let Some((have, field)) = expr_unit(ast, &dcgm_unit) else {
            return;
        };
        if have == want {
            return;
        }
        let help = match have.conversion(want) {
            Some(c) => format!(
                "convert in the expression: `({}) {c}`",
                rule.expr
                    .as_ref()
                    .map(|e| e.text.value.trim())
                    .unwrap_or("…")
            ),
            None => format!(
                "rename the rule after the unit it holds ({})",
                have.as_str()
            ),
        };
        r.report(rule.name.span, format!(
                    "recording rule {:?} is named in {} but `{field}` is in {} and the expression does not convert it",
                    rule.name.value,
                    want.as_str(),
                    have.as_str()
                ))
            .help(help);
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    fn rec(name: &str, expr: &str) -> String {
        format!("groups:\n- name: g\n  rules:\n  - record: {name}\n    expr: {expr}\n")
    }

    #[test]
    fn flags_unconverted_dcgm_units() {
        for (n, e) in [
            (
                "gpu:fb_used_bytes:sum",
                "sum by (gpu) (DCGM_FI_DEV_FB_USED)",
            ),
            (
                "gpu:sm_clock_hertz:avg",
                "avg by (gpu) (DCGM_FI_DEV_SM_CLOCK)",
            ),
            (
                "gpu:utilisation:ratio",
                "avg_over_time(DCGM_FI_DEV_GPU_UTIL[5m])",
            ),
            (
                "gpu:fb_used:percent",
                "DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE)",
            ),
        ] {
            assert_eq!(run_on(&super::META, &rec(n, e)).len(), 1, "{n}");
        }
        let d = run_on(
            &super::META,
            &rec("gpu:fb_used_bytes:sum", "sum(DCGM_FI_DEV_FB_USED)"),
        );
        assert!(d[0].help.as_deref().unwrap().contains("* 1024 * 1024"));
    }

    #[test]
    fn passes_converted_matching_or_unknown_units() {
        for (n, e) in [
            (
                "gpu:fb_used_bytes:sum",
                "sum(DCGM_FI_DEV_FB_USED) * 1024 * 1024",
            ),
            (
                "gpu:fb_used:ratio",
                "DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE)",
            ),
            ("gpu:utilisation:ratio", "DCGM_FI_DEV_GPU_UTIL / 100"),
            ("gpu:fb_used_mib:sum", "sum(DCGM_FI_DEV_FB_USED)"),
            ("gpu:utilisation:avg", "avg(DCGM_FI_DEV_GPU_UTIL)"),
            (
                "node:memory_used_bytes:sum",
                "sum(node_memory_MemTotal_bytes)",
            ),
        ] {
            assert!(run_on(&super::META, &rec(n, e)).is_empty(), "{n}");
        }
    }
}
