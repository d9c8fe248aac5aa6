//! Alertmanager label matchers (interim: replaced by the full classic/UTF-8
//! parser implementation).

use std::fmt;

/// `=`, `!=`, `=~`, `!~`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchType {
    /// `=`
    Equal,
    /// `!=`
    NotEqual,
    /// `=~`
    Regexp,
    /// `!~`
    NotRegexp,
}

/// A label matcher; regexes are anchored (`^(?:value)$`) as Alertmanager does.
#[derive(Debug, Clone)]
pub struct Matcher {
    /// Label name.
    pub name: String,
    /// Operator.
    pub op: MatchType,
    /// Value or (unanchored) regex.
    pub value: String,
    re: Option<regex::Regex>,
}

/// A matcher that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct MatcherError {
    /// What is wrong.
    pub message: String,
    /// Byte range in the input, when known.
    pub offset: Option<std::ops::Range<usize>>,
}

/// Which parser to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParserMode {
    /// pkg/labels.
    Classic,
    /// matcher/parse.
    Utf8,
    /// UTF-8 first, classic when that fails (Alertmanager's default).
    Fallback,
}

impl Matcher {
    /// A matcher; compiles the anchored regex for `=~`/`!~`.
    ///
    /// # Errors
    /// The regex does not compile.
    pub fn new(name: &str, op: MatchType, value: &str) -> Result<Matcher, MatcherError> {
        let re = match op {
            MatchType::Regexp | MatchType::NotRegexp => Some(
                regex::RegexBuilder::new(&format!("^(?:{value})$"))
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|e| MatcherError {
                        message: format!("error parsing regexp: {e}"),
                        offset: None,
                    })?,
            ),
            _ => None,
        };
        Ok(Matcher {
            name: name.to_string(),
            op,
            value: value.to_string(),
            re,
        })
    }

    /// Whether a label value matches (an absent label is "").
    pub fn matches(&self, v: &str) -> bool {
        match self.op {
            MatchType::Equal => v == self.value,
            MatchType::NotEqual => v != self.value,
            MatchType::Regexp => self.re.as_ref().is_some_and(|r| r.is_match(v)),
            MatchType::NotRegexp => !self.re.as_ref().is_some_and(|r| r.is_match(v)),
        }
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.op {
            MatchType::Equal => "=",
            MatchType::NotEqual => "!=",
            MatchType::Regexp => "=~",
            MatchType::NotRegexp => "!~",
        };
        write!(f, "{}{}{:?}", self.name, op, self.value)
    }
}

/// Parses one matcher such as `severity="critical"` or `team=~ml.*`.
///
/// # Errors
/// The input is not one matcher.
pub fn parse_matcher(input: &str, _mode: ParserMode) -> Result<Matcher, MatcherError> {
    let s = input.trim();
    let s = s
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or(s)
        .trim();
    let err = |m: &str| MatcherError {
        message: format!("bad matcher format: {input}: {m}"),
        offset: None,
    };
    let idx = s.find(['=', '!']).ok_or_else(|| err("no operator"))?;
    let name = s[..idx].trim();
    let rest = &s[idx..];
    let (op, value) = if let Some(v) = rest.strip_prefix("=~") {
        (MatchType::Regexp, v)
    } else if let Some(v) = rest.strip_prefix("!~") {
        (MatchType::NotRegexp, v)
    } else if let Some(v) = rest.strip_prefix("!=") {
        (MatchType::NotEqual, v)
    } else if let Some(v) = rest.strip_prefix('=') {
        (MatchType::Equal, v)
    } else {
        return Err(err("bad operator"));
    };
    if name.is_empty() {
        return Err(err("empty label name"));
    }
    let value = value.trim();
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    Matcher::new(name, op, &value.replace("\\\"", "\""))
}
