//! promtool rule unit-test files (Prometheus 3.14 `cmd/promtool/unittest.go`),
//! read strictly as promtool does (yaml.v2 `UnmarshalStrict`: unknown and
//! duplicate keys are errors), with the position of every value.
//!
//! Times are `u64` milliseconds relative to the test's start
//! (`start_timestamp`, default the Unix epoch) unless said otherwise.

use crate::diagnostic::input::rule_invalid;
use crate::diagnostic::{Diagnostic, FileId};
use crate::source::{SourceFile, Span};
use crate::yaml::{Kind, Node, Style};

use super::duration::Duration;
use super::reader::{self, Errors};
use super::{KeyValue, Spanned, Text};

/// A unit-test file (`main.unitTestFile`).
#[derive(Debug, Clone)]
pub struct TestFile {
    /// `rule_files`: paths or globs, relative to the test file's directory.
    pub rule_files: Vec<Spanned<String>>,
    /// `evaluation_interval` (promtool's default 1m applies when unset or 0).
    pub evaluation_interval: Option<Spanned<Duration>>,
    /// `group_eval_order`: rule group names evaluated first, in this order.
    pub group_eval_order: Vec<Spanned<String>>,
    /// `fuzzy_compare`: compare floats within one ULP.
    pub fuzzy_compare: bool,
    /// `tests`.
    pub tests: Vec<TestGroup>,
    /// The root mapping's span.
    pub span: Span,
}

/// A test group (`main.testGroup`): input series and the tests run on them.
#[derive(Debug, Clone)]
pub struct TestGroup {
    /// `name`.
    pub name: Option<Spanned<String>>,
    /// `interval` between input samples (defaults to `evaluation_interval`).
    pub interval: Option<Spanned<Duration>>,
    /// `start_timestamp` in ms since the Unix epoch (RFC 3339 or Unix seconds).
    pub start_timestamp_ms: Option<Spanned<i64>>,
    /// `input_series`.
    pub input_series: Vec<InputSeries>,
    /// `alert_rule_test`.
    pub alert_rule_tests: Vec<AlertTestCase>,
    /// `promql_expr_test`.
    pub promql_expr_tests: Vec<PromqlTestCase>,
    /// `external_labels` (`$externalLabels` in templates).
    pub external_labels: Vec<KeyValue>,
    /// `external_url` (`$externalURL` in templates).
    pub external_url: Option<Spanned<String>>,
    /// The group mapping's span.
    pub span: Span,
}

/// One input series (`main.series`).
#[derive(Debug, Clone)]
pub struct InputSeries {
    /// `series`: `metric{label="value"}`.
    pub series: Text,
    /// `values`: expanding notation (`1+2x3 _ stale`).
    pub values: Text,
    /// The mapping's span.
    pub span: Span,
}

/// An `alert_rule_test` item (`main.alertTestCase`).
#[derive(Debug, Clone)]
pub struct AlertTestCase {
    /// `eval_time` in ms after the start (default 0).
    pub eval_time: Spanned<u64>,
    /// `alertname` (empty when missing: promtool rejects the test group).
    pub alertname: Spanned<String>,
    /// `exp_alerts`: the firing alerts expected, in any order.
    pub exp_alerts: Vec<ExpAlert>,
    /// The mapping's span.
    pub span: Span,
}

/// One expected alert (`main.alert`).
#[derive(Debug, Clone)]
pub struct ExpAlert {
    /// `exp_labels` (without `alertname`, which promtool adds).
    pub exp_labels: Vec<KeyValue>,
    /// `exp_annotations`.
    pub exp_annotations: Vec<KeyValue>,
    /// The mapping's span.
    pub span: Span,
}

/// A `promql_expr_test` item (`main.promqlTestCase`).
#[derive(Debug, Clone)]
pub struct PromqlTestCase {
    /// `expr`.
    pub expr: Text,
    /// `eval_time` in ms after the start (default 0).
    pub eval_time: Spanned<u64>,
    /// `exp_samples`.
    pub exp_samples: Vec<ExpSample>,
    /// The mapping's span.
    pub span: Span,
}

/// One expected sample (`main.sample`).
#[derive(Debug, Clone)]
pub struct ExpSample {
    /// `labels` in series notation (`metric{a="b"}`, may be empty).
    pub labels: Text,
    /// `value`.
    pub value: f64,
    /// `histogram` (native histogram notation), when given.
    pub histogram: Option<Text>,
    /// The mapping's span.
    pub span: Span,
}

