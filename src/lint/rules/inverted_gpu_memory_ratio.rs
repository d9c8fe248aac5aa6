//! `inverted-gpu-memory-ratio` (ML201): used memory divided by free memory
//! (or free by used) compared as if it were a fraction of capacity.
//! `DCGM_FI_DEV_FB_USED / DCGM_FI_DEV_FB_FREE` is 1 at half full and grows
//! without bound, so `> 0.95` fires at 49% usage.

use crate::diagnostic::{Applicability, Fix};
use crate::lint::fix::{expr_edit, expr_text};
use crate::lint::{Lint, Reporter, RuleCtx};
use crate::model::rules::PromqlExpr;
use crate::promql::analysis::{
    aggregation_preserves_quantity, op_str, preserves_quantity, selector_name, walk,
};
use crate::promql::ast::{BinaryExpr, Expr};
use crate::promql::dcgm::{MemoryRole, memory_role};

crate::declare_lint! {
    /// The `inverted-gpu-memory-ratio` lint.
    pub struct InvertedGpuMemoryRatio {
        code: "ML201",
        name: "inverted-gpu-memory-ratio",
        category: Correctness,
        severity: Error,
        summary: "used memory divided by free memory is not a fraction of capacity",
    }
}

impl Lint for InvertedGpuMemoryRatio {
    /// Flags every `/` whose sides measure used and free memory (in either
    /// order), through aggregations, `*_over_time`, parentheses and scaling
    /// by a number. `used / (used + free)` and `used / total` pass.
    fn check_rule(&self, cx: &RuleCtx, rep: &mut Reporter) {
        let Some((expr, ast)) = cx.parsed() else {
            return;
        };
        walk(ast, &mut |e| {
            let Expr::Binary(b) = e else { return };
            if op_str(&b.op) != "/" {
                return;
            }
            let (Some((lr, ln)), Some((rr, rn))) = (role(&b.lhs), role(&b.rhs)) else {
                return;
            };
            if !matches!(
                (lr, rr),
                (MemoryRole::Used, MemoryRole::Free) | (MemoryRole::Free, MemoryRole::Used)
            ) {
                return;
            }
            // At the `/` itself, with each side labelled.
            let span = expr.span_of(b.op_span.range());
            let side = |e: &Expr| expr.span_of(e.span().range());
            let (used, free) = if lr == MemoryRole::Used {
                (ln, rn)
            } else {
                (rn, ln)
            };
            rep.report(span, format!(
                        "`{ln} / {rn}` divides {} memory by {} memory: it is not a fraction of capacity (1 at half full, unbounded near full)",
                        name_of(lr),
                        name_of(rr)
                    ))
                .label(side(&b.lhs), format!("{} memory", name_of(lr)))
                .label(side(&b.rhs), format!("{} memory", name_of(rr)))
                .help(format!("divide by the capacity: `{used} / ({used} + {free})`"))
                .fix(capacity_fix(cx, expr, b));
        });
    }
}

/// `U / F` → `U / (U + F)` (unsafe: the threshold now compares a fraction
/// of capacity, so the alert fires at other values): the divisor becomes
/// the sum of both sides, with the division's vector matching (`on(gpu)`)
/// repeated on the `+`. One-line sides written as-is only.
fn capacity_fix(cx: &RuleCtx, expr: &PromqlExpr, b: &BinaryExpr) -> Option<Fix> {
    let (l, r) = (b.lhs.span().range(), b.rhs.span().range());
    let lhs = expr_text(cx.source, expr, l)?;
    let rhs = expr_text(cx.source, expr, r.clone())?;
    let between = expr_text(cx.source, expr, b.op_span.end..r.start)?.trim();
    let matching = if between.is_empty() {
        String::new()
    } else {
        format!("{between} ")
    };
    let sum = format!("({lhs} + {matching}{rhs})");
    Fix::of(
        format!("divide by the capacity: `{lhs} / {sum}`"),
        Applicability::Unsafe,
        [expr_edit(cx.source, expr, r, &sum)],
    )
}

fn name_of(r: MemoryRole) -> &'static str {
    match r {
        MemoryRole::Used => "used",
        MemoryRole::Free => "free",
        MemoryRole::Total => "total",
    }
}

