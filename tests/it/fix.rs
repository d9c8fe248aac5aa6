//! `lint --fix`: every `fixtures/fix/<CODE>-<name>/before.yaml` fixed with
//! that lint's fixes gives `after.yaml` (`MLALERT_BLESS=1` rewrites them),
//! fixing `after.yaml` changes nothing, the fixed findings are gone, safe
//! and unsafe fixes apply as their kind says; and a property test: random
//! rule files and Alertmanager configs (plain and inside a ConfigMap's
//! `data: |`), fixed with every fix, load to the same model except the
//! fields the fixes are about.

use std::path::Path;

use mlalert::config::Config;
use mlalert::diagnostic::{Applicability, Diagnostic};
use mlalert::lint::fix::{Outcome, considered, fix_run};
use mlalert::lint::{Input, Report, run_sources};
use mlalert::source::SourceFile;

fn config(codes: &[&str]) -> Config {
    let f = tempfile::NamedTempFile::new().expect("temp config");
    std::fs::write(f.path(), format!("enable: [{}]\n", codes.join(", "))).expect("write config");
    Config::load(f.path()).expect("config loads")
}

fn fix(text: &str, config: &Config, wanted: &dyn Fn(&Diagnostic) -> bool) -> Outcome {
    let src = SourceFile::from_text("before.yaml", text.to_string(), 0);
    fix_run(vec![Input::Named(src)], config, wanted)
}

fn lint(text: &str, config: &Config) -> Report {
    run_sources(
        vec![SourceFile::from_text("x.yaml", text.to_string(), 0)],
        config,
    )
}

#[test]
fn fixture_pairs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fix");
    let mut dirs: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures/fix")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    dirs.sort();
    let bless = std::env::var_os("MLALERT_BLESS").is_some();
    let mut seen = Vec::new();
    for d in &dirs {
        let name = d.file_name().unwrap().to_string_lossy().into_owned();
        let code = name.split('-').next().unwrap().to_string();
        let meta = mlalert::diagnostic::find_lint(&code).expect("fixture names a lint");
        assert!(
            name.starts_with(&format!("{}-{}", meta.code, meta.name)),
            "{name}: not <CODE>-<name>"
        );
        seen.push(meta.code);
        let before = std::fs::read_to_string(d.join("before.yaml")).expect("before.yaml");
        let cfg = config(&[meta.code]);
        let only = |d: &Diagnostic| d.lint.code == meta.code && considered(d, true);
        let out = fix(&before, &cfg, &only);
        let refused: Vec<String> = out
            .refused
            .iter()
            .map(|(r, why)| format!("{}: {why}", r.title))
            .collect();
        assert!(refused.is_empty(), "{name}: refused {refused:?}");
        let after_path = d.join("after.yaml");
        if bless {
            std::fs::write(&after_path, &out.texts[0]).expect("write after.yaml");
        }
        let after = std::fs::read_to_string(&after_path).expect("after.yaml");
        assert_eq!(
            out.texts[0], after,
            "{name}: --fix --unsafe-fixes of before.yaml"
        );
        assert_ne!(before, after, "{name}: the fixture fixes nothing");
        // The fixed findings are gone; what is left offers no fix.
        assert!(
            !out.report
                .diagnostics
                .iter()
                .any(|x| x.lint.code == meta.code && x.fix.is_some()),
            "{name}: a fixable finding is left"
        );
        // Idempotent.
        let again = fix(&after, &cfg, &only);
        assert_eq!(
            again.texts[0], after,
            "{name}: fixing after.yaml changed it"
        );
        assert!(again.applied.is_empty(), "{name}");
        // Safe fixes apply without --unsafe-fixes; unsafe ones do not.
        let safe_only = |d: &Diagnostic| d.lint.code == meta.code && considered(d, false);
        let safe = fix(&before, &cfg, &safe_only);
        let kinds: Vec<Applicability> = out.applied.iter().map(|r| r.applicability).collect();
        if kinds.iter().all(|k| *k == Applicability::Safe) {
            assert_eq!(
                safe.texts[0], after,
                "{name}: safe fixes need no --unsafe-fixes"
            );
        } else {
            assert!(
                kinds.iter().all(|k| *k == Applicability::Unsafe),
                "{name}: one kind per fixture"
            );
            assert_eq!(
                safe.texts[0], before,
                "{name}: unsafe fixes applied without --unsafe-fixes"
            );
        }
    }
    for code in ["ML101", "ML110", "ML201", "ML212", "ML303", "ML312"] {
        assert!(seen.contains(&code), "no fixture pair for {code}");
    }
}

