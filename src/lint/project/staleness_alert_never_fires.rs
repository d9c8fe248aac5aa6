//! `staleness-alert-never-fires` (ML253): an alert on the age of a "last
//! trained/updated" timestamp (`time() - model_last_trained_timestamp > 7d`)
//! returns nothing once the timestamp series disappears, which is exactly
//! when the pipeline that writes it has died. Without an `absent()`
//! companion somewhere in the run, nothing pages.

use crate::lint::{Lint, ProjectCtx, Reporter};
use crate::promql::analysis::{
    aggregation_preserves_quantity, op_str, preserves_quantity, unwrap_parens, walk,
};
use crate::promql::ast::{Expr, Matcher, VectorSelector};
use crate::promql::names::is_last_event_timestamp;

crate::declare_lint! {
    /// The `staleness-alert-never-fires` lint.
    pub struct StalenessAlertNeverFires {
        code: "ML253",
        name: "staleness-alert-never-fires",
        category: Correctness,
        severity: Warning,
        summary: "an alert on `time() - <last updated timestamp>` has no `absent()` companion: it cannot fire when the metric disappears",
    }
}

impl Lint for StalenessAlertNeverFires {
    /// Flags alerting rules that compare `time() - M` as too large (`>`,
    /// `>=`, or `<`/`<=` with the age on the right) where `M` is a "last
    /// event" timestamp metric, unless an alerting rule of the run (this
    /// one included) calls `absent(M…)`/`absent_over_time(M…[…])`, or
    /// `absent(up{job…})` with the same `job` matcher as `M`'s selector, or
    /// compares `up` for that job or for every job (`up == 0`): when the
    /// process that writes `M` dies, its target goes down and that alert
    /// fires.
    fn check_project(&self, cx: &ProjectCtx, rep: &mut Reporter) {
        let mut absent: Vec<&VectorSelector> = Vec::new();
        // `up` selectors an alert compares (`up{job="x"} == 0`, a generic
        // `up == 0`): a dead exporter is caught by its target going down.
        let mut up_down: Vec<&VectorSelector> = Vec::new();
        for (_, _, r) in cx.rules() {
            if !r.is_alert() {
                continue;
            }
            let Some(ast) = r.expr.as_ref().and_then(|e| e.ast.as_ref()) else {
                continue;
            };
            up_down.extend(
                crate::promql::conditions::compared_selectors(ast)
                    .into_iter()
                    .filter(|vs| vs.name.as_deref() == Some("up")),
            );
            walk(ast, &mut |e| {
                if let Expr::Call(c) = e
                    && matches!(c.func.name, "absent" | "absent_over_time")
                {
                    for a in &c.args.args {
                        walk(a, &mut |x| match x {
                            Expr::VectorSelector(vs) => absent.push(vs),
                            Expr::MatrixSelector(ms) => absent.push(&ms.vs),
                            _ => {}
                        });
                    }
                }
            });
        }
        for (f, _, r) in cx.rules() {
            if !r.is_alert() {
                continue;
            }
            let Some(expr) = &r.expr else { continue };
            let Some(ast) = &expr.ast else { continue };
            let mut found: Vec<&VectorSelector> = Vec::new();
            walk(ast, &mut |e| {
                let Expr::Binary(b) = e else { return };
                if !b.op.is_comparison_operator() {
                    return;
                }
                let age_side = match op_str(&b.op).as_str() {
                    ">" | ">=" => &b.lhs,
                    "<" | "<=" => &b.rhs,
                    _ => return,
                };
                walk(age_side, &mut |x| {
                    if let Some(vs) = age_of(x)
                        && !found.iter().any(|f| std::ptr::eq(*f, vs))
                    {
                        found.push(vs);
                    }
                });
            });
            for vs in found {
                let Some(name) = vs.name.as_deref() else {
                    continue;
                };
                if absent.iter().any(|a| covers(a, vs, name))
                    || up_down.iter().any(|u| up_covers(u, vs))
                {
                    continue;
                }
                let job = job_matcher(vs)
                    .map(|m| format!("{{job{}{:?}}}", m.op, m.value))
                    .unwrap_or_default();
                rep.report_in(f.file, expr.span_or_whole(vs.name_span.map(|s| s.range())), format!(
                            "alert {:?} measures the age of `{name}`, but when `{name}` disappears the expression returns nothing and the alert cannot fire, and no alert in the run checks `absent({name})`",
                            r.name.value
                        ))
                    .help(format!(
                        "add a companion alert `absent({name}{job})` (or `absent_over_time({name}{job}[1h])`) with a `for`, or append `or absent({name}{job})` to this expression"
                    ));
            }
        }
    }
}

/// The selector of `M` when `e` is `time() - M`, with `M` a last-event
/// timestamp reached through aggregations and functions that keep it.
fn age_of(e: &Expr) -> Option<&VectorSelector> {
    let Expr::Binary(b) = e else { return None };
    if op_str(&b.op) != "-" {
        return None;
    }
    let Expr::Call(c) = unwrap_parens(&b.lhs) else {
        return None;
    };
    if c.func.name != "time" {
        return None;
    }
    let vs = timestamp_selector(&b.rhs)?;
    is_last_event_timestamp(vs.name.as_deref()?).then_some(vs)
}

