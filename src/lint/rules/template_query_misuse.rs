//! `template-query-misuse` (ML218): a `query` call in an alert's label or
//! annotation that cannot work as written: its PromQL does not parse or
//! returns a range vector, it carries template code inside the string
//! (`query "up{instance='$labels.instance'}"`), a field of its result is
//! misspelt or read on the list (`.labels`, `.Value` on `query`'s result),
//! or the result is printed raw (`{{ query "x" }}`).

use crate::lint::{Lint, Reporter, RuleCtx};
use crate::promql::ast::ValueType;
use crate::template::check::{QueryArg, ValueKind};

crate::declare_lint! {
    /// `template-query-misuse`: a query call in a template cannot work as written.
    pub struct TemplateQueryMisuse {
        code: "ML218",
        name: "template-query-misuse",
        category: Correctness,
        severity: Warning,
        summary: "a `query` call in a template cannot work as written",
    }
}

/// Template code that, inside a string, is plain text.
const TEMPLATE_CODE: &[&str] = &[
    "{{",
    "$labels",
    "$value",
    "$externalLabels",
    "$externalURL",
    ".Labels.",
];

/// `format` with Go's `printf` verbs replaced by `with` (`%%` by `%`), so
/// that the PromQL around them can be parsed.
fn fill_verbs(format: &str, with: &str) -> String {
    let mut out = String::new();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push('%');
            continue;
        }
        // Flags, width, precision and an explicit argument index, then the verb.
        while let Some(&n) = chars.peek() {
            if n.is_ascii_alphabetic() {
                break;
            }
            if !(n.is_ascii_digit() || "+-# .[]*".contains(n)) {
                break;
            }
            chars.next();
        }
        if chars.next_if(|n| n.is_ascii_alphabetic()).is_some() {
            out.push_str(with);
        }
    }
    out
}

/// Why the PromQL text of a `query` call cannot run, if it cannot: a parse
/// error, or a result `query` refuses (a range vector or a string;
/// Prometheus' rule query function returns only vectors and scalars).
/// A format is tried with its verbs filled by a label value, a number and
/// a duration; it fails only when every filling fails.
fn promql_problem(arg: &QueryArg) -> Option<String> {
    let check = |q: &str| -> Option<String> {
        match crate::promql::parse(q) {
            Err(e) => Some(format!("is not valid PromQL: {}", e.message)),
            Ok(ast) => match ast.value_type() {
                ValueType::Matrix => Some(
                    "returns a range vector, which `query` refuses (it needs an instant vector or a scalar)"
                        .into(),
                ),
                ValueType::String => {
                    Some("returns a string, which `query` refuses (it needs an instant vector or a scalar)".into())
                }
                _ => None,
            },
        }
    };
    match arg {
        QueryArg::Literal { text, .. } => check(text),
        QueryArg::Format { format, .. } => {
            let mut first = None;
            for with in ["x", "1", "5m"] {
                match check(&fill_verbs(format, with)) {
                    None => return None,
                    Some(p) => {
                        first.get_or_insert(p);
                    }
                }
            }
            first
        }
        QueryArg::Dynamic => None,
    }
}

