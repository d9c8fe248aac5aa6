//! Expressions printed as Prometheus' `String()` methods print them
//! (`promql/parser/printer.go`): one line, canonical spacing, the metric
//! name before the braces, `offset`/`@` after a range.

use std::fmt::{self, Display, Formatter, Write as _};

use super::ast::*;

fn labels(l: &Labels) -> String {
    l.labels
        .iter()
        .map(|n| {
            if is_plain_label(n) {
                n.clone()
            } else {
                crate::go::quote::quote(n)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn is_plain_label(n: &str) -> bool {
    let mut chars = n.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

fn duration(d: &std::time::Duration) -> String {
    crate::go::duration::format_prometheus(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn duration_expr(d: &DurationExpr) -> String {
    match d {
        DurationExpr::Number(v, _) => {
            if *v > 0.0 && (v * 1000.0).fract() == 0.0 {
                crate::go::duration::format_prometheus((v * 1000.0) as u64)
            } else {
                crate::go::float::format_v(*v)
            }
        }
        DurationExpr::Step(_) => "step()".into(),
        DurationExpr::Range(_) => "range()".into(),
        DurationExpr::Unary(op, e, _) => format!("{op}{}", duration_expr(e)),
        DurationExpr::Binary(op, a, b, _) => {
            format!("{} {op} {}", duration_expr(a), duration_expr(b))
        }
        DurationExpr::MinMax(max, a, b, _) => format!(
            "{}({}, {})",
            if *max { "max" } else { "min" },
            duration_expr(a),
            duration_expr(b)
        ),
        DurationExpr::Paren(e, _) => format!("({})", duration_expr(e)),
    }
}

fn modifiers(
    f: &mut Formatter<'_>,
    offset: &Option<Offset>,
    offset_expr: &Option<DurationExpr>,
    at: &Option<AtModifier>,
) -> fmt::Result {
    if let Some(e) = offset_expr {
        write!(f, " offset {}", duration_expr(e))?;
    } else {
        match offset {
            Some(Offset::Pos(d)) => write!(f, " offset {}", duration(d))?,
            Some(Offset::Neg(d)) => write!(f, " offset -{}", duration(d))?,
            None => {}
        }
    }
    match at {
        Some(AtModifier::Start) => f.write_str(" @ start()"),
        Some(AtModifier::End) => f.write_str(" @ end()"),
        Some(AtModifier::At(t)) => {
            let secs = match t.duration_since(std::time::SystemTime::UNIX_EPOCH) {
                Ok(d) => d.as_secs_f64(),
                Err(e) => -e.duration().as_secs_f64(),
            };
            write!(f, " @ {secs:.3}")
        }
        None => Ok(()),
    }
}

impl Display for Matcher {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let name = if is_plain_label(&self.name) {
            self.name.clone()
        } else {
            crate::go::quote::quote(&self.name)
        };
        write!(
            f,
            "{name}{}{}",
            self.op,
            crate::go::quote::quote(&self.value)
        )
    }
}

impl VectorSelector {
    /// The selector without its `offset`/`@` (`name{matchers}`).
    pub fn selector_text(&self) -> String {
        let mut s = String::new();
        if let Some(n) = &self.name {
            s.push_str(n);
        }
        let ms: Vec<String> = self
            .matchers
            .matchers
            .iter()
            .map(Matcher::to_string)
            .collect();
        if !ms.is_empty() || self.name.is_none() {
            let _ = write!(s, "{{{}}}", ms.join(", "));
        }
        s
    }
}

impl Display for VectorSelector {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(&self.selector_text())?;
        modifiers(f, &self.offset, &self.offset_expr, &self.at)?;
        if self.anchored {
            f.write_str(" anchored")?;
        }
        if self.smoothed {
            f.write_str(" smoothed")?;
        }
        Ok(())
    }
}

impl Display for MatrixSelector {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(&self.vs.selector_text())?;
        match &self.range_expr {
            Some(e) => write!(f, "[{}]", duration_expr(e))?,
            None => write!(f, "[{}]", duration(&self.range))?,
        }
        modifiers(f, &self.vs.offset, &self.vs.offset_expr, &self.vs.at)?;
        if self.vs.anchored {
            f.write_str(" anchored")?;
        }
        if self.vs.smoothed {
            f.write_str(" smoothed")?;
        }
        Ok(())
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Aggregate(a) => {
                write!(f, "{}", a.op)?;
                match &a.modifier {
                    Some(LabelModifier::Exclude(l)) => write!(f, " without ({}) ", labels(l))?,
                    Some(LabelModifier::Include(l)) if !l.is_empty() => {
                        write!(f, " by ({}) ", labels(l))?;
                    }
                    _ => {}
                }
                f.write_str("(")?;
                if let Some(p) = &a.param {
                    write!(f, "{p}, ")?;
                }
                write!(f, "{})", a.expr)
            }
            Expr::Unary(u) => write!(f, "{}{}", if u.negative { "-" } else { "+" }, u.expr),
            Expr::Binary(b) => {
                write!(f, "{} {}", b.lhs, b.op)?;
                if let Some(m) = &b.modifier {
                    if m.return_bool {
                        f.write_str(" bool")?;
                    }
                    match &m.matching {
                        Some(LabelModifier::Include(l)) => write!(f, " on ({})", labels(l))?,
                        Some(LabelModifier::Exclude(l)) if !l.is_empty() => {
                            write!(f, " ignoring ({})", labels(l))?;
                        }
                        _ => {}
                    }
                    match &m.card {
                        VectorMatchCardinality::ManyToOne(l) => {
                            write!(f, " group_left ({})", labels(l))?;
                        }
                        VectorMatchCardinality::OneToMany(l) => {
                            write!(f, " group_right ({})", labels(l))?;
                        }
                        _ => {}
                    }
                }
                write!(f, " {}", b.rhs)
            }
            Expr::Paren(p) => write!(f, "({})", p.expr),
            Expr::Subquery(s) => {
                write!(f, "{}[", s.expr)?;
                match &s.range_expr {
                    Some(e) => f.write_str(&duration_expr(e))?,
                    None => f.write_str(&duration(&s.range))?,
                }
                f.write_str(":")?;
                match (&s.step_expr, &s.step) {
                    (Some(e), _) => f.write_str(&duration_expr(e))?,
                    (None, Some(d)) => f.write_str(&duration(d))?,
                    (None, None) => {}
                }
                f.write_str("]")?;
                modifiers(f, &s.offset, &s.offset_expr, &s.at)
            }
            Expr::NumberLiteral(n) => f.write_str(&crate::go::float::format_v(n.val)),
            Expr::StringLiteral(s) => f.write_str(&crate::go::quote::quote(&s.val)),
            Expr::VectorSelector(vs) => vs.fmt(f),
            Expr::MatrixSelector(ms) => ms.fmt(f),
            Expr::Call(c) => {
                write!(f, "{}(", c.func.name)?;
                for (i, a) in c.args.args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str(")")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::promql::syntax::{Options, parse};

    #[test]
    fn prints_as_prometheus() {
        for (input, want) in [
            (
                "sum by(job)(rate(x{a=~'b'}[5m] offset 1m))",
                "sum by (job) (rate(x{a=~\"b\"}[5m] offset 1m))",
            ),
            (
                "topk(3, x) > bool on(a) group_left(b) y",
                "topk(3, x) > bool on (a) group_left (b) y",
            ),
            ("-x @ 100", "-x @ 100.000"),
            ("x[1h:5m]", "x[1h:5m]"),
            ("{__name__=\"up\"}", "{__name__=\"up\"}"),
            ("1e6 + 0.5", "1e+06 + 0.5"),
        ] {
            let e = parse(input, &Options::all_features()).expect("valid");
            assert_eq!(e.to_string(), want, "{input}");
        }
    }
}
