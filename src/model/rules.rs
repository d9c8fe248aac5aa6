//! Prometheus rule files (`groups:`), as Prometheus' model/rulefmt reads and
//! validates them, with the position of every value.

use std::sync::Arc;

use crate::diagnostic::input::promql_syntax;
use crate::promql::{self, ast::Expr};
use crate::source::Span;
use crate::yaml::Node;

use super::duration::Duration;
use super::reader::{self, Errors};
use super::{KeyValue, Spanned, Text};

/// How the loader reads rule files, from the config: the extra keys some
/// setups allow (Thanos, Mimir, Cortex), the dialect, and the Prometheus
/// version whose PromQL the expressions are parsed as.
#[derive(Debug, Clone, Default)]
pub struct ExtraFields {
    /// Keys allowed in a rule group besides Prometheus' own.
    pub group: Vec<String>,
    /// Keys allowed in a rule besides Prometheus' own.
    pub rule: Vec<String>,
    /// Which rule-file dialect to read; `None` recognises one by its fields.
    pub dialect: Option<Dialect>,
    /// `prometheus.version` of `.mlalert.yaml`: expressions are parsed with
    /// that version's grammar and functions (`holt_winters` until 2.x,
    /// `info` from 3.0); `None` is the newest version mlalert knows
    /// ([`promql::syntax::Options::CURRENT`]). Feature flags are not applied
    /// here: every experimental construct parses, and `experimental-promql`
    /// judges them against `prometheus.features`.
    pub prometheus_version: Option<promql::syntax::Version>,
}

impl ExtraFields {
    /// The parser options rule expressions are read with: the configured
    /// version, every feature flag on.
    pub fn promql_options(&self) -> promql::syntax::Options {
        promql::syntax::Options {
            version: self
                .prometheus_version
                .unwrap_or(promql::syntax::Options::CURRENT),
            ..promql::syntax::Options::all_features()
        }
    }
}

/// A rule-file dialect: Prometheus' own, or a system that evaluates
/// Prometheus rules with group fields of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Prometheus (rulefmt): no extra fields.
    Prometheus,
    /// Thanos ruler: `partial_response_strategy` (`warn` or `abort`).
    Thanos,
    /// Grafana Mimir and Cortex rulers: `source_tenants`, `evaluation_delay`,
    /// `align_evaluation_time_on_interval`.
    Mimir,
}

impl Dialect {
    /// Every dialect, as the config names them.
    pub const ALL: &[Dialect] = &[Dialect::Prometheus, Dialect::Thanos, Dialect::Mimir];

    /// The config's name (`dialect: thanos`).
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Prometheus => "prometheus",
            Dialect::Thanos => "thanos",
            Dialect::Mimir => "mimir",
        }
    }

    /// How messages name it.
    pub fn title(self) -> &'static str {
        match self {
            Dialect::Prometheus => "Prometheus",
            Dialect::Thanos => "Thanos ruler",
            Dialect::Mimir => "Mimir/Cortex ruler",
        }
    }

    /// The group fields the dialect adds to Prometheus' own.
    pub fn group_fields(self) -> &'static [&'static str] {
        match self {
            Dialect::Prometheus => &[],
            Dialect::Thanos => &["partial_response_strategy"],
            Dialect::Mimir => &[
                "source_tenants",
                "evaluation_delay",
                "align_evaluation_time_on_interval",
            ],
        }
    }
}

/// A rule file or the `spec` of a rule CRD.
#[derive(Debug, Clone)]
pub struct RuleFile {
    /// Its groups, in order.
    pub groups: Vec<RuleGroup>,
    /// The document's span.
    pub span: Span,
    /// True for a plain rule-file document that is not the first document
    /// of its YAML stream while the first one is a rule file too: Prometheus
    /// (rulefmt, one `yaml.Decoder.Decode`) reads only the first document
    /// and never loads this one, without an error.
    pub ignored_by_prometheus: bool,
    /// For a Google Managed Prometheus rule CRD, the evaluation scope its
    /// rules run in apart from every other CRD's (`Rules/NAMESPACE`,
    /// `ClusterRules`, `GlobalRules`: GMP's rule-evaluator scopes a `Rules`
    /// object's queries and output to its namespace); `None` otherwise.
    pub gmp_scope: Option<String>,
    /// True when read from a rule CRD object (PrometheusRule under any API
    /// group, GMP `Rules`/`ClusterRules`/`GlobalRules`): the operator writes
    /// each object to a rule file of its own (prometheus-operator names it
    /// `<namespace>-<name>-<uid>.yaml`), apart from every other object's.
    pub crd: bool,
}

