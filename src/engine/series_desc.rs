//! Series notation shared by promqltest `load` blocks and rule unit tests:
//! `metric{label="value"} 1 2+3x4 _ _x3 stale 5x2 -1-1x3 Inf NaN`, and
//! native histograms as `{{schema:0 sum:5 count:4 buckets:[1 2 1]}}`,
//! `{{...}}x3` and `{{...}}+{{...}}x3` (Prometheus' promqltest notation,
//! read by [`super::native::parse_notation`]).

use std::sync::Arc;

use super::labels::{Labels, METRIC_NAME};
use super::native::{FloatHistogram, parse_notation};

/// One value of an expanded sequence.
#[derive(Debug, Clone, PartialEq)]
pub enum SeqValue {
    /// A float sample.
    Value(f64),
    /// A native histogram sample.
    Histogram(Arc<FloatHistogram>),
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

/// Most values one series line may expand to through [`parse_values`]
/// (promqltest `load` blocks, which hold every value at once): ~12 weeks of
/// 15s samples, far beyond any test, and 80 MB at most. Unit-test input
/// reads [`parse_runs`] instead and is not bound by it.
pub const MAX_VALUES: u64 = 5_000_000;

/// One token of series notation, unexpanded: `count` values starting at
/// `first` and `step` apart (`a+bxN` is N + 1 values, `axN` has step 0, a
/// plain number is one value), `count` omitted steps (`_`, `_xN`), or one
/// staleness marker (`stale`). Ten million samples (`0x10000000`) cost one
/// run. Values are accumulated by repeated addition, as Prometheus'
/// `parseSeriesDesc` does (`0.1+0.1x9` ends at 0.9999999999999999);
/// histogram runs add (or subtract) their step histogram once per value,
/// as promqltest's `histogramsSeries`.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// The first value: [`SeqValue::Value`], [`SeqValue::Histogram`],
    /// [`SeqValue::Omitted`] or [`SeqValue::Stale`].
    pub first: SeqValue,
    /// What each further value adds (0 for omitted and stale runs).
    pub step: f64,
    /// What each further histogram value adds (`{{a}}+{{b}}xN`; already
    /// negated for `{{a}}-{{b}}xN`), `None` when the histogram repeats.
    pub hstep: Option<Arc<FloatHistogram>>,
    /// How many values (time steps) the run covers, at least 1.
    pub count: u64,
}

impl Run {
    /// The run's values in order, accumulated as Prometheus does.
    pub fn values(self) -> impl Iterator<Item = SeqValue> {
        let mut v = match self.first {
            SeqValue::Value(x) => x,
            _ => 0.0,
        };
        let mut h = match &self.first {
            SeqValue::Histogram(h) => Some(h.clone()),
            _ => None,
        };
        (0..self.count).map(move |i| match &self.first {
            SeqValue::Value(_) => {
                let out = SeqValue::Value(v);
                v += self.step;
                out
            }
            SeqValue::Histogram(first) => {
                let cur = h.get_or_insert_with(|| first.clone());
                if i > 0
                    && let Some(step) = &self.hstep
                {
                    let mut next = (**cur).clone();
                    // Layouts were checked when the run was read.
                    let _ = next.add(step);
                    *cur = Arc::new(next);
                }
                SeqValue::Histogram(cur.clone())
            }
            other => other.clone(),
        })
    }

    /// How many of the run's values are samples (values or staleness markers).
    pub fn samples(&self) -> u64 {
        match self.first {
            SeqValue::Omitted => 0,
            _ => self.count,
        }
    }
}

