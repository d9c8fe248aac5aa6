//! `--format gitlab`: a GitLab Code Quality report, the JSON array a CI job
//! uploads as `artifacts: reports: codequality:` for the merge request
//! widget and changes view. The format is GitLab's subset of the Code
//! Climate issue spec, documented at
//! <https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format>:
//!
//! ```json
//! [{"description": "…", "check_name": "ML101 missing-for",
//!   "fingerprint": "0123456789abcdef", "severity": "minor",
//!   "location": {"path": "rules/gpu.yaml", "lines": {"begin": 4, "end": 5}}}]
//! ```
//!
//! Only the documented fields are written (GitLab ignores the rest of Code
//! Climate's); validated against a JSON Schema of that documentation in
//! tests/it/formats.rs.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use super::Resolved;
use crate::diagnostic::Severity;
use crate::lint::baseline::fnv1a;

#[derive(Serialize)]
struct Issue<'a> {
    description: String,
    check_name: String,
    fingerprint: String,
    severity: &'static str,
    location: Location<'a>,
}

#[derive(Serialize)]
struct Location<'a> {
    path: &'a str,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
    end: usize,
}

/// The places a message quotes: `line 12`, `line 12 of this file`,
/// `rules.yaml:12`, `rules.yaml:12:5` (where the other alert of a duplicate
/// is).
static QUOTED_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\bline |[^\s:]:)\d+(:\d+)?\b").expect("a valid regex"));

/// `message` as fingerprints hash it: the line numbers it quotes
/// ([`QUOTED_LINE`]) as `N`, so that a finding naming another line keeps its
/// fingerprint when lines move.
fn without_quoted_lines(message: &str) -> String {
    QUOTED_LINE.replace_all(message, "${1}N").into_owned()
}

/// GitLab's severity for ours. GitLab has five (`info`, `minor`, `major`,
/// `critical`, `blocker`) shared by every tool of a pipeline; `critical` and
/// `blocker` are left to the findings that warrant them there (security
/// scanners, broken builds), so an error is `major`: above every warning,
/// beside other linters' errors.
fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "major",
        Severity::Warning => "minor",
        Severity::Info => "info",
    }
}

