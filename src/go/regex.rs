//! Go RE2 syntax (`regexp/syntax` with `syntax.Perl` flags, as
//! `regexp.Compile` uses it) checked and rewritten for the `regex` crate.
//!
//! Every regular expression that Prometheus or Alertmanager compiles with Go's
//! `regexp` package goes through this module: PromQL label matchers and
//! `label_replace` ([`compile_promql`], anchored `^(?s:…)$` as Prometheus'
//! `model/labels/regexp.go`), Alertmanager matchers ([`compile_alertmanager`],
//! anchored `^(?:…)$` as `pkg/labels/matcher.go`), and the template functions
//! `reReplaceAll` and `match` ([`compile`], as `regexp.MustCompile`
//! and `regexp.MatchString`, which are unanchored).
//!
//! The translator accepts Go-only syntax (`\Q...\E`, a literal `{` that is not
//! a repetition such as `{.*}$`, octal escapes, `[[` inside a class, POSIX
//! classes) and keeps Go's ASCII-only `\d`, `\s`, `\w` and `\b`. Unicode
//! classes (`\pL`, `\p{Greek}`) use the `regex` crate's Unicode tables.
//! Errors carry Go's wording: ``error parsing regexp: missing closing ]: `[a` ``.
//!
//! The parser follows Go's: a single left-to-right pass over a stack of parsed
//! expressions and pseudo-operators (`(`, `|`), so that the first error found
//! and its `Expr` fragment are the ones Go reports. Flags are resolved while
//! parsing and baked into each emitted node, so the output contains no flag
//! groups whose scoping could differ.
//!
//! # Differences from Go
//!
//! * Syntax follows current Go (1.25+): `(?<name>...)`, case-insensitive
//!   `\p{...}` names and category aliases such as `\p{Letter}` are accepted.
//! * Script names in `\p{...}` are resolved by the `regex` crate, which also
//!   knows short aliases (`\p{Latn}`) that Go rejects, and its Unicode version
//!   may differ from Go's.
//! * A regex whose compiled form exceeds [`REGEX_SIZE_LIMIT`] is rejected
//!   with Go's `expression too large` message although Go would accept it.

use std::fmt::Write as _;

/// A Go `*syntax.Error`: the error code text and the offending fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Go's `syntax.ErrorCode` text, e.g. `missing closing ]`.
    pub code: &'static str,
    /// The fragment of the pattern Go reports (`syntax.Error.Expr`).
    pub expr: String,
}

