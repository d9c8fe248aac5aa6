//! Fixes: building a lint's [`Edit`]s from the model's spans, applying
//! [`Fix`]es to a file's text, the lint → apply → re-lint loop of
//! `mlalert lint --fix` / `--diff`, and unified diffs. The one owner of
//! applying fixes: the CLI and the language server both call [`apply`] and
//! [`fix_run`].
//!
//! Edits are byte ranges of the file's text as read (for a rule file inside
//! a ConfigMap's `data: |` block, of the ConfigMap's text: the loader maps
//! embedded spans back, `source::TextMap`). The builders here refuse an edit
//! whose bytes in the file are not what the model decoded (an escaped
//! double-quoted scalar, a folded scalar, an alias's copy: places where a
//! byte of the value is not a byte of the file), so a lint offers no fix
//! there rather than a wrong one. Multi-line insertions take their
//! indentation from the file's own lines, which is also right inside a
//! literal block scalar (its indentation is part of every line).

use std::collections::HashMap;

use crate::config::Config;
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, LintMeta};
use crate::model::Field;
use crate::model::rules::PromqlExpr;
use crate::source::{SourceFile, Span};

use super::{Input, Report};

/// Most lint → apply → re-lint rounds of [`fix_run`] (a fix whose result
/// offers another fix, e.g. a rename that makes a route's matcher
/// rewritable, takes a second round).
pub const MAX_ROUNDS: usize = 8;

/// Most fixes [`fix_run`] verifies one by one after a round whose fixes
/// together introduced a finding; the rest of that round is refused.
pub const MAX_SINGLE_CHECKS: usize = 64;

// ---------------------------------------------------------------------------
// Building edits

/// A replacement of `span` of `source` by `replacement`, when the file's
/// bytes there are exactly `expected` (what the model decoded for that
/// place); `None` otherwise (escapes, folding, an alias's copy, a span that
/// is not on a character boundary).
pub fn replace(
    source: &SourceFile,
    span: Span,
    expected: &str,
    replacement: impl Into<String>,
) -> Option<Edit> {
    (source.text.get(span.start..span.end)? == expected).then(|| Edit {
        span,
        replacement: replacement.into(),
    })
}

/// A replacement of bytes `range` of a PromQL expression by the one-line
/// `replacement`, when those bytes are written as-is in the file (see
/// [`replace`]). Copy text from the expression only from ranges that are
/// themselves written as-is (check each with [`expr_text`]).
pub fn expr_edit(
    source: &SourceFile,
    expr: &PromqlExpr,
    range: std::ops::Range<usize>,
    replacement: &str,
) -> Option<Edit> {
    if replacement.contains(['\n', '\r']) {
        return None;
    }
    let expected = expr.text.value.get(range.clone())?;
    replace(source, expr.span_of(range), expected, replacement)
}

/// Bytes `range` of a PromQL expression when they are on one line and
/// written as-is in the file, so that they can be copied into an edit.
pub fn expr_text<'e>(
    source: &SourceFile,
    expr: &'e PromqlExpr,
    range: std::ops::Range<usize>,
) -> Option<&'e str> {
    let text = expr.text.value.get(range.clone())?;
    if text.contains(['\n', '\r']) {
        return None;
    }
    (source.text.get(expr.span_of(range).range())? == text).then_some(text)
}

