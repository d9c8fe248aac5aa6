//! Which selectors feed which functions: every selector of an expression
//! with the chain of nodes above it, and text positions of AST nodes.

use std::ops::Range;

use super::analysis::{op_str, selector_name};
use super::ast::{Expr, VectorSelector};

/// One selector and the nodes enclosing it, outermost first.
#[derive(Debug)]
pub struct SelectorUse<'a> {
    /// The `VectorSelector` or `MatrixSelector`.
    pub expr: &'a Expr,
    /// The metric name it reads, if named.
    pub name: Option<&'a str>,
    /// Enclosing nodes from the root (excluded: the selector itself).
    pub ancestors: Vec<&'a Expr>,
}

impl<'a> SelectorUse<'a> {
    /// The vector selector (also inside a matrix selector).
    pub fn vector(&self) -> Option<&'a VectorSelector> {
        match self.expr {
            Expr::VectorSelector(vs) => Some(vs),
            Expr::MatrixSelector(ms) => Some(&ms.vs),
            _ => None,
        }
    }

    /// The nearest enclosing function call, skipping parentheses only.
    pub fn direct_call(&self) -> Option<&'a super::ast::Call> {
        for a in self.ancestors.iter().rev() {
            match a {
                Expr::Paren(_) => continue,
                Expr::Call(c) => return Some(c),
                _ => return None,
            }
        }
        None
    }

    /// True when some enclosing call is named by `pred`.
    pub fn inside_call(&self, pred: impl Fn(&str) -> bool) -> bool {
        self.ancestors
            .iter()
            .any(|a| matches!(a, Expr::Call(c) if pred(c.func.name)))
    }
}

/// Every selector under `root`, in text order, with its ancestors.
pub fn selector_uses(root: &Expr) -> Vec<SelectorUse<'_>> {
    fn go<'a>(e: &'a Expr, stack: &mut Vec<&'a Expr>, out: &mut Vec<SelectorUse<'a>>) {
        match e {
            Expr::VectorSelector(_) | Expr::MatrixSelector(_) => {
                out.push(SelectorUse {
                    expr: e,
                    name: selector_name(e),
                    ancestors: stack.clone(),
                });
                return;
            }
            _ => {}
        }
        stack.push(e);
        match e {
            Expr::Aggregate(a) => {
                if let Some(p) = &a.param {
                    go(p, stack, out);
                }
                go(&a.expr, stack, out);
            }
            Expr::Unary(u) => go(&u.expr, stack, out),
            Expr::Binary(b) => {
                go(&b.lhs, stack, out);
                go(&b.rhs, stack, out);
            }
            Expr::Paren(p) => go(&p.expr, stack, out),
            Expr::Subquery(s) => go(&s.expr, stack, out),
            Expr::Call(c) => {
                for a in &c.args.args {
                    go(a, stack, out);
                }
            }
            _ => {}
        }
        stack.pop();
    }
    let mut out = Vec::new();
    go(root, &mut Vec::new(), &mut out);
    out
}

/// The byte range of the metric name of selector `e` (a vector or range
/// selector): the name before the braces, else the quoted value of a
/// `__name__="…"` matcher (as [`selector_name`] reads it).
pub fn selector_name_span(e: &Expr) -> Option<Range<usize>> {
    let vs = match e {
        Expr::VectorSelector(vs) => vs,
        Expr::MatrixSelector(ms) => &ms.vs,
        _ => return None,
    };
    vs.name_span.map(|s| s.range()).or_else(|| {
        vs.matchers
            .matchers
            .iter()
            .find(|m| m.name == "__name__" && matches!(m.op, super::ast::MatchOp::Equal))
            .map(|m| m.value_span.range())
    })
}

/// The byte range of the `[…]` of a range selector or subquery, brackets
/// included.
pub fn window_span(e: &Expr) -> Option<Range<usize>> {
    match e {
        Expr::MatrixSelector(ms) => Some(ms.range_span.range()),
        Expr::Subquery(sq) => Some(sq.range_span.range()),
        _ => None,
    }
}

