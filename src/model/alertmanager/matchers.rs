//! Alertmanager 0.34 label matchers: the classic parser, the UTF-8 parser and
//! the fallback mode that Alertmanager uses by default.
//!
//! Three parsers exist in Alertmanager and all three are mirrored here:
//!
//! * **classic** — `pkg/labels/parse.go` (`ParseMatchers`, `ParseMatcher`): the
//!   only parser up to 0.26, selected by `--enable-feature=classic-mode` since
//!   0.27. Tolerant: unquoted values may contain almost anything, label names
//!   follow `[a-zA-Z_:][a-zA-Z0-9_:]*`.
//! * **UTF-8** — `matcher/parse/` (`lexer.go`, `parse.go`, `token.go`): a
//!   lexer and a small state machine; names and values are either unquoted
//!   runs of non-reserved characters or Go double-quoted strings. Selected
//!   alone by `--enable-feature=utf8-strict-mode`.
//! * **fallback** — `matcher/compat/parse.go`: the default since 0.27. Both
//!   parsers run; the UTF-8 result is used unless the UTF-8 parser fails (the
//!   classic result is used and a warning is logged) or both succeed with
//!   different matchers (the classic result is used and a "disagreement"
//!   warning is logged). When both fail the classic error is returned.
//!
//! Error messages are Alertmanager's, byte for byte, including the UTF-8
//! parser's rune-based `start:end` column prefixes and Go's
//! `error parsing regexp: ...` messages. [`MatcherError::offset`] adds the byte
//! range of the offending text inside the parsed input when it is known.
//!
//! Regular expressions are Go RE2 syntax, anchored as `^(?:VALUE)$` like
//! `pkg/labels/matcher.go` does. [`crate::go::regex`] checks the Go syntax
//! (reporting Go's error text) and rewrites it into an equivalent pattern for
//! the `regex` crate, so that Go-only syntax (`\Q...\E`, a literal `{` that
//! is not a repetition, octal escapes, `[[` inside a class) is accepted and
//! Go's ASCII-only `\d`, `\s`, `\w` and `\b` keep their meaning. Unicode
//! classes (`\pL`, `\p{Greek}`) use the `regex` crate's Unicode tables.
//!
//! # Differences from Alertmanager
//!
//! * Regex syntax follows current Go (1.25+, what Alertmanager 0.34 is built
//!   with): `(?<name>...)`, case-insensitive `\p{...}` names and category
//!   aliases such as `\p{Letter}` are accepted. amtool 0.25 (Go 1.19), which
//!   ARCHITECTURE.md suggests for side-by-side runs, rejects them.
//! * Script names in `\p{...}` are resolved by the `regex` crate, which also
//!   knows short aliases (`\p{Latn}`) that Go rejects, and its Unicode version
//!   may differ from Go's.
//! * A regex whose compiled form exceeds 8 MiB is rejected with Go's
//!   `expression too large` message although Go would accept it; in practice
//!   only huge Unicode classes repeated hundreds of times (`\p{L}{1000}`).
//! * In the fallback mode, zero matchers from both parsers (`""`, `{}`) is not
//!   reported as a disagreement (see [`FallbackOutcome::Disagreement`]).

use std::fmt;
use std::ops::Range;

use regex::Regex;

/// The operator of a matcher: `=`, `!=`, `=~` or `!~`.
///
/// As Alertmanager's `pkg/labels.MatchType`; [`fmt::Display`] prints the
/// operator text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MatchType {
    /// `=`: the label value equals the matcher value.
    Equal,
    /// `!=`: the label value differs from the matcher value.
    NotEqual,
    /// `=~`: the label value fully matches the regex (`^(?:value)$`).
    Regexp,
    /// `!~`: the label value does not fully match the regex.
    NotRegexp,
}

impl MatchType {
    /// The operator as written in matcher syntax: `"="`, `"!="`, `"=~"` or `"!~"`.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchType::Equal => "=",
            MatchType::NotEqual => "!=",
            MatchType::Regexp => "=~",
            MatchType::NotRegexp => "!~",
        }
    }

    /// Whether the operator compares against a regular expression (`=~`, `!~`).
    pub fn is_regex(self) -> bool {
        matches!(self, MatchType::Regexp | MatchType::NotRegexp)
    }
}

impl fmt::Display for MatchType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One label matcher: `name op value`.
///
/// As Alertmanager's `pkg/labels.Matcher`. For `=~` and `!~` the value is
/// kept as written and a compiled regex of `^(?:value)$` is held privately.
/// The fields are public for reading; changing `op` or `value` afterwards does
/// not recompile the regex, so build a new matcher with [`Matcher::new`]
/// instead. Equality compares `name`, `op` and `value`.
#[derive(Clone)]
pub struct Matcher {
    /// The label name (may be any UTF-8 text when parsed by the UTF-8 parser).
    pub name: String,
    /// The operator.
    pub op: MatchType,
    /// The value, unescaped; for regex operators the unanchored pattern.
    pub value: String,
    re: Option<Regex>,
}

impl Matcher {
    /// Builds a matcher, compiling `^(?:value)$` for `=~` and `!~`.
    ///
    /// As Alertmanager's `labels.NewMatcher`: the name is not validated here
    /// (see [`is_valid_label_name`]). Errors: an invalid Go RE2 pattern gives
    /// Go's message, e.g. ``error parsing regexp: missing closing ]: `[a)$` ``
    /// (the fragment is taken from the anchored pattern, as in Go), with
    /// `offset: None`.
    pub fn new(name: &str, op: MatchType, value: &str) -> Result<Matcher, MatcherError> {
        let re = if op.is_regex() {
            Some(compile_anchored(value)?)
        } else {
            None
        };
        Ok(Matcher {
            name: name.to_string(),
            op,
            value: value.to_string(),
            re,
        })
    }

    /// Whether a label value satisfies this matcher.
    ///
    /// As `labels.Matcher.Matches`. Pass `""` for an absent label: Alertmanager
    /// looks labels up in a map, so a missing label is the empty string (and
    /// `foo=""` matches alerts without `foo`).
    pub fn matches(&self, value: &str) -> bool {
        match self.op {
            MatchType::Equal => value == self.value,
            MatchType::NotEqual => value != self.value,
            MatchType::Regexp => self.regex_matches(value),
            MatchType::NotRegexp => !self.regex_matches(value),
        }
    }

    /// Whether the label set seen through `labels` satisfies this matcher.
    ///
    /// `labels` maps a label name to its value, `None` when the label is
    /// absent, which is matched as `""` (see [`Matcher::matches`]). Example:
    /// `m.matches_labels(|k| map.get(k).map(String::as_str))`.
    pub fn matches_labels<'a, F>(&self, labels: F) -> bool
    where
        F: Fn(&str) -> Option<&'a str>,
    {
        self.matches(labels(&self.name).unwrap_or(""))
    }

    fn regex_matches(&self, value: &str) -> bool {
        match &self.re {
            Some(re) => re.is_match(value),
            // Only reachable when `op` was changed after construction.
            None => compile_anchored(&self.value).is_ok_and(|re| re.is_match(value)),
        }
    }
}

