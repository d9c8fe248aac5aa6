//! mlalert's own PromQL front end: lexer ([`lex`]), parser ([`parse`]) and
//! type checker, following Prometheus' `promql/parser` (lex.go,
//! generated_parser.y, parse.go) for the language, the error texts and
//! their positions, for the Prometheus version and feature flags given in
//! [`Options`]. Every node of the tree ([`ast`]) carries its byte span.
//!
//! Bounded work: one lexing pass, recursion bounded by
//! [`crate::promql::MAX_DEPTH`] (an error, not a stack overflow), matcher
//! regexes checked for syntax only while parsing and compiled on first use.

pub mod ast;
mod check;
mod display;
pub mod functions;
pub mod lex;
mod parse;

use ast::{Expr, Span};

/// A Prometheus version as (major, minor).
pub type Version = (u16, u16);

/// What the parser accepts: the Prometheus version it stands for and the
/// experimental features enabled (`--enable-feature=…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The Prometheus version; default [`Options::CURRENT`].
    pub version: Version,
    /// `promql-experimental-functions`: experimental functions and the
    /// `limitk`/`limit_ratio` aggregations.
    pub experimental_functions: bool,
    /// `promql-duration-expr`: `[5m * 2]`, `offset (1h + 5m)`, `step()`.
    pub duration_expr: bool,
    /// `promql-extended-range-selectors`: `smoothed` and `anchored`.
    pub extended_range_selectors: bool,
    /// `promql-binop-fill-modifiers`: `fill()`, `fill_left()`, `fill_right()`.
    pub binop_fill_modifiers: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            version: Options::CURRENT,
            experimental_functions: false,
            duration_expr: false,
            extended_range_selectors: false,
            binop_fill_modifiers: false,
        }
    }
}

impl Options {
    /// The newest Prometheus version mlalert knows.
    pub const CURRENT: Version = (3, 14);

    /// Everything enabled, for the newest version (promqltest scripts).
    pub fn all_features() -> Options {
        Options {
            version: Options::CURRENT,
            experimental_functions: true,
            duration_expr: true,
            extended_range_selectors: true,
            binop_fill_modifiers: true,
        }
    }

    /// Options for a version with no feature enabled.
    pub fn for_version(version: Version) -> Options {
        Options {
            version,
            ..Options::default()
        }
    }

    /// Whether the version lexes `[` as the start of a duration expression
    /// (numbers as seconds, `[5]`): Prometheus 3.0 and later.
    pub(crate) fn lexes_duration_exprs(&self) -> bool {
        self.version >= (3, 0)
    }

    /// `step`/`range` are keywords (duration expressions `step()`,
    /// `range()`): Prometheus 3.6 and later.
    pub(crate) fn has_step_keyword(&self) -> bool {
        self.version >= (3, 6)
    }

    /// `smoothed`/`anchored` are keywords: Prometheus 3.7 and later.
    pub(crate) fn has_extended_range_keywords(&self) -> bool {
        self.version >= (3, 7)
    }

    /// `fill`/`fill_left`/`fill_right` are keywords: Prometheus 3.10 and later.
    pub(crate) fn has_fill_keywords(&self) -> bool {
        self.version >= (3, 10)
    }

    /// `min_of`/`max_of` name the duration functions: Prometheus 3.13 and later.
    pub(crate) fn has_min_of(&self) -> bool {
        self.version >= (3, 13)
    }

    /// The native-histogram trim operators `</` and `>/`: Prometheus 3.14.
    pub(crate) fn has_trim_ops(&self) -> bool {
        self.version >= (3, 14)
    }

    /// `limitk`/`limit_ratio` are keywords: Prometheus 2.54 and later.
    pub(crate) fn has_limitk(&self) -> bool {
        self.version >= (2, 54)
    }

    /// Whether feature `f` is on: its flag is set, or the version has it
    /// without one ([`Feature::stable_since`]).
    pub fn has_feature(&self, f: Feature) -> bool {
        if f.stable_since().is_some_and(|v| self.version >= v) {
            return true;
        }
        match f {
            Feature::ExperimentalFunctions => self.experimental_functions,
            Feature::DurationExpr => self.duration_expr,
            Feature::ExtendedRangeSelectors => self.extended_range_selectors,
            Feature::BinopFillModifiers => self.binop_fill_modifiers,
        }
    }