impl SyntaxError {
    /// `syntax.Error.Error()`: ``error parsing regexp: CODE: `EXPR` ``.
    pub fn message(&self) -> String {
        format!("error parsing regexp: {}: `{}`", self.code, self.expr)
    }
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for SyntaxError {}

/// Go's `ErrInternalError` text.
pub const ERR_INTERNAL: &str = "regexp/syntax: internal error";
/// Go's `ErrLarge` text.
pub const ERR_LARGE: &str = "expression too large";
const ERR_INVALID_CHAR_RANGE: &str = "invalid character class range";
const ERR_INVALID_ESCAPE: &str = "invalid escape sequence";
const ERR_INVALID_NAMED_CAPTURE: &str = "invalid named capture";
const ERR_INVALID_PERL_OP: &str = "invalid or unsupported Perl syntax";
const ERR_INVALID_REPEAT_OP: &str = "invalid nested repetition operator";
const ERR_INVALID_REPEAT_SIZE: &str = "invalid repeat count";
const ERR_MISSING_BRACKET: &str = "missing closing ]";
const ERR_MISSING_PAREN: &str = "missing closing )";
const ERR_MISSING_REPEAT_ARGUMENT: &str = "missing argument to repetition operator";
const ERR_TRAILING_BACKSLASH: &str = "trailing backslash at end of expression";
const ERR_UNEXPECTED_PAREN: &str = "unexpected )";
const ERR_NESTING_DEPTH: &str = "expression nests too deeply";

/// Go's `maxRepeat`.
const MAX_REPEAT: i64 = 1000;
/// Go's `maxHeight`.
const MAX_HEIGHT: u32 = 1000;
const MAX_RUNE: u32 = 0x10FFFF;

/// A class that matches nothing.
const NEVER: &str = r"[^\x{0}-\x{10FFFF}]";
/// A class that matches any character.
const ANY: &str = r"[\x{0}-\x{10FFFF}]";

fn err(code: &'static str, expr: &str) -> SyntaxError {
    SyntaxError {
        code,
        expr: expr.to_string(),
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Flags {
    fold: bool,
    multi_line: bool,
    dot_nl: bool,
    non_greedy: bool,
}

#[derive(Debug, Clone, Copy)]
enum RepeatOp {
    Star,
    Plus,
    Quest,
    Counted(i64, i64),
}

#[derive(Debug)]
enum Kind {
    Empty,
    Literal {
        c: u32,
        fold: bool,
    },
    /// Already in `regex` syntax: classes, assertions, dots.
    Raw(String),
    /// A capture group, with its name for `(?P<name>...)` and `(?<name>...)`.
    Capture(Box<Node>, Option<String>),
    Concat(Vec<Node>),
    Alternate(Vec<Node>),
    Repeat {
        sub: Box<Node>,
        op: RepeatOp,
        greedy: bool,
    },
}

#[derive(Debug)]
struct Node {
    kind: Kind,
    height: u32,
}

enum Item {
    Node(Node),
    LeftParen {
        capture: bool,
        name: Option<String>,
        flags: Flags,
    },
    VerticalBar,
}

struct Parser<'a> {
    whole: &'a str,
    stack: Vec<Item>,
    flags: Flags,
}

/// Checks `pattern` as Go's `regexp.Compile` would and returns an
/// equivalent pattern in `regex` crate syntax.
///
/// Errors: Go's `*syntax.Error` (code and offending fragment) for the first
/// problem Go would report.
pub fn translate(pattern: &str) -> Result<String, SyntaxError> {
    translate_with(pattern, false)
}

/// [`translate`] with Go's `syntax.DotNL` flag set when `dot_nl` is true
/// (`syntax.Parse(pattern, syntax.Perl|syntax.DotNL)`, as Prometheus'
/// `NewFastRegexMatcher` parses a label matcher): `.` also matches `\n`.
pub fn translate_with(pattern: &str, dot_nl: bool) -> Result<String, SyntaxError> {
    let mut p = Parser {
        whole: pattern,
        stack: Vec::new(),
        flags: Flags {
            dot_nl,
            ..Flags::default()
        },
    };
    let node = p.parse()?;
    let mut out = String::with_capacity(pattern.len() * 2);
    emit(&node, &mut std::collections::HashSet::new(), &mut out);
    Ok(out)
}

impl Parser<'_> {
    fn node(&self, kind: Kind, height: u32) -> Result<Node, SyntaxError> {
        if height > MAX_HEIGHT {
            return Err(err(ERR_NESTING_DEPTH, self.whole));
        }
        Ok(Node { kind, height })
    }

    fn push(&mut self, kind: Kind) -> Result<(), SyntaxError> {
        let node = self.node(kind, 1)?;
        self.stack.push(Item::Node(node));
        Ok(())
    }

    fn push_raw(&mut self, s: &str) -> Result<(), SyntaxError> {
        self.push(Kind::Raw(s.to_string()))
    }

    fn literal(&mut self, c: u32) -> Result<(), SyntaxError> {
        let fold = self.flags.fold;
        self.push(Kind::Literal { c, fold })
    }

    fn class(&mut self, body: String, fold: bool) -> Result<(), SyntaxError> {
        let s = if fold { format!("(?i:{body})") } else { body };
        self.push(Kind::Raw(s))
    }

    fn parse(&mut self) -> Result<Node, SyntaxError> {
        let pat = self.whole;
        let bytes = pat.as_bytes();
        let mut t = 0usize;
        let mut last_repeat: Option<usize> = None;
        while t < pat.len() {
            let mut repeat: Option<usize> = None;
            match bytes[t] {
                b'(' => {
                    if bytes.get(t + 1) == Some(&b'?') {
                        t = self.parse_perl_flags(t)?;
                    } else {
                        self.stack.push(Item::LeftParen {
                            capture: true,
                            name: None,
                            flags: self.flags,
                        });
                        t += 1;
                    }
                }
                b'|' => {
                    self.concat()?;
                    self.stack.push(Item::VerticalBar);
                    t += 1;
                }
                b')' => {
                    self.parse_right_paren()?;
                    t += 1;
                }
                b'^' => {
                    self.push_raw(if self.flags.multi_line {
                        "(?m:^)"
                    } else {
                        r"\A"
                    })?;
                    t += 1;
                }
                b'$' => {
                    self.push_raw(if self.flags.multi_line {
                        "(?m:$)"
                    } else {
                        r"\z"
                    })?;
                    t += 1;
                }
                b'.' => {
                    self.push_raw(if self.flags.dot_nl { ANY } else { r"[^\n]" })?;
                    t += 1;
                }
                b'[' => t = self.parse_class(t)?,
                b @ (b'*' | b'+' | b'?') => {
                    let op = match b {
                        b'*' => RepeatOp::Star,
                        b'+' => RepeatOp::Plus,
                        _ => RepeatOp::Quest,
                    };
                    let before = t;
                    t = self.repeat(op, before, before + 1, last_repeat)?;
                    repeat = Some(before);
                }
                b'{' => match parse_repeat(pat, t) {
                    None => {
                        // Not a valid repetition: a literal '{'.
                        self.literal(u32::from(b'{'))?;
                        t += 1;
                    }
                    Some((min, max, after)) => {
                        if !(0..=MAX_REPEAT).contains(&min)
                            || max > MAX_REPEAT
                            || (max >= 0 && min > max)
                        {
                            return Err(err(ERR_INVALID_REPEAT_SIZE, &pat[t..after]));
                        }
                        let before = t;
                        t = self.repeat(RepeatOp::Counted(min, max), before, after, last_repeat)?;
                        repeat = Some(before);
                    }
                },
                b'\\' => t = self.parse_backslash(t)?,
                _ => {
                    let c = pat[t..].chars().next().map_or(0, u32::from);
                    self.literal(c)?;
                    t += pat[t..].chars().next().map_or(1, char::len_utf8);
                }
            }
            last_repeat = repeat;
        }

        self.concat()?;
        self.alternate()?;
        match (self.stack.pop(), self.stack.is_empty()) {
            (Some(Item::Node(n)), true) => Ok(n),
            _ => Err(err(ERR_MISSING_PAREN, pat)),
        }
    }

    fn parse_backslash(&mut self, t: usize) -> Result<usize, SyntaxError> {
        let pat = self.whole;
        let next = pat.as_bytes().get(t + 1).copied();
        match next {
            Some(b'A') => {
                self.push_raw(r"\A")?;
                return Ok(t + 2);
            }
            Some(b'b') => {
                self.push_raw(r"(?-u:\b)")?;
                return Ok(t + 2);
            }
            Some(b'B') => {
                self.push_raw(r"(?-u:\B)")?;
                return Ok(t + 2);
            }
            Some(b'C') => return Err(err(ERR_INVALID_ESCAPE, &pat[t..t + 2])),
            Some(b'Q') => {
                let rest = &pat[t + 2..];
                let (lit, after) = match rest.find(r"\E") {
                    Some(i) => (&rest[..i], t + 2 + i + 2),
                    None => (rest, pat.len()),
                };
                for c in lit.chars() {
                    self.literal(u32::from(c))?;
                }
                return Ok(after);
            }
            Some(b'z') => {
                self.push_raw(r"\z")?;
                return Ok(t + 2);
            }
            Some(b'p' | b'P') => {
                let (class, after) = parse_unicode_class(pat, t)?;
                let fold = self.flags.fold;
                self.class(class, fold)?;
                return Ok(after);
            }
            Some(b) => {
                if let Some(class) = perl_class(b) {
                    let fold = self.flags.fold;
                    self.class(format!("[{class}]"), fold)?;
                    return Ok(t + 2);
                }
            }
            None => {}
        }
        let (c, after) = parse_escape(pat, t)?;
        self.literal(c)?;
        Ok(after)
    }

    /// `parsePerlFlags`: `(?flags)`, `(?flags:`, `(?P<name>`, `(?<name>`.
    fn parse_perl_flags(&mut self, t: usize) -> Result<usize, SyntaxError> {
        let s = &self.whole[t..];
        let b = s.as_bytes();
        let starts_with_p = b.len() > 4 && b[2] == b'P' && b[3] == b'<';
        let starts_with_name = b.len() > 3 && b[2] == b'<';
        if starts_with_p || starts_with_name {
            let expr_start = if starts_with_p { 4 } else { 3 };
            let Some(end) = s.find('>') else {
                return Err(err(ERR_INVALID_NAMED_CAPTURE, s));
            };
            let capture = &s[..=end];
            let name = s.get(expr_start..end).unwrap_or("");
            let valid =
                !name.is_empty() && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric());
            if !valid {
                return Err(err(ERR_INVALID_NAMED_CAPTURE, capture));
            }
            self.stack.push(Item::LeftParen {
                capture: true,
                name: Some(name.to_string()),
                flags: self.flags,
            });
            return Ok(t + end + 1);
        }

        let mut flags = self.flags;
        let mut negated = false;
        let mut saw_flag = false;
        let mut i = 2;
        while let Some(c) = s[i..].chars().next() {
            i += c.len_utf8();
            match c {
                'i' => {
                    flags.fold = !negated;
                    saw_flag = true;
                }
                'm' => {
                    flags.multi_line = !negated;
                    saw_flag = true;
                }
                's' => {
                    flags.dot_nl = !negated;
                    saw_flag = true;
                }
                'U' => {
                    flags.non_greedy = !negated;
                    saw_flag = true;
                }
                '-' => {
                    if negated {
                        break;
                    }
                    negated = true;
                    saw_flag = false;
                }
                ':' | ')' => {
                    if negated && !saw_flag {
                        break;
                    }
                    if c == ':' {
                        self.stack.push(Item::LeftParen {
                            capture: false,
                            name: None,
                            flags: self.flags,
                        });
                    }
                    self.flags = flags;
                    return Ok(t + i);
                }
                _ => break,
            }
        }
        Err(err(ERR_INVALID_PERL_OP, &s[..i]))
    }

