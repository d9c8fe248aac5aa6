//! Rule files of a test: loaded with the model's loader (plain rule files,
//! PrometheusRule CRDs, ConfigMaps) and turned into what the evaluator runs.

use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::model::{self, rules::ExtraFields, rules::RuleKind};
use crate::promql::ast::Expr;
use crate::source::SourceFile;

use super::compare::{Pairs, sorted_pairs};

/// One rule ready to evaluate.
#[derive(Debug, Clone)]
pub struct RuleDef {
    /// Alerting or recording.
    pub kind: RuleKind,
    /// `alert` / `record` name.
    pub name: String,
    /// The parsed expression.
    pub expr: Arc<Expr>,
    /// The expression as written in the file (what a Prometheus server is asked).
    pub expr_text: String,
    /// `for`, ms.
    pub for_ms: i64,
    /// `keep_firing_for`, ms.
    pub keep_firing_for_ms: i64,
    /// Rule labels (group labels merged in, the rule's win), raw templates.
    pub labels: Pairs,
    /// Annotations, raw templates.
    pub annotations: Pairs,
    /// 1-based line of the rule in its file.
    pub line: usize,
}

/// One rule group ready to evaluate.
#[derive(Debug, Clone)]
pub struct GroupDef {
    /// The rule file (as displayed).
    pub file: String,
    /// Group name.
    pub name: String,
    /// `interval`, ms (`None`: the global evaluation interval).
    pub interval_ms: Option<i64>,
    /// `query_offset`, ms.
    pub query_offset_ms: i64,
    /// `limit` (0 = none).
    pub limit: usize,
    /// Rules in order.
    pub rules: Vec<RuleDef>,
}

fn diag_text(source: &SourceFile, d: &Diagnostic) -> String {
    let lc = source.line_col(d.span.start);
    format!("{}:{}:{}: {}", source.path, lc.line, lc.column, d.message)
}

/// A rule's load error as promtool words it: `path:line:col: group "g",
/// rule 1, "name": message`, at byte `at` of the file.
fn rule_error(
    source: &SourceFile,
    at: usize,
    group: &str,
    r: &model::rules::Rule,
    message: &str,
) -> String {
    let lc = source.line_col(at);
    format!(
        "{}:{}:{}: group {group:?}, rule {}, {:?}: {message}",
        source.path, lc.line, lc.column, r.index, r.name.value
    )
}

fn is_unknown_field(d: &Diagnostic) -> bool {
    d.message.starts_with("field ") && d.message.contains(" not found in type ")
}

