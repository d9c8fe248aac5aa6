//! Lint settings: each is declared by the lint that reads it
//! ([`crate::declare_setting!`], key, type, default, doc) and registered in
//! [`SETTINGS`]; `config` loads, validates, prints (`mlalert config show`) and
//! templates (`mlalert config init`) every one of them from that one table,
//! without knowing the lints.

use std::marker::PhantomData;
use std::sync::OnceLock;

use crate::model::duration::{format_ms, parse_duration};
use crate::yaml::Node;

/// The YAML shape of a setting's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A list of strings, `[a, b]`.
    Strings,
    /// One string.
    Text,
    /// A Prometheus duration (`5m`), held in milliseconds.
    Duration,
    /// A map from a `severity` label value to a duration,
    /// `{critical: 2m}`, held in milliseconds.
    DurationPerSeverity,
}

/// A setting's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// [`Kind::Strings`].
    Strings(Vec<String>),
    /// [`Kind::Text`].
    Text(String),
    /// [`Kind::Duration`], in milliseconds.
    Ms(Millis),
    /// [`Kind::DurationPerSeverity`], in milliseconds, in file order.
    MsPerSeverity(Vec<(String, u64)>),
}

/// One setting's declaration.
#[derive(Debug)]
pub struct SettingDecl {
    /// The key in `.mlalert.yaml`, snake_case.
    pub key: &'static str,
    /// The value's shape.
    pub kind: Kind,
    /// The default, as YAML flow text (`[runbook_url, runbook]`, `5m`, `""`, `{}`).
    pub default: &'static str,
    /// One line for `mlalert config init` and the lint page.
    pub doc: &'static str,
    /// The name of the lint that declares it.
    pub lint: &'static str,
    parsed_default: OnceLock<Value>,
}

impl SettingDecl {
    /// The default value. A default that does not parse is a bug in the
    /// declaration; a test parses every one.
    pub fn default_value(&self) -> &Value {
        self.parsed_default.get_or_init(|| {
            let (docs, _) = crate::yaml::parse_stream(
                &format!("v: {}\n", self.default),
                &crate::source::TextMap::Shift(0),
            );
            docs.first()
                .and_then(|d| d.root.as_map())
                .and_then(|m| m.first().map(|(_, v)| v.clone()))
                .and_then(|v| parse_value(self.kind, &v).ok())
                .unwrap_or_else(|| empty(self.kind))
        })
    }
}

fn empty(kind: Kind) -> Value {
    match kind {
        Kind::Strings => Value::Strings(Vec::new()),
        Kind::Text => Value::Text(String::new()),
        Kind::Duration => Value::Ms(Millis(0)),
        Kind::DurationPerSeverity => Value::MsPerSeverity(Vec::new()),
    }
}

/// Reads a value of `kind` from YAML; the error says what was expected.
pub fn parse_value(kind: Kind, v: &Node) -> Result<Value, String> {
    let duration = |n: &Node| {
        n.as_str()
            .and_then(|t| parse_duration(t).ok())
            .map(|d| d.ms)
            .ok_or_else(|| "must be a duration such as 5m".to_string())
    };
    match kind {
        Kind::Strings => {
            let items = v.as_seq().ok_or("must be a list of strings")?;
            items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(String::from)
                        .ok_or("must be a list of strings".to_string())
                })
                .collect::<Result<_, _>>()
                .map(Value::Strings)
        }
        Kind::Text => v
            .as_str()
            .map(|s| Value::Text(s.to_string()))
            .ok_or_else(|| "must be a string".to_string()),
        Kind::Duration => duration(v).map(|ms| Value::Ms(Millis(ms))),
        Kind::DurationPerSeverity => {
            let m = v
                .as_map()
                .ok_or("must map severities to durations, e.g. {critical: 2m}")?;
            m.iter()
                .map(|(k, d)| Ok((k.as_str().unwrap_or("").to_string(), duration(d)?)))
                .collect::<Result<_, String>>()
                .map(Value::MsPerSeverity)
        }
    }
}

