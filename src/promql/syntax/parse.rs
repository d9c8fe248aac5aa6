//! The PromQL parser: recursive descent over [`super::lex`]'s tokens with
//! the precedence, associativity and error texts of Prometheus' yacc grammar
//! (`promql/parser/generated_parser.y`) and its actions (`parse.go`).
//!
//! # How errors follow Prometheus
//! Prometheus' grammar has `error` productions in a few places: after an
//! aggregation operator (`in aggregation`), in grouping lists (`in grouping
//! opts`), after `offset` and `@`, inside `[...]` and inside `{...}`. When the
//! yacc parser meets a token it cannot use, it names that token and the
//! innermost such construct still open on its stack. Here each of those
//! constructs pushes its context while it is being parsed, and a syntax
//! error names the token being looked at with the innermost context:
//! `unexpected identifier "rate" in aggregation`. Constructs that are
//! complete are closed before the next token is judged, as yacc's default
//! reductions close them. Errors of the grammar's actions (`unknown function
//! with name "foo"`, `trailing commas not allowed in function call args`)
//! are recorded and parsing goes on, as in Prometheus; a syntax error ends
//! parsing. Only the first error is what Prometheus prints.

use std::time::{Duration, SystemTime};

use super::ast::token::{self, TokenType};
use super::ast::*;
use super::functions::{self, FunctionDef};
use super::lex::{self, Agg, Kind, Token};
use super::{Feature, FeatureUse, Options, ParseError};

/// Nesting limit of the parser's recursion: a backstop above
/// [`crate::promql::MAX_DEPTH`], which [`crate::promql::parse`] checks on the
/// tokens before parsing (with a positioned message).
const MAX_RECURSION: usize = 2 * crate::promql::MAX_DEPTH + 8;

/// A syntax error has been recorded; parsing stops.
struct Abort;

type PResult<T> = Result<T, Abort>;

/// Parses `text` into an expression tree and the errors of the grammar's
/// actions. `Err` when there is a syntax error (the errors then end with it).
pub(super) fn parse(
    text: &str,
    tokens: Vec<Token>,
    opts: &Options,
) -> (Option<Expr>, Vec<ParseError>, Vec<FeatureUse>) {
    let mut p = Parser {
        text,
        tokens,
        pos: 0,
        opts,
        errors: Vec::new(),
        uses: Vec::new(),
        ctx: vec![("", "")],
        depth: 0,
        lexer_error_reported: false,
    };
    let result = p.parse_start();
    (result.ok().flatten(), p.errors, p.uses)
}

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    opts: &'a Options,
    errors: Vec<ParseError>,
    /// Feature-gated constructs accepted because their feature is enabled.
    uses: Vec<FeatureUse>,
    /// Open constructs with an `error` production: (context, expected).
    ctx: Vec<(&'static str, &'static str)>,
    depth: usize,
    lexer_error_reported: bool,
}

/// Binary operator precedence (higher binds tighter) and right associativity.
fn binop(kind: Kind) -> Option<(u8, bool, token::TokenId)> {
    Some(match kind {
        Kind::Lor => (1, false, token::T_LOR),
        Kind::Land => (2, false, token::T_LAND),
        Kind::Lunless => (2, false, token::T_LUNLESS),
        Kind::Eqlc => (3, false, token::T_EQLC),
        Kind::Neq => (3, false, token::T_NEQ),
        Kind::Lte => (3, false, token::T_LTE),
        Kind::Lss => (3, false, token::T_LSS),
        Kind::Gte => (3, false, token::T_GTE),
        Kind::Gtr => (3, false, token::T_GTR),
        Kind::TrimUpper => (3, false, token::T_TRIM_UPPER),
        Kind::TrimLower => (3, false, token::T_TRIM_LOWER),
        Kind::Add => (4, false, token::T_ADD),
        Kind::Sub => (4, false, token::T_SUB),
        Kind::Mul => (5, false, token::T_MUL),
        Kind::Div => (5, false, token::T_DIV),
        Kind::Mod => (5, false, token::T_MOD),
        Kind::Atan2 => (5, false, token::T_ATAN2),
        Kind::Pow => (6, true, token::T_POW),
        _ => return None,
    })
}

/// Precedence of `^`: a unary sign's operand takes only `^` (`%prec MUL`).
const POW_PREC: u8 = 6;

fn agg_token(a: Agg) -> TokenType {
    TokenType::new(match a {
        Agg::Sum => token::T_SUM,
        Agg::Avg => token::T_AVG,
        Agg::Count => token::T_COUNT,
        Agg::Min => token::T_MIN,
        Agg::Max => token::T_MAX,
        Agg::Group => token::T_GROUP,
        Agg::Stddev => token::T_STDDEV,
        Agg::Stdvar => token::T_STDVAR,
        Agg::Topk => token::T_TOPK,
        Agg::Bottomk => token::T_BOTTOMK,
        Agg::CountValues => token::T_COUNT_VALUES,
        Agg::Quantile => token::T_QUANTILE,
        Agg::Limitk => token::T_LIMITK,
        Agg::LimitRatio => token::T_LIMIT_RATIO,
    })
}

/// Tokens that may name a metric (`metric_identifier`).
fn is_metric_identifier(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Aggregator(_)
            | Kind::By
            | Kind::Identifier
            | Kind::Land
            | Kind::Lor
            | Kind::Lunless
            | Kind::MetricIdentifier
            | Kind::Offset
            | Kind::Without
            | Kind::Start
            | Kind::End
            | Kind::Step
            | Kind::Range
            | Kind::Anchored
            | Kind::Smoothed
            | Kind::MinOf
            | Kind::MaxOf
    )
}

/// Tokens that may name a label in a grouping list (`maybe_label`).
fn is_maybe_label(kind: Kind) -> bool {
    is_metric_identifier(kind)
        || matches!(
            kind,
            Kind::Bool
                | Kind::GroupLeft
                | Kind::GroupRight
                | Kind::Ignoring
                | Kind::On
                | Kind::Atan2
        )
}

/// Largest duration literal in seconds (`time.Duration` is int64 ns).
const MAX_DURATION_SECS: f64 = 9_223_372_036.854_775;

