//! Command-line interface: clap definitions and one file per subcommand.
//! `cli` alone does I/O and picks exit codes (0 clean, 1 findings at or
//! above `--fail-on`, 2 mlalert could not do its job).

/// Writes `bytes` to standard output. A reader that stopped reading
/// (`mlalert lints | head -1`) is not an error: a closed pipe ends the
/// process quietly with exit code 0; any other write error with exit code 2.
pub(crate) fn write_stdout(bytes: &[u8]) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(i32::from(EXIT_OK));
        }
        eprintln!("mlalert: cannot write to standard output: {e}");
        std::process::exit(i32::from(EXIT_ERROR));
    }
}

/// `print!` through [`write_stdout`] (a closed pipe is not a panic).
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli::write_stdout(format!($($arg)*).as_bytes()) };
}
/// `println!` through [`write_stdout`].
macro_rules! outln {
    ($($arg:tt)*) => { $crate::cli::write_stdout((format!($($arg)*) + "\n").as_bytes()) };
}

mod backtest;
mod explain;
mod lint;
mod lints;
pub mod routes;
pub mod server;
mod test;

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::lint::Severity;

pub use backtest::BacktestArgs;
pub use test::TestArgs;

/// Exit code: nothing at or above `--fail-on`.
pub const EXIT_OK: u8 = 0;
/// Exit code: findings at or above `--fail-on`.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: bad usage, unreadable input, YAML that does not parse.
pub const EXIT_ERROR: u8 = 2;

/// Catches mistakes in Prometheus alerting rules and Alertmanager configs.
#[derive(Debug, Parser)]
#[command(name = "mlalert", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint rule files, PrometheusRule CRDs, ConfigMaps/Secrets and Alertmanager configs.
    Lint(LintArgs),
    /// List every lint.
    Lints {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
    /// Print a lint's documentation page.
    Explain {
        /// A lint code (ML101) or name (missing-for).
        lint: String,
    },
    /// Print a shell completion script (e.g. `mlalert completions bash > /etc/bash_completion.d/mlalert`).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `mlalert man > mlalert.1`.
    Man,
    /// The configuration: `show` the effective one, `init` a commented `.mlalert.yaml`.
    Config {
        /// What to do.
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Run promtool-compatible rule unit tests.
    Test(TestArgs),
    /// Record what the Prometheus lints need from a Prometheus in a
    /// snapshot file, for CI without network (docs/prometheus.md).
    Snapshot(SnapshotArgs),
    /// Replay alerting rules over a Prometheus server's history: firing
    /// episodes, flaps and the notifications they would have sent.
    Backtest(BacktestArgs),
    /// Run the Language Server (LSP over standard input and output) for editors.
    Server,
    /// The Alertmanager routing tree: show it, test label sets, route every alert rule.
    Routes {
        /// What to do.
        #[command(subcommand)]
        command: routes::RoutesCommand,
    },
}

/// `mlalert config` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration (the discovered or given file, with defaults filled in).
    Show {
        /// Config file (default: .mlalert.yaml in the current directory or a parent).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Write a commented default `.mlalert.yaml` in the current directory.
    Init {
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
        /// Infer the settings from these files and directories (the severity
        /// scale, naming schemes, scrape and evaluation intervals, external
        /// labels they use) and write them out explicitly.
        #[arg(long, num_args = 1.., value_name = "PATHS")]
        from: Vec<std::path::PathBuf>,
    },
}

/// Arguments of `mlalert lint`.
#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// Files and directories to check (directories: *.yaml, *.yml and *.rules, .gitignore respected;
    /// `-`: one YAML stream from standard input).
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// The path standard input (`-`) stands for: findings are reported under
    /// it and the config's per-path overrides match it (default `<stdin>`).
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Config file (default: .mlalert.yaml in the current directory or a parent).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = Severity::Warning)]
    pub fail_on: Severity,
    /// Color in human output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// Report only findings on lines added or changed since this git revision
    /// (the whole set is still analysed, so cross-file lints stay right).
    #[arg(long, value_name = "REF")]
    pub diff_base: Option<String>,
    /// Report only findings not recorded in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Print only the findings: no summary line, no progress.
    #[arg(long, short)]
    pub quiet: bool,
    /// After the findings, print how many each lint reported.
    #[arg(long)]
    pub statistics: bool,
    /// With `--format markdown`: link each finding to URL + path + `#L<line>`
    /// (e.g. `https://github.com/OWNER/REPO/blob/SHA/`).
    #[arg(long, value_name = "URL")]
    pub link_base: Option<String>,
    /// Record the current findings in this baseline file and exit 0.
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    pub write_baseline: Option<PathBuf>,
    /// Ask this Prometheus (e.g. `http://127.0.0.1:9090`) about the series
    /// the rules read (the ML5xx lints, real metric types and scrape
    /// intervals), instead of the snapshot; refreshes the snapshot file when
    /// there is one. Default: `prometheus.url` in .mlalert.yaml.
    #[arg(long, value_name = "URL")]
    pub prometheus: Option<String>,
    /// Apply the fixes findings offer (safe ones: the meaning is unchanged),
    /// write the changed files, then report the findings left.
    #[arg(long, conflicts_with_all = ["diff", "write_baseline", "baseline", "diff_base"])]
    pub fix: bool,
    /// Print the fixes `--fix` would apply as a unified diff and write
    /// nothing (exit 1 when there is a change).
    #[arg(long, conflicts_with_all = ["write_baseline", "baseline", "diff_base"])]
    pub diff: bool,
    /// With `--fix` or `--diff`: also the fixes that change behaviour
    /// (an alert's name, when it fires, where it routes).
    #[arg(long)]
    pub unsafe_fixes: bool,
}