/// A value as YAML flow text (`config show`).
pub fn format_value(v: &Value) -> String {
    match v {
        Value::Strings(l) => format!("[{}]", l.join(", ")),
        Value::Text(s) => format!("{s:?}"),
        Value::Ms(ms) => format_ms(ms.0),
        Value::MsPerSeverity(m) => {
            let items: Vec<String> = m
                .iter()
                .map(|(k, ms)| format!("{k}: {}", format_ms(*ms)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
    }
}

/// Every declared setting. Unordered: use [`settings`].
#[linkme::distributed_slice]
pub static SETTINGS: [&'static SettingDecl];

/// Every declared setting, sorted by key.
pub fn settings() -> Vec<&'static SettingDecl> {
    let mut v: Vec<&'static SettingDecl> = SETTINGS.iter().copied().collect();
    v.sort_by_key(|s| s.key);
    v
}

/// The declared setting with this key.
pub fn find_setting(key: &str) -> Option<&'static SettingDecl> {
    SETTINGS.iter().copied().find(|s| s.key == key)
}

/// A typed setting: its declaration plus the Rust type lints read it as.
#[derive(Debug)]
pub struct Setting<T: SettingType> {
    /// The declaration.
    pub decl: SettingDecl,
    _t: PhantomData<fn() -> T>,
}

impl<T: SettingType> Setting<T> {
    /// A declaration (use [`crate::declare_setting!`], which also registers it).
    pub const fn new(
        key: &'static str,
        default: &'static str,
        doc: &'static str,
        lint: &'static str,
    ) -> Setting<T> {
        Setting {
            decl: SettingDecl {
                key,
                kind: T::KIND,
                default,
                doc,
                lint,
                parsed_default: OnceLock::new(),
            },
            _t: PhantomData,
        }
    }
}

/// The Rust types a setting can be read as.
pub trait SettingType: 'static {
    /// The matching YAML shape.
    const KIND: Kind;
    /// The value as this type (`None` on a kind mismatch, which cannot
    /// happen for values built from the declaration).
    fn from_value(v: &Value) -> Option<&Self>;
}

impl SettingType for Vec<String> {
    const KIND: Kind = Kind::Strings;
    fn from_value(v: &Value) -> Option<&Self> {
        match v {
            Value::Strings(l) => Some(l),
            _ => None,
        }
    }
}

impl SettingType for String {
    const KIND: Kind = Kind::Text;
    fn from_value(v: &Value) -> Option<&Self> {
        match v {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }
}

/// A duration in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Millis(pub u64);

impl SettingType for Millis {
    const KIND: Kind = Kind::Duration;
    fn from_value(v: &Value) -> Option<&Self> {
        match v {
            Value::Ms(ms) => Some(ms),
            _ => None,
        }
    }
}

/// Durations in milliseconds per value of the `severity` label.
pub type PerSeverity = Vec<(String, u64)>;

impl SettingType for PerSeverity {
    const KIND: Kind = Kind::DurationPerSeverity;
    fn from_value(v: &Value) -> Option<&Self> {
        match v {
            Value::MsPerSeverity(m) => Some(m),
            _ => None,
        }
    }
}

/// Declares a lint setting and registers it in [`SETTINGS`]:
///
/// ```ignore
/// crate::declare_setting! {
///     /// Annotation keys that count as a runbook link.
///     pub static RUNBOOK_ANNOTATIONS: Vec<String> = {
///         key: "runbook_annotations",
///         default: "[runbook_url, runbook]",
///         doc: "Annotation keys that count as a runbook link (missing-runbook).",
///         lint: "missing-runbook",
///     }
/// }
/// ```
/// Lints read it with `cx.config.get(&RUNBOOK_ANNOTATIONS)`.
#[macro_export]
macro_rules! declare_setting {
    (
        $(#[$attr:meta])*
        pub static $name:ident: $ty:ty = {
            key: $key:literal,
            default: $default:literal,
            doc: $doc:literal,
            lint: $lint:literal $(,)?
        }
    ) => {
        $(#[$attr])*
        pub static $name: $crate::config::Setting<$ty> =
            $crate::config::Setting::new($key, $default, $doc, $lint);

        const _: () = {
            #[linkme::distributed_slice($crate::config::SETTINGS)]
            static ENTRY: &'static $crate::config::SettingDecl = &$name.decl;
        };
    };
}
