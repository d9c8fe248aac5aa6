//! The common form of the PromQL differential test
//! (`tests/it/promql_differential.rs`) and of the `promql_diff` fuzz target
//! (`fuzz/fuzz_targets/promql_diff.rs`, which includes this file): one
//! S-expression per tree, written by a walker over our AST
//! ([`sx_ours`]) and one over promql-parser 0.11's ([`sx_pp`]).

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mlalert::promql::ast as ours;
use promql_parser::label as pl;
use promql_parser::parser as pp;
// ---- The common form: an S-expression per tree. ----
//
// Normalized on both sides, as Prometheus' AST does not tell them apart:
// `+x` is `x` (promql-parser drops it, Prometheus keeps a UnaryExpr with Op
// ADD that evaluates to `x`); a missing binary modifier is the default one
// (one-to-one, no matching labels, no `bool`); `ignoring ()` is no matching
// (Prometheus: `On` false, no labels, as when none is written); `by ()` is no
// grouping (Prometheus: `Without` false, no labels). Durations are in
// milliseconds (Prometheus' resolution), `@` timestamps in milliseconds since
// the epoch; every NaN is `NaN`; `offset 0` is no offset (Prometheus'
// OriginalOffset 0, which evaluates and prints as none; promql-parser keeps
// it, we drop it).

fn num(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else {
        format!("{v:?}")
    }
}

fn ms(d: &Duration) -> u128 {
    d.as_millis()
}

fn at_ms(t: &SystemTime) -> i128 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_millis() as i128,
        Err(e) => -(e.duration().as_millis() as i128),
    }
}

fn labels(ls: &[String]) -> String {
    format!(
        "[{}]",
        ls.iter()
            .map(|l| format!("{l:?}"))
            .collect::<Vec<_>>()
            .join(" ")
    )
}

/// `(mod CARD MATCHING bool? fill?)`; the default modifier is `()`.
fn bin_mod(
    card: String,
    matching: Option<(bool, &[String])>,
    bool_: bool,
    fill: (Option<f64>, Option<f64>),
) -> String {
    let matching = match matching {
        Some((false, [])) | None => String::new(),
        Some((true, l)) => format!(" on{}", labels(l)),
        Some((false, l)) => format!(" ignoring{}", labels(l)),
    };
    let mut s = String::new();
    if card != "one-to-one" {
        s += &format!(" {card}");
    }
    s += &matching;
    if bool_ {
        s += " bool";
    }
    if fill != (None, None) {
        s += &format!(
            " fill(lhs={} rhs={})",
            fill.1.map(num).unwrap_or("-".into()),
            fill.0.map(num).unwrap_or("-".into())
        );
    }
    format!("({})", s.trim_start())
}

fn grouping(m: Option<(bool, &[String])>) -> String {
    match m {
        None | Some((true, [])) => String::new(),
        Some((true, l)) => format!(" by{}", labels(l)),
        Some((false, l)) => format!(" without{}", labels(l)),
    }
}

fn offset_at(offset: Option<i128>, at: Option<String>) -> String {
    let mut s = String::new();
    if let Some(o) = offset {
        s += &format!(" offset={o}");
    }
    if let Some(a) = at {
        s += &format!(" @{a}");
    }
    s
}

fn matcher(op: &str, name: &str, value: &str) -> String {
    format!("{name:?}{op}{value:?}")
}

// -- ours

/// Our tree as the common S-expression.
pub fn sx_ours(e: &ours::Expr) -> String {
    let mut s = String::new();
    w_ours(e, &mut s);
    s
}

fn ours_offset(o: &Option<ours::Offset>) -> Option<i128> {
    o.as_ref()
        .map(|o| match o {
            ours::Offset::Pos(d) => ms(d) as i128,
            ours::Offset::Neg(d) => -(ms(d) as i128),
        })
        .filter(|ms| *ms != 0)
}

fn ours_at(a: &Option<ours::AtModifier>) -> Option<String> {
    a.as_ref().map(|a| match a {
        ours::AtModifier::Start => "start".into(),
        ours::AtModifier::End => "end".into(),
        ours::AtModifier::At(t) => at_ms(t).to_string(),
    })
}

fn ours_mod(m: &ours::LabelModifier) -> (bool, &[String]) {
    (m.is_include(), &m.labels().labels)
}

