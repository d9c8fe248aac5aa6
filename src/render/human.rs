//! `--format human`: miette reports with the source snippet, labelled spans
//! and help; plain (no color) when not writing to a terminal or with NO_COLOR.
//!
//! Written finding by finding to a [`Write`], so memory does not grow with
//! the number of findings; each snippet is a bounded excerpt of the file
//! ([`super::snippet`]: lines cut around the span, secret values masked,
//! control characters escaped), so neither does time or output with the
//! length of the file's lines. Every piece of text that comes from the
//! input (paths, messages, help, labels) is printed through
//! [`super::escape_controls`].

use std::fmt;
use std::io::{self, Write};

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceSpan};

use super::snippet::Snippet;
use super::{Resolved, counts, escape_controls, escape_line};
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{SourceFile, Span};

/// How the human report is written.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Colored theme (a terminal that wants it), else plain.
    pub color: bool,
    /// End with the `N files: E errors, W warnings, I infos` line.
    pub summary: bool,
    /// Columns to wrap messages and help at ([`terminal_width`]).
    pub width: usize,
}

/// Most findings that share one snippet; more on one line (a one-line
/// flow-style file) start another group, so that no snippet grows with the
/// input.
const MAX_SHARED: usize = 8;

/// Most bytes from the first to the last span of findings sharing a
/// snippet; findings further apart on one long line get their own.
const MAX_SHARED_EXTENT: usize = 160;

/// Width used when output is not a terminal and `COLUMNS` is not set.
pub const DEFAULT_WIDTH: usize = 100;

/// The width to wrap human output at, in columns: `COLUMNS` when it is a
/// number (at least 40), else the width of the terminal on stdout, else
/// [`DEFAULT_WIDTH`] (pipes and CI logs).
pub fn terminal_width() -> usize {
    width_from(
        std::env::var("COLUMNS").ok().as_deref(),
        terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| usize::from(w.0)),
    )
}

/// [`terminal_width`] from the value of `COLUMNS` and the terminal's width.
fn width_from(columns: Option<&str>, terminal: Option<usize>) -> usize {
    columns
        .and_then(|c| c.trim().parse::<usize>().ok())
        .or(terminal)
        .filter(|&w| w > 0)
        .map_or(DEFAULT_WIDTH, |w| w.clamp(40, 1000))
}

/// Writes every diagnostic and (with [`Options::summary`]) a summary line
/// to `out`. `secrets[file]` holds the byte spans of `files[file]` that are
/// secret values (shown as `<secret>`); a file past its end has none.
///
/// # Errors
/// Writing to `out` failed.
pub fn render(
    out: &mut dyn Write,
    resolved: &[Resolved],
    diags: &[Diagnostic],
    files: &[SourceFile],
    secrets: &[Vec<Span>],
    options: Options,
) -> io::Result<()> {
    let theme = if options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    // Lines break at spaces only (not after the `/` of a URL, as Unicode
    // line breaking would), words are never broken nor split at a hyphen:
    // a URL or a lint name wraps whole onto the next line.
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_width(options.width)
        .with_break_words(false)
        .with_word_separator(textwrap::WordSeparator::AsciiSpace)
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
        .with_context_lines(1);
    let mut buf = String::new();
    // Findings that start on one line of one file (sorted, so adjacent)
    // share one snippet: the first prints it with every finding's span
    // labelled by its code, the others print their message and help only.
    let mut i = 0;
    while i < resolved.len() {
        let first = &resolved[i];
        let mut end = i + 1;
        let (mut lo, mut hi) = (first.diag.span.start, first.diag.span.end);
        while end < resolved.len() && end - i < MAX_SHARED {
            let next = &resolved[end];
            let (nlo, nhi) = (lo.min(next.diag.span.start), hi.max(next.diag.span.end));
            if next.diag.file != first.diag.file
                || next.start.line != first.start.line
                || nhi - nlo > MAX_SHARED_EXTENT
            {
                break;
            }
            (lo, hi) = (nlo, nhi);
            end += 1;
        }
        let group = &resolved[i..end];
        i = end;
        let Some(file) = files.get(first.diag.file) else {
            continue;
        };
        for (k, r) in group.iter().enumerate() {
            buf.clear();
            let shared = match (group.len(), k) {
                (1, _) => Shared::Alone,
                (_, 0) => Shared::First(group),
                _ => Shared::Later,
            };
            finding(
                &mut buf,
                &handler,
                r,
                file,
                secrets.get(r.diag.file),
                shared,
            );
            out.write_all(buf.as_bytes())?;
        }
    }
    if options.summary {
        let (e, w, i) = counts(diags);
        use super::plural;
        writeln!(
            out,
            "{}: {}, {}, {}",
            plural(files.len(), "file"),
            plural(e, "error"),
            plural(w, "warning"),
            plural(i, "info")
        )?;
    }
    Ok(())
}

