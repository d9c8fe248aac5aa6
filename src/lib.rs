//! mlalert: static analysis and unit tests for Prometheus alerting setups.
//!
//! The data flow is `source` (bytes, positions) → `yaml` (spanned node tree,
//! document classification) → `model` (typed rule files and Alertmanager
//! configs) → `lint` (diagnostics) → `render`. See docs/architecture.md.

#![warn(missing_docs)]

pub mod backtest;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod engine;
pub mod go;
pub mod guard;
pub mod lint;
pub mod model;
pub mod prometheus;
pub mod promql;
pub mod render;
pub mod routing;
pub mod source;
pub mod template;
pub mod unittest;
pub mod yaml;