    /// `repeat`: applies a repetition operator to the top of the stack.
    /// `before` indexes the operator, `after` the text following it.
    fn repeat(
        &mut self,
        op: RepeatOp,
        before: usize,
        after: usize,
        last_repeat: Option<usize>,
    ) -> Result<usize, SyntaxError> {
        let pat = self.whole;
        let mut after = after;
        let mut flags = self.flags;
        if pat.as_bytes().get(after) == Some(&b'?') {
            after += 1;
            flags.non_greedy = !flags.non_greedy;
        }
        if let Some(last) = last_repeat {
            return Err(err(ERR_INVALID_REPEAT_OP, &pat[last..after]));
        }
        let sub = match self.stack.pop() {
            Some(Item::Node(n)) => n,
            other => {
                if let Some(item) = other {
                    self.stack.push(item);
                }
                return Err(err(ERR_MISSING_REPEAT_ARGUMENT, &pat[before..after]));
            }
        };
        let height = sub.height + 1;
        let node = self.node(
            Kind::Repeat {
                sub: Box::new(sub),
                op,
                greedy: !flags.non_greedy,
            },
            height,
        )?;
        if let RepeatOp::Counted(min, max) = op
            && (min >= 2 || max >= 2)
            && !repeat_is_valid(&node, MAX_REPEAT)
        {
            return Err(err(ERR_INVALID_REPEAT_SIZE, &pat[before..after]));
        }
        self.stack.push(Item::Node(node));
        Ok(after)
    }

    /// Replaces the nodes above the topmost `(` or `|` by their
    /// concatenation (an empty match when there are none).
    fn concat(&mut self) -> Result<(), SyntaxError> {
        let mut subs = Vec::new();
        while let Some(Item::Node(_)) = self.stack.last() {
            if let Some(Item::Node(n)) = self.stack.pop() {
                subs.push(n);
            }
        }
        subs.reverse();
        let node = match subs.len() {
            0 => self.node(Kind::Empty, 1)?,
            1 => subs.pop().map_or_else(|| self.node(Kind::Empty, 1), Ok)?,
            _ => {
                let mut flat = Vec::with_capacity(subs.len());
                for n in subs {
                    match n.kind {
                        Kind::Concat(inner) => flat.extend(inner),
                        kind => flat.push(Node {
                            kind,
                            height: n.height,
                        }),
                    }
                }
                let height = flat.iter().map(|n| n.height).max().unwrap_or(0) + 1;
                self.node(Kind::Concat(flat), height)?
            }
        };
        self.stack.push(Item::Node(node));
        Ok(())
    }

