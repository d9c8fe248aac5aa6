//! The PromQL lexer, as Prometheus' `promql/parser/lex.go`: the same states
//! (statements, inside braces, inside brackets), the same token kinds and the
//! same error texts at the same byte positions. Series descriptions (promtool
//! unit-test input) are not lexed here: `unittest` has its own reader.
//!
//! The whole expression is lexed up front into a token list. A lexer error
//! ends the list with an [`Kind::Error`] token carrying the message; Prometheus
//! reports it when the parser asks for that token, and so does ours.

use super::Options;

/// Token kinds, as Prometheus' `ItemType`s (the names are Prometheus').
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// End of input.
    Eof,
    /// A lexer error; its message is in [`Token::error`].
    Error,
    /// `[a-zA-Z_][a-zA-Z0-9_]*`, or a keyword inside braces.
    Identifier,
    /// An identifier with a colon (`job:rate5m`).
    MetricIdentifier,
    /// A number literal (`1`, `0x1f`, `1e3`, `Inf`, `NaN`).
    Number,
    /// A duration literal (`5m`, `1h30m`).
    Duration,
    /// A quoted string, quotes included in the token text.
    String,
    /// `(`
    LeftParen,
    /// `)`
    RightParen,
    /// `{`
    LeftBrace,
    /// `}`
    RightBrace,
    /// `[`
    LeftBracket,
    /// `]`
    RightBracket,
    /// `,`
    Comma,
    /// `=`
    Eql,
    /// `:`
    Colon,
    /// `::`
    DoubleColon,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// `^`
    Pow,
    /// `==`
    Eqlc,
    /// `!=`
    Neq,
    /// `<=`
    Lte,
    /// `<`
    Lss,
    /// `>=`
    Gte,
    /// `>`
    Gtr,
    /// `=~`
    EqlRegex,
    /// `!~`
    NeqRegex,
    /// `@`
    At,
    /// `and`
    Land,
    /// `or`
    Lor,
    /// `unless`
    Lunless,
    /// `atan2`
    Atan2,
    /// An aggregation operator keyword (`sum`, `topk`, …).
    Aggregator(Agg),
    /// `offset`
    Offset,
    /// `smoothed`
    Smoothed,
    /// `anchored`
    Anchored,
    /// `by`
    By,
    /// `without`
    Without,
    /// `on`
    On,
    /// `ignoring`
    Ignoring,
    /// `group_left`
    GroupLeft,
    /// `group_right`
    GroupRight,
    /// `fill`
    Fill,
    /// `fill_left`
    FillLeft,
    /// `fill_right`
    FillRight,
    /// `bool`
    Bool,
    /// `start`
    Start,
    /// `end`
    End,
    /// `step`
    Step,
    /// `range`
    Range,
    /// `min_of` (duration expressions, 3.13 and later)
    MinOf,
    /// `max_of` (duration expressions, 3.13 and later)
    MaxOf,
    /// `</` (trim the upper part of native histograms)
    TrimUpper,
    /// `>/` (trim the lower part of native histograms)
    TrimLower,
}

/// The aggregation operators, as Prometheus' aggregator item types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Agg {
    /// `sum`
    Sum,
    /// `avg`
    Avg,
    /// `count`
    Count,
    /// `min`
    Min,
    /// `max`
    Max,
    /// `group`
    Group,
    /// `stddev`
    Stddev,
    /// `stdvar`
    Stdvar,
    /// `topk`
    Topk,
    /// `bottomk`
    Bottomk,
    /// `count_values`
    CountValues,
    /// `quantile`
    Quantile,
    /// `limitk` (experimental)
    Limitk,
    /// `limit_ratio` (experimental)
    LimitRatio,
}

impl Agg {
    /// The keyword in lower case.
    pub fn name(self) -> &'static str {
        match self {
            Agg::Sum => "sum",
            Agg::Avg => "avg",
            Agg::Count => "count",
            Agg::Min => "min",
            Agg::Max => "max",
            Agg::Group => "group",
            Agg::Stddev => "stddev",
            Agg::Stdvar => "stdvar",
            Agg::Topk => "topk",
            Agg::Bottomk => "bottomk",
            Agg::CountValues => "count_values",
            Agg::Quantile => "quantile",
            Agg::Limitk => "limitk",
            Agg::LimitRatio => "limit_ratio",
        }
    }

    /// Takes a parameter before the vector (`IsAggregatorWithParam`).
    pub fn has_param(self) -> bool {
        matches!(
            self,
            Agg::Topk
                | Agg::Bottomk
                | Agg::CountValues
                | Agg::Quantile
                | Agg::Limitk
                | Agg::LimitRatio
        )
    }

    /// Needs `promql-experimental-functions` (`IsExperimentalAggregator`).
    pub fn is_experimental(self) -> bool {
        matches!(self, Agg::Limitk | Agg::LimitRatio)
    }
}

