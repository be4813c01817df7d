//! `prt-alert`: the alert stage as its own binary, the same as `prt alert`.
fn main() -> std::process::ExitCode {
    prt::cli::main_for::<prt::cli::alert::Args>("prt-alert")
}