/// The line break the file uses on the line holding `offset` (`\r\n` or `\n`).
pub fn line_break(text: &str, offset: usize) -> &'static str {
    let rest = text.get(offset..).unwrap_or("");
    match rest.find('\n') {
        Some(i) if i > 0 && rest.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// The indentation of a block mapping key at `offset`: the text from the
/// start of its line to it, when that is spaces only, or spaces and one
/// sequence indicator (`  - `, returned as spaces: the column of the
/// mapping's other keys). `None` for a key in a flow mapping or after other
/// text.
pub fn key_indent(text: &str, offset: usize) -> Option<String> {
    let before = text.get(..offset)?;
    let line = &before[before.rfind(['\n', '\r']).map_or(0, |i| i + 1)..];
    if line.bytes().all(|b| b == b' ') {
        return Some(line.to_string());
    }
    let t = line.trim_end_matches(' ');
    let head = t.strip_suffix('-')?;
    head.bytes()
        .all(|b| b == b' ')
        .then(|| " ".repeat(line.len()))
}

/// True when `field`'s key is written as-is at its span (not a merged
/// `<<: *base` entry, whose spans are the alias's).
pub fn key_written(source: &SourceFile, field: &Field) -> bool {
    source
        .text
        .get(field.key.span.range())
        .is_some_and(|k| k == field.key.value)
}

/// The bytes to delete to remove a block mapping entry `field` whole: from
/// the start of its key's line to the end of its value's last line, line
/// break included. `None` unless the key starts its line (spaces only
/// before it) and nothing but spaces follows the value on its line (a
/// trailing comment is kept by refusing).
pub fn entry_lines(source: &SourceFile, field: &Field) -> Option<Span> {
    let text = source.text.as_str();
    if !key_written(source, field) {
        return None;
    }
    let before = text.get(..field.key.span.start)?;
    let start = before.rfind(['\n', '\r']).map_or(0, |i| i + 1);
    if !before[start..].bytes().all(|b| b == b' ') {
        return None;
    }
    let end = field.value.end.max(field.key.span.end);
    let rest = text.get(end..)?;
    let eol = rest.find(['\n', '\r']).unwrap_or(rest.len());
    if !rest[..eol].bytes().all(|b| b == b' ') {
        return None;
    }
    let brk = if rest[eol..].starts_with("\r\n") {
        2
    } else {
        usize::from(eol < rest.len())
    };
    Some(Span::new(start, end + eol + brk))
}

// ---------------------------------------------------------------------------
// Applying

/// What [`apply`] did: the new text, and which of the fixes given (by
/// index) were applied and which were left for a later round because they
/// overlap one applied before them (or are out of bounds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The text with the applied fixes' edits.
    pub text: String,
    /// Indices of the applied fixes, in the order given.
    pub applied: Vec<usize>,
    /// Indices of the fixes not applied.
    pub skipped: Vec<usize>,
}

/// Two edits overlap when they share a byte, or when one inserts at a point
/// the other touches (two insertions at one offset would be ordered by
/// chance).
fn overlaps(a: &Edit, b: &Edit) -> bool {
    let (a, b) = (a.span, b.span);
    if a.is_empty() || b.is_empty() {
        return a.start <= b.end && b.start <= a.end;
    }
    a.start < b.end && b.start < a.end
}

/// Applies `fixes` to `text`: fixes are taken in the order of their first
/// edit (then as given); a fix with an edit overlapping one of a fix taken
/// before it, out of the text's bounds or off a character boundary, is
/// skipped whole (the next round of [`fix_run`] gets it once the text has
/// changed). O(edits · log edits + text).
pub fn apply(text: &str, fixes: &[&Fix]) -> Applied {
    let mut order: Vec<usize> = (0..fixes.len()).collect();
    order.sort_by_key(|&i| (fixes[i].edits.iter().map(|e| e.span.start).min(), i));
    let mut taken: Vec<&Edit> = Vec::new();
    let mut applied = Vec::new();
    let mut skipped = Vec::new();
    for i in order {
        let fix = fixes[i];
        let in_bounds = fix.edits.iter().all(|e| {
            e.span.end <= text.len()
                && text.is_char_boundary(e.span.start)
                && text.is_char_boundary(e.span.end)
        });
        let own_overlap = fix
            .edits
            .iter()
            .enumerate()
            .any(|(j, a)| fix.edits[j + 1..].iter().any(|b| overlaps(a, b)));
        if fix.edits.is_empty()
            || !in_bounds
            || own_overlap
            || fix
                .edits
                .iter()
                .any(|e| taken.iter().any(|t| overlaps(e, t)))
        {
            skipped.push(i);
            continue;
        }
        taken.extend(&fix.edits);
        applied.push(i);
    }
    taken.sort_by_key(|e| (e.span.start, e.span.end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for e in taken {
        out.push_str(&text[at..e.span.start]);
        out.push_str(&e.replacement);
        at = e.span.end;
    }
    out.push_str(&text[at..]);
    applied.sort_unstable();
    skipped.sort_unstable();
    Applied {
        text: out,
        applied,
        skipped,
    }
}

/// Whether `--fix` considers `d`'s fix: a safe one, or any with
/// `--unsafe-fixes`. False for a finding without a fix.
pub fn considered(d: &Diagnostic, unsafe_fixes: bool) -> bool {
    d.fix
        .as_ref()
        .is_some_and(|f| unsafe_fixes || f.applicability == Applicability::Safe)
}

// ---------------------------------------------------------------------------
// The loop

/// A fix that [`fix_run`] applied or refused.
#[derive(Debug, Clone)]
pub struct FixRecord {
    /// The file's index in the run.
    pub file: usize,
    /// The lint whose finding carried the fix.
    pub lint: &'static LintMeta,
    /// The fix's title.
    pub title: String,
    /// Safe or unsafe.
    pub applicability: Applicability,
}

/// What [`fix_run`] did.
pub struct Outcome {
    /// Each file's text as read, in the run's file order.
    pub original: Vec<String>,
    /// Each file's text after the applied fixes (the original text where
    /// nothing was applied), in the run's file order.
    pub texts: Vec<String>,
    /// The fixes applied, in the order they were.
    pub applied: Vec<FixRecord>,
    /// Fixes not applied because their result introduced a finding or did
    /// not load the same (or were beyond [`MAX_SINGLE_CHECKS`]), with why.
    pub refused: Vec<(FixRecord, String)>,
    /// The lint of the fixed texts: what is left.
    pub report: Report,
}

impl Outcome {
    /// True when file `file`'s text changed.
    pub fn changed(&self, file: usize) -> bool {
        self.original.get(file) != self.texts.get(file)
    }
}

/// How an input is rebuilt with new text for the next round.
enum Kind {
    Source,
    Named,
    Unreadable {
        span: Span,
        message: String,
        help: Option<String>,
    },
}

struct Files {
    paths: Vec<String>,
    boms: Vec<usize>,
    kinds: Vec<Kind>,
}

impl Files {
    fn inputs(&self, texts: &[String]) -> Vec<Input> {
        self.kinds
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let s =
                    SourceFile::from_text(self.paths[i].clone(), texts[i].clone(), self.boms[i]);
                match k {
                    Kind::Source => Input::Source(s),
                    Kind::Named => Input::Named(s),
                    Kind::Unreadable {
                        span,
                        message,
                        help,
                    } => Input::Unreadable {
                        source: s,
                        span: *span,
                        message: message.clone(),
                        help: help.clone(),
                    },
                }
            })
            .collect()
    }
}

