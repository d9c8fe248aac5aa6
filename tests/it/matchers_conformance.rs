//! Matcher-parsing conformance against Alertmanager 0.34's own test tables.
//!
//! Reads `$MLALERT_CORPUS/alertmanager/matchers-conformance.json` (extracted
//! from pkg/labels/parse_test.go, matcher/parse/parse_test.go,
//! matcher/compliance/compliance_test.go and matcher/compat/parse_test.go) and
//! runs every case through `mlalert::model::alertmanager::matchers` with the parser the
//! suite names. Skipped when `MLALERT_CORPUS` is unset; fails when it is set
//! and the file is missing.

use std::path::PathBuf;

use mlalert::model::alertmanager::matchers::{
    FallbackOutcome, Matcher, MatcherError, ParserMode, parse_matcher, parse_matcher_fallback,
    parse_matchers, parse_matchers_fallback,
};
use serde_json::Value;

/// Cases that cannot be reproduced, with the reason: (suite, input, reason).
/// Empty: every case in the corpus passes.
const SKIPPED: &[(&str, &str, &str)] = &[];

/// A matcher as the corpus writes it: (name, op, value).
type Triple = (String, String, String);

fn triples(ms: &[Matcher]) -> Vec<Triple> {
    ms.iter()
        .map(|m| (m.name.clone(), m.op.to_string(), m.value.clone()))
        .collect()
}

fn expected_triples(case: &Value) -> Option<Vec<Triple>> {
    let list = case.get("matchers")?.as_array()?;
    let mut out = Vec::new();
    for m in list {
        let field = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
        out.push((field("name")?, field("op")?, field("value")?));
    }
    Some(out)
}

/// Compares a parse result with the case's `matchers` or exact `error`.
fn compare(case: &Value, got: &Result<Vec<Triple>, MatcherError>) -> Result<(), String> {
    match (case.get("error").and_then(Value::as_str), got) {
        (Some(want), Err(e)) if e.message == want => Ok(()),
        (Some(want), Err(e)) => Err(format!("error {:?}, want {:?}", e.message, want)),
        (Some(want), Ok(ms)) => Err(format!("got {ms:?}, want error {want:?}")),
        (None, got) => {
            let want = expected_triples(case).ok_or("case has neither error nor matchers")?;
            match got {
                Ok(ms) if *ms == want => Ok(()),
                Ok(ms) => Err(format!("got {ms:?}, want {want:?}")),
                Err(e) => Err(format!("error {:?}, want {want:?}", e.message)),
            }
        }
    }
}

fn single(r: Result<Matcher, MatcherError>) -> Result<Vec<Triple>, MatcherError> {
    r.map(|m| triples(&[m]))
}

/// The fallback outcome the upstream test name implies (matcher/compat/parse_test.go).
fn expected_outcome(name: &str) -> Option<&'static str> {
    match name {
        "input is accepted" => Some("utf8"),
        "input is accepted in matchers/parse but not pkg/labels" => Some("utf8"),
        "input is accepted in pkg/labels but not matchers/parse" => Some("classic-only"),
        "input causes disagreement" => Some("disagreement"),
        _ => None,
    }
}

fn outcome_name(o: &FallbackOutcome) -> &'static str {
    match o {
        FallbackOutcome::Utf8 => "utf8",
        FallbackOutcome::ClassicOnly { .. } => "classic-only",
        FallbackOutcome::Disagreement { .. } => "disagreement",
    }
}

fn check_outcome(case: &Value, outcome: Option<&FallbackOutcome>) -> Result<(), String> {
    let name = case.get("name").and_then(Value::as_str).unwrap_or("");
    match (expected_outcome(name), outcome) {
        (Some(want), Some(o)) if outcome_name(o) != want => {
            Err(format!("fallback outcome {}, want {want}", outcome_name(o)))
        }
        _ => Ok(()),
    }
}