fn ours_vs(v: &ours::VectorSelector) -> String {
    let mut s = format!(
        "(vs {}",
        v.name
            .as_deref()
            .map(|n| format!("{n:?}"))
            .unwrap_or("-".into())
    );
    for m in v.matchers.iter() {
        s += " ";
        s += &matcher(&m.op.to_string(), &m.name, &m.value);
    }
    s += &offset_at(ours_offset(&v.offset), ours_at(&v.at));
    if v.anchored {
        s += " anchored";
    }
    if v.smoothed {
        s += " smoothed";
    }
    s + ")"
}

fn w_ours(e: &ours::Expr, out: &mut String) {
    use ours::Expr as E;
    match e {
        E::Aggregate(a) => {
            let _ = write!(
                out,
                "(agg {}{}",
                a.op,
                grouping(a.modifier.as_ref().map(ours_mod))
            );
            if let Some(p) = &a.param {
                out.push(' ');
                w_ours(p, out);
            }
            out.push(' ');
            w_ours(&a.expr, out);
            out.push(')');
        }
        E::Unary(u) if !u.negative => w_ours(&u.expr, out),
        E::Unary(u) => {
            out.push_str("(neg ");
            w_ours(&u.expr, out);
            out.push(')');
        }
        E::Binary(b) => {
            let m = b.modifier.clone().unwrap_or_default();
            let card = match &m.card {
                ours::VectorMatchCardinality::OneToOne => "one-to-one".into(),
                ours::VectorMatchCardinality::ManyToMany => "many-to-many".into(),
                ours::VectorMatchCardinality::ManyToOne(l) => {
                    format!("group_left{}", labels(&l.labels))
                }
                ours::VectorMatchCardinality::OneToMany(l) => {
                    format!("group_right{}", labels(&l.labels))
                }
            };
            let md = bin_mod(
                card,
                m.matching.as_ref().map(ours_mod),
                m.return_bool,
                (m.fill_values.rhs, m.fill_values.lhs),
            );
            let _ = write!(out, "(bin {} {md} ", b.op);
            w_ours(&b.lhs, out);
            out.push(' ');
            w_ours(&b.rhs, out);
            out.push(')');
        }
        E::Paren(p) => {
            out.push_str("(paren ");
            w_ours(&p.expr, out);
            out.push(')');
        }
        E::Subquery(s) => {
            out.push_str("(subquery ");
            w_ours(&s.expr, out);
            let _ = write!(
                out,
                " range={} step={}{}",
                ms(&s.range),
                s.step
                    .as_ref()
                    .map(|d| ms(d).to_string())
                    .unwrap_or("-".into()),
                offset_at(ours_offset(&s.offset), ours_at(&s.at))
            );
            for (what, d) in [
                ("range", &s.range_expr),
                ("step", &s.step_expr),
                ("offset", &s.offset_expr),
            ] {
                if d.is_some() {
                    let _ = write!(out, " {what}-expr");
                }
            }
            out.push(')');
        }
        E::NumberLiteral(n) => {
            let _ = write!(out, "(num {})", num(n.val));
        }
        E::StringLiteral(s) => {
            let _ = write!(out, "(str {:?})", s.val);
        }
        E::VectorSelector(v) => {
            out.push_str(&ours_vs(v));
            if v.offset_expr.is_some() {
                out.push_str("(offset-expr)");
            }
        }
        E::MatrixSelector(m) => {
            let _ = write!(out, "(ms {} range={}", ours_vs(&m.vs), ms(&m.range));
            if m.range_expr.is_some() {
                out.push_str(" range-expr");
            }
            out.push(')');
        }
        E::Call(c) => {
            let _ = write!(out, "(call {}", c.func.name);
            for a in &c.args.args {
                out.push(' ');
                w_ours(a, out);
            }
            out.push(')');
        }
    }
}

// -- promql-parser

/// promql-parser's tree as the common S-expression.
pub fn sx_pp(e: &pp::Expr) -> String {
    let mut s = String::new();
    w_pp(e, &mut s);
    s
}

fn pp_offset(o: &Option<pp::Offset>) -> Option<i128> {
    o.as_ref()
        .map(|o| match o {
            pp::Offset::Pos(d) => ms(d) as i128,
            pp::Offset::Neg(d) => -(ms(d) as i128),
        })
        .filter(|ms| *ms != 0)
}

