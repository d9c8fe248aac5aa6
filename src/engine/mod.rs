//! PromQL evaluator (Prometheus 3.x semantics over float and native histogram samples) used by
//! `mlalert test` and by the promqltest conformance harness (`tests/it/promqltest/`).
//!
//! Layout: [`storage`] holds series, [`value`] the result types, [`eval`] the
//! evaluator (selectors, subqueries, `@`/`offset`), [`binop`] binary
//! operators, [`aggregate`] aggregations, [`functions`] and [`rangefns`] the
//! function library, [`histogram`] classic-bucket quantiles, [`native`] native histograms and [`nativefns`] their functions, [`trim`] the
//! native-histogram trim operators `</` and `>/`, [`series_desc`]
//! the series notation shared with rule unit tests and promqltest scripts.
//!
//! Timestamps are `i64` milliseconds since the Unix epoch; durations are `i64`
//! milliseconds.

pub mod aggregate;
pub mod binop;
pub mod error;
pub mod eval;
pub mod extended;
pub mod functions;
pub mod histogram;
pub mod labels;
pub mod native;
pub mod nativefns;
pub mod parse;
pub mod rangefns;
pub mod series_desc;
pub mod storage;
pub mod trim;
pub mod value;

pub use error::{Annotation, AnnotationKind, EvalError};
pub use eval::{Engine, QueryOutput};
pub use labels::Labels;
pub use parse::parse_expr;
pub use storage::{Storage, is_stale_nan, stale_nan};
pub use value::{HPoint, InstantVector, Matrix, Point, Sample, Series, Value};
