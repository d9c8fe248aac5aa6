//! Which selectors feed which functions: every selector of an expression
//! with the chain of nodes above it, and text positions of AST nodes.

use std::ops::Range;

use super::Tokens;
use super::analysis::{op_str, selector_name, walk};
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

/// The range of the metric-name token of `selector` (a selector node of
/// `root`): selectors come in text order in a pre-order walk, so the n-th
/// selector named `x` is the n-th word token `x`.
pub fn selector_name_range(
    text: &str,
    tokens: &Tokens,
    root: &Expr,
    selector: &Expr,
) -> Option<Range<usize>> {
    let name = selector_name(selector)?;
    let nth = nth_before(root, selector, |e| {
        matches!(e, Expr::VectorSelector(_) | Expr::MatrixSelector(_))
            && selector_name(e) == Some(name)
    })?;
    tokens.find_word(text, name, nth)
}

/// The range of a matrix selector's `[…]` window (brackets included).
pub fn matrix_range_range(
    text: &str,
    tokens: &Tokens,
    root: &Expr,
    selector: &Expr,
) -> Option<Range<usize>> {
    let name = selector_name_range(text, tokens, root, selector)?;
    let open = tokens.find_from(text, "[", name.end)?;
    let close = tokens.find_from(text, "]", open.end)?;
    Some(open.start..close.end)
}

/// The range of the name token of call or aggregation `node` (the n-th
/// node with that name in a pre-order walk is the n-th such word).
pub fn call_name_range(
    text: &str,
    tokens: &Tokens,
    root: &Expr,
    node: &Expr,
) -> Option<Range<usize>> {
    let name = node_name(node)?;
    let nth = nth_before(root, node, |e| node_name(e).as_deref() == Some(&name))?;
    tokens.find_word(text, &name, nth)
}

fn node_name(e: &Expr) -> Option<String> {
    match e {
        Expr::Call(c) => Some(c.func.name.to_string()),
        Expr::Aggregate(a) => Some(op_str(&a.op)),
        _ => None,
    }
}

/// How many nodes satisfying `pred` come before `target` in a pre-order walk.
fn nth_before(root: &Expr, target: &Expr, pred: impl Fn(&Expr) -> bool) -> Option<usize> {
    let mut n = 0;
    let mut found = None;
    walk(root, &mut |e| {
        if found.is_some() {
            return;
        }
        if std::ptr::eq(e, target) {
            found = Some(n);
        } else if pred(e) {
            n += 1;
        }
    });
    found
}

