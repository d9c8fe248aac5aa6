//! Units: what a DCGM field measures in (decided in the field table), what
//! unit a metric or recording rule name promises (`_bytes`, `_hertz`, `_ratio`), and the unit of an expression
//! built from fields of known units.

use super::analysis::{aggregation_preserves_quantity, op_str, preserves_quantity, selector_name};
use super::ast::Expr;
use super::dcgm::field;
use super::names::words;

/// A unit of measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Bytes (the Prometheus base unit).
    Bytes,
    /// Mebibytes (DCGM frame-buffer and BAR1 fields, "MB" in the header).
    Mebibytes,
    /// Hertz (the base unit).
    Hertz,
    /// Megahertz (DCGM's legacy clock fields).
    Megahertz,
    /// A fraction 0–1 (the base unit for ratios).
    Ratio,
    /// 0–100.
    Percent,
    /// Seconds.
    Seconds,
    /// Milliseconds.
    Milliseconds,
    /// Nanoseconds (DCGM's violation counters).
    Nanoseconds,
    /// Degrees Celsius.
    Celsius,
    /// Watts.
    Watts,
    /// Joules.
    Joules,
    /// Millijoules (DCGM's energy counter).
    Millijoules,
}

impl Unit {
    /// How the unit is written in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Bytes => "bytes",
            Unit::Mebibytes => "MiB",
            Unit::Hertz => "hertz",
            Unit::Megahertz => "MHz",
            Unit::Ratio => "a ratio (0-1)",
            Unit::Percent => "percent (0-100)",
            Unit::Seconds => "seconds",
            Unit::Milliseconds => "milliseconds",
            Unit::Nanoseconds => "nanoseconds",
            Unit::Celsius => "degrees Celsius",
            Unit::Watts => "watts",
            Unit::Joules => "joules",
            Unit::Millijoules => "millijoules",
        }
    }

    /// The conversion that turns `self` into `to`, when it is a scaling.
    pub fn conversion(self, to: Unit) -> Option<&'static str> {
        Some(match (self, to) {
            (Unit::Mebibytes, Unit::Bytes) => "* 1024 * 1024",
            (Unit::Megahertz, Unit::Hertz) => "* 1e6",
            (Unit::Percent, Unit::Ratio) => "/ 100",
            (Unit::Ratio, Unit::Percent) => "* 100",
            (Unit::Milliseconds, Unit::Seconds) => "/ 1e3",
            (Unit::Nanoseconds, Unit::Seconds) => "/ 1e9",
            (Unit::Millijoules, Unit::Joules) => "/ 1e3",
            _ => return None,
        })
    }
}

/// The unit a DCGM field's values are in, when known, as the field table
/// (`data/dcgm/fields.tsv`) records it: the header's unit hint (`MB` is MiB),
/// names ending in `_HERTZ`/`_RATIO`, and for the legacy fields dcgm-exporter
/// exports by default its counters file's help text (clocks "in MHz",
/// utilisation "in %", temperatures "in C"); a deprecated alias without its
/// own hint has the unit of the field it aliases.
pub fn dcgm_unit(name: &str) -> Option<Unit> {
    field(name)?.unit
}

/// The unit a metric or recording rule name promises by its last word
/// (`gpu:fb_used_bytes:sum` → bytes, `gpu_util:ratio` → ratio); for
/// `level:metric:operations` names the metric part's last word counts first.
pub fn name_unit(name: &str) -> Option<Unit> {
    let of = |w: &str| match w {
        "bytes" => Some(Unit::Bytes),
        "mib" | "mebibytes" | "megabytes" | "mb" => Some(Unit::Mebibytes),
        "hertz" | "hz" => Some(Unit::Hertz),
        "mhz" | "megahertz" => Some(Unit::Megahertz),
        "ratio" => Some(Unit::Ratio),
        "percent" | "percentage" | "pct" => Some(Unit::Percent),
        "seconds" => Some(Unit::Seconds),
        "milliseconds" | "ms" => Some(Unit::Milliseconds),
        "nanoseconds" | "ns" => Some(Unit::Nanoseconds),
        "celsius" => Some(Unit::Celsius),
        "watts" => Some(Unit::Watts),
        "joules" => Some(Unit::Joules),
        "millijoules" | "mj" => Some(Unit::Millijoules),
        _ => None,
    };
    let parts: Vec<&str> = name.split(':').collect();
    if parts.len() >= 3
        && let Some(u) = words(parts[1]).last().and_then(|w| of(w))
    {
        return Some(u);
    }
    words(name).last().and_then(|w| of(w))
}