impl Parser<'_> {
    // ----- tokens -----

    /// The lookahead token. A lexer error is recorded when first reached
    /// and then reads as the end of input, as Prometheus' `Lex`.
    fn peek(&mut self) -> Kind {
        let t = &self.tokens[self.pos.min(self.tokens.len() - 1)];
        if t.kind == Kind::Error {
            if !self.lexer_error_reported {
                self.lexer_error_reported = true;
                let msg = t.error.clone().unwrap_or_default();
                let span = Span::new(t.start, self.text.len());
                let mut err = ParseError::new(msg, span);
                err.point = t.open.map(|o| Span::new(o, o + 1));
                self.errors.push(err);
            }
            return Kind::Eof;
        }
        t.kind
    }

    fn tok(&self) -> &Token {
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn tok_span(&self) -> Span {
        let t = self.tok();
        Span::new(t.start, t.end)
    }

    fn tok_text(&self) -> &str {
        let t = self.tok();
        self.text.get(t.start..t.end).unwrap_or("")
    }

    /// Consumes the lookahead and returns its span.
    fn bump(&mut self) -> Span {
        let s = self.tok_span();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        s
    }

    fn eat(&mut self, kind: Kind) -> Option<Span> {
        (self.peek() == kind).then(|| self.bump())
    }

    /// A syntax error at the lookahead, named in the innermost open context.
    fn unexpected(&mut self) -> Abort {
        // A lexer error has been reported already; do not report it twice.
        if self.peek() == Kind::Eof && self.lexer_error_reported {
            return Abort;
        }
        let (context, expected) = *self.ctx.last().unwrap_or(&("", ""));
        let t = self.tok().clone();
        let kind = if t.kind == Kind::Error {
            Kind::Eof
        } else {
            t.kind
        };
        let mut msg = format!(
            "unexpected {}",
            lex::describe(kind, self.tok_text(), self.opts)
        );
        if !context.is_empty() {
            msg.push_str(" in ");
            msg.push_str(context);
        }
        if !expected.is_empty() {
            msg.push_str(", expected ");
            msg.push_str(expected);
        }
        let span = Span::new(t.start, t.end.max(t.start));
        self.errors.push(ParseError::new(msg, span));
        Abort
    }

    fn expect(&mut self, kind: Kind) -> PResult<Span> {
        match self.eat(kind) {
            Some(s) => Ok(s),
            None => Err(self.unexpected()),
        }
    }

    fn error(&mut self, span: Span, msg: impl Into<String>) {
        self.errors.push(ParseError::new(msg.into(), span));
    }

    /// A construct behind `feature`: an error with Prometheus' `message`
    /// when the feature is off (returns true), else recorded as a use.
    fn gate(&mut self, feature: Feature, span: Span, message: impl Into<String>) -> bool {
        let message = message.into();
        if self.opts.has_feature(feature) {
            self.uses.push(FeatureUse {
                feature,
                span,
                extent: span,
                message,
            });
            false
        } else {
            self.error(span, message);
            true
        }
    }

    fn with_ctx<T>(
        &mut self,
        ctx: (&'static str, &'static str),
        f: impl FnOnce(&mut Self) -> PResult<T>,
    ) -> PResult<T> {
        self.ctx.push(ctx);
        let r = f(self);
        self.ctx.pop();
        r
    }

    fn too_deep(&mut self) -> Abort {
        let span = self.tok_span();
        self.error(
            span,
            format!(
                "expression nests more than {} levels deep (operators of a chain, signs and brackets): split it into recording rules",
                crate::promql::MAX_DEPTH
            ),
        );
        Abort
    }

    // ----- grammar -----

    fn parse_start(&mut self) -> PResult<Option<Expr>> {
        if self.peek() == Kind::Eof {
            if !self.lexer_error_reported {
                self.error(Span::default(), "no expression found in input");
            }
            return Ok(None);
        }
        let e = self.parse_expr(0)?;
        if self.peek() != Kind::Eof {
            return Err(self.unexpected());
        }
        Ok(Some(e))
    }

    fn parse_expr(&mut self, min_prec: u8) -> PResult<Expr> {
        self.depth += 1;
        if self.depth > MAX_RECURSION {
            return Err(self.too_deep());
        }
        // Deep (but bounded) nesting may outgrow a small thread stack: grow
        // it on the heap when less than 64 KiB remain.
        let r = stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.parse_expr_inner(min_prec));
        self.depth -= 1;
        r
    }

    fn parse_expr_inner(&mut self, min_prec: u8) -> PResult<Expr> {
        let mut lhs = self.parse_unary()?;
        let mut chain = 0usize;
        loop {
            let kind = self.peek();
            let Some((prec, right, id)) = binop(kind) else {
                break;
            };
            if prec < min_prec {
                break;
            }
            chain += 1;
            if self.depth + chain > MAX_RECURSION {
                return Err(self.too_deep());
            }
            let op_span = self.bump();
            let modifier = self.parse_bin_modifier()?;
            let rhs = self.parse_expr(if right { prec } else { prec + 1 })?;
            lhs = self.new_binary(lhs, TokenType::new(id), op_span, modifier, rhs);
        }
        Ok(lhs)
    }

    fn parse_unary(&mut self) -> PResult<Expr> {
        let kind = self.peek();
        if !matches!(kind, Kind::Add | Kind::Sub) {
            return self.parse_postfix();
        }
        let op = self.bump();
        let operand = self.parse_expr(POW_PREC)?;
        let negative = kind == Kind::Sub;
        Ok(match operand {
            Expr::NumberLiteral(mut n) => {
                if negative {
                    n.val = -n.val;
                }
                n.span.start = op.start;
                Expr::NumberLiteral(n)
            }
            e => {
                let span = Span::new(op.start, e.span().end);
                Expr::Unary(UnaryExpr {
                    expr: Box::new(e),
                    negative,
                    span,
                })
            }
        })
    }

    /// A primary expression followed by `[...]`, `offset`, `@`, `smoothed`
    /// and `anchored`, which bind tighter than any operator.
    fn parse_postfix(&mut self) -> PResult<Expr> {
        let mut e = self.parse_primary()?;
        loop {
            match self.peek() {
                Kind::LeftBracket => e = self.parse_range(e)?,
                Kind::Offset => e = self.parse_offset(e)?,
                Kind::At => e = self.parse_at(e)?,
                Kind::Smoothed | Kind::Anchored => {
                    let anchored = self.peek() == Kind::Anchored;
                    let kw = self.bump();
                    self.set_extended(&mut e, anchored, kw);
                }
                _ => return Ok(e),
            }
        }
    }

    fn parse_primary(&mut self) -> PResult<Expr> {
        let kind = self.peek();
        match kind {
            Kind::Number => {
                let span = self.bump();
                let val = self.number(span);
                Ok(Expr::NumberLiteral(NumberLiteral { val, span }))
            }
            Kind::Duration => {
                let span = self.bump();
                let val = self.duration_secs(span);
                Ok(Expr::NumberLiteral(NumberLiteral { val, span }))
            }
            Kind::String => {
                let span = self.bump();
                let val = self.unquote(span);
                Ok(Expr::StringLiteral(StringLiteral { val, span }))
            }
            Kind::LeftParen => {
                let open = self.bump();
                let inner = self.parse_expr(0)?;
                let close = self.expect(Kind::RightParen)?;
                Ok(Expr::Paren(ParenExpr {
                    expr: Box::new(inner),
                    span: open.to(close),
                }))
            }
            Kind::LeftBrace => {
                let (matchers, span) = self.parse_label_matchers()?;
                Ok(Expr::VectorSelector(
                    self.selector(None, None, matchers, span),
                ))
            }
            Kind::Aggregator(a) if self.aggregation_follows() => self.parse_aggregation(a),
            Kind::Identifier if self.next_kind() == Kind::LeftParen => self.parse_call(),
            Kind::Step | Kind::Range | Kind::Start | Kind::End | Kind::MinOf | Kind::MaxOf
                if self.next_kind() == Kind::LeftParen =>
            {
                // `step()`, `range()`, `start()`, `end()`, `min_of(a, b)`,
                // `max_of(a, b)` outside brackets: duration expressions whose
                // value is a scalar, kept as calls of pseudo-functions.
                let func = match kind {
                    Kind::Step => &STEP_FUNCTION,
                    Kind::Range => &RANGE_FUNCTION,
                    Kind::Start => &START_FUNCTION,
                    Kind::End => &END_FUNCTION,
                    Kind::MinOf => &MIN_OF_FUNCTION,
                    _ => &MAX_OF_FUNCTION,
                };
                let kw = self.bump();
                let (args, end) = self.parse_call_body()?;
                let span = Span::new(kw.start, end);
                self.experimental_duration(span);
                Ok(Expr::Call(Call {
                    func,
                    args: FunctionArgs { args },
                    name_span: kw,
                    span,
                }))
            }
            k if is_metric_identifier(k) => {
                let span = self.bump();
                let name = self.text[span.range()].to_string();
                if self.peek() == Kind::LeftBrace {
                    let (matchers, braces) = self.parse_label_matchers()?;
                    Ok(Expr::VectorSelector(self.selector(
                        Some(name),
                        Some(span),
                        matchers,
                        span.to(braces),
                    )))
                } else {
                    Ok(Expr::VectorSelector(self.selector(
                        Some(name),
                        Some(span),
                        Matchers::empty(),
                        span,
                    )))
                }
            }
            _ => Err(self.unexpected()),
        }
    }

    fn next_kind(&self) -> Kind {
        self.tokens.get(self.pos + 1).map_or(Kind::Eof, |t| {
            if t.kind == Kind::Error {
                Kind::Eof
            } else {
                t.kind
            }
        })
    }

    /// After an aggregation keyword: `(`, `by` or `without` make it an
    /// aggregation; anything else makes the keyword a metric name.
    fn aggregation_follows(&self) -> bool {
        matches!(self.next_kind(), Kind::LeftParen | Kind::By | Kind::Without)
    }

    fn selector(
        &self,
        name: Option<String>,
        name_span: Option<Span>,
        matchers: Matchers,
        span: Span,
    ) -> VectorSelector {
        VectorSelector {
            name,
            matchers,
            offset: None,
            at: None,
            offset_expr: None,
            anchored: false,
            smoothed: false,
            name_span,
            span,
        }
    }

    fn parse_aggregation(&mut self, agg: Agg) -> PResult<Expr> {
        let op_span = self.bump();
        let (modifier, args, end) = self.with_ctx(("aggregation", ""), |p| {
            let mut modifier = None;
            if matches!(p.peek(), Kind::By | Kind::Without) {
                modifier = Some(p.parse_aggregate_modifier()?);
                let (args, end) = p.parse_call_body()?;
                return Ok((modifier, args, end));
            }
            if p.peek() != Kind::LeftParen {
                return Err(p.unexpected());
            }
            let (args, mut end) = p.parse_call_body()?;
            if matches!(p.peek(), Kind::By | Kind::Without) {
                let m = p.parse_aggregate_modifier()?;
                end = p.tokens[p.pos.saturating_sub(1)].end;
                modifier = Some(m);
            }
            Ok((modifier, args, end))
        })?;
        let span = Span::new(op_span.start, end);
        let op = agg_token(agg);
        let placeholder = || {
            Box::new(Expr::NumberLiteral(NumberLiteral {
                val: 0.0,
                span: Span::default(),
            }))
        };
        let mut agg_expr = AggregateExpr {
            op,
            expr: placeholder(),
            param: None,
            modifier,
            span,
        };
        if args.is_empty() {
            self.error(span, "no arguments for aggregate expression provided");
            return Ok(Expr::Aggregate(agg_expr));
        }
        let mut desired = 1;
        let mut args = args;
        if agg.has_param() {
            if agg.is_experimental()
                && self.gate(
                    Feature::ExperimentalFunctions,
                    span,
                    format!(
                        "{}() is experimental and must be enabled with --enable-feature=promql-experimental-functions",
                        agg.name()
                    ),
                )
            {
                return Ok(Expr::Aggregate(agg_expr));
            }
            desired = 2;
        }
        if args.len() != desired {
            self.error(
                span,
                format!(
                    "wrong number of arguments for aggregate expression provided, expected {desired}, got {}",
                    args.len()
                ),
            );
            return Ok(Expr::Aggregate(agg_expr));
        }
        agg_expr.expr = args.pop().unwrap_or_else(placeholder);
        agg_expr.param = args.pop();
        Ok(Expr::Aggregate(agg_expr))
    }

    fn parse_aggregate_modifier(&mut self) -> PResult<LabelModifier> {
        let without = self.peek() == Kind::Without;
        self.bump();
        let labels = self.parse_grouping_labels()?;
        Ok(if without {
            LabelModifier::Exclude(labels)
        } else {
            LabelModifier::Include(labels)
        })
    }

    /// `( label, ... )` (`grouping_labels`).
    fn parse_grouping_labels(&mut self) -> PResult<Labels> {
        self.with_ctx(("grouping opts", "\"(\""), |p| {
            p.expect(Kind::LeftParen)?;
            Ok(())
        })?;
        let mut labels = Labels::default();
        loop {
            let closed = self.with_ctx(("grouping opts", "label"), |p| {
                if p.eat(Kind::RightParen).is_some() {
                    return Ok(true);
                }
                let kind = p.peek();
                let span = p.tok_span();
                if is_maybe_label(kind) {
                    p.bump();
                    labels.labels.push(p.text[span.range()].to_string());
                    labels.spans.push(span);
                } else if kind == Kind::String && p.opts.version >= (3, 0) {
                    p.bump();
                    let v = p.unquote(span);
                    // Empty, or not valid UTF-8 (`"\xff"`): Prometheus'
                    // `model.LabelName.IsValid`.
                    if v.is_empty() || crate::go::quote::has_raw_bytes(&v) {
                        p.error(
                            span,
                            format!(
                                "invalid label name for grouping: {}",
                                crate::go::quote::quote(&v)
                            ),
                        );
                    }
                    labels.labels.push(v);
                    labels
                        .spans
                        .push(Span::new(span.start + 1, span.end.saturating_sub(1)));
                } else {
                    return Err(p.unexpected());
                }
                Ok(false)
            })?;
            if closed {
                if labels.labels.is_empty() {
                    return Ok(labels);
                }
                // `(a, )`: the trailing comma form.
                return Ok(labels);
            }
            let closed = self.with_ctx(("grouping opts", "\",\" or \")\""), |p| {
                if p.eat(Kind::RightParen).is_some() {
                    return Ok(true);
                }
                p.expect(Kind::Comma)?;
                Ok(false)
            })?;
            if closed {
                return Ok(labels);
            }
            if self.peek() == Kind::RightParen {
                self.bump();
                return Ok(labels);
            }
        }
    }

    /// `( args )` of a call or aggregation; returns the args and the end of `)`.
    #[allow(clippy::vec_box, reason = "FunctionArgs holds boxed expressions")]
    fn parse_call_body(&mut self) -> PResult<(Vec<Box<Expr>>, usize)> {
        self.expect(Kind::LeftParen)?;
        let mut args = Vec::new();
        if let Some(close) = self.eat(Kind::RightParen) {
            return Ok((args, close.end));
        }
        loop {
            args.push(Box::new(self.parse_expr(0)?));
            if let Some(close) = self.eat(Kind::RightParen) {
                return Ok((args, close.end));
            }
            let comma = self.tok_span();
            if self.peek() != Kind::Comma {
                return Err(self.unexpected());
            }
            self.bump();
            if let Some(close) = self.eat(Kind::RightParen) {
                self.error(comma, "trailing commas not allowed in function call args");
                return Ok((args, close.end));
            }
        }
    }

    fn parse_call(&mut self) -> PResult<Expr> {
        let name_span = self.bump();
        let name = self.text[name_span.range()].to_string();
        let (args, end) = self.parse_call_body()?;
        let span = Span::new(name_span.start, end);
        let func = match functions::lookup(&name).filter(|f| self.opts.has_function(f)) {
            Some(f) => {
                if self.opts.is_experimental(f) {
                    self.gate(
                        Feature::ExperimentalFunctions,
                        name_span,
                        format!("function {} is not enabled", crate::go::quote::quote(&name)),
                    );
                }
                f
            }
            None => {
                let mut err = ParseError::new(
                    format!(
                        "unknown function with name {}",
                        crate::go::quote::quote(&name)
                    ),
                    name_span,
                );
                if let Some(f) = functions::lookup(&name) {
                    err.hint = Some(match (f.replacement, f.until) {
                        (Some(r), _) => format!("use {r}() instead"),
                        (None, Some((a, b))) if self.opts.version >= (a, b) => {
                            format!("removed in Prometheus {a}.{b}")
                        }
                        _ => format!("added in Prometheus {}.{}", f.since.0, f.since.1),
                    });
                }
                self.errors.push(err);
                &UNKNOWN_FUNCTION
            }
        };
        Ok(Expr::Call(Call {
            func,
            args: FunctionArgs { args },
            name_span,
            span,
        }))
    }

    // ----- binary operations -----

    fn parse_bin_modifier(&mut self) -> PResult<Option<BinModifier>> {
        let mut m = BinModifier::default();
        let mut written = false;
        if self.eat(Kind::Bool).is_some() {
            m.return_bool = true;
            written = true;
        }
        if matches!(self.peek(), Kind::On | Kind::Ignoring) {
            let on = self.peek() == Kind::On;
            self.bump();
            let labels = self.parse_grouping_labels()?;
            m.matching = Some(if on {
                LabelModifier::Include(labels)
            } else {
                LabelModifier::Exclude(labels)
            });
            written = true;
            if matches!(self.peek(), Kind::GroupLeft | Kind::GroupRight) {
                let left = self.peek() == Kind::GroupLeft;
                self.bump();
                let labels = if self.peek() == Kind::LeftParen {
                    self.parse_grouping_labels()?
                } else {
                    Labels::default()
                };
                m.card = if left {
                    VectorMatchCardinality::ManyToOne(labels)
                } else {
                    VectorMatchCardinality::OneToMany(labels)
                };
            }
        }
        while matches!(self.peek(), Kind::Fill | Kind::FillLeft | Kind::FillRight) {
            let which = self.peek();
            self.bump();
            self.expect(Kind::LeftParen)?;
            let neg = self.eat(Kind::Sub).is_some();
            if !neg {
                self.eat(Kind::Add);
            }
            let span = self.tok_span();
            let v = match self.peek() {
                Kind::Number => {
                    self.bump();
                    self.number(span)
                }
                Kind::Duration => {
                    self.bump();
                    self.duration_secs(span)
                }
                _ => return Err(self.unexpected()),
            };
            let v = if neg { -v } else { v };
            self.expect(Kind::RightParen)?;
            match which {
                Kind::Fill => {
                    m.fill_values.lhs = Some(v);
                    m.fill_values.rhs = Some(v);
                }
                Kind::FillLeft => m.fill_values.lhs = Some(v),
                _ => m.fill_values.rhs = Some(v),
            }
            written = true;
        }
        Ok(written.then_some(m))
    }

    fn new_binary(
        &mut self,
        lhs: Expr,
        op: TokenType,
        op_span: Span,
        modifier: Option<BinModifier>,
        rhs: Expr,
    ) -> Expr {
        let span = lhs.span().to(rhs.span());
        let has_fill = modifier
            .as_ref()
            .is_some_and(|m| m.fill_values.lhs.is_some() || m.fill_values.rhs.is_some());
        if has_fill {
            self.gate(
                Feature::BinopFillModifiers,
                span,
                "binop fill modifiers are experimental and not enabled",
            );
        }
        Expr::Binary(BinaryExpr {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
            modifier,
            op_span,
            span,
        })
    }

    // ----- selectors -----

    /// `{ matcher, ... }`: the matchers and the span of the braces.
    fn parse_label_matchers(&mut self) -> PResult<(Matchers, Span)> {
        let open = self.bump();
        let mut matchers = Vec::new();
        loop {
            // label_matcher (or `}` right after `{` or a comma)
            let done = self.with_ctx(("label matching", "identifier or \"}\""), |p| {
                match p.peek() {
                    Kind::RightBrace => Ok(true),
                    Kind::Identifier => {
                        let name_span = p.bump();
                        let name = p.text[name_span.range()].to_string();
                        let op = p
                            .with_ctx(("label matching", "label matching operator"), |p| {
                                p.match_op()
                            })?;
                        let value_span =
                            p.with_ctx(("label matching", "string"), |p| p.expect(Kind::String))?;
                        if let Some(m) = p.new_matcher(name, name_span, op, value_span) {
                            matchers.push(m);
                        }
                        Ok(false)
                    }
                    Kind::String if p.opts.version >= (3, 0) => {
                        let name_span = p.bump();
                        let name = p.unquote(name_span);
                        if matches!(
                            p.peek(),
                            Kind::Eql | Kind::Neq | Kind::EqlRegex | Kind::NeqRegex
                        ) {
                            let op = p.match_op()?;
                            let value_span = p.with_ctx(("label matching", "string"), |p| {
                                p.expect(Kind::String)
                            })?;
                            if let Some(m) = p.new_matcher(name, name_span, op, value_span) {
                                matchers.push(m);
                            }
                        } else {
                            matchers.push(Matcher {
                                op: MatchOp::Equal,
                                name: "__name__".into(),
                                value: name,
                                span: name_span,
                                value_span: name_span,
                            });
                        }
                        Ok(false)
                    }
                    _ => Err(p.unexpected()),
                }
            })?;
            if done {
                let close = self.bump();
                return Ok((Matchers::new(matchers), open.to(close)));
            }
            let close = self.with_ctx(("label matching", "\",\" or \"}\""), |p| {
                if let Some(c) = p.eat(Kind::RightBrace) {
                    return Ok(Some(c));
                }
                p.expect(Kind::Comma)?;
                Ok(None)
            })?;
            if let Some(close) = close {
                return Ok((Matchers::new(matchers), open.to(close)));
            }
        }
    }

    fn match_op(&mut self) -> PResult<Kind> {
        let k = self.peek();
        if matches!(k, Kind::Eql | Kind::Neq | Kind::EqlRegex | Kind::NeqRegex) {
            self.bump();
            Ok(k)
        } else {
            Err(self.unexpected())
        }
    }

    fn new_matcher(
        &mut self,
        name: String,
        name_span: Span,
        op: Kind,
        value_span: Span,
    ) -> Option<Matcher> {
        let value = self.unquote(value_span);
        let span = name_span.to(value_span);
        let op = match op {
            Kind::Eql => MatchOp::Equal,
            Kind::Neq => MatchOp::NotEqual,
            _ => {
                if let Err(e) = crate::go::regex::translate_with(&value, true) {
                    let msg = if self.opts.version < (3, 0) {
                        // 2.x compiled the anchored pattern: Go's error quotes it.
                        let anchored = format!("^(?:{value})$");
                        crate::go::regex::translate_with(&anchored, true)
                            .err()
                            .map_or_else(|| e.message(), |e| e.message())
                    } else {
                        e.message()
                    };
                    self.error(span, msg);
                    return None;
                }
                if op == Kind::EqlRegex {
                    MatchOp::Re(Regex::new(&value))
                } else {
                    MatchOp::NotRe(Regex::new(&value))
                }
            }
        };
        Some(Matcher {
            op,
            name,
            value,
            span,
            value_span,
        })
    }

    // ----- modifiers -----

    fn parse_range(&mut self, e: Expr) -> PResult<Expr> {
        let open = self.bump();
        let bracket_ctx = if self.opts.has_step_keyword() {
            (
                "subquery or range selector",
                "number, duration, step(), or range()",
            )
        } else {
            ("subquery selector", "number or duration")
        };
        let range = self.with_ctx(bracket_ctx, |p| p.parse_positive_duration())?;
        let after_range = ("subquery or range", "\":\" or \"]\"");
        let colon = self.with_ctx(after_range, |p| {
            if p.peek() == Kind::RightBracket {
                return Ok(false);
            }
            if p.peek() == Kind::Colon {
                p.bump();
                return Ok(true);
            }
            Err(p.unexpected())
        })?;
        if !colon {
            let close = self.bump();
            let range_span = open.to(close);
            return Ok(self.new_matrix(e, range, range_span));
        }
        let step_ctx = if self.opts.has_step_keyword() {
            (
                "subquery selector",
                "number, duration, step(), range(), or \"]\"",
            )
        } else {
            ("subquery selector", "number, duration, or \"]\"")
        };
        let step = self.with_ctx(step_ctx, |p| {
            if p.peek() == Kind::RightBracket {
                return Ok(None);
            }
            p.parse_positive_duration().map(Some)
        })?;
        let close = self.with_ctx(("subquery selector", "\"]\""), |p| {
            p.expect(Kind::RightBracket)
        })?;
        let range_span = open.to(close);
        let span = Span::new(e.span().start, close.end);
        let (range_d, range_expr) = split_duration(range);
        let (step_d, step_expr) = match step {
            Some(s) => {
                let (d, x) = split_duration(s);
                (Some(d), x)
            }
            None => (None, None),
        };
        Ok(Expr::Subquery(SubqueryExpr {
            expr: Box::new(e),
            offset: None,
            at: None,
            range: range_d,
            step: step_d,
            range_expr,
            step_expr,
            offset_expr: None,
            range_span,
            span,
        }))
    }

    fn new_matrix(&mut self, e: Expr, range: DurationExpr, range_span: Span) -> Expr {
        let (range_d, range_expr) = split_duration(range);
        match e {
            Expr::VectorSelector(vs) => {
                if vs.offset.is_some() || vs.offset_expr.is_some() {
                    self.error(range_span, "no offset modifiers allowed before range");
                } else if vs.at.is_some() {
                    self.error(range_span, "no @ modifiers allowed before range");
                }
                let span = Span::new(vs.span.start, range_span.end);
                Expr::MatrixSelector(MatrixSelector {
                    vs,
                    range: range_d,
                    range_expr,
                    range_span,
                    span,
                })
            }
            other => {
                self.error(range_span, "ranges only allowed for vector selectors");
                other
            }
        }
    }

    /// A duration inside brackets (`positive_duration_expr`).
    fn parse_positive_duration(&mut self) -> PResult<DurationExpr> {
        let d = self.parse_duration_expr(0)?;
        self.widen_duration_uses(d.span());
        if let DurationExpr::Number(v, span) = d
            && v <= 0.0
        {
            self.error(span, "duration must be greater than 0");
        }
        Ok(d)
    }

    /// `duration_expr` with its operator precedence.
    fn parse_duration_expr(&mut self, min_prec: u8) -> PResult<DurationExpr> {
        self.depth += 1;
        if self.depth > MAX_RECURSION {
            return Err(self.too_deep());
        }
        let r = stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            self.parse_duration_expr_inner(min_prec)
        });
        self.depth -= 1;
        r
    }

    fn parse_duration_expr_inner(&mut self, min_prec: u8) -> PResult<DurationExpr> {
        let mut lhs = self.parse_duration_unary()?;
        loop {
            let kind = self.peek();
            let Some((prec, right, id)) = binop(kind) else {
                break;
            };
            if !matches!(
                kind,
                Kind::Add | Kind::Sub | Kind::Mul | Kind::Div | Kind::Mod | Kind::Pow
            ) || prec < min_prec
            {
                break;
            }
            let op_span = self.bump();
            self.experimental_duration(lhs.span());
            let rhs = self.parse_duration_expr(if right { prec } else { prec + 1 })?;
            if matches!(kind, Kind::Div | Kind::Mod)
                && let DurationExpr::Number(v, _) = rhs
                && v == 0.0
            {
                self.error(
                    op_span,
                    if kind == Kind::Div {
                        "division by zero"
                    } else {
                        "modulo by zero"
                    },
                );
                let span = lhs.span().to(rhs.span());
                lhs = DurationExpr::Number(0.0, span);
                continue;
            }
            let span = lhs.span().to(rhs.span());
            lhs = DurationExpr::Binary(TokenType::new(id), Box::new(lhs), Box::new(rhs), span);
        }
        Ok(lhs)
    }

    fn parse_duration_unary(&mut self) -> PResult<DurationExpr> {
        let kind = self.peek();
        if !matches!(kind, Kind::Add | Kind::Sub) {
            return self.parse_duration_atom();
        }
        let op = self.bump();
        let inner = self.parse_duration_expr(POW_PREC)?;
        Ok(self.apply_duration_sign(kind == Kind::Sub, op, inner))
    }

    fn apply_duration_sign(
        &mut self,
        negative: bool,
        op: Span,
        inner: DurationExpr,
    ) -> DurationExpr {
        match inner {
            DurationExpr::Number(v, span) => {
                let v = if negative { -v } else { v };
                if !(-MAX_DURATION_SECS..=MAX_DURATION_SECS).contains(&v) {
                    self.error(op, "duration out of range");
                    return DurationExpr::Number(0.0, Span::new(op.start, span.end.max(op.start)));
                }
                DurationExpr::Number(v, Span::new(op.start, span.end))
            }
            other if negative => {
                let span = Span::new(op.start, other.span().end);
                DurationExpr::Unary(TokenType::new(token::T_SUB), Box::new(other), span)
            }
            other => other,
        }
    }

    fn parse_duration_atom(&mut self) -> PResult<DurationExpr> {
        match self.peek() {
            Kind::Number | Kind::Duration => {
                let span = self.bump();
                let v = if self.tokens[self.pos - 1].kind == Kind::Number {
                    self.number(span)
                } else {
                    self.duration_secs(span)
                };
                if !(-MAX_DURATION_SECS..=MAX_DURATION_SECS).contains(&v) {
                    self.error(span, "duration out of range");
                    return Ok(DurationExpr::Number(0.0, span));
                }
                Ok(DurationExpr::Number(v, span))
            }
            Kind::Step | Kind::Range => {
                let step = self.peek() == Kind::Step;
                let kw = self.bump();
                self.expect(Kind::LeftParen)?;
                let close = self.expect(Kind::RightParen)?;
                let span = kw.to(close);
                Ok(if step {
                    DurationExpr::Step(span)
                } else {
                    DurationExpr::Range(span)
                })
            }
            k @ (Kind::Aggregator(Agg::Min | Agg::Max) | Kind::MinOf | Kind::MaxOf) => {
                let a = if matches!(k, Kind::MaxOf | Kind::Aggregator(Agg::Max)) {
                    Agg::Max
                } else {
                    Agg::Min
                };
                let kw = self.bump();
                self.expect(Kind::LeftParen)?;
                let a1 = self.parse_duration_expr(0)?;
                self.expect(Kind::Comma)?;
                let b1 = self.parse_duration_expr(0)?;
                let close = self.expect(Kind::RightParen)?;
                Ok(DurationExpr::MinMax(
                    a == Agg::Max,
                    Box::new(a1),
                    Box::new(b1),
                    kw.to(close),
                ))
            }
            Kind::LeftParen => {
                let open = self.bump();
                let inner = self.parse_duration_expr(0)?;
                let close = self.expect(Kind::RightParen)?;
                self.experimental_duration(inner.span());
                Ok(match inner {
                    n @ DurationExpr::Number(..) => n,
                    other => DurationExpr::Paren(Box::new(other), open.to(close)),
                })
            }
            _ => Err(self.unexpected()),
        }
    }

    /// Makes the duration-expression uses inside `full` (a whole duration
    /// expression) cover it: Prometheus' error points at the first operand,
    /// a finding covers the expression.
    fn widen_duration_uses(&mut self, full: Span) {
        for u in &mut self.uses {
            if u.feature == Feature::DurationExpr
                && full.start <= u.extent.start
                && u.extent.end <= full.end
            {
                u.extent = full;
            }
        }
    }

    fn experimental_duration(&mut self, span: Span) {
        self.gate(
            Feature::DurationExpr,
            span,
            "experimental duration expression is not enabled",
        );
    }

    fn parse_offset(&mut self, mut e: Expr) -> PResult<Expr> {
        self.bump();
        let ctx = if self.opts.has_step_keyword() {
            ("offset", "number, duration, step(), or range()")
        } else if self.opts.version >= (3, 0) {
            ("offset", "number or duration")
        } else {
            ("offset", "duration")
        };
        let d = self.with_ctx(ctx, |p| p.parse_offset_duration())?;
        self.widen_duration_uses(d.span());
        let end = self.tokens[self.pos.saturating_sub(1)].end;
        let (dur, neg, expr) = match &d {
            DurationExpr::Number(v, _) => {
                let ns = (v * 1e9).round();
                (Duration::from_nanos(ns.abs() as u64), *v < 0.0, None)
            }
            other => (Duration::ZERO, false, Some(other.clone())),
        };
        let offset = if expr.is_some() || dur.is_zero() {
            None
        } else if neg {
            Some(Offset::Neg(dur))
        } else {
            Some(Offset::Pos(dur))
        };
        let span = e.span();
        let multiple = "offset may not be set multiple times";
        match &mut e {
            Expr::VectorSelector(vs) => {
                if vs.offset.is_some() || vs.offset_expr.is_some() {
                    self.error(span, multiple);
                } else {
                    vs.offset = offset;
                    vs.offset_expr = expr;
                }
                vs.span.end = end;
            }
            Expr::MatrixSelector(ms) => {
                if ms.vs.offset.is_some() || ms.vs.offset_expr.is_some() {
                    self.error(span, multiple);
                } else {
                    ms.vs.offset = offset;
                    ms.vs.offset_expr = expr;
                }
                ms.span.end = end;
            }
            Expr::Subquery(sq) => {
                if sq.offset.is_some() || sq.offset_expr.is_some() {
                    self.error(span, multiple);
                } else {
                    sq.offset = offset;
                    sq.offset_expr = expr;
                }
                sq.span.end = end;
            }
            _ => self.error(
                span,
                "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery",
            ),
        }
        Ok(e)
    }

    /// `offset_duration_expr`: a signed literal, `step()`, `range()`,
    /// `min/max(…)` stop at themselves (`x offset 1h + 5m` adds `5m` to the
    /// selector); a parenthesised duration expression may go on.
    fn parse_offset_duration(&mut self) -> PResult<DurationExpr> {
        let sign = match self.peek() {
            Kind::Add | Kind::Sub => {
                let neg = self.peek() == Kind::Sub;
                Some((neg, self.bump()))
            }
            _ => None,
        };
        let atom = match self.peek() {
            Kind::LeftParen if sign.is_none() && self.opts.version >= (3, 0) => {
                // paren_duration_expr, then possibly more of a duration_expr.
                let first = self.parse_duration_atom()?;
                return self.continue_duration(first);
            }
            Kind::Number if self.opts.version < (3, 0) => return Err(self.unexpected()),
            Kind::LeftParen if self.opts.version < (3, 0) => return Err(self.unexpected()),
            Kind::Number | Kind::Duration | Kind::Step | Kind::Range | Kind::LeftParen => {
                self.parse_duration_atom()?
            }
            Kind::Aggregator(Agg::Min | Agg::Max) | Kind::MinOf | Kind::MaxOf => {
                self.parse_duration_atom()?
            }
            _ => return Err(self.unexpected()),
        };
        Ok(match sign {
            Some((neg, op)) => self.apply_duration_sign(neg, op, atom),
            None => atom,
        })
    }

    /// Continues a duration expression whose first operand is parsed.
    fn continue_duration(&mut self, mut lhs: DurationExpr) -> PResult<DurationExpr> {
        while let Some((prec, right, id)) = binop(self.peek()) {
            let kind = self.peek();
            if !matches!(
                kind,
                Kind::Add | Kind::Sub | Kind::Mul | Kind::Div | Kind::Mod | Kind::Pow
            ) {
                break;
            }
            self.bump();
            self.experimental_duration(lhs.span());
            let rhs = self.parse_duration_expr(if right { prec } else { prec + 1 })?;
            let span = lhs.span().to(rhs.span());
            lhs = DurationExpr::Binary(TokenType::new(id), Box::new(lhs), Box::new(rhs), span);
        }
        Ok(lhs)
    }

    fn parse_at(&mut self, mut e: Expr) -> PResult<Expr> {
        self.bump();
        enum At {
            Ts(f64),
            Start,
            End,
        }
        let at = self.with_ctx(("@", "timestamp"), |p| match p.peek() {
            Kind::Start | Kind::End => {
                let start = p.peek() == Kind::Start;
                p.bump();
                p.expect(Kind::LeftParen)?;
                p.expect(Kind::RightParen)?;
                Ok(if start { At::Start } else { At::End })
            }
            _ => {
                let mut sign = 1.0;
                let mut from = None;
                if matches!(p.peek(), Kind::Add | Kind::Sub) {
                    if p.peek() == Kind::Sub {
                        sign = -1.0;
                    }
                    from = Some(p.bump());
                }
                let span = p.tok_span();
                let v = match p.peek() {
                    Kind::Number => {
                        p.bump();
                        p.number(span)
                    }
                    Kind::Duration => {
                        p.bump();
                        p.duration_secs(span)
                    }
                    _ => return Err(p.unexpected()),
                };
                let _ = from;
                Ok(At::Ts(sign * v))
            }
        })?;
        let end = self.tokens[self.pos.saturating_sub(1)].end;
        let span = e.span();
        let modifier = match at {
            At::Start => AtModifier::Start,
            At::End => AtModifier::End,
            At::Ts(ts) => {
                let bound = 9_223_372_036_854_775_808.0_f64;
                if ts.is_nan() || ts >= bound || ts <= -bound {
                    self.error(
                        span,
                        format!(
                            "timestamp out of bounds for @ modifier: {}",
                            crate::go::float::format_f(ts, 6)
                        ),
                    );
                }
                AtModifier::At(timestamp_from_secs(ts))
            }
        };
        let slot = match &mut e {
            Expr::VectorSelector(vs) => {
                vs.span.end = end;
                Some(&mut vs.at)
            }
            Expr::MatrixSelector(ms) => {
                ms.span.end = end;
                Some(&mut ms.vs.at)
            }
            Expr::Subquery(sq) => {
                sq.span.end = end;
                Some(&mut sq.at)
            }
            _ => None,
        };
        match slot {
            None => self.error(
                span,
                "@ modifier must be preceded by an instant vector selector or range vector selector or a subquery",
            ),
            Some(slot) if slot.is_some() => {
                self.error(span, "@ <timestamp> may not be set multiple times");
            }
            Some(slot) => *slot = Some(modifier),
        }
        Ok(e)
    }

    fn set_extended(&mut self, e: &mut Expr, anchored: bool, kw: Span) {
        let name = if anchored { "anchored" } else { "smoothed" };
        let span = e.span();
        if self.gate(
            Feature::ExtendedRangeSelectors,
            span,
            format!("{name} modifier is experimental and not enabled"),
        ) {
            return;
        }
        let both = "anchored and smoothed modifiers cannot be used together";
        let vs = match e {
            Expr::VectorSelector(vs) => {
                vs.span.end = kw.end;
                vs
            }
            Expr::MatrixSelector(ms) => {
                ms.span.end = kw.end;
                &mut ms.vs
            }
            Expr::Subquery(_) => {
                self.error(
                    span,
                    format!("{name} modifier is not supported for subqueries"),
                );
                return;
            }
            _ => {
                self.error(span, format!("{name} modifier not implemented"));
                return;
            }
        };
        if anchored {
            vs.anchored = true;
        } else {
            vs.smoothed = true;
        }
        if vs.anchored && vs.smoothed {
            self.error(span, both);
        }
    }

    // ----- literals -----

    /// `parser.number`: Go's `ParseInt(s, 0, 64)`, else `ParseFloat`.
    fn number(&mut self, span: Span) -> f64 {
        let s = &self.text[span.range()];
        if let Some(n) = crate::go::float::parse_int_base0(s) {
            return n as f64;
        }
        match crate::go::float::parse_float(s) {
            Ok(v) => v,
            Err(e) => {
                let why = match e {
                    crate::go::float::FloatError::Range => "value out of range",
                    _ => "invalid syntax",
                };
                let msg = format!(
                    "error parsing number: strconv.ParseFloat: parsing {}: {why}",
                    crate::go::quote::quote(s)
                );
                self.error(span, msg);
                0.0
            }
        }
    }

    /// A duration token in seconds (`model.ParseDuration`).
    fn duration_secs(&mut self, span: Span) -> f64 {
        let s = &self.text[span.range()];
        match crate::go::duration::parse_prometheus(s) {
            Ok(ms) => ms as f64 / 1000.0,
            Err(e) => {
                let msg = match e {
                    crate::go::duration::DurationError::Invalid(_) if has_unknown_unit(s) => {
                        unknown_unit_message(s)
                    }
                    other => other.to_string(),
                };
                self.error(span, msg);
                0.0
            }
        }
    }

    /// A string token's value (`strutil.Unquote`).
    fn unquote(&mut self, span: Span) -> String {
        let s = &self.text[span.range()];
        // Escapes may make the string invalid UTF-8 (`"\xff"`): Prometheus
        // keeps the bytes and fails only where a label name must be valid.
        match crate::go::quote::unquote_promql_bytes(s) {
            Some(v) => v,
            None => {
                let msg = format!(
                    "error unquoting string {}: invalid syntax",
                    crate::go::quote::quote(s)
                );
                self.error(span, msg);
                String::new()
            }
        }
    }
}

