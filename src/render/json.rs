//! `--format json`: one object, stable for scripts. Its schema is
//! `docs/json-schema.json` (version [`VERSION`]); `tests/it/formats.rs`
//! validates every JSON report of the tests against it.

use serde::Serialize;

use super::{Resolved, counts};
use crate::diagnostic::Diagnostic;

/// The version of the JSON report (`"version"`, and the schema's `const`).
/// Fields may be added within a version; a removal, rename or change of
/// meaning makes the next one.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Out<'a> {
    version: u32,
    diagnostics: Vec<Item<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct Item<'a> {
    code: &'static str,
    name: &'static str,
    category: &'static str,
    severity: &'static str,
    message: &'a str,
    path: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    help: Option<&'a str>,
    url: String,
    /// Secondary labels: other places that matter to the finding.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    labels: Vec<LabelItem<'a>>,
    /// The fix `lint --fix` would apply (present only when there is one).
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<FixItem<'a>>,
}

#[derive(Serialize)]
struct FixItem<'a> {
    title: &'a str,
    applicability: crate::diagnostic::Applicability,
    edits: Vec<EditItem<'a>>,
}

#[derive(Serialize)]
struct EditItem<'a> {
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    replacement: &'a str,
}

#[derive(Serialize)]
struct LabelItem<'a> {
    path: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: &'a str,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
}

/// Renders the JSON report: `{"version": 1, "diagnostics": [...], "summary": {...}}`.
/// Lines and columns are 1-based, columns count characters, the end is exclusive.
pub fn render(resolved: &[Resolved], diags: &[Diagnostic], files: usize) -> String {
    let (errors, warnings, infos) = counts(diags);
    let out = Out {
        version: VERSION,
        diagnostics: resolved
            .iter()
            .map(|r| Item {
                code: r.diag.lint.code,
                name: r.diag.lint.name,
                category: r.diag.lint.category.as_str(),
                severity: r.diag.severity.as_str(),
                message: &r.diag.message,
                path: r.path,
                line: r.start.line,
                column: r.start.column,
                end_line: r.end.line,
                end_column: r.end.column,
                help: r.diag.help.as_deref(),
                url: r.diag.lint.url(),
                labels: r
                    .labels
                    .iter()
                    .map(|l| LabelItem {
                        path: l.path,
                        line: l.start.line,
                        column: l.start.column,
                        end_line: l.end.line,
                        end_column: l.end.column,
                        message: l.message,
                    })
                    .collect(),
                fix: r.diag.fix.as_ref().map(|f| FixItem {
                    title: &f.title,
                    applicability: f.applicability,
                    edits: r
                        .edits
                        .iter()
                        .map(|e| EditItem {
                            line: e.start.line,
                            column: e.start.column,
                            end_line: e.end.line,
                            end_column: e.end.column,
                            replacement: e.replacement,
                        })
                        .collect(),
                }),
            })
            .collect(),
        summary: Summary {
            files,
            errors,
            warnings,
            infos,
        },
    };
    serde_json::to_string_pretty(&out).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
