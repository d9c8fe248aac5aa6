//! `group-wait-zero` (ML302): `group_wait: 0s` sends each new alert group at
//! once, so the first alert of a burst goes out alone and its siblings
//! follow one `group_interval` later.

use crate::lint::{AmCtx, Category, Diagnostic, Lint, LintMeta, Severity};
use crate::model::alertmanager::Route;

/// Metadata of `group-wait-zero`.
pub static META: LintMeta = LintMeta {
    code: "ML302",
    name: "group-wait-zero",
    category: Category::Suspicious,
    severity: Severity::Warning,
    summary: "`group_wait: 0s` sends the first alert of a burst without its siblings",
};

/// The `group-wait-zero` lint.
pub struct GroupWaitZero;

impl Lint for GroupWaitZero {
    fn meta(&self) -> &'static LintMeta {
        &META
    }

    /// Flags every route (root included) that sets `group_wait` to zero;
    /// children that inherit it are not flagged again.
    fn check_alertmanager(&self, cx: &AmCtx, out: &mut Vec<Diagnostic>) {
        if let Some(root) = &cx.am.route {
            visit(root, cx, out);
        }
    }
}

fn visit(route: &Route, cx: &AmCtx, out: &mut Vec<Diagnostic>) {
    if let Some(gw) = route.group_wait.as_ref().filter(|g| g.value.ms == 0) {
        out.push(
            Diagnostic::new(&META, cx.file, gw.span, format!("`group_wait: {}` sends each alert group the moment its first alert arrives", gw.value))
                .with_help("use a few seconds (Alertmanager's default is 30s; 10s for paging routes) so that alerts firing together are sent together"),
        );
    }
    for child in &route.routes {
        visit(child, cx, out);
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    #[test]
    fn flags_zero_on_root_and_child() {
        let y = "route:\n  receiver: a\n  group_wait: 0s\n  routes:\n  - receiver: a\n    group_wait: 0\n  - receiver: a\nreceivers:\n- name: a\n";
        let d = run_on("ML302", y);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].span.start, y.find("0s").unwrap());
    }

    #[test]
    fn passes_non_zero() {
        assert!(
            run_on(
                "ML302",
                "route:\n  receiver: a\n  group_wait: 10s\nreceivers:\n- name: a\n"
            )
            .is_empty()
        );
    }
}
