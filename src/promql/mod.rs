//! The only module that imports `promql-parser`: parsing (panic-guarded),
//! token positions from its public lexer, and analysis helpers shared by lints.
//!
//! promql-parser's AST has no positions; lints find the text of a node's
//! tokens with [`Tokens`] (e.g. the first identifier equal to a metric name).

pub mod analysis;
pub mod conditions;
pub mod dcgm;
pub mod intervals;
pub mod labels;
pub mod matching;
pub mod names;
pub mod persistence;
pub mod regex;
pub mod selectors;
pub mod syntax;
pub mod types;
pub mod units;

use std::ops::Range;
use std::sync::Arc;

use lrpar::{Lexeme, Lexer};

/// The AST types lints walk (re-exported so that nothing else imports promql-parser).
pub mod ast {
    pub use promql_parser::label::{Labels, MatchOp, Matcher, Matchers};
    pub use promql_parser::parser::token::{self, TokenType};
    pub use promql_parser::parser::value::{self, ValueType};
    pub use promql_parser::parser::{
        AggregateExpr, AtModifier, BinModifier, BinaryExpr, Call, Expr, LabelModifier,
        MatrixSelector, NumberLiteral, Offset, ParenExpr, StringLiteral, SubqueryExpr, UnaryExpr,
        VectorMatchCardinality, VectorSelector,
    };
}

/// A PromQL syntax error with the byte range of the offending text in the
/// expression, when it can be located.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PromqlError {
    /// promql-parser's message.
    pub message: String,
    /// Byte range inside the expression text.
    pub range: Option<Range<usize>>,
}

/// Deepest expression tree [`parse`] accepts, counted as [`nesting_bound`]
/// counts (one level per operator of a chain, per unary sign, per bracket).
///
/// Prometheus has no such limit (Go stacks grow); every walk over a parsed
/// expression here (label inference, value intervals, the evaluator, the
/// lints, and dropping the tree) recurses once per level, so this bounds
/// their stack use: a depth of 1,000 fits a debug build's 2 MiB thread
/// stack with room to spare. Real rules stay far below it (the deepest in
/// the corpus nest a few dozen levels); a generated `a or b or …` chain of
/// more than a thousand terms gets a positioned error instead of a crash.
pub const MAX_DEPTH: usize = 1000;

/// Stack, in bytes, of the threads that parse, analyse and evaluate PromQL
/// (the CLI's command thread and its rayon workers): [`MAX_DEPTH`] levels
/// of the deepest recursive walk (the evaluator: about 10 KiB a level in a
/// debug build, under 2 KiB in a release build) with a margin of three.
pub const STACK_BYTES: usize = 32 * 1024 * 1024;

/// Parses `text` with promql-parser. A panic inside the parser (it has some on
/// numeric edge cases) is caught and returned as an error.
///
/// Before the parser runs, the expression's nesting is bounded
/// ([`MAX_DEPTH`], see [`nesting_bound`]), so that no walk over the tree can
/// overflow the stack; after it, `@` timestamps are checked against
/// Prometheus' range ([`check_at_timestamps`]).
///
/// # Errors
/// [`PromqlError`] with the parser's message and, when it names a token, its range.
pub fn parse(text: &str) -> Result<Arc<ast::Expr>, PromqlError> {
    let tokens = Tokens::new(text);
    if let Err(at) = nesting_bound(text, &tokens, MAX_DEPTH) {
        return Err(PromqlError {
            message: format!(
                "expression nests more than {MAX_DEPTH} levels deep (operators of a chain, signs and brackets): split it into recording rules"
            ),
            range: Some(at),
        });
    }
    let result = crate::guard::catch(|| promql_parser::parser::parse(text));
    match result {
        Ok(Ok(expr)) => {
            check_at_timestamps(text, &tokens)?;
            Ok(Arc::new(expr))
        }
        Ok(Err(message)) => {
            let range = locate_error(text, &message);
            Err(PromqlError { message, range })
        }
        Err(_) => Err(PromqlError {
            message: "the PromQL parser failed on this expression".into(),
            range: None,
        }),
    }
}

