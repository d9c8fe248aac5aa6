//! Embeds the lint pages (`lints/*.md`) for `mlalert explain`.

use std::fmt::Write as _;

fn main() {
    println!("cargo:rerun-if-changed=lints");
    let mut pages: Vec<String> = std::fs::read_dir("lints")
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".md"))
                .collect()
        })
        .unwrap_or_default();
    pages.sort();
    let mut out = String::from(
        "/// `(file name, contents)` of every page in `lints/`.\npub static PAGES: &[(&str, &str)] = &[\n",
    );
    for p in &pages {
        let _ = writeln!(
            out,
            "    ({p:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/lints/{p}\"))),"
        );
    }
    out.push_str("];\n");
    let dest = std::path::Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("pages.rs");
    std::fs::write(dest, out).expect("write pages.rs");
}
