//! [`Ctx`]: the terminal and environment questions, answered once per run; notes and
//! errors said once each; standard output that cannot lose data in silence.

use std::ffi::OsString;
use std::io::{self, BufWriter, IsTerminal, LineWriter, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use super::args::{ColorChoice, ConfigArgs, ConfigLocation, OutputArgs};
use crate::config::Config;
use crate::i18n::{self, Lang, Msg};
use crate::output::results::ResultSink;
use crate::output::{self, Format, RecordSink, Style, TableOptions};
use crate::scan::NamespaceReport;

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
    /// Lines of the terminal on stdout, when it is one and says.
    pub height: Option<u16>,
    /// The configuration, once a stage has loaded it ([`Ctx::load_config`]).
    pub config: Config,
    env: Vec<(String, OsString)>,
    /// How many notes of each kind were given ([`Ctx::note_capped`]).
    noted: std::cell::RefCell<Vec<(&'static str, usize)>>,
    /// Set by [`Ctx::error`]: an error the stage went on after, which still makes the
    /// exit status 2 at the end.
    errored: std::cell::Cell<bool>,
}

/// Notes of one kind given one by one before the rest are only counted.
pub const NOTE_CAP: usize = 10;

impl Ctx {
    /// The context of this process: its terminals and its `NO_COLOR`/`CLICOLOR_FORCE`.
    #[must_use]
    pub fn from_process(label: &str) -> Ctx {
        let stdout = io::stdout();
        let stdout_tty = stdout.is_terminal();
        let env = [
            "NO_COLOR",
            "CLICOLOR_FORCE",
            "COLUMNS",
            "PRT_CONFIG",
            "XDG_CONFIG_HOME",
            "HOME",
            "PRT_LANG",
            "LC_ALL",
            "LC_MESSAGES",
            "LANG",
        ]
        .iter()
        .filter_map(|&name| Some((name.to_owned(), std::env::var_os(name)?)))
        .collect();
        let mut ctx = Ctx {
            label: label.to_owned(),
            stdout_tty,
            stderr_tty: io::stderr().is_terminal(),
            width: None,
            height: None,
            config: Config::default(),
            env,
            noted: std::cell::RefCell::default(),
            errored: std::cell::Cell::default(),
        };
        if stdout_tty {
            let size = crate::sys::terminal_size(stdout.as_fd());
            ctx.width = size
                .map(|(columns, _)| columns)
                .or_else(|| ctx.var("COLUMNS")?.to_str()?.parse().ok());
            ctx.height = size.map(|(_, lines)| lines).filter(|&lines| lines > 0);
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
            height: None,
            config: Config::default(),
            env: env.iter().map(|&(k, v)| (k.to_owned(), v.into())).collect(),
            noted: std::cell::RefCell::default(),
            errored: std::cell::Cell::default(),
        }
    }

    fn var(&self, name: &str) -> Option<&OsString> {
        self.env
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v)
    }

    /// Where the configuration is read from: `--config`, else `$PRT_CONFIG`, else
    /// `$XDG_CONFIG_HOME/prt/config.toml`, else `$HOME/.config/prt/config.toml`. `None` when
    /// none of these is set.
    #[must_use]
    pub fn config_location(&self, args: &ConfigArgs) -> Option<ConfigLocation> {
        let at = |path: PathBuf, source| Some(ConfigLocation { path, source });
        if let Some(path) = &args.config {
            return at(path.clone(), "--config");
        }
        if let Some(path) = self.var("PRT_CONFIG") {
            return at(PathBuf::from(path), "PRT_CONFIG");
        }
        if let Some(dir) = self.var("XDG_CONFIG_HOME") {
            return at(Path::new(dir).join("prt/config.toml"), "XDG_CONFIG_HOME");
        }
        let home = self.var("HOME")?;
        at(Path::new(home).join(".config/prt/config.toml"), "HOME")
    }

    /// Loads the configuration `args` point at into [`Ctx::config`]. A missing file at the
    /// default place is no configuration; a missing file named on purpose, or a broken one,
    /// is an error.
    pub fn load_config(&mut self, args: &ConfigArgs) -> anyhow::Result<()> {
        // `main` already chose the language of the flag or environment, so a broken file is
        // reported in it; the file's own `lang` counts once it is read.
        let Some(location) = self.config_location(args) else {
            return Ok(());
        };
        match Config::load(&location.path)? {
            Some(config) => self.config = config,
            None if location.explicit() => anyhow::bail!(
                "configuration file {} (from {}) does not exist",
                location.path.display(),
                location.source
            ),
            None => {}
        }
        i18n::set(self.language(args));
        Ok(())
    }

    /// The language to speak: `--lang`, then `PRT_LANG`, then the configuration's `lang`,
    /// then the first of `LC_ALL`, `LC_MESSAGES`, `LANG` that is set (as in POSIX locale
    /// lookup); English when none names a language prt speaks.
    #[must_use]
    pub fn language(&self, args: &ConfigArgs) -> Lang {
        if let Some(flag) = args.lang {
            return flag;
        }
        let named = |name| {
            self.var(name)
                .and_then(|v| Lang::from_locale(&v.to_string_lossy()))
        };
        if let Some(lang) = named("PRT_LANG") {
            return lang;
        }
        if let Some(lang) = self.config.lang {
            return lang;
        }
        // The first locale variable that is set decides, even for a language prt lacks.
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .into_iter()
            .find_map(|name| self.var(name))
            .and_then(|v| Lang::from_locale(&v.to_string_lossy()))
            .unwrap_or_default()
    }

    /// The format to write: the flag; else, on a terminal, the configuration's `format` or a
    /// table; else NDJSON. The configured format is a preference for the screen: a pipe
    /// carries NDJSON unless the command line says otherwise, so `prt scan | prt filter`
    /// works whatever the configuration says.
    #[must_use]
    pub fn format(&self, args: &OutputArgs) -> Format {
        if let Some(format) = args.format {
            return format;
        }
        if !self.stdout_tty {
            return Format::Ndjson;
        }
        self.config.format.unwrap_or(Format::Table)
    }

    /// Whether to colour: `--color` first, then the configuration's `color`, then
    /// `CLICOLOR_FORCE`, then `NO_COLOR`, then whether stdout is a terminal.
    #[must_use]
    pub fn colour(&self, flag: Option<ColorChoice>) -> bool {
        let set = |name| self.var(name).is_some_and(|v| v != "0");
        match flag.or(self.config.color).unwrap_or_default() {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto if set("CLICOLOR_FORCE") => true,
            ColorChoice::Auto if set("NO_COLOR") => false,
            ColorChoice::Auto => self.stdout_tty,
        }
    }

    /// Standard output, line-buffered on a terminal and block-buffered otherwise. A write
    /// that fails says it was standard output that failed; one to a stdout that was closed
    /// when prt started fails too (see [`Stdout`]).
    #[must_use]
    pub fn stdout(&self) -> Box<dyn Write> {
        let lock = Stdout::new(io::stdout().lock());
        if self.stdout_tty {
            Box::new(LineWriter::new(lock))
        } else {
            Box::new(BufWriter::with_capacity(64 * 1024, lock))
        }
    }

    /// How a table on standard output looks, with `color` as the flag says.
    #[must_use]
    pub fn table_options(&self, color: Option<ColorChoice>) -> TableOptions {
        TableOptions {
            width: if self.stdout_tty { self.width } else { None },
            height: if self.stdout_tty { self.height } else { None },
            style: Style {
                enabled: self.colour(color),
            },
            netns_names: None,
            traffic: false,
        }
    }

    /// The writer for an acting stage's result records, on standard output.
    #[must_use]
    pub fn results(&self, args: &OutputArgs, headers: &[Msg]) -> ResultSink<Box<dyn Write>> {
        ResultSink::new(
            self.format(args),
            self.stdout(),
            headers,
            self.table_options(args.color),
        )
    }

    /// The record writer `args` asks for, on standard output.
    #[must_use]
    pub fn sink(&self, args: &OutputArgs) -> Box<dyn RecordSink> {
        self.sink_with(args, self.table_options(args.color))
    }

    /// The same, with a table laid out by `table`.
    #[must_use]
    pub fn sink_with(&self, args: &OutputArgs, table: TableOptions) -> Box<dyn RecordSink> {
        output::sink(self.format(args), self.stdout(), table)
    }

    /// A note for the person at the terminal, on stderr, prefixed with the stage name.
    pub fn note(&self, message: &str) {
        super::messages::report(&self.label, message);
    }

    /// An error the stage goes on after (an input file that cannot be opened, as grep
    /// goes on to the next): printed now, and the exit status is 2 at the end.
    pub fn error(&self, err: &anyhow::Error) {
        self.errored.set(true);
        super::messages::report(&self.label, &super::messages::describe(err));
    }

    /// Whether [`Ctx::error`] was called.
    #[must_use]
    pub fn errored(&self) -> bool {
        self.errored.get()
    }

    /// A note of which there may be one per record (a skipped line, a failed --exec): the
    /// first [`NOTE_CAP`] of each `kind` are given, the rest only counted, for one total
    /// line per kind at the end ([`Ctx::note_totals`]). The one place notes are capped.
    pub fn note_capped(&self, kind: &'static str, message: &str) {
        let count = {
            let mut noted = self.noted.borrow_mut();
            if let Some((_, count)) = noted.iter_mut().find(|(k, _)| *k == kind) {
                *count += 1;
                *count
            } else {
                noted.push((kind, 1));
                1
            }
        };
        if count <= NOTE_CAP {
            self.note(message);
        }
    }

    /// [`Ctx::note_capped`] for something that went wrong along the way while the stage
    /// went on (an `--exec` command that failed or was not run): the exit status is 2 at
    /// the end, as ripgrep's is when a file could not be read.
    pub fn error_capped(&self, kind: &'static str, message: &str) {
        self.errored.set(true);
        self.note_capped(kind, message);
    }

    /// [`Ctx::note`] for part of the work that could not be done (a network namespace that
    /// could not be entered): the stage goes on, and the exit status is 2 at the end.
    pub fn error_note(&self, message: &str) {
        self.errored.set(true);
        self.note(message);
    }

    /// One line per kind of capped note that went over the cap: `... and 19990 more like
    /// this`. Called once, when the stage ends (however it ends).
    pub fn note_totals(&self) {
        let noted = std::mem::take(&mut *self.noted.borrow_mut());
        for (_, count) in noted {
            if count > NOTE_CAP {
                self.note(&i18n::trf(Msg::NotesMore, &[&(count - NOTE_CAP)]));
            }
        }
    }
}

