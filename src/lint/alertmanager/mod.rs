//! Lints over Alertmanager configurations, one per file.

pub mod group_wait_zero;
pub mod route_shadowed;
