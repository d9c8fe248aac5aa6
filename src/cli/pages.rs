//! The lint pages (`lints/<CODE>-<name>.md`), embedded at build time.

include!(concat!(env!("OUT_DIR"), "/pages.rs"));

/// The page of the lint with this code, if there is one.
pub fn page(code: &str) -> Option<&'static str> {
    PAGES
        .iter()
        .find(|(name, _)| name.split('-').next() == Some(code))
        .map(|(_, text)| *text)
}
