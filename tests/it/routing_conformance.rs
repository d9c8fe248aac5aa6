//! Routing and inhibition against Alertmanager's observed behaviour
//! (`$MLALERT_CORPUS/alertmanager/routing` and `/inhibit`): every row of
//! routes-expected.tsv, the `--tree` output of routes-expected.json, the
//! `routes show` drawings, and which alerts inhibit-semantics.yml mutes.

use std::path::Path;

use crate::mlalert;

fn run_test(dir: &Path, config: &str, labels: &[&str], tree: bool) -> (i32, String) {
    let mut cmd = mlalert();
    cmd.current_dir(dir)
        .args(["routes", "test", "--config", config]);
    if tree {
        cmd.arg("--tree");
    }
    let out = cmd.args(labels).output().expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Config paths in the corpus are relative to routing/ or to the corpus root.
fn config_dir(am: &Path, config: &str) -> std::path::PathBuf {
    if config.starts_with("cli-testdata/") {
        am.to_path_buf()
    } else {
        am.join("routing")
    }
}

#[test]
fn every_routes_expected_row_agrees() {
    let Some(am) = crate::corpus("alertmanager") else {
        return;
    };
    let tsv = std::fs::read_to_string(am.join("routing/routes-expected.tsv")).expect("tsv");
    let (mut total, mut ok, mut bad) = (0, 0, Vec::new());
    for line in tsv.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let c: Vec<&str> = line.split('\t').collect();
        let (config, labels, expected, rc) = (c[0], c[1], c[2], c[3]);
        let labels: Vec<&str> = labels.split(' ').filter(|s| !s.is_empty()).collect();
        let (code, out) = run_test(&config_dir(&am, config), config, &labels, false);
        total += 1;
        if out == format!("{expected}\n") && code.to_string() == rc {
            ok += 1;
        } else {
            bad.push(format!(
                "{config} {labels:?}: want {expected:?} got {out:?} (exit {code})"
            ));
        }
    }
    println!("routes-expected.tsv: {ok}/{total}");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(total >= 52);
}

#[test]
fn tree_output_matches_amtool() {
    let Some(am) = crate::corpus("alertmanager") else {
        return;
    };
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(am.join("routing/routes-expected.json")).expect("json"),
    )
    .expect("valid json");
    let mut n = 0;
    for case in json["cases"].as_array().expect("cases") {
        let config = case["config"].as_str().unwrap();
        let labels: Vec<&str> = case["argv_labels"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        let dir = config_dir(&am, config);
        let (_, out) = run_test(&dir, config, &labels, true);
        assert_eq!(
            out,
            case["tree_stdout"].as_str().unwrap(),
            "{config} {labels:?}"
        );
        let (_, out) = run_test(&dir, config, &labels, false);
        assert_eq!(out, case["stdout"].as_str().unwrap(), "{config} {labels:?}");
        n += 1;
    }
    assert!(n >= 52);
}

#[test]
fn routes_show_matches_amtool() {
    let Some(am) = crate::corpus("alertmanager") else {
        return;
    };
    let expected =
        std::fs::read_to_string(am.join("routing/routes-show-expected.txt")).expect("show");
    let mut sections = 0;
    for section in expected.split("=== ").skip(1) {
        let (config, body) = section.split_once('\n').expect("header");
        let dir = config_dir(&am, config);
        let run = |amtool: bool| {
            let mut cmd = mlalert();
            cmd.current_dir(&dir)
                .args(["routes", "show", "--config", config]);
            if amtool {
                cmd.arg("--amtool");
            }
            String::from_utf8_lossy(&cmd.output().expect("run").stdout).into_owned()
        };
        // amtool prints the tree and an empty line.
        let want = body.trim_end_matches('\n').to_string() + "\n";
        assert_eq!(
            run(true).trim_end_matches('\n').to_string() + "\n",
            want,
            "{config}"
        );
        // Without --amtool each line starts with amtool's and adds the settings.
        let ours = run(false);
        for (a, b) in want.lines().zip(ours.lines()) {
            assert!(b.starts_with(a), "{config}: {b:?} does not extend {a:?}");
        }
        sections += 1;
    }
    assert_eq!(sections, 6);
}

#[test]
fn inhibition_matches_alertmanager() {
    use mlalert::routing::inhibit::{Labels, Rule, inhibited};
    let Some(dir) = crate::corpus("alertmanager/inhibit") else {
        return;
    };
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("inhibit-expected-alertmanager-0.25.json"))
            .expect("json"),
    )
    .expect("valid");
    let text = std::fs::read_to_string(dir.join(json["config"].as_str().unwrap())).expect("cfg");
    let src = mlalert::source::SourceFile::from_text("inhibit.yml", text, 0);
    let loaded = mlalert::model::load_file(0, &src, &Default::default());
    let am = &loaded.am_configs[0];
    let rules: Vec<Rule> = am.inhibit_rules.iter().map(Rule::new).collect();
    let alerts = json["alerts"].as_array().unwrap();
    // Resolved alerts never inhibit: only firing ones are considered.
    let firing: Vec<&serde_json::Value> = alerts
        .iter()
        .filter(|a| !a["resolved"].as_bool().unwrap_or(false))
        .collect();
    let labels: Vec<Labels> = firing
        .iter()
        .map(|a| {
            a["labels"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect()
        })
        .collect();
    let muted = inhibited(&rules, &labels);
    let mut checked = 0;
    for (a, m) in firing.iter().zip(&muted) {
        let want = !a["observed_inhibited_by"].as_array().unwrap().is_empty();
        assert_eq!(!m.is_empty(), want, "{}: {}", a["id"], a["note"]);
        checked += 1;
    }
    println!("inhibition: {checked}/{checked} firing alerts agree");
    assert_eq!(checked, 16);
}
