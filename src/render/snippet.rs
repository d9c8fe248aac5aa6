//! The bounded source excerpt a human report shows (issue 13): only the
//! lines around a finding's spans, each cut to a window of at most
//! [`MAX_WIDTH`] display characters around the span, with control
//! characters made visible ([`super::escape_controls`]) and secret values
//! replaced by `<secret>`. Built from the file's line index, so its cost
//! depends on the spans, not on the file's size or its lines' lengths.
//!
//! miette renders it through [`Snippet`]'s [`miette::SourceCode`]: line
//! numbers and the header's `path:line:column` are the file's, although
//! the text is only the excerpt.

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use crate::source::{SourceFile, Span};

/// Widest excerpt of one line, in display units (characters; an escape
/// sequence or `<secret>` counts its characters).
pub const MAX_WIDTH: usize = 160;
/// Display units kept left of a span's start when a line is cut.
pub const LEFT: usize = 40;
/// A span over more lines than this is shown on its first line only.
pub const MAX_SPAN_LINES: usize = 12;
/// Lines between two spans' contexts shown rather than split into two excerpts.
pub const GAP_FILL: usize = 3;
/// What a masked secret value is shown as (Alertmanager's own mask).
pub const SECRET: &str = "<secret>";
/// Marks a cut at either end of a line.
const ELLIPSIS: &str = "…";

/// One excerpt line.
#[derive(Debug)]
struct Line {
    /// 0-based line of the file.
    line0: usize,
    /// Offset of the line's first byte in the excerpt.
    start: usize,
    /// Offset of the line's end (its `\n`) in the excerpt.
    end: usize,
    /// `(file offset, excerpt offset)` at the start of each shown unit, then
    /// the window's end; file offsets before the first map to `start`
    /// (past a leading `…`), after the last to `end`.
    map: Vec<(usize, usize)>,
}

/// The excerpt of one file for one finding, and miette's view of it.
#[derive(Debug)]
pub struct Snippet {
    name: String,
    text: String,
    lines: Vec<Line>,
    /// `(excerpt offset, 0-based file column)` of each span's start, for
    /// the header's `path:line:column`.
    columns: Vec<(usize, usize)>,
}