/// A rule group.
#[derive(Debug, Clone)]
pub struct RuleGroup {
    /// `name`.
    pub name: Spanned<String>,
    /// `interval` (defaults to the global evaluation interval).
    pub interval: Option<Spanned<Duration>>,
    /// `query_offset`.
    pub query_offset: Option<Spanned<Duration>>,
    /// `limit` (0 = none).
    pub limit: Option<Spanned<i64>>,
    /// Group `labels`, added to every rule's output.
    pub labels: Vec<KeyValue>,
    /// The rules, in order.
    pub rules: Vec<Rule>,
    /// The group mapping's span.
    pub span: Span,
    /// The dialect its fields belong to, with the key of the first such
    /// field (`partial_response_strategy`); `None` for Prometheus' fields only.
    pub dialect: Option<(Dialect, Spanned<String>)>,
}

impl RuleGroup {
    /// Static label `key` of `rule`'s output: the rule's own label, else the
    /// group's (rule labels override group labels, as in Prometheus).
    pub fn label_of<'a>(&'a self, rule: &'a Rule, key: &str) -> Option<&'a KeyValue> {
        super::find(&rule.labels, key).or_else(|| super::find(&self.labels, key))
    }

    /// Every static label of `rule`'s output (group labels overridden by the
    /// rule's), sorted by name; empty values are dropped as Prometheus does.
    pub fn static_labels<'a>(
        &'a self,
        rule: &'a Rule,
    ) -> std::collections::BTreeMap<&'a str, &'a str> {
        let mut out = std::collections::BTreeMap::new();
        for kv in self.labels.iter().chain(&rule.labels) {
            out.insert(kv.key.value.as_str(), kv.value.value.as_str());
        }
        out.retain(|_, v| !v.is_empty());
        out
    }
}

/// Alerting or recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// `alert:`
    Alerting,
    /// `record:`
    Recording,
}

/// An alerting or recording rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Which kind.
    pub kind: RuleKind,
    /// The `alert` or `record` name.
    pub name: Spanned<String>,
    /// `expr`, when present.
    pub expr: Option<PromqlExpr>,
    /// `for` (alerting rules); `None` when absent, empty or invalid.
    pub for_: Option<Spanned<Duration>>,
    /// True when `for` is written with a value that is not a duration
    /// (reported as `rule-invalid`; other lints leave the rule's `for` alone).
    pub for_invalid: bool,
    /// `keep_firing_for` (alerting rules).
    pub keep_firing_for: Option<Spanned<Duration>>,
    /// `labels`.
    pub labels: Vec<KeyValue>,
    /// `annotations` (alerting rules).
    pub annotations: Vec<KeyValue>,
    /// The rule mapping's span.
    pub span: Span,
    /// 1-based index in the group (as Prometheus' messages count).
    pub index: usize,
    /// The rule mapping's entries as written, in source order (where
    /// `lint --fix` places a field).
    pub fields: Vec<super::Field>,
}

impl Rule {
    /// True for alerting rules.
    pub fn is_alert(&self) -> bool {
        self.kind == RuleKind::Alerting
    }
}

/// A PromQL expression with its text, positions and parsed AST.
#[derive(Debug, Clone)]
pub struct PromqlExpr {
    /// The text as decoded from YAML.
    pub text: Text,
    /// The AST, when the expression parses.
    pub ast: Option<Arc<Expr>>,
    /// The feature-gated constructs the expression uses (experimental
    /// functions, duration expressions, …), in text order: the expression
    /// parses with every feature on, and `experimental-promql` compares
    /// these with the configured flags.
    pub features: Vec<promql::syntax::FeatureUse>,
    /// The result's possible label sets, computed on first use and shared by
    /// the lints and the routing analysis that need them.
    output_labels: std::sync::OnceLock<Vec<promql::labels::LabelSet>>,
}

