//! `annotation-key-misspelled` (ML117): an alerting rule's annotation key
//! that is one slip away from a well-known key (`descrition`) or from a key
//! the rules of the run commonly use. Nothing reads the misspelt key: the
//! Alertmanager templates, receivers and dashboards that show
//! `.Annotations.description` show nothing.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::suggest::{edit_distance, is_transposition};
use crate::lint::rules::missing_runbook::RUNBOOK_ANNOTATIONS;
use crate::lint::rules::missing_summary::SUMMARY_ANNOTATIONS;
use crate::lint::{Lint, ProjectCtx, Reporter};

crate::declare_lint! {
    /// `annotation-key-misspelled`: an annotation key is a near-miss of a common key.
    pub struct AnnotationKeyMisspelled {
        code: "ML117",
        name: "annotation-key-misspelled",
        category: Suspicious,
        severity: Warning,
        summary: "an annotation key is a near-miss of a well-known key or one the repository commonly uses",
    }
}

/// Annotation keys alert consumers read by name: Prometheus' and the
/// Prometheus Operator's conventions (`summary`, `description`,
/// `runbook_url`), the older kube-prometheus `message`, Grafana's
/// `title` and `dashboard_url`.
pub const WELL_KNOWN_KEYS: &[&str] = &[
    "summary",
    "description",
    "runbook_url",
    "message",
    "title",
    "dashboard_url",
];

/// How many uses a well-known key counts for before the run uses it.
const WELL_KNOWN_WEIGHT: usize = 10;

/// A key is a misspelling only when its target is used at least this many
/// times as often (a key used often is a convention, not a slip).
const RARITY: usize = 4;

