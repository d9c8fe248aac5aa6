//! The catalogue: every lint mlalert runs, and every lint it can report.

use super::{Lint, LintMeta};
use crate::diagnostic::input;

/// Lints run as passes, in code order.
pub static LINTS: &[&dyn Lint] = &[
    &super::rules::missing_for::MissingFor,
    &super::rules::missing_required_label::MissingRequiredLabel,
    &super::rules::missing_runbook::MissingRunbook,
    &super::rules::unbounded_label_cardinality::UnboundedLabelCardinality,
    &super::rules::inverted_gpu_memory_ratio::InvertedGpuMemoryRatio,
    // Rule hygiene (ML104+) and ML/GPU lints (ML250+).
    &super::rules::missing_severity::MissingSeverity,
    &super::rules::severity_not_allowed::SeverityNotAllowed,
    &super::rules::missing_summary::MissingSummary,
    &super::project::duplicate_alert::DuplicateAlert,
    &super::project::duplicate_rule_group::DuplicateRuleGroup,
    &super::rules::recording_rule_naming::RecordingRuleNaming,
    &super::rules::alert_name_style::AlertNameStyle,
    &super::rules::keep_firing_for_without_for::KeepFiringForWithoutFor,
    &super::rules::group_interval_too_long::GroupIntervalTooLong,
    &super::rules::dcgm_field_unknown::DcgmFieldUnknown,
    &super::rules::dcgm_field_not_exported_by_default::DcgmFieldNotExportedByDefault,
    &super::rules::dcgm_unit_mismatch::DcgmUnitMismatch,
    &super::project::staleness_alert_never_fires::StalenessAlertNeverFires,
    &super::rules::drift_alert_for_too_short::DriftAlertForTooShort,
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
    &super::alertmanager::deprecated_matcher_syntax::DeprecatedMatcherSyntax,
    &super::alertmanager::placeholder_secret::PlaceholderSecret,
    &super::alertmanager::plaintext_secret::PlaintextSecret,
    &super::alertmanager::group_interval_too_short::GroupIntervalTooShort,
    &super::alertmanager::repeat_interval_below_group_interval::RepeatIntervalBelowGroupInterval,
    &super::alertmanager::unused_receiver::UnusedReceiver,
    &super::alertmanager::inhibit_rule_without_equal::InhibitRuleWithoutEqual,
    &super::alertmanager::inhibit_rule_self_match::InhibitRuleSelfMatch,
    &super::alertmanager::relative_secret_file_path::RelativeSecretFilePath,
    &super::alertmanager::null_receiver_inherits::NullReceiverInherits,
    &super::alertmanager::global_http_config_credentials::GlobalHttpConfigCredentials,
    &super::project::alert_unrouted::AlertUnrouted,
    &super::project::alert_swallowed::AlertSwallowed,
    &super::project::route_unused::RouteUnused,
    &super::project::receiver_unreachable::ReceiverUnreachable,
    &super::project::inhibit_rule_dead::InhibitRuleDead,
    &super::project::inhibit_mutes_critical::InhibitMutesCritical,
    &super::project::group_by_label_missing::GroupByLabelMissing,
];

/// Lints reported by the loader and the CLI (ML9xx).
pub static INPUT: &[&LintMeta] = &[
    &input::yaml_syntax::META,
    &input::promql_syntax::META,
    &input::rule_invalid::META,
    &input::alertmanager_invalid::META,
    &input::templated_skipped::META,
    &input::file_unreadable::META,
    &input::unused_suppression::META,
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
