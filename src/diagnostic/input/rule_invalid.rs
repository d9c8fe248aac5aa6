//! `rule-invalid` (ML903): Prometheus refuses to load this rule file
//!
//! Reported by the model for what Prometheus' rulefmt rejects: missing `expr`, both `alert` and `record`, bad durations, unknown or duplicate keys, repeated group names.

use crate::diagnostic::{Category, LintMeta, Severity};

/// Metadata of `rule-invalid`.
pub static META: LintMeta = LintMeta {
    code: "ML903",
    name: "rule-invalid",
    category: Category::Invalid,
    severity: Severity::Error,
    summary: "Prometheus refuses to load this rule file",
};
