//! Series notation shared by promqltest `load` blocks and rule unit tests:
//! `metric{label="value"} 1 2+3x4 _ _x3 stale 5x2 -1-1x3 Inf NaN`.

use super::labels::{Labels, METRIC_NAME};

/// One value of an expanded sequence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SeqValue {
    /// A float sample.
    Value(f64),
    /// No sample at this step (`_`).
    Omitted,
    /// A staleness marker (`stale`).
    Stale,
}

/// Errors while reading series notation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct SeriesDescError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, SeriesDescError> {
    Err(SeriesDescError(msg.into()))
}

/// Parses a float as Prometheus' series notation does (`parseNumber`:
/// `strconv.ParseInt(s, 0, 64)`, then `strconv.ParseFloat`; `Inf`, `NaN`,
/// `0x1f`, `017`, exponents, `_` separators). Surrounding whitespace is
/// ignored. See [`crate::go::float::parse_number`].
pub fn parse_number(s: &str) -> Option<f64> {
    crate::go::float::parse_number(s.trim()).ok()
}

/// Unquotes a Go/PromQL string literal (`"..."`, `'...'` or `` `...` ``) at
/// the start of `s`, as Prometheus' `strutil.Unquote` (see
/// [`crate::go::quote::unquote_promql`]). Returns the value and the number of
/// bytes consumed.
pub fn unquote_prefix(s: &str) -> Result<(String, usize), SeriesDescError> {
    let b = s.as_bytes();
    let q = match b.first() {
        Some(&q @ (b'"' | b'\'' | b'`')) => q,
        _ => return err("expected string"),
    };
    let mut i = 1;
    while i < b.len() && b[i] != q {
        if b[i] == b'\\' && q != b'`' {
            i += 1;
        }
        i += 1;
    }
    if i >= b.len() {
        return err(if q == b'`' {
            "unterminated raw string"
        } else {
            "unterminated string"
        });
    }
    let lit = s
        .get(..=i)
        .ok_or_else(|| SeriesDescError("invalid string".into()))?;
    match crate::go::quote::unquote_promql(lit) {
        Some(v) => Ok((v, i + 1)),
        None => err("invalid escape"),
    }
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == ':'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

/// Parses `name{labels}` at the start of `s`; returns labels and the rest.
pub fn parse_metric(s: &str) -> Result<(Labels, &str), SeriesDescError> {
    let s = s.trim_start();
    let mut labels = Labels::empty();
    let mut rest = s;
    let name_len = s
        .char_indices()
        .take_while(|&(i, c)| {
            if i == 0 {
                is_name_start(c)
            } else {
                is_name_char(c)
            }
        })
        .map(|(i, c)| i + c.len_utf8())
        .last()
        .unwrap_or(0);
    if name_len > 0 {
        labels.set(METRIC_NAME, &s[..name_len]);
        rest = &s[name_len..];
    }
    if let Some(r) = rest.strip_prefix('{') {
        rest = r;
        loop {
            rest = rest.trim_start();
            if let Some(r) = rest.strip_prefix('}') {
                rest = r;
                break;
            }
            // Label name: identifier or quoted string.
            let (lname, r) = if rest.starts_with(['"', '\'', '`']) {
                let (v, n) = unquote_prefix(rest)?;
                (v, &rest[n..])
            } else {
                let n = rest
                    .char_indices()
                    .take_while(|&(_, c)| c.is_ascii_alphanumeric() || c == '_')
                    .map(|(i, c)| i + c.len_utf8())
                    .last()
                    .unwrap_or(0);
                if n == 0 {
                    return err(format!("unexpected character in label matchers: {rest}"));
                }
                (rest[..n].to_string(), &rest[n..])
            };
            let r = r.trim_start();
            if let Some(r2) = r.strip_prefix('=') {
                let r2 = r2.trim_start();
                let (v, n) = unquote_prefix(r2)?;
                labels.set(lname, v);
                rest = &r2[n..];
            } else {
                // A bare quoted string is the metric name.
                labels.set(METRIC_NAME, lname);
                rest = r;
            }
            rest = rest.trim_start();
            if let Some(r) = rest.strip_prefix(',') {
                rest = r;
            }
        }
    }
    if labels.is_empty() && name_len == 0 && !s.starts_with('{') {
        return err(format!("expected metric: {s}"));
    }
    Ok((labels, rest))
}

/// Most values one series line may expand to (`axN` notation): ~12 weeks of
/// 15s samples, far beyond any unit test, and 80 MB at most.
pub const MAX_VALUES: u64 = 5_000_000;

/// Expands a values string (`1 2+3x4 _x2 stale`) into a sequence.
///
/// # Errors
/// Invalid tokens, native histograms, or more than [`MAX_VALUES`] values.
pub fn parse_values(s: &str) -> Result<Vec<SeqValue>, SeriesDescError> {
    let mut out = Vec::new();
    // `1x99999999999` must be an error, not an allocation that aborts the process.
    let room = |out: &Vec<SeqValue>, n: u64, tok: &str| -> Result<(), SeriesDescError> {
        if (out.len() as u64).saturating_add(n) > MAX_VALUES {
            return err(format!(
                "{tok}: a series may expand to at most {MAX_VALUES} values"
            ));
        }
        Ok(())
    };
    for tok in s.split_whitespace() {
        if tok == "_" {
            out.push(SeqValue::Omitted);
            continue;
        }
        if tok == "stale" {
            out.push(SeqValue::Stale);
            continue;
        }
        if let Some(n) = tok.strip_prefix("_x") {
            let n: u64 = n
                .parse()
                .map_err(|_| SeriesDescError(format!("invalid repetition in {tok}")))?;
            room(&out, n, tok)?;
            out.extend(std::iter::repeat_n(SeqValue::Omitted, n as usize));
            continue;
        }
        if tok.starts_with("{{") {
            return err("native histograms are not supported");
        }
        let (head, times) = match tok.rfind('x') {
            Some(i)
                if i > 0
                    && i + 1 < tok.len()
                    && tok[i + 1..].bytes().all(|b| b.is_ascii_digit()) =>
            {
                (&tok[..i], Some(&tok[i + 1..]))
            }
            _ => (tok, None),
        };
        let Some(times) = times else {
            let v =
                parse_number(tok).ok_or_else(|| SeriesDescError(format!("invalid value {tok}")))?;
            out.push(SeqValue::Value(v));
            continue;
        };
        let n: u64 = times
            .parse()
            .map_err(|_| SeriesDescError(format!("invalid repetition in {tok}")))?;
        // Split head into start and signed step (the sign after position 0).
        let bytes = head.as_bytes();
        let mut split = None;
        for i in 1..bytes.len() {
            if (bytes[i] == b'+' || bytes[i] == b'-') && !matches!(bytes[i - 1], b'e' | b'E') {
                split = Some(i);
            }
        }
        let (start, step) = match split {
            Some(i) => {
                let a = parse_number(&head[..i])
                    .ok_or_else(|| SeriesDescError(format!("invalid value {tok}")))?;
                let b = parse_number(&head[i..])
                    .ok_or_else(|| SeriesDescError(format!("invalid value {tok}")))?;
                (a, b)
            }
            None => (
                parse_number(head)
                    .ok_or_else(|| SeriesDescError(format!("invalid value {tok}")))?,
                0.0,
            ),
        };
        room(&out, n.saturating_add(1), tok)?;
        let mut v = start;
        for _ in 0..=n {
            out.push(SeqValue::Value(v));
            v += step;
        }
    }
    Ok(out)
}

/// Parses a full series line: metric then values.
pub fn parse_series_line(line: &str) -> Result<(Labels, Vec<SeqValue>), SeriesDescError> {
    let (labels, rest) = parse_metric(line)?;
    Ok((labels, parse_values(rest)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_sequences() {
        let (l, v) =
            parse_series_line(r#"foo{a="b"} 1+1x2 _ stale 5x1 _x2 -1-1x1"#).unwrap_or_default();
        assert_eq!(l.to_string(), r#"{__name__="foo", a="b"}"#);
        use SeqValue::*;
        assert_eq!(
            v,
            vec![
                Value(1.0),
                Value(2.0),
                Value(3.0),
                Omitted,
                Stale,
                Value(5.0),
                Value(5.0),
                Omitted,
                Omitted,
                Value(-1.0),
                Value(-2.0)
            ]
        );
    }

    #[test]
    fn accumulates_like_prometheus() {
        let (_, v) = parse_series_line("x 0+0.1x3").unwrap_or_default();
        let mut acc = 0.0;
        let mut want = vec![];
        for _ in 0..4 {
            want.push(SeqValue::Value(acc));
            acc += 0.1;
        }
        assert_eq!(v, want);
    }
}

#[cfg(test)]
mod expansion_limit_tests {
    use super::*;

    #[test]
    fn huge_repetitions_are_errors_not_allocations() {
        assert!(parse_values("1x99999999999").is_err());
        assert!(parse_values("_x99999999999").is_err());
        assert!(parse_values("1+1x18446744073709551615").is_err());
        assert_eq!(parse_values("1x3 _x2").map(|v| v.len()), Ok(6));
        // Exactly MAX_VALUES values is allowed, one more is not
        // (`1xN` is N + 1 values).
        let at = format!("1x{}", MAX_VALUES - 1);
        assert_eq!(parse_values(&at).map(|v| v.len() as u64), Ok(MAX_VALUES));
        assert!(parse_values(&format!("1x{MAX_VALUES}")).is_err());
    }
}
