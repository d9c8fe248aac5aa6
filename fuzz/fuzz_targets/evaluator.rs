//! Any PromQL expression evaluated, instant and range, against a small fixed
//! store of GPU series (counters, gauges, histogram buckets, staleness). No
//! panic; the 10,000-sample limit holds (a query over it is an error, never
//! a result larger than the limit).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mlalert::engine::{Engine, Labels, Storage, Value};
use mlalert_fuzz::guard;

fn storage() -> &'static Storage {
    static S: OnceLock<Storage> = OnceLock::new();
    S.get_or_init(|| {
        let mut s = Storage::new();
        for gpu in 0..4 {
            let g = gpu.to_string();
            let temp = Labels::from_pairs([("__name__", "DCGM_FI_DEV_GPU_TEMP"), ("gpu", g.as_str())]);
            let xid = Labels::from_pairs([("__name__", "xid_errors_total"), ("gpu", g.as_str())]);
            for i in 0..120i64 {
                s.append(&temp, i * 15_000, 60.0 + (i % 30) as f64);
                s.append(&xid, i * 15_000, (i / 10) as f64);
            }
            for le in ["0.1", "0.5", "1", "+Inf"] {
                let b = Labels::from_pairs([("__name__", "latency_seconds_bucket"), ("gpu", g.as_str()), ("le", le)]);
                for i in 0..120i64 {
                    s.append(&b, i * 15_000, (i * (1 + gpu)) as f64);
                }
            }
        }
        s.append_stale(&Labels::from_pairs([("__name__", "DCGM_FI_DEV_GPU_TEMP"), ("gpu", "3")]), 1_800_001);
        s
    })
}

fn check(v: &Value, limit: usize) {
    let n = match v {
        Value::Vector(v) => v.len(),
        Value::Matrix(m) => m.iter().map(|s| s.points.len()).sum(),
        _ => 0,
    };
    assert!(n <= limit, "result of {n} samples over the {limit} limit");
}

fuzz_target!(init: mlalert_fuzz::init(), |text: &str| {
    guard(|| {
        if text.len() > 2048 {
            return;
        }
        let engine = Engine::default();
        let limit = engine.max_samples;
        if let Ok(v) = engine.instant_query(storage(), text, 900_000) {
            check(&v, limit);
        }
        if let Ok(v) = engine.range_query(storage(), text, 0, 1_800_000, 60_000) {
            check(&v, limit);
        }
    });
});
