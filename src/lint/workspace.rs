//! A run kept in memory and checked again file by file: the language
//! server's view of a workspace folder. It is [`super::run`]'s pipeline
//! (the same loading, conventions of the run, per-file passes, project
//! passes, suppression, severities, overrides and sort), with each stage's
//! results kept per file so that a change to one file's text (an editor's
//! unsaved buffer, or the file on disk) loads and checks that file again
//! and reuses what the other files gave.
//!
//! What a change redoes:
//! - the changed file is loaded and its per-file passes run;
//! - when the settings the run states change with it (a `prometheus.yml`'s
//!   intervals, the naming and severity conventions, see
//!   [`super::conventions::apply`]), every file's per-file passes run again,
//!   as `lint` would see them;
//! - the project passes (routing, duplicates: they read every file) run
//!   again when the file holds, or held, rule groups or Alertmanager configs;
//!   a file with neither (a unit-test file, a Deployment) cannot change
//!   their findings;
//! - suppression, severities, overrides and the sort run over every finding,
//!   as in [`super::run`].

use super::{
    Config, Diagnostic, FileId, Input, LoadedFile, SourceFile, check_file, check_files,
    check_project_files, conventions, finish, load_all, load_input,
};

/// Every file of a workspace with what each pass found in it.
pub struct Workspace {
    /// The configuration as given (`.mlalert.yaml` or defaults).
    base: Config,
    /// `base` with what the run states filled in (the per-file passes' settings).
    config: Config,
    /// The files, by file id.
    files: Vec<SourceFile>,
    /// Each file's models; `None` for an unreadable file.
    loaded: Vec<Option<LoadedFile>>,
    /// Each file's findings from loading it that its models do not hold
    /// (`file-unreadable`, `rules-like-file-skipped`, ...).
    input: Vec<Vec<Diagnostic>>,
    /// Each file's per-file pass findings (its models' input findings included).
    checked: Vec<Vec<Diagnostic>>,
    /// The project passes' findings.
    project: Vec<Diagnostic>,
    /// True while `project` is not the project passes' findings over the
    /// files as they are (a project pass panicked).
    project_stale: bool,
    /// True while `checked` is not every file's per-file findings (a check
    /// panicked while every file was being checked again).
    checked_stale: bool,
    /// Every finding after the whole pipeline, sorted.
    diagnostics: Vec<Diagnostic>,
}

impl Workspace {
    /// Loads and checks `inputs` with `config`, as [`super::run`] does.
    pub fn new(inputs: Vec<Input>, config: Config) -> Workspace {
        let l = load_all(inputs, &config);
        let config_run = conventions::apply(&config, &l.files, &l.loaded);
        let checked = check_files(&l.files, &l.loaded, &config_run, &|| {});
        let project = check_project_files(&l.files, &l.loaded, &config_run);
        let mut w = Workspace {
            base: config,
            config: config_run,
            files: l.files,
            loaded: l.loaded,
            input: l.diagnostics,
            checked,
            project,
            project_stale: false,
            checked_stale: false,
            diagnostics: Vec::new(),
        };
        w.finish();
        w
    }

    /// The files, by file id (a [`Diagnostic`]'s `file`).
    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// Each file's models, by file id; `None` for an unreadable file.
    pub fn loaded(&self) -> &[Option<LoadedFile>] {
        &self.loaded
    }

    /// The file at `path` (as its [`SourceFile::path`]): its id, source and
    /// models (`None` when unreadable).
    pub fn file(&self, path: &str) -> Option<(FileId, &SourceFile, Option<&LoadedFile>)> {
        let id = self.id_of(path)?;
        Some((id, &self.files[id], self.loaded[id].as_ref()))
    }

    /// The configuration the per-file passes ran with (the given one with
    /// what the run states filled in).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Every finding of the workspace, as [`super::Report::diagnostics`]:
    /// after suppression, severities and overrides, sorted by path,
    /// position and code.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// Replaces the configuration (`.mlalert.yaml` changed) and checks
    /// every file again with it.
    pub fn set_config(&mut self, config: Config) {
        let inputs = self.take_inputs();
        *self = Workspace::new(inputs, config);
    }

    /// Sets the text of the file at `input`'s path (adding the file when the
    /// workspace has none there), loads and checks it, and redoes what the
    /// change affects (see the module's docs).
    ///
    /// A panic in a check leaves the workspace consistent: the file has its
    /// new text and no per-file findings until the next update, and what
    /// the panic interrupted (every file's per-file passes, the project
    /// passes) runs again on the next update.
    pub fn update(&mut self, input: Input) {
        let path = match &input {
            Input::Source(s) | Input::Named(s) | Input::Unreadable { source: s, .. } => {
                s.path.clone()
            }
        };
        let id = self.id_of(&path).unwrap_or(self.files.len());
        let (source, loaded, input) = load_input(id, input, &self.base);
        let mut affects_project = holds_checked(self.loaded.get(id).and_then(Option::as_ref));
        affects_project |= holds_checked(loaded.as_ref());
        if id == self.files.len() {
            self.files.push(source);
            self.loaded.push(loaded);
            self.input.push(input);
            self.checked.push(Vec::new());
        } else {
            self.files[id] = source;
            self.loaded[id] = loaded;
            self.input[id] = input;
            self.checked[id].clear();
        }
        let config = conventions::apply(&self.base, &self.files, &self.loaded);
        if config.same_inferred(&self.config) && !self.checked_stale {
            if let Some(l) = &self.loaded[id] {
                self.checked[id] = check_file(id, &self.files[id], l, &self.config);
            }
        } else {
            // The run's settings changed: every file is checked with them.
            self.checked.iter_mut().for_each(Vec::clear);
            self.config = config;
            self.checked_stale = true;
            self.checked = check_files(&self.files, &self.loaded, &self.config, &|| {});
            self.checked_stale = false;
            affects_project = true;
        }
        if affects_project || self.project_stale {
            self.project_stale = true;
            self.project = check_project_files(&self.files, &self.loaded, &self.config);
            self.project_stale = false;
        }
        self.finish();
    }

