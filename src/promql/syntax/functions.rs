//! The PromQL function table of Prometheus (the `Functions` map of
//! prometheus promql/parser/functions.go) from 2.0 to 3.14, with the minor
//! version in which each function appeared and, for removed ones, the version
//! without it; and the aggregation operators (keywords of
//! promql/parser/lex.go, not entries of functions.go).
//!
//! Signatures (`ArgTypes`, `Variadic`, `ReturnType`, `Experimental`) are those
//! of functions.go as of Prometheus 3.14 (for `holt_winters`, as in 2.x, where
//! it never changed). Every function of the table except `holt_winters` is called in
//! the 3.14 promqltest scripts (promql/promqltest/testdata/*.test). Versions
//! come from Prometheus' CHANGELOG.md and release notes; see the note at the
//! end of this file for the feature flags of modifiers and duration
//! expressions.

use super::ast::ValueType;

/// A Prometheus version as (major, minor).
pub type Version = (u16, u16);

/// One PromQL function: an entry of the `Functions` map of prometheus
/// promql/parser/functions.go, plus the versions that have it.
///
/// Arity, as Prometheus' parser checks it (`checkAST` in
/// promql/parser/parse.go): with `variadic == 0` a call takes exactly
/// `arg_types.len()` arguments; otherwise the last entry of `arg_types` is
/// optional, so a call takes at least `arg_types.len() - 1` arguments, at most
/// `arg_types.len() - 1 + variadic` when `variadic > 0`, and any number when
/// `variadic == -1`; arguments past the end of `arg_types` have its last type.
///
/// Its `Debug` output is the name alone, so that syntax trees holding
/// `&FunctionDef` print compactly.
#[derive(Clone, Copy, PartialEq)]
pub struct FunctionDef {
    /// The name, as called in PromQL (`Name` in promql/parser/functions.go).
    pub name: &'static str,
    /// The argument types (`ArgTypes` in promql/parser/functions.go).
    pub arg_types: &'static [ValueType],
    /// As Prometheus' `Variadic`: 0 fixed, -1 unlimited, n > 0 up to n optional trailing args.
    pub variadic: i32,
    /// The type of the result (`ReturnType` in promql/parser/functions.go).
    pub return_type: ValueType,
    /// Needs `--enable-feature=promql-experimental-functions` (in the versions where it is experimental).
    ///
    /// `Experimental: true` in promql/parser/functions.go from `since` on,
    /// up to (not including) `stable_since` when that is set.
    pub experimental: bool,
    /// First version that has it.
    pub since: Version,
    /// First version that no longer has it (None: still there in 3.14).
    pub until: Option<Version>,
    /// For removed/renamed functions: the replacement to suggest (e.g. holt_winters -> Some("double_exponential_smoothing")).
    pub replacement: Option<&'static str>,
    /// For a function that was experimental at first: the first version in
    /// which promql/parser/functions.go no longer marks it `Experimental`, so
    /// that it works without the feature flag (None: experimental in every
    /// version up to 3.14, or never experimental).
    pub stable_since: Option<Version>,
}

impl std::fmt::Debug for FunctionDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

const V: ValueType = ValueType::Vector;
const S: ValueType = ValueType::Scalar;
const M: ValueType = ValueType::Matrix;
const STR: ValueType = ValueType::String;

/// A stable function, still there in 3.14.
const fn f(
    name: &'static str,
    arg_types: &'static [ValueType],
    variadic: i32,
    return_type: ValueType,
    since: Version,
) -> FunctionDef {
    FunctionDef {
        name,
        arg_types,
        variadic,
        return_type,
        experimental: false,
        since,
        until: None,
        replacement: None,
        stable_since: None,
    }
}

impl FunctionDef {
    /// Marks the function experimental (from `since` on).
    const fn exp(self) -> Self {
        Self {
            experimental: true,
            ..self
        }
    }

    /// Marks an experimental function stable from `version` on.
    const fn stable(self, version: Version) -> Self {
        Self {
            stable_since: Some(version),
            ..self
        }
    }