/// The byte range of the name of call `e` (`rate`), or of the operator
/// keyword of aggregation `e` (`sum`).
pub fn name_span(e: &Expr) -> Option<Range<usize>> {
    match e {
        Expr::Call(c) => Some(c.name_span.range()),
        Expr::Aggregate(a) => {
            let start = a.span.start;
            Some(start..start + op_str(&a.op).len())
        }
        _ => None,
    }
}

/// The byte range of binary operation `e`'s operator (`/`, `and`).
pub fn binary_op_span(e: &Expr) -> Option<Range<usize>> {
    match e {
        Expr::Binary(b) => Some(b.op_span.range()),
        _ => None,
    }
}

/// The byte range of comparison `e` with its number operand (`> 0` of
/// `x == 0 > 0`, `0 <` of `0 < count(x)`, `> -1`) when that operand is a
/// number literal, else of the operator alone (`bool` included when
/// written between them).
pub fn comparison_span(e: &Expr) -> Option<Range<usize>> {
    let Expr::Binary(b) = e else {
        return None;
    };
    let op = b.op_span;
    Some(match (b.lhs.as_ref(), b.rhs.as_ref()) {
        (_, Expr::NumberLiteral(n)) => op.to(n.span).range(),
        (Expr::NumberLiteral(n), _) => n.span.to(op).range(),
        _ => op.range(),
    })
}

/// The byte range of call `e` from its name to its closing parenthesis
/// (`vector(1)`).
pub fn call_span(e: &Expr) -> Option<Range<usize>> {
    match e {
        Expr::Call(c) => Some(c.span.range()),
        _ => None,
    }
}