const FILE_FIELDS: &[&str] = &[
    "rule_files",
    "evaluation_interval",
    "group_eval_order",
    "tests",
    "fuzzy_compare",
];
const GROUP_FIELDS: &[&str] = &[
    "interval",
    "input_series",
    "alert_rule_test",
    "promql_expr_test",
    "external_labels",
    "external_url",
    "name",
    "start_timestamp",
];

/// Reads a unit-test document's root. Problems (unknown or duplicate keys,
/// bad durations, wrong types) are returned as `rule-invalid` diagnostics;
/// the rest of the file is still read.
pub fn read_test_file(
    file: FileId,
    source: &SourceFile,
    root: &Node,
) -> (TestFile, Vec<Diagnostic>) {
    let mut out = Vec::new();
    let mut errs = Errors {
        file,
        source,
        meta: &rule_invalid::META,
        out: &mut out,
    };
    let tf = read_root(root, &mut errs);
    (tf, out)
}

fn read_root(root: &Node, errs: &mut Errors) -> TestFile {
    let mut tf = TestFile {
        rule_files: Vec::new(),
        evaluation_interval: None,
        group_eval_order: Vec::new(),
        fuzzy_compare: false,
        tests: Vec::new(),
        span: root.span,
    };
    let Some(fields) = reader::fields(root, "main.unitTestFile", FILE_FIELDS, &[], errs) else {
        return tf;
    };
    for (key, _, v) in fields {
        match key {
            "rule_files" => tf.rule_files = reader::strings(v, "rule_files", errs),
            "evaluation_interval" => {
                tf.evaluation_interval = reader::duration(v, "evaluation_interval", errs)
            }
            "group_eval_order" => {
                tf.group_eval_order = reader::strings(v, "group_eval_order", errs)
            }
            "fuzzy_compare" => {
                tf.fuzzy_compare = reader::bool_yaml11(v, "fuzzy_compare", errs)
                    .map(|b| b.value)
                    .unwrap_or(false)
            }
            "tests" => {
                for item in seq(v, "tests", errs) {
                    if let Some(g) = read_group(item, errs) {
                        tf.tests.push(g);
                    }
                }
            }
            _ => {}
        }
    }
    tf
}

/// The items of a sequence field; null is empty, anything else an error.
fn seq<'n>(node: &'n Node, what: &str, errs: &mut Errors) -> &'n [Node] {
    if node.is_null() {
        return &[];
    }
    match node.as_seq() {
        Some(items) => items,
        None => {
            errs.report(
                node.span,
                format!("{what} must be a list, got a {}", node.type_name()),
            );
            &[]
        }
    }
}

fn eval_time(node: &Node, errs: &mut Errors) -> Spanned<u64> {
    match reader::duration(node, "eval_time", errs) {
        Some(d) => Spanned {
            value: d.value.ms,
            span: d.span,
        },
        None => Spanned {
            value: 0,
            span: node.span,
        },
    }
}

fn read_group(node: &Node, errs: &mut Errors) -> Option<TestGroup> {
    let fields = reader::fields(node, "main.testGroup", GROUP_FIELDS, &[], errs)?;
    let mut g = TestGroup {
        name: None,
        interval: None,
        start_timestamp_ms: None,
        input_series: Vec::new(),
        alert_rule_tests: Vec::new(),
        promql_expr_tests: Vec::new(),
        external_labels: Vec::new(),
        external_url: None,
        span: node.span,
    };
    for (key, _, v) in fields {
        match key {
            "name" => g.name = reader::string(v, "name", errs),
            "interval" => g.interval = reader::duration(v, "interval", errs),
            "start_timestamp" => g.start_timestamp_ms = start_timestamp(v, errs),
            "external_labels" => g.external_labels = reader::key_values(v, "external_labels", errs),
            "external_url" => g.external_url = reader::string(v, "external_url", errs),
            "input_series" => {
                for item in seq(v, "input_series", errs) {
                    if let Some(s) = read_series(item, errs) {
                        g.input_series.push(s);
                    }
                }
            }
            "alert_rule_test" => {
                for item in seq(v, "alert_rule_test", errs) {
                    if let Some(t) = read_alert_test(item, errs) {
                        g.alert_rule_tests.push(t);
                    }
                }
            }
            "promql_expr_test" => {
                for item in seq(v, "promql_expr_test", errs) {
                    if let Some(t) = read_promql_test(item, errs) {
                        g.promql_expr_tests.push(t);
                    }
                }
            }
            _ => {}
        }
    }
    Some(g)
}

fn empty_text(span: Span) -> Text {
    Text {
        value: String::new(),
        span,
        map: crate::source::TextMap::Point(span.start),
    }
}

