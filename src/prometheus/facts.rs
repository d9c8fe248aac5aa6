//! [`PrometheusFacts`]: what mlalert knows about the Prometheus a run's
//! rules are evaluated by, and the questions lints ask of it.
//!
//! The same struct is the snapshot file (`mlalert snapshot -o
//! .mlalert/prometheus.json`, schema `docs/prometheus-snapshot.schema.json`,
//! page `docs/prometheus.md`) and what [`super::gather`] fetches live, so a
//! lint reads it without knowing where it came from. Everything in it is
//! bounded ([`MAX_SERIES`] series and [`MAX_VALUES`] values of each label
//! per metric) and sorted (`BTreeMap`s, sorted lists), so a snapshot is
//! small and its diffs show what changed in Prometheus.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::promql::ast::{MatchOp, Matcher, VectorSelector};

/// The snapshot format this build reads and writes (`format` in the file).
pub const FORMAT: u32 = 1;
/// Most series kept per metric (`series_sample`).
pub const MAX_SERIES: usize = 64;
/// Most values kept per label of a metric (`labels.<name>.values`).
pub const MAX_VALUES: usize = 32;
/// Most metrics one snapshot or live run asks about.
pub const MAX_METRICS: usize = 5000;

/// What is known about one Prometheus. Serialised as the snapshot file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrometheusFacts {
    /// The snapshot format, [`FORMAT`].
    pub format: u32,
    /// Where the facts come from: the redacted URL (no credentials).
    pub source: String,
    /// When they were taken, RFC 3339 UTC (`2026-12-07T13:00:00Z`).
    pub taken_at: String,
    /// How far back series counted as existing, a Prometheus duration (`7d`).
    pub lookback: String,
    /// The server: version, external labels, feature flags.
    pub server: Server,
    /// Scrape jobs (the `job` label of targets) → what is known of them.
    #[serde(default)]
    pub jobs: BTreeMap<String, Job>,
    /// Recording rules loaded in Prometheus (their `record` names), sorted.
    #[serde(default)]
    pub recording_rules: Vec<String>,
    /// Metric names asked about that had no series within the lookback, sorted.
    #[serde(default)]
    pub absent: Vec<String>,
    /// Metric names with series within the lookback → what they look like.
    #[serde(default)]
    pub metrics: BTreeMap<String, Metric>,
}

/// The Prometheus server itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    /// `version` of `/api/v1/status/buildinfo` (`2.42.0`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `global.external_labels` of its configuration.
    #[serde(default)]
    pub external_labels: BTreeMap<String, String>,
    /// Its `--enable-feature` flags, sorted.
    #[serde(default)]
    pub features: Vec<String>,
}

/// One scrape job.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Job {
    /// The longest scrape interval of its active targets, a Prometheus
    /// duration (`30s`).
    pub scrape_interval: String,
    /// How many active targets it has.
    pub targets: usize,
}

/// One metric name's series within the lookback.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    /// Its type from `/api/v1/metadata` (`counter`, `gauge`, `histogram`,
    /// `summary`, …), when the targets declare one type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// How many series it had within the lookback.
    pub series: usize,
    /// Every label name its series carry (`__name__` excepted) → values.
    #[serde(default)]
    pub labels: BTreeMap<String, LabelValues>,
    /// Up to [`MAX_SERIES`] of its series (label sets without `__name__`),
    /// sorted: all of them when `series_sample.len() == series`.
    #[serde(default)]
    pub series_sample: Vec<BTreeMap<String, String>>,
    /// When it has no sample at the time the facts were taken: about when
    /// its last sample was (RFC 3339 UTC), the metric having stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<String>,
}

/// The values of one label of a metric.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelValues {
    /// Up to [`MAX_VALUES`] values, sorted.
    pub values: Vec<String>,
    /// True when there are more values than `values` lists.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub more: bool,
}

/// Why a selector matches no series of a metric that exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoMatch<'s> {
    /// The matcher that removes the last series.
    pub culprit: &'s Matcher,
    /// The matchers before it (in written order) that do match series;
    /// empty when the culprit alone matches none.
    pub before: Vec<&'s Matcher>,
    /// Up to 5 values the culprit's label does take on the series that
    /// were left (empty when the label is absent from them).
    pub seen: Vec<String>,
}

