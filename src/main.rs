//! The `mlalert` binary: parses arguments and maps the result to an exit code.

/// mimalloc: the engine and `mlalert test` allocate many small label sets
/// and histograms; glibc's allocator took a third of the time there.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(mlalert::cli::run(std::env::args_os()))
}
