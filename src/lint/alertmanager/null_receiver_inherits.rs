//! `null-receiver-inherits` (ML312): `receiver: null` (or `~`, or nothing)
//! on a child route is a YAML null: Alertmanager reads it as "unset", so the
//! route inherits its parent's receiver. It is not the receiver named
//! `"null"` that many configs define to drop alerts.

use crate::diagnostic::{Applicability, Fix};
use crate::lint::{AmCtx, Lint, Reporter};
use crate::model::alertmanager::Route;

crate::declare_lint! {
    /// The `null-receiver-inherits` lint.
    pub struct NullReceiverInherits {
        code: "ML312",
        name: "null-receiver-inherits",
        category: Correctness,
        severity: Warning,
        summary: "`receiver: null` is a YAML null: the route inherits its parent's receiver",
    }
}

impl Lint for NullReceiverInherits {
    fn check_alertmanager(&self, cx: &AmCtx, r: &mut Reporter) {
        let Some(root) = &cx.am.route else { return };
        let has_null = cx.am.receivers.iter().any(|r| r.name.value == "null");
        let parent = root.receiver.as_ref().map(|r| r.value.as_str());
        for child in &root.routes {
            visit(child, parent, has_null, cx, r);
        }
    }
}

fn visit(route: &Route, parent: Option<&str>, has_null: bool, cx: &AmCtx, r: &mut Reporter) {
    let own = route.receiver.as_ref().map(|r| r.value.as_str());
    if let Some(span) = route.receiver_null {
        let inherited = parent
            .map(|p| format!("its parent's receiver {p:?}"))
            .unwrap_or_else(|| "its parent's receiver".into());
        let named = if has_null {
            " (the receiver named \"null\" defined in this config is not used here)"
        } else {
            ""
        };
        r.report(span, format!("`receiver: null` is a YAML null, so this route sends to {inherited}{named}"))
            .help("quote it (`receiver: 'null'`) to send to a receiver named \"null\", or remove the line to inherit on purpose")
            .fix(quote_null(cx, span, has_null));
    }
    let effective = own.or(parent);
    for child in &route.routes {
        visit(child, effective, has_null, cx, r);
    }
}

/// `receiver: null` → `receiver: 'null'` (unsafe: the route then sends to
/// the receiver named "null" instead of its parent's), offered only when
/// the config defines a receiver named "null" and the value is spelled
/// `null` (not `~` or nothing, which do not read as that receiver's name).
fn quote_null(cx: &AmCtx, span: crate::source::Span, has_null: bool) -> Option<Fix> {
    let raw = cx.source.text.get(span.range())?;
    if !has_null || !raw.eq_ignore_ascii_case("null") {
        return None;
    }
    Fix::of(
        "quote it: `receiver: 'null'`",
        Applicability::Unsafe,
        [crate::lint::fix::replace(cx.source, span, raw, "'null'")],
    )
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    #[test]
    fn flags_unquoted_null() {
        let y = "route:\n  receiver: pager\n  routes:\n  - matchers: [severity=info]\n    receiver: null\n  - matchers: [severity=none]\n    receiver: ~\nreceivers:\n- name: pager\n- name: 'null'\n";
        let d = run_on(&super::META, y);
        assert_eq!(d.len(), 2);
        assert!(d[0].message.contains("\"pager\""));
    }

    #[test]
    fn passes_quoted_null() {
        let y = "route:\n  receiver: pager\n  routes:\n  - matchers: [severity=info]\n    receiver: 'null'\nreceivers:\n- name: pager\n- name: 'null'\n";
        assert!(run_on(&super::META, y).is_empty());
    }

    #[test]
    fn fix_quotes_null_only_when_the_null_receiver_exists() {
        let y = "route:\n  receiver: pager\n  routes:\n  - matchers: [severity=info]\n    receiver: null\n  - matchers: [severity=none]\n    receiver: ~\nreceivers:\n- name: pager\n- name: 'null'\n";
        let d = run_on(&super::META, y);
        let fix = d[0].fix.as_ref().unwrap();
        assert_eq!(fix.applicability, crate::diagnostic::Applicability::Unsafe);
        assert!(
            crate::lint::fix::apply(y, &[fix])
                .text
                .contains("    receiver: 'null'\n")
        );
        assert!(d[1].fix.is_none(), "`~` is not read as the receiver's name");
        let without = "route:\n  receiver: pager\n  routes:\n  - matchers: [severity=info]\n    receiver: null\nreceivers:\n- name: pager\n";
        assert!(run_on(&super::META, without)[0].fix.is_none());
    }
}
