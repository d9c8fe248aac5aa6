//! `--format github`: GitHub Actions workflow commands, one per finding
//! (`::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message`),
//! which GitHub shows as annotations on the pull request.

use super::Resolved;
use crate::diagnostic::Severity;

/// Escapes a workflow command's message (`%`, CR, LF), control characters
/// from the input made visible first ([`super::escape_controls`]).
fn escape_data(s: &str) -> String {
    super::escape_controls(s)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command property (also `:` and `,`).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Renders one workflow command per diagnostic: `error`, `warning` or `notice`.
pub fn render(resolved: &[Resolved]) -> String {
    let mut out = String::new();
    for r in resolved {
        let cmd = match r.diag.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let message = super::message_with_help(r.diag);
        out.push_str(&format!(
            "::{cmd} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            // Annotations attach to repository-relative paths: `./x` is `x`.
            escape_property(super::repo_path(r.path)),
            r.start.line,
            r.start.column,
            r.end.line,
            r.end.column,
            escape_property(&format!("{} {}", r.diag.lint.code, r.diag.lint.name)),
            escape_data(&message)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_github_requires() {
        assert_eq!(escape_data("50%\nnext"), "50%25%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
        assert_eq!(escape_data("a\x1b[2Jb"), "a\u{241b}[2Jb");
    }
}
