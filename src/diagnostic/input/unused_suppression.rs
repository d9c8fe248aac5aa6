//! `unused-suppression` (ML907): a `# mlalert: disable=…` comment that
//! silences nothing: the finding is gone, the lint name is wrong, or the
//! comment is not attached to a rule, route, receiver or inhibit rule.
//!
//! Reported by `lint::suppress::apply` after every other pass.

use crate::diagnostic::{Category, LintMeta, Severity};

/// Metadata of `unused-suppression`.
pub static META: LintMeta = LintMeta {
    code: "ML907",
    name: "unused-suppression",
    category: Category::Suspicious,
    severity: Severity::Warning,
    summary: "a suppression comment silences nothing",
};