impl Snippet {
    /// The excerpt of `file` around `spans` (the primary span first), named
    /// `name` (already escaped), with bytes inside `secrets` masked. Returns
    /// it and each span in excerpt offsets, in the order given.
    pub fn build(
        name: String,
        file: &SourceFile,
        spans: &[Span],
        secrets: &[Span],
    ) -> (Snippet, Vec<SourceSpan>) {
        let text = file.text.as_str();
        let index = file.lines();
        let last = index.line_count() - 1;
        // Clamp every span into the text, on character boundaries, and cut
        // long multi-line spans to their first line.
        let clamp = |mut o: usize| {
            o = o.min(text.len());
            while !text.is_char_boundary(o) {
                o -= 1;
            }
            o
        };
        // Secrets widen to whole characters (a fuzzed or stale span may end
        // inside one): every offset the excerpt walks stays on a boundary.
        let ceil = |mut o: usize| {
            o = o.min(text.len());
            while !text.is_char_boundary(o) {
                o += 1;
            }
            o
        };
        let mut secrets: Vec<Span> = secrets
            .iter()
            .map(|s| Span::new(clamp(s.start), ceil(s.end.max(s.start))))
            .filter(|s| !s.is_empty())
            .collect();
        secrets.sort();
        let spans: Vec<(usize, usize)> = spans
            .iter()
            .map(|s| {
                let (start, mut end) = (clamp(s.start), clamp(s.end.max(s.start)));
                let l1 = index.line_of(start);
                let l2 = index.line_of(end.saturating_sub(1).max(start));
                if l2 > l1 + MAX_SPAN_LINES {
                    end = index.line_end(text, l1).max(start);
                }
                (start, end)
            })
            .collect();
        // The lines to show: each span's lines and one line either side,
        // merged when close.
        let mut ranges: Vec<(usize, usize)> = spans
            .iter()
            .map(|&(s, e)| {
                let l1 = index.line_of(s);
                let l2 = index.line_of(e.saturating_sub(1).max(s));
                (l1.saturating_sub(1), (l2 + 1).min(last))
            })
            .collect();
        ranges.sort();
        let mut merged: Vec<(usize, usize)> = Vec::new();
        for (a, b) in ranges {
            match merged.last_mut() {
                Some(m) if a <= m.1 + GAP_FILL + 1 => m.1 = m.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        let mut out = String::new();
        let mut lines = Vec::new();
        for (a, b) in merged {
            for line0 in a..=b {
                let ls = index.line_start(line0).min(text.len());
                let le = index.line_end(text, line0).max(ls);
                // Where to anchor a cut: the primary span if it starts on
                // this line, else the first span starting on it.
                let on_line = |&&(s, _): &&(usize, usize)| s >= ls && s <= le;
                let anchor = spans
                    .first()
                    .filter(on_line)
                    .or_else(|| spans.iter().filter(on_line).min())
                    .map_or(ls, |&(s, _)| s);
                lines.push(render_line(text, ls, le, anchor, &secrets, line0, &mut out));
            }
        }
        let mut snippet = Snippet {
            name,
            text: out,
            lines,
            columns: Vec::new(),
        };
        let mapped: Vec<SourceSpan> = spans
            .iter()
            .map(|&(s, e)| {
                let ms = snippet.map(index.line_of(s), s);
                let le = index.line_of(e);
                let me = if e == s {
                    ms
                } else if snippet.lines.iter().any(|l| l.line0 == le) {
                    snippet.map(le, e)
                } else {
                    // The end's line is not shown (a span ending at the
                    // start of a line past the excerpt): end its first line.
                    snippet.map(index.line_of(e - 1), e)
                };
                SourceSpan::new(ms.into(), me.max(ms) - ms)
            })
            .collect();
        for (&(s, _), m) in spans.iter().zip(&mapped) {
            let col = index.line_col(text, s).column - 1;
            snippet.columns.push((m.offset(), col));
        }
        (snippet, mapped)
    }

    /// The excerpt offset of file offset `offset` on shown line `line0`.
    fn map(&self, line0: usize, offset: usize) -> usize {
        let Some(line) = self.lines.iter().find(|l| l.line0 == line0) else {
            // Not shown (cannot happen for a span's own lines): the end of
            // the last line before it, or the start.
            return self
                .lines
                .iter()
                .rev()
                .find(|l| l.line0 < line0)
                .map_or(0, |l| l.end);
        };
        match line.map.binary_search_by(|p| p.0.cmp(&offset)) {
            Ok(i) => line.map[i].1,
            Err(0) => line.start,
            Err(i) if i == line.map.len() => line.end,
            Err(i) => line.map[i - 1].1,
        }
    }

    /// The excerpt's text (tests).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Index of the excerpt line holding excerpt offset `offset`.
    fn line_at(&self, offset: usize) -> usize {
        self.lines
            .partition_point(|l| l.start <= offset)
            .saturating_sub(1)
    }
}

/// Appends line `[ls, le)` of `text` to `out` as shown: whole when it fits in
/// [`MAX_WIDTH`], else a window from up to [`LEFT`] units before `anchor`,
/// with `…` where it is cut; then `\n`.
fn render_line(
    text: &str,
    ls: usize,
    le: usize,
    anchor: usize,
    secrets: &[Span],
    line0: usize,
    out: &mut String,
) -> Line {
    // The secret covering `o`, if any.
    let secret_at = |o: usize| {
        let i = secrets.partition_point(|s| s.start <= o);
        i.checked_sub(1).map(|i| secrets[i]).filter(|s| o < s.end)
    };
    // Display width of the unit starting at `o` and where it ends.
    let unit = |o: usize| -> (usize, usize) {
        if let Some(s) = secret_at(o) {
            return (SECRET.chars().count(), s.end.min(le).max(o + 1));
        }
        let c = text[o..].chars().next().unwrap_or(' ');
        let w = super::escaped_char(c).map_or(1, |e| e.chars().count());
        (w, o + c.len_utf8())
    };
    // Does the whole line fit?
    let mut width = 0;
    let mut o = ls;
    while o < le && width <= MAX_WIDTH {
        let (w, next) = unit(o);
        width += w;
        o = next;
    }
    let (from, budget) = if width <= MAX_WIDTH {
        (ls, MAX_WIDTH)
    } else {
        // Walk back from the anchor over up to LEFT units.
        let mut from = anchor.clamp(ls, le);
        let mut w = 0;
        while from > ls && w < LEFT {
            let mut p = from - 1;
            while !text.is_char_boundary(p) {
                p -= 1;
            }
            if let Some(s) = secret_at(p) {
                p = s.start.max(ls);
                w += SECRET.chars().count();
            } else {
                // Display units, as the forward walk counts them (an
                // escaped control character is several).
                w += unit(p).0;
            }
            from = p;
        }
        (from, MAX_WIDTH)
    };
    let start = out.len();
    if from > ls {
        out.push_str(ELLIPSIS);
    }
    let mut map = Vec::new();
    let mut width = 0;
    let mut o = from;
    while o < le && width < budget {
        map.push((o, out.len()));
        let (w, next) = unit(o);
        if secret_at(o).is_some() {
            out.push_str(SECRET);
        } else {
            let c = text[o..].chars().next().unwrap_or(' ');
            match super::escaped_char(c) {
                Some(e) => out.push_str(&e),
                None => out.push(c),
            }
        }
        width += w;
        o = next;
    }
    map.push((o, out.len()));
    if o < le {
        out.push_str(ELLIPSIS);
    }
    let end = out.len();
    out.push('\n');
    Line {
        line0,
        start,
        end,
        map,
    }
}

impl SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        if self.lines.is_empty() {
            return Err(MietteError::OutOfBounds);
        }
        let offset = span.offset();
        let mut a = self.line_at(offset);
        let mut b = self.line_at((offset + span.len()).saturating_sub(1).max(offset));
        // A span across a gap between two excerpts cannot be one context.
        if (a..b).any(|i| self.lines[i + 1].line0 != self.lines[i].line0 + 1) {
            return Err(MietteError::OutOfBounds);
        }
        for _ in 0..before {
            if a > 0 && self.lines[a - 1].line0 + 1 == self.lines[a].line0 {
                a -= 1;
            }
        }
        for _ in 0..after {
            if b + 1 < self.lines.len() && self.lines[b].line0 + 1 == self.lines[b + 1].line0 {
                b += 1;
            }
        }
        let (start, end) = (self.lines[a].start, self.lines[b].end + 1);
        let column = if before == 0 {
            self.columns
                .iter()
                .find(|c| c.0 == offset)
                .map_or(0, |c| c.1)
        } else {
            0
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            &self.text.as_bytes()[start..end],
            SourceSpan::new(start.into(), end - start),
            self.lines[a].line0,
            column,
            b - a + 1,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(text: &str, spans: &[Span], secrets: &[Span]) -> (Snippet, Vec<SourceSpan>) {
        let f = SourceFile::from_text("f.yaml", text.to_string(), 0);
        Snippet::build("f.yaml".into(), &f, spans, secrets)
    }

    #[test]
    fn secrets_ending_inside_a_character_do_not_panic() {
        // Found by the `render` fuzz target: a secret span ending inside a
        // U+202E on a line past MAX_WIDTH made the walk slice mid-character.
        let text = format!("k: {}\n", "\u{202e}".repeat(400));
        let at = 3 + 3 * 200;
        for (s, e) in [(at + 1, at + 5), (at, at + 4), (3, 3 + 3 * 399 + 1)] {
            let (snip, _) = build(&text, &[Span::new(at, at + 3)], &[Span::new(s, e)]);
            assert!(snip.text().contains(SECRET), "{s}..{e}: {}", snip.text());
        }
    }

    #[test]
    fn short_lines_are_shown_whole_with_context() {
        let text = "a: 1\nb: 2\nc: 3\nd: 4\n";
        let (s, m) = build(text, &[Span::new(5, 6)], &[]);
        assert_eq!(s.text(), "a: 1\nb: 2\nc: 3\n");
        assert_eq!((m[0].offset(), m[0].len()), (5, 1));
    }

    #[test]
    fn a_long_line_is_cut_around_the_span() {
        let text = format!("k: [{}x, y]\n", "a, ".repeat(100_000));
        let at = text.find('x').unwrap();
        let (s, m) = build(&text, &[Span::new(at, at + 1)], &[]);
        let line = s.text().lines().next().unwrap();
        assert!(line.chars().count() <= MAX_WIDTH + 2, "{}", line.len());
        assert!(line.starts_with('…') && line.ends_with(']'), "{line}");
        assert_eq!(&s.text()[m[0].offset()..m[0].offset() + 1], "x");
        // The header column is the file's.
        let c = s.read_span(&m[0], 0, 0).unwrap();
        assert_eq!((c.line(), c.column()), (0, text[..at].chars().count()));
    }

    #[test]
    fn secrets_and_controls_are_never_shown() {
        let text = "a: 1\ntoken: hunter2 # \u{1b}[31m\nb: 2\n";
        let at = text.find("hunter2").unwrap();
        let (s, m) = build(text, &[Span::new(0, 1)], &[Span::new(at, at + 7)]);
        assert!(!s.text().contains("hunter2") && s.text().contains("token: <secret> #"));
        assert!(!s.text().contains('\u{1b}'), "{:?}", s.text());
        assert_eq!(m[0].offset(), 0);
        // A span on the secret covers the mask.
        let (s, m) = build(text, &[Span::new(at, at + 7)], &[Span::new(at, at + 7)]);
        assert_eq!(&s.text()[m[0].offset()..m[0].offset() + m[0].len()], SECRET);
    }

    #[test]
    fn far_apart_spans_are_two_excerpts_with_the_file_s_line_numbers() {
        let text = "x\n".repeat(100);
        let (s, m) = build(&text, &[Span::new(10, 11), Span::new(150, 151)], &[]);
        assert_eq!(s.text().lines().count(), 6);
        let c = s.read_span(&m[1], 1, 1).unwrap();
        assert_eq!((c.line(), c.line_count()), (74, 3));
        // Both at once cross the gap.
        let both = SourceSpan::new(m[0].offset().into(), m[1].offset() - m[0].offset() + 1);
        assert!(s.read_span(&both, 1, 1).is_err());
    }

    #[test]
    fn cr_only_lines_are_lines() {
        let text = "# é\rgroups:\r- x: 1\r";
        let at = text.find("x:").unwrap();
        let (s, m) = build(text, &[Span::new(at, at + 1)], &[]);
        assert_eq!(s.text(), "groups:\n- x: 1\n\n");
        let c = s.read_span(&m[0], 0, 0).unwrap();
        assert_eq!((c.line(), c.column()), (2, 2));
    }

    #[test]
    fn a_span_over_many_lines_is_cut_to_its_first() {
        let text = "x\n".repeat(1000);
        let (s, m) = build(&text, &[Span::new(0, text.len())], &[]);
        assert_eq!(s.text(), "x\nx\n");
        assert_eq!((m[0].offset(), m[0].len()), (0, 1));
    }
}
