//! Conformance: `alertmanager-invalid` (and `yaml-syntax`) agree with what
//! Alertmanager 0.34 accepts or refuses, over `config-testdata`,
//! `config-inline`, `config-seeds` and `k8s` of
//! `$MLALERT_CORPUS/alertmanager`. Expectations: `amtool-0.25-results.tsv`
//! column `expected_upstream_v0.34`; for `config-inline` also the error text
//! (`config-inline-expected.tsv`, `match` = exact or contains); for the
//! Kubernetes manifests `k8s/EXPECTED.tsv`.

use std::path::Path;

use mlalert::config::Config;
use mlalert::lint::{Category, Severity, run_sources};
use mlalert::source::SourceFile;

/// Files we knowingly disagree on, with the reason.
const KNOWN: &[(&str, &str)] = &[
    (
        "config-inline/empty-string.yml",
        "an empty file: mlalert recognises documents by content, and an empty document is not an \
         Alertmanager config (Alertmanager, told it is one, refuses it: no route provided in config)",
    ),
    (
        "config-inline/group-by-invalid-label.yml",
        "the upstream unit test runs with the compat package's default classic label-name rule; \
         Alertmanager 0.34 itself runs in the fallback mode, where `-invalid-` is a valid UTF-8 \
         label name (ARCHITECTURE.md: fallback semantics)",
    ),
    (
        "config-seeds/yaml-multi-document.yml",
        "mlalert checks every YAML document of a stream (ARCHITECTURE.md \"What it reads\"); \
         Alertmanager reads only the first and ignores the second, invalid one",
    ),
];

/// `Some(true)` when the expectation text says the config is refused.
fn refused(expectation: &str) -> Option<bool> {
    let e = expectation.to_lowercase();
    let e = e
        .strip_prefix("upstream test: ")
        .or_else(|| e.strip_prefix("derived from v0.34 source: "))
        .unwrap_or(&e);
    if e.starts_with("valid") {
        Some(false)
    } else if e.starts_with("error") {
        Some(true)
    } else {
        None
    }
}

fn errors_of(root: &Path, file: &str) -> Vec<String> {
    let bytes = std::fs::read(root.join(file)).expect("corpus file");
    let source = SourceFile::new(file, bytes).expect("utf-8");
    let diags = run_sources(vec![source], &Config::default()).diagnostics;
    diags
        .iter()
        .filter(|d| d.lint.category == Category::Invalid && d.severity == Severity::Error)
        .map(|d| d.message.clone())
        .collect()
}

/// (file, refused, expected error text and whether it must match exactly).
type Case = (String, bool, Option<(String, bool)>);

#[test]
fn alertmanager_verdicts_match_alertmanager_0_34() {
    let Some(root) = crate::corpus("alertmanager") else {
        return;
    };
    let tsv = std::fs::read_to_string(root.join("amtool-0.25-results.tsv")).expect("tsv");
    let inline = std::fs::read_to_string(root.join("config-inline-expected.tsv")).expect("tsv");
    let k8s = std::fs::read_to_string(root.join("k8s/EXPECTED.tsv")).expect("tsv");
    let rows = |text: &str| -> Vec<Vec<String>> {
        text.lines()
            .skip_while(|l| l.starts_with('#'))
            .skip(1)
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(|l| l.split('\t').map(str::to_string).collect())
            .collect()
    };
    let mut cases: Vec<Case> = Vec::new();
    let inline_rows = rows(&inline);
    for r in rows(&tsv) {
        let file = &r[0];
        let dir = file.split('/').next().unwrap_or("");
        if !["config-testdata", "config-inline", "config-seeds", "k8s"].contains(&dir) {
            continue;
        }
        let Some(bad) = refused(r.get(4).map(String::as_str).unwrap_or("")) else {
            panic!("{file}: unreadable expectation {:?}", r.get(4));
        };
        let text = file.strip_prefix("config-inline/").and_then(|name| {
            inline_rows
                .iter()
                .find(|i| i[0] == name && i.get(3).is_some_and(|m| !m.is_empty()))
                .map(|i| (i[4].clone(), i[3] == "exact"))
        });
        cases.push((file.clone(), bad, text));
    }
    for r in rows(&k8s) {
        let file = format!("k8s/{}", r[0]);
        if cases.iter().any(|c| c.0 == file) {
            // One manifest, several documents: refused if any embedded config is.
            let bad = r.last().is_some_and(|v| v.starts_with("FAILED"));
            if let Some(c) = cases.iter_mut().find(|c| c.0 == file) {
                c.1 |= bad;
            }
            continue;
        }
        let bad = r.last().is_some_and(|v| v.starts_with("FAILED"));
        cases.push((file, bad, None));
    }
    assert!(cases.len() >= 165, "only {} cases", cases.len());
    let (mut agree, mut disagree) = (0usize, Vec::new());
    for (file, bad, text) in &cases {
        let errors = errors_of(&root, file);
        let mut ok = errors.is_empty() != *bad;
        if ok && let Some((want, exact)) = text {
            ok = errors.iter().any(|e| {
                if *exact {
                    e == want
                } else {
                    e.contains(want.as_str())
                }
            });
        }
        if ok {
            agree += 1;
            assert!(
                !KNOWN.iter().any(|(f, _)| f == file),
                "{file} now agrees: remove it from KNOWN"
            );
        } else {
            let why = KNOWN
                .iter()
                .find(|(f, _)| f == file)
                .map(|(_, w)| *w)
                .unwrap_or("UNEXPECTED");
            disagree.push(format!(
                "{file}: expected {}{}, got {errors:?}\n    reason: {why}",
                if *bad { "refused" } else { "valid" },
                text.as_ref()
                    .map(|(t, _)| format!(" ({t:?})"))
                    .unwrap_or_default(),
            ));
        }
    }
    println!(
        "alertmanager-conformance: agree={agree} disagree={}",
        disagree.len()
    );
    for d in &disagree {
        println!("  disagreement {d}");
    }
    let unexpected: Vec<&String> = disagree
        .iter()
        .filter(|d| d.ends_with("UNEXPECTED"))
        .collect();
    assert!(unexpected.is_empty(), "{unexpected:#?}");
    assert!(
        agree * 100 >= (agree + disagree.len()) * 95,
        "agreement below 95%"
    );
    assert!(agree >= 160, "only {agree} files agree");
}
