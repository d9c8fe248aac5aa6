//! `inhibit-mutes-critical` (ML406): an inhibit rule through which a
//! warning or info alert of the run can mute a critical one. Inhibition is
//! meant to silence the less urgent symptom of a more urgent cause, not the
//! other way round.

use crate::lint::{Lint, ProjectCtx, Reporter};
use crate::routing::alerts::possible_values;

use crate::routing::inhibit::Sides;

crate::declare_lint! {
    /// The `inhibit-mutes-critical` lint.
    pub struct InhibitMutesCritical {
        code: "ML406",
        name: "inhibit-mutes-critical",
        category: Suspicious,
        severity: Warning,
        summary: "an inhibit rule lets a warning or info alert mute a critical one",
    }
}

impl Lint for InhibitMutesCritical {
    fn check_project(&self, cx: &ProjectCtx, r: &mut Reporter) {
        let an = cx.routing();
        for c in &an.configs {
            for rule in c.am.inhibit_rules.iter().filter(|r| r.complete) {
                let sides = Sides::new(rule, &an.alerts);
                let set = |m: &crate::routing::inhibit::Member| &an.alerts[m.alert].sets[m.set];
                let critical: Vec<bool> = sides
                    .targets
                    .iter()
                    .map(|t| {
                        possible_values(set(t), "severity")
                            .is_some_and(|v| v.len() == 1 && v.contains("critical"))
                    })
                    .collect();
                if !critical.contains(&true) {
                    continue;
                }
                let mut found = None;
                for s in &sides.sources {
                    let Some(sev) = possible_values(set(s), "severity") else {
                        continue;
                    };
                    if sev.iter().any(|v| v == "critical" || v.is_empty()) {
                        continue;
                    }
                    if let Some(t) = sides.targets_of(s).into_iter().find(|&t| critical[t]) {
                        let sev: Vec<&str> = sev.iter().map(String::as_str).collect();
                        found = Some((
                            an.alerts[s.alert].name().to_string(),
                            sev.join("|"),
                            an.alerts[sides.targets[t].alert].name().to_string(),
                        ));
                        break;
                    }
                }
                if let Some((source, sev, target)) = found {
                    let at = rule.target.first().map(|m| m.span).unwrap_or(rule.span);
                    r.report_in(c.file, at, format!("this inhibit rule lets `{source}` (severity {sev}) mute the critical alert `{target}`"))
                        .help("restrict the target matchers to less urgent alerts (e.g. `severity=~\"warning|info\"`), or the source matchers to critical ones");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    const RULES: &str = "groups:\n- name: g\n  rules:\n  - alert: NodeSlow\n    expr: sum by (node) (x) > 1\n    for: 5m\n    labels: {severity: warning}\n  - alert: GpuDown\n    expr: sum by (node) (y) > 1\n    for: 5m\n    labels: {severity: critical}\n---\n";

    fn am(inhibit: &str) -> String {
        format!(
            "{RULES}route:\n  receiver: default\nreceivers:\n- name: default\ninhibit_rules:\n{inhibit}"
        )
    }

    #[test]
    fn warning_source_without_target_severity() {
        let d = run_on(
            &super::META,
            &am(
                "- source_matchers: [severity=warning]\n  target_matchers: ['alertname=~\".+\"']\n  equal: [node]\n",
            ),
        );
        assert_eq!(d.len(), 1);
        assert!(
            d[0].message
                .contains("`NodeSlow` (severity warning) mute the critical alert `GpuDown`")
        );
    }

    #[test]
    fn severity_ladder_passes() {
        assert!(run_on(&super::META, &am("- source_matchers: [severity=critical]\n  target_matchers: [severity=warning]\n  equal: [node]\n")).is_empty());
    }
}
