//! `rule-dialect` (ML910): a rule file written for the Thanos ruler or the
//! Mimir/Cortex ruler, recognised by its group fields and checked as such
//!
//! Reported by the loader, once per rule file (or CRD, or embedded rule
//! file) at the first dialect field, when `.mlalert.yaml` sets no
//! `dialect:`. With `dialect: thanos` (or `mimir`) the fields are accepted
//! quietly; with `dialect: prometheus` they are `rule-invalid`, as
//! Prometheus itself refuses them.

crate::declare_input_lint! {
    code: "ML910",
    name: "rule-dialect",
    category: Invalid,
    severity: Info,
    summary: "a Thanos or Mimir/Cortex rule file, recognised by its fields",
}
