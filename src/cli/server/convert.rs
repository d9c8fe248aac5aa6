//! mlalert's findings in the Language Server Protocol's terms: URIs and
//! paths, byte spans and UTF-16 ranges, [`Diagnostic`]s and LSP
//! diagnostics, [`Fix`]es and code actions.

use std::collections::HashMap;
use std::str::FromStr;

use lsp_types as lsp;

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::source::{SourceFile, Span};

/// The path of a document's URI: a `file:` URI's path, percent-decoded
/// (`file:///C:/x` is `C:/x`); any other URI (`untitled:1`) stands for
/// itself.
pub fn uri_to_path(uri: &str) -> String {
    let Some(rest) = uri.strip_prefix("file://") else {
        return uri.to_string();
    };
    // Skip the authority (empty or `localhost`).
    let path = rest.find('/').map_or("", |i| &rest[i..]);
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    let path = String::from_utf8_lossy(&out).into_owned();
    // A Windows drive: `/C:/x` is `C:/x`.
    let drive = path.as_bytes();
    if drive.len() >= 3 && drive[0] == b'/' && drive[1].is_ascii_alphabetic() && drive[2] == b':' {
        return path[1..].to_string();
    }
    path
}

/// The URI of `path` (a [`SourceFile::path`] of the server's workspace):
/// `file://` and the percent-encoded path for an absolute path, the path
/// itself when it is already a URI that is not a file's (`untitled:1`).
pub fn path_to_uri(path: &str) -> Option<lsp::Uri> {
    let b = path.as_bytes();
    let drive =
        b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && matches!(b[2], b'/' | b'\\');
    let text = if path.starts_with('/') {
        format!("file://{}", crate::render::percent_path(path))
    } else if drive {
        format!(
            "file:///{}",
            crate::render::percent_path(&path.replace('\\', "/"))
        )
    } else {
        path.to_string()
    };
    lsp::Uri::from_str(&text).ok()
}

/// The LSP range of byte span `span` of `source` (0-based lines, UTF-16 columns).
pub fn range(source: &SourceFile, span: Span) -> lsp::Range {
    let lines = source.lines();
    let (l0, c0) = lines.utf16_position(&source.text, span.start);
    let (l1, c1) = lines.utf16_position(&source.text, span.end.max(span.start));
    lsp::Range::new(
        lsp::Position::new(to_u32(l0), to_u32(c0)),
        lsp::Position::new(to_u32(l1), to_u32(c1)),
    )
}