/// The key with case, `_` and `-` dropped: `runbookURL`, `runbook-url` and
/// `runbook_url` are style variants of one another, not misspellings.
fn normalized(k: &str) -> String {
    k.chars()
        .filter(|c| !matches!(c, '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether `key` reads as a slip for `target`: one edit or two swapped
/// neighbours, on keys long enough for that to mean something, not a
/// style variant, not a change of a digit (`link1`, `link2`), and not a
/// plural unless of a well-known key (`descriptions`; `dashboards` next to
/// `dashboard` may hold several links on purpose).
fn near_miss(key: &str, target: &str) -> bool {
    if key == target
        || key.chars().count() < 4
        || target.chars().count() < 5
        || normalized(key) == normalized(target)
    {
        return false;
    }
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    if digits(key) != digits(target) {
        return false;
    }
    let plural = key.strip_suffix('s') == Some(target) || target.strip_suffix('s') == Some(key);
    if plural && !WELL_KNOWN_KEYS.contains(&target) {
        return false;
    }
    edit_distance(key, target) == 1 || is_transposition(key, target)
}

impl Lint for AnnotationKeyMisspelled {
    /// Counts the annotation keys of every alerting rule of the run, then
    /// flags each key that is not itself accepted (a well-known key, or a
    /// key of the `summary_annotations` / `runbook_annotations` settings)
    /// and is a near miss of a well-known key or of a key of the run, when
    /// that key is used at least four times as often (a well-known key
    /// counting ten uses more). A key the run uses often is its convention
    /// and never flagged.
    fn check_project(&self, cx: &ProjectCtx, r: &mut Reporter) {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, _, rule) in cx.rules().filter(|(_, _, r)| r.is_alert()) {
            for kv in &rule.annotations {
                *counts.entry(kv.key.value.as_str()).or_default() += 1;
            }
        }
        let accepted: BTreeSet<&str> = WELL_KNOWN_KEYS
            .iter()
            .copied()
            .chain(
                cx.config
                    .get(&SUMMARY_ANNOTATIONS)
                    .iter()
                    .map(String::as_str),
            )
            .chain(
                cx.config
                    .get(&RUNBOOK_ANNOTATIONS)
                    .iter()
                    .map(String::as_str),
            )
            .collect();
        let weight = |k: &str| {
            counts.get(k).copied().unwrap_or(0)
                + if WELL_KNOWN_KEYS.contains(&k) {
                    WELL_KNOWN_WEIGHT
                } else {
                    0
                }
        };
        let targets: BTreeSet<&str> = WELL_KNOWN_KEYS
            .iter()
            .copied()
            .chain(counts.keys().copied())
            .collect();
        // The target of each key, decided once.
        let mut target_of: BTreeMap<&str, Option<&str>> = BTreeMap::new();
        for (f, _, rule) in cx.rules().filter(|(_, _, r)| r.is_alert()) {
            for kv in &rule.annotations {
                let key = kv.key.value.as_str();
                if accepted.contains(key) {
                    continue;
                }
                let n = counts.get(key).copied().unwrap_or(0);
                let target = *target_of.entry(key).or_insert_with(|| {
                    targets
                        .iter()
                        .copied()
                        .filter(|t| near_miss(key, t) && weight(t) >= RARITY * n)
                        .max_by_key(|t| weight(t))
                });
                let Some(t) = target else {
                    continue;
                };
                let used = match counts.get(t).copied().unwrap_or(0) {
                    0 => "a well-known annotation key".to_string(),
                    1 => "used once in this run".to_string(),
                    c => format!("used {c} times in this run"),
                };
                let times = if n == 1 {
                    "once".to_string()
                } else {
                    format!("{n} times")
                };
                r.report_in(
                    f.file,
                    kv.key.span,
                    format!(
                        "annotation key {key:?} (used {times}) looks like a misspelling of {t:?} ({used})"
                    ),
                )
                .help(format!(
                    "rename it to `{t}`: templates and receivers that read `.Annotations.{t}` do not see `{key}`"
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::{run_on, run_on_files};

    fn keys(d: &[crate::diagnostic::Diagnostic], files: &[&str]) -> Vec<String> {
        d.iter()
            .map(|d| {
                let y = files[d.file];
                y[d.span.start..d.span.end].to_string()
            })
            .collect()
    }

    const MIXIN: &str = r#"groups:
- name: gpu
  rules:
  - alert: GPUTemperatureHigh
    expr: max by (Hostname, gpu) (DCGM_FI_DEV_GPU_TEMP) > 85
    for: 10m
    annotations:
      summary: GPU is hot
      description: "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} is at {{ $value }}°C"
      runbook_url: https://runbooks.example.com/gpu/temperature
      dashboard: https://grafana.example.com/d/dcgm
  - alert: GPUXidErrors
    expr: DCGM_FI_DEV_XID_ERRORS != 0
    annotations:
      summary: XID error
      description: "XID {{ $value }} on GPU {{ $labels.gpu }}"
      runbook_url: https://runbooks.example.com/gpu/xid
      dashboard: https://grafana.example.com/d/dcgm
  - alert: GPUMemoryAlmostFull
    expr: DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE) > 0.95
    annotations:
      summary: GPU memory almost full
      description: "GPU {{ $labels.gpu }} memory is {{ $value | humanizePercentage }} used"
      runbook_url: https://runbooks.example.com/gpu/memory
      dashboard: https://grafana.example.com/d/dcgm
  - alert: GPUPowerHigh
    expr: DCGM_FI_DEV_POWER_USAGE > 400
    annotations:
      summary: GPU power high
      description: "GPU {{ $labels.gpu }} draws {{ $value }} W"
      runbook_url: https://runbooks.example.com/gpu/power
      dashboard: https://grafana.example.com/d/dcgm
"#;

    #[test]
    fn flags_slips_of_common_and_well_known_keys() {
        let typos = r#"groups:
- name: serving
  rules:
  - alert: ModelErrorRatioHigh
    expr: sum by (model) (rate(inference_errors_total[5m])) / sum by (model) (rate(inference_requests_total[5m])) > 0.05
    for: 10m
    annotations:
      sumary: model errors
      descripiton: "model {{ $labels.model }} fails"
      runbook_ulr: https://runbooks.example.com/serving/errors
      dashbaord: https://grafana.example.com/d/serving
      titel: errors
"#;
        let files = [MIXIN, typos];
        let d = run_on_files(&super::META, &files);
        assert_eq!(
            keys(&d, &files),
            ["sumary", "descripiton", "runbook_ulr", "dashbaord", "titel"],
            "{d:#?}"
        );
        assert!(
            d[0].message
                .contains("misspelling of \"summary\" (used 4 times in this run)")
        );
        assert!(
            d[4].message
                .contains("of \"title\" (a well-known annotation key)")
        );
    }

    #[test]
    fn passes_conventions_variants_and_distinct_keys() {
        // A repository that consistently writes `descrption` (its own
        // convention), camelCase keys, numbered links, `summary_short`
        // and `runbook` next to `runbook_url`, `dashboards` next to `dashboard`.
        let y = r#"groups:
- name: own-conventions
  rules:
  - alert: A
    expr: up == 0
    annotations:
      descrption: a
      runbookUrl: https://runbooks.example.com/a
      link1: https://a
      summary: a
  - alert: B
    expr: up == 0
    annotations:
      descrption: b
      runbookUrl: https://runbooks.example.com/b
      link2: https://b
      summary_short: b
  - alert: C
    expr: up == 0
    annotations:
      descrption: c
      runbook: https://runbooks.example.com/c
      runbook_url: https://runbooks.example.com/c
      dashboard: https://grafana.example.com/c
  - alert: D
    expr: up == 0
    annotations:
      descrption: d
      dashboards: https://grafana.example.com/d https://grafana.example.com/e
  - record: job:up:sum
    expr: sum by (job) (up)
"#;
        let d = run_on(&super::META, y);
        assert!(d.is_empty(), "{d:#?}");
    }
}
