//! Lints: the [`Diagnostic`] struct, the [`Lint`] trait, the registry, and
//! running the passes over one file's models. `lint` decides policy
//! (which lints run, at what severity); `render` only formats.

pub mod alertmanager;
pub mod baseline;
mod diagnostic;
pub mod input;
pub mod registry;
pub mod rules;
pub mod suppress;

pub use diagnostic::{Category, DOCS_BASE, Diagnostic, FileId, Label, LintMeta, Severity};

use crate::config::Config;
use crate::model::LoadedFile;
use crate::model::alertmanager::AmConfig;
use crate::model::rules::{Rule, RuleGroup};
use crate::source::SourceFile;

/// What a rule lint sees: one rule in its group and file.
pub struct RuleCtx<'a> {
    /// The file's id in the run.
    pub file: FileId,
    /// The file.
    pub source: &'a SourceFile,
    /// The rule's group.
    pub group: &'a RuleGroup,
    /// The rule.
    pub rule: &'a Rule,
    /// Policy settings.
    pub config: &'a Config,
}

/// What an Alertmanager lint sees: one config.
pub struct AmCtx<'a> {
    /// The file's id in the run.
    pub file: FileId,
    /// The file.
    pub source: &'a SourceFile,
    /// The config.
    pub am: &'a AmConfig,
    /// Policy settings.
    pub config: &'a Config,
}

/// A lint: metadata plus checks at the levels it cares about. Each lint
/// lives in its own file with inline pass/fail cases and a page in `lints/`.
pub trait Lint: Sync + Send {
    /// Code, name, category, default severity, summary.
    fn meta(&self) -> &'static LintMeta;

    /// Checks one alerting or recording rule.
    fn check_rule(&self, _cx: &RuleCtx, _out: &mut Vec<Diagnostic>) {}

    /// Checks one Alertmanager configuration.
    fn check_alertmanager(&self, _cx: &AmCtx, _out: &mut Vec<Diagnostic>) {}
}

/// Runs every enabled lint over one loaded file and applies the configured
/// severities. Input diagnostics from loading are included.
pub fn check_file(
    file: FileId,
    source: &SourceFile,
    loaded: &LoadedFile,
    config: &Config,
) -> Vec<Diagnostic> {
    let lints: Vec<&dyn Lint> = registry::LINTS
        .iter()
        .copied()
        .filter(|l| config.is_enabled(l.meta()))
        .collect();
    let mut out: Vec<Diagnostic> = loaded
        .diagnostics
        .iter()
        .filter(|d| config.is_enabled(d.lint))
        .cloned()
        .collect();
    for rf in &loaded.rule_files {
        for group in &rf.groups {
            for rule in &group.rules {
                let cx = RuleCtx {
                    file,
                    source,
                    group,
                    rule,
                    config,
                };
                for l in &lints {
                    l.check_rule(&cx, &mut out);
                }
            }
        }
    }
    for am in &loaded.am_configs {
        let cx = AmCtx {
            file,
            source,
            am,
            config,
        };
        for l in &lints {
            l.check_alertmanager(&cx, &mut out);
        }
    }
    for d in &mut out {
        d.severity = config.severity_of(d.lint);
    }
    out
}

/// Sorts diagnostics by path, line, column and lint code, for output that is
/// identical from run to run. `paths[file]` is each file's path.
pub fn sort(diags: &mut [Diagnostic], paths: &[&str]) {
    diags.sort_by(|a, b| {
        (
            paths.get(a.file),
            a.span.start,
            a.lint.code,
            &a.message,
            a.span.end,
        )
            .cmp(&(
                paths.get(b.file),
                b.span.start,
                b.lint.code,
                &b.message,
                b.span.end,
            ))
    });
}

/// Loads `source` and runs every enabled lint on it: the whole per-file
/// pipeline (used by the CLI for each file and by docs-as-tests).
pub fn lint_source(
    file: FileId,
    source: &SourceFile,
    config: &Config,
) -> (LoadedFile, Vec<Diagnostic>) {
    let loaded = crate::model::load_file(file, source, &config.extra_fields);
    let diags = check_file(file, source, &loaded, config);
    (loaded, diags)
}

/// Runs YAML text through the real pipeline and keeps the diagnostics of
/// lint `code` (for inline pass/fail cases).
#[cfg(test)]
pub(crate) fn run_on(code: &str, yaml: &str) -> Vec<Diagnostic> {
    let source = SourceFile::from_text("test.yaml", yaml.to_string(), 0);
    let mut config = Config::default();
    config.enable.push(code.to_string());
    let (_, diags) = lint_source(0, &source, &config);
    diags.into_iter().filter(|d| d.lint.code == code).collect()
}
