//! `secret-data-invalid` (ML911): a Secret's `data` value is not base64, or
//! a rule file or Alertmanager config in it does not decode to UTF-8
//!
//! Reported by the loader (`model::load`) at the value: Kubernetes refuses a
//! Secret whose `data` is not padded standard base64 (Go's
//! `base64.StdEncoding`, line breaks ignored), and a value under a key ending
//! in `.yaml`, `.yml` or `.rules` that decodes to bytes that are not UTF-8
//! cannot be loaded by Prometheus or Alertmanager. Other keys may hold binary
//! data (certificates, keystores) and are not reported.

crate::declare_input_lint! {
    code: "ML911",
    name: "secret-data-invalid",
    category: Invalid,
    severity: Error,
    summary: "a Secret's data value is not base64, or its YAML does not decode to UTF-8",
}