fn pp_at(a: &Option<pp::AtModifier>) -> Option<String> {
    a.as_ref().map(|a| match a {
        pp::AtModifier::Start => "start".into(),
        pp::AtModifier::End => "end".into(),
        pp::AtModifier::At(t) => at_ms(t).to_string(),
    })
}

fn pp_mod(m: &pp::LabelModifier) -> (bool, &[String]) {
    match m {
        pp::LabelModifier::Include(l) => (true, &l.labels),
        pp::LabelModifier::Exclude(l) => (false, &l.labels),
    }
}

fn pp_matcher(m: &pl::Matcher) -> String {
    matcher(&m.op.to_string(), &m.name, &m.value)
}

fn pp_vs(v: &pp::VectorSelector) -> String {
    let mut s = format!(
        "(vs {}",
        v.name
            .as_deref()
            .map(|n| format!("{n:?}"))
            .unwrap_or("-".into())
    );
    for m in &v.matchers.matchers {
        s += " ";
        s += &pp_matcher(m);
    }
    for alt in &v.matchers.or_matchers {
        s += " (or";
        for m in alt {
            s += " ";
            s += &pp_matcher(m);
        }
        s += ")";
    }
    s += &offset_at(pp_offset(&v.offset), pp_at(&v.at));
    s + ")"
}

fn w_pp(e: &pp::Expr, out: &mut String) {
    use pp::Expr as E;
    match e {
        E::Aggregate(a) => {
            let _ = write!(
                out,
                "(agg {}{}",
                a.op,
                grouping(a.modifier.as_ref().map(pp_mod))
            );
            if let Some(p) = &a.param {
                out.push(' ');
                w_pp(p, out);
            }
            out.push(' ');
            w_pp(&a.expr, out);
            out.push(')');
        }
        E::Unary(u) => {
            out.push_str("(neg ");
            w_pp(&u.expr, out);
            out.push(')');
        }
        E::Binary(b) => {
            let (card, matching, bool_, fill) = match &b.modifier {
                None => ("one-to-one".to_string(), None, false, (None, None)),
                Some(m) => (
                    match &m.card {
                        pp::VectorMatchCardinality::OneToOne => "one-to-one".into(),
                        pp::VectorMatchCardinality::ManyToMany => "many-to-many".into(),
                        pp::VectorMatchCardinality::ManyToOne(l) => {
                            format!("group_left{}", labels(&l.labels))
                        }
                        pp::VectorMatchCardinality::OneToMany(l) => {
                            format!("group_right{}", labels(&l.labels))
                        }
                    },
                    m.matching.as_ref().map(pp_mod),
                    m.return_bool,
                    (m.fill_values.rhs, m.fill_values.lhs),
                ),
            };
            let md = bin_mod(card, matching, bool_, fill);
            let _ = write!(out, "(bin {} {md} ", b.op);
            w_pp(&b.lhs, out);
            out.push(' ');
            w_pp(&b.rhs, out);
            out.push(')');
        }
        E::Paren(p) => {
            out.push_str("(paren ");
            w_pp(&p.expr, out);
            out.push(')');
        }
        E::Subquery(s) => {
            out.push_str("(subquery ");
            w_pp(&s.expr, out);
            let _ = write!(
                out,
                " range={} step={}{}",
                ms(&s.range),
                s.step
                    .as_ref()
                    .map(|d| ms(d).to_string())
                    .unwrap_or("-".into()),
                offset_at(pp_offset(&s.offset), pp_at(&s.at))
            );
            out.push(')');
        }
        E::NumberLiteral(n) => {
            let _ = write!(out, "(num {})", num(n.val));
        }
        E::StringLiteral(s) => {
            let _ = write!(out, "(str {:?})", s.val);
        }
        E::VectorSelector(v) => out.push_str(&pp_vs(v)),
        E::MatrixSelector(m) => {
            let _ = write!(out, "(ms {} range={})", pp_vs(&m.vs), ms(&m.range));
        }
        E::Call(c) => {
            let _ = write!(out, "(call {}", c.func.name);
            for a in &c.args.args {
                out.push(' ');
                w_pp(a, out);
            }
            out.push(')');
        }
        E::Extension(_) => out.push_str("(extension)"),
    }
}
