//! Any bytes as a file on disk: decode, load, lint, resolve and render every
//! diagnostic as `mlalert lint` does. No panic, and every span lies within
//! the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlalert::config::Config;
use mlalert::lint::{self, Diagnostic};
use mlalert::render;
use mlalert::source::{SourceError, SourceFile, Span};
use mlalert_fuzz::{check_diagnostics, check_span, guard};

fuzz_target!(init: mlalert_fuzz::init(), |data: &[u8]| {
    guard(|| run(data));
});

fn run(data: &[u8]) {
    let config = Config::default();
    match SourceFile::new("fuzz.yaml", data.to_vec()) {
        Ok(source) => {
            let report = lint::run_sources(vec![source], &config);
            let source = report.files.into_iter().next().expect("one file");
            let mut diags = report.diagnostics;
            check_diagnostics(&source, 0, &diags);
            for d in &diags {
                let _ = source.line_col(d.span.start);
                let _ = source.line_col(d.span.end);
            }
            lint::sort(&mut diags, &["fuzz.yaml"]);
            render_all(&diags, source);
        }
        Err(SourceError::NotUtf8 { offset, lossy, .. }) => {
            // What the CLI reports for a file that is not UTF-8.
            assert!(
                offset < data.len(),
                "invalid byte offset {offset} past the input"
            );
            let span = Span::new(offset, offset + 1);
            check_span(&lossy, Span::point(offset), "not-utf8 offset");
            let diag = Diagnostic::new(
                &mlalert::diagnostic::input::file_unreadable::META,
                0,
                span,
                "file is not valid UTF-8",
            );
            render_all(&[diag], *lossy);
        }
    }
}

fn render_all(diags: &[Diagnostic], source: SourceFile) {
    let files = [source];
    let resolved = render::resolve(diags, &files);
    for r in &resolved {
        assert!(
            r.start <= r.end,
            "resolved start {:?} after end {:?}",
            r.start,
            r.end
        );
    }
    let _ = render::human::render(&resolved, diags, &files, false);
    let _ = render::json::render(&resolved, diags, files.len());
}
