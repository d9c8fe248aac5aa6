//! Panic-guarded access to the `promql-parser` crate.

use promql_parser::parser::Expr;

use super::error::EvalError;

/// Parses a PromQL expression. `promql-parser` can panic on some inputs
/// (numeric edge cases); a panic becomes an [`EvalError::Parse`].
pub fn parse_expr(text: &str) -> Result<Expr, EvalError> {
    let owned = text.to_string();
    let result = std::panic::catch_unwind(move || promql_parser::parser::parse(&owned));
    match result {
        Ok(Ok(expr)) => Ok(expr),
        Ok(Err(msg)) => Err(EvalError::Parse(msg)),
        Err(_) => Err(EvalError::Parse(format!(
            "the PromQL parser failed on this input: {text}"
        ))),
    }
}