/// True when every series `narrow` selects, `wide` selects too, as far as
/// their label matchers tell (the metric names are not compared): each
/// matcher of `wide` is one of `narrow`'s, or a regex (`=~`, `!~`) or `!=`
/// matcher that `narrow`'s `=` value for the same label satisfies.
/// Regexes are anchored as Prometheus anchors them
/// (model/labels/regexp.go).
pub fn matchers_cover(wide: &VectorSelector, narrow: &VectorSelector) -> bool {
    use super::ast::MatchOp;
    wide.matchers
        .matchers
        .iter()
        .filter(|w| w.name != "__name__")
        .all(|w| {
            narrow.matchers.matchers.iter().any(|n| {
                if n.name != w.name {
                    return false;
                }
                if n.op == w.op && n.value == w.value {
                    return true;
                }
                if !matches!(n.op, MatchOp::Equal) {
                    return false;
                }
                match &w.op {
                    MatchOp::NotEqual => n.value != w.value,
                    MatchOp::Re(_) => crate::go::regex::compile_promql_cached(&w.value)
                        .is_some_and(|re| re.is_match(&n.value)),
                    MatchOp::NotRe(_) => crate::go::regex::compile_promql_cached(&w.value)
                        .is_some_and(|re| !re.is_match(&n.value)),
                    MatchOp::Equal => false,
                }
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promql::analysis::walk;
    use crate::promql::parse;

    #[test]
    fn selectors_with_ancestors_in_text_order() {
        let e =
            parse("histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m]))) > on() y").unwrap();
        let uses = selector_uses(&e);
        assert_eq!(uses.len(), 2);
        assert_eq!(uses[0].name, Some("x_bucket"));
        assert_eq!(uses[0].direct_call().map(|c| c.func.name), Some("rate"));
        assert!(uses[0].inside_call(|f| f == "histogram_quantile"));
        assert!(uses[1].direct_call().is_none());
    }

    #[test]
    fn positions_of_nodes() {
        let text = "rate(x[1m]) / rate(x[30s]) - -1 > 2 - y";
        let e = parse(text).unwrap();
        let uses = selector_uses(&e);
        let r = window_span(uses[1].expr).unwrap();
        assert_eq!(&text[r], "[30s]");
        let Expr::Binary(top) = e.as_ref() else {
            panic!()
        };
        let r = binary_op_span(&top.rhs).unwrap();
        assert_eq!(r.start, text.rfind('-').unwrap());
        let mut rates = Vec::new();
        walk(&e, &mut |n| {
            if matches!(n, Expr::Call(c) if c.func.name == "rate") {
                rates.push(n);
            }
        });
        let r = name_span(rates[1]).unwrap();
        assert_eq!(r.start, text.find("/ rate").unwrap() + 2);
        // The same metric twice: each selector's own name.
        let text = "x / x";
        let e = parse(text).unwrap();
        let uses = selector_uses(&e);
        assert_eq!(selector_name_span(uses[1].expr), Some(4..5));
        let text = "{__name__=\"DCGM_FI_DEV_FB_USED\", gpu=\"0\"}";
        let e = parse(text).unwrap();
        assert_eq!(
            &text[selector_name_span(&e).unwrap()],
            "\"DCGM_FI_DEV_FB_USED\""
        );
        // `offset -5m` is not the subtraction.
        let text = "x offset -5m - y";
        let e = parse(text).unwrap();
        assert_eq!(&text[binary_op_span(&e).unwrap()], "-");
        assert_eq!(binary_op_span(&e).unwrap().start, 13);
        // Aggregations at their keyword, whatever the case.
        let text = "SUM by (job) (x) > 1";
        let e = parse(text).unwrap();
        let Expr::Binary(b) = e.as_ref() else {
            panic!()
        };
        assert_eq!(&text[name_span(&b.lhs).unwrap()], "SUM");
    }

    #[test]
    fn comparison_and_call_ranges() {
        let text = "sum(up{tier=\"lb\"}) by (type) == 0 > 0 or 0 < count(x) or vector(1)";
        let e = parse(text).unwrap();
        let mut cmps = Vec::new();
        let mut calls = Vec::new();
        walk(&e, &mut |n| match n {
            Expr::Binary(b) if b.op.is_comparison_operator() => cmps.push(n),
            Expr::Call(_) => calls.push(n),
            _ => {}
        });
        let got: Vec<&str> = cmps
            .iter()
            .map(|n| &text[comparison_span(n).unwrap()])
            .collect();
        assert_eq!(got, ["> 0", "== 0", "0 <"]);
        assert_eq!(&text[call_span(calls[0]).unwrap()], "vector(1)");
        for (text, want) in [
            ("x > -1", "> -1"),
            ("x > bool 1", "> bool 1"),
            ("x > y", ">"),
        ] {
            let e = parse(text).unwrap();
            assert_eq!(&text[comparison_span(&e).unwrap()], want, "{text}");
        }
    }

    #[test]
    fn matcher_coverage() {
        let vs = |e: &str| match parse(e).unwrap().as_ref() {
            Expr::VectorSelector(v) => v.clone(),
            _ => panic!("{e}"),
        };
        let narrow = vs(r#"up{job="thanos-query", namespace="mon"}"#);
        for wide in [
            "up",
            r#"up{job="thanos-query"}"#,
            r#"up{job=~".*thanos-query.*"}"#,
            r#"up{job!="kube-apiserver"}"#,
            r#"up{job!~"kube-.*"}"#,
        ] {
            assert!(matchers_cover(&vs(wide), &narrow), "{wide}");
        }
        for wide in [
            r#"up{job="thanos-store"}"#,
            r#"up{job=~"thanos"}"#,
            r#"up{job="thanos-query", cluster="a"}"#,
            r#"up{job!~"thanos-.*"}"#,
        ] {
            assert!(!matchers_cover(&vs(wide), &narrow), "{wide}");
        }
        let re = vs(r#"up{job=~".*promscale.*"}"#);
        assert!(matchers_cover(&re, &re));
        assert!(!matchers_cover(&vs(r#"up{job="promscale"}"#), &re));
    }
}