/// What memory quantity an expression measures, and the metric it reads.
fn role(expr: &Expr) -> Option<(MemoryRole, &str)> {
    match expr {
        Expr::VectorSelector(_) | Expr::MatrixSelector(_) => {
            let name = selector_name(expr)?;
            Some((memory_role(name).or_else(|| generic_role(name))?, name))
        }
        Expr::Paren(p) => role(&p.expr),
        Expr::Aggregate(a) if aggregation_preserves_quantity(&op_str(&a.op)) => role(&a.expr),
        Expr::Call(c) if preserves_quantity(c.func.name) => {
            c.args.args.iter().find_map(|a| role(a))
        }
        Expr::Binary(b) => {
            let op = op_str(&b.op);
            let (l, r) = (role(&b.lhs), role(&b.rhs));
            match op.as_str() {
                "+" => match (l, r) {
                    (Some((MemoryRole::Used, n)), Some((MemoryRole::Free, _)))
                    | (Some((MemoryRole::Free, n)), Some((MemoryRole::Used, _))) => {
                        Some((MemoryRole::Total, n))
                    }
                    _ => None,
                },
                "*" | "/" if matches!(*b.rhs, Expr::NumberLiteral(_)) => l,
                "*" if matches!(*b.lhs, Expr::NumberLiteral(_)) => r,
                _ if b.op.is_comparison_operator() && !b.return_bool() => l,
                _ => None,
            }
        }
        _ => None,
    }
}

/// Other exporters' memory metrics: a `used` or `free` word in a name that
/// also says memory or bytes (`nvidia_gpu_memory_used_bytes`).
fn generic_role(name: &str) -> Option<MemoryRole> {
    let lower = name.to_ascii_lowercase();
    let words: Vec<&str> = lower.split(['_', ':']).collect();
    let memoryish = words.iter().any(|w| {
        matches!(
            *w,
            "memory" | "mem" | "bytes" | "fb" | "vram" | "framebuffer"
        )
    });
    if !memoryish {
        return None;
    }
    if words.contains(&"used") {
        Some(MemoryRole::Used)
    } else if words.contains(&"free") {
        Some(MemoryRole::Free)
    } else if words.contains(&"total") {
        Some(MemoryRole::Total)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    fn rule(expr: &str) -> String {
        format!(
            "groups:\n- name: g\n  rules:\n  - alert: GPUMemoryHigh\n    expr: {expr}\n    for: 5m\n"
        )
    }

    #[test]
    fn flags_used_over_free_in_any_form() {
        for e in [
            "DCGM_FI_DEV_FB_USED / DCGM_FI_DEV_FB_FREE > 0.95",
            "DCGM_FI_DEV_FB_FREE / DCGM_FI_DEV_FB_USED < 0.05",
            "sum by (gpu) (DCGM_FI_DEV_FB_USED) / sum by (gpu) (DCGM_FI_DEV_FB_FREE) > 0.9",
            "avg_over_time(DCGM_FI_DEV_FB_USED[5m]) / (DCGM_FI_DEV_FB_FREE * 1) > 0.9",
            "nvidia_gpu_memory_used_bytes / nvidia_gpu_memory_free_bytes > 0.9",
        ] {
            assert_eq!(run_on(&super::META, &rule(e)).len(), 1, "{e}");
        }
    }

    #[test]
    fn points_at_the_ratio() {
        let y = rule("DCGM_FI_DEV_FB_USED / DCGM_FI_DEV_FB_FREE > 0.95");
        let d = run_on(&super::META, &y);
        // At the `/`, each side labelled.
        let slash = y.find(" / ").unwrap() + 1;
        assert_eq!((d[0].span.start, d[0].span.end), (slash, slash + 1));
        let used = y.find("DCGM_FI_DEV_FB_USED").unwrap();
        let free = y.find("DCGM_FI_DEV_FB_FREE").unwrap();
        let labels: Vec<(usize, usize, &str)> = d[0]
            .labels
            .iter()
            .map(|l| (l.span.start, l.span.end, l.message.as_str()))
            .collect();
        assert_eq!(
            labels,
            [
                (used, used + 19, "used memory"),
                (free, free + 19, "free memory")
            ]
        );
    }

    #[test]
    fn passes_fractions_of_capacity() {
        for e in [
            "DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE) > 0.95",
            "DCGM_FI_DEV_FB_USED / DCGM_FI_DEV_FB_TOTAL > 0.95",
            "node_memory_used_bytes / node_memory_total_bytes > 0.9",
            "rate(requests_used_total[5m]) / rate(requests_free_total[5m]) > 1",
        ] {
            assert!(run_on(&super::META, &rule(e)).is_empty(), "{e}");
        }
    }

    #[test]
    fn fix_divides_by_the_sum_on_one_line_only() {
        let y = rule("DCGM_FI_DEV_FB_USED / DCGM_FI_DEV_FB_FREE > 0.95");
        let d = run_on(&super::META, &y);
        let fix = d[0].fix.as_ref().unwrap();
        assert!(crate::lint::fix::apply(&y, &[fix]).text.contains(
            "expr: DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE) > 0.95\n"
        ));
        let multi = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: |\n      sum(DCGM_FI_DEV_FB_USED\n      ) / DCGM_FI_DEV_FB_FREE > 0.9\n    for: 5m\n";
        let d = run_on(&super::META, multi);
        assert_eq!(d.len(), 1);
        assert!(d[0].fix.is_none(), "a side spanning lines is not copied");
    }
}
