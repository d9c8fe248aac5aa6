//! Baselines for adopting mlalert on a repository with existing findings:
//! `--write-baseline FILE` records today's findings, `--baseline FILE`
//! reports only new ones.
//!
//! A finding's fingerprint hashes its lint code, its file's path, its message
//! and the text of the line it points at (trimmed), not its line number, so
//! it survives lines moving up or down. Identical findings are counted.
//!
//! Paths are stored relative to the run's root ([`BaselinePaths`]: the git
//! repository around the working directory, else the directory of the
//! config file, else the working directory), so that a baseline written at
//! the repository root also works from a subdirectory and in CI. Version 1
//! files, which stored paths as given on the command line, are still read
//! that way.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Diagnostic;
use crate::source::SourceFile;

/// The baseline format written today: paths relative to the run's root.
pub const VERSION: u32 = 2;

/// A baseline file: the fingerprints of accepted findings.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Baseline {
    /// Format version: 2 (paths relative to the run's root), or 1 (paths as
    /// given when it was written).
    pub version: u32,
    /// One entry per accepted finding.
    pub findings: Vec<Entry>,
}

/// One accepted finding.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    /// Lint code.
    pub code: String,
    /// File path relative to the run's root, with `/` separators (version
    /// 2); as given on the command line (version 1).
    pub path: String,
    /// 16 hex digits (FNV-1a 64 of code, `path`, message and line text).
    pub fingerprint: String,
    /// The message, for people reading the file.
    pub message: String,
}

/// FNV-1a, 64 bits, of `parts`, each followed by a NUL byte (so `["ab", "c"]`
/// and `["a", "bc"]` differ): stable across platforms, releases and Rust
/// versions (unlike std's hasher or foldhash), for fingerprints written to
/// files that outlive a run (baselines, GitLab Code Quality reports). Not a
/// cryptographic hash.
pub fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// How a run names its files in a baseline: relative to `root`, for paths
/// given relative to `cwd`.
#[derive(Debug, Clone)]
pub struct BaselinePaths {
    /// The working directory the run's relative paths start from.
    pub cwd: PathBuf,
    /// The directory baseline paths are relative to.
    pub root: PathBuf,
}

impl BaselinePaths {
    /// The root for a run in `cwd`: the nearest directory at or above `cwd`
    /// holding `.git` (a directory, or a file in worktrees and submodules),
    /// else the directory of `config` (the `.mlalert.yaml` in use), else
    /// `cwd`.
    pub fn discover(cwd: &Path, config: Option<&Path>) -> BaselinePaths {
        let git = cwd.ancestors().find(|d| d.join(".git").exists());
        let config_dir = config
            .map(|c| crate::go::filepath::clean(&cwd.join(c)))
            .and_then(|c| c.parent().map(Path::to_path_buf));
        let root = git
            .map(Path::to_path_buf)
            .or(config_dir)
            .unwrap_or_else(|| cwd.to_path_buf());
        BaselinePaths {
            cwd: cwd.to_path_buf(),
            root,
        }
    }

    /// `path` (as the run names a file) relative to the root, with `/`
    /// separators; a file outside the root keeps its path as given, without
    /// a leading `./`. Symbolic links are resolved on both sides when the
    /// file exists, so `/repo/rules` and a linked checkout agree.
    pub fn key(&self, path: &str) -> String {
        let given = Path::new(path);
        let abs = crate::go::filepath::clean(&self.cwd.join(given));
        let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let (abs, root) = match (std::fs::canonicalize(&abs), canon(&self.root)) {
            (Ok(a), r) => (a, r),
            (Err(_), _) => (abs, crate::go::filepath::clean(&self.root)),
        };
        match abs.strip_prefix(&root) {
            Ok(rel) => rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"),
            Err(_) => path.trim_start_matches("./").to_string(),
        }
    }
}

/// The fingerprint of `d`, a finding in `source`, whose file the baseline
/// names `path`.
pub fn fingerprint(d: &Diagnostic, source: &SourceFile, path: &str) -> String {
    let lines = source.lines();
    let start = lines.line_start(lines.line_of(d.span.start.min(source.text.len())));
    let line = source.text[start..].split('\n').next().unwrap_or("").trim();
    format!("{:016x}", fnv1a(&[d.lint.code, path, &d.message, line]))
}

impl Baseline {
    /// A baseline of `diags` (file ids index `files`), paths named by `paths`.
    pub fn of(diags: &[Diagnostic], files: &[SourceFile], paths: &BaselinePaths) -> Baseline {
        let keys: Vec<String> = files.iter().map(|f| paths.key(&f.path)).collect();
        let findings = diags
            .iter()
            .filter_map(|d| {
                let f = files.get(d.file)?;
                let key = &keys[d.file];
                Some(Entry {
                    code: d.lint.code.to_string(),
                    path: key.clone(),
                    fingerprint: fingerprint(d, f, key),
                    message: d.message.clone(),
                })
            })
            .collect();
        Baseline {
            version: VERSION,
            findings,
        }
    }

