//! `external-label-missing` (ML225): an alerting rule's label or annotation
//! reads `$externalLabels.x` (or `.ExternalLabels.x`, `index
//! $externalLabels "x"`) where `x` is not among the external labels the run
//! knows, so it always expands to an empty string. pint's
//! `alerts/external_labels`, offline: the external labels come from the
//! `external_labels` setting or a `prometheus.yml` of the run
//! (`lint::conventions`), and the lint is silent when neither states them.

use crate::diagnostic::suggest::closest;
use crate::lint::project::route_unused::{EXTERNAL_LABELS, external_labels};
use crate::lint::{Lint, Reporter, RuleCtx};

crate::declare_lint! {
    /// The `external-label-missing` lint.
    pub struct ExternalLabelMissing {
        code: "ML225",
        name: "external-label-missing",
        category: Correctness,
        severity: Warning,
        summary: "a template reads an external label no Prometheus server of the run sets",
    }
}

impl Lint for ExternalLabelMissing {
    /// For alerting rules, when the run's external labels are known
    /// ([`Config::origin`](crate::config::Config::origin) of
    /// `external_labels` is set: the config, or `global.external_labels`
    /// of a server config in the run): every external label a template
    /// reads must be one of them. Prometheus fills `$externalLabels` from
    /// `global.external_labels` alone (`rules/alerting.go`,
    /// `template.AlertTemplateData`), so any other name is empty.
    fn check_rule(&self, cx: &RuleCtx, rep: &mut Reporter) {
        let Some(origin) = cx.config.origin(&EXTERNAL_LABELS) else {
            return;
        };
        let known = external_labels(cx.config);
        let names: Vec<&str> = known.iter().map(|(k, _)| k.as_str()).collect();
        for (what, kv) in cx.alert_templates() {
            for r in &kv.template().external_refs {
                if names.contains(&r.label.as_str()) {
                    continue;
                }
                let set = if names.is_empty() {
                    "none".to_string()
                } else {
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let span = kv.value.sub_span(r.range.start, r.range.end);
                let help = match closest(&r.label, names.iter().copied(), 2) {
                    Some(near) => format!("did you mean `$externalLabels.{near}`?"),
                    None => format!(
                        "add `{}` to the servers' global.external_labels (or to `external_labels` in .mlalert.yaml if it is set elsewhere), or read the series' label with `$labels.{}`",
                        r.label, r.label
                    ),
                };
                rep.report(
                    span,
                    format!(
                        "{what} {:?} reads external label {:?}, which the run's Prometheus does not set (external labels: {set}, from {origin}), so it is always empty",
                        kv.key.value, r.label
                    ),
                )
                .help(help);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, Value};

    const RULES: &str = r#"
groups:
- name: g
  rules:
  - alert: GpuHot
    expr: DCGM_FI_DEV_GPU_TEMP > 90
    for: 5m
    labels:
      cluster: '{{ $externalLabels.cluster }}'
    annotations:
      summary: 'GPU {{ $labels.gpu }} hot in {{ $externalLabels.region }} / {{ .ExternalLabels.clustr }} / {{ index $externalLabels "env" }}'
  - record: r
    expr: up
    labels:
      x: '{{ $externalLabels.nope }}'
"#;

    fn run(config: &Config, rules: &str) -> Vec<crate::lint::Diagnostic> {
        let source = crate::source::SourceFile::from_text("t.yaml", rules.to_string(), 0);
        crate::lint::run_sources(vec![source], config)
            .diagnostics
            .into_iter()
            .filter(|d| d.lint.code == super::META.code)
            .collect()
    }

    fn with(labels: &[&str]) -> Config {
        let mut c = Config::default();
        c.set(
            &super::EXTERNAL_LABELS,
            Value::Strings(labels.iter().map(|s| s.to_string()).collect()),
        );
        c
    }

    #[test]
    fn flags_external_labels_no_server_sets() {
        let d = run(&with(&["cluster=gpu-east", "env=prod"]), RULES);
        let got: Vec<(&str, &str)> = d
            .iter()
            .map(|d| (&RULES[d.span.start..d.span.end], d.message.as_str()))
            .collect();
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].0, "region");
        assert!(
            got[0]
                .1
                .contains("reads external label \"region\", which the run's Prometheus does not set (external labels: `cluster`, `env`, from .mlalert.yaml)"),
            "{}",
            got[0].1
        );
        assert_eq!(got[1].0, "clustr");
        assert_eq!(
            d[1].help.as_deref(),
            Some("did you mean `$externalLabels.cluster`?")
        );
    }

    #[test]
    fn an_explicitly_empty_set_flags_every_read() {
        assert_eq!(run(&with(&[]), RULES).len(), 4);
    }

    #[test]
    fn silent_when_the_run_does_not_state_external_labels() {
        assert!(run(&Config::default(), RULES).is_empty());
    }

    #[test]
    fn reads_the_labels_of_a_prometheus_yml_in_the_run() {
        let server = "global:\n  external_labels:\n    cluster: gpu-east\nscrape_configs: []\n";
        let sources = vec![
            crate::source::SourceFile::from_text("t.yaml", RULES.to_string(), 0),
            crate::source::SourceFile::from_text("prometheus.yml", server.to_string(), 1),
        ];
        let d: Vec<_> = crate::lint::run_sources(sources, &Config::default())
            .diagnostics
            .into_iter()
            .filter(|d| d.lint.code == super::META.code)
            .collect();
        assert_eq!(d.len(), 3, "{d:?}");
        assert!(
            d[0].message
                .contains("from prometheus.yml:3:5 (global.external_labels)"),
            "{}",
            d[0].message
        );
    }
}
