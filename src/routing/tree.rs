//! The Alertmanager 0.34 routing tree (dispatch/route.go): every route with
//! the options it inherits, and the depth-first match of a label set.
//!
//! * A child inherits its parent's receiver, `group_by` and intervals unless
//!   it sets them; the root starts from Alertmanager's defaults (group_wait
//!   30s, group_interval 5m, repeat_interval 4h, no grouping).
//! * Matching is depth-first, left to right: a route matches when all its
//!   matchers do (an absent label is `""`); among siblings the first match
//!   wins unless it has `continue: true`; a route none of whose children
//!   match takes the alert itself.
//! * Matchers are sorted as Alertmanager sorts them (name, value, operator);
//!   a `match_re:` value is printed anchored (`^(?:VALUE)$`), as Alertmanager
//!   stores it.

use super::overlap::covers;
use crate::model::alertmanager::{MatcherSource, Route};
use crate::model::duration::format_ms;
use crate::source::Span;

use crate::model::alertmanager::matchers::{MatchType, Matcher};

/// Alertmanager's default group_wait (ms).
pub const DEFAULT_GROUP_WAIT: u64 = 30_000;
/// Alertmanager's default group_interval (ms).
pub const DEFAULT_GROUP_INTERVAL: u64 = 300_000;
/// Alertmanager's default repeat_interval (ms).
pub const DEFAULT_REPEAT_INTERVAL: u64 = 4 * 3_600_000;

/// Grouping of a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupBy {
    /// `group_by: [...]`: every label.
    All,
    /// These labels (possibly none: one group per route).
    Labels(Vec<String>),
}

/// A setting's effective value and whether the route sets it itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting<T> {
    /// The effective value.
    pub value: T,
    /// True when written on this route (false: inherited or default).
    pub own: bool,
}

/// The options a route applies, after inheritance (dispatch.RouteOpts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteOpts {
    /// Receiver name (empty only when the root has none: an invalid config).
    pub receiver: Setting<String>,
    /// Grouping.
    pub group_by: Setting<GroupBy>,
    /// group_wait in ms.
    pub group_wait: Setting<u64>,
    /// group_interval in ms.
    pub group_interval: Setting<u64>,
    /// repeat_interval in ms.
    pub repeat_interval: Setting<u64>,
}

/// One route of the tree.
#[derive(Debug, Clone)]
pub struct Node<'a> {
    /// The configured route.
    pub route: &'a Route,
    /// Parent index (`None` for the root).
    pub parent: Option<usize>,
    /// Children indices, in order.
    pub children: Vec<usize>,
    /// Effective options.
    pub opts: RouteOpts,
    /// Matchers in Alertmanager's order, with the text it prints for each.
    pub matchers: Vec<(Matcher, String)>,
    /// `continue: true`.
    pub continue_: bool,
    /// Depth (root 0).
    pub depth: usize,
}

impl Node<'_> {
    /// Whether every matcher accepts the label set (absent labels are `""`).
    pub fn matches<'l>(&self, labels: &impl Fn(&str) -> Option<&'l str>) -> bool {
        self.matchers.iter().all(|(m, _)| m.matches_labels(labels))
    }

    /// Alertmanager's slug: `{a="b",c=~"d"}`, or `default-route` without matchers.
    pub fn slug(&self) -> String {
        if self.matchers.is_empty() {
            "default-route".to_string()
        } else {
            let parts: Vec<&str> = self.matchers.iter().map(|(_, s)| s.as_str()).collect();
            format!("{{{}}}", parts.join(","))
        }
    }

    /// Where to point for this route: its first matcher, else its receiver, else the route.
    pub fn head(&self) -> Span {
        head(self.route)
    }
}

/// Where to point for a route: its first matcher, else its receiver, else the route.
pub fn head(route: &Route) -> Span {
    route
        .matchers
        .first()
        .map(|m| m.span)
        .or(route.receiver.as_ref().map(|r| r.span))
        .unwrap_or(route.span)
}

/// The routing tree, flattened in depth-first order (index 0 is the root).
#[derive(Debug, Clone)]
pub struct Tree<'a> {
    /// Nodes in pre-order.
    pub nodes: Vec<Node<'a>>,
    /// Per node, the first earlier sibling without `continue` that takes
    /// every alert the node matches ([`covers`]), if one does: the node is
    /// fully shadowed (`route-shadowed`). Routes with a matcher that did not
    /// parse neither shadow nor are shadowed.
    pub shadowed_by: Vec<Option<usize>>,
}

