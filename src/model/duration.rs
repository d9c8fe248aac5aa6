//! Durations as Prometheus' `model.ParseDuration` reads them (common/model/time.go):
//! `0`, or units `y w d h m s ms` in that order, each at most once, with
//! non-negative integer counts: `1h30m`, `90s`, `1y`. `1.5h`, `-1m`, `30`
//! (no unit) and the empty string are errors. A year is 365 days.

use std::fmt;

/// A non-negative duration in milliseconds, with the text it was written as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duration {
    /// Milliseconds.
    pub ms: u64,
    /// The text as written (for messages).
    pub text: String,
}

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

const UNITS: [(&str, u64); 7] = [
    ("y", 365 * 24 * 3_600_000),
    ("w", 7 * 24 * 3_600_000),
    ("d", 24 * 3_600_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// Parses `text` as Prometheus does.
///
/// # Errors
/// [`DurationError`] with Prometheus' wording.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    if text.is_empty() {
        return Err(DurationError::Empty);
    }
    if text == "0" {
        return Ok(Duration {
            ms: 0,
            text: text.to_string(),
        });
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
        let n: u64 = text[start..i]
            .parse()
            .map_err(|_| DurationError::OutOfRange)?;
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
    Ok(Duration {
        ms: total,
        text: text.to_string(),
    })
}

/// Formats milliseconds as Prometheus prints a model.Duration (`1h30m`, `0s`).
pub fn format_ms(ms: u64) -> String {
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

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
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
            assert_eq!(parse_duration(t).map(|d| d.ms), Ok(ms), "{t}");
        }
    }

    #[test]
    fn rejects_what_prometheus_rejects() {
        for t in [
            "1.5h", "-1m", "30", "1m1h", "1h1h", "h", "1 h", "1H", "5mm", "1µs", "1ns",
        ] {
            assert!(
                matches!(parse_duration(t), Err(DurationError::Invalid(_))),
                "{t}"
            );
        }
        assert_eq!(parse_duration(""), Err(DurationError::Empty));
        assert_eq!(parse_duration("300y"), Err(DurationError::OutOfRange));
        assert_eq!(
            parse_duration("99999999999999999999s"),
            Err(DurationError::OutOfRange)
        );
    }

    #[test]
    fn formats_like_prometheus() {
        assert_eq!(format_ms(5_400_000), "1h30m");
        assert_eq!(format_ms(0), "0s");
        assert_eq!(format_ms(86_400_000), "1d");
    }
}
