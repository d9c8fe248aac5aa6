//! Expressions that already require a condition to persist, or that are
//! about single events or steady countdowns, so that an alerting rule's
//! `for` would add delay rather than protect from a blip (`missing-for`).

use super::analysis::{op_str, selector_name, walk};
use super::ast::{Expr, VectorSelector};
use super::conditions::is_number;

/// Why an alert expression does not need `for`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persistence {
    /// A `*_over_time` function (other than `last_over_time`) over a window
    /// of at least the minimum: the window already spans many evaluations.
    Window,
    /// `ALERTS{alertstate="firing"}`: the alert it reads passed its own `for`.
    FiringAlerts,
    /// `increase`/`changes`/`resets` compared with zero, `rate` compared
    /// with `> 0` (the same "any event in the window", per second), or
    /// `changes`/`resets` over a threshold: events counted within the
    /// window.
    Event,
    /// A countdown to a deadline (`cert_not_after - time() < 86400 * 7`, a
    /// `…_expiry_…`/`…_ttl_…` metric compared with `<`): it falls steadily, a
    /// blip cannot cross the threshold and go back.
    Expiry,
    /// An age compared with `>` (`time() - kube_job_status_start_time >
    /// 43200`, `time() - last_success_timestamp > 3600`): it grows steadily
    /// until the timestamp moves, so it cannot cross the threshold for one
    /// evaluation and come back.
    Age,
    /// An uptime compared with `<` (`sysUpTime / 100 < 600`,
    /// `node_time_seconds - node_boot_time_seconds < 600`): "restarted in the
    /// last N", which holds for exactly N after a restart, so a `for` as long
    /// as N would keep it from ever firing.
    RecentRestart,
}

/// `*_over_time` functions whose value at one instant depends on the whole
/// window (`last_over_time` and `present_over_time` do not smooth).
const WINDOW_FUNCTIONS: &[&str] = &[
    "avg_over_time",
    "min_over_time",
    "max_over_time",
    "sum_over_time",
    "count_over_time",
    "quantile_over_time",
    "stddev_over_time",
    "stdvar_over_time",
    "mad_over_time",
    "absent_over_time",
];

/// Why `expr` does not need `for`, if it does not. `min_window_ms` is the
/// shortest `*_over_time` window that counts (milliseconds): as long as the
/// `for` the lint would suggest.
pub fn persistence(expr: &Expr, min_window_ms: u64) -> Option<Persistence> {
    let mut found = None;
    let mut event_fn = false;
    let mut rate_fn = false;
    let mut count_fn = false;
    let mut time_call = false;
    let mut countdown_metric = false;
    let mut age = false;
    let mut uptime_metric = false;
    walk(expr, &mut |e| match e {
        Expr::Call(c) if WINDOW_FUNCTIONS.contains(&c.func.name) => {
            let window = c.args.args.first().and_then(|a| window_ms(a));
            if window.is_some_and(|w| w >= min_window_ms) {
                found = found.or(Some(Persistence::Window));
            }
        }
        Expr::Call(c) if matches!(c.func.name, "increase" | "changes" | "resets") => {
            event_fn = true;
            count_fn |= c.func.name != "increase";
        }
        Expr::Call(c) if c.func.name == "rate" => rate_fn = true,
        Expr::Call(c) if c.func.name == "time" => time_call = true,
        Expr::Binary(b)
            if op_str(&b.op) == "-"
                && matches!(super::analysis::unwrap_parens(&b.lhs), Expr::Call(c) if c.func.name == "time") =>
        {
            age = true;
        }
        Expr::VectorSelector(vs) if firing_alerts(vs) => {
            found = found.or(Some(Persistence::FiringAlerts));
        }
        Expr::VectorSelector(_) | Expr::MatrixSelector(_)
            if selector_name(e).is_some_and(is_countdown_name) =>
        {
            countdown_metric = true;
        }
        Expr::VectorSelector(_) | Expr::MatrixSelector(_)
            if selector_name(e).is_some_and(is_uptime_name) =>
        {
            uptime_metric = true;
        }
        _ => {}
    });
    if found.is_some() {
        return found;
    }
    let comparisons = comparisons(expr);
    if event_fn
        && comparisons.iter().any(|(op, n)| {
            (op == ">" && *n >= 0.0 && *n < 1.0)
                || (op == ">=" && *n <= 1.0)
                || (op == "!=" && *n == 0.0)
        })
    {
        return Some(Persistence::Event);
    }
    // `rate(failures_total[5m]) > 0` says "a failure in the last 5
    // minutes" as `increase(…) > 0` does; a threshold above zero on a rate
    // is a level, not an event.
    if rate_fn
        && comparisons
            .iter()
            .any(|(op, n)| (op == ">" || op == "!=") && *n == 0.0)
    {
        return Some(Persistence::Event);
    }
    // `changes`/`resets` count events within their window, so any
    // threshold on them (`changes(status[5m]) > 5`: flapping) is already
    // measured over the window.
    if count_fn && comparisons.iter().any(|(op, _)| op == ">" || op == ">=") {
        return Some(Persistence::Event);
    }
    if uptime_metric && comparisons.iter().any(|(op, _)| op == "<" || op == "<=") {
        return Some(Persistence::RecentRestart);
    }
    if (time_call || countdown_metric) && comparisons.iter().any(|(op, _)| op == "<" || op == "<=")
    {
        return Some(Persistence::Expiry);
    }
    if time_call && comparisons.iter().any(|(op, _)| op == ">" || op == ">=") && countdown_metric {
        return Some(Persistence::Expiry);
    }
    if age && comparisons.iter().any(|(op, _)| op == ">" || op == ">=") {
        return Some(Persistence::Age);
    }
    None
}