impl<'a> Tree<'a> {
    /// Builds the tree from the root route. Work and memory grow with the
    /// number of routes and matchers, not with siblings² (see
    /// [`Tree::shadowed_by`]).
    pub fn new(root: &'a Route) -> Tree<'a> {
        let mut tree = Tree {
            nodes: Vec::new(),
            shadowed_by: Vec::new(),
        };
        tree.add(root, None, 0);
        tree.shadowed_by = vec![None; tree.nodes.len()];
        for p in 0..tree.nodes.len() {
            for (c, by) in shadows(&tree, &tree.nodes[p].children) {
                tree.shadowed_by[c] = Some(by);
            }
        }
        tree
    }

    fn add(&mut self, route: &'a Route, parent: Option<usize>, depth: usize) -> usize {
        let inherited = match parent {
            Some(p) => self.nodes[p].opts.clone(),
            None => RouteOpts {
                receiver: Setting {
                    value: String::new(),
                    own: false,
                },
                group_by: Setting {
                    value: GroupBy::Labels(Vec::new()),
                    own: false,
                },
                group_wait: Setting {
                    value: DEFAULT_GROUP_WAIT,
                    own: false,
                },
                group_interval: Setting {
                    value: DEFAULT_GROUP_INTERVAL,
                    own: false,
                },
                repeat_interval: Setting {
                    value: DEFAULT_REPEAT_INTERVAL,
                    own: false,
                },
            },
        };
        fn inherit<T: Clone>(s: &Setting<T>) -> Setting<T> {
            Setting {
                value: s.value.clone(),
                own: false,
            }
        }
        let opts = RouteOpts {
            receiver: match &route.receiver {
                Some(r) => Setting {
                    value: r.value.clone(),
                    own: true,
                },
                None => inherit(&inherited.receiver),
            },
            group_by: match &route.group_by {
                Some(g) if g.iter().any(|x| x.value == "...") => Setting {
                    value: GroupBy::All,
                    own: true,
                },
                Some(g) => Setting {
                    value: GroupBy::Labels(g.iter().map(|x| x.value.clone()).collect()),
                    own: true,
                },
                None => inherit(&inherited.group_by),
            },
            group_wait: own_ms(&route.group_wait).unwrap_or(inherit(&inherited.group_wait)),
            group_interval: own_ms(&route.group_interval)
                .unwrap_or(inherit(&inherited.group_interval)),
            repeat_interval: own_ms(&route.repeat_interval)
                .unwrap_or(inherit(&inherited.repeat_interval)),
        };
        let matchers = sorted_matchers(route);
        let idx = self.nodes.len();
        self.nodes.push(Node {
            route,
            parent,
            children: Vec::new(),
            opts,
            matchers,
            continue_: route.continues(),
            depth,
        });
        for child in &route.routes {
            let c = self.add(child, Some(idx), depth + 1);
            self.nodes[idx].children.push(c);
        }
        idx
    }

    /// The root node.
    pub fn root(&self) -> &Node<'a> {
        &self.nodes[0]
    }

