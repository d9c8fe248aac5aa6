//! Prometheus' template function map (template/template.go), plus the
//! helpers the parse-tree rewrite calls (`__print`, `__field`, `__index`,
//! `__printf`, `__sprint`, `__sprintln`).

use std::collections::BTreeMap;
use std::sync::Arc;

use gotmpl::{FuncMap, TemplateError as GtError, Value, ValueFunc};

use super::Context;
use crate::go::duration::format_go_ns;
use crate::go::float::{format_4g, format_g, format_v};

pub(super) const PRINT: &str = "__print";
pub(super) const FIELD: &str = "__field";
pub(super) const INDEX: &str = "__index";
pub(super) const PRINTF: &str = "__printf";
pub(super) const SPRINT: &str = "__sprint";
pub(super) const SPRINTLN: &str = "__sprintln";
pub(super) const STEP: &str = "__step";

/// One sample returned by the `query` template function.
#[derive(Debug, Clone, PartialEq)]
pub struct QuerySample {
    /// The sample's labels (with `__name__` when it has one).
    pub labels: Vec<(String, String)>,
    /// Its value.
    pub value: f64,
}

type R = gotmpl::Result<Value>;

fn err(msg: impl Into<String>) -> GtError {
    GtError::Exec(msg.into())
}

fn s(v: impl AsRef<str>) -> Value {
    Value::String(Arc::from(v.as_ref()))
}

/// Go's type name of a value, for messages.
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Nil => "<nil>",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Uint(_) => "uint",
        Value::Float(_) => "float64",
        Value::String(_) => "string",
        Value::List(_) => "[]interface {}",
        Value::Map(_) => "map[string]interface {}",
        _ => "func",
    }
}

/// Go's `%v` of a value, floats formatted as Go does.
pub(super) fn go_string(v: &Value) -> String {
    match v {
        Value::Nil => "<nil>".into(),
        Value::Float(f) => format_v(*f),
        Value::List(items) => {
            let parts: Vec<String> = items.iter().map(go_string).collect();
            format!("[{}]", parts.join(" "))
        }
        Value::Map(m) => {
            let parts: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{k}:{}", go_string(v)))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
        other => other.to_string(),
    }
}

fn arity(name: &str, args: &[Value], n: usize) -> gotmpl::Result<()> {
    if args.len() != n {
        return Err(GtError::ArgCount {
            name: name.to_string(),
            expected: n,
            got: args.len(),
        });
    }
    Ok(())
}

fn str_arg(name: &str, v: &Value) -> gotmpl::Result<String> {
    match v {
        Value::String(x) => Ok(x.to_string()),
        other => Err(err(format!(
            "error calling {name}: wrong type for value; expected string; got {}",
            go_type(other)
        ))),
    }
}

/// Prometheus' `ConvertToFloat`.
fn to_float(name: &str, v: &Value) -> gotmpl::Result<f64> {
    match v {
        Value::Float(f) => Ok(*f),
        Value::Int(i) => Ok(*i as f64),
        Value::Uint(u) => Ok(*u as f64),
        Value::String(x) => crate::go::float::parse_float(x)
            .map_err(|e| err(format!("error calling {name}: {}", e.message(x)))),
        other => Err(err(format!(
            "error calling {name}: can't convert {} to float",
            go_type(other)
        ))),
    }
}

fn is_string_map(m: &BTreeMap<Arc<str>, Value>) -> bool {
    m.values().all(|v| matches!(v, Value::String(_)))
}

/// `__field base name…`: field access with Go's `missingkey=zero` on
/// `map[string]string` (a missing label is `""`); a missing field of a
/// struct-like map is an error, as in Go.
fn field(args: &[Value]) -> R {
    let Some((base, names)) = args.split_first() else {
        return Ok(Value::Nil);
    };
    let mut cur = base.clone();
    for n in names {
        let name = n.as_str().unwrap_or_default();
        cur = match &cur {
            Value::Map(m) => match m.get(name) {
                Some(v) => v.clone(),
                None if is_string_map(m) => s(""),
                None => {
                    return Err(err(format!("can't evaluate field {name} in type struct")));
                }
            },
            Value::Nil => {
                return Err(err(format!("nil pointer evaluating interface {{}}.{name}")));
            }
            other => {
                return Err(err(format!(
                    "can't evaluate field {name} in type {}",
                    go_type(other)
                )));
            }
        };
    }
    Ok(cur)
}

/// `index`, with a missing key of a string map giving `""` as Go does.
fn index(args: &[Value]) -> R {
    let Some((base, keys)) = args.split_first() else {
        return Err(err("wrong number of args for index: want at least 1 got 0"));
    };
    let mut cur = base.clone();
    for k in keys {
        cur = match (&cur, k) {
            (Value::Map(m), Value::String(key)) => match m.get(key.as_ref()) {
                Some(v) => v.clone(),
                None if is_string_map(m) => s(""),
                None => Value::Nil,
            },
            (Value::List(items), _) => {
                let i = k.as_int().ok_or_else(|| {
                    err("error calling index: cannot index slice/array with non-integer")
                })?;
                let idx = usize::try_from(i)
                    .ok()
                    .filter(|&i| i < items.len())
                    .ok_or_else(|| err(format!("error calling index: index out of range: {i}")))?;
                items[idx].clone()
            }
            (Value::String(x), _) => {
                let i = k.as_int().unwrap_or(-1);
                let b = usize::try_from(i)
                    .ok()
                    .and_then(|i| x.as_bytes().get(i).copied())
                    .ok_or_else(|| err(format!("error calling index: index out of range: {i}")))?;
                Value::Int(i64::from(b))
            }
            (Value::Nil, _) => return Err(err("error calling index: index of untyped nil")),
            (other, _) => {
                return Err(err(format!(
                    "error calling index: can't index item of type {}",
                    go_type(other)
                )));
            }
        };
    }
    Ok(cur)
}

/// What an action prints: Go's `fmt.Fprint` of the value, `<no value>` for nil.
fn print_value(args: &[Value]) -> R {
    match args.last() {
        None | Some(Value::Nil) => Ok(s("<no value>")),
        Some(Value::String(x)) => Ok(Value::String(x.clone())),
        Some(v) => Ok(s(go_string(v))),
    }
}

/// Go's `fmt.Sprint`: spaces between operands when neither is a string.
fn sprint(args: &[Value]) -> R {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            let prev_str = matches!(args[i - 1], Value::String(_));
            if !prev_str && !matches!(a, Value::String(_)) {
                out.push(' ');
            }
        }
        out.push_str(&go_string(a));
    }
    Ok(s(out))
}