/// One token: kind and byte range in the expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The kind.
    pub kind: Kind,
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// For [`Kind::Error`]: the lexer's message.
    pub error: Option<String>,
    /// For an unclosed `(` or `[`: where it opens (Prometheus points at the
    /// end of input).
    pub open: Option<usize>,
}

impl Kind {
    /// Arithmetic, comparison and set operators and `@` (`IsOperator`).
    pub fn is_operator(self) -> bool {
        matches!(
            self,
            Kind::Add
                | Kind::Div
                | Kind::Eqlc
                | Kind::EqlRegex
                | Kind::Gte
                | Kind::Gtr
                | Kind::Land
                | Kind::Lor
                | Kind::Lss
                | Kind::Lte
                | Kind::Lunless
                | Kind::Mod
                | Kind::Mul
                | Kind::Neq
                | Kind::NeqRegex
                | Kind::Pow
                | Kind::Sub
                | Kind::At
                | Kind::Atan2
                | Kind::TrimUpper
                | Kind::TrimLower
        )
    }

    /// Keywords (`IsKeyword`): printed as `<by>` in messages.
    pub fn is_keyword(self) -> bool {
        matches!(
            self,
            Kind::Bool
                | Kind::By
                | Kind::GroupLeft
                | Kind::GroupRight
                | Kind::Ignoring
                | Kind::Offset
                | Kind::Smoothed
                | Kind::Anchored
                | Kind::On
                | Kind::Without
                | Kind::Fill
                | Kind::FillLeft
                | Kind::FillRight
        )
    }

    /// Whether Prometheus' `ItemTypeStr` has a fixed text for the kind
    /// (punctuation, operators, keywords): such tokens print without a
    /// kind prefix in messages.
    fn has_fixed_text(self) -> bool {
        !matches!(
            self,
            Kind::Eof
                | Kind::Error
                | Kind::Identifier
                | Kind::MetricIdentifier
                | Kind::Number
                | Kind::Duration
                | Kind::String
        )
    }

    /// `ItemType.desc()` for the kinds without a fixed text.
    fn desc(self) -> &'static str {
        match self {
            Kind::Error => "error",
            Kind::Eof => "end of input",
            Kind::Identifier => "identifier",
            Kind::MetricIdentifier => "metric identifier",
            Kind::String => "string",
            Kind::Number => "number",
            Kind::Duration => "duration",
            _ => "",
        }
    }
}

/// How a token is named in "unexpected …" messages, as Prometheus'
/// `Item.desc()`: `"="`, `<op:+>`, `<aggr:sum>`, `<by>`, `identifier "rate"`,
/// `number "5"`, `end of input`.
pub fn describe(kind: Kind, text: &str, opts: &Options) -> String {
    if kind == Kind::At && !opts.has_step_keyword() {
        // Before 3.6 `@` had no entry in `ItemTypeStr`: Go prints the item
        // type's number (`<Item 57400>`, 57385 in 2.x) and then the item.
        let id = if opts.version >= (3, 0) { 57400 } else { 57385 };
        return format!("\"<Item {id}>\" <op:{text}>");
    }
    if kind.has_fixed_text() {
        return item_string(kind, text);
    }
    if kind == Kind::Eof {
        return kind.desc().to_string();
    }
    format!("{} {}", kind.desc(), item_string(kind, text))
}

/// `Item.String()`.
fn item_string(kind: Kind, text: &str) -> String {
    match kind {
        Kind::Eof => "EOF".into(),
        Kind::Error => text.into(),
        Kind::Identifier | Kind::MetricIdentifier => crate::go::quote::quote(text),
        _ if kind.is_keyword() => format!("<{text}>"),
        _ if kind.is_operator() => format!("<op:{text}>"),
        Kind::Aggregator(_) => format!("<aggr:{text}>"),
        _ if text.chars().count() > 10 => {
            let head: String = text.chars().take(10).collect();
            format!("{}...", crate::go::quote::quote(&head))
        }
        _ => crate::go::quote::quote(text),
    }
}

