//! Names of metrics, recording rules and alerts: splitting into words and
//! reading what a name says, shared by lints. Edit distance and closest-name
//! suggestions are `crate::diagnostic::suggest`.

/// The lowercase words of a metric, recording rule or alert name: split at
/// `_`, `:`, `-`, `.`, spaces and camelCase boundaries (`GPUMemoryHigh` →
/// `gpu`, `memory`, `high`; `model_kl_divergence` → `model`, `kl`, `divergence`).
pub fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = name.chars().collect();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if c.is_uppercase() && !cur.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            // `gpuMemory` → gpu|Memory; `GPUMemory` → GPU|Memory.
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                out.push(std::mem::take(&mut cur));
            }
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// True for a health series: `up` (1 when Prometheus' scrape of the
/// target succeeded, 0 when it failed, set by the scrape loop in
/// scrape/scrape.go) and an exporter's `*_up` (`mysql_up`, `redis_up`,
/// `pg_up`: 1 when the exporter reached what it watches, by convention).
pub fn is_health_metric(name: &str) -> bool {
    name == "up" || (name.ends_with("_up") && name.len() > 3 && !super::types::is_recorded(name))
}

/// The word that makes an alert name about something missing rather than
/// failing (`CertManagerAbsent`, `DriftJobMissing`, `TargetDisappeared`,
/// `ExporterGone`), if any.
pub fn absence_word(name: &str) -> Option<&'static str> {
    const WORDS: &[&str] = &[
        "absent",
        "absence",
        "missing",
        "disappeared",
        "vanished",
        "gone",
        "undiscovered",
    ];
    let w = words(name);
    WORDS.iter().find(|x| w.iter().any(|y| y == *x)).copied()
}

/// True when a metric name reads as the Unix time of the last time
/// something happened (`mlflow_model_last_trained_timestamp`,
/// `feature_store_last_successful_refresh_time_seconds`): a "last" or
/// past-tense event word and a time word.
pub fn is_last_event_timestamp(name: &str) -> bool {
    let w = words(name);
    let has = |set: &[&str]| w.iter().any(|x| set.contains(&x.as_str()));
    has(&["timestamp", "time", "ts", "epoch", "unixtime"])
        && has(&[
            "last",
            "latest",
            "trained",
            "retrained",
            "updated",
            "refreshed",
            "completed",
            "succeeded",
            "successful",
            "synced",
            "pushed",
            "modified",
            "processed",
            "ingested",
            "deployed",
            "published",
        ])
}

/// The word that makes a metric or alert name about model quality or data
/// drift (`drift`, `accuracy`, `psi`, `kl_divergence`, `data_quality`,
/// `distribution_shift`, `skew`), if any.
pub fn model_quality_word(name: &str) -> Option<&'static str> {
    let w = words(name);
    let pair = |a: &str, b: &str| w.windows(2).any(|p| p[0] == a && p[1] == b);
    let has = |set: &[&str]| w.iter().any(|x| set.contains(&x.as_str()));
    // Clock drift and skew are about time sync, not models.
    if has(&["clock", "ntp", "timex", "chrony", "time"]) {
        return None;
    }
    if pair("data", "quality") {
        return Some("data quality");
    }
    if pair("distribution", "shift") {
        return Some("distribution shift");
    }
    for x in &w {
        let hit = match x.as_str() {
            "drift" | "drifted" | "drifting" => "drift",
            "accuracy" => "accuracy",
            "psi" => "psi",
            // `kl_divergence`, `js_divergence`; a training loss "diverging" is not drift.
            "divergence"
                if has(&[
                    "kl", "js", "jsd", "jensen", "shannon", "kullback", "leibler",
                ]) =>
            {
                "divergence"
            }
            "kolmogorov" | "smirnov" => "kolmogorov_smirnov",
            "wasserstein" => "wasserstein",
            "skew" if has(&["training", "serving", "feature", "features"]) => "skew",
            _ => continue,
        };
        return Some(hit);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absence_words() {
        assert_eq!(absence_word("CertManagerAbsent"), Some("absent"));
        assert_eq!(absence_word("DriftJobMissing"), Some("missing"));
        assert_eq!(absence_word("KubeProxyDown"), None);
        assert_eq!(absence_word("PromscaleDown"), None);
    }

    #[test]
    fn health_metrics() {
        for n in ["up", "mysql_up", "redis_up", "pg_up"] {
            assert!(is_health_metric(n), "{n}");
        }
        for n in [
            "_up",
            "uptime",
            "job:up:avg",
            "node_boot_time_seconds",
            "startup",
        ] {
            assert!(!is_health_metric(n), "{n}");
        }
    }

    #[test]
    fn splits_snake_camel_and_colons() {
        assert_eq!(words("GPUMemoryHigh"), ["gpu", "memory", "high"]);
        assert_eq!(words("DataDriftDetected"), ["data", "drift", "detected"]);
        assert_eq!(
            words("job:model_kl_divergence:avg5m"),
            ["job", "model", "kl", "divergence", "avg5m"]
        );
        assert_eq!(words("etcdMembersDown"), ["etcd", "members", "down"]);
        assert_eq!(words("Model PSI high"), ["model", "psi", "high"]);
        assert_eq!(words("KubeAPIDown"), ["kube", "api", "down"]);
        assert!(words("").is_empty());
    }

    #[test]
    fn last_event_timestamps() {
        assert!(is_last_event_timestamp(
            "mlflow_model_last_trained_timestamp"
        ));
        assert!(is_last_event_timestamp(
            "thanos_objstore_bucket_last_successful_upload_time"
        ));
        assert!(is_last_event_timestamp("model_updated_timestamp_seconds"));
        assert!(!is_last_event_timestamp("kube_job_status_start_time"));
        assert!(!is_last_event_timestamp(
            "windows_system_boot_time_timestamp_seconds"
        ));
        assert!(!is_last_event_timestamp("model_last_accuracy"));
    }

    #[test]
    fn model_quality_words() {
        assert_eq!(model_quality_word("DataDriftDetected"), Some("drift"));
        assert_eq!(
            model_quality_word("model_kl_divergence"),
            Some("divergence")
        );
        assert_eq!(
            model_quality_word("data_quality_check_passed"),
            Some("data quality")
        );
        assert_eq!(model_quality_word("ModelAccuracyDrop"), Some("accuracy"));
        assert_eq!(model_quality_word("feature_psi_score"), Some("psi"));
        assert_eq!(model_quality_word("GPUMemoryHigh"), None);
        assert_eq!(model_quality_word("TrainingLossDivergence"), None);
        assert_eq!(model_quality_word("ClockSkewDetected"), None);
        assert_eq!(model_quality_word("NodeClockDrift"), None);
        assert_eq!(model_quality_word("TrainingServingSkewHigh"), Some("skew"));
    }
}
