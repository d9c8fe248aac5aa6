//! Lints: the [`Diagnostic`] struct, the [`Lint`] trait, the registry, and
//! running the passes over one file's models. `lint` decides policy
//! (which lints run, at what severity); `render` only formats.

pub mod alertmanager;
pub mod baseline;
pub mod conventions;
pub mod fix;
pub mod project;
pub mod prometheus;
pub mod registry;
pub mod rules;
pub mod suppress;
pub mod workspace;

pub use crate::diagnostic::{Category, DOCS_BASE, Diagnostic, FileId, Label, LintMeta, Severity};
use crate::source::Span;

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

impl<'a> RuleCtx<'a> {
    /// The labels and annotations of an alerting rule, each with what it is
    /// (`"label"` or `"annotation"`), in file order: the texts Prometheus
    /// expands as templates. Empty for a recording rule.
    pub fn alert_templates(
        &self,
    ) -> impl Iterator<Item = (&'static str, &'a crate::model::KeyValue)> + use<'a> {
        let rule = self.rule;
        let alert = rule.is_alert();
        rule.labels
            .iter()
            .map(|kv| ("label", kv))
            .chain(rule.annotations.iter().map(|kv| ("annotation", kv)))
            .filter(move |_| alert)
    }

    /// The rule's expression with its parsed AST; `None` when the rule has
    /// no `expr` or it did not parse (`promql-syntax` reports that).
    pub fn parsed(
        &self,
    ) -> Option<(
        &'a crate::model::rules::PromqlExpr,
        &'a crate::promql::ast::Expr,
    )> {
        let expr = self.rule.expr.as_ref()?;
        Some((expr, expr.ast.as_deref()?))
    }
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

impl<'a> AmCtx<'a> {
    /// Every route of the config, the root first, in depth-first pre-order
    /// (the order Alertmanager's routing tree is written and walked in).
    pub fn routes(&self) -> Vec<&'a crate::model::alertmanager::Route> {
        let mut out = Vec::new();
        let mut stack: Vec<&crate::model::alertmanager::Route> = self.am.route.iter().collect();
        while let Some(r) = stack.pop() {
            out.push(r);
            stack.extend(r.routes.iter().rev());
        }
        out
    }
}

pub use crate::model::ProjectFile;

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
        self.routing.get_or_init(|| {
            crate::routing::project::Analysis::new(
                &self.files,
                &project::route_unused::external_labels(self.config),
            )
        })
    }
}

/// A lint's checks, at the levels it cares about. Metadata, page and
/// registration come from [`declare_lint!`] in the lint's own file; a check
/// reports through its [`Reporter`], which knows the lint and the file.
pub trait Lint: Sync + Send {
    /// Checks one alerting or recording rule.
    fn check_rule(&self, _cx: &RuleCtx, _r: &mut Reporter) {}

    /// Checks one Alertmanager configuration.
    fn check_alertmanager(&self, _cx: &AmCtx, _r: &mut Reporter) {}

    /// Checks the whole run at once (rules ↔ Alertmanager configs, across
    /// files); report with [`Reporter::report_in`].
    fn check_project(&self, _cx: &ProjectCtx, _r: &mut Reporter) {}
}

