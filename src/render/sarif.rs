//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning and other viewers.
//! Our own serde structs (the format is small); validated against the
//! official schema in tests/it/formats.rs.

use serde::Serialize;

use super::Resolved;
use crate::lint::{Severity, registry};

/// The `$schema` URI written into every log.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    results: Vec<SarifResult<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    original_uri_base_ids: Option<serde_json::Value>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    information_uri: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    name: &'static str,
    short_description: Text,
    full_description: Text,
    help_uri: String,
    help: Text,
    default_configuration: Config,
    properties: Properties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Config {
    level: &'static str,
}

#[derive(Serialize)]
struct Properties {
    tags: Vec<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Related<'a>>,
    /// SARIF 2.1.0 §3.27.30: the finding's fix, as one artifact change.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix<'a> {
    description: Text,
    artifact_changes: Vec<ArtifactChange<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactChange<'a> {
    artifact_location: Artifact<'a>,
    replacements: Vec<Replacement<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement<'a> {
    deleted_region: Region,
    inserted_content: Content<'a>,
}

#[derive(Serialize)]
struct Content<'a> {
    text: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Related<'a> {
    id: usize,
    physical_location: Physical<'a>,
    message: Text,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    physical_location: Physical<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Physical<'a> {
    artifact_location: Artifact<'a>,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Artifact<'a> {
    uri: std::borrow::Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

/// An artifact URI for `path`: relative paths under `%SRCROOT%`, absolute
/// ones as `file://` URIs.
fn artifact(path: &str) -> (std::borrow::Cow<'static, str>, Option<&'static str>) {
    if path.starts_with('/') {
        (format!("file://{}", super::percent_path(path)).into(), None)
    } else {
        (
            super::percent_path(super::repo_path(path)).into(),
            Some("%SRCROOT%"),
        )
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Renders a SARIF 2.1.0 log with every lint of the catalogue in
/// `tool.driver.rules`. Relative paths are URIs relative to `%SRCROOT%`
/// (the working directory); absolute paths become `file://` URIs.
pub fn render(resolved: &[Resolved]) -> String {
    let metas = registry::all();
    let rules = metas
        .iter()
        .map(|m| Rule {
            id: m.code,
            name: m.name,
            short_description: Text {
                text: m.summary.to_string(),
            },
            full_description: Text {
                text: m.what_it_does(),
            },
            help_uri: m.url(),
            help: Text {
                text: format!("{}: {}. See {}", m.name, m.summary, m.url()),
            },
            default_configuration: Config {
                level: level(m.severity),
            },
            properties: Properties {
                tags: vec![m.category.as_str()],
            },
        })
        .collect();
    let results = resolved
        .iter()
        .map(|r| {
            let (uri, base) = artifact(r.path);
            let message = super::message_with_help(r.diag);
            SarifResult {
                rule_id: r.diag.lint.code,
                rule_index: metas
                    .iter()
                    .position(|m| m.code == r.diag.lint.code)
                    .unwrap_or(0),
                level: level(r.diag.severity),
                message: Text { text: message },
                locations: vec![Location {
                    physical_location: Physical {
                        artifact_location: Artifact {
                            uri,
                            uri_base_id: base,
                        },
                        region: Region {
                            start_line: r.start.line,
                            start_column: r.start.column,
                            end_line: r.end.line,
                            end_column: r.end.column,
                        },
                    },
                }],
                related_locations: r
                    .labels
                    .iter()
                    .enumerate()
                    .map(|(id, l)| {
                        let (uri, base) = artifact(l.path);
                        Related {
                            id,
                            physical_location: Physical {
                                artifact_location: Artifact {
                                    uri,
                                    uri_base_id: base,
                                },
                                region: Region {
                                    start_line: l.start.line,
                                    start_column: l.start.column,
                                    end_line: l.end.line,
                                    end_column: l.end.column,
                                },
                            },
                            message: Text {
                                text: l.message.to_string(),
                            },
                        }
                    })
                    .collect(),
                fixes: r
                    .diag
                    .fix
                    .iter()
                    .map(|f| {
                        let (uri, base) = artifact(r.path);
                        let kind = match f.applicability {
                            crate::diagnostic::Applicability::Safe => "safe",
                            crate::diagnostic::Applicability::Unsafe => "unsafe",
                        };
                        SarifFix {
                            description: Text {
                                text: format!("{} ({kind} fix)", f.title),
                            },
                            artifact_changes: vec![ArtifactChange {
                                artifact_location: Artifact {
                                    uri,
                                    uri_base_id: base,
                                },
                                replacements: r
                                    .edits
                                    .iter()
                                    .map(|e| Replacement {
                                        deleted_region: Region {
                                            start_line: e.start.line,
                                            start_column: e.start.column,
                                            end_line: e.end.line,
                                            end_column: e.end.column,
                                        },
                                        inserted_content: Content {
                                            text: e.replacement,
                                        },
                                    })
                                    .collect(),
                            }],
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "mlalert",
                    version: env!("CARGO_PKG_VERSION"),
                    information_uri: "https://github.com/mlalert/mlalert",
                    rules,
                },
            },
            results,
            original_uri_base_ids: Some(serde_json::json!({"%SRCROOT%": {"uri": "./"}})),
        }],
    };
    serde_json::to_string_pretty(&log).unwrap_or_default()
}
