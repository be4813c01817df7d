//! `prt-scan`: the scan stage as its own binary, the same as `prt scan`.
fn main() -> std::process::ExitCode {
    prt::cli::main_for::<prt::cli::scan::Args>("prt-scan")
}