/// What must not get worse for a fix's result to be kept: per file, that
/// it still loads (no YAML error it did not have, as many rule files,
/// rules, alerting rules, Alertmanager configs and valid configs), and per
/// file and lint, no more findings than before.
fn regression(before: &Report, after: &Report) -> Option<String> {
    if after.failed && !before.failed {
        return Some("the result does not load".into());
    }
    let shape = |r: &Report, i: usize| {
        r.loaded.get(i).and_then(Option::as_ref).map(|l| {
            (
                l.yaml_error,
                l.rule_files.len(),
                l.rule_files.iter().map(|f| f.groups.len()).sum::<usize>(),
                l.rule_files
                    .iter()
                    .flat_map(|f| &f.groups)
                    .map(|g| g.rules.len())
                    .sum::<usize>(),
                l.alert_count(),
                l.am_configs.len(),
                l.am_configs.iter().filter(|c| c.valid).count(),
            )
        })
    };
    for i in 0..before.files.len() {
        if shape(before, i) != shape(after, i) {
            return Some(format!(
                "{}: the result does not load to the same rules and configs",
                before.files[i].path
            ));
        }
    }
    let count = |r: &Report| {
        let mut m: HashMap<(usize, &'static str), usize> = HashMap::new();
        for d in &r.diagnostics {
            *m.entry((d.file, d.lint.code)).or_default() += 1;
        }
        m
    };
    let (b, a) = (count(before), count(after));
    let mut worse: Vec<_> = a
        .iter()
        .filter(|(k, n)| **n > b.get(k).copied().unwrap_or(0))
        .map(|((file, code), _)| (after.files[*file].path.as_str(), *code))
        .collect();
    worse.sort_unstable();
    worse.first().map(|(path, code)| {
        let name = crate::diagnostic::find_lint(code).map_or(*code, |m| m.name);
        format!("{path}: the result has a new {code} {name} finding")
    })
}

/// The fixes of `report` to consider, per file: one per distinct fix,
/// skipping files that are not valid YAML and fixes refused before.
fn candidates<'r>(
    report: &'r Report,
    wanted: &dyn Fn(&Diagnostic) -> bool,
    refused: &[(usize, String, Vec<Edit>)],
) -> Vec<Vec<&'r Diagnostic>> {
    let mut per_file: Vec<Vec<&Diagnostic>> = vec![Vec::new(); report.files.len()];
    for d in &report.diagnostics {
        let Some(fix) = &d.fix else { continue };
        if !wanted(d)
            || report
                .loaded
                .get(d.file)
                .and_then(Option::as_ref)
                .is_none_or(|l| l.yaml_error)
            || refused
                .iter()
                .any(|(f, t, e)| *f == d.file && *t == fix.title && *e == fix.edits)
        {
            continue;
        }
        let list = &mut per_file[d.file];
        if !list.iter().any(|o| o.fix == d.fix) {
            list.push(d);
        }
    }
    per_file
}

