//! `mlalert backtest` against a real Prometheus: the numbers it reports for
//! generated series are checked against counts computed here, with a
//! state machine written independently of `unittest::alerts` (Prometheus'
//! documented behaviour: pending for `for`, firing, kept firing for
//! `keep_firing_for` after the result goes, resolved).

use super::{Config, OpenMetrics, Prometheus, now};
use crate::git;

const STEP: i64 = 30;

/// Per series, whether it is above the threshold at each 30 s step: runs
/// of 1..=12 steps above and 1..=15 below, from a fixed LCG.
fn pattern(seed: u64, steps: usize) -> Vec<bool> {
    let mut x = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let mut next = |n: u64| {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        1 + (x >> 33) % n
    };
    let mut out = Vec::with_capacity(steps);
    let mut above = seed.is_multiple_of(2);
    while out.len() < steps {
        let len = next(if above { 12 } else { 15 }) as usize;
        out.extend(std::iter::repeat_n(above, len));
        above = !above;
    }
    out.truncate(steps);
    out
}

/// What the backtest reports for one rule, counted independently.
#[derive(Debug, Default, PartialEq)]
struct Expected {
    alerts: u64,
    episodes: u64,
    firing_s: i64,
    longest_s: i64,
    flaps: u64,
    pending_only: u64,
}

/// Replays `above` with `for` = `f` steps and `keep_firing_for` = `k` steps.
fn expect(series: &[Vec<bool>], f: usize, k: usize) -> Expected {
    let mut e = Expected::default();
    let flap = (f.max(1) as i64) * STEP;
    for above in series {
        let last = above.len() - 1;
        // (active step, fired step, resolved step) of each episode.
        let mut episodes: Vec<(usize, usize, Option<usize>)> = Vec::new();
        let mut pending_since: Option<usize> = None;
        let mut firing = false;
        let mut missing_since: Option<usize> = None;
        for (i, &present) in above.iter().enumerate() {
            if firing {
                if present {
                    missing_since = None;
                } else {
                    let m = *missing_since.get_or_insert(i);
                    if i - m >= k {
                        firing = false;
                        missing_since = None;
                        episodes.last_mut().expect("episode").2 = Some(i);
                    }
                }
                continue;
            }
            match (present, pending_since) {
                (true, None) => pending_since = Some(i),
                (false, Some(_)) => {
                    pending_since = None;
                    e.pending_only += 1;
                }
                _ => {}
            }
            if let Some(s) = pending_since
                && i - s >= f
            {
                pending_since = None;
                firing = true;
                episodes.push((s, i, None));
            }
        }
        if !episodes.is_empty() {
            e.alerts += 1;
        }
        let mut prev: Option<usize> = None;
        for &(active, fired, resolved) in &episodes {
            e.episodes += 1;
            let d = (resolved.unwrap_or(last) - fired) as i64 * STEP;
            e.firing_s += d;
            e.longest_s = e.longest_s.max(d);
            if prev.is_some_and(|r| (active - r) as i64 * STEP <= flap) {
                e.flaps += 1;
            }
            prev = resolved;
        }
    }
    e
}

fn rules(for_hot: &str) -> String {
    format!(
        "groups:\n  - name: gpu\n    interval: 30s\n    rules:\n      - alert: Hot\n        expr: live_gpu_temp > 80\n        for: {for_hot}\n        labels: {{severity: page}}\n      - alert: HotSticky\n        expr: live_gpu_temp > 80\n        keep_firing_for: 1m\n"
    )
}

#[test]
fn backtest_numbers_match_an_independent_count() {
    let steps = 6 * 3600 / STEP as usize; // six hours at 30 s
    let end = (now() - 600) / STEP * STEP;
    let start = end - (steps as i64 - 1) * STEP;
    let series: Vec<Vec<bool>> = (0..4).map(|g| pattern(g + 7, steps)).collect();
    let mut om = OpenMetrics::default();
    om.family("live_gpu_temp", "gauge", "GPU temperature");
    for (g, above) in series.iter().enumerate() {
        let gpu = g.to_string();
        for (i, &a) in above.iter().enumerate() {
            let v = if a { 90.0 } else { 50.0 };
            om.sample(
                "live_gpu_temp",
                &[("gpu", &gpu)],
                v,
                start + i as i64 * STEP,
            );
        }
    }
    let Some(p) = Prometheus::start(&om, Config::default()) else {
        return;
    };
    // A repository whose HEAD has `for: 0s` and whose working tree `for: 1m`.
    let repo = tempfile::tempdir().expect("tempdir");
    let file = repo.path().join("rules.yaml");
    std::fs::write(&file, rules("0s")).expect("write");
    git(repo.path(), &["init", "-q"]);
    git(repo.path(), &["add", "rules.yaml"]);
    git(repo.path(), &["commit", "-qm", "rules"]);
    std::fs::write(&file, rules("1m")).expect("write");
    let am = repo.path().join("am.yaml");
    std::fs::write(
        &am,
        "route:\n  receiver: team\n  group_by: [alertname, gpu]\n  group_wait: 30s\n  group_interval: 5m\nreceivers:\n  - name: team\n",
    )
    .expect("write");
    let out = crate::mlalert()
        .args(["backtest", "--prometheus", &p.url(), "--range"])
        .arg(format!("{}s", (steps as i64 - 1) * STEP))
        .args([
            "--end",
            &end.to_string(),
            "--format",
            "json",
            "--compare",
            "HEAD",
        ])
        .arg("--alertmanager")
        .arg(&am)
        .arg(&file)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let got = |o: &serde_json::Value| Expected {
        alerts: o["alerts"].as_u64().expect("alerts"),
        episodes: o["episodes"].as_u64().expect("episodes"),
        firing_s: o["firing_seconds"].as_f64().expect("firing") as i64,
        longest_s: o["longest_episode_seconds"].as_f64().expect("longest") as i64,
        flaps: o["flaps"].as_u64().expect("flaps"),
        pending_only: o["pending_only"].as_u64().expect("pending_only"),
    };
    let rules = v["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), 2, "{v}");
    assert_eq!(rules[0]["alert"], "Hot");
    assert_eq!(rules[0]["evaluations"], steps as u64);
    let hot_1m = expect(&series, 2, 0);
    assert!(
        hot_1m.episodes > 20 && hot_1m.flaps > 0 && hot_1m.pending_only > 0,
        "{hot_1m:?}"
    );
    assert_eq!(got(&rules[0]), hot_1m, "Hot, for: 1m");
    assert_eq!(
        got(&rules[0]["base"]),
        expect(&series, 0, 0),
        "Hot at HEAD, for: 0s"
    );
    assert_eq!(
        got(&rules[1]),
        expect(&series, 0, 2),
        "HotSticky, keep_firing_for: 1m"
    );
    assert!(got(&rules[0]["base"]).episodes > hot_1m.episodes);
    // Grouped by alertname and gpu: each gpu that fired was notified.
    let n = &v["notifications"];
    assert!(n["firing"].as_u64().expect("firing") >= 8, "{n}");
    assert!(
        v["base_notifications"]["receivers"]["team"]["firing"]
            .as_u64()
            .is_some()
    );
}
