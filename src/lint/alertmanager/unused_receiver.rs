//! `unused-receiver` (ML308): a receiver no route sends to.

use crate::lint::{AmCtx, Category, Diagnostic, Lint, LintMeta, Severity};
use crate::model::alertmanager::Route;

/// Metadata of `unused-receiver`.
pub static META: LintMeta = LintMeta {
    code: "ML308",
    name: "unused-receiver",
    category: Category::Suspicious,
    severity: Severity::Warning,
    summary: "a receiver that no route sends to",
};

/// The `unused-receiver` lint.
pub struct UnusedReceiver;

impl Lint for UnusedReceiver {
    fn meta(&self) -> &'static LintMeta {
        &META
    }

    fn check_alertmanager(&self, cx: &AmCtx, out: &mut Vec<Diagnostic>) {
        let Some(root) = &cx.am.route else { return };
        let mut used = Vec::new();
        collect(root, &mut used);
        for r in &cx.am.receivers {
            if !used.contains(&r.name.value.as_str()) {
                out.push(
                    Diagnostic::new(
                        &META,
                        cx.file,
                        r.name.span,
                        format!("receiver {:?} is not used by any route", r.name.value),
                    )
                    .with_help("route alerts to it, or remove it (a typo in a route's `receiver` would be reported as undefined)"),
                );
            }
        }
    }
}

fn collect<'a>(route: &'a Route, used: &mut Vec<&'a str>) {
    if let Some(r) = &route.receiver {
        used.push(&r.value);
    }
    for child in &route.routes {
        collect(child, used);
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    #[test]
    fn flags_unused() {
        let y = "route:\n  receiver: a\nreceivers:\n- name: a\n- name: b\n";
        let d = run_on("ML308", y);
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("\"b\""));
    }

    #[test]
    fn passes_used_in_child() {
        let y = "route:\n  receiver: a\n  routes:\n  - receiver: b\n    matchers: [x=y]\nreceivers:\n- name: a\n- name: b\n";
        assert!(run_on("ML308", y).is_empty());
    }
}
