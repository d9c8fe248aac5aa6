//! `file-not-recognised` (ML908): a file named on the command line holds no
//! document mlalert checks
//!
//! Reported by the pipeline (`lint::run`) for a file given as `Input::Named`
//! (named on the command line) that loaded without errors but holds no rule file, rule CRD,
//! Alertmanager config, ConfigMap/Secret embedding one, or unit-test file:
//! the user asked for it to be checked and nothing was.

crate::declare_input_lint! {
    code: "ML908",
    name: "file-not-recognised",
    category: Invalid,
    severity: Info,
    summary: "a file named on the command line holds nothing mlalert checks",
}
