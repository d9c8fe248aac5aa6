//! Structured documents: a rule file or an Alertmanager config built from
//! fuzzed names, expressions, labels and matchers, written with every scalar
//! style, then wrapped as a file on its own, a PrometheusRule CRD, a
//! ConfigMap, a Secret (`stringData` or base64 `data`) or a `kind: List`,
//! with literal and folded block scalars at various indentations.
//!
//! Checked for every input:
//! * no panic, and every diagnostic span lies within the file, on a line of it;
//! * positions are exact where ARCHITECTURE.md says they are: when the inner
//!   document sits in a literal block scalar (`|`, `|-`, `|+`) or directly
//!   under a CRD's `spec:`, the same document linted on its own gives the same
//!   diagnostics (by lint code) at the same places, shifted line by line.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use mlalert::config::Config;
use mlalert::lint::{self, Diagnostic};
use mlalert::source::{SourceFile, Span, TextMap};
use mlalert::yaml;
use mlalert_fuzz::{check_diagnostics, guard};

fuzz_target!(init: mlalert_fuzz::init(), |data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(input) = Input::arbitrary(&mut u) else { return };
    guard(|| run(&input));
});

// ---------------------------------------------------------------- input model

#[derive(Arbitrary, Debug)]
struct Input {
    wrapper: Wrapper,
    payload: Payload,
    key: Key,
    block: Block,
    /// Indentation of the embedded text under its key (taken modulo 9, plus 1).
    indent: u8,
    prefix: Prefix,
    crlf: bool,
    /// Another document after the wrapper.
    trailer: bool,
}

#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
enum Wrapper {
    Plain,
    PrometheusRule,
    GmpRules,
    ConfigMap,
    SecretStringData,
    SecretData,
    ListOfConfigMap,
    ListOfPrometheusRule,
}

#[derive(Arbitrary, Debug)]
enum Payload {
    Rules(Vec<Group>),
    Alertmanager(Am),
    Raw(String),
}

#[derive(Arbitrary, Debug)]
enum Key {
    RulesYaml,
    AlertmanagerYml,
    Rules,
    Txt,
    Fuzz(String),
}

#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    Literal,
    LiteralStrip,
    LiteralKeep,
    LiteralIndicator,
    Folded,
    FoldedStrip,
    DoubleQuoted,
}

#[derive(Arbitrary, Debug)]
enum Prefix {
    None,
    DocStart,
    Comment(String),
    Deployment,
}

#[derive(Arbitrary, Debug)]
struct Group {
    name: Str,
    interval: Option<Dur>,
    rules: Vec<Rule>,
}

#[derive(Arbitrary, Debug)]
struct Rule {
    alert: bool,
    name: Str,
    expr: Expr,
    expr_style: Style,
    expr_indent: u8,
    for_: Option<Dur>,
    labels: Vec<(LabelKey, Str)>,
    annotations: Vec<(LabelKey, Str)>,
}

#[derive(Arbitrary, Debug)]
enum Expr {
    Raw(String),
    Built(PExpr),
}

/// A string and how to write it.
#[derive(Arbitrary, Debug)]
struct Str {
    value: String,
    style: Style,
}

#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
    LiteralStrip,
    Folded,
}

