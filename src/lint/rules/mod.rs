//! Lints over alerting and recording rules, one per file.

pub mod inverted_gpu_memory_ratio;
pub mod missing_for;
pub mod missing_required_label;
pub mod missing_runbook;
pub mod unbounded_label_cardinality;

// Rule hygiene (ML104+) and ML/GPU lints (ML250+).
pub mod alert_name_style;
pub mod dcgm_field_not_exported_by_default;
pub mod dcgm_field_unknown;
pub mod dcgm_unit_mismatch;
pub mod drift_alert_for_too_short;
pub mod for_below_policy;
pub mod group_interval_too_long;
pub mod keep_firing_for_without_for;
pub mod missing_severity;
pub mod missing_summary;
pub mod recording_rule_naming;
pub mod runbook_url_outside_prefix;
pub mod severity_not_allowed;
// PromQL meaning (ML202+).
pub mod alert_without_condition;
pub mod condition_always_true;
pub mod condition_never_true;
pub mod counter_function_on_gauge;
pub mod division_may_be_zero;
pub mod experimental_promql;
pub mod external_label_missing;
pub mod for_above_policy;
pub mod for_below_evaluation_interval;
pub mod gauge_function_on_counter;
pub mod histogram_quantile_misuse;
pub mod irate_in_alert;
pub mod label_already_removed;
pub mod label_never_present;
pub mod long_window_evaluated_often;
pub mod rate_of_sum;
pub mod rate_window_too_short;
pub mod raw_counter_comparison;
pub mod recording_shadows_metric;
pub mod regex_needless;
pub mod sampling_function_in_alert;
pub mod template_label_missing;
pub mod template_query_misuse;
pub mod template_syntax;
pub mod template_unexpanded_text;
pub mod vector_matching_mismatch;