    /// Marks the function removed in `version`, with a replacement.
    const fn removed(self, version: Version, replacement: &'static str) -> Self {
        Self {
            until: Some(version),
            replacement: Some(replacement),
            ..self
        }
    }
}

/// The functions of prometheus promql/parser/functions.go from 2.0 to 3.14,
/// sorted by name (byte order), including those removed since (`until`).
///
/// Not listed: `count_scalar` and `drop_common_labels` (removed in 2.0), and
/// `integral` (experimental, added in 3.16, after the newest version this
/// table covers).
pub static FUNCTIONS: &[FunctionDef] = &[
    f("abs", &[V], 0, V, (2, 0)),
    f("absent", &[V], 0, V, (2, 0)),
    f("absent_over_time", &[M], 0, V, (2, 16)),
    f("acos", &[V], 0, V, (2, 31)),
    f("acosh", &[V], 0, V, (2, 31)),
    f("asin", &[V], 0, V, (2, 31)),
    f("asinh", &[V], 0, V, (2, 31)),
    f("atan", &[V], 0, V, (2, 31)),
    f("atanh", &[V], 0, V, (2, 31)),
    f("avg_over_time", &[M], 0, V, (2, 0)),
    f("ceil", &[V], 0, V, (2, 0)),
    f("changes", &[M], 0, V, (2, 0)),
    f("clamp", &[V, S, S], 0, V, (2, 26)),
    f("clamp_max", &[V, S], 0, V, (2, 0)),
    f("clamp_min", &[V, S], 0, V, (2, 0)),
    f("cos", &[V], 0, V, (2, 31)),
    f("cosh", &[V], 0, V, (2, 31)),
    f("count_over_time", &[M], 0, V, (2, 0)),
    f("day_of_month", &[V], 1, V, (2, 0)),
    f("day_of_week", &[V], 1, V, (2, 0)),
    f("day_of_year", &[V], 1, V, (2, 37)),
    f("days_in_month", &[V], 1, V, (2, 0)),
    f("deg", &[V], 0, V, (2, 31)),
    f("delta", &[M], 0, V, (2, 0)),
    f("deriv", &[M], 0, V, (2, 0)),
    f("double_exponential_smoothing", &[M, S, S], 0, V, (3, 0)).exp(),
    f("end", &[], 0, S, (3, 12)).exp(),
    f("exp", &[V], 0, V, (2, 0)),
    f("first_over_time", &[M], 0, V, (3, 7))
        .exp()
        .stable((3, 14)),
    f("floor", &[V], 0, V, (2, 0)),
    f("histogram_avg", &[V], 0, V, (2, 51)),
    f("histogram_count", &[V], 0, V, (2, 40)),
    f("histogram_fraction", &[S, S, V], 0, V, (2, 40)),
    f("histogram_quantile", &[S, V], 0, V, (2, 0)),
    f("histogram_quantiles", &[V, STR, S, S], 9, V, (3, 11)).exp(),
    f("histogram_stddev", &[V], 0, V, (2, 47)),
    f("histogram_stdvar", &[V], 0, V, (2, 47)),
    f("histogram_sum", &[V], 0, V, (2, 40)),
    f("holt_winters", &[M, S, S], 0, V, (2, 0)).removed((3, 0), "double_exponential_smoothing"),
    f("hour", &[V], 1, V, (2, 0)),
    f("idelta", &[M], 0, V, (2, 0)),
    f("increase", &[M], 0, V, (2, 0)),
    f("info", &[V, V], 1, V, (2, 55)).exp(),
    f("irate", &[M], 0, V, (2, 0)),
    f("label_join", &[V, STR, STR, STR], -1, V, (2, 0)),
    f("label_replace", &[V, STR, STR, STR, STR], 0, V, (2, 0)),
    f("last_over_time", &[M], 0, V, (2, 26)),
    f("ln", &[V], 0, V, (2, 0)),
    f("log10", &[V], 0, V, (2, 0)),
    f("log2", &[V], 0, V, (2, 0)),
    f("mad_over_time", &[M], 0, V, (2, 49)).exp(),
    f("max_of", &[S, S], 0, S, (3, 13)).exp(),
    f("max_over_time", &[M], 0, V, (2, 0)),
    f("min_of", &[S, S], 0, S, (3, 13)).exp(),
    f("min_over_time", &[M], 0, V, (2, 0)),
    f("minute", &[V], 1, V, (2, 0)),
    f("month", &[V], 1, V, (2, 0)),
    f("pi", &[], 0, S, (2, 31)),
    f("predict_linear", &[M, S], 0, V, (2, 0)),
    f("present_over_time", &[M], 0, V, (2, 29)),
    f("quantile_over_time", &[S, M], 0, V, (2, 0)),
    f("rad", &[V], 0, V, (2, 31)),
    f("range", &[], 0, S, (3, 12)).exp(),
    f("rate", &[M], 0, V, (2, 0)),
    f("resets", &[M], 0, V, (2, 0)),
    f("round", &[V, S], 1, V, (2, 0)),
    f("scalar", &[V], 0, S, (2, 0)),
    f("sgn", &[V], 0, V, (2, 26)),
    f("sin", &[V], 0, V, (2, 31)),
    f("sinh", &[V], 0, V, (2, 31)),
    f("sort", &[V], 0, V, (2, 0)),
    f("sort_by_label", &[V, STR], -1, V, (2, 49)).exp(),
    f("sort_by_label_desc", &[V, STR], -1, V, (2, 49)).exp(),
    f("sort_desc", &[V], 0, V, (2, 0)),
    f("sqrt", &[V], 0, V, (2, 0)),
    f("start", &[], 0, S, (3, 12)).exp(),
    f("start_timestamp", &[V], 0, V, (3, 14)).exp(),
    f("stddev_over_time", &[M], 0, V, (2, 0)),
    f("stdvar_over_time", &[M], 0, V, (2, 0)),
    f("step", &[], 0, S, (3, 12)).exp(),
    f("sum_over_time", &[M], 0, V, (2, 0)),
    f("tan", &[V], 0, V, (2, 31)),
    f("tanh", &[V], 0, V, (2, 31)),
    f("time", &[], 0, S, (2, 0)),
    f("timestamp", &[V], 0, V, (2, 0)),
    f("ts_of_first_over_time", &[M], 0, V, (3, 7)).exp(),
    f("ts_of_last_over_time", &[M], 0, V, (3, 5)).exp(),
    f("ts_of_max_over_time", &[M], 0, V, (3, 5)).exp(),
    f("ts_of_min_over_time", &[M], 0, V, (3, 5)).exp(),
    f("vector", &[S], 0, V, (2, 0)),
    f("year", &[V], 1, V, (2, 0)),
];