/// compliance_classic_vs_utf8: see the suite's `compare` text.
fn check_compliance(case: &Value, input: &str) -> Result<(), String> {
    let differs = case
        .get("utf8_differs_from_classic")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let classic = parse_matchers(input, ParserMode::Classic).map(|ms| triples(&ms));
    // `error` is always the classic parser's text, and `matchers` is the
    // classic result for differing cases; for agreeing cases `matchers` is
    // only the UTF-8 expectation (`name-with-dashes` is UTF-8-only).
    if differs || case.get("error").is_some() {
        compare(case, &classic).map_err(|e| format!("classic: {e}"))?;
    }
    let utf8 = parse_matchers(input, ParserMode::Utf8).map(|ms| triples(&ms));
    let want = expected_triples(case);
    if !differs {
        return match (&want, &utf8) {
            (None, Err(_)) => Ok(()),
            (None, Ok(ms)) => Err(format!("utf8: got {ms:?}, want an error")),
            (Some(w), Ok(ms)) if ms == w => Ok(()),
            (Some(w), got) => Err(format!("utf8: got {got:?}, want {w:?}")),
        };
    }
    let want = want.ok_or("differing case without matchers")?;
    match &utf8 {
        Ok(ms) if *ms == want && !want.is_empty() => {
            return Err(format!("utf8: got {ms:?}, expected it to differ"));
        }
        // `{}`: both give zero matchers; upstream only differs by Go's nil vs
        // empty slice under reflect.DeepEqual.
        _ => {}
    }
    // The default fallback mode must then yield the classic result.
    let (ms, _) = parse_matchers_fallback(input).map_err(|e| format!("fallback: {}", e.message))?;
    if triples(&ms) != want {
        return Err(format!("fallback: got {:?}, want {want:?}", triples(&ms)));
    }
    Ok(())
}

fn run_case(suite: &str, case: &Value) -> Result<(), String> {
    let input = case
        .get("input")
        .and_then(Value::as_str)
        .ok_or("case without input")?;
    match suite {
        "classic_ParseMatchers" => compare(
            case,
            &parse_matchers(input, ParserMode::Classic).map(|ms| triples(&ms)),
        ),
        "utf8_Matchers" => compare(
            case,
            &parse_matchers(input, ParserMode::Utf8).map(|ms| triples(&ms)),
        ),
        "utf8_Matcher_single" => compare(case, &single(parse_matcher(input, ParserMode::Utf8))),
        "compliance_classic_vs_utf8" => check_compliance(case, input),
        "fallback_Matchers" => {
            let r = parse_matchers_fallback(input);
            compare(
                case,
                &r.as_ref().map(|(ms, _)| triples(ms)).map_err(Clone::clone),
            )?;
            check_outcome(case, r.as_ref().ok().map(|(_, o)| o))?;
            // The mode-dispatching entry point must agree.
            compare(
                case,
                &parse_matchers(input, ParserMode::Fallback).map(|ms| triples(&ms)),
            )
        }
        "fallback_Matcher_single" => {
            let r = parse_matcher_fallback(input);
            compare(
                case,
                &r.as_ref()
                    .map(|(m, _)| triples(std::slice::from_ref(m)))
                    .map_err(Clone::clone),
            )?;
            check_outcome(case, r.as_ref().ok().map(|(_, o)| o))?;
            compare(case, &single(parse_matcher(input, ParserMode::Fallback)))
        }
        other => Err(format!("unknown suite {other}: teach this test about it")),
    }
}

#[test]
fn matchers_conformance() {
    let Some(corpus) = std::env::var_os("MLALERT_CORPUS") else {
        println!("skipped: MLALERT_CORPUS not set");
        return;
    };
    let path = PathBuf::from(corpus).join("alertmanager/matchers-conformance.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let doc: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    let suites = doc
        .get("suites")
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("{}: no `suites` object", path.display()));

    let (mut passed, mut failed, mut skipped) = (0usize, 0usize, 0usize);
    let mut failures = Vec::new();
    for (suite, body) in suites {
        let cases = body
            .get("cases")
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("suite {suite} has no cases"));
        for case in cases {
            let input = case.get("input").and_then(Value::as_str).unwrap_or("");
            if let Some((_, _, reason)) = SKIPPED
                .iter()
                .find(|(s, i, _)| *s == suite.as_str() && *i == input)
            {
                println!("skipped {suite} {input:?}: {reason}");
                skipped += 1;
                continue;
            }
            match run_case(suite, case) {
                Ok(()) => passed += 1,
                Err(why) => {
                    failed += 1;
                    failures.push(format!("{suite} {input:?}: {why}"));
                }
            }
        }
    }
    for f in &failures {
        println!("FAIL {f}");
    }
    if skipped > 0 {
        println!("matchers-conformance: skipped={skipped}");
    }
    println!("matchers-conformance: passed={passed} failed={failed}");
    assert!(passed > 0, "no cases ran");
    assert_eq!(failed, 0, "{failed} conformance case(s) failed");
}
