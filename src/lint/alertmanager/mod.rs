//! Lints over Alertmanager configurations, one per file.

pub mod deprecated_matcher_syntax;
pub mod global_http_config_credentials;
pub mod group_interval_too_short;
pub mod group_wait_zero;
pub mod inhibit_rule_self_match;
pub mod inhibit_rule_without_equal;
pub mod null_receiver_inherits;
pub mod placeholder_secret;
pub mod plaintext_secret;
pub mod relative_secret_file_path;
pub mod repeat_interval_below_group_interval;
pub mod route_shadowed;
pub mod unused_receiver;
