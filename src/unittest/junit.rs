//! JUnit XML of test reports, shaped as promtool's `--junit` output: one
//! `<testsuite>` per test file, one `<testcase>` per test group.

use std::fmt::Write as _;

use super::FileReport;

/// Escapes text for XML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Renders `reports` as a JUnit XML document, stamped with the current time.
pub fn render(reports: &[FileReport]) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(0))
        .unwrap_or(0);
    render_at(reports, now)
}

/// Renders `reports` as a JUnit XML document: promtool's shape (one
/// `<testsuite>` per file with its `timestamp`, one `<testcase>` per test
/// group, one `<failure>` per failure), plus what CI systems read:
/// `classname` (the test file), `time` in seconds on each test case and
/// suite, and the whole failure text (promtool's, then the location, notes
/// and diff). `now` is the run's start, in seconds since the Unix epoch (UTC).
pub fn render_at(reports: &[FileReport], now: i64) -> String {
    let stamp = chrono::DateTime::from_timestamp(now, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
        .unwrap_or_default();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for r in reports {
        let failures = r.groups.iter().filter(|g| !g.failures.is_empty()).count();
        let errors = usize::from(r.error.is_some());
        let total: f64 = r.groups.iter().map(|g| g.elapsed.as_secs_f64()).sum();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"0\" time=\"{total:.3}\" timestamp=\"{stamp}\">",
            escape(&r.path),
            r.groups.len()
        );
        if let Some(e) = &r.error {
            let first = e.lines().next().unwrap_or("");
            let _ = writeln!(
                out,
                "    <error message=\"{}\">{}</error>",
                escape(first),
                escape(e)
            );
        }
        for g in &r.groups {
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\"",
                escape(&g.name),
                escape(&r.path),
                g.elapsed.as_secs_f64()
            );
            if g.failures.is_empty() {
                out.push_str("></testcase>\n");
                continue;
            }
            out.push_str(">\n");
            for f in &g.failures {
                let text = f.full_text();
                let first = text.lines().next().unwrap_or("").trim();
                let _ = writeln!(
                    out,
                    "      <failure message=\"{}\">{}</failure>",
                    escape(first),
                    escape(&text)
                );
            }
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unittest::{Failure, GroupReport};

    #[test]
    fn escapes_and_counts() {
        let r = FileReport {
            path: "a&b.yml".into(),
            groups: vec![
                GroupReport {
                    name: "ok".into(),
                    given_name: Some("ok".into()),
                    failures: vec![],
                    rules: vec![],
                    elapsed: std::time::Duration::from_millis(1500),
                },
                GroupReport {
                    name: "bad <1>".into(),
                    given_name: None,
                    failures: vec![Failure {
                        message: "    expr: \"x\"".into(),
                        location: Some("a&b.yml:7:9".into()),
                        notes: vec!["a note".into()],
                        diff: Some("diff (- expected, + got):\n  - x 1".into()),
                    }],
                    rules: vec![],
                    elapsed: std::time::Duration::from_millis(250),
                },
            ],
            ..FileReport::default()
        };
        let x = render_at(&[r], 1_765_000_000);
        assert!(
            x.contains("name=\"a&amp;b.yml\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\" time=\"1.750\" timestamp=\"2025-12-06T05:46:40\">"),
            "{x}"
        );
        assert!(
            x.contains(
                "<testcase name=\"ok\" classname=\"a&amp;b.yml\" time=\"1.500\"></testcase>"
            ),
            "{x}"
        );
        assert!(
            x.contains(
                "<testcase name=\"bad &lt;1&gt;\" classname=\"a&amp;b.yml\" time=\"0.250\">"
            ),
            "{x}"
        );
        // The whole text: promtool's message, then location, note and diff.
        assert!(
            x.contains("<failure message=\"expr: &quot;x&quot;\">    expr: &quot;x&quot;\n        at a&amp;b.yml:7:9\n        a note\n        diff (- expected, + got):\n          - x 1</failure>"),
            "{x}"
        );
    }
}
