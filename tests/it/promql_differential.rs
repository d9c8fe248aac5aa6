//! Differential test of our PromQL parser (`mlalert::promql::syntax`)
//! against the `promql-parser` crate (0.11, a dev-dependency only): every
//! expression of the corpus is parsed with both; where both accept, the two
//! trees, written as S-expressions by a walker over each AST, must be equal;
//! where only one accepts, or the trees differ, the case must be in
//! [`KNOWN`] with the side Prometheus agrees with. A `KNOWN` entry that no
//! longer occurs fails the test too, so the list stays true.
//! tests/it/promql/DIFFERENTIAL.md describes the result.
//!
//! Expressions: every rule `expr` of `$MLALERT_CORPUS/real` (rule files,
//! rule CRDs, ConfigMaps embedding rule files: the crate's own loader), every
//! rule `expr` and `promql_expr_test` `expr` of the YAML files of
//! `$MLALERT_CORPUS/prometheus/{cmd/promtool,model/rulefmt}/testdata`, and
//! every `eval*` expression of the promqltest scripts of
//! `$MLALERT_CORPUS/prometheus/promql/promqltest/testdata`; deduplicated.
//!
//! Ours is given [`Options::all_features`] (what promqltest enables, and
//! closest to promql-parser, which knows every function with no feature
//! gate). Set `MLALERT_DIFF_DUMP=FILE` to write every disagreement as TSV
//! (kind, expression, origin, our error, promql-parser's error) for checking
//! with promtool.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use mlalert::promql::syntax::{Options, parse};
use mlalert::source::SourceFile;
use promql_parser::parser as pp;

/// What differs between the two parsers on one expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Got {
    /// Only ours accepts.
    OursOnly,
    /// Only promql-parser accepts.
    PromqlParserOnly,
    /// Both accept, with different trees.
    TreesDiffer,
}

/// The side Prometheus agrees with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Ours,
    PromqlParser,
}

/// Who says what Prometheus does: promtool 3.5.3 (`check rules` of a rule
/// file holding the expression, default flags or with the experimental
/// functions enabled), or, for syntax newer than 3.5, Prometheus 3.14's
/// promqltest scripts (which enable every feature, and expect these to
/// evaluate or to fail only at evaluation).
const PROMTOOL: &str = "promtool 3.5.3";
const PROMTOOL_EXPERIMENTAL: &str = "promtool 3.5.3 --enable-feature=promql-experimental-functions";
const PROMQLTEST: &str = "Prometheus 3.14 (per promqltest)";

/// A known disagreement.
struct Known {
    /// The expression, exactly.
    expr: &'static str,
    /// What differs.
    got: Got,
    /// Whom Prometheus agrees with.
    prometheus: Side,
    /// Who says so: [`PROMTOOL`], [`PROMTOOL_EXPERIMENTAL`] or [`PROMQLTEST`].
    authority: &'static str,
    /// Why, in short (the grouping of DIFFERENTIAL.md).
    why: &'static str,
}

const fn k(
    expr: &'static str,
    got: Got,
    prometheus: Side,
    authority: &'static str,
    why: &'static str,
) -> Known {
    Known {
        expr,
        got,
        prometheus,
        authority,
        why,
    }
}

// The reasons.
const DURATION: &str = "duration expressions (promql-duration-expr: arithmetic, step(), range(), \
     min_of/max_of in [] and after offset): not in promql-parser 0.11";
const EXTENDED: &str = "anchored/smoothed range-selector modifiers \
     (promql-extended-range-selectors, Prometheus 3.7): not in promql-parser 0.11";
const INFO: &str = "info()'s second argument may be a selector matching the empty label set \
     ({data=~\".*\"}): Prometheus exempts it from the non-empty-matcher rule, promql-parser does not";
const BYTES: &str = "string literal whose \\x escapes are bytes that are not UTF-8: Go strings \
     are bytes, and so are ours (raw bytes kept, see go::quote::RAW_BYTE_BASE); promql-parser \
     reads \\xc5 as the code point U+00C5";
