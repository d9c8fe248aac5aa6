//! `regex-needless` (ML212): a regex matcher that is a plain equality
//! (`model=~"bert"`) or carries anchors PromQL already adds (`=~"^gpu.*$"`).

use crate::diagnostic::{Applicability, Fix};
use crate::lint::fix::{expr_edit, expr_text};
use crate::lint::{Lint, Reporter, RuleCtx};
use crate::model::rules::PromqlExpr;
use crate::promql::analysis::walk;
use crate::promql::ast::{Expr, MatchOp, Matcher};
use crate::promql::regex::{literal_value, redundant_anchors};

crate::declare_lint! {
    /// The `regex-needless` lint.
    pub struct RegexNeedless {
        code: "ML212",
        name: "regex-needless",
        category: Style,
        severity: Info,
        summary: "a regex matcher that is a plain equality or has redundant `^`/`$` anchors",
    }
}

impl Lint for RegexNeedless {
    /// Flags `=~`/`!~` matchers whose regex has no metacharacters (use
    /// `=`/`!=`), and regexes that start with `^` or end with `$` (PromQL
    /// anchors every regex). An empty regex (`x!~""`, `x=~""`) is not
    /// flagged: it is what a generated mixin writes when a knob such as
    /// prometheus-mixin's `nonNotifyingAlertmanagerRegEx` is left empty,
    /// and the generated manifest is not edited by hand. The diagnostic
    /// points at the quoted regex.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let Some((expr, ast)) = cx.parsed() else {
            return;
        };
        walk(ast, &mut |e| {
            let vs = match e {
                Expr::VectorSelector(vs) => vs,
                Expr::MatrixSelector(ms) => &ms.vs,
                _ => return,
            };
            let all = vs.matchers.matchers.iter();
            for m in all {
                let (negated, op) = match m.op {
                    MatchOp::Re(_) => (false, "=~"),
                    MatchOp::NotRe(_) => (true, "!~"),
                    _ => continue,
                };
                if m.value.is_empty() {
                    continue;
                }
                // At the quoted regex.
                let at = Some(m.value_span.range());
                let span = expr.span_of(m.value_span.range());
                if let Some(lit) = literal_value(&m.value) {
                    let eq = if negated { "!=" } else { "=" };
                    r.report(
                        span,
                        format!(
                            "`{}{op}\"{}\"` has no regex metacharacters: it is an equality",
                            m.name, m.value
                        ),
                    )
                    .help(format!("write `{}{eq}{lit:?}`", m.name))
                    .fix(equality_fix(cx, expr, m, eq, &lit));
                    continue;
                }
                let anchors = redundant_anchors(&m.value);
                if !anchors.is_empty() {
                    let span = match (&at, anchors.first()) {
                        // Point at the first anchor inside the quotes when the
                        // string is written as-is (no escapes before it).
                        (Some(r), Some(a)) if a.start == 0 => {
                            expr.span_of(r.start + 1..r.start + 2)
                        }
                        _ => span,
                    };
                    let which: Vec<&str> = anchors.iter().map(|r| &m.value[r.clone()]).collect();
                    r.report(span, format!("`{}` in `{}{op}\"{}\"` is redundant: PromQL regexes are always fully anchored", which.join("` and `"), m.name, m.value))
                        .help("drop the anchors")
                        .fix(anchors_fix(cx, expr, m, &anchors));
                }
            }
        });
    }
}

