//! `file-unreadable` (ML906): a file could not be read as text
//!
//! Reported by the CLI for missing or unreadable paths, directories named like YAML files, binary and non-UTF-8 files; the run exits 2.

crate::declare_input_lint! {
    code: "ML906",
    name: "file-unreadable",
    category: Invalid,
    severity: Error,
    summary: "a file could not be read as text",
}
