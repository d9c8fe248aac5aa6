//! Any UTF-8 text as a PromQL expression: parse, lex and run the analysis
//! helpers lints use. No panic may escape; error and token ranges lie
//! within the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlalert::promql::{self, Tokens, analysis};
use mlalert_fuzz::guard;

fuzz_target!(init: mlalert_fuzz::init(), |text: &str| {
    guard(|| run(text));
});

fn run(text: &str) {
    let tokens = Tokens::new(text);
    let mut prev_end = 0;
    for t in tokens.all() {
        assert!(
            t.range.start <= t.range.end && t.range.end <= text.len(),
            "token {:?} outside the text ({} bytes)",
            t.range,
            text.len()
        );
        assert!(
            t.range.start >= prev_end,
            "tokens overlap or go back: {:?}",
            t.range
        );
        prev_end = t.range.end;
    }
    // The lookups lints use to position findings.
    for word in ["sum", "by", "rate", "up", "DCGM_FI_DEV_FB_USED"] {
        let _ = tokens.find_word(text, word, 0);
        let _ = tokens.find_word_from(text, word, text.len() / 2);
        let _ = tokens.grouping_labels(text, word);
    }
    let _ = tokens.find_from(text, "(", 0);

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
                assert!(
                    r.start <= r.end && r.end <= text.len(),
                    "error range {r:?} outside the text ({} bytes): {}",
                    text.len(),
                    e.message
                );
            }
        }
    }
}
