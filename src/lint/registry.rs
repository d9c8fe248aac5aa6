//! The catalogue: every lint mlalert runs, and every lint it can report.
//! Lints register themselves where they are declared ([`crate::declare_lint!`],
//! [`crate::declare_input_lint!`]); nothing here lists them by hand.

use super::Lint;
use crate::diagnostic::LintMeta;

/// A lint run as a pass: its metadata and its checks.
pub struct Registered {
    /// Code, name, category, default severity, summary, page.
    pub meta: &'static LintMeta,
    /// The checks.
    pub lint: &'static dyn Lint,
}

/// Every lint run as a pass, registered by [`crate::declare_lint!`].
/// Unordered: use [`checks`].
#[linkme::distributed_slice]
pub static CHECKS: [Registered];

/// Every lint run as a pass, in code order.
pub fn checks() -> Vec<&'static Registered> {
    let mut v: Vec<&'static Registered> = CHECKS.iter().collect();
    v.sort_by_key(|r| r.meta.code);
    v
}

/// Every lint's metadata (passes and input lints), sorted by code.
pub fn all() -> Vec<&'static LintMeta> {
    crate::diagnostic::catalogue()
}

/// The lint with this code or name (case-insensitive).
pub fn find(code_or_name: &str) -> Option<&'static LintMeta> {
    crate::diagnostic::find_lint(code_or_name)
}

/// The README's lint table, generated from the registry (a test checks that
/// README.md holds exactly this between its lint-table markers).
pub fn markdown_table() -> String {
    let defaults = crate::config::Config::default();
    let mut out = String::from(
        "| Code | Name | Category | Severity | What it finds |\n|---|---|---|---|---|\n",
    );
    for m in all() {
        let off = if defaults.is_enabled(m) {
            ""
        } else {
            " (off by default)"
        };
        out.push_str(&format!(
            "| {} | [{}](lints/{}-{}.md) | {} | {} | {}{off} |\n",
            m.code,
            m.name,
            m.code,
            m.name,
            m.category.as_str(),
            m.severity.as_str(),
            m.summary.replace('|', "\\|")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        let all = all();
        for (i, m) in all.iter().enumerate() {
            assert!(m.code.len() == 5 && m.code.starts_with("ML"), "{}", m.code);
            assert!(
                m.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}",
                m.name
            );
            assert!(
                all[i + 1..]
                    .iter()
                    .all(|o| o.code != m.code && o.name != m.name),
                "{} repeated",
                m.code
            );
            if m.category == super::super::Category::Invalid {
                // Input lints are errors (the input is refused), except the
                // notes on what was skipped or how it was read.
                let note = ["ML905", "ML908", "ML909", "ML910"].contains(&m.code);
                let expected = if note {
                    super::super::Severity::Info
                } else {
                    super::super::Severity::Error
                };
                assert_eq!(m.severity, expected, "{}", m.code);
            }
        }
        assert_eq!(find("missing-for").map(|m| m.code), Some("ML101"));
        assert_eq!(find("ml301").map(|m| m.name), Some("route-shadowed"));
    }
}
