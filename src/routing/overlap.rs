//! Reasoning over sets of matchers: does every alert matched by one route
//! also match another (`route-shadowed`)? Can one alert match two sets at
//! once (`inhibit-rule-self-match`)?
//!
//! Semantics as Alertmanager 0.34: matchers of a route are ANDed; an absent
//! label has the value ""; regexes are anchored. The check is sound (it never
//! claims coverage that does not hold) and complete for equality matchers,
//! literal alternations (`a|b`), identical regexes and `.*`.

pub use crate::go::regex::literal_alternatives;
use crate::model::alertmanager::matchers::{MatchType, Matcher};

/// True when every label set matching all of `narrow` also matches all of `broad`.
pub fn covers(broad: &[&Matcher], narrow: &[&Matcher]) -> bool {
    broad.iter().all(|m| {
        let on_label: Vec<&Matcher> = narrow
            .iter()
            .copied()
            .filter(|n| n.name == m.name)
            .collect();
        if on_label.is_empty() {
            // The label may be absent ("") or take any value.
            return is_universal(m);
        }
        on_label.iter().any(|n| implies(n, m))
    })
}

/// A label set matching every matcher of `a` and of `b`, if one is found.
///
/// Sound for "they can overlap": a returned label set does match both (an
/// absent label is `""` and is left out of the result). Values tried per
/// label: the matchers' literal values and literal alternatives, `""` and a
/// value none of them names; `None` means no such witness was found (the
/// sets may still overlap through a value only a complex regex names).
pub fn common_witness(a: &[&Matcher], b: &[&Matcher]) -> Option<Vec<(String, String)>> {
    let all: Vec<&Matcher> = a.iter().chain(b).copied().collect();
    let mut names: Vec<&str> = all.iter().map(|m| m.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut out = Vec::new();
    for name in names {
        let on: Vec<&Matcher> = all.iter().copied().filter(|m| m.name == name).collect();
        let mut candidates: Vec<String> = vec![String::new()];
        for m in &on {
            match m.op {
                MatchType::Equal | MatchType::NotEqual => candidates.push(m.value.clone()),
                MatchType::Regexp | MatchType::NotRegexp => {
                    candidates.extend(literal_alternatives(&m.value).unwrap_or_default())
                }
            }
        }
        candidates.push("mlalert-other-value".into());
        let v = candidates
            .into_iter()
            .find(|c| on.iter().all(|m| m.matches(c)))?;
        if !v.is_empty() {
            out.push((name.to_string(), v));
        }
    }
    Some(out)
}

/// True when a matcher matches every string.
pub fn is_universal(m: &Matcher) -> bool {
    match m.op {
        MatchType::Regexp => matches!(
            m.value.as_str(),
            ".*" | "(.*)" | "^.*$" | ".*?" | "(?s).*" | "(?s:.*)"
        ),
        _ => false,
    }
}

/// True when every value `n` accepts is accepted by `m` (same label).
fn implies(n: &Matcher, m: &Matcher) -> bool {
    if is_universal(m) {
        return true;
    }
    match n.op {
        MatchType::Equal => m.matches(&n.value),
        MatchType::Regexp => match literal_alternatives(&n.value) {
            Some(lits) => lits.iter().all(|l| m.matches(l)),
            None => m.op == MatchType::Regexp && m.value == n.value,
        },
        MatchType::NotEqual => match m.op {
            MatchType::NotEqual => m.value == n.value,
            MatchType::NotRegexp => {
                literal_alternatives(&m.value).is_some_and(|l| l == [n.value.clone()])
            }
            _ => false,
        },
        MatchType::NotRegexp => match m.op {
            MatchType::NotRegexp => m.value == n.value,
            // `l !~ R` excludes every value R matches: it implies `l != x` when R matches x.
            MatchType::NotEqual => !n.matches(&m.value),
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::alertmanager::matchers::{ParserMode, parse_matcher};

    fn ms(list: &[&str]) -> Vec<Matcher> {
        list.iter()
            .map(|s| parse_matcher(s, ParserMode::Fallback).unwrap())
            .collect()
    }

    fn cov(broad: &[&str], narrow: &[&str]) -> bool {
        let (b, n) = (ms(broad), ms(narrow));
        covers(&b.iter().collect::<Vec<_>>(), &n.iter().collect::<Vec<_>>())
    }

    #[test]
    fn coverage_cases() {
        assert!(cov(&[], &["team=ml"]));
        assert!(cov(
            &["severity=critical"],
            &["severity=critical", "team=ml"]
        ));
        assert!(cov(
            &["severity=~\"critical|warning\""],
            &["severity=critical"]
        ));
        assert!(cov(
            &["severity=~\"crit.*\""],
            &["severity=~\"critical|crit\""]
        ));
        assert!(cov(&["team!=infra"], &["team=ml"]));
        assert!(cov(&["team=~\".*\""], &[]));
        assert!(cov(&["team=~\"ml.*\""], &["team=~\"ml.*\"", "x=y"]));
        assert!(!cov(&["severity=critical"], &["team=ml"]));
        assert!(!cov(
            &["severity=critical"],
            &["severity=~\"critical|warning\""]
        ));
        assert!(!cov(&["team!=infra"], &[]));
        assert!(!cov(&["team=~\"ml.*\""], &["team=~\"m.*\""]));
        assert!(!cov(&["team!=infra"], &["team!=ml"]));
        assert!(cov(&["team!=infra"], &["team!~\"infra|ops\""]));
    }

    #[test]
    fn witnesses() {
        let w = |a: &[&str], b: &[&str]| {
            let (a, b) = (ms(a), ms(b));
            common_witness(&a.iter().collect::<Vec<_>>(), &b.iter().collect::<Vec<_>>())
        };
        assert_eq!(
            w(&["severity=~\"critical|warning\""], &["severity=warning"]),
            Some(vec![("severity".into(), "warning".into())])
        );
        assert_eq!(w(&["severity=critical"], &["severity=warning"]), None);
        assert!(w(&["severity=critical"], &["team!=ml"]).is_some());
        assert_eq!(w(&["severity=critical"], &["severity!~\"crit.*\""]), None);
    }

    #[test]
    fn literal_alternatives_of_regexes() {
        assert_eq!(
            literal_alternatives("a|b"),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            literal_alternatives("(a|b\\.c)"),
            Some(vec!["a".into(), "b.c".into()])
        );
        assert_eq!(literal_alternatives("a.*"), None);
    }
}
