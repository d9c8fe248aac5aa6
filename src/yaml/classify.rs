//! Classification of YAML documents by content (never by file name), as the
//! table in ARCHITECTURE.md "What it reads" lays out.

use super::tree::Node;

/// What a document is, with the nodes the model reads from it.
#[derive(Debug)]
pub enum DocKind<'a> {
    /// A Prometheus rule file: the root mapping, with `groups:`.
    RuleFile(&'a Node),
    /// A rule CRD (PrometheusRule, GMP Rules/ClusterRules/GlobalRules,
    /// OpenShift AlertingRule): its `spec` mapping, holding `groups:`.
    RuleCrd {
        /// `apiVersion/kind`, for messages.
        kind: String,
        /// The `spec` node (may lack `groups`).
        spec: Option<&'a Node>,
    },
    /// An Alertmanager config: the root mapping (`route:` and/or `receivers:`).
    Alertmanager(&'a Node),
    /// A promtool rule unit-test file (`tests:` and `rule_files:`).
    UnitTest(&'a Node),
    /// A ConfigMap or Secret: values that may embed a rule file or an
    /// Alertmanager config.
    Embedding(Vec<Embedded<'a>>),
    /// A Prometheus server config (`prometheus.yml`: `scrape_configs:`, or
    /// `global:` with `rule_files:` or `alerting:`): read for the run's scrape
    /// and evaluation intervals, not checked.
    PrometheusConfig(&'a Node),
    /// A Prometheus Operator ServiceMonitor or PodMonitor: its endpoints'
    /// `interval`s (`spec.endpoints` / `spec.podMetricsEndpoints`).
    Monitor(Vec<&'a Node>),
    /// A Prometheus server's feature flags: the `spec.enableFeatures` items
    /// of a Prometheus Operator `Prometheus`, or the `--enable-feature=…`
    /// arguments of a Deployment's, StatefulSet's, DaemonSet's or Pod's
    /// containers (each node one item or argument).
    Features(Vec<&'a Node>),
    /// `kind: List`: each item is classified in turn.
    List(&'a [Node]),
    /// `null`, `{}` or an empty stream: nothing to check.
    Empty,
    /// Anything else (Deployment, Service, …): skipped silently.
    Other,
}

/// One value of a ConfigMap's `data` or a Secret's `stringData`/`data`.
#[derive(Debug)]
pub struct Embedded<'a> {
    /// The key (e.g. `alertmanager.yaml`).
    pub key: &'a Node,
    /// The value node.
    pub value: &'a Node,
    /// True for a Secret's `data`: the value is base64.
    pub base64: bool,
}

/// Classify a document's root node.
pub fn classify(root: &Node) -> DocKind<'_> {
    if root.is_null() {
        return DocKind::Empty;
    }
    let Some(map) = root.as_map() else {
        return DocKind::Other;
    };
    if map.is_empty() {
        return DocKind::Empty;
    }
    let api = root.get("apiVersion").and_then(Node::as_str).unwrap_or("");
    let kind = root.get("kind").and_then(Node::as_str).unwrap_or("");
    let group = api.split('/').next().unwrap_or("");
    match (group, kind) {
        ("monitoring.coreos.com" | "monitoring.rhobs", "PrometheusRule")
        | ("monitoring.googleapis.com", "Rules" | "ClusterRules" | "GlobalRules")
        | ("monitoring.openshift.io", "AlertingRule") => {
            return DocKind::RuleCrd {
                kind: format!("{api}/{kind}"),
                spec: root.get("spec"),
            };
        }
        ("monitoring.coreos.com" | "monitoring.rhobs", "ServiceMonitor" | "PodMonitor") => {
            let field = if kind == "ServiceMonitor" {
                "endpoints"
            } else {
                "podMetricsEndpoints"
            };
            let intervals = root
                .get("spec")
                .and_then(|s| s.get(field))
                .and_then(Node::as_seq)
                .map(|eps| eps.iter().filter_map(|e| e.get("interval")).collect())
                .unwrap_or_default();
            return DocKind::Monitor(intervals);
        }
        ("monitoring.coreos.com" | "monitoring.rhobs", "Prometheus") => {
            let items = root
                .get("spec")
                .and_then(|s| s.get("enableFeatures"))
                .and_then(Node::as_seq)
                .map(|items| items.iter().collect())
                .unwrap_or_default();
            return DocKind::Features(items);
        }
        ("apps" | "v1" | "", "Deployment" | "StatefulSet" | "DaemonSet" | "Pod") => {
            let pod = if kind == "Pod" {
                root.get("spec")
            } else {
                root.get("spec")
                    .and_then(|s| s.get("template"))
                    .and_then(|t| t.get("spec"))
            };
            let args: Vec<&Node> = pod
                .and_then(|p| p.get("containers"))
                .and_then(Node::as_seq)
                .into_iter()
                .flatten()
                .filter_map(|c| c.get("args").and_then(Node::as_seq))
                .flatten()
                .filter(|a| {
                    a.as_str()
                        .is_some_and(|t| t.starts_with("--enable-feature"))
                })
                .collect();
            if !args.is_empty() {
                return DocKind::Features(args);
            }
            return DocKind::Other;
        }
        (_, "List") if api == "v1" || root.get("items").is_some() => {
            return match root.get("items").and_then(Node::as_seq) {
                Some(items) => DocKind::List(items),
                None => DocKind::Empty,
            };
        }
        ("" | "v1", "ConfigMap") => {
            return DocKind::Embedding(embedded(root, &[("data", false), ("binaryData", true)]));
        }
        ("" | "v1", "Secret") => {
            return DocKind::Embedding(embedded(root, &[("stringData", false), ("data", true)]));
        }
        _ => {}
    }
    if !kind.is_empty() && !api.is_empty() {
        return DocKind::Other;
    }
    if let Some(groups) = root.get("groups") {
        if !groups_of_something_else(groups) {
            return DocKind::RuleFile(root);
        }
        return DocKind::Other;
    }
    if root.get("tests").is_some() && root.get("rule_files").is_some() {
        return DocKind::UnitTest(root);
    }
    if root.get("route").is_some() || root.get("receivers").is_some() {
        return DocKind::Alertmanager(root);
    }
    if root.get("scrape_configs").is_some()
        || (root.get("global").is_some()
            && (root.get("rule_files").is_some() || root.get("alerting").is_some()))
    {
        return DocKind::PrometheusConfig(root);
    }
    DocKind::Other
}

/// True when `groups:` holds groups of something other than rules: no
/// group has `rules`, and some group has a key no rule group has (a site's
/// data file with `services:`, a dashboard list). Such a document is not a
/// rule file, and Prometheus could not load it as one.
fn groups_of_something_else(groups: &Node) -> bool {
    const GROUP_KEYS: &[&str] = &[
        "name",
        "interval",
        "query_offset",
        "limit",
        "labels",
        "rules",
        "partial_response_strategy",
        "source_tenants",
        "evaluation_delay",
        "align_evaluation_time_on_interval",
    ];
    let Some(items) = groups.as_seq() else {
        return false;
    };
    let maps: Vec<_> = items.iter().filter_map(Node::as_map).collect();
    !maps.is_empty()
        && maps
            .iter()
            .all(|m| m.iter().all(|(k, _)| k.as_str() != Some("rules")))
        && maps.iter().any(|m| {
            m.iter()
                .any(|(k, _)| k.as_str().is_some_and(|k| !GROUP_KEYS.contains(&k)))
        })
}

fn embedded<'a>(root: &'a Node, fields: &[(&str, bool)]) -> Vec<Embedded<'a>> {
    let mut out = Vec::new();
    for (field, base64) in fields {
        if let Some(entries) = root.get(field).and_then(Node::as_map) {
            for (key, value) in entries {
                if value.as_scalar().is_some() && !value.is_null() {
                    out.push(Embedded {
                        key,
                        value,
                        base64: *base64,
                    });
                }
            }
        }
    }
    out
}

/// How sure we are that a file is a Helm or Go template rather than YAML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Templated {
    /// No template actions outside what Prometheus templates use.
    No,
    /// A template action starts a line or an unquoted value (`{{- if … }}`,
    /// `labels: {{ … }}`): templated if the YAML does not parse.
    Likely,
    /// Helm's own names (`.Values`, `.Release`, `include "…"`, `toYaml`,
    /// `nindent`): templated whether or not the text happens to parse.
    Certain,
}

/// Helm's own fields of the root context (`.Values.x`, `$.Release.Name`),
/// which Prometheus and Alertmanager template data never have.
const HELM_FIELDS: &[&str] = &["Values", "Release", "Chart", "Capabilities", "Files"];

/// Helm's (Sprig's) functions that Prometheus and Alertmanager templates do
/// not define, as words of an action (`include "x" .`, `toYaml .`,
/// `nindent 4`, `tpl .Values.x .`).
const HELM_FUNCTIONS: &[&str] = &["include", "toYaml", "nindent", "tpl"];

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// True when the inside of one template action (between `{{` and `}}`)
/// names one of Helm's fields or functions as a token: `.Values` after a
/// space, `(`, `|` or `$` (not `$labels.Values`), `tpl` as a word (not
/// `$labels.prompt_tpl`, not `.tpl`). Quoted strings are skipped.
fn has_helm_token(action: &str) -> bool {
    let b = action.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'"' || c == b'`' {
            // A string literal: skip to its end.
            i += 1;
            while i < b.len() && b[i] != c {
                i += if b[i] == b'\\' && c == b'"' { 2 } else { 1 };
            }
            i += 1;
            continue;
        }
        if !is_ident(c) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && is_ident(b[i]) {
            i += 1;
        }
        let word = &action[start..i];
        let before = start.checked_sub(1).map(|j| b[j]);
        let field_of_root = before == Some(b'.')
            && start
                .checked_sub(2)
                .is_none_or(|j| !is_ident(b[j]) && b[j] != b'.' && b[j] != b')' && b[j] != b']');
        if field_of_root && HELM_FIELDS.contains(&word) {
            return true;
        }
        let is_word = before.is_none_or(|p| !matches!(p, b'.' | b'$'));
        if is_word && HELM_FUNCTIONS.contains(&word) {
            return true;
        }
    }
    false
}

/// Whether `text` is a Helm or Go template. Prometheus templates inside
/// quoted or block annotation values do not count. One pass over the text:
/// each `{{` is looked at once, up to its `}}` (an unclosed `{{` ends the
/// scan).
pub fn looks_templated(text: &str) -> Templated {
    // Comments never make a file templated (`# {{ include "x" }}` in a
    // rendered chart's header, a commented-out Helm line).
    let uncommented: String = text
        .split_inclusive('\n')
        .map(|l| {
            let code = &l[..comment_start(l).unwrap_or(l.len())];
            if code.len() < l.len() && l.ends_with('\n') {
                format!("{code}\n")
            } else {
                code.to_string()
            }
        })
        .collect();
    let text = uncommented.as_str();
    let mut at = 0;
    while let Some(i) = text[at..].find("{{") {
        let open = at + i + 2;
        let close = text[open..].find("}}").map(|j| open + j);
        if has_helm_token(&text[open..close.unwrap_or(text.len())]) {
            return Templated::Certain;
        }
        match close {
            Some(c) => at = c + 2,
            None => break,
        }
    }
    // Indentation of the line that opened the block scalar we are in, if any.
    let mut block: Option<usize> = None;
    for line in text.lines() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let t = line.trim();
        if let Some(open) = block {
            if t.is_empty() || indent > open {
                continue;
            }
            block = None;
        }
        let item = t.strip_prefix("- ").unwrap_or(t);
        if item.starts_with("{{") && is_template_action(item) {
            return Templated::Likely;
        }
        if let Some((_, rest)) = item.split_once(": ") {
            let rest = rest.trim_start();
            if rest.starts_with("{{") && is_template_action(rest) {
                return Templated::Likely;
            }
            if is_block_header(rest) {
                block = Some(indent);
            }
        } else if is_block_header(item) {
            // `- |`: a sequence item that is a block scalar.
            block = Some(indent);
        }
    }
    Templated::No
}

