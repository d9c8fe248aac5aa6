//! An Alertmanager config (the bytes up to the first NUL, as YAML) and up to
//! eight alerts' label sets (each further NUL-separated chunk: `name=value`
//! lines, `alertname` naming the alert): the routing tree build, route
//! matching and tracing, inhibition over the alerts (as alerting rules with
//! those labels), and what `mlalert routes show|test|coverage` print. No
//! panic; output bounded by the size of the input.
#![no_main]

use std::collections::BTreeMap;
use std::fmt::Write as _;

use libfuzzer_sys::fuzz_target;
use mlalert::cli::routes::{CoverageFormat, coverage_text};
use mlalert::model::rules::ExtraFields;
use mlalert::model::{LoadedFile, ProjectFile, load_file};
use mlalert::routing::inhibit::Sides;
use mlalert::routing::project::Analysis;
use mlalert::routing::tree::Tree;
use mlalert::source::SourceFile;
use mlalert_fuzz::guard;

/// Most alerts taken from one input.
const MAX_ALERTS: usize = 8;
/// Most labels per alert.
const MAX_LABELS: usize = 16;

fuzz_target!(init: mlalert_fuzz::init(), |data: &[u8]| {
    guard(|| run(data));
});

fn run(data: &[u8]) {
    let mut chunks = data.split(|&b| b == 0);
    let config = chunks.next().unwrap_or_default();
    let Ok(am_source) = SourceFile::new("am.yaml", config.to_vec()) else {
        return;
    };
    let alerts: Vec<BTreeMap<String, String>> = chunks
        .take(MAX_ALERTS)
        .map(|c| {
            String::from_utf8_lossy(c)
                .lines()
                .filter_map(|l| l.split_once('='))
                .take(MAX_LABELS)
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .filter(|(k, _)| !k.is_empty())
                .collect()
        })
        .collect();
    let extra = ExtraFields::default();
    let am_loaded = load_file(0, &am_source, &extra);
    // Bounded output: every line printed comes from a route, a matcher or a
    // label of the input, so it cannot exceed a multiple of the input's
    // size (plus the fixed headers).
    let bound = 64 * (data.len() + 64) * (alerts.len() + 1);
    for am in &am_loaded.am_configs {
        let Some(root) = &am.route else { continue };
        let tree = Tree::new(root);
        let show = tree.render_show(true);
        assert!(show.len() <= bound * 4, "routes show printed {} bytes", show.len());
        let _ = tree.render_show(false);
        for i in 0..tree.nodes.len() {
            let _ = tree.describe(i);
            let _ = tree.path(i);
            let _ = mlalert::routing::tree::fully_shadowed(&tree, i);
        }
        for labels in &alerts {
            let get = |k: &str| labels.get(k).map(String::as_str);
            let finals = tree.match_labels(&get);
            let trace = tree.trace(&get);
            assert_eq!(finals, trace.finals, "match and trace disagree");
            let text = tree.render_matching(&get);
            assert!(text.len() <= bound * 4, "routes test --tree printed {} bytes", text.len());
            let _ = tree.receivers(&get).join(",");
        }
    }
    // The alerts as alerting rules: one rule file, file 1.
    let mut rules = String::from("groups:\n- name: g\n  rules:\n");
    for (i, labels) in alerts.iter().enumerate() {
        let name = labels
            .get("alertname")
            .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .cloned()
            .unwrap_or_else(|| format!("A{i}"));
        let _ = write!(rules, "  - alert: {name}\n    expr: up == 0\n    labels:\n");
        for (k, v) in labels {
            if k == "alertname" {
                continue;
            }
            let _ = writeln!(rules, "      {:?}: {:?}", k, v);
        }
    }
    let rule_source = SourceFile::from_text("rules.yaml", rules, 0);
    let mut rule_loaded: LoadedFile = load_file(1, &rule_source, &extra);
    rule_loaded.am_configs.clear();
    let pf = [
        ProjectFile {
            file: 0,
            source: &am_source,
            loaded: &am_loaded,
        },
        ProjectFile {
            file: 1,
            source: &rule_source,
            loaded: &rule_loaded,
        },
    ];
    let an = Analysis::new(&pf, &[]);
    for c in &an.configs {
        let _ = c.unreached_receivers(true);
        let _ = c.visited_routes();
        for r in &c.routed {
            let _ = c.receivers_reached(r);
            let _ = c.may_page(r);
        }
        for rule in c.am.inhibit_rules.iter().filter(|r| r.complete) {
            let sides = Sides::new(rule, &an.alerts);
            for a in 0..an.alerts.len() {
                let muters = sides.muters(a);
                assert!(!muters.contains(&a), "an alert mutes itself");
                // The index finds what trying every alert finds.
                let slow = mlalert::routing::inhibit::muted_by(rule, &an.alerts, &an.alerts[a]);
                let fast: Vec<&str> = {
                    let mut v: Vec<&str> = Vec::new();
                    for &m in &muters {
                        if !v.contains(&an.alerts[m].name()) {
                            v.push(an.alerts[m].name());
                        }
                    }
                    v
                };
                let slow: Vec<&str> = slow.into_iter().filter(|n| *n != an.alerts[a].name()).collect();
                let fast: Vec<&str> = fast.into_iter().filter(|n| *n != an.alerts[a].name()).collect();
                assert_eq!(fast, slow, "indexed inhibition differs from the pairwise one");
            }
            let _ = sides.any_pair();
            let _ = sides.equal_can_hold();
        }
    }
    let loaded = [rule_loaded];
    for format in [CoverageFormat::Human, CoverageFormat::Json, CoverageFormat::Markdown] {
        if let Some(text) = coverage_text(&am_source, &am_loaded, std::slice::from_ref(&rule_source), &loaded, format) {
            assert!(text.len() <= bound * 8, "routes coverage printed {} bytes", text.len());
        }
    }
}
