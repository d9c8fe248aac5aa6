//! `duplicate-rule-group` (ML108): two rule files of the run define a group
//! with the same name. Prometheus keeps them apart by file, but its rules
//! page, `/api/v1/rules`, and the people reading them see one name for two
//! groups; usually one file is a stale copy of the other.

use std::collections::HashMap;

use crate::lint::{Lint, ProjectCtx, Reporter};

crate::declare_lint! {
    /// The `duplicate-rule-group` lint.
    pub struct DuplicateRuleGroup {
        code: "ML108",
        name: "duplicate-rule-group",
        category: Style,
        severity: Info,
        summary: "two rule files of the run define a rule group with the same name",
    }
}

impl Lint for DuplicateRuleGroup {
    /// Flags every group after the first whose name another rule file of the
    /// same deploy unit (by default one directory; `duplicate_scope: run`
    /// compares every file), another file or another document of a file,
    /// already uses. Two rule CRD objects (PrometheusRule) sharing a group
    /// name are not reported: the operator writes each object to its own
    /// rule file named after the object, and the Rules page and
    /// `/api/v1/rules` show that file beside the name, so teams reuse a
    /// generic name (`example`, `general.rules`) across objects on purpose.
    /// Repeats inside one rule file are `rule-invalid`.
    fn check_project(&self, cx: &ProjectCtx, r: &mut Reporter) {
        // (deploy unit, name) → (file id, rule file index in the run, offset
        // of the name, read from a CRD object)
        type Unit<'u> = (&'u str, &'u str);
        let mut first: HashMap<(Unit, &str), (usize, usize, usize, bool)> = HashMap::new();
        let mut rf_index = 0;
        for f in &cx.files {
            for rf in &f.loaded.rule_files {
                rf_index += 1;
                for g in &rf.groups {
                    let name = g.name.value.as_str();
                    if name.is_empty() {
                        continue;
                    }
                    let unit = super::deploy_unit(cx, f.file, rf);
                    let Some(&(ff, frf, at, fcrd)) = first.get(&(unit, name)) else {
                        first.insert((unit, name), (f.file, rf_index, g.name.span.start, rf.crd));
                        continue;
                    };
                    if frf == rf_index || (fcrd && rf.crd) {
                        continue; // same rule file: rule-invalid; two objects: apart
                    }
                    let Some(pf) = cx.files.iter().find(|x| x.file == ff) else {
                        continue;
                    };
                    let line = pf.source.line_col(at).line;
                    let where_ = if ff == f.file {
                        format!("line {line} of this file")
                    } else {
                        format!("{}:{line}", pf.source.path)
                    };
                    r.report_in(f.file, g.name.span, format!("rule group {name:?} is also defined at {where_}"))
                        .help("give each group a name unique in the deployment (e.g. prefix it with the team or service), or remove the stale copy");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::{run_on, run_on_files};

    const G: &str = "groups:\n- name: gpu\n  rules:\n  - record: a:b:c\n    expr: up\n";

    #[test]
    fn flags_same_group_name_in_two_files_or_documents() {
        let d = run_on_files(&super::META, &[G, G]);
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("test0.yaml:2"), "{}", d[0].message);
        assert_eq!(run_on(&super::META, &format!("{G}---\n{G}")).len(), 1);
    }

    #[test]
    fn prometheus_rule_objects_are_files_of_their_own() {
        let crd = |n: &str| {
            format!(
                "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: {n}\nspec:\n  groups:\n  - name: example\n    rules:\n    - record: a:b:c\n      expr: up\n"
            )
        };
        assert!(run_on_files(&super::META, &[&crd("a"), &crd("b")]).is_empty());
        assert!(run_on(&super::META, &format!("{}---\n{}", crd("a"), crd("b"))).is_empty());
        // A plain rule file next to an object with the same group: a
        // half-done migration, still reported.
        let plain = "groups:\n- name: example\n  rules:\n  - record: a:b:c\n    expr: up\n";
        assert_eq!(run_on_files(&super::META, &[plain, &crd("a")]).len(), 1);
    }

    #[test]
    fn same_file_repeat_is_rule_invalid_and_distinct_names_pass() {
        let twice = format!("{G}- name: gpu\n  rules: []\n");
        assert!(run_on(&super::META, &twice).is_empty());
        let other = "groups:\n- name: cpu\n  rules: []\n";
        assert!(run_on_files(&super::META, &[G, other]).is_empty());
    }
}
