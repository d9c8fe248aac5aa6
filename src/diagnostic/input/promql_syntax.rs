//! `promql-syntax` (ML902): an expression is not valid PromQL
//!
//! Reported by the model when our PromQL front end (`promql::syntax`) rejects a rule's `expr`, with promtool's message (`1:4: parse error: unexpected "="`), positioned at the offending token.

crate::declare_input_lint! {
    code: "ML902",
    name: "promql-syntax",
    category: Invalid,
    severity: Error,
    summary: "an expression is not valid PromQL",
}
