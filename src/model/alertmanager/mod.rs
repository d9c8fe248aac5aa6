//! Alertmanager configuration (`alertmanager.yml`), as Alertmanager 0.34's
//! config package reads it, with the position of every value.
//!
//! Integration configs (`slack_configs`, …) are kept as YAML nodes for the
//! lints that read them; they are validated in [`receivers`], time
//! intervals in [`timeintervals`]. Matchers (`matchers:`, `match_re:`) are
//! parsed by [`matchers`].

pub mod matchers;
pub mod receivers;
pub(crate) mod timeintervals;

use self::matchers::{
    MatchType, Matcher, ParserMode, is_valid_label_name, parse_matchers_fallback,
};
use crate::source::Span;
use crate::yaml::Node;

use super::Spanned;
use super::duration::Duration;
use super::reader::{self, Errors};

/// An Alertmanager configuration.
#[derive(Debug, Clone)]
pub struct AmConfig {
    /// The root route.
    pub route: Option<Route>,
    /// Receivers in order.
    pub receivers: Vec<Receiver>,
    /// Inhibit rules in order.
    pub inhibit_rules: Vec<InhibitRule>,
    /// Names of `time_intervals` and `mute_time_intervals`.
    pub time_intervals: Vec<Spanned<String>>,
    /// Names defined under the deprecated `mute_time_intervals` (also in `time_intervals` above).
    pub mute_time_interval_names: Vec<Spanned<String>>,
    /// `templates` globs.
    pub templates: Vec<Spanned<String>>,
    /// The `global` section, as YAML.
    pub global: Option<Node>,
    /// The document's span.
    pub span: Span,
    /// False when Alertmanager would refuse the config (the loader reported
    /// `alertmanager-invalid` inside it): routing questions are not asked of it.
    pub valid: bool,
    /// True when the config is a value of a Kubernetes Secret (where
    /// credentials belong), not a plain file or a ConfigMap.
    pub in_kubernetes_secret: bool,
}

impl AmConfig {
    /// Spans of the inline values of its secret fields (`api_url`,
    /// `bearer_token`, `basic_auth.password`, `routing_key`, …: the `Secret`
    /// and `SecretURL` fields Alertmanager prints as `<secret>`, found by
    /// [`receivers::secret_fields`]), not of `*_file` paths.
    pub fn secret_spans(&self) -> Vec<Span> {
        receivers::secret_fields(self.global.as_ref(), &self.receivers)
            .into_iter()
            .filter(|f| !f.is_file)
            .filter_map(|f| f.value.map(|(_, span)| span))
            .collect()
    }
}

/// Which field a route matcher came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatcherSource {
    /// `match:` (deprecated, equality).
    Match,
    /// `match_re:` (deprecated, regex).
    MatchRe,
    /// `matchers:`.
    Matchers,
}

/// A matcher with where it is written.
#[derive(Debug, Clone)]
pub struct SpannedMatcher {
    /// The matcher.
    pub matcher: Matcher,
    /// Where it is written.
    pub span: Span,
    /// Which field.
    pub source: MatcherSource,
    /// For `matchers:` entries: only Alertmanager's classic parser accepts
    /// the entry (the fallback mode used it and logged a warning), or both
    /// parsers accept it with different results.
    pub classic_only: bool,
}

