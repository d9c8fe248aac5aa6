//! Typed, spanned structs built from YAML nodes. Building never panics: a bad
//! field becomes a diagnostic (`rule-invalid`, `alertmanager-invalid`,
//! `promql-syntax`) and the rest of the document is still read.

pub mod alertmanager;
pub mod duration;
pub mod load;
pub(crate) mod reader;
pub mod rules;
pub mod unittest;

pub use load::{
    Interval, IntervalKind, LoadedFile, PROMETHEUS_DEFAULT_INTERVAL_MS, ProjectFile, load_file,
    rules_like_key,
};

use crate::source::{Span, TextMap};

/// A value with the span it was written at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it is written in the file on disk.
    pub span: Span,
}

/// One `key: value` entry of a mapping as written: the key and where its
/// value's content is (from the value's first byte to the end of its last
/// scalar or flow collection, [`crate::yaml::Node::content_end`]; empty
/// for an empty value). Where `lint --fix` inserts, rewrites or removes a
/// field; in source order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The key as decoded, with the key scalar's span.
    pub key: Spanned<String>,
    /// The value's content.
    pub value: Span,
    /// True when the value is a null scalar (`~`, `null` or nothing).
    pub null: bool,
}

/// A string value from YAML with the map from its bytes to the file's.
#[derive(Debug, Clone)]
pub struct Text {
    /// The decoded string.
    pub value: String,
    /// The scalar's span.
    pub span: Span,
    /// Byte offsets of `value` → byte offsets of the file.
    pub map: TextMap,
}

impl Text {
    /// The span of `value[start..end]` in the file (the scalar's start when
    /// the scalar's layout is not exact, see [`TextMap`]).
    pub fn sub_span(&self, start: usize, end: usize) -> Span {
        self.map.map_span(start, end)
    }
}

/// A `key: value` pair of a labels or annotations mapping.
#[derive(Debug, Clone)]
pub struct KeyValue {
    /// The label or annotation name.
    pub key: Spanned<String>,
    /// The value (may be a template).
    pub value: Text,
    /// The value's template analysis, computed on first use and shared by
    /// the lints that read it.
    template: std::sync::OnceLock<crate::template::check::Checked>,
}

impl KeyValue {
    /// A pair.
    pub fn new(key: Spanned<String>, value: Text) -> KeyValue {
        KeyValue {
            key,
            value,
            template: std::sync::OnceLock::new(),
        }
    }

    /// The value checked as an alert label or annotation template (syntax,
    /// functions, variables, `$labels.x` references), parsed once.
    pub fn template(&self) -> &crate::template::check::Checked {
        self.template
            .get_or_init(|| crate::template::check::check_alert_template(&self.value.value))
    }
}

/// Looks up `key` in a list of pairs.
pub fn find<'a>(pairs: &'a [KeyValue], key: &str) -> Option<&'a KeyValue> {
    pairs.iter().find(|kv| kv.key.value == key)
}