/// Declares a lint in its own file: a `pub static META` (code, name,
/// category, default severity, summary, and the page
/// `lints/<code>-<name>.md` embedded at build time), the unit struct the
/// [`Lint`] impl is written for, and its registration in the catalogue
/// ([`crate::diagnostic::CATALOGUE`]) and in the passes ([`registry::CHECKS`]).
///
/// ```ignore
/// crate::declare_lint! {
///     /// The `missing-for` lint.
///     pub struct MissingFor {
///         code: "ML101", name: "missing-for", category: Correctness,
///         severity: Warning, summary: "an alerting rule without `for` fires on a single evaluation",
///     }
/// }
/// impl Lint for MissingFor { fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) { … } }
/// ```
#[macro_export]
macro_rules! declare_lint {
    (
        $(#[$doc:meta])*
        pub struct $ty:ident {
            code: $code:literal,
            name: $name:literal,
            category: $category:ident,
            severity: $severity:ident,
            summary: $summary:expr $(,)?
        }
    ) => {
        #[doc = concat!("Metadata of `", $name, "` (", $code, ").")]
        pub static META: $crate::diagnostic::LintMeta =
            $crate::lint_meta!($code, $name, $category, $severity, $summary);

        $(#[$doc])*
        pub struct $ty;

        #[linkme::distributed_slice($crate::diagnostic::CATALOGUE)]
        static CATALOGUE_ENTRY: &'static $crate::diagnostic::LintMeta = &META;

        #[linkme::distributed_slice($crate::lint::registry::CHECKS)]
        static CHECK: $crate::lint::registry::Registered = $crate::lint::registry::Registered {
            meta: &META,
            lint: &$ty,
        };
    };
}

/// Where a check reports: builds [`Diagnostic`]s of one lint, in the file
/// being checked unless told otherwise, and asserts the message conventions
/// in tests (lowercase start, no trailing period; `invalid` lints keep
/// upstream's wording).
pub struct Reporter<'a> {
    meta: &'static LintMeta,
    file: FileId,
    out: &'a mut Vec<Diagnostic>,
}

impl<'a> Reporter<'a> {
    /// A reporter for `meta` whose findings default to `file`, appending to `out`.
    pub fn new(
        meta: &'static LintMeta,
        file: FileId,
        out: &'a mut Vec<Diagnostic>,
    ) -> Reporter<'a> {
        Reporter { meta, file, out }
    }

    /// The lint being run.
    pub fn meta(&self) -> &'static LintMeta {
        self.meta
    }

    /// A finding at `span` of the file being checked; add `.help(…)` and
    /// `.label(…)`; it is recorded when the returned [`Finding`] is dropped.
    pub fn report(&mut self, span: Span, message: impl Into<String>) -> Finding<'_> {
        let file = self.file;
        self.report_in(file, span, message)
    }

    /// A finding at `span` of `file` (project lints).
    pub fn report_in(
        &mut self,
        file: FileId,
        span: Span,
        message: impl Into<String>,
    ) -> Finding<'_> {
        Finding {
            out: self.out,
            diagnostic: Some(Diagnostic::new(self.meta, file, span, message)),
        }
    }
}

/// One finding being built; recorded when dropped.
pub struct Finding<'r> {
    out: &'r mut Vec<Diagnostic>,
    diagnostic: Option<Diagnostic>,
}

impl Finding<'_> {
    /// What to do about it.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        if let Some(d) = &mut self.diagnostic {
            d.help = Some(help.into());
        }
        self
    }

    /// A secondary labelled span in the finding's file.
    pub fn label(mut self, span: Span, message: impl Into<String>) -> Self {
        if let Some(d) = &mut self.diagnostic {
            let file = d.file;
            d.labels.push(Label {
                file,
                span,
                message: message.into(),
            });
        }
        self
    }

    /// The fix the finding offers, if any (`lint --fix`, the server's code
    /// actions); build its edits with [`fix`]'s helpers.
    pub fn fix(mut self, fix: Option<crate::diagnostic::Fix>) -> Self {
        if let Some(d) = &mut self.diagnostic {
            d.fix = fix;
        }
        self
    }

    /// A secondary labelled span in another file of the run.
    pub fn label_in(mut self, file: FileId, span: Span, message: impl Into<String>) -> Self {
        if let Some(d) = &mut self.diagnostic {
            d.labels.push(Label {
                file,
                span,
                message: message.into(),
            });
        }
        self
    }
}

impl Drop for Finding<'_> {
    fn drop(&mut self) {
        if let Some(d) = self.diagnostic.take() {
            #[cfg(test)]
            assert_conventions(&d);
            self.out.push(d);
        }
    }
}