/// What the facts say about one selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectorFact<'s> {
    /// The facts do not cover this metric name (not asked about).
    Unknown,
    /// No series of this name within the lookback.
    NameAbsent,
    /// The metric exists but no series passes the matchers.
    NoMatch(NoMatch<'s>),
    /// Series match (or may: the sample was not complete), and the metric
    /// stopped: its last sample was about then.
    Stopped(String),
    /// Series match, or may.
    Matches,
}

impl PrometheusFacts {
    /// Reads a snapshot file's text.
    ///
    /// # Errors
    /// Not JSON of this shape (the message has serde's line and column), or
    /// a `format` this build does not read.
    pub fn from_json(text: &str) -> Result<PrometheusFacts, String> {
        let f: PrometheusFacts = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if f.format != FORMAT {
            return Err(format!(
                "snapshot format {} (this mlalert reads format {FORMAT}): refresh it with `mlalert snapshot`",
                f.format
            ));
        }
        Ok(f)
    }

    /// The snapshot file's text: pretty JSON, keys sorted, a final newline.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// Whether the facts cover metric `name` (it was asked about).
    pub fn knows(&self, name: &str) -> bool {
        self.metrics.contains_key(name)
            || self
                .absent
                .binary_search_by(|a| a.as_str().cmp(name))
                .is_ok()
    }

    /// The declared type of `name` (`/api/v1/metadata`), when known.
    pub fn metric_type(&self, name: &str) -> Option<&str> {
        self.metrics.get(name)?.kind.as_deref()
    }

    /// True when Prometheus has a recording rule named `name` loaded.
    pub fn has_recording_rule(&self, name: &str) -> bool {
        self.recording_rules
            .binary_search_by(|r| r.as_str().cmp(name))
            .is_ok()
    }

    /// What the facts say about selector `vs` of metric `name`.
    pub fn selector<'s>(&self, name: &str, vs: &'s VectorSelector) -> SelectorFact<'s> {
        let Some(m) = self.metrics.get(name) else {
            return if self.knows(name) {
                SelectorFact::NameAbsent
            } else {
                SelectorFact::Unknown
            };
        };
        let matchers: Vec<&Matcher> = vs
            .matchers
            .matchers
            .iter()
            .filter(|x| x.name != "__name__")
            .collect();
        if let Some(nm) = m.no_match(&matchers) {
            return SelectorFact::NoMatch(nm);
        }
        match &m.stopped_at {
            Some(t) => SelectorFact::Stopped(t.clone()),
            None => SelectorFact::Matches,
        }
    }

    /// The scrape interval in milliseconds of the targets behind selector
    /// `vs` of metric `name`: the longest interval of the jobs its series
    /// come from (the `job` values that pass the selector's `job`
    /// matchers), with those jobs; `None` when no job of it is known.
    pub fn scrape_interval(&self, name: &str, vs: &VectorSelector) -> Option<(u64, Vec<&str>)> {
        let m = self.metrics.get(name)?;
        let jobs = m.labels.get("job")?;
        let job_matchers: Vec<&Matcher> = vs
            .matchers
            .matchers
            .iter()
            .filter(|x| x.name == "job")
            .collect();
        let mut best: Option<(u64, Vec<&str>)> = None;
        for j in &jobs.values {
            if !job_matchers.iter().all(|x| x.is_match(j)) {
                continue;
            }
            let Some(job) = self.jobs.get(j) else {
                continue;
            };
            let Ok(ms) = crate::go::duration::parse_prometheus(&job.scrape_interval) else {
                continue;
            };
            match &mut best {
                Some((b, names)) if ms == *b => names.push(j),
                Some((b, _)) if ms < *b => {}
                _ => best = Some((ms, vec![j.as_str()])),
            }
        }
        best
    }

    /// The label names series of metric `name` carry, when the metric is known.
    pub fn label_names(&self, name: &str) -> Option<BTreeSet<&str>> {
        Some(
            self.metrics
                .get(name)?
                .labels
                .keys()
                .map(String::as_str)
                .collect(),
        )
    }
}