    /// The routes an alert with these labels ends at, in tree order
    /// (dispatch.Route.Match): the receivers are their `opts.receiver`.
    pub fn match_labels<'l>(&self, labels: &impl Fn(&str) -> Option<&'l str>) -> Vec<usize> {
        let mut out = Vec::new();
        self.match_at(0, labels, &mut out);
        out
    }

    fn match_at<'l>(
        &self,
        idx: usize,
        labels: &impl Fn(&str) -> Option<&'l str>,
        out: &mut Vec<usize>,
    ) -> bool {
        let node = &self.nodes[idx];
        if !node.matches(labels) {
            return false;
        }
        let before = out.len();
        for &c in &node.children {
            if self.match_at(c, labels, out) && !self.nodes[c].continue_ {
                break;
            }
        }
        if out.len() == before {
            out.push(idx);
        }
        true
    }

    /// The routes an alert ends at if it enters the tree at route `idx`
    /// (empty when `idx` does not match it).
    pub fn match_from<'l>(
        &self,
        idx: usize,
        labels: &impl Fn(&str) -> Option<&'l str>,
    ) -> Vec<usize> {
        let mut out = Vec::new();
        self.match_at(idx, labels, &mut out);
        out
    }

    /// Receivers of the routes an alert ends at, in tree order, duplicates kept.
    pub fn receivers<'l>(&self, labels: &impl Fn(&str) -> Option<&'l str>) -> Vec<String> {
        self.match_labels(labels)
            .into_iter()
            .map(|i| self.nodes[i].opts.receiver.value.clone())
            .collect()
    }

    /// The path of node indices from the root to `idx`.
    pub fn path(&self, idx: usize) -> Vec<usize> {
        let mut p = vec![idx];
        let mut cur = idx;
        while let Some(parent) = self.nodes[cur].parent {
            p.push(parent);
            cur = parent;
        }
        p.reverse();
        p
    }

    /// A short description of a route for messages: `route {team="ml"} (receiver "x")`.
    pub fn describe(&self, idx: usize) -> String {
        let n = &self.nodes[idx];
        if idx == 0 {
            format!("the root route (receiver {:?})", n.opts.receiver.value)
        } else {
            format!("route {} (receiver {:?})", n.slug(), n.opts.receiver.value)
        }
    }

    /// `amtool config routes show`: the whole tree. With `settings`, each
    /// line also shows the route's effective grouping and timers, `*` marking
    /// values set on the route itself.
    pub fn render_show(&self, settings: bool) -> String {
        let mut lines = vec![".".to_string()];
        self.draw(0, "", true, &mut lines, &|n: &Node| {
            let mut s = n.slug();
            if n.continue_ {
                s.push_str("  continue: true");
            }
            s.push_str("  receiver: ");
            s.push_str(&n.opts.receiver.value);
            if settings {
                s.push_str("  ");
                s.push_str(&settings_text(&n.opts));
            }
            s
        });
        format!("Routing tree:\n{}\n\n", lines.join("\n"))
    }

    /// `amtool config routes test --tree`: the branches an alert follows.
    pub fn render_matching<'l>(&self, labels: &impl Fn(&str) -> Option<&'l str>) -> String {
        let mut lines = vec![".".to_string()];
        self.draw_matching(0, "", true, labels, &mut lines);
        format!("Matching routes:\n{}\n\n\n", lines.join("\n"))
    }

    fn draw(
        &self,
        idx: usize,
        prefix: &str,
        last: bool,
        lines: &mut Vec<String>,
        text: &dyn Fn(&Node) -> String,
    ) {
        let n = &self.nodes[idx];
        lines.push(format!(
            "{prefix}{}{}",
            if last { "└── " } else { "├── " },
            text(n)
        ));
        let child_prefix = format!("{prefix}{}", if last { "    " } else { "│\u{a0}\u{a0} " });
        for (i, &c) in n.children.iter().enumerate() {
            self.draw(c, &child_prefix, i + 1 == n.children.len(), lines, text);
        }
    }

    fn draw_matching<'l>(
        &self,
        idx: usize,
        prefix: &str,
        last: bool,
        labels: &impl Fn(&str) -> Option<&'l str>,
        lines: &mut Vec<String>,
    ) {
        let n = &self.nodes[idx];
        let mut matched = Vec::new();
        for &c in &n.children {
            if self.nodes[c].matches(labels) {
                matched.push(c);
                if !self.nodes[c].continue_ {
                    break;
                }
            }
        }
        let mut slug = n.slug();
        if matched.is_empty() {
            slug.push_str("  receiver: ");
            slug.push_str(&n.opts.receiver.value);
        }
        lines.push(format!(
            "{prefix}{}{slug}",
            if last { "└── " } else { "├── " }
        ));
        let child_prefix = format!("{prefix}{}", if last { "    " } else { "│\u{a0}\u{a0} " });
        for (i, &c) in matched.iter().enumerate() {
            self.draw_matching(c, &child_prefix, i + 1 == matched.len(), labels, lines);
        }
    }
}

fn own_ms(
    d: &Option<crate::model::Spanned<crate::model::duration::Duration>>,
) -> Option<Setting<u64>> {
    d.as_ref().map(|d| Setting {
        value: d.value.ms,
        own: true,
    })
}

fn sorted_matchers(route: &Route) -> Vec<(Matcher, String)> {
    let mut v: Vec<(Matcher, Matcher)> = route
        .matchers
        .iter()
        .map(|m| {
            let shown = match m.source {
                MatcherSource::MatchRe => Matcher::new(
                    &m.matcher.name,
                    MatchType::Regexp,
                    &format!("^(?:{})$", m.matcher.value),
                )
                .unwrap_or_else(|_| m.matcher.clone()),
                _ => m.matcher.clone(),
            };
            (m.matcher.clone(), shown)
        })
        .collect();
    v.sort_by(|a, b| (&a.1.name, &a.1.value, a.1.op).cmp(&(&b.1.name, &b.1.value, b.1.op)));
    v.into_iter().map(|(m, s)| (m, s.to_string())).collect()
}

