//! `mlalert routes show|test|coverage`: the Alertmanager routing tree.
//!
//! `test` prints the receivers a label set reaches as `amtool config routes
//! test` does (tree order, comma-joined, duplicates kept); `show` draws the
//! tree with each route's effective settings (`--amtool`: exactly amtool's
//! drawing); `coverage` routes every alerting rule of PATHS through the tree.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueEnum};

use super::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::config::Config;
use crate::diagnostic::input::alertmanager_invalid;
use crate::lint::{Diagnostic, ProjectFile};
use crate::model::alertmanager::AmConfig;
use crate::model::alertmanager::matchers::{MatchType, ParserMode, parse_matcher};
use crate::model::rules::ExtraFields;
use crate::model::{LoadedFile, load_file};
use crate::routing::alerts::choice_text;
use crate::routing::inhibit::Sides;
use crate::routing::project::{Alert, Analysis};
use crate::routing::tree::Tree;
use crate::source::{SourceFile, walk_paths};

/// `mlalert routes` subcommands.
#[derive(Debug, Subcommand)]
pub enum RoutesCommand {
    /// Draw the routing tree with the settings each route inherits.
    Show {
        /// Alertmanager config: a plain file, or a Secret/ConfigMap embedding it.
        #[arg(long)]
        config: PathBuf,
        /// Print exactly what `amtool config routes show` prints.
        #[arg(long)]
        amtool: bool,
    },
    /// Print the receivers a label set reaches, as amtool does.
    Test {
        /// Alertmanager config: a plain file, or a Secret/ConfigMap embedding it.
        #[arg(long)]
        config: PathBuf,
        /// Also draw the routes the label set follows.
        #[arg(long)]
        tree: bool,
        /// Exit 1 unless the receivers are exactly these (comma-separated, in order).
        #[arg(long, value_name = "A,B")]
        verify_receivers: Option<String>,
        /// Labels as `name=value`.
        labels: Vec<String>,
    },
    /// Every alerting rule of PATHS → the receivers it reaches, and the
    /// inhibit rules that can mute it.
    Coverage {
        /// Alertmanager config: a plain file, or a Secret/ConfigMap embedding it.
        #[arg(long)]
        config: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = CoverageFormat::Human)]
        format: CoverageFormat,
        /// Rule files and directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

/// Output formats of `routes coverage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CoverageFormat {
    /// An aligned table.
    Human,
    /// One JSON object.
    Json,
    /// A Markdown table.
    Markdown,
}

/// Runs `mlalert routes …`; returns the exit code.
pub fn run(cmd: &RoutesCommand) -> u8 {
    match cmd {
        RoutesCommand::Show { config, amtool } => with_config(config, |_, _, am| {
            let Some(root) = &am.route else {
                eprintln!("mlalert: the config has no route");
                return EXIT_ERROR;
            };
            out!("{}", Tree::new(root).render_show(!amtool));
            if !amtool {
                outln!(
                    "(settings marked * are set on the route itself; the others are inherited or Alertmanager's defaults)"
                );
            }
            EXIT_OK
        }),
        RoutesCommand::Test {
            config,
            tree,
            verify_receivers,
            labels,
        } => with_config(config, |_, _, am| {
            let Some(root) = &am.route else {
                eprintln!("mlalert: the config has no route");
                return EXIT_ERROR;
            };
            let mut set: BTreeMap<String, String> = BTreeMap::new();
            for l in labels {
                match parse_matcher(l, ParserMode::Fallback) {
                    Ok(m) if m.op == MatchType::Equal => {
                        set.insert(m.name, m.value);
                    }
                    Ok(_) => {
                        eprintln!("mlalert: labels must be specified as key=value pairs");
                        return EXIT_ERROR;
                    }
                    Err(e) => {
                        eprintln!("mlalert: failed to parse labels: {e}");
                        return EXIT_ERROR;
                    }
                }
            }
            let t = Tree::new(root);
            let get = |k: &str| set.get(k).map(String::as_str);
            if *tree {
                out!("{}", t.render_matching(&get));
            }
            let got = t.receivers(&get).join(",");
            outln!("{got}");
            match verify_receivers {
                Some(want) if *want != got => {
                    outln!("WARNING: Expected receivers did not match resolved receivers.");
                    EXIT_FINDINGS
                }
                _ => EXIT_OK,
            }
        }),
        RoutesCommand::Coverage {
            config,
            format,
            paths,
        } => coverage(config, *format, paths),
    }
}

