//! PromQL for the lints and the engine: parsing through our own front end
//! ([`syntax`]: positions on every node, Prometheus' error texts), token
//! positions, and analysis helpers shared by lints.

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

/// The AST types lints walk: [`syntax::ast`], our own tree with spans.
pub mod ast {
    pub use super::syntax::ast::token::{self, TokenType};
    pub use super::syntax::ast::*;
    /// Value types (kept as a module path for the engine).
    pub mod value {
        pub use super::super::syntax::ast::ValueType;
    }
}

/// A PromQL syntax error with the byte range of the offending text in the
/// expression, when it can be located.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PromqlError {
    /// Prometheus' message with its position in the expression, as promtool
    /// prints it (`1:4: parse error: unexpected "="`).
    pub message: String,
    /// Byte range inside the expression text.
    pub range: Option<Range<usize>>,
    /// The error depends on the Prometheus version parsed as: a function
    /// that other versions have (removed, renamed or not yet added).
    pub version_dependent: bool,
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

/// Parses `text` with [`syntax::parse`], as the newest Prometheus with
/// every experimental feature enabled: the lints judge versions and
/// feature flags themselves (`experimental-promql`), so that a rule using
/// an experimental function still gets the other lints.
///
/// Before the parser runs, the expression's nesting is bounded
/// ([`MAX_DEPTH`], see [`nesting_bound`]), so that no walk over the tree can
/// overflow the stack.
///
/// # Errors
/// [`PromqlError`] with Prometheus' message for the first error (as promtool
/// prints it, `1:4: parse error: unexpected "="`) and its byte range.
pub fn parse(text: &str) -> Result<Arc<ast::Expr>, PromqlError> {
    parse_with(text, &syntax::Options::all_features())
}

/// [`parse`] with the given version and features.
///
/// # Errors
/// As [`parse`].
pub fn parse_with(text: &str, opts: &syntax::Options) -> Result<Arc<ast::Expr>, PromqlError> {
    parse_with_uses(text, opts).map(|(e, _)| e)
}

/// [`parse_with`], also returning the feature-gated constructs the
/// expression uses ([`syntax::parse_with_uses`]).
///
/// # Errors
/// As [`parse`].
pub fn parse_with_uses(
    text: &str,
    opts: &syntax::Options,
) -> Result<(Arc<ast::Expr>, Vec<syntax::FeatureUse>), PromqlError> {
    // One lexing pass: the bound reads the tokens the parser then parses.
    let tokens = syntax::lex::lex(text, opts);
    if let Err(at) = nesting_bound(&tokens, MAX_DEPTH) {
        return Err(PromqlError {
            message: format!(
                "expression nests more than {MAX_DEPTH} levels deep (operators of a chain, signs and brackets): split it into recording rules"
            ),
            range: Some(at),
            version_dependent: false,
        });
    }
    match syntax::parse_lexed(text, tokens, opts) {
        Ok((expr, uses)) => Ok((Arc::new(expr), uses)),
        Err(errors) => {
            let first = &errors[0];
            let mut message = first.prometheus_text(text);
            if let Some(h) = &first.hint {
                message.push_str(&format!(" ({h})"));
            }
            // Point at the unclosed bracket rather than past the end; an
            // error at the end of input points at the expression's last byte.
            let at = first.point.unwrap_or(first.span);
            let trimmed = text.trim_end().len();
            let (start, end) = if at.start >= trimmed && trimmed > 0 {
                let last = text[..trimmed].char_indices().last().map_or(0, |(i, _)| i);
                (last, trimmed)
            } else {
                let start = at.start.min(text.len());
                (start, at.end.clamp(start, text.len()))
            };
            Err(PromqlError {
                message,
                range: Some(start..end),
                // Only a function of another version gets a hint.
                version_dependent: first.hint.is_some(),
            })
        }
    }
}

/// Checks that the expression tree of tokens `tokens` (the lexer's, see
/// [`syntax::lex::lex`]) is at most `limit` levels deep, without building
/// it: one pass over the tokens, no recursion.
///
/// Every node of the tree that has a child comes from a token: a
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
pub fn nesting_bound(tokens: &[syntax::lex::Token], limit: usize) -> Result<usize, Range<usize>> {
    use syntax::lex::Kind;
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
    for t in tokens {
        let range = t.start..t.end;
        let top = stack.last().copied().unwrap_or(0);
        match t.kind {
            // A range selector or subquery wraps what precedes it: one
            // more level there; its brackets hold durations, no expression.
            Kind::LeftBracket => groups[top].ops.push(range),
            Kind::LeftParen | Kind::LeftBrace => {
                groups.push(Group {
                    parent: Some(top),
                    open: range,
                    ops: Vec::new(),
                });
                stack.push(groups.len() - 1);
            }
            Kind::RightParen | Kind::RightBrace if stack.len() > 1 => {
                stack.pop();
            }
            Kind::Add
            | Kind::Sub
            | Kind::Mul
            | Kind::Div
            | Kind::Mod
            | Kind::Pow
            | Kind::Eqlc
            | Kind::Neq
            | Kind::Gtr
            | Kind::Lss
            | Kind::Gte
            | Kind::Lte
            | Kind::TrimUpper
            | Kind::TrimLower
            | Kind::Land
            | Kind::Lor
            | Kind::Lunless
            | Kind::Atan2 => groups[top].ops.push(range),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_reports_errors_as_promtool() {
        assert!(parse("sum by (job) (rate(x[5m])) > 0").is_ok());
        // Prometheus reports an unclosed parenthesis at the end of input;
        let e = parse("rate(x[5m]").unwrap_err();
        assert_eq!(e.message, "1:11: parse error: unclosed left parenthesis");
        // mlalert points at the unclosed `(`.
        assert_eq!(e.range, Some(4..5), "{e:?}");
        let e = parse("up = 0").unwrap_err();
        assert_eq!(e.message, "1:4: parse error: unexpected \"=\"");
        assert_eq!(e.range, Some(3..4));
        let e = parse("foo_bar(x)").unwrap_err();
        assert_eq!(
            e.message,
            "1:1: parse error: unknown function with name \"foo_bar\""
        );
        assert_eq!(e.range, Some(0..7));
        let e = parse("holt_winters(x[5m], 0.5, 0.5)").unwrap_err();
        assert!(
            e.message
                .ends_with("(use double_exponential_smoothing() instead)"),
            "{e:?}"
        );
    }

    #[test]
    fn nesting_is_bounded_before_parsing() {
        let b = |t: &str| nesting_bound(&syntax::lex::lex(t, &syntax::Options::all_features()), 3);
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
        // As Prometheus' setTimestamp: positioned at the selector.
        let e = parse("up @ 1e19").unwrap_err();
        assert_eq!(
            e.message,
            "1:1: parse error: timestamp out of bounds for @ modifier: 10000000000000000000.000000"
        );
        assert_eq!(e.range, Some(0..2));
        let e = parse("up @ - 1e19").unwrap_err();
        assert!(
            e.message.ends_with(": -10000000000000000000.000000"),
            "{e:?}"
        );
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
        }
    }
}
