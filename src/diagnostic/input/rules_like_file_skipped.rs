//! `rules-like-file-skipped` (ML909): a file found by walking a directory
//! looks like it holds alerting or recording rules, but holds no document
//! mlalert recognises
//!
//! Reported by the pipeline (`lint::run`), once per file at its first
//! `alert:`/`record:` key: e.g. rules nested in a Helm values file
//! (`additionalPrometheusRulesMap:`), a Loki or vmalert file with other
//! top-level keys, a CRD under an API group mlalert does not know.

crate::declare_input_lint! {
    code: "ML909",
    name: "rules-like-file-skipped",
    category: Invalid,
    severity: Info,
    summary: "a walked file that looks like rules was not recognised and was skipped",
}
