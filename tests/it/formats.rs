//! Output formats: SARIF validated against the official 2.1.0 schema
//! (tests/sarif-schema-2.1.0.json), GitLab Code Quality against a schema of
//! GitLab's documentation (tests/gitlab-codequality-schema.json), GitHub
//! workflow commands, snapshots.

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

/// Fails with every error of `value` against the schema, if any.
fn assert_valid(validator: &jsonschema::Validator, value: &serde_json::Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
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
        assert_valid(&validator, &log, path);
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

/// GitLab publishes the Code Quality format as documentation, not as a
/// schema file: tests/gitlab-codequality-schema.json writes that page down.
fn gitlab_validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../gitlab-codequality-schema.json"))
            .expect("schema json");
    jsonschema::draft7::new(&schema).expect("schema compiles")
}

/// The report's fingerprints, each checked to be unique.
fn gitlab_fingerprints(report: &serde_json::Value) -> Vec<String> {
    let fingerprints: Vec<String> = report
        .as_array()
        .expect("an array")
        .iter()
        .map(|i| i["fingerprint"].as_str().expect("fingerprint").to_string())
        .collect();
    let unique: std::collections::HashSet<&String> = fingerprints.iter().collect();
    assert_eq!(unique.len(), fingerprints.len(), "{report:#}");
    fingerprints
}

#[test]
fn gitlab_is_valid_against_the_documented_schema() {
    let validator = gitlab_validator();
    for (path, expected) in [
        (FIXTURE, 1),
        ("fixtures/invalid/rule-invalid.yaml", 1),
        ("fixtures/invalid/yaml-syntax.yaml", 2),
        ("fixtures/kinds/secret-base64-alertmanager.yaml", 1),
        // Paths are printed as in every format: without the leading `./`.
        ("./fixtures/lints/ML101-missing-for/bad.yaml", 1),
    ] {
        let (code, text) = run("gitlab", path);
        assert_eq!(code, expected, "{path}");
        // GitLab's parser refuses a byte order mark.
        assert!(text.starts_with('['), "{path}: {text}");
        let report: serde_json::Value = serde_json::from_str(&text).expect("gitlab json");
        assert_valid(&validator, &report, path);
        let issues = report.as_array().expect("an array");
        assert!(!issues.is_empty(), "{path}");
        for i in issues {
            assert_eq!(i["location"]["path"], path.trim_start_matches("./"));
            let check = i["check_name"].as_str().expect("check_name");
            let (code, name) = check.split_once(' ').expect("code and name");
            let name_of = mlalert::lint::registry::all()
                .iter()
                .find(|m| m.code == code)
                .map(|m| m.name);
            assert_eq!(name_of, Some(name), "{check}");
            let lines = &i["location"]["lines"];
            assert!(lines["end"].as_u64() >= lines["begin"].as_u64(), "{i}");
        }
        gitlab_fingerprints(&report);
    }
    // Input errors are findings like the others.
    let (_, text) = run("gitlab", "fixtures/invalid/yaml-syntax.yaml");
    let report: serde_json::Value = serde_json::from_str(&text).expect("gitlab json");
    assert_eq!(report[0]["check_name"], "ML901 yaml-syntax", "{report:#}");
    assert_eq!(report[0]["severity"], "major");
}

#[test]
fn gitlab_rejects_what_the_schema_rejects() {
    let validator = gitlab_validator();
    let good = serde_json::json!([{"description": "d", "check_name": "c", "fingerprint": "f",
        "severity": "minor", "location": {"path": "a.yaml", "lines": {"begin": 1}}}]);
    assert!(validator.is_valid(&good));
    let positions = serde_json::json!([{"description": "d", "check_name": "c", "fingerprint": "f",
        "severity": "minor", "location": {"path": "a.yaml", "positions": {"begin": {"line": 1}}}}]);
    assert!(validator.is_valid(&positions));
    for bad in [
        // Not an array.
        serde_json::json!({"description": "d"}),
        // No fingerprint.
        serde_json::json!([{"description": "d", "check_name": "c", "severity": "minor",
            "location": {"path": "a.yaml", "lines": {"begin": 1}}}]),
        // A severity GitLab does not have.
        serde_json::json!([{"description": "d", "check_name": "c", "fingerprint": "f",
            "severity": "error", "location": {"path": "a.yaml", "lines": {"begin": 1}}}]),
        // No line.
        serde_json::json!([{"description": "d", "check_name": "c", "fingerprint": "f",
            "severity": "minor", "location": {"path": "a.yaml"}}]),
        // An absolute path.
        serde_json::json!([{"description": "d", "check_name": "c", "fingerprint": "f",
            "severity": "minor", "location": {"path": "/a.yaml", "lines": {"begin": 1}}}]),
    ] {
        assert!(!validator.is_valid(&bad), "{bad}");
    }
}

