//! The one place lints read what the run knows about its Prometheus
//! ([`crate::prometheus::PrometheusFacts`], from the snapshot or fetched
//! live, in [`Config::facts`]) in place of what names and settings
//! suggest: metric types from `/api/v1/metadata` before the name-based
//! guesses of `promql::types`, and the scrape interval of a selector's
//! targets before the configured or assumed `scrape_interval`.

use std::collections::BTreeSet;

use crate::config::Config;
use crate::lint::rules::rate_window_too_short::SCRAPE_INTERVAL;
use crate::model::LoadedFile;
use crate::promql::ast::VectorSelector;
use crate::promql::types::{self, MetricKind};

/// What `name`'s type is: the type its exporter declares in Prometheus'
/// metadata when the facts have it (`counter`, `gauge`, `histogram` and
/// `summary` families, whose `_bucket`/`_count`/`_sum` series are read as
/// such), else [`types::metric_kind`]'s guess from the name.
pub fn metric_kind(config: &Config, name: &str) -> MetricKind {
    declared_kind(config, name).unwrap_or_else(|| types::metric_kind(name))
}

/// [`types::is_surely_counter`], unless the metadata declares a type:
/// then a counter (or a histogram's or summary's counter series) is one
/// and anything else is not.
pub fn is_surely_counter(config: &Config, name: &str) -> bool {
    match declared_kind(config, name) {
        Some(k) => k.is_counter_like(),
        None => types::is_surely_counter(name),
    }
}

/// True when the metadata declares `name`'s type (so a guess from its
/// name must not be added to it).
pub fn is_declared(config: &Config, name: &str) -> bool {
    declared_kind(config, name).is_some()
}

/// The kind metadata declares for series `name`: its own entry (the
/// snapshot stores the family's type under the series name), else its
/// family's (`x` for `x_total`, `x_bucket`, `x_count`, `x_sum`, as
/// OpenMetrics names families).
fn declared_kind(config: &Config, name: &str) -> Option<MetricKind> {
    let facts = config.facts()?;
    let t = facts.metric_type(name).or_else(|| {
        ["_total", "_bucket", "_count", "_sum", "_created"]
            .iter()
            .filter_map(|s| name.strip_suffix(s))
            .find_map(|family| facts.metric_type(family))
    })?;
    kind_of(t, name)
}

/// A family's metadata type as the kind of its series `name`.
fn kind_of(t: &str, name: &str) -> Option<MetricKind> {
    let ends = |s: &str| name.ends_with(s);
    Some(match t {
        "counter" if ends("_created") => MetricKind::Gauge,
        "counter" => MetricKind::Counter,
        "gauge" | "info" | "stateset" => MetricKind::Gauge,
        "histogram" | "gaugehistogram" if ends("_bucket") => MetricKind::HistogramBucket,
        "histogram" | "summary" if ends("_count") || ends("_sum") => {
            MetricKind::HistogramCountOrSum
        }
        "summary" => MetricKind::Gauge,
        _ => return None,
    })
}

/// The scrape interval a selector's samples are spaced by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScrapeInterval {
    /// Milliseconds.
    pub ms: u64,
    /// Where it comes from: `job "gpu-exporter" in Prometheus
    /// (.mlalert/prometheus.json)`, the config or a file of the run;
    /// `None` for the assumed default.
    pub origin: Option<String>,
}

/// The scrape interval behind selector `vs` of metric `name`: the longest
/// interval of the targets its series come from when the facts know them,
/// else `scrape_interval` as configured, stated by the run or assumed.
pub fn scrape_interval(config: &Config, name: Option<&str>, vs: &VectorSelector) -> ScrapeInterval {
    if let (Some(facts), Some(name)) = (config.facts(), name)
        && let Some((ms, jobs)) = facts.scrape_interval(name, vs)
    {
        let jobs: Vec<String> = jobs.iter().map(|j| format!("{j:?}")).collect();
        let which = if jobs.len() == 1 { "job" } else { "jobs" };
        return ScrapeInterval {
            ms,
            origin: Some(format!(
                "{which} {} in Prometheus ({})",
                jobs.join(", "),
                facts.source
            )),
        };
    }
    ScrapeInterval {
        ms: config.get(&SCRAPE_INTERVAL).0,
        origin: config.origin(&SCRAPE_INTERVAL),
    }
}

/// The names recorded by recording rules of the run.
pub fn recorded_in_run(cx: &crate::lint::ProjectCtx) -> BTreeSet<String> {
    cx.rules()
        .filter(|(_, _, r)| !r.is_alert())
        .map(|(_, _, r)| r.name.value.clone())
        .collect()
}

/// Every selector of every parsed rule expression of the run, with its
/// file and expression, in file and rule order (the ML5xx project lints).
pub fn run_selectors<'a>(
    cx: &'a crate::lint::ProjectCtx,
) -> Vec<(
    crate::lint::FileId,
    &'a crate::model::rules::PromqlExpr,
    crate::promql::selectors::SelectorUse<'a>,
)> {
    let mut out = Vec::new();
    for (f, _, rule) in cx.rules() {
        let Some(expr) = rule.expr.as_ref() else {
            continue;
        };
        let Some(ast) = expr.ast.as_deref() else {
            continue;
        };
        out.extend(
            crate::promql::selectors::selector_uses(ast)
                .into_iter()
                .map(|u| (f.file, expr, u)),
        );
    }
    out
}

/// Every metric name the run's rule expressions read by name, sorted:
/// what live gathering and `mlalert snapshot` ask Prometheus about.
pub fn metric_names<'a>(loaded: impl IntoIterator<Item = &'a LoadedFile>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for l in loaded {
        for rf in &l.rule_files {
            for g in &rf.groups {
                for r in &g.rules {
                    let Some(ast) = r.expr.as_ref().and_then(|e| e.ast.as_deref()) else {
                        continue;
                    };
                    for u in crate::promql::selectors::selector_uses(ast) {
                        if let Some(n) = u.name {
                            out.insert(n.to_string());
                        }
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prometheus::facts::{Metric, PrometheusFacts};

    fn config_with_types(types: &[(&str, &str)]) -> Config {
        let mut f = PrometheusFacts::default();
        for (n, t) in types {
            f.metrics.insert(
                n.to_string(),
                Metric {
                    kind: Some(t.to_string()),
                    series: 1,
                    ..Default::default()
                },
            );
        }
        let mut c = Config::default();
        c.facts = Some(std::sync::Arc::new(f));
        c
    }

    #[test]
    fn metadata_types_replace_name_guesses() {
        let c = config_with_types(&[
            ("inference_tokens_total", "gauge"),
            ("model_requests", "counter"),
            ("latency_seconds", "histogram"),
            ("ttft_seconds_bucket", "histogram"),
        ]);
        assert_eq!(
            metric_kind(&c, "ttft_seconds_bucket"),
            MetricKind::HistogramBucket
        );
        assert_eq!(metric_kind(&c, "inference_tokens_total"), MetricKind::Gauge);
        assert!(!is_surely_counter(&c, "inference_tokens_total"));
        // OpenMetrics family names: `model_requests` for `model_requests_total`.
        assert_eq!(metric_kind(&c, "model_requests_total"), MetricKind::Counter);
        assert_eq!(
            metric_kind(&c, "latency_seconds_bucket"),
            MetricKind::HistogramBucket
        );
        // Without metadata: the name's guess.
        assert_eq!(metric_kind(&c, "other_total"), MetricKind::Counter);
        assert_eq!(
            metric_kind(&Config::default(), "inference_tokens_total"),
            MetricKind::Counter
        );
    }
}
