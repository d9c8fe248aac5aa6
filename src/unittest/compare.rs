//! Expected vs actual alerts and samples, compared and printed exactly as
//! promtool does, plus a line diff for people.

use std::fmt::Write as _;

use crate::engine::Labels;
use crate::engine::labels::is_legacy_name;
use crate::go::float::format_e_upper;
use crate::go::quote::quote as go_quote;

/// Label pairs sorted by name. Unlike [`Labels`], empty values are kept
/// (an expected `foo: ""` never matches, as in promtool).
pub type Pairs = Vec<(String, String)>;

/// Prometheus' `labels.String()` of pairs: `{a="b", c="d"}`.
pub fn pairs_string(p: &[(String, String)]) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in p.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        if is_legacy_name(k) {
            out.push_str(k);
        } else {
            out.push_str(&go_quote(k));
        }
        out.push('=');
        out.push_str(&go_quote(v));
    }
    out.push('}');
    out
}

/// Sorted pairs from any iterator of pairs.
pub fn sorted_pairs<I, K, V>(it: I) -> Pairs
where
    I: IntoIterator<Item = (K, V)>,
    K: Into<String>,
    V: Into<String>,
{
    let mut v: Pairs = it.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
    v.sort();
    v.dedup_by(|a, b| a.0 == b.0);
    v
}

/// Pairs of a [`Labels`].
pub fn labels_pairs(l: &Labels) -> Pairs {
    l.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// An alert as promtool compares it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LabelsAndAnnotations {
    /// Labels, `alertname` included.
    pub labels: Pairs,
    /// Annotations.
    pub annotations: Pairs,
}

impl LabelsAndAnnotations {
    fn one_line(&self) -> String {
        format!(
            "Labels:{} Annotations:{}",
            pairs_string(&self.labels),
            pairs_string(&self.annotations)
        )
    }
}

/// promtool's `indentLines`: prefixes every line but the first.
pub fn indent_lines(lines: &str, indent: &str) -> String {
    let parts: Vec<&str> = lines.split('\n').collect();
    let mut out = String::new();
    for (i, l) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str(indent);
        }
        out.push_str(l);
        if i != parts.len() - 1 {
            out.push('\n');
        }
    }
    out
}

/// promtool's `labelsAndAnnotations.String()`.
pub fn alerts_string(list: &[LabelsAndAnnotations]) -> String {
    if list.is_empty() {
        return "[]".into();
    }
    let one = |a: &LabelsAndAnnotations| {
        format!(
            "Labels:{}\nAnnotations:{}",
            pairs_string(&a.labels),
            pairs_string(&a.annotations)
        )
    };
    let mut s = format!(
        "[\n0:{}",
        indent_lines(&format!("\n{}", one(&list[0])), "  ")
    );
    for (i, a) in list.iter().enumerate().skip(1) {
        let _ = write!(s, ",\n{i}:{}", indent_lines(&format!("\n{}", one(a)), "  "));
    }
    s.push_str("\n]");
    s
}

/// A sample as promtool compares it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedSample {
    /// Labels.
    pub labels: Labels,
    /// Value.
    pub value: f64,
    /// TestExpression of the native histogram (`{{count:2 sum:3 ...}}`),
    /// empty for a float sample (promtool's `parsedSample.Histogram`).
    pub histogram: String,
}

impl ParsedSample {
    /// The value as promtool prints it: the histogram's TestExpression, or
    /// the float in `%E` form.
    fn value_string(&self) -> String {
        if self.histogram.is_empty() {
            format_e_upper(self.value)
        } else {
            self.histogram.clone()
        }
    }

    fn same_value(&self, other: &ParsedSample, fuzzy: bool) -> bool {
        self.histogram == other.histogram && floats_equal(self.value, other.value, fuzzy)
    }
}