/// Loads one rule file. Returns its groups, or the errors Prometheus would
/// refuse it with (as `path:line:col: message`). With `ignore_unknown_fields`
/// unknown keys are not errors (promtool's `--ignore-unknown-fields`). An
/// expression that uses a PromQL feature not in `features` is an error
/// worded as Prometheus' parser words it (`function "mad_over_time" is not
/// enabled`), at the expression, as promtool reports it.
pub fn load_rule_file(
    source: &SourceFile,
    ignore_unknown_fields: bool,
    features: &[crate::promql::syntax::Feature],
) -> Result<Vec<GroupDef>, Vec<String>> {
    let loaded = model::load_file(0, source, &ExtraFields::default());
    let errors: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| !(ignore_unknown_fields && is_unknown_field(d)))
        .map(|d| diag_text(source, d))
        .collect();
    let mut errors = errors;
    // What promtool 3.14 parses with: the newest grammar and the flags given.
    let enabled = crate::promql::syntax::Options::with_features(
        crate::promql::syntax::Options::CURRENT,
        features.iter().copied(),
    );
    for g in loaded.rule_files.iter().flat_map(|rf| &rf.groups) {
        for r in &g.rules {
            let Some(e) = r.expr.as_ref() else { continue };
            if let Some(u) = e.features.iter().find(|u| !enabled.has_feature(u.feature)) {
                let at = crate::promql::syntax::ParseError::new(u.message.clone(), u.span);
                errors.push(rule_error(
                    source,
                    e.text.span.start,
                    &g.name.value,
                    r,
                    &format!(
                        "could not parse expression: {}",
                        at.prometheus_text(&e.text.value)
                    ),
                ));
            }
        }
    }
    if loaded.rule_files.is_empty() && errors.is_empty() {
        let (docs, _) = crate::yaml::parse_stream(&source.text, &crate::source::TextMap::Shift(0));
        if docs.iter().any(|d| !d.root.is_null()) {
            errors.push(format!(
                "{}: no rule groups: not a rule file, rule CRD or ConfigMap holding one",
                source.path
            ));
        }
    }
    let mut groups = Vec::new();
    for rf in &loaded.rule_files {
        for g in &rf.groups {
            let group_labels: Vec<(String, String)> = g
                .labels
                .iter()
                .map(|kv| (kv.key.value.clone(), kv.value.value.clone()))
                .collect();
            let mut def = GroupDef {
                file: source.path.clone(),
                name: g.name.value.clone(),
                interval_ms: g
                    .interval
                    .as_ref()
                    .map(|d| i64::try_from(d.value.ms).unwrap_or(i64::MAX)),
                query_offset_ms: g
                    .query_offset
                    .as_ref()
                    .map(|d| i64::try_from(d.value.ms).unwrap_or(i64::MAX))
                    .unwrap_or(0),
                limit: g
                    .limit
                    .as_ref()
                    .map(|l| usize::try_from(l.value).unwrap_or(0))
                    .unwrap_or(0),
                rules: Vec::new(),
            };
            for r in &g.rules {
                let Some((ast, expr_text)) = r
                    .expr
                    .as_ref()
                    .and_then(|e| Some((e.ast.clone()?, e.text.value.clone())))
                else {
                    continue;
                };
                let mut labels = group_labels.clone();
                for kv in &r.labels {
                    labels.retain(|(k, _)| *k != kv.key.value);
                    labels.push((kv.key.value.clone(), kv.value.value.clone()));
                }
                let annotations: Pairs = sorted_pairs(
                    r.annotations
                        .iter()
                        .map(|kv| (kv.key.value.clone(), kv.value.value.clone())),
                );
                if r.is_alert() {
                    for (what, kv) in r
                        .labels
                        .iter()
                        .map(|kv| ("label", kv))
                        .chain(r.annotations.iter().map(|kv| ("annotation", kv)))
                    {
                        if let Some((range, e)) =
                            crate::template::alert_template_error(&r.name.value, &kv.value.value)
                        {
                            errors.push(rule_error(
                                source,
                                kv.value.sub_span(range.start, range.end).start,
                                &g.name.value,
                                r,
                                &format!("{what} {:?}: {e}", kv.key.value),
                            ));
                        }
                    }
                }
                let ms = |d: &Option<model::Spanned<model::duration::Duration>>| {
                    d.as_ref()
                        .map(|d| i64::try_from(d.value.ms).unwrap_or(i64::MAX))
                        .unwrap_or(0)
                };
                def.rules.push(RuleDef {
                    kind: r.kind,
                    name: r.name.value.clone(),
                    expr: ast,
                    expr_text,
                    for_ms: ms(&r.for_),
                    keep_firing_for_ms: ms(&r.keep_firing_for),
                    labels: sorted_pairs(labels),
                    annotations,
                    line: source.line_col(r.span.start).line,
                });
            }
            groups.push(def);
        }
    }
    if errors.is_empty() {
        Ok(groups)
    } else {
        Err(errors)
    }
}

/// Orders groups as promtool does: groups named in `group_eval_order` by
/// their position there, the others keep file order and count as position 0
/// (promtool's partial order; its own tie order is random).
pub fn order_groups(groups: &mut [GroupDef], order: &[String]) {
    groups.sort_by_key(|g| order.iter().position(|n| *n == g.name).unwrap_or(0));
}
