//! `template-label-missing` (ML204): an alert's label or annotation reads
//! `$labels.x` (or `.Labels.x`, `index $labels "x"`) where `x` cannot be on
//! the alert's series, so it always expands to an empty string.

use crate::lint::{Lint, Reporter, RuleCtx};
use crate::promql::analysis::or_branches;
use crate::promql::labels::{Known, Labeller};

crate::declare_lint! {
    /// The `template-label-missing` lint.
    pub struct TemplateLabelMissing {
        code: "ML204",
        name: "template-label-missing",
        category: Correctness,
        severity: Warning,
        summary: "a template reads a label the alert's series do not carry",
    }
}

impl Lint for TemplateLabelMissing {
    /// For alerting rules: every label a template reads is looked up in
    /// the expression's possible output label sets (`promql::labels`, one
    /// per `or` branch). `$labels` holds the result sample's labels only
    /// (Prometheus' `rules/alerting.go` expands the templates with
    /// `smpl.Metric` and adds the rule's and group's labels and `alertname`
    /// afterwards), so a read is flagged when
    ///
    /// - no branch can carry the label;
    /// - the label is one the rule (or its group) sets, and some branch is
    ///   not known to carry it itself;
    /// - it is `alertname` and no branch can carry it (`ALERTS` series do);
    /// - some branches carry it and another cannot: that branch's alerts
    ///   show it empty.
    fn check_rule(&self, cx: &RuleCtx, rep: &mut Reporter) {
        let rule = cx.rule;
        if !rule.is_alert() {
            return;
        }
        let Some(expr) = rule.expr.as_ref().filter(|e| e.ast.is_some()) else {
            return;
        };
        let sets = expr.output_labels();
        for (what, kv) in cx.alert_templates() {
            for r in &kv.template().label_refs {
                let known: Vec<Known> = sets.iter().map(|s| s.known(&r.label)).collect();
                let carried = |k: &Known| matches!(k, Known::Present | Known::Values(_));
                let never = known.iter().all(|k| *k == Known::Absent);
                let span = kv.value.sub_span(r.range.start, r.range.end);
                let head = format!("{what} {:?} reads label {:?}", kv.key.value, r.label);
                if let Some(set) = cx
                    .group
                    .label_of(rule, &r.label)
                    .filter(|kv| !kv.value.value.is_empty())
                {
                    // A rule label copied from the series (`x: "{{ $labels.x }}"`)
                    // is the series' own.
                    let copies = set.template().label_refs.iter().any(|x| x.label == r.label);
                    if copies || known.iter().all(carried) {
                        continue;
                    }
                    let value = &set.value.value;
                    let when = if never {
                        "so it is always empty"
                    } else {
                        "so it is empty unless the series carries its own"
                    };
                    let fix = if set.template().label_refs.is_empty() && !value.contains("{{") {
                        format!(
                            "write {value:?} in the text instead of `$labels.{}`",
                            r.label
                        )
                    } else {
                        format!(
                            "repeat the label's template ({value:?}) instead of `$labels.{}`",
                            r.label
                        )
                    };
                    rep.report(span, format!(
                        "{head}, which the rule sets (`{}: {value}`): `$labels` holds only the series' labels (Prometheus adds the rule's labels after expanding), {when}",
                        r.label
                    ))
                    .help(fix);
                    continue;
                }
                if never {
                    let has = describe(sets.iter().flat_map(|s| s.labels.keys()));
                    let (why, fix) = if r.label == "alertname" {
                        (
                            "which Prometheus adds after expanding".to_string(),
                            format!("write the alert's name ({:?}) in the text", rule.name.value),
                        )
                    } else {
                        (
                            format!("which the alert's series cannot have (they carry {has})"),
                            format!(
                                "keep {:?} in the expression (e.g. add it to `by (…)`), or stop reading it",
                                r.label
                            ),
                        )
                    };
                    rep.report(span, format!("{head}, {why}: it is always empty"))
                        .help(fix);
                    continue;
                }
                // Some branch of the top-level `or` cannot carry it while
                // another can: that branch's alerts show it empty.
                let Some(ast) = expr.ast.as_deref() else {
                    continue;
                };
                let branches = or_branches(ast);
                if branches.len() < 2 {
                    continue;
                }
                let labeller = Labeller::new(ast);
                let lacking = branches.iter().find_map(|b| {
                    let sets = labeller.output_labels(b);
                    sets.iter()
                        .all(|s| s.known(&r.label) == Known::Absent)
                        .then_some((b, sets))
                });
                if let Some((b, bsets)) = lacking {
                    let text = b.to_string();
                    let which = if text.chars().count() <= 60 {
                        format!("`{text}`")
                    } else {
                        "one branch".to_string()
                    };
                    let has = describe(bsets.iter().flat_map(|s| s.labels.keys()));
                    rep.report(span, format!(
                        "{head}, which the series of the `or` branch {which} cannot carry (they carry {has}): that branch's alerts show it empty"
                    ))
                    .help(format!(
                        "keep {:?} on every branch (e.g. `absent(x{{{}=\"…\"}})`, `label_replace`), or word the text so an empty value reads well",
                        r.label, r.label
                    ));
                }
            }
        }
    }
}

