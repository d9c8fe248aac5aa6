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

mod settings;

pub use settings::{
    Kind, Millis, PerSeverity, SETTINGS, Setting, SettingDecl, SettingType, Value, find_setting,
    format_value, parse_value, settings,
};

/// Keys `config` itself owns; every other key is a lint setting from [`SETTINGS`].
const CORE_KEYS: &[&str] = &[
    "disable",
    "enable",
    "severity",
    "extra_group_fields",
    "extra_rule_fields",
    "dialect",
    "overrides",
    "prometheus",
];

/// Effective settings of a run.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Lints (codes, names or categories) turned off.
    pub disable: Vec<String>,
    /// Lints turned on that are off by default (pedantic).
    pub enable: Vec<String>,
    /// Severity per lint code or name.
    pub severity: HashMap<String, Severity>,
    /// Extra rule and group fields to accept (Thanos, Mimir, Cortex).
    pub extra_fields: ExtraFields,
    /// Lint settings set explicitly, by key; the others have their
    /// declared default (read them with [`Config::get`]).
    values: HashMap<&'static str, Value>,
    /// Lint settings the config leaves unset but the run states (a
    /// `prometheus.yml`'s `scrape_interval`), with where: explicit values
    /// win over them, they win over defaults.
    inferred: HashMap<&'static str, (Value, String)>,
    /// Per-path overrides, in order (a later one wins on severity).
    pub overrides: Vec<Override>,
    /// Where the config was read from, if a file.
    pub path: Option<PathBuf>,
    /// `prometheus.url` and how to reach it (`bearer_token_file`,
    /// `basic_auth`, `tls.ca_file`, `timeout`, `concurrency`, `lookback`);
    /// relative file paths are resolved against the config file's folder.
    pub prometheus: Option<crate::prometheus::PrometheusSettings>,
    /// `prometheus.snapshot`: the committed snapshot file (default
    /// `.mlalert/prometheus.json` next to the config file), as written.
    pub snapshot: Option<PathBuf>,
    /// What is known about the Prometheus the rules run on, from the
    /// snapshot or fetched live for this run; `None` when neither: the
    /// Prometheus lints (ML5xx) then report nothing.
    pub facts: Option<std::sync::Arc<crate::prometheus::PrometheusFacts>>,
}

