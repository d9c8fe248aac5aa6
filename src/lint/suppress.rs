//! Inline suppression comments, read from the file's raw lines (so they work
//! inside embedded documents too):
//!
//! - `# mlalert: disable=<code|name>[,…]` on the line above a rule, route,
//!   receiver or inhibit rule, or at the end of its first line: silences those
//!   lints for findings inside that node (for a route, its children too);
//! - `# mlalert: disable-file=<code|name>[,…]`: silences them in the whole file.
//!
//! A directive that silences nothing is reported by `unused-suppression`.

use super::{Config, Diagnostic, FileId, registry};
use crate::diagnostic::Edit;
use crate::diagnostic::input::unused_suppression;
use crate::model::LoadedFile;
use crate::model::alertmanager::Route;
use crate::source::{SourceFile, Span};

/// One directive.
#[derive(Debug, Clone)]
pub struct Directive {
    /// 0-based line of the comment.
    pub line0: usize,
    /// True for `disable-file=`.
    pub file_wide: bool,
    /// True when the comment follows content on its line (applies to that line's node).
    pub trailing: bool,
    /// Lint codes or names, as written, with the span of each.
    pub lints: Vec<(String, Span)>,
    /// The directive's span (`mlalert: disable=…`).
    pub span: Span,
}

const MARKER: &str = "mlalert:";

/// Every directive in `source`'s text.
pub fn directives(source: &SourceFile) -> Vec<Directive> {
    let mut out = Vec::new();
    let text = &source.text;
    if !text.contains(MARKER) {
        return out;
    }
    let lines = source.lines();
    for line0 in 0..lines.line_count() {
        let start = lines.line_start(line0);
        let line = text[start..].split('\n').next().unwrap_or("");
        let Some(hash) = comment_start(line) else {
            continue;
        };
        let comment = &line[hash + 1..];
        let Some(m) = comment.find(MARKER) else {
            continue;
        };
        if !comment[..m].trim().is_empty() {
            continue;
        }
        let after = &comment[m + MARKER.len()..];
        let body = after.trim_start();
        let (file_wide, list) = if let Some(l) = body.strip_prefix("disable-file=") {
            (true, l)
        } else if let Some(l) = body.strip_prefix("disable=") {
            (false, l)
        } else {
            continue;
        };
        let list_at = start
            + hash
            + 1
            + m
            + MARKER.len()
            + (after.len() - body.len())
            + (body.len() - list.len());
        let list_text = list.split_whitespace().next().unwrap_or("");
        let mut lints = Vec::new();
        let mut offset = 0;
        for item in list_text.split(',') {
            if !item.is_empty() {
                lints.push((
                    item.to_string(),
                    Span::new(list_at + offset, list_at + offset + item.len()),
                ));
            }
            offset += item.len() + 1;
        }
        let trailing = !line[..hash].trim().is_empty();
        let span = Span::new(start + hash + 1 + m, list_at + list_text.len());
        out.push(Directive {
            line0,
            file_wide,
            trailing,
            lints,
            span,
        });
    }
    out
}

/// Byte index of the `#` that starts a YAML comment on `line`, if any
/// (a `#` at the start or after whitespace, outside quotes).
fn comment_start(line: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '#' && prev.is_whitespace() => return Some(i),
            None if (c == '"' || c == '\'')
                && (prev.is_whitespace() || prev == ':' || prev == '[') =>
            {
                quote = Some(c)
            }
            None => {}
        }
        prev = c;
    }
    None
}

/// Spans of the nodes a directive can be attached to: rules, routes,
/// receivers and inhibit rules.
fn regions(loaded: &LoadedFile) -> Vec<Span> {
    fn routes(r: &Route, out: &mut Vec<Span>) {
        out.push(r.span);
        for c in &r.routes {
            routes(c, out);
        }
    }
    let mut out = Vec::new();
    for rf in &loaded.rule_files {
        for g in &rf.groups {
            out.push(g.span);
            out.extend(g.rules.iter().map(|r| r.span));
        }
    }
    for am in &loaded.am_configs {
        if let Some(r) = &am.route {
            routes(r, &mut out);
        }
        out.extend(am.receivers.iter().map(|r| r.span));
        out.extend(am.inhibit_rules.iter().map(|r| r.span));
    }
    out
}

