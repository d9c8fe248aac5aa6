//! Go text/template expansion of alert labels and annotations, as Prometheus'
//! `template` package does it. The only module that touches `gotmpl`.
//!
//! `gotmpl` (a port of Go's text/template) does the lexing, parsing, control
//! flow and built-in functions. This adapter adds what Prometheus layers on
//! top and what an untyped value model cannot express by itself:
//!
//! - the variables `$labels`, `$externalLabels`, `$externalURL`, `$value`
//!   (Prometheus prepends the same `{{$labels := .Labels}}…` definitions);
//! - Prometheus' function map (`humanize`, `query`, `reReplaceAll`, …);
//! - Go's `missingkey=zero` on `map[string]string`: `{{ $labels.nope }}` is
//!   `""`, not `<no value>`. Field accesses and `index` calls are rewritten
//!   in the parsed tree into calls that look keys up with that rule;
//! - Go's float formatting: every printed action, `print`, `println` and
//!   `printf` go through [`crate::go::float`] (`1e+06`, `+Inf`), not Rust's `Display`.

pub mod check;
mod funcs;
pub mod functions;

use std::collections::BTreeMap;
use std::sync::Arc;

use gotmpl::Value;
use gotmpl::parse::{CommandNode, Expr, ListNode, Node, PipeNode, SmolStr};

pub use funcs::{MAX_CALLS, MAX_QUERIES, MAX_STRING_BYTES, QuerySample};

/// Runs a PromQL query for the `query` template function at the expansion
/// time; returns the samples of the resulting vector (a scalar as one
/// sample without labels) or an error message.
pub type QueryFn = Arc<dyn Fn(&str) -> Result<Vec<QuerySample>, String> + Send + Sync>;

/// A template that did not parse or failed while executing. The message
/// follows Prometheus' wording (`error executing template NAME: …`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TemplateError(pub String);

/// What an alert's labels and annotations are expanded with.
#[derive(Debug, Clone, Default)]
pub struct AlertData {
    /// Labels of the result sample (`$labels`), `__name__` included when present.
    pub labels: Vec<(String, String)>,
    /// `$externalLabels`.
    pub external_labels: Vec<(String, String)>,
    /// `$externalURL`.
    pub external_url: String,
    /// `$value`: the sample's value.
    pub value: f64,
}

/// Where and when a template is expanded.
#[derive(Clone, Default)]
pub struct Context {
    /// Template name used in error messages (Prometheus: `__alert_NAME`).
    pub name: String,
    /// Evaluation time in ms since the epoch (`now`, `query`).
    pub ts_ms: i64,
    /// The external URL (`externalURL`, `pathPrefix`, `graphLink`).
    pub external_url: String,
    /// Backs the `query` function; `None` makes `query` fail.
    pub query: Option<QueryFn>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("name", &self.name)
            .field("ts_ms", &self.ts_ms)
            .field("external_url", &self.external_url)
            .finish()
    }
}

/// Most `{{range}}` iterations one expansion may run.
pub const MAX_RANGE_ITERS: u64 = 100_000;

const ALERT_DEFS: &str = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}";

/// Expands one label or annotation template of an alert as Prometheus'
/// alerting rule does (with its variable definitions prepended).
///
/// # Errors
/// A parse or execution error; Prometheus then uses
/// `<error expanding template: …>` as the value, see [`expand_alert_or_error`].
pub fn expand_alert(text: &str, data: &AlertData, ctx: &Context) -> Result<String, TemplateError> {
    // Fast path: no action at all.
    if !text.contains("{{") {
        return Ok(text.to_string());
    }
    let root = alert_value(data);
    expand(text, &root, ctx)
}

/// [`expand_alert`], with an error turned into the text Prometheus stores:
/// `<error expanding template: MESSAGE>`.
pub fn expand_alert_or_error(text: &str, data: &AlertData, ctx: &Context) -> String {
    match expand_alert(text, data, ctx) {
        Ok(s) => s,
        Err(e) => format!("<error expanding template: {e}>"),
    }
}

