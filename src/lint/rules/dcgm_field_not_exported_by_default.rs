//! `dcgm-field-not-exported-by-default` (ML251): a DCGM field that
//! dcgm-exporter does not export with its default counters file: unless the
//! deployment adds it, the alert has no data and never fires.

use crate::lint::{Lint, Reporter, RuleCtx};
use crate::promql::analysis::{selector_name, walk};
use crate::promql::ast::Expr;
use crate::promql::dcgm::{FIELDS, MetricType, field};
use crate::promql::selectors::selector_name_span;

crate::declare_lint! {
    /// The `dcgm-field-not-exported-by-default` lint.
    pub struct DcgmFieldNotExportedByDefault {
        code: "ML251",
        name: "dcgm-field-not-exported-by-default",
        category: Suspicious,
        severity: Info,
        summary: "a DCGM field is not in dcgm-exporter's default counters: no data unless your exporter adds it",
    }
}

crate::declare_setting! {
    /// `dcgm_exported_fields`: DCGM fields your dcgm-exporter counters file adds to the defaults.
    pub static DCGM_EXPORTED_FIELDS: Vec<String> = {
        key: "dcgm_exported_fields",
        default: "[]",
        doc: "DCGM fields your dcgm-exporter counters file adds to its defaults (dcgm-field-not-exported-by-default).",
        lint: "dcgm-field-not-exported-by-default",
    }
}

impl Lint for DcgmFieldNotExportedByDefault {
    /// Flags each selector (once per name and rule) of a DCGM field that is
    /// not exported by dcgm-exporter's default counters file, or that it
    /// exports as a label on the other metrics rather than as a series.
    /// Fields listed in `dcgm_exported_fields` are taken as exported.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let Some((expr, ast)) = cx.parsed() else {
            return;
        };
        let extra = cx.config.get(&DCGM_EXPORTED_FIELDS);
        let mut seen: Vec<&str> = Vec::new();
        walk(ast, &mut |e| {
            if !matches!(e, Expr::VectorSelector(_) | Expr::MatrixSelector(_)) {
                return;
            }
            let Some(name) = selector_name(e) else { return };
            let Some(f) = field(name) else { return };
            if seen.contains(&name) || extra.iter().any(|x| x == name) {
                return;
            }
            let (message, help) = if !f.exported_by_default {
                let same = FIELDS.iter().find(|o| {
                    o.id == f.id && o.exported_by_default && o.exporter_type != MetricType::Label
                });
                let help = match same {
                    Some(o) => format!(
                        "the default counters export this field as `{}`: use that name, or add `{name}` to your dcgm-exporter counters CSV (then list it in `dcgm_exported_fields`)",
                        o.name
                    ),
                    None => format!(
                        "add `{name}` to the counters CSV your dcgm-exporter runs with (`-f`/`DCGM_EXPORTER_COLLECTORS`) and list it in `dcgm_exported_fields` in .mlalert.yaml"
                    ),
                };
                (
                    format!(
                        "`{name}` is not in dcgm-exporter's default counters: without a custom counters file this selector has no data"
                    ),
                    help,
                )
            } else if f.exporter_type == MetricType::Label {
                (
                    format!("`{name}` is exported by dcgm-exporter as a label on every metric, not as a series of its own"),
                    "select on the label instead, e.g. `DCGM_FI_DEV_GPU_TEMP{DCGM_FI_DRIVER_VERSION=\"…\"}`".to_string(),
                )
            } else {
                return;
            };
            seen.push(name);
            r.report(expr.span_or_whole(selector_name_span(e)), message)
                .help(help);
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    fn alert(expr: &str) -> String {
        format!(
            "groups:\n- name: g\n  rules:\n  - alert: GPUMemoryHigh\n    expr: {expr}\n    for: 5m\n"
        )
    }

    #[test]
    fn flags_fields_outside_the_default_counters() {
        let d = run_on(
            &super::META,
            &alert("DCGM_FI_DEV_FB_USED / DCGM_FI_DEV_FB_TOTAL > 0.9"),
        );
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("DCGM_FI_DEV_FB_TOTAL"));
        let d = run_on(&super::META, &alert("DCGM_FI_DEV_GPU_UTIL_RATIO > 0.9"));
        assert!(
            d[0].help
                .as_deref()
                .unwrap()
                .contains("`DCGM_FI_DEV_GPU_UTIL`"),
            "{:?}",
            d[0].help
        );
        assert_eq!(
            run_on(&super::META, &alert("DCGM_FI_DRIVER_VERSION > 0")).len(),
            1
        );
    }

    #[test]
    fn passes_default_fields_and_configured_extras() {
        for e in [
            "DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE) > 0.9",
            "DCGM_FI_DEV_GPU_TEMP > 85",
            "DCGM_FI_DEV_FB_TOTLA > 1",
        ] {
            assert!(run_on(&super::META, &alert(e)).is_empty(), "{e}");
        }
    }
}