    /// Replaces the alternatives above the topmost `(` by their
    /// alternation. Expects `concat` to have run.
    fn alternate(&mut self) -> Result<(), SyntaxError> {
        let mut subs = Vec::new();
        let mut bars = 0usize;
        loop {
            match self.stack.last() {
                Some(Item::Node(_)) => {
                    if let Some(Item::Node(n)) = self.stack.pop() {
                        subs.push(n);
                    }
                }
                Some(Item::VerticalBar) => {
                    self.stack.pop();
                    bars += 1;
                }
                _ => break,
            }
        }
        subs.reverse();
        let node = if bars == 0 && subs.len() == 1 {
            subs.pop().map_or_else(|| self.node(Kind::Empty, 1), Ok)?
        } else {
            let mut flat = Vec::with_capacity(subs.len());
            for n in subs {
                match n.kind {
                    Kind::Alternate(inner) => flat.extend(inner),
                    kind => flat.push(Node {
                        kind,
                        height: n.height,
                    }),
                }
            }
            let height = flat.iter().map(|n| n.height).max().unwrap_or(0) + 1;
            self.node(Kind::Alternate(flat), height)?
        };
        self.stack.push(Item::Node(node));
        Ok(())
    }

    fn parse_right_paren(&mut self) -> Result<(), SyntaxError> {
        self.concat()?;
        self.alternate()?;
        let inner = match self.stack.pop() {
            Some(Item::Node(n)) => n,
            _ => return Err(err(ERR_UNEXPECTED_PAREN, self.whole)),
        };
        let Some(Item::LeftParen {
            capture,
            name,
            flags,
        }) = self.stack.pop()
        else {
            return Err(err(ERR_UNEXPECTED_PAREN, self.whole));
        };
        self.flags = flags;
        let node = if capture {
            let height = inner.height + 1;
            self.node(Kind::Capture(Box::new(inner), name), height)?
        } else {
            inner
        };
        self.stack.push(Item::Node(node));
        Ok(())
    }

    /// `parseClass`: `[...]` starting at `start`.
    fn parse_class(&mut self, start: usize) -> Result<usize, SyntaxError> {
        let pat = self.whole;
        let whole_class = &pat[start..];
        let mut t = start + 1;
        let negated = pat.as_bytes().get(t) == Some(&b'^');
        if negated {
            t += 1;
        }
        let mut items = String::new();
        let mut first = true;
        loop {
            let rest = &pat[t..];
            if !(rest.is_empty() || !rest.starts_with(']') || first) {
                break;
            }
            first = false;

            // POSIX class like [:alnum:].
            if rest.len() > 2
                && rest.starts_with("[:")
                && let Some(i) = rest[2..].find(":]")
            {
                let name = &rest[..i + 4];
                let Some(class) = posix_class(name) else {
                    return Err(err(ERR_INVALID_CHAR_RANGE, name));
                };
                items.push_str(&class);
                t += name.len();
                continue;
            }

            // Unicode class like \p{Han}.
            if rest.starts_with("\\p") || rest.starts_with("\\P") {
                let (class, after) = parse_unicode_class(pat, t)?;
                items.push_str(&class);
                t = after;
                continue;
            }

            // Perl class like \d.
            if rest.starts_with('\\')
                && let Some(class) = rest.as_bytes().get(1).and_then(|&b| perl_class(b))
            {
                items.push('[');
                items.push_str(&class);
                items.push(']');
                t += 2;
                continue;
            }

            // Single character or range.
            let range_start = t;
            let (lo, after) = parse_class_char(pat, t, whole_class)?;
            t = after;
            let mut hi = lo;
            let rest = &pat.as_bytes()[t..];
            if rest.len() >= 2 && rest[0] == b'-' && rest[1] != b']' {
                t += 1;
                let (h, after) = parse_class_char(pat, t, whole_class)?;
                t = after;
                hi = h;
                if hi < lo {
                    return Err(err(ERR_INVALID_CHAR_RANGE, &pat[range_start..t]));
                }
            }
            push_range(&mut items, lo, hi);
        }
        t += 1; // ']'

        let body = if items.is_empty() {
            (if negated { ANY } else { NEVER }).to_string()
        } else {
            format!("[{}{items}]", if negated { "^" } else { "" })
        };
        let fold = self.flags.fold;
        self.class(body, fold)?;
        Ok(t)
    }
}

/// `repeatIsValid`: nested counted repetitions may not multiply beyond `n`.
fn repeat_is_valid(node: &Node, n: i64) -> bool {
    let mut n = n;
    if let Kind::Repeat {
        op: RepeatOp::Counted(min, max),
        ..
    } = node.kind
    {
        let mut m = max;
        if m == 0 {
            return true;
        }
        if m < 0 {
            m = min;
        }
        if m > n {
            return false;
        }
        if m > 0 {
            n /= m;
        }
    }
    match &node.kind {
        Kind::Capture(sub, _) | Kind::Repeat { sub, .. } => repeat_is_valid(sub, n),
        Kind::Concat(subs) | Kind::Alternate(subs) => subs.iter().all(|s| repeat_is_valid(s, n)),
        _ => true,
    }
}