/// Looks up by exact name (case-sensitive, as Prometheus).
///
/// Prometheus' parser looks function names up in the `Functions` map of
/// promql/parser/functions.go as written: `Rate(x[5m])` is an unknown
/// function. Removed functions (`until` set) are found too.
pub fn lookup(name: &str) -> Option<&'static FunctionDef> {
    FUNCTIONS
        .binary_search_by(|d| d.name.cmp(name))
        .ok()
        .map(|i| &FUNCTIONS[i])
}

/// One aggregation operator: a keyword of prometheus promql/parser/lex.go
/// (aggregations are not in the `Functions` map of
/// promql/parser/functions.go), with the parameter that
/// promql/parser/parse.go requires before the aggregated expression.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AggregationDef {
    /// The keyword, in lower case (`sum`, `topk`, `count_values`, ...).
    pub name: &'static str,
    /// Takes a parameter before the aggregated vector (`topk(5, x)`).
    pub has_param: bool,
    /// The type of that parameter (None when `has_param` is false).
    pub param_type: Option<ValueType>,
    /// Needs `--enable-feature=promql-experimental-functions`
    /// (`IsExperimentalAggregator` in promql/parser/lex.go), in every version
    /// up to 3.14.
    pub experimental: bool,
    /// First version that has it.
    pub since: Version,
}

