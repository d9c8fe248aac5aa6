//! Go's `path/filepath`: lexical path cleaning.

use std::path::{Path, PathBuf};

/// A path cleaned lexically as Go's `filepath.Clean` (which `filepath.Join`
/// applies, as promtool does to a test file's directory and a `rule_files`
/// entry): `.` components dropped, `dir/..` removed, `..` kept only where
/// it climbs above a relative path's start (and dropped at the root).
pub fn clean(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            c => out.push(c),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_as_go_does() {
        let c = |s: &str| clean(Path::new(s)).to_string_lossy().to_string();
        assert_eq!(c("tests/../rules/a.yml"), "rules/a.yml");
        assert_eq!(c("./tests/./a.yml"), "tests/a.yml");
        assert_eq!(c("../a.yml"), "../a.yml");
        assert_eq!(c("a/../../b/*.yml"), "../b/*.yml");
        assert_eq!(c("/x/../../y.yml"), "/y.yml");
        assert_eq!(c("a/.."), ".");
    }
}