/// The snapshot's default path, relative to the config file's folder (the
/// working directory without one).
pub const DEFAULT_SNAPSHOT: &str = ".mlalert/prometheus.json";

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

    /// The value of a lint setting: as set in the config file, else its
    /// declared default.
    pub fn get<T: SettingType>(&self, setting: &'static Setting<T>) -> &T {
        let v = self
            .values
            .get(setting.decl.key)
            .or_else(|| self.inferred.get(setting.decl.key).map(|(v, _)| v))
            .unwrap_or_else(|| setting.decl.default_value());
        T::from_value(v)
            .or_else(|| T::from_value(setting.decl.default_value()))
            .unwrap_or_else(|| unreachable_kind(setting.decl.key))
    }

    /// True when the config file sets `setting` (rather than leaving its
    /// default): lints that infer a convention from the run only do so when
    /// it is not set.
    pub fn is_set(&self, setting: &'static Setting<impl SettingType>) -> bool {
        self.values.contains_key(setting.decl.key)
    }

    /// Sets a lint setting (tests, `--from` inference).
    pub fn set(&mut self, setting: &'static Setting<impl SettingType>, value: Value) {
        self.values.insert(setting.decl.key, value);
    }

    /// Sets a value the run states for a setting the config leaves unset,
    /// with where it comes from (`prometheus/prometheus.yml:3:20
    /// (global.scrape_interval)`). Ignored when the config sets it.
    pub fn set_inferred(
        &mut self,
        setting: &'static Setting<impl SettingType>,
        value: Value,
        origin: String,
    ) {
        if !self.is_set(setting) {
            self.inferred.insert(setting.decl.key, (value, origin));
        }
    }

    /// Where the value of `setting` comes from: `Some(".mlalert.yaml")` (or
    /// the config's path) when set there, the origin of an inferred value,
    /// `None` for the declared default.
    pub fn origin(&self, setting: &'static Setting<impl SettingType>) -> Option<String> {
        if self.is_set(setting) {
            return Some(
                self.path
                    .as_ref()
                    .map_or(".mlalert.yaml".to_string(), |p| p.display().to_string()),
            );
        }
        self.inferred.get(setting.decl.key).map(|(_, o)| o.clone())
    }

    /// Whether `self` and `other` have the same values inferred from the
    /// run ([`Config::set_inferred`]): a language server checks every file
    /// again when a change to one file changes them.
    pub fn same_inferred(&self, other: &Config) -> bool {
        self.inferred == other.inferred
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
        let bytes = crate::source::read_file(path).map_err(|e| err0(e.to_string()))?;
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
                "disable" => cfg.disable = lint_list(v, key, &at)?,
                "enable" => cfg.enable = lint_list(v, key, &at)?,
                "extra_group_fields" => cfg.extra_fields.group = list(v)?,
                "extra_rule_fields" => cfg.extra_fields.rule = list(v)?,
                "dialect" => {
                    let name = v.as_str().unwrap_or("");
                    cfg.extra_fields.dialect = match name {
                        "auto" => None,
                        _ => Some(
                            crate::model::rules::Dialect::ALL
                                .iter()
                                .copied()
                                .find(|d| d.as_str() == name)
                                .ok_or_else(|| {
                                    at(v, format!("dialect must be auto, prometheus, thanos or mimir, not {name:?}"))
                                })?,
                        ),
                    };
                }
                "severity" => cfg.severity = severity_map(v, &at)?,
                "prometheus" => read_prometheus(v, &mut cfg, &at)?,
                "overrides" => {
                    let items = v
                        .as_seq()
                        .ok_or_else(|| at(v, "overrides must be a list".into()))?;
                    for item in items {
                        cfg.overrides.push(read_override(item, &at)?);
                    }
                }
                _ => {
                    let Some(decl) = find_setting(key) else {
                        let known: Vec<&str> = CORE_KEYS
                            .iter()
                            .copied()
                            .chain(settings().iter().map(|s| s.key))
                            .collect();
                        let hint =
                            crate::diagnostic::suggest::closest(key, known.iter().copied(), 3)
                                .map(|c| format!("; did you mean {c:?}?"))
                                .unwrap_or_default();
                        return Err(at(
                            k,
                            format!("unknown key {key:?}{hint} (known: {})", known.join(", ")),
                        ));
                    };
                    let value =
                        parse_value(decl.kind, v).map_err(|e| at(v, format!("{key} {e}")))?;
                    if value == Value::Ms(Millis(0)) && key == "scrape_interval" {
                        return Err(at(
                            v,
                            "scrape_interval must be a duration such as 30s, not 0".into(),
                        ));
                    }
                    cfg.values.insert(decl.key, value);
                }
            }
        }
        if let (Some(a), Some(b)) = (
            entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(PROMETHEUS_FEATURES_KEY)),
            entries.iter().find(|(k, v)| {
                k.as_str() == Some("prometheus")
                    && v.as_map()
                        .is_some_and(|m| m.iter().any(|(k, _)| k.as_str() == Some("features")))
            }),
        ) {
            let later = if a.0.span.start > b.0.span.start {
                a
            } else {
                b
            };
            return Err(at(
                &later.0,
                "prometheus.features and prometheus_features (its older name) are both set: keep prometheus.features".into(),
            ));
        }
        // File paths in the config are relative to its folder.
        let base = path.parent().unwrap_or(Path::new("")).to_path_buf();
        let resolve = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        if let Some(s) = &mut cfg.prometheus {
            s.bearer_token_file.as_mut().map(resolve);
            s.ca_file.as_mut().map(resolve);
            if let Some(b) = &mut s.basic_auth {
                resolve(&mut b.password_file);
            }
        }
        cfg.load_snapshot().map_err(err0)?;
        Ok(cfg)
    }

    /// Reads the snapshot file ([`Config::snapshot_path`]) into
    /// [`Config::facts`] when it exists; a missing file leaves no facts.
    ///
    /// # Errors
    /// A snapshot that cannot be read or is not of the documented shape
    /// (the message names the file).
    pub fn load_snapshot(&mut self) -> Result<(), String> {
        let path = self.snapshot_path();
        if !path.is_file() {
            return Ok(());
        }
        let bytes =
            crate::source::read_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let text =
            String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8", path.display()))?;
        let facts = crate::prometheus::PrometheusFacts::from_json(&text)
            .map_err(|e| format!("{}: not a Prometheus snapshot: {e}", path.display()))?;
        self.facts = Some(std::sync::Arc::new(facts));
        Ok(())
    }

    /// The snapshot file: `prometheus.snapshot`, else
    /// [`DEFAULT_SNAPSHOT`], relative to the config file's folder.
    pub fn snapshot_path(&self) -> PathBuf {
        let base = self
            .path
            .as_deref()
            .and_then(Path::parent)
            .unwrap_or(Path::new(""));
        let p = self
            .snapshot
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_SNAPSHOT));
        if p.is_relative() { base.join(p) } else { p }
    }

    /// The facts about the Prometheus of this run, when there are some.
    pub fn facts(&self) -> Option<&crate::prometheus::PrometheusFacts> {
        self.facts.as_deref()
    }

    /// `prometheus.version`: the Prometheus version whose PromQL the rule
    /// expressions are parsed as; `None` (unset) is the newest version
    /// mlalert knows.
    pub fn prometheus_version(&self) -> Option<crate::promql::syntax::Version> {
        self.extra_fields.prometheus_version
    }
}

