//! The layer table of docs/architecture.md, enforced: every `crate::X`
//! reference in a module's files must name a module its row allows.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Exported macros live at the crate root; they belong to the module that defines them.
const MACROS: &[(&str, &str)] = &[
    ("lint_meta", "diagnostic"),
    ("declare_input_lint", "diagnostic"),
    ("declare_setting", "config"),
    ("declare_lint", "lint"),
];

/// `module → allowed modules` from the table between the layers markers.
fn table() -> BTreeMap<String, Option<BTreeSet<String>>> {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/architecture.md"))
            .expect("docs/architecture.md");
    let start = doc
        .find("<!-- layers:begin -->")
        .expect("layers:begin marker");
    let end = doc.find("<!-- layers:end -->").expect("layers:end marker");
    let mut out = BTreeMap::new();
    for line in doc[start..end].lines().filter(|l| l.starts_with("| `")) {
        let cols: Vec<&str> = line.split('|').map(str::trim).collect();
        let module = cols[1].trim_matches('`').to_string();
        let allowed = cols[3];
        let set = if allowed == "every module" {
            None
        } else {
            Some(
                allowed
                    .split(',')
                    .map(|s| s.trim().trim_matches('`').to_string())
                    .filter(|s| !s.is_empty() && s != "—")
                    .collect(),
            )
        };
        out.insert(module, set);
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir)
        .expect("src dir")
        .filter_map(Result::ok)
    {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The crate modules a file refers to: `crate::X` paths (also inside
/// `use crate::{X, Y}` lists) and `$crate`-less macro calls `crate::m!`.
fn references(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().last();
        rest = &rest[i + 7..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        if let Some(list) = rest.strip_prefix('{') {
            // Top-level items of a (possibly nested) `use crate::{…}` list.
            let (mut depth, mut at_item) = (0usize, true);
            for (j, c) in list.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => at_item = true,
                    c if at_item && (c.is_alphanumeric() || c == '_') => {
                        at_item = false;
                        let name: String = list[j..]
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        if name != "self" {
                            out.insert(name);
                        }
                    }
                    _ => {}
                }
            }
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let is_macro = rest[name.len()..].starts_with('!');
        let module = if is_macro {
            MACROS
                .iter()
                .find(|(m, _)| *m == name)
                .map(|(_, owner)| owner.to_string())
                .unwrap_or(name)
        } else {
            name
        };
        if !module.is_empty() {
            out.insert(module);
        }
    }
    out
}

#[test]
fn no_module_imports_a_layer_it_may_not_use() {
    let table = table();
    assert!(
        table.len() >= 14,
        "layer table not found or incomplete: {table:?}"
    );
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).expect("under src");
        let first = rel.components().next().expect("component");
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if module == "lib" || module == "main" {
            continue;
        }
        let allowed = table.get(&module).unwrap_or_else(|| {
            panic!(
                "module `{module}` ({}) is not in the layer table",
                rel.display()
            )
        });
        let Some(allowed) = allowed else { continue };
        let text = std::fs::read_to_string(f).expect("read");
        for r in references(&text) {
            if r != module && !allowed.contains(&r) {
                violations.push(format!(
                    "{}: uses `{r}`, which `{module}` may not",
                    rel.display()
                ));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "layering violations:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_reference_reader_sees_lists_paths_and_macros() {
    let refs = references(
        "use crate::{model::{X, Y}, source::Span};\nlet a = crate::routing::f();\ncrate::declare_lint! {}\n$crate::lint_meta!()\n",
    );
    let want: BTreeSet<String> = ["model", "source", "routing", "lint"]
        .map(String::from)
        .into();
    assert_eq!(refs, want);
}
