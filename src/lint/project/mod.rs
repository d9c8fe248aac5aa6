//! Whole-project lints, run once over every file of the run: alerting rules
//! checked against every Alertmanager config (ML4xx), and cross-file checks
//! (duplicates across files, companions elsewhere in the run). Each runs
//! through [`crate::lint::Lint::check_project`].

pub mod alert_swallowed;
pub mod alert_unrouted;
pub mod critical_alert_not_paging;
pub mod duplicate_alert;
pub mod duplicate_rule_group;
pub mod group_by_label_missing;
pub mod inhibit_mutes_critical;
pub mod inhibit_rule_dead;
pub mod receiver_unreachable;
pub mod route_unused;
pub mod staleness_alert_never_fires;

/// `"a", "b" and 3 more`.
pub(crate) fn names(list: &[String], max: usize) -> String {
    let shown: Vec<String> = list.iter().take(max).map(|s| format!("`{s}`")).collect();
    let mut out = shown.join(", ");
    if list.len() > max {
        out.push_str(&format!(" and {} more", list.len() - max));
    }
    out
}

/// Receivers of the routes `finals`, comma-joined and quoted.
pub(crate) fn receivers(tree: &crate::routing::tree::Tree, finals: &[usize]) -> String {
    let v: Vec<String> = finals
        .iter()
        .map(|&i| format!("{:?}", tree.nodes[i].opts.receiver.value))
        .collect();
    v.join(", ")
}
pub mod annotation_key_misspelled;
pub mod rule_document_ignored;
