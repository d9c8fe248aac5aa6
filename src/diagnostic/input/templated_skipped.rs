//! `templated-file-skipped` (ML905): a Helm or Go-templated file was skipped
//!
//! Reported once per file by the loader: `{{ ... }}` outside YAML strings means the file must be rendered (helm template) before it can be checked.

use crate::diagnostic::{Category, LintMeta, Severity};

/// Metadata of `templated-file-skipped`.
pub static META: LintMeta = LintMeta {
    code: "ML905",
    name: "templated-file-skipped",
    category: Category::Invalid,
    severity: Severity::Info,
    summary: "a Helm or Go-templated file was skipped",
};
