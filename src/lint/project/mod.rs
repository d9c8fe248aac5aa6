//! Whole-project lints, run once over every file of the run: alerting rules
//! checked against every Alertmanager config (ML4xx), and cross-file checks
//! (duplicates across files, companions elsewhere in the run). Each runs
//! through [`crate::lint::Lint::check_project`].

pub mod alert_swallowed;
pub mod alert_unrouted;
pub mod critical_alert_not_paging;
pub mod duplicate_alert;
pub mod duplicate_rule_group;
pub mod group_by_label_missing;
pub mod inhibit_mutes_critical;
pub mod inhibit_rule_dead;
pub mod receiver_unreachable;
pub mod route_unused;
pub mod staleness_alert_never_fires;

/// `"a", "b" and 3 more`.
pub(crate) fn names(list: &[String], max: usize) -> String {
    let shown: Vec<String> = list.iter().take(max).map(|s| format!("`{s}`")).collect();
    let mut out = shown.join(", ");
    if list.len() > max {
        out.push_str(&format!(" and {} more", list.len() - max));
    }
    out
}

/// Receivers of the routes `finals`, comma-joined and quoted.
pub(crate) fn receivers(tree: &crate::routing::tree::Tree, finals: &[usize]) -> String {
    let v: Vec<String> = finals
        .iter()
        .map(|&i| format!("{:?}", tree.nodes[i].opts.receiver.value))
        .collect();
    v.join(", ")
}
pub mod absent_without_down_case;
pub mod annotation_key_misspelled;
pub mod pager_unreachable;
pub mod rule_document_ignored;

/// Reports receiver `r` of config `c`, none of whose `routes` (node
/// indices) any alert of the run reaches, naming it as `what` ("receiver",
/// "paging receiver"), with up to three of the routes as labels.
pub(crate) fn report_unreached_receiver(
    rep: &mut crate::lint::Reporter,
    c: &crate::routing::project::Config,
    r: &crate::model::alertmanager::Receiver,
    routes: &[usize],
    what: &str,
) {
    let name = &r.name.value;
    let mut d = rep
        .report_in(
            c.file,
            r.name.span,
            format!(
                "no alerting rule in this run reaches {what} {name:?}: none of its {} route{} receives an alert",
                routes.len(),
                if routes.len() == 1 { "" } else { "s" }
            ),
        )
        .help("check the matchers of the routes that send to it against the rules' labels");
    for &i in routes.iter().take(3) {
        d = d.label_in(
            c.file,
            c.tree.nodes[i].head(),
            format!("{} is never reached", c.tree.describe(i)),
        );
    }
}

/// The deploy unit of rule file `rf` of file `file` for the duplicate
/// lints: its directory (rule files of one directory load into one
/// Prometheus), or `""` for every file with `duplicate_scope: run`; with
/// the GMP evaluation scope of a rule CRD ([`RuleFile::gmp_scope`], `""`
/// for others), which keeps `Rules` of different namespaces and
/// `ClusterRules` apart in every scope.
///
/// [`RuleFile::gmp_scope`]: crate::model::rules::RuleFile::gmp_scope
pub(crate) fn deploy_unit<'a>(
    cx: &'a crate::lint::ProjectCtx,
    file: usize,
    rf: &'a crate::model::rules::RuleFile,
) -> (&'a str, &'a str) {
    let gmp = rf.gmp_scope.as_deref().unwrap_or("");
    if cx.config.get(&duplicate_alert::DUPLICATE_SCOPE) == "run" {
        return ("", gmp);
    }
    let dir = cx
        .files
        .iter()
        .find(|f| f.file == file)
        .and_then(|f| std::path::Path::new(&f.source.path).parent())
        .and_then(|p| p.to_str())
        .unwrap_or("");
    (dir, gmp)
}

/// A rule that writes the same series (alerts, or recorded samples) as an
/// earlier one of its deploy unit.
pub(crate) struct Duplicate<'a> {
    /// Its file.
    pub file: usize,
    /// The rule.
    pub rule: &'a crate::model::rules::Rule,
    /// Its static labels, for messages (`severity="warning"`, or `no labels`).
    pub labels: String,
    /// Where the first one is: `line N` in the same file, else `path:N`.
    pub first_at: String,
    /// The first one's name, when in the same file (for a label).
    pub first_span: Option<crate::source::Span>,
}

