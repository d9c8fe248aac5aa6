//! Evaluation errors and annotations (Prometheus' warnings and infos).

use thiserror::Error;

/// An error that aborts a query. Messages follow Prometheus' wording.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EvalError {
    /// The expression did not parse.
    #[error("{0}")]
    Parse(String),
    /// Evaluation failed (wording as Prometheus' engine reports it).
    #[error("{0}")]
    Eval(String),
    /// The query would hold more samples in memory than the limit allows.
    #[error("query processing would load too many samples into memory in {0}")]
    TooManySamples(&'static str),
}

impl EvalError {
    /// Shorthand for an [`EvalError::Eval`] with the given message.
    pub fn eval(msg: impl Into<String>) -> Self {
        EvalError::Eval(msg.into())
    }
}

/// Whether an annotation is a warning or an info.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnnotationKind {
    /// `PromQL warning: ...`
    Warning,
    /// `PromQL info: ...`
    Info,
}

/// A non-fatal remark produced during evaluation. `message` carries the
/// `PromQL warning: ` / `PromQL info: ` prefix but no `(line:col)` position,
/// as the parser we use has no expression positions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Annotation {
    /// Warning or info.
    pub kind: AnnotationKind,
    /// Full message text without position suffix.
    pub message: String,
}

impl Annotation {
    /// A warning; `msg` is the text after `PromQL warning: `.
    pub fn warning(msg: impl AsRef<str>) -> Self {
        Annotation {
            kind: AnnotationKind::Warning,
            message: format!("PromQL warning: {}", msg.as_ref()),
        }
    }
    /// An info; `msg` is the text after `PromQL info: `.
    pub fn info(msg: impl AsRef<str>) -> Self {
        Annotation {
            kind: AnnotationKind::Info,
            message: format!("PromQL info: {}", msg.as_ref()),
        }
    }
}
