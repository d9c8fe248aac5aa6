//! `rule-invalid` (ML903): Prometheus refuses to load this rule file
//!
//! Reported by the model for what Prometheus' rulefmt rejects: missing `expr`, both `alert` and `record`, bad durations, unknown or duplicate keys, repeated group names.

crate::declare_input_lint! {
    code: "ML903",
    name: "rule-invalid",
    category: Invalid,
    severity: Error,
    summary: "Prometheus refuses to load this rule file",
}
