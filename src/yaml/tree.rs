//! Event stream → spanned node tree.

use std::collections::{HashMap, HashSet};

use saphyr_parser::{Event, Marker, Parser, ScalarStyle};

use crate::source::{LineIndex, Span, TextMap};

/// Deepest nesting of sequences and mappings accepted in one document, also
/// where an alias inserts its anchored node (an alias's nesting counts at the
/// alias).
pub const MAX_DEPTH: usize = 512;
/// Most nodes one outer file may ever expand to: its own stream and every
/// document embedded in it (ConfigMap and Secret values) share one
/// [`Budget`]; an alias costs the nodes of what it expands to. A file's own
/// budget is usually smaller ([`Budget::for_file`]).
pub const MAX_NODES: usize = 2_000_000;
/// Most bytes of scalar values one outer file may ever expand to (64 MiB, twice
/// the 32 MiB input limit, `source::MAX_FILE_BYTES`): a file without aliases
/// never needs more than its own size (decoded values are never longer than
/// their source text), and an alias costs the bytes of what it expands to,
/// so one 1 MiB anchored scalar referenced 3,000 times is refused at its 63rd
/// reference instead of taking 3 GB.
pub const MAX_SCALAR_BYTES: usize = 64 * 1024 * 1024;

/// Fewest nodes [`Budget::for_file`] allows, however small the file.
pub const MIN_NODES: usize = 200_000;
/// Fewest bytes of scalar values [`Budget::for_file`] allows (4 MiB).
pub const MIN_SCALAR_BYTES: usize = 4 * 1024 * 1024;

/// What the parsing of one outer file may still spend: nodes and bytes of
/// scalar values after alias expansion. The loader keeps one per file on
/// disk ([`Budget::for_file`]) and passes it to every [`parse_stream_in`] of
/// the documents embedded in it, so that an anchored rule file listed under
/// 800 ConfigMap keys is counted 800 times against one budget, not against
/// 800 fresh ones.
#[derive(Debug, Clone)]
pub struct Budget {
    nodes: usize,
    bytes: usize,
    node_limit: usize,
    byte_limit: usize,
    spent: bool,
}

impl Default for Budget {
    /// The absolute caps: [`MAX_NODES`] nodes, [`MAX_SCALAR_BYTES`] bytes.
    fn default() -> Budget {
        Budget::new(MAX_NODES, MAX_SCALAR_BYTES)
    }
}

impl Budget {
    /// A budget of `nodes` nodes and `bytes` bytes of scalar values.
    pub fn new(nodes: usize, bytes: usize) -> Budget {
        Budget {
            nodes,
            bytes,
            node_limit: nodes,
            byte_limit: bytes,
            spent: false,
        }
    }

    /// The budget of a file of `len` bytes: twice its size, in nodes and in
    /// bytes of values, between [`MIN_NODES`]/[`MIN_SCALAR_BYTES`] and
    /// [`MAX_NODES`]/[`MAX_SCALAR_BYTES`]. Without aliases a file never
    /// needs that much: a node takes at least two bytes of text (`a,`), a
    /// decoded value is never longer than its source, and an embedded
    /// document is text of the file parsed once more. What grows past it
    /// grows through aliases, the expansion an attacker controls: a 150 KB
    /// ConfigMap whose one anchored rule file is listed under 800 keys
    /// stops after its first forty or so copies, not at 2 million nodes of
    /// rules.
    pub fn for_file(len: usize) -> Budget {
        let twice = len.saturating_mul(2);
        Budget::new(
            twice.clamp(MIN_NODES, MAX_NODES),
            twice.clamp(MIN_SCALAR_BYTES, MAX_SCALAR_BYTES),
        )
    }

    /// True once a parse went over the budget: nothing more fits.
    pub fn is_spent(&self) -> bool {
        self.spent
    }

    /// Nodes still allowed.
    pub fn nodes_left(&self) -> usize {
        self.nodes
    }

    /// Bytes of scalar values still allowed.
    pub fn bytes_left(&self) -> usize {
        self.bytes
    }

    /// Spends `cost`; `Err` with what ran out when it does not fit (the
    /// budget is then spent: [`Budget::is_spent`]).
    fn spend(&mut self, cost: Cost) -> Result<(), String> {
        if self.spent || cost.nodes > self.nodes {
            self.spent = true;
            return Err(format!(
                "document expands to more than {} nodes (aliases or embedded documents expanding?)",
                self.node_limit
            ));
        }
        if cost.bytes > self.bytes {
            self.spent = true;
            return Err(format!(
                "document expands to more than {:.1} MiB of values (aliases or embedded documents expanding?)",
                self.byte_limit as f64 / 1_048_576.0
            ));
        }
        self.nodes -= cost.nodes;
        self.bytes -= cost.bytes;
        Ok(())
    }
}