/// A node of the routing tree. Unset fields inherit from the parent.
#[derive(Debug, Clone)]
pub struct Route {
    /// `receiver`.
    pub receiver: Option<Spanned<String>>,
    /// Where `receiver:` is written as a YAML null (`receiver: null`, `~`
    /// or empty): Alertmanager reads it as unset, so the route inherits
    /// its parent's receiver.
    pub receiver_null: Option<Span>,
    /// `group_by` (`...` means all labels).
    pub group_by: Option<Vec<Spanned<String>>>,
    /// `continue` (YAML 1.1 booleans as Alertmanager's go-yaml v2 reads them).
    pub continue_: Option<Spanned<bool>>,
    /// Matchers from `match`, `match_re` and `matchers`, all ANDed.
    pub matchers: Vec<SpannedMatcher>,
    /// False when a matcher of this route did not parse: which alerts the
    /// route takes is then unknown, and lints reasoning over it skip it.
    pub matchers_complete: bool,
    /// `group_wait`.
    pub group_wait: Option<Spanned<Duration>>,
    /// `group_interval`.
    pub group_interval: Option<Spanned<Duration>>,
    /// `repeat_interval`.
    pub repeat_interval: Option<Spanned<Duration>>,
    /// `mute_time_intervals`.
    pub mute_time_intervals: Vec<Spanned<String>>,
    /// `active_time_intervals`.
    pub active_time_intervals: Vec<Spanned<String>>,
    /// Child routes.
    pub routes: Vec<Route>,
    /// The route mapping's span.
    pub span: Span,
    /// The route mapping's entries as written, in source order (where
    /// `lint --fix` rewrites `match:` as `matchers:`).
    pub fields: Vec<super::Field>,
}

impl Route {
    /// True when `continue: true`.
    pub fn continues(&self) -> bool {
        self.continue_.as_ref().is_some_and(|c| c.value)
    }
}

/// A receiver.
#[derive(Debug, Clone)]
pub struct Receiver {
    /// `name`.
    pub name: Spanned<String>,
    /// Integration kinds present (`slack_configs`, …) with their nodes.
    pub integrations: Vec<(String, Node)>,
    /// The receiver mapping's span.
    pub span: Span,
}

/// An inhibit rule.
#[derive(Debug, Clone)]
pub struct InhibitRule {
    /// `source_match`, `source_match_re`, `source_matchers`.
    pub source: Vec<SpannedMatcher>,
    /// `target_match`, `target_match_re`, `target_matchers`.
    pub target: Vec<SpannedMatcher>,
    /// `equal`.
    pub equal: Vec<Spanned<String>>,
    /// Where `equal:` is written, if it is.
    pub equal_span: Option<Span>,
    /// False when a matcher did not parse.
    pub complete: bool,
    /// The rule's span.
    pub span: Span,
    /// The rule mapping's entries as written, in source order (where
    /// `lint --fix` rewrites `source_match:` as `source_matchers:`).
    pub fields: Vec<super::Field>,
}

const TOP_FIELDS: &[&str] = &[
    "global",
    "route",
    "receivers",
    "inhibit_rules",
    "time_intervals",
    "mute_time_intervals",
    "templates",
    "tracing",
    "event_recorder",
];
const ROUTE_FIELDS: &[&str] = &[
    "receiver",
    "group_by",
    "continue",
    "match",
    "match_re",
    "matchers",
    "group_wait",
    "group_interval",
    "repeat_interval",
    "mute_time_intervals",
    "active_time_intervals",
    "routes",
    "labels",
];
/// Integration config lists a receiver may hold (Alertmanager 0.34).
pub const INTEGRATIONS: &[&str] = &[
    "discord_configs",
    "email_configs",
    "incidentio_configs",
    "jira_configs",
    "mattermost_configs",
    "msteams_configs",
    "msteamsv2_configs",
    "opsgenie_configs",
    "pagerduty_configs",
    "pushover_configs",
    "rocketchat_configs",
    "slack_configs",
    "sns_configs",
    "telegram_configs",
    "victorops_configs",
    "webex_configs",
    "webhook_configs",
    "wechat_configs",
];
const INHIBIT_FIELDS: &[&str] = &[
    "name",
    "source_match",
    "source_match_re",
    "source_matchers",
    "target_match",
    "target_match_re",
    "target_matchers",
    "equal",
];