/// Placeholder for calls of unknown functions (the tree is discarded).
static UNKNOWN_FUNCTION: FunctionDef = FunctionDef {
    name: "",
    arg_types: &[],
    variadic: -1,
    return_type: ValueType::Vector,
    experimental: false,
    since: (0, 0),
    until: None,
    replacement: None,
    stable_since: None,
};

/// `step()` as an expression: the query's step in seconds (a scalar).
pub static STEP_FUNCTION: FunctionDef = FunctionDef {
    name: "step",
    arg_types: &[],
    variadic: 0,
    return_type: ValueType::Scalar,
    experimental: true,
    since: (3, 12),
    until: None,
    replacement: None,
    stable_since: None,
};

/// `range()` as an expression: the query's range (end - start) in seconds.
pub static RANGE_FUNCTION: FunctionDef = FunctionDef {
    name: "range",
    arg_types: &[],
    variadic: 0,
    return_type: ValueType::Scalar,
    experimental: true,
    since: (3, 12),
    until: None,
    replacement: None,
    stable_since: None,
};

/// `start()` as an expression: the query's start time in seconds.
pub static START_FUNCTION: FunctionDef = FunctionDef {
    name: "start",
    ..STEP_FUNCTION
};

/// `end()` as an expression: the query's end time in seconds.
pub static END_FUNCTION: FunctionDef = FunctionDef {
    name: "end",
    ..STEP_FUNCTION
};