/// What a directive applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// `disable-file=`: the whole file.
    File,
    /// The rule, route, receiver or inhibit rule starting on the directive's line or the next.
    Node(Span),
    /// Nothing: no such node there.
    Detached,
}

fn names(code_or_name: &str, d: &Diagnostic) -> bool {
    code_or_name.eq_ignore_ascii_case(d.lint.code) || code_or_name.eq_ignore_ascii_case(d.lint.name)
}

/// Removes the diagnostics of file `file` that directives silence and adds
/// `unused-suppression` findings for directives that silence nothing.
pub fn apply(
    file: FileId,
    source: &SourceFile,
    loaded: &LoadedFile,
    config: &Config,
    diags: &mut Vec<Diagnostic>,
) {
    let dirs = directives(source);
    if dirs.is_empty() {
        return;
    }
    let regions = regions(loaded);
    let lines = source.lines();
    let targets: Vec<Target> = dirs
        .iter()
        .map(|d| {
            if d.file_wide {
                return Target::File;
            }
            let wanted = if d.trailing {
                d.line0
            } else {
                next_content_line(source, d.line0 + 1)
            };
            regions
                .iter()
                .filter(|r| lines.line_of(r.start) == wanted)
                .min_by_key(|r| r.start)
                .map_or(Target::Detached, |r| Target::Node(*r))
        })
        .collect();
    let mut used: Vec<Vec<bool>> = dirs.iter().map(|d| vec![false; d.lints.len()]).collect();
    diags.retain(|diag| {
        if diag.file != file {
            return true;
        }
        let mut silenced = false;
        for (i, d) in dirs.iter().enumerate() {
            let inside = match targets[i] {
                Target::File => true,
                Target::Node(r) => {
                    diag.span.start >= r.start && diag.span.start < r.end.max(r.start + 1)
                }
                Target::Detached => false,
            };
            if !inside {
                continue;
            }
            for (j, (name, _)) in d.lints.iter().enumerate() {
                if names(name, diag) {
                    used[i][j] = true;
                    silenced = true;
                }
            }
        }
        !silenced
    });
    if !config.is_enabled(&unused_suppression::META) {
        return;
    }
    for (i, d) in dirs.iter().enumerate() {
        if targets[i] == Target::Detached {
            diags.push(
                Diagnostic::new(&unused_suppression::META, file, d.span, "this suppression is not above a rule, route, receiver or inhibit rule")
                    .with_help("put `# mlalert: disable=…` on the line above the node, at the end of its first line, or use `disable-file=`"),
            );
            continue;
        }
        for (j, (name, span)) in d.lints.iter().enumerate() {
            if used[i][j] {
                continue;
            }
            let message = match registry::find(name) {
                None => format!("unknown lint {name:?} in suppression"),
                // A lint turned off by the config reports nothing to silence here: not a stale directive.
                Some(m) if !config.is_enabled(m) => continue,
                Some(m) => format!("suppression of {} ({}) silences nothing", m.code, m.name),
            };
            diags.push(
                Diagnostic::new(&unused_suppression::META, file, *span, message)
                    .with_help("remove it (the finding is gone) or fix the lint's code or name"),
            );
        }
    }
}