#[test]
fn configmap_edits_stay_inside_the_block_and_escaped_values_get_no_fix() {
    let before = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/fix/ML101-missing-for-configmap/before.yaml"),
    )
    .unwrap();
    let cfg = config(&["ML101"]);
    let out = fix(&before, &cfg, &|d| considered(d, true));
    // The escaped value's finding is left, without a fix.
    let left: Vec<&Diagnostic> = out
        .report
        .diagnostics
        .iter()
        .filter(|d| d.lint.code == "ML101")
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].fix.is_none());
    assert!(
        out.texts[0]
            .contains("        expr: DCGM_FI_DEV_GPU_TEMP > 85\n        for: 5m\n        labels:")
    );
}

// ---------------------------------------------------------------------------
// The property test.

/// Deterministic choices from a seed (Knuth's MMIX linear congruential
/// generator), so that a failure names its seed and repeats.
struct Rng(u64);

impl Rng {
    fn index(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.index(xs.len())]
    }
    fn coin(&mut self) -> bool {
        self.index(2) == 0
    }
}

fn random_rules(rng: &mut Rng) -> String {
    let names = [
        "GPUHot",
        "gpu_memory_high",
        "'Model drift'",
        "\"GPU-Throttled\"",
        "Queue-Stuck",
        "NodeDown",
    ];
    let exprs = [
        "DCGM_FI_DEV_GPU_TEMP > 85",
        "up{job=~\"triton\"} == 0",
        "'up{job!~\"vllm\\\\.server\"} == 0'",
        "up{model=~\"^llama.*$\"} == 0",
        "DCGM_FI_DEV_FB_USED / DCGM_FI_DEV_FB_FREE > 0.95",
        "'sum by (gpu) (DCGM_FI_DEV_FB_FREE) / on(gpu) sum by (gpu) (DCGM_FI_DEV_FB_USED) < 0.05'",
        "\"up{job=~\\\"escaped\\\"} == 0\"",
        "|\n          up{pod=~\"^serve-.*\"}\n            == 0",
        "rate(errors_total[5m]) > 0.1  # a comment",
    ];
    let mut y = String::from("groups:\n  - name: g\n    rules:\n");
    let n = 1 + rng.index(4);
    let mut used = Vec::new();
    for _ in 0..n {
        let name = rng.pick(&names);
        if used.contains(&name) {
            continue;
        }
        used.push(name);
        y.push_str(&format!("      - alert: {name}\n"));
        y.push_str(&format!("        expr: {}\n", rng.pick(&exprs)));
        match rng.index(3) {
            0 => y.push_str("        for: 10m\n"),
            1 => y.push_str("        for:\n"),
            _ => {}
        }
        if rng.coin() {
            y.push_str("        labels:\n          severity: warning\n");
        }
    }
    y
}

fn random_am(rng: &mut Rng) -> String {
    let matchers = [
        "      match:\n        team: ml\n",
        "      match: {team: ml}\n",
        "      match_re:\n        severity: critical|page\n",
        "      matchers: ['cluster=\"gpu\"']\n",
        "      matchers:\n        - env=prod\n",
    ];
    let mut y = String::from("route:\n  receiver: pager\n  routes:\n");
    for _ in 0..1 + rng.index(3) {
        y.push_str("    - receiver: ");
        y.push_str(rng.pick(&["pager", "null", "'null'", "~"]));
        y.push('\n');
        let mut fields: Vec<&str> = Vec::new();
        for _ in 0..rng.index(3) {
            let f = rng.pick(&matchers);
            let key = f.trim_start().split(':').next().unwrap();
            if !fields
                .iter()
                .any(|g| g.trim_start().starts_with(&format!("{key}:")))
            {
                fields.push(f);
            }
        }
        for f in fields {
            y.push_str(f);
        }
    }
    y.push_str("receivers:\n  - name: pager\n  - name: 'null'\n");
    y
}

