//! `prt`: the multi-command entry (`prt scan ...`, `prt NAME` runs `prt-NAME`).
fn main() -> std::process::ExitCode {
    prt::cli::main()
}
