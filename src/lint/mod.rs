//! Lints: the [`Diagnostic`] struct, the [`Lint`] trait, the registry, and
//! running the passes over one file's models. `lint` decides policy
//! (which lints run, at what severity); `render` only formats.

pub mod alertmanager;
pub mod baseline;
pub mod project;
pub mod registry;
pub mod rules;
pub mod suppress;

pub use crate::diagnostic::{Category, DOCS_BASE, Diagnostic, FileId, Label, LintMeta, Severity};

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

/// One loaded file of the run, as project lints see it.
pub struct ProjectFile<'a> {
    /// The file's id in the run.
    pub file: FileId,
    /// The file.
    pub source: &'a SourceFile,
    /// Its rule files and Alertmanager configs.
    pub loaded: &'a LoadedFile,
}

/// What a project lint sees: every loaded file of the run (rule files and
/// Alertmanager configs with their file ids), once, after the per-file pass.
pub struct ProjectCtx<'a> {
    /// The files, in file-id order.
    pub files: Vec<ProjectFile<'a>>,
    /// Policy settings.
    pub config: &'a Config,
    /// Routing of every alert rule through every Alertmanager config,
    /// computed on first use and shared by the routing lints.
    pub(crate) routing: std::sync::OnceLock<crate::routing::project::Analysis<'a>>,
}

impl<'a> ProjectCtx<'a> {
    /// A context over `files`.
    pub fn new(files: Vec<ProjectFile<'a>>, config: &'a Config) -> ProjectCtx<'a> {
        ProjectCtx {
            files,
            config,
            routing: std::sync::OnceLock::new(),
        }
    }

    /// Every rule of the run with its file and group, in file and document order.
    pub fn rules(&self) -> impl Iterator<Item = (&ProjectFile<'a>, &'a RuleGroup, &'a Rule)> {
        self.files.iter().flat_map(|f| {
            f.loaded.rule_files.iter().flat_map(move |rf| {
                rf.groups
                    .iter()
                    .flat_map(move |g| g.rules.iter().map(move |r| (f, g, r)))
            })
        })
    }

    /// Every alert rule routed through every Alertmanager config of the run.
    pub fn routing(&self) -> &crate::routing::project::Analysis<'a> {
        self.routing
            .get_or_init(|| crate::routing::project::Analysis::new(&self.files))
    }
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

    /// Checks the whole run at once (rules ↔ Alertmanager configs, across files).
    fn check_project(&self, _cx: &ProjectCtx, _out: &mut Vec<Diagnostic>) {}
}

/// Runs every enabled lint's project-level check once over the whole run and
/// applies the configured severities.
pub fn check_project(cx: &ProjectCtx) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for l in registry::LINTS
        .iter()
        .filter(|l| cx.config.is_enabled(l.meta()))
    {
        l.check_project(cx, &mut out);
    }
    for d in &mut out {
        d.severity = cx.config.severity_of(d.lint);
    }
    out
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

/// The whole pipeline over several files: each file's lints, then the
/// project lints over all of them (used by docs-as-tests and inline cases).
pub fn lint_sources(sources: &[SourceFile], config: &Config) -> Vec<Diagnostic> {
    let loaded: Vec<(LoadedFile, Vec<Diagnostic>)> = sources
        .iter()
        .enumerate()
        .map(|(id, s)| lint_source(id, s, config))
        .collect();
    let mut out: Vec<Diagnostic> = loaded.iter().flat_map(|(_, d)| d.clone()).collect();
    let files = sources
        .iter()
        .zip(&loaded)
        .enumerate()
        .map(|(file, (source, (loaded, _)))| ProjectFile {
            file,
            source,
            loaded,
        })
        .collect();
    out.extend(check_project(&ProjectCtx::new(files, config)));
    // Suppression comments apply after every pass, project-wide ones included.
    for (id, (source, (loaded, _))) in sources.iter().zip(&loaded).enumerate() {
        suppress::apply(id, source, loaded, config, &mut out);
    }
    out
}

/// Runs YAML text through the real pipeline (per-file and project lints)
/// and keeps the diagnostics of lint `code` (for inline pass/fail cases).
#[cfg(test)]
pub(crate) fn run_on(code: &str, yaml: &str) -> Vec<Diagnostic> {
    run_on_files(code, &[yaml])
}

/// Like [`run_on`] for a run of several files (`test0.yaml`, `test1.yaml`, …).
#[cfg(test)]
pub(crate) fn run_on_files(code: &str, yamls: &[&str]) -> Vec<Diagnostic> {
    let sources: Vec<SourceFile> = yamls
        .iter()
        .enumerate()
        .map(|(i, y)| SourceFile::from_text(format!("test{i}.yaml"), y.to_string(), 0))
        .collect();
    let mut config = Config::default();
    config.enable.push(code.to_string());
    lint_sources(&sources, &config)
        .into_iter()
        .filter(|d| d.lint.code == code)
        .collect()
}
