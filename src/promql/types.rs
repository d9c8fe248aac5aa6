//! Metric-type knowledge from names alone: Prometheus' naming conventions
//! (`_total` counters, `_bucket`/`_count`/`_sum` histogram and summary
//! series, `_created` and `_info` gauges) and dcgm-exporter's own types for
//! DCGM fields (`DCGM_FI_DEV_XID_ERRORS` is a gauge: the last XID code).
//!
//! Names of recorded series (with `:`, `job:requests:rate5m`) say what was
//! computed, not what was scraped: they are [`MetricKind::Unknown`].

use super::dcgm::{self, MetricType};

/// What a series is, as far as its name tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// A counter: `_total`, or a DCGM field dcgm-exporter exports as a counter.
    Counter,
    /// A classic histogram's bucket counter (`_bucket`, with an `le` label).
    HistogramBucket,
    /// A histogram's or summary's `_count` or `_sum` (counters).
    HistogramCountOrSum,
    /// A gauge: a DCGM gauge field, `_info`, `_created`, a timestamp,
    /// a ratio or percentage, `up`.
    Gauge,
    /// Nothing known (including recorded series).
    Unknown,
}

impl MetricKind {
    /// True for the kinds `rate`/`increase` are meant for.
    pub fn is_counter_like(self) -> bool {
        matches!(
            self,
            MetricKind::Counter | MetricKind::HistogramBucket | MetricKind::HistogramCountOrSum
        )
    }
}

/// True when `name` is a recorded series' name (`level:metric:operations`).
pub fn is_recorded(name: &str) -> bool {
    name.contains(':')
}

/// The kind of series `name` is.
pub fn metric_kind(name: &str) -> MetricKind {
    if is_recorded(name) {
        return MetricKind::Unknown;
    }
    if let Some(f) = dcgm::field(name) {
        return match f.exporter_type {
            MetricType::Gauge => MetricKind::Gauge,
            MetricType::Counter => MetricKind::Counter,
            MetricType::Label | MetricType::Unknown => MetricKind::Unknown,
        };
    }
    if name.ends_with("_total") {
        MetricKind::Counter
    } else if name.ends_with("_bucket") {
        MetricKind::HistogramBucket
    } else if name.ends_with("_count") || name.ends_with("_sum") {
        MetricKind::HistogramCountOrSum
    } else if name == "up"
        || [
            "_info",
            "_created",
            "_timestamp_seconds",
            "_ratio",
            "_percent",
            "_percentage",
        ]
        .iter()
        .any(|s| name.ends_with(s))
    {
        MetricKind::Gauge
    } else {
        MetricKind::Unknown
    }
}

/// Functions meant for counters: they assume a value that only goes up and
/// treat every decrease as a reset.
pub fn is_counter_function(func: &str) -> bool {
    matches!(func, "rate" | "irate" | "increase" | "resets")
}

/// Functions meant for gauges that read a counter's reset as a real drop:
/// they take the samples as they are (`delta`, `idelta`) or fit a line
/// through them (`deriv`, `predict_linear`), with no reset handling.
pub fn is_gauge_function(func: &str) -> bool {
    matches!(func, "delta" | "idelta" | "deriv" | "predict_linear")
}

/// Exporters that declare a series a gauge despite its counter name (the
/// exporter's own type wins: `delta` is what their users must write).
const GAUGES_NAMED_AS_COUNTERS: &[&str] = &[
    // systemd_exporter: `NRefused`, exported as a gauge.
    "systemd_socket_refused_connections_total",
    // Cortex / Mimir compactor: a gauge, set to 1 while out of space.
    "cortex_compactor_disk_out_of_space_errors_total",
];

/// Units and words that make a `_count`/`_sum` series a histogram's or a
/// summary's (`http_request_duration_seconds_count`); without one,
/// `_count` is as often a gauge (`pg_stat_activity_count`, a number of
/// chunks).
const OBSERVED_STEMS: &[&str] = &[
    "_seconds",
    "_milliseconds",
    "_microseconds",
    "_bytes",
    "_duration",
    "_latency",
    "_size",
    "_meters",
    "_joules",
    "_grams",
    "_volts",
    "_amperes",
    "_celsius",
    "_tokens",
];

/// True when `name` is a counter beyond reasonable doubt: a `_total`, a
/// `_bucket`, a DCGM counter field, or the `_count`/`_sum` of a histogram or
/// summary named for what it observes ([`OBSERVED_STEMS`]); not the gauges
/// some exporters give counter names.
pub fn is_surely_counter(name: &str) -> bool {
    if GAUGES_NAMED_AS_COUNTERS.contains(&name) {
        return false;
    }
    match metric_kind(name) {
        MetricKind::Counter | MetricKind::HistogramBucket => true,
        MetricKind::HistogramCountOrSum => {
            let stem = name
                .strip_suffix("_count")
                .or_else(|| name.strip_suffix("_sum"))
                .unwrap_or(name);
            OBSERVED_STEMS.iter().any(|s| stem.ends_with(s))
        }
        MetricKind::Gauge | MetricKind::Unknown => false,
    }
}

/// Functions that turn a range of samples into a per-window change or rate
/// (what a counter needs before it is compared or aggregated).
pub fn is_change_function(func: &str) -> bool {
    matches!(
        func,
        "rate"
            | "irate"
            | "increase"
            | "delta"
            | "idelta"
            | "deriv"
            | "changes"
            | "resets"
            | "predict_linear"
            | "holt_winters"
            | "double_exponential_smoothing"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_from_suffixes_and_dcgm() {
        assert_eq!(metric_kind("inference_requests_total"), MetricKind::Counter);
        assert_eq!(
            metric_kind("inference_latency_seconds_bucket"),
            MetricKind::HistogramBucket
        );
        assert_eq!(
            metric_kind("inference_latency_seconds_count"),
            MetricKind::HistogramCountOrSum
        );
        assert_eq!(metric_kind("model_info"), MetricKind::Gauge);
        assert_eq!(metric_kind("DCGM_FI_DEV_XID_ERRORS"), MetricKind::Gauge);
        assert_eq!(metric_kind("DCGM_FI_DEV_GPU_TEMP"), MetricKind::Gauge);
        assert_eq!(
            metric_kind("job:inference_requests_total:rate5m"),
            MetricKind::Unknown
        );
        assert_eq!(metric_kind("model_drift_score"), MetricKind::Unknown);
        assert!(MetricKind::HistogramBucket.is_counter_like());
        assert!(is_surely_counter(
            "inference_request_duration_seconds_count"
        ));
        assert!(is_surely_counter("inference_requests_total"));
        assert!(!is_surely_counter("pg_stat_activity_count"));
        assert!(!is_surely_counter(
            "systemd_socket_refused_connections_total"
        ));
    }
}