/// `parseRepeat`: `{min}`, `{min,}` or `{min,max}` at `t`. `None` when the
/// text is not of that form; `min == -1` when a number is too big.
fn parse_repeat(pat: &str, t: usize) -> Option<(i64, i64, usize)> {
    let b = pat.as_bytes();
    let mut i = t + 1;
    let (mut min, ni) = parse_int(b, i)?;
    i = ni;
    let max;
    match b.get(i)? {
        b',' => {
            i += 1;
            if *b.get(i)? == b'}' {
                max = -1;
            } else {
                let (m, ni) = parse_int(b, i)?;
                i = ni;
                max = m;
                if max < 0 {
                    min = -1;
                }
            }
        }
        _ => max = min,
    }
    if *b.get(i)? != b'}' {
        return None;
    }
    Some((min, max, i + 1))
}

/// `parseInt`: a decimal without leading zeros; -1 when too big.
fn parse_int(b: &[u8], start: usize) -> Option<(i64, usize)> {
    let first = *b.get(start)?;
    if !first.is_ascii_digit() {
        return None;
    }
    if first == b'0' && b.get(start + 1).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let mut i = start;
    let mut n: i64 = 0;
    while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
        if n >= 0 {
            if n >= 100_000_000 {
                n = -1;
            } else {
                n = n * 10 + i64::from(d - b'0');
            }
        }
        i += 1;
    }
    Some((n, i))
}

/// Go's ASCII Perl classes, as `regex` class bodies.
fn perl_class(b: u8) -> Option<String> {
    let (body, negated) = match b {
        b'd' => (r"\x{30}-\x{39}", false),
        b'D' => (r"\x{30}-\x{39}", true),
        b's' => (r"\x{9}\x{A}\x{C}\x{D}\x{20}", false),
        b'S' => (r"\x{9}\x{A}\x{C}\x{D}\x{20}", true),
        b'w' => (r"\x{30}-\x{39}\x{41}-\x{5A}\x{5F}\x{61}-\x{7A}", false),
        b'W' => (r"\x{30}-\x{39}\x{41}-\x{5A}\x{5F}\x{61}-\x{7A}", true),
        _ => return None,
    };
    Some(format!("{}{body}", if negated { "^" } else { "" }))
}

/// Go's POSIX classes (`[:alpha:]`, `[:^alpha:]`) as nested `regex` classes.
fn posix_class(name: &str) -> Option<String> {
    let (negated, bare) = match name.strip_prefix("[:^") {
        Some(rest) => (true, rest),
        None => (false, name.strip_prefix("[:")?),
    };
    let body = match bare.strip_suffix(":]")? {
        "alnum" => r"\x{30}-\x{39}\x{41}-\x{5A}\x{61}-\x{7A}",
        "alpha" => r"\x{41}-\x{5A}\x{61}-\x{7A}",
        "ascii" => r"\x{0}-\x{7F}",
        "blank" => r"\x{9}\x{20}",
        "cntrl" => r"\x{0}-\x{1F}\x{7F}",
        "digit" => r"\x{30}-\x{39}",
        "graph" => r"\x{21}-\x{7E}",
        "lower" => r"\x{61}-\x{7A}",
        "print" => r"\x{20}-\x{7E}",
        "punct" => r"\x{21}-\x{2F}\x{3A}-\x{40}\x{5B}-\x{60}\x{7B}-\x{7E}",
        "space" => r"\x{9}-\x{D}\x{20}",
        "upper" => r"\x{41}-\x{5A}",
        "word" => r"\x{30}-\x{39}\x{41}-\x{5A}\x{5F}\x{61}-\x{7A}",
        "xdigit" => r"\x{30}-\x{39}\x{41}-\x{46}\x{61}-\x{66}",
        _ => return None,
    };
    Some(format!("[{}{body}]", if negated { "^" } else { "" }))
}

/// Go's `canonicalName` for Unicode class names.
fn canonical_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut first = true;
    for c in name.chars() {
        if matches!(c, '_' | '-' | ' ') {
            continue;
        }
        if first {
            out.push(c.to_ascii_uppercase());
            first = false;
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// The general categories Go's `unicode.Categories` knows.
const GO_CATEGORIES: &[&str] = &[
    "C", "Cc", "Cf", "Cn", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn",
    "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm",
    "So", "Z", "Zl", "Zp", "Zs",
];

/// A Unicode class name as Go's `unicodeTable` resolves it, in `regex`
/// syntax (positive form, negated form).
fn unicode_table(name: &str) -> Option<(String, String)> {
    let canon = canonical_name(name);
    let pair = |p: &str, n: &str| Some((p.to_string(), n.to_string()));
    match canon.as_str() {
        "Any" => return pair(ANY, NEVER),
        "Assigned" => return pair(r"\P{gc=Cn}", r"\p{gc=Cn}"),
        "Ascii" => return pair(r"[\x{0}-\x{7F}]", r"[^\x{0}-\x{7F}]"),
        "Lc" => return pair(r"\p{gc=LC}", r"\P{gc=LC}"),
        c if GO_CATEGORIES.contains(&c) => {
            return Some((format!(r"\p{{gc={c}}}"), format!(r"\P{{gc={c}}}")));
        }
        _ => {}
    }
    // Scripts and category aliases: the `regex` crate's tables decide.
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ' '));
    if !plain {
        return None;
    }
    for prop in ["sc", "gc"] {
        let pos = format!(r"\p{{{prop}={name}}}");
        if regex::Regex::new(&pos).is_ok() {
            return Some((pos, format!(r"\P{{{prop}={name}}}")));
        }
    }
    None
}

