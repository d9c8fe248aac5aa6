//! The bottom layer of findings: the one [`Diagnostic`] struct every output
//! format renders from, its [`Label`]s, [`Severity`], [`Category`],
//! [`LintMeta`], the metadata of the input lints (ML9xx, [`input`]) that
//! the loader and the CLI report, and "did you mean" suggestions
//! ([`suggest`]). Every layer may use it; it imports only `source`.

pub mod input;
pub mod suggest;

pub use suggest::{closest, edit_distance};

use serde::Serialize;

use crate::source::Span;

/// Where lint pages are published; a diagnostic's URL is `{DOCS_BASE}/{code}-{name}.md`.
pub const DOCS_BASE: &str = "https://github.com/mlalert/mlalert/blob/main/lints";

/// How serious a finding is. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Very likely a problem.
    Warning,
    /// Prometheus/Alertmanager refuse it, or the alert cannot work.
    Error,
}

impl Severity {
    /// `error`, `warning` or `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// What kind of mistake a lint finds (see ARCHITECTURE.md "A lint").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Prometheus or Alertmanager would refuse to load the input.
    Invalid,
    /// The alert cannot work as written.
    Correctness,
    /// Very likely a mistake.
    Suspicious,
    /// Conventions teams rely on.
    Style,
    /// Off by default.
    Pedantic,
}

impl Category {
    /// The lowercase name used in pages and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Invalid => "invalid",
            Category::Correctness => "correctness",
            Category::Suspicious => "suspicious",
            Category::Style => "style",
            Category::Pedantic => "pedantic",
        }
    }
}

/// A lint's identity and defaults. Codes never change meaning.
#[derive(Debug)]
pub struct LintMeta {
    /// `ML101`.
    pub code: &'static str,
    /// `missing-for`: kebab-case, says what is wrong.
    pub name: &'static str,
    /// Its category.
    pub category: Category,
    /// Default severity.
    pub severity: Severity,
    /// One-line summary for `mlalert lints`.
    pub summary: &'static str,
    /// The lint's page, `lints/<code>-<name>.md`, embedded at build time
    /// (front matter, then "What it does", "Why is this bad?", "Bad",
    /// "Good", "Configuration").
    pub page: &'static str,
}

impl LintMeta {
    /// The URL of the lint's page.
    pub fn url(&self) -> String {
        format!("{DOCS_BASE}/{}-{}.md", self.code, self.name)
    }

    /// The text of the page's "What it does" section (Markdown), or the
    /// summary when the page has none: SARIF's `fullDescription`, the
    /// language server's hover on a finding.
    pub fn what_it_does(&self) -> String {
        Some(self.page)
            .and_then(|p| p.split("## What it does\n").nth(1))
            .and_then(|s| s.split("\n## ").next())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| self.summary.to_string())
    }
}

/// Every lint's metadata, input lints (ML9xx) and checks alike, registered
/// by [`declare_input_lint!`] and `lint::declare_lint!` where each lint is
/// declared. Unordered: use [`catalogue`].
#[linkme::distributed_slice]
pub static CATALOGUE: [&'static LintMeta];

/// Every lint's metadata, sorted by code.
pub fn catalogue() -> Vec<&'static LintMeta> {
    let mut v: Vec<&'static LintMeta> = CATALOGUE.iter().copied().collect();
    v.sort_by_key(|m| m.code);
    v
}

/// The lint with this code or name (ASCII case-insensitive).
pub fn find_lint(code_or_name: &str) -> Option<&'static LintMeta> {
    CATALOGUE.iter().copied().find(|m| {
        m.code.eq_ignore_ascii_case(code_or_name) || m.name.eq_ignore_ascii_case(code_or_name)
    })
}

/// A [`LintMeta`] whose page is `lints/<code>-<name>.md`, embedded with
/// `include_str!` (a missing page is a compile error).
#[macro_export]
macro_rules! lint_meta {
    ($code:literal, $name:literal, $category:ident, $severity:ident, $summary:expr) => {
        $crate::diagnostic::LintMeta {
            code: $code,
            name: $name,
            category: $crate::diagnostic::Category::$category,
            severity: $crate::diagnostic::Severity::$severity,
            summary: $summary,
            page: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/lints/",
                $code,
                "-",
                $name,
                ".md"
            )),
        }
    };
}

