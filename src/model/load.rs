//! One file → its documents → typed models, following ARCHITECTURE.md's
//! "What it reads": rule files, rule CRDs, Alertmanager configs, ConfigMaps
//! and Secrets embedding either, `kind: List`, multi-document streams.

use base64::Engine as _;

use crate::diagnostic::input::{
    alertmanager_invalid, rule_dialect, rule_invalid, secret_data_invalid, templated_skipped,
    yaml_syntax,
};
use crate::diagnostic::{Diagnostic, FileId};
use crate::source::{SourceFile, Span, TextMap};
use crate::yaml::{self, DocKind, Node};

use super::alertmanager::{AmConfig, read_config};
use super::reader::Errors;
use super::rules::{ExtraFields, RuleFile, read_rule_file};

/// Deepest `kind: List` nesting followed.
const MAX_LIST_DEPTH: usize = 16;

/// What one file holds.
#[derive(Debug, Default)]
pub struct LoadedFile {
    /// Rule files and rule CRDs (also embedded ones), in document order.
    pub rule_files: Vec<RuleFile>,
    /// Alertmanager configs (also embedded ones).
    pub am_configs: Vec<AmConfig>,
    /// Root nodes of rule unit-test documents.
    pub unit_tests: Vec<Node>,
    /// Input diagnostics: yaml-syntax, rule-invalid, promql-syntax, …
    pub diagnostics: Vec<Diagnostic>,
    /// True when the file (or an embedded document) is not valid YAML.
    pub yaml_error: bool,
    /// Scrape and evaluation intervals the file states (a Prometheus server
    /// config, ServiceMonitors, PodMonitors), for the run's conventions.
    pub intervals: Vec<Interval>,
    /// `global.external_labels` of a Prometheus server config: (name, value,
    /// where), on every alert that server sends.
    pub external_labels: Vec<(String, String, Span)>,
    /// Prometheus feature flags a server of the run enables
    /// (`promql-experimental-functions`), with where each is written: a
    /// Prometheus Operator `Prometheus`'s `spec.enableFeatures`, or a
    /// container's `--enable-feature=a,b` argument.
    pub features: Vec<(String, Span)>,
    /// Byte spans of the file that hold secret values: the fields of
    /// Alertmanager configs that Alertmanager itself prints as `<secret>`
    /// ([`AmConfig::secret_spans`](super::alertmanager::AmConfig::secret_spans)),
    /// and every base64 value of a Secret's `data`. Output never shows them.
    pub secrets: Vec<Span>,
}

impl LoadedFile {
    /// How many alerting rules (`alert:`) the file's rule files hold.
    pub fn alert_count(&self) -> usize {
        self.rule_files
            .iter()
            .flat_map(|rf| &rf.groups)
            .flat_map(|g| &g.rules)
            .filter(|r| r.is_alert())
            .count()
    }
}

/// An interval a file states about how often Prometheus scrapes or
/// evaluates, with where it says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interval {
    /// Scrape or evaluation.
    pub kind: IntervalKind,
    /// The interval, in milliseconds.
    pub ms: u64,
    /// Where: the value, or the `global:` key for a default Prometheus
    /// applies when the key is missing.
    pub span: Span,
    /// What states it, for messages (`global.scrape_interval`,
    /// `ServiceMonitor endpoint interval`, `Prometheus' default for global.scrape_interval`).
    pub what: &'static str,
}

/// Which interval an [`Interval`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntervalKind {
    /// How often targets are scraped.
    Scrape,
    /// How often rule groups without `interval` are evaluated.
    Evaluation,
}

/// Prometheus' default `global.scrape_interval` and
/// `global.evaluation_interval` (config/config.go `DefaultGlobalConfig`),
/// in milliseconds.
pub const PROMETHEUS_DEFAULT_INTERVAL_MS: u64 = 60_000;

/// One loaded file of a run with its id and text: what whole-run analyses
/// (project lints, `routing::project`) read.
pub struct ProjectFile<'a> {
    /// The file's id in the run.
    pub file: FileId,
    /// The file.
    pub source: &'a SourceFile,
    /// Its rule files and Alertmanager configs.
    pub loaded: &'a LoadedFile,
}