/// `only `a`, `b`` or `no labels` for the label names of a set (`__name__` left out).
fn describe<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let kept: std::collections::BTreeSet<String> = names
        .filter(|k| *k != "__name__")
        .map(|k| format!("`{k}`"))
        .collect();
    if kept.is_empty() {
        "no labels".to_string()
    } else {
        format!("only {}", kept.into_iter().collect::<Vec<_>>().join(", "))
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    fn at<'a>(y: &'a str, d: &crate::diagnostic::Diagnostic) -> &'a str {
        &y[d.span.start..d.span.end]
    }

    #[test]
    fn flags_label_aggregated_away() {
        let y = "groups:\n- name: g\n  rules:\n  - alert: GPUHot\n    expr: max by (Hostname) (DCGM_FI_DEV_GPU_TEMP) > 85\n    for: 5m\n    annotations:\n      summary: \"GPU {{ $labels.gpu }} on {{ $labels.Hostname }} is hot\"\n";
        let d = run_on(&super::META, y);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].span.start, y.find("gpu }}").unwrap());
    }

    #[test]
    fn flags_rule_and_group_labels_read_through_labels() {
        // kube-prometheus style: the rule's own labels are not in `$labels`.
        let y = r#"groups:
- name: node-exporter
  labels:
    team: ml-platform
  rules:
  - alert: NodeExporterDown
    expr: up{job="node-exporter"} == 0
    for: 5m
    labels:
      severity: critical
      stage: prod
    annotations:
      summary: "[{{ $labels.stage }}] node exporter {{ $labels.instance }} is down"
  - alert: GPUTemperatureHigh
    expr: max by (Hostname, gpu) (DCGM_FI_DEV_GPU_TEMP) > 85
    for: 10m
    labels:
      severity: '{{ if gt $value 95.0 }}critical{{ else }}warning{{ end }}'
    annotations:
      description: "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} ({{ $labels.severity }}), owned by {{ $labels.team }}"
"#;
        let d = run_on(&super::META, y);
        let found: Vec<&str> = d.iter().map(|d| at(y, d)).collect();
        assert_eq!(found, ["stage", "severity", "team"], "{d:#?}");
        assert!(
            d[0].message
                .contains("empty unless the series carries its own")
        );
        assert!(d[0].help.as_deref().unwrap().contains("write \"prod\""));
        assert!(
            d[1].help
                .as_deref()
                .unwrap()
                .contains("repeat the label's template")
        );
        assert!(d[2].message.ends_with("so it is always empty"));
    }

    #[test]
    fn flags_label_missing_on_one_or_branch_and_alertname() {
        let y = r#"groups:
- name: triton
  rules:
  - alert: TritonDown
    expr: up{job="triton"} == 0 or absent(up{job="triton"})
    for: 5m
    annotations:
      summary: "Triton {{ $labels.instance }} ({{ $labels.job }}) is down"
  - alert: ModelErrorRatioHigh
    expr: sum by (model) (rate(inference_errors_total[5m])) / sum by (model) (rate(inference_requests_total[5m])) > 0.05
    for: 10m
    annotations:
      summary: "{{ $labels.alertname }}: model {{ $labels.model }} fails"
"#;
        let d = run_on(&super::META, y);
        let found: Vec<&str> = d.iter().map(|d| at(y, d)).collect();
        assert_eq!(found, ["instance", "alertname"], "{d:#?}");
        assert!(
            d[0].message
                .contains("the `or` branch `absent(up{job=\"triton\"})` cannot carry"),
            "{}",
            d[0].message
        );
        assert!(
            d[1].message
                .contains("which Prometheus adds after expanding")
        );
    }

    #[test]
    fn passes_labels_the_series_carry() {
        let y = r#"groups:
- name: g
  rules:
  - alert: GPUHot
    expr: max by (Hostname, gpu) (DCGM_FI_DEV_GPU_TEMP) > 85 or DCGM_FI_DEV_GPU_TEMP{gpu="0"} > 90
    for: 5m
    annotations:
      summary: "{{ $labels.gpu }} {{ $labels.Hostname }}"
  - alert: TrainerDown
    expr: up{job="trainer", team="ml"} == 0
    for: 5m
    labels:
      team: ml
      instance: '{{ $labels.instance }}'
    annotations:
      summary: "{{ $labels.team }} trainer {{ $labels.instance }} is down"
  - alert: AlertsFiringTooLong
    expr: ALERTS{alertstate="firing"} and (time() - ALERTS_FOR_STATE) > 86400
    labels:
      severity: info
    annotations:
      summary: "{{ $labels.alertname }} has fired for a day"
  - alert: CriticalAlertStorm
    expr: sum by (severity) (ALERTS{alertstate="firing"}) > 20
    labels:
      severity: critical
    annotations:
      summary: "{{ $value }} {{ $labels.severity }} alerts are firing"
  - alert: etcdHighNumberOfLeaderChanges
    expr: increase((max without (instance) (etcd_server_leader_changes_seen_total{job=~".*etcd.*"}) or 0*absent(etcd_server_leader_changes_seen_total{job=~".*etcd.*"}))[15m:1m]) >= 4
    for: 5m
    annotations:
      description: 'etcd cluster "{{ $labels.job }}": {{ $value }} leader changes within the last 15 minutes'
"#;
        let d = run_on(&super::META, y);
        assert!(d.is_empty(), "{d:#?}");
    }
}