    /// Drops the file at `path` (deleted, or closed outside the workspace
    /// folder) and checks the others again without it.
    pub fn remove(&mut self, path: &str) {
        let Some(id) = self.id_of(path) else {
            return;
        };
        let mut inputs = self.take_inputs();
        inputs.remove(id);
        let config = std::mem::take(&mut self.base);
        *self = Workspace::new(inputs, config);
    }

    fn id_of(&self, path: &str) -> Option<FileId> {
        self.files.iter().position(|f| f.path == path)
    }

    /// The files as inputs again (to rebuild the workspace); the workspace
    /// is left empty. An unreadable file stays unreadable: its finding is
    /// kept with it.
    fn take_inputs(&mut self) -> Vec<Input> {
        let loaded = std::mem::take(&mut self.loaded);
        let input = std::mem::take(&mut self.input);
        self.checked.clear();
        self.project.clear();
        self.diagnostics.clear();
        std::mem::take(&mut self.files)
            .into_iter()
            .zip(loaded)
            .zip(input)
            .map(|((source, l), input)| match (l, input.into_iter().next()) {
                (None, Some(d)) => Input::Unreadable {
                    source,
                    span: d.span,
                    message: d.message,
                    help: d.help,
                },
                _ => Input::Source(source),
            })
            .collect()
    }

    fn finish(&mut self) {
        self.diagnostics = finish(
            &self.files,
            &self.loaded,
            self.input.iter().chain(&self.checked).flatten(),
            &self.project,
            &self.config,
        );
    }
}

/// Whether the project passes read `l`: it holds rule groups or an
/// Alertmanager config.
fn holds_checked(l: Option<&LoadedFile>) -> bool {
    l.is_some_and(|l| !l.rule_files.is_empty() || !l.am_configs.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each finding as `path code line:col-end message`, sorted as the run sorts.
    fn keys(files: &[SourceFile], diags: &[Diagnostic]) -> Vec<String> {
        diags
            .iter()
            .map(|d| {
                let f = &files[d.file];
                format!(
                    "{} {} {}-{} {}",
                    f.path, d.lint.code, d.span.start, d.span.end, d.message
                )
            })
            .collect()
    }

    fn fixture(name: &str) -> (String, String) {
        let path = format!("fixtures/ml-platform/{name}");
        let text =
            std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(&path))
                .expect(name);
        (path, text)
    }

    /// The workspace gives what `lint::run` gives on the same texts, after each change.
    fn assert_same_as_run(w: &Workspace, texts: &[(String, String)]) {
        let sources = texts
            .iter()
            .map(|(p, t)| SourceFile::from_text(p.clone(), t.clone(), 0))
            .collect();
        let report = super::super::run_sources(sources, &Config::default());
        assert_eq!(
            keys(w.files(), w.diagnostics()),
            keys(&report.files, &report.diagnostics)
        );
    }

    #[test]
    fn updates_give_what_a_full_run_gives() {
        let mut texts: Vec<(String, String)> = [
            "alertmanager.yaml",
            "gpu-rules-crd.yaml",
            "inference-alerts.yaml",
            "monitoring-stack.yaml",
        ]
        .iter()
        .map(|n| fixture(n))
        .collect();
        let input = |(p, t): &(String, String)| {
            Input::Source(SourceFile::from_text(p.clone(), t.clone(), 0))
        };
        let mut w = Workspace::new(texts.iter().map(input).collect(), Config::default());
        assert!(!w.diagnostics().is_empty());
        assert_same_as_run(&w, &texts);

        // A rule file loses its `for:` lines and gains a duplicate of an
        // alert of another file: per-file and project findings change.
        let (path, text) = &texts[2];
        let dup =
            "\n  - name: dup\n    rules:\n      - alert: GpuTooHot\n        expr: vector(1)\n";
        let changed = text.replace("for: ", "for_removed: ") + dup;
        assert_ne!(&changed, text);
        texts[2] = (path.clone(), changed);
        w.update(input(&texts[2]));
        assert_same_as_run(&w, &texts);

        // The Alertmanager config routes nothing below the root any more.
        let (path, text) = &texts[0];
        texts[0] = (path.clone(), text.replace("matchers:", "matchers_gone:"));
        w.update(input(&texts[0]));
        assert_same_as_run(&w, &texts);

        // A new prometheus.yml states the intervals: every file is checked with them.
        texts.push((
            "prometheus.yml".to_string(),
            "global:\n  scrape_interval: 2m\n  evaluation_interval: 10m\nrule_files: [x]\n"
                .to_string(),
        ));
        w.update(input(&texts[4]));
        assert_same_as_run(&w, &texts);

        // YAML that does not parse, then the file removed.
        texts[1].1 = "groups: [\n".to_string();
        w.update(input(&texts[1]));
        assert_same_as_run(&w, &texts);
        w.remove(&texts[4].0);
        texts.pop();
        assert_same_as_run(&w, &texts);
    }
}