/// Whether every matcher is satisfied by the label set seen through `labels`.
///
/// As Alertmanager's `labels.Matchers.Matches` (used by routes and inhibition
/// rules); an empty list matches everything. Absent labels are `""`.
pub fn matches_all<'a, F>(matchers: &[Matcher], labels: F) -> bool
where
    F: Fn(&str) -> Option<&'a str>,
{
    matchers.iter().all(|m| m.matches_labels(&labels))
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Matcher) -> bool {
        self.name == other.name && self.op == other.op && self.value == other.value
    }
}

impl Eq for Matcher {}

impl fmt::Debug for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Matcher")
            .field("name", &self.name)
            .field("op", &self.op)
            .field("value", &self.value)
            .finish()
    }
}

/// Prints the matcher as Alertmanager does (`labels.Matcher.String`).
///
/// A name without reserved characters is printed bare and the value is
/// double-quoted with OpenMetrics escaping (`\\`, `\n`, `\"`):
/// `foo=~"a\"b"`. A name containing whitespace or one of ``{}!=~,\"'` ``
/// (only possible with the UTF-8 parser) is printed with both name and value
/// quoted like Go's `strconv.Quote`: `"foo bar"="baz"`.
impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.name.chars().any(is_reserved) {
            write!(
                f,
                "{}{}{}",
                crate::go::quote::quote(&self.name),
                self.op,
                crate::go::quote::quote(&self.value)
            )
        } else {
            write!(
                f,
                "{}{}\"{}\"",
                self.name,
                self.op,
                openmetrics_escape(&self.value)
            )
        }
    }
}

/// Which matcher parser to use, as Alertmanager's feature flags select it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ParserMode {
    /// `pkg/labels/parse.go` alone (`--enable-feature=classic-mode`).
    Classic,
    /// `matcher/parse` alone (`--enable-feature=utf8-strict-mode`).
    Utf8,
    /// Alertmanager 0.34's default (`matcher/compat`): UTF-8 first, the classic
    /// result when the UTF-8 parser fails or disagrees.
    #[default]
    Fallback,
}

/// A matcher that could not be parsed or built.
///
/// `message` is Alertmanager's error text for the same input (see the module
/// documentation); `offset` is the byte range inside the parsed input that the
/// error is about, when known (an empty range at the end for "end of input").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct MatcherError {
    /// Alertmanager's wording.
    pub message: String,
    /// Byte range inside the input string, when known.
    pub offset: Option<Range<usize>>,
}

impl MatcherError {
    fn new(message: impl Into<String>) -> MatcherError {
        MatcherError {
            message: message.into(),
            offset: None,
        }
    }

    fn at(message: impl Into<String>, offset: Range<usize>) -> MatcherError {
        MatcherError {
            message: message.into(),
            offset: Some(offset),
        }
    }
}

/// How the fallback mode arrived at its result.
///
/// As `matcher/compat/parse.go`'s `FallbackMatchersParser`: Alertmanager logs
/// a warning in both non-`Utf8` cases, which a lint can repeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FallbackOutcome {
    /// The UTF-8 parser's result was used: it succeeded and either the
    /// classic parser failed or both produced the same matchers.
    Utf8,
    /// The UTF-8 parser failed and the classic parser's result was used.
    /// Alertmanager logs "Alertmanager is moving to a new parser for labels
    /// and matchers, and this input is incompatible ..." with the UTF-8 error.
    ClassicOnly {
        /// Why the UTF-8 parser rejected the input.
        utf8_error: MatcherError,
    },
    /// Both parsers succeeded with different matchers; the classic result was
    /// used and Alertmanager logs "Matchers input has disagreement".
    ///
    /// Alertmanager compares with `reflect.DeepEqual`, which also reports a
    /// disagreement when both parsers return zero matchers (`""`, `{}`:
    /// a nil slice versus an empty one). That case has no effect on the result
    /// and is reported here as [`FallbackOutcome::Utf8`].
    Disagreement {
        /// What the UTF-8 parser produced.
        utf8: Vec<Matcher>,
    },
}

impl FallbackOutcome {
    /// Whether the classic parser's result was used (Alertmanager warned).
    pub fn used_classic(&self) -> bool {
        !matches!(self, FallbackOutcome::Utf8)
    }
}

/// Parses zero or more matchers: `{a="b", c=~d}`, `a=b, c!=d`, `{}` or `""`.
///
/// This is what Alertmanager applies to each entry of a route's or an
/// inhibition rule's `matchers:` list (`config/common/matchers.go` calls
/// `compat.Matchers` per entry, appends the results and sorts them), and to
/// amtool filters. Per mode:
///
/// * `Classic`: `labels.ParseMatchers` — an optional leading `{` and trailing
///   `}` are trimmed, the rest is split on commas outside double quotes and
///   each part is parsed by the classic `ParseMatcher`.
/// * `Utf8`: `parse.Matchers` — braces are optional but must pair up.
/// * `Fallback`: see [`parse_matchers_fallback`].
///
/// Matchers are returned in input order. Errors carry Alertmanager's message.
pub fn parse_matchers(input: &str, mode: ParserMode) -> Result<Vec<Matcher>, MatcherError> {
    match mode {
        ParserMode::Classic => classic::parse_matchers(input),
        ParserMode::Utf8 => utf8::parse_matchers(input),
        ParserMode::Fallback => parse_matchers_fallback(input).map(|(ms, _)| ms),
    }
}

/// Parses exactly one matcher.
///
/// Per mode:
///
/// * `Classic`: `labels.ParseMatcher` — the whole input is one matcher; no
///   braces, no comma splitting (`{a=b}` is `bad matcher format: {a=b}`).
/// * `Utf8`: `parse.Matcher` — parsed like [`parse_matchers`], then
///   `no matchers` or `expected 1 matcher, found N` unless there is exactly
///   one. (In utf8-strict mode Alertmanager's `compat.Matcher` also rejects a
///   leading `{` or trailing `}`; the fallback mode below does.)
/// * `Fallback`: see [`parse_matcher_fallback`].
///
/// Alertmanager uses the single-matcher form for amtool label arguments and
/// silences; configuration `matchers:` entries go through [`parse_matchers`].
pub fn parse_matcher(input: &str, mode: ParserMode) -> Result<Matcher, MatcherError> {
    match mode {
        ParserMode::Classic => classic::parse_matcher(input),
        ParserMode::Utf8 => utf8::parse_matcher(input),
        ParserMode::Fallback => parse_matcher_fallback(input).map(|(m, _)| m),
    }
}

