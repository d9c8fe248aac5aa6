//! The static checker for Go `text/template` text as Prometheus parses alert
//! labels and annotations (rulefmt's `testTemplateParsing`): lexing and
//! parsing as Go's `text/template/parse` does, enough to report what makes
//! Prometheus refuse a rule file (syntax errors, functions not defined,
//! undefined variables) with the byte range of the problem, and to list the
//! alert labels a template reads (`$labels.x`, `.Labels.x`,
//! `index $labels "x"`). It does not execute templates, but follows the
//! shape of values through pipelines ([`ValueKind`]: the alert data, a
//! `query` result, one sample, …) far enough to list the strings given to
//! `query`, the fields read on known structs, and actions that print a
//! query result as Go's default formatting does.

use std::ops::Range;

pub use super::functions::ValueKind;
use super::functions::{ALERT_VARIABLES, is_function, result_kind, variable_kind};

/// Why the text does not parse, with the byte range of the offending token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// Go's message (`undefined variable "$label"`).
    pub message: String,
    /// Byte range in the text.
    pub range: Range<usize>,
}

/// An alert label read by the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelRef {
    /// The label name.
    pub label: String,
    /// Byte range of the name in the text.
    pub range: Range<usize>,
}

/// A `.Field` read on a value whose shape is known to be a struct or a
/// slice: the alert data, a query sample or a query result (`.Labels`,
/// `.labels`, `.Value`). Go resolves the name at expansion time, case
/// included; a name the struct lacks (or any field of a slice) fails with
/// `can't evaluate field NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldAccess {
    /// What the field is read on.
    pub receiver: ValueKind,
    /// The field name, as written.
    pub field: String,
    /// Byte range of the name (without the dot) in the text.
    pub range: Range<usize>,
}

/// Where the PromQL text of a `query` call comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryArg {
    /// A string literal (`query "up"`, `"up" | query`): its decoded text
    /// and the byte range of the literal, quotes included.
    Literal {
        /// The decoded string.
        text: String,
        /// Byte range of the literal in the text, quotes included.
        range: Range<usize>,
    },
    /// The result of `printf` with a literal format (`printf "up{job=%q}"
    /// $labels.job | query`): the decoded format and its literal's range.
    Format {
        /// The decoded format string, verbs unexpanded.
        format: String,
        /// Byte range of the format literal in the text, quotes included.
        range: Range<usize>,
    },
    /// Computed otherwise (a variable, `print`, a missing argument).
    Dynamic,
}

/// One call of Prometheus' `query` function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryCall {
    /// Its argument.
    pub arg: QueryArg,
    /// Byte range of the word `query` in the text.
    pub range: Range<usize>,
}

/// An action that prints a value of a shape Go prints with `fmt`'s defaults
/// (a query result as `[0xc000…]`, a sample as `&{map[…] 1}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Printed {
    /// What is printed: [`ValueKind::QueryResult`] or [`ValueKind::Sample`].
    pub kind: ValueKind,
    /// Byte range of the action's pipeline in the text.
    pub range: Range<usize>,
}

/// What the checker found. Everything but `error` covers the text before
/// the error only.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// The first parse error (Go stops at the first).
    pub error: Option<TemplateError>,
    /// Alert labels read, in text order.
    pub label_refs: Vec<LabelRef>,
    /// External labels read (`$externalLabels.x`, `.ExternalLabels.x`,
    /// `index $externalLabels "x"`), in text order.
    pub external_refs: Vec<LabelRef>,
    /// Fields read on the alert data, query samples and query results, in text order.
    pub fields: Vec<FieldAccess>,
    /// Calls of `query`, in text order.
    pub queries: Vec<QueryCall>,
    /// Actions that print a query result or a sample, in text order.
    pub printed: Vec<Printed>,
    /// Byte ranges of the text outside actions and comments (what Go copies
    /// to the output as is), in order; the whole text when it has no `{{`.
    pub texts: Vec<Range<usize>>,
}

/// Checks `text` as an alert label or annotation template: Go's and
/// Prometheus' functions, the alert variables predefined.
pub fn check_alert_template(text: &str) -> Checked {
    check(text, &is_function, ALERT_VARIABLES, ValueKind::Alert)
}

