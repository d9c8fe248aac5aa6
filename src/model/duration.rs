//! Spanned Prometheus durations of the model: the value in milliseconds with
//! the text as written. Parsing and formatting (`model.ParseDuration`,
//! common/model/time.go) live in [`crate::go::duration`].

use std::fmt;

/// A non-negative duration in milliseconds, with the text it was written as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duration {
    /// Milliseconds.
    pub ms: u64,
    /// The text as written (for messages).
    pub text: String,
}

pub use crate::go::duration::DurationError;

/// Parses `text` as Prometheus' `model.ParseDuration` and keeps the text
/// (see [`crate::go::duration::parse_prometheus`]).
///
/// # Errors
/// [`DurationError`] with Prometheus' wording.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    Ok(Duration {
        ms: crate::go::duration::parse_prometheus(text)?,
        text: text.to_string(),
    })
}

/// Formats milliseconds as Prometheus' `model.Duration.String` (`1h30m`,
/// `0s`); see [`crate::go::duration::format_prometheus`].
pub fn format_ms(ms: u64) -> String {
    crate::go::duration::format_prometheus(ms)
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
    fn keeps_text_and_milliseconds() {
        assert_eq!(
            parse_duration("1h30m"),
            Ok(Duration {
                ms: 5_400_000,
                text: "1h30m".to_string()
            })
        );
        assert_eq!(
            parse_duration("1h30m")
                .map(|d| d.to_string())
                .ok()
                .as_deref(),
            Some("1h30m")
        );
        assert_eq!(parse_duration(""), Err(DurationError::Empty));
        assert_eq!(format_ms(5_400_000), "1h30m");
    }
}