/// Reads a values string (`1 2+3x4 _x2 stale`) as runs, without expanding
/// it: any repetition count up to `u64::MAX` costs one [`Run`].
///
/// # Errors
/// Invalid tokens or repetitions, native histograms.
pub fn parse_runs(s: &str) -> Result<Vec<Run>, SeriesDescError> {
    let mut out = Vec::new();
    let run = |first, step, count| Run {
        first,
        step,
        hstep: None,
        count,
    };
    for tok in tokens(s) {
        if tok == "_" {
            out.push(run(SeqValue::Omitted, 0.0, 1));
            continue;
        }
        if tok == "stale" {
            out.push(run(SeqValue::Stale, 0.0, 1));
            continue;
        }
        if let Some(n) = tok.strip_prefix("_x") {
            let n: u64 = n
                .parse()
                .map_err(|_| SeriesDescError(format!("invalid repetition in {tok}")))?;
            if n > 0 {
                out.push(run(SeqValue::Omitted, 0.0, n));
            }
            continue;
        }
        if tok.starts_with("{{") {
            out.push(histogram_run(tok)?);
            continue;
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
            out.push(run(SeqValue::Value(v), 0.0, 1));
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
        let count = n
            .checked_add(1)
            .ok_or_else(|| SeriesDescError(format!("invalid repetition in {tok}")))?;
        out.push(run(SeqValue::Value(start), step, count));
    }
    Ok(out)
}

/// Splits a values string at whitespace outside `{{...}}`.
fn tokens(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = s;
    std::iter::from_fn(move || {
        rest = rest.trim_start();
        if rest.is_empty() {
            return None;
        }
        let b = rest.as_bytes();
        let mut i = 0;
        while i < b.len() && !b[i].is_ascii_whitespace() {
            if b[i..].starts_with(b"{{") {
                i = match rest[i..].find("}}") {
                    Some(j) => i + j + 2,
                    None => b.len(),
                };
            } else {
                i += 1;
            }
        }
        let (tok, r) = rest.split_at(i);
        rest = r;
        Some(tok)
    })
}

/// Reads `{{a}}`, `{{a}}xN`, `{{a}}+{{b}}xN` or `{{a}}-{{b}}xN`.
fn histogram_run(tok: &str) -> Result<Run, SeriesDescError> {
    let bad = |m: &str| SeriesDescError(format!("invalid histogram {tok}: {m}"));
    let one = |t: &str| -> Result<(FloatHistogram, usize), SeriesDescError> {
        let end = t.find("}}").ok_or_else(|| bad("missing '}}'"))?;
        let h = parse_notation(&t[2..end]).map_err(|e| bad(&e.0))?;
        Ok((h, end + 2))
    };
    let (first, n) = one(tok)?;
    let rest = &tok[n..];
    if rest.is_empty() {
        return Ok(Run {
            first: SeqValue::Histogram(Arc::new(first)),
            step: 0.0,
            hstep: None,
            count: 1,
        });
    }
    let times = |t: &str| -> Result<u64, SeriesDescError> {
        let n: u64 = t
            .strip_prefix('x')
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| bad("expected xN"))?;
        n.checked_add(1).ok_or_else(|| bad("repetition too large"))
    };
    let (hstep, count) = match rest.as_bytes()[0] {
        sign @ (b'+' | b'-') if rest[1..].starts_with("{{") => {
            let (mut step, m) = one(&rest[1..])?;
            if sign == b'-' {
                step.mul(-1.0);
            }
            if first.uses_custom_buckets() != step.uses_custom_buckets()
                || (!first.uses_custom_buckets() && first.schema > step.schema)
            {
                return Err(bad(&format!(
                    "cannot merge from schema {} to {}",
                    first.schema, step.schema
                )));
            }
            (Some(Arc::new(step)), times(&rest[1 + m..])?)
        }
        _ => (None, times(rest)?),
    };
    Ok(Run {
        first: SeqValue::Histogram(Arc::new(first)),
        step: 0.0,
        hstep,
        count,
    })
}

/// Expands a values string (`1 2+3x4 _x2 stale`) into a sequence.
///
/// # Errors
/// Invalid tokens (a malformed `{{...}}` histogram included), or more than
/// [`MAX_VALUES`] values.
pub fn parse_values(s: &str) -> Result<Vec<SeqValue>, SeriesDescError> {
    let runs = parse_runs(s)?;
    let mut total: u64 = 0;
    // `1x99999999999` must be an error, not an allocation that aborts the process.
    for (r, tok) in runs.iter().zip(tokens(s)) {
        total = total.saturating_add(r.count);
        if total > MAX_VALUES {
            return err(format!(
                "{tok}: a series may expand to at most {MAX_VALUES} values"
            ));
        }
    }
    let mut out = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    for r in runs {
        out.extend(r.values());
    }
    Ok(out)
}

/// Parses a full series line: metric then values.
pub fn parse_series_line(line: &str) -> Result<(Labels, Vec<SeqValue>), SeriesDescError> {
    let (labels, rest) = parse_metric(line)?;
    Ok((labels, parse_values(rest)?))
}

/// Parses a full series line as [`parse_runs`] reads its values.
///
/// # Errors
/// As [`parse_metric`] and [`parse_runs`].
pub fn parse_series_runs(line: &str) -> Result<(Labels, Vec<Run>), SeriesDescError> {
    let (labels, rest) = parse_metric(line)?;
    Ok((labels, parse_runs(rest)?))
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

    #[test]
    fn runs_hold_any_count_in_one_run() {
        let r = parse_runs("0x10000000 _x3 stale 1+2x18446744073709551614").unwrap_or_default();
        assert_eq!(r.len(), 4);
        assert_eq!(r[0].count, 10_000_001);
        assert_eq!(r[0].samples(), 10_000_001);
        assert_eq!((r[1].count, r[1].samples()), (3, 0));
        assert_eq!(r[2].first, SeqValue::Stale);
        assert_eq!(r[3].count, u64::MAX);
        // `a+bxN` with N = u64::MAX has no count.
        assert!(parse_runs("1+1x18446744073709551615").is_err());
        // The runs expand to what parse_values gives.
        let text = "1+1x2 _ stale 5x1 _x2 -1-1x1 0.1+0.1x9";
        let expanded: Vec<SeqValue> = parse_runs(text)
            .unwrap_or_default()
            .into_iter()
            .flat_map(Run::values)
            .collect();
        assert_eq!(Ok(expanded), parse_values(text));
    }
}
