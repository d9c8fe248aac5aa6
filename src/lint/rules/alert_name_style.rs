//! `alert-name-style` (ML110): an alert name that is not CamelCase (spaces,
//! `_`, `-`, punctuation) has to be quoted in every matcher, silence and URL,
//! and does not look like the other alerts it is routed with.

use crate::lint::{Lint, Reporter, RuleCtx};

crate::declare_lint! {
    /// The `alert-name-style` lint.
    pub struct AlertNameStyle {
        code: "ML110",
        name: "alert-name-style",
        category: Style,
        severity: Info,
        summary: "an alert name is not CamelCase (spaces, `_`, `-` or punctuation)",
    }
}

impl Lint for AlertNameStyle {
    /// Flags alert names that contain anything but ASCII letters and digits,
    /// or that do not start with a letter. A lowercase first letter
    /// (`etcdMembersDown`, the etcd mixin's style) is accepted.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let rule = cx.rule;
        if !rule.is_alert() {
            return;
        }
        let name = rule.name.value.as_str();
        let starts_with_letter = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
        let bad = name.chars().find(|c| !c.is_ascii_alphanumeric());
        let why = match bad {
            Some(c) if c.is_whitespace() => "contains spaces".to_string(),
            Some(c) => format!("contains {c:?}"),
            None if !starts_with_letter => "does not start with a letter".to_string(),
            None => return,
        };
        let fixed = camel_case(name);
        let help = if fixed.is_empty() || fixed == name {
            "use CamelCase: letters and digits only, starting with a letter (`GPUMemoryHigh`)"
                .to_string()
        } else {
            format!("use CamelCase: `alert: {fixed}`")
        };
        r.report(
            rule.name.span,
            format!("alert name {name:?} {why}: it is not CamelCase"),
        )
        .help(help);
    }
}

/// `gpu memory_high-now` → `GpuMemoryHighNow`: pieces between separators
/// with their first letter uppercased, the rest kept (`GPU_Temp` → `GPUTemp`).
fn camel_case(name: &str) -> String {
    let mut out = String::new();
    for piece in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = piece.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    fn alert(name: &str) -> String {
        format!("groups:\n- name: g\n  rules:\n  - alert: {name}\n    expr: up == 0\n")
    }

    #[test]
    fn flags_spaces_separators_and_leading_digits() {
        for n in [
            "'GPU memory high'",
            "gpu_memory_high",
            "Model-Drift",
            "'Disk.Full'",
            "'5xxHigh'",
        ] {
            assert_eq!(run_on(&super::META, &alert(n)).len(), 1, "{n}");
        }
        let d = run_on(&super::META, &alert("gpu_memory_high"));
        assert!(d[0].help.as_deref().unwrap().contains("GpuMemoryHigh"));
        let d = run_on(&super::META, &alert("GPU_Temp"));
        assert!(d[0].help.as_deref().unwrap().contains("GPUTemp"));
    }

    #[test]
    fn passes_camel_case() {
        for n in [
            "GPUMemoryHigh",
            "etcdMembersDown",
            "Watchdog",
            "KubeAPIErrorBudgetBurn",
        ] {
            assert!(run_on(&super::META, &alert(n)).is_empty(), "{n}");
        }
    }
}
