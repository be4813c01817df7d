//! Outcome to exit status, in one place: `0` success, `1` nothing matched (for the stages
//! that behave like grep), `2` any error. A closed pipe ends the program quietly with 0, as
//! in ripgrep, xsv and bat, so `prt scan | head -1` prints nothing on stderr and
//! `set -o pipefail` scripts keep working; SIGPIPE is deliberately not restored to kill us.

use std::ffi::OsString;
use std::io::{self, Write};
use std::os::unix::process::CommandExt;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};

use super::common::Ctx;
use super::messages::{describe, is_broken_pipe, report};
use super::{Command, Prt, builtin_names};

/// How a stage ended when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Exit status 0.
    Success,
    /// Exit status 1: nothing matched or fired.
    NoMatch,
    /// Ended by this signal (SIGINT, SIGTERM) after cleaning up: status 128 + the signal's
    /// number, as a shell expects (130 for Ctrl-C, 143 for SIGTERM).
    Signal(u8),
}

impl Exit {
    /// `Success` when something matched, `NoMatch` otherwise.
    #[must_use]
    pub fn matched(any: bool) -> Exit {
        if any { Exit::Success } else { Exit::NoMatch }
    }

    /// The process exit status.
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::NoMatch => 1,
            Exit::Signal(signal) => 128u8.saturating_add(signal),
        }
    }
}

/// Exit status for every error.
pub const ERROR_CODE: u8 = 2;

/// A subcommand that can also be its own binary (`prt-scan`).
pub trait Stage: Parser {
    /// The subcommand's name (`scan`).
    const NAME: &'static str;
    /// Runs it.
    fn run(self, ctx: &mut Ctx) -> anyhow::Result<Exit>;
}

/// Entry point of the `prt` binary.
#[must_use]
pub fn main() -> ExitCode {
    early_language();
    let prt = match Prt::try_parse() {
        Ok(prt) => prt,
        Err(err) => return clap_exit(&err),
    };
    match prt.command {
        Command::Scan(args) => run_stage(args, "prt scan"),
        Command::Filter(args) => run_stage(args, "prt filter"),
        Command::Watch(args) => run_stage(args, "prt watch"),
        Command::Config(args) => run_stage(args, "prt config"),
        Command::Alert(args) => run_stage(args, "prt alert"),
        Command::Kill(args) => run_stage(args, "prt kill"),
        Command::Fw(args) => run_stage(args, "prt fw"),
        Command::Detail(args) => run_stage(args, "prt detail"),
        Command::Metrics(args) => run_stage(args, "prt metrics"),
        Command::Completions(args) => run_stage(args, "prt completions"),
        Command::External(args) => external(&args),
    }
}

/// Entry point of a one-stage binary such as `prt-scan`.
#[must_use]
pub fn main_for<S: Stage>(binary: &str) -> ExitCode {
    early_language();
    match S::try_parse() {
        Ok(args) => run_stage(args, binary),
        Err(err) => clap_exit(&err),
    }
}

/// Sets the language before clap parses anything, so a value that does not parse (a bad
/// pid, signal or duration) is reported in the language asked for: `--lang X` or
/// `--lang=X` anywhere on the command line, else the environment.
fn early_language() {
    let args: Vec<String> = std::env::args().collect();
    let named = args
        .iter()
        .enumerate()
        .find_map(|(index, arg)| match arg.as_str() {
            "--" => Some(None),
            "--lang" => Some(args.get(index + 1).cloned()),
            _ => arg.strip_prefix("--lang=").map(|v| Some(v.to_owned())),
        });
    let flag = named
        .flatten()
        .and_then(|value| crate::i18n::Lang::from_str(&value, true).ok());
    let config = super::common::ConfigArgs {
        config: None,
        lang: flag,
    };
    crate::i18n::set(Ctx::from_process("prt").language(&config));
}

fn run_stage<S: Stage>(args: S, label: &str) -> ExitCode {
    let mut ctx = Ctx::from_process(label);
    let outcome = args.run(&mut ctx);
    ctx.note_totals();
    match outcome {
        // An error the stage went on after decides the status, as in grep.
        Ok(_) if ctx.errored() => ExitCode::from(ERROR_CODE),
        outcome => finish(label, outcome),
    }
}