fn sprintln(args: &[Value]) -> R {
    let parts: Vec<String> = args.iter().map(go_string).collect();
    Ok(s(format!("{}\n", parts.join(" "))))
}

/// `printf`: float arguments are formatted here with Go's rules, the rest is
/// delegated to gotmpl's `printf`.
fn printf(args: &[Value]) -> R {
    let Some((fmt_v, rest)) = args.split_first() else {
        return Err(err(
            "wrong number of args for printf: want at least 1 got 0",
        ));
    };
    let fmt = str_arg("printf", fmt_v)?;
    let (fmt, rest) = prepare_floats(&fmt, rest);
    let mut text = String::from("{{printf .F");
    let mut data = BTreeMap::new();
    data.insert(Arc::from("F"), s(&fmt));
    for (i, a) in rest.iter().enumerate() {
        text.push_str(&format!(" .A{i}"));
        data.insert(Arc::from(format!("A{i}").as_str()), a.clone());
    }
    text.push_str("}}");
    let out = gotmpl::Template::new("printf")
        .parse(&text)?
        .execute_to_string(&Value::Map(Arc::new(data)))?;
    Ok(s(out))
}

/// Rewrites float directives (`%v`, `%g`, non-finite `%f`/`%e`) into `%s`
/// with Go's text. Formats with `*` or `[n]` are left alone.
fn prepare_floats(fmt: &str, args: &[Value]) -> (String, Vec<Value>) {
    if fmt.contains('*') || fmt.contains('[') {
        return (fmt.to_string(), args.to_vec());
    }
    let mut out = String::with_capacity(fmt.len());
    let mut new_args = args.to_vec();
    let chars: Vec<char> = fmt.chars().collect();
    let mut i = 0;
    let mut argn = 0;
    while i < chars.len() {
        if chars[i] != '%' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        let mut flags = String::new();
        while i < chars.len() && "+-# 0".contains(chars[i]) {
            flags.push(chars[i]);
            i += 1;
        }
        let mut width = String::new();
        while i < chars.len() && chars[i].is_ascii_digit() {
            width.push(chars[i]);
            i += 1;
        }
        let mut prec: Option<usize> = None;
        if i < chars.len() && chars[i] == '.' {
            i += 1;
            let mut p = String::new();
            while i < chars.len() && chars[i].is_ascii_digit() {
                p.push(chars[i]);
                i += 1;
            }
            prec = Some(p.parse().unwrap_or(0));
        }
        let Some(&verb) = chars.get(i) else {
            out.extend(&chars[start..]);
            break;
        };
        i += 1;
        if verb == '%' {
            out.extend(&chars[start..i]);
            continue;
        }
        let this = argn;
        argn += 1;
        let Some(Value::Float(f)) = args.get(this) else {
            out.extend(&chars[start..i]);
            continue;
        };
        let f = *f;
        let body = match verb {
            'v' => Some(match prec {
                Some(p) => format_g(f, Some(p)),
                None => format_v(f),
            }),
            'g' => Some(format_g(f, prec)),
            'G' => Some(
                format_g(f, prec)
                    .to_uppercase()
                    .replace("INF", "Inf")
                    .replace("NAN", "NaN"),
            ),
            'e' | 'E' | 'f' | 'F' if !f.is_finite() => Some(format_v(f)),
            _ => None,
        };
        let Some(mut body) = body else {
            out.extend(&chars[start..i]);
            continue;
        };
        if !body.starts_with(['-', '+']) && !f.is_nan() {
            if flags.contains('+') {
                body.insert(0, '+');
            } else if flags.contains(' ') {
                body.insert(0, ' ');
            }
        }
        let w: usize = width.parse().unwrap_or(0);
        let len = body.chars().count();
        if len < w {
            let pad = w - len;
            if flags.contains('-') {
                body.push_str(&" ".repeat(pad));
            } else if flags.contains('0') && f.is_finite() {
                let sign_len = usize::from(body.starts_with(['-', '+', ' ']));
                body.insert_str(sign_len, &"0".repeat(pad));
            } else {
                body.insert_str(0, &" ".repeat(pad));
            }
        }
        out.push_str("%s");
        new_args[this] = s(body);
    }
    (out, new_args)
}

