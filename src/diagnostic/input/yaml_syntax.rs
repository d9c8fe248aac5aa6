//! `yaml-syntax` (ML901): the file is not valid YAML
//!
//! Reported by the loader with the YAML parser's message and position; the run exits 2.

crate::declare_input_lint! {
    code: "ML901",
    name: "yaml-syntax",
    category: Invalid,
    severity: Error,
    summary: "the file is not valid YAML",
}
