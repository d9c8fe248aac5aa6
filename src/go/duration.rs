//! Durations as Go and Prometheus read and print them.
//!
//! * Prometheus' `model.ParseDuration` / `model.Duration.String`
//!   (common/model/time.go), used by rule files (`for`, `interval`),
//!   Alertmanager configs and promtool unit tests: `0`, or units
//!   `y w d h m s ms` in that order, each at most once, with non-negative
//!   integer counts: `1h30m`, `90s`, `1y`. `1.5h`, `-1m`, `30` (no unit) and
//!   the empty string are errors. A year is 365 days. Values are milliseconds.
//! * Go's `time.ParseDuration` and `time.Duration.String`: signed, decimal
//!   fractions, units `ns us µs ms s m h` in any order (`1.5h`, `-2m3s`).
//!   Values are nanoseconds.

/// Why a duration string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// `""`.
    #[error("empty duration string")]
    Empty,
    /// Anything that is not the grammar above.
    #[error("not a valid duration string: {0:?}")]
    Invalid(String),
    /// Larger than Go's time.Duration holds (~292 years).
    #[error("duration out of range")]
    OutOfRange,
}

/// Prometheus' units, largest first, in milliseconds.
const UNITS: [(&str, u64); 7] = [
    ("y", 365 * 24 * 3_600_000),
    ("w", 7 * 24 * 3_600_000),
    ("d", 24 * 3_600_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// Parses `text` as Prometheus' `model.ParseDuration`, in milliseconds.
///
/// # Errors
/// [`DurationError`] with Prometheus' wording.
pub fn parse_prometheus(text: &str) -> Result<u64, DurationError> {
    if text.is_empty() {
        return Err(DurationError::Empty);
    }
    if text == "0" {
        return Ok(0);
    }
    let invalid = || DurationError::Invalid(text.to_string());
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut next_unit = 0; // index into UNITS: units must appear in order
    let mut total: u64 = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return Err(invalid());
        }
        // Go's ParseUint fails on overflow: "not a valid duration string".
        let n: u64 = text[start..i].parse().map_err(|_| invalid())?;
        let ustart = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let unit = &text[ustart..i];
        let pos = UNITS[next_unit..]
            .iter()
            .position(|(u, _)| *u == unit)
            .ok_or_else(invalid)?;
        let (_, mult) = UNITS[next_unit + pos];
        next_unit += pos + 1;
        total = n
            .checked_mul(mult)
            .and_then(|v| total.checked_add(v))
            .ok_or(DurationError::OutOfRange)?;
    }
    // Go's time.Duration is int64 nanoseconds.
    if total > (i64::MAX as u64) / 1_000_000 {
        return Err(DurationError::OutOfRange);
    }
    Ok(total)
}

/// Formats milliseconds as Prometheus' `model.Duration.String` (`1h30m`, `0s`).
pub fn format_prometheus(ms: u64) -> String {
    if ms == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    let mut rest = ms;
    for (unit, mult) in UNITS {
        if rest >= mult {
            out.push_str(&format!("{}{unit}", rest / mult));
            rest %= mult;
        }
    }
    out
}

/// Why Go's `time.ParseDuration` rejected a string; `Display` prints
/// Go's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GoDurationError {
    /// `time: invalid duration "TEXT"` (syntax, or beyond ±292 years).
    #[error("time: invalid duration \"{0}\"")]
    Invalid(String),
    /// `time: missing unit in duration "TEXT"`.
    #[error("time: missing unit in duration \"{0}\"")]
    MissingUnit(String),
    /// `time: unknown unit "UNIT" in duration "TEXT"`.
    #[error("time: unknown unit \"{unit}\" in duration \"{text}\"")]
    UnknownUnit {
        /// The unit as written.
        unit: String,
        /// The whole duration text.
        text: String,
    },
}