#[derive(Arbitrary, Debug)]
enum Dur {
    Valid(u16, DurUnit),
    Fuzz(String),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum DurUnit {
    S,
    M,
    H,
    D,
    Ms,
}

#[derive(Arbitrary, Debug)]
enum LabelKey {
    Severity,
    RunbookUrl,
    Summary,
    Team,
    RequestId,
    Fuzz(String),
}

#[derive(Arbitrary, Debug)]
enum Metric {
    Up,
    Requests,
    FbUsed,
    FbFree,
    FbTotal,
    GpuUtil,
    Fuzz(String),
}

#[derive(Arbitrary, Debug)]
enum PExpr {
    Selector {
        metric: Metric,
        matchers: Vec<(LabelKey, MatchOp, String)>,
        range: Option<Dur>,
        offset: Option<Dur>,
    },
    Number(i32),
    Float(f64),
    Binary {
        op: BinOp,
        lhs: Box<PExpr>,
        rhs: Box<PExpr>,
        on: Option<(bool, Vec<LabelKey>)>,
        bool_: bool,
    },
    Aggregate {
        op: AggOp,
        by: Option<(bool, Vec<LabelKey>)>,
        param: Option<Box<PExpr>>,
        expr: Box<PExpr>,
    },
    Call {
        func: Func,
        args: Vec<PExpr>,
    },
    LabelReplace {
        expr: Box<PExpr>,
        dst: LabelKey,
    },
    Paren(Box<PExpr>),
    Neg(Box<PExpr>),
    Subquery {
        expr: Box<PExpr>,
        range: Dur,
        step: Option<Dur>,
    },
    Str(String),
    Raw(String),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum MatchOp {
    Eq,
    Ne,
    Re,
    Nre,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Gt,
    Lt,
    Ge,
    Le,
    Eq,
    Ne,
    And,
    Or,
    Unless,
    Atan2,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum AggOp {
    Sum,
    Avg,
    Max,
    Min,
    Count,
    Topk,
    Quantile,
    CountValues,
    Group,
    Stddev,
    Limitk,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Func {
    Rate,
    Increase,
    AvgOverTime,
    MaxOverTime,
    Abs,
    Absent,
    Vector,
    Time,
    HistogramQuantile,
    ClampMax,
    Round,
    Sort,
    PredictLinear,
}

#[derive(Arbitrary, Debug)]
struct Am {
    receiver: Str,
    group_wait: Option<Dur>,
    group_by: Vec<LabelKey>,
    matchers: Vec<Str>,
    match_re: Vec<(LabelKey, Str)>,
    routes: Vec<AmRoute>,
    receivers: Vec<Str>,
    inhibit: Vec<(Vec<Str>, Vec<Str>, Vec<LabelKey>)>,
}

#[derive(Arbitrary, Debug)]
struct AmRoute {
    receiver: Option<Str>,
    matchers: Vec<Str>,
    match_: Vec<(LabelKey, Str)>,
    continue_: Option<Str>,
    group_wait: Option<Dur>,
    routes: Vec<AmRoute>,
}

// ---------------------------------------------------------------- rendering

/// Deepest PromQL nesting rendered (the `promql` and `load` targets cover depth).
const MAX_EXPR_DEPTH: usize = 10;
/// Deepest Alertmanager route nesting rendered.
const MAX_ROUTE_DEPTH: usize = 4;

struct Out {
    text: String,
}

impl Out {
    fn line(&mut self, indent: usize, s: &str) {
        push_indent(&mut self.text, indent);
        self.text.push_str(s);
        self.text.push('\n');
    }

    /// `key: value` with the value written in `style` (falling back to a
    /// double-quoted string where the style cannot hold the value).
    fn entry(&mut self, indent: usize, key: &str, value: &str, style: Style) {
        self.entry_body(indent, key, value, style, 2);
    }

    /// As [`Out::entry`] with a block body `body` spaces deeper than the key.
    fn entry_body(&mut self, indent: usize, key: &str, value: &str, style: Style, body: usize) {
        push_indent(&mut self.text, indent);
        self.text.push_str(key);
        self.text.push(':');
        scalar(&mut self.text, indent, body, value, style);
    }

    /// `- value` as a sequence item.
    fn item(&mut self, indent: usize, value: &str, style: Style) {
        push_indent(&mut self.text, indent);
        self.text.push('-');
        scalar(&mut self.text, indent, 2, value, style);
    }
}

fn push_indent(s: &mut String, n: usize) {
    s.extend(std::iter::repeat_n(' ', n));
}

/// Writes ` value\n` (or a block scalar) after a `key:` or `-` at `indent`;
/// a block scalar's body is `body` spaces deeper.
fn scalar(out: &mut String, indent: usize, body: usize, value: &str, style: Style) {
    let all_printable = value.chars().all(printable);
    let plain_ok = all_printable
        && !value.is_empty()
        && !value.contains(['\n', '\r', '#', '\t'])
        && !value.contains(": ")
        && !value.ends_with(':')
        && !value.starts_with(|c: char| c.is_whitespace() || "-?:,[]{}#&*!|>'\"%@`".contains(c))
        && !value.ends_with(' ');
    match style {
        Style::Plain if plain_ok => {
            out.push(' ');
            out.push_str(value);
            out.push('\n');
        }
        Style::Single if all_printable && !value.contains(['\n', '\r']) => {
            out.push_str(" '");
            out.push_str(&value.replace('\'', "''"));
            out.push_str("'\n");
        }
        Style::Literal | Style::LiteralStrip | Style::Folded
            if all_printable && !value.is_empty() && !value.contains('\r') =>
        {
            out.push(' ');
            out.push(if style == Style::Folded { '>' } else { '|' });
            let first = value.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            if first.starts_with(' ') {
                out.push_str(&body.to_string());
            }
            if style == Style::LiteralStrip {
                out.push('-');
            }
            out.push('\n');
            for line in value.lines() {
                if !line.is_empty() {
                    push_indent(out, indent + body);
                    out.push_str(line);
                }
                out.push('\n');
            }
        }
        _ => {
            out.push(' ');
            out.push_str(&double_quote(value));
            out.push('\n');
        }
    }
}

/// YAML's printable set (c-printable), less the BOM.
fn printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && c != '\u{feff}'
}

fn double_quote(value: &str) -> String {
    let mut s = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\t' => s.push_str("\\t"),
            c if !printable(c) || matches!(c, '\r' | '\u{85}' | '\u{2028}' | '\u{2029}') => {
                s.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

fn dur(d: &Dur) -> String {
    match d {
        Dur::Valid(n, u) => {
            let unit = match u {
                DurUnit::S => "s",
                DurUnit::M => "m",
                DurUnit::H => "h",
                DurUnit::D => "d",
                DurUnit::Ms => "ms",
            };
            format!("{}{unit}", n % 1000)
        }
        Dur::Fuzz(s) => s.clone(),
    }
}

fn label_key(k: &LabelKey) -> &str {
    match k {
        LabelKey::Severity => "severity",
        LabelKey::RunbookUrl => "runbook_url",
        LabelKey::Summary => "summary",
        LabelKey::Team => "team",
        LabelKey::RequestId => "request_id",
        LabelKey::Fuzz(s) => s,
    }
}

fn key_text(k: &LabelKey) -> String {
    let s = label_key(k);
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
    {
        s.to_string()
    } else {
        double_quote(s)
    }
}

fn expr_text(e: &PExpr, depth: usize) -> String {
    if depth > MAX_EXPR_DEPTH {
        return "1".into();
    }
    let sub = |e: &PExpr| expr_text(e, depth + 1);
    let labels = |ls: &[LabelKey]| {
        ls.iter()
            .map(|l| label_key(l).to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match e {
        PExpr::Selector {
            metric,
            matchers,
            range,
            offset,
        } => {
            let mut s = match metric {
                Metric::Up => "up".to_string(),
                Metric::Requests => "http_requests_total".to_string(),
                Metric::FbUsed => "DCGM_FI_DEV_FB_USED".to_string(),
                Metric::FbFree => "DCGM_FI_DEV_FB_FREE".to_string(),
                Metric::FbTotal => "DCGM_FI_DEV_FB_TOTAL".to_string(),
                Metric::GpuUtil => "DCGM_FI_DEV_GPU_UTIL".to_string(),
                Metric::Fuzz(m) => m.clone(),
            };
            if !matchers.is_empty() {
                s.push('{');
                let ms: Vec<String> = matchers
                    .iter()
                    .map(|(k, op, v)| {
                        let op = match op {
                            MatchOp::Eq => "=",
                            MatchOp::Ne => "!=",
                            MatchOp::Re => "=~",
                            MatchOp::Nre => "!~",
                        };
                        format!("{}{op}{:?}", label_key(k), v)
                    })
                    .collect();
                s.push_str(&ms.join(", "));
                s.push('}');
            }
            if let Some(r) = range {
                s.push_str(&format!("[{}]", dur(r)));
            }
            if let Some(o) = offset {
                s.push_str(&format!(" offset {}", dur(o)));
            }
            s
        }
        PExpr::Number(n) => n.to_string(),
        PExpr::Float(f) => format!("{f}"),
        PExpr::Binary {
            op,
            lhs,
            rhs,
            on,
            bool_,
        } => {
            let op = match op {
                BinOp::Add => "+",
                BinOp::Sub => "-",
                BinOp::Mul => "*",
                BinOp::Div => "/",
                BinOp::Mod => "%",
                BinOp::Pow => "^",
                BinOp::Gt => ">",
                BinOp::Lt => "<",
                BinOp::Ge => ">=",
                BinOp::Le => "<=",
                BinOp::Eq => "==",
                BinOp::Ne => "!=",
                BinOp::And => "and",
                BinOp::Or => "or",
                BinOp::Unless => "unless",
                BinOp::Atan2 => "atan2",
            };
            let b = if *bool_ { " bool" } else { "" };
            let m = match on {
                Some((true, ls)) => format!(" on ({})", labels(ls)),
                Some((false, ls)) => format!(" ignoring ({})", labels(ls)),
                None => String::new(),
            };
            format!("{} {op}{b}{m} {}", sub(lhs), sub(rhs))
        }
        PExpr::Aggregate {
            op,
            by,
            param,
            expr,
        } => {
            let op = match op {
                AggOp::Sum => "sum",
                AggOp::Avg => "avg",
                AggOp::Max => "max",
                AggOp::Min => "min",
                AggOp::Count => "count",
                AggOp::Topk => "topk",
                AggOp::Quantile => "quantile",
                AggOp::CountValues => "count_values",
                AggOp::Group => "group",
                AggOp::Stddev => "stddev",
                AggOp::Limitk => "limitk",
            };
            let m = match by {
                Some((true, ls)) => format!(" by ({})", labels(ls)),
                Some((false, ls)) => format!(" without ({})", labels(ls)),
                None => String::new(),
            };
            let p = param
                .as_ref()
                .map(|p| format!("{}, ", sub(p)))
                .unwrap_or_default();
            format!("{op}{m} ({p}{})", sub(expr))
        }
        PExpr::Call { func, args } => {
            let f = match func {
                Func::Rate => "rate",
                Func::Increase => "increase",
                Func::AvgOverTime => "avg_over_time",
                Func::MaxOverTime => "max_over_time",
                Func::Abs => "abs",
                Func::Absent => "absent",
                Func::Vector => "vector",
                Func::Time => "time",
                Func::HistogramQuantile => "histogram_quantile",
                Func::ClampMax => "clamp_max",
                Func::Round => "round",
                Func::Sort => "sort",
                Func::PredictLinear => "predict_linear",
            };
            let a: Vec<String> = args.iter().take(4).map(sub).collect();
            format!("{f}({})", a.join(", "))
        }
        PExpr::LabelReplace { expr, dst } => format!(
            "label_replace({}, {:?}, \"$1\", \"instance\", \"(.*)\")",
            sub(expr),
            label_key(dst)
        ),
        PExpr::Paren(e) => format!("({})", sub(e)),
        PExpr::Neg(e) => format!("-{}", sub(e)),
        PExpr::Subquery { expr, range, step } => format!(
            "({})[{}:{}]",
            sub(expr),
            dur(range),
            step.as_ref().map(dur).unwrap_or_default()
        ),
        PExpr::Str(s) => format!("{s:?}"),
        PExpr::Raw(s) => s.clone(),
    }
}

fn rules_text(groups: &[Group]) -> String {
    let mut o = Out {
        text: String::new(),
    };
    o.line(0, "groups:");
    for g in groups {
        push_indent(&mut o.text, 2);
        o.text.push_str("- name:");
        scalar(&mut o.text, 4, 2, &g.name.value, g.name.style);
        if let Some(i) = &g.interval {
            o.entry(4, "interval", &dur(i), Style::Plain);
        }
        o.line(4, "rules:");
        for r in &g.rules {
            push_indent(&mut o.text, 6);
            o.text
                .push_str(if r.alert { "- alert:" } else { "- record:" });
            scalar(&mut o.text, 8, 2, &r.name.value, r.name.style);
            let expr = match &r.expr {
                Expr::Raw(s) => s.clone(),
                Expr::Built(e) => expr_text(e, 0),
            };
            // Block expressions at assorted indentations (10 is the usual one).
            let body = 2 + usize::from(r.expr_indent % 3) * 2;
            o.entry_body(8, "expr", &expr, r.expr_style, body);
            if let Some(f) = &r.for_ {
                o.entry(8, "for", &dur(f), Style::Plain);
            }
            for (name, kvs) in [("labels", &r.labels), ("annotations", &r.annotations)] {
                if kvs.is_empty() {
                    continue;
                }
                o.line(8, &format!("{name}:"));
                for (k, v) in kvs {
                    o.entry(10, &key_text(k), &v.value, v.style);
                }
            }
        }
    }
    o.text
}

fn am_text(am: &Am) -> String {
    let mut o = Out {
        text: String::new(),
    };
    o.line(0, "route:");
    o.entry(2, "receiver", &am.receiver.value, am.receiver.style);
    if let Some(g) = &am.group_wait {
        o.entry(2, "group_wait", &dur(g), Style::Plain);
    }
    if !am.group_by.is_empty() {
        o.line(2, "group_by:");
        for l in &am.group_by {
            o.item(4, label_key(l), Style::Double);
        }
    }
    if !am.matchers.is_empty() {
        o.line(2, "matchers:");
        for m in &am.matchers {
            o.item(4, &m.value, m.style);
        }
    }
    if !am.match_re.is_empty() {
        o.line(2, "match_re:");
        for (k, v) in &am.match_re {
            o.entry(4, &key_text(k), &v.value, v.style);
        }
    }
    if !am.routes.is_empty() {
        o.line(2, "routes:");
        for r in &am.routes {
            route_text(&mut o, r, 4, 1);
        }
    }
    o.line(0, "receivers:");
    for r in std::iter::once(&am.receiver).chain(&am.receivers) {
        push_indent(&mut o.text, 2);
        o.text.push_str("- name:");
        scalar(&mut o.text, 4, 2, &r.value, r.style);
    }
    if !am.inhibit.is_empty() {
        o.line(0, "inhibit_rules:");
        for (src, dst, equal) in &am.inhibit {
            o.line(2, "- source_matchers:");
            for m in src {
                o.item(6, &m.value, m.style);
            }
            o.line(4, "target_matchers:");
            for m in dst {
                o.item(6, &m.value, m.style);
            }
            o.line(4, "equal:");
            for l in equal {
                o.item(6, label_key(l), Style::Double);
            }
        }
    }
    o.text
}

fn route_text(o: &mut Out, r: &AmRoute, indent: usize, depth: usize) {
    let i = indent + 2;
    push_indent(&mut o.text, indent);
    o.text.push_str("- continue:");
    match &r.continue_ {
        Some(c) => scalar(&mut o.text, i, 2, &c.value, c.style),
        None => o.text.push_str(" false\n"),
    }
    if let Some(rcv) = &r.receiver {
        o.entry(i, "receiver", &rcv.value, rcv.style);
    }
    if let Some(g) = &r.group_wait {
        o.entry(i, "group_wait", &dur(g), Style::Plain);
    }
    if !r.matchers.is_empty() {
        o.line(i, "matchers:");
        for m in &r.matchers {
            o.item(i + 2, &m.value, m.style);
        }
    }
    if !r.match_.is_empty() {
        o.line(i, "match:");
        for (k, v) in &r.match_ {
            o.entry(i + 2, &key_text(k), &v.value, v.style);
        }
    }
    if !r.routes.is_empty() && depth < MAX_ROUTE_DEPTH {
        o.line(i, "routes:");
        for c in &r.routes {
            route_text(o, c, i + 2, depth + 1);
        }
    }
}

/// The inner document on its own, as a file.
fn inner_text(input: &Input) -> String {
    match &input.payload {
        Payload::Rules(groups) => rules_text(groups),
        Payload::Alertmanager(am) => am_text(am),
        Payload::Raw(s) => s.clone(),
    }
}

/// How the inner document was placed in the outer file.
enum Placement {
    /// Line `k` of the inner text is at `outer_lines[k]` (empty inner lines
    /// at the start of their outer line, others after `indent` spaces).
    Lines { first_line: usize, indent: usize },
    /// No exact placement (folded, quoted, base64, or not embedded as text).
    Inexact,
}

struct Built {
    outer: String,
    placement: Placement,
    /// For text embedded in a scalar: the key, and whether the oracle applies.
    embedded_key: Option<String>,
}

fn key_name(k: &Key) -> String {
    match k {
        Key::RulesYaml => "rules.yaml".into(),
        Key::AlertmanagerYml => "alertmanager.yml".into(),
        Key::Rules => "gpu.rules".into(),
        Key::Txt => "notes.txt".into(),
        Key::Fuzz(s) => s.clone(),
    }
}

fn build(input: &Input, inner: &str) -> Built {
    let mut outer = String::new();
    match &input.prefix {
        Prefix::None => {}
        Prefix::DocStart => outer.push_str("---\n"),
        Prefix::Comment(c) => {
            outer.push_str("# ");
            outer.extend(
                c.chars()
                    .filter(|c| printable(*c) && !matches!(c, '\n' | '\r')),
            );
            outer.push('\n');
        }
        Prefix::Deployment => {
            outer.push_str("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n---\n")
        }
    }
    let key = key_name(&input.key);
    let indent = usize::from(input.indent % 9) + 1;
    let (list, wrapper) = match input.wrapper {
        Wrapper::ListOfConfigMap => (true, Wrapper::ConfigMap),
        Wrapper::ListOfPrometheusRule => (true, Wrapper::PrometheusRule),
        w => (false, w),
    };
    // Lines of a List item are indented by 4 ("  - " then "    ").
    let base = if list { 4 } else { 0 };
    if list {
        outer.push_str("apiVersion: v1\nkind: List\nitems:\n");
    }
    let head = |outer: &mut String, lines: &[&str]| {
        for (i, l) in lines.iter().enumerate() {
            if list && i == 0 {
                outer.push_str("  - ");
            } else {
                push_indent(outer, base);
            }
            outer.push_str(l);
            outer.push('\n');
        }
    };
    let placement;
    let mut embedded_key = None;
    match wrapper {
        Wrapper::Plain => {
            let first_line = outer.matches('\n').count();
            outer.push_str(inner);
            placement = Placement::Lines {
                first_line,
                indent: 0,
            };
        }
        Wrapper::PrometheusRule | Wrapper::GmpRules => {
            let api = if wrapper == Wrapper::PrometheusRule {
                [
                    "apiVersion: monitoring.coreos.com/v1",
                    "kind: PrometheusRule",
                ]
            } else {
                ["apiVersion: monitoring.googleapis.com/v1", "kind: Rules"]
            };
            head(
                &mut outer,
                &[api[0], api[1], "metadata:", "  name: r", "spec:"],
            );
            let first_line = outer.matches('\n').count();
            let indent = base + 2;
            for line in inner.split_inclusive('\n') {
                if line != "\n" {
                    push_indent(&mut outer, indent);
                }
                outer.push_str(line);
            }
            placement = Placement::Lines { first_line, indent };
        }
        Wrapper::ConfigMap | Wrapper::SecretStringData | Wrapper::SecretData => {
            let (kind, field) = match wrapper {
                Wrapper::ConfigMap => ("kind: ConfigMap", "data:"),
                Wrapper::SecretStringData => ("kind: Secret", "stringData:"),
                _ => ("kind: Secret", "data:"),
            };
            head(
                &mut outer,
                &["apiVersion: v1", kind, "metadata:", "  name: c", field],
            );
            push_indent(&mut outer, base + 2);
            outer.push_str(&double_quote(&key));
            outer.push(':');
            embedded_key = Some(key.clone());
            let indent = base + 2 + indent;
            if wrapper == Wrapper::SecretData {
                let b64 = base64::engine::general_purpose::STANDARD.encode(inner);
                outer.push_str(" |\n");
                for chunk in b64.as_bytes().chunks(76) {
                    push_indent(&mut outer, indent);
                    outer.push_str(std::str::from_utf8(chunk).unwrap_or(""));
                    outer.push('\n');
                }
                placement = Placement::Inexact;
            } else if input.block == Block::DoubleQuoted {
                outer.push(' ');
                outer.push_str(&double_quote(inner));
                outer.push('\n');
                placement = Placement::Inexact;
            } else {
                let header = match input.block {
                    Block::Literal => "|".to_string(),
                    Block::LiteralStrip => "|-".to_string(),
                    Block::LiteralKeep => "|+".to_string(),
                    Block::LiteralIndicator => format!("|{}", indent - (base + 2)),
                    Block::Folded => ">".to_string(),
                    _ => ">-".to_string(),
                };
                outer.push(' ');
                outer.push_str(&header);
                outer.push('\n');
                let first_line = outer.matches('\n').count();
                for line in inner.split_inclusive('\n') {
                    if line != "\n" {
                        push_indent(&mut outer, indent);
                    }
                    outer.push_str(line);
                }
                if !inner.ends_with('\n') {
                    outer.push('\n');
                }
                placement = if matches!(input.block, Block::Folded | Block::FoldedStrip) {
                    Placement::Inexact
                } else {
                    Placement::Lines { first_line, indent }
                };
            }
        }
        Wrapper::ListOfConfigMap | Wrapper::ListOfPrometheusRule => unreachable!(),
    }
    if input.trailer {
        if !outer.ends_with('\n') {
            outer.push('\n');
        }
        outer.push_str("---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n");
    }
    if input.crlf {
        outer = outer.replace('\n', "\r\n");
    }
    Built {
        outer,
        placement,
        embedded_key,
    }
}

// ---------------------------------------------------------------- checks

fn run(input: &Input) {
    let inner = inner_text(input);
    let built = build(input, &inner);
    if std::env::var_os("MLALERT_FUZZ_DUMP").is_some() {
        eprintln!("---- outer file:\n{}\n---- {:?}", built.outer, built.outer);
        eprintln!("---- inner document:\n{}\n---- {:?}", inner, inner);
    }
    let config = Config::default();
    let source = SourceFile::from_text("fuzz.yaml", built.outer.clone(), 0);
    let diags = lint::run_sources(
        vec![SourceFile::from_text("fuzz.yaml", built.outer.clone(), 0)],
        &config,
    )
    .diagnostics;
    if std::env::var_os("MLALERT_FUZZ_DUMP").is_some() {
        for d in &diags {
            eprintln!("{} {:?} {}", d.lint.code, d.span, d.message);
        }
    }
    check_diagnostics(&source, 0, &diags);

    // The position oracle.
    let Placement::Lines { first_line, indent } = built.placement else {
        return;
    };
    if !matches!(input.payload, Payload::Rules(_) | Payload::Alertmanager(_)) {
        return;
    }
    if let Some(key) = &built.embedded_key {
        let reported = key.ends_with(".yaml") || key.ends_with(".yml") || key.ends_with(".rules");
        if !reported || embedded_value(&built.outer).as_deref() != Some(inner.as_str()) {
            // Not a reported key, or YAML decodes the block to other text
            // than the inner document (tabs, trailing spaces, odd lines).
            return;
        }
    } else if matches!(
        input.wrapper,
        Wrapper::PrometheusRule | Wrapper::GmpRules | Wrapper::ListOfPrometheusRule
    ) && !matches!(input.payload, Payload::Rules(_))
    {
        return;
    }
    let alone = SourceFile::from_text("inner.yaml", inner.clone(), 0);
    let alone_diags = lint::run_sources(vec![alone], &config).diagnostics;
    let templated = |ds: &[Diagnostic]| ds.iter().any(|d| d.lint.code == "ML905");
    if templated(&alone_diags) || templated(&diags) {
        return;
    }
    if built.embedded_key.is_none() && alone_diags.iter().any(|d| d.lint.code == "ML901") {
        // A syntax error under `spec:` can read differently (indentation is part of YAML).
        return;
    }
    let map = line_map(&source, &inner, first_line, indent);
    // Each diagnostic of the document on its own must have a counterpart of
    // the same lint at the mapped place. A span ending at an inner line start
    // may end either there or after the outer line's indentation (a span
    // built from a node's start and another node's empty end point).
    let mut unmatched: Vec<&Diagnostic> = diags.iter().collect();
    let mut missing = Vec::new();
    for d in &alone_diags {
        let start = map.map(d.span.start);
        let ends = [map_span(&map, d.span).end, map.map(d.span.end).max(start)];
        match unmatched.iter().position(|g| {
            g.lint.code == d.lint.code && g.span.start == start && ends.contains(&g.span.end)
        }) {
            Some(i) => {
                unmatched.swap_remove(i);
            }
            None => missing.push((d, Span::new(start, ends[0]))),
        }
    }
    if !missing.is_empty() || !unmatched.is_empty() {
        let show = |code: &str, sp: Span, s: &SourceFile| {
            format!(
                "{code} {}:{} {:?}",
                s.line_col(sp.start).line,
                s.line_col(sp.start).column,
                s.text
                    .get(sp.start..sp.end)
                    .unwrap_or("<not on char boundaries>")
            )
        };
        panic!(
            "positions differ from the document linted on its own\nexpected, not found:\n  {}\nfound, not expected:\n  {}",
            missing
                .iter()
                .map(|(d, sp)| format!("{} ({:?})", show(d.lint.code, *sp, &source), d.message))
                .collect::<Vec<_>>()
                .join("\n  "),
            unmatched
                .iter()
                .map(|d| format!("{} ({:?})", show(d.lint.code, d.span, &source), d.message))
                .collect::<Vec<_>>()
                .join("\n  "),
        );
    }
}

/// The decoded value of the one embedded scalar, if the outer file parses.
fn embedded_value(outer: &str) -> Option<String> {
    let (docs, err) = yaml::parse_stream(outer, &TextMap::Shift(0));
    if err.is_some() {
        return None;
    }
    let mut root = &docs.iter().find(|d| !d.root.is_null())?.root;
    if let Some(items) = root.get("items").and_then(|n| n.as_seq()) {
        root = items.first()?;
    }
    let data = root.get("data").or_else(|| root.get("stringData"))?;
    let entries = data.as_map()?;
    if entries.len() != 1 {
        return None;
    }
    entries[0].1.as_scalar().map(|s| s.value.clone())
}

/// Outer offset of each inner line start, as the inner document was placed.
fn line_map(source: &SourceFile, inner: &str, first_line: usize, indent: usize) -> TextMap {
    let mut pairs = Vec::new();
    let mut at = 0;
    for (k, line) in inner.split_inclusive('\n').enumerate() {
        let body = line.strip_suffix('\n').unwrap_or(line);
        let ls = source.lines().line_start(first_line + k);
        pairs.push((at, if body.is_empty() { ls } else { ls + indent }));
        at += line.len();
    }
    if pairs.is_empty() || inner.ends_with('\n') {
        let ls = source.lines().line_start(first_line + pairs.len());
        pairs.push((at, ls));
    }
    TextMap::Lines(pairs.into())
}

/// As `TextMap::map_span`: the end maps through its last byte.
fn map_span(map: &TextMap, span: Span) -> Span {
    map.map_span(span.start, span.end)
}