/// The byte offset of LSP position `p` in `source`.
pub fn offset(source: &SourceFile, p: lsp::Position) -> usize {
    source
        .lines()
        .offset_of_utf16(&source.text, p.line as usize, p.character as usize)
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The LSP diagnostic of finding `d`: its lint code, with the lint's page as
/// `codeDescription`, message and help, and its labels as related
/// information. `files` are the run's files (`d.file` and the labels' files
/// index them).
pub fn diagnostic(d: &Diagnostic, files: &[SourceFile]) -> lsp::Diagnostic {
    let source = &files[d.file];
    let related: Vec<lsp::DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .filter_map(|l| {
            let f = files.get(l.file)?;
            Some(lsp::DiagnosticRelatedInformation {
                location: lsp::Location::new(path_to_uri(&f.path)?, range(f, l.span)),
                message: l.message.clone(),
            })
        })
        .collect();
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    lsp::Diagnostic {
        range: range(source, d.span),
        severity: Some(match d.severity {
            Severity::Error => lsp::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp::DiagnosticSeverity::WARNING,
            Severity::Info => lsp::DiagnosticSeverity::INFORMATION,
        }),
        code: Some(lsp::NumberOrString::String(d.lint.code.to_string())),
        code_description: lsp::Uri::from_str(&d.lint.url())
            .ok()
            .map(|href| lsp::CodeDescription { href }),
        source: Some(format!("mlalert {}", d.lint.name)),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}

/// The LSP edits of `edits` in `source`.
pub fn text_edits(source: &SourceFile, edits: &[Edit]) -> Vec<lsp::TextEdit> {
    edits
        .iter()
        .map(|e| lsp::TextEdit::new(range(source, e.span), e.replacement.clone()))
        .collect()
}

/// A quick-fix code action editing document `uri` (whose text is
/// `source`) with `edits`, for LSP diagnostic `fixes`.
pub fn quick_fix(
    title: String,
    uri: &lsp::Uri,
    source: &SourceFile,
    edits: &[Edit],
    fixes: &lsp::Diagnostic,
    preferred: bool,
) -> lsp::CodeAction {
    // lsp-types keys `changes` by `Uri`, whose parsed form caches lazily.
    #[allow(clippy::mutable_key_type)]
    let changes = HashMap::from([(uri.clone(), text_edits(source, edits))]);
    lsp::CodeAction {
        title,
        kind: Some(lsp::CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![fixes.clone()]),
        edit: Some(lsp::WorkspaceEdit {
            changes: Some(changes),
            ..Default::default()
        }),
        is_preferred: Some(preferred),
        ..Default::default()
    }
}

/// The code action of `fix` (the fix of finding `fixes`, in document `uri`
/// whose text is `source`): titled as the fix, with "(unsafe)" and not
/// preferred when applying it changes behaviour (`mlalert lint --fix` leaves
/// those to `--unsafe-fixes`).
pub fn fix_action(
    fix: &Fix,
    uri: &lsp::Uri,
    source: &SourceFile,
    fixes: &lsp::Diagnostic,
) -> lsp::CodeAction {
    let safe = fix.applicability == Applicability::Safe;
    let title = if safe {
        fix.title.clone()
    } else {
        format!("{} (unsafe)", fix.title)
    };
    quick_fix(title, uri, source, &fix.edits, fixes, safe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_uris_and_paths_round_trip() {
        assert_eq!(
            uri_to_path("file:///tmp/a%20b/r%C3%A8gles.yaml"),
            "/tmp/a b/règles.yaml"
        );
        assert_eq!(uri_to_path("file://localhost/etc/x.yaml"), "/etc/x.yaml");
        assert_eq!(uri_to_path("file:///c%3A/rules/x.yaml"), "c:/rules/x.yaml");
        assert_eq!(uri_to_path("untitled:Untitled-1"), "untitled:Untitled-1");
        let uri = path_to_uri("/tmp/a b/règles.yaml").unwrap();
        assert_eq!(uri.as_str(), "file:///tmp/a%20b/r%C3%A8gles.yaml");
        assert_eq!(uri_to_path(uri.as_str()), "/tmp/a b/règles.yaml");
        assert_eq!(
            path_to_uri("untitled:Untitled-1").unwrap().as_str(),
            "untitled:Untitled-1"
        );
        assert_eq!(
            path_to_uri("C:\\rules\\x.yaml").unwrap().as_str(),
            "file:///C:/rules/x.yaml"
        );
    }

    #[test]
    fn diagnostics_have_utf16_ranges_code_links_and_help() {
        // "🔥" is two UTF-16 units: the span after it starts at column 11.
        let text = "# 🔥 x\nkey: 🔥 value\n".to_string();
        let source = SourceFile::from_text("/w/a.yaml", text.clone(), 0);
        let at = text.find("value").unwrap();
        let d = Diagnostic::new(
            &crate::lint::rules::missing_for::META,
            0,
            Span::new(at, at + 5),
            "something is wrong",
        )
        .with_help("do this")
        .with_label(Span::new(0, 1), "see here");
        let l = diagnostic(&d, std::slice::from_ref(&source));
        assert_eq!(l.range.start, lsp::Position::new(1, 8));
        assert_eq!(l.range.end, lsp::Position::new(1, 13));
        assert_eq!(
            l.code,
            Some(lsp::NumberOrString::String("ML101".to_string()))
        );
        assert_eq!(
            l.code_description.unwrap().href.as_str(),
            crate::lint::rules::missing_for::META.url()
        );
        assert_eq!(l.message, "something is wrong\nhelp: do this");
        assert_eq!(l.severity, Some(lsp::DiagnosticSeverity::WARNING));
        let related = l.related_information.unwrap();
        assert_eq!(related[0].location.uri.as_str(), "file:///w/a.yaml");
        assert_eq!(related[0].message, "see here");
    }

    #[test]
    fn a_fix_becomes_a_workspace_edit_in_utf16_and_unsafe_ones_say_so() {
        let text = "a: \"é\" =~ \"x\"\n".to_string();
        let source = SourceFile::from_text("/w/a.yaml", text.clone(), 0);
        let at = text.find("=~").unwrap();
        let edit = Edit {
            span: Span::new(at, at + 2),
            replacement: "=".to_string(),
        };
        let d = Diagnostic::new(
            &crate::lint::rules::missing_for::META,
            0,
            Span::new(at, at + 2),
            "m",
        )
        .with_fix(Fix {
            title: "replace =~ with =".to_string(),
            applicability: Applicability::Safe,
            edits: vec![edit.clone()],
        });
        let uri = path_to_uri(&source.path).unwrap();
        let ld = diagnostic(&d, std::slice::from_ref(&source));
        let fix = d.fix.as_ref().unwrap();
        let a = fix_action(fix, &uri, &source, &ld);
        assert_eq!(a.title, "replace =~ with =");
        assert_eq!(a.is_preferred, Some(true));
        assert_eq!(a.kind, Some(lsp::CodeActionKind::QUICKFIX));
        let edits = &a.edit.unwrap().changes.unwrap()[&uri];
        // `"é" ` is 4 UTF-16 units after `a: `: the operator is at column 7.
        assert_eq!(
            edits[0].range,
            lsp::Range::new(lsp::Position::new(0, 7), lsp::Position::new(0, 9))
        );
        assert_eq!(edits[0].new_text, "=");
        let unsafe_fix = Fix {
            applicability: Applicability::Unsafe,
            ..fix.clone()
        };
        let a = fix_action(&unsafe_fix, &uri, &source, &ld);
        assert_eq!(a.title, "replace =~ with = (unsafe)");
        assert_eq!(a.is_preferred, Some(false));
    }
}