/// `group_by: [a, b]  group_wait: 30s  group_interval: 5m  repeat_interval: 4h`,
/// values set on the route itself marked `*`.
pub fn settings_text(o: &RouteOpts) -> String {
    let star = |own: bool| if own { "*" } else { "" };
    let group = match &o.group_by.value {
        GroupBy::All => "[...]".to_string(),
        GroupBy::Labels(l) => format!("[{}]", l.join(", ")),
    };
    format!(
        "group_by: {group}{}  group_wait: {}{}  group_interval: {}{}  repeat_interval: {}{}",
        star(o.group_by.own),
        format_ms(o.group_wait.value),
        star(o.group_wait.own),
        format_ms(o.group_interval.value),
        star(o.group_interval.own),
        format_ms(o.repeat_interval.value),
        star(o.repeat_interval.own),
    )
}

/// What happens to one label set in the tree, for the lints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trace {
    /// The routes it ends at (their receivers get it), in tree order.
    pub finals: Vec<usize>,
    /// Every route it matched on the way (the root included).
    pub visited: Vec<usize>,
    /// `(earlier, later)`: sibling `later` matches too but `earlier` took the
    /// alert first without `continue`.
    pub swallowed: Vec<(usize, usize)>,
}

impl Tree<'_> {
    /// Follows a label set through the tree, recording what it matched and
    /// which later siblings it never reached.
    pub fn trace<'l>(&self, labels: &impl Fn(&str) -> Option<&'l str>) -> Trace {
        let mut t = Trace::default();
        self.trace_at(0, labels, &mut t);
        t
    }

    fn trace_at<'l>(
        &self,
        idx: usize,
        labels: &impl Fn(&str) -> Option<&'l str>,
        t: &mut Trace,
    ) -> bool {
        let node = &self.nodes[idx];
        if !node.matches(labels) {
            return false;
        }
        t.visited.push(idx);
        let before = t.finals.len();
        let mut taken: Option<usize> = None;
        for &c in &node.children {
            if let Some(earlier) = taken {
                if self.nodes[c].matches(labels) {
                    t.swallowed.push((earlier, c));
                }
                continue;
            }
            if self.trace_at(c, labels, t) && !self.nodes[c].continue_ {
                taken = Some(c);
            }
        }
        if t.finals.len() == before {
            t.finals.push(idx);
        }
        true
    }
}

/// Whether an earlier sibling without `continue` takes every alert `idx`
/// matches ([`Tree::shadowed_by`]).
pub fn fully_shadowed(tree: &Tree, idx: usize) -> bool {
    tree.shadowed_by.get(idx).is_some_and(Option::is_some)
}

/// `(label, value)` keys under which a route that shadows others is
/// indexed: every value its first `=` or literal-alternatives `=~` matcher
/// accepts. A route with such a matcher `l=v` can only cover a sibling that
/// has a matcher on `l` accepting only values it accepts, i.e. `l=x` or
/// `l=~"x|…"` with `x` among its values; that sibling looks itself up under
/// [`narrow_keys`].
fn broad_keys(n: &Node) -> Option<Vec<(String, String)>> {
    n.matchers.iter().find_map(|(m, _)| match m.op {
        _ if super::overlap::is_universal(m) => None,
        MatchType::Equal => Some(vec![(m.name.clone(), m.value.clone())]),
        MatchType::Regexp => super::overlap::literal_alternatives(&m.value)
            .filter(|l| !l.is_empty())
            .map(|l| l.into_iter().map(|v| (m.name.clone(), v)).collect()),
        _ => None,
    })
}

/// The keys a route looks up to find the siblings that may cover it (see
/// [`broad_keys`]): per `=` matcher its value, per literal-alternatives
/// `=~` matcher its first alternative.
fn narrow_keys(n: &Node) -> Vec<(String, String)> {
    n.matchers
        .iter()
        .filter_map(|(m, _)| match m.op {
            MatchType::Equal => Some((m.name.clone(), m.value.clone())),
            MatchType::Regexp => super::overlap::literal_alternatives(&m.value)
                .and_then(|l| l.into_iter().next())
                .map(|v| (m.name.clone(), v)),
            _ => None,
        })
        .collect()
}