/// The first template error of an alert label or annotation `text`, as
/// Prometheus' rulefmt reports it when it loads the file
/// (`testTemplateParsing`): the byte range of the offending token in `text`
/// and `template: __alert_ALERT:LINE: MESSAGE`. `None` when the text parses.
/// The one syntax path for `template-syntax` and `mlalert test`.
pub fn alert_template_error(alert: &str, text: &str) -> Option<(std::ops::Range<usize>, String)> {
    let e = check::check_alert_template(text).error?;
    Some((e.range.clone(), alert_error_message(alert, text, &e)))
}

/// `template: __alert_ALERT:LINE: MESSAGE` for an error the checker found in
/// `text` (LINE counts from 1 within `text`, as Go's parser does).
pub fn alert_error_message(alert: &str, text: &str, e: &check::TemplateError) -> String {
    let line = check::line_of(text, e.range.start);
    format!("template: __alert_{alert}:{line}: {}", e.message)
}

fn string_map(pairs: &[(String, String)]) -> Value {
    let m: BTreeMap<Arc<str>, Value> = pairs
        .iter()
        .map(|(k, v)| (Arc::from(k.as_str()), Value::String(Arc::from(v.as_str()))))
        .collect();
    Value::Map(Arc::new(m))
}

fn alert_value(data: &AlertData) -> Value {
    let mut m = BTreeMap::new();
    m.insert(Arc::from("Labels"), string_map(&data.labels));
    m.insert(
        Arc::from("ExternalLabels"),
        string_map(&data.external_labels),
    );
    m.insert(
        Arc::from("ExternalURL"),
        Value::String(Arc::from(data.external_url.as_str())),
    );
    m.insert(Arc::from("Value"), Value::Float(data.value));
    Value::Map(Arc::new(m))
}

/// Most distinct template texts kept built per thread (the cache is
/// emptied when it grows past this).
const MAX_CACHED: usize = 4096;

type Built = Result<std::rc::Rc<gotmpl::Template>, TemplateError>;

/// Template name → alert template text → built template, and how many
/// entries the cache holds.
type BuiltCache = (
    foldhash::HashMap<String, foldhash::HashMap<String, Built>>,
    usize,
);

thread_local! {
    /// Template name → alert template text → the built template (parsed
    /// with [`ALERT_DEFS`] in front, rewritten, with the function map) or
    /// its parse error, and how many entries it holds. Rules expand the
    /// same templates at every evaluation: building once per text instead
    /// of once per evaluation is most of `mlalert test`'s speed, and the
    /// lookup by `&str` costs no allocation.
    static BUILT: std::cell::RefCell<BuiltCache> =
        std::cell::RefCell::new(Default::default());
}

/// Template `name` from the alert template `text` (with [`ALERT_DEFS`]
/// in front), with the Prometheus rewrites applied, built once per
/// distinct text on this thread.
fn built(name: &str, text: &str) -> Built {
    if let Some(hit) = BUILT.with(|c| c.borrow().0.get(name).and_then(|m| m.get(text)).cloned()) {
        return hit;
    }
    let src = format!("{ALERT_DEFS}{text}");
    let src = src.as_str();
    let result = (|| {
        let tmpl = gotmpl::Template::new(name)
            .max_range_iters(MAX_RANGE_ITERS)
            .funcs(funcs::func_map())
            .parse(src)
            .map_err(|e| TemplateError(format!("error parsing template {name}: template: {e}")))?;
        let names: Vec<String> = tmpl.templates().iter().map(|s| s.to_string()).collect();
        let mut tmpl = tmpl;
        for n in &names {
            if let Some(tree) = tmpl.lookup(n) {
                let mut tree = tree.clone();
                rewrite_list(&mut tree);
                tmpl = tmpl.add_parse_tree(n, tree);
            }
        }
        Ok(std::rc::Rc::new(tmpl))
    })();
    BUILT.with(|c| {
        let (map, len) = &mut *c.borrow_mut();
        if *len >= MAX_CACHED {
            map.clear();
            *len = 0;
        }
        map.entry(name.to_string())
            .or_default()
            .insert(text.to_string(), result.clone());
        *len += 1;
    });
    result
}

