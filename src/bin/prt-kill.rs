//! `prt-kill`: the kill stage as its own binary, the same as `prt kill`.
fn main() -> std::process::ExitCode {
    prt::cli::main_for::<prt::cli::kill::Args>("prt-kill")
}
