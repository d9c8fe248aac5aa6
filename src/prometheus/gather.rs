//! Fetching [`PrometheusFacts`] from a live Prometheus: only the metric
//! names a run reads, at most [`facts::MAX_METRICS`] of them, with at most
//! [`PrometheusSettings::concurrency`] requests at once (the client's own
//! limit), every request under the settings' timeout.
//!
//! Calls per run: `buildinfo`, `flags`, `status/config`, `targets`,
//! `rules` once; per metric one `series` and one `metadata` call; one
//! instant query per 64 names for which metrics have a sample now; and for
//! each metric without one, one range query for when it stopped.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::client::{Client, Error};
use super::facts::{self, Job, Metric, PrometheusFacts, Server};
use super::{PrometheusSettings, redact_url};

/// Points of the range query that finds when a metric stopped.
const STOPPED_POINTS: f64 = 250.0;

/// Seconds since the Unix epoch, now.
pub fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// `secs` (Unix time) as RFC 3339 UTC with seconds, `2026-12-07T13:00:00Z`.
pub fn rfc3339(secs: f64) -> String {
    chrono::DateTime::from_timestamp(secs.floor() as i64, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// Fetches the facts about `metrics` (metric names; more than
/// [`facts::MAX_METRICS`] are cut, the first ones in sorted order kept).
///
/// # Errors
/// When Prometheus cannot be reached or does not answer its build info
/// (the first call): one error for the whole run. A metric whose own calls
/// fail is left out (neither in `metrics` nor in `absent`: unknown).
pub fn gather(
    client: &Client,
    settings: &PrometheusSettings,
    metrics: &BTreeSet<String>,
) -> Result<PrometheusFacts, Error> {
    let now = now_secs();
    let start = now - settings.lookback.as_secs_f64();
    let build = client.buildinfo()?;
    let features = client
        .flags()
        .ok()
        .and_then(|f| f.get("enable-feature").cloned())
        .map(|v| {
            let mut l: Vec<String> = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
            l.sort();
            l.dedup();
            l
        })
        .unwrap_or_default();
    let external_labels = client
        .config()
        .ok()
        .map(|y| external_labels(&y))
        .unwrap_or_default();
    let jobs = client.targets().map(|t| jobs(&t)).unwrap_or_default();
    let recording_rules = client.recording_rules().unwrap_or_default();

    let names: Vec<&String> = metrics.iter().take(facts::MAX_METRICS).collect();
    let found: Mutex<BTreeMap<String, Option<Metric>>> = Mutex::new(BTreeMap::new());
    let next = Mutex::new(0usize);
    let workers = settings.concurrency.clamp(1, 32).min(names.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().unwrap_or_else(|e| e.into_inner());
                        let i = *n;
                        *n += 1;
                        i
                    };
                    let Some(name) = names.get(i) else { break };
                    if let Ok(m) = metric(client, name, start, now) {
                        found
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert((*name).clone(), m);
                    }
                }
            });
        }
    });
    let found = found.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut out = PrometheusFacts {
        format: facts::FORMAT,
        source: redact_url(&settings.url),
        taken_at: rfc3339(now),
        lookback: crate::go::duration::format_prometheus(settings.lookback.as_millis() as u64),
        server: Server {
            version: build.get("version").cloned(),
            external_labels,
            features,
        },
        jobs,
        recording_rules,
        absent: Vec::new(),
        metrics: BTreeMap::new(),
    };
    for (name, m) in found {
        match m {
            Some(m) => {
                out.metrics.insert(name, m);
            }
            None => out.absent.push(name),
        }
    }
    mark_stopped(client, &mut out, start, now, settings.lookback);
    Ok(out)
}

/// One metric's series within `[start, end]` and its metadata type;
/// `Ok(None)` when it has no series.
fn metric(client: &Client, name: &str, start: f64, end: f64) -> Result<Option<Metric>, Error> {
    let selector = name_selector(name);
    let series = client.series(&[&selector], start, end)?;
    if series.is_empty() {
        return Ok(None);
    }
    let mut m = facts::metric_from_series(&series);
    if let Ok(meta) = client.metadata(Some(name)) {
        let kinds: BTreeSet<&str> = meta
            .get(name)
            .into_iter()
            .flatten()
            .map(|e| e.kind.as_str())
            .filter(|k| !k.is_empty() && *k != "unknown")
            .collect();
        if kinds.len() == 1 {
            m.kind = kinds.into_iter().next().map(String::from);
        }
    }
    Ok(Some(m))
}

