//! Hostile input, engine cases (issue 13): PromQL parsing and analysis, the
//! evaluator, templates and rule unit tests. Inputs are generated here.

use std::path::Path;

use super::run;

fn alert_file(exprs: &[String]) -> String {
    let mut s = String::from("groups:\n- name: g\n  rules:\n");
    for (i, e) in exprs.iter().enumerate() {
        s.push_str(&format!(
            "  - alert: A{i}\n    expr: '{e}'\n    for: 5m\n    labels: {{severity: page}}\n"
        ));
    }
    s
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// Item 2: a 20,000-sign chain and a 16,000-term `or` chain crashed the
/// binary (stack overflow in label inference, 1 GB first for the `or`
/// chain); now each is a positioned ML902 error and the other rules and
/// files are still checked.
#[test]
fn deep_promql_chains_are_positioned_errors() {
    let dir = tempfile::tempdir().unwrap();
    let neg = format!("{}up > 0", "-".repeat(20_000));
    let or = vec!["up"; 16_000].join(" or ");
    write(
        dir.path(),
        "deep.yaml",
        &alert_file(&[neg, or, "up == 0".into()]),
    );
    write(dir.path(), "ok.yaml", &alert_file(&["up == 0".into()]));
    let r = run(
        dir.path(),
        &["lint", "deep.yaml", "ok.yaml", "--format", "json"],
        None,
    );
    r.expect_code(1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let diags = v["diagnostics"].as_array().unwrap();
    let errs: Vec<(u64, u64, &str)> = diags
        .iter()
        .filter(|d| d["code"] == "ML902")
        .map(|d| {
            (
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
                d["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(errs.len(), 2, "{}", r.stdout);
    for (_, _, m) in &errs {
        assert!(
            m.contains("expression nests more than 1000 levels deep"),
            "{m}"
        );
    }
    // The first error points at the sign that makes the chain too deep:
    // the 1,001st `-` after `    expr: '` (11 columns).
    assert_eq!((errs[0].0, errs[0].1), (5, 1012));
    // The `or` chain: at its 1,001st `or` (`up or ` is 6 columns).
    assert_eq!((errs[1].0, errs[1].1), (9, 12 + 6 * 1000 + 3));
    // The third rule and the other file are still linted.
    assert_eq!(v["summary"]["files"], 2, "{}", r.stdout);
    assert!(
        diags
            .iter()
            .any(|d| d["path"] == "ok.yaml" && d["code"] == "ML102"),
        "{}",
        r.stdout
    );
    assert!(
        diags
            .iter()
            .any(|d| d["line"] == 12 && d["code"] == "ML102"),
        "{}",
        r.stdout
    );
}

/// Item 2, the other side: expressions right at the depth limit, of every
/// shape, are linted (several files, so rayon workers do it) and evaluated by
/// `mlalert test` without overflowing a thread's stack.
#[test]
fn promql_at_the_depth_limit_is_linted_and_evaluated() {
    let dir = tempfile::tempdir().unwrap();
    let shapes: Vec<(&str, String)> = vec![
        ("plus", format!("{} > 0", vec!["up"; 999].join(" + "))),
        ("neg", format!("{}up", "-".repeat(998))),
        ("paren", format!("{}up{}", "(".repeat(998), ")".repeat(998))),
        ("or", vec!["up"; 999].join(" or ")),
        ("pow", vec!["up"; 999].join(" ^ ")),
    ];
    let mut rules = String::from("groups:\n- name: g\n  rules:\n");
    let mut tests = String::from("rule_files: [rules.yaml]\ntests:\n");
    for (name, e) in &shapes {
        write(
            dir.path(),
            &format!("{name}.yaml"),
            &alert_file(std::slice::from_ref(e)),
        );
        rules.push_str(&format!("  - record: r_{name}\n    expr: '{e}'\n"));
        tests.push_str(&format!(
            "- interval: 1m\n  input_series:\n  - series: up\n    values: '1x5'\n  promql_expr_test:\n  - expr: '{e}'\n    eval_time: 2m\n    exp_samples: [{{labels: '{}', value: 1}}]\n",
            if matches!(*name, "plus" | "neg" | "pow") { "{}" } else { "up" },
        ));
    }
    write(dir.path(), "rules.yaml", &rules);
    write(dir.path(), "t.yaml", &tests);
    let files: Vec<String> = shapes.iter().map(|(n, _)| format!("{n}.yaml")).collect();
    let mut args = vec!["lint"];
    args.extend(files.iter().map(String::as_str));
    let r = run(dir.path(), &args, None);
    r.expect_code(1);
    assert!(!r.stdout.contains("ML902"), "{}", r.stdout);
    assert!(r.stdout.contains("5 files"), "{}", r.stdout);
    let r = run(dir.path(), &["test", "t.yaml"], None);
    // `up + … > 0` is 999, not 1: exactly that one group fails.
    r.expect_code(1);
    assert_eq!(
        r.stderr.matches("got: {} 9.99E+02").count(),
        1,
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.matches("    expr: ").count(), 1, "{}", r.stderr);
}

/// Item 10: `up + up + … > 0` re-walked its left side at every operator
/// (scalar check, label inference per sub-expression): 1,000 terms took
/// 2.5 s in a release build, 4,000 terms over two minutes. Label inference
/// is now memoised per node.
#[test]
fn long_operator_chain_is_linted_in_linear_time() {
    let dir = tempfile::tempdir().unwrap();
    let chain = format!("{} > 0", vec!["up"; 999].join(" + "));
    let on = format!("{} > 0", vec!["up{job=\"a\"}"; 999].join(" / on (job) "));
    write(dir.path(), "r.yaml", &alert_file(&[chain, on]));
    let r = run(dir.path(), &["lint", "r.yaml"], None);
    r.expect_code(1);
    assert!(!r.stdout.contains("ML902"), "{}", r.stdout);
}

/// Item 22: `@ 1e300` was accepted (and saturated); Prometheus' parser
/// rejects `@` timestamps at or beyond ±2^63 seconds with its message.
#[test]
fn at_timestamp_out_of_range_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "r.yaml",
        &alert_file(&[
            "up @ 1e300 > 0".into(),
            "up @ -1e19 > 0".into(),
            "up @ 1e15 > 0".into(),
        ]),
    );
    let r = run(dir.path(), &["lint", "r.yaml", "--format", "json"], None);
    r.expect_code(1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let errs: Vec<&serde_json::Value> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "ML902")
        .collect();
    assert_eq!(errs.len(), 2, "{}", r.stdout);
    let m0 = errs[0]["message"].as_str().unwrap();
    assert!(
        m0.contains("timestamp out of bounds for @ modifier: 1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080"),
        "{m0}"
    );
    assert!(m0.ends_with(".000000"), "{m0}");
    // At the selector the `@` modifies, as Prometheus' setTimestamp
    // positions it: line 5 column 12 (`    expr: '` is 11 columns).
    assert_eq!(
        (errs[0]["line"].as_u64(), errs[0]["column"].as_u64()),
        (Some(5), Some(12))
    );
    let m1 = errs[1]["message"].as_str().unwrap();
    assert!(
        m1.contains("timestamp out of bounds for @ modifier: -10000000000000000000.000000"),
        "{m1}"
    );
    assert_eq!(errs[1]["line"].as_u64(), Some(9));
}

/// Item 14: `rule_files` matches were de-duplicated with a linear search:
/// 30,000 matches took 16 s before any test ran. A glob matching 10,000
/// files, listed three times, loads each file once.
#[test]
fn many_rule_file_matches_are_deduplicated_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    for i in 0..10_000 {
        std::fs::write(rules.join(format!("r{i:05}.yaml")), "groups: []\n").unwrap();
    }
    write(
        dir.path(),
        "t.yaml",
        "rule_files: ['rules/*.yaml', 'rules/r*.yaml', 'rules/*']\ntests:\n- input_series: []\n",
    );
    let r = run(dir.path(), &["test", "t.yaml"], None);
    r.expect_code(0);
    assert!(r.stdout.contains("SUCCESS"), "{}", r.stdout);
}

fn unit_test(dir: &Path, rules: &str, tests: &str) -> super::Run {
    write(dir, "rules.yaml", rules);
    write(dir, "t.yaml", tests);
    run(dir, &["test", "t.yaml"], None)
}

/// Item 13: subqueries of billions of steps (`[1y:1ms]`, nested `[1d:1s]`)
/// and templates running nested `range query` loops ran unbounded: steps
/// are now counted before they run and fail as promtool fails.
#[test]
fn unit_test_queries_are_bounded_before_they_run() {
    let dir = tempfile::tempdir().unwrap();
    let rules = "groups:\n- name: g\n  rules:\n  - alert: Q\n    expr: up > 0\n    annotations:\n      a: '{{ range query \"max_over_time(vector(1)[1d:1s])\" }}{{ range query \"up\" }}{{ range query \"up\" }}x{{ end }}{{ end }}{{ end }}'\n      b: '{{ range $i := args {ones} }}{{ range $j := args {ones} }}{{ query \"up\" }}{{ end }}{{ end }}'\n".replace("{ones}", &vec!["1"; 40].join(" "));
    let tests = "rule_files: [rules.yaml]\ntests:\n- interval: 1m\n  input_series:\n  - series: up\n    values: '1x10'\n  promql_expr_test:\n  - expr: max_over_time(up[1y:1ms])\n    eval_time: 5m\n  - expr: max_over_time(max_over_time(nope[1d:1s])[1d:1s])\n    eval_time: 5m\n  alert_rule_test:\n  - alertname: Q\n    eval_time: 1m\n";
    let r = unit_test(dir.path(), &rules, tests);
    r.expect_code(1);
    // 40 × 40 `query` calls: past the budget of one expansion.
    assert!(
        r.stderr
            .contains("error calling query: expansion runs more than 1000 queries"),
        "{}",
        r.stderr
    );
    let too_many = "query processing would load too many samples into memory in query execution";
    // The annotation (in the alert and in its diff) and the two expressions.
    assert_eq!(r.stderr.matches(too_many).count(), 4, "{}", r.stderr);
}

/// Item 5: template expansion in `mlalert test` was unbounded in output
/// size and work (a string doubled in a `range`, 40 levels of templates
/// calling the next twice); now each stops with an expansion error.
#[test]
fn unit_test_template_expansion_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let ones = vec!["1"; 40].join(" ");
    let mut nested = String::from("{{define \\\"t0\\\"}}{{end}}");
    for i in 1..=40 {
        nested.push_str(&format!(
            "{{{{define \\\"t{i}\\\"}}}}{{{{template \\\"t{}\\\" .}}}}{{{{template \\\"t{}\\\" .}}}}{{{{end}}}}",
            i - 1,
            i - 1
        ));
    }
    nested.push_str("{{template \\\"t40\\\" .}}");
    let rules = format!(
        "groups:\n- name: g\n  rules:\n  - alert: T\n    expr: up > 0\n    annotations:\n      double: \"{{{{ $x := \\\"ab\\\" }}}}{{{{ range $i := args {ones} }}}}{{{{ $x = printf \\\"%s%s\\\" $x $x }}}}{{{{ end }}}}{{{{ $x }}}}\"\n      nested: \"{nested}\"\n"
    );
    let tests = "rule_files: [rules.yaml]\ntests:\n- interval: 1m\n  input_series:\n  - series: up\n    values: '1x10'\n  alert_rule_test:\n  - alertname: T\n    eval_time: 1m\n";
    let r = unit_test(dir.path(), &rules, tests);
    r.expect_code(1);
    assert!(
        r.stderr
            .contains("expansion builds more than 67108864 bytes of text"),
        "{}",
        &r.stderr[..r.stderr.len().min(3000)]
    );
    assert!(
        r.stderr
            .contains("expansion makes more than 1000000 function and template calls"),
        "{}",
        &r.stderr[..r.stderr.len().min(3000)]
    );
}

/// Issue 12 item 2: `values: '0x10000000'` (ten million and one samples)
/// was refused (`a series may expand to at most 5000000 values`); promtool
/// runs it. Series are runs now, loaded up to the last `eval_time` only, so
/// it passes under the harness' memory limit; the samples up to that time
/// are really there (`count_over_time`, the accumulated `1+1xN`), and an
/// omitted run of ten million steps costs nothing.
#[test]
fn ten_million_sample_series_run_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let tests = "tests:\n- interval: 1m\n  input_series:\n  - series: gpu_util{gpu=\"0\"}\n    values: '0x10000000'\n  - series: gpu_temp{gpu=\"0\"}\n    values: '1+1x10000000'\n  - series: up{job=\"trainer\"}\n    values: '1 _x9999999 stale'\n  promql_expr_test:\n  - expr: count_over_time(gpu_util[1h])\n    eval_time: 10h\n    exp_samples: [{labels: '{gpu=\"0\"}', value: 60}]\n  - expr: gpu_temp\n    eval_time: 10h\n    exp_samples: [{labels: 'gpu_temp{gpu=\"0\"}', value: 601}]\n  - expr: up\n    eval_time: 4m\n    exp_samples: [{labels: 'up{job=\"trainer\"}', value: 1}]\n  - expr: up\n    eval_time: 6m\n    exp_samples: []\n";
    write(dir.path(), "t.yaml", tests);
    let r = run(dir.path(), &["test", "t.yaml"], None);
    r.expect_code(0);
    assert!(r.stdout.contains("SUCCESS"), "{}", r.stdout);
}
