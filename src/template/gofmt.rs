//! Go's number formatting, as `fmt` and `strconv` print float64 values:
//! `%v` (`1e+06`, `+Inf`), `%.4g` (used by the humanize functions) and
//! `strconv.FormatFloat(v, 'E', -1, 64)` (promtool's sample output).

/// Decimal digits of `v` (no leading/trailing zeros) and the decimal point
/// position: `v = 0.d1d2d3… × 10^dp`. `prec` = significant digits, `None`
/// for the shortest representation that round-trips. `v` must be finite and
/// non-zero.
fn digits(v: f64, prec: Option<usize>) -> (String, i32) {
    let s = match prec {
        Some(p) => format!("{:.*e}", p.saturating_sub(1), v.abs()),
        None => format!("{:e}", v.abs()),
    };
    let (mant, exp) = s.split_once('e').unwrap_or((s.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut d: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    while d.len() > 1 && d.ends_with('0') {
        d.pop();
    }
    (d, exp + 1)
}

fn non_finite(v: f64) -> Option<String> {
    if v.is_nan() {
        Some("NaN".into())
    } else if v == f64::INFINITY {
        Some("+Inf".into())
    } else if v == f64::NEG_INFINITY {
        Some("-Inf".into())
    } else {
        None
    }
}

fn fmt_e(neg: bool, d: &str, dp: i32, prec: usize, upper: bool) -> String {
    // prec = digits after the point.
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    let mut chars = d.chars();
    out.push(chars.next().unwrap_or('0'));
    if prec > 0 {
        out.push('.');
        let rest: String = chars.collect();
        out.push_str(&rest);
        for _ in rest.len()..prec {
            out.push('0');
        }
    }
    out.push(if upper { 'E' } else { 'e' });
    let exp = if d == "0" { 0 } else { dp - 1 };
    out.push(if exp < 0 { '-' } else { '+' });
    let a = exp.unsigned_abs();
    if a < 10 {
        out.push('0');
    }
    out.push_str(&a.to_string());
    out
}

fn fmt_f(neg: bool, d: &str, dp: i32, prec: usize) -> String {
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    let db = d.as_bytes();
    let digit = |i: i32| -> char {
        if i >= 0 && (i as usize) < db.len() {
            db[i as usize] as char
        } else {
            '0'
        }
    };
    if dp > 0 {
        for i in 0..dp {
            out.push(digit(i));
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 0..prec as i32 {
            out.push(digit(dp + i));
        }
    }
    out
}

/// Go's `strconv.FormatFloat(v, 'g', prec, 64)`; `prec = None` is the
/// shortest form (`-1`), which `%v` and `fmt.Sprint` use: `1e+06`, `123456`,
/// `1e-05`, `0.0001`, `+Inf`, `NaN`.
pub fn format_g(v: f64, prec: Option<usize>) -> String {
    if let Some(s) = non_finite(v) {
        return s;
    }
    let neg = v.is_sign_negative();
    if v == 0.0 {
        return if neg { "-0".into() } else { "0".into() };
    }
    let prec = prec.map(|p| p.max(1));
    let (d, dp) = digits(v, prec);
    let nd = d.len() as i32;
    let mut eprec = prec.map(|p| p as i32).unwrap_or(6);
    if let Some(p) = prec {
        if p as i32 > nd && nd >= dp {
            eprec = nd;
        }
    } else {
        eprec = 6;
    }
    let exp = dp - 1;
    let mut p = prec.map(|p| p as i32).unwrap_or(nd);
    if exp < -4 || exp >= eprec {
        if p > nd {
            p = nd;
        }
        return fmt_e(neg, &d, dp, (p - 1).max(0) as usize, false);
    }
    if p > dp {
        p = nd;
    }
    fmt_f(neg, &d, dp, (p - dp).max(0) as usize)
}

/// Go's `%v` / `fmt.Sprint` of a float64.
pub fn format_v(v: f64) -> String {
    format_g(v, None)
}

/// Go's `fmt.Sprintf("%.4g", v)`, as Prometheus' humanize functions print.
pub fn format_4g(v: f64) -> String {
    format_g(v, Some(4))
}

/// Go's `strconv.FormatFloat(v, 'E', -1, 64)`: `1E+00`, `2.9999999999999996E+00`.
pub fn format_e_upper(v: f64) -> String {
    if let Some(s) = non_finite(v) {
        return s;
    }
    let neg = v.is_sign_negative();
    if v == 0.0 {
        return fmt_e(neg, "0", 1, 0, true);
    }
    let (d, dp) = digits(v, None);
    let prec = d.len().saturating_sub(1);
    fmt_e(neg, &d, dp, prec, true)
}

/// Go's `%f` with `prec` digits after the point (non-finite as `+Inf`/`NaN`).
pub fn format_f(v: f64, prec: usize) -> String {
    non_finite(v).unwrap_or_else(|| format!("{v:.prec$}"))
}

/// Go's `time.Duration.String()` of a number of milliseconds:
/// `0s`, `1.5s`, `1m0s`, `72h3m0.5s`, `100ms`.
pub fn go_duration_ms(ms: i64) -> String {
    go_duration_ns(i128::from(ms) * 1_000_000)
}

/// Go's `time.Duration.String()` of a number of nanoseconds.
pub fn go_duration_ns(ns: i128) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let neg = ns < 0;
    let u = ns.unsigned_abs();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if u < 1_000_000_000 {
        // Sub-second: ns, µs or ms with a fraction.
        let (unit, div) = if u < 1_000 {
            ("ns", 1u128)
        } else if u < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        out.push_str(&frac(u, div));
        out.push_str(unit);
        return out;
    }
    let secs_total = u / 1_000_000_000;
    let sub = u % 1_000_000_000;
    let h = secs_total / 3600;
    let m = (secs_total / 60) % 60;
    let s = secs_total % 60;
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    out.push_str(&frac(s * 1_000_000_000 + sub, 1_000_000_000));
    out.push('s');
    out
}

fn frac(v: u128, div: u128) -> String {
    let int = v / div;
    let mut rem = v % div;
    if rem == 0 {
        return int.to_string();
    }
    let mut digits = String::new();
    let mut d = div;
    while rem > 0 && d > 1 {
        d /= 10;
        digits.push(char::from(b'0' + (rem / d) as u8));
        rem %= d;
    }
    while digits.ends_with('0') {
        digits.pop();
    }
    format!("{int}.{digits}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_v_like_go() {
        let cases = [
            (1e6, "1e+06"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5, "1.5"),
            (0.0, "0"),
            (-2.0, "-2"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e21, "1e+21"),
            (100000.0, "100000"),
        ];
        for (v, want) in cases {
            assert_eq!(format_v(v), want, "{v}");
        }
    }

    #[test]
    fn percent_4g_like_go() {
        let cases = [
            (1234.6, "1235"),
            (1234.5, "1234"),
            (1.5, "1.5"),
            (100000.0, "1e+05"),
            (0.0001234, "0.0001234"),
            (0.0, "0"),
            (12.3456, "12.35"),
            (999.99, "1000"),
            (1e-5, "1e-05"),
        ];
        for (v, want) in cases {
            assert_eq!(format_4g(v), want, "{v}");
        }
    }

    #[test]
    fn format_e_upper_like_strconv() {
        assert_eq!(format_e_upper(1.0), "1E+00");
        assert_eq!(format_e_upper(0.0), "0E+00");
        assert_eq!(format_e_upper(2.9999999999999996), "2.9999999999999996E+00");
        assert_eq!(format_e_upper(1704067200.0), "1.7040672E+09");
        assert_eq!(format_e_upper(1.5e-5), "1.5E-05");
        assert_eq!(format_e_upper(f64::INFINITY), "+Inf");
    }

    #[test]
    fn durations_like_go() {
        assert_eq!(go_duration_ms(0), "0s");
        assert_eq!(go_duration_ms(60_000), "1m0s");
        assert_eq!(go_duration_ms(1_500), "1.5s");
        assert_eq!(go_duration_ms(100), "100ms");
        assert_eq!(go_duration_ms(3_600_000), "1h0m0s");
        assert_eq!(go_duration_ms(179_999), "2m59.999s");
    }
}