const fn agg(name: &'static str, param_type: Option<ValueType>, since: Version) -> AggregationDef {
    AggregationDef {
        name,
        has_param: param_type.is_some(),
        param_type,
        experimental: false,
        since,
    }
}

/// The aggregation operators of PromQL (keywords of prometheus
/// promql/parser/lex.go; the parameter types are checked in
/// promql/parser/parse.go, not in promql/parser/functions.go), sorted by name.
pub static AGGREGATIONS: &[AggregationDef] = &[
    agg("avg", None, (2, 0)),
    agg("bottomk", Some(S), (2, 0)),
    agg("count", None, (2, 0)),
    agg("count_values", Some(STR), (2, 0)),
    agg("group", None, (2, 20)),
    AggregationDef {
        experimental: true,
        ..agg("limit_ratio", Some(S), (2, 54))
    },
    AggregationDef {
        experimental: true,
        ..agg("limitk", Some(S), (2, 54))
    },
    agg("max", None, (2, 0)),
    agg("min", None, (2, 0)),
    agg("quantile", Some(S), (2, 0)),
    agg("stddev", None, (2, 0)),
    agg("stdvar", None, (2, 0)),
    agg("sum", None, (2, 0)),
    agg("topk", Some(S), (2, 0)),
];

/// Looks up an aggregation operator, ignoring ASCII case, as Prometheus lexes
/// aggregation keywords case-insensitively (`SUM by (job) (x)` is `sum`;
/// promql/parser/lex.go lower-cases identifiers before looking keywords up,
/// and its identifiers are ASCII). Function names, by contrast, are
/// case-sensitive (see [`lookup`] and promql/parser/functions.go).
pub fn lookup_aggregation(name: &str) -> Option<&'static AggregationDef> {
    AGGREGATIONS
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(name))
}

// Beyond functions and aggregations: PromQL syntax behind feature flags
// (`--enable-feature=...`), with the minor version each appeared in.
//
// - `@` modifier: 2.25 behind `promql-at-modifier`; negative offsets: 2.26
//   behind `promql-negative-offset`. Both on by default since 2.33; the flags
//   are gone in 3.0.
// - Subqueries (`x[1h:5m]`): 2.7, no flag.
// - Experimental functions and the aggregations `limitk`/`limit_ratio`:
//   `promql-experimental-functions`, since 2.49 (aggregations 2.54).
// - Duration expressions (`x[5m * 2]`, `offset (1h + 5m)`): 3.4 behind
//   `promql-duration-expr`; `step()`, `min()` and `max()` inside durations:
//   3.6 (same flag); `min()`/`max()` there renamed `min_of()`/`max_of()` in
//   3.13 (when `min_of`/`max_of` also became experimental functions, above).
//   Duration expressions are on by default since 3.14 (no flag needed).
// - `anchored` and `smoothed` range-selector modifiers (`rate(x[5m]
//   smoothed)`): 3.7 behind `promql-extended-range-selectors`, still behind it
//   in 3.14 (always on from 3.16). In 3.14 `smoothed` is allowed only with
//   `delta`, `increase` and `rate`, and `anchored` only with `changes`,
//   `delta`, `increase`, `rate` and `resets` (the parser rejects other
//   functions).
// - `fill()`, `fill_left()`, `fill_right()` binary-operator modifiers
//   (`a + fill(0) b`): 3.10 behind `promql-binop-fill-modifiers`.
//
// Aggregation operators (`AGGREGATIONS`): `sum`, `avg`, `count`, `min`,
// `max`, `stddev`, `stdvar`, `topk`, `bottomk`, `count_values` and `quantile`
// predate 2.0; `group` since 2.20; `limitk` and `limit_ratio` since 2.54,
// experimental (`promql-experimental-functions`) in every version up to 3.14.
// Parameters: scalar for `topk`, `bottomk`, `quantile`, `limitk` and
// `limit_ratio`, string (the output label name) for `count_values`.

