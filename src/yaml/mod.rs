//! The only module that touches the YAML library.
//!
//! YAML is parsed with `saphyr-parser`'s event stream into a [`Node`] tree in
//! which every node keeps its [`Span`] in the outer file and every scalar its
//! raw text, style and [`TextMap`]. We do not use serde here: Prometheus and
//! Alertmanager report one error at a time, mlalert reports all of them, and
//! YAML 1.1 scalars (`continue: yes`) need the raw text.
//!
//! Budgets keep hostile input cheap: at most [`MAX_DEPTH`] levels of nesting
//! and [`MAX_NODES`] nodes after alias expansion (an "alias bomb" is an error).

mod classify;
mod tree;

pub use classify::{DocKind, Templated, classify, looks_templated};
pub use tree::{
    Document, Kind, MAX_DEPTH, MAX_NODES, Node, Scalar, Style, YamlError, parse_stream,
};