/// The keyword kind of `word` (any case), as Prometheus' `key` map, for the
/// keywords the configured Prometheus version has.
fn keyword(word: &str, opts: &Options) -> Option<Kind> {
    let lower = word.to_ascii_lowercase();
    let k = match lower.as_str() {
        "and" => Kind::Land,
        "or" => Kind::Lor,
        "unless" => Kind::Lunless,
        "atan2" => Kind::Atan2,
        "sum" => Kind::Aggregator(Agg::Sum),
        "avg" => Kind::Aggregator(Agg::Avg),
        "count" => Kind::Aggregator(Agg::Count),
        "min" => Kind::Aggregator(Agg::Min),
        "max" => Kind::Aggregator(Agg::Max),
        "group" => Kind::Aggregator(Agg::Group),
        "stddev" => Kind::Aggregator(Agg::Stddev),
        "stdvar" => Kind::Aggregator(Agg::Stdvar),
        "topk" => Kind::Aggregator(Agg::Topk),
        "bottomk" => Kind::Aggregator(Agg::Bottomk),
        "count_values" => Kind::Aggregator(Agg::CountValues),
        "quantile" => Kind::Aggregator(Agg::Quantile),
        "limitk" if opts.has_limitk() => Kind::Aggregator(Agg::Limitk),
        "limit_ratio" if opts.has_limitk() => Kind::Aggregator(Agg::LimitRatio),
        "offset" => Kind::Offset,
        "smoothed" if opts.has_extended_range_keywords() => Kind::Smoothed,
        "anchored" if opts.has_extended_range_keywords() => Kind::Anchored,
        "by" => Kind::By,
        "without" => Kind::Without,
        "on" => Kind::On,
        "ignoring" => Kind::Ignoring,
        "group_left" => Kind::GroupLeft,
        "group_right" => Kind::GroupRight,
        "fill" if opts.has_fill_keywords() => Kind::Fill,
        "fill_left" if opts.has_fill_keywords() => Kind::FillLeft,
        "fill_right" if opts.has_fill_keywords() => Kind::FillRight,
        "bool" => Kind::Bool,
        "start" => Kind::Start,
        "end" => Kind::End,
        "step" if opts.has_step_keyword() => Kind::Step,
        "range" if opts.has_step_keyword() => Kind::Range,
        "min_of" if opts.has_min_of() => Kind::MinOf,
        "max_of" if opts.has_min_of() => Kind::MaxOf,
        "inf" | "nan" => Kind::Number,
        _ => return None,
    };
    Some(k)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Statements,
    InsideBraces,
    DurationExpr,
    Done,
}

/// The lexer's state machine over one expression.
struct Lexer<'a> {
    input: &'a str,
    bytes: &'a [u8],
    opts: &'a Options,
    pos: usize,
    start: usize,
    /// Width of the last rune read (0 at end of input).
    width: usize,
    paren_depth: i64,
    brace_open: bool,
    bracket_open: bool,
    got_colon: bool,
    got_duration: bool,
    string_open: char,
    /// Offsets of the `(` still open, and of the `[` if open.
    parens: Vec<usize>,
    bracket_at: usize,
    state: State,
    out: Vec<Token>,
}

/// Lexes `input` into tokens. The list always ends with [`Kind::Eof`] or
/// [`Kind::Error`]. Comments are dropped. Bounded: one pass over the input.
pub fn lex(input: &str, opts: &Options) -> Vec<Token> {
    let mut l = Lexer {
        input,
        bytes: input.as_bytes(),
        opts,
        pos: 0,
        start: 0,
        width: 0,
        paren_depth: 0,
        brace_open: false,
        bracket_open: false,
        got_colon: false,
        got_duration: false,
        string_open: '"',
        parens: Vec::new(),
        bracket_at: 0,
        state: State::Statements,
        out: Vec::new(),
    };
    while l.state != State::Done {
        l.state = match l.state {
            State::Statements => l.lex_statements(),
            State::InsideBraces => l.lex_inside_braces(),
            State::DurationExpr => l.lex_duration_expr(),
            State::Done => State::Done,
        };
    }
    l.out
}

