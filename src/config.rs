//! `.mlalert.yaml`: which lints run, their severities, and the policy
//! settings lints read. Found in the current directory or a parent, or given
//! with `--config`. Unknown keys are errors.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Category, LintMeta, Severity};
use crate::model::rules::ExtraFields;
use crate::source::{SourceFile, TextMap};
use crate::yaml::{self, Node};

/// The config file's name.
pub const FILE_NAME: &str = ".mlalert.yaml";

/// Effective settings of a run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Lints (codes, names or categories) turned off.
    pub disable: Vec<String>,
    /// Lints turned on that are off by default (pedantic).
    pub enable: Vec<String>,
    /// Severity per lint code or name.
    pub severity: HashMap<String, Severity>,
    /// Annotation keys that count as a runbook link (`missing-runbook`).
    pub runbook_annotations: Vec<String>,
    /// Label names unbounded by nature (`unbounded-label-cardinality`);
    /// compared ignoring case and underscores.
    pub unbounded_labels: Vec<String>,
    /// Extra rule and group fields to accept (Thanos, Mimir, Cortex).
    pub extra_fields: ExtraFields,
    /// Rule hygiene and ML/GPU policy (ML104+, ML250+).
    pub policy: Policy,
    // PromQL-meaning lints (ML2xx).
    /// The scrape interval rate windows are checked against
    /// (`rate-window-too-short`), in milliseconds; default 1m.
    pub scrape_interval_ms: u64,
    /// Per-path overrides, in order (a later one wins on severity).
    pub overrides: Vec<Override>,
    /// Where the config was read from, if a file.
    pub path: Option<PathBuf>,
}

/// `overrides:` entry: settings for the files matching `paths` (globs
/// relative to the config file's folder, e.g. `vendor/**`).
#[derive(Debug, Clone)]
pub struct Override {
    /// The globs as written.
    pub paths: Vec<String>,
    matcher: globset::GlobSet,
    /// Lints (codes, names, categories) turned off for these files.
    pub disable: Vec<String>,
    /// When not empty: only these lints (codes, names, categories) report.
    pub only: Vec<String>,
    /// Severity per lint code or name for these files.
    pub severity: HashMap<String, Severity>,
}

impl Override {
    /// Whether this override applies to `path` (relative to `base`).
    fn applies(&self, path: &Path, base: &Path) -> bool {
        let rel = path.strip_prefix(base).unwrap_or(path);
        let rel = rel.strip_prefix(".").unwrap_or(rel);
        self.matcher.is_match(rel)
    }
}

fn names_lint(list: &[String], lint: &LintMeta) -> bool {
    list.iter().any(|x| {
        x.eq_ignore_ascii_case(lint.code)
            || x.eq_ignore_ascii_case(lint.name)
            || x == lint.category.as_str()
    })
}

impl Default for Config {
    fn default() -> Config {
        Config {
            disable: Vec::new(),
            enable: Vec::new(),
            severity: HashMap::new(),
            runbook_annotations: vec!["runbook_url".into(), "runbook".into()],
            unbounded_labels: [
                "request_id",
                "trace_id",
                "span_id",
                "session_id",
                "user_id",
                "uuid",
                "correlation_id",
                "transaction_id",
                "client_ip",
                "email",
                "prediction_id",
                "inference_id",
            ]
            .map(String::from)
            .to_vec(),
            extra_fields: ExtraFields::default(),
            policy: Policy::default(),
            scrape_interval_ms: 60_000,
            overrides: Vec::new(),
            path: None,
        }
    }
}