/// `parseUnicodeClass` at `t` (`\p` or `\P`): the class in `regex` syntax
/// and the index after it.
fn parse_unicode_class(pat: &str, t: usize) -> Result<(String, usize), SyntaxError> {
    let s = &pat[t..];
    let mut negated = s.as_bytes().get(1) == Some(&b'P');
    let (seq, mut name) = match s[2..].chars().next() {
        None => (&s[..2], ""),
        Some('{') => {
            let Some(end) = s.find('}') else {
                return Err(err(ERR_INVALID_CHAR_RANGE, s));
            };
            (&s[..=end], s.get(3..end).unwrap_or(""))
        }
        Some(c) => {
            let seq = &s[..2 + c.len_utf8()];
            (seq, &seq[2..])
        }
    };
    if let Some(rest) = name.strip_prefix('^') {
        negated = !negated;
        name = rest;
    }
    let Some((pos, neg)) = unicode_table(name) else {
        return Err(err(ERR_INVALID_CHAR_RANGE, seq));
    };
    Ok((if negated { neg } else { pos }, t + seq.len()))
}

/// `parseClassChar`: one character inside a class.
fn parse_class_char(pat: &str, t: usize, whole_class: &str) -> Result<(u32, usize), SyntaxError> {
    match pat[t..].chars().next() {
        None => Err(err(ERR_MISSING_BRACKET, whole_class)),
        Some('\\') => parse_escape(pat, t),
        Some(c) => Ok((u32::from(c), t + c.len_utf8())),
    }
}

/// `parseEscape`: a single-character escape at `t` (which holds `\`).
fn parse_escape(pat: &str, t: usize) -> Result<(u32, usize), SyntaxError> {
    let b = pat.as_bytes();
    let mut i = t + 1;
    let Some(c) = pat[i..].chars().next() else {
        return Err(err(ERR_TRAILING_BACKSLASH, ""));
    };
    i += c.len_utf8();
    let invalid = |end: usize| Err(err(ERR_INVALID_ESCAPE, &pat[t..end]));
    let is_octal = |x: Option<&u8>| x.is_some_and(|d| (b'0'..=b'7').contains(d));
    match c {
        '1'..='7' | '0' => {
            if c != '0' && !is_octal(b.get(i)) {
                // A single non-zero digit would be a backreference.
                return invalid(i);
            }
            let mut r = u32::from(c) - u32::from('0');
            for _ in 1..3 {
                match b.get(i) {
                    Some(&d) if (b'0'..=b'7').contains(&d) => {
                        r = r * 8 + u32::from(d - b'0');
                        i += 1;
                    }
                    _ => break,
                }
            }
            Ok((r, i))
        }
        'x' => {
            let Some(c) = pat[i..].chars().next() else {
                return invalid(i);
            };
            i += c.len_utf8();
            if c == '{' {
                let mut nhex = 0;
                let mut r: u32 = 0;
                loop {
                    let Some(c) = pat[i..].chars().next() else {
                        return invalid(i);
                    };
                    i += c.len_utf8();
                    if c == '}' {
                        break;
                    }
                    let Some(v) = c.to_digit(16) else {
                        return invalid(i);
                    };
                    r = r * 16 + v;
                    if r > MAX_RUNE {
                        return invalid(i);
                    }
                    nhex += 1;
                }
                if nhex == 0 {
                    return invalid(i);
                }
                return Ok((r, i));
            }
            let x = c.to_digit(16);
            let y = match pat[i..].chars().next() {
                Some(c) => {
                    i += c.len_utf8();
                    c.to_digit(16)
                }
                None => None,
            };
            match (x, y) {
                (Some(x), Some(y)) => Ok((x * 16 + y, i)),
                _ => invalid(i),
            }
        }
        'a' => Ok((0x07, i)),
        'f' => Ok((0x0c, i)),
        'n' => Ok((0x0a, i)),
        'r' => Ok((0x0d, i)),
        't' => Ok((0x09, i)),
        'v' => Ok((0x0b, i)),
        c if c.is_ascii() && !c.is_ascii_alphanumeric() => Ok((u32::from(c), i)),
        _ => invalid(i),
    }
}

/// Appends `lo-hi` to a class body, leaving out surrogates (which Go
/// allows in classes but which never occur in valid UTF-8 text).
fn push_range(items: &mut String, lo: u32, hi: u32) {
    let mut parts = [(lo, hi.min(0xD7FF)), (lo.max(0xE000), hi)];
    if lo >= 0xD800 {
        parts[0] = (1, 0);
    }
    if hi <= 0xDFFF {
        parts[1] = (1, 0);
    }
    for (a, b) in parts {
        if a <= b {
            let _ = write!(items, r"\x{{{a:X}}}-\x{{{b:X}}}");
        }
    }
}

fn emit_literal(c: u32, out: &mut String) {
    match char::from_u32(c) {
        Some(ch) if ch.is_ascii_alphanumeric() => out.push(ch),
        Some(ch) => {
            let _ = write!(out, r"\x{{{:X}}}", u32::from(ch));
        }
        None => out.push_str(NEVER),
    }
}

fn emit(node: &Node, names: &mut std::collections::HashSet<String>, out: &mut String) {
    match &node.kind {
        Kind::Empty => out.push_str("(?:)"),
        Kind::Literal { c, fold } => {
            if *fold {
                out.push_str("(?i:");
                emit_literal(*c, out);
                out.push(')');
            } else {
                emit_literal(*c, out);
            }
        }
        Kind::Raw(s) => out.push_str(s),
        Kind::Capture(sub, name) => {
            // Capture groups keep Go's numbering; a repeated name (which the
            // `regex` crate refuses) stays a numbered group.
            match name {
                Some(n) if names.insert(n.clone()) => {
                    let _ = write!(out, "(?P<{n}>");
                }
                _ => out.push('('),
            }
            emit(sub, names, out);
            out.push(')');
        }
        Kind::Concat(subs) => {
            for s in subs {
                emit(s, names, out);
            }
        }
        Kind::Alternate(subs) => {
            out.push_str("(?:");
            for (i, s) in subs.iter().enumerate() {
                if i > 0 {
                    out.push('|');
                }
                emit(s, names, out);
            }
            out.push(')');
        }
        Kind::Repeat { sub, op, greedy } => {
            out.push_str("(?:");
            emit(sub, names, out);
            out.push(')');
            match op {
                RepeatOp::Star => out.push('*'),
                RepeatOp::Plus => out.push('+'),
                RepeatOp::Quest => out.push('?'),
                RepeatOp::Counted(min, max) => {
                    let _ = match *max {
                        -1 => write!(out, "{{{min},}}"),
                        m if m == *min => write!(out, "{{{min}}}"),
                        m => write!(out, "{{{min},{m}}}"),
                    };
                }
            }
            if !greedy {
                out.push('?');
            }
        }
    }
}

