//! The static checker for Go `text/template` text as Prometheus parses alert
//! labels and annotations (rulefmt's `testTemplateParsing`): lexing and
//! parsing as Go's `text/template/parse` does, enough to report what makes
//! Prometheus refuse a rule file (syntax errors, functions not defined,
//! undefined variables) with the byte range of the problem, and to list the
//! alert labels a template reads (`$labels.x`, `.Labels.x`,
//! `index $labels "x"`). It does not execute templates.

use std::ops::Range;

use super::functions::{ALERT_VARIABLES, is_function};

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

/// What the checker found.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// The first parse error (Go stops at the first).
    pub error: Option<TemplateError>,
    /// Alert labels read, in text order (those before an error only).
    pub label_refs: Vec<LabelRef>,
}

/// Checks `text` as an alert label or annotation template: Go's and
/// Prometheus' functions, the alert variables predefined.
pub fn check_alert_template(text: &str) -> Checked {
    check(text, &is_function, ALERT_VARIABLES)
}

/// Checks `text` with the functions `has_func` knows and `predefined` variables.
pub fn check(text: &str, has_func: &dyn Fn(&str) -> bool, predefined: &[&str]) -> Checked {
    if !text.contains("{{") {
        return Checked::default();
    }
    let mut vars = vec!["$".to_string()];
    vars.extend(predefined.iter().map(|s| s.to_string()));
    let mut p = Parser {
        text,
        toks: Vec::new(),
        pos: 0,
        vars,
        has_func,
        range_depth: 0,
        dot_is_alert: true,
        refs: Vec::new(),
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
    Checked {
        error,
        label_refs: p.refs,
    }
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
    vars: Vec<String>,
    has_func: &'a dyn Fn(&str) -> bool,
    range_depth: usize,
    /// True while `.` is the alert data (not rebound by `range`/`with`).
    dot_is_alert: bool,
    refs: Vec<LabelRef>,
}

type PResult<T> = Result<T, TemplateError>;

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
            std::mem::replace(&mut self.vars, vec!["$".into()]),
            self.dot_is_alert,
        );
        self.dot_is_alert = false;
        let (stop, tok) = self.item_list()?;
        (self.vars, self.dot_is_alert) = saved;
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
                Kind::Text => self.pos += 1,
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
                        std::mem::replace(&mut self.vars, vec!["$".into()]),
                        self.dot_is_alert,
                    );
                    self.dot_is_alert = false;
                    let (stop, tok) = self.item_list()?;
                    (self.vars, self.dot_is_alert) = saved;
                    if !matches!(stop, Stop::End) {
                        return self.unexpected(&tok, context);
                    }
                }
                Ok(None)
            }
            _ => {
                self.pos -= 1;
                // Variables declared in a plain action persist to {{end}}.
                self.pipeline("command", Kind::Right)?;
                Ok(None)
            }
        }
    }

    fn control(&mut self, kw: &'static str) -> PResult<()> {
        let nvars = self.vars.len();
        self.pipeline(kw, Kind::Right)?;
        let outer_dot = self.dot_is_alert;
        if kw != "if" {
            self.dot_is_alert = false;
        }
        if kw == "range" {
            self.range_depth += 1;
        }
        let (stop, tok) = self.item_list()?;
        if kw == "range" {
            self.range_depth -= 1;
        }
        self.dot_is_alert = outer_dot;
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

    fn pipeline(&mut self, context: &str, end: Kind) -> PResult<()> {
        let start = self.peek_non_space();
        // Declarations: `$x :=`, `$x =`, `$i, $e :=` (range).
        let mut ndecl = 0;
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
                    self.vars.push(name);
                    break;
                }
                Kind::Comma => {
                    self.next();
                    self.vars.push(name);
                    ndecl += 1;
                    if context == "range" && ndecl < 2 {
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
        let mut cmds: Vec<Kind> = Vec::new();
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
                return Ok(());
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
                    cmds.push(self.command()?);
                }
                _ => return self.unexpected(&t, context),
            }
        }
    }

    /// Parses one command; returns the kind of its first operand.
    fn command(&mut self) -> PResult<Kind> {
        let mut first: Option<Kind> = None;
        let mut args: Vec<Tok> = Vec::new();
        loop {
            self.skip_space();
            if let Some(k) = self.operand(&args)? {
                if first.is_none() {
                    first = Some(k.kind.clone());
                }
                args.push(k);
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
        match first {
            Some(k) => Ok(k),
            None => {
                let t = self.tok();
                self.fail("empty command".into(), t.range)
            }
        }
    }

    /// Parses one operand (a term and its `.field` chain); `None` when the
    /// next token starts no term. `args` are the command's operands so far
    /// (to see `index $labels "x"`).
    fn operand(&mut self, args: &[Tok]) -> PResult<Option<Tok>> {
        let Some(term) = self.term()? else {
            return Ok(None);
        };
        let mut fields: Vec<Tok> = Vec::new();
        while let Kind::Field(_) = self.tok().kind {
            fields.push(self.next());
        }
        let field_name = |t: &Tok| match &t.kind {
            Kind::Field(f) => f.clone(),
            _ => String::new(),
        };
        match &term.kind {
            Kind::Variable(v) if v == "$labels" => {
                if let Some(f) = fields.first() {
                    self.refs.push(LabelRef {
                        label: field_name(f),
                        range: f.range.start + 1..f.range.end,
                    });
                }
            }
            Kind::Field(f) if f == "Labels" && self.dot_is_alert => {
                if let Some(f) = fields.first() {
                    self.refs.push(LabelRef {
                        label: field_name(f),
                        range: f.range.start + 1..f.range.end,
                    });
                }
            }
            Kind::Str(s) => {
                // `index $labels "x"` / `index .Labels "x"`.
                let is_labels = |t: &Tok| match &t.kind {
                    Kind::Variable(v) => v == "$labels",
                    Kind::Field(f) => f == "Labels" && self.dot_is_alert,
                    _ => false,
                };
                if args.len() == 2
                    && matches!(&args[0].kind, Kind::Ident(i) if i == "index")
                    && is_labels(&args[1])
                {
                    self.refs.push(LabelRef {
                        label: s.clone(),
                        range: term.range.start + 1..term.range.end.saturating_sub(1),
                    });
                }
            }
            _ => {}
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
        Ok(Some(term))
    }

    fn term(&mut self) -> PResult<Option<Tok>> {
        let t = self.next_non_space();
        match &t.kind {
            Kind::Ident(name) => {
                if !(self.has_func)(name) {
                    return self.fail(format!("function {name:?} not defined"), t.range);
                }
                Ok(Some(t))
            }
            Kind::Variable(v) => {
                if !self.vars.iter().any(|x| x == v) {
                    return self.fail(format!("undefined variable {v:?}"), t.range);
                }
                Ok(Some(t))
            }
            Kind::Dot | Kind::Nil | Kind::Field(_) | Kind::Bool | Kind::Number | Kind::Str(_) => {
                Ok(Some(t))
            }
            Kind::LParen => {
                self.pipeline("parenthesized pipeline", Kind::RParen)?;
                Ok(Some(Tok {
                    kind: Kind::LParen,
                    range: t.range,
                }))
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
}