/// The key of the `prometheus.features` setting's value (the setting is
/// declared by `experimental-promql`; `prometheus_features` is also its
/// older top-level spelling).
const PROMETHEUS_FEATURES_KEY: &str = "prometheus_features";

/// Parses `"3.5"`, `"v3.5.1"` or `2.55` into (major, minor).
///
/// # Errors
/// Not `MAJOR.MINOR[.PATCH]`, or older than Prometheus 2.0.
pub fn parse_prometheus_version(text: &str) -> Result<crate::promql::syntax::Version, String> {
    let t = text.trim();
    let t = t.strip_prefix('v').unwrap_or(t);
    let mut parts = t.splitn(3, '.');
    let num = |p: Option<&str>| p.and_then(|p| p.parse::<u16>().ok());
    let malformed = || {
        format!("prometheus.version must be a version such as \"3.5\" or \"2.55.1\", not {text:?}")
    };
    let (Some(major), Some(minor)) = (num(parts.next()), num(parts.next())) else {
        return Err(malformed());
    };
    if let Some(patch) = parts.next()
        && patch
            .split(['-', '+'])
            .next()
            .is_none_or(|p| p.parse::<u32>().is_err())
    {
        return Err(malformed());
    }
    if major < 2 {
        return Err(format!(
            "prometheus.version {text:?}: mlalert knows Prometheus 2.0 and later"
        ));
    }
    Ok((major, minor))
}