/// The unit of `expr`'s values and a metric it comes from, when every leaf
/// that matters has a unit `leaf` knows: through aggregations and functions
/// that keep the quantity, sums and differences of one unit, filters and set
/// operators (the left side's unit), and `x / y` of one unit (a ratio).
/// Scaling by a number is a conversion the analysis does not follow: the
/// result is unknown.
pub fn expr_unit<'a>(
    expr: &'a Expr,
    leaf: &dyn Fn(&str) -> Option<Unit>,
) -> Option<(Unit, &'a str)> {
    match expr {
        Expr::VectorSelector(_) | Expr::MatrixSelector(_) => {
            let name = selector_name(expr)?;
            Some((leaf(name)?, name))
        }
        Expr::Paren(p) => expr_unit(&p.expr, leaf),
        Expr::Unary(u) => expr_unit(&u.expr, leaf),
        Expr::Subquery(s) => expr_unit(&s.expr, leaf),
        Expr::Aggregate(a) if aggregation_preserves_quantity(&op_str(&a.op)) => {
            expr_unit(&a.expr, leaf)
        }
        Expr::Call(c) if preserves_quantity(c.func.name) => {
            c.args.args.iter().find_map(|a| expr_unit(a, leaf))
        }
        Expr::Binary(b) => {
            let op = op_str(&b.op);
            let is_num = |e: &Expr| matches!(e, Expr::NumberLiteral(_));
            if b.op.is_comparison_operator() {
                return if b.return_bool() {
                    None
                } else if is_num(&b.lhs) {
                    expr_unit(&b.rhs, leaf)
                } else {
                    expr_unit(&b.lhs, leaf)
                };
            }
            match op.as_str() {
                "and" | "unless" => expr_unit(&b.lhs, leaf),
                "or" | "+" | "-" => {
                    if is_num(&b.rhs) {
                        return expr_unit(&b.lhs, leaf);
                    }
                    if is_num(&b.lhs) {
                        return expr_unit(&b.rhs, leaf);
                    }
                    let (l, r) = (expr_unit(&b.lhs, leaf)?, expr_unit(&b.rhs, leaf)?);
                    (l.0 == r.0).then_some(l)
                }
                "/" => {
                    let (l, r) = (expr_unit(&b.lhs, leaf)?, expr_unit(&b.rhs, leaf)?);
                    (l.0 == r.0).then_some((Unit::Ratio, l.1))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promql::parse;

    #[test]
    fn dcgm_units_from_table_and_exporter_help() {
        assert_eq!(dcgm_unit("DCGM_FI_DEV_FB_USED"), Some(Unit::Mebibytes));
        assert_eq!(dcgm_unit("DCGM_FI_DEV_FB_TOTAL"), Some(Unit::Mebibytes));
        assert_eq!(dcgm_unit("DCGM_FI_DEV_SM_CLOCK"), Some(Unit::Megahertz));
        assert_eq!(dcgm_unit("DCGM_FI_DEV_MEM_CLOCK"), Some(Unit::Megahertz));
        assert_eq!(dcgm_unit("DCGM_FI_DEV_SM_CLOCK_HERTZ"), Some(Unit::Hertz));
        assert_eq!(dcgm_unit("DCGM_FI_DEV_GPU_UTIL"), Some(Unit::Percent));
        assert_eq!(dcgm_unit("DCGM_FI_DEV_MEM_COPY_UTIL"), Some(Unit::Percent));
        assert_eq!(
            dcgm_unit("DCGM_FI_PROF_GR_ENGINE_ACTIVE"),
            Some(Unit::Ratio)
        );
        assert_eq!(dcgm_unit("DCGM_FI_DEV_FB_USED_PERCENT"), Some(Unit::Ratio));
        assert_eq!(dcgm_unit("DCGM_FI_DEV_GPU_TEMP"), Some(Unit::Celsius));
        assert_eq!(dcgm_unit("DCGM_FI_DEV_POWER_USAGE"), Some(Unit::Watts));
        assert_eq!(
            dcgm_unit("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION"),
            Some(Unit::Millijoules)
        );
        assert_eq!(dcgm_unit("DCGM_FI_DEV_XID_ERRORS"), None);
        assert_eq!(dcgm_unit("node_memory_MemTotal_bytes"), None);
    }

    #[test]
    fn name_units() {
        assert_eq!(name_unit("gpu:fb_used_bytes:sum"), Some(Unit::Bytes));
        assert_eq!(name_unit("gpu:fb_used:ratio"), Some(Unit::Ratio));
        assert_eq!(name_unit("gpu_sm_clock_hertz"), Some(Unit::Hertz));
        assert_eq!(name_unit("gpu_fb_used_mib"), Some(Unit::Mebibytes));
        assert_eq!(name_unit("instance:gpu_util:avg5m"), None);
    }

    #[test]
    fn expression_units() {
        let u = |s: &str| expr_unit(&parse(s).unwrap(), &dcgm_unit).map(|(u, _)| u);
        assert_eq!(
            u("sum by (gpu) (DCGM_FI_DEV_FB_USED)"),
            Some(Unit::Mebibytes)
        );
        assert_eq!(
            u("DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE)"),
            Some(Unit::Ratio)
        );
        assert_eq!(u("DCGM_FI_DEV_FB_USED * 1024 * 1024"), None);
        assert_eq!(
            u("avg_over_time(DCGM_FI_DEV_GPU_UTIL[5m])"),
            Some(Unit::Percent)
        );
        assert_eq!(u("DCGM_FI_DEV_GPU_UTIL / 100"), None);
        assert_eq!(u("DCGM_FI_DEV_FB_USED / DCGM_FI_DEV_GPU_UTIL"), None);
        assert_eq!(u("rate(DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION[5m])"), None);
        assert_eq!(u("DCGM_FI_DEV_SM_CLOCK > 100"), Some(Unit::Megahertz));
    }
}
