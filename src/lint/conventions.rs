//! What a run states about the Prometheus it is written for, applied to the
//! settings the config leaves unset: the scrape interval (a `prometheus.yml`'s
//! `global.scrape_interval`, else the ServiceMonitor and PodMonitor endpoint
//! intervals of the run), the evaluation interval (`global.evaluation_interval`)
//! and the external labels every alert carries (`global.external_labels`).
//! Explicit `.mlalert.yaml` settings always win; a lint says in its message
//! where the value it used comes from ([`Config::origin`]).

use crate::config::{Config, Millis, Value};
use crate::model::{Interval, IntervalKind, LoadedFile};
use crate::source::SourceFile;

use super::project::route_unused::EXTERNAL_LABELS;
use super::rules::for_below_evaluation_interval::EVALUATION_INTERVAL;
use super::rules::rate_window_too_short::SCRAPE_INTERVAL;

/// `config` with the intervals the run states filled in where it sets none.
/// Of several stated intervals the shortest is taken, so that a finding
/// holds for every server and target of the run. A Prometheus server config
/// wins over monitor intervals for the scrape interval.
pub fn apply(config: &Config, files: &[SourceFile], loaded: &[Option<LoadedFile>]) -> Config {
    let mut out = config.clone();
    let stated: Vec<(usize, &Interval)> = loaded
        .iter()
        .enumerate()
        .filter_map(|(i, l)| l.as_ref().map(|l| (i, l)))
        .flat_map(|(i, l)| l.intervals.iter().map(move |iv| (i, iv)))
        .collect();
    let shortest = |kind: IntervalKind, server: bool| {
        stated
            .iter()
            .filter(|(_, iv)| iv.kind == kind && iv.what.contains("global.") == server)
            .min_by_key(|(_, iv)| iv.ms)
            .copied()
    };
    let origin = |(file, iv): (usize, &Interval)| {
        let f = &files[file];
        let lc = f.line_col(iv.span.start);
        format!("{}:{}:{} ({})", f.path, lc.line, lc.column, iv.what)
    };
    if let Some(s) = shortest(IntervalKind::Scrape, true).or(shortest(IntervalKind::Scrape, false))
    {
        out.set_inferred(&SCRAPE_INTERVAL, Value::Ms(Millis(s.1.ms)), origin(s));
    }
    if let Some(e) = shortest(IntervalKind::Evaluation, true) {
        out.set_inferred(&EVALUATION_INTERVAL, Value::Ms(Millis(e.1.ms)), origin(e));
    }
    // External labels: of the first server config that states some (with
    // several servers, each sets its own; the first is as good as any for
    // deciding what can reach a route).
    if let Some((file, l)) = loaded
        .iter()
        .enumerate()
        .filter_map(|(i, l)| l.as_ref().map(|l| (i, l)))
        .find(|(_, l)| !l.external_labels.is_empty())
    {
        let f = &files[file];
        let lc = f.line_col(l.external_labels[0].2.start);
        let pairs = l
            .external_labels
            .iter()
            .map(|(k, v, _)| format!("{k}={v}"))
            .collect();
        out.set_inferred(
            &EXTERNAL_LABELS,
            Value::Strings(pairs),
            format!(
                "{}:{}:{} (global.external_labels)",
                f.path, lc.line, lc.column
            ),
        );
    }
    out
}