/// Declares an input lint (ML9xx: reported by the loader or the CLI, not run
/// as a pass): a `pub static META` with its page, registered in
/// [`CATALOGUE`].
///
/// ```ignore
/// declare_input_lint! { code: "ML901", name: "yaml-syntax", category: Invalid,
///     severity: Error, summary: "the file is not valid YAML" }
/// ```
#[macro_export]
macro_rules! declare_input_lint {
    (code: $code:literal, name: $name:literal, category: $category:ident, severity: $severity:ident, summary: $summary:expr $(,)?) => {
        #[doc = concat!("Metadata of `", $name, "` (", $code, ").")]
        pub static META: $crate::diagnostic::LintMeta =
            $crate::lint_meta!($code, $name, $category, $severity, $summary);

        #[linkme::distributed_slice($crate::diagnostic::CATALOGUE)]
        static CATALOGUE_ENTRY: &'static $crate::diagnostic::LintMeta = &META;
    };
}

/// Index of a file in the run's file list.
pub type FileId = usize;

/// A secondary span with its own message (e.g. the earlier route that
/// shadows this one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// File of the span (may differ from the diagnostic's file).
    pub file: FileId,
    /// The span.
    pub span: Span,
    /// What this place has to do with the finding.
    pub message: String,
}

/// One finding.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// The lint that found it.
    pub lint: &'static LintMeta,
    /// Effective severity (the default unless configured).
    pub severity: Severity,
    /// Lowercase, no trailing period, says what is wrong.
    pub message: String,
    /// The file.
    pub file: FileId,
    /// The primary span in the file on disk.
    pub span: Span,
    /// Secondary labelled spans.
    pub labels: Vec<Label>,
    /// What to do about it.
    pub help: Option<String>,
    /// A machine-applicable fix (`mlalert lint --fix`, the server's code
    /// actions), if the lint offers one.
    pub fix: Option<Fix>,
}

/// Whether applying a [`Fix`] keeps the meaning of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// Meaning unchanged (same rules, same routing): `--fix` applies it.
    Safe,
    /// Changes behaviour (an alert's name, when it fires, where it routes):
    /// applied only with `--unsafe-fixes`.
    Unsafe,
}

/// One replacement of a byte range of the file's text (as read from disk or
/// from the editor's buffer) by new text. An empty span inserts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// The bytes replaced, in the diagnostic's file.
    pub span: Span,
    /// What replaces them, already quoted and indented for the file.
    pub replacement: String,
}

/// A fix: non-overlapping [`Edit`]s of the diagnostic's file, applied
/// together or not at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// What it does, imperative: `replace =~ with =`.
    pub title: String,
    /// Safe or unsafe.
    pub applicability: Applicability,
    /// The edits, in any order; they never overlap.
    pub edits: Vec<Edit>,
}

impl Fix {
    /// A fix titled `title` of `edits`; `None` when there is no edit or one
    /// of them is `None` (a lint offers no fix where it cannot write every
    /// edit exactly).
    pub fn of(
        title: impl Into<String>,
        applicability: Applicability,
        edits: impl IntoIterator<Item = Option<Edit>>,
    ) -> Option<Fix> {
        let edits: Vec<Edit> = edits.into_iter().collect::<Option<_>>()?;
        (!edits.is_empty()).then(|| Fix {
            title: title.into(),
            applicability,
            edits,
        })
    }
}

impl Diagnostic {
    /// A diagnostic of `lint` at `span` of `file`, at the lint's default severity.
    pub fn new(
        lint: &'static LintMeta,
        file: FileId,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            lint,
            severity: lint.severity,
            message: message.into(),
            file,
            span,
            labels: Vec::new(),
            help: None,
            fix: None,
        }
    }

    /// Attaches a fix.
    pub fn with_fix(mut self, fix: Fix) -> Diagnostic {
        self.fix = Some(fix);
        self
    }

    /// Adds help text.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Adds a labelled secondary span in the same file.
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            file: self.file,
            span,
            message: message.into(),
        });
        self
    }
}