fn in_configmap(doc: &str) -> String {
    let mut y = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  file.yaml: |\n",
    );
    for line in doc.lines() {
        if line.is_empty() {
            y.push('\n');
        } else {
            y.push_str(&format!("    {line}\n"));
        }
    }
    y
}

/// What a fix must not change: per rule its labels and annotations (and
/// its name, expression and `for` unless a fix of that field applied);
/// per route its receiver unless the null fix applied, and its matchers.
/// A rule's name, expression, `for` (ms) and labels.
type RuleShape = (String, String, Option<u64>, Vec<(String, String)>);

#[derive(Debug, PartialEq)]
struct Shape {
    rules: Vec<RuleShape>,
    routes: Vec<(Option<String>, Vec<String>)>,
}

fn shape(r: &Report) -> Shape {
    let l = r.loaded[0].as_ref().expect("loads");
    let rules = l
        .rule_files
        .iter()
        .flat_map(|f| &f.groups)
        .flat_map(|g| &g.rules)
        .map(|r| {
            (
                r.name.value.clone(),
                r.expr
                    .as_ref()
                    .map(|e| e.text.value.clone())
                    .unwrap_or_default(),
                r.for_.as_ref().map(|f| f.value.ms),
                r.labels
                    .iter()
                    .map(|kv| (kv.key.value.clone(), kv.value.value.clone()))
                    .collect(),
            )
        })
        .collect();
    let mut routes = Vec::new();
    for am in &l.am_configs {
        let mut stack: Vec<&mlalert::model::alertmanager::Route> = am.route.iter().collect();
        while let Some(route) = stack.pop() {
            let mut ms: Vec<String> = route
                .matchers
                .iter()
                .map(|m| m.matcher.to_string())
                .collect();
            ms.sort();
            routes.push((route.receiver.as_ref().map(|r| r.value.clone()), ms));
            stack.extend(route.routes.iter());
        }
    }
    Shape { rules, routes }
}

#[test]
fn property_fixes_keep_the_model_but_the_fixed_fields() {
    let codes = ["ML101", "ML110", "ML201", "ML212", "ML303", "ML312"];
    let cfg = config(&codes);
    let mut fixed_codes: Vec<&str> = Vec::new();
    for seed in 1..=200u64 {
        let mut rng = Rng(seed);
        let mut doc = if rng.coin() {
            random_rules(&mut rng)
        } else {
            random_am(&mut rng)
        };
        if rng.coin() {
            doc = in_configmap(&doc);
        }
        let before = lint(&doc, &cfg);
        assert!(!before.failed, "seed {seed}: generated YAML fails:\n{doc}");
        let out = fix(&doc, &cfg, &|d| {
            codes.contains(&d.lint.code) && considered(d, true)
        });
        // A fix may be refused for a finding it would bring (a `for: 5m`
        // below a drift alert's minimum), never for a result that does not load.
        for (r, why) in &out.refused {
            assert!(
                !why.contains("does not load"),
                "seed {seed}: {} refused: {why}\n{doc}",
                r.lint.code
            );
        }
        let after = lint(&out.texts[0], &cfg);
        assert!(
            !after.failed,
            "seed {seed}: the fixed text fails:\n{}",
            out.texts[0]
        );
        // The fixed findings are gone.
        for d in after.diagnostics.iter().filter(|d| d.fix.is_some()) {
            assert!(
                out.refused.iter().any(|(r, _)| r.lint.code == d.lint.code),
                "seed {seed}: {} still offers a fix:\n{}",
                d.message,
                out.texts[0]
            );
        }
        let fixed: Vec<&str> = out.applied.iter().map(|r| r.lint.code).collect();
        fixed_codes.extend(&fixed);
        let (mut b, a) = (shape(&before), shape(&after));
        assert_eq!(b.rules.len(), a.rules.len(), "seed {seed}");
        assert_eq!(b.routes.len(), a.routes.len(), "seed {seed}");
        for (rb, ra) in b.rules.iter_mut().zip(&a.rules) {
            if fixed.contains(&"ML110") {
                rb.0 = ra.0.clone();
            }
            if fixed.contains(&"ML212") || fixed.contains(&"ML201") {
                rb.1 = ra.1.clone();
            }
            // A missing `for` is added as 5m (or left, when refused or not flagged).
            if fixed.contains(&"ML101") && rb.2.is_none() {
                assert!(matches!(ra.2, None | Some(300_000)), "seed {seed}: for: 5m");
                rb.2 = ra.2;
            }
        }
        for (rb, ra) in b.routes.iter_mut().zip(&a.routes) {
            if fixed.contains(&"ML312") && rb.0.is_none() {
                rb.0 = ra.0.clone();
            }
        }
        assert_eq!(b, a, "seed {seed}:\n{doc}\n---\n{}", out.texts[0]);
        // Idempotent.
        let again = fix(&out.texts[0], &cfg, &|d| {
            codes.contains(&d.lint.code) && considered(d, true)
        });
        assert_eq!(again.texts[0], out.texts[0], "seed {seed}");
    }
    // Not vacuous: every lint's fix was applied somewhere.
    for code in codes {
        assert!(
            fixed_codes.contains(&code),
            "no random input got a {code} fix"
        );
    }
}