/// The range of binary operator `node`'s token: operators are counted in
/// text (in-order) order, with unary minus and negative literals taking a
/// `-` token too. Falls back to the first token with the operator's text
/// when the counts disagree.
pub fn binary_op_range(
    text: &str,
    tokens: &Tokens,
    root: &Expr,
    node: &Expr,
) -> Option<Range<usize>> {
    let Expr::Binary(target) = node else {
        return None;
    };
    let op = op_str(&target.op);
    fn inorder<'a>(e: &'a Expr, op: &str, out: &mut Vec<Option<&'a Expr>>) {
        match e {
            Expr::Binary(b) => {
                inorder(&b.lhs, op, out);
                if op_str(&b.op) == op {
                    out.push(Some(e));
                }
                inorder(&b.rhs, op, out);
            }
            Expr::Unary(u) => {
                if op == "-" {
                    out.push(None);
                }
                inorder(&u.expr, op, out);
            }
            Expr::NumberLiteral(n) if op == "-" && n.val.is_sign_negative() => out.push(None),
            Expr::Aggregate(a) => {
                if let Some(p) = &a.param {
                    inorder(p, op, out);
                }
                inorder(&a.expr, op, out);
            }
            Expr::Paren(p) => inorder(&p.expr, op, out),
            Expr::Subquery(s) => inorder(&s.expr, op, out),
            Expr::Call(c) => {
                for a in &c.args.args {
                    inorder(a, op, out);
                }
            }
            _ => {}
        }
    }
    let mut order = Vec::new();
    inorder(root, &op, &mut order);
    let all = tokens.all();
    let candidates: Vec<Range<usize>> = all
        .iter()
        .enumerate()
        .filter(|(i, t)| {
            let tok = text.get(t.range.clone()).unwrap_or("");
            let prev = i
                .checked_sub(1)
                .and_then(|p| all.get(p))
                .and_then(|p| text.get(p.range.clone()));
            tok.eq_ignore_ascii_case(&op) && !(op == "-" && prev == Some("offset"))
        })
        .map(|(_, t)| t.range.clone())
        .collect();
    let idx = order
        .iter()
        .position(|e| e.is_some_and(|e| std::ptr::eq(e, node)));
    match idx {
        Some(i) if candidates.len() == order.len() => candidates.get(i).cloned(),
        _ => candidates.into_iter().next(),
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

/// The range of comparison `node` with its number operand (`> 0` in
/// `x == 0 > 0`, `0 <` in `0 < count(x)`) when the number is a plain
/// literal, else of the operator alone.
pub fn comparison_range(
    text: &str,
    tokens: &Tokens,
    root: &Expr,
    node: &Expr,
) -> Option<Range<usize>> {
    let Expr::Binary(b) = node else {
        return None;
    };
    let op = binary_op_range(text, tokens, root, node)?;
    let all = tokens.all();
    let at = all.iter().position(|t| t.range == op)?;
    let tok = |i: usize| all.get(i).and_then(|t| text.get(t.range.clone()));
    let is_num = |s: Option<&str>| s.is_some_and(|s| crate::go::float::parse_number(s).is_ok());
    if matches!(*b.rhs, Expr::NumberLiteral(_)) {
        let mut end = at + 1;
        if matches!(tok(end), Some("-" | "+")) {
            end += 1;
        }
        if is_num(tok(end)) {
            return Some(op.start..all[end].range.end);
        }
    } else if matches!(*b.lhs, Expr::NumberLiteral(_)) && at > 0 && is_num(tok(at - 1)) {
        let mut start = at - 1;
        if start > 0
            && matches!(tok(start - 1), Some("-"))
            && (start == 1 || tok(start - 2) == Some("("))
        {
            start -= 1;
        }
        return Some(all[start].range.start..op.end);
    }
    Some(op)
}

/// The range of call `node` from its name to its closing parenthesis
/// (`vector(1)`).
pub fn call_range(text: &str, tokens: &Tokens, root: &Expr, node: &Expr) -> Option<Range<usize>> {
    let name = call_name_range(text, tokens, root, node)?;
    let all = tokens.all();
    let at = all.iter().position(|t| t.range == name)?;
    let mut depth = 0usize;
    for t in &all[at + 1..] {
        match text.get(t.range.clone()) {
            Some("(") => depth += 1,
            Some(")") => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(name.start..t.range.end);
                }
            }
            _ => {}
        }
    }
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let t = Tokens::new(text);
        let e = parse(text).unwrap();
        let uses = selector_uses(&e);
        let r = matrix_range_range(text, &t, &e, uses[1].expr).unwrap();
        assert_eq!(&text[r], "[30s]");
        let Expr::Binary(top) = e.as_ref() else {
            panic!()
        };
        let r = binary_op_range(text, &t, &e, &top.rhs).unwrap();
        assert_eq!(r.start, text.rfind('-').unwrap());
        let mut rates = Vec::new();
        walk(&e, &mut |n| {
            if matches!(n, Expr::Call(c) if c.func.name == "rate") {
                rates.push(n);
            }
        });
        let r = call_name_range(text, &t, &e, rates[1]).unwrap();
        assert_eq!(r.start, text.find("/ rate").unwrap() + 2);
    }

    #[test]
    fn comparison_and_call_ranges() {
        let text = "sum(up{tier=\"lb\"}) by (type) == 0 > 0 or 0 < count(x) or vector(1)";
        let t = Tokens::new(text);
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
            .map(|n| &text[comparison_range(text, &t, &e, n).unwrap()])
            .collect();
        assert_eq!(got, ["> 0", "== 0", "0 <"]);
        assert_eq!(
            &text[call_range(text, &t, &e, calls[0]).unwrap()],
            "vector(1)"
        );
        let text = "x > -1";
        let e = parse(text).unwrap();
        let r = comparison_range(text, &Tokens::new(text), &e, &e).unwrap();
        assert_eq!(&text[r], "> -1");
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