#[cfg(test)]
mod tests {
    use super::*;

    /// The newest version this table covers.
    const NEWEST: Version = (3, 14);

    #[test]
    fn functions_are_sorted_and_unique() {
        for w in FUNCTIONS.windows(2) {
            assert!(w[0].name < w[1].name, "{} before {}", w[0].name, w[1].name);
        }
    }

    #[test]
    fn aggregations_are_sorted_and_unique() {
        for w in AGGREGATIONS.windows(2) {
            assert!(w[0].name < w[1].name, "{} before {}", w[0].name, w[1].name);
        }
    }

    #[test]
    fn lookup_finds_every_function_by_exact_name() {
        for d in FUNCTIONS {
            assert_eq!(lookup(d.name), Some(d), "{}", d.name);
        }
        assert_eq!(lookup("Rate"), None);
        assert_eq!(lookup("RATE"), None);
        assert_eq!(lookup("rate "), None);
        assert_eq!(lookup(""), None);
        assert_eq!(lookup("xrate"), None);
        // Aggregations are not functions.
        assert_eq!(lookup("sum"), None);
        assert_eq!(lookup("limitk"), None);
        // Added after 3.14.
        assert_eq!(lookup("integral"), None);
        assert_eq!(format!("{:?}", lookup("rate").unwrap()), "rate");
    }

    #[test]
    fn table_invariants() {
        for d in FUNCTIONS {
            let n = d.name;
            assert!(d.since >= (2, 0) && d.since <= NEWEST, "{n}");
            assert!(d.variadic >= -1, "{n}");
            assert!(d.variadic == 0 || !d.arg_types.is_empty(), "{n}");
            if let Some(until) = d.until {
                assert!(until > d.since && until <= NEWEST, "{n}");
            }
            assert_eq!(d.replacement.is_some(), d.until.is_some(), "{n}");
            if let Some(r) = d.replacement {
                let r = lookup(r).expect("the replacement is in the table");
                assert_eq!(r.until, None, "{n}");
                assert!(r.since <= d.until.unwrap(), "{n}");
            }
            if let Some(s) = d.stable_since {
                assert!(d.experimental && s > d.since && s <= NEWEST, "{n}");
            }
        }
    }

    #[test]
    fn holt_winters_renamed_in_3_0() {
        let hw = lookup("holt_winters").unwrap();
        assert_eq!(hw.since, (2, 0));
        assert_eq!(hw.until, Some((3, 0)));
        assert_eq!(hw.replacement, Some("double_exponential_smoothing"));
        assert!(!hw.experimental);
        let des = lookup("double_exponential_smoothing").unwrap();
        assert_eq!(des.since, (3, 0));
        assert!(des.experimental);
        assert_eq!(des.stable_since, None);
        assert_eq!(des.until, None);
        assert_eq!(des.arg_types, hw.arg_types);
        assert_eq!(des.arg_types, &[M, S, S]);
        assert_eq!(des.return_type, V);
    }