/// Turns a stage's result into an exit status, printing the error if there is one.
fn finish(label: &str, outcome: anyhow::Result<Exit>) -> ExitCode {
    match outcome {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            report(label, &describe(&err));
            ExitCode::from(ERROR_CODE)
        }
    }
}

/// clap's own message for help, version and usage errors; usage errors exit 2. Help and
/// version are output like any other: lost (stdout closed or full) they are an error, and
/// only a reader that went away is quiet.
fn clap_exit(err: &clap::Error) -> ExitCode {
    if err.use_stderr() {
        let _ = err.print();
        return ExitCode::from(ERROR_CODE);
    }
    let label = std::env::args()
        .next()
        .and_then(|argv0| {
            let name = std::path::Path::new(&argv0)
                .file_name()?
                .to_str()?
                .to_owned();
            Some(name)
        })
        .unwrap_or_else(|| "prt".to_owned());
    // clap writes (and colours) the text itself; its error, or the flush's, is stdout's.
    let written = if crate::sys::stdout_closed_at_start() {
        Err(super::common::closed_stdout_error())
    } else {
        err.print()
            .and_then(|()| io::stdout().flush())
            .map_err(|e| super::common::stdout_error(&e))
    };
    finish(
        &label,
        written.map(|()| Exit::Success).map_err(anyhow::Error::new),
    )
}

/// Runs `prt-NAME` from PATH in place of this process, as git and cargo do.
fn external(args: &[OsString]) -> ExitCode {
    let Some((name, rest)) = args.split_first() else {
        return ExitCode::from(ERROR_CODE);
    };
    let name_text = name.to_string_lossy();
    let mut program = OsString::from("prt-");
    program.push(name);
    // exec only returns on failure.
    let err = std::process::Command::new(&program).args(rest).exec();
    if err.kind() == io::ErrorKind::NotFound {
        let mut message = format!("no such command: `{name_text}`");
        let names = builtin_names();
        if let Some(close) = crate::suggest::closest(&name_text, names.iter().map(String::as_str)) {
            message = format!("{message}\n\n  tip: a similar command exists: `{close}`");
        }
        message.push_str("\n\nrun `prt --help` for the list of commands");
        report("prt", &message);
    } else {
        report(
            "prt",
            &format!("cannot run {}: {err}", program.to_string_lossy()),
        );
    }
    ExitCode::from(ERROR_CODE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        assert_eq!(Exit::Success.code(), 0);
        assert_eq!(Exit::NoMatch.code(), 1);
        assert_eq!(Exit::matched(false), Exit::NoMatch);
        assert_eq!(Exit::Signal(libc::SIGINT as u8).code(), 130);
        assert_eq!(Exit::Signal(libc::SIGTERM as u8).code(), 143);
        assert_eq!(finish("t", Err(anyhow::anyhow!("boom"))), ExitCode::from(2));
    }

    #[test]
    fn each_cause_is_said_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("cannot open a: {source}")]
        struct Open {
            #[source]
            source: io::Error,
        }
        let os = io::Error::from_raw_os_error(libc::ENOENT);
        let text = os.to_string();
        let err = anyhow::Error::new(Open { source: os }).context("reading input");
        assert_eq!(
            describe(&err),
            format!("reading input: cannot open a: {text}")
        );
        let plain = anyhow::anyhow!("inner").context("outer");
        assert_eq!(describe(&plain), "outer: inner");
    }

    #[test]
    fn broken_pipe_is_found_under_context() {
        let err = anyhow::Error::new(io::Error::from(io::ErrorKind::BrokenPipe)).context("writing");
        assert!(is_broken_pipe(&err));
        assert_eq!(finish("t", Err(err)), ExitCode::SUCCESS);
        let json = serde_json::to_writer(BrokenPipe, &1).expect_err("fails");
        assert!(is_broken_pipe(&anyhow::Error::new(json)));
        assert!(!is_broken_pipe(&anyhow::anyhow!("other")));
    }

    struct BrokenPipe;
    impl Write for BrokenPipe {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
}
