//! Conformance: `rule-invalid`/`promql-syntax`/`yaml-syntax` agree with what
//! Prometheus 3.14 accepts or refuses (`promtool-2.42-check-rules.tsv`, column
//! `upstream_expectation_v3.14`).

use mlalert::config::Config;
use mlalert::lint::{Category, Severity, run_sources};
use mlalert::source::SourceFile;

/// Cases we knowingly disagree on, with the reason. Keep this list short and
/// shrink it: each entry is a missing feature.
const KNOWN: &[(&str, &str)] = &[];

/// Whether Prometheus 3.14 refuses the file, from the TSV's expectation text.
fn refused(expectation: &str) -> bool {
    expectation.starts_with("error") && !expectation.contains("valid under 3.x default")
}

#[test]
fn rulefmt_verdicts_match_prometheus_3() {
    let Some(tsv) = crate::corpus("prometheus/promtool-2.42-check-rules.tsv") else {
        return;
    };
    let root = tsv.parent().expect("corpus dir").to_path_buf();
    let text = std::fs::read_to_string(&tsv).expect("read tsv");
    let (mut agree, mut disagree) = (0, Vec::new());
    for line in text
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        let (file, expectation) = (cols[0], cols.get(3).copied().unwrap_or(""));
        let path = root.join(file);
        let source =
            SourceFile::new(file, std::fs::read(&path).expect("corpus file")).expect("utf-8");
        let diags = run_sources(vec![source], &Config::default()).diagnostics;
        let errors: Vec<String> = diags
            .iter()
            .filter(|d| d.lint.category == Category::Invalid && d.severity == Severity::Error)
            .map(|d| format!("{}: {}", d.lint.name, d.message))
            .collect();
        let ours = !errors.is_empty();
        let expected = refused(expectation);
        if ours == expected {
            agree += 1;
            assert!(
                !KNOWN.iter().any(|(f, _)| *f == file),
                "{file} now agrees: remove it from KNOWN"
            );
        } else if let Some((_, why)) = KNOWN.iter().find(|(f, _)| *f == file) {
            println!("known disagreement {file}: {why}");
        } else {
            disagree.push(format!("{file}: expected {expectation:?}, got {errors:?}"));
        }
    }
    println!(
        "rulefmt-conformance: agree={agree} disagree={} known={}",
        disagree.len(),
        KNOWN.len()
    );
    assert!(disagree.is_empty(), "{disagree:#?}");
    assert!(agree >= 26, "only {agree} files agree");
}
