//! `mlalert explain CODE|NAME`: prints a lint's page.

use super::{EXIT_ERROR, EXIT_OK};
use crate::lint::registry;

/// Prints the page of `lint` (a code or a name); exit 2 when unknown.
pub fn run(lint: &str) -> u8 {
    let Some(meta) = registry::find(lint) else {
        eprintln!("mlalert: unknown lint {lint:?}; `mlalert lints` lists them");
        return EXIT_ERROR;
    };
    match Some(meta.page).filter(|p| !p.is_empty()) {
        Some(text) => {
            out!("{text}");
            EXIT_OK
        }
        None => {
            outln!(
                "{} {} ({}, {}): {}",
                meta.code,
                meta.name,
                meta.category.as_str(),
                meta.severity.as_str(),
                meta.summary
            );
            EXIT_OK
        }
    }
}