impl PromqlExpr {
    /// The span in the file of bytes `range` of the expression text.
    pub fn span_of(&self, range: std::ops::Range<usize>) -> Span {
        self.text.sub_span(range.start, range.end)
    }

    /// The possible label sets of the expression's result
    /// ([`promql::labels::output_labels`]), computed once; empty when it does not parse.
    pub fn output_labels(&self) -> &[promql::labels::LabelSet] {
        self.output_labels.get_or_init(|| {
            self.ast
                .as_ref()
                .map(|a| promql::labels::output_labels(a))
                .unwrap_or_default()
        })
    }

    /// The span in the file of bytes `range` of the expression text (a
    /// node's position, from the `promql::selectors` position helpers), or
    /// of the whole expression when there is none.
    pub fn span_or_whole(&self, range: Option<std::ops::Range<usize>>) -> Span {
        range.map_or(self.text.span, |r| self.span_of(r))
    }
}

const GROUP_FIELDS: &[&str] = &[
    "name",
    "interval",
    "query_offset",
    "limit",
    "rules",
    "labels",
];
const RULE_FIELDS: &[&str] = &[
    "record",
    "alert",
    "expr",
    "for",
    "keep_firing_for",
    "labels",
    "annotations",
];

/// Reads a rule file's root (or a CRD's `spec`): its `groups`.
pub(crate) fn read_rule_file(root: &Node, extra: &ExtraFields, errs: &mut Errors) -> RuleFile {
    let mut file = RuleFile {
        groups: Vec::new(),
        span: root.span,
        ignored_by_prometheus: false,
        gmp_scope: None,
        crd: false,
    };
    let Some(fields) = reader::fields(root, "rulefmt.RuleGroups", &["groups"], &[], errs) else {
        return file;
    };
    let Some((_, _, groups)) = fields.iter().find(|(k, _, _)| *k == "groups") else {
        return file;
    };
    if groups.is_null() {
        return file;
    }
    let Some(items) = groups.as_seq() else {
        errs.report(
            groups.span,
            format!("groups must be a list, got a {}", groups.type_name()),
        );
        return file;
    };
    for g in items {
        if let Some(group) = read_group(g, extra, errs) {
            if let Some(first) = file
                .groups
                .iter()
                .find(|x| x.name.value == group.name.value)
            {
                let line = errs.line(first.name.span);
                errs.report(
                    group.name.span,
                    format!(
                        "groupname: {:?} is repeated in the same file (first at line {line})",
                        group.name.value
                    ),
                );
            }
            file.groups.push(group);
        }
    }
    file
}

fn read_group(node: &Node, extra: &ExtraFields, errs: &mut Errors) -> Option<RuleGroup> {
    // Dialect fields: those of the configured dialect, or of any dialect
    // when none is configured (the group then says which one it used).
    let dialects: Vec<Dialect> = match extra.dialect {
        Some(d) => vec![d],
        None => Dialect::ALL.to_vec(),
    };
    let mut allowed = extra.group.clone();
    allowed.extend(
        dialects
            .iter()
            .flat_map(|d| d.group_fields())
            .map(|f| f.to_string()),
    );
    let fields = reader::fields(node, "rulefmt.RuleGroup", GROUP_FIELDS, &allowed, errs)?;
    let mut group = RuleGroup {
        name: Spanned {
            value: String::new(),
            span: node.span,
        },
        interval: None,
        query_offset: None,
        limit: None,
        labels: Vec::new(),
        rules: Vec::new(),
        span: node.span,
        dialect: None,
    };
    let mut rules_node = None;
    for (key, _, v) in &fields {
        match *key {
            "name" => {
                if let Some(s) = reader::string(v, "name", errs) {
                    group.name = s;
                }
            }
            "interval" => group.interval = reader::duration(v, "interval", errs),
            "query_offset" => group.query_offset = reader::duration(v, "query_offset", errs),
            "limit" => group.limit = reader::int(v, "limit", errs),
            "labels" => group.labels = reader::key_values(v, "labels", errs),
            "rules" => rules_node = Some(*v),
            other => {
                let Some(d) = dialects
                    .iter()
                    .copied()
                    .find(|d| d.group_fields().contains(&other))
                else {
                    continue;
                };
                if other == "partial_response_strategy"
                    && !matches!(v.as_str(), Some("warn" | "abort"))
                {
                    // Thanos' rulefmt: the strategy's enum names, lower case.
                    errs.report(
                        v.span,
                        "partial_response_strategy must be \"warn\" or \"abort\"",
                    );
                }
                if group.dialect.is_none() && !extra.group.iter().any(|g| g == other) {
                    let key = fields
                        .iter()
                        .find(|(k, _, _)| *k == other)
                        .map(|(_, k, _)| k.span)
                        .unwrap_or(v.span);
                    group.dialect = Some((
                        d,
                        Spanned {
                            value: other.to_string(),
                            span: key,
                        },
                    ));
                }
            }
        }
    }
    if group.name.value.is_empty() {
        errs.report(group.name.span, "Groupname must not be empty");
    }
    if let Some(rules) = rules_node.filter(|r| !r.is_null()) {
        match rules.as_seq() {
            Some(items) => {
                for (i, r) in items.iter().enumerate() {
                    if let Some(rule) = read_rule(r, i + 1, &group.name.value, extra, errs) {
                        group.rules.push(rule);
                    }
                }
            }
            None => errs.report(
                rules.span,
                format!("rules must be a list, got a {}", rules.type_name()),
            ),
        }
    }
    Some(group)
}

