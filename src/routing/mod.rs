//! Alertmanager matchers, route tree matching and inhibition.

pub mod matcher;