/// Every alerting (`alerting`) or recording rule after the first of its
/// deploy unit ([`deploy_unit`]) with the same name and the same static
/// labels (the rule's and its group's, empty values dropped) whose results
/// can share a label set ([`crate::promql::labels::disjoint`] says they
/// cannot when matchers, aggregations or label values keep them apart).
/// Output labels are computed only when two rules share a key.
pub(crate) fn same_series_rules<'a>(
    cx: &'a crate::lint::ProjectCtx,
    alerting: bool,
) -> Vec<Duplicate<'a>> {
    use crate::model::rules::Rule;
    use crate::promql::labels::{LabelSet, disjoint};
    use std::collections::{BTreeMap, HashMap};
    type Key<'k> = ((&'k str, &'k str), &'k str, BTreeMap<&'k str, &'k str>);
    let labels_of = |r: &Rule| -> Vec<LabelSet> {
        r.expr
            .as_ref()
            .map(|e| e.output_labels().to_vec())
            .unwrap_or_default()
    };
    // Conditions that never hold at once for one series (`x == 0` and
    // `x > 0`): the two rules never write the same series together.
    let exclusive = |a: &Rule, b: &Rule| {
        let ast = |r: &Rule| r.expr.as_ref().and_then(|e| e.ast.clone());
        match (ast(a), ast(b)) {
            (Some(x), Some(y)) => crate::promql::conditions::exclusive_conditions(&x, &y),
            _ => false,
        }
    };
    // One alert name for several causes (the Cortex and SNMP mixins): each
    // rule reads metrics the other does not, and its annotations say which
    // cause it is. Written on purpose; not a copy left behind.
    let several_causes = |a: &Rule, b: &Rule| {
        let names = |r: &Rule| -> std::collections::BTreeSet<String> {
            let mut out = std::collections::BTreeSet::new();
            if let Some(ast) = r.expr.as_ref().and_then(|e| e.ast.as_ref()) {
                crate::promql::analysis::walk(ast, &mut |e| {
                    if let Some(n) = crate::promql::analysis::selector_name(e) {
                        out.insert(n.to_string());
                    }
                });
            }
            out
        };
        let notes = |r: &Rule| -> BTreeMap<String, String> {
            r.annotations
                .iter()
                .map(|kv| (kv.key.value.clone(), kv.value.value.clone()))
                .collect()
        };
        let (na, nb) = (names(a), names(b));
        alerting
            && !na.is_empty()
            && !nb.is_empty()
            && na.is_disjoint(&nb)
            && !a.annotations.is_empty()
            && notes(a) != notes(b)
    };
    let mut seen: HashMap<Key, Vec<(usize, usize, &Rule)>> = HashMap::new();
    let mut out = Vec::new();
    let rules = cx.files.iter().flat_map(|f| {
        f.loaded.rule_files.iter().flat_map(move |rf| {
            rf.groups
                .iter()
                .flat_map(move |g| g.rules.iter().map(move |r| (f, rf, g, r)))
        })
    });
    for (f, rf, g, r) in rules {
        if r.is_alert() != alerting {
            continue;
        }
        let key = (
            deploy_unit(cx, f.file, rf),
            r.name.value.as_str(),
            g.static_labels(r),
        );
        let statics = key.2.clone();
        let ignore = |l: &str| l == "__name__" || statics.contains_key(l);
        let earlier = seen.entry(key.clone()).or_default();
        let clash = if earlier.is_empty() {
            None
        } else {
            let out_labels = labels_of(r);
            earlier
                .iter()
                .find(|(_, _, other)| {
                    let o = labels_of(other);
                    (o.is_empty() || out_labels.is_empty() || !disjoint(&o, &out_labels, &ignore))
                        && !exclusive(r, other)
                        && !several_causes(r, other)
                })
                .map(|(ff, at, _)| (*ff, *at))
        };
        earlier.push((f.file, r.name.span.start, r));
        let Some((ff, at)) = clash else {
            continue;
        };
        let Some(pf) = cx.files.iter().find(|x| x.file == ff) else {
            continue;
        };
        let first_at = if ff == f.file {
            format!("line {}", pf.source.line_col(at).line)
        } else {
            format!("{}:{}", pf.source.path, pf.source.line_col(at).line)
        };
        let labels = if key.2.is_empty() {
            "no labels".to_string()
        } else {
            key.2
                .iter()
                .map(|(k, v)| format!("{k}={v:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push(Duplicate {
            file: f.file,
            rule: r,
            labels,
            first_at,
            first_span: (ff == f.file)
                .then(|| crate::source::Span::new(at, at + r.name.value.len())),
        });
    }
    out
}
pub mod duplicate_recording_rule;

/// Reports every [`same_series_rules`] duplicate of kind `alerting` at its
/// name, with `message` for it, `help`, and a label on the first one when
/// it is in the same file.
pub(crate) fn report_duplicates(
    cx: &crate::lint::ProjectCtx,
    rep: &mut crate::lint::Reporter,
    alerting: bool,
    message: impl Fn(&Duplicate) -> String,
    help: &str,
) {
    for d in same_series_rules(cx, alerting) {
        let mut f = rep
            .report_in(d.file, d.rule.name.span, message(&d))
            .help(help);
        if let Some(span) = d.first_span {
            f = f.label(span, "first defined here");
        }
    }
}
pub mod recording_rule_missing;
pub mod selector_matches_no_series;
