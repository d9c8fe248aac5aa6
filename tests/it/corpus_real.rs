//! The real corpus (`$MLALERT_CORPUS/real`, public projects' rule files and
//! configs): no crash, no `yaml-syntax`/`rule-invalid`/`promql-syntax` on
//! files Prometheus accepts (INDEX.tsv's `promtool_ok`), templated files
//! reported as skipped.

use crate::{diags, lint_json};

#[test]
fn real_corpus_loads_as_prometheus_does() {
    let Some(real) = crate::corpus("real") else {
        return;
    };
    let index = std::fs::read_to_string(real.join("INDEX.tsv")).expect("INDEX.tsv");
    let (code, json) = lint_json(&[real.to_str().unwrap()]);
    assert!(code == 1 || code == 2, "exit {code}");
    let d = diags(&json);
    let of = |path: &str, codes: &[&str]| -> Vec<String> {
        let full = real.join(path);
        d.iter()
            .filter(|x| {
                x["path"].as_str() == full.to_str()
                    && codes.contains(&x["code"].as_str().unwrap_or(""))
            })
            .map(|x| format!("{}:{} {}", x["line"], x["code"], x["message"]))
            .collect()
    };
    let (mut accepted, mut templated) = (0, 0);
    for line in index.lines().skip(1) {
        let c: Vec<&str> = line.split('\t').collect();
        let (path, kind, promtool_ok) = (c[0], c[3], c[6]);
        if promtool_ok == "yes" {
            accepted += 1;
            let bad = of(path, &["ML901", "ML902", "ML903"]);
            assert!(
                bad.is_empty(),
                "{path} is accepted by promtool but: {bad:?}"
            );
        }
        if kind == "templated" {
            templated += 1;
            assert_eq!(
                of(path, &["ML905"]).len(),
                1,
                "{path} should be reported as skipped"
            );
            assert!(
                of(path, &["ML901"]).is_empty(),
                "{path}: templated file reported as a syntax error"
            );
        }
    }
    println!(
        "real corpus: {accepted} files promtool accepts load cleanly; {templated} templated files skipped"
    );
    assert!(accepted > 300 && templated >= 6);
    // Only the templated files are skipped as templates.
    let skipped = d.iter().filter(|x| x["code"] == "ML905").count();
    assert_eq!(
        skipped, templated,
        "non-templated files reported as templated"
    );
}
