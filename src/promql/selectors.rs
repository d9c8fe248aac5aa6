//! Which selectors feed which functions: every selector of an expression
//! with the chain of nodes above it, and text positions of AST nodes
//! (promql-parser's AST has none) found by counting in text order.

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
}