/// Checks that the expression tree of `text` is at most `limit` levels deep,
/// without building it: one pass over the tokens, no recursion.
///
/// Every node of promql-parser's tree that has a child comes from a token: a
/// binary operator (`+`, `and`, `atan2`, …), a unary sign, an opening `(`
/// (parentheses, calls, aggregations) or `[` (range selectors, subqueries,
/// counted as an operator of the group they stand in). The tokens are
/// grouped by `(…)` and `{…}`; the nodes on any root-to-leaf path
/// come from the brackets enclosing the leaf and from operators of those
/// groups, so the sum, over a group and its enclosing groups, of one (the
/// bracket) plus the group's operators bounds the depth of every leaf in it.
/// The bound is exact for chains (`a + b + …`, `-(-(…))`) and errs high
/// only when operators of one group sit side by side rather than nested.
///
/// # Errors
/// The byte range of the token at which the bound first exceeds `limit`
/// (the operator or bracket that makes the expression too deep).
pub fn nesting_bound(text: &str, tokens: &Tokens, limit: usize) -> Result<usize, Range<usize>> {
    struct Group {
        parent: Option<usize>,
        open: Range<usize>,
        ops: Vec<Range<usize>>,
    }
    let mut groups = vec![Group {
        parent: None,
        open: 0..0,
        ops: Vec::new(),
    }];
    let mut stack = vec![0usize];
    for t in tokens.all() {
        let tok = text.get(t.range.clone()).unwrap_or("");
        let top = stack.last().copied().unwrap_or(0);
        match tok {
            // A range selector or subquery wraps what precedes it: one
            // more level there; its brackets hold durations, no expression.
            "[" => groups[top].ops.push(t.range.clone()),
            "]" => {}
            "(" | "{" => {
                groups.push(Group {
                    parent: Some(top),
                    open: t.range.clone(),
                    ops: Vec::new(),
                });
                stack.push(groups.len() - 1);
            }
            ")" | "}" if stack.len() > 1 => {
                stack.pop();
            }
            ")" | "}" => {}
            _ if is_operator(tok) => groups[top].ops.push(t.range.clone()),
            _ => {}
        }
    }
    // Parents are created before their children: one forward pass sums paths.
    let mut above = vec![0usize; groups.len()];
    let mut deepest = 0;
    for (i, g) in groups.iter().enumerate() {
        let base = match g.parent {
            Some(p) => above[p] + 1,
            None => 0,
        };
        if base > limit {
            return Err(g.open.clone());
        }
        if base + g.ops.len() > limit {
            return Err(g.ops[limit - base].clone());
        }
        above[i] = base + g.ops.len();
        deepest = deepest.max(above[i]);
    }
    Ok(deepest)
}

/// Tokens that make a node of their own with operands below it.
fn is_operator(tok: &str) -> bool {
    matches!(
        tok,
        "+" | "-" | "*" | "/" | "%" | "^" | "==" | "!=" | ">" | "<" | ">=" | "<="
    ) || ["and", "or", "unless", "atan2"]
        .iter()
        .any(|k| tok.eq_ignore_ascii_case(k))
}

/// Rejects an `@` timestamp outside Prometheus' range, as its parser does
/// (`setTimestamp` in promql/parser/parse.go: seconds at or beyond ±2^63,
/// infinities and NaN are `timestamp out of bounds for @ modifier: %f`).
/// promql-parser accepts finite values up to `f64::MAX` and saturates them.
///
/// # Errors
/// [`PromqlError`] with Prometheus' message and the range of the number.
pub fn check_at_timestamps(text: &str, tokens: &Tokens) -> Result<(), PromqlError> {
    let all = tokens.all();
    for (i, t) in all.iter().enumerate() {
        if text.get(t.range.clone()) != Some("@") {
            continue;
        }
        let mut j = i + 1;
        let mut sign = 1.0;
        let mut start = None;
        while let Some(s) = all.get(j).and_then(|n| text.get(n.range.clone())) {
            match s {
                "-" => sign = -sign,
                "+" => {}
                _ => break,
            }
            start.get_or_insert(all[j].range.start);
            j += 1;
        }
        let Some(num) = all.get(j) else { continue };
        let Some(v) = text
            .get(num.range.clone())
            .and_then(|s| crate::go::float::parse_number(s).ok())
        else {
            continue;
        };
        let secs = sign * v;
        // float64(math.MaxInt64) is 2^63.
        let bound = 9_223_372_036_854_775_808.0_f64;
        if secs.is_nan() || secs >= bound || secs <= -bound {
            return Err(PromqlError {
                message: format!(
                    "timestamp out of bounds for @ modifier: {}",
                    crate::go::float::format_f(secs, 6)
                ),
                range: Some(start.unwrap_or(num.range.start)..num.range.end),
            });
        }
    }
    Ok(())
}