fn record(d: &Diagnostic) -> FixRecord {
    let fix = d.fix.as_ref();
    FixRecord {
        file: d.file,
        lint: d.lint,
        title: fix.map(|f| f.title.clone()).unwrap_or_default(),
        applicability: fix.map_or(Applicability::Safe, |f| f.applicability),
    }
}

/// `mlalert lint --fix`: lints `inputs` with `config`, applies the fixes
/// of the findings `wanted` accepts (the CLI: [`considered`], safe ones or
/// unsafe ones too),
/// lints the result, and repeats until no fix is left to apply or after
/// [`MAX_ROUNDS`] rounds. A round's result is kept only when it loads to
/// the same rules and configs and no file has more findings of a lint than
/// before; otherwise its fixes are tried one by one (at most
/// [`MAX_SINGLE_CHECKS`]) and each one whose result regresses is refused
/// and reported. Nothing is written: the caller writes
/// [`Outcome::texts`]. Files that are not valid YAML are not fixed.
pub fn fix_run(
    inputs: Vec<Input>,
    config: &Config,
    wanted: &dyn Fn(&Diagnostic) -> bool,
) -> Outcome {
    let mut texts = Vec::with_capacity(inputs.len());
    let mut files = Files {
        paths: Vec::new(),
        boms: Vec::new(),
        kinds: Vec::new(),
    };
    for input in inputs {
        let (source, kind) = match input {
            Input::Source(s) => (s, Kind::Source),
            Input::Named(s) => (s, Kind::Named),
            Input::Unreadable {
                source,
                span,
                message,
                help,
            } => (
                source,
                Kind::Unreadable {
                    span,
                    message,
                    help,
                },
            ),
        };
        files.paths.push(source.path.clone());
        files.boms.push(source.bom_len);
        files.kinds.push(kind);
        texts.push(source.text);
    }
    let original = texts.clone();
    let mut report = super::run(files.inputs(&texts), config);
    let mut applied: Vec<FixRecord> = Vec::new();
    let mut refused: Vec<(FixRecord, String)> = Vec::new();
    let mut refused_keys: Vec<(usize, String, Vec<Edit>)> = Vec::new();
    let mut single_checks = 0;
    for _ in 0..MAX_ROUNDS {
        let per_file = candidates(&report, wanted, &refused_keys);
        if per_file.iter().all(Vec::is_empty) {
            break;
        }
        // Every file's fixes at once.
        let mut next = texts.clone();
        let mut round: Vec<FixRecord> = Vec::new();
        let mut tried: Vec<(usize, Fix)> = Vec::new();
        for (file, diags) in per_file.iter().enumerate() {
            if diags.is_empty() {
                continue;
            }
            let fixes: Vec<&Fix> = diags.iter().filter_map(|d| d.fix.as_ref()).collect();
            let a = apply(&texts[file], &fixes);
            for &i in &a.applied {
                round.push(record(diags[i]));
                tried.push((file, fixes[i].clone()));
            }
            next[file] = a.text;
        }
        if round.is_empty() {
            break;
        }
        let after = super::run(files.inputs(&next), config);
        if regression(&report, &after).is_none() {
            texts = next;
            report = after;
            applied.extend(round);
            continue;
        }
        // Together they regress: each alone against this round's text; those
        // that pass are applied together once more, else the first alone
        // (the others come back next round, with spans of the new text).
        let mut good: Vec<(usize, Fix, FixRecord, Report)> = Vec::new();
        for ((file, fix), rec) in tried.into_iter().zip(round) {
            let key = (file, fix.title.clone(), fix.edits.clone());
            if single_checks >= MAX_SINGLE_CHECKS {
                refused.push((
                    rec,
                    "not verified: too many fixes to check one by one".into(),
                ));
                refused_keys.push(key);
                continue;
            }
            single_checks += 1;
            let mut next = texts.clone();
            next[file] = apply(&texts[file], &[&fix]).text;
            let after = super::run(files.inputs(&next), config);
            match regression(&report, &after) {
                None => good.push((file, fix, rec, after)),
                Some(why) => {
                    refused.push((rec, why));
                    refused_keys.push(key);
                }
            }
        }
        if good.is_empty() {
            continue;
        }
        let mut next = texts.clone();
        let mut taken: Vec<bool> = vec![false; good.len()];
        for (file, text) in next.iter_mut().enumerate() {
            let of_file: Vec<usize> = (0..good.len()).filter(|&i| good[i].0 == file).collect();
            if of_file.is_empty() {
                continue;
            }
            let fixes: Vec<&Fix> = of_file.iter().map(|&i| &good[i].1).collect();
            let a = apply(&texts[file], &fixes);
            for j in a.applied {
                taken[of_file[j]] = true;
            }
            *text = a.text;
        }
        let together = (good.len() > 1).then(|| super::run(files.inputs(&next), config));
        match together {
            Some(after) if regression(&report, &after).is_none() => {
                texts = next;
                report = after;
                applied.extend(
                    good.into_iter()
                        .zip(taken)
                        .filter(|(_, t)| *t)
                        .map(|(g, _)| g.2),
                );
            }
            _ => {
                let (file, fix, rec, after) = good.swap_remove(0);
                texts[file] = apply(&texts[file], &[&fix]).text;
                report = after;
                applied.push(rec);
            }
        }
    }
    Outcome {
        original,
        texts,
        applied,
        refused,
        report,
    }
}