/// Message conventions (ARCHITECTURE "A lint"): lowercase start, no
/// trailing period; `invalid` lints keep Prometheus'/Alertmanager's wording.
#[cfg(test)]
fn assert_conventions(d: &Diagnostic) {
    if d.lint.category == Category::Invalid {
        return;
    }
    let m = d.message.as_str();
    let mut chars = m.chars();
    let capitalised_word = matches!(
        (chars.next(), chars.next()),
        (Some(a), Some(b)) if a.is_uppercase() && b.is_lowercase()
    );
    assert!(
        !capitalised_word,
        "{} message starts with a capitalised word: {m:?}",
        d.lint.code
    );
    assert!(
        !m.ends_with('.'),
        "{} message ends with a period: {m:?}",
        d.lint.code
    );
}

/// Runs every enabled lint's project-level check once over the whole run and
/// applies the configured severities.
pub fn check_project(cx: &ProjectCtx) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for l in registry::checks()
        .into_iter()
        .filter(|l| cx.config.is_enabled(l.meta))
    {
        let mut r = Reporter::new(l.meta, 0, &mut out);
        l.lint.check_project(cx, &mut r);
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
    let lints: Vec<&registry::Registered> = registry::checks()
        .into_iter()
        .filter(|l| config.is_enabled(l.meta))
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
                    l.lint
                        .check_rule(&cx, &mut Reporter::new(l.meta, file, &mut out));
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
            l.lint
                .check_alertmanager(&cx, &mut Reporter::new(l.meta, file, &mut out));
        }
    }
    for d in &mut out {
        d.severity = config.severity_of(d.lint);
    }
    out
}