impl Lexer<'_> {
    /// Reads the next rune; `None` at the end of input.
    fn next(&mut self) -> Option<char> {
        match self.input[self.pos..].chars().next() {
            Some(c) => {
                self.width = c.len_utf8();
                self.pos += self.width;
                Some(c)
            }
            None => {
                self.width = 0;
                None
            }
        }
    }

    fn peek(&self) -> Option<char> {
        self.input[self.pos..].chars().next()
    }

    fn backup(&mut self) {
        self.pos -= self.width;
    }

    fn emit(&mut self, kind: Kind) {
        self.out.push(Token {
            kind,
            start: self.start,
            end: self.pos,
            error: None,
            open: None,
        });
        self.start = self.pos;
    }

    fn ignore(&mut self) {
        self.start = self.pos;
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.next() {
            Some(c) if valid.contains(c) => true,
            _ => {
                self.backup();
                false
            }
        }
    }

    fn is(&self, valid: &str) -> bool {
        self.peek().is_some_and(|c| valid.contains(c))
    }

    fn accept_run(&mut self, valid: &str) {
        while self.accept(valid) {}
    }

    /// `errorf`: an error token at the current token start; lexing ends.
    fn error(&mut self, message: String) -> State {
        self.out.push(Token {
            kind: Kind::Error,
            start: self.start,
            end: self.input.len(),
            error: Some(message),
            open: None,
        });
        State::Done
    }

    fn set_open(&mut self, at: Option<usize>) {
        if let Some(t) = self.out.last_mut() {
            t.open = at;
        }
    }

    fn lex_statements(&mut self) -> State {
        if self.brace_open {
            return State::InsideBraces;
        }
        if self.bytes[self.pos..].starts_with(b"#") {
            self.skip_comment();
            return State::Statements;
        }
        let Some(r) = self.next() else {
            if self.paren_depth != 0 {
                let at = self.parens.last().copied();
                self.error("unclosed left parenthesis".into());
                self.set_open(at);
                return State::Done;
            }
            if self.bracket_open {
                let at = Some(self.bracket_at);
                self.error("unclosed left bracket".into());
                self.set_open(at);
                return State::Done;
            }
            self.emit(Kind::Eof);
            return State::Done;
        };
        match r {
            ',' => self.emit(Kind::Comma),
            _ if is_space(r) => self.skip_spaces(),
            '*' => self.emit(Kind::Mul),
            '/' => self.emit(Kind::Div),
            '%' => self.emit(Kind::Mod),
            '+' => self.emit(Kind::Add),
            '-' => self.emit(Kind::Sub),
            '^' => self.emit(Kind::Pow),
            '=' => match self.peek() {
                Some('=') => {
                    self.next();
                    self.emit(Kind::Eqlc);
                }
                Some('~') => {
                    return self.error(format!("unexpected character after '=': {}", go_q('~')));
                }
                _ => self.emit(Kind::Eql),
            },
            '!' => {
                let t = self.next();
                if t != Some('=') {
                    return self.error(format!("unexpected character after '!': {}", go_q_opt(t)));
                }
                self.emit(Kind::Neq);
            }
            '<' if self.peek() == Some('/') && self.opts.has_trim_ops() => {
                self.next();
                self.emit(Kind::TrimUpper);
            }
            '>' if self.peek() == Some('/') && self.opts.has_trim_ops() => {
                self.next();
                self.emit(Kind::TrimLower);
            }
            '<' => {
                if self.peek() == Some('=') {
                    self.next();
                    self.emit(Kind::Lte);
                } else {
                    self.emit(Kind::Lss);
                }
            }
            '>' => {
                if self.peek() == Some('=') {
                    self.next();
                    self.emit(Kind::Gte);
                } else {
                    self.emit(Kind::Gtr);
                }
            }
            _ if r.is_ascii_digit()
                || (r == '.' && self.peek().is_some_and(|c| c.is_ascii_digit())) =>
            {
                self.backup();
                return self.lex_number_or_duration();
            }
            '"' | '\'' => {
                self.string_open = r;
                return self.lex_string();
            }
            '`' => {
                self.string_open = r;
                return self.lex_raw_string();
            }
            _ if is_alpha(r) || r == ':' => {
                if !self.bracket_open {
                    self.backup();
                    return self.lex_keyword_or_identifier();
                }
                if !self.opts.has_step_keyword() && self.got_colon {
                    // Before duration keywords (3.5 and older), any letter or
                    // colon after the subquery colon is this error.
                    return self.error(format!("unexpected colon {}", go_q(r)));
                }
                if r == ':' {
                    if self.got_colon {
                        return self.error(format!("unexpected colon {}", go_q(r)));
                    }
                    if self.peek() == Some(':') {
                        self.next();
                        self.emit(Kind::DoubleColon);
                    } else {
                        self.emit(Kind::Colon);
                    }
                    self.got_colon = true;
                    return State::Statements;
                }
                if matches!(r, 's' | 'S' | 'm' | 'M') && self.scan_duration_keyword() {
                    return State::Statements;
                }
                return self.error(format!(
                    "unexpected character: {}, expected {}",
                    go_q(r),
                    go_q(':')
                ));
            }
            '(' => {
                self.parens.push(self.start);
                self.emit(Kind::LeftParen);
                self.paren_depth += 1;
            }
            ')' => {
                // Go emits the `)` and then overwrites it with the error, whose
                // position is after the `)`.
                self.paren_depth -= 1;
                if self.paren_depth < 0 {
                    self.start = self.pos;
                    return self.error(format!("unexpected right parenthesis {}", go_q(r)));
                }
                self.parens.pop();
                self.emit(Kind::RightParen);
            }
            '{' => {
                self.emit(Kind::LeftBrace);
                self.brace_open = true;
                return State::InsideBraces;
            }
            '[' => {
                if self.bracket_open {
                    return self.error(format!("unexpected left bracket {}", go_q(r)));
                }
                self.got_colon = false;
                self.bracket_at = self.start;
                self.emit(Kind::LeftBracket);
                if self.peek().is_some_and(is_space) {
                    self.skip_spaces();
                }
                self.bracket_open = true;
                if self.opts.lexes_duration_exprs() {
                    return State::DurationExpr;
                }
            }
            ']' => {
                if !self.bracket_open {
                    return self.error(format!("unexpected right bracket {}", go_q(r)));
                }
                self.emit(Kind::RightBracket);
                self.bracket_open = false;
            }
            '@' => self.emit(Kind::At),
            _ => return self.error(format!("unexpected character: {}", go_q(r))),
        }
        State::Statements
    }

    fn lex_inside_braces(&mut self) -> State {
        if self.bytes[self.pos..].starts_with(b"#") {
            self.skip_comment();
            return State::InsideBraces;
        }
        let Some(r) = self.next() else {
            return self.error("unexpected end of input inside braces".into());
        };
        match r {
            _ if is_space(r) => {
                self.skip_spaces();
                return State::Statements;
            }
            _ if is_alpha(r) => {
                self.backup();
                while self.next().is_some_and(is_alphanumeric) {}
                self.backup();
                self.emit(Kind::Identifier);
                return State::Statements;
            }
            ',' => self.emit(Kind::Comma),
            '"' | '\'' => {
                self.string_open = r;
                return self.lex_string();
            }
            '`' => {
                self.string_open = r;
                return self.lex_raw_string();
            }
            '=' => {
                if self.next() == Some('~') {
                    self.emit(Kind::EqlRegex);
                } else {
                    self.backup();
                    self.emit(Kind::Eql);
                }
            }
            '!' => match self.next() {
                Some('~') => self.emit(Kind::NeqRegex),
                Some('=') => self.emit(Kind::Neq),
                nr => {
                    return self.error(format!(
                        "unexpected character after '!' inside braces: {}",
                        go_q_opt(nr)
                    ));
                }
            },
            '{' => return self.error(format!("unexpected left brace {}", go_q(r))),
            '}' => {
                self.emit(Kind::RightBrace);
                self.brace_open = false;
                return State::Statements;
            }
            _ => return self.error(format!("unexpected character inside braces: {}", go_q(r))),
        }
        State::InsideBraces
    }

    fn lex_duration_expr(&mut self) -> State {
        let Some(r) = self.next() else {
            return self.error("unexpected end of input in duration expression".into());
        };
        match r {
            ']' => {
                self.emit(Kind::RightBracket);
                self.bracket_open = false;
                self.got_colon = false;
                State::Statements
            }
            ':' => {
                // As for `)`: an error replaces the `:` token, after it.
                if !self.got_duration || self.got_colon {
                    self.start = self.pos;
                }
                if !self.got_duration {
                    return self
                        .error("unexpected colon before duration in duration expression".into());
                }
                if self.got_colon {
                    return self.error("unexpected repeated colon in duration expression".into());
                }
                self.emit(Kind::Colon);
                self.got_colon = true;
                State::DurationExpr
            }
            '(' => {
                self.parens.push(self.start);
                self.emit(Kind::LeftParen);
                self.paren_depth += 1;
                State::DurationExpr
            }
            ')' => {
                self.paren_depth -= 1;
                if self.paren_depth < 0 {
                    self.start = self.pos;
                    return self.error(format!("unexpected right parenthesis {}", go_q(r)));
                }
                self.parens.pop();
                self.emit(Kind::RightParen);
                State::DurationExpr
            }
            _ if is_space(r) => {
                self.skip_spaces();
                State::DurationExpr
            }
            '+' | '-' | '*' | '/' | '%' | '^' | ',' => {
                self.emit(match r {
                    '+' => Kind::Add,
                    '-' => Kind::Sub,
                    '*' => Kind::Mul,
                    '/' => Kind::Div,
                    '%' => Kind::Mod,
                    '^' => Kind::Pow,
                    _ => Kind::Comma,
                });
                State::DurationExpr
            }
            's' | 'S' | 'm' | 'M' | 'r' | 'R' => {
                if self.scan_duration_keyword() {
                    return State::DurationExpr;
                }
                self.error(format!(
                    "unexpected character in duration expression: {}",
                    go_q(r)
                ))
            }
            _ if r.is_ascii_digit()
                || (r == '.' && self.peek().is_some_and(|c| c.is_ascii_digit())) =>
            {
                self.backup();
                self.got_duration = true;
                self.lex_number_or_duration()
            }
            _ => self.error(format!(
                "unexpected character in duration expression: {}",
                go_q(r)
            )),
        }
    }

    /// `step`, `range`, `min`, `max` inside brackets (`scanDurationKeyword`).
    fn scan_duration_keyword(&mut self) -> bool {
        loop {
            match self.next() {
                Some(c) if is_alpha(c) => {}
                _ => {
                    self.backup();
                    let word = self.input[self.start..self.pos].to_ascii_lowercase();
                    let kind = match word.as_str() {
                        "step" if self.opts.has_step_keyword() => Kind::Step,
                        "range" if self.opts.has_step_keyword() => Kind::Range,
                        "min_of" if self.opts.has_min_of() => Kind::MinOf,
                        "max_of" if self.opts.has_min_of() => Kind::MaxOf,
                        "min" => Kind::Aggregator(Agg::Min),
                        "max" => Kind::Aggregator(Agg::Max),
                        _ => {
                            return false;
                        }
                    };
                    self.emit(kind);
                    return true;
                }
            }
        }
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(is_space) {
            self.next();
        }
        self.ignore();
    }

    /// A `#` comment up to the end of the line (dropped).
    fn skip_comment(&mut self) {
        self.pos += 1;
        while let Some(c) = self.next() {
            if c == '\r' || c == '\n' {
                self.backup();
                break;
            }
        }
        self.ignore();
    }

    fn lex_string(&mut self) -> State {
        loop {
            match self.next() {
                Some('\\') => {
                    if let Some(msg) = self.lex_escape() {
                        return self.error(msg);
                    }
                }
                None | Some('\n') => return self.error("unterminated quoted string".into()),
                Some(c) if c == self.string_open => break,
                Some(_) => {}
            }
        }
        self.emit(Kind::String);
        State::Statements
    }

    fn lex_raw_string(&mut self) -> State {
        loop {
            match self.next() {
                None => return self.error("unterminated raw string".into()),
                Some(c) if c == self.string_open => break,
                Some(_) => {}
            }
        }
        self.emit(Kind::String);
        State::Statements
    }

    /// An escape sequence after `\` (`lexEscape`); `Some(message)` on error.
    fn lex_escape(&mut self) -> Option<String> {
        let mut ch = self.next();
        let (mut n, base, max): (u32, u32, u32) = match ch {
            Some('a' | 'b' | 'f' | 'n' | 'r' | 't' | 'v' | '\\') => return None,
            Some(c) if c == self.string_open => return None,
            Some('0'..='7') => (3, 8, 255),
            Some('x') => {
                ch = self.next();
                (2, 16, 255)
            }
            Some('u') => {
                ch = self.next();
                (4, 16, 0x10FFFF)
            }
            Some('U') => {
                ch = self.next();
                (8, 16, 0x10FFFF)
            }
            None => return Some("escape sequence not terminated".into()),
            Some(c) => return Some(format!("unknown escape sequence {}", go_hash_u(c))),
        };
        let mut x: u32 = 0;
        while n > 0 {
            let d = ch.and_then(|c| c.to_digit(16)).unwrap_or(16);
            if d >= base {
                return Some(match ch {
                    None => "escape sequence not terminated".into(),
                    Some(c) => format!("illegal character {} in escape sequence", go_hash_u(c)),
                });
            }
            x = x.wrapping_mul(base).wrapping_add(d);
            n -= 1;
            if n > 0 {
                ch = self.next();
            }
        }
        if x > max || (0xD800..0xE000).contains(&x) {
            return Some("escape sequence is an invalid Unicode code point".into());
        }
        None
    }

    fn lex_number_or_duration(&mut self) -> State {
        if self.scan_number() {
            self.emit(Kind::Number);
            return State::Statements;
        }
        if self.accept_remaining_duration() {
            self.backup();
            self.emit(Kind::Duration);
            return State::Statements;
        }
        let text = self.input[self.start..self.pos].to_string();
        self.error(format!(
            "bad number or duration syntax: {}",
            crate::go::quote::quote(&text)
        ))
    }

    fn accept_remaining_duration(&mut self) -> bool {
        if !self.accept("smhdwy") {
            return false;
        }
        self.accept("s");
        while self.accept("0123456789") {
            while self.accept("0123456789") {}
            if !self.accept("smhdw") {
                return false;
            }
            self.accept("s");
        }
        // Consumes one more rune, which the caller backs up.
        !self.next().is_some_and(is_alphanumeric)
    }

    /// `scanNumber`: decimal, hex, octal or float syntax (validated later).
    fn scan_number(&mut self) -> bool {
        let initial = self.pos;
        let mut digits = "0123456789";
        if self.accept("0") && self.accept("xX") {
            self.accept("_");
            digits = "0123456789abcdefABCDEF";
        }
        self.accept(".");
        self.accept(digits);
        let mut dot = false;
        let mut exp = false;
        let all = format!("{digits}._eE");
        while self.is(&all) {
            if self.is(".") && dot {
                self.accept(".");
                return false;
            }
            if self.is("eE") && exp {
                self.accept("eE");
                return false;
            }
            if self.accept(".") {
                dot = true;
                if self.accept("_.") {
                    return false;
                }
                // Fractional hexadecimal literals are not allowed.
                if digits.len() > 10 {
                    return false;
                }
                continue;
            }
            if self.accept("eE") {
                exp = true;
                self.accept("+-");
                if self.accept("._eE") || self.peek().is_none() {
                    return false;
                }
                continue;
            }
            if self.accept("_") {
                if self.accept("._eE") || self.peek().is_none() {
                    return false;
                }
                continue;
            }
            self.accept_run(digits);
        }
        if self.pos == initial {
            return false;
        }
        !self.peek().is_some_and(is_alphanumeric)
    }

    fn lex_keyword_or_identifier(&mut self) -> State {
        loop {
            match self.next() {
                Some(c) if is_alphanumeric(c) || c == ':' => {}
                _ => {
                    self.backup();
                    let word = &self.input[self.start..self.pos];
                    match keyword(word, self.opts) {
                        Some(kw @ (Kind::Fill | Kind::FillLeft | Kind::FillRight))
                            if !self.followed_by_left_paren() =>
                        {
                            let _ = kw;
                            self.emit(Kind::Identifier);
                        }
                        Some(kw) => self.emit(kw),
                        None if !word.contains(':') => self.emit(Kind::Identifier),
                        None => self.emit(Kind::MetricIdentifier),
                    }
                    return State::Statements;
                }
            }
        }
    }

    fn followed_by_left_paren(&self) -> bool {
        self.input[self.pos..]
            .chars()
            .find(|c| !is_space(*c))
            .is_some_and(|c| c == '(')
    }
}

