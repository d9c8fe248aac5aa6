//! `experimental-promql` (ML222): an expression uses PromQL that Prometheus
//! gates behind a feature flag: an experimental function or aggregation
//! (`Experimental: true` in promql/parser/functions.go; `limitk` and
//! `limit_ratio` in promql/parser/parse.go), a duration expression
//! (`[5m * 2]`, before 3.14), an extended range selector (`anchored`, `smoothed`) or a
//! binop fill modifier (`fill(0)`). Without the flag
//! (`--enable-feature=promql-experimental-functions`, …) Prometheus' parser
//! rejects the expression (`function "mad_over_time" is not enabled`), so
//! the whole rule file fails to load, and `promtool check rules` fails the
//! same way.
//!
//! The parser records each gated construct while it reads the expression
//! with every feature on ([`crate::promql::syntax::FeatureUse`], with the
//! error Prometheus would give); this lint compares them with the run's
//! flags and its Prometheus version.

use crate::lint::{Lint, Reporter, RuleCtx};
use crate::model::rules::Dialect;
use crate::promql::syntax::{Feature, Options};

crate::declare_setting! {
    /// `prometheus_features`: the `--enable-feature` flags of the
    /// Prometheus servers that load the run's rules (`prometheus.features`
    /// in `.mlalert.yaml`; `prometheus_features` is its older spelling).
    pub static PROMETHEUS_FEATURES: Vec<String> = {
        key: "prometheus_features",
        default: "[]",
        doc: "Feature flags your Prometheus servers run with (--enable-feature, e.g. [promql-experimental-functions]); prefer `prometheus: {features: [...]}`. Read from a Prometheus Operator `Prometheus` (spec.enableFeatures) or a container's --enable-feature argument in the run when unset.",
        lint: "experimental-promql",
    }
}

/// The feature flag that enables experimental PromQL functions.
pub const EXPERIMENTAL_FUNCTIONS_FLAG: &str = "promql-experimental-functions";

crate::declare_lint! {
    /// The `experimental-promql` lint.
    pub struct ExperimentalPromql {
        code: "ML222",
        name: "experimental-promql",
        category: Correctness,
        severity: Warning,
        summary: "an expression uses experimental PromQL (a function, duration expression or modifier) that Prometheus refuses unless a feature flag enables it",
    }
}