/// Reads an Alertmanager config and checks everything Alertmanager 0.34
/// refuses to load, reporting every error (not only the first).
pub(crate) fn read_config(root: &Node, errs: &mut Errors) -> AmConfig {
    let mut cfg = AmConfig {
        route: None,
        receivers: Vec::new(),
        inhibit_rules: Vec::new(),
        time_intervals: Vec::new(),
        mute_time_interval_names: Vec::new(),
        templates: Vec::new(),
        global: None,
        span: root.span,
        valid: true,
        in_kubernetes_secret: false,
    };
    let Some(fields) = reader::fields(root, "config.Config", TOP_FIELDS, &[], errs) else {
        return cfg;
    };
    // `global` first: receivers fall back to it.
    let global = match fields.iter().find(|(k, _, _)| *k == "global") {
        Some((_, _, v)) => {
            cfg.global = Some((*v).clone());
            receivers::read_global(v, errs)
        }
        None => receivers::GlobalSet::default(),
    };
    for (key, _, v) in &fields {
        match *key {
            "route" => cfg.route = read_route(v, errs),
            "receivers" => {
                cfg.receivers = read_list(v, "receivers", errs, |n, e| read_receiver(n, &global, e))
            }
            "inhibit_rules" => {
                cfg.inhibit_rules = read_list(v, "inhibit_rules", errs, read_inhibit)
            }
            "mute_time_intervals" => {
                let names = read_list(v, key, errs, |n, e| timeintervals::read_entry(n, true, e));
                let mut seen = std::collections::HashSet::new();
                for n in &names {
                    if !seen.insert(n.value.as_str()) {
                        errs.report(
                            n.span,
                            format!("mute time interval {:?} is not unique", n.value),
                        );
                    }
                }
                cfg.mute_time_interval_names = names;
            }
            "time_intervals" => {
                cfg.time_intervals =
                    read_list(v, key, errs, |n, e| timeintervals::read_entry(n, false, e))
            }
            "templates" => cfg.templates = reader::strings(v, "templates", errs),
            _ => {}
        }
    }
    // Time intervals: the deprecated list first, as Alertmanager reads them.
    // Name lookups are hashed: a config with tens of thousands of receivers
    // or intervals is checked in linear time.
    let mut seen: Vec<Spanned<String>> = cfg.mute_time_interval_names.clone();
    dedup_names(&mut seen);
    let mut names: std::collections::HashSet<String> =
        seen.iter().map(|x| x.value.clone()).collect();
    for t in &cfg.time_intervals {
        if names.insert(t.value.clone()) {
            seen.push(t.clone());
        } else {
            errs.report(t.span, format!("time interval {:?} is not unique", t.value));
        }
    }
    cfg.time_intervals = seen;
    let mut first_of: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, r) in cfg.receivers.iter().enumerate() {
        let at = *first_of.entry(r.name.value.as_str()).or_insert(i);
        if at != i {
            let first = &cfg.receivers[at];
            let line = errs.line(first.name.span);
            errs.report_help(
                r.name.span,
                format!("notification config name {:?} is not unique", r.name.value),
                format!("the first receiver with this name is at line {line}; rename one of them"),
            );
        }
    }
    match &cfg.route {
        None if root.get("route").is_none() => {
            errs.report(root.span, "no routes provided");
        }
        None => {}
        Some(route) => {
            if route.receiver.is_none() {
                errs.report(
                    route.receiver_null.unwrap_or(route.span),
                    "root route must specify a default receiver",
                );
            }
            if let Some(m) = route.matchers.first() {
                errs.report(m.span, "root route must not have any matchers");
            }
            if let Some(c) = route.continue_.as_ref().filter(|c| c.value) {
                errs.report(c.span, "cannot have continue in root route");
            }
            if let Some(t) = route.mute_time_intervals.first() {
                errs.report(t.span, "root route must not have any mute time intervals");
            }
            if let Some(t) = route.active_time_intervals.first() {
                errs.report(t.span, "root route must not have any active time intervals");
            }
            let names: std::collections::HashSet<&str> = cfg
                .receivers
                .iter()
                .map(|r| r.name.value.as_str())
                .collect();
            let intervals: std::collections::HashSet<&str> = cfg
                .time_intervals
                .iter()
                .map(|i| i.value.as_str())
                .collect();
            check_route_refs(route, &names, &intervals, errs);
        }
    }
    cfg
}