const TRIM: &str = "native-histogram trim operators </ and >/ (Prometheus 3.14): \
     not in promql-parser 0.11";

#[allow(unused_imports)]
use Got::{OursOnly, PromqlParserOnly, TreesDiffer};
#[allow(unused_imports)]
use Side::{Ours, PromqlParser};

/// Every disagreement of the corpus, with Prometheus' side.
#[rustfmt::skip]
const KNOWN: &[Known] = &[
    k(r#"count_values("a\xc5z", version)"#, TreesDiffer, Ours, PROMQLTEST, BYTES),
    k(r#"label_replace(testmetric, "\xff", "", "src", "(.*)")"#, TreesDiffer, Ours, PROMQLTEST, BYTES),
    k(r#"changes(http_requests[(9m30s+30s)*3])"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"changes(http_requests[-5m+35m])"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"changes(http_requests[1h/2])"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"changes(http_requests[1h30m % 1h])"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"changes(http_requests[24m+((1.5*2m)+2m)])"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"changes(http_requests[26m+4m])"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"changes(http_requests[29m+60s])"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"changes(http_requests[2m*(10+5)])"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"changes(http_requests[2m*15])"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"changes(http_requests[30m+0s])"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"changes(http_requests[30m1s-30m1s % 1m])"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"changes(http_requests[60*30])"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"count_over_time(metric1_total[((max_of(min_of((step()+1),((1h))),1ms)))])"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"count_over_time(metric1_total[(step())+1])"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"count_over_time(metric1_total[1+(STep()-5)*2])"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"count_over_time(metric1_total[max_of(min_of(step()+1,1h),1ms)])"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"count_over_time(metric1_total[min_of(step()+1,1h)])"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"count_over_time(metric1_total[range()])"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"count_over_time(metric1_total[step()+1])"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"count_over_time(metric1_total[step()+1ms])"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"count_over_time(metric1_total[step()])"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"metric1_total offset (-2 * 2)"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"metric1_total offset (-2 ^ 2)"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"metric1_total offset (-step()*2)"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"metric1_total offset (100 + 2)"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"metric1_total offset (2 * 2)"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"metric1_total offset (2 ^ 2)"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"metric1_total offset (STEP()/10)"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"metric1_total offset (step())"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"metric1_total offset +min_of(step(), 1s)^0"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"metric1_total offset -(min_of(step(), 1s))+8000"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"metric1_total offset -(min_of(step(), 2s)-5)+8000"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"metric1_total offset -min_of(step(), 1s)+8000"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"metric1_total offset -min_of(step(), 1s)^0"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"metric1_total offset -step()*2"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"metric1_total offset STEP()"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"metric1_total offset max_of(3s,min_of(step(), 1s))+8000"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"metric1_total offset min_of(range(), 8s)"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"metric1_total offset min_of(step(), 1s)"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"metric1_total offset min_of(step(), 1s)+8000"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"metric1_total offset min_of(step(), 1s)^0"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"metric1_total offset range()"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"metric1_total offset step()"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"metric1_total offset step()*0"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"metric1_total offset step()^0"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"rate(up[1m * 2])"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"sum_over_time(metric1_total[29s+1s:((((8 - 2) / 3) * 7s) % 4) + 8000ms])"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"sum_over_time(metric1_total[29s+1s:20*500ms] offset (20*(((((8 - 2) / 3) * 7s) % 4) + 8000ms)))"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"sum_over_time(metric1_total[29s+1s:20*500ms] offset -(20*(((((8 - 2) / 3) * 7s) % 4) + 8000ms)))"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"sum_over_time(metric1_total[29s+1s:5s+5s])"#, OursOnly, Ours, PROMQLTEST, DURATION),
    k(r#"changes(floats[1m] anchored)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"changes(foo[3m] anchored)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"changes(foo[3m] smoothed)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"changes(ftohmixed[1m] anchored)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"changes(hhffmixed[1m] anchored)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"changes(histograms[1m] anchored)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"changes(honlywithreset[1m] anchored)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"changes(htofmixed[1m] anchored)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"changes(metric[1m1ms] anchored)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"changes(metric[1m] anchored)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"changes(metric[5m] anchored)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"delta(metric[1m] anchored)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"delta(metric[5m] smoothed)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"deriv(foo[3m] anchored)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"deriv(foo[3m] smoothed)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"histogram_count(delta(hist_counter[1m] anchored))"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"histogram_count(delta(hist_counter[1m] smoothed))"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"histogram_count(delta(mid_gauge_hist[90s] anchored))"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"histogram_count(hist_counter smoothed)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"histogram_count(increase(anchored_reset_at_end[70s] anchored))"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"histogram_count(increase(anchored_two_sample_reset[30s] anchored))"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"histogram_count(increase(custom_only[1m] smoothed))"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"histogram_count(increase(hist_counter[1m] anchored))"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"histogram_count(increase(hist_counter[1m] smoothed))"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"histogram_count(increase(mid_gauge_hist[90s] smoothed))"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"histogram_count(increase(reset_custom_hist[90s] anchored))"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"histogram_count(increase(smoothed_double_reset[14s] smoothed))"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"histogram_count(increase(smoothed_two_sample_both_interp[10s] smoothed))"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"histogram_count(rate(hist_counter[1m] anchored))"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"histogram_count(rate(hist_counter[1m] smoothed))"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"histogram_count(rate(mid_gauge_hist[90s] anchored))"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"histogram_count(rate(reset_boundary[1s] smoothed))"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"histogram_count(rate(right_boundary_reset[10s] smoothed))"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"histogram_count(reset_middle smoothed)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"histogram_count(smoothed_mix smoothed)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"histogram_sum(increase(custom_only[1m] smoothed))"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"histogram_sum(increase(hist_counter[1m] anchored))"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"histogram_sum(increase(hist_counter[1m] smoothed))"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"histogram_sum(increase(reset_custom_hist[90s] anchored))"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"increase(metric[10s] smoothed)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"increase(metric[1m] anchored)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"increase(metric[1m] smoothed)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"increase(metric[2m] smoothed)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"increase(metric[5m] anchored)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"increase(metric[5m] smoothed)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"increase(metric[5s] smoothed)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"max_over_time(foo[3m] anchored)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"max_over_time(foo[3m] smoothed)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"metric @ 100 smoothed"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"metric @ 100 smoothed + 0"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"metric offset -100 smoothed"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"metric offset -100 smoothed + 0"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"metric smoothed"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"mixed_types smoothed"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"notregular smoothed"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"predict_linear(foo[3m] anchored, 4)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"predict_linear(foo[3m] smoothed, 4)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"rate(metric[10s] smoothed)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"rate(metric[5s] smoothed)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"rate(mixed_hist[1m] anchored)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"rate(mixed_hist[1m] smoothed)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"rate(up[1m] anchored)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"resets(floats[1m] anchored)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"resets(foo[3m] anchored)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"resets(foo[3m] smoothed)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"resets(ftohmixed[1m] anchored)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"resets(hhffmixed[1m] anchored)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"resets(histograms[1m] anchored)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"resets(honlywithreset[1m] anchored)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"resets(htofmixed[1m] anchored)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"resets(metric[1m1ms] anchored)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"resets(metric[1m] anchored)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"resets(metric[5m] anchored)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"sort(mixed_types smoothed)"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"withreset smoothed"#, OursOnly, Ours, PROMQLTEST, EXTENDED),
    k(r#"info(metric, {__name__!="target_info"})"#, OursOnly, Ours, PROMTOOL_EXPERIMENTAL, INFO),
    k(r#"info(metric, {__name__!~".+_info", data=~".*"})"#, OursOnly, Ours, PROMTOOL_EXPERIMENTAL, INFO),
    k(r#"info(metric, {data=~".*"})"#, OursOnly, Ours, PROMTOOL_EXPERIMENTAL, INFO),
    k(r#"info(metric, {non_existent=~".*"})"#, OursOnly, Ours, PROMTOOL_EXPERIMENTAL, INFO),
    k(r#"info(metric_not_matching_target_info, {data=~".*"})"#, OursOnly, Ours, PROMTOOL_EXPERIMENTAL, INFO),
    k(r#"cbh </ +Inf"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh </ -Inf"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh </ 0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh </ 13"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh </ 15"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh </ 50"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh </ 7.5"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh >/ +Inf"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh >/ -Inf"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh >/ 0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh >/ 13"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh >/ 15"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_for_join >/ on (label) float_for_join"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_has_neg </ -15"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_has_neg </ -4"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_has_neg </ 2"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_one_bucket </ +Inf"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_one_bucket </ -Inf"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_one_bucket </ 10.0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_one_bucket >/ +Inf"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_one_bucket >/ -Inf"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_one_bucket >/ 10.0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_two_buckets_split_at_negative </ -10.0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_two_buckets_split_at_negative </ -2.0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_two_buckets_split_at_negative </ 0.0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_two_buckets_split_at_negative </ 10.0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_two_buckets_split_at_negative >/ -10.0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_two_buckets_split_at_negative >/ -2.0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_two_buckets_split_at_negative >/ 0.0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_two_buckets_split_at_negative >/ 10.0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_two_buckets_split_at_positive </ -10.0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_two_buckets_split_at_positive </ 0.0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_two_buckets_split_at_positive </ 10.0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_two_buckets_split_at_positive </ 2.0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_two_buckets_split_at_positive >/ -10.0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_two_buckets_split_at_positive >/ 0.0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_two_buckets_split_at_positive >/ 10.0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_two_buckets_split_at_positive >/ 2.0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_two_buckets_split_at_zero </ -10.0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_two_buckets_split_at_zero </ 0.0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_two_buckets_split_at_zero </ 10.0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_two_buckets_split_at_zero >/ -10.0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_two_buckets_split_at_zero >/ 0.0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"cbh_two_buckets_split_at_zero >/ 10.0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"empty </ +Inf"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"empty </ -5"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"empty </ -Inf"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"empty </ 0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"empty </ 5"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"empty >/ +Inf"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"empty >/ -5"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"empty >/ -Inf"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"empty >/ 0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"empty >/ 5"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"h_negative_buckets </ -0.1"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"h_negative_buckets </ -0.5"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"h_negative_buckets </ 0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"h_negative_buckets >/ -0.1"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"h_negative_buckets >/ -0.5"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"h_negative_buckets >/ 0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"h_positive_buckets </ 0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"h_positive_buckets </ 0.1"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"h_positive_buckets </ 0.5"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"h_positive_buckets >/ 0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"h_positive_buckets >/ 0.1"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"h_positive_buckets >/ 0.5"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"h_test </ +Inf"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"h_test </ -1"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"h_test </ -Inf"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"h_test </ 0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"h_test </ 1.4142135624"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"h_test </ 2"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"h_test >/ +Inf"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"h_test >/ -1"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"h_test >/ -Inf"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"h_test >/ 0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"h_test >/ 1.4142135624"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"h_test >/ 2"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"h_test_2 </ -1.3"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"h_test_2 </ 1.13"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"h_test_2 >/ -1.3"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"h_test_2 >/ 1.13"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"histogram_count(cbh </ 13)"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"histogram_count(cbh </ 15)"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"histogram_count(cbh >/ 13)"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"histogram_count(cbh >/ 15)"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"histogram_count(cbh_two_buckets_split_at_negative >/ 10.0)"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"histogram_count(h_test </ -1)"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"histogram_count(h_test </ 0)"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"histogram_count(h_test </ 1.4142135624)"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"histogram_count(h_test </ 2)"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"histogram_count(h_test >/ -1)"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"histogram_count(h_test >/ 0)"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"histogram_count(h_test >/ 1.4142135624)"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"histogram_count(h_test >/ 2)"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"histogram_count(h_test_2 </ 1.13)"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"histogram_count(h_test_2 >/ 1.13)"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"histogram_sum(cbh_two_buckets_split_at_negative >/ 10.0)"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"zero_bucket </ -0.005"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"zero_bucket >/ 0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"zero_bucket_only </ -0.05"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"zero_bucket_only </ -0.1"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"zero_bucket_only </ 0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"zero_bucket_only </ 0.05"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"zero_bucket_only </ 0.1"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"zero_bucket_only >/ -0.05"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"zero_bucket_only >/ -0.1"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"zero_bucket_only >/ 0"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"zero_bucket_only >/ 0.05"#, OursOnly, Ours, PROMQLTEST, TRIM),
    k(r#"zero_bucket_only >/ 0.1"#, OursOnly, Ours, PROMQLTEST, TRIM),
];

#[test]
fn promql_differential() {
    let Some(root) = crate::corpus("") else {
        return;
    };
    let real = root.join("real");
    let prom = root.join("prometheus");
    for p in [&real, &prom] {
        assert!(
            p.exists(),
            "MLALERT_CORPUS is set but {} is missing",
            p.display()
        );
    }
    // Deep expressions must not overflow the test thread's stack in either
    // parser or in the walkers.
    std::thread::Builder::new()
        .stack_size(512 << 20)
        .spawn(move || run(&root))
        .expect("spawn")
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e));
}

/// The expressions, deduplicated: text -> where it was first seen.
type Exprs = BTreeMap<String, String>;

fn run(root: &Path) {
    let mut exprs = Exprs::new();
    let (mut n_rules, mut n_tests, mut n_scripts) = (0usize, 0usize, 0usize);
    for file in yaml_files(&root.join("real")) {
        let (r, t) = from_yaml(root, &file, &mut exprs);
        n_rules += r;
        n_tests += t;
    }
    for sub in [
        "prometheus/cmd/promtool/testdata",
        "prometheus/model/rulefmt/testdata",
    ] {
        let dir = root.join(sub);
        assert!(dir.exists(), "{} is missing", dir.display());
        for file in yaml_files(&dir) {
            let (r, t) = from_yaml(root, &file, &mut exprs);
            n_rules += r;
            n_tests += t;
        }
    }
    let testdata = root.join("prometheus/promql/promqltest/testdata");
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(&testdata)
        .unwrap_or_else(|e| panic!("{}: {e}", testdata.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "test"))
        .collect();
    scripts.sort();
    assert!(
        !scripts.is_empty(),
        "no .test files in {}",
        testdata.display()
    );
    for f in &scripts {
        n_scripts += from_script(root, f, &mut exprs);
    }
    assert!(
        n_rules > 3000 && n_scripts > 1500,
        "too few expressions: {n_rules} rule exprs, {n_scripts} promqltest evals"
    );

    let opts = Options::all_features();
    let (mut equal, mut ours_only, mut theirs_only, mut both_reject) = (0, 0, 0, 0);
    let mut found: BTreeMap<&str, (Got, String)> = BTreeMap::new();
    let mut dump = String::new();
    let mut rejected = Vec::new();
    for (text, origin) in &exprs {
        let a = parse(text, &opts);
        let b = std::panic::catch_unwind(|| pp::parse(text))
            .unwrap_or_else(|_| Err("promql-parser panicked".to_string()));
        let got = match (&a, &b) {
            (Ok(a), Ok(b)) => {
                let (sa, sb) = (sx_ours(a), sx_pp(b));
                if sa == sb {
                    equal += 1;
                    continue;
                }
                (
                    Got::TreesDiffer,
                    format!("ours:          {sa}\npromql-parser: {sb}"),
                )
            }
            (Ok(_), Err(e)) => {
                ours_only += 1;
                (Got::OursOnly, format!("promql-parser: {e}"))
            }
            (Err(e), Ok(_)) => {
                theirs_only += 1;
                (
                    Got::PromqlParserOnly,
                    format!("ours: {}", e[0].prometheus_text(text)),
                )
            }
            (Err(_), Err(_)) => {
                both_reject += 1;
                rejected.push(format!("{text:?} ({origin})"));
                continue;
            }
        };
        let ea = a.as_ref().err().map(|e| e[0].prometheus_text(text));
        let eb = b.as_ref().err().cloned();
        let _ = writeln!(
            dump,
            "{:?}\t{}\t{}\t{}\t{}",
            got.0,
            esc(text),
            origin,
            esc(&ea.unwrap_or_default()),
            esc(&eb.unwrap_or_default())
        );
        found.insert(text.as_str(), got);
    }
    if let Some(path) = std::env::var_os("MLALERT_DIFF_DUMP") {
        std::fs::write(&path, &dump).expect("write MLALERT_DIFF_DUMP");
    }

    println!(
        "promql-differential: {} expressions ({n_rules} rule exprs, {n_tests} unit-test exprs, {n_scripts} promqltest evals before deduplication)",
        exprs.len()
    );
    println!(
        "  both accept, trees equal: {equal}; trees differ: {}",
        found.values().filter(|g| g.0 == Got::TreesDiffer).count()
    );
    println!(
        "  ours only: {ours_only}; promql-parser only: {theirs_only}; both reject: {both_reject}"
    );
    for r in &rejected {
        println!("    both reject: {r}");
    }

    let mut by_reason: BTreeMap<&str, Vec<&Known>> = BTreeMap::new();
    for k in KNOWN {
        by_reason.entry(k.why).or_default().push(k);
    }
    for (why, ks) in &by_reason {
        let side = |s: Side| ks.iter().filter(|k| k.prometheus == s).count();
        println!(
            "  known ({why}): {} (Prometheus agrees with ours: {}, with promql-parser: {})",
            ks.len(),
            side(Side::Ours),
            side(Side::PromqlParser)
        );
    }

    let mut problems = Vec::new();
    for (text, (got, detail)) in &found {
        match KNOWN.iter().find(|k| k.expr == *text) {
            Some(k) if k.got == *got => {}
            Some(k) => problems.push(format!(
                "{text:?}: known as {:?} but now {got:?}\n{detail}",
                k.got
            )),
            None => problems.push(format!("{got:?} {text:?} ({})\n{detail}", exprs[*text])),
        }
    }
    for k in KNOWN {
        assert!(
            [PROMTOOL, PROMTOOL_EXPERIMENTAL, PROMQLTEST].contains(&k.authority),
            "{:?}: unknown authority",
            k.expr
        );
        if !found.contains_key(k.expr) {
            problems.push(format!(
                "{:?}: in KNOWN ({:?}) but no longer a disagreement (or no longer in the corpus): remove it",
                k.expr, k.got
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} unexpected differences:\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}

/// Escapes for one TSV field.
fn esc(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\n', "\\n")
        .replace('\t', "\\t")
        .replace('\r', "\\r")
}

/// The YAML (and JSON) files under `dir`, sorted.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.expect("dir entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Adds the rule `expr`s and `promql_expr_test` `expr`s of one file, read by
/// the crate's loader; returns how many of each.
fn from_yaml(root: &Path, file: &Path, exprs: &mut Exprs) -> (usize, usize) {
    let rel = file
        .strip_prefix(root)
        .unwrap_or(file)
        .display()
        .to_string();
    let Ok(source) = SourceFile::new(rel.clone(), std::fs::read(file).expect("read")) else {
        return (0, 0);
    };
    let loaded = mlalert::model::load_file(0, &source, &Default::default());
    let mut rules = 0;
    for rule in loaded
        .rule_files
        .iter()
        .flat_map(|rf| &rf.groups)
        .flat_map(|g| &g.rules)
    {
        if let Some(e) = &rule.expr {
            rules += 1;
            let line = source.line_col(e.text.span.start).line;
            exprs
                .entry(e.text.value.clone())
                .or_insert_with(|| format!("{rel}:{line}"));
        }
    }
    let mut tests = 0;
    for doc in &loaded.unit_tests {
        for t in doc
            .get("tests")
            .and_then(|t| t.as_seq())
            .unwrap_or_default()
        {
            for p in t
                .get("promql_expr_test")
                .and_then(|p| p.as_seq())
                .unwrap_or_default()
            {
                if let Some(e) = p.get("expr").and_then(|e| e.as_str()) {
                    tests += 1;
                    let line = source.line_col(p.span.start).line;
                    exprs
                        .entry(e.to_string())
                        .or_insert_with(|| format!("{rel}:{line}"));
                }
            }
        }
    }
    (rules, tests)
}

/// Adds the expressions of a promqltest script's `eval` commands (the
/// patterns of Prometheus' promqltest `patEvalInstant`/`patEvalRange`);
/// returns how many.
fn from_script(root: &Path, file: &Path, exprs: &mut Exprs) -> usize {
    let rel = file
        .strip_prefix(root)
        .unwrap_or(file)
        .display()
        .to_string();
    let text = std::fs::read_to_string(file).expect("read script");
    let instant = regex::Regex::new(
        r"^eval(?:_(?:fail|warn|ordered|info))?\s+instant\s+(?:at\s+(?:.+?))?\s+(.+)$",
    )
    .expect("regex");
    let range = regex::Regex::new(
        r"^eval(?:_(?:fail|warn|info))?\s+range\s+from\s+(?:.+)\s+to\s+(?:.+)\s+step\s+(?:.+?)\s+(.+)$",
    )
    .expect("regex");
    let mut n = 0;
    for (i, line) in text.split('\n').enumerate() {
        let l = line.trim();
        if !l.starts_with("eval") {
            continue;
        }
        let caps = instant.captures(l).or_else(|| range.captures(l));
        let caps = caps.unwrap_or_else(|| panic!("{rel}:{}: bad eval line {l:?}", i + 1));
        n += 1;
        exprs
            .entry(caps[1].to_string())
            .or_insert_with(|| format!("{rel}:{}", i + 1));
    }
    n
}

#[path = "promql/sexpr.rs"]
mod sexpr;
use sexpr::{sx_ours, sx_pp};

/// The walkers see what they must: without the corpus, a few expressions
/// whose trees the two parsers agree on, one of them spelled out.
#[test]
fn promql_differential_walkers() {
    let opts = Options::all_features();
    let both = |t: &str| {
        let a = sx_ours(&parse(t, &opts).unwrap_or_else(|e| panic!("{t}: {e:?}")));
        let b = sx_pp(&pp::parse(t).unwrap_or_else(|e| panic!("{t}: {e}")));
        assert_eq!(a, b, "{t}");
        a
    };
    assert_eq!(
        both(
            r#"sum by (job) (rate(x{a=~"b.*"}[5m] offset -1m @ 100)) / on (job) group_left (c) -y"#
        ),
        r#"(bin / (group_left["c"] on["job"]) (agg sum by["job"] (call rate (ms (vs "x" "a"=~"b.*" offset=-60000 @100000) range=300000))) (neg (vs "y")))"#
    );
    assert_eq!(
        both("topk without (a) (3, -(x)) > bool +Inf"),
        "(bin > (bool) (agg topk without[\"a\"] (num 3.0) (neg (paren (vs \"x\")))) (num inf))"
    );
    assert_eq!(
        both("max_over_time((x - -1)[1h:5m] @ end()) or y"),
        "(bin or (many-to-many) (call max_over_time (subquery (paren (bin - () (vs \"x\") (num -1.0))) range=3600000 step=300000 @end)) (vs \"y\"))"
    );
    for t in [
        "x and ignoring () y",
        "sum by () (x)",
        r#"{__name__="x", a!="b"} offset 5m"#,
        r#"label_replace(x, "a", "$1", "b", "(.*)")"#,
        "x == on () y",
    ] {
        both(t);
    }
    assert_ne!(both("x and on () y"), both("x and y"));
    assert_ne!(both("sum without () (x)"), both("sum (x)"));
}