/// Arguments of `mlalert snapshot`.
#[derive(Debug, clap::Args)]
pub struct SnapshotArgs {
    /// Files and directories whose rules say which metrics to record.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// The Prometheus to ask (default: `prometheus.url` in .mlalert.yaml).
    #[arg(long, value_name = "URL")]
    pub prometheus: Option<String>,
    /// Where to write it (default: `prometheus.snapshot`, else .mlalert/prometheus.json).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Config file (default: .mlalert.yaml in the current directory or a parent).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// Output formats of `lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Source snippets with labelled spans and help.
    Human,
    /// One JSON object: diagnostics and summary (schema: https://github.com/mlalert/mlalert/blob/main/docs/json-schema.json).
    Json,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// GitLab Code Quality report (`artifacts: reports: codequality:`).
    Gitlab,
    /// Markdown for a CI job summary: findings per lint and the first 20
    /// (see `--link-base`).
    Markdown,
}

/// Output formats of `lints`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// A table.
    Human,
    /// A JSON array.
    Json,
}

/// When to color human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    /// When stdout is a terminal and NO_COLOR is unset.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Runs the CLI with `args` (program name first); returns the exit code.
/// Output goes to stdout, errors about the invocation to stderr.
pub fn run<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    crate::guard::install_quiet_hook();
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
        }
    };
    // Every walk over a PromQL tree recurses once per level, up to
    // `promql::MAX_DEPTH`: the command and the rayon workers get stacks
    // sized for that depth (the default 2 MiB of a thread is not, in a
    // debug build). A pool built before (in-process callers) is kept.
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(crate::promql::STACK_BYTES)
        .build_global();
    let worker = std::thread::Builder::new()
        .name("mlalert".into())
        .stack_size(crate::promql::STACK_BYTES)
        .spawn(move || dispatch(cli));
    match worker.map(std::thread::JoinHandle::join) {
        Ok(Ok(code)) => code,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(e) => {
            eprintln!("mlalert: cannot start a thread: {e}");
            EXIT_ERROR
        }
    }
}

/// Runs the parsed command; returns the exit code.
fn dispatch(cli: Cli) -> u8 {
    match cli.command {
        Command::Lint(a) => lint::run(&a),
        Command::Lints { format } => lints::run(format),
        Command::Explain { lint } => explain::run(&lint),
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "mlalert",
                &mut buf,
            );
            write_stdout(&buf);
            EXIT_OK
        }
        Command::Config { command } => config_cmd(&command),
        Command::Man => {
            let man = clap_mangen::Man::new(<Cli as clap::CommandFactory>::command());
            let mut buf = Vec::new();
            match man.render(&mut buf) {
                Ok(()) => {
                    write_stdout(&buf);
                    EXIT_OK
                }
                Err(_) => EXIT_ERROR,
            }
        }
        Command::Test(a) => test::run(&a),
        Command::Snapshot(a) => lint::snapshot(&a),
        Command::Server => server::run(),
        Command::Routes { command } => routes::run(&command),
        Command::Backtest(a) => backtest::run(&a),
    }
}

/// Writes `text` to `path`: without `force` only as a new file (never
/// through an existing file or symlink, dangling or not, even one that
/// appeared since the check); with `force` replacing what is there.
fn write_config(path: &std::path::Path, text: &str, force: bool) -> std::io::Result<()> {
    use std::io::Write;
    if force {
        return std::fs::write(path, text);
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?
        .write_all(text.as_bytes())
}

fn config_cmd(cmd: &ConfigCommand) -> u8 {
    match cmd {
        ConfigCommand::Show { config } => match lint::load_config(config.as_deref()) {
            Ok(c) => {
                out!("{}", c.to_yaml());
                EXIT_OK
            }
            Err(e) => {
                eprintln!("mlalert: {e}");
                EXIT_ERROR
            }
        },
        ConfigCommand::Init { force, from } => {
            let path = std::path::Path::new(crate::config::FILE_NAME);
            // `symlink_metadata`: a dangling symlink "does not exist" for
            // `exists()`, and writing would create its target elsewhere.
            if path.symlink_metadata().is_ok() && !force {
                eprintln!(
                    "mlalert: {} already exists (use --force to overwrite)",
                    path.display()
                );
                return EXIT_ERROR;
            }
            let text = if from.is_empty() {
                crate::config::init_template()
            } else {
                let (paths, errors) = crate::source::walk_paths(from);
                for e in &errors {
                    eprintln!("mlalert: {e}");
                }
                let inputs = paths.iter().map(|p| lint::read_input(p, false)).collect();
                let inferred =
                    crate::lint::conventions_of(inputs, &crate::config::Config::default());
                crate::config::init_template_for(&inferred)
            };
            match write_config(path, &text, *force) {
                Ok(()) => {
                    eprintln!("mlalert: wrote {}", path.display());
                    EXIT_OK
                }
                Err(e) => {
                    eprintln!("mlalert: cannot write {}: {e}", path.display());
                    EXIT_ERROR
                }
            }
        }
    }
}