fn dedup_names(names: &mut Vec<Spanned<String>>) {
    let mut out: Vec<Spanned<String>> = Vec::with_capacity(names.len());
    let mut seen = std::collections::HashSet::new();
    for n in names.drain(..) {
        if seen.insert(n.value.clone()) {
            out.push(n);
        }
    }
    *names = out;
}

fn check_route_refs(
    route: &Route,
    receivers: &std::collections::HashSet<&str>,
    intervals: &std::collections::HashSet<&str>,
    errs: &mut Errors,
) {
    if let Some(r) = &route.receiver
        && !receivers.contains(r.value.as_str())
    {
        errs.report(
            r.span,
            format!("undefined receiver {:?} used in route", r.value),
        );
    }
    for t in route
        .mute_time_intervals
        .iter()
        .chain(&route.active_time_intervals)
    {
        if !intervals.contains(t.value.as_str()) {
            errs.report(
                t.span,
                format!("undefined time interval {:?} used in route", t.value),
            );
        }
    }
    for child in &route.routes {
        check_route_refs(child, receivers, intervals, errs);
    }
}

fn read_list<T>(
    node: &Node,
    what: &str,
    errs: &mut Errors,
    f: impl Fn(&Node, &mut Errors) -> Option<T>,
) -> Vec<T> {
    if node.is_null() {
        return Vec::new();
    }
    match node.as_seq() {
        Some(items) => items.iter().filter_map(|n| f(n, errs)).collect(),
        None => {
            errs.report(
                node.span,
                format!("{what} must be a list, got a {}", node.type_name()),
            );
            Vec::new()
        }
    }
}

/// `model.LabelNameRE`: `^[a-zA-Z_][a-zA-Z0-9_]*$` (used for `match` keys and route labels).
fn is_legacy_label_name(name: &str) -> bool {
    is_valid_label_name(name, ParserMode::Classic)
}