/// The edit that silences `d` (a finding in `source`, whose models are
/// `loaded`) for the innermost rule, route, receiver or inhibit rule holding
/// it: `# mlalert: disable=<name>` on a new line above that node, at its
/// line's indentation (or `,<name>` added to a directive already there),
/// with the node's span.
/// `None` when no such node holds the finding, or when a directive above
/// it could not be told apart from a neighbour's (two nodes start on its
/// line). Used by the language server's "disable for this rule" action.
pub fn disable_edit(
    source: &SourceFile,
    loaded: &LoadedFile,
    d: &Diagnostic,
) -> Option<(Edit, Span)> {
    let regions = regions(loaded);
    let lines = source.lines();
    let at = d.span.start;
    let holds = |r: &Span| at >= r.start && at < r.end.max(r.start + 1);
    let node = regions
        .iter()
        .filter(|r| holds(r))
        .max_by_key(|r| r.start)?;
    let line0 = lines.line_of(node.start);
    // A directive above a line applies to the node starting first on it.
    let first_on_line = regions
        .iter()
        .filter(|r| lines.line_of(r.start) == line0)
        .min_by_key(|r| r.start)?;
    if first_on_line != node {
        return None;
    }
    let existing = directives(source)
        .into_iter()
        .find(|x| !x.file_wide && !x.trailing && next_content_line(source, x.line0 + 1) == line0);
    if let Some(x) = existing {
        let edit = Edit {
            span: Span::point(x.span.end),
            replacement: format!(",{}", d.lint.name),
        };
        return Some((edit, *node));
    }
    let line = lines.line_text(&source.text, line0);
    let indent = &line[..line.len() - line.trim_start().len()];
    let start = lines.line_start(line0);
    let edit = Edit {
        span: Span::point(start),
        replacement: format!(
            "{indent}# {MARKER} disable={}{}",
            d.lint.name,
            line_break(source, line0)
        ),
    };
    Some((edit, *node))
}

/// The edit that silences `d`'s lint in the whole of `source`:
/// `# mlalert: disable-file=<name>` on a new first line.
pub fn disable_file_edit(source: &SourceFile, d: &Diagnostic) -> Edit {
    Edit {
        span: Span::point(0),
        replacement: format!(
            "# {MARKER} disable-file={}{}",
            d.lint.name,
            line_break(source, 0)
        ),
    }
}

/// The line break ending 0-based line `line0` of `source` (`\n` when it is the last).
fn line_break(source: &SourceFile, line0: usize) -> &'static str {
    let end = source.lines().line_end(&source.text, line0);
    match source.text.as_bytes().get(end..end + 2) {
        Some(b"\r\n") => "\r\n",
        Some([b'\r', _]) => "\r",
        _ if source.text.as_bytes().get(end) == Some(&b'\r') => "\r",
        _ => "\n",
    }
}