/// Parses zero or more matchers in Alertmanager 0.34's default fallback mode
/// and says which parser's result was used.
///
/// As `compat.FallbackMatchersParser`: both parsers run; the UTF-8 result is
/// returned unless the UTF-8 parser fails ([`FallbackOutcome::ClassicOnly`])
/// or both succeed with different matchers ([`FallbackOutcome::Disagreement`]),
/// in which cases the classic result is returned. When both fail, the error is
/// the classic parser's.
pub fn parse_matchers_fallback(
    input: &str,
) -> Result<(Vec<Matcher>, FallbackOutcome), MatcherError> {
    let utf8 = utf8::parse_matchers(input);
    let classic = classic::parse_matchers(input);
    match (utf8, classic) {
        (Err(_), Err(classic_error)) => Err(classic_error),
        (Err(utf8_error), Ok(classic)) => {
            Ok((classic, FallbackOutcome::ClassicOnly { utf8_error }))
        }
        (Ok(utf8), Ok(classic)) if utf8 != classic => {
            Ok((classic, FallbackOutcome::Disagreement { utf8 }))
        }
        (Ok(utf8), _) => Ok((utf8, FallbackOutcome::Utf8)),
    }
}

/// Parses exactly one matcher in the fallback mode and says which parser's
/// result was used.
///
/// As `compat.FallbackMatcherParser`: an input starting with `{` or ending
/// with `}` is rejected first (`unexpected open or close brace: INPUT`); then
/// `parse.Matcher` and `labels.ParseMatcher` run and are combined as in
/// [`parse_matchers_fallback`].
pub fn parse_matcher_fallback(input: &str) -> Result<(Matcher, FallbackOutcome), MatcherError> {
    if input.starts_with('{') || input.ends_with('}') {
        return Err(MatcherError::at(
            format!("unexpected open or close brace: {input}"),
            0..input.len(),
        ));
    }
    let utf8 = utf8::parse_matcher(input);
    let classic = classic::parse_matcher(input);
    match (utf8, classic) {
        (Err(_), Err(classic_error)) => Err(classic_error),
        (Err(utf8_error), Ok(classic)) => {
            Ok((classic, FallbackOutcome::ClassicOnly { utf8_error }))
        }
        (Ok(utf8), Ok(classic)) if utf8 != classic => {
            Ok((classic, FallbackOutcome::Disagreement { utf8: vec![utf8] }))
        }
        (Ok(utf8), _) => Ok((utf8, FallbackOutcome::Utf8)),
    }
}

/// Whether `name` is a valid label name for configuration fields such as
/// `group_by`, as `compat.IsValidLabelName` decides it.
///
/// `Classic`: `^[a-zA-Z_][a-zA-Z0-9_]*$` (`model.LabelName.IsValidLegacy`).
/// `Utf8` and `Fallback`: any non-empty UTF-8 text (Alertmanager 0.34 uses the
/// UTF-8 rule in both modes). Note the classic *parser* itself is more
/// lenient and also accepts `:` in names.
pub fn is_valid_label_name(name: &str, mode: ParserMode) -> bool {
    match mode {
        ParserMode::Classic => {
            let mut chars = name.chars();
            chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        ParserMode::Utf8 | ParserMode::Fallback => !name.is_empty(),
    }
}

/// Reserved characters of the UTF-8 matcher syntax (`isReserved` in both
/// `matcher/parse/lexer.go` and `pkg/labels/matcher.go`).
fn is_reserved(c: char) -> bool {
    c.is_whitespace() || "{}!=~,\\\"'`".contains(c)
}

/// `openMetricsEscape` of `pkg/labels/matcher.go`.
fn openmetrics_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' => out.push_str("\\\""),
            _ => out.push(c),
        }
    }
    out
}

/// Compiles `^(?:value)$` as Alertmanager's `NewMatcher` does with Go's
/// `regexp.Compile` (see [`crate::go::regex::compile_alertmanager`]).
fn compile_anchored(value: &str) -> Result<Regex, MatcherError> {
    crate::go::regex::compile_alertmanager(value).map_err(|e| MatcherError::new(e.message()))
}

/// The classic parser, `pkg/labels/parse.go`.
mod classic {
    use super::{MatchType, Matcher, MatcherError};
    use std::ops::Range;

    /// The characters of Go RE2's `\s`, which the classic matcher regex uses.
    fn is_go_space(c: char) -> bool {
        matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' ')
    }

    /// `labels.ParseMatchers`.
    pub(super) fn parse_matchers(input: &str) -> Result<Vec<Matcher>, MatcherError> {
        let lo = usize::from(input.starts_with('{'));
        let mut hi = input.len();
        if input.get(lo..).is_some_and(|s| s.ends_with('}')) {
            hi -= 1;
        }
        let s = input.get(lo..hi).unwrap_or("");

        let mut tokens: Vec<Range<usize>> = Vec::new();
        let (mut inside_quotes, mut escaped) = (false, false);
        let mut token_start = 0;
        for (i, r) in s.char_indices() {
            match r {
                ',' => {
                    if !inside_quotes {
                        tokens.push(token_start..i);
                        token_start = i + 1;
                    }
                }
                '"' => {
                    if escaped {
                        escaped = false;
                    } else {
                        inside_quotes = !inside_quotes;
                    }
                }
                '\\' => escaped = !escaped,
                _ => escaped = false,
            }
        }
        let last = s.get(token_start..).unwrap_or("");
        let trimmed = last.trim();
        if !trimmed.is_empty() {
            let start = token_start + (last.len() - last.trim_start().len());
            tokens.push(start..start + trimmed.len());
        }

        let mut matchers = Vec::with_capacity(tokens.len());
        for range in tokens {
            let token = s.get(range.clone()).unwrap_or("");
            let m = parse_matcher(token).map_err(|mut e| {
                e.offset = Some(lo + range.start..lo + range.end);
                e
            })?;
            matchers.push(m);
        }
        Ok(matchers)
    }

    /// `labels.ParseMatcher`: the regex
    /// `^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*((?s).*?)\s*$`
    /// followed by the unescaping of the value.
    pub(super) fn parse_matcher(s: &str) -> Result<Matcher, MatcherError> {
        let whole = 0..s.len();
        let bad = || MatcherError::at(format!("bad matcher format: {s}"), whole.clone());

        let rest = s.trim_start_matches(is_go_space);
        let name_len = rest
            .char_indices()
            .find(|&(i, c)| {
                let ok = c.is_ascii_alphabetic()
                    || c == '_'
                    || c == ':'
                    || (i > 0 && c.is_ascii_digit());
                !ok
            })
            .map_or(rest.len(), |(i, _)| i);
        if name_len == 0 {
            return Err(bad());
        }
        let (name, rest) = rest.split_at(name_len);
        let rest = rest.trim_start_matches(is_go_space);
        let (op, rest) = if let Some(r) = rest.strip_prefix("=~") {
            (MatchType::Regexp, r)
        } else if let Some(r) = rest.strip_prefix('=') {
            (MatchType::Equal, r)
        } else if let Some(r) = rest.strip_prefix("!=") {
            (MatchType::NotEqual, r)
        } else if let Some(r) = rest.strip_prefix("!~") {
            (MatchType::NotRegexp, r)
        } else {
            return Err(bad());
        };
        let raw = rest.trim_matches(is_go_space);
        let unescaped_quote = || {
            MatcherError::at(
                format!("matcher value contains unescaped double quote: {raw}"),
                whole.clone(),
            )
        };

        let (raw_value, mut expect_trailing_quote) = match raw.strip_prefix('"') {
            Some(r) => (r, true),
            None => (raw, false),
        };
        let mut value = String::with_capacity(raw_value.len());
        let mut escaped = false;
        let last = raw_value.len().saturating_sub(1);
        for (i, r) in raw_value.char_indices() {
            if escaped {
                escaped = false;
                match r {
                    'n' => value.push('\n'),
                    '"' | '\\' => value.push(r),
                    _ => {
                        // A spurious escape: the backslash is literal.
                        value.push('\\');
                        value.push(r);
                    }
                }
                continue;
            }
            match r {
                '\\' => {
                    if i < last {
                        escaped = true;
                    } else {
                        value.push('\\');
                    }
                }
                '"' => {
                    if !expect_trailing_quote || i < last {
                        return Err(unescaped_quote());
                    }
                    expect_trailing_quote = false;
                }
                _ => value.push(r),
            }
        }
        if expect_trailing_quote {
            return Err(unescaped_quote());
        }
        Matcher::new(name, op, &value).map_err(|mut e| {
            e.offset = Some(whole.clone());
            e
        })
    }
}

