//! Finding input files: directories are walked with the `ignore` crate
//! (.gitignore respected, hidden folders such as `.github` included, only
//! `*.yaml`, `*.yml` and `*.rules`, the extensions Prometheus rule files
//! commonly carry); files named on the command line are always taken.

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

/// The files to check under `paths`, sorted and without duplicates.
/// A named file is taken whatever its extension; a named directory is walked
/// for `*.yaml`, `*.yml` and `*.rules` (a named directory that is itself called `*.yaml` is
/// returned as a path, so that reading it reports the mistake). Missing paths and walk failures are returned as
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
                .filter_entry(|e| e.file_name() != ".git")
                .build();
            for entry in walker {
                match entry {
                    Ok(e) => {
                        let path = e.path();
                        if e.file_type().is_some_and(|t| t.is_file()) && is_yaml(path) {
                            files.push(path.to_path_buf());
                        }
                    }
                    Err(err) => errors.push(WalkError {
                        path: p.display().to_string(),
                        message: err.to_string(),
                    }),
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

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "rules")
    )
}
