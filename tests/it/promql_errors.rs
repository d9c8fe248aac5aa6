//! The PromQL front end against promtool's own verdicts: every expression of
//! `tests/it/promql/errors.in`, parsed as the Prometheus version of each
//! table, gives promtool's message (`LINE:COL: parse error: TEXT`) or, for
//! `OK`, no error. The tables come from `scripts/promql-errors.py`.

use mlalert::promql::syntax::{self, Options};

/// Reads a TSV table: (expression, expected message) with the escapes of
/// `tests/it/promql/README.md`.
fn table(name: &str) -> Vec<(String, String)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/promql")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("table present");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let (e, m) = l.split_once('\t')?;
            Some((unescape(e), unescape(m)))
        })
        .collect()
}

fn unescape(s: &str) -> String {
    if s == "\\e" {
        return String::new();
    }
    let mut out = String::new();
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// What our parser says, in the table's terms.
fn verdict(expr: &str, opts: &Options) -> String {
    match syntax::parse(expr, opts) {
        Ok(_) => "OK".into(),
        Err(errs) => errs[0].prometheus_text(expr),
    }
}

fn compare(name: &str, opts: &Options, known: &[&str]) {
    let mut wrong = Vec::new();
    let rows = table(name);
    for (expr, want) in &rows {
        if want.starts_with("rulefmt: ") || known.contains(&expr.as_str()) {
            continue;
        }
        let got = verdict(expr, opts);
        if &got != want {
            wrong.push(format!(
                "  {expr:?}\n    promtool: {want}\n    mlalert:  {got}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} expressions of {name} differ from promtool:\n{}",
        wrong.len(),
        rows.len(),
        wrong.join("\n")
    );
}

#[test]
fn errors_match_promtool_3_5() {
    compare("errors.tsv", &Options::for_version((3, 5)), &[]);
}

#[test]
fn errors_match_promtool_3_5_with_experimental_functions() {
    let opts = Options {
        experimental_functions: true,
        ..Options::for_version((3, 5))
    };
    compare("errors-experimental.tsv", &opts, &[]);
}

/// Expressions where mlalert, parsing as 2.42, gives 3.x's message: the
/// 2.x lexer read only durations inside `[...]` (`missing unit character
/// in duration`, `bad duration syntax`) and scanned numbers without `_`;
/// mlalert lexes brackets and numbers as 3.x for every version. And 2.x
/// compiled a regex of bytes that are not UTF-8 (`"\\xff"`) and refused it
/// (`invalid UTF-8`), where 3.x and mlalert accept it.
const KNOWN_2X: &[&str] = &[
    "x{a=~\"\\xff\"}",
    "1_000",
    "x[",
    "x[5]",
    "x[5mm]",
    "x[1y2y]",
    "x[-5m]",
    "x[1e100]",
    "x[5m:-1m]",
    "x[5M]",
    "x[1.5m]",
    "x[99999999999999999999s]",
    "1e",
    "1..2",
    "1.2.3",
    "1e+",
    "x[:5m]",
    "x[5m * 2]",
    "x[5m + 1m]",
    "x[\n5mm]",
];

#[test]
fn errors_match_promtool_2_42() {
    compare("errors-2x.tsv", &Options::for_version((2, 42)), KNOWN_2X);
    // Every listed expression still differs (else it leaves the list).
    let rows = table("errors-2x.tsv");
    let opts = Options::for_version((2, 42));
    for k in KNOWN_2X {
        let (e, want) = rows
            .iter()
            .find(|(e, _)| e == k)
            .expect("listed expression in the table");
        assert_ne!(
            &verdict(e, &opts),
            want,
            "{k:?} now matches promtool 2.42: remove it from KNOWN_2X"
        );
    }
}