/// Standard output as every stage writes it: a failed write names standard output (with
/// the error's kind kept, so a closed pipe is still recognised as one), and writing to a
/// stdout that was closed when prt started is an error rather than lost in silence.
pub struct Stdout<W> {
    inner: W,
}

/// A write error on standard output, as its message reads.
#[derive(Debug)]
struct StdoutError(String);

impl std::fmt::Display for StdoutError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StdoutError {}

impl<W: Write> Stdout<W> {
    /// Wraps the real standard output (or a stand-in in tests).
    pub fn new(inner: W) -> Stdout<W> {
        Stdout { inner }
    }

    fn check() -> io::Result<()> {
        if crate::sys::stdout_closed_at_start() {
            return Err(closed_stdout_error());
        }
        Ok(())
    }
}

/// The error of writing to a standard output that was closed when prt started.
#[must_use]
pub fn closed_stdout_error() -> io::Error {
    io::Error::other(StdoutError(i18n::tr(Msg::StdoutClosed).to_owned()))
}

/// The error `err` from writing standard output, saying so (its kind kept).
#[must_use]
pub fn stdout_error(err: &io::Error) -> io::Error {
    let message = i18n::trf(Msg::StdoutWrite, &[err]);
    io::Error::new(err.kind(), StdoutError(message))
}

impl<W: Write> Write for Stdout<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Self::check()?;
        self.inner.write(buf).map_err(|e| stdout_error(&e))
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        Self::check()?;
        self.inner.write_all(buf).map_err(|e| stdout_error(&e))
    }

    fn flush(&mut self) -> io::Result<()> {
        Self::check()?;
        self.inner.flush().map_err(|e| stdout_error(&e))
    }
}

/// What to tell the user when `--all-netns` could not see every namespace: said once, on
/// stderr, terminal or not, since the user asked for every namespace and did not get it.
#[must_use]
pub fn netns_note(namespaces: &NamespaceReport) -> Option<String> {
    if namespaces.denied > 0 {
        Some(i18n::trf(Msg::NetnsDenied, &[&namespaces.denied]))
    } else if namespaces.unreadable > 0 {
        Some(i18n::trf(Msg::NetnsUnreadable, &[&namespaces.unreadable]))
    } else {
        None
    }
}

#[cfg(test)]
mod tests;