/// Policy settings of the rule hygiene and ML/GPU lints.
#[derive(Debug, Clone)]
pub struct Policy {
    /// `allowed_severities`: values of the `severity` label teams route on
    /// (`severity-not-allowed`).
    pub allowed_severities: Vec<String>,
    /// `summary_annotations`: annotation keys that count as a human-readable
    /// summary (`missing-summary`).
    pub summary_annotations: Vec<String>,
    /// `max_group_interval`: longest evaluation interval of a group with
    /// recording rules before their results go stale (the query lookback
    /// delta; `group-interval-too-long`), in milliseconds.
    pub max_group_interval_ms: u64,
    /// `drift_min_for`: shortest `for` of a drift or accuracy alert
    /// (`drift-alert-for-too-short`), in milliseconds.
    pub drift_min_for_ms: u64,
    /// `dcgm_exported_fields`: DCGM fields your dcgm-exporter counters file
    /// adds to the defaults (`dcgm-field-not-exported-by-default`).
    pub dcgm_exported_fields: Vec<String>,
    /// `runbook_url_prefix`: runbook links must start with it (`missing-runbook`); empty: any link.
    pub runbook_url_prefix: String,
    /// `required_labels`: labels every alerting rule must set (`missing-required-label`).
    pub required_labels: Vec<String>,
    /// `min_for`: shortest `for` per value of the `severity` label
    /// (`missing-for`), in milliseconds.
    pub min_for_ms: Vec<(String, u64)>,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            allowed_severities: ["critical", "warning", "info", "none"]
                .map(String::from)
                .to_vec(),
            summary_annotations: vec!["summary".into(), "description".into(), "message".into()],
            max_group_interval_ms: 5 * 60_000,
            drift_min_for_ms: 10 * 60_000,
            dcgm_exported_fields: Vec::new(),
            runbook_url_prefix: String::new(),
            required_labels: vec!["team".into()],
            min_for_ms: Vec::new(),
        }
    }
}

/// A config file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}:{line}:{column}: {message}")]
pub struct ConfigError {
    /// The config file.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl Config {
    /// Whether `lint` runs: pedantic lints only when enabled; anything named
    /// (code, name or category) in `disable` is off.
    pub fn is_enabled(&self, lint: &LintMeta) -> bool {
        let named = |list: &[String]| {
            list.iter().any(|x| {
                x.eq_ignore_ascii_case(lint.code)
                    || x.eq_ignore_ascii_case(lint.name)
                    || x == lint.category.as_str()
            })
        };
        if named(&self.disable) {
            return false;
        }
        lint.category != Category::Pedantic || named(&self.enable)
    }

    /// Applies the per-path overrides to a finding of `lint` in file `path`:
    /// `None` when an override silences it, else its severity there.
    pub fn for_path(&self, path: &Path, lint: &LintMeta, severity: Severity) -> Option<Severity> {
        // Globs are relative to the config file's folder (the working directory without a file).
        let cwd = std::env::current_dir().unwrap_or_default();
        let base = cwd.join(
            self.path
                .as_deref()
                .and_then(Path::parent)
                .unwrap_or(Path::new("")),
        );
        let abs = cwd.join(path);
        let mut sev = severity;
        for o in self.overrides.iter().filter(|o| o.applies(&abs, &base)) {
            if names_lint(&o.disable, lint) || (!o.only.is_empty() && !names_lint(&o.only, lint)) {
                return None;
            }
            if let Some((_, s)) = o.severity.iter().find(|(k, _)| {
                k.eq_ignore_ascii_case(lint.code) || k.eq_ignore_ascii_case(lint.name)
            }) {
                sev = *s;
            }
        }
        Some(sev)
    }

