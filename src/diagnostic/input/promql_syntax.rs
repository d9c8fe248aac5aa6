//! `promql-syntax` (ML902): an expression is not valid PromQL
//!
//! Reported by the model when promql-parser rejects a rule's `expr` (also when it panics), positioned at the expression or the offending token.

crate::declare_input_lint! {
    code: "ML902",
    name: "promql-syntax",
    category: Invalid,
    severity: Error,
    summary: "an expression is not valid PromQL",
}
