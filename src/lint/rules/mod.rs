//! Lints over alerting and recording rules, one per file.

pub mod inverted_gpu_memory_ratio;
pub mod missing_for;
pub mod missing_runbook;
pub mod unbounded_label_cardinality;
// PromQL meaning (ML202+).
pub mod alert_without_condition;
pub mod counter_function_on_gauge;
pub mod division_may_be_zero;
pub mod histogram_quantile_misuse;
pub mod rate_of_sum;
pub mod rate_window_too_short;
pub mod raw_counter_comparison;
pub mod regex_needless;
pub mod sampling_function_in_alert;
pub mod template_label_missing;
pub mod template_syntax;
pub mod vector_matching_mismatch;
