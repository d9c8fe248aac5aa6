//! `duplicate-alert` (ML107): two alerting rules in the run with the same
//! name and the same static labels produce alerts Alertmanager cannot tell
//! apart: they merge, flap between two conditions, and silences or
//! inhibitions written for one also hit the other.

use std::collections::{BTreeMap, HashMap};

use crate::lint::{Lint, ProjectCtx, Reporter};
use crate::promql::labels::{LabelSet, disjoint};

crate::declare_lint! {
    /// The `duplicate-alert` lint.
    pub struct DuplicateAlert {
        code: "ML107",
        name: "duplicate-alert",
        category: Suspicious,
        severity: Warning,
        summary: "two alerting rules have the same name and the same static labels",
    }
}

impl Lint for DuplicateAlert {
    /// Flags every alerting rule after the first with the same name and the
    /// same static labels (the rule's and its group's, empty values dropped),
    /// anywhere in the files of the run; the message names the first. Two
    /// rules whose results cannot share a label set (`up{job="a"}` and
    /// `up{job="b"}`, as the output label inference shows) are distinct.
    fn check_project(&self, cx: &ProjectCtx, rep: &mut Reporter) {
        type Key<'a> = (&'a str, BTreeMap<&'a str, &'a str>);
        // Every earlier rule per key: (file, offset of its name, the rule).
        // Output labels are computed only when two rules share a key.
        let mut seen: HashMap<Key, Vec<(usize, usize, &crate::model::rules::Rule)>> =
            HashMap::new();
        let labels_of = |r: &'_ crate::model::rules::Rule| -> Vec<LabelSet> {
            r.expr
                .as_ref()
                .map(|e| e.output_labels().to_vec())
                .unwrap_or_default()
        };
        for (f, g, r) in cx.rules() {
            if !r.is_alert() {
                continue;
            }
            let key = (r.name.value.as_str(), g.static_labels(r));
            let statics = key.1.clone();
            let ignore = |l: &str| l == "__name__" || statics.contains_key(l);
            let earlier = seen.entry(key.clone()).or_default();
            let clash = if earlier.is_empty() {
                None
            } else {
                let out_labels = labels_of(r);
                earlier
                    .iter()
                    .find(|(_, _, other)| {
                        let o = labels_of(other);
                        o.is_empty() || out_labels.is_empty() || !disjoint(&o, &out_labels, &ignore)
                    })
                    .map(|(ff, at, _)| (*ff, *at))
            };
            earlier.push((f.file, r.name.span.start, r));
            let Some((ff, at)) = clash else {
                continue;
            };
            let Some(pf) = cx.files.iter().find(|x| x.file == ff) else {
                continue;
            };
            let where_ = if ff == f.file {
                format!("line {}", pf.source.line_col(at).line)
            } else {
                format!("{}:{}", pf.source.path, pf.source.line_col(at).line)
            };
            let labels = if key.1.is_empty() {
                "no labels".to_string()
            } else {
                key.1
                    .iter()
                    .map(|(k, v)| format!("{k}={v:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let mut d = rep.report_in(f.file, r.name.span, format!(
                    "alert {:?} with {labels} is already defined at {where_}",
                    r.name.value
                ))
            .help("remove one of the two, or give them distinct labels (e.g. `severity: warning` and `severity: critical` with different thresholds)");
            if ff == f.file {
                d = d.label(
                    crate::source::Span::new(at, at + r.name.value.len()),
                    "first defined here",
                );
            }
            drop(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::{run_on, run_on_files};

    const A: &str = "groups:\n- name: g\n  rules:\n  - alert: GPUHot\n    expr: DCGM_FI_DEV_GPU_TEMP > 85\n    labels:\n      severity: warning\n";

    #[test]
    fn flags_same_name_and_labels_in_one_file_and_across_files() {
        let two = format!(
            "{A}  - alert: GPUHot\n    expr: DCGM_FI_DEV_GPU_TEMP > 90\n    labels:\n      severity: warning\n"
        );
        assert_eq!(run_on(&super::META, &two).len(), 1);
        let d = run_on_files(&super::META, &[A, A]);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].file, 1);
        assert!(d[0].message.contains("test0.yaml:4"), "{}", d[0].message);
    }

    #[test]
    fn group_labels_count_and_different_labels_pass() {
        let other = "groups:\n- name: h\n  rules:\n  - alert: GPUHot\n    expr: DCGM_FI_DEV_GPU_TEMP > 95\n    labels:\n      severity: critical\n";
        assert!(run_on_files(&super::META, &[A, other]).is_empty());
        let by_group = "groups:\n- name: h\n  labels:\n    severity: critical\n  rules:\n  - alert: GPUHot\n    expr: DCGM_FI_DEV_GPU_TEMP > 95\n    labels:\n      severity: warning\n";
        // The rule's label overrides the group's: same labels as A.
        assert_eq!(run_on_files(&super::META, &[A, by_group]).len(), 1);
        let other_job = "groups:\n- name: h\n  rules:\n  - alert: GPUHot\n    expr: DCGM_FI_DEV_GPU_TEMP{job=\"b\"} > 95\n    labels:\n      severity: warning\n";
        let job_a = A.replace(
            "DCGM_FI_DEV_GPU_TEMP >",
            "DCGM_FI_DEV_GPU_TEMP{job=\"a\"} >",
        );
        assert!(run_on_files(&super::META, &[&job_a, other_job]).is_empty());
        assert_eq!(run_on_files(&super::META, &[A, other_job]).len(), 1);
        let team = "groups:\n- name: h\n  labels:\n    team: ml\n  rules:\n  - alert: GPUHot\n    expr: DCGM_FI_DEV_GPU_TEMP > 95\n    labels:\n      severity: warning\n";
        assert!(run_on_files(&super::META, &[A, team]).is_empty());
    }
}
