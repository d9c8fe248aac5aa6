//! Go's float64 parsing and formatting, as `strconv` and `fmt` do them.
//!
//! * Parsing: [`parse_float`] is `strconv.ParseFloat(s, 64)` (decimal and
//!   hex floats, `Inf`/`Infinity`/`NaN` in any case, `_` digit separators);
//!   [`parse_number`] is PromQL's number literal and promtool's series value
//!   (`strconv.ParseInt(s, 0, 64)`, then `ParseFloat`).
//! * Formatting: `%v` (`1e+06`, `+Inf`), `%.4g` (used by the humanize
//!   functions), `strconv.FormatFloat(v, 'E', -1, 64)` (promtool's sample
//!   output) and `strconv.FormatFloat(v, 'f', -1, 64)` (`count_values`).

/// Why [`parse_float`] or [`parse_number`] rejected a string, as Go's
/// `strconv.ErrSyntax` and `strconv.ErrRange`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloatError {
    /// Not a float in Go syntax.
    Syntax,
    /// Well-formed but beyond ±`f64::MAX` (Go returns ±Inf with `ErrRange`).
    Range,
}

impl FloatError {
    /// Go's `*strconv.NumError` text for `input`:
    /// `strconv.ParseFloat: parsing "x": invalid syntax`.
    pub fn message(self, input: &str) -> String {
        let why = match self {
            FloatError::Syntax => "invalid syntax",
            FloatError::Range => "value out of range",
        };
        format!(
            "strconv.ParseFloat: parsing {}: {why}",
            super::quote::quote(input)
        )
    }
}

/// Go's `underscoreOK`: underscores only between digits, or between a base
/// prefix and a digit. `s` includes the optional sign.
fn underscore_ok(s: &str) -> bool {
    let b = s.strip_prefix(['+', '-']).unwrap_or(s).as_bytes();
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = b[1].eq_ignore_ascii_case(&b'x');
    }
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || (hex && (b'a'..=b'f').contains(&c.to_ascii_lowercase())) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// Go's `special`: `[+-]inf`, `[+-]infinity`, `nan`, any case.
fn special(s: &str) -> Option<f64> {
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest.eq_ignore_ascii_case("inf") || rest.eq_ignore_ascii_case("infinity") {
        return Some(if neg {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    (rest.len() == s.len() && s.eq_ignore_ascii_case("nan")).then_some(f64::NAN)
}

/// Parses `s` as Go's `strconv.ParseFloat(s, 64)` does.
///
/// Accepts decimal floats (`1`, `-1.5e3`, `.5`, `1.`), hexadecimal floats
/// with a mandatory binary exponent (`0x1.8p1`), `Inf`, `+Infinity`, `NaN`
/// (any case; no sign on `NaN`) and `_` between digits (`1_000`). No
/// surrounding whitespace. Decimal input is correctly rounded; hex mantissas
/// longer than 16 digits are rounded with a sticky bit.
///
/// Errors: [`FloatError::Syntax`] for anything else, [`FloatError::Range`]
/// when the value overflows `f64` (Go returns ±Inf and `ErrRange`).
pub fn parse_float(s: &str) -> Result<f64, FloatError> {
    if let Some(v) = special(s) {
        return Ok(v);
    }
    if s.contains('_') && !underscore_ok(s) {
        return Err(FloatError::Syntax);
    }
    let clean: String = s.chars().filter(|&c| c != '_').collect();
    let (neg, body) = match clean.as_bytes().first() {
        Some(b'-') => (true, &clean[1..]),
        Some(b'+') => (false, &clean[1..]),
        _ => (false, clean.as_str()),
    };
    // Bytes, not `&body[..2]`: the third byte may start inside a character.
    let v = if body.len() > 2 && body.as_bytes()[..2].eq_ignore_ascii_case(b"0x") {
        parse_hex_float(&body[2..])?
    } else {
        parse_decimal(body)?
    };
    if v.is_infinite() {
        return Err(FloatError::Range);
    }
    Ok(if neg { -v } else { v })
}

/// A decimal float body without sign: digits, optional `.` and digits (at
/// least one digit in all), optional `e`/`E`, sign and digits.
fn parse_decimal(body: &str) -> Result<f64, FloatError> {
    let b = body.as_bytes();
    let mut i = 0;
    let mut digits = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
        digits += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return Err(FloatError::Syntax);
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return Err(FloatError::Syntax);
        }
    }
    if i != b.len() {
        return Err(FloatError::Syntax);
    }
    body.parse::<f64>().map_err(|_| FloatError::Syntax)
}

/// A hex float body after `0x`: hex digits, optional `.` and hex digits, then
/// a mandatory `p` exponent (as Go's `readFloat` requires for base 16).
fn parse_hex_float(body: &str) -> Result<f64, FloatError> {
    let b = body.as_bytes();
    let mut i = 0;
    let mut mant: u64 = 0;
    let mut sticky = false;
    let mut shift: i64 = 0; // binary exponent adjustment
    let mut digits = 0;
    let mut seen_dot = false;
    while i < b.len() {
        let c = b[i];
        if c == b'.' && !seen_dot {
            seen_dot = true;
            i += 1;
            continue;
        }
        let Some(d) = (c as char).to_digit(16) else {
            break;
        };
        digits += 1;
        if mant >> 60 == 0 {
            mant = (mant << 4) | u64::from(d);
            if seen_dot {
                shift -= 4;
            }
        } else {
            sticky |= d != 0;
            if !seen_dot {
                shift += 4;
            }
        }
        i += 1;
    }
    if digits == 0 || i >= b.len() || (b[i] != b'p' && b[i] != b'P') {
        return Err(FloatError::Syntax);
    }
    let exp_text = &body[i + 1..];
    let exp_digits = exp_text.strip_prefix(['+', '-']).unwrap_or(exp_text);
    if exp_digits.is_empty() || !exp_digits.bytes().all(|c| c.is_ascii_digit()) {
        return Err(FloatError::Syntax);
    }
    // Saturate huge exponents: the result is 0 or infinite either way.
    let exp: i64 = exp_text.parse().unwrap_or(if exp_text.starts_with('-') {
        -100_000
    } else {
        100_000
    });
    if sticky {
        mant |= 1;
    }
    let total = exp.saturating_add(shift).clamp(-100_000, 100_000);
    let mut v = mant as f64;
    // Scale in steps that stay representable.
    let mut e = total;
    while e > 0 {
        let step = e.min(1000);
        v *= 2f64.powi(step as i32);
        e -= step;
    }
    while e < 0 {
        let step = (-e).min(1000);
        v /= 2f64.powi(step as i32);
        e += step;
    }
    Ok(v)
}

/// Go's `strconv.ParseInt(s, 0, 64)`: optional sign, base prefix `0x`, `0o`,
/// `0b` or a leading `0` (octal), `_` between digits. `None` on a syntax or
/// range error.
pub fn parse_int_base0(s: &str) -> Option<i64> {
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let body = body.replace('_', "");
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let mag = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        0i64.checked_sub_unsigned(mag)
    } else {
        i64::try_from(mag).ok()
    }
}