/// Whether `d` is one of the findings that make a run fail (exit 2, see
/// [`Report::failed`]): a file that could not be read (`file-unreadable`)
/// or is not valid YAML (`yaml-syntax`). These are always shown: filters
/// of what to report (`--diff-base`, `--baseline`) never drop them, since a
/// run that fails without saying why cannot be fixed.
pub fn is_input_failure(d: &Diagnostic) -> bool {
    d.lint.code == crate::diagnostic::input::file_unreadable::META.code
        || d.lint.code == crate::diagnostic::input::yaml_syntax::META.code
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

/// One file of a run.
pub enum Input {
    /// A file read as text, found by walking a directory (or given by a
    /// test): one that holds nothing recognised is skipped, with an info
    /// (`rules-like-file-skipped`) when it looks like rules.
    Source(SourceFile),
    /// A file the user named on the command line: one that holds nothing
    /// recognised is reported (`file-not-recognised`).
    Named(SourceFile),
    /// A file that could not be read: a stand-in with its path (and the
    /// text when there is some, e.g. decoded lossily), and the
    /// `file-unreadable` finding to report on it.
    Unreadable {
        /// The stand-in.
        source: SourceFile,
        /// Where in it (a point at 0, or the offending byte).
        span: Span,
        /// What is wrong, e.g. "no such file or directory".
        message: String,
        /// What to do about it.
        help: Option<String>,
    },
}

/// The result of [`run`]: the run's files in input order (a diagnostic's
/// `file` indexes `files`), their models, and every finding, sorted.
pub struct Report {
    /// The files, in input order.
    pub files: Vec<SourceFile>,
    /// Each file's models; `None` for an unreadable file.
    pub loaded: Vec<Option<LoadedFile>>,
    /// Every finding after suppression and per-path overrides, sorted by
    /// path, position and code.
    pub diagnostics: Vec<Diagnostic>,
    /// True when mlalert could not do its job on some file (unreadable, not
    /// YAML): the CLI exits 2.
    pub failed: bool,
}

/// Every input of a run, loaded: the files in input order, their models
/// (`None` for an unreadable file), each file's input findings (indexed
/// like `files`), and whether some file could not be read or is not YAML.
struct Loaded {
    files: Vec<SourceFile>,
    loaded: Vec<Option<LoadedFile>>,
    diagnostics: Vec<Vec<Diagnostic>>,
    failed: bool,
}

fn load_all(inputs: Vec<Input>, config: &Config) -> Loaded {
    use rayon::prelude::*;
    let per_file: Vec<(SourceFile, Option<LoadedFile>, Vec<Diagnostic>)> = inputs
        .into_par_iter()
        .enumerate()
        .map(|(id, input)| load_input(id, input, config))
        .collect();
    let mut files = Vec::with_capacity(per_file.len());
    let mut loaded = Vec::with_capacity(per_file.len());
    let mut diagnostics = Vec::with_capacity(per_file.len());
    let mut failed = false;
    for (source, l, d) in per_file {
        failed |= l.as_ref().is_none_or(|l| l.yaml_error);
        files.push(source);
        loaded.push(l);
        diagnostics.push(d);
    }
    Loaded {
        files,
        loaded,
        diagnostics,
        failed,
    }
}

/// Loads input `input` as file `id` of the run: its source, its models
/// (`None` when it could not be read) and its input findings (beyond those
/// of the models: `file-unreadable`, `file-not-recognised`,
/// `rules-like-file-skipped`).
fn load_input(
    id: FileId,
    input: Input,
    config: &Config,
) -> (SourceFile, Option<LoadedFile>, Vec<Diagnostic>) {
    match input {
        Input::Source(source) => load_one(id, source, false, config),
        Input::Named(source) => load_one(id, source, true, config),
        Input::Unreadable {
            source,
            span,
            message,
            help,
        } => {
            let mut d = Diagnostic::new(
                &crate::diagnostic::input::file_unreadable::META,
                id,
                span,
                message,
            );
            d.help = help;
            (source, None, vec![d])
        }
    }
}

/// The settings a run of `inputs` would use: `config` with what the run
/// states and the conventions it follows filled in where `config` is
/// silent (see [`conventions::apply`]); `mlalert config init --from`.
pub fn conventions_of(inputs: Vec<Input>, config: &Config) -> Config {
    conventions_and_names(inputs, config).0
}

/// [`conventions_of`] with the metric names the run's rules read
/// (`mlalert snapshot` asks Prometheus about them).
pub fn conventions_and_names(
    inputs: Vec<Input>,
    config: &Config,
) -> (Config, std::collections::BTreeSet<String>) {
    let l = load_all(inputs, config);
    let names = prometheus::metric_names(l.loaded.iter().flatten());
    (conventions::apply(config, &l.files, &l.loaded), names)
}

/// The one lint pipeline, used by the CLI and by every test: loads each file
/// (in parallel), fills settings the config leaves unset from what the run
/// states ([`conventions::apply`]), runs the per-file passes (in parallel),
/// then the project passes once
/// over every loaded file, then suppression comments (which see every
/// finding, so a directive is "used" even where an override later drops the
/// finding), then per-path overrides (which also apply to
/// `unused-suppression`), then configured severities, then sorts.
/// `on_file` is called once per file after its per-file pass (progress).
pub fn run_with(inputs: Vec<Input>, config: &Config, on_file: &(dyn Fn() + Sync)) -> Report {
    run_with_facts(inputs, config, on_file, &|_| None)
}

/// Fetches what Prometheus knows about the metric names a run reads
/// (`lint --prometheus`): `None` keeps the config's facts (a snapshot's, or none).
pub type FetchFacts<'a> =
    dyn Fn(&std::collections::BTreeSet<String>) -> Option<crate::prometheus::PrometheusFacts> + 'a;

/// [`run_with`], asking `fetch` for the facts about the metric names the
/// loaded rules read ([`prometheus::metric_names`]) before the lints run;
/// what it returns replaces `config.facts`.
pub fn run_with_facts(
    inputs: Vec<Input>,
    config: &Config,
    on_file: &(dyn Fn() + Sync),
    fetch: &FetchFacts,
) -> Report {
    // Load every file, then learn what the run states about its Prometheus
    // (intervals, conventions), then run the per-file passes with it.
    let Loaded {
        files,
        loaded,
        diagnostics: input,
        failed,
    } = load_all(inputs, config);
    let mut config = conventions::apply(config, &files, &loaded);
    if let Some(f) = fetch(&prometheus::metric_names(loaded.iter().flatten())) {
        config.facts = Some(std::sync::Arc::new(f));
    }
    let config = &config;
    let mut per_file = check_files(&files, &loaded, config, on_file);
    for (d, input) in per_file.iter_mut().zip(input) {
        d.splice(0..0, input);
    }
    let project = check_project_files(&files, &loaded, config);
    let diagnostics = finish(&files, &loaded, per_file.iter().flatten(), &project, config);
    Report {
        files,
        loaded,
        diagnostics,
        failed,
    }
}

/// The per-file passes over every loaded file, in parallel: each file's
/// findings, indexed like `files`. `on_file` is called after each file.
fn check_files(
    files: &[SourceFile],
    loaded: &[Option<LoadedFile>],
    config: &Config,
    on_file: &(dyn Fn() + Sync),
) -> Vec<Vec<Diagnostic>> {
    use rayon::prelude::*;
    files
        .par_iter()
        .zip(loaded)
        .enumerate()
        .map(|(id, (source, l))| {
            let d = l
                .as_ref()
                .map(|l| check_file(id, source, l, config))
                .unwrap_or_default();
            on_file();
            d
        })
        .collect()
}

/// The project passes ([`check_project`]) over every loaded file of the run.
fn check_project_files(
    files: &[SourceFile],
    loaded: &[Option<LoadedFile>],
    config: &Config,
) -> Vec<Diagnostic> {
    let project: Vec<ProjectFile> = files
        .iter()
        .zip(loaded)
        .enumerate()
        .filter_map(|(file, (source, l))| {
            l.as_ref().map(|loaded| ProjectFile {
                file,
                source,
                loaded,
            })
        })
        .collect();
    check_project(&ProjectCtx::new(project, config))
}

/// The end of the pipeline, after the per-file and project passes: the
/// suppression comments of every file (which see every finding), then
/// configured severities, then per-path overrides, then the sort.
fn finish<'d>(
    files: &[SourceFile],
    loaded: &[Option<LoadedFile>],
    per_file: impl Iterator<Item = &'d Diagnostic>,
    project: &'d [Diagnostic],
    config: &Config,
) -> Vec<Diagnostic> {
    let mut diagnostics: Vec<Diagnostic> = per_file.chain(project).cloned().collect();
    for (id, (source, l)) in files.iter().zip(loaded).enumerate() {
        if let Some(l) = l {
            suppress::apply(id, source, l, config, &mut diagnostics);
        }
    }
    for d in &mut diagnostics {
        d.severity = config.severity_of(d.lint);
    }
    if !config.overrides.is_empty() {
        diagnostics.retain_mut(|d| {
            match config.for_path(
                std::path::Path::new(&files[d.file].path),
                d.lint,
                d.severity,
            ) {
                Some(s) => {
                    d.severity = s;
                    true
                }
                None => false,
            }
        });
    }
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    sort(&mut diagnostics, &paths);
    diagnostics
}

