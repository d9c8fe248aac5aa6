//! Alertmanager route tree matching and inhibition (matchers are parsed in
//! [`crate::model::alertmanager::matchers`]).

pub mod alerts;
pub mod inhibit;
pub mod overlap;
pub mod project;
pub mod tree;
