//! `rate-of-sum` (ML210): `rate` (or `irate`, `increase`, `resets`) over an
//! aggregation, through a subquery (`rate(sum(x_total)[5m:])`) or a
//! recording rule that sums raw counters, in the same group or anywhere in
//! the run. When one of the summed counters resets, the sum drops and
//! `rate` reads that as a reset of the whole sum: a huge spike.

use std::collections::{HashMap, HashSet};

use crate::diagnostic::FileId;
use crate::lint::{Lint, ProjectCtx, Reporter, RuleCtx};
use crate::model::rules::{Rule, RuleGroup};
use crate::promql::analysis::{op_str, returns_input_series, unwrap_parens, walk};
use crate::promql::ast::Expr;
use crate::promql::selectors::{name_span, selector_name_span, selector_uses};
use crate::promql::types::{is_change_function, is_counter_function, metric_kind};

crate::declare_lint! {
    /// The `rate-of-sum` lint.
    pub struct RateOfSum {
        code: "ML210",
        name: "rate-of-sum",
        category: Correctness,
        severity: Error,
        summary: "`rate` of a sum of counters: one reset looks like the whole sum resetting",
    }
}

/// Aggregations that combine series (not `topk` & co, which return them).
fn combines(e: &Expr) -> Option<String> {
    match unwrap_parens(e) {
        Expr::Aggregate(a) => {
            let op = op_str(&a.op);
            (!returns_input_series(&op)).then_some(op)
        }
        _ => None,
    }
}

/// What `e` sums without a rate first, when it is an aggregation: a raw
/// counter's name, or a recorded series of `sums` (itself a sum of raw
/// counters, `sum(job:requests:sum)`).
fn summed_counter<'e>(e: &'e Expr, sums: &HashSet<&str>) -> Option<&'e str> {
    combines(e)?;
    selector_uses(e).iter().find_map(|u| {
        u.name
            .filter(|n| metric_kind(n).is_counter_like() || sums.contains(n))
            .filter(|_| !u.inside_call(is_change_function))
    })
}

/// What the expression of recording `rule` sums, as [`summed_counter`].
fn summed<'r>(rule: &'r Rule, sums: &HashSet<&str>) -> Option<&'r str> {
    rule.expr
        .as_ref()
        .and_then(|x| x.ast.as_ref())
        .and_then(|a| summed_counter(a, sums))
}

/// The recorded series of the run that are sums of raw counters, directly
/// or through other such recordings: those every recording of which
/// aggregates raw counters or such series (to a fixed point).
fn recorded_sums<'a>(
    recorded: &HashMap<&'a str, Vec<(FileId, &RuleGroup, &Rule)>>,
) -> HashSet<&'a str> {
    let mut sums = HashSet::new();
    loop {
        let more: Vec<&str> = recorded
            .iter()
            .filter(|(name, _)| !sums.contains(*name))
            .filter(|(_, defs)| defs.iter().all(|(_, _, d)| summed(d, &sums).is_some()))
            .map(|(name, _)| *name)
            .collect();
        if more.is_empty() {
            return sums;
        }
        sums.extend(more);
    }
}

/// The counter-function calls of `ast` whose argument is a subquery or a
/// bare range selector: `(function, argument)`.
fn counter_calls(ast: &Expr) -> Vec<(&'static str, &Expr)> {
    let mut out = Vec::new();
    walk(ast, &mut |e| {
        let Expr::Call(c) = e else { return };
        if !is_counter_function(c.func.name) {
            return;
        }
        if let Some(arg) = c.args.args.first() {
            out.push((c.func.name, unwrap_parens(arg)));
        }
    });
    out
}