fn read_series(node: &Node, errs: &mut Errors) -> Option<InputSeries> {
    let fields = reader::fields(node, "main.series", &["series", "values"], &[], errs)?;
    let mut s = InputSeries {
        series: empty_text(node.span),
        values: empty_text(node.span),
        span: node.span,
    };
    for (key, _, v) in fields {
        let Some(t) = reader::text(v, key, errs) else {
            continue;
        };
        match key {
            "series" => s.series = t,
            "values" => s.values = t,
            _ => {}
        }
    }
    Some(s)
}

fn read_alert_test(node: &Node, errs: &mut Errors) -> Option<AlertTestCase> {
    let fields = reader::fields(
        node,
        "main.alertTestCase",
        &["eval_time", "alertname", "exp_alerts"],
        &[],
        errs,
    )?;
    let mut t = AlertTestCase {
        eval_time: Spanned {
            value: 0,
            span: node.span,
        },
        alertname: Spanned {
            value: String::new(),
            span: node.span,
        },
        exp_alerts: Vec::new(),
        span: node.span,
    };
    for (key, _, v) in fields {
        match key {
            "eval_time" => t.eval_time = eval_time(v, errs),
            "alertname" => {
                if let Some(s) = reader::string(v, "alertname", errs) {
                    t.alertname = s;
                }
            }
            "exp_alerts" => {
                for item in seq(v, "exp_alerts", errs) {
                    let Some(f) = reader::fields(
                        item,
                        "main.alert",
                        &["exp_labels", "exp_annotations"],
                        &[],
                        errs,
                    ) else {
                        continue;
                    };
                    let mut a = ExpAlert {
                        exp_labels: Vec::new(),
                        exp_annotations: Vec::new(),
                        span: item.span,
                    };
                    for (k, _, val) in f {
                        match k {
                            "exp_labels" => {
                                a.exp_labels = reader::key_values(val, "exp_labels", errs)
                            }
                            "exp_annotations" => {
                                a.exp_annotations = reader::key_values(val, "exp_annotations", errs)
                            }
                            _ => {}
                        }
                    }
                    t.exp_alerts.push(a);
                }
            }
            _ => {}
        }
    }
    Some(t)
}

fn read_promql_test(node: &Node, errs: &mut Errors) -> Option<PromqlTestCase> {
    let fields = reader::fields(
        node,
        "main.promqlTestCase",
        &["expr", "eval_time", "exp_samples"],
        &[],
        errs,
    )?;
    let mut t = PromqlTestCase {
        expr: empty_text(node.span),
        eval_time: Spanned {
            value: 0,
            span: node.span,
        },
        exp_samples: Vec::new(),
        span: node.span,
    };
    for (key, _, v) in fields {
        match key {
            "expr" => {
                if let Some(x) = reader::text(v, "expr", errs) {
                    t.expr = x;
                }
            }
            "eval_time" => t.eval_time = eval_time(v, errs),
            "exp_samples" => {
                for item in seq(v, "exp_samples", errs) {
                    let Some(f) = reader::fields(
                        item,
                        "main.sample",
                        &["labels", "value", "histogram"],
                        &[],
                        errs,
                    ) else {
                        continue;
                    };
                    let mut s = ExpSample {
                        labels: empty_text(item.span),
                        value: 0.0,
                        histogram: None,
                        span: item.span,
                    };
                    for (k, _, val) in f {
                        match k {
                            "labels" => {
                                if let Some(x) = reader::text(val, "labels", errs) {
                                    s.labels = x;
                                }
                            }
                            "value" => s.value = float(val, errs).unwrap_or(0.0),
                            "histogram" => {
                                s.histogram = reader::text(val, "histogram", errs)
                                    .filter(|x| !x.value.is_empty())
                            }
                            _ => {}
                        }
                    }
                    t.exp_samples.push(s);
                }
            }
            _ => {}
        }
    }
    Some(t)
}

/// A float64 as yaml.v2 decodes one: plain ints and floats (YAML 1.1:
/// `1_000`, `0x1F`, `.inf`, `.nan`), null as 0; strings are errors.
fn float(node: &Node, errs: &mut Errors) -> Option<f64> {
    if node.is_null() {
        return Some(0.0);
    }
    let Kind::Scalar(s) = &node.kind else {
        errs.report(
            node.span,
            format!("value must be a number, got a {}", node.type_name()),
        );
        return None;
    };
    let v = if s.style == Style::Plain {
        parse_yaml_float(&s.value)
    } else {
        None
    };
    if v.is_none() {
        errs.report(
            node.span,
            format!("cannot unmarshal !!str `{}` into float64", s.value),
        );
    }
    v
}

