//! `templated-file-skipped` (ML905): a Helm or Go-templated file was skipped
//!
//! Reported once per file by the loader: `{{ ... }}` outside YAML strings means the file must be rendered (helm template) before it can be checked.

crate::declare_input_lint! {
    code: "ML905",
    name: "templated-file-skipped",
    category: Invalid,
    severity: Info,
    summary: "a Helm or Go-templated file was skipped",
}
