//! Helpers shared by the fuzz targets: panic handling and span checks.
//!
//! libfuzzer-sys installs a panic hook that aborts on *every* panic, also
//! one that mlalert catches on purpose (`promql::parse`, `promql::Tokens::new`
//! and `yaml::parse_stream` guard third-party parsers with `catch_unwind`).
//! [`init`] replaces that hook with one that only records the message, and
//! [`guard`] aborts when a panic escapes mlalert's public API: that is a
//! crash libFuzzer reports and saves. Each distinct location of a panic that
//! mlalert caught is printed once, so third-party panics are still visible.

use std::cell::RefCell;
use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;

use mlalert::lint::Diagnostic;
use mlalert::source::{SourceFile, Span};

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

static CAUGHT: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// Replaces libfuzzer-sys' aborting panic hook (call from `fuzz_target!(init: ...)`).
pub fn init() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
            .unwrap_or_else(|| "<unknown>".into());
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "<non-string payload>".into());
        let mut message = format!("panicked at {location}: {payload}");
        if std::env::var_os("MLALERT_FUZZ_BACKTRACE").is_some() {
            message.push_str(&format!("\n{}", std::backtrace::Backtrace::force_capture()));
        }
        LAST_PANIC.with(|p| *p.borrow_mut() = Some(message));
    }));
}

/// Runs `f`; a panic that reaches here escaped mlalert: print it and abort
/// (libFuzzer then saves the input as a crash). Panics mlalert caught itself
/// are printed once per location as `caught panic: ...`.
pub fn guard<R>(f: impl FnOnce() -> R) -> R {
    LAST_PANIC.with(|p| *p.borrow_mut() = None);
    let result = catch_unwind(AssertUnwindSafe(f));
    let last = LAST_PANIC.with(|p| p.borrow_mut().take());
    match result {
        Ok(r) => {
            if let Some(message) = last {
                note_caught(&message);
            }
            r
        }
        Err(_) => {
            eprintln!(
                "==mlalert-fuzz== uncaught panic: {}",
                last.as_deref().unwrap_or("<no message>")
            );
            std::process::abort();
        }
    }
}

fn note_caught(message: &str) {
    let key = message.lines().next().unwrap_or("").to_string();
    // The location is what tells caught panics apart; payloads vary with input.
    let location = key.split(": ").next().unwrap_or("").to_string();
    let Ok(mut seen) = CAUGHT.lock() else { return };
    if seen.get_or_insert_with(HashSet::new).insert(location) {
        eprintln!("==mlalert-fuzz== caught panic (handled by mlalert): {key}");
    }
}

/// Fails (panics, inside [`guard`]) unless `span` lies within the text of
/// `source` and both ends resolve to a line of the file.
pub fn check_span(source: &SourceFile, span: Span, what: &str) {
    let len = source.text.len();
    assert!(
        span.start <= span.end,
        "{what}: span {span:?} starts after it ends"
    );
    assert!(
        span.end <= len,
        "{what}: span {span:?} ends outside the text ({len} bytes)"
    );
    let lines = source.lines().line_count();
    for offset in [span.start, span.end] {
        let lc = source.line_col(offset);
        assert!(
            lc.line >= 1 && lc.line <= lines && lc.column >= 1,
            "{what}: offset {offset} resolves to {lc:?}, the file has {lines} lines"
        );
        assert!(
            source.text.is_char_boundary(offset),
            "{what}: offset {offset} of span {span:?} is inside a UTF-8 character"
        );
    }
}

/// [`check_span`] for a diagnostic's primary span and its labels in file `file`.
pub fn check_diagnostics(source: &SourceFile, file: usize, diags: &[Diagnostic]) {
    for d in diags {
        let what = format!("{} {:?}", d.lint.code, d.message);
        assert_eq!(d.file, file, "{what}: diagnostic for another file");
        check_span(source, d.span, &what);
        for l in &d.labels {
            if l.file == file {
                check_span(source, l.span, &format!("{what} label {:?}", l.message));
            }
        }
    }
}
