//! Alertmanager matchers, route tree matching and inhibition.

pub mod matcher;
pub mod overlap;