/// One lexer token: its byte range in the expression and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Byte range in the expression.
    pub range: Range<usize>,
    /// True for identifiers (metric names, label names, function names, keywords).
    pub is_word: bool,
}

/// The tokens of an expression, for positioning findings.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    tokens: Vec<Token>,
}

impl Tokens {
    /// Lexes `text`; an expression that does not lex yields no tokens.
    pub fn new(text: &str) -> Tokens {
        let lexed = crate::guard::catch(|| {
            let lexer = promql_parser::parser::lex::lexer(text).ok()?;
            let tokens: Vec<Token> = lexer
                .iter()
                .filter_map(Result::ok)
                .map(|l| {
                    let span = l.span();
                    let range = span.start()..span.end();
                    let is_word = text.get(range.clone()).is_some_and(|t| {
                        t.chars()
                            .next()
                            .is_some_and(|c| c.is_alphabetic() || c == '_' || c == ':')
                    });
                    Token { range, is_word }
                })
                .collect();
            Some(tokens)
        });
        Tokens {
            tokens: lexed.ok().flatten().unwrap_or_default(),
        }
    }

    /// All tokens in order.
    pub fn all(&self) -> &[Token] {
        &self.tokens
    }

    /// Range of the `nth` (0-based) word token whose text is `word`.
    pub fn find_word(&self, text: &str, word: &str, nth: usize) -> Option<Range<usize>> {
        self.tokens
            .iter()
            .filter(|t| t.is_word && text.get(t.range.clone()) == Some(word))
            .nth(nth)
            .map(|t| t.range.clone())
    }

    /// Range of the first word token `word` starting at or after byte `from`.
    pub fn find_word_from(&self, text: &str, word: &str, from: usize) -> Option<Range<usize>> {
        self.tokens
            .iter()
            .find(|t| t.is_word && t.range.start >= from && text.get(t.range.clone()) == Some(word))
            .map(|t| t.range.clone())
    }

    /// Ranges of label `label` inside the grouping lists of aggregations
    /// (`by (…)`, `without (…)`), in text order.
    pub fn grouping_labels(&self, text: &str, label: &str) -> Vec<Range<usize>> {
        self.list_labels(text, label, &["by", "without"])
    }

    /// Ranges of label `label` inside the label lists that follow one of
    /// `keywords` (`["on", "ignoring"]`, `["group_left", "group_right"]`),
    /// in text order.
    pub fn list_labels(&self, text: &str, label: &str, keywords: &[&str]) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let mut in_list = false;
        let mut prev: Option<&str> = None;
        for t in &self.tokens {
            let tok = text.get(t.range.clone()).unwrap_or("");
            if in_list {
                if tok == ")" {
                    in_list = false;
                } else if tok == label {
                    out.push(t.range.clone());
                }
            } else if tok == "(" && prev.is_some_and(|p| keywords.contains(&p)) {
                in_list = true;
            }
            prev = Some(tok);
        }
        out
    }

    /// Range of the first token whose text is `tok`, at or after byte `from`.
    pub fn find_from(&self, text: &str, tok: &str, from: usize) -> Option<Range<usize>> {
        self.tokens
            .iter()
            .find(|t| t.range.start >= from && text.get(t.range.clone()) == Some(tok))
            .map(|t| t.range.clone())
    }
}

/// Finds the text a parser message refers to: a quoted token, or the end of
/// input for "unexpected end of input".
fn locate_error(text: &str, message: &str) -> Option<Range<usize>> {
    if message.contains("end of input") {
        let end = text.trim_end().len();
        return Some(end..end);
    }
    if message.contains("unclosed") {
        return last_unclosed(text).map(|i| i..i + 1);
    }
    let tokens = Tokens::new(text);
    for quoted in message.split(['"', '\'']).skip(1).step_by(2) {
        if quoted.is_empty() {
            continue;
        }
        if let Some(t) = tokens
            .all()
            .iter()
            .find(|t| text.get(t.range.clone()) == Some(quoted))
        {
            return Some(t.range.clone());
        }
        if let Some(i) = text.find(quoted) {
            return Some(i..i + quoted.len());
        }
    }
    None
}

