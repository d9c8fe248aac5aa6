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

/// The shape of a value in an alert template, as far as the static checker
/// follows it: the types Prometheus' `template/template.go` and
/// `rules/alerting.go` pass to Go's `text/template`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// The alert data (`.` outside `range`/`with`, and `$`): the struct of
    /// `AlertTemplateData` with fields [`ALERT_FIELDS`].
    Alert,
    /// The alert's labels (`$labels`, the alert's `.Labels`): the result
    /// sample's labels as a `map[string]string`.
    AlertLabels,
    /// The server's external labels (`$externalLabels`, `.ExternalLabels`):
    /// `global.external_labels` as a `map[string]string`.
    ExternalLabels,
    /// Another `map[string]string`: a query sample's `.Labels`.
    Labels,
    /// What `query` returns: `queryResult`, a `[]*sample` slice.
    QueryResult,
    /// One query sample (`*sample`, fields [`SAMPLE_FIELDS`]): what `first`
    /// returns and what `range` over a query result binds.
    Sample,
    /// A number (`$value`, `value`, `len`).
    Number,
    /// A string (`label`, `printf`, `humanize`, …).
    String,
    /// Anything else, or not followed (booleans, times, `call`, `args`).
    Unknown,
}

impl ValueKind {
    /// The struct fields of a value of this kind with the kind of each, or
    /// `None` when the value is not a struct (maps take any key; a slice has
    /// no fields at all).
    pub fn fields(self) -> Option<&'static [(&'static str, ValueKind)]> {
        match self {
            ValueKind::Alert => Some(ALERT_FIELDS),
            ValueKind::Sample => Some(SAMPLE_FIELDS),
            _ => None,
        }
    }

    /// The kind of the elements `range` iterates over (`range query "x"`
    /// binds samples, `range $labels` label values).
    pub fn element(self) -> ValueKind {
        match self {
            ValueKind::QueryResult => ValueKind::Sample,
            ValueKind::AlertLabels | ValueKind::ExternalLabels | ValueKind::Labels => {
                ValueKind::String
            }
            _ => ValueKind::Unknown,
        }
    }
}

/// Fields of the alert data, as `template.AlertTemplateData` builds it
/// (Prometheus 3.x): `Labels`, `ExternalLabels`, `ExternalURL`, `Value`.
pub const ALERT_FIELDS: &[(&str, ValueKind)] = &[
    ("Labels", ValueKind::AlertLabels),
    ("ExternalLabels", ValueKind::ExternalLabels),
    ("ExternalURL", ValueKind::String),
    ("Value", ValueKind::Number),
];

/// Fields of one query sample (`template.go`'s `sample` struct): `Labels`, `Value`.
pub const SAMPLE_FIELDS: &[(&str, ValueKind)] =
    &[("Labels", ValueKind::Labels), ("Value", ValueKind::Number)];

/// The kind of an alert variable (`$labels`, `$externalLabels`,
/// `$externalURL`, `$value`); [`ValueKind::Unknown`] for other names.
pub fn variable_kind(name: &str) -> ValueKind {
    match name {
        "$labels" => ValueKind::AlertLabels,
        "$externalLabels" => ValueKind::ExternalLabels,
        "$externalURL" => ValueKind::String,
        "$value" => ValueKind::Number,
        _ => ValueKind::Unknown,
    }
}

/// What function `name` returns when called with arguments of kinds `args`
/// (the piped value last, as Go passes it): Prometheus' `template.go`
/// signatures (`query` a query result, `first` a sample, `value` a
/// number, …) and Go's builtins (`index` an element, `slice` its argument).
pub fn result_kind(name: &str, args: &[ValueKind]) -> ValueKind {
    use ValueKind as K;
    match name {
        "query" => K::QueryResult,
        "first" => K::Sample,
        "sortByLabel" => K::QueryResult,
        "value" | "len" => K::Number,
        "index" => match args.first() {
            Some(K::QueryResult) if args.len() == 2 => K::Sample,
            Some(K::AlertLabels | K::Labels) if args.len() == 2 => K::String,
            _ => K::Unknown,
        },
        "slice" => match args.first() {
            Some(K::QueryResult) => K::QueryResult,
            Some(K::String) => K::String,
            _ => K::Unknown,
        },
        "label" | "strvalue" | "printf" | "print" | "println" | "html" | "js" | "urlquery"
        | "reReplaceAll" | "safeHtml" | "title" | "toUpper" | "toLower" | "graphLink"
        | "tableLink" | "stripPort" | "stripDomain" | "humanize" | "humanize1024"
        | "humanizeDuration" | "humanizePercentage" | "humanizeTimestamp" | "pathPrefix"
        | "externalURL" | "urlQueryEscape" => K::String,
        _ => K::Unknown,
    }
}