/// The identifier at the start of `text` (`limitk` of `limitk(5, x)`).
fn leading_word(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

impl Lint for ExperimentalPromql {
    /// Flags each feature-gated construct whose flag is not among
    /// `prometheus.features` (set, or read from the run), at the construct:
    /// an experimental function or aggregation at its name, a duration
    /// expression, an `anchored`/`smoothed` selector or a `fill` modifier's
    /// operation where Prometheus points. Overlapping uses of one feature
    /// (`5m` and `5m * 2` of `[5m * 2 + 1m]`) are one finding. Rule files of
    /// the Thanos or Mimir dialect are not flagged: their rulers gate these
    /// with their own settings.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        if cx.group.dialect.is_some()
            || matches!(
                cx.config.extra_fields.dialect,
                Some(Dialect::Thanos | Dialect::Mimir)
            )
        {
            return;
        }
        let Some(expr) = cx.rule.expr.as_ref() else {
            return;
        };
        if expr.features.is_empty() {
            return;
        }
        let version = cx.config.prometheus_version().unwrap_or(Options::CURRENT);
        let enabled = Options::with_flags(
            version,
            cx.config
                .get(&PROMETHEUS_FEATURES)
                .iter()
                .map(String::as_str),
        );
        let text = &expr.text.value;
        let mut last: Option<(Feature, usize)> = None;
        for u in &expr.features {
            if enabled.has_feature(u.feature) {
                continue;
            }
            if let Some((f, end)) = last
                && f == u.feature
                && u.extent.start < end
            {
                last = Some((f, end.max(u.extent.end)));
                continue;
            }
            last = Some((u.feature, u.extent.end));
            let flag = u.feature.flag();
            let snippet = text.get(u.extent.range()).unwrap_or("");
            let (range, head) = match u.feature {
                Feature::ExperimentalFunctions => {
                    let name = leading_word(snippet);
                    let what = if matches!(name, "limitk" | "limit_ratio") {
                        "aggregation"
                    } else {
                        "function"
                    };
                    (
                        u.extent.start..u.extent.start + name.len(),
                        format!("`{name}` is an experimental PromQL {what}"),
                    )
                }
                other => {
                    let shown: String = snippet.chars().take(40).collect();
                    let more = if shown.len() < snippet.len() {
                        "…"
                    } else {
                        ""
                    };
                    (
                        u.extent.range(),
                        format!("`{shown}{more}` is {}", other.what()),
                    )
                }
            };
            let since = u.feature.since();
            let message = if version < since {
                format!(
                    "{head}, which Prometheus {}.{} does not have (it arrived in {}.{} behind --enable-feature={flag}): Prometheus refuses the expression ({}), and so fails to load the whole rule file",
                    version.0, version.1, since.0, since.1, u.message
                )
            } else {
                format!(
                    "{head}: Prometheus refuses the expression ({}), and so fails to load the whole rule file, unless it runs with --enable-feature={flag}",
                    u.message
                )
            };
            let instead = match u.feature {
                Feature::ExperimentalFunctions => "use a stable function",
                Feature::DurationExpr => "write the duration out (`[10m]`, `offset 1h5m`)",
                Feature::ExtendedRangeSelectors => "drop the modifier",
                Feature::BinopFillModifiers => {
                    "add the missing side with `or` (`a + (b or on() vector(0))`)"
                }
            };
            r.report(expr.span_of(range), message).help(format!(
                "if your Prometheus runs with that flag, say so once with `prometheus: {{features: [{flag}]}}` in .mlalert.yaml; otherwise {instead}"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::{run_on, run_on_files};

    fn alert(expr: &str) -> String {
        format!(
            "groups:\n- name: inference\n  rules:\n  - alert: LatencyOutlier\n    expr: {expr}\n    for: 10m\n    labels:\n      severity: warning\n"
        )
    }

    #[test]
    fn flags_experimental_functions_and_aggregations_at_their_names() {
        let d = run_on(
            &super::META,
            &alert(
                "mad_over_time(model_latency_seconds[1h]) > 3 * avg_over_time(model_latency_seconds[1h])",
            ),
        );
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].message
                .contains("`mad_over_time` is an experimental PromQL function")
        );
        let d = run_on(
            &super::META,
            &alert("limitk(5, rate(errors_total[5m])) > 1"),
        );
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].message.contains("aggregation"), "{d:?}");
        let d = run_on(
            &super::META,
            &alert("sort_by_label(up, \"instance\") == 0 or sort_by_label(up, \"job\") == 0"),
        );
        assert_eq!(d.len(), 2, "{d:?}");
        assert_ne!(d[0].span, d[1].span);
    }

    #[test]
    fn stable_functions_dialects_and_enabled_servers_pass() {
        for e in [
            "histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m]))) > 1",
            "quantile_over_time(0.9, x[1h]) > 1",
            "topk(3, rate(errors_total[5m])) > 1",
            "stddev_over_time(x[1h]) > 1",
        ] {
            assert!(run_on(&super::META, &alert(e)).is_empty(), "{e}");
        }
        let bad = alert("mad_over_time(model_latency_seconds[1h]) > 3");
        // A Prometheus Operator `Prometheus` of the run enables the flag.
        let server = "apiVersion: monitoring.coreos.com/v1\nkind: Prometheus\nmetadata:\n  name: k8s\nspec:\n  enableFeatures:\n  - promql-experimental-functions\n";
        assert!(run_on_files(&super::META, &[&bad, server]).is_empty());
        // So does a container argument.
        let sts = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: prometheus\nspec:\n  template:\n    spec:\n      containers:\n      - name: prometheus\n        args:\n        - --config.file=/etc/prometheus/prometheus.yml\n        - --enable-feature=exemplar-storage,promql-experimental-functions\n";
        assert!(run_on_files(&super::META, &[&bad, sts]).is_empty());
        // Another flag does not.
        let other = sts.replace(",promql-experimental-functions", "");
        assert_eq!(run_on_files(&super::META, &[&bad, &other]).len(), 1);
        // A Thanos ruler file: its ruler gates them its own way.
        let thanos = bad.replace("  rules:", "  partial_response_strategy: warn\n  rules:");
        assert!(run_on(&super::META, &thanos).is_empty());
    }

    fn with_features(version: Option<(u16, u16)>, flags: &[&str]) -> crate::config::Config {
        let mut c = crate::config::Config::default();
        c.extra_fields.prometheus_version = version;
        c.set(
            &super::PROMETHEUS_FEATURES,
            crate::config::Value::Strings(flags.iter().map(|f| f.to_string()).collect()),
        );
        c
    }

    #[test]
    fn flags_duration_expressions_extended_selectors_and_fill_modifiers() {
        use crate::lint::run_on_with;
        let cases = [
            (
                "rate(model_requests_total[5m * 2]) > 1",
                "5m * 2",
                "promql-duration-expr",
            ),
            (
                "model_queue_depth offset (1h + 5m) > 1",
                "(1h + 5m)",
                "promql-duration-expr",
            ),
            (
                "increase(model_errors_total[5m] anchored) > 1",
                "model_errors_total[5m]",
                "promql-extended-range-selectors",
            ),
            (
                "model_errors_total + fill(0) model_requests_total > 1",
                "model_errors_total + fill(0) model_requests_total",
                "promql-binop-fill-modifiers",
            ),
        ];
        // Prometheus 3.13: it has every construct, and 3.14 drops the
        // duration-expression flag.
        let v313 = || with_features(Some((3, 13)), &[]);
        for (e, at, flag) in cases {
            let yaml = alert(e);
            let d = run_on_with(&super::META, &[&yaml], v313());
            assert_eq!(d.len(), 1, "{e}: {d:?}");
            assert!(
                d[0].message.contains(&format!("--enable-feature={flag}")),
                "{d:?}"
            );
            // The finding covers the construct, within the expression.
            let start = yaml.find(e).unwrap() + e.find(at).unwrap();
            assert_eq!(d[0].span.start, start, "{e}: {d:?}");
            assert_eq!(d[0].span.end - d[0].span.start, at.len(), "{e}: {d:?}");
            // The flag silences exactly its own feature.
            assert!(
                run_on_with(
                    &super::META,
                    &[&yaml],
                    with_features(Some((3, 13)), &[flag])
                )
                .is_empty()
            );
        }
        // One finding per duration expression, not per operator.
        let d = run_on_with(&super::META, &[&alert("rate(x[5m * 2 + 1m]) > 1")], v313());
        assert_eq!(d.len(), 1, "{d:?}");
        // Features are independent: the duration flag leaves the function reported.
        let both = alert("mad_over_time(x[5m * 2]) > 1");
        let d = run_on_with(
            &super::META,
            &[&both],
            with_features(Some((3, 13)), &["promql-duration-expr"]),
        );
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].message.contains("`mad_over_time`"), "{d:?}");
        // Prometheus 3.14, the default, has duration expressions without a
        // flag (the flag is a no-op there).
        let d = run_on(&super::META, &both);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].message.contains("`mad_over_time`"), "{d:?}");
    }

    #[test]
    fn a_version_without_the_feature_says_so() {
        use crate::lint::run_on_with;
        let yaml = alert("rate(x[5m * 2]) > 1");
        let d = run_on_with(&super::META, &[&yaml], with_features(Some((3, 2)), &[]));
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].message
                .contains("which Prometheus 3.2 does not have (it arrived in 3.4 behind --enable-feature=promql-duration-expr)"),
            "{d:?}"
        );
        // Functions experimental in the newest Prometheus but not yet
        // existing in an old one are the parser's business (promql-syntax).
        let d = run_on_with(
            &super::META,
            &[&alert("sort_by_label(up, \"job\") == 0")],
            with_features(Some((2, 40)), &[]),
        );
        assert!(d.is_empty(), "{d:?}");
    }
}
