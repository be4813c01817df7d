//! `prt-metrics`: the metrics stage as its own binary, the same as `prt metrics`.
fn main() -> std::process::ExitCode {
    prt::cli::main_for::<prt::cli::metrics::Args>("prt-metrics")
}