/// Fingerprints are the same on every run, survive lines moving, and tell
/// two findings with the same message on different lines apart.
#[test]
fn gitlab_fingerprints_are_stable_and_unique() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Two rules with the same findings (the same messages) on different lines.
    let rule = "      - alert: GPUDown\n        expr: up{job=\"dcgm\"} == 0\n";
    let rules = format!("groups:\n  - name: a\n    rules:\n{rule}  - name: b\n    rules:\n{rule}");
    std::fs::write(dir.path().join("rules.yaml"), &rules).expect("write");
    let lint = || {
        let out = mlalert()
            .current_dir(dir.path())
            .args(["lint", "--format", "gitlab", "rules.yaml"])
            .output()
            .expect("run");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("gitlab json");
        report
    };
    let first = lint();
    let fingerprints = gitlab_fingerprints(&first);
    assert_eq!(gitlab_fingerprints(&lint()), fingerprints, "a second run");
    let issues = first.as_array().expect("an array");
    let missing_for: Vec<&serde_json::Value> = issues
        .iter()
        .filter(|i| i["check_name"] == "ML101 missing-for")
        .collect();
    assert_eq!(missing_for.len(), 2, "{first:#}");
    assert_eq!(missing_for[0]["description"], missing_for[1]["description"]);
    assert_ne!(
        missing_for[0]["location"]["lines"]["begin"],
        missing_for[1]["location"]["lines"]["begin"]
    );
    assert_ne!(missing_for[0]["fingerprint"], missing_for[1]["fingerprint"]);

    // Lines move down: every line number changes, no fingerprint does.
    std::fs::write(
        dir.path().join("rules.yaml"),
        format!("# GPU alerts\n# owned by ml-platform\n{rules}"),
    )
    .expect("write");
    let moved = lint();
    assert_eq!(gitlab_fingerprints(&moved), fingerprints);
    assert_eq!(
        moved[0]["location"]["lines"]["begin"].as_u64(),
        first[0]["location"]["lines"]["begin"]
            .as_u64()
            .map(|l| l + 2)
    );
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
fn markdown_summary_counts_per_lint_and_links_the_first_findings() {
    let out = mlalert()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "lint",
            "--format",
            "markdown",
            "--link-base",
            "https://github.com/acme/alerts/blob/0123/",
            FIXTURE,
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let (_, json) = crate::lint_json(&[&format!("{}/{FIXTURE}", env!("CARGO_MANIFEST_DIR"))]);
    let diags = crate::diags(&json);
    // One table row per lint, with its count; counts add up to the findings.
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("| [ML")).collect();
    let mut codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(rows.len(), codes.len(), "{text}");
    let total: usize = rows
        .iter()
        .map(|r| {
            r.trim_end_matches(" |")
                .rsplit("| ")
                .next()
                .unwrap()
                .parse::<usize>()
                .unwrap()
        })
        .sum();
    assert_eq!(total, diags.len(), "{text}");
    // Each finding links to its file and line.
    let first = &diags[0];
    assert!(
        text.contains(&format!(
            "[{}:{}](https://github.com/acme/alerts/blob/0123/{}#L{})",
            FIXTURE, first["line"], FIXTURE, first["line"]
        )),
        "{text}"
    );
    insta::assert_snapshot!("monitoring-stack.markdown", text);
}