/// Reads `path` with the one reader and its byte limit, as a [`SourceFile`].
pub(crate) fn read_source(path: &Path) -> Result<SourceFile, String> {
    // The one reader, with its byte limit (`routes --config`, `routes coverage` paths).
    let bytes = crate::source::read_file(path).map_err(|e| format!("{}: {e}", path.display()))?;
    // `path:line: file is not valid UTF-8 (invalid byte 0xNN)`, as `lint` says it.
    SourceFile::new(path.display().to_string(), bytes).map_err(|e| e.to_string())
}

/// Loads the config file and runs `f` on its first Alertmanager config.
fn with_config(path: &Path, f: impl FnOnce(&SourceFile, &LoadedFile, &AmConfig) -> u8) -> u8 {
    let source = match read_source(path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("mlalert: {e}");
            return EXIT_ERROR;
        }
    };
    let loaded = load_file(0, &source, &ExtraFields::default());
    match first_valid(&source, &loaded) {
        Ok(am) => f(&source, &loaded, am),
        Err(code) => code,
    }
}

/// Prints each of `loaded`'s findings that are input failures
/// ([`crate::lint::is_input_failure`]: not YAML) and, with `am_invalid`,
/// Alertmanager's refusals, as `mlalert: path:line:column: message` on
/// stderr; returns how many.
fn report_input_errors(source: &SourceFile, loaded: &LoadedFile, am_invalid: bool) -> usize {
    let errors: Vec<&Diagnostic> = loaded
        .diagnostics
        .iter()
        .filter(|d| {
            crate::lint::is_input_failure(d)
                || (am_invalid && d.lint.code == alertmanager_invalid::META.code)
        })
        .collect();
    for d in &errors {
        let lc = source.line_col(d.span.start);
        eprintln!(
            "mlalert: {}:{}:{}: {}",
            source.path, lc.line, lc.column, d.message
        );
    }
    errors.len()
}

fn first_valid<'a>(source: &SourceFile, loaded: &'a LoadedFile) -> Result<&'a AmConfig, u8> {
    let Some(am) = loaded.am_configs.first() else {
        // A YAML error hides the config: say where, as `lint` does.
        if loaded.yaml_error && report_input_errors(source, loaded, false) > 0 {
            return Err(EXIT_ERROR);
        }
        eprintln!(
            "mlalert: {}: no Alertmanager config found (a file with `route:`, or a Secret/ConfigMap embedding one)",
            source.path
        );
        return Err(EXIT_ERROR);
    };
    if (loaded.yaml_error || !am.valid) && report_input_errors(source, loaded, true) > 0 {
        return Err(EXIT_ERROR);
    }
    Ok(am)
}

/// One alert's row of the coverage table.
struct Row {
    alert: String,
    path: String,
    line: usize,
    /// (conditions, receivers) per distinct outcome.
    routes: Vec<(Vec<String>, Vec<String>)>,
    /// Inhibit rules (1-based index, line, example sources).
    muted_by: Vec<(usize, usize, Vec<String>)>,
}