impl Lint for TemplateQueryMisuse {
    /// For alerting rules, in every label and annotation that parses as a
    /// template (`template::check` lists the `query` calls, the fields read
    /// on query results and samples, and what actions print):
    ///
    /// - a query string (a literal, or a `printf` format with its verbs
    ///   filled) that holds template code (`{{`, `$labels`, `$value`,
    ///   `.Labels.`): Go does not expand inside strings;
    /// - otherwise a query string that does not parse as PromQL, or whose
    ///   result is a range vector or a string;
    /// - a field of a sample other than `Labels` and `Value`
    ///   (`template.go`'s `sample`; Go is case-sensitive), or any field of
    ///   the list `query` returns;
    /// - an action printing a query result or a whole sample.
    ///
    /// Queries built otherwise (`print`, a variable) are not checked.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let rule = cx.rule;
        if !rule.is_alert() {
            return;
        }
        for (what, kv) in cx.alert_templates() {
            let checked = kv.template();
            if checked.error.is_some() {
                continue;
            }
            let text = kv.value.value.as_str();
            let key = &kv.key.value;
            for q in &checked.queries {
                let (s, range) = match &q.arg {
                    QueryArg::Literal { text, range }
                    | QueryArg::Format {
                        format: text,
                        range,
                    } => (text, range),
                    QueryArg::Dynamic => continue,
                };
                // Template code has no escapes: find it in the literal's source.
                let span_of = |shown: &str| match text[range.clone()].find(shown) {
                    Some(at) => kv
                        .value
                        .sub_span(range.start + at, range.start + at + shown.len()),
                    None => kv.value.sub_span(range.start, range.end),
                };
                if let Some((at, code)) = TEMPLATE_CODE
                    .iter()
                    .filter_map(|c| s.find(c).map(|at| (at, *c)))
                    .min()
                {
                    let end = if code == "{{" {
                        s[at..].find("}}").map_or(at + 2, |e| at + e + 2)
                    } else {
                        at + code.len()
                            + s[at + code.len()..]
                                .find(|c: char| !(c == '.' || c == '_' || c.is_alphanumeric()))
                                .unwrap_or(s.len() - at - code.len())
                    };
                    let shown = &s[at..end];
                    r.report(
                        span_of(shown),
                        format!(
                            "{what} {key:?} passes `query` a string holding `{shown}`: Go does not expand template code inside a string, so PromQL receives the text as is"
                        ),
                    )
                    .help("build the query with `printf`: `{{ with printf \"up{instance=%q}\" $labels.instance | query }}{{ . | first | value }}{{ end }}`");
                    continue;
                }
                if let Some(problem) = promql_problem(&q.arg) {
                    let what_q = if matches!(q.arg, QueryArg::Format { .. }) {
                        "the query `printf` builds"
                    } else {
                        "the query"
                    };
                    r.report(
                        kv.value.sub_span(range.start, range.end),
                        format!("{what} {key:?}: {what_q} {problem}"),
                    )
                    .help("test the query in Prometheus' expression browser; at expansion `query` fails and the text becomes `<error expanding template: …>`");
                }
            }
            for f in &checked.fields {
                let span = kv.value.sub_span(f.range.start, f.range.end);
                match f.receiver {
                    ValueKind::Sample => {
                        let fields = ValueKind::Sample.fields().unwrap_or_default();
                        if fields.iter().any(|(n, _)| *n == f.field) {
                            continue;
                        }
                        let case = fields
                            .iter()
                            .find(|(n, _)| n.eq_ignore_ascii_case(&f.field));
                        let msg = match case {
                            Some((n, _)) => format!(
                                "{what} {key:?} reads `.{}` on a query sample, whose field is `.{n}` (Go templates are case-sensitive): expanding fails with `can't evaluate field {}`",
                                f.field, f.field
                            ),
                            None => format!(
                                "{what} {key:?} reads `.{}` on a query sample, which has only `.Labels` and `.Value`: expanding fails with `can't evaluate field {}`",
                                f.field, f.field
                            ),
                        };
                        r.report(span, msg).help(match case {
                            Some((n, _)) => format!("write `.{n}`"),
                            None => "read a label with `.Labels.name` and the value with `.Value`"
                                .into(),
                        });
                    }
                    ValueKind::QueryResult => {
                        r.report(span, format!(
                            "{what} {key:?} reads `.{}` on the list of samples `query` returns, not on a sample: expanding fails with `can't evaluate field {}`",
                            f.field, f.field
                        ))
                        .help("take a sample first: `{{ with query \"…\" }}{{ with first . }}{{ .Labels.instance }} {{ .Value }}{{ end }}{{ end }}`, or `{{ range query \"…\" }}…{{ end }}`");
                    }
                    _ => {}
                }
            }
            for p in &checked.printed {
                let span = kv.value.sub_span(p.range.start, p.range.end);
                let (shape, printed) = match p.kind {
                    ValueKind::QueryResult => {
                        ("the list of samples `query` returns", "`[0xc000…]`")
                    }
                    _ => ("a whole query sample", "`&{map[…] 1}`"),
                };
                r.report(
                    span,
                    format!(
                        "{what} {key:?} prints {shape}: Go prints it as {printed}, not a value"
                    ),
                )
                .help("print one value: `{{ with query \"…\" }}{{ . | first | value | humanize }}{{ end }}`, or a label with `label \"name\"`");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    fn found(y: &str) -> Vec<(String, String)> {
        run_on(&super::META, y)
            .iter()
            .map(|d| (y[d.span.start..d.span.end].to_string(), d.message.clone()))
            .collect()
    }

    #[test]
    fn flags_query_strings_that_cannot_run() {
        let y = r#"groups:
- name: gpu
  rules:
  - alert: GPUMemoryAlmostFull
    expr: DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE) > 0.95
    for: 10m
    annotations:
      summary: 'GPU {{ $labels.gpu }}: {{ with query "DCGM_FI_DEV_FB_FREE{gpu=\"$labels.gpu\"}" }}{{ . | first | value }}{{ end }} MiB free'
      description: '{{ with query "sum(DCGM_FI_DEV_FB_FREE{Hostname=\"{{ $labels.Hostname }}\"})" }}{{ . | first | value }}{{ end }}'
      free: '{{ with query "sum by (gpu) (DCGM_FI_DEV_FB_FREE" }}{{ . | first | value }}{{ end }}'
      history: '{{ with printf `DCGM_FI_DEV_FB_USED{gpu="%s"}[1h]` $labels.gpu | query }}{{ . | first | value }}{{ end }}'
"#;
        let f = found(y);
        let at: Vec<&str> = f.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(
            at,
            [
                "$labels.gpu",
                "{{ $labels.Hostname }}",
                "\"sum by (gpu) (DCGM_FI_DEV_FB_FREE\"",
                "`DCGM_FI_DEV_FB_USED{gpu=\"%s\"}[1h]`"
            ],
            "{f:#?}"
        );
        assert!(f[2].1.contains("is not valid PromQL"), "{}", f[2].1);
        assert!(
            f[3].1
                .contains("the query `printf` builds returns a range vector"),
            "{}",
            f[3].1
        );
    }

    #[test]
    fn flags_fields_and_raw_results() {
        let y = r#"groups:
- name: serving
  rules:
  - alert: ModelReplicasDown
    expr: kube_deployment_status_replicas_available{deployment=~"triton-.*"} == 0
    for: 5m
    annotations:
      summary: 'replicas of the fleet: {{ query "sum(kube_deployment_status_replicas_available)" }}'
      description: '{{ range query "kube_pod_info{created_by_kind=\"ReplicaSet\"}" }}{{ .labels.pod }} {{ end }}'
      capacity: '{{ with query "sum(kube_deployment_spec_replicas)" }}{{ .Value }}{{ end }} / {{ query "vector(3)" | first }}'
"#;
        let f = found(y);
        let at: Vec<&str> = f.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(
            at,
            [
                "query \"sum(kube_deployment_status_replicas_available)\"",
                "labels",
                "Value",
                "query \"vector(3)\" | first"
            ],
            "{f:#?}"
        );
        assert!(f[1].1.contains("whose field is `.Labels`"));
        assert!(f[2].1.contains("on the list of samples"));
    }

    #[test]
    fn passes_the_forms_that_work() {
        // kube-prometheus, ceph and windows mixins; awesome-prometheus-alerts.
        let y = r#"groups:
- name: ok
  rules:
  - alert: PrometheusRemoteWriteDesiredShards
    expr: prometheus_remote_storage_shards_desired > prometheus_remote_storage_shards_max
    for: 15m
    annotations:
      description: 'wants {{ $value }} shards, more than the max of {{ printf `prometheus_remote_storage_shards_max{instance="%s",job="prometheus-k8s"}` $labels.instance | query | first | value }}.'
  - alert: CephOSDDown
    expr: count(ceph_osd_up == 0) > 0
    for: 5m
    annotations:
      description: '{{ $num := printf "count(ceph_osd_up{cluster=''%s''} == 0) " .Labels.cluster | query | first | value }}{{ $num }} OSDs down: {{- range printf "(ceph_osd_up{cluster=''%s''} * on(cluster,ceph_daemon) group_left(hostname) ceph_osd_metadata) == 0" .Labels.cluster | query }} - {{ .Labels.ceph_daemon }} on {{ .Labels.hostname }} at {{ .Value }}{{- end }}'
  - alert: WindowsDiskAlmostOutOfSpace
    expr: 100 - windows_logical_disk_free_bytes / windows_logical_disk_size_bytes * 100 > 90
    for: 15m
    annotations:
      description: 'free: {{ with printf `windows_logical_disk_free_bytes{volume="%s", }` $labels.volume | query | first | value | humanize }}{{ . }}{{ end }}; {{ with query "up" }}{{ len . }} targets, first {{ (. | first).Labels.job }} {{ range $i, $s := . }}{{ $s.Value }}{{ end }}{{ end }}'
      window: '{{ with printf "rate(x_total[%s])" "5m" | query }}{{ . | first | value }}{{ end }} {{ $q := "up" }}{{ query $q | len }}'
      labels: 'LABELS = {{ $labels }}'
"#;
        let f = found(y);
        assert!(f.is_empty(), "{f:#?}");
    }
}