/// The window of a range vector argument (a matrix selector or a
/// subquery), in milliseconds.
fn window_ms(e: &Expr) -> Option<u64> {
    match e {
        Expr::MatrixSelector(ms) => Some(ms.range.as_millis() as u64),
        Expr::Subquery(sq) => Some(sq.range.as_millis() as u64),
        Expr::Paren(p) => window_ms(&p.expr),
        _ => None,
    }
}

fn firing_alerts(vs: &VectorSelector) -> bool {
    let name = vs.name.as_deref().or_else(|| {
        vs.matchers
            .matchers
            .iter()
            .find(|m| m.name == "__name__")
            .map(|m| m.value.as_str())
    });
    name == Some("ALERTS")
        && vs
            .matchers
            .matchers
            .iter()
            .any(|m| m.name == "alertstate" && m.value == "firing" && m.op.to_string() == "=")
}

/// Metric names that count down to a deadline.
fn is_countdown_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["expir", "_ttl", "ttl_", "not_after", "notafter", "until"]
        .iter()
        .any(|w| n.contains(w))
}

/// Metric names that measure the time since a start (`sysUpTime`,
/// `hrSystemUptime`, `mysql_global_status_uptime`).
fn is_uptime_name(name: &str) -> bool {
    name.to_ascii_lowercase().contains("uptime")
}

/// Every filtering comparison with a number on one side, as `(op, number)`
/// with the number on the right (`0 < x` is read as `x > 0`).
fn comparisons(expr: &Expr) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    walk(expr, &mut |e| {
        if let Expr::Binary(b) = e
            && b.op.is_comparison_operator()
            && !b.return_bool()
        {
            let op = op_str(&b.op);
            if is_number(&b.rhs) {
                if let Some(n) = number(&b.rhs) {
                    out.push((op, n));
                }
            } else if is_number(&b.lhs)
                && let Some(n) = number(&b.lhs)
            {
                let flipped = match op.as_str() {
                    "<" => ">",
                    "<=" => ">=",
                    ">" => "<",
                    ">=" => "<=",
                    o => o,
                };
                out.push((flipped.to_string(), n));
            }
        }
    });
    out
}

/// The value of a number expression (`0.9`, `86400 * 7`, `-1`).
fn number(e: &Expr) -> Option<f64> {
    match e {
        Expr::NumberLiteral(n) => Some(n.val),
        Expr::Paren(p) => number(&p.expr),
        Expr::Unary(u) => number(&u.expr).map(|v| -v),
        Expr::Binary(b) => {
            let (l, r) = (number(&b.lhs)?, number(&b.rhs)?);
            match op_str(&b.op).as_str() {
                "+" => Some(l + r),
                "-" => Some(l - r),
                "*" => Some(l * r),
                "/" => Some(l / r),
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

    fn p(q: &str) -> Option<Persistence> {
        persistence(&parse(q).expect(q), 5 * 60_000)
    }

    #[test]
    fn windows_of_at_least_the_minimum() {
        assert_eq!(
            p("avg_over_time(gpu_util[10m]) < 0.1"),
            Some(Persistence::Window)
        );
        assert_eq!(p("min_over_time(up[5m]) == 0"), Some(Persistence::Window));
        assert_eq!(
            p("count_over_time((up == 0)[5m:1m]) == 5"),
            Some(Persistence::Window)
        );
        assert_eq!(p("avg_over_time(gpu_util[1m]) < 0.1"), None);
        assert_eq!(p("last_over_time(gpu_util[10m]) < 0.1"), None);
    }

    #[test]
    fn firing_alerts_events_and_countdowns() {
        assert_eq!(
            p(r#"count(ALERTS{alertstate="firing", severity="critical"}) > 5"#),
            Some(Persistence::FiringAlerts)
        );
        assert_eq!(p(r#"count(ALERTS{alertstate="pending"}) > 5"#), None);
        assert_eq!(
            p("increase(training_job_failures_total[10m]) > 0"),
            Some(Persistence::Event)
        );
        assert_eq!(
            p("changes(model_version_info[1h]) >= 1"),
            Some(Persistence::Event)
        );
        assert_eq!(p("changes(ifOperStatus[5m]) > 5"), Some(Persistence::Event));
        assert_eq!(p("increase(errors_total[10m]) > 100"), None);
        assert_eq!(
            p("probe_ssl_earliest_cert_expiry - time() < 86400 * 7"),
            Some(Persistence::Expiry)
        );
        assert_eq!(
            p(
                "time() - max by (job) (kube_job_status_start_time * on (job) group_left kube_job_status_active > 0) > 43200"
            ),
            Some(Persistence::Age)
        );
        assert_eq!(
            p("time() - node_boot_time_seconds < 600"),
            Some(Persistence::Expiry)
        );
        assert_eq!(
            p("kubelet_certificate_manager_client_ttl_seconds < 86400"),
            Some(Persistence::Expiry)
        );
        assert_eq!(
            p("(sysUpTime / 100) < 600"),
            Some(Persistence::RecentRestart)
        );
        assert_eq!(
            p("mysql_global_status_uptime <= 300"),
            Some(Persistence::RecentRestart)
        );
        // A long uptime is a level (a host that was never patched), not an
        // event.
        assert_eq!(p("sysUpTime / 100 > 86400 * 365"), None);
        assert_eq!(p("inference_latency_seconds > 2"), None);
        // `rate(x[5m]) > 0` is `increase(x[5m]) > 0` per second; a level
        // above zero is not an event.
        assert_eq!(p("rate(errors_total[5m]) > 0"), Some(Persistence::Event));
        assert_eq!(p("rate(errors_total[5m]) > 0.05"), None);
    }
}