/// Parses `text` as Go's `time.ParseDuration`, in nanoseconds.
///
/// Grammar: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+` or `0`, units `ns`, `us`, `µs`
/// (U+00B5), `μs` (U+03BC), `ms`, `s`, `m`, `h`. Errors carry Go's wording
/// (Go quotes the text with `strconv.Quote`; we print it as is).
pub fn parse_go(text: &str) -> Result<i64, GoDurationError> {
    let invalid = || GoDurationError::Invalid(text.to_string());
    let mut s = text;
    let mut neg = false;
    if let Some(c) = s.chars().next().filter(|c| *c == '-' || *c == '+') {
        neg = c == '-';
        s = &s[1..];
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    const LIMIT: u64 = 1 << 63;
    let mut total: u64 = 0;
    while !s.is_empty() {
        let b = s.as_bytes();
        if !(b[0] == b'.' || b[0].is_ascii_digit()) {
            return Err(invalid());
        }
        let int_len = b.iter().take_while(|c| c.is_ascii_digit()).count();
        let pre = int_len > 0;
        let mut v: u64 = 0;
        for &c in &b[..int_len] {
            v = v
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(c - b'0')))
                .filter(|v| *v <= LIMIT)
                .ok_or_else(invalid)?;
        }
        let mut i = int_len;
        let mut frac: u64 = 0;
        let mut scale: f64 = 1.0;
        let mut post = false;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            let mut overflow = false;
            while i < b.len() && b[i].is_ascii_digit() {
                if !overflow {
                    match frac
                        .checked_mul(10)
                        .and_then(|f| f.checked_add(u64::from(b[i] - b'0')))
                    {
                        Some(f) if f <= LIMIT => {
                            frac = f;
                            scale *= 10.0;
                        }
                        _ => overflow = true,
                    }
                }
                i += 1;
            }
            post = i > start;
        }
        if !pre && !post {
            return Err(invalid());
        }
        let unit_len = s[i..]
            .char_indices()
            .find(|(_, c)| *c == '.' || c.is_ascii_digit())
            .map_or(s.len() - i, |(n, _)| n);
        if unit_len == 0 {
            return Err(GoDurationError::MissingUnit(text.to_string()));
        }
        let unit = &s[i..i + unit_len];
        let mult: u64 = match unit {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(GoDurationError::UnknownUnit {
                    unit: unit.to_string(),
                    text: text.to_string(),
                });
            }
        };
        v = v
            .checked_mul(mult)
            .filter(|v| *v <= LIMIT)
            .ok_or_else(invalid)?;
        if frac > 0 {
            // As Go: float64 arithmetic for the fractional part.
            let f = (frac as f64 * (mult as f64 / scale)) as u64;
            v = v
                .checked_add(f)
                .filter(|v| *v <= LIMIT)
                .ok_or_else(invalid)?;
        }
        total = total
            .checked_add(v)
            .filter(|v| *v <= LIMIT)
            .ok_or_else(invalid)?;
        s = &s[i + unit_len..];
    }
    if neg {
        return 0i64.checked_sub_unsigned(total).ok_or_else(invalid);
    }
    i64::try_from(total).map_err(|_| invalid())
}

/// Go's `time.Duration.String()` of a number of milliseconds:
/// `0s`, `1.5s`, `1m0s`, `72h3m0.5s`, `100ms`.
pub fn format_go_ms(ms: i64) -> String {
    format_go_ns(i128::from(ms) * 1_000_000)
}

/// Go's `time.Duration.String()` of a number of nanoseconds.
pub fn format_go_ns(ns: i128) -> String {
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
    fn accepts_prometheus_durations() {
        let ok = [
            ("0", 0),
            ("1h30m", 5_400_000),
            ("90s", 90_000),
            ("1y", 31_536_000_000),
            ("2w1d", 1_296_000_000),
            ("100ms", 100),
            ("1m1s1ms", 61_001),
            ("0s", 0),
        ];
        for (t, ms) in ok {
            assert_eq!(parse_prometheus(t), Ok(ms), "{t}");
        }
    }

    #[test]
    fn rejects_what_prometheus_rejects() {
        for t in [
            "1.5h", "-1m", "30", "1m1h", "1h1h", "h", "1 h", "1H", "5mm", "1µs", "1ns",
        ] {
            assert!(
                matches!(parse_prometheus(t), Err(DurationError::Invalid(_))),
                "{t}"
            );
        }
        assert_eq!(parse_prometheus(""), Err(DurationError::Empty));
        assert_eq!(parse_prometheus("300y"), Err(DurationError::OutOfRange));
        // Go's ParseUint overflows: Prometheus calls it not valid.
        assert!(matches!(
            parse_prometheus("99999999999999999999s"),
            Err(DurationError::Invalid(_))
        ));
    }

    #[test]
    fn formats_like_prometheus() {
        assert_eq!(format_prometheus(5_400_000), "1h30m");
        assert_eq!(format_prometheus(0), "0s");
        assert_eq!(format_prometheus(86_400_000), "1d");
    }

    #[test]
    fn durations_like_go() {
        assert_eq!(format_go_ms(0), "0s");
        assert_eq!(format_go_ms(60_000), "1m0s");
        assert_eq!(format_go_ms(1_500), "1.5s");
        assert_eq!(format_go_ms(100), "100ms");
        assert_eq!(format_go_ms(3_600_000), "1h0m0s");
        assert_eq!(format_go_ms(179_999), "2m59.999s");
    }

    #[test]
    fn parse_go_like_time_parse_duration() {
        let ok: &[(&str, i64)] = &[
            ("0", 0),
            ("1h30m", 5_400_000_000_000),
            ("1.5h", 5_400_000_000_000),
            ("-1m", -60_000_000_000),
            ("+5s", 5_000_000_000),
            ("100ms", 100_000_000),
            ("1us", 1_000),
            ("1µs", 1_000),
            ("1μs", 1_000),
            ("3ns", 3),
            (".5s", 500_000_000),
            ("1.s", 1_000_000_000),
            ("1h1h", 7_200_000_000_000),
            ("2562047h47m16.854775807s", i64::MAX),
        ];
        for (s, ns) in ok {
            assert_eq!(parse_go(s), Ok(*ns), "{s}");
        }
        let msg = |s: &str| parse_go(s).err().map(|e| e.to_string());
        assert_eq!(msg(""), Some(r#"time: invalid duration """#.to_string()));
        assert_eq!(
            msg("1"),
            Some(r#"time: missing unit in duration "1""#.to_string())
        );
        assert_eq!(
            msg("1d"),
            Some(r#"time: unknown unit "d" in duration "1d""#.to_string())
        );
        assert_eq!(msg("."), Some(r#"time: invalid duration ".""#.to_string()));
        assert_eq!(
            msg("2562048h"),
            Some(r#"time: invalid duration "2562048h""#.to_string())
        );
    }
}
