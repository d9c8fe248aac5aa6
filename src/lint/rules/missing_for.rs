//! `missing-for` (ML101): an alerting rule without `for` fires on a single
//! evaluation, so one slow or failed scrape pages someone.

use crate::diagnostic::{Applicability, Edit, Fix};
use crate::lint::fix::{key_indent, key_written, line_break};
use crate::lint::{Lint, Reporter, RuleCtx};
use crate::promql::analysis::is_constant;
use crate::promql::persistence::persistence;
use crate::source::Span;

/// The shortest `*_over_time` window that makes `for` unnecessary: the
/// `for: 5m` the help suggests, in milliseconds.
pub(crate) const MIN_WINDOW_MS: u64 = 5 * 60_000;

crate::declare_lint! {
    /// The `missing-for` lint.
    pub struct MissingFor {
        code: "ML101",
        name: "missing-for",
        category: Correctness,
        severity: Warning,
        summary: "an alerting rule without `for` fires on a single evaluation",
    }
}

impl Lint for MissingFor {
    /// Flags alerting rules with no `for` or an empty `for:` (Prometheus reads
    /// both as zero). An explicit `for: 0s` is a decision and is not flagged;
    /// neither are rules whose expression reads no series (a `vector(1)`
    /// heartbeat is meant to fire always), nor an invalid `for` value, which
    /// is `rule-invalid`'s finding. A rule with a non-zero `keep_firing_for`
    /// is left to `keep-firing-for-without-for`.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let rule = cx.rule;
        if !rule.is_alert() || rule.for_invalid {
            return;
        }
        // A `for` shorter than the policy's `min_for` is `for-below-policy`'s.
        if rule.for_.is_some() {
            return;
        }
        // With `keep_firing_for`, `keep-firing-for-without-for` says more.
        if rule
            .keep_firing_for
            .as_ref()
            .is_some_and(|k| k.value.ms > 0)
        {
            return;
        }
        let Some((_, ast)) = cx.parsed() else {
            return;
        };
        if is_constant(ast) || persistence(ast, MIN_WINDOW_MS).is_some() {
            return;
        }
        r.report(rule.name.span, format!("alert {:?} has no `for`: it fires on the first evaluation that matches", rule.name.value))
            .help("add `for: 5m` (or longer) so that one bad scrape or a brief spike does not page; write `for: 0s` if firing at once is intended")
            .fix(add_for(cx));
    }
}

