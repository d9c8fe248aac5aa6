//! `alert-name-style` (ML110): an alert name that is not CamelCase (spaces,
//! `_`, `-`, punctuation) has to be quoted in every matcher, silence and URL,
//! and does not look like the other alerts it is routed with.

use crate::diagnostic::{Applicability, Fix};
use crate::lint::conventions::{NameStyle, name_style};
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

crate::declare_setting! {
    /// `alert_name_style`: the style alert names follow.
    pub static ALERT_NAME_STYLE: String = {
        key: "alert_name_style",
        default: "CamelCase",
        doc: "The style alert names follow: CamelCase, snake_case or any; when unset, the style at least 80% of the run's alert names follow (at least 5 names), else CamelCase.",
        lint: "alert-name-style",
    }
}

/// Alerts of one group whose names depart from the style in the same way
/// (the same text from the first separator on) that make a generated family.
const FAMILY: usize = 3;

impl Lint for AlertNameStyle {
    /// Flags alert names that depart from `alert_name_style`: for CamelCase,
    /// names that contain anything but ASCII letters and digits, or that do
    /// not start with a letter (a lowercase first letter, `etcdMembersDown`,
    /// the etcd mixin's style, is accepted); for snake_case, names that are
    /// not lowercase words joined by `_`. When the config does not set it,
    /// the style is the one most of the run's names follow, so only the odd
    /// ones out are reported (and nothing when the run has no dominant style),
    /// and a generated family (three or more alerts of a group departing
    /// the same way, `CassandraHighLoad(criteo)`) is left alone.
    fn check_rule(&self, cx: &RuleCtx, r: &mut Reporter) {
        let rule = cx.rule;
        if !rule.is_alert() {
            return;
        }
        let name = rule.name.value.as_str();
        let style = cx.config.get(&ALERT_NAME_STYLE).as_str();
        let of_run = match cx.config.origin(&ALERT_NAME_STYLE) {
            Some(o) if !cx.config.is_set(&ALERT_NAME_STYLE) => format!(" ({o})"),
            _ => String::new(),
        };
        if style == "snake_case" {
            if crate::lint::conventions::name_style(name)
                == crate::lint::conventions::NameStyle::SnakeCase
            {
                return;
            }
            r.report(
                rule.name.span,
                format!(
                    "alert name {name:?} is not snake_case, the style of this repository{of_run}"
                ),
            )
            .help("write it as lowercase words joined by `_`, like the other alerts")
            .fix(rename(cx, &snake_case(name), NameStyle::SnakeCase));
            return;
        }
        if style != "CamelCase" {
            return;
        }
        let starts_with_letter = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
        let bad = name.chars().find(|c| !c.is_ascii_alphanumeric());
        let why = match bad {
            Some(c) if c.is_whitespace() => "contains spaces".to_string(),
            Some(c) => format!("contains {c:?}"),
            None if !starts_with_letter => "does not start with a letter".to_string(),
            None => return,
        };
        // A generated family: names of the group that depart the same way
        // (`…(criteo)` on every alert of a catalogue file) are a scheme of
        // their own, not an odd one out.
        let signature = |n: &str| {
            n.find(|c: char| !c.is_ascii_alphanumeric())
                .map(|i| n[i..].to_string())
        };
        let mine = signature(name);
        let family = cx
            .group
            .rules
            .iter()
            .filter(|o| o.is_alert() && mine.is_some() && signature(&o.name.value) == mine)
            .count();
        if family >= FAMILY && !cx.config.is_set(&ALERT_NAME_STYLE) {
            return;
        }
        let fixed = camel_case(name);
        let help = if fixed.is_empty() || fixed == name {
            "use CamelCase: letters and digits only, starting with a letter (`GPUMemoryHigh`)"
                .to_string()
        } else {
            format!("use CamelCase: `alert: {fixed}`")
        };
        r.report(
            rule.name.span,
            format!("alert name {name:?} {why}: it is not CamelCase{of_run}"),
        )
        .help(help)
        .fix(rename(cx, &fixed, NameStyle::CamelCase));
    }
}