/// Loads one read file (file `id` of the run) with its input findings.
fn load_one(
    id: FileId,
    source: SourceFile,
    named: bool,
    config: &Config,
) -> (SourceFile, Option<LoadedFile>, Vec<Diagnostic>) {
    let loaded = crate::model::load_file(id, &source, &config.extra_fields);
    let diags = not_recognised(id, &source, &loaded, named)
        .into_iter()
        .collect();
    (source, Some(loaded), diags)
}

/// `file-not-recognised` for a named file, or `rules-like-file-skipped` for
/// a walked one that looks like rules, when the file loaded without a
/// finding of its own and holds nothing mlalert checks.
fn not_recognised(
    id: FileId,
    source: &SourceFile,
    loaded: &LoadedFile,
    named: bool,
) -> Option<Diagnostic> {
    use crate::diagnostic::input::{file_not_recognised, rules_like_file_skipped};
    let recognised = !loaded.rule_files.is_empty()
        || !loaded.intervals.is_empty()
        || !loaded.features.is_empty()
        || !loaded.am_configs.is_empty()
        || !loaded.unit_tests.is_empty()
        || !loaded.diagnostics.is_empty();
    if recognised {
        return None;
    }
    if named {
        return Some(
            Diagnostic::new(
                &file_not_recognised::META,
                id,
                Span::point(0),
                "no rule file, rule CRD, Alertmanager config or unit-test file in this file: nothing was checked",
            )
            .with_help("mlalert checks Prometheus rule files (`groups:`), PrometheusRule and similar CRDs, Alertmanager configs (`route:`/`receivers:`), ConfigMaps and Secrets embedding them, and `mlalert test` files"),
        );
    }
    let at = crate::model::rules_like_key(&source.text)?;
    Some(
        Diagnostic::new(
            &rules_like_file_skipped::META,
            id,
            Span::new(at, at),
            "this file looks like it holds alerting or recording rules but is not a rule file, rule CRD or ConfigMap mlalert recognises: skipped",
        )
        .with_help("if Prometheus loads these rules, name the file on the command line to see why it is not recognised; rules nested in a Helm values file are checked once rendered"),
    )
}