impl Metric {
    /// True when `series_sample` holds every series.
    pub fn sample_complete(&self) -> bool {
        self.series_sample.len() == self.series
    }

    /// Why `matchers` (without `__name__`) select none of this metric's
    /// series; `None` when they select some, or when the facts cannot tell
    /// (an incomplete sample and a matcher that some listed or unlisted
    /// value may pass).
    pub fn no_match<'s>(&self, matchers: &[&'s Matcher]) -> Option<NoMatch<'s>> {
        if self.sample_complete() {
            // Exact: apply the matchers in written order.
            let mut left: Vec<&BTreeMap<String, String>> = self.series_sample.iter().collect();
            for (i, m) in matchers.iter().enumerate() {
                let next: Vec<_> = left
                    .iter()
                    .copied()
                    .filter(|s| m.is_match(s.get(&m.name).map_or("", String::as_str)))
                    .collect();
                if next.is_empty() {
                    let mut seen: Vec<String> = left
                        .iter()
                        .filter_map(|s| s.get(&m.name).cloned())
                        .collect::<BTreeSet<_>>()
                        .into_iter()
                        .collect();
                    seen.truncate(5);
                    return Some(NoMatch {
                        culprit: m,
                        before: matchers[..i].to_vec(),
                        seen,
                    });
                }
                left = next;
            }
            return None;
        }
        // From each label's values alone: a matcher no value of its label
        // can pass (the label's values being all listed).
        for m in matchers {
            let values = self.labels.get(&m.name);
            let passes = match values {
                // The label is on no series: every series has "" for it.
                None => m.is_match(""),
                Some(v) if v.more => true,
                // Some series may lack the label (its value is then "").
                Some(v) => v.values.iter().any(|x| m.is_match(x)) || m.is_match(""),
            };
            if !passes {
                let mut seen = values.map(|v| v.values.clone()).unwrap_or_default();
                seen.truncate(5);
                return Some(NoMatch {
                    culprit: m,
                    before: Vec::new(),
                    seen,
                });
            }
        }
        None
    }
}

/// A matcher as written in PromQL: `gpu="0"`, `job=~"gpu-.*"`.
pub fn matcher_text(m: &Matcher) -> String {
    let op = match m.op {
        MatchOp::Equal => "=",
        MatchOp::NotEqual => "!=",
        MatchOp::Re(_) => "=~",
        MatchOp::NotRe(_) => "!~",
    };
    format!("{}{op}{}", m.name, crate::go::quote::quote(&m.value))
}

