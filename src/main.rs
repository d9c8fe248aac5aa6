//! The `mlalert` binary: parses arguments and maps the result to an exit code.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(mlalert::cli::run(std::env::args_os()))
}
