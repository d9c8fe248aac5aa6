//! Lines added or changed since a git revision, for `--diff-base REF`
//! (pull-request mode: report only findings on those lines).
//!
//! Each linted file is compared in the repository that holds it (`git
//! rev-parse --show-toplevel` from its directory), so a rule file inside a
//! git submodule is diffed in the submodule, not dropped by the
//! superproject's diff. The revision is user input that reaches git: it is
//! validated ([`check_ref`]), resolved once per repository with `rev-parse
//! --verify --end-of-options REF^{commit}`, and only the resulting commit
//! id is passed to `git diff`; every git call runs with
//! `--no-optional-locks` (a linter must not write the index).

use std::collections::{HashMap, HashSet};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Changed lines per file, keyed by canonical path.
#[derive(Debug, Default)]
pub struct Changes {
    /// 1-based inclusive line ranges added or changed, per file.
    files: HashMap<PathBuf, Vec<RangeInclusive<usize>>>,
    /// Files git does not track: every line is new.
    untracked: HashSet<PathBuf>,
}

/// Longest revision accepted by [`check_ref`], in bytes.
pub const MAX_REF_BYTES: usize = 1024;

/// Checks that `base` can only be read by git as a revision: not empty, at
/// most [`MAX_REF_BYTES`], not starting with `-` (which git would take as an
/// option, e.g. `--output=FILE`), and without whitespace or control
/// characters (which no ref name holds, as git's `check-ref-format`).
///
/// # Errors
/// Why the value is refused, for the message after `--diff-base VALUE: `.
pub fn check_ref(base: &str) -> Result<(), String> {
    if base.is_empty() {
        return Err("the revision is empty".to_string());
    }
    if base.len() > MAX_REF_BYTES {
        return Err(format!("the revision is longer than {MAX_REF_BYTES} bytes"));
    }
    if base.starts_with('-') {
        return Err(
            "a revision cannot start with `-` (git would read it as an option)".to_string(),
        );
    }
    if base.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("a revision cannot contain whitespace or control characters".to_string());
    }
    Ok(())
}

fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .arg("--no-optional-locks")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

impl Changes {
    /// What changed since revision `base` in the repositories holding
    /// `paths` (each path's own repository: committed, staged and unstaged
    /// changes, and untracked files). Paths that do not exist are skipped
    /// (the run reports them as unreadable).
    ///
    /// # Errors
    /// `base` refused by [`check_ref`]; a path not in a git repository; a
    /// revision unknown in one of the repositories; git not installed.
    pub fn for_paths<'p>(
        paths: impl IntoIterator<Item = &'p Path>,
        base: &str,
    ) -> Result<Changes, String> {
        check_ref(base)?;
        let mut roots: HashMap<PathBuf, Option<PathBuf>> = HashMap::new();
        let mut repos: Vec<PathBuf> = Vec::new();
        for p in paths {
            let Ok(full) = p.canonicalize() else { continue };
            let dir = if full.is_dir() {
                full.clone()
            } else {
                match full.parent() {
                    Some(d) => d.to_path_buf(),
                    None => continue,
                }
            };
            let root = match roots.get(&dir) {
                Some(r) => r.clone(),
                None => {
                    let r = repo_root(&dir);
                    roots.insert(dir.clone(), r.clone());
                    r
                }
            };
            let Some(root) = root else {
                return Err(format!("{} is not in a git repository", p.display()));
            };
            if !repos.contains(&root) {
                repos.push(root);
            }
        }
        let mut changes = Changes::default();
        for root in &repos {
            changes.add_repo(root, base)?;
        }
        Ok(changes)
    }

    fn add_repo(&mut self, root: &Path, base: &str) -> Result<(), String> {
        let commit = resolve_commit(root, base)?;
        let commit = commit.as_str();
        let diff = git(
            root,
            &[
                "diff",
                "--no-color",
                "--no-ext-diff",
                "--no-textconv",
                "--unified=0",
                "--end-of-options",
                commit,
                "--",
            ],
        )?;
        let parsed = parse_diff(&diff, root);
        for (k, v) in parsed.files {
            self.files.entry(k).or_default().extend(v);
        }
        let untracked = git(root, &["ls-files", "-z", "--others", "--exclude-standard"])?;
        self.untracked.extend(
            untracked
                .split('\0')
                .filter(|l| !l.is_empty())
                .filter_map(|l| root.join(l).canonicalize().ok()),
        );
        Ok(())
    }

    /// Whether 1-based `line` of `path` was added or changed.
    pub fn touches(&self, path: &Path, line: usize) -> bool {
        let Ok(p) = path.canonicalize() else {
            return false;
        };
        if self.untracked.contains(&p) {
            return true;
        }
        self.files
            .get(&p)
            .is_some_and(|ranges| ranges.iter().any(|r| r.contains(&line)))
    }
}