/// Upper bound on the compiled size of one user regex, in bytes of the
/// `regex` crate's NFA (passed to `RegexBuilder::size_limit`). Go's own limit
/// is on instruction count; a pattern over this limit is reported as Go's
/// `expression too large`.
pub const REGEX_SIZE_LIMIT: usize = 8 << 20;
/// Cache budget of the lazy DFA of one user regex, in bytes.
const REGEX_DFA_SIZE_LIMIT: usize = 2 << 20;
/// Nesting budget of the translated pattern: Go allows parse trees up to 1000
/// deep and the translation adds at most two group levels per tree level.
const REGEX_NEST_LIMIT: u32 = 4096;

/// Builds a translated pattern with the size limits; `expr` is the fragment
/// reported when the `regex` crate refuses it.
fn build(translated: &str, expr: &str) -> Result<regex::Regex, SyntaxError> {
    regex::RegexBuilder::new(translated)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_DFA_SIZE_LIMIT)
        .nest_limit(REGEX_NEST_LIMIT)
        .build()
        .map_err(|e| SyntaxError {
            code: match e {
                regex::Error::CompiledTooBig(_) => ERR_LARGE,
                _ => ERR_INTERNAL,
            },
            expr: expr.to_string(),
        })
}

/// Compiles `pattern` as Go's `regexp.Compile` does: unanchored, so
/// `is_match` answers Go's `regexp.MatchString`.
///
/// Used for the template functions `reReplaceAll` and `match` (Prometheus'
/// `template/template.go`). Errors: Go's syntax error for `pattern`.
pub fn compile(pattern: &str) -> Result<regex::Regex, SyntaxError> {
    build(&translate(pattern)?, pattern)
}

/// Compiles a PromQL label-matcher regex as Prometheus does: fully anchored
/// with `.` matching newlines, `^(?s:pattern)$` (`model/labels/regexp.go`,
/// `NewFastRegexMatcher`; also `label_replace` in `promql/functions.go`).
///
/// Errors: Go's syntax error, whose fragment is taken from `pattern` alone
/// (Prometheus parses the pattern before anchoring it).
pub fn compile_promql(pattern: &str) -> Result<regex::Regex, SyntaxError> {
    let translated = translate_with(pattern, true)?;
    build(&format!("^(?:{translated})$"), pattern)
}

/// Compiles an Alertmanager matcher regex as `pkg/labels/matcher.go`'s
/// `NewMatcher` does: `regexp.Compile("^(?:" + pattern + ")$")`.
///
/// Errors: Go's syntax error, whose fragment comes from the anchored pattern
/// as in Go, e.g. ``error parsing regexp: missing closing ]: `[a)$` ``.
pub fn compile_alertmanager(pattern: &str) -> Result<regex::Regex, SyntaxError> {
    let whole = format!("^(?:{pattern})$");
    build(&translate(&whole)?, &whole)
}

/// Go's `regexp.MustCompile` panic text for `pattern`, which Go's
/// `text/template` turns into the error of a template function call:
/// ``regexp: Compile(`PATTERN`): error parsing regexp: ...``.
///
/// The pattern is quoted as `regexp.quote` does: in backquotes when
/// `strconv.CanBackquote` allows it, else with [`crate::go::quote::quote`].
pub fn must_compile_message(pattern: &str, err: &SyntaxError) -> String {
    let quoted = if super::quote::can_backquote(pattern) {
        format!("`{pattern}`")
    } else {
        super::quote::quote(pattern)
    };
    format!("regexp: Compile({quoted}): {}", err.message())
}

thread_local! {
    /// Compiled PromQL matcher regexes by pattern (`None`: Go rejects it).
    static PROMQL_CACHE: std::cell::RefCell<std::collections::HashMap<String, Option<regex::Regex>>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// Most patterns kept by [`compile_promql_cached`] per thread before the
/// cache is emptied.
const PROMQL_CACHE_CAP: usize = 1024;

/// [`compile_promql`] through a per-thread cache, for evaluators that match
/// the same selector against many series. `None` when Go rejects `pattern`.
pub fn compile_promql_cached(pattern: &str) -> Option<regex::Regex> {
    PROMQL_CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(re) = cache.get(pattern) {
            return re.clone();
        }
        if cache.len() >= PROMQL_CACHE_CAP {
            cache.clear();
        }
        let re = compile_promql(pattern).ok();
        cache.insert(pattern.to_string(), re.clone());
        re
    })
}