fn coverage(config: &Path, format: CoverageFormat, paths: &[PathBuf]) -> u8 {
    let am_source = match read_source(config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("mlalert: {e}");
            return EXIT_ERROR;
        }
    };
    let extra = Config::default().extra_fields;
    let am_loaded = load_file(0, &am_source, &extra);
    if let Err(code) = first_valid(&am_source, &am_loaded) {
        return code;
    }
    let (files, walk_errors) = walk_paths(paths);
    for e in &walk_errors {
        eprintln!("mlalert: {}: {}", e.path, e.message);
    }
    // A rule file that cannot be read or is not YAML is reported, and the
    // run exits 2 after printing the table for the others: its alerts are
    // missing from it.
    let mut failed = !walk_errors.is_empty();
    let am_canon = std::fs::canonicalize(config).ok();
    let mut sources = Vec::new();
    for p in files {
        if am_canon.is_some() && std::fs::canonicalize(&p).ok() == am_canon {
            continue;
        }
        match read_source(&p) {
            Ok(s) => sources.push(s),
            Err(e) => {
                eprintln!("mlalert: {e}");
                failed = true;
            }
        }
    }
    let loaded: Vec<LoadedFile> = sources
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut l = load_file(i + 1, s, &extra);
            l.am_configs.clear();
            l
        })
        .collect();
    for (s, l) in sources.iter().zip(&loaded) {
        if l.yaml_error {
            report_input_errors(s, l, false);
            failed = true;
        }
    }
    if loaded.iter().all(|l| l.alert_count() == 0) {
        // An empty table would read as "every alert is routed".
        eprintln!(
            "mlalert: no alerting rule in {}: nothing to route (name the rule files, PrometheusRules or ConfigMaps that hold them)",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return EXIT_ERROR;
    }
    let Some(text) = coverage_text(&am_source, &am_loaded, &sources, &loaded, format) else {
        eprintln!("mlalert: the config has no usable route");
        return EXIT_ERROR;
    };
    out!("{text}");
    if failed { EXIT_ERROR } else { EXIT_OK }
}

/// The `routes coverage` output for every alerting rule of `rules` (file
/// ids 1.., `loaded` their models, Alertmanager configs cleared) routed
/// through the first Alertmanager config of `am_loaded` (file 0), with the
/// inhibit rules that can mute each: one row per alert, so the output grows
/// with alerts × inhibit rules (and the muting alerts' names in JSON).
/// `None` when that config has no usable route (invalid, or a matcher that
/// did not parse).
pub fn coverage_text(
    am_source: &SourceFile,
    am_loaded: &LoadedFile,
    rules: &[SourceFile],
    loaded: &[LoadedFile],
    format: CoverageFormat,
) -> Option<String> {
    let mut pf = vec![ProjectFile {
        file: 0,
        source: am_source,
        loaded: am_loaded,
    }];
    for (i, (s, l)) in rules.iter().zip(loaded).enumerate() {
        pf.push(ProjectFile {
            file: i + 1,
            source: s,
            loaded: l,
        });
    }
    // External labels a prometheus.yml among the paths states.
    let external: Vec<(String, String)> = loaded
        .iter()
        .flat_map(|l| &l.external_labels)
        .map(|(k, v, _)| (k.clone(), v.clone()))
        .collect();
    let an = Analysis::new(&pf, &external);
    let c = an.configs.iter().find(|c| c.file == 0)?;
    let path_of = |file: usize| pf[file].source.path.clone();
    // Each inhibit rule's sides, evaluated once for every alert.
    let sides: Vec<(usize, usize, Sides)> =
        c.am.inhibit_rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.complete)
            .map(|(i, rule)| {
                (
                    i + 1,
                    am_source.line_col(rule.span.start).line,
                    Sides::new(rule, &an.alerts),
                )
            })
            .collect();
    let rows: Vec<Row> = an
        .alerts
        .iter()
        .zip(&c.routed)
        .enumerate()
        .map(|(ai, (a, r))| {
            let mut routes: Vec<(Vec<String>, Vec<String>)> = Vec::new();
            for (sc, t) in &r.likely {
                let recv: Vec<String> = t
                    .finals
                    .iter()
                    .map(|&i| c.tree.nodes[i].opts.receiver.value.clone())
                    .collect();
                let when: Vec<String> = sc.choices.iter().map(|(n, v)| choice_text(n, v)).collect();
                match routes.iter_mut().find(|(_, x)| *x == recv) {
                    Some((w, _)) => w.push(when.join(", ")),
                    None => routes.push((vec![when.join(", ")], recv)),
                }
            }
            Row {
                alert: a.name().to_string(),
                path: path_of(a.file),
                line: pf[a.file].source.line_col(a.rule.name.span.start).line,
                routes,
                muted_by: muted_by(&sides, &an.alerts, ai),
            }
        })
        .collect();
    Some(match format {
        CoverageFormat::Json => coverage_json(&am_source.path, &rows),
        CoverageFormat::Markdown => coverage_table(&rows, true),
        CoverageFormat::Human => coverage_table(&rows, false),
    })
}

