//! `yaml-syntax` (ML901): the file is not valid YAML
//!
//! Reported by the loader with the YAML parser's message and position; the run exits 2.

use crate::diagnostic::{Category, LintMeta, Severity};

/// Metadata of `yaml-syntax`.
pub static META: LintMeta = LintMeta {
    code: "ML901",
    name: "yaml-syntax",
    category: Category::Invalid,
    severity: Severity::Error,
    summary: "the file is not valid YAML",
};
