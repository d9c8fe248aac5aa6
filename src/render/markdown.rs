//! `--format markdown`: a short Markdown report for a CI job summary
//! (`$GITHUB_STEP_SUMMARY`) or a merge request comment: the counts, a table
//! of findings per lint, and the first [`FIRST`] findings, each linked to
//! its `file:line` when `--link-base` gives where the files are browsed.
//! GitHub shows at most 10 annotations per severity and step; the summary
//! is where the rest is seen.
//!
//! Text from the input (messages quote alert names and expressions) is
//! escaped, so it renders as text: no link, no HTML, no table cell break.

use super::{Resolved, counts, per_lint, percent_path, plural, repo_path};
use crate::diagnostic::Diagnostic;

/// How many findings are listed one by one.
pub const FIRST: usize = 20;

/// Escapes `s` for Markdown inline text: the characters that start markup
/// are backslash-escaped, line breaks become spaces, control characters are
/// made visible ([`super::escape_controls`]).
fn escape(s: &str) -> String {
    let s = super::escape_controls(s);
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            // Not `-`, `#`, `(` ...: they are markup only at a line's start
            // or after `]`, and no escaped text starts a line or follows one.
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// Renders the report. `link_base`: findings link to
/// `{link_base}{path}#L{line}` (relative paths only; the base ends in `/`,
/// e.g. `https://github.com/OWNER/REPO/blob/SHA/`).
pub fn render(
    resolved: &[Resolved],
    diags: &[Diagnostic],
    files: usize,
    link_base: Option<&str>,
) -> String {
    let (errors, warnings, infos) = counts(diags);
    let mut out = format!(
        "### mlalert: {}, {}, {} in {}\n\n",
        plural(errors, "error"),
        plural(warnings, "warning"),
        plural(infos, "info"),
        plural(files, "file")
    );
    if resolved.is_empty() {
        out.push_str("No findings.\n");
        return out;
    }

    // Per lint: the most severe severity it reported and how often, most first.
    let per_lint = per_lint(resolved.iter().map(|r| r.diag));
    out.push_str("| Lint | Severity | Findings |\n|---|---|---:|\n");
    for (lint, severity, n) in &per_lint {
        out.push_str(&format!(
            "| [{} {}]({}) | {} | {n} |\n",
            lint.code,
            lint.name,
            lint.url(),
            severity.as_str()
        ));
    }

    if resolved.len() > FIRST {
        out.push_str(&format!(
            "\nThe first {FIRST} of {} findings:\n\n",
            resolved.len()
        ));
    } else {
        out.push_str("\nFindings:\n\n");
    }
    for r in resolved.iter().take(FIRST) {
        let path = repo_path(r.path);
        let place = format!("{}:{}", escape(path), r.start.line);
        let place = match link_base {
            Some(base) if !path.starts_with('/') && !path.starts_with("..") => {
                format!("[{place}]({base}{}#L{})", percent_path(path), r.start.line)
            }
            _ => place,
        };
        out.push_str(&format!(
            "- **{}** {place} {} {}: {}\n",
            r.diag.severity.as_str(),
            r.diag.lint.code,
            r.diag.lint.name,
            escape(&r.diag.message)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_paths() {
        assert_eq!(
            escape("a|b [x](y) <b>*c*</b>\nnext"),
            "a\\|b \\[x\\](y) \\<b\\>\\*c\\*\\</b\\> next"
        );
        assert_eq!(percent_path("rules/a b#c.yaml"), "rules/a%20b%23c.yaml");
        assert_eq!(plural(1, "file"), "1 file");
        assert_eq!(plural(0, "error"), "0 errors");
    }
}
