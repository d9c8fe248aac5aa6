//! Bytes and positions: the only module that computes line numbers.
//!
//! A [`SourceFile`] holds a file's text as read from disk. Every position in
//! mlalert is a [`Span`] of byte offsets into that text, also for text inside
//! embedded documents (a rule file in a ConfigMap) and inside PromQL: those
//! carry a [`TextMap`] from their own byte offsets to the outer file's.

pub mod diff;
mod read;
mod walk;

pub use read::{MAX_FILE_BYTES, ReadError, read_file, read_limited, read_stdin};
pub use walk::{NOTHING_TO_LINT, WalkError, walk_paths};

use std::sync::Arc;

/// A half-open byte range `[start, end)` into a [`SourceFile`]'s text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte (`end >= start`).
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end` (swapped if given in the wrong order).
    pub fn new(start: usize, end: usize) -> Span {
        if end < start {
            Span {
                start: end,
                end: start,
            }
        } else {
            Span { start, end }
        }
    }

    /// An empty span at `offset`.
    pub fn point(offset: usize) -> Span {
        Span {
            start: offset,
            end: offset,
        }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// True when the span covers no byte.
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// The span as a range, to slice the text it indexes.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start..self.end
    }
}

/// A 1-based line and column; columns count characters, not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

/// Byte offsets of line starts, for turning offsets into [`LineCol`].
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Index `text`. Lines end at `\n`, `\r\n` or a lone `\r`: YAML's line
    /// breaks (YAML 1.2 §5.4, as go-yaml and saphyr read them), so that a file
    /// with classic Mac line ends has the lines its parser sees.
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        for (i, b) in bytes.iter().enumerate() {
            match b {
                b'\n' => starts.push(i + 1),
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => starts.push(i + 1),
                _ => {}
            }
        }
        LineIndex { starts }
    }

    /// Number of lines (a trailing newline opens one more, empty line).
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// Byte offset where 0-based line `line0` starts (clamped to the last line).
    pub fn line_start(&self, line0: usize) -> usize {
        self.starts[line0.min(self.starts.len() - 1)]
    }

    /// Byte offset where the content of 0-based line `line0` of `text` ends:
    /// before its line break (`\n`, `\r\n` or `\r`), or at the end of the text
    /// (clamped to the last line).
    pub fn line_end(&self, text: &str, line0: usize) -> usize {
        let line0 = line0.min(self.starts.len() - 1);
        let Some(&next) = self.starts.get(line0 + 1) else {
            return text.len();
        };
        let bytes = text.as_bytes();
        let mut end = next.min(bytes.len());
        if end > 0 && bytes[end - 1] == b'\n' {
            end -= 1;
        }
        if end > self.starts[line0] && bytes[end - 1] == b'\r' {
            end -= 1;
        }
        end
    }

    /// The content of 0-based line `line0` of `text`, without its line break.
    pub fn line_text<'t>(&self, text: &'t str, line0: usize) -> &'t str {
        let start = self.line_start(line0).min(text.len());
        &text[start..self.line_end(text, line0).max(start)]
    }

    /// 0-based line holding byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// The 1-based line and character column of byte `offset` in `text`.
    /// Offsets past the end or inside a UTF-8 sequence are clamped.
    pub fn line_col(&self, text: &str, offset: usize) -> LineCol {
        let offset = offset.min(text.len());
        let line0 = self.line_of(offset);
        let start = self.starts[line0];
        let mut end = offset;
        while end > start && !text.is_char_boundary(end) {
            end -= 1;
        }
        let column = text[start..end].chars().count() + 1;
        LineCol {
            line: line0 + 1,
            column,
        }
    }

    /// The 0-based line and 0-based column in UTF-16 code units of byte
    /// `offset` in `text`: the Language Server Protocol's `Position` (its
    /// default `utf-16` position encoding). Offsets past the end or inside a
    /// UTF-8 sequence are clamped as in [`LineIndex::line_col`].
    pub fn utf16_position(&self, text: &str, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(text.len());
        while offset > 0 && !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line0 = self.line_of(offset);
        let start = self.starts[line0].min(offset);
        let column = text[start..offset].chars().map(char::len_utf16).sum();
        (line0, column)
    }

    /// Byte offset of 0-based `line0` and 0-based UTF-16 column `col16` in
    /// `text` (an LSP `Position`); a line past the last is the end of the
    /// text, a column past the line's content its end, a column inside a
    /// surrogate pair the character's start.
    pub fn offset_of_utf16(&self, text: &str, line0: usize, col16: usize) -> usize {
        if line0 >= self.starts.len() {
            return text.len();
        }
        let start = self.starts[line0];
        let line_text = self.line_text(text, line0);
        let mut units = 0;
        for (i, c) in line_text.char_indices() {
            if units + c.len_utf16() > col16 {
                return start + i;
            }
            units += c.len_utf16();
        }
        start + line_text.len()
    }

    /// Byte offset of 1-based `line` and 0-based character column `col0` in
    /// `text` (YAML parsers' markers: lines by the same breaks as
    /// [`LineIndex::new`], columns in characters); past the line's content,
    /// its end.
    pub fn offset_of(&self, text: &str, line: usize, col0: usize) -> usize {
        let line0 = line.saturating_sub(1);
        let start = self.line_start(line0);
        let line_text = self.line_text(text, line0);
        match line_text.char_indices().nth(col0) {
            Some((i, _)) => start + i,
            None => start + line_text.len(),
        }
    }
}

/// One input file: its path as given on the command line and its text.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as given (relative stays relative), used in every message.
    pub path: String,
    /// The decoded text (a UTF-8 BOM is kept out; see [`SourceFile::new`]).
    pub text: String,
    /// Byte offset of the BOM-stripped text in the bytes on disk (0 or 3).
    pub bom_len: usize,
    lines: LineIndex,
}

impl SourceFile {
    /// A source file from its path and bytes. A UTF-8 BOM is stripped.
    ///
    /// # Errors
    /// The bytes are not UTF-8: the message names the first invalid byte's line.
    pub fn new(path: impl Into<String>, bytes: Vec<u8>) -> Result<SourceFile, SourceError> {
        let path = path.into();
        let (bytes, bom_len) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) => (rest.to_vec(), 3),
            None => (bytes, 0),
        };
        match String::from_utf8(bytes) {
            Ok(text) => Ok(SourceFile::from_text(path, text, bom_len)),
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let bytes = e.into_bytes();
                let line = bytes[..valid].iter().filter(|b| **b == b'\n').count() + 1;
                let value = bytes.get(valid).copied().unwrap_or(0);
                // The valid prefix is unchanged by a lossy decoding: offsets into it stay exact.
                let lossy = SourceFile::from_text(
                    path.clone(),
                    String::from_utf8_lossy(&bytes).into_owned(),
                    bom_len,
                );
                Err(SourceError::NotUtf8 {
                    path,
                    line,
                    offset: valid,
                    value,
                    lossy: Box::new(lossy),
                })
            }
        }
    }

    /// A source file from text already in memory (tests, stdin).
    pub fn from_text(path: impl Into<String>, text: String, bom_len: usize) -> SourceFile {
        let lines = LineIndex::new(&text);
        SourceFile {
            path: path.into(),
            text,
            bom_len,
            lines,
        }
    }

    /// The file's line index.
    pub fn lines(&self) -> &LineIndex {
        &self.lines
    }

    /// 1-based line and column of byte `offset`.
    pub fn line_col(&self, offset: usize) -> LineCol {
        self.lines.line_col(&self.text, offset)
    }
}

/// Errors reading a file's bytes as text.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The file is not valid UTF-8 (Prometheus and Alertmanager need UTF-8 YAML).
    #[error("{path}:{line}: file is not valid UTF-8 (invalid byte 0x{value:02X})")]
    NotUtf8 {
        /// The path as given.
        path: String,
        /// 1-based line of the first invalid byte.
        line: usize,
        /// Byte offset of the first invalid byte in the BOM-stripped text.
        offset: usize,
        /// The invalid byte.
        value: u8,
        /// The file decoded with U+FFFD replacements, to show where the byte is.
        lossy: Box<SourceFile>,
    },
}

/// Maps byte offsets of an inner text (a scalar's value, an embedded
/// document, a PromQL expression) to byte offsets of the outer file.
///
/// Exact for plain scalars, quoted scalars without escapes and block
/// scalars: a literal block's (`|`) lines are found at the block's
/// indentation, and a folded (`>`) or multi-line scalar's words are aligned
/// with the source's, each line break standing for the space it folded to.
/// Otherwise (escapes, `''` in single quotes) every offset maps to the
/// scalar's start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextMap {
    /// `outer = base + inner`.
    Shift(usize),
    /// Sorted `(inner line start, outer offset)` pairs, one per inner line:
    /// `outer = pair.1 + (inner - pair.0)` for the last pair with `pair.0 <= inner`.
    Lines(Arc<[(usize, usize)]>),
    /// Every inner offset maps to this outer offset.
    Point(usize),
}

impl TextMap {
    /// The outer offset of inner offset `inner`.
    pub fn map(&self, inner: usize) -> usize {
        match self {
            TextMap::Shift(base) => base + inner,
            TextMap::Point(p) => *p,
            TextMap::Lines(pairs) => {
                let i = match pairs.binary_search_by(|p| p.0.cmp(&inner)) {
                    Ok(i) => i,
                    Err(0) => return pairs.first().map(|p| p.1).unwrap_or(0),
                    Err(i) => i - 1,
                };
                let (inner_start, outer_start) = pairs[i];
                outer_start + (inner - inner_start)
            }
        }
    }

    /// The outer span of inner range `[start, end)`; for [`TextMap::Point`]
    /// an empty span at the point.
    pub fn map_span(&self, start: usize, end: usize) -> Span {
        match self {
            TextMap::Point(p) => Span::point(*p),
            _ => {
                let s = self.map(start);
                let e = if end > start {
                    self.map(end - 1) + 1
                } else {
                    s
                };
                Span::new(s, e.max(s))
            }
        }
    }

    /// `outer.compose(inner)`: a map applying `inner` first, then `self`.
    /// Exact when `inner`'s lines each fall on one line of `self`.
    pub fn compose(&self, inner: &TextMap) -> TextMap {
        match (self, inner) {
            (TextMap::Point(p), _) => TextMap::Point(*p),
            (_, TextMap::Point(p)) => TextMap::Point(self.map(*p)),
            (TextMap::Shift(a), TextMap::Shift(b)) => TextMap::Shift(a + b),
            (_, TextMap::Shift(b)) => match self {
                // A shifted text may span several outer lines: keep per-line pairs.
                TextMap::Lines(pairs) => {
                    let mut out: Vec<(usize, usize)> = vec![(0, self.map(*b))];
                    for &(inner_start, outer_start) in pairs.iter() {
                        if inner_start > *b {
                            out.push((inner_start - b, outer_start));
                        }
                    }
                    TextMap::Lines(out.into())
                }
                _ => TextMap::Shift(self.map(*b)),
            },
            (_, TextMap::Lines(pairs)) => {
                TextMap::Lines(pairs.iter().map(|&(i, o)| (i, self.map(o))).collect())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_positions_count_surrogate_pairs_and_round_trip() {
        // "é" is 2 bytes and 1 UTF-16 unit; "🔥" is 4 bytes and 2 units.
        let text = "a: é🔥x\r\nb: 1\n";
        let lines = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(lines.utf16_position(text, x), (0, 6));
        assert_eq!(lines.offset_of_utf16(text, 0, 6), x);
        // Inside the surrogate pair: the emoji's start.
        let fire = text.find('🔥').unwrap();
        assert_eq!(lines.offset_of_utf16(text, 0, 5), fire);
        // Inside a UTF-8 sequence: clamped back to the character.
        assert_eq!(lines.utf16_position(text, fire + 1), (0, 4));
        let b = text.find('b').unwrap();
        assert_eq!(lines.utf16_position(text, b + 3), (1, 3));
        // Past the line's content: its end, before `\r\n`; past the last line: the end.
        assert_eq!(lines.offset_of_utf16(text, 0, 99), x + 1);
        assert_eq!(lines.offset_of_utf16(text, 9, 0), text.len());
        assert_eq!(lines.utf16_position(text, text.len()), (2, 0));
    }

    #[test]
    fn line_col_counts_characters() {
        let f = SourceFile::from_text("x", "ab\nçd: e\n".to_string(), 0);
        assert_eq!(f.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(f.line_col(3), LineCol { line: 2, column: 1 });
        // 'd' is after a two-byte character: byte 5, column 2.
        assert_eq!(f.line_col(5), LineCol { line: 2, column: 2 });
        assert_eq!(f.line_col(999), LineCol { line: 3, column: 1 });
    }

    #[test]
    fn lines_break_at_lf_crlf_and_lone_cr() {
        // Issue 13 item 21: CR-only line ends and a non-ASCII character.
        let text = "# é\rgroups:\r\n- a\nb\r";
        let f = SourceFile::from_text("x", text.to_string(), 0);
        assert_eq!(f.lines().line_count(), 5);
        assert_eq!(
            f.line_col(text.find("groups").unwrap()),
            LineCol { line: 2, column: 1 }
        );
        assert_eq!(
            f.line_col(text.find("- a").unwrap() + 2),
            LineCol { line: 3, column: 3 }
        );
        assert_eq!(
            f.line_col(text.find('b').unwrap()),
            LineCol { line: 4, column: 1 }
        );
        let l = f.lines();
        assert_eq!(l.line_text(text, 0), "# é");
        assert_eq!(l.line_text(text, 1), "groups:");
        assert_eq!(l.line_text(text, 3), "b");
        assert_eq!(l.line_text(text, 4), "");
        // A marker (line 3, column 2 in characters) and the end of a line.
        assert_eq!(l.offset_of(text, 3, 2), text.find("a").unwrap());
        assert_eq!(l.offset_of(text, 1, 99), text.find('\r').unwrap());
        assert_eq!(l.offset_of(text, 2, 2), text.find("oups").unwrap());
    }

    #[test]
    fn bom_is_stripped_and_bad_utf8_is_an_error() {
        let f = SourceFile::new("x", b"\xEF\xBB\xBFgroups: []".to_vec()).unwrap();
        assert_eq!(f.text, "groups: []");
        assert_eq!(f.bom_len, 3);
        let e = SourceFile::new("bad.yaml", b"a: 1\nb: \xff\n".to_vec()).unwrap_err();
        assert!(e.to_string().starts_with("bad.yaml:2:"), "{e}");
    }

    #[test]
    fn text_maps_compose() {
        let lines = TextMap::Lines(vec![(0, 100), (5, 200)].into());
        assert_eq!(lines.map(3), 103);
        assert_eq!(lines.map(6), 201);
        let inner = TextMap::Shift(6);
        assert_eq!(lines.compose(&inner).map(0), 201);
        assert_eq!(TextMap::Point(7).compose(&inner).map(3), 7);
        assert_eq!(lines.map_span(1, 3), Span::new(101, 103));
    }
}