    /// Options for `version` with the features whose `--enable-feature`
    /// names ([`Feature::flag`]) are in `flags` (other names are ignored).
    pub fn with_flags<'a>(version: Version, flags: impl IntoIterator<Item = &'a str>) -> Options {
        Options::with_features(
            version,
            flags
                .into_iter()
                .filter_map(|name| Feature::ALL.into_iter().find(|f| f.flag() == name)),
        )
    }

    /// Options for `version` with `features` on.
    pub fn with_features(version: Version, features: impl IntoIterator<Item = Feature>) -> Options {
        let mut o = Options::for_version(version);
        for f in features {
            match f {
                Feature::ExperimentalFunctions => o.experimental_functions = true,
                Feature::DurationExpr => o.duration_expr = true,
                Feature::ExtendedRangeSelectors => o.extended_range_selectors = true,
                Feature::BinopFillModifiers => o.binop_fill_modifiers = true,
            }
        }
        o
    }

    /// Whether the version has function `f`.
    pub(crate) fn has_function(&self, f: &functions::FunctionDef) -> bool {
        self.version >= f.since && f.until.is_none_or(|u| self.version < u)
    }

    /// Whether `f` is experimental in this version.
    pub(crate) fn is_experimental(&self, f: &functions::FunctionDef) -> bool {
        f.experimental && f.stable_since.is_none_or(|s| self.version < s)
    }
}

/// A PromQL feature flag of Prometheus' `--enable-feature` that changes
/// what the parser accepts (promql/parser/parse.go `Options`, set in
/// cmd/prometheus/main.go).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feature {
    /// `promql-experimental-functions`: functions marked experimental and the
    /// `limitk`/`limit_ratio` aggregations.
    ExperimentalFunctions,
    /// `promql-duration-expr`: `[5m * 2]`, `offset (1h + 5m)`, `step()`.
    DurationExpr,
    /// `promql-extended-range-selectors`: `anchored`, `smoothed`.
    ExtendedRangeSelectors,
    /// `promql-binop-fill-modifiers`: `fill`, `fill_left`, `fill_right`.
    BinopFillModifiers,
}

impl Feature {
    /// Every feature.
    pub const ALL: [Feature; 4] = [
        Feature::ExperimentalFunctions,
        Feature::DurationExpr,
        Feature::ExtendedRangeSelectors,
        Feature::BinopFillModifiers,
    ];

    /// The `--enable-feature` name.
    pub fn flag(self) -> &'static str {
        match self {
            Feature::ExperimentalFunctions => "promql-experimental-functions",
            Feature::DurationExpr => "promql-duration-expr",
            Feature::ExtendedRangeSelectors => "promql-extended-range-selectors",
            Feature::BinopFillModifiers => "promql-binop-fill-modifiers",
        }
    }

    /// The first Prometheus version that has the flag (its release notes).
    pub fn since(self) -> Version {
        match self {
            Feature::ExperimentalFunctions => (2, 50),
            Feature::DurationExpr => (3, 4),
            Feature::ExtendedRangeSelectors => (3, 7),
            Feature::BinopFillModifiers => (3, 10),
        }
    }

    /// The first version that has the feature without its flag (the flag
    /// is a no-op there): duration expressions from Prometheus 3.14
    /// (prometheus/prometheus#19033).
    pub fn stable_since(self) -> Option<Version> {
        match self {
            Feature::DurationExpr => Some((3, 14)),
            _ => None,
        }
    }

    /// What the feature gates, for messages (`an experimental function`).
    pub fn what(self) -> &'static str {
        match self {
            Feature::ExperimentalFunctions => "an experimental function",
            Feature::DurationExpr => "a duration expression",
            Feature::ExtendedRangeSelectors => "an extended range selector",
            Feature::BinopFillModifiers => "a binop fill modifier",
        }
    }
}

/// A feature-gated construct an expression uses, found while parsing with
/// its feature enabled: where, and the error Prometheus gives for it when
/// the feature is off (`function "mad_over_time" is not enabled`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureUse {
    /// The feature.
    pub feature: Feature,
    /// Byte span Prometheus' error points at (the first operand of a
    /// duration expression).
    pub span: Span,
    /// Byte span of the whole construct (the duration expression with its
    /// parentheses); [`FeatureUse::span`] for the others.
    pub extent: Span,
    /// Prometheus' message when the feature is off (without position).
    pub message: String,
}

