//! `unused-suppression` (ML907): a `# mlalert: disable=…` comment that
//! silences nothing: the finding is gone, the lint name is wrong, or the
//! comment is not attached to a rule, route, receiver or inhibit rule.
//!
//! Reported by `lint::suppress::apply` after every other pass.

crate::declare_input_lint! {
    code: "ML907",
    name: "unused-suppression",
    category: Suspicious,
    severity: Warning,
    summary: "a suppression comment silences nothing",
}
