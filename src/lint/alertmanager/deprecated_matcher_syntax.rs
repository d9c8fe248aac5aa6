//! `deprecated-matcher-syntax` (ML303): `match`, `match_re`, `source_match*`
//! and `target_match*` are deprecated since Alertmanager 0.22 in favour of
//! `matchers`, `source_matchers` and `target_matchers`; and `matchers:`
//! entries that only the classic parser accepts (Alertmanager 0.27+ logs a
//! warning and will refuse them once the fallback mode goes away).

use crate::lint::{AmCtx, Lint, Reporter};
use crate::model::alertmanager::{MatcherSource, Route, SpannedMatcher};

crate::declare_lint! {
    /// The `deprecated-matcher-syntax` lint.
    pub struct DeprecatedMatcherSyntax {
        code: "ML303",
        name: "deprecated-matcher-syntax",
        category: Style,
        severity: Warning,
        summary: "`match`/`match_re` or a matcher only the classic parser accepts",
    }
}

impl Lint for DeprecatedMatcherSyntax {
    fn check_alertmanager(&self, cx: &AmCtx, r: &mut Reporter) {
        if let Some(root) = &cx.am.route {
            visit(root, cx, r);
        }
        for rule in &cx.am.inhibit_rules {
            check(&rule.source, "source_", cx, r);
            check(&rule.target, "target_", cx, r);
        }
    }
}

fn visit(route: &Route, cx: &AmCtx, r: &mut Reporter) {
    check(&route.matchers, "", cx, r);
    for child in &route.routes {
        visit(child, cx, r);
    }
}

/// The `matchers:` line to write for a list of matchers.
pub fn matchers_line(field: &str, ms: &[&SpannedMatcher]) -> String {
    let items: Vec<String> = ms
        .iter()
        .map(|m| {
            let s = m.matcher.to_string();
            if s.contains('\'') {
                format!("{s:?}")
            } else {
                format!("'{s}'")
            }
        })
        .collect();
    format!("{field}: [{}]", items.join(", "))
}

fn check(ms: &[SpannedMatcher], prefix: &str, _cx: &AmCtx, r: &mut Reporter) {
    let old: Vec<&SpannedMatcher> = ms
        .iter()
        .filter(|m| m.source != MatcherSource::Matchers)
        .collect();
    if let Some(first) = old.first() {
        let mut fields: Vec<&str> = Vec::new();
        for m in &old {
            let f = if m.source == MatcherSource::Match {
                "match"
            } else {
                "match_re"
            };
            if !fields.contains(&f) {
                fields.push(f);
            }
        }
        let written: Vec<String> = fields.iter().map(|f| format!("`{prefix}{f}`")).collect();
        // Existing `matchers:` entries are kept: the new list holds them all.
        let all: Vec<&SpannedMatcher> = ms.iter().collect();
        r.report(
            first.span,
            format!(
                "{} {} deprecated",
                written.join(" and "),
                if fields.len() > 1 { "are" } else { "is" }
            ),
        )
        .help(format!(
            "write `{}` instead",
            matchers_line(&format!("{prefix}matchers"), &all)
        ));
    }
    let mut seen = Vec::new();
    for m in ms.iter().filter(|m| m.classic_only) {
        if seen.contains(&m.span) {
            continue;
        }
        seen.push(m.span);
        let same: Vec<&SpannedMatcher> = ms.iter().filter(|x| x.span == m.span).collect();
        let fixed: Vec<String> = same.iter().map(|x| x.matcher.to_string()).collect();
        r.report(m.span, "only Alertmanager's classic matcher parser accepts this entry: 0.27+ logs a warning and the UTF-8 parser will refuse it")
            .help(format!("quote the value: `{}`", fixed.join(", ")));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    #[test]
    fn flags_match_and_classic_only() {
        let y = "route:\n  receiver: a\n  routes:\n  - receiver: a\n    match: {team: ml}\n    match_re: {severity: 'critical|page'}\n  - receiver: a\n    matchers: ['foo=bar baz']\nreceivers:\n- name: a\ninhibit_rules:\n- source_match: {severity: critical}\n  target_matchers: [severity=warning]\n  equal: [alertname]\n";
        let d = run_on(&super::META, y);
        assert_eq!(d.len(), 3, "{d:?}");
        assert!(
            d[0].help
                .as_ref()
                .unwrap()
                .contains("matchers: ['team=\"ml\"', 'severity=~\"critical|page\"']")
        );
        assert!(d[2].help.as_ref().unwrap().contains("source_matchers"));
    }

    #[test]
    fn passes_matchers() {
        let y = "route:\n  receiver: a\n  routes:\n  - receiver: a\n    matchers: [team=ml, 'severity=~\"critical|page\"']\nreceivers:\n- name: a\n";
        assert!(run_on(&super::META, y).is_empty());
    }
}