/// What a (sub)tree costs once expanded: nodes, bytes of scalar values, and
/// its height (levels of sequences and mappings; 0 for a scalar).
#[derive(Debug, Clone, Copy, Default)]
struct Cost {
    nodes: usize,
    bytes: usize,
    height: usize,
}

impl Cost {
    fn add(&mut self, child: Cost) {
        self.nodes = self.nodes.saturating_add(child.nodes);
        self.bytes = self.bytes.saturating_add(child.bytes);
        self.height = self.height.max(child.height + 1);
    }
}

/// How a scalar was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Unquoted.
    Plain,
    /// `'...'`
    SingleQuoted,
    /// `"..."`
    DoubleQuoted,
    /// `|` block.
    Literal,
    /// `>` block.
    Folded,
}

/// A scalar: its decoded value, how it was written, and where each byte of
/// the value is in the outer file.
#[derive(Debug, Clone)]
pub struct Scalar {
    /// The decoded value (escapes resolved, block indentation removed).
    pub value: String,
    /// How it was written.
    pub style: Style,
    /// Value byte offset → outer file byte offset.
    pub map: TextMap,
}

impl Scalar {
    /// True for a plain `~`, `null` (any case YAML allows) or empty scalar.
    pub fn is_null(&self) -> bool {
        self.style == Style::Plain
            && matches!(self.value.as_str(), "" | "~" | "null" | "Null" | "NULL")
    }
}

/// What a node holds.
#[derive(Debug, Clone)]
pub enum Kind {
    /// A scalar (also null).
    Scalar(Scalar),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order; duplicate keys are kept (the model reports them).
    Map(Vec<(Node, Node)>),
}

/// A YAML node with its span in the outer file.
#[derive(Debug, Clone)]
pub struct Node {
    /// The content.
    pub kind: Kind,
    /// Where the node is written (for block scalars: from the indicator to the end).
    pub span: Span,
    /// An explicit tag such as `!!str`, as written (handle + suffix).
    pub tag: Option<String>,
}

impl Node {
    /// The scalar, if this node is one.
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            Kind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The scalar's value, if this node is a non-null scalar.
    pub fn as_str(&self) -> Option<&str> {
        self.as_scalar()
            .filter(|s| !s.is_null())
            .map(|s| s.value.as_str())
    }

    /// The mapping's entries, if this node is a mapping.
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            Kind::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The sequence's items, if this node is a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            Kind::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// True for a null scalar.
    pub fn is_null(&self) -> bool {
        self.as_scalar().is_some_and(Scalar::is_null)
    }

    /// The first value under plain key `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_scalar().is_some_and(|s| s.value == key))
            .map(|(_, v)| v)
    }

    /// Where the node's content ends in `text` (the outer file the spans
    /// index): a block mapping's or sequence's [`Node::span`] runs on to the
    /// next token (blank lines and comments after its last entry included),
    /// and a block scalar's to the end of its trailing blank lines; this is
    /// the end of the last scalar or flow collection written in it, so that
    /// an edit replacing `key: value` keeps what follows. A flow collection
    /// (`[…]`, `{…}`) ends at its closing bracket. Only the last entry is
    /// followed down (entries are in source order), so the cost is the
    /// node's depth, not its size.
    pub fn content_end(&self, text: &str) -> usize {
        let mut node = self;
        loop {
            let raw = text.get(node.span.start..node.span.end).unwrap_or("");
            let flow = (raw.starts_with('[') && raw.ends_with(']'))
                || (raw.starts_with('{') && raw.ends_with('}'));
            if flow {
                return node.span.end;
            }
            match &node.kind {
                Kind::Scalar(s) if matches!(s.style, Style::Literal | Style::Folded) => {
                    return node.span.start + raw.trim_end().len();
                }
                Kind::Scalar(_) => return node.span.end,
                Kind::Seq(items) => match items.last() {
                    Some(last) => node = last,
                    None => return node.span.start,
                },
                Kind::Map(entries) => match entries.last() {
                    // An empty value has no place of its own: the key ends it.
                    Some((k, v))
                        if v.as_scalar()
                            .is_some_and(|s| s.value.is_empty() && s.style == Style::Plain) =>
                    {
                        return k.content_end(text);
                    }
                    Some((_, v)) => node = v,
                    None => return node.span.start,
                },
            }
        }
    }

    /// The YAML type name used in error messages ("mapping", "sequence", "string", "null").
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            Kind::Scalar(s) if s.is_null() => "null",
            Kind::Scalar(_) => "scalar",
            Kind::Seq(_) => "sequence",
            Kind::Map(_) => "mapping",
        }
    }
}

/// One document of a stream.
#[derive(Debug, Clone)]
pub struct Document {
    /// 0-based index of the document in its stream.
    pub index: usize,
    /// The document's root node.
    pub root: Node,
}

