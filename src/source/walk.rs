//! Finding input files: directories are walked with the `ignore` crate
//! (.gitignore respected, hidden folders such as `.github` included, only
//! `*.yaml`, `*.yml` and `*.rules`, the extensions Prometheus rule files
//! commonly carry); files named on the command line are always taken.
//!
//! Symbolic links are followed, as ripgrep's `--follow` does: a linked
//! `*.yaml` file or directory is checked like a real one. A link that closes
//! a loop (a directory linking to one of its ancestors) is not followed again:
//! the walk already covers everything under it, so nothing is lost. A broken
//! link named `*.yaml` is an error (the file it stood for is not checked). A
//! file reached by two paths (a link next to its target) is checked once,
//! under its own path rather than the link's.

use std::path::{Path, PathBuf};

/// A path that could not be walked.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct WalkError {
    /// The path as given or as found.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

/// The message for a named directory in which the walk found no file to
/// check.
pub const NOTHING_TO_LINT: &str =
    "directory holds no *.yaml, *.yml or *.rules file to check (.gitignore respected)";

/// The files to check under `paths`, sorted and without duplicates.
/// A named file is taken whatever its extension; a named directory is walked
/// for `*.yaml`, `*.yml` and `*.rules` (a named directory that is itself called `*.yaml` is
/// returned as a path, so that reading it reports the mistake). Missing paths, walk failures and named
/// directories holding no such file ([`NOTHING_TO_LINT`]) are returned as
/// errors next to the files that were found.
pub fn walk_paths(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<WalkError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        if p.is_dir() && !is_yaml(p) {
            let walker = ignore::WalkBuilder::new(p)
                .hidden(false)
                .git_ignore(true)
                .git_global(false)
                .git_exclude(true)
                .require_git(false)
                .follow_links(true)
                .filter_entry(|e| e.file_name() != ".git")
                .build();
            // (via a link itself, depth, path, canonical path) of each file found.
            let mut found: Vec<(bool, usize, PathBuf, Option<PathBuf>)> = Vec::new();
            for entry in walker {
                match entry {
                    Ok(e) => {
                        let path = e.path();
                        if e.file_type().is_some_and(|t| t.is_file()) && is_yaml(path) {
                            found.push((
                                e.path_is_symlink(),
                                path.components().count(),
                                path.to_path_buf(),
                                std::fs::canonicalize(path).ok(),
                            ));
                        }
                    }
                    Err(err) => match walk_failure(&err) {
                        Failure::Loop => {}
                        Failure::Path(at) if is_broken_link(at) => {
                            // Only a link named like an input file stood for one.
                            if is_yaml(at) {
                                errors.push(WalkError {
                                    path: at.display().to_string(),
                                    message: "broken symbolic link (its target does not exist)"
                                        .to_string(),
                                });
                            }
                        }
                        _ => errors.push(WalkError {
                            path: p.display().to_string(),
                            message: err.to_string(),
                        }),
                    },
                }
            }
            // A named directory that holds nothing to lint is a mistake
            // (a wrong path, a rule folder under another name): say so
            // rather than passing with "0 files".
            if found.is_empty() && !errors.iter().any(|e| e.path == p.display().to_string()) {
                errors.push(WalkError {
                    path: p.display().to_string(),
                    message: NOTHING_TO_LINT.to_string(),
                });
            }
            // One path per file: real paths before links, shallow before deep.
            found.sort();
            let mut seen = std::collections::HashSet::new();
            for (_, _, path, canonical) in found {
                if canonical.is_none_or(|c| seen.insert(c)) {
                    files.push(path);
                }
            }
        } else if p.exists() || p.symlink_metadata().is_ok() {
            files.push(p.clone());
        } else {
            errors.push(WalkError {
                path: p.display().to_string(),
                message: "no such file or directory".to_string(),
            });
        }
    }
    files.sort();
    files.dedup();
    (files, errors)
}

/// What a walk error is about.
enum Failure<'a> {
    /// A link to an ancestor directory.
    Loop,
    /// Something at this path (a broken link, an unreadable directory).
    Path(&'a Path),
    /// Anything else.
    Other,
}

fn walk_failure(err: &ignore::Error) -> Failure<'_> {
    match err {
        ignore::Error::Loop { .. } => Failure::Loop,
        ignore::Error::WithPath { path, err } => match walk_failure(err) {
            Failure::Other => Failure::Path(path),
            f => f,
        },
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_failure(err)
        }
        _ => Failure::Other,
    }
}

fn is_broken_link(path: &Path) -> bool {
    path.symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink())
        && std::fs::metadata(path).is_err()
}

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "rules")
    )
}
