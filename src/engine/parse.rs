//! Parsing for the engine, through the panic-guarded `crate::promql::parse`.

use crate::promql::ast::Expr;

use super::error::EvalError;

/// Parses a PromQL expression; a parser panic becomes an [`EvalError::Parse`].
pub fn parse_expr(text: &str) -> Result<Expr, EvalError> {
    crate::promql::parse(text)
        .map(std::sync::Arc::unwrap_or_clone)
        .map_err(|e| EvalError::Parse(e.message))
}