/// A YAML syntax error, with its position in the outer file.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    /// The parser's message.
    pub message: String,
    /// Where the parser stopped.
    pub span: Span,
}

/// Parse every document of `text` with a fresh [`Budget`]; see
/// [`parse_stream_in`].
pub fn parse_stream(text: &str, map: &TextMap) -> (Vec<Document>, Option<YamlError>) {
    parse_stream_in(text, map, &mut Budget::default())
}

/// Parse every document of `text`, spending `budget`. `map` takes byte
/// offsets of `text` to the outer file (use `TextMap::Shift(0)` for a file
/// on disk).
///
/// An alias expands to a copy of its anchored node placed where the alias is
/// written: every span in the copy is the alias token's (`*base`), so a
/// finding on a rule reached through an alias or a merge key (`<<: *base`)
/// points at that rule, not at the anchor inside another one. The copy costs
/// what it expands to (nodes and value bytes) and its nesting counts from
/// the alias ([`MAX_DEPTH`]).
///
/// Returns the documents that parsed completely and, if the stream is not
/// valid YAML or exceeds the budget or [`MAX_DEPTH`], the error; documents
/// before the error are still returned.
pub fn parse_stream_in(
    text: &str,
    map: &TextMap,
    budget: &mut Budget,
) -> (Vec<Document>, Option<YamlError>) {
    let mut b = Builder {
        text,
        lines: LineIndex::new(text),
        ascii: text.is_ascii(),
        map,
        anchors: HashMap::new(),
        budget,
        stack: Vec::new(),
    };
    let mut docs = Vec::new();
    let mut parser = Parser::new_from_str(text);
    loop {
        let next = crate::guard::catch(|| parser.next_event());
        let (event, span) = match next {
            Ok(None) => break,
            Ok(Some(Ok(ev))) => ev,
            Ok(Some(Err(e))) => {
                let at = b.offset(e.marker());
                return (
                    docs,
                    Some(YamlError {
                        message: match e.info() {
                            m if m.contains("recursion limit") => format!("nesting too deep ({m})"),
                            m => m.to_string(),
                        },
                        span: b.map.map_span(at, at),
                    }),
                );
            }
            Err(_) => {
                return (
                    docs,
                    Some(YamlError {
                        message: "the YAML parser failed on this input".into(),
                        span: Span::point(map.map(0)),
                    }),
                );
            }
        };
        let start = b.offset(&span.start);
        let end = b.offset(&span.end).max(start);
        let result = match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => Ok(None),
            Event::DocumentStart(_) => {
                b.anchors.clear();
                Ok(None)
            }
            Event::DocumentEnd => Ok(None),
            Event::Alias(id) => match b.anchors.get(&id).map(|(_, cost)| *cost) {
                Some(cost) if b.stack.len() + cost.height > MAX_DEPTH => Err(YamlError {
                    message: format!("nesting deeper than {MAX_DEPTH} levels (through an alias)"),
                    span: b.map.map_span(start, end),
                }),
                Some(cost) => b.charge(cost, start).map(|_| {
                    let mut node = b.anchors[&id].0.clone();
                    respan(&mut node, b.map.map_span(start, end));
                    Some((node, 0, cost))
                }),
                None => Err(YamlError {
                    message: "unknown anchor".into(),
                    span: b.map.map_span(start, end),
                }),
            },
            Event::Scalar(value, style, anchor, tag) => {
                let cost = Cost {
                    nodes: 1,
                    bytes: value.len(),
                    height: 0,
                };
                match b.charge(cost, start) {
                    Ok(()) => Ok(Some((
                        b.scalar(
                            value.into_owned(),
                            style,
                            start,
                            end,
                            tag.map(|t| format!("{}{}", t.handle, t.suffix)),
                        ),
                        anchor,
                        cost,
                    ))),
                    Err(e) => Err(e),
                }
            }
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag) => {
                if b.stack.len() >= MAX_DEPTH {
                    Err(YamlError {
                        message: format!("nesting deeper than {MAX_DEPTH} levels"),
                        span: b.map.map_span(start, start),
                    })
                } else {
                    b.stack.push(Open {
                        start,
                        anchor,
                        tag: tag.map(|t| format!("{}{}", t.handle, t.suffix)),
                        items: Vec::new(),
                        cost: Cost {
                            nodes: 1,
                            bytes: 0,
                            height: 1,
                        },
                    });
                    Ok(None)
                }
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let is_map = matches!(event, Event::MappingEnd);
                match b.stack.pop() {
                    Some(open) => {
                        let span = b.map.map_span(open.start, end.max(open.start));
                        let kind = if is_map {
                            let mut entries = Vec::with_capacity(open.items.len() / 2);
                            let mut it = open.items.into_iter();
                            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                                entries.push((k, v));
                            }
                            Kind::Map(merge_keys(entries))
                        } else {
                            Kind::Seq(open.items)
                        };
                        // The children were charged as they came.
                        b.charge(
                            Cost {
                                nodes: 1,
                                ..Cost::default()
                            },
                            start,
                        )
                        .map(|_| {
                            Some((
                                Node {
                                    kind,
                                    span,
                                    tag: open.tag,
                                },
                                open.anchor,
                                open.cost,
                            ))
                        })
                    }
                    None => Ok(None),
                }
            }
        };
        match result {
            Err(e) => return (docs, Some(e)),
            Ok(None) => {}
            Ok(Some((node, anchor, cost))) => {
                if anchor != 0 {
                    b.anchors.insert(anchor, (node.clone(), cost));
                }
                match b.stack.last_mut() {
                    Some(open) => {
                        open.cost.add(cost);
                        open.items.push(node);
                    }
                    None => docs.push(Document {
                        index: docs.len(),
                        root: node,
                    }),
                }
            }
        }
    }
    (docs, None)
}