fn timestamp_selector(e: &Expr) -> Option<&VectorSelector> {
    match e {
        Expr::VectorSelector(vs) => Some(vs),
        Expr::MatrixSelector(ms) => Some(&ms.vs),
        Expr::Paren(p) => timestamp_selector(&p.expr),
        Expr::Aggregate(a) if aggregation_preserves_quantity(&op_str(&a.op)) => {
            timestamp_selector(&a.expr)
        }
        Expr::Call(c) if preserves_quantity(c.func.name) => {
            c.args.args.iter().find_map(|a| timestamp_selector(a))
        }
        // A filter (`m > 0`) keeps the timestamp's value.
        Expr::Binary(b)
            if b.op.is_comparison_operator()
                && !b.return_bool()
                && matches!(*b.rhs, Expr::NumberLiteral(_)) =>
        {
            timestamp_selector(&b.lhs)
        }
        _ => None,
    }
}

fn job_matcher(vs: &VectorSelector) -> Option<&Matcher> {
    vs.matchers.matchers.iter().find(|m| m.name == "job")
}

/// Whether an alert comparing `up` selector `u` (`up == 0`) covers the
/// death of the process exporting `vs`: `u` names the same `job` matcher,
/// or no job at all (a generic "target down" alert over every job).
fn up_covers(u: &VectorSelector, vs: &VectorSelector) -> bool {
    match (job_matcher(u), job_matcher(vs)) {
        (None, _) => true,
        (Some(x), Some(y)) => x.op == y.op && x.value == y.value,
        (Some(_), None) => false,
    }
}

/// Whether `absent(a)` covers the disappearance of `vs` (metric `name`).
fn covers(a: &VectorSelector, vs: &VectorSelector, name: &str) -> bool {
    match a.name.as_deref() {
        Some(n) if n == name => true,
        Some("up") => match (job_matcher(a), job_matcher(vs)) {
            (Some(x), Some(y)) => x.op == y.op && x.value == y.value,
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::{run_on, run_on_files};

    fn alert(expr: &str) -> String {
        format!(
            "groups:\n- name: g\n  rules:\n  - alert: ModelStale\n    expr: {expr}\n    for: 1h\n"
        )
    }

    #[test]
    fn flags_age_alerts_without_absent() {
        for e in [
            "(time() - mlflow_model_last_trained_timestamp) / 86400 > 7",
            "time() - max by (model) (model_last_updated_timestamp_seconds) > 3600",
            "86400 < time() - feature_store_last_refresh_time{job=\"feast\"}",
            "min by (model) (time() - (model_last_trained_timestamp > 0)) > 86400",
        ] {
            let d = run_on(&super::META, &alert(e));
            assert_eq!(d.len(), 1, "{e}");
        }
    }

    #[test]
    fn absent_companion_anywhere_in_the_run_passes() {
        let stale = alert("time() - model_last_trained_timestamp{job=\"train\"} > 86400");
        let companion = "groups:\n- name: h\n  rules:\n  - alert: ModelTimestampMissing\n    expr: absent(model_last_trained_timestamp)\n    for: 1h\n";
        assert!(run_on_files(&super::META, &[&stale, companion]).is_empty());
        let up = "groups:\n- name: h\n  rules:\n  - alert: TrainerDown\n    expr: absent(up{job=\"train\"})\n    for: 5m\n";
        assert!(run_on_files(&super::META, &[&stale, up]).is_empty());
        let inline = alert(
            "time() - model_last_trained_timestamp > 86400 or absent(model_last_trained_timestamp)",
        );
        assert!(run_on(&super::META, &inline).is_empty());
        // A target-down alert for the job, or for every job (kube-prometheus'
        // TargetDown), covers the exporter dying.
        for down in [
            "up{job=\"train\"} == 0",
            "100 * (count(up == 0) by (job) / count(up) by (job)) > 10",
        ] {
            let companion = format!(
                "groups:\n- name: h\n  rules:\n  - alert: Down\n    expr: {down}\n    for: 5m\n"
            );
            assert!(
                run_on_files(&super::META, &[&stale, &companion]).is_empty(),
                "{down}"
            );
        }
        let other_job = "groups:\n- name: h\n  rules:\n  - alert: Down\n    expr: up{job=\"serve\"} == 0\n    for: 5m\n";
        assert_eq!(run_on_files(&super::META, &[&stale, other_job]).len(), 1);
    }

    #[test]
    fn other_time_arithmetic_passes() {
        for e in [
            "time() - node_boot_time_seconds < 600",
            "time() - kube_job_status_start_time > 3600",
            "time() - process_start_time_seconds > 86400",
            "(time() - windows_system_boot_time_timestamp_seconds) < 600",
        ] {
            assert!(run_on(&super::META, &alert(e)).is_empty(), "{e}");
        }
    }
}