    /// The severity `lint` reports at.
    pub fn severity_of(&self, lint: &LintMeta) -> Severity {
        self.severity
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(lint.code) || k.eq_ignore_ascii_case(lint.name))
            .map(|(_, s)| *s)
            .unwrap_or(lint.severity)
    }

    /// True when `label` is in the unbounded list (ignoring case and `_`).
    pub fn is_unbounded_label(&self, label: &str) -> bool {
        let norm = |s: &str| {
            s.chars()
                .filter(|c| *c != '_' && *c != '-')
                .flat_map(char::to_lowercase)
                .collect::<String>()
        };
        let l = norm(label);
        self.unbounded_labels.iter().any(|u| norm(u) == l)
    }

    /// `.mlalert.yaml` in `dir` or its nearest parent that has one.
    pub fn discover(dir: &Path) -> Option<PathBuf> {
        dir.ancestors()
            .map(|d| d.join(FILE_NAME))
            .find(|p| p.is_file())
    }

    /// Reads a config file.
    ///
    /// # Errors
    /// Unreadable file, invalid YAML, unknown keys, bad values: with positions.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let display = path.display().to_string();
        let err0 = |message: String| ConfigError {
            path: display.clone(),
            line: 1,
            column: 1,
            message,
        };
        let bytes = std::fs::read(path).map_err(|e| err0(e.to_string()))?;
        let source = SourceFile::new(display.clone(), bytes).map_err(|e| err0(e.to_string()))?;
        let at = |node: &Node, message: String| {
            let lc = source.line_col(node.span.start);
            ConfigError {
                path: display.clone(),
                line: lc.line,
                column: lc.column,
                message,
            }
        };
        let (docs, yerr) = yaml::parse_stream(&source.text, &TextMap::Shift(0));
        if let Some(e) = yerr {
            let lc = source.line_col(e.span.start);
            return Err(ConfigError {
                path: display.clone(),
                line: lc.line,
                column: lc.column,
                message: e.message,
            });
        }
        let mut cfg = Config {
            path: Some(path.to_path_buf()),
            ..Config::default()
        };
        let Some(root) = docs.first().map(|d| &d.root).filter(|r| !r.is_null()) else {
            return Ok(cfg);
        };
        let entries = root
            .as_map()
            .ok_or_else(|| at(root, "the config must be a mapping".into()))?;
        for (k, v) in entries {
            let key = k.as_str().unwrap_or("");
            let list = |v: &Node| string_list(v, key, &at);
            match key {
                "disable" => cfg.disable = list(v)?,
                "enable" => cfg.enable = list(v)?,
                "runbook_annotations" => cfg.runbook_annotations = list(v)?,
                "unbounded_labels" => cfg.unbounded_labels = list(v)?,
                "extra_group_fields" => cfg.extra_fields.group = list(v)?,
                "extra_rule_fields" => cfg.extra_fields.rule = list(v)?,
                "allowed_severities" => cfg.policy.allowed_severities = list(v)?,
                "summary_annotations" => cfg.policy.summary_annotations = list(v)?,
                "dcgm_exported_fields" => cfg.policy.dcgm_exported_fields = list(v)?,
                "max_group_interval" | "drift_min_for" => {
                    let ms = v
                        .as_str()
                        .and_then(|t| crate::model::duration::parse_duration(t).ok())
                        .ok_or_else(|| at(v, format!("{key} must be a duration like 5m")))?
                        .ms;
                    if key == "max_group_interval" {
                        cfg.policy.max_group_interval_ms = ms;
                    } else {
                        cfg.policy.drift_min_for_ms = ms;
                    }
                }
                "scrape_interval" => {
                    let text = v.as_str().unwrap_or("");
                    cfg.scrape_interval_ms = crate::model::duration::parse_duration(text)
                        .ok()
                        .filter(|d| d.ms > 0)
                        .ok_or_else(|| {
                            at(
                                v,
                                format!(
                                    "scrape_interval must be a duration such as 30s, got {text:?}"
                                ),
                            )
                        })?
                        .ms;
                }
                "severity" => cfg.severity = severity_map(v, &at)?,
                "runbook_url_prefix" => {
                    cfg.policy.runbook_url_prefix = v
                        .as_str()
                        .ok_or_else(|| at(v, "runbook_url_prefix must be a string".into()))?
                        .to_string()
                }
                "required_labels" => cfg.policy.required_labels = list(v)?,
                "min_for" => {
                    let m = v.as_map().ok_or_else(|| {
                        at(
                            v,
                            "min_for must map severities to durations, e.g. {critical: 2m}".into(),
                        )
                    })?;
                    cfg.policy.min_for_ms.clear();
                    for (sk, sv) in m {
                        let ms = sv
                            .as_str()
                            .and_then(|t| crate::model::duration::parse_duration(t).ok())
                            .ok_or_else(|| {
                                at(sv, "min_for values must be durations like 5m".into())
                            })?
                            .ms;
                        cfg.policy
                            .min_for_ms
                            .push((sk.as_str().unwrap_or("").to_string(), ms));
                    }
                }
                "overrides" => {
                    let items = v
                        .as_seq()
                        .ok_or_else(|| at(v, "overrides must be a list".into()))?;
                    for item in items {
                        cfg.overrides.push(read_override(item, &at)?);
                    }
                }
                _ => {
                    return Err(at(
                        k,
                        format!(
                            "unknown key {key:?} (known: disable, enable, severity, runbook_annotations, unbounded_labels, extra_group_fields, extra_rule_fields, allowed_severities, summary_annotations, max_group_interval, drift_min_for, dcgm_exported_fields, scrape_interval, runbook_url_prefix, required_labels, min_for, overrides)"
                        ),
                    ));
                }
            }
        }
        Ok(cfg)
    }
}

