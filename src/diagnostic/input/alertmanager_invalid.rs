//! `alertmanager-invalid` (ML904): Alertmanager refuses to load this configuration
//!
//! Reported by the model for Alertmanager configs: unknown or duplicate keys, bad durations, undefined receivers, invalid matchers.

use crate::diagnostic::{Category, LintMeta, Severity};

/// Metadata of `alertmanager-invalid`.
pub static META: LintMeta = LintMeta {
    code: "ML904",
    name: "alertmanager-invalid",
    category: Category::Invalid,
    severity: Severity::Error,
    summary: "Alertmanager refuses to load this configuration",
};
