//! `prt-watch`: the watch stage as its own binary, the same as `prt watch`.
fn main() -> std::process::ExitCode {
    prt::cli::main_for::<prt::cli::watch::Args>("prt-watch")
}