/// `min_of(a, b)`: the smaller scalar (Go's `math.Min`).
pub static MIN_OF_FUNCTION: FunctionDef = FunctionDef {
    name: "min_of",
    arg_types: &[ValueType::Scalar, ValueType::Scalar],
    since: (3, 13),
    ..STEP_FUNCTION
};

/// `max_of(a, b)`: the larger scalar (Go's `math.Max`).
pub static MAX_OF_FUNCTION: FunctionDef = FunctionDef {
    name: "max_of",
    arg_types: &[ValueType::Scalar, ValueType::Scalar],
    since: (3, 13),
    ..STEP_FUNCTION
};

/// A duration expression as the plain value (when constant) and the tree
/// (when not a literal).
fn split_duration(d: DurationExpr) -> (Duration, Option<DurationExpr>) {
    match d {
        DurationExpr::Number(v, _) => (secs_to_duration(v), None),
        other if !other.depends_on_query() => (secs_to_duration(other.eval(0.0, 0.0)), Some(other)),
        other => (Duration::ZERO, Some(other)),
    }
}

fn secs_to_duration(v: f64) -> Duration {
    if v.is_finite() && v > 0.0 {
        Duration::from_nanos((v * 1e9).round().min(u64::MAX as f64) as u64)
    } else {
        Duration::ZERO
    }
}