/// Checks `text` with the functions `has_func` knows and `predefined`
/// variables (of the kinds [`variable_kind`] gives), `.` and `$` being of
/// kind `root`.
pub fn check(
    text: &str,
    has_func: &dyn Fn(&str) -> bool,
    predefined: &[&str],
    root: ValueKind,
) -> Checked {
    if !text.contains("{{") {
        return Checked {
            texts: if text.is_empty() {
                Vec::new()
            } else {
                std::iter::once(0..text.len()).collect()
            },
            ..Checked::default()
        };
    }
    let mut vars = vec![("$".to_string(), root)];
    vars.extend(predefined.iter().map(|s| (s.to_string(), variable_kind(s))));
    let mut p = Parser {
        text,
        toks: Vec::new(),
        pos: 0,
        vars,
        has_func,
        range_depth: 0,
        dot: root,
        out: Checked::default(),
    };
    let error = match lex(text) {
        Ok(toks) => {
            p.toks = toks;
            p.parse().err()
        }
        Err(e) => {
            // Go reports lexer errors when the parser reaches them; anything
            // before them still parses, so parse the tokens up to the error.
            p.toks = e.1;
            match p.parse() {
                Err(pe) if pe.range.start < e.0.range.start => Some(pe),
                _ => Some(e.0),
            }
        }
    };
    let mut out = p.out;
    out.error = error;
    out.label_refs.sort_by_key(|r| r.range.start);
    out.external_refs.sort_by_key(|r| r.range.start);
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Text,
    Left,
    Right,
    Space,
    Declare,
    Assign,
    Pipe,
    LParen,
    RParen,
    Comma,
    Str(String),
    Number,
    Bool,
    Nil,
    Dot,
    Field(String),
    Variable(String),
    Ident(String),
    Keyword(&'static str),
    Char(char),
    Eof,
}

#[derive(Debug, Clone)]
struct Tok {
    kind: Kind,
    range: Range<usize>,
}

const KEYWORDS: &[&str] = &[
    "block", "break", "continue", "define", "else", "end", "if", "range", "template", "with",
];

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

type LexError = (TemplateError, Vec<Tok>);

fn lex(text: &str) -> Result<Vec<Tok>, Box<LexError>> {
    let mut toks = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    let err = |toks: Vec<Tok>, msg: String, range: Range<usize>| {
        Err(Box::new((
            TemplateError {
                message: msg,
                range,
            },
            toks,
        )))
    };
    while i < text.len() {
        let Some(open) = text[i..].find("{{").map(|o| o + i) else {
            toks.push(Tok {
                kind: Kind::Text,
                range: i..text.len(),
            });
            break;
        };
        if open > i {
            toks.push(Tok {
                kind: Kind::Text,
                range: i..open,
            });
        }
        let action_start = open;
        i = open + 2;
        // Left trim marker: "{{- " (a space must follow).
        if b.get(i) == Some(&b'-') && b.get(i + 1).is_some_and(|c| is_space(*c as char)) {
            i += 1;
        }
        let after = text[i..].trim_start_matches(is_space);
        let ws = text.len() - i - after.len();
        if after.starts_with("/*") && (ws == 0 || b[i - 1] == b'-') {
            // A comment: "*/" then the closing delimiter, nothing else.
            let start = i + ws;
            let Some(end) = text[start + 2..].find("*/").map(|e| e + start + 4) else {
                return err(toks, "unclosed comment".into(), action_start..text.len());
            };
            let rest = &text[end..];
            let close = if rest.starts_with("}}") {
                2
            } else if rest.len() > 3
                && is_space(rest.as_bytes()[0] as char)
                && rest[1..].starts_with("-}}")
            {
                4
            } else {
                return err(
                    toks,
                    "comment ends before closing delimiter".into(),
                    action_start..end,
                );
            };
            i = end + close;
            continue;
        }
        toks.push(Tok {
            kind: Kind::Left,
            range: action_start..i,
        });
        let mut depth = 0usize;
        loop {
            let rest = &text[i..];
            let Some(c) = rest.chars().next() else {
                return err(toks, "unclosed action".into(), action_start..text.len());
            };
            // Right delimiter, with an optional " -" trim marker.
            if rest.starts_with("}}") || (is_space(c) && rest[c.len_utf8()..].starts_with("-}}")) {
                let len = if rest.starts_with("}}") { 2 } else { 4 };
                if depth > 0 {
                    return err(toks, "unclosed left paren".into(), i..i + len);
                }
                toks.push(Tok {
                    kind: Kind::Right,
                    range: i..i + len,
                });
                i += len;
                break;
            }
            let start = i;
            let push = |toks: &mut Vec<Tok>, kind: Kind, end: usize| {
                toks.push(Tok {
                    kind,
                    range: start..end,
                });
            };
            match c {
                c if is_space(c) => {
                    let mut n = rest.len() - rest.trim_start_matches(is_space).len();
                    // Leave the space of a " -}}" to the delimiter.
                    if text[start + n..].starts_with("-}}") {
                        n -= 1;
                    }
                    if n == 0 {
                        continue;
                    }
                    i += n;
                    push(&mut toks, Kind::Space, i);
                }
                '=' => {
                    i += 1;
                    push(&mut toks, Kind::Assign, i);
                }
                ':' => {
                    if !rest.starts_with(":=") {
                        return err(toks, "expected :=".into(), i..i + 1);
                    }
                    i += 2;
                    push(&mut toks, Kind::Declare, i);
                }
                '|' => {
                    i += 1;
                    push(&mut toks, Kind::Pipe, i);
                }
                '(' => {
                    depth += 1;
                    i += 1;
                    push(&mut toks, Kind::LParen, i);
                }
                ')' => {
                    if depth == 0 {
                        return err(toks, "unexpected right paren".into(), i..i + 1);
                    }
                    depth -= 1;
                    i += 1;
                    push(&mut toks, Kind::RParen, i);
                }
                ',' => {
                    i += 1;
                    push(&mut toks, Kind::Comma, i);
                }
                '"' | '\'' => {
                    let mut j = i + 1;
                    let mut escaped = false;
                    let mut closed = false;
                    for (k, ch) in text[i + 1..].char_indices() {
                        if ch == '\n' {
                            break;
                        }
                        if escaped {
                            escaped = false;
                        } else if ch == '\\' {
                            escaped = true;
                        } else if ch == c {
                            j = i + 1 + k + 1;
                            closed = true;
                            break;
                        }
                    }
                    if !closed {
                        let what = if c == '"' {
                            "unterminated quoted string"
                        } else {
                            "unterminated character constant"
                        };
                        let end = text[i..].find('\n').map(|e| e + i).unwrap_or(text.len());
                        return err(toks, what.into(), i..end);
                    }
                    let kind = if c == '"' {
                        Kind::Str(
                            crate::go::quote::unquote(&text[i..j])
                                .unwrap_or_else(|| text[i + 1..j - 1].to_string()),
                        )
                    } else {
                        Kind::Number
                    };
                    i = j;
                    push(&mut toks, kind, i);
                }
                '`' => {
                    let Some(end) = text[i + 1..].find('`').map(|e| e + i + 2) else {
                        return err(toks, "unterminated raw quoted string".into(), i..text.len());
                    };
                    let s = text[i + 1..end - 1].to_string();
                    i = end;
                    push(&mut toks, Kind::Str(s), i);
                }
                '$' => {
                    let n = rest[1..]
                        .find(|ch: char| !is_alnum(ch))
                        .unwrap_or(rest.len() - 1);
                    i += 1 + n;
                    push(&mut toks, Kind::Variable(text[start..i].to_string()), i);
                    if let Some(e) = check_terminator(text, i, depth) {
                        return err(toks, e, start..i);
                    }
                }
                '.' if rest[1..].starts_with(|ch: char| ch.is_ascii_digit()) => {
                    i = scan_number(text, i);
                    push(&mut toks, Kind::Number, i);
                    if let Some(e) = number_end(text, start, i) {
                        return err(toks, e, start..i);
                    }
                }
                '.' => {
                    let n = rest[1..]
                        .find(|ch: char| !is_alnum(ch))
                        .unwrap_or(rest.len() - 1);
                    i += 1 + n;
                    let kind = if n == 0 {
                        Kind::Dot
                    } else {
                        Kind::Field(text[start + 1..i].to_string())
                    };
                    push(&mut toks, kind, i);
                    if n > 0
                        && let Some(e) = check_terminator(text, i, depth)
                    {
                        return err(toks, e, start..i);
                    }
                }
                '+' | '-' | '0'..='9' => {
                    i = scan_number(text, i);
                    push(&mut toks, Kind::Number, i);
                    if let Some(e) = number_end(text, start, i) {
                        return err(toks, e, start..i);
                    }
                }
                c if is_alnum(c) => {
                    let n = rest.find(|ch: char| !is_alnum(ch)).unwrap_or(rest.len());
                    i += n;
                    let word = &text[start..i];
                    let kind = match word {
                        "true" | "false" => Kind::Bool,
                        "nil" => Kind::Nil,
                        w => match KEYWORDS.iter().find(|k| **k == w) {
                            Some(k) => Kind::Keyword(k),
                            None => Kind::Ident(w.to_string()),
                        },
                    };
                    push(&mut toks, kind, i);
                    if let Some(e) = check_terminator(text, i, depth) {
                        return err(toks, e, start..i);
                    }
                }
                c if c.is_ascii() && !c.is_ascii_control() => {
                    i += 1;
                    push(&mut toks, Kind::Char(c), i);
                }
                c => {
                    return err(
                        toks,
                        format!("unrecognized character in action: {}", go_unicode(c)),
                        i..i + c.len_utf8(),
                    );
                }
            }
        }
    }
    toks.push(Tok {
        kind: Kind::Eof,
        range: text.len()..text.len(),
    });
    Ok(toks)
}

fn go_unicode(c: char) -> String {
    format!("U+{:04X} '{c}'", c as u32)
}

/// Go's `atTerminator`: what may follow a word, variable or field.
fn check_terminator(text: &str, i: usize, _depth: usize) -> Option<String> {
    let rest = &text[i..];
    let c = rest.chars().next()?;
    if is_space(c) || matches!(c, '.' | ',' | '|' | ':' | ')' | '(') || rest.starts_with("}}") {
        return None;
    }
    Some(format!("bad character {}", go_unicode(c)))
}

fn scan_number(text: &str, start: usize) -> usize {
    let b = text.as_bytes();
    let mut i = start;
    if matches!(b.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    while let Some(&c) = b.get(i) {
        let prev = if i > start { b[i - 1] } else { 0 };
        if c.is_ascii_alphanumeric()
            || c == b'.'
            || c == b'_'
            || (matches!(c, b'+' | b'-') && matches!(prev, b'e' | b'E' | b'p' | b'P'))
        {
            i += 1;
        } else {
            break;
        }
    }
    i
}

fn number_end(text: &str, start: usize, end: usize) -> Option<String> {
    let s = &text[start..end];
    let body = s.trim_start_matches(['+', '-']);
    let ok = if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        !hex.is_empty()
            && hex
                .chars()
                .all(|c| c.is_ascii_hexdigit() || matches!(c, '_' | '.' | 'p' | 'P' | '+' | '-'))
    } else {
        let body = body.strip_suffix('i').unwrap_or(body);
        let body = body
            .strip_prefix("0b")
            .or_else(|| body.strip_prefix("0o"))
            .unwrap_or(body);
        !body.is_empty()
            && body.chars().any(|c| c.is_ascii_digit())
            && body
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '_' | '.' | 'e' | 'E' | '+' | '-'))
    };
    if ok {
        None
    } else {
        Some(format!("bad number syntax: {s:?}"))
    }
}