/// `prometheus: {version: "3.5", features: [promql-experimental-functions]}`.
fn read_prometheus(v: &Node, cfg: &mut Config, at: &At) -> Result<(), ConfigError> {
    let entries = v.as_map().ok_or_else(|| {
        at(
            v,
            "prometheus must be a mapping such as {version: \"3.5\", features: [promql-experimental-functions]}".into(),
        )
    })?;
    for (k, val) in entries {
        match k.as_str().unwrap_or("") {
            "version" => {
                // `version: 3.5` is a YAML float; its text is what was meant.
                let text = val.as_str().map(str::to_string).unwrap_or_default();
                let version = parse_prometheus_version(&text).map_err(|e| at(val, e))?;
                cfg.extra_fields.prometheus_version = Some(version);
            }
            "features" => {
                let list = string_list(val, "prometheus.features", at)?;
                let flags = crate::promql::syntax::Feature::ALL.map(|f| f.flag());
                if let Some(items) = val.as_seq() {
                    for (name, node) in list.iter().zip(items) {
                        if flags.contains(&name.as_str()) {
                            continue;
                        }
                        // Other flags (exemplar-storage, native-histograms, …)
                        // are Prometheus' business; a near miss of a PromQL
                        // flag is a typo that would silently enable nothing.
                        if let Some(c) = crate::diagnostic::suggest::closest(name, flags, 4) {
                            return Err(at(
                                node,
                                format!("unknown PromQL feature {name:?}; did you mean {c:?}?"),
                            ));
                        }
                    }
                }
                cfg.values
                    .insert(PROMETHEUS_FEATURES_KEY, Value::Strings(list));
            }
            "url" => {
                let url = val
                    .as_str()
                    .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
                    .ok_or_else(|| {
                        at(
                            val,
                            "prometheus.url must be an http:// or https:// URL".into(),
                        )
                    })?;
                prom_settings(cfg).url = url.to_string();
            }
            "bearer_token_file" => {
                let f = file_path(val, "prometheus.bearer_token_file", at)?;
                prom_settings(cfg).bearer_token_file = Some(f);
            }
            "basic_auth" => {
                let m = val.as_map().ok_or_else(|| {
                    at(
                        val,
                        "prometheus.basic_auth must be a mapping {username: …, password_file: …}"
                            .into(),
                    )
                })?;
                let (mut user, mut file) = (None, None);
                for (bk, bv) in m {
                    match bk.as_str().unwrap_or("") {
                        "username" => user = bv.as_str().map(String::from),
                        "password_file" => {
                            file = Some(file_path(bv, "prometheus.basic_auth.password_file", at)?)
                        }
                        "password" => {
                            return Err(at(bk, "prometheus.basic_auth.password: put the password in a file and name it with password_file (a config file is committed)".into()));
                        }
                        other => {
                            return Err(at(
                                bk,
                                format!(
                                    "unknown key prometheus.basic_auth.{other} (known: username, password_file)"
                                ),
                            ));
                        }
                    }
                }
                let (Some(username), Some(password_file)) = (user, file) else {
                    return Err(at(
                        val,
                        "prometheus.basic_auth needs username and password_file".into(),
                    ));
                };
                prom_settings(cfg).basic_auth = Some(crate::prometheus::BasicAuth {
                    username,
                    password_file,
                });
            }
            "tls" => {
                let m = val.as_map().ok_or_else(|| {
                    at(val, "prometheus.tls must be a mapping {ca_file: …}".into())
                })?;
                for (tk, tv) in m {
                    match tk.as_str().unwrap_or("") {
                        "ca_file" => {
                            prom_settings(cfg).ca_file =
                                Some(file_path(tv, "prometheus.tls.ca_file", at)?)
                        }
                        other => {
                            return Err(at(
                                tk,
                                format!("unknown key prometheus.tls.{other} (known: ca_file)"),
                            ));
                        }
                    }
                }
            }
            "timeout" => prom_settings(cfg).timeout = duration_of(val, "prometheus.timeout", at)?,
            "lookback" => {
                prom_settings(cfg).lookback = duration_of(val, "prometheus.lookback", at)?
            }
            "concurrency" => {
                let n = val
                    .as_str()
                    .and_then(|t| t.parse::<usize>().ok())
                    .filter(|n| (1..=64).contains(n))
                    .ok_or_else(|| {
                        at(
                            val,
                            "prometheus.concurrency must be a number from 1 to 64".into(),
                        )
                    })?;
                prom_settings(cfg).concurrency = n;
            }
            "snapshot" => cfg.snapshot = Some(file_path(val, "prometheus.snapshot", at)?),
            "bearer_token" | "password" => {
                return Err(at(
                    k,
                    format!(
                        "prometheus.{}: put the secret in a file and name it with {}_file (a config file is committed)",
                        k.as_str().unwrap_or(""),
                        k.as_str().unwrap_or("")
                    ),
                ));
            }
            other => {
                return Err(at(
                    k,
                    format!(
                        "unknown key prometheus.{other} (known: version, features, url, bearer_token_file, basic_auth, tls, timeout, concurrency, lookback, snapshot)"
                    ),
                ));
            }
        }
    }
    Ok(())
}