/// The inhibit rules (1-based index, line) that may mute alert number
/// `alert` of `alerts`, each with the alerts that may mute it through that
/// rule; `sides` are the config's complete inhibit rules with their index.
fn muted_by(
    sides: &[(usize, usize, Sides)],
    alerts: &[Alert],
    alert: usize,
) -> Vec<(usize, usize, Vec<String>)> {
    sides
        .iter()
        .filter_map(|(i, line, s)| {
            let muters = s.muters(alert);
            (!muters.is_empty()).then(|| {
                let mut names: Vec<String> = Vec::new();
                let mut seen = std::collections::HashSet::new();
                for m in muters {
                    if seen.insert(alerts[m].name()) {
                        names.push(alerts[m].name().to_string());
                    }
                }
                (*i, *line, names)
            })
        })
        .collect()
}

fn route_text(routes: &[(Vec<String>, Vec<String>)]) -> String {
    if routes.len() == 1 {
        return routes[0].1.join(", ");
    }
    let parts: Vec<String> = routes
        .iter()
        .map(|(when, recv)| {
            let w: Vec<&str> = when.iter().map(String::as_str).take(3).collect();
            let more = if when.len() > 3 { " …" } else { "" };
            format!("{}{more} → {}", w.join(" | "), recv.join(", "))
        })
        .collect();
    let labels: std::collections::BTreeSet<String> = routes
        .iter()
        .flat_map(|(w, _)| w.iter())
        .flat_map(|w| w.split(", "))
        .filter_map(|c| c.split(['=', ' ']).next().map(str::to_string))
        .collect();
    format!(
        "depends on label {}: {}",
        labels.into_iter().collect::<Vec<_>>().join(", "),
        parts.join("; ")
    )
}

fn muted_text(m: &[(usize, usize, Vec<String>)]) -> String {
    if m.is_empty() {
        return "-".to_string();
    }
    m.iter()
        .map(|(i, line, s)| {
            let shown: Vec<&str> = s.iter().map(String::as_str).take(3).collect();
            let more = if s.len() > 3 {
                format!(" +{}", s.len() - 3)
            } else {
                String::new()
            };
            format!("#{i} (line {line}) by {}{more}", shown.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn coverage_table(rows: &[Row], markdown: bool) -> String {
    let header = ["ALERT", "RULE", "RECEIVERS", "MUTED BY"];
    let cells: Vec<[String; 4]> = rows
        .iter()
        .map(|r| {
            [
                r.alert.clone(),
                format!("{}:{}", r.path, r.line),
                route_text(&r.routes),
                muted_text(&r.muted_by),
            ]
        })
        .collect();
    let mut out = String::new();
    if markdown {
        out.push_str("| Alert | Rule | Receivers | Muted by |\n|---|---|---|---|\n");
        for c in &cells {
            let esc: Vec<String> = c.iter().map(|x| x.replace('|', "\\|")).collect();
            out.push_str(&format!("| {} |\n", esc.join(" | ")));
        }
        return out;
    }
    let mut w = header.map(|h| h.chars().count());
    for c in &cells {
        for i in 0..3 {
            w[i] = w[i].max(c[i].chars().count());
        }
    }
    let line = |c: [&str; 4]| {
        let mut s = String::new();
        for i in 0..3 {
            s.push_str(c[i]);
            s.push_str(&" ".repeat(w[i] - c[i].chars().count() + 2));
        }
        s.push_str(c[3]);
        s.trim_end().to_string() + "\n"
    };
    out.push_str(&line(header));
    for c in &cells {
        out.push_str(&line([&c[0], &c[1], &c[2], &c[3]]));
    }
    out
}

fn coverage_json(config: &str, rows: &[Row]) -> String {
    let alerts: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            serde_json::json!({
                "alert": r.alert,
                "path": r.path,
                "line": r.line,
                "routes": r.routes.iter().map(|(when, recv)| serde_json::json!({
                    "when": when.iter().filter(|w| !w.is_empty()).collect::<Vec<_>>(),
                    "receivers": recv,
                })).collect::<Vec<_>>(),
                "muted_by": r.muted_by.iter().map(|(i, line, s)| serde_json::json!({
                    "inhibit_rule": i, "line": line, "sources": s,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({"config": config, "alerts": alerts}))
        .unwrap_or_default()
        + "\n"
}
