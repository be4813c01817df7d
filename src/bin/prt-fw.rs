//! `prt-fw`: the fw stage as its own binary, the same as `prt fw`.
fn main() -> std::process::ExitCode {
    prt::cli::main_for::<prt::cli::fw::Args>("prt-fw")
}
