//! Lints over alerting and recording rules, one per file.

pub mod inverted_gpu_memory_ratio;
pub mod missing_for;
pub mod missing_runbook;
pub mod unbounded_label_cardinality;
