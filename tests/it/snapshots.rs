//! Reviewed output: human and JSON snapshots of `mlalert lint` on every
//! fixture, and each lint's bad/good fixture pair checked for behaviour.

use std::path::{Path, PathBuf};

use crate::{diags, mlalert};

fn fixtures() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir)
            .expect("fixtures dir")
            .filter_map(Result::ok)
        {
            let p = e.path();
            // `fixtures/fix` holds `lint --fix` pairs, checked by tests/it/fix.rs.
            if p.is_dir() && !p.ends_with("fixtures/fix") {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml")
                // A fixture's own `.mlalert.yaml` is its policy, not an input.
                && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))
            {
                out.push(p);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    walk(&root.join("fixtures"), &mut out);
    out.sort();
    out.into_iter()
        .map(|p| p.strip_prefix(root).expect("under root").to_path_buf())
        .collect()
}

fn run(format: &str, rel: &Path) -> String {
    // A fixture folder's `.mlalert.yaml` is the policy its files are linted with.
    let policy = rel.parent().map(|d| d.join(".mlalert.yaml"));
    let config: Vec<&Path> = policy
        .iter()
        .filter(|p| Path::new(env!("CARGO_MANIFEST_DIR")).join(p).is_file())
        .flat_map(|p| [Path::new("--config"), p.as_path()])
        .collect();
    let out = mlalert()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["lint", "--format", format])
        .args(config)
        .arg(rel)
        .output()
        .expect("run");
    format!(
        "exit: {}\n{}",
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout)
    )
}

#[test]
fn fixture_snapshots() {
    let files = fixtures();
    assert!(files.len() >= 30, "fixtures missing");
    for rel in files {
        let name = rel.to_string_lossy().replace(['/', '.'], "_");
        insta::assert_snapshot!(format!("{name}.human"), run("human", &rel));
        insta::assert_snapshot!(format!("{name}.json"), run("json", &rel));
    }
}

#[test]
fn lint_fixture_pairs_flag_only_their_lint() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lints");
    let mut pairs: Vec<String> = Vec::new();
    for e in std::fs::read_dir(&root)
        .expect("fixtures/lints")
        .filter_map(Result::ok)
    {
        let dir = e.file_name().to_string_lossy().into_owned();
        let code = dir.split('-').next().unwrap_or("").to_string();
        // Pedantic lints are off by default: run their pair with the lint enabled.
        // In the fixture's folder, so that its relative paths (a snapshot) resolve.
        let cfg = tempfile::Builder::new()
            .prefix(".mlalert-test")
            .suffix(".yaml")
            .tempfile_in(root.join(&dir))
            .expect("temp config");
        // A policy lint's pair carries the policy it is checked against.
        let policy =
            std::fs::read_to_string(root.join(&dir).join(".mlalert.yaml")).unwrap_or_default();
        std::fs::write(cfg.path(), format!("enable: [{code}]\n{policy}")).expect("write config");
        let cfg_path = cfg.path().to_str().unwrap();
        let with = |file: &str| {
            let path = root.join(&dir).join(file);
            crate::lint_json(&["--config", cfg_path, path.to_str().unwrap()])
        };
        let (_, bad) = with("bad.yaml");
        let codes: Vec<&str> = diags(&bad)
            .iter()
            .filter_map(|d| d["code"].as_str())
            .collect();
        assert!(
            !codes.is_empty() && codes.iter().all(|c| *c == code),
            "{dir}/bad.yaml: {codes:?}"
        );
        let (exit, good) = with("good.yaml");
        assert_eq!(
            (exit, diags(&good).len()),
            (0, 0),
            "{dir}/good.yaml: {good}"
        );
        pairs.push(code);
    }
    // Every lint that is not about the input itself (ML9xx) has its pair.
    for m in mlalert::lint::registry::all() {
        assert!(
            m.code.starts_with("ML9") || pairs.iter().any(|c| c == m.code),
            "fixtures/lints/{}-{}/ missing",
            m.code,
            m.name
        );
    }
}