/// The byte offset of the first `alert:` or `record:` key of `text` (a
/// line whose content starts with it, as a mapping key or the first key of
/// a sequence item) when some line also has an `expr:` key: a file that
/// looks like it holds Prometheus rules, whatever its structure. `None`
/// otherwise.
pub fn rules_like_key(text: &str) -> Option<usize> {
    let key_at = |line: &str, keys: &[&str]| {
        let t = line.trim_start();
        let t = t.strip_prefix("- ").map(str::trim_start).unwrap_or(t);
        keys.iter().any(|k| t.starts_with(k))
    };
    if !text.lines().any(|l| key_at(l, &["expr:"])) {
        return None;
    }
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if key_at(line, &["alert:", "record:"]) {
            let t = line.trim_start();
            let t = t.strip_prefix("- ").map(str::trim_start).unwrap_or(t);
            return Some(offset + line.len() - t.len());
        }
        offset += line.len();
    }
    None
}

/// Loads `source` (file `file` of the run). Everything embedded in the file
/// (ConfigMap and Secret values) is parsed against the file's one
/// [`yaml::Budget`].
///
/// A file with Helm or Go template actions ([`yaml::looks_templated`]) is
/// decided by what its YAML holds, not by its text alone: it is skipped with
/// one `templated-file-skipped` info when it does not parse, or when Helm's
/// own names appear in an action and no rule was read from it. A file that
/// parses and holds rules is always checked.
pub fn load_file(file: FileId, source: &SourceFile, extra: &ExtraFields) -> LoadedFile {
    let mut out = LoadedFile::default();
    let templated = yaml::looks_templated(&source.text);
    let mut budget = yaml::Budget::for_file(source.text.len());
    let mut loader = Loader {
        file,
        source,
        extra,
        out: &mut out,
        in_secret: false,
        budget: &mut budget,
        outer_error: false,
    };
    loader.stream(&source.text, &TextMap::Shift(0), None);
    let outer_error = loader.outer_error;
    let has_rules = out
        .rule_files
        .iter()
        .flat_map(|rf| &rf.groups)
        .any(|g| !g.rules.is_empty());
    let skip = match templated {
        yaml::Templated::Certain => outer_error || !has_rules,
        yaml::Templated::Likely => outer_error,
        yaml::Templated::No => false,
    };
    if skip {
        let mut out = LoadedFile::default();
        out.diagnostics.push(
            Diagnostic::new(&templated_skipped::META, file, Span::point(0), "file is a Helm or Go template: skipped")
                .with_help("render it first (e.g. `helm template … | mlalert lint /dev/stdin`) and lint the output"),
        );
        return out;
    }
    out
}

/// True for a ConfigMap or Secret key naming a YAML file (`*.yaml`,
/// `*.yml`, `*.rules`): its value is meant to be YAML.
fn is_yaml_key(k: &str) -> bool {
    k.ends_with(".yaml") || k.ends_with(".yml") || k.ends_with(".rules")
}

struct Loader<'a> {
    file: FileId,
    source: &'a SourceFile,
    extra: &'a ExtraFields,
    out: &'a mut LoadedFile,
    /// True while reading the values of a Kubernetes Secret.
    in_secret: bool,
    /// The file's one budget, shared by every embedded document.
    budget: &'a mut yaml::Budget,
    /// True when the file's own stream (not an embedded one) is not valid YAML.
    outer_error: bool,
}

