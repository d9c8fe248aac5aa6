//! Conformance: every promtool unit-test file listed in
//! `$MLALERT_CORPUS/prometheus/promtool-2.42-results.tsv` gives the exit code
//! Prometheus 3.14 expects (column `upstream_expected_exit_v3.14`, whose
//! notes name the flags some files need).

use std::path::{Path, PathBuf};

/// Files we cannot agree on, with the reason. Each must still disagree (so
/// the list shrinks when support lands).
const EXCEPTIONS: &[(&str, &str)] = &[];

/// One run of a file: extra flags and the exit code Prometheus 3.14 gives.
#[derive(Debug)]
struct Variant {
    args: Vec<String>,
    exit: i32,
}

/// Reads the expectation column: `0`, `1 (note)`, `0 with --ignore-unknown-fields`,
/// `1 without --run; 0 with --run correct; 1 with --run wrong`.
fn variants(col: &str) -> Vec<Variant> {
    let mut out = Vec::new();
    for part in col.split(';') {
        let part = part.split('(').next().unwrap_or("").trim();
        let mut words = part.split_whitespace();
        let Some(exit) = words.next().and_then(|w| w.parse::<i32>().ok()) else {
            continue;
        };
        let rest: Vec<&str> = words.collect();
        let args: Vec<String> = match rest.first() {
            Some(&"with") => rest[1..].iter().map(|s| s.to_string()).collect(),
            _ => Vec::new(),
        };
        out.push(Variant { args, exit });
    }
    out
}

fn run(file: &Path, args: &[String]) -> (i32, String) {
    let out = crate::mlalert()
        .arg("test")
        .args(args)
        .arg(file)
        .output()
        .expect("run mlalert");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string() + &stderr,
    )
}

#[test]
fn promtool_unittest_corpus() {
    let Some(testdata) = crate::corpus("prometheus/cmd/promtool/testdata") else {
        return;
    };
    let root: PathBuf = testdata
        .ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .expect("prometheus root");
    let tsv = std::fs::read_to_string(root.join("promtool-2.42-results.tsv")).expect("read TSV");
    let mut lines = tsv.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    let col = header
        .iter()
        .position(|h| *h == "upstream_expected_exit_v3.14")
        .expect("expected-exit column");
    let (mut agree, mut disagree) = (0usize, 0usize);
    let mut problems = Vec::new();
    let mut files = 0;
    for line in lines {
        let cells: Vec<&str> = line.split('\t').collect();
        let (Some(file), Some(expect)) = (cells.first(), cells.get(col)) else {
            continue;
        };
        files += 1;
        let path = root.join(file);
        let exception = EXCEPTIONS.iter().find(|(f, _)| f == file);
        for v in variants(expect) {
            let (code, output) = run(&path, &v.args);
            if code == v.exit {
                agree += 1;
                assert!(
                    exception.is_none(),
                    "{file} now agrees: remove it from EXCEPTIONS"
                );
            } else {
                disagree += 1;
                match exception {
                    Some((_, why)) => println!("exception: {file} {:?}: {why}", v.args),
                    None => problems.push(format!(
                        "{file} {:?}: want exit {}, got {code}\n{output}",
                        v.args, v.exit
                    )),
                }
            }
        }
    }
    println!("promtool-unittest: agree={agree} disagree={disagree}");
    assert!(files >= 15, "only {files} files listed");
    assert!(
        problems.is_empty(),
        "disagreements:\n{}",
        problems.join("\n")
    );
    assert_eq!(
        disagree,
        EXCEPTIONS.len(),
        "every exception is one disagreement"
    );
}
