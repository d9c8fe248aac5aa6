//! Docs as tests: every lint page's front matter matches the registry, its
//! headings are the fixed ones, its Bad example gives exactly one diagnostic
//! of the lint and its Good example none; the README's lint table is current.

use std::path::Path;

use mlalert::config::Config;
use mlalert::lint::{registry, run_sources};
use mlalert::source::SourceFile;

const HEADINGS: [&str; 5] = [
    "## What it does",
    "## Why is this bad?",
    "## Bad",
    "## Good",
    "## Configuration",
];

struct Page {
    file: String,
    front: Vec<(String, String)>,
    text: String,
}

fn pages() -> Vec<Page> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lints");
    let mut out: Vec<Page> = std::fs::read_dir(&dir)
        .expect("lints/")
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| {
            let text = std::fs::read_to_string(e.path()).expect("page");
            let file = e.file_name().to_string_lossy().into_owned();
            let fm = text
                .strip_prefix("---\n")
                .and_then(|t| t.split_once("\n---\n"))
                .map(|(f, _)| f)
                .unwrap_or("");
            let front = fm
                .lines()
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .collect();
            Page { file, front, text }
        })
        .collect();
    out.sort_by(|a, b| a.file.cmp(&b.file));
    out
}

/// The body of section `heading` up to the next `## `.
fn section<'a>(text: &'a str, heading: &str) -> &'a str {
    let start = text
        .find(&format!("{heading}\n"))
        .map(|i| i + heading.len() + 1)
        .unwrap_or(text.len());
    let rest = &text[start..];
    &rest[..rest.find("\n## ").unwrap_or(rest.len())]
}

fn yaml_block(section: &str) -> Option<&str> {
    let start = section.find("```yaml\n")? + 8;
    let end = section[start..].find("\n```")? + start;
    Some(&section[start..=end])
}

#[test]
fn every_lint_has_a_matching_page_and_every_page_a_lint() {
    let pages = pages();
    let all = registry::all();
    for m in &all {
        let name = format!("{}-{}.md", m.code, m.name);
        let page = pages
            .iter()
            .find(|p| p.file == name)
            .unwrap_or_else(|| panic!("lints/{name} missing"));
        let get = |k: &str| {
            page.front
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("code"), Some(m.code), "{name}");
        assert_eq!(get("name"), Some(m.name), "{name}");
        assert_eq!(get("category"), Some(m.category.as_str()), "{name}");
        assert_eq!(get("severity"), Some(m.severity.as_str()), "{name}");
        let mut last = 0;
        for h in HEADINGS {
            let at = page
                .text
                .find(&format!("\n{h}\n"))
                .unwrap_or_else(|| panic!("{name}: no {h:?}"));
            assert!(at > last, "{name}: {h:?} out of order");
            last = at;
        }
    }
    assert_eq!(pages.len(), all.len(), "a page has no lint in the registry");
}

#[test]
fn bad_examples_give_one_diagnostic_and_good_examples_none() {
    let mut checked = 0;
    for page in pages() {
        let code = page.file.split('-').next().unwrap_or("").to_string();
        // `<!-- docs-test: config KEY: VALUE -->` in Bad: the policy the
        // page's examples are checked with (Good too).
        let policy = page
            .text
            .split("<!-- docs-test: config ")
            .nth(1)
            .and_then(|s| s.split(" -->").next())
            .unwrap_or("");
        let cfg_file = tempfile::NamedTempFile::new().expect("temp config");
        // `<!-- docs-test: snapshot PATH -->`: the Prometheus snapshot the
        // examples are checked against (a path from the repository root).
        let snapshot = page
            .text
            .split("<!-- docs-test: snapshot ")
            .nth(1)
            .and_then(|s| s.split(" -->").next())
            .map(|p| {
                format!(
                    "prometheus: {{snapshot: {:?}}}\n",
                    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
                )
            })
            .unwrap_or_default();
        std::fs::write(
            cfg_file.path(),
            format!("enable: [{code}]\n{policy}\n{snapshot}"),
        )
        .expect("write config");
        let config = Config::load(cfg_file.path()).expect("page's config loads");
        let findings = |yaml: &str, which: &str| {
            let src =
                SourceFile::from_text(format!("lints/{}#{which}", page.file), yaml.to_string(), 0);
            // The whole pipeline of a one-file run, project-wide passes included.
            let diags = run_sources(vec![src], &config).diagnostics;
            diags
                .into_iter()
                .filter(|d| d.lint.code == code)
                .collect::<Vec<_>>()
        };
        let count = |yaml: &str, which: &str| findings(yaml, which).len();
        let bad = section(&page.text, "## Bad");
        if !bad.contains("<!-- docs-test: skip -->") {
            let y =
                yaml_block(bad).unwrap_or_else(|| panic!("{}: no yaml block in Bad", page.file));
            assert_eq!(
                count(y, "bad"),
                1,
                "{}: Bad must give exactly one {code}",
                page.file
            );
            checked += 1;
            // The page's "Fix" says which kind of fix the lint offers; its Bad
            // example's finding offers that kind, and a page without one none.
            let fix = findings(y, "bad").remove(0).fix;
            match fix_kind(&page.text) {
                Some(kind) => assert_eq!(
                    fix.as_ref().map(|f| f.applicability),
                    Some(kind),
                    "{}: Bad's finding must offer the fix \"## Fix\" describes",
                    page.file
                ),
                None => assert!(
                    fix.is_none(),
                    "{}: the lint offers a fix: add a \"## Fix\" section",
                    page.file
                ),
            }
        }
        let good = yaml_block(section(&page.text, "## Good"))
            .unwrap_or_else(|| panic!("{}: no yaml in Good", page.file));
        assert_eq!(
            count(good, "good"),
            0,
            "{}: Good must give no {code}",
            page.file
        );
    }
    assert!(checked >= 11, "only {checked} Bad examples checked");
}