struct Open {
    start: usize,
    anchor: usize,
    tag: Option<String>,
    items: Vec<Node>,
    /// The node's own cost plus its children's so far.
    cost: Cost,
}

struct Builder<'a, 'b> {
    text: &'a str,
    lines: LineIndex,
    ascii: bool,
    map: &'a TextMap,
    /// Anchored nodes with what one copy costs.
    anchors: HashMap<usize, (Node, Cost)>,
    budget: &'b mut Budget,
    stack: Vec<Open>,
}

impl Builder<'_, '_> {
    fn offset(&self, m: &Marker) -> usize {
        // Markers count characters: for ASCII text that is the byte offset.
        if self.ascii {
            return m.index().min(self.text.len());
        }
        self.lines.offset_of(self.text, m.line(), m.col())
    }

    fn charge(&mut self, cost: Cost, at: usize) -> Result<(), YamlError> {
        self.budget.spend(cost).map_err(|message| YamlError {
            message,
            span: self.map.map_span(at, at),
        })
    }

    fn scalar(
        &self,
        value: String,
        style: ScalarStyle,
        start: usize,
        end: usize,
        tag: Option<String>,
    ) -> Node {
        let style = match style {
            ScalarStyle::Plain => Style::Plain,
            ScalarStyle::SingleQuoted => Style::SingleQuoted,
            ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
            ScalarStyle::Literal => Style::Literal,
            ScalarStyle::Folded => Style::Folded,
        };
        let local = self.value_map(&value, style, start, end);
        let map = self.map.compose(&local);
        Node {
            kind: Kind::Scalar(Scalar { value, style, map }),
            span: self.map.map_span(start, end),
            tag,
        }
    }

    /// Aligns a decoded scalar `value` with the source `text` from byte `from`:
    /// equal bytes map one to one, and a run of whitespace in the value (a
    /// space or newline that folding made of a line break) matches a run of
    /// whitespace in the source (the line break and the next line's
    /// indentation). The result maps each aligned run of the value to its
    /// source bytes (exact for folded block scalars and multi-line plain or
    /// quoted scalars without escapes); `None` when the two do not align
    /// (escapes, comments inside the scalar), so the caller falls back to a
    /// point.
    fn align(text: &str, from: usize, value: &str) -> Option<TextMap> {
        let src = text.get(from..)?.as_bytes();
        let val = value.as_bytes();
        let ws = |b: u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
        let (mut i, mut j) = (0usize, 0usize);
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        let mut fresh = true;
        while j < val.len() {
            if i < src.len() && src[i] == val[j] && val[j] != b'\n' {
                if fresh {
                    pairs.push((j, from + i));
                    fresh = false;
                }
                i += 1;
                j += 1;
            } else if ws(val[j]) {
                // Folded whitespace: both sides skip their run.
                if i < src.len() && !ws(src[i]) {
                    return None;
                }
                while i < src.len() && ws(src[i]) {
                    i += 1;
                }
                while j < val.len() && ws(val[j]) {
                    j += 1;
                }
                fresh = true;
            } else if i < src.len() && ws(src[i]) {
                // Indentation the value does not have.
                i += 1;
                fresh = true;
            } else {
                return None;
            }
        }
        if pairs.is_empty() {
            return None;
        }
        Some(TextMap::Lines(pairs.into()))
    }