/// A unified diff of file `path` from `old` to `new` (`--- a/PATH`,
/// `+++ b/PATH`, three lines of context); empty when they are equal.
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(edits: &[(usize, usize, &str)]) -> Fix {
        Fix {
            title: "t".into(),
            applicability: Applicability::Safe,
            edits: edits
                .iter()
                .map(|&(s, e, r)| Edit {
                    span: Span::new(s, e),
                    replacement: r.into(),
                })
                .collect(),
        }
    }

    #[test]
    fn applies_sorted_and_leaves_overlapping_fixes_for_later() {
        let text = "abcdef";
        let a = fix(&[(4, 5, "E")]);
        let b = fix(&[(0, 1, "A"), (2, 2, "+")]);
        let c = fix(&[(0, 2, "xx")]);
        let r = apply(text, &[&a, &b, &c]);
        assert_eq!(r.text, "Ab+cdEf");
        assert_eq!(r.applied, [0, 1]);
        assert_eq!(r.skipped, [2]);
        // Two insertions at one point: the first given wins.
        let r = apply(text, &[&fix(&[(3, 3, "1")]), &fix(&[(3, 3, "2")])]);
        assert_eq!(
            (r.text.as_str(), r.skipped.as_slice()),
            ("abc1def", &[1][..])
        );
        // Out of bounds: skipped.
        let r = apply(text, &[&fix(&[(5, 9, "x")])]);
        assert_eq!((r.text.as_str(), r.applied.len()), (text, 0));
    }

    #[test]
    fn key_indent_and_entry_lines() {
        let t = "a:\n  - k: 1\n    j: 2 # c\n    m: 3\n";
        let k = t.find("k:").unwrap();
        assert_eq!(key_indent(t, k).as_deref(), Some("    "));
        assert_eq!(
            key_indent(t, t.find("m:").unwrap()).as_deref(),
            Some("    ")
        );
        assert_eq!(key_indent("{a: 1, b: 2}", 7), None);
        let src = SourceFile::from_text("x", t.to_string(), 0);
        let field = |key: &str, v: &str| Field {
            key: crate::model::Spanned {
                value: key.into(),
                span: Span::new(
                    t.find(&format!("{key}:")).unwrap(),
                    t.find(&format!("{key}:")).unwrap() + key.len(),
                ),
            },
            value: Span::new(t.find(v).unwrap(), t.find(v).unwrap() + v.len()),
            null: false,
        };
        let m = entry_lines(&src, &field("m", "3")).unwrap();
        assert_eq!(&t[m.range()], "    m: 3\n");
        // A trailing comment: refused rather than lost.
        assert_eq!(entry_lines(&src, &field("j", "2")), None);
    }

    #[test]
    fn diffs_are_unified() {
        let d = unified_diff("r.yaml", "a\nb\n", "a\nc\n");
        assert!(
            d.starts_with("--- a/r.yaml\n+++ b/r.yaml\n@@ -1,2 +1,2 @@\n"),
            "{d}"
        );
        assert!(d.contains("-b\n+c\n"), "{d}");
        assert_eq!(unified_diff("r.yaml", "a\n", "a\n"), "");
    }
}
