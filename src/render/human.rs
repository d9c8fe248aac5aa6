//! `--format human`: miette reports with the source snippet, labelled spans
//! and help; plain (no color) when not writing to a terminal or with NO_COLOR.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};

use super::{Resolved, counts};
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceFile;

/// Renders every diagnostic and a summary line. `color` picks the theme.
pub fn render(
    resolved: &[Resolved],
    diags: &[Diagnostic],
    files: &[SourceFile],
    color: bool,
) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_width(100)
        .with_context_lines(1);
    let mut out = String::new();
    for r in resolved {
        let Some(file) = files.get(r.diag.file) else {
            continue;
        };
        out.push_str(&format!(
            "{}:{}:{}: {} {}[{}]\n",
            r.path,
            r.start.line,
            r.start.column,
            r.diag.severity.as_str(),
            r.diag.lint.code,
            r.diag.lint.name
        ));
        let report = Report {
            diag: r.diag,
            source: NamedSource::new(r.path, file.text.clone()),
        };
        if handler.render_report(&mut out, &report).is_err() {
            out.push_str(&format!("  {}\n", r.diag.message));
        }
        // Labels in another file (the Alertmanager route a rule's finding
        // is about) cannot share the snippet: one line each.
        for l in r.labels.iter().filter(|l| l.elsewhere) {
            out.push_str(&format!(
                "  note: {}:{}:{}: {}\n",
                l.path, l.start.line, l.start.column, l.message
            ));
        }
        out.push('\n');
    }
    let (e, w, i) = counts(diags);
    let plural = |n: usize, s: &str| {
        if n == 1 {
            format!("{n} {s}")
        } else {
            format!("{n} {s}s")
        }
    };
    out.push_str(&format!(
        "{}: {}, {}, {}\n",
        plural(files.len(), "file"),
        plural(e, "error"),
        plural(w, "warning"),
        plural(i, "info")
    ));
    out
}

struct Report<'a> {
    diag: &'a Diagnostic,
    source: NamedSource<String>,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let url = self.diag.lint.url();
        Some(Box::new(match &self.diag.help {
            Some(h) => format!("{h}\nsee {url}"),
            None => format!("see {url}"),
        }))
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let d = self.diag;
        let primary = LabeledSpan::new_primary_with_span(
            Some("here".to_string()),
            span(d.span.start, d.span.len()),
        );
        let others = d.labels.iter().filter(|l| l.file == d.file).map(|l| {
            LabeledSpan::new_with_span(Some(l.message.clone()), span(l.span.start, l.span.len()))
        });
        Some(Box::new(std::iter::once(primary).chain(others)))
    }
}

fn span(start: usize, len: usize) -> SourceSpan {
    SourceSpan::new(start.into(), len)
}
