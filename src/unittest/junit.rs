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

/// Renders `reports` as a JUnit XML document.
pub fn render(reports: &[FileReport]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for r in reports {
        let failures = r.groups.iter().filter(|g| !g.failures.is_empty()).count();
        let errors = usize::from(r.error.is_some());
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"0\">",
            escape(&r.path),
            r.groups.len()
        );
        if let Some(e) = &r.error {
            let _ = writeln!(out, "    <error message=\"{}\"></error>", escape(e));
        }
        for g in &r.groups {
            let _ = write!(out, "    <testcase name=\"{}\"", escape(&g.name));
            if g.failures.is_empty() {
                out.push_str("></testcase>\n");
                continue;
            }
            out.push_str(">\n");
            for f in &g.failures {
                let mut text = f.message.clone();
                if let Some(d) = &f.diff {
                    text.push('\n');
                    text.push_str(d);
                }
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
                },
                GroupReport {
                    name: "bad <1>".into(),
                    given_name: None,
                    failures: vec![Failure {
                        message: "    expr: \"x\"".into(),
                        diff: None,
                    }],
                    rules: vec![],
                },
            ],
            ..FileReport::default()
        };
        let x = render(&[r]);
        assert!(x.contains("name=\"a&amp;b.yml\" tests=\"2\" failures=\"1\""));
        assert!(x.contains("<testcase name=\"bad &lt;1&gt;\">"));
        assert!(x.contains("&quot;x&quot;"));
    }
}