/// A number as PromQL's `parseNumber` reads it (number literals, promtool
/// series values): `strconv.ParseInt(s, 0, 64)` first (`0x1f`, `017`), then
/// [`parse_float`].
///
/// Errors: the [`parse_float`] error when neither accepts `s`.
pub fn parse_number(s: &str) -> Result<f64, FloatError> {
    match parse_int_base0(s) {
        Some(n) => Ok(n as f64),
        None => parse_float(s),
    }
}

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

/// Go's `strconv.FormatFloat(v, 'f', -1, 64)`: the shortest decimal that
/// round-trips, never an exponent (`1000000`, `0.000001`, `+Inf`, `NaN`).
pub fn format_f_shortest(v: f64) -> String {
    non_finite(v).unwrap_or_else(|| format!("{v}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multibyte_character_after_two_bytes_is_an_error_not_a_panic() {
        // Found by the `series` fuzz target: `body[..2]` sliced inside `ڠ`.
        assert!(parse_float(";ڠ").is_err());
        assert!(parse_float("0ڠ").is_err());
        assert!(parse_float("-0xڠ").is_err());
    }

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
    fn parse_float_like_go() {
        let ok: &[(&str, f64)] = &[
            ("1", 1.0),
            ("-1.5e3", -1500.0),
            (".5", 0.5),
            ("1.", 1.0),
            ("1_000.5", 1000.5),
            ("0x1p4", 16.0),
            ("0x1.8p1", 3.0),
            ("-0X_1p-2", -0.25),
            ("1e-400", 0.0),
            ("+Inf", f64::INFINITY),
            ("-infinity", f64::NEG_INFINITY),
            ("INF", f64::INFINITY),
        ];
        for (s, v) in ok {
            assert_eq!(parse_float(s), Ok(*v), "{s}");
        }
        assert!(parse_float("NaN").is_ok_and(f64::is_nan));
        assert!(parse_float("nan").is_ok_and(f64::is_nan));
        for s in [
            "", " 1", "1 ", "+nan", "0x10", "1__0", "_1", "1_", "1_.5", "e5", "1e", "0x", "1x",
            "infinit", "0x1p", "--1",
        ] {
            assert_eq!(parse_float(s), Err(FloatError::Syntax), "{s:?}");
        }
        assert_eq!(parse_float("1e400"), Err(FloatError::Range));
        assert_eq!(
            FloatError::Syntax.message("a\"b"),
            r#"strconv.ParseFloat: parsing "a\"b": invalid syntax"#
        );
    }

    #[test]
    fn parse_number_like_promql() {
        assert_eq!(parse_number("0x1f"), Ok(31.0));
        assert_eq!(parse_number("017"), Ok(15.0));
        assert_eq!(parse_number("-0b101"), Ok(-5.0));
        assert_eq!(parse_number("1_000"), Ok(1000.0));
        assert_eq!(
            parse_number("089"),
            Ok(89.0),
            "not octal: ParseFloat reads it"
        );
        assert_eq!(parse_number("1e3"), Ok(1000.0));
        assert_eq!(parse_number("0x"), Err(FloatError::Syntax));
        assert_eq!(parse_int_base0("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_int_base0("9223372036854775808"), None);
    }

    #[test]
    fn format_f_shortest_like_strconv() {
        assert_eq!(format_f_shortest(1e21), "1000000000000000000000");
        assert_eq!(format_f_shortest(0.000001), "0.000001");
        assert_eq!(format_f_shortest(-2.5), "-2.5");
        assert_eq!(format_f_shortest(f64::NEG_INFINITY), "-Inf");
    }
}
