//! `mlalert lints`: the catalogue, as a table or JSON.

use serde::Serialize;

use super::{EXIT_OK, ListFormat};
use crate::config::Config;
use crate::lint::registry;

#[derive(Serialize)]
struct Row {
    code: &'static str,
    name: &'static str,
    category: &'static str,
    severity: &'static str,
    default_enabled: bool,
    summary: &'static str,
}

/// Prints the catalogue.
pub fn run(format: ListFormat) -> u8 {
    let defaults = Config::default();
    let rows: Vec<Row> = registry::all()
        .into_iter()
        .map(|m| Row {
            code: m.code,
            name: m.name,
            category: m.category.as_str(),
            severity: m.severity.as_str(),
            default_enabled: defaults.is_enabled(m),
            summary: m.summary,
        })
        .collect();
    match format {
        ListFormat::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&rows).unwrap_or_default()
        ),
        ListFormat::Human => {
            let w = rows.iter().map(|r| r.name.len()).max().unwrap_or(4);
            outln!(
                "{:<6} {:<w$} {:<12} {:<8} SUMMARY",
                "CODE",
                "NAME",
                "CATEGORY",
                "SEVERITY"
            );
            for r in &rows {
                let off = if r.default_enabled {
                    ""
                } else {
                    " (off by default)"
                };
                outln!(
                    "{:<6} {:<w$} {:<12} {:<8} {}{off}",
                    r.code,
                    r.name,
                    r.category,
                    r.severity,
                    r.summary
                );
            }
        }
    }
    EXIT_OK
}
