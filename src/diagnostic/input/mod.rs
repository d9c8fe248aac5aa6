//! Lints about the input itself (ML9xx). They are reported by the loader
//! (`model::load`) and the CLI, not run as passes; each file holds the lint's
//! metadata and says where it is reported.

pub mod alertmanager_invalid;
pub mod file_not_recognised;
pub mod file_unreadable;
pub mod promql_syntax;
pub mod rule_dialect;
pub mod rule_invalid;
pub mod rules_like_file_skipped;
pub mod secret_data_invalid;
pub mod templated_skipped;
pub mod unused_suppression;
pub mod yaml_syntax;
