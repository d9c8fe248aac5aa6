//! Alertmanager matchers, route tree matching and inhibition.