    #[test]
    fn signatures() {
        let rate = lookup("rate").unwrap();
        assert_eq!(rate.arg_types, &[M]);
        assert_eq!(rate.variadic, 0);
        assert_eq!(rate.return_type, V);
        assert!(!rate.experimental);
        assert_eq!(rate.since, (2, 0));

        let lj = lookup("label_join").unwrap();
        assert_eq!(lj.variadic, -1);
        assert_eq!(lj.arg_types, &[V, STR, STR, STR]);
        let lr = lookup("label_replace").unwrap();
        assert_eq!(lr.variadic, 0);
        assert_eq!(lr.arg_types.len(), 5);

        let round = lookup("round").unwrap();
        assert_eq!(round.variadic, 1);
        assert_eq!(round.arg_types, &[V, S]);

        for date in [
            "day_of_month",
            "day_of_week",
            "day_of_year",
            "days_in_month",
            "hour",
            "minute",
            "month",
            "year",
        ] {
            let d = lookup(date).unwrap();
            assert_eq!(
                (d.arg_types, d.variadic, d.return_type),
                (&[V][..], 1, V),
                "{date}"
            );
        }

        for scalar_fn in ["pi", "time", "start", "end", "range", "step"] {
            let d = lookup(scalar_fn).unwrap();
            assert!(d.arg_types.is_empty(), "{scalar_fn}");
            assert_eq!(d.return_type, S, "{scalar_fn}");
        }
        assert_eq!(lookup("scalar").unwrap().return_type, S);
        assert_eq!(lookup("vector").unwrap().arg_types, &[S]);
        assert_eq!(lookup("histogram_quantile").unwrap().arg_types, &[S, V]);
        assert_eq!(lookup("histogram_fraction").unwrap().arg_types, &[S, S, V]);
        let hqs = lookup("histogram_quantiles").unwrap();
        assert_eq!((hqs.arg_types, hqs.variadic), (&[V, STR, S, S][..], 9));
        let info = lookup("info").unwrap();
        assert_eq!((info.arg_types, info.variadic), (&[V, V][..], 1));
        assert_eq!(lookup("sort_by_label").unwrap().variadic, -1);
        assert_eq!(lookup("clamp").unwrap().arg_types, &[V, S, S]);
        assert_eq!(lookup("predict_linear").unwrap().arg_types, &[M, S]);
        assert_eq!(lookup("quantile_over_time").unwrap().arg_types, &[S, M]);
    }

    #[test]
    fn versions_and_experimental_flags() {
        let first = lookup("first_over_time").unwrap();
        assert!(first.experimental);
        assert_eq!((first.since, first.stable_since), ((3, 7), Some((3, 14))));
        // Experimental in 3.14.
        for name in [
            "double_exponential_smoothing",
            "end",
            "histogram_quantiles",
            "info",
            "mad_over_time",
            "max_of",
            "min_of",
            "range",
            "sort_by_label",
            "sort_by_label_desc",
            "start",
            "start_timestamp",
            "step",
            "ts_of_first_over_time",
            "ts_of_last_over_time",
            "ts_of_max_over_time",
            "ts_of_min_over_time",
        ] {
            let d = lookup(name).unwrap();
            assert!(d.experimental && d.stable_since.is_none(), "{name}");
        }
        let experimental_now = FUNCTIONS
            .iter()
            .filter(|d| d.until.is_none() && d.experimental && d.stable_since.is_none())
            .count();
        assert_eq!(experimental_now, 17);
        // Stable from the start.
        for name in [
            "histogram_avg",
            "histogram_count",
            "histogram_sum",
            "present_over_time",
            "sgn",
        ] {
            assert!(!lookup(name).unwrap().experimental, "{name}");
        }
        assert_eq!(lookup("absent_over_time").unwrap().since, (2, 16));
        assert_eq!(lookup("present_over_time").unwrap().since, (2, 29));
        assert_eq!(lookup("last_over_time").unwrap().since, (2, 26));
        assert_eq!(lookup("histogram_stddev").unwrap().since, (2, 47));
        assert_eq!(lookup("histogram_avg").unwrap().since, (2, 51));
        assert_eq!(lookup("mad_over_time").unwrap().since, (2, 49));
        assert_eq!(lookup("ts_of_max_over_time").unwrap().since, (3, 5));
        assert_eq!(lookup("start_timestamp").unwrap().since, (3, 14));
    }

