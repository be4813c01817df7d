//! `prt-config`: the config stage as its own binary, the same as `prt config`.
fn main() -> std::process::ExitCode {
    prt::cli::main_for::<prt::cli::config::Args>("prt-config")
}
