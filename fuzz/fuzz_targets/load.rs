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
            let secrets = report
                .loaded
                .into_iter()
                .map(|l| l.map(|l| l.secrets).unwrap_or_default())
                .collect();
            render_all(&diags, source, secrets);
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
            render_all(&[diag], *lossy, Vec::new());
        }
    }
}

fn render_all(diags: &[Diagnostic], source: SourceFile, secrets: Vec<Vec<Span>>) {
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
    let options = render::human::Options {
        color: false,
        summary: true,
        width: mlalert::render::human::DEFAULT_WIDTH,
    };
    let mut out = Vec::new();
    render::human::render(&mut out, &resolved, diags, &files, &secrets, options)
        .expect("write to a Vec");
    // Secret values never reach a snippet.
    let text = &files[0].text;
    for s in secrets.iter().flatten() {
        if let Some(secret) = text.get(s.start..s.end)
            && secret.len() >= 12
            && !secret.contains(['\n', '\r'])
            && text.matches(secret).count() == 1
        {
            let shown = String::from_utf8_lossy(&out);
            assert!(
                !shown.contains(secret) || diags.iter().any(|d| d.message.contains(secret)),
                "secret {secret:?} shown"
            );
        }
    }
    let _ = render::json::render(&resolved, diags, files.len());
}