    /// Every function the Prometheus 3.14 promqltest scripts call
    /// (promql/promqltest/testdata/*.test) is in the table, not removed.
    #[test]
    fn covers_the_3_14_promqltest_calls() {
        const CALLED_IN_3_14: &[&str] = &[
            "abs",
            "absent",
            "absent_over_time",
            "acos",
            "acosh",
            "asin",
            "asinh",
            "atan",
            "atanh",
            "avg_over_time",
            "ceil",
            "changes",
            "clamp",
            "clamp_max",
            "clamp_min",
            "cos",
            "cosh",
            "count_over_time",
            "day_of_month",
            "day_of_week",
            "day_of_year",
            "days_in_month",
            "deg",
            "delta",
            "deriv",
            "double_exponential_smoothing",
            "end",
            "exp",
            "first_over_time",
            "floor",
            "histogram_avg",
            "histogram_count",
            "histogram_fraction",
            "histogram_quantile",
            "histogram_quantiles",
            "histogram_stddev",
            "histogram_stdvar",
            "histogram_sum",
            "hour",
            "idelta",
            "increase",
            "info",
            "irate",
            "label_join",
            "label_replace",
            "last_over_time",
            "ln",
            "log10",
            "log2",
            "mad_over_time",
            "max_of",
            "max_over_time",
            "min_of",
            "min_over_time",
            "minute",
            "month",
            "pi",
            "predict_linear",
            "present_over_time",
            "quantile_over_time",
            "rad",
            "range",
            "rate",
            "resets",
            "round",
            "scalar",
            "sgn",
            "sin",
            "sinh",
            "sort",
            "sort_by_label",
            "sort_by_label_desc",
            "sort_desc",
            "sqrt",
            "start",
            "start_timestamp",
            "stddev_over_time",
            "stdvar_over_time",
            "step",
            "sum_over_time",
            "tan",
            "tanh",
            "time",
            "timestamp",
            "ts_of_first_over_time",
            "ts_of_last_over_time",
            "ts_of_max_over_time",
            "ts_of_min_over_time",
            "vector",
            "year",
        ];
        for name in CALLED_IN_3_14 {
            let d = lookup(name).unwrap_or_else(|| panic!("{name} missing"));
            assert_eq!(d.until, None, "{name}");
        }
        // And nothing else is current in 3.14.
        let current = FUNCTIONS.iter().filter(|d| d.until.is_none()).count();
        assert_eq!(current, CALLED_IN_3_14.len());
        assert_eq!(FUNCTIONS.len(), CALLED_IN_3_14.len() + 1);
    }

    #[test]
    fn aggregations() {
        assert_eq!(AGGREGATIONS.len(), 14);
        assert_eq!(lookup_aggregation("sum").unwrap().name, "sum");
        assert_eq!(lookup_aggregation("SUM").unwrap().name, "sum");
        assert_eq!(lookup_aggregation("TopK").unwrap().name, "topk");
        assert_eq!(
            lookup_aggregation("Count_Values").unwrap().name,
            "count_values"
        );
        assert_eq!(lookup_aggregation("rate"), None);
        assert_eq!(lookup_aggregation("sum_over_time"), None);
        assert_eq!(lookup_aggregation(""), None);
        for a in AGGREGATIONS {
            assert_eq!(a.has_param, a.param_type.is_some(), "{}", a.name);
            assert!(a.since >= (2, 0) && a.since <= NEWEST, "{}", a.name);
            assert_eq!(lookup(a.name), None, "{} is not a function", a.name);
        }
        let cv = lookup_aggregation("count_values").unwrap();
        assert_eq!(cv.param_type, Some(STR));
        for name in ["topk", "bottomk", "quantile", "limitk", "limit_ratio"] {
            assert_eq!(
                lookup_aggregation(name).unwrap().param_type,
                Some(S),
                "{name}"
            );
        }
        for name in [
            "sum", "avg", "count", "min", "max", "group", "stddev", "stdvar",
        ] {
            let a = lookup_aggregation(name).unwrap();
            assert!(!a.has_param && !a.experimental, "{name}");
        }
        assert_eq!(lookup_aggregation("group").unwrap().since, (2, 20));
        for name in ["limitk", "limit_ratio"] {
            let a = lookup_aggregation(name).unwrap();
            assert!(a.experimental, "{name}");
            assert_eq!(a.since, (2, 54), "{name}");
        }
        assert_eq!(AGGREGATIONS.iter().filter(|a| a.experimental).count(), 2);
    }
}