/// Byte offset of the last opening `(`, `[` or `{` left unclosed (strings skipped).
fn last_unclosed(text: &str) -> Option<usize> {
    let mut stack = Vec::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' && q != '`' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' | '`' => quote = Some(c),
            '(' | '[' | '{' => stack.push(i),
            ')' | ']' | '}' => {
                stack.pop();
            }
            _ => {}
        }
    }
    stack.pop()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_reports_errors_with_ranges() {
        assert!(parse("sum by (job) (rate(x[5m])) > 0").is_ok());
        let e = parse("rate(x[5m]").unwrap_err();
        assert_eq!(e.range, Some(4..5), "{e:?}");
        let e = parse("sum(rate(x[5m])").unwrap_err();
        assert_eq!(e.range, Some(3..4), "{e:?}");
        let e = parse("foo_bar(x)").unwrap_err();
        assert!(e.message.contains("foo_bar"), "{e:?}");
        assert_eq!(e.range, Some(0..7));
    }

    #[test]
    fn tokens_find_words() {
        let text = "DCGM_FI_DEV_FB_USED / DCGM_FI_DEV_FB_FREE > 0.9";
        let t = Tokens::new(text);
        assert_eq!(t.find_word(text, "DCGM_FI_DEV_FB_FREE", 0), Some(22..41));
        assert_eq!(t.find_word(text, "DCGM_FI_DEV_FB_FREE", 1), None);
        assert_eq!(t.find_from(text, ">", 0), Some(42..43));
    }

    #[test]
    fn grouping_labels_are_found_in_by_lists_only() {
        let text = "sum(rate(x{request_id!=\"\"}[5m])) by (request_id) / on (request_id) y";
        let t = Tokens::new(text);
        let at = text.find(") by (").unwrap() + 6;
        assert_eq!(t.grouping_labels(text, "request_id"), vec![at..at + 10]);
    }

    #[test]
    fn nesting_is_bounded_before_parsing() {
        let b = |t: &str| nesting_bound(t, &Tokens::new(t), 3);
        assert_eq!(b("up"), Ok(0));
        assert_eq!(b("a + b + c"), Ok(2));
        assert_eq!(b("sum(rate(x[5m]))"), Ok(3));
        // The 4th operator of a chain is where it gets too deep.
        assert_eq!(b("a + b + c + d + e"), Err(14..15));
        assert_eq!(b("---up"), Ok(3));
        assert_eq!(b("----up"), Err(3..4));
        assert_eq!(b("((((up))))"), Err(3..4));
        // Nested groups add up with their enclosing group's operators.
        assert_eq!(b("a + (b + (c))"), Err(9..10));
        let deep = format!("{}up", "-".repeat(MAX_DEPTH + 1));
        let e = parse(&deep).unwrap_err();
        assert_eq!(e.range, Some(MAX_DEPTH..MAX_DEPTH + 1), "{e:?}");
        let ok = format!("{}up", "-".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn at_timestamps_follow_prometheus_bounds() {
        let e = parse("up @ 1e19").unwrap_err();
        assert_eq!(
            e.message,
            "timestamp out of bounds for @ modifier: 10000000000000000000.000000"
        );
        assert_eq!(e.range, Some(5..9));
        let e = parse("up @ - 1e19").unwrap_err();
        assert!(
            e.message.ends_with(": -10000000000000000000.000000"),
            "{e:?}"
        );
        assert_eq!(e.range, Some(5..11));
        assert!(parse("up @ 9.2e18").is_ok());
        assert!(parse("up @ 1700000000 offset 5m").is_ok());
        assert!(parse("up @ start()").is_ok());
    }

    #[test]
    fn no_panic_on_odd_numbers() {
        for s in [
            "1e999999",
            "0x",
            "1_000",
            "-Inf",
            "{__name__=~\".*\"}",
            "((((",
            "\u{0}",
            "9223372036854775808[5m]",
        ] {
            let _ = parse(s);
            let _ = Tokens::new(s);
        }
    }
}
