//! `promql-syntax` (ML902): an expression is not valid PromQL
//!
//! Reported by the model when promql-parser rejects a rule's `expr` (also when it panics), positioned at the expression or the offending token.

use crate::diagnostic::{Category, LintMeta, Severity};

/// Metadata of `promql-syntax`.
pub static META: LintMeta = LintMeta {
    code: "ML902",
    name: "promql-syntax",
    category: Category::Invalid,
    severity: Severity::Error,
    summary: "an expression is not valid PromQL",
};
