//! Which alerting rules a backtest replays, and how the rules of two
//! versions of the files (`--diff-base REF`, `--compare REF`) are paired.
//!
//! A rule is known by its [`RuleKey`]: file, group, alert name and which
//! occurrence of that name in the group it is, so renaming a group or an
//! alert makes a new rule, and moving a rule inside its file does not.

use crate::model::rules::RuleKind;
use crate::unittest::rules::{GroupDef, RuleDef};

/// A rule's identity across versions of its file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleKey {
    /// The rule file (as displayed).
    pub file: String,
    /// Group name.
    pub group: String,
    /// Alert name.
    pub alert: String,
    /// 0 for the first alerting rule of that name in the group, 1 for the next…
    pub nth: usize,
}

/// An alerting rule of a set of groups: indices into the groups and their rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    /// Index of the group.
    pub group: usize,
    /// Index of the rule in the group.
    pub rule: usize,
    /// Its key.
    pub key: RuleKey,
}

/// Every alerting rule of `groups`, in file order.
pub fn alerting_rules(groups: &[GroupDef]) -> Vec<Selected> {
    let mut out = Vec::new();
    for (gi, g) in groups.iter().enumerate() {
        let mut seen: Vec<&str> = Vec::new();
        for (ri, r) in g.rules.iter().enumerate() {
            if r.kind != RuleKind::Alerting {
                continue;
            }
            let nth = seen.iter().filter(|n| **n == r.name).count();
            seen.push(&r.name);
            out.push(Selected {
                group: gi,
                rule: ri,
                key: RuleKey {
                    file: g.file.clone(),
                    group: g.name.clone(),
                    alert: r.name.clone(),
                    nth,
                },
            });
        }
    }
    out
}

/// What makes a rule's backtest numbers: its expression, `for`,
/// `keep_firing_for`, labels, and its group's `interval` and `query_offset`
/// (annotations do not change them).
fn definition<'g>(g: &'g GroupDef, r: &'g RuleDef) -> impl PartialEq + 'g {
    (
        r.expr_text.trim(),
        r.for_ms,
        r.keep_firing_for_ms,
        &r.labels,
        g.interval_ms,
        g.query_offset_ms,
    )
}

/// The alerting rules of `now` that are new or defined differently in
/// `base` (`--diff-base`).
pub fn changed(now: &[GroupDef], base: &[GroupDef]) -> Vec<Selected> {
    let before = alerting_rules(base);
    alerting_rules(now)
        .into_iter()
        .filter(|s| {
            let (g, r) = (&now[s.group], &now[s.group].rules[s.rule]);
            !before.iter().any(|b| {
                b.key == s.key && {
                    let (bg, br) = (&base[b.group], &base[b.group].rules[b.rule]);
                    definition(bg, br) == definition(g, r)
                }
            })
        })
        .collect()
}

/// For each of `selected`, the rule of `base` with the same key, if any
/// (`--compare`).
pub fn pair(selected: &[Selected], base: &[Selected]) -> Vec<Option<usize>> {
    selected
        .iter()
        .map(|s| base.iter().position(|b| b.key == s.key))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    fn groups(yaml: &str) -> Vec<GroupDef> {
        let src = SourceFile::new("r.yaml", yaml.as_bytes().to_vec()).expect("utf8");
        crate::unittest::rules::load_rule_file(&src, false, &[]).expect("rule file")
    }

    const BASE: &str = "groups:\n  - name: gpu\n    rules:\n      - record: x\n        expr: up\n      - alert: Hot\n        expr: temp > 80\n        for: 5m\n      - alert: Down\n        expr: up == 0\n        annotations: {summary: a}\n";

    #[test]
    fn only_alerting_rules_with_their_occurrence() {
        let g = groups(
            "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n      - record: r\n        expr: up\n      - alert: A\n        expr: up == 0\n",
        );
        let s = alerting_rules(&g);
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].rule, s[0].key.nth), (0, 0));
        assert_eq!((s[1].rule, s[1].key.nth), (2, 1));
    }

    #[test]
    fn changed_rules_are_new_or_defined_differently() {
        let base = groups(BASE);
        assert!(changed(&base, &base).is_empty());
        // `for` changed on Hot; Down only got another annotation; New is new.
        let text = BASE
            .replace("for: 5m", "for: 10m")
            .replace("summary: a", "summary: b")
            + "      - alert: New\n        expr: vector(1)\n";
        let now = groups(&text);
        let names: Vec<String> = changed(&now, &base)
            .into_iter()
            .map(|s| s.key.alert)
            .collect();
        assert_eq!(names, ["Hot", "New"]);
        let interval = groups(&BASE.replace("name: gpu\n", "name: gpu\n    interval: 30s\n"));
        assert_eq!(changed(&interval, &base).len(), 2);
    }

    #[test]
    fn pairs_by_key() {
        let base = groups(BASE);
        let now = groups(&BASE.replace("alert: Down", "alert: Gone"));
        let (s, b) = (alerting_rules(&now), alerting_rules(&base));
        assert_eq!(pair(&s, &b), vec![Some(0), None]);
    }
}