/// How a finding's snippet is shared with others on its line.
#[derive(Clone, Copy)]
enum Shared<'a> {
    /// The only finding on its line: its own snippet.
    Alone,
    /// The first of several: the snippet of them all.
    First(&'a [Resolved<'a>]),
    /// A later one: no snippet (the first printed it).
    Later,
}

/// One finding: header line, miette's report on the excerpt, notes for
/// labels in other files, blank line.
fn finding(
    out: &mut String,
    handler: &GraphicalReportHandler,
    r: &Resolved,
    file: &SourceFile,
    secrets: Option<&Vec<Span>>,
    shared: Shared,
) {
    use std::fmt::Write as _;
    let d = r.diag;
    let path = escape_controls(r.path);
    let _ = writeln!(
        out,
        "{}:{}:{}: {} {}[{}]",
        path,
        r.start.line,
        r.start.column,
        d.severity.as_str(),
        d.lint.code,
        d.lint.name
    );
    // The spans to label: this finding's (primary "here", then its labels
    // in this file), or, for the first of a line's findings, every
    // finding's primary span (labelled by its code) and labels.
    let mut labelled: Vec<(String, Span)> = Vec::new();
    match shared {
        Shared::Alone => {
            labelled.push(("here".to_string(), d.span));
            labelled.extend(same_file_labels(d));
        }
        Shared::First(group) => {
            // One label per span: findings on the same span share it
            // (`ML101, ML102`).
            for g in group {
                let code = g.diag.lint.code;
                match labelled.iter_mut().find(|(_, s)| *s == g.diag.span) {
                    Some((m, _)) if !m.split(", ").any(|c| c == code) => {
                        m.push_str(", ");
                        m.push_str(code);
                    }
                    Some(_) => {}
                    None => labelled.push((code.to_string(), g.diag.span)),
                }
            }
            for g in group {
                labelled.extend(same_file_labels(g.diag));
            }
        }
        Shared::Later => {}
    }
    let snippet = (!labelled.is_empty()).then(|| {
        let spans: Vec<Span> = labelled.iter().map(|(_, s)| *s).collect();
        Snippet::build(
            path.clone().into_owned(),
            file,
            &spans,
            secrets.map_or(&[][..], |s| s.as_slice()),
        )
    });
    let url = d.lint.url();
    // `lint --fix` applies safe fixes; unsafe ones need `--unsafe-fixes`.
    let fix = match d.fix.as_ref().map(|f| f.applicability) {
        Some(crate::diagnostic::Applicability::Safe) => "\nfix available (`--fix`)",
        Some(crate::diagnostic::Applicability::Unsafe) => {
            "\nunsafe fix available (`--fix --unsafe-fixes`)"
        }
        None => "",
    };
    let report = Report {
        severity: d.severity,
        message: escape_controls(&d.message).into_owned(),
        help: match &d.help {
            Some(h) => format!("{}{fix}\nsee {url}", escape_controls(h)),
            None => format!("see {url}{fix}"),
        },
        labels: match &snippet {
            Some((_, mapped)) => labelled
                .into_iter()
                .map(|(m, _)| m)
                .zip(mapped.iter().copied())
                .collect(),
            None => Vec::new(),
        },
        snippet: snippet.map(|(s, _)| s),
    };
    if handler.render_report(out, &report).is_err() {
        let _ = writeln!(out, "  {}", report.message);
    }
    // Labels in another file (the Alertmanager route a rule's finding
    // is about) cannot share the snippet: one line each.
    for l in r.labels.iter().filter(|l| l.elsewhere) {
        let _ = writeln!(
            out,
            "  note: {}:{}:{}: {}",
            escape_controls(l.path),
            l.start.line,
            l.start.column,
            escape_line(l.message)
        );
    }
    out.push('\n');
}

/// A finding's labels in its own file, messages on one line.
fn same_file_labels(d: &Diagnostic) -> impl Iterator<Item = (String, Span)> + '_ {
    d.labels
        .iter()
        .filter(move |l| l.file == d.file)
        .map(|l| (escape_line(&l.message).into_owned(), l.span))
}