/// `{__name__="name"}`.
fn name_selector(name: &str) -> String {
    format!("{{__name__={}}}", crate::go::quote::quote(name))
}

/// Sets `stopped_at` on the metrics that have no sample at `now` (within
/// Prometheus' 5m lookback delta): the last step of a range query over the
/// lookback at which they had one.
fn mark_stopped(
    client: &Client,
    out: &mut PrometheusFacts,
    start: f64,
    now: f64,
    lookback: Duration,
) {
    let names: Vec<String> = out.metrics.keys().cloned().collect();
    let mut present: BTreeSet<String> = BTreeSet::new();
    for chunk in names.chunks(64) {
        let alternatives: Vec<String> = chunk.iter().map(|n| regex::escape(n)).collect();
        let q = format!(
            "group by (__name__) ({{__name__=~{}}})",
            crate::go::quote::quote(&alternatives.join("|"))
        );
        match client.query(&q, now) {
            Ok(v) => present.extend(
                v.into_iter()
                    .filter_map(|s| s.labels.get("__name__").cloned()),
            ),
            // Cannot tell: treat the chunk as present (no false "stopped").
            Err(_) => present.extend(chunk.iter().cloned()),
        }
    }
    let step = Duration::from_secs_f64((lookback.as_secs_f64() / STOPPED_POINTS).max(60.0));
    for name in names.iter().filter(|n| !present.contains(*n)) {
        let q = format!("count({})", name_selector(name));
        let last = client
            .query_range(&q, start, now, step)
            .ok()
            .and_then(|m| m.first().and_then(|s| s.values.last()).map(|p| p.0));
        if let (Some(t), Some(m)) = (last, out.metrics.get_mut(name)) {
            m.stopped_at = Some(rfc3339(t));
        } else if let Some(m) = out.metrics.get_mut(name) {
            // Series within the lookback but no step saw one: it stopped
            // at some time before `now` that the steps missed.
            m.stopped_at = Some(rfc3339(start));
        }
    }
}

/// `global.external_labels` of a Prometheus configuration (YAML text).
fn external_labels(yaml: &str) -> BTreeMap<String, String> {
    let (docs, _) = crate::yaml::parse_stream(yaml, &crate::source::TextMap::Shift(0));
    docs.first()
        .and_then(|d| d.root.get("global"))
        .and_then(|g| g.get("external_labels"))
        .and_then(|l| l.as_map())
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// Jobs (the `job` label of active targets) with their longest scrape interval.
fn jobs(targets: &[super::Target]) -> BTreeMap<String, Job> {
    let mut out: BTreeMap<String, (u64, usize)> = BTreeMap::new();
    for t in targets {
        let job = t.labels.get("job").unwrap_or(&t.scrape_pool).clone();
        let e = out.entry(job).or_insert((0, 0));
        e.1 += 1;
        if let Some(ms) = t.scrape_interval_ms {
            e.0 = e.0.max(ms);
        }
    }
    out.into_iter()
        .filter(|(_, (ms, _))| *ms > 0)
        .map(|(k, (ms, n))| {
            (
                k,
                Job {
                    scrape_interval: crate::go::duration::format_prometheus(ms),
                    targets: n,
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_labels_come_from_the_config_yaml() {
        let y = "global:\n  scrape_interval: 15s\n  external_labels:\n    cluster: gpu-a\n    region: eu\nscrape_configs: []\n";
        let l = external_labels(y);
        assert_eq!(l.len(), 2);
        assert_eq!(l["cluster"], "gpu-a");
    }

    #[test]
    fn jobs_take_the_slowest_target() {
        let t = |job: &str, ms| super::super::Target {
            scrape_pool: job.into(),
            labels: [("job".to_string(), job.to_string())].into(),
            health: "up".into(),
            scrape_interval_ms: Some(ms),
        };
        let j = jobs(&[t("a", 15_000), t("a", 60_000), t("b", 30_000)]);
        assert_eq!(j["a"].scrape_interval, "1m");
        assert_eq!(j["a"].targets, 2);
        assert_eq!(j["b"].scrape_interval, "30s");
    }

    #[test]
    fn times_print_as_rfc3339() {
        assert_eq!(rfc3339(0.0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000.9), "2023-11-14T22:13:20Z");
    }
}