/// `name=~"lit"` → `name="lit"` (safe: the same series): the operator
/// replaced, and the quoted value rewritten when the regex escapes
/// punctuation (`a\\.b` → `a.b`), in the same quotes. No fix when the
/// literal would need escaping.
fn equality_fix(cx: &RuleCtx, expr: &PromqlExpr, m: &Matcher, eq: &str, lit: &str) -> Option<Fix> {
    let head = expr_text(cx.source, expr, m.span.start..m.value_span.start)?;
    let head = head.trim_end();
    let written = ["=~", "!~"].into_iter().find(|op| head.ends_with(op))?;
    let op_start = m.span.start + head.len() - 2;
    let op = expr_edit(cx.source, expr, op_start..op_start + 2, eq);
    let raw = expr_text(cx.source, expr, m.value_span.range())?;
    let q = raw.chars().next()?;
    let value = if raw.len() >= 2 && raw[1..raw.len() - 1] == *lit {
        None
    } else if lit
        .chars()
        .any(|c| matches!(c, '\\' | '"' | '\'' | '`') || c.is_control())
    {
        return None;
    } else {
        Some(expr_edit(
            cx.source,
            expr,
            m.value_span.range(),
            &format!("{q}{lit}{q}"),
        ))
    };
    Fix::of(
        format!("replace `{written}` with `{eq}`"),
        Applicability::Safe,
        std::iter::once(op).chain(value),
    )
}

/// Drops a leading `^` and a trailing `$` (safe: PromQL anchors every
/// regex) when they are written as-is inside the quotes.
fn anchors_fix(
    cx: &RuleCtx,
    expr: &PromqlExpr,
    m: &Matcher,
    anchors: &[std::ops::Range<usize>],
) -> Option<Fix> {
    let r = m.value_span.range();
    let raw = expr_text(cx.source, expr, r.clone())?;
    if raw.len() < 2 {
        return None;
    }
    let inner = &raw[1..raw.len() - 1];
    let edits = anchors.iter().map(|a| {
        if a.start == 0 && inner.starts_with('^') {
            expr_edit(cx.source, expr, r.start + 1..r.start + 2, "")
        } else if a.start > 0 && a.end == m.value.len() && inner.ends_with('$') {
            expr_edit(cx.source, expr, r.end - 2..r.end - 1, "")
        } else {
            None
        }
    });
    Fix::of("drop the redundant anchors", Applicability::Safe, edits)
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    fn rule(expr: &str) -> String {
        format!("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: '{expr}'\n    for: 5m\n")
    }

    #[test]
    fn flags_literal_regex_and_anchors() {
        let y = rule("up{job=~\"triton\"} == 0");
        let d = run_on(&super::META, &y);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].span.start, y.find("\"triton\"").unwrap());
        let y = rule("up{model=~\"^llama.*\"} == 0");
        let d = run_on(&super::META, &y);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].span.start, y.find("^").unwrap());
        assert_eq!(
            run_on(&super::META, &rule("up{job!~\"a\\\\.b\"} == 0")).len(),
            1
        );
    }

    #[test]
    fn passes_real_regexes() {
        for e in [
            "up{job=~\"triton|vllm\"} == 0",
            "up{pod=~\"llama-.*\"} == 0",
            "up{job=\"a\"} == 0",
            "up{cost=~\".*\\\\$\"} == 0",
            // An empty knob of a generated mixin.
            "up{alertmanager!~\"\"} == 0",
            "up{alertmanager=~\"\"} == 0",
        ] {
            assert!(run_on(&super::META, &rule(e)).is_empty(), "{e}");
        }
    }

    #[test]
    fn fixes_keep_quotes_and_refuse_escaped_yaml() {
        let apply = |y: &str| {
            let d = run_on(&super::META, y);
            d[0].fix
                .as_ref()
                .map(|f| crate::lint::fix::apply(y, &[f]).text)
        };
        let y = rule("up{job=~\"a\\\\.b\"} == 0");
        assert!(apply(&y).unwrap().contains("up{job=\"a.b\"} == 0"), "{y}");
        let y = rule("up{job!~`triton`} == 0");
        assert!(apply(&y).unwrap().contains("up{job!=`triton`} == 0"));
        let y = rule("up{model=~\"^llama.*$\"} == 0");
        assert!(apply(&y).unwrap().contains("up{model=~\"llama.*\"} == 0"));
        // A YAML double-quoted scalar with escapes: its bytes are not the expression's.
        let y = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: \"up{job=~\\\"triton\\\"} == 0\"\n    for: 5m\n";
        assert_eq!(run_on(&super::META, y).len(), 1);
        assert_eq!(apply(y), None);
    }
}
