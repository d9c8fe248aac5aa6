//! Whole-project lints: checks that need every file of the run at once
//! (duplicates across files, companions elsewhere in the run).

pub mod duplicate_alert;
pub mod duplicate_rule_group;
pub mod staleness_alert_never_fires;