/// What miette renders: the escaped texts and the excerpt.
struct Report {
    severity: Severity,
    message: String,
    help: String,
    /// Label texts and spans in the excerpt, the primary first.
    labels: Vec<(String, SourceSpan)>,
    /// The excerpt; `None` when an earlier finding on the line printed it.
    snippet: Option<Snippet>,
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.help))
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.snippet.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.snippet.as_ref()?;
        Some(Box::new(self.labels.iter().enumerate().map(
            |(i, (m, s))| {
                if i == 0 {
                    LabeledSpan::new_primary_with_span(Some(m.clone()), *s)
                } else {
                    LabeledSpan::new_with_span(Some(m.clone()), *s)
                }
            },
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::input::yaml_syntax;

    fn human(text: &str, span: Span, secrets: Vec<Span>) -> String {
        let files = [SourceFile::from_text("f.yaml", text.to_string(), 0)];
        let diags = [Diagnostic::new(
            &yaml_syntax::META,
            0,
            span,
            "bad \u{1b}[2J here",
        )];
        let resolved = super::super::resolve(&diags, &files);
        let mut out = Vec::new();
        let options = Options {
            color: false,
            summary: true,
            width: DEFAULT_WIDTH,
        };
        render(&mut out, &resolved, &diags, &files, &[secrets], options).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_finding_past_column_65535_renders() {
        // Issue 13 item 1: miette panicked formatting a width over u16::MAX.
        let text = format!("{{k: [{}x]}}\n", "a, ".repeat(40_000));
        let at = text.find('x').unwrap();
        let out = human(&text, Span::new(at, at + 1), vec![]);
        assert!(out.starts_with("f.yaml:1:120006: error"), "{}", &out[..80]);
        assert!(out.contains("[f.yaml:1:120006]"), "{out}");
        assert!(out.len() < 2000, "{}", out.len());
        assert!(out.ends_with("1 file: 1 error, 0 warnings, 0 infos\n"));
    }

    #[test]
    fn messages_and_snippets_carry_no_control_character() {
        let out = human("a: 1 # \u{1b}]0;x\u{7}\n", Span::new(0, 1), vec![]);
        assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
        assert!(
            out.contains("bad ␛[2J here") && out.contains("# ␛]0;x␇"),
            "{out}"
        );
    }

    #[test]
    fn a_label_message_stays_on_one_line_under_an_indented_label() {
        // Found by fuzz/render: a label far right on a line of tabs with a
        // message of 77 line feeds repeated its indentation once per line
        // (92 KB of output for one finding).
        let text = format!("a:{}b: 1\n", "\t".repeat(6000));
        let at = text.find('b').unwrap();
        let files = [SourceFile::from_text("f.yaml", text.clone(), 0)];
        let message = format!("{}x{}", "\n".repeat(40), "\n".repeat(37));
        let mut d = Diagnostic::new(&yaml_syntax::META, 0, Span::new(0, 1), "bad");
        d.labels.push(crate::diagnostic::Label {
            file: 0,
            span: Span::new(at, at + 1),
            message: message.clone(),
        });
        let diags = [d];
        let resolved = super::super::resolve(&diags, &files);
        let mut out = Vec::new();
        let options = Options {
            color: false,
            summary: true,
            width: DEFAULT_WIDTH,
        };
        render(&mut out, &resolved, &diags, &files, &[vec![]], options).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains("␊␊x␊"), "{out}");
        assert!(out.len() < 8000, "{} bytes: {out}", out.len());
        assert!(out.lines().count() < 20, "{out}");
    }

    #[test]
    fn width_comes_from_columns_then_the_terminal() {
        assert_eq!(width_from(Some("72"), Some(200)), 72);
        assert_eq!(width_from(Some("junk"), Some(130)), 130);
        assert_eq!(width_from(None, None), DEFAULT_WIDTH);
        assert_eq!(width_from(Some("0"), None), DEFAULT_WIDTH);
        assert_eq!(
            width_from(Some("10"), None),
            40,
            "clamped to a usable width"
        );
        assert_eq!(width_from(None, Some(100_000)), 1000);
    }

    #[test]
    fn secrets_are_masked() {
        let text = "a: 1\npassword: hunter2\n";
        let at = text.find("hunter2").unwrap();
        let out = human(text, Span::new(0, 1), vec![Span::new(at, at + 7)]);
        assert!(
            !out.contains("hunter2") && out.contains("password: <secret>"),
            "{out}"
        );
    }
}