    /// Value offsets → offsets in `self.text`.
    fn value_map(&self, value: &str, style: Style, start: usize, end: usize) -> TextMap {
        let raw = self.text.get(start..end.min(self.text.len())).unwrap_or("");
        match style {
            Style::Plain if raw.starts_with(value) && !value.contains('\n') => {
                TextMap::Shift(start)
            }
            Style::SingleQuoted | Style::DoubleQuoted
                if !value.contains('\n') && raw.get(1..1 + value.len()) == Some(value) =>
            {
                TextMap::Shift(start + 1)
            }
            Style::Literal | Style::Folded => self.block_map(value, style, start),
            // Multi-line plain scalars and quoted ones without escapes: the
            // value's words are found in order, line breaks folded to spaces.
            Style::Plain => Self::align(self.text, start, value).unwrap_or(TextMap::Point(start)),
            Style::SingleQuoted | Style::DoubleQuoted
                if !raw.contains('\\') && !raw.contains("''") =>
            {
                Self::align(self.text, start + 1, value).unwrap_or(TextMap::Point(start))
            }
            _ => TextMap::Point(start),
        }
    }

    /// Block scalars: the value's lines are found on the lines after the header.
    fn block_map(&self, value: &str, style: Style, start: usize) -> TextMap {
        // The value's first line is on the line after the header (`|`, `>`).
        // saphyr's span starts at the first non-blank content line, or for a
        // blank scalar on the header line or even on the next token's line:
        // the header is the nearest line at or before `start` with text before
        // `start` on it (blank lines in between are the value's leading empty
        // lines).
        let start = start.min(self.text.len());
        let mut line = self.lines.line_of(start);
        let mut before = &self.text[self.lines.line_start(line)..start];
        while before.trim().is_empty() && line > 0 {
            line -= 1;
            let ls = self.lines.line_start(line);
            before = self.text[ls..].split('\n').next().unwrap_or("");
        }
        let first = if before.trim().is_empty() {
            line
        } else {
            line + 1
        };
        let mut pairs = Vec::new();
        let mut inner = 0usize;
        let body = value.strip_suffix('\n').unwrap_or(value);
        let value_lines: Vec<&str> = body.split('\n').collect();
        if style == Style::Folded && (value_lines.len() > 1 || body.contains(' ')) {
            // Folding joins source lines into one value line: align the
            // value's words with the source's, line breaks and indentation
            // standing for the folded spaces.
            let leading = value_lines.iter().take_while(|l| l.is_empty()).count();
            let content = (first + leading).min(self.lines.line_count() - 1);
            let at = self.content_start(content);
            return Self::align(self.text, at, value.trim_start_matches('\n'))
                .map(|m| match m {
                    TextMap::Lines(pairs) => {
                        TextMap::Lines(pairs.iter().map(|&(i, o)| (i + leading, o)).collect())
                    }
                    other => other,
                })
                .unwrap_or(TextMap::Point(at));
        }
        for (k, vline) in value_lines.iter().enumerate() {
            let line0 = first + k;
            if line0 >= self.lines.line_count() {
                break;
            }
            let ls = self.lines.line_start(line0);
            let src = self.text[ls..].split('\n').next().unwrap_or("");
            let src = src.strip_suffix('\r').unwrap_or(src);
            let outer = if !vline.is_empty() && src.ends_with(vline) {
                ls + (src.len() - vline.len())
            } else if vline.is_empty() {
                ls
            } else {
                return TextMap::Point(self.content_start(first));
            };
            pairs.push((inner, outer));
            inner += vline.len() + 1;
        }
        if pairs.is_empty() {
            return TextMap::Point(start);
        }
        TextMap::Lines(pairs.into())
    }

    fn content_start(&self, line0: usize) -> usize {
        let ls = self.lines.line_start(line0);
        let src = self.text.get(ls..).unwrap_or("");
        ls + src.len() - src.trim_start_matches(' ').len()
    }
}

/// Places a copy of an anchored node at its alias: every span becomes
/// `span` (the alias token) and every scalar maps to its start.
fn respan(node: &mut Node, span: Span) {
    node.span = span;
    match &mut node.kind {
        Kind::Scalar(s) => s.map = TextMap::Point(span.start),
        Kind::Seq(items) => items.iter_mut().for_each(|n| respan(n, span)),
        Kind::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            respan(k, span);
            respan(v, span);
        }),
    }
}

/// Keys whose Go type appends on every decode (Alertmanager's `Matchers`):
/// a merged value and an explicit one both take effect.
pub const APPENDING_KEYS: &[&str] = &["matchers", "source_matchers", "target_matchers"];

/// Prefix of a merged entry kept next to an explicit one for [`APPENDING_KEYS`].
pub const MERGED_PREFIX: &str = "<<:";

