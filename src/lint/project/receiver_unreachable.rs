//! `receiver-unreachable` (ML404): a receiver no alert can reach: no route
//! sends to it, or (when the run holds alerting rules) every route that
//! sends to it is out of reach of every rule. The root route's receiver is
//! the catch-all for alerts from elsewhere and is only reported when unused.

use std::collections::BTreeSet;

use crate::lint::{Category, Diagnostic, Lint, LintMeta, ProjectCtx, Severity};

use super::label;
use super::route_unused::fully_shadowed;

/// Metadata of `receiver-unreachable`.
pub static META: LintMeta = LintMeta {
    code: "ML404",
    name: "receiver-unreachable",
    category: Category::Suspicious,
    severity: Severity::Warning,
    summary: "no route sends alerts to this receiver, or no alert rule reaches the routes that do",
};

/// The `receiver-unreachable` lint.
pub struct ReceiverUnreachable;

impl Lint for ReceiverUnreachable {
    fn meta(&self) -> &'static LintMeta {
        &META
    }

    fn check_project(&self, cx: &ProjectCtx, out: &mut Vec<Diagnostic>) {
        let an = cx.routing();
        for c in &an.configs {
            let tree = &c.tree;
            let finals: BTreeSet<usize> = c
                .routed
                .iter()
                .flat_map(|r| r.possible_finals.iter().copied())
                .collect();
            for r in &c.am.receivers {
                let name = &r.name.value;
                let routes: Vec<usize> = (0..tree.nodes.len())
                    .filter(|&i| &tree.nodes[i].opts.receiver.value == name)
                    .collect();
                if routes.is_empty() {
                    out.push(
                        Diagnostic::new(
                            &META,
                            c.file,
                            r.name.span,
                            format!("receiver {name:?} is not used by any route"),
                        )
                        .with_help("add a route that sends to it, or remove it"),
                    );
                    continue;
                }
                // Routes shadowed for every alert are route-shadowed's (ML301) finding.
                if an.alerts.is_empty()
                    || routes.contains(&0)
                    || routes.iter().any(|i| finals.contains(i))
                    || routes.iter().all(|&i| fully_shadowed(tree, i))
                {
                    continue;
                }
                let mut d = Diagnostic::new(
                    &META,
                    c.file,
                    r.name.span,
                    format!(
                        "no alerting rule in this run reaches receiver {name:?}: none of its {} route{} receives an alert",
                        routes.len(),
                        if routes.len() == 1 { "" } else { "s" }
                    ),
                )
                .with_help("check the matchers of the routes that send to it against the rules' labels");
                for &i in routes.iter().take(3) {
                    d = label(
                        d,
                        c.file,
                        tree.nodes[i].head(),
                        format!("{} is never reached", tree.describe(i)),
                    );
                }
                out.push(d);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    #[test]
    fn unused_and_unreached_receivers() {
        let am = "route:\n  receiver: default\n  routes:\n  - matchers: [team=ml]\n    receiver: ml\nreceivers:\n- name: default\n- name: ml\n- name: old\n";
        let d = run_on("ML404", am);
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("\"old\" is not used"));
        let rules = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: sum(x) > 1\n    for: 5m\n    labels: {team: infra}\n---\n";
        let d = run_on("ML404", &format!("{rules}{am}"));
        assert_eq!(d.len(), 2, "{d:?}");
        let rules_ml = rules.replace("infra", "ml");
        assert_eq!(run_on("ML404", &format!("{rules_ml}{am}")).len(), 1);
    }
}