#[test]
fn markdown_lists_the_first_20_and_escapes_the_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rules = String::from("groups:\n  - name: g\n    rules:\n");
    for i in 0..25 {
        rules.push_str(&format!(
            "      - alert: A{i}_<b>x</b>|[y](z)\n        expr: up == 0\n        labels: {{severity: critical}}\n        annotations: {{summary: s, runbook_url: https://r.example.com/x}}\n"
        ));
    }
    std::fs::write(dir.path().join("many.yaml"), rules).expect("write");
    let out = mlalert()
        .current_dir(dir.path())
        .args(["lint", "--format", "markdown", "many.yaml"])
        .output()
        .expect("run");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.contains("\nThe first 20 of 25 findings:\n"), "{text}");
    assert_eq!(
        text.lines().filter(|l| l.starts_with("- **")).count(),
        20,
        "{text}"
    );
    // Without --link-base, places are plain text.
    assert!(
        text.contains("- **warning** many.yaml:4 ML101 missing-for: "),
        "{text}"
    );
    // Alert names cannot open tags, links or table cells.
    assert!(text.contains(r#"A0\_\<b\>x\</b\>\|\[y\](z)"#), "{text}");
    assert!(!text.contains("<b>"), "{text}");

    // No findings: the counts and a line saying so.
    std::fs::write(dir.path().join("many.yaml"), "groups: []\n").expect("write");
    let out = mlalert()
        .current_dir(dir.path())
        .args(["lint", "--format", "markdown", "many.yaml"])
        .output()
        .expect("run");
    assert_eq!(
        String::from_utf8(out.stdout).expect("utf-8"),
        "### mlalert: 0 errors, 0 warnings, 0 infos in 1 file\n\nNo findings.\n"
    );
}

#[test]
fn format_snapshots() {
    for format in ["sarif", "github", "gitlab"] {
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
    // Run times and the stamp change from run to run; their shape does not.
    let xml = regex::Regex::new(r#" time="\d+\.\d{3}""#)
        .unwrap()
        .replace_all(&xml, r#" time="[seconds]""#);
    let xml = regex::Regex::new(r#" timestamp="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d""#)
        .unwrap()
        .replace_all(&xml, r#" timestamp="[utc]""#);
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

/// `docs/json-schema.json`, the published schema of `--format json`.
fn json_validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../docs/json-schema.json")).expect("schema json");
    jsonschema::draft202012::new(&schema).expect("schema compiles")
}

/// Every JSON report is valid against the published schema, on runs that
/// between them give every field: all the fixtures (every lint's bad case,
/// secondary labels in other files, input errors), one clean file, and a
/// run with nothing to report. The schema forbids fields it does not
/// describe, so a new field fails here until the schema has it.
#[test]
fn json_is_valid_against_the_published_schema() {
    let validator = json_validator();
    let mut labels = 0;
    let mut codes = std::collections::BTreeSet::new();
    for args in [
        vec!["fixtures/"],
        vec!["fixtures/ml-platform/"],
        vec!["fixtures/lints/ML101-missing-for/good.yaml"],
    ] {
        let out = mlalert()
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["lint", "--format", "json", "--fail-on", "error"])
            .args(&args)
            .output()
            .expect("run");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let errors: Vec<String> = validator
            .iter_errors(&report)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{args:?}: {errors:#?}");
        assert_eq!(report["version"], mlalert::render::json::VERSION);
        for d in report["diagnostics"].as_array().expect("diagnostics") {
            codes.insert(d["code"].as_str().unwrap_or("").to_string());
            labels += d
                .get("labels")
                .map_or(0, |l| l.as_array().map_or(0, Vec::len));
        }
    }
    assert!(codes.len() > 60, "the fixtures give most lints: {codes:?}");
    assert!(labels > 0, "some finding has secondary labels");

    // The schema is strict: an unknown field, a wrong type or a missing
    // version are rejected.
    let ok = serde_json::json!({
        "version": 1,
        "diagnostics": [],
        "summary": {"files": 0, "errors": 0, "warnings": 0, "infos": 0}
    });
    assert!(validator.is_valid(&ok));
    for bad in [
        serde_json::json!({"diagnostics": [], "summary": ok["summary"]}),
        serde_json::json!({"version": 2, "diagnostics": [], "summary": ok["summary"]}),
        serde_json::json!({"version": 1, "diagnostics": [], "summary": ok["summary"], "extra": 1}),
        serde_json::json!({"version": 1, "diagnostics": [{"code": "ML101"}], "summary": ok["summary"]}),
    ] {
        assert!(!validator.is_valid(&bad), "{bad}");
    }
}
