//! PromQL parse speed, mlalert's own front end against promql-parser 0.11
//! (the parser mlalert used before; a dev-dependency now), on every rule
//! expression of the given files: expressions parsed per second by each, in
//! one run on the same expressions.
//!
//! Usage: cargo run --release --example parse_speed -- [--min-seconds S] FILES...
//! (`bench/parse-speed.sh` runs it on the real corpus and `rules_large.yml`).
use std::time::{Duration, Instant};

/// A parser under test: its name and whether it accepts an expression.
type Row<'a> = (&'a str, &'a dyn Fn(&str) -> bool);

fn collect(files: &[String]) -> Vec<String> {
    let config = mlalert::config::Config::default();
    let mut exprs = Vec::new();
    for (i, path) in files.iter().enumerate() {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let src = mlalert::source::SourceFile::from_text(path.clone(), text, 0);
        let loaded = mlalert::model::load_file(i, &src, &config.extra_fields);
        for rf in &loaded.rule_files {
            for g in &rf.groups {
                for r in &g.rules {
                    if let Some(e) = &r.expr {
                        exprs.push(e.text.value.clone());
                    }
                }
            }
        }
    }
    exprs
}

/// Runs `f` over all expressions until `min` has passed (at least twice);
/// returns (expressions per second, accepted per pass).
fn measure(exprs: &[String], min: Duration, f: &dyn Fn(&str) -> bool) -> (f64, usize) {
    let mut passes = 0u32;
    let mut accepted = 0;
    let start = Instant::now();
    while passes < 2 || start.elapsed() < min {
        accepted = exprs.iter().filter(|e| f(e)).count();
        passes += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    (f64::from(passes) * exprs.len() as f64 / secs, accepted)
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut min = Duration::from_secs(2);
    if args.first().map(String::as_str) == Some("--min-seconds") && args.len() > 1 {
        min = Duration::from_secs_f64(args[1].parse().expect("--min-seconds S"));
        args.drain(..2);
    }
    let exprs = collect(&args);
    let bytes: usize = exprs.iter().map(String::len).sum();
    println!(
        "{} files, {} expressions, {} bytes of PromQL",
        args.len(),
        exprs.len(),
        bytes
    );
    let opts = mlalert::promql::syntax::Options::all_features();
    let rows: [Row; 3] = [
        ("mlalert promql::syntax::parse", &|e| {
            mlalert::promql::syntax::parse(e, &opts).is_ok()
        }),
        ("mlalert promql::parse (nesting bound + parse)", &|e| {
            mlalert::promql::parse(e).is_ok()
        }),
        ("promql-parser 0.11 parser::parse", &|e| {
            promql_parser::parser::parse(e).is_ok()
        }),
    ];
    let mut base = None;
    println!("| parser | expressions/s | MB/s | accepted | vs promql-parser |");
    println!("|---|---:|---:|---:|---:|");
    let results: Vec<(&str, f64, usize)> = rows
        .iter()
        .map(|(name, f)| {
            let (rate, ok) = measure(&exprs, min, *f);
            (*name, rate, ok)
        })
        .collect();
    if let Some((_, r, _)) = results.last() {
        base = Some(*r);
    }
    for (name, rate, ok) in results {
        let mbs = rate * bytes as f64 / exprs.len().max(1) as f64 / 1e6;
        let ratio = base.map_or(String::new(), |b| format!("{:.1}×", rate / b));
        println!(
            "| {name} | {rate:.0} | {mbs:.1} | {ok}/{} | {ratio} |",
            exprs.len()
        );
    }
}
