//! Hover text: on a finding, its lint's page ("What it does"); on a metric
//! name in a rule's expression, what mlalert knows of it: a DCGM field's
//! unit and whether dcgm-exporter exports it by default, and the metric's
//! type as mlalert infers it from its name (`promql::types::metric_kind`).

use crate::diagnostic::Diagnostic;
use crate::model::LoadedFile;
use crate::promql::dcgm::{self, MetricType};
use crate::promql::types::{self, MetricKind};
use crate::source::Span;

/// Markdown for the findings `at` (those whose span holds the offset), one
/// section per lint, or `None` when there are none. Returns the span of the
/// first one as well.
pub fn findings(at: &[&Diagnostic]) -> Option<(String, Span)> {
    let first = at.first()?;
    let mut seen = Vec::new();
    let mut out = String::new();
    for d in at {
        if seen.contains(&d.lint.code) {
            continue;
        }
        seen.push(d.lint.code);
        if !out.is_empty() {
            out.push_str("\n\n---\n\n");
        }
        out.push_str(&format!(
            "**{} {}** ({}): {}\n\n{}\n\n[{}-{}]({})",
            d.lint.code,
            d.lint.name,
            d.lint.category.as_str(),
            d.lint.summary,
            d.lint.what_it_does(),
            d.lint.code,
            d.lint.name,
            d.lint.url()
        ));
    }
    Some((out, first.span))
}

/// The metric name at byte `offset` of a rule's expression in `loaded`
/// (a selector's name, `name{…}` or `{__name__="name"}`) with its span in
/// the file.
pub fn metric_at(loaded: &LoadedFile, offset: usize) -> Option<(String, Span)> {
    for rf in &loaded.rule_files {
        for g in &rf.groups {
            for r in &g.rules {
                let Some(expr) = &r.expr else { continue };
                let Some(ast) = expr.ast.as_deref() else {
                    continue;
                };
                let mut found = None;
                crate::promql::analysis::walk(ast, &mut |e| {
                    if found.is_some() {
                        return;
                    }
                    let Some(range) = crate::promql::selectors::selector_name_span(e) else {
                        return;
                    };
                    let span = expr.span_of(range);
                    if span.start <= offset && offset <= span.end {
                        found = crate::promql::analysis::selector_name(e)
                            .map(|n| (n.to_string(), span));
                    }
                });
                if found.is_some() {
                    return found;
                }
            }
        }
    }
    None
}

/// Markdown describing metric `name`: for a DCGM field its description,
/// unit and dcgm-exporter export; for every metric the type mlalert infers;
/// for a recorded series the rules in `recorded_by` (`path:line`) that
/// record it.
pub fn metric(name: &str, recorded_by: &[String]) -> String {
    let mut out = format!("**{name}**");
    if let Some(f) = dcgm::field(name) {
        out.push_str(&format!(" (DCGM field {})", f.id));
        if !f.description.is_empty() {
            out.push_str(&format!(": {}", f.description));
        }
        if !f.alias_of.is_empty() {
            out.push_str(&format!("\n\ndeprecated alias of `{}`", f.alias_of));
        }
        out.push_str(&format!(
            "\n\nunit: {}",
            f.unit.map_or("not known", |u| u.as_str())
        ));
        let kind = match f.exporter_type {
            MetricType::Gauge => "a gauge",
            MetricType::Counter => "a counter",
            MetricType::Label => "a label",
            MetricType::Unknown => "",
        };
        out.push_str("\n\ndcgm-exporter: ");
        if f.exported_by_default {
            out.push_str(&format!("exported by default, as {kind}"));
        } else if kind.is_empty() {
            out.push_str(
                "not in its counters file: not exported unless a custom counters file adds it",
            );
        } else {
            out.push_str(&format!(
                "not exported by default (listed as {kind}, commented out in the default counters file)"
            ));
        }
        if !f.exporter_help.is_empty() {
            out.push_str(&format!(" — {}", f.exporter_help));
        }
    }
    let kind = match types::metric_kind(name) {
        MetricKind::Counter => "a counter",
        MetricKind::HistogramBucket => {
            "a classic histogram's bucket counter (`_bucket`, with `le`)"
        }
        MetricKind::HistogramCountOrSum => {
            "a histogram's or summary's `_count` or `_sum` (a counter)"
        }
        MetricKind::Gauge => "a gauge",
        MetricKind::Unknown if types::is_recorded(name) => {
            "a recorded series (its type is what its rule computes)"
        }
        MetricKind::Unknown => "not known from its name",
    };
    out.push_str(&format!("\n\ntype, as mlalert infers it: {kind}"));
    if !recorded_by.is_empty() {
        out.push_str(&format!("\n\nrecorded by: {}", recorded_by.join(", ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dcgm_fields_say_unit_and_default_export() {
        let h = metric("DCGM_FI_DEV_FB_USED", &[]);
        assert!(h.contains("unit: MiB"), "{h}");
        assert!(h.contains("exported by default, as a gauge"), "{h}");
        assert!(h.contains("type, as mlalert infers it: a gauge"), "{h}");
        let h = metric("http_requests_total", &["/w/r.yaml:3".to_string()]);
        assert!(h.contains("a counter"), "{h}");
        assert!(!h.contains("DCGM"), "{h}");
        assert!(h.contains("recorded by: /w/r.yaml:3"), "{h}");
    }

    #[test]
    fn metric_at_finds_the_selector_under_the_cursor() {
        let text = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: rate(x_total[5m]) > DCGM_FI_DEV_GPU_TEMP\n";
        let source = crate::source::SourceFile::from_text("a.yaml", text.to_string(), 0);
        let loaded = crate::model::load_file(0, &source, &Default::default());
        let at = text.find("DCGM").unwrap() + 3;
        let (name, span) = metric_at(&loaded, at).unwrap();
        assert_eq!(name, "DCGM_FI_DEV_GPU_TEMP");
        assert_eq!(&text[span.start..span.end], "DCGM_FI_DEV_GPU_TEMP");
        let at = text.find("x_total").unwrap();
        assert_eq!(metric_at(&loaded, at).unwrap().0, "x_total");
        assert!(metric_at(&loaded, text.find("rate").unwrap()).is_none());
    }
}
