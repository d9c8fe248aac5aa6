//! `file-unreadable` (ML906): a file could not be read as text
//!
//! Reported by the CLI for missing or unreadable paths, directories named like YAML files, binary and non-UTF-8 files; the run exits 2.

use crate::diagnostic::{Category, LintMeta, Severity};

/// Metadata of `file-unreadable`.
pub static META: LintMeta = LintMeta {
    code: "ML906",
    name: "file-unreadable",
    category: Category::Invalid,
    severity: Severity::Error,
    summary: "a file could not be read as text",
};
