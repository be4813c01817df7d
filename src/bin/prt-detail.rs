//! `prt-detail`: the detail stage as its own binary, the same as `prt detail`.
fn main() -> std::process::ExitCode {
    prt::cli::main_for::<prt::cli::detail::Args>("prt-detail")
}