/// The first line at or after `line0` that is neither blank nor only a comment.
fn next_content_line(source: &SourceFile, line0: usize) -> usize {
    let lines = source.lines();
    let mut l = line0;
    while l < lines.line_count() {
        let start = lines.line_start(l);
        let text = source.text[start..].split('\n').next().unwrap_or("").trim();
        if !text.is_empty() && !text.starts_with('#') {
            return l;
        }
        l += 1;
    }
    l
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(yaml: &str) -> Vec<String> {
        let source = SourceFile::from_text("t.yaml", yaml.to_string(), 0);
        let config = Config::default();
        let report = crate::lint::run_sources(vec![source], &config);
        let source = &report.files[0];
        report
            .diagnostics
            .iter()
            .map(|d| format!("{}@{}", d.lint.name, source.line_col(d.span.start).line))
            .collect()
    }

    const RULES: &str = "groups:\n- name: g\n  rules:\n";
    /// Labels and annotations that keep the style lints quiet.
    const META: &str = "    labels: {severity: info}\n    annotations: {summary: s}\n";

    /// Labels and annotations that keep every lint but missing-for quiet.
    const RUNBOOK: &str =
        "    labels: {severity: info}\n    annotations: {summary: s, runbook_url: 'https://r/a'}\n";

    /// Applies the edit `make` gives for the first finding of `lint`, and
    /// the findings of the edited text.
    fn disable_and_rerun(
        yaml: &str,
        lint: &str,
        make: impl Fn(&SourceFile, &LoadedFile, &Diagnostic) -> Option<Edit>,
    ) -> (String, Vec<String>) {
        let config = Config::default();
        let report = crate::lint::run_sources(
            vec![SourceFile::from_text("t.yaml", yaml.to_string(), 0)],
            &config,
        );
        let d = report
            .diagnostics
            .iter()
            .find(|d| d.lint.name == lint)
            .expect(lint);
        let loaded = report.loaded[0].as_ref().unwrap();
        let e = make(&report.files[0], loaded, d).expect("an edit");
        let mut text = yaml.to_string();
        text.replace_range(e.span.start..e.span.end, &e.replacement);
        let findings = run(&text);
        (text, findings)
    }

    #[test]
    fn disable_edit_silences_the_finding_for_its_rule_only() {
        let y = format!(
            "{RULES}  - alert: A\n    expr: up == 0\n{RUNBOOK}  - alert: B\n    expr: up == 0\n{RUNBOOK}"
        );
        assert_eq!(run(&y), ["missing-for@4", "missing-for@8"]);
        let (text, after) = disable_and_rerun(&y, "missing-for", |s, l, d| {
            disable_edit(s, l, d).map(|e| e.0)
        });
        assert!(
            text.contains("  # mlalert: disable=missing-for\n  - alert: A\n"),
            "{text}"
        );
        assert_eq!(after, ["missing-for@9"]);
        // A second lint joins the directive already above the rule.
        let y = format!(
            "{RULES}  # mlalert: disable=missing-runbook\n  - alert: A\n    expr: up == 0\n{META}"
        );
        assert_eq!(run(&y), ["missing-for@5"]);
        let (text, after) = disable_and_rerun(&y, "missing-for", |s, l, d| {
            disable_edit(s, l, d).map(|e| e.0)
        });
        assert!(
            text.contains("  # mlalert: disable=missing-runbook,missing-for\n  - alert: A"),
            "{text}"
        );
        assert!(after.is_empty(), "{after:?}");
    }

    #[test]
    fn disable_edit_keeps_crlf_and_file_edit_silences_the_file() {
        let y = format!("{RULES}  - alert: A\n    expr: up == 0\n{RUNBOOK}").replace('\n', "\r\n");
        let (text, after) = disable_and_rerun(&y, "missing-for", |s, l, d| {
            disable_edit(s, l, d).map(|e| e.0)
        });
        assert!(
            text.contains("  # mlalert: disable=missing-for\r\n  - alert: A"),
            "{text:?}"
        );
        assert!(after.is_empty(), "{after:?}");
        let (text, after) =
            disable_and_rerun(&y, "missing-for", |s, _, d| Some(disable_file_edit(s, d)));
        assert!(
            text.starts_with("# mlalert: disable-file=missing-for\r\ngroups:"),
            "{text:?}"
        );
        assert!(after.is_empty(), "{after:?}");
    }

    #[test]
    fn line_above_and_trailing_silence_one_rule() {
        let y = format!(
            "{RULES}  # mlalert: disable=missing-for,ML102\n  - alert: A\n    expr: up == 0\n{META}  - alert: B\n    expr: up == 0\n{META}"
        );
        assert_eq!(run(&y), ["missing-for@9", "missing-runbook@9"]);
        let y = format!(
            "{RULES}  - alert: A # mlalert: disable=missing-runbook\n    expr: up == 0\n    for: 5m\n{META}"
        );
        assert!(run(&y).is_empty(), "{:?}", run(&y));
    }

    #[test]
    fn file_wide_and_unused() {
        let y = format!(
            "# mlalert: disable-file=missing-runbook\n{RULES}  - alert: A\n    expr: up == 0\n    for: 5m\n{META}"
        );
        assert!(run(&y).is_empty(), "{:?}", run(&y));
        let y = format!(
            "{RULES}  # mlalert: disable=missing-for,no-such-lint\n  - alert: A\n    expr: up == 0\n    for: 5m\n    labels: {{severity: info}}\n    annotations: {{runbook_url: x, summary: s}}\n"
        );
        assert_eq!(run(&y), ["unused-suppression@4", "unused-suppression@4"]);
        let y = format!("# mlalert: disable=missing-for\n\n{RULES}");
        assert_eq!(run(&y), ["unused-suppression@1"]);
    }

    #[test]
    fn works_inside_embedded_documents_and_routes() {
        let y = "apiVersion: v1\nkind: ConfigMap\ndata:\n  am.yaml: |\n    route:\n      receiver: a\n      routes:\n      # mlalert: disable=group-wait-zero\n      - receiver: a\n        group_wait: 0s\n    receivers:\n    - name: a\n";
        assert!(run(y).is_empty(), "{:?}", run(y));
    }

    #[test]
    fn hash_inside_quotes_is_not_a_comment() {
        assert_eq!(
            comment_start("  summary: \"50% # of # mlalert: disable=x\""),
            None
        );
        assert_eq!(comment_start("  - alert: A # note"), Some(13));
    }
}
