//! Lines added or changed since a git revision, for `--diff-base REF`
//! (pull-request mode: report only findings on those lines).

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Changed lines per file, keyed by canonical path.
#[derive(Debug, Default)]
pub struct Changes {
    /// 1-based inclusive line ranges added or changed, per file.
    files: HashMap<PathBuf, Vec<RangeInclusive<usize>>>,
    /// Files git does not track: every line is new.
    untracked: Vec<PathBuf>,
}

fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
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
    /// What changed in the working tree of the repository holding `dir`
    /// since revision `base` (committed, staged and unstaged changes, and
    /// untracked files).
    ///
    /// # Errors
    /// Not a git repository, unknown revision, git not installed.
    pub fn since(dir: &Path, base: &str) -> Result<Changes, String> {
        let root = PathBuf::from(git(dir, &["rev-parse", "--show-toplevel"])?.trim());
        let diff = git(
            &root,
            &[
                "diff",
                "--no-color",
                "--no-ext-diff",
                "--unified=0",
                base,
                "--",
            ],
        )?;
        let mut changes = parse_diff(&diff, &root);
        let untracked = git(&root, &["ls-files", "--others", "--exclude-standard"])?;
        changes.untracked = untracked
            .lines()
            .filter_map(|l| root.join(l).canonicalize().ok())
            .collect();
        Ok(changes)
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
}