fn f1(name: &'static str, f: fn(f64) -> gotmpl::Result<String>) -> ValueFunc {
    Arc::new(move |args: &[Value]| {
        arity(name, args, 1)?;
        Ok(s(f(to_float(name, &args[0])?)?))
    })
}

fn s1(name: &'static str, f: fn(&str) -> gotmpl::Result<Value>) -> ValueFunc {
    Arc::new(move |args: &[Value]| {
        arity(name, args, 1)?;
        f(&str_arg(name, &args[0])?)
    })
}

fn humanize(mut v: f64) -> gotmpl::Result<String> {
    if v == 0.0 || v.is_nan() || v.is_infinite() {
        return Ok(format_4g(v));
    }
    let mut prefix = "";
    if v.abs() >= 1.0 {
        for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
            if v.abs() < 1000.0 {
                break;
            }
            prefix = p;
            v /= 1000.0;
        }
    } else {
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if v.abs() >= 1.0 {
                break;
            }
            prefix = p;
            v *= 1000.0;
        }
    }
    Ok(format!("{}{prefix}", format_4g(v)))
}

fn humanize1024(mut v: f64) -> gotmpl::Result<String> {
    if v.abs() <= 1.0 || v.is_nan() || v.is_infinite() {
        return Ok(format_4g(v));
    }
    let mut prefix = "";
    for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] {
        if v.abs() < 1024.0 {
            break;
        }
        prefix = p;
        v /= 1024.0;
    }
    Ok(format!("{}{prefix}", format_4g(v)))
}

