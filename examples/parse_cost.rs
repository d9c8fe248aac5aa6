//! Measures where lint time goes on a set of rule files: YAML, PromQL parsing, lints.
//! Usage: cargo run --release --example parse_cost -- FILES...
use std::time::Instant;

fn main() {
    let files: Vec<String> = std::env::args().skip(1).collect();
    let texts: Vec<(String, String)> = files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok().map(|t| (f.clone(), t)))
        .collect();
    let t = Instant::now();
    let mut n = 0;
    for (_, text) in &texts {
        n += mlalert::yaml::parse_stream(text, &mlalert::source::TextMap::Shift(0))
            .0
            .len();
    }
    println!("yaml: {:?} ({n} docs)", t.elapsed());
    let config = mlalert::config::Config::default();
    let t = Instant::now();
    let mut exprs = Vec::new();
    for (i, (path, text)) in texts.iter().enumerate() {
        let src = mlalert::source::SourceFile::from_text(path.clone(), text.clone(), 0);
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
    println!(
        "load (yaml + model + promql parse): {:?} ({} exprs)",
        t.elapsed(),
        exprs.len()
    );
    let t = Instant::now();
    for e in &exprs {
        let _ = mlalert::promql::parse(e);
    }
    println!("promql parse alone: {:?}", t.elapsed());
}
