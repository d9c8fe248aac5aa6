//! Any UTF-8 text as a PromQL expression, through mlalert's own front end
//! (`promql::syntax`) at several Prometheus versions and feature sets, and
//! through `promql::parse` (nesting bound first) with the analysis helpers
//! lints use. No panic may escape, and:
//!
//! - every error span, and every node span of an accepted tree, lies within
//!   the text on character boundaries; a node's children lie within it;
//! - an accepted tree prints (Prometheus' `String()`) to text that parses
//!   again and prints the same (the printer round-trips);
//! - enabling features never rejects what was accepted without them, and
//!   every feature use recorded with all features on is one the parse
//!   without them refuses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlalert::promql::ast::Expr;
use mlalert::promql::syntax::{self, Options};
use mlalert::promql::{self, analysis};
use mlalert_fuzz::guard;

fuzz_target!(init: mlalert_fuzz::init(), |text: &str| {
    guard(|| run(text));
});

fn within(text: &str, start: usize, end: usize, what: &str) {
    assert!(
        start <= end && end <= text.len(),
        "{what} {start}..{end} outside the text ({} bytes)",
        text.len()
    );
    assert!(
        text.is_char_boundary(start) && text.is_char_boundary(end),
        "{what} {start}..{end} not on character boundaries"
    );
}

/// Every node's span within the text and within its parent's (iterative:
/// trees may be deep).
fn check_spans(text: &str, root: &Expr) {
    let mut stack = vec![(root, 0usize, text.len())];
    while let Some((e, lo, hi)) = stack.pop() {
        let s = e.span();
        within(text, s.start, s.end, "node span");
        assert!(
            lo <= s.start && s.end <= hi,
            "node {}..{} outside its parent {lo}..{hi}",
            s.start,
            s.end
        );
        for c in analysis::children(e) {
            stack.push((c, s.start, s.end));
        }
    }
}

fn run(text: &str) {
    // Bound the work the way mlalert does: `promql::parse` bounds nesting
    // before parsing; the raw front end is exercised on short inputs.
    if text.len() <= 4096 {
        let versions: [(u16, u16); 4] = [(2, 42), (2, 55), (3, 5), Options::CURRENT];
        for v in versions {
            let plain = Options::for_version(v);
            let all = Options {
                version: v,
                ..Options::all_features()
            };
            let r_plain = syntax::parse(text, &plain);
            let r_all = syntax::parse_with_uses(text, &all);
            for r in [&r_plain.as_ref().err(), &r_all.as_ref().err()]
                .into_iter()
                .flatten()
            {
                assert!(!r.is_empty(), "a rejection without an error");
                for e in r.iter() {
                    within(text, e.span.start, e.span.end, "error span");
                    if let Some(p) = e.point {
                        within(text, p.start, p.end, "error point");
                    }
                    let _ = e.prometheus_text(text);
                }
            }
            if r_plain.is_ok() {
                assert!(
                    r_all.is_ok(),
                    "accepted at {v:?} without features, refused with them: {:?}",
                    r_all.as_ref().err()
                );
            }
            if let Ok((e, uses)) = &r_all {
                check_spans(text, e);
                for u in uses {
                    within(text, u.span.start, u.span.end, "feature use span");
                    within(text, u.extent.start, u.extent.end, "feature use extent");
                }
                if r_plain.is_ok() {
                    assert!(uses.is_empty(), "feature uses in an expression that needs none: {uses:?}");
                } else if uses.is_empty() {
                    panic!("refused without features, accepted with them, no feature use recorded");
                }
                let _ = e.value_type();
                // The printer round-trips (at the newest version: older ones
                // cannot read everything the printer writes, e.g. `5m` in
                // `[...]` of a duration expression is printed as written).
                if v == Options::CURRENT {
                    let printed = e.to_string();
                    match syntax::parse(&printed, &all) {
                        Ok(again) => assert_eq!(
                            again.to_string(),
                            printed,
                            "printing is not stable for {text:?}"
                        ),
                        Err(errs) => panic!(
                            "{text:?} printed as {printed:?}, which does not parse: {}",
                            errs[0].message
                        ),
                    }
                }
            }
        }
    }

    match promql::parse(text) {
        Ok(expr) => {
            let mut nodes = 0usize;
            analysis::walk(&expr, &mut |e| {
                nodes += 1;
                let _ = analysis::selector_name(e);
            });
            assert!(nodes >= 1);
            let _ = analysis::labels_kept_or_created(&expr);
            let _ = analysis::is_constant(&expr);
        }
        Err(e) => {
            if let Some(r) = &e.range {
                within(text, r.start, r.end, "error range");
            }
        }
    }
}