fn humanize_duration(mut v: f64) -> gotmpl::Result<String> {
    if v.is_nan() || v.is_infinite() {
        return Ok(format_4g(v));
    }
    if v == 0.0 {
        return Ok(format!("{}s", format_4g(v)));
    }
    if v.abs() >= 1.0 {
        let sign = if v < 0.0 { "-" } else { "" };
        v = v.abs();
        let d = v as i64;
        let (secs, mins, hours, days) = (d % 60, (d / 60) % 60, (d / 3600) % 24, d / 86400);
        return Ok(if days != 0 {
            format!("{sign}{days}d {hours}h {mins}m {secs}s")
        } else if hours != 0 {
            format!("{sign}{hours}h {mins}m {secs}s")
        } else if mins != 0 {
            format!("{sign}{mins}m {secs}s")
        } else {
            format!("{sign}{}s", format_4g(v))
        });
    }
    let mut prefix = "";
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
        if v.abs() >= 1.0 {
            break;
        }
        prefix = p;
        v *= 1000.0;
    }
    Ok(format!("{}{prefix}s", format_4g(v)))
}

fn humanize_percentage(v: f64) -> gotmpl::Result<String> {
    Ok(format!("{}%", format_4g(v * 100.0)))
}

/// Go's `time.Time.String()` in UTC of a float of seconds, truncated to ms
/// as `model.TimeFromUnixNano` does.
fn float_to_time(v: f64) -> gotmpl::Result<String> {
    if v.is_nan() || v.is_infinite() {
        return Err(err("value is NaN or Inf"));
    }
    let ns = v * 1e9;
    if ns > i64::MAX as f64 || ns < i64::MIN as f64 {
        return Err(err(format!(
            "{} cannot be represented as a nanoseconds timestamp since it overflows int64",
            format_v(v)
        )));
    }
    let ms = (ns as i64) / 1_000_000;
    Ok(go_time_string(ms))
}

/// `2006-01-02 15:04:05.999999999 +0000 UTC` for a time in ms.
pub(super) fn go_time_string(ms: i64) -> String {
    use chrono::{Datelike, Timelike};
    let secs = ms.div_euclid(1000);
    let milli = ms.rem_euclid(1000);
    let Some(dt) = chrono::DateTime::from_timestamp(secs, 0) else {
        return format!("{ms}ms");
    };
    let mut out = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    );
    if milli != 0 {
        let f = format!("{milli:03}");
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
    out.push_str(" +0000 UTC");
    out
}

fn humanize_timestamp(v: f64) -> gotmpl::Result<String> {
    if v.is_nan() || v.is_infinite() {
        return Ok(format_4g(v));
    }
    float_to_time(v)
}

fn to_duration(v: f64) -> gotmpl::Result<String> {
    if v.is_nan() || v.is_infinite() {
        return Err(err("value is NaN or Inf"));
    }
    let ns = (v * 1e9).round();
    if ns > i64::MAX as f64 || ns < i64::MIN as f64 {
        return Err(err(format!(
            "{} cannot be represented as a nanoseconds duration since it overflows int64",
            format_v(v)
        )));
    }
    Ok(format_go_ns(i128::from(ns as i64)))
}

/// Go's `net.SplitHostPort`.
fn split_host_port(hp: &str) -> Option<(String, String)> {
    if let Some(rest) = hp.strip_prefix('[') {
        let end = rest.find(']')?;
        let host = &rest[..end];
        let after = &rest[end + 1..];
        let port = after.strip_prefix(':')?;
        if port.contains(':') {
            return None;
        }
        return Some((host.to_string(), port.to_string()));
    }
    let i = hp.rfind(':')?;
    let host = &hp[..i];
    if host.contains(':') {
        return None;
    }
    Some((host.to_string(), hp[i + 1..].to_string()))
}

fn strip_port(hp: &str) -> gotmpl::Result<Value> {
    Ok(s(split_host_port(hp)
        .map(|(h, _)| h)
        .unwrap_or_else(|| hp.to_string())))
}

fn strip_domain(hp: &str) -> gotmpl::Result<Value> {
    let (host, port) = split_host_port(hp).unwrap_or_else(|| (hp.to_string(), String::new()));
    if host.parse::<std::net::IpAddr>().is_ok() {
        return Ok(s(hp));
    }
    let first = host.split('.').next().unwrap_or("").to_string();
    if port.is_empty() {
        Ok(s(first))
    } else {
        Ok(s(format!("{first}:{port}")))
    }
}