/// The commit id `base` names in the repository at `root` (`rev-parse
/// --verify REF^{commit}`): only this id is passed on to other git calls.
fn resolve_commit(root: &Path, base: &str) -> Result<String, String> {
    let unknown = || format!("unknown revision in the repository {}", root.display());
    let spec = format!("{base}^{{commit}}");
    let commit = git(
        root,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &spec,
        ],
    )
    .map_err(|_| unknown())?;
    let commit = commit.trim();
    if commit.is_empty() || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(unknown());
    }
    Ok(commit.to_string())
}

/// The repository that holds `dir` (`rev-parse --show-toplevel`), if any.
fn repo_root(dir: &Path) -> Option<PathBuf> {
    git(dir, &["rev-parse", "--show-toplevel"])
        .ok()
        .map(|t| PathBuf::from(t.trim_end_matches(['\n', '\r'])))
}

/// The content of file `path` at revision `base` of the repository that
/// holds it (`git cat-file blob COMMIT:PATH`), for `backtest --compare REF`
/// and `--diff-base REF`. `Ok(None)` when the file did not exist at `base`.
///
/// # Errors
/// A revision [`check_ref`] refuses, `path` outside a git repository, a
/// revision the repository does not know, or a file at `base` larger than
/// [`super::MAX_FILE_BYTES`].
pub fn file_at(path: &Path, base: &str) -> Result<Option<Vec<u8>>, String> {
    check_ref(base)?;
    let full = path
        .canonicalize()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let dir = full.parent().unwrap_or(&full);
    let root =
        repo_root(dir).ok_or_else(|| format!("{} is not in a git repository", path.display()))?;
    let root = root.canonicalize().unwrap_or(root);
    let commit = resolve_commit(&root, base)?;
    let rel = full.strip_prefix(&root).map_err(|_| {
        format!(
            "{} is outside the repository {}",
            path.display(),
            root.display()
        )
    })?;
    let rel = rel.to_string_lossy().replace('\\', "/");
    let spec = format!("{commit}:{rel}");
    if git(&root, &["cat-file", "-e", &spec]).is_err() {
        return Ok(None);
    }
    let size: u64 = git(&root, &["cat-file", "-s", &spec])?
        .trim()
        .parse()
        .map_err(|_| format!("git cat-file -s {spec}: not a size"))?;
    if size > super::MAX_FILE_BYTES {
        return Err(format!(
            "{} at {base} is larger than {} bytes",
            path.display(),
            super::MAX_FILE_BYTES
        ));
    }
    let out = Command::new("git")
        .arg("--no-optional-locks")
        .arg("-C")
        .arg(&root)
        .args(["cat-file", "blob", &spec])
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git cat-file blob {spec}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(Some(out.stdout))
}

/// Parses `git diff --unified=0` output: `+++ b/path` then `@@ -a,b +c,d @@` hunks.
fn parse_diff(diff: &str, root: &Path) -> Changes {
    let mut changes = Changes::default();
    let mut current: Option<PathBuf> = None;
    for line in diff.lines() {
        if let Some(p) = line.strip_prefix("+++ ") {
            current = p.strip_prefix("b/").map(|rel| {
                let full = root.join(rel);
                full.canonicalize().unwrap_or(full)
            });
        } else if let (Some(hunk), Some(file)) = (line.strip_prefix("@@ "), &current) {
            let Some(added) = hunk.split(' ').find(|w| w.starts_with('+')) else {
                continue;
            };
            let mut parts = added[1..].split(',');
            let start: usize = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
            let count: usize = parts.next().and_then(|s| s.parse().ok()).unwrap_or(1);
            if count > 0 {
                changes
                    .files
                    .entry(file.clone())
                    .or_default()
                    .push(start..=start + count - 1);
            }
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hunks() {
        let root = Path::new("/nonexistent-root");
        let diff = "diff --git a/r.yaml b/r.yaml\n--- a/r.yaml\n+++ b/r.yaml\n@@ -3,0 +4,2 @@ groups:\n+  - a\n+  - b\n@@ -10 +12 @@\n-x\n+y\n@@ -20,3 +22,0 @@\n";
        let c = parse_diff(diff, root);
        let ranges = &c.files[&root.join("r.yaml")];
        assert_eq!(ranges, &vec![4..=5, 12..=12]);
    }

    #[test]
    fn refs_that_git_would_read_as_options_are_refused() {
        for ok in ["HEAD", "origin/main", "HEAD~1", "v1.2.3", "abc123^"] {
            assert_eq!(check_ref(ok), Ok(()), "{ok}");
        }
        for bad in ["", "--output=/tmp/x", "-p", "a b", "a\nb", "a\u{7f}"] {
            assert!(check_ref(bad).is_err(), "{bad:?}");
        }
        assert!(check_ref(&"a".repeat(MAX_REF_BYTES + 1)).is_err());
    }
}