type At<'a> = dyn Fn(&Node, String) -> ConfigError + 'a;

/// A list of strings under `key`.
fn string_list(v: &Node, key: &str, at: &At) -> Result<Vec<String>, ConfigError> {
    let items = v
        .as_seq()
        .ok_or_else(|| at(v, format!("{key} must be a list of strings")))?;
    items
        .iter()
        .map(|i| {
            i.as_str()
                .map(String::from)
                .ok_or_else(|| at(i, "expected a string".into()))
        })
        .collect()
}

/// `{ML101: error, missing-runbook: info}`.
fn severity_map(v: &Node, at: &At) -> Result<HashMap<String, Severity>, ConfigError> {
    let m = v.as_map().ok_or_else(|| {
        at(
            v,
            "severity must map lint codes or names to error|warning|info".into(),
        )
    })?;
    let mut out = HashMap::new();
    for (lk, lv) in m {
        let sev = match lv.as_str() {
            Some("error") => Severity::Error,
            Some("warning") => Severity::Warning,
            Some("info") => Severity::Info,
            _ => return Err(at(lv, "severity must be error, warning or info".into())),
        };
        let name = lk.as_str().unwrap_or("");
        if crate::lint::registry::find(name).is_none() {
            return Err(at(lk, format!("unknown lint {name:?}")));
        }
        out.insert(name.to_string(), sev);
    }
    Ok(out)
}

/// One `overrides:` entry: `paths` (required), `disable`, `only`, `severity`.
fn read_override(node: &Node, at: &At) -> Result<Override, ConfigError> {
    let entries = node
        .as_map()
        .ok_or_else(|| at(node, "an override must be a mapping with `paths`".into()))?;
    let strings = |v: &Node, key: &str| string_list(v, key, at);
    let (mut paths, mut disable, mut only, mut severity) =
        (Vec::new(), Vec::new(), Vec::new(), HashMap::new());
    let mut paths_node = node;
    for (k, v) in entries {
        match k.as_str().unwrap_or("") {
            "paths" => {
                paths = strings(v, "paths")?;
                paths_node = v;
            }
            "disable" => disable = strings(v, "disable")?,
            "only" => only = strings(v, "only")?,
            "severity" => severity = severity_map(v, at)?,
            other => {
                return Err(at(
                    k,
                    format!(
                        "unknown key {other:?} in override (known: paths, disable, only, severity)"
                    ),
                ));
            }
        }
    }
    if paths.is_empty() {
        return Err(at(
            node,
            "an override needs `paths`: globs relative to the config file".into(),
        ));
    }
    let mut b = globset::GlobSetBuilder::new();
    for p in &paths {
        let g = globset::GlobBuilder::new(p)
            .literal_separator(true)
            .build()
            .map_err(|e| at(paths_node, format!("invalid glob {p:?}: {e}")))?;
        b.add(g);
    }
    let matcher = b.build().map_err(|e| at(paths_node, e.to_string()))?;
    Ok(Override {
        paths,
        matcher,
        disable,
        only,
        severity,
    })
}