/// promtool's `parsedSamplesString`: `{__name__="x"} 1E+00, …` or `nil`.
pub fn samples_string(list: &[ParsedSample]) -> String {
    if list.is_empty() {
        return "nil".into();
    }
    list.iter()
        .map(|s| format!("{} {}", s.labels, s.value_string()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Float equality as promtool compares: exact (NaN never equal), or within
/// one ULP with `fuzzy_compare`.
pub fn floats_equal(a: f64, b: f64, fuzzy: bool) -> bool {
    if a == b {
        return true;
    }
    fuzzy && (next_toward(a, f64::NEG_INFINITY) == b || next_toward(a, f64::INFINITY) == b)
}

/// Go's `math.Nextafter(x, y)`.
fn next_toward(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == y {
        return x;
    }
    if x == 0.0 {
        let tiny = f64::from_bits(1);
        return if y > 0.0 { tiny } else { -tiny };
    }
    let bits = x.to_bits();
    let up = (y > x) == (x > 0.0);
    f64::from_bits(if up { bits + 1 } else { bits - 1 })
}

/// Sorts samples by labels (promtool sorts both sides before comparing).
pub fn sort_samples(v: &mut [ParsedSample]) {
    v.sort_by(|a, b| a.labels.cmp(&b.labels));
}

/// True when both sample lists are equal as promtool's `cmp.Equal` sees them.
pub fn samples_equal(exp: &[ParsedSample], got: &[ParsedSample], fuzzy: bool) -> bool {
    exp.len() == got.len()
        && exp
            .iter()
            .zip(got)
            .all(|(e, g)| e.labels == g.labels && e.same_value(g, fuzzy))
}

/// A readable diff of alerts. Alerts on both sides print unmarked; an
/// expected alert and a firing one that differ only in some fields (same
/// labels, or the one expected and the one firing left) print once, marked
/// `~`, with one line per differing field (`annotation summary: "98.8%" →
/// "98.75%"`); the rest print whole, `-` expected only, `+` got only.
pub fn alerts_diff(exp: &[LabelsAndAnnotations], got: &[LabelsAndAnnotations]) -> String {
    let mut out = String::from("diff (- expected, + got):");
    let mut got_left: Vec<&LabelsAndAnnotations> = got.iter().collect();
    let mut exp_left: Vec<&LabelsAndAnnotations> = Vec::new();
    for e in exp {
        if let Some(i) = got_left.iter().position(|g| *g == e) {
            got_left.remove(i);
            let _ = write!(out, "\n    {}", e.one_line());
        } else {
            exp_left.push(e);
        }
    }
    // Pairs: same labels first, then the last expected with the last firing.
    let mut pairs: Vec<(&LabelsAndAnnotations, &LabelsAndAnnotations)> = Vec::new();
    exp_left.retain(
        |e| match got_left.iter().position(|g| g.labels == e.labels) {
            Some(i) => {
                pairs.push((e, got_left.remove(i)));
                false
            }
            None => true,
        },
    );
    if let ([e], [g]) = (exp_left.as_slice(), got_left.as_slice()) {
        pairs.push((e, g));
        exp_left.clear();
        got_left.clear();
    }
    for (e, g) in pairs {
        let _ = write!(out, "\n  ~ Labels:{}", pairs_string(&e.labels));
        field_diff(&mut out, "label", &e.labels, &g.labels);
        field_diff(&mut out, "annotation", &e.annotations, &g.annotations);
    }
    for e in exp_left {
        let _ = write!(out, "\n  - {}", e.one_line());
    }
    for g in got_left {
        let _ = write!(out, "\n  + {}", g.one_line());
    }
    out
}

/// One line per key whose value differs between `exp` and `got` (both
/// sorted by key): `label severity: "page" → "warning"`, `(none)` for a
/// missing key.
fn field_diff(out: &mut String, what: &str, exp: &[(String, String)], got: &[(String, String)]) {
    let keys: std::collections::BTreeSet<&str> =
        exp.iter().chain(got).map(|(k, _)| k.as_str()).collect();
    let value =
        |p: &[(String, String)], k: &str| p.iter().find(|(pk, _)| pk == k).map(|(_, v)| v.clone());
    for k in keys {
        let (e, g) = (value(exp, k), value(got, k));
        if e == g {
            continue;
        }
        let (e, g) = match (e, g) {
            (Some(e), Some(g)) => {
                let (e, g) = elide_common(&e, &g);
                (go_quote(&e), go_quote(&g))
            }
            (e, g) => (
                e.map_or_else(|| "(none)".to_string(), |v| go_quote(&v)),
                g.map_or_else(|| "(none)".to_string(), |v| go_quote(&v)),
            ),
        };
        let _ = write!(out, "\n      {what} {k}: {e} → {g}");
    }
}

/// Characters of context kept on each side of where two long values differ.
const DIFF_CONTEXT: usize = 20;

/// Two differing values with their common prefix and suffix cut down to
/// [`DIFF_CONTEXT`] characters, marked `…`, so that a 200-character summary
/// that differs in one number prints around that number. Short values
/// (both up to 60 characters) are kept whole.
pub fn elide_common(a: &str, b: &str) -> (String, String) {
    let (ac, bc): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if ac.len() <= 60 && bc.len() <= 60 {
        return (a.to_string(), b.to_string());
    }
    let prefix = ac.iter().zip(&bc).take_while(|(x, y)| x == y).count();
    let max_suffix = ac.len().min(bc.len()) - prefix;
    let suffix = ac
        .iter()
        .rev()
        .zip(bc.iter().rev())
        .take(max_suffix)
        .take_while(|(x, y)| x == y)
        .count();
    let cut = |c: &[char]| {
        let start = prefix.saturating_sub(DIFF_CONTEXT);
        let end = (c.len() - suffix + DIFF_CONTEXT).min(c.len());
        let mut s = String::new();
        if start > 0 {
            s.push('…');
        }
        s.extend(&c[start..end]);
        if end < c.len() {
            s.push('…');
        }
        s
    };
    (cut(&ac), cut(&bc))
}

/// A readable diff of samples, matched by labels.
pub fn samples_diff(exp: &[ParsedSample], got: &[ParsedSample], fuzzy: bool) -> String {
    let mut out = String::from("diff (- expected, + got):");
    let mut got_left: Vec<&ParsedSample> = got.iter().collect();
    for e in exp {
        match got_left.iter().position(|g| g.labels == e.labels) {
            Some(i) => {
                let g = got_left.remove(i);
                if e.same_value(g, fuzzy) {
                    let _ = write!(out, "\n    {} {}", e.labels, e.value_string());
                } else {
                    let _ = write!(
                        out,
                        "\n  - {} {}\n  + {} {}",
                        e.labels,
                        e.value_string(),
                        g.labels,
                        g.value_string()
                    );
                }
            }
            None => {
                let _ = write!(out, "\n  - {} {}", e.labels, e.value_string());
            }
        }
    }
    for g in got_left {
        let _ = write!(out, "\n  + {} {}", g.labels, g.value_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn promtool_alert_string() {
        let a = LabelsAndAnnotations {
            labels: sorted_pairs([("alertname", "Test")]),
            annotations: Vec::new(),
        };
        assert_eq!(
            indent_lines(&alerts_string(&[a]), "            "),
            "[\n            0:\n              Labels:{alertname=\"Test\"}\n              Annotations:{}\n            ]"
        );
        assert_eq!(alerts_string(&[]), "[]");
    }

    fn alert(labels: &[(&str, &str)], annotations: &[(&str, &str)]) -> LabelsAndAnnotations {
        LabelsAndAnnotations {
            labels: sorted_pairs(labels.iter().copied()),
            annotations: sorted_pairs(annotations.iter().copied()),
        }
    }

    #[test]
    fn alert_diff_marks_the_differing_fields() {
        let exp = alert(
            &[
                ("alertname", "GpuFull"),
                ("node", "n1"),
                ("severity", "page"),
            ],
            &[("summary", "98.8% used"), ("runbook", "r")],
        );
        let got = alert(
            &[
                ("alertname", "GpuFull"),
                ("node", "n1"),
                ("severity", "page"),
            ],
            &[("summary", "98.75% used"), ("runbook", "r")],
        );
        assert_eq!(
            alerts_diff(std::slice::from_ref(&exp), &[got]),
            "diff (- expected, + got):\n  ~ Labels:{alertname=\"GpuFull\", node=\"n1\", severity=\"page\"}\n      annotation summary: \"98.8% used\" → \"98.75% used\""
        );
        // One expected and one firing left: paired even when labels differ.
        let other = alert(
            &[("alertname", "GpuFull"), ("node", "n2")],
            &[("runbook", "r")],
        );
        let d = alerts_diff(std::slice::from_ref(&exp), std::slice::from_ref(&other));
        assert!(d.contains("      label node: \"n1\" → \"n2\""), "{d}");
        assert!(d.contains("      label severity: \"page\" → (none)"), "{d}");
        assert!(
            d.contains("      annotation summary: \"98.8% used\" → (none)"),
            "{d}"
        );
        assert!(!d.contains("runbook"), "equal fields are not printed: {d}");
        // Two left on one side: nothing to pair, both print whole.
        let d = alerts_diff(&[exp.clone(), other.clone()], &[]);
        assert_eq!(d.matches("\n  - Labels:").count(), 2, "{d}");
        // Matching alerts print unmarked.
        let d = alerts_diff(std::slice::from_ref(&exp), std::slice::from_ref(&exp));
        assert!(d.ends_with("\n    Labels:{alertname=\"GpuFull\", node=\"n1\", severity=\"page\"} Annotations:{runbook=\"r\", summary=\"98.8% used\"}"), "{d}");
    }

    #[test]
    fn long_values_are_cut_around_the_difference() {
        let a = format!("{}98.8%{}", "x".repeat(100), "y".repeat(100));
        let b = format!("{}98.75%{}", "x".repeat(100), "y".repeat(100));
        let (ea, eb) = elide_common(&a, &b);
        // 20 characters of the common prefix (`x…x98.`) and of the common
        // suffix (`%y…y`) around the part that differs.
        assert_eq!(ea, format!("…{}98.8%{}…", "x".repeat(17), "y".repeat(19)));
        assert_eq!(eb, format!("…{}98.75%{}…", "x".repeat(17), "y".repeat(19)));
        // Multi-byte characters are cut on character boundaries.
        let (ea, _) = elide_common(&"é".repeat(80), &format!("{}a", "é".repeat(80)));
        assert!(
            ea.starts_with('…') && ea.chars().all(|c| c == '…' || c == 'é'),
            "{ea}"
        );
        assert_eq!(
            elide_common("short", "shorter"),
            ("short".into(), "shorter".into())
        );
    }

    #[test]
    fn fuzzy_is_one_ulp() {
        assert!(floats_equal(2.9999999999999996, 3.0, true));
        assert!(floats_equal(3.0000000000000004, 3.0, true));
        assert!(!floats_equal(2.9999999999999987, 3.0, true));
        assert!(!floats_equal(2.9999999999999996, 3.0, false));
        assert!(!floats_equal(f64::NAN, f64::NAN, true));
    }

    #[test]
    fn samples_print_like_promtool() {
        let s = ParsedSample {
            labels: Labels::from_pairs([("__name__", "test")]),
            value: 1.0,
            histogram: String::new(),
        };
        let h = ParsedSample {
            labels: Labels::from_pairs([("__name__", "h")]),
            value: 0.0,
            histogram: "{{count:2 sum:3 buckets:[2]}}".into(),
        };
        assert_eq!(
            samples_string(&[s.clone(), h.clone()]),
            "{__name__=\"test\"} 1E+00, {__name__=\"h\"} {{count:2 sum:3 buckets:[2]}}"
        );
        assert_eq!(samples_string(&[]), "nil");
        // A histogram and a float sample of value 0 differ.
        let f0 = ParsedSample {
            histogram: String::new(),
            ..h.clone()
        };
        assert!(!samples_equal(std::slice::from_ref(&h), &[f0], false));
        assert!(samples_equal(
            std::slice::from_ref(&h),
            std::slice::from_ref(&h),
            false
        ));
    }
}