/// YAML 1.1 int/float resolution for a plain scalar.
pub fn parse_yaml_float(t: &str) -> Option<f64> {
    match t {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let clean = body.replace('_', "");
    let v = if let Some(h) = clean.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()? as f64
    } else if let Some(b) = clean.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()? as f64
    } else {
        if clean.is_empty()
            || !clean
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
            || !clean.bytes().any(|b| b.is_ascii_digit())
        {
            return None;
        }
        clean.parse::<f64>().ok()?
    };
    Some(if neg { -v } else { v })
}

/// `start_timestamp`: RFC 3339 text or Unix seconds; result in ms.
fn start_timestamp(node: &Node, errs: &mut Errors) -> Option<Spanned<i64>> {
    if node.is_null() {
        return None;
    }
    let t = reader::text(node, "start_timestamp", errs)?;
    match parse_start_timestamp(&t.value) {
        Some(ms) => Some(Spanned {
            value: ms,
            span: t.span,
        }),
        None => {
            errs.report(
                t.span,
                format!(
                    "start_timestamp: cannot parse {:?} as RFC3339 or a Unix timestamp",
                    t.value
                ),
            );
            None
        }
    }
}

/// Parses RFC 3339 (`2024-01-01T00:00:00Z`) or Unix seconds (`1609459200`,
/// `1609459200.5`) into ms since the epoch.
pub fn parse_start_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return Some(0);
    }
    if let Ok(secs) = s.parse::<i64>() {
        return secs.checked_mul(1000);
    }
    if let Ok(f) = s.parse::<f64>()
        && f.is_finite()
        && (f * 1000.0).abs() < 9.2e18
    {
        return Some((f * 1000.0).round() as i64);
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::TextMap;

    fn read(text: &str) -> (TestFile, Vec<String>) {
        let src = SourceFile::from_text("t.yml", text.to_string(), 0);
        let (docs, e) = crate::yaml::parse_stream(text, &TextMap::Shift(0));
        assert!(e.is_none());
        let (tf, d) = read_test_file(0, &src, &docs[0].root);
        let msgs = d
            .iter()
            .map(|d| {
                let lc = src.line_col(d.span.start);
                format!("{}:{}: {}", lc.line, lc.column, d.message)
            })
            .collect();
        (tf, msgs)
    }

    #[test]
    fn reads_every_field() {
        let (tf, errs) = read(
            r#"rule_files: [gpu.yml]
evaluation_interval: 30s
group_eval_order: [a, b]
fuzzy_compare: true
tests:
  - name: t1
    interval: 1m
    start_timestamp: "2024-01-01T00:00:00Z"
    external_labels: {cluster: a}
    external_url: http://x
    input_series:
      - series: 'up{job="x"}'
        values: 1+1x3
    alert_rule_test:
      - eval_time: 5m
        alertname: A
        exp_alerts:
          - exp_labels: {severity: page}
            exp_annotations: {summary: s}
    promql_expr_test:
      - expr: up
        eval_time: 1m
        exp_samples:
          - labels: 'up{job="x"}'
            value: 2
          - value: .inf
"#,
        );
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(tf.rule_files[0].value, "gpu.yml");
        assert_eq!(tf.evaluation_interval.map(|d| d.value.ms), Some(30_000));
        assert!(tf.fuzzy_compare);
        let g = &tf.tests[0];
        assert_eq!(
            g.start_timestamp_ms.as_ref().map(|s| s.value),
            Some(1_704_067_200_000)
        );
        assert_eq!(g.alert_rule_tests[0].eval_time.value, 300_000);
        assert_eq!(g.promql_expr_tests[0].exp_samples[1].value, f64::INFINITY);
    }

    #[test]
    fn unknown_and_duplicate_keys_are_errors_with_positions() {
        let (_, errs) = read("rule_files: []\ntests:\n  - name: a\n    nme: b\n    name: c\n");
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(errs[0].starts_with("4:5: field nme not found in type main.testGroup"));
        assert!(errs[1].starts_with("5:5: mapping key \"name\" already defined at line 3"));
    }

    #[test]
    fn quoted_value_is_not_a_float() {
        let (_, errs) = read(
            "tests:\n  - promql_expr_test:\n      - expr: x\n        exp_samples:\n          - value: '1'\n",
        );
        assert_eq!(errs.len(), 1, "{errs:?}");
    }

    #[test]
    fn start_timestamps() {
        assert_eq!(parse_start_timestamp("1609459200"), Some(1_609_459_200_000));
        assert_eq!(
            parse_start_timestamp("2024-01-01T00:00:00Z"),
            Some(1_704_067_200_000)
        );
        assert_eq!(parse_start_timestamp("yesterday"), None);
    }
}