impl Config {
    /// The effective configuration as YAML (`mlalert config show`).
    pub fn to_yaml(&self) -> String {
        let list = |v: &[String]| format!("[{}]", v.join(", "));
        let mut sev: Vec<String> = self
            .severity
            .iter()
            .map(|(k, v)| format!("{k}: {}", v.as_str()))
            .collect();
        sev.sort();
        let mut out = String::new();
        if let Some(p) = &self.path {
            out.push_str(&format!("# from {}\n", p.display()));
        } else {
            out.push_str("# defaults (no .mlalert.yaml found)\n");
        }
        out.push_str(&format!("disable: {}\n", list(&self.disable)));
        out.push_str(&format!("enable: {}\n", list(&self.enable)));
        out.push_str(&format!("severity: {{{}}}\n", sev.join(", ")));
        out.push_str(&format!(
            "runbook_annotations: {}\n",
            list(&self.runbook_annotations)
        ));
        out.push_str(&format!(
            "unbounded_labels: {}\n",
            list(&self.unbounded_labels)
        ));
        out.push_str(&format!(
            "extra_group_fields: {}\n",
            list(&self.extra_fields.group)
        ));
        out.push_str(&format!(
            "extra_rule_fields: {}\n",
            list(&self.extra_fields.rule)
        ));
        out.push_str(&format!(
            "allowed_severities: {}\n",
            list(&self.policy.allowed_severities)
        ));
        out.push_str(&format!(
            "summary_annotations: {}\n",
            list(&self.policy.summary_annotations)
        ));
        out.push_str(&format!(
            "max_group_interval: {}\n",
            crate::model::duration::format_ms(self.policy.max_group_interval_ms)
        ));
        out.push_str(&format!(
            "drift_min_for: {}\n",
            crate::model::duration::format_ms(self.policy.drift_min_for_ms)
        ));
        out.push_str(&format!(
            "dcgm_exported_fields: {}\n",
            list(&self.policy.dcgm_exported_fields)
        ));
        out.push_str(&format!(
            "scrape_interval: {}\n",
            crate::model::duration::format_ms(self.scrape_interval_ms)
        ));
        if self.overrides.is_empty() {
            out.push_str("overrides: []\n");
        } else {
            out.push_str("overrides:\n");
            for o in &self.overrides {
                let mut sev: Vec<String> = o
                    .severity
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", v.as_str()))
                    .collect();
                sev.sort();
                out.push_str(&format!(
                    "  - paths: {}\n    disable: {}\n    only: {}\n    severity: {{{}}}\n",
                    list(&o.paths),
                    list(&o.disable),
                    list(&o.only),
                    sev.join(", ")
                ));
            }
        }
        out
    }
}

/// The commented `.mlalert.yaml` that `mlalert config init` writes.
pub const INIT_TEMPLATE: &str = r#"# mlalert configuration. Every key is optional; unknown keys are errors.
# `mlalert config show` prints the effective values, `mlalert lints` the catalogue.

# Lints to turn off, by code (ML102), name (missing-runbook) or category
# (invalid, correctness, suspicious, style, pedantic).
disable: []
# Pedantic lints are off by default; turn some on here.
enable: []
# Severity per lint code or name: error, warning or info.
severity: {}

# Annotation keys that count as a runbook link (missing-runbook).
runbook_annotations: [runbook_url, runbook]
# Label names unbounded by nature (unbounded-label-cardinality).
unbounded_labels: [request_id, trace_id, span_id, session_id, user_id, uuid, correlation_id, transaction_id, client_ip, email, prediction_id, inference_id]
# Extra fields your rule files carry (Thanos: partial_response_strategy; Mimir/Cortex: evaluation_delay, source_tenants).
extra_group_fields: []
extra_rule_fields: []
# Values of the `severity` label your routes use (severity-not-allowed).
allowed_severities: [critical, warning, info, none]
# Annotation keys that count as a summary (missing-summary).
summary_annotations: [summary, description, message]
# Longest group interval before recording rules go stale (group-interval-too-long).
max_group_interval: 5m
# Shortest `for` of a drift or accuracy alert (drift-alert-for-too-short).
drift_min_for: 10m
# DCGM fields your dcgm-exporter counters file adds to its defaults.
dcgm_exported_fields: []
# Your Prometheus scrape interval (rate-window-too-short wants windows of at least twice it).
scrape_interval: 1m
# Runbook links must start with this (missing-runbook); "" accepts any link.
runbook_url_prefix: ""
# Labels every alerting rule must set (missing-required-label, off by default: enable it above).
required_labels: [team]
# Shortest `for` per value of the `severity` label (missing-for), e.g. {critical: 2m, warning: 10m}.
min_for: {}

# Per-path settings, globs relative to this file. Example: vendored mixins
# report only what Prometheus or Alertmanager would refuse to load.
overrides: []
#  - paths: ["vendor/**", "mixins/**"]
#    only: [invalid]
#  - paths: ["teams/research/**"]
#    disable: [missing-runbook]
#    severity: {missing-for: info}
"#;