/// For siblings `children` (in order), `(child, first earlier sibling that
/// covers it)` for every fully shadowed child. Earlier siblings are indexed
/// by [`broad_keys`], so each child is tried only against the siblings that
/// can cover it (and those without a key), not against every earlier one.
fn shadows(tree: &Tree, children: &[usize]) -> Vec<(usize, usize)> {
    use std::collections::HashMap;
    let mut keyed: HashMap<(String, String), Vec<usize>> = HashMap::new();
    let mut unkeyed: Vec<usize> = Vec::new();
    let mut out = Vec::new();
    let matchers =
        |i: usize| -> Vec<&Matcher> { tree.nodes[i].matchers.iter().map(|m| &m.0).collect() };
    for &c in children {
        let node = &tree.nodes[c];
        if node.route.matchers_complete {
            let narrow = matchers(c);
            let first_unkeyed = unkeyed
                .iter()
                .copied()
                .find(|&b| covers(&matchers(b), &narrow));
            let mut cand: Vec<usize> = narrow_keys(node)
                .iter()
                .filter_map(|k| keyed.get(k))
                .flatten()
                .copied()
                .filter(|&b| first_unkeyed.is_none_or(|u| b < u))
                .collect();
            cand.sort_unstable();
            cand.dedup();
            let by = cand
                .into_iter()
                .find(|&b| covers(&matchers(b), &narrow))
                .or(first_unkeyed);
            if let Some(by) = by {
                out.push((c, by));
            }
        }
        if !node.continue_ && node.route.matchers_complete {
            match broad_keys(node) {
                Some(keys) => {
                    for k in keys {
                        keyed.entry(k).or_default().push(c);
                    }
                }
                None => unkeyed.push(c),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::FileId;
    use crate::source::SourceFile;

    fn config(yaml: &str) -> crate::model::alertmanager::AmConfig {
        let src = SourceFile::from_text("t.yaml", yaml.to_string(), 0);
        let id: FileId = 0;
        let mut loaded =
            crate::model::load_file(id, &src, &crate::model::rules::ExtraFields::default());
        loaded.am_configs.remove(0)
    }

    const YAML: &str = "route:
  receiver: root
  group_by: [alertname]
  routes:
  - matchers: [team=ml]
    receiver: ml
    group_wait: 1m
    continue: true
    routes:
    - match_re: {alertname: 'GPU.*'}
      receiver: gpu
  - matchers: [severity=critical]
    receiver: pager
  - matchers: [team=ml]
    receiver: ml2
receivers: [{name: root}, {name: ml}, {name: gpu}, {name: pager}, {name: ml2}]
";

    #[test]
    fn depth_first_continue_and_inheritance() {
        let cfg = config(YAML);
        let tree = Tree::new(cfg.route.as_ref().unwrap());
        let r = |pairs: &[(&str, &str)]| {
            let m: std::collections::BTreeMap<&str, &str> = pairs.iter().copied().collect();
            tree.receivers(&|k: &str| m.get(k).copied()).join(",")
        };
        assert_eq!(r(&[]), "root");
        assert_eq!(r(&[("team", "ml")]), "ml,ml2");
        assert_eq!(r(&[("team", "ml"), ("alertname", "GPUHot")]), "gpu,ml2");
        assert_eq!(r(&[("team", "ml"), ("severity", "critical")]), "ml,pager");
        let gpu = &tree.nodes[2];
        assert_eq!(gpu.opts.group_wait.value, 60_000);
        assert!(!gpu.opts.group_wait.own);
        assert_eq!(
            gpu.opts.group_by.value,
            GroupBy::Labels(vec!["alertname".into()])
        );
        assert_eq!(gpu.opts.repeat_interval.value, DEFAULT_REPEAT_INTERVAL);
        assert_eq!(gpu.slug(), "{alertname=~\"^(?:GPU.*)$\"}");
        let m: std::collections::BTreeMap<&str, &str> = [("team", "ml"), ("severity", "critical")]
            .into_iter()
            .collect();
        let t = tree.trace(&|k: &str| m.get(k).copied());
        assert_eq!(t.swallowed, vec![(3, 4)]);
        assert_eq!(t.finals, vec![1, 3]);
    }

    #[test]
    fn show_marks_own_settings() {
        let cfg = config(YAML);
        let tree = Tree::new(cfg.route.as_ref().unwrap());
        let out = tree.render_show(false);
        assert!(
            out.contains("├── {team=\"ml\"}  continue: true  receiver: ml\n"),
            "{out}"
        );
        let out = tree.render_show(true);
        assert!(out.contains("group_wait: 1m*"), "{out}");
    }
}
