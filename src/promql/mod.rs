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

/// Parses `text` with promql-parser. A panic inside the parser (it has some on
/// numeric edge cases) is caught and returned as an error.
///
/// # Errors
/// [`PromqlError`] with the parser's message and, when it names a token, its range.
pub fn parse(text: &str) -> Result<Arc<ast::Expr>, PromqlError> {
    let result = crate::guard::catch(|| promql_parser::parser::parse(text));
    match result {
        Ok(Ok(expr)) => Ok(Arc::new(expr)),
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