// ---------------------------------------------------------------------------
// The command line.

#[test]
fn cli_diff_writes_nothing_and_fix_writes_the_safe_fixes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.yaml");
    let before = "groups:\n  - name: g\n    rules:\n      - alert: TritonDown\n        expr: up{job=~\"triton\"} == 0\n        labels:\n          severity: warning\n";
    std::fs::write(&path, before).unwrap();
    let run = |args: &[&str]| {
        crate::mlalert()
            .current_dir(dir.path())
            .args(["lint", "--color", "never"])
            .args(args)
            .arg("rules.yaml")
            .output()
            .unwrap()
    };
    // Plain lint: the findings say which fixes they offer; nothing written.
    let out = run(&[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("unsafe fix available"), "{stdout}");
    assert!(stdout.contains("fix available (`--fix`)"), "{stdout}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    // --diff: a unified diff of the safe fix only, exit 1, nothing written.
    let out = run(&["--diff"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.starts_with("--- a/rules.yaml\n+++ b/rules.yaml\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("+        expr: up{job=\"triton\"} == 0\n"),
        "{stdout}"
    );
    assert!(!stdout.contains("for: 5m"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("1 unsafe fix available with --unsafe-fixes"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    // --diff --unsafe-fixes shows the unsafe one too.
    let out = run(&["--diff", "--unsafe-fixes"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("+        for: 5m\n"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    // --fix: the safe fix written, the rest reported as usual.
    let out = run(&["--fix"]);
    let after = std::fs::read_to_string(&path).unwrap();
    assert!(
        after.contains("up{job=\"triton\"}") && !after.contains("for: 5m"),
        "{after}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("applied 1 fix in 1 file; 1 unsafe fix available"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ML101"));
    assert_eq!(out.status.code(), Some(1), "missing-for is a warning");
    // --fix --unsafe-fixes: the unsafe one, then nothing left to fix.
    run(&["--fix", "--unsafe-fixes"]);
    let fixed = std::fs::read_to_string(&path).unwrap();
    assert!(
        fixed.contains("        for: 5m\n        labels:"),
        "{fixed}"
    );
    let out = run(&["--diff", "--unsafe-fixes"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    // --fix refuses standard input.
    let out = crate::mlalert()
        .args(["lint", "--fix", "-"])
        .write_stdin(before)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_fix_that_brings_a_finding_is_refused_and_named() {
    // With a 10m minimum for warnings, `for: 5m` would be for-below-policy.
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), "min_for: {warning: 10m}\n").unwrap();
    let cfg = Config::load(f.path()).unwrap();
    let y = "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        labels:\n          severity: warning\n      - alert: B\n        expr: up{job=~\"x\"} == 0\n        for: 15m\n        labels:\n          severity: warning\n";
    let out = fix(y, &cfg, &|d| considered(d, true));
    // The regex fix is kept; the `for` one is refused with its reason.
    assert!(out.texts[0].contains("up{job=\"x\"}"), "{}", out.texts[0]);
    assert!(!out.texts[0].contains("for: 5m"), "{}", out.texts[0]);
    assert_eq!(out.refused.len(), 1);
    assert_eq!(out.refused[0].0.lint.code, "ML101");
    assert!(out.refused[0].1.contains("ML114"), "{}", out.refused[0].1);
    assert_eq!(out.applied.len(), 1);
}