/// Renames the alert to `fixed` when that name follows `style` (unsafe:
/// routes, inhibit rules, silences and unit tests that name the alert no
/// longer match it), in the name's own quotes.
fn rename(cx: &RuleCtx, fixed: &str, style: NameStyle) -> Option<Fix> {
    let name = &cx.rule.name;
    if fixed == name.value || name_style(fixed) != style {
        return None;
    }
    let raw = cx.source.text.get(name.span.range())?;
    let quoted = |q: char| {
        raw.strip_prefix(q)
            .and_then(|r| r.strip_suffix(q))
            .is_some_and(|inner| inner == name.value)
    };
    let replacement = if raw == name.value {
        fixed.to_string()
    } else if let Some(q) = ['\'', '"'].into_iter().find(|&q| quoted(q)) {
        format!("{q}{fixed}{q}")
    } else {
        return None;
    };
    Fix::of(
        format!("rename the alert to `{fixed}`"),
        Applicability::Unsafe,
        [crate::lint::fix::replace(
            cx.source,
            name.span,
            raw,
            replacement,
        )],
    )
}

/// `GPUMemoryHigh`, `gpu-memory high` → `gpu_memory_high`: words split at
/// separators and where the case turns upper (the end of an acronym
/// included), lowercased, joined by `_`.
fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1);
        let boundary = c.is_ascii_uppercase()
            && prev.is_some_and(|p| {
                p.is_ascii_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_ascii_uppercase() && next.is_some_and(|n| n.is_ascii_lowercase()))
            });
        if boundary && !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out.trim_end_matches('_').to_string()
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
        assert_eq!(super::snake_case("GPUMemoryHigh"), "gpu_memory_high");
        assert_eq!(super::snake_case("Model-Drift 2"), "model_drift_2");
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

    fn alerts(names: &[&str]) -> String {
        let mut y = String::from("groups:\n- name: g\n  rules:\n");
        for n in names {
            y.push_str(&format!("  - alert: {n}\n    expr: up == 0\n    for: 5m\n"));
        }
        y
    }

    #[test]
    fn the_run_s_own_style_and_its_odd_ones_out() {
        // A snake_case repository: only the CamelCase one is odd.
        let y = alerts(&[
            "gpu_memory_high",
            "node_down",
            "disk_full",
            "model_drift",
            "queue_stuck",
            "LatencyHigh",
        ]);
        let d = run_on(&super::META, &y);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].message.contains("\"LatencyHigh\" is not snake_case"),
            "{}",
            d[0].message
        );
        assert!(
            d[0].message
                .contains("the style 5 of the run's 6 alert names follow"),
            "{}",
            d[0].message
        );
        // A CamelCase repository: the one with spaces is odd.
        let y = alerts(&[
            "GpuMemoryHigh",
            "NodeDown",
            "DiskFull",
            "ModelDrift",
            "'Queue stuck'",
        ]);
        assert_eq!(run_on(&super::META, &y).len(), 1);
        // No dominant style: nothing.
        let y = alerts(&[
            "gpu_memory_high",
            "node_down",
            "DiskFull",
            "ModelDrift",
            "'Queue stuck'",
        ]);
        assert!(run_on(&super::META, &y).is_empty());
    }

    #[test]
    fn generated_families_are_not_odd_ones_out() {
        let y = alerts(&[
            "GpuMemoryHigh",
            "NodeDown",
            "DiskFull",
            "ModelDrift",
            "QueueStuck",
            "A1",
            "A2",
            "A3",
            "A4",
            "A5",
            "A6",
            "A7",
            "A8",
            "A9",
            "A10",
            "A11",
            "A12",
            "A13",
            "A14",
            "A15",
            "CassandraLoad(criteo)",
            "CassandraDrops(criteo)",
            "CassandraHints(criteo)",
            "Lone-Name",
        ]);
        let d = run_on(&super::META, &y);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].message.contains("Lone-Name"), "{}", d[0].message);
    }

    #[test]
    fn fix_renames_in_the_names_quotes() {
        let apply = |n: &str| {
            let y = alert(n);
            let d = run_on(&super::META, &y);
            d[0].fix
                .as_ref()
                .map(|f| crate::lint::fix::apply(&y, &[f]).text)
        };
        assert!(
            apply("'GPU memory high'")
                .unwrap()
                .contains("alert: 'GPUMemoryHigh'\n")
        );
        assert!(
            apply("gpu_memory_high")
                .unwrap()
                .contains("alert: GpuMemoryHigh\n")
        );
        assert_eq!(apply("'5xxHigh'"), None, "still not CamelCase");
    }
}
