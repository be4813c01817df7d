//! `prt-filter`: the filter stage as its own binary, the same as `prt filter`.
fn main() -> std::process::ExitCode {
    prt::cli::main_for::<prt::cli::filter::Args>("prt-filter")
}