/// One error of an expression: Prometheus' message and the byte span it
/// refers to (its start is the `line:col` Prometheus prints).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The message, as Prometheus words it (without position).
    pub message: String,
    /// Byte span in the expression.
    pub span: Span,
    /// A suggestion of ours (e.g. the replacement of a removed function).
    pub hint: Option<String>,
    /// Where mlalert points when it is not [`ParseError::span`]: the
    /// unclosed `(` or `[` that Prometheus reports at the end of input.
    pub point: Option<Span>,
}

impl ParseError {
    pub(crate) fn new(message: String, span: Span) -> ParseError {
        ParseError {
            message,
            span,
            hint: None,
            point: None,
        }
    }

    /// `line:col` of the start in `text`, as Prometheus'
    /// `PositionRange.StartPosInput`: 1-based line, 1-based byte column.
    pub fn position(&self, text: &str) -> String {
        let pos = self.span.start.min(text.len());
        let before = &text.as_bytes()[..pos];
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let col = match before.iter().rposition(|&b| b == b'\n') {
            Some(nl) => pos - nl,
            None => pos + 1,
        };
        format!("{line}:{col}")
    }

    /// The text Prometheus prints: `1:4: parse error: unexpected "="`.
    pub fn prometheus_text(&self, text: &str) -> String {
        format!("{}: parse error: {}", self.position(text), self.message)
    }
}

/// Parses and type-checks `text` as Prometheus `opts.version` with
/// `opts`' features would.
///
/// # Errors
/// Every error found, in Prometheus' order: the first one is what
/// Prometheus reports. Type errors are looked for only when there is no
/// syntax error, as in Prometheus.
pub fn parse(text: &str, opts: &Options) -> Result<Expr, Vec<ParseError>> {
    parse_with_uses(text, opts).map(|(e, _)| e)
}

/// [`parse`], also returning the feature-gated constructs the expression
/// uses that `opts` enables, in text order (with
/// [`Options::all_features`], every one it uses).
///
/// # Errors
/// As [`parse`].
pub fn parse_with_uses(
    text: &str,
    opts: &Options,
) -> Result<(Expr, Vec<FeatureUse>), Vec<ParseError>> {
    parse_lexed(text, lex::lex(text, opts), opts)
}

/// [`parse_with_uses`] of tokens already lexed from `text` with
/// [`lex::lex`] and the same `opts` (so that a caller that inspects the
/// tokens first, as `promql::parse` bounds the nesting, lexes once).
///
/// # Errors
/// As [`parse`].
pub fn parse_lexed(
    text: &str,
    tokens: Vec<lex::Token>,
    opts: &Options,
) -> Result<(Expr, Vec<FeatureUse>), Vec<ParseError>> {
    let (expr, mut errors, mut uses) = parse::parse(text, tokens, opts);
    match expr {
        Some(mut e) if errors.is_empty() => {
            check::check(&mut e, text, &mut errors);
            if errors.is_empty() {
                uses.sort_by_key(|u| (u.extent.start, u.span.start));
                uses.dedup_by(|a, b| a.feature == b.feature && a.extent == b.extent);
                Ok((e, uses))
            } else {
                Err(errors)
            }
        }
        _ => {
            if errors.is_empty() {
                errors.push(ParseError::new("unexpected error".into(), Span::default()));
            }
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inputs the `promql` fuzz target found (fuzz/README.md), at every
    /// version and feature set: error spans within the text, in order.
    #[test]
    fn fuzz_regressions() {
        let inputs = [
            // An out-of-range duration after `-` in a 2.x range: the
            // placeholder duration had an empty span at 0 (13..0).
            " 0- 06666666[- 0666666666666666666666666",
        ];
        for text in inputs {
            for v in [(2, 42), (2, 55), (3, 5), Options::CURRENT] {
                for opts in [
                    Options::for_version(v),
                    Options {
                        version: v,
                        ..Options::all_features()
                    },
                ] {
                    if let Err(errors) = parse(text, &opts) {
                        for e in errors {
                            assert!(
                                e.span.start <= e.span.end && e.span.end <= text.len(),
                                "{text:?} at {v:?}: {e:?}"
                            );
                        }
                    }
                }
            }
        }
    }
}
