//! `template-unexpanded-text` (ML217): template code in an alert's label
//! or annotation that is not inside an action — a `}}` with no `{{`, or
//! `$labels.x` / `$value` in plain text — which Go's `text/template` copies
//! to the output as is.

use std::ops::Range;

use crate::lint::{Lint, Reporter, RuleCtx};

crate::declare_lint! {
    /// `template-unexpanded-text`: template code outside `{{ }}` is printed as is.
    pub struct TemplateUnexpandedText {
        code: "ML217",
        name: "template-unexpanded-text",
        category: Correctness,
        severity: Warning,
        summary: "template code outside `{{ }}` is printed as is",
    }
}

/// The alert variables Prometheus defines (`rules/alerting.go`); written
/// outside an action they are plain text.
const VARIABLES: &[&str] = &["$labels", "$value", "$externalLabels", "$externalURL"];

/// A variable (with its `.field` chain) written in plain text.
fn variables(text: &str, seg: &Range<usize>) -> Vec<Range<usize>> {
    let s = &text[seg.clone()];
    let word = |c: char| c == '_' || c.is_alphanumeric();
    let mut out = Vec::new();
    for (i, _) in s.match_indices('$') {
        let rest = &s[i..];
        let Some(v) = VARIABLES
            .iter()
            .find(|v| rest.starts_with(**v) && !rest[v.len()..].starts_with(|c: char| word(c)))
        else {
            continue;
        };
        let mut end = i + v.len();
        // `$labels.instance`: the field chain belongs to it.
        while s[end..].starts_with('.') && s[end + 1..].starts_with(|c: char| word(c)) {
            end += 1 + s[end + 1..]
                .find(|c: char| !word(c))
                .unwrap_or(s.len() - end - 1);
        }
        out.push(seg.start + i..seg.start + end);
    }
    out
}

/// Every `}}` in the text segments whose two braces close no `{` of the
/// text itself (`{"a": {"b": 1}}` is balanced), in order.
fn stray_closers(text: &str, segs: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    for seg in segs {
        let b = text.as_bytes();
        let mut i = seg.start;
        while i < seg.end {
            match b[i] {
                b'{' => depth += 1,
                b'}' if depth > 0 => depth -= 1,
                b'}' if i + 1 < seg.end && b[i + 1] == b'}' => {
                    out.push(i..i + 2);
                    i += 1;
                }
                _ => {}
            }
            i += 1;
        }
    }
    out
}

impl Lint for TemplateUnexpandedText {
    /// For alerting rules, in every label and annotation that parses as a
    /// template, looks at the text outside actions and comments (what Go
    /// copies as is) for a `}}` that closes neither an action nor a `{` of
    /// the text, and for Prometheus' alert variables (`$labels.x`,
    /// `$value`, `$externalLabels`, `$externalURL`). A variable followed
    /// by a stray `}}` (`$labels.job }}`, the `{{` forgotten) is one
    /// finding. Values that do not parse are `template-syntax`'s.
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
            let mut vars: Vec<Range<usize>> = checked
                .texts
                .iter()
                .flat_map(|s| variables(text, s))
                .collect();
            for close in stray_closers(text, &checked.texts) {
                // `$labels.job }}`: the variable just before belongs to it.
                let opened = vars.iter().position(|v| {
                    v.end <= close.start && text[v.end..close.start].trim().is_empty()
                });
                if let Some(i) = opened {
                    let v = vars.remove(i);
                    let code = &text[v.start..close.end];
                    let var = &text[v.clone()];
                    r.report(
                        kv.value.sub_span(v.start, close.end),
                        format!(
                            "{what} {:?} has `{code}` without its `{{{{`: Go prints it as is",
                            kv.key.value
                        ),
                    )
                    .help(format!("open the action: `{{{{ {var} }}}}`"));
                } else {
                    r.report(
                        kv.value.sub_span(close.start, close.end),
                        format!(
                            "{what} {:?} has a `}}}}` that closes no `{{{{`: Go prints it as is",
                            kv.key.value
                        ),
                    )
                    .help("remove it, or open the action it was meant to close with `{{`");
                }
            }
            for v in vars {
                let var = &text[v.clone()];
                r.report(
                    kv.value.sub_span(v.start, v.end),
                    format!(
                        "{what} {:?} has `{var}` outside `{{{{ }}}}`: Go prints the text `{var}`, not its value",
                        kv.key.value
                    ),
                )
                .help(format!("write `{{{{ {var} }}}}`"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    fn found(y: &str) -> Vec<String> {
        run_on(&super::META, y)
            .iter()
            .map(|d| y[d.span.start..d.span.end].to_string())
            .collect()
    }

    #[test]
    fn flags_stray_closers_and_variables_in_text() {
        // The cassandra mixin's "threshold of 80 }}", a forgotten `{{`,
        // single braces, and a doubled `}}`.
        let y = r#"groups:
- name: cassandra
  rules:
  - alert: HighMemoryUsage
    expr: jvm_memory_usage{area="heap"} > 80
    for: 5m
    annotations:
      description: 'Memory usage is at {{ printf "%.0f" $value }} percent on {{$labels.instance}}, which is above the threshold of 80 }}. '
  - alert: GPUXidError
    expr: DCGM_FI_DEV_XID_ERRORS != 0
    labels:
      severity: critical
    annotations:
      summary: "XID $value on GPU $labels.gpu }} of {{ $labels.Hostname }} }}"
      description: "node { $labels.Hostname } reports an XID error"
"#;
        assert_eq!(
            found(y),
            ["}}", "$value", "$labels.gpu }}", "}}", "$labels.Hostname"]
        );
        let d = run_on(&super::META, y);
        assert!(
            d[0].message.contains("a `}}` that closes no `{{`"),
            "{}",
            d[0].message
        );
        assert_eq!(
            d[2].help.as_deref(),
            Some("open the action: `{{ $labels.gpu }}`")
        );
    }

    #[test]
    fn passes_actions_braces_of_the_text_and_prose() {
        let y = r#"groups:
- name: g
  rules:
  - alert: InferenceLatencyHigh
    expr: histogram_quantile(0.99, sum by (le, model) (rate(inference_latency_seconds_bucket[5m]))) > 2
    for: 10m
    annotations:
      summary: "p99 latency of {{ $labels.model }} is {{ $value | humanizeDuration }}"
      description: 'payload {"model": {"name": "{{ $labels.model }}"}} and the literal {{ "}}" }} {{/* a }} comment */}}'
      query: 'sum by (model) (rate(inference_latency_seconds_count{model="{{ $labels.model }}"}[5m]))'
      note: "cost in $ per hour, values are $values"
  - record: model:latency:p99
    expr: histogram_quantile(0.99, sum by (le, model) (rate(inference_latency_seconds_bucket[5m])))
    labels:
      broken: "$labels.x }}"
  - alert: Broken
    expr: up == 0
    annotations:
      summary: "{{ $labels.job"
"#;
        assert!(found(y).is_empty(), "{:?}", found(y));
    }
}
