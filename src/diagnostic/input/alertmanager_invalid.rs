//! `alertmanager-invalid` (ML904): Alertmanager refuses to load this configuration
//!
//! Reported by the model for Alertmanager configs: unknown or duplicate keys, bad durations, undefined receivers, invalid matchers.

crate::declare_input_lint! {
    code: "ML904",
    name: "alertmanager-invalid",
    category: Invalid,
    severity: Error,
    summary: "Alertmanager refuses to load this configuration",
}