impl Lint for RateOfSum {
    /// Flags counter functions over a subquery of an aggregation
    /// (`rate(sum(x_total)[5m:])`).
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let Some((expr, ast)) = cx.parsed() else {
            return;
        };
        for (f, arg) in counter_calls(ast) {
            let Expr::Subquery(s) = arg else { continue };
            let Some(op) = combines(&s.expr) else {
                continue;
            };
            let span = expr.span_or_whole(name_span(unwrap_parens(&s.expr)));
            r.report(span, format!("`{f}` over `{op}(…)`: when one summed counter resets, the {op} drops and `{f}` reads it as a reset of the whole {op}"))
                .help(format!("aggregate after the rate: `{op}(rate(x_total[5m]))`"));
        }
    }

    /// Flags counter functions over a recorded series that aggregates raw
    /// counters (`record: job:requests_total:sum`, `expr: sum by (job)
    /// (requests_total)`), or other such recorded series: the recording of
    /// the rule's own group when it has one, else the recordings of that
    /// name anywhere in the run (other groups and files), when every one of
    /// them does (a name recorded from rates in one cluster's file is left
    /// alone).
    fn check_project(&self, cx: &ProjectCtx, r: &mut Reporter) {
        let mut recorded: HashMap<&str, Vec<(FileId, &RuleGroup, &Rule)>> = HashMap::new();
        for (f, g, rule) in cx.rules() {
            if !rule.is_alert() {
                recorded
                    .entry(rule.name.value.as_str())
                    .or_default()
                    .push((f.file, g, rule));
            }
        }
        let sums = recorded_sums(&recorded);
        for (f, g, rule) in cx.rules() {
            let Some(expr) = &rule.expr else { continue };
            let Some(ast) = expr.ast.as_deref() else {
                continue;
            };
            for (func, arg) in counter_calls(ast) {
                let Expr::MatrixSelector(ms) = arg else {
                    continue;
                };
                let Some(defs) = ms.vs.name.as_deref().and_then(|n| recorded.get(n)) else {
                    continue;
                };
                let name = ms.vs.name.as_deref().unwrap_or_default();
                let same_group: Vec<_> = defs
                    .iter()
                    .filter(|(df, dg, _)| *df == f.file && std::ptr::eq(*dg, g))
                    .collect();
                let def = if same_group.is_empty() {
                    sums.contains(name).then(|| &defs[0])
                } else {
                    same_group
                        .into_iter()
                        .find(|(_, _, d)| summed(d, &sums).is_some())
                };
                let Some((df, dg, d)) = def else { continue };
                let what = match summed(d, &sums) {
                    Some(inner) if sums.contains(inner) => {
                        format!("from `{inner}`, itself a sum of raw counters")
                    }
                    _ => "from raw counters".to_string(),
                };
                let span = expr.span_or_whole(selector_name_span(arg));
                let label = if std::ptr::eq(*dg, g) {
                    format!("recorded here {what}")
                } else {
                    format!("recorded here, in group {:?}, {what}", dg.name.value)
                };
                r.report_in(f.file, span, format!("`{func}` over `{name}`, which aggregates raw counters: when one of them resets, the aggregate drops and `{func}` reads it as a reset of the whole"))
                    .label_in(*df, d.name.span, label)
                    .help("record the aggregation of the rates instead: `sum by (…) (rate(x_total[5m]))`");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::{run_on, run_on_files};

    #[test]
    fn flags_subquery_and_recorded_sums() {
        let y = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: rate(sum by (model) (inference_requests_total)[5m:]) > 100\n    for: 5m\n";
        let d = run_on(&super::META, y);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].span.start, y.find("sum").unwrap());
        let y = "groups:\n- name: g\n  rules:\n  - record: model:inference_requests_total:sum\n    expr: sum by (model) (inference_requests_total)\n  - alert: A\n    expr: rate(model:inference_requests_total:sum[5m]) > 100\n    for: 5m\n";
        assert_eq!(run_on(&super::META, y).len(), 1);
    }

    #[test]
    fn passes_sum_of_rates() {
        let y = "groups:\n- name: g\n  rules:\n  - record: model:inference_requests:rate5m\n    expr: sum by (model) (rate(inference_requests_total[5m]))\n  - alert: A\n    expr: sum by (model) (rate(inference_requests_total[5m])) > 100 or deriv(model:inference_requests:rate5m[10m]) > 1 or rate(model:inference_requests:rate5m[5m]) > 1\n    for: 5m\n";
        assert!(run_on(&super::META, y).is_empty());
    }

    const RECORDINGS: &str = r#"
groups:
  - name: inference-recordings
    interval: 1m
    rules:
      - record: job:inference_requests:sum
        expr: sum by (job) (inference_requests_total)
      - record: job:inference_requests:rate5m
        expr: sum by (job) (rate(inference_requests_total[5m]))
"#;

    #[test]
    fn flags_sums_recorded_in_another_group_or_file() {
        let alerts = r#"
groups:
  - name: inference-alerts
    rules:
      - alert: InferenceTrafficSpike
        expr: rate(job:inference_requests:sum[5m]) > 1000
        for: 10m
        labels:
          severity: warning
"#;
        // Another file of the run.
        let d = run_on_files(&super::META, &[RECORDINGS, alerts]);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].file, 1);
        assert_eq!(
            d[0].span.start,
            alerts.find("job:inference_requests:sum").unwrap()
        );
        assert_eq!(d[0].labels[0].file, 0);
        assert!(d[0].labels[0].message.contains("\"inference-recordings\""));
        // Another group of the same file.
        let one = format!("{RECORDINGS}{}", alerts.trim_start_matches("\ngroups:\n"));
        assert_eq!(run_on(&super::META, &one).len(), 1, "{one}");
    }

    #[test]
    fn passes_recorded_rates_and_names_recorded_differently_elsewhere() {
        let alerts = r#"
groups:
  - name: inference-alerts
    rules:
      - alert: InferenceTrafficSpike
        expr: deriv(job:inference_requests:rate5m[30m]) > 10 or rate(job:inference_requests:rate5m[5m]) > 1
        for: 10m
"#;
        assert!(run_on_files(&super::META, &[RECORDINGS, alerts]).is_empty());
        // One cluster records it from rates: not every recording is a sum of counters.
        let other = r#"
groups:
  - name: inference-recordings-eu
    rules:
      - record: job:inference_requests:sum
        expr: sum by (job) (rate(inference_requests_total[5m]))
"#;
        let uses = r#"
groups:
  - name: inference-alerts
    rules:
      - alert: InferenceTrafficSpike
        expr: rate(job:inference_requests:sum[5m]) > 1000
        for: 10m
"#;
        assert!(run_on_files(&super::META, &[RECORDINGS, other, uses]).is_empty());
    }

    #[test]
    fn flags_sums_of_recorded_sums() {
        let y = r#"
groups:
  - name: etcd
    rules:
      - record: job:etcd_wal_fsync:sum_inner
        expr: sum by (job) (etcd_disk_wal_fsync_duration_seconds_count{job="etcd"})
      - record: job:etcd_wal_fsync:sum_outer
        expr: sum(job:etcd_wal_fsync:sum_inner)
      - record: job:etcd_wal_fsync:deep_rate
        expr: rate(job:etcd_wal_fsync:sum_outer[5m])
      - record: job:etcd_wal_fsync:max_of_rates
        expr: max(job:etcd_wal_fsync:deep_rate)
      - record: job:etcd_wal_fsync:rate_of_max
        expr: rate(job:etcd_wal_fsync:max_of_rates[5m])
"#;
        let d = run_on(&super::META, y);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(
            d[0].span.start,
            y.find("job:etcd_wal_fsync:sum_outer[").unwrap()
        );
        assert!(
            d[0].labels[0]
                .message
                .contains("from `job:etcd_wal_fsync:sum_inner`, itself a sum of raw counters"),
            "{}",
            d[0].labels[0].message
        );
    }
}