/// YAML merge keys (`<<: *base`), as go-yaml resolves them: the merged
/// mapping's entries are added unless the key is already set explicitly.
/// For [`APPENDING_KEYS`] set both ways, the merged entry is kept too, under
/// `<<:KEY`, because Alertmanager appends both lists.
fn merge_keys(entries: Vec<(Node, Node)>) -> Vec<(Node, Node)> {
    if !entries.iter().any(|(k, _)| is_merge_key(k)) {
        return entries;
    }
    let mut out: Vec<(Node, Node)> = Vec::with_capacity(entries.len());
    let mut merged: Vec<(Node, Node)> = Vec::new();
    for (k, v) in entries {
        if is_merge_key(&k) {
            match &v.kind {
                Kind::Map(m) => merged.extend(m.iter().cloned()),
                Kind::Seq(items) => {
                    for item in items {
                        if let Kind::Map(m) = &item.kind {
                            merged.extend(m.iter().cloned());
                        }
                    }
                }
                Kind::Scalar(_) => out.push((k, v)),
            }
        } else {
            out.push((k, v));
        }
    }
    // Keys already set, as a set: a large mapping merging a large one stays linear.
    let mut seen: HashSet<String> = out
        .iter()
        .filter_map(|(k, _)| k.as_scalar().map(|s| s.value.clone()))
        .collect();
    let mut non_scalar_key = out.iter().any(|(k, _)| k.as_scalar().is_none());
    for (k, v) in merged {
        let key = k.as_scalar().map(|s| s.value.clone());
        let present = match &key {
            Some(name) => !seen.insert(name.clone()),
            None => std::mem::replace(&mut non_scalar_key, true),
        };
        if !present {
            out.push((k, v));
        } else if let Some(name) = key.filter(|k| APPENDING_KEYS.contains(&k.as_str())) {
            let mut k = k;
            if let Kind::Scalar(s) = &mut k.kind {
                s.value = format!("{MERGED_PREFIX}{name}");
            }
            out.push((k, v));
        }
    }
    out
}

