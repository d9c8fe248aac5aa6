//! `rule-document-ignored` (ML116): a plain rule file holds several YAML
//! documents. Prometheus reads a rule file with one `yaml.Decoder.Decode`
//! (rulefmt's `Parse`), so only the first document is loaded; the groups of
//! every later document are dropped without an error, and `promtool check
//! rules` says nothing either.

use crate::lint::{Lint, ProjectCtx, Reporter};

crate::declare_lint! {
    /// The `rule-document-ignored` lint.
    pub struct RuleDocumentIgnored {
        code: "ML116",
        name: "rule-document-ignored",
        category: Correctness,
        severity: Warning,
        summary: "a rule file's second or later YAML document, which Prometheus never loads",
    }
}

impl Lint for RuleDocumentIgnored {
    /// Flags each `groups:` document that follows a first `groups:`
    /// document in the same YAML stream (a file, or a ConfigMap value),
    /// at its first group's name. Kubernetes manifests (PrometheusRule,
    /// ConfigMap, `kind: List`) are streams of objects, not rule files, and
    /// are not flagged.
    fn check_project(&self, cx: &ProjectCtx, r: &mut Reporter) {
        for f in &cx.files {
            for rf in f
                .loaded
                .rule_files
                .iter()
                .filter(|rf| rf.ignored_by_prometheus)
            {
                if rf.groups.is_empty() {
                    continue;
                }
                let n = rf.groups.len();
                let rules: usize = rf.groups.iter().map(|g| g.rules.len()).sum();
                r.report_in(
                    f.file,
                    rf.groups[0].name.span,
                    format!(
                        "this document is never loaded: Prometheus reads only the first YAML document of a rule file, so its {n} group{} ({rules} rule{}) never run",
                        if n == 1 { "" } else { "s" },
                        if rules == 1 { "" } else { "s" },
                    ),
                )
                .help("move these groups under the first document's `groups:` (or into a file of their own), and remove the `---` separator");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    #[test]
    fn flags_every_later_rule_document() {
        let y = r#"groups:
  - name: first
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
---
groups:
  - name: gpu
    rules:
      - alert: GpuDown
        expr: up{job="dcgm"} == 0
        for: 5m
---
groups:
  - name: third
    rules: []
  - name: fourth
    rules: []
"#;
        let d = run_on(&super::META, y);
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!(d[0].span.start, y.find("gpu\n").unwrap());
        assert!(
            d[0].message.contains("its 1 group (1 rule) never run"),
            "{}",
            d[0].message
        );
        assert!(
            d[1].message.contains("its 2 groups (0 rules)"),
            "{}",
            d[1].message
        );
    }

    #[test]
    fn passes_single_documents_and_kubernetes_streams() {
        assert!(run_on(&super::META, "groups:\n  - name: g\n    rules: []\n").is_empty());
        // PrometheusRule objects are loaded one by one by the operator.
        let crds = r#"apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: a}
spec:
  groups:
    - name: a
      rules: []
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: b}
spec:
  groups:
    - name: b
      rules: []
"#;
        assert!(run_on(&super::META, crds).is_empty());
        // A rule file and an Alertmanager config side by side (mlalert's own
        // convention for one-input checks) are not one rule file.
        let mixed = "route: {receiver: x}\nreceivers: [{name: x}]\n---\ngroups:\n  - name: g\n    rules: []\n";
        assert!(run_on(&super::META, mixed).is_empty());
    }
}
