//! A label or annotation template expanded as an alert's (`$labels`,
//! `$value`, Prometheus' functions, `query` backed by a tiny engine). No
//! panic; a failing template is an error value, as Prometheus stores it.
#![no_main]

use std::sync::Arc;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mlalert::template::{AlertData, Context, expand_alert_or_error};
use mlalert_fuzz::guard;

#[derive(Debug, Arbitrary)]
struct Input {
    text: String,
    labels: Vec<(String, String)>,
    value: f64,
    ts_ms: i64,
}

fuzz_target!(init: mlalert_fuzz::init(), |input: Input| {
    guard(|| {
        let data = AlertData {
            labels: input.labels.into_iter().take(8).collect(),
            external_labels: vec![("cluster".into(), "gpu-a".into())],
            external_url: "http://prometheus:9090/prom".into(),
            value: input.value,
        };
        let ctx = Context {
            name: "__alert_Fuzz".into(),
            ts_ms: input.ts_ms,
            external_url: data.external_url.clone(),
            query: Some(Arc::new(|_q: &str| Ok(Vec::new()))),
        };
        let out = expand_alert_or_error(&input.text, &data, &ctx);
        // Expansion is bounded: no template turns a short text into gigabytes.
        assert!(out.len() <= 64 * 1024 * 1024, "{} bytes", out.len());
    });
});