/// [`run_with`] without progress.
pub fn run(inputs: Vec<Input>, config: &Config) -> Report {
    run_with(inputs, config, &|| {})
}

/// [`run`] over sources already read (tests, docs-as-tests, fuzz targets).
pub fn run_sources(sources: Vec<SourceFile>, config: &Config) -> Report {
    run(sources.into_iter().map(Input::Source).collect(), config)
}

/// Runs YAML text through the real pipeline (per-file and project lints)
/// with `lint` enabled, and keeps that lint's diagnostics (for inline
/// pass/fail cases). Taking the lint's metadata, not a code string, means a
/// mistyped code cannot make a pass case vacuous.
#[cfg(test)]
pub(crate) fn run_on(lint: &'static LintMeta, yaml: &str) -> Vec<Diagnostic> {
    run_on_files(lint, &[yaml])
}

/// Like [`run_on`] for a run of several files (`test0.yaml`, `test1.yaml`, …).
#[cfg(test)]
pub(crate) fn run_on_files(lint: &'static LintMeta, yamls: &[&str]) -> Vec<Diagnostic> {
    run_on_with(lint, yamls, Config::default())
}

/// The default config with the facts of `fixtures/prometheus/snapshot.json`
/// (the ML5xx lints' inline tests).
#[cfg(test)]
pub(crate) fn snapshot_fixture_config() -> Config {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/prometheus/snapshot.json"
    ))
    .expect("fixtures/prometheus/snapshot.json");
    let mut c = Config::default();
    c.facts = Some(std::sync::Arc::new(
        crate::prometheus::PrometheusFacts::from_json(&text).expect("a snapshot"),
    ));
    c
}

/// Like [`run_on_files`] with `config` (the lint is enabled on top of it).
#[cfg(test)]
pub(crate) fn run_on_with(
    lint: &'static LintMeta,
    yamls: &[&str],
    mut config: Config,
) -> Vec<Diagnostic> {
    let sources: Vec<SourceFile> = yamls
        .iter()
        .enumerate()
        .map(|(i, y)| SourceFile::from_text(format!("test{i}.yaml"), y.to_string(), 0))
        .collect();
    config.enable.push(lint.code.to_string());
    run_sources(sources, &config)
        .diagnostics
        .into_iter()
        .filter(|d| d.lint.code == lint.code)
        .collect()
}