/// Prometheus' `timestamp.FromFloatSeconds` as a `SystemTime`.
fn timestamp_from_secs(ts: f64) -> SystemTime {
    let ms = (ts * 1000.0).round();
    if !ms.is_finite() {
        return SystemTime::UNIX_EPOCH;
    }
    let ms = ms.clamp(i64::MIN as f64, i64::MAX as f64) as i64;
    if ms >= 0 {
        SystemTime::UNIX_EPOCH + Duration::from_millis(ms as u64)
    } else {
        SystemTime::UNIX_EPOCH
            .checked_sub(Duration::from_millis(ms.unsigned_abs()))
            .unwrap_or(SystemTime::UNIX_EPOCH)
    }
}

/// Whether a duration text has a unit Prometheus does not know (`5hs`).
fn has_unknown_unit(s: &str) -> bool {
    let units = ["y", "w", "d", "h", "m", "s", "ms"];
    s.split(|c: char| c.is_ascii_digit())
        .filter(|u| !u.is_empty())
        .any(|u| !units.contains(&u))
}

/// `unknown unit "hs" in duration "5hs"`.
fn unknown_unit_message(s: &str) -> String {
    let units = ["y", "w", "d", "h", "m", "s", "ms"];
    let bad = s
        .split(|c: char| c.is_ascii_digit())
        .find(|u| !u.is_empty() && !units.contains(u))
        .unwrap_or("");
    format!(
        "unknown unit {} in duration {}",
        crate::go::quote::quote(bad),
        crate::go::quote::quote(s)
    )
}