/// Go's `url.QueryEscape`.
fn query_escape(t: &str) -> String {
    let mut out = String::new();
    for b in t.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `cases.Title(language.AmericanEnglish, cases.NoLower)`: upper-case the
/// first letter of each word, leave the rest.
fn title(t: &str) -> gotmpl::Result<Value> {
    let mut out = String::with_capacity(t.len());
    let mut prev: Option<char> = None;
    let chars: Vec<char> = t.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let joins = |p: char| {
            p.is_alphanumeric()
                || p == '_'
                || (matches!(p, '\'' | '.' | ':' | '’')
                    && i >= 2
                    && chars[i - 2].is_alphanumeric()
                    && c.is_alphanumeric())
        };
        let start = match prev {
            None => true,
            Some(p) => !joins(p),
        };
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev = Some(c);
    }
    Ok(s(out))
}

/// Compiles a template function's pattern with Go's `regexp` semantics
/// (unanchored, see [`crate::go::regex::compile`]). The error is Go's:
/// `match` (`regexp.MatchString`) returns the syntax error, `reReplaceAll`
/// (`regexp.MustCompile`) panics with `regexp: Compile(...)`, which Go's
/// `text/template` reports as the call's error.
fn regex(name: &str, pattern: &str) -> gotmpl::Result<regex::Regex> {
    crate::go::regex::compile(pattern).map_err(|e| {
        let why = if name == "reReplaceAll" {
            crate::go::regex::must_compile_message(pattern, &e)
        } else {
            e.message()
        };
        err(format!("error calling {name}: {why}"))
    })
}

fn sample_value(q: &super::QuerySample) -> Value {
    let mut m = BTreeMap::new();
    m.insert(Arc::from("Labels"), super::string_map(&q.labels));
    m.insert(Arc::from("Value"), Value::Float(q.value));
    Value::Map(Arc::new(m))
}

fn sample_labels(v: &Value) -> Option<&BTreeMap<Arc<str>, Value>> {
    match v {
        Value::Map(m) => match m.get("Labels") {
            Some(Value::Map(l)) => Some(l),
            _ => None,
        },
        _ => None,
    }
}