type At<'a> = dyn Fn(&Node, String) -> ConfigError + 'a;

/// The Prometheus settings being read, created with the defaults (and no
/// URL yet) on first use.
fn prom_settings(cfg: &mut Config) -> &mut crate::prometheus::PrometheusSettings {
    cfg.prometheus
        .get_or_insert_with(|| crate::prometheus::PrometheusSettings::new(""))
}

/// A file path setting: a non-empty string.
fn file_path(v: &Node, key: &str, at: &At) -> Result<PathBuf, ConfigError> {
    v.as_str()
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .ok_or_else(|| at(v, format!("{key} must be a file path")))
}

/// A Prometheus duration setting (`10s`), not zero.
fn duration_of(v: &Node, key: &str, at: &At) -> Result<std::time::Duration, ConfigError> {
    v.as_str()
        .and_then(|t| crate::model::duration::parse_duration(t).ok())
        .map(|d| d.ms)
        .filter(|ms| *ms > 0)
        .map(std::time::Duration::from_millis)
        .ok_or_else(|| at(v, format!("{key} must be a duration such as 10s")))
}

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

/// Why `name` names no lint: `unknown lint "ML1O1"; did you mean "ML101"?`.
/// `None` when it is a lint code, a lint name or a category.
fn unknown_lint(name: &str) -> Option<String> {
    const CATEGORIES: &[&str] = &["invalid", "correctness", "suspicious", "style", "pedantic"];
    if crate::diagnostic::find_lint(name).is_some() || CATEGORIES.contains(&name) {
        return None;
    }
    let all = crate::diagnostic::catalogue();
    let names = all
        .iter()
        .flat_map(|m| [m.code, m.name])
        .chain(CATEGORIES.iter().copied());
    let upper = name.to_ascii_uppercase();
    let probe = if upper.starts_with("ML") {
        upper.as_str()
    } else {
        name
    };
    let hint = crate::diagnostic::suggest::closest(probe, names, 2)
        .map(|c| format!("; did you mean {c:?}?"))
        .unwrap_or_default();
    Some(format!(
        "unknown lint {name:?}{hint} (a lint code, a lint name, or a category; `mlalert lints` lists them)"
    ))
}

/// A list of lint codes, names or categories under `key`.
fn lint_list(v: &Node, key: &str, at: &At) -> Result<Vec<String>, ConfigError> {
    let list = string_list(v, key, at)?;
    if let Some(items) = v.as_seq() {
        for (name, node) in list.iter().zip(items) {
            if let Some(e) = unknown_lint(name) {
                return Err(at(node, e));
            }
        }
    }
    Ok(list)
}

fn unreachable_kind(key: &str) -> ! {
    // A setting's stored value always has its declared kind (parse_value
    // builds it from the kind); reaching this is a bug in this module.
    panic!("setting {key}: value of the wrong kind")
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
        if crate::diagnostic::find_lint(name).is_none() {
            return Err(at(
                lk,
                unknown_lint(name).unwrap_or_else(|| format!("unknown lint {name:?}")),
            ));
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
            "disable" => disable = lint_list(v, "disable", at)?,
            "only" => only = lint_list(v, "only", at)?,
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
            "extra_group_fields: {}\n",
            list(&self.extra_fields.group)
        ));
        out.push_str(&format!(
            "extra_rule_fields: {}\n",
            list(&self.extra_fields.rule)
        ));
        out.push_str(&format!(
            "dialect: {}\n",
            self.extra_fields.dialect.map_or("auto", |d| d.as_str())
        ));
        let version = self
            .prometheus_version()
            .unwrap_or(crate::promql::syntax::Options::CURRENT);
        let features = self
            .values
            .get(PROMETHEUS_FEATURES_KEY)
            .or_else(|| self.inferred.get(PROMETHEUS_FEATURES_KEY).map(|(v, _)| v))
            .map_or_else(|| "[]".to_string(), format_value);
        out.push_str(&format!(
            "prometheus: {{version: \"{}.{}\", features: {features}}}\n",
            version.0, version.1
        ));
        for decl in settings() {
            if decl.key == PROMETHEUS_FEATURES_KEY {
                continue;
            }
            let v = self
                .values
                .get(decl.key)
                .unwrap_or_else(|| decl.default_value());
            out.push_str(&format!("{}: {}\n", decl.key, format_value(v)));
        }
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