/// Expands the alert template `text` with `data` as dot.
fn expand(text: &str, data: &Value, ctx: &Context) -> Result<String, TemplateError> {
    let name = if ctx.name.is_empty() {
        "__template"
    } else {
        ctx.name.as_str()
    };
    let tmpl = built(name, text)?;
    if tmpl.lookup(name).is_none() {
        return Ok(String::new());
    }
    let mut out = Bounded::default();
    let result = funcs::with_context(ctx, || tmpl.execute_template_fmt(&mut out, name, data));
    match result {
        Ok(()) => Ok(out.text),
        Err(_) if out.over => Err(TemplateError(format!(
            "error executing template {name}: expanded text is larger than {MAX_OUTPUT_BYTES} bytes"
        ))),
        Err(e) => Err(TemplateError(format!(
            "error executing template {name}: {e}"
        ))),
    }
}

/// Largest text one expansion may write (an alert label or annotation);
/// Prometheus has no bound.
pub const MAX_OUTPUT_BYTES: usize = 1024 * 1024;

/// The expansion's output, refusing to grow past [`MAX_OUTPUT_BYTES`].
#[derive(Default)]
struct Bounded {
    text: String,
    over: bool,
}

impl std::fmt::Write for Bounded {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.text.len().saturating_add(s.len()) > MAX_OUTPUT_BYTES {
            self.over = true;
            return Err(std::fmt::Error);
        }
        self.text.push_str(s);
        Ok(())
    }
}

// ---- parse-tree rewriting --------------------------------------------------

fn rewrite_list(list: &mut ListNode) {
    for node in &mut list.nodes {
        rewrite_node(node);
    }
}

fn rewrite_node(node: &mut Node) {
    match node {
        Node::List(l) => rewrite_list(l),
        Node::Action(a) => {
            rewrite_pipe(&mut a.pipe);
            if a.pipe.decl.is_empty() {
                let pos = a.pipe.pos;
                a.pipe.commands.push(CommandNode {
                    pos,
                    args: vec![Expr::Identifier(pos, SmolStr::new(funcs::PRINT))],
                });
            }
        }
        Node::If(b) | Node::Range(b) | Node::With(b) => {
            rewrite_pipe(&mut b.pipe);
            rewrite_list(&mut b.body);
            if let Some(e) = &mut b.else_body {
                rewrite_list(e);
            }
        }
        Node::Template(t) => {
            if let Some(p) = &mut t.pipe {
                rewrite_pipe(p);
            }
            // Each call passes its argument through `__step`, which charges
            // the call to the expansion's budget.
            let pos = t.pos;
            let step = CommandNode {
                pos,
                args: vec![Expr::Identifier(pos, SmolStr::new(funcs::STEP))],
            };
            match &mut t.pipe {
                Some(p) => p.commands.push(step),
                None => {
                    t.pipe = Some(PipeNode {
                        pos,
                        decl: Vec::new(),
                        commands: vec![step],
                        is_assign: false,
                    });
                }
            }
        }
        Node::Define(d) => rewrite_list(&mut d.body),
        Node::Text(_) | Node::Break(_) | Node::Continue(_) => {}
    }
}

