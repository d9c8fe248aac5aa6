//! `route-unused` (ML403): a route that no alerting rule of the run can
//! reach. Only reported when the run holds alerting rules; a route fully
//! shadowed by an earlier sibling is `route-shadowed`'s (ML301) finding.

use crate::lint::{Lint, ProjectCtx, Reporter};
use crate::routing::tree::fully_shadowed;

crate::declare_setting! {
    /// `external_labels`: labels every alert carries when it reaches
    /// Alertmanager, as `name=value` strings.
    pub static EXTERNAL_LABELS: Vec<String> = {
        key: "external_labels",
        default: "[]",
        doc: "Labels your Prometheus servers add to every alert (global.external_labels), as name=value (e.g. [cluster=prod, env=prod]); read from a prometheus.yml in the run when unset. The routing lints and `routes coverage` route alerts with them; external-label-missing (ML225) checks `$externalLabels.x` against them.",
        lint: "route-unused",
    }
}

/// [`EXTERNAL_LABELS`] of `config` as (name, value) pairs; entries without
/// `=` are skipped.
pub fn external_labels(config: &crate::config::Config) -> Vec<(String, String)> {
    config
        .get(&EXTERNAL_LABELS)
        .iter()
        .filter_map(|e| e.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

crate::declare_lint! {
    /// The `route-unused` lint.
    pub struct RouteUnused {
        code: "ML403",
        name: "route-unused",
        category: Suspicious,
        severity: Info,
        summary: "no alerting rule in the run can reach this route",
    }
}

impl Lint for RouteUnused {
    fn check_project(&self, cx: &ProjectCtx, r: &mut Reporter) {
        let an = cx.routing();
        if an.alerts.is_empty() {
            return;
        }
        for c in &an.configs {
            let tree = &c.tree;
            // A receiver none of whose routes is reached is receiver-unreachable's (ML404) finding.
            let unreached: std::collections::HashSet<&str> = c
                .unreached_receivers(true)
                .iter()
                .map(|(r, _)| r.name.value.as_str())
                .collect();
            let visited = c.visited_routes();
            for idx in 1..tree.nodes.len() {
                let parent = tree.nodes[idx].parent.unwrap_or(0);
                // Report only the topmost unreached route of a subtree.
                if visited.contains(&idx)
                    || !visited.contains(&parent)
                    || fully_shadowed(tree, idx)
                    || unreached.contains(tree.nodes[idx].opts.receiver.value.as_str())
                {
                    continue;
                }
                r.report_in(c.file, tree.nodes[idx].head(), format!(
                            "no alerting rule in this run reaches {} ({} alert rule{} checked)",
                            tree.describe(idx),
                            an.alerts.len(),
                            if an.alerts.len() == 1 { "" } else { "s" }
                        ))
                    .help("check the route's matchers against the rules' labels (a typo in a value?), or remove the route if it is for alerts that no longer exist");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    const RULES: &str = "groups:\n- name: g\n  rules:\n  - alert: GpuHot\n    expr: sum by (gpu) (t) > 85\n    for: 5m\n    labels: {severity: critical, team: ml}\n---\n";
    const AM: &str = "route:\n  receiver: default\n  routes:\n  - matchers: [team=ml]\n    receiver: ml\n  - matchers: [team=ml-platfrom]\n    receiver: ml\n    routes:\n    - matchers: [severity=critical]\n      receiver: ml\nreceivers:\n- name: default\n- name: ml\n";

    #[test]
    fn typo_route_is_unused_once() {
        let d = run_on(&super::META, &format!("{RULES}{AM}"));
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].message.contains("team=\"ml-platfrom\""),
            "{}",
            d[0].message
        );
    }

    #[test]
    fn without_rules_nothing_is_reported() {
        assert!(run_on(&super::META, AM).is_empty());
    }

    /// Routes on labels no rule sets (`region`, here) come from outside the
    /// rules and may be reached; external labels of the run's prometheus.yml
    /// are on every alert, so a route for another value of one is unused.
    #[test]
    fn labels_from_outside_the_rules_and_external_labels() {
        let am = r#"route:
  receiver: default
  routes:
  - matchers: [region=eu]
    receiver: ml
  - matchers: [env=staging]
    receiver: ml
  - matchers: [env=prod]
    receiver: ml
receivers:
- name: default
- name: ml
"#;
        // No prometheus.yml: `region` and `env` may be anything.
        assert!(run_on(&super::META, &format!("{RULES}{am}")).is_empty());
        let server = "---\nglobal:\n  external_labels: {env: prod}\nscrape_configs: []\n";
        let d = run_on(&super::META, &format!("{RULES}{am}{server}"));
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].message.contains("env=\"staging\""), "{}", d[0].message);
    }
}