fn read_rule(
    node: &Node,
    index: usize,
    group: &str,
    extra: &ExtraFields,
    errs: &mut Errors,
) -> Option<Rule> {
    let fields = reader::fields(node, "rulefmt.RuleNode", RULE_FIELDS, &extra.rule, errs)?;
    let get = |k: &str| {
        fields
            .iter()
            .find(|(key, _, _)| *key == k)
            .map(|(_, kn, v)| (*kn, *v))
    };
    let alert = get("alert")
        .and_then(|(_, v)| reader::string(v, "alert", errs))
        .filter(|s| !s.value.is_empty());
    let record = get("record")
        .and_then(|(_, v)| reader::string(v, "record", errs))
        .filter(|s| !s.value.is_empty());
    let display = alert
        .as_ref()
        .or(record.as_ref())
        .map(|s| s.value.clone())
        .unwrap_or_default();
    let prefix = format!("group {group:?}, rule {index}, {display:?}");
    let (kind, name) = match (alert, record) {
        (Some(a), Some(r)) => {
            errs.report(
                r.span,
                format!("{prefix}: only one of 'record' and 'alert' must be set"),
            );
            (RuleKind::Alerting, a)
        }
        (Some(a), None) => (RuleKind::Alerting, a),
        (None, Some(r)) => (RuleKind::Recording, r),
        (None, None) => {
            errs.report(
                node.span,
                format!("{prefix}: one of 'record' or 'alert' must be set"),
            );
            return None;
        }
    };
    let mut rule = Rule {
        kind,
        name,
        expr: None,
        for_: None,
        for_invalid: false,
        keep_firing_for: None,
        labels: Vec::new(),
        annotations: Vec::new(),
        span: node.span,
        index,
        fields: reader::field_spans(&fields, errs),
    };
    match get("expr")
        .and_then(|(_, v)| reader::text(v, "expr", errs))
        .filter(|t| !t.value.trim().is_empty())
    {
        Some(text) => {
            rule.expr = Some(parse_expr(text, &prefix, &extra.promql_options(), errs));
        }
        None => errs.report(
            rule.name.span,
            format!("{prefix}: field 'expr' must be set in rule"),
        ),
    }
    if let Some((k, v)) = get("for") {
        rule.for_ = reader::duration(v, "for", errs);
        rule.for_invalid = rule.for_.is_none() && !v.is_null();
        if kind == RuleKind::Recording {
            errs.report(
                k.span,
                format!("{prefix}: invalid field 'for' in recording rule"),
            );
        }
    }
    if let Some((k, v)) = get("keep_firing_for") {
        rule.keep_firing_for = reader::duration(v, "keep_firing_for", errs);
        if kind == RuleKind::Recording {
            errs.report(
                k.span,
                format!("{prefix}: invalid field 'keep_firing_for' in recording rule"),
            );
        }
    }
    if let Some((_, v)) = get("labels") {
        rule.labels = reader::key_values(v, "labels", errs);
    }
    if let Some((k, v)) = get("annotations") {
        rule.annotations = reader::key_values(v, "annotations", errs);
        if kind == RuleKind::Recording {
            errs.report(
                k.span,
                format!("{prefix}: invalid field 'annotations' in recording rule"),
            );
        }
    }
    if kind == RuleKind::Recording && rule.name.value.contains('{') {
        errs.report(
            rule.name.span,
            format!("{prefix}: braces present in the recording rule name; should it be in expr?"),
        );
    }
    for kv in &rule.labels {
        if kv.key.value == "__name__" || kv.key.value.is_empty() {
            errs.report(
                kv.key.span,
                format!("{prefix}: invalid label name: {}", kv.key.value),
            );
        }
    }
    Some(rule)
}