/// The kind a page's `## Fix` section names (its first word, `**Safe**`
/// or `**Unsafe**`); `None` without the section. The section sits between
/// Good and Configuration.
fn fix_kind(text: &str) -> Option<mlalert::diagnostic::Applicability> {
    use mlalert::diagnostic::Applicability;
    let at = text.find("\n## Fix\n")?;
    let good = text.find("\n## Good\n").expect("Good");
    let config = text.find("\n## Configuration\n").expect("Configuration");
    assert!(
        good < at && at < config,
        "\"## Fix\" goes between Good and Configuration"
    );
    let body = section(text, "## Fix").trim_start();
    if body.starts_with("**Safe**") {
        Some(Applicability::Safe)
    } else if body.starts_with("**Unsafe**") {
        Some(Applicability::Unsafe)
    } else {
        panic!("\"## Fix\" must start with **Safe** or **Unsafe**");
    }
}

/// Every lint with a fixture pair under `fixtures/fix/` has a page saying
/// which kind of fix it offers.
#[test]
fn lints_with_fixes_have_a_fix_section() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fix");
    let pages = pages();
    for e in std::fs::read_dir(dir)
        .expect("fixtures/fix")
        .filter_map(Result::ok)
    {
        let name = e.file_name().to_string_lossy().into_owned();
        let code = name.split('-').next().unwrap_or("");
        let page = pages
            .iter()
            .find(|p| p.file.starts_with(&format!("{code}-")))
            .unwrap_or_else(|| panic!("{name}: no page"));
        assert!(
            fix_kind(&page.text).is_some(),
            "{}: no \"## Fix\" section",
            page.file
        );
    }
}

#[test]
fn readme_lint_table_is_generated_from_the_registry() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let (start, end) = ("<!-- lint-table:start -->\n", "<!-- lint-table:end -->");
    let a = readme.find(start).expect("start marker") + start.len();
    let b = readme.find(end).expect("end marker");
    let table = registry::markdown_table();
    if readme[a..b] != table {
        if std::env::var_os("MLALERT_BLESS").is_some() {
            std::fs::write(&path, format!("{}{table}{}", &readme[..a], &readme[b..]))
                .expect("write README");
        } else {
            panic!(
                "README.md's lint table is stale: run `MLALERT_BLESS=1 cargo test --test it readme` and commit"
            );
        }
    }
}

/// Every `mlalert …` command in the README's shell blocks parses with the
/// real command line (subcommands and flags exist, values are valid), so
/// the README cannot show a flag that was renamed.
#[test]
fn readme_commands_parse() {
    use clap::Parser as _;
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let mut checked = 0;
    let mut in_sh = false;
    for line in readme.lines() {
        if line.starts_with("```") {
            in_sh = line == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        // The command: after a pipe's `|` when there is one, up to a
        // comment, a redirection or a pipe.
        let cmd = line.rsplit_once("| mlalert ").map_or(line, |(_, c)| c);
        let cmd = cmd.strip_prefix("mlalert ").unwrap_or(cmd);
        if !(line.starts_with("mlalert ") || line.contains("| mlalert ")) {
            continue;
        }
        let cmd = cmd.split(" #").next().unwrap_or("");
        let cmd = cmd.split(['>', '<', '|']).next().unwrap_or("").trim();
        let mut words = vec!["mlalert".to_string()];
        words.extend(
            cmd.split_whitespace()
                .map(|w| w.trim_matches('\'').to_string()),
        );
        if let Err(e) = mlalert::cli::Cli::try_parse_from(&words) {
            panic!("README command `{line}` does not parse: {e}");
        }
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} README commands checked");
}
