//! Rules no test exercises: never evaluated to a non-empty result, or (for
//! alerting rules) never expected firing by an `alert_rule_test`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{FileReport, RuleUse};

/// A rule the tests do not exercise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Uncovered {
    /// Rule file as displayed.
    pub file: String,
    /// 1-based line of the rule.
    pub line: usize,
    /// Group name.
    pub group: String,
    /// `alert` or `record`.
    pub kind: &'static str,
    /// Rule name.
    pub rule: String,
    /// Why it counts as untested.
    pub reason: &'static str,
}

/// Coverage over a set of reports.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Coverage {
    /// Distinct rules seen.
    pub rules: usize,
    /// Those not exercised, sorted by file, line.
    pub uncovered: Vec<Uncovered>,
}

impl Coverage {
    /// The share of rules exercised, in percent (100 with no rule).
    pub fn percent(&self) -> f64 {
        if self.rules == 0 {
            return 100.0;
        }
        let covered = self.rules - self.uncovered.len();
        // Rule counts stay far below 2^52: exact as f64.
        covered as f64 * 100.0 / self.rules as f64
    }
}

/// Merges the rule uses of every test group of every report.
pub fn compute(reports: &[FileReport]) -> Coverage {
    let mut merged: BTreeMap<(String, usize, String, String), RuleUse> = BTreeMap::new();
    for u in reports
        .iter()
        .flat_map(|r| r.groups.iter())
        .flat_map(|g| g.rules.iter())
    {
        let key = (u.file.clone(), u.line, u.group.clone(), u.name.clone());
        merged
            .entry(key)
            .and_modify(|m| {
                m.nonempty |= u.nonempty;
                m.expected_firing |= u.expected_firing;
            })
            .or_insert_with(|| u.clone());
    }
    let mut cov = Coverage {
        rules: merged.len(),
        uncovered: Vec::new(),
    };
    for u in merged.into_values() {
        let reason = if !u.nonempty {
            "never evaluated to a non-empty result"
        } else if u.alerting && !u.expected_firing {
            "no alert_rule_test expects it firing"
        } else {
            continue;
        };
        cov.uncovered.push(Uncovered {
            file: u.file,
            line: u.line,
            group: u.group,
            kind: if u.alerting { "alert" } else { "record" },
            rule: u.name,
            reason,
        });
    }
    cov
}

/// A plain-text table of the uncovered rules.
pub fn table(c: &Coverage) -> String {
    let mut rows: Vec<[String; 5]> = vec![[
        "FILE:LINE".into(),
        "GROUP".into(),
        "KIND".into(),
        "RULE".into(),
        "REASON".into(),
    ]];
    for u in &c.uncovered {
        rows.push([
            format!("{}:{}", u.file, u.line),
            u.group.clone(),
            u.kind.into(),
            u.rule.clone(),
            u.reason.into(),
        ]);
    }
    let mut widths = [0usize; 5];
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in &rows {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            if i == 4 {
                line.push_str(c);
            } else {
                line.push_str(&format!("{c:<w$}  ", w = widths[i]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push_str(&format!(
        "{} of {} rules not exercised by any test\n",
        c.uncovered.len(),
        c.rules
    ));
    out
}
