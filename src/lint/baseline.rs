//! Baselines for adopting mlalert on a repository with existing findings:
//! `--write-baseline FILE` records today's findings, `--baseline FILE`
//! reports only new ones.
//!
//! A finding's fingerprint hashes its lint code, its file's path, its message
//! and the text of the line it points at (trimmed), not its line number, so
//! it survives lines moving up or down. Identical findings are counted.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::Diagnostic;
use crate::source::SourceFile;

/// A baseline file: the fingerprints of accepted findings.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Baseline {
    /// Format version (1).
    pub version: u32,
    /// One entry per accepted finding.
    pub findings: Vec<Entry>,
}

/// One accepted finding.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    /// Lint code.
    pub code: String,
    /// File path as given when the baseline was written.
    pub path: String,
    /// 16 hex digits (FNV-1a 64 of code, path, message and line text).
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

/// The fingerprint of `d`, a finding in `source`.
pub fn fingerprint(d: &Diagnostic, source: &SourceFile) -> String {
    let lines = source.lines();
    let start = lines.line_start(lines.line_of(d.span.start.min(source.text.len())));
    let line = source.text[start..].split('\n').next().unwrap_or("").trim();
    let path = source.path.trim_start_matches("./");
    format!("{:016x}", fnv1a(&[d.lint.code, path, &d.message, line]))
}

impl Baseline {
    /// A baseline of `diags` (file ids index `files`).
    pub fn of(diags: &[Diagnostic], files: &[SourceFile]) -> Baseline {
        let findings = diags
            .iter()
            .filter_map(|d| {
                let f = files.get(d.file)?;
                Some(Entry {
                    code: d.lint.code.to_string(),
                    path: f.path.clone(),
                    fingerprint: fingerprint(d, f),
                    message: d.message.clone(),
                })
            })
            .collect();
        Baseline {
            version: 1,
            findings,
        }
    }

    /// Removes from `diags` the findings the baseline accepts (each entry
    /// accepts one finding); returns how many were removed. Input failures
    /// ([`super::is_input_failure`]) are never removed.
    pub fn filter(&self, diags: &mut Vec<Diagnostic>, files: &[SourceFile]) -> usize {
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
            let fp = fingerprint(d, f);
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
        let s = SourceFile::from_text("rules.yaml", text.to_string(), 0);
        let r = crate::lint::run_sources(vec![s], &Config::default());
        (r.files, r.diagnostics)
    }

    #[test]
    fn survives_line_moves_and_catches_new_findings() {
        let old = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n";
        let (files, diags) = lint(old);
        let baseline = Baseline::of(&diags, &files);
        let per_alert = baseline.findings.len();
        assert!(per_alert >= 2, "{:?}", baseline.findings);
        // Lines move down by two; a new alert B appears.
        let new = "# header\n# more\ngroups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n  - alert: B\n    expr: up == 0\n";
        let (files, mut diags) = lint(new);
        assert_eq!(baseline.filter(&mut diags, &files), per_alert);
        assert_eq!(diags.len(), per_alert);
        assert!(diags.iter().all(|d| d.message.contains("\"B\"")));
    }
}