/// The UTF-8 parser, `matcher/parse/` (lexer.go, parse.go, token.go).
mod utf8 {
    use super::{MatchType, Matcher, MatcherError, is_reserved};
    use crate::go::quote::unquote as go_unquote;
    use std::ops::Range;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Kind {
        Eof,
        OpenBrace,
        CloseBrace,
        Comma,
        Equals,
        NotEquals,
        Matches,
        NotMatches,
        Quoted,
        Unquoted,
    }

    /// Byte offsets and rune columns of a token (`position` in token.go).
    #[derive(Debug, Clone, Copy, Default)]
    struct Position {
        offset_start: usize,
        offset_end: usize,
        column_start: usize,
        column_end: usize,
    }

    impl Position {
        fn range(self) -> Range<usize> {
            self.offset_start..self.offset_end
        }
    }

    #[derive(Debug, Clone, Copy)]
    struct Token {
        kind: Kind,
        pos: Position,
    }

    impl Token {
        /// The zero token Go returns at the end of input.
        fn eof() -> Token {
            Token {
                kind: Kind::Eof,
                pos: Position::default(),
            }
        }

        fn value<'a>(&self, input: &'a str) -> &'a str {
            input.get(self.pos.range()).unwrap_or("")
        }

        /// `token.unquote`: quoted tokens go through Go's `strconv.Unquote`.
        fn unquote(&self, input: &str) -> Option<String> {
            let v = self.value(input);
            if self.kind == Kind::Quoted {
                go_unquote(v)
            } else {
                Some(v.to_string())
            }
        }
    }

    /// An error with Alertmanager's message and a byte range.
    #[derive(Debug, Clone)]
    struct Error {
        message: String,
        range: Range<usize>,
    }

    impl From<Error> for MatcherError {
        fn from(e: Error) -> MatcherError {
            MatcherError::at(e.message, e.range)
        }
    }

    struct Lexer<'a> {
        input: &'a str,
        err: Option<Error>,
        start: usize,
        pos: usize,
        width: usize,
        column: usize,
        cols: usize,
    }

    impl<'a> Lexer<'a> {
        fn new(input: &'a str) -> Lexer<'a> {
            Lexer {
                input,
                err: None,
                start: 0,
                pos: 0,
                width: 0,
                column: 0,
                cols: 0,
            }
        }

        fn scan(&mut self) -> Result<Token, Error> {
            if let Some(e) = &self.err {
                return Err(e.clone());
            }
            while let Some(r) = self.next() {
                let result = match r {
                    '{' => Ok(self.emit(Kind::OpenBrace)),
                    '}' => Ok(self.emit(Kind::CloseBrace)),
                    ',' => Ok(self.emit(Kind::Comma)),
                    '=' | '!' => {
                        self.rewind();
                        self.scan_operator()
                    }
                    '"' => {
                        self.rewind();
                        self.scan_quoted()
                    }
                    _ if !is_reserved(r) => {
                        self.rewind();
                        Ok(self.scan_unquoted())
                    }
                    _ if r.is_whitespace() => {
                        self.skip();
                        continue;
                    }
                    _ => Err(self.invalid_input()),
                };
                if let Err(e) = &result {
                    self.err = Some(e.clone());
                }
                return result;
            }
            Ok(Token::eof())
        }

        fn scan_operator(&mut self) -> Result<Token, Error> {
            if self.accept("!") {
                if self.accept("=") {
                    return Ok(self.emit(Kind::NotEquals));
                }
                if self.accept("~") {
                    return Ok(self.emit(Kind::NotMatches));
                }
                return Err(self.expected_error("=~"));
            }
            if self.accept("=") {
                if self.accept("~") {
                    return Ok(self.emit(Kind::Matches));
                }
                return Ok(self.emit(Kind::Equals));
            }
            Err(self.expected_error("!="))
        }

        fn scan_quoted(&mut self) -> Result<Token, Error> {
            if !self.accept("\"") {
                return Err(self.expected_error("\""));
            }
            let mut escaped = false;
            while let Some(r) = self.next() {
                if escaped {
                    escaped = false;
                } else if r == '\\' {
                    escaped = true;
                } else if r == '"' {
                    self.rewind();
                    break;
                }
            }
            if !self.accept("\"") {
                let pos = self.position();
                return Err(Error {
                    message: format!(
                        "{}:{}: {}: missing end \"",
                        pos.column_start,
                        pos.column_end,
                        self.slice(pos)
                    ),
                    range: pos.range(),
                });
            }
            Ok(self.emit(Kind::Quoted))
        }

        fn scan_unquoted(&mut self) -> Token {
            while let Some(r) = self.next() {
                if is_reserved(r) {
                    self.rewind();
                    break;
                }
            }
            self.emit(Kind::Unquoted)
        }

        /// Scans the next token and restores the position; a lexing error
        /// stays recorded, as in Go.
        fn peek(&mut self) -> Result<Token, Error> {
            let saved = (self.start, self.pos, self.width, self.column, self.cols);
            let result = self.scan();
            (self.start, self.pos, self.width, self.column, self.cols) = saved;
            result
        }

        fn position(&self) -> Position {
            Position {
                offset_start: self.start,
                offset_end: self.pos,
                column_start: self.column,
                column_end: self.cols,
            }
        }

        fn slice(&self, pos: Position) -> &'a str {
            self.input.get(pos.range()).unwrap_or("")
        }

        fn accept(&mut self, valid: &str) -> bool {
            match self.next() {
                Some(r) if valid.contains(r) => true,
                _ => {
                    self.rewind();
                    false
                }
            }
        }

        fn emit(&mut self, kind: Kind) -> Token {
            let t = Token {
                kind,
                pos: self.position(),
            };
            self.start = self.pos;
            self.column = self.cols;
            t
        }

        fn next(&mut self) -> Option<char> {
            match self.input.get(self.pos..).and_then(|s| s.chars().next()) {
                Some(r) => {
                    self.width = r.len_utf8();
                    self.pos += self.width;
                    self.cols += 1;
                    Some(r)
                }
                None => {
                    self.width = 0;
                    None
                }
            }
        }

        fn rewind(&mut self) {
            self.pos = self.pos.saturating_sub(self.width);
            if self.width > 0 {
                self.cols = self.cols.saturating_sub(1);
            }
        }

        fn skip(&mut self) {
            self.start = self.pos;
            self.column = self.cols;
        }

        fn expected_error(&self, expected: &str) -> Error {
            let pos = self.position();
            let message = if pos.offset_end >= self.input.len() {
                format!(
                    "{}:{}: unexpected end of input, expected one of '{expected}'",
                    pos.column_start, pos.column_end
                )
            } else {
                format!(
                    "{}:{}: {}: expected one of '{expected}'",
                    pos.column_start,
                    pos.column_end,
                    self.slice(pos)
                )
            };
            Error {
                message,
                range: pos.range(),
            }
        }

        fn invalid_input(&self) -> Error {
            let pos = self.position();
            Error {
                message: format!(
                    "{}:{}: {}: invalid input",
                    pos.column_start,
                    pos.column_end,
                    self.slice(pos)
                ),
                range: pos.range(),
            }
        }
    }

    /// Why `expect`/`accept` did not produce a token: the end of input
    /// (`errEOF`, which has no position) or an error.
    enum Miss {
        Eof,
        Err(Error),
    }

    #[derive(Clone, Copy)]
    enum State {
        OpenBrace,
        CloseBrace,
        Matcher,
        EndOfMatcher,
        Comma,
        Eof,
    }

    struct Parser<'a> {
        lexer: Lexer<'a>,
        matchers: Vec<Matcher>,
        has_open_brace: bool,
    }

    impl<'a> Parser<'a> {
        fn input(&self) -> &'a str {
            self.lexer.input
        }

        /// `fmt.Errorf("%w: %w", err, sentinel)`.
        fn wrap(&self, miss: Miss, sentinel: &str) -> Error {
            match miss {
                Miss::Eof => {
                    let end = self.input().len();
                    Error {
                        message: format!("end of input: {sentinel}"),
                        range: end..end,
                    }
                }
                Miss::Err(e) => Error {
                    message: format!("{}: {sentinel}", e.message),
                    range: e.range,
                },
            }
        }

        fn accept_peek(&mut self, kinds: &[Kind]) -> Result<bool, Miss> {
            let t = self.lexer.peek().map_err(Miss::Err)?;
            if t.kind == Kind::Eof {
                return Err(Miss::Eof);
            }
            Ok(kinds.contains(&t.kind))
        }

        fn accept(&mut self, kinds: &[Kind]) -> Result<bool, Miss> {
            let ok = self.accept_peek(kinds)?;
            if ok {
                // The token was just peeked successfully; scanning it again
                // cannot fail.
                let _ = self.lexer.scan();
            }
            Ok(ok)
        }

        fn expect_peek(&mut self, kinds: &[Kind]) -> Result<Token, Miss> {
            let t = self.lexer.peek().map_err(Miss::Err)?;
            if t.kind == Kind::Eof {
                return Err(Miss::Eof);
            }
            if !kinds.contains(&t.kind) {
                return Err(Miss::Err(Error {
                    message: format!(
                        "{}:{}: unexpected {}",
                        t.pos.column_start,
                        t.pos.column_end,
                        t.value(self.input())
                    ),
                    range: t.pos.range(),
                }));
            }
            Ok(t)
        }

        fn expect(&mut self, kinds: &[Kind]) -> Result<Token, Miss> {
            let t = self.expect_peek(kinds)?;
            let _ = self.lexer.scan();
            Ok(t)
        }

        fn run(mut self) -> Result<Vec<Matcher>, Error> {
            let mut state = State::OpenBrace;
            loop {
                let next = match state {
                    State::OpenBrace => self.parse_open_brace()?,
                    State::CloseBrace => self.parse_close_brace()?,
                    State::Matcher => self.parse_matcher()?,
                    State::EndOfMatcher => self.parse_end_of_matcher()?,
                    State::Comma => self.parse_comma()?,
                    State::Eof => self.parse_eof()?,
                };
                match next {
                    Some(s) => state = s,
                    None => return Ok(self.matchers),
                }
            }
        }

        fn parse_open_brace(&mut self) -> Result<Option<State>, Error> {
            match self.accept(&[Kind::OpenBrace]) {
                Ok(has) => self.has_open_brace = has,
                Err(Miss::Eof) => return Ok(Some(State::Eof)),
                Err(Miss::Err(e)) => return Err(e),
            }
            match self.accept_peek(&[Kind::CloseBrace]) {
                Ok(true) | Err(Miss::Eof) => Ok(Some(State::CloseBrace)),
                Ok(false) => Ok(Some(State::Matcher)),
                Err(Miss::Err(e)) => Err(e),
            }
        }

        fn parse_close_brace(&mut self) -> Result<Option<State>, Error> {
            if self.has_open_brace {
                if let Err(miss) = self.expect(&[Kind::CloseBrace]) {
                    let inner = match miss {
                        Miss::Eof => "end of input".to_string(),
                        Miss::Err(e) => e.message,
                    };
                    let at = self.lexer.pos;
                    return Err(Error {
                        message: format!("0:{}: {inner}: expected close brace", self.lexer.cols),
                        range: at..at,
                    });
                }
            } else if let Ok(t) = self.expect(&[Kind::CloseBrace]) {
                return Err(Error {
                    message: format!("0:{}: }}: expected opening brace", self.lexer.cols),
                    range: t.pos.range(),
                });
            }
            Ok(Some(State::Eof))
        }

        fn parse_matcher(&mut self) -> Result<Option<State>, Error> {
            let t = self
                .expect(&[Kind::Quoted, Kind::Unquoted])
                .map_err(|m| self.wrap(m, "expected label name"))?;
            let name = t.unquote(self.input()).ok_or_else(|| self.invalid(t))?;
            let t = self
                .expect(&[
                    Kind::Equals,
                    Kind::NotEquals,
                    Kind::Matches,
                    Kind::NotMatches,
                ])
                .map_err(|m| {
                    self.wrap(m, "expected an operator such as '=', '!=', '=~' or '!~'")
                })?;
            let op = match t.kind {
                Kind::NotEquals => MatchType::NotEqual,
                Kind::Matches => MatchType::Regexp,
                Kind::NotMatches => MatchType::NotRegexp,
                _ => MatchType::Equal,
            };
            let t = self
                .expect(&[Kind::Unquoted, Kind::Quoted])
                .map_err(|m| self.wrap(m, "expected label value"))?;
            let value = t.unquote(self.input()).ok_or_else(|| self.invalid(t))?;
            let m = Matcher::new(&name, op, &value).map_err(|e| Error {
                message: format!("failed to create matcher: {}", e.message),
                range: t.pos.range(),
            })?;
            self.matchers.push(m);
            Ok(Some(State::EndOfMatcher))
        }

        fn invalid(&self, t: Token) -> Error {
            Error {
                message: format!(
                    "{}:{}: {}: invalid input",
                    t.pos.column_start,
                    t.pos.column_end,
                    t.value(self.input())
                ),
                range: t.pos.range(),
            }
        }

        fn parse_end_of_matcher(&mut self) -> Result<Option<State>, Error> {
            match self.expect_peek(&[Kind::Comma, Kind::CloseBrace]) {
                Err(Miss::Eof) => Ok(Some(State::CloseBrace)),
                Err(m) => Err(self.wrap(m, "expected a comma or close brace")),
                Ok(t) if t.kind == Kind::Comma => Ok(Some(State::Comma)),
                Ok(_) => Ok(Some(State::CloseBrace)),
            }
        }

        fn parse_comma(&mut self) -> Result<Option<State>, Error> {
            self.expect(&[Kind::Comma])
                .map_err(|m| self.wrap(m, "expected a comma"))?;
            match self.expect_peek(&[Kind::CloseBrace, Kind::Unquoted, Kind::Quoted]) {
                Err(Miss::Eof) => Ok(Some(State::CloseBrace)),
                Err(m) => Err(self.wrap(m, "expected a matcher or close brace after comma")),
                Ok(t) if t.kind == Kind::CloseBrace => Ok(Some(State::CloseBrace)),
                Ok(_) => Ok(Some(State::Matcher)),
            }
        }

        fn parse_eof(&mut self) -> Result<Option<State>, Error> {
            match self.lexer.scan() {
                Err(e) => Err(Error {
                    message: format!("{}: expected end of input", e.message),
                    range: e.range,
                }),
                Ok(t) if t.kind != Kind::Eof => Err(Error {
                    message: format!(
                        "{}:{}: {}: expected end of input",
                        t.pos.column_start,
                        t.pos.column_end,
                        t.value(self.input())
                    ),
                    range: t.pos.range(),
                }),
                Ok(_) => Ok(None),
            }
        }
    }

    /// `parse.Matchers`.
    pub(super) fn parse_matchers(input: &str) -> Result<Vec<Matcher>, MatcherError> {
        let parser = Parser {
            lexer: Lexer::new(input),
            matchers: Vec::new(),
            has_open_brace: false,
        };
        parser.run().map_err(MatcherError::from)
    }

    /// `parse.Matcher`.
    pub(super) fn parse_matcher(input: &str) -> Result<Matcher, MatcherError> {
        let mut ms = parse_matchers(input)?;
        match ms.len() {
            1 => ms.pop().ok_or_else(|| MatcherError::new("no matchers")),
            0 => Err(MatcherError::new("no matchers")),
            n => Err(MatcherError::new(format!("expected 1 matcher, found {n}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn triples(ms: &[Matcher]) -> Vec<(String, &'static str, String)> {
        ms.iter()
            .map(|m| (m.name.clone(), m.op.as_str(), m.value.clone()))
            .collect()
    }

    fn one(name: &str, op: &'static str, value: &str) -> Vec<(String, &'static str, String)> {
        vec![(name.to_string(), op, value.to_string())]
    }

    fn err(input: &str, mode: ParserMode) -> MatcherError {
        match parse_matchers(input, mode) {
            Ok(ms) => panic!("{input:?} parsed as {ms:?}"),
            Err(e) => e,
        }
    }

    fn re(value: &str) -> Matcher {
        Matcher::new("l", MatchType::Regexp, value)
            .unwrap_or_else(|e| panic!("{value:?}: {}", e.message))
    }

    fn re_err(value: &str) -> String {
        match Matcher::new("l", MatchType::Regexp, value) {
            Ok(_) => panic!("{value:?} compiled"),
            Err(e) => e.message,
        }
    }

    #[test]
    fn classic_accepts_tolerant_syntax() {
        let ms =
            parse_matchers(r#"{foo = "bar", dings != "bums", }"#, ParserMode::Classic).unwrap();
        assert_eq!(
            triples(&ms),
            vec![
                ("foo".into(), "=", "bar".into()),
                ("dings".into(), "!=", "bums".into())
            ]
        );
        let ms = parse_matchers("a:b=~x,y!~z", ParserMode::Classic).unwrap();
        assert_eq!(ms[0].name, "a:b");
        assert_eq!(ms[1].op, MatchType::NotRegexp);
        // Unquoted values keep their spurious escapes; `\n` is a newline.
        let ms = parse_matchers(r"foo=a\tb\nc", ParserMode::Classic).unwrap();
        assert_eq!(ms[0].value, "a\\tb\nc");
        // A leading `{` without a trailing `}` is still trimmed.
        assert_eq!(
            triples(&parse_matchers("{foo=", ParserMode::Classic).unwrap()),
            one("foo", "=", "")
        );
    }

    #[test]
    fn classic_errors_point_at_the_matcher() {
        let e = err("a=b, 1x=y", ParserMode::Classic);
        // The last part is trimmed before parsing, as in Go.
        assert_eq!(e.message, "bad matcher format: 1x=y");
        assert_eq!(e.offset, Some(5..9));
        let e = err(r#"{a="b"c"}"#, ParserMode::Classic);
        assert_eq!(
            e.message,
            r#"matcher value contains unescaped double quote: "b"c""#
        );
        assert_eq!(e.offset, Some(1..8));
        let e = parse_matcher("{a=b}", ParserMode::Classic).unwrap_err();
        assert_eq!(e.message, "bad matcher format: {a=b}");
    }

    #[test]
    fn utf8_accepts_quoted_names_and_go_escapes() {
        let ms = parse_matchers(r#"{"foo bar"="a\u00e9\x41", b=🙂}"#, ParserMode::Utf8).unwrap();
        assert_eq!(
            triples(&ms),
            vec![
                ("foo bar".into(), "=", "aéA".into()),
                ("b".into(), "=", "🙂".into())
            ]
        );
        // An empty quoted name is accepted by the parser (validation is separate).
        let ms = parse_matchers(r#"""=x"#, ParserMode::Utf8).unwrap();
        assert_eq!(ms[0].name, "");
    }

    #[test]
    fn utf8_error_messages_and_offsets() {
        let cases: &[(&str, &str, Option<Range<usize>>)] = &[
            (
                "foo",
                "end of input: expected an operator such as '=', '!=', '=~' or '!~'",
                Some(3..3),
            ),
            ("foo=", "end of input: expected label value", Some(4..4)),
            (
                "foo!bar",
                "3:4: !: expected one of '=~': expected an operator such as '=', '!=', '=~' or '!~'",
                Some(3..4),
            ),
            (
                "foo!",
                "3:4: unexpected end of input, expected one of '=~': expected an operator such as '=', '!=', '=~' or '!~'",
                Some(3..4),
            ),
            (
                "tricky=~~~",
                "8:9: ~: invalid input: expected label value",
                Some(8..9),
            ),
            (
                r#"{foo="bar"#,
                "5:9: \"bar: missing end \": expected label value",
                Some(5..9),
            ),
            ("{foo=bar}x", "9:10: x: expected end of input", Some(9..10)),
            ("{🙂=bar,}}", "8:9: }: expected end of input", Some(11..12)),
            (
                "a=b c=d",
                "4:5: unexpected c: expected a comma or close brace",
                Some(4..5),
            ),
            (
                "a=b,,",
                "4:5: unexpected ,: expected a matcher or close brace after comma",
                Some(4..5),
            ),
            (
                r#"a=~"(""#,
                "failed to create matcher: error parsing regexp: missing closing ): `^(?:()$`",
                Some(3..6),
            ),
        ];
        for (input, message, offset) in cases {
            let e = err(input, ParserMode::Utf8);
            assert_eq!(&e.message, message, "{input:?}");
            assert_eq!(&e.offset, offset, "{input:?}");
        }
        assert_eq!(
            parse_matcher("", ParserMode::Utf8).unwrap_err().message,
            "no matchers"
        );
        assert_eq!(
            parse_matcher("a=b,c=d", ParserMode::Utf8)
                .unwrap_err()
                .message,
            "expected 1 matcher, found 2"
        );
    }

    #[test]
    fn fallback_reports_which_parser_won() {
        let (ms, o) = parse_matchers_fallback(r#"foo="bar""#).unwrap();
        assert_eq!(triples(&ms), one("foo", "=", "bar"));
        assert_eq!(o, FallbackOutcome::Utf8);
        assert!(!o.used_classic());

        let (ms, o) = parse_matchers_fallback("foo=~bar.*, job=").unwrap();
        assert_eq!(ms.len(), 2);
        assert!(
            matches!(o, FallbackOutcome::ClassicOnly { ref utf8_error } if utf8_error.message == "end of input: expected label value")
        );
        assert!(o.used_classic());

        let (ms, o) = parse_matchers_fallback(r#"foo="\x41""#).unwrap();
        assert_eq!(ms[0].value, r"\x41");
        assert_eq!(
            o,
            FallbackOutcome::Disagreement {
                utf8: parse_matchers(r#"foo="\x41""#, ParserMode::Utf8).unwrap()
            }
        );

        // Zero matchers from both parsers is not reported as a disagreement.
        assert_eq!(
            parse_matchers_fallback("{}").unwrap().1,
            FallbackOutcome::Utf8
        );
        // Both fail: the classic error.
        assert_eq!(
            parse_matchers_fallback("{foo!bar}").unwrap_err().message,
            "bad matcher format: foo!bar"
        );
        // The single-matcher form rejects braces first.
        assert_eq!(
            parse_matcher_fallback("{foo=bar}").unwrap_err().message,
            "unexpected open or close brace: {foo=bar}"
        );
        let (m, o) = parse_matcher_fallback("foo=!bar").unwrap();
        assert_eq!(m.value, "!bar");
        assert!(o.used_classic());
        assert_eq!(ParserMode::default(), ParserMode::Fallback);
    }

    #[test]
    fn matching_semantics() {
        let eq = Matcher::new("env", MatchType::Equal, "").unwrap();
        assert!(eq.matches(""));
        assert!(eq.matches_labels(|_| None));
        let ne = Matcher::new("env", MatchType::NotEqual, "prod").unwrap();
        assert!(ne.matches_labels(|_| None));
        assert!(!ne.matches("prod"));
        // Regexes are anchored on both sides.
        let m = re("prod|staging");
        assert!(m.matches("prod") && m.matches("staging"));
        assert!(!m.matches("production") && !m.matches("xstaging"));
        let nre = Matcher::new("env", MatchType::NotRegexp, "prod.*").unwrap();
        assert!(nre.matches("dev") && !nre.matches("prod-1"));
        // ...by wrapping, so a value that closes the group escapes the anchors,
        // exactly as in Alertmanager.
        let m = re("a)|(b");
        assert!(m.matches("a-anything") && m.matches("anything-b"));

        let labels = std::collections::BTreeMap::from([
            ("env".to_string(), "prod".to_string()),
            ("team".to_string(), "ml".to_string()),
        ]);
        let ms = parse_matchers(
            r#"env="prod", team=~"ml|infra", owner="""#,
            ParserMode::Utf8,
        )
        .unwrap();
        assert!(matches_all(&ms, |k| labels.get(k).map(String::as_str)));
        assert!(matches_all(&[], |_| None));
        let ms = parse_matchers("env!=prod", ParserMode::Utf8).unwrap();
        assert!(!matches_all(&ms, |k| labels.get(k).map(String::as_str)));
    }

    #[test]
    fn go_regex_semantics() {
        // Perl classes and \b are ASCII-only in Go.
        assert!(re(r"\d+").matches("123") && !re(r"\d").matches("٣"));
        assert!(re(r"\w+").matches("a_1") && !re(r"\w").matches("é"));
        assert!(re(r"\W").matches("é") && re(r"[^\d]").matches("٣"));
        assert!(
            re(r"\s").matches("\t") && !re(r"\s").matches("\u{0b}") && !re(r"\s").matches("\u{a0}")
        );
        assert!(re(r".*\bx").matches("éx") && !re(r".*\bx").matches("ax"));
        // Go-only syntax.
        assert!(re("a{").matches("a{") && re("x{,5}").matches("x{,5}") && re("{}").matches("{}"));
        assert!(re(r"\Q.*+\E").matches(".*+") && !re(r"\Q.*\E").matches("ab"));
        assert!(re(r"\101\x41\x{41}").matches("AAA"));
        assert!(re(r"[a&&b]").matches("&") && re(r"[[]").matches("[") && re(r"[a-]").matches("-"));
        assert!(re(r"[]a]").matches("]") && re(r"[^]a]").matches("b"));
        assert!(
            re(r"[[:alpha:]]+[[:^digit:]]").matches("abc!") && !re(r"[[:digit:]]").matches("a")
        );
        // Flags and their scope.
        assert!(
            re("(?i)abc").matches("ABC")
                && re("(?i:a)b").matches("Ab")
                && !re("(?i:a)b").matches("AB")
        );
        assert!(re("(?i)k").matches("\u{212A}"));
        assert!(!re("a.b").matches("a\nb") && re("(?s)a.b").matches("a\nb"));
        assert!(re("a(?m:$)\nb").matches("a\nb"));
        assert!(
            re("(?U)a+").matches("aaa")
                && re("(?i-i)a").matches("a")
                && !re("(?i-i)a").matches("A")
        );
        assert!(re("(?P<name>a)(?<other>b)").matches("ab"));
        assert!(re("x*|").matches("") && re("(|a)+").matches("aa") && re("a(?i)*").matches("aa"));
        assert!(
            re(r"\p{Greek}+").matches("αβ")
                && re(r"\pL").matches("é")
                && re(r"[\P{L}]").matches("1")
        );
        assert!(
            re(r"\p{^Greek}").matches("a")
                && !re(r"\PN").matches("5")
                && re(r"\p{Any}").matches("\n")
        );
        // Surrogates are accepted but never match valid text.
        assert!(!re(r"\x{D800}").matches("a") && re(r"[\x{D000}-\x{E000}]").matches("\u{E000}"));
    }

    #[test]
    fn go_regex_errors() {
        let cases = [
            ("a**", "invalid nested repetition operator: `**`"),
            ("a*?+", "invalid nested repetition operator: `*?+`"),
            ("*", "missing argument to repetition operator: `*`"),
            ("a|*?", "missing argument to repetition operator: `*?`"),
            ("x{1001}", "invalid repeat count: `{1001}`"),
            ("x{2,1}", "invalid repeat count: `{2,1}`"),
            ("(x{2}){501}", "invalid repeat count: `{501}`"),
            ("x{999999999}", "invalid repeat count: `{999999999}`"),
            ("(?x)a", "invalid or unsupported Perl syntax: `(?x`"),
            ("(?=a)", "invalid or unsupported Perl syntax: `(?=`"),
            ("(?i-)a", "invalid or unsupported Perl syntax: `(?i-)`"),
            ("(?P=n)", "invalid or unsupported Perl syntax: `(?P`"),
            ("(?P<n-x>a)", "invalid named capture: `(?P<n-x>`"),
            ("(?<>a)", "invalid named capture: `(?<>`"),
            (r"\8", "invalid escape sequence: `\\8`"),
            (r"\1", "invalid escape sequence: `\\1`"),
            (r"\C", "invalid escape sequence: `\\C`"),
            (r"\e", "invalid escape sequence: `\\e`"),
            (r"\xZ1", "invalid escape sequence: `\\xZ1`"),
            (r"\x{110000}", "invalid escape sequence: `\\x{110000`"),
            (r"[\b]", "invalid escape sequence: `\\b`"),
            ("[z-a]", "invalid character class range: `z-a`"),
            ("[[:foo:]]", "invalid character class range: `[:foo:]`"),
            (r"\p{Foo}", "invalid character class range: `\\p{Foo}`"),
            (r"\pX", "invalid character class range: `\\pX`"),
            ("[a", "missing closing ]: `[a)$`"),
            ("a)", "unexpected ): `^(?:a))$`"),
            ("(a", "missing closing ): `^(?:(a)$`"),
        ];
        for (value, want) in cases {
            assert_eq!(
                re_err(value),
                format!("error parsing regexp: {want}"),
                "{value:?}"
            );
        }
        let deep = format!("{}a{}", "(".repeat(1001), ")".repeat(1001));
        assert_eq!(
            re_err(&deep),
            format!("error parsing regexp: expression nests too deeply: `^(?:{deep})$`")
        );
        // Non-capturing groups add no depth in Go.
        let flat = format!("{}a{}", "(?:".repeat(3000), ")".repeat(3000));
        assert!(re(&flat).matches("a"));
    }

    #[test]
    fn display_as_alertmanager_prints() {
        let m = Matcher::new("foo", MatchType::Equal, "a\"b\\c\nd").unwrap();
        assert_eq!(m.to_string(), r#"foo="a\"b\\c\nd""#);
        let m = Matcher::new("foo bar", MatchType::NotEqual, "x\u{1}\u{a0}é\t🙂").unwrap();
        assert_eq!(m.to_string(), r#""foo bar"!="x\x01\u00a0é\t🙂""#);
        assert_eq!(MatchType::NotRegexp.to_string(), "!~");
        // Round trip through the UTF-8 parser.
        let m = parse_matcher(r#""a,b"=~"x\"y""#, ParserMode::Utf8).unwrap();
        assert_eq!(parse_matcher(&m.to_string(), ParserMode::Utf8).unwrap(), m);
    }

    #[test]
    fn label_name_validity() {
        assert!(is_valid_label_name("job_1", ParserMode::Classic));
        assert!(is_valid_label_name("_x", ParserMode::Classic));
        assert!(!is_valid_label_name("1x", ParserMode::Classic));
        assert!(!is_valid_label_name("a:b", ParserMode::Classic));
        assert!(!is_valid_label_name("", ParserMode::Classic));
        assert!(is_valid_label_name("foo🙂 bar", ParserMode::Utf8));
        assert!(is_valid_label_name("a-b", ParserMode::Fallback));
        assert!(!is_valid_label_name("", ParserMode::Utf8));
    }

    /// xorshift64*: deterministic pseudo-random numbers without a dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    const ALPHABET: &[&str] = &[
        "{", "}", "=", "!", "~", ",", "\"", "\\", "'", "`", " ", "\t", "\n", "a", "b", "z", "_",
        ":", "0", "1", "7", "9", "x", "u", "U", "n", "p", "P", "d", "w", "b", "Q", "E", "[", "]",
        "(", ")", "*", "+", "?", "|", "^", "$", ".", "-", "<", ">", "🙂", "é", "\u{a0}", "\u{85}",
        "=~", "!=", "!~", "(?", "[:", ":]", "\\x{", "\\p{", "{2,", "\\Q",
    ];

    fn garbage(rng: &mut Rng, max_len: usize) -> String {
        let len = rng.below(max_len + 1);
        (0..len)
            .map(|_| ALPHABET[rng.below(ALPHABET.len())])
            .collect()
    }

    /// Exercise everything a parse result offers.
    fn poke(ms: &[Matcher]) {
        for m in ms {
            let _ = m.to_string();
            let _ = m.matches("") || m.matches("a") || m.matches("🙂\n");
        }
    }

    #[test]
    fn no_panic_on_garbage() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..3000 {
            let input = garbage(&mut rng, 24);
            for mode in [ParserMode::Classic, ParserMode::Utf8, ParserMode::Fallback] {
                if let Ok(ms) = parse_matchers(&input, mode) {
                    poke(&ms);
                }
                if let Ok(m) = parse_matcher(&input, mode) {
                    poke(&[m]);
                }
            }
            if let Ok((ms, _)) = parse_matchers_fallback(&input) {
                for m in &ms {
                    // What Alertmanager prints must parse back to the same matcher
                    // with the UTF-8 parser.
                    assert_eq!(
                        parse_matcher(&m.to_string(), ParserMode::Utf8).as_ref(),
                        Ok(m),
                        "{input:?}"
                    );
                }
            }
            // The same text as a regex value.
            for op in [MatchType::Regexp, MatchType::NotRegexp] {
                if let Ok(m) = Matcher::new("l", op, &input) {
                    poke(&[m]);
                }
            }
            let _ = is_valid_label_name(&input, ParserMode::Classic);
        }
    }

    #[test]
    fn no_panic_on_pathological_regexes() {
        let many = |s: &str, n: usize| s.repeat(n);
        let inputs = [
            many("(", 5000),
            many(")", 5000),
            many("[", 5000),
            many("(?:", 5000) + &many(")", 5000),
            many("(a", 2000) + &many(")*", 2000),
            many("a{2}", 100),
            many("(?:a{10}){10}", 50),
            many(r"\pL", 2000),
            r"[\p{L}]{1000}".to_string(),
            many("a|", 10000),
            many(r"\x{", 100),
            "\\".to_string(),
            many("[[:", 1000),
        ];
        for value in &inputs {
            if let Ok(m) = Matcher::new("l", MatchType::Regexp, value) {
                poke(&[m]);
            }
            let _ = parse_matchers(&format!("a=~\"{value}\""), ParserMode::Fallback);
        }
    }
}