/// Adds `for: 5m` (unsafe: the alert fires 5 minutes later): an empty
/// `for:` gets the value; otherwise a `for: 5m` line goes right after the
/// `expr` entry, where rule files write it, indented as the rule's keys:
/// before the key that follows `expr`, or before `expr` when it is the
/// rule's last key. Block mappings only (no fix in a flow mapping).
fn add_for(cx: &RuleCtx) -> Option<Fix> {
    let text = cx.source.text.as_str();
    let fields = &cx.rule.fields;
    let title = "add `for: 5m`";
    if let Some(f) = fields.iter().find(|f| f.key.value == "for") {
        // `for:` with nothing after it.
        if !f.null || !key_written(cx.source, f) || !f.value.is_empty() {
            return None;
        }
        let colon = f.key.span.end;
        (text.get(colon..colon + 1) == Some(":")).then_some(())?;
        return Fix::of(
            title,
            Applicability::Unsafe,
            [Some(Edit {
                span: Span::point(colon + 1),
                replacement: " 5m".into(),
            })],
        );
    }
    let at = fields.iter().position(|f| f.key.value == "expr")?;
    let before = fields.get(at + 1).or(fields.get(at))?;
    if !key_written(cx.source, before) {
        return None;
    }
    // Spaces only before the key (the `- ` of the rule's first key is not
    // repeated: the new line goes before the key, after the indicator).
    let start = before.key.span.start;
    let indent = key_indent(text, start)?;
    let brk = line_break(text, start);
    Fix::of(
        title,
        Applicability::Unsafe,
        [Some(Edit {
            span: Span::point(start),
            replacement: format!("for: 5m{brk}{indent}"),
        })],
    )
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    #[test]
    fn flags_alert_without_for() {
        let d = run_on(
            &super::META,
            "groups:\n- name: g\n  rules:\n  - alert: GPUHot\n    expr: DCGM_FI_DEV_GPU_TEMP > 85\n",
        );
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].span.start,
            "groups:\n- name: g\n  rules:\n  - alert: ".len()
        );
    }

    #[test]
    fn empty_for_is_missing_but_invalid_for_is_left_to_rule_invalid() {
        let empty = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    for:\n";
        assert_eq!(run_on(&super::META, empty).len(), 1);
        let invalid =
            "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    for: 1.5h\n";
        assert!(run_on(&super::META, invalid).is_empty());
        assert_eq!(
            run_on(&crate::diagnostic::input::rule_invalid::META, invalid).len(),
            1
        );
    }

    #[test]
    fn exempts_expressions_that_already_persist_events_and_countdowns() {
        let rule = |expr: &str| {
            format!("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: '{expr}'\n")
        };
        for expr in [
            "avg_over_time(DCGM_FI_DEV_GPU_UTIL[30m]) < 5",
            "min_over_time(up{job=\"triton\"}[10m]) == 0",
            "count_over_time((up == 0)[5m:1m]) == 5",
            "count(ALERTS{alertstate=\"firing\", severity=\"critical\"}) > 10",
            "increase(training_job_failures_total[15m]) > 0",
            "changes(model_version_info[1h]) > 0",
            "rate(inference_errors_total[5m]) > 0",
            "probe_ssl_earliest_cert_expiry - time() < 86400 * 7",
            "kubelet_certificate_manager_client_ttl_seconds < 86400",
        ] {
            assert!(run_on(&super::META, &rule(expr)).is_empty(), "{expr}");
        }
        // Still flagged: short windows, thresholds above one event, plain gauges.
        for expr in [
            "avg_over_time(DCGM_FI_DEV_GPU_UTIL[1m]) < 5",
            "increase(inference_errors_total[5m]) > 100",
            "rate(inference_errors_total[5m]) > 0.05",
            "inference_queue_depth > 100",
        ] {
            assert_eq!(run_on(&super::META, &rule(expr)).len(), 1, "{expr}");
        }
    }

    #[test]
    fn passes_with_for_explicit_zero_heartbeat_and_recording_rules() {
        let ok = [
            "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    for: 5m\n",
            "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    for: 0s\n",
            "groups:\n- name: g\n  rules:\n  - alert: Watchdog\n    expr: vector(1)\n",
            "groups:\n- name: g\n  rules:\n  - record: job:up:sum\n    expr: sum by (job) (up)\n",
        ];
        for y in ok {
            assert!(run_on(&super::META, y).is_empty(), "{y}");
        }
    }

    /// The text after applying the one finding's fix, `None` without one.
    fn fixed(y: &str) -> Option<String> {
        let d = run_on(&super::META, y);
        assert_eq!(d.len(), 1, "{y}");
        let fix = d[0].fix.as_ref()?;
        Some(crate::lint::fix::apply(y, &[fix]).text)
    }

    #[test]
    fn fix_adds_for_after_expr_in_block_mappings_only() {
        let y = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    labels: {severity: warning}\n";
        assert_eq!(
            fixed(y).unwrap(),
            "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    for: 5m\n    labels: {severity: warning}\n"
        );
        // `expr` last, on the item's first line: before it, at the keys' column.
        let y = "groups:\n- name: g\n  rules:\n  - expr: up == 0\n    alert: A\n";
        assert!(
            fixed(y)
                .unwrap()
                .contains("  - expr: up == 0\n    for: 5m\n    alert: A\n")
        );
        let y = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n";
        assert!(
            fixed(y)
                .unwrap()
                .ends_with("  - alert: A\n    for: 5m\n    expr: up == 0\n")
        );
        // CRLF files get CRLF.
        let y = "groups:\r\n- name: g\r\n  rules:\r\n  - alert: A\r\n    expr: up == 0\r\n    labels: {}\r\n";
        assert!(fixed(y).unwrap().contains("    for: 5m\r\n    labels"));
        // A flow mapping: no fix.
        assert_eq!(
            fixed("groups:\n- name: g\n  rules:\n  - {alert: A, expr: up == 0}\n"),
            None
        );
    }
}