/// Builds one metric's facts from its series (label sets with or without
/// `__name__`), keeping the bounded sample and value lists.
pub fn metric_from_series(series: &[BTreeMap<String, String>]) -> Metric {
    let mut labels: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    let mut sample: Vec<BTreeMap<String, String>> = series
        .iter()
        .map(|s| {
            let mut s = s.clone();
            s.remove("__name__");
            s
        })
        .collect();
    sample.sort();
    sample.dedup();
    for s in series {
        for (k, v) in s.iter().filter(|(k, _)| *k != "__name__") {
            labels.entry(k.clone()).or_default().insert(v);
        }
    }
    let count = sample.len();
    sample.truncate(MAX_SERIES);
    Metric {
        kind: None,
        series: count,
        labels: labels
            .into_iter()
            .map(|(k, vs)| {
                let more = vs.len() > MAX_VALUES;
                let values = vs.into_iter().take(MAX_VALUES).map(String::from).collect();
                (k, LabelValues { values, more })
            })
            .collect(),
        series_sample: sample,
        stopped_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(pairs: &[&[(&str, &str)]]) -> Vec<BTreeMap<String, String>> {
        pairs
            .iter()
            .map(|p| {
                p.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            })
            .collect()
    }

    fn selector(text: &str) -> VectorSelector {
        match &*crate::promql::parse(text).expect("parses") {
            crate::promql::ast::Expr::VectorSelector(vs) => vs.clone(),
            other => panic!("{other:?}"),
        }
    }

    fn facts() -> PrometheusFacts {
        let mut f = PrometheusFacts {
            format: FORMAT,
            absent: vec!["gone_total".into()],
            ..Default::default()
        };
        f.metrics.insert(
            "DCGM_FI_DEV_GPU_UTIL".into(),
            metric_from_series(&series(&[
                &[("job", "gpu-exporter"), ("gpu", "1")],
                &[("job", "gpu-exporter"), ("gpu", "2")],
                &[("job", "node"), ("gpu", "0")],
            ])),
        );
        f.jobs.insert(
            "gpu-exporter".into(),
            Job {
                scrape_interval: "1m".into(),
                targets: 2,
            },
        );
        f.jobs.insert(
            "node".into(),
            Job {
                scrape_interval: "15s".into(),
                targets: 1,
            },
        );
        f
    }

    #[test]
    fn the_matcher_that_removes_the_last_series_is_named() {
        let f = facts();
        let vs = selector(r#"DCGM_FI_DEV_GPU_UTIL{job="gpu-exporter", gpu="0"}"#);
        let SelectorFact::NoMatch(nm) = f.selector("DCGM_FI_DEV_GPU_UTIL", &vs) else {
            panic!()
        };
        assert_eq!(matcher_text(nm.culprit), r#"gpu="0""#);
        assert_eq!(nm.before.len(), 1);
        assert_eq!(nm.seen, vec!["1", "2"]);
        let ok = selector(r#"DCGM_FI_DEV_GPU_UTIL{gpu="0"}"#);
        assert_eq!(
            f.selector("DCGM_FI_DEV_GPU_UTIL", &ok),
            SelectorFact::Matches
        );
        let vs = selector("gone_total");
        assert_eq!(f.selector("gone_total", &vs), SelectorFact::NameAbsent);
        assert_eq!(f.selector("never_asked", &vs), SelectorFact::Unknown);
    }

    #[test]
    fn incomplete_samples_use_label_values_only() {
        let mut m = metric_from_series(&series(&[&[("gpu", "1")], &[("gpu", "2")]]));
        m.series = 1000;
        let vs = selector(r#"x{gpu="9"}"#);
        let ms: Vec<&Matcher> = vs.matchers.matchers.iter().collect();
        assert!(m.no_match(&ms).is_some());
        m.labels.get_mut("gpu").unwrap().more = true;
        assert!(m.no_match(&ms).is_none());
        // A label no series has matches only "".
        let vs = selector(r#"x{model!=""}"#);
        let ms: Vec<&Matcher> = vs.matchers.matchers.iter().collect();
        assert!(m.no_match(&ms).is_some());
    }

    #[test]
    fn scrape_interval_is_the_slowest_job_the_selector_reads() {
        let f = facts();
        let all = selector("DCGM_FI_DEV_GPU_UTIL");
        assert_eq!(
            f.scrape_interval("DCGM_FI_DEV_GPU_UTIL", &all),
            Some((60_000, vec!["gpu-exporter"]))
        );
        let node = selector(r#"DCGM_FI_DEV_GPU_UTIL{job="node"}"#);
        assert_eq!(
            f.scrape_interval("DCGM_FI_DEV_GPU_UTIL", &node),
            Some((15_000, vec!["node"]))
        );
    }

    #[test]
    fn json_round_trips_and_rejects_other_formats() {
        let f = facts();
        let text = f.to_json();
        assert_eq!(PrometheusFacts::from_json(&text).unwrap(), f);
        let other = text.replacen("\"format\": 1", "\"format\": 9", 1);
        assert!(
            PrometheusFacts::from_json(&other)
                .unwrap_err()
                .contains("format 9")
        );
    }

    #[test]
    fn bounds_hold() {
        let many: Vec<BTreeMap<String, String>> = (0..200)
            .map(|i| [("instance".to_string(), format!("h{i:03}"))].into())
            .collect();
        let m = metric_from_series(&many);
        assert_eq!(m.series, 200);
        assert_eq!(m.series_sample.len(), MAX_SERIES);
        assert_eq!(m.labels["instance"].values.len(), MAX_VALUES);
        assert!(m.labels["instance"].more);
    }
}
