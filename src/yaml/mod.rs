//! The only module that touches the YAML library.
//!
//! YAML is parsed with `saphyr-parser`'s event stream into a [`Node`] tree in
//! which every node keeps its [`Span`] in the outer file and every scalar its
//! raw text, style and [`TextMap`]. We do not use serde here: Prometheus and
//! Alertmanager report one error at a time, mlalert reports all of them, and
//! YAML 1.1 scalars (`continue: yes`) need the raw text.
//!
//! Budgets keep hostile input cheap: at most [`MAX_DEPTH`] levels of nesting
//! (also through aliases), and one [`Budget`] per outer file
//! ([`Budget::for_file`]: twice the file's size in nodes and in bytes of
//! values after alias expansion, at least [`MIN_NODES`]/[`MIN_SCALAR_BYTES`],
//! at most [`MAX_NODES`]/[`MAX_SCALAR_BYTES`]), shared by every document
//! embedded in the file (an "alias bomb", in nodes or in bytes, is an error).

mod classify;
mod tree;

pub use classify::{DocKind, Templated, classify, looks_templated};
pub use tree::{
    Budget, Document, Kind, MAX_DEPTH, MAX_NODES, MAX_SCALAR_BYTES, MIN_NODES, MIN_SCALAR_BYTES,
    Node, Scalar, Style, YamlError, parse_stream, parse_stream_in,
};