    /// Removes from `diags` the findings the baseline accepts (each entry
    /// accepts one finding); returns how many were removed. Input failures
    /// ([`super::is_input_failure`]) are never removed.
    pub fn filter(
        &self,
        diags: &mut Vec<Diagnostic>,
        files: &[SourceFile],
        paths: &BaselinePaths,
    ) -> usize {
        let keys: Vec<String> = files
            .iter()
            .map(|f| {
                if self.version >= 2 {
                    paths.key(&f.path)
                } else {
                    f.path.trim_start_matches("./").to_string()
                }
            })
            .collect();
        let mut budget: HashMap<&str, usize> = HashMap::new();
        for e in &self.findings {
            *budget.entry(e.fingerprint.as_str()).or_default() += 1;
        }
        let before = diags.len();
        diags.retain(|d| {
            if super::is_input_failure(d) {
                return true;
            }
            let Some(f) = files.get(d.file) else {
                return true;
            };
            let fp = fingerprint(d, f, &keys[d.file]);
            match budget.get_mut(fp.as_str()) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    false
                }
                _ => true,
            }
        });
        before - diags.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn lint(text: &str) -> (Vec<SourceFile>, Vec<Diagnostic>) {
        lint_at("rules.yaml", text)
    }

    fn lint_at(path: &str, text: &str) -> (Vec<SourceFile>, Vec<Diagnostic>) {
        let s = SourceFile::from_text(path, text.to_string(), 0);
        let r = crate::lint::run_sources(vec![s], &Config::default());
        (r.files, r.diagnostics)
    }

    fn paths(cwd: &str, root: &str) -> BaselinePaths {
        BaselinePaths {
            cwd: PathBuf::from(cwd),
            root: PathBuf::from(root),
        }
    }

    #[test]
    fn survives_line_moves_and_catches_new_findings() {
        let old = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n";
        let (files, diags) = lint(old);
        let at = paths("/nonexistent/repo", "/nonexistent/repo");
        let baseline = Baseline::of(&diags, &files, &at);
        let per_alert = baseline.findings.len();
        assert!(per_alert >= 2, "{:?}", baseline.findings);
        // Lines move down by two; a new alert B appears.
        let new = "# header\n# more\ngroups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n  - alert: B\n    expr: up == 0\n";
        let (files, mut diags) = lint(new);
        assert_eq!(baseline.filter(&mut diags, &files, &at), per_alert);
        assert_eq!(diags.len(), per_alert);
        assert!(diags.iter().all(|d| d.message.contains("\"B\"")));
    }

    #[test]
    fn paths_are_relative_to_the_root_whatever_the_working_directory() {
        let rule = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n";
        // Written at the root as `rules/gpu.yaml` …
        let (files, diags) = lint_at("./rules/gpu.yaml", rule);
        let root = paths("/nonexistent/repo", "/nonexistent/repo");
        let baseline = Baseline::of(&diags, &files, &root);
        assert!(baseline.findings.iter().all(|e| e.path == "rules/gpu.yaml"));
        assert_eq!(baseline.version, VERSION);
        // … it accepts the same findings from `rules/` as `gpu.yaml`, and
        // from elsewhere by an absolute path.
        let (files, mut diags) = lint_at("gpu.yaml", rule);
        let n = diags.len();
        let sub = paths("/nonexistent/repo/rules", "/nonexistent/repo");
        assert_eq!(baseline.filter(&mut diags, &files, &sub), n);
        let (files, mut diags) = lint_at("/nonexistent/repo/rules/../rules/gpu.yaml", rule);
        assert_eq!(
            baseline.filter(&mut diags, &files, &paths("/tmp", "/nonexistent/repo")),
            n
        );
        // Another file with the same findings is not accepted.
        let (files, mut diags) = lint_at("other.yaml", rule);
        assert_eq!(baseline.filter(&mut diags, &files, &sub), 0);
        // Outside the root, the path is kept as given.
        assert_eq!(root.key("../elsewhere/x.yaml"), "../elsewhere/x.yaml");
    }

    #[test]
    fn version_1_baselines_compare_paths_as_given() {
        let rule = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n";
        let (files, diags) = lint_at("./rules/gpu.yaml", rule);
        let v1 = Baseline {
            version: 1,
            findings: diags
                .iter()
                .map(|d| Entry {
                    code: d.lint.code.to_string(),
                    path: "rules/gpu.yaml".into(),
                    fingerprint: fingerprint(d, &files[d.file], "rules/gpu.yaml"),
                    message: d.message.clone(),
                })
                .collect(),
        };
        let (files, mut diags) = lint_at("rules/gpu.yaml", rule);
        let n = diags.len();
        let elsewhere = paths("/nonexistent/other", "/nonexistent/other");
        assert_eq!(v1.filter(&mut diags, &files, &elsewhere), n);
    }
}
