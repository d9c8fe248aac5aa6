//! Go compatibility: the parts of Go's standard library whose exact behaviour
//! Prometheus and Alertmanager expose to users.
//!
//! * [`quote`]: `strconv.Quote`, `strconv.Unquote`, `strconv.CanBackquote`.
//! * [`float`]: `strconv.ParseFloat` and `strconv.FormatFloat`.
//! * [`duration`]: Go's `time.ParseDuration` and Prometheus'
//!   `model.ParseDuration` / `model.Duration.String`.
//! * [`filepath`]: `filepath.Clean`, lexical path cleaning.
//! * [`regex`]: Go RE2 syntax translated to the `regex` crate, with Go's error
//!   messages and the anchoring each upstream caller applies.
//!
//! This is a bottom-layer module: it imports nothing else of the crate.

pub mod duration;
pub mod filepath;
pub mod float;
pub mod quote;
pub mod regex;