fn read_route(node: &Node, errs: &mut Errors) -> Option<Route> {
    // A merged `matchers` list kept next to an explicit one (see yaml::tree).
    let merged = ["<<:matchers".to_string()];
    let fields = reader::fields(node, "config.Route", ROUTE_FIELDS, &merged, errs)?;
    let mut route = Route {
        receiver: None,
        receiver_null: None,
        group_by: None,
        continue_: None,
        matchers: Vec::new(),
        matchers_complete: true,
        group_wait: None,
        group_interval: None,
        repeat_interval: None,
        mute_time_intervals: Vec::new(),
        active_time_intervals: Vec::new(),
        routes: Vec::new(),
        span: node.span,
        fields: reader::field_spans(&fields, errs),
    };
    for (key, _, v) in &fields {
        match *key {
            "receiver" => {
                if v.is_null() {
                    route.receiver_null = Some(v.span);
                }
                route.receiver = reader::string(v, "receiver", errs).filter(|s| !s.value.is_empty())
            }
            "group_by" => {
                let g = reader::strings(v, "group_by", errs);
                let mut labels: Vec<&Spanned<String>> = Vec::new();
                for l in g.iter().filter(|l| l.value != "...") {
                    if !is_valid_label_name(&l.value, ParserMode::Fallback) {
                        errs.report(
                            l.span,
                            format!("invalid label name {:?} in group_by list", l.value),
                        );
                    } else if labels.iter().any(|x| x.value == l.value) {
                        errs.report(
                            l.span,
                            format!("duplicated label {:?} in group_by", l.value),
                        );
                    } else {
                        labels.push(l);
                    }
                }
                if g.iter().any(|x| x.value == "...") && g.iter().any(|x| x.value != "...") {
                    errs.report(
                        v.span,
                        "cannot have wildcard group_by (`...`) and other labels at the same time",
                    );
                }
                route.group_by = Some(g);
            }
            "continue" => route.continue_ = reader::bool_yaml11(v, "continue", errs),
            "match" => {
                route.matchers_complete &= read_match_map(v, false, &mut route.matchers, errs)
            }
            "match_re" => {
                route.matchers_complete &= read_match_map(v, true, &mut route.matchers, errs)
            }
            // A merged `matchers` list next to an explicit one: both apply.
            "matchers" | "<<:matchers" => {
                route.matchers_complete &= read_matchers(v, &mut route.matchers, errs)
            }
            "group_wait" => route.group_wait = reader::duration(v, "group_wait", errs),
            "group_interval" => {
                route.group_interval = reader::duration(v, "group_interval", errs);
                if let Some(d) = route.group_interval.as_ref().filter(|d| d.value.ms == 0) {
                    errs.report(d.span, "group_interval cannot be zero");
                }
            }
            "repeat_interval" => {
                route.repeat_interval = reader::duration(v, "repeat_interval", errs);
                if let Some(d) = route.repeat_interval.as_ref().filter(|d| d.value.ms == 0) {
                    errs.report(d.span, "repeat_interval cannot be zero");
                }
            }
            "mute_time_intervals" => {
                route.mute_time_intervals = reader::strings(v, "mute_time_intervals", errs)
            }
            "active_time_intervals" => {
                route.active_time_intervals = reader::strings(v, "active_time_intervals", errs)
            }
            "routes" => route.routes = read_list(v, "routes", errs, read_route),
            "labels" => {
                for kv in reader::key_values(v, "labels", errs) {
                    if !is_legacy_label_name(&kv.key.value) {
                        errs.report(
                            kv.key.span,
                            format!("invalid label name {:?} in route labels", kv.key.value),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    Some(route)
}

/// `match:` / `match_re:` maps (`label: value`).
fn read_match_map(
    node: &Node,
    regex: bool,
    out: &mut Vec<SpannedMatcher>,
    errs: &mut Errors,
) -> bool {
    let what = if regex { "match_re" } else { "match" };
    let op = if regex {
        MatchType::Regexp
    } else {
        MatchType::Equal
    };
    let source = if regex {
        MatcherSource::MatchRe
    } else {
        MatcherSource::Match
    };
    let mut ok = true;
    for kv in reader::key_values(node, what, errs) {
        let span = Span::new(kv.key.span.start, kv.value.span.end.max(kv.key.span.end));
        if !is_legacy_label_name(&kv.key.value) {
            errs.report(
                kv.key.span,
                format!("invalid label name {:?}", kv.key.value),
            );
            ok = false;
            continue;
        }
        if regex && node.get(&kv.key.value).is_some_and(Node::is_null) {
            errs.report(
                kv.value.span,
                format!("invalid regexp value for {:?}", kv.key.value),
            );
            ok = false;
            continue;
        }
        match Matcher::new(&kv.key.value, op, &kv.value.value) {
            Ok(matcher) => out.push(SpannedMatcher {
                matcher,
                span,
                source,
                classic_only: false,
            }),
            Err(e) => {
                errs.report(kv.value.span, e.message);
                ok = false;
            }
        }
    }
    ok
}

/// `matchers:` lists. Each entry is itself a list of matchers (`a=b, c=~d`
/// or `{a="b"}`), read in Alertmanager's default fallback mode
/// (config/common/matchers.go). Returns false when an entry does not parse.
fn read_matchers(node: &Node, out: &mut Vec<SpannedMatcher>, errs: &mut Errors) -> bool {
    if node.is_null() {
        return true;
    }
    let Some(items) = node.as_seq() else {
        errs.report(
            node.span,
            format!("matchers must be a list, got a {}", node.type_name()),
        );
        return false;
    };
    let mut ok = true;
    for item in items {
        let Some(t) = reader::text(item, "matchers", errs) else {
            ok = false;
            continue;
        };
        match parse_matchers_fallback(&t.value) {
            Ok((ms, outcome)) => {
                let classic_only = outcome.used_classic();
                out.extend(ms.into_iter().map(|matcher| SpannedMatcher {
                    matcher,
                    span: t.span,
                    source: MatcherSource::Matchers,
                    classic_only,
                }))
            }
            Err(e) => {
                let span = match &e.offset {
                    Some(r) => t.sub_span(r.start, r.end),
                    None => t.span,
                };
                errs.report(
                    span,
                    format!("invalid matcher {:?}: {}", t.value, e.message),
                );
                ok = false;
            }
        }
    }
    ok
}

fn read_receiver(
    node: &Node,
    global: &receivers::GlobalSet,
    errs: &mut Errors,
) -> Option<Receiver> {
    let mut known = vec!["name", "labels"];
    known.extend_from_slice(INTEGRATIONS);
    let fields = reader::fields(node, "config.Receiver", &known, &[], errs)?;
    let mut name = None;
    let mut integrations = Vec::new();
    let mut labels = Vec::new();
    for (key, _, v) in &fields {
        if *key == "name" {
            name = reader::string(v, "name", errs);
        } else if *key == "labels" {
            labels = reader::key_values(v, "labels", errs);
        } else if !v.is_null() {
            if let Some(ty) = receivers::integration_type(key) {
                receivers::check_integration_list(ty, v, global, errs);
            }
            integrations.push((key.to_string(), (*v).clone()));
        }
    }
    match name.filter(|n| !n.value.is_empty()) {
        Some(name) => {
            if let Some(kv) = labels.iter().find(|kv| kv.key.value == "name")
                && kv.value.value != name.value
            {
                errs.report(
                    kv.value.span,
                    format!(
                        "receiver label \"name\" must match receiver name {:?}, got {:?}",
                        name.value, kv.value.value
                    ),
                );
            }
            Some(Receiver {
                name,
                integrations,
                span: node.span,
            })
        }
        None => {
            errs.report(node.span, "missing name in receiver");
            None
        }
    }
}

fn read_inhibit(node: &Node, errs: &mut Errors) -> Option<InhibitRule> {
    let merged = [
        "<<:source_matchers".to_string(),
        "<<:target_matchers".to_string(),
    ];
    let fields = reader::fields(node, "config.InhibitRule", INHIBIT_FIELDS, &merged, errs)?;
    let mut rule = InhibitRule {
        source: Vec::new(),
        target: Vec::new(),
        equal: Vec::new(),
        equal_span: None,
        span: node.span,
        complete: true,
        fields: reader::field_spans(&fields, errs),
    };
    for (key, k, v) in &fields {
        match *key {
            "source_match" => rule.complete &= read_match_map(v, false, &mut rule.source, errs),
            "source_match_re" => rule.complete &= read_match_map(v, true, &mut rule.source, errs),
            "source_matchers" | "<<:source_matchers" => {
                rule.complete &= read_matchers(v, &mut rule.source, errs)
            }
            "target_match" => rule.complete &= read_match_map(v, false, &mut rule.target, errs),
            "target_match_re" => rule.complete &= read_match_map(v, true, &mut rule.target, errs),
            "target_matchers" | "<<:target_matchers" => {
                rule.complete &= read_matchers(v, &mut rule.target, errs)
            }
            "equal" => {
                rule.equal_span = Some(k.span);
                rule.equal = reader::strings(v, "equal", errs);
                for l in &rule.equal {
                    if !is_valid_label_name(&l.value, ParserMode::Fallback) {
                        errs.report(
                            l.span,
                            format!("invalid label name {:?} in equal list", l.value),
                        );
                    }
                }
            }
            "name" => {
                reader::string(v, "name", errs);
            }
            _ => {}
        }
    }
    Some(rule)
}
