//! Type checking of a parsed expression, as Prometheus' `checkAST`
//! (`promql/parser/parse.go`): the same conditions, in the same order, with
//! the same wording and positions. It runs only when parsing found no error,
//! as in Prometheus, and may rewrite the tree where Prometheus does (set
//! operations between vectors get many-to-many matching; matching on
//! scalars is dropped).

use super::ParseError;
use super::ast::*;

/// Checks `e`, appending errors to `errors`; returns `e`'s type.
pub(super) fn check(e: &mut Expr, text: &str, errors: &mut Vec<ParseError>) -> ValueType {
    let mut c = Checker { text, errors };
    c.check(e)
}

struct Checker<'a> {
    text: &'a str,
    errors: &'a mut Vec<ParseError>,
}

impl Checker<'_> {
    fn err(&mut self, span: Span, msg: String) {
        self.errors.push(ParseError::new(msg, span));
    }

    fn expect_type(&mut self, e: &mut Expr, want: ValueType, context: &str) {
        let t = self.check(e);
        if t != want {
            self.err(
                e.span(),
                format!(
                    "expected type {} in {context}, got {}",
                    want.documented(),
                    t.documented()
                ),
            );
        }
    }

    /// The operator's range, as Prometheus' `opRange`: between the operands,
    /// spaces trimmed.
    fn op_range(&self, b: &BinaryExpr) -> Span {
        let bytes = self.text.as_bytes();
        let mut start = b.lhs.span().end;
        while start < bytes.len() && is_space(bytes[start]) {
            start += 1;
        }
        let mut end = b.rhs.span().start.saturating_sub(1);
        while end > start && is_space(bytes[end]) {
            end -= 1;
        }
        Span::new(start, end + 1)
    }

    fn check(&mut self, e: &mut Expr) -> ValueType {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.check_node(e))
    }

    fn check_node(&mut self, e: &mut Expr) -> ValueType {
        let typ = e.value_type();
        match e {
            Expr::Aggregate(a) => {
                self.expect_type(&mut a.expr, ValueType::Vector, "aggregation expression");
                let op = a.op.id();
                use super::ast::token::*;
                if matches!(
                    op,
                    T_TOPK | T_BOTTOMK | T_QUANTILE | T_LIMITK | T_LIMIT_RATIO
                ) && let Some(p) = a.param.as_deref_mut()
                {
                    self.expect_type(p, ValueType::Scalar, "aggregation parameter");
                }
                if op == T_COUNT_VALUES
                    && let Some(p) = a.param.as_deref_mut()
                {
                    self.expect_type(p, ValueType::String, "aggregation parameter");
                }
            }
            Expr::Binary(b) => {
                let lt = self.check(&mut b.lhs);
                let rt = self.check(&mut b.rhs);
                let span = b.span;
                if b.return_bool() && !b.op.is_comparison_operator() {
                    let r = self.op_range(b);
                    self.err(
                        r,
                        "bool modifier can only be used on comparison operators".into(),
                    );
                }
                if b.op.is_comparison_operator()
                    && !b.return_bool()
                    && b.rhs.value_type() == ValueType::Scalar
                    && b.lhs.value_type() == ValueType::Scalar
                {
                    let r = self.op_range(b);
                    self.err(
                        r,
                        "comparisons between scalars must use BOOL modifier".into(),
                    );
                }
                if b.op.is_set_operator() {
                    let m = b.modifier.get_or_insert_with(BinModifier::default);
                    if m.card == VectorMatchCardinality::OneToOne {
                        m.card = VectorMatchCardinality::ManyToMany;
                    }
                }
                if let Some(m) = &b.modifier
                    && let Some(LabelModifier::Include(on)) = &m.matching
                    && let Some(include) = m.card.labels()
                {
                    let dup: Vec<String> = on
                        .labels
                        .iter()
                        .filter(|l| include.labels.contains(l))
                        .cloned()
                        .collect();
                    for l in dup {
                        let r = self.op_range(b);
                        self.err(
                            r,
                            format!(
                                "label {} must not occur in ON and GROUP clause at once",
                                crate::go::quote::quote(&l)
                            ),
                        );
                    }
                }
                let lhs_span = b.lhs.span();
                let rhs_span = b.rhs.span();
                if lt != ValueType::Scalar && lt != ValueType::Vector {
                    self.err(
                        lhs_span,
                        "binary expression must contain only scalar and instant vector types"
                            .into(),
                    );
                }
                if rt != ValueType::Scalar && rt != ValueType::Vector {
                    self.err(
                        rhs_span,
                        "binary expression must contain only scalar and instant vector types"
                            .into(),
                    );
                }
                let vectors = lt == ValueType::Vector && rt == ValueType::Vector;
                if !vectors {
                    if let Some(m) = &b.modifier {
                        if m.matching.as_ref().is_some_and(|l| !l.labels().is_empty()) {
                            self.err(
                                span,
                                "vector matching only allowed between instant vectors".into(),
                            );
                        }
                        if m.fill_values.lhs.is_some() || m.fill_values.rhs.is_some() {
                            self.err(
                                span,
                                "filling in missing series only allowed between instant vectors"
                                    .into(),
                            );
                        }
                        // Prometheus drops the matching; `bool` stays.
                        let keep_bool = m.return_bool;
                        b.modifier = keep_bool.then(|| BinModifier {
                            return_bool: true,
                            ..BinModifier::default()
                        });
                    }
                } else if b.op.is_set_operator()
                    && let Some(m) = &b.modifier
                {
                    if matches!(
                        m.card,
                        VectorMatchCardinality::OneToMany(_) | VectorMatchCardinality::ManyToOne(_)
                    ) {
                        self.err(
                            span,
                            format!(
                                "no grouping allowed for {} operation",
                                crate::go::quote::quote(&b.op.to_string())
                            ),
                        );
                    }
                    if m.card != VectorMatchCardinality::ManyToMany {
                        self.err(span, "set operations must always be many-to-many".into());
                    }
                    if m.fill_values.lhs.is_some() || m.fill_values.rhs.is_some() {
                        self.err(
                            span,
                            "filling in missing series not allowed for set operators".into(),
                        );
                    }
                }
                if (lt == ValueType::Scalar || rt == ValueType::Scalar) && b.op.is_set_operator() {
                    self.err(
                        span,
                        format!(
                            "set operator {} not allowed in binary scalar expression",
                            crate::go::quote::quote(&b.op.to_string())
                        ),
                    );
                }
            }
            Expr::Call(c) => {
                let f = c.func;
                let nargs = f.arg_types.len();
                let n = c.args.args.len();
                let name = crate::go::quote::quote(f.name);
                if f.variadic == 0 {
                    if nargs != n {
                        self.err(
                            c.span,
                            format!("expected {nargs} argument(s) in call to {name}, got {n}"),
                        );
                    }
                } else {
                    let na = nargs.saturating_sub(1);
                    if na > n {
                        self.err(
                            c.span,
                            format!(
                                "expected at least {na} argument(s) in call to {name}, got {n}"
                            ),
                        );
                    } else if f.variadic > 0 && na + (f.variadic as usize) < n {
                        let max = na + f.variadic as usize;
                        self.err(
                            c.span,
                            format!(
                                "expected at most {max} argument(s) in call to {name}, got {n}"
                            ),
                        );
                    }
                }
                if f.name == "info" && n > 1 {
                    let t = c.args.args[1].value_type();
                    if t != ValueType::Vector {
                        self.err(
                            c.span,
                            format!(
                                "expected type {} in call to function {name}, got {}",
                                ValueType::Vector.documented(),
                                t.documented()
                            ),
                        );
                    }
                    match &*c.args.args[1] {
                        Expr::VectorSelector(vs) if vs.name.is_some() => {
                            let s = vs.span;
                            self.err(
                                s,
                                "expected label selectors only, got vector selector instead".into(),
                            );
                        }
                        Expr::VectorSelector(_) => {}
                        other => {
                            let s = other.span();
                            self.err(s, "expected label selectors only".into());
                        }
                    }
                }
                for i in 0..n {
                    let mut ti = i;
                    if ti >= nargs {
                        if f.variadic == 0 || nargs == 0 {
                            break;
                        }
                        ti = nargs - 1;
                    }
                    let skip_empty_check = f.name == "info" && i == 1;
                    let arg = &mut c.args.args[i];
                    let t = if skip_empty_check && matches!(**arg, Expr::VectorSelector(_)) {
                        ValueType::Vector
                    } else {
                        self.check(arg)
                    };
                    if t != f.arg_types[ti] {
                        let s = arg.span();
                        self.err(
                            s,
                            format!(
                                "expected type {} in call to function {name}, got {}",
                                f.arg_types[ti].documented(),
                                t.documented()
                            ),
                        );
                    }
                }
            }
            Expr::Paren(p) => {
                self.check(&mut p.expr);
            }
            Expr::Unary(u) => {
                let t = self.check(&mut u.expr);
                if t != ValueType::Scalar && t != ValueType::Vector {
                    let s = u.span;
                    self.err(
                        s,
                        format!(
                            "unary expression only allowed on expressions of type scalar or instant vector, got {}",
                            crate::go::quote::quote(t.documented())
                        ),
                    );
                }
            }
            Expr::Subquery(s) => {
                let t = self.check(&mut s.expr);
                if t != ValueType::Vector {
                    let sp = s.span;
                    self.err(
                        sp,
                        format!("subquery is only allowed on instant vector, got {t} instead"),
                    );
                }
            }
            Expr::MatrixSelector(m) => {
                self.check_selector(&m.vs);
            }
            Expr::VectorSelector(vs) => {
                let vs = vs.clone();
                self.check_selector(&vs);
            }
            Expr::NumberLiteral(_) | Expr::StringLiteral(_) => {}
        }
        // A checked `+x` is `x`: the engine and the lints read a unary node
        // as a negation.
        if let Expr::Unary(u) = e
            && !u.negative
        {
            let inner =
                std::mem::replace(&mut *u.expr, Expr::NumberLiteral(NumberLiteral::new(0.0)));
            *e = inner;
        }
        typ
    }

    fn check_selector(&mut self, vs: &VectorSelector) {
        if let Some(name) = &vs.name {
            for m in &vs.matchers.matchers {
                if m.name == "__name__" {
                    self.err(
                        vs.span,
                        format!(
                            "metric name must not be set twice: {} or {}",
                            crate::go::quote::quote(name),
                            crate::go::quote::quote(&m.value)
                        ),
                    );
                }
            }
            return;
        }
        if !vs.matchers.matchers.iter().any(|m| !m.is_match("")) {
            self.err(
                vs.span,
                "vector selector must contain at least one non-empty matcher".into(),
            );
        }
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}
