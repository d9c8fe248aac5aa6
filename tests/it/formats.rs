//! Output formats: SARIF validated against the official 2.1.0 schema
//! (tests/sarif-schema-2.1.0.json), GitHub workflow commands, snapshots.

use crate::mlalert;

const FIXTURE: &str = "fixtures/ml-platform/monitoring-stack.yaml";

/// The official schema, with one fix: `run.language`'s pattern has a bare `]`,
/// a literal in ECMA-262 regexes, which jsonschema's check of the schema
/// itself rejects. Escaping it keeps the meaning.
fn schema() -> serde_json::Value {
    let text = include_str!("../sarif-schema-2.1.0.json");
    let pattern = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
    assert!(
        text.contains(pattern),
        "the official schema changed: revisit this fix"
    );
    let fixed = text.replace(pattern, "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\\\]?$");
    serde_json::from_str(&fixed).expect("schema json")
}

fn run(format: &str, path: &str) -> (i32, String) {
    let out = mlalert()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["lint", "--format", format, path])
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("utf-8"),
    )
}

#[test]
fn sarif_is_valid_against_the_official_schema() {
    let schema = schema();
    let validator = jsonschema::draft4::new(&schema).expect("schema compiles");
    for path in [
        FIXTURE,
        "fixtures/invalid/rule-invalid.yaml",
        "fixtures/kinds/secret-base64-alertmanager.yaml",
    ] {
        let (code, text) = run("sarif", path);
        assert_eq!(code, 1, "{path}");
        let log: serde_json::Value = serde_json::from_str(&text).expect("sarif json");
        let errors: Vec<String> = validator
            .iter_errors(&log)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{path}: {errors:#?}");
        let run = &log["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
        assert_eq!(rules.len(), mlalert::lint::registry::all().len());
        for r in run["results"].as_array().expect("results") {
            let idx = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(rules[idx]["id"], r["ruleId"]);
            let loc = &r["locations"][0]["physicalLocation"];
            assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
            assert_eq!(loc["artifactLocation"]["uri"], path);
            assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
        }
    }
}

#[test]
fn sarif_rejects_what_the_schema_rejects() {
    // The validator must be able to fail: a result without a message is invalid SARIF.
    let schema = schema();
    let validator = jsonschema::draft4::new(&schema).unwrap();
    let bad = serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"ruleId": "X"}]}]});
    assert!(!validator.is_valid(&bad));
}

#[test]
fn github_workflow_commands() {
    let (code, text) = run(
        "github",
        "fixtures/lints/ML201-inverted-gpu-memory-ratio/bad.yaml",
    );
    assert_eq!(code, 1);
    let first = text.lines().next().expect("a command");
    assert!(
        first.starts_with(
            "::error file=fixtures/lints/ML201-inverted-gpu-memory-ratio/bad.yaml,line="
        ),
        "{first}"
    );
    assert!(
        first.contains(",title=ML201 inverted-gpu-memory-ratio::"),
        "{first}"
    );
    assert!(text.lines().all(|l| l.starts_with("::error ")
        || l.starts_with("::warning ")
        || l.starts_with("::notice ")));
    // Newlines in messages are escaped, so each finding is one line.
    assert_eq!(text.lines().count(), text.matches("::").count() / 2);
}

#[test]
fn format_snapshots() {
    for format in ["sarif", "github"] {
        let (_, text) = run(format, FIXTURE);
        insta::assert_snapshot!(format!("monitoring-stack.{format}"), text);
    }
}

#[test]
fn junit_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("junit.xml");
    let status = mlalert()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "test",
            "--junit",
            out.to_str().unwrap(),
            "fixtures/unittest/gpu-failing-test.yaml",
        ])
        .output()
        .expect("run")
        .status;
    assert_eq!(status.code(), Some(1));
    let xml = std::fs::read_to_string(&out).expect("junit written");
    insta::assert_snapshot!("gpu-failing-test.junit", xml);
}

/// A project lint's secondary label in another file (the Alertmanager
/// config a rule's finding is about) reaches every format.
#[test]
fn labels_in_another_file_reach_every_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("rules.yaml"),
        r#"groups:
  - name: gpus
    rules:
      - alert: GPUTemperatureHigh
        expr: max by (Hostname, gpu) (DCGM_FI_DEV_GPU_TEMP) > 85
        for: 10m
        labels:
          severity: warning
        annotations:
          summary: "GPU {{ $labels.gpu }} is hot"
          runbook_url: https://runbooks.example.com/ml/gpu-temperature
"#,
    )
    .expect("write rules");
    std::fs::write(
        dir.path().join("alertmanager.yml"),
        r##"route:
  receiver: default
  routes:
    - matchers: [team="ml-platform"]
      receiver: ml
    - matchers: [team="data"]
      receiver: data
receivers:
  - name: default
  - name: ml
    slack_configs: [{api_url_file: /etc/am/slack, channel: "#ml"}]
  - name: data
    slack_configs: [{api_url_file: /etc/am/slack, channel: "#data"}]
"##,
    )
    .expect("write config");
    let run = |format: &str| {
        let out = mlalert()
            .current_dir(dir.path())
            .args(["lint", "--format", format, "rules.yaml", "alertmanager.yml"])
            .output()
            .expect("run");
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let json: serde_json::Value = serde_json::from_str(&run("json")).expect("json");
    let d = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["code"] == "ML401")
        .expect("alert-unrouted reported");
    assert_eq!(d["path"], "rules.yaml");
    let label = &d["labels"][0];
    assert_eq!(label["path"], "alertmanager.yml", "{d}");
    assert_eq!(
        (label["line"].as_u64(), label["column"].as_u64()),
        (Some(2), Some(13)),
        "{d}"
    );
    assert!(
        label["message"]
            .as_str()
            .unwrap_or("")
            .contains("root route"),
        "{d}"
    );

    let sarif: serde_json::Value = serde_json::from_str(&run("sarif")).expect("sarif");
    let result = sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["ruleId"] == "ML401")
        .expect("ML401 result");
    let related = &result["relatedLocations"][0];
    assert_eq!(
        related["physicalLocation"]["artifactLocation"]["uri"],
        "alertmanager.yml"
    );
    assert_eq!(related["physicalLocation"]["region"]["startLine"], 2);

    let human = run("human");
    assert!(
        human.contains("  note: alertmanager.yml:2:13: the alert stays on the root route"),
        "{human}"
    );
}