fn is_space(r: char) -> bool {
    matches!(r, ' ' | '\t' | '\n' | '\r')
}

fn is_alpha(r: char) -> bool {
    r == '_' || r.is_ascii_alphabetic()
}

fn is_alphanumeric(r: char) -> bool {
    is_alpha(r) || r.is_ascii_digit()
}

/// Go's `%q` of a rune: `'x'`, `'\n'`, `'\x00'`, `'é'`.
fn go_q(c: char) -> String {
    match c {
        '\'' => "'\\''".into(),
        '\\' => "'\\\\'".into(),
        _ => {
            let q = crate::go::quote::quote(&c.to_string());
            let inner = &q[1..q.len() - 1];
            let inner = if inner == "\\\"" { "\"" } else { inner };
            format!("'{inner}'")
        }
    }
}

/// `%q` of the rune Go's lexer read, where end of input is Go's `eof`
/// (-1), which `%q` prints as the replacement character.
fn go_q_opt(c: Option<char>) -> String {
    match c {
        Some(c) => go_q(c),
        None => "'�'".into(),
    }
}

/// Go's `%#U`: `U+0071 'q'`.
fn go_hash_u(c: char) -> String {
    if crate::go::quote::is_print(c) {
        format!("U+{:04X} '{c}'", c as u32)
    } else {
        format!("U+{:04X}", c as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<Kind> {
        lex(s, &Options::default()).iter().map(|t| t.kind).collect()
    }

    #[test]
    fn lexes_operators_keywords_and_literals() {
        use Kind::*;
        assert_eq!(
            kinds("sum by (job) (rate(x{a=~\"b\"}[5m])) > 0.5"),
            vec![
                Aggregator(Agg::Sum),
                By,
                LeftParen,
                Identifier,
                RightParen,
                LeftParen,
                Identifier,
                LeftParen,
                Identifier,
                LeftBrace,
                Identifier,
                EqlRegex,
                String,
                RightBrace,
                LeftBracket,
                Duration,
                RightBracket,
                RightParen,
                RightParen,
                Gtr,
                Number,
                Eof
            ]
        );
        assert_eq!(kinds("a:b # comment\n"), vec![MetricIdentifier, Eof]);
        assert_eq!(kinds("x{by=\"a\"}")[1..3], [LeftBrace, Identifier]);
        assert_eq!(
            kinds("Inf NaN 0x1f 1e3 .5"),
            vec![Number; 5].into_iter().chain([Eof]).collect::<Vec<_>>()
        );
    }

    #[test]
    fn errors_carry_prometheus_text_and_position() {
        let err = |s: &str| {
            let t = lex(s, &Options::default());
            let last = t.last().unwrap().clone();
            (last.error.unwrap_or_default(), last.start)
        };
        assert_eq!(err("rate(x[5m]"), ("unclosed left parenthesis".into(), 10));
        assert_eq!(err("x{a=\"b"), ("unterminated quoted string".into(), 4));
        assert_eq!(
            err("x =~ y"),
            ("unexpected character after '=': '~'".into(), 2)
        );
        assert_eq!(
            err("x{a=\"\\q\"}"),
            ("unknown escape sequence U+0071 'q'".into(), 4)
        );
        assert_eq!(
            err("x[5mm]"),
            ("bad number or duration syntax: \"5mm\"".into(), 2)
        );
        assert_eq!(err("up )"), ("unexpected right parenthesis ')'".into(), 4));
        assert_eq!(
            err("x{"),
            ("unexpected end of input inside braces".into(), 2)
        );
        assert_eq!(
            err("x ! y"),
            ("unexpected character after '!': ' '".into(), 2)
        );
        assert_eq!(err("x ]"), ("unexpected right bracket ']'".into(), 2));
        assert_eq!(err("x ~"), ("unexpected character: '~'".into(), 2));
    }

    #[test]
    fn describes_tokens_as_prometheus() {
        let o = &Options::default();
        assert_eq!(describe(Kind::Eql, "=", o), "\"=\"");
        assert_eq!(describe(Kind::Add, "+", o), "<op:+>");
        assert_eq!(describe(Kind::Land, "AND", o), "<op:AND>");
        assert_eq!(describe(Kind::Aggregator(Agg::Sum), "sum", o), "<aggr:sum>");
        assert_eq!(describe(Kind::By, "by", o), "<by>");
        assert_eq!(describe(Kind::Identifier, "rate", o), "identifier \"rate\"");
        assert_eq!(describe(Kind::Eof, "", o), "end of input");
        assert_eq!(
            describe(Kind::String, "\"abcdefghijkl\"", o),
            "string \"\\\"abcdefghi\"..."
        );
    }
}
