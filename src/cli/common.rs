//! Flags shared by every stage, and [`Ctx`]: the terminal and environment questions,
//! answered once per run.

use std::ffi::OsString;
use std::io::{self, BufWriter, IsTerminal, LineWriter, Write};
use std::os::fd::AsRawFd;

use clap::ValueEnum;

use crate::output::{self, Format, RecordSink, Style, TableOptions};

/// `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Aligned columns for people (the default on a terminal).
    Table,
    /// One JSON object per line (the default in a pipe).
    Ndjson,
    /// One JSON array.
    Json,
    /// Comma-separated values with a header row.
    Csv,
}

impl From<FormatArg> for Format {
    fn from(arg: FormatArg) -> Format {
        match arg {
            FormatArg::Table => Format::Table,
            FormatArg::Ndjson => Format::Ndjson,
            FormatArg::Json => Format::Json,
            FormatArg::Csv => Format::Csv,
        }
    }
}

/// `--color` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing a table to a terminal, unless NO_COLOR is set.
    #[default]
    Auto,
    /// Always colour (also CLICOLOR_FORCE=1).
    Always,
    /// Never colour.
    Never,
}

/// `--format` and `--color`, flattened into every stage that prints records.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct OutputArgs {
    /// Output format [default: table on a terminal, ndjson otherwise].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<FormatArg>,
    /// When to colour the table.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// Everything a stage needs to know about where it runs, decided once.
pub struct Ctx {
    /// How errors and notes name this stage (`prt scan`, `prt-scan`).
    pub label: String,
    /// Standard output is a terminal.
    pub stdout_tty: bool,
    /// Standard error is a terminal.
    pub stderr_tty: bool,
    /// Width of the terminal on stdout, when it is one.
    pub width: Option<u16>,
    env: Vec<(String, OsString)>,
}

impl Ctx {
    /// The context of this process: its terminals and its `NO_COLOR`/`CLICOLOR_FORCE`.
    #[must_use]
    pub fn from_process(label: &str) -> Ctx {
        let stdout = io::stdout();
        let stdout_tty = stdout.is_terminal();
        let env = ["NO_COLOR", "CLICOLOR_FORCE", "COLUMNS"]
            .iter()
            .filter_map(|&name| Some((name.to_owned(), std::env::var_os(name)?)))
            .collect();
        let mut ctx = Ctx {
            label: label.to_owned(),
            stdout_tty,
            stderr_tty: io::stderr().is_terminal(),
            width: None,
            env,
        };
        if stdout_tty {
            ctx.width = terminal_width(stdout.as_raw_fd())
                .or_else(|| ctx.var("COLUMNS")?.to_str()?.parse().ok());
        }
        ctx
    }

    /// A context with no terminal and the given environment, for tests.
    #[must_use]
    pub fn detached(label: &str, env: &[(&str, &str)]) -> Ctx {
        Ctx {
            label: label.to_owned(),
            stdout_tty: false,
            stderr_tty: false,
            width: None,
            env: env.iter().map(|&(k, v)| (k.to_owned(), v.into())).collect(),
        }
    }

    fn var(&self, name: &str) -> Option<&OsString> {
        self.env.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// The format to write: the flag, else a table on a terminal and NDJSON in a pipe.
    #[must_use]
    pub fn format(&self, args: &OutputArgs) -> Format {
        args.format.map_or(
            if self.stdout_tty {
                Format::Table
            } else {
                Format::Ndjson
            },
            Format::from,
        )
    }

    /// Whether to colour: `--color` first, then `CLICOLOR_FORCE`, then `NO_COLOR`, then
    /// whether stdout is a terminal.
    #[must_use]
    pub fn colour(&self, choice: ColorChoice) -> bool {
        let set = |name| self.var(name).is_some_and(|v| !v.is_empty() && v != "0");
        match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto if set("CLICOLOR_FORCE") => true,
            ColorChoice::Auto if set("NO_COLOR") => false,
            ColorChoice::Auto => self.stdout_tty,
        }
    }

    /// Standard output, line-buffered on a terminal and block-buffered otherwise.
    #[must_use]
    pub fn stdout(&self) -> Box<dyn Write> {
        let lock = io::stdout().lock();
        if self.stdout_tty {
            Box::new(LineWriter::new(lock))
        } else {
            Box::new(BufWriter::with_capacity(64 * 1024, lock))
        }
    }

    /// The record writer `args` asks for, on standard output.
    #[must_use]
    pub fn sink(&self, args: &OutputArgs) -> Box<dyn RecordSink> {
        let table = TableOptions {
            width: if self.stdout_tty { self.width } else { None },
            style: Style {
                enabled: self.colour(args.color),
            },
        };
        output::sink(self.format(args), self.stdout(), table)
    }

    /// A note for the person at the terminal, on stderr, prefixed with the stage name.
    pub fn note(&self, message: &str) {
        super::exit::report(&self.label, message);
    }
}

/// Columns of the terminal on `fd`, from `TIOCGWINSZ`.
fn terminal_width(fd: i32) -> Option<u16> {
    // SAFETY: winsize is plain data; TIOCGWINSZ fills it or fails, and failure is checked.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &raw mut size) };
    (rc == 0 && size.ws_col > 0).then_some(size.ws_col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_precedence() {
        let plain = Ctx::detached("t", &[]);
        assert!(!plain.colour(ColorChoice::Auto));
        assert!(plain.colour(ColorChoice::Always));
        let forced = Ctx::detached("t", &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
        assert!(forced.colour(ColorChoice::Auto));
        assert!(!forced.colour(ColorChoice::Never));
        let mut tty = Ctx::detached("t", &[("NO_COLOR", "1")]);
        tty.stdout_tty = true;
        assert!(!tty.colour(ColorChoice::Auto));
        let mut tty = Ctx::detached("t", &[("NO_COLOR", "")]);
        tty.stdout_tty = true;
        assert!(tty.colour(ColorChoice::Auto), "an empty NO_COLOR is unset");
    }

    #[test]
    fn format_defaults_by_destination() {
        let mut ctx = Ctx::detached("t", &[]);
        assert_eq!(ctx.format(&OutputArgs::default()), Format::Ndjson);
        ctx.stdout_tty = true;
        assert_eq!(ctx.format(&OutputArgs::default()), Format::Table);
        let csv = OutputArgs {
            format: Some(FormatArg::Csv),
            ..OutputArgs::default()
        };
        assert_eq!(ctx.format(&csv), Format::Csv);
    }
}