/// The commented `.mlalert.yaml` that `mlalert config init` writes: the
/// core keys, then every declared lint setting with its doc and default.
pub fn init_template() -> String {
    init_template_for(&Config::default())
}

/// [`init_template`] with the values `config` inferred from a run
/// (`mlalert config init --from PATHS`) written out, each under a comment
/// saying where it comes from, so that the conventions become explicit.
pub fn init_template_for(config: &Config) -> String {
    let mut out = String::from(
        r#"# mlalert configuration. Every key is optional; unknown keys are errors.
# `mlalert config show` prints the effective values, `mlalert lints` the catalogue.

# Lints to turn off, by code (ML102), name (missing-runbook) or category
# (invalid, correctness, suspicious, style, pedantic).
disable: []
# Pedantic lints are off by default; turn some on here.
enable: []
# Severity per lint code or name: error, warning or info.
severity: {}
# Extra fields your rule files carry, besides those of the dialect below.
extra_group_fields: []
extra_rule_fields: []
# The rule-file dialect: auto (recognise Thanos' partial_response_strategy and
# Mimir/Cortex's source_tenants, evaluation_delay, … by their fields, with one
# note per file), prometheus (refuse them, as Prometheus does), thanos or mimir.
dialect: auto
# The Prometheus your rules are loaded by (docs/prometheus-version.md):
# `version` decides the PromQL grammar and functions expressions are checked
# against (holt_winters until 2.x, info from 2.55; default: the newest mlalert
# knows, 3.14); `features` lists its --enable-feature flags
# (promql-experimental-functions, promql-duration-expr,
# promql-extended-range-selectors, promql-binop-fill-modifiers).
#
# The ML5xx lints, real metric types and scrape intervals read facts about
# your Prometheus (docs/prometheus.md): from the snapshot `mlalert snapshot`
# writes (commit it), or live from `url` (also `lint --prometheus URL`).
# Secrets only from files; relative paths are relative to this file.
prometheus:
  # version: "3.5"
  # url: https://prometheus.example:9090
  # bearer_token_file: /var/run/secrets/prometheus-token
  # basic_auth: {username: mlalert, password_file: .secrets/prometheus-password}
  # tls: {ca_file: ca.pem}
  # timeout: 10s
  # concurrency: 4
  # lookback: 7d
  # snapshot: .mlalert/prometheus.json
"#,
    );
    match config.inferred.get(PROMETHEUS_FEATURES_KEY) {
        Some((value, origin)) => out.push_str(&format!(
            "  # inferred from {origin}\n  features: {}\n",
            format_value(value)
        )),
        None => out.push_str("  features: []\n"),
    }
    out.push_str("\n# Lint settings.\n");
    for decl in settings() {
        // Written under `prometheus:` above.
        if decl.key == PROMETHEUS_FEATURES_KEY {
            continue;
        }
        match config.inferred.get(decl.key) {
            Some((value, origin)) => out.push_str(&format!(
                "# {}\n# inferred from {origin}\n{}: {}\n",
                decl.doc,
                decl.key,
                format_value(value)
            )),
            None => out.push_str(&format!("# {}\n{}: {}\n", decl.doc, decl.key, decl.default)),
        }
    }
    out.push_str(
        r#"
# Per-path settings, globs relative to this file. Example: vendored mixins
# report only what Prometheus or Alertmanager would refuse to load.
overrides: []
#  - paths: ["vendor/**", "mixins/**"]
#    only: [invalid]
#  - paths: ["teams/research/**"]
#    disable: [missing-runbook]
#    severity: {missing-for: info}
"#,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Config, ConfigError> {
        let f = tempfile_path(text);
        Config::load(&f)
    }

    fn tempfile_path(text: &str) -> PathBuf {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "mlalert-config-test-{}-{}.yaml",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&p, text).expect("write temp config");
        p
    }

    #[test]
    fn every_declared_default_parses_to_its_kind() {
        assert!(settings().len() >= 10, "settings not registered");
        for decl in settings() {
            let v = decl.default_value();
            let (docs, _) =
                yaml::parse_stream(&format!("v: {}\n", decl.default), &TextMap::Shift(0));
            let node = docs[0].root.as_map().expect("map")[0].1.clone();
            assert_eq!(
                &parse_value(decl.kind, &node).expect(decl.key),
                v,
                "{}",
                decl.key
            );
            assert!(
                crate::diagnostic::find_lint(decl.lint).is_some(),
                "{}: lint {}",
                decl.key,
                decl.lint
            );
        }
    }

    #[test]
    fn prometheus_connection_settings() {
        let c = load(
            "prometheus:\n  url: https://prom.example:9090\n  basic_auth: {username: ml, password_file: secrets/pw}\n  tls: {ca_file: /etc/ca.pem}\n  timeout: 3s\n  concurrency: 2\n  lookback: 2d\n",
        )
        .unwrap();
        let s = c.prometheus.as_ref().unwrap();
        assert_eq!(s.url, "https://prom.example:9090");
        assert_eq!(s.timeout, std::time::Duration::from_secs(3));
        assert_eq!(s.concurrency, 2);
        assert_eq!(s.lookback, std::time::Duration::from_secs(2 * 86_400));
        // Relative to the config file's folder.
        let b = s.basic_auth.as_ref().unwrap();
        assert_eq!(b.password_file, std::env::temp_dir().join("secrets/pw"));
        assert_eq!(s.ca_file.as_deref(), Some(Path::new("/etc/ca.pem")));
        assert_eq!(
            c.snapshot_path(),
            std::env::temp_dir().join(DEFAULT_SNAPSHOT)
        );
        for (bad, want) in [
            ("prometheus: {url: prom:9090}\n", "http:// or https://"),
            ("prometheus: {bearer_token: abc}\n", "in a file"),
            (
                "prometheus: {basic_auth: {username: a, password: b}}\n",
                "password_file",
            ),
            ("prometheus: {concurrency: 0}\n", "1 to 64"),
            ("prometheus: {timeout: soon}\n", "duration"),
        ] {
            let e = load(bad).unwrap_err().to_string();
            assert!(e.contains(want), "{bad}: {e}");
            assert!(!e.contains("abc"), "{e}");
        }
    }

    #[test]
    fn a_snapshot_that_is_not_one_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("snap.json"), "{\"format\": 1}").unwrap();
        let cfg = dir.path().join(".mlalert.yaml");
        std::fs::write(&cfg, "prometheus: {snapshot: snap.json}\n").unwrap();
        let e = Config::load(&cfg).unwrap_err().to_string();
        assert!(
            e.contains("snap.json") && e.contains("not a Prometheus snapshot"),
            "{e}"
        );
        // A missing snapshot: no facts, no error.
        std::fs::remove_file(dir.path().join("snap.json")).unwrap();
        assert!(Config::load(&cfg).unwrap().facts().is_none());
    }

    #[test]
    fn prometheus_version_and_features() {
        let features = |c: &Config| c.values.get(PROMETHEUS_FEATURES_KEY).cloned();
        let strings = |v: &[&str]| Some(Value::Strings(v.iter().map(|s| s.to_string()).collect()));
        let c = load("prometheus:\n  version: \"3.5\"\n  features: [promql-experimental-functions, exemplar-storage]\n").unwrap();
        assert_eq!(c.prometheus_version(), Some((3, 5)));
        assert_eq!(
            features(&c),
            strings(&["promql-experimental-functions", "exemplar-storage"])
        );
        // A YAML number keeps its text (3.10 is not 3.1), a tag its patch.
        assert_eq!(
            load("prometheus: {version: 3.10}\n")
                .unwrap()
                .prometheus_version(),
            Some((3, 10))
        );
        assert_eq!(
            load("prometheus: {version: v2.55.1}\n")
                .unwrap()
                .prometheus_version(),
            Some((2, 55))
        );
        assert_eq!(Config::default().prometheus_version(), None);
        // The older key still works.
        let c = load("prometheus_features: [promql-duration-expr]\n").unwrap();
        assert_eq!(features(&c), strings(&["promql-duration-expr"]));
        let bad = [
            (
                "prometheus: {version: \"three\"}\n",
                "must be a version such as",
                (1, 23),
            ),
            (
                "prometheus: {version: \"1.8\"}\n",
                "Prometheus 2.0 and later",
                (1, 23),
            ),
            (
                "prometheus: {features: [promql-experimental-function]}\n",
                "did you mean \"promql-experimental-functions\"",
                (1, 25),
            ),
            (
                "prometheus: {uri: http://x}\n",
                "unknown key prometheus.uri",
                (1, 14),
            ),
            (
                "prometheus: [3.5]\n",
                "prometheus must be a mapping",
                (1, 13),
            ),
            (
                "prometheus: {features: []}\nprometheus_features: []\n",
                "both set",
                (2, 1),
            ),
        ];
        for (text, want, (line, column)) in bad {
            let e = load(text).unwrap_err();
            assert!(e.message.contains(want), "{text}: {}", e.message);
            assert_eq!((e.line, e.column), (line, column), "{text}: {}", e.message);
        }
    }

    #[test]
    fn unknown_lint_names_are_errors_with_a_suggestion() {
        let e = load("disable: [ML1O1]\n").unwrap_err();
        assert!(
            e.message
                .contains("unknown lint \"ML1O1\"; did you mean \"ML101\"?"),
            "{}",
            e.message
        );
        assert_eq!((e.line, e.column), (1, 11));
        let e = load("enable: [missing-fr]\n").unwrap_err();
        assert!(
            e.message.contains("did you mean \"missing-for\"?"),
            "{}",
            e.message
        );
        let e = load("overrides:\n- paths: [a/**]\n  only: [invaild]\n").unwrap_err();
        assert!(
            e.message.contains("did you mean \"invalid\"?"),
            "{}",
            e.message
        );
        assert!(load("disable: [ML101, missing-runbook, style]\n").is_ok());
    }

    #[test]
    fn unknown_keys_suggest_the_closest() {
        let e = load("runbook_anotations: [x]\n").unwrap_err();
        assert!(
            e.message.contains("did you mean \"runbook_annotations\"?"),
            "{}",
            e.message
        );
    }

    #[test]
    fn show_prints_every_setting_and_init_loads_back_to_the_defaults() {
        let c = load("min_for: {critical: 2m}\nrunbook_url_prefix: https://r/\n").expect("loads");
        let shown = c.to_yaml();
        assert!(
            shown.contains("\nprometheus: {version: \"3.14\", features: []}\n"),
            "{shown}"
        );
        for decl in settings()
            .iter()
            .filter(|d| d.key != PROMETHEUS_FEATURES_KEY)
        {
            assert!(
                shown.contains(&format!("\n{}: ", decl.key)),
                "{} missing from:\n{shown}",
                decl.key
            );
        }
        assert!(shown.contains("min_for: {critical: 2m}"), "{shown}");
        assert!(
            shown.contains("runbook_url_prefix: \"https://r/\""),
            "{shown}"
        );
        let init = load(&init_template()).expect("template loads");
        for decl in settings() {
            let v = init.values.get(decl.key).expect("template sets every key");
            assert_eq!(v, decl.default_value(), "{}", decl.key);
        }
    }
}