/// Parses a rule's expression with `opts`; a syntax error is reported as
/// `promql-syntax`.
fn parse_expr(
    text: Text,
    prefix: &str,
    opts: &promql::syntax::Options,
    errs: &mut Errors,
) -> PromqlExpr {
    match promql::parse_with_uses(&text.value, opts) {
        Ok((ast, features)) => PromqlExpr {
            text,
            ast: Some(ast),
            features,
            output_labels: std::sync::OnceLock::new(),
        },
        Err(e) => {
            let span = match &e.range {
                Some(r) => text.sub_span(r.start, r.end),
                None => text.span,
            };
            errs.out.push(
                crate::diagnostic::Diagnostic::new(
                    &promql_syntax::META,
                    errs.file,
                    span,
                    format!("{prefix}: could not parse expression: {}", e.message),
                )
                .with_help(if e.version_dependent {
                    format!(
                        "mlalert parses expressions as Prometheus {}.{} does; if your servers run another version, say so with `prometheus: {{version: \"X.Y\"}}` in .mlalert.yaml",
                        opts.version.0, opts.version.1
                    )
                } else {
                    "check the expression with the Prometheus expression browser or `promtool check rules`".to_string()
                }),
            );
            PromqlExpr {
                text,
                ast: None,
                features: Vec::new(),
                output_labels: std::sync::OnceLock::new(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ExtraFields;
    use crate::source::SourceFile;

    fn syntax_errors(expr: &str, extra: &ExtraFields) -> Vec<crate::diagnostic::Diagnostic> {
        let text =
            format!("groups:\n- name: g\n  rules:\n  - record: job:x:rate5m\n    expr: {expr}\n");
        let source = SourceFile::new("rules.yml", text.into_bytes()).unwrap();
        crate::model::load_file(0, &source, extra).diagnostics
    }

    #[test]
    fn expressions_parse_as_the_configured_prometheus_version() {
        let hw = "holt_winters(x[5m], 0.5, 0.5)";
        // Prometheus 3 removed holt_winters: an error with the replacement
        // and a word on prometheus.version.
        let d = syntax_errors(hw, &ExtraFields::default());
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].message.ends_with(
                "could not parse expression: 1:1: parse error: unknown function with name \"holt_winters\" (use double_exponential_smoothing() instead)"
            ),
            "{}",
            d[0].message
        );
        assert!(
            d[0].help
                .as_deref()
                .unwrap_or("")
                .contains("Prometheus 3.14"),
            "{:?}",
            d[0].help
        );
        let v2 = ExtraFields {
            prometheus_version: Some((2, 50)),
            ..ExtraFields::default()
        };
        assert!(syntax_errors(hw, &v2).is_empty());
        // info() arrived in 2.55.
        let d = syntax_errors("info(up)", &v2);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].message.ends_with("(added in Prometheus 2.55)"),
            "{}",
            d[0].message
        );
        // Experimental syntax parses (experimental-promql judges the flags)
        // and is recorded.
        let text =
            "groups:\n- name: g\n  rules:\n  - record: r\n    expr: mad_over_time(x[5m * 2])\n";
        let source = SourceFile::new("rules.yml", text.as_bytes().to_vec()).unwrap();
        let loaded = crate::model::load_file(0, &source, &ExtraFields::default());
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        let e = loaded.rule_files[0].groups[0].rules[0]
            .expr
            .as_ref()
            .unwrap();
        let features: Vec<_> = e.features.iter().map(|u| u.feature.flag()).collect();
        assert_eq!(
            features,
            ["promql-experimental-functions", "promql-duration-expr"]
        );
    }
}
