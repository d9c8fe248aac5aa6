//! Any text as Alertmanager matchers, in every parser mode, then matching a
//! few label values. No panic may escape; error offsets lie within the
//! input (lints use them to position diagnostics in the file).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlalert::model::alertmanager::matchers::{
    self, MatchType, Matcher, MatcherError, ParserMode, matches_all, parse_matcher,
    parse_matcher_fallback, parse_matchers, parse_matchers_fallback,
};
use mlalert_fuzz::guard;

/// The matcher text, then up to three label values to match, NUL-separated
/// (so that a seed file is just a matcher text).
struct Input<'a> {
    text: &'a str,
    probes: [&'a str; 3],
}

fuzz_target!(init: mlalert_fuzz::init(), |data: &[u8]| {
    let mut parts = data.split(|b| *b == 0).map(|p| std::str::from_utf8(p).ok());
    let Some(Some(text)) = parts.next() else { return };
    let mut probes = ["", "prod", "a.b-c"];
    for p in probes.iter_mut() {
        match parts.next() {
            Some(Some(v)) => *p = v,
            Some(None) => return,
            None => break,
        }
    }
    let input = Input { text, probes };
    guard(|| run(&input));
});

const MODES: [ParserMode; 3] = [ParserMode::Classic, ParserMode::Utf8, ParserMode::Fallback];

fn run(input: &Input) {
    let text = input.text;
    for mode in MODES {
        match parse_matchers(text, mode) {
            Ok(ms) => {
                for m in &ms {
                    exercise(m, input);
                }
                let all = matches_all(&ms, |name| {
                    input.probes.iter().copied().find(|p| *p == name)
                });
                let each = ms.iter().all(|m| {
                    m.matches(
                        input
                            .probes
                            .iter()
                            .copied()
                            .find(|p| *p == m.name)
                            .unwrap_or(""),
                    )
                });
                assert_eq!(all, each, "matches_all disagrees with matches");
                if mode == ParserMode::Utf8 {
                    for m in &ms {
                        round_trip(m);
                    }
                }
            }
            Err(e) => check_error(text, &e),
        }
        match parse_matcher(text, mode) {
            Ok(m) => exercise(&m, input),
            Err(e) => check_error(text, &e),
        }
        let _ = matchers::is_valid_label_name(text, mode);
    }
    match parse_matchers_fallback(text) {
        Ok((ms, outcome)) => {
            let _ = outcome.used_classic();
            for m in &ms {
                exercise(m, input);
            }
        }
        Err(e) => check_error(text, &e),
    }
    match parse_matcher_fallback(text) {
        Ok((m, _)) => exercise(&m, input),
        Err(e) => check_error(text, &e),
    }
    // Building a matcher directly from any value (as routes' `match_re:` do).
    for op in [
        MatchType::Equal,
        MatchType::NotEqual,
        MatchType::Regexp,
        MatchType::NotRegexp,
    ] {
        if let Ok(m) = Matcher::new("fuzz", op, text) {
            exercise(&m, input);
        }
    }
}

fn exercise(m: &Matcher, input: &Input) {
    for p in input.probes {
        let _ = m.matches(p);
    }
    let _ = m.matches("");
    let on_value = m.matches(&m.value);
    match m.op {
        MatchType::Equal => assert!(on_value, "{m:?} does not match its own value"),
        MatchType::NotEqual => assert!(!on_value, "{m:?} matches its own value"),
        _ => {}
    }
    let _ = m.matches_labels(|name| input.probes.iter().copied().find(|p| *p == name));
    let _ = m.to_string();
}

/// A matcher printed as Alertmanager prints it parses back to itself with
/// the UTF-8 parser.
fn round_trip(m: &Matcher) {
    if m.name.is_empty() {
        return;
    }
    let printed = m.to_string();
    match parse_matcher(&printed, ParserMode::Utf8) {
        Ok(back) => assert_eq!(&back, m, "{printed:?} parses to another matcher"),
        Err(e) => panic!("{m:?} prints as {printed:?}, which does not parse: {e}"),
    }
}

fn check_error(text: &str, e: &MatcherError) {
    if let Some(r) = &e.offset {
        assert!(
            r.start <= r.end && r.end <= text.len(),
            "error range {r:?} outside the input ({} bytes): {}",
            text.len(),
            e.message
        );
        assert!(
            text.is_char_boundary(r.start) && text.is_char_boundary(r.end),
            "error range {r:?} inside a UTF-8 character: {}",
            e.message
        );
    }
}