fn is_merge_key(k: &Node) -> bool {
    k.as_scalar()
        .is_some_and(|s| s.style == Style::Plain && s.value == "<<")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ends_before_what_follows_a_block_collection() {
        let t = "a:\n  match:\n    team: ml   # c\n    x: 'y'\n\n  # comment\n  f: {a: b}\n  r: |\n    abc\n\n  s:\n  - p\n  - q\n  e:\nz: 1\n";
        let (docs, _) = parse_stream(t, &TextMap::Shift(0));
        let a = docs[0].root.get("a").unwrap();
        let end = |k: &str| {
            let n = a.get(k).unwrap();
            &t[n.span.start..n.content_end(t)]
        };
        assert_eq!(end("match"), "team: ml   # c\n    x: 'y'");
        assert_eq!(end("f"), "{a: b}");
        assert_eq!(end("r"), "abc");
        assert_eq!(end("s"), "p\n  - q");
        // The whole mapping ends at its last key when that key's value is empty.
        assert!(t[..a.content_end(t)].ends_with("  e"));
    }

    fn parse(text: &str) -> Vec<Document> {
        let (docs, err) = parse_stream(text, &TextMap::Shift(0));
        assert!(err.is_none(), "{err:?}");
        docs
    }

    #[test]
    fn spans_and_maps_of_scalars() {
        let text = "a: hello\nb: 'x y'\nc: |\n  line1\n    line2\nd: \"q\\n\"\n";
        let docs = parse(text);
        let root = &docs[0].root;
        let a = root.get("a").unwrap().as_scalar().unwrap();
        assert_eq!(a.map.map(0), text.find("hello").unwrap());
        let b = root.get("b").unwrap().as_scalar().unwrap();
        assert_eq!(b.map.map(2), text.find("y'").unwrap());
        let c = root.get("c").unwrap().as_scalar().unwrap();
        assert_eq!(c.value, "line1\n  line2\n");
        assert_eq!(c.map.map(0), text.find("line1").unwrap());
        assert_eq!(c.map.map(8), text.find("line2").unwrap());
        let d = root.get("d").unwrap().as_scalar().unwrap();
        assert!(matches!(d.map, TextMap::Point(_)));
    }

    #[test]
    fn folded_and_multi_line_scalars_map_each_word() {
        let text = "f: >\n  GPU {{ $labels.gpu }} is hot\n  at 80 }} degrees\ng: a plain value\n  over two lines\nh: \"quoted over\n  two lines\"\n";
        let docs = parse(text);
        let root = &docs[0].root;
        let f = root.get("f").unwrap().as_scalar().unwrap();
        assert_eq!(f.value, "GPU {{ $labels.gpu }} is hot at 80 }} degrees\n");
        let at = f.value.find("80 }}").unwrap();
        assert_eq!(f.map.map(at), text.find("80 }}").unwrap());
        assert_eq!(f.map.map(0), text.find("GPU").unwrap());
        let g = root.get("g").unwrap().as_scalar().unwrap();
        assert_eq!(g.value, "a plain value over two lines");
        assert_eq!(
            g.map.map(g.value.find("two").unwrap()),
            text.find("two lines\nh").unwrap()
        );
        let h = root.get("h").unwrap().as_scalar().unwrap();
        assert_eq!(
            h.map.map(h.value.find("two").unwrap()),
            text.rfind("two lines").unwrap()
        );
    }

    #[test]
    fn block_scalars_with_leading_blank_lines_map_exactly() {
        // saphyr's span starts at the first non-blank line (or, for a blank
        // `|+` scalar, at the next token): the value still starts on the line
        // after the header.
        let at = |text: &str, needle: &str| text.find(needle).unwrap();
        let cases: &[(&str, usize, &str)] = &[
            ("k: |\n\n\n\n   \"\n", 3, "\""),
            ("k: |\n  \n \n  a\n", 2, "a"),
            ("k: |-\n\n  a\n", 1, "a"),
            ("- |\n\n  a\n  b\n", 3, "b"),
            ("k: |2\n\n   a\n", 1, " a"),
            ("k: |\r\n\r\n  a\r\n", 1, "a"),
        ];
        for &(text, inner, needle) in cases {
            let docs = parse(text);
            let root = &docs[0].root;
            let node = root
                .get("k")
                .or_else(|| root.as_seq().and_then(|s| s.first()));
            let s = node.unwrap().as_scalar().unwrap();
            assert_eq!(s.map.map(0), at(text, "\n") + 1, "{text:?}: {:?}", s.map);
            assert_eq!(s.map.map(inner), at(text, needle), "{text:?}: {:?}", s.map);
        }
        let text = "k: |+\n\n\nx: 1\n";
        let s = parse(text)[0]
            .root
            .get("k")
            .unwrap()
            .as_scalar()
            .unwrap()
            .clone();
        assert_eq!(s.value, "\n\n");
        assert_eq!((s.map.map(0), s.map.map(1)), (6, 7), "{:?}", s.map);
    }

    #[test]
    fn embedded_error_after_leading_blank_lines_is_inside_the_file() {
        // Found by fuzzing (yaml_embedded): the error at the end of the
        // embedded text mapped past the end of the file.
        let text = "stringData:\n  \"rules.yaml\": |\n\n\n\n   \"\n";
        let data = parse(text)[0].root.get("stringData").unwrap().clone();
        let s = data.get("rules.yaml").unwrap().as_scalar().unwrap();
        let (_, err) = parse_stream(&s.value, &s.map);
        let e = err.expect("an unterminated quoted scalar");
        assert!(
            e.span.end <= text.len(),
            "{e:?} outside {} bytes",
            text.len()
        );
        assert!(e.span.start >= text.rfind("\n\n").unwrap() + 2, "{e:?}");
    }

    #[test]
    fn multi_document_and_empty() {
        let docs = parse("a: 1\n---\n---\nb: 2\n");
        assert_eq!(docs.len(), 3);
        assert!(docs[1].root.is_null());
        assert_eq!(parse("").len(), 0);
    }

    #[test]
    fn duplicate_keys_are_kept_and_merge_keys_resolved() {
        let docs = parse("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n  y: 4\n");
        let m = docs[0].root.get("m").unwrap().as_map().unwrap();
        let keys: Vec<_> = m.iter().map(|(k, _)| k.as_str().unwrap()).collect();
        assert_eq!(keys, ["y", "y", "x"]);
    }

    #[test]
    fn alias_bomb_is_an_error() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"));
        }
        let (_, err) = parse_stream(&text, &TextMap::Shift(0));
        assert!(err.unwrap().message.contains("more than"));
    }

    #[test]
    fn alias_bomb_in_bytes_is_an_error() {
        // Item 3 of issue 13: few nodes, many bytes. One 1 MiB scalar
        // referenced 3,000 times would be 3 GB once expanded.
        let big = "x".repeat(1 << 20);
        let text = format!("a: &a {big}\nb: [{}]\n", "*a, ".repeat(3000));
        let (_, err) = parse_stream(&text, &TextMap::Shift(0));
        let e = err.expect("the expansion is over the byte budget");
        assert!(e.message.contains("MiB of values"), "{e:?}");
        // The error is at the alias that went over: the 63rd (the anchor
        // itself is the first copy, the keys take two bytes).
        let at = text.find("*a").unwrap() + 4 * (MAX_SCALAR_BYTES / (1 << 20) - 2);
        assert_eq!(e.span.start, at, "{e:?}");
        // Under the budget, aliases of a big scalar are fine.
        let text = format!("a: &a {big}\nb: [{}]\n", "*a, ".repeat(10));
        assert_eq!(
            parse(&text)[0]
                .root
                .get("b")
                .unwrap()
                .as_seq()
                .unwrap()
                .len(),
            10
        );
    }

    #[test]
    fn one_budget_is_shared_by_streams_parsed_against_it() {
        // Item 4 of issue 13: embedded documents spend the outer file's budget.
        // Five nodes a parse (four scalars and the sequence): the second
        // parse runs out at its sequence's end.
        let mut budget = Budget::new(9, 1_000);
        let (docs, err) = parse_stream_in("[a, b, c, d]", &TextMap::Shift(0), &mut budget);
        assert!(err.is_none() && docs.len() == 1, "{err:?}");
        assert_eq!(budget.nodes_left(), 4);
        assert_eq!(budget.bytes_left(), 996);
        let (_, err) = parse_stream_in("[a, b, c, d]", &TextMap::Shift(0), &mut budget);
        assert!(err.unwrap().message.contains("more than"));
        // A fresh budget would have taken it.
        let (_, err) = parse_stream_in(
            "[a, b, c, d]",
            &TextMap::Shift(0),
            &mut Budget::new(9, 1_000),
        );
        assert!(err.is_none());
    }

    #[test]
    fn nesting_through_aliases_is_bounded() {
        // Each anchor nests the previous one 200 levels deeper (saphyr's own
        // limit stops a flow collection written 263 deep): without a check
        // at the alias, 10 lines would build a tree 2,000 levels deep (a
        // stack overflow when it is cloned or dropped). `*a1` is the first
        // alias that lands deeper than MAX_DEPTH (201 + 401 levels).
        let mut text = format!("a0: &a0 {}x{}\n", "[".repeat(200), "]".repeat(200));
        for i in 1..10 {
            text.push_str(&format!(
                "a{i}: &a{i} {}*a{}{}\n",
                "[".repeat(200),
                i - 1,
                "]".repeat(200)
            ));
        }
        let (_, err) = parse_stream(&text, &TextMap::Shift(0));
        let e = err.expect("too deep through an alias");
        assert!(e.message.contains("through an alias"), "{e:?}");
        assert_eq!(e.span.start, text.find("*a1").unwrap(), "{e:?}");
        // Shallow aliases nest fine.
        parse("a: &a [[x]]\nb: [[*a]]\n");
    }

    #[test]
    fn aliased_nodes_are_placed_at_the_alias() {
        // Issue 10: a rule reached through `<<: *d` or `*d` has its spans
        // on its own lines (at the alias token), not at the anchor in
        // another rule; keys written in the rule itself keep theirs.
        let text =
            "a: &d {for: 0m, x: 1}\nr1:\n  <<: *d\n  y: 2\nr2:\n  <<: *d\n  for: 5m\nr3: *d\n";
        let docs = parse(text);
        let root = &docs[0].root;
        let second = text.find("*d").unwrap();
        let third = text.rfind("*d\n  for").unwrap();
        let last = text.rfind("*d").unwrap();
        let anchor = text.find("0m").unwrap();
        // The anchor itself keeps its spans.
        let a_for = root.get("a").unwrap().get("for").unwrap();
        assert_eq!(a_for.span.start, anchor);
        // r1 merges: `for` and `x` are at r1's `*d`, `y` at its own key.
        let r1 = root.get("r1").unwrap();
        assert_eq!(r1.get("for").unwrap().span, Span::new(second, second + 2));
        let s = r1.get("for").unwrap().as_scalar().unwrap();
        assert_eq!(s.map.map(1), second);
        assert_eq!(r1.get("x").unwrap().span.start, second);
        assert_eq!(r1.get("y").unwrap().span.start, text.find("2\n").unwrap());
        // r2 sets `for` itself: that key's value stays where it is written.
        let r2 = root.get("r2").unwrap();
        assert_eq!(r2.get("for").unwrap().span.start, text.find("5m").unwrap());
        assert_eq!(r2.get("x").unwrap().span.start, third);
        // A plain alias: the whole copy is at the alias.
        let r3 = root.get("r3").unwrap();
        assert_eq!(r3.span.start, last);
        assert_eq!(r3.get("for").unwrap().span.start, last);
        assert_ne!(r3.get("for").unwrap().span.start, anchor);
    }

    #[test]
    fn merging_large_mappings_is_linear() {
        // 20,000 keys merged into 20,000 explicit ones: a pairwise check
        // would compare 400 million keys.
        let keys = |p: &str| {
            (0..20_000)
                .map(|i| format!("{p}{i}: 1"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let text = format!("b: &b {{{}}}\nm: {{<<: *b, {}}}\n", keys("k"), keys("k"));
        let start = std::time::Instant::now();
        let docs = parse(&text);
        assert_eq!(
            docs[0].root.get("m").unwrap().as_map().unwrap().len(),
            20_000
        );
        assert!(start.elapsed() < std::time::Duration::from_secs(20));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let (_, err) = parse_stream(&text, &TextMap::Shift(0));
        assert!(err.is_some());
    }

    #[test]
    fn syntax_error_has_position() {
        let (_, err) = parse_stream("a: 1\nb: [\n", &TextMap::Shift(0));
        let e = err.unwrap();
        assert!(e.span.start >= 5, "{e:?}");
    }
}