/// Renders the report: one issue per diagnostic, in report order.
///
/// `check_name` is the lint's code and name (`ML101 missing-for`);
/// `description` the message and help, as SARIF and workflow commands show
/// them, control characters made visible ([`super::escape_controls`]: GitLab
/// shows it in the merge request); `location.path` as in every format
/// ([`super::repo_path`]); `lines` 1-based and inclusive.
///
/// `fingerprint` is 16 hex digits of [`fnv1a`] over the path, the lint
/// code, the description (with `without_quoted_lines`), the finding's
/// occurrence index among the report's findings with the same three (0 for
/// the first) and a counter. The same input gives the same fingerprints on
/// every run and release, and lines moving up or down change none (GitLab
/// matches the findings of the base and head pipelines by fingerprint). No
/// line text goes into it, so no fingerprint depends on a secret on the
/// finding's line. Fingerprints are unique in a report: after a hash
/// collision, however unlikely, the counter (otherwise 0) goes up until the
/// fingerprint is new.
pub fn render(resolved: &[Resolved]) -> String {
    let mut occurrences: HashMap<(&str, &str, String), usize> = HashMap::new();
    let mut seen: HashSet<String> = HashSet::new();
    let issues: Vec<Issue> = resolved
        .iter()
        .map(|r| {
            let path = super::repo_path(r.path);
            let code = r.diag.lint.code;
            let message = super::message_with_help(r.diag);
            let hashed = without_quoted_lines(&message);
            let index = occurrences.entry((path, code, hashed.clone())).or_default();
            let occurrence = index.to_string();
            *index += 1;
            // The counter is 0 but after a collision.
            let fingerprint = (0u64..)
                .map(|salt| {
                    let salt = salt.to_string();
                    format!("{:016x}", fnv1a(&[path, code, &hashed, &occurrence, &salt]))
                })
                .find(|f| seen.insert(f.clone()))
                .unwrap_or_default();
            // The end is exclusive: a span ending at the start of a line
            // ends on the line before.
            let end = if r.end.column <= 1 && r.end.line > r.start.line {
                r.end.line - 1
            } else {
                r.end.line.max(r.start.line)
            };
            Issue {
                description: super::escape_controls(&message).into_owned(),
                check_name: format!("{} {}", code, r.diag.lint.name),
                fingerprint,
                severity: severity(r.diag.severity),
                location: Location {
                    path,
                    lines: Lines {
                        begin: r.start.line,
                        end,
                    },
                },
            }
        })
        .collect();
    serde_json::to_string_pretty(&issues).unwrap_or_else(|_| "[]".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Diagnostic;
    use crate::source::{SourceFile, Span};

    /// The report of one file `path` holding `text`, with a missing-for
    /// finding saying `message` at each byte range of `spans`.
    fn report(
        path: &str,
        text: &str,
        spans: &[(usize, usize)],
        message: &str,
    ) -> serde_json::Value {
        let files = vec![SourceFile::from_text(path, text.to_string(), 0)];
        let meta = &crate::lint::rules::missing_for::META;
        let diags: Vec<Diagnostic> = spans
            .iter()
            .map(|&(a, b)| Diagnostic::new(meta, 0, Span::new(a, b), message))
            .collect();
        serde_json::from_str(&render(&super::super::resolve(&diags, &files))).expect("a JSON array")
    }

    fn fingerprints(report: &serde_json::Value) -> Vec<&str> {
        let all: Vec<&str> = report
            .as_array()
            .expect("an array")
            .iter()
            .map(|i| i["fingerprint"].as_str().expect("fingerprint"))
            .collect();
        assert_eq!(
            all.iter().collect::<HashSet<_>>().len(),
            all.len(),
            "unique"
        );
        all
    }

    #[test]
    fn fingerprints_survive_line_moves_and_tell_twins_apart() {
        let text = "- alert: A\n- alert: A\n";
        let first = report(
            "./rules.yaml",
            text,
            &[(2, 10), (13, 21)],
            "alert \"A\" has no `for`",
        );
        assert_eq!(first[0]["location"]["path"], "rules.yaml");
        assert_eq!(first[1]["location"]["lines"]["begin"], 2);
        // Two identical messages on two lines: two fingerprints.
        assert_ne!(first[0]["fingerprint"], first[1]["fingerprint"]);
        assert_eq!(
            fingerprints(&first),
            fingerprints(&report(
                "./rules.yaml",
                text,
                &[(2, 10), (13, 21)],
                "alert \"A\" has no `for`"
            ))
        );
        // Two lines above: the same fingerprints on other lines.
        let moved = report(
            "./rules.yaml",
            &format!("#\n#\n{text}"),
            &[(6, 14), (17, 25)],
            "alert \"A\" has no `for`",
        );
        assert_eq!(moved[1]["location"]["lines"]["begin"], 4);
        assert_eq!(fingerprints(&moved), fingerprints(&first));
        // Another path or message: other fingerprints.
        let other = report("other.yaml", text, &[(2, 10)], "alert \"A\" has no `for`");
        assert_ne!(other[0]["fingerprint"], first[0]["fingerprint"]);
        let other = report("rules.yaml", text, &[(2, 10)], "alert \"B\" has no `for`");
        assert_ne!(other[0]["fingerprint"], first[0]["fingerprint"]);
    }

    #[test]
    fn severities_are_gitlabs() {
        assert_eq!(severity(Severity::Error), "major");
        assert_eq!(severity(Severity::Warning), "minor");
        assert_eq!(severity(Severity::Info), "info");
    }

    #[test]
    fn quoted_lines_are_left_out_of_fingerprints() {
        let hashed = without_quoted_lines;
        assert_eq!(
            hashed("alert \"A\" is already defined at line 12"),
            "alert \"A\" is already defined at line N"
        );
        assert_eq!(
            hashed(
                "also defined at line 7 of this file, and at rules/b.yaml:30:5 (scrape_interval: 15s)"
            ),
            "also defined at line N of this file, and at rules/b.yaml:N (scrape_interval: 15s)"
        );
        assert_eq!(
            hashed("`for: 5m` > 0.9 over 10 lines"),
            "`for: 5m` > 0.9 over 10 lines"
        );
    }

    #[test]
    fn descriptions_show_controls_and_lines_are_inclusive() {
        let files = vec![SourceFile::from_text("a.yaml", "one\ntwo\n".to_string(), 0)];
        let meta = &crate::lint::rules::missing_for::META;
        // The span covers line 1 and its line feed: it ends where line 2 starts.
        let diags = vec![
            Diagnostic::new(meta, 0, Span::new(0, 4), "a\x1b[2J\u{202e}b").with_help("fix it"),
        ];
        let report: serde_json::Value =
            serde_json::from_str(&render(&super::super::resolve(&diags, &files))).unwrap();
        assert_eq!(
            report[0]["description"],
            "a\u{241b}[2J\\u{202e}b\nhelp: fix it"
        );
        assert_eq!(
            report[0]["location"]["lines"],
            serde_json::json!({"begin": 1, "end": 1})
        );
    }

    #[test]
    fn no_findings_is_an_empty_array() {
        assert_eq!(render(&[]), "[]");
    }
}
