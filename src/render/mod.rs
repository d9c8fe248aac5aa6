//! Output formats, one file each. Renderers only format: which diagnostics
//! exist and what they mean is decided in `lint`.

pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod markdown;
pub mod sarif;
pub mod snippet;

use std::borrow::Cow;

use crate::diagnostic::{Diagnostic, LintMeta, Severity};
use crate::source::{LineCol, SourceFile};

/// A diagnostic with its positions resolved (1-based lines, character columns;
/// the end is exclusive).
#[derive(Debug, Clone)]
pub struct Resolved<'a> {
    /// The diagnostic.
    pub diag: &'a Diagnostic,
    /// The file's path as given.
    pub path: &'a str,
    /// Start position.
    pub start: LineCol,
    /// End position (exclusive).
    pub end: LineCol,
    /// The secondary labels, resolved the same way (possibly in other files).
    pub labels: Vec<ResolvedLabel<'a>>,
    /// The fix's edits (in the finding's file), resolved the same way; empty
    /// without a fix.
    pub edits: Vec<ResolvedEdit<'a>>,
}

/// One edit of a finding's fix with its positions resolved: the text from
/// `start` to `end` (exclusive; equal for an insertion) is replaced by
/// `replacement`.
#[derive(Debug, Clone)]
pub struct ResolvedEdit<'a> {
    /// Start position.
    pub start: LineCol,
    /// End position (exclusive).
    pub end: LineCol,
    /// The new text.
    pub replacement: &'a str,
}

/// A secondary label with its positions resolved.
#[derive(Debug, Clone)]
pub struct ResolvedLabel<'a> {
    /// The path of the label's file as given (may differ from the finding's).
    pub path: &'a str,
    /// True when the label is in another file than the finding.
    pub elsewhere: bool,
    /// Start position.
    pub start: LineCol,
    /// End position (exclusive).
    pub end: LineCol,
    /// What this place has to do with the finding.
    pub message: &'a str,
}

/// Resolves positions of `diags` against `files` (indexed by `Diagnostic::file`).
pub fn resolve<'a>(diags: &'a [Diagnostic], files: &'a [SourceFile]) -> Vec<Resolved<'a>> {
    diags
        .iter()
        .filter_map(|d| {
            let f = files.get(d.file)?;
            let labels = d
                .labels
                .iter()
                .filter_map(|l| {
                    let lf = files.get(l.file)?;
                    Some(ResolvedLabel {
                        path: &lf.path,
                        elsewhere: l.file != d.file,
                        start: lf.line_col(l.span.start),
                        end: lf.line_col(l.span.end),
                        message: &l.message,
                    })
                })
                .collect();
            let edits = d
                .fix
                .iter()
                .flat_map(|fix| &fix.edits)
                .map(|e| ResolvedEdit {
                    start: f.line_col(e.span.start),
                    end: f.line_col(e.span.end),
                    replacement: &e.replacement,
                })
                .collect();
            Some(Resolved {
                diag: d,
                path: &f.path,
                start: f.line_col(d.span.start),
                end: f.line_col(d.span.end),
                labels,
                edits,
            })
        })
        .collect()
}

/// A finding's message with its help on a last line (`help: …`), as the
/// formats without a field of their own for help show it (SARIF, workflow
/// commands, GitLab Code Quality).
pub fn message_with_help(d: &Diagnostic) -> String {
    let mut message = d.message.clone();
    if let Some(h) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(h);
    }
    message
}

/// `path` as formats meant for a repository's web view show it: relative
/// paths without a leading `./` (`./rules/a.yaml` is `rules/a.yaml`), the
/// way GitHub and GitLab name a repository's files; absolute paths as given.
pub fn repo_path(path: &str) -> &str {
    path.trim_start_matches("./")
}

/// Counts by severity: `(errors, warnings, infos)`.
pub fn counts(diags: &[Diagnostic]) -> (usize, usize, usize) {
    let n = |s: Severity| diags.iter().filter(|d| d.severity == s).count();
    (n(Severity::Error), n(Severity::Warning), n(Severity::Info))
}

/// How many findings each lint reported and the most severe severity among
/// them, most findings first (then by code): `--statistics` and the
/// Markdown summary.
pub fn per_lint<'a>(
    diags: impl IntoIterator<Item = &'a Diagnostic>,
) -> Vec<(&'static LintMeta, Severity, usize)> {
    let mut counts: Vec<(&'static LintMeta, Severity, usize)> = Vec::new();
    for d in diags {
        match counts.iter_mut().find(|c| c.0.code == d.lint.code) {
            Some(c) => {
                c.1 = c.1.max(d.severity);
                c.2 += 1;
            }
            None => counts.push((d.lint, d.severity, 1)),
        }
    }
    counts.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.code.cmp(b.0.code)));
    counts
}

/// `--statistics`: how many findings each lint reported, most first.
pub fn statistics(diags: &[Diagnostic]) -> String {
    let mut out = String::from("\nfindings per lint:\n");
    for (lint, _, n) in per_lint(diags) {
        out.push_str(&format!("{n:>7}  {} {}\n", lint.code, lint.name));
    }
    out
}

/// `1 file`, `0 errors`, `3 warnings`: `n` and `one`, plural with an `s`.
pub fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// Percent-encodes a path for a URL: unreserved characters, `/`,
/// `+`, `@` and `:` stay, every other byte is `%XX` (SARIF `uri`s, Markdown
/// links).
pub fn percent_path(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    for b in p.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'/'
            | b'-'
            | b'_'
            | b'.'
            | b'~'
            | b'+'
            | b'@'
            | b':' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// How a character of the input is shown on a terminal when it is not
/// itself: C0 controls (but tab) and DEL as their Unicode control pictures
/// (`ESC` is `␛`), C1 controls, bidirectional overrides and isolates and
/// the line and paragraph separators as `\u{…}`. `None` for a character
/// shown as it is. Nothing read from the input reaches a terminal as a
/// control sequence (issue 13 item 25), whatever `--color` says.
pub fn escaped_char(c: char) -> Option<String> {
    match c {
        '\t' => None,
        '\0'..='\x1f' => char::from_u32(0x2400 + c as u32).map(String::from),
        '\x7f' => Some("\u{2421}".to_string()),
        '\u{80}'..='\u{9f}'
        | '\u{61c}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}' => Some(format!("\\u{{{:x}}}", c as u32)),
        _ => None,
    }
}

/// `s` with every character [`escaped_char`] escapes replaced, except line
/// feeds, which stay line breaks (messages and help have several lines).
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && escaped_char(c).is_some()) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match escaped_char(c) {
            Some(e) if c != '\n' => out.push_str(&e),
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`escape_controls`] for text shown on one line (a label drawn under a
/// snippet, a `note:` line): line feeds are escaped too, so a message
/// cannot repeat the label's indentation once per line.
pub fn escape_line(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| escaped_char(c).is_some()) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match escaped_char(c) {
            Some(e) => out.push_str(&e),
            None => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_texts_escape_line_feeds() {
        assert_eq!(escape_line("a\nb\x1b"), "a\u{240a}b\u{241b}");
        assert!(matches!(escape_line("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn controls_are_escaped_and_text_is_kept() {
        assert_eq!(escape_controls("a\x1b[31mb\x07"), "a\u{241b}[31mb\u{2407}");
        assert_eq!(escape_controls("line\nnext\ttab é"), "line\nnext\ttab é");
        assert_eq!(
            escape_controls("\r\u{9b}\u{202e}"),
            "\u{240d}\\u{9b}\\u{202e}"
        );
        assert!(matches!(escape_controls("plain"), Cow::Borrowed(_)));
    }
}
