//! Strict reading of YAML mappings, as Prometheus (yaml.v3 with KnownFields)
//! and Alertmanager (yaml.v2 UnmarshalStrict) decode: unknown and duplicate
//! keys are errors. Errors are collected, never fatal.

use crate::diagnostic::{Diagnostic, FileId, LintMeta};
use crate::source::{SourceFile, Span};
use crate::yaml::{Kind, Node, Style};

use super::duration::{Duration, parse_duration};
use super::{KeyValue, Spanned, Text};

/// Collects the diagnostics of one lint while a document is read.
pub(crate) struct Errors<'a> {
    pub file: FileId,
    pub source: &'a SourceFile,
    pub meta: &'static LintMeta,
    pub out: &'a mut Vec<Diagnostic>,
}

impl Errors<'_> {
    pub fn report(&mut self, span: Span, message: impl Into<String>) {
        self.out
            .push(Diagnostic::new(self.meta, self.file, span, message));
    }

    pub fn report_help(&mut self, span: Span, message: impl Into<String>, help: impl Into<String>) {
        self.out
            .push(Diagnostic::new(self.meta, self.file, span, message).with_help(help));
    }

    /// 1-based line of a span, for messages that cite another place.
    pub fn line(&self, span: Span) -> usize {
        self.source.line_col(span.start).line
    }
}

/// The [`Field`](super::Field)s of entries read by [`fields`], in source order.
pub(crate) fn field_spans(entries: &[(&str, &Node, &Node)], errs: &Errors) -> Vec<super::Field> {
    let text = &errs.source.text;
    entries
        .iter()
        .map(|(key, k, v)| super::Field {
            key: Spanned {
                value: key.to_string(),
                span: k.span,
            },
            value: match v.as_scalar() {
                // An empty value has no place of its own: just after the key.
                Some(s) if s.value.is_empty() && s.style == Style::Plain => Span::point(k.span.end),
                _ => Span::new(v.span.start, v.content_end(text).max(v.span.start)),
            },
            null: v.is_null(),
        })
        .collect()
}

/// The first entry of each key of a mapping, after reporting unknown keys
/// (`field x not found in type T`) and duplicate keys (`mapping key "x"
/// already defined at line N`). Returns `None` (and reports) when `node` is
/// not a mapping; a null node is an empty mapping.
pub(crate) fn fields<'n>(
    node: &'n Node,
    type_name: &str,
    known: &[&str],
    extra: &[String],
    errs: &mut Errors,
) -> Option<Vec<(&'n str, &'n Node, &'n Node)>> {
    if node.is_null() {
        return Some(Vec::new());
    }
    let Some(entries) = node.as_map() else {
        errs.report(
            node.span,
            format!(
                "expected a mapping for {type_name}, got a {}",
                node.type_name()
            ),
        );
        return None;
    };
    let mut out: Vec<(&str, &Node, &Node)> = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        let Some(key) = k.as_scalar().map(|s| s.value.as_str()) else {
            errs.report(
                k.span,
                format!("mapping keys of {type_name} must be strings"),
            );
            continue;
        };
        if let Some((_, first, _)) = out.iter().find(|(name, _, _)| *name == key) {
            let line = errs.line(first.span);
            errs.report(
                k.span,
                format!("mapping key {key:?} already defined at line {line}"),
            );
            continue;
        }
        if !known.contains(&key) && !extra.iter().any(|e| e == key) {
            errs.report_help(
                k.span,
                format!("field {key} not found in type {type_name}"),
                format!("known fields: {}", known.join(", ")),
            );
            continue;
        }
        out.push((key, k, v));
    }
    Some(out)
}

/// A string scalar. Numbers and booleans are read as their text, as Go
/// decodes them into string fields; mappings and sequences are errors.
pub(crate) fn text(node: &Node, what: &str, errs: &mut Errors) -> Option<Text> {
    match &node.kind {
        Kind::Scalar(s) if s.is_null() => Some(Text {
            value: String::new(),
            span: node.span,
            map: s.map.clone(),
        }),
        Kind::Scalar(s) => Some(Text {
            value: s.value.clone(),
            span: node.span,
            map: s.map.clone(),
        }),
        _ => {
            errs.report(
                node.span,
                format!("{what} must be a string, got a {}", node.type_name()),
            );
            None
        }
    }
}

