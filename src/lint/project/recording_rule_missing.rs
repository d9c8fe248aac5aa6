//! `recording-rule-missing` (ML503): an expression reads a recorded series
//! (a `level:metric:operations` name) that no recording rule of the run
//! records, and that Prometheus neither has series of nor has a rule for.

use crate::lint::prometheus::{recorded_in_run, run_selectors};
use crate::lint::{Lint, ProjectCtx, Reporter};
use crate::promql::selectors::selector_name_span;
use crate::promql::types::is_recorded;

crate::declare_lint! {
    /// `recording-rule-missing`: a recorded series no rule records.
    pub struct RecordingRuleMissing {
        code: "ML503",
        name: "recording-rule-missing",
        category: Correctness,
        severity: Warning,
        summary: "an expression reads a recorded series that no rule of the run and no rule in Prometheus records",
    }
}

impl Lint for RecordingRuleMissing {
    /// With facts about Prometheus: flags selectors of recorded names (with
    /// a `:`) that no rule of the run records, that have no series within the
    /// lookback and that no recording rule loaded in Prometheus records.
    /// Names the facts were not asked about are not flagged.
    fn check_project(&self, cx: &ProjectCtx, r: &mut Reporter) {
        let Some(facts) = cx.config.facts() else {
            return;
        };
        let recorded = recorded_in_run(cx);
        for (file, expr, u) in run_selectors(cx) {
            let Some(name) = u.name.filter(|n| is_recorded(n)) else {
                continue;
            };
            if recorded.contains(name)
                || !facts.knows(name)
                || facts.metrics.contains_key(name)
                || facts.has_recording_rule(name)
            {
                continue;
            }
            let close = crate::diagnostic::suggest::closest(
                name,
                recorded
                    .iter()
                    .map(String::as_str)
                    .chain(facts.recording_rules.iter().map(String::as_str)),
                3,
            )
            .map(|c| format!("; did you mean `{c}`?"))
            .unwrap_or_default();
            r.report_in(
                    file,
                    expr.span_or_whole(selector_name_span(u.expr)),
                    format!(
                        "`{name}` is recorded by no rule of this run and by none in Prometheus ({}), which has no series of it within the last {}{close}",
                        facts.source, facts.lookback
                    ),
                )
                .help("add the recording rule (or the file that holds it) to the run, or read the raw series");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on_with;

    use crate::lint::snapshot_fixture_config as config;

    #[test]
    fn flags_a_recorded_name_nobody_records() {
        let y = "groups:\n- name: g\n  rules:\n  - alert: GpuIdle\n    expr: job:gpu_util:avg5m < 10\n    for: 5m\n";
        let d = run_on_with(&super::META, &[y], config());
        assert_eq!(d.len(), 1, "{d:?}");
        // Recorded in the run: fine.
        let with_rule = format!(
            "{y}  - record: job:gpu_util:avg5m\n    expr: avg by (job) (DCGM_FI_DEV_GPU_UTIL)\n"
        );
        assert!(run_on_with(&super::META, &[&with_rule], config()).is_empty());
        // Recorded in Prometheus: fine.
        let y2 = y.replace("job:gpu_util:avg5m", "job:inference_requests:rate5m");
        assert!(run_on_with(&super::META, &[&y2], config()).is_empty());
    }
}