fn rewrite_pipe(pipe: &mut PipeNode) {
    for cmd in &mut pipe.commands {
        for (i, arg) in cmd.args.iter_mut().enumerate() {
            if i == 0
                && let Expr::Identifier(pos, name) = arg
            {
                let renamed = match name.as_str() {
                    "index" => Some(funcs::INDEX),
                    "printf" => Some(funcs::PRINTF),
                    "print" => Some(funcs::SPRINT),
                    "println" => Some(funcs::SPRINTLN),
                    _ => None,
                };
                if let Some(r) = renamed {
                    *arg = Expr::Identifier(*pos, SmolStr::new(r));
                }
                continue;
            }
            rewrite_expr(arg);
        }
    }
}

fn field_call(pos: gotmpl::parse::Pos, base: Expr, fields: &[SmolStr]) -> Expr {
    let mut args = vec![Expr::Identifier(pos, SmolStr::new(funcs::FIELD)), base];
    args.extend(
        fields
            .iter()
            .map(|f| Expr::String(pos, Arc::from(f.as_str()))),
    );
    Expr::Pipe(
        pos,
        PipeNode {
            pos,
            decl: Vec::new(),
            commands: vec![CommandNode { pos, args }],
            is_assign: false,
        },
    )
}

fn rewrite_expr(e: &mut Expr) {
    match e {
        Expr::Field(pos, fields) if !fields.is_empty() => {
            let pos = *pos;
            let fields = std::mem::take(fields);
            *e = field_call(pos, Expr::Dot(pos), &fields);
        }
        Expr::Variable(pos, name, fields) if !fields.is_empty() => {
            let pos = *pos;
            let fields = std::mem::take(fields);
            let base = Expr::Variable(pos, name.clone(), Vec::new());
            *e = field_call(pos, base, &fields);
        }
        Expr::Chain(pos, inner, fields) if !fields.is_empty() => {
            let pos = *pos;
            let fields = std::mem::take(fields);
            let mut base = std::mem::replace(inner.as_mut(), Expr::Nil(pos));
            rewrite_expr(&mut base);
            *e = field_call(pos, base, &fields);
        }
        Expr::Pipe(_, p) => rewrite_pipe(p),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(labels: &[(&str, &str)], value: f64) -> AlertData {
        AlertData {
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            external_labels: vec![("cluster".into(), "gpu-a".into())],
            external_url: "http://prom.example:9090/prefix".into(),
            value,
        }
    }

    fn exp(text: &str, value: f64) -> String {
        let d = data(&[("instance", "node-1:9400"), ("job", "dcgm")], value);
        expand_alert_or_error(text, &d, &Context::default())
    }

    #[test]
    fn expansion_size_and_work_are_bounded() {
        // A string doubled 40 times (a terabyte) stops at the text budget.
        let doubling = format!(
            "{{{{ $x := \"ab\" }}}}{{{{ range $i := args {} }}}}{{{{ $x = printf \"%s%s\" $x $x }}}}{{{{ end }}}}{{{{ $x }}}}",
            vec!["1"; 40].join(" ")
        );
        let e = exp(&doubling, 1.0);
        assert!(
            e.starts_with("<error expanding template: error executing template __template: ")
                && e.contains("expansion builds more than 67108864 bytes of text"),
            "{}",
            &e[..e.len().min(300)]
        );
        // 40 levels of a template calling the next twice: 2^40 calls.
        let mut t = String::from("{{define \"t0\"}}{{end}}");
        for i in 1..=40 {
            t.push_str(&format!(
                "{{{{define \"t{i}\"}}}}{{{{template \"t{}\" .}}}}{{{{template \"t{}\"}}}}{{{{end}}}}",
                i - 1,
                i - 1
            ));
        }
        t.push_str("{{template \"t40\" .}}");
        let e = exp(&t, 1.0);
        assert!(
            e.contains("expansion makes more than 1000000 function and template calls"),
            "{e}"
        );
        // The same with text in every template: the output bound.
        let wide = t.replace(
            "{{define \"t0\"}}{{end}}",
            "{{define \"t0\"}}0123456789{{end}}",
        );
        let e = exp(&wide, 1.0);
        assert!(
            e.contains("expanded text is larger than 1048576 bytes"),
            "{e}"
        );
        // Templates still pass their argument along.
        assert_eq!(
            exp(
                "{{define \"v\"}}[{{.}}]{{end}}{{template \"v\" $value}}{{template \"v\"}}",
                2.0
            ),
            "[2][<no value>]"
        );
    }

    #[test]
    fn regex_functions_use_go_syntax() {
        // Go accepts a literal brace; the `regex` crate alone refuses it.
        assert_eq!(
            exp(r#"{{ reReplaceAll "{.*}$" "" "foo{bar}" }}"#, 1.0),
            "foo"
        );
        assert_eq!(
            exp(r#"{{ if match "^\\d+$" "42" }}yes{{ end }}"#, 1.0),
            "yes"
        );
        assert_eq!(exp(r#"{{ match "o" "foo" }}"#, 1.0), "true", "unanchored");
        let bad = exp(r#"{{ reReplaceAll "[" "" "x" }}"#, 1.0);
        assert!(
            bad.contains("error calling reReplaceAll: regexp: Compile(`[`): error parsing regexp: missing closing ]: `[`"),
            "{bad}"
        );
        let bad = exp(r#"{{ match "a**" "x" }}"#, 1.0);
        assert!(
            bad.contains("error calling match: error parsing regexp: invalid nested repetition operator: `**`"),
            "{bad}"
        );
    }

    #[test]
    fn value_prints_as_go_float() {
        assert_eq!(exp("{{ $value }}", 1e6), "1e+06");
        assert_eq!(exp("{{ $value }}", f64::INFINITY), "+Inf");
        assert_eq!(exp("{{ $value }}", 0.5), "0.5");
        assert_eq!(exp("{{ .Value }}", 123456.0), "123456");
        assert_eq!(exp("{{ print $value }}", 1e6), "1e+06");
        assert_eq!(
            exp(r#"{{ printf "%v|%.2f|%g" $value $value $value }}"#, 1e6),
            "1e+06|1000000.00|1e+06"
        );
        assert_eq!(exp(r#"{{ printf "%.1f" $value }}"#, f64::NAN), "NaN");
    }

    #[test]
    fn labels_and_missing_labels() {
        assert_eq!(
            exp("{{ $labels.instance }} of {{ $labels.job }}", 1.0),
            "node-1:9400 of dcgm"
        );
        assert_eq!(exp("[{{ $labels.missing }}]", 1.0), "[]");
        assert_eq!(exp(r#"[{{ index $labels "missing" }}]"#, 1.0), "[]");
        assert_eq!(
            exp(r#"{{ if eq $labels.missing "" }}empty{{ end }}"#, 1.0),
            "empty"
        );
        assert_eq!(
            exp("{{ $externalLabels.cluster }} {{ $externalURL }}", 1.0),
            "gpu-a http://prom.example:9090/prefix"
        );
        assert_eq!(
            exp(
                "{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}",
                1.0
            ),
            "instance=node-1:9400;job=dcgm;"
        );
    }

    #[test]
    fn prometheus_functions() {
        assert_eq!(exp("{{ $value | humanize }}", 1234567.0), "1.235M");
        assert_eq!(exp("{{ $value | humanize }}", 0.00123), "1.23m");
        assert_eq!(exp("{{ $value | humanize1024 }}", 1048576.0), "1Mi");
        assert_eq!(exp("{{ $value | humanizePercentage }}", 0.1234), "12.34%");
        assert_eq!(exp("{{ $value | humanizeDuration }}", 3725.0), "1h 2m 5s");
        assert_eq!(exp("{{ $value | humanizeDuration }}", 0.25), "250ms");
        assert_eq!(
            exp("{{ $value | humanizeTimestamp }}", 1.0),
            "1970-01-01 00:00:01 +0000 UTC"
        );
        assert_eq!(exp("{{ $labels.instance | stripPort }}", 1.0), "node-1");
        assert_eq!(exp(r#"{{ "a.b.c:90" | stripDomain }}"#, 1.0), "a:90");
        assert_eq!(
            exp(r#"{{ reReplaceAll "(.*):.*" "$1" $labels.instance }}"#, 1.0),
            "node-1"
        );
        assert_eq!(
            exp(
                r#"{{ "gpu memory" | title }} {{ "X" | toLower }} {{ "y" | toUpper }}"#,
                1.0
            ),
            "Gpu Memory x Y"
        );
        assert_eq!(
            exp(
                r#"{{ if match "^node" $labels.instance }}yes{{ end }}"#,
                1.0
            ),
            "yes"
        );
        assert_eq!(exp(r#"{{ parseDuration "1m30s" }}"#, 1.0), "90");
        assert_eq!(exp("{{ pathPrefix }}", 1.0), "");
        assert!(exp("{{ humanize \"x\" }}", 1.0).starts_with("<error expanding template:"));
    }

    #[test]
    fn query_function() {
        let q: QueryFn = Arc::new(|_q: &str| {
            Ok(vec![
                QuerySample {
                    labels: vec![("gpu".into(), "1".into())],
                    value: 2.0,
                },
                QuerySample {
                    labels: vec![("gpu".into(), "0".into())],
                    value: 1e6,
                },
            ])
        });
        let ctx = Context {
            query: Some(q),
            ..Context::default()
        };
        let d = data(&[], 1.0);
        let t = r#"{{ range query "x" | sortByLabel "gpu" }}{{ .Labels.gpu }}={{ .Value }} {{ end }}|{{ with query "x" }}{{ . | first | value }}{{ end }}"#;
        assert_eq!(expand_alert_or_error(t, &d, &ctx), "0=1e+06 1=2 |2");
    }

    #[test]
    fn syntax_errors_are_reported() {
        let (range, msg) = alert_template_error("A", "ok {{ $labels.x ").unwrap();
        assert_eq!(range.start, 3, "at the action's left delimiter, as Go");
        assert_eq!(msg, "template: __alert_A:1: unclosed action");
        assert!(alert_template_error("A", "{{ $labels.x }}").is_none());
    }

    #[test]
    fn expander_and_checker_share_one_function_table() {
        let mut registered: Vec<String> = funcs::func_map()
            .into_keys()
            .filter(|k| !k.starts_with("__"))
            .collect();
        registered.sort();
        let mut table: Vec<String> = functions::PROMETHEUS_FUNCTIONS
            .iter()
            .map(|s| s.to_string())
            .collect();
        table.sort();
        assert_eq!(registered, table);
        // Every name of the table is defined in the expander (Go's builtins
        // come from gotmpl) and accepted by the checker; a name outside it
        // fails in both.
        let d = AlertData::default();
        let undefined = |t: &str| {
            expand_alert(t, &d, &Context::default())
                .is_err_and(|e| e.0.contains("undefined function"))
        };
        for name in functions::GO_FUNCTIONS
            .iter()
            .chain(functions::PROMETHEUS_FUNCTIONS)
        {
            let t = format!("{{{{ {name} }}}}");
            assert!(!undefined(&t), "{name} is not defined in the expander");
            let t = format!("{{{{ if false }}}}{{{{ {name} }}}}{{{{ end }}}}");
            assert!(
                alert_template_error("A", &t).is_none(),
                "{name} rejected by the checker"
            );
        }
        assert!(undefined("{{ urlUnescape \"x\" }}"));
        assert!(alert_template_error("A", "{{ urlUnescape \"x\" }}").is_some());
    }

    #[test]
    fn url_query_escape_as_go() {
        let d = AlertData::default();
        let t = r#"{{ "a b/c?d=é" | urlQueryEscape }}"#;
        assert_eq!(
            expand_alert_or_error(t, &d, &Context::default()),
            "a+b%2Fc%3Fd%3D%C3%A9"
        );
    }
}