/// A string with its span.
pub(crate) fn string(node: &Node, what: &str, errs: &mut Errors) -> Option<Spanned<String>> {
    text(node, what, errs).map(|t| Spanned {
        value: t.value,
        span: t.span,
    })
}

/// A duration field (`for: 5m`); null means unset.
pub(crate) fn duration(node: &Node, what: &str, errs: &mut Errors) -> Option<Spanned<Duration>> {
    if node.is_null() {
        return None;
    }
    let t = text(node, what, errs)?;
    match parse_duration(&t.value) {
        Ok(d) => Some(Spanned {
            value: d,
            span: t.span,
        }),
        Err(e) => {
            errs.report(t.span, format!("{what}: {e}"));
            None
        }
    }
}

/// A boolean with YAML 1.1 spellings (`yes`, `on`, `True`, …), as go-yaml v2
/// reads them for Alertmanager.
pub(crate) fn bool_yaml11(node: &Node, what: &str, errs: &mut Errors) -> Option<Spanned<bool>> {
    if node.is_null() {
        return None;
    }
    let s = node.as_scalar()?;
    let v = match (s.style, s.value.as_str()) {
        (
            Style::Plain,
            "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON",
        ) => true,
        (
            Style::Plain,
            "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF",
        ) => false,
        _ => {
            errs.report(
                node.span,
                format!("{what}: cannot unmarshal {:?} into a bool", s.value),
            );
            return None;
        }
    };
    Some(Spanned {
        value: v,
        span: node.span,
    })
}

/// An integer.
pub(crate) fn int(node: &Node, what: &str, errs: &mut Errors) -> Option<Spanned<i64>> {
    if node.is_null() {
        return None;
    }
    let t = text(node, what, errs)?;
    match t.value.parse::<i64>() {
        Ok(v) => Some(Spanned {
            value: v,
            span: t.span,
        }),
        Err(_) => {
            errs.report(
                t.span,
                format!("{what}: cannot unmarshal {:?} into an int", t.value),
            );
            None
        }
    }
}

/// A sequence of strings; a null node is empty.
pub(crate) fn strings(node: &Node, what: &str, errs: &mut Errors) -> Vec<Spanned<String>> {
    if node.is_null() {
        return Vec::new();
    }
    match node.as_seq() {
        Some(items) => items.iter().filter_map(|n| string(n, what, errs)).collect(),
        None => {
            errs.report(
                node.span,
                format!("{what} must be a list, got a {}", node.type_name()),
            );
            Vec::new()
        }
    }
}

/// A `name: value` mapping of labels or annotations (duplicate keys reported).
pub(crate) fn key_values(node: &Node, what: &str, errs: &mut Errors) -> Vec<KeyValue> {
    if node.is_null() {
        return Vec::new();
    }
    let Some(entries) = node.as_map() else {
        errs.report(
            node.span,
            format!("{what} must be a mapping, got a {}", node.type_name()),
        );
        return Vec::new();
    };
    let mut out: Vec<KeyValue> = Vec::with_capacity(entries.len());
    // Key → index in `out`: a mapping of many labels stays linear.
    let mut index: std::collections::HashMap<String, usize> =
        std::collections::HashMap::with_capacity(entries.len());
    for (k, v) in entries {
        let (Some(key), Some(value)) = (string(k, what, errs), text(v, what, errs)) else {
            continue;
        };
        if let Some(&i) = index.get(&key.value) {
            let line = errs.line(out[i].key.span);
            errs.report(
                key.span,
                format!("mapping key {:?} already defined at line {line}", key.value),
            );
            continue;
        }
        index.insert(key.value.clone(), out.len());
        out.push(KeyValue::new(key, value));
    }
    out
}