fn label_of(v: &Value, name: &str) -> String {
    sample_labels(v)
        .and_then(|l| l.get(name))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

thread_local! {
    /// The context of the expansion running on this thread: the few
    /// functions that depend on it (`now`, `externalURL`, `pathPrefix`,
    /// `query`) read it here, so the function map and the templates built
    /// with it do not depend on it and can be reused across evaluations.
    static CURRENT: std::cell::RefCell<Context> = std::cell::RefCell::new(Context::default());
}

/// Most function and `{{template}}` calls one expansion may make: Go's
/// template has no bound, and 40 levels of a template calling the next
/// twice is 2^40 calls.
pub const MAX_CALLS: u64 = 1_000_000;
/// Most bytes of strings the functions of one expansion may produce in all
/// (`printf "%s%s" $x $x` in a `range` doubles a string per iteration).
pub const MAX_STRING_BYTES: u64 = 64 * 1024 * 1024;
/// Most `query` calls one expansion may make (each runs a PromQL query).
pub const MAX_QUERIES: u64 = 1_000;

/// What the expansion running on this thread has spent.
#[derive(Debug, Clone, Copy, Default)]
struct Spent {
    calls: u64,
    bytes: u64,
    queries: u64,
}

thread_local! {
    static SPENT: std::cell::Cell<Spent> = const {
        std::cell::Cell::new(Spent { calls: 0, bytes: 0, queries: 0 })
    };
}

/// Charges one call producing `bytes` of string (and a query when `query`)
/// to the current expansion; an error once a budget is spent.
fn charge(bytes: usize, query: bool) -> gotmpl::Result<()> {
    let mut sp = SPENT.with(std::cell::Cell::get);
    sp.calls += 1;
    sp.bytes = sp.bytes.saturating_add(bytes as u64);
    sp.queries += u64::from(query);
    SPENT.with(|c| c.set(sp));
    if sp.calls > MAX_CALLS {
        return Err(err(format!(
            "expansion makes more than {MAX_CALLS} function and template calls"
        )));
    }
    if sp.bytes > MAX_STRING_BYTES {
        return Err(err(format!(
            "expansion builds more than {MAX_STRING_BYTES} bytes of text"
        )));
    }
    if sp.queries > MAX_QUERIES {
        return Err(err(format!(
            "error calling query: expansion runs more than {MAX_QUERIES} queries"
        )));
    }
    Ok(())
}

/// Runs `f` with `ctx` as the current expansion context of this thread,
/// with a fresh budget ([`MAX_CALLS`], [`MAX_STRING_BYTES`], [`MAX_QUERIES`]).
pub(super) fn with_context<R>(ctx: &Context, f: impl FnOnce() -> R) -> R {
    let previous = CURRENT.with(|c| c.replace(ctx.clone()));
    let spent = SPENT.with(|c| c.replace(Spent::default()));
    let out = f();
    CURRENT.with(|c| c.replace(previous));
    SPENT.with(|c| c.set(spent));
    out
}

fn current<R>(f: impl FnOnce(&Context) -> R) -> R {
    CURRENT.with(|c| f(&c.borrow()))
}

/// The function map: Prometheus' functions and the rewrite helpers. The
/// context-dependent ones read the thread's current context (see [`with_context`]).
pub(super) fn func_map() -> FuncMap {
    let mut m: FuncMap = BTreeMap::new();
    // Every function is charged to the expansion's budget, with the length
    // of the string it returns.
    let mut add = |name: &str, f: ValueFunc| {
        let query = name == "query";
        let charged: ValueFunc = Arc::new(move |args: &[Value]| {
            let v = f(args)?;
            let len = match &v {
                Value::String(t) => t.len(),
                _ => 0,
            };
            charge(len, query)?;
            Ok(v)
        });
        m.insert(name.to_string(), charged);
    };
    // `{{template}}` calls pass their argument through this (see the rewrite).
    add(
        STEP,
        Arc::new(|args: &[Value]| Ok(args.last().cloned().unwrap_or(Value::Nil))),
    );
    add(PRINT, Arc::new(print_value));
    add(FIELD, Arc::new(field));
    add(INDEX, Arc::new(index));
    add(PRINTF, Arc::new(printf));
    add(SPRINT, Arc::new(sprint));
    add(SPRINTLN, Arc::new(sprintln));

    add("humanize", f1("humanize", humanize));
    add("humanize1024", f1("humanize1024", humanize1024));
    add(
        "humanizeDuration",
        f1("humanizeDuration", humanize_duration),
    );
    add(
        "humanizePercentage",
        f1("humanizePercentage", humanize_percentage),
    );
    add(
        "humanizeTimestamp",
        f1("humanizeTimestamp", humanize_timestamp),
    );
    add("toTime", f1("toTime", float_to_time));
    add("toDuration", f1("toDuration", to_duration));
    add("title", s1("title", title));
    add("toUpper", s1("toUpper", |t| Ok(s(t.to_uppercase()))));
    add("toLower", s1("toLower", |t| Ok(s(t.to_lowercase()))));
    add("safeHtml", s1("safeHtml", |t| Ok(s(t))));
    add("stripPort", s1("stripPort", strip_port));
    add("stripDomain", s1("stripDomain", strip_domain));
    add(
        "urlQueryEscape",
        s1("urlQueryEscape", |t| Ok(s(query_escape(t)))),
    );
    add(
        "graphLink",
        s1("graphLink", |e| {
            Ok(s(format!("/graph?g0.expr={}&g0.tab=0", query_escape(e))))
        }),
    );
    add(
        "tableLink",
        s1("tableLink", |e| {
            Ok(s(format!("/graph?g0.expr={}&g0.tab=1", query_escape(e))))
        }),
    );
    add(
        "parseDuration",
        s1("parseDuration", |d| {
            crate::go::duration::parse_prometheus(d)
                .map(|ms| Value::Float(ms as f64 / 1000.0))
                .map_err(|e| err(format!("error calling parseDuration: {e}")))
        }),
    );
    add(
        "match",
        Arc::new(|args: &[Value]| {
            arity("match", args, 2)?;
            let re = regex("match", &str_arg("match", &args[0])?)?;
            Ok(Value::Bool(re.is_match(&str_arg("match", &args[1])?)))
        }),
    );
    add(
        "reReplaceAll",
        Arc::new(|args: &[Value]| {
            arity("reReplaceAll", args, 3)?;
            let re = regex("reReplaceAll", &str_arg("reReplaceAll", &args[0])?)?;
            let repl = str_arg("reReplaceAll", &args[1])?;
            let text = str_arg("reReplaceAll", &args[2])?;
            Ok(s(re.replace_all(&text, repl.as_str())))
        }),
    );
    add(
        "args",
        Arc::new(|args: &[Value]| {
            let m: BTreeMap<Arc<str>, Value> = args
                .iter()
                .enumerate()
                .map(|(i, v)| (Arc::from(format!("arg{i}").as_str()), v.clone()))
                .collect();
            Ok(Value::Map(Arc::new(m)))
        }),
    );
    add(
        "first",
        Arc::new(|args: &[Value]| {
            arity("first", args, 1)?;
            match &args[0] {
                Value::List(items) => items.first().cloned().ok_or_else(|| {
                    err("error calling first: first() called on vector with no elements")
                }),
                other => Err(err(format!(
                    "error calling first: wrong type for value; expected template.queryResult; got {}",
                    go_type(other)
                ))),
            }
        }),
    );
    add(
        "label",
        Arc::new(|args: &[Value]| {
            arity("label", args, 2)?;
            let name = str_arg("label", &args[0])?;
            Ok(s(label_of(&args[1], &name)))
        }),
    );
    add(
        "value",
        Arc::new(|args: &[Value]| {
            arity("value", args, 1)?;
            Ok(match &args[0] {
                Value::Map(m) => m.get("Value").cloned().unwrap_or(Value::Nil),
                _ => Value::Nil,
            })
        }),
    );
    add(
        "strvalue",
        Arc::new(|args: &[Value]| {
            arity("strvalue", args, 1)?;
            Ok(s(label_of(&args[0], "__value__")))
        }),
    );
    add(
        "sortByLabel",
        Arc::new(|args: &[Value]| {
            arity("sortByLabel", args, 2)?;
            let name = str_arg("sortByLabel", &args[0])?;
            match &args[1] {
                Value::List(items) => {
                    let mut v: Vec<Value> = items.to_vec();
                    v.sort_by_key(|x| label_of(x, &name));
                    Ok(Value::List(Arc::from(v)))
                }
                other => Err(err(format!(
                    "error calling sortByLabel: wrong type for value; expected template.queryResult; got {}",
                    go_type(other)
                ))),
            }
        }),
    );
    add(
        "now",
        Arc::new(|_args: &[Value]| Ok(Value::Float(current(|c| c.ts_ms) as f64 / 1000.0))),
    );
    add(
        "externalURL",
        Arc::new(|_args: &[Value]| Ok(s(current(|c| c.external_url.clone())))),
    );
    add(
        "pathPrefix",
        Arc::new(|_args: &[Value]| Ok(s(external_path(&current(|c| c.external_url.clone()))))),
    );
    add(
        "query",
        Arc::new(|args: &[Value]| {
            arity("query", args, 1)?;
            let q = str_arg("query", &args[0])?;
            let Some(run) = current(|c| c.query.clone()) else {
                return Err(err("error calling query: no query engine"));
            };
            let samples = run(&q).map_err(|e| err(format!("error calling query: {e}")))?;
            let list: Vec<Value> = samples.iter().map(sample_value).collect();
            Ok(Value::List(Arc::from(list)))
        }),
    );
    m
}

/// The path of a URL (`http://h:9090/prefix` → `/prefix`).
fn external_path(url: &str) -> String {
    let after_scheme = url.split_once("://").map(|(_, r)| r).unwrap_or("");
    match after_scheme.find('/') {
        Some(i) => {
            let p = &after_scheme[i..];
            p.split(['?', '#']).next().unwrap_or("").to_string()
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printf_floats() {
        let (f, a) = prepare_floats(
            "%5.1v|%-6v|%d",
            &[Value::Float(1.25), Value::Float(2.0), Value::Int(3)],
        );
        assert_eq!(f, "%s|%s|%d");
        assert_eq!(go_string(&a[0]), "    1");
        assert_eq!(go_string(&a[1]), "2     ");
    }

    #[test]
    fn host_port() {
        assert_eq!(
            split_host_port("[::1]:80"),
            Some(("::1".into(), "80".into()))
        );
        assert_eq!(split_host_port("a:b:c"), None);
        assert!(
            matches!(strip_domain("10.0.0.1:80"), Ok(Value::String(x)) if &*x == "10.0.0.1:80")
        );
    }

    #[test]
    fn titles() {
        assert!(
            matches!(title("hello world-wide o'neil example.com"), Ok(Value::String(x)) if &*x == "Hello World-Wide O'neil Example.com")
        );
    }
}