impl Loader<'_> {
    /// Parses a stream; `embedded_key` is the ConfigMap/Secret key for embedded text.
    fn stream(&mut self, text: &str, map: &TextMap, embedded_key: Option<&str>) {
        if self.budget.is_spent() {
            // Reported once, where it ran out ("nothing after this point of
            // the file was checked").
            return;
        }
        let (docs, err) = yaml::parse_stream_in(text, map, self.budget);
        if embedded_key.is_none() && err.is_some() {
            self.outer_error = true;
        }
        if let (Some(_), Some(k)) = (&err, embedded_key)
            && (text.contains("{%") || text.contains("{{"))
        {
            // A Jinja or Go template embedded in a ConfigMap (rendered
            // at deploy time): not a YAML mistake, and not checkable.
            self.out.diagnostics.push(
                Diagnostic::new(
                    &templated_skipped::META,
                    self.file,
                    map.map_span(0, 0),
                    format!("embedded {k:?} is a Jinja or Go template: skipped"),
                )
                .with_help(
                    "render it first (the deploy step that fills it in) and lint the output",
                ),
            );
            return;
        }
        if let Some(e) = err {
            // Embedded values that are not meant as YAML (scripts, templates) are skipped quietly.
            let report = embedded_key.is_none_or(is_yaml_key);
            if report {
                self.out.yaml_error = true;
                let where_ = embedded_key
                    .map(|k| format!(" in embedded {k:?}"))
                    .unwrap_or_default();
                self.out.diagnostics.push(
                    Diagnostic::new(
                        &yaml_syntax::META,
                        self.file,
                        e.span,
                        format!("invalid YAML{where_}: {}", e.message),
                    )
                    .with_help(
                        "fix the YAML syntax; nothing after this point of the file was checked",
                    ),
                );
            }
        }
        let is_plain = |n: &Node| matches!(yaml::classify(n), DocKind::RuleFile(_));
        let first_is_rules = docs.first().is_some_and(|d| is_plain(&d.root));
        for (i, doc) in docs.iter().enumerate() {
            let before = self.out.rule_files.len();
            self.document(&doc.root, embedded_key.is_some(), 0);
            if i > 0 && first_is_rules && is_plain(&doc.root) {
                for rf in &mut self.out.rule_files[before..] {
                    rf.ignored_by_prometheus = true;
                }
            }
        }
    }

    fn document(&mut self, root: &Node, embedded: bool, depth: usize) {
        match yaml::classify(root) {
            DocKind::RuleFile(node) => self.rules(node),
            DocKind::RuleCrd {
                spec: Some(spec),
                kind,
            } if !embedded => {
                let before = self.out.rule_files.len();
                self.rules(spec);
                for rf in &mut self.out.rule_files[before..] {
                    rf.crd = true;
                }
                if let Some(k) = kind.strip_prefix("monitoring.googleapis.com/") {
                    let k = k.rsplit('/').next().unwrap_or(k);
                    let scope = match root
                        .get("metadata")
                        .and_then(|m| m.get("namespace"))
                        .and_then(Node::as_str)
                    {
                        Some(ns) if k == "Rules" => format!("{k}/{ns}"),
                        _ => k.to_string(),
                    };
                    for rf in &mut self.out.rule_files[before..] {
                        rf.gmp_scope = Some(scope.clone());
                    }
                }
            }
            DocKind::Alertmanager(node) => {
                let mut errs = Errors {
                    file: self.file,
                    source: self.source,
                    meta: &alertmanager_invalid::META,
                    out: &mut self.out.diagnostics,
                };
                let before = errs.out.len();
                let mut cfg = read_config(node, &mut errs);
                cfg.valid = errs.out.len() == before;
                cfg.in_kubernetes_secret = self.in_secret;
                self.out.secrets.extend(cfg.secret_spans());
                self.out.am_configs.push(cfg);
            }
            DocKind::UnitTest(node) if !embedded => self.out.unit_tests.push(node.clone()),
            DocKind::PrometheusConfig(node) => self.prometheus_config(node),
            DocKind::Features(nodes) => {
                for n in nodes {
                    let Some(text) = n.as_str() else { continue };
                    // `--enable-feature=a,b` or `--enable-feature a` (the
                    // flag's value as the next argument is not followed).
                    let list = text
                        .strip_prefix("--enable-feature")
                        .map(|rest| rest.trim_start_matches('='))
                        .unwrap_or(text);
                    for f in list.split(',').map(str::trim).filter(|f| !f.is_empty()) {
                        self.out.features.push((f.to_string(), n.span));
                    }
                }
            }
            DocKind::Monitor(intervals) => {
                for v in intervals {
                    if let Some(ms) = v
                        .as_str()
                        .and_then(|t| crate::go::duration::parse_prometheus(t).ok())
                    {
                        self.out.intervals.push(Interval {
                            kind: IntervalKind::Scrape,
                            ms,
                            span: v.span,
                            what: "ServiceMonitor/PodMonitor endpoint interval",
                        });
                    }
                }
            }
            DocKind::Embedding(entries) if !embedded => {
                self.in_secret = root.get("kind").and_then(Node::as_str) == Some("Secret");
                for e in entries {
                    let Some(key) = e.key.as_str() else { continue };
                    let Some(value) = e.value.as_scalar() else {
                        continue;
                    };
                    if e.base64 {
                        // Encoded is not hidden: the whole value is secret.
                        self.out.secrets.push(e.value.span);
                        let Some(text) = self.decode_secret_data(key, e.value) else {
                            continue;
                        };
                        // Decoded bytes have no place on disk: point at the key.
                        self.stream(&text, &TextMap::Point(e.key.span.start), Some(key));
                    } else {
                        self.stream(&value.value.clone(), &value.map.clone(), Some(key));
                    }
                }
                self.in_secret = false;
            }
            DocKind::List(items) if depth < MAX_LIST_DEPTH => {
                for item in items {
                    self.document(item, embedded, depth + 1);
                }
            }
            _ => {}
        }
    }

    /// The text of a Secret's `data` value `value` under `key`: base64 as
    /// Kubernetes decodes it (Go's `base64.StdEncoding`: padded, line breaks
    /// ignored; we also ignore other whitespace), then UTF-8. `None`, after
    /// reporting `secret-data-invalid`, when it is not base64 (Kubernetes
    /// refuses the Secret) or when a key that names a YAML file decodes to
    /// bytes that are not UTF-8; `None` quietly for binary data under other
    /// keys (certificates, keystores).
    fn decode_secret_data(&mut self, key: &str, value: &Node) -> Option<String> {
        use base64::DecodeError;
        let compact: String = value.as_scalar()?.value.split_whitespace().collect();
        let bytes = match base64::engine::general_purpose::STANDARD.decode(&compact) {
            Ok(b) => b,
            Err(e) => {
                // Go's wording: `illegal base64 data at input byte N`.
                let at = match e {
                    DecodeError::InvalidByte(i, _) | DecodeError::InvalidLastSymbol(i, _) => i,
                    DecodeError::InvalidLength(n) => n,
                    DecodeError::InvalidPadding => compact.len(),
                };
                self.out.diagnostics.push(
                    Diagnostic::new(
                        &secret_data_invalid::META,
                        self.file,
                        value.span,
                        format!(
                            "Secret data {key:?} is not valid base64: illegal base64 data at input byte {at}"
                        ),
                    )
                    .with_help(
                        "Kubernetes refuses this Secret: encode the value with `base64 -w0`, or put the plain text under `stringData:`",
                    ),
                );
                return None;
            }
        };
        match String::from_utf8(bytes) {
            Ok(text) => Some(text),
            Err(e) => {
                if is_yaml_key(key) {
                    let at = e.utf8_error().valid_up_to();
                    let byte = e.as_bytes().get(at).copied().unwrap_or(0);
                    self.out.diagnostics.push(
                        Diagnostic::new(
                            &secret_data_invalid::META,
                            self.file,
                            value.span,
                            format!(
                                "Secret data {key:?} decodes to bytes that are not UTF-8 (invalid byte 0x{byte:02X} at decoded byte {at}): not checked"
                            ),
                        )
                        .with_help(
                            "Prometheus and Alertmanager read UTF-8 YAML: re-encode the file before base64-encoding it",
                        ),
                    );
                }
                None
            }
        }
    }

    /// `global.scrape_interval` and `global.evaluation_interval` of a
    /// Prometheus server config (1m each when missing, as Prometheus).
    fn prometheus_config(&mut self, root: &Node) {
        let global = root.get("global");
        if let Some(ext) = global
            .and_then(|g| g.get("external_labels"))
            .and_then(Node::as_map)
        {
            for (key, v) in ext {
                let k_span = key.span;
                if let (Some(k), Some(v)) = (key.as_str(), v.as_str()) {
                    self.out
                        .external_labels
                        .push((k.to_string(), v.to_string(), k_span));
                }
            }
        }
        for (kind, key, what, default_what) in [
            (
                IntervalKind::Scrape,
                "scrape_interval",
                "global.scrape_interval",
                "Prometheus' default for global.scrape_interval",
            ),
            (
                IntervalKind::Evaluation,
                "evaluation_interval",
                "global.evaluation_interval",
                "Prometheus' default for global.evaluation_interval",
            ),
        ] {
            let set = global.and_then(|g| g.get(key));
            let interval = match set {
                Some(v) => v
                    .as_str()
                    .and_then(|t| crate::go::duration::parse_prometheus(t).ok())
                    .map(|ms| (ms, v.span, what)),
                None => Some((
                    PROMETHEUS_DEFAULT_INTERVAL_MS,
                    global.map_or(root.span, |g| g.span),
                    default_what,
                )),
            };
            if let Some((ms, span, what)) = interval.filter(|(ms, _, _)| *ms > 0) {
                self.out.intervals.push(Interval {
                    kind,
                    ms,
                    span,
                    what,
                });
            }
        }
    }

    fn rules(&mut self, node: &Node) {
        let mut errs = Errors {
            file: self.file,
            source: self.source,
            meta: &rule_invalid::META,
            out: &mut self.out.diagnostics,
        };
        let rf = read_rule_file(node, self.extra, &mut errs);
        if self.extra.dialect.is_none()
            && let Some((d, key)) = rf.groups.iter().find_map(|g| g.dialect.as_ref())
        {
            self.out.diagnostics.push(
                    Diagnostic::new(
                        &rule_dialect::META,
                        self.file,
                        key.span,
                        format!(
                            "`{}` is a {} field: this rule file is checked as a {} rule file",
                            key.value,
                            d.title(),
                            d.title()
                        ),
                    )
                    .with_help(format!(
                        "set `dialect: {}` in .mlalert.yaml to say so once for the repository (and silence this note)",
                        d.as_str()
                    )),
                );
        }
        self.out.rule_files.push(rf);
    }
}