struct Parser<'a> {
    text: &'a str,
    toks: Vec<Tok>,
    pos: usize,
    /// Variables in scope with the kind of their value.
    vars: Vec<(String, ValueKind)>,
    has_func: &'a dyn Fn(&str) -> bool,
    range_depth: usize,
    /// The kind of `.` here (rebound by `range`, `with`, `define`).
    dot: ValueKind,
    /// What is found so far (all but `error`).
    out: Checked,
}

type PResult<T> = Result<T, TemplateError>;

/// Where a string value comes from, for [`QueryArg`].
#[derive(Debug, Clone)]
enum StrSrc {
    Literal(String, Range<usize>),
    Format(String, Range<usize>),
}

/// What the checker knows about the value of an operand, command or pipeline.
#[derive(Debug, Clone)]
struct Val {
    kind: ValueKind,
    src: Option<StrSrc>,
}

impl Val {
    fn of(kind: ValueKind) -> Val {
        Val { kind, src: None }
    }
}

/// A parsed pipeline: its value, whether it declares or assigns variables
/// (then the action prints nothing), and its byte range.
struct Pipe {
    val: Val,
    declares: bool,
    range: Range<usize>,
}

/// What ended an item list.
enum Stop {
    End,
    Else,
}

impl Parser<'_> {
    fn tok(&self) -> Tok {
        self.toks.get(self.pos).cloned().unwrap_or(Tok {
            kind: Kind::Eof,
            range: self.text.len()..self.text.len(),
        })
    }

    fn next(&mut self) -> Tok {
        let t = self.tok();
        // Past the end `tok()` keeps returning EOF; always advancing keeps
        // `pos -= 1` a correct backup.
        self.pos += 1;
        t
    }

    fn skip_space(&mut self) {
        while self.tok().kind == Kind::Space {
            self.pos += 1;
        }
    }

    fn next_non_space(&mut self) -> Tok {
        self.skip_space();
        self.next()
    }

    fn peek_non_space(&mut self) -> Tok {
        self.skip_space();
        self.tok()
    }

    fn fail<T>(&self, message: String, range: Range<usize>) -> PResult<T> {
        Err(TemplateError { message, range })
    }

    fn unexpected<T>(&self, t: &Tok, context: &str) -> PResult<T> {
        self.fail(
            format!("unexpected {} in {context}", describe(self.text, t)),
            t.range.clone(),
        )
    }

    fn parse(&mut self) -> PResult<()> {
        loop {
            let t = self.tok();
            match t.kind {
                Kind::Eof => return Ok(()),
                Kind::Text => {
                    self.out.texts.push(t.range.clone());
                    self.pos += 1;
                }
                Kind::Left => {
                    // {{define}} only at the top level.
                    let save = self.pos;
                    self.pos += 1;
                    if self.peek_non_space().kind == Kind::Keyword("define") {
                        self.next();
                        self.definition()?;
                        continue;
                    }
                    self.pos = save;
                    if let Some((stop, tok)) = self.text_or_action()? {
                        let what = match stop {
                            Stop::End => "{{end}}",
                            _ => "{{else}}",
                        };
                        return self.fail(format!("unexpected {what}"), tok.range);
                    }
                }
                _ => {
                    self.pos += 1;
                }
            }
        }
    }

    fn definition(&mut self) -> PResult<()> {
        let name = self.next_non_space();
        if !matches!(name.kind, Kind::Str(_)) {
            return self.unexpected(&name, "define clause");
        }
        self.expect_right("define clause")?;
        let saved = (
            std::mem::replace(&mut self.vars, vec![("$".into(), ValueKind::Unknown)]),
            self.dot,
        );
        self.dot = ValueKind::Unknown;
        let (stop, tok) = self.item_list()?;
        (self.vars, self.dot) = saved;
        match stop {
            Stop::End => Ok(()),
            _ => self.unexpected(&tok, "define clause"),
        }
    }

    fn expect_right(&mut self, context: &str) -> PResult<Tok> {
        let t = self.next_non_space();
        if t.kind != Kind::Right {
            return self.unexpected(&t, context);
        }
        Ok(t)
    }

    /// Parses items until `{{end}}`, `{{else}}` or the end of text.
    fn item_list(&mut self) -> PResult<(Stop, Tok)> {
        loop {
            let t = self.tok();
            match t.kind {
                Kind::Eof => return self.fail("unexpected EOF".into(), t.range),
                Kind::Text => {
                    self.out.texts.push(t.range.clone());
                    self.pos += 1;
                }
                Kind::Left => {
                    if let Some(stop) = self.text_or_action()? {
                        return Ok(stop);
                    }
                }
                _ => self.pos += 1,
            }
        }
    }

    /// Parses one action at `{{`; returns `Some` for `{{end}}`/`{{else}}`.
    fn text_or_action(&mut self) -> PResult<Option<(Stop, Tok)>> {
        let left = self.next();
        debug_assert_eq!(left.kind, Kind::Left);
        let t = self.next_non_space();
        match t.kind {
            Kind::Keyword("end") => {
                self.expect_right("end")?;
                Ok(Some((Stop::End, t)))
            }
            Kind::Keyword("else") => {
                let p = self.peek_non_space();
                if !matches!(p.kind, Kind::Keyword("if" | "with")) {
                    self.expect_right("else")?;
                }
                Ok(Some((Stop::Else, t)))
            }
            Kind::Keyword(kw @ ("if" | "range" | "with")) => {
                self.control(kw)?;
                Ok(None)
            }
            Kind::Keyword(kw @ ("break" | "continue")) => {
                if self.range_depth == 0 {
                    return self.fail(format!("{{{{{kw}}}}} outside {{{{range}}}}"), t.range);
                }
                self.expect_right(&format!("{{{{{kw}}}}}"))?;
                Ok(None)
            }
            Kind::Keyword(kw @ ("template" | "block")) => {
                let context = if kw == "block" {
                    "block clause"
                } else {
                    "template clause"
                };
                let name = self.next_non_space();
                if !matches!(name.kind, Kind::Str(_)) {
                    return self.unexpected(&name, context);
                }
                if self.peek_non_space().kind != Kind::Right {
                    self.pipeline(context, Kind::Right)?;
                } else {
                    self.next();
                }
                if kw == "block" {
                    let saved = (
                        std::mem::replace(&mut self.vars, vec![("$".into(), ValueKind::Unknown)]),
                        self.dot,
                    );
                    self.dot = ValueKind::Unknown;
                    let (stop, tok) = self.item_list()?;
                    (self.vars, self.dot) = saved;
                    if !matches!(stop, Stop::End) {
                        return self.unexpected(&tok, context);
                    }
                }
                Ok(None)
            }
            _ => {
                self.pos -= 1;
                // Variables declared in a plain action persist to {{end}}.
                let p = self.pipeline("command", Kind::Right)?;
                if !p.declares && matches!(p.val.kind, ValueKind::QueryResult | ValueKind::Sample) {
                    self.out.printed.push(Printed {
                        kind: p.val.kind,
                        range: p.range,
                    });
                }
                Ok(None)
            }
        }
    }

    fn control(&mut self, kw: &'static str) -> PResult<()> {
        let nvars = self.vars.len();
        let p = self.pipeline(kw, Kind::Right)?;
        let outer_dot = self.dot;
        match kw {
            "with" => self.dot = p.val.kind,
            "range" => self.dot = p.val.kind.element(),
            _ => {}
        }
        if kw == "range" {
            self.range_depth += 1;
        }
        let (stop, tok) = self.item_list()?;
        if kw == "range" {
            self.range_depth -= 1;
        }
        self.dot = outer_dot;
        if let Stop::Else = stop {
            let p = self.peek_non_space();
            match (kw, &p.kind) {
                ("if", Kind::Keyword("if")) | ("with", Kind::Keyword("with")) => {
                    self.next();
                    self.control(kw)?;
                }
                _ => {
                    let (stop, tok) = self.item_list()?;
                    if !matches!(stop, Stop::End) {
                        return self.fail("expected end; found {{else}}".into(), tok.range);
                    }
                }
            }
        }
        let _ = tok;
        self.vars.truncate(nvars);
        Ok(())
    }

    fn pipeline(&mut self, context: &str, end: Kind) -> PResult<Pipe> {
        let start = self.peek_non_space();
        // Declarations: `$x :=`, `$x =`, `$i, $e :=` (range).
        let mut declared: Vec<usize> = Vec::new();
        loop {
            let v = self.peek_non_space();
            let Kind::Variable(name) = v.kind.clone() else {
                break;
            };
            let save = self.pos;
            self.next();
            let n = self.peek_non_space();
            match n.kind {
                Kind::Declare | Kind::Assign => {
                    self.next();
                    declared.push(self.vars.len());
                    self.vars.push((name, ValueKind::Unknown));
                    break;
                }
                Kind::Comma => {
                    self.next();
                    declared.push(self.vars.len());
                    self.vars.push((name, ValueKind::Unknown));
                    if context == "range" && declared.len() < 2 {
                        match self.peek_non_space().kind {
                            Kind::Variable(_) | Kind::Right | Kind::RParen => continue,
                            _ => {
                                return self
                                    .fail("range can only initialize variables".into(), n.range);
                            }
                        }
                    }
                    return self.fail(format!("too many declarations in {context}"), n.range);
                }
                _ => {
                    self.pos = save;
                    break;
                }
            }
        }
        let body_start = self.peek_non_space().range.start;
        let mut body_end = body_start;
        let mut cmds: Vec<Kind> = Vec::new();
        let mut val: Option<Val> = None;
        loop {
            let t = self.next_non_space();
            if t.kind == end {
                if cmds.is_empty() {
                    return self.fail(format!("missing value for {context}"), start.range);
                }
                for (i, first) in cmds.iter().enumerate().skip(1) {
                    if matches!(
                        first,
                        Kind::Bool | Kind::Dot | Kind::Nil | Kind::Number | Kind::Str(_)
                    ) {
                        return self.fail(
                            format!("non executable command in pipeline stage {}", i + 1),
                            t.range,
                        );
                    }
                }
                let val = val.unwrap_or(Val::of(ValueKind::Unknown));
                // What the declared variables hold: the value, or for
                // `range` its elements (`$i, $e :=`: the index, then the element).
                let n = declared.len();
                for (k, &at) in declared.iter().enumerate() {
                    self.vars[at].1 = match (context, n, k) {
                        ("range", 2, 0) => ValueKind::Unknown,
                        ("range", _, _) => val.kind.element(),
                        _ => val.kind,
                    };
                }
                return Ok(Pipe {
                    val,
                    declares: !declared.is_empty(),
                    range: body_start..body_end.max(body_start),
                });
            }
            match t.kind {
                Kind::Bool
                | Kind::Dot
                | Kind::Field(_)
                | Kind::Ident(_)
                | Kind::Number
                | Kind::Nil
                | Kind::Str(_)
                | Kind::Variable(_)
                | Kind::LParen => {
                    self.pos -= 1;
                    let (first, v, end_at) = self.command(val.take())?;
                    cmds.push(first);
                    val = Some(v);
                    body_end = end_at;
                }
                _ => return self.unexpected(&t, context),
            }
        }
    }

    /// Parses one command; returns the kind of its first operand, the
    /// command's value and the end of its last operand. `input` is the
    /// value piped in from the previous command (Go passes it as the last
    /// argument).
    fn command(&mut self, input: Option<Val>) -> PResult<(Kind, Val, usize)> {
        let mut ops: Vec<(Tok, Val)> = Vec::new();
        let mut end_at = self.tok().range.start;
        loop {
            self.skip_space();
            if let Some((tok, val, end)) = self.operand()? {
                end_at = end;
                ops.push((tok, val));
            }
            let t = self.next();
            match t.kind {
                Kind::Space => continue,
                Kind::Right | Kind::RParen => {
                    self.pos -= 1;
                }
                Kind::Pipe => {}
                _ => return self.unexpected(&t, "operand"),
            }
            break;
        }
        let Some((first, first_val)) = ops.first().cloned() else {
            let t = self.tok();
            return self.fail("empty command".into(), t.range);
        };
        let Kind::Ident(name) = first.kind.clone() else {
            // A value, not a call (Go refuses arguments to non-functions
            // when it executes; that is not the checker's concern).
            return Ok((first.kind, first_val, end_at));
        };
        let mut args: Vec<Val> = ops[1..].iter().map(|(_, v)| v.clone()).collect();
        args.extend(input);
        let kinds: Vec<ValueKind> = args.iter().map(|v| v.kind).collect();
        let mut src = None;
        match name.as_str() {
            "query" => {
                let arg = match args.last().and_then(|a| a.src.clone()) {
                    Some(StrSrc::Literal(text, range)) => QueryArg::Literal { text, range },
                    Some(StrSrc::Format(format, range)) => QueryArg::Format { format, range },
                    None => QueryArg::Dynamic,
                };
                self.out.queries.push(QueryCall {
                    arg,
                    range: first.range.clone(),
                });
            }
            "printf" => {
                if let Some(Some(StrSrc::Literal(f, r))) = args.first().map(|a| a.src.clone()) {
                    src = Some(StrSrc::Format(f, r));
                }
            }
            "index" => {
                // `index $labels "x"` / `index .Labels "x"`.
                if let (Some((_, m)), Some((key, _))) = (ops.get(1), ops.get(2))
                    && let Kind::Str(s) = &key.kind
                {
                    let r = LabelRef {
                        label: s.clone(),
                        range: key.range.start + 1..key.range.end.saturating_sub(1),
                    };
                    match m.kind {
                        ValueKind::AlertLabels => self.out.label_refs.push(r),
                        ValueKind::ExternalLabels => self.out.external_refs.push(r),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        Ok((
            first.kind,
            Val {
                kind: result_kind(&name, &kinds),
                src,
            },
            end_at,
        ))
    }

    /// The kind of field `field` (byte range `range`, dot included) read on
    /// a value of kind `receiver`, recording what the lints need: fields of
    /// structs and slices, and alert labels read.
    fn field(&mut self, receiver: ValueKind, field: &str, range: Range<usize>) -> ValueKind {
        let name_range = range.start + 1..range.end;
        match receiver {
            ValueKind::Alert | ValueKind::Sample | ValueKind::QueryResult => {
                self.out.fields.push(FieldAccess {
                    receiver,
                    field: field.to_string(),
                    range: name_range,
                });
                receiver
                    .fields()
                    .and_then(|fs| fs.iter().find(|(n, _)| *n == field))
                    .map_or(ValueKind::Unknown, |(_, k)| *k)
            }
            ValueKind::AlertLabels => {
                self.out.label_refs.push(LabelRef {
                    label: field.to_string(),
                    range: name_range,
                });
                ValueKind::String
            }
            ValueKind::ExternalLabels => {
                self.out.external_refs.push(LabelRef {
                    label: field.to_string(),
                    range: name_range,
                });
                ValueKind::String
            }
            ValueKind::Labels => ValueKind::String,
            _ => ValueKind::Unknown,
        }
    }

    /// Parses one operand (a term and its `.field` chain); `None` when the
    /// next token starts no term. Returns the term's token, the operand's
    /// value and the end of its last token.
    fn operand(&mut self) -> PResult<Option<(Tok, Val, usize)>> {
        let Some((term, mut val)) = self.term()? else {
            return Ok(None);
        };
        let mut fields: Vec<Tok> = Vec::new();
        while let Kind::Field(_) = self.tok().kind {
            fields.push(self.next());
        }
        if !fields.is_empty()
            && matches!(
                term.kind,
                Kind::Bool | Kind::Str(_) | Kind::Number | Kind::Nil | Kind::Dot
            )
        {
            let text = &self.text[term.range.clone()];
            return self.fail(
                format!("unexpected . after term {text:?}"),
                fields[0].range.clone(),
            );
        }
        let end = fields.last().map_or(term.range.end, |f| f.range.end);
        for f in &fields {
            if let Kind::Field(name) = &f.kind {
                val = Val::of(self.field(val.kind, name, f.range.clone()));
            }
        }
        Ok(Some((term, val, end)))
    }

    fn term(&mut self) -> PResult<Option<(Tok, Val)>> {
        let t = self.next_non_space();
        match &t.kind {
            Kind::Ident(name) => {
                if !(self.has_func)(name) {
                    return self.fail(format!("function {name:?} not defined"), t.range);
                }
                // As an argument, a function is called without arguments (`now`).
                let v = Val::of(result_kind(name, &[]));
                Ok(Some((t, v)))
            }
            Kind::Variable(v) => {
                let Some((_, kind)) = self.vars.iter().rev().find(|(x, _)| x == v) else {
                    return self.fail(format!("undefined variable {v:?}"), t.range);
                };
                let kind = *kind;
                Ok(Some((t, Val::of(kind))))
            }
            Kind::Field(f) => {
                let f = f.clone();
                let kind = self.field(self.dot, &f, t.range.clone());
                Ok(Some((t, Val::of(kind))))
            }
            Kind::Dot => Ok(Some((t, Val::of(self.dot)))),
            Kind::Str(s) => {
                let v = Val {
                    kind: ValueKind::String,
                    src: Some(StrSrc::Literal(s.clone(), t.range.clone())),
                };
                Ok(Some((t, v)))
            }
            Kind::Number => Ok(Some((t, Val::of(ValueKind::Number)))),
            Kind::Nil | Kind::Bool => Ok(Some((t, Val::of(ValueKind::Unknown)))),
            Kind::LParen => {
                let p = self.pipeline("parenthesized pipeline", Kind::RParen)?;
                // The closing paren is the term's end.
                let close = self.toks[..self.pos]
                    .last()
                    .map_or(t.range.end, |c| c.range.end);
                Ok(Some((
                    Tok {
                        kind: Kind::LParen,
                        range: t.range.start..close,
                    },
                    p.val,
                )))
            }
            _ => {
                self.pos -= 1;
                Ok(None)
            }
        }
    }
}

/// Go's `item.String()` for messages.
fn describe(text: &str, t: &Tok) -> String {
    match t.kind {
        Kind::Eof => "EOF".into(),
        Kind::Keyword(k) => format!("<{k}>"),
        _ => {
            let v = &text[t.range.clone()];
            if v.chars().count() > 10 {
                let short: String = v.chars().take(10).collect();
                format!("{short:?}...")
            } else {
                format!("{v:?}")
            }
        }
    }
}

/// The 1-based line of byte `offset` in `text` (for Go-style messages).
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(t: &str) -> Option<(String, String)> {
        check_alert_template(t)
            .error
            .map(|e| (e.message, t[e.range].to_string()))
    }

    #[test]
    fn valid_templates() {
        for t in [
            "plain text",
            "{{ $labels.instance }} is down",
            "{{ $value | humanizePercentage }}",
            "{{- if gt $value 0.5 -}}high{{ else if gt $value 0.2 }}mid{{ else }}low{{ end -}}",
            "{{ range $i, $s := query \"up\" }}{{ $s.Labels.job }}{{ $i }}{{ end }}",
            "{{ with query \"x\" }}{{ . | first | value | humanize }}{{ end }}",
            "{{ $x := 1 }}{{ $x }}{{/* a comment */}}{{- /* trimmed */ -}}",
            "{{ printf \"%.2f\" $value }} {{ .Labels.pod }} {{ index $labels \"gpu-id\" }}",
            "{{ template \"x\" . }}{{ define \"x\" }}{{ $ }}{{ end }}",
            "{{ (printf `%s` \"a\") }} {{ -1 }} {{ 1e3 }} {{ 0x1F }} {{ 'a' }}",
            "{{ if and (eq $labels.a \"b\") (not (match \"x\" $labels.c)) }}y{{ end }}",
            "{{ range query \"up\" }}{{ break }}{{ end }} {{ toDuration 3 }}",
            "{{\n  $labels.model\n}}",
            "text with } and { and }} alone",
        ] {
            assert_eq!(err(t), None, "{t}");
        }
    }

    #[test]
    fn errors_as_go_reports_them() {
        let cases = [
            (
                "{{ $label.instance }}",
                "undefined variable \"$label\"",
                "$label",
            ),
            (
                "{{ humanise $value }}",
                "function \"humanise\" not defined",
                "humanise",
            ),
            ("{{ $labels.x", "unclosed action", "{{ $labels.x"),
            ("{{ if $value }}x", "unexpected EOF", ""),
            ("x {{ end }}", "unexpected {{end}}", "end"),
            ("{{ \"abc }}", "unterminated quoted string", "\"abc }}"),
            ("{{ }}", "missing value for command", "}}"),
            ("{{ if }}x{{ end }}", "missing value for if", "}}"),
            ("{{ (len \"a\" }}", "unclosed left paren", "}}"),
            ("{{ len \"a\") }}", "unexpected right paren", ")"),
            (
                "{{ $value | 3 }}",
                "non executable command in pipeline stage 2",
                "}}",
            ),
            ("{{ break }}", "{{break}} outside {{range}}", "break"),
            ("{{ $labels.a# }}", "bad character U+0023 '#'", ".a"),
            (
                "{{ if 1 }}{{ $y := 2 }}{{ end }}{{ $y }}",
                "undefined variable \"$y\"",
                "$y",
            ),
            (
                "{{ define \"t\" }}{{ $labels }}{{ end }}",
                "undefined variable \"$labels\"",
                "$labels",
            ),
            (
                "{{/* x */ }}",
                "comment ends before closing delimiter",
                "{{/* x */",
            ),
        ];
        for (t, msg, at) in cases {
            assert_eq!(err(t), Some((msg.to_string(), at.to_string())), "{t}");
        }
    }

    #[test]
    fn label_references() {
        let t = "{{ $labels.pod }} {{ .Labels.gpu }} {{ index $labels \"model\" }} {{ with query \"x\" }}{{ .Labels.no }}{{ end }}";
        let c = check_alert_template(t);
        assert_eq!(c.error, None);
        let labels: Vec<(&str, &str)> = c
            .label_refs
            .iter()
            .map(|r| (r.label.as_str(), &t[r.range.clone()]))
            .collect();
        assert_eq!(labels, [("pod", "pod"), ("gpu", "gpu"), ("model", "model")]);
        assert_eq!(line_of("a\nb", 2), 2);
    }

    #[test]
    fn external_label_references() {
        // Every way to read the server's external labels; never the alert's.
        let t = "{{ $externalLabels.a }} {{ .ExternalLabels.b }} {{ index $externalLabels \"c\" }} {{ $.ExternalLabels.d }} {{ $labels.e }}";
        let c = check_alert_template(t);
        assert_eq!(c.error, None);
        let ext: Vec<(&str, &str)> = c
            .external_refs
            .iter()
            .map(|r| (r.label.as_str(), &t[r.range.clone()]))
            .collect();
        assert_eq!(ext, [("a", "a"), ("b", "b"), ("c", "c"), ("d", "d")]);
        let labels: Vec<&str> = c.label_refs.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["e"]);
    }

    #[test]
    fn label_references_follow_values() {
        // `$.Labels`, a `with $labels` body, a variable holding `.Labels`;
        // not a query sample's labels.
        let t = "{{ $.Labels.a }} {{ with $labels }}{{ .b }}{{ end }} {{ $l := .Labels }}{{ $l.c }} {{ range query \"x\" }}{{ .Labels.no }}{{ index .Labels \"no\" }}{{ end }}";
        let c = check_alert_template(t);
        assert_eq!(c.error, None);
        let labels: Vec<&str> = c.label_refs.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["a", "b", "c"]);
    }

    #[test]
    fn query_arguments() {
        let t = "{{ query \"up\" }} {{ \"a\" | query }} {{ printf `x{i=\"%s\"}` $labels.i | query }} {{ query (printf \"y%s\" \"1\") }} {{ $q := \"z\" }}{{ query $q }}";
        let c = check_alert_template(t);
        assert_eq!(c.error, None);
        let args: Vec<String> = c
            .queries
            .iter()
            .map(|q| match &q.arg {
                QueryArg::Literal { text, range } => format!("lit {text} {}", &t[range.clone()]),
                QueryArg::Format { format, range } => format!("fmt {format} {}", &t[range.clone()]),
                QueryArg::Dynamic => "dyn".into(),
            })
            .collect();
        assert_eq!(
            args,
            [
                "lit up \"up\"",
                "lit a \"a\"",
                "fmt x{i=\"%s\"} `x{i=\"%s\"}`",
                "fmt y%s \"y%s\"",
                "dyn"
            ]
        );
        assert!(c.queries.iter().all(|q| &t[q.range.clone()] == "query"));
    }

    #[test]
    fn fields_on_known_shapes() {
        let t = "{{ .labels.a }} {{ range query \"x\" }}{{ .Labels.b }}{{ .value }}{{ end }} {{ with query \"x\" }}{{ .Value }}{{ (. | first).labels.c }}{{ end }} {{ range $i, $s := query \"x\" }}{{ $s.Valu }}{{ end }} {{ $labels.x }}";
        let c = check_alert_template(t);
        assert_eq!(c.error, None);
        let f: Vec<(ValueKind, &str, &str)> = c
            .fields
            .iter()
            .map(|f| (f.receiver, f.field.as_str(), &t[f.range.clone()]))
            .collect();
        use ValueKind::*;
        assert_eq!(
            f,
            [
                (Alert, "labels", "labels"),
                (Sample, "Labels", "Labels"),
                (Sample, "value", "value"),
                (QueryResult, "Value", "Value"),
                (Sample, "labels", "labels"),
                (Sample, "Valu", "Valu"),
            ]
        );
    }

    #[test]
    fn printed_query_results() {
        let t = "{{ query \"x\" }}|{{ query \"x\" | first }}|{{ with query \"x\" }}{{ . }}{{ . | first | value }}{{ end }}|{{ range query \"x\" }}{{ . }}{{ end }}|{{ $q := query \"x\" }}{{ query \"x\" | len }}{{ query \"x\" | first | label \"a\" }}";
        let c = check_alert_template(t);
        assert_eq!(c.error, None);
        let p: Vec<(ValueKind, &str)> = c
            .printed
            .iter()
            .map(|p| (p.kind, &t[p.range.clone()]))
            .collect();
        use ValueKind::*;
        assert_eq!(
            p,
            [
                (QueryResult, "query \"x\""),
                (Sample, "query \"x\" | first"),
                (QueryResult, "."),
                (Sample, "."),
            ]
        );
    }

    #[test]
    fn text_outside_actions() {
        let t = "a {{ $labels.x }} b }}{{/* c */}} d";
        let c = check_alert_template(t);
        let texts: Vec<&str> = c.texts.iter().map(|r| &t[r.clone()]).collect();
        assert_eq!(texts, ["a ", " b }}", " d"]);
        let t = "no action }}";
        let texts = check_alert_template(t).texts;
        assert_eq!((texts.len(), texts[0].clone()), (1, 0..t.len()));
    }
}
