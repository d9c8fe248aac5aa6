//! The catalogue: every lint mlalert runs, and every lint it can report.

use super::input;
use super::{Lint, LintMeta};

/// Lints run as passes, in code order.
pub static LINTS: &[&dyn Lint] = &[
    &super::rules::missing_for::MissingFor,
    &super::rules::missing_runbook::MissingRunbook,
    &super::rules::unbounded_label_cardinality::UnboundedLabelCardinality,
    &super::rules::inverted_gpu_memory_ratio::InvertedGpuMemoryRatio,
    // PromQL meaning (ML202+).
    &super::rules::histogram_quantile_misuse::HistogramQuantileMisuse,
    &super::rules::vector_matching_mismatch::VectorMatchingMismatch,
    &super::rules::template_label_missing::TemplateLabelMissing,
    &super::rules::template_syntax::TemplateSyntax,
    &super::rules::alert_without_condition::AlertWithoutCondition,
    &super::rules::counter_function_on_gauge::CounterFunctionOnGauge,
    &super::rules::raw_counter_comparison::RawCounterComparison,
    &super::rules::rate_window_too_short::RateWindowTooShort,
    &super::rules::rate_of_sum::RateOfSum,
    &super::rules::sampling_function_in_alert::SamplingFunctionInAlert,
    &super::rules::regex_needless::RegexNeedless,
    &super::rules::division_may_be_zero::DivisionMayBeZero,
    &super::alertmanager::route_shadowed::RouteShadowed,
    &super::alertmanager::group_wait_zero::GroupWaitZero,
];

/// Lints reported by the loader and the CLI (ML9xx).
pub static INPUT: &[&LintMeta] = &[
    &input::yaml_syntax::META,
    &input::promql_syntax::META,
    &input::rule_invalid::META,
    &input::alertmanager_invalid::META,
    &input::templated_skipped::META,
    &input::file_unreadable::META,
];

/// Every lint's metadata, sorted by code.
pub fn all() -> Vec<&'static LintMeta> {
    let mut v: Vec<&'static LintMeta> = LINTS
        .iter()
        .map(|l| l.meta())
        .chain(INPUT.iter().copied())
        .collect();
    v.sort_by_key(|m| m.code);
    v
}

/// The lint with this code or name (case-insensitive).
pub fn find(code_or_name: &str) -> Option<&'static LintMeta> {
    all().into_iter().find(|m| {
        m.code.eq_ignore_ascii_case(code_or_name) || m.name.eq_ignore_ascii_case(code_or_name)
    })
}

/// The README's lint table, generated from the registry (a test checks that
/// README.md holds exactly this between its lint-table markers).
pub fn markdown_table() -> String {
    let defaults = crate::config::Config::default();
    let mut out = String::from(
        "| Code | Name | Category | Severity | What it finds |\n|---|---|---|---|---|\n",
    );
    for m in all() {
        let off = if defaults.is_enabled(m) {
            ""
        } else {
            " (off by default)"
        };
        out.push_str(&format!(
            "| {} | [{}](lints/{}-{}.md) | {} | {} | {}{off} |\n",
            m.code,
            m.name,
            m.code,
            m.name,
            m.category.as_str(),
            m.severity.as_str(),
            m.summary.replace('|', "\\|")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        let all = all();
        for (i, m) in all.iter().enumerate() {
            assert!(m.code.len() == 5 && m.code.starts_with("ML"), "{}", m.code);
            assert!(
                m.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}",
                m.name
            );
            assert!(
                all[i + 1..]
                    .iter()
                    .all(|o| o.code != m.code && o.name != m.name),
                "{} repeated",
                m.code
            );
            if m.category == super::super::Category::Invalid {
                assert_eq!(
                    m.severity == super::super::Severity::Error,
                    m.code != "ML905",
                    "{}",
                    m.code
                );
            }
        }
        assert_eq!(find("missing-for").map(|m| m.code), Some("ML101"));
        assert_eq!(find("ml301").map(|m| m.name), Some("route-shadowed"));
    }
}
