//! The one function table of alert templates: what Go's `text/template`
//! predefines and what Prometheus adds (`template/template.go`,
//! `NewTemplateExpander`, Prometheus 3.x). The static checker
//! ([`super::check`], behind `template-syntax` and `template-label-missing`)
//! accepts exactly these names, and the expander ([`super::expand_alert`],
//! behind `mlalert test`) implements exactly these; a test holds the two to
//! this table.

/// Go's builtin template functions (`text/template`'s `builtins()`).
pub const GO_FUNCTIONS: &[&str] = &[
    "and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf",
    "println", "urlquery", "eq", "ge", "gt", "le", "lt", "ne",
];

/// Prometheus' template functions, as `template/template.go` of Prometheus
/// 3.x registers them. `urlQueryEscape` arrived in 3.8; `urlUnescape` is an
/// Alertmanager function and not among them.
pub const PROMETHEUS_FUNCTIONS: &[&str] = &[
    "query",
    "first",
    "label",
    "value",
    "strvalue",
    "args",
    "reReplaceAll",
    "safeHtml",
    "match",
    "title",
    "toUpper",
    "toLower",
    "graphLink",
    "tableLink",
    "sortByLabel",
    "stripPort",
    "stripDomain",
    "humanize",
    "humanize1024",
    "humanizeDuration",
    "humanizePercentage",
    "humanizeTimestamp",
    "toTime",
    "toDuration",
    "now",
    "pathPrefix",
    "externalURL",
    "parseDuration",
    "urlQueryEscape",
];

/// Variables Prometheus defines before an alert's label or annotation text
/// (`rules/alerting.go` prepends `{{$labels := .Labels}}…`).
pub const ALERT_VARIABLES: &[&str] = &["$labels", "$externalLabels", "$externalURL", "$value"];

/// Whether `name` is a function an alert template may call: Go's or Prometheus'.
pub fn is_function(name: &str) -> bool {
    GO_FUNCTIONS.contains(&name) || PROMETHEUS_FUNCTIONS.contains(&name)
}