/// Where a YAML comment starts on `line`: a `#` at the start or after
/// whitespace, outside single- and double-quoted scalars.
fn comment_start(line: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match quote {
            Some('"') if c == '\\' => {}
            Some(q) if c == q && !(q == '"' && prev == '\\') => quote = None,
            Some(_) => {}
            None if c == '#' && prev.is_whitespace() => return Some(i),
            None if (c == '"' || c == '\'') && (prev.is_whitespace() || "[{,:-".contains(prev)) => {
                quote = Some(c)
            }
            None => {}
        }
        prev = c;
    }
    None
}

/// `|`, `>-`, `|+2`, … optionally followed by a comment.
fn is_block_header(s: &str) -> bool {
    let s = s.split(" #").next().unwrap_or("").trim_end();
    let mut chars = s.chars();
    matches!(chars.next(), Some('|' | '>')) && chars.all(|c| matches!(c, '-' | '+' | '1'..='9'))
}

/// A Go template control or Helm action, as opposed to a Prometheus
/// `{{ $labels.x }}` reference continuing a multi-line string.
fn is_template_action(s: &str) -> bool {
    let trimmed = s.trim_start_matches("{{");
    let inner = trimmed.trim_start_matches('-').trim_start();
    const CONTROL: &[&str] = &[
        "include", "template", "toYaml", "tpl", "if ", "with ", "range ", "end", "else", "define",
        "default", "quote", "required", "/*",
    ];
    trimmed.starts_with('-') || CONTROL.iter().any(|w| inner.starts_with(w))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::TextMap;
    use crate::yaml::parse_stream;

    #[test]
    fn groups_of_other_things_are_not_rule_files() {
        let data = "groups:\n  - name: Basic\n    services:\n      - name: x\n";
        assert_eq!(kind_of(data), "Other");
        assert_eq!(kind_of("groups:\n  - name: g\n    rules: []\n"), "RuleFile");
        // A group without rules (valid in Prometheus) is still a rule file.
        assert_eq!(kind_of("groups:\n  - name: g\n"), "RuleFile");
        assert_eq!(
            kind_of("groups:\n  - name: g\n    interval: 1m\n"),
            "RuleFile"
        );
    }

    #[test]
    fn comments_never_make_a_file_templated() {
        assert_eq!(
            looks_templated(
                "# Source: chart/templates/rules.yaml {{ include \"x\" . }}\ngroups: []\n"
            ),
            Templated::No
        );
        assert_eq!(
            looks_templated("groups: [] # {{- if .Values.enabled }}\n"),
            Templated::No
        );
        assert_eq!(
            looks_templated("a: \"# not a comment {{ .Values.x }}\"\n"),
            Templated::Certain
        );
        // A Prometheus template in a folded value stays a value.
        assert_eq!(
            looks_templated(
                "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    annotations:\n      description: >\n        {{ with query \"up\" }}{{ . | first | value }}{{ end }}\n"
            ),
            Templated::No
        );
    }

    fn kind_of(text: &str) -> String {
        let (docs, err) = parse_stream(text, &TextMap::Shift(0));
        assert!(err.is_none());
        let d = classify(&docs[0].root);
        format!("{d:?}")
            .split(['(', ' ', '{'])
            .next()
            .unwrap_or("")
            .to_string()
    }

    #[test]
    fn classifies_by_content() {
        assert_eq!(kind_of("groups: []"), "RuleFile");
        assert_eq!(
            kind_of(
                "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nspec: {groups: []}"
            ),
            "RuleCrd"
        );
        assert_eq!(
            kind_of("apiVersion: monitoring.googleapis.com/v1\nkind: ClusterRules\nspec: {}"),
            "RuleCrd"
        );
        assert_eq!(
            kind_of("route: {receiver: a}\nreceivers: [{name: a}]"),
            "Alertmanager"
        );
        assert_eq!(kind_of("rule_files: [a.yml]\ntests: []"), "UnitTest");
        assert_eq!(
            kind_of("apiVersion: v1\nkind: ConfigMap\ndata: {a: b}"),
            "Embedding"
        );
        assert_eq!(kind_of("apiVersion: v1\nkind: List\nitems: []"), "List");
        assert_eq!(
            kind_of("apiVersion: apps/v1\nkind: Deployment\nspec: {}"),
            "Other"
        );
        assert_eq!(kind_of("{}"), "Empty");
        assert_eq!(kind_of("null"), "Empty");
    }

    #[test]
    fn helm_names_count_as_tokens_not_substrings() {
        use Templated::*;
        // Item 17 of issue 13: `tpl ` inside a label name is not Helm's `tpl`.
        for text in [
            "summary: \"{{ $labels.prompt_tpl }} is slow\"\n",
            "summary: \"{{ $labels.Values }} / {{ .Labels.include }}\"\n",
            "summary: \"{{ \\\"tpl \\\" }} {{ $labels.my_toYaml }}\"\n",
        ] {
            assert_eq!(looks_templated(text), No, "{text}");
        }
        for text in [
            "a: \"{{ tpl .Values.x . }}\"\n",
            "a: \"{{ $.Values.x }}\"\n",
            "a: \"{{ .Release.Name }}\"\n",
            "a: \"{{ (include \\\"x\\\" .) | nindent 4 }}\"\n",
            "a: \"{{.Values.x}}\"\n",
        ] {
            assert_eq!(looks_templated(text), Certain, "{text}");
        }
    }

    #[test]
    fn unclosed_actions_are_scanned_once() {
        // Item 9 of issue 13: 1 MiB of `{{` without `}}` took over 20 s when
        // each `{{` searched the rest of the file for its `}}`.
        let text = format!("a: \"{}\"\n", "{{".repeat(1 << 19));
        // Correctness on the input; time is guarded by tests/it/hostile's
        // harness timeout and measured in bench/, not asserted here.
        assert_eq!(looks_templated(&text), Templated::No);
        let also = format!("a: \"{} .Values\"\n", "{{ x }}".repeat(1 << 17));
        assert_eq!(looks_templated(&also), Templated::No);
    }

    #[test]
    fn templated_detection() {
        use Templated::*;
        assert_eq!(
            looks_templated("{{- if .Values.enabled }}\ngroups: []\n{{- end }}"),
            Certain
        );
        assert_eq!(
            looks_templated("metadata:\n  labels: {{ include \"x\" . }}\n"),
            Certain
        );
        assert_eq!(
            looks_templated("metadata:\n  name: \"{{ .Release.Name }}-rules\"\n"),
            Certain
        );
        assert_eq!(
            looks_templated("{{- if .enabled }}\ngroups: []\n{{- end }}\n"),
            Likely
        );
        assert_eq!(
            looks_templated("annotations:\n  summary: \"{{ $labels.pod }} is down\"\n"),
            No
        );
        // A Prometheus reference starting the continuation line of a quoted string.
        assert_eq!(
            looks_templated(
                "a:\n  description: '{{ $value }} stalls on\n    {{$labels.instance}}, above 10.'\n"
            ),
            No
        );
        assert_eq!(
            looks_templated(
                "description: |\n  {{ $value }} errors\n  {{ range query \"x\" }}{{ end }}\nb: 1\n"
            ),
            No
        );
        assert_eq!(
            looks_templated("description: |\n  text\n{{- end }}\n"),
            Likely
        );
    }
}