/// The strings an anchored Go regex matches when it is a plain literal or an
/// alternation of literals (`critical|page`, `(a|b\\.c)`; escaped
/// punctuation counts as literal); `None` otherwise, including for any
/// metacharacter. A text analysis: the pattern is not compiled.
pub fn literal_alternatives(re: &str) -> Option<Vec<String>> {
    let inner = re
        .strip_prefix("(")
        .and_then(|r| r.strip_suffix(")"))
        .filter(|r| !r.contains(['(', ')']))
        .unwrap_or(re);
    let mut out = Vec::new();
    for alt in inner.split('|') {
        let mut lit = String::new();
        let mut chars = alt.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(e) if e.is_ascii_punctuation() => lit.push(e),
                    _ => return None,
                },
                '.' | '^' | '$' | '*' | '+' | '?' | '(' | ')' | '[' | ']' | '{' | '}' => {
                    return None;
                }
                c => lit.push(c),
            }
        }
        out.push(lit);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(pattern: &str) -> String {
        match compile(pattern) {
            Ok(re) => panic!("{pattern:?} compiled as {re:?}"),
            Err(e) => e.message(),
        }
    }

    #[test]
    fn literal_brace_compiles_as_go() {
        let re = compile("{.*}$").expect("Go accepts a literal brace");
        assert_eq!(re.replace_all("foo{bar}", ""), "foo");
        assert!(
            regex::Regex::new(std::hint::black_box("{.*}$")).is_err(),
            "the regex crate refuses it"
        );
        let re = compile("a{,2}").expect("Go: literal");
        assert!(re.is_match("a{,2}"));
        assert!(!re.is_match("aa"));
    }

    #[test]
    fn go_only_syntax() {
        let q = compile(r"^\Qa.b*\E$").expect("\\Q..\\E");
        assert!(q.is_match("a.b*"));
        assert!(!q.is_match("axbb"));
        let oct = compile(r"^\101$").expect("octal");
        assert!(oct.is_match("A"));
        let posix = compile("^[[:alpha:]]+$").expect("POSIX class");
        assert!(posix.is_match("abcXYZ"));
        assert!(!posix.is_match("ab1"));
        let d = compile(r"^\d$").expect("ASCII digit");
        assert!(d.is_match("7"));
        assert!(!d.is_match("\u{0663}"), "Go's \\d is ASCII-only");
        let w = compile(r"^\w+$").expect("ASCII word");
        assert!(!w.is_match("é"));
    }

    #[test]
    fn go_error_messages() {
        assert_eq!(msg("[a"), "error parsing regexp: missing closing ]: `[a`");
        assert_eq!(msg("a)"), "error parsing regexp: unexpected ): `a)`");
        assert_eq!(msg("(a"), "error parsing regexp: missing closing ): `(a`");
        assert_eq!(
            msg("a**"),
            "error parsing regexp: invalid nested repetition operator: `**`"
        );
        assert_eq!(
            msg("*"),
            "error parsing regexp: missing argument to repetition operator: `*`"
        );
        assert_eq!(
            msg("(?<n"),
            "error parsing regexp: invalid named capture: `(?<n`"
        );
        assert_eq!(
            msg(r"\8"),
            "error parsing regexp: invalid escape sequence: `\\8`"
        );
        assert_eq!(
            msg("a{1001}"),
            "error parsing regexp: invalid repeat count: `{1001}`"
        );
        assert_eq!(
            compile_alertmanager("[a").map_err(|e| e.message()).err(),
            Some("error parsing regexp: missing closing ]: `[a)$`".to_string())
        );
    }

    #[test]
    fn anchoring_per_upstream() {
        let p = compile_promql("a.c").expect("valid");
        assert!(p.is_match("a\nc"), "PromQL matchers use (?s)");
        assert!(!p.is_match("xa.c"));
        let am = compile_alertmanager("a.c").expect("valid");
        assert!(!am.is_match("a\nc"), "Alertmanager does not set (?s)");
        assert!(am.is_match("abc"));
        assert!(!am.is_match("abcd"));
        assert!(compile("b").expect("valid").is_match("abc"), "unanchored");
        assert!(compile_promql("a|b").expect("valid").is_match("b"));
        assert!(!compile_promql("a|b").expect("valid").is_match("ab"));
    }

    #[test]
    fn literal_alternatives_of_patterns() {
        assert_eq!(
            literal_alternatives("critical|page"),
            Some(vec!["critical".to_string(), "page".to_string()])
        );
        assert_eq!(
            literal_alternatives("(a\\.b)"),
            Some(vec!["a.b".to_string()])
        );
        assert_eq!(literal_alternatives("a+"), None);
        assert_eq!(literal_alternatives("\\d"), None);
    }

    #[test]
    fn captures_keep_go_numbering_and_names() {
        let re = compile_promql("(?P<host>[^:]+):(\\d+)").expect("valid");
        let caps = re.captures("node-1:9100").expect("matches");
        assert_eq!(caps.name("host").map(|m| m.as_str()), Some("node-1"));
        assert_eq!(caps.get(2).map(|m| m.as_str()), Some("9100"));
        let re = compile("(?i:a)(b)(?<x>c)").expect("valid");
        assert_eq!(re.replace_all("Abc", "$2$1"), "c b".replace(' ', ""));
        let dup = compile("(?P<n>a)(?P<n>b)").expect("Go accepts a repeated name");
        assert_eq!(dup.replace_all("ab", "$2"), "b");
    }

    #[test]
    fn cached_promql_and_must_compile_text() {
        assert!(compile_promql_cached("{.*}").is_some_and(|r| r.is_match("{x}")));
        assert!(compile_promql_cached("[").is_none());
        let e = compile("[").expect_err("invalid");
        assert_eq!(
            must_compile_message("[", &e),
            "regexp: Compile(`[`): error parsing regexp: missing closing ]: `[`"
        );
        assert_eq!(
            must_compile_message("`[", &compile("`[").expect_err("invalid")),
            "regexp: Compile(\"`[\"): error parsing regexp: missing closing ]: `[`"
        );
    }
}
