//! Alertmanager matchers, route tree matching and inhibition.

pub mod alerts;
pub mod inhibit;
pub mod matcher;
pub mod overlap;
pub mod project;
pub mod tree;
