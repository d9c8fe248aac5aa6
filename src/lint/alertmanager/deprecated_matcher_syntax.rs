//! `deprecated-matcher-syntax` (ML303): `match`, `match_re`, `source_match*`
//! and `target_match*` are deprecated since Alertmanager 0.22 in favour of
//! `matchers`, `source_matchers` and `target_matchers`; and `matchers:`
//! entries that only the classic parser accepts (Alertmanager 0.27+ logs a
//! warning and will refuse them once the fallback mode goes away).

use crate::diagnostic::{Applicability, Edit, Fix};
use crate::lint::fix::{entry_lines, key_written};
use crate::lint::{AmCtx, Lint, Reporter};
use crate::model::Field;
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
            let at = Site {
                fields: &rule.fields,
                complete: rule.complete,
            };
            check(&rule.source, "source_", &at, cx, r);
            check(&rule.target, "target_", &at, cx, r);
        }
    }
}

/// The mapping the matchers are written in: its fields, and whether every
/// matcher of it parsed (else a rewrite would drop the ones that did not).
struct Site<'a> {
    fields: &'a [Field],
    complete: bool,
}

fn visit(route: &Route, cx: &AmCtx, r: &mut Reporter) {
    let at = Site {
        fields: &route.fields,
        complete: route.matchers_complete,
    };
    check(&route.matchers, "", &at, cx, r);
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

fn check(ms: &[SpannedMatcher], prefix: &str, at: &Site, cx: &AmCtx, r: &mut Reporter) {
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
        ))
        .fix(rewrite(cx, at, prefix, &all));
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

/// `match:`, `match_re:` (and a `matchers:` beside them) → one
/// `matchers: [...]` list holding every matcher, in the place of the first
/// of them (safe: the same matchers, ANDed as before). The other fields'
/// lines are removed, so they must be block mapping entries on lines of
/// their own; no fix when a comment sits inside a rewritten field (it would
/// be lost), when a field comes from a merge key, when a matcher of the
/// mapping did not parse, or when a matcher would need escaping inside the
/// quotes.
fn rewrite(cx: &AmCtx, at: &Site, prefix: &str, all: &[&SpannedMatcher]) -> Option<Fix> {
    // A merged `<<:matchers` list would be repeated in the new one.
    if !at.complete || at.fields.iter().any(|f| f.key.value.starts_with("<<")) {
        return None;
    }
    let names = ["match", "match_re", "matchers"].map(|f| format!("{prefix}{f}"));
    let fields: Vec<&Field> = at
        .fields
        .iter()
        .filter(|f| names.contains(&f.key.value))
        .collect();
    let (first, rest) = fields.split_first()?;
    if fields.iter().any(|f| !key_written(cx.source, f)) {
        return None;
    }
    let strings: Vec<String> = all.iter().map(|m| m.matcher.to_string()).collect();
    if strings
        .iter()
        .any(|s| s.contains('\'') || s.chars().any(char::is_control))
    {
        return None;
    }
    let text = cx.source.text.as_str();
    let has_comment = |span: crate::source::Span| {
        text.get(span.range())
            .is_none_or(|t| t.lines().skip(1).any(|l| l.trim_start().starts_with('#')))
    };
    let replaced = crate::source::Span::new(first.key.span.start, first.value.end);
    let mut edits = vec![Some(Edit {
        span: replaced,
        replacement: matchers_line(&format!("{prefix}matchers"), all),
    })];
    for f in rest {
        let lines = entry_lines(cx.source, f);
        edits.push(lines.map(|span| Edit {
            span,
            replacement: String::new(),
        }));
    }
    let spans: Vec<crate::source::Span> = edits.iter().flatten().map(|e| e.span).collect();
    if spans.iter().any(|s| has_comment(*s)) {
        return None;
    }
    Fix::of(
        format!("rewrite as `{prefix}matchers`"),
        Applicability::Safe,
        edits,
    )
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

    fn fix_of(y: &str) -> Option<crate::diagnostic::Fix> {
        let d = run_on(&super::META, y);
        assert_eq!(d.len(), 1, "{y}");
        d[0].fix.clone()
    }

    #[test]
    fn no_fix_where_a_comment_or_a_merge_would_be_lost() {
        let ok = "route:\n  receiver: a\n  routes:\n  - receiver: a\n    match:\n      team: ml\nreceivers:\n- name: a\n";
        let fix = fix_of(ok).unwrap();
        assert_eq!(
            crate::lint::fix::apply(ok, &[&fix]).text,
            "route:\n  receiver: a\n  routes:\n  - receiver: a\n    matchers: ['team=\"ml\"']\nreceivers:\n- name: a\n"
        );
        let comment = "route:\n  receiver: a\n  routes:\n  - receiver: a\n    match:\n      # the ML team\n      team: ml\nreceivers:\n- name: a\n";
        assert!(fix_of(comment).is_none());
        // `match` merged from an anchor: its key is not written in this route.
        let merged = "route:\n  receiver: a\n  routes:\n  - &r\n    receiver: a\n    match:\n      team: ml\n  - <<: *r\n    continue: true\nreceivers:\n- name: a\n";
        let d = run_on(&super::META, merged);
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(d[0].fix.is_some() && d[1].fix.is_none());
    }
}
